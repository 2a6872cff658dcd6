"""Writing a snapshot body; reader.py is its mirror, function for function.

The body is written in columns (columns.py): every value goes to a list of values, every structural integer (a
length, an instruction index) to a list of integers, every string that is a name or a key to a list of strings, and
each list is encoded at the end in a few C loops. There are two such streams: the head, read before any reference
is resolved (how the named objects, natives and modules, are made), and the body proper (the roots, then every
object's contents).

Objects are found breadth first, without recursion: the values written since the last look are tagged, and the
objects they refer to that have no index yet get the next indices, grouped in runs of one kind (so sharing and
cycles survive, and the reader makes each run's empty shells in one go). Each heap kind has a `save_<kind>` that
writes the contents of a whole run, registered in SAVE right under it, as pickle.py does; the kind tags and the set
of classes a snapshot can hold are read off SAVE.
"""
from __future__ import annotations

from collections import deque
from itertools import chain, compress, count, repeat
from operator import attrgetter, is_, is_not, itemgetter
from struct import error as StructError
from typing import Callable, NamedTuple

from ..bytecode.code import Code
from ..errors import NeutronError
from ..runtime.frames import NO_RESULT, Iter
from ..runtime.values import Buffer, BoundMethod, Cell, Class, Function, Instance, Module, Native, Resource, Task
from ..stdlib import native_module
from .columns import FLIP, MASK, has_double, pack_doubles, pick, put_strings, put_uints, put_values, tags_of, varint
from .format import FLIGHTS, FLOATS_MIN, K_BOUND, K_BUFFER, K_CELL, K_CLASS, K_CODE, K_DICT, K_FUNC, \
    K_INST, K_ITER, K_LIST, K_MODULE, K_NATIVE, K_RESOURCE, K_TASK, T_REF, T_STR


class Stream:
    """One part of the body, column by column, in writing order (reader: reader.Stream)."""

    def __init__(self):
        self.uints = []
        self.strs = []
        self.vals = []
        self.doubles = []       # arrays' doubles, as bytes (columns.pack_doubles)
        self.ndoubles = 0
        self.blobs = []         # buffers' bytes
        self.nblob = 0
        self.tags = []          # tag bytes of vals[:scanned], in pieces
        self.scanned = 0
        self.refs = []          # the table index of each reference in vals[:scanned]

    def put_map(self, d):
        """A map from strings to values: count, keys, values (reader: Stream.get_map)."""
        self.uints.append(len(d))
        self.strs += d
        self.vals += d.values()

    def put(self, out, strs, value_strs, top, nobjects):
        """`strs`, `value_strs`: the string-table indices of self.strs and of the strings among self.vals (at most
        `top`)."""
        put_uints(out, self.uints)
        put_uints(out, strs, top)
        put_values(out, self.vals, self.tags[0], value_strs, top, self.refs, nobjects)
        out.append(varint(self.ndoubles))
        out += self.doubles
        out.append(varint(self.nblob))
        out += self.blobs


class Writer:
    def __init__(self):
        self.memo = {}              # id(obj) -> index
        self.objects = []
        self.runs = []              # (Kind, objects): the table, in order
        self.head = Stream()
        self.body = Stream()

    def scan(self, s):
        """Tag the values written to `s` since the last scan; give an index to the objects they refer to that have
        none yet; note each reference's index."""
        vals = s.vals
        if s.scanned == len(vals):
            return
        chunk = vals[s.scanned:] if s.scanned else vals
        s.scanned = len(vals)
        tags = tags_of(chunk)
        s.tags.append(tags)
        if T_REF not in tags:
            return
        if chunk is not vals and tags.count(T_REF) == len(tags):     # references alone (an array's items)
            refs = chunk
        else:
            refs = list(compress(chunk, tags.translate(MASK[T_REF])))
        ids = list(map(id, refs))
        memo = self.memo
        new = bytes(map(memo.__contains__, ids)).translate(FLIP)
        if 1 in new:
            if 0 in new:
                self.enter(list(compress(ids, new)), list(compress(refs, new)))
            else:           # all of them new: the usual case
                self.enter(ids, refs)
        s.refs += map(memo.__getitem__, ids)

    def enter(self, ids, objs):
        """New objects (and their ids, none of them in the memo): a run per class, in the order of first
        appearance, each object once."""
        types = list(map(type, objs))
        classes = dict.fromkeys(types)
        memo, objects, runs = self.memo, self.objects, self.runs
        mine = None
        for cls in classes:
            kind = SAVE.get(cls)
            if kind is None:
                raise NeutronError(f"Cannot checkpoint a value of type {cls.__name__}.")
            if len(classes) == 1:
                run, run_ids = objs, ids
            else:
                # of two classes, the second's objects are the ones that are not the first's
                mine = bytes(map(is_, types, repeat(cls))) if mine is None or len(classes) > 2 else \
                    mine.translate(FLIP)
                run, run_ids = list(compress(objs, mine)), list(compress(ids, mine))
            before = len(memo)
            # each new object met once is the usual case: entered as they come, then the memo's growth tells
            memo.update(zip(run_ids, count(len(objects))))
            if len(memo) != before + len(run):
                # some come more than once (the frames of a recursion run one function): entered again, each once,
                # in the order of first appearance
                deque(map(memo.pop, run_ids, repeat(None)), 0)
                first = dict(zip(run_ids, run))
                run = list(first.values())
                memo.update(zip(first, count(len(objects))))
            objects += run
            runs.append((kind, run))

    def finish(self):
        """The body, as a list of bytes-like parts."""
        head, body = self.head, self.body
        for s in (head, body):
            s.tags = [b"".join(s.tags)]
        # the string table in the order strings are first met: the head's and the body's structural strings, then
        # the strings among the head's and the body's values; each string's index found as the table is made
        at = StringIndex().__getitem__
        strs = [list(map(at, s.strs)) for s in (head, body)]
        value_strs = [list(map(at, pick(s.vals, s.tags[0], T_STR))) for s in (head, body)]
        strings = list(at.__self__)
        out = []
        put_strings(out, strings)
        table = [len(self.runs)]
        for kind, run in self.runs:
            table += (kind.tag, len(run))
        put_uints(out, table)
        head.put(out, strs[0], value_strs[0], len(strings) - 1, len(self.objects))
        body.put(out, strs[1], value_strs[1], len(strings) - 1, len(self.objects))
        return out


