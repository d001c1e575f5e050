"""Calendar periods: the time unit of a summary, and its conversion to ordinals and years."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._validation import as_utc, require_one_of
from ..errors import DataContractError

__all__ = [
    "DAYS_PER_PERIOD",
    "PERIODS_PER_YEAR",
    "Freq",
    "Horizon",
    "agreed_period",
    "horizon_periods",
    "period_ordinals",
    "require_freq",
]

Freq = Literal["D", "W", "M", "Q", "Y"]

Horizon: TypeAlias = float | str | pd.Timedelta | dt.timedelta | np.timedelta64
"""A horizon: a number of the summary's periods, ``"52W"``-style text, or a timedelta."""

DAYS_PER_PERIOD: dict[str, float] = {
    "D": 1.0,
    "W": 7.0,
    "M": 365.25 / 12,
    "Q": 365.25 / 4,
    "Y": 365.25,
}
"""Length of each period in days: days and weeks exact, longer ones at their mean length."""

PERIODS_PER_YEAR: dict[str, float] = {code: 365.25 / days for code, days in DAYS_PER_PERIOD.items()}
"""How many of each period make one (Julian) year, for rate and time-unit conversion."""

_DURATION = re.compile(r"(?P<count>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>[DWMQY])")

_NAMES: dict[Freq, str] = {"D": "days", "W": "weeks", "M": "months", "Q": "quarters", "Y": "years"}


def require_freq(freq: object) -> Freq:
    """Return ``freq`` if it is a supported period code, else raise a DataContractError."""
    codes: list[Freq] = ["D", "W", "M", "Q", "Y"]
    return require_one_of(freq, codes, name="freq")


def period_name(freq: Freq) -> str:
    """Return the plural name of a period code, for messages and labels."""
    return _NAMES[freq]


def period_ordinals(
    values: pd.Series, *, freq: Freq, tz: str, name: str, assume_tz: str | None = None
) -> NDArray[np.int64]:
    """Return the ordinal of the calendar period (in time zone ``tz``) of each timestamp.

    Weeks start on Monday. Ordinals are consecutive integers, so differences
    are counts of whole periods.
    """
    utc = as_utc(values, name=name, assume_tz=assume_tz)
    try:
        local = utc.dt.tz_convert(tz).dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    except (ValueError, KeyError) as exc:  # zoneinfo's "not found" is a KeyError
        msg = f"'tz' must be a known time zone such as 'UTC' or 'Europe/Paris' (got {tz!r})."
        raise DataContractError(msg, column="tz", value=tz) from exc
    ordinals: NDArray[np.int64]
    if freq in ("D", "W"):
        ordinals = local.astype("datetime64[D]").astype(np.int64)
        # 1970-01-01 was a Thursday: shifting by 3 days makes weeks start on Monday.
        return ordinals if freq == "D" else (ordinals + 3) // 7
    if freq == "Y":
        ordinals = local.astype("datetime64[Y]").astype(np.int64)
        return ordinals
    ordinals = local.astype("datetime64[M]").astype(np.int64)
    return ordinals if freq == "M" else ordinals // 3


def timestamp_ordinal(moment: object, *, freq: Freq, tz: str, name: str) -> int:
    """Return the period ordinal of one timestamp (naive ones are taken in ``tz``)."""
    stamp = pd.Timestamp(moment)  # type: ignore[arg-type]
    stamp = stamp.tz_localize(tz) if stamp.tz is None else stamp
    series = pd.Series([stamp])
    return int(period_ordinals(series, freq=freq, tz=tz, name=name)[0])


def convert_periods(value: float, unit: Freq, into: Freq) -> float:
    """Express ``value`` periods of ``unit`` in periods of ``into``.

    Days and weeks convert exactly (364 days are 52.0 weeks); months,
    quarters and years at their mean lengths, as ``rfm_summary``'s
    ``time_unit`` does, since both read :data:`DAYS_PER_PERIOD`.
    """
    return value * DAYS_PER_PERIOD[unit] / DAYS_PER_PERIOD[into]


def _known_code(value: object, *, name: str) -> Freq | None:
    """Return a recorded period (``None`` when none was recorded); refuse an unknown code."""
    if value is None:
        return None
    codes: list[Freq] = ["D", "W", "M", "Q", "Y"]
    return require_one_of(value, codes, name=name)


