"""The earlier HumanGov application's records, as adoption and the erasure Lambda read them.

The earlier (Flask) application kept, per state, one DynamoDB table keyed on `id` (a UUID)
with the attributes `first_name`, `last_name`, `role`, `salary` (a string) and `pdf` (the S3
key of the scanned ID, `<uuid>_<lower-case upload name>.pdf`, at the root of the state's
bucket). It deleted records with `delete_item` only, and edits replaced `pdf` without deleting
the old object: the orphans this project began with. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from humangov.domain.errors import InvalidInput
from humangov.domain.model import validate_fields

LEGACY_FIELDS = ("first_name", "last_name", "role", "salary")


@dataclass(frozen=True, slots=True)
class LegacyRecord:
    """One item of an earlier application's table."""

    id: str
    first_name: Any
    last_name: Any
    role: Any
    salary: Any  # a string there, as typed into its form
    pdf: str | None  # the object's key in the earlier bucket; None when the item has none

    def fields(self) -> dict[str, Any]:
        """HumanGov's validated fields; raises InvalidInput naming what is wrong."""
        return validate_fields({f: getattr(self, f) for f in LEGACY_FIELDS}, partial=False)

    def problem(self) -> str | None:
        """Why this record cannot be adopted as it is, or None."""
        try:
            self.fields()
        except InvalidInput as exc:
            return exc.detail
        return None


def is_legacy_item(item: dict[str, Any]) -> bool:
    """An item in the earlier shape: an `id`, and none of HumanGov's `kind` marker."""
    return "kind" not in item and isinstance(item.get("id"), str)


def legacy_record(item: dict[str, Any]) -> LegacyRecord | None:
    """The record a plain item (attribute values already decoded) holds, if it is one."""
    if not is_legacy_item(item):
        return None
    pdf = item.get("pdf")
    return LegacyRecord(
        id=item["id"], first_name=item.get("first_name"), last_name=item.get("last_name"),
        role=item.get("role"), salary=item.get("salary"),
        pdf=pdf if isinstance(pdf, str) and pdf else None,
    )
