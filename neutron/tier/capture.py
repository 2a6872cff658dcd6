"""Compiled frames as VM frames: a checkpoint, a test-only stop or a deoptimization walks the live Python stack and
describes each generated function's frame at its current call site; a traceback's compiled frames become the
Neutron stack trace."""
from __future__ import annotations

import gc
import sys

from ..runtime import frames as FR
from .entries import Named
from .helpers import RUN_FRAME_CODE


class Capture:
    """Tier's part that reads the live Python stack (uses self.infos, self.fast_codes, self.stop_code, self.pending,
    self.site_plans, self.as_floats and self.vm)."""

    def tb_trace(self, tb):
        out = []
        infos = self.infos
        while tb is not None:
            fr = tb.tb_frame
            info = infos.get(fr.f_code)
            if info is not None:
                ip = info.lineip.get(tb.tb_lineno)
                if ip is not None:
                    func = fr.f_locals.get("F")
                    code = info.code
                    out.append((func.name if func is not None else code.name, code.filename, *code.where(ip)))
            elif fr.f_code in self.fast_codes:
                F, ip, _ = self.fast_codes[fr.f_code]
                out.append((F.name, F.code.filename, *F.code.where(ip)))
            tb = tb.tb_next
        out.reverse()
        return out

    def exception_places(self, e):
        """The stack-trace entries, innermost first, of the places the exception `e` passed up to where it is
        caught (a finally's rethrow carries those from before it as `seen`)."""
        trace = self.tb_trace(e.__traceback__)
        seen = getattr(e, "seen", None)
        return trace if seen is None else seen + trace[1:]

    def position(self):
        """The VM's position hook: (code, instruction index) of the innermost compiled frame's current line."""
        f = sys._getframe(1)
        while f is not None:
            info = self.infos.get(f.f_code)
            if info is not None:
                ip = info.lineip.get(f.f_lineno)
                return None if ip is None else (info.code, ip)
            if f.f_code in self.fast_codes:
                F, ip, _ = self.fast_codes[f.f_code]
                return F.code, ip
            f = f.f_back
        return None

    def capture(self, mode, start=None):
        enabled = gc.isenabled()
        gc.disable()
        try:
            f = start if start is not None else sys._getframe(1)
            records = []
            infos = self.infos
            stop_code = self.stop_code
            last_co = last_info = None
            while f is not None:
                co = f.f_code
                if co is stop_code:
                    break
                if co is not last_co:   # a code object's hash is costly (its constants and names): a recursion's
                    last_co, last_info = co, infos.get(co)    # frames run one code, looked up once
                info = last_info
                if info is not None:
                    records.append(self.vm_frame(f, info, mode if not records else "call"))
                elif co in self.fast_codes:
                    F, ip, state = self.fast_codes[co]
                    locals_, stack = state(f.f_locals)
                    fr = FR.Frame(F, F.code, locals_, ip + 1)
                    fr.stack = stack
                    records.append(fr)
                elif co is RUN_FRAME_CODE:
                    fr = f.f_locals.get("frame")
                    if records and fr is not None and fr.result is not FR.NO_RESULT:
                        records[-1].result = fr.result
                f = f.f_back
            records.reverse()
            return records
        finally:
            if enabled:
                gc.enable()

    def vm_frame(self, f, info, mode):
        loc = f.f_locals
        plan = self.site_plans.get((info, f.f_lasti))     # f_lasti: f_lineno would decode the line table
        if plan is None:
            plan = self.site_plan(info, f.f_lineno, f.f_lasti)
        ip, keys, fixed, below, handlers, lnames, ints = plan
        vals = list(map(loc.get, keys, fixed))      # a constant's key is None: its value is the default
        over = self.as_floats.get(f)
        if ints or over is not None:
            loc = dict(loc)
            for name, held in ints:
                loc[name] = float(loc[held])
            if over is not None:
                loc.update(over)
        if mode == "stop":
            fr = FR.Frame(loc["F"], info.code, list(map(loc.get, lnames)), ip)
            fr.stack = vals
        else:
            fr = FR.Frame(loc["F"], info.code, list(map(loc.get, lnames)), ip + 1)
            fr.stack = vals[:below]
        if handlers:
            fr.handlers = list(handlers)
        return fr

    def site_plan(self, info, line, lasti):
        """How to read a generated frame stopped at one call site, the Python `line` of the instruction at offset
        `lasti`: (ip, the Python locals or None for each operand stack entry, each constant entry's value, entries
        below the call's operands, handlers, locals' names)."""
        site = info.sites.get(line)
        if site is None:
            raise RuntimeError(f"compiled tier: no call site at line {line} of {info.code.name}")
        ip, descs, below, ints = site
        keys = tuple(x.name if x.__class__ is Named else None for x in descs)
        fixed = tuple(None if x.__class__ is Named else x.value for x in descs)
        handlers = tuple((t, dp) for _, t, dp in info.handlers.get(ip, ()))
        lnames = tuple(f"l{i}" for i in range(info.code.nlocals))
        plan = self.site_plans[(info, lasti)] = (ip, keys, fixed, below, handlers, lnames, ints)
        return plan

    def live_frames(self, mode):
        """The VM's live_frames hook: the frames the tier runs from (pending) and the compiled ones above them.
        Mode "redo" (a built-in call that a resume runs again) is the stop at the call's site."""
        return list(self.pending) + self.capture("stop" if mode == "redo" else mode, sys._getframe(1))

    def on_stop(self, frame, ip, restore):
        self.stop()

    def stop(self):
        vm = self.vm
        frames = self.capture("stop", sys._getframe(1))
        vm.write_snapshot(vm, vm.stop_path, list(self.pending) + frames, False, True)
        raise FR.StopForResume()

