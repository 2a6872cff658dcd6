"""The fleet's job queue: a procrastinate App whose one task resumes a run.

A job is a wake-up call: "run R is due at time T" (procrastinate's schedule_at), at most one waiting per run
(its queueing lock `run:R`). The job itself decides nothing: the worker that takes it claims the run in
neutron_fleet_runs (db.CLAIM), which only one worker can do, and a job for a run that is not due (woken
already, cancelled) does nothing. So a job deferred twice or retried is harmless, and a missing job is made
again by the workers' sweep (worker.py).
"""
from __future__ import annotations

import datetime

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued

TASK = "neutron_fleet_resume"
QUEUE = "neutron_fleet"


class Fleet:
    """The App with its task; `worker` (set by a worker) runs the task's jobs."""

    def __init__(self, url):
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
        self.worker = None

        @self.app.task(name=TASK, queue=QUEUE)
        async def resume(run_id):
            if self.worker is not None:
                await self.worker.run(run_id)

        self.task = resume

    def _job(self, run_id, at):
        when = None
        if at is not None:
            when = datetime.datetime.fromtimestamp(at, datetime.timezone.utc) if isinstance(at, (int, float)) else at
        return self.task.configure(queueing_lock=f"run:{run_id}", schedule_at=when)

    async def wake_async(self, run_id, at=None):
        """Defer the run's wake-up at `at` (a datetime or seconds since 1970; None: now)."""
        try:
            await self._job(run_id, at).defer_async(run_id=run_id)
        except AlreadyEnqueued:
            pass

    def wake(self, run_id, at=None, early=False):
        """The same, from a command. `early`: a wake-up already waiting for later is moved to now."""
        if early:
            for job in self.app.job_manager.list_jobs(queueing_lock=f"run:{run_id}", status="todo"):
                self.app.job_manager.cancel_job_by_id(job.id, delete_job=True)
        try:
            self._job(run_id, at).defer(run_id=run_id)
        except AlreadyEnqueued:
            pass

    def drop(self, run_id):
        """Remove the run's waiting wake-up (a cancelled run)."""
        for job in self.app.job_manager.list_jobs(queueing_lock=f"run:{run_id}", status="todo"):
            self.app.job_manager.cancel_job_by_id(job.id, delete_job=True)

    def apply_schema(self):
        self.app.schema_manager.apply_schema()
