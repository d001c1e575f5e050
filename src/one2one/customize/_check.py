"""Which rules a complete configuration breaks, in words (no solver needed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from ..errors import DataContractError
from ._formula import evaluate
from ._model import ProductModel

__all__ = ["SCALE", "Configuration", "broken_rules", "quantities"]

SCALE = 1000
"""Attribute totals are compared in thousandths, by the checker and by the CP-SAT engine alike,
so a configuration the engine offers is never refused by a check (floats would disagree at
a bound such as 0.1 + 0.1 + 0.1 <= 0.3)."""

Configuration = Mapping[str, bool | int] | Iterable[str]
"""Selected option names, or every option mapped to True/False (or a quantity)."""


def _number(value: float | str) -> float:
    return value if isinstance(value, float) else 0.0


def quantities(model: ProductModel, configuration: Configuration) -> dict[str, int]:
    """Every option's value as a whole number: 0/1 for Boolean options, quantities otherwise.

    Raises
    ------
    DataContractError
        An unknown option, a value that is neither True/False nor a whole
        number, or a counted option named without its quantity.
    """
    counted = {o.name for o in model.options if o.domain is not None}
    values = dict.fromkeys((o.name for o in model.options), 0)
    if isinstance(configuration, Mapping):
        items = list(configuration.items())
    elif isinstance(configuration, str):
        msg = "a configuration is a set of option names or a mapping, not one string."
        raise DataContractError(msg, column="configuration", value=configuration)
    else:
        items = [(name, True) for name in configuration]
    for name, value in items:
        if not isinstance(name, str) or name not in values:
            msg = f"unknown option {name!r} in the configuration."
            raise DataContractError(msg, column="option", value=name)
        if isinstance(value, bool | np.bool_):
            if bool(value) and name in counted:
                msg = f"option {name!r} is counted: give its quantity, not True."
                raise DataContractError(msg, column=name, value=value)
            values[name] = int(bool(value))
        elif isinstance(value, int | np.integer) and name in counted:
            values[name] = int(value)
        else:
            want = "a whole number (0 for left out)" if name in counted else "True or False"
            msg = f"option {name!r} must be {want} (got {value!r})."
            raise DataContractError(msg, column=name, value=value)
    return values


def broken_rules(model: ProductModel, values: Mapping[str, int]) -> list[str]:
    """Return every constraint of ``model`` that the configuration breaks, in words.

    ``values`` is :func:`quantities`' form: every option's 0/1 or quantity.
    """
    selected = {name: value > 0 for name, value in values.items()}
    broken: list[str] = []
    if not selected[model.root]:
        broken.append(f"{model.root} (the product itself) must be selected")
    for option in model.options:
        value = values[option.name]
        if value not in option.values():
            low, high = option.domain or (0, 1)
            broken.append(f"{option.name}: {value} is outside {low}..{high} (or 0, left out)")
    for group in model.groups:
        broken.extend(
            f"{child} needs {group.parent}"
            for child in group.children
            if selected[child] and not selected[group.parent]
        )
        if selected[group.parent]:
            count = sum(selected[c] for c in group.children)
            low, high = group.bounds()
            if not low <= count <= high:
                want = f"exactly {low}" if low == high else f"{low} to {high}"
                broken.append(
                    f"{group.kind} group of {group.parent}: {count} of "
                    f"{list(group.children)} selected, needs {want}"
                )
    broken.extend(
        f"rule {rule.name!r} ({rule}) is broken"
        for rule in model.rules
        if not evaluate(rule.formula, selected)
    )
    for linear in model.linear_rules:
        scaled = sum(
            round(SCALE * _number(option.attributes.get(linear.attribute, 0.0)))
            * values[option.name]
            for option in model.options
            if values[option.name]
        )
        total = scaled / SCALE
        if not linear.holds_scaled(scaled, SCALE):
            broken.append(
                f"rule {linear.name!r}: total {linear.attribute} {total:g} is not "
                f"{linear.comparison} {linear.bound:g}"
            )
    return broken
