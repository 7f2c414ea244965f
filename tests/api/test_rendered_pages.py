"""SQLite renders list pages as the API's JSON itself (ports.RenderedPages): searches and every
order's pages must be the objects `employee_json` makes, field for field, with the same
cursors both ways, on data as odd as users'."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from humangov.web.schemas import EmployeeQuery, employee_json


class Ticking:
    """A clock whose times have microseconds, and sometimes none (isoformat drops a zero)."""

    def __init__(self) -> None:
        self.n = 0

    def now(self) -> datetime:
        self.n += 1
        return datetime(2026, 12, 1, 9, 0, self.n % 60, 0 if self.n % 3 else 123456, tzinfo=UTC)


@pytest.fixture
def odd_people(container, add_employee, monkeypatch):
    monkeypatch.setattr(container.personnel, "clock", Ticking())
    for first, last, role, salary in (
        ("José", "Núñez", "Clerk \"II\"", "0.05"),
        ("Siobhán", "O'Brien", "Engineer\\Lead", "120000.50"),
        ("Ada", "Lovelace-Byron", "Analyst ü", "7"),
        ("Ada", "Lovelace", "🙂 Lead", "99999999.99"),
        ("Zoë", "lovelace", "Clerk \"II\"", "7"),
    ):
        add_employee(first_name=first, last_name=last, role=role, salary=salary)
    for last in ("Adams", "Baker"):
        plain = container.personnel.add_employee("CA", {
            "first_name": "Ada", "last_name": last, "role": "Ünïcode / slash",
            "salary": Decimal("1.10")}, None, "test")  # no document
        container.personnel.separate_employee("CA", plain.id, date(2026, 11, 30), "resigned",
                                              "test")


def walk(client, callers, container, **params) -> tuple[list, list]:
    """Every page of 2, forwards then back from the end, through the API (rendered) and
    through the objects; asserts the cursors agree on the way."""
    rendered, objects, cursor, back = [], [], None, None
    query = EmployeeQuery.model_validate(params)
    while True:
        asked = params | {"limit": 2} | ({"cursor": cursor} if cursor else {})
        r = client.get("/api/v1/states/CA/employees", params=asked, headers=callers.ca_viewer)
        assert r.status_code == 200, r.text
        page = container.personnel.list_employees(
            "CA", q=query.q, limit=2, cursor=cursor, ordering=query.ordering(),
            separated=query.separated)
        body = r.json()
        assert (body["next_cursor"], body["prev_cursor"]) == (page.next_cursor, page.prev_cursor)
        rendered += body["items"]
        objects += [employee_json(e) for e in page.items]
        back = page.prev_cursor or back
        if not (cursor := page.next_cursor):
            break
    while back:  # and back again: the back cursors render the same pages
        r = client.get("/api/v1/states/CA/employees", params=params | {
            "limit": 2, "cursor": back}, headers=callers.ca_viewer).json()
        page = container.personnel.list_employees("CA", limit=2, cursor=back)
        assert r["items"] == [employee_json(e) for e in page.items]
        back = page.prev_cursor
    return rendered, objects


@pytest.mark.parametrize("q", ["ada", "lov", "o'b", "NUNEZ", "ada lov", "lead", "zzz"])
def test_a_rendered_search_is_the_api_object_page_field_for_field(
        client, callers, container, odd_people, q):
    rendered, objects = walk(client, callers, container, q=q)
    assert rendered == objects
    assert (len(rendered) > 0) == (q != "zzz")


@pytest.mark.parametrize("params", [
    {}, {"sort": "name", "order": "desc"}, {"sort": "role"}, {"sort": "role", "order": "desc"},
    {"sort": "salary"}, {"sort": "salary", "order": "desc"}, {"sort": "updated"},
    {"sort": "updated", "order": "desc"}, {"role": 'clerk "ii"'}, {"separated": True},
    {"start": "lov"},
])
def test_a_rendered_list_page_is_the_api_object_page_field_for_field(
        client, callers, container, odd_people, params):
    rendered, objects = walk(client, callers, container, **params)
    assert rendered == objects and rendered
    assert container.personnel.list_employees_json("CA") is not None  # the path taken above
