"""Durable execution: the snapshot file, the whole running program written and read without pickle, marshal or eval.

Layout (format 5):
    header  MAGIC (8 bytes) | format version (u16) | length of the fields (u32) | the fields |
            body length (u64) | CRC-32 of the fields and the body (u32)
    fields  name (u8 length + ASCII) and value (u16 length + UTF-8), each: runtime (the Neutron version), written
            (milliseconds since 1970), host, pid, cwd, run (the run's id), seq (the snapshot's number in its run),
            program (the entry file), program-sha256 (of its source), once (the file of the run's sys.once
            records); a sealed file adds seal and key (the key id)
    body    the string table | the object table (runs of objects of one kind: kind and count, so that the reader
            makes every object's empty shell first: this is what lets cycles and aliasing survive) | the head (what
            the named objects are made from: natives by qualified name; modules by name, a built-in module with
            its functions written in Neutron) | the body proper (the roots: script path, sources, globals, the
            methods' prelude, modules, module state, frames; then each run's contents)

The head and the body proper are each written as columns (columns.py): the structural integers, the strings (as
indices in the string table), the values (a tag byte each, then one column per kind: booleans, numbers, strings,
references to table objects), the doubles of arrays made only of numbers, and the buffers' bytes. A run of
objects (or of instances) is written by shape: the run's shapes, each the sequence of keys (for instances, the class
and the fields' names) that its objects share, each written once, then each object's shape (when there are several)
and its values in its keys' order. Writing and reading a column are loops run by C, not a Python call per value.
Natives are written by name and found again through the standard library's tables (the allow-list); code objects
are checked instruction by instruction when read.

A sealed file's body is a nonce and the AES-256-GCM ciphertext of the body, with the header up to the fields as
associated data (seal.py): the header stays readable without the key.

A resume needs no front end (scanner, parser, compiler): every function the program can reach is in the file as
code, the preludes' functions included: a built-in module's (arrays, http) travel with the module, and the
built-in methods' prelude (`arr.map`, `sort`, ...) travels when it was loaded before the checkpoint. A prelude
first needed after the resume is compiled then, which loads the front end at that moment.

format.py holds the tags and the header, columns.py the columns, writer.py and reader.py the body
(save_<kind>/load_<kind> pairs), verify.py the checks on code and frames read from a file, atomic.py the file
replacement, seal.py the sealing, run.py the run a snapshot belongs to.
"""
from __future__ import annotations

import gc
import os
import time

from .. import __version__
from ..errors import NeutronError
from .format import SnapshotError, head, header, read_header

__all__ = ["SnapshotError", "encode_snapshot", "load_snapshot", "write_snapshot", "read_header"]


def write_snapshot(vm, path, frames, push_result=True, result=True, who="sys.checkpoint"):
    """Write the VM's state with these frames to `path`, atomically (keeping the previous ones when the run keeps
    several there). `who` names the caller in an error."""
    if not isinstance(path, str) or not path:
        raise NeutronError(f"{who}: the path must be a non-empty string.")
    from . import atomic                    # lazy: start-up (few runs checkpoint)
    from .run import run_of                 # lazy: as above
    parts, stored = encode_snapshot(vm, frames, push_result, result, who, path)
    try:
        atomic.replace_file(path, parts, run_of(vm).keep_for(path))
    except OSError as e:
        raise NeutronError(f"{who}: cannot write '{path}': {e.strerror or e}") from None
    stored()


