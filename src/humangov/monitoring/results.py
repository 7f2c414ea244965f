"""What a check run produced. Plain data: the store saves it, subscribers (metrics, the alarm
evaluator) read it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from humangov.private_files import private_dir

Status = Literal["ok", "fail"]


@dataclass(frozen=True, slots=True)
class StepResult:
    name: str
    status: Status
    duration_ms: float
    error: str = ""


@dataclass(frozen=True, slots=True)
class RunResult:
    check: str
    status: Status
    started_at: datetime  # UTC
    duration_ms: float
    steps: tuple[StepResult, ...] = ()
    error: str = ""
    failing_step: str | None = None
    artifacts: tuple[str, ...] = ()  # absolute paths of files under the artifacts dir
    scheduled_at: datetime | None = None
    synthetic_ids: tuple[str, ...] = ()  # records the canary created (and removed)
    run_id: str = ""
    check_type: str = ""
    # "scheduled", "confirm" (a re-check requested after a failure), "missed", "manual"
    trigger: str = "scheduled"

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def new_run_id(at: datetime) -> str:
    """Sortable by time, then unique: `<ms since epoch, 13 digits>-<8 hex>`. Newest-first
    pagination compares these strings."""
    return f"{int(at.timestamp() * 1000):013d}-{secrets.token_hex(4)}"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunContext:
    """What a runner fills in while it works. If the run is cut short by its hard timeout, the
    scheduler still has the steps done so far and the one in progress."""

    check: str
    run_id: str
    artifacts_dir: Path
    steps: list[StepResult] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    synthetic_ids: list[str] = field(default_factory=list)
    current_step: str | None = None

    def run_dir(self) -> Path:
        """Created on first use: most runs (heartbeats) never write a file."""
        return private_dir(self.artifacts_dir / self.check / self.run_id)

    def add_artifact(self, path: Path) -> None:
        self.artifacts.append(str(path))
