"""The fleet: many programs, each a run kept in PostgreSQL, resumed by whichever worker is free when they are due.

A run is a program's life across processes (durable/run.py): its snapshots, its state, when it is due, its output.
PostgreSQL holds the runs (db.py) and, through procrastinate, the queue of wake-ups (app.py); snapshots go to an
fsspec store or into PostgreSQL (store.py). `neutron fleet worker` (worker.py) claims due runs under a lease and
runs each one in its own OS process (child.py), forked from a pre-loaded process so that a resume costs
milliseconds. commands.py holds the `neutron fleet ...` commands. Nothing here is imported by a plain `neutron`
run: cli.py reaches this package only for `neutron fleet`.

Needs the fleet extra: pip install 'neutron-lang[fleet]' (and [s3] for S3 stores).
"""
