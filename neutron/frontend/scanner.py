"""Neutron scanner: source text -> tokens with line (1-based) and column (0-based, in characters).

Problems are collected as LexicalError diagnostics and scanning goes on; an unscannable character becomes an
ERROR token so that the parser stops there without reporting it a second time.

A string containing `${` becomes one INTERP token whose value holds the literal pieces and, for each `${...}`,
the tokens of the embedded expression (scanned in place, so their positions are real), ending in an EOF token
placed at the closing `}`.
"""
from __future__ import annotations

import re

from ..errors import MAX_ERRORS, Diagnostic, Diagnostics
from .tokens import EOF, ERROR, IDENT, INTERP, KEYWORDS, NUMBER, STRING, Token

# Blanks before a token are part of its match, to halve the number of matches.
_MASTER = re.compile(r"[ \t\r]*(?:" + "|".join((
    r"(?P<ws>\n[ \t\r\n]*)",
    r"(?P<id>[A-Za-z_][A-Za-z0-9_]*)",
    r"(?P<op>\.\.\.|\?\.|\+\+|--|->|&&|\|\||[!=<>]=|=>|<<|>>|[-+*%]=|/=|[(){}\[\],.;:+\-*%&|^~?!=<>])",
    r"(?P<cm>//[^\n]*)",
    r"(?P<num>0[xX][0-9A-Fa-f]+|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)",
    r"(?P<op2>/)",
    r"",                                # blanks alone, before a string, '#' or a bad character
)) + ")")

_SPECIAL = {'"': re.compile(r'[\\"$]'), "'": re.compile(r"[\\'$]")}
_COMMENT_MARK = re.compile(r"#\{|\}#|#\}")
_OCTAL = re.compile(r"[0-7]{1,3}")
_HEX = re.compile(r"[0-9A-Fa-f]+")

_ESCAPES = {
    "n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'",
    "a": "\a", "b": "\b", "f": "\f", "v": "\v",
    # `${` always opens an interpolation, so `\$` is the way to write a literal `${`.
    "$": "$",
}

MAX_INTERPOLATION_NESTING = 64


class _TooDeep(Exception):
    pass


