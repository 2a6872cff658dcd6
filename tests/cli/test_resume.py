"""`neutron FILE` and `neutron --resume SNAP` as separate processes, as a user or a cron job runs them."""
from __future__ import annotations

import os
import random
import stat
import struct
import subprocess
import sys
import time

import pytest

MAGIC = b"NTRNSNAP"


def neutron(*args, cwd, env=None, timeout=60):
    full_env = dict(os.environ)
    full_env.pop("NEUTRON_CHECKPOINT_LOG", None)
    full_env.update(env or {})
    done = subprocess.run([sys.executable, "-m", "neutron", *map(str, args)], cwd=cwd, env=full_env,
                          capture_output=True, timeout=timeout)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def assert_refused(cwd, snap):
    status, out, err = neutron("--resume", snap, cwd=cwd, timeout=30)
    assert status == 66, (status, out, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("neutron: cannot resume")
    assert "Traceback" not in err
    return err


PROGRAM = """use sys;
use math;
use helper;
class Greeter {
    fun initialize(name) { this.name = name; }
    fun hello() { return "hello " + this.name + " " + helper.twice(this.name.length); }
}
fun make() {
    var count = 0;
    return fun() { count = count + 1; return count; };
}
var tick = make();
tick();
var g = Greeter("wörld ✓");
var hello = g.hello;
say("before " + sys.resumed());
sys.checkpoint("state.snap");
say("after " + sys.resumed() + " " + tick() + " " + hello() + " " + math.sqrt(81));
"""


@pytest.fixture
def program(tmp_path):
    write(tmp_path / "helper.nt", "fun twice(x) { return x * 2; }\n")
    return write(tmp_path / "prog.nt", PROGRAM)


def test_run_then_resume_without_the_source(tmp_path, program):
    status, out, err = neutron(program.name, cwd=tmp_path)
    assert (status, out, err) == (0, "before false\nafter false 2 hello wörld ✓ 14 9\n", "")
    snap = tmp_path / "state.snap"
    assert snap.read_bytes().startswith(MAGIC)
    assert stat.S_IMODE(snap.stat().st_mode) == 0o600
    os.unlink(program)
    os.unlink(tmp_path / "helper.nt")
    for _ in range(2):
        assert neutron("--resume", "state.snap", cwd=tmp_path) == (0, "after true 2 hello wörld ✓ 14 9\n", "")


def test_resume_from_another_directory(tmp_path, program):
    neutron(program.name, cwd=tmp_path)
    other = tmp_path / "elsewhere"
    other.mkdir()
    status, out, err = neutron("--resume", tmp_path / "state.snap", cwd=other)
    assert (status, out, err) == (0, "after true 2 hello wörld ✓ 14 9\n", "")


def test_changed_source_one_line_on_stderr(tmp_path, program):
    neutron(program.name, cwd=tmp_path)
    write(program, PROGRAM.replace('"after "', '"AFTER "'))
    status, out, err = neutron("--resume", "state.snap", cwd=tmp_path)
    assert (status, out) == (0, "after true 2 hello wörld ✓ 14 9\n")
    assert err.count("\n") == 1 and "snapshot's code is used" in err and "prog.nt" in err


def test_checkpoint_prints_nothing_on_stdout(tmp_path):
    write(tmp_path / "p.nt", 'use sys;\nsys.checkpoint("a.snap");\nsys.checkpoint("b.snap");\n')
    assert neutron("p.nt", cwd=tmp_path) == (0, "", "")
    assert neutron("--resume", "a.snap", cwd=tmp_path) == (0, "", "")
    assert neutron("--resume", "b.snap", cwd=tmp_path) == (0, "", "")


def test_checkpoint_log_goes_to_stderr(tmp_path):
    write(tmp_path / "p.nt", 'use sys;\nsys.checkpoint("a.snap");\n')
    status, out, err = neutron("p.nt", cwd=tmp_path, env={"NEUTRON_CHECKPOINT_LOG": "1"})
    assert (status, out) == (0, "")
    assert "a.snap" in err and err.count("\n") == 1


MONITOR = """use sys;
use time;
var days_running = 0;
fun perform_daily_check() { return time.now() > 0; }
while (true) {
    perform_daily_check();
    days_running = days_running + 1;
    say("Day " + days_running + " complete. Hibernating...");
    sys.checkpoint("monitor.snap");
    sys.exit(0);
    say("Waking up for next day! " + sys.env("NT_DAY") + " " + sys.args());
}
"""


def test_monitor_day_after_day(tmp_path):
    write(tmp_path / "monitor.nt", MONITOR)
    assert neutron("monitor.nt", cwd=tmp_path) == (0, "Day 1 complete. Hibernating...\n", "")
    os.unlink(tmp_path / "monitor.nt")
    for day in (2, 3, 4):
        status, out, err = neutron("--resume", "monitor.snap", f"arg{day}", cwd=tmp_path,
                                   env={"NT_DAY": f"env{day}"})
        assert (status, err) == (0, "")
        assert out == (f"Waking up for next day! env{day} [monitor.nt, arg{day}]\n"
                       f"Day {day} complete. Hibernating...\n")


def test_clock_is_read_fresh(tmp_path):
    write(tmp_path / "c.nt", """use sys;
use time;
var t0 = time.now();
var m0 = time.monotonic();
sys.checkpoint("c.snap");
say(time.now() - t0);
say(time.now());
""")
    neutron("c.nt", cwd=tmp_path)
    time.sleep(0.3)
    lo = time.time() * 1000
    status, out, err = neutron("--resume", "c.snap", cwd=tmp_path)
    hi = time.time() * 1000
    assert status == 0, err
    elapsed, now = map(float, out.split())
    assert elapsed >= 300
    assert lo - 1 <= now <= hi + 1


# ---- resources ----------------------------------------------------------------------------------------------------
# A server opened before a checkpoint listens again after a resume: tests/unit/test_stdlib_http.py
# (test_listen_opens_its_port_again_after_a_resume) runs it as two processes.


# ---- snapshots that cannot be resumed ---------------------------------------------------------------------------

@pytest.fixture
def good_snapshot(tmp_path, program):
    status, out, err = neutron(program.name, cwd=tmp_path)
    assert status == 0, err
    return (tmp_path / "state.snap").read_bytes()


def test_bad_snapshots_on_the_command_line(tmp_path, good_snapshot):
    data = good_snapshot
    bad = tmp_path / "bad.snap"
    rnd = random.Random(7)
    newer = bytearray(data)
    struct.pack_into("<H", newer, 8, struct.unpack_from("<H", data, 8)[0] + 1)
    flipped_body = bytearray(data)
    flipped_body[len(data) // 2] ^= 0x10
    flipped_version = bytearray(data)
    flipped_version[24] ^= 0x01
    cases = {
        "empty": b"",
        "magic only": MAGIC,
        "truncated header": data[:20],
        "truncated body": data[:len(data) - 1],
        "half": data[:len(data) // 2],
        "body byte flipped": bytes(flipped_body),
        "version byte flipped": bytes(flipped_version),
        "random": bytes(rnd.randrange(256) for _ in range(3000)),
        "newer format": bytes(newer),
        "text": b"say(1);\n",
    }
    for name, content in cases.items():
        bad.write_bytes(content)
        err = assert_refused(tmp_path, bad.name)
        if name == "newer format":
            assert "newer" in err
    err = assert_refused(tmp_path, "missing.snap")
    assert "missing.snap" in err
    bad.write_bytes(data)
    assert neutron("--resume", bad.name, cwd=tmp_path)[0] == 0


def test_resume_needs_a_path(tmp_path):
    status, out, err = neutron("--resume", cwd=tmp_path)
    assert status == 2 and out == "" and "Traceback" not in err


def test_unwritable_target_is_a_catchable_error(tmp_path):
    write(tmp_path / "file", "x")
    (tmp_path / "dir").mkdir()
    write(tmp_path / "p.nt", """use sys;
for (var i in ["file/sub.snap", "dir", "nope/x.snap"]) {
    var target = ["file/sub.snap", "dir", "nope/x.snap"][i];
    try { sys.checkpoint(target); say("written"); } catch (e) { say("caught " + e.starts_with("sys.checkpoint")); }
}
""")
    status, out, err = neutron("p.nt", cwd=tmp_path)
    assert (status, out, err) == (0, "caught true\ncaught true\ncaught true\n", "")
    assert sorted(os.listdir(tmp_path)) == ["dir", "file", "p.nt"]


CALLBACKS = """use sys;
var log = [];
var out = [10, 20, 30, 40].map(fun (x) {
    if (x == 20) { sys.checkpoint("cb.snap"); }
    log.push(x);
    return x + 1;
});
var odd = [1, 2, 3, 4, 5].filter(fun (x) {
    if (x == 4) { sys.checkpoint("cb2.snap"); }
    return x % 2 == 1;
});
var sum = 0;
[1, 2, 3].forEach(fun (x) {
    if (x == 3) { sys.checkpoint("cb3.snap"); }
    sum = sum + x;
});
say(out + " " + log + " " + odd + " " + sum + " " + sys.resumed());
"""


@pytest.mark.parametrize("first", ["compiled", "vm"])
@pytest.mark.parametrize("then", ["compiled", "vm"])
def test_checkpoints_inside_array_callbacks(tmp_path, first, then):
    """Snapshots taken inside map, filter and forEach callbacks resume in the middle of the array, in either mode."""
    write(tmp_path / "cb.nt", CALLBACKS)
    flag = ["--vm"] if first == "vm" else []
    status, out, err = neutron(*flag, "cb.nt", cwd=tmp_path)
    assert (status, out, err) == (0, "[11, 21, 31, 41] [10, 20, 30, 40] [1, 3, 5] 6 false\n", "")
    flag = ["--vm"] if then == "vm" else []
    for snap, expected in (("cb.snap", "[11, 21, 31, 41] [10, 20, 30, 40] [1, 3, 5] 6 true\n"),
                           ("cb2.snap", "[11, 21, 31, 41] [10, 20, 30, 40] [1, 3, 5] 6 true\n"),
                           ("cb3.snap", "[11, 21, 31, 41] [10, 20, 30, 40] [1, 3, 5] 6 true\n")):
        status, out, err = neutron(*flag, "--resume", snap, cwd=tmp_path)
        assert (status, out, err) == (0, expected, ""), snap
