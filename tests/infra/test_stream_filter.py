"""GIVEN the stream filter of the synthesised mapping, evaluated against the records moto's
DynamoDB stream holds after real edits and deletions, THEN every record that carries a
document change reaches the Lambda, and history REMOVEs, the pre-delete stamp, list items,
search entries and counters do not.

Lambda's filter syntax is EventBridge's; `matches` implements the subset the patterns use
(exact strings and `exists`), and refuses any other form rather than guess its meaning:
https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html"""

from __future__ import annotations

import io
import json

import pytest

from humangov.adapters.aws.changes import change_from_record
from humangov.aws.stream_filter import OWN_ITEM_FILTERS, passes
from tests.aws.conftest import aws_local, stored_employee  # noqa: F401  (fixture)
from tests.aws.stream_reader import stream_records

pytestmark = pytest.mark.xdist_group("infra")

_ABSENT = object()


def matches(pattern: dict, event: object) -> bool:
    """Every key of the pattern matches: a mapping recursively, a list by any of its values."""
    for key, expected in pattern.items():
        value = event.get(key, _ABSENT) if isinstance(event, dict) else _ABSENT
        if isinstance(expected, dict):
            if not matches(expected, value if isinstance(value, dict) else {}):
                return False
        elif not any(_leaf(rule, value) for rule in expected):
            return False
    return True


def _leaf(rule: object, value: object) -> bool:
    if isinstance(rule, str):
        return value == rule
    if isinstance(rule, dict) and set(rule) == {"exists"}:
        present = value is not _ABSENT and not isinstance(value, dict | list)
        return present is rule["exists"]
    raise AssertionError(f"filter rule {rule!r} is outside what this matcher implements")


def test_the_matcher_reads_strings_and_exists_as_lambda_does():
    pattern = {"a": ["x"], "b": {"c": [{"exists": False}]}, "d": [{"exists": True}]}
    assert matches(pattern, {"a": "x", "d": "1"})
    assert matches(pattern, {"a": "x", "b": {"e": "1"}, "d": "1"})
    assert not matches(pattern, {"a": "x", "b": {"c": "1"}, "d": "1"})
    assert not matches(pattern, {"a": "y", "d": "1"})
    assert not matches(pattern, {"a": "x"})


def _own_table_patterns(synthesised) -> list[dict]:
    resources = synthesised.template_json("HumanGov-CA")["Resources"].values()
    (mapping,) = [r["Properties"] for r in resources
                  if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    return [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]


def _kind(record: dict) -> str:
    event, data = record["eventName"], record["dynamodb"]
    old, new = data.get("OldImage", {}), data.get("NewImage", {})
    if (old or new)["pk"]["S"] == "NUMBERS":  # the counters (no `kind`) the lists move
        return f"counter {event}"
    if "kind" not in (old or new):
        return f"history {event}"
    kind = (old or new)["kind"]["S"]
    if kind == "LIST":  # list items carry a copy of the employee, document key included
        return f"list item {event}"
    if kind != "EMP":  # search entries (kind SRCH) beside the employee
        return f"search entry {event}"
    if event == "MODIFY" and "removal_reason" in new:
        return "stamp MODIFY"
    if event == "MODIFY":
        same = old.get("doc_key") == new.get("doc_key")
        return "edit MODIFY" if same else "key-changing MODIFY"
    return f"employee {event}"


def test_employee_removals_and_key_changes_pass_history_removals_and_stamps_do_not(
    synthesised, aws_local  # noqa: F811
):
    from humangov.bootstrap import bootstrap

    patterns = _own_table_patterns(synthesised)
    container = bootstrap(aws_local.settings)
    container.personnel.add_state("CA")
    e = stored_employee(container)
    container.personnel.update_employee("CA", str(e.id), {"first_name": "Grace"}, "test")
    container.personnel.replace_document("CA", str(e.id), io.BytesIO(b"%PDF-1.4 new"), "test")
    container.personnel.delete_employee("CA", str(e.id), "test")

    records = stream_records(aws_local.clients, aws_local.settings.aws_table_pattern.format(
        state="ca"))
    passed = {}
    for record in records:
        passed.setdefault(_kind(record), set()).add(any(matches(p, record) for p in patterns))
        # the local stream worker drops what the mapping drops, by the same patterns
        assert passes(record, OWN_ITEM_FILTERS) == any(matches(p, record) for p in patterns)
        if change_from_record(record, "CA") is not None:
            assert any(matches(p, record) for p in patterns), record
    assert passed == {
        "employee INSERT": {False}, "history INSERT": {False},
        "edit MODIFY": {True},  # a filter cannot compare images: the code skips it
        "key-changing MODIFY": {True}, "stamp MODIFY": {False},
        "employee REMOVE": {True}, "history REMOVE": {False},
        "search entry INSERT": {False}, "search entry MODIFY": {False},
        "search entry REMOVE": {False},
        # list items hold the employee's document key in `e`, yet must never erase it
        "list item INSERT": {False}, "list item MODIFY": {False}, "list item REMOVE": {False},
        "counter INSERT": {False}, "counter MODIFY": {False},
    }
