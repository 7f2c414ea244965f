"""A cursor the API never gave out answers 422 problem+json naming the cursor, on every
listing: never a 500 from a value the database refuses."""

from __future__ import annotations

import pytest

from tests.contract.crafted import CRAFTED_CURSORS
from tests.contract.test_ledger import receipt

LISTINGS = ["/api/v1/states/CA/employees", "/api/v1/states/CA/erasures"]


@pytest.mark.parametrize("path", LISTINGS)
@pytest.mark.parametrize("cursor", CRAFTED_CURSORS.values(), ids=CRAFTED_CURSORS.keys())
def test_a_crafted_cursor_answers_422_naming_the_cursor(client, callers, add_employee, path,
                                                        cursor):
    add_employee()
    r = client.get(path, params={"cursor": cursor}, headers=callers.admin)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "cursor"


@pytest.mark.parametrize("path", LISTINGS)
def test_the_next_cursor_a_listing_gave_out_is_accepted(client, callers, add_employee, container,
                                                        path):
    add_employee(), add_employee()
    container.ledger.append([receipt(1), receipt(2)])
    first = client.get(path, params={"limit": 1}, headers=callers.admin).json()
    rest = client.get(path, params={"limit": 1, "cursor": first["next_cursor"]},
                      headers=callers.admin)
    assert rest.status_code == 200 and len(rest.json()["items"]) == 1
