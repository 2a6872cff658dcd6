"""`neutron snapshot info|stack|vars FILE`: what a snapshot holds and where it resumes, without running any of it.

The file is read as `--resume` reads it (the same checks, the same refusals) into a VM that is never run. `info`
needs only the header, so it works on a sealed file without its key. Local variable names are not in the file: the
runner finds them by compiling the sources the snapshot carries (compiling runs nothing), matched to the code
objects by their instructions; a local without a known name is shown by its slot. The runner wires this command
(it may use the front end, this package may not).
"""
from __future__ import annotations

import json
import os
import shutil
import time

from ..bytecode.code import Code
from ..errors import source_line
from ..runtime.frames import Iter
from ..runtime.values import (Buffer, BoundMethod, Cell, Class, Function, Instance, Module, Native, Resource, Task,
                              to_str, type_name)
from . import open_body, reader, seal
from .format import SnapshotError, read_header, shown

EXIT_OK, EXIT_USAGE, EXIT_SNAPSHOT = 0, 2, 66

KINDS = {list: "array", dict: "object", Cell: "cell", Function: "function", Code: "code", Class: "class",
         Instance: "instance", BoundMethod: "bound method", Native: "built-in function", Module: "module",
         Buffer: "buffer", Resource: "resource", Iter: "loop iterator", Task: "task"}

USAGE = """usage: neutron snapshot info FILE [--json]             format, run, program, seal, resume point, objects
       neutron snapshot stack FILE [--json]            the frames, innermost first, with their source lines
       neutron snapshot vars FILE [--frame N] [--width W] [--json]
                                                       a frame's locals (0: innermost) and the globals
"""


class Snapshot:
    """A snapshot file read for inspection into `vm` (a fresh VM, never run): its size, its Header and, unless it
    is sealed and no key at hand opens it, the program state (`vm` set), else the reason (`closed`)."""

    def __init__(self, path, need_body, vm):
        with open(path, "rb") as fh:
            data = fh.read()
        self.path = path
        self.size = len(data)
        self.header = read_header(data)
        self.vm = None
        self.closed = None
        self.names = None       # slot names, made on first use (see variables)
        try:
            body = open_body(self.header)
        except seal.NoKey as e:
            if need_body:
                raise
            self.closed = str(e)
            return
        reader.load(vm, body)
        self.vm = vm


# ---- what the file says ------------------------------------------------------------------------------------------

def frame_name(f):
    return f.func.name if f.func is not None else f.code.name


def frame_line(f, innermost):
    """The line a frame is at: the instruction it runs next (innermost) or the call it waits in."""
    lines = f.code.lines
    if not lines:
        return 0
    i = f.ip if innermost else f.ip - 1
    return lines[max(0, min(i, len(lines) - 1))]


def frames_of(vm):
    """[(index, frame, line)], innermost first."""
    frames = list(reversed(vm.frames))
    return [(i, f, frame_line(f, i == 0)) for i, f in enumerate(frames)]


