"""Customer lifetime value by discounted cash flow over a finite horizon."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Literal, cast, overload

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.linalg import block_diag

from .._progress import Progress, check_progress
from .._spark import is_spark_frame
from .._validation import require_number, require_one_of
from ..errors import DataContractError
from ._dyncov_data import TimeVaryingSummary
from ._dyncov_model import TimeVaryingParetoNBDModel
from ._gammagamma import gammagamma_conditional_spend
from ._periods import PERIODS_PER_YEAR, Horizon, agreed_period, horizon_periods, require_freq
from ._spend_models import GammaGammaModel
from ._transaction_models import TransactionModel
from ._uncertainty import (
    Interval,
    bootstrap_draws,
    bootstrap_lengths,
    check_interval,
    delta_interval,
    percentile_interval,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .._spark import SparkFrame

FloatArray = NDArray[np.float64]

__all__ = ["customer_lifetime_value", "per_period_rate"]


def per_period_rate(rate: float, *, per: Literal["year", "period"], period: str | None) -> float:
    """Convert a discount rate stated per year (or per period) into a rate per period.

    A yearly rate d becomes (1 + d) ** (1 / periods_per_year) - 1, so that
    compounding it over a year gives back d exactly.

    Parameters
    ----------
    rate
        The discount rate (>= 0), e.g. 0.1 for 10%.
    per
        ``"year"`` (converted to the period) or ``"period"`` (returned as is).
    period
        The period the rate is wanted for: ``"D"``, ``"W"``, ``"M"``, ``"Q"``
        or ``"Y"``; needed only for a yearly rate.

    Returns
    -------
    float
        The rate per period.

    Raises
    ------
    DataContractError
        If ``rate`` is negative or not a number, ``per`` is neither ``"year"``
        nor ``"period"``, or a yearly rate comes without a known ``period``.
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


@overload
def customer_lifetime_value(
    transaction_model: TransactionModel | TimeVaryingParetoNBDModel,
    spend_model: GammaGammaModel,
    summary: pd.DataFrame | TimeVaryingSummary,
    *,
    horizon: Horizon,
    discount_rate: float = 0.1,
    discount_per: Literal["year", "period"] = "year",
    period: str | None = None,
    interval: Interval | None = None,
    level: float = 0.95,
    n_boot: int = 200,
    random_state: int | np.random.Generator | None = None,
    progress: Progress = "auto",
) -> pd.DataFrame: ...


@overload
def customer_lifetime_value(
    transaction_model: TransactionModel | TimeVaryingParetoNBDModel,
    spend_model: GammaGammaModel,
    summary: SparkFrame,
    *,
    horizon: Horizon,
    discount_rate: float = 0.1,
    discount_per: Literal["year", "period"] = "year",
    period: str | None = None,
    interval: Interval | None = None,
    level: float = 0.95,
    n_boot: int = 200,
    random_state: int | np.random.Generator | None = None,
    progress: Progress = "auto",
) -> SparkFrame: ...