class Scanner:
    def __init__(self, source: str, path: str = "<input>"):
        self.src = source
        self.n = len(source)
        self.path = path
        self.diagnostics = Diagnostics()
        # Line bookkeeping advances with the scan: `mark` is the last position converted by loc().
        self.line = 1
        self.line_start = 0
        self.mark = 0
        self.nesting = 0
        self.broken = False     # an unterminated string or comment was just reported

    def scan(self) -> list:
        pos = 0
        src = self.src
        if src.startswith("\ufeff"):
            pos = self.line_start = self.mark = 1
        if src.startswith("#!", pos):      # a shebang line, for executable scripts
            nl = src.find("\n", pos)
            pos = self.n if nl < 0 else nl
        try:
            tokens, _ = self._scan(pos, False)
        except _TooDeep:
            line, col = self.loc(self.n)
            tokens = [Token(EOF, "", None, line, col)]
        return tokens

    # -- positions and errors ---------------------------------------------------------------------------------

    def loc(self, pos: int) -> tuple:
        mark = self.mark
        if pos >= mark:
            src = self.src
            k = src.count("\n", mark, pos)
            if k:
                self.line += k
                self.line_start = src.rfind("\n", mark, pos) + 1
            self.mark = pos
            return self.line, pos - self.line_start
        src = self.src      # behind the mark (an error reported late): count from the start
        return src.count("\n", 0, pos) + 1, pos - (src.rfind("\n", 0, pos) + 1)

    def error(self, message: str, line: int, col: int, suggestion: str = None):
        self.diagnostics.append(Diagnostic("LexicalError", message, self.path, line, col, suggestion))

    # -- tokens -----------------------------------------------------------------------------------------------

    def _scan(self, pos: int, inner: bool):
        """Scan from pos to the end, or (inner) to the `}` closing an interpolation; returns (tokens, end)."""
        src, n = self.src, self.n
        tokens = []
        append = tokens.append
        match = _MASTER.match
        count, rfind = src.count, src.rfind
        depth = 0
        self.loc(pos)
        line, line_start = self.line, self.line_start     # kept locally; synced around the helpers
        while pos < n:
            m = match(src, pos)
            group = m.lastgroup
            end = m.end()
            if group is None and end > pos:
                pos = end
                continue
            if group is not None:
                if group == "ws":
                    line += count("\n", pos, end)
                    line_start = rfind("\n", pos, end) + 1
                    pos = end
                    continue
                if group == "cm":
                    pos = end
                    continue
                text = m.group(group)
                pos = end - len(text)
                if group == "id":
                    if text == "r" and end < n and (src[end] == '"' or src[end] == "'"):
                        self.line, self.line_start, self.mark = line, line_start, pos
                        tok, pos = self._string(pos, end, True)
                        append(tok)
                        self.loc(pos)
                        line, line_start = self.line, self.line_start
                        if self.broken:
                            self.broken = False
                            append(Token(ERROR, "", None, line, pos - line_start))
                        continue
                    append(Token(text if text in KEYWORDS else IDENT, text, None, line, pos - line_start))
                elif group == "num":
                    value = float(int(text[2:], 16)) if text[:2] in ("0x", "0X") else float(text)
                    append(Token(NUMBER, text, value, line, pos - line_start))
                else:
                    if inner:
                        if text == "{":
                            depth += 1
                        elif text == "}":
                            if depth == 0:
                                append(Token(EOF, "}", None, line, pos - line_start))
                                self.line, self.line_start, self.mark = line, line_start, pos
                                return tokens, pos
                            depth -= 1
                    append(Token(text, text, None, line, pos - line_start))
                pos = end
                continue
            self.line, self.line_start, self.mark = line, line_start, pos
            c = src[pos]
            if c == '"' or c == "'":
                tok, pos = self._string(pos, pos, False)
                append(tok)
            elif c == "#" and src.startswith("{", pos + 1):
                pos = self._block_comment(pos)
            elif "\udc80" <= c <= "\udcff":    # a byte that is not UTF-8: reported by undecodable()
                append(Token(ERROR, c, None, line, pos - line_start))
                pos += 1
            else:
                col = pos - line_start
                shown = c if c.isprintable() else repr(c)[1:-1]
                hint = "Use straight quotes (\" or ') around strings." if c in "\u201c\u201d\u2018\u2019" else None
                self.error(f"Unexpected character '{shown}'", line, col, hint)
                append(Token(ERROR, c, None, line, col))
                pos += 1
            self.loc(pos)
            line, line_start = self.line, self.line_start
            if self.broken:     # ran off the end: stop the parser here quietly
                self.broken = False
                append(Token(ERROR, "", None, line, pos - line_start))
        self.line, self.line_start, self.mark = line, line_start, n
        append(Token(EOF, "", None, line, n - line_start))
        return tokens, n

    def _block_comment(self, pos: int) -> int:
        # `#{ ... }#`, nestable; `#}` also closes.
        depth = 1
        i = pos + 2
        search = _COMMENT_MARK.search
        src = self.src
        while True:
            m = search(src, i)
            if m is None:
                line, col = self.loc(pos)
                self.broken = True
                self.error("Unterminated block comment.", line, col,
                           "Close a block comment '#{' with '}#'.")
                return self.n
            i = m.end()
            if m.group() == "#{":
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return i

    def _string(self, start: int, q: int, raw: bool):
        """A string literal whose opening quote is at q (start is before the `r` of a raw string)."""
        src, n = self.src, self.n
        line, col = self.loc(start)
        quote = src[q]
        i = q + 1
        if raw:
            j = src.find(quote, i)
            if j < 0:
                self.broken = True
                self.error("Unterminated string.", line, col)
                return Token(STRING, src[start:], src[i:], line, col), n
            return Token(STRING, src[start:j + 1], src[i:j], line, col), j + 1
        search = _SPECIAL[quote].search
        buf = []
        parts = None
        while True:
            m = search(src, i)
            if m is None:
                buf.append(src[i:])
                self.broken = True
                self.error("Unterminated string.", line, col)
                i = n
                break
            j = m.start()
            if j > i:
                buf.append(src[i:j])
            c = src[j]
            if c == quote:
                i = j + 1
                break
            if c == "\\":
                i = self._escape(j, buf)
            elif src.startswith("{", j + 1):
                if parts is None:
                    parts = []
                if buf:
                    parts.append("".join(buf))
                    buf = []
                tokens, end = self._interpolation(j)
                parts.append(tokens)
                if end >= n:
                    i = n
                    break
                i = end + 1
            else:
                buf.append("$")
                i = j + 1
        lexeme = src[start:i]
        if parts is None:
            return Token(STRING, lexeme, "".join(buf), line, col), i
        if buf:
            parts.append("".join(buf))
        parts = [p for p in parts if p != ""]
        return Token(INTERP, lexeme, parts, line, col), i

    def _interpolation(self, j: int):
        # j is the index of the `$` of `${`
        self.nesting += 1
        if self.nesting > MAX_INTERPOLATION_NESTING:
            line, col = self.loc(j)
            self.error("String interpolation nested too deeply.", line, col)
            raise _TooDeep()
        tokens, end = self._scan(j + 2, True)
        self.nesting -= 1
        if end >= self.n:
            line, col = self.loc(j)
            self.broken = True
            self.error("Unterminated interpolation: expected '}' to close '${'.", line, col)
        return tokens, end

    def _escape(self, j: int, buf: list) -> int:
        """Decode the escape whose backslash is at j into buf; return the index after it."""
        src = self.src
        k = j + 1
        if k >= self.n:
            buf.append("\\")
            return k
        c = src[k]
        simple = _ESCAPES.get(c)
        if simple is not None:
            buf.append(simple)
            return k + 1
        if "0" <= c <= "7":
            m = _OCTAL.match(src, k)
            buf.append(chr(int(m.group(), 8)))
            return m.end()
        if c == "x":
            cp = self._hex(j, 2)
            if cp is not None:
                buf.append(chr(cp))
                return k + 3
        elif c == "u":
            cp = self._hex(j, 4)
            if cp is not None:
                if 0xD800 <= cp <= 0xDBFF and src.startswith("\\u", k + 5):
                    low = src[k + 7:k + 11]
                    if len(low) == 4 and _HEX.fullmatch(low) and 0xDC00 <= int(low, 16) <= 0xDFFF:
                        buf.append(chr(0x10000 + ((cp - 0xD800) << 10) + (int(low, 16) - 0xDC00)))
                        return k + 11
                if 0xD800 <= cp <= 0xDFFF:
                    self._escape_error(j, f"Invalid escape '\\u{src[k + 1:k + 5]}': unpaired surrogate.")
                else:
                    buf.append(chr(cp))
                return k + 5
        elif c == "U":
            cp = self._hex(j, 8)
            if cp is not None:
                if cp > 0x10FFFF:
                    self._escape_error(j, f"Invalid escape '\\U{src[k + 1:k + 9]}': "
                                          "the largest code point is \\U0010FFFF.")
                elif 0xD800 <= cp <= 0xDFFF:
                    self._escape_error(j, f"Invalid escape '\\U{src[k + 1:k + 9]}': unpaired surrogate.")
                else:
                    buf.append(chr(cp))
                return k + 9
        else:
            # Unknown escapes keep the backslash, as the reference does.
            buf.append("\\")
            buf.append(c)
            return k + 1
        return k + 1    # a bad \x \u \U: skip the backslash and letter, keep the rest as text

    def _hex(self, j: int, width: int):
        digits = self.src[j + 2:j + 2 + width]
        if len(digits) == width and _HEX.fullmatch(digits):
            return int(digits, 16)
        letter = self.src[j + 1]
        self._escape_error(j, f"Invalid escape '\\{letter}': expected {width} hexadecimal digits.")
        return None

    def _escape_error(self, j: int, message: str):
        line, col = self.loc(j)
        self.error(message, line, col)


