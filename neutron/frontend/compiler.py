"""AST -> code objects.

Variables resolve at compile time to a local slot, a captured cell, a free variable of the closure, or a global.
A local that any nested function mentions lives in a Cell for its whole life (a name-based over-approximation,
computed once per program), so closures share it by reference.
"""
from __future__ import annotations

import math

from . import nodes as n
from .tokens import TYPE_NAMES
from ..bytecode import opcodes as op
from ..bytecode.code import Code, compute_depths
from ..errors import CompileFailed, Diagnostic, Diagnostics

BINARY_OPS = {"+": op.ADD, "-": op.SUB, "*": op.MUL, "/": op.DIV, "%": op.MOD, "==": op.EQ, "!=": op.NE,
              "<": op.LT, "<=": op.LE, ">": op.GT, ">=": op.GE, "&": op.BAND, "|": op.BOR, "^": op.BXOR,
              "<<": op.SHL, ">>": op.SHR}
UNARY_OPS = {"-": op.NEG, "!": op.NOT, "~": op.BNOT}
LOAD_OPS = {"local": op.LOAD_LOCAL, "cell": op.LOAD_CELL, "free": op.LOAD_FREE, "global": op.LOAD_GLOBAL}
STORE_OPS = {"local": op.STORE_LOCAL, "cell": op.STORE_CELL, "free": op.STORE_FREE, "global": op.STORE_GLOBAL}


class Local:
    __slots__ = ("name", "slot", "depth", "cell", "type", "static")

    def __init__(self, name, slot, depth, cell, type_=None, static=False):
        self.name, self.slot, self.depth, self.cell, self.type, self.static = name, slot, depth, cell, type_, static


class Loop:
    __slots__ = ("continue_target", "continue_jumps", "break_jumps", "try_depth", "iter_on_stack")

    def __init__(self, try_depth, iter_on_stack):
        self.continue_target = None
        self.continue_jumps = []
        self.break_jumps = []
        self.try_depth = try_depth
        self.iter_on_stack = iter_on_stack


def const_key(value):
    """What two constants must share to share a slot: class and value, and for floats the sign too (0 == -0 and
    would otherwise merge); None for constants never shared (code objects)."""
    cls = value.__class__
    if cls is float:
        return (float, value, math.copysign(1.0, value))
    if cls is tuple:
        keys = tuple(const_key(v) for v in value)
        return None if None in keys else (tuple, keys)
    if cls in (str, bool, int):
        return (cls, value)
    return None


def literal_type(e):
    """The type of an initializer whose type shows in the source (a literal), as a type keyword; else None."""
    cls = e.__class__
    if cls is n.Unary and e.op == "-" and e.operand.__class__ is n.Literal:
        e, cls = e.operand, n.Literal
        if e.value.__class__ not in (int, float):
            return None
    if cls is n.Literal:
        v = e.value
        return "nil" if v is None else "bool" if v.__class__ is bool else "string" if v.__class__ is str else "number"
    return {n.Interpolation: "string", n.ArrayLit: "array", n.ObjectLit: "object"}.get(cls)


def literal_mismatch(type_, e):
    """The compile error for a typed declaration whose initializer is a literal of another type, else None."""
    got = literal_type(e)
    if got is None or type_ in (None, "any"):
        return None
    if got == "number" and type_ in ("int", "float"):
        value = e.value if e.__class__ is n.Literal else -e.operand.value
        if type_ == "float" or value % 1 == 0:
            return None
        return f"Invalid type assignment. Expected int (a whole number) but got {value:.15g}."
    if got == type_:
        return None
    return f"Invalid type assignment. Expected {type_} but got {got}."


def is_invoke(call):
    """A method call `obj.name(args)` without spread compiles to INVOKE, with obj as its first operand."""
    return call.callee.__class__ is n.Get and not any(a.__class__ is n.Spread for a in call.args)


# per node whose first operand compiles first: that operand (see Compiler.expression)
FIRST_OPERAND = {
    n.Binary: lambda e: e.left,
    n.Logical: lambda e: e.left,
    n.Get: lambda e: e.obj,
    n.Index: lambda e: e.obj,
    n.Call: lambda e: e.callee.obj if is_invoke(e) else e.callee,
}


class FunctionBody:
    """On the capture analysis' work list: a function (or field initializer) and the body it encloses."""
    __slots__ = ("function", "body")

    def __init__(self, function, body):
        self.function = function
        self.body = body


class Finally:
    """A finally body and the compile-time context of its try statement: it is compiled again (inlined) wherever
    control leaves the try block, and must see the loops and locals of its own place, not of the jump's."""
    __slots__ = ("body", "loops", "locals", "depth")

    def __init__(self, body, fs):
        self.body = body
        self.loops = len(fs.loops)
        self.locals = len(fs.locals)
        self.depth = fs.depth


