"""The AuditLog contract: events are appended and listed newest first on a cursor the log
issued, filtered by kind, state, time and subject; nothing can change or remove one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from humangov.domain import audit
from humangov.domain.audit import AuditEvent
from humangov.domain.errors import InvalidInput

from .crafted import CRAFTED_CURSORS

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def event(n: int, kind: str = audit.LOGIN_FAILED, state: str | None = "CA") -> AuditEvent:
    return AuditEvent(T0 + timedelta(minutes=n), kind, "anonymous", state, f"u{n}@example.gov",
                      "10.0.0.1", {"n": n})


def subjects_page_by_page(log, limit: int, **filters) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        items, cursor = log.events(limit=limit, cursor=cursor, **filters)
        pages.append([e.subject.split("@")[0] for e in items])
        if cursor is None:
            return pages


def test_events_page_newest_first_and_the_last_page_has_no_cursor(audit_log):
    for n in range(5):
        audit_log.append(event(n))
    assert subjects_page_by_page(audit_log, 2) == [["u4", "u3"], ["u2", "u1"], ["u0"]]
    assert subjects_page_by_page(audit_log, 5) == [["u4", "u3", "u2", "u1", "u0"]]


def test_an_event_reads_back_as_it_was_written(audit_log):
    written = AuditEvent(T0, audit.TOKEN_CREATED, "cli:ops", None, "token-id", None,
                         {"name": "ci", "role": "admin"})
    audit_log.append(written)
    assert audit_log.events(limit=5, cursor=None) == ([written], None)


def test_events_filter_by_kind_state_time_and_subject(audit_log):
    # GIVEN failed logins in CA and TX, a platform-wide token, interleaved
    for n in range(9):
        kind, state = [(audit.LOGIN_FAILED, "CA"), (audit.LOGIN_FAILED, "TX"),
                       (audit.TOKEN_CREATED, None)][n % 3]
        audit_log.append(event(n, kind, state))
    # THEN each filter pages through its own events only, newest first
    assert subjects_page_by_page(audit_log, 2, state="CA") == [["u6", "u3"], ["u0"]]
    assert subjects_page_by_page(audit_log, 2, kind=audit.TOKEN_CREATED) == [["u8", "u5"],
                                                                             ["u2"]]
    assert subjects_page_by_page(audit_log, 2, kind=audit.LOGIN_FAILED, state="TX",
                                 since=T0 + timedelta(minutes=5)) == [["u7"]]
    assert subjects_page_by_page(audit_log, 5, subject="u4@example.gov") == [["u4"]]
    assert audit_log.events(limit=5, cursor=None, kind=audit.USER_REMOVED) == ([], None)


def test_the_log_offers_no_way_to_change_or_remove_an_event(audit_log):
    assert [m for m in dir(audit_log) if not m.startswith("_")
            and callable(getattr(audit_log, m))] == ["append", "events"]


@pytest.mark.parametrize("cursor", list(CRAFTED_CURSORS.values()), ids=list(CRAFTED_CURSORS))
def test_a_cursor_the_log_did_not_issue_is_invalid_input(audit_log, cursor):
    audit_log.append(event(1))
    with pytest.raises(InvalidInput) as caught:
        audit_log.events(limit=5, cursor=cursor)
    assert caught.value.field == "cursor"
