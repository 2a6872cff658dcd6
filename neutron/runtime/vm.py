"""The bytecode VM. Frames are plain data; a Neutron call pushes a frame and never recurses in Python, so the
whole running program can be written out at any call (see durable/snapshot.py)."""
from __future__ import annotations

import gc
import math
import operator
import sys
from collections import defaultdict

# _loop tests opcodes in an if/elif chain, so an instruction pays one comparison per case above its own: the cases are
# ordered roughly by how often programs run them, most frequent first. Every opcode the loop tests is a module global
# here, so that each test costs one global lookup (`O.X` would add an attribute read to every case passed).
from ..bytecode.opcodes import (
    LOAD_LOCAL, CONST, STORE_LOCAL, ADD, LOAD_GLOBAL, JUMP_IF_FALSE, LT, JUMP, GET_INDEX, SUB, CALL, RETURN, POP,
    LOAD_CELL, LOAD_FREE, INVOKE, DUP, MUL, GT, LE, GE, EQ, NE, DIV, MOD, JUMP_IF_TRUE, STORE_CELL, STORE_FREE,
    STORE_GLOBAL, DEFINE_GLOBAL, SET_INDEX, GET_PROP, SET_PROP, NIL, TRUE, FALSE, NOT, NEG, JUMP_IF_FALSE_KEEP,
    JUMP_IF_TRUE_KEEP, JUMP_IF_NIL_KEEP, FOR_ITER, GET_ITER, SAY, BUILD_LIST, BUILD_OBJECT, LIST_APPEND, LIST_EXTEND,
    CALL_ARRAY, CLOSURE, NEW_CELL, MAKE_CELL, DUP2, ROT3, SETUP_TRY, POP_TRY, THROW, TO_STR, CONCAT, GET_PROP_OPT,
    BNOT, BAND, BOR, BXOR, SHL, SHR, CHECK_TYPE, MAKE_CLASS, ADD_METHOD, ADD_FIELD, ERROR, USE, USING,
    USING_ISOLATED, GET_MEMBER)
from ..errors import NeutronError, argument_count_error, source_line
from .frames import MAX_FRAMES, NO_RESULT, Frame, Hot, Iter, StopForResume, Uncaught
from .tasks import run_program
from .operators import binary_slow, i64, index_get, index_set, instance_method, operand_error, wrap
from ..stdlib import MODULES
from .values import (TYPE_DISPLAY, Buffer, BoundMethod, Cell, Class, Function, Instance, Module, Native, Resource,
                     check_type, described, equals, near_name, to_str, type_name)

# The float fast path of the frequent operators is written out in each one's case: sending LT, SUB and MUL through
# a table of operator functions made bench/fib.nt 1-2% slower. GT, LE and GE, rarer, share one case through ORDER:
# measured no slower, the two tests fewer for every case below them paying for the call.
ORDER = {GT: operator.gt, LE: operator.le, GE: operator.ge}
BITWISE = frozenset((BAND, BOR, BXOR, SHL, SHR))
APPEND_AT = 4096        # a longer string grows in place where it can (ADD, VM.release); a shorter one is copied


def callee_text(line, col):
    """The callee of the call at `col` of a source line as written there (`a`, `o.f`, `xs[0]`), or None: col is
    the call's '(' or, for a method call, the method's name."""
    end = col
    while end < len(line) and (line[end].isalnum() or line[end] == "_"):
        end += 1
    start, depth = end, 0
    while start > 0:
        c = line[start - 1]
        if c in ")]":
            depth += 1
        elif c in "([":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and not (c.isalnum() or c in "_.?"):
            break
        start -= 1
    text = line[start:end]
    return text if text[:1].isalpha() or text[:1] == "_" else None


