"""The snapshot file's fixed parts: magic, versions, value tags and kind tags, the header, and the refusal of a file
that cannot be used."""
from __future__ import annotations

import struct
import sys
import zlib

from .. import __version__

MAGIC = b"NTRNSNAP"
FORMAT_VERSION = 3     # 2: a native module carries its prelude's functions; 3: the body in columns (columns.py)
MAX_COUNT = 1 << 31
FLOATS_MIN = 8         # an array longer than this, made only of numbers, is written as one block of doubles

# value tags
T_NIL, T_BOOL, T_NUM, T_STR, T_REF = range(5)
# object kinds
K_LIST, K_DICT, K_CELL, K_FUNC, K_CODE, K_CLASS, K_INST, K_BOUND, K_NATIVE, K_MODULE, K_BUFFER, K_RESOURCE, \
    K_ITER = range(13)


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


def header(parts):
    """The header for the body made of `parts` (bytes-like): MAGIC | format version (u16) | body length (u64) |
    CRC-32 (u32) of the runtime version field and the body | runtime version field (u8 length + ASCII)."""
    version = __version__.encode("ascii")
    vfield = bytes([len(version)]) + version
    crc = zlib.crc32(vfield)
    length = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
        length += memoryview(part).nbytes
    return MAGIC + struct.pack("<HQI", FORMAT_VERSION, length, crc) + vfield


def read_header(data):
    """The body of the snapshot bytes `data` (a memoryview), once the header is found sound; SnapshotError if not."""
    if len(data) == 0:
        raise SnapshotError("the file is empty")
    if len(data) < 8 or data[:8] != MAGIC:
        raise SnapshotError("not a Neutron snapshot")
    if len(data) < 23:
        raise SnapshotError("truncated snapshot")
    version, length, crc = struct.unpack("<HQI", data[8:22])
    if version > FORMAT_VERSION:
        raise SnapshotError(f"the snapshot was written by a newer Neutron (format {version}; this one reads "
                            f"format {FORMAT_VERSION})")
    if version != FORMAT_VERSION:
        raise SnapshotError(f"unsupported snapshot format {version}")
    vlen = data[22]
    start = 23 + vlen
    if len(data) < start:
        raise SnapshotError("truncated snapshot")
    body = memoryview(data)[start:]
    if len(body) < length:
        raise SnapshotError("truncated snapshot")
    if len(body) > length:
        raise SnapshotError("the file is damaged (extra bytes after the snapshot)")
    if zlib.crc32(body, zlib.crc32(data[22:start])) != crc:     # the checksum covers the runtime version too
        raise SnapshotError("the file is damaged (checksum mismatch)")
    return body

