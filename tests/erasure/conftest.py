from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from humangov.config import Settings
from humangov.domain.errors import ErasureRefused, StorageUnavailable
from humangov.domain.model import DocumentRef, Employee, HistoryEntry
from humangov.domain.states import state_for

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = T0):
        self.t = now

    def now(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


class Unreachable:
    """Wraps a blob store; every delete fails as if the storage were down, until `up`."""

    def __init__(self, inner):
        self.inner, self.down = inner, True

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def delete(self, state, key):
        if self.down:
            raise StorageUnavailable("document storage is unreachable")
        return self.inner.delete(state, key)


class Refusing(Unreachable):
    """Wraps a blob store whose deletes are refused for good, as under an S3 legal hold."""

    def delete(self, state, key):
        raise ErasureRefused(f"{key}: the object is under a legal hold")


def make_employee(state="CA", with_doc=True, blobs=None, now=T0) -> Employee:
    eid = str(uuid.uuid4())
    doc = None
    if with_doc:
        doc = DocumentRef.new(eid, 9, hashlib.sha256(b"%PDF-1.7\n").hexdigest())
        if blobs is not None:
            blobs.put(state, doc.key, [b"%PDF-1.7\n"])
    return Employee(eid, state, "Ada", "Lovelace", "Clerk", Decimal("50000.00"), doc, now, now)


def add(records, employee):
    history = HistoryEntry(employee.id, employee.state, "added", "test", employee.created_at)
    records.add_employee(employee, history)
    return employee


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def settings(tmp_path):
    return Settings(environment="test", data_dir=tmp_path)  # retries: 1 s up to 1 h, for 24 h


@pytest.fixture
def engine(tmp_path):
    from humangov.adapters.sql import open_database

    eng = open_database(tmp_path / "humangov.db")
    yield eng
    eng.dispose()


@pytest.fixture
def sql_records(engine, clock):
    from humangov.adapters.records.sqlite import SqliteRecordStore

    store = SqliteRecordStore(engine, clock)
    store.add_state(state_for("CA"))
    store.add_state(state_for("TX"))
    return store
