"""Time-varying covariates aligned to each customer's observation window.

A covariate table is tidy: one row per customer and covariate period, with
the period's start date and the covariate values that hold from that start
until the next period starts. Periods are a regular calendar grid (every
week, say) shared by all customers. Alignment is explicit: every customer
needs a row for every period their window touches, once; a gap, a repeated
period or a start off the grid is a typed error that names the customer and
the date, because a silently filled gap would bias the coefficients.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd
from attrs import evolve, field, frozen
from numpy.typing import NDArray

from .._validation import (
    require_columns,
    require_datetime,
    require_frame,
    require_no_missing,
    require_numeric,
    require_one_of,
)
from ..errors import DataContractError
from ._dyncov import Pieces
from ._periods import DAYS_PER_PERIOD, Freq
from ._summary import Returns, SummaryOccasions, summary_with_occasions

__all__ = ["TimeVaryingSummary", "time_varying_summary"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_NS_PER_DAY = 86_400 * 10**9


def _period_start_day(ordinal: IntArray, freq: Freq) -> IntArray:
    """Day number (days since 1970-01-01) of the start of each period ordinal."""
    return ordinal if freq == "D" else ordinal * 7 - 3  # weeks start on Monday


def _day_text(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _plain(value: object) -> object:
    """Return a numpy scalar as the Python value it holds: messages show 1, not np.int64(1)."""
    return value.item() if isinstance(value, np.generic) else value


_MONDAY = 4  # day number of 1970-01-05, the first Monday


@frozen
class CovariateGrid:
    """Covariate values on a regular grid of periods, looked up by (customer, period).

    A calendar (``shared``) is stored once, keyed by period alone, however
    many customers it serves: a weekly calendar for a million customers is
    a few hundred rows, not a hundred million.
    """

    names: tuple[str, ...]
    first_day: int  # day number of the first period start
    step: int  # days per period
    keys: IntArray  # customer * n_periods + period (period alone if shared), sorted
    table: FloatArray  # rows of ``keys``, one column per name
    n_periods: int
    shared: bool = False
    n_customers: int = 0
    shift: int = 0  # days the time axis is ahead of the calendar (see _exposure_grid)

    def _per_customer(self, n_periods: int) -> tuple[IntArray, FloatArray]:
        """Keys re-based on ``n_periods``, a calendar copied out to every customer."""
        if not self.shared:
            keys = (self.keys // self.n_periods) * n_periods + self.keys % self.n_periods
            return keys, self.table
        everyone = np.arange(self.n_customers, dtype=np.int64)[:, None] * n_periods
        return (everyone + self.keys[None, :]).ravel(), np.tile(self.table, (self.n_customers, 1))

    def period_of(self, day: FloatArray | IntArray) -> IntArray:
        """Index of the period containing each day (negative before the grid)."""
        return np.floor_divide(np.asarray(day) - self.first_day, self.step).astype(np.int64)

    def start_of(self, period: IntArray) -> IntArray:
        """Day number of each period's start."""
        return self.first_day + self.step * np.asarray(period, dtype=np.int64)

    def merged(self, other: CovariateGrid) -> CovariateGrid:
        """Return this grid with ``other``'s rows added; ``other`` wins where both give a period."""
        n_periods = max(self.n_periods, other.n_periods)
        shared = self.shared and other.shared
        if shared:
            mine, my_table = self.keys, self.table
            theirs, their_table = other.keys, other.table
        else:
            mine, my_table = self._per_customer(n_periods)
            theirs, their_table = other._per_customer(n_periods)
        kept = ~np.isin(mine, theirs)
        keys = np.concatenate([mine[kept], theirs])
        table = np.concatenate([my_table[kept], their_table])
        order = np.argsort(keys, kind="stable")
        return CovariateGrid(
            names=self.names,
            first_day=self.first_day,
            step=self.step,
            keys=keys[order],
            table=table[order],
            n_periods=n_periods,
            shared=shared,
            n_customers=max(self.n_customers, other.n_customers),
        )

    def lookup(
        self,
        customer: IntArray,
        period: IntArray,
        ids: pd.Index,
        fix: str = "add the row, or end the window earlier (calibration_end / observation_end)",
    ) -> IntArray:
        """Row of each (customer, period) in ``table``; a missing one is a typed error."""
        key = period if self.shared else customer * self.n_periods + period
        inside = (period >= 0) & (period < self.n_periods)
        position = np.searchsorted(self.keys, np.where(inside, key, 0))
        position = np.minimum(position, max(self.keys.size - 1, 0))
        found = inside & (self.keys.size > 0)
        found &= self.keys[position] == key if self.keys.size else False
        if not np.all(found):
            bad = int(np.flatnonzero(~found)[0])
            start = _day_text(int(self.start_of(period[bad : bad + 1])[0]) + self.shift)
            who = ids[int(customer[bad])]
            whose = "the calendar" if self.shared else f"customer {who!r}"
            msg = (
                f"covariates must have a row for every period of each customer's window "
                f"(got none for {whose}, period starting {start}); {fix}."
            )
            raise DataContractError(msg, column="period_start", value=start, row=who)
        return position


