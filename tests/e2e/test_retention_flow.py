"""Issue 16's "done when", in real Chromium at desktop and phone sizes, axe-checked on every
page: a state admin sets the retention schedule, separates an employee, places a legal hold on
them and releases it; counsel files an erasure request, sees it done with its receipts, and
reads and downloads the compliance report that shows it.

`serve` runs the retention run, the erasure worker and the requests' check in the background
on their own schedules (daily, and as erasures are queued); the tests run the same services on
the same database at the point the flow needs them, so no time has to pass. The separation is
dated years back, which puts its record past the schedule's date with the real clock."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from tests.conftest import PDF
from tests.e2e.browsing import chromium, served, tab  # noqa: F401  (chromium: a fixture)
from tests.e2e.conftest import PASSWORD
from tests.e2e.test_accessibility import SIZES

# One worker runs the module: one server and one browser for all its tests.
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("e2e-retention")]

STATE_ADMIN, COUNSEL = "admin@ca.example.gov", "counsel@ca.example.gov"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    """CA with, per viewport size, an employee who will leave (Harriet Tubman-<size>) and one
    whom a request will concern (Frances Perkins-<size>), each with a scanned document."""
    from humangov.bootstrap import bootstrap
    from humangov.config import Settings

    data = tmp_path_factory.mktemp("retention") / "var"
    container = bootstrap(Settings(environment="test", data_dir=data, monitoring=False))
    container.provision_all_states()
    container.accounts.add_user(STATE_ADMIN, PASSWORD, "state-admin", "CA")
    container.accounts.add_user(COUNSEL, PASSWORD, "counsel", "CA")
    for size in SIZES:
        for first, last in [("Harriet", "Tubman"), ("Frances", "Perkins")]:
            container.personnel.add_employee(
                "CA", {"first_name": first, "last_name": f"{last}-{size}", "role": "Clerk",
                       "salary": "50000"}, io.BytesIO(PDF), "user:seed")
    with served(container) as base:
        yield base, container
    container.close()


def erase_what_is_due(container) -> list[str]:
    """What `serve`'s retention job and erasure worker do in their time: the outcomes."""
    outcomes = [e.outcome for e in container.retention.run(["CA"])]
    container.erasures.worker("test").drain()
    return outcomes


@pytest.mark.parametrize("size", SIZES)
def test_a_state_admin_keeps_holds_and_erases_on_schedule(ca, chromium, size):  # noqa: F811
    from playwright.sync_api import expect

    base, container = ca
    leaver = f"Harriet Tubman-{size}"
    with tab(chromium, base, size, STATE_ADMIN) as t:
        page = t.page
        # GIVEN a schedule of 3 years for documents and 7 for records
        t.follow(page.get_by_role("link", name="retention schedule"))
        t.checked()
        page.get_by_label("Keep documents (years after separation)").fill("3")
        page.get_by_label("Keep records (years after separation)").fill("7")
        t.follow(page.get_by_role("button", name="Save schedule"))
        expect(page.get_by_role("status")).to_have_text("Retention schedule saved.")
        expect(page.locator("dl.facts")).to_contain_text("7 years after separation")

        # WHEN the employee is separated, ten years ago
        page.goto("/states/CA")
        page.get_by_role("searchbox", name="Search by name or role").fill(leaver)
        t.follow(page.get_by_role("button", name="Search"))
        t.follow(page.get_by_role("link", name=f"Tubman-{size}, Harriet"))
        employee_id = page.url.rsplit("/", 1)[1]
        t.follow(page.get_by_role("link", name="Separate employee"))
        t.checked()
        page.get_by_label("Separation date").fill((date.today() - timedelta(days=3660))
                                                  .isoformat())
        page.get_by_label("Reason").fill("retired")
        t.follow(page.get_by_role("button", name="Separate employee"))
        expect(page.locator("dt:text-is('Separated') + dd")).to_contain_text("retired")
        # THEN the list leaves them out, the separated list shows them, and they are past due
        page.goto("/states/CA")
        expect(page.get_by_role("link", name=f"Tubman-{size}, Harriet")).to_have_count(0)
        t.follow(page.get_by_role("link", name="Separated employees"))
        t.checked()
        expect(page.get_by_role("link", name=f"Tubman-{size}, Harriet")).to_be_visible()
        page.goto("/states/CA/retention")
        expect(page.get_by_role("link", name=employee_id)).to_be_visible()

        # WHEN a legal hold covers them
        page.goto("/states/CA")
        t.follow(page.get_by_role("link", name="Legal holds of CA"))
        matter = f"Doe v. California ({size})"
        page.get_by_label("Matter").fill(matter)
        page.get_by_label("Employees").fill(employee_id)
        t.follow(page.get_by_role("button", name="Place hold"))
        t.checked()
        hold = page.locator("tbody tr", has_text=matter)
        expect(hold).to_contain_text("in force")
        # THEN the retention run keeps them
        assert erase_what_is_due(container) == ["held"]
        page.goto(f"/states/CA/employees/{employee_id}")
        expect(page.get_by_role("heading", level=1)).to_have_text(leaver)

        # WHEN the hold is released, THEN the next run erases them, with a receipt
        page.goto("/states/CA/holds")
        t.follow(hold.get_by_role("button", name="Release"))
        expect(hold).to_contain_text("released")
        assert erase_what_is_due(container) == ["erased"]
        response = page.goto(f"/states/CA/employees/{employee_id}")
        assert response is not None and response.status == 404
        page.goto("/states/CA/retention")
        expect(page.get_by_text("None: the goal.")).to_be_visible()
        page.goto("/states/CA/erasures")
        t.checked()
        expect(page.locator("tr", has_text=employee_id).filter(has_text="retention-expired")) \
            .to_have_count(1)
        assert t.problems == {}


