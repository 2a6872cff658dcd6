"""math: numbers.

    add(a, b) subtract(a, b) multiply(a, b) divide(a, b)      pow(base, exp) sqrt(x) cbrt(x) abs(x)
    ceil(x) floor(x) trunc(x) round(x[, digits])  (round: halves go away from zero)
    min(...) max(...) sum(...)   (numbers, or one array of numbers)
    sign(x) clamp(x, lo, hi) hypot(...) fmod(a, b) gcd(a, b) lcm(a, b) factorial(n)
    exp(x) log(x[, base]) log10(x) log2(x)
    sin cos tan asin acos atan atan2(y, x) sinh cosh tanh degrees(rad) radians(deg)
    is_nan(x) is_finite(x) random() (in [0, 1))
    constants PI E TAU INF NAN

A result that is not a number (sqrt(-1), log(0), asin(2)) or too large to represent is an error, as for `/`.
"""
from __future__ import annotations

import math

from ..errors import NeutronError
from .native import NativeModule, arg_num
from ..runtime.values import format_number, type_name

module = NativeModule("math")

module.constant("PI", math.pi)
module.constant("E", math.e)
module.constant("TAU", math.tau)
module.constant("INF", math.inf)
module.constant("NAN", math.nan)


def _num(args, i, fname):
    return arg_num(args, i, fname)


def _unary(name, fn, check=None, domain=None, fast=None):
    fname = "math." + name

    def native(vm, args):
        x = _num(args, 0, fname)
        if check is not None and not check(x) and x == x:
            raise NeutronError(f"{fname}: {domain}, got {format_number(x)}.")
        try:
            return float(fn(x))
        except OverflowError:
            raise NeutronError(f"{fname}: the result is too large.")
        except ValueError:
            raise NeutronError(f"{fname}: {domain or 'argument out of range'}, got {format_number(x)}.")
    module.function(name, 1, fast=fast)(native)


def _binary(name, fn):
    fname = "math." + name

    def native(vm, args):
        return float(fn(_num(args, 0, fname), _num(args, 1, fname)))
    module.function(name, 2, fast2=fn)(native)


_binary("add", lambda a, b: a + b)
_binary("subtract", lambda a, b: a - b)
_binary("multiply", lambda a, b: a * b)


@module.function("divide", 2)
def divide(vm, args):
    a = _num(args, 0, "math.divide")
    b = _num(args, 1, "math.divide")
    if b == 0:
        raise NeutronError("Division by zero.")      # the reference's words (and the `/` operator's)
    return a / b


def _pow2(base, exp):
    """pow's result where it is one; ValueError (or math.pow's OverflowError) where pow_ reports an error (Python
    gives math.pow(0, -inf) and math.pow(-inf, 0.5) a result)."""
    if (base == 0 and exp < 0) or (base < 0 and math.isfinite(exp) and exp != int(exp)):
        raise ValueError(exp)
    return math.pow(base, exp)


@module.function("pow", 2, fast2=_pow2)
def pow_(vm, args):
    base = _num(args, 0, "math.pow")
    exp = _num(args, 1, "math.pow")
    if base == 0 and exp < 0:
        raise NeutronError("math.pow: zero cannot be raised to a negative power.")
    if base < 0 and math.isfinite(exp) and exp != int(exp):
        raise NeutronError("math.pow: a negative number cannot be raised to a fractional power.")
    try:
        return math.pow(base, exp)
    except OverflowError:
        raise NeutronError("math.pow: the result is too large.")
    except ValueError:
        raise NeutronError("math.pow: the result is not a number.")


_unary("sqrt", math.sqrt, lambda x: x >= 0, "argument must not be negative", fast=math.sqrt)
def _cbrt(x):
    return math.copysign(abs(x) ** (1.0 / 3.0), x) if math.isfinite(x) else x


_unary("cbrt", _cbrt, fast=_cbrt)
_unary("abs", abs, fast=math.fabs)
_unary("exp", math.exp, fast=math.exp)
_unary("log10", math.log10, lambda x: x > 0, "argument must be positive", fast=math.log10)
_unary("log2", math.log2, lambda x: x > 0, "argument must be positive", fast=math.log2)
_unary("sin", math.sin, math.isfinite, "argument must be finite", fast=math.sin)
_unary("cos", math.cos, math.isfinite, "argument must be finite", fast=math.cos)
_unary("tan", math.tan, math.isfinite, "argument must be finite", fast=math.tan)
_unary("asin", math.asin, lambda x: -1 <= x <= 1, "argument must be between -1 and 1", fast=math.asin)
_unary("acos", math.acos, lambda x: -1 <= x <= 1, "argument must be between -1 and 1", fast=math.acos)
_unary("atan", math.atan, fast=math.atan)
_unary("sinh", math.sinh, fast=math.sinh)
_unary("cosh", math.cosh, fast=math.cosh)
_unary("tanh", math.tanh, fast=math.tanh)
_unary("degrees", math.degrees, fast=math.degrees)
_unary("radians", math.radians, fast=math.radians)


def _integral(fn):
    # math.floor(inf) raises in Python; infinities and nan map to themselves
    return lambda x: float(fn(x)) if math.isfinite(x) else x


for _name, _fn in (("ceil", math.ceil), ("floor", math.floor), ("trunc", math.trunc)):
    _fn = _integral(_fn)
    _unary(_name, _fn, fast=_fn)


def round_half_away(x: float) -> float:
    if not math.isfinite(x):
        return x
    a = abs(x)
    r = math.floor(a)
    if a - r >= 0.5:     # exact for every float: a - floor(a) never rounds
        r += 1
    return math.copysign(float(r), x)


