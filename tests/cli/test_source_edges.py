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


def test_a_file_of_random_bytes_gives_a_bounded_report(tmp_path):
    # Regression: 300 KB of random bytes printed one lexical error per bad byte (1.4 MB for the file).
    import random
    rnd = random.Random(15)
    (tmp_path / "p.nt").write_bytes(bytes(rnd.randrange(256) for _ in range(300_000)))
    status, out, err = neutron("p.nt", cwd=tmp_path)
    assert (status, out) == (65, "")
    assert len(err) < 6000 and len(err.splitlines()) < 60, err
    assert "Invalid UTF-8: byte 0x" in err and "Too many errors: " in err and "more not shown." in err
    assert "Traceback" not in err


def test_a_flood_of_compile_errors_is_cut_after_twenty(tmp_path):
    # Regression: a redeclaration on each line printed one report per line (6.8 GB for a 50 MB file).
    (tmp_path / "p.nt").write_text('say("never");\n' + "var a = 1;\n" * 20_000, encoding="utf-8")
    status, out, err = neutron("p.nt", cwd=tmp_path)
    assert (status, out) == (65, "")
    assert err.count("Variable 'a' is already declared.") == 20
    assert "Too many errors: 19979 more not shown." in err and err.endswith("Found 19999 errors.\n")


def test_a_long_source_line_is_cut_around_the_column(tmp_path):
    (tmp_path / "p.nt").write_text('var s = "' + "x" * 5000 + '"; var = 1; say("' + "y" * 5000 + '");\n',
                                   encoding="utf-8")
    status, out, err = neutron("p.nt", cwd=tmp_path)
    assert status == 65 and "Expect variable name." in err
    quoted = [line for line in err.splitlines() if line.startswith("   1 | ")]
    assert len(quoted) == 1 and len(quoted[0]) < 120
    caret = [line for line in err.splitlines() if line.startswith("     | ")][0]
    assert quoted[0][len(caret) - 1:].startswith("= 1;")       # the caret stands under the '=' it names
    assert quoted[0].startswith("   1 | ...xxx") and quoted[0].endswith("yyy...")


def test_a_source_that_is_not_utf8_is_an_error_naming_the_byte(tmp_path):
    # Regression: such a file was decoded as Latin-1 without a word (here, "café" would have printed "cafÃ©"
    # or "caf\xe9" depending on the byte).
    (tmp_path / "p.nt").write_bytes('say("one");\nsay("café");\n'.encode("latin-1"))
    status, out, err = neutron("p.nt", cwd=tmp_path)
    assert (status, out) == (65, "")
    assert "LexicalError in p.nt at line 2, column 8:" in err
    assert "Invalid UTF-8: byte 0xE9 at offset 20 is not part of a UTF-8 character." in err
    assert '   2 | say("caf\ufffd");' in err
    # a file named by `using` is checked the same way, before anything runs
    (tmp_path / "q.nt").write_text('say("first");\nusing "p.nt";\n', encoding="utf-8")
    status, out, err = neutron("q.nt", cwd=tmp_path)
    assert (status, out) == (65, "") and "byte 0xE9 at offset 20" in err
