"""Documents as files: `<root>/<STATE>/<key[:2]>/<key>`.

The two-character fan-out directory keeps any one directory small with millions of keys,
and since it is a prefix of the key, walking the tree in name order yields keys in order.
Writes go to a dot-named temporary file in the target directory, are fsynced, then renamed
into place (rename is atomic within a filesystem: https://man7.org/linux/man-pages/man2/rename.2.html),
so a reader sees the whole old file or the whole new one and a failed upload leaves nothing.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from humangov.adapters.blobs import CHUNK, SizedHasher, check_key, check_state, iter_chunks
from humangov.domain.errors import Conflict, NotFound, StorageUnavailable
from humangov.ports import BlobInfo, Erased, StoredBlob

TEMP_PREFIX = "."


class FilesystemBlobStore:
    def __init__(self, root: Path):
        self.root = os.fspath(Path(root).resolve())
        os.makedirs(self.root, exist_ok=True)

    def ping(self) -> None:
        if not os.access(self.root, os.R_OK | os.W_OK | os.X_OK):
            raise StorageUnavailable(
                "The document folder is missing or not writable. Check the data directory's "
                "disk and permissions."
            )

    def put(
        self, state: str, key: str, chunks: BinaryIO | Iterable[bytes], *, max_size: int | None = None
    ) -> StoredBlob:
        path = self._path(state, key)
        directory = os.path.dirname(path)
        fd, temp = self._temp_file(directory)
        hasher = SizedHasher(max_size)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in iter_chunks(chunks):
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            try:
                os.replace(temp, path)
            except IsADirectoryError:
                raise Conflict(
                    "This key names a folder holding other documents. Keys look like "
                    "<employee id>/<document id>.pdf."
                ) from None
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            self._prune(state, directory)
            raise
        _fsync_dir(directory)
        return StoredBlob(hasher.size, hasher.sha.hexdigest())

    def open(self, state: str, key: str) -> Iterator[bytes]:
        try:
            handle = open(self._path(state, key), "rb")  # noqa: SIM115 - the generator closes it
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"There is no document {key} in {state}.") from None
        return _read(handle)

    def stat(self, state: str, key: str) -> BlobInfo | None:
        try:
            st = os.stat(self._path(state, key))
        except (FileNotFoundError, NotADirectoryError):
            return None
        return BlobInfo(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def exists(self, state: str, key: str) -> bool:
        return os.path.isfile(self._path(state, key))

    def delete(self, state: str, key: str) -> Erased:
        path = self._path(state, key)
        directory = os.path.dirname(path)
        try:
            os.unlink(path)
        except (FileNotFoundError, NotADirectoryError):
            return Erased(existed=False)
        # Make the unlink durable before anyone records it as erased.
        _fsync_dir(directory)
        self._prune(state, directory)
        return Erased(existed=True)

    def list(self, state: str, *, after: str | None = None) -> Iterator[BlobInfo]:
        base = os.path.join(self.root, check_state(state))
        for fan in _sorted_dirs(base):
            # Every key under the fan-out directory `fan` starts with `fan`.
            if after is not None and after[:2] > fan:
                continue
            yield from _walk(os.path.join(base, fan), "", after if after and after[:2] == fan else None)

    def drop_state(self, state: str) -> None:
        base = os.path.join(self.root, check_state(state))
        if not os.path.isdir(base):
            return
        left = 0
        for directory, dirs, files in os.walk(base, topdown=False):
            for name in files:
                if name.startswith(TEMP_PREFIX):  # a crashed upload's remains: never a record's
                    os.unlink(os.path.join(directory, name))
                else:
                    left += 1
            with contextlib.suppress(OSError):
                os.rmdir(directory)
        if left:
            raise Conflict(
                f"The state {state} still holds {left} documents; erase them before dropping "
                "its storage."
            )

    def reap_temp_files(self, state: str, older_than_seconds: float) -> int:
        """Remove the temporary files of uploads that crashed before their rename.

        `list` skips them, so the orphan sweep never sees them; call this from the sweep.
        """
        base = os.path.join(self.root, check_state(state))
        cutoff = time.time() - older_than_seconds
        removed = 0
        for directory, _dirs, files in os.walk(base):
            for name in files:
                path = os.path.join(directory, name)
                if name.startswith(TEMP_PREFIX) and os.stat(path).st_mtime < cutoff:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)
                        removed += 1
        return removed

    # helpers ------------------------------------------------------------------------------
    def _path(self, state: str, key: str) -> str:
        return os.path.join(self.root, check_state(state), check_key(key)[:2], key)

    def _temp_file(self, directory: str) -> tuple[int, str]:
        for _ in range(5):
            try:
                os.makedirs(directory, exist_ok=True)
                return tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=directory)
            except FileNotFoundError:
                continue  # a concurrent delete pruned the directory just now; make it again
            except (FileExistsError, NotADirectoryError):
                # A file can't also be a folder: keys 'a/b' and 'a/b/c' can't both exist here.
                raise Conflict(
                    "Another document's key is a prefix of this key's folders. Keys look like "
                    "<employee id>/<document id>.pdf."
                ) from None
        raise StorageUnavailable("The document folder keeps changing under us; retry the upload.")

    def _prune(self, state: str, directory: str) -> None:
        """Remove now-empty directories from `directory` up to, not including, the state's."""
        stop = os.path.join(self.root, state)
        while directory != stop and directory.startswith(stop + os.sep):
            try:
                os.rmdir(directory)
            except OSError:  # not empty (another key lives here) or already gone
                return
            directory = os.path.dirname(directory)


def _read(handle) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _sorted_dirs(directory: str) -> list[str]:
    try:
        with os.scandir(directory) as it:
            return sorted(e.name for e in it if e.is_dir(follow_symlinks=False)
                          and not e.name.startswith(TEMP_PREFIX))
    except FileNotFoundError:
        return []


def _walk(directory: str, prefix: str, after: str | None) -> Iterator[BlobInfo]:
    """Keys under `directory` (whose keys start with `prefix`) greater than `after`, in order.

    A directory sorts as its name plus '/', because that is the prefix of every key in it:
    so 'a-b' (a file) comes before the keys of directory 'a' ('a/...'), as '-' < '/'.
    """
    try:
        with os.scandir(directory) as it:
            entries = sorted(
                ((prefix + e.name + "/", e) if e.is_dir(follow_symlinks=False) else (prefix + e.name, e))
                for e in it if not e.name.startswith(TEMP_PREFIX)
            )
    except FileNotFoundError:  # removed by a concurrent delete: it holds nothing now
        return
    for name, entry in entries:
        if name.endswith("/"):
            if after is None or after < name:
                yield from _walk(entry.path, name, None)
            elif after.startswith(name):
                yield from _walk(entry.path, name, after)
        elif after is None or name > after:
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            yield BlobInfo(name, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
