"""An erasure request as one JSON document: the form both request stores keep."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import orjson

from humangov.adapters.timecodec import from_optional_text, from_text, to_optional_text, to_text
from humangov.domain.requests import ErasureRequest, RequestReceipt


def encode(request: ErasureRequest) -> str:
    data = asdict(request)
    data.update(due=request.due.isoformat(), filed_at=to_text(request.filed_at),
                closed_at=to_optional_text(request.closed_at),
                receipts=[{**asdict(r), "erased_at": to_text(r.erased_at)}
                          for r in request.receipts])
    return orjson.dumps(data).decode()


def decode(text: str) -> ErasureRequest:
    data = orjson.loads(text)
    data.update(due=date.fromisoformat(data["due"]), filed_at=from_text(data["filed_at"]),
                closed_at=from_optional_text(data["closed_at"]),
                receipts=tuple(RequestReceipt(**{**r, "erased_at": from_text(r["erased_at"])})
                               for r in data["receipts"]))
    for name in ("employee_ids", "keys", "held"):
        data[name] = tuple(data[name])
    return ErasureRequest(**data)
