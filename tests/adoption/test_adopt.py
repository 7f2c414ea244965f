"""`Adoption` on in-process moto against the earlier layout: records become employees under
the same ids, objects move under opaque keys and go from the earlier bucket (every version)
with one legacy-rekeyed receipt each; the backlog is left alone; problems are reported."""

from __future__ import annotations

import hashlib
import re

import pytest

from humangov.adoption.service import ADOPTED, ALREADY, NO_DOCUMENT, SKIPPED, change_id
from humangov.bootstrap import bootstrap
from humangov.bootstrap.adoption import adoption
from humangov.domain.errors import InvalidInput, StorageUnavailable
from tests.adoption.layout import BUCKET, TABLE, Legacy, pdf

KEY = re.compile(r"^[0-9a-f-]{36}/[0-9a-f-]{36}\.pdf$")


@pytest.fixture
def container(aws_local):
    c = bootstrap(aws_local.settings)
    c.personnel.add_state("CA")
    return c


@pytest.fixture
def legacy(aws_local):
    return Legacy(aws_local.clients).create()


def earlier_state(legacy: Legacy) -> dict[str, str]:
    """A living record, a name with spaces and capitals, an edited record (its old file is
    backlog), a deleted record's orphan, a second version of a living object, and a record
    without a document."""
    ids = {
        "ada": legacy.add("Ada", "Lovelace", "Analyst", "85000"),
        "maria": legacy.add("Maria José", "García López", upload="Maria José GARCÍA López.PDF"),
        "edited": legacy.add("Grace", "Hopper", "Engineer", "91000.50"),
        "gone": legacy.add("Alan", "Turing"),
    }
    legacy.edit_document(ids["edited"], pdf("Grace Hopper rescan"))
    legacy.delete(ids["gone"])
    key, _ = legacy.living[ids["ada"]]
    legacy.clients.s3.put_object(Bucket=legacy.bucket, Key=key, Body=pdf("Ada, second scan"))
    legacy.living[ids["ada"]] = (key, pdf("Ada, second scan"))
    ids["bare"] = "4b0f1a52-9f6c-4c36-8d2e-2f8a7e1c0d11"
    legacy.item(ids["bare"], "Edsger", "Dijkstra", "Clerk", "40000", None)
    return ids


def adopt(container):
    # One call in flight: moto's S3 is not thread-safe (a ListObjectVersions racing a
    # DeleteObjects fails inside moto); real S3 is, and the benchmark runs 16.
    return adoption(container, "CA", TABLE, BUCKET, actor="test", workers=1)


def receipts(container):
    return container.ledger.receipts("CA", limit=1000, cursor=None)[0]


def test_adopt_moves_records_and_documents_and_erases_the_earlier_objects(container, legacy):
    ids = earlier_state(legacy)
    living = dict(legacy.living)
    report = adopt(container).run()

    assert report.records == 4 and report.moved == 3 and report.erased == 3
    assert report.outcomes == {ADOPTED: 3, NO_DOCUMENT: 1} and report.problems == []
    for record_id, (old_key, content) in living.items():
        e = container.personnel.get_employee("CA", record_id)
        assert e.document is not None and KEY.match(e.document.key)
        assert e.document.key.startswith(f"{record_id}/")
        assert e.document.sha256 == hashlib.sha256(content).hexdigest()
        assert b"".join(container.blobs.open("CA", e.document.key)) == content
        assert legacy.versions(old_key) == []  # every version and marker gone
        history = container.personnel.history("CA", record_id)
        assert [h.action for h in history] == ["adopted"]
    maria = container.personnel.get_employee("CA", ids["maria"])
    assert (maria.first_name, maria.last_name) == ("Maria José", "García López")
    assert str(container.personnel.get_employee("CA", ids["edited"]).salary) == "91000.50"
    assert container.personnel.get_employee("CA", ids["bare"]).document is None
    assert legacy.object_keys() == legacy.backlog  # the backlog is the other helper's to purge

    got = receipts(container)
    assert sorted((r.key, r.change_id) for r in got) == sorted(
        (key, change_id("CA", rid)) for rid, (key, _) in living.items())
    assert {r.reason for r in got} == {"legacy-rekeyed"} and {r.result for r in got} == {"erased"}
    ada_key, ada = living[ids["ada"]]
    ada_receipt = next(r for r in got if r.key == ada_key)
    assert len(ada_receipt.versions) == 2
    assert ada_receipt.sha256 == hashlib.sha256(ada).hexdigest()

    again = adopt(container).run()
    assert again.outcomes == {ALREADY: 4} and again.moved == 0 and again.erased == 0
    assert len(receipts(container)) == 3


def test_dry_run_plans_and_changes_nothing(container, legacy):
    earlier_state(legacy)
    bad = legacy.add("Bad", "Salary", salary="lots")
    text = legacy.add("Plain", "Text", content=b"hello, not a pdf")
    missing = legacy.add("Lost", "File")
    legacy.clients.s3.delete_object(Bucket=BUCKET, Key=legacy.living[missing][0])
    before = {k: legacy.versions(k) for k in legacy.object_keys()}

    plan = adopt(container).plan()

    assert plan.records == 7 and plan.to_move == 3 and plan.backlog == 2
    assert plan.outcomes == {ADOPTED: 3, NO_DOCUMENT: 2, SKIPPED: 2}
    problems = {o.record_id: (o.what, o.problem) for o in plan.problems}
    assert problems[bad][0] == SKIPPED and "salary" in problems[bad][1]
    assert problems[text] == (SKIPPED, f"its object {legacy.living[text][0]} is not a PDF (it "
                              "does not start with %PDF-); fix or remove the object, then run "
                              "adopt again")
    assert problems[missing][0] == NO_DOCUMENT
    assert {k: legacy.versions(k) for k in legacy.object_keys()} == before
    assert list(container.records.iter_employees("CA")) == [] and receipts(container) == []


def test_problems_are_reported_and_the_rest_adopted(container, legacy):
    bad = legacy.add("Bad", "Salary", salary="lots")
    text = legacy.add("Plain", "Text", content=b"hello, not a pdf")
    missing = legacy.add("Lost", "File")
    good = legacy.add("Good", "Record")
    legacy.clients.s3.delete_object(Bucket=BUCKET, Key=legacy.living[missing][0])

    report = adopt(container).run()

    assert report.outcomes == {ADOPTED: 1, NO_DOCUMENT: 1, SKIPPED: 2}
    assert {o.record_id for o in report.problems} == {bad, text, missing}
    assert container.records.get_employee("CA", bad) is None
    assert container.records.get_employee("CA", text) is None
    assert container.records.get_employee("CA", missing).document is None
    assert container.records.get_employee("CA", good).document is not None
    assert legacy.versions(legacy.living[text][0]) != []  # a non-PDF is left where it is
    assert [r.key for r in receipts(container)] == [legacy.living[good][0]]


def test_a_bucket_not_attached_is_refused_naming_legacy_attach(container, aws_local):
    Legacy(aws_local.clients).create(tag=False)
    with pytest.raises(StorageUnavailable) as refused:
        adopt(container).plan()
    assert refused.value.detail.endswith(
        f"humangov legacy attach --state CA --legacy-table {TABLE} --legacy-bucket {BUCKET}")


def test_a_table_of_another_shape_is_refused(container, legacy):
    with pytest.raises(InvalidInput, match="not an earlier HumanGov table"):
        adoption(container, "CA", "humangov-ca-records", BUCKET, actor="test").plan()