def read_covariates(
    covariates: object,
    *,
    customer_id: str,
    period_start: str,
    tz: str,
    ids: pd.Index,
    name: str = "covariates",
    grid: CovariateGrid | None = None,
) -> CovariateGrid:
    """Validate a tidy covariate table and index it on a regular grid of periods.

    Customers not in ``ids`` are ignored (covariates for a larger base are
    fine); ``grid`` fixes the grid and names (for future covariates, which
    must continue the fitted grid). A table without the ``customer_id``
    column is a calendar that holds for every customer.
    """
    frame = require_frame(covariates, name=name)
    shared = customer_id not in frame.columns and period_start in frame.columns
    require_columns(
        frame,
        [period_start] if shared else [customer_id, period_start],
        name=name,
        arguments="customer_id=, period_start=",
    )
    names = tuple(c for c in frame.columns if c not in (customer_id, period_start))
    if grid is not None:
        missing = [c for c in grid.names if c not in names]
        if missing:
            msg = (
                f"{name} must have the fitted covariate columns {list(grid.names)!r} "
                f"(got no {missing[0]!r})."
            )
            raise DataContractError(msg, column=missing[0])
        names = grid.names
    if not names:
        msg = (
            f"{name} must have at least one covariate column besides {customer_id!r} "
            f"and {period_start!r}."
        )
        raise DataContractError(msg, column=period_start)
    require_no_missing(frame, [*([] if shared else [customer_id]), period_start, *names], name=name)
    for column in names:
        require_numeric(frame, column, name=name)
        values = frame[column].to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(values)):
            row = frame.index[np.flatnonzero(~np.isfinite(values))[0]]
            value = frame.at[row, column]
            msg = f"{name} column {column!r} must be finite (got {value!r} at row {row!r})."
            raise DataContractError(msg, column=column, value=frame.at[row, column], row=row)
    day = _days(frame, period_start, tz=tz, name=name)
    customer = (
        np.zeros(len(frame), dtype=np.intp)
        if shared
        else ids.get_indexer(pd.Index(frame[customer_id]))
    )
    keep = customer >= 0
    if not shared and len(frame) and not keep.any():
        sample = _plain(frame[customer_id].iloc[0])
        msg = (
            f"{name} column {customer_id!r} must hold the summary's customer ids (got none of "
            f"its {len(ids)} customers: {sample!r} ({type(sample).__name__}) here, "
            f"{_plain(ids[0])!r} ({type(_plain(ids[0])).__name__}) in the transactions); "
            "convert one of the two columns so that they match."
        )
        raise DataContractError(msg, column=customer_id, value=sample)
    if grid is None:
        grid = _grid(day[keep] if keep.any() else day, names, name=name, column=period_start)
    offset = (day - grid.first_day) % grid.step
    if np.any(offset != 0):
        row = frame.index[np.flatnonzero(offset != 0)[0]]
        msg = (
            f"{name} column {period_start!r} must start periods on the grid of every "
            f"{grid.step} day(s) from {_day_text(grid.first_day)} (got "
            f"{frame.at[row, period_start]!r} at row {row!r}, which overlaps a period)."
        )
        raise DataContractError(
            msg, column=period_start, value=frame.at[row, period_start], row=row
        )
    period = grid.period_of(day)
    keep &= period >= 0  # periods before the grid's first are cut, as they precede every window
    last = int(period[keep].max()) + 1 if keep.any() else 1
    n_periods = max(grid.n_periods, last) if grid.keys.size or grid.n_periods else last
    key = customer[keep].astype(np.int64) * n_periods + period[keep]
    order = np.argsort(key, kind="stable")
    key = key[order]
    repeated = np.flatnonzero(np.diff(key) == 0)
    if repeated.size:
        row = frame.index[np.flatnonzero(keep)[order[repeated[0] + 1]]]
        who = "a calendar" if shared else f"customer {_plain(frame.at[row, customer_id])!r}"
        msg = (
            f"{name} must have one row per customer and period (got {who} "
            f"twice for the period starting {frame.at[row, period_start]!r}, at row {row!r})."
        )
        raise DataContractError(
            msg, column=period_start, value=frame.at[row, period_start], row=row
        )
    table = frame.loc[keep, list(names)].to_numpy(dtype=np.float64)[order]
    return CovariateGrid(
        names=names,
        first_day=grid.first_day,
        step=grid.step,
        keys=key,
        table=table,
        n_periods=n_periods,
        shared=shared,
        n_customers=len(ids),
    )


