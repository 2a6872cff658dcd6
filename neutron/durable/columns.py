"""The body's columns, each written by a put_<column> and read back by the get_<column> right below it.

A column holds many values of one kind, so that writing and reading it are a few loops run by C (map, compress,
struct, array, bytes.translate) rather than a Python call per value: that brings a checkpoint near pickle's cost.
Columns are read through a Cursor, which never reads past the end of the body.

    uints     non-negative integers: u8 mode (narrow width << 4 | wide width, widths of 1, 2, 4 or 8 bytes) |
              count | each integer in the narrow width; when the two widths differ, an all-ones narrow value
              stands for the next of the large ones, which follow as count | each in the wide width
    strings   the string table: uints (each string's length in bytes) | size | UTF-8 (lone surrogates kept)
    doubles   IEEE doubles (their count is known from elsewhere)
    blob      size | bytes
    values    count | one tag byte per value | the booleans (a byte 0 or 1 each) | the numbers | the strings
              (uints: indices in the string table) | the references (uints: indices in the object table)
    numbers   u8 mode (1: some are integers, 2: some are doubles, 4: the integers are zigzag-coded) | with both,
              one byte per number (1: an integer) | the integers (uints) | the doubles

Counts and sizes are varints (7 bits a byte, low first); every fixed-width integer is little-endian.
"""
from __future__ import annotations

from array import array
from collections import deque
from itertools import accumulate, compress, islice, repeat
from math import copysign, trunc      # trunc(x) is int(x) for a float, in less time
from operator import and_, lshift, neg, rshift, xor
from struct import Struct

from .format import BIG_ENDIAN, T_BOOL, T_NIL, T_NUM, T_REF, T_STR, SnapshotError, damaged



def varint(n):
    """A count or size in the body's framing: 7 bits a byte, low first, the high bit set on all but the last."""
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)

ARRAY_CODE = {array(code).itemsize: code for code in "BHILQ"}     # width in bytes -> array type code
ARRAY_WIDTHS = (1, 2, 4, 8)
assert all(w in ARRAY_CODE for w in ARRAY_WIDTHS)
LIMIT = 1 << 62             # integers written in the integer column are below this in magnitude

TAG_OF = {type(None): T_NIL, bool: T_BOOL, float: T_NUM, int: T_NUM, str: T_STR}    # any other type: a reference
TAGS = bytes(range(T_REF + 1))


def mask(*tags):
    """A bytes.translate table: 1 for these tags, 0 for every other byte."""
    return bytes(1 if b in tags else 0 for b in range(256))


MASK = {t: mask(t) for t in TAGS}
FLIP = mask(0)              # 0 -> 1, 1 -> 0
NONZERO = bytes([0]) + bytes([1]) * 255
ONE_TO_FF = bytes([0, 255]) + bytes(254)
IS_FF = bytes(255) + bytes([1])


class Cursor:
    """Reading position in the body (a memoryview)."""

    def __init__(self, body):
        self.mv = body
        self.pos = 0
        self.end = len(body)

    def take(self, n):
        pos = self.pos
        if n > self.end - pos:
            raise SnapshotError("truncated snapshot")
        self.pos = pos + n
        return self.mv[pos:pos + n]

    def u8(self):
        return self.take(1)[0]

    def varint(self):
        n = shift = 0
        while True:
            b = self.u8()
            n |= (b & 0x7F) << shift
            if b < 0x80:
                return n
            shift += 7
            if shift > 63:
                damaged("number too long")


def int_bytes(width, values):
    """The integers, each in `width` bytes, little-endian (struct packs them in one C call, several times faster
    than array() takes a list)."""
    return Struct(f"<{len(values)}{STRUCT_CODE[width]}").pack(*values)


STRUCT_CODE = {1: "B", 2: "H", 4: "I", 8: "Q"}


def take_ints(cur, width, n):
    """The bytes of n integers of `width` bytes each."""
    if n > (cur.end - cur.pos) // width:
        raise SnapshotError("truncated snapshot")
    return cur.take(n * width)


def get_int_array(cur, width, n):
    return ints_of(take_ints(cur, width, n), width)


