"""What every entry point gets from the composition root: the ports, and the use cases
built on them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from humangov.accounts.service import Accounts
from humangov.audit.service import Audit
from humangov.change_token import ChangeToken
from humangov.config import Settings
from humangov.domain.auth import User
from humangov.domain.errors import StorageUnavailable
from humangov.domain.states import STATE_NAMES
from humangov.erasure.service import Erasures
from humangov.erasure.sweep import StoreOpener
from humangov.erasure_requests.service import Requests
from humangov.holds.service import Holds
from humangov.personnel.service import Personnel
from humangov.ports import (
    AccountStore,
    AuditLog,
    BlobStore,
    Clock,
    EarlierApplications,
    ErasureOutbox,
    HoldStore,
    Ledger,
    RecordStore,
    RequestStore,
    RetentionSchedules,
)
from humangov.retention.service import Retention

log = logging.getLogger(__name__)


@dataclass
class Container:
    settings: Settings
    clock: Clock
    records: RecordStore
    blobs: BlobStore
    account_store: AccountStore
    outbox: ErasureOutbox
    ledger: Ledger
    audit_log: AuditLog
    request_store: RequestStore
    schedules: RetentionSchedules
    hold_store: HoldStore
    # Reopens the blob and record stores in another process (the parallel sweep), if they can.
    open_stores: StoreOpener | None = None
    # Releases what the adapters hold (the embedded database's connections).
    on_close: Callable[[], None] = field(default=lambda: None)
    # The earlier applications attached to states (AWS only; see `humangov legacy`).
    earlier: EarlierApplications | None = None
    personnel: Personnel = field(init=False)
    accounts: Accounts = field(init=False)
    audit: Audit = field(init=False)
    holds: Holds = field(init=False)
    erasures: Erasures = field(init=False)
    requests: Requests = field(init=False)
    retention: Retention = field(init=False)
    # The records' change token as the token and page caches read it: once for a whole
    # request inside `change_token.held()` (web.app.HotReads), every time elsewhere.
    change_token: ChangeToken = field(init=False)
    # Called after a change that queued an erasure commits (wakes the in-process worker).
    change_listeners: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.change_token = ChangeToken(self.records.change_token)
        self.personnel = Personnel(
            self.records, self.blobs, self.clock,
            max_document_bytes=self.settings.max_document_bytes, erasure_queued=self.changed,
        )
        self.audit = Audit(self.audit_log, self.clock)
        self.accounts = Accounts(
            self.account_store, self.clock, self.audit,
            session_idle=self.settings.session_idle,
            session_lifetime=self.settings.session_lifetime,
            change_token=self.change_token,  # accounts live in the records' database
        )
        for email in filter(None, (e.strip() for e in self.settings.canary_emails.split(","))):
            self.accounts.mark_canary(email=email)
        # A user disabled, removed or given another role is signed out everywhere at once.
        self.accounts.user_listeners.append(self._sign_out)
        # Releasing a hold queues its erasures again: the worker is woken as after a delete.
        self.holds = Holds(self.hold_store, self.records, self.blobs, self.outbox, self.audit,
                           self.clock, released=self.changed)
        self.erasures = Erasures(
            self.records, self.blobs, self.outbox, self.ledger, self.clock, self.settings,
            open_stores=self.open_stores, queued=self.changed, earlier=self.earlier,
            is_held=self.holds.held, holds_of=self.hold_store.list_holds,
        )
        # A legal hold blocks retention and requests too: a held employee is reported, kept.
        self.requests = Requests(self.request_store, self.personnel, self.records, self.ledger,
                                 self.audit, self.clock, is_held=self.holds.held)
        self.erasures.report_sections["requests"] = self.requests.report_section
        self.retention = Retention(self.records, self.schedules, self.clock, self.audit,
                                   is_held=self.holds.held, erasure_queued=self.changed)
        self.personnel.separated_listeners.append(self.retention.employee_saved)
        self.erasures.report_sections["retention"] = self.retention.report_section

    def changed(self) -> None:
        for listener in self.change_listeners:
            listener()

    def _sign_out(self, user: User) -> None:
        self.accounts.end_sessions(user.id, reason="user changed, disabled or removed")

    def provision_all_states(self) -> int:
        """Provision the 50 states; returns how many were new. A state whose store is missing
        stays so (see `Personnel.add_state`): logged here, named by /readyz."""
        new = 0
        for code in STATE_NAMES:
            try:
                new += self.personnel.add_state(code)
            except StorageUnavailable as exc:
                log.warning("%s", exc.detail)
        return new

    def close(self) -> None:
        self.on_close()
