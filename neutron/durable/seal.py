"""Sealed snapshots: with NEUTRON_SNAPSHOT_KEY set (32 bytes in base64), a snapshot's body is encrypted and
authenticated with AES-256-GCM; the header (magic, versions, the fields with the key id) stays readable and is bound
as associated data, so that no byte of the file can change unnoticed. NEUTRON_SNAPSHOT_KEYS lists older keys
(separated by commas or spaces) accepted for reading, so that keys can be rotated: a resumed program writes with
the current key.

The `cryptography` package is imported only when a sealed file is written or read.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os

from .format import SnapshotError, shown

KEY_VAR = "NEUTRON_SNAPSHOT_KEY"
OLD_KEYS_VAR = "NEUTRON_SNAPSHOT_KEYS"
ALGORITHM = "aes-256-gcm"
NONCE = 12


class KeyProblem(Exception):
    """A key in the environment that cannot be used: the message is one line for the user."""


class NoKey(SnapshotError):
    """A sealed snapshot that no key at hand opens (none is set, or none has its key id): its header can still be
    shown."""


def parse_key(text, var):
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyProblem(f"{var} is not base64 (make a key with: openssl rand -base64 32)") from None
    if len(key) != 32:
        raise KeyProblem(f"{var} must be 32 bytes (256 bits) in base64, not {len(key)} "
                         f"(make a key with: openssl rand -base64 32)")
    return key


def key_id(key):
    """A short name for a key that tells nothing of it."""
    return hashlib.sha256(b"neutron snapshot key\0" + key).hexdigest()[:16]


def current_key():
    """(key id, key) that snapshots are written with, or None when no key is set; KeyProblem if it is malformed."""
    text = os.environ.get(KEY_VAR)
    if not text:
        return None
    key = parse_key(text, KEY_VAR)
    return key_id(key), key


def reading_keys():
    """{key id: key} of every key a sealed snapshot may be read with: the current one and the older ones."""
    keys = {}
    cur = current_key()
    if cur is not None:
        keys[cur[0]] = cur[1]
    for text in os.environ.get(OLD_KEYS_VAR, "").replace(",", " ").split():
        key = parse_key(text, OLD_KEYS_VAR)
        keys[key_id(key)] = key
    return keys


def check_environment():
    """A one-line complaint about the keys in the environment, or None when they are usable (or unset)."""
    try:
        reading_keys()
    except KeyProblem as e:
        return str(e)
    return None


def _aesgcm(key):
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        raise KeyProblem("sealed snapshots need the Python package 'cryptography' (pip install cryptography)") \
            from None
    return AESGCM(key)


def seal(key, body, aad):
    """The stored form of `body`: a fresh nonce, then the ciphertext with its tag; `aad` (the header) is bound."""
    nonce = os.urandom(NONCE)
    return nonce + _aesgcm(key).encrypt(nonce, body, aad)


def unseal(h):
    """The body of the sealed snapshot whose Header is `h`, once it is found authentic; SnapshotError (one line) if
    no key is set, none has the file's key id, or the seal does not verify."""
    if h.fields.get("seal") != ALGORITHM:
        raise SnapshotError(f"the snapshot is sealed with an unknown method ({shown(h.fields.get('seal', ''))})")
    kid = shown(h.fields.get("key", ""))
    try:
        keys = reading_keys()
    except KeyProblem as e:
        raise SnapshotError(str(e)) from None
    if not keys:
        raise NoKey(f"the snapshot is sealed (key id {kid}): set {KEY_VAR} to its key")
    key = keys.get(kid)
    if key is None:
        raise NoKey(f"the snapshot is sealed with another key (key id {kid}; the keys in {KEY_VAR} and "
                            f"{OLD_KEYS_VAR} have other ids)")
    if len(h.body) < NONCE + 16:
        raise SnapshotError("the snapshot's seal does not verify: the file was changed")
    try:
        aesgcm = _aesgcm(key)
    except KeyProblem as e:
        raise SnapshotError(str(e)) from None
    from cryptography.exceptions import InvalidTag
    try:
        return aesgcm.decrypt(h.body[:NONCE], h.body[NONCE:], h.aad)
    except InvalidTag:
        raise SnapshotError("the snapshot's seal does not verify: the file was changed, or it was sealed with "
                            "another key that has the same id") from None
