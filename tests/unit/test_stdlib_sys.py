"""sys module: natives called directly, files in tmp_path."""
import io
import os
import stat as pystat
import sys as pysys
import tempfile

import pytest

from neutron.errors import NeutronError, ProgramExit
from neutron.stdlib.sys import module
from neutron.runtime.values import Buffer
from natives_harness import FakeVM


def call(name, *args, vm=None):
    native = module.functions[name]
    assert native.min_args <= len(args) and (native.max_args is None or len(args) <= native.max_args)
    return native.fn(vm or FakeVM(), list(args))


def err(name, *args, vm=None):
    with pytest.raises(NeutronError) as e:
        call(name, *args, vm=vm)
    return e.value.message


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_names_and_arities():
    expected = {"read": (1, 1), "write": (2, 2), "append": (2, 2), "cp": (2, 2), "mv": (2, 2), "rm": (1, 1),
                "exists": (1, 1), "mkdir": (1, 1), "rmdir": (1, 2), "listdir": (1, 1), "stat": (1, 1),
                "chmod": (2, 2), "tmpfile": (0, 0), "cwd": (0, 0), "chdir": (1, 1), "env": (1, 1), "args": (0, 0),
                "info": (0, 0), "input": (0, 1), "exit": (0, 1), "sleep": (1, 1), "alloc": (1, 1), "exec": (1, 2)}
    for name, (lo, hi) in expected.items():
        native = module.functions[name]
        assert (native.min_args, native.max_args) == (lo, hi), name
        assert native.qualname == "sys." + name


def test_read_write_append(in_tmp):
    assert call("write", "a.txt", "Hello, héllo\n") is True
    assert call("read", "a.txt") == "Hello, héllo\n"
    assert (in_tmp / "a.txt").read_bytes() == "Hello, héllo\n".encode()
    assert call("append", "a.txt", "second\r\n") is True
    assert call("read", "a.txt") == "Hello, héllo\nsecond\r\n"
    assert call("append", "new.txt", "x") is True and call("read", "new.txt") == "x"
    assert call("write", "n.txt", 42.0) is True and call("read", "n.txt") == "42"
    assert call("write", "b.bin", Buffer(bytearray(b"\x00\xff"))) is True
    assert (in_tmp / "b.bin").read_bytes() == b"\x00\xff"
    assert call("read", "b.bin") == "\x00\ufffd"


def test_file_errors(in_tmp):
    assert err("read", "x.txt") == "sys.read: cannot open 'x.txt': No such file or directory."
    os.mkdir("d")
    assert err("read", "d") == "sys.read: cannot open 'd': Is a directory."
    assert err("write", "nodir/x.txt", "a") == "sys.write: cannot write 'nodir/x.txt': No such file or directory."
    assert err("read", 5.0) == "sys.read: argument 1 must be a string, got number."


def test_cp_mv_rm_exists(in_tmp):
    call("write", "original.txt", "data")
    assert call("cp", "original.txt", "backup.txt") is True
    assert call("read", "backup.txt") == "data"
    assert "same file" in err("cp", "original.txt", "original.txt")
    assert err("cp", "nope.txt", "x.txt") == "sys.cp: cannot copy 'nope.txt': No such file or directory."
    assert call("mv", "backup.txt", "moved.txt") is True
    assert call("exists", "moved.txt") is True and call("exists", "backup.txt") is False
    assert err("mv", "nope.txt", "y.txt") == "sys.mv: cannot move 'nope.txt': No such file or directory."
    assert call("rm", "moved.txt") is True
    assert call("rm", "moved.txt") is False
    os.mkdir("dir")
    assert call("exists", "dir") is True
    assert err("rm", "dir").startswith("sys.rm: cannot remove 'dir': ")


def test_mkdir_rmdir_listdir(in_tmp):
    assert call("mkdir", "data") is True
    assert call("mkdir", "data") is False
    assert call("mkdir", "a/b/c") is True
    call("write", "data/z.txt", "1")
    call("write", "data/a.txt", "2")
    os.mkdir("data/m")
    assert call("listdir", "data") == ["a.txt", "m", "z.txt"]
    assert err("listdir", "nope") == "sys.listdir: cannot list 'nope': No such file or directory."
    call("write", "f.txt", "")
    assert err("mkdir", "f.txt").startswith("sys.mkdir: cannot create directory 'f.txt'")
    assert err("rmdir", "data").startswith("sys.rmdir: cannot remove 'data': ")   # not empty
    assert call("rmdir", "data", True) is True and not os.path.exists("data")
    assert call("rmdir", "a/b/c") is True
    assert err("rmdir", "gone") == "sys.rmdir: cannot remove 'gone': No such file or directory."
    assert err("rmdir", "f.txt") == "sys.rmdir: cannot remove 'f.txt': Not a directory."
    assert "boolean" in err("rmdir", "a", "yes")


def test_rmdir_refuses_outside_cwd(in_tmp, tmp_path_factory):
    os.mkdir("inner")
    os.chdir("inner")
    assert "refusing" in err("rmdir", "..", True)
    assert "refusing" in err("rmdir", ".", True)
    assert "refusing" in err("rmdir", "/", True)
    assert "refusing" in err("rmdir", os.path.expanduser("~"), True)
    assert os.path.isdir(str(in_tmp))
    # the system's temporary directory is allowed: tmpfile() paths live there
    d = call("tmpfile")
    os.mkdir(d)
    open(os.path.join(d, "f"), "w").close()
    assert call("rmdir", d, True) is True and not os.path.exists(d)


