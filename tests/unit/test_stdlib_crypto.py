"""crypto module: natives called directly."""
import hashlib
import re

import pytest

from neutron.errors import NeutronError
from neutron.stdlib.crypto import module
from neutron.runtime.values import Buffer
from natives_harness import callers


call, _ = callers(module)


def test_hashes_known_vectors():
    assert call("sha256", "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert call("sha256", "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert call("md5", "abc") == "900150983cd24fb0d6963f7d28e17f72"
    assert call("md5", "") == "d41d8cd98f00b204e9800998ecf8427e"
    assert call("sha1", "abc") == "a9993e364706816aba3e25717850c26c9cd0d89d"
    assert call("sha512", "abc").startswith("ddaf35a193617abacc417349ae204131")
    assert len(call("sha512", "abc")) == 128


def test_hashes_use_utf8_and_accept_buffers():
    assert call("sha256", "héllo") == hashlib.sha256("héllo".encode()).hexdigest()
    assert call("md5", "😀") == hashlib.md5("😀".encode()).hexdigest()
    assert call("sha256", Buffer(bytearray(b"abc"))) == call("sha256", "abc")


def test_hash_argument_errors():
    for name in ("sha256", "md5", "sha1", "sha512"):
        with pytest.raises(NeutronError, match=rf"^crypto.{name}: argument 1 \(data\) must be a string or a buffer"):
            call(name, 1.0)


def test_base64():
    assert call("base64_encode", "Hello, World!") == "SGVsbG8sIFdvcmxkIQ=="
    assert call("base64_encode", "") == ""
    assert call("base64_encode", "héllo") == "aMOpbGxv"
    assert call("base64_decode", "SGVsbG8sIFdvcmxkIQ==") == "Hello, World!"
    assert call("base64_decode", "aMOpbGxv") == "héllo"
    assert call("base64_decode", "") == ""
    assert call("base64_decode", "aGk") == "hi"                      # missing padding is accepted
    assert call("base64_decode", "SGVs\nbG8=") == "Hello"            # line breaks are ignored
    assert call("base64_encode", Buffer(bytearray(b"\x00\xff"))) == "AP8="


def test_base64_decode_invalid_input():
    for bad, why in (("a!b=", "unexpected character '!'"), ("a=b=", "misplaced padding"),
                     ("abcde", "wrong length"), ("ab===", "misplaced padding"), ("é", "unexpected character")):
        with pytest.raises(NeutronError) as e:
            call("base64_decode", bad)
        assert str(e.value).startswith("crypto.base64_decode: invalid base64 input: ")
        assert why in str(e.value)
    with pytest.raises(NeutronError, match=r"^crypto.base64_decode: argument 1"):
        call("base64_decode", None)


def test_hex():
    assert call("hex_encode", "abc") == "616263"
    assert call("hex_encode", "é") == "c3a9"
    assert call("hex_encode", "") == ""
    assert call("hex_decode", "616263") == "abc"
    assert call("hex_decode", "C3A9") == "é"
    with pytest.raises(NeutronError, match=r"^crypto.hex_decode: invalid hex input: odd number of digits"):
        call("hex_decode", "abc")
    with pytest.raises(NeutronError, match=r"^crypto.hex_decode: invalid hex input: unexpected character 'z'"):
        call("hex_decode", "zz")


def test_binary_data_round_trips():
    raw = call("hex_decode", "ff00fe80")
    assert call("hex_encode", raw) == "ff00fe80"
    assert call("base64_decode", call("base64_encode", raw)) == raw
    assert call("hex_encode", call("base64_decode", "/wD+gA==")) == "ff00fe80"


def test_xor_cipher():
    enc = call("xor_cipher", "hello", "k")
    assert enc == "".join(chr(ord(c) ^ ord("k")) for c in "hello")
    assert call("xor_cipher", enc, "k") == "hello"
    text = "héllo wörld 😀"
    enc = call("xor_cipher", text, "secret")
    assert call("xor_cipher", enc, "secret") == text
    # bytewise over UTF-8, as the reference
    expected = bytes(b ^ b"secret"[i % 6] for i, b in enumerate(text.encode())).hex()
    assert call("hex_encode", enc) == expected
    assert call("xor_cipher", "", "k") == ""
    with pytest.raises(NeutronError, match=r"^crypto.xor_cipher: the key must not be empty"):
        call("xor_cipher", "abc", "")
    with pytest.raises(NeutronError, match=r"^crypto.xor_cipher: argument 2 \(key\)"):
        call("xor_cipher", "abc", 1.0)


def test_random_bytes():
    h = call("random_bytes", 16.0)
    assert re.fullmatch(r"[0-9a-f]{32}", h)
    assert call("random_bytes", 16.0) != h
    assert len(call("random_bytes", 1.0)) == 2
    for bad in (0.0, -1.0, 1048577.0):
        with pytest.raises(NeutronError, match=r"^crypto.random_bytes: n must be between 1 and 1048576"):
            call("random_bytes", bad)
    with pytest.raises(NeutronError, match=r"^crypto.random_bytes: argument 1"):
        call("random_bytes", "4")


def test_random_string():
    s = call("random_string", 32.0)
    assert re.fullmatch(r"[A-Za-z0-9]{32}", s)
    assert call("random_string", 32.0) != s
    assert set(call("random_string", 50.0, "ab")) <= {"a", "b"}
    assert call("random_string", 5.0, "é") == "ééééé"
    assert len(call("random_string", 3.0, None)) == 3
    for bad in (0.0, 1025.0):
        with pytest.raises(NeutronError, match=r"^crypto.random_string: length must be between 1 and 1024"):
            call("random_string", bad)
    with pytest.raises(NeutronError, match=r"^crypto.random_string: the alphabet must not be empty"):
        call("random_string", 3.0, "")
    with pytest.raises(NeutronError, match=r"^crypto.random_string: argument 2 \(alphabet\)"):
        call("random_string", 3.0, 5.0)


def test_names():
    assert set(module.functions) == {"sha256", "sha512", "sha1", "md5", "base64_encode", "base64_decode",
                                     "hex_encode", "hex_decode", "random_bytes", "random_string", "xor_cipher"}
    assert module.functions["md5"].qualname == "crypto.md5"
