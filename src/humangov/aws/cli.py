"""`humangov stream-worker`: mounted by humangov.cli as `app.command("stream-worker")(stream_worker)`."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console

err = Console(stderr=True)


def stream_worker(
    once: Annotated[bool, typer.Option("--once", help="Read every stream up to its end, then exit.")] = False,
    poll: Annotated[float, typer.Option("--poll", min=0.05, help="Seconds between passes.")] = 1.0,
) -> None:
    """Erase documents from the DynamoDB streams, as the Lambda does on AWS (needs HUMANGOV_BACKEND=aws)."""
    from humangov.bootstrap import stream_worker as build_stream_worker
    from humangov.config import Settings
    from humangov.domain.errors import HumanGovError

    settings = Settings()
    if settings.backend != "aws":
        err.print("[red]Error:[/red] the stream worker reads DynamoDB streams; set HUMANGOV_BACKEND=aws "
                  "(and AWS_ENDPOINT_URL for moto_server in local development).", highlight=False)
        raise typer.Exit(2)
    try:
        worker = build_stream_worker(settings)
        if once:
            stats = worker.run_once()
            err.print(f"stream worker: {stats.delivered} records handled, {stats.retried} retries, "
                      f"{stats.dead_lettered} dead letters, states {', '.join(stats.states) or 'none'}",
                      highlight=False)
            raise typer.Exit(1 if stats.dead_lettered else 0)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        err.print("stream worker running; Ctrl-C to stop", highlight=False)
        worker.run_forever(stop, poll)
    except HumanGovError as exc:
        err.print(f"[red]Error:[/red] {exc.detail}", highlight=False)
        raise typer.Exit(2) from None
    except (BotoCoreError, ClientError) as exc:  # the message names the call, never credentials
        err.print(f"[red]Error:[/red] AWS call failed: {exc}. Check AWS_ENDPOINT_URL, the region "
                  "and credentials.", highlight=False)
        raise typer.Exit(2) from None
