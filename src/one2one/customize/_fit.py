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

import math
from collections.abc import Mapping

import attrs
import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from .._validation import require_number
from ..errors import ConfigurationConflictError, DataContractError
from ._cp import SCALE, CpEncoding, scaled, solve
from ._engine import choice_keys
from ._model import ProductModel, finite, instance, numeric_attributes, text, unknown_name
from ._optimise import list_price
from ._pricing import PriceList, Quote

__all__ = ["Needs", "Recommendation", "recommend"]


def _values(values: object, field: str) -> dict[str, float]:
    if not isinstance(values, Mapping):
        msg = f"{field!r} must map names to numbers (got {values!r})."
        raise DataContractError(msg, column=field, value=values)
    out: dict[str, float] = {}
    for key, value in values.items():
        if not isinstance(key, str):
            msg = f"{field!r} must map names to numbers (got the key {key!r})."
            raise DataContractError(msg, column=field, value=key)
        out[key] = finite(value, field=field, where=f"{key!r} in ")
    return out


def _weights(values: object) -> dict[str, float]:
    return _values(values, "weights")


def _likes(values: object) -> dict[str, float]:
    return _values(values, "likes")


def _profile_row(profile: object) -> dict[str, object]:
    if isinstance(profile, pd.DataFrame):
        msg = (
            f"the profile must be one customer's row, e.g. profiles.loc[customer_id] (got a "
            f"table of {len(profile)} rows)."
        )
        raise DataContractError(msg, column="profile", value=len(profile))
    if isinstance(profile, pd.Series):
        return {str(k): v for k, v in profile.items()}
    if isinstance(profile, Mapping):
        return {str(k): v for k, v in profile.items()}
    msg = f"the profile must be a pandas Series or a mapping of features (got {profile!r})."
    raise DataContractError(msg, column="profile", value=type(profile).__name__)


def _feature(row: Mapping[str, object], name: str) -> float:
    if name not in row:
        msg = unknown_name(
            f"the profile has no feature {name!r}", name, row, kind="profile's features"
        )
        raise DataContractError(msg, column=name, value=name)
    value = row[name]
    if isinstance(value, np.integer | np.floating):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        msg = f"the profile's {name!r} is missing (NaN); fill it, or leave the feature out."
        raise DataContractError(msg, column=name, value=value)
    return finite(value, field=name, where="the profile's ")


def _target(feature: str, target: object) -> tuple[str, float]:
    if isinstance(target, str) and target:
        return target, 1.0
    if (
        isinstance(target, tuple)
        and len(target) == 2  # noqa: PLR2004 (a pair)
        and isinstance(target[0], str)
        and target[0]
    ):
        return target[0], finite(target[1], field="weights", where=f"the factor of {feature!r}: ")
    msg = (
        f"weights must map a profile feature to the attribute it is a taste for, or to an "
        f"(attribute, factor) pair (got {feature!r}: {target!r})."
    )
    raise DataContractError(msg, column="weights", value=repr(target))


def _liked(
    row: Mapping[str, object], prefix: str | None, factor: float, model: ProductModel | None
) -> dict[str, float]:
    if prefix is None:
        return {}
    start = f"{text(prefix, field='likes', empty=False)}_"
    columns = [name for name in row if name.startswith(start) and len(name) > len(start)]
    if not columns:
        msg = (
            f"the profile has no {start}<option> features to read likes from (e.g. "
            f"ProfileStore(attributes=({prefix!r},)) writes them); its features are "
            f"{sorted(row)[:30]}."
        )
        raise DataContractError(msg, column="likes", value=prefix)
    known = None if model is None else {o.name for o in model.options}
    return {
        name.removeprefix(start): factor * _feature(row, name)
        for name in columns
        if known is None or name.removeprefix(start) in known
    }


