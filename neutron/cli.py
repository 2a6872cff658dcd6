"""The `neutron` command."""
from __future__ import annotations

import errno
import os
import sys

from . import __version__
from .runner import (EXIT_INTERNAL, EXIT_USAGE, OPS_OPTIONS, compile_file, keys_usable, parse_ops, resume_file, run_file,
                     snapshot_command)

USAGE = """usage: neutron [OPTIONS] FILE.nt [ARGS...]        run a program (.ntsc files run in safe mode)
       neutron [OPTIONS] --resume SNAP [ARGS...]  continue a program from a snapshot (sys.checkpoint, OPTIONS)
       neutron snapshot info|stack|vars SNAP [--frame N] [--json]
                                         look inside a snapshot: where and when it was written, where it resumes,
                                         its frames, its variables (nothing in it runs)
       neutron --disassemble FILE.nt    print the bytecode of a program, without running it
       neutron                          start the interactive prompt (REPL)
       neutron fmt [--check] FILE...    rewrite programs in the canonical layout (--check: list unformatted ones)
       neutron lsp                      serve the Language Server Protocol on stdin/stdout (for editors)
       neutron fleet COMMAND ...        many programs on PostgreSQL: init, submit, worker, list, show, logs, ...
                                        (`neutron fleet --help`; needs pip install 'neutron-lang[fleet]')
       neutron --version | --help

OPTIONS, checkpoints asked for from outside the program:
  --snapshot PATH             where the program is saved when asked from outside. SIGTERM or SIGHUP: it stops at
                              the next instruction, PATH is written and the status is 75; SIGUSR1: PATH is
                              written and the program goes on. Sleeps, input and http waits answer within 1 s.
                                neutron --snapshot job.snap job.nt   (then: kill -TERM PID; neutron --resume job.snap)
  --checkpoint-every DURATION also write PATH every DURATION (500ms, 30s, 5m, 1h)
                                neutron --snapshot job.snap --checkpoint-every 5m job.nt
  --keep N                    keep the last N snapshots: PATH, PATH.1, ... PATH.(N-1), oldest last
                                neutron --snapshot job.snap --checkpoint-every 30s --keep 3 job.nt
  --checkpoint-on SIGINT      Ctrl-C saves and stops too (without it, Ctrl-C ends the run with status 130)
  --checkpoint-on-error PATH  a built-in call that fails (or a throw) with nothing in the program to catch it
                              writes PATH as the program was just before; --resume PATH runs that call again
                                neutron --checkpoint-on-error fetch.snap fetch.nt   (then: neutron --resume fetch.snap)

environment: NEUTRON_VM=1 runs the bytecode VM only; NEUTRON_TIER=eager compiles every function, not only hot code;
NEUTRON_CHECKPOINT_LOG=1 reports each checkpoint on stderr;
NEUTRON_PROCESS_WORKERS=N runs `process` processes in N worker processes (default: cores - 1; 0: none);
NEUTRON_SNAPSHOT_KEY (a 256-bit key, base64) seals snapshots with AES-256-GCM, NEUTRON_SNAPSHOT_KEYS lists older
keys accepted for reading
"""


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    for name in ("stdout", "stderr"):       # started with a standard stream closed: what goes there is lost
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w"))
    try:
        return _main(argv)
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted.\n")
        return 130
    except BrokenPipeError:
        # the reader of the output went away (`neutron prog.nt | head -1`): end quietly, as if killed by SIGPIPE
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 141
    except RecursionError:
        sys.stderr.write("neutron: internal error: the program nests too deeply for the host (RecursionError)\n")
        return EXIT_INTERNAL
    except Exception as e:  # an internal error: say that it is one
        if isinstance(e, OSError) and e.errno in _OUTPUT_ERRORS:
            return _output_failed(e)
        import traceback
        sys.stderr.write(f"neutron: internal error: {type(e).__name__}: {e}\n")
        if os.environ.get("NEUTRON_DEBUG"):
            traceback.print_exc()
        else:
            sys.stderr.write("(set NEUTRON_DEBUG=1 to see the internal traceback)\n")
        return EXIT_INTERNAL


