"""Documents as files: `<root>/<STATE>/<key[:2]>/<key, with '/' written as %2F>`.

The two-character fan-out directory keeps any one directory small with millions of keys,
and since it is a prefix of the key, walking the fan-outs in name order and sorting each
one's keys yields all keys in order. A key's own slashes are encoded rather than made into
directories: one directory per employee would cost three more system calls per key in
`list` (measured: 25,000 keys/s nested against 100,000 keys/s flat on 100,000 keys), and
the orphan sweep lists every key every day.

Writes go to a dot-named temporary file in the target directory, are fsynced, then renamed
into place (rename is atomic within a filesystem: https://man7.org/linux/man-pages/man2/rename.2.html),
so a reader sees the whole old file or the whole new one and a failed upload leaves nothing.

A state's folder carries its identity, `<root>/<STATE>/.humangov-state` (JSON naming the
state), written when the state is provisioned. "Already absent", an upload and a sweep all
rest on it: a folder that is missing, or that is not the state's, is a storage failure, so a
folder renamed away never yields an empty listing, a false 'already-absent' receipt or a
fresh empty folder. The marker is the store's own: sweeps neither list nor count it.
"""

from __future__ import annotations

import bisect
import builtins
import contextlib
import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from io import BufferedReader
from pathlib import Path
from typing import BinaryIO

from humangov.adapters.blobs import (
    CHUNK,
    MAX_KEY,
    SizedHasher,
    check_key,
    check_state,
    is_key,
    iter_chunks,
)
from humangov.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    StorageFull,
    StorageUnavailable,
)
from humangov.ports import BlobInfo, Erased, StoredBlob
from humangov.private_files import private_dir

TEMP_PREFIX = "."
MARKER = ".humangov-state"  # the state's identity, in its folder


