"""`neutron fleet worker`: take due runs from the queue and run each in its own OS process.

For each job the worker claims the run (db.CLAIM: one worker wins, the run's token moves on), asks its spawner
for a process (spawner.py), feeds it the run's latest snapshot, stores the snapshots it writes (fenced by the
token: a copy that lost the run stores nothing), keeps its output line by line, and when the process ends sets
the run's next state: sleeping until a deadline, hibernated, done, or failed once (retried after the run's
retry delay) or for good after `max_failures` failures in a row.

Side tasks:
    heartbeat  every lease/3 s the leases of the runs being run here are renewed; a run whose lease could not be
               renewed (cancelled, or taken over) has its process killed at once
    sweep      every second a run whose lease expired (its worker died, or was cut off) is queued again, and a due
               run without a waiting job gets one: a run of a worker killed with SIGKILL is resumed by another
               within lease + 1 s (the lease is 10 s unless --lease says otherwise)
    logs       the runs' output is written to PostgreSQL in batches, at least every quarter of a second

On SIGINT or SIGTERM the worker kills its runs' processes and gives the runs back (due now): another worker, or
this one when it starts again, resumes them from their last snapshot.
"""
from __future__ import annotations

import asyncio
import datetime
import json
import os
import signal
import socket
import sys
import time

from . import child, db, spawner, store
from .app import QUEUE, TASK, Fleet

HIDDEN_ENV = ("NEUTRON_FLEET_DB", "NEUTRON_FLEET_STORE", "NEUTRON_FLEET_STORE_OPTIONS")
ERROR_LINES = 30


