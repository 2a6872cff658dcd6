"""`neutron fleet init|submit|worker|list|show|logs|cancel|wake|fetch`."""
from __future__ import annotations

import datetime
import io
import json
import os
import re
import sys
import tempfile
import time

from .. import runner
from ..durable import encode_snapshot
from ..durable.run import run_of
from . import db, store
from .db import FleetError

USAGE = """usage: neutron fleet init                          create or upgrade the fleet's tables (safe to repeat)
       neutron fleet submit PROG.nt [ARGS...] [--name NAME] [--at TIME] [--env NAME[=VALUE]]...
                                                   [--max-failures N] [--retry-delay SECONDS]
                                                   compile a program into its first snapshot; print the run's id
       neutron fleet worker [--concurrency N] [--lease SECONDS] [--sleep-threshold SECONDS] [--compiled]
                                                   run due programs, each in its own process, until stopped;
                                                   a sleep of 10 s or more (the threshold) ends the process and
                                                   the run is resumed at its deadline; runs use the VM (quick
                                                   to resume), or the compiled tier with --compiled
       neutron fleet list [--state STATE] [--json] the runs, newest first
       neutron fleet show RUN [--json]             a run's state, wake time, failures, last checkpoint and where
                                                   its snapshot resumes
       neutron fleet logs RUN [--follow]           a run's output (stdout, and stderr on stderr)
       neutron fleet cancel RUN                    stop a run for good (its process is killed if running)
       neutron fleet wake RUN                      run a hibernated, failed or queued run now; a sleeping run's
                                                   sleep ends at once
       neutron fleet fetch RUN [FILE]              copy the run's latest snapshot to FILE (for `neutron snapshot`)
options of every command: --db URL (else NEUTRON_FLEET_DB), --store URL (else NEUTRON_FLEET_STORE; none: snapshots
are kept in PostgreSQL). RUN is a run's id, a unique start of it, or its name. Options after `--` are the
program's. TIME: 2026-12-24T08:00[+01:00] (local time without an offset) or +30s, +10m, +2h, +1d.
"""

TERMINAL = ("done", "failed", "cancelled")


def main(argv, out=None, err=None):
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    if not argv or argv[0] in ("-h", "--help", "help"):
        (out if argv else err).write(USAGE)
        return 0 if argv else runner.EXIT_USAGE
    command, rest = argv[0], argv[1:]
    handler = COMMANDS.get(command)
    if handler is None:
        err.write(f"neutron fleet: unknown command '{command}'\n{USAGE}")
        return runner.EXIT_USAGE
    try:
        return handler(Options(command, rest), out, err)
    except FleetError as e:
        err.write(f"neutron fleet {command}: {e}\n")
        return e.status
    except ImportError as e:
        if e.name and not e.name.startswith("neutron"):
            err.write(f"neutron fleet: needs the Python package '{e.name}' (pip install 'neutron-lang[fleet]')\n")
            return runner.EXIT_USAGE
        raise
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        import psycopg     # lazy: loaded by now; only to tell the database's errors from internal ones
        cause = e.__cause__ if type(e).__module__.startswith("procrastinate") and e.__cause__ else e
        if isinstance(cause, psycopg.Error) or type(e).__module__.startswith(("procrastinate", "psycopg_pool")):
            text = str(cause).strip() or type(cause).__name__
            err.write(f"neutron fleet {command}: the database failed: {text.splitlines()[0]}\n")
            return 1
        raise