def _days(frame: pd.DataFrame, column: str, *, tz: str, name: str) -> IntArray:
    """Calendar day numbers of period starts (naive dates are days of ``tz``'s calendar)."""
    require_datetime(frame, column, name=name)
    values = frame[column]
    zone = None
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        zone = str(values.dtype.tz)
        values = values.dt.tz_convert(tz).dt.tz_localize(None)
    ns = values.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    off = ns % _NS_PER_DAY != 0
    if off.any():
        at = int(np.flatnonzero(off)[0])
        row = frame.index[at]
        given = frame.at[row, column]
        if zone is not None and zone != tz:
            stamp = cast("pd.Timestamp", given).isoformat()
            local = pd.Timestamp(values.iloc[at]).strftime("%H:%M")
            msg = (
                f"{name} column {column!r} must hold period starts at midnight in the "
                f"summary's time zone tz={tz!r} (got {stamp} at row {row!r}, {local} there); "
                f"give naive dates, or summarise in the covariates' zone (tz={zone!r})."
            )
        else:
            msg = (
                f"{name} column {column!r} must hold dates (midnight) that start each period "
                f"(got {given!r} at row {row!r})."
            )
        raise DataContractError(msg, column=column, value=given, row=row)
    return ns // _NS_PER_DAY


def _monthly(starts: IntArray) -> bool:
    """Whether period starts fall on one day of successive months (28 to 31 days apart)."""
    gaps = np.diff(starts)
    if not np.all((gaps >= 28) & (gaps <= 31)) or np.all(gaps == 28):  # noqa: PLR2004
        return False  # a 28-day step is four weeks, whatever day of the month it starts
    day_of_month = pd.DatetimeIndex(starts.astype("datetime64[D]")).day
    return bool(np.all(day_of_month == day_of_month[0]))


