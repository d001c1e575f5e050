"""Which rules a complete configuration breaks, in words (no solver needed)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from ._formula import evaluate
from ._model import ProductModel

__all__ = ["broken_rules"]


def _number(value: float | str) -> float:
    return value if isinstance(value, float) else 0.0


def broken_rules(model: ProductModel, selected: AbstractSet[str]) -> list[str]:
    """Return every constraint of ``model`` that the selection breaks, in words."""
    values = {option.name: option.name in selected for option in model.options}
    broken: list[str] = []
    if not values[model.root]:
        broken.append(f"{model.root} (the product itself) must be selected")
    for group in model.groups:
        broken.extend(
            f"{child} needs {group.parent}"
            for child in group.children
            if values[child] and not values[group.parent]
        )
        if values[group.parent]:
            count = sum(values[c] for c in group.children)
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
        if not evaluate(rule.formula, values)
    )
    for linear in model.linear_rules:
        total = sum(
            _number(model.option(n).attributes.get(linear.attribute, 0.0)) for n in selected
        )
        if not linear.holds(total):
            broken.append(
                f"rule {linear.name!r}: total {linear.attribute} {total:g} is not "
                f"{linear.comparison} {linear.bound:g}"
            )
    return broken
