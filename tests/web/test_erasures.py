"""The erasure receipts (API and page) and the dead-letter page, through the real app: real
users logged in with a session, real bearer tokens, the real CSRF check."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.erasure.test_outbox_and_ledger import _receipt
from tests.web.conftest import csrf_of


@pytest.fixture(scope="module", autouse=True)
def receipts(web_container):
    """Three receipts in CA, one in TX, and one of a canary's synthetic record in CA."""
    web_container.ledger.append([_receipt(n) for n in range(3)] + [_receipt(7, "TX")]
                                + [replace(_receipt(5), synthetic=True)])


@pytest.fixture
def bearer(web_container):
    def make(role, state=None):
        token, _ = web_container.accounts.create_token(role, state)
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def dead_letter(web_container, add_employee):
    """A deleted employee's document whose every erasure attempt failed; afterwards the
    outbox is left empty."""
    outbox, later = web_container.outbox, datetime.now(UTC) + timedelta(days=1)
    e = add_employee()
    web_container.personnel.delete_employee("CA", e.id, "user:test")
    [intent] = outbox.claim("w", 1, later, 60)
    outbox.fail(intent.id, "w", "disk on fire", None)
    yield intent
    outbox.retry_dead()
    for i in outbox.claim("cleanup", 100, later, 60):
        outbox.complete([i.id], "cleanup")


def shows(key, page):
    """Whether the page lists a receipt's key (a bare "k5" can turn up in a random CSRF token)."""
    return f"<code>{key}</code>" in page.text


def test_the_erasures_api_pages_receipts_newest_first(users, bearer):
    ca_viewer = bearer("viewer", "CA")
    api = users.nobody
    first = api.get("/api/v1/states/ca/erasures", params={"limit": 2}, headers=ca_viewer).json()
    assert [r["key"] for r in first["items"]] == ["k2", "k1"]
    rest = api.get("/api/v1/states/CA/erasures", params={"cursor": first["next_cursor"]},
                   headers=ca_viewer).json()
    assert [r["key"] for r in rest["items"]] == ["k0"] and rest["next_cursor"] is None


def test_another_states_receipts_are_out_of_reach(users, bearer):
    # The API answers as for a state that does not exist; the page says it is not yours.
    r = users.nobody.get("/api/v1/states/TX/erasures", headers=bearer("viewer", "CA"))
    assert r.status_code == 404 and "k7" not in r.text
    r = users.ca_editor.get("/states/TX/erasures")
    assert r.status_code == 403 and not shows("k7", r) and "no access" in r.text.lower()
    r = users.tx_editor.get("/states/CA/erasures")
    assert r.status_code == 403 and not shows("k2", r)


def test_the_erasures_page_lists_receipts(users):
    page = users.ca_viewer.get("/states/CA/erasures")
    assert page.status_code == 200 and shows("k2", page) and not shows("k7", page)


def test_the_erasures_page_counts_canary_erasures_apart_and_lists_them_on_request(
    users, web_container
):
    own = users.ca_viewer.get("/states/CA/erasures")
    assert shows("k2", own) and not shows("k5", own)
    # The container is shared by the module's tests: other canary erasures may be counted.
    canaries = web_container.erasures.synthetic_count("CA")
    assert canaries >= 1
    assert f"Synthetic (canary) erasures: <strong>{canaries}</strong>" in own.text
    assert 'href="?synthetic=true"' in own.text
    canary = users.ca_viewer.get("/states/CA/erasures", params={"synthetic": "true"})
    assert canary.status_code == 200 and shows("k5", canary) and not shows("k2", canary)


def test_the_erasures_page_asks_a_stranger_to_log_in(users):
    r = users.nobody.get("/states/CA/erasures", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_dead_letter_is_listed_and_requeued_from_the_page(users, web_container, dead_letter):
    woken = []
    web_container.change_listeners.append(lambda: woken.append(True))
    try:
        page = users.admin.get("/erasure/dead-letters")
        assert page.status_code == 200 and "disk on fire" in page.text
        form = {"csrf_token": csrf_of(page.text), "intent_id": str(dead_letter.id)}
        resp = users.admin.post("/erasure/dead-letters/retry", data=form, follow_redirects=False)
    finally:
        web_container.change_listeners.pop()
    assert resp.status_code == 303 and resp.headers["location"] == "/erasure/dead-letters"
    assert web_container.outbox.dead_letters() == [] and web_container.outbox.pending_count() == 1
    assert woken  # the in-process worker is told at once


@pytest.mark.parametrize("who", ["ca_viewer", "ca_editor", "tx_editor"])
def test_only_a_platform_admin_sees_the_dead_letters(users, dead_letter, who):
    r = getattr(users, who).get("/erasure/dead-letters")
    assert r.status_code == 403 and "disk on fire" not in r.text


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_retry_without_the_forms_csrf_token_is_refused(users, web_container, dead_letter, token):
    data = {"intent_id": str(dead_letter.id)}
    if token is not None:
        data["csrf_token"] = token
    r = users.admin.post("/erasure/dead-letters/retry", data=data, follow_redirects=False)
    assert r.status_code == 403
    assert [d.id for d in web_container.outbox.dead_letters()] == [dead_letter.id]


def test_a_state_editor_cannot_retry_a_dead_letter(users, web_container, dead_letter):
    token = csrf_of(users.ca_editor.get("/states").text)
    r = users.ca_editor.post("/erasure/dead-letters/retry", follow_redirects=False,
                             data={"csrf_token": token, "intent_id": str(dead_letter.id)})
    assert r.status_code == 403
    assert [d.id for d in web_container.outbox.dead_letters()] == [dead_letter.id]


def test_a_state_admin_sees_and_retries_only_its_states_dead_letters(
    users, web_container, dead_letter, add_employee
):
    outbox, later = web_container.outbox, datetime.now(UTC) + timedelta(days=1)
    tx = add_employee("TX", last_name="Texan")
    web_container.personnel.delete_employee("TX", tx.id, "user:test")
    [tx_letter] = outbox.claim("w", 1, later, 60)
    outbox.fail(tx_letter.id, "w", "texas disk on fire", None)
    page = users.ca_state_admin.get("/erasure/dead-letters")
    assert page.status_code == 200 and "disk on fire" in page.text
    assert "texas disk on fire" not in page.text
    token = csrf_of(page.text)
    for intent_id in (str(tx_letter.id), ""):  # TX's by id, then "all"
        r = users.ca_state_admin.post("/erasure/dead-letters/retry", follow_redirects=False,
                                      data={"csrf_token": token, "intent_id": intent_id})
        assert r.status_code == 303
    assert [d.id for d in outbox.dead_letters()] == [tx_letter.id]
