"""Values with shared parts: printing, `==` and json.stringify stay bounded by the size of the text, not by the
number of paths through the value (issue 15, item 22); values larger than the point where the check runs
(values.WALK_CHECK arrays and objects) still print and compare as before."""
import pytest

from neutron.errors import NeutronError
from neutron.runtime.values import WALK_CHECK, equals, to_str
from neutron.stdlib.json import stringify_value


def doubled(levels, leaf):
    x = [leaf]
    for _ in range(levels):
        x = [x, x]
    return x


def test_large_values_with_no_sharing_are_unchanged():
    rows = [[float(i), {"k": "v"}] for i in range(WALK_CHECK)]     # more containers than WALK_CHECK
    text = to_str(rows)
    assert text.startswith("[[0, {k: v}], [1, {k: v}]") and text.endswith("[99999, {k: v}]]")
    assert equals(rows, [[float(i), {"k": "v"}] for i in range(WALK_CHECK)])
    assert not equals(rows, [[float(i), {"k": "v"}] for i in range(WALK_CHECK - 1)] + [[0.0, {"k": "w"}]])
    assert stringify_value(rows) == stringify_value(rows, fast=False)
    assert stringify_value(rows, "  ").count("\n") == 6 * WALK_CHECK + 1


def test_shared_parts_within_the_limit_are_written_out():
    x = doubled(18, 1.0)                    # 2**18 leaves: the check runs, and lets it through
    assert to_str(x).count("1") == 2 ** 18
    assert stringify_value(x).count("1") == 2 ** 18
    assert equals(x, doubled(18, 1.0)) and not equals(x, doubled(18, 2.0))


@pytest.mark.parametrize("levels", [30, 60])
def test_shared_parts_beyond_the_limit_are_an_error(levels):
    x = doubled(levels, "leaf")
    with pytest.raises(NeutronError, match="Value too large to convert to text"):
        to_str(x)
    with pytest.raises(NeutronError, match="json.stringify: the text would be longer than 100,000,000"):
        stringify_value(x)
    with pytest.raises(NeutronError, match="json.stringify: the text would be longer than 100,000,000"):
        stringify_value(x, "\t")
    assert equals(x, doubled(levels, "leaf"))


def test_wide_sharing_is_bounded_too():
    x = [1.0] * 1000
    for _ in range(4):
        x = [x] * 1000                      # 10**15 elements written out
    with pytest.raises(NeutronError, match="Value too large"):
        to_str(x)
    with pytest.raises(NeutronError, match="too large|longer than"):
        stringify_value(x)
