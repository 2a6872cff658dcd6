"""The `random` module: a seedable pseudo-random generator (Python's Mersenne Twister).

The generator lives in `vm.module_state["random"]` and is part of the program's state: a snapshot stores its
exact internal state (save_state/load_state), so after a resume the sequence continues where it stopped.
Until `seed(n)` is called it is seeded from the operating system (os.urandom) on first use. Seeded sequences
are Python's, not the reference's (libstdc++ mt19937), so they differ from the reference's numbers.

Other modules (and the VM) draw from the same generator through `next_float(vm)`.
"""
from __future__ import annotations

import math
import os
import random as _pyrandom

from ..errors import NeutronError
from .native import NativeModule, arg_error, arg_int, arg_list, arg_num, fail, opt

module = NativeModule("random")

_STATE_KEY = "random"


def generator(vm) -> _pyrandom.Random:
    """The program's generator, created (seeded from the OS) on first use."""
    rng = vm.module_state.get(_STATE_KEY)
    if rng is None:
        rng = _pyrandom.Random(int.from_bytes(os.urandom(32), "big"))
        vm.module_state[_STATE_KEY] = rng
    return rng


def next_float(vm) -> float:
    """A float in [0, 1) from the program's generator."""
    return generator(vm).random()


def save_state(vm):
    rng = vm.module_state.get(_STATE_KEY)
    if rng is None:
        return None
    version, internal, gauss_next = rng.getstate()
    # Every word is < 2**32 (and the index <= 624), so floats hold them exactly.
    return {"version": float(version), "mt": [float(x) for x in internal],
            "gauss_next": None if gauss_next is None else float(gauss_next)}


def load_state(vm, value):
    if value is None:
        vm.module_state.pop(_STATE_KEY, None)
        return
    try:
        version = int(value["version"])
        internal = tuple(int(x) for x in value["mt"])
        gauss_next = value.get("gauss_next")
        rng = _pyrandom.Random()
        rng.setstate((version, internal, None if gauss_next is None else float(gauss_next)))
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise NeutronError(f"The snapshot holds an invalid state for module random ({e}).") from None
    vm.module_state[_STATE_KEY] = rng


module.save_state = save_state
module.load_state = load_state


@module.function("random", 0)
def random_(vm, args):
    return generator(vm).random()


@module.function("uniform", 2)
def uniform(vm, args):
    a = arg_num(args, 0, "random.uniform", "a")
    b = arg_num(args, 1, "random.uniform", "b")
    return float(generator(vm).uniform(a, b))


@module.function("randint", 2)
def randint(vm, args):
    a = arg_int(args, 0, "random.randint", "a")
    b = arg_int(args, 1, "random.randint", "b")
    if b < a:
        a, b = b, a
    return float(generator(vm).randint(a, b))


@module.function("choice", 1)
def choice(vm, args):
    seq = args[0]
    if seq.__class__ is not list and seq.__class__ is not str:
        raise arg_error(seq, 0, "random.choice", None, "an array or a string")
    if not seq:
        fail("random.choice", f"cannot choose from an empty {'array' if seq.__class__ is list else 'string'}.")
    return seq[generator(vm).randrange(len(seq))]


@module.function("shuffle", 1)
def shuffle(vm, args):
    arr = arg_list(args, 0, "random.shuffle", "array")
    generator(vm).shuffle(arr)
    return None


@module.function("sample", 2)
def sample(vm, args):
    arr = arg_list(args, 0, "random.sample", "array")
    k = arg_int(args, 1, "random.sample", "k")
    if k < 0 or k > len(arr):
        fail("random.sample", f"sample size {k} is out of range for an array of {len(arr)} elements.")
    return generator(vm).sample(arr, k)


@module.function("seed", 0, 1)
def seed(vm, args):
    value = opt(args, 0)
    if value is None:
        rng = _pyrandom.Random(int.from_bytes(os.urandom(32), "big"))
    elif value.__class__ is str:
        # the bytes Python would seed from, with non-UTF-8 bytes kept as U+DC80..U+DCFF (see crypto)
        rng = _pyrandom.Random(value.encode("utf-8", "surrogateescape"))
    else:
        x = arg_num(args, 0, "random.seed", "seed")
        if x != x or math.isinf(x):
            fail("random.seed", "the seed must be a finite number.")
        rng = _pyrandom.Random(int(x) if x == int(x) else x)
    vm.module_state[_STATE_KEY] = rng
    return None


@module.function("gauss", 0, 2)
def gauss(vm, args):
    mu = arg_num(args, 0, "random.gauss", "mu") if len(args) > 0 else 0.0
    sigma = arg_num(args, 1, "random.gauss", "sigma") if len(args) > 1 else 1.0
    return float(generator(vm).gauss(mu, sigma))


@module.function("expovariate", 1)
def expovariate(vm, args):
    lambd = arg_num(args, 0, "random.expovariate", "lambda")
    if lambd == 0:
        fail("random.expovariate", "lambda must not be 0.")
    return float(generator(vm).expovariate(lambd))


@module.function("triangular", 0, 3)
def triangular(vm, args):
    low = arg_num(args, 0, "random.triangular", "low") if len(args) > 0 else 0.0
    high = arg_num(args, 1, "random.triangular", "high") if len(args) > 1 else 1.0
    mode = arg_num(args, 2, "random.triangular", "mode") if len(args) > 2 else None
    if low == high:
        return float(low)       # Python's triangular divides by high - low
    return float(generator(vm).triangular(low, high, mode))


@module.function("getrandbits", 1)
def getrandbits(vm, args):
    k = arg_int(args, 0, "random.getrandbits", "k")
    if not 1 <= k <= 32:
        fail("random.getrandbits", f"k must be between 1 and 32, got {k}.")
    return float(generator(vm).getrandbits(k))
