"""The package's layers hold: every import in every module (function-level ones included) points down.

    errors, bytecode            know nothing of the rest
    frontend                    source -> code objects: errors, bytecode
    runtime                     values, frames, operators, the VM, methods: errors, bytecode, stdlib's registry
    stdlib                      native modules: runtime, errors
    durable, tier               snapshots and the compiled tier: runtime, stdlib, bytecode (never frontend, loader)
    loader, runner, cli, repl, testing   the wiring at the top
    fleet                       runs on PostgreSQL (`neutron fleet`): runner, durable; reached only from cli
    procpool                    worker processes for `process` (their VMs are made by runner)
    editor                      highlighting, the formatter, the language server, the rich prompt (beside cli)

A resume never needs the front end: see test_resume_imports_no_front_end in tests/unit/test_snapshot.py.
"""
from __future__ import annotations

import ast
import re
import os

import pytest

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "neutron")

# what each part may import (besides itself); a part is a sub-package or a top-level module
ALLOWED = {
    "errors": set(),
    "stdlib/__init__": {"errors", "runtime"},
    "__init__": set(),
    "__main__": {"cli"},
    "bytecode": {"errors"},
    "frontend": {"errors", "bytecode"},
    "runtime": {"errors", "bytecode", "stdlib/__init__"},
    "stdlib": {"errors", "bytecode", "runtime"},
    "durable": {"__init__", "errors", "bytecode", "runtime", "stdlib"},
    "tier": {"errors", "bytecode", "runtime", "stdlib"},
    "loader": {"errors", "bytecode", "frontend", "runtime", "stdlib"},
    "runner": {"errors", "bytecode", "frontend", "runtime", "stdlib", "durable", "tier", "loader", "procpool"},
    "procpool": {"errors", "bytecode", "runtime", "durable", "runner"},
    "testing": {"runner"},
    "repl": {"__init__", "errors", "frontend", "runtime", "runner", "editor"},
    "cli": {"__init__", "errors", "bytecode", "frontend", "runner", "repl", "loader", "editor", "fleet"},
    "fleet": {"__init__", "errors", "bytecode", "runtime", "stdlib", "durable", "runner"},
    "editor": {"__init__", "errors", "bytecode", "frontend", "runtime", "stdlib", "loader", "runner", "repl"},
}


def modules():
    for folder, _, files in os.walk(PACKAGE):
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(folder, f)
                yield os.path.relpath(path, PACKAGE)[:-3].replace(os.sep, "/"), path


def part_of(name):
    """'runtime/vm' -> 'runtime'; 'stdlib/__init__' stays whole (the registry); 'runner' -> 'runner'."""
    if name == "stdlib/__init__":
        return name
    return name.split("/")[0]


def imports(name, path):
    """(imported module as 'pkg/mod', line, is function-level, names imported, the source line) of each import."""
    text = open(path, encoding="utf-8").read()
    lines = text.splitlines()
    tree = ast.parse(text)
    here = name.split("/")[:-1] if not name.endswith("__init__") else name.split("/")[:-1]
    out = []
    top = set(id(n) for n in tree.body)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[:len(here) - (node.level - 1)] if node.level > 1 else list(here)
            mod = base + (node.module.split(".") if node.module else [])
            for alias in node.names:
                target = "/".join(mod + [alias.name])
                if os.path.isfile(os.path.join(PACKAGE, *mod, alias.name + ".py")) or \
                        os.path.isdir(os.path.join(PACKAGE, *mod, alias.name)):
                    full = target
                else:
                    full = "/".join(mod) if mod else "__init__"
                if os.path.isdir(os.path.join(PACKAGE, *full.split("/"))):
                    full += "/__init__"
                out.append((full, node.lineno, id(node) not in top, alias.name, lines[node.lineno - 1]))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for n in names:
                if n == "neutron" or n.startswith("neutron."):
                    raise AssertionError(f"{name}:{node.lineno}: absolute import of {n} inside the package")
    return out


def test_every_import_points_down():
    wrong = []
    for name, path in modules():
        mine = part_of(name)
        allowed = ALLOWED.get(mine)
        assert allowed is not None, f"{name}: a new part of the package; give it a place in ALLOWED"
        for target, line, _, _, _ in imports(name, path):
            theirs = part_of(target)
            if theirs == mine or (mine == "stdlib/__init__" and theirs == "stdlib"):
                continue
            if theirs not in allowed and not (theirs == "stdlib/__init__" and "stdlib" in allowed):
                wrong.append(f"{name}.py:{line} imports {target} ({mine} may import {sorted(allowed) or 'nothing'})")
    assert not wrong, "\n".join(wrong)


def test_no_private_name_crosses_a_module():
    wrong = []
    for name, path in modules():
        for target, line, _, imported, _ in imports(name, path):
            if imported.startswith("_") and not imported.startswith("__"):
                wrong.append(f"{name}.py:{line} imports the private name {imported} from {target}")
    assert not wrong, "\n".join(wrong)


def test_function_level_imports_are_for_start_up_only():
    """An import inside a function exists to keep start-up short (or a resume free of the front end), and says so
    with '# lazy: <why>'; never to dodge a cycle."""
    wrong = []
    for name, path in modules():
        for target, line, nested, _, source in imports(name, path):
            if nested and not re.search(r"# lazy: \S", source):
                wrong.append(f"{name}.py:{line}: {source.strip()}")
    assert not wrong, "function-level imports without '# lazy: <why>':\n" + "\n".join(wrong)


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_exists(part):
    """The table above names real places (a renamed folder must update it, not silently pass)."""
    assert os.path.isfile(os.path.join(PACKAGE, part + ".py")) or os.path.isdir(os.path.join(PACKAGE, part))
