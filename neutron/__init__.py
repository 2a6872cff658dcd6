"""Neutron: a small dynamic scripting language with durable execution."""
__version__ = "0.1.0"
