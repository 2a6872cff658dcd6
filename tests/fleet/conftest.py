"""The fleet's tests run against a real PostgreSQL server started for the session (pg.py) and real worker
processes (`python -m neutron fleet worker`). Each test gets a database of its own, copied from a template that
`neutron fleet init` prepared once."""
from __future__ import annotations

import io
import itertools
import os
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pg  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLEAN = ("NEUTRON_SNAPSHOT_KEY", "NEUTRON_SNAPSHOT_KEYS", "NEUTRON_CHECKPOINT_LOG", "NEUTRON_VM", "NEUTRON_FLEET_DB",
         "NEUTRON_FLEET_STORE", "NEUTRON_FLEET_STORE_OPTIONS")


@pytest.fixture(scope="session")
def cluster():
    c = pg.Cluster()
    try:
        c.start()
    except (pg.ServerFailed, OSError, subprocess.SubprocessError) as e:
        c.stop()
        pytest.fail(f"cannot start the PostgreSQL server the fleet's tests need: {e}", pytrace=False)
    import psycopg
    with psycopg.connect(c.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE fleet_template")
    done = subprocess.run([sys.executable, "-m", "neutron", "fleet", "init"], env=env_with(c.url("fleet_template")),
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        c.stop()
        pytest.fail(f"`neutron fleet init` failed on the test server: {done.stderr}", pytrace=False)
    yield c
    c.stop()


def env_with(url, **more):
    env = {k: v for k, v in os.environ.items() if k not in CLEAN}
    env["NEUTRON_FLEET_DB"] = url
    env.update(more)
    return env


_numbers = itertools.count()


class Fleet:
    """One test's database, and the commands and workers that use it."""

    def __init__(self, cluster, cwd):
        import psycopg
        self.name = f"t{os.getpid()}_{next(_numbers)}"
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {self.name} TEMPLATE fleet_template")
        self.cluster = cluster
        self.url = cluster.url(self.name)
        self.cwd = cwd
        self.env = {}
        self.workers = []
        self.conn = psycopg.connect(self.url, autocommit=True)

    def run(self, *args, env=None):
        """`neutron fleet ARGS` in this process (as cli.main runs it; a worker is always a process of its own),
        in the test's folder with the test's environment: (status, stdout, stderr)."""
        from neutron import cli
        saved_env, saved_cwd = dict(os.environ), os.getcwd()
        out, err = io.StringIO(), io.StringIO()
        saved_streams = sys.stdout, sys.stderr
        try:
            os.environ.clear()
            os.environ.update(env_with(self.url, **self.env, **(env or {})))
            os.chdir(self.cwd)
            sys.stdout, sys.stderr = out, err
            status = cli.main(["fleet", *map(str, args)])
        finally:
            sys.stdout, sys.stderr = saved_streams
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
        assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue(), err.getvalue()
        return status, out.getvalue(), err.getvalue()

    def ok(self, *args, **kw):
        status, out, err = self.run(*args, **kw)
        assert status == 0, f"fleet {args}: status {status}\n{out}\n{err}"
        return out

    def submit(self, *args, **kw):
        return self.ok("submit", *args, **kw).strip()

    def worker(self, *args, env=None):
        log = open(os.path.join(self.cwd, f"worker{len(self.workers)}.log"), "w+")
        p = subprocess.Popen([sys.executable, "-m", "neutron", "fleet", "worker", *map(str, args)], cwd=self.cwd,
                             env=env_with(self.url, **self.env, **(env or {})), stdout=log, stderr=subprocess.STDOUT)
        p.log = log
        self.workers.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        p.log.seek(0)
        text = p.log.read()
        p.log.close()
        assert "Traceback" not in text, text
        return text

    def query(self, sql, *params):
        cur = self.conn.execute(sql, params)
        return cur.fetchall() if cur.description is not None else cur.rowcount

    def state(self, run):
        return self.query("SELECT state FROM neutron_fleet_runs WHERE id = %s", run)[0][0]

    def logs(self, run, stream=None):
        return [line for s, line in self.query("SELECT stream, line FROM neutron_fleet_logs WHERE run_id = %s "
                                               "ORDER BY id", run) if stream is None or s == stream]

    def wait(self, what, timeout=90, every=0.1):
        """Wait until what() is true; a failure (with what it last saw) after `timeout` seconds."""
        end = time.monotonic() + timeout
        while True:
            got = what()
            if got:
                return got
            if time.monotonic() > end:
                raise AssertionError(f"still not so after {timeout} s: {what.__doc__ or what}")
            for p in self.workers:
                if p.poll() is not None and p.returncode not in (0, -9, -15):
                    p.log.seek(0)
                    raise AssertionError(f"a worker ended with status {p.returncode}:\n{p.log.read()}")
            time.sleep(every)

    def wait_state(self, run, *states, timeout=90):
        return self.wait(lambda: self.state(run) in states and self.state(run), timeout)

    def close(self):
        for p in self.workers:
            if p.poll() is None:
                p.kill()
                p.wait()
            if not p.log.closed:
                p.log.close()
        self.conn.close()


@pytest.fixture
def fleet(cluster, tmp_path):
    f = Fleet(cluster, tmp_path)
    yield f
    f.close()
