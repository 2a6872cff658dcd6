"""The snapshot file's fixed parts: magic, versions, value tags and kind tags, the header (readable without the key
of a sealed file), and the refusal of a file that cannot be used."""
from __future__ import annotations

import struct
import sys
import zlib

MAGIC = b"NTRNSNAP"
FORMAT_VERSION = 5     # 2: a native module carries its prelude's functions; 3: the body in columns (columns.py),
                       # the header holds named fields; 4: tasks and processes (the Task kind); 5: objects and
                       # instances by shape (each run's shapes written once)
MAX_COUNT = 1 << 31
FLOATS_MIN = 8         # an array longer than this, made only of numbers, is written as one block of doubles

# The key, among the modules' states, of the exceptions a finally may rethrow (VM.flights): no module has this name.
FLIGHTS = " exceptions in flight"

# value tags
T_NIL, T_BOOL, T_NUM, T_STR, T_REF = range(5)
# object kinds
K_LIST, K_DICT, K_CELL, K_FUNC, K_CODE, K_CLASS, K_INST, K_BOUND, K_NATIVE, K_MODULE, K_BUFFER, K_RESOURCE, \
    K_ITER, K_TASK = range(14)


class SnapshotError(Exception):
    """A snapshot file that cannot be used: the message is one line for the user."""


def damaged(why):
    raise SnapshotError(f"the file is damaged ({why})")


BIG_ENDIAN = sys.byteorder == "big"     # the file is little-endian on every machine


def shown(name):
    """A name read from the file, fit for a one-line message: control characters escaped, long names cut."""
    if not name.isprintable():
        name = name.encode("unicode_escape", "backslashreplace").decode("ascii")
    return name if len(name) <= 60 else name[:57] + "..."


class Header:
    """A snapshot file's header, read without the key: the format version, the fields (name -> text: runtime
    version, when and where written, run and sequence number, program, seal and key id), the bytes a seal binds
    as associated data, and the body as stored (sealed or not)."""
    __slots__ = ("version", "fields", "aad", "body")

    def __init__(self, version, fields, aad, body):
        self.version = version
        self.fields = fields
        self.aad = aad
        self.body = body

    @property
    def sealed(self):
        return "seal" in self.fields


def head(fields):
    """The part of the header before the body's length: MAGIC | format version (u16) | length of the fields (u32) |
    the fields, each a name (u8 length + ASCII) and a value (u16 length + UTF-8). A seal binds these bytes."""
    block = bytearray()
    for name, value in fields.items():
        n = name.encode("ascii")
        v = str(value).encode("utf-8", "surrogatepass")[:0xFFFF]
        block += bytes([len(n)]) + n + struct.pack("<H", len(v)) + v
    return MAGIC + struct.pack("<HI", FORMAT_VERSION, len(block)) + bytes(block)


def header(prefix, parts):
    """The whole header for the body (as stored) made of `parts` (bytes-like): `prefix` (from head) | body length
    (u64) | CRC-32 (u32) of the fields and the body."""
    crc = zlib.crc32(prefix[10:])
    length = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
        length += memoryview(part).nbytes
    return prefix + struct.pack("<QI", length, crc)


def read_header(data):
    """The Header of the snapshot bytes `data`, once it is found sound (the checksum matches); SnapshotError if
    not. Nothing of the body is parsed."""
    if len(data) == 0:
        raise SnapshotError("the file is empty")
    if len(data) < 8 or data[:8] != MAGIC:
        raise SnapshotError("not a Neutron snapshot")
    if len(data) < 14:
        raise SnapshotError("truncated snapshot")
    version, flen = struct.unpack("<HI", data[8:14])
    if version > FORMAT_VERSION:
        raise SnapshotError(f"the snapshot was written by a newer Neutron (format {version}; this one reads "
                            f"format {FORMAT_VERSION})")
    if version != FORMAT_VERSION:
        raise SnapshotError(f"unsupported snapshot format {version}")
    start = 14 + flen + 12
    if len(data) < start:
        raise SnapshotError("truncated snapshot")
    length, crc = struct.unpack("<QI", data[start - 12:start])
    body = memoryview(data)[start:]
    if len(body) < length:
        raise SnapshotError("truncated snapshot")
    if len(body) > length:
        raise SnapshotError("the file is damaged (extra bytes after the snapshot)")
    if zlib.crc32(body, zlib.crc32(data[10:start - 12])) != crc:     # the checksum covers the fields too
        raise SnapshotError("the file is damaged (checksum mismatch)")
    return Header(version, read_fields(data[14:14 + flen]), data[:14 + flen], body)


def read_fields(block):
    fields = {}
    pos = 0
    try:
        while pos < len(block):
            n = block[pos]
            name = block[pos + 1:pos + 1 + n].decode("ascii")
            pos += 1 + n
            (vlen,) = struct.unpack("<H", block[pos:pos + 2])
            value = block[pos + 2:pos + 2 + vlen]
            if len(value) != vlen:
                raise ValueError
            fields[name] = value.decode("utf-8", "surrogatepass")
            pos += 2 + vlen
    except (IndexError, ValueError, struct.error):
        raise SnapshotError("the file is damaged (bad header field)") from None
    return fields

