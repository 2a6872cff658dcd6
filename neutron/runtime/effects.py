"""Which calls of built-in functions have an effect outside the program: output, writing files, the network,
starting processes, a checkpoint. Reading the environment, the arguments, the clock or files, and pure functions do
not. An exit that follows the last checkpoint with no effect in between is part of hibernating (see VM.hibernate):
the resume continues after the exit.

The VM keeps, in `vm.effects`, the number of the last checkpointable point that had an effect (`say` always has);
`vm.quiet[qualname]` says whether a built-in's calls have none. A built-in not named here counts as an effect.
"""
from __future__ import annotations

# modules none of whose functions reach outside the program (random and arrays change only state a snapshot holds)
QUIET_MODULES = frozenset(("math", "fmt", "strings", "regex", "path", "collections", "random", "crypto", "arrays",
                           "json", "prelude"))
QUIET_FUNCTIONS = frozenset((
    "sys.env", "sys.args", "sys.read", "sys.exists", "sys.stat", "sys.listdir", "sys.cwd", "sys.info", "sys.tmpfile",
    "sys.resumed", "sys.alloc", "sys.sleep", "sys.exit",
    "time.now", "time.monotonic", "time.format", "time.format_utc", "time.sleep",
    "http.urlEncode", "http.urlDecode", "http.parseQuery",
))
EFFECTS = frozenset(("json.writeFile",))     # the exceptions in the quiet modules


class Quiet(dict):
    """qualname -> True when calls of that built-in have no effect outside the program (answers are cached)."""

    def __missing__(self, qualname):
        quiet = qualname not in EFFECTS and (qualname in QUIET_FUNCTIONS or
                                             qualname.partition(".")[0] in QUIET_MODULES)
        self[qualname] = quiet
        return quiet
