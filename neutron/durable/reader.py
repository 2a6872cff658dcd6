"""Reading a snapshot body; the mirror of writer.py, function for function.

The string table and the object table come first: every object gets an empty shell, a run of one kind at a time, so
that a reference can point anywhere in the table (this is what lets cycles and aliasing survive). The head is
decoded next and the named objects (natives, modules) are made from it; then the body's columns are decoded, its
references resolved against the finished table, and read in the order they were written: the roots, then each
run's contents. Each heap kind has a `load_<kind>` registered in LOAD right under it, with its shell maker (or, for
natives and modules, the function that makes the objects from the names the file gives). Nothing read is trusted:
every failure is a SnapshotError with a one-line reason, raised before anything runs.
"""
from __future__ import annotations

from array import array
from collections import deque
from itertools import accumulate, chain, compress, islice, repeat
from operator import attrgetter, is_, lt, setitem
from typing import Callable, NamedTuple

from ..bytecode.code import Code
from ..errors import NeutronError
from ..runtime.frames import Frame, Iter
from ..runtime.values import Buffer, BoundMethod, Cell, Class, Function, Instance, Module, Native
from ..runtime.values import Resource, Task
from ..stdlib import instantiate, native_module
from .columns import Cursor, get_blob, get_strings, get_tagged_values, get_uints, resolve
from .format import BIG_ENDIAN, FLIGHTS, FLOATS_MIN, K_BOUND, K_BUFFER, K_CELL, K_CLASS, K_CODE, K_DICT, K_FUNC, \
    K_INST, K_ITER, K_LIST, K_MODULE, K_NATIVE, K_RESOURCE, K_TASK, MAX_COUNT, T_REF, SnapshotError, damaged, shown
from .verify import check_code, check_frames, check_graph, home_codes, type_name


def short():
    damaged("a column ends too soon")


class Stream:
    """One part of the body, its columns decoded; read in the order writer.Stream was written."""

    def __init__(self, cur, strings, objects):
        self.u = get_uints(cur)
        indices = get_uints(cur)
        self.s = resolve(indices, len(indices), strings, "string")
        self.v, self.tags = get_tagged_values(cur, strings, objects)
        n = cur.varint()
        if n > (cur.end - cur.pos) // 8:
            raise SnapshotError("truncated snapshot")
        self.d = cur.take(8 * n)
        self.b = get_blob(cur)
        self.ui = self.si = self.vi = self.di = self.bi = 0

    def plain_since(self, i):
        """Whether the values read since the value column's position `i` hold no reference (nil, booleans, numbers
        and strings alone)."""
        return self.tags.find(T_REF, i, self.vi) < 0

    def finished(self):
        return self.ui == len(self.u) and self.si == len(self.s) and self.vi == len(self.v) and \
            self.di == len(self.d) and self.bi == len(self.b)

    def uint(self):
        i = self.ui
        if i >= len(self.u):
            short()
        self.ui = i + 1
        return self.u[i]

    def count(self, limit=MAX_COUNT):
        n = self.uint()
        if n > limit:
            damaged("count out of range")
        return n

    def uints(self, n):
        i = self.ui
        j = i + n
        if j > len(self.u):
            short()
        self.ui = j
        return self.u[i:j]

    def string(self):
        i = self.si
        if i >= len(self.s):
            short()
        self.si = i + 1
        return self.s[i]

    def strings(self, n):
        i = self.si
        j = i + n
        if j > len(self.s):
            short()
        self.si = j
        return self.s[i:j]

    def value(self):
        i = self.vi
        if i >= len(self.v):
            short()
        self.vi = i + 1
        return self.v[i]

    def values(self, n):
        i = self.vi
        j = i + n
        if j > len(self.v):
            short()
        self.vi = j
        return self.v[i:j]

    def doubles(self, n):
        i = self.di
        j = i + 8 * n
        if j > len(self.d):
            short()
        self.di = j
        a = array("d")
        a.frombytes(self.d[i:j])
        if BIG_ENDIAN:
            a.byteswap()
        return a.tolist()

    def blob(self, n):
        i = self.bi
        j = i + n
        if j > len(self.b):
            short()
        self.bi = j
        return self.b[i:j]

    def get_map(self, into):
        """Fill the dict `into` from a map written by writer.Stream.put_map; returns it."""
        n = self.count()
        into.update(zip(self.strings(n), self.values(n)))
        return into


