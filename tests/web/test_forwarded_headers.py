"""`serve` believes X-Forwarded-For only from HUMANGOV_FORWARDED_ALLOW_IPS (none by default),
so a guesser on the same host cannot make up a new address for each try. Real uvicorn, real
HTTP on 127.0.0.1."""

from __future__ import annotations

from contextlib import contextmanager

import httpx
import uvicorn

from humangov.cli.serve import proxy_options
from humangov.config import Settings
from tests.monitoring.servers import free_port, running
from tests.web.conftest import PASSWORD, csrf_of, web_app


@contextmanager
def serving(app, settings: Settings):
    port = free_port()
    with running(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error",
                                **proxy_options(settings))), \
            httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
        yield c


def guess(c: httpx.Client, n: int, password: str = "not the password") -> httpx.Response:
    return c.post("/login", headers={"X-Forwarded-For": f"203.0.113.{n}"}, data={
        "email": "ca.viewer@example.gov", "password": password,
        "csrf_token": csrf_of(c.get("/login").text)})


def test_made_up_forwarded_addresses_do_not_escape_the_throttle(web_container):
    # GIVEN serve's default settings (no trusted proxy) and the module's 3 free failures
    with serving(web_app(web_container), Settings(data_dir=web_container.settings.data_dir)) as c:
        for n in range(3):
            assert guess(c, n).status_code == 400
        # THEN a fourth guess "from" yet another address is still this client's, and waits
        r = guess(c, 3)
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


def test_a_configured_proxy_is_believed(web_container):
    settings = Settings(data_dir=web_container.settings.data_dir,
                        forwarded_allow_ips="127.0.0.1")
    with serving(web_app(web_container), settings) as c:
        for n in range(3):
            assert guess(c, 10 + n).status_code == 400
        # A client the proxy names for the first time gets its try, and the right password works
        assert guess(c, 99, PASSWORD).status_code == 303