class Worker:
    def __init__(self, url, concurrency=4, lease=10.0, poll=0.2, name=None, out=None, sleep_threshold=10.0,
                 compiled=False):
        self.url = url
        self.compiled = compiled
        self.sleep_threshold = float(sleep_threshold)
        self.concurrency = concurrency
        self.lease = float(lease)
        self.poll = poll
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.out = out if out is not None else sys.stderr
        self.running = {}           # run id -> Attempt
        self.logs = []
        self.stopping = False
        self.spawns = {}            # spawn id -> Attempt
        self.next_spawn = 0

    # ---- start and stop -----------------------------------------------------------------------------------

    def serve(self):
        """Run until SIGINT or SIGTERM; returns the exit status."""
        self.spawner_pid, self.spawner = spawner.start(self.compiled)     # first: before any thread exists
        try:
            asyncio.run(self.main())
        finally:
            try:
                os.kill(self.spawner_pid, signal.SIGKILL)
                os.waitpid(self.spawner_pid, 0)
            except OSError:
                pass
        return 0

    async def main(self):
        from psycopg_pool import AsyncConnectionPool    # lazy: the fleet extra, loaded after the spawner's fork
        loop = asyncio.get_running_loop()
        self.log_lock = asyncio.Lock()
        self.pool = AsyncConnectionPool(self.url, min_size=2, max_size=self.concurrency + 4, open=False,
                                        kwargs={"autocommit": True})
        await self.pool.open(wait=True)
        self.fleet = Fleet(self.url)
        self.fleet.worker = self
        loop.add_reader(self.spawner.fileno(), self.from_spawner)
        worker_task = None

        def stop():
            if self.stopping:
                return
            self.stopping = True
            for a in list(self.running.values()):
                a.kill()
            if worker_task is not None:
                worker_task.cancel()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        try:
            async with self.fleet.app.open_async():
                sides = [asyncio.create_task(f()) for f in (self.heartbeat, self.sweep, self.write_logs)]
                self.say(f"neutron fleet worker {self.name}: {self.concurrency} at a time, lease {self.lease:g} s")
                worker_task = asyncio.create_task(self.fleet.app.run_worker_async(
                    queues=[QUEUE], concurrency=self.concurrency, fetch_job_polling_interval=self.poll,
                    delete_jobs="always", install_signal_handlers=False, name=self.name,
                    update_heartbeat_interval=max(1.0, self.lease / 3), stalled_worker_timeout=self.lease * 3))
                if self.stopping:           # asked to stop while starting
                    worker_task.cancel()
                try:
                    await worker_task
                except asyncio.CancelledError:
                    pass
                for t in sides:
                    t.cancel()
                await self.flush_logs()
        finally:
            loop.remove_reader(self.spawner.fileno())
            await self.pool.close()
        self.say(f"neutron fleet worker {self.name}: stopped")

    def say(self, text):
        try:
            self.out.write(text + "\n")
            self.out.flush()
        except (OSError, ValueError):
            pass

    # ---- the spawner ----------------------------------------------------------------------------------------

    def spawn(self, attempt, fds):
        self.next_spawn += 1
        ident = self.next_spawn
        self.spawns[ident] = attempt
        socket.send_fds(self.spawner, [json.dumps({"id": ident}).encode()], fds)
        return ident

    def from_spawner(self):
        try:
            msg = self.spawner.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            msg = b""
        if not msg:
            self.say("neutron fleet worker: the process that starts the runs died; stopping")
            asyncio.get_running_loop().remove_reader(self.spawner.fileno())
            os.kill(os.getpid(), signal.SIGTERM)
            return
        m = json.loads(msg)
        a = self.spawns.get(m["id"])
        if a is None:
            return
        if "pid" in m:
            a.pid = m["pid"]
            if a.killed:
                a.kill()
        else:
            del self.spawns[m["id"]]
            if not a.exited.done():
                a.exited.set_result(m["status"])

    # ---- a run ----------------------------------------------------------------------------------------------

    async def run(self, run_id):
        """The task of a job: claim the run and run one attempt of it."""
        if self.stopping:
            return
        async with self.pool.connection() as conn:
            row = await (await conn.execute(db.CLAIM, {"owner": self.name, "lease": self.lease, "id": run_id}))\
                .fetchone()
        if row is None:
            return          # not due, or another worker has it
        a = Attempt(self, run_id, *row)
        self.running[run_id] = a
        try:
            await a.go()
        finally:
            self.running.pop(run_id, None)

    async def wake_later(self, run_id, at):
        await self.fleet.wake_async(run_id, at)

    # ---- side tasks ---------------------------------------------------------------------------------------------

    async def heartbeat(self):
        while True:
            await asyncio.sleep(self.lease / 3)
            held = dict((i, a.token) for i, a in self.running.items())
            if not held:
                continue
            try:
                async with self.pool.connection() as conn:
                    rows = await (await conn.execute(db.HEARTBEAT, {
                        "lease": self.lease, "ids": list(held), "tokens": list(held.values())})).fetchall()
            except Exception as e:      # the database is unreachable: the leases run out, other workers take over
                self.say(f"neutron fleet worker: cannot renew leases: {e}")
                continue
            kept = {r[0] for r in rows}
            for run_id in held:
                a = self.running.get(run_id)
                if run_id not in kept and a is not None and a.token == held[run_id]:
                    a.lost = True
                    a.kill()

    async def sweep(self):
        while True:
            try:
                async with self.pool.connection() as conn:
                    expired = [r[0] for r in await (await conn.execute(db.EXPIRED)).fetchall()]
                    due = [r[0] for r in await (await conn.execute(db.DUE_WITHOUT_JOB)).fetchall()]
                for run_id in expired:
                    self.say(f"neutron fleet worker: run {run_id}: its worker stopped renewing the lease; queued "
                             f"again")
                for run_id in dict.fromkeys(expired + due):
                    await self.fleet.wake_async(run_id)
                for job in await self.fleet.app.job_manager.get_stalled_jobs(
                        task_name=TASK, seconds_since_heartbeat=self.lease * 3):
                    await self.fleet.app.job_manager.finish_job(job, status=_status("failed"), delete_job=True)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.say(f"neutron fleet worker: sweep failed: {e}")
            await asyncio.sleep(1.0)

    async def write_logs(self):
        while True:
            await asyncio.sleep(0.25)
            await self.flush_logs()

    async def flush_logs(self):
        """Store the output read so far; one flush at a time, so that the lines keep their order."""
        async with self.log_lock:
            await self._flush_logs()

    async def _flush_logs(self):
        if not self.logs:
            return
        lines, self.logs = self.logs, []
        try:
            async with self.pool.connection() as conn:
                async with conn.cursor() as cur:
                    async with cur.copy("COPY neutron_fleet_logs (run_id, stream, line, at) FROM STDIN") as copy:
                        for row in lines:
                            await copy.write_row(row)
        except Exception as e:
            self.say(f"neutron fleet worker: cannot store {len(lines)} lines of output: {e}")

    def env_for(self, run_env):
        env = {k: v for k, v in os.environ.items() if k not in HIDDEN_ENV}
        env.update(run_env)
        return env


