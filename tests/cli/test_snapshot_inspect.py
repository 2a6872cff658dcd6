"""`neutron snapshot info|stack|vars FILE [--json]`: what a snapshot holds, read without running it."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from neutron import runner, testing
from neutron.durable.format import FORMAT_VERSION
from neutron.durable import inspect as I
from neutron.runtime.values import to_str

DURABLE = Path(__file__).resolve().parent.parent / "durable"


def neutron(*args, cwd, env=None, timeout=60):
    full_env = dict(os.environ)
    for var in ("NEUTRON_SNAPSHOT_KEY", "NEUTRON_SNAPSHOT_KEYS", "NEUTRON_CHECKPOINT_LOG"):
        full_env.pop(var, None)
    full_env.update(env or {})
    done = subprocess.run([sys.executable, "-m", "neutron", *map(str, args)], cwd=cwd, env=full_env,
                          capture_output=True, timeout=timeout)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


PROGRAM = """use sys;
class Acc {
    fun initialize(name) { this.name = name; this.items = []; }
    fun add(x) {
        this.items.push(x);
        if (this.items.length == 3) {
            var note = "three items";
            sys.checkpoint("p.snap");
        }
        return this.items.length;
    }
}
fun work(n) {
    var acc = Acc("acc");
    var total = 0;
    for (var i = 0; i < n; i++) {
        total = total + acc.add(i * 2);
    }
    return total;
}
var label = "run " + 1;
var big = [];
for (var j = 0; j < 300; j++) big.push(j);
say(work(4));
"""


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    d = tmp_path_factory.mktemp("inspect")
    (d / "p.nt").write_text(PROGRAM)
    assert neutron("p.nt", cwd=d) == (0, "10\n", "")
    return d / "p.snap"


def test_info(snap):
    status, out, err = neutron("snapshot", "info", snap.name, cwd=snap.parent)
    assert (status, err) == (0, "")
    rows = dict(line.split(None, 1) if not line.startswith("resumes at") else ("resumes at", line[11:].strip())
                for line in out.splitlines())
    assert rows["format"].startswith(f"{FORMAT_VERSION}, written by Neutron ")
    assert rows["sealed"] == "no"
    assert rows["resumes at"] == "p.nt:8 in add"
    assert rows["frames"] == "3"
    assert rows["program"].startswith(str(snap.parent / "p.nt") + " (sha256 ")
    assert "snapshot 1 of the run" in rows["run"]
    assert rows["objects"].startswith("20 (") and "1 instance" in rows["objects"] and "1 class" in rows["objects"]


def test_info_json(snap):
    status, out, err = neutron("snapshot", "info", snap.name, "--json", cwd=snap.parent)
    assert (status, err) == (0, "")
    d = json.loads(out)
    assert d["resumes_at"] == {"file": "p.nt", "line": 8, "function": "add"}
    assert d["sealed"] is False and d["key_id"] is None
    assert d["sequence"] == 1 and len(d["run"]) == 32
    assert d["size"] == snap.stat().st_size
    assert d["pid"] > 0 and d["written_ms"] > 0 and d["cwd"] == str(snap.parent)
    import hashlib
    assert d["program_sha256"] == hashlib.sha256(PROGRAM.encode()).hexdigest()
    assert d["objects"]["by_kind"]["array"] == 2 and d["objects"]["total"] == sum(d["objects"]["by_kind"].values())


def test_stack(snap):
    status, out, err = neutron("snapshot", "stack", snap.name, cwd=snap.parent)
    assert (status, err) == (0, "")
    assert out == ("p.snap resumes at p.nt:8 in add\n"
                   "  #0 add (p.nt:8)\n"
                   "         8 | sys.checkpoint(\"p.snap\");\n"
                   "  #1 work (p.nt:17)\n"
                   "        17 | total = total + acc.add(i * 2);\n"
                   "  #2 <script> (p.nt:24)\n"
                   "        24 | say(work(4));\n")
    status, out, err = neutron("snapshot", "stack", snap.name, "--json", cwd=snap.parent)
    frames = json.loads(out)["frames"]
    assert [(f["index"], f["function"], f["line"]) for f in frames] == [(0, "add", 8), (1, "work", 17),
                                                                         (2, "<script>", 24)]


def test_vars(snap):
    status, out, err = neutron("snapshot", "vars", snap.name, cwd=snap.parent)
    assert (status, err) == (0, "")
    assert out.startswith("frame #0: add (p.nt:8)\n  this = <Acc instance>\n  x    = 4\n  note = three items\n"
                          "globals:\n")
    assert "  label = run 1\n" in out and "  work  = <fn work>\n" in out
    status, out, err = neutron("snapshot", "vars", snap.name, "--frame", "1", "--json", cwd=snap.parent)
    d = json.loads(out)
    assert d["frame"]["function"] == "work"
    assert [(e["name"], e["value"]) for e in d["frame"]["locals"]] == [
        ("n", "4"), ("acc", "<Acc instance>"), ("total", "3"), ("i", "2")]
    glob = {e["name"]: e for e in d["globals"]}
    assert glob["big"]["value"] == to_str([float(j) for j in range(300)]) and glob["big"]["type"] == "array"


def test_vars_cut_at_a_width(snap):
    status, out, err = neutron("snapshot", "vars", snap.name, "--frame", "2", "--width", "40", cwd=snap.parent)
    assert status == 0
    line = next(x for x in out.splitlines() if x.startswith("  big"))
    value = line.split(" = ", 1)[1]
    assert len(value) == 40 and value.endswith("...") and value.startswith("[0, 1, 2, 3")
    assert "  j = 300\n" in out


def test_a_frame_that_is_not_there(snap):
    status, out, err = neutron("snapshot", "vars", snap.name, "--frame", "3", cwd=snap.parent)
    assert (status, out) == (2, "") and "no frame 3" in err and "Traceback" not in err


@pytest.mark.parametrize("what", ["info", "stack", "vars"])
def test_damaged_files_are_refused_like_resume(snap, tmp_path, what):
    data = snap.read_bytes()
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x04
    for name, content in {"cut": data[:len(data) - 5], "flipped": bytes(flipped), "text": b"say(1);\n",
                          "empty": b""}.items():
        bad = tmp_path / f"{name}.snap"
        bad.write_bytes(content)
        status, out, err = neutron("snapshot", what, bad.name, cwd=tmp_path)
        assert (status, out) == (66, ""), (name, err)
        assert err.startswith(f"neutron: cannot read snapshot '{bad.name}': ") and err.count("\n") == 1, err
        rstatus, rout, rerr = neutron("--resume", bad.name, cwd=tmp_path)
        assert rstatus == 66 and rerr.split(": ", 2)[2] == err.split(": ", 2)[2]
    status, out, err = neutron("snapshot", what, "missing.snap", cwd=tmp_path)
    assert (status, out) == (66, "") and "missing.snap" in err


def test_usage(tmp_path):
    for args in (["snapshot"], ["snapshot", "show", "x.snap"], ["snapshot", "info"], ["snapshot", "vars", "x",
                                                                                          "--frame", "a"]):
        status, out, err = neutron(*args, cwd=tmp_path)
        assert (status, out) == (2, "") and "usage: neutron snapshot" in err


def test_nothing_is_run(tmp_path):
    """Inspecting prints nothing of the program and changes no file: the program's next statement writes one."""
    (tmp_path / "p.nt").write_text('use sys;\nsys.checkpoint("s.snap");\nsys.write("ran.txt", "x");\nsay("ran");\n')
    assert neutron("p.nt", cwd=tmp_path)[0] == 0
    os.unlink(tmp_path / "ran.txt")
    for what in ("info", "stack", "vars"):
        status, out, err = neutron("snapshot", what, "s.snap", cwd=tmp_path)
        assert status == 0 and "ran" not in out
    assert sorted(os.listdir(tmp_path)) == ["p.nt", "s.snap"]


