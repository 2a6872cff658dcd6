"""The formatter: Neutron source in one canonical layout, comments kept.

It works on the scanner's tokens plus the comments the scanner skips (found again in the gaps between tokens),
and only ever changes the blanks between them: indentation (4 spaces a level), spacing inside a line, one
statement per line, at most one blank line in a row. A line break the author put inside an expression stays.
The result is scanned again and must hold the same tokens and comments, so formatting never changes what a
program means (FormatError otherwise).
"""
from __future__ import annotations

from ..errors import CompileFailed
from ..frontend.scanner import scan
from ..frontend.tokens import EOF, IDENT, INTERP, KEYWORDS, NUMBER, STRING
from ..frontend.parser import parse
from ..loader import read_source
from ..errors import format_diagnostics

INDENT = "    "

_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = frozenset((")", "]", "}"))
# a token after which a value has ended: a following '-' is binary, '(' a call, '[' an index, '++' postfix
_VALUE_END = frozenset((IDENT, NUMBER, STRING, INTERP, ")", "]", "}", "true", "false", "nil", "this"))
# '{' after these opens a block (statements), elsewhere an object literal, enum body or pattern
_BEFORE_BLOCK = frozenset((")", "else", "do", "try", "finally", ";", "{", "}", "=>", None))
_JOINS_CLOSING_BRACE = frozenset(("else", "elif", "catch", "finally"))
_CALL_WORDS = frozenset(("say", "fun"))     # keywords written against their '(': say(x), fun(a) { ... }


class FormatError(Exception):
    """The formatter would have changed the program's tokens: a bug in the formatter, reported, never written."""


class _Item:
    __slots__ = ("kind", "text", "newlines", "after_dot")

    def __init__(self, kind, text, newlines, after_dot=False):
        self.kind = kind            # a token kind, or 'line-comment' / 'block-comment'
        self.text = text            # the exact source text
        self.newlines = newlines    # line breaks in the source between the previous item and this one
        self.after_dot = after_dot  # a keyword used as a property name (x.class)


class _Group:
    __slots__ = ("opener", "block", "indent", "questions", "after_do", "empty", "spaced")

    def __init__(self, opener, block, indent, after_do=False, spaced=False):
        self.opener = opener
        self.block = block          # a '{' holding statements (the file itself is one)
        self.indent = indent        # the indentation of the line that opened it
        self.questions = 0          # '?' of ternaries waiting for their ':'
        self.after_do = after_do    # a do-while body: 'while' follows on the same line
        self.empty = True
        self.spaced = spaced        # an enum body: `{ RED, GREEN }` (objects are written `{a: 1}`)


def _comments(gap: str, newlines_before: int, items: list, at_start: bool):
    """Append the comments in `gap` (source text between two tokens); return the line breaks after the last."""
    i, n = 0, len(gap)
    nl = newlines_before
    while i < n:
        c = gap[i]
        if c == "\n":
            nl += 1
            i += 1
        elif c in " \t\r\f\ufeff":
            i += 1
        elif gap.startswith("//", i) or (at_start and not items and gap.startswith("#!", i)):
            end = gap.find("\n", i)
            end = n if end < 0 else end
            items.append(_Item("line-comment", gap[i:end].rstrip(), nl))
            nl = 0
            i = end
        elif gap.startswith("#{", i):
            depth, j = 1, i + 2
            while depth:
                a, b, c2 = gap.find("#{", j), gap.find("}#", j), gap.find("#}", j)
                closes = [x for x in (b, c2) if x >= 0]
                close = min(closes)
                if 0 <= a < close:
                    depth, j = depth + 1, a + 2
                else:
                    depth, j = depth - 1, close + 2
            items.append(_Item("block-comment", gap[i:j], nl))
            nl = 0
            i = j
        else:
            raise FormatError(f"unexpected text between tokens: {gap[i:i + 20]!r}")
    return nl


def _items(source: str, tokens: list) -> list:
    starts = [0]
    for k, ch in enumerate(source):
        if ch == "\n":
            starts.append(k + 1)
    items = []
    pos = 0
    nl = 0
    prev = None
    for tok in tokens:
        start = starts[tok.line - 1] + tok.col if tok.kind != EOF else len(source)
        nl = _comments(source[pos:start], 0, items, pos == 0)
        if tok.kind == EOF:
            break
        after_dot = tok.kind in KEYWORDS and prev is not None and prev.kind in (".", "?.")
        items.append(_Item(tok.kind, tok.lexeme, nl, after_dot))
        pos = start + len(tok.lexeme)
        prev = tok
    items.append(_Item(EOF, "", nl))
    return items


def _space(prev: _Item, item: _Item, prev2: _Item, top: _Group) -> str:
    """The blanks between two items on one line."""
    p, k = prev.kind, item.kind
    if k == "line-comment":
        return " "
    if p == "block-comment" or k == "block-comment":
        return " "
    if k in (",", ";", ")", "]", ".", "?.") or p in (".", "?.", "...", "(", "["):
        return ""
    if p == "{" and not top.block:
        return " " if top.spaced and k != "}" else ""
    if k == "}" and not top.block:
        return " " if top.spaced and p != "{" else ""
    value_end = p in _VALUE_END or prev.after_dot
    if k == "(":
        return "" if value_end or p in _CALL_WORDS or p in KEYWORDS and prev2 is not None and \
            prev2.kind == "fun" else " "
    if k == "[":
        return "" if value_end else " "
    if k == "{":
        return "" if p in ("(", "[") else " "
    if k == ":":
        return "" if (top.opener == "{" and not top.block and top.questions == 0) else " "
    if k in ("++", "--") and value_end:
        return ""       # postfix
    if p in ("!", "~") or (p in ("-", "+", "++", "--") and _unary(prev2)):
        if (p in ("-", "--") and k.startswith("-")) or (p in ("+", "++") and k.startswith("+")):
            return " "      # `- -x` must not become `--x`
        return ""
    return " "