def _status(name):
    from procrastinate.jobs import Status       # lazy: named here only, loaded with procrastinate already
    return Status(name)


class Attempt:
    """One process running one run."""

    def __init__(self, worker, run_id, token, args, env, files, store_url, attempts, max_failures, retry_delay,
                 wake_now, seq, location, data, initial):
        self.w = worker
        self.run_id = run_id
        self.token = token
        self.args, self.env, self.files, self.store = args, env, files, store_url
        self.attempts, self.max_failures, self.retry_delay = attempts, max_failures, retry_delay
        self.snapshot = (seq, location, data, initial)     # the latest, which the attempt resumes
        self.wake_now = wake_now        # woken by `fleet wake`: a sleep the snapshot was taken in ends at once
        self.pid = None
        self.killed = False
        self.lost = False
        self.end = None
        self.err_tail = []
        self.pipes = {}             # stream -> the read end of its pipe
        self.rest = {}              # stream -> the start of a line not ended yet
        self.exited = asyncio.get_running_loop().create_future()

    def kill(self):
        self.killed = True
        if self.pid is not None:
            try:
                os.killpg(self.pid, signal.SIGKILL)      # the run's process and whatever it started
            except OSError:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except OSError:
                    pass

    async def go(self):
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        ours, theirs = socket.socketpair()
        try:
            self.w.spawn(self, [out_w, err_w, theirs.fileno()])
        finally:
            os.close(out_w)
            os.close(err_w)
            theirs.close()
        pumps = [asyncio.create_task(self.pump(out_r, "out")), asyncio.create_task(self.pump(err_r, "err"))]
        talk = asyncio.create_task(self.talk(ours))
        status = await self.exited
        done, pending = await asyncio.wait(pumps + [talk], timeout=2.0)
        for t in pending:
            t.cancel()
        ours.close()
        await self.w.flush_logs()
        await self.finish(status)

    async def pump(self, fd, stream):
        """Read the process's output into lines until its end (all writers closed)."""
        loop = asyncio.get_running_loop()
        os.set_blocking(fd, False)
        ended = loop.create_future()
        self.pipes[stream] = fd

        def readable():
            if not self.drain(stream) and not ended.done():
                ended.set_result(None)

        loop.add_reader(fd, readable)
        try:
            await ended
        finally:
            loop.remove_reader(fd)
            rest = self.rest.pop(stream, b"")
            if rest:
                self.line(stream, rest)
            self.pipes.pop(stream, None)
            os.close(fd)

    def drain(self, stream):
        """Read what the pipe holds now (without waiting); False at its end."""
        fd = self.pipes.get(stream)
        if fd is None:
            return True
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                return True
            if not chunk:
                return False
            lines = (self.rest.get(stream, b"") + chunk).split(b"\n")
            rest = lines.pop()
            if len(rest) > 1 << 16:
                lines.append(rest)
                rest = b""
            self.rest[stream] = rest
            for line in lines:
                self.line(stream, line)

    def line(self, stream, raw):
        text = raw.decode("utf-8", "replace").replace("\x00", "\ufffd")
        self.w.logs.append((self.run_id, stream, text, datetime.datetime.now(datetime.timezone.utc)))
        if stream == "err":
            self.err_tail.append(text)
            del self.err_tail[:-ERROR_LINES]

    async def talk(self, sock):
        reader, writer = await asyncio.open_connection(sock=sock)
        try:
            while True:
                head = await reader.readexactly(child.FRAME.size)
                hlen, plen = child.FRAME.unpack(head)
                header = json.loads(await reader.readexactly(hlen))
                payload = await reader.readexactly(plen) if plen else b""
                reply, data = await self.answer(header, payload)
                h = json.dumps(reply).encode()
                writer.write(child.FRAME.pack(len(h), len(data)) + h + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def answer(self, req, payload):
        op = req.get("op")
        if op == "load":
            return await self.load()
        if op == "save":
            return await self.save(int(req["seq"]), payload), b""
        if op == "once_get":
            async with self.w.pool.connection() as conn:
                row = await (await conn.execute(db.ONCE_GET, (self.run_id, req["key"]))).fetchone()
            return ({"found": True, "value": row[0]} if row else {"found": False}), b""
        if op == "once_put":
            async with self.w.pool.connection() as conn:
                cur = await conn.execute(db.ONCE_PUT, (self.run_id, req["key"], req["value"], self.run_id,
                                                       self.token))
                held = cur.rowcount
            if not held and not await self.holds():
                return {"lost": True}, b""
            return {"ok": True}, b""
        if op == "end":
            self.end = req
            return {"ok": True}, b""
        return {"error": f"unknown request {op!r}"}, b""

    async def holds(self):
        async with self.w.pool.connection() as conn:
            row = await (await conn.execute("SELECT 1 FROM neutron_fleet_runs WHERE id = %s AND token = %s AND "
                                            "state = 'running'", (self.run_id, self.token))).fetchone()
        return row is not None

    async def load(self):
        seq, location, data, initial = self.snapshot
        if seq is None:
            return {"lost": True}, b""
        if location is not None:
            data = await asyncio.to_thread(store.get, location)
        info = {"args": self.args, "env": self.w.env_for(self.env), "files": self.files, "resumed": not initial,
                "sleep_threshold": self.w.sleep_threshold, "compiled": self.w.compiled, "wake_now": self.wake_now}
        return info, bytes(data)

    async def save(self, seq, data):
        # what the process wrote before this checkpoint is in the pipes by now: stored before the snapshot, so
        # that a worker killed later loses no output that the resumed run will not print again
        for stream in ("out", "err"):
            self.drain(stream)
        await self.w.flush_logs()
        location = None
        if self.store is not None:
            try:
                location = await asyncio.to_thread(store.put, self.store, self.run_id, seq, self.token, data)
            except Exception as e:
                return {"error": f"{type(e).__name__}: {e}"}
        async with self.w.pool.connection() as conn:
            held, old = await (await conn.execute(db.SAVE_SNAPSHOT, {
                "id": self.run_id, "token": self.token, "seq": seq, "size": len(data), "location": location,
                "data": None if location is not None else data, "keep": db.KEEP_SNAPSHOTS})).fetchone()
        if not held:
            if location is not None:
                await asyncio.to_thread(store.delete, [location])
            return {"lost": True}
        if any(old):
            await asyncio.to_thread(store.delete, old)
        return {"ok": True}

    async def finish(self, status):
        end = self.end or {}
        outcome = end.get("outcome")
        fields = {"id": self.run_id, "token": self.token, "wake_at": None, "attempts": 0, "exit_status": None,
                  "error": None}
        wake = None
        if self.w.stopping and outcome is None:
            fields.update(state="queued", wake_at=_now(), attempts=self.attempts)      # given back, not failed
        elif outcome == "sleep":
            fields.update(state="sleeping", wake_at=_at(end["until"]))
            wake = end["until"]
        elif outcome == "hibernate":
            fields.update(state="hibernated", exit_status=end.get("status", 0))
        elif outcome in ("done", "exit") and end.get("status", 0) == 0 and status == 0:
            fields.update(state="done", exit_status=0)
        else:
            if outcome is not None:
                why = f"exit status {end.get('status')}"
            elif status >= 128:
                why = f"the process was killed by signal {status - 128}"
            else:
                why = f"the process ended with status {status}"
            tail = "\n".join(line for line in self.err_tail if line.strip()).strip()
            attempts = self.attempts + 1
            error = f"{why}" + (f"\n{tail}" if tail else "")
            exit_status = end.get("status", status)
            if attempts >= self.max_failures:
                fields.update(state="failed", attempts=attempts, error=error, exit_status=exit_status)
            else:
                wake = time.time() + self.retry_delay
                fields.update(state="queued", attempts=attempts, error=error, exit_status=exit_status,
                              wake_at=_at(wake))
        if self.store is not None:
            await self.sweep_store()
        async with self.w.pool.connection() as conn:
            row = await (await conn.execute(db.END_ATTEMPT, fields)).fetchone()
        if row is None:
            return          # cancelled meanwhile, or taken over: the run is someone else's now
        if fields["state"] == "queued" or wake is not None:
            await self.w.wake_later(self.run_id, wake)

    async def sweep_store(self):
        async with self.w.pool.connection() as conn:
            kept = [r[0] for r in await (await conn.execute(
                "SELECT location FROM neutron_fleet_snapshots WHERE run_id = %s", (self.run_id,))).fetchall()]
        try:
            await asyncio.to_thread(store.sweep, self.store, self.run_id, kept, self.token)
        except Exception as e:
            self.w.say(f"neutron fleet worker: run {self.run_id}: cannot clean its store folder: {e}")


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _at(epoch):
    return datetime.datetime.fromtimestamp(float(epoch), datetime.timezone.utc)
