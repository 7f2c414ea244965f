"""What only the filesystem adapter has: its layout on disk and crashed uploads' remains."""

from __future__ import annotations

import errno
import json
import os

import pytest

from humangov.adapters.blobs.filesystem import (
    MARKER,
    FilesystemBlobStore,
    decode_name,
    encode_name,
)
from humangov.domain.errors import StorageFull, StorageUnavailable

KEY = "3f2a0b1c-0000-4000-8000-000000000001/9b1c0d2e-0000-4000-8000-000000000002.pdf"


def documents(folder) -> list[str]:
    """What a state's folder holds besides its identity marker."""
    return sorted(set(os.listdir(folder)) - {MARKER})


def test_a_document_lives_in_its_states_fan_out_folder(tmp_path):
    store = FilesystemBlobStore(tmp_path)
    store.provision_state("CA")
    store.put("CA", KEY, [b"%PDF-1.7"])
    assert documents(tmp_path / "CA") == ["3f"]
    assert os.listdir(tmp_path / "CA" / "3f") == [KEY.replace("/", "%2F")]
    store.delete("CA", KEY)
    assert documents(tmp_path / "CA") == []  # the emptied fan-out folder goes too


def test_names_encode_and_decode_exactly():
    for key in [KEY, "ab%2F/x", "ab%25%", "ab/%2F%25/"]:
        assert "/" not in encode_name(key)
        assert decode_name(encode_name(key)) == key


def test_a_crashed_uploads_temp_file_is_listed_apart_and_erased_by_its_path(tmp_path):
    # GIVEN a temp file left by an upload that died before its rename
    store = FilesystemBlobStore(tmp_path)
    store.provision_state("CA")
    store.put("CA", KEY, [b"%PDF-1.7"])
    (tmp_path / "CA" / "3f" / ".tmpcrash.tmp").write_bytes(b"%PDF-partial")
    # WHEN listing keys, collecting the other names
    foreign: list[str] = []
    assert [k for c in store.list_key_chunks("CA", foreign=foreign) for k in c] == [KEY]
    # THEN the temp file is reported by its path, and can be read and erased by it
    assert foreign == ["3f/.tmpcrash.tmp"]
    files = store.foreign_files()
    assert files.stat("CA", "3f/.tmpcrash.tmp").size == 12
    assert files.delete("CA", "3f/.tmpcrash.tmp").existed
    assert [k for c in store.list_key_chunks("CA", foreign=foreign) for k in c] == [KEY]
    assert os.listdir(tmp_path / "CA" / "3f") == [encode_name(KEY)]


def test_names_encode_name_never_writes_are_foreign_whatever_they_look_like(tmp_path):
    # GIVEN a fan-out folder holding a key and names that decode to no key of that folder
    store = FilesystemBlobStore(tmp_path)
    store.provision_state("CA")
    store.put("CA", "ab/x.pdf", [b"%PDF"])
    odd = ["ab%41.pdf", "ab%2F%2Fx", "ab%2F.hidden", "abc%2F", "cd%2Fy.pdf", "ab" + "x" * 201,
           "ab\\x"]
    for name in odd:
        (tmp_path / "CA" / "ab" / name).write_bytes(b"?")
    (tmp_path / "CA" / "ab" / "abdir").mkdir()  # a folder whose name would pass for a key
    (tmp_path / "CA" / "ab" / "abdir" / "z.pdf").write_bytes(b"?")
    # WHEN listing
    foreign: list[str] = []
    keys = [k for c in store.list_key_chunks("CA", foreign=foreign) for k in c]
    # THEN only the key is a key; every other file is reported by its path
    assert keys == ["ab/x.pdf"]
    assert sorted(foreign) == sorted([*(f"ab/{n}" for n in odd), "ab/abdir/z.pdf"])


