"""Customer lifetime value by discounted cash flow over a finite horizon."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from .._validation import require_number, require_one_of
from ..errors import DataContractError
from ._periods import PERIODS_PER_YEAR, require_freq
from ._spend_models import GammaGammaModel
from ._transaction_models import TransactionModel

__all__ = ["customer_lifetime_value", "per_period_rate"]


def per_period_rate(rate: float, *, per: Literal["year", "period"], period: str | None) -> float:
    """Convert a discount rate stated per year (or per period) into a rate per period.

    A yearly rate d becomes (1 + d) ** (1 / periods_per_year) - 1, so that
    compounding it over a year gives back d exactly.
    """
    value = require_number(rate, name="discount_rate", low=0)
    per = require_one_of(per, ("year", "period"), name="discount_per")
    if per == "period":
        return value
    if period is None:
        msg = (
            "the summary's period is unknown, so a yearly discount rate cannot be converted; "
            "pass period='W' (or 'D', 'M', ...) or discount_per='period'."
        )
        raise DataContractError(msg, column="period")
    freq = require_freq(period)
    return float((1.0 + value) ** (1.0 / PERIODS_PER_YEAR[freq]) - 1.0)


def customer_lifetime_value(
    transaction_model: TransactionModel,
    spend_model: GammaGammaModel,
    summary: pd.DataFrame,
    *,
    horizon: float,
    discount_rate: float = 0.1,
    discount_per: Literal["year", "period"] = "year",
    period: str | None = None,
) -> pd.DataFrame:
    """Value each customer: discounted expected spend over the next ``horizon`` periods.

    Cash flows are counted per period: the purchases expected in period k
    (from the transaction model, given the customer's history) times the
    expected spend per purchase (from the spend model), discounted by
    (1 + d) ** -k with d the per-period rate.

    Parameters
    ----------
    transaction_model
        A fitted :class:`BetaGeoModel`, :class:`ModifiedBetaGeoModel` or
        :class:`ParetoNBDModel`.
    spend_model
        A fitted :class:`GammaGammaModel`.
    summary
        Customers' ``frequency``, ``recency``, ``T`` and ``monetary_value``.
    horizon
        Number of periods to value (the summary's period, e.g. 52 weeks).
        A fractional last period is valued in proportion.
    discount_rate
        Discount rate, per year by default.
    discount_per
        ``"year"`` (converted to the period using ``period``) or ``"period"``.
    period
        The summary's period; defaults to the one recorded when the
        transaction model was fitted.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``summary``: ``p_alive``, ``expected_purchases`` (over
        the horizon, undiscounted), ``expected_spend`` (per purchase) and
        ``clv`` (discounted).

    Examples
    --------
    >>> from one2one.clv import BetaGeoModel, GammaGammaModel, customer_lifetime_value
    >>> from one2one.datasets import load_cdnow_summary
    >>> summary = load_cdnow_summary()
    >>> value = customer_lifetime_value(
    ...     BetaGeoModel().fit(summary), GammaGammaModel().fit(summary), summary,
    ...     horizon=52, discount_rate=0.1, period="W",
    ... )
    >>> list(value.columns)
    ['p_alive', 'expected_purchases', 'expected_spend', 'clv']
    """
    length = require_number(horizon, name="horizon", low=0, low_inclusive=False)
    rate = per_period_rate(
        discount_rate, per=discount_per, period=period or transaction_model.period_
    )
    spend = spend_model.predict_spend(summary)
    columns, inverse = transaction_model.validated_columns(summary)
    edges = np.append(np.arange(1.0, np.ceil(length)), length)
    cumulative = [np.zeros_like(columns[0])]
    cumulative += [transaction_model.conditional_on_columns(columns, float(t)) for t in edges]
    increments = np.diff(np.stack(cumulative), axis=0)
    discount = (1.0 + rate) ** -edges
    discounted_purchases = discount @ increments
    return pd.DataFrame(
        {
            "p_alive": transaction_model.p_alive_on_columns(columns)[inverse],
            "expected_purchases": cumulative[-1][inverse],
            "expected_spend": spend.to_numpy(),
            "clv": discounted_purchases[inverse] * spend.to_numpy(),
        },
        index=summary.index,
    )
