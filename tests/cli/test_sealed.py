"""Sealed snapshots: NEUTRON_SNAPSHOT_KEY seals the body with AES-256-GCM; the header stays readable and bound."""
from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import zlib

import pytest

from neutron.durable.format import FORMAT_VERSION
from neutron.durable.seal import key_id

KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(100, 132))).decode()
SECRET = "hunter2-credit-card-4111"


def neutron(*args, cwd, key=None, keys=None, timeout=60, python=()):
    env = dict(os.environ)
    for var in ("NEUTRON_SNAPSHOT_KEY", "NEUTRON_SNAPSHOT_KEYS", "NEUTRON_CHECKPOINT_LOG"):
        env.pop(var, None)
    if key is not None:
        env["NEUTRON_SNAPSHOT_KEY"] = key
    if keys is not None:
        env["NEUTRON_SNAPSHOT_KEYS"] = keys
    done = subprocess.run([sys.executable, *python, "-m", "neutron", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, timeout=timeout)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


PROGRAM = f"""use sys;
var secret = "{SECRET}";
var n = 0;
while (n < 2) {{
    n = n + 1;
    sys.checkpoint("s.snap");
    say("step " + n + " " + secret.length);
}}
"""


@pytest.fixture
def sealed(tmp_path):
    (tmp_path / "p.nt").write_text(PROGRAM)
    assert neutron("p.nt", cwd=tmp_path, key=KEY_A) == (0, "step 1 24\nstep 2 24\n", "")
    return tmp_path / "s.snap"


def kid(key):
    return key_id(base64.b64decode(key))


def assert_refused(status, out, err, *words):
    assert (status, out) == (66, ""), err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, err
    return err


def test_the_body_is_not_readable_and_the_header_is(sealed):
    data = sealed.read_bytes()
    assert SECRET.encode() not in data and b"secret" not in data and b"step " not in data
    assert kid(KEY_A).encode() in data[:400]
    status, out, err = neutron("snapshot", "info", "s.snap", "--json", cwd=sealed.parent)
    assert (status, err) == (0, "")
    d = json.loads(out)
    assert d["sealed"] is True and d["key_id"] == kid(KEY_A) and d["seal"] == "aes-256-gcm"
    assert d["format"] == FORMAT_VERSION and d["sequence"] == 2
    assert "resumes_at" not in d and "NEUTRON_SNAPSHOT_KEY" in d["body"]
    status, out, err = neutron("snapshot", "info", "s.snap", cwd=sealed.parent)
    assert status == 0 and f"yes (AES-256-GCM, key id {kid(KEY_A)})" in out and "resumes at" not in out
    status, out, err = neutron("snapshot", "info", "s.snap", cwd=sealed.parent, key=KEY_A)
    assert status == 0 and "resumes at  p.nt:6 in <script>" in out


def test_resume_needs_the_key(sealed):
    d = sealed.parent
    assert neutron("--resume", "s.snap", cwd=d, key=KEY_A) == (0, "step 2 24\n", "")
    assert_refused(*neutron("--resume", "s.snap", cwd=d), "sealed", kid(KEY_A), "NEUTRON_SNAPSHOT_KEY")
    assert_refused(*neutron("--resume", "s.snap", cwd=d, key=KEY_B), "another key", kid(KEY_A))
    for what in ("stack", "vars"):
        assert_refused(*neutron("snapshot", what, "s.snap", cwd=d), "sealed")
        assert_refused(*neutron("snapshot", what, "s.snap", cwd=d, key=KEY_B), "another key")
        status, out, err = neutron("snapshot", what, "s.snap", cwd=d, key=KEY_A)
        assert status == 0 and ("sys.checkpoint" in out or "secret" in out), err
    status, out, err = neutron("snapshot", "vars", "s.snap", cwd=d, key=KEY_A)
    assert f"secret = {SECRET}" in out


def test_a_changed_byte_anywhere_is_refused(sealed):
    data = sealed.read_bytes()
    bad = sealed.parent / "bad.snap"
    for i in sorted({*range(0, len(data), max(1, len(data) // 40)), len(data) - 1, 20, 40, 60}):
        b = bytearray(data)
        b[i] ^= 0x01
        bad.write_bytes(bytes(b))
        assert_refused(*neutron("--resume", "bad.snap", cwd=sealed.parent, key=KEY_A, timeout=30))


def _fields_end(data):
    return 14 + struct.unpack("<I", data[10:14])[0]


def _recrc(b):
    """The file with its checksum made right again, as an attacker would: only the seal can tell."""
    end = _fields_end(b)
    body = bytes(b[end + 12:])
    struct.pack_into("<QI", b, end, len(body), zlib.crc32(body, zlib.crc32(bytes(b[10:end]))))
    return bytes(b)


def test_tampering_that_keeps_the_checksum_right(sealed):
    data = sealed.read_bytes()
    d = sealed.parent
    end = _fields_end(data)
    cases = {}
    b = bytearray(data)
    b[-5] ^= 0x80                                          # the ciphertext
    cases["body"] = _recrc(b)
    b = bytearray(data)
    i = data.index(b"run") + 6                             # the run id, bound as associated data
    b[i] = ord("a") if b[i] != ord("a") else ord("b")
    cases["run id"] = _recrc(b)
    b = bytearray(data)
    i = data.index(b"seq") + 5                             # the sequence number
    b[i] = ord("7") if b[i] != ord("7") else ord("8")
    cases["sequence"] = _recrc(b)
    b = bytearray(data)
    b[end + 12 + 3] ^= 0x01                                # the nonce
    cases["nonce"] = _recrc(b)
    for name, content in cases.items():
        (d / "t.snap").write_bytes(content)
        err = assert_refused(*neutron("--resume", "t.snap", cwd=d, key=KEY_A), "does not verify")
        assert_refused(*neutron("snapshot", "info", "t.snap", cwd=d, key=KEY_A), "does not verify")
    b = bytearray(data)
    i = data.index(kid(KEY_A).encode())
    b[i:i + 16] = kid(KEY_B).encode()                      # the key id: another key is looked for, and fails
    (d / "t.snap").write_bytes(_recrc(b))
    assert_refused(*neutron("--resume", "t.snap", cwd=d, key=KEY_B), "does not verify")


def test_key_rotation(sealed):
    d = sealed.parent
    # the new key, with the old one accepted for reading: the resumed run writes with the new key
    status, out, err = neutron("--resume", "s.snap", cwd=d, key=KEY_B, keys=f"{KEY_A}")
    assert (status, out, err) == (0, "step 2 24\n", "")
    # PROGRAM's resume from the first checkpoint writes once more; a resume of the last one writes nothing: use a
    # program that checkpoints after the resume
    (d / "r.nt").write_text('use sys;\nsys.checkpoint("r.snap");\nsys.checkpoint("r2.snap");\nsay("done");\n')
    assert neutron("r.nt", cwd=d, key=KEY_A)[0] == 0
    assert neutron("--resume", "r.snap", cwd=d, key=KEY_B, keys=f"{KEY_B}, {KEY_A}") == (0, "done\n", "")
    info = json.loads(neutron("snapshot", "info", "r2.snap", "--json", cwd=d)[1])
    assert info["key_id"] == kid(KEY_B) and info["sequence"] == 2
    assert_refused(*neutron("--resume", "r2.snap", cwd=d, key=KEY_A), "another key")
    assert neutron("--resume", "r2.snap", cwd=d, keys=KEY_B) == (0, "done\n", "")


def test_a_sealed_run_never_writes_in_clear(sealed):
    """Resumed with only the old keys, a sealed run cannot write a snapshot: it would be in clear text."""
    d = sealed.parent
    status, out, err = neutron("--resume", "s.snap", cwd=d, keys=KEY_A)
    assert status == 0          # the resume from the last checkpoint writes nothing
    (d / "r.nt").write_text('use sys;\nsys.checkpoint("r.snap");\n'
                            'try { sys.checkpoint("r2.snap"); } catch (e) { say(e); }\n')
    assert neutron("r.nt", cwd=d, key=KEY_A)[0] == 0
    status, out, err = neutron("--resume", "r.snap", cwd=d, keys=KEY_A)
    assert status == 0 and "sealed" in out and "NEUTRON_SNAPSHOT_KEY" in out, (out, err)


def test_malformed_keys_are_a_usage_error(tmp_path):
    (tmp_path / "p.nt").write_text('say("hi");\n')
    for key, keys, word in [("not base64!", None, "base64"), (base64.b64encode(b"short").decode(), None, "32 bytes"),
                            (None, "bad$", "NEUTRON_SNAPSHOT_KEYS")]:
        for args in (["p.nt"], ["--resume", "x.snap"], ["snapshot", "info", "x.snap"]):
            status, out, err = neutron(*args, cwd=tmp_path, key=key, keys=keys)
            assert (status, out) == (2, ""), (args, err)
            assert word in err and err.count("\n") == 1 and "Traceback" not in err


def test_without_a_key_nothing_changes(tmp_path):
    (tmp_path / "p.nt").write_text(PROGRAM)
    assert neutron("p.nt", cwd=tmp_path) == (0, "step 1 24\nstep 2 24\n", "")
    assert SECRET.encode() in (tmp_path / "s.snap").read_bytes()
    assert json.loads(neutron("snapshot", "info", "s.snap", "--json", cwd=tmp_path)[1])["sealed"] is False


def test_cryptography_is_imported_only_with_a_key(tmp_path):
    (tmp_path / "p.nt").write_text('use sys;\nsys.checkpoint("s.snap");\nsay("ok");\n')
    status, out, err = neutron("p.nt", cwd=tmp_path, python=("-X", "importtime"))
    assert (status, out) == (0, "ok\n") and "cryptography" not in err and "neutron.durable.seal" in err
    status, out, err = neutron("--resume", "s.snap", cwd=tmp_path, python=("-X", "importtime"))
    assert (status, out) == (0, "ok\n") and "cryptography" not in err
    status, out, err = neutron("p.nt", cwd=tmp_path, key=KEY_A, python=("-X", "importtime"))
    assert (status, out) == (0, "ok\n") and "cryptography" in err
    (tmp_path / "q.nt").write_text('say("plain");\n')
    status, out, err = neutron("q.nt", cwd=tmp_path, python=("-X", "importtime"))
    assert (status, out) == (0, "plain\n") and "neutron.durable" not in err
