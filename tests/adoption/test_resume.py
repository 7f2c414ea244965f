"""A run killed between copy and record, between record and erase, or in the middle of an
erase (object gone, receipt not written) is finished by the next run: no duplicate employee,
no lost document, one receipt per earlier object."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from humangov.bootstrap import bootstrap
from humangov.bootstrap.adoption import adoption
from tests.adoption.layout import BUCKET, TABLE, Legacy


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, not even `except Exception`."""


class DiesOnCall:
    """Delegates to `inner`, and dies on the `nth` call of `method`."""

    def __init__(self, inner, method: str, nth: int):
        self.inner, self.method, self.left = inner, method, nth

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if name != self.method:
            return attr

        def call(*args, **kwargs):
            self.left -= 1
            if self.left == 0:
                raise Killed
            return attr(*args, **kwargs)
        return call


def kill_in_records(a, nth):
    a.records = DiesOnCall(a.records, "load_employees", nth)


def kill_in_old_delete(a, nth):
    a.source = replace(a.source, objects=DiesOnCall(a.source.objects, "delete_versions", nth))


def kill_in_ledger(a, nth):
    a.ledger = DiesOnCall(a.ledger, "append", nth)


@pytest.mark.parametrize("kill, nth", [
    (kill_in_records, 2),  # batch 1 done, batch 2 copied but not recorded
    (kill_in_old_delete, 2),  # recorded, the first batch's earlier objects erased, not the rest
    (kill_in_ledger, 2),  # a batch of earlier objects erased, their receipts not written
], ids=["between-copy-and-record", "between-record-and-erase", "mid-erase"])
def test_a_killed_run_is_finished_by_the_next(aws_local, kill, nth):
    container = bootstrap(aws_local.settings)
    container.personnel.add_state("CA")
    legacy = Legacy(aws_local.clients).create()
    for n in range(9):
        legacy.add(f"Person{n}", f"Number {n}")

    first = adoption(container, "CA", TABLE, BUCKET, actor="test", batch=3, workers=1)
    kill(first, nth)
    with pytest.raises(Killed):
        first.run()

    adoption(container, "CA", TABLE, BUCKET, actor="test", batch=3, workers=1).run()

    employees = list(container.records.iter_employees("CA"))
    assert sorted(e.id for e in employees) == sorted(legacy.living)
    for e in employees:
        content = legacy.living[e.id][1]
        assert e.document.sha256 == hashlib.sha256(content).hexdigest()
        assert b"".join(container.blobs.open("CA", e.document.key)) == content
    assert legacy.object_keys() == set()
    got = container.ledger.receipts("CA", limit=100, cursor=None)[0]
    assert sorted(r.key for r in got) == sorted(key for key, _ in legacy.living.values())
    assert all(r.sha256 == hashlib.sha256(legacy.living[r.change_id.split(":")[2]][1]).hexdigest()
               for r in got)