def test_say_text_matches_say():
    values = [None, True, 1.5, -0.0, 1e21, "text", [1.0, "a", [None]], {"k": [1.0, {"z": False}]}, [], {}]
    for v in values:
        assert I.say_text(v, 1000) == to_str(v)
    nested = [1.0]
    for _ in range(150):
        nested = [nested]
    assert I.say_text(nested, 10 ** 6) == to_str(nested)
    long = list(map(float, range(10000)))
    cut = I.say_text(long, 50)
    assert len(cut) == 50 and cut.endswith("...") and to_str(long).startswith(cut[:-3])


# ---- every place the durable tests checkpoint ----------------------------------------------------------------------

def _programs():
    return sorted(p for p in DURABLE.glob("*.nt") if not p.name.endswith(".lib.nt"))


def _inspect_all(path):
    """info, stack and vars of every frame of the snapshot at `path`, as the command does, checked for sense."""
    snap = I.Snapshot(str(path), True, runner.new_vm(out=io.StringIO()))
    d = I.info(snap)
    frames = snap.vm.frames
    assert d["frames"] == len(frames) >= 1
    top = frames[-1]
    assert d["resumes_at"]["file"] == top.code.filename
    assert d["resumes_at"]["line"] in top.code.lines
    st = I.stack(snap)
    assert [f["index"] for f in st["frames"]] == list(range(len(frames)))
    for f in st["frames"]:
        if f["file"] in snap.vm.sources:
            assert f["source"] is not None
    for i in sorted({*range(min(4, len(frames))), len(frames) - 1}):     # (deep_stack.nt has thousands)
        v = I.variables(snap, i, 200, runner.slot_names)
        for e in v["frame"]["locals"] + v["globals"]:
            assert len(e["value"]) <= 200
    json.dumps([d, st, I.variables(snap, 0, 200, runner.slot_names)])
    I.info_text(d)
    I.stack_text(st)


