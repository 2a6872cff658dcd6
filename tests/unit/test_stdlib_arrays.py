"""arrays module: natives called directly. The callback functions (map, filter, ...) are Neutron code in the
module's prelude; tests/stdlib/arrays/*.nt exercise them."""
import math

import pytest

from neutron.errors import NeutronError
from neutron.runtime.methods import param_count
from neutron.stdlib.arrays import module
from neutron.runtime.values import BoundMethod, Class, Function, Native
from natives_harness import FakeVM


def call(name, *args, vm=None):
    native = module.functions[name]
    assert native.min_args <= len(args) and (native.max_args is None or len(args) <= native.max_args)
    return native.fn(vm or FakeVM(), list(args))


def err(name, *args):
    with pytest.raises(NeutronError) as e:
        call(name, *args)
    return e.value.message


def F(*xs):
    return [float(x) for x in xs]


def test_new_length_push_pop():
    a = call("new")
    assert a == []
    assert call("push", a, 1.0) is None and call("push", a, "two") is None
    assert a == [1.0, "two"]
    assert call("length", a) == 2.0 and call("length", a).__class__ is float
    assert call("pop", a) == "two" and a == [1.0]
    call("pop", a)
    assert err("pop", a) == "arrays.pop: cannot pop from an empty array."
    assert err("push", "s", 1.0) == "arrays.push: argument 1 must be an array, got string."
    assert err("length", None) == "arrays.length: argument 1 must be an array, got nil."


def test_at_set_insert_remove_at():
    a = ["first", "second"]
    assert call("at", a, 1.0) == "second"
    assert call("at", a, 1.9) == "second"
    assert err("at", a, 2.0) == "arrays.at: index 2 is out of bounds for an array of length 2."
    assert err("at", a, -1.0) == "arrays.at: index -1 is out of bounds for an array of length 2."
    assert err("at", a, "0") == "arrays.at: argument 2 (index) must be a number, got string."
    assert call("set", a, 0.0, 100.0) == 100.0 and a == [100.0, "second"]
    assert err("set", a, 2.0, 1.0) == "arrays.set: index 2 is out of bounds for an array of length 2."
    assert call("insert", a, 2.0, "end") is None and call("insert", a, 0.0, "start") is None
    assert a == ["start", 100.0, "second", "end"]
    assert "out of bounds" in err("insert", a, 5.0, 1.0)
    assert call("remove_at", a, 1.0) == 100.0 and a == ["start", "second", "end"]
    assert "out of bounds" in err("remove_at", a, 3.0)
    assert "finite" in err("at", a, math.nan)


def test_slice_concat_clone():
    a = F(1, 2, 3, 4, 5)
    assert call("slice", a, 1.0, 4.0) == F(2, 3, 4)
    assert call("slice", a, 2.0) == F(3, 4, 5)
    assert call("slice", a, -2.0) == F(4, 5)
    assert call("slice", a, 1.0, -1.0) == F(2, 3, 4)
    assert call("slice", a, 4.0, 2.0) == []
    assert call("slice", a, -100.0, 100.0) == a and call("slice", a, 0.0) is not a
    assert call("concat", F(1), F(2, 3), 4.0) == F(1, 2, 3, 4)
    c = call("clone", a)
    assert c == a and c is not a


def test_join_to_string():
    assert call("join", ["apple", "banana", "cherry"], ", ") == "apple, banana, cherry"
    assert call("join", [1.0, 2.5, None, True]) == "1,2.5,nil,true"
    assert call("join", [[1.0, 2.0], {"a": 1.0}], " | ") == "[1, 2] | {a: 1}"
    assert call("join", [], "-") == ""
    assert call("join", F(1, 2), 0.0) == "102"
    assert call("to_string", [1.0, "hello"]) == "[1, hello]"
    assert call("to_string", []) == "[]"


def test_reverse_clear_fill():
    a = F(1, 2, 3)
    assert call("reverse", a) is a and a == F(3, 2, 1)
    assert call("fill", a, 0.0) is a and a == F(0, 0, 0)
    b = F(1, 2, 3, 4, 5)
    assert call("fill", b, 9.0, 1.0, 3.0) == F(1, 9, 9, 4, 5)
    assert call("fill", b, 7.0, -2.0) == F(1, 9, 9, 7, 7)
    assert call("clear", b) is b and b == []


def test_search_and_remove_use_equality():
    a = ["a", "b", [1.0, 2.0], {"k": 1.0}, 1.0, "b"]
    assert call("index_of", a, "b") == 1.0
    assert call("index_of", a, [1.0, 2.0]) == 2.0
    assert call("index_of", a, {"k": 1.0}) == 3.0
    assert call("index_of", a, "1") == -1.0           # no coercion between types
    assert call("index_of", a, True) == -1.0
    assert call("last_index_of", a, "b") == 5.0 and call("last_index_of", a, "z") == -1.0
    assert call("contains", a, 1.0) is True and call("contains", a, 5.0) is False
    assert call("remove", a, "b") is True and a == ["a", [1.0, 2.0], {"k": 1.0}, 1.0, "b"]
    assert call("remove", a, "zz") is False


