"""From contracts to the survivor table a contractual retention model is fitted on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import (
    as_utc,
    require_columns,
    require_datetime,
    require_frame,
    require_no_missing,
)
from ..errors import DataContractError
from ._periods import Freq, require_freq

__all__ = ["cohort_survival"]

_OFFSETS: dict[str, pd.DateOffset] = {
    "D": pd.DateOffset(days=1),
    "W": pd.DateOffset(weeks=1),
    "M": pd.DateOffset(months=1),
    "Q": pd.DateOffset(months=3),
    "Y": pd.DateOffset(years=1),
}


def cohort_survival(
    contracts: pd.DataFrame,
    *,
    start: str = "started_at",
    end: str = "ended_at",
    freq: Freq = "M",
    observation_end: object = None,
    assume_tz: str | None = None,
) -> pd.DataFrame:
    """Count, per cohort, the customers still under contract after each renewal period.

    Periods are counted from each customer's own start (contract
    anniversaries), so a customer who started on 15 March and left on 20
    June survived three monthly renewals; one who leaves on an anniversary did
    not renew at it. Customers are grouped into cohorts
    by the calendar period of their start. A cohort is counted at period k
    only once every member's k-th anniversary has passed by
    ``observation_end``, so no cohort is cut off mid-period (right censoring
    stays out of the counts).

    Parameters
    ----------
    contracts
        One row per customer (or contract): ``start`` (time-zone aware) and
        ``end`` (when the customer left; missing while still active).
    start, end
        Column names.
    freq
        The renewal period: ``"D"``, ``"W"``, ``"M"``, ``"Q"`` or ``"Y"``.
    observation_end
        When observation stops (default: the latest start or end).
    assume_tz
        Time zone of naive timestamps; by default they are refused.

    Returns
    -------
    pandas.DataFrame
        Columns ``cohort`` (the start period, as a string such as
        ``"2024-03"``), ``period`` (0, 1, ...) and ``n_alive`` (int64), ready
        for :class:`~one2one.clv.ShiftedBetaGeometricModel`;
        ``attrs["period"]`` is ``freq``.

    Raises
    ------
    DataContractError
        On missing columns or starts, non-datetime columns, an end before its
        start, or an empty table.

    Examples
    --------
    >>> import pandas as pd
    >>> from one2one.clv import cohort_survival
    >>> contracts = pd.DataFrame({
    ...     "started_at": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-01"], utc=True),
    ...     "ended_at": pd.to_datetime(["2024-03-10", None, "2024-02-15"], utc=True),
    ... })
    >>> cohort_survival(contracts, observation_end="2024-06-01").head(4).to_dict("records")
    [{'cohort': '2024-01', 'period': 0, 'n_alive': 2}, {'cohort': '2024-01', 'period': 1, 'n_alive': 2}, {'cohort': '2024-01', 'period': 2, 'n_alive': 2}, {'cohort': '2024-01', 'period': 3, 'n_alive': 1}]
    """  # noqa: E501
    frame = require_frame(contracts, name="contracts")
    freq = require_freq(freq)
    require_columns(frame, [start, end], name="contracts", arguments="start=, end=")
    if frame.empty:
        msg = "contracts is empty; a survivor table needs at least one customer."
        raise DataContractError(msg, column=start)
    require_no_missing(frame, [start], name="contracts")
    require_datetime(frame, start, name="contracts")
    require_datetime(frame, end, name="contracts")
    began = as_utc(frame[start], name=start, assume_tz=assume_tz)
    left = as_utc(frame[end], name=end, assume_tz=assume_tz)
    early = left < began
    if early.any():
        row = frame.index[np.flatnonzero(early.to_numpy())[0]]
        msg = f"contracts column {end!r} is before {start!r} at row {row!r}."
        raise DataContractError(msg, column=end, value=frame.at[row, end], row=row)
    stop = (
        pd.concat([began, left.dropna()]).max()
        if observation_end is None
        else _utc_moment(observation_end)
    )
    cohort = began.dt.tz_localize(None).dt.to_period(freq).astype("string")
    step = _OFFSETS[freq]
    rows: list[tuple[str, int, int]] = []
    k = 0
    anniversary = began.copy()
    while True:
        counted = anniversary <= stop  # this member's k-th anniversary has been seen
        complete = counted.groupby(cohort).all()
        if not complete.any():
            break
        renewed = left.isna() | (left > anniversary) | (k == 0)  # period 0: the whole cohort
        alive = renewed.groupby(cohort).sum()
        rows.extend(
            (str(name), k, int(alive[name])) for name in complete.index[complete.to_numpy()]
        )
        k += 1
        anniversary = began + step * k
    if not rows:
        msg = (
            f"no cohort has a complete period 0 by observation_end ({stop}); "
            "move observation_end later."
        )
        raise DataContractError(msg, column=start, value=str(stop))
    table = pd.DataFrame(rows, columns=["cohort", "period", "n_alive"])
    table = table.sort_values(["cohort", "period"], ignore_index=True)
    table = table.astype({"cohort": "string", "period": "int64", "n_alive": "int64"})
    table.attrs["period"] = freq
    return table


def _utc_moment(moment: object) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)  # type: ignore[arg-type]
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
