"""random module: natives called directly, state save/restore."""
import json
import math

import pytest

from neutron.errors import NeutronError
from neutron.stdlib import random as nrandom
from neutron.stdlib.random import module, next_float
from natives_harness import FakeVM, call_in


call = call_in(module)


def draw_all(vm):
    """One value of each kind of draw, so tests cover every function."""
    arr = [1.0, 2.0, 3.0, 4.0, 5.0]
    call(vm, "shuffle", arr)
    return [call(vm, "random"), call(vm, "uniform", 1.0, 2.0), call(vm, "randint", 1.0, 6.0),
            call(vm, "choice", ["a", "b", "c"]), arr, call(vm, "sample", [1.0, 2.0, 3.0, 4.0], 2.0),
            call(vm, "gauss", 0.0, 1.0), call(vm, "expovariate", 2.0), call(vm, "triangular", 0.0, 10.0, 3.0),
            call(vm, "getrandbits", 16.0), next_float(vm)]


def test_names_and_arities():
    expected = {"random": (0, 0), "uniform": (2, 2), "randint": (2, 2), "choice": (1, 1), "shuffle": (1, 1),
                "sample": (2, 2), "seed": (0, 1), "gauss": (0, 2), "expovariate": (1, 1), "triangular": (0, 3),
                "getrandbits": (1, 1)}
    for name, (lo, hi) in expected.items():
        assert (module.functions[name].min_args, module.functions[name].max_args) == (lo, hi)


def test_seeded_sequences_repeat():
    a, b = FakeVM(), FakeVM()
    call(a, "seed", 42.0)
    call(b, "seed", 42.0)
    assert draw_all(a) == draw_all(b)
    call(a, "seed", "text seed")
    call(b, "seed", "text seed")
    assert draw_all(a) == draw_all(b)
    call(a, "seed", 2.5)
    call(b, "seed", 2.5)
    assert draw_all(a) == draw_all(b)


def test_unseeded_generators_differ_and_are_created_lazily():
    a, b = FakeVM(), FakeVM()
    assert "random" not in a.module_state
    assert [call(a, "random") for _ in range(5)] != [call(b, "random") for _ in range(5)]
    assert "random" in a.module_state
    call(a, "seed")                       # reseed from the OS
    call(a, "random")


def test_results_are_floats_in_range():
    vm = FakeVM()
    call(vm, "seed", 1.0)
    for _ in range(200):
        r = call(vm, "random")
        assert type(r) is float and 0.0 <= r < 1.0
        u = call(vm, "uniform", 5.0, 7.0)
        assert type(u) is float and 5.0 <= u <= 7.0
        n = call(vm, "randint", 3.0, 5.0)
        assert type(n) is float and n in (3.0, 4.0, 5.0)
        n = call(vm, "randint", 5.0, 3.0)            # bounds are swapped
        assert n in (3.0, 4.0, 5.0)
        bits = call(vm, "getrandbits", 3.0)
        assert type(bits) is float and bits in {float(i) for i in range(8)}
        t = call(vm, "triangular", 1.0, 2.0, 1.5)
        assert 1.0 <= t <= 2.0
        assert type(call(vm, "expovariate", 1.0)) is float
        assert type(call(vm, "gauss")) is float
        assert type(next_float(vm)) is float
    assert call(vm, "randint", 4.0, 4.0) == 4.0
    assert call(vm, "triangular", 2.0, 2.0, 2.0) == 2.0
    assert 0.0 <= call(vm, "triangular") <= 1.0
    assert type(call(vm, "getrandbits", 32.0)) is float


def test_randint_covers_both_ends():
    vm = FakeVM()
    call(vm, "seed", 7.0)
    seen = {call(vm, "randint", 1.0, 3.0) for _ in range(300)}
    assert seen == {1.0, 2.0, 3.0}


def test_choice_shuffle_sample():
    vm = FakeVM()
    call(vm, "seed", 3.0)
    assert call(vm, "choice", ["only"]) == "only"
    assert call(vm, "choice", "xyz") in "xyz"
    arr = [float(i) for i in range(20)]
    assert call(vm, "shuffle", arr) is None
    assert sorted(arr) == [float(i) for i in range(20)] and arr != sorted(arr)
    s = call(vm, "sample", arr, 5.0)
    assert len(s) == 5 and len(set(s)) == 5 and set(s) <= set(arr)
    assert call(vm, "sample", arr, 0.0) == []
    assert sorted(call(vm, "sample", arr, 20.0)) == sorted(arr)


