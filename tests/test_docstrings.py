"""Every example in a public docstring runs and prints what it says (they are doctests).

pytest's own doctest collector skips objects whose ``__module__`` was re-homed to
the public package, so the public names are collected here explicitly.
"""

import doctest
import importlib
import inspect

import pytest

PACKAGES = [
    "one2one",
    "one2one.errors",
    "one2one.datasets",
    "one2one.clv",
    "one2one.identify",
    "one2one.differentiate",
    "one2one.interact",
    "one2one.customize",
]


def _public_objects():
    seen = set()
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if id(obj) in seen or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            seen.add(id(obj))
            yield f"{package}.{name}", obj


CASES = [
    (name, test)
    for name, obj in _public_objects()
    for test in doctest.DocTestFinder(recurse=True).find(obj, name)
    if test.examples
]


def test_there_are_examples_to_run():
    assert len(CASES) >= 10


@pytest.mark.parametrize(("name", "test"), CASES, ids=[t.name for _, t in CASES])
def test_docstring_examples(name, test):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} example(s) failed"
