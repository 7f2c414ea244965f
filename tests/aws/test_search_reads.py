"""DynamoDB search reads about a page of items per page, never a state's whole index, and its
search entries never pass for employees on the stream."""

from __future__ import annotations

from collections import Counter

import pytest

from humangov.adapters.aws.changes import change_from_record
from humangov.adapters.aws.naming import Naming
from humangov.adapters.aws.provision import ensure_platform, ensure_table, records_table_spec
from humangov.adapters.dynamo_items import from_item
from humangov.adapters.records.dynamodb import DynamoDBRecordStore
from humangov.domain.states import state_for
from tests.aws.stream_reader import stream_records
from tests.contract.test_record_store import added, employee, put

LIMIT = 10


@pytest.fixture
def store(aws_local) -> DynamoDBRecordStore:
    naming = Naming.from_settings(aws_local.settings)
    ensure_platform(aws_local.settings, aws_local.clients)
    store = DynamoDBRecordStore(
        aws_local.clients, naming, aws_local.settings.aws_platform_table,
        provisioner=lambda code: ensure_table(aws_local.clients,
                                              records_table_spec(naming.table(code))))
    store.add_state(state_for("CA"))
    return store


@pytest.fixture
def reads(store) -> Counter:
    """Items read by each kind of call, from the responses (ScannedCount for a Query)."""
    counted: Counter = Counter()

    def count(parsed, model, **_):
        if model.name == "Query":
            counted["Query"] += parsed.get("ScannedCount", 0)
        elif model.name == "BatchGetItem":
            counted["BatchGetItem"] += sum(map(len, parsed.get("Responses", {}).values()))
        elif model.name == "Scan":
            counted["Scan"] += parsed.get("ScannedCount", 0)

    def index_used(params, model, **_):
        if model.name == "Query" and "IndexName" in params:
            counted["queries of " + params["IndexName"]] += 1

    events = store.clients.dynamodb.meta.events
    events.register("after-call.dynamodb", count)
    events.register("provide-client-params.dynamodb", index_used)
    return counted


def seed(store, n=300):
    roles = ["Analyst", "Clerk", "Engineer"]
    people = [employee(first=("Ada", "Lovis", "Grace")[i % 3], last=f"Lovelace{i}",
                       role=roles[i % 3], document=False) for i in range(n)]
    people += [employee(first="Lovelace", last="Zu", document=False),
               employee(first="Zed", last="Zu", role="Lovelace expert", document=False)]
    store.load_employees(people, [added(e) for e in people])


@pytest.mark.parametrize("q", ["lovelace1", "lovelace", "ada", "analyst", "lov"])
def test_each_search_page_reads_about_twice_its_size_in_items(store, reads, q):
    seed(store)
    cursor, pages, seen = None, 0, []
    while pages < 4:
        reads.clear()
        page = store.list_employees("CA", q=q, limit=LIMIT, cursor=cursor)
        pages += 1
        seen += page.items
        read = reads["Query"] + reads["BatchGetItem"]
        assert read <= 2 * LIMIT + 2, (q, pages, dict(reads))
        assert not any(k.startswith("queries of") for k in reads), dict(reads)
        assert reads["Scan"] == 0
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len({e.id for e in seen}) >= min(pages * LIMIT, 11)


def test_search_entries_produce_no_erasure_on_the_stream(store):
    ada = put(store, employee(first="Ada", last="Lovelace"))
    grace = put(store, employee(first="Grace", last="Hopper", document=False))
    store.update_employee(renamed := grace.with_changes({"last_name": "Byron"}, grace.updated_at),
                          1, added(renamed))
    store.delete_employee("CA", ada.id, "alice")
    records = stream_records(store.clients, store.naming.table("CA"))
    entries = [r for r in records
               if from_item(r["dynamodb"].get("OldImage") or r["dynamodb"].get("NewImage") or {})
               .get("kind") == "SRCH"]
    assert {r["eventName"] for r in entries} >= {"INSERT", "REMOVE"}
    assert [change_from_record(r, "CA") for r in entries] == [None] * len(entries)
    changes = [c for r in records if (c := change_from_record(r, "CA")) is not None]
    assert [(c.employee_id, c.reason) for c in changes] == [(ada.id, "record-deleted")]


def test_rebuilding_the_index_makes_earlier_employees_searchable(store):
    e = put(store, employee(first="Ada", last="Lovelace"))
    ddb, table = store.clients.dynamodb, store.naming.table("CA")
    for item in ddb.scan(TableName=table)["Items"]:
        if item.get("kind", {}).get("S") == "SRCH":  # as if written before search entries existed
            ddb.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
    assert store.list_employees("CA", q="ada", limit=5, cursor=None).items == []
    assert store.rebuild_search_index("CA") == 1
    assert store.list_employees("CA", q="ada lov", limit=5, cursor=None).items == [e]
