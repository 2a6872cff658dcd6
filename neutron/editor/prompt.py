"""The rich interactive prompt, on prompt_toolkit: highlighting as you type, multi-line input that ends when the
parser says the statement is complete, history in ~/.neutron_history, completion, Ctrl-C cancels the input.

repl.py runs what is read; this module only reads. `Reader(vm)()` returns the next input, '' after Ctrl-C, or
None at the end (Ctrl-D).
"""
from __future__ import annotations

import os

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.lexers import PygmentsLexer

from ..errors import CompileFailed
from ..frontend.parser import parse
from ..frontend.scanner import scan
from . import analysis
from .lexer import NeutronLexer

HISTORY = os.path.join("~", ".neutron_history")


def is_complete(text: str) -> bool:
    """Whether the input can run: it parses (a bare expression needs no ';' at the prompt), or the parser stops
    at a problem before the end of the input; it is incomplete when the parser ran out of input."""
    if not text.strip():
        return True
    try:
        parse(text, "<repl>")
        return True
    except CompileFailed as e:
        problems = e.diagnostics
    try:
        parse(text.rstrip() + ";", "<repl>")
        return True
    except CompileFailed:
        pass
    tokens, _ = scan(text, "<repl>")
    end = (tokens[-1].line, tokens[-1].col)
    for d in problems:
        if (d.line, d.col) >= end or d.message.startswith(("Unterminated", "Expect '}'")):
            return False
    return True


class _Completer(Completer):
    def __init__(self, reader):
        self.reader = reader

    def get_completions(self, document, complete_event):
        before = document.current_line_before_cursor
        word = ""
        while before and (before[-1].isalnum() or before[-1] == "_"):
            word = before[-1] + word
            before = before[:-1]
        prefix = self.reader.source
        source = prefix + document.text
        idx = analysis.index(source, "<repl>")
        line = prefix.count("\n") + document.cursor_position_row + 1
        col = document.cursor_position_col
        found = analysis.completions(idx, line, col, document.current_line_before_cursor)
        names = {label for label, _, _ in found}
        extra = [(name, "variable", "") for name in sorted(self.reader.vm.globals) if name not in names
                 and not name.startswith("__")] if "." not in before[-2:] else []
        for label, kind, detail in found + extra:
            if label.startswith(word) and label != word:
                yield Completion(label, start_position=-len(word), display_meta=detail or kind)


class Reader:
    def __init__(self, vm, input=None, output=None, history_path=HISTORY):
        self.vm = vm
        self.source = ""        # every input run so far, for completion of its names
        if history_path is None:
            history = InMemoryHistory()
        else:
            history = FileHistory(os.path.expanduser(history_path))
        keys = KeyBindings()

        @keys.add("enter")
        def _(event):
            buf = event.current_buffer
            if buf.document.is_cursor_at_the_end and is_complete(buf.text):
                buf.validate_and_handle()
            else:
                buf.insert_text("\n")

        self.session = PromptSession(
            lexer=PygmentsLexer(NeutronLexer), history=history, completer=_Completer(self), multiline=True,
            key_bindings=keys, prompt_continuation=lambda width, line, wrap: "... ".rjust(width),
            complete_while_typing=False, input=input, output=output, enable_history_search=False)

    def __call__(self):
        try:
            text = self.session.prompt("> ")
        except KeyboardInterrupt:
            return ""
        except EOFError:
            return None
        if text.strip():
            self.source += text + "\n"
        return text


def reader_for(vm, stdin):
    """A Reader when stdin is a terminal that prompt_toolkit can drive, else None (the plain prompt then)."""
    try:
        if not (stdin.isatty() and os.isatty(1)):
            return None
    except (AttributeError, ValueError, OSError):
        return None
    return Reader(vm)
