"""`humangov orphans daily`: the once-a-day sweep run by a scheduler rather than by `serve`
(on AWS an EventBridge rule starts it as one Fargate task; docs/aws.md, "The daily sweep")."""

from __future__ import annotations

from humangov.cli.common import DataDir, open_container
from humangov.cli.scheduled import each_state, summary

# The summary line's marker; infra/'s metric filters match it (tests/infra checks both agree).
SWEEP_EVENT = "humangov-orphan-sweep"


def daily(data_dir: DataDir = None) -> None:
    """Sweep every provisioned state and erase its orphans (receipted, recorded in the ledger),
    then print one JSON line: states, orphans, purged, dangling, failed."""
    with open_container(data_dir) as c:
        def sweep(code: str) -> dict[str, int]:
            result = c.erasures.sweep(code, grace=c.settings.sweep_grace, purge_orphans=True)
            return {"orphans": result.orphan_count, "purged": result.purged,
                    "dangling": len(result.dangling)}

        codes = [s.code for s in c.personnel.list_states()]
        totals, failed = each_state(codes, sweep, "the sweep",
                                    ("orphans", "purged", "dangling"))
    summary(SWEEP_EVENT, "the sweep", len(codes), totals, failed)