class Options:
    """Flags (--name VALUE, --flag) anywhere before `--`; the other words, in order, in `words`."""

    VALUED = {"--db", "--store", "--name", "--at", "--env", "--max-failures", "--retry-delay", "--concurrency",
              "--lease", "--state", "--poll", "--sleep-threshold"}
    FLAGS = {"--json", "--follow", "-f", "--compiled"}

    def __init__(self, command, argv):
        self.command = command
        self.values = {}
        self.flags = set()
        self.words = []
        i = 0
        while i < len(argv):
            a = argv[i]
            if a == "--":
                self.words += argv[i + 1:]
                break
            name, eq, value = a.partition("=")
            if name in self.VALUED:
                if not eq:
                    if i + 1 >= len(argv):
                        raise FleetError(f"{name} needs a value", 2)
                    value = argv[i + 1]
                    i += 1
                self.values.setdefault(name, []).append(value)
            elif a in self.FLAGS:
                self.flags.add(a)
            elif a.startswith("--") and not self.words:
                raise FleetError(f"unknown option '{a}'", 2)
            else:
                self.words.append(a)
            i += 1

    def get(self, name, default=None):
        v = self.values.get(name)
        return v[-1] if v else default

    def number(self, name, default, kind=float, least=0):
        v = self.get(name)
        if v is None:
            return default
        try:
            n = kind(v)
        except ValueError:
            raise FleetError(f"{name} needs a number, got '{v}'", 2) from None
        if n < least:
            raise FleetError(f"{name} must be at least {least}", 2)
        return n

    def allow(self, *names, words=(0, 0)):
        for name in list(self.values) + list(self.flags):
            if name not in names + ("--db", "--store") and not (name == "-f" and "--follow" in names):
                raise FleetError(f"'{name}' is not an option of `fleet {self.command}`", 2)
        lo, hi = words
        if not lo <= len(self.words) <= hi:
            what = {0: "no arguments", 1: "one argument"}.get(hi, f"{lo} to {hi} arguments")
            raise FleetError(f"takes {what}: see `neutron fleet --help`", 2)

    def db(self):
        return db.connect(db.database_url(self.get("--db")))

    def url(self):
        return db.database_url(self.get("--db"))

    def store(self):
        return store.check_store(self.get("--store", os.environ.get("NEUTRON_FLEET_STORE")))


def fleet_app(url):
    from .app import Fleet        # lazy: procrastinate, only for the commands that queue something
    return Fleet(url)


# ---- init, submit, worker ---------------------------------------------------------------------------------------

def cmd_init(o, out, err):
    o.allow()
    url = o.url()
    with db.connect(url) as conn:
        fleet = fleet_app(url)
        with fleet.app.open():
            created = db.apply_schema(conn, fleet.apply_schema)
    out.write("fleet tables created\n" if created else "fleet tables up to date\n")
    return 0


def parse_time(text, now=None):
    """Seconds since 1970 of an ISO 8601 time (local time without an offset) or of +N[smhd]."""
    now = time.time() if now is None else now
    m = re.fullmatch(r"\+(\d+(?:\.\d+)?)([smhd]?)", text.strip())
    if m:
        return now + float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    try:
        t = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise FleetError(f"--at: cannot read '{text}' as a time (2026-12-24T08:00, 2026-12-24 08:00+01:00, +10m)",
                         2) from None
    if t.tzinfo is None:
        t = t.astimezone()
    return t.timestamp()


def run_env(specs):
    env = {}
    for spec in specs:
        name, eq, value = spec.partition("=")
        if not name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise FleetError(f"--env: '{spec}' is not NAME or NAME=VALUE", 2)
        if not eq:
            if name not in os.environ:
                raise FleetError(f"--env {name}: {name} is not set here (give NAME=VALUE)", 2)
            value = os.environ[name]
        env[name] = value
    return env


def cmd_submit(o, out, err):
    o.allow("--name", "--at", "--env", "--max-failures", "--retry-delay", words=(1, 10 ** 6))
    path, args = o.words[0], o.words[1:]
    at = parse_time(o.get("--at")) if o.get("--at") else None
    env = run_env(o.values.get("--env", []))
    max_failures = o.number("--max-failures", 3, int, 1)
    retry_delay = o.number("--retry-delay", 10.0)
    url = o.url()
    store_url = o.store()
    with db.connect(url) as conn:
        db.require_schema(conn)
        fleet = fleet_app(url)
        with fleet.app.open():
            run_id = submit(conn, fleet, path, args, err, store_url=store_url, name=o.get("--name"), at=at, env=env,
                            max_failures=max_failures, retry_delay=retry_delay)
    if run_id is None or isinstance(run_id, int):
        return run_id
    out.write(run_id + "\n")
    return 0


