"""Every commit that queues an erasure wakes the in-process worker, whichever entry point
made it (API, UI, CLI, import): the use case does it, not each caller."""

from __future__ import annotations

import io

from humangov.personnel.importer import import_csv
from tests.conftest import PDF

FIELDS = {"first_name": "Ada", "last_name": "Lovelace", "role": "Analyst", "salary": "1"}


def test_deletes_replacements_imports_and_offboarding_wake_the_worker(container):
    wakes = []
    container.change_listeners.append(lambda: wakes.append(container.outbox.pending_count()))
    e = container.personnel.add_employee("CA", FIELDS, io.BytesIO(PDF), "t")
    assert wakes == []  # adding queues nothing
    container.personnel.replace_document("CA", e.id, io.BytesIO(PDF + b"%2"), "t")
    container.personnel.delete_employee("CA", e.id, "t")
    other = container.personnel.add_employee("CA", FIELDS, io.BytesIO(PDF), "t")
    import_csv(container.personnel, "CA", io.StringIO(
        f"id,first_name,last_name,role,salary,action\n{other.id},,,,,delete\n"), "t")
    container.personnel.add_employee("TX", FIELDS, io.BytesIO(PDF), "t")
    container.personnel.remove_state("TX", "t")
    # each wake comes after its intent was committed
    assert wakes == [1, 2, 3, 4]