def test_flat_unique():
    nested = [1.0, [2.0, [3.0, [4.0]]], 5.0]
    assert call("flat", nested) == [1.0, 2.0, [3.0, [4.0]], 5.0]
    assert call("flat", nested, 2.0) == [1.0, 2.0, 3.0, [4.0], 5.0]
    assert call("flat", nested, math.inf) == F(1, 2, 3, 4, 5)
    assert call("flat", nested, 0.0) == nested
    assert "depth" in err("flat", nested, -1.0)
    assert call("unique", [1.0, "1", 1.0, True, None, None, [1.0], [1.0], 0.0, -0.0]) == \
        [1.0, "1", True, None, [1.0], 0.0]


def test_range():
    assert call("range", 5.0) == F(0, 1, 2, 3, 4)
    assert call("range", 1.0, 5.0) == F(1, 2, 3, 4)
    assert call("range", 0.0, 10.0, 2.0) == F(0, 2, 4, 6, 8)
    assert call("range", 5.0, 0.0, -2.0) == F(5, 3, 1)
    assert call("range", 5.0, 1.0) == []
    assert call("range", 0.0, 1.0, 0.25) == [0.0, 0.25, 0.5, 0.75]
    assert call("range", 0.0) == []
    assert all(x.__class__ is float for x in call("range", 3.0))
    assert err("range", 0.0, 5.0, 0.0) == "arrays.range: step must not be zero."
    assert "too many" in err("range", 1e12)
    assert "finite" in err("range", math.inf)


def test_default_sort():
    a = ["b", 3.0, None, "a", 1.0, True, 2.0, "A", [0.0]]
    assert call("_sort", a) is a
    assert a == [1.0, 2.0, 3.0, "A", "a", "b", None, True, [0.0]]
    b = [3.0, math.nan, -1.0]
    call("_sort", b)
    assert b[:2] == [-1.0, 3.0] and math.isnan(b[2])


def test_shuffle_is_a_permutation_driven_by_the_random_module():
    from neutron.stdlib.random import module as rmod
    vm = FakeVM()
    rmod.functions["seed"].fn(vm, [7.0])
    a = F(*range(20))
    assert call("shuffle", a, vm=vm) is a
    assert sorted(a) == F(*range(20)) and a != F(*range(20))
    rmod.functions["seed"].fn(vm, [7.0])
    b = F(*range(20))
    call("shuffle", b, vm=vm)
    assert a == b
    assert call("shuffle", [], vm=vm) == []


# ---- helpers the prelude uses ------------------------------------------------------------------------------------

class FakeCode:
    def __init__(self, n):
        self.params = ["p"] * n

    @property
    def arity(self):
        return len(self.params)


def make_fn(n):
    f = Function.__new__(Function)
    f.code = FakeCode(n)
    f.name = "f"
    return f


def test_param_count():
    assert param_count(make_fn(0)) == 0
    assert param_count(make_fn(2)) == 2
    assert param_count(Native("math.sqrt", None, 1, 1)) == 1
    assert param_count(Native("math.round", None, 1, 2)) == 1
    assert param_count(BoundMethod([], "push")) == 1
    assert param_count(BoundMethod(object(), make_fn(3))) == 3
    assert param_count(Class("K", {}, [])) == 0
    assert param_count(Class("K", {"initialize": make_fn(2)}, [])) == 2


def test_callback_check():
    assert call("_callback", [], make_fn(2), "arrays.map") == 2.0
    assert err("_callback", "x", make_fn(1), "arrays.map") == "arrays.map: argument 1 must be an array, got string."
    assert err("_callback", [], 5.0, "arrays.filter") == \
        "arrays.filter: argument 2 (callback) must be a function, got number."


def test_small_helpers():
    assert err("_fail", "arrays.reduce: boom.") == "arrays.reduce: boom."


def test_prelude_declares_the_callback_functions():
    import re
    names = re.findall(r"^fun (\w+)\(", module.prelude_source(), re.M)
    assert set(names) == {"map", "filter", "find", "find_index", "every", "some", "flat_map", "for_each", "reduce",
                          "sort"}
    # everything the prelude calls that is not its own or a parameter is a native of this module
    called = set(re.findall(r"\b(_\w+)\(", module.prelude_source()))
    assert called <= set(module.functions)
    assert set(module.prelude_min_args) <= set(names)
