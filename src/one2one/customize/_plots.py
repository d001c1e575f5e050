"""Pictures of prices, choices and the configuration space, and the tables behind them.

Each chart has a ``*_table`` function that computes its numbers as a
DataFrame (for reports and tests) and a ``plot_*`` function that draws them:

* :func:`plot_price_waterfall`: how a quote's price is built, from the base
  price through each option and price rule to the list price, and through
  the customer's personal terms to what they pay (why does it cost this?);
* :func:`plot_option_popularity`: the share of configurations, recommendations
  or sessions that choose each option (what do customers want, what is
  never chosen?);
* :func:`plot_configuration_space`: how many valid configurations remain as
  the choices are fixed one by one, counted exactly by the engine (how much
  freedom each choice takes away).

matplotlib is optional (``pip install 'one2one-marketing[plot]'``): it is
imported by the ``plot_*`` functions only, and the tables work without it.
The plots draw into ``ax`` when given (else into a new figure), return the
Axes and never call ``show``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._charts import GREY, PALETTE, axes_for, count_ticks, money_label
from .._validation import optional_import, require_number
from ..errors import DataContractError
from ._engine import Configurator, Value, choice_keys
from ._fit import Recommendation
from ._model import ProductModel
from ._pricing import Quote
from ._session import ConfigurationSession

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "configuration_space_table",
    "option_popularity_table",
    "plot_configuration_space",
    "plot_option_popularity",
    "plot_price_waterfall",
    "price_waterfall_table",
]

_WATERFALL_COLOURS = {"rise": PALETTE[1], "fall": PALETTE[2], "total": PALETTE[0]}
_INT64_MAX = int(np.iinfo(np.int64).max)
_PAIR = 2
_LOG_SPREAD = 100  # counts spanning more than this factor get a logarithmic axis


# --- price waterfall -----------------------------------------------------------------------
def price_waterfall_table(quote: Quote) -> pd.DataFrame:
    """Return each step of a quote's price: its amount and the running total before and after.

    A customer (or a salesperson) asking "why this price?" gets the answer
    as a walk: the base price, each option, each price rule that applied,
    the list price, each personal term, and the price to pay.

    Parameters
    ----------
    quote
        A :class:`Quote` from :meth:`PriceList.quote` (or a
        :class:`Recommendation`, whose quote is used).

    Returns
    -------
    pandas.DataFrame
        One row per line of ``quote.lines`` in order, with columns ``item``,
        ``kind`` (``base``, ``option``, ``rule``, ``personal``, or for the
        totals ``list price`` and ``price``), ``amount``, ``start`` and
        ``end`` (the running total before and after the line). A
        ``list price`` row comes before the first personal term; the last
        row is the ``price`` (both start at 0 and end at their total).

    Raises
    ------
    DataContractError
        If ``quote`` is not a Quote or a Recommendation.

    Examples
    --------
    >>> from one2one.customize import (
    ...     Adjustment, Group, Option, PriceList, PriceRule, ProductModel, price_waterfall_table)
    >>> model = ProductModel("bike", [Option("bike"), Option("bell", attributes={"price": 12.0}),
    ...                               Option("light", attributes={"price": 30.0})],
    ...                      [Group("bike", "optional", ["bell", "light"])])
    >>> prices = PriceList(model, base_price=500.0,
    ...                    rules=[PriceRule("safety bundle", "bell & light", amount=-7.0)])
    >>> quote = prices.quote({"bike", "bell", "light"}, personal=[Adjustment("loyal", amount=-35)])
    >>> price_waterfall_table(quote)[["item", "amount", "end"]]
                item  amount    end
    0     base price   500.0  500.0
    1           bell    12.0  512.0
    2          light    30.0  542.0
    3  safety bundle    -7.0  535.0
    4     list price   535.0  535.0
    5          loyal   -35.0  500.0
    6          price   500.0  500.0
    """
    priced: object = quote.quote if isinstance(quote, Recommendation) else quote
    if not isinstance(priced, Quote):
        msg = (
            "quote must be a Quote from PriceList.quote, or a Recommendation "
            f"(got a {type(quote).__name__})."
        )
        raise DataContractError(msg, column="quote", value=type(quote).__name__)
    rows: list[dict[str, Any]] = []
    total = 0.0
    for item, kind, amount in zip(
        priced.lines["item"], priced.lines["kind"], priced.lines["amount"], strict=True
    ):
        if kind == "personal" and all(r["kind"] != "list price" for r in rows):
            rows.append(_total("list price", priced.list_price))
        value = float(amount)
        rows.append(
            {
                "item": str(item),
                "kind": str(kind),
                "amount": value,
                "start": total,
                "end": total + value,
            }
        )
        total += value
    rows.append(_total("price", priced.price))
    return pd.DataFrame(rows, columns=["item", "kind", "amount", "start", "end"])


def _total(name: str, value: float) -> dict[str, Any]:
    return {"item": name, "kind": name, "amount": value, "start": 0.0, "end": value}


def plot_price_waterfall(quote: Quote, *, ax: Axes | None = None) -> Axes:
    """Draw a quote's price as a waterfall: one bar per step, totals as full bars.

    Each bar runs from the running total before a line to the total after
    it: rises (options, surcharges) in orange, falls (bundles, discounts,
    personal terms) in green, and the list price and the price to pay as
    full bars in blue. Each bar is labelled with its amount. The numbers are
    those of :func:`price_waterfall_table`.

    Parameters
    ----------
    quote
        A :class:`Quote` (or a :class:`Recommendation`).
    ax
        The Axes to draw into; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into: one horizontal bar per row of the table, top to bottom.

    Raises
    ------
    DataContractError
        If ``quote`` is not a Quote or a Recommendation.
    MissingDependencyError
        If matplotlib is not installed (the ``plot`` extra).
    """
    table = price_waterfall_table(quote)
    axes = axes_for(ax, feature="plot_price_waterfall", size=(7.0, 1.0 + 0.35 * len(table)))
    y = np.arange(len(table), dtype=np.float64)
    start = table["start"].to_numpy(dtype=np.float64)
    end = table["end"].to_numpy(dtype=np.float64)
    is_total = table["kind"].isin(["base", "list price", "price"]).to_numpy()
    colours = [
        _WATERFALL_COLOURS["total" if whole else ("rise" if b >= a else "fall")]
        for whole, a, b in zip(is_total, start, end, strict=True)
    ]
    bars = axes.barh(y, end - start, left=start, color=colours, height=0.6)
    labels = [
        money_label(amount) if whole else money_label(amount, sign=True)
        for whole, amount in zip(is_total, table["amount"], strict=True)
    ]
    axes.bar_label(bars, labels=labels, padding=3, fontsize="small")
    for k in range(len(table) - 1):  # connectors: where each step ends, the next begins
        axes.plot([end[k], end[k]], [y[k], y[k + 1]], color=GREY, linewidth=0.8)
    axes.set_yticks(y, list(table["item"]))
    axes.invert_yaxis()
    axes.set_xlim(0, float(np.max(np.maximum(start, end))) * 1.15)
    axes.set_xlabel("price")
    axes.set_title(f"How the price of {money_label(float(end[-1]))} is made")
    return axes


# --- option popularity ---------------------------------------------------------------------
def _chosen(item: object, position: int) -> set[str]:
    """Return the options one configuration, quote, recommendation or session chooses."""
    if isinstance(item, Quote | Recommendation):
        return set(item.selected)
    if isinstance(item, ConfigurationSession):
        return {name for name, value in item.choices.items() if value}
    if isinstance(item, Mapping):
        return {str(name) for name, value in item.items() if value}
    if isinstance(item, set | frozenset | list | tuple) and all(isinstance(n, str) for n in item):
        return set(item)
    msg = (
        "configurations must hold sets of selected options, mappings of options to values, "
        f"quotes, recommendations or sessions (item {position} is a {type(item).__name__})."
    )
    raise DataContractError(msg, column="configurations", value=type(item).__name__, row=position)


def option_popularity_table(
    configurations: Iterable[object], *, model: ProductModel | None = None
) -> pd.DataFrame:
    """Count how many configurations choose each option.

    What customers choose, and what they never choose, says which options
    earn their place in the range and which defaults to change. For a
    :class:`ConfigurationSession` an option counts when the customer chose
    it (not when the rules forced it); for the others when it is selected.

    Parameters
    ----------
    configurations
        Configurations: sets of selected options, mappings of options to
        values (selected when true or a positive quantity), :class:`Quote`,
        :class:`Recommendation` or :class:`ConfigurationSession` objects.
    model
        The product model. When given, every concrete (non-abstract)
        option is counted, also those never chosen, abstract options are
        left out, and an unknown option is refused.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``option``, most chosen first (ties in model order, else
        by name), with columns ``configurations`` (how many choose it) and
        ``share`` (of all configurations). ``attrs["n_configurations"]`` is
        their number.

    Raises
    ------
    DataContractError
        If there is no configuration, an item is of another type, or (with
        ``model``) an option is unknown.

    Examples
    --------
    >>> from one2one.customize import option_popularity_table
    >>> option_popularity_table([{"bell", "light"}, {"light"}, {"light": True, "bell": False}])
            configurations     share
    option
    light                3  1.000000
    bell                 1  0.333333
    """
    if isinstance(configurations, str) or not isinstance(configurations, Iterable):
        msg = f"configurations must be an iterable of configurations (got {configurations!r})."
        raise DataContractError(msg, column="configurations", value=configurations)
    chosen = [_chosen(item, k) for k, item in enumerate(configurations)]
    if not chosen:
        msg = "there are no configurations to count."
        raise DataContractError(msg, column="configurations")
    counts: dict[str, int] = {}
    for options in chosen:
        for name in options:
            counts[name] = counts.get(name, 0) + 1
    if model is None:
        order = sorted(counts)
    else:
        given: object = model
        if not isinstance(given, ProductModel):
            msg = f"model must be a ProductModel (got a {type(model).__name__})."
            raise DataContractError(msg, column="model", value=type(model).__name__)
        known = {o.name for o in model.options}
        unknown = sorted(set(counts) - known)
        if unknown:
            msg = (
                f"configurations choose option {unknown[0]!r}, unknown to model "
                f"{model.name!r} (its options: {', '.join(sorted(known))})."
            )
            raise DataContractError(msg, column="option", value=unknown[0])
        order = [o.name for o in model.options if not o.abstract]
    table = pd.DataFrame(
        {"configurations": [counts.get(name, 0) for name in order]},
        index=pd.Index(order, name="option"),
    )
    table["share"] = table["configurations"] / len(chosen)
    rank = pd.Series(np.arange(len(order)), index=table.index)
    table = table.assign(_rank=rank).sort_values(
        ["configurations", "_rank"], ascending=[False, True], kind="stable"
    )
    table = table.drop(columns="_rank")
    table["configurations"] = table["configurations"].astype(np.int64)
    table.attrs["n_configurations"] = len(chosen)
    return table


def plot_option_popularity(
    configurations: Iterable[object],
    *,
    model: ProductModel | None = None,
    top: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw the share of configurations choosing each option, as horizontal bars.

    Options run from the most chosen at the top; each bar is labelled with
    its count. The numbers are those of :func:`option_popularity_table`.

    Parameters
    ----------
    configurations, model
        As for :func:`option_popularity_table`.
    top
        Draw only the ``top`` most chosen options (default: all).
    ax
        The Axes to draw into; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into: one bar per option drawn.

    Raises
    ------
    DataContractError
        As :func:`option_popularity_table`, or ``top`` below 1.
    MissingDependencyError
        If matplotlib is not installed (the ``plot`` extra).
    """
    table = option_popularity_table(configurations, model=model)
    if top is not None:
        table = table.head(int(require_number(top, name="top", low=1, integer=True)))
    axes = axes_for(ax, feature="plot_option_popularity", size=(7.0, 1.0 + 0.3 * len(table)))
    y = np.arange(len(table), dtype=np.float64)
    bars = axes.barh(y, table["share"].to_numpy(dtype=np.float64), color=PALETTE[0], height=0.7)
    axes.bar_label(
        bars, labels=[f"{n:,}" for n in table["configurations"]], padding=3, fontsize="small"
    )
    axes.set_yticks(y, list(table.index))
    axes.invert_yaxis()
    ticker = optional_import("matplotlib.ticker", extra="plot", feature="plot_option_popularity")
    axes.xaxis.set_major_formatter(ticker.PercentFormatter(xmax=1.0, decimals=0))
    axes.set_xlim(0, 1.1)
    axes.set_xlabel("share of configurations choosing the option")
    axes.set_title(f"Options chosen in {table.attrs['n_configurations']:,} configurations")
    return axes


