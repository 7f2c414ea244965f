"""RecordStore adapters: memory (tests, fakes), SQLite (the embedded default) and DynamoDB."""

from humangov.domain.errors import NotFound


def apply_import_in_steps(store, state: str, batches, actor: str) -> None:
    """`apply_import` for stores without one big transaction: read every batch first (so a
    bad row, which raises out of `batches`, applies nothing), check that every employee to
    delete exists, then apply."""
    employees, entries, deletes = [], [], []
    for batch in batches:
        employees += batch.employees
        entries += batch.entries
        deletes += batch.deletes
    for employee_id in deletes:
        if store.get_employee(state, employee_id) is None:
            raise NotFound(f"There is no employee {employee_id} in {state} to delete.")
    store.add_employees(employees, entries)
    for employee_id in deletes:
        store.delete_employee(state, employee_id, actor)