def submit(conn, fleet, path, args, err, store_url=None, name=None, at=None, env=None, max_failures=3,
           retry_delay=10.0):
    """Compile the program into its first snapshot and queue the run; its id, or the exit status of a program
    that does not compile. `fleet` is open."""
    vm = runner.new_vm([path] + list(args), path, io.StringIO())
    code, status = runner.compile_file(path, err, vm)
    if code is None:
        return status
    runner.start(vm, code)
    parts, stored = encode_snapshot(vm, list(vm.frames), False, True, "neutron fleet submit")
    data = b"".join(parts)
    run = run_of(vm)
    files = program_files(vm)
    location = store.put(store_url, run.id, run.seq + 1, 0, data)
    with conn.transaction():
        conn.execute("INSERT INTO neutron_fleet_runs (id, name, program, args, env, files, store, state, wake_at, "
                     "max_failures, retry_delay) VALUES (%s, %s, %s, %s, %s, %s, %s, 'queued', "
                     "COALESCE(to_timestamp(%s), now()), %s, %s)",
                     (run.id, name, path, json.dumps(list(args)), json.dumps(env or {}), json.dumps(files),
                      store_url, at, max_failures, retry_delay))
        conn.execute("INSERT INTO neutron_fleet_snapshots (run_id, seq, size, location, data, initial) "
                     "VALUES (%s, %s, %s, %s, %s, true)",
                     (run.id, run.seq + 1, len(data), location, None if location else data))
    stored()
    fleet.wake(run.id, at)
    return run.id


def program_files(vm):
    """{path relative to here: text} of the program and the files it uses, as compiled now."""
    files = {}
    for name, text in vm.sources.items():
        if name.startswith("<"):
            continue
        rel = os.path.relpath(os.path.abspath(name))
        if not rel.startswith(".." + os.sep) and rel != "..":
            files[rel] = text
    return files


def cmd_worker(o, out, err):
    o.allow("--concurrency", "--lease", "--poll", "--name", "--sleep-threshold", "--compiled")
    from .worker import Worker      # lazy: the worker's side (procrastinate, asyncio) only here
    url = o.url()
    with db.connect(url) as conn:
        db.require_schema(conn)
    w = Worker(url, concurrency=o.number("--concurrency", 4, int, 1), lease=o.number("--lease", 10.0),
               poll=o.number("--poll", 0.2), name=o.get("--name"), out=err,
               sleep_threshold=o.number("--sleep-threshold", 10.0), compiled="--compiled" in o.flags)
    return w.serve()


# ---- looking at runs ----------------------------------------------------------------------------------------------

def _iso(t):
    return t.astimezone().strftime("%Y-%m-%d %H:%M:%S") if t is not None else "-"


def _json_run(r):
    d = {k: v for k, v in r.items() if k not in ("files",)}
    for k, v in d.items():
        if isinstance(v, datetime.datetime):
            d[k] = v.isoformat()
    d["files"] = sorted(r["files"])
    return d


