"""The fleet's tables in PostgreSQL and the queries on them.

    neutron_fleet_runs       one row per run: program, arguments, environment, files, state, when it is due, the
                             lease of the worker running it (owner, token, lease_until), consecutive failures
    neutron_fleet_snapshots  the run's last snapshots (seq, size, and either the bytes or the store's URL): a
                             snapshot exists for the fleet once its row is committed, which happens only after the
                             object is completely written
    neutron_fleet_logs       the run's output, line by line (stream 'out' or 'err')
    neutron_fleet_once       results recorded by sys.once, by run and key
    neutron_fleet_meta       the schema's version

States: queued (due at wake_at), running (a worker holds its lease), sleeping (a durable sleep: due at wake_at),
hibernated (parked until `fleet wake`), done, failed (too many failures in a row; `fleet wake` retries), cancelled.

A worker's claim is one UPDATE that succeeds for one worker only and bumps the run's token; every later write
of that worker for the run (snapshot, end of the attempt) is made under `token = <its token>`, so that a copy that
lost its lease (a worker cut off, its lease expired and taken over) can change nothing.
"""
from __future__ import annotations

import os

SCHEMA_VERSION = 2
KEEP_SNAPSHOTS = 3
STATES = ("queued", "running", "sleeping", "hibernated", "done", "failed", "cancelled")

SCHEMA = """
CREATE TABLE IF NOT EXISTS neutron_fleet_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS neutron_fleet_runs (
    id text PRIMARY KEY,
    name text,
    program text NOT NULL,
    args jsonb NOT NULL DEFAULT '[]',
    env jsonb NOT NULL DEFAULT '{}',
    files jsonb NOT NULL DEFAULT '{}',
    store text,
    state text NOT NULL CHECK (state IN ('queued', 'running', 'sleeping', 'hibernated', 'done', 'failed',
                                         'cancelled')),
    wake_at timestamptz,
    token bigint NOT NULL DEFAULT 0,
    owner text,
    lease_until timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    max_failures integer NOT NULL DEFAULT 3,
    retry_delay double precision NOT NULL DEFAULT 10,
    resumes integer NOT NULL DEFAULT 0,
    exit_status integer,
    error text,
    created timestamptz NOT NULL DEFAULT now(),
    updated timestamptz NOT NULL DEFAULT now(),
    last_checkpoint timestamptz
);
-- version 2: `fleet wake` of a sleeping run cuts its sleep short (until the run saves another snapshot)
ALTER TABLE neutron_fleet_runs ADD COLUMN IF NOT EXISTS wake_now boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS neutron_fleet_runs_due ON neutron_fleet_runs (state, wake_at);
CREATE INDEX IF NOT EXISTS neutron_fleet_runs_name ON neutron_fleet_runs (name);
CREATE TABLE IF NOT EXISTS neutron_fleet_snapshots (
    run_id text NOT NULL REFERENCES neutron_fleet_runs (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    size integer NOT NULL,
    location text,
    data bytea,
    initial boolean NOT NULL DEFAULT false,
    created timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS neutron_fleet_logs (
    id bigserial PRIMARY KEY,
    run_id text NOT NULL REFERENCES neutron_fleet_runs (id) ON DELETE CASCADE,
    stream text NOT NULL,
    line text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS neutron_fleet_logs_run ON neutron_fleet_logs (run_id, id);
CREATE TABLE IF NOT EXISTS neutron_fleet_once (
    run_id text NOT NULL REFERENCES neutron_fleet_runs (id) ON DELETE CASCADE,
    key text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (run_id, key)
);
"""

RUN_COLUMNS = ("id, name, program, args, env, files, store, state, wake_at, token, owner, lease_until, attempts, "
               "max_failures, retry_delay, resumes, exit_status, error, created, updated, last_checkpoint")


