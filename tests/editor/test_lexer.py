"""The Pygments lexer agrees with the scanner on every test program: what is a keyword, name, number, string,
operator and comment; it never emits an error token where the scanner reports nothing."""
from __future__ import annotations

import subprocess
import sys

import pytest
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, Punctuation, String, Whitespace

from programs import PROGRAMS, program_id
from neutron.editor.lexer import NeutronLexer, highlight
from neutron.frontend.scanner import scan
from neutron.frontend.tokens import EOF, ERROR, IDENT, INTERP, KEYWORDS, NUMBER, STRING, TYPE_NAMES

CONTEXTUAL = set(TYPE_NAMES) | {"safe"}


def _category(ttype):
    for name, parent in (("keyword", Keyword), ("keyword", Operator.Word), ("comment", Comment),
                         ("string", String), ("number", Number), ("name", Name), ("operator", Operator),
                         ("operator", Punctuation), ("space", Whitespace), ("error", Error)):
        if ttype in parent:
            return name
    return str(ttype)


def _scanner_tokens(tokens, out):
    """(token, category) for every token, the pieces of interpolated strings included."""
    prev = None
    for tok in tokens:
        if tok.kind == EOF:
            continue
        if tok.kind == INTERP:
            out.append((tok, "string"))
            for part in tok.value:
                if isinstance(part, list):
                    _scanner_tokens(part, out)
        elif tok.kind in (STRING,):
            out.append((tok, "string"))
        elif tok.kind == NUMBER:
            out.append((tok, "number"))
        elif tok.kind == IDENT:
            out.append((tok, "name"))
        elif tok.kind in KEYWORDS:
            out.append((tok, "name" if prev is not None and prev.kind in (".", "?.") else "keyword"))
        else:
            out.append((tok, "operator"))
        prev = tok
    return out


class _Lexed:
    def __init__(self, source):
        self.tokens = list(NeutronLexer().get_tokens_unprocessed(source))
        self.starts = [t[0] for t in self.tokens]
        self.cat = [0] * len(source)     # the category of each character
        for i, (start, ttype, value) in enumerate(self.tokens):
            c = _category(ttype)
            for k in range(start, start + len(value)):
                self.cat[k] = c

    def at(self, offset):
        return self.cat[offset]


def _offsets(source):
    starts = [0]
    for i, ch in enumerate(source):
        if ch == "\n":
            starts.append(i + 1)
    return starts


@pytest.mark.parametrize("path", PROGRAMS, ids=program_id)
def test_lexer_agrees_with_scanner(path):
    source = path.read_text(encoding="utf-8")
    tokens, diagnostics = scan(source, str(path))
    lexed = _Lexed(source)
    lines = _offsets(source)
    if diagnostics:
        # a program with a lexical error on purpose: compare up to the first one
        first = min((d.line, d.col) for d in diagnostics)
        limit = lines[first[0] - 1] + first[1]
    else:
        limit = len(source)
        errors = [t for t in lexed.tokens if t[1] in Error]
        assert not errors, f"error tokens in a valid program: {errors[:5]}"
    covered = [False] * len(source)
    for tok, want in _scanner_tokens(tokens, []):
        start = lines[tok.line - 1] + tok.col
        if start >= limit or tok.kind == ERROR:
            continue
        stop = start + len(tok.lexeme)
        for k in range(start, stop):
            covered[k] = True
        got = lexed.at(start)
        if tok.kind == IDENT and tok.lexeme in CONTEXTUAL and got == "keyword":
            continue
        if tok.kind in (STRING, INTERP):
            # the whole literal is string, apart from the code of its interpolations
            assert got == "string", (tok, got)
            continue
        assert got == want, f"{tok.line}:{tok.col}: {tok.lexeme!r} is {want} to the scanner, {got} to the lexer"
        assert {lexed.at(k) for k in range(start, stop)} == {want}, (tok, want)
    # what the scanner skips is blank or a comment to the lexer
    for k in range(limit):
        if not covered[k]:
            got = lexed.at(k)
            if source[k].isspace() or source[k] == "\ufeff":
                assert got in ("space", "comment", "string"), (k, source[k], got)
            else:
                assert got == "comment", f"offset {k} ({source[k]!r}): skipped by the scanner, {got} to the lexer"


def test_lexer_catches_every_token_kind():
    text = ('#!/usr/bin/env neutron\nuse math; fun f(int a) -> string { return "x${a + {b: 1}.b}\\n\\u00e9"; }\n'
            "#{ outer #{ inner }# still }# var s = r'\\d' + 'q' + 0xFF + 1.5e-3 + 2E4 + 7; x?.class;\n")
    kinds = {(_category(t), v) for _, t, v in NeutronLexer().get_tokens_unprocessed(text)}
    for pair in [("comment", "#!/usr/bin/env neutron"), ("keyword", "use"), ("keyword", "int"),
                 ("keyword", "string"), ("string", "\\n"), ("string", "\\u00e9"), ("string", "${"),
                 ("name", "a"), ("number", "1"), ("name", "b"), ("comment", "}#"), ("number", "0xFF"),
                 ("number", "1.5e-3"), ("number", "2E4"), ("number", "7"), ("name", "class"), ("operator", "?."),
                 ("string", "'\\d'")]:
        assert pair in kinds, pair


def test_highlight_colours_keywords():
    out = highlight("var x = 1;")
    assert out.startswith("\x1b[") and "var\x1b[" in out and "\x1b[39;49;00m" in out


def test_registered_for_pygmentize(tmp_path):
    # the entry point of pyproject.toml: `pygmentize -l neutron` finds the lexer once the package is installed
    from importlib.metadata import entry_points
    found = [e for e in entry_points(group="pygments.lexers") if e.name == "neutron"]
    assert found and found[0].value == "neutron.editor.lexer:NeutronLexer"
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
    assert isinstance(get_lexer_by_name("neutron"), NeutronLexer)
    assert isinstance(get_lexer_for_filename("x.ntsc"), NeutronLexer)
    prog = tmp_path / "p.nt"
    prog.write_text("fun f() { return 1; }\n")
    out = subprocess.run([sys.executable, "-m", "pygments", "-l", "neutron", "-f", "raw", str(prog)],
                         capture_output=True, text=True, check=True).stdout
    assert "Token.Keyword.Declaration\t'fun'" in out