class StringIndex(dict):
    """string -> its index in the string table, the next one for a string not met before (and the same for the
    shapes of a run of maps)."""
    __slots__ = ()

    def __missing__(self, s):
        i = self[s] = len(self)
        return i


class Kind(NamedTuple):
    tag: int
    save: Callable          # (writer, run): the contents of a run of objects of this kind, into the body
    name: Callable = None   # (writer, run): into the head, how the reader makes them before any contents


SAVE = {}   # class -> Kind


def save_nothing(w, run):
    pass


def doubles_of(lst):
    """The numbers of `lst` as little-endian doubles (bytes), or None when it holds something else."""
    try:
        raw = pack_doubles(lst)
    except (StructError, OverflowError):
        return None
    # pack takes booleans too: each would be 1.0 or 0.0, so look at the items only when those are present
    top = raw[7::8]
    if may_hold(raw, top, ONE) or may_hold(raw, top, ZERO):
        if any(map(is_, lst, repeat(True))) or any(map(is_, lst, repeat(False))):
            return None
    return raw


ONE, ZERO = pack_doubles([1.0]), pack_doubles([0.0])


def may_hold(raw, top, pattern):
    """Whether the 8 bytes `pattern` are one of the doubles in `raw`, whose last bytes (sign and high exponent bits)
    are `top`: those are looked at first, in most data few of them match and each match is checked whole; past a
    few dozen, the whole of `raw` is searched."""
    last = pattern[7:8]
    i = top.find(last)
    for _ in range(48):
        if i < 0:
            return False
        if raw[8 * i:8 * i + 8] == pattern:
            return True
        i = top.find(last, i + 1)
    return has_double(raw, pattern)


def save_list(w, run):
    s = w.body
    lens = list(map(len, run))
    s.uints += lens
    if max(lens) <= FLOATS_MIN:
        s.vals += chain.from_iterable(run)
        return
    forms = []          # per array longer than FLOATS_MIN: 1 when written as doubles
    vals = s.vals
    for lst, n in zip(run, lens):
        if n > FLOATS_MIN:
            a = doubles_of(lst) if lst[0].__class__ is float else None
            forms.append(a is not None)
            if a is not None:
                s.doubles.append(a)
                s.ndoubles += n
                continue
        vals += lst
    s.uints += forms


SAVE[list] = Kind(K_LIST, save_list)


def save_shapes(s, shapes, ids):
    """The shapes of a run of maps: count, each one's keys (count, strings) and, when there are several, each
    map's shape (reader: read_shapes)."""
    s.uints.append(len(shapes))
    for keys in shapes:
        s.uints.append(len(keys))
        s.strs += keys
    if len(shapes) > 1:
        s.uints += ids


def shapes_of(maps):
    """(the shapes of the maps, each the tuple of a map's keys, in the order first met; each map's shape index, or
    None when they have one shape)."""
    n = len(maps)
    lens = list(map(len, maps))
    k = lens[0] if n else 0
    if n and k * 4 <= n and lens.count(k) == n:
        # maps of one size: one shape when the j-th keys of all of them are the same, for each j (a few C loops, no
        # tuple made for each map)
        keys = list(chain.from_iterable(maps))
        first = keys[:k]
        if all(keys[j::k].count(first[j]) == n for j in range(k)):
            return [tuple(first)], None
    shapes = StringIndex()          # (used here for tuples of keys: shape -> its index)
    ids = list(map(shapes.__getitem__, map(tuple, maps)))
    return list(shapes), ids