def _grid(day: IntArray, names: tuple[str, ...], *, name: str, column: str) -> CovariateGrid:
    starts = np.unique(day)
    if starts.size < 2:  # noqa: PLR2004 - a grid needs two starts to have a step
        msg = (
            f"{name} column {column!r} must name at least two periods, to fix their length "
            f"(got {starts.size}); for covariates that never change use the static "
            "covariates of ParetoNBDModel."
        )
        raise DataContractError(msg, column=column, value=starts.size)
    if _monthly(starts):
        msg = (
            f"{name} column {column!r} must start periods a fixed number of days apart (got "
            f"monthly starts {_day_text(int(starts[0]))}, {_day_text(int(starts[1]))}, ...: "
            "months differ in length); repeat each month's values on every week (or day) "
            "of the month."
        )
        raise DataContractError(msg, column=column, value=_day_text(int(starts[0])))
    gaps = np.diff(starts)
    sizes, counts = np.unique(gaps, return_counts=True)
    step = int(sizes[np.argmax(counts)])  # the usual step; an odd start is then off the grid
    residue = day % step
    values, counts = np.unique(residue, return_counts=True)
    on_grid = residue == values[np.argmax(counts)]  # most rows start on the grid; odd ones do not
    starts = np.unique(day[on_grid])
    gaps = np.diff(starts)
    if np.any(gaps != step):
        at = int(np.flatnonzero(gaps != step)[0])
        msg = (
            f"{name} column {column!r} must start periods at a regular step (got {step} days, "
            f"then {int(gaps[at])} days after {_day_text(int(starts[at]))}); a period missing "
            "for every customer is a gap."
        )
        raise DataContractError(msg, column=column, value=_day_text(int(starts[at + 1])))
    return CovariateGrid(
        names=names,
        first_day=int(starts[0]),
        step=step,
        keys=np.empty(0, dtype=np.int64),
        table=np.empty((0, len(names))),
        n_periods=0,
    )


