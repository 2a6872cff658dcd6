"""The formatter: every test program, formatted, prints the same and ends with the same status as before, and
formatting is a fixed point. A program with syntax errors is refused, never rewritten."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from programs import PROGRAMS, TESTS_DIR, program_id
from neutron.editor.fmt import format_source
from neutron.errors import CompileFailed
from neutron.frontend.parser import parse
from neutron.testing import run

REPO = TESTS_DIR.parent


def _parses(source, path):
    try:
        parse(source, path)
        return True
    except CompileFailed:
        return False


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """Two copies of tests/: as written, and with every program that parses formatted."""
    root = tmp_path_factory.mktemp("fmt")
    before, after = root / "before", root / "after"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "editor")
    shutil.copytree(TESTS_DIR, before, ignore=ignore)
    shutil.copytree(TESTS_DIR, after, ignore=ignore)
    for path in PROGRAMS:
        rel = path.relative_to(TESTS_DIR)
        source = path.read_text(encoding="utf-8")
        if _parses(source, str(path)):
            (after / rel).write_text(format_source(source, str(path)), encoding="utf-8")
    return before, after


def _outcome(root, rel):
    path = root / rel
    o = run(str(path), mode="vm", cwd=str(path.parent))
    # the program's place, its line numbers and the quoted source line are what formatting may change
    err = re.sub(r"\d+", "N", o.stderr.replace(str(root), "ROOT"))
    err = re.sub(r"(?m)^ *N \| .*\n(?: *\| *\^\n)?", "", err)
    return o.stdout, err, o.status


@pytest.mark.parametrize("path", [p for p in PROGRAMS if "lib" not in p.relative_to(TESTS_DIR).parts[:-1]
                                  and not p.name.endswith((".lib.nt", ".lib.ntsc"))], ids=program_id)
def test_formatted_program_runs_the_same(path, trees):
    before, after = trees
    rel = path.relative_to(TESTS_DIR)
    source = path.read_text(encoding="utf-8")
    if not _parses(source, str(path)):
        with pytest.raises(CompileFailed):
            format_source(source, str(path))
        return
    formatted = (after / rel).read_text(encoding="utf-8")
    assert format_source(formatted, str(path)) == formatted, "formatting twice changed the text"
    assert _outcome(after, rel) == _outcome(before, rel)


SAMPLE = """#!/usr/bin/env neutron
use math;   // the module
fun   add(a,b){return a+b;}   var x=-1; var y = x - -1;
#{ block
   comment #{ nested }# }#
if(x>0){say("pos");}
else { say(   "zero ${x + {a:1}.a}"  ); }  #{ after }#
var o = {a: 1, b: x > 0 ? 2 : 3};


do { x++; } while (x < 3); enum Color {RED, GREEN}
"""

EXPECTED = """#!/usr/bin/env neutron
use math; // the module
fun add(a, b) {
    return a + b;
}
var x = -1;
var y = x - -1;
#{ block
   comment #{ nested }# }#
if (x > 0) {
    say("pos");
} else {
    say("zero ${x + {a:1}.a}");
} #{ after }#
var o = {a: 1, b: x > 0 ? 2 : 3};

do {
    x++;
} while (x < 3);
enum Color { RED, GREEN }
"""


def test_canonical_layout():
    assert format_source(SAMPLE) == EXPECTED
    assert format_source(EXPECTED) == EXPECTED


def test_refuses_a_program_with_syntax_errors():
    with pytest.raises(CompileFailed):
        format_source("var x = ;\n")


def _neutron(*args, stdin=None, cwd=None):
    env = {**__import__("os").environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "neutron", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=cwd)


def test_fmt_command(tmp_path):
    messy, tidy = tmp_path / "messy.nt", tmp_path / "tidy.nt"
    messy.write_text("say(1);say(2);\n")
    tidy.write_text("say(1);\n")
    r = _neutron("fmt", "--check", str(messy), str(tidy))
    assert (r.returncode, r.stdout) == (1, f"{messy}\n")
    assert messy.read_text() == "say(1);say(2);\n"
    r = _neutron("fmt", str(messy))
    assert r.returncode == 0 and messy.read_text() == "say(1);\nsay(2);\n"
    assert _neutron("fmt", "--check", str(messy)).returncode == 0
    r = _neutron("fmt", "-", stdin="var  x=1;")
    assert (r.returncode, r.stdout) == (0, "var x = 1;\n")
    bad = tmp_path / "bad.nt"
    bad.write_text("var x = ;\n")
    r = _neutron("fmt", str(bad))
    assert r.returncode == 65 and "Expect expression." in r.stderr and bad.read_text() == "var x = ;\n"