def objects_by_kind(vm):
    """{kind name: count} of the heap objects reachable from the program's roots, the way a snapshot finds them."""
    seen = set()
    counts = {}
    work = [vm.globals, vm.prelude, *vm.modules.values()]
    for f in vm.frames:
        work += [f.func, *f.locals, *f.stack]
    if vm.scheduler is not None:
        work += [vm.scheduler.main, *vm.scheduler.procs.values(), *vm.scheduler.ready,
                 *(t for _, _, t in vm.scheduler.timers), *vm.scheduler.failures]
    while work:
        v = work.pop()
        kind = KINDS.get(v.__class__)
        if kind is None or id(v) in seen:
            continue
        seen.add(id(v))
        counts[kind] = counts.get(kind, 0) + 1
        cls = v.__class__
        if cls is list:
            work.extend(v)
        elif cls is dict:
            work.extend(v.values())
        elif cls is Cell:
            work.append(v.value)
        elif cls is Function:
            work += [v.code, *v.cells, v.globals]
        elif cls is Code:
            work.extend(k for k in v.consts if k.__class__ is Code)
        elif cls is Class:
            work.extend(v.methods.values())
        elif cls is Instance:
            work += [v.klass, *v.fields.values()]
        elif cls is BoundMethod:
            work += [v.receiver, v.method]
        elif cls is Module:     # a built-in module's natives are written by name: only its Neutron functions count
            work.extend(x for x in v.members.values() if not v.native or x.__class__ is Function)
        elif cls is Resource:
            work.extend(v.info.values())
        elif cls is Iter and v.keys is not None:
            work.append(v.keys)
        elif cls is Task:
            work += [v.result, v.waiting_on, *v.waiters, *v.mailbox, *v.receivers]
            for f in v.frames:
                work += [f.func, *f.locals, *f.stack]
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def source_of(vm, filename):
    """The text of a file: from the snapshot, else from the disk if it is still there."""
    text = vm.sources.get(filename)
    if text is None and os.path.isfile(filename):
        try:
            with open(filename, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            return None
    return text


def locals_of(f, names):
    """[(name, value)] of a frame's local slots that hold something, in slot order."""
    code = f.code
    known = names.get((code.filename, code.name, tuple(code.instrs)), {})
    first = 1 if code.is_method else 0
    out = []
    for slot, v in enumerate(f.locals):
        if slot == 0 and code.is_method:
            name = "this"
        elif first <= slot < first + len(code.params):
            name = code.params[slot - first]
        else:
            name = known.get(slot)
            if name is None:
                if v is None or v.__class__ is Iter:
                    continue
                name = f"(slot {slot})"
        if v.__class__ is Cell:
            v = v.value
        if v.__class__ is Iter:
            continue
        out.append((name, v))
    return out


def say_text(v, width):
    """`v` as `say` prints it, cut after `width` characters (the cut marked by '...')."""
    parts = []
    room = [width + 1]

    def put(s):
        parts.append(s)
        room[0] -= len(s)
        return room[0] > 0

    def walk(x, depth):
        cls = x.__class__
        if cls is list and depth <= 100:
            if not put("["):
                return False
            for i, y in enumerate(x):
                if (i and not put(", ")) or not walk(y, depth + 1):
                    return False
            return put("]")
        if cls is dict and depth <= 100:
            if not put("{"):
                return False
            for i, (k, y) in enumerate(x.items()):
                if (i and not put(", ")) or not put(k + ": ") or not walk(y, depth + 1):
                    return False
            return put("}")
        if depth > 100 and (cls is list or cls is dict):
            return put("...")
        return put(to_str(x)[:room[0]])

    walk(v, 0)
    text = "".join(parts)
    return text if len(text) <= width else text[:max(0, width - 3)] + "..."


# ---- the three commands --------------------------------------------------------------------------------------------

def info(snap):
    h = snap.header
    fl = h.fields
    out = {"file": snap.path, "size": snap.size, "format": h.version, "runtime": fl.get("runtime"),
           "written": None, "host": fl.get("host"), "pid": _int(fl.get("pid")), "cwd": fl.get("cwd"),
           "run": fl.get("run"),
           "sequence": _int(fl.get("seq")), "program": fl.get("program"), "program_sha256": fl.get("program-sha256"),
           "sealed": h.sealed, "key_id": fl.get("key"), "seal": fl.get("seal")}
    ms = _int(fl.get("written"))
    if ms is not None:
        out["written"] = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(ms / 1000))
        out["written_ms"] = ms
    if snap.vm is None:
        out["body"] = snap.closed
        return out
    vm = snap.vm
    frames = frames_of(vm)
    if frames:
        _, f, line = frames[0]
        out["resumes_at"] = {"file": f.code.filename, "line": line, "function": frame_name(f)}
    sleep = vm.module_state.get("sys")
    if sleep is not None:           # taken during a sleep: the resume sleeps until the same deadline
        out["sleeps_until_ms"] = int(sleep["sleepUntil"] * 1000)
    out["frames"] = len(frames)
    kinds = objects_by_kind(vm)
    out["objects"] = {"total": sum(kinds.values()), "by_kind": kinds}
    return out


def info_text(d):
    rows = [("file", f"{d['file']} ({d['size']:,} bytes)"),
            ("format", f"{d['format']}, written by Neutron {_s(d['runtime'])}")]
    if d.get("written"):
        rows.append(("written", f"{time.strftime('%Y-%m-%d %H:%M:%S %z', time.localtime(d['written_ms'] / 1000))}"
                                f" on {_s(d['host']) or '?'} (pid {d['pid']})"))
    rows.append(("run", f"{_s(d['run'])}, snapshot {d['sequence']} of the run"))
    program = _s(d["program"]) or "?"
    if d.get("cwd") and not os.path.isabs(program):
        program = os.path.join(_s(d["cwd"]), program)
    if d.get("program_sha256"):
        program += f" (sha256 {_s(d['program_sha256'])[:16]}...)"
    rows.append(("program", program))
    if d["sealed"]:
        rows.append(("sealed", f"yes ({_s(d['seal']).upper()}, key id {_s(d['key_id'])})"))
    else:
        rows.append(("sealed", "no"))
    if "body" in d:
        rows.append(("body", f"not shown: {d['body']}"))
    else:
        r = d.get("resumes_at")
        if r:
            rows.append(("resumes at", f"{os.path.basename(r['file'])}:{r['line']} in {r['function']}"))
        if "sleeps_until_ms" in d:
            rows.append(("sleeping", "until " + time.strftime("%Y-%m-%d %H:%M:%S %z",
                                                              time.localtime(d["sleeps_until_ms"] / 1000))))
        rows.append(("frames", str(d["frames"])))
        kinds = d["objects"]["by_kind"]
        rows.append(("objects", f"{d['objects']['total']:,}" + (" (" + ", ".join(
            f"{n:,} {_plural(k, n)}" for k, n in kinds.items()) + ")" if kinds else "")))
    return "".join(f"{name:<11} {value}\n" for name, value in rows)


