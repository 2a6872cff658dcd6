"""The prompt as a process: `neutron` with no file reads entries from stdin; `neutron --resume` of a snapshot taken
there goes back to the prompt."""
from __future__ import annotations

import os
import subprocess
import sys


def neutron(*args, stdin, cwd):
    env = dict(os.environ)
    env.pop("NEUTRON_VM", None)
    done = subprocess.run([sys.executable, "-m", "neutron", *args], input=stdin.encode("utf-8"), cwd=cwd, env=env,
                          capture_output=True, timeout=60)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


SESSION = """use sys;
var count = 2;
fun twice(x) { return x * 2; }
class Box { fun initialize(v) { this.v = v; } fun get() { return this.v; } }
var box = Box("kept");
sys.checkpoint("prompt.snap"); say("resumed: " + sys.resumed());
say("end of the first session");
"""


def test_a_snapshot_taken_at_the_prompt_resumes_into_the_prompt(tmp_path):
    # Regression: the resume ran what was left of the entry that took the checkpoint and ended, so the session's
    # globals, functions and classes could not be used.
    status, out, err = neutron(stdin=SESSION, cwd=tmp_path)
    assert (status, out, err) == (0, "resumed: false\nend of the first session\n", "")
    later = 'twice(count)\nbox.get()\nBox(count + 1).get()\nsay(sys.resumed());\nvar more = 1;\nmore + count\n'
    status, out, err = neutron("--resume", "prompt.snap", stdin=later, cwd=tmp_path)
    assert (status, out, err) == (0, "resumed: true\n4\nkept\n3\ntrue\n3\n", "")
    # an error in a resumed session is reported and the session goes on; sys.exit ends it with its status
    status, out, err = neutron("--resume", "prompt.snap", stdin="say(nope);\nsay(count);\nsys.exit(4);\nsay(0);\n",
                               cwd=tmp_path)
    assert (status, out) == (4, "resumed: true\n2\n")
    assert "Undefined variable 'nope'." in err


def test_a_plain_program_does_not_resume_into_the_prompt(tmp_path):
    (tmp_path / "p.nt").write_text('use sys;\nsys.checkpoint("p.snap");\nsay("after");\n', encoding="utf-8")
    assert neutron("p.nt", stdin="", cwd=tmp_path) == (0, "after\n", "")
    assert neutron("--resume", "p.snap", stdin="say(1);\n", cwd=tmp_path) == (0, "after\n", "")
