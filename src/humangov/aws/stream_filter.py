"""The erasure function's stream filters: which records reach it at all.

The CDK stack gives these patterns to Lambda's event source mappings; the local
`stream-worker`, which stands in for the mappings, drops what they would drop, so list items,
search entries and counters (no `kind` EMP) never reach the handler there either. Lambda's
filter syntax is EventBridge's; `passes` reads the subset used here (exact strings and
`exists`): https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
"""

from __future__ import annotations

from typing import Any

# Which stream records can change a document (humangov.adapters.aws.changes): an employee
# item (`kind` EMP; history items and counters have no `kind`, list items and search entries
# another) that had a document and was removed, or modified by a Put (updates write the whole
# item, so its new image never carries the removal stamp). The pre-delete stamp is an
# UpdateItem adding removal_reason: no document changes. Edits that keep the key still match
# (a filter cannot compare images); the code skips them.
_HAD_DOCUMENT = {"kind": {"S": ["EMP"]}, "doc_key": {"S": [{"exists": True}]}}
OWN_ITEM_FILTERS: list[dict[str, Any]] = [
    {"eventName": ["REMOVE"], "dynamodb": {"OldImage": _HAD_DOCUMENT}},
    {"eventName": ["MODIFY"], "dynamodb": {
        "OldImage": _HAD_DOCUMENT, "NewImage": {"removal_reason": {"S": [{"exists": False}]}}}},
]
# An earlier application's items have no `kind` (humangov.domain.legacy): any REMOVE or MODIFY.
LEGACY_ITEM_FILTERS: list[dict[str, Any]] = [{"eventName": ["REMOVE", "MODIFY"]}]

_ABSENT = object()


def passes(record: dict[str, Any], patterns: list[dict[str, Any]]) -> bool:
    """Whether Lambda hands `record` to the function: any pattern matches it."""
    return any(_matches(pattern, record) for pattern in patterns)


def _matches(pattern: dict[str, Any], event: object) -> bool:
    for key, expected in pattern.items():
        value = event.get(key, _ABSENT) if isinstance(event, dict) else _ABSENT
        if isinstance(expected, dict):
            if not _matches(expected, value):
                return False
        elif not any(_leaf(rule, value) for rule in expected):
            return False
    return True


def _leaf(rule: object, value: object) -> bool:
    if isinstance(rule, dict) and set(rule) == {"exists"}:
        present = value is not _ABSENT and not isinstance(value, dict | list)
        return present is rule["exists"]
    return value == rule