_UNDECODABLE = re.compile("[\udc80-\udcff]")


def undecodable(source: str, path: str, diagnostics: Diagnostics):
    """Report each byte of the file that is not UTF-8. The loader decodes such a byte to a lone surrogate
    (U+DC80..U+DCFF, Python's surrogateescape), wherever it is: in code, a string or a comment."""
    found = _UNDECODABLE.finditer(source)
    line, line_start, pos, offset = 1, 0, 0, 0
    for m in found:
        if len(diagnostics) >= MAX_ERRORS:
            diagnostics.dropped += 1 + sum(1 for _ in found)
            return
        at = m.start()
        offset += len(source[pos:at].encode("utf-8", "surrogateescape"))
        k = source.count("\n", pos, at)
        if k:
            line += k
            line_start = source.rfind("\n", pos, at) + 1
        pos = at
        byte = ord(source[at]) - 0xDC00
        diagnostics.append(Diagnostic("LexicalError", f"Invalid UTF-8: byte 0x{byte:02X} at offset {offset} is not "
                                      "part of a UTF-8 character.", path, line, at - line_start,
                                      "Save the file as UTF-8."))


def scan(source: str, path: str = "<input>") -> tuple:
    """Return (tokens, diagnostics); the token list always ends with an EOF token."""
    scanner = Scanner(source, path)
    tokens = scanner.scan()
    if _UNDECODABLE.search(source):
        bad = Diagnostics()
        undecodable(source, path, bad)
        return tokens, Diagnostics.merge(scanner.diagnostics, bad)
    return tokens, scanner.diagnostics
