"""The RecordStore contract for lists people move through: employee numbers, sort orders both
ways, previous and next pages, the role filter and the count. Every adapter passes them, in
every order: the count is of what the list shows, so separated employees leave both."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from humangov.domain.errors import Conflict
from humangov.ports import SORTS, ImportBatch, Order

from . import test_record_store
from .test_record_store import T0, added, changed, employee, put

store = test_record_store.store  # the fixture: CA and TX provisioned

PEOPLE = [  # last, first, role, salary, days after T0 of the last change
    ("Smith", "Ann", "Clerk", "50000.00", 3), ("smith", "Bob", "Analyst", "72000.00", 1),
    ("Adams", "Zed", "clerk", "50000.00", 5), ("Baker", "Amy", "Judge", "120000.00", 0),
    ("Lee", "Cy", "Analyst", "61000.50", 2), ("Lopez", "Di", "Clerk", "45000.00", 4),
    ("Young", "Al", "Judge", "99000.00", 6),
]


def people(store):
    out = []
    for last, first, role, salary, days in PEOPLE:
        e = employee(first=first, last=last, role=role, salary=salary)
        out.append(put(store, replace(e, updated_at=T0 + timedelta(days=days))))
    return out


def expected(items, sort: str, descending: bool = False):
    def key(e):
        value = {"name": "", "role": e.role, "salary": e.salary,
                 "updated": e.updated_at}[sort]
        return value, e.last_name.lower(), e.first_name.lower(), e.id
    return [e.id for e in sorted(items, key=key, reverse=descending)]


def walk(store, ordering: Order, limit=2, **kwargs):
    """Every page forwards, then every page backwards from the last: (forwards, backwards)."""
    pages, cursor = [], None
    while True:
        page = store.list_employees("CA", q=None, limit=limit, cursor=cursor,
                                    ordering=ordering, **kwargs)
        pages.append(page)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    back = [pages[-1]]
    while back[-1].prev_cursor is not None:
        back.append(store.list_employees("CA", q=None, limit=limit, cursor=back[-1].prev_cursor,
                                         ordering=ordering, **kwargs))
    return pages, back[::-1]


def ids(pages):
    return [[e.id for e in page.items] for page in pages]


# numbers ------------------------------------------------------------------------------------
def test_numbers_count_up_per_state_and_a_deleted_number_is_never_issued_again(store):
    a, b, c = (put(store, employee(first=n)) for n in ("A", "B", "C"))
    tx = put(store, employee("TX"))
    assert [a.number, b.number, c.number, tx.number] == [1, 2, 3, 1]
    assert store.get_employee("CA", b.id).number == 2
    store.delete_employee("CA", c.id, "bob")
    assert put(store, employee(first="D")).number == 4  # not 3 again


def test_bulk_adds_and_imports_number_in_the_order_given_and_edits_keep_the_number(store):
    batch = [employee(first=f"P{i}") for i in range(3)]
    assert [e.number for e in store.add_employees(batch, [added(e) for e in batch])] == [1, 2, 3]
    more = [employee(first=f"Q{i}") for i in range(2)]
    store.apply_import("CA", [ImportBatch(more, [added(e) for e in more])], "importer")
    assert [store.get_employee("CA", e.id).number for e in more] == [4, 5]
    first = store.get_employee("CA", batch[0].id)
    later = first.with_changes({"salary": Decimal("1.00")}, T0 + timedelta(days=1))
    store.update_employee(later, 1, changed(first, later))
    assert store.get_employee("CA", first.id).number == 1
    listed = store.list_employees("CA", q=None, limit=50, cursor=None).items
    assert sorted(e.number for e in listed) == [1, 2, 3, 4, 5]


# orders, previous and next ------------------------------------------------------------------
@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("sort", SORTS)
def test_every_order_pages_forwards_and_back_to_the_same_pages(store, sort, descending):
    assert store.supported_sorts() == SORTS
    everyone = people(store)
    forwards, backwards = walk(store, Order(sort, descending))
    assert sum(ids(forwards), []) == expected(everyone, sort, descending)
    assert ids(backwards) == ids(forwards)  # previous leads back through the same pages
    assert forwards[0].prev_cursor is None and all(p.prev_cursor for p in forwards[1:])


def test_a_cursor_continues_the_order_it_came_from_whatever_order_is_asked(store):
    assert "name" in store.supported_sorts()
    everyone = people(store)
    page = store.list_employees("CA", q=None, limit=2, cursor=None,
                                ordering=Order("name", True))
    rest = store.list_employees("CA", q=None, limit=2, cursor=page.next_cursor)
    assert [e.id for e in rest.items] == expected(everyone, "name", descending=True)[2:4]


def test_going_back_past_rows_deleted_before_the_page_lands_on_a_full_first_page(store):
    everyone = people(store)
    first = store.list_employees("CA", q=None, limit=3, cursor=None)
    second = store.list_employees("CA", q=None, limit=3, cursor=first.next_cursor)
    store.delete_employee("CA", first.items[0].id, "bob")
    again = store.list_employees("CA", q=None, limit=3, cursor=second.prev_cursor)
    assert [e.id for e in again.items] == expected(everyone, "name")[1:4]
    assert again.prev_cursor is None


def test_a_start_letter_begins_the_name_order_there_and_previous_leads_before_it(store):
    everyone = people(store)
    page = store.list_employees("CA", q=None, limit=3, cursor=None, ordering=Order(start="l"))
    assert [e.last_name for e in page.items] == ["Lee", "Lopez", "Smith"]
    before = store.list_employees("CA", q=None, limit=3, cursor=page.prev_cursor,
                                  ordering=Order(start="l"))
    assert [e.id for e in before.items] == expected(everyone, "name")[:3]


# role filter and count ----------------------------------------------------------------------
def test_the_role_filter_keeps_that_role_ignoring_case_in_every_supported_order(store):
    everyone = people(store)
    clerks = [e for e in everyone if e.role.lower() == "clerk"]
    for sort in store.supported_sorts():
        forwards, backwards = walk(store, Order(sort, role="CLERK"))
        assert sum(ids(forwards), []) == expected(clerks, sort)
        assert ids(backwards) == ids(forwards)
    assert store.list_employees("CA", q=None, limit=5, cursor=None,
                                ordering=Order(role="Clerk ")).items == []  # exact role only


def test_the_count_is_of_the_state_the_role_and_real_records_as_asked(store):
    assert store.count_employees("CA") == 0
    people(store)
    put(store, employee(role="Clerk", synthetic=True))
    put(store, employee("TX", role="Clerk"))
    assert store.count_employees("CA") == 8
    assert store.count_employees("CA", include_synthetic=False) == 7
    assert store.count_employees("CA", role="clerk") == 4
    assert store.count_employees("CA", role="clerk", include_synthetic=False) == 3
    assert store.count_employees("TX", role="Judge") == 0


def test_hidden_synthetic_records_leave_the_ordered_pages(store):
    people(store)
    canary = put(store, employee(last="Canary", synthetic=True))
    for sort in store.supported_sorts():
        forwards, _ = walk(store, Order(sort), include_synthetic=False)
        assert canary.id not in sum(ids(forwards), [])


# edits, separations and bulk adds move the lists and the count together ---------------------
def edit(store, e, **values):
    after = replace(e, **values, version=e.version + 1, updated_at=e.updated_at + timedelta(1))
    store.update_employee(after, e.version, changed(e, after))
    return store.get_employee("CA", e.id)


def test_an_edit_moves_the_employee_in_every_order_and_a_separation_leaves_list_and_count(store):
    everyone = people(store)
    moved = edit(store, everyone[0], role="Judge", salary=Decimal("130000.00"), last_name="Zane")
    gone = edit(store, everyone[1], separated_on=date(2025, 1, 31))
    store.delete_employee("CA", everyone[2].id, "bob")
    listed = [moved, *everyone[3:]]
    for sort in SORTS:
        for descending in (False, True):
            forwards, _ = walk(store, Order(sort, descending))
            assert sum(ids(forwards), []) == expected(listed, sort, descending)
        judges, _ = walk(store, Order(sort, role="judge"))
        assert sum(ids(judges), []) == expected([e for e in listed if e.role == "Judge"], sort)
        apart, _ = walk(store, Order(sort), separated=True)
        assert sum(ids(apart), []) == [gone.id]
    assert store.count_employees("CA") == len(listed) == 5
    assert [store.count_employees("CA", role=r) for r in ("Judge", "Clerk", "Analyst")] == [3, 1, 1]
    edit(store, gone, separated_on=None)  # taken back: listed and counted again
    assert store.count_employees("CA") == 6 and store.count_employees("CA", role="analyst") == 2


def test_a_bulk_add_lists_and_counts_all_or_nothing(store):
    # 12 employees of about 20 items each: more than one DynamoDB transaction of 100
    batch = [employee(first=f"P{i:02}", role=("Clerk", "Judge")[i % 2]) for i in range(12)]
    store.add_employees(batch, [added(e) for e in batch])
    assert store.count_employees("CA") == 12 and store.count_employees("CA", role="judge") == 6
    assert len(sum(ids(walk(store, Order("salary"), limit=5)[0]), [])) == 12
    again = [employee(first=f"Q{i:02}") for i in range(12)] + [batch[0]]  # a repeat, last
    with pytest.raises(Conflict):
        store.add_employees(again, [added(e) for e in again])
    assert store.count_employees("CA") == 12 and store.count_employees("CA", role="analyst") == 0
    assert len(sum(ids(walk(store, Order("updated"), limit=5)[0]), [])) == 12
