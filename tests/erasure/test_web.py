"""The erasure routes on a minimal app, with the tenant and admin dependencies overridden."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jinja2 import DictLoader, Environment

from humangov.adapters.erasure import build_memory_erasure_adapters
from humangov.domain.auth import Principal
from humangov.domain.errors import NotFound
from humangov.web import deps
from humangov.web.routes import erasures

from .test_outbox_and_ledger import _receipt, change


class _Container:
    def __init__(self):
        from humangov.erasure.service import Erasures

        self.outbox, self.ledger = build_memory_erasure_adapters()
        self.erasures = Erasures(None, None, self.outbox, self.ledger, None, None)


@pytest.fixture
def client(monkeypatch):
    from pathlib import Path

    container = _Container()
    here = Path(erasures.__file__).resolve().parent.parent / "templates"
    env = Environment(loader=DictLoader({
        "base.html": "<title>{% block title %}{% endblock %}</title>{% block content %}{% endblock %}",
        "erasures/list.html": (here / "erasures/list.html").read_text(),
        "erasures/dead_letters.html": (here / "erasures/dead_letters.html").read_text(),
    }), autoescape=True)

    def render(request, template, **ctx):
        from fastapi.responses import HTMLResponse

        return HTMLResponse(env.get_template(template).render(
            request=request, csrf_field=lambda r: '<input name="csrf" value="t">', **ctx))

    monkeypatch.setattr(deps, "render", render, raising=False)
    monkeypatch.setattr(deps, "require_csrf", lambda request, submitted: None)

    def tenant(code: str) -> str:
        if code.upper() != "CA":  # the caller may read CA only
            raise NotFound("not provisioned")
        return code.upper()

    app = FastAPI()
    app.include_router(erasures.api_router)
    app.include_router(erasures.pages_router)
    app.dependency_overrides[deps.get_container] = lambda: container
    app.dependency_overrides[deps.tenant_read] = tenant
    app.dependency_overrides[deps.admin_principal] = lambda: Principal("root", "admin")

    @app.exception_handler(NotFound)
    def _nf(request, exc):
        from fastapi.responses import JSONResponse

        return JSONResponse({"detail": exc.detail}, status_code=404)

    container.ledger.append([_receipt(n) for n in range(3)] + [_receipt(7, "TX")])
    return TestClient(app), container


def test_the_erasures_api_pages_receipts_newest_first(client):
    http, _ = client
    first = http.get("/api/v1/states/ca/erasures", params={"limit": 2}).json()
    assert [r["key"] for r in first["items"]] == ["k2", "k1"]
    rest = http.get("/api/v1/states/CA/erasures", params={"cursor": first["next_cursor"]}).json()
    assert [r["key"] for r in rest["items"]] == ["k0"] and rest["next_cursor"] is None


def test_another_states_receipts_answer_404(client):
    http, _ = client
    assert http.get("/api/v1/states/TX/erasures").status_code == 404
    assert http.get("/states/TX/erasures").status_code == 404


def test_the_erasures_page_lists_receipts(client):
    http, _ = client
    page = http.get("/states/CA/erasures")
    assert page.status_code == 200 and "k2" in page.text and "k7" not in page.text


def test_a_dead_letter_is_listed_and_requeued_from_the_page(client):
    http, container = client
    container.outbox.enqueue(change())
    from .conftest import T0

    [i] = container.outbox.claim("w", 1, T0, 60)
    container.outbox.fail(i.id, "w", "disk on fire", None)
    assert "disk on fire" in http.get("/erasure/dead-letters").text
    resp = http.post("/erasure/dead-letters/retry", data={"csrf": "t", "intent_id": str(i.id)},
                     follow_redirects=False)
    assert resp.status_code == 303
    assert container.outbox.dead_letters() == [] and container.outbox.pending_count() == 1