@frozen
class TimeVaryingSummary:
    """A calibration summary with each customer's purchase dates and covariate path.

    Made by :func:`time_varying_summary`; fitted and scored by
    :class:`~one2one.clv.TimeVaryingParetoNBDModel`.

    Attributes
    ----------
    summary
        The per-customer summary (as :func:`~one2one.clv.rfm_summary` makes it:
        ``frequency``, ``recency``, ``T``, spend and holdout columns).
    covariate_names
        The covariate columns available to a model.
    grid
        The covariates indexed by (customer, period) on their grid of periods.
    first_day, last_day
        Each customer's first and last calibration purchase (day numbers
        since 1970-01-01, in the summary's time zone).
    end_day
        The window's end: the start of the calibration end's period.
    repeat_customer, repeat_day
        Each repeat purchase's customer (row of ``summary``) and day.
    day_per_unit
        Days per model time unit (7 for weeks).
    tz
        The time zone whose calendar the days are in.
    occasion_days
        Days per purchase occasion (1 for ``freq="D"``, 7 for ``"W"``): an
        occasion placed at a period's start stands for that whole period, so
        the exposure leading up to it carries that period's covariates.
    forecast_grid
        Covariates assumed for the forecast window, when given
        (:meth:`with_future_covariates`); the history keeps ``grid``.
    """

    summary: pd.DataFrame
    covariate_names: tuple[str, ...]
    grid: CovariateGrid = field(repr=False)
    first_day: IntArray = field(repr=False)  # first purchase day per customer
    last_day: IntArray = field(repr=False)  # last calibration purchase day
    end_day: int = field(repr=False)  # the window's end (start of the cutoff period)
    repeat_customer: IntArray = field(repr=False)  # per repeat purchase: customer row
    repeat_day: IntArray = field(repr=False)  # and its day
    day_per_unit: float = field(repr=False)
    tz: str = field(repr=False, default="UTC")
    forecast_grid: CovariateGrid | None = field(repr=False, default=None)  # history stays as known
    occasion_days: int = field(repr=False, default=1)

    def _columns(self, names: Sequence[str], role: str) -> IntArray:
        position = []
        for name in names:
            if name not in self.covariate_names:
                msg = (
                    f"{role} covariate must be one of the covariate columns "
                    f"{list(self.covariate_names)!r} (got {name!r})."
                )
                raise DataContractError(msg, column=name, value=name)
            position.append(self.covariate_names.index(name))
        return np.asarray(position, dtype=np.int64)

    def pieces(self, purchase: Sequence[str], dropout: Sequence[str]) -> Pieces:
        """Cut each customer's window (0, T] where the chosen covariates change, and at t_x.

        The likelihood is a sum over these pieces (constant rates on each), so
        neighbours that share the chosen covariates are merged: a model on a
        binary season sees a few pieces per customer, not one per week.

        Parameters
        ----------
        purchase, dropout
            The covariate columns of the purchase and of the dropout rate.

        Returns
        -------
        Pieces
            The pieces, in customer then time order.

        Raises
        ------
        DataContractError
            If a name is not a covariate column, or a customer's window has a
            period without covariates.
        """
        n = len(self.summary)
        start = self.first_day
        end = np.full(n, self.end_day, dtype=np.int64)
        cut = self.last_day
        return self._cut(start, end, cut, purchase, dropout, grid=self.grid)

    def future_pieces(
        self,
        edges: Sequence[float],
        purchase: Sequence[str],
        dropout: Sequence[str],
    ) -> tuple[Pieces, FloatArray]:
        """Cut the forecast window (T, T + edges[-1]] at every edge and covariate period.

        The window starts at the calibration end for everyone, so its pieces
        are the same intervals for every customer (customer-major order).

        Parameters
        ----------
        edges
            Increasing horizons (model time after T) the forecast reports.
        purchase, dropout
            The covariate columns of the purchase and of the dropout rate.

        Returns
        -------
        tuple of (Pieces, numpy.ndarray)
            The pieces, and each interval's end in model time after T.

        Raises
        ------
        DataContractError
            If a name is not a covariate column, or the covariates (with any
            assumed future ones) do not cover the window.
        """
        n = len(self.summary)
        ids = self.summary.index
        known = self.grid if self.forecast_grid is None else self.forecast_grid
        grid = _exposure_grid(known, self.occasion_days)
        p_cols, d_cols = self._columns(purchase, "purchase"), self._columns(dropout, "dropout")
        start = float(self.end_day)
        stops = start + np.asarray(edges, dtype=np.float64) * self.day_per_unit
        first, last = int(grid.period_of(np.array([self.end_day]))[0]), float(stops.max())
        inner = grid.start_of(
            np.arange(first + 1, int(np.ceil((last - grid.first_day) / grid.step)))
        )
        points = np.unique(np.concatenate([[start], stops, inner[inner < last].astype(np.float64)]))
        lo, hi = points[:-1], points[1:]
        period = grid.period_of(np.floor(lo).astype(np.int64))
        owner = np.repeat(np.arange(n, dtype=np.int64), lo.size)
        rows = grid.lookup(
            owner,
            np.tile(period, n),
            ids,
            fix="give the covariates assumed for the forecast (future_covariates=, or "
            "TimeVaryingSummary.with_future_covariates), or forecast a shorter horizon",
        )
        chosen = grid.table[rows]
        pieces = Pieces(
            x=self.summary["frequency"].to_numpy(dtype=np.float64),
            purchase_sum=np.zeros((n, p_cols.size)),
            owner=owner.astype(np.intp),
            length=np.tile((hi - lo) / self.day_per_unit, n),
            after=np.ones(owner.size, dtype=bool),
            purchase=chosen[:, p_cols],
            dropout=chosen[:, d_cols],
        )
        return pieces, (hi - start) / self.day_per_unit

    def with_future_covariates(
        self,
        covariates: pd.DataFrame,
        *,
        customer_id: str = "customer_id",
        period_start: str = "period_start",
    ) -> TimeVaryingSummary:
        """Return this summary with covariates assumed for the forecast window.

        A planned marketing calendar, or next year's holiday weeks, is given
        like the fitted covariates (same columns, same grid); in the forecast
        window, periods it gives replace the ones already known (a scenario
        can overwrite the recorded holdout), while the history keeps the
        covariates it was observed under.

        Parameters
        ----------
        covariates
            Tidy rows ``customer_id``, ``period_start`` and the covariate
            columns, on this summary's grid of periods.
        customer_id, period_start
            Column names.

        Returns
        -------
        TimeVaryingSummary
            The same customers and history, with the assumed future.

        Raises
        ------
        DataContractError
            If the rows break the covariate contract (off the grid, repeated,
            missing or non-numeric values, missing columns), or name none of
            the summary's customers (a scenario that would change nothing).
        """
        extra = read_covariates(
            covariates,
            customer_id=customer_id,
            period_start=period_start,
            tz=self.tz,
            ids=self.summary.index,
            name="future covariates",
            grid=self.grid,
        )
        known = self.grid if self.forecast_grid is None else self.forecast_grid
        return evolve(self, forecast_grid=known.merged(extra))

    def _cut(
        self,
        start: FloatArray | IntArray,
        end: FloatArray | IntArray,
        cut: IntArray | None,
        purchase: Sequence[str],
        dropout: Sequence[str],
        *,
        grid: CovariateGrid,
    ) -> Pieces:
        n = len(self.summary)
        ids = self.summary.index
        p_cols, d_cols = self._columns(purchase, "purchase"), self._columns(dropout, "dropout")
        start = np.asarray(start, dtype=np.float64)
        end = np.asarray(end, dtype=np.float64)
        purchases, grid = grid, _exposure_grid(grid, self.occasion_days)
        first_period = grid.period_of(np.floor(start).astype(np.int64))
        if np.any(first_period < 0):
            i = int(np.flatnonzero(first_period < 0)[0])
            msg = (
                f"covariates must start on or before each customer's window (got the first "
                f"period on {_day_text(purchases.first_day)}, after customer "
                f"{_plain(ids[i])!r}'s start on {_day_text(int(np.floor(start[i])))})."
            )
            raise DataContractError(
                msg, column="period_start", value=_day_text(purchases.first_day), row=ids[i]
            )
        # The last period touched: the one containing the last instant before the end.
        span_end = end if cut is None else np.maximum(end, cut)
        last_period = np.where(
            span_end > start,
            np.ceil((span_end - grid.first_day) / grid.step).astype(np.int64) - 1,
            first_period,
        )
        if cut is not None:
            last_period = np.maximum(last_period, grid.period_of(cut))
        count = np.where(end > start, last_period - first_period + 1, 0)
        owner = np.repeat(np.arange(n, dtype=np.int64), count)
        offset = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
        period = first_period[owner] + offset
        lo = np.maximum(grid.start_of(period).astype(np.float64), start[owner])
        hi = np.minimum(grid.start_of(period + 1).astype(np.float64), end[owner])
        if cut is not None:  # split the period holding t_x at t_x
            tx = cut[owner].astype(np.float64)
            split = (lo < tx) & (tx < hi)
            owner = np.concatenate([owner, owner[split]])
            period = np.concatenate([period, period[split]])
            new_lo = np.concatenate([lo, tx[split]])
            hi = np.concatenate([np.where(split, tx, hi), hi[split]])
            lo = new_lo
            order = np.lexsort((lo, owner))
            owner, period, lo, hi = owner[order], period[order], lo[order], hi[order]
            after = lo >= cut[owner]
        else:
            after = np.ones(owner.size, dtype=bool)
        keep = hi > lo
        owner, period, lo, hi, after = owner[keep], period[keep], lo[keep], hi[keep], after[keep]
        rows = grid.lookup(owner, period, ids)
        chosen_rows = grid.table[rows]
        zp, zd = chosen_rows[:, p_cols], chosen_rows[:, d_cols]
        # Merge neighbouring pieces that share the customer, the side of t_x and the values.
        chosen = np.concatenate([zp, zd], axis=1)
        new = np.ones(owner.size, dtype=bool)
        if owner.size:
            new[1:] = (
                (owner[1:] != owner[:-1])
                | (after[1:] != after[:-1])
                | np.any(chosen[1:] != chosen[:-1], axis=1)
            )
        group = np.cumsum(new) - 1
        length = np.bincount(group, weights=hi - lo, minlength=int(new.sum())) / self.day_per_unit
        x = self.summary["frequency"].to_numpy(dtype=np.float64) if cut is not None else np.zeros(n)
        purchase_sum = np.zeros((n, p_cols.size))
        if cut is not None and self.repeat_day.size and p_cols.size:
            repeat_rows = purchases.lookup(
                self.repeat_customer, purchases.period_of(self.repeat_day), ids
            )
            for j, col in enumerate(p_cols):
                purchase_sum[:, j] = np.bincount(
                    self.repeat_customer, weights=grid.table[repeat_rows, col], minlength=n
                )
        return Pieces(
            x=x,
            purchase_sum=purchase_sum,
            owner=owner[new].astype(np.intp),
            length=length,
            after=after[new],
            purchase=zp[new],
            dropout=zd[new],
        )