class FilesystemBlobStore:
    def __init__(self, root: Path):
        self.root = os.fspath(Path(root).resolve())
        private_dir(Path(self.root))  # personnel documents: the owner's alone

    def ping(self) -> None:
        if not os.access(self.root, os.R_OK | os.W_OK | os.X_OK):
            raise StorageUnavailable(
                "The document folder is missing or not writable. Check the data directory's "
                "disk and permissions."
            )

    def provision_state(self, state: str, *, create: bool = True) -> None:
        """Make the state's folder carry its identity. With `create` (a new state, or an
        operator recreating a lost store on purpose) a missing folder is created; without,
        it raises StorageUnavailable, so a folder moved away is reported, never replaced by an
        empty one. A folder there without the marker (data from an earlier release) is adopted:
        it is at the state's path. A marker naming another state is never overwritten."""
        base = self._base(state)
        with storing(state):
            if create:
                os.makedirs(base, mode=0o700, exist_ok=True)
            if not os.path.isdir(base):
                raise StorageUnavailable(_missing(state, base))
            if _marked_state(base) is None:
                _write_marker(base, state)
        self.verify_space(state)

    def verify_space(self, state: str) -> None:
        base = self._base(state)
        try:
            named = _marked_state(base)
        except OSError as exc:
            raise StorageUnavailable(
                f"The documents folder of {state} cannot be read ({exc.strerror or exc}): "
                f"{base}. Check the documents disk and its permissions."
            ) from exc
        if named == state:
            return
        if not os.path.isdir(base):
            raise StorageUnavailable(_missing(state, base))
        if named is None:
            raise StorageUnavailable(
                f"The documents folder of {state} does not carry its identity ({MARKER} is "
                f"missing): {base}. If it is {state}'s folder, run `humangov states add "
                f"{state}` to mark it; otherwise restore {state}'s own folder in its place."
            )
        raise StorageUnavailable(
            f"The documents folder at {base} is not {state}'s: its {MARKER} names "
            f"{named or 'no state (it is unreadable)'}. Put {state}'s own folder back in its "
            "place."
        )

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.root).free

    def put(self, state: str, key: str, chunks: BinaryIO | Iterable[bytes], *,
            max_size: int | None = None) -> StoredBlob:
        path = self._path(state, key)
        directory = os.path.dirname(path)
        self.verify_space(state)
        with storing(state):
            fd, temp = self._temp_file(state, directory)
        hasher = SizedHasher(max_size)
        try:
            # Unbuffered: a buffer flushed on close would raise a full disk's error after the
            # `storing` blocks, as an unexplained 500.
            with os.fdopen(fd, "wb", buffering=0) as out:
                # Only our own file operations are storage errors: the upload stream's
                # (a client gone, a body too large) pass through as they are.
                for chunk in iter_chunks(chunks):
                    hasher.update(chunk)
                    with storing(state):
                        self._write(out, chunk)
                with storing(state):
                    out.flush()
                    os.fsync(out.fileno())
                    os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            self._prune(state, directory)
            raise
        with storing(state):
            _fsync_dir(directory)
        return StoredBlob(hasher.size, hasher.sha.hexdigest())

    def _write(self, out: BinaryIO, chunk: bytes) -> None:
        # The one low-level write, so tests can make it fail as a full disk does. A raw
        # write may take only part of the chunk.
        view = memoryview(chunk)
        while view:
            view = view[out.write(view):]

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
            # Absent only if the state's own folder says so: checked here, off the usual path.
            self.verify_space(state)
            return Erased(existed=False)
        # Make the unlink durable before anyone records it as erased.
        _fsync_dir(directory)
        self._prune(state, directory)
        return Erased(existed=True)

    def list(self, state: str, *, after: str | None = None) -> Iterator[BlobInfo]:
        base = self._base(state)
        self.verify_space(state)
        for fan in _sorted_dirs(base):
            # Every key in the fan-out directory `fan` starts with `fan`.
            if after is not None and after[:2] > fan:
                continue
            entries = _sorted_entries(os.path.join(base, fan))
            start = 0
            if after is not None and after[:2] == fan:
                start = bisect.bisect_right(entries, after, key=lambda pair: pair[0])
            for key, entry in entries[start:]:
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # deleted since the directory was read
                    continue
                yield BlobInfo(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def list_keys(self, state: str) -> Iterator[str]:
        for chunk in self.list_key_chunks(state):
            chunk.sort()
            yield from chunk

    def list_key_chunks(self, state: str, *, start: str | None = None,
                        stop: str | None = None,
                        foreign: builtins.list[str] | None = None) -> Iterator[builtins.list[str]]:
        """One unsorted list per fan-out directory, the directories in order: one directory
        read per fan-out, no stat and no sort per file, which is what makes the orphan sweep
        fast (it stats only the files no record references).

        Every key in directory `fan` starts with `fan`, so a directory lies wholly inside or
        outside [start, stop) unless a bound falls within its prefix: only then are its
        keys compared one by one (never for bounds that are fan-out names, as the sweep's are).

        Files whose name is not a key this store wrote there (anything else put in the
        state's folder, upload temporaries, nested folders) are appended to `foreign` as
        paths relative to the state's folder: those in a fan-out directory by the range that
        holds the directory's name, those elsewhere by the range that starts at the bottom.
        The state's identity marker is neither: the folder is verified before it is listed, so
        a missing folder fails the sweep rather than making every record look dangling.
        """
        base = self._base(state)
        self.verify_space(state)
        if foreign is not None and start is None:
            foreign += _outside_fan_outs(base)
        for fan in _sorted_dirs(base):
            if not _is_fan_out(fan):
                continue
            if stop is not None and fan >= stop:
                return  # every key here and in later directories is >= fan >= stop
            if start is not None and fan < start[:len(fan)]:
                continue  # every key here sorts before start
            directory = os.path.join(base, fan)
            try:
                names = os.listdir(directory)
            except FileNotFoundError:
                continue
            if _plain_keys(directory, fan, names):
                keys = decode_names(names)
            else:
                keys, others = _split_names(directory, fan, names)
                if foreign is not None and (start is None or fan >= start) and (
                        stop is None or fan < stop):
                    foreign += others
            if (start is not None and fan < start) or (stop is not None and fan >= stop[:len(fan)]):
                keys = [
                    k for k in keys if (start is None or k >= start) and (stop is None or k < stop)
                ]
            if keys:
                yield keys

    def foreign_files(self) -> FilesystemBlobStore:
        """This store with keys read as the paths `list_key_chunks` reports as foreign."""
        return _ForeignFiles(Path(self.root))

    def key_split_points(self, state: str, parts: int) -> builtins.list[str]:
        """Up to `parts - 1` fan-out directory names that split the state's keys into `parts`
        ranges of about as many directories each (keys spread evenly over the fan-outs when
        they start with random ids). Ranges are [None, p0), [p0, p1), ..., [pn, None)."""
        dirs = [d for d in _sorted_dirs(os.path.join(self.root, check_state(state)))
                if _is_fan_out(d)]
        if parts < 2 or len(dirs) < parts:
            return []
        return [dirs[len(dirs) * i // parts] for i in range(1, parts)]

    def drop_state(self, state: str) -> None:
        base = os.path.join(self.root, check_state(state))
        if not os.path.isdir(base):
            return
        left = 0
        for directory, _dirs, files in os.walk(base, topdown=False):
            for name in files:
                # A crashed upload's remains, or the state's marker: never a record's.
                if name.startswith(TEMP_PREFIX):
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

    # helpers ------------------------------------------------------------------------------
    def _base(self, state: str) -> str:
        return os.path.join(self.root, check_state(state))

    def _path(self, state: str, key: str) -> str:
        check_state(state), check_key(key)
        name = encode_name(key)
        if len(name.encode()) > 255:  # NAME_MAX on Linux filesystems
            raise InvalidInput(f"The storage key {key[:40]!r}... is too long.", field="key")
        return os.path.join(self.root, state, key[:2], name)

    def _temp_file(self, state: str, directory: str) -> tuple[int, str]:
        for _ in range(5):
            try:
                os.mkdir(directory, 0o700)  # the fan-out folder only: never the state's own
            except FileExistsError:
                pass
            except FileNotFoundError:
                raise StorageUnavailable(_missing(state, os.path.dirname(directory))) from None
            try:
                return tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=directory)
            except FileNotFoundError:
                continue  # a concurrent delete pruned the directory just now; make it again
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


def _missing(state: str, base: str) -> str:
    return (
        f"The documents folder of {state} is missing: {base}. Restore it (move it back); "
        "HumanGov does not recreate it, since erasures would then record its documents as "
        "already absent. If they are truly lost, recreate it empty with `humangov states add "
        f"{state} --recreate-missing-store`."
    )


def _marked_state(base: str) -> str | None:
    """The state the folder's marker names; None if it has none (or no folder)."""
    try:
        with open(os.path.join(base, MARKER), "rb") as f:
            data = f.read(4096)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        named = json.loads(data).get("state")
    except (ValueError, AttributeError):
        return ""  # unreadable: not this state's, and not to be overwritten
    return str(named)


def _write_marker(base: str, state: str) -> None:
    """Written whole or not at all: a temporary file, fsynced, renamed over the marker."""
    fd, temp = tempfile.mkstemp(prefix=MARKER, suffix=".tmp", dir=base)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(json.dumps({"state": state}).encode() + b"\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, os.path.join(base, MARKER))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _fsync_dir(base)


FULL = {errno.ENOSPC, errno.EDQUOT}
READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


@contextlib.contextmanager
def storing(state: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise storage_error(exc, state) from exc


def storage_error(exc: OSError, state: str) -> StorageFull | StorageUnavailable:
    """The domain error for a failed write: a full disk is the operator's to free, a
    read-only or broken folder the operator's to repair; neither is the user's fault."""
    if exc.errno in FULL:
        return StorageFull(
            f"Document storage is full: nothing was stored for {state}. Free space on the "
            "documents disk (or raise its quota), then try again."
        )
    if exc.errno in READ_ONLY:
        return StorageUnavailable(
            f"Document storage is read-only: nothing was stored for {state}. Check the "
            "documents folder's mount and permissions, then try again."
        )
    return StorageUnavailable(
        f"Document storage failed ({exc.strerror or exc}): nothing was stored for {state}. "
        "Check the documents disk, then try again."
    )


class _ForeignFiles(FilesystemBlobStore):
    def _path(self, state: str, key: str) -> str:
        base = os.path.join(self.root, check_state(state))
        path = os.path.normpath(os.path.join(base, key))
        if os.path.isabs(key) or not path.startswith(base + os.sep):
            raise InvalidInput(f"{key[:80]!r} is not a path inside {state}'s folder.", field="key")
        return path


def _is_fan_out(name: str) -> bool:
    return len(name) == 2 and not name.startswith(TEMP_PREFIX)


def _outside_fan_outs(base: str) -> list[str]:
    """Paths, relative to `base`, of the files not in a fan-out directory of `base`."""
    found = []
    try:
        with os.scandir(base) as it:
            entries = list(it)
    except FileNotFoundError:
        return []
    for entry in entries:
        if entry.name == MARKER:
            continue  # the store's own, not a document
        if not entry.is_dir(follow_symlinks=False):
            found.append(entry.name)
        elif not _is_fan_out(entry.name):
            found += _files_under(base, entry.name)
    return found


def _files_under(base: str, folder: str) -> list[str]:
    found = []
    for directory, dirs, files in os.walk(os.path.join(base, folder)):
        rel = os.path.relpath(directory, base).replace(os.sep, "/")
        links = [d for d in dirs if os.path.islink(os.path.join(directory, d))]  # not walked
        found += [f"{rel}/{name}" for name in files + links]
    return found


def _plain_keys(directory: str, fan: str, names: list[str]) -> bool:
    """Whether every name in the fan-out `directory` is a file named by `encode_name` for a
    valid key starting with `fan`: checked on the names joined, with a substring count and a
    regular expression search that run in C, so the common case costs no Python per name
    (measured at 300,000 names: 80 ms, against 290 ms to list and decode them). False means
    only "look closer" (`_split_names`)."""
    if "%" in fan or "\\" in fan:
        return False
    joined = "\0" + "\0".join(names) + "\0"
    return (
        # Each name starts with the fan-out's name, so none starts with '.' and its first
        # part has at least two characters.
        joined.count("\0" + fan) == len(names)
        and not _NOT_ENCODED.search(joined)
        and "\\" not in joined
        and max(map(len, names), default=0) <= MAX_KEY
        # A directory's link count is 2 plus its subdirectories on ext4, xfs and tmpfs; any
        # other count (btrfs answers 1) makes us look at each entry's type.
        and os.stat(directory).st_nlink == 2
    )


# A '%' that `decode_name` would not undo exactly, or an encoded '/' starting an empty part,
# a part starting with '.', or ending the name.
_NOT_ENCODED = re.compile("%(?!25|2F)|%2F(?:%2F|[.\0])")


def _split_names(directory: str, fan: str, names: list[str]) -> tuple[list[str], list[str]]:
    """The keys among a fan-out directory's names, and the paths (relative to the state's
    folder) of every other file in it, nested ones included."""
    keys, foreign = [], []
    for name in names:
        path = os.path.join(directory, name)
        if os.path.isdir(path) and not os.path.islink(path):
            foreign += _files_under(os.path.dirname(directory), f"{fan}/{name}")
            continue
        key = decode_name(name)
        if key[:2] == fan and encode_name(key) == name and is_key(key):
            keys.append(key)
        else:
            foreign.append(f"{fan}/{name}")
    return keys, foreign


def _read(handle: BufferedReader) -> Iterator[bytes]:
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


def _sorted_entries(directory: str) -> list[tuple[str, os.DirEntry]]:
    try:
        with os.scandir(directory) as it:
            return sorted(
                (decode_name(e.name), e) for e in it if not e.name.startswith(TEMP_PREFIX)
            )
    except FileNotFoundError:  # removed by a concurrent delete: it holds nothing now
        return []


def encode_name(key: str) -> str:
    return key.replace("%", "%25").replace("/", "%2F")


def decode_names(names: list[str]) -> list[str]:
    """`decode_name` over a directory's names. Inlined rather than calling `decode_name`: at a
    million names the call costs more than the replaces, and decoding one joined string in
    bulk measured no faster."""
    return [n.replace("%2F", "/").replace("%25", "%") for n in names]


def decode_name(name: str) -> str:
    # Every '%' of an encoded name starts '%25' or '%2F', so decoding '%2F' first is exact.
    return name.replace("%2F", "/").replace("%25", "%") if "%" in name else name


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
