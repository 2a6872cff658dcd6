"""path module: natives called directly."""
import os
from neutron.stdlib.path import module

from natives_harness import callers

call, err = callers(module)


def test_constants():
    assert module.constants == {"sep": "/", "delimiter": ":"}


def test_join():
    assert call("join", "a", "b", "c.txt") == "a/b/c.txt"
    assert call("join", "a/", "b") == "a/b"
    assert call("join", "a", "/abs", "x") == "/abs/x"
    assert call("join", "a\\b", "c") == "a/b/c"
    assert call("join", "a", "", "b") == "a/b"
    assert call("join") == "" and call("join", "", "") == ""
    assert call("join", "a", "../b") == "a/../b"
    assert err("join", "a", 1.0) == "path.join: argument 2 must be a string, got number."


def test_split_dirname_basename_extname():
    assert call("split", "/home/u/file.txt") == ["/home/u", "file.txt"]
    assert call("split", "file.txt") == ["", "file.txt"]      # dirname says "." (the reference agrees)
    assert call("split", "/f") == ["/", "f"] and call("split", "d/") == ["", "d"] and call("split", "") == ["", ""]
    assert call("dirname", "/a/b/c") == "/a/b"
    assert call("dirname", "/a") == "/"
    assert call("dirname", "/") == "/"
    assert call("dirname", "a") == "."
    assert call("dirname", "a/b/") == "a"
    assert call("dirname", "a//b") == "a"
    assert call("basename", "/a/b/c.txt") == "c.txt"
    assert call("basename", "a/b/") == "b"
    assert call("basename", "/") == ""
    assert call("basename", "/a/b/c.txt", ".txt") == "c"
    assert call("basename", ".txt", ".txt") == ".txt"
    assert call("extname", "a/b.tar.gz") == ".gz"
    assert call("extname", ".bashrc") == ""
    assert call("extname", "Makefile") == ""
    assert call("extname", "a.") == "."
    assert call("extname", "dir.d/file") == ""


def test_isabs_normalize():
    assert call("isabs", "/x") is True and call("isabs", "x/y") is False and call("isabs", "") is False
    assert call("normalize", "a//b/./c/../d") == "a/b/d"
    assert call("normalize", "") == "."
    assert call("normalize", "./") == "."
    assert call("normalize", "//a//b") == "/a/b"
    assert call("normalize", "/../x") == "/x"
    assert call("normalize", "../a/..") == ".."
    assert call("normalize", "a\\b\\..\\c") == "a/c"


def test_resolve_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cwd = os.getcwd()
    assert call("resolve", "x/../y") == cwd + "/y"
    assert call("resolve", "/abs/./p") == "/abs/p"
    assert call("resolve", "") == cwd
    assert call("relative", "/a/b/c", "/a/d") == "../../d"
    assert call("relative", "/a", "/a") == "."
    assert call("relative", "/a", "/a/b/c") == "b/c"
    assert call("relative", "x", "x/y") == "y"


def test_separators():
    assert call("toUnix", "a\\b\\c") == "a/b/c"
    assert call("toWindows", "a/b/c") == "a\\b\\c"
    assert err("toUnix", None) == "path.toUnix: argument 1 must be a string, got nil."
