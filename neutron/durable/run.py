"""A run: one program's life across the processes that resume it. A fresh start is a new run; a resume continues
the run of its snapshot. Each snapshot records the run's id and its sequence number in the run (1, 2, ...), so that
effects recorded by `sys.once` can be told apart by run, and a tool can order the snapshots of one run."""
from __future__ import annotations

import os


class Run:
    def __init__(self):
        self.id = os.urandom(16).hex()     # (secrets.token_hex would import hashlib: start-up)
        self.seq = 0                # snapshots written by this run so far (in every process)
        self.sealed = False         # its snapshots are sealed: never write one in clear text
        self.keep = {}              # absolute path -> how many snapshots to keep there (PATH, PATH.1, ...)
        self.resumed_from = None    # the snapshot this process resumed, if it did
        self.home = None            # the snapshot sys.once's records live beside (durable/once.py)

    def keep_for(self, path):
        return self.keep.get(os.path.abspath(path), 1)


def run_of(vm):
    """The run a VM belongs to (made on first use: a VM built outside the runner has one too)."""
    run = getattr(vm, "durable", None)
    if run is None:
        run = vm.durable = Run()
    return run


def valid_id(text):
    return 8 <= len(text) <= 64 and all(c in "0123456789abcdef" for c in text)