def ints_of(raw, width):
    """The integers of `width` bytes each in `raw` (little-endian), as a list."""
    a = array(ARRAY_CODE[width])
    a.frombytes(raw)
    if BIG_ENDIAN and width > 1:
        a.byteswap()
    return a.tolist()


def markers(raw, width):
    """One byte per integer of `width` bytes in `raw`: 1 where its bytes are all ones, else 0."""
    if width == 1:
        return raw.translate(IS_FF)
    acc = -1
    for k in range(width):
        acc &= int.from_bytes(raw[k::width].translate(IS_FF), "little")
    return acc.to_bytes(len(raw) // width, "little")


# ---- uints ------------------------------------------------------------------------------------------------------

def put_uints(out, u, top=None):
    """Each integer in `narrow` bytes, or, where it needs more, the all-ones marker there and the integer in the
    column of `wide` bytes that follows; the widths are those that make the column smallest. `top`: the largest
    integer, when known."""
    n = len(u)
    if top is None:
        top = max(u, default=0)
    if top < 0x100:
        out += (bytes([0x11]) + varint(n), bytes(u))
        return
    wide = 2 if top < 0x10000 else 4 if top < 0x100000000 else 8
    raw = int_bytes(wide, u)
    above = {}          # width -> bytes, 1 for each integer that needs more than that width
    acc = 0
    for k in range(wide - 1, 0, -1):
        acc |= int.from_bytes(raw[k::wide], "little")
        if k in (1, 2, 4):
            above[k] = acc.to_bytes(n, "little").translate(NONZERO)
    narrow, size = wide, n * wide
    for w, more in above.items():
        s = n * w + more.count(1) * wide
        if s < size:
            narrow, size = w, s
    if narrow == wide:
        out += (bytes([0x10 * wide + wide]) + varint(n), raw)
        return
    low = memoryview(raw).cast(ARRAY_CODE[narrow])[::wide // narrow].tobytes()     # each integer's low bytes
    escaped = above[narrow]
    if bytes([255]) * narrow in low:
        # an integer equal to the marker is escaped too: all its low bytes are ones (the larger ones with such low
        # bytes are escaped already)
        marked = -1
        for k in range(narrow):
            marked &= int.from_bytes(low[k::narrow].translate(IS_FF), "little")
        if marked:
            escaped = (int.from_bytes(escaped, "little") | marked).to_bytes(n, "little")
    ones = escaped.translate(ONE_TO_FF)
    if narrow > 1:
        spread = bytearray(n * narrow)
        for k in range(narrow):
            spread[k::narrow] = ones
        ones = spread
    low = (int.from_bytes(low, "little") | int.from_bytes(ones, "little")).to_bytes(n * narrow, "little")
    large = list(compress(u, escaped))
    out += (bytes([0x10 * narrow + wide]) + varint(n), low, varint(len(large)), int_bytes(wide, large))


def get_uints(cur):
    mode = cur.u8()
    n = cur.varint()
    narrow, wide = mode >> 4, mode & 15
    if mode == 0x11:
        return cur.take(n).tolist()
    if narrow not in ARRAY_WIDTHS or wide not in ARRAY_WIDTHS or narrow > wide:
        damaged("bad column")
    if narrow == wide:
        return get_int_array(cur, wide, n)
    raw = bytes(take_ints(cur, narrow, n))
    lows = ints_of(raw, narrow)
    large = get_int_array(cur, wide, cur.varint())
    if len(large) * 8 <= n:
        # few: each marker found by a search (a pass over all the integers costs more), its large integer put in
        # its place
        at = marker_places(raw, narrow, len(large))
        if at is None:
            damaged("bad column")
        deque(map(lows.__setitem__, at, large), 0)
        return lows
    escaped = markers(raw, narrow)
    if escaped.count(1) != len(large):
        damaged("bad column")
    # each large integer in place of its marker, by a loop run in C
    deque(map(lows.__setitem__, compress(range(n), escaped), large), 0)
    return lows


def marker_places(raw, width, expected):
    """The indices of the integers of `width` bytes in `raw` whose bytes are all ones, when there are `expected` of
    them; else None."""
    marker = bytes([255]) * width
    find = raw.find
    out = []
    i = find(marker)
    while i >= 0:
        if i % width:           # the end of one integer and the start of the next
            i = find(marker, i + 1)
            continue
        if len(out) == expected:
            return None
        out.append(i // width)
        i = find(marker, i + width)
    return out if len(out) == expected else None


# ---- strings, doubles, blobs ------------------------------------------------------------------------------------

def put_strings(out, strings):
    encoded = list(map(str.encode, strings, repeat("utf-8"), repeat("surrogatepass")))
    put_uints(out, list(map(len, encoded)))
    blob = b"".join(encoded)
    out += (varint(len(blob)), blob)


def get_strings(cur):
    lens = get_uints(cur)
    blob = get_blob(cur)
    if sum(lens) != len(blob):
        damaged("bad string table")
    ends = list(accumulate(lens))
    try:
        return list(map(str, map(blob.__getitem__, map(slice, [0] + ends[:-1], ends)), repeat("utf-8"),
                        repeat("surrogatepass")))
    except UnicodeDecodeError:
        damaged("bad UTF-8 in a string")


def pack_doubles(nums):
    """The numbers (floats, or anything float() takes) as little-endian doubles, in one C call; struct.error or
    OverflowError for any other value."""
    return Struct(f"<{len(nums)}d").pack(*nums)


def get_doubles(cur, n):
    if n > (cur.end - cur.pos) // 8:
        raise SnapshotError("truncated snapshot")
    a = array("d")
    a.frombytes(cur.take(8 * n))
    if BIG_ENDIAN:
        a.byteswap()
    return a.tolist()


def get_blob(cur):
    return cur.take(cur.varint())


# ---- values -----------------------------------------------------------------------------------------------------

def tags_of(values):
    """One tag byte per value."""
    return bytes(map(TAG_OF.get, map(type, values), repeat(T_REF)))


def pick(values, tags, tag):
    """The values whose tag is `tag`, in order. When they are few, each is found by a search of the tags rather than
    by a pass over all the values."""
    n = tags.count(tag)
    if n * 16 > len(tags):
        return list(compress(values, tags.translate(MASK[tag])))
    find = tags.find
    i = -1
    out = []
    for _ in range(n):
        i = find(tag, i + 1)
        out.append(values[i])
    return out


def put_values(out, values, tags, strs, top, refs, nobjects=None):
    """`tags` from tags_of(values); `strs` the string-table index of each string among them, in order (at most
    `top`); `refs` the object-table index of each reference, in order (below `nobjects`, when given)."""
    out += (varint(len(values)), tags)
    if T_BOOL in tags:
        out.append(bytes(pick(values, tags, T_BOOL)))
    if T_NUM in tags:
        put_numbers(out, pick(values, tags, T_NUM))
    if T_STR in tags:
        put_uints(out, strs, top)
    if T_REF in tags:
        put_uints(out, refs, None if nobjects is None else nobjects - 1)


def get_values(cur, strings, objects):
    """The values, references resolved against `objects` (the table as it is now)."""
    return get_tagged_values(cur, strings, objects)[0]


def get_tagged_values(cur, strings, objects):
    """(the values, as get_values reads them; their tags)."""
    tags = bytes(cur.take(cur.varint()))
    if tags.translate(None, TAGS):
        damaged("bad value tag")
    n = len(tags)
    source = [repeat(None), None, None, None, None]
    count = tags.count(T_BOOL)
    if count:
        flags = bytes(cur.take(count))
        if flags.translate(None, b"\0\1"):
            damaged("bad boolean")
        source[T_BOOL] = map(bool, flags)
    count = tags.count(T_NUM)
    if count:
        nums = get_numbers(cur, count)
        if count == n:
            return nums, tags
        source[T_NUM] = iter(nums)
    count = tags.count(T_STR)
    if count:
        strs = resolve(get_uints(cur), count, strings, "string")
        if count == n:
            return strs, tags
        source[T_STR] = iter(strs)
    count = tags.count(T_REF)
    if count:
        refs = resolve(get_uints(cur), count, objects, "reference")
        if count == n:
            return refs, tags
        source[T_REF] = iter(refs)
    return interleave(tags, source), tags


RUN = 32             # interleave takes a run of this many values of one kind, or more, in one go
RUN_GAP = bytes(RUN - 1)


def interleave(tags, source):
    """The next value of source[tag] for each tag of `tags` (bytes), in order. Columns often hold long runs of one
    kind (an array's references, the numbers of many objects' fields): each such run is taken whole, the values
    between them one by one."""
    n = len(tags)
    if n < 16 * RUN:
        return list(map(next, map(source.__getitem__, tags)))
    # a 1 where the next tag differs from this one
    change = (int.from_bytes(tags[:-1], "little") ^ int.from_bytes(tags[1:], "little")).to_bytes(n - 1, "little")
    find = change.translate(NONZERO).find
    out = []
    pos = 0
    while True:
        i = find(RUN_GAP, pos)       # tags[i:i + RUN] are all the same
        if i < 0:
            break
        end = find(1, i + RUN - 1) + 1 or n
        if pos < i:
            out += map(next, map(source.__getitem__, tags[pos:i]))
        out += islice(source[tags[i]], end - i)
        pos = end
    if pos < n:
        out += map(next, map(source.__getitem__, tags[pos:]))
    return out


def resolve(indices, count, table, what):
    if len(indices) != count:
        damaged(f"bad {what} column")
    try:
        return list(map(table.__getitem__, indices))
    except IndexError:
        damaged(f"{what} out of range")


# ---- numbers ----------------------------------------------------------------------------------------------------

def put_numbers(out, nums):
    doubles = None
    ints, bounds, kinds = whole_ints(nums)
    if kinds is not None:       # a few fractions among them
        doubles = pack_doubles(list(compress(nums, kinds.translate(FLIP))))
    elif bounds is None:
        try:
            kinds = bytes(map(float.is_integer, nums))
        except TypeError:                       # a Python int among them
            nums = list(map(float, nums))
            kinds = bytes(map(float.is_integer, nums))
        kinds, ints, bounds = integral(nums, kinds, ints)
        doubles = pack_doubles(list(compress(nums, kinds.translate(FLIP))))
    lo, hi = bounds
    zigzag = lo < 0
    mode = (1 if ints else 0) | (2 if doubles else 0) | (4 if zigzag else 0)
    out.append(bytes([mode]))
    if mode & 3 == 3:
        out.append(kinds)
    if zigzag:
        put_uints(out, list(map(xor, map(lshift, ints, repeat(1)), map(rshift, ints, repeat(63)))),
                  max(2 * hi, -2 * lo - 1))
    elif ints:
        put_uints(out, ints, hi)
    if doubles:
        out.append(doubles)


SIGN = bytes(128) + bytes([1]) * 128     # translate: 1 for a double's last byte with the sign bit set


def whole_ints(nums):
    """(the integers of the whole numbers, (their smallest or 0 when none is negative, their largest), one byte per
    number, 1 where it is whole, or None when they all are) when the whole numbers are below LIMIT in magnitude and
    the others (fractions, and -0.0, written as doubles) are few; else (each number truncated, for integral to take
    the whole ones from, or None; None; None).

    A number is whole when its integer gives back the same double (a fraction does not, and neither does -0.0,
    whose integer is 0): two struct calls look at them all, the few that differ are found by comparing blocks of
    their bytes, and the signs are read off the doubles' last bytes, rather than a call for each number to test it
    and a pass for the smallest. A few numbers are looked at first, so that a column of fractions is not truncated
    in vain."""
    try:
        if not nums or not all(map(float.is_integer, nums[:16])):
            return None, None, None
    except TypeError:                   # a Python int among the first: the general way
        return None, None, None
    try:
        ints = list(map(trunc, nums))
    except (ValueError, OverflowError):     # nan, an infinity
        return None, None, None
    try:
        raw = pack_doubles(nums)
        same = pack_doubles(ints)
    except OverflowError:               # an integer too large for a double
        return None, None, None
    kinds = None
    whole = ints
    if same != raw:
        at = differing(raw, same)
        if at is None:
            return ints, None, None
        kinds = bytearray(b"\1") * len(nums)
        for i in at:
            kinds[i] = 0
        kinds = bytes(kinds)
        whole = list(compress(ints, kinds))
        if not whole:
            return ints, None, None
        raw = pack_doubles(list(compress(nums, kinds)))
    hi = max(whole)
    lo = min(whole) if 1 in raw[7::8].translate(SIGN) else 0
    if not (-EXACT < lo and hi < EXACT):
        # larger ones go the general way, which writes a Python int among them as its float
        return ints, None, None
    return whole, (lo, hi), kinds


EXACT = 1 << 53     # every integer below this in magnitude is a double: a Python int's float truncates to itself


BLOCK = 256         # numbers in a block that differing compares at once
BLOCKS_APART = 8    # blocks holding a number that differs, at most


def differing(raw, same):
    """The indices of the doubles that differ between the bytes `raw` and `same`, when they are found in at most
    BLOCKS_APART blocks of BLOCK doubles; else None."""
    out = []
    step = 8 * BLOCK
    blocks = 0
    for start in range(0, len(raw), step):
        end = start + step
        if raw[start:end] != same[start:end]:
            blocks += 1
            if blocks > BLOCKS_APART:
                return None
            end = min(end, len(raw))
            out += [i // 8 for i in range(start, end, 8) if raw[i:i + 8] != same[i:i + 8]]
    return out


def has_double(raw, pattern):
    """Whether the 8 bytes `pattern` are one of the doubles in `raw`."""
    i = raw.find(pattern)
    while i >= 0:
        if i % 8 == 0:
            return True
        i = raw.find(pattern, i + 1)
    return False


def exact_bounds(ints, nums):
    """(smallest, largest) when the integers are the numbers, bit for bit (so no -0.0), and small enough for the
    integer column; else None."""
    if pack_doubles(ints) != pack_doubles(nums):
        return None
    lo, hi = min(ints), max(ints)
    return (lo, hi) if -LIMIT < lo and hi < LIMIT else None


def integral(nums, kinds, truncated=None):
    """(one byte per number, 1 where it goes to the integer column; those integers; their (smallest, largest), or
    (0, 0)), from `kinds`, 1 for each whole number (and `truncated`, each number truncated, when known)."""
    whole = list(compress(nums, kinds))
    if not whole:
        return kinds, [], (0, 0)
    ints = list(map(trunc, whole)) if truncated is None else list(compress(truncated, kinds))
    bounds = exact_bounds(ints, whole)
    if truncated is not None and bounds is not None and not -EXACT < bounds[0] <= bounds[1] < EXACT:
        ints = list(map(trunc, whole))      # a Python int among them is written as its float
        bounds = exact_bounds(ints, whole)
    if bounds is not None:
        return kinds, ints, bounds
    kinds = bytes(x.is_integer() and -LIMIT < x < LIMIT and (x != 0 or copysign(1.0, x) > 0) for x in nums)  # -0.0
    ints = list(map(trunc, compress(nums, kinds)))
    return kinds, ints, (min(ints), max(ints)) if ints else (0, 0)


def get_numbers(cur, n):
    mode = cur.u8()
    if mode > 7 or not mode & 3 or mode & 5 == 4:
        damaged("bad numbers")
    if mode & 3 == 3:
        kinds = bytes(cur.take(n))
        if kinds.translate(None, b"\0\1"):
            damaged("bad numbers")
        count = kinds.count(1)
    else:
        count = n if mode & 1 else 0
    ints = ()
    if mode & 1:
        u = get_uints(cur)
        if len(u) != count:
            damaged("bad numbers")
        if mode & 4:
            u = map(xor, map(rshift, u, repeat(1)), map(neg, map(and_, u, repeat(1))))
        ints = list(map(float, u))
        if count == n:
            return ints
    doubles = get_doubles(cur, n - count)
    if not mode & 1:
        return doubles
    return interleave(kinds, (iter(doubles), iter(ints)))
