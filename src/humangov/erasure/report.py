"""The compliance report a state's counsel asks for: what was erased, why, and what is left."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from humangov.domain.erasure import REASONS, Receipt
from humangov.domain.states import STATE_NAMES

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates" / "erasures"
PAGE = 500


def build_report(
    state: str, *, ledger, outbox, now: datetime, since: datetime | None = None
) -> dict:
    # Counsel's totals and receipts are the state's own; canary erasures are listed apart.
    receipts = _all_receipts(ledger, state, since, synthetic=False)
    synthetic = _all_receipts(ledger, state, since, synthetic=True)
    totals = ledger.totals(state, since, synthetic=False)
    sweep = ledger.latest_sweep(state)
    dead = outbox.dead_letters(state)
    return {
        "state": state,
        "state_name": STATE_NAMES.get(state, state),
        "generated_at": now.isoformat(),
        "since": since.isoformat() if since else None,
        "totals_by_reason": {reason: totals.get(reason, 0) for reason in REASONS},
        "total_erased": sum(totals.values()),
        "pending_intents": outbox.pending_count(state),
        "dead_letters": [
            {"id": d.id, "change_id": d.change.change_id, "reason": d.change.reason,
             "key": d.change.old.key if d.change.old else None, "attempts": d.attempts,
             "last_error": d.last_error}
            for d in dead
        ],
        "latest_sweep": None if sweep is None else {
            "started_at": sweep.started_at.isoformat(),
            "finished_at": sweep.finished_at.isoformat(),
            "scanned_files": sweep.scanned_files, "scanned_records": sweep.scanned_records,
            "orphans": sweep.orphans, "dangling": sweep.dangling, "purged": sweep.purged,
        },
        "receipts": [_receipt(r) for r in receipts],
        "synthetic_erased": len(synthetic),
        "synthetic_receipts": [_receipt(r) for r in synthetic],
    }


def _all_receipts(ledger, state: str, since: datetime | None, *,
                  synthetic: bool) -> list[Receipt]:
    receipts: list[Receipt] = []
    cursor = None
    while True:
        page, cursor = ledger.receipts(state, limit=PAGE, cursor=cursor, since=since,
                                       synthetic=synthetic)
        receipts.extend(page)
        if cursor is None:
            return receipts


def _receipt(r: Receipt) -> dict:
    return {"key": r.key, "size": r.size, "sha256": r.sha256, "versions": list(r.versions),
            "reason": r.reason, "change_id": r.change_id, "actor": r.actor,
            "requested_at": r.requested_at.isoformat(), "erased_at": r.erased_at.isoformat(),
            "result": r.result}


def render_html(report: dict) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    return env.get_template("compliance_report.html").render(r=report)