@pytest.mark.parametrize("size", SIZES)
def test_counsel_files_a_request_and_downloads_the_report_showing_it_done(ca, chromium,  # noqa: F811
                                                                          size):
    from playwright.sync_api import expect

    base, container = ca
    subject = f"Frances Perkins-{size}"
    with tab(chromium, base, size, COUNSEL) as t:
        page = t.page
        # WHEN counsel files a request for one person
        t.follow(page.get_by_role("link", name="Erasure requests for CA"))
        t.checked()
        page.get_by_label("Whom it concerns").fill(subject)
        page.get_by_label("Legal basis").fill("Cal. Civ. Code § 1798.105")
        page.get_by_label("Due date").fill((date.today() + timedelta(days=30)).isoformat())
        t.follow(page.get_by_role("button", name="File the request"))
        t.checked()
        expect(page.get_by_role("status")).to_contain_text("Filed the erasure request")
        expect(page.locator("dt:text-is('Records in scope') + dd")).to_have_text(
            "1 (1 document)")
        # THEN, once the document is erased and the requests are checked, it is done
        container.erasures.worker("test").drain()
        container.requests.check(["CA"])
        page.reload()
        t.checked()
        expect(page.locator("dt:text-is('Status') + dd strong")).to_have_text("done")
        receipt = page.locator("tbody tr").filter(has_text="erased")
        expect(receipt).to_have_count(1)
        key = receipt.locator("code").inner_text()

        # and the compliance report shows it done with its receipt, in HTML and JSON
        t.follow(page.get_by_role("link", name="All requests of CA"))
        t.follow(page.get_by_role("link", name="compliance report"))
        t.checked()
        row = page.locator("tr", has_text=subject)
        expect(row).to_contain_text("done")
        expect(row).to_contain_text(key)
        expect(page.get_by_role("heading", name="Retention", exact=True)).to_be_visible()
        assert page.get_by_role("link", name="Download the whole report as JSON").is_visible()
        download = page.request.get("/states/CA/compliance.json")
        assert download.headers["content-disposition"] == \
            'attachment; filename="compliance-CA.json"'
        report = download.json()
        (done,) = [q for q in report["requests"] if q["subject"] == subject]
        assert done["status"] == "done" and [r["key"] for r in done["receipts"]] == [key]
        assert {"schedule", "past_due"} <= report["retention"].keys()
        assert t.problems == {}
