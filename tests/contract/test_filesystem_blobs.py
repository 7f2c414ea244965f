"""What only the filesystem adapter has: its layout on disk and crashed uploads' remains."""

from __future__ import annotations

import os

from humangov.adapters.blobs.filesystem import FilesystemBlobStore, decode_name, encode_name

KEY = "3f2a0b1c-0000-4000-8000-000000000001/9b1c0d2e-0000-4000-8000-000000000002.pdf"


def test_a_document_lives_in_its_states_fan_out_folder(tmp_path):
    store = FilesystemBlobStore(tmp_path)
    store.put("CA", KEY, [b"%PDF-1.7"])
    assert os.listdir(tmp_path / "CA") == ["3f"]
    assert os.listdir(tmp_path / "CA" / "3f") == [KEY.replace("/", "%2F")]
    store.delete("CA", KEY)
    assert os.listdir(tmp_path / "CA") == []  # the emptied fan-out folder goes too


def test_names_encode_and_decode_exactly():
    for key in [KEY, "ab%2F/x", "ab%25%", "ab/%2F%25/"]:
        assert "/" not in encode_name(key)
        assert decode_name(encode_name(key)) == key


def test_a_crashed_uploads_temp_file_is_listed_apart_and_erased_by_its_path(tmp_path):
    # GIVEN a temp file left by an upload that died before its rename
    store = FilesystemBlobStore(tmp_path)
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
