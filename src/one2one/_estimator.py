"""The scikit-learn estimator protocol, without importing scikit-learn.

Lifetime-value models follow scikit-learn's conventions (configuration in
``__init__``, ``get_params``/``set_params``, ``sklearn.base.clone`` works),
but importing scikit-learn costs about a second, most of a fresh process's
first fit. The protocol is small: parameters are the ``__init__`` arguments,
stored under their own names. Rooms that use scikit-learn's machinery for
real (segmenters, uplift, matching) keep its ``BaseEstimator``.
"""

from __future__ import annotations

import inspect
from typing import Any, Self

__all__ = ["Estimator"]


class Estimator:
    """Base class giving ``get_params``, ``set_params`` and a compact ``repr``."""

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """Return the ``__init__`` argument names, sorted (as scikit-learn does)."""
        signature = inspect.signature(cls.__init__)
        return sorted(
            name
            for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Return the configuration: each ``__init__`` argument and its value.

        Parameters
        ----------
        deep
            Also return the parameters of parameters that are estimators
            (``<name>__<parameter>``), as scikit-learn does.

        Returns
        -------
        dict
            Parameter names mapped to their values.
        """
        params: dict[str, Any] = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update({f"{name}__{k}": v for k, v in value.get_params().items()})
            params[name] = value
        return params

    def set_params(self, **params: Any) -> Self:
        """Set configuration parameters, as ``__init__`` would.

        Parameters
        ----------
        **params
            Parameter names and their new values.

        Returns
        -------
        Self
            The estimator.

        Raises
        ------
        ValueError
            If a name is not a parameter of this estimator.
        """
        valid = set(self._get_param_names())
        for name, value in params.items():
            if name not in valid:
                msg = (
                    f"parameter must be one of {sorted(valid)!r} for "
                    f"{type(self).__name__} (got {name!r})."
                )
                raise ValueError(msg)
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        """Show the class and the parameters that differ from their defaults."""
        signature = inspect.signature(type(self).__init__)
        changed = []
        for name in self._get_param_names():
            default = signature.parameters[name].default
            value = getattr(self, name)
            if default is inspect.Parameter.empty or not _same(value, default):
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"


def _same(value: object, default: object) -> bool:
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # arrays and other values without a plain ==
        return value is default
