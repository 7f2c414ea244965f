"""Composition root: settings -> adapters -> services. The only package that builds adapters.

Each entry point asks for what it runs: the app and the CLI for a `Container` (`bootstrap`,
which picks `embedded` or `aws` by the settings), `humangov serve` for `server`, the erasure
Lambda for `lambda_runtime`, the local stream worker for `stream_worker`, and the monitor for
`monitoring` (canaries) or `alarms` (alarm service alone). Modules are imported on first use,
so a CLI command pays only for the backend it runs on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from humangov.adapters.clock import SystemClock
from humangov.bootstrap.container import Container
from humangov.config import Settings
from humangov.ports import Clock

if TYPE_CHECKING:
    from humangov.bootstrap.canaries import Monitoring, alarms, monitoring
    from humangov.bootstrap.on_aws import (
        StreamRuntime,
        aws_clients,
        lambda_runtime,
        queue_import,
        stream_worker,
    )
    from humangov.bootstrap.on_one_machine import EmbeddedStores, embedded
    from humangov.bootstrap.serve import server

__all__ = [
    "Container", "EmbeddedStores", "Monitoring", "StreamRuntime", "alarms", "aws_clients",
    "bootstrap", "embedded", "lambda_runtime", "monitoring", "queue_import", "server",
    "stream_worker",
]

_LAZY = {
    "embedded": "on_one_machine", "EmbeddedStores": "on_one_machine",
    "lambda_runtime": "on_aws", "stream_worker": "on_aws", "StreamRuntime": "on_aws",
    "aws_clients": "on_aws", "queue_import": "on_aws",
    "alarms": "canaries", "monitoring": "canaries", "Monitoring": "canaries",
    "server": "serve",
}


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None) -> Container:
    """The container for the backend the settings name."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    if settings.backend == "aws":
        from humangov.bootstrap.on_aws import aws

        return aws(settings, clock)
    from humangov.bootstrap.on_one_machine import embedded

    return embedded(settings, clock)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{module}"), name)
