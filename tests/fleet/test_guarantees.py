"""What the fleet promises, each against a real server and real worker processes: one live copy of a run at a
time; a SIGKILLed worker's runs resumed by another from their last snapshot; due runs resumed when a worker
starts; no resume from a half-written snapshot; the last three snapshots kept; N failures in a row -> failed, with
the error and the last snapshot kept, and `fleet wake` once the outside world is fixed (sys.once's records in
PostgreSQL keep a retry from repeating an effect); cancel."""
from __future__ import annotations

import json
import os
import signal
import threading
import time

from neutron.fleet import db

STEPS = """use sys;
var big = [];
for (var k = 0; k < 5000; k = k + 1) big.push("item " + k);
var i = 0;
while (i < 30) {
    say("step " + i);
    i = i + 1;
    sys.checkpoint();
    sys.sleep(100);
}
say("finished " + big.length);
"""


def test_two_claims_of_a_run_one_wins(fleet, tmp_path):
    (tmp_path / "p.nt").write_text('say("x");\n')
    run = fleet.submit("p.nt")
    import psycopg
    conns = [psycopg.connect(fleet.url, autocommit=True) for _ in range(2)]
    try:
        for _ in range(20):
            fleet.query("UPDATE neutron_fleet_runs SET state = 'queued', wake_at = now() WHERE id = %s", run)
            gate = threading.Barrier(2)
            won = []

            def claim(conn):
                gate.wait()
                row = conn.execute(db.CLAIM, {"owner": "t", "lease": 10, "id": run}).fetchone()
                if row is not None:
                    won.append(row[0])

            threads = [threading.Thread(target=claim, args=(c,)) for c in conns]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len(won) == 1
    finally:
        for c in conns:
            c.close()


def test_two_workers_run_each_run_once(fleet, tmp_path):
    (tmp_path / "p.nt").write_text('use sys;\nsay("start");\nsys.sleep(300);\nsay("end");\n')
    runs = [fleet.submit("p.nt") for _ in range(10)]
    workers = [fleet.worker("--concurrency", "4"), fleet.worker("--concurrency", "4")]
    for run in runs:
        fleet.wait_state(run, "done")
    for run in runs:
        assert fleet.logs(run) == ["start", "end"]
    assert {r for r, in fleet.query("SELECT resumes FROM neutron_fleet_runs")} == {1}
    owners = [fleet.stop(w) for w in workers]
    assert all("stopped" in text for text in owners)


def latest_pid(fleet, run):
    info = json.loads(fleet.ok("show", run, "--json"))["snapshot_info"]
    return info["pid"]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:          # a zombie waiting for its parent is not alive
        return fh.read().split()[2] != "Z"


def test_a_killed_workers_run_is_resumed_by_another(fleet, tmp_path):
    store = tmp_path / "store"
    fleet.env["NEUTRON_FLEET_STORE"] = str(store)
    (tmp_path / "steps.nt").write_text(STEPS)
    run = fleet.submit("steps.nt")
    first = fleet.worker("--lease", "2", "--name", "first")
    fleet.wait(lambda: "step 5" in fleet.logs(run))
    second = fleet.worker("--lease", "2", "--name", "second")
    fleet.wait(lambda: "neutron fleet worker second" in open(tmp_path / "worker1.log").read())
    pid = latest_pid(fleet, run)
    assert alive(pid)
    first.kill()                                        # SIGKILL: no clean-up of any kind
    fleet.wait(lambda: not alive(pid), timeout=10)      # the run's process went with its worker
    killed = time.monotonic()
    fleet.wait(lambda: fleet.query("SELECT owner FROM neutron_fleet_runs WHERE id = %s", run)[0][0] == "second")
    took = time.monotonic() - killed
    fleet.wait_state(run, "done")
    lines = fleet.logs(run)
    assert lines[-1] == "finished 5000"
    steps = [int(line.split()[1]) for line in lines[:-1]]
    # resumed from the last checkpoint: every step done, a step at most twice (printed, then killed before its
    # checkpoint was stored), in order
    assert sorted(set(steps)) == list(range(30)) and all(steps.count(s) <= 2 for s in steps)
    assert steps == sorted(steps)
    rows = fleet.query("SELECT seq, size, location FROM neutron_fleet_snapshots WHERE run_id = %s", run)
    assert len(rows) == 3
    for seq, size, location in rows:
        assert os.path.getsize(location) == size
    assert sorted(os.listdir(store / run)) == sorted(os.path.basename(loc) for _, _, loc in rows)
    fleet.stop(second)
    print(f"resumed by another worker {took:.1f} s after the SIGKILL (lease 2 s)")


