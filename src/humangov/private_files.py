"""Files that hold personal data or secrets are the owner's alone: folders 0700, files 0600,
whatever the process umask. Modes are set explicitly because `mkdir(mode=...)` and `touch`
are filtered by the umask."""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) and make it 0700. Parents that already existed
    keep their mode: they may be shared folders such as /var/lib."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for created in (path, *missing):
        os.chmod(created, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty if missing and make it 0600, before anything is written to it.
    A missing folder is created 0700; an existing one is left as it is."""
    path = Path(path)
    if not path.parent.exists():
        private_dir(path.parent)
    path.touch(exist_ok=True)
    os.chmod(path, FILE_MODE)
    return path
