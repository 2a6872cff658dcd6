"""One Neutron value (with everything it reaches, a task's frames included) as bytes and back, in the snapshot's
own body format (writer.py, reader.py): how a process goes to a worker process and comes back (procpool.py).
Nothing is pickled; what is read is checked as a snapshot is."""
from __future__ import annotations

from ..errors import NeutronError
from .format import K_RESOURCE, K_TASK, SnapshotError
from .reader import read_body
from .writer import Writer


class Unsendable(Exception):
    """The value reaches something that cannot leave this process (a task other than the root, a resource)."""


def encode_value(value):
    """The bytes of `value` (its root is the first value of the body). Unsendable if it reaches a task besides a
    root task, or a resource."""
    w = Writer()
    w.body.vals.append(value)
    w.scan(w.body)
    runs = w.runs
    i = 0
    while i < len(runs):
        kind, run = runs[i]
        i += 1
        if kind.tag == K_RESOURCE or kind.tag == K_TASK and (len(run) > 1 or run[0] is not value):
            raise Unsendable()
        if kind.name is not None:
            kind.name(w, run)
            w.scan(w.head)
        kind.save(w, run)
        w.scan(w.body)
    return b"".join(w.finish())


def decode_value(vm, data):
    """The value encode_value wrote (natives and modules found in this VM's tables); SnapshotError if the bytes are
    not sound."""
    try:
        root = read_body(vm, memoryview(data), lambda r: r.body.value())[3]
    except RecursionError:
        raise SnapshotError("the data is damaged (nested too deeply)") from None
    except NeutronError as e:
        raise SnapshotError(e.message) from None
    return root


__all__ = ["encode_value", "decode_value", "Unsendable"]