def _unary(before: _Item) -> bool:
    """An operator after `before` is a prefix one."""
    return before is None or not (before.kind in _VALUE_END or before.after_dot)


def format_source(source: str, path: str = "<input>") -> str:
    """`source` in canonical layout. Raises CompileFailed for a program with lexical or syntax errors."""
    parse(source, path)         # raises CompileFailed with every lexical and syntax error
    tokens, _ = scan(source, path)
    text = _layout(_items(source, tokens))
    _check(source, text, path)
    return text


def _layout(items: list) -> str:
    out = []
    stack = [_Group(None, True, -1)]
    line_indent = 0
    prev = prev2 = None         # the last two items placed
    code = before_code = None   # the last two tokens placed (comments aside)
    closed = None               # the group just closed by `prev`, if prev is '}'
    for item in items:
        k = item.kind
        if k == EOF:
            break
        top = stack[-1]
        is_comment = k in ("line-comment", "block-comment")
        if prev is None:
            newline, blank = True, False
        else:
            newline = _breaks(prev, item, code, closed, top)
            blank = newline and item.newlines > 1
        if newline:
            if prev is not None:
                out.append("\n\n" if blank and prev.kind != "{" and k != "}" else "\n")
            if k in _CLOSERS:
                line_indent = top.indent
            else:
                line_indent = top.indent + 1
                if top.block and code is not None and code.kind not in (";", "{", "}") and not \
                        (k == "{" and code.kind == ")") and not (k in _JOINS_CLOSING_BRACE or k == "while"):
                    line_indent += 1    # the statement goes on from the line before
            out.append(INDENT * line_indent)
        elif prev is not None:
            out.append(_space(prev, item, prev2, top))
        out.append(item.text)
        if not is_comment:
            closed = None
            top.empty = False
            if k in _OPENERS:
                block = k == "{" and _opens_block(code, before_code)
                stack.append(_Group(k, block, line_indent, after_do=code is not None and code.kind == "do",
                                    spaced=before_code is not None and before_code.kind == "enum"))
            elif k in _CLOSERS and len(stack) > 1:
                closed = stack.pop()
            elif k == "?":
                top.questions += 1
            elif k == ":" and top.questions:
                top.questions -= 1
            code, before_code = item, code
        prev2, prev = prev, item
    out.append("\n")
    return "".join(out)


def _opens_block(code, before) -> bool:
    if code is None or code.kind in _BEFORE_BLOCK:
        return True
    if code.kind == IDENT:
        b = before.kind if before is not None else None
        return b in ("class", "->") or (code.text == "safe" and b in (";", "{", "}", None))
    return False


def _breaks(prev, item, code, closed, top) -> bool:
    """Whether `item` starts a new line."""
    k = item.kind
    if prev.kind == "line-comment" or item.newlines > 0 and not (
            prev is code and closed is not None and closed.block and _joins(k, closed)):
        return True
    if k in ("line-comment", "block-comment") or code is None:
        return False
    # `code` rather than `prev`: an inline block comment does not join two statements
    if code.kind == ";" and top.block or code.kind == "{" and top.block and k != "}":
        return True
    if k == "}" and top.block and not top.empty:
        return True
    if closed is not None and closed.block:
        return not _joins(k, closed) and k not in (";", ",", ")", "]", ".", "?.", "(")
    return False


def _joins(kind, closed) -> bool:
    """`} else`, `} catch`, `} while (x);` of a do-while: the word stays on the closing brace's line."""
    return kind in _JOINS_CLOSING_BRACE or (kind == "while" and closed.after_do)


def _check(source: str, text: str, path: str):
    """The formatted text holds the same tokens and comments as the source."""
    def signature(src):
        tokens, diagnostics = scan(src, path)
        if diagnostics:
            raise FormatError(f"the formatted text does not scan: {diagnostics[0].message}")
        items = _items(src, tokens)
        return [(i.kind, i.text) for i in items]
    if signature(source) != signature(text):
        raise FormatError(f"{path}: formatting would change the program's tokens")


def check_file(path: str) -> bool:
    """Whether the file is already formatted."""
    source = read_source(path)
    return format_source(source, path) == source


def main(argv: list, out, err) -> int:
    """`neutron fmt [--check] FILE...`: rewrite each file in canonical layout (`-` reads stdin, prints stdout);
    with --check, list the files that are not formatted and change nothing (status 1 if any)."""
    import sys
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    if not paths:
        err.write("usage: neutron fmt [--check] FILE...   (FILE '-' reads standard input)\n")
        return 64
    status = 0
    for path in paths:
        try:
            source = sys.stdin.read() if path == "-" else read_source(path)
        except OSError as e:
            err.write(f"neutron fmt: cannot read {path}: {e.strerror}\n")
            status = max(status, 66)
            continue
        try:
            text = format_source(source, "<stdin>" if path == "-" else path)
        except CompileFailed as e:
            e.source = source
            err.write(format_diagnostics(e))
            status = max(status, 65)
            continue
        if check:
            if text != source:
                out.write(f"{path}\n")
                status = max(status, 1)
        elif path == "-":
            out.write(text)
        elif text != source:
            with open(path, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
    return status
