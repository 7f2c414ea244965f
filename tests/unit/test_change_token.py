"""The change token is read once within `held()`, and every time outside it."""

from __future__ import annotations

import asyncio
import itertools

from humangov.change_token import ChangeToken


def counting_token():
    """A token that moves on every reading, as if something committed each time."""
    readings = itertools.count(1)
    return ChangeToken(lambda: next(readings))


def test_outside_held_every_call_reads_anew():
    token = counting_token()
    assert [token(), token(), token()] == [1, 2, 3]


def test_within_held_the_first_reading_serves_the_rest_and_ends_with_the_block():
    token = counting_token()
    with token.held():
        assert [token(), token()] == [1, 1]
    assert token() == 2
    with token.held():
        assert token() == 3


def test_a_block_that_never_asks_reads_nothing():
    token = counting_token()
    with token.held():
        pass
    assert token() == 1


def test_concurrent_requests_each_hold_their_own_reading():
    token = counting_token()
    seen: dict[str, list] = {"a": [], "b": []}

    async def request(name: str) -> None:
        with token.held():
            seen[name].append(token())
            await asyncio.sleep(0)  # one pass of the loop: the other request reads meanwhile
            seen[name].append(token())
            # work handed to a thread sees the request's reading (contexts are copied)
            seen[name].append(await asyncio.to_thread(token))

    async def both() -> None:
        await asyncio.gather(request("a"), request("b"))

    asyncio.run(both())
    assert seen == {"a": [1, 1, 1], "b": [2, 2, 2]}


def test_a_reading_first_taken_in_a_thread_serves_the_request_too():
    token = counting_token()

    async def request() -> list:
        with token.held():
            return [await asyncio.to_thread(token), token()]

    assert asyncio.run(request()) == [1, 1]
