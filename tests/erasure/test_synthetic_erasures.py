"""Canary erasures are kept apart: a synthetic record's document leaves a receipt that says so,
and counsel's totals, the compliance report and the default erasures listing leave it out."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from humangov.adapters.aws.changes import change_from_record
from humangov.adapters.change_codec import change_from_row, change_to_row
from humangov.adapters.records.dynamodb import _employee_item

from .conftest import T0, make_employee

SYNTHETIC = {"X-HumanGov-Synthetic": "1"}


@pytest.fixture
def canary(container) -> dict:
    """The canary's headers: a token marked as the canary (only its records are synthetic)."""
    token, _ = container.accounts.create_token("editor", "CA", name="canary")
    container.accounts.mark_canary(token=token)
    return {"Authorization": f"Bearer {token}", **SYNTHETIC}


@pytest.fixture
def deleted(client, callers, container, add_employee, canary):
    """One canary-style and one ordinary employee, each deleted through the API by an admin,
    and the worker run: returns their document keys."""
    synthetic = add_employee(headers=canary, first_name="Canary")
    own = add_employee(headers=callers.admin)
    for employee in (synthetic, own):
        r = client.delete(f"/api/v1/states/CA/employees/{employee['id']}",
                          headers=canary if employee is synthetic else callers.admin)
        assert r.status_code == 204, r.text
    assert container.erasures.worker("test").drain() == 2
    return {"canary": key_of(container, synthetic), "own": key_of(container, own)}


def key_of(container, employee: dict) -> str:
    items, _ = container.erasures.receipts("CA", limit=10)
    [key] = [r.key for r in items if r.key.startswith(employee["id"])]
    return key


def test_a_canarys_deleted_record_leaves_a_receipt_marked_synthetic(container, deleted):
    # THEN both documents were erased, and only the canary's receipt says it was synthetic
    both, _ = container.erasures.receipts("CA", limit=10)
    assert {r.key: (r.synthetic, r.result) for r in both} == {
        deleted["canary"]: (True, "erased"), deleted["own"]: (False, "erased")}


def test_the_erasures_api_lists_the_states_own_unless_asked_for_synthetic(
    client, callers, deleted
):
    url = "/api/v1/states/CA/erasures"
    own = client.get(url, headers=callers.ca_viewer).json()["items"]
    assert [(r["key"], r["synthetic"]) for r in own] == [(deleted["own"], False)]
    same = client.get(url, params={"synthetic": "false"}, headers=callers.ca_viewer).json()
    assert same["items"] == own
    canary = client.get(url, params={"synthetic": "true"}, headers=callers.ca_viewer).json()
    assert [(r["key"], r["synthetic"]) for r in canary["items"]] == [(deleted["canary"], True)]
    bad = client.get(url, params={"synthetic": "maybe"}, headers=callers.ca_viewer)
    assert bad.status_code == 422


def test_the_compliance_report_counts_canary_erasures_apart_from_the_states_own(
    container, deleted
):
    streamed = container.erasures.report("CA")
    report = orjson.loads(b"".join(streamed.json_chunks()))
    # THEN counsel's totals and receipts are the state's own deletion only
    assert report["total_erased"] == 1
    assert report["totals_by_reason"]["record-deleted"] == 1
    assert [r["key"] for r in report["receipts"]] == [deleted["own"]]
    # AND the canary's erasure is counted and listed in its own section
    assert report["synthetic_erased"] == 1
    assert [r["key"] for r in report["synthetic_receipts"]] == [deleted["canary"]]
    html = "".join(streamed.html_chunks(limit=None))
    own_part, _, synthetic_part = html.partition("Synthetic (canary) erasures</h2>")
    assert deleted["own"] in own_part and deleted["canary"] not in own_part
    assert deleted["canary"] in synthetic_part and "<strong>1</strong> document of synthetic" \
        in own_part


def test_a_replaced_synthetic_document_is_a_synthetic_erasure(
    client, canary, container, add_employee, pdf_bytes
):
    created = add_employee(headers=canary)
    r = client.put(f"/api/v1/states/CA/employees/{created['id']}/document",
                   files={"document": ("new.pdf", pdf_bytes + b"%new", "application/pdf")},
                   headers=canary)
    assert r.status_code == 200, r.text
    assert container.erasures.worker("test").drain() == 1
    [receipt], _ = container.erasures.receipts("CA", limit=10, synthetic=True)
    assert (receipt.reason, receipt.synthetic) == ("document-replaced", True)
    assert container.erasures.receipts("CA", limit=10, synthetic=False) == ([], None)


@pytest.mark.parametrize("synthetic", [True, False])
def test_the_flag_survives_the_change_codec_and_a_missing_one_is_the_states_own(synthetic):
    change = replace(change_from_record(stream_removal(synthetic), "CA"), synthetic=synthetic)
    assert change_from_row(change_to_row(change)) == change
    old_row = {k: v for k, v in change_to_row(change).items() if k != "synthetic"}
    assert change_from_row(old_row).synthetic is False


@pytest.mark.parametrize("synthetic", [True, False])
def test_a_stream_removal_carries_the_old_images_synthetic_flag(synthetic):
    change = change_from_record(stream_removal(synthetic), "CA")
    assert change is not None and change.synthetic is synthetic


def test_a_stream_removal_of_an_item_older_than_the_flag_is_the_states_own():
    record = stream_removal(True)
    del record["dynamodb"]["OldImage"]["synthetic"]
    change = change_from_record(record, "CA")
    assert change is not None and change.synthetic is False


def stream_removal(synthetic: bool) -> dict:
    employee = replace(make_employee(), synthetic=synthetic)
    return {"eventID": "e-1", "eventName": "REMOVE",
            "dynamodb": {"OldImage": _employee_item(employee),
                         "ApproximateCreationDateTime": T0.timestamp()}}
