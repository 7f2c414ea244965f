"""Listing pages are cached, and a write from anywhere (this process or the CLI) shows at once."""

from __future__ import annotations

import io

import pytest

from humangov.bootstrap import bootstrap
from tests.conftest import PDF


def names(client, headers):
    items = client.get("/api/v1/states/CA/employees", headers=headers).json()["items"]
    return sorted(e["last_name"] for e in items)


@pytest.fixture
def store_reads(container, monkeypatch):
    """How many listings the real record store was asked for (as objects or rendered)."""
    calls = []

    def counting(real):
        def counted(*args, **kwargs):
            calls.append(args)
            return real(*args, **kwargs)
        return counted

    for method in ("list_employees", "list_employees_json"):
        monkeypatch.setattr(container.records, method,
                            counting(getattr(container.records, method)))
    return calls


def test_a_repeated_listing_is_served_from_the_cache(client, callers, add_employee, store_reads):
    add_employee(last_name="First")
    # A token's first use is audited: a commit, which ends what was cached before it (a hot
    # read reads the change token once, before that commit).
    assert client.get("/api/v1/states", headers=callers.ca_viewer).status_code == 200
    assert names(client, callers.ca_viewer) == ["First"]
    assert names(client, callers.ca_viewer) == ["First"]
    assert len(store_reads) == 1


def test_a_write_through_the_api_shows_in_the_next_listing(
    client, callers, add_employee, store_reads,
):
    add_employee(last_name="First")
    assert names(client, callers.ca_viewer) == ["First"]
    add_employee(last_name="Second")
    assert names(client, callers.ca_viewer) == ["First", "Second"]
    assert len(store_reads) == 2  # the write dropped the cached page


def test_a_write_from_another_process_shows_in_the_next_listing(
    client, callers, settings, add_employee
):
    add_employee(last_name="Before")
    assert names(client, callers.ca_viewer) == ["Before"]
    # GIVEN another process's connection to the same database (as the CLI has)
    other = bootstrap(settings)
    try:
        other.personnel.add_employee(
            "CA",
            {"first_name": "C", "last_name": "Cli", "role": "R", "salary": "1"},
            io.BytesIO(PDF),
            "cli:test",
        )
    finally:
        other.close()
    # THEN the cached page is not served
    assert names(client, callers.ca_viewer) == ["Before", "Cli"]


def test_another_states_caller_never_gets_a_cached_page(client, callers, add_employee):
    add_employee(last_name="Secret")
    assert names(client, callers.ca_viewer) == ["Secret"]
    r = client.get("/api/v1/states/CA/employees", headers=callers.tx_editor)
    assert r.status_code == 404 and "Secret" not in r.text


@pytest.fixture
def token_readings(monkeypatch):
    """Each reading of the database's change token. Patched on the class, so a test must ask
    for it before the container (which binds the store's method when it is built)."""
    from humangov.adapters.records.sqlite import SqliteRecordStore

    readings = []
    real = SqliteRecordStore.change_token

    def counted(self):
        readings.append(real(self))
        return readings[-1]

    monkeypatch.setattr(SqliteRecordStore, "change_token", counted)
    return readings


def test_a_hot_read_reads_the_change_token_once(token_readings, client, callers, add_employee):
    # A reading is a read transaction; the token cache and the listing cache share one.
    add_employee(last_name="Once")
    for params in ({}, {}, {"q": "Onc"}):  # built, served from the cache, searched
        token_readings.clear()
        r = client.get("/api/v1/states/CA/employees", params=params, headers=callers.ca_viewer)
        assert r.status_code == 200 and r.json()["items"][0]["last_name"] == "Once"
        assert len(token_readings) == 1
