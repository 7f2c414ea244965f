"""What a document change obliges us to erase. Pure: the outbox worker and the AWS stream
Lambda both call it."""

from __future__ import annotations

from humangov.domain.erasure import DocumentChange


def plan(change: DocumentChange) -> list[str]:
    """The keys to erase: the old key when the record is gone or now points elsewhere."""
    if change.old is None:
        return []
    if change.new is not None and change.new.key == change.old.key:
        return []
    return [change.old.key]
