"""The compliance report a state's counsel asks for: what was erased, why, and what is left.

A state can hold millions of receipts, so the report never holds them: they are read from the
ledger a keyset page at a time and written out as they come (JSON one receipt a line; HTML for
the CLI likewise). The JSON's totals are counted while its receipts stream, so they always
match the receipts listed; they therefore come after the receipts in the document.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape

from humangov.domain.erasure import REASONS, ErasureIntent, Receipt
from humangov.domain.holds import Hold
from humangov.domain.states import STATE_NAMES
from humangov.ports import ErasureOutbox, Ledger

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates" / "erasures"
PAGE = 1000
# What a browser shows of each list; the JSON download has them all.
LATEST = 200


@dataclass(frozen=True)
class ComplianceReport:
    state: str
    since: datetime | None
    head: dict  # everything but the receipts and their totals: small, read up front
    ledger: Ledger

    def receipts(self, *, synthetic: bool) -> Iterator[dict]:
        """The state's receipts, latest first, a ledger page at a time."""
        cursor = None
        while True:
            page, cursor = self.ledger.receipts(
                self.state, limit=PAGE, cursor=cursor, since=self.since, synthetic=synthetic)
            yield from (_receipt(r) for r in page)
            if cursor is None:
                return

    def json_chunks(self) -> Iterator[bytes]:
        """The whole report as JSON, a chunk per ledger page, one receipt a line."""
        head = orjson.dumps(self.head)
        yield head[:-1] + b',\n"receipts":['
        own = _Tally()
        yield from _json_array(own.count(self.receipts(synthetic=False)))
        yield b'\n],\n"synthetic_receipts":['
        synthetic = _Tally()
        yield from _json_array(synthetic.count(self.receipts(synthetic=True)))
        tail = orjson.dumps({
            "totals_by_reason": {reason: own.by_reason.get(reason, 0) for reason in REASONS},
            "total_erased": own.total, "synthetic_erased": synthetic.total})
        yield b"\n],\n" + tail[1:] + b"\n"

    def html_chunks(self, *, limit: int | None, json_url: str | None = None) -> Iterator[str]:
        """The report as HTML with the latest `limit` receipts of each list (None: all of
        them, streamed). The summary's totals are the ledger's aggregates."""
        totals = self.ledger.totals(self.state, self.since, synthetic=False)
        synthetic = self.ledger.totals(self.state, self.since, synthetic=True)
        r = {**self.head, "totals_by_reason": {k: totals.get(k, 0) for k in REASONS},
             "total_erased": sum(totals.values()), "synthetic_erased": sum(synthetic.values()),
             "receipts": islice(self.receipts(synthetic=False), limit),
             "synthetic_receipts": islice(self.receipts(synthetic=True), limit),
             "limit": limit, "json_url": json_url}
        env = Environment(loader=FileSystemLoader(TEMPLATES),
                          autoescape=select_autoescape(["html"]))
        return env.get_template("compliance_report.html").generate(r=r)


def open_report(state: str, *, ledger: Ledger, outbox: ErasureOutbox, now: datetime,
                since: datetime | None = None, holds: Iterable[Hold] = (),
                sections: dict[str, object] | None = None) -> ComplianceReport:
    """`sections`: the further parts of the report by key, such as `requests`, each small
    enough to read up front."""
    # Counsel's totals and receipts are the state's own; canary erasures are listed apart.
    sweep = ledger.latest_sweep(state)
    head = {
        "state": state,
        "state_name": STATE_NAMES.get(state, state),
        "generated_at": now.isoformat(),
        "since": since.isoformat() if since else None,
        "pending_intents": outbox.pending_count(state),
        "dead_letters": [
            {"id": d.id, "change_id": d.change.change_id, "reason": d.change.reason,
             "key": d.change.old.key if d.change.old else None, "attempts": d.attempts,
             "last_error": d.last_error}
            for d in outbox.dead_letters(state)
        ],
        "latest_sweep": None if sweep is None else {
            "started_at": sweep.started_at.isoformat(),
            "finished_at": sweep.finished_at.isoformat(),
            "scanned_files": sweep.scanned_files, "scanned_records": sweep.scanned_records,
            "orphans": sweep.orphans, "dangling": sweep.dangling, "purged": sweep.purged,
        },
        "holds": holds_section(holds, outbox.held(state)),
        **(sections or {}),
    }
    return ComplianceReport(state=state, since=since, head=head, ledger=ledger)


def holds_section(holds: Iterable[Hold], waiting: list[ErasureIntent]) -> dict:
    """The legal holds (in force and released) and the erasures waiting for one."""
    listed = [{
        "id": h.id, "matter": h.matter, "scope": list(h.employee_ids) or "state",
        "status": "in force" if h.active else "released", "placed_by": h.placed_by,
        "placed_at": h.placed_at.isoformat(), "released_by": h.released_by,
        "released_at": h.released_at.isoformat() if h.released_at else None,
    } for h in holds]
    return {
        "in_force": sum(h["status"] == "in force" for h in listed),
        "holds": listed,
        "held_erasures": [
            {"id": w.id, "change_id": w.change.change_id, "reason": w.change.reason,
             "employee_id": w.change.employee_id or None,
             "key": w.change.old.key if w.change.old else None,
             "requested_at": w.change.requested_at.isoformat(), "held_by": w.last_error}
            for w in waiting
        ],
    }


class _Tally:
    def __init__(self) -> None:
        self.total = 0
        self.by_reason: dict[str, int] = {}

    def count(self, receipts: Iterator[dict]) -> Iterator[dict]:
        for r in receipts:
            self.total += 1
            self.by_reason[r["reason"]] = self.by_reason.get(r["reason"], 0) + 1
            yield r


def _json_array(items: Iterator[dict]) -> Iterator[bytes]:
    """The items' JSON, comma separated, one a line, in chunks of a page."""
    chunk: list[bytes] = []
    sep = b"\n"
    for item in items:
        chunk.append(sep + orjson.dumps(item))
        sep = b",\n"
        if len(chunk) == PAGE:
            yield b"".join(chunk)
            chunk = []
    if chunk:
        yield b"".join(chunk)


def _receipt(r: Receipt) -> dict:
    return {"key": r.key, "size": r.size, "sha256": r.sha256, "versions": list(r.versions),
            "reason": r.reason, "change_id": r.change_id, "actor": r.actor,
            "requested_at": r.requested_at.isoformat(), "erased_at": r.erased_at.isoformat(),
            "result": r.result}
