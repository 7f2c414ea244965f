"""The list page people move through: the count, employee numbers, previous/next pages,
sorting by a column both ways, the role filter and jumps to a letter."""

from __future__ import annotations

import html
import re

import pytest


@pytest.fixture(scope="module")
def staff(web_container):
    """Added once for the module's read-only tests: 60 Clerks (Pager, P00..P59, salaries
    rising) and 3 Judges in TX, numbered 1..63."""
    add = web_container.personnel.add_employee
    clerks = [add("TX", {"first_name": f"P{i:02}", "last_name": "Pager", "role": "Clerk",
                         "salary": str(1000 + i)}, None, "user:test") for i in range(60)]
    judges = [add("TX", {"first_name": first, "last_name": last, "role": "Judge",
                         "salary": "90000"}, None, "user:test")
              for first, last in [("Lu", "Lee"), ("Al", "Adams"), ("Zoe", "Young")]]
    return clerks, judges


def rows(page) -> list[str]:
    """The rows' (number, name) as the table shows them."""
    return [f"{n} {name}" for n, name in re.findall(
        r'<td class="num">(\d*)</td>\s*<th scope="row"><a [^>]+>([^<]+)</a>', page.text)]


def link(page, pattern: str) -> str:
    return html.unescape(re.search(pattern, page.text).group(1))


def test_the_list_counts_numbers_and_pages_forwards_and_back(users, staff):
    first = users.tx_editor.get("/states/TX")
    assert "63 employees" in first.text
    assert rows(first)[:2] == ["62 Adams, Al", "61 Lee, Lu"] and len(rows(first)) == 50
    assert 'rel="prev"' not in first.text and "First page" not in first.text
    second = users.tx_editor.get(link(first, r'href="([^"]+)" rel="next"'))
    assert len(rows(second)) == 13 and 'rel="next"' not in second.text
    back = users.tx_editor.get(link(second, r'href="([^"]+)" rel="prev"'))
    assert rows(back) == rows(first)


def test_a_column_heading_sorts_by_it_and_again_the_other_way(users, staff):
    page = users.tx_editor.get("/states/TX")
    by_salary = users.tx_editor.get(link(page, r'<a href="([^"]+)">Annual salary'))
    assert rows(by_salary)[:2] == ["1 Pager, P00", "2 Pager, P01"]
    assert 'aria-sort="ascending"' in by_salary.text
    down = users.tx_editor.get(link(by_salary, r'<a href="([^"]+)">Annual salary'))
    assert rows(down)[:3] == ["63 Young, Zoe", "61 Lee, Lu", "62 Adams, Al"]
    assert 'aria-sort="descending"' in down.text
    later = users.tx_editor.get(link(down, r'href="([^"]+)" rel="next"'))
    assert rows(later)[0] == "13 Pager, P12"  # the next page keeps the order


def test_the_role_filter_shows_one_role_ignoring_case_and_counts_it(users, staff):
    page = users.tx_editor.get("/states/TX", params={"role": "judge", "sort": "name"})
    assert rows(page) == ["62 Adams, Al", "61 Lee, Lu", "63 Young, Zoe"]
    assert "3 employees with the role “judge”" in html.unescape(page.text)
    none = users.tx_editor.get("/states/TX", params={"role": "Sheriff"})
    assert "No employee has the role “Sheriff”" in html.unescape(none.text)


def test_a_letter_jumps_to_the_last_names_from_it_and_previous_leads_before_it(users, staff):
    page = users.tx_editor.get("/states/TX")
    at_y = users.tx_editor.get(link(page, r'<a href="([^"]+)">Y</a>'))
    assert rows(at_y) == ["63 Young, Zoe"]
    before = users.tx_editor.get(link(at_y, r'href="([^"]+)" rel="prev"'))
    assert rows(before)[-1] == "60 Pager, P59"


def test_the_record_shows_its_employee_number(users, staff):
    _, judges = staff
    page = users.tx_editor.get(f"/states/TX/employees/{judges[0].id}")
    assert re.search(r"<dt>Employee number</dt><dd>61</dd>", page.text)