def test_errors():
    vm = FakeVM()
    with pytest.raises(NeutronError, match=r"^random.choice: cannot choose from an empty array"):
        call(vm, "choice", [])
    with pytest.raises(NeutronError, match=r"^random.choice: argument 1 must be an array or a string, got number"):
        call(vm, "choice", 1.0)
    with pytest.raises(NeutronError, match=r"^random.sample: sample size 3 is out of range"):
        call(vm, "sample", [1.0], 3.0)
    with pytest.raises(NeutronError, match=r"^random.sample"):
        call(vm, "sample", [1.0], -1.0)
    with pytest.raises(NeutronError, match=r"^random.getrandbits: k must be between 1 and 32, got 0"):
        call(vm, "getrandbits", 0.0)
    with pytest.raises(NeutronError, match=r"^random.getrandbits"):
        call(vm, "getrandbits", 33.0)
    with pytest.raises(NeutronError, match=r"^random.expovariate: lambda must not be 0"):
        call(vm, "expovariate", 0.0)
    with pytest.raises(NeutronError, match=r"^random.uniform: argument 2 \(b\) must be a number, got string"):
        call(vm, "uniform", 1.0, "2")
    with pytest.raises(NeutronError, match=r"^random.randint: argument 1"):
        call(vm, "randint", None, 2.0)
    with pytest.raises(NeutronError, match=r"^random.randint: argument 2 must be a finite number"):
        call(vm, "randint", 1.0, math.inf)
    with pytest.raises(NeutronError, match=r"^random.shuffle: argument 1 \(array\) must be an array"):
        call(vm, "shuffle", "abc")
    with pytest.raises(NeutronError, match=r"^random.seed: the seed must be a finite number"):
        call(vm, "seed", math.nan)
    with pytest.raises(NeutronError, match=r"^random.seed: argument 1"):
        call(vm, "seed", [1.0])
    with pytest.raises(NeutronError, match=r"^random.gauss: argument 1"):
        call(vm, "gauss", "0")


def only_neutron_values(v):
    if v is None or v.__class__ in (bool, float, str):
        return True
    if v.__class__ is list:
        return all(only_neutron_values(x) for x in v)
    if v.__class__ is dict:
        return all(k.__class__ is str and only_neutron_values(x) for k, x in v.items())
    return False


def test_state_round_trip_continues_the_sequence_exactly():
    vm = FakeVM()
    call(vm, "seed", 1234.0)
    draw_all(vm)
    call(vm, "gauss", 0.0, 1.0)           # leaves a cached second normal value in the state
    state = module.save_state(vm)
    assert only_neutron_values(state)
    # the snapshot may go through any serialiser of Neutron values
    state = json.loads(json.dumps(state))
    expected = draw_all(vm) + [call(vm, "gauss", 0.0, 1.0) for _ in range(3)]

    resumed = FakeVM()
    module.load_state(resumed, state)
    assert draw_all(resumed) + [call(resumed, "gauss", 0.0, 1.0) for _ in range(3)] == expected


def test_state_of_unseeded_generator_round_trips_too():
    vm = FakeVM()
    call(vm, "random")
    state = module.save_state(vm)
    expected = [call(vm, "random") for _ in range(10)]
    resumed = FakeVM()
    module.load_state(resumed, state)
    assert [call(resumed, "random") for _ in range(10)] == expected


def test_unused_generator_saves_nil():
    vm = FakeVM()
    assert module.save_state(vm) is None
    module.load_state(vm, None)
    assert "random" not in vm.module_state


def test_bad_state_is_a_clear_error():
    with pytest.raises(NeutronError, match="invalid state for module random"):
        module.load_state(FakeVM(), {"version": 3.0, "mt": [1.0, 2.0]})
    with pytest.raises(NeutronError, match="invalid state for module random"):
        module.load_state(FakeVM(), "garbage")


def test_next_float_shares_the_program_generator():
    a, b = FakeVM(), FakeVM()
    call(a, "seed", 5.0)
    call(b, "seed", 5.0)
    assert next_float(a) == call(b, "random")
    assert nrandom.generator(a) is a.module_state["random"]
