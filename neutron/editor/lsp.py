"""`neutron lsp`: the Language Server Protocol over stdio, on pygls.

It owns the protocol side only (positions, URIs, message types); what a program means comes from
analysis.py, the layout from fmt.py. Positions: LSP lines are 0-based, Neutron's 1-based; columns are 0-based
in both and counted in characters, which is what UTF-16 positions are for text in the Basic Multilingual Plane.
"""
from __future__ import annotations

import os
from urllib.parse import unquote, urlparse

from lsprotocol import types as T
from pygls.lsp.server import LanguageServer

from .. import __version__
from . import analysis as A
from ..errors import CompileFailed
from .fmt import format_source

_SYMBOL_KINDS = {
    "function": T.SymbolKind.Function, "method": T.SymbolKind.Method, "class": T.SymbolKind.Class,
    "enum": T.SymbolKind.Enum, "member": T.SymbolKind.EnumMember, "variable": T.SymbolKind.Variable,
    "field": T.SymbolKind.Field, "module": T.SymbolKind.Module,
}
_COMPLETION_KINDS = {
    "function": T.CompletionItemKind.Function, "method": T.CompletionItemKind.Method,
    "class": T.CompletionItemKind.Class, "enum": T.CompletionItemKind.Enum,
    "member": T.CompletionItemKind.EnumMember, "variable": T.CompletionItemKind.Variable,
    "parameter": T.CompletionItemKind.Variable, "field": T.CompletionItemKind.Field,
    "module": T.CompletionItemKind.Module, "keyword": T.CompletionItemKind.Keyword,
    "constant": T.CompletionItemKind.Constant,
}


def uri_to_path(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def path_to_uri(path: str) -> str:
    from pathlib import Path
    return Path(os.path.abspath(path)).as_uri()


class NeutronServer(LanguageServer):
    def __init__(self):
        super().__init__("neutron", __version__)
        self.indexes = {}       # uri -> analysis.Index of the open text

    def index_of(self, uri: str) -> A.Index:
        doc = self.workspace.get_text_document(uri)
        idx = self.indexes.get(uri)
        if idx is None or idx.source != doc.source:
            idx = self.indexes[uri] = A.index(doc.source, uri_to_path(uri))
        return idx

    def used_files(self, idx: A.Index) -> list:
        """Indexes of the files brought in by `using`, read from disk (or from the editor if open there)."""
        out = []
        for written in idx.usings:
            path = A.find_using(idx.path, written)
            if path is None:
                continue
            uri = path_to_uri(path)
            if uri in self.indexes:
                out.append(self.index_of(uri))
                continue
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    out.append(A.index(fh.read(), os.path.abspath(path)))
            except OSError:
                pass
        return out

    def publish(self, uri: str):
        doc = self.workspace.get_text_document(uri)
        found = A.diagnostics(doc.source, uri_to_path(uri))
        lines = doc.source.split("\n")
        items = []
        for d in found:
            line = max(d.line - 1, 0)
            text = lines[line] if line < len(lines) else ""
            end = d.col + max(1, len(_word_at(text, d.col)))
            message = d.message + (f"\n{d.suggestion}" if d.suggestion else "")
            items.append(T.Diagnostic(range=T.Range(T.Position(line, d.col), T.Position(line, end)),
                                      message=message, severity=T.DiagnosticSeverity.Error, source="neutron",
                                      code=d.kind))
        self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=items,
                                                                          version=doc.version))


def _word_at(text: str, col: int) -> str:
    import re
    m = re.compile(r"[A-Za-z0-9_]+|\S").match(text, col) if col < len(text) else None
    return m.group() if m else ""


def _location(decl: A.Decl, fallback_uri: str) -> T.Location:
    uri = path_to_uri(decl.path) if decl.path and os.path.isabs(decl.path) else fallback_uri
    start = T.Position(decl.line - 1, decl.col)
    return T.Location(uri=uri, range=T.Range(start, T.Position(decl.line - 1, decl.col + len(decl.name))))


def _symbols(idx: A.Index) -> list:
    top, children = [], {}
    for d in idx.decls:
        if d.kind in ("method", "field", "member") and d.container:
            children.setdefault(d.container, []).append(d)
    for d in idx.decls:
        if d.scope != () or d.kind not in _SYMBOL_KINDS or d.kind in ("method", "field", "member"):
            continue
        rng = T.Range(T.Position(d.line - 1, d.col), T.Position(d.line - 1, d.col + len(d.name)))
        kids = [T.DocumentSymbol(name=c.name, kind=_SYMBOL_KINDS[c.kind], range=T.Range(
                    T.Position(c.line - 1, c.col), T.Position(c.line - 1, c.col + len(c.name))),
                    selection_range=T.Range(T.Position(c.line - 1, c.col),
                                            T.Position(c.line - 1, c.col + len(c.name))), detail=c.detail or None)
                for c in children.get(d.name, ())] if d.kind in ("class", "enum") else None
        top.append(T.DocumentSymbol(name=d.name, kind=_SYMBOL_KINDS[d.kind], range=rng, selection_range=rng,
                                    detail=d.detail or None, children=kids))
    return top