class Reader:
    def __init__(self, vm):
        self.vm = vm
        self.head = None
        self.body = None
        self.later = []         # (check, run): checks that need the whole table filled
        self.preludes = []      # (module name, its Neutron functions as the head gives them)
        self.numeric = set()    # ids of the arrays read as doubles: numbers alone, nothing in them to check
        self.plain = set()      # the starts of the runs of arrays, objects and instances whose items, members or
                                # fields hold no reference: nothing in them for check_graph to check
        self.first = 0          # where the values of the run being read start (those after it are its items,
                                # members or fields)


class Kind(NamedTuple):
    shells: Callable        # (n) -> n empty objects of this kind
    load: Callable          # (reader, run): read a run's contents into its objects
    make: Callable = None   # (reader, n) -> the objects, made from the names in the head, before any contents
    holds: bool = False     # its objects hold values alone (arrays, objects, instances): a run whose values hold no
                            # reference has nothing for check_graph to check


LOAD = {}   # kind tag -> Kind


def empty(cls):
    """Shells made without running __init__: load_<kind> sets every slot."""
    return lambda n: list(map(cls.__new__, repeat(cls, n)))


def unnamed(n):
    return [None] * n


def load_nothing(r, run):
    pass


def load_list(r, run):
    s = r.body
    lens = s.uints(len(run))
    longer = sum(map(FLOATS_MIN.__lt__, lens))
    forms = s.uints(longer) if longer else ()
    if not set(forms) <= {0, 1}:
        damaged("bad array")
    if 1 not in forms:          # no array written as doubles
        items = iter(s.values(sum(lens)))
        deque(map(list.extend, run, map(islice, repeat(items), lens)), 0)
        return
    forms = iter(forms)
    for lst, n in zip(run, lens):
        if n > FLOATS_MIN and next(forms):
            lst += s.doubles(n)
            r.numeric.add(id(lst))
        else:
            lst += s.values(n)


LOAD[K_LIST] = Kind(lambda n: [[] for _ in range(n)], load_list, holds=True)


def read_shapes(s, n):
    """The shapes of a run of n maps (writer.save_shapes): (each shape's keys, each map's shape index, or None when
    they all have the one shape)."""
    count = s.count(n)
    if (count == 0) != (n == 0):
        damaged("bad shapes")
    shapes = []
    for _ in range(count):
        keys = s.strings(s.count())
        if len(set(keys)) != len(keys):
            damaged("a key repeated in a shape")
        shapes.append(keys)
    if count < 2:
        return shapes, None
    ids = s.uints(n)
    if max(ids) >= count:
        damaged("shape out of range")
    return shapes, ids


SHAPE_COLUMNS = 64      # maps of one shape at least this many: filled a key at a time


def fill_shaped(s, maps, shapes, ids):
    """Fill the maps from their shapes (read_shapes) and their values, in the order writer.save_dict wrote them."""
    n = len(maps)
    if ids is None:
        keys = shapes[0] if shapes else ()
        k = len(keys)
        values = s.values(k * n)
        if n >= SHAPE_COLUMNS:
            # the j-th key of every map at a time
            for j, key in enumerate(keys):
                deque(map(setitem, maps, repeat(key, n), values[j::k]), 0)
            return
        deque(map(setitem, chain.from_iterable(map(repeat, maps, repeat(k))), chain.from_iterable(repeat(keys, n)),
                  values), 0)
        return
    per = list(map(shapes.__getitem__, ids))
    keys = list(chain.from_iterable(per))
    fill_maps(maps, list(map(len, per)), keys, s.values(len(keys)))


def fill_maps(maps, lens, keys, values):
    """Each map takes as many of the keys and values as its length says, in order."""
    n = len(maps)
    k = lens[0] if n else 0
    if n > 2 and lens.count(k) == n:
        # maps of one size: the j-th pair of every map at a time, in the order each map was written
        for j in range(k):
            deque(map(setitem, maps, keys[j::k], values[j::k]), 0)
        return
    # each pair goes into its map (each map repeated once per pair it takes): one loop run in C, none in Python
    deque(map(setitem, chain.from_iterable(map(repeat, maps, lens)), keys, values), 0)


def load_dict(r, run):
    s = r.body
    fill_shaped(s, run, *read_shapes(s, len(run)))


LOAD[K_DICT] = Kind(lambda n: [{} for _ in range(n)], load_dict, holds=True)


def load_cell(r, run):
    for c, v in zip(run, r.body.values(len(run))):
        c.value = v


