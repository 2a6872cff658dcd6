"""The `crypto` module: hashes, base64 and hex encodings, secure random data, a XOR cipher.

Strings are encoded as UTF-8 before hashing or encoding; a buffer (`sys.alloc`) can be given instead of a string
and its bytes are used as they are. Hashes are lowercase hex digests (sha256, sha512, sha1, md5; md5 and sha1 are
for checksums, not security).

Decoding (base64_decode, hex_decode) and xor_cipher produce bytes. They come back as a string decoded from
UTF-8; bytes that are not valid UTF-8 are kept as the code points U+DC80..U+DCFF (Python's "surrogateescape"),
so binary data round-trips exactly through the functions of this module (e.g. hex_encode(xor_cipher(s, k))).
random_bytes and random_string use the operating system's secure source (the `secrets` module).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import string

from .native import NativeModule, arg_error, arg_int, arg_str, fail
from ..runtime.values import Buffer

module = NativeModule("crypto")

_MAX_RANDOM_BYTES = 1048576
_MAX_RANDOM_STRING = 1024
_DEFAULT_ALPHABET = string.ascii_letters + string.digits


def to_bytes(s: str) -> bytes:
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass")     # lone surrogates outside U+DC80..U+DCFF


def from_bytes(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _data(args, i, fname, name="data"):
    v = args[i]
    if v.__class__ is str:
        return to_bytes(v)
    if v.__class__ is Buffer:
        return bytes(v.data)
    raise arg_error(v, i, fname, name, "a string or a buffer")


def _hash(name, algorithm):
    fname = "crypto." + name

    def digest(vm, args):
        return hashlib.new(algorithm, _data(args, 0, fname)).hexdigest()
    module.function(name, 1)(digest)


_hash("sha256", "sha256")
_hash("sha512", "sha512")
_hash("sha1", "sha1")
_hash("md5", "md5")


@module.function("base64_encode", 1)
def base64_encode(vm, args):
    return base64.b64encode(_data(args, 0, "crypto.base64_encode")).decode("ascii")


@module.function("base64_decode", 1)
def base64_decode(vm, args):
    text = arg_str(args, 0, "crypto.base64_decode", "text")
    compact = "".join(text.split())             # line breaks and spaces are allowed
    for c in compact:
        if not (c.isascii() and (c.isalnum() or c in "+/=")):
            fail("crypto.base64_decode", f"invalid base64 input: unexpected character '{c}'.")
    stripped = compact.rstrip("=")
    if "=" in stripped or len(compact) - len(stripped) > 2:
        fail("crypto.base64_decode", "invalid base64 input: misplaced padding '='.")
    if len(stripped) % 4 == 1:
        fail("crypto.base64_decode", "invalid base64 input: wrong length.")
    try:
        raw = base64.b64decode(stripped + "=" * (-len(stripped) % 4), validate=True)
    except (binascii.Error, ValueError) as e:
        fail("crypto.base64_decode", f"invalid base64 input: {e}.")
    return from_bytes(raw)


@module.function("hex_encode", 1)
def hex_encode(vm, args):
    return _data(args, 0, "crypto.hex_encode").hex()


@module.function("hex_decode", 1)
def hex_decode(vm, args):
    text = arg_str(args, 0, "crypto.hex_decode", "text")
    if len(text) % 2:
        fail("crypto.hex_decode", "invalid hex input: odd number of digits.")
    for c in text:
        if c not in string.hexdigits:
            fail("crypto.hex_decode", f"invalid hex input: unexpected character '{c}'.")
    return from_bytes(bytes.fromhex(text))


@module.function("random_bytes", 1)
def random_bytes(vm, args):
    n = arg_int(args, 0, "crypto.random_bytes", "n")
    if not 1 <= n <= _MAX_RANDOM_BYTES:
        fail("crypto.random_bytes", f"n must be between 1 and {_MAX_RANDOM_BYTES}, got {n}.")
    return secrets.token_hex(n)


@module.function("random_string", 1, 2)
def random_string(vm, args):
    n = arg_int(args, 0, "crypto.random_string", "length")
    if not 1 <= n <= _MAX_RANDOM_STRING:
        fail("crypto.random_string", f"length must be between 1 and {_MAX_RANDOM_STRING}, got {n}.")
    alphabet = _DEFAULT_ALPHABET
    if len(args) > 1 and args[1] is not None:
        alphabet = arg_str(args, 1, "crypto.random_string", "alphabet")
        if not alphabet:
            fail("crypto.random_string", "the alphabet must not be empty.")
    return "".join(secrets.choice(alphabet) for _ in range(n))


@module.function("xor_cipher", 2)
def xor_cipher(vm, args):
    data = _data(args, 0, "crypto.xor_cipher")
    key = _data(args, 1, "crypto.xor_cipher", "key")
    if not key:
        fail("crypto.xor_cipher", "the key must not be empty.")
    k = len(key)
    return from_bytes(bytes(b ^ key[i % k] for i, b in enumerate(data)))
