"""Replacing a file atomically: a temporary file in the same folder, mode 0600, flushed and fsync'd, renamed over
the target; temporary files left by a killed writer are removed. With `keep`, the files replaced before are kept as
PATH.1, PATH.2, ... (oldest last), each moved by an atomic replacement too: at every moment PATH and each PATH.k
hold a whole snapshot."""
from __future__ import annotations

import os
import shutil
import tempfile
import time


def replace_file(path, parts, keep=1):
    """Write the byte strings `parts` to `path` so that a crash leaves either the old file or the new one, never a
    mix; with keep > 1 the previous files move down to path.1 .. path.(keep-1). Raises OSError."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = _temp_copy(path, folder, parts)
    try:
        if keep > 1:
            _rotate(path, folder, keep)
        os.replace(tmp, path)
        tmp = None
        _sync_folder(folder)
    finally:
        if tmp is not None:
            _unlink(tmp)


def _temp_copy(path, folder, parts=None, source=None):
    """A temporary file beside `path`, mode 0600, holding `parts` (or the contents of the file `source`), on disk."""
    prefix = "." + os.path.basename(path) + ".tmp-"
    _remove_stale_temps(folder, prefix)
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=folder)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fd = None
            if source is not None:
                with open(source, "rb") as src:
                    shutil.copyfileobj(src, fh)
            else:
                for part in parts:
                    fh.write(part)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
        _unlink(tmp)
        raise
    return tmp


def _rotate(path, folder, keep):
    """path.(k-1) becomes path.k, down to path becoming path.1: each by a hard link (or a copy) put in place with
    os.replace, so no name is ever missing or partly written."""
    for k in range(keep - 1, 0, -1):
        src = path if k == 1 else f"{path}.{k - 1}"
        dst = f"{path}.{k}"
        if not os.path.exists(src):
            continue
        prefix = "." + os.path.basename(dst) + ".tmp-"
        _remove_stale_temps(folder, prefix)
        tmp = os.path.join(folder, prefix + os.urandom(6).hex())
        try:
            try:
                os.link(src, tmp)
            except OSError:         # a file system without hard links
                tmp = _temp_copy(dst, folder, source=src)
            os.replace(tmp, dst)
            tmp = None
        finally:
            if tmp is not None:
                _unlink(tmp)


def _sync_folder(folder):
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _unlink(path):
    try:
        os.unlink(path)
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
            st = os.stat(full)
            if now - max(st.st_mtime, st.st_ctime) > age:      # ctime: a hard link made now to an old file
                os.unlink(full)
        except OSError:
            pass
