"""sys.once's records in a file beside the run's snapshot: PATH.once, a JSON object {"runs": {run id: {key:
value}}}, replaced atomically (atomic.replace_file) each time a record is added, before sys.once returns.

The snapshot a run's records live beside (Run.home) is the one named by `--snapshot`, else the first one the run
writes; every snapshot of the run names the file in its header (field "once"), so that a resume from any of them
finds it. Records made before the first snapshot stay in memory and go to the file when it is written (a resume
can only start from a snapshot, so none is lost). The file keeps the records of the last MAX_RUNS runs that wrote
there.

Values are plain Neutron data (nil, booleans, numbers, strings, arrays, objects: sys.once checks them before
put) written as JSON text, and read back with the JSON parser alone: nothing read from the file is run.

A store is what VM.once_store holds: get(key) -> (found, value) and put(key, value). Another store (a database's)
replaces this one by being set there.
"""
from __future__ import annotations

import json

from ..errors import NeutronError
from . import atomic
from .run import run_of

MAX_RUNS = 16


def _neutron(v):
    """A value parsed from the file as a Neutron value (integers become numbers)."""
    cls = v.__class__
    if cls is int:
        return float(v)
    if cls is list:
        return [_neutron(x) for x in v]
    if cls is dict:
        return {k: _neutron(x) for k, x in v.items()}
    return v


class FileStore:
    def __init__(self, vm):
        self.vm = vm
        self.memory = {}        # records not yet in a file (no snapshot known yet)
        self.cache = None       # (file path, its records for this run)

    def path(self):
        home = run_of(self.vm).home
        return None if home is None else home + ".once"

    def records(self, path):
        if self.cache is not None and self.cache[0] == path:
            return self.cache[1]
        runs = self.read(path)
        mine = dict(runs.get(run_of(self.vm).id, {}))
        self.cache = (path, mine)
        return mine

    @staticmethod
    def read(path):
        try:
            with open(path, "rb") as fh:
                data = json.loads(fh.read().decode("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, UnicodeDecodeError) as e:
            raise NeutronError(f"sys.once: cannot read the records in '{path}': {getattr(e, 'strerror', None) or e}.")
        runs = data.get("runs") if data.__class__ is dict else None
        if runs.__class__ is not dict or not all(r.__class__ is dict for r in runs.values()):
            raise NeutronError(f"sys.once: cannot read the records in '{path}': not a file of records.")
        return runs

    def get(self, key):
        if key in self.memory:
            return True, self.memory[key]
        path = self.path()
        if path is None:
            return False, None
        mine = self.records(path)
        if key in mine:
            return True, _neutron(mine[key])
        return False, None

    def put(self, key, value):
        path = self.path()
        if path is None:
            self.memory[key] = value
            return
        self.write(path, {key: value})

    def write(self, path, new):
        runs = self.read(path)
        rid = run_of(self.vm).id
        mine = dict(runs.pop(rid, {}))
        mine.update(new)
        runs[rid] = mine                    # the latest run last: the oldest go first
        while len(runs) > MAX_RUNS:
            del runs[next(iter(runs))]
        text = json.dumps({"runs": runs}, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        try:
            atomic.replace_file(path, (text.encode("utf-8", "surrogatepass"),))
        except OSError as e:
            raise NeutronError(f"sys.once: cannot record the result in '{path}': {e.strerror or e}.") from None
        self.cache = (path, mine)

    def snapshot_written(self):
        """The run's first snapshot was written: records kept in memory go to the file beside it."""
        path = self.path()
        if self.memory and path is not None:
            self.write(path, self.memory)
            self.memory = {}
