"""DynamoDB lists read about a page of items per page in every order, a role's list reads
that role's items alone, `total` is one GetItem, list items never pass for employees on the
stream, and a reindex backfills lists and counts for employees written before them."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date

import pytest

from humangov.adapters.aws.changes import change_from_record
from humangov.adapters.dynamo_items import from_item
from humangov.ports import SORTS, Order
from tests.aws.stream_reader import stream_records
from tests.aws.test_search_reads import store  # noqa: F401
from tests.contract.test_record_store import added, employee, put

LIMIT = 10


@pytest.fixture
def reads(store) -> Counter:  # noqa: F811
    """Items read by each kind of call (ScannedCount for a Query), and the calls made."""
    counted: Counter = Counter()

    def count(parsed, model, **_):
        counted[model.name + " calls"] += 1
        if model.name in ("Query", "Scan"):
            counted[model.name] += parsed.get("ScannedCount", 0)
        elif model.name == "GetItem":
            counted["GetItem"] += "Item" in parsed

    store.clients.dynamodb.meta.events.register("after-call.dynamodb", count)
    return counted


def seed(store, n=120):  # noqa: F811
    roles = ["Analyst", "Clerk", "Engineer", "Judge"]
    people = [employee(first=f"F{i}", last=f"L{i % 17}", role=roles[i % 4],
                       salary=f"{40000 + (i * 7919) % 50000}.00", document=False)
              for i in range(n)]
    people[0] = replace(people[0], separated_on=date(2025, 1, 1))
    store.load_employees(people, [added(e) for e in people])


@pytest.mark.parametrize("role", [None, "clerk"])
@pytest.mark.parametrize("sort", SORTS)
def test_each_page_of_every_order_reads_its_size_plus_one(store, reads, sort, role):  # noqa: F811
    seed(store)
    for descending in (False, True):
        cursor, seen = None, []
        for _ in range(3):
            reads.clear()
            page = store.list_employees("CA", q=None, limit=LIMIT, cursor=cursor,
                                        ordering=Order(sort, descending, role=role))
            seen += page.items
            assert reads["Query"] <= LIMIT + 1 and reads["Query calls"] == 1, dict(reads)
            assert reads["Scan calls"] == 0
            cursor = page.next_cursor
        assert len({e.id for e in seen}) == 3 * LIMIT
        assert all(e.separated_on is None and (role is None or e.role == "Clerk") for e in seen)


def test_the_total_is_one_get_item(store, reads):  # noqa: F811
    seed(store)
    reads.clear()
    assert store.count_employees("CA") == 119  # the separated one is not listed
    assert store.count_employees("CA", role="JUDGE") == 30
    assert dict(reads) == {"GetItem calls": 2, "GetItem": 2}


def test_list_items_and_counters_produce_no_erasure_on_the_stream(store):  # noqa: F811
    ada = put(store, employee(first="Ada", last="Lovelace"))
    store.update_employee(moved := replace(ada, role="Judge", version=2), 1, added(moved))
    store.set_expiry("CA", ada.id, None)
    store.delete_employee("CA", ada.id, "alice")
    records = stream_records(store.clients, store.naming.table("CA"))
    ours = [r for r in records if not r["dynamodb"]["Keys"]["pk"]["S"].startswith("EMP#")]
    assert {from_item(r["dynamodb"].get("OldImage") or r["dynamodb"]["NewImage"]).get("kind")
            for r in ours} >= {"LIST", None}  # list items, and the counter items (no kind)
    assert {r["eventName"] for r in ours} >= {"INSERT", "MODIFY", "REMOVE"}
    assert [change_from_record(r, "CA") for r in ours] == [None] * len(ours)
    changes = [c for r in records if (c := change_from_record(r, "CA")) is not None]
    assert [(c.employee_id, c.reason) for c in changes] == [(ada.id, "record-deleted")]


def test_reindex_backfills_lists_and_counts_and_is_idempotent(store):  # noqa: F811
    seed(store, n=12)
    ddb, table = store.clients.dynamodb, store.naming.table("CA")
    for item in ddb.scan(TableName=table)["Items"]:  # as if written before list items existed
        if item.get("kind", {}).get("S") == "LIST" or item["pk"]["S"] == "NUMBERS":
            ddb.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
    ddb.put_item(TableName=table, Item={"pk": {"S": "NUMBERS"}, "sk": {"S": "ROLE#gone"},
                                        "listed": {"N": "4"}, "listed_synthetic": {"N": "0"}})
    assert store.list_employees("CA", q=None, limit=5, cursor=None).items == []
    for _ in range(2):
        assert store.rebuild_search_index("CA") == 12
        assert store.count_employees("CA") == 11 and store.count_employees("CA", role="gone") == 0
        assert store.count_employees("CA", role="analyst") == 2  # one of three separated
        page = store.list_employees("CA", q=None, limit=20, cursor=None, ordering=Order("salary"))
        assert len(page.items) == 11