LOAD[K_CELL] = Kind(empty(Cell), load_cell)


def load_function(r, run):
    s = r.body
    n = len(run)
    codes = s.values(n)
    lens = s.uints(n)
    cells = iter(s.values(sum(lens)))
    for f, code, k, g, name in zip(run, codes, lens, s.values(n), s.strings(n)):
        f.code = code
        f.cells = tuple(islice(cells, k))
        f.globals = g
        f.name = name
    r.later.append((check_functions, run))


def check_functions(r, run):
    for f in run:
        code = f.code
        if code.__class__ is not Code or f.globals.__class__ is not dict or \
                not all(c.__class__ is Cell for c in f.cells):
            damaged("bad function")
        if len(f.cells) != len(code.freevars):
            damaged("a function's cells do not match its code")


LOAD[K_FUNC] = Kind(empty(Function), load_function)


def load_code(r, run):
    s = r.body
    for c in run:
        c.name = s.string()
        c.filename = s.string()
        n = s.count(1 << 16)
        c.params = s.strings(n)
        c.param_types = s.values(n)
        c.return_type = s.value()
        c.is_method = s.value() is True
        c.min_args = s.uint()           # 1 << 30 when every parameter is required: not a count
        if c.min_args > 1 << 30:
            damaged("bad argument count")
        c.nlocals = s.count(1 << 20)
        c.cell_params = s.uints(s.count(1 << 20))
        n = s.count(1 << 20)
        c.freevars = list(zip(map(is_, s.values(n), repeat(True)), s.uints(n)))
        c.names = s.strings(s.count())
        consts = []
        for form in s.uints(s.count()):
            if form == 0:
                consts.append(s.value())
            elif form <= 5:
                consts.append(tuple(s.values(form - 1)))
            else:
                damaged("bad constant")
        c.consts = consts
        n = s.count()
        ops = s.uints(n)
        forms = s.uints(n)
        ints, pairs = forms.count(1), forms.count(2)
        if ints + pairs + forms.count(0) != n:
            damaged("bad operand form")
        ints = iter(s.uints(ints))
        flat = s.uints(2 * pairs)
        pairs = iter(list(zip(flat[::2], flat[1::2])))
        c.instrs = list(zip(ops, map(next, map((repeat(None), ints, pairs).__getitem__, forms))))
        c.lines = s.uints(n)
        c.cols = [x - 1 for x in s.uints(n)]


LOAD[K_CODE] = Kind(lambda n: [Code("", "") for _ in range(n)], load_code)


def load_class(r, run):
    s = r.body
    for c in run:
        c.name = s.string()
        s.get_map(c.methods)
        n = s.count()
        for fname, ftype in zip(s.strings(n), s.values(n)):
            if ftype is not None and not type_name(ftype):
                damaged("bad field type")
            c.add_field(fname, ftype)
    r.later.append((check_classes, run))


def check_classes(r, run):
    for c in run:
        if not all(m.__class__ is Function for m in c.methods.values()):
            damaged("bad method")


LOAD[K_CLASS] = Kind(lambda n: [Class("", {}, []) for _ in range(n)], load_class)


def load_instance(r, run):
    s = r.body
    n = len(run)
    shapes, ids = read_shapes(s, n)
    klasses = s.values(len(shapes))
    r.first = s.vi              # the classes are checked here: the fields' values follow
    if not all(map(is_, map(type, klasses), repeat(Class))):
        damaged("an instance of something other than a class")
    if not n:
        return
    fields = [{} for _ in range(n)]
    fill_shaped(s, fields, shapes, ids)
    deque(map(setattr, run, repeat("klass"), repeat(klasses[0], n) if ids is None else
              map(klasses.__getitem__, ids)), 0)
    deque(map(setattr, run, repeat("fields"), fields), 0)


LOAD[K_INST] = Kind(empty(Instance), load_instance, holds=True)


def load_bound(r, run):
    s = r.body
    n = len(run)
    for b, receiver, method in zip(run, s.values(n), s.values(n)):
        b.receiver = receiver
        b.method = method


LOAD[K_BOUND] = Kind(empty(BoundMethod), load_bound)


