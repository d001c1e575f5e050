"""Calendar periods: the time unit of a summary, and its conversion to ordinals and years."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._validation import as_utc, require_one_of
from ..errors import DataContractError

__all__ = ["PERIODS_PER_YEAR", "Freq", "period_ordinals", "require_freq"]

Freq = Literal["D", "W", "M", "Q", "Y"]

PERIODS_PER_YEAR: dict[str, float] = {
    "D": 365.25,
    "W": 365.25 / 7,
    "M": 12.0,
    "Q": 4.0,
    "Y": 1.0,
}
"""How many of each period make one (Julian) year, for discount-rate conversion."""

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
