"""Audit: records security events and lists them to those allowed to read them."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from humangov.domain.audit import KINDS, AuditEvent
from humangov.domain.auth import Principal
from humangov.domain.errors import InvalidInput
from humangov.ports import AuditLog, Clock

# A subject or client comes from the request (a typed email, a header): an attacker chooses
# its length, the log keeps a bounded part. An email is at most 254 characters (RFC 5321).
MAX_TEXT = 256


class Audit:
    def __init__(self, log: AuditLog, clock: Clock) -> None:
        self.log, self.clock = log, clock
        self._recorded_once: set[tuple[str, str]] = set()
        self._once = threading.Lock()

    def record(self, kind: str, actor: str, *, state: str | None = None,
               subject: str | None = None, client: str | None = None, **detail: Any) -> None:
        if kind not in KINDS:
            raise ValueError(f"{kind!r} is not an audit event kind")  # a programming error
        self.log.append(AuditEvent(self.clock.now(), kind, actor[:MAX_TEXT], state,
                                   subject[:MAX_TEXT] if subject else subject,
                                   client[:MAX_TEXT] if client else client, detail))

    def record_once(self, kind: str, actor: str, *, subject: str, state: str | None = None,
                    client: str | None = None, **detail: Any) -> None:
        """Record the event unless one of this kind and subject is already in the log (a
        token's first use). Remembered per process, so the log is asked once per subject."""
        with self._once:
            if (kind, subject) in self._recorded_once:
                return
            seen, _ = self.log.events(limit=1, cursor=None, kind=kind, subject=subject)
            if not seen:
                self.record(kind, actor, state=state, subject=subject, client=client, **detail)
            self._recorded_once.add((kind, subject))

    def events(self, principal: Principal, *, limit: int, cursor: str | None = None,
               kind: str | None = None, state: str | None = None,
               since: datetime | None = None) -> tuple[list[AuditEvent], str | None]:
        """Newest first. Who may read which events is decided here, for every entry point."""
        if not principal.is_admin:
            # A state admin reads its own state's events, and nobody else's.
            if principal.role != "state-admin" or principal.state is None:
                principal.require_admin()
            assert principal.state is not None
            if state not in (None, principal.state):
                principal.require_read(state)  # another state: 404, as for its data
            state = principal.state
        if kind is not None and kind not in KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(KINDS)}; got {kind!r}.",
                               field="kind")
        return self.log.events(limit=limit, cursor=cursor, kind=kind, state=state, since=since)
