"""Share of customer: how much of what a customer spends in the category comes to you.

Where the customer's total category spend is known (a survey, a panel, a
declared budget), the share is actual over total. Where it is not, the
potential is estimated from comparable customers: a high quantile of the
spend of customers with similar features, by gradient-boosted quantile
regression (scikit-learn), so that a most-growable customer is one who
spends far less than their peers do, not merely less than the average.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from .._progress import Progress, check_progress, progress_bar
from .._transactions import money_decimals, round_money
from .._validation import (
    require_columns,
    require_frame,
    require_no_missing,
    require_non_negative,
    require_number,
    require_numeric,
)
from ..errors import DataContractError, DataWarning

__all__ = ["share_of_customer"]

_SECONDS_PER_CELL = 2e-6  # the peers' quantile model per customer and feature (measured ~0.3 us)


def share_of_customer(
    spend: pd.DataFrame,
    features: pd.DataFrame | None = None,
    *,
    quantile: float = 0.9,
    random_state: int | None = 0,
    decimals: int = 2,
    progress: Progress = "auto",
) -> pd.DataFrame:
    """Estimate each customer's potential spend and the share of it you already have.

    Money is rounded to the minor unit before anything is compared or
    divided: float residue such as ``7e-15`` left by a sum is no spend (a
    share of exactly 0, not a tiny share that would turn ``value / share``
    into a growth gap of 1e16), and ``-1.4e-14`` is 0, not a negative spend.

    Parameters
    ----------
    spend
        Indexed by ``customer_id``: ``spend`` (with you, >= 0) and optionally
        ``category_spend`` (the customer's total in the category, where
        known; missing values are estimated).
    features
        Customer features that make customers comparable (numeric, indexed
        like ``spend``). Without them, the peers are all customers.
    quantile
        The peers' spend quantile taken as potential (0.9: what the top 10%
        of comparable customers spend).
    random_state
        Seed of the quantile model.
    decimals
        Decimals of the currency's minor unit (2: cents; 0 for JPY).
    progress
        ``"auto"`` (a bar when the peers' model is expected to take more
        than a couple of seconds), ``True`` or ``False``.

    Returns
    -------
    pandas.DataFrame
        ``spend``, ``potential`` (known category spend, else the estimate;
        never below ``spend``), ``share`` (``spend / potential``; undefined,
        NaN, where the potential is 0: no spend with anyone), ``gap``
        (``potential - spend``) and ``estimated`` (whether the potential was
        estimated). ``spend``, ``potential`` and ``gap`` are rounded to the
        minor unit.

    Raises
    ------
    DataContractError
        On a missing or non-numeric ``spend``, a spend below zero, a
        ``category_spend`` below the spend with you, features missing a
        customer, or an argument out of range.

    Warns
    -----
    DataWarning
        With the number of customers whose share is undefined.

    Examples
    --------
    >>> import pandas as pd
    >>> spend = pd.DataFrame({"spend": [10.0, 50.0, 100.0], "category_spend": [100.0, 50.0, 400.0]})
    >>> share_of_customer(spend)["share"].tolist()
    [0.1, 1.0, 0.25]
    """
    frame = require_frame(spend, name="spend")
    require_columns(frame, ["spend"], name="spend")
    if frame.empty:
        msg = "spend is empty; there is nobody to assess."
        raise DataContractError(msg, column="spend")
    require_no_missing(frame, ["spend"], name="spend")
    require_numeric(frame, "spend", name="spend")
    require_number(quantile, name="quantile", low=0.0, high=1.0, low_inclusive=False)
    check_progress(progress)
    places = money_decimals(None, decimals)
    actual = pd.Series(round_money(frame["spend"], places, column="spend"), index=frame.index)
    require_non_negative(frame.assign(spend=actual), ["spend"], name="spend")
    known = pd.Series(np.nan, index=frame.index)
    if "category_spend" in frame:
        try:
            known = pd.to_numeric(frame["category_spend"]).astype(float)
        except (TypeError, ValueError) as error:
            msg = f"spend column 'category_spend' must hold numbers or be empty: {error}"
            raise DataContractError(msg, column="category_spend") from error
    present = known.notna()
    if present.any():
        known[present] = round_money(known[present], places, column="category_spend")
        require_non_negative(
            frame.assign(category_spend=known).loc[present], ["category_spend"], name="spend"
        )
        below = known[present] < actual[present]
        if below.any():
            row = below[below].index[0]
            msg = (
                f"spend row {row!r}: category_spend {known[row]} is below the spend with you "
                f"{actual[row]}; the category total includes your share."
            )
            raise DataContractError(msg, column="category_spend", value=float(known[row]), row=row)
    missing = ~present
    potential = known.copy()
    if missing.any():
        width = 0 if features is None else max(features.shape[1], 1)
        with progress_bar(
            progress=progress,
            total=1,
            desc="share of customer",
            expected_seconds=len(actual) * width * _SECONDS_PER_CELL,
        ) as bar:
            guess = _peer_quantile(actual, features, missing, quantile, random_state)
            bar.step("peers' spend")
        potential[missing] = np.maximum(round_money(guess, places), actual[missing])
    undefined = potential <= 0
    if undefined.any():
        msg = (
            f"{int(undefined.sum())} customer(s) have no spend and no potential spend, so their "
            "share of customer is undefined (NaN); leave them out of value / share, or give "
            "them a category_spend."
        )
        warnings.warn(msg, DataWarning, stacklevel=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(undefined, np.nan, actual / potential)
    return pd.DataFrame(
        {
            "spend": actual,
            "potential": potential,
            "share": share,
            "gap": round_money(potential - actual, places),
            "estimated": missing,
        },
        index=frame.index,
    )


def _peer_quantile(
    actual: pd.Series,
    features: pd.DataFrame | None,
    wanted: pd.Series,
    quantile: float,
    random_state: int | None,
) -> np.ndarray:
    """Estimate the ``quantile`` of comparable customers' spend for the ``wanted`` customers."""
    if features is None:
        return np.full(int(wanted.sum()), float(np.quantile(actual, quantile)))
    table = require_frame(features, name="features")
    missing_rows = actual.index.difference(table.index)
    if len(missing_rows):
        value = missing_rows[0]
        msg = f"features has no row for customer {value!r}; give every customer features."
        raise DataContractError(msg, column="customer_id", value=value)
    table = table.loc[actual.index]
    for column in table.columns:
        require_numeric(table, column, name="features")
    require_no_missing(table, list(table.columns), name="features")
    model = HistGradientBoostingRegressor(
        loss="quantile", quantile=quantile, random_state=random_state
    )
    with threadpool_limits(limits=1, user_api="openmp"):  # spinning threads on a busy
        model.fit(table.to_numpy(dtype=float), actual.to_numpy())  # machine cost minutes
        guess = model.predict(table.loc[wanted].to_numpy(dtype=float))
    return np.asarray(guess, dtype=float)
