"""`neutron fleet` from submit to done: a worker runs the programs, output kept per run, hibernation parks a run
until `fleet wake`, a long sleep is a durable sleep, the commands' mistakes are said clearly."""
from __future__ import annotations

import json
import os
import subprocess
import sys

HELLO = """use sys;
say("hello " + sys.args().join(","));
say("GREETING=" + sys.env("GREETING"));
sys.checkpoint();
say("resumed " + sys.resumed());
sys.hibernate();
say("woken " + sys.resumed());
"""

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_submit_run_hibernate_wake(fleet, tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "greet.nt").write_text('fun greet(x) { return "<" + x + ">"; }\n')
    (tmp_path / "hello.nt").write_text('using "greet.nt";\nsay(greet("lib"));\n' + HELLO)
    run = fleet.submit("hello.nt", "a", "b", "--name", "hello", "--env", "GREETING=hi")
    assert len(run) == 32
    os.remove(tmp_path / "lib" / "greet.nt")         # the worker needs no source: the run carries its files
    assert fleet.state(run) == "queued"
    w = fleet.worker("--concurrency", "2")
    fleet.wait_state(run, "hibernated")
    assert fleet.logs(run) == ["<lib>", "hello hello.nt,a,b", "GREETING=hi", "resumed false"]
    show = fleet.ok("show", "hello")
    assert "state        hibernated" in show and "resumes at  hello.nt:" in show, show
    follow = subprocess.Popen([sys.executable, "-m", "neutron", "fleet", "logs", "hello", "--follow"], cwd=tmp_path,
                              env=dict(os.environ, NEUTRON_FLEET_DB=fleet.url), stdout=subprocess.PIPE, text=True)
    assert fleet.ok("wake", run[:8]).startswith("woke " + run)
    fleet.wait_state(run, "done")
    followed, _ = follow.communicate(timeout=30)        # --follow ends with the run
    assert followed.splitlines()[-2:] == ["resumed false", "woken true"]
    assert fleet.logs(run)[-1] == "woken true"
    assert fleet.ok("logs", run).splitlines()[-1] == "woken true"
    listed = json.loads(fleet.ok("list", "--json"))
    assert [(r["id"], r["state"], r["exit_status"]) for r in listed] == [(run, "done", 0)]
    assert "done" in fleet.ok("list", "--state", "done") and run[:12] not in fleet.ok("list", "--state", "failed")
    fleet.stop(w)


def test_durable_sleeps_free_the_worker_examples(fleet, tmp_path):
    """examples/fleet: the pipeline sleeps between its stages, the monitor checks once a "day"."""
    examples = os.path.join(ROOT, "examples", "fleet")
    fleet.cwd = examples
    run = fleet.submit("pipeline.nt", "--env", "STAGE_WAIT_MS=1200")
    monitor = fleet.submit("monitor.nt", "http://127.0.0.1:9/", "--env", "CHECK_EVERY_MS=1100")
    fleet.cwd = tmp_path
    w = fleet.worker("--sleep-threshold", "1", "--concurrency", "1")
    fleet.wait_state(run, "sleeping")
    assert fleet.query("SELECT owner, wake_at > now() FROM neutron_fleet_runs WHERE id = %s", run) == [(None, True)]
    # the worker's only slot is free while the runs sleep: another run goes meanwhile
    (tmp_path / "quick.nt").write_text('say("quick");\n')
    quick = fleet.submit("quick.nt")
    fleet.wait_state(quick, "done")
    fleet.wait_state(run, "done")
    assert fleet.logs(run) == [
        "stage 1: gathering", "gathered 500 rows; waiting before summarizing", "stage 2: summarizing",
        'summary: {"count":500,"total":24997,"top":30}', "stage 3: publishing",
        'published {"count":500,"total":24997,"top":30}', "done: receipt-24997"]
    assert fleet.query("SELECT resumes FROM neutron_fleet_runs WHERE id = %s", run) == [(3,)]
    assert fleet.query("SELECT seq FROM neutron_fleet_snapshots WHERE run_id = %s ORDER BY seq", run) == \
        [(1,), (2,), (3,)]
    fleet.wait(lambda: len(fleet.logs(monitor)) >= 2)
    assert fleet.logs(monitor)[1].startswith("day 2: http://127.0.0.1:9/ -> unreachable (")
    fleet.ok("cancel", monitor)
    fleet.stop(w)


