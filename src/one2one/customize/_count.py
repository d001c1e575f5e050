"""A binary decision diagram of every valid configuration: exact counts and uniform samples.

Counting the solutions of a model's clauses would count the solver's
auxiliary variables too, so the diagram is built from the model itself:
the hierarchy, each group's cardinality as a symmetric function of its
children, and the rules, over the options in tree order (a good variable
order for feature models). CUDD (through ``dd``) does the work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from dd import cudd

from ._formula import And, Expr, Implies, Not, Or, Var
from ._model import ProductModel

__all__ = ["DecisionDiagram"]


class DecisionDiagram:
    """All valid configurations of a model, as one BDD."""

    def __init__(self, model: ProductModel, names: Sequence[str]) -> None:
        self.names = list(names)
        self._bdd = cudd.BDD()
        self._labels = {name: f"x{i}" for i, name in enumerate(self.names)}
        self._bdd.declare(*self._labels.values())
        bdd = self._bdd
        x = {name: bdd.var(label) for name, label in self._labels.items()}
        self._x = x
        valid = x[model.root]
        for group in model.groups:
            parent = x[group.parent]
            for child in group.children:
                valid &= ~x[child] | parent
            low, high = group.bounds()
            if (low, high) != (0, len(group.children)):
                valid &= ~parent | self._between([x[c] for c in group.children], low, high)
        for rule in model.rules:
            valid &= self._formula(rule.formula)
        self.valid = valid

    def _between(self, children: list[Any], low: int, high: int) -> Any:
        """BDD of 'between low and high of these are true' (a counting recurrence)."""
        bdd = self._bdd
        counts: dict[int, Any] = {0: bdd.true}
        for child in children:
            nxt: dict[int, Any] = {}
            for k, u in counts.items():
                for j, part in ((k, u & ~child), (min(k + 1, high + 1), u & child)):
                    nxt[j] = nxt[j] | part if j in nxt else part
            counts = nxt
        result = bdd.false
        for k, u in counts.items():
            if low <= k <= high:
                result |= u
        return result

    def _formula(self, expr: Expr) -> Any:
        if isinstance(expr, Var):
            return self._x[expr.name]
        if isinstance(expr, Not):
            return ~self._formula(expr.arg)
        if isinstance(expr, And):
            out = self._bdd.true
            for arg in expr.args:
                out &= self._formula(arg)
            return out
        if isinstance(expr, Or):
            out = self._bdd.false
            for arg in expr.args:
                out |= self._formula(arg)
            return out
        if isinstance(expr, Implies):
            return ~self._formula(expr.left) | self._formula(expr.right)
        return self._bdd.apply("<=>", self._formula(expr.left), self._formula(expr.right))

    def _restrict(self, choices: Mapping[str, bool]) -> Any:
        u = self.valid
        for name, value in choices.items():
            u &= self._x[name] if value else ~self._x[name]
        return u

    def count(self, choices: Mapping[str, bool]) -> int:
        """Count the valid configurations that keep the choices."""
        u = self._restrict(choices)
        return int(self._bdd.count(u, nvars=len(self.names)))

    def sample(self, choices: Mapping[str, bool], rng: np.random.Generator) -> frozenset[str]:
        """Draw one valid configuration uniformly, option by option, in proportion to counts."""
        u = self._restrict(choices)
        total = int(self._bdd.count(u, nvars=len(self.names)))
        if total == 0:
            return frozenset()
        selected = []
        for name in self.names:
            with_it = u & self._x[name]
            count = int(self._bdd.count(with_it, nvars=len(self.names)))
            if count and rng.random() * total < count:
                u, total = with_it, count
                selected.append(name)
            else:
                u = u & ~self._x[name]
                total -= count
        return frozenset(selected)