def _budget(value: object) -> float | None:
    if value is None:
        return None
    budget = finite(value, field="budget")
    if budget < 0:
        msg = f"'budget' must be >= 0 (got {value!r})."
        raise DataContractError(msg, column="budget", value=value)
    return budget


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

    Every number must be finite (and the budget not negative): they become
    whole thousandths for the solver, where NaN and infinity have no value.
    Names are checked against a product model where one is first known
    (:func:`recommend`, or :meth:`from_profile` with ``model``).

    Raises
    ------
    DataContractError
        If ``weights`` or ``likes`` is not a mapping of names to finite
        numbers, or ``budget`` is not a finite number >= 0 (or None).
    """

    weights: Mapping[str, float] = attrs.field(factory=dict, converter=_weights)
    likes: Mapping[str, float] = attrs.field(factory=dict, converter=_likes)
    budget: float | None = attrs.field(default=None, converter=_budget)

    @classmethod
    def from_profile(
        cls,
        profile: pd.Series | Mapping[str, object],
        *,
        weights: Mapping[str, str | tuple[str, float]] | None = None,
        likes: str | None = None,
        budget: str | float | None = None,
        scale: float = 1.0,
        model: ProductModel | None = None,
    ) -> Needs:
        """Read a customer's needs from their learned profile (one row of profile features).

        A profile learned from the customer's interactions (a row of
        ``one2one.interact.ProfileStore.to_frame()``, or any mapping of
        feature names to numbers) says what they have shown they care
        about; this turns it into the weights and likes :func:`recommend`
        fits a configuration to, so what the relationship has learned
        shapes what is offered. It takes plain rows, not interact objects:
        the rooms do not import each other.

        Parameters
        ----------
        profile
            One customer's features, e.g. ``profiles.loc[customer_id]``.
        weights
            Profile feature -> the option attribute it is a taste for
            (``{"style_speed": "speed"}``), or an ``(attribute, factor)``
            pair (``{"likes_light": ("weight", -2.0)}``: lighter is
            better). The attribute's weight is ``scale * factor * value``;
            features on the same attribute add up.
        likes
            A prefix: the profile's ``<likes>_<option>`` columns hold the
            customer's liking of each option (``"option"`` reads
            ``option_carbon``, as ``ProfileStore(attributes=("option",))``
            writes it). Each liked value is ``scale * value``.
        budget
            A profile feature holding the budget, or the budget itself.
        scale
            What one unit of a profile feature is worth in utility (profile
            shares lie in 0..1; utilities are compared with each other only).
        model
            The product model, if known now: weight attributes are checked
            against it at once, and liked options it does not have (the
            profile spans every product the customer saw) are left out.

        Returns
        -------
        Needs
            Weights per attribute, likes per option and the budget.

        Raises
        ------
        DataContractError
            A feature the profile does not have (the features are listed), a
            value that is not a finite number, no ``<likes>_`` columns, a
            table instead of one row, or (with ``model``) an attribute no
            option has as a number.

        Examples
        --------
        >>> import pandas as pd
        >>> row = pd.Series({"style_speed": 0.75, "option_carbon": 0.5, "spend": 1500.0})
        >>> needs = Needs.from_profile(
        ...     row, weights={"style_speed": "speed"}, likes="option", budget="spend", scale=4.0
        ... )
        >>> needs.weights, needs.likes, needs.budget
        ({'speed': 3.0}, {'carbon': 2.0}, 1500.0)
        """
        row = _profile_row(profile)
        factor = finite(scale, field="scale")
        out: dict[str, float] = {}
        for feature, target in (weights or {}).items():
            attribute, times = _target(feature, target)
            value = factor * times * _feature(row, feature)
            out[attribute] = out.get(attribute, 0.0) + value
        if model is not None:
            instance(model, ProductModel, field="model")
            check_needs(model, cls(weights=out))
        liked = _liked(row, likes, factor, model)
        money = _feature(row, budget) if isinstance(budget, str) else budget
        return cls(weights=out, likes=liked, budget=money)


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
    quantities
        The quantity of each counted option (0 for left out).
    """

    selected: frozenset[str]
    utility: float
    quote: Quote = attrs.field(eq=False, repr=False)
    reasons: tuple[str, ...]
    quantities: Mapping[str, int] = attrs.field(factory=dict)


