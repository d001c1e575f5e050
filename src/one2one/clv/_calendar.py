"""Calendar covariates: the season and the holidays, as numbers a model can weigh.

Seasonality enters the time-varying Pareto/NBD as covariates like any
other: a yearly cycle as Fourier pairs (a few smooth terms fit any yearly
shape without a parameter per week), months as indicators when the shape is
stepwise, and holiday periods as indicators. One table serves every
customer (a calendar has no ``customer_id``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import cast

import numpy as np
import pandas as pd

from .._validation import require_number, require_one_of
from ..errors import DataContractError

__all__ = ["calendar_covariates"]

_DAYS = {"D": 1, "W": 7}


def _dates(marked: Iterable[object] | str | dt.date | np.datetime64, name: str) -> pd.DatetimeIndex:
    # One date (a Timestamp is a date too) is a list of one, not a string of characters.
    one = isinstance(marked, str | dt.date | np.datetime64)
    values = [marked] if one else list(cast("Iterable[object]", marked))
    try:
        dates = pd.DatetimeIndex([pd.Timestamp(str(v)) for v in values])
    except ValueError as exc:
        msg = f"holidays[{name!r}] must hold dates (got {values!r}); {exc}."
        raise DataContractError(msg, column=name, value=values) from exc
    return dates.tz_localize(None) if dates.tz is not None else dates


def calendar_covariates(
    start: object,
    periods: int,
    *,
    freq: str = "W",
    fourier: int = 1,
    months: bool = False,
    holidays: Mapping[str, Iterable[object] | str | dt.date | np.datetime64] | None = None,
) -> pd.DataFrame:
    """Build calendar covariates for every period from ``start``.

    Weekly periods start on Monday (the week of ``start``), as one2one's
    weeks do everywhere. Values describe the middle of each period, so a
    week that straddles two months counts for the one with more of its days.

    Parameters
    ----------
    start
        A date; the first period is the one containing it.
    periods
        Number of periods.
    freq
        ``"W"`` (weeks from Monday) or ``"D"`` (days).
    fourier
        Number of yearly Fourier pairs ``season_sin``/``season_cos``,
        ``season_sin2``/``season_cos2``, ...; 0 for none.
    months
        Add indicators ``month_2`` ... ``month_12`` (January is the baseline,
        so the indicators do not duplicate the baseline rate).
    holidays
        Indicator columns by name, each from the dates it marks: a period is
        1 if it contains one of them (e.g. ``{"black_friday": ["2024-11-29",
        "2025-11-28"]}``; a single date stands for a list of one).

    Returns
    -------
    pandas.DataFrame
        ``period_start`` (naive dates) and the covariate columns, one row per
        period: pass it as the covariates of
        :func:`~one2one.clv.time_varying_summary` (a calendar, shared by
        every customer), or merge it with per-customer columns.

    Raises
    ------
    DataContractError
        For a non-positive ``periods``, a negative ``fourier``, an unknown
        ``freq``, or holidays that are not dates.
    """
    n = int(require_number(periods, name="periods", low=1, integer=True))
    pairs = int(require_number(fourier, name="fourier", low=0, integer=True))
    unit = require_one_of(freq, tuple(_DAYS), name="freq")
    first = pd.Timestamp(str(start)).tz_localize(None).normalize()
    if unit == "W":
        first -= pd.Timedelta(days=first.day_of_week)
    step = _DAYS[unit]
    begin = pd.date_range(first, periods=n, freq=f"{step}D")
    middle = begin + pd.Timedelta(hours=12 * step)
    table = pd.DataFrame({"period_start": begin})
    angle = 2 * np.pi * (middle.day_of_year.to_numpy() - 1 + middle.hour.to_numpy() / 24) / 365.25
    for k in range(1, pairs + 1):
        suffix = "" if k == 1 else str(k)
        table[f"season_sin{suffix}"] = np.sin(k * angle)
        table[f"season_cos{suffix}"] = np.cos(k * angle)
    if months:
        month = middle.month.to_numpy()
        for m in range(2, 13):
            table[f"month_{m}"] = (month == m).astype(np.float64)
    for name, marked in (holidays or {}).items():
        if name in table.columns:
            msg = f"holidays must not reuse a column name (got {name!r})."
            raise DataContractError(msg, column=name, value=name)
        dates = _dates(marked, name).normalize().to_numpy()
        lo = begin.to_numpy()[:, None]
        inside = (dates[None, :] >= lo) & (dates[None, :] < lo + np.timedelta64(step, "D"))
        table[name] = inside.any(axis=1).astype(np.float64)
    return table
