"""From a transaction log to the per-customer summaries the models are fitted on."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Literal, cast, overload

import numpy as np
import pandas as pd
from attrs import frozen
from numpy.typing import NDArray

from .._spark import is_spark_frame
from .._transactions import (
    Occasions,
    Transactions,
    purchase_occasions,
    read_transactions,
    to_money,
    to_units,
    warn_unnetted,
)
from .._validation import (
    require_columns,
    require_datetime,
    require_frame,
    require_no_missing,
    require_numeric,
    require_one_of,
)
from ..errors import DataContractError, DataWarning
from ._periods import (
    PERIODS_PER_YEAR,
    Freq,
    period_ordinals,
    require_freq,
    timestamp_ordinal,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .._spark import SparkFrame

__all__ = ["discrete_summary", "rfm_summary"]

Returns = Literal["net", "ignore", "error"]


@overload
def rfm_summary(
    transactions: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    datetime: str = "occurred_at",
    monetary: str | None = "value",
    freq: Freq = "W",
    observation_end: object = None,
    calibration_end: object = None,
    tz: str = "UTC",
    assume_tz: str | None = None,
    returns: Returns = "net",
    time_unit: Freq | None = None,
    order_id: str | None = "order_id",
    currency: str | None = "currency",
    decimals: int | None = None,
) -> pd.DataFrame: ...


@overload
def rfm_summary(
    transactions: SparkFrame,
    *,
    customer_id: str = "customer_id",
    datetime: str = "occurred_at",
    monetary: str | None = "value",
    freq: Freq = "W",
    observation_end: object = None,
    calibration_end: object = None,
    tz: str = "UTC",
    assume_tz: str | None = None,
    returns: Returns = "net",
    time_unit: Freq | None = None,
    order_id: str | None = "order_id",
    currency: str | None = "currency",
    decimals: int | None = None,
) -> SparkFrame: ...


def rfm_summary(
    transactions: pd.DataFrame | SparkFrame,
    *,
    customer_id: str = "customer_id",
    datetime: str = "occurred_at",
    monetary: str | None = "value",
    freq: Freq = "W",
    observation_end: object = None,
    calibration_end: object = None,
    tz: str = "UTC",
    assume_tz: str | None = None,
    returns: Returns = "net",
    time_unit: Freq | None = None,
    order_id: str | None = "order_id",
    currency: str | None = "currency",
    decimals: int | None = None,
) -> pd.DataFrame | SparkFrame:
    """Summarise a transaction log per customer: frequency, recency, T and spend.

    Time is counted in whole calendar periods of ``freq`` (days, Monday-start
    weeks, months, quarters or years, in the time zone ``tz``). Several
    purchases in one period are one *purchase occasion*, because the models
    describe how often a customer comes back, not how many items a visit has.
    A refund undoes the sale it refunds, whenever it comes: a sale refunded
    in full is no purchase, and a refund is never one. This is the one
    definition of a purchase occasion in one2one: ``differentiate.rfm_table``
    counts the same occasions per day (its ``purchases`` is ``frequency + 1``
    of a daily summary).

    Parameters
    ----------
    transactions
        One row per transaction, in any order: a pandas or a Spark DataFrame.
    customer_id, datetime, monetary
        Column names. ``datetime`` must be time-zone aware (or pass
        ``assume_tz``); ``monetary=None`` summarises counts only.
    freq
        The period: ``"D"``, ``"W"``, ``"M"``, ``"Q"`` or ``"Y"``. Recorded in
        the result's ``attrs["period"]``; models fitted on the summary predict
        for horizons in this unit.
    observation_end
        End of observation (default: the last transaction). Periods are whole:
        the period containing it is the last one counted, so with weekly
        periods a mid-week date counts its whole week; use ``freq="D"`` (and
        ``time_unit``) to cut at the day. Later periods are outside the window.
    calibration_end
        If given, the summary describes the calibration period up to the end
        of the period containing this moment (periods are whole, as for
        ``observation_end``) and adds holdout columns for the rest of the window. Customers
        whose first purchase is after it were not yet customers: they are left
        out, with a :class:`~one2one.errors.DataWarning` giving their number.
    tz
        Time zone whose calendar defines the periods.
    assume_tz
        Time zone of naive timestamps; by default naive timestamps are refused.
    returns
        Policy for negative amounts (refunds): ``"net"`` (default) nets each
        refund against its sale (see ``order_id``), anywhere in the window; an
        occasion whose sales were refunded in full is no purchase. Refunds
        with nothing left to net against (none of the customer's purchases
        before them) are left out and reported in a
        :class:`~one2one.errors.DataWarning` with their number and amount.
        ``"ignore"`` leaves refunds out; ``"error"`` refuses them.
    time_unit
        Unit of ``recency``, ``T`` and ``duration_holdout`` (default: ``freq``).
        The papers count occasions per day but measure time in weeks:
        ``freq="D", time_unit="W"``. Months, quarters and years are taken at
        their mean length (30.44, 91.31, 365.25 days) when converting.
    order_id
        Column of the order a row belongs to: a refund nets against the sales
        of its own order, latest first. Rows without one (missing value), and
        tables without the column, net a refund against the customer's most
        recent purchases at or before it instead. The default ``"order_id"``
        is used when present; another name must exist.
    currency
        Column of the currency code. One currency per table: several are
        refused (amounts are never added across currencies). It also sets
        the minor unit (2 decimals, 0 for JPY, 3 for KWD, ...). Used when
        present, like ``order_id``.
    decimals
        Decimals of the currency's minor unit, overriding the currency's.
        Money is added exactly and every total is rounded to it.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), with columns

        ============================  =========================================================
        ``frequency`` (int64)         repeat purchase occasions (occasions after the first)
        ``recency`` (float64)         periods from first to last occasion
        ``T`` (float64)               periods from first occasion to the (calibration) end
        ``monetary_value``            mean net amount of the repeat occasions (0.0 if none):
                                      their exact total, rounded to the minor unit, over
                                      their number
        ``frequency_holdout``         with ``calibration_end``: occasions after it
        ``monetary_value_holdout``    mean net amount of those occasions (0.0 if none)
        ``duration_holdout``          periods from calibration end to observation end
        ============================  =========================================================

        ``attrs`` records ``period`` (of ``recency`` and ``T``),
        ``occasion_period`` (``freq``), ``currency`` (or ``None``) and
        ``decimals``.

    pyspark.sql.DataFrame
        For a Spark frame: the same rows as a Spark frame, ``customer_id``
        a column (of the input's type) beside the same columns, types and
        numbers, in no particular order, and the ``attrs`` carried in the
        ``customer_id`` column's metadata (:func:`one2one._spark.spark_attrs`).
        Naive timestamps are Spark's ``TIMESTAMP_NTZ`` (read in ``assume_tz``);
        ``TIMESTAMP`` values are instants, so the session time zone never
        matters. Customers are summarised in groups (by a hash of the id) by
        the pandas code, with the window and the currency fixed for all
        beforehand; the summary is persisted on the executors, and the
        driver collects only a row of global facts and a row of counts per
        group. ``returns="error"`` names one negative amount, not the first
        (a Spark frame has no row order).

    Raises
    ------
    DataContractError
        On missing columns, missing values, non-finite amounts, naive
        timestamps without ``assume_tz``, returns under ``returns="error"``, an
        empty window, ``calibration_end`` not before ``observation_end``, or
        more than one currency.

    Warns
    -----
    DataWarning
        For refunds with nothing to net against, customers left with no
        purchase, and customers who first bought after ``calibration_end``.

    Examples
    --------
    >>> from one2one.datasets import load_cdnow_transactions
    >>> from one2one.clv import rfm_summary
    >>> summary = rfm_summary(load_cdnow_transactions(), freq="W")
    >>> summary.attrs["period"], len(summary)
    ('W', 23570)
    """
    if is_spark_frame(transactions):
        from ._spark import rfm_summary as spark_rfm_summary  # noqa: PLC0415 - pyspark lazily

        return spark_rfm_summary(
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
            time_unit=time_unit,
            order_id=order_id,
            currency=currency,
            decimals=decimals,
            stacklevel=4,
        )
    return summary_with_occasions(
        cast("pd.DataFrame", transactions),  # or any object, refused there
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        freq=freq,
        observation_end=observation_end,
        calibration_end=calibration_end,
        tz=tz,
        assume_tz=assume_tz,
        returns=returns,
        time_unit=time_unit,
        order_id=order_id,
        currency=currency,
        decimals=decimals,
        stacklevel=4,
    ).summary


@frozen
class SummaryOccasions:
    """A summary with the purchase occasions behind it, for models that need the dates.

    ``customer`` maps each summary row to its customer code; occasions are
    (customer code, period ordinal) pairs sorted by customer then period;
    ``cutoff`` and ``end`` are the calibration and observation end ordinals.
    """

    summary: pd.DataFrame
    customer: NDArray[np.int64]
    occasion_customer: NDArray[np.int64]
    occasion_period: NDArray[np.int64]
    cutoff: int
    end: int
    freq: Freq
    unit: Freq


def summary_with_occasions(
    transactions: pd.DataFrame,
    *,
    customer_id: str,
    datetime: str,
    monetary: str | None,
    freq: Freq,
    observation_end: object,
    calibration_end: object,
    tz: str,
    assume_tz: str | None,
    returns: Returns,
    time_unit: Freq | None,
    order_id: str | None,
    currency: str | None,
    decimals: int | None,
    stacklevel: int = 4,
) -> SummaryOccasions:
    """Do what :func:`rfm_summary` does, and keep the occasions it counted."""
    freq = require_freq(freq)
    unit = freq if time_unit is None else require_freq(time_unit)
    returns = require_one_of(returns, ("net", "ignore", "error"), name="returns")
    table = read_transactions(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        order_id=order_id,
        currency=currency,
        assume_tz=assume_tz,
        decimals=decimals,
        use="a summary",
        arguments="customer_id=, datetime=, monetary=, order_id=, currency=",
    )
    ordinal = period_ordinals(table.utc, freq=freq, tz=tz, name=datetime)
    end, cutoff = _window(ordinal, freq, tz, observation_end, calibration_end)
    in_window = ordinal <= end
    if not in_window.any():
        msg = f"no transactions on or before observation_end ({observation_end})."
        raise DataContractError(msg, column=datetime, value=observation_end)
    refund = table.units < 0
    if returns == "error" and refund.any():
        row = table.rows[np.flatnonzero(refund)[0]]
        value = transactions.at[row, monetary]
        msg = (
            f"transactions column {monetary!r} has negative amounts (returns), first "
            f"{value!r} at row {row!r}; pass returns='net' or returns='ignore'."
        )
        raise DataContractError(msg, column=monetary, value=value, row=row)
    found, netting, counts = summarise_table(
        table,
        ordinal,
        end=end,
        cutoff=cutoff,
        returns=returns,
        monetary=monetary,
        holdout=calibration_end is not None,
        freq=freq,
        unit=unit,
    )
    if counts.summarised == 0:
        when = "calibration_end" if calibration_end is not None else "observation_end"
        msg = (
            f"no purchases (sales that refunds left standing) on or before {when}; "
            "a summary needs at least one customer's first purchase."
        )
        raise DataContractError(msg, column=datetime, value=calibration_end or observation_end)
    warn_unnetted(table, netting, stacklevel=stacklevel - 1)
    _warn_left_out(counts.known, counts.buyers, counts.summarised, stacklevel=stacklevel)
    return found


@frozen
class SummaryCounts:
    """What a summary's checks and warnings count; counts of disjoint customer groups add up.

    ``in_window`` rows on or before the observation end; ``unnetted_refunds``
    refunds (totalling ``unnetted`` internal units) that found nothing to net
    against; ``known`` customers with a row in the window, ``buyers`` of them
    with a purchase left, ``summarised`` of those with one by the calibration end.
    """

    in_window: int
    unnetted_refunds: int
    unnetted: int
    known: int
    buyers: int
    summarised: int


def summarise_table(
    table: Transactions,
    ordinal: NDArray[np.int64],
    *,
    end: int,
    cutoff: int,
    returns: Returns,
    monetary: str | None,
    holdout: bool,
    freq: Freq,
    unit: Freq,
) -> tuple[SummaryOccasions, Occasions, SummaryCounts]:
    """Summarise checked transactions for a given window, raising and warning nothing.

    The window (``end``, ``cutoff``) is an argument, so a part of the
    customers (Spark's groups of customers) is summarised exactly as in the
    whole table; the caller refuses an empty window and reports the counts.
    """
    in_window = ordinal <= end
    refund = table.units < 0
    keep = in_window & ~refund if returns == "ignore" else in_window
    occasions, netting = _Occasions.of(table, ordinal, keep)
    calibration = occasions.period <= cutoff
    customer, result = _calibration_table(occasions, calibration, cutoff, monetary=monetary)
    buyers = occasions.customer  # sorted, so distinct customers are where it changes
    n_buyers = int(np.count_nonzero(np.diff(buyers))) + 1 if buyers.size else 0
    n_known = int(np.unique(table.customer[in_window]).size)
    result.index = pd.Index(table.ids[customer], name="customer_id")
    if holdout:
        _add_holdout(result, occasions, calibration, customer, len(table.ids), monetary=monetary)
        result["duration_holdout"] = float(end - cutoff)
    if unit != freq:
        scale = PERIODS_PER_YEAR[unit] / PERIODS_PER_YEAR[freq]
        for column in ("recency", "T", "duration_holdout"):
            if column in result.columns:
                result[column] *= scale
    result.attrs["period"] = unit
    result.attrs["occasion_period"] = freq
    result.attrs["currency"] = table.currency
    result.attrs["decimals"] = table.decimals
    found = SummaryOccasions(
        summary=result,
        customer=customer,
        occasion_customer=occasions.customer,
        occasion_period=occasions.period,
        cutoff=cutoff,
        end=end,
        freq=freq,
        unit=unit,
    )
    counts = SummaryCounts(
        in_window=int(np.count_nonzero(in_window)),
        unnetted_refunds=netting.unnetted_refunds,
        unnetted=netting.unnetted,
        known=n_known,
        buyers=n_buyers,
        summarised=int(customer.size),
    )
    return found, netting, counts


def validated_log(
    transactions: object, *, customer_id: str, datetime: str, monetary: str | None, use: str
) -> pd.DataFrame:
    """Check a transaction log: its columns exist, it has rows, no gaps, real datetimes.

    ``use`` names what needs the log, for the empty-log message.
    """
    frame = require_frame(transactions, name="transactions")
    columns = [customer_id, datetime] + ([monetary] if monetary is not None else [])
    require_columns(
        frame, columns, name="transactions", arguments="customer_id=, datetime=, monetary="
    )
    if frame.empty:
        msg = f"transactions is empty; {use} needs at least one purchase."
        raise DataContractError(msg, column=datetime)
    require_no_missing(frame, columns, name="transactions")
    require_datetime(frame, datetime, name="transactions")
    return frame


def _window(
    ordinal: NDArray[np.int64],
    freq: Freq,
    tz: str,
    observation_end: object,
    calibration_end: object,
) -> tuple[int, int]:
    """Period ordinals of the observation end and of the calibration end."""
    end = (
        int(ordinal.max())
        if observation_end is None
        else timestamp_ordinal(observation_end, freq=freq, tz=tz, name="observation_end")
    )
    if calibration_end is None:
        return end, end
    cutoff = timestamp_ordinal(calibration_end, freq=freq, tz=tz, name="calibration_end")
    if cutoff >= end:
        msg = (
            f"calibration_end ({calibration_end}) must fall in an earlier {freq!r} period "
            f"than observation_end ({observation_end or 'the last transaction'})."
        )
        raise DataContractError(msg, column="calibration_end", value=calibration_end)
    return end, cutoff


def _amounts(
    frame: pd.DataFrame, monetary: str | None, returns: Returns
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Amounts per row under the returns policy, and which rows are returns."""
    if monetary is None:
        return np.zeros(len(frame)), np.zeros(len(frame), dtype=bool)
    require_numeric(frame, monetary, name="transactions")
    amount = frame[monetary].to_numpy(dtype=np.float64)
    is_return = amount < 0
    if returns == "error" and is_return.any():
        row = frame.index[np.flatnonzero(is_return)[0]]
        value = frame.at[row, monetary]
        msg = (
            f"transactions column {monetary!r} has negative amounts (returns), first "
            f"{value!r} at row {row!r}; pass returns='net' or returns='ignore'."
        )
        raise DataContractError(msg, column=monetary, value=value, row=row)
    if returns == "ignore":
        amount = np.where(is_return, 0.0, amount)
    return amount, is_return


@frozen
class _Occasions:
    """Purchase occasions: one per (customer, period) with a purchase, sorted.

    ``units`` is each occasion's exact net amount (internal units of
    ``one2one._transactions``) and ``decimals`` the minor unit money rounds to.
    """

    customer: NDArray[np.int64]
    period: NDArray[np.int64]
    units: NDArray[np.int64]
    decimals: int = 2

    @classmethod
    def of(
        cls, table: Transactions, ordinal: NDArray[np.int64], keep: NDArray[np.bool_]
    ) -> tuple[_Occasions, Occasions]:
        """Return the purchase occasions of the ``keep`` rows of ``table``, and the netting."""
        found = purchase_occasions(
            table.customer[keep],
            table.time[keep],
            ordinal[keep],
            table.units[keep],
            None if table.order is None else table.order[keep],
        )
        occasions = cls(
            customer=found.customer, period=found.period, units=found.units, decimals=table.decimals
        )
        return occasions, found

    @classmethod
    def build(
        cls,
        codes: NDArray[np.int64],
        ordinal: NDArray[np.int64],
        amount: NDArray[np.float64],
        is_return: NDArray[np.bool_],
        end: int,  # noqa: ARG003 - kept for callers that pass the window end
    ) -> _Occasions:
        """Occasions of rows known only by period: a refund nets against the latest periods.

        Rows that are returns with a zero amount (``returns="ignore"``) are left out.
        """
        rows = ~is_return | (amount < 0)
        found = purchase_occasions(
            codes[rows], ordinal[rows], ordinal[rows], to_units(amount[rows], 2)
        )
        return cls(customer=found.customer, period=found.period, units=found.units)

    def money(self, units: NDArray[np.int64]) -> NDArray[np.float64]:
        """Exact totals as amounts rounded to the minor unit."""
        return to_money(units, self.decimals)


def _calibration_table(
    occasions: _Occasions, calibration: NDArray[np.bool_], cutoff: int, *, monetary: str | None
) -> tuple[NDArray[np.int64], pd.DataFrame]:
    """Frequency, recency, T (and spend) from the calibration occasions."""
    cal_customer = occasions.customer[calibration]
    cal_period, cal_units = occasions.period[calibration], occasions.units[calibration]
    change = np.flatnonzero(np.diff(cal_customer)) + 1
    starts = np.concatenate([[0], change]) if cal_customer.size else change
    ends = np.concatenate([change - 1, [cal_customer.size - 1]]) if cal_customer.size else change
    first, last = cal_period[starts], cal_period[ends]
    frequency = ends - starts
    table = pd.DataFrame(
        {
            "frequency": frequency.astype(np.int64),
            "recency": (last - first).astype(np.float64),
            "T": (cutoff - first).astype(np.float64),
        }
    )
    if monetary is not None:
        repeat_sum = occasions.money(np.add.reduceat(cal_units, starts) - cal_units[starts])
        table["monetary_value"] = np.where(
            frequency > 0, repeat_sum / np.maximum(frequency, 1), 0.0
        )
    return cal_customer[starts], table


def _add_holdout(
    table: pd.DataFrame,
    occasions: _Occasions,
    calibration: NDArray[np.bool_],
    customer: NDArray[np.int64],
    n_known: int,
    *,
    monetary: str | None,
) -> None:
    """Add the holdout counts (and spend) of the calibration customers to ``table``."""
    position = np.full(n_known, -1, dtype=np.int64)
    position[customer] = np.arange(customer.size)
    holdout_row = position[occasions.customer[~calibration]]
    keep = holdout_row >= 0
    row = holdout_row[keep]
    count = np.bincount(row, minlength=customer.size)
    table["frequency_holdout"] = count.astype(np.int64)
    if monetary is not None:
        units = np.zeros(customer.size, dtype=np.int64)
        np.add.at(units, row, occasions.units[~calibration][keep])
        spend = occasions.money(units)
        table["monetary_value_holdout"] = np.where(count > 0, spend / np.maximum(count, 1), 0.0)


def _warn_left_out(n_known: int, n_buyers: int, n_summarised: int, stacklevel: int = 3) -> None:
    """Say how many customers the summary leaves out, and why."""
    if n_known > n_buyers:
        msg = (
            f"{n_known - n_buyers} customer(s) have no purchase left in the window (only "
            "returns, or every purchase refunded); they are not in the summary."
        )
        warnings.warn(msg, DataWarning, stacklevel=stacklevel)
    if n_buyers > n_summarised:
        msg = (
            f"{n_buyers - n_summarised} customer(s) made their first purchase after "
            "calibration_end and are not in the calibration summary (they were not yet customers)."
        )
        warnings.warn(msg, DataWarning, stacklevel=stacklevel)


@overload
def discrete_summary(
    transactions: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    datetime: str = "occurred_at",
    freq: Freq = "Y",
    observation_end: object = None,
    tz: str = "UTC",
    assume_tz: str | None = None,
    monetary: str | None = None,
    order_id: str | None = "order_id",
    currency: str | None = "currency",
) -> pd.DataFrame: ...


@overload
def discrete_summary(
    transactions: SparkFrame,
    *,
    customer_id: str = "customer_id",
    datetime: str = "occurred_at",
    freq: Freq = "Y",
    observation_end: object = None,
    tz: str = "UTC",
    assume_tz: str | None = None,
    monetary: str | None = None,
    order_id: str | None = "order_id",
    currency: str | None = "currency",
) -> SparkFrame: ...


def discrete_summary(
    transactions: pd.DataFrame | SparkFrame,
    *,
    customer_id: str = "customer_id",
    datetime: str = "occurred_at",
    freq: Freq = "Y",
    observation_end: object = None,
    tz: str = "UTC",
    assume_tz: str | None = None,
    monetary: str | None = None,
    order_id: str | None = "order_id",
    currency: str | None = "currency",
) -> pd.DataFrame | SparkFrame:
    """Summarise transactions as repeat opportunities, compressed for BG/BB.

    In a discrete-time setting a customer can buy at most once per
    opportunity (a yearly appeal, an annual event). Each period of ``freq``
    after the first purchase is one opportunity, so for each customer
    ``frequency`` counts opportunities taken, ``recency`` is the opportunity
    of the last one and ``n_periods`` the number of opportunities observed.
    Customers with the same pattern are one row with a ``weight``: the BG/BB
    likelihood depends only on the pattern.

    Parameters
    ----------
    transactions
        One row per transaction (see :func:`rfm_summary`): a pandas or a
        Spark DataFrame.
    customer_id, datetime
        Column names.
    freq
        The opportunity: one calendar period (``"Y"`` by default).
    observation_end
        End of observation (default: the last transaction).
    tz, assume_tz
        Calendar time zone, and the zone of naive timestamps (refused without it).
    monetary
        Column of amounts. Without it every row is a purchase; with it a
        refund nets against its sale as in :func:`rfm_summary`, so an
        opportunity whose gift was refunded is not taken.
    order_id, currency
        As in :func:`rfm_summary` (used with ``monetary``).

    Returns
    -------
    pandas.DataFrame
        Columns ``frequency``, ``recency``, ``n_periods``, ``weight`` (int64),
        one row per distinct pattern, sorted; ``attrs["period"]`` is ``freq``.
    pyspark.sql.DataFrame
        For a Spark frame: the same patterns as a Spark frame (sorted), the
        ``attrs`` in the ``frequency`` column's metadata; the per-customer
        summary is computed as :func:`rfm_summary` does on Spark.

    Raises
    ------
    DataContractError
        As :func:`rfm_summary`.

    Examples
    --------
    >>> import pandas as pd
    >>> from one2one.clv import discrete_summary
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2],
    ...     "occurred_at": pd.to_datetime(["2020-03-01", "2022-05-01", "2020-01-09"], utc=True),
    ... })
    >>> discrete_summary(tx, observation_end="2023-12-31").to_dict("records")
    [{'frequency': 0, 'recency': 0, 'n_periods': 3, 'weight': 1}, {'frequency': 1, 'recency': 2, 'n_periods': 3, 'weight': 1}]
    """  # noqa: E501
    per_customer = rfm_summary(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        freq=freq,
        observation_end=observation_end,
        tz=tz,
        assume_tz=assume_tz,
        order_id=order_id,
        currency=currency,
    )
    if is_spark_frame(per_customer):
        from ._spark import discrete_summary as spark_discrete_summary  # noqa: PLC0415

        return spark_discrete_summary(per_customer, freq=freq)
    patterns = (
        cast("pd.DataFrame", per_customer)[["frequency", "recency", "T"]]
        .astype({"recency": np.int64, "T": np.int64})
        .rename(columns={"T": "n_periods"})
        .groupby(["frequency", "recency", "n_periods"], as_index=False)
        .size()
        .rename(columns={"size": "weight"})
        .astype(np.int64)
    )
    patterns.attrs["period"] = freq
    return patterns.reset_index(drop=True)
