"""Shared shell of every check type: steps with timings, a hard timeout, and the result."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager

from humangov.monitoring.config import format_duration
from humangov.monitoring.results import RunContext, RunResult, Status, StepResult, utcnow


class CheckFailed(Exception):
    """A check's expectation did not hold. The message is shown to operators: no secrets."""


@asynccontextmanager
async def step(ctx: RunContext, name: str):
    """Time one step and record it; an exception marks it failed and propagates."""
    ctx.current_step = name
    start = time.perf_counter()
    try:
        yield
    except BaseException as exc:
        error = str(exc) if isinstance(exc, CheckFailed) else _describe(exc)
        ctx.steps.append(StepResult(name, "fail", _ms(start), error))
        raise
    else:
        ctx.steps.append(StepResult(name, "ok", _ms(start)))
    finally:
        ctx.current_step = None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.CancelledError | TimeoutError):
        return "interrupted by the check's timeout"
    from humangov.monitoring.http import describe_error

    text = describe_error(exc) if isinstance(exc, Exception) else type(exc).__name__
    # Playwright appends a call log after the first line; the first line is the reason.
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first[:300]


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


async def execute(
    check, ctx: RunContext, body: Callable[[], Awaitable[None]], *, trigger: str = "scheduled",
    scheduled_at=None,
) -> RunResult:
    """Run `body` under the check's hard timeout and turn what happened into a RunResult.
    Never raises for a check failure: a failed run is data."""
    started_at = utcnow()
    start = time.perf_counter()
    error = ""
    failing_step = None
    try:
        async with asyncio.timeout(check.timeout.total_seconds()):
            await body()
    except TimeoutError:
        in_progress = ctx.current_step or _first_failed(ctx)
        error = f"timed out after {format_duration(check.timeout)}"
        if in_progress:
            error += f" during step {in_progress!r}"
            failing_step = in_progress
            if not any(s.name == in_progress for s in ctx.steps):
                ctx.steps.append(StepResult(in_progress, "fail", 0.0, "timed out"))
    except CheckFailed as exc:
        error, failing_step = str(exc), _first_failed(ctx)
    except Exception as exc:  # noqa: BLE001 (a bug in a runner is still a failed run, not a dead scheduler
        error, failing_step = _describe(exc), _first_failed(ctx)
    status: Status = "fail" if error or any(s.status == "fail" for s in ctx.steps) else "ok"
    if status == "fail" and not error:
        failed = [s for s in ctx.steps if s.status == "fail"]
        error = "; ".join(f"{s.name}: {s.error}" for s in failed)
        failing_step = failed[0].name
    return RunResult(
        check=check.name, check_type=check.type, status=status, started_at=started_at,
        duration_ms=_ms(start), steps=tuple(ctx.steps), error=error,
        failing_step=failing_step, artifacts=tuple(ctx.artifacts), scheduled_at=scheduled_at,
        synthetic_ids=tuple(ctx.synthetic_ids), run_id=ctx.run_id, trigger=trigger,
    )


def _first_failed(ctx: RunContext) -> str | None:
    return next((s.name for s in ctx.steps if s.status == "fail"), None)


def missed_result(check, run_id: str, scheduled_at, reason: str) -> RunResult:
    """A run that was due and never started. It counts as a failure, not as missing data."""
    return RunResult(
        check=check.name, check_type=check.type, status="fail", started_at=utcnow(),
        duration_ms=0.0, error=f"missed: {reason}", scheduled_at=scheduled_at, run_id=run_id,
        trigger="missed",
    )

