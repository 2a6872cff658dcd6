"""The worker thread programs run in: a large C stack, a large first frame-stack chunk, a raised recursion limit
and a lazier collector; signals that reach the calling thread are passed on to it."""
from __future__ import annotations

import gc
import sys
import types
import _thread

from ..runtime import frames as FR

STACK_SIZE = 256 * 1024 * 1024      # worker thread stack: the host's own C recursion stays far from its end
ROOT_CHUNK = 64 * 1024 * 1024       # the worker's first frame-stack chunk (see ROOT)
# Young collections after 100,000 allocations rather than 700: programs that build large structures (every
# instance is two container objects) otherwise spend most of their time in the collector.
GC_THRESHOLD = (100_000, 50, 100)


def _async_raise(ident, exc_type):
    import ctypes
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc_type))


def can_trace_threads():
    """Whether trace_thread works here: CPython's _PyEval_SetTrace, the call behind threading.settrace_all_threads
    (3.12), reached through ctypes."""
    try:
        import ctypes
        return hasattr(ctypes.pythonapi, "_PyEval_SetTrace") and hasattr(ctypes.pythonapi, "PyThreadState_Get")
    except (ImportError, OSError):
        return False


def thread_state():
    """The calling thread's PyThreadState (its address): trace_thread's `ts`."""
    import ctypes
    get = ctypes.pythonapi.PyThreadState_Get
    get.restype = ctypes.c_void_p
    return get()


_keep = []      # the C trace function set last (a ctypes callback must outlive its calls)


def trace_thread(ts, switch):
    """Have the thread whose state is `ts` (running, or waiting for the GIL) call switch() itself, at the next line
    it runs: a C-level trace function is set on that thread (the caller holds the GIL, as _PyEval_SetTrace wants),
    whose first call runs switch(), which replaces it with sys.settrace. Nothing else of that thread is touched."""
    import ctypes
    proto = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)

    def first(obj, frame, what, arg):
        try:
            switch()
        except BaseException:   # (an exception cannot leave a C trace function; switch() raises none)
            pass
        return 0

    fn = proto(first)
    _keep[:] = [fn]
    set_trace = ctypes.pythonapi._PyEval_SetTrace
    set_trace.argtypes = [ctypes.c_void_p, proto, ctypes.c_void_p]
    set_trace.restype = ctypes.c_int
    set_trace(ts, fn, None)


def untrace_thread(ts):
    """Remove the thread's trace function (set by trace_thread or by its own sys.settrace)."""
    import ctypes
    set_trace = ctypes.pythonapi._PyEval_SetTrace
    set_trace.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    set_trace.restype = ctypes.c_int
    set_trace(ts, None, None)


def _root(work):
    work()


def _start(work, box, done):
    """The worker's first function. ROOT's frame needs its large chunk of memory: without room for it, the program
    runs in an ordinary one (and if not even that is there, the calling thread hears of it)."""
    try:
        ROOT(work)
    except MemoryError:
        try:
            work()
        except MemoryError as e:
            box["error"] = e
            done.release()


class NoThread(Exception):
    """No memory for the worker thread's stack."""


# The worker thread's first Python frame is ROOT's. CPython 3.11 sizes a thread's first frame-stack chunk for its
# first frame and never frees that chunk, while later chunks are mapped and unmapped as recursion crosses their
# boundaries (a system call pair per call at an unlucky depth). A large declared stack for ROOT makes the first
# chunk big enough for deep recursion: address space only, pages are touched as frames use them.
ROOT = types.FunctionType(_root.__code__.replace(co_stacksize=ROOT_CHUNK // 8), globals(), "_root")


def run(program):
    """program() in a worker thread with a large stack; its result, or its exception raised here."""
    box = {}
    done = _thread.allocate_lock()
    done.acquire()

    def work():
        try:
            box["result"] = program()
        except BaseException as e:     # handed to the calling thread
            box["error"] = e
        finally:
            done.release()

    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 4 * FR.MAX_FRAMES + 10_000))
    old_gc = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    old_size = _thread.stack_size()
    try:
        _thread.stack_size(STACK_SIZE)
        ident = _thread.start_new_thread(_start, (work, box, done))
    except RuntimeError:                # "can't start new thread": no memory for its stack
        sys.setrecursionlimit(old_limit)
        gc.set_threshold(*old_gc)
        raise NoThread() from None
    finally:
        _thread.stack_size(old_size)
    outer = None
    try:
        while True:
            try:
                if outer is None:
                    done.acquire()
                elif not done.acquire(timeout=2.0):
                    break       # the program's thread is blocked in a system call (reading input): leave it
                break
            except BaseException as e:     # a signal in this thread (Ctrl-C, a test's alarm): pass it on
                outer = e
                _async_raise(ident, type(e))
    finally:
        sys.setrecursionlimit(old_limit)
        gc.set_threshold(*old_gc)
    if outer is not None:
        raise outer
    if "error" in box:
        e = box.pop("error")
        if e.__class__ is MemoryError or (e.__class__ is SystemError and "without exception" in str(e)):
            # memory exhausted (CPython 3.11 reports a failed frame allocation as that SystemError)
            e = None
            raise FR.Uncaught("Out of memory.", True, [])
        raise e
    return box.get("result")