def cmd_list(o, out, err):
    o.allow("--state", "--json")
    state = o.get("--state")
    if state is not None and state not in db.STATES:
        raise FleetError(f"--state: '{state}' is not a state ({', '.join(db.STATES)})", 2)
    with o.db() as conn:
        db.require_schema(conn)
        rows = conn.execute(f"SELECT {db.RUN_COLUMNS} FROM neutron_fleet_runs WHERE %s::text IS NULL OR state = %s "
                            f"ORDER BY created DESC", (state, state)).fetchall()
    runs = [db.as_run(r) for r in rows]
    if "--json" in o.flags:
        out.write(json.dumps([_json_run(r) for r in runs], indent=1) + "\n")
        return 0
    out.write(f"{'RUN':<14}{'NAME':<18}{'STATE':<12}{'WAKE AT':<21}{'FAILS':<7}PROGRAM\n")
    for r in runs:
        wake = _iso(r["wake_at"]) if r["state"] in ("queued", "sleeping") else "-"
        out.write(f"{r['id'][:12]:<14}{(r['name'] or '-')[:17]:<18}{r['state']:<12}{wake:<21}"
                  f"{r['attempts']:<7}{r['program']}\n")
    return 0


def latest_snapshot(conn, run_id):
    row = conn.execute("SELECT seq, location, data, created FROM neutron_fleet_snapshots WHERE run_id = %s "
                       "ORDER BY seq DESC LIMIT 1", (run_id,)).fetchone()
    if row is None:
        return None, None
    seq, location, data, created = row
    return seq, (store.get(location) if location else bytes(data))


def cmd_show(o, out, err):
    o.allow("--json", words=(1, 1))
    with o.db() as conn:
        db.require_schema(conn)
        r = db.find_run(conn, o.words[0])
        snaps = conn.execute("SELECT seq, size, location, created FROM neutron_fleet_snapshots WHERE run_id = %s "
                             "ORDER BY seq DESC", (r["id"],)).fetchall()
        seq, data = latest_snapshot(conn, r["id"])
    info_text, info = snapshot_info(data) if data is not None else ("", None)
    if "--json" in o.flags:
        d = _json_run(r)
        d["snapshots"] = [{"seq": s, "size": n, "location": loc, "created": c.isoformat()} for s, n, loc, c in snaps]
        d["snapshot_info"] = info
        out.write(json.dumps(d, indent=1, default=str) + "\n")
        return 0
    rows = [("run", r["id"]), ("name", r["name"] or "-"), ("program", " ".join([r["program"], *r["args"]])),
            ("state", r["state"])]
    if r["state"] in ("queued", "sleeping"):
        rows.append(("wakes at", _iso(r["wake_at"])))
    if r["state"] == "running":
        rows.append(("worker", f"{r['owner']} (lease until {_iso(r['lease_until'])})"))
    rows += [("failures", f"{r['attempts']} in a row (stops after {r['max_failures']})"),
             ("resumes", str(r["resumes"])), ("submitted", _iso(r["created"])),
             ("checkpoint", _iso(r["last_checkpoint"]))]
    if r["exit_status"] is not None:
        rows.append(("exit status", str(r["exit_status"])))
    if r["env"]:
        rows.append(("environment", " ".join(sorted(r["env"]))))
    rows.append(("store", r["store"] or "PostgreSQL"))
    rows.append(("snapshots", ", ".join(f"#{s} ({n:,} bytes)" for s, n, _, _ in snaps) or "-"))
    out.write("".join(f"{k:<12} {v}\n" for k, v in rows))
    if r["error"]:
        first, _, rest = r["error"].partition("\n")
        out.write(f"{'error':<12} {first}\n" + "".join(f"{'':<12} {line}\n" for line in rest.splitlines()))
    if info_text:
        out.write("\nlatest snapshot:\n" + "".join(f"  {line}\n" for line in info_text.splitlines()))
    return 0


def snapshot_info(data):
    """`neutron snapshot info` of the snapshot's bytes: (its text, its JSON)."""
    with tempfile.TemporaryDirectory(prefix="neutron-fleet-") as d:
        path = os.path.join(d, "latest.snap")
        with open(path, "wb") as fh:
            fh.write(data)
        text, js, e = io.StringIO(), io.StringIO(), io.StringIO()
        runner.snapshot_command(["info", path], out=text, err=e)
        runner.snapshot_command(["info", path, "--json"], out=js, err=io.StringIO())
    try:
        info = json.loads(js.getvalue())
    except ValueError:
        info = None
    return (text.getvalue() or e.getvalue()).replace(path, "(latest snapshot)"), info