_OUTPUT_ERRORS = (errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT)
EXIT_OUTPUT = 74        # sysexits' EX_IOERR


def _output_failed(e):
    """The program's output could not be written (a full disk, /dev/full): say so on stderr."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no second failure at exit
    except (OSError, ValueError, AttributeError):
        pass
    try:
        sys.stderr.write(f"neutron: cannot write the output: {e.strerror}\n")
        sys.stderr.flush()
    except OSError:
        pass
    return EXIT_OUTPUT


def _main(argv):
    if not argv:
        from .repl import repl    # lazy: start-up
        return repl()
    first = argv[0]
    if first in ("--version", "-v", "-V"):
        print(f"Neutron {__version__}")
        return 0
    if first in ("--help", "-h"):
        sys.stdout.write(USAGE)
        return 0
    if first == "--vm":
        os.environ["NEUTRON_VM"] = "1"
        return _main(argv[1:]) if argv[1:] else _usage("--vm needs a file to run")
    ops = None
    if first in OPS_OPTIONS:            # checkpoints asked for from outside (durable/signals.py)
        ops, argv = parse_ops(argv)
        if ops is None:
            return _usage(argv)
        if not argv or argv[0].startswith("-") and argv[0] != "--resume":
            return _usage(f"{first} needs a program to run (FILE.nt or --resume SNAP) after the options")
        first = argv[0]
    if first == "--resume":
        if len(argv) < 2:
            return _usage("--resume needs the path of a snapshot file")
        if not keys_usable():
            return EXIT_USAGE
        vm, status = resume_file(argv[1], argv[2:], ops=ops)
        if status is None:          # a snapshot taken at the prompt
            from .repl import repl    # lazy: start-up
            return repl(vm=vm)
        return status
    if ops is not None:
        if not keys_usable():
            return EXIT_USAGE
        return run_file(first, argv[1:], ops=ops)[1]
    if first in ("fmt", "lsp") and not os.path.exists(first):
        return _editor_command(first, argv[1:])
    if first == "fleet" and not os.path.exists(first):
        if not keys_usable():
            return EXIT_USAGE
        from .fleet.commands import main as fleet_main     # lazy: the fleet (PostgreSQL, procrastinate) only here
        return fleet_main(argv[1:])
    if first == "snapshot" and not os.path.exists(first):
        if not keys_usable():
            return EXIT_USAGE
        return snapshot_command(argv[1:], highlight=_highlighter())
    if first == "--disassemble":
        return _disassemble(argv[1:])
    if first.startswith("-") and first != "-":
        return _usage(f"unknown option '{first}'")
    if not keys_usable():
        return EXIT_USAGE
    _, status = run_file(first, argv[1:])
    return status


def _highlighter():
    """The editor extra's colouring of Neutron source for a terminal, or None without pygments."""
    try:
        from .editor.lexer import highlight     # lazy: pygments, only for `neutron snapshot stack`
    except ImportError:
        return None
    return highlight


def _editor_command(name, args):
    """`neutron fmt` and `neutron lsp`: they need the editor extra (pip install neutron-lang[editor])."""
    try:
        if name == "fmt":
            from .editor.fmt import main as fmt_main    # lazy: start-up
            return fmt_main(args, sys.stdout, sys.stderr)
        from .editor.lsp import main as lsp_main    # lazy: start-up
        return lsp_main(args)
    except ImportError as e:
        if not e.name or e.name.startswith("neutron"):
            raise
        sys.stderr.write(f"neutron {name}: needs the Python package '{e.name}' (pip install 'neutron-lang[editor]')\n")
        return EXIT_USAGE


def _disassemble(args):
    if len(args) != 1:
        return _usage("--disassemble needs the path of one program")
    from .bytecode.disasm import disassemble    # lazy: start-up
    code, status = compile_file(args[0], sys.stderr)       # the usual diagnostics and statuses (2, 65)
    if code is None:
        return status
    sys.stdout.write(disassemble(code))
    return 0


def _usage(message):
    sys.stderr.write(f"neutron: {message}\n{USAGE}")
    return EXIT_USAGE
