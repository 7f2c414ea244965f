"""Legal holds in the browser and over the API: a state admin places and releases them; the
erasures a hold keeps wait as `held` on the page, in the API and on /metrics."""

from __future__ import annotations

import io

from tests.conftest import PDF
from tests.web.conftest import form_post

HOLDS = "/states/CA/holds"


def hire(c):
    return c.personnel.add_employee("CA", {"first_name": "Ada", "last_name": "Lovelace",
                                           "role": "Clerk", "salary": "50000"},
                                    io.BytesIO(PDF), "hr")


def test_a_state_admin_places_a_hold_sees_the_waiting_erasure_and_releases_it(
        users, web_container):
    c = web_container
    e = hire(c)
    assert HOLDS in users.ca_state_admin.get("/states/CA").text
    r = form_post(users.ca_state_admin, HOLDS, HOLDS, matter="Doe v. California",
                  employee_ids=e.id)
    assert r.status_code == 303 and r.headers["location"] == HOLDS
    [hold] = [h for h in c.holds.list(_admin(), "CA") if h.active]
    assert hold.employee_ids == (e.id,) and hold.placed_by == "user:ca.admin@example.gov"
    c.personnel.delete_employee("CA", e.id, "hr")
    c.erasures.worker("web@test").drain()

    page = users.ca_state_admin.get(HOLDS).text
    assert "Doe v. California" in page and "in force" in page and "record-deleted" in page
    assert "humangov_erasure_held 1.0" in users.admin.get("/metrics").text
    api = users.ca_state_admin.get("/api/v1/states/CA/holds").json()
    assert [w["employee_id"] for w in api["held_erasures"]] == [e.id]

    r = form_post(users.ca_state_admin, HOLDS, f"{HOLDS}/{hold.id}/release")
    assert r.status_code == 303
    c.erasures.worker("web@test").drain()
    assert c.blobs.stat("CA", e.document.key) is None
    assert "humangov_erasure_held 0.0" in users.admin.get("/metrics").text
    assert "released" in users.ca_state_admin.get(HOLDS).text


def test_the_hold_form_shows_what_is_wrong_next_to_the_field(users):
    r = form_post(users.ca_state_admin, HOLDS, HOLDS, matter="Doe", employee_ids="nobody")
    assert r.status_code == 404 and "No employee nobody in CA" in r.text


def test_only_state_admins_and_platform_admins_see_or_place_holds(users):
    assert users.ca_editor.get(HOLDS).status_code == 403
    other_state = users.tx_editor.get(HOLDS)  # a person is told, as on every state page
    assert other_state.status_code == 403 and "do not have access to CA" in other_state.text
    assert users.admin.get(HOLDS).status_code == 200
    assert HOLDS not in users.ca_editor.get("/states/CA").text


def test_the_api_places_reads_and_releases_a_whole_state_hold(users, web_container):
    api = users.admin
    token = _api_csrf(api)
    r = api.post("/api/v1/states/TX/holds", json={"matter": "Federal audit"}, headers=token)
    assert r.status_code == 201, r.text
    hold = r.json()
    assert (hold["employee_ids"], hold["active"]) == ([], True)
    assert web_container.holds.held("TX", "anyone").id == hold["id"]
    assert api.get(f"/api/v1/states/TX/holds/{hold['id']}").json()["matter"] == "Federal audit"
    r = api.post(f"/api/v1/states/TX/holds/{hold['id']}/release", headers=token)
    assert r.status_code == 200 and r.json()["released_by"] == "user:admin@example.gov"
    r = api.post(f"/api/v1/states/TX/holds/{hold['id']}/release", headers=token)
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert api.post("/api/v1/states/TX/holds", json={"matter": ""},
                    headers=token).status_code == 422


def _admin():
    from humangov.domain.auth import SYSTEM

    return SYSTEM


def _api_csrf(client) -> dict:
    from tests.web.conftest import csrf_of

    return {"x-csrf-token": csrf_of(client.get(HOLDS).text)}
