"""`neutron lsp` driven by pygls's client over stdio, as an editor would: open, change, diagnostics, symbols,
definition (within a file and across `using`), references, hover, completion and formatting."""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from lsprotocol import types as T
from pygls.lsp.client import LanguageClient

REPO = Path(__file__).resolve().parents[2]

MAIN = """use math;
using "helper.nt";
// Adds two numbers.
fun add(a, b) {
    var total = a + b;
    return total;
}
class Point {
    var x = 0;
    fun norm() { return math.sqrt(this.x); }
}
say(add(1, 2) + twice(3));
say(math.sqrt(2));
"""

HELPER = """// Doubles n.
fun twice(n) { return n * 2; }
"""


async def _session(tmp_path, steps):
    (tmp_path / "helper.nt").write_text(HELPER)
    main = tmp_path / "main.nt"
    main.write_text(MAIN)
    uri = main.as_uri()
    client = LanguageClient("neutron-test", "1")
    published = {}
    arrived = asyncio.Event()

    @client.feature(T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: T.PublishDiagnosticsParams):
        published[params.uri] = list(params.diagnostics)
        arrived.set()

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    await client.start_io(sys.executable, "-m", "neutron", "lsp", env=env, cwd=str(tmp_path))
    try:
        await asyncio.wait_for(client.initialize_async(T.InitializeParams(
            capabilities=T.ClientCapabilities(), root_uri=tmp_path.as_uri())), 30)
        client.initialized(T.InitializedParams())

        async def diagnostics_after(send):
            arrived.clear()
            send()
            await asyncio.wait_for(arrived.wait(), 30)
            return published[uri]

        await steps(client, uri, diagnostics_after)
        await asyncio.wait_for(client.shutdown_async(None), 30)
        client.exit(None)
    finally:
        server = client._server     # a failed step must not leave the server running
        try:
            await asyncio.wait_for(server.wait(), 10)
        except asyncio.TimeoutError:
            server.kill()
            print((await server.stderr.read()).decode(errors="replace")[-3000:], file=sys.stderr)
        await client.stop()


def _pos(line, col):
    return T.Position(line=line, character=col)


def test_language_server(tmp_path):
    async def steps(client, uri, diagnostics_after):
        doc = T.TextDocumentIdentifier(uri=uri)
        found = await diagnostics_after(lambda: client.text_document_did_open(T.DidOpenTextDocumentParams(
            text_document=T.TextDocumentItem(uri=uri, language_id="neutron", version=1, text=MAIN))))
        assert found == []

        # a syntax error as you type, then a wrong arity and an unknown module; then fixed
        broken = MAIN.replace("var total = a + b;", "var total = a + ;")
        found = await diagnostics_after(lambda: client.text_document_did_change(T.DidChangeTextDocumentParams(
            text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[T.TextDocumentContentChangeWholeDocument(text=broken)])))
        assert [(d.message, d.range.start.line, d.range.start.character) for d in found] == [
            ("Expect expression.", 4, 20)]
        wrong = MAIN.replace("math.sqrt(2)", "math.sqrt(2, 3)").replace("use math;", "use math; use nosuch;")
        found = await diagnostics_after(lambda: client.text_document_did_change(T.DidChangeTextDocumentParams(
            text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[T.TextDocumentContentChangeWholeDocument(text=wrong)])))
        messages = sorted((d.message, d.range.start.line) for d in found)
        assert len(messages) == 2 and messages[0][0].startswith("Module 'nosuch' not found.")
        assert messages[1] == ("math.sqrt() expects 1 argument but got 2.", 12)
        found = await diagnostics_after(lambda: client.text_document_did_change(T.DidChangeTextDocumentParams(
            text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=4),
            content_changes=[T.TextDocumentContentChangeWholeDocument(text=MAIN)])))
        assert found == []

        symbols = await client.text_document_document_symbol_async(T.DocumentSymbolParams(text_document=doc))
        assert [(s.name, s.kind) for s in symbols] == [("math", T.SymbolKind.Module), ("add", T.SymbolKind.Function),
                                                       ("Point", T.SymbolKind.Class)]
        assert [c.name for c in symbols[2].children] == ["x", "norm"]

        # definition: `add` on line 12 -> line 4; `twice` -> helper.nt; `total` -> its var
        loc = await client.text_document_definition_async(T.DefinitionParams(text_document=doc,
                                                                              position=_pos(11, 5)))
        assert (loc.uri, loc.range.start.line, loc.range.start.character) == (uri, 3, 4)
        loc = await client.text_document_definition_async(T.DefinitionParams(text_document=doc,
                                                                              position=_pos(11, 17)))
        assert loc.uri.endswith("/helper.nt") and (loc.range.start.line, loc.range.start.character) == (1, 4)
        loc = await client.text_document_definition_async(T.DefinitionParams(text_document=doc,
                                                                              position=_pos(5, 12)))
        assert (loc.range.start.line, loc.range.start.character) == (4, 8)

        refs = await client.text_document_references_async(T.ReferenceParams(
            text_document=doc, position=_pos(3, 5), context=T.ReferenceContext(include_declaration=True)))
        assert sorted((r.range.start.line, r.range.start.character) for r in refs) == [(3, 4), (11, 4)]

        hover = await client.text_document_hover_async(T.HoverParams(text_document=doc, position=_pos(11, 5)))
        assert "fun add(a, b)" in hover.contents.value and "Adds two numbers." in hover.contents.value
        hover = await client.text_document_hover_async(T.HoverParams(text_document=doc, position=_pos(11, 17)))
        assert "fun twice(n)" in hover.contents.value and "Doubles n." in hover.contents.value
        hover = await client.text_document_hover_async(T.HoverParams(text_document=doc, position=_pos(12, 10)))
        assert "math.sqrt: 1 argument" in hover.contents.value and "square root" in hover.contents.value

        done = await client.text_document_completion_async(T.CompletionParams(text_document=doc,
                                                                               position=_pos(12, 9)))
        labels = {i.label for i in done.items}
        assert {"sqrt", "pow", "PI"} <= labels and "while" not in labels
        done = await client.text_document_completion_async(T.CompletionParams(text_document=doc,
                                                                               position=_pos(12, 0)))
        labels = {i.label for i in done.items}
        assert {"add", "Point", "math", "while", "return"} <= labels

        edits = await client.text_document_formatting_async(T.DocumentFormattingParams(
            text_document=doc, options=T.FormattingOptions(tab_size=4, insert_spaces=True)))
        assert len(edits) == 1 and "    fun norm() {\n        return math.sqrt(this.x);\n    }" in edits[0].new_text

    asyncio.run(_session(tmp_path, steps))
