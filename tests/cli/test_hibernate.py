"""Hibernation: `sys.hibernate(path[, status])`, and an exit that follows the last checkpoint with nothing
observable in between (the resume continues after the exit)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

MODES = {"compiled": {}, "vm": {"NEUTRON_VM": "1"}}


def neutron(*args, cwd, env=None, timeout=60):
    full_env = dict(os.environ)
    for var in ("NEUTRON_SNAPSHOT_KEY", "NEUTRON_SNAPSHOT_KEYS", "NEUTRON_CHECKPOINT_LOG", "NEUTRON_VM", "STOP"):
        full_env.pop(var, None)
    full_env.update(env or {})
    done = subprocess.run([sys.executable, "-m", "neutron", *map(str, args)], cwd=cwd, env=full_env,
                          capture_output=True, timeout=timeout)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


WORKER = """use sys;
var queue = ["a", "b", "c"];
while (queue.length > 0) {
    var item = queue[0]; queue = queue.slice(1, queue.length);
    say("processed " + item);
    sys.checkpoint("queue.snap");
    if (sys.env("STOP") == "1") sys.exit(0);   // resume with STOP=1 should process the next item and stop again
}
say("queue empty");
"""


@pytest.mark.parametrize("mode", MODES)
def test_the_worker_of_the_issue(tmp_path, mode):
    (tmp_path / "worker.nt").write_text(WORKER)
    stop = dict(MODES[mode], STOP="1")
    assert neutron("worker.nt", cwd=tmp_path, env=stop) == (0, "processed a\n", "")
    assert neutron("--resume", "queue.snap", cwd=tmp_path, env=stop) == (0, "processed b\n", "")
    assert neutron("--resume", "queue.snap", cwd=tmp_path, env=MODES[mode]) == (0, "processed c\nqueue empty\n", "")
    # the last resume ended the queue without another exit: its snapshot still continues after "c"
    assert neutron("--resume", "queue.snap", cwd=tmp_path, env=MODES[mode]) == (0, "queue empty\n", "")


QUIET = """use sys;
use time;
use math;
fun decide(n) { return n * 2 > 1 and math.sqrt(16) == 4; }
var start = time.now();
sys.checkpoint("h.snap");
var home = sys.env("HOME");
var args = sys.args();
var text = sys.read("data.txt");
var there = sys.exists("data.txt") and sys.resumed() == false;
if (decide(text.length) and start <= time.now() and there and args.length == 1) sys.exit(7);
say("after the exit " + sys.resumed());
"""


@pytest.mark.parametrize("mode", MODES)
def test_reading_and_computing_do_not_count(tmp_path, mode):
    (tmp_path / "data.txt").write_text("some data")
    (tmp_path / "p.nt").write_text(QUIET)
    assert neutron("p.nt", cwd=tmp_path, env=MODES[mode]) == (7, "", "")
    assert neutron("--resume", "h.snap", cwd=tmp_path, env=MODES[mode]) == (0, "after the exit true\n", "")


EFFECTS = {
    "output": 'say("effect");',
    "a file written": 'sys.write("out.txt", "x");',
    "a process started": 'sys.exec("true");',
    "a log line": 'use log; log.error("effect");',
    "a json file written": 'use json; json.writeFile("out.json", {"a": 1});',
}


@pytest.mark.parametrize("what", EFFECTS)
def test_an_effect_between_checkpoint_and_exit_is_kept(tmp_path, what):
    """After an effect the exit is an ordinary one: the resume continues after the checkpoint, so the effect and
    the exit happen again."""
    (tmp_path / "p.nt").write_text(f'use sys;\nsys.checkpoint("h.snap");\n{EFFECTS[what]}\nsys.exit(3);\n'
                                   f'say("after the exit");\n')
    first = neutron("p.nt", cwd=tmp_path)
    assert first[0] == 3
    again = neutron("--resume", "h.snap", cwd=tmp_path)

    def untimed(result):    # a log line starts with the time it was written
        return tuple(re.sub(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] ", "[time] ", x) if isinstance(x, str) else x
                     for x in result)
    assert untimed(again) == untimed(first) and "after the exit" not in again[1]


def test_another_checkpoint_is_the_one_rewritten(tmp_path):
    (tmp_path / "p.nt").write_text('use sys;\nsys.checkpoint("a.snap");\nsys.checkpoint("b.snap");\nsys.exit(0);\n'
                                   'say("after the exit");\n')
    assert neutron("p.nt", cwd=tmp_path) == (0, "", "")
    assert neutron("--resume", "b.snap", cwd=tmp_path) == (0, "after the exit\n", "")
    assert neutron("--resume", "a.snap", cwd=tmp_path) == (0, "", "")      # it reaches the checkpoint of b.snap...
    assert neutron("--resume", "b.snap", cwd=tmp_path) == (0, "after the exit\n", "")


def test_exit_inside_functions_after_a_checkpoint(tmp_path):
    (tmp_path / "p.nt").write_text("""use sys;
fun save() { sys.checkpoint("h.snap"); return 1; }
fun finish(n) { if (n > 0) { sys.exit(n + 1); } return 0; }
var k = save();
var r = finish(k);
say("resumed with " + r + " " + k);
""")
    assert neutron("p.nt", cwd=tmp_path) == (2, "", "")
    assert neutron("--resume", "h.snap", cwd=tmp_path) == (0, "resumed with 0 1\n", "")


@pytest.mark.parametrize("mode", MODES)
def test_sys_hibernate(tmp_path, mode):
    (tmp_path / "p.nt").write_text("""use sys;
var days = 0;
while (days < 3) {
    days = days + 1;
    say("day " + days);
    var r = sys.hibernate("m.snap", days);
    say("woke up " + r + " " + sys.resumed());
}
""")
    assert neutron("p.nt", cwd=tmp_path, env=MODES[mode]) == (1, "day 1\n", "")
    assert neutron("--resume", "m.snap", cwd=tmp_path, env=MODES[mode]) == (2, "woke up true true\nday 2\n", "")
    assert neutron("--resume", "m.snap", cwd=tmp_path, env=MODES[mode]) == (3, "woke up true true\nday 3\n", "")
    assert neutron("--resume", "m.snap", cwd=tmp_path, env=MODES[mode]) == (0, "woke up true true\n", "")


def test_sys_hibernate_checks_its_arguments(tmp_path):
    (tmp_path / "p.nt").write_text("""use sys;
try { sys.hibernate(3); } catch (e) { say(e); }
try { sys.hibernate("x.snap", 1.5); } catch (e) { say(e); }
try { sys.hibernate(""); } catch (e) { say(e); }
sys.hibernate("x.snap");
""")
    status, out, err = neutron("p.nt", cwd=tmp_path)
    assert (status, err) == (0, "")
    assert out == ("sys.hibernate: argument 1 (path) must be a string, got number.\n"
                   "sys.hibernate: the exit code must be an integer, got 1.5.\n"
                   "sys.hibernate: the path must be a non-empty string.\n")
    assert sorted(os.listdir(tmp_path)) == ["p.nt", "x.snap"]
