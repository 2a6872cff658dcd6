"""path: POSIX path strings (no file-system access except resolve's use of the current directory).

    join(part, ...)   parts joined with "/"; an absolute part starts over; backslashes count as "/"
    split(p) -> [dirname, basename]   dirname(p) ("." when there is no directory)   basename(p[, ext])
    extname(p) -> ".ext" ("" for none and for dot-files like ".bashrc")   isabs(p)
    normalize(p)   removes ".", resolves "..", collapses slashes; "" -> "."
    resolve(p)     an absolute, normalized path (relative paths start at the current directory)
    relative(from, to) -> the path from `from` to `to` ("." when they are the same)
    toUnix(p) toWindows(p)   switch the separators
    constants sep = "/", delimiter = ":"
A trailing slash does not count as a path part: basename("a/b/") is "b", dirname("a/b/") is "a".
"""
from __future__ import annotations

import os
import posixpath

from .native import NativeModule, arg_error, arg_str, opt

module = NativeModule("path")
module.constant("sep", "/")
module.constant("delimiter", ":")


def _p(args, i, fname):
    return arg_str(args, i, "path." + fname).replace("\\", "/")


def _strip_trailing(p):
    stripped = p.rstrip("/")
    return stripped if stripped else p[:1]      # "///" -> "/"


def dirname(p):
    p = _strip_trailing(p)
    if p == "/":
        return "/"
    d = posixpath.dirname(p)
    if d == "":
        return "."
    return _strip_trailing(d)


def basename(p):
    p = _strip_trailing(p)
    if p == "/":
        return ""
    return posixpath.basename(p)


@module.function("join", 0, None)
def join(vm, args):
    parts = []
    for i, v in enumerate(args):
        if v.__class__ is not str:
            raise arg_error(v, i, "path.join", None, "a string")
        parts.append(v.replace("\\", "/"))
    parts = [x for x in parts if x != ""]
    if not parts:
        return "."
    return posixpath.join(*parts)


@module.function("split", 1)
def split(vm, args):
    p = _p(args, 0, "split")
    return [dirname(p), basename(p)]


@module.function("dirname", 1)
def dirname_(vm, args):
    return dirname(_p(args, 0, "dirname"))


@module.function("basename", 1, 2)
def basename_(vm, args):
    base = basename(_p(args, 0, "basename"))
    ext = opt(args, 1)
    if ext is not None:
        ext = arg_str(args, 1, "path.basename", "ext")
        if ext and base.endswith(ext) and base != ext:
            base = base[:-len(ext)]
    return base


@module.function("extname", 1)
def extname(vm, args):
    base = basename(_p(args, 0, "extname"))
    i = base.rfind(".")
    if i <= 0:
        return ""
    return base[i:]


@module.function("isabs", 1)
def isabs(vm, args):
    return _p(args, 0, "isabs").startswith("/")


def normalize(p):
    if p == "":
        return "."
    n = posixpath.normpath(p)
    return n[1:] if n.startswith("//") else n     # normpath keeps a leading "//" (POSIX allows it); we do not


@module.function("normalize", 1)
def normalize_(vm, args):
    return normalize(_p(args, 0, "normalize"))


def resolve(p):
    return normalize(posixpath.join(os.getcwd().replace("\\", "/"), p))


@module.function("resolve", 1)
def resolve_(vm, args):
    return resolve(_p(args, 0, "resolve"))


@module.function("relative", 2)
def relative(vm, args):
    start = resolve(_p(args, 0, "relative"))
    target = resolve(_p(args, 1, "relative"))
    return posixpath.relpath(target, start)


@module.function("toUnix", 1)
def to_unix(vm, args):
    return arg_str(args, 0, "path.toUnix").replace("\\", "/")


@module.function("toWindows", 1)
def to_windows(vm, args):
    return arg_str(args, 0, "path.toWindows").replace("/", "\\")
