"""What `neutron FILE` does with unusual source files: very long expressions, syntax errors in imported files,
floods of errors, long lines and bytes that are not UTF-8."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "unit"))
from test_frontend import CHAINS  # noqa: E402


def neutron(*args, cwd, env=None, timeout=120):
    full_env = dict(os.environ)
    full_env.pop("NEUTRON_VM", None)
    full_env.update(env or {})
    done = subprocess.run([sys.executable, "-m", "neutron", *map(str, args)], cwd=cwd, env=full_env,
                          capture_output=True, timeout=timeout)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8", "replace")


@pytest.mark.parametrize("vm", ["1", ""], ids=["vm", "compiled"])
@pytest.mark.parametrize("name", sorted(CHAINS))
def test_chains_10000_long_run_in_both_modes(tmp_path, name, vm):
    source, printed = CHAINS[name]
    (tmp_path / "p.nt").write_text(source + "\n", encoding="utf-8")
    status, out, err = neutron("p.nt", cwd=tmp_path, env={"NEUTRON_VM": vm})
    assert (status, out, err) == (0, printed + "\n", "")


@pytest.mark.parametrize("name", ["sum", "closure"])
def test_a_long_sum_stays_in_the_compiled_tier(tmp_path, name):
    # the tier evaluates a long operand chain in pieces: Python would refuse it as one nested expression
    source, printed = CHAINS[name]
    (tmp_path / "p.nt").write_text(source + "\n", encoding="utf-8")
    status, out, err = neutron("p.nt", cwd=tmp_path, env={"NEUTRON_DEBUG": "1"})
    assert (status, out, err) == (0, printed + "\n", "")