def time_varying_summary(
    transactions: pd.DataFrame,
    covariates: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    datetime: str = "occurred_at",
    period_start: str = "period_start",
    monetary: str | None = "value",
    freq: Freq = "D",
    time_unit: Freq | None = "W",
    observation_end: object = None,
    calibration_end: object = None,
    tz: str = "UTC",
    assume_tz: str | None = None,
    returns: Returns = "net",
    order_id: str | None = "order_id",
    currency: str | None = "currency",
    decimals: int | None = None,
) -> TimeVaryingSummary:
    """Summarise a transaction log with each customer's covariates over time.

    The summary is exactly :func:`~one2one.clv.rfm_summary`'s (same purchase
    occasions, refunds, windows); what is added is *when* each repeat
    purchase happened and which covariate values held over each customer's
    window, because with time-varying covariates the likelihood depends on
    both (Bachmann, Meierer & Naef 2021).

    Parameters
    ----------
    transactions
        One row per transaction, as for :func:`~one2one.clv.rfm_summary`.
    covariates
        One row per customer and covariate period: ``customer_id``,
        ``period_start`` (the date the period starts; it lasts until the next
        start) and one numeric column per covariate. Periods form a regular
        grid (e.g. every Monday). Every customer needs a row for every period
        from the one of their first purchase to the one holding the
        (calibration) end; rows for other customers or later periods are
        allowed (later ones serve forecasts). Static covariates (gender,
        channel) are columns that do not change over time. A table without a
        ``customer_id`` column is a calendar shared by every customer (see
        :func:`calendar_covariates`).
    customer_id, datetime, monetary
        Column names, as for :func:`~one2one.clv.rfm_summary`;
        ``customer_id`` names the customer column of both tables.
    period_start
        The covariate table's column of period start dates (naive dates are
        days of ``tz``'s calendar).
    freq
        The purchase occasion: ``"D"`` (default) or ``"W"``. Daily occasions
        take covariate periods of any whole number of days. A weekly occasion
        stands for its whole Monday week, so its covariate periods must be
        Monday weeks (or runs of them): a week's purchases cannot be split
        between two covariate periods.
    time_unit
        Unit of ``recency`` and ``T`` and of the model's rates: ``"W"``
        (default) or ``"D"``.
    observation_end, calibration_end, tz, assume_tz, returns, order_id, currency, decimals
        As for :func:`~one2one.clv.rfm_summary`.

    Returns
    -------
    TimeVaryingSummary
        The summary (``.summary``) and the aligned covariate paths.

    Raises
    ------
    DataContractError
        As :func:`~one2one.clv.rfm_summary`, and when the covariates are not
        a regular grid of periods (monthly ones are not: months differ in
        length), repeat a (customer, period), leave a gap in a customer's
        window, start after a customer's first purchase, hold missing,
        non-numeric or non-finite values, name none of the summary's
        customers (ids of another type), or, with ``freq="W"``, do not
        follow Monday weeks.
    """
    freq = require_one_of(freq, ("D", "W"), name="freq")
    unit: Freq = require_one_of(
        freq if time_unit is None else time_unit, ("D", "W"), name="time_unit"
    )
    found: SummaryOccasions = summary_with_occasions(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        freq=freq,
        observation_end=observation_end,
        calibration_end=calibration_end,
        tz=tz,
        assume_tz=assume_tz,
        returns=returns,
        time_unit=unit,
        order_id=order_id,
        currency=currency,
        decimals=decimals,
    )
    summary = found.summary
    grid = read_covariates(
        covariates, customer_id=customer_id, period_start=period_start, tz=tz, ids=summary.index
    )
    occasion_days = int(DAYS_PER_PERIOD[freq])
    if grid.step % occasion_days or (grid.first_day - _MONDAY) % occasion_days:
        start = pd.Timestamp(_day_text(grid.first_day))
        msg = (
            f"covariates column {period_start!r} must start periods on Mondays and last whole "
            f"weeks when purchases are counted per Monday week, freq='W' (got periods of "
            f"{grid.step} day(s) from {start.date()}, a {start.day_name()}); a week's purchases "
            "would straddle two covariate periods. Count purchases per day (freq='D'), or "
            "give the covariates per Monday week."
        )
        raise DataContractError(msg, column=period_start, value=str(start.date()))
    n = len(summary)
    row_of = np.full(
        int(found.occasion_customer.max()) + 1 if found.occasion_customer.size else 1, -1
    )
    row_of[found.customer] = np.arange(n)
    in_calibration = found.occasion_period <= found.cutoff
    occ_row = row_of[found.occasion_customer]
    keep = in_calibration & (occ_row >= 0)
    occ_row, occ_day = occ_row[keep], _period_start_day(found.occasion_period[keep], freq)
    change = np.flatnonzero(np.diff(occ_row)) + 1
    starts = np.concatenate([[0], change]).astype(np.int64)
    ends = np.concatenate([change - 1, [occ_row.size - 1]]).astype(np.int64)
    repeat = np.ones(occ_row.size, dtype=bool)
    repeat[starts] = False
    result = TimeVaryingSummary(
        summary=summary,
        covariate_names=grid.names,
        grid=grid,
        first_day=occ_day[starts],
        last_day=occ_day[ends],
        end_day=int(_period_start_day(np.array([found.cutoff]), freq)[0]),
        repeat_customer=occ_row[repeat],
        repeat_day=occ_day[repeat],
        day_per_unit=DAYS_PER_PERIOD[unit],
        tz=tz,
        occasion_days=occasion_days,
    )
    _check_coverage(result)
    return result


