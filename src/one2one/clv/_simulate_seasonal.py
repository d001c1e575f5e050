"""A customer base whose purchase and dropout rates follow a calendar, with the truth kept.

Real shops are seasonal: purchases climb towards the holidays and sag in
summer. A plain buy-till-you-die model averages that away, so its forecast
for a holdout that starts before the peak misses by the season. This
simulator draws from the Pareto/NBD with time-varying covariates
(Bachmann, Meierer & Naef 2021): rates lambda * exp(g_p . z(t)) and
mu * exp(g_d . z(t)), z(t) a weekly calendar shared by every customer.
Drawing goes through the exposure clock: with B(t) the integral of
exp(g_p . z) from the first purchase, purchases are a unit-rate Poisson
process in lambda * B(t), and dropout comes when mu * D(t) passes an
Exp(1) draw, so piecewise-constant rates are drawn exactly.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from attrs import frozen

from .._validation import as_generator, require_number
from ..errors import DataContractError

__all__ = ["SimulatedSeasonalBase", "seasonal_calendar", "simulate_seasonal_transactions"]

_GIFT_SEASON = (1120, 1224)  # month * 100 + day: 20 November to 24 December

SEASONAL_PARAMS: Mapping[str, float] = {"r": 0.8, "alpha": 8.0, "s": 0.6, "beta": 30.0}
"""Baseline Pareto/NBD parameters (per week) of the default seasonal base."""

SEASONAL_EFFECTS: Mapping[str, float] = {"season_cos": 0.5, "season_sin": 0.2, "holiday": 0.9}
"""Default purchase effects: a yearly cycle peaking in winter, and the holiday weeks."""


def seasonal_calendar(start: object, weeks: int) -> pd.DataFrame:
    """Weekly calendar covariates from the Monday on or before ``start``.

    ``season_cos`` and ``season_sin`` are a yearly cycle (the first Fourier
    pair of the day of the year: any smooth yearly shape is a mix of a few
    such pairs); ``holiday`` is 1 for weeks that start between 20 November
    and 24 December, the gift season.

    Parameters
    ----------
    start
        A date; the calendar starts on the Monday of its week.
    weeks
        Number of weekly periods.

    Returns
    -------
    pandas.DataFrame
        Columns ``period_start`` (naive dates), ``season_cos``,
        ``season_sin`` and ``holiday``, one row per week.

    Raises
    ------
    DataContractError
        If ``weeks`` is not a positive whole number.
    """
    n = int(require_number(weeks, name="weeks", low=1, integer=True))
    first = pd.Timestamp(str(start)).tz_localize(None).normalize()
    first = first - pd.Timedelta(days=first.day_of_week)
    period = pd.date_range(first, periods=n, freq="7D")
    angle = 2 * np.pi * (period.day_of_year.to_numpy() - 1 + 3.5) / 365.25  # mid-week
    month_day = period.month * 100 + period.day
    holiday = ((month_day >= _GIFT_SEASON[0]) & (month_day <= _GIFT_SEASON[1])).astype(float)
    return pd.DataFrame(
        {
            "period_start": period,
            "season_cos": np.round(np.cos(angle), 6),
            "season_sin": np.round(np.sin(angle), 6),
            "holiday": holiday,
        }
    )


@frozen(eq=False)
class SimulatedSeasonalBase:
    """Transactions drawn from a seasonal Pareto/NBD, the calendar, and the truth.

    Attributes
    ----------
    transactions
        ``customer_id``, ``occurred_at`` (UTC), ``value`` (> 0), one row per purchase.
    covariates
        The calendar for every customer, tidy: ``customer_id``,
        ``period_start`` and the covariate columns, covering the whole
        simulation (calibration and holdout).
    params
        Baseline parameters ``r``, ``alpha``, ``s``, ``beta`` (per week).
    purchase_effects, dropout_effects
        The true coefficients by covariate.
    customers
        Per customer: ``first_purchase_at``, ``purchase_rate`` (lambda),
        ``dropout_rate`` (mu), ``dropout_at`` (NaT if alive at the end).
    observation_end
        The end of the simulation (UTC).
    """

    transactions: pd.DataFrame
    covariates: pd.DataFrame
    params: Mapping[str, float]
    purchase_effects: Mapping[str, float]
    dropout_effects: Mapping[str, float]
    customers: pd.DataFrame
    observation_end: pd.Timestamp


def _effects(effects: Mapping[str, float], calendar: pd.DataFrame, role: str) -> np.ndarray:
    rate = np.zeros(len(calendar))
    for name, value in effects.items():
        if name not in calendar.columns or name == "period_start":
            msg = (
                f"{role} effect must name a calendar column {list(calendar.columns[1:])!r} "
                f"(got {name!r})."
            )
            raise DataContractError(msg, column=name, value=name)
        rate += float(require_number(value, name=f"{role} effect {name!r}")) * calendar[
            name
        ].to_numpy(dtype=np.float64)
    return np.asarray(np.exp(rate), dtype=np.float64)


def simulate_seasonal_transactions(
    n_customers: int = 2000,
    *,
    params: Mapping[str, float] = SEASONAL_PARAMS,
    purchase_effects: Mapping[str, float] = SEASONAL_EFFECTS,
    dropout_effects: Mapping[str, float] | None = None,
    start: object = "2024-01-01",
    acquisition_weeks: int = 26,
    weeks: int = 104,
    calendar: pd.DataFrame | None = None,
    random_state: int | np.random.Generator | None = 0,
) -> SimulatedSeasonalBase:
    """Draw a customer base whose purchase rates follow a yearly cycle.

    Customers arrive uniformly over the first ``acquisition_weeks`` (their
    first purchase, at a uniformly random moment of the day) and are
    observed until ``weeks`` after the calendar starts. With the defaults a
    calibration year followed by a holdout year shows the season in both.

    Parameters
    ----------
    n_customers
        Number of customers.
    params
        Baseline Pareto/NBD parameters ``r``, ``alpha``, ``s``, ``beta``, per week.
    purchase_effects, dropout_effects
        Coefficients by calendar column; a rate is multiplied by
        ``exp(coefficient * value)`` in each week.
    start
        First day of the calendar (moved back to its Monday).
    acquisition_weeks
        Weeks over which customers make their first purchase.
    weeks
        Length of the simulation in weeks.
    calendar
        Weekly covariates (``period_start`` every 7 days, then numeric
        columns) to use instead of :func:`seasonal_calendar`.
    random_state
        Seed or generator.

    Returns
    -------
    SimulatedSeasonalBase
        The transactions, the tidy covariates and the truth.

    Raises
    ------
    DataContractError
        For non-positive sizes or parameters, an effect on an unknown
        column, or a calendar that is not weekly.
    """
    n = int(require_number(n_customers, name="n_customers", low=1, integer=True))
    n_weeks = int(require_number(weeks, name="weeks", low=1, integer=True))
    acquisition = int(
        require_number(
            acquisition_weeks, name="acquisition_weeks", low=1, high=n_weeks, integer=True
        )
    )
    r, alpha, s, beta = (
        float(require_number(params.get(k), name=f"params[{k!r}]", low=0, low_inclusive=False))
        for k in ("r", "alpha", "s", "beta")
    )
    table = (
        seasonal_calendar(start, n_weeks) if calendar is None else calendar.reset_index(drop=True)
    )
    if (
        len(table) < n_weeks
        or not (np.diff(table["period_start"].to_numpy()) == np.timedelta64(7, "D")).all()
    ):
        msg = f"calendar must have {n_weeks} weekly rows, 7 days apart (got {len(table)} rows)."
        raise DataContractError(msg, column="period_start", value=len(table))
    table = table.iloc[:n_weeks]
    dropout_effects = {} if dropout_effects is None else dropout_effects
    a_rate = _effects(purchase_effects, table, "purchase")
    c_rate = _effects(dropout_effects, table, "dropout")
    rng = as_generator(random_state)
    # Exposure clocks in weeks from the calendar's start, at every week boundary.
    edges = np.arange(n_weeks + 1, dtype=np.float64)
    b_clock = np.concatenate([[0.0], np.cumsum(a_rate)])
    d_clock = np.concatenate([[0.0], np.cumsum(c_rate)])
    first_day = rng.integers(0, acquisition * 7, n)
    born = (first_day + rng.uniform(0.0, 1.0, n)) / 7.0  # weeks from the start
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    b0 = np.interp(born, edges, b_clock)
    d0 = np.interp(born, edges, d_clock)
    death_clock = d0 + rng.exponential(1.0, n) / mu
    died = death_clock < d_clock[-1]
    death = np.where(died, np.interp(death_clock, d_clock, edges), np.inf)
    stop = np.minimum(death, float(n_weeks))
    owners, times = [np.arange(n)], [born]
    clock = b0.copy()
    active = np.arange(n)
    while active.size:
        clock[active] += rng.exponential(1.0, active.size) / lam[active]
        when = np.interp(clock[active], b_clock, edges, right=np.inf)
        bought = when < stop[active]
        owners.append(active[bought])
        times.append(when[bought])
        active = active[bought]
    owner = np.concatenate(owners)
    weeks_at = np.concatenate(times)
    order = np.lexsort((weeks_at, owner))
    origin = pd.Timestamp(table["period_start"].iloc[0]).tz_localize("UTC")
    seconds = np.round(weeks_at[order] * 7 * 86_400).astype(np.int64)
    occurred = origin + pd.to_timedelta(seconds, unit="s")
    transactions = pd.DataFrame(
        {
            "customer_id": owner[order].astype(np.int64),
            "occurred_at": occurred,
            "value": np.round(rng.gamma(6.0, 6.0, owner.size), 2) + 1.0,
        }
    )
    ids = np.repeat(np.arange(n, dtype=np.int64), len(table))
    covariates = pd.concat([table] * n, ignore_index=True)
    covariates.insert(0, "customer_id", ids)
    customers = pd.DataFrame(
        {
            "first_purchase_at": origin + pd.to_timedelta(np.round(born * 7 * 86_400), unit="s"),
            "purchase_rate": lam,
            "dropout_rate": mu,
            "dropout_at": origin
            + pd.to_timedelta(np.where(died, np.round(death * 7 * 86_400), np.nan), unit="s"),
        },
        index=pd.Index(np.arange(n, dtype=np.int64), name="customer_id"),
    )
    return SimulatedSeasonalBase(
        transactions=transactions,
        covariates=covariates,
        params={"r": r, "alpha": alpha, "s": s, "beta": beta},
        purchase_effects=dict(purchase_effects),
        dropout_effects=dict(dropout_effects),
        customers=customers,
        observation_end=origin + pd.Timedelta(weeks=n_weeks) - pd.Timedelta(seconds=1),
    )
