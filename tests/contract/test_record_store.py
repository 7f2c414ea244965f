"""The RecordStore contract: every adapter passes the same tests."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from humangov.domain.errors import Conflict, InvalidInput, NotFound, StaleVersion
from humangov.domain.model import DocumentRef, Employee, FieldChange, HistoryEntry
from humangov.domain.states import state_for
from humangov.ports import ImportBatch, RecordStore

from .crafted import CRAFTED_CURSORS

T0 = datetime(2026, 11, 26, 15, 0, 0, 123456, tzinfo=UTC)


def employee(state="CA", first="Ada", last="Lovelace", role="Analyst", *, salary="55000.00",
             document=True, synthetic=False) -> Employee:
    employee_id = str(uuid.uuid4())
    doc = DocumentRef.new(employee_id, 1234, "a" * 64) if document else None
    return Employee(employee_id, state, first, last, role, Decimal(salary), doc, T0, T0,
                    synthetic=synthetic)


def added(e: Employee, actor="alice") -> HistoryEntry:
    return HistoryEntry(e.id, e.state, "added", actor, e.created_at,
                        (FieldChange("first_name", None, e.first_name),))


def changed(before: Employee, after: Employee, actor="bob") -> HistoryEntry:
    return HistoryEntry(after.id, after.state, "changed", actor, after.updated_at,
                        (FieldChange("salary", str(before.salary), str(after.salary)),))


@pytest.fixture
def store(record_store):
    record_store.add_state(state_for("CA"))
    record_store.add_state(state_for("TX"))
    return record_store


def put(store, e: Employee) -> Employee:
    """Adds `e`; the employee as stored (numbered by the store)."""
    return store.add_employee(e, added(e))


def all_pages(store, state="CA", **kwargs) -> list[Employee]:
    seen, cursor = [], None
    while True:
        page = store.list_employees(state, cursor=cursor, **{"q": None, "limit": 3, **kwargs})
        seen.extend(page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_the_adapter_implements_the_port(record_store):
    assert isinstance(record_store, RecordStore)


# states -------------------------------------------------------------------------------------
def test_adding_a_state_twice_creates_it_once(record_store):
    assert record_store.add_state(state_for("CA")) is True
    assert record_store.add_state(state_for("CA")) is False
    assert record_store.add_state(state_for("NY")) is True
    assert [s.code for s in record_store.list_states()] == ["CA", "NY"]
    assert record_store.list_states()[0].name == "California"


def test_removing_a_state_removes_its_employees_and_is_idempotent(store):
    put(store, employee("CA"))
    put(store, employee("CA", document=False))
    keep = put(store, employee("TX"))
    assert store.remove_state("CA", "admin") == 2
    assert store.remove_state("CA", "admin") == 0
    assert [s.code for s in store.list_states()] == ["TX"]
    assert store.list_employees("CA", q=None, limit=10, cursor=None).items == []
    assert store.get_employee("TX", keep.id) == keep


def test_an_employee_cannot_be_added_to_an_unprovisioned_state(store):
    with pytest.raises(NotFound):
        put(store, employee("NY"))


# employees ----------------------------------------------------------------------------------
def test_an_added_employee_reads_back_exactly(store):
    e = put(store, employee(salary="1234567.89", synthetic=True))
    got = store.get_employee("CA", e.id)
    assert got == e
    assert got.salary == Decimal("1234567.89") and str(got.salary) == "1234567.89"
    assert got.created_at == T0


def test_adding_the_same_id_twice_is_a_conflict(store):
    e = put(store, employee())
    with pytest.raises(Conflict):
        store.add_employee(e, added(e))


def test_bulk_add_is_all_or_nothing(store):
    good = [employee(first=f"P{i}") for i in range(5)]
    bad = employee("NY")
    with pytest.raises(NotFound):
        store.add_employees([*good, bad], [added(e) for e in [*good, bad]])
    assert store.list_employees("CA", q=None, limit=50, cursor=None).items == []
    store.add_employees(good, [added(e) for e in good])
    assert len(all_pages(store)) == 5


def test_updating_an_employee_bumps_the_version_and_keeps_history(store):
    e = put(store, employee())
    later = e.with_changes({"salary": Decimal("60000.00")}, T0 + timedelta(days=1))
    store.update_employee(later, expected_version=1, entry=changed(e, later))
    got = store.get_employee("CA", e.id)
    assert got.version == 2 and got.salary == Decimal("60000.00")
    history = store.history("CA", e.id)
    assert [h.action for h in history] == ["added", "changed"]
    assert history[1].actor == "bob"
    assert history[1].changes == (FieldChange("salary", "55000.00", "60000.00"),)
    assert history[1].at == T0 + timedelta(days=1)


def test_a_stale_version_is_refused_and_changes_nothing(store):
    e = put(store, employee())
    first = e.with_changes({"role": "Lead"}, T0)
    store.update_employee(first, 1, changed(e, first))
    second = e.with_changes({"role": "Clerk"}, T0)  # computed from version 1
    with pytest.raises(StaleVersion, match="Reload"):
        store.update_employee(second, 1, changed(e, second))
    with pytest.raises(StaleVersion):
        store.delete_employee("CA", e.id, "bob", expected_version=1)
    assert store.get_employee("CA", e.id).role == "Lead"
    assert len(store.history("CA", e.id)) == 2


def test_updating_or_deleting_a_missing_employee_is_not_found(store):
    ghost = employee()
    with pytest.raises(NotFound):
        store.update_employee(ghost, 1, added(ghost))
    with pytest.raises(NotFound):
        store.delete_employee("CA", ghost.id, "bob")


def test_deleting_an_employee_returns_it_and_removes_its_history(store):
    e = put(store, employee())
    assert store.delete_employee("CA", e.id, "bob", expected_version=1) == e
    assert store.get_employee("CA", e.id) is None
    assert store.history("CA", e.id) == []
    with pytest.raises(NotFound):
        store.delete_employee("CA", e.id, "bob")


# tenant isolation ---------------------------------------------------------------------------
def test_an_employee_of_one_state_is_invisible_from_another(store):
    e = put(store, employee("CA"))
    assert store.get_employee("TX", e.id) is None
    assert store.list_employees("TX", q=None, limit=50, cursor=None).items == []
    assert store.list_employees("TX", q="Ada", limit=50, cursor=None).items == []
    assert list(store.iter_employees("TX")) == []
    assert store.history("TX", e.id) == []
    assert list(store.iter_document_refs("TX")) == []
    assert store.is_referenced("TX", e.document.key) is False
    moved = replace(e.with_changes({"role": "Spy"}, T0), state="TX")
    with pytest.raises(NotFound):
        store.update_employee(moved, 1, changed(e, moved))
    with pytest.raises(NotFound):
        store.delete_employee("TX", e.id, "mallory")
    assert store.get_employee("CA", e.id) == e
    assert len(store.history("CA", e.id)) == 1


# listing ------------------------------------------------------------------------------------
def test_pages_are_complete_and_stable_with_duplicate_names(store):
    people = [put(store, employee(first=first, last=last))
              for first, last in [("Ann", "smith"), ("ann", "Smith"), ("Bob", "Smith"),
                                  ("Ann", "SMITH"), ("Zed", "adams"), ("Amy", "Baker"),
                                  ("Ann", "Smith"), ("Éva", "Smith")]]
    pages = all_pages(store)
    assert sorted(e.id for e in pages) == sorted(e.id for e in people)  # each exactly once
    keys = [(e.last_name.lower(), e.first_name.lower(), e.id) for e in pages]
    assert keys == sorted(keys)
    assert [e.last_name for e in pages[:2]] == ["adams", "Baker"]
    assert pages[-1].first_name == "Éva"  # non-ASCII sorts after ASCII letters
    assert all_pages(store) == pages  # the same order every time


def test_a_page_boundary_holds_while_rows_change_around_it(store):
    for name in ["Baker", "Carter", "Dunn", "Evans"]:
        put(store, employee(last=name))
    first = store.list_employees("CA", q=None, limit=2, cursor=None)
    assert [e.last_name for e in first.items] == ["Baker", "Carter"]
    put(store, employee(last="Abbot"))  # lands before the cursor
    store.delete_employee("CA", first.items[1].id, "bob")  # the cursor row itself goes
    rest = store.list_employees("CA", q=None, limit=10, cursor=first.next_cursor)
    assert [e.last_name for e in rest.items] == ["Dunn", "Evans"]
    assert rest.next_cursor is None


@pytest.mark.parametrize("cursor", CRAFTED_CURSORS.values(), ids=CRAFTED_CURSORS.keys())
def test_a_malformed_cursor_is_invalid_input(store, cursor):
    put(store, employee())
    for q in (None, "Ada"):
        with pytest.raises(InvalidInput) as caught:
            store.list_employees("CA", q=q, limit=10, cursor=cursor)
        assert caught.value.field == "cursor"


@pytest.mark.parametrize(("q", "expected"), [
    ("ada", {"Ada Lovelace"}),
    ("LOVE", {"Ada Lovelace"}),
    ("a lo", {"Ada Lovelace"}),
    ("engineer", {"Grace Hopper", "Margaret Hamilton"}),
    ("ham", {"Margaret Hamilton"}),
    ("100%", {"Per Cent"}),
    ("_", set()),
    ("nobody", set()),
])
def test_search_matches_names_full_name_and_role_ignoring_case(store, q, expected):
    put(store, employee(first="Ada", last="Lovelace", role="Analyst"))
    put(store, employee(first="Grace", last="Hopper", role="Senior Engineer"))
    put(store, employee(first="Margaret", last="Hamilton", role="engineer"))
    put(store, employee(first="Per", last="Cent", role="Tax 100% officer"))
    put(store, employee("TX", first="Ada", last="Texan", role="engineer"))
    found = store.list_employees("CA", q=q, limit=50, cursor=None).items
    assert {f"{e.first_name} {e.last_name}" for e in found} == expected


def test_search_paginates(store):
    for i in range(7):
        put(store, employee(first=f"Match{i}", role="Clerk"))
        put(store, employee(first=f"Other{i}", role="Judge"))
    found = all_pages(store, q="clerk")
    assert sorted(e.first_name for e in found) == [f"Match{i}" for i in range(7)]


def test_synthetic_records_can_be_hidden(store):
    real = put(store, employee(first="Real"))
    canary = put(store, employee(first="Canary", synthetic=True))
    assert {e.id for e in all_pages(store)} == {real.id, canary.id}
    assert [e.id for e in all_pages(store, include_synthetic=False)] == [real.id]


def test_iter_employees_streams_every_employee_of_the_state(store):
    people = [put(store, employee(first=f"P{i}")) for i in range(5)]
    put(store, employee("TX"))
    assert sorted(e.id for e in store.iter_employees("CA")) == sorted(e.id for e in people)


# erasure support ----------------------------------------------------------------------------
def test_document_refs_come_in_key_order_and_only_for_the_state(store):
    people = [put(store, employee()) for _ in range(6)] + [put(store, employee(document=False))]
    put(store, employee("TX"))
    refs = list(store.iter_document_refs("CA"))
    assert refs == sorted((e.document.key, e.id) for e in people if e.document)
    assert store.is_referenced("CA", people[0].document.key)
    assert not store.is_referenced("CA", "no/such.pdf")


def test_deleting_an_employee_records_an_erasure_intent(store, recorded_changes):
    e = put(store, employee())
    store.delete_employee("CA", e.id, "bob")
    [change] = recorded_changes()
    assert (change.state, change.employee_id, change.reason, change.actor) == (
        "CA", e.id, "record-deleted", "bob")
    assert change.old == e.document and change.new is None
    assert change.requested_at.tzinfo is not None
    uuid.UUID(change.change_id)


def test_a_delete_for_an_erasure_request_gives_its_intent_that_reason(store, recorded_changes):
    e = put(store, employee())
    store.delete_employee("CA", e.id, "user:counsel", reason="erasure-request")
    [change] = recorded_changes()
    assert (change.employee_id, change.reason, change.actor) == (
        e.id, "erasure-request", "user:counsel")


def test_deleting_an_employee_without_a_document_records_no_intent(store, recorded_changes):
    e = put(store, employee(document=False))
    store.delete_employee("CA", e.id, "bob")
    assert recorded_changes() == []


def test_replacing_a_document_records_the_old_and_new_reference(store, recorded_changes):
    e = put(store, employee())
    new_doc = DocumentRef.new(e.id, 99, "b" * 64)
    after = replace(e, document=new_doc, version=2, updated_at=T0 + timedelta(hours=1))
    store.update_employee(after, 1, HistoryEntry(e.id, "CA", "document-replaced", "bob",
                                                 after.updated_at))
    [change] = recorded_changes()
    assert change.reason == "document-replaced"
    assert change.old == e.document
    assert (change.new.id, change.new.key) == (new_doc.id, new_doc.key)
    assert store.is_referenced("CA", new_doc.key) and not store.is_referenced("CA", e.document.key)


def test_a_plain_field_update_records_no_intent(store, recorded_changes):
    e = put(store, employee())
    after = e.with_changes({"role": "Lead"}, T0)
    store.update_employee(after, 1, changed(e, after))
    assert recorded_changes() == []


def test_offboarding_a_state_records_one_intent_per_document(store, recorded_changes):
    with_docs = [put(store, employee()) for _ in range(3)]
    put(store, employee(document=False))
    put(store, employee("TX"))
    store.remove_state("CA", "admin")
    changes = recorded_changes()
    assert {c.reason for c in changes} == {"state-offboarded"}
    assert sorted(c.old.key for c in changes) == sorted(e.document.key for e in with_docs)
    assert len({c.change_id for c in changes}) == 3
    assert all(c.state == "CA" and c.actor == "admin" for c in changes)


def test_an_import_adds_and_deletes_and_queues_the_deleted_document(store, recorded_changes):
    old = put(store, employee(last="Leaving"))
    new = employee(last="Joining", document=False)
    store.apply_import("CA", [ImportBatch([new], [added(new)], [old.id])], "importer")
    assert [e.last_name for e in all_pages(store)] == ["Joining"]
    [change] = recorded_changes()
    assert (change.reason, change.old.key, change.actor) == (
        "record-deleted", old.document.key, "importer")


def test_an_import_separates_existing_employees_with_their_history(store, recorded_changes):
    from humangov.personnel.service import separation

    staying = put(store, employee(last="Staying"))
    leaving = put(store, employee(last="Leaving"))
    left, entry = separation(leaving, date(2026, 6, 30), "resigned", "importer",
                             leaving.updated_at)
    store.apply_import("CA", [ImportBatch([], [], separations=[(left, entry)])], "importer")
    stored = store.get_employee("CA", leaving.id)
    assert (stored.separated_on, stored.separation_reason, stored.version) == (
        date(2026, 6, 30), "resigned", leaving.version + 1)
    assert store.history("CA", leaving.id)[-1].action == "separated"
    assert store.get_employee("CA", staying.id).separated_on is None
    assert recorded_changes() == []  # the document stays


def test_an_import_whose_rows_fail_part_way_applies_nothing(store, recorded_changes):
    kept = put(store, employee(last="Kept"))
    first = employee(last="First", document=False)

    def batches():
        yield ImportBatch([first], [added(first)], [kept.id])
        raise InvalidInput("line 9: salary cannot be negative.")

    with pytest.raises(InvalidInput):
        store.apply_import("CA", batches(), "importer")
    assert [e.last_name for e in all_pages(store)] == ["Kept"]
    assert recorded_changes() == []


def test_document_key_chunks_are_the_referenced_keys_in_order_and_owners_name_their_records(store):
    # GIVEN employees with and without documents, and one in another state
    people = [put(store, employee()) for _ in range(7)] + [put(store, employee(document=False))]
    put(store, employee("TX"))
    # WHEN the referenced keys are read in chunks
    chunks = list(store.iter_document_key_chunks("CA"))
    # THEN they are the state's keys, sorted across chunks, and owners resolve back to records
    expected = sorted(e.document.key for e in people if e.document)
    assert [k for c in chunks for k in c] == expected and all(chunks)
    first = next(e for e in people if e.document and e.document.key == expected[0])
    assert store.document_owners("CA", [expected[0], "no/such.pdf"]) == [(expected[0], first.id)]
    assert store.document_owners("TX", [expected[0]]) == []
    assert list(store.iter_document_key_chunks("NV")) == []


def test_document_key_chunks_within_bounds_hold_exactly_the_keys_from_start_up_to_stop(store):
    # GIVEN documents in two states
    people = [put(store, employee()) for _ in range(8)]
    put(store, employee("TX"))
    keys = sorted(e.document.key for e in people)

    def between(start=None, stop=None):
        chunks = [c for c in store.iter_document_key_chunks("CA", start=start, stop=stop) if c]
        return [k for c in chunks for k in c]

    # WHEN read between bounds, THEN the keys are start <= key < stop, sorted, of the state only
    assert between() == keys
    assert between(keys[2], keys[5]) == keys[2:5]
    assert between(start=keys[6]) == keys[6:]
    assert between(stop=keys[1]) == keys[:1]
    assert between(keys[3][:4] + "\uffff", None) == [k for k in keys if k > keys[3][:4] + "\uffff"]
    assert between(keys[5], keys[5]) == []


# search -------------------------------------------------------------------------------------
def names(found: list[Employee]) -> list[str]:
    return [f"{e.first_name} {e.last_name}" for e in found]


def search(store, q, state="CA", **kwargs) -> list[str]:
    return names(store.list_employees(state, q=q, limit=50, cursor=None, **kwargs).items)


def test_search_ignores_case_accents_apostrophes_and_hyphens(store):
    put(store, employee(first="José", last="Núñez"))
    put(store, employee(first="Siobhán", last="O'Brien"))
    put(store, employee(first="Anne", last="Smith-Jones"))
    put(store, employee(first="Ｔｏｍ", last="Straße"))  # fullwidth letters fold by NFKD
    for q in ("jose", "JOSE", "José", "nunez", "NÚÑ"):
        assert search(store, q) == ["José Núñez"], q
    for q in ("obrien", "O'Brien", "o’bri", "siobhan"):
        assert search(store, q) == ["Siobhán O'Brien"], q
    for q in ("jones", "smith-jo", "Smith Jones"):
        assert search(store, q) == ["Anne Smith-Jones"], q
    assert search(store, "tom strass") == ["Ｔｏｍ Straße"]
    assert search(store, "'-") == []


def test_search_words_each_begin_a_name_or_role_word_in_any_order(store):
    put(store, employee(first="Ada", last="Lovelace", role="Analyst"))
    put(store, employee(first="Grace", last="Lovelace", role="Engineer"))
    put(store, employee(first="Ada", last="Byron", role="Senior Analyst"))
    assert search(store, "Ada Lov") == ["Ada Lovelace"]
    assert search(store, "Lovelace A") == ["Ada Lovelace"]
    assert search(store, "lovelace analyst") == ["Ada Lovelace"]
    assert search(store, "Analyst") == ["Ada Byron", "Ada Lovelace"]
    assert search(store, "nalyst") == []  # prefixes, not substrings
    assert search(store, "Ada Hopper") == []


def test_search_ranks_last_names_then_first_names_then_roles(store):
    put(store, employee(first="Zed", last="Adams", role="Love counsellor"))
    put(store, employee(first="Lovisa", last="Berg"))
    put(store, employee(first="Byron", last="Lovelace"))
    put(store, employee(first="Ada", last="Lovelace"))
    put(store, employee(first="Eve", last="Loveday"))
    put(store, employee(first="Max", last="Lov"))
    put(store, employee(first="Lovis", last="Lovett", role="Lover"))  # listed once, at its best
    assert search(store, "lov") == ["Max Lov", "Eve Loveday", "Ada Lovelace", "Byron Lovelace",
                                    "Lovis Lovett", "Lovisa Berg", "Zed Adams"]


def test_search_pages_in_rank_order_and_a_boundary_holds_while_rows_change(store):
    for i in range(5):
        put(store, employee(first=f"F{i}", last=f"Clerkson{i}", role="Judge"))
        put(store, employee(first=f"Clerk{i}", last="Zu", role="Judge"))
        put(store, employee(first=f"R{i}", last="Ash", role="Clerk"))
    everything = search(store, "clerk")
    assert len(everything) == 15
    assert names(all_pages(store, q="clerk")) == everything
    first = store.list_employees("CA", q="clerk", limit=4, cursor=None)
    put(store, employee(first="A", last="Clerk"))  # sorts before the boundary
    rest = store.list_employees("CA", q="clerk", limit=50, cursor=first.next_cursor).items
    assert names(first.items) + names(rest) == everything


def test_search_sees_edits_and_deletes_at_once(store):
    e = put(store, employee(first="Ada", last="Lovelace"))
    later = e.with_changes({"last_name": "Byron"}, T0 + timedelta(days=1))
    store.update_employee(later, expected_version=1, entry=changed(e, later))
    assert search(store, "lovelace") == []
    assert search(store, "byr") == ["Ada Byron"]
    assert store.list_employees("CA", q="byr", limit=5, cursor=None).items[0].version == 2
    store.delete_employee("CA", e.id, "alice")
    assert search(store, "byr") == [] and search(store, "ada") == []


def test_search_can_hide_synthetic_records_and_keeps_states_apart(store):
    put(store, employee(first="Real", last="Person"))
    put(store, employee(first="Canary", last="Person", synthetic=True))
    put(store, employee("TX", first="Texan", last="Person"))
    assert search(store, "person") == ["Canary Person", "Real Person"]
    assert search(store, "person", include_synthetic=False) == ["Real Person"]
    assert search(store, "person", state="TX") == ["Texan Person"]
    store.remove_state("TX", "admin")
    assert search(store, "person", state="TX") == []


def test_a_listing_cursor_sent_with_a_search_starts_the_search_over(store):
    for i in range(3):
        put(store, employee(first=f"Ada{i}", last="Lovelace"))
    listing = store.list_employees("CA", q=None, limit=1, cursor=None)
    found = store.list_employees("CA", q="ada", limit=5, cursor=listing.next_cursor).items
    assert names(found) == ["Ada0 Lovelace", "Ada1 Lovelace", "Ada2 Lovelace"]