def cmd_logs(o, out, err):
    o.allow("--follow", words=(1, 1))
    follow = bool(o.flags & {"--follow", "-f"})
    with o.db() as conn:
        db.require_schema(conn)
        run_id = db.find_run(conn, o.words[0])["id"]
        last = 0
        while True:
            rows = conn.execute("SELECT id, stream, line FROM neutron_fleet_logs WHERE run_id = %s AND id > %s "
                                "ORDER BY id", (run_id, last)).fetchall()
            for ident, stream, line in rows:
                (err if stream == "err" else out).write(line + "\n")
                last = ident
            out.flush()
            err.flush()
            if not follow:
                return 0
            state = conn.execute("SELECT state FROM neutron_fleet_runs WHERE id = %s", (run_id,)).fetchone()[0]
            if state in TERMINAL and not rows:
                return 0
            time.sleep(0.5)


def cmd_cancel(o, out, err):
    o.allow(words=(1, 1))
    url = o.url()
    with db.connect(url) as conn:
        db.require_schema(conn)
        r = db.find_run(conn, o.words[0])
        row = conn.execute("UPDATE neutron_fleet_runs SET state = 'cancelled', owner = NULL, lease_until = NULL, "
                           "updated = now() WHERE id = %s AND state NOT IN ('done', 'cancelled') RETURNING id",
                           (r["id"],)).fetchone()
    if row is None:
        raise FleetError(f"run {r['id']} is {r['state']} already", 1)
    fleet = fleet_app(url)
    with fleet.app.open():
        fleet.drop(r["id"])
    out.write(f"cancelled {r['id']}" + (" (its process is being stopped)" if r["state"] == "running" else "") + "\n")
    return 0


def cmd_wake(o, out, err):
    o.allow(words=(1, 1))
    url = o.url()
    with db.connect(url) as conn:
        db.require_schema(conn)
        r = db.find_run(conn, o.words[0])
        # wake_now: a sleep the run's latest snapshot was taken in ends as soon as the run resumes
        row = conn.execute("UPDATE neutron_fleet_runs SET state = 'queued', wake_at = now(), attempts = 0, "
                           "wake_now = true, updated = now() WHERE id = %s "
                           "AND state IN ('hibernated', 'failed', 'queued', 'sleeping') RETURNING id",
                           (r["id"],)).fetchone()
    if row is None:
        raise FleetError(f"run {r['id']} is {r['state']}: only a hibernated, sleeping, queued or failed run can be "
                         f"woken", 1)
    fleet = fleet_app(url)
    with fleet.app.open():
        fleet.wake(r["id"], None, early=True)
    out.write(f"woke {r['id']}\n")
    return 0


def cmd_fetch(o, out, err):
    o.allow(words=(1, 2))
    with o.db() as conn:
        db.require_schema(conn)
        r = db.find_run(conn, o.words[0])
        seq, data = latest_snapshot(conn, r["id"])
    if data is None:
        raise FleetError(f"run {r['id']} has no snapshot", 1)
    path = o.words[1] if len(o.words) > 1 else f"{r['id'][:12]}.snap"
    from ..durable import atomic        # lazy: only this command writes a file
    try:
        atomic.replace_file(path, (data,))
    except OSError as e:
        raise FleetError(f"cannot write '{path}': {e.strerror or e}", 1) from None
    out.write(f"snapshot #{seq} of run {r['id']} written to {path} ({len(data):,} bytes)\n")
    return 0


COMMANDS = {"init": cmd_init, "submit": cmd_submit, "worker": cmd_worker, "list": cmd_list, "show": cmd_show,
            "logs": cmd_logs, "cancel": cmd_cancel, "wake": cmd_wake, "fetch": cmd_fetch}