def _exposure_grid(grid: CovariateGrid, days: int = 1) -> CovariateGrid:
    """Return the grid on the model's time axis, where a purchase occasion is a point.

    A purchase on day d sits at time d (its day's start, as ``recency`` and
    ``T`` count), so the purchases placed at d are those of the exposure over
    (d-1, d]: that interval must carry day d's covariates, which puts every
    period boundary one day earlier on the time axis. Without the shift a
    holiday week's first day would be charged to the week before. Counted
    per week (``days`` = 7), an occasion at Monday m stands for the week from
    m, so (m-7, m] carries that week's covariates: boundaries a week earlier.
    """
    return evolve(grid, first_day=grid.first_day - days, shift=grid.shift + days)


def _check_coverage(data: TimeVaryingSummary) -> None:
    """Every customer's window has covariates for each period, or a typed error now."""
    grid = data.grid
    if not grid.shared:
        data.pieces(grid.names, ())  # looks every (customer, period) up
        return
    grid = _exposure_grid(grid, data.occasion_days)
    if len(data.summary) == 0:
        return
    first = int(grid.period_of(np.array([int(data.first_day.min())]))[0])
    last = int(np.ceil((data.end_day - grid.first_day) / grid.step)) - 1
    needed = np.arange(first, max(last, first) + 1, dtype=np.int64)
    grid.lookup(np.zeros(needed.size, dtype=np.int64), needed, data.summary.index)
