"""Every example in a public docstring runs and prints what it says (they are doctests).

pytest's own doctest collector skips objects whose ``__module__`` was re-homed to
the public package, so the public names are collected here explicitly.
"""

import ast
import builtins
import doctest
import enum
import importlib
import inspect
import re
import sys
import textwrap
from pathlib import Path

import pytest
from numpydoc.docscrape import ClassDoc, NumpyDocString  # the test extra installs it

import one2one._validation
import one2one.datasets
import one2one.errors

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


# --- one convention for every public object ----------------------------------------------------
#
# Every public function, class and public method of a room (and of contracts, datasets and
# errors) carries the numpydoc sections its signature calls for, parsed by numpydoc itself:
#
# * ``Parameters`` naming every parameter (beyond self/cls), and no parameter that does not
#   exist; a class's constructor parameters may be its ``Attributes`` instead (result records);
# * ``Returns`` (or ``Yields``) when the return annotation is not ``None`` (properties exempt);
# * ``Raises`` naming every one2one error raised by a ``raise`` in its own body, or in the body
#   of a one2one function or method it calls directly (the validation it relies on), by that
#   error or a base of it; every name under ``Raises`` is a real exception;
# * every parameter that is a source of randomness is called ``random_state``;
# * every public name of a room is in the room's reference page.

ROOMS = [
    "datasets",
    "identify",
    "differentiate",
    "interact",
    "customize",
    "clv",
    "contracts",
    "errors",
]
REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference"
ERRORS = {
    name: getattr(one2one.errors, name)
    for name in one2one.errors.__all__
    if issubclass(getattr(one2one.errors, name), one2one.errors.One2OneError)
}


def _ours(obj):
    return (getattr(obj, "__module__", None) or "").startswith("one2one")


def _member(value):
    """``(function, kind)`` for a public method or property in a class body, else None."""
    if isinstance(value, staticmethod | classmethod):
        return value.__func__, "method"
    if isinstance(value, property):
        return (value.fget, "property") if value.fget else None
    return (value, "method") if inspect.isfunction(value) else None


def _members(cls):
    """The public methods and properties of ``cls`` written in one2one (not in a library)."""
    done = set()
    for klass in inspect.getmro(cls):
        for attr, value in vars(klass).items() if _ours(klass) else ():
            member = None if attr.startswith("_") or attr in done else _member(value)
            done.add(attr)
            if member is not None:
                yield attr, *member


def _public_callables():
    """``(name, object, kind)`` for every public function, class, method and property."""
    seen = set()
    for room in ROOMS:
        module = importlib.import_module(f"one2one.{room}")
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or id(obj) in seen:
                continue
            seen.add(id(obj))
            yield f"{room}.{name}", obj, "class" if inspect.isclass(obj) else "function"
            for attr, member, kind in _members(obj) if inspect.isclass(obj) else ():
                if id(member) not in seen:
                    seen.add(id(member))
                    yield f"{room}.{name}.{attr}", member, kind


PUBLIC = list(_public_callables())


def _source_tree(func):
    """The body of ``func`` (without its decorators), or None when there is no source."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(func))))
    except (OSError, TypeError):
        return None
    return ast.Module(body=tree.body[0].body, type_ignores=[])


def _raised_in_body(func):
    tree = _source_tree(func)
    found = set()
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = exc.id if isinstance(exc, ast.Name) else getattr(exc, "attr", None)
            if name in ERRORS:
                found.add(name)
    return found


def _owner_class(func):
    obj = sys.modules.get(func.__module__)
    for part in func.__qualname__.split(".")[:-1]:
        obj = getattr(obj, part, None)
    return obj if inspect.isclass(obj) else None


def _callee(node, func, owner):
    """The one2one function a call node names (``f``, ``module.f``, ``self.f``), if any."""
    chain = []
    while isinstance(node, ast.Attribute):
        chain.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    obj = owner if node.id in {"self", "cls"} else inspect.unwrap(func).__globals__.get(node.id)
    for attr in reversed(chain):
        if inspect.isclass(obj):
            obj = inspect.getattr_static(obj, attr, None)
        else:
            obj = getattr(obj, attr, None)
    member = _member(obj)
    return member[0] if member and _ours(member[0]) else None


def _raised(func):
    """``{error name: where it is raised}``: in the body, or in a one2one callee's body."""
    where = dict.fromkeys(_raised_in_body(func), "its body")
    tree, owner = _source_tree(func), _owner_class(func)
    for node in ast.walk(tree) if tree else ():
        callee = _callee(node.func, func, owner) if isinstance(node, ast.Call) else None
        if callee is not None and callee is not inspect.unwrap(func):
            for name in _raised_in_body(callee):
                where.setdefault(name, f"{callee.__module__}.{callee.__qualname__}")
    return where


def _names(section):
    return {part.strip().lstrip("*") for entry in section for part in entry.name.split(",")}


def _exception_name(entry):
    text = re.sub(r":\w+:", "", entry.type or entry.name).strip("`~ ")
    return text.rsplit(".", maxsplit=1)[-1]


def _constructor(cls):
    """The one2one ``__init__`` of a class, or None (inherited from Python or a library)."""
    if issubclass(cls, enum.Enum) or getattr(cls, "_is_protocol", False):
        return None
    for klass in inspect.getmro(cls):
        if "__init__" in vars(klass):
            return vars(klass)["__init__"] if _ours(klass) else None
    return None


def _parameters(func, *, method):
    parameters = list(inspect.signature(func).parameters.values())
    if method and parameters and parameters[0].name in {"self", "cls"}:
        parameters = parameters[1:]
    return parameters


