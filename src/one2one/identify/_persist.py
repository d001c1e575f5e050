"""Reading saved identify state: untrusted JSON, checked field by field.

A saved resolver or matcher is input like any other. A damaged or
hand-edited file must fail with a :class:`~one2one.errors.DataContractError`
naming the field (``matcher.model.m.surname[1]``) and the value found, not
with a ``KeyError`` or ``TypeError`` from deep inside, and never load into a
state that breaks later (a probability of 0 that becomes ``log2(0)``).

Each reader takes the value and its dotted name, checks type and domain, and
returns the value typed for mypy. JSON has no tuples and only string keys;
``bool`` is refused where a number is expected (``True`` is an ``int`` to
Python, never a count to a file).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from ..errors import DataContractError

__all__ = [
    "boolean",
    "fail",
    "integer",
    "items",
    "mapping",
    "number",
    "optional_integer",
    "optional_number",
    "optional_text",
    "probabilities",
    "shown",
    "text",
    "text_list",
]

_SHOWN = 60  # characters of an offending text kept in a message


def shown(value: object) -> object:
    """Return the offending value for a message: scalars as they are, containers by type."""
    if isinstance(value, str):
        return value if len(value) <= _SHOWN else value[:_SHOWN] + "..."
    if value is None or isinstance(value, bool | int | float):
        return value
    return type(value).__name__


def fail(name: str, expected: str, value: object) -> NoReturn:
    """Raise a DataContractError: field ``name`` must be ``expected``, got ``value``."""
    got = shown(value)
    msg = f"saved field {name!r} must be {expected} (got {got!r}); the file is damaged."
    raise DataContractError(msg, column=name, value=got)


def mapping(
    value: object, name: str, *, keys: Collection[str] | None = None, optional: Collection[str] = ()
) -> Mapping[str, Any]:
    """Return ``value`` if it is an object with string keys.

    With ``keys``, every one of them must be present, and no other key than
    those and ``optional`` (the format is versioned; an unknown key means
    another format or a damaged file).
    """
    if not isinstance(value, Mapping):
        fail(name, "an object", value)
    for key in value:
        if not isinstance(key, str):
            fail(name, "an object with text keys", key)
    if keys is not None:
        for key in keys:
            if key not in value:
                msg = f"saved field {name!r} lacks the key {key!r}; the file is damaged."
                raise DataContractError(msg, column=f"{name}.{key}")
        allowed = set(keys) | set(optional)
        for key in value:
            if key not in allowed:
                msg = (
                    f"saved field {name!r} has an unexpected key {shown(key)!r} "
                    f"(expected {sorted(allowed)}); the file is damaged or of another format."
                )
                raise DataContractError(msg, column=f"{name}.{key}", value=shown(key))
    return value


def items(value: object, name: str, *, size: int | None = None) -> list[Any]:
    """Return ``value`` as a list if it is a JSON array (a list or tuple), of ``size`` items."""
    if not isinstance(value, list | tuple):
        fail(name, "a list", value)
    if size is not None and len(value) != size:
        fail(name, f"a list of {size} items", f"{len(value)} items")
    return list(value)


def text(value: object, name: str, *, choices: Collection[str] | None = None) -> str:
    """Return ``value`` if it is a string (one of ``choices``, if given)."""
    if not isinstance(value, str):
        fail(name, "text", value)
    if choices is not None and value not in choices:
        fail(name, f"one of {sorted(choices)}", value)
    return value


def optional_text(
    value: object, name: str, *, choices: Collection[str] | None = None
) -> str | None:
    """Return ``value`` if it is ``None`` or a string (one of ``choices``)."""
    return None if value is None else text(value, name, choices=choices)


def text_list(
    value: object, name: str, *, nonempty: bool = False, unique: bool = False
) -> list[str]:
    """Return ``value`` if it is a list of strings (not empty, without repeats, if asked)."""
    values = items(value, name)
    if nonempty and not values:
        fail(name, "a non-empty list", "an empty list")
    for k, item in enumerate(values):
        text(item, f"{name}[{k}]")
    if unique and len(set(values)) != len(values):
        repeated = next(v for k, v in enumerate(values) if v in values[:k])
        fail(name, "a list without repeats", repeated)
    return values


def boolean(value: object, name: str) -> bool:
    """Return ``value`` if it is ``true`` or ``false``."""
    if not isinstance(value, bool):
        fail(name, "true or false", value)
    return value


def integer(value: object, name: str, *, low: int | None = None) -> int:
    """Return ``value`` if it is an integer (not a bool), at least ``low``."""
    if isinstance(value, bool) or not isinstance(value, int):
        fail(name, "an integer", value)
    if low is not None and value < low:
        fail(name, f"an integer >= {low}", value)
    return value


def optional_integer(value: object, name: str, *, low: int | None = None) -> int | None:
    """Return ``value`` if it is ``None`` or an integer at least ``low``."""
    return None if value is None else integer(value, name, low=low)


def number(
    value: object,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    open_low: bool = False,
    open_high: bool = False,
) -> float:
    """Return ``value`` as a float if it is a finite number within the bounds.

    ``open_low``/``open_high`` exclude the bound itself (a probability used
    under a logarithm must be above 0).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail(name, "a number", value)
    result = float(value)
    if not math.isfinite(result):
        fail(name, "a finite number", value)
    below = low is not None and (result <= low if open_low else result < low)
    above = high is not None and (result >= high if open_high else result > high)
    if below or above:
        left = "(" if open_low else "["
        right = ")" if open_high else "]"
        fail(name, f"a number in {left}{low}, {high}{right}", value)
    return result


def optional_number(
    value: object,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    open_low: bool = False,
    open_high: bool = False,
) -> float | None:
    """Return ``value`` if it is ``None`` or a number within the bounds (see :func:`number`)."""
    if value is None:
        return None
    return number(value, name, low=low, high=high, open_low=open_low, open_high=open_high)


def probabilities(value: object, name: str, *, size: int) -> NDArray[np.float64]:
    """Return ``value`` as an array if it lists ``size`` probabilities in ``(0, 1]``.

    Zero is refused: the model takes logarithms of these.
    """
    values = items(value, name, size=size)
    return np.asarray(
        [number(v, f"{name}[{k}]", low=0.0, high=1.0, open_low=True) for k, v in enumerate(values)],
        dtype=float,
    )
