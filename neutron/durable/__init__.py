"""Durable execution: the snapshot file, the whole running program written and read without pickle, marshal or eval.

Layout (format 3):
    header  MAGIC (8 bytes) | format version (u16) | body length (u64) |
            CRC-32 of the runtime version field and the body (u32) | runtime version (u8 length + ASCII)
    body    the string table | the object table (runs of objects of one kind: kind and count, so that the reader
            makes every object's empty shell first: this is what lets cycles and aliasing survive) | the head (what
            the named objects are made from: natives by qualified name; modules by name, a built-in module with
            its functions written in Neutron) | the body proper (the roots: script path, sources, globals, the
            methods' prelude, modules, module state, frames; then each run's contents)

The head and the body proper are each written as columns (columns.py): the structural integers, the strings (as
indices in the string table), the values (a tag byte each, then one column per kind: booleans, numbers, strings,
references to table objects), the doubles of arrays made only of numbers, and the buffers' bytes. Writing and
reading a column are loops run by C, not a Python call per value. Natives are written by name and found again
through the standard library's tables (the allow-list); code objects are checked instruction by instruction when
read.

A resume needs no front end (scanner, parser, compiler): every function the program can reach is in the file as
code, the preludes' functions included: a built-in module's (arrays, http) travel with the module, and the
built-in methods' prelude (`arr.map`, `sort`, ...) travels when it was loaded before the checkpoint. A prelude
first needed after the resume is compiled then, which loads the front end at that moment.

format.py holds the tags and the header, columns.py the columns, writer.py and reader.py the body
(save_<kind>/load_<kind> pairs), verify.py the checks on code and frames read from a file, atomic.py the file
replacement.
"""
from __future__ import annotations

import gc

from ..errors import NeutronError
from . import atomic, reader, writer
from .format import SnapshotError, header, read_header

__all__ = ["SnapshotError", "load_snapshot", "write_snapshot"]


def write_snapshot(vm, path, frames, push_result=True, result=True):
    """Write the VM's state with these frames to `path`, atomically."""
    if not isinstance(path, str) or not path:
        raise NeutronError("sys.checkpoint: the path must be a non-empty string.")
    enabled = gc.isenabled()
    gc.disable()
    try:
        parts = writer.encode(vm, frames, push_result, result)
    finally:
        if enabled:
            gc.enable()
    try:
        atomic.replace_file(path, header(parts), *parts)
    except OSError as e:
        raise NeutronError(f"sys.checkpoint: cannot write '{path}': {e.strerror or e}") from None


def load_snapshot(vm, data):
    """Restore a VM from snapshot bytes; raises SnapshotError with a one-line reason."""
    body = read_header(data)
    enabled = gc.isenabled()
    gc.disable()
    try:
        reader.load(vm, body)
    finally:
        if enabled:
            gc.enable()
