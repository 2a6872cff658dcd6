"""Fuzzers and property tests: everything in this folder carries the marker `fuzz`, so that
`pytest -m "not roundtrip and not fuzz"` is the quick set."""
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.fuzz)
