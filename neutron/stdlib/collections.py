"""collections: sets, stacks and queues kept in ordinary arrays (so they print, copy and persist like arrays).

    set_new() set_add(s, v) -> true if added   set_has(s, v)   set_remove(s, v) -> true if removed
    set_size(s) set_to_array(s) -> a copy      set_union(a, b) set_intersection(a, b) set_difference(a, b) -> new
    stack_new() stack_push(s, v) -> nil  stack_pop(s)  stack_peek(s) -> top  stack_size(s)  stack_is_empty(s)
    queue_new() queue_enqueue(q, v) -> nil  queue_dequeue(q)  queue_peek(q) -> front  queue_size(q)
    queue_is_empty(q)
Members are compared with `==`; sets keep insertion order. Popping or peeking an empty stack, and dequeuing or
peeking an empty queue, is an error (worded as the reference words it: "stack.pop: stack is empty.").
"""
from __future__ import annotations

from ..errors import NeutronError
from .native import NativeModule, arg_list
from ..runtime.values import equals

module = NativeModule("collections")


def _has(arr, v):
    for x in arr:
        if equals(x, v):
            return True
    return False


def _arr(args, i, fname):
    return arg_list(args, i, "collections." + fname)


# ---- sets ------------------------------------------------------------------------------------------------------

@module.function("set_new", 0)
def set_new(vm, args):
    return []


@module.function("set_add", 2)
def set_add(vm, args):
    s = _arr(args, 0, "set_add")
    if _has(s, args[1]):
        return False
    s.append(args[1])
    return True


@module.function("set_has", 2)
def set_has(vm, args):
    return _has(_arr(args, 0, "set_has"), args[1])


@module.function("set_remove", 2)
def set_remove(vm, args):
    s = _arr(args, 0, "set_remove")
    for i, x in enumerate(s):
        if equals(x, args[1]):
            del s[i]
            return True
    return False


@module.function("set_size", 1)
def set_size(vm, args):
    return float(len(_arr(args, 0, "set_size")))


@module.function("set_to_array", 1)
def set_to_array(vm, args):
    return list(_arr(args, 0, "set_to_array"))


def _distinct(items):
    out = []
    for v in items:
        if not _has(out, v):
            out.append(v)
    return out


@module.function("set_union", 2)
def set_union(vm, args):
    return _distinct(_arr(args, 0, "set_union") + _arr(args, 1, "set_union"))


@module.function("set_intersection", 2)
def set_intersection(vm, args):
    a = _arr(args, 0, "set_intersection")
    b = _arr(args, 1, "set_intersection")
    return _distinct(x for x in a if _has(b, x))


@module.function("set_difference", 2)
def set_difference(vm, args):
    a = _arr(args, 0, "set_difference")
    b = _arr(args, 1, "set_difference")
    return _distinct(x for x in a if not _has(b, x))


# ---- stacks ----------------------------------------------------------------------------------------------------

@module.function("stack_new", 0)
def stack_new(vm, args):
    return []


@module.function("stack_push", 2)
def stack_push(vm, args):
    _arr(args, 0, "stack_push").append(args[1])
    return None


@module.function("stack_pop", 1)
def stack_pop(vm, args):
    s = _arr(args, 0, "stack_pop")
    if not s:
        raise NeutronError("stack.pop: stack is empty.")        # the reference's words
    return s.pop()


@module.function("stack_peek", 1)
def stack_peek(vm, args):
    s = _arr(args, 0, "stack_peek")
    if not s:
        raise NeutronError("stack.peek: stack is empty.")
    return s[-1]


@module.function("stack_size", 1)
def stack_size(vm, args):
    return float(len(_arr(args, 0, "stack_size")))


@module.function("stack_is_empty", 1)
def stack_is_empty(vm, args):
    return not _arr(args, 0, "stack_is_empty")


# ---- queues ----------------------------------------------------------------------------------------------------

@module.function("queue_new", 0)
def queue_new(vm, args):
    return []


@module.function("queue_enqueue", 2)
def queue_enqueue(vm, args):
    _arr(args, 0, "queue_enqueue").append(args[1])
    return None


@module.function("queue_dequeue", 1)
def queue_dequeue(vm, args):
    q = _arr(args, 0, "queue_dequeue")
    if not q:
        raise NeutronError("queue.dequeue: queue is empty.")    # the reference's words
    return q.pop(0)


@module.function("queue_peek", 1)
def queue_peek(vm, args):
    q = _arr(args, 0, "queue_peek")
    if not q:
        raise NeutronError("queue.peek: queue is empty.")
    return q[0]


@module.function("queue_size", 1)
def queue_size(vm, args):
    return float(len(_arr(args, 0, "queue_size")))


@module.function("queue_is_empty", 1)
def queue_is_empty(vm, args):
    return not _arr(args, 0, "queue_is_empty")
