"""Everything `humangov serve` runs: the app, and beside it the erasure worker, the scheduled
sweep, the canary engine and the alarm notifier."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from humangov.bootstrap import Container, bootstrap
from humangov.config import Settings
from humangov.domain.errors import Conflict
from humangov.web.app import create_app

log = logging.getLogger(__name__)

CANARY_EMAIL = "canary@humangov.local"
CANARY_TOKEN_ENV = "HUMANGOV_CANARY_TOKEN"
CANARY_PASSWORD_ENV = "HUMANGOV_CANARY_PASSWORD"
CHROMIUM = "/usr/bin/chromium"


def build_server_app(settings: Settings, announce: Callable[[str], None] = print) -> tuple[FastAPI, Container]:
    container = bootstrap(settings)
    if settings.backend == "embedded":
        # On AWS, states are infrastructure: the CDK app creates their tables and buckets and
        # `humangov states add` registers them; the app's role may not create either.
        new_states = container.provision_all_states()
        if new_states:
            announce(f"provisioned {new_states} state(s)")
    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    generated = container.accounts.ensure_first_admin(settings.admin_email, password)
    if generated:
        # Shown once, on the first start only; it is stored nowhere but as an argon2 hash.
        announce(
            f"First platform admin created. Log in at {settings.public_url}/login with\n"
            f"    email:    {settings.admin_email}\n    password: {generated}\n"
            "This password is shown only once."
        )
    services: list = []
    app = create_app(container, services)
    services.extend(erasure_services(container))
    if settings.monitoring:
        services.extend(monitoring_services(app, container))
    return app, container


class ErasureService:
    """The erasure worker (woken at once by in-process deletes, polling for the CLI's) and
    the scheduled orphan sweep, as background tasks of `serve`."""

    def __init__(self, container: Container):
        from humangov.erasure.worker import ErasureWorker

        self.container = container
        self.worker = ErasureWorker(container.outbox, container.blobs, container.records, container.ledger,
                                    container.clock, container.settings, worker_id=f"serve-{os.getpid()}")
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    def wake(self) -> None:
        self.worker.wake()

    async def start(self) -> None:
        from humangov.erasure.sweep import run_scheduled_sweeps

        self._stop = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self.worker.run(self._stop), name="erasure-worker"),
            asyncio.create_task(run_scheduled_sweeps(self.container, self._stop), name="orphan-sweep"),
        ]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.wait(self._tasks, timeout=10)
        for task in self._tasks:
            task.cancel()


def erasure_services(container: Container) -> list:
    erasure = ErasureService(container)
    container.change_listeners.append(erasure.wake)
    return [erasure]


def monitoring_services(app: FastAPI, container: Container) -> list:
    from humangov.monitoring.alarms.build import build_alarms
    from humangov.monitoring.config import default_config, load_config
    from humangov.monitoring.engine import MonitoringEngine
    from humangov.monitoring.metrics import CheckMetrics
    from humangov.monitoring.store import artifacts_dir_for, open_store

    settings = container.settings
    if settings.monitoring_config:
        config = load_config(settings.monitoring_config)
    else:
        ensure_canary_credentials(container)
        states = [s.code for s in container.personnel.list_states()]
        browser = Path(CHROMIUM).exists()
        if not browser:
            log.warning("the browser canary is off: %s is missing (apt-get install chromium)", CHROMIUM)
        config = default_config(settings.public_url, states, CANARY_TOKEN_ENV, email=CANARY_EMAIL,
                                password_env=CANARY_PASSWORD_ENV, browser=browser)
    alarms = build_alarms(settings, settings.data_dir, config)
    # The alarm service watches the run store so that a failing store raises "monitor degraded".
    store = alarms.watch_store(open_store(settings.data_dir, raw_retention=config.retention.raw,
                                          hourly_retention=config.retention.hourly))
    engine = MonitoringEngine(config, store, artifacts_dir_for(settings.data_dir),
                              metrics=CheckMetrics(app.state.metrics))
    alarms.attach(engine.scheduler)
    app.state.monitoring_store = store
    app.state.monitoring_config = config
    app.state.monitoring_engine = engine
    app.state.alarms = alarms
    return [alarms, engine]  # started in this order, stopped in reverse


def ensure_canary_credentials(container: Container) -> None:
    """The built-in canaries act as a user: an API token for the lifecycle check and a login
    for the browser check. Both are kept (0600) in the data dir and handed over through the
    environment of this process only."""
    data_dir: Path = container.settings.data_dir
    token_file, password_file = data_dir / "canary_token", data_dir / "canary_password"
    token = _read_secret(token_file)
    if token is None or container.accounts.principal_for_token(token) is None:
        token, _ = container.accounts.create_token("admin", name="canary")
        _write_secret(token_file, token)
    password = _read_secret(password_file)
    if password is None:
        password = secrets.token_urlsafe(24)
        try:
            container.accounts.add_user(CANARY_EMAIL, password, "admin")
        except Conflict:
            log.warning("the canary user exists but its password file is gone; the browser canary will fail "
                        "until %s is restored or the user is recreated", password_file)
        _write_secret(password_file, password)
    os.environ[CANARY_TOKEN_ENV] = token
    os.environ[CANARY_PASSWORD_ENV] = password


def _read_secret(path: Path) -> str | None:
    return path.read_text().strip() or None if path.exists() else None


def _write_secret(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(value)
