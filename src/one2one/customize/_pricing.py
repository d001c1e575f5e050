"""Pricing a configuration: option prices, rule-based surcharges and bundles, personal terms.

A quote adds the base price and the selected options' prices, then the
price rules whose condition holds (a bundle discount, a surcharge for a
rare combination), then the customer's personal adjustments (a loyalty or
tier discount). Cost, margin, lead time and a bill of materials come with
it. The fair-pricing guard, on by default, refuses any quote in which an
existing customer would pay more than a new customer for the same product
at the same moment: personal prices may reward loyalty, never exploit it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import attrs
import pandas as pd

from ..errors import ConfigurationConflictError, DataContractError, UnfairPriceError
from ._check import Configuration, broken_rules, quantities
from ._formula import Expr, evaluate, variables
from ._model import (
    ProductModel,
    _check_text,
    finite,
    formula,
    instance,
    items,
    numeric_attributes,
    unknown_name,
)

__all__ = ["Adjustment", "PriceList", "PriceRule", "Quote"]


def _when(value: object) -> Expr:
    return formula(value, field="when")


def _amount(value: object) -> float:
    return finite(value, field="amount")


def _percent(value: object) -> float:
    return finite(value, field="percent")


@attrs.frozen
class PriceRule:
    """A surcharge or discount that applies when ``when`` holds.

    Rules price combinations (a bundle, a rare pairing that costs more to
    build) that option prices alone cannot; they are part of the list price,
    the same for every customer.

    Parameters
    ----------
    name
        Words for the quote's line, e.g. ``"safety bundle"``.
    when
        The condition as a formula over options, text (``"bell & light"``)
        or a tree; the :class:`PriceList` refuses unknown options.
    amount
        Added to the price (negative for a discount); finite.
    percent
        A share of the subtotal of base price and options (``-0.1`` is 10%
        off); finite.

    Raises
    ------
    DataContractError
        If ``name`` is not non-empty text, ``when`` does not parse, or
        ``amount`` or ``percent`` is not a finite number.
    """

    name: str = attrs.field(validator=_check_text)
    when: Expr = attrs.field(converter=_when)
    amount: float = attrs.field(default=0.0, converter=_amount)
    percent: float = attrs.field(default=0.0, converter=_percent)


@attrs.frozen
class Adjustment:
    """A personal term for one customer, e.g. ``Adjustment("gold tier", percent=-0.05)``.

    ``amount`` and ``percent`` must be finite: a NaN would compare false with
    the list price and so slip any surcharge past the fair-pricing guard.

    Parameters
    ----------
    name
        Words for the quote's line, e.g. ``"gold tier"``.
    amount
        Added to the list price (negative for a discount).
    percent
        A share of the list price (``-0.05`` is 5% off).

    Raises
    ------
    DataContractError
        If ``name`` is not non-empty text, or ``amount`` or ``percent`` is not
        a finite number.
    """

    name: str = attrs.field(validator=_check_text)
    amount: float = attrs.field(default=0.0, converter=_amount)
    percent: float = attrs.field(default=0.0, converter=_percent)


@attrs.frozen
class Quote:
    """A priced configuration.

    Attributes
    ----------
    selected
        The selected options.
    lines
        One row per priced item: ``item``, ``kind`` (``base``, ``option``,
        ``rule`` or ``personal``) and ``amount``.
    list_price
        What a new customer pays (base, options and price rules).
    price
        What this customer pays (with personal adjustments).
    cost, margin
        Total cost of the options, and ``price - cost``.
    lead_time
        The longest lead time of a selected option (parts made in parallel),
        or their sum with ``lead_time="sum"``.
    bill_of_materials
        The selected concrete (non-abstract) options with their quantity and attributes.
    quantities
        The quantity of each counted option (0 for left out).
    """

    selected: frozenset[str]
    lines: pd.DataFrame = attrs.field(eq=False, repr=False)
    list_price: float
    price: float
    cost: float
    margin: float
    lead_time: float
    bill_of_materials: pd.DataFrame = attrs.field(eq=False, repr=False)
    quantities: Mapping[str, int] = attrs.field(factory=dict)


def _number(value: float | str | None, option: str, attribute: str) -> float:
    if value is None:
        return 0.0
    if isinstance(value, str):
        msg = f"option {option!r} has text {value!r} as its {attribute}; a number is needed."
        raise DataContractError(msg, column=attribute, value=value)
    return finite(value, field=attribute, where=f"option {option!r}: ")


def _check(name: object, *, field: str) -> str:
    if not isinstance(name, str) or not name:
        msg = f"{field!r} names the attribute that holds it (got {name!r})."
        raise DataContractError(msg, column=field, value=name)
    return name


def _check_attributes(model: ProductModel, chosen: Mapping[str, str]) -> None:
    """Refuse an attribute name that would read every option as 0 by mistake.

    A name no option has reads as 0 everywhere: right for a model without
    costs under the default ``"cost"``, wrong for a misspelt name or a
    default that differs from the model's spelling only slightly
    (``"price"`` against ``"Price"``).
    """
    numeric = numeric_attributes(model.options)
    for field, name in chosen.items():
        if name in numeric:
            continue
        close = difflib.get_close_matches(name, numeric, n=1, cutoff=0.8) or [
            n for n in numeric if n.lower().replace("_", "") == name.lower().replace("_", "")
        ]
        if name != field or close:
            msg = unknown_name(
                f"{field}={name!r} names an attribute no option of {model.name!r} has as a "
                "number, so every option would count 0",
                name,
                numeric,
                kind="options' numeric attributes",
            )
            raise DataContractError(msg, column=field, value=name)


class PriceList:
    """Price configurations of one product model.

    Parameters
    ----------
    model
        The product model; prices, costs and lead times are option attributes.
    base_price
        The price of the product before options.
    rules
        :class:`PriceRule` surcharges and discounts.
    price, cost, lead_time
        Names of the attributes that hold them.
    lead_time_mode
        ``"max"`` (parts made in parallel) or ``"sum"``.
    fair_pricing
        Refuse quotes in which personal terms raise the price (on by default).

    Raises
    ------
    DataContractError
        A base price or rule amount that is not a finite number, a price rule
        naming an unknown option, or an argument of the wrong type. Option
        prices, costs and lead times are finite by construction (an
        :class:`Option` refuses NaN and infinite attributes).

    Examples
    --------
    >>> from one2one.customize import Group, Option, ProductModel
    >>> model = ProductModel("bike", [Option("bike"), Option("bell", attributes={"price": 12.0}),
    ...                               Option("light", attributes={"price": 30.0})],
    ...                      [Group("bike", "optional", ["bell", "light"])])
    >>> prices = PriceList(model, base_price=500.0,
    ...                    rules=[PriceRule("safety bundle", "bell & light", amount=-7.0)])
    >>> prices.quote({"bike", "bell", "light"}).price
    535.0
    """

    def __init__(
        self,
        model: ProductModel,
        *,
        base_price: float = 0.0,
        rules: Iterable[PriceRule] = (),
        price: str = "price",
        cost: str = "cost",
        lead_time: str = "lead_time",
        lead_time_mode: Literal["max", "sum"] = "max",
        fair_pricing: bool = True,
    ) -> None:
        self.model = instance(model, ProductModel, field="model")
        self.base_price = finite(base_price, field="base_price")
        self.rules = items(rules, "rules", PriceRule)
        known = {o.name for o in model.options}
        for rule in self.rules:
            for name in variables(rule.when):
                if name not in known:
                    msg = f"price rule {rule.name!r} names unknown option {name!r}."
                    raise DataContractError(msg, column="rule", value=rule.name)
        self.attribute = {
            "price": _check(price, field="price"),
            "cost": _check(cost, field="cost"),
            "lead_time": _check(lead_time, field="lead_time"),
        }
        _check_attributes(model, self.attribute)
        if lead_time_mode not in ("max", "sum"):
            msg = f"lead_time_mode must be 'max' or 'sum' (got {lead_time_mode!r})."
            raise DataContractError(msg, column="lead_time_mode", value=lead_time_mode)
        self.lead_time_mode = lead_time_mode
        self.fair_pricing = instance(fair_pricing, bool, field="fair_pricing")

    def _values(self, configuration: Configuration) -> dict[str, int]:
        values = quantities(self.model, configuration)
        broken = broken_rules(self.model, values)
        if broken:
            msg = f"the configuration is not valid, so it has no price: {'; '.join(broken)}."
            raise ConfigurationConflictError(msg, rules=broken)
        return values

    def quote(
        self,
        configuration: Configuration,
        *,
        personal: Sequence[Adjustment] = (),
    ) -> Quote:
        """Price a valid configuration, for a new customer or with ``personal`` terms.

        Only a valid configuration has a price, so the quote checks it first;
        the list price is what a new customer pays now, the baseline the
        fair-pricing guard holds personal terms to.

        Parameters
        ----------
        configuration
            The set of selected options, or a mapping of options to
            True/False or, for counted options, quantities.
        personal
            The customer's :class:`Adjustment` terms, applied after the list
            price.

        Returns
        -------
        Quote
            Price lines, list price, price, cost, margin, lead time and the
            bill of materials.

        Raises
        ------
        ConfigurationConflictError
            The configuration breaks a rule of the model.
        UnfairPriceError
            Personal terms would make the price higher than the list price.
        DataContractError
            ``personal`` holds something other than :class:`Adjustment` terms;
            ``configuration`` names an unknown option or a value outside its
            domain; an option's price, cost or lead time is text.
        """
        counts = self._values(configuration)
        selected = frozenset(name for name, count in counts.items() if count)
        values = {name: count > 0 for name, count in counts.items()}
        lines: list[tuple[str, str, float]] = [("base price", "base", self.base_price)]
        cost = 0.0
        times: list[float] = []
        for option in self.model.options:
            if option.name not in selected:
                continue
            attributes = option.attributes
            units = counts[option.name]
            price = _number(attributes.get(self.attribute["price"]), option.name, "price")
            if price:
                item = option.name if option.domain is None else f"{option.name} x {units}"
                lines.append((item, "option", price * units))
            cost += _number(attributes.get(self.attribute["cost"]), option.name, "cost") * units
            times.append(
                _number(attributes.get(self.attribute["lead_time"]), option.name, "lead_time")
            )
        subtotal = sum(amount for _, _, amount in lines)
        lines.extend(
            (rule.name, "rule", rule.amount + rule.percent * subtotal)
            for rule in self.rules
            if evaluate(rule.when, values)
        )
        list_price = sum(amount for _, _, amount in lines)
        raising = []
        for term in items(personal, "personal", Adjustment):
            amount = term.amount + term.percent * list_price
            lines.append((term.name, "personal", amount))
            if amount > 0:
                raising.append(term.name)
        price = sum(amount for _, _, amount in lines)
        # Written to fail closed: a total that is not a number is refused too.
        if self.fair_pricing and not price <= list_price + 1e-9:
            msg = (
                f"fair pricing: this customer would pay {price:,.2f}, more than the "
                f"{list_price:,.2f} a new customer pays for the same product now, because of "
                f"{raising}. Personal terms may only lower a price."
            )
            raise UnfairPriceError(msg, rules=raising, choices=sorted(selected))
        lead = (max(times) if times else 0.0) if self.lead_time_mode == "max" else sum(times)
        bom = pd.DataFrame(
            [
                {"option": o.name, "quantity": counts[o.name], **o.attributes}
                for o in self.model.options
                if o.name in selected and not o.abstract
            ]
        )
        return Quote(
            selected=selected,
            lines=pd.DataFrame(lines, columns=["item", "kind", "amount"]),
            list_price=list_price,
            price=price,
            cost=cost,
            margin=price - cost,
            lead_time=lead,
            bill_of_materials=bom,
            quantities={o.name: counts[o.name] for o in self.model.options if o.domain},
        )
