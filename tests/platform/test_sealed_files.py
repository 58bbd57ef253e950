"""Sealed backup files: what is sealed opens with its key only, in full, and any change shows."""

from __future__ import annotations

import os

import pytest

from sprpa_shared.sealed_files import CHUNK, SealedFileError, open_file, seal_file


@pytest.mark.parametrize("size", [0, 10, CHUNK, CHUNK + 1, 3 * CHUNK - 7])
def test_a_sealed_file_opens_back_whole_and_holds_nothing_in_the_clear(tmp_path, size):
    key = os.urandom(32)
    data = (b"Siti Aminah 3509114508120001 " * (size // 29 + 1))[:size]
    (tmp_path / "plain").write_bytes(data)
    seal_file(tmp_path / "plain", tmp_path / "sealed", key)
    assert size < 29 or b"Siti Aminah" not in (tmp_path / "sealed").read_bytes()
    open_file(tmp_path / "sealed", tmp_path / "opened", key)
    assert (tmp_path / "opened").read_bytes() == data


def test_a_wrong_key_a_cut_and_an_edit_are_refused(tmp_path):
    key = os.urandom(32)
    (tmp_path / "plain").write_bytes(os.urandom(2 * CHUNK + 5))
    seal_file(tmp_path / "plain", tmp_path / "sealed", key)
    sealed = (tmp_path / "sealed").read_bytes()
    cut = tmp_path / "cut"
    cut.write_bytes(sealed[:CHUNK + 40])  # the first chunk whole, the file ends there
    edited = tmp_path / "edited"
    edited.write_bytes(sealed[:100] + bytes([sealed[100] ^ 1]) + sealed[101:])
    dropped_last = tmp_path / "dropped"
    first_two = len(b"SPRPA-SEALED-1\n") + 8 + 2 * (4 + CHUNK + 16)
    dropped_last.write_bytes(sealed[:first_two])  # two whole chunks, the last one gone
    for source, use in ((tmp_path / "sealed", os.urandom(32)), (cut, key), (edited, key), (dropped_last, key)):
        with pytest.raises(SealedFileError):
            open_file(source, tmp_path / "out", use)
