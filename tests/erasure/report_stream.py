"""Reads a streamed compliance report back as it comes, keeping only counts: the tests that
hold a report to bounded memory must not hold its receipts either."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson

RECEIPT_FIELDS = {"key", "size", "sha256", "versions", "reason", "change_id", "actor",
                  "requested_at", "erased_at", "result"}


@dataclass
class StreamedReport:
    receipts: int = 0  # receipt lines parsed, own and synthetic
    keys_in_order: list[str] = field(default_factory=list)  # the first few, to check order
    document: dict = field(default_factory=dict)  # the report with its receipt lists emptied
    peak_bytes: int = 0  # measured by tracemalloc; 0 untraced


def read_streamed(chunks: Iterable[bytes], *, keep_keys: int = 3,
                  trace: bool = True) -> StreamedReport:
    """Consume `chunks`, under tracemalloc if `trace` (it slows Python several times over: a
    process of its own measures a large report's memory from outside); parse each receipt
    line alone."""
    out = StreamedReport()
    skeleton: list[bytes] = []
    pending = b""
    if trace:
        tracemalloc.start()
    try:
        for chunk in chunks:
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            for line in lines:
                _take(line, out, skeleton, keep_keys)
        _take(pending, out, skeleton, keep_keys)
        if trace:
            out.peak_bytes = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()  # a no-op when not tracing
    out.document = orjson.loads(b"".join(skeleton))
    return out


def _take(line: bytes, out: StreamedReport, skeleton: list[bytes], keep_keys: int) -> None:
    if line.startswith(b'{"key":'):
        receipt = orjson.loads(line.removesuffix(b","))
        assert set(receipt) == RECEIPT_FIELDS
        out.receipts += 1
        if len(out.keys_in_order) < keep_keys:
            out.keys_in_order.append(receipt["key"])
    else:
        skeleton.append(line)
