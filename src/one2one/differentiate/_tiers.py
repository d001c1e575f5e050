"""Value tiers (Peppers & Rogers): most valuable, most growable, below zero, and the rest.

Treat customers differently by what they are worth: keep the most valuable
(MVC), grow the most growable (MGC, the largest gap between what they could
and do spend with you), stop losing money on the below-zero (BZ, worth less
than they cost to serve); the rest are migrators, moving between tiers.
"""

from __future__ import annotations

from typing import overload

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._spark import SparkFrame, is_spark_frame
from .._transactions import money_decimals, round_money
from .._validation import (
    require_columns,
    require_frame,
    require_no_missing,
    require_number,
    require_numeric,
)
from ..contracts import COST_TO_SERVE, CUSTOMER_VALUES
from ..errors import DataContractError

__all__ = ["TIERS", "lorenz_curve", "tier_report", "value_tiers"]

TIERS: tuple[str, ...] = ("most valuable", "most growable", "migrators", "below zero")
"""Tier names, most valuable first."""


def _top(values: pd.Series, count: int) -> pd.Series:
    """Mark the ``count`` customers of highest value; ties at the cut are all in (order-free)."""
    count = min(len(values), count)
    if count <= 0:
        return pd.Series(data=False, index=values.index)
    array = values.to_numpy()
    cut = np.partition(array, len(array) - count)[len(array) - count]
    return pd.Series(array >= cut, index=values.index)


def _count(share: float, total: int) -> int:
    """Count the top ``share`` of ``total`` customers (at least one for a positive share)."""
    # Rounded first, so 0.1 * 30 = 3.0000000000000004 is 3 customers, not 4.
    return 0 if share <= 0 or total == 0 else max(1, int(np.ceil(round(share * total, 9))))


@overload
def value_tiers(
    values: SparkFrame,
    *,
    value: str = "actual_value",
    most_valuable_share: float = 0.2,
    most_growable_share: float = 0.2,
    decimals: int = 2,
) -> SparkFrame: ...
@overload
def value_tiers(
    values: pd.DataFrame,
    *,
    value: str = "actual_value",
    most_valuable_share: float = 0.2,
    most_growable_share: float = 0.2,
    decimals: int = 2,
) -> pd.DataFrame: ...
def value_tiers(
    values: pd.DataFrame | SparkFrame,
    *,
    value: str = "actual_value",
    most_valuable_share: float = 0.2,
    most_growable_share: float = 0.2,
    decimals: int = 2,
) -> pd.DataFrame | SparkFrame:
    """Place every customer in one tier by actual value, growth potential and cost to serve.

    Parameters
    ----------
    values
        Indexed by ``customer_id``: the actual value (column ``value``), and
        optionally ``potential_value`` (what the customer could be worth; its
        gap to the actual value makes MGC) and ``cost_to_serve`` (e.g. the
        interaction log's costs, >= 0). ``one2one.clv.customer_lifetime_value``
        output goes straight in with ``value="clv"``, checked against the
        :data:`one2one.contracts.CUSTOMER_VALUES` contract. A Spark
        DataFrame holds the key as a column ``customer_id``; its cuts are
        exact (the k-th largest value, ties counted, from counts of distinct
        values), so the tiers are the pandas path's.
    value
        Column of the actual value: ``"actual_value"`` (historic margin, or
        any value you computed) or ``"clv"``.
    most_valuable_share
        Share of the customers with positive net value who are MVC.
    most_growable_share
        Share of the remaining customers, by largest positive growth gap, who are MGC.
    decimals
        Decimals of the currency's minor unit: net value and growth gap are
        rounded to it, so float residue (``-5.6e-17``) never makes a customer
        below zero.

    Returns
    -------
    pandas.DataFrame
        The :data:`one2one.contracts.VALUE_TIERS` table, indexed by
        ``customer_id`` in the order of ``values``: ``net_value`` (actual
        minus cost to serve), ``growth_gap`` (potential minus actual, 0
        without potential) and ``tier`` (one of :data:`TIERS`). Customers
        tied at a cut are all placed in the higher tier, so tiers never
        depend on row order.

        With a Spark DataFrame: a Spark DataFrame with ``customer_id``,
        ``net_value``, ``growth_gap`` and ``tier`` (a string), the same
        values as pandas, rows in no particular order.

    Raises
    ------
    DataContractError
        On a missing value column (naming ``value=``), an empty table, a
        customer twice, missing or non-finite values, a negative cost to
        serve, a CLV table that breaks its contract, or shares outside [0, 1].

    Examples
    --------
    >>> import pandas as pd
    >>> values = pd.DataFrame({"actual_value": [900.0, 50, 40, 30, 5],
    ...                        "potential_value": [950.0, 60, 400, 35, 10],
    ...                        "cost_to_serve": [20.0, 10, 10, 10, 25]},
    ...                       index=["a", "b", "c", "d", "e"])
    >>> value_tiers(values)["tier"].tolist()
    ['most valuable', 'migrators', 'most growable', 'migrators', 'below zero']
    """
    if is_spark_frame(values):
        from ._spark import value_tiers as spark_value_tiers  # noqa: PLC0415 - pyspark only here

        return spark_value_tiers(
            values,
            value=value,
            most_valuable_share=most_valuable_share,
            most_growable_share=most_growable_share,
            decimals=decimals,
        )
    frame = require_frame(values, name="values")
    require_columns(frame, [value], name="values", arguments="value=")
    if frame.empty:
        msg = "values is empty; there is nobody to tier."
        raise DataContractError(msg, column=value)
    if value == "clv":  # the CLV table, as one2one.clv returns it
        CUSTOMER_VALUES.validate(frame)
    if frame.index.has_duplicates:
        duplicate = frame.index[frame.index.duplicated()][0]
        msg = f"values has customer {duplicate!r} twice; one row per customer."
        raise DataContractError(msg, column="customer_id", value=duplicate)
    columns = [value] + [c for c in ("potential_value", "cost_to_serve") if c in frame]
    require_no_missing(frame, columns, name="values")
    for column in columns:
        require_numeric(frame, column, name="values")
    if "cost_to_serve" in frame:
        attrs.evolve(COST_TO_SERVE, index=None).validate(frame)
    require_number(most_valuable_share, name="most_valuable_share", low=0.0, high=1.0)
    require_number(most_growable_share, name="most_growable_share", low=0.0, high=1.0)
    places = money_decimals(None, decimals)
    actual = frame[value].astype(float)
    cost = frame["cost_to_serve"].astype(float) if "cost_to_serve" in frame else 0.0 * actual
    potential = frame["potential_value"].astype(float) if "potential_value" in frame else actual
    net = pd.Series(round_money(actual - cost, places, column=value), index=frame.index)
    gap = pd.Series(
        round_money((potential - actual).clip(lower=0.0), places, column="potential_value"),
        index=frame.index,
    )
    tier = pd.Series("migrators", index=frame.index, dtype=object)
    below = net < 0
    tier[below] = "below zero"
    positive = net[~below]
    valuable = _top(positive, _count(most_valuable_share, len(positive)))
    tier[valuable[valuable].index] = "most valuable"
    migrators = tier == "migrators"
    rest = gap[migrators & (gap > 0)]
    growable = _top(rest, _count(most_growable_share, int(migrators.sum())))
    tier[growable[growable].index] = "most growable"
    return pd.DataFrame(
        {"net_value": net, "growth_gap": gap, "tier": pd.Categorical(tier, categories=TIERS)},
        index=frame.index.rename("customer_id"),
    )