def _described(code: Freq, where: str) -> str:
    return f"{period_name(code)} ({where}={code!r})"


def agreed_period(*, fitted: object, summary: object, given: object = None) -> Freq | None:
    """Return the one period of a prediction, refusing contradictions.

    A model's rates are per the period of the summary it was fitted on
    (``period_``), a summary's ``recency`` and ``T`` are in its
    ``attrs["period"]``, and a caller may state the period (``period=``) when
    neither records it. Reading one in the unit of another changes every
    number silently (a 52-week horizon becomes 52 days), so any two that are
    known must agree.

    Parameters
    ----------
    fitted
        The model's ``period_`` (``None``: not recorded).
    summary
        The summary's ``attrs.get("period")``.
    given
        The caller's ``period=`` argument.

    Returns
    -------
    str or None
        The agreed period code, ``None`` when none is known.

    Raises
    ------
    DataContractError
        If two known periods differ (naming both) or one is no period code.
    """
    model = _known_code(fitted, name="period_")
    table = _known_code(summary, name="attrs['period']")
    stated = _known_code(given, name="period")
    if model is not None and table is not None and model != table:
        recorded = _described(table, "attrs['period']")
        msg = (
            f"the model was fitted on a summary in {_described(model, 'period_')} but this "
            f"summary is in {recorded}; recency and T would be "
            "read in the wrong unit. Build both summaries with the same freq and time_unit."
        )
        raise DataContractError(msg, column="period", value=table)
    known = model or table
    if stated is not None and known is not None and stated != known:
        where = "the model was fitted on a summary" if model is not None else "the summary is"
        msg = (
            f"period={stated!r} ({period_name(stated)}) contradicts the recorded period: "
            f"{where} in {period_name(known)} ({known!r}). Drop period=, and give the horizon "
            "as a duration such as '52W' or '1Y' to have it converted."
        )
        raise DataContractError(msg, column="period", value=stated)
    return stated or known


_STATE_THE_PERIOD = (
    "Pass period='W' (or 'D', 'M', 'Q', 'Y': the unit of recency and T), or build the "
    "summary with rfm_summary, which records it."
)


def horizon_periods(
    horizon: object, period: Freq | None, *, name: str = "horizon", fix: str = _STATE_THE_PERIOD
) -> float:
    """Return a horizon as a number of ``period``s.

    A plain number already counts the summary's periods; ``"52W"``,
    ``"90D"``, ``"3M"``, ``"2Q"``, ``"1Y"`` (a number and a period code) and
    timedeltas are converted with :func:`convert_periods`. Either way the
    period must be known: a bare 52 is a year on a weekly summary and under
    two months on a daily one.

    ``fix`` ends the message for an unknown period: how the caller can state it.

    Raises
    ------
    DataContractError
        If ``horizon`` is no positive finite number or duration (column
        ``name``), or ``period`` is unknown (column ``period``).
    """
    days: float | None = None
    count: float | None = None
    unit: Freq | None = None
    if isinstance(horizon, (bool, np.bool_)):
        pass
    elif isinstance(horizon, (dt.timedelta, np.timedelta64)):  # before numbers: see numpy
        days = pd.Timedelta(horizon) / pd.Timedelta(days=1)  # pd.Timedelta is a timedelta
    elif isinstance(horizon, (int, float, np.integer, np.floating)):
        count = float(horizon)
    elif isinstance(horizon, str):
        match = _DURATION.fullmatch(horizon.strip())
        if match is not None:
            count, unit = float(match["count"]), require_freq(match["unit"])
    valid = count if days is None else days
    if valid is None or not math.isfinite(valid) or valid <= 0:
        msg = (
            f"'{name}' must be a positive number of the summary's periods (e.g. 52), a "
            "duration such as '52W', '90D', '3M', '2Q' or '1Y' (periods D, W, M, Q, Y in "
            f"capitals), or a positive pandas.Timedelta (got {horizon!r})."
        )
        raise DataContractError(msg, column=name, value=horizon)
    if period is None:
        msg = (
            f"{name}={horizon!r} cannot be read: the summary's period is unknown (neither "
            f"the model's period_ nor the summary's attrs['period'] records it). {fix}"
        )
        raise DataContractError(msg, column="period", value=horizon)
    if days is not None:
        return convert_periods(days, "D", period)
    if unit is not None:
        return convert_periods(valid, unit, period)
    return valid
