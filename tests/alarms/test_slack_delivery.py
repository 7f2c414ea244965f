"""End to end: a real heartbeat against a local target, slack_sdk posting to a local
Slack-compatible receiver."""

import pytest

from humangov.monitoring.store import MemoryRunStore
from tests.alarms.conftest import eventually

pytestmark = pytest.mark.asyncio


def states_in(receiver):
    return [text.split("]")[0].lstrip("[") for text in receiver.texts()]


async def test_a_target_going_down_and_back_sends_exactly_one_alarm_and_one_ok(
    monitor_factory, receiver, target
):
    # GIVEN a healthy target under a 1 s heartbeat with two failures in a row
    async with monitor_factory(target.url, receiver.url) as m:
        await eventually(lambda: m.state() == "OK", what="the check to be OK")
        # WHEN the target goes down
        target.stop()
        await eventually(lambda: states_in(receiver) == ["ALARM"], what="the ALARM message")
        await m.runs_settle(2)  # more failed runs: no second message
        # THEN exactly one ALARM, naming the check, the US state and the failing step
        assert states_in(receiver) == ["ALARM"]
        alarm = receiver.messages[0]
        assert "web" in alarm["text"] and "ALARM" in alarm["text"]
        body = str(alarm["blocks"])
        assert "CA" in body and "request" in body and "/monitoring/runs/" in body
        # WHEN it recovers
        target.start()
        await eventually(lambda: states_in(receiver) == ["ALARM", "OK"], what="the OK message")
        await m.runs_settle(1)
        # THEN exactly one OK, saying how long it was down
        assert states_in(receiver) == ["ALARM", "OK"]
        assert "down" in receiver.messages[1]["text"]
        assert "Down for" in str(receiver.messages[1]["blocks"])


async def test_messages_held_up_by_500_and_429_arrive_later_once_each_in_order(
    monitor_factory, receiver, target
):
    # GIVEN a receiver that fails for a while: 500s, then a 429 with Retry-After
    receiver.script = [(500, "oops", {})] * 3 + [(429, "rate_limited", {"Retry-After": "2"})]
    async with monitor_factory(target.url, receiver.url) as m:
        await eventually(lambda: m.state() == "OK", what="the check to be OK")
        # WHEN the target goes down and comes back while Slack is failing
        target.stop()
        await eventually(lambda: m.state() == "ALARM", what="ALARM")
        target.start()
        await eventually(lambda: m.state() == "OK", what="recovery")
        # THEN both messages arrive, once each, ALARM before OK, after the 429's wait
        await eventually(lambda: len(receiver.messages) >= 2, within=20, what="both messages")
        await m.runs_settle(1)
        assert states_in(receiver) == ["ALARM", "OK"]
        assert receiver.attempts == 6  # 3 x 500, 1 x 429, then the two that went through


async def test_a_permanent_error_disables_the_channel_and_raises_an_inbox_alert(
    monitor_factory, receiver, target
):
    # GIVEN a Slack webhook that no longer exists
    receiver.script = [(404, "no_service", {})]
    async with monitor_factory(target.url, receiver.url) as m:
        await eventually(lambda: m.state() == "OK", what="the check to be OK")
        # WHEN an alarm has to go out
        target.stop()
        await eventually(lambda: (m.alarms.store.channel("slack") or {}).get("disabled"),
                         what="disabled")
        await eventually(
            lambda: any(i["kind"] == "channel_disabled" for i in m.alarms.store.inbox()),
            what="the inbox alert",
        )
        # THEN the channel is off, its error kept (without the secret URL), the metric set,
        # and the inbox holds both the ALARM and the channel alert
        channel = m.alarms.store.channel("slack")
        assert "no_service" in channel["last_error"] and "XXXXSECRET" not in channel["last_error"]
        assert m.alarms.metrics.channel_disabled.labels(channel="slack")._value.get() == 1
        kinds = {(i["kind"], i["new_state"]) for i in m.alarms.store.inbox()}
        assert ("transition", "ALARM") in kinds and ("channel_disabled", "DISABLED") in kinds
        assert receiver.attempts == 1  # no retries against a dead webhook


async def test_a_silence_mutes_notifications_but_transitions_are_recorded(
    monitor_factory, receiver, target
):
    # GIVEN a maintenance window covering now
    silence = {"name": "deploy", "checks": ["w*"], "start": "2000-01-01T00:00:00+00:00",
               "end": "2999-01-01T00:00:00+00:00"}
    async with monitor_factory(target.url, receiver.url, extra={"silences": [silence]}) as m:
        await eventually(lambda: m.state() == "OK", what="the check to be OK")
        # WHEN the target goes down
        target.stop()
        await eventually(lambda: m.state() == "ALARM", what="ALARM")
        await m.runs_settle(1)
        # THEN the transition is on record, its messages muted, and nothing was sent
        events = m.alarms.store.events()
        assert [(e["new_state"], e["muted_by"]) for e in events] == [("ALARM", "deploy")]
        assert {r["status"] for r in m.alarms.store.outbox_rows()} == {"muted"}
        assert receiver.messages == [] and m.alarms.store.inbox() == []


class BrokenDisk(MemoryRunStore):
    """A run store whose disk fails on demand."""

    failing = False

    def save(self, result):
        if self.failing:
            raise OSError("disk I/O error")
        super().save(result)


async def test_a_failing_result_store_raises_monitor_degraded_not_a_check_alarm(
    monitor_factory, receiver, target
):
    # GIVEN a healthy target and a result store that starts failing
    disk = BrokenDisk()
    async with monitor_factory(target.url, receiver.url, store=disk) as m:
        await eventually(lambda: m.state() == "OK", what="the check to be OK")
        disk.failing = True
        # THEN a "monitor degraded" message goes out, and the check itself stays OK
        await eventually(lambda: len(receiver.messages) == 1, what="the degraded message")
        assert receiver.texts()[0].startswith("HumanGov monitor degraded")
        assert "disk I/O error" in receiver.texts()[0]
        assert m.state() == "OK"
        # WHEN the store works again THEN one recovery message follows
        disk.failing = False
        await eventually(lambda: len(receiver.messages) == 2, what="the recovery message")
        assert receiver.texts()[1].startswith("HumanGov monitor recovered")
        assert [e["kind"] for e in m.alarms.store.events()] == ["degraded", "degraded"]