def stack(snap):
    vm = snap.vm
    out = []
    for i, f, line in frames_of(vm):
        text = source_of(vm, f.code.filename)
        src = source_line(text, line) if text is not None else None
        out.append({"index": i, "function": frame_name(f), "file": f.code.filename, "line": line, "source": src})
    return {"file": snap.path, "frames": out}


def stack_text(d, highlight=None):
    frames = d["frames"]
    out = []
    if frames:
        top = frames[0]
        out.append(f"{d['file']} resumes at {os.path.basename(top['file'])}:{top['line']} in {top['function']}\n")
    for fr in frames:
        out.append(f"  #{fr['index']} {fr['function']} ({os.path.basename(fr['file'])}:{fr['line']})\n")
        if fr["source"] is not None:
            text = fr["source"].strip()
            out.append(f"     {fr['line']:5d} | {highlight(text).rstrip() if highlight else text}\n")
    return "".join(out)


def variables(snap, index, width, slot_names=None):
    vm = snap.vm
    frames = frames_of(vm)
    if not 0 <= index < len(frames):
        raise IndexError(f"there is no frame {index} (the snapshot has {len(frames)}, numbered from 0, innermost "
                         f"first)")
    i, f, line = frames[index]
    if snap.names is None:
        snap.names = slot_names(vm.sources) if slot_names is not None else {}
    names = snap.names

    def entry(name, v):
        return {"name": name, "type": type_name(v), "value": say_text(v, width)}

    g = f.func.globals if f.func is not None else vm.globals
    return {"file": snap.path,
            "frame": {"index": i, "function": frame_name(f), "file": f.code.filename, "line": line,
                      "locals": [entry(n, v) for n, v in locals_of(f, names)]},
            "globals": [entry(n, v) for n, v in g.items()]}


def variables_text(d):
    fr = d["frame"]
    out = [f"frame #{fr['index']}: {fr['function']} ({os.path.basename(fr['file'])}:{fr['line']})\n"]
    out += _rows(fr["locals"]) or ["  (no locals)\n"]
    out.append("globals:\n")
    out += _rows(d["globals"]) or ["  (none)\n"]
    return "".join(out)


def _rows(entries):
    wide = min(24, max((len(e["name"]) for e in entries), default=0))
    return [f"  {e['name']:<{wide}} = {e['value']}\n" for e in entries]


def _plural(kind, n):
    if n == 1 or kind == "code":
        return kind
    return kind + "es" if kind.endswith("s") else kind + "s"


def _s(v):
    return shown(v) if isinstance(v, str) else ("" if v is None else str(v))


def _int(v):
    return int(v) if isinstance(v, str) and v.isdigit() and v.isascii() else None


# ---- the command line ----------------------------------------------------------------------------------------------

def main(args, out, err, new_vm, slot_names=None, highlight=None):
    """The command: `new_vm()` makes the VM a snapshot is read into; `slot_names(sources)` names local slots (see
    locals_of); `highlight(text)` colours a source line for a terminal."""
    want_json, frame, width, rest = False, 0, None, []
    it = iter(args)
    for a in it:
        if a == "--json":
            want_json = True
        elif a in ("--frame", "--width"):
            v = next(it, None)
            if v is None or not v.isdigit():
                return _usage(err, f"{a} needs a number")
            if a == "--frame":
                frame = int(v)
            else:
                width = max(8, int(v))
        elif a in ("-h", "--help"):
            out.write(USAGE)
            return EXIT_OK
        else:
            rest.append(a)
    if len(rest) != 2 or rest[0] not in ("info", "stack", "vars"):
        return _usage(err, "say what to show (info, stack or vars) and of which snapshot file")
    what, path = rest
    try:
        snap = Snapshot(path, what != "info", new_vm())
    except OSError as e:
        err.write(f"neutron: cannot read snapshot '{path}': {e.strerror or e}\n")
        return EXIT_SNAPSHOT
    except SnapshotError as e:
        err.write(f"neutron: cannot read snapshot '{path}': {e}\n")
        return EXIT_SNAPSHOT
    if what == "info":
        d = info(snap)
        text = info_text(d)
    elif what == "stack":
        d = stack(snap)
        text = stack_text(d, highlight if _isatty(out) else None)
    else:
        if width is None:
            width = 100000 if want_json else max(40, shutil.get_terminal_size((100, 24)).columns - 30)
        try:
            d = variables(snap, frame, width, slot_names)
        except IndexError as e:
            err.write(f"neutron: {e}\n")
            return EXIT_USAGE
        text = variables_text(d)
    out.write(json.dumps(d, indent=2, ensure_ascii=False) + "\n" if want_json else text)
    return EXIT_OK


def _usage(err, message):
    err.write(f"neutron snapshot: {message}\n{USAGE}")
    return EXIT_USAGE


def _isatty(stream):
    try:
        return stream.isatty() and not os.environ.get("NO_COLOR")
    except (AttributeError, ValueError):
        return False
