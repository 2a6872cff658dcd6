"""Replacing a file atomically: a temporary file in the same folder, mode 0600, flushed and fsync'd, renamed over
the target; temporary files left by a killed writer are removed."""
from __future__ import annotations

import os
import tempfile
import time


def replace_file(path, *parts):
    """Write `parts` to `path` so that a crash leaves either the old file or the new one, never a mix; raises
    OSError."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = None
    try:
        prefix = "." + os.path.basename(path) + ".tmp-"
        _remove_stale_temps(folder, prefix)
        fd, tmp = tempfile.mkstemp(prefix=prefix, dir=folder)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                for part in parts:
                    fh.write(part)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            try:
                os.close(fd)
            except OSError:
                pass
            raise
        os.replace(tmp, path)
        tmp = None
        try:
            dfd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _remove_stale_temps(folder, prefix, age=600):
    """Temporary files left by a process killed while writing this snapshot (older than `age` seconds, so that a
    write in progress in another process is left alone)."""
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix)]
    except OSError:
        return
    now = time.time()
    for name in names:
        full = os.path.join(folder, name)
        try:
            if now - os.stat(full).st_mtime > age:
                os.unlink(full)
        except OSError:
            pass

