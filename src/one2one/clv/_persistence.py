"""Reading saved models: a saved file is untrusted input, checked field by field.

A model file may be damaged, hand-edited or written by someone else. Loading
checks every field before a model is built from it, so a file either gives a
model that could have come out of ``fit`` (positive parameters within the
optimiser's bounds, finite numbers, the right model class and format
version) or is refused with a :class:`~one2one.errors.DataContractError`
that names the field and the value. A file that cannot be read as JSON at
all raises :class:`~one2one.errors.StorageError` naming the path.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._saved import refuse
from .._saved import saved_number as _saved_number
from ..errors import DataContractError, StorageError
from ._fitting import _FREE_BOUND, _LOG_BOUND, FitDiagnostics

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "check_header",
    "read_json",
    "require_fields",
    "saved_covariance",
    "saved_diagnostics",
    "saved_list",
    "saved_mapping",
    "saved_number",
    "saved_params",
    "saved_text",
]

FORMAT = "one2one.clv"
FORMAT_VERSION = 1
_SLACK = 1e-9  # relative: a bound written to JSON and read back is still inside
POSITIVE_LOW = math.exp(-_LOG_BOUND) * (1 - _SLACK)
POSITIVE_HIGH = math.exp(_LOG_BOUND) * (1 + _SLACK)
FREE_HIGH = _FREE_BOUND * (1 + _SLACK)


def read_json(path: str | Path) -> object:
    """Return the JSON value stored at ``path``.

    Raises
    ------
    StorageError
        If the file cannot be read, is not UTF-8 text or is not JSON (too
        deeply nested, a number too long to parse, truncated, ...).
    """
    source = Path(path)
    try:
        return json.loads(source.read_bytes().decode("utf-8"))
    except OSError as exc:
        msg = f"could not read a saved model from {source}: {exc.strerror or exc}."
        raise StorageError(msg, path=str(source)) from exc
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        msg = f"{source} is not a saved model (not UTF-8 JSON: {type(exc).__name__}: {exc})."
        raise StorageError(msg, path=str(source)) from exc


def _refuse(field: str, expected: str, value: object) -> DataContractError:
    return refuse("saved model", field, expected, value)


def saved_mapping(value: object, field: str) -> Mapping[str, Any]:
    """Return ``value`` if it is a JSON object with string keys."""
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _refuse(field, "a JSON object", value)
    return value


def saved_list(value: object, field: str) -> Sequence[Any]:
    """Return ``value`` if it is a JSON array."""
    if not isinstance(value, list | tuple):
        raise _refuse(field, "a JSON array", value)
    return value


def saved_text(value: object, field: str, *, optional: bool = False) -> str | None:
    """Return ``value`` if it is a string (or ``None`` when ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _refuse(field, "a string" + (" or null" if optional else ""), value)
    return value


def saved_number(
    value: object,
    field: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_inclusive: bool = True,
    integer: bool = False,
) -> float:
    """Return ``value`` as a float if it is a finite number within the bounds (see ``_saved``)."""
    return _saved_number(
        value,
        field,
        subject="saved model",
        low=low,
        high=high,
        low_inclusive=low_inclusive,
        integer=integer,
    )


def saved_params(
    value: object, names: Sequence[str], positive: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Return the parameters in ``names`` order, each within what ``fit`` can produce.

    Positive (shape and scale) parameters must lie in [exp(-23), exp(23)],
    covariate coefficients in [-50, 50]: the optimiser's own bounds, so a
    loaded model is one that fitting could have produced.
    """
    params = saved_mapping(value, "params")
    unknown = sorted(set(params) - set(names))
    if unknown:
        field = f"params.{unknown[0]}"
        msg = (
            f"saved model field '{field}' is not a parameter of this model "
            f"(expected {list(names)})."
        )
        raise DataContractError(msg, column=field, value=params[unknown[0]])
    values = []
    for name, is_positive in zip(names, positive.tolist(), strict=True):
        field = f"params.{name}"
        if name not in params:
            msg = f"saved model field '{field}' is missing."
            raise DataContractError(msg, column=field)
        if is_positive:
            values.append(saved_number(params[name], field, low=POSITIVE_LOW, high=POSITIVE_HIGH))
        else:
            values.append(saved_number(params[name], field, low=-FREE_HIGH, high=FREE_HIGH))
    return np.array(values, dtype=np.float64)


def saved_covariance(value: object, size: int) -> NDArray[np.float64]:
    """Return a ``size`` x ``size`` covariance: finite numbers, or null for unknown (NaN).

    Variances (the diagonal) must not be negative.
    """
    rows = saved_list(value, "covariance")
    if len(rows) != size:
        field, expected = "covariance", f"{size} rows of {size} numbers or nulls"
        raise _refuse(field, expected, value)
    matrix = np.full((size, size), np.nan)
    for i, row in enumerate(rows):
        cells = saved_list(row, f"covariance[{i}]")
        if len(cells) != size:
            field = f"covariance[{i}]"
            raise _refuse(field, f"{size} numbers or nulls", row)
        for j, cell in enumerate(cells):
            if cell is not None:
                low = 0.0 if i == j else -math.inf
                matrix[i, j] = saved_number(cell, f"covariance[{i}][{j}]", low=low)
    return matrix


_DIAGNOSTICS: dict[str, str] = {
    "converged": "bool",
    "method": "text",
    "n_iterations": "count",
    "gradient_norm": "number",
    "start": "count",
    "n_starts": "count",
    "n_converged": "count",
    "message": "text",
}


def saved_diagnostics(value: object) -> FitDiagnostics | None:
    """Return the saved fit diagnostics (``None`` when the model was not fitted here)."""
    if value is None:
        return None
    fields = saved_mapping(value, "diagnostics")
    if set(fields) != set(_DIAGNOSTICS):
        missing = sorted(set(_DIAGNOSTICS) - set(fields))
        extra = sorted(set(fields) - set(_DIAGNOSTICS))
        field = f"diagnostics.{(missing or extra)[0]}"
        msg = (
            f"saved model field 'diagnostics' must have exactly the fields "
            f"{sorted(_DIAGNOSTICS)} (missing {missing}, unknown {extra})."
        )
        raise DataContractError(msg, column=field, value=fields.get(extra[0]) if extra else None)
    checked: dict[str, Any] = {}
    for name, kind in _DIAGNOSTICS.items():
        field, item = f"diagnostics.{name}", fields[name]
        if kind == "bool":
            if not isinstance(item, bool):
                raise _refuse(field, "true or false", item)
            checked[name] = item
        elif kind == "text":
            checked[name] = saved_text(item, field)
        elif kind == "count":
            checked[name] = int(saved_number(item, field, low=0, integer=True))
        else:
            checked[name] = saved_number(item, field, low=0)
    return FitDiagnostics(**checked)


def check_header(data: object, model: str) -> Mapping[str, Any]:
    """Return ``data`` if it is a saved one2one.clv model of class ``model``, version 1."""
    if not isinstance(data, Mapping):
        msg = f"not a saved one2one.clv model: expected a JSON object (got {type(data).__name__})."
        raise DataContractError(msg, column="format", value=type(data).__name__)
    if data.get("format") != FORMAT:
        msg = (
            f"not a saved one2one.clv model: field 'format' must be {FORMAT!r} "
            f"(got {data.get('format')!r})."
        )
        raise DataContractError(msg, column="format", value=data.get("format"))
    if data.get("model") != model:
        msg = f"this is a saved {data.get('model')!r}, not a {model}; load it with that class."
        raise DataContractError(msg, column="model", value=data.get("model"))
    version = data.get("version")
    if isinstance(version, bool) or version != FORMAT_VERSION:
        msg = (
            f"unsupported saved-model version {version!r} (field 'version'); this "
            f"one2one reads version {FORMAT_VERSION}."
        )
        raise DataContractError(msg, column="version", value=version)
    return data


def require_fields(data: Mapping[str, Any], names: Sequence[str]) -> None:
    """Raise a DataContractError naming the first of ``names`` missing from ``data``."""
    for name in names:
        if name not in data:
            msg = f"saved model field '{name}' is missing."
            raise DataContractError(msg, column=name)
    known = {*names, "format", "model", "version", "occasion_period", "state"}
    unknown = sorted(set(data) - known)
    if unknown:
        msg = f"saved model has an unknown field '{unknown[0]}' (known: {sorted(known)})."
        raise DataContractError(msg, column=unknown[0], value=data[unknown[0]])
