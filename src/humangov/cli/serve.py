"""`humangov serve`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from humangov.cli.common import DataDir, load_settings, out

if TYPE_CHECKING:  # every command imports this module; pydantic waits for `serve` itself
    from humangov.config import Settings


def serve(
    host: Annotated[str | None, typer.Option(help="Interface \\[default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port \\[default: 8000]")] = None,
    data_dir: DataDir = None,
    monitoring_config: Annotated[Path | None, typer.Option(
        "--monitoring-config", help="Checks YAML")] = None,
    no_monitoring: Annotated[bool, typer.Option(
        "--no-monitoring", help="Do not run canaries in-process")] = False,
) -> None:
    """Serve the web UI and API, with the erasure worker, the sweep and the monitor in-process."""
    import uvicorn

    from humangov.bootstrap import server

    given = {"host": host, "port": port, "monitoring_config": monitoring_config}
    overrides = {k: v for k, v in given.items() if v}
    if no_monitoring:
        overrides["monitoring"] = False
    settings = load_settings(data_dir, **overrides)
    web_app, _ = server(settings, announce=out.print)
    out.print(f"HumanGov is serving on [bold]{settings.public_url}[/] "
              f"(data in {settings.data_dir})")
    uvicorn.run(web_app, host=settings.host, port=settings.port, log_level="info",
                access_log=False, **proxy_options(settings))


def proxy_options(settings: Settings) -> dict:
    """uvicorn's forwarded-header options. With none configured, forwarded headers are
    ignored: uvicorn would otherwise believe any client on 127.0.0.1, and the login throttle
    would count guesses per made-up address."""
    allowed = settings.forwarded_allow_ips.strip()
    if not allowed:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": allowed}
