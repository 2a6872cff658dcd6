"""The fleet under load: many small runs, each sleeping three times with short durable sleeps, on 2 workers.

    python3 bench/fleet.py [--runs 1000] [--sleep-ms 1000] [--spread 0] [--concurrency 6] [--db URL]

Without --db a throwaway PostgreSQL cluster is started (as tests/fleet/pg.py does). The runs' starts are spread
evenly over --spread seconds. Each run, after each sleep, prints how late it woke: its first instruction after
the sleep minus the sleep's deadline. Reported: resumes per second (every process start of a run: the first and
one per sleep, over the time from the first start to the last end), wake latency p50/p99, and the bytes stored per
run (the snapshots kept, three per run, in PostgreSQL).
"""
from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "fleet"))

PROGRAM = """use sys;
use time;
var i = 0;
while (i < 3) {
    var deadline = time.now() + SLEEP;
    sys.sleep(SLEEP);
    say("late " + (time.now() - deadline));
    i = i + 1;
}
"""


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def cpu_seconds(pid, children=False):
    """User + system CPU seconds of a process (with children=True: of its reaped children)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    first = 13 if children else 11          # utime stime | cutime cstime (fields 14-17, after pid and comm)
    return (int(fields[first]) + int(fields[first + 1])) / ticks


def tree(pid):
    """The process and its descendants."""
    out = [pid]
    try:
        kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
    except OSError:
        kids = []
    for k in kids:
        out += tree(int(k))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--sleep-ms", type=int, default=1000)
    ap.add_argument("--spread", type=float, default=0.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=6)
    ap.add_argument("--db")
    a = ap.parse_args()

    from neutron.fleet import commands, db
    cluster = None
    if a.db:
        url = a.db
    else:
        import pg
        cluster = pg.Cluster().start()
        url = cluster.url()
    workers = []
    try:
        env = dict(os.environ, NEUTRON_FLEET_DB=url, PYTHONPATH=ROOT)
        for k in ("NEUTRON_FLEET_STORE", "NEUTRON_SNAPSHOT_KEY", "NEUTRON_CHECKPOINT_LOG"):
            env.pop(k, None)
        subprocess.run([sys.executable, "-m", "neutron", "fleet", "init"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        work = tempfile.mkdtemp(prefix="neutron-fleet-bench-")
        os.chdir(work)
        with open("tick.nt", "w") as fh:
            fh.write(PROGRAM.replace("SLEEP", str(a.sleep_ms)))
        conn = db.connect(url)
        fleet = commands.fleet_app(url)
        t0 = time.time() + 3.0
        t_submit = time.perf_counter()
        with fleet.app.open():
            for k in range(a.runs):
                commands.submit(conn, fleet, "tick.nt", [], io.StringIO(), at=t0 + a.spread * k / a.runs)
        print(f"submitted {a.runs} runs in {time.perf_counter() - t_submit:.1f} s", flush=True)
        threshold = max(0.2, a.sleep_ms / 2000)
        for n in range(a.workers):
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "neutron", "fleet", "worker", "--concurrency", str(a.concurrency),
                 "--sleep-threshold", str(threshold), "--poll", "0.05", "--name", f"bench{n}"],
                env=env, stderr=subprocess.DEVNULL))
        while True:
            (left,), = [conn.execute("SELECT count(*) FROM neutron_fleet_runs WHERE state <> 'done'").fetchone()]
            failed = conn.execute("SELECT count(*) FROM neutron_fleet_runs WHERE state = 'failed'").fetchone()[0]
            if failed:
                raise SystemExit(f"{failed} runs failed")
            if left == 0:
                break
            time.sleep(0.5)
        worker_cpu = sum(cpu_seconds(p.pid) for p in workers)
        spawned = [k for p in workers for k in tree(p.pid)[1:2]]
        spawner_cpu = sum(cpu_seconds(k) for k in spawned)
        runs_cpu = sum(cpu_seconds(k, children=True) for k in spawned)
        db_cpu = 0.0
        if cluster is not None:
            with open(os.path.join(cluster.data, "postmaster.pid")) as fh:
                postmaster = int(fh.readline())
            db_cpu = sum(cpu_seconds(k) for k in tree(postmaster))
        resumes, = conn.execute("SELECT sum(resumes) FROM neutron_fleet_runs").fetchone()
        first, last = conn.execute("SELECT min(created), max(updated) FROM neutron_fleet_runs").fetchone()
        start = max(first.timestamp(), t0)
        elapsed = last.timestamp() - start
        late = [float(line.split()[1]) for line, in conn.execute(
            "SELECT line FROM neutron_fleet_logs WHERE line LIKE 'late %'").fetchall()]
        kept, = conn.execute("SELECT sum(size) FROM neutron_fleet_snapshots").fetchone()
        logs, = conn.execute("SELECT sum(length(line) + 1) FROM neutron_fleet_logs").fetchone()
        print(f"runs {a.runs}, workers {a.workers} x concurrency {a.concurrency}, sleeps of {a.sleep_ms} ms "
              f"(durable from {threshold:g} s), starts spread over {a.spread:g} s")
        print(f"resumes: {resumes} in {elapsed:.1f} s = {resumes / elapsed:.0f} per second")
        print(f"wake latency (deadline to first instruction): p50 {percentile(late, 50):.0f} ms, "
              f"p99 {percentile(late, 99):.0f} ms, max {max(late):.0f} ms over {len(late)} wakes")
        print(f"CPU per resume: workers {worker_cpu / resumes * 1000:.1f} ms, runs' processes "
              f"{(runs_cpu + spawner_cpu) / resumes * 1000:.1f} ms, PostgreSQL "
              f"{db_cpu / resumes * 1000:.1f} ms" + ("" if cluster else " (not measured: --db given)"))
        print(f"stored per run: {kept / a.runs:,.0f} bytes of snapshots (the last three), "
              f"{logs / a.runs:,.0f} bytes of output")
    finally:
        for p in workers:
            p.send_signal(signal.SIGTERM)
        for p in workers:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