def _parsed(obj, kind):
    """``(doc, parameters, documented names, raised errors)`` of a public object."""
    if kind == "class":
        init = _constructor(obj)
        doc = ClassDoc(obj, config={"show_class_members": False})
        parameters = [] if init is None else _parameters(obj, method=False)
        documented = _names(doc["Parameters"]) | _names(doc["Attributes"])
        return doc, parameters, documented, {} if init is None else _raised(init)
    doc = NumpyDocString(inspect.getdoc(obj) or "")
    parameters = [] if kind == "property" else _parameters(obj, method=kind == "method")
    documented = _names(doc["Parameters"]) | _names(doc["Other Parameters"])
    return doc, parameters, documented, _raised(obj)


def _raises_problems(doc, raised):
    problems = []
    documented = {_exception_name(entry) for entry in doc["Raises"]}
    for error, where in sorted(raised.items()):
        if not {klass.__name__ for klass in inspect.getmro(ERRORS[error])} & documented:
            problems.append(f"Raises lacks {error} (raised in {where})")
    for name in sorted(documented):
        known = getattr(one2one.errors, name, None) or getattr(builtins, name, None)
        if not (inspect.isclass(known) and issubclass(known, BaseException)):
            problems.append(f"Raises names {name!r}, which is no exception")
    return problems


def _problems(obj, kind):
    """What the docstring of a public object lacks, by the rules above ([] when complete)."""
    if not (inspect.getdoc(obj) or "").strip():
        return ["no docstring"]
    doc, parameters, documented, raised = _parsed(obj, kind)
    names = [p.name for p in parameters]
    problems = []
    if missing := [name for name in names if name not in documented]:
        section = "Parameters (or Attributes)" if kind == "class" else "Parameters"
        problems.append(f"{section} lacks {missing}")
    absent = sorted(_names(doc["Parameters"]) - set(names))
    if absent and (names or kind != "class"):
        problems.append(f"Parameters documents {absent}, which the signature does not take")
    returns = inspect.signature(obj).return_annotation if kind in {"function", "method"} else None
    if returns not in {None, "None", inspect.Signature.empty} and not (
        doc["Returns"] or doc["Yields"]
    ):
        problems.append("no Returns section")
    return problems + _raises_problems(doc, raised)


SECTIONED = {name: (obj, kind) for name, obj, kind in PUBLIC}


@pytest.mark.parametrize("name", list(SECTIONED))
def test_public_objects_carry_their_numpydoc_sections(name):
    obj, kind = SECTIONED[name]
    problems = _problems(obj, kind)
    assert problems == []


def test_the_checks_find_what_is_missing():
    def undocumented(frame: object, seed: int | None = None) -> int:
        """Count.

        Parameters
        ----------
        frame
            A frame.
        rows
            Gone.

        Raises
        ------
        NoSuchError
            Never.
        """
        if frame is None:
            msg = "no frame"
            raise one2one.errors.DataContractError(msg)
        return one2one._validation.as_generator(seed).integers(3)

    undocumented.__module__ = "one2one.fake"
    assert _problems(undocumented, "function") == [
        "Parameters lacks ['seed']",
        "Parameters documents ['rows'], which the signature does not take",
        "no Returns section",
        "Raises lacks DataContractError (raised in its body)",
        "Raises names 'NoSuchError', which is no exception",
    ]
    assert _misnamed_randomness(undocumented, "function") == ["seed"]
    assert _raised(one2one.datasets.simulate_shop) == {
        "DataContractError": "one2one._validation.require_number"
    }


RANDOMNESS = re.compile(r"(^|_)(seed|rng|generator)(_|$)|^random_seed$")


def _misnamed_randomness(obj, kind):
    if kind == "property" or (kind == "class" and _constructor(obj) is None):
        return []
    return [
        parameter.name
        for parameter in _parameters(obj, method=kind == "method")
        if (RANDOMNESS.search(parameter.name) or "Generator" in str(parameter.annotation))
        and parameter.name != "random_state"
    ]


def test_every_source_of_randomness_is_called_random_state():
    wrong = {name: _misnamed_randomness(obj, kind) for name, obj, kind in PUBLIC}
    assert {name: params for name, params in wrong.items() if params} == {}


def _in_reference(room, name):
    page = (REFERENCE / f"{room}.md").read_text(encoding="utf-8")
    whole_module = re.search(
        rf"\.\. automodule:: one2one\.{room}\n(\s+:[\w-]+:.*\n)*?\s+:members:", page
    )
    return bool(whole_module or re.search(rf"\b{re.escape(name)}\b", page))


@pytest.mark.parametrize("room", ROOMS)
def test_every_public_name_is_in_its_reference_page(room):
    module = importlib.import_module(f"one2one.{room}")
    assert [name for name in module.__all__ if not _in_reference(room, name)] == []


# --- one shape of error message ----------------------------------------------------------------
#
# "<what> must be <expected> (got <value>)[; <what to do>]." (STYLE B.7, as attrs writes them):
# the value received goes in parentheses after what was expected, never "...; got <value>.".
SOURCE = Path(one2one.errors.__file__).resolve().parent


def _old_shape(path):
    """Line numbers of string parts that say ``; got`` (the retired message shape)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.search(r";\s+got\b", node.value)
    )


def test_error_messages_put_the_value_received_in_parentheses():
    found = {
        str(path.relative_to(SOURCE)): lines
        for path in sorted(SOURCE.rglob("*.py"))
        if (lines := _old_shape(path))
    }
    assert found == {}