@module.function("round", 1, 2, fast=round_half_away)
def round_(vm, args):
    x = _num(args, 0, "math.round")
    if len(args) < 2 or args[1] is None:
        return round_half_away(x)
    digits = _num(args, 1, "math.round")
    if not -308 <= digits <= 308 or digits != int(digits):
        raise NeutronError("math.round: digits must be an integer between -308 and 308.")
    if not math.isfinite(x):
        return x
    from decimal import Context, Decimal, ROUND_HALF_UP     # lazy: start-up
    # through the shortest decimal form, so that round(2.675, 2) is 2.68 as written, not as stored; the precision
    # holds the 309 integer digits of the largest double plus 308 decimals
    q = Decimal(repr(x)).quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP,
                                  context=Context(prec=700))
    return math.copysign(float(q), x) if float(q) == 0 else float(q)


def _numbers(args, fname):
    """Numbers given one by one, or as a single array."""
    if len(args) == 1 and args[0].__class__ is list:
        items, where = args[0], "element"
    else:
        items, where = args, "argument"
    out = []
    for i, v in enumerate(items):
        if not (v.__class__ is float or v.__class__ is int):
            raise NeutronError(f"{fname}: {where} {i + 1} must be a number, got {type_name(v)}.")
        out.append(float(v))
    return out


@module.function("min", 1, None, fast2=lambda a, b: math.nan if a != a or b != b else min(a, b))
def min_(vm, args):
    xs = _numbers(args, "math.min")
    if not xs:
        raise NeutronError("math.min: needs at least one number.")
    return math.nan if any(x != x for x in xs) else min(xs)


@module.function("max", 1, None, fast2=lambda a, b: math.nan if a != a or b != b else max(a, b))
def max_(vm, args):
    xs = _numbers(args, "math.max")
    if not xs:
        raise NeutronError("math.max: needs at least one number.")
    return math.nan if any(x != x for x in xs) else max(xs)


@module.function("sum", 1, None)
def sum_(vm, args):
    return float(math.fsum(_numbers(args, "math.sum")))


@module.function("hypot", 1, None)
def hypot(vm, args):
    try:
        return math.hypot(*_numbers(args, "math.hypot"))
    except OverflowError:
        raise NeutronError("math.hypot: the result is too large.")


@module.function("atan2", 2, fast2=math.atan2)
def atan2(vm, args):
    return math.atan2(_num(args, 0, "math.atan2"), _num(args, 1, "math.atan2"))


@module.function("log", 1, 2, fast=math.log)      # (of one argument: ValueError where log reports one)
def log(vm, args):
    x = _num(args, 0, "math.log")
    if not x > 0 and x == x:
        raise NeutronError(f"math.log: argument must be positive, got {format_number(x)}.")
    if len(args) < 2 or args[1] is None:
        return math.log(x)
    base = _num(args, 1, "math.log")
    if not base > 0 or base == 1:
        raise NeutronError(f"math.log: the base must be positive and not 1, got {format_number(base)}.")
    if x == math.inf:
        return math.inf if base > 1 else -math.inf
    return math.log(x) / math.log(base)


def _sign(x):
    if x != x:
        return x
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


@module.function("sign", 1, fast=_sign)
def sign(vm, args):
    return _sign(_num(args, 0, "math.sign"))


@module.function("clamp", 3)
def clamp(vm, args):
    x = _num(args, 0, "math.clamp")
    lo = _num(args, 1, "math.clamp")
    hi = _num(args, 2, "math.clamp")
    if lo > hi:
        raise NeutronError(f"math.clamp: the lower bound {format_number(lo)} is above the upper bound "
                           f"{format_number(hi)}.")
    return lo if x < lo else hi if x > hi else x


@module.function("fmod", 2)
def fmod(vm, args):
    a = _num(args, 0, "math.fmod")
    b = _num(args, 1, "math.fmod")
    if b == 0:
        raise NeutronError("math.fmod: modulo by zero.")
    if not math.isfinite(a):
        raise NeutronError("math.fmod: the dividend must be finite.")
    return math.fmod(a, b)


def _int_arg(args, i, fname):
    x = _num(args, i, fname)
    if not math.isfinite(x) or x != int(x):
        raise NeutronError(f"{fname}: argument {i + 1} must be an integer, got {format_number(x)}.")
    return int(x)


@module.function("gcd", 2)
def gcd(vm, args):
    return float(math.gcd(_int_arg(args, 0, "math.gcd"), _int_arg(args, 1, "math.gcd")))


@module.function("lcm", 2)
def lcm(vm, args):
    return float(math.lcm(_int_arg(args, 0, "math.lcm"), _int_arg(args, 1, "math.lcm")))


@module.function("factorial", 1)
def factorial(vm, args):
    n = _int_arg(args, 0, "math.factorial")
    if n < 0:
        raise NeutronError("math.factorial: argument must not be negative.")
    if n > 170:
        raise NeutronError("math.factorial: the result is too large.")
    return float(math.factorial(n))


@module.function("is_nan", 1)
def is_nan(vm, args):
    x = args[0]
    return (x.__class__ is float) and x != x


@module.function("is_finite", 1)
def is_finite(vm, args):
    x = args[0]
    return (x.__class__ is float or x.__class__ is int) and math.isfinite(x)


def random_float(vm) -> float:
    """A float in [0, 1) from the program's generator: the `random` module's, which snapshots save."""
    from .random import next_float      # lazy: start-up (`use math` without loading the random module)
    return next_float(vm)


@module.function("random", 0)
def random(vm, args):
    return random_float(vm)
