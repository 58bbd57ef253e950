"""Files encrypted at rest (backups): AES-256-GCM in 1 MiB chunks, so a dump of any size is sealed
and opened without holding it in memory.

Layout: a magic line, an 8-byte random nonce prefix, then per chunk a 4-byte length and the
ciphertext with its tag. Chunk n's nonce is the prefix and n; its associated data says whether it is
the last, so a file cut short, reordered or spliced from another fails to open.

    SPRPA_BACKUP_KEY=$(python -c 'from sprpa_shared.protect import new_key; print(new_key())')
"""

from __future__ import annotations

import base64
import os
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"SPRPA-SEALED-1\n"
CHUNK = 1024 * 1024
SUFFIX = ".enc"


class SealedFileError(Exception):
    """A sealed file that does not open with this key (wrong key, cut short or altered)."""


def key_from(text: str) -> bytes:
    key = base64.b64decode(text)
    if len(key) != 32:
        raise ValueError("the backup key must be 32 bytes, base64")
    return key


def seal_file(source: Path, target: Path, key: bytes) -> None:
    cipher, prefix = AESGCM(key), os.urandom(8)
    with source.open("rb") as plain, target.open("wb") as out:
        out.write(MAGIC + prefix)
        index, chunk = 0, plain.read(CHUNK)
        while True:
            following = plain.read(CHUNK)
            sealed = cipher.encrypt(prefix + struct.pack(">I", index), chunk, b"last" if not following else b"more")
            out.write(struct.pack(">I", len(sealed)) + sealed)
            if not following:
                return
            index, chunk = index + 1, following


def open_file(source: Path, target: Path, key: bytes) -> None:
    cipher = AESGCM(key)
    with source.open("rb") as sealed, target.open("wb") as out:
        if sealed.read(len(MAGIC)) != MAGIC:
            raise SealedFileError(f"{source.name} is not a sealed file")
        prefix, index = sealed.read(8), 0
        while True:
            header = sealed.read(4)
            if len(header) < 4:
                raise SealedFileError(f"{source.name} is cut short")
            body = sealed.read(struct.unpack(">I", header)[0])
            nonce = prefix + struct.pack(">I", index)
            last = None
            for associated in (b"more", b"last"):
                try:
                    plain = cipher.decrypt(nonce, body, associated)
                except InvalidTag:  # the other flag; or a wrong key, an altered chunk
                    continue
                last = associated == b"last"
                break
            if last is None:
                raise SealedFileError(f"{source.name} does not open with this key, or was altered")
            out.write(plain)
            if last:
                if sealed.read(1):
                    raise SealedFileError(f"{source.name} has data after its last chunk")
                return
            index += 1


def seal_in_place(path: Path, key: bytes) -> Path:
    """`path` sealed to `path.enc`; the plaintext removed."""
    target = path.with_name(path.name + SUFFIX)
    seal_file(path, target, key)
    path.unlink()
    return target
