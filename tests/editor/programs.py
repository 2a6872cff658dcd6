"""Shared by the editor tests: every Neutron program of the test suite."""
from __future__ import annotations

from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
PROGRAMS = sorted(p for p in TESTS_DIR.rglob("*") if p.suffix in (".nt", ".ntsc") and p.is_file())


def program_id(path):
    return str(path.relative_to(TESTS_DIR))