class FleetError(Exception):
    """A mistake or a problem the user can act on: said in one line, exit status 2 (usage) or 1."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def database_url(given=None):
    url = given or os.environ.get("NEUTRON_FLEET_DB")
    if not url:
        raise FleetError("no database: set NEUTRON_FLEET_DB to a PostgreSQL URL (postgresql://user@host/db) or "
                         "pass --db URL", 2)
    return url


def connect(url, **kw):
    import psycopg      # lazy: the fleet extra, only for fleet commands
    try:
        return psycopg.connect(url, autocommit=True, **kw)
    except psycopg.OperationalError as e:
        raise FleetError(f"cannot connect to the fleet's database: {str(e).strip().splitlines()[0]}") from None


def has_schema(conn):
    row = conn.execute("SELECT to_regclass('neutron_fleet_meta') IS NOT NULL, "
                       "to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
    return row[0], row[1]


def apply_schema(conn, apply_queue_schema):
    """Create or upgrade the fleet's tables; `apply_queue_schema()` creates procrastinate's when missing. Safe to
    run again; two at once wait for each other (an advisory lock)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('neutron_fleet_schema'))")
        ours, queue = has_schema(conn)
        conn.execute(SCHEMA)
        conn.execute("INSERT INTO neutron_fleet_meta (key, value) VALUES ('schema', %s) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(SCHEMA_VERSION),))
    if not queue:
        apply_queue_schema()
    return not ours


def require_schema(conn):
    ours, queue = has_schema(conn)
    if not (ours and queue):
        raise FleetError("the database has no fleet tables yet: run `neutron fleet init` first", 1)


def find_run(conn, ref):
    """The run named by `ref`: its id, a unique start of its id (at least 4 characters), or its name (the latest
    run of that name)."""
    ref = ref.strip()
    row = conn.execute(f"SELECT {RUN_COLUMNS} FROM neutron_fleet_runs WHERE id = %s", (ref,)).fetchone()
    if row is None and len(ref) >= 4 and all(c in "0123456789abcdef" for c in ref):
        rows = conn.execute(f"SELECT {RUN_COLUMNS} FROM neutron_fleet_runs WHERE id LIKE %s LIMIT 2",
                            (ref + "%",)).fetchall()
        if len(rows) > 1:
            raise FleetError(f"'{ref}' starts the ids of several runs: give more of it", 1)
        row = rows[0] if rows else None
    if row is None:
        row = conn.execute(f"SELECT {RUN_COLUMNS} FROM neutron_fleet_runs WHERE name = %s ORDER BY created DESC "
                           f"LIMIT 1", (ref,)).fetchone()
    if row is None:
        raise FleetError(f"no run '{ref}'", 1)
    return as_run(row)


def as_run(row):
    return dict(zip([c.strip() for c in RUN_COLUMNS.split(",")], row))


# ---- the worker's queries (async) ---------------------------------------------------------------------------

CLAIM = """
WITH claimed AS (
    UPDATE neutron_fleet_runs SET state = 'running', token = token + 1, owner = %(owner)s,
           lease_until = now() + make_interval(secs => %(lease)s), resumes = resumes + 1, updated = now()
    WHERE id = %(id)s AND (state IN ('queued', 'sleeping') AND wake_at <= now()
                           OR state = 'running' AND lease_until < now())
    RETURNING id, token, args, env, files, store, attempts, max_failures, retry_delay, wake_now)
SELECT c.token, c.args, c.env, c.files, c.store, c.attempts, c.max_failures, c.retry_delay, c.wake_now,
       s.seq, s.location, s.data, s.initial
FROM claimed c LEFT JOIN LATERAL (SELECT seq, location, data, initial FROM neutron_fleet_snapshots
                                  WHERE run_id = c.id ORDER BY seq DESC LIMIT 1) s ON true
"""

SAVE_SNAPSHOT = """
WITH held AS (SELECT id FROM neutron_fleet_runs WHERE id = %(id)s AND token = %(token)s AND state = 'running'
              FOR UPDATE),
added AS (INSERT INTO neutron_fleet_snapshots (run_id, seq, size, location, data)
          SELECT id, %(seq)s::int, %(size)s::int, %(location)s::text, %(data)s::bytea FROM held
          ON CONFLICT (run_id, seq) DO UPDATE SET size = excluded.size, location = excluded.location,
              data = excluded.data, initial = false, created = now()
          RETURNING seq),
touched AS (UPDATE neutron_fleet_runs r SET last_checkpoint = now(), updated = now(), wake_now = false
            FROM held
            WHERE r.id = held.id RETURNING r.id),
old AS (DELETE FROM neutron_fleet_snapshots WHERE run_id = %(id)s AND EXISTS (SELECT 1 FROM added)
        AND seq NOT IN (SELECT seq FROM neutron_fleet_snapshots WHERE run_id = %(id)s AND seq <> %(seq)s::int
                        ORDER BY seq DESC LIMIT %(keep)s::int - 1)
        AND seq <> %(seq)s::int
        RETURNING location)
SELECT (SELECT count(*) FROM added), ARRAY(SELECT location FROM old)
"""

HEARTBEAT = """
UPDATE neutron_fleet_runs r SET lease_until = now() + make_interval(secs => %(lease)s)
FROM unnest(%(ids)s::text[], %(tokens)s::bigint[]) AS h (id, token)
WHERE r.id = h.id AND r.token = h.token AND r.state = 'running'
RETURNING r.id
"""

EXPIRED = """
UPDATE neutron_fleet_runs SET state = 'queued', wake_at = now(), owner = NULL, updated = now()
WHERE state = 'running' AND lease_until < now()
RETURNING id
"""

DUE_WITHOUT_JOB = """
SELECT r.id FROM neutron_fleet_runs r
WHERE r.state IN ('queued', 'sleeping') AND r.wake_at <= now()
  AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.queueing_lock = 'run:' || r.id AND j.status = 'todo')
LIMIT 500
"""

END_ATTEMPT = """
UPDATE neutron_fleet_runs SET state = %(state)s, wake_at = %(wake_at)s, owner = NULL, lease_until = NULL,
       attempts = %(attempts)s, exit_status = %(exit_status)s, error = %(error)s, updated = now()
WHERE id = %(id)s AND token = %(token)s AND state = 'running'
RETURNING id
"""

ONCE_GET = "SELECT value FROM neutron_fleet_once WHERE run_id = %s AND key = %s"
ONCE_PUT = """
INSERT INTO neutron_fleet_once (run_id, key, value) SELECT %s, %s, %s
WHERE EXISTS (SELECT 1 FROM neutron_fleet_runs WHERE id = %s AND token = %s AND state = 'running')
ON CONFLICT (run_id, key) DO NOTHING
"""