def test_rmdir_does_not_follow_symlinks(in_tmp):
    outside = tempfile.mkdtemp(dir=os.path.dirname(str(in_tmp)))
    try:
        os.symlink(outside, "link")
        assert err("rmdir", "link", True) == "sys.rmdir: cannot remove 'link': Not a directory."
        assert os.path.isdir(outside)
    finally:
        os.rmdir(outside)


def test_stat_and_chmod(in_tmp):
    call("write", "f.txt", "hello")
    st = call("stat", "f.txt")
    assert list(st) == ["size", "mtime", "is_file", "is_directory"]
    assert st["size"] == 5.0 and st["size"].__class__ is float
    assert st["is_file"] is True and st["is_directory"] is False
    assert len(st["mtime"]) == 19 and st["mtime"][4] == "-" and st["mtime"][13] == ":"
    assert call("stat", ".")["is_directory"] is True
    assert err("stat", "nope") == "sys.stat: cannot stat 'nope': No such file or directory."
    assert call("chmod", "f.txt", 420.0) is True
    assert pystat.S_IMODE(os.stat("f.txt").st_mode) == 0o644
    assert call("chmod", "f.txt", 384.0) is True
    assert pystat.S_IMODE(os.stat("f.txt").st_mode) == 0o600
    assert "mode" in err("chmod", "f.txt", 1.5)
    assert "mode" in err("chmod", "f.txt", 99999.0)
    assert err("chmod", "nope", 420.0).startswith("sys.chmod: cannot change the mode of 'nope'")


def test_tmpfile_cwd_chdir(in_tmp):
    a, b = call("tmpfile"), call("tmpfile")
    assert a != b and not os.path.exists(a)
    assert os.path.dirname(a) == tempfile.gettempdir()
    assert call("cwd") == os.getcwd()
    os.mkdir("sub")
    assert call("chdir", "sub") is True
    assert os.path.basename(call("cwd")) == "sub"
    assert err("chdir", "nope") == "sys.chdir: cannot change to 'nope': No such file or directory."


def test_env_args_info(monkeypatch):
    monkeypatch.setenv("NEUTRON_TEST_VAR", "value")
    monkeypatch.setenv("NEUTRON_EMPTY", "")
    monkeypatch.delenv("NEUTRON_UNSET", raising=False)
    assert call("env", "NEUTRON_TEST_VAR") == "value"
    assert call("env", "NEUTRON_EMPTY") is None
    assert call("env", "NEUTRON_UNSET") is None
    vm = FakeVM(["prog.nt", "a", "b"])
    got = call("args", vm=vm)
    assert got == ["prog.nt", "a", "b"] and got is not vm.argv
    info = call("info")
    assert list(info) == ["platform", "arch", "user", "hostname", "cwd"]
    assert info["platform"] in ("linux", "macos", "windows", "unknown")
    assert info["arch"] in ("x64", "x86", "arm64", "unknown")
    assert info["cwd"] == os.getcwd()


def test_input(monkeypatch):
    monkeypatch.setattr(pysys, "stdin", io.StringIO("Bob\nAlice\r\nlast"))
    vm = FakeVM()
    assert call("input", "Name: ", vm=vm) == "Bob"
    assert vm.output == ["Name: "] and vm.flushes >= 1
    assert call("input", vm=vm) == "Alice"
    assert call("input", vm=vm) == "last"
    assert call("input", vm=vm) is None


def test_exit():
    with pytest.raises(ProgramExit) as e:
        call("exit")
    assert e.value.status == 0
    with pytest.raises(ProgramExit) as e:
        call("exit", 3.0)
    assert e.value.status == 3 and e.value.status.__class__ is int
    assert "integer" in err("exit", 1.5)
    assert err("exit", "1") == "sys.exit: argument 1 (code) must be a number, got string."


def test_sleep_and_alloc():
    assert call("sleep", 1.0) is True
    assert "non-negative" in err("sleep", -1.0)
    b = call("alloc", 10.0)
    assert isinstance(b, Buffer) and b.data == bytearray(10)
    assert call("alloc", 0.0).data == bytearray()
    assert "non-negative integer" in err("alloc", -1.0)
    assert "non-negative integer" in err("alloc", 2.5)
    assert "non-negative integer" in err("alloc", float("inf"))


def test_exec_without_shell(in_tmp):
    vm = FakeVM()
    assert call("exec", "echo hello 'two words'", vm=vm) == "hello two words\n"
    assert vm.flushes == 1
    # shell syntax is not interpreted without the shell option
    assert call("exec", "echo a ; echo b && $HOME") == "a ; echo b && $HOME\n"
    assert call("exec", "false") == ""
    assert err("exec", "definitely-not-a-command-xyz").startswith(
        "sys.exec: cannot run 'definitely-not-a-command-xyz': No such file or directory")
    assert err("exec", "  ") == "sys.exec: the command is empty."
    assert "cannot split" in err("exec", "echo 'unclosed")


def test_exec_options(in_tmp):
    assert call("exec", "echo a; echo b | tr b c", {"shell": True}) == "a\nc\n"
    full = call("exec", "sh -c 'echo out; echo err >&2; exit 3'", {"full": True})
    assert full == {"status": 3.0, "stdout": "out\n", "stderr": "err\n"}
    full = call("exec", "echo é", {"shell": True, "full": True})
    assert full["status"] == 0.0 and full["stdout"] == "é\n"
    killed = call("exec", "kill -9 $$", {"shell": True, "full": True})
    assert killed["status"] == 137.0
    assert "unknown option" in err("exec", "echo", {"shel": True})
    assert "options" in err("exec", "echo", "shell")
