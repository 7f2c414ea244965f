"""Only the canary identity creates synthetic records (left out of lists, exports and
reports): the header or form field from anyone else is ignored, so no editor can hide one."""

from __future__ import annotations

import pytest

from humangov.bootstrap.serve import CANARY_EMAIL, ensure_canary_credentials
from humangov.personnel.importer import export_rows

SYNTHETIC = {"X-HumanGov-Synthetic": "1"}


def listed_last_names(client, headers) -> list[str]:
    r = client.get("/api/v1/states/CA/employees", headers=headers)
    assert r.status_code == 200, r.text
    return [e["last_name"] for e in r.json()["items"]]


@pytest.mark.parametrize("how", ["header", "form field"])
def test_an_editor_cannot_hide_a_record_by_marking_it_synthetic(
    client, callers, add_employee, container, how
):
    # WHEN an editor asks for a synthetic record, by header or by form field
    if how == "header":
        created = add_employee(headers={**callers.ca_editor, **SYNTHETIC}, last_name="Hidden")
    else:
        created = add_employee(headers=callers.ca_editor, last_name="Hidden", synthetic="true")
    # THEN the record is an ordinary one: listed, exported, not synthetic
    assert container.personnel.get_employee("CA", created["id"]).synthetic is False
    assert "Hidden" in listed_last_names(client, callers.ca_viewer)
    assert any("Hidden" in row for row in export_rows(container.personnel, "CA"))


def test_the_canarys_own_token_and_login_are_a_marked_editor_of_its_state(
    client, callers, add_employee, container
):
    # GIVEN the built-in canary's credentials, made for CA
    creds = ensure_canary_credentials(container, "CA")
    canary = container.accounts.principal_for_token(creds.token)
    # THEN it is an editor of CA only (not a platform admin), marked as the canary
    assert (canary.role, canary.state, canary.canary) == ("editor", "CA", True)
    user = container.accounts.authenticate(CANARY_EMAIL, creds.password)
    assert container.accounts.principal_for_user(user.id).canary is True
    # AND what its token creates is synthetic, left out of the state's export
    created = add_employee(headers={"Authorization": f"Bearer {creds.token}", **SYNTHETIC},
                           last_name="Canary")
    assert container.personnel.get_employee("CA", created["id"]).synthetic is True
    assert not any("Canary" in row for row in export_rows(container.personnel, "CA"))
    # AND it cannot write to another state
    other = client.post("/api/v1/states/TX/employees", data={"first_name": "A"},
                        headers={"Authorization": f"Bearer {creds.token}"})
    assert other.status_code == 404
