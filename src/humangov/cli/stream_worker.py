"""`humangov stream-worker`: the AWS erasure path on one machine."""

from __future__ import annotations

from typing import Annotated

import typer

from humangov.cli.common import DataDir, Misconfigured, err, load_settings


def stream_worker(
    once: Annotated[bool, typer.Option(
        "--once", help="Read every stream up to its end, then exit.")] = False,
    poll: Annotated[float, typer.Option("--poll", min=0.05, help="Seconds between passes.")] = 1.0,
    data_dir: DataDir = None,
) -> None:
    """Erase documents from the DynamoDB streams, as the Lambda does on AWS.

    Needs HUMANGOV_BACKEND=aws; the data directory keeps the stream checkpoints."""
    import signal
    import threading

    from humangov.bootstrap import stream_worker as build_stream_worker

    settings = load_settings(data_dir)
    if settings.backend != "aws":
        raise Misconfigured("the stream worker reads DynamoDB streams; set HUMANGOV_BACKEND=aws "
                            "(and AWS_ENDPOINT_URL for moto_server in local development).")
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
