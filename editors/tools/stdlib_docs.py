"""Writes neutron/editor/stdlib_docs.py (hover text of built-in module functions) from the module documentation
(the spec's modules/*.md): for each `### `mod.fn(args)`` heading, the heading and its text up to the example.

    python3 editors/tools/stdlib_docs.py SPEC_MODULES_DIR
"""
import pathlib
import pprint
import re
import sys

HEADING = re.compile(r"^### `([a-z_]+)\.([A-Za-z_][A-Za-z0-9_]*)(\([^`]*\))?`\s*$")


def collect(folder):
    docs = {}
    for md in sorted(pathlib.Path(folder).glob("*.md")):
        key, body = None, []
        for line in md.read_text(encoding="utf-8").splitlines() + ["### end"]:
            if line.startswith(("### ", "## ", "---", "**Example")):
                if key and key not in docs:
                    docs[key] = "\n".join(body).strip()
                key, body = None, []
                m = HEADING.match(line)
                if m:
                    key = f"{m.group(1)}.{m.group(2)}"
                    body = [f"`{m.group(1)}.{m.group(2)}{m.group(3) or ''}`", ""]
            elif key:
                body.append(line)
    return docs


if __name__ == "__main__":
    docs = collect(sys.argv[1])
    out = pathlib.Path(__file__).resolve().parents[2] / "neutron" / "editor" / "stdlib_docs.py"
    out.write_text('"""Hover text of the built-in modules\' functions, taken from their documentation by '
                   'editors/tools/stdlib_docs.py."""\n\nDOCS = ' + pprint.pformat(docs, width=116) + "\n",
                   encoding="utf-8")
