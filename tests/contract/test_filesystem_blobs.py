"""What only the filesystem adapter has: its layout on disk and crashed uploads' remains."""

from __future__ import annotations

import os
import time

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


def test_a_crashed_uploads_temp_file_is_never_listed_and_is_reaped(tmp_path):
    # GIVEN a temp file left by an upload that died before its rename, an hour ago
    store = FilesystemBlobStore(tmp_path)
    store.put("CA", KEY, [b"%PDF-1.7"])
    temp = tmp_path / "CA" / "3f" / ".tmpcrash.tmp"
    temp.write_bytes(b"%PDF-partial")
    hour_ago = time.time() - 3600
    os.utime(temp, (hour_ago, hour_ago))
    fresh = tmp_path / "CA" / "3f" / ".tmpfresh.tmp"
    fresh.write_bytes(b"%PDF-uploading")
    # WHEN listing, and when reaping temp files older than ten minutes
    assert [b.key for b in store.list("CA")] == [KEY]
    assert store.reap_temp_files("CA", older_than_seconds=600) == 1
    # THEN only the stale one is gone
    assert not temp.exists() and fresh.exists()
