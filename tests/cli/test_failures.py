"""Save on failure and effects that happen once, with real processes: `--checkpoint-on-error PATH` writes the
program as it was before the failing operation (a file that appears later, a server that comes up later, a throw),
and `sys.once` returns its recorded result in a run resumed from an older snapshot after a crash."""
from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading

import pytest

MODES = {"compiled": {}, "vm": {"NEUTRON_VM": "1"}}


def neutron(*args, cwd, mode="compiled", timeout=120):
    env = dict(os.environ)
    for var in ("NEUTRON_SNAPSHOT_KEY", "NEUTRON_SNAPSHOT_KEYS", "NEUTRON_CHECKPOINT_LOG", "NEUTRON_VM"):
        env.pop(var, None)
    env.update(MODES[mode])
    done = subprocess.run([sys.executable, "-m", "neutron", *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          timeout=timeout)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


RESUMES = "neutron: err.snap resumes at the failing operation: run it again with neutron --resume err.snap\n"

PIPELINE = """use sys;
var log = [];
fun stage(name) { log.push(name); say("stage " + name); }
fun load(path) {
    var text = sys.read(path);
    return text.trim();
}
stage("prepare");
var data = load("input.txt");
stage("use " + data);
say(log);
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_file_that_appears_later(tmp_path, mode):
    (tmp_path / "p.nt").write_text(PIPELINE)
    status, out, err = neutron("--checkpoint-on-error", "err.snap", "p.nt", cwd=tmp_path, mode=mode)
    assert (status, out) == (1, "stage prepare\n")
    assert "sys.read: cannot open 'input.txt': No such file or directory." in err
    assert err.endswith("Found 1 error.\n" + RESUMES)
    # the snapshot resumes at the call that failed, inside load(), everything before it kept
    assert neutron("snapshot", "stack", "err.snap", cwd=tmp_path)[1].startswith("err.snap resumes at p.nt:5 in load")
    assert neutron("--resume", "err.snap", cwd=tmp_path, mode=mode)[0] == 1      # still missing: fails again
    (tmp_path / "input.txt").write_text("fresh data\n")
    assert neutron("--resume", "err.snap", cwd=tmp_path, mode=mode) == \
        (0, "stage use fresh data\n[prepare, use fresh data]\n", "")


DOWNLOAD = """use sys;
use http;
var URL = sys.args()[1];
var fetched = 0;
fun download() {
    var r = http.get(URL);
    fetched = fetched + 1;
    return r.body;
}
say("before");
var body = download();
say("downloaded " + body + " " + fetched);
"""


class Answering(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"the data"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("mode", MODES)
def test_a_server_that_comes_up_later(tmp_path, mode):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]       # nothing listens there yet
    url = f"http://127.0.0.1:{port}/data"
    (tmp_path / "d.nt").write_text(DOWNLOAD)
    status, out, err = neutron("--checkpoint-on-error", "err.snap", "d.nt", url, cwd=tmp_path, mode=mode)
    assert (status, out) == (1, "before\n")
    assert "could not connect" in err and err.endswith(RESUMES)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Answering)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert neutron("--resume", "err.snap", cwd=tmp_path, mode=mode) == (0, "downloaded the data 1\n", "")
    finally:
        server.shutdown()
        server.server_close()


THROWS = """use sys;
fun check() {
    try { sys.read("missing.txt"); } catch (e) { say("caught"); }
    if (!sys.exists("flag")) throw {"reason": "no flag"};
    return "flag found";
}
say(check());
"""


@pytest.mark.parametrize("mode", MODES)
def test_an_uncaught_throw_and_a_caught_error(tmp_path, mode):
    (tmp_path / "t.nt").write_text(THROWS)
    status, out, err = neutron("--checkpoint-on-error", "err.snap", "t.nt", cwd=tmp_path, mode=mode)
    assert (status, out) == (1, "caught\n")        # the caught error wrote nothing
    assert "Uncaught exception: {reason: no flag}" in err and err.endswith(RESUMES)
    # the snapshot is at the throw, the thrown value on the stack: running it again throws it again
    assert neutron("snapshot", "stack", "err.snap", cwd=tmp_path)[1].startswith("err.snap resumes at t.nt:4 in check")
    status, out, err = neutron("--resume", "err.snap", cwd=tmp_path, mode=mode)
    assert status == 1 and "Uncaught exception: {reason: no flag}" in err


@pytest.mark.parametrize("mode", MODES)
def test_an_error_in_the_programs_own_code_writes_nothing(tmp_path, mode):
    (tmp_path / "z.nt").write_text("var a = [1, 2];\nsay(a[5] + 1);\n")
    status, out, err = neutron("--checkpoint-on-error", "err.snap", "z.nt", cwd=tmp_path, mode=mode)
    assert status == 1 and "Array index out of bounds" in err
    assert err.endswith(NOTHING_WRITTEN)
    assert not (tmp_path / "err.snap").exists()


NOTHING_WRITTEN = ("neutron: no snapshot written to err.snap: the error is not in a call of a built-in function "
                   "with effects or a throw (running it again would fail the same way)\n")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("call, message", [('fmt.to_int(s)', "Cannot convert string 'abc' to integer"),
                                           ("math.sqrt(0 - s.length)", "math.sqrt: argument must not be negative"),
                                           ("math.floor(s)", "math.floor: argument 1 must be a number")])
def test_a_failing_pure_built_in_writes_nothing(tmp_path, mode, call, message):
    # a conversion or a computation from its arguments alone: running it again would fail the same way
    (tmp_path / "z.nt").write_text(f'use fmt;\nuse math;\nvar s = "abc";\nfor (var i = 0; i < 3; i++) say(i);\n'
                                   f'say({call});\n')
    status, out, err = neutron("--checkpoint-on-error", "err.snap", "z.nt", cwd=tmp_path, mode=mode)
    assert (status, out) == (1, "0\n1\n2\n") and message in err and err.endswith(NOTHING_WRITTEN)
    assert not (tmp_path / "err.snap").exists()


CHARGE = """use sys;
sys.checkpoint("pay.snap");
var receipt = sys.once("charge order 17", fun() {
    sys.append("charges.log", "charged\\n");
    return {"id": "ch_1", "amount": 25};
});
say("receipt " + receipt.id + " " + receipt.amount);
if (!sys.resumed()) sys.exec("kill -9 " + sys.args()[1]);   // the machine dies before the next checkpoint
say("done");
"""


@pytest.mark.parametrize("mode", MODES)
def test_once_after_a_crash_returns_the_recorded_result(tmp_path, mode):
    # the program kills its own process group leader: itself (the pid is passed in by a shell)
    (tmp_path / "pay.nt").write_text(CHARGE)
    env_mode = "NEUTRON_VM=1 " if mode == "vm" else ""
    done = subprocess.run(f"{env_mode}exec {sys.executable} -m neutron pay.nt $$", shell=True, cwd=tmp_path,
                          capture_output=True, timeout=60)
    assert done.returncode == -9 and done.stdout.decode() == "receipt ch_1 25\n"
    # resumed from the snapshot taken before the charge: the charge is not made again
    assert neutron("--resume", "pay.snap", cwd=tmp_path, mode=mode) == (0, "receipt ch_1 25\ndone\n", "")
    assert (tmp_path / "charges.log").read_text() == "charged\n"
    records = json.loads((tmp_path / "pay.snap.once").read_text())["runs"]
    assert list(records.values()) == [{"charge order 17": {"id": "ch_1", "amount": 25.0}}]
    assert oct((tmp_path / "pay.snap.once").stat().st_mode & 0o777) == "0o600"
    # a new run of the program is a new run: it charges
    (tmp_path / "pay.nt").write_text(CHARGE.replace('sys.exec("kill -9 " + sys.args()[1])', 'say("no crash")'))
    assert neutron("pay.nt", cwd=tmp_path, mode=mode) == (0, "receipt ch_1 25\nno crash\ndone\n", "")
    assert (tmp_path / "charges.log").read_text() == "charged\ncharged\n"
