"""Tokens of Neutron source text.

A token's kind is a short string: the text itself for punctuators and keywords ('(', '+=', 'while'), or one of
the names below for the other kinds. Comparing kinds is then a plain string comparison.
"""
from __future__ import annotations


IDENT = "IDENT"
NUMBER = "NUMBER"       # value: float
STRING = "STRING"       # value: str
INTERP = "INTERP"       # a string with ${...}; value: list of str pieces and token lists (each ending in EOF)
ERROR = "ERROR"         # an unscannable character, already reported; the parser only stops at it
EOF = "EOF"

# Reserved everywhere except after '.', '?.' and as an object literal key. `safe` and the type names
# (int float string bool array object any) are contextual and scanned as identifiers.
KEYWORDS = frozenset((
    "and", "class", "elif", "else", "false", "for", "fun", "if", "nil", "or", "say", "return", "static",
    "this", "true", "var", "while", "do", "break", "continue", "match", "case", "default", "try", "catch",
    "finally", "throw", "retry", "enum", "in", "use", "using", "from", "as",
))

# The type keywords, each with the name messages give its values ("expected 'number'"). The runtime keeps the same
# names in values.TYPE_DISPLAY (the front end and the runtime import nothing of each other); a test checks both agree.
TYPE_NAMES = {"int": "number", "float": "number", "string": "string", "bool": "boolean", "array": "array",
              "object": "object", "any": "any"}

# The punctuators the scanner's pattern recognises (it lists them in its own, faster form); tests hold both equal.
PUNCTUATORS = (
    "(", ")", "{", "}", "[", "]", ",", ".", "...", ";", ":",
    "+", "++", "-", "--", "->", "*", "/", "%", "&", "&&", "|", "||", "^", "~",
    "?", "?.", "!", "!=", "=", "==", "=>", "<", "<=", "<<", ">", ">=", ">>",
    "+=", "-=", "*=", "/=", "%=",
)


class Token:
    __slots__ = ("kind", "lexeme", "value", "line", "col")

    def __init__(self, kind: str, lexeme: str, value: object, line: int, col: int):
        self.kind = kind
        self.lexeme = lexeme        # the source text of the token
        self.value = value          # NUMBER: float, STRING: str, INTERP: parts, otherwise None
        self.line = line            # 1-based
        self.col = col              # 0-based, in characters

    def __eq__(self, other):
        return isinstance(other, Token) and all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None

    def __repr__(self):
        return f"Token({', '.join(f'{n}={getattr(self, n)!r}' for n in self.__slots__)})"

    def end(self) -> tuple:
        """(line, col) just after the token; strings may span lines."""
        text = self.lexeme
        nl = text.rfind("\n")
        if nl < 0:
            return self.line, self.col + len(text)
        return self.line + text.count("\n"), len(text) - nl - 1
