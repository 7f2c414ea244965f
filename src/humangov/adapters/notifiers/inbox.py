"""The embedded default channel: notifications stored for the web inbox and written to the
console log. Idempotent per event, so a re-delivery after a crash adds no second row."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from humangov.monitoring.alarms.messages import AlarmEvent, headline
from humangov.monitoring.alarms.transport import fingerprint

if TYPE_CHECKING:
    from humangov.monitoring.alarms.store import AlarmStore

log = logging.getLogger("humangov.alarms")


class InboxTransport:
    kind = "inbox"
    name = "inbox"

    def __init__(self, store: AlarmStore) -> None:
        self._store = store

    def describe(self) -> str:
        return "web inbox and console log"

    def fingerprint(self) -> str:
        return fingerprint(self.describe())

    def notify(self, event: AlarmEvent, *, event_id: int | None = None) -> None:
        text = headline(event)
        self._store.add_inbox(event_id, event, text, datetime.now(UTC))
        # A recovery at the alarm's own level: a console showing warnings shows both.
        log.warning("notification: %s", text)