def create_server() -> NeutronServer:
    server = NeutronServer()

    @server.feature(T.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: NeutronServer, params: T.DidOpenTextDocumentParams):
        ls.publish(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: NeutronServer, params: T.DidChangeTextDocumentParams):
        ls.publish(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: NeutronServer, params: T.DidSaveTextDocumentParams):
        ls.publish(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: NeutronServer, params: T.DidCloseTextDocumentParams):
        ls.indexes.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=params.text_document.uri,
                                                                        diagnostics=[]))

    @server.feature(T.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(ls: NeutronServer, params: T.DocumentSymbolParams):
        return _symbols(ls.index_of(params.text_document.uri))

    @server.feature(T.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: NeutronServer, params: T.DefinitionParams):
        uri = params.text_document.uri
        idx = ls.index_of(uri)
        pos = params.position
        r = A.ref_at(idx, pos.line + 1, pos.character)
        if r is None:
            return None
        if isinstance(r, A.Decl):
            return _location(r, uri)
        if r.after_dot:
            found = [d for d in idx.decls if d.kind in ("method", "field", "member") and d.name == r.name]
            return [_location(d, uri) for d in found] or None
        decl = A.resolve(idx, r, others=ls.used_files(idx))
        return _location(decl, uri) if decl is not None else None

    @server.feature(T.TEXT_DOCUMENT_REFERENCES)
    def references(ls: NeutronServer, params: T.ReferenceParams):
        uri = params.text_document.uri
        idx = ls.index_of(uri)
        pos = params.position
        r = A.ref_at(idx, pos.line + 1, pos.character)
        if r is None:
            return None
        target = r if isinstance(r, A.Decl) else A.resolve(idx, r, others=ls.used_files(idx))
        if target is None:
            return None
        out, seen = [], set()
        # this document, the files it uses, and the open documents that use the target's file
        pool = [(uri, idx)] + [(path_to_uri(o.path), o) for o in ls.used_files(idx)]
        pool += [(u, ls.index_of(u)) for u in list(ls.indexes) if u != uri]
        for doc_uri, other in pool:
            others = ls.used_files(other)
            for ref in other.refs:
                if ref.after_dot or ref.name != target.name:
                    continue
                if A.resolve(other, ref, others=others) == target:
                    key = (doc_uri, ref.line, ref.col)
                    if key not in seen:
                        seen.add(key)
                        out.append(T.Location(uri=doc_uri, range=T.Range(
                            T.Position(ref.line - 1, ref.col), T.Position(ref.line - 1, ref.col + len(ref.name)))))
        if params.context.include_declaration:
            loc = _location(target, uri)
            if (loc.uri, target.line, target.col) not in seen:
                out.insert(0, loc)
        return out

    @server.feature(T.TEXT_DOCUMENT_HOVER)
    def hover(ls: NeutronServer, params: T.HoverParams):
        idx = ls.index_of(params.text_document.uri)
        text = A.hover(idx, params.position.line + 1, params.position.character, ls.used_files(idx))
        if not text:
            return None
        return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value=text))

    @server.feature(T.TEXT_DOCUMENT_COMPLETION, T.CompletionOptions(trigger_characters=["."]))
    def completion(ls: NeutronServer, params: T.CompletionParams):
        doc = ls.workspace.get_text_document(params.text_document.uri)
        idx = ls.index_of(params.text_document.uri)
        pos = params.position
        lines = doc.source.split("\n")
        before = lines[pos.line][:pos.character] if pos.line < len(lines) else ""
        items = [T.CompletionItem(label=label, kind=_COMPLETION_KINDS.get(kind), detail=detail or None)
                 for label, kind, detail in A.completions(idx, pos.line + 1, pos.character, before)]
        return T.CompletionList(is_incomplete=False, items=items)

    @server.feature(T.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: NeutronServer, params: T.DocumentFormattingParams):
        doc = ls.workspace.get_text_document(params.text_document.uri)
        try:
            text = format_source(doc.source, uri_to_path(params.text_document.uri))
        except CompileFailed:
            return None         # the diagnostics already show why
        if text == doc.source:
            return []
        lines = doc.source.split("\n")
        end = T.Position(len(lines), 0)
        return [T.TextEdit(range=T.Range(T.Position(0, 0), end), new_text=text)]

    return server


def main(argv=()) -> int:
    """`neutron lsp`: serve on stdin/stdout until the client says exit."""
    if argv and argv[0] not in ("--stdio",):
        import sys
        sys.stderr.write("usage: neutron lsp [--stdio]   (the Language Server Protocol on stdin/stdout)\n")
        return 64
    create_server().start_io()
    return 0
