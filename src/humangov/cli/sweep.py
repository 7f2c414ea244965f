"""`humangov orphans daily`: the once-a-day sweep run by a scheduler rather than by `serve`
(on AWS an EventBridge rule starts it as one Fargate task; docs/aws.md, "The daily sweep")."""

from __future__ import annotations

import json
import logging

import typer

from humangov.cli.common import DataDir, err, open_container

log = logging.getLogger(__name__)

# The summary line's marker; infra/'s metric filters match it (tests/infra checks both agree).
SWEEP_EVENT = "humangov-orphan-sweep"


def daily(data_dir: DataDir = None) -> None:
    """Sweep every provisioned state and erase its orphans (receipted, recorded in the ledger),
    then print one JSON line: states, orphans, purged, dangling, failed."""
    from humangov.domain.errors import StorageUnavailable

    totals = {"orphans": 0, "purged": 0, "dangling": 0}
    failed: list[str] = []
    with open_container(data_dir) as c:
        codes = [s.code for s in c.personnel.list_states()]
        for code in codes:
            try:
                result = c.erasures.sweep(code, grace=c.settings.sweep_grace,
                                          purge_orphans=True)
            except StorageUnavailable as exc:  # that state's store is gone; sweep the others
                err.print(f"{code}: {exc.detail}")
                failed.append(code)
                continue
            except Exception:  # one state's failure must not stop the others' sweeps
                log.exception("sweep of %s failed", code)
                failed.append(code)
                continue
            totals["orphans"] += result.orphan_count
            totals["purged"] += result.purged
            totals["dangling"] += len(result.dangling)
    # One unwrapped line, whatever the terminal: the log's metric filters parse it.
    typer.echo(json.dumps({"event": SWEEP_EVENT, "states": len(codes), **totals,
                           "failed": len(failed)}))
    if failed:
        raise StorageUnavailable(f"the sweep failed for {', '.join(failed)}")
