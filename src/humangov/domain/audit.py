"""Security events: who did what to which account, from where, and when.

An event names its subject (a user's email, a token's id) and never carries a secret: no
password, token or cookie value reaches the log, so reading it grants nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Every kind of event, in one place: those emitted today and those the account lifecycle adds.
LOGIN_SUCCEEDED = "login.succeeded"
LOGIN_FAILED = "login.failed"
LOGIN_THROTTLED = "login.throttled"
SESSION_ENDED = "session.ended"
USER_ADDED = "user.added"
USER_CHANGED = "user.changed"
USER_DISABLED = "user.disabled"
USER_REMOVED = "user.removed"
TOKEN_CREATED = "token.created"
TOKEN_FIRST_USED = "token.first-used"
TOKEN_REVOKED = "token.revoked"
ALARM_ACKNOWLEDGED = "alarm.acknowledged"
ALARM_SILENCED = "alarm.silenced"
REQUEST_FILED = "request.filed"  # an erasure request (see domain/requests.py)
REQUEST_CLOSED = "request.closed"
RETENTION_SET = "retention.set"
HOLD_PLACED = "hold.placed"
HOLD_RELEASED = "hold.released"

KINDS = (
    LOGIN_SUCCEEDED, LOGIN_FAILED, LOGIN_THROTTLED, SESSION_ENDED, USER_ADDED, USER_CHANGED,
    USER_DISABLED, USER_REMOVED, TOKEN_CREATED, TOKEN_FIRST_USED, TOKEN_REVOKED,
    ALARM_ACKNOWLEDGED, ALARM_SILENCED, REQUEST_FILED, REQUEST_CLOSED, RETENTION_SET,
    HOLD_PLACED, HOLD_RELEASED,
)

ANONYMOUS = "anonymous"  # the actor of a failed or throttled login: nobody is known yet


@dataclass(frozen=True, slots=True)
class AuditEvent:
    at: datetime
    kind: str
    actor: str  # a Principal's actor ("user:a@b.gov", "token:ci", "system") or ANONYMOUS
    state: str | None = None  # the state the event concerns; None for platform-wide
    subject: str | None = None  # the account acted on: a user's email, a token's id
    client: str | None = None  # the client's address, when the event came over HTTP
    detail: dict[str, Any] = field(default_factory=dict)  # small JSON values, never secrets