def test_due_runs_are_resumed_when_a_worker_starts(fleet, tmp_path):
    (tmp_path / "later.nt").write_text('say("on time");\n')
    (tmp_path / "nap.nt").write_text('use sys;\nsay("before");\nsys.sleep(2000);\nsay("after");\n')
    (tmp_path / "long.nt").write_text('use sys;\nvar i = 0;\nsys.checkpoint();\n'
                                      'while (i < 15) { i = i + 1; sys.sleep(100); }\nsay("long done " + i);\n')
    nap = fleet.submit("nap.nt")
    long = fleet.submit("long.nt")
    w = fleet.worker("--sleep-threshold", "1", "--concurrency", "2")
    fleet.wait_state(nap, "sleeping")
    fleet.wait_state(long, "running")
    fleet.wait(lambda: fleet.query("SELECT last_checkpoint IS NOT NULL FROM neutron_fleet_runs WHERE id = %s",
                                   long)[0][0])
    fleet.stop(w, signal.SIGTERM)       # every worker down: the running run is given back, not failed
    assert fleet.query("SELECT state, attempts FROM neutron_fleet_runs WHERE id = %s", long) == [("queued", 0)]
    later = fleet.submit("later.nt", "--at", "+1s")
    assert fleet.state(later) == "queued" and fleet.state(nap) == "sleeping"
    fleet.wait(lambda: fleet.query("SELECT bool_and(wake_at < now()) FROM neutron_fleet_runs")[0][0])
    time.sleep(0.5)                     # all three are due now, with no worker
    w = fleet.worker("--sleep-threshold", "1")
    for run in (later, nap, long):
        fleet.wait_state(run, "done")
    assert fleet.logs(later) == ["on time"]
    assert fleet.logs(nap) == ["before", "after"]
    assert fleet.logs(long) == ["long done 15"]
    fleet.stop(w)