def check_needs(model: ProductModel, needs: Needs) -> None:
    """Refuse needs naming an option or attribute the model does not have.

    ``Needs`` are made without a model, so this is the first place their
    names can be checked; a misspelt weight (``"sped"``) would otherwise be
    worth nothing and the recommendation would quietly ignore it.
    """
    known = [o.name for o in model.options]
    for name in needs.likes:
        if name not in known:
            msg = unknown_name(
                f"the customer's likes name unknown option {name!r}", name, known, kind="options"
            )
            raise DataContractError(msg, column="likes", value=name)
    numeric = numeric_attributes(model.options)
    for name in needs.weights:
        if name not in numeric:
            msg = unknown_name(
                f"the customer's weights name {name!r}, which no option of {model.name!r} has "
                "as a number",
                name,
                numeric,
                kind="options' numeric attributes",
            )
            raise DataContractError(msg, column="weights", value=name)


def _utility(model: ProductModel, needs: Needs) -> dict[str, float]:
    check_needs(model, needs)
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


def _problem(
    prices: PriceList, needs: Needs, choices: Mapping[str, bool | int], utility: dict[str, float]
) -> CpEncoding:
    """Build the CP-SAT model: the product's rules, the choices, the budget and the utility."""
    model = prices.model
    engine_keys = choice_keys(model, choices)
    encoding = CpEncoding(model)
    cp = encoding.cp
    for key in engine_keys:
        cp.add_bool_and([encoding.is_value[key]])
    if needs.budget is not None:  # the list price, price rules included
        budget = scaled(needs.budget, what="the budget", column="budget", scale=SCALE * SCALE)
        cp.add(list_price(encoding, prices) <= budget)
    cp.maximize(encoding.total("", weights=utility))
    return encoding


def recommend(
    prices: PriceList,
    needs: Needs,
    *,
    choices: Mapping[str, bool | int] | None = None,
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
    diversity
        The least number of options (>= 1) in which each recommendation
        differs from every earlier one, so the alternatives are real choices
        rather than the best one with a bell added.
    time_limit
        Seconds allowed per solve (>= 0); the best configuration found in
        time is returned.

    Returns
    -------
    list of Recommendation
        The best configuration first, then up to ``alternatives`` more (fewer
        when fewer valid configurations differ enough), each with its quote
        and reasons.

    Raises
    ------
    ConfigurationConflictError
        No valid configuration keeps the choices within the budget.
    DataContractError
        Needs that like an option the model does not have, or weigh an
        attribute no option has as a number (the known names are listed);
        ``prices`` or ``needs`` of the wrong type; ``alternatives``,
        ``diversity`` or ``time_limit`` out of range; unknown options or bad
        values in ``choices``.
    """
    instance(prices, PriceList, field="prices")
    instance(needs, Needs, field="needs")
    require_number(alternatives, name="alternatives", low=0, integer=True)
    require_number(time_limit, name="time_limit", low=0.0)
    require_number(diversity, name="diversity", low=1, integer=True)
    if needs.budget is not None:
        require_number(needs.budget, name="budget", low=0.0)
    model = prices.model
    utility = _utility(model, needs)
    encoding = _problem(prices, needs, choices or {}, utility)
    cp = encoding.cp
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = 2
    out: list[Recommendation] = []
    for _ in range(int(alternatives) + 1):
        if solve(solver, cp) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        option = encoding.selected
        selected = frozenset(n for n, v in option.items() if solver.boolean_value(v))
        counts = {
            o.name: int(solver.value(encoding.amount[o.name]))
            for o in model.options
            if o.domain is not None
        }
        changed = [(~option[n] if n in selected else option[n]) for n in option]
        cp.add(sum(changed) >= int(diversity))
        configuration = {n: counts.get(n, True) for n in selected}
        quote = prices.quote(configuration)
        value = sum(utility[n] * counts.get(n, 1) for n in selected)
        reasons = _reasons(model, needs, selected, utility, quote)
        out.append(Recommendation(selected, value, quote, reasons, counts))
    if not out:
        budget = "" if needs.budget is None else f" within a budget of {needs.budget:,.2f}"
        msg = f"no valid configuration keeps the choices{budget}."
        raise ConfigurationConflictError(msg, choices=[str(c) for c in (choices or {})])
    return out