class FullDisk(FilesystemBlobStore):
    """A store on a disk that fills up mid-upload: part of the first chunk lands, then the
    kernel's real error."""

    def __init__(self, root, error=errno.ENOSPC):
        super().__init__(root)
        self.error = error

    def _write(self, out, chunk):
        out.write(chunk[: len(chunk) // 2])
        out.flush()
        raise OSError(self.error, os.strerror(self.error))


def files_under(path):
    """Every file under `path` but the states' identity markers."""
    return [os.path.join(d, n) for d, _, names in os.walk(path) for n in names if n != MARKER]


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_is_storage_full_and_leaves_no_file_and_no_temporary(tmp_path, error):
    store = FullDisk(tmp_path, error)
    store.provision_state("CA")
    with pytest.raises(StorageFull, match="Document storage is full: nothing was stored for CA"):
        store.put("CA", KEY, [b"%PDF-1.7 " * 100])
    assert files_under(tmp_path) == [] and documents(tmp_path / "CA") == []


def test_a_file_where_a_folder_belongs_is_storage_unavailable_and_stores_nothing(tmp_path):
    store = FilesystemBlobStore(tmp_path)
    store.provision_state("CA")
    (tmp_path / "CA" / "3f").write_bytes(b"not a folder")
    with pytest.raises(StorageUnavailable, match="Document storage failed"):
        store.put("CA", KEY, [b"%PDF-1.7"])
    assert files_under(tmp_path) == [str(tmp_path / "CA" / "3f")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any permission")
def test_a_read_only_folder_is_storage_unavailable_and_stores_nothing(tmp_path):
    store = FilesystemBlobStore(tmp_path)
    store.provision_state("CA")
    (tmp_path / "CA").chmod(0o555)
    try:
        with pytest.raises(StorageUnavailable, match="Document storage is read-only"):
            store.put("CA", KEY, [b"%PDF-1.7"])
        assert documents(tmp_path / "CA") == []
    finally:
        (tmp_path / "CA").chmod(0o755)


def test_an_upload_never_recreates_a_missing_state_folder(tmp_path):
    # GIVEN CA's folder moved away after provisioning
    store = FilesystemBlobStore(tmp_path / "documents")
    store.provision_state("CA")
    (tmp_path / "documents" / "CA").rename(tmp_path / "CA-moved")
    # WHEN a document is stored THEN it is refused, naming the state and the folder
    with pytest.raises(StorageUnavailable, match="The documents folder of CA is missing: .*CA"):
        store.put("CA", KEY, [b"%PDF-1.7"])
    assert not (tmp_path / "documents" / "CA").exists()
    assert files_under(tmp_path) == []


def test_provisioning_creates_the_state_folder_and_is_idempotent(tmp_path):
    store = FilesystemBlobStore(tmp_path)
    store.provision_state("CA")
    store.put("CA", KEY, [b"%PDF-1.7"])
    store.provision_state("CA")
    assert [info.key for info in store.list("CA")] == [KEY]


def test_provisioning_marks_the_state_folder_as_the_states(tmp_path):
    store = FilesystemBlobStore(tmp_path)
    store.provision_state("CA")
    assert json.loads((tmp_path / "CA" / MARKER).read_text()) == {"state": "CA"}
    store.verify_space("CA")


def test_a_moved_folder_is_not_recreated_unless_asked_and_deletes_fail_meanwhile(tmp_path):
    # GIVEN CA's folder, with a document, moved away
    store = FilesystemBlobStore(tmp_path / "documents")
    store.provision_state("CA")
    store.put("CA", KEY, [b"%PDF-1.7"])
    (tmp_path / "documents" / "CA").rename(tmp_path / "CA-moved")
    # THEN deleting, verifying and provisioning without `create` fail, creating nothing
    for attempt in (lambda: store.delete("CA", KEY), lambda: store.verify_space("CA"),
                    lambda: store.provision_state("CA", create=False)):
        with pytest.raises(StorageUnavailable, match="--recreate-missing-store"):
            attempt()
    assert not (tmp_path / "documents" / "CA").exists()
    # AND once it is back, the document is there to erase
    (tmp_path / "CA-moved").rename(tmp_path / "documents" / "CA")
    assert store.delete("CA", KEY).existed is True
    # AND an operator may recreate a lost folder on purpose
    (tmp_path / "documents" / "CA").rename(tmp_path / "CA-lost")
    store.provision_state("CA", create=True)
    assert store.delete("CA", KEY).existed is False


def test_an_unmarked_folder_is_refused_until_provisioning_adopts_it(tmp_path):
    # GIVEN a folder at CA's path without the marker (as earlier releases left them)
    store = FilesystemBlobStore(tmp_path)
    (tmp_path / "CA" / "3f").mkdir(parents=True)
    (tmp_path / "CA" / "3f" / encode_name(KEY)).write_bytes(b"%PDF-1.7")
    # THEN nothing is answered from it
    with pytest.raises(StorageUnavailable, match=f"does not carry its identity .*{MARKER}"):
        store.put("CA", KEY, [b"%PDF-1.7"])
    with pytest.raises(StorageUnavailable, match="humangov states add CA"):
        store.delete("CA", "ab/absent.pdf")
    with pytest.raises(StorageUnavailable):
        list(store.list_key_chunks("CA", foreign=[]))
    # WHEN provisioning finds it, even without `create`, THEN it is adopted, files and all
    store.provision_state("CA", create=False)
    assert [k for c in store.list_key_chunks("CA") for k in c] == [KEY]


def test_a_folder_marked_for_another_state_is_refused_and_never_remarked(tmp_path):
    store = FilesystemBlobStore(tmp_path)
    store.provision_state("TX")
    (tmp_path / "TX").rename(tmp_path / "CA")
    for attempt in (lambda: store.verify_space("CA"), lambda: store.provision_state("CA")):
        with pytest.raises(StorageUnavailable, match="is not CA's: its .* names TX"):
            attempt()
    assert json.loads((tmp_path / "CA" / MARKER).read_text()) == {"state": "TX"}


def test_the_marker_is_neither_a_key_nor_a_foreign_file(tmp_path):
    store = FilesystemBlobStore(tmp_path)
    store.provision_state("CA")
    (tmp_path / "CA" / "legacy.pdf").write_bytes(b"%PDF")
    foreign: list[str] = []
    assert [k for c in store.list_key_chunks("CA", foreign=foreign) for k in c] == []
    assert foreign == ["legacy.pdf"]
