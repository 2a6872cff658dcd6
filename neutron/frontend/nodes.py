"""The abstract syntax tree: what the parser produces and the compiler consumes.

Every node carries the line and column (1-based line, 0-based column) of the token that starts it, so that
the compiler can build its line table and report errors at the right place.
"""
from __future__ import annotations

from typing import Optional

_NODE_CLASSES = []


def node(cls):
    """A record class: its annotated fields (its bases' first) become the parameters of an __init__, those with a
    class-level value optional. Like dataclasses' (without comparison), but cheaper: each class's __init__ is
    compiled when the class is first instantiated (_make_inits), so that a start-up compiles only those the program
    needs (the dataclass machinery cost 12 ms at every start, compiling them all at once 3 ms)."""
    _NODE_CLASSES.append(cls)
    return cls


def _make_inits():
    for cls in _NODE_CLASSES:
        names, defaults = [], {}
        for klass in reversed(cls.__mro__):
            for name in klass.__dict__.get("__annotations__", {}):
                if name not in names:
                    names.append(name)
                if name in klass.__dict__:
                    defaults[name] = klass.__dict__[name]
                else:
                    defaults.pop(name, None)
        cls._node_fields = tuple(names)
        cls._node_defaults = defaults
        cls.__init__ = _first_init
        cls.__repr__ = _repr


def _first_init(self, *args, **kwargs):
    """Every node class's __init__ until its first instance: compiles the class's own and runs it."""
    cls = type(self)
    names, defaults = cls._node_fields, cls._node_defaults
    env = {f"_d_{n}": v for n, v in defaults.items()}
    params = ", ".join(f"{n}=_d_{n}" if n in defaults else n for n in names)
    body = "".join(f"\n    self.{n} = {n}" for n in names) or "\n    pass"
    exec(f"def __init__(self, {params}):{body}\n", env)
    cls.__init__ = env["__init__"]
    cls.__init__(self, *args, **kwargs)


def _repr(self):
    return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._node_fields)})"


@node
class Node:
    line: int
    col: int


# ---- expressions -------------------------------------------------------------------------------------------

@node
class Literal(Node):
    value: object           # float, str, True, False or None (nil)


@node
class Interpolation(Node):
    parts: list             # Expr nodes; string pieces are Literal(str). The result is always a string.


@node
class Variable(Node):
    name: str


@node
class This(Node):
    pass


@node
class Unary(Node):
    op: str                 # '-', '!', '~'
    operand: Node


@node
class Binary(Node):
    op: str                 # + - * / % == != < <= > >= & | ^ << >>
    left: Node
    right: Node


@node
class Logical(Node):
    op: str                 # 'and' or 'or' (&& and || are parsed to these)
    left: Node
    right: Node


@node
class Ternary(Node):
    cond: Node
    then: Node
    otherwise: Node


@node
class Assign(Node):
    target: Node            # Variable, Get or Index
    value: Node
    op: Optional[str] = None   # None for '=', else the binary operator of a compound assignment ('+' for '+=')


@node
class Update(Node):
    target: Node            # Variable, Get or Index
    op: str                 # '+' for ++, '-' for --
    prefix: bool            # both forms yield the new value (documented behaviour)


@node
class Spread(Node):
    value: Node             # only inside Call.args and ArrayLit.elements


@node
class Call(Node):
    callee: Node
    args: list              # Expr or Spread


@node
class Get(Node):
    obj: Node
    name: str
    optional: bool = False  # a?.name


@node
class Index(Node):
    obj: Node
    index: Node


@node
class ArrayLit(Node):
    elements: list          # Expr or Spread


@node
class ObjectLit(Node):
    pairs: list             # list of (key: str, value: Expr); keys may come from strings or bare identifiers


@node
class Param:
    name: str
    type: Optional[str] = None       # 'int' 'float' 'string' 'bool' 'array' 'object' 'any' or None
    line: int = 0
    col: int = 0


@node
class Lambda(Node):
    params: list            # list of Param
    return_type: Optional[str]
    body: list              # statements


# ---- statements --------------------------------------------------------------------------------------------

@node
class ExprStmt(Node):
    expr: Node


@node
class Say(Node):
    value: Node


@node
class Echo(Node):
    value: Node             # at the prompt, an entry's last expression statement: its value is printed unless nil


@node
class VarDecl(Node):
    names: list             # list of (name: str, init: Expr or None, line: int, col: int)
    type: Optional[str] = None
    static: bool = False


@node
class DestructureArray(Node):
    names: list             # list of str
    value: Node


@node
class DestructureObject(Node):
    pairs: list             # list of (key: str, local_name: str)
    value: Node


@node
class Block(Node):
    body: list


@node
class If(Node):
    cond: Node
    then: Node
    otherwise: Optional[Node] = None    # `elif`/`else if` chains become nested If nodes here


@node
class While(Node):
    cond: Node
    body: Node


@node
class DoWhile(Node):
    body: Node
    cond: Node


@node
class For(Node):
    init: Optional[Node]    # VarDecl, ExprStmt or None
    cond: Optional[Node]
    step: Optional[Node]    # an expression or None
    body: Node


@node
class ForIn(Node):
    name: str
    iterable: Node
    body: Node


@node
class Break(Node):
    pass


@node
class Continue(Node):
    pass


@node
class Return(Node):
    value: Optional[Node]


@node
class FunDecl(Node):
    name: str
    params: list            # list of Param
    return_type: Optional[str]
    body: list


@node
class Field:
    name: str
    type: Optional[str]
    init: Optional[Node]
    line: int = 0
    col: int = 0


@node
class ClassDecl(Node):
    name: str
    fields: list            # list of Field
    methods: list           # list of FunDecl (an `init(...) {}` without `fun` is a FunDecl named 'init')


@node
class Case:
    value: Node
    guard: Optional[Node]
    body: Node              # a Block or a single statement
    line: int = 0
    col: int = 0


@node
class Match(Node):
    subject: Node
    cases: list             # list of Case
    default: Optional[Node] = None


@node
class Try(Node):
    body: Block
    catch_name: Optional[str]
    catch_body: Optional[Block]
    finally_body: Optional[Block]


@node
class Throw(Node):
    value: Node


@node
class Retry(Node):
    count: Node
    body: Block
    catch_name: Optional[str]
    catch_body: Optional[Block]


@node
class Safe(Node):
    body: list


@node
class Enum(Node):
    name: str
    members: list           # list of (name: str, value: Expr or None)


@node
class Use(Node):
    module: str             # `use NAME;`
    alias: Optional[str] = None
    names: Optional[list] = None    # `use (a, b) = from NAME;`


@node
class Using(Node):
    path: str               # `using 'file.nt';`
    names: Optional[list] = None    # `using (a, b) = from 'file.nt';`


@node
class Program:
    body: list
    path: str
    source: str
    safe: bool = False      # a .ntsc file


_make_inits()
