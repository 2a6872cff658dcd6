"""The abstract syntax tree: what the parser produces and the compiler consumes.

Every node carries the line and column (1-based line, 0-based column) of the token that starts it, so that
the compiler can build its line table and report errors at the right place.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(eq=False)
class Node:
    line: int
    col: int


# ---- expressions -------------------------------------------------------------------------------------------

@dataclass(eq=False)
class Literal(Node):
    value: object           # float, str, True, False or None (nil)


@dataclass(eq=False)
class Interpolation(Node):
    parts: list             # Expr nodes; string pieces are Literal(str). The result is always a string.


@dataclass(eq=False)
class Variable(Node):
    name: str


@dataclass(eq=False)
class This(Node):
    pass


@dataclass(eq=False)
class Unary(Node):
    op: str                 # '-', '!', '~'
    operand: Node


@dataclass(eq=False)
class Binary(Node):
    op: str                 # + - * / % == != < <= > >= & | ^ << >>
    left: Node
    right: Node


@dataclass(eq=False)
class Logical(Node):
    op: str                 # 'and' or 'or' (&& and || are parsed to these)
    left: Node
    right: Node


@dataclass(eq=False)
class Ternary(Node):
    cond: Node
    then: Node
    otherwise: Node


@dataclass(eq=False)
class Assign(Node):
    target: Node            # Variable, Get or Index
    value: Node
    op: Optional[str] = None   # None for '=', else the binary operator of a compound assignment ('+' for '+=')


@dataclass(eq=False)
class Update(Node):
    target: Node            # Variable, Get or Index
    op: str                 # '+' for ++, '-' for --
    prefix: bool            # both forms yield the new value (documented behaviour)


@dataclass(eq=False)
class Spread(Node):
    value: Node             # only inside Call.args and ArrayLit.elements


@dataclass(eq=False)
class Call(Node):
    callee: Node
    args: list              # Expr or Spread


@dataclass(eq=False)
class Get(Node):
    obj: Node
    name: str
    optional: bool = False  # a?.name


@dataclass(eq=False)
class Index(Node):
    obj: Node
    index: Node


@dataclass(eq=False)
class ArrayLit(Node):
    elements: list          # Expr or Spread


@dataclass(eq=False)
class ObjectLit(Node):
    pairs: list             # list of (key: str, value: Expr); keys may come from strings or bare identifiers


@dataclass(eq=False)
class Param:
    name: str
    type: Optional[str] = None       # 'int' 'float' 'string' 'bool' 'array' 'object' 'any' or None
    line: int = 0
    col: int = 0


@dataclass(eq=False)
class Lambda(Node):
    params: list            # list of Param
    return_type: Optional[str]
    body: list              # statements


# ---- statements --------------------------------------------------------------------------------------------

@dataclass(eq=False)
class ExprStmt(Node):
    expr: Node


@dataclass(eq=False)
class Say(Node):
    value: Node


@dataclass(eq=False)
class VarDecl(Node):
    names: list             # list of (name: str, init: Expr or None, line: int, col: int)
    type: Optional[str] = None
    static: bool = False


@dataclass(eq=False)
class DestructureArray(Node):
    names: list             # list of str
    value: Node


@dataclass(eq=False)
class DestructureObject(Node):
    pairs: list             # list of (key: str, local_name: str)
    value: Node


@dataclass(eq=False)
class Block(Node):
    body: list


@dataclass(eq=False)
class If(Node):
    cond: Node
    then: Node
    otherwise: Optional[Node] = None    # `elif`/`else if` chains become nested If nodes here


@dataclass(eq=False)
class While(Node):
    cond: Node
    body: Node


@dataclass(eq=False)
class DoWhile(Node):
    body: Node
    cond: Node


@dataclass(eq=False)
class For(Node):
    init: Optional[Node]    # VarDecl, ExprStmt or None
    cond: Optional[Node]
    step: Optional[Node]    # an expression or None
    body: Node


@dataclass(eq=False)
class ForIn(Node):
    name: str
    iterable: Node
    body: Node


@dataclass(eq=False)
class Break(Node):
    pass


@dataclass(eq=False)
class Continue(Node):
    pass


@dataclass(eq=False)
class Return(Node):
    value: Optional[Node]


@dataclass(eq=False)
class FunDecl(Node):
    name: str
    params: list            # list of Param
    return_type: Optional[str]
    body: list


@dataclass(eq=False)
class Field:
    name: str
    type: Optional[str]
    init: Optional[Node]
    line: int = 0
    col: int = 0


@dataclass(eq=False)
class ClassDecl(Node):
    name: str
    fields: list            # list of Field
    methods: list           # list of FunDecl (an `init(...) {}` without `fun` is a FunDecl named 'init')


@dataclass(eq=False)
class Case:
    value: Node
    guard: Optional[Node]
    body: Node              # a Block or a single statement
    line: int = 0
    col: int = 0


@dataclass(eq=False)
class Match(Node):
    subject: Node
    cases: list             # list of Case
    default: Optional[Node] = None


@dataclass(eq=False)
class Try(Node):
    body: Block
    catch_name: Optional[str]
    catch_body: Optional[Block]
    finally_body: Optional[Block]


@dataclass(eq=False)
class Throw(Node):
    value: Node


@dataclass(eq=False)
class Retry(Node):
    count: Node
    body: Block
    catch_name: Optional[str]
    catch_body: Optional[Block]


@dataclass(eq=False)
class Safe(Node):
    body: list


@dataclass(eq=False)
class Enum(Node):
    name: str
    members: list           # list of (name: str, value: Expr or None)


@dataclass(eq=False)
class Use(Node):
    module: str             # `use NAME;`
    alias: Optional[str] = None
    names: Optional[list] = None    # `use (a, b) = from NAME;`


@dataclass(eq=False)
class Using(Node):
    path: str               # `using 'file.nt';`
    names: Optional[list] = None    # `using (a, b) = from 'file.nt';`


@dataclass(eq=False)
class Program:
    body: list
    path: str
    source: str
    safe: bool = False      # a .ntsc file
