from datetime import UTC, datetime

import pytest

from humangov.domain.erasure import DocumentChange
from humangov.domain.model import DocumentRef
from humangov.erasure.plan import plan

A = DocumentRef("a", "e1/a.pdf", 10, "aa")
B = DocumentRef("b", "e1/b.pdf", 10, "bb")
A_AGAIN = DocumentRef("a", "e1/a.pdf", 0, "")


@pytest.mark.parametrize(("reason", "old", "new", "expected"), [
    ("record-deleted", A, None, ["e1/a.pdf"]),              # record gone: its file goes
    ("document-replaced", A, B, ["e1/a.pdf"]),              # key changed: the old file goes
    ("document-replaced", A, A_AGAIN, []),                  # same key still referenced: keep
    ("record-deleted", None, None, []),                     # no document: nothing to erase
    ("document-replaced", None, B, []),                     # first upload: nothing to erase
    ("state-offboarded", A, None, ["e1/a.pdf"]),
])
def test_plan_erases_the_old_key_only_when_the_record_no_longer_points_at_it(
    reason, old, new, expected
):
    at = datetime(2026, 1, 1, tzinfo=UTC)
    change = DocumentChange("c1", "CA", "e1", reason, old, new, "admin", at)
    assert plan(change) == expected
