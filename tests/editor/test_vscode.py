"""The VS Code side (editors/vscode): the TextMate grammar passes its annotated samples under
vscode-tmgrammar-test, and package.sh builds a .vsix holding the grammar and the client that starts
`neutron lsp`. The npm packages come from the committed package-lock.json; without node and npm these tests
fail (they are part of the project's checks, not optional)."""
from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

VSCODE = Path(__file__).resolve().parents[2] / "editors" / "vscode"


@pytest.fixture(scope="module")
def npm_installed():
    for tool in ("node", "npm", "npx"):
        if shutil.which(tool) is None:
            pytest.fail(f"'{tool}' is not on PATH: the editor tests need node and npm (apt-get install nodejs npm)")
    marker = VSCODE / "node_modules" / ".package-lock.json"
    lock = VSCODE / "package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime:
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=VSCODE,
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            pytest.fail(f"npm ci in editors/vscode failed (status {r.returncode}):\n{r.stdout}\n{r.stderr}")


def test_grammar_samples(npm_installed):
    samples = sorted(str(p.relative_to(VSCODE)) for p in (VSCODE / "test").glob("*.nt"))
    assert len(samples) >= 2
    r = subprocess.run(["npx", "--no-install", "vscode-tmgrammar-test", "-g", "syntaxes/neutron.tmLanguage.json",
                        *samples], cwd=VSCODE, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("run successfuly") == len(samples), r.stdout


def test_grammar_knows_every_keyword():
    from neutron.frontend.tokens import KEYWORDS, TYPE_NAMES
    text = (VSCODE / "syntaxes" / "neutron.tmLanguage.json").read_text()
    grammar = json.loads(text)
    patterns = json.dumps(grammar["repository"]["keywords"]) + json.dumps(grammar["repository"]["declarations"])
    for word in sorted(KEYWORDS | set(TYPE_NAMES) | {"safe"}):
        assert word in patterns, word


def test_package_builds_a_vsix(npm_installed, tmp_path):
    out = tmp_path / "neutron.vsix"
    r = subprocess.run(["bash", str(VSCODE / "package.sh"), str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    names = set(zipfile.ZipFile(out).namelist())
    for name in ("extension/package.json", "extension/extension.js", "extension/syntaxes/neutron.tmLanguage.json",
                 "extension/language-configuration.json",
                 "extension/node_modules/vscode-languageclient/package.json"):
        assert name in names, name
    assert not any("vscode-tmgrammar-test" in n or n.startswith("extension/test/") for n in names)