# --- configuration space -------------------------------------------------------------------
def _steps(choices: object) -> list[tuple[str, Value]]:
    """Return the choices in order, from a session, a mapping or (option, value) pairs."""
    if isinstance(choices, ConfigurationSession):
        return [(step.option, step.value) for step in choices.steps]
    if isinstance(choices, Mapping):
        return [(str(name), value) for name, value in choices.items()]
    if isinstance(choices, list | tuple) and all(
        isinstance(c, tuple) and len(c) == _PAIR for c in choices
    ):
        return [(str(name), value) for name, value in choices]
    msg = (
        "choices must be a ConfigurationSession, a mapping of options to values (in the "
        f"order chosen) or a list of (option, value) pairs (got a {type(choices).__name__})."
    )
    raise DataContractError(msg, column="choices", value=type(choices).__name__)


def _words(name: str, value: Value) -> str:
    """Write one choice in words: "touring", "no mudguards", "bottle_cage = 2"."""
    if isinstance(value, bool | np.bool_):
        return name if value else f"no {name}"
    return f"no {name}" if int(value) == 0 else f"{name} = {int(value)}"


def configuration_space_table(engine: Configurator, choices: object) -> pd.DataFrame:
    """Count the valid configurations left as each choice is fixed, in order.

    Every choice narrows what can still be built; the exact counts (and the
    options still open) show which choices decide most, and how much room a
    customer still has after each one.

    Parameters
    ----------
    engine
        The :class:`Configurator` of the product model.
    choices
        The choices in the order made: a :class:`ConfigurationSession` (its
        steps), a mapping of options to values, or ``(option, value)`` pairs.

    Returns
    -------
    pandas.DataFrame
        One row per step, starting with step 0 (no choice), with columns
        ``step``, ``choice`` (in words: ``"touring"``, ``"no mudguards"``,
        ``"bottle_cage = 2"``), ``configurations`` (the exact count keeping
        every choice so far; Python ints beyond 2**63), ``share`` (of the
        count before any choice) and ``open_options`` (options that can
        still go more than one way).

    Raises
    ------
    DataContractError
        If ``engine`` is not a Configurator, the choices are of another type
        or name unknown options or bad values, or (on a model with counted
        options or linear rules) a count passes the enumeration limit.
    ConfigurationConflictError
        If the choices so far leave no valid configuration (the error names
        a minimal conflict).

    Examples
    --------
    >>> from one2one.customize import Configurator, Group, Option, ProductModel
    >>> from one2one.customize import configuration_space_table
    >>> bike = ProductModel("bike", [Option(n) for n in ("bike", "bell", "light", "rack")],
    ...                     [Group("bike", "optional", ["bell", "light", "rack"])])
    >>> configuration_space_table(Configurator(bike), {"light": True, "rack": False})
       step     choice  configurations  share  open_options
    0     0  no choice               8   1.00             3
    1     1      light               4   0.50             2
    2     2    no rack               2   0.25             1
    """
    given: object = engine
    if not isinstance(given, Configurator):
        msg = f"engine must be a Configurator (got a {type(engine).__name__})."
        raise DataContractError(msg, column="engine", value=type(engine).__name__)
    steps = _steps(choices)
    choice_keys(engine.model, dict(steps))  # every name and value, checked before counting
    fixed: dict[str, Value] = {}
    rows: list[dict[str, Any]] = []
    for step, (name, value) in enumerate([("", True), *steps]):
        if step:
            fixed[name] = value
        rows.append(
            {
                "step": step,
                "choice": _words(name, value) if step else "no choice",
                "configurations": engine.count(fixed),
                "open_options": len(engine.propagate(fixed).open()),
            }
        )
    table = pd.DataFrame(rows, columns=["step", "choice", "configurations", "open_options"])
    counts = [int(n) for n in table["configurations"]]
    if max(counts) <= _INT64_MAX:
        table["configurations"] = table["configurations"].astype(np.int64)
    else:
        table["configurations"] = pd.Series(counts, dtype=object)
    first = counts[0]
    table.insert(3, "share", [n / first if first else float("nan") for n in counts])
    return table