def save_dict(w, run):
    """Objects by shape (the sequence of their keys): each shape's keys are written once for the run, then each
    object's values in its keys' order."""
    s = w.body
    save_shapes(s, *shapes_of(run))
    s.vals += chain.from_iterable(map(dict.values, run))


SAVE[dict] = Kind(K_DICT, save_dict)


def save_cell(w, run):
    w.body.vals += map(attrgetter("value"), run)


SAVE[Cell] = Kind(K_CELL, save_cell)


def save_function(w, run):
    s = w.body
    s.vals += map(attrgetter("code"), run)
    cells = list(map(attrgetter("cells"), run))
    s.uints += map(len, cells)
    s.vals += chain.from_iterable(cells)
    s.vals += map(attrgetter("globals"), run)
    s.strs += map(attrgetter("name"), run)


SAVE[Function] = Kind(K_FUNC, save_function)

OPERAND_FORM = {type(None): 0, int: 1, tuple: 2}     # an instruction's operand: none, a number, (name, argc)


def save_code(w, run):
    s = w.body
    uints, strs, vals = s.uints, s.strs, s.vals
    first, second = itemgetter(0), itemgetter(1)
    for c in run:
        strs += (c.name, c.filename)
        uints.append(len(c.params))
        strs += c.params
        vals += c.param_types
        vals += (c.return_type, c.is_method)
        uints += (min(c.min_args, 1 << 30), c.nlocals, len(c.cell_params))
        uints += c.cell_params
        uints.append(len(c.freevars))
        vals += map(first, c.freevars)
        uints += map(second, c.freevars)
        uints.append(len(c.names))
        strs += c.names
        uints.append(len(c.consts))
        for k in c.consts:
            if k.__class__ is tuple:        # (type, message) of CHECK_TYPE, (name, type) of ADD_FIELD
                uints.append(len(k) + 1)
                vals += k
            else:
                uints.append(0)
                vals.append(k)
        instrs = c.instrs
        uints.append(len(instrs))
        uints += map(first, instrs)
        args = list(map(second, instrs))
        types = list(map(type, args))
        uints += map(OPERAND_FORM.__getitem__, types)
        uints += compress(args, map(is_, types, repeat(int)))
        uints += chain.from_iterable(compress(args, map(is_, types, repeat(tuple))))
        uints += c.lines
        # columns, one more than each (0: none known), for the caret under a runtime error
        uints += map((1).__add__, c.cols) if len(c.cols) == len(instrs) else repeat(0, len(instrs))


SAVE[Code] = Kind(K_CODE, save_code)


def save_class(w, run):
    s = w.body
    for c in run:
        s.strs.append(c.name)
        s.put_map(c.methods)
        s.uints.append(len(c.fields))
        s.strs += map(itemgetter(0), c.fields)
        s.vals += map(itemgetter(1), c.fields)


SAVE[Class] = Kind(K_CLASS, save_class)


def save_instance(w, run):
    """Instances by shape, as objects are (save_dict), a shape being the class and the fields' names: each shape's
    class written once for the run, before its keys' values."""
    s = w.body
    fields = list(map(attrgetter("fields"), run))
    klasses = list(map(attrgetter("klass"), run))
    if klasses[0].__class__ is Class and klasses.count(klasses[0]) == len(klasses):    # one class (equal only
        # to itself)
        shapes, ids = shapes_of(fields)
        s.vals += repeat(klasses[0], len(shapes))
    else:
        index = StringIndex()       # (id of the class, keys) -> its index
        ids = list(map(index.__getitem__, zip(map(id, klasses), map(tuple, fields))))
        s.vals += dict(zip(ids, klasses)).values()      # each shape's class, in the shapes' order
        shapes = list(map(itemgetter(1), index))
    save_shapes(s, shapes, ids)
    s.vals += chain.from_iterable(map(dict.values, fields))


SAVE[Instance] = Kind(K_INST, save_instance)


def save_bound(w, run):
    s = w.body
    s.vals += map(attrgetter("receiver"), run)
    s.vals += map(attrgetter("method"), run)


SAVE[BoundMethod] = Kind(K_BOUND, save_bound)


def name_native(w, run):
    w.head.strs += map(attrgetter("qualname"), run)


SAVE[Native] = Kind(K_NATIVE, save_nothing, name_native)


def prelude_of(m):
    """A native module's functions written in Neutron: they go into the snapshot, so that a resume does not compile
    the module's prelude again (that would need the front end)."""
    return {name: v for name, v in m.members.items() if v.__class__ is Function}