def native_named(qualname):
    """A native is found by its qualified name in the standard library's tables: the allow-list."""
    mod, _, name = qualname.partition(".")
    if mod == "prelude":
        from ..runtime import methods   # lazy: start-up (only snapshots taken inside a built-in method need it)
        entry = methods.PRELUDE_NATIVES.get(name)
        if entry is not None:
            fn, lo, hi = entry
            return Native(qualname, fn, lo, hi)
    else:
        nm = native_module(mod)
        if nm is not None and name in nm.functions:
            return nm.functions[name]
    raise SnapshotError(f"the snapshot names a built-in function this Neutron does not have: '{shown(qualname)}'")


def make_native(r, n):
    return list(map(native_named, r.head.strings(n)))


LOAD[K_NATIVE] = Kind(unnamed, load_nothing, make_native)


def make_module(r, n):
    """A native module is made by name, with its prelude's functions from the file (nothing is compiled); a file
    module gets a shell, filled with its members later."""
    h, vm = r.head, r.vm
    out = []
    for _ in range(n):
        name = h.string()
        native = h.value()
        if native is True:
            prelude = h.get_map({})
            if not all(f.__class__ is Function for f in prelude.values()):
                damaged("bad module")
            r.preludes.append((name, prelude))
            m = vm.modules.get(name) or instantiate(vm, name, prelude)
            if m is None:
                raise SnapshotError(f"the snapshot uses a module this Neutron does not have: '{shown(name)}'")
            vm.modules[name] = m
        elif native is False:
            m = Module(name, {}, native=False)
        else:
            damaged("bad module")
        out.append(m)
    return out


def load_module(r, run):
    s = r.body
    for m in run:
        if not m.native:
            members = s.value()
            if members.__class__ is not dict:
                damaged("bad module members")
            m.members = members


LOAD[K_MODULE] = Kind(unnamed, load_module, make_module)


def load_buffer(r, run):
    s = r.body
    for b, n in zip(run, s.uints(len(run))):
        b.data = bytearray(s.blob(n))


LOAD[K_BUFFER] = Kind(empty(Buffer), load_buffer)


def load_resource(r, run):
    s = r.body
    for res in run:
        res.kind = s.string()
        s.get_map(res.info)
        res.handle = None       # it does not survive a resume: using it raises a clear error


LOAD[K_RESOURCE] = Kind(lambda n: [Resource("", None) for _ in range(n)], load_resource)


def load_iter(r, run):
    s = r.body
    n = len(run)
    for it, keys, count, i in zip(run, s.values(n), s.uints(n), s.uints(n)):
        it.keys = keys
        it.n = count
        it.i = i
    r.later.append((check_iters, run))


def check_iters(r, run):
    for it in run:
        if it.keys is not None and (it.keys.__class__ is not list or it.n > len(it.keys)) or it.i > it.n:
            damaged("bad loop iterator")


LOAD[K_ITER] = Kind(empty(Iter), load_iter)


TASK_KINDS = ("main", "task", "timer", "process")
TASK_STATES = ("ready", "running", "sleeping", "awaiting", "receiving", "io", "done", "failed", "killed")


def load_task(r, run):
    s = r.body
    for t in run:
        t.id, t.pid, fresh, seq = s.uints(4)
        t.fresh = fresh == 1
        t.timer_seq = seq - 1 if seq else None
        t.kind, t.state = s.strings(2)
        if t.kind not in TASK_KINDS or t.state not in TASK_STATES or fresh > 1:
            damaged("bad task")
        wake, t.waiting_on, t.deadline, t.result, error, observed, t.waiters, t.mailbox, t.receivers = s.values(9)
        t.observed = observed is True
        t.wake = wake           # a list, whose items are read later: check_tasks
        t.error = error
        t.frames = read_frames(s)
        t.placement = None
    r.later.append((check_tasks, run))


