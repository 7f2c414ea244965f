from __future__ import annotations

from pathlib import Path

from humangov.monitoring.checks import run_check
from humangov.monitoring.config import parse_config
from humangov.monitoring.results import RunContext, new_run_id, utcnow


def one_check(**fields):
    return parse_config({"checks": [fields]}).checks[0]


async def run(check, clients, artifacts: Path = Path("/nonexistent-artifacts")):
    ctx = RunContext(check.name, new_run_id(utcnow()), artifacts)
    return await run_check(check, clients, ctx)