def _count_label(count: int) -> str:
    return f"{count:,}" if count < 10**9 else f"{float(count):.3g}"


def plot_configuration_space(
    engine: Configurator, choices: object, *, ax: Axes | None = None
) -> Axes:
    """Draw the number of valid configurations left after each choice, as bars.

    The count axis is logarithmic when counts span more than a
    hundredfold, as they do on real product lines; each bar is labelled
    with its exact count. The numbers are those of
    :func:`configuration_space_table`.

    Parameters
    ----------
    engine, choices
        As for :func:`configuration_space_table`.
    ax
        The Axes to draw into; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into: one bar per step.

    Raises
    ------
    DataContractError
        As :func:`configuration_space_table`.
    ConfigurationConflictError
        If the choices leave no valid configuration.
    MissingDependencyError
        If matplotlib is not installed (the ``plot`` extra).
    """
    table = configuration_space_table(engine, choices)
    axes = axes_for(ax, feature="plot_configuration_space", size=(7.0, 4.0))
    counts = [int(n) for n in table["configurations"]]
    heights = np.array([float(n) for n in counts])
    x = np.arange(len(table), dtype=np.float64)
    bars = axes.bar(x, heights, color=PALETTE[0], width=0.7)
    axes.bar_label(bars, labels=[_count_label(n) for n in counts], padding=2, fontsize="small")
    labels = [
        choice if step == 0 else f"+ {choice}"
        for step, choice in zip(table["step"], table["choice"], strict=True)
    ]
    axes.set_xticks(x, labels, rotation=30, ha="right", rotation_mode="anchor")
    if min(counts) > 0 and max(counts) > _LOG_SPREAD * min(counts):
        axes.set_yscale("log")
        axes.set_ylim(top=float(max(counts)) * 10)
    else:
        count_ticks(axes.yaxis)
        axes.set_ylim(0, float(max(counts)) * 1.12)
    axes.set_ylabel("valid configurations left")
    axes.set_title(f"{engine.model.name}: configurations left after each choice")
    return axes
