"""The user lifecycle over the API: what a state admin may do to whom, and that disabling,
removing and changing a role take effect at the next request."""

from __future__ import annotations

PASSWORD = "a long enough password"


def owned_token(container, user):
    token, _ = container.accounts.create_token("viewer", "CA", owner=user.id)
    return {"Authorization": f"Bearer {token}"}


def test_a_state_admin_sees_and_adds_only_its_states_users(client, container, callers):
    container.accounts.add_user("tx@example.gov", PASSWORD, "editor", "TX")
    r = client.post("/api/v1/users", headers=callers.ca_state_admin,
                    json={"email": "New@Example.gov", "role": "editor", "state": "CA"})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["email"] == "new@example.gov" and len(created["password"]) >= 12
    listed = client.get("/api/v1/users", headers=callers.ca_state_admin).json()
    assert [u["email"] for u in listed] == ["new@example.gov"]
    everyone = client.get("/api/v1/users", headers=callers.admin).json()
    assert {u["email"] for u in everyone} == {"new@example.gov", "tx@example.gov"}
    # the generated password logs in
    assert container.accounts.authenticate("new@example.gov", created["password"]).role == "editor"


def test_a_state_admin_cannot_make_a_platform_admin_or_touch_tx(client, container, callers):
    ca = container.accounts.add_user("ca@example.gov", PASSWORD, "viewer", "CA")
    tx = container.accounts.add_user("tx@example.gov", PASSWORD, "viewer", "TX")
    admin = container.accounts.add_user("root@example.gov", PASSWORD, "admin")
    h = callers.ca_state_admin
    r = client.post("/api/v1/users", headers=h, json={"email": "x@example.gov", "role": "admin"})
    assert r.status_code == 403 and "platform admins" in r.json()["detail"]
    r = client.post("/api/v1/users", headers=h,
                    json={"email": "x@example.gov", "role": "editor", "state": "TX"})
    assert r.status_code == 404
    assert client.patch(f"/api/v1/users/{ca.id}", headers=h,
                        json={"role": "admin"}).status_code == 403
    assert client.patch(f"/api/v1/users/{ca.id}", headers=h,
                        json={"role": "editor", "state": "TX"}).status_code == 404
    for target in (tx, admin):
        assert client.patch(f"/api/v1/users/{target.id}", headers=h,
                            json={"disabled": True}).status_code == 404
        assert client.delete(f"/api/v1/users/{target.id}", headers=h).status_code == 404
    assert [u for u in container.accounts.list_users() if u.email != "ca@example.gov"] == [
        admin, tx]
    assert container.accounts.get_user(ca.id) == ca


def test_a_disabled_users_token_stops_at_once_and_works_again_when_enabled(
    client, container, callers
):
    user = container.accounts.add_user("ca@example.gov", PASSWORD, "editor", "CA")
    mine = owned_token(container, user)
    assert client.get("/api/v1/states/CA/employees", headers=mine).status_code == 200
    r = client.patch(f"/api/v1/users/{user.id}", headers=callers.ca_state_admin,
                     json={"disabled": True})
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert client.get("/api/v1/states/CA/employees", headers=mine).status_code == 401
    client.patch(f"/api/v1/users/{user.id}", headers=callers.admin, json={"disabled": False})
    assert client.get("/api/v1/states/CA/employees", headers=mine).status_code == 200
    assert client.delete(f"/api/v1/users/{user.id}", headers=callers.admin).status_code == 204
    assert client.get("/api/v1/states/CA/employees", headers=mine).status_code == 401


def test_a_role_change_takes_effect_at_the_next_request(client, container, callers, add_employee):
    user = container.accounts.add_user("ca@example.gov", PASSWORD, "editor", "CA")
    mine = owned_token(container, user)
    e = add_employee(headers=mine)
    client.patch(f"/api/v1/users/{user.id}", headers=callers.admin,
                 json={"role": "viewer", "state": "CA"})
    assert client.delete(f"/api/v1/states/CA/employees/{e['id']}", headers=mine).status_code == 403
    client.patch(f"/api/v1/users/{user.id}", headers=callers.admin,
                 json={"role": "editor", "state": "TX"})
    assert client.get(f"/api/v1/states/CA/employees/{e['id']}", headers=mine).status_code == 404


def test_the_last_platform_admin_stays(client, container, callers):
    admin = container.accounts.add_user("root@example.gov", PASSWORD, "admin")
    for method, body in (("PATCH", {"disabled": True}), ("PATCH", {"role": "viewer",
                                                                  "state": "CA"}),
                         ("DELETE", None)):
        r = client.request(method, f"/api/v1/users/{admin.id}", headers=callers.admin,
                           json=body)
        assert r.status_code == 409 and "last enabled platform admin" in r.json()["detail"]
    assert container.accounts.get_user(admin.id) == admin
