"""SQLite renders search results as the API's JSON itself (ports.RenderedSearch): they must be
the objects `employee_json` makes, field for field, page after page, on data as odd as users'."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from humangov.web.schemas import employee_json


class Ticking:
    """A clock whose times have microseconds, and sometimes none (isoformat drops a zero)."""

    def __init__(self) -> None:
        self.n = 0

    def now(self) -> datetime:
        self.n += 1
        return datetime(2026, 12, 1, 9, 0, self.n % 60, 0 if self.n % 3 else 123456, tzinfo=UTC)


def test_a_rendered_search_page_is_the_api_object_page_field_for_field(
        client, callers, container, add_employee, monkeypatch):
    monkeypatch.setattr(container.personnel, "clock", Ticking())
    for first, last, role, salary in (
        ("José", "Núñez", "Clerk \"II\"", "0.05"),
        ("Siobhán", "O'Brien", "Engineer\\Lead", "120000.50"),
        ("Ada", "Lovelace-Byron", "Analyst ü", "7"),
        ("Ada", "Lovelace", "🙂 Lead", "99999999.99"),
    ):
        add_employee(first_name=first, last_name=last, role=role, salary=salary)
    plain = container.personnel.add_employee("CA", {
        "first_name": "Ada", "last_name": "Adams", "role": "Ünïcode / slash",
        "salary": Decimal("1.10")}, None, "test")  # no document
    container.personnel.separate_employee("CA", plain.id, date(2026, 11, 30), "resigned",
                                          "test")
    for q in ("ada", "lov", "o'b", "NUNEZ", "ada lov", "lead", "zzz"):
        rendered, objects, cursor = [], [], None
        while True:  # pages of 2, to cross the cursors too
            params = {"q": q, "limit": 2} | ({"cursor": cursor} if cursor else {})
            r = client.get("/api/v1/states/CA/employees", params=params,
                           headers=callers.ca_viewer)
            assert r.status_code == 200, r.text
            page = container.personnel.list_employees("CA", q=q, limit=2, cursor=cursor)
            assert r.json()["next_cursor"] == page.next_cursor
            rendered += r.json()["items"]
            objects += [employee_json(e) for e in page.items]
            if not (cursor := page.next_cursor):
                break
        assert rendered == objects, q
        assert (len(rendered) > 0) == (q != "zzz")
    assert container.personnel.search_json("CA", "ada") is not None  # the path taken above
