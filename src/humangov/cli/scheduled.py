"""What the commands a scheduler runs share (`orphans daily`, `retention daily`, `requests
check --format json`; on AWS each is an EventBridge rule starting one Fargate task): every
state is done even when one fails, and the run ends in one JSON line that CloudWatch metric
filters read (docs/aws.md, "Scheduled runs")."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import typer

from humangov.cli.common import err

log = logging.getLogger(__name__)


def each_state(codes: list[str], work: Callable[[str], dict[str, int]], what: str,
               counts: tuple[str, ...]) -> tuple[dict[str, int], list[str]]:
    """Run `work` on every state and add up the counts it returns; a state that fails is
    reported and the others still run. Returns the totals and the states that failed."""
    from humangov.domain.errors import StorageUnavailable

    totals = dict.fromkeys(counts, 0)
    failed: list[str] = []
    for code in codes:
        try:
            done = work(code)
        except StorageUnavailable as exc:  # that state's store is gone; do the others
            err.print(f"{code}: {exc.detail}")
            failed.append(code)
            continue
        except Exception:  # one state's failure must not stop the others' runs
            log.exception("%s of %s failed", what, code)
            failed.append(code)
            continue
        for name, n in done.items():
            totals[name] += n
    return totals, failed


def summary(event: str, what: str, states: int, totals: dict[str, int],
            failed: list[str]) -> None:
    """Print the run's one line (unwrapped, whatever the terminal: the metric filters parse
    it) and fail the command (exit 1) if any state failed."""
    typer.echo(json.dumps({"event": event, "states": states, **totals, "failed": len(failed)}))
    raise_if_failed(what, failed)


def raise_if_failed(what: str, failed: list[str]) -> None:
    from humangov.domain.errors import StorageUnavailable

    if failed:
        raise StorageUnavailable(f"{what} failed for {', '.join(failed)}")
