"""The employee list's orders, role filter, count, previous page and employee numbers over
HTTP, and the listing cache answering each combination of them apart."""

from __future__ import annotations

PATH = "/api/v1/states/CA/employees"


def test_numbers_are_assigned_on_create_and_never_reused(client, callers, add_employee):
    a, b = add_employee(first_name="A"), add_employee(first_name="B")
    assert b["number"] == a["number"] + 1
    assert client.delete(f"{PATH}/{b['id']}", headers={**callers.ca_editor,
                                                       "If-Match": '"1"'}).status_code == 204
    c = add_employee(first_name="C")
    assert c["number"] == b["number"] + 1
    got = client.get(f"{PATH}/{c['id']}", headers=callers.ca_viewer).json()
    assert got["number"] == c["number"]


def test_sort_order_role_total_and_the_previous_page(client, callers, add_employee):
    for i, (role, salary) in enumerate([("Clerk", "300"), ("Judge", "100"), ("clerk", "200"),
                                        ("Clerk", "400")]):
        add_employee(first_name=f"P{i}", last_name="Same", role=role, salary=salary)

    def get(**params):
        r = client.get(PATH, params=params, headers=callers.ca_viewer)
        assert r.status_code == 200, r.text
        return r.json()

    first = get(sort="salary", order="desc", role="CLERK", limit=2, total="true")
    assert [e["salary"] for e in first["items"]] == ["400.00", "300.00"]
    assert first["total"] == 3 and first["prev_cursor"] is None
    second = get(sort="salary", order="desc", role="CLERK", limit=2, cursor=first["next_cursor"])
    assert [e["salary"] for e in second["items"]] == ["200.00"] and "total" not in second
    back = get(sort="salary", order="desc", role="CLERK", limit=2, cursor=second["prev_cursor"])
    assert back["items"] == first["items"]
    by_name = get(limit=10)  # the cache must not answer this with the filtered page
    assert len(by_name["items"]) == 4 and "total" not in by_name


def test_an_unknown_sort_is_refused_with_the_field_named(client, callers):
    r = client.get(PATH, params={"sort": "age"}, headers=callers.ca_viewer)
    assert r.status_code == 422 and "sort" in r.text
