"""Finding, compiling and loading code: `use` (built-in modules and .nt modules) and `using` (files)."""
from __future__ import annotations

import os

from .errors import NeutronError
from .bytecode import opcodes as O
from .runtime.values import Function, Module, Native
from .stdlib import MODULES, instantiate, native_module


def compile_source(source, filename, safe=False, repl=False, imports=None):
    """The front end's compile_source (see neutron/frontend), reached only when something is compiled."""
    from . import frontend      # lazy: start-up; a resume never loads the front end
    return frontend.compile_source(source, filename, safe, repl, imports)


def precompile_imports(vm, imports, importer):
    """Compile, before the program runs, the .nt files its `use` and `using` statements name (and theirs): a
    syntax error in one is reported before anything runs. load_file then takes the compiled code."""
    work = [(imports, importer)]
    while work:
        found, importer = work.pop()
        for n in found:
            if hasattr(n, "module"):
                if native_module(n.module) is not None:
                    continue
                path = find_module_file(vm, n.module, importer)
            else:
                path = find_file(vm, n.path, importer)
            if path is None:
                continue            # reported when the statement runs
            key = os.path.abspath(path)
            if key in vm.precompiled:
                continue
            more = []
            try:
                vm.precompiled[key] = _compile_file(vm, path, imports=more)
            except NeutronError:
                continue            # unreadable: reported when the statement runs
            display = os.path.relpath(path) if not os.path.isabs(path) else path
            work.append((more, display))


def read_source(path):
    """A source file's text. A byte that is not UTF-8 becomes a lone surrogate (surrogateescape), which the
    scanner reports with its offset: nothing is silently decoded some other way."""
    with open(path, "rb") as fh:
        return fh.read().decode("utf-8", "surrogateescape")


def search_dirs(vm, importer=None):
    dirs = [os.getcwd()]
    if importer and importer not in ("<script>", "<repl>", "<prelude>"):
        d = os.path.dirname(os.path.abspath(importer))
        if d not in dirs:
            dirs.append(d)
    if vm.script_path and vm.script_path not in ("<script>", "<repl>"):
        d = os.path.dirname(os.path.abspath(vm.script_path))
        if d not in dirs:
            dirs.append(d)
    return dirs


def find_file(vm, path, importer):
    """`using` search order: the path as given (from the current directory), then lib/, libs/, box/ and
    .box/modules/, then the same relative to the importing file's folder and the script's folder."""
    if os.path.isabs(path):
        return path if os.path.isfile(path) else None
    for d in search_dirs(vm, importer):
        for sub in ("", "lib", "libs", "box", os.path.join(".box", "modules")):
            candidate = os.path.join(d, sub, path)
            if os.path.isfile(candidate):
                return candidate
    return None


def find_module_file(vm, name, importer):
    for d in search_dirs(vm, importer):
        for rel in (os.path.join(".box", "modules", name, name + ".nt"), os.path.join("box", name, name + ".nt"),
                    os.path.join("box", name + ".nt"), os.path.join("lib", name + ".nt"), name + ".nt"):
            candidate = os.path.join(d, rel)
            if os.path.isfile(candidate):
                return candidate
    return None


def load_prelude(vm, source, filename, natives, qual_prefix):
    """Compile a Neutron prelude (top-level `fun` declarations only) into a fresh globals dict, without running
    any code: each CLOSURE + DEFINE_GLOBAL pair becomes a function."""
    code = compile_source(source, filename)
    used = _names_used(code)
    g = {}
    for name, entry in natives.items():
        if name not in used:        # a snapshot carries the prelude's globals: only the natives it calls
            continue
        if isinstance(entry, Native):
            g[name] = entry
        else:
            fn, lo, hi = entry
            g[name] = Native(f"{qual_prefix}.{name}", fn, lo, hi)
    instrs = code.instrs
    for i, (o, a) in enumerate(instrs):
        if o == O.CLOSURE:
            nxt, na = instrs[i + 1]
            if nxt != O.DEFINE_GLOBAL:
                raise RuntimeError(f"{filename}: only function declarations are allowed in a prelude")
            g[code.names[na]] = Function(code.consts[a], (), g)
    return g


def _names_used(code):
    """The names the code and the functions inside it refer to."""
    names, work = set(), [code]
    while work:
        c = work.pop()
        names.update(c.names)
        work.extend(k for k in c.consts if isinstance(k, type(code)))
    return names


def import_module(vm, name, frame):
    m = vm.modules.get(name)
    if m is not None:
        return m
    m = instantiate(vm, name)
    if m is not None:
        vm.modules[name] = m
        return m
    path = find_module_file(vm, name, frame.code.filename)
    if path is None:
        raise NeutronError(f"Module '{name}' not found. Built-in modules: {', '.join(MODULES)}; a file module is "
                           f"looked for as lib/{name}.nt or {name}.nt.")
    code = load_file(vm, path)
    g = {}
    module = Module(name, g, native=False)
    vm.modules[name] = module
    f = vm.push_frame(Function(code, (), g), [])
    f.result = module
    return f


def load_file(vm, path, safe=None):
    if safe is None:
        code = vm.precompiled.pop(os.path.abspath(path), None)
        if code is not None:
            return code
    return _compile_file(vm, path, safe)


def _compile_file(vm, path, safe=None, imports=None):
    try:
        source = read_source(path)
    except OSError as e:
        raise NeutronError(f"Could not read file '{path}': {e.strerror}") from None
    display = os.path.relpath(path) if not os.path.isabs(path) else path
    vm.sources[display] = source
    if safe is None:
        safe = path.endswith(".ntsc")
    return compile_source(source, display, safe, imports=imports)


def run_file_frame(vm, path, frame, isolated):
    found = find_file(vm, path, frame.code.filename)
    if found is None:
        raise NeutronError(f"File '{path}' not found.")
    code = load_file(vm, found)
    if isolated:
        g = {}
        f = vm.push_frame(Function(code, (), g), [])
        f.result = Module(os.path.basename(path), g, native=False)
    else:
        f = vm.push_frame(Function(code, (), frame.func.globals), [])
    return f
