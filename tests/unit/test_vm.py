"""The VM's call protocol as the test-only stop sees it: a stop before a built-in call puts back what the calling
instruction had popped, so that the resumed program makes the call again."""
import pytest

from neutron.testing import run

CALLS = """use math;
class Box { fun initialize() { this.f = math.sum; } }
var o = {"g": math.sum};
var h = math.sum;
var xs = [3, -9, 4];
say(math.sum(2, 1));
say(o.g(2, 2));
say(Box().f(2, 3));
say(h(2, 4));
say(math.sum(...xs));
say(math.sum(1, ...xs));
"""


@pytest.mark.parametrize("mode", ["vm", "compiled"])
def test_a_stop_at_every_point_resumes_each_kind_of_call(tmp_path, mode):
    """A module member (INVOKE on a module), an object's and an instance's field (INVOKE), a variable (CALL) and
    spread arguments (CALL_ARRAY), each calling a native that is a checkpointable point."""
    path = tmp_path / "calls.nt"
    path.write_text(CALLS, encoding="utf-8")
    plain = run(path, "vm")
    assert (plain.stdout, plain.status) == ("3\n4\n5\n6\n-2\n-1\n", 0)
    assert plain.points == 12
    for k in range(1, plain.points + 1):
        resumed = run(path, mode, checkpoint_at=k)
        assert (resumed.stdout, resumed.stderr, resumed.status) == (plain.stdout, "", 0), k