def check_tasks(r, run):
    """The tasks' fields have the right types; their frames are made (and checked as the roots' are, by load's
    check_frames: a task that waits for a call's result has it pushed when it goes on)."""
    for t in run:
        wake, error = t.wake, t.error
        if wake.__class__ is list:
            wake = t.wake = tuple(wake)
        if wake is not None and (wake.__class__ is not tuple or not (
                len(wake) == 2 and wake[0] == "value" or len(wake) == 3 and wake[0] == "throw"
                and wake[2].__class__ is bool)):
            damaged("bad task")
        if error is not None:
            if error.__class__ is not list or len(error) != 4 or error[1].__class__ is not bool or \
                    error[2].__class__ is not list or not all(
                        e.__class__ is list and len(e) == 4 and e[0].__class__ is str and e[1].__class__ is str
                        and e[2].__class__ is float and e[3].__class__ is float and 0 <= e[2] < 1 << 31
                        and -1 <= e[3] < 1 << 31 for e in error[2]) or not (
                    error[3] is None or error[3].__class__ is str):
                damaged("bad task")
            t.error = (error[0], error[1], [(n, f, int(ln), int(c)) for n, f, ln, c in error[2]], error[3])
        if not (t.waiting_on is None or t.waiting_on.__class__ is Task) or \
                not (t.deadline is None or t.deadline.__class__ is float) or \
                not all(x.__class__ is list for x in (t.waiters, t.mailbox, t.receivers)) or \
                not all(w.__class__ is Task for w in t.waiters + t.receivers):
            damaged("bad task")
        frames = make_frames(t.frames)
        if t.fresh and t.wake is not None:
            damaged("bad task")
        t.frames = frames


LOAD[K_TASK] = Kind(empty(Task), load_task)


# ---- frames and roots -------------------------------------------------------------------------------------------

def read_frames(s):
    """The frames' columns (reader: make_frames, once the objects are filled)."""
    n = s.count()
    funcs = s.values(n)
    ips = s.uints(n)
    nlocals = s.uints(n)
    locals_ = s.values(sum(nlocals))
    nstack = s.uints(n)
    stack = s.values(sum(nstack))
    nhandlers = s.uints(n)
    handlers = s.uints(2 * sum(nhandlers))
    has_result = s.uints(n)
    if not set(has_result) <= {0, 1}:
        damaged("bad frame")
    results = s.values(sum(has_result))
    return funcs, ips, nlocals, locals_, nstack, stack, nhandlers, handlers, has_result, results


def make_frames(columns):
    funcs, ips, nlocals, locals_, nstack, stack, nhandlers, handlers, has_result, results = columns
    if not all(map(is_, map(type, funcs), repeat(Function))):
        damaged("a frame without a function")
    codes = list(map(attrgetter("code"), funcs))
    if not all(map(lt, ips, map(len, map(attrgetter("instrs"), codes)))) or \
            list(map(attrgetter("nlocals"), codes)) != nlocals:
        damaged("bad frame")
    # each frame's slices of the locals and stack columns, cut and put in place by C-level loops
    frames = list(map(Frame, funcs, codes, slices(locals_, nlocals), ips))
    deque(map(setattr, frames, repeat("stack"), slices(stack, nstack)), 0)
    if any(nhandlers):
        pairs = iter(handlers)
        for f, nh, ns in zip(frames, nhandlers, nstack):
            if nh:
                f.handlers = list(islice(zip(pairs, pairs), nh))
                for target, depth in f.handlers:
                    if target > len(f.code.instrs) or depth > ns + 1:
                        damaged("bad handler")
    if any(has_result):
        deque(map(setattr, compress(frames, has_result), repeat("result"), results), 0)
    return frames


def slices(column, lens):
    """The consecutive pieces of `column` of these lengths."""
    ends = list(accumulate(lens))
    return map(column.__getitem__, map(slice, chain((0,), ends), ends))


def read_roots(r):
    """The VM's state outside the object table, as read (apply_roots puts it in the VM)."""
    s = r.body
    script_path = s.string()
    sources = s.strings(2 * s.count())
    globals_, prelude = s.values(2)
    return script_path, sources, globals_, prelude, s.get_map({}), s.get_map({}), read_frames(s)


def apply_roots(r, vm, roots):
    """Check the roots and put them in the VM; returns the frames."""
    script_path, sources, globals_, prelude, modules, states, frames = roots
    vm.script_path = script_path
    vm.sources.update(zip(sources[::2], sources[1::2]))
    if globals_.__class__ is not dict:
        damaged("bad globals")
    vm.globals = globals_
    if prelude is not None and prelude.__class__ is not dict:
        damaged("bad prelude")
    vm.prelude = prelude
    for name, m in modules.items():
        if m.__class__ is not Module:
            damaged("bad module")
        vm.modules[name] = m
    for name, state in states.items():
        if name == FLIGHTS:
            vm.flights = flights(state)
            continue
        nm = native_module(name)
        if nm is None or nm.load_state is None:
            damaged("state for a module that keeps none")
        try:
            nm.load_state(vm, state)
        except (NeutronError, TypeError, ValueError, KeyError, IndexError):
            damaged(f"bad state for module {shown(name)}")
    return make_frames(frames)


