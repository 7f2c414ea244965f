"""What the filesystem store holds on disk, as tests count it."""

from __future__ import annotations

import os

from humangov.adapters.blobs.filesystem import MARKER


def stored_files(root) -> list[str]:
    """Every file under `root`, sorted, but the states' identity markers (the store's own)."""
    return sorted(os.path.join(d, n) for d, _, names in os.walk(root) for n in names
                  if n != MARKER)
