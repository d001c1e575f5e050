"""A binary decision diagram of every valid configuration: exact counts and uniform samples.

Counting the solutions of a model's clauses would count the solver's
auxiliary variables too, so the diagram is built from the model itself:
the hierarchy, each group's cardinality as a symmetric function of its
children, and the rules, over the options in tree order (a good variable
order for feature models). CUDD (through ``dd``) builds the diagram, with
its dynamic reordering off: the tree order is kept, because sifting cost more
than it saved on feature models (100 alternative groups of 3: 19 s of
reordering for a diagram of 2,580 nodes, against 0.3 s and 601 nodes in tree
order; no difference on BerkeleyDB or axTLS).

CUDD counts in floating point (a double: exact only up to 2**53, and
infinite past about 2**1024), so counting is done here, exactly, in Python
integers: one bottom-up pass over the diagram's nodes, memoised per node,
with complemented edges (CUDD's negation) and skipped levels (free options,
a factor of 2 each) taken into account. A uniform sample is one uniform
integer below the exact count, unranked down the diagram with the same
counts, so every valid configuration is equally likely, however many there are.
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
        self._bdd.configure(reordering=False)
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
        """Count the valid configurations that keep the choices, exactly."""
        return _Counts(self._bdd, self._restrict(choices), len(self.names)).total

    def sample(
        self, choices: Mapping[str, bool], rng: np.random.Generator, n: int
    ) -> list[frozenset[str]]:
        """Draw ``n`` valid configurations uniformly (empty when none keeps the choices)."""
        counts = _Counts(self._bdd, self._restrict(choices), len(self.names))
        if counts.total == 0:
            return []
        name_of = {label: name for name, label in self._labels.items()}
        by_level = [name_of[self._bdd.var_at_level(level)] for level in range(len(self.names))]
        return [
            frozenset(by_level[level] for level in counts.unrank(_below(rng, counts.total)))
            for _ in range(n)
        ]


def _below(rng: np.random.Generator, bound: int) -> int:
    """Return a uniform integer in ``[0, bound)`` of any size (rejection from whole bytes)."""
    bits = bound.bit_length()
    size = (bits + 7) // 8
    while True:
        draw = int.from_bytes(rng.bytes(size), "little") >> (8 * size - bits)
        if draw < bound:  # accepted with probability above 1/2
            return draw


class _Counts:
    """Exact model counts of every node below a root, in Python integers.

    ``below[node]`` is the number of assignments to the variables at the
    node's level and below that satisfy the node's *regular* function;
    a complemented edge into a node at level ``l`` satisfies the other
    ``2 ** (n - l) - below[node]``.
    """

    def __init__(self, bdd: Any, root: Any, nvars: int) -> None:
        self.n = nvars
        self.one = bdd.true
        self.root = root
        self.below: dict[int, int] = {int(self.one): 1}
        stack = [_regular(root)]
        while stack:
            node = stack[-1]
            key = int(node)
            if key in self.below:
                stack.pop()
                continue
            low, high = node.low, node.high
            waiting = [c for c in (_regular(low), _regular(high)) if int(c) not in self.below]
            if waiting:
                stack.extend(waiting)
                continue
            stack.pop()
            level = node.level
            self.below[key] = (self.edge(low, negated=False) << (self.level(low) - level - 1)) + (
                self.edge(high, negated=False) << (self.level(high) - level - 1)
            )
        self.total = self.edge(root, negated=False) << self.level(root)

    def level(self, edge: Any) -> int:
        """Return the level of the node an edge points to (``n`` for the constants)."""
        return self.n if edge.var is None else int(edge.level)

    def edge(self, edge: Any, *, negated: bool) -> int:
        """Count below an edge, itself complemented when ``negated`` (a parent's negation)."""
        count = self.below[int(_regular(edge))]
        if edge.negated != negated:
            return (1 << (self.n - self.level(edge))) - count
        return count

    def unrank(self, rank: int) -> list[int]:
        """Return the levels set to true in the ``rank``-th satisfying assignment."""
        chosen: list[int] = []
        edge, negated, start = self.root, False, 0
        while True:
            level = self.level(edge)
            count = self.edge(edge, negated=negated)
            free, rank = divmod(rank, count)  # the skipped levels take the high digits
            chosen.extend(start + i for i in range(level - start) if free >> i & 1)
            if edge.var is None:
                return chosen
            negated = edge.negated != negated
            low, high = edge.low, edge.high
            low_count = self.edge(low, negated=negated) << (self.level(low) - level - 1)
            if rank < low_count:
                edge = low
            else:
                rank -= low_count
                chosen.append(level)
                edge = high
            start = level + 1


def _regular(edge: Any) -> Any:
    """Return the node an edge points to, without CUDD's complement bit."""
    return ~edge if edge.negated else edge
