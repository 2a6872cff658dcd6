"""Running a program loads no editor library: pygments, prompt_toolkit and pygls stay out of `neutron prog.nt`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_running_a_program_imports_no_editor_library(tmp_path):
    prog = tmp_path / "p.nt"
    prog.write_text('use math; say(math.sqrt(16));\n')
    code = ("import sys, runpy; sys.argv = ['neutron', %r]\n"
            "try:\n    runpy.run_module('neutron', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pygments', 'prompt_toolkit', 'pygls', 'lsprotocol') or m.startswith('neutron.editor')))") % str(prog)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(REPO)})
    assert r.stdout == "4\n[]\n", r.stderr
