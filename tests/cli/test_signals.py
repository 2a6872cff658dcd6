"""Checkpoints asked for from outside, with real processes and real signals: `neutron --snapshot PATH` stops on
SIGTERM (in a loop, a sleep, a read of standard input, an http request, an http server's wait) with status 75 and a
snapshot that continues the run; SIGUSR1 writes and goes on; SIGINT keeps status 130 unless --checkpoint-on SIGINT;
--checkpoint-every writes periodically and --keep rotates; bad options are usage errors.

Programs say they are ready by creating a file (the signal handlers are installed before the program runs), and the
tests wait for files and exits, never for durations."""
from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

MODES = {"compiled": {}, "vm": {"NEUTRON_VM": "1"}}
WAIT = 120


def env_for(mode, extra=None):
    env = dict(os.environ)
    for var in ("NEUTRON_SNAPSHOT_KEY", "NEUTRON_SNAPSHOT_KEYS", "NEUTRON_CHECKPOINT_LOG", "NEUTRON_VM"):
        env.pop(var, None)
    env.update(MODES[mode])
    env.update(extra or {})
    return env


def start(args, cwd, mode, stdin=subprocess.DEVNULL, extra=None):
    return subprocess.Popen([sys.executable, "-m", "neutron", *map(str, args)], cwd=cwd, env=env_for(mode, extra),
                            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run(args, cwd, mode, input=b"", extra=None):
    done = subprocess.run([sys.executable, "-m", "neutron", *map(str, args)], cwd=cwd, env=env_for(mode, extra),
                          input=input, capture_output=True, timeout=WAIT)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def wait_for(path, proc=None):
    deadline = time.monotonic() + WAIT
    while not os.path.exists(path):
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the program ended first: {proc.returncode} {proc.stderr.read().decode()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.02)


def finish(proc):
    proc.wait(timeout=WAIT)
    return proc.returncode, proc.stdout.read().decode(), proc.stderr.read().decode()


def stop_message(path):
    return f"neutron: stopped by SIGTERM; the program is saved in {path} (continue it with: neutron --resume {path})\n"


LOOP = """use sys;
var total = 0;
var i = 0;
sys.write("ready", "");
while (i < N) {
    total = total + i % 7;
    i = i + 1;
}
say("total " + total + " after " + i);
"""


@pytest.mark.parametrize("mode", MODES)
def test_sigterm_in_a_loop_stops_and_the_resume_finishes_it(tmp_path, mode):
    n = 3000000 if mode == "compiled" else 300000       # (the VM is slower: a few seconds either way)
    (tmp_path / "loop.nt").write_text(LOOP.replace("N", str(n)))
    proc = start(["--snapshot", "loop.snap", "loop.nt"], tmp_path, mode)
    wait_for(tmp_path / "ready", proc)
    proc.send_signal(signal.SIGTERM)
    status, out, err = finish(proc)
    assert (status, out, err) == (75, "", stop_message("loop.snap"))
    expected = sum(i % 7 for i in range(n))
    assert run(["--resume", "loop.snap"], tmp_path, mode) == (0, f"total {expected} after {n}\n", "")


RECURSION = """use sys;
fun count(n) { if (n == 0) return 0; return 1 + count(n - 1); }
sys.write("ready", "");
var sum = 0;
for (var k = 0; k < K; k++) sum = sum + count(2000);
say(sum);
"""


@pytest.mark.parametrize("mode", MODES)
def test_sigterm_in_recursion_stops_at_a_call(tmp_path, mode):
    k = 4000 if mode == "compiled" else 400         # seconds of work either way: the signal comes before the end
    (tmp_path / "rec.nt").write_text(RECURSION.replace("K", str(k)))
    proc = start(["--snapshot", "rec.snap", "rec.nt"], tmp_path, mode)
    wait_for(tmp_path / "ready", proc)
    proc.send_signal(signal.SIGTERM)
    assert finish(proc)[0] == 75
    assert run(["--resume", "rec.snap"], tmp_path, mode) == (0, f"{2000 * k}\n", "")


SLEEPER = """use sys;
use time;
var before = time.now();
sys.write("ready", "");
var r = sys.sleep(3000);
say("woke " + r + ", slept the whole time: " + (time.now() - before >= 3000));
say(time.sleep(1));
"""


@pytest.mark.parametrize("mode", MODES)
def test_sigterm_in_a_sleep_and_the_resume_sleeps_until_the_same_deadline(tmp_path, mode):
    (tmp_path / "sleep.nt").write_text(SLEEPER)
    proc = start(["--snapshot", "sleep.snap", "sleep.nt"], tmp_path, mode)
    wait_for(tmp_path / "ready", proc)
    proc.send_signal(signal.SIGTERM)
    assert finish(proc) == (75, "", stop_message("sleep.snap"))
    assert "\nsleeping    until " in run(["snapshot", "info", "sleep.snap"], tmp_path, mode)[1]
    # the deadline is the first process's: the resumed sleep ends there (not 3 s after the resume, not before)
    assert run(["--resume", "sleep.snap"], tmp_path, mode) == \
        (0, "woke true, slept the whole time: true\nnil\n", "")


READER = """use sys;
sys.write("ready", "");
var name = sys.input("name? ");
say("hello " + name);
"""


@pytest.mark.parametrize("mode", MODES)
def test_sigterm_while_reading_stdin_and_the_resume_reads_again(tmp_path, mode):
    (tmp_path / "read.nt").write_text(READER)
    proc = start(["--snapshot", "read.snap", "read.nt"], tmp_path, mode, stdin=subprocess.PIPE)
    wait_for(tmp_path / "ready", proc)
    proc.send_signal(signal.SIGTERM)
    status, out, err = finish(proc)     # (its standard input stays open: it was waiting)
    proc.stdin.close()
    assert (status, out, err) == (75, "name? ", stop_message("read.snap"))
    assert run(["--resume", "read.snap"], tmp_path, mode, input=b"Ada\n") == (0, "name? hello Ada\n", "")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A real http server in this process; while `hold` is set it keeps requests waiting."""

    def __init__(self):
        self.hold = threading.Event()
        self.release = threading.Event()
        self.seen = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.seen += 1
                if outer.hold.is_set():
                    outer.release.wait(WAIT)
                    return
                body = f"answer {outer.seen}".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


CLIENT = """use sys;
use http;
sys.write("ready", "");
var r = http.get("http://127.0.0.1:PORT/data");
say(r.status + " " + r.body);
"""


@pytest.mark.parametrize("mode", MODES)
def test_sigterm_while_waiting_for_an_http_response_and_the_resume_asks_again(tmp_path, mode):
    server = Server()
    try:
        server.hold.set()
        (tmp_path / "client.nt").write_text(CLIENT.replace("PORT", str(server.port)))
        proc = start(["--snapshot", "client.snap", "client.nt"], tmp_path, mode)
        wait_for(tmp_path / "ready", proc)
        deadline = time.monotonic() + WAIT
        while server.seen == 0 and time.monotonic() < deadline:      # the request is waiting for its answer
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        assert finish(proc) == (75, "", stop_message("client.snap"))
        server.hold.clear()
        assert run(["--resume", "client.snap"], tmp_path, mode) == (0, "200 answer 2\n", "")
    finally:
        server.close()


LISTENER = """use sys;
use http;
use fmt;
var PORT = fmt.to_int(sys.args()[1]);
var served = 0;
var server = http.createServer(fun(req) {
    served = served + 1;
    if (req.path == "/stop") server["running"] = false;
    return "served " + served + " " + req.path;
});
server["port"] = PORT;
sys.write("ready", "");
http.listen(server, PORT);
say("served " + served);
"""


def get(port, path):
    deadline = time.monotonic() + WAIT
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
                return data.decode().split("\r\n\r\n", 1)[1]
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.parametrize("mode", MODES)
def test_sigterm_while_a_server_waits_and_the_resume_listens_again(tmp_path, mode):
    (tmp_path / "listen.nt").write_text(LISTENER)
    port = free_port()
    proc = start(["--snapshot", "listen.snap", "listen.nt", port], tmp_path, mode)
    wait_for(tmp_path / "ready", proc)
    assert get(port, "/a") == "served 1 /a"
    proc.send_signal(signal.SIGTERM)
    assert finish(proc) == (75, "", stop_message("listen.snap"))
    proc = start(["--resume", "listen.snap"], tmp_path, mode)
    assert get(port, "/b") == "served 2 /b"
    assert get(port, "/stop") == "served 3 /stop"
    assert finish(proc) == (0, "served 3\n", "")


WAITER = """use sys;
var step = 0;
sys.write("ready", "");
while (!sys.exists("go")) { step = step + 1; sys.sleep(10); }
say(sys.resumed() ? "resumed" : "went on");
"""


@pytest.mark.parametrize("mode", MODES)
def test_sigusr1_writes_the_snapshot_and_the_program_goes_on(tmp_path, mode):
    (tmp_path / "wait.nt").write_text(WAITER)
    proc = start(["--snapshot", "w.snap", "wait.nt"], tmp_path, mode)
    wait_for(tmp_path / "ready", proc)
    proc.send_signal(signal.SIGUSR1)
    wait_for(tmp_path / "w.snap", proc)
    (tmp_path / "go").write_text("")
    assert finish(proc) == (0, "went on\n", "")
    assert run(["--resume", "w.snap"], tmp_path, mode) == (0, "resumed\n", "")


@pytest.mark.parametrize("mode", MODES)
def test_sigint_keeps_its_meaning_unless_asked(tmp_path, mode):
    (tmp_path / "wait.nt").write_text(WAITER)
    proc = start(["--snapshot", "w.snap", "wait.nt"], tmp_path, mode)
    wait_for(tmp_path / "ready", proc)
    proc.send_signal(signal.SIGINT)
    status, out, err = finish(proc)
    assert status == 130 and "Interrupted." in err
    assert not (tmp_path / "w.snap").exists()
    os.remove(tmp_path / "ready")
    proc = start(["--snapshot", "w.snap", "--checkpoint-on", "SIGINT", "wait.nt"], tmp_path, mode)
    wait_for(tmp_path / "ready", proc)
    proc.send_signal(signal.SIGINT)
    status, out, err = finish(proc)
    assert (status, out) == (75, "") and err.startswith("neutron: stopped by SIGINT;")
    (tmp_path / "go").write_text("")
    assert run(["--resume", "w.snap"], tmp_path, mode) == (0, "resumed\n", "")


@pytest.mark.parametrize("mode", MODES)
def test_checkpoint_every_writes_periodically_and_keep_rotates(tmp_path, mode):
    (tmp_path / "wait.nt").write_text(WAITER)
    proc = start(["--snapshot", "p.snap", "--checkpoint-every", "200ms", "--keep", "3", "wait.nt"], tmp_path, mode,
                 extra={"NEUTRON_CHECKPOINT_LOG": "1"})
    wait_for(tmp_path / "p.snap.2", proc)
    (tmp_path / "go").write_text("")
    status, out, err = finish(proc)
    assert (status, out) == (0, "went on\n")
    assert err.count("neutron: checkpoint written to p.snap\n") >= 3
    assert not (tmp_path / "p.snap.3").exists()
    steps = []
    for name in ("p.snap", "p.snap.1", "p.snap.2"):
        code, text, _ = run(["snapshot", "vars", name], tmp_path, mode)
        assert code == 0
        steps.append(int(text.split("step = ")[1].split()[0]))
        assert run(["--resume", name], tmp_path, mode) == (0, "resumed\n", "")
    assert steps[0] >= steps[1] >= steps[2]        # PATH the newest, the oldest last


BUSY = """use sys;
var grid = [];
var n = 0;
fun cell(a, b) { var s = 0; var k = 0; while (k < 20) { s = s + (a * 31 + b * 17 + k) % 13; k = k + 1; } return s; }
sys.write("ready", "");
for (var r = 0; r < ROWS; r = r + 1) {
    var row = 0;
    for (var c = 0; c < 300; c = c + 1) { row = row + cell(r, c); n = n + 1; }
    grid.push(row);
}
sys.write("looped", "");
while (!sys.exists("go")) sys.sleep(10);
var sum = 0;
for (var g in grid) sum = sum + g;
say("cells " + n + " sum " + sum);
"""


def test_many_checkpoints_while_loops_run_leave_the_program_unchanged(tmp_path):
    """SIGUSR1 again and again while compiled loops run (a top-level loop keeps its globals in Python locals, a
    function's inner loop): each is served at a loop's back-edge or a call, and the run and every resume print what
    a run without signals prints."""
    rows = 400
    (tmp_path / "busy.nt").write_text(BUSY.replace("ROWS", str(rows)))
    (tmp_path / "go").write_text("")
    expected = run(["busy.nt"], tmp_path, "compiled")
    assert expected[0] == 0 and expected[1].startswith(f"cells {rows * 300} ")
    for name in ("ready", "looped", "go"):
        os.remove(tmp_path / name)
    proc = start(["--snapshot", "b.snap", "--keep", "40", "busy.nt"], tmp_path, "compiled",
                 extra={"NEUTRON_CHECKPOINT_LOG": "1"})
    wait_for(tmp_path / "ready", proc)
    sent = 0
    while not (tmp_path / "looped").exists() and sent < 30:
        proc.send_signal(signal.SIGUSR1)        # (the handlers stay until the program has ended: see "go")
        sent += 1
        time.sleep(0.05)
    (tmp_path / "go").write_text("")
    status, out, err = finish(proc)
    assert (status, out) == expected[:2]
    written = err.count("neutron: checkpoint written to b.snap\n")
    assert written >= 3, err
    names = ["b.snap"] + [f"b.snap.{i}" for i in range(1, min(written, 40))]
    for name in names[::3]:
        assert run(["--resume", name], tmp_path, "compiled")[:2] == expected[:2]


def test_loops_test_no_flag_unless_the_program_cannot_be_reached(tmp_path):
    """With --snapshot the compiled code is the same as without (no test at loop back-edges or calls): a request
    switches a line tracer on in the program's thread. Under another tracer (a debugger's) the loops test a flag instead, and a signal still stops
    the run."""
    (tmp_path / "loop.nt").write_text(LOOP.replace("N", "3000000"))
    env = env_for("compiled", {"NEUTRON_TIER": "eager", "NEUTRON_TIER_DUMP": "1"})
    dumps = []
    for options in ([], ["--snapshot", "x.snap", "--checkpoint-every", "30s"]):
        done = subprocess.run([sys.executable, "-m", "neutron", *options, "loop.nt"], cwd=tmp_path, env=env,
                              capture_output=True, timeout=WAIT)
        assert done.returncode == 0 and b"continue" in done.stderr
        dumps.append(done.stderr)
    assert dumps[0] == dumps[1]         # the same generated code with and without --snapshot
    os.remove(tmp_path / "ready")
    driver = ("import sys; sys.settrace(lambda *a: None); from neutron.cli import main; "
              "sys.exit(main(['--snapshot', 'd.snap', 'loop.nt']))")
    proc = subprocess.Popen([sys.executable, "-c", driver], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    wait_for(tmp_path / "ready", proc)
    proc.send_signal(signal.SIGTERM)
    status, out, err = finish(proc)
    assert status == 75 and "if \u01c2sp:" in err, err[-2000:]
    done = run(["--resume", "d.snap"], tmp_path, "compiled")
    assert done == (0, "total 8999994 after 3000000\n", "")


COUNTS = """use sys;
fun count(words, counts) {
    for (var i = 0; i < words.length; i++) {
        var w = words[i];
        var c = counts[w];
        if (c == nil) counts[w] = 1; else counts[w] = c + 1;
    }
    return counts;
}
var words = [];
for (var k = 0; k < 400000; k++) words.push("w" + (k * 7919) % 1000);
sys.write("ready", "");
var counts = {};
for (var round = 0; round < ROUNDS; round++) count(words, counts);
var total = 0;
for (var w in counts) total = total + counts[w];
say("total " + total + " w7 " + counts["w7"]);
"""


def test_a_checkpoint_inside_a_loop_whose_counter_is_an_int_alone(tmp_path):
    """The compiled tier keeps an indexing loop's counter as a Python int alone: a request served at its back-edge
    describes the counter as the float the program sees, and the resume goes on from that iteration."""
    (tmp_path / "counts.nt").write_text(COUNTS.replace("ROUNDS", "30"))
    expected = (0, f"total {30 * 400000} w7 {30 * 400}\n", "")
    proc = start(["--snapshot", "c.snap", "counts.nt"], tmp_path, "compiled")
    wait_for(tmp_path / "ready", proc)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    status, out, err = finish(proc)
    assert (status, out) == (75, ""), err
    code, info, _ = run(["snapshot", "info", "c.snap"], tmp_path, "compiled")
    assert code == 0 and "resumes at  counts.nt:3 in count" in info, info
    assert run(["--resume", "c.snap"], tmp_path, "compiled") == expected


CALLING_LOOP = """use sys;
var seen = [];
fun visit(x) {
    if (x == 5) {
        sys.write("ready", "");
        while (!sys.exists("go")) sys.sleep(10);
    }
    seen.push(x * 10);
    return x;
}
fun walk(a) {
    var i = 0;
    for (; i < a.length; i++) visit(a[i]);
    return i;
}
var a = [];
for (var k = 0; k < 12; k++) a.push(k);
say("walked " + walk(a) + ": " + seen.join(","));
"""


def test_a_checkpoint_in_a_call_from_a_loop_whose_counter_is_an_int_alone(tmp_path):
    """A loop that calls keeps its index counter as a Python int alone too: a stop inside the callee describes the
    loop's frame at its call site with the counter as the float the program sees."""
    (tmp_path / "walk.nt").write_text(CALLING_LOOP)
    eager = {"NEUTRON_TIER": "eager"}        # (compiled from the start: the loop is short)
    proc = start(["--snapshot", "w.snap", "walk.nt"], tmp_path, "compiled", extra=eager)
    wait_for(tmp_path / "ready", proc)
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    status, out, err = finish(proc)
    assert (status, out) == (75, ""), err
    (tmp_path / "go").write_text("")
    assert run(["--resume", "w.snap"], tmp_path, "compiled", extra=eager) == \
        (0, "walked 12: " + ",".join(str(10 * k) for k in range(12)) + "\n", "")


SORTS = """var spin = 0;
for (var k = 0; k < 1000000; k = k + 1) spin = (spin + k) % 7;
var items = [];
for (var i = 0; i < 20000; i = i + 1) items.push({price: (i * 7919) % 1000, id: i});
var firsts = [];
for (var round = 0; round < 6; round = round + 1) {
    var copy = items.slice(0, items.length);
    copy.sort(fun (a, b) { var d = b.price - a.price; if (d == 0) d = a.id - b.id; return d; });
    firsts.push(copy[0].id + ":" + copy[copy.length - 1].id);
}
// a request that found the program in a sort is asked again a moment later: here (and before) there is somewhere
// to serve one
for (var k = 0; k < 2000000; k = k + 1) spin = (spin + k) % 7;
say(firsts.join(" ") + " " + spin);     // (one line: no request can be served between two)
"""


def test_periodic_checkpoints_wait_out_a_sort_by_a_comparator(tmp_path):
    """A comparator that makes no call is run by Python's sort, where no frame can be described: a request that
    arrives there waits until the sort is done (before, the run ended with an internal error), and a period
    shorter than a checkpoint still leaves the program time to run."""
    (tmp_path / "sorts.nt").write_text(SORTS)
    expected = run(["sorts.nt"], tmp_path, "compiled")
    assert expected[0] == 0 and len(expected[1].split()) == 7
    done = run(["--snapshot", "s.snap", "--checkpoint-every", "20ms", "sorts.nt"], tmp_path, "compiled",
               extra={"NEUTRON_CHECKPOINT_LOG": "1"})
    assert done[:2] == expected[:2], done[2][-2000:]
    assert done[2].count("neutron: checkpoint written to s.snap\n") >= 1 and "internal error" not in done[2]
    assert run(["--resume", "s.snap"], tmp_path, "compiled")[:2] == expected[:2]


def test_periodic_checkpoints_wait_out_a_sort_by_a_key(tmp_path):
    """A comparator `b.price - a.price` sorts by its key, computed once per element by compiled code that Python's
    sort does not call: a request that arrives there waits too, and the order is the comparator's."""
    program = SORTS.replace("var d = b.price - a.price; if (d == 0) d = a.id - b.id; return d;",
                            "return b.price - a.price;")
    assert program != SORTS
    (tmp_path / "keys.nt").write_text(program)
    expected = run(["keys.nt"], tmp_path, "compiled")
    assert expected[0] == 0 and expected == run(["keys.nt"], tmp_path, "vm")
    done = run(["--snapshot", "k.snap", "--checkpoint-every", "20ms", "keys.nt"], tmp_path, "compiled",
               extra={"NEUTRON_CHECKPOINT_LOG": "1"})
    assert done[:2] == expected[:2], done[2][-2000:]
    assert done[2].count("neutron: checkpoint written to k.snap\n") >= 1 and "internal error" not in done[2]
    assert run(["--resume", "k.snap"], tmp_path, "compiled")[:2] == expected[:2]


PIPELINES = """var spin = 0;
for (var k = 0; k < 1000000; k = k + 1) spin = (spin + k) % 7;
var items = [];
for (var i = 0; i < 200000; i = i + 1) items.push(i);
var sums = [];
for (var round = 0; round < 6; round = round + 1) {
    var kept = items.map(fun (x) { return (x * 7919 + round) % 1000; }).filter(fun (x) { return x % 3 == 1; });
    sums.push(kept.length + ":" + kept.reduce(fun (a, b) { return (a + b) % 1000003; }, 0));
}
for (var k = 0; k < 2000000; k = k + 1) spin = (spin + k) % 7;
say(sums.join(" ") + " " + spin);       // (one line: no request can be served between two)
"""


def test_periodic_checkpoints_wait_out_map_filter_and_reduce(tmp_path):
    """Callbacks that make no call are run by Python's map, filter and reduce, where no frame can be described:
    a request that arrives there waits until the loop is done, and the resumed run prints what the run did."""
    (tmp_path / "pipes.nt").write_text(PIPELINES)
    expected = run(["pipes.nt"], tmp_path, "compiled")
    assert expected[0] == 0 and len(expected[1].split()) == 7 and expected == run(["pipes.nt"], tmp_path, "vm")
    done = run(["--snapshot", "p.snap", "--checkpoint-every", "20ms", "pipes.nt"], tmp_path, "compiled",
               extra={"NEUTRON_CHECKPOINT_LOG": "1"})
    assert done[:2] == expected[:2], done[2][-2000:]
    assert done[2].count("neutron: checkpoint written to p.snap\n") >= 1 and "internal error" not in done[2]
    assert run(["--resume", "p.snap"], tmp_path, "compiled")[:2] == expected[:2]


WRITER = """use sys;
var heap = [];
var step = 0;
sys.write("ready", "");
while (true) {
    for (var j = 0; j < 200; j++) heap.push({step: step, text: "item " + step + "/" + j, pair: [step, j]});
    step = step + 1;
    if (sys.resumed()) {
        var ok = heap.length == step * 200;
        for (var k = 0; k < heap.length; k = k + 199) if (heap[k].pair[0] * 200 + heap[k].pair[1] != k) ok = false;
        say("consistent " + ok);
        sys.exit(0);
    }
}
"""


def test_sigkill_while_writing_with_keep_leaves_every_kept_file_readable(tmp_path):
    (tmp_path / "writer.nt").write_text(WRITER)
    for kill in range(8):
        if (tmp_path / "ready").exists():
            os.remove(tmp_path / "ready")
        before = (tmp_path / "k.snap").stat().st_mtime_ns if (tmp_path / "k.snap").exists() else None
        proc = start(["--snapshot", "k.snap", "--checkpoint-every", "50ms", "--keep", "3", "writer.nt"], tmp_path,
                     "compiled")
        wait_for(tmp_path / "k.snap", proc)
        deadline = time.monotonic() + WAIT
        while (tmp_path / "k.snap").stat().st_mtime_ns == before and time.monotonic() < deadline:
            time.sleep(0.01)        # this process's first snapshot
        time.sleep(0.05 * (kill % 4))       # (a moment in the next writes: no result depends on it)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=WAIT)
        proc.stdout.close()
        proc.stderr.close()
        for name in ("k.snap", "k.snap.1", "k.snap.2"):
            if (tmp_path / name).exists():
                code, out, err = run(["snapshot", "info", name], tmp_path, "compiled")
                assert code == 0, err
    for name in ("k.snap", "k.snap.1", "k.snap.2"):
        assert run(["--resume", name], tmp_path, "compiled") == (0, "consistent true\n", "")
    leftovers = [n for n in os.listdir(tmp_path) if ".tmp-" in n]
    assert len(leftovers) <= 3          # a killed writer's temporary file at most per name, removed later


@pytest.mark.parametrize("args, message", [
    (["--snapshot"], "--snapshot needs a value"),
    (["--snapshot", "a.snap"], "--snapshot needs a program to run"),
    (["--checkpoint-every", "5m", "x.nt"], "--checkpoint-every, --keep and --checkpoint-on need --snapshot PATH"),
    (["--snapshot", "a.snap", "--checkpoint-every", "soon", "x.nt"], "--checkpoint-every needs a duration such as"),
    (["--snapshot", "a.snap", "--keep", "0", "x.nt"], "--keep needs a number of snapshots from 1 to 1000"),
    (["--snapshot", "a.snap", "--checkpoint-on", "SIGKILL", "x.nt"], "--checkpoint-on takes SIGINT or SIGQUIT"),
])
def test_bad_options_are_usage_errors(tmp_path, args, message):
    status, out, err = run(args, tmp_path, "compiled")
    assert status == 2 and out == "" and message in err


def test_help_describes_every_option_with_an_example(tmp_path):
    from neutron.durable.signals import OPTIONS
    from neutron.runner import OPS_OPTIONS
    assert OPS_OPTIONS == OPTIONS
    status, out, err = run(["--help"], tmp_path, "compiled")
    assert status == 0
    lines = out.splitlines()
    for option in OPTIONS:
        assert any(line.startswith(f"  {option} ") for line in lines)       # described
    examples = [line.strip() for line in lines if line.strip().startswith("neutron --")]
    for option in ("--snapshot", "--checkpoint-every", "--keep", "--checkpoint-on-error"):
        assert any(f"{option} " in e for e in examples)                     # with an example
    assert "status is 75" in out and "SIGUSR1" in out and "neutron snapshot info|stack|vars" in out
