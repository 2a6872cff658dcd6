"""Calling a native module's functions directly, with the arity check the VM makes: shared by the stdlib unit tests."""
import pytest

from neutron.errors import NeutronError


class FakeStream:
    def __init__(self, tty):
        self.tty = tty

    def isatty(self):
        return self.tty


class FakeVM:
    """What natives use of a VM: their module's state, the program's arguments, output written through it (and
    whether it goes to a terminal), flushes, and the exit's hook."""

    def __init__(self, argv=None, tty=False):
        self.module_state = {}
        self.argv = argv if argv is not None else ["script.nt"]
        self.resumed = False
        self.output = []
        self.out = FakeStream(tty)
        self.flushes = 0
        # what sleeps read (runtime/vm.py): no request from outside, no long-sleep hook
        self.call_result = True
        self.request = None
        self.on_request = None
        self.long_sleep = None
        self.long_sleep_threshold = 10.0

    def write(self, text):
        self.output.append(text)

    def flush(self):
        self.flushes += 1

    def hibernate(self):
        pass


def call_in(module):
    """call(vm, name, *args) runs module.NAME with that VM."""
    def call(vm, name, *args):
        native = module.functions[name]
        assert native.min_args <= len(args) and (native.max_args is None or len(args) <= native.max_args), name
        return native.fn(vm, list(args))
    return call


def callers(module, make_vm=FakeVM):
    """(call, err): call(name, *args) runs module.NAME; err(name, *args) returns the NeutronError message it raises."""
    run = call_in(module)

    def call(name, *args):
        return run(make_vm(), name, *args)

    def err(name, *args):
        with pytest.raises(NeutronError) as e:
            call(name, *args)
        return e.value.message

    return call, err
