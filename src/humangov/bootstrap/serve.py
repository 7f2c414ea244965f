"""`humangov serve`: the app, and beside it the erasure jobs, the canaries and their alarms,
all built here before the app is created."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from humangov.bootstrap.canaries import Monitoring
from humangov.bootstrap.container import Container
from humangov.config import Settings
from humangov.domain.errors import Conflict
from humangov.erasure.metrics import ErasureMetrics
from humangov.erasure.service import ErasureJobs
from humangov.erasure.worker import local_worker_id
from humangov.erasure_requests.service import RequestJobs
from humangov.private_files import private_file
from humangov.retention.service import RetentionJob
from humangov.web.app import create_app, metrics_registry

log = logging.getLogger(__name__)

CANARY_EMAIL = "canary@humangov.local"
# The names the built-in checks give their secrets; the values are handed to the engine.
CANARY_TOKEN = "HUMANGOV_CANARY_TOKEN"
CANARY_PASSWORD = "HUMANGOV_CANARY_PASSWORD"
CHROMIUM = "/usr/bin/chromium"


@dataclass(frozen=True)
class CanaryCredentials:
    token: str
    password: str


def server(
    settings: Settings, announce: Callable[[str], None] = print
) -> tuple[FastAPI, Container]:
    from humangov.bootstrap import bootstrap

    container = bootstrap(settings)
    if settings.backend == "embedded":
        # On AWS, states are infrastructure: the CDK app creates their tables and buckets and
        # `humangov states add` registers them; the app's role may not create either.
        new_states = container.provision_all_states()
        if new_states:
            announce(f"provisioned {new_states} state(s)")
    _first_admin(container, announce)
    metrics = metrics_registry()
    jobs = ErasureJobs(container.erasures, local_worker_id("serve"),
                       sweep_every=settings.sweep_interval, sweep_grace=settings.sweep_grace,
                       metrics=ErasureMetrics(metrics))
    container.change_listeners.append(jobs.wake)
    canaries = _canaries(container, metrics) if settings.monitoring else None
    if canaries is not None and canaries.alarms is not None:
        alarms = canaries.alarms
        container.requests.on_overdue = lambda r: alarms.overdue_request(
            r.state, r.id, r.due, len(r.held))
    services = [jobs, *scheduled_checks(container), *(canaries.services() if canaries else [])]
    return create_app(container, services, canaries=canaries, metrics=metrics), container


def scheduled_checks(container: Container) -> list[RequestJobs | RetentionJob]:
    """The request check and the retention run, unless a scheduler runs them instead (on AWS,
    one task for all the serving tasks: `humangov requests check`, `humangov retention
    daily`)."""
    settings = container.settings
    checks: list[RequestJobs | RetentionJob] = []
    if settings.requests_schedule == "in-process":
        checks.append(RequestJobs(container.requests, settings.requests_check_interval))
    if settings.retention_schedule == "in-process":
        checks.append(RetentionJob(
            container.retention, lambda: [s.code for s in container.personnel.list_states()],
            every=settings.retention_interval, late_days=settings.retention_late_days))
    return checks


def _first_admin(container: Container, announce: Callable[[str], None]) -> None:
    """Say at start when no platform admin exists; create the first one if there are no users
    at all (`humangov users add EMAIL --role admin` does it beforehand, by choice)."""
    accounts, settings = container.accounts, container.settings
    if accounts.has_platform_admin():
        return
    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    generated = accounts.ensure_first_admin(settings.admin_email, password)
    if generated:
        # Shown once, on the first start only; it is stored nowhere but as an argon2 hash.
        announce(
            "No platform admin exists: created the first one. Log in at "
            f"{settings.public_url}/login with\n"
            f"    email:    {settings.admin_email}\n    password: {generated}\n"
            "This password is shown only once."
        )
    elif accounts.has_platform_admin():
        announce(f"No platform admin exists: created {settings.admin_email} with the password "
                 "of HUMANGOV_ADMIN_PASSWORD.")
    else:
        announce("No platform admin exists (every one is disabled or removed), so nobody can "
                 "manage states or every user. Create one with "
                 "`humangov users add EMAIL --role admin`.")


def _canaries(container: Container, metrics: CollectorRegistry) -> Monitoring:
    from humangov.bootstrap.canaries import monitoring
    from humangov.monitoring.config import default_config, load_config

    settings = container.settings
    if settings.monitoring_config:
        return monitoring(settings, load_config(settings.monitoring_config), metrics=metrics)
    states = [s.code for s in container.personnel.list_states()]
    canary_state = states[0] if states else "CA"
    canary = ensure_canary_credentials(container, canary_state)
    browser = Path(CHROMIUM).exists()
    if not browser:
        log.warning("the browser canary is off: %s is missing (apt-get install chromium)", CHROMIUM)
    config = default_config(settings.public_url, states, CANARY_TOKEN, email=CANARY_EMAIL,
                            password_env=CANARY_PASSWORD, browser=browser,
                            canary_state=canary_state)
    return monitoring(settings, config, metrics=metrics,
                      secrets={CANARY_TOKEN: canary.token, CANARY_PASSWORD: canary.password})


def ensure_canary_credentials(container: Container, state: str) -> CanaryCredentials:
    """The built-in canaries act as a user: an API token for the lifecycle check and a login
    for the browser check, both an editor of the one state they check (never a platform
    admin), marked as the canary so that what they create is synthetic. Both secrets are
    kept (0600) in the data dir."""
    accounts = container.accounts
    data_dir: Path = container.settings.data_dir
    token_file, password_file = data_dir / "canary_token", data_dir / "canary_password"
    token = _read_secret(token_file)
    held = accounts.principal_for_token(token) if token else None
    if token is None or held is None or (held.role, held.state) != ("editor", state):
        token, _ = accounts.create_token("editor", state, name="canary")
        _write_secret(token_file, token)
    password = _read_secret(password_file)
    if password is None:
        password = secrets.token_urlsafe(24)
        try:
            accounts.add_user(CANARY_EMAIL, password, "editor", state)
        except Conflict:
            log.warning("the canary user exists but its password file is gone; the browser "
                        "canary will fail until %s is restored or the user is recreated",
                        password_file)
        _write_secret(password_file, password)
    accounts.mark_canary(token=token, email=CANARY_EMAIL)
    return CanaryCredentials(token, password)


def _read_secret(path: Path) -> str | None:
    return path.read_text().strip() or None if path.exists() else None


def _write_secret(path: Path, value: str) -> None:
    private_file(path).write_text(value)
