"""Fit a product to one customer: the best valid configuration for their needs and budget.

A customer's needs are weights on option attributes (comfort +2 per point,
weight -1 per kg) and likes or dislikes of particular options; each option's
utility is its liked value plus its attributes times the weights. The best
configuration maximises total utility among valid configurations whose list
price is within the budget, and whose attribute totals keep the model's
linear rules. The k alternatives are the next best ones that each differ
from every earlier answer in at least ``diversity`` options, so they are
real choices, not near copies.

This is an optimisation problem over the model's rules, solved exactly by
OR-Tools CP-SAT (integer arithmetic: utilities and money in thousandths).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
from ortools.sat.python import cp_model

from .._validation import require_number
from ..errors import ConfigurationConflictError, DataContractError
from ._cnf import encode
from ._model import ProductModel
from ._pricing import PriceList, Quote

__all__ = ["Needs", "Recommendation", "recommend"]

_SCALE = 1000


@attrs.frozen
class Needs:
    """What one customer wants.

    Attributes
    ----------
    weights
        Value per unit of an option attribute (``{"comfort": 2.0, "weight": -1.0}``).
    likes
        Extra value of particular options (negative for dislikes).
    budget
        The most the customer will pay (list price), or ``None``.
    """

    weights: Mapping[str, float] = attrs.field(factory=dict)
    likes: Mapping[str, float] = attrs.field(factory=dict)
    budget: float | None = None


@attrs.frozen
class Recommendation:
    """A configuration recommended to one customer, with its price and why.

    Attributes
    ----------
    selected
        The options.
    utility
        Total value to the customer by their needs.
    quote
        The priced configuration (new-customer list price).
    reasons
        Sentences: what the customer gains most from, and the budget.
    """

    selected: frozenset[str]
    utility: float
    quote: Quote = attrs.field(eq=False, repr=False)
    reasons: tuple[str, ...]


def _utility(model: ProductModel, needs: Needs) -> dict[str, float]:
    known = {o.name for o in model.options}
    for name in needs.likes:
        if name not in known:
            msg = f"the customer's likes name unknown option {name!r}."
            raise DataContractError(msg, column="likes", value=name)
    out: dict[str, float] = {}
    for option in model.options:
        value = float(needs.likes.get(option.name, 0.0))
        for attribute, weight in needs.weights.items():
            amount = option.attributes.get(attribute)
            if isinstance(amount, float):
                value += weight * amount
        out[option.name] = value
    return out


def _reasons(
    model: ProductModel,
    needs: Needs,
    selected: frozenset[str],
    utility: dict[str, float],
    quote: Quote,
) -> tuple[str, ...]:
    ranked = sorted((u, n) for n, u in utility.items() if n in selected and u > 0)[::-1][:3]
    reasons = []
    for value, name in ranked:
        parts = [f"likes it (+{needs.likes[name]:g})"] if needs.likes.get(name, 0) > 0 else []
        for attribute, weight in needs.weights.items():
            amount = model.option(name).attributes.get(attribute)
            if isinstance(amount, float) and weight * amount > 0:
                parts.append(f"{attribute} {amount:g} x {weight:g}")
        reasons.append(f"{name} adds {value:g} ({', '.join(parts) or 'by its attributes'})")
    if needs.budget is not None:
        reasons.append(
            f"list price {quote.list_price:,.2f} within the budget of {needs.budget:,.2f}"
        )
    return tuple(reasons)


def _total(
    option: dict[str, cp_model.IntVar], amounts: Mapping[str, object]
) -> cp_model.LinearExpr:
    terms = [
        round(_SCALE * a) * option[n] for n, a in amounts.items() if isinstance(a, float) and a
    ]
    return cp_model.LinearExpr.sum(terms) if terms else cp_model.LinearExpr.constant(0)


def _compare(cp: cp_model.CpModel, total: cp_model.LinearExpr, comparison: str, bound: int) -> None:
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


def _problem(
    prices: PriceList, needs: Needs, choices: Mapping[str, bool], utility: dict[str, float]
) -> tuple[cp_model.CpModel, dict[str, cp_model.IntVar]]:
    """Build the CP-SAT model: clauses, choices, budget, linear rules and the utility."""
    model = prices.model
    encoding = encode(model)
    cp = cp_model.CpModel()
    variables = [cp.new_bool_var(f"v{i}") for i in range(encoding.top + 1)]
    for clause in encoding.clauses:
        cp.add_bool_or([variables[x] if x > 0 else ~variables[-x] for x in clause])
    option = {name: variables[encoding.var[name]] for name in encoding.names}
    for name, value in choices.items():
        if name not in option:
            msg = f"unknown option {name!r} in the choices."
            raise DataContractError(msg, column="option", value=name)
        cp.add(option[name] == int(bool(value)))
    if needs.budget is not None:
        price_of = {o.name: o.attributes.get(prices.attribute["price"]) for o in model.options}
        base = round(_SCALE * prices.base_price)
        cp.add(_total(option, price_of) + base <= round(_SCALE * needs.budget))
    for linear in model.linear_rules:
        amounts = {o.name: o.attributes.get(linear.attribute) for o in model.options}
        _compare(cp, _total(option, amounts), linear.comparison, round(_SCALE * linear.bound))
    cp.maximize(_total(option, utility))
    return cp, option


def recommend(
    prices: PriceList,
    needs: Needs,
    *,
    choices: Mapping[str, bool] | None = None,
    alternatives: int = 2,
    diversity: int = 2,
    time_limit: float = 10.0,
) -> list[Recommendation]:
    """Recommend the best valid configuration for ``needs`` and up to ``alternatives`` more.

    Parameters
    ----------
    prices
        The product's :class:`PriceList` (its model and option prices).
    needs
        The customer's :class:`Needs`.
    choices
        Options the customer has already fixed.
    alternatives
        How many further recommendations, each the best remaining one that
        differs from every earlier one in at least ``diversity`` options.
    time_limit
        Seconds allowed per solve.

    Raises
    ------
    ConfigurationConflictError
        No valid configuration keeps the choices within the budget.
    """
    require_number(alternatives, name="alternatives", low=0, integer=True)
    require_number(diversity, name="diversity", low=1, integer=True)
    if needs.budget is not None:
        require_number(needs.budget, name="budget", low=0.0)
    model = prices.model
    utility = _utility(model, needs)
    cp, option = _problem(prices, needs, choices or {}, utility)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = 2
    out: list[Recommendation] = []
    for _ in range(4 * (int(alternatives) + 1)):  # price rules may push a few over budget
        if len(out) > alternatives or solver.solve(cp) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        selected = frozenset(n for n, v in option.items() if solver.boolean_value(v))
        changed = [(~option[n] if n in selected else option[n]) for n in option]
        cp.add(sum(changed) >= int(diversity))
        quote = prices.quote(selected)
        if needs.budget is not None and quote.list_price > needs.budget + 1e-9:
            continue  # a surcharge rule took it over the budget
        value = sum(utility[n] for n in selected)
        reasons = _reasons(model, needs, selected, utility, quote)
        out.append(Recommendation(selected, value, quote, reasons))
    if not out:
        budget = "" if needs.budget is None else f" within a budget of {needs.budget:,.2f}"
        msg = f"no valid configuration keeps the choices{budget}."
        raise ConfigurationConflictError(msg, choices=[str(c) for c in (choices or {})])
    return out
