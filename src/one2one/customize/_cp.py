"""The model as a CP-SAT problem: options, quantities, groups, rules and linear rules.

The SAT engine covers Boolean options and propositional rules; a model with
counted options or attribute totals needs integer arithmetic, which OR-Tools
CP-SAT solves exactly (attribute amounts in thousandths). Every value an
option can take has a literal (``is_value[name, value]``), so the engine
asks "is this value still possible?" the same way on either solver.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from ..errors import DataContractError
from ._check import SCALE
from ._cnf import Encoding
from ._formula import Expr, clip
from ._model import LinearRule, ProductModel

__all__ = ["MAX_AMOUNT", "SCALE", "CpEncoding", "compare", "scaled", "solve"]

MAX_AMOUNT = 10**9
"""The largest amount (an attribute per unit, a price, a budget, a bound) the solver takes.

CP-SAT works in 64-bit integers and money here in thousandths (millionths
inside a list price with percentages), so larger amounts could overflow a
total; they are refused by name instead."""


def scaled(value: float, *, what: str, column: str, scale: int = SCALE) -> int:
    """Return ``value`` in whole ``1/scale`` units, refusing amounts the solver cannot hold."""
    if not abs(value) <= MAX_AMOUNT:
        msg = (
            f"{what} is {value:g}; the solver counts in whole thousandths and takes amounts "
            f"up to {MAX_AMOUNT:,} in size."
        )
        raise DataContractError(msg, column=column, value=value)
    return round(scale * value)


def solve(
    solver: cp_model.CpSolver,
    cp: cp_model.CpModel,
    callback: cp_model.CpSolverSolutionCallback | None = None,
) -> int:
    """Solve, turning CP-SAT's refusal of a model (totals that overflow) into a typed error."""
    status = int(solver.solve(cp, callback))
    if status == cp_model.MODEL_INVALID:
        msg = (
            "the amounts are too large for the solver taken together (its totals would "
            f"overflow 64-bit integers): {clip(cp.validate().partition(':')[0], 100)}; use "
            "smaller units (e.g. thousands) for large amounts."
        )
        raise DataContractError(msg, column="attributes")
    return status


def compare(cp: cp_model.CpModel, total: cp_model.LinearExprT, comparison: str, bound: int) -> None:
    """Add ``total <comparison> bound``."""
    if comparison == "<":
        cp.add(total < bound)
    elif comparison == "<=":
        cp.add(total <= bound)
    elif comparison == ">":
        cp.add(total > bound)
    elif comparison == ">=":
        cp.add(total >= bound)
    else:
        cp.add(total == bound)


class CpEncoding:
    """A model's CP-SAT form, with a literal per (option, value)."""

    def __init__(self, model: ProductModel) -> None:
        self.model = model
        self.cp = cp = cp_model.CpModel()
        self.names = model.order()
        self.selected = {name: cp.new_bool_var(name) for name in self.names}
        self.amount: dict[str, cp_model.IntVar] = dict(self.selected)
        self.is_value: dict[tuple[str, bool | int], cp_model.LiteralT] = {}
        for option in model.options:
            chosen = self.selected[option.name]
            if option.domain is None:
                self.is_value[option.name, True] = chosen
                self.is_value[option.name, False] = ~chosen
                continue
            self._quantity(option.name, option.domain, chosen)
        cp.add(self.selected[model.root] == 1)
        for group in model.groups:
            parent = self.selected[group.parent]
            children = [self.selected[c] for c in group.children]
            for child in children:
                cp.add_implication(child, parent)
            low, high = group.bounds()
            cp.add(sum(children) >= low).only_enforce_if(parent)
            cp.add(sum(children) <= high)
        self._rules()
        for linear in model.linear_rules:
            compare(cp, self.total(linear.attribute), linear.comparison, _scaled(linear))

    def _quantity(self, name: str, domain: tuple[int, int], chosen: cp_model.IntVar) -> None:
        low, high = domain
        cp = self.cp
        quantity = cp.new_int_var_from_domain(
            cp_model.Domain.from_intervals([[0, 0], [low, high]]), f"{name} quantity"
        )
        cp.add(quantity == 0).only_enforce_if(~chosen)
        cp.add(quantity >= low).only_enforce_if(chosen)
        self.amount[name] = quantity
        self.is_value[name, 0] = ~chosen
        for value in range(low, high + 1):
            literal = cp.new_bool_var(f"{name}={value}")
            cp.add(quantity == value).only_enforce_if(literal)
            cp.add(quantity != value).only_enforce_if(~literal)
            self.is_value[name, value] = literal

    def _rules(self) -> None:
        """Rules through the SAT engine's Tseitin encoding (auxiliaries fully defined)."""
        self._tseitin = Encoding(self.model)
        self._variables: dict[int, cp_model.IntVar] = {
            i: self.selected[name] for name, i in self._tseitin.var.items()
        }
        for rule in self.model.rules:
            self.cp.add_bool_or([self.condition(rule.formula)])

    def condition(self, formula: Expr) -> cp_model.LiteralT:
        """Return a literal true exactly when ``formula`` holds (e.g. a price rule's condition)."""
        encoding = self._tseitin
        start = len(encoding.clauses)
        literal = encoding.literal(formula)
        for clause in encoding.clauses[start:]:
            self.cp.add_bool_or([self._literal(x) for x in clause])
        return self._literal(literal)

    def _literal(self, x: int) -> cp_model.LiteralT:
        if abs(x) not in self._variables:
            self._variables[abs(x)] = self.cp.new_bool_var(f"t{abs(x)}")
        variable = self._variables[abs(x)]
        return variable if x > 0 else ~variable

    def total(self, attribute: str, weights: dict[str, float] | None = None) -> cp_model.LinearExpr:
        """Sum an attribute (or ``weights``) over the configuration, in thousandths."""
        terms = []
        for option in self.model.options:
            amount = (
                option.attributes.get(attribute) if weights is None else weights.get(option.name)
            )
            if isinstance(amount, float) and amount:
                what = (
                    f"the {attribute} of option {option.name!r}"
                    if weights is None
                    else f"the customer's value of option {option.name!r}"
                )
                units = scaled(amount, what=what, column=attribute or option.name)
                terms.append(units * self.amount[option.name])
        return cp_model.LinearExpr.sum(terms) if terms else cp_model.LinearExpr.constant(0)


def _scaled(linear: LinearRule) -> int:
    return scaled(linear.bound, what=f"the bound of rule {linear.name!r}", column="bound")