def test_a_long_sleep_waits_in_the_queue_until_its_deadline_or_a_wake(fleet, tmp_path):
    (tmp_path / "nap.nt").write_text('use sys;\nsay("before");\nsay(sys.sleep(600000));\nsay("after");\n'
                                     'sys.sleep(600000);\nsay("never");\n')
    run = fleet.submit("nap.nt")
    w = fleet.worker("--sleep-threshold", "1")
    fleet.wait_state(run, "sleeping")

    def queued_for_the_deadline():
        """a wake-up waits in the queue for the run's deadline"""
        return fleet.query("SELECT count(*) FROM procrastinate_jobs j JOIN neutron_fleet_runs r ON "
                           "j.queueing_lock = 'run:' || r.id WHERE r.id = %s AND j.status = 'todo' AND "
                           "j.scheduled_at = r.wake_at AND r.wake_at > now() + interval '500 seconds'", run) == [(1,)]
    fleet.wait(queued_for_the_deadline, timeout=10)
    first = fleet.query("SELECT wake_at FROM neutron_fleet_runs WHERE id = %s", run)
    # `fleet wake`: the sleep ends at once, the program goes on after the sleep call (which returns as usual)
    assert fleet.ok("wake", run).startswith("woke " + run)
    fleet.wait(lambda: fleet.logs(run)[-2:] == ["true", "after"], timeout=30)
    # the wake cut that one sleep short only: the next one keeps its own deadline
    fleet.wait(lambda: fleet.query("SELECT state, wake_now, wake_at > %s FROM neutron_fleet_runs WHERE id = %s",
                                   first[0][0], run) == [("sleeping", False, True)], timeout=30)
    fleet.wait(queued_for_the_deadline, timeout=10)
    assert fleet.query("SELECT resumes FROM neutron_fleet_runs WHERE id = %s", run) == [(2,)]
    fleet.ok("cancel", run)
    assert fleet.query("SELECT count(*) FROM procrastinate_jobs WHERE queueing_lock = %s AND status = 'todo'",
                       "run:" + run) == [(0,)]
    assert fleet.logs(run) == ["before", "true", "after"]
    fleet.stop(w)


def test_fetch_gives_a_snapshot_for_neutron_snapshot(fleet, tmp_path):
    (tmp_path / "h.nt").write_text("use sys;\nvar answer = 42;\nsys.hibernate();\nsay(answer);\n")
    run = fleet.submit("h.nt")
    w = fleet.worker()
    fleet.wait_state(run, "hibernated")
    fleet.stop(w)
    out = fleet.ok("fetch", run, "h.snap")
    assert "written to h.snap" in out
    done = subprocess.run([sys.executable, "-m", "neutron", "snapshot", "vars", "h.snap"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert "answer" in done.stdout and "42" in done.stdout, done.stdout + done.stderr
    done = subprocess.run([sys.executable, "-m", "neutron", "--resume", "h.snap"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "42\n"), done.stderr


def test_mistakes_are_said_clearly(fleet, tmp_path):
    (tmp_path / "bad.nt").write_text("say(1 +);\n")
    status, out, err = fleet.run("submit", "bad.nt")
    assert status == 65 and "Expect expression" in err
    status, out, err = fleet.run("show", "nosuchrun")
    assert (status, err) == (1, "neutron fleet show: no run 'nosuchrun'\n")
    status, out, err = fleet.run("submit", "missing.nt")
    assert status == 2 and "cannot open 'missing.nt'" in err
    status, out, err = fleet.run("submit", "bad.nt", "--at", "tomorrowish")
    assert status == 2 and "--at: cannot read 'tomorrowish'" in err
    status, out, err = fleet.run("worker", "--concurrency", "zero")
    assert status == 2 and "--concurrency needs a number" in err
    status, out, err = fleet.run("frobnicate")
    assert status == 2 and "unknown command 'frobnicate'" in err
    env = {k: v for k, v in os.environ.items() if k != "NEUTRON_FLEET_DB"}
    done = subprocess.run([sys.executable, "-m", "neutron", "fleet", "list"], env=env, capture_output=True,
                          text=True)
    assert done.returncode == 2 and "set NEUTRON_FLEET_DB" in done.stderr
    import psycopg
    with psycopg.connect(fleet.cluster.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {fleet.name}_empty")
    status, out, err = fleet.run("list", "--db", fleet.cluster.url(fleet.name + "_empty"))
    assert status == 1 and "run `neutron fleet init` first" in err


def test_a_plain_run_loads_nothing_of_the_fleet(tmp_path):
    (tmp_path / "p.nt").write_text('use sys;\nsys.checkpoint("p.snap");\nsay("ok");\n')
    code = ("import sys; from neutron import cli; s = cli.main(['p.nt']); s2 = cli.main(['--resume', 'p.snap']); "
            "bad = [m for m in sys.modules if m.startswith(('neutron.fleet', 'psycopg', 'procrastinate', 'fsspec'))];"
            " print(s, s2, bad)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.stdout == "ok\nok\n0 0 []\n", done.stderr


def test_checkpoint_without_a_path_outside_a_fleet(tmp_path):
    (tmp_path / "p.nt").write_text("use sys;\nsys.checkpoint();\n")
    done = subprocess.run([sys.executable, "-m", "neutron", "p.nt"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1
    assert "sys.checkpoint: needs the path of the snapshot file (only a fleet run has a place of its own)." \
        in done.stderr
