"""Reading numbers from files one2one saved: shared by every room that loads state.

A saved file is untrusted input. A number in it must be a real number (JSON
``true`` is not 1), finite, representable as a float (``10**400`` is refused,
not an ``OverflowError``), inside the bounds its reader states and, where asked,
whole. The caller names what is being read, so the message says where to look.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .errors import DataContractError

__all__ = ["refuse", "saved_number"]


def refuse(subject: str, field: str, expected: str, value: object) -> DataContractError:
    """Build the error for a saved field that is not what its reader expects."""
    shown = repr(value)
    if len(shown) > 80:  # noqa: PLR2004 - keep messages readable for huge values
        shown = shown[:77] + "..."
    msg = f"{subject} field '{field}' must be {expected} (got {shown})."
    return DataContractError(msg, column=field, value=value)


def saved_number(
    value: object,
    field: str,
    *,
    subject: str,
    low: float = -math.inf,
    high: float = math.inf,
    low_inclusive: bool = True,
    integer: bool = False,
) -> float:
    """Return ``value`` as a float if it is a finite real number within the bounds.

    Parameters
    ----------
    value, field
        What was read and where (named in the error).
    subject
        What the file holds (``"saved model"``, ``"learner state"``).
    low, high, low_inclusive
        The bounds: ``low`` is excluded when ``low_inclusive`` is false.
    integer
        Whether the number must be whole.

    Raises
    ------
    DataContractError
        Naming the field, what was expected and what was found.
    """
    kind = "an integer" if integer else "a finite number"
    bounds = []
    if low > -math.inf:
        bounds.append(f"{'>=' if low_inclusive else '>'} {low:g}")
    if high < math.inf:
        bounds.append(f"<= {high:g}")
    expected = kind + (f" {' and '.join(bounds)}" if bounds else "")
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise refuse(subject, field, expected, value)
    try:
        number = float(value)
    except OverflowError as exc:
        raise refuse(subject, field, expected, value) from exc
    inside = number >= low if low_inclusive else number > low
    if not math.isfinite(number) or not inside or number > high:
        raise refuse(subject, field, expected, value)
    if integer and not number.is_integer():
        raise refuse(subject, field, expected, value)
    return number
