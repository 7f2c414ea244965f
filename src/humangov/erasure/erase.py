"""Idempotent erasure of planned keys, one receipt per key.

Delivery is at least once, so every step tolerates a repeat: a key already receipted for this
change is skipped, and a file that is already gone is a success ('already-absent'). A crash
between the delete and the receipt is redelivered and recorded as 'already-absent'.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from humangov.domain.erasure import DocumentChange, Receipt
from humangov.domain.errors import NotFound
from humangov.ports import BlobStore, Clock, Ledger

log = logging.getLogger(__name__)

IsReferenced = Callable[[str, str], bool]


def erase(
    state: str, keys: list[str], change: DocumentChange, *,
    blobs: BlobStore, is_referenced: IsReferenced, ledger: Ledger, clock: Clock,
) -> list[Receipt]:
    """Erase `keys` of `state` for `change`, appending each receipt as soon as its key is
    gone; return the receipts written by this call.

    Raises whatever the blob store raises (e.g. StorageUnavailable): the caller retries.
    """
    receipts: list[Receipt] = []
    for key in keys:
        if ledger.has(change.change_id, key):
            continue
        receipt = erase_key(state, key, change, blobs=blobs, is_referenced=is_referenced,
                            clock=clock)
        if receipt is not None:
            ledger.append([receipt])
            receipts.append(receipt)
    return receipts


def erase_key(state: str, key: str, change: DocumentChange, *, blobs: BlobStore,
              is_referenced: IsReferenced, clock: Clock) -> Receipt | None:
    """Erase one key for `change` unless a live record references it; the receipt is the
    caller's to record (the worker records a batch's receipts in one transaction)."""
    # Checked right before the delete: a live record may have been pointed at this key
    # since the change (a restore, or a sweep racing an upload commit).
    if is_referenced(state, key):
        log.warning("erasure skipped: %s/%s is referenced by a live record (change %s)",
                    state, key, change.change_id)
        return None
    size, sha256 = _fingerprint(blobs, state, key, change)
    erased = blobs.delete(state, key)
    return Receipt(
        state=state, key=key, size=size, sha256=sha256, reason=change.reason,
        change_id=change.change_id, actor=change.actor, requested_at=change.requested_at,
        erased_at=clock.now(), result="erased" if erased.existed else "already-absent",
        versions=tuple(erased.versions), synthetic=change.synthetic,
    )


def _fingerprint(blobs: BlobStore, state: str, key: str, change: DocumentChange):
    """Size and sha256 for the receipt: from the record when it had them, else from the file."""
    if change.old is not None and change.old.key == key and change.old.sha256:
        return change.old.size, change.old.sha256
    info = blobs.stat(state, key)
    if info is None:
        return None, None
    digest = hashlib.sha256()
    try:
        for chunk in blobs.open(state, key):
            digest.update(chunk)
    except NotFound:  # gone between stat and open: the delete below reports it
        return info.size, None
    return info.size, digest.hexdigest()
