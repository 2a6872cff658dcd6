"""How problems found before a program runs are kept and shown: bounded in number, long lines cut."""
from neutron.errors import MAX_ERRORS, CompileFailed, Diagnostic, Diagnostics, excerpt, format_diagnostics, \
    source_line


def d(line, col=0, message="m"):
    return Diagnostic("SyntaxError", message, "t.nt", line, col)


def test_a_stage_keeps_the_first_problems_and_counts_the_rest():
    found = Diagnostics()
    for i in range(MAX_ERRORS + 5):
        found.append(d(i + 1))
    assert len(found) == MAX_ERRORS and found.dropped == 5
    assert [x.line for x in found] == list(range(1, MAX_ERRORS + 1))


def test_merged_stages_keep_the_earliest_in_the_source():
    lexical = Diagnostics(d(line) for line in range(50, 50 + MAX_ERRORS))
    lexical.dropped = 3
    syntax = Diagnostics([d(1), d(60)])
    merged = Diagnostics.merge(lexical, syntax)
    assert [x.line for x in merged][:2] == [1, 50] and len(merged) == MAX_ERRORS
    assert merged.dropped == 3 + 2      # the syntax error at 60 and the last lexical one fell off


def test_the_report_shows_at_most_max_errors_and_counts_all():
    found = Diagnostics()
    for i in range(100):
        found.append(d(i + 1, 0, f"problem {i + 1}"))
    text = format_diagnostics(CompileFailed(found, "x\n" * 100))
    assert f"problem {MAX_ERRORS}\n" in text and f"problem {MAX_ERRORS + 1}\n" not in text
    assert f"Too many errors: {100 - MAX_ERRORS} more not shown." in text and text.endswith("Found 100 errors.\n")
    assert "Too many" not in format_diagnostics(CompileFailed([d(1)], "x\n"))


def test_an_excerpt_is_cut_around_the_column():
    assert excerpt("short", 2) == ("short", 2)
    line = "a" * 300 + "X" + "b" * 300
    text, col = excerpt(line, 300, 100)
    assert text[col] == "X" and text.startswith("...a") and text.endswith("b...") and len(text) == 106
    text, col = excerpt(line, 3, 100)          # near the start: no '...' before
    assert text.startswith("aaa") and col == 3 and text.endswith("...")
    text, col = excerpt(line, 599, 100)        # near the end: no '...' after
    assert text.endswith("bbb") and text[col] == "b" and text.startswith("...")


def test_source_line():
    src = "one\ntwo\r\nthree"
    assert [source_line(src, n) for n in (0, 1, 2, 3, 4)] == [None, "one", "two", "three", None]