@pytest.mark.parametrize("mode", testing.MODES)
def test_inspect_every_durable_checkpoint(tmp_path, monkeypatch, mode):
    written = []
    seen = []
    original = runner.write_snapshot

    def keep_a_copy(vm, path, *rest, **kw):
        original(vm, path, *rest, **kw)
        copy = tmp_path / f"copy{len(written)}.snap"
        shutil.copyfile(path, copy)
        written.append(copy)
        seen.append(copy)

    monkeypatch.setattr(runner, "write_snapshot", keep_a_copy)
    stops = 0
    for prog in _programs():
        seen = []
        work = tmp_path / prog.stem
        shutil.copytree(DURABLE, work, ignore=shutil.ignore_patterns("*.snap"))
        plain = testing.run(str(work / prog.name), mode, cwd=str(work))
        for k in sorted({1, plain.points // 2, plain.points - 1} - {0}):
            os.chdir(work)
            try:
                vm, status = runner.run_file(str(work / prog.name), (), io.StringIO(), io.StringIO(), stop_at=k,
                                             stop_path=str(tmp_path / "stop.snap"), mode=mode)
            finally:
                os.chdir(tmp_path)
            if status == "stopped":
                _inspect_all(tmp_path / "stop.snap")
                stops += 1
        for path in seen[:3] + seen[3:][-2:]:       # a few of each program's own checkpoints
            _inspect_all(path)
    assert stops > 60 and len(written) > 100


def test_stack_colours_the_source_on_a_terminal(snap):
    """On a terminal the source lines are highlighted (the editor extra's lexer); NO_COLOR turns that off."""
    def on_a_terminal(env_extra):
        master, slave = os.openpty()
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        env.update(env_extra)
        done = subprocess.run([sys.executable, "-m", "neutron", "snapshot", "stack", snap.name], cwd=snap.parent,
                              stdout=slave, stderr=subprocess.PIPE, env=env, timeout=60)
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(master)
        assert done.returncode == 0, done.stderr
        return b"".join(chunks).decode()
    coloured = on_a_terminal({})
    assert "\x1b[" in coloured and "checkpoint" in coloured
    assert "\x1b[" not in on_a_terminal({"NO_COLOR": "1"})
