"""Calling a native module's functions directly, with the arity check the VM makes: shared by the stdlib unit tests."""
import pytest

from neutron.errors import NeutronError


class FakeVM:
    module_state = {}


def callers(module, make_vm=FakeVM):
    """(call, err): call(name, *args) runs module.NAME; err(name, *args) returns the NeutronError message it raises."""
    def call(name, *args):
        native = module.functions[name]
        assert native.min_args <= len(args) and (native.max_args is None or len(args) <= native.max_args)
        return native.fn(make_vm(), list(args))

    def err(name, *args):
        with pytest.raises(NeutronError) as e:
            call(name, *args)
        return e.value.message

    return call, err
