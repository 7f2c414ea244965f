"""What every command shares: the options, the settings loader, the container, and the one
place where a failure becomes a message and an exit code.

Exit codes: 0 done; 1 the command failed (our errors, such as an unknown state or a rejected
import; infrastructure such as AWS or the data directory; a declined confirmation); 2 the
command was asked wrongly (typer's usage errors, an invalid option value, invalid settings or
monitoring configuration). Messages go to stderr as `error: ...`, never as a traceback;
machine-readable output alone goes to stdout.

Heavy modules (pydantic, botocore, the monitoring engine) are imported only when a command
runs: every `humangov` invocation, `--help` included, imports this package.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from humangov.domain.errors import HumanGovError

if TYPE_CHECKING:
    from humangov.bootstrap import Container
    from humangov.config import Settings

out = Console()
err = Console(stderr=True)

DataDir = Annotated[Path | None, typer.Option(
    "--data-dir", show_default=False,
    help="Data directory \\[default: $HUMANGOV_DATA_DIR or ./var]",
)]
StateOpt = Annotated[str, typer.Option("--state", help="USPS code of the state, such as CA")]


class Misconfigured(Exception):
    """Settings that cannot be used (exit 2); one message per problem."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_settings(data_dir: Path | None = None, **overrides: Any) -> Settings:
    """The settings from HUMANGOV_* and the command's options, validated."""
    from pydantic import ValidationError

    from humangov.config import Settings

    if data_dir is not None:
        overrides["data_dir"] = data_dir
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        # Each problem names the variable to fix; `msg` never repeats the value (a secret).
        raise Misconfigured(*(
            f"HUMANGOV_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )) from None


@contextmanager
def open_container(data_dir: Path | None = None) -> Iterator[Container]:
    from humangov.bootstrap import bootstrap

    container = bootstrap(load_settings(data_dir))
    try:
        yield container
    finally:
        container.close()


def actor() -> str:
    """Who the history records as having made a CLI change."""
    from humangov.domain.auth import SYSTEM

    return "cli:" + (os.environ.get("USER") or SYSTEM.actor)


def confirm(question: str) -> None:
    """Ask on stderr; a "no" aborts the command (exit 1) before anything changed."""
    typer.confirm(question, abort=True, err=True)


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """An import allocates millions of short-lived, acyclic objects; the cyclic collector's
    passes over them cost a fifth of the import (measured) and free nothing. Scoped to the
    command so the library leaves the interpreter's collector alone."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Commands(TyperGroup):
    """The root group: every command runs inside `failures()`."""

    def invoke(self, ctx: Any) -> Any:
        with failures():
            return super().invoke(ctx)


@contextmanager
def failures() -> Iterator[None]:
    try:
        yield
    except HumanGovError as exc:
        raise _fail(1, exc.detail) from None
    except Misconfigured as exc:
        raise _fail(2, *exc.problems) from None
    except typer.Abort:
        raise _fail(1, "aborted; nothing was changed.") from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise _fail(1, f"{where}{exc.strerror or exc}") from None
    except Exception as exc:
        failure = _known_failure(exc)
        if failure is None:
            raise
        raise _fail(*failure) from None


def _known_failure(exc: Exception) -> tuple[int, str] | None:
    # Matched by the loaded classes: if botocore or the monitoring config was never imported,
    # the error cannot be one of theirs, and `--help` stays free of both.
    if isinstance(exc, _loaded("humangov.monitoring.config", "ConfigError")):
        return 2, str(exc)
    if isinstance(exc, _loaded("humangov.monitoring.alarms.channels", "AlarmConfigError")):
        return 2, str(exc)
    if isinstance(exc, _loaded("botocore.exceptions", "BotoCoreError", "ClientError")):
        # botocore's messages name the operation and the endpoint, never the credentials.
        return 1, f"AWS call failed: {exc}. Check AWS_ENDPOINT_URL, the region and credentials."
    return None


def _loaded(module: str, *names: str) -> tuple[type, ...]:
    loaded = sys.modules.get(module)
    return tuple(getattr(loaded, n) for n in names) if loaded else ()


def _fail(code: int, *messages: str) -> typer.Exit:
    for message in messages:
        err.print(f"[red]error:[/] {escape(message)}", soft_wrap=True, highlight=False)
    return typer.Exit(code)
