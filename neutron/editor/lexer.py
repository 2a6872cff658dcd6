"""The Pygments lexer for Neutron (.nt, .ntsc) and `highlight(text)` for terminal output.

Its rules follow the scanner's (neutron/frontend/scanner.py and tokens.py); tests/editor/test_lexer.py checks
every test program against the scanner.
"""
from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Whitespace

from ..frontend.tokens import KEYWORDS, TYPE_NAMES

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_CONSTANTS = ("true", "false", "nil")
_DECLARATIONS = ("class", "fun", "var", "static", "enum")
_NAMESPACE = ("use", "using", "from", "as")
_WORDS = ("and", "or", "in")
_OTHER = tuple(sorted(KEYWORDS - set(_CONSTANTS) - set(_DECLARATIONS) - set(_NAMESPACE) - set(_WORDS) - {"this"}))


class NeutronLexer(RegexLexer):
    name = "Neutron"
    aliases = ["neutron", "nt"]
    filenames = ["*.nt", "*.ntsc"]
    mimetypes = ["text/x-neutron"]
    url = "https://github.com/neutron-lang"

    tokens = {
        "root": [
            (r"\A#![^\n]*", Comment.Hashbang),
            (r"\n", Whitespace),
            (r"[ \t\r\f\ufeff]+", Whitespace),
            (r"//[^\n]*", Comment.Single),
            (r"#\{", Comment.Multiline, "block-comment"),
            (r"(r)(\"[^\"]*\"|'[^']*')", bygroups(String.Affix, String)),
            (r'"', String.Double, "dq-string"),
            (r"'", String.Single, "sq-string"),
            (r"0[xX][0-9A-Fa-f]+", Number.Hex),
            (r"[0-9]+(\.[0-9]+([eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)", Number.Float),
            (r"[0-9]+", Number.Integer),
            # after '.' and '?.' every word, keywords included, is a property name
            (r"(\?\.|\.)([ \t\r\n]*)(" + _IDENT + ")", bygroups(Operator, Whitespace, Name.Attribute)),
            (r"(->)([ \t\r\n]*)(" + "|".join(sorted(TYPE_NAMES)) + r")\b",
             bygroups(Operator, Whitespace, Keyword.Type)),
            (r"(fun)([ \t\r\n]+)(" + _IDENT + ")", bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (r"(class|enum)([ \t\r\n]+)(" + _IDENT + ")",
             bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (words(_CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(_DECLARATIONS, suffix=r"\b"), Keyword.Declaration),
            (words(_NAMESPACE, suffix=r"\b"), Keyword.Namespace),
            (words(_WORDS, suffix=r"\b"), Operator.Word),
            (words(_OTHER, suffix=r"\b"), Keyword),
            (r"this\b", Keyword.Pseudo),
            # contextual keywords: `safe {`, and a type name before a name (`var int x`, `fun f(string s)`)
            (r"(safe)([ \t\r\n]*)(?=\{)", bygroups(Keyword, Whitespace)),
            (words(tuple(sorted(TYPE_NAMES)), suffix=r"\b(?=[ \t\r\n]+" + _IDENT + ")"), Keyword.Type),
            (r"(" + _IDENT + r")(?=[ \t\r\n]*\()", Name.Function),
            (_IDENT, Name),
            (r"\.\.\.|\?\.|\+\+|--|->|&&|\|\||[!=<>]=|=>|<<|>>|[-+*/%]=|[-+*/%&|^~?!=<>]", Operator),
            (r"[(){}\[\],.;:]", Punctuation),
        ],
        "block-comment": [
            (r"#\{", Comment.Multiline, "#push"),
            (r"\}#|#\}", Comment.Multiline, "#pop"),
            (r"[^#}]+", Comment.Multiline),
            (r"[#}]", Comment.Multiline),
        ],
        "escapes": [
            (r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[0-7]{1,3}|[ntr\\\"'abfv$])", String.Escape),
            (r"\\.?", String),    # an unknown escape keeps its backslash
            (r"\$\{", String.Interpol, "interpolation"),
        ],
        "dq-string": [
            (r'"', String.Double, "#pop"),
            include("escapes"),
            (r'[^"\\$]+|\$', String.Double),
        ],
        "sq-string": [
            (r"'", String.Single, "#pop"),
            include("escapes"),
            (r"[^'\\$]+|\$", String.Single),
        ],
        "interpolation": [
            (r"\}", String.Interpol, "#pop"),
            (r"\{", Punctuation, "braces"),
            include("root"),
        ],
        "braces": [
            (r"\}", Punctuation, "#pop"),
            (r"\{", Punctuation, "#push"),
            include("root"),
        ],
    }


def highlight(text: str, lexer=None, style: str = "default") -> str:
    """`text` with terminal colours (Neutron source unless another Pygments lexer is given)."""
    import pygments
    from pygments.formatters import TerminalFormatter
    return pygments.highlight(text, lexer or NeutronLexer(), TerminalFormatter(style=style))
