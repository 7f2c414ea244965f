"""The login throttle: growing delays per client and per account, never a lockout of a
client that has not been failing, and bounded tables keyed by digests."""

from __future__ import annotations

from humangov.accounts.throttle import MAX_DELAY, LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_failure_past_the_free_ones_doubles_the_wait():
    clock = Clock()
    throttle = LoginThrottle(2, base_delay=1.0, clock=clock)
    waits = []
    for _ in range(6):
        throttle.failed("10.0.0.1", "a@example.gov")
        waits.append(throttle.retry_after("10.0.0.1", "a@example.gov"))
    assert waits == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0]
    clock.now += 16.0
    assert throttle.retry_after("10.0.0.1", "a@example.gov") == 0.0


def test_the_wait_is_capped_and_success_clears_it():
    clock = Clock()
    throttle = LoginThrottle(1, clock=clock)
    for _ in range(40):
        throttle.failed("10.0.0.1", "a@example.gov")
    assert throttle.retry_after("10.0.0.1", "a@example.gov") == MAX_DELAY
    throttle.succeeded("10.0.0.1", "a@example.gov")
    assert throttle.retry_after("10.0.0.1", "a@example.gov") == 0.0


def test_a_client_that_has_not_failed_is_never_kept_waiting():
    throttle = LoginThrottle(1, clock=Clock())
    for n in range(5):
        throttle.failed(f"10.0.0.{n}", "victim@example.gov")
    assert throttle.retry_after("192.0.2.7", "victim@example.gov") == 0.0
    assert throttle.retry_after("10.0.0.1", "victim@example.gov") > 0


def test_the_tables_are_bounded_and_keep_no_raw_input():
    throttle = LoginThrottle(3, max_entries=100, clock=Clock())
    for n in range(1000):
        throttle.failed(f"client-{n}", f"{'x' * 1000}{n}@example.gov")
    assert throttle.entries() == 200
    keys = [*throttle._clients.rows, *throttle._accounts.rows]
    assert all(isinstance(k, bytes) and len(k) == 32 for k in keys)