def homes(r, vm):
    """The globals of the built-in modules' Neutron functions (verify.check_graph): id -> (module name, ids of
    its code, the globals)."""
    out = {}
    shared = {id(vm.globals)} | {id(m.members) for m in vm.modules.values() if not m.native}
    for name, prelude in r.preludes:
        gs = {id(f.globals): f.globals for f in prelude.values()}
        if len(gs) > 1:
            damaged("bad module")
        for i, g in gs.items():
            if i in shared or i in out:
                damaged("bad module")
            out[i] = (name, home_codes(g), g)
    if vm.prelude is not None:
        if id(vm.prelude) in shared or id(vm.prelude) in out:
            damaged("bad prelude")
        out[id(vm.prelude)] = ("prelude", home_codes(vm.prelude), vm.prelude)
    return out


def flights(state):
    """VM.flights from what writer.module_states made of it."""
    out = {}
    if state.__class__ is not list:
        damaged("bad exceptions in flight")
    for rec in state:
        if not (rec.__class__ is list and len(rec) == 3 and rec[1].__class__ is bool and rec[2].__class__ is list):
            damaged("bad exceptions in flight")
        places = []
        for p in rec[2]:
            if not (p.__class__ is list and len(p) == 4 and p[0].__class__ is str and p[1].__class__ is str and
                    p[2].__class__ is float and p[3].__class__ is float and 0 <= p[2] < 1 << 31 and
                    -1 <= p[3] < 1 << 31 and p[2].is_integer() and p[3].is_integer()):
                damaged("bad exceptions in flight")
            places.append((p[0], p[1], int(p[2]), int(p[3])))
        out[id(rec[0])] = (rec[0], rec[1], None, places)
    return out


def read_table(table, size):
    """The object table's runs: (Kind, start, count)."""
    if not table or len(table) != 1 + 2 * table[0]:
        damaged("bad object table")
    counts = table[2::2]
    if sum(counts) > size:      # every object takes at least a byte of the body
        damaged("count out of range")
    runs = []
    start = 0
    for k, n in zip(table[1::2], counts):
        kind = LOAD.get(k)
        if kind is None:
            damaged("bad kind tag")
        runs.append((kind, start, n))
        start += n
    return runs


def read_body(vm, body, read_root):
    """The objects of a body (a memoryview), filled and checked kind by kind: (reader, runs, objects, what
    read_root(reader) read first from the body's own part: the roots of a snapshot, one value of a transfer)."""
    cur = Cursor(body)
    strings = get_strings(cur)
    runs = read_table(get_uints(cur), len(body))
    objects = []
    for kind, start, n in runs:
        objects += kind.shells(n)
    r = Reader(vm)
    r.head = Stream(cur, strings, objects)
    for kind, start, n in runs:
        if kind.make is not None:
            objects[start:start + n] = kind.make(r, n)
    r.body = Stream(cur, strings, objects)
    if cur.pos != cur.end:
        damaged("extra bytes after the roots")
    root = read_root(r)
    for kind, start, n in runs:
        r.first = r.body.vi
        kind.load(r, objects[start:start + n])
        if kind.holds and r.body.plain_since(r.first):
            r.plain.add(start)
    if not (r.head.finished() and r.body.finished()):
        damaged("extra data after the objects")
    for check, run in r.later:
        check(r, run)
    return r, runs, objects, root


def load(vm, body):
    """Restore the VM's state from a snapshot body (a memoryview)."""
    try:
        r, runs, objects, roots = read_body(vm, body, read_roots)
        code_kind = LOAD[K_CODE]
        states = {id(c): check_code(c, damaged) for kind, start, n in runs if kind is code_kind
                  for c in objects[start:start + n]}
        frames = apply_roots(r, vm, roots)
        groups = {}
        for kind, start, n in runs:     # each run holds objects of one class
            if n and start not in r.plain:
                groups.setdefault(objects[start].__class__, []).extend(objects[start:start + n])
        if r.numeric:
            groups[list] = [x for x in groups.get(list, ()) if id(x) not in r.numeric]
        is_value, home = check_graph(groups, homes(r, vm), damaged)
        check_frames(frames, states, damaged, is_value, home)
        for t in groups.get(Task, ()):
            if t.frames:
                check_frames(t.frames, states, damaged, is_value, home, top_waits=not t.fresh)
    except RecursionError:
        raise SnapshotError("the file is damaged (nested too deeply)") from None
    vm.frames = frames