class VM:
    def __init__(self, argv=(), script_path="<script>", out=None):
        self.frames = []
        self.argv = list(argv)
        self.script_path = script_path
        self.out = out if out is not None else sys.stdout
        self.resumed = False
        self.module_state = {}
        self.modules = {}           # name -> Module (native modules and `use`d .nt files)
        self.sources = {}           # file name -> source text (error reports; kept in snapshots)
        self.precompiled = {}       # absolute path -> code of an imported file compiled before the run
        self.globals = {}           # the main program's globals
        self.prelude = None         # globals of the built-in methods' Neutron prelude, loaded on first use
        self.points = 0             # checkpointable points passed (test round trips)
        self.stop_at = None         # test-only: checkpoint at this point, then stop
        # exceptions caught by a finally, for the rethrow that ends it: id(value) -> (value, is_error, hint, the
        # places it passed, innermost first: (function, code, ip), (name, file, line, column) or, from the compiled
        # tier, the caught Python exception); written in a snapshot (places_of)
        self.flights = {}
        self.stop_path = None
        self.result = None
        self.last_checkpoint = None  # (path, effects) of this process's latest checkpoint
        self.effects = 0            # the last point with an effect outside the program (see runtime/effects.py)
        self.quiet = defaultdict(bool)  # qualname -> a built-in without such effects (runner.new_vm installs them)
        self.scheduler = None       # runtime/tasks.py, once the program starts a task or a process
        # Hooks: what the VM calls but does not import. runner.new_vm installs them.
        self.importer = None        # the loader: import_module, run_file_frame, load_prelude (front end inside)
        self.write_snapshot = None  # durable's writer: (vm, path, frames, push_result, result[, who])
        self.tier = None            # the compiled tier, when attached
        self.workers = None         # (vm) -> a pool of worker processes for `process`, or None (procpool.py)
        self.live_frames = self.frames_now  # (mode) -> the running program as VM frames; the tier's holds more
        self.on_stop = self.stop_here       # (frame, ip, call) at the test-only stop point (see point)
        self.position = self.call_running   # () -> (code, ip) of the call running now (messages that quote it)
        # Requests from outside the program (durable/signals.py): `request` names what was asked (or None); the VM
        # checks it at instruction boundaries (jumps, calls and returns), the compiled tier, when `safepoints` is
        # set, at loop back-edges (a tracer switched on by the request) and function entries, blocking built-ins
        # while they wait. There the hook
        # on_request(vm, mode) serves it: mode "stop" (frames as they are), "call" (inside a built-in call that
        # returns `call_result`) or "redo" (inside a built-in call that a resume runs again, see frames_now).
        self.request = None
        self.on_request = None
        self.safepoints = False
        self.call_result = True     # what the built-in call in progress returns in a resumed process
        self.calling = None         # (frame, ip, callee, args, receiver) of the latest built-in call (VM only)
        self.on_call_error = None   # (vm, mode) when a built-in call fails, before the error propagates
        self.at_start = []          # work a resumed module left to finish before the program goes on (a sleep)
        # A sleep with at least long_sleep_threshold seconds left calls long_sleep(vm, deadline), deadline in
        # seconds since 1970. The sleep is then in progress with its deadline kept in the program's state: a
        # vm.checkpoint(path) made by the hook resumes inside the same sleep (same absolute deadline; past it, the
        # program goes on at once). The hook may end the process (raise ProgramExit) or return, and the sleep
        # goes on in this process.
        self.long_sleep = None
        self.long_sleep_threshold = 10.0
        # sys.once's records: get(key) -> (found, value), put(key, value); values are Neutron values made of nil,
        # booleans, numbers, strings, arrays and objects. runner.new_vm installs the file store of durable/once.py.
        self.once_store = None
        # Tiered running: {code: calls + loop back-edges} while the VM watches for hot code, else None. A count that
        # reaches hot_at raises Hot (runner.execute then hands the program to the compiled tier).
        self.heat = None
        self.hot_at = 0

    # ---- services for natives -------------------------------------------------------------------------------

    def write(self, text):
        self.out.write(text)

    def flush(self):
        try:
            self.out.flush()
        except (OSError, ValueError):
            pass

    def checkpoint(self, path, who="sys.checkpoint"):
        """`sys.checkpoint(path)`: called by the native while the call is in progress (args popped, ip past the
        call); the snapshot records the call as having returned `call_result` (true). `who` names the native in
        errors."""
        enabled = gc.isenabled()
        # the collector waits until what the checkpoint made (its frames, the writer's lists) is freed: it does not
        # then run over the program's young objects in the middle of the checkpoint because of them
        gc.disable()
        try:
            self.write_snapshot(self, path, self.live_frames("call"), True, self.call_result, who)
        finally:
            if enabled:
                gc.enable()
        self.last_checkpoint = (path, self.effects)
        return True

    def hibernate(self):
        """Called by sys.exit. An exit that follows a checkpoint with nothing observable in between (no output, no
        writing, no network, no process started, no other checkpoint; reading and computing do not count) is part
        of hibernating: the snapshot is re-written so that a resume continues after the exit call, as in
        `sys.checkpoint(p); if (sys.env("STOP")) sys.exit(0); say("Waking up");`."""
        last = self.last_checkpoint
        if last is not None and self.effects == last[1]:
            self.write_snapshot(self, last[0], self.live_frames("call"), True, None)

    def frames_now(self, mode):
        """The VM's frames; in mode "redo" (inside a built-in call) the innermost one as it was before the call,
        its operands back on its stack, so that a resume runs the call again."""
        frames = list(self.frames)
        if mode == "redo" and self.calling is not None and frames and self.calling[0] is frames[-1]:
            frame, ip, callee, args, recv = self.calling
            top = Frame(frame.func, frame.code, frame.locals, ip - 1)
            top.handlers = list(frame.handlers)
            top.result = frame.result
            o = frame.code.instrs[ip - 1][0]
            if o == INVOKE:
                top.stack = frame.stack + [recv, *args]
            elif o == THROW:
                top.stack = frame.stack + list(args)
            elif o == CALL_ARRAY:
                top.stack = frame.stack + [callee, list(args)]
            else:
                top.stack = frame.stack + [callee, *args]
            frames[-1] = top
        return frames

    def ask(self, what):
        """Something outside the program asks for `what` (durable/signals.py): served at the next safepoint."""
        self.request = what
        if self.tier is not None:
            self.tier.raise_flag(True)

    def take_request(self):
        what, self.request = self.request, None
        if self.tier is not None:
            self.tier.raise_flag(False)
        return what

    def serve(self, mode):
        """A safepoint (or a blocking built-in) found a request: the on_request hook serves it."""
        if self.request is not None and self.on_request is not None:
            self.on_request(self, mode)

    # ---- running ----------------------------------------------------------------------------------------------

    def execute(self):
        """Run until the frame stack is empty (with tasks or processes, until they have all ended: tasks.py)."""
        self.start_work()
        return run_program(self, self._loop)

    def run_task(self):
        """Run the frames of the task the scheduler has made the VM's, until it ends or waits."""
        return self._loop()

    def start_work(self):
        """Before a resumed program goes on: what its modules left to finish (the rest of a sleep)."""
        while self.at_start:
            self.at_start.pop(0)(self)

    def point(self, frame, ip, callee=None, args=None, recv=None):
        """A checkpointable point (a `say` or a native call) is about to run; test runs may stop here. A native
        call passes what its instruction popped: the callee, the arguments and INVOKE's receiver, if any."""
        self.points += 1
        if callee is not None:
            self.calling = (frame, ip, callee, args, recv)
        if callee is None or not self.quiet[callee.qualname]:
            self.effects = self.points
        if self.points == self.stop_at:
            self.on_stop(frame, ip, None if callee is None else (callee, args, recv))

    def stop_here(self, frame, ip, call):
        """The test-only stop: the snapshot resumes at the instruction about to run, so what it had popped goes
        back on the stack."""
        frame.ip = ip - 1
        if call is not None:
            callee, args, recv = call
            o = frame.code.instrs[ip - 1][0]
            if o == INVOKE:
                frame.stack += [recv, *args]
            elif o == CALL_ARRAY:
                frame.stack += [callee, args]
            else:
                frame.stack += [callee, *args]
        self.write_snapshot(self, self.stop_path, list(self.frames), False, True)
        raise StopForResume()

    def _loop(self):
        frames = self.frames
        frame = frames[-1]
        while True:
            # LOAD_FRAME: the running frame's parts are held in locals. An instruction that changes the running
            # frame (a call, a return, an import, a throw) leaves its own ip in its frame, sets `frame` and breaks
            # out to here.
            if self.request is not None:        # a safepoint: between instructions, the frames are whole
                self.serve("stop")
            code = frame.code
            instrs = code.instrs
            consts = code.consts
            names = code.names
            stack = frame.stack
            push = stack.append
            pop = stack.pop
            locals_ = frame.locals
            ip = frame.ip
            heat = self.heat
            if heat is not None and ip == 0:        # a call has just entered frame
                n = heat[code] = heat.get(code, 0) + 1
                if n >= self.hot_at:
                    raise Hot()
            try:
                while True:
                    o, arg = instrs[ip]
                    ip += 1
                    if o == LOAD_LOCAL:
                        push(locals_[arg])
                    elif o == CONST:
                        push(consts[arg])
                    elif o == STORE_LOCAL:
                        locals_[arg] = pop()
                    elif o == ADD:
                        b = pop()
                        a = stack[-1]
                        if a.__class__ is float and b.__class__ is float:
                            stack[-1] = a + b
                        elif a.__class__ is str:
                            if b.__class__ is not str:
                                b = to_str(b)       # (binary_slow's rule)
                            if len(a) > APPEND_AT:
                                # when nothing else holds the string (the stack lets go, and the variable the sum
                                # is stored back to), CPython appends in place: building a string stays linear
                                stack[-1] = None
                                self.release(frame, ip, a)
                                a += b
                                stack[-1] = a
                            else:
                                stack[-1] = a + b
                        else:
                            stack[-1] = binary_slow(o, a, b)
                    elif o == LOAD_GLOBAL:
                        name = names[arg]
                        try:
                            push(frame.func.globals[name])
                        except KeyError:
                            raise self.undefined(name, frame.func.globals) from None
                    elif o == JUMP_IF_FALSE:
                        v = pop()
                        if v is False or v is None:
                            ip = arg
                    elif o == LT:
                        b = pop()
                        a = stack[-1]
                        if a.__class__ is float and b.__class__ is float:
                            stack[-1] = a < b
                        else:
                            stack[-1] = binary_slow(o, a, b)
                    elif o == JUMP:
                        if heat is not None and arg < ip:      # a loop's back-edge
                            n = heat[code] = heat.get(code, 0) + 1
                            if n >= self.hot_at:
                                frame.ip = arg
                                raise Hot()
                        ip = arg
                        if self.request is not None:    # a safepoint (loops end with a jump back)
                            frame.ip = ip
                            self.serve("stop")
                    elif o == GET_INDEX:
                        idx = pop()
                        obj = stack[-1]
                        if obj.__class__ is list and idx.__class__ is float and 0 <= idx < len(obj):
                            stack[-1] = obj[int(idx)]
                            continue
                        stack[-1] = index_get(obj, idx)
                    elif o == SUB:
                        b = pop()
                        a = stack[-1]
                        if a.__class__ is float and b.__class__ is float:
                            stack[-1] = a - b
                        else:
                            stack[-1] = binary_slow(o, a, b)
                    elif o == CALL:
                        callee = stack[-arg - 1]
                        if callee.__class__ is Function:
                            fcode = callee.code
                            if arg != len(fcode.params) or fcode.is_method:
                                if fcode.is_method or not fcode.min_args <= arg < len(fcode.params):
                                    self.check_arity(callee, arg)
                                stack.extend([None] * (len(fcode.params) - arg))
                                arg = len(fcode.params)
                            if arg:
                                new_locals = stack[-arg:]
                                del stack[-arg - 1:]
                            else:
                                new_locals = []
                                pop()
                            n = fcode.nlocals - arg
                            if n:
                                new_locals.extend([None] * n)
                            for s in fcode.cell_params:
                                new_locals[s] = Cell(new_locals[s])
                            frame.ip = ip
                            frame = Frame(callee, fcode, new_locals)
                            frames.append(frame)
                            if len(frames) > MAX_FRAMES:
                                frames.pop()
                                frame = frames[-1]
                                raise NeutronError("Stack overflow.")
                            break
                        else:
                            args = stack[-arg:] if arg else []
                            del stack[-arg - 1:]
                            frame.ip = ip
                            new = self.call_value(callee, args, frame, ip)
                            if new is not None:
                                frame = new
                                break
                    elif o == RETURN:
                        result = pop()
                        if frame.result is not NO_RESULT:
                            result = frame.result
                        frames.pop()
                        if not frames:
                            self.result = result
                            return result
                        frame = frames[-1]
                        frame.stack.append(result)
                        break
                    elif o == POP:
                        pop()
                    elif o == LOAD_CELL:
                        push(locals_[arg].value)
                    elif o == LOAD_FREE:
                        push(frame.func.cells[arg].value)
                    elif o == INVOKE:
                        name_i, argc = arg
                        recv = stack[-argc - 1]
                        frame.ip = ip
                        if recv.__class__ is Instance:
                            name = names[name_i]
                            f = recv.fields.get(name, NO_RESULT)
                            if f is NO_RESULT:
                                m = instance_method(recv, name, argc)
                                args = stack[-argc:] if argc else []
                                del stack[-argc - 1:]
                                new = self.push_frame(m, args, recv)
                            else:
                                args = stack[-argc:] if argc else []
                                del stack[-argc - 1:]
                                new = self.call_value(f, args, frame, ip, recv)
                        else:
                            args = stack[-argc:] if argc else []
                            del stack[-argc - 1:]
                            new = self.invoke(recv, names[name_i], args, frame, ip)
                        if new is not None:
                            frame = new
                            break
                    elif o == DUP:
                        push(stack[-1])
                    elif o == MUL:
                        b = pop()
                        a = stack[-1]
                        if a.__class__ is float and b.__class__ is float:
                            stack[-1] = a * b
                        else:
                            stack[-1] = binary_slow(o, a, b)
                    elif o in ORDER:
                        b = pop()
                        a = stack[-1]
                        if a.__class__ is float and b.__class__ is float:
                            stack[-1] = ORDER[o](a, b)
                        else:
                            stack[-1] = binary_slow(o, a, b)
                    elif o == EQ:
                        b = pop()
                        a = stack[-1]
                        if a.__class__ is b.__class__ and (a.__class__ is float or a.__class__ is str):
                            stack[-1] = a == b
                        else:
                            stack[-1] = equals(a, b)
                    elif o == NE:
                        b = pop()
                        a = stack[-1]
                        if a.__class__ is b.__class__ and (a.__class__ is float or a.__class__ is str):
                            stack[-1] = a != b
                        else:
                            stack[-1] = not equals(a, b)
                    elif o == DIV:
                        b = pop()
                        a = stack[-1]
                        if a.__class__ is float and b.__class__ is float and b:
                            r = a / b
                            if r - r != 0:
                                r = binary_slow(o, a, b)
                            stack[-1] = r
                        else:
                            stack[-1] = binary_slow(o, a, b)
                    elif o == MOD:
                        b = pop()
                        a = stack[-1]
                        if a.__class__ is float and b.__class__ is float and b and a - a == 0:
                            stack[-1] = math.fmod(a, b)
                        else:
                            stack[-1] = binary_slow(o, a, b)
                    elif o == JUMP_IF_TRUE:
                        v = pop()
                        if v is not False and v is not None:
                            ip = arg
                            if self.request is not None:    # (the jump back of do-while)
                                frame.ip = ip
                                self.serve("stop")
                    elif o == STORE_CELL:
                        locals_[arg].value = pop()
                    elif o == STORE_FREE:
                        frame.func.cells[arg].value = pop()
                    elif o == STORE_GLOBAL:
                        g = frame.func.globals
                        name = names[arg]
                        if name not in g:
                            raise self.undefined(name, g)
                        g[name] = pop()
                    elif o == DEFINE_GLOBAL:
                        frame.func.globals[names[arg]] = pop()
                    elif o == SET_INDEX:
                        value = pop()
                        idx = pop()
                        obj = stack[-1]
                        if obj.__class__ is list and idx.__class__ is float and 0 <= idx < len(obj):
                            obj[int(idx)] = value
                        else:
                            index_set(obj, idx, value)
                        stack[-1] = value
                    elif o == GET_PROP:
                        stack[-1] = self.get_prop(stack[-1], names[arg])
                    elif o == SET_PROP:
                        value = pop()
                        obj = stack[-1]
                        name = names[arg]
                        if obj.__class__ is Instance:
                            if obj.klass.field_types and name in obj.klass.field_types:
                                self.check_field(obj.klass, name, value)
                            obj.fields[name] = value
                        elif obj.__class__ is dict:
                            obj[name] = value
                        else:
                            self.set_prop_slow(obj, name, value)
                        stack[-1] = value
                        value = None        # (a string held here could not grow in place: VM.release)
                    elif o == NIL:
                        push(None)
                    elif o == TRUE:
                        push(True)
                    elif o == FALSE:
                        push(False)
                    elif o == NOT:
                        v = stack[-1]
                        stack[-1] = v is None or v is False
                    elif o == NEG:
                        v = stack[-1]
                        if v.__class__ is not float:
                            raise operand_error("Operand must be a number.", v)
                        stack[-1] = -v
                    elif o == JUMP_IF_FALSE_KEEP:
                        v = stack[-1]
                        if v is False or v is None:
                            ip = arg
                        else:
                            pop()
                    elif o == JUMP_IF_TRUE_KEEP:
                        v = stack[-1]
                        if v is not False and v is not None:
                            ip = arg
                        else:
                            pop()
                    elif o == JUMP_IF_NIL_KEEP:
                        if stack[-1] is None:
                            ip = arg
                    elif o == FOR_ITER:
                        it = stack[-1]
                        i = it.i
                        if i < it.n:
                            it.i = i + 1
                            push(it.keys[i] if it.keys is not None else float(i))
                        else:
                            pop()
                            ip = arg
                    elif o == GET_ITER:
                        v = stack[-1]
                        if v.__class__ is list or v.__class__ is str:
                            stack[-1] = Iter(None, len(v))
                        elif v.__class__ is dict:
                            stack[-1] = Iter(list(v.keys()), len(v))
                        elif v.__class__ is Instance:
                            stack[-1] = Iter(list(v.fields.keys()), len(v.fields))
                        elif v.__class__ is Buffer:
                            stack[-1] = Iter(None, len(v.data))
                        else:
                            stack[-1] = Iter(None, 0)
                    elif o == SAY:
                        self.point(frame, ip)
                        self.out.write(to_str(pop()) + "\n")
                    elif o == BUILD_LIST:
                        if arg:
                            lst = stack[-arg:]
                            del stack[-arg:]
                        else:
                            lst = []
                        push(lst)
                    elif o == BUILD_OBJECT:
                        d = {}
                        if arg:
                            items = stack[-2 * arg:]
                            del stack[-2 * arg:]
                            for k in range(0, 2 * arg, 2):
                                d[items[k]] = items[k + 1]
                        push(d)
                    elif o == LIST_APPEND:
                        v = pop()
                        stack[-1].append(v)
                    elif o == LIST_EXTEND:
                        v = pop()
                        if v.__class__ is list:
                            stack[-1].extend(v)
                        elif v.__class__ is str:
                            stack[-1].extend(v)
                        else:
                            raise NeutronError(f"Cannot spread a value of type {type_name(v)}; "
                                               f"spread needs an array.")
                    elif o == CALL_ARRAY:
                        args = pop()
                        callee = pop()
                        frame.ip = ip
                        new = self.call_value(callee, list(args), frame, ip)
                        if new is not None:
                            frame = new
                            break
                    elif o == CLOSURE:
                        fcode = consts[arg]
                        if fcode.freevars:
                            cells = tuple(locals_[i] if is_local else frame.func.cells[i]
                                          for is_local, i in fcode.freevars)
                        else:
                            cells = ()
                        push(Function(fcode, cells, frame.func.globals))
                    elif o == NEW_CELL:
                        locals_[arg] = Cell(None)
                    elif o == MAKE_CELL:
                        locals_[arg] = Cell(locals_[arg])
                    elif o == DUP2:
                        stack.extend(stack[-2:])
                    elif o == ROT3:
                        c = pop()
                        stack.insert(len(stack) - 2, c)
                    elif o == SETUP_TRY:
                        frame.handlers.append((arg, len(stack)))
                    elif o == POP_TRY:
                        frame.handlers.pop()
                    elif o == THROW:
                        frame.ip = ip
                        if code.lines[ip - 1] == 0:         # after a finally: the exception it interrupted
                            frame = self.rethrow(pop(), frame)
                        else:
                            frame = self.throw(pop(), False)
                        break
                    elif o == TO_STR:
                        v = stack[-1]
                        if v.__class__ is not str:
                            stack[-1] = to_str(v)
                    elif o == CONCAT:
                        parts = stack[-arg:]
                        del stack[-arg:]
                        push("".join(parts))
                    elif o == GET_PROP_OPT:
                        stack[-1] = self.get_prop_opt(stack[-1], names[arg])
                    elif o == BNOT:
                        v = stack[-1]
                        if v.__class__ is not float:
                            raise operand_error("Operand must be a number.", v)
                        stack[-1] = wrap(~i64(v))
                    elif o in BITWISE:
                        b = pop()
                        stack[-1] = binary_slow(o, stack[-1], b)
                    elif o == CHECK_TYPE:
                        type_, msg = consts[arg]
                        v = stack[-1]
                        if not check_type(type_, v):
                            raise NeutronError(msg.replace("{actual}", type_name(v)))
                    elif o == MAKE_CLASS:
                        push(Class(names[arg], {}, []))
                    elif o == ADD_METHOD:
                        f = pop()
                        f.name = names[arg]
                        stack[-1].methods[names[arg]] = f
                    elif o == ADD_FIELD:
                        pop()           # initial values are assigned by `initialize`
                        fname, ftype = consts[arg]
                        stack[-1].add_field(fname, ftype)
                    elif o == ERROR:
                        raise NeutronError(consts[arg])
                    elif o == USE or o == USING or o == USING_ISOLATED:
                        frame.ip = ip
                        new = self.do_import(o, arg, frame)
                        if new is not None:
                            frame = new
                            break
                    elif o == GET_MEMBER:
                        m = stack[-1]
                        name = names[arg]
                        if m.__class__ is Module:
                            stack[-1] = m.members.get(name)
                        else:
                            stack[-1] = None
                    else:
                        raise RuntimeError(f"unknown opcode {o}")
            except NeutronError as e:
                frame.ip = ip
                frame = self.throw(e.message, True, e.hint)
            except MemoryError:         # running out of memory is a runtime error too, catchable by `try`
                frame.ip = ip
                frame = self.throw("Out of memory.", True)

    @staticmethod
    def release(frame, ip, s):
        """`x = x + piece` (or `x = x + a + b`, pieces that are constants or other locals) with x the string s: the
        place the sum is stored back to lets go of s, so that nothing but the VM loop refers to s while it grows;
        nothing reads that place before the store."""
        instrs = frame.code.instrs
        start = ip
        o, arg = instrs[ip]
        while (o == CONST or o == LOAD_LOCAL) and ip + 2 < len(instrs) and instrs[ip + 1][0] == ADD:
            ip += 2
            o, arg = instrs[ip]
        if o == DUP:
            o, arg = instrs[ip + 1]
        if o == STORE_LOCAL and (LOAD_LOCAL, arg) in instrs[start:ip]:
            return False
        elif o == STORE_LOCAL:
            box, key = frame.locals, arg
        elif o == STORE_GLOBAL or o == DEFINE_GLOBAL:
            box, key = frame.func.globals, frame.code.names[arg]
        elif o == STORE_FREE or o == STORE_CELL:
            cell = frame.func.cells[arg] if o == STORE_FREE else frame.locals[arg]
            if cell.value is s:
                cell.value = None
                return True
            return False
        elif o == SET_PROP and len(frame.stack) > 1:
            obj = frame.stack[-2]
            box, key = (obj.fields if obj.__class__ is Instance else obj if obj.__class__ is dict else None), \
                frame.code.names[arg]
            if box is None:
                return False
        else:
            return False
        held = box.get(key) if box.__class__ is dict else box[key]
        if held is s:
            box[key] = None
            return True
        return False

    # ---- errors -----------------------------------------------------------------------------------------------

    def undefined(self, name, globals_=()):
        if name in MODULES:
            return NeutronError(f"Undefined variable '{name}'. Did you forget to import it? "
                                f"Use 'use {name};' at the top of your file.")
        return NeutronError(f"Undefined variable '{name}'.", lambda: near_name(name, globals_))

    def trace(self, frames=None):
        out = []
        for f in reversed(self.frames if frames is None else frames):
            out.append(self.place(f.func, f.code, f.ip))
        return out

    @staticmethod
    def place(func, code, ip):
        where = code.where(ip - 1) if 0 < ip <= len(code.lines) else (code.lines[0] if code.lines else 0, -1)
        return (func.name if func is not None else code.name, code.filename, *where)

    def throw(self, value, is_error, hint=None, seen=None):
        """Unwind to the innermost handler; returns the frame that continues. Raises Uncaught if none (with the
        error's hint for the report). `seen`: the places the exception passed before the running frame's, when
        it is rethrown after a finally."""
        frames = self.frames
        k = len(frames) - 1
        while k >= 0 and not frames[k].handlers:
            k -= 1
        if k < 0:
            if not is_error and self.on_call_error is not None and frames:
                f = frames[-1]                  # THROW: the snapshot resumes at it, its value back on the stack
                self.calling = (f, f.ip, None, [value], None)
                self.on_call_error(self, "redo")
            raise Uncaught(value, is_error, self.trace() if seen is None else
                           self.places_of(seen) + self.trace(frames[:-1]), hint)
        f = frames[k]
        if f.code.lines[f.handlers[-1][0]] == 0 and len(frames) - k < 1000:
            # a finally's handler (compiler.stmt_Try): what its rethrow needs to report the exception where it
            # happened (see rethrow)
            try:
                passed = [(g.func, g.code, g.ip) for g in reversed(frames[k:])]
                if seen is not None:
                    passed[0:1] = seen
                self.caught(value, is_error, hint, passed)
            except MemoryError:
                pass
        del frames[k + 1:]
        target, depth = f.handlers.pop()
        del f.stack[depth:]
        f.stack.append(value)
        f.ip = target
        return f

    def caught(self, value, is_error, hint, passed):
        """A finally's handler caught `value`: remember it for the rethrow at the finally's end."""
        flights = self.flights
        flights.pop(id(value), None)
        if len(flights) >= 64:
            del flights[next(iter(flights))]
        flights[id(value)] = (value, is_error, hint, passed)

    def rethrown(self, value):
        """The exception a finally's rethrow of `value` continues: (is_error, hint, places), or None."""
        rec = self.flights.pop(id(value), None)
        if rec is None or rec[0] is not value:
            return None
        return rec[1], rec[2], rec[3]

    def rethrow(self, value, frame):
        """The throw that ends a finally run for an exception: the exception goes on as it was (a runtime error
        stays one, reported where it happened)."""
        rec = self.rethrown(value)
        if rec is not None:
            return self.throw(value, rec[0], rec[1], rec[2])
        return self.throw(value, False)

    def places_of(self, passed):
        """Stack-trace entries of the places an exception passed (see flights)."""
        if isinstance(passed, BaseException):
            return self.tier.exception_places(passed)
        return [p if len(p) == 4 else self.place(*p) for p in passed]

    def check_arity(self, func, argc):
        code = func.code
        if code.is_method:
            raise NeutronError(f"Method '{func.name}' must be called on an instance.")
        raise argument_count_error(len(code.params), argc, f"function '{func.name}'")

    def fit_args(self, func, args):
        """Built-in Neutron functions (preludes) may leave trailing parameters out: they get nil."""
        code = func.code
        if code.min_args <= len(args) < len(code.params):
            return args + [None] * (len(code.params) - len(args))
        raise argument_count_error(len(code.params), len(args), f"function '{func.name}'")

    # ---- calls ------------------------------------------------------------------------------------------------

    def push_frame(self, func, args, this=NO_RESULT):
        code = func.code
        if this is not NO_RESULT:
            locals_ = [this] + args
        else:
            locals_ = list(args)
        n = code.nlocals - len(locals_)
        if n > 0:
            locals_.extend([None] * n)
        for s in code.cell_params:
            locals_[s] = Cell(locals_[s])
        frame = Frame(func, code, locals_)
        self.frames.append(frame)
        if len(self.frames) > MAX_FRAMES:
            self.frames.pop()
            raise NeutronError("Stack overflow.")
        return frame

    def call_value(self, callee, args, frame, ip, recv=None):
        """Call anything callable. Returns a new frame to run, or None after pushing the result on frame's stack.
        `recv` is the receiver INVOKE popped below the arguments, when it calls a field or member (see point)."""
        cls = callee.__class__
        if cls is Function:
            code = callee.code
            if code.is_method:
                raise NeutronError(f"Method '{callee.name}' must be called on an instance.")
            if len(args) != len(code.params):
                args = self.fit_args(callee, args)
            return self.push_frame(callee, args)
        if cls is Native:
            if not callee.pure:
                self.point(frame, ip, callee, args, recv)
            n = len(args)
            if n < callee.min_args or (callee.max_args is not None and n > callee.max_args):
                raise NeutronError(self.native_arity_message(callee, n))
            try:
                frame.stack.append(callee.fn(self, args))
            except NeutronError:
                if self.on_call_error is not None and not callee.pure:
                    self.on_call_error(self, "redo")
                raise
            return None
        if cls is BoundMethod:
            m = callee.method
            if m.__class__ is str:
                return self.invoke(callee.receiver, m, args, frame, ip)
            code = m.code
            if len(args) != len(code.params):
                raise argument_count_error(len(code.params), len(args), f"method '{m.name}'")
            return self.push_frame(m, args, callee.receiver)
        if cls is Class:
            inst = Instance(callee)
            init = callee.methods.get("initialize")
            if init is None:
                if args:
                    raise self.constructor_arity_error(callee, 0, len(args))
                frame.stack.append(inst)
                return None
            if len(args) != len(init.code.params):
                raise self.constructor_arity_error(callee, len(init.code.params), len(args))
            return self.push_frame(init, args, inst)
        raise NeutronError(self.not_callable(callee, frame, ip))

    @staticmethod
    def constructor_arity_error(klass, expected, got):
        """The class is named; a class without `initialize` that has a method named as other languages name
        their constructor (`init`, as the language reference's examples do) is told what the constructor is."""
        hint = None
        if "initialize" not in klass.methods:
            other = next((m for m in ("init", "constructor", "__init__") if m in klass.methods), None)
            if other is not None:
                hint = (f"A class's constructor is its method 'initialize'; '{other}' is an ordinary method "
                        f"(call it as obj.{other}(...)).")
        return argument_count_error(expected, got, f"the constructor of class '{klass.name}'", hint)

    def not_callable(self, callee, frame, ip):
        """The message for calling a value that is not a function: it names the callee as the source writes it,
        read at the call's column (`a is a number, not a function`)."""
        place = (frame.code, ip - 1) if frame.code is not None else self.position()
        text = None
        if place is not None:
            code, at = place
            line, col = code.where(at)
            source_text = source_line(self.sources.get(code.filename, ""), line)
            if source_text is not None and col >= 0:
                text = callee_text(source_text, col)
        name = "This value" if text is None else f"'{text}'"
        return f"{name} is {described(callee)}, not a function."

    def call_running(self):
        """(code, instruction index) of the call running now, or None."""
        f = self.frames[-1] if self.frames else None
        return (f.code, f.ip - 1) if f is not None and f.ip > 0 else None

    @staticmethod
    def native_arity_message(native, n):
        lo, hi = native.min_args, native.max_args
        if hi is None:
            want = f"at least {lo}"
        elif lo == hi:
            want = str(lo)
        else:
            want = f"{lo} to {hi}"
        return f"{native.qualname}() expects {want} argument{'s' if want != '1' else ''} but got {n}."

    def invoke(self, recv, name, args, frame, ip):
        """recv.name(args) for every receiver but instances (handled inline)."""
        cls = recv.__class__
        if cls is str:
            from . import methods as B      # lazy: start-up
            frame.stack.append(B.call_string_method(self, recv, name, args))
            return None
        if cls is list:
            from . import methods as B      # lazy: start-up
            pname = B.ARRAY_CALLBACK_METHODS.get(name)
            if pname is not None:
                return self.push_frame(self.prelude_function(pname), B.callback_args(name, recv, args))
            frame.stack.append(B.call_array_method(self, recv, name, args))
            return None
        if cls is dict:
            if name in recv:
                return self.call_value(recv[name], args, frame, ip, recv)
            raise NeutronError(f"Property '{name}' not found on object.", lambda: near_name(name, recv))
        if cls is Module:
            member = recv.members.get(name, NO_RESULT)
            if member is NO_RESULT:
                raise NeutronError(f"Module '{recv.name}' has no member '{name}'.",
                                   lambda: near_name(name, recv.members))
            return self.call_value(member, args, frame, ip, recv)
        if cls is Instance:
            f = recv.fields.get(name, NO_RESULT)
            if f is not NO_RESULT:
                return self.call_value(f, args, frame, ip, recv)
            return self.push_frame(instance_method(recv, name, len(args)), args, recv)
        if recv is None:
            raise NeutronError(f"Cannot call method '{name}' on nil.")
        raise NeutronError(f"Cannot call method '{name}' on a value of type {type_name(recv)}.")

    def prelude_function(self, name):
        if self.prelude is None:
            from . import methods as B      # lazy: start-up
            self.prelude = self.importer.load_prelude(self, B.prelude_source(), "<prelude>", B.PRELUDE_NATIVES,
                                                      "prelude")
        return self.prelude[name]

    # ---- properties -------------------------------------------------------------------------------------------

    def get_prop(self, obj, name):
        cls = obj.__class__
        if cls is Instance:
            v = obj.fields.get(name, NO_RESULT)
            if v is not NO_RESULT:
                return v
            m = obj.klass.methods.get(name)
            if m is not None:
                return BoundMethod(obj, m)
            raise NeutronError(f"Property '{name}' not found on instance.",
                               lambda: near_name(name, [*obj.fields, *obj.klass.methods]))
        if cls is dict:
            v = obj.get(name, NO_RESULT)
            if v is NO_RESULT:
                raise NeutronError(f"Property '{name}' not found on object.", lambda: near_name(name, obj))
            return v
        if cls is Module:
            v = obj.members.get(name, NO_RESULT)
            if v is NO_RESULT:
                raise NeutronError(f"Module '{obj.name}' has no member '{name}'.",
                                   lambda: near_name(name, obj.members))
            return v
        if cls is str or cls is list:
            if name == "length":
                return float(len(obj))
            if cls is str and name == "chars":
                return list(obj)
            from . import methods as B      # lazy: start-up
            if name in (B.STRING_METHODS if cls is str else B.ARRAY_METHODS) or \
                    (cls is list and name in B.ARRAY_CALLBACK_METHODS):
                return BoundMethod(obj, name)
            kind = "String" if cls is str else "Array"
            raise NeutronError(f"{kind} does not have property '{name}'.",
                               lambda: near_name(name, B.member_names(cls)))
        if cls is Buffer:
            if name == "length":
                return float(len(obj.data))
            raise NeutronError(f"Buffer does not have property '{name}'.", lambda: near_name(name, ["length"]))
        if cls is Class:
            m = obj.methods.get(name)
            if m is not None:
                return m
            if name == "name":
                return obj.name
            raise NeutronError(f"Class '{obj.name}' has no method '{name}'.",
                               lambda: near_name(name, [*obj.methods, "name"]))
        if cls is Resource:
            v = obj.info.get(name, NO_RESULT)
            if v is not NO_RESULT:
                return v
        raise NeutronError(f"Cannot read property '{name}' of {'nil' if obj is None else 'a ' + type_name(obj)}: "
                           f"only modules, arrays, strings, objects and instances have properties. "
                           f"Cannot use dot notation on this value type.")

    def get_prop_opt(self, obj, name):
        if obj is None:
            return None
        cls = obj.__class__
        if cls is dict:
            return obj.get(name)
        if cls is Instance:
            v = obj.fields.get(name, NO_RESULT)
            if v is not NO_RESULT:
                return v
            m = obj.klass.methods.get(name)
            return BoundMethod(obj, m) if m is not None else None
        if cls is Module:
            return obj.members.get(name)
        try:
            return self.get_prop(obj, name)
        except NeutronError:
            return None

    @staticmethod
    def check_field(klass, name, value):
        t = klass.field_types[name]
        if not check_type(t, value) and value is not None:
            raise NeutronError(f"Type mismatch: Cannot assign value of type '{type_name(value)}' to field '{name}' "
                               f"of type '{TYPE_DISPLAY.get(t, t)}'")

    def set_prop_slow(self, obj, name, value):
        if obj.__class__ is Module:
            if obj.native:
                raise NeutronError(f"Cannot modify module '{obj.name}'.")
            obj.members[name] = value
            return
        if obj is None:
            raise NeutronError(f"Cannot set property '{name}' of nil.")
        raise NeutronError(f"Cannot set property '{name}' on a value of type {type_name(obj)}.")

    # ---- modules ----------------------------------------------------------------------------------------------

    def do_import(self, o, arg, frame):
        if o == USE:
            name = frame.code.names[arg]
            result = self.importer.import_module(self, name, frame)
        else:
            path = frame.code.consts[arg]
            result = self.importer.run_file_frame(self, path, frame, isolated=(o == USING_ISOLATED))
        if isinstance(result, Frame):
            return result
        frame.stack.append(result)
        return None

