"""The model as clauses for a SAT solver: the hierarchy, the groups and the rules.

Options are variables ``1..n`` in tree order. Group cardinalities use
PySAT's cardinality encodings; rules are Tseitin-encoded, one fresh variable
per connective, so a formula of any shape costs clauses linear in its size.
"""

from __future__ import annotations

from pysat.card import CardEnc, EncType

from ._formula import And, Expr, Iff, Implies, Not, Var
from ._model import ProductModel

__all__ = ["Encoding", "encode"]


class Encoding:
    """Clauses of a model with its option <-> variable map."""

    def __init__(self, model: ProductModel) -> None:
        self.names = model.order()
        self.var = {name: i for i, name in enumerate(self.names, start=1)}
        self.top = len(self.names)
        self.clauses: list[list[int]] = []
        self.rule_of_clause: list[str] = []

    def fresh(self) -> int:
        """Return a new auxiliary variable."""
        self.top += 1
        return self.top

    def add(self, clause: list[int], origin: str) -> None:
        """Add one clause, remembering which rule it came from."""
        self.clauses.append(clause)
        self.rule_of_clause.append(origin)

    def literal(self, expr: Expr) -> int:
        """Return a literal equivalent to ``expr`` (Tseitin)."""
        if isinstance(expr, Var):
            return self.var[expr.name]
        if isinstance(expr, Not):
            return -self.literal(expr.arg)
        if isinstance(expr, Iff):
            left, right = self.literal(expr.left), self.literal(expr.right)
            t = self.fresh()
            for clause in (
                [-t, -left, right],
                [-t, left, -right],
                [t, left, right],
                [t, -left, -right],
            ):
                self.add(clause, "")
            return t
        if isinstance(expr, Implies):  # not (left) or right, built without a deeper node
            args = [-self.literal(expr.left), self.literal(expr.right)]
        else:
            args = [self.literal(a) for a in expr.args]
        t = self.fresh()
        if isinstance(expr, And):
            for a in args:
                self.add([-t, a], "")
            self.add([t, *(-a for a in args)], "")
        else:
            self.add([-t, *args], "")
            for a in args:
                self.add([t, -a], "")
        return t


def _at_least(encoding: Encoding, parent: int, children: list[int], low: int, origin: str) -> None:
    """Add ``parent => at least low of children``."""
    if low <= 0:
        return
    if low == 1:
        encoding.add([-parent, *children], origin)
        return
    cnf = CardEnc.atleast(children, bound=low, top_id=encoding.top, encoding=EncType.seqcounter)
    encoding.top = max(encoding.top, cnf.nv)
    for clause in cnf.clauses:
        encoding.add([-parent, *clause], origin)


def _at_most(encoding: Encoding, children: list[int], high: int, origin: str) -> None:
    """Add ``at most high of children`` (children need their parent, so no condition)."""
    if high >= len(children):
        return
    if high == 1 and len(children) <= 6:  # noqa: PLR2004 (pairwise is smallest for a few)
        for i, first in enumerate(children):
            for second in children[i + 1 :]:
                encoding.add([-first, -second], origin)
        return
    cnf = CardEnc.atmost(children, bound=high, top_id=encoding.top, encoding=EncType.seqcounter)
    encoding.top = max(encoding.top, cnf.nv)
    for clause in cnf.clauses:
        encoding.add(clause, origin)


def encode(model: ProductModel) -> Encoding:
    """Encode every constraint of the model (linear rules are not part of the clauses)."""
    encoding = Encoding(model)
    var = encoding.var
    encoding.add([var[model.root]], f"{model.root} is the product")
    for group in model.groups:
        parent = var[group.parent]
        children = [var[c] for c in group.children]
        for child, name in zip(children, group.children, strict=True):
            encoding.add([-child, parent], f"{name} needs {group.parent}")
        low, high = group.bounds()
        origin = f"{group.kind} group of {group.parent}"
        if low == len(children):
            for child in children:
                encoding.add([-parent, child], origin)
            continue
        _at_least(encoding, parent, children, low, origin)
        _at_most(encoding, children, high, origin)
    for rule in model.rules:
        encoding.add([encoding.literal(rule.formula)], rule.name)
    return encoding
