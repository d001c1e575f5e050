"""Old parameter names kept working for one release, with a warning naming the new one.

A public name changes only with a deprecation (ARCHITECTURE). Renaming a
parameter in place would break every caller at once; this decorator accepts the
old keyword, warns, and passes the value on under the new name, while the
signature (and so the docs and type checkers) shows the new name only.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from .errors import DataContractError

__all__ = ["renamed_parameters"]

_P = ParamSpec("_P")
_R = TypeVar("_R")

#: The release after which old parameter names stop being accepted.
REMOVED_AFTER = "0.2"


def renamed_parameters(**renames: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Accept each ``old=`` keyword as ``new=`` with a ``DeprecationWarning``.

    Parameters
    ----------
    **renames
        ``old_name="new_name"`` pairs.

    Returns
    -------
    callable
        A decorator keeping the function's signature, docstring and behaviour.
        Called with an old keyword, the function warns (pointing at the
        caller's line) and runs as if called with the new one; called with
        both, it raises ``DataContractError`` naming the old one.
    """

    def decorate(func: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    msg = (
                        f"{func.__qualname__}() got both {old}= (its old name) and {new}=; "
                        f"pass {new}= only."
                    )
                    raise DataContractError(msg, column=old, value=kwargs[old])
                msg = (
                    f"{func.__qualname__}({old}=...) is deprecated and will be refused after "
                    f"one2one {REMOVED_AFTER}; pass {new}= instead."
                )
                warnings.warn(msg, DeprecationWarning, stacklevel=2)
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate
