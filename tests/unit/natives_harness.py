"""Calling a native module's functions directly, with the arity check the VM makes: shared by the stdlib unit tests."""
import pytest

from neutron.errors import NeutronError


class FakeVM:
    """What natives use of a VM: their module's state, and output written through it."""

    def __init__(self):
        self.module_state = {}
        self.output = []

    def write(self, text):
        self.output.append(text)


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
