"""The best valid configuration by one measure: cheapest, least cost, quickest, best margin.

Solved exactly by OR-Tools CP-SAT over the model's rules, counted options and
linear rules. The price is the list price a :class:`PriceList` would quote,
price rules included: a rule's fixed amount counts when its condition holds,
and a percentage counts as ``percent x subtotal`` through an exact product of
the condition and the subtotal. Money is in thousandths.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from ortools.sat.python import cp_model

from .._validation import require_number
from ..errors import ConfigurationConflictError, DataContractError
from ._cp import SCALE, CpEncoding, scaled, solve
from ._engine import choice_keys
from ._model import instance
from ._pricing import PriceList, Quote

__all__ = ["Objective", "optimise"]

Objective = Literal["price", "cost", "lead_time", "margin"]
_OBJECTIVES = ("price", "cost", "lead_time", "margin")


def list_price(encoding: CpEncoding, prices: PriceList) -> cp_model.LinearExpr:
    """Express the list price in millionths (thousandths of thousandths: exact percentages)."""
    cp = encoding.cp
    base = scaled(prices.base_price, what="the base price", column="base_price")
    subtotal = encoding.total(prices.attribute["price"]) + base
    bound = sum(
        abs(round(SCALE * float(a))) * (o.domain[1] if o.domain else 1)
        for o in prices.model.options
        if isinstance(a := o.attributes.get(prices.attribute["price"]), float)
    ) + abs(base)
    terms: list[cp_model.LinearExprT] = [SCALE * subtotal]
    for rule in prices.rules:
        holds = encoding.condition(rule.when)
        where = f"price rule {rule.name!r}"
        if rule.amount:
            amount = scaled(rule.amount, what=f"the amount of {where}", column="amount")
            terms.append(SCALE * amount * holds)
        if rule.percent:
            percent = scaled(rule.percent, what=f"the percent of {where}", column="percent")
            share = cp.new_int_var(-bound, bound, f"{rule.name} base")
            cp.add_multiplication_equality(share, [holds, subtotal])
            terms.append(percent * share)
    return cp_model.LinearExpr.sum(terms)


def optimise(
    prices: PriceList,
    objective: Objective = "price",
    *,
    choices: Mapping[str, bool | int] | None = None,
    budget: float | None = None,
    time_limit: float = 10.0,
) -> Quote:
    """Return the quote of the best valid configuration by ``objective``.

    Parameters
    ----------
    prices
        The product's :class:`PriceList`.
    objective
        ``"price"`` (lowest list price), ``"cost"`` (lowest cost),
        ``"lead_time"`` (quickest, by the price list's lead-time mode) or
        ``"margin"`` (highest price minus cost).
    choices
        Options the customer has fixed (True/False, or quantities).
    budget
        The highest list price allowed (>= 0), price rules included.
    time_limit
        Seconds allowed for the solve (>= 0); past it, the best configuration
        found so far is returned, which may not be the optimum.

    Returns
    -------
    Quote
        The quote :meth:`PriceList.quote` gives the best configuration (list
        price, no personal terms).

    Raises
    ------
    ConfigurationConflictError
        No valid configuration keeps the choices within the budget (or none
        was found within ``time_limit``).
    DataContractError
        An unknown ``objective``; a ``budget`` or ``time_limit`` below 0;
        ``prices`` that is not a :class:`PriceList`; unknown options or bad
        values in ``choices``.
    """
    if objective not in _OBJECTIVES:
        msg = f"objective must be one of {_OBJECTIVES} (got {objective!r})."
        raise DataContractError(msg, column="objective", value=objective)
    if budget is not None:
        require_number(budget, name="budget", low=0.0)
    require_number(time_limit, name="time_limit", low=0.0)
    instance(prices, PriceList, field="prices")
    model = prices.model
    encoding = CpEncoding(model)
    cp = encoding.cp
    for key in choice_keys(model, choices or {}):
        cp.add_bool_and([encoding.is_value[key]])
    price = list_price(encoding, prices)
    if budget is not None:
        cp.add(price <= scaled(budget, what="the budget", column="budget", scale=SCALE * SCALE))
    cost = SCALE * encoding.total(prices.attribute["cost"])
    if objective == "price":
        cp.minimize(price)
    elif objective == "cost":
        cp.minimize(cost)
    elif objective == "margin":
        cp.maximize(price - cost)
    else:
        cp.minimize(_lead_time(encoding, prices))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = 2
    if solve(solver, cp) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        within = "" if budget is None else f" within a budget of {budget:,.2f}"
        msg = f"no valid configuration keeps the choices{within}."
        raise ConfigurationConflictError(msg, choices=[str(c) for c in (choices or {})])
    configuration = {
        name: int(solver.value(encoding.amount[name]))
        if model.option(name).domain
        else solver.boolean_value(encoding.selected[name])
        for name in encoding.names
    }
    return prices.quote(configuration)


def _lead_time(encoding: CpEncoding, prices: PriceList) -> cp_model.LinearExpr:
    """Express the lead time in thousandths: the longest selected (``"max"``) or the sum."""
    name = prices.attribute["lead_time"]
    times = {
        o.name: scaled(a, what=f"the {name} of option {o.name!r}", column=name)
        for o in prices.model.options
        if isinstance(a := o.attributes.get(name), float) and a
    }
    if prices.lead_time_mode == "sum":
        return cp_model.LinearExpr.sum([t * encoding.selected[n] for n, t in times.items()])
    longest = encoding.cp.new_int_var(0, max([0, *times.values()]), "lead time")
    for option, time in times.items():
        encoding.cp.add(longest >= time * encoding.selected[option])
    return longest
