"""What the editor tools know about a program: diagnostics, declarations, name resolution, completion, hover.

No editor library is used here: the language server and the prompt both call it. Declarations and uses come
from the scanner's tokens (braces give the scopes); diagnostics from the real parser and compiler.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from ..errors import CompileFailed, Diagnostic
from ..frontend.scanner import scan
from ..frontend.tokens import EOF, IDENT, INTERP, KEYWORDS, TYPE_NAMES
from ..loader import compile_source
from ..frontend import nodes as N
from ..stdlib import MODULES, native_module
from ..frontend.parser import parse
from ..runtime.methods import ARRAY_CALLBACK_METHODS, ARRAY_METHODS, STRING_METHODS
from .stdlib_docs import DOCS

# after these a name is a property, not a variable
_DOTS = (".", "?.")


@dataclass
class Decl:
    name: str
    kind: str               # 'function' 'method' 'class' 'enum' 'member' 'variable' 'parameter' 'module'
    line: int               # 1-based, of the name
    col: int                # 0-based
    scope: tuple            # offsets of the '{' enclosing it, outermost first; () is the file
    path: str = ""
    container: str = None   # a method's class, an enum member's enum
    detail: str = ""        # a function's signature
    doc: str = ""           # the comment just above a function or class
    module: str = None      # 'module': the built-in or file module it names


@dataclass
class Ref:
    name: str
    line: int
    col: int
    scope: tuple
    after_dot: bool         # x.NAME
    receiver: str = None    # for x.NAME: x, when x is a plain name


@dataclass
class Index:
    path: str
    source: str
    decls: list = field(default_factory=list)
    refs: list = field(default_factory=list)
    usings: list = field(default_factory=list)     # paths as written in `using "..."`


def _flatten(tokens, out):
    for tok in tokens:
        if tok.kind == EOF:
            continue
        out.append(tok)
        if tok.kind == INTERP:
            for part in tok.value:
                if isinstance(part, list):
                    _flatten(part, out)
    return out


def _leading_comment(lines, line):
    """The comment lines right above line `line` (1-based), without their markers."""
    out = []
    i = line - 2
    while i >= 0:
        text = lines[i].strip()
        if text.startswith("//"):
            out.append(text[2:].strip())
            i -= 1
        elif text.endswith(("}#", "#}")) and not out:
            j = i
            while j >= 0 and "#{" not in lines[j]:
                j -= 1
            block = "\n".join(lines[max(j, 0):i + 1]).strip()
            return re.sub(r"^#\{|[}#]#$|#\}$", "", block).strip()
        else:
            break
    return "\n".join(reversed(out))


def index(source: str, path: str = "<input>") -> Index:
    """Declarations and name uses of a program (which may have syntax errors: the tokens still tell a lot)."""
    tokens, _ = scan(source, path)
    toks = _flatten(tokens, [])
    lines = source.split("\n")
    idx = Index(path, source)
    scopes = []                 # stack of [offset, kind]: kind 'class', 'enum', 'block' or 'object'
    pending = None              # a scope kind for the next '{' ('class', 'enum', 'function' with its params)
    n = len(toks)

    def scope_key():
        return tuple(s[0] for s in scopes)

    def offset(tok):
        return (tok.line, tok.col)

    i = 0
    while i < n:
        tok = toks[i]
        k = tok.kind
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < n else None
        if k == "{":
            kind, params = (pending or ("block", []))
            pending = None
            scopes.append([offset(tok), kind])
            for p in params:
                p.scope = scope_key()
                idx.decls.append(p)
        elif k == "}":
            if scopes:
                scopes.pop()
        elif k in ("fun", "class", "enum") or (k == IDENT and nxt is not None and nxt.kind == "(" and scopes
                                                and scopes[-1][1] == "class" and (prev is None or prev.kind != "fun")):
            name_tok = tok if k == IDENT else nxt
            if k == "fun" and nxt is not None and nxt.kind == "(":
                pending = ("function", _params(toks, i + 1, path))      # a lambda
            elif name_tok is not None and (name_tok.kind == IDENT or name_tok.kind in KEYWORDS):
                in_class = bool(scopes) and scopes[-1][1] == "class"
                kind = {"class": "class", "enum": "enum"}.get(k, "method" if in_class else "function")
                decl = Decl(name_tok.lexeme, kind, name_tok.line, name_tok.col, scope_key(), path,
                            container=_class_name(idx, scopes) if in_class else None,
                            doc=_leading_comment(lines, tok.line))
                if kind in ("function", "method"):
                    j = i + 1 if k == "fun" else i
                    decl.detail = _signature(toks, j)
                    pending = ("function", _params(toks, j + 1, path))
                else:
                    pending = (kind, [])
                    decl.detail = f"{k} {name_tok.lexeme}"
                idx.decls.append(decl)
                if k != IDENT:
                    i += 1
        elif k == "var" and not (scopes and scopes[-1][1] == "class"):
            _var_names(toks, i + 1, idx, scope_key(), path)
        elif k == "var":
            _var_names(toks, i + 1, idx, scope_key(), path, kind="field", container=_class_name(idx, scopes))
        elif k == "catch" and nxt is not None and nxt.kind == "(" and i + 2 < n and toks[i + 2].kind == IDENT:
            t = toks[i + 2]
            pending = ("block", [Decl(t.lexeme, "variable", t.line, t.col, (), path)])
        elif k == "for" and nxt is not None and nxt.kind == "(":
            j = i + 2       # `for (var x in ...)` is found as a var statement
            if j + 1 < n and toks[j].kind == IDENT and toks[j + 1].kind == "in":
                t = toks[j]
                idx.decls.append(Decl(t.lexeme, "variable", t.line, t.col, scope_key(), path))
        elif k == "use":
            _use(toks, i + 1, idx, scope_key(), path)
        elif k == "using":
            j = i + 1
            while j < n and toks[j].kind not in (";", "STRING"):
                j += 1
            if j < n and toks[j].kind == "STRING":
                idx.usings.append(toks[j].value)
        elif k == IDENT and scopes and scopes[-1][1] == "enum" and prev is not None and prev.kind in ("{", ","):
            idx.decls.append(Decl(tok.lexeme, "member", tok.line, tok.col, scope_key(), path,
                                  container=_enum_name(idx, scopes)))
        elif k == IDENT or (k in KEYWORDS and prev is not None and prev.kind in _DOTS):
            after_dot = prev is not None and prev.kind in _DOTS
            is_key = (prev is not None and prev.kind in ("{", ",") and nxt is not None and nxt.kind == ":"
                      and scopes and scopes[-1][1] != "block")
            if not is_key and not (k == IDENT and tok.lexeme in TYPE_NAMES and nxt is not None and nxt.kind == IDENT):
                receiver = None
                if after_dot and i >= 2 and toks[i - 2].kind == IDENT:
                    receiver = toks[i - 2].lexeme
                idx.refs.append(Ref(tok.lexeme, tok.line, tok.col, scope_key(), after_dot, receiver))
        i += 1
    return idx


def _class_name(idx, scopes):
    for d in reversed(idx.decls):
        if d.kind == "class" and (d.line, d.col) < scopes[-1][0]:
            return d.name
    return None


def _enum_name(idx, scopes):
    for d in reversed(idx.decls):
        if d.kind == "enum" and (d.line, d.col) < scopes[-1][0]:
            return d.name
    return None


def _params(toks, j, path):
    """The parameters of the list whose '(' is toks[j]."""
    out = []
    if j >= len(toks) or toks[j].kind != "(":
        return out
    j += 1
    while j < len(toks) and toks[j].kind != ")":
        t = toks[j]
        if t.kind == IDENT and j + 1 < len(toks) and toks[j + 1].kind in (",", ")"):
            out.append(Decl(t.lexeme, "parameter", t.line, t.col, (), path))
        j += 1
    return out


def _signature(toks, j):
    """`name(a, b) -> type`, from the name token toks[j] to the '{'."""
    parts = []
    while j < len(toks) and toks[j].kind != "{":
        t = toks[j]
        if t.kind in (",",):
            parts.append(", ")
        elif t.kind == "->":
            parts.append(" -> ")
        elif t.kind == IDENT and parts and parts[-1] not in ("(", ", ", " -> ") and not parts[-1].endswith(" "):
            parts.append(" " + t.lexeme)
        else:
            parts.append(t.lexeme)
        j += 1
    return "fun " + "".join(parts)


def _var_names(toks, j, idx, scope, path, kind="variable", container=None):
    n = len(toks)
    if j < n and toks[j].kind in ("[", "{"):
        close = "]" if toks[j].kind == "[" else "}"
        j += 1
        while j < n and toks[j].kind != close:
            t = toks[j]
            if t.kind == IDENT and j + 1 < n and toks[j + 1].kind in (",", close):
                idx.decls.append(Decl(t.lexeme, kind, t.line, t.col, scope, path, container=container))
            j += 1
        return
    depth = 0
    expect_name = True
    while j < n:
        t = toks[j]
        if t.kind in ("(", "[", "{"):
            depth += 1
        elif t.kind in (")", "]", "}"):
            depth -= 1
            if depth < 0:
                return
        elif t.kind == ";" and depth == 0:
            return
        elif t.kind == "," and depth == 0:
            expect_name = True
        elif expect_name and t.kind == IDENT:
            if t.lexeme in TYPE_NAMES and j + 1 < n and toks[j + 1].kind == IDENT:
                j += 1
                continue
            idx.decls.append(Decl(t.lexeme, kind, t.line, t.col, scope, path, container=container,
                                  detail=f"var {t.lexeme}"))
            expect_name = False
        else:
            expect_name = False
        j += 1


def _use(toks, j, idx, scope, path):
    # use NAME [as ALIAS];   use (a, b) = from NAME;
    n = len(toks)
    if j < n and toks[j].kind == IDENT:
        name = toks[j]
        bound = name
        if j + 2 < n and toks[j + 1].kind == "as" and toks[j + 2].kind == IDENT:
            bound = toks[j + 2]
        idx.decls.append(Decl(bound.lexeme, "module", bound.line, bound.col, scope, path, module=name.lexeme,
                              detail=f"use {name.lexeme}"))
    elif j < n and toks[j].kind == "(":
        names = []
        j += 1
        while j < n and toks[j].kind != ")":
            if toks[j].kind == IDENT:
                names.append(toks[j])
            j += 1
        while j < n and toks[j].kind not in (IDENT, ";"):
            j += 1
        module = toks[j].lexeme if j < n and toks[j].kind == IDENT else None
        for t in names:
            idx.decls.append(Decl(t.lexeme, "function", t.line, t.col, scope, path,
                                  detail=f"{module}.{t.lexeme}" if module else t.lexeme, module=module))


# -- resolution -----------------------------------------------------------------------------------------------

def resolve(idx: Index, ref_or_name, line=None, col=None, scope=None, others=()):
    """The declaration a name at (line, col) in `scope` refers to: the innermost enclosing scope wins, and in one
    scope the last declaration before the use (else the first after it: functions are hoisted). `others` are
    the indexes of files brought in by `using`, whose top-level names are seen last."""
    if isinstance(ref_or_name, Ref):
        name, line, col, scope = ref_or_name.name, ref_or_name.line, ref_or_name.col, ref_or_name.scope
    else:
        name = ref_or_name
    best = None
    for d in idx.decls:
        if d.name != name or d.kind in ("method", "field", "member") or scope[:len(d.scope)] != d.scope:
            continue
        key = (len(d.scope), (d.line, d.col) <= (line, col), (d.line, d.col) if (d.line, d.col) <= (line, col)
               else (-d.line, -d.col))
        if best is None or key > best[0]:
            best = (key, d)
    if best is not None:
        return best[1]
    for other in others:
        for d in other.decls:
            if d.name == name and d.scope == () and d.kind not in ("method", "field", "member"):
                return d
    return None


def ref_at(idx: Index, line: int, col: int):
    """The name use or declaration under (line, col), 1-based line and 0-based column."""
    for r in idx.refs:
        if r.line == line and r.col <= col <= r.col + len(r.name):
            return r
    for d in idx.decls:
        if d.line == line and d.col <= col <= d.col + len(d.name):
            return d
    return None


def find_using(path: str, written: str):
    """The file a `using "written"` in `path` loads, searched as the loader does (minus the script's folder)."""
    if os.path.isabs(written):
        return written if os.path.isfile(written) else None
    dirs = [os.getcwd()]
    if path and os.path.isabs(path):
        dirs.append(os.path.dirname(path))
    for d in dirs:
        for sub in ("", "lib", "libs", "box", os.path.join(".box", "modules")):
            candidate = os.path.join(d, sub, written)
            if os.path.isfile(candidate):
                return candidate
    return None


def module_file(path: str, name: str):
    dirs = [os.getcwd()]
    if path and os.path.isabs(path):
        dirs.append(os.path.dirname(path))
    for d in dirs:
        for rel in (os.path.join(".box", "modules", name, name + ".nt"), os.path.join("box", name, name + ".nt"),
                    os.path.join("box", name + ".nt"), os.path.join("lib", name + ".nt"), name + ".nt"):
            if os.path.isfile(os.path.join(d, rel)):
                return os.path.join(d, rel)
    return None


# -- diagnostics ----------------------------------------------------------------------------------------------

def diagnostics(source: str, path: str = "<input>") -> list:
    """Every problem found before running: the scanner's, the parser's and the compiler's (as `neutron FILE`
    reports them), then unknown modules and wrong argument counts of built-in module functions."""
    imports = []
    try:
        compile_source(source, path, safe=path.endswith(".ntsc"), imports=imports)
    except CompileFailed as e:
        return list(e.diagnostics)
    except RecursionError:
        return []
    out = []
    modules = {}            # bound name -> NativeModule
    for node in imports:
        if isinstance(node, N.Use):
            nm = native_module(node.module)
            if nm is not None:
                if node.names is None:
                    modules[node.alias or node.module] = nm
            elif module_file(path, node.module) is None:
                out.append(Diagnostic("CompileError", f"Module '{node.module}' not found. Built-in modules: "
                                      f"{', '.join(MODULES)}.", path, node.line, node.col))
        elif isinstance(node, N.Using) and find_using(path, node.path) is None:
            out.append(Diagnostic("CompileError", f"File '{node.path}' not found.", path, node.line, node.col))
    if modules:
        program = parse(source, path, path.endswith(".ntsc"))
        for call in _calls(program.body):
            callee = call.callee
            nm = modules.get(callee.obj.name)
            native = nm.functions.get(callee.name) if nm is not None else None
            if native is None or any(isinstance(a, N.Spread) for a in call.args):
                continue
            got = len(call.args)
            lo, hi = native.min_args, native.max_args
            if got < lo or (hi is not None and got > hi):
                want = f"at least {lo}" if hi is None else str(lo) if lo == hi else f"{lo} to {hi}"
                out.append(Diagnostic("CompileError", f"{native.qualname}() expects {want} argument"
                                      f"{'s' if want != '1' else ''} but got {got}.", path, callee.line,
                                      callee.col))
    return out


def _calls(body):
    """Calls of the form NAME.NAME(...) anywhere in the program."""
    stack = list(body)
    while stack:
        n = stack.pop()
        if isinstance(n, N.Call) and isinstance(n.callee, N.Get) and isinstance(n.callee.obj, N.Variable):
            yield n
        if isinstance(n, (list, tuple)):
            stack.extend(n)
        elif hasattr(n, "__dict__") or hasattr(n, "__slots__"):
            for name in getattr(n, "__slots__", ()) or vars(n):
                v = getattr(n, name, None)
                if isinstance(v, (list, tuple)) or hasattr(v, "__slots__") or hasattr(v, "__dict__"):
                    if not isinstance(v, (str, type)):
                        stack.append(v)


# -- completion and hover -------------------------------------------------------------------------------------

def module_members(name: str) -> dict:
    """The public members of a built-in module: name -> a one-line description."""
    nm = native_module(name)
    if nm is None:
        return {}
    out = {}
    for fname, native in nm.functions.items():
        if not fname.startswith("_"):
            out[fname] = _arity_text(native.min_args, native.max_args)
    for cname in nm.constants:
        out[cname] = "constant"
    prelude = nm.prelude_source() if nm.prelude else ""
    for m in re.finditer(r"(?m)^fun\s+([A-Za-z][A-Za-z0-9_]*)\s*\(([^)]*)\)", prelude):
        out.setdefault(m.group(1), f"({m.group(2).strip()})")
    return out


def _arity_text(lo, hi):
    if hi is None:
        return f"{lo} or more arguments"
    if lo == hi:
        return f"{lo} argument{'s' if lo != 1 else ''}"
    return f"{lo} to {hi} arguments"


def value_methods() -> list:
    """The methods of strings and arrays."""
    return sorted(set(STRING_METHODS) | set(ARRAY_METHODS) | set(ARRAY_CALLBACK_METHODS))


def completions(idx: Index, line: int, col: int, text_before: str) -> list:
    """(label, kind, detail) for the position after `text_before` (the text of the line up to the cursor)."""
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\??\.\s*([A-Za-z_][A-Za-z0-9_]*)?$", text_before)
    if m:
        receiver = m.group(1)
        decl = resolve(idx, receiver, line, col, _scope_at(idx, line, col))
        if decl is not None and decl.kind == "module":
            return [(name, "function" if not d == "constant" else "constant", d)
                    for name, d in sorted(module_members(decl.module).items())]
        members = {d.name: d for d in idx.decls if d.kind in ("method", "field", "member")}
        out = [(name, "method", "") for name in value_methods()]
        out += [(d.name, d.kind, d.container or "") for d in members.values()]
        return out
    if re.search(r"[)\]\"']\s*\??\.\s*[A-Za-z0-9_]*$", text_before):
        return [(name, "method", "") for name in value_methods()]
    m = re.search(r"\buse\s+([A-Za-z_]*)$", text_before)
    if m:
        return [(name, "module", "built-in module") for name in MODULES]
    scope = _scope_at(idx, line, col)
    seen = {}
    for d in idx.decls:
        if d.kind in ("method", "field", "member") or scope[:len(d.scope)] != d.scope:
            continue
        seen.setdefault(d.name, (d.name, d.kind, d.detail))
    out = list(seen.values())
    out += [(kw, "keyword", "") for kw in sorted(KEYWORDS | {"safe"})]
    return out


def _scope_at(idx: Index, line: int, col: int) -> tuple:
    """The scope key of a position: the '{' still open there."""
    tokens, _ = scan(idx.source, idx.path)
    stack = []
    for tok in _flatten(tokens, []):
        if (tok.line, tok.col) >= (line, col):
            break
        if tok.kind == "{":
            stack.append((tok.line, tok.col))
        elif tok.kind == "}" and stack:
            stack.pop()
    return tuple(stack)


def module_doc(module: str, name: str) -> str:
    """Documentation of a built-in module's member, from the text the stdlib's documentation gives."""
    members = module_members(module)
    arity = members.get(name)
    if arity is None:
        return ""
    doc = DOCS.get(f"{module}.{name}", "")
    head = f"{module}.{name}: {arity}"
    return head + ("\n\n" + doc if doc else "")


def hover(idx: Index, line: int, col: int, others=()) -> str:
    """Markdown for the name under (line, col), or ''."""
    r = ref_at(idx, line, col)
    if r is None:
        return ""
    if isinstance(r, Ref) and r.after_dot:
        if r.receiver is not None:
            decl = resolve(idx, r.receiver, r.line, r.col, r.scope, others)
            if decl is not None and decl.kind == "module":
                return module_doc(decl.module, r.name)
        methods = [d for d in idx.decls if d.kind == "method" and d.name == r.name]
        if methods:
            return _decl_hover(methods[0])
        return ""
    decl = r if isinstance(r, Decl) else resolve(idx, r, others=others)
    if decl is None:
        return ""
    if decl.kind == "module":
        if native_module(decl.module) is not None:
            return f"```neutron\nuse {decl.module}\n```\nbuilt-in module: " + ", ".join(sorted(
                module_members(decl.module)))
    if decl.kind == "function" and decl.module:
        return module_doc(decl.module, decl.name)
    return _decl_hover(decl)


def _decl_hover(decl: Decl) -> str:
    head = decl.detail or f"{decl.kind} {decl.name}"
    if decl.kind == "method" and decl.container:
        head = head.replace("fun ", f"fun {decl.container}.", 1)
    text = f"```neutron\n{head}\n```"
    if decl.doc:
        text += "\n" + decl.doc
    return text
