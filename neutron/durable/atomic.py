"""Replacing a file atomically: a temporary file in the same folder, mode 0600, flushed and fsync'd, renamed over
the target; temporary files left by a killed writer are removed by the next write in their folder. With `keep`,
the files replaced before are kept as PATH.1, PATH.2, ... (oldest last), each moved by an atomic replacement too: at
every moment PATH and each PATH.k hold a whole snapshot."""
from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import time


def replace_file(path, parts, keep=1):
    """Write the byte strings `parts` to `path` so that a crash leaves either the old file or the new one, never a
    mix; with keep > 1 the previous files move down to path.1 .. path.(keep-1). A symbolic link at `path` is
    followed: the file it points to is the one replaced (in that file's folder). Something other than a regular
    file there (a folder, a FIFO, a device) is refused. Raises OSError."""
    path = target_of(path)
    folder = os.path.dirname(path)
    tmp = _temp_copy(path, folder, parts)
    try:
        if keep > 1:
            _rotate(path, folder, keep)
        os.replace(tmp, path)
        _writing.discard(tmp)
        tmp = None
        _sync_folder(folder)
    finally:
        if tmp is not None:
            _unlink(tmp)


def target_of(path):
    """The absolute path of the file a write to `path` replaces: the end of a chain of symbolic links (which may
    not exist yet), refused when it is not a regular file."""
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return real
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise
        return real
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return real
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "it is a folder")
    what = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else \
        "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
    raise OSError(errno.EINVAL, f"it is {what}, not a regular file")


# A temporary file is named after its target and its writer: .NAME.tmp-PID-RANDOM. The next write in that folder
# removes the ones whose writer is gone (killed while writing). NAME is cut so that the whole fits NAME_MAX.
TEMP = re.compile(rb"\..*\.tmp-([0-9]{1,10})-[0-9a-f]{12}\Z", re.S)
OLD_TEMP_AGE = 600      # temporary files named before writers were named in them (mkstemp's 8 characters)
_writing = set()        # this process's temporary files being written now


def _temp_name(path, folder):
    base = os.fsencode(os.path.basename(path))
    tail = f".tmp-{os.getpid()}-{os.urandom(6).hex()}".encode()
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    base = base[:max(limit - 1 - len(tail), 1)]
    return os.path.join(folder, os.fsdecode(b"." + base + tail))


def _temp_copy(path, folder, parts=None, source=None):
    """A temporary file beside `path`, mode 0600, holding `parts` (or the contents of the file `source`), on disk."""
    _remove_stale_temps(folder)
    tmp = _temp_name(path, folder)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    _writing.add(tmp)
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
        tmp = _temp_name(dst, folder)
        try:
            try:
                os.link(src, tmp)
            except OSError:         # a file system without hard links
                tmp = _temp_copy(dst, folder, source=src)
            os.replace(tmp, dst)
            _writing.discard(tmp)
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
    _writing.discard(path)
    try:
        os.unlink(path)
    except OSError:
        pass


def _remove_stale_temps(folder):
    """Temporary files left in `folder` by a writer killed while writing: those whose writer (named in them) is no
    longer running; one named the old way (no writer in it) once it is OLD_TEMP_AGE seconds old."""
    try:
        names = [n for n in os.listdir(os.fsencode(folder)) if n.startswith(b".") and b".tmp-" in n]
    except OSError:
        return
    now = time.time()
    for name in names:
        full = os.path.join(os.fsencode(folder), name)
        m = TEMP.match(name)
        try:
            if m is not None:
                if not _gone(int(m.group(1)), os.fsdecode(full)):
                    continue
            elif re.fullmatch(rb"\..+\.tmp-[a-z0-9_]{8}", name, re.S) is None or \
                    now - max(os.stat(full).st_mtime, os.stat(full).st_ctime) <= OLD_TEMP_AGE:
                continue
            os.unlink(full)
        except OSError:
            pass


def _gone(pid, path):
    """Whether the process that named the temporary file `path` is no longer running."""
    if pid == os.getpid():
        return path not in _writing     # this process: a file of an earlier process that had the same id
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:                     # it exists (another user's)
        return False
    return False
