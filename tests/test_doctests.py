"""The docstring examples of the economist's API run (doctest), so that they stay true."""

import doctest
import importlib

import pytest

MODULES = ["analysis.methods.results", "analysis.methods.shocklevel", "analysis.methods.multiplier",
           "analysis.methods.panels"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, mirror):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0, f"{name} has no docstring example"
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (run python -m doctest -v)"
