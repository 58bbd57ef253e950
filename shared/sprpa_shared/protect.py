"""Protected identifiers: names, NIK and other free text about a person encrypted at rest by the
application (AES-256-GCM), with a keyed hash (a blind index) for the look-ups that must still
work on NIK.

A stored value reads `p1.<key id>.<base64 of nonce and ciphertext>`; the key id is bound to the
ciphertext as associated data. Several keys can be configured at once: new values are sealed
with the current one, and any configured key opens the values sealed with it, which is how keys
rotate (add the new key, make it current, run the service's `rekey` command, then drop the old).
A value without the prefix is one written before encryption was switched on: it is read as it
is and sealed the next time it is written (or by `rekey`).

The blind index is HMAC-SHA-256 of the normalised value under its own key, so it reveals nothing
without that key and never changes when the encryption keys rotate. Tags (`tags`) are shorter
keyed hashes under a key derived from it, for set look-ups where a rare collision costs only a
comparison (the registry's name sounds).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

PREFIX = "p1"
_SPACES = re.compile(r"\s+")


class Protector:
    def __init__(self, keys: dict[str, bytes], current: str, index_key: bytes) -> None:
        if current not in keys:
            raise ValueError(f"the current data key {current!r} is not among the configured keys")
        if any(len(key) != 32 for key in keys.values()) or len(index_key) < 32:
            raise ValueError("data keys must be 32 bytes and the blind-index key at least 32")
        if any("." in key_id or not key_id for key_id in keys):
            raise ValueError("a key id must be non-empty and contain no '.'")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.current = current
        self._index_key = index_key
        self._tagging = hashlib.blake2b(key=hmac.new(index_key, b"sprpa tags", hashlib.sha256).digest(), digest_size=4)

    @classmethod
    def from_config(cls, *, data_keys: str, data_key_current: str, blind_index_key: str,
                    secret_key: str) -> Protector:
        """From settings: keys as JSON {"id": base64}; without keys (dev and test only, the
        settings refuse that in production) both keys are derived from the service's secret."""
        if not data_keys:
            return cls({"derived": _derive(secret_key, b"sprpa data key")}, "derived",
                       _derive(secret_key, b"sprpa blind index"))
        keys = {key_id: base64.b64decode(value) for key_id, value in json.loads(data_keys).items()}
        return cls(keys, data_key_current, base64.b64decode(blind_index_key))

    def seal(self, plaintext: str | None) -> str | None:
        return self.seal_all([plaintext])[0]

    def seal_all(self, plaintexts: list[str | None]) -> list[str | None]:
        """`seal` of each, with their nonces drawn from the OS at once: `os.urandom` releases the
        GIL, and a thread that seals row after row while another thread runs Python waits for the
        GIL again after each draw, which costs far more than the seal (docs/performance.md)."""
        nonces = os.urandom(12 * len(plaintexts))
        cipher, key_id, prefix = self._ciphers[self.current], self.current.encode(), f"{PREFIX}.{self.current}."
        sealed: list[str | None] = []
        for index, plaintext in enumerate(plaintexts):
            if plaintext is None:
                sealed.append(None)
                continue
            nonce = nonces[12 * index:12 * index + 12]
            sealed.append(prefix + base64.b64encode(nonce + cipher.encrypt(nonce, plaintext.encode(), key_id)).decode())
        return sealed

    def open(self, stored: str | None) -> str | None:
        if stored is None or not stored.startswith(PREFIX + "."):
            return stored  # written before encryption was on
        _, key_id, payload = stored.split(".", 2)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise LookupError(f"no configured data key {key_id!r} opens this value; was it dropped too early?")
        raw = base64.b64decode(payload)
        return cipher.decrypt(raw[:12], raw[12:], key_id.encode()).decode()

    def is_current(self, stored: str | None) -> bool:
        return stored is None or stored.startswith(f"{PREFIX}.{self.current}.")

    def index(self, value: str | None) -> str | None:
        """The blind index of an identifier (spaces removed), for equality look-ups."""
        if value is None:
            return None
        normalised = _SPACES.sub("", value).upper()
        return hmac.new(self._index_key, normalised.encode(), hashlib.sha256).hexdigest()

    def tags(self, values: list[str]) -> list[int]:
        """A keyed 32-bit hash of each value (BLAKE2b in its keyed mode), as a signed integer, for
        `integer[]` columns: equal values have equal tags, and without the key a tag tells nothing
        of its value. Cheap enough for a dozen a row of a bulk import."""
        digests, keyed = [], self._tagging.copy  # the key's block hashed once, not once a value
        for value in values:
            tag = keyed()
            tag.update(value.encode())
            digests.append(tag.digest())
        return list(struct.unpack(f">{len(digests)}i", b"".join(digests)))  # each a big-endian signed int32


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=b"sprpa", info=purpose).derive(secret.encode())


def new_key() -> str:
    """A fresh key, base64: `python -c 'from sprpa_shared.protect import new_key; print(new_key())'`."""
    return base64.b64encode(os.urandom(32)).decode()


_protector: Protector | None = None


def configure(protector: Protector) -> None:
    """The process's protector (one service per process; tests share one configuration)."""
    global _protector
    _protector = protector


def protector() -> Protector:
    if _protector is None:
        raise RuntimeError("protected columns used before protect.configure(...) was called")
    return _protector


class Protected(TypeDecorator):
    """A text column stored encrypted: the ORM sees plaintext, the database only ciphertext."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return protector().seal(value)

    def process_result_value(self, value, dialect):
        return protector().open(value)
