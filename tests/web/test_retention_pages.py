"""Separation and the retention schedule in the browser: an editor separates an employee from
their page, the list shows them only under "Separated employees", a state admin sets the
schedule (errors kept next to the field), and the page names what is past its date."""

from __future__ import annotations

import io

from humangov.domain.auth import Principal
from tests.conftest import PDF
from tests.web.conftest import form_post

RETENTION = "/states/CA/retention"


def hire(c, last_name="Lovelace"):
    return c.personnel.add_employee("CA", {"first_name": "Ada", "last_name": last_name,
                                           "role": "Clerk", "salary": "50000"},
                                    io.BytesIO(PDF), "hr")


def test_an_editor_separates_an_employee_who_then_leaves_the_default_list(users, web_container):
    e = hire(web_container)
    page = f"/states/CA/employees/{e.id}"
    assert f"{page}/separate" in users.ca_editor.get(page).text
    refused = form_post(users.ca_editor, f"{page}/separate", f"{page}/separate",
                        separated_on="someday", reason="resigned")
    assert refused.status_code == 422 and 'value="resigned"' in refused.text
    r = form_post(users.ca_editor, f"{page}/separate", f"{page}/separate",
                  separated_on="2026-06-30", reason="resigned")
    assert r.status_code == 303 and r.headers["location"] == page
    assert "2026-06-30 (resigned)" in users.ca_viewer.get(page).text
    assert "Lovelace" not in users.ca_viewer.get("/states/CA").text
    assert "Lovelace" in users.ca_viewer.get("/states/CA?separated=true").text
    assert users.ca_viewer.get(f"{page}/separate").status_code == 403


def test_a_state_admin_sets_the_schedule_and_sees_what_is_past_its_date(users, web_container):
    e = hire(web_container)
    web_container.personnel.separate_employee("CA", e.id, "2001-01-31", "retired", "hr")
    assert "kept for ever" in users.ca_viewer.get(RETENTION).text
    assert "Change the schedule" not in users.ca_editor.get(RETENTION).text
    bad = form_post(users.ca_state_admin, RETENTION, RETENTION, document_years="0",
                    record_years="7")
    assert bad.status_code == 422 and 'value="7"' in bad.text
    r = form_post(users.ca_state_admin, RETENTION, RETENTION, document_years="3",
                  record_years="")
    assert r.status_code == 303
    page = users.ca_viewer.get(RETENTION).text
    assert "3 years after separation" in page and "ca.admin@example.gov" in page
    assert e.id in page and "2004-01-31" in page  # its document, past its date
    editor = form_post(users.ca_editor, RETENTION, RETENTION, document_years="1",
                       record_years="1")
    assert editor.status_code == 403


def test_the_compliance_report_page_shows_the_schedule_and_what_is_past_its_date(
        users, web_container):
    admin = users.ca_state_admin
    web_container.retention.set("CA", 2, 9, Principal("user:counsel-test", "admin", None))
    e = hire(web_container, "Overdue")
    web_container.personnel.separate_employee("CA", e.id, "2002-03-15", "retired", "hr")
    report = admin.get("/states/CA/compliance")
    assert report.status_code == 200
    section = report.text.split("<h2>Retention</h2>")[1].split("<h2>")[0]
    assert "2 years" in section and "9 years" in section
    row = section.split(e.id)[1].split("</tr>")[0]
    assert "the record (with its document)" in row and "2011-03-15" in row
    web_container.retention.run(["CA"])
    after = admin.get("/states/CA/compliance").text.split("<h2>Retention</h2>")[1]
    assert e.id not in after.split("<h2>")[0]
    assert "None. Nothing is past its date" in after
