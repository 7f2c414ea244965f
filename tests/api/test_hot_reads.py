"""The two hottest reads (one employee, a page of employees) are answered before the middleware
stack when they succeed (web.app.HotReads, api.hot_read). Whichever way a request goes,
its answer must be the one the stack and the routes give: status, headers and body."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from humangov.web.routes import api

LISTING = "/api/v1/states/CA/employees"


@pytest.fixture
def through_the_stack(client):
    """The same app, every request through the middleware stack and the routes."""

    async def stack_only(scope, receive, send):
        scope["app"] = client.app
        await client.app.middleware_stack.app(scope, receive, send)  # behind HotReads

    return TestClient(stack_only, raise_server_exceptions=False)


@pytest.fixture
def hot(monkeypatch):
    """What api.hot_read answered, per request it was asked: a status, or None (the stack
    answered)."""
    answered: list[int | None] = []
    real = api.hot_read

    async def spy(scope, match):
        response = await real(scope, match)
        answered.append(None if response is None else response.status_code)
        return response

    monkeypatch.setattr(api, "hot_read", spy)
    return answered


def requests_of(employee_id: str, viewer: dict, editor_tx: dict) -> list[tuple[str, dict, dict]]:
    return [
        # successes: the hot path
        (LISTING, {}, viewer),
        (LISTING, {"limit": 1, "total": "true"}, viewer),
        (LISTING, {"q": "ada lov", "limit": 2}, viewer),
        (LISTING, {"sort": "salary", "descending": "true", "role": "analyst"}, viewer),
        (f"{LISTING}/{employee_id}", {}, viewer),
        ("/api/v1/states/ca/employees", {}, viewer),  # a code as typed
        # failures: the stack answers them
        (LISTING, {"limit": "many"}, viewer),
        (LISTING, {"cursor": "not/base64"}, viewer),
        (LISTING, {}, {}),
        (LISTING, {}, {"Authorization": "Bearer nonsense"}),
        (LISTING, {}, editor_tx),  # another state's editor: 404, as isolation requires
        ("/api/v1/states/ZZ/employees", {}, viewer),
        ("/api/v1/states/CALIFORNIA/employees", {}, viewer),  # longer than a code: not hot
        (f"{LISTING}/nobody", {}, viewer),
    ]


def test_hot_reads_answer_as_the_stack_does(client, through_the_stack, callers, add_employee,
                                            hot):
    # GIVEN employees in CA
    ada = add_employee()
    add_employee(first_name="Grace", last_name="Hopper", role="Engineer", salary="91000")
    add_employee(first_name="Ada", last_name="Lovelace-Byron", salary="70000")
    for path, params, headers in requests_of(ada["id"], callers.ca_viewer, callers.tx_editor):
        # WHEN the same request is sent to the app and straight through the stack
        hot.clear()
        fast = client.get(path, params=params, headers=headers)
        slow = through_the_stack.get(path, params=params, headers=headers)
        # THEN the answers are the same, and only successes were answered before the stack
        assert (fast.status_code, fast.content) == (slow.status_code, slow.content), path
        assert sorted(fast.headers.multi_items()) == sorted(slow.headers.multi_items()), path
        asked = [200 if fast.status_code == 200 else None] if api.HOT_READ.fullmatch(path) else []
        assert hot == asked, (path, params, fast.text)
        assert fast.headers["cache-control"] == "no-store"


def test_a_head_request_is_answered_as_the_get_without_a_body(client, callers, add_employee,
                                                              hot):
    add_employee()
    got = client.get(LISTING, headers=callers.ca_viewer)
    head = client.head(LISTING, headers=callers.ca_viewer)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    assert client.head(LISTING).status_code == 401  # through the stack, as before
    assert hot == [200, 200, None]


def test_other_paths_go_through_the_stack(client, callers, add_employee, hot):
    add_employee()
    for path in (f"{LISTING}/", "/api/v1/states", f"{LISTING}/x/history", "/api/v1/states/CA"):
        answer = client.get(path, headers=callers.ca_viewer, follow_redirects=False)
        assert answer.status_code != 500, path
    assert hot == []  # not hot reads: never asked, never given a turn