class FunctionState:
    def __init__(self, code, enclosing, node, kind):
        self.code = code
        self.enclosing = enclosing
        self.kind = kind                    # 'script', 'function', 'method', 'initializer'
        self.locals = []
        self.depth = 0
        self.loops = []
        self.try_stack = []                 # entries: None for a plain handler, a Finally
        self.pending = []                   # per value held on the stack while a finally runs (a return value or
                                            # a thrown one): the loops around it, which break and continue leave
        self.captured = set()
        self.free_index = {}                # key -> index in code.freevars
        self.free_types = {}                # index in code.freevars -> (type, static) of the captured variable
        self.node = node
        self.safe = None                    # None, 'block' or 'file'
        self.const_index = {}


class Compiler:
    def __init__(self, path, source):
        self.path = path
        self.source = source
        self.diagnostics = Diagnostics()
        self.global_types = {}
        self.global_statics = set()
        self.declared_globals = set()
        self.repl = False
        self.captures = {}                  # id(function node or Program) -> names used by nested functions
        self.fs = None
        self.line = 1
        self.pos = (0, -1)                  # (line, column) of the expression being compiled (see at)

    # ---- entry points ---------------------------------------------------------------------------------------

    def compile_program(self, program: n.Program, repl=False) -> Code:
        self._analyse_captures(program)
        code = Code("<script>", self.path)
        fs = FunctionState(code, None, program, "script")
        fs.captured = self.captures.get(id(program), set())
        if program.safe:
            fs.safe = "file"
        self.fs = fs
        self.repl = repl
        for stmt in program.body:
            self.statement(stmt)
        self.emit(op.NIL)
        self.emit(op.RETURN)
        self._finish(code)
        if self.diagnostics:
            raise CompileFailed(self.diagnostics, self.source)
        return code

    def _finish(self, code):
        try:
            compute_depths(code)
        except AssertionError as e:  # a compiler bug, not a user mistake
            raise RuntimeError(f"internal compiler error: {e}") from None

    # ---- capture analysis -----------------------------------------------------------------------------------

    def _analyse_captures(self, program):
        captures = self.captures
        stack = [program]

        def use(name):
            # every function but the innermost must keep `name` in a cell, if it declares it
            for f in stack[:-1]:
                s = captures.get(id(f))
                if s is None:
                    s = captures[id(f)] = set()
                s.add(name)

        leave = object()                # on the work list: a function's body ends here
        work = [program.body]           # a list, not recursion: chains of nodes may be very long
        while work:
            x = work.pop()
            if x is leave:
                stack.pop()
                continue
            if x.__class__ is FunctionBody:
                stack.append(x.function)
                work += (leave, x.body)
                continue
            if isinstance(x, (list, tuple)):
                work.extend(x)
                continue
            if not hasattr(x, "_node_fields"):
                continue
            cls = x.__class__
            if cls is n.Variable:
                use(x.name)
            elif cls is n.This:
                use("this")
            elif cls is n.FunDecl or cls is n.Lambda:
                work.append(FunctionBody(x, x.body))
            elif cls is n.ClassDecl:
                work += (FunctionBody(m, m.body) for m in x.methods)
                work += (FunctionBody(f, f.init) for f in x.fields if f.init is not None)
            else:
                for name in x._node_fields:
                    v = getattr(x, name)
                    if isinstance(v, (list, tuple)) or hasattr(v, "_node_fields"):
                        work.append(v)

    # ---- emitting -------------------------------------------------------------------------------------------

    def emit(self, o, arg=None):
        code = self.fs.code
        code.instrs.append((o, arg))
        code.lines.append(self.line)
        code.cols.append(self.pos[1] if self.pos[0] == self.line else -1)   # a statement's own line: no column
        return len(code.instrs) - 1

    def at(self, node, col=None):
        """The instructions emitted next come from `node`'s place in the source (or column `col` of its line)."""
        if node.line:
            self.line = node.line
            self.pos = (node.line, node.col if col is None else col)

    def here(self):
        return len(self.fs.code.instrs)

    def patch(self, index, target=None):
        code = self.fs.code
        o, _ = code.instrs[index]
        code.instrs[index] = (o, self.here() if target is None else target)

    def const(self, value):
        fs = self.fs
        key = const_key(value)
        if key is not None:
            idx = fs.const_index.get(key)
            if idx is not None:
                return idx
        fs.code.consts.append(value)
        idx = len(fs.code.consts) - 1
        if key is not None:
            fs.const_index[key] = idx
        return idx

    def name(self, s):
        names = self.fs.code.names
        try:
            return names.index(s)
        except ValueError:
            names.append(s)
            return len(names) - 1

    def error(self, node, message, kind="CompileError"):
        line = getattr(node, "line", self.line) or self.line
        col = getattr(node, "col", 0) or 0
        self.diagnostics.append(Diagnostic(kind, message, self.path, line, col))

    # ---- scopes and variables -------------------------------------------------------------------------------

    def begin_scope(self):
        self.fs.depth += 1

    def end_scope(self):
        fs = self.fs
        fs.depth -= 1
        while fs.locals and fs.locals[-1].depth > fs.depth:
            fs.locals.pop()

    @staticmethod
    def safe_where(fs):
        """How a message names the safe context that fs compiles in: the end of "... must have a type annotation"."""
        return "in safe file (.ntsc)." if fs.safe == "file" else "inside a safe block."

    def is_global_scope(self):
        return self.fs.kind == "script" and self.fs.depth == 0

    def add_local(self, name, node=None, type_=None, static=False, hidden=False):
        fs = self.fs
        if not hidden:
            for loc in reversed(fs.locals):
                if loc.depth < fs.depth:
                    break
                if loc.name == name:
                    self.error(node, f"Variable '{name}' is already declared in this scope.")
                    break
        slot = fs.code.nlocals
        fs.code.nlocals += 1
        loc = Local(name, slot, fs.depth, (not hidden) and name in fs.captured, type_, static)
        fs.locals.append(loc)
        return loc

    def hidden_local(self, label):
        return self.add_local(f"({label})", hidden=True)

    def store_new_local(self, loc):
        """Pop the top of the stack into a freshly declared local."""
        if loc.cell:
            self.emit(op.NEW_CELL, loc.slot)
            self.emit(op.STORE_CELL, loc.slot)
        else:
            self.emit(op.STORE_LOCAL, loc.slot)

    def define(self, name, node=None, type_=None, static=False, check_redeclare=False):
        """Pop the top of the stack into a new variable of the current scope (global at top level)."""
        if self.is_global_scope():
            if check_redeclare and not self.repl:
                if name in self.declared_globals:
                    self.error(node, f"Variable '{name}' is already declared.")
                self.declared_globals.add(name)
            if type_ is not None and type_ != "any":
                self.global_types[name] = type_
            else:
                self.global_types.pop(name, None)
            if static:
                self.global_statics.add(name)
            self.emit(op.DEFINE_GLOBAL, self.name(name))
        else:
            loc = self.add_local(name, node, type_ if type_ != "any" else None, static)
            self.store_new_local(loc)

    def resolve_local(self, fs, name):
        for loc in reversed(fs.locals):
            if loc.name == name:
                return loc
        return None

    def resolve_free(self, fs, name):
        """Index of `name` among fs's captured variables, or None if it is not a local of an enclosing function."""
        enclosing = fs.enclosing
        if enclosing is None:
            return None
        loc = self.resolve_local(enclosing, name)
        if loc is not None:
            if not loc.cell:
                raise RuntimeError(f"internal compiler error: '{name}' captured but not in a cell")
            key = ("local", loc.slot)
        else:
            idx = self.resolve_free(enclosing, name)
            if idx is None:
                return None
            key = ("free", idx)
        if key in fs.free_index:
            return fs.free_index[key]
        fs.code.freevars.append((key[0] == "local", key[1]))
        index = fs.free_index[key] = len(fs.code.freevars) - 1
        fs.free_types[index] = (loc.type, loc.static) if loc is not None else \
            enclosing.free_types.get(idx, (None, False))
        return index

    def resolve(self, name):
        """Where a variable lives, found once (as clox's namedVariable): (kind, index, (type, static) as declared).
        kind is "local", "cell" (a local that closures capture), "free" (captured from an enclosing function) or
        "global"; index is the slot, the index among the captured variables or the index in names."""
        fs = self.fs
        loc = self.resolve_local(fs, name)
        if loc is not None:
            return ("cell" if loc.cell else "local"), loc.slot, (loc.type, loc.static)
        idx = self.resolve_free(fs, name)
        if idx is not None:
            return "free", idx, fs.free_types.get(idx, (None, False))
        return "global", self.name(name), (self.global_types.get(name), name in self.global_statics)

    def load_var(self, name):
        kind, index, _ = self.resolve(name)
        self.emit(LOAD_OPS[kind], index)

    def store_var(self, name, node):
        """Pop the top of the stack into an existing variable."""
        kind, index, (type_, static) = self.resolve(name)
        if static:
            self.error(node, f"Cannot assign to static variable '{name}'. Static variables are immutable.")
        if type_ is not None:
            self.check_type(type_, name)
        self.emit(STORE_OPS[kind], index)

    def check_type(self, type_, name):
        if type_ is None or type_ == "any":
            return
        msg = ("Type mismatch: Cannot assign value of type '{actual}' to variable of type '"
               + TYPE_NAMES.get(type_, type_) + "'")
        self.emit(op.CHECK_TYPE, self.const((type_, msg)))

    # ---- statements -----------------------------------------------------------------------------------------

    def statement(self, s):
        self.line = s.line or self.line
        method = getattr(self, "stmt_" + s.__class__.__name__, None)
        if method is None:      # an expression in a statement's place: its value is dropped
            self.expression(s)
            self.emit(op.POP)
            return
        method(s)

    def block_body(self, stmts):
        for s in stmts:
            self.statement(s)

    def stmt_ExprStmt(self, s):
        self.expression(s.expr)
        self.emit(op.POP)

    def stmt_Say(self, s):
        self.expression(s.value)
        self.line = s.line
        self.emit(op.SAY)

    def stmt_Echo(self, s):
        self.expression(s.value)
        self.line = s.line
        skip = self.emit(op.JUMP_IF_NIL_KEEP, None)
        self.emit(op.SAY)
        self.emit(op.NIL)
        self.patch(skip)
        self.emit(op.POP)

    def stmt_Block(self, s):
        self.begin_scope()
        self.block_body(s.body)
        self.end_scope()

    def stmt_Safe(self, s):
        saved = self.fs.safe
        self.fs.safe = "block"
        self.begin_scope()
        self.block_body(s.body)
        self.end_scope()
        self.fs.safe = saved

    def stmt_VarDecl(self, s):
        for name, init, line, col in s.names:
            self.line = line or s.line
            if self.fs.safe and s.type is None:
                self.emit(op.ERROR, self.const(f"Variable '{name}' must have a type annotation "
                                               f"{self.safe_where(self.fs)}"))
            if init is not None:
                wrong = literal_mismatch(s.type, init)
                if wrong:
                    self.error(init, wrong)
                self.expression(init)
                self.line = line or s.line
                if s.type is not None:
                    self.check_type(s.type, name)
            else:
                if s.static:
                    self.error(s, "Static variables must be initialized.")
                self.emit(op.NIL)
            self.define(name, s, s.type, s.static, check_redeclare=True)

    def stmt_DestructureArray(self, s):
        self.destructure(s, [(float(i), name) for i, name in enumerate(s.names)])

    def stmt_DestructureObject(self, s):
        self.destructure(s, s.pairs)

    def destructure(self, s, keys):
        """Evaluate s.value once, into a hidden local; then define each name of (key, name) as value[key]."""
        self.expression(s.value)
        tmp = self.hidden_local("destructure")
        self.emit(op.STORE_LOCAL, tmp.slot)
        for key, name in keys:
            self.emit(op.LOAD_LOCAL, tmp.slot)
            self.emit(op.CONST, self.const(key))
            self.emit(op.GET_INDEX)
            self.define(name, s)

    def stmt_If(self, s):
        ends = []
        while True:                     # an elif chain (nested If nodes, to any length) in a loop
            self.expression(s.cond)
            jf = self.emit(op.JUMP_IF_FALSE, None)
            self.statement(s.then)
            if s.otherwise is None:
                self.patch(jf)
                break
            ends.append(self.emit(op.JUMP, None))
            self.patch(jf)
            s = s.otherwise
            if s.__class__ is not n.If:
                self.statement(s)
                break
            self.line = s.line or self.line
        for j in reversed(ends):
            self.patch(j)

    def push_loop(self, iter_on_stack=False):
        loop = Loop(len(self.fs.try_stack), iter_on_stack)
        self.fs.loops.append(loop)
        return loop

    def pop_loop(self, loop, continue_target):
        for j in loop.continue_jumps:
            self.patch(j, continue_target)
        for j in loop.break_jumps:
            self.patch(j)
        self.fs.loops.pop()

    def stmt_While(self, s):
        start = self.here()
        self.expression(s.cond)
        jf = self.emit(op.JUMP_IF_FALSE, None)
        loop = self.push_loop()
        self.statement(s.body)
        self.emit(op.JUMP, start)
        self.patch(jf)
        self.pop_loop(loop, start)

    def stmt_DoWhile(self, s):
        start = self.here()
        loop = self.push_loop()
        self.statement(s.body)
        cond = self.here()
        self.line = s.cond.line or self.line
        self.expression(s.cond)
        self.emit(op.JUMP_IF_TRUE, start)
        self.pop_loop(loop, cond)

    def stmt_For(self, s):
        self.begin_scope()
        if s.init is not None:
            self.statement(s.init)
        start = self.here()
        jf = None
        if s.cond is not None:
            self.expression(s.cond)
            jf = self.emit(op.JUMP_IF_FALSE, None)
        loop = self.push_loop()
        self.statement(s.body)
        step = self.here()
        if s.step is not None:
            self.line = s.step.line or self.line
            self.expression(s.step)
            self.emit(op.POP)
        self.emit(op.JUMP, start)
        if jf is not None:
            self.patch(jf)
        self.pop_loop(loop, step)
        self.end_scope()

    def stmt_ForIn(self, s):
        self.expression(s.iterable)
        self.emit(op.GET_ITER)
        start = self.emit(op.FOR_ITER, None)
        loop = self.push_loop(iter_on_stack=True)
        self.begin_scope()
        self.define(s.name, s)
        self.statement(s.body)
        self.end_scope()
        self.emit(op.JUMP, start)
        self.patch(start)
        self.pop_loop(loop, start)

    def unwind_handlers(self, down_to):
        """Leave the try blocks above `down_to`: drop their handlers and run their finally blocks."""
        fs = self.fs
        saved = fs.try_stack
        for i in range(len(saved) - 1, down_to - 1, -1):
            self.emit(op.POP_TRY)
            entry = saved[i]
            if entry is not None:
                self.inline_finally(entry, saved[:i])
        fs.try_stack = saved

    def inline_finally(self, fin, try_stack):
        """Compile a finally body where control leaves its try block, in the context of the try statement."""
        fs = self.fs
        loops, local_list, depth = fs.loops, fs.locals, fs.depth
        fs.try_stack, fs.loops, fs.locals, fs.depth = try_stack, loops[:fin.loops], local_list[:fin.locals], fin.depth
        self.statement(fin.body)
        fs.loops, fs.locals, fs.depth = loops, local_list, depth

    def leave_finally_values(self, loop):
        """A jump to `loop` cancels the returns and throws in flight inside it: drop their values."""
        for loops in reversed(self.fs.pending):
            if loop not in loops:
                break
            self.emit(op.POP)

    def stmt_Break(self, s):
        fs = self.fs
        if not fs.loops:
            self.error(s, "Cannot use 'break' outside of a loop.")
            return
        loop = fs.loops[-1]
        self.leave_finally_values(loop)
        self.unwind_handlers(loop.try_depth)
        if loop.iter_on_stack:
            self.emit(op.POP)
        loop.break_jumps.append(self.emit(op.JUMP, None))

    def stmt_Continue(self, s):
        fs = self.fs
        if not fs.loops:
            self.error(s, "Cannot use 'continue' outside of a loop.")
            return
        loop = fs.loops[-1]
        self.leave_finally_values(loop)
        self.unwind_handlers(loop.try_depth)
        loop.continue_jumps.append(self.emit(op.JUMP, None))

    def stmt_Return(self, s):
        fs = self.fs
        if fs.kind == "script":
            self.error(s, "Cannot use 'return' outside of a function.")
            return
        if fs.kind == "initializer":
            if s.value is not None:
                self.expression(s.value)
                self.emit(op.POP)
            self.emit(op.LOAD_CELL if 0 in fs.code.cell_params else op.LOAD_LOCAL, 0)
        elif s.value is not None:
            self.expression(s.value)
            self.line = s.line
            if fs.code.return_type not in (None, "any"):
                self.check_return(fs.code)
        else:
            self.emit(op.NIL)
        fs.pending.append(tuple(fs.loops))
        self.unwind_handlers(0)
        fs.pending.pop()
        self.emit(op.RETURN)

    def check_return(self, code):
        t = code.return_type
        msg = (f"Type mismatch: function '{code.name}' must return '{TYPE_NAMES.get(t, t)}' "
               "but returned '{actual}'")
        self.emit(op.CHECK_TYPE, self.const((t, msg)))

    def stmt_Throw(self, s):
        self.expression(s.value)
        self.line = s.line
        self.emit(op.THROW)

    def stmt_Try(self, s):
        fs = self.fs
        fin = s.finally_body
        if fin is not None:
            setup_fin = self.emit(op.SETUP_TRY, None)
            fs.try_stack.append(Finally(fin, fs))
        if s.catch_body is not None:
            setup_catch = self.emit(op.SETUP_TRY, None)
            fs.try_stack.append(None)
            self.stmt_Block(s.body)
            fs.try_stack.pop()
            self.emit(op.POP_TRY)
            jend = self.emit(op.JUMP, None)
            self.patch(setup_catch)
            self.catch_clause(s)
            self.patch(jend)
        else:
            self.stmt_Block(s.body)
        if fin is not None:
            fs.try_stack.pop()
            self.emit(op.POP_TRY)
            self.statement(fin)
            jdone = self.emit(op.JUMP, None)
            self.patch(setup_fin)
            line, self.line = self.line, 0      # line 0 marks a finally's handler (DUP POP does nothing): the
            self.emit(op.DUP)                   # exception is remembered for the rethrow at its end
            self.emit(op.POP)
            self.line = line
            fs.pending.append(tuple(fs.loops))
            self.statement(fin)          # the value in flight stays below; rethrow it after
            fs.pending.pop()
            line, self.line = self.line, 0      # line 0 marks the rethrow: the exception goes on as it was
            self.emit(op.THROW)
            self.line = line
            self.patch(jdone)

    def catch_clause(self, s):
        """With the caught value on the stack: bind it to the catch name (or drop it), then run the catch body."""
        self.begin_scope()
        if s.catch_name:
            self.define(s.catch_name, s)
        else:
            self.emit(op.POP)
        self.block_body(s.catch_body.body)
        self.end_scope()

    def stmt_Retry(self, s):
        self.begin_scope()
        self.expression(s.count)
        count = self.hidden_local("retry count")
        self.emit(op.STORE_LOCAL, count.slot)
        last = self.hidden_local("retry error")
        self.emit(op.NIL)
        self.emit(op.STORE_LOCAL, last.slot)
        start = self.emit(op.SETUP_TRY, None)
        self.fs.try_stack.append(None)
        self.stmt_Block(s.body)
        self.fs.try_stack.pop()
        self.emit(op.POP_TRY)
        jdone = self.emit(op.JUMP, None)
        self.patch(start)
        self.emit(op.STORE_LOCAL, last.slot)
        self.emit(op.LOAD_LOCAL, count.slot)
        self.emit(op.CONST, self.const(1.0))
        self.emit(op.SUB)
        self.emit(op.DUP)
        self.emit(op.STORE_LOCAL, count.slot)
        self.emit(op.CONST, self.const(0.0))
        self.emit(op.GT)
        self.emit(op.JUMP_IF_TRUE, start)
        if s.catch_body is not None:
            self.emit(op.LOAD_LOCAL, last.slot)
            self.catch_clause(s)
        self.patch(jdone)
        self.end_scope()

    def stmt_Match(self, s):
        self.begin_scope()
        self.expression(s.subject)
        subj = self.hidden_local("match")
        self.emit(op.STORE_LOCAL, subj.slot)
        ends = []
        for case in s.cases:
            self.line = case.line or self.line
            self.emit(op.LOAD_LOCAL, subj.slot)
            self.expression(case.value)
            self.emit(op.EQ)
            jf = self.emit(op.JUMP_IF_FALSE, None)
            jg = None
            if case.guard is not None:
                self.expression(case.guard)
                jg = self.emit(op.JUMP_IF_FALSE, None)
            self.begin_scope()
            self.statement(case.body)
            self.end_scope()
            ends.append(self.emit(op.JUMP, None))
            self.patch(jf)
            if jg is not None:
                self.patch(jg)
        if s.default is not None:
            self.begin_scope()
            self.statement(s.default)
            self.end_scope()
        for j in ends:
            self.patch(j)
        self.end_scope()

    def stmt_FunDecl(self, s):
        if self.is_global_scope():
            self.function(s, s.name, "function")
            self.emit(op.DEFINE_GLOBAL, self.name(s.name))
        else:
            loc = self.add_local(s.name, s)
            if loc.cell:
                self.emit(op.NIL)
                self.emit(op.NEW_CELL, loc.slot)
                self.emit(op.STORE_CELL, loc.slot)
                self.function(s, s.name, "function")
                self.emit(op.STORE_CELL, loc.slot)
            else:
                self.function(s, s.name, "function")
                self.emit(op.STORE_LOCAL, loc.slot)

    def stmt_ClassDecl(self, s):
        if self.fs.safe:
            where = self.safe_where(self.fs)
            for f in s.fields:
                if f.type is None:
                    self.error(f, f"Class property '{f.name}' must have a type annotation {where}")
            for m in s.methods:
                for p in m.params:
                    if p.type is None:
                        self.error(p if p.line else m, f"Class method parameter '{p.name}' must have a type "
                                                       f"annotation {where}")
                if m.return_type is None and m.name != "initialize":
                    self.error(m, f"Class method '{m.name}' must have a return type annotation {where}")
        self.emit(op.MAKE_CLASS, self.name(s.name))
        field_stmts = []
        for f in s.fields:
            wrong = f.init is not None and literal_mismatch(f.type, f.init)
            if wrong:
                self.error(f.init, wrong)
            target = n.Get(f.line, f.col, n.This(f.line, f.col), f.name)
            value = f.init if f.init is not None else n.Literal(f.line, f.col, None)
            field_stmts.append(n.ExprStmt(f.line, f.col, n.Assign(f.line, f.col, target, value)))
            self.emit(op.NIL)
            self.emit(op.ADD_FIELD, self.const((f.name, f.type)))
        methods = list(s.methods)
        if field_stmts:
            init = next((m for m in methods if m.name == "initialize"), None)
            if init is None:
                merged = n.FunDecl(s.line, s.col, "initialize", [], None, field_stmts)
                methods.append(merged)
            else:
                merged = n.FunDecl(init.line, init.col, init.name, init.params, init.return_type,
                                   field_stmts + list(init.body))
                methods[methods.index(init)] = merged
            # field initializers now run inside `initialize`: what their closures capture, it must keep in cells
            names = set(self.captures.get(id(init), ())) if init is not None else set()
            for f in s.fields:
                names |= self.captures.get(id(f), set())
            self.captures[id(merged)] = names
        for m in methods:
            self.function(m, m.name, "initializer" if m.name == "initialize" else "method")
            self.emit(op.ADD_METHOD, self.name(m.name))
        self.define(s.name, s)

    def stmt_Enum(self, s):
        counter = 0.0
        for name, value in s.members:
            self.emit(op.CONST, self.const(name))
            if value is None:
                self.emit(op.CONST, self.const(counter))
                counter += 1
            else:
                self.expression(value)
                if isinstance(value, n.Literal) and isinstance(value.value, float):
                    counter = value.value + 1
                elif isinstance(value, n.Unary) and value.op == "-" and isinstance(value.operand, n.Literal) \
                        and isinstance(value.operand.value, float):
                    counter = -value.operand.value + 1
        self.emit(op.BUILD_OBJECT, len(s.members))
        self.define(s.name, s)

    def stmt_Use(self, s):
        self.emit(op.USE, self.name(s.module))
        self.import_names(s, s.alias or s.module)

    def stmt_Using(self, s):
        if s.names is None:
            self.emit(op.USING, self.const(s.path))
            self.emit(op.POP)
        else:
            self.emit(op.USING_ISOLATED, self.const(s.path))
            self.import_names(s, None)

    def import_names(self, s, bind_as):
        if s.names is None:
            self.define(bind_as, s)
            return
        for name in s.names:
            self.emit(op.DUP)
            self.emit(op.GET_MEMBER, self.name(name))
            self.define(name, s)
        self.emit(op.POP)

    # ---- functions ------------------------------------------------------------------------------------------

    def function(self, node, name, kind):
        """Compile a function body into its own code object and emit a CLOSURE for it."""
        outer = self.fs
        code = Code(name, self.path)
        code.params = [p.name for p in node.params]
        code.param_types = [p.type for p in node.params]
        code.return_type = node.return_type
        code.is_method = kind in ("method", "initializer")
        if outer.safe and kind == "function":     # checked when the declaration runs, as a catchable error
            where = self.safe_where(outer)
            for p in node.params:
                if p.type is None:
                    self.emit(op.ERROR, self.const(f"Function parameter '{p.name}' must have a type annotation "
                                                   f"{where}"))
            if node.return_type is None:
                self.emit(op.ERROR, self.const(f"Function '{name}' must have a return type annotation {where}"))
        fs = FunctionState(code, outer, node, kind)
        fs.captured = self.captures.get(id(node), set())
        self.fs = fs
        saved_line = self.line
        self.line = node.line or self.line
        if code.is_method:
            this = self.add_local("this", node)
            if this.cell:
                code.cell_params.append(this.slot)
        for p in node.params:
            loc = self.add_local(p.name, p, p.type if p.type != "any" else None)
            if loc.cell:
                code.cell_params.append(loc.slot)
        for i, p in enumerate(node.params):
            if p.type is not None and p.type != "any":
                self.load_var(p.name)
                msg = (f"Type mismatch in function '{name}' parameter {i + 1}: expected "
                       f"'{TYPE_NAMES.get(p.type, p.type)}' but got '{{actual}}'")
                self.emit(op.CHECK_TYPE, self.const((p.type, msg)))
                self.emit(op.POP)
        self.block_body(node.body)
        if kind == "initializer":
            self.emit(op.LOAD_CELL if 0 in code.cell_params else op.LOAD_LOCAL, 0)
        else:
            if code.return_type not in (None, "any"):
                self.emit(op.NIL)
                self.check_return(code)
                self.emit(op.POP)
            self.emit(op.NIL)
        self.emit(op.RETURN)
        self._finish(code)
        self.fs = outer
        self.line = saved_line
        self.emit(op.CLOSURE, self.const(code))

    # ---- expressions ----------------------------------------------------------------------------------------

    def expression(self, e):
        """Compile e. A chain down first operands (`a + b + c ...`, `a.b().c ...`, `f()()...`), which the parser
        builds in a loop and so to any length, is compiled in a loop too: its nodes are kept on a list, the first
        operand at its bottom is compiled, then the rest of each node, innermost first."""
        chain = None
        first = FIRST_OPERAND.get(e.__class__)
        while first is not None:
            if chain is None:
                chain = []
            self.at(e)
            chain.append(e)
            e = first(e)
            first = FIRST_OPERAND.get(e.__class__)
        self.at(e)
        getattr(self, "expr_" + e.__class__.__name__)(e)
        if chain is not None:
            for e in reversed(chain):
                getattr(self, "rest_" + e.__class__.__name__)(e)

    def expr_Literal(self, e):
        v = e.value
        if v is None:
            self.emit(op.NIL)
        elif v is True:
            self.emit(op.TRUE)
        elif v is False:
            self.emit(op.FALSE)
        else:
            self.emit(op.CONST, self.const(float(v) if isinstance(v, int) else v))

    def expr_Interpolation(self, e):
        count = 0
        for part in e.parts:
            if isinstance(part, n.Literal) and isinstance(part.value, str):
                if part.value == "":
                    continue
                self.expr_Literal(part)
            else:
                self.expression(part)
                self.emit(op.TO_STR)
            count += 1
        if count == 0:
            self.emit(op.CONST, self.const(""))
        elif count > 1:
            self.emit(op.CONCAT, count)

    def expr_Variable(self, e):
        self.load_var(e.name)

    def expr_This(self, e):
        fs = self.fs
        while fs is not None and not fs.code.is_method:
            fs = fs.enclosing
        if fs is None:
            self.error(e, "Cannot use 'this' outside of a class method.")
            self.emit(op.NIL)
            return
        self.load_var("this")

    def expr_Unary(self, e):
        if e.op == "-" and isinstance(e.operand, n.Literal) and isinstance(e.operand.value, float):
            self.emit(op.CONST, self.const(-e.operand.value))
            return
        self.expression(e.operand)
        self.at(e)
        self.emit(UNARY_OPS[e.op])

    # The nodes of FIRST_OPERAND: `expression` compiles the first operand, then rest_<node> the rest.

    def rest_Binary(self, e):
        self.expression(e.right)
        self.at(e)
        self.emit(BINARY_OPS[e.op])

    def rest_Logical(self, e):
        j = self.emit(op.JUMP_IF_FALSE_KEEP if e.op == "and" else op.JUMP_IF_TRUE_KEEP, None)
        self.expression(e.right)
        self.patch(j)

    def expr_Ternary(self, e):
        self.expression(e.cond)
        jf = self.emit(op.JUMP_IF_FALSE, None)
        self.expression(e.then)
        jend = self.emit(op.JUMP, None)
        self.patch(jf)
        self.expression(e.otherwise)
        self.patch(jend)

    def assign_to(self, target, compute, node):
        """Evaluate `compute` (which may load the old value through the callback given) and store it in
        `target`, leaving the stored value on the stack."""
        cls = target.__class__
        if cls is n.Variable:
            compute(lambda: self.load_var(target.name))
            self.at(target)
            self.emit(op.DUP)
            self.store_var(target.name, node)
        elif cls is n.Get:
            self.expression(target.obj)

            def load_old():
                self.emit(op.DUP)
                self.emit(op.GET_PROP, self.name(target.name))
            compute(load_old)
            self.at(target)
            self.emit(op.SET_PROP, self.name(target.name))
        elif cls is n.Index:
            self.expression(target.obj)
            self.expression(target.index)

            def load_old():
                self.emit(op.DUP2)
                self.emit(op.GET_INDEX)
            compute(load_old)
            self.at(target)
            self.emit(op.SET_INDEX)
        else:
            self.error(node, "Invalid assignment target.", "SyntaxError")
            self.emit(op.NIL)

    def expr_Assign(self, e):
        if e.op is None:
            self.assign_to(e.target, lambda load_old: self.expression(e.value), e)
        else:
            def compute(load_old):
                load_old()
                self.expression(e.value)
                self.at(e)
                self.emit(BINARY_OPS[e.op])
            self.assign_to(e.target, compute, e)

    def expr_Update(self, e):
        def compute(load_old):
            load_old()
            self.emit(op.CONST, self.const(1.0))
            self.at(e)
            self.emit(op.ADD if e.op == "+" else op.SUB)
        self.assign_to(e.target, compute, e)

    def expr_Spread(self, e):
        self.error(e, "Spread '...' is only allowed in calls and array literals.", "SyntaxError")
        self.emit(op.NIL)

    def build_args_list(self, args):
        self.emit(op.BUILD_LIST, 0)
        for a in args:
            if isinstance(a, n.Spread):
                self.expression(a.value)
                self.emit(op.LIST_EXTEND)
            else:
                self.expression(a)
                self.emit(op.LIST_APPEND)

    def rest_Call(self, e):
        if is_invoke(e):                    # the receiver was compiled first
            callee = e.callee
            jnil = self.emit(op.JUMP_IF_NIL_KEEP, None) if callee.optional else None
            for a in e.args:
                self.expression(a)
            self.at(callee)
            self.emit(op.INVOKE, (self.name(callee.name), len(e.args)))
            if jnil is not None:
                self.patch(jnil)
            return
        if any(isinstance(a, n.Spread) for a in e.args):
            self.build_args_list(e.args)
            self.at(e)
            self.emit(op.CALL_ARRAY)
            return
        for a in e.args:
            self.expression(a)
        self.at(e)
        self.emit(op.CALL, len(e.args))

    def rest_Get(self, e):
        self.at(e)
        self.emit(op.GET_PROP_OPT if e.optional else op.GET_PROP, self.name(e.name))

    def rest_Index(self, e):
        self.expression(e.index)
        self.at(e)
        self.emit(op.GET_INDEX)

    def expr_ArrayLit(self, e):
        if any(isinstance(x, n.Spread) for x in e.elements):
            self.build_args_list(e.elements)
            return
        for x in e.elements:
            self.expression(x)
        self.emit(op.BUILD_LIST, len(e.elements))

    def expr_ObjectLit(self, e):
        for key, value in e.pairs:
            self.emit(op.CONST, self.const(key))
            self.expression(value)
        self.at(e)
        self.emit(op.BUILD_OBJECT, len(e.pairs))

    def expr_Lambda(self, e):
        self.function(e, "<anonymous>", "function")