def tier_report(tiers: pd.DataFrame | SparkFrame) -> pd.DataFrame:
    """Count customers and net value per tier, with each tier's share of both.

    The report that makes the tiers a decision: how few customers hold how
    much value, and how much growth the migrators leave on the table.

    Parameters
    ----------
    tiers
        The output of :func:`value_tiers`: ``tier``, ``net_value`` and
        ``growth_gap`` per customer: a pandas or a Spark DataFrame.

    Returns
    -------
    pandas.DataFrame
        Indexed by tier (all of :data:`TIERS`): ``customers``,
        ``customer_share``, ``net_value``, ``value_share`` (of the total net
        value; below-zero customers have a negative share) and
        ``growth_gap``. A pandas DataFrame for a Spark DataFrame too (four
        rows, aggregated in Spark): the report is tiny and read by people.
        Spark sums in another order than pandas, so its sums may differ
        from pandas' in the last bits (about 1e-15 relative).

    Raises
    ------
    DataContractError
        If ``tiers`` is not a DataFrame or lacks ``tier``, ``net_value`` or
        ``growth_gap``.
    """
    if is_spark_frame(tiers):
        from ._spark import tier_report as spark_tier_report  # noqa: PLC0415 - pyspark only here

        return spark_tier_report(tiers)
    frame = require_frame(tiers, name="tiers")
    require_columns(frame, ["tier", "net_value", "growth_gap"], name="tiers")
    grouped = frame.groupby("tier", observed=False)
    return _report(grouped.size(), grouped["net_value"].sum(), grouped["growth_gap"].sum())