def test_a_half_written_snapshot_is_never_resumed(fleet, tmp_path):
    store = tmp_path / "store"
    fleet.env["NEUTRON_FLEET_STORE"] = str(store)
    (tmp_path / "h.nt").write_text('use sys;\nvar n = 1;\nsys.hibernate();\nsay("n is " + n);\n')
    run = fleet.submit("h.nt")
    w = fleet.worker()
    fleet.wait_state(run, "hibernated")
    (seq, location), = fleet.query("SELECT seq, location FROM neutron_fleet_snapshots WHERE run_id = %s ORDER BY "
                                   "seq DESC LIMIT 1", run)
    whole = open(location, "rb").read()
    # a writer killed half-way through the next snapshot: an object with no row
    with open(store / run / f"{seq + 1:06d}-99-0badf00d.snap", "wb") as fh:
        fh.write(whole[:len(whole) // 2])
    fleet.ok("wake", run)
    fleet.wait_state(run, "done")
    assert fleet.logs(run) == ["n is 1"]
    fleet.stop(w)


FLAKY = """use sys;
say("attempt");
sys.checkpoint();
var paid = sys.once("pay", fun () { say("paying"); return {"amount": 42, "ids": [1, 2]}; });
var text = sys.read(sys.env("FLAG_FILE"));
say("the flag says " + text + ", paid " + paid["amount"] + " " + paid["ids"]);
"""


def test_failing_runs_stop_in_failed_and_wake_after_a_fix(fleet, tmp_path):
    flag = tmp_path / "flag.txt"
    (tmp_path / "flaky.nt").write_text(FLAKY)
    run = fleet.submit("flaky.nt", "--max-failures", "3", "--retry-delay", "0.2", "--env", f"FLAG_FILE={flag}")
    w = fleet.worker()
    fleet.wait_state(run, "failed")
    (attempts, error, resumes), = fleet.query("SELECT attempts, error, resumes FROM neutron_fleet_runs WHERE id = %s",
                                              run)
    assert (attempts, resumes) == (3, 3)
    assert error.startswith("exit status 1\n") and "cannot open" in error and "flag.txt" in error, error
    # each retry resumed after the checkpoint: "attempt" was said once; sys.once's result was recorded in
    # PostgreSQL by the first attempt and given back to the retries without paying again
    assert fleet.logs(run, "out") == ["attempt", "paying"]
    assert fleet.query("SELECT key, value::jsonb FROM neutron_fleet_once WHERE run_id = %s", run) == \
        [("pay", {"amount": 42, "ids": [1, 2]})]
    assert sum("cannot open" in line for line in fleet.logs(run, "err")) == 3
    show = fleet.ok("show", run)
    assert "state        failed" in show and "3 in a row (stops after 3)" in show and "cannot open" in show
    assert fleet.query("SELECT count(*) FROM neutron_fleet_snapshots WHERE run_id = %s", run) == [(2,)]
    assert "resumes at  flaky.nt:3" in show, show
    flag.write_text("ready")                # the outside world is fixed
    fleet.ok("wake", run)
    fleet.wait_state(run, "done")
    assert fleet.logs(run, "out") == ["attempt", "paying", "the flag says ready, paid 42 [1, 2]"]
    assert fleet.query("SELECT attempts FROM neutron_fleet_runs WHERE id = %s", run) == [(0,)]
    fleet.stop(w)


def test_a_crashing_run_does_not_take_its_worker_down(fleet, tmp_path):
    (tmp_path / "crash.nt").write_text('use sys;\nsay("going");\nsys.exec("kill -9 $PPID", {"shell": true});\n'
                                       'say("never");\n')
    (tmp_path / "fine.nt").write_text('say("fine");\n')
    crash = fleet.submit("crash.nt", "--max-failures", "1")
    w = fleet.worker("--concurrency", "1")
    fleet.wait_state(crash, "failed")
    error, = fleet.query("SELECT error FROM neutron_fleet_runs WHERE id = %s", crash)[0]
    assert error == "the process was killed by signal 9"
    fine = fleet.submit("fine.nt")
    fleet.wait_state(fine, "done")
    assert fleet.logs(crash) == ["going"] and fleet.logs(fine) == ["fine"]
    assert w.poll() is None
    fleet.stop(w)


def test_cancel_stops_a_running_run(fleet, tmp_path):
    (tmp_path / "forever.nt").write_text('use sys;\nwhile (true) { say("tick"); sys.sleep(50); }\n')
    run = fleet.submit("forever.nt")
    w = fleet.worker("--lease", "1.5")
    fleet.wait(lambda: len(fleet.logs(run)) >= 3)
    assert fleet.ok("cancel", run).startswith(f"cancelled {run}")
    assert fleet.state(run) == "cancelled"

    def quiet():
        """the run's output stops"""
        before = len(fleet.logs(run))
        time.sleep(1.0)
        return len(fleet.logs(run)) == before
    fleet.wait(quiet, timeout=20)
    assert fleet.state(run) == "cancelled"
    status, out, err = fleet.run("wake", run)
    assert status == 1 and "is cancelled" in err
    fleet.stop(w)
