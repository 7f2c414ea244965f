"""Pages and API answers carry names and salaries: none may be kept by a browser or proxy
cache (`Cache-Control: no-store`). Only the static stylesheet is cacheable."""

from __future__ import annotations

import io

import pytest

from tests.conftest import PDF


@pytest.fixture(scope="module")
def employee_id(web_container) -> str:
    return web_container.personnel.add_employee(
        "CA", {"first_name": "Cache", "last_name": "Control", "role": "Clerk", "salary": "1"},
        io.BytesIO(PDF), "user:test").id


@pytest.mark.parametrize("path", [
    "/states", "/states/CA", "/states/CA/employees/{id}", "/states/CA/employees/{id}/edit",
    "/api/v1/states/CA/employees", "/api/v1/states/CA/employees/{id}",
    "/api/v1/states/CA/employees/{id}/history", "/states/XX", "/api/v1/states/XX/employees",
])
def test_every_answer_with_personal_data_says_no_store(users, employee_id, path):
    r = users.ca_editor.get(path.format(id=employee_id), follow_redirects=False)
    assert r.status_code in (200, 303, 404), r.status_code
    assert "no-store" in r.headers.get("cache-control", ""), path


def test_anonymous_answers_say_no_store_and_the_stylesheet_is_cacheable(users):
    assert "no-store" in users.nobody.get("/login").headers["cache-control"]
    assert "no-store" in users.nobody.get("/api/v1/states/CA/employees").headers["cache-control"]
    css = users.nobody.get("/static/humangov.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")
