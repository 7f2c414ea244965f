"""Issue 15's lists, search and small truths, driven by clicks and typing in real Chromium at
desktop and phone sizes over a state of a few hundred employees, axe-checked on every page."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browsing import chromium, served, tab  # noqa: F401  (chromium: a fixture)
from tests.e2e.conftest import PASSWORD
from tests.e2e.test_accessibility import SIZES

# One worker runs the module: one server and one browser for all its tests.
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("e2e-lists")]

LAST = ["Anderson", "Baker", "Carter", "Diaz", "Evans", "Foster", "Garcia", "Hughes", "Ito",
        "Jensen", "Kim", "Lopez", "Morris", "Nguyen", "Ortiz", "Patel"]
FIRST = ["Elizabeth", "James", "Maria", "Robert", "Linda", "Wei", "Aisha", "Omar"]
ROLES = ["Clerk", "Analyst", "Park Ranger", "Judge"]
SEEDED = 320  # a quarter of them judges
STAFF = SEEDED + 3


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    """CA with 323 employees: 320 in four roles, Ada Lovelace, Ada Byron and Zelda Young; a CA
    editor and a platform admin."""
    from humangov.bootstrap import bootstrap
    from humangov.config import Settings

    data = tmp_path_factory.mktemp("lists") / "var"
    container = bootstrap(Settings(environment="test", data_dir=data, monitoring=False))
    container.provision_all_states()
    container.accounts.add_user("admin@example.gov", PASSWORD, "admin")
    container.accounts.add_user("editor@ca.example.gov", PASSWORD, "editor", "CA")
    add = container.personnel.add_employee
    for i in range(SEEDED):
        add("CA", {"first_name": FIRST[i % len(FIRST)], "last_name": LAST[i % len(LAST)],
                   "role": ROLES[i % len(ROLES)], "salary": str(30_000 + 37 * i)},
            None, "user:seed")
    for first, last in [("Ada", "Lovelace"), ("Ada", "Byron"), ("Zelda", "Young")]:
        add("CA", {"first_name": first, "last_name": last, "role": "Mathematician",
                   "salary": "99000"}, None, "user:seed")
    with served(container) as base:
        yield base
    container.close()


def rows(page) -> list[tuple[str, str, str, str]]:
    """The table's rows as shown: (number, "Last, First", role, salary)."""
    return [tuple(cell.strip() for cell in row) for row in page.locator("table.records tbody tr")
            .evaluate_all("rows => rows.map(r => [...r.cells].slice(0, 4)"
                          ".map(c => c.innerText))")]


def salary(shown: str) -> float:
    return float(shown.strip("$").replace(",", ""))


def heading_link(page, label: str):
    return page.locator("table.records thead").get_by_role("link", name=re.compile(f"^{label}"))


@pytest.mark.parametrize("size", SIZES)
def test_hr_staff_search_sort_filter_and_page_through_a_state(state, chromium, size):  # noqa: F811
    from playwright.sync_api import expect

    with tab(chromium, state, size, "admin@example.gov") as t:
        page = t.page
        page.goto("/states/CA")
        t.checked()
        expect(page.locator("p.count")).to_have_text(f"{STAFF} employees")
        first = rows(page)
        assert len(first) == 50 and all(number.isdigit() for number, *_ in first)

        # a last-name prefix, then "First Last-prefix"
        search = page.get_by_role("searchbox", name="Search by name or role")
        search.fill("lovel")
        t.follow(page.get_by_role("button", name="Search"))
        t.checked()
        assert [name for _, name, *_ in rows(page)] == ["Lovelace, Ada"]
        page.get_by_role("searchbox", name="Search by name or role").fill("Ada Lov")
        t.follow(page.get_by_role("button", name="Search"))
        assert [name for _, name, *_ in rows(page)] == ["Lovelace, Ada"]
        number = rows(page)[0][0]
        t.follow(page.get_by_role("link", name="Lovelace, Ada"))
        t.checked()
        expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
        expect(page.locator("dt:text-is('Employee number') + dd")).to_have_text(number)

        # each column both ways, the order shown in the heading
        page.goto("/states/CA")
        for label, key in [("Role", 2), ("Annual salary", 3)]:
            t.follow(heading_link(page, label))
            t.checked()
            up = [salary(r[key]) if key == 3 else r[key] for r in rows(page)]
            assert up == sorted(up)
            expect(page.locator("th[aria-sort='ascending']")).to_contain_text(label)
            t.follow(heading_link(page, label))
            down = [salary(r[key]) if key == 3 else r[key] for r in rows(page)]
            assert down == sorted(down, reverse=True) and down[0] > up[0]
            expect(page.locator("th[aria-sort='descending']")).to_contain_text(label)
        t.follow(heading_link(page, "Last changed"))
        expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Last changed")
        assert rows(page)[0][0] == "1"  # the first added is the longest unchanged
        t.follow(heading_link(page, "Last changed"))
        assert rows(page)[0][1] == "Young, Zelda"

        # one role, with its count; then back to all
        page.get_by_label("Show only the role").fill("judge")
        t.follow(page.get_by_role("button", name="Filter"))
        t.checked()
        judges = rows(page)
        assert {role for _, _, role, _ in judges} == {"Judge"}
        expect(page.locator("p.count")).to_have_text(
            f"{SEEDED // 4} employees with the role “judge”")
        t.follow(page.get_by_role("link", name="All roles"))

        # next, previous, a letter
        page.goto("/states/CA")
        t.follow(page.get_by_role("link", name="Next page"))
        t.checked()
        second = rows(page)
        assert second[0] != first[0] and len(second) == 50
        t.follow(page.get_by_role("link", name="Previous page"))
        assert rows(page) == first
        t.follow(page.get_by_role("navigation", name="Jump to last names starting with")
                 .get_by_role("link", name="Y", exact=True))
        t.checked()
        assert rows(page)[0][1] == "Young, Zelda"
        assert t.problems == {}


@pytest.mark.parametrize("size", SIZES)
def test_local_time_role_changed_and_no_access_to_another_state(state, chromium,  # noqa: F811
                                                                 size):
    from playwright.sync_api import expect

    with tab(chromium, state, size, "editor@ca.example.gov") as t:
        page = t.page
        page.get_by_role("searchbox", name="Search by name or role").fill("Ada Byron")
        t.follow(page.get_by_role("button", name="Search"))
        t.follow(page.get_by_role("link", name="Byron, Ada"))
        t.follow(page.get_by_role("link", name="Edit", exact=True))
        t.checked()
        page.get_by_label("Role").fill(f"Analyst ({size})")
        t.follow(page.get_by_role("button", name="Save changes"))
        t.follow(page.get_by_role("link", name="History of changes"))
        t.checked()
        newest = page.locator("ol.history > li").first
        expect(newest.locator("strong")).to_have_text("Role changed")
        moment = newest.locator("time")
        # California's local time, its zone named, with UTC on hover
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d P[SD]T", moment.inner_text())
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", moment.get_attribute("title"))

        response = page.goto("/states/TX")
        assert response is not None and response.status == 403  # (the API: 404)
        t.checked()
        expect(page.get_by_text("You do not have access to TX.")).to_be_visible()
        assert t.problems == {}
