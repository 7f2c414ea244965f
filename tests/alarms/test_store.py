"""The alarm store on its SQLite file: once per transition, all or nothing."""

from datetime import UTC, datetime

import pytest

from humangov.monitoring.alarms.evaluator import AlarmState
from humangov.monitoring.alarms.messages import AlarmEvent
from humangov.monitoring.alarms.store import AlarmStore, NewEvent

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    s = AlarmStore.open(tmp_path / "alarms.db")
    yield s
    s.close()


def alarm(run_id="r1"):
    event = AlarmEvent("web", "ALARM", "OK")
    return NewEvent(f"web|{run_id}|state|ALARM", event, NOW, run_id=run_id)


def test_recording_the_same_transition_twice_queues_one_message_per_channel(store):
    state = AlarmState(state="ALARM", last_run_id="r1")
    first = store.record("web", state, [alarm()], ["slack", "inbox"], NOW)
    second = store.record("web", state, [alarm()], ["slack", "inbox"], NOW)
    assert len(first) == 1 and second == []
    assert sorted(r["channel"] for r in store.outbox_rows()) == ["inbox", "slack"]
    assert store.load_state("web").last_run_id == "r1"


def test_a_failure_while_recording_leaves_neither_state_nor_events_nor_messages(store):
    broken = NewEvent("web|r2|state|OK", AlarmEvent("web", "OK", reason=object()), NOW)  # not JSON
    with pytest.raises(TypeError):
        state = AlarmState(state="ALARM", last_run_id="r2")
        store.record("web", state, [alarm(), broken], ["slack"], NOW)
    assert store.load_state("web") is None
    assert store.events() == [] and store.outbox_rows() == []


def test_one_checks_second_message_waits_for_its_first_while_others_go_ahead(store):
    store.record("web", None, [alarm("r1")], ["slack"], NOW)
    ok = NewEvent("web|r2|state|OK", AlarmEvent("web", "OK", "ALARM"), NOW)
    store.record("web", None, [ok], ["slack"], NOW)
    other = NewEvent("api|r3|state|ALARM", AlarmEvent("api", "ALARM"), NOW)
    store.record("api", None, [other], ["slack"], NOW)
    first = store.next_due("slack", NOW)
    assert first["event"].check == "web" and first["event"].new_state == "ALARM"
    store.mark_retry(first["id"], "HTTP 500", datetime(2026, 1, 2, tzinfo=UTC))  # backing off
    # the web OK must not overtake the web ALARM; the api check is not held up
    assert store.next_due("slack", NOW)["event"].check == "api"


def test_only_one_dispatcher_claims_a_message(store):
    store.record("web", None, [alarm()], ["slack"], NOW)
    row = store.next_due("slack", NOW)
    from datetime import timedelta
    assert store.claim(row["id"], NOW, timedelta(seconds=30)) is True
    assert store.claim(row["id"], NOW, timedelta(seconds=30)) is False
    assert store.next_due("slack", NOW) is None