def encode_snapshot(vm, frames, push_result=True, result=True, who="sys.checkpoint", path=None):
    """(the snapshot's bytes as a list of parts, a function to call once they are stored): the run's sequence
    number moves on only then. `path`: the file it goes to, where sys.once's records live beside the run's first
    one; None for a snapshot stored elsewhere (a fleet's store, whose once store is its own)."""
    from . import seal, writer              # lazy: start-up (few runs checkpoint)
    from .run import run_of                 # lazy: as above
    run = run_of(vm)
    try:
        key = seal.current_key()
    except seal.KeyProblem as e:
        raise NeutronError(f"{who}: {e}.") from None
    if key is None and run.sealed:
        raise NeutronError(f"{who}: this run's snapshots are sealed; set {seal.KEY_VAR} to write them.")
    enabled = gc.isenabled()
    gc.disable()
    try:
        parts = writer.encode(vm, frames, push_result, result)
    finally:
        if enabled:
            gc.enable()
    seq = run.seq + 1
    first_home = path is not None and run.home is None
    if first_home:
        run.home = os.path.abspath(path)
    fields = {"runtime": __version__, "written": str(time.time_ns() // 1_000_000), "host": _host(),
              "pid": str(os.getpid()), "run": run.id, "seq": str(seq), "program": vm.script_path}
    try:
        fields["cwd"] = os.getcwd()
    except OSError:             # the current directory was removed
        pass
    source = vm.sources.get(vm.script_path)
    if source is not None:
        fields["program-sha256"] = source_hash(source)
    if key is not None:
        fields["seal"] = seal.ALGORITHM
        fields["key"] = key[0]
    if run.home is not None:
        fields["once"] = run.home + ".once"     # where the run's sys.once records are (durable/once.py)
    prefix = head(fields)
    try:
        if key is not None:
            parts = (seal.seal(key[1], b"".join(parts), prefix),)
    except seal.KeyProblem as e:
        raise NeutronError(f"{who}: {e}.") from None

    def stored():
        run.seq = seq
        if key is not None:
            run.sealed = True
        if first_home:
            flush = getattr(vm.once_store, "snapshot_written", None)
            if flush is not None:           # sys.once's records made before the run's first snapshot
                flush()
    return [header(prefix, parts), *parts], stored


def open_body(h):
    """The body of the snapshot whose Header is `h`, unsealed (and so authenticated) when it is sealed."""
    if not h.sealed:
        return h.body
    from . import seal      # lazy: start-up (few runs checkpoint)
    return memoryview(seal.unseal(h))     # the reader reads columns out of a memoryview


def load_snapshot(vm, data):
    """Restore a VM from snapshot bytes; raises SnapshotError with a one-line reason. A sealed file is
    authenticated before any of its body is parsed."""
    from . import reader                    # lazy: start-up (few runs resume)
    from .run import run_of, valid_id       # lazy: as above
    h = read_header(data)
    run_id, seq = h.fields.get("run", ""), h.fields.get("seq", "")
    if not valid_id(run_id) or not seq.isdigit() or not seq.isascii():
        raise SnapshotError("the file is damaged (bad run id or sequence number)")
    body = open_body(h)
    enabled = gc.isenabled()
    gc.disable()
    try:
        reader.load(vm, body)
        # The program's state, read in one go, is long-lived: it goes straight to the collector's oldest
        # generation (freeze, then unfreeze) rather than being looked at by a young collection as soon as the
        # program allocates (at 100,000 objects and more, that collection was a good part of a resume).
        gc.freeze()
        gc.unfreeze()
    finally:
        if enabled:
            gc.enable()
    run = run_of(vm)
    run.id, run.seq, run.sealed = run_id, int(seq), h.sealed
    records = h.fields.get("once", "")
    if records.endswith(".once") and os.path.isabs(records):
        run.home = records[:-len(".once")]


_hashes = {}


def source_hash(source):
    import hashlib          # lazy: start-up (few runs checkpoint)
    digest = _hashes.get(id(source))
    if digest is None or digest[0] is not source:
        digest = _hashes[id(source)] = (source, hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest())
    return digest[1]


def _host():
    uname = getattr(os, "uname", None)
    if uname is not None:       # the host name without importing socket (a first checkpoint's start-up)
        return uname().nodename
    import socket           # lazy: as above
    try:
        return socket.gethostname()
    except OSError:
        return ""
