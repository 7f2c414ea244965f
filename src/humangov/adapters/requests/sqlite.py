"""SQLite erasure requests, in the embedded database."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert

from humangov.adapters.metadata import erasure_requests as table
from humangov.adapters.request_codec import decode, encode
from humangov.adapters.sql import reading
from humangov.adapters.timecodec import to_text
from humangov.domain.requests import ErasureRequest


class SqliteRequestStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def save(self, request: ErasureRequest) -> None:
        data = encode(request)
        with self.engine.begin() as conn:
            conn.execute(insert(table).values(
                id=request.id, state=request.state, filed_at=to_text(request.filed_at),
                data=data).on_conflict_do_update(index_elements=["id"], set_={"data": data}))

    def get(self, state: str, request_id: str) -> ErasureRequest | None:
        with reading(self.engine) as conn:
            data = conn.execute(sa.select(table.c.data).where(
                table.c.id == request_id, table.c.state == state)).scalar()
        return None if data is None else decode(data)

    def list(self, state: str) -> list[ErasureRequest]:
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(table.c.data).where(table.c.state == state)
                                .order_by(table.c.filed_at.desc())).scalars().all()
        return [decode(data) for data in rows]

    def remove(self, state: str, request_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(table.delete().where(table.c.id == request_id, table.c.state == state))