def name_module(w, run):
    h = w.head
    for m in run:
        h.strs.append(m.name)
        h.vals.append(m.native)
        if m.native:
            h.put_map(prelude_of(m))


def save_module(w, run):
    w.body.vals += [m.members for m in run if not m.native]


SAVE[Module] = Kind(K_MODULE, save_module, name_module)


def save_buffer(w, run):
    s = w.body
    datas = list(map(attrgetter("data"), run))
    lens = list(map(len, datas))
    s.uints += lens
    s.blobs += datas
    s.nblob += sum(lens)


SAVE[Buffer] = Kind(K_BUFFER, save_buffer)


def save_resource(w, run):
    s = w.body
    for res in run:
        s.strs.append(res.kind)
        s.put_map(res.info)


SAVE[Resource] = Kind(K_RESOURCE, save_resource)


def save_iter(w, run):
    s = w.body
    s.vals += map(attrgetter("keys"), run)
    s.uints += map(attrgetter("n"), run)
    s.uints += map(attrgetter("i"), run)


SAVE[Iter] = Kind(K_ITER, save_iter)


def save_task(w, run):
    """A task's state and frames (the running task's frames are the snapshot's own: write_roots)."""
    s = w.body
    for t in run:
        s.uints += (t.id, t.pid, t.fresh, 0 if t.timer_seq is None else t.timer_seq + 1)
        s.strs += (t.kind, t.state)
        error = None
        if t.error is not None:
            value, is_error, trace, hint = t.error
            error = [value, is_error, [[n, f, float(ln), float(c)] for n, f, ln, c in trace], hint]
        s.vals += (None if t.wake is None else list(t.wake), t.waiting_on, t.deadline, t.result, error, t.observed,
                   t.waiters, t.mailbox, t.receivers)
        write_frames(s, [] if t.state == "running" else t.frames, ())


SAVE[Task] = Kind(K_TASK, save_task)


# ---- frames and roots -------------------------------------------------------------------------------------------

def write_frames(s, frames, pushed):
    """The frames; `pushed` holds a value to push on the top frame's operand stack (the result of the call that
    checkpoints)."""
    uints, vals = s.uints, s.vals
    uints.append(len(frames))
    vals += map(attrgetter("func"), frames)
    uints += map(attrgetter("ip"), frames)
    locals_ = list(map(attrgetter("locals"), frames))
    uints += map(len, locals_)
    vals += chain.from_iterable(locals_)
    stacks = list(map(attrgetter("stack"), frames))
    if pushed and stacks:
        stacks[-1] = stacks[-1] + list(pushed)
    uints += map(len, stacks)
    vals += chain.from_iterable(stacks)
    handlers = list(map(attrgetter("handlers"), frames))
    uints += map(len, handlers)
    uints += chain.from_iterable(chain.from_iterable(handlers))     # (target, depth) pairs
    results = list(map(attrgetter("result"), frames))
    has_result = list(map(is_not, results, repeat(NO_RESULT)))
    uints += has_result
    vals += compress(results, has_result)


def write_roots(w, vm, states, frames, push_result, result):
    s = w.body
    s.strs.append(vm.script_path)
    s.uints.append(len(vm.sources))
    s.strs += chain.from_iterable(vm.sources.items())
    s.vals += (vm.globals, vm.prelude)
    s.put_map(vm.modules)
    s.put_map(states)
    write_frames(s, frames, (result,) if push_result else ())


def module_states(vm):
    """The program-visible state of the native modules in use (the random generator's), as Neutron values."""
    states = {}
    names = [n for n, m in vm.modules.items() if m.native] + [n for n in vm.module_state if n not in vm.modules]
    for name in names:
        nm = native_module(name)
        if nm is not None and nm.save_state is not None:
            states[name] = nm.save_state(vm)
    flights = getattr(vm, "flights", None)
    if flights:     # [value, is runtime error, [[function, file, line, column], ...]] each
        states[FLIGHTS] = [[v, is_error, [[name, file, float(line), float(col)] for name, file, line, col in
                                          vm.places_of(passed)]]
                           for v, is_error, hint, passed in flights.values()]
    return states


def encode(vm, frames, push_result, result=True):
    """The snapshot body for the VM's state with these frames, as a list of bytes-like parts."""
    w = Writer()
    write_roots(w, vm, module_states(vm), frames, push_result, result)
    w.scan(w.body)
    runs = w.runs
    i = 0
    while i < len(runs):        # grows as the runs' contents refer to objects not seen yet
        kind, run = runs[i]
        i += 1
        if kind.name is not None:
            kind.name(w, run)
            w.scan(w.head)
        kind.save(w, run)
        w.scan(w.body)
    return w.finish()
