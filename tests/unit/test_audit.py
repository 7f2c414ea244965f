"""The Audit use case: known kinds only, bounded texts, an event recorded once per subject,
and reading decided by the caller's role."""

from __future__ import annotations

import pytest

from humangov.adapters.audit.memory import MemoryAuditLog
from humangov.adapters.clock import SystemClock
from humangov.audit.service import MAX_TEXT, Audit
from humangov.domain import audit
from humangov.domain.auth import SYSTEM, Principal
from humangov.domain.errors import Forbidden


@pytest.fixture
def log() -> MemoryAuditLog:
    return MemoryAuditLog()


def test_an_unknown_kind_is_refused(log):
    with pytest.raises(ValueError, match="not an audit event kind"):
        Audit(log, SystemClock()).record("login.maybe", "anonymous")
    assert log.events(limit=1, cursor=None) == ([], None)


def test_what_a_client_chose_is_kept_to_a_bounded_length(log):
    Audit(log, SystemClock()).record(audit.LOGIN_FAILED, "anonymous", subject="x" * 10**6,
                                     client="y" * 10**6)
    [event], _ = log.events(limit=1, cursor=None)
    assert (len(event.subject), len(event.client)) == (MAX_TEXT, MAX_TEXT)


def test_record_once_records_a_subjects_event_once_across_processes(log):
    first, second = Audit(log, SystemClock()), Audit(log, SystemClock())
    for recorder in (first, first, second):
        recorder.record_once(audit.TOKEN_FIRST_USED, "token:ci", subject="t1")
    first.record_once(audit.TOKEN_FIRST_USED, "token:cd", subject="t2")
    events, _ = log.events(limit=10, cursor=None)
    assert [(e.subject, e.actor) for e in events] == [("t2", "token:cd"), ("t1", "token:ci")]


@pytest.mark.parametrize("principal", [Principal("user:e", "editor", "CA"),
                                       Principal("token:v", "viewer", "TX")])
def test_only_platform_admins_read_the_log(log, principal):
    reader = Audit(log, SystemClock())
    reader.record(audit.USER_ADDED, "system", state="CA", subject="e")
    with pytest.raises(Forbidden):
        reader.events(principal, limit=5)
    assert len(reader.events(SYSTEM, limit=5)[0]) == 1
