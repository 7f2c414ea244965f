"""Everything `humangov serve` runs: the app, and beside it the erasure worker, the scheduled
sweep, the canary engine and the alarm notifier."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI

from humangov.bootstrap import Container, bootstrap
from humangov.config import Settings
from humangov.web.app import create_app

log = logging.getLogger(__name__)


def build_server_app(settings: Settings, announce: Callable[[str], None] = print) -> tuple[FastAPI, Container]:
    container = bootstrap(settings)
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
    services = []
    app = create_app(container, services)
    return app, container
