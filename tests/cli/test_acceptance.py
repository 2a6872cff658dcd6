"""The durable-execution guide's examples, run as a user runs them: `python -m neutron prog.nt`, then
`python -m neutron --resume file.snap`, each in a fresh process. Mirrors the acceptance check script; the programs
are copies kept in tests/cli/acceptance/."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).resolve().parent / "acceptance"


@pytest.fixture
def workdir(tmp_path):
    for program in PROGRAMS.glob("*.nt"):
        shutil.copy(program, tmp_path / program.name)
    return tmp_path


def neutron(workdir, *args, env_extra=None, timeout=60):
    env = {k: v for k, v in os.environ.items() if k != "PIPELINE_CRASH"}     # PYTHONPATH: see tests/conftest.py
    if env_extra:
        env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "neutron", *args], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def expect(result, stdout, status=0):
    # The check script compares $(...) output, which drops trailing newlines.
    assert (result.stdout.rstrip("\n"), result.returncode) == (stdout, status), \
        f"stderr:\n{result.stderr[:2000]}"
    assert "Traceback" not in result.stderr


def test_basic(workdir):
    expect(neutron(workdir, "basic.nt"), "Halfway done...\nFinished!")
    expect(neutron(workdir, "--resume", "backup.snap"), "Finished!")
    expect(neutron(workdir, "--resume", "backup.snap"), "Finished!")


def test_pipeline(workdir):
    expect(neutron(workdir, "pipeline.nt", env_extra={"PIPELINE_CRASH": "1"}),
           "Download complete.\nCrashing while processing...", 3)
    expect(neutron(workdir, "--resume", "after_download.snap"),
           "Uploaded 1000 rows, total 749250\nDownloads performed: 1")


def test_monitor(workdir):
    expect(neutron(workdir, "monitor.nt"), "Day 1 complete. Hibernating...")
    expect(neutron(workdir, "--resume", "monitor.snap"), "Waking up for next day!\nDay 2 complete. Hibernating...")
    expect(neutron(workdir, "--resume", "monitor.snap"), "Waking up for next day!\nDay 3 complete. Hibernating...")


def test_reconnect(workdir):
    expect(neutron(workdir, "reconnect.nt"), "db answered before (#1)\ndb answered after (#1)")
    expect(neutron(workdir, "--resume", "save.snap"), "db answered after (#1)")


def test_truncated_snapshot(workdir):
    expect(neutron(workdir, "basic.nt"), "Halfway done...\nFinished!")
    data = (workdir / "backup.snap").read_bytes()
    (workdir / "cut.snap").write_bytes(data[:100])
    result = neutron(workdir, "--resume", "cut.snap", timeout=20)
    assert result.stdout == ""
    assert result.returncode != 0
    assert result.stderr.strip()
    assert "Traceback" not in result.stderr


# ---- beyond the script: the exit statuses and file rules the project documents ------------------------------

def bad_snapshot_status(workdir, name, content):
    (workdir / name).write_bytes(content)
    result = neutron(workdir, "--resume", name, timeout=20)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()
    return result.returncode


def test_unreadable_snapshots_exit_66(workdir):
    expect(neutron(workdir, "basic.nt"), "Halfway done...\nFinished!")
    data = (workdir / "backup.snap").read_bytes()
    assert bad_snapshot_status(workdir, "cut.snap", data[:100]) == 66
    assert bad_snapshot_status(workdir, "half.snap", data[:len(data) // 2]) == 66
    assert bad_snapshot_status(workdir, "empty.snap", b"") == 66
    assert bad_snapshot_status(workdir, "text.snap", b"say(1);\n") == 66
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0xFF
    assert bad_snapshot_status(workdir, "flipped.snap", bytes(flipped)) == 66
    result = neutron(workdir, "--resume", "does-not-exist.snap", timeout=20)
    assert result.returncode == 66 and result.stdout == "" and "Traceback" not in result.stderr


def test_snapshot_is_private_and_complete(workdir):
    expect(neutron(workdir, "basic.nt"), "Halfway done...\nFinished!")
    snap = workdir / "backup.snap"
    assert stat.S_IMODE(snap.stat().st_mode) == 0o600
    # the write goes through a temporary file renamed over the target: nothing else is left behind
    assert sorted(p.name for p in workdir.iterdir()) == sorted(
        [p.name for p in PROGRAMS.glob("*.nt")] + ["backup.snap"])


def test_resume_needs_no_source(workdir):
    expect(neutron(workdir, "basic.nt"), "Halfway done...\nFinished!")
    (workdir / "basic.nt").unlink()
    expect(neutron(workdir, "--resume", "backup.snap"), "Finished!")


@pytest.mark.parametrize("source, status", [
    ('say("ok");\n', 0),
    ('say(1 / 0);\n', 1),
    ('throw "x";\n', 1),
    ('say("a");\nvar = ;\n', 65),
    ('break;\n', 65),
    ('use sys;\nsys.exit(7);\n', 7),
])
def test_exit_statuses(workdir, source, status):
    (workdir / "prog.nt").write_text(source, encoding="utf-8")
    result = neutron(workdir, "prog.nt")
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    if status == 65:
        assert result.stdout == ""


def test_usage_error_exit_2(workdir):
    result = neutron(workdir, "--resume")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


# ---- error reports on stderr: the reference's layout (no colours when stderr is not a terminal) -------------

def test_runtime_error_report(workdir):
    (workdir / "e1.nt").write_text("fun f(a) {\n  var b = 1;\n  return a / 0;\n}\nf(1);\n", encoding="utf-8")
    result = neutron(workdir, "e1.nt")
    assert result.returncode == 1 and result.stdout == ""
    err = result.stderr
    assert "RuntimeError in e1.nt at line 3:\n  Division by zero.\n" in err
    assert "\n   3 |   return a / 0;\n" in err
    assert "Stack trace:\n  at f (e1.nt:3)\n  at <script> (e1.nt:5)\n" in err
    assert "\x1b[" not in err


def test_syntax_error_report(workdir):
    (workdir / "c6.nt").write_text('say("never");\nx += ;\n', encoding="utf-8")
    result = neutron(workdir, "c6.nt")
    assert result.returncode == 65 and result.stdout == ""
    err = result.stderr
    assert "SyntaxError in c6.nt at line 2, column 5:\n  Expect expression.\n" in err
    assert "\n   2 | x += ;\n     |      ^\n" in err
    assert "Found 1 error." in err