def customer_lifetime_value(
    transaction_model: TransactionModel | TimeVaryingParetoNBDModel,
    spend_model: GammaGammaModel,
    summary: pd.DataFrame | TimeVaryingSummary | SparkFrame,
    *,
    horizon: Horizon,
    discount_rate: float = 0.1,
    discount_per: Literal["year", "period"] = "year",
    period: str | None = None,
    interval: Interval | None = None,
    level: float = 0.95,
    n_boot: int = 200,
    random_state: int | np.random.Generator | None = None,
    progress: Progress = "auto",
) -> pd.DataFrame | SparkFrame:
    """Value each customer: discounted expected spend over the next ``horizon``.

    Cash flows are counted per period: the purchases expected in period k
    (from the transaction model, given the customer's history) times the
    expected spend per purchase (from the spend model), discounted by
    (1 + d) ** -k with d the per-period rate.

    Parameters
    ----------
    transaction_model
        A fitted :class:`BetaGeoModel`, :class:`ModifiedBetaGeoModel`,
        :class:`ParetoNBDModel` or :class:`TimeVaryingParetoNBDModel` (whose
        forecast follows the covariates over the horizon: give the assumed
        calendar with :meth:`TimeVaryingSummary.with_future_covariates`).
    spend_model
        A fitted :class:`GammaGammaModel`.
    summary
        Customers' ``frequency``, ``recency``, ``T`` and ``monetary_value``;
        for a time-varying model, the :class:`TimeVaryingSummary` it scores.
        A Spark DataFrame (with ``customer_id``) is valued on the executors
        by the pandas code, the fitted models travelling pickled; nothing is
        collected.
    horizon
        How far ahead to value: a duration such as ``"52W"``, ``"90D"``,
        ``"3M"``, ``"2Q"``, ``"1Y"`` or a :class:`pandas.Timedelta`, converted
        to the summary's period (days and weeks exactly; months, quarters and
        years at their mean lengths, as ``rfm_summary``'s ``time_unit``), or
        a plain number of the summary's periods (52 is a year on a weekly
        summary, under two months on a daily one). Either way the period must
        be known: from the model (``period_``), the summary
        (``attrs["period"]``) or ``period``. A fractional last period is
        valued in proportion.
    discount_rate
        Discount rate, per year by default.
    discount_per
        ``"year"`` (converted to the period using ``period``) or ``"period"``.
    period
        The summary's period, for a model and summary that do not record it
        (e.g. the published CDNOW table). It must agree with any recorded
        one: a horizon in another unit is given as a duration instead.
    interval
        ``None``, ``"delta"`` (from both models' parameter covariances, taken
        as independent) or ``"bootstrap"`` (both models refitted on customer
        bases simulated from them, each customer observed for their own ``T``).
    level
        Confidence level of the interval.
    n_boot
        Bootstrap replicates.
    random_state
        Seed for the bootstrap.
    progress
        Bootstrap progress bar: ``"auto"`` shows one when the refits are
        expected to take over 2 s and a terminal or notebook watches,
        ``True`` always (raising if tqdm, the ``progress`` extra, is
        missing), ``False`` never.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``summary``: ``p_alive``, ``expected_purchases`` (over
        the horizon, undiscounted), ``expected_spend`` (per purchase) and
        ``clv`` (discounted); with an interval also ``clv_lower`` and
        ``clv_upper``. ``attrs`` records ``period`` and ``horizon`` (in
        those periods), the horizon as valued.
    pyspark.sql.DataFrame
        For a Spark summary: ``customer_id`` and the same columns, the
        ``attrs`` carried in ``customer_id``'s metadata. ``interval="bootstrap"``
        is refused on Spark (it refits on simulated customer bases).

    Raises
    ------
    DataContractError
        If the horizon is no positive duration, the period is unknown, or two
        periods disagree (``period`` and the model's, or the model's and the
        summary's ``attrs["period"]``), naming both; or ``progress`` is not
        ``True``, ``False`` or ``"auto"``.
    MissingDependencyError
        If ``progress=True`` with a bootstrap and tqdm is not installed.
    ConvergenceError
        If no bootstrap refit gave finite values (``interval="bootstrap"``),
        or a model's covariance is unavailable (``interval="delta"``).

    Examples
    --------
    >>> from one2one.clv import BetaGeoModel, GammaGammaModel, customer_lifetime_value
    >>> from one2one.datasets import load_cdnow_summary
    >>> summary = load_cdnow_summary()
    >>> value = customer_lifetime_value(
    ...     BetaGeoModel().fit(summary), GammaGammaModel().fit(summary), summary,
    ...     horizon="52W", discount_rate=0.1, period="W",  # the published table is in weeks
    ... )
    >>> list(value.columns), value.attrs
    (['p_alive', 'expected_purchases', 'expected_spend', 'clv'], {'period': 'W', 'horizon': 52.0})
    """
    if is_spark_frame(summary):
        if isinstance(transaction_model, TimeVaryingParetoNBDModel):
            msg = "a TimeVaryingParetoNBDModel values a TimeVaryingSummary, not a Spark frame."
            raise DataContractError(msg, column="summary")
        valuer = partial(
            customer_lifetime_value,
            transaction_model,
            spend_model,
            horizon=horizon,
            discount_rate=discount_rate,
            discount_per=discount_per,
            period=period,
            interval=interval,
            level=level,
            progress=progress,
        )
        return transaction_model._score_spark(summary, valuer, interval=interval)  # noqa: SLF001
    summary = cast("pd.DataFrame | TimeVaryingSummary", summary)
    progress = check_progress(progress)
    if isinstance(transaction_model, TimeVaryingParetoNBDModel) or isinstance(
        summary, TimeVaryingSummary
    ):
        return _time_varying_value(
            transaction_model,
            spend_model,
            summary,
            horizon=horizon,
            rate=(discount_rate, discount_per),
            period=period,
            interval=check_interval(interval, level),
        )
    columns, inverse = transaction_model.validated_columns(summary)  # fitted, same period
    unit = agreed_period(
        fitted=transaction_model.period_, summary=summary.attrs.get("period"), given=period
    )
    length = horizon_periods(horizon, unit)
    rate = per_period_rate(discount_rate, per=discount_per, period=unit)
    kind, level = check_interval(interval, level)
    spend_columns, spend_inverse = spend_model.validated_columns(summary)
    spend_model.mean_spend()  # refuses q <= 1
    edges = np.append(np.arange(1.0, np.ceil(length)), length)
    discount = (1.0 + rate) ** -edges
    k = len(transaction_model.params_)

    def value(theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Per customer: discounted value and undiscounted purchases, at parameters theta."""
        purchases = transaction_model.cumulative_on_columns(columns, edges.tolist(), theta[:k])
        cumulative = np.vstack([np.zeros_like(columns[0]), purchases])
        discounted = discount @ np.diff(cumulative, axis=0)
        spend = gammagamma_conditional_spend(theta[k:], *spend_columns)
        return discounted[inverse] * spend[spend_inverse], cumulative[-1][inverse]

    theta = np.concatenate([transaction_model.params_, spend_model.params_])
    clv, purchases = value(theta)
    result = pd.DataFrame(
        {
            "p_alive": transaction_model.p_alive_on_columns(columns)[inverse],
            "expected_purchases": purchases,
            "expected_spend": gammagamma_conditional_spend(theta[k:], *spend_columns)[
                spend_inverse
            ],
            "clv": clv,
        },
        index=summary.index,
    )
    result.attrs.update({"period": unit, "horizon": length})
    if kind == "delta":
        covariance = block_diag(transaction_model.estimate()[1], spend_model.estimate()[1])
        lower, upper = delta_interval(lambda p: value(p)[0], theta, covariance, level)
    elif kind == "bootstrap":
        spend_params = {str(n): float(v) for n, v in spend_model.params_.items()}

        def simulate(rng: np.random.Generator) -> list[pd.DataFrame]:
            lengths = bootstrap_lengths(transaction_model, summary, rng)
            return [transaction_model.simulate_summary(lengths, rng, spend_params)] * 2

        draws = bootstrap_draws(
            [transaction_model, spend_model],
            simulate,
            n_boot=n_boot,
            random_state=random_state,
            progress=progress,
        )
        lower, upper = percentile_interval(
            np.stack([value(np.concatenate(d))[0] for d in draws]), level
        )
    if kind is not None:
        result["clv_lower"] = np.clip(lower, 0.0, None)
        result["clv_upper"] = np.clip(upper, 0.0, None)
    return result


def _time_varying_value(
    model: TransactionModel | TimeVaryingParetoNBDModel,
    spend_model: GammaGammaModel,
    data: pd.DataFrame | TimeVaryingSummary,
    *,
    horizon: Horizon,
    rate: tuple[float, Literal["year", "period"]],
    period: str | None,
    interval: tuple[Interval | None, float],
) -> pd.DataFrame:
    """Lifetime value with a time-varying model: the cash flows follow the covariates."""
    if not isinstance(model, TimeVaryingParetoNBDModel) or not isinstance(data, TimeVaryingSummary):
        msg = (
            "a TimeVaryingParetoNBDModel must be valued on a TimeVaryingSummary, and a "
            f"TimeVaryingSummary with that model (got {type(model).__name__} and "
            f"{type(data).__name__})."
        )
        raise DataContractError(msg, column="summary", value=type(data).__name__)
    kind, level = interval
    if kind == "bootstrap":
        msg = (
            "interval must be None or 'delta' for a time-varying model (got 'bootstrap'); "
            "refitting on simulated bases needs the covariate calendar simulated too."
        )
        raise DataContractError(msg, column="interval", value=kind)
    summary = data.summary
    unit = agreed_period(fitted=model.period_, summary=summary.attrs.get("period"), given=period)
    length = horizon_periods(horizon, unit)
    per_period = per_period_rate(rate[0], per=rate[1], period=unit)
    spend_columns, spend_inverse = spend_model.validated_columns(summary)
    spend_model.mean_spend()  # refuses q <= 1
    edges = np.append(np.arange(1.0, np.ceil(length)), length)
    discount = (1.0 + per_period) ** -edges
    k = len(model.params_)

    def value(theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        purchases = model.cumulative_purchases(data, edges.tolist(), theta[:k])
        cumulative = np.vstack([np.zeros(purchases.shape[1]), purchases])
        spend = gammagamma_conditional_spend(theta[k:], *spend_columns)[spend_inverse]
        return (discount @ np.diff(cumulative, axis=0)) * spend, cumulative[-1]

    theta = np.concatenate([model.params_, spend_model.params_])
    clv, purchases = value(theta)
    result = pd.DataFrame(
        {
            "p_alive": model.predict_proba_alive(data).to_numpy(),
            "expected_purchases": purchases,
            "expected_spend": gammagamma_conditional_spend(theta[k:], *spend_columns)[
                spend_inverse
            ],
            "clv": clv,
        },
        index=summary.index,
    )
    result.attrs.update({"period": unit, "horizon": length})
    if kind == "delta":
        covariance = block_diag(model.estimate()[1], spend_model.estimate()[1])
        lower, upper = delta_interval(lambda p: value(p)[0], theta, covariance, level)
        result["clv_lower"] = np.clip(lower, 0.0, None)
        result["clv_upper"] = np.clip(upper, 0.0, None)
    return result
