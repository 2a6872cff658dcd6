"""Tasks and processes where a Neutron test program cannot say it: Ctrl-C stopping a program whose tasks and
processes all wait, the order of sleepers by deadline (a round trip may resume after every deadline has passed, so
the .nt tests avoid it), a snapshot that holds a sleeping task resumed in a new process, and the worker pool of the
process module's documentation (a long computation)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from neutron.testing import MODES, run

FOREVER = """use async;
use process;
fun spinner() { while (true) process.process_sleep(20); }
process.spawn(spinner);
async.run(fun() { while (true) async.sleep(30); });
say("ready");
process.receive();
"""


def env_for(mode):
    env = dict(os.environ)
    env["NEUTRON_TIER"] = "1" if mode == "compiled" else "0"
    env.pop("NEUTRON_VM", None)
    return env


@pytest.mark.parametrize("mode", MODES)
def test_ctrl_c_stops_every_task_and_process(tmp_path, mode):
    prog = tmp_path / "forever.nt"
    prog.write_text(FOREVER, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "neutron", str(prog)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env_for(mode),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "Interrupted" in err and "Traceback" not in err


ORDER = """use async;
use process;
var woke = [];
var a = async.run(fun() { async.sleep(300); woke.push("a 300"); });
var b = async.run(fun() { async.sleep(10); woke.push("b 10"); });
var c = async.timer(fun() { woke.push("timer 150"); }, 150);
fun p() { process.process_sleep(220); process.send(0, "process 220"); }
process.spawn(p);
woke.push(process.receive());
async.await(a);
say(woke);
"""


@pytest.mark.parametrize("mode", MODES)
def test_sleepers_wake_in_the_order_of_their_deadlines(tmp_path, mode):
    prog = tmp_path / "order.nt"
    prog.write_text(ORDER, encoding="utf-8")
    out = run(str(prog), mode=mode)
    assert (out.status, out.stderr) == (0, "")
    assert out.stdout == "[b 10, timer 150, process 220, a 300]\n"


SLEEPER = """use async;
use sys;
var t = async.run(fun() { async.sleep(400); return "slept"; });
async.sleep(1);
sys.checkpoint(sys.args()[1]);
say(async.await(t) + " " + sys.resumed());
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_snapshot_with_a_sleeping_task_resumes_in_a_new_process(tmp_path, mode):
    prog = tmp_path / "sleeper.nt"
    prog.write_text(SLEEPER, encoding="utf-8")
    snap = tmp_path / "sleeper.snap"
    first = subprocess.run([sys.executable, "-m", "neutron", str(prog), str(snap)], capture_output=True, text=True,
                           env=env_for(mode))
    assert (first.returncode, first.stdout, first.stderr) == (0, "slept false\n", "")
    again = subprocess.run([sys.executable, "-m", "neutron", "--resume", str(snap), str(snap)], capture_output=True,
                           text=True, env=env_for(mode))
    assert (again.returncode, again.stdout, again.stderr) == (0, "slept true\n", "")


WORKER_POOL = """use process;

fun worker() {
    fun compute(n) {
        if (n < 2) return n;
        return compute(n - 1) + compute(n - 2);
    }
    
    var n = process.receive();
    return compute(n);
}

// Spawn multiple workers
var w1 = process.spawn(worker);
var w2 = process.spawn(worker);
var w3 = process.spawn(worker);
var w4 = process.spawn(worker);

// Distribute work
process.send(w1, 30);
process.send(w2, 30);
process.send(w3, 30);
process.send(w4, 30);

// Wait for completion
while (process.process_count() > 0) {
    process.process_sleep(10);
}
say("All workers completed!");
"""


@pytest.mark.fuzz       # (slow: four fib(30) in the VM, about a minute)
def test_the_documented_worker_pool_completes(tmp_path):
    prog = tmp_path / "pool.nt"
    prog.write_text(WORKER_POOL, encoding="utf-8")
    out = run(str(prog), mode="compiled")
    assert (out.status, out.stdout, out.stderr) == (0, "All workers completed!\n", "")


SLOW_CLIENT = """use async;
use http;
var url = sys.args()[1];
var got = async.run(fun() { return http.get(url)["body"]; });
var ticks = async.run(fun() {
    for (var i = 0; i < 3; i = i + 1) { say("tick"); async.sleep(1); }
});
async.await(ticks);
say(async.await(got));
var failing = async.run(fun() { return http.get("http://127.0.0.1:1/"); });
async.run(fun() { say("meanwhile"); });
try { async.await(failing); } catch (e) { say("failed: " + e); }
"""


@pytest.mark.parametrize("mode", MODES)
def test_an_http_request_in_a_task_lets_the_others_run(tmp_path, mode):
    """The server answers only after the other task has printed all its ticks: had the request blocked every
    task, the ticks could not have come first."""
    import http.server
    import threading

    ticked = threading.Event()

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            ticked.wait(30)
            body = b"slow answer"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    prog = tmp_path / "client.nt"
    prog.write_text("use sys;\n" + SLOW_CLIENT, encoding="utf-8")
    try:
        proc = subprocess.Popen([sys.executable, "-m", "neutron", str(prog),
                                 f"http://127.0.0.1:{server.server_address[1]}/"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env_for(mode))
        lines = [proc.stdout.readline() for _ in range(3)]
        ticked.set()
        out, err = proc.communicate(timeout=60)
    finally:
        server.shutdown()
    assert lines == ["tick\n"] * 3
    assert out.startswith("slow answer\nmeanwhile\nfailed: http.get: could not connect to http://127.0.0.1:1/")
    assert (proc.returncode, err) == (0, "")
