"""The list contract (numbers, orders, previous/next, role filter, count) on DynamoDB, and
the employee-number counter's place in the table's stream."""

from __future__ import annotations

from humangov.adapters.aws.changes import change_from_record
from humangov.adapters.aws.naming import Naming
from humangov.domain.states import state_for
from tests.aws.stream_reader import stream_records
from tests.aws.test_contract_records import record_harness, record_store  # noqa: F401
from tests.contract.test_record_lists import *
from tests.contract.test_record_store import employee, put


def test_the_number_counter_changing_in_the_stream_is_no_erasure(aws, record_store):  # noqa: F811
    record_store.add_state(state_for("CA"))
    for first in ("A", "B", "C"):
        put(record_store, employee(first=first, document=False))
    records = stream_records(aws.clients, Naming.from_settings(aws.settings).table("CA"))
    counter = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == "NUMBERS"]
    assert "MODIFY" in {r["eventName"] for r in counter}
    assert [change_from_record(r, "CA") for r in counter] == [None] * len(counter)