def _report(customers: pd.Series, net_value: pd.Series, growth_gap: pd.Series) -> pd.DataFrame:
    """Build the report from each tier's customers and sums (shared with the Spark path)."""
    report = pd.DataFrame(
        {"customers": customers, "net_value": net_value, "growth_gap": growth_gap}
    ).reindex(list(TIERS), fill_value=0)
    report["customer_share"] = report["customers"] / report["customers"].sum()
    total = report["net_value"].sum()
    report["value_share"] = report["net_value"] / total if total else np.nan
    report.index.name = "tier"
    return report[["customers", "customer_share", "net_value", "value_share", "growth_gap"]]


SPARK_CURVE_POINTS = 101
"""Points of :func:`lorenz_curve` on a Spark column when ``points`` is not given (every 1%)."""


def curve_positions(n: int, points: int | None) -> NDArray[np.int64]:
    """Return how many of the most valuable customers each point of the curve counts.

    ``points`` evenly spaced counts ``floor(i * n / (points - 1))`` from 0
    to ``n``, without repeats (every count 0..n when ``points > n``);
    ``None`` is every count.
    """
    if points is None:
        return np.arange(n + 1, dtype=np.int64)
    steps = int(points) - 1
    return np.unique((np.arange(steps + 1, dtype=np.int64) * n) // steps)


def _check_points(points: int | None) -> int | None:
    if points is None:
        return None
    return int(require_number(points, name="points", low=2, integer=True))


@overload
def lorenz_curve(value: pd.Series, *, points: int | None = None) -> pd.DataFrame: ...
@overload
def lorenz_curve(value: SparkFrame, *, points: int | None = None) -> pd.DataFrame: ...
def lorenz_curve(value: pd.Series | SparkFrame, *, points: int | None = None) -> pd.DataFrame:
    """Cumulative share of value held by the most valuable customers (the Pareto curve).

    The curve says how concentrated value is, which is what decides whether
    treating the top customers differently is worth it.

    Parameters
    ----------
    value
        One value per customer (e.g. net value or CLV), finite, no missing
        values, with a positive total. A pandas Series, or a Spark
        DataFrame of one numeric column (``tiers.select("net_value")``).
    points
        How many points of the curve to return: the shares of the top
        ``floor(i * n / (points - 1))`` customers, i = 0 .. points - 1, of
        ``n`` (repeats dropped, so every customer's point when ``points`` >
        ``n``). ``None``: every customer's point for a Series, and 101
        points (every 1% of customers) for a Spark frame.

    Returns
    -------
    pandas.DataFrame
        ``customer_share`` (0..1, most valuable first) and ``value_share``
        (cumulative share of the total), starting at (0, 0). A pandas frame
        for a Spark frame too, of at most ``points`` rows: Spark counts
        each distinct value once, ranks those counts with a window, and
        only the curve's points are collected, never a row per customer;
        they are the points pandas gives with the same ``points`` (equal
        up to rounding: Spark adds the values in another order).

    Raises
    ------
    DataContractError
        If ``value`` is empty, has missing or infinite values, or does not
        sum to more than 0; if ``points`` is not a whole number >= 2; if a
        Spark ``value`` has more than one column or a non-numeric one.

    Examples
    --------
    >>> import pandas as pd
    >>> lorenz_curve(pd.Series([60.0, 30, 10])).round(2).values.tolist()
    [[0.0, 0.0], [0.33, 0.6], [0.67, 0.9], [1.0, 1.0]]
    >>> lorenz_curve(pd.Series([60.0, 30, 10, 0]), points=3).values.tolist()
    [[0.0, 0.0], [0.5, 0.9], [1.0, 1.0]]
    """
    checked = _check_points(points)
    if is_spark_frame(value):
        from ._spark import lorenz_curve as spark_lorenz_curve  # noqa: PLC0415 - pyspark here

        return spark_lorenz_curve(value, points=checked or SPARK_CURVE_POINTS)
    values = pd.Series(value, dtype=float)
    if values.empty or values.isna().any():
        msg = "value must be a non-empty series without missing values."
        raise DataContractError(msg, column="value")
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        first = float(values.to_numpy()[infinite][0])
        msg = f"value must be finite (got {first!r}); a share of an infinite total is undefined."
        raise DataContractError(msg, column="value", value=first)
    total = values.sum()
    if total <= 0:
        msg = f"the values sum to {total}; a share of value needs a positive total."
        raise DataContractError(msg, column="value", value=float(total))
    ordered = np.sort(values.to_numpy())[::-1]
    curve = pd.DataFrame(
        {
            "customer_share": np.arange(len(ordered) + 1) / len(ordered),
            "value_share": np.concatenate([[0.0], np.cumsum(ordered) / total]),
        }
    )
    if checked is None:
        return curve
    return curve.iloc[curve_positions(len(ordered), checked)].reset_index(drop=True)
