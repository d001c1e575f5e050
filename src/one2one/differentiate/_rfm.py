"""RFM: recency, frequency and monetary value, scored and named.

The oldest tool of customer differentiation: who bought lately, often and
much. Scores are quantile ranks (1 = worst, ``bins`` = best) where tied
values always share a score, so a score never depends on row order; named
segments are plain rules over the recency and frequency scores, visible and
replaceable.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import overload

import numpy as np
import pandas as pd
from attrs import frozen

from .._spark import SparkFrame, is_spark_frame
from .._transactions import (
    Occasions,
    Transactions,
    local_days,
    purchase_occasions,
    read_transactions,
    warn_unnetted,
)
from .._validation import (
    require_columns,
    require_frame,
    require_no_missing,
    require_non_negative,
    require_number,
    require_numeric,
)
from ..errors import DataContractError, DataWarning

__all__ = ["DEFAULT_SEGMENTS", "RFMSegment", "rfm_scores", "rfm_segments", "rfm_table"]


@overload
def rfm_table(
    transactions: SparkFrame,
    *,
    as_of: object = None,
    customer_id: str = "customer_id",
    datetime: str = "occurred_at",
    monetary: str = "value",
    order_id: str | None = "order_id",
    currency: str | None = "currency",
    tz: str = "UTC",
    assume_tz: str | None = None,
    decimals: int | None = None,
) -> SparkFrame: ...
@overload
def rfm_table(
    transactions: pd.DataFrame,
    *,
    as_of: object = None,
    customer_id: str = "customer_id",
    datetime: str = "occurred_at",
    monetary: str = "value",
    order_id: str | None = "order_id",
    currency: str | None = "currency",
    tz: str = "UTC",
    assume_tz: str | None = None,
    decimals: int | None = None,
) -> pd.DataFrame: ...
def rfm_table(
    transactions: pd.DataFrame | SparkFrame,
    *,
    as_of: object = None,
    customer_id: str = "customer_id",
    datetime: str = "occurred_at",
    monetary: str = "value",
    order_id: str | None = "order_id",
    currency: str | None = "currency",
    tz: str = "UTC",
    assume_tz: str | None = None,
    decimals: int | None = None,
) -> pd.DataFrame | SparkFrame:
    """Summarise a transaction log per customer: days since the last purchase, purchases, spend.

    Purchases are *purchase occasions*, as in ``one2one.clv.rfm_summary``: a
    customer's sales on one calendar day (in ``tz``) are one purchase, a
    refund nets against the sale it undoes, and a sale refunded in full is
    no purchase. So ``purchases`` is ``frequency + 1`` of a daily
    ``rfm_summary`` of the same log (``frequency`` there counts *repeat*
    occasions; the two names keep the two quantities apart).

    Parameters
    ----------
    transactions
        One row per sale (positive ``value``) or refund (negative), the
        :data:`one2one.contracts.TRANSACTIONS` table; a pandas or a Spark
        DataFrame. In a Spark frame a ``TIMESTAMP`` column holds instants
        (time-zone aware, whatever the session's zone) and a
        ``TIMESTAMP_NTZ`` column naive wall times (read in ``assume_tz``).
        Customers are split into buckets (``hash(customer_id) mod k``) that
        run this function's pandas code on the executors, after the log's
        last moment and its currency are found in Spark, so the numbers are
        the pandas path's.
    as_of
        The moment recency is measured at (naive: in ``tz``); the last
        transaction's time if ``None``.
    customer_id, datetime, monetary
        Column names.
    order_id
        Column of the order a row belongs to: a refund nets against the sales
        of its order, latest first; without one (or without the column),
        against the customer's latest purchases at or before it. The default
        is used when present; another name must exist.
    currency
        Column of the currency code: one currency per table (several are
        refused); it sets the minor unit money is rounded to. Used when present.
    tz
        Time zone whose calendar days make the purchase occasions.
    assume_tz
        Time zone of naive timestamps; by default naive timestamps are
        refused (never read as UTC).
    decimals
        Decimals of the minor unit, overriding the currency's (default 2).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (customers with a purchase left), sorted:
        ``recency_days`` (float, >= 0: from the latest purchase refunds left
        standing), ``purchases`` (int, purchase occasions) and ``monetary``
        (net spend, exact, rounded to the minor unit). ``attrs`` records
        ``currency`` and ``decimals``.

        With a Spark DataFrame: a Spark DataFrame, one row per customer, in
        no particular order, with the key as a column ``customer_id`` (of the
        input column's type) and the same three columns and values; the
        ``attrs`` travel in the metadata of ``customer_id``
        (``one2one._spark.spark_attrs`` reads them). It is computed when the
        function is called (the warnings need its counts) and held with
        ``localCheckpoint``, so using it does not compute it again.

    Raises
    ------
    DataContractError
        On missing columns or values, non-finite amounts, naive timestamps
        without ``assume_tz``, several currencies, or transactions after
        ``as_of``.

    Warns
    -----
    DataWarning
        For refunds with nothing to net against (their number and amount),
        and for customers left with no purchase.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "value": [10.0, 5.0, 7.0],
    ...                    "occurred_at": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-06"],
    ...                                                  utc=True)})
    >>> rfm_table(tx).to_dict("index")
    {1: {'recency_days': 0.0, 'purchases': 2, 'monetary': 15.0}, 2: {'recency_days': 5.0, 'purchases': 1, 'monetary': 7.0}}
    """  # noqa: E501
    if is_spark_frame(transactions):
        from ._spark import rfm_table as spark_rfm_table  # noqa: PLC0415 - pyspark only here

        return spark_rfm_table(
            transactions,
            as_of=as_of,
            customer_id=customer_id,
            datetime=datetime,
            monetary=monetary,
            order_id=order_id,
            currency=currency,
            tz=tz,
            assume_tz=assume_tz,
            decimals=decimals,
        )
    table = read_transactions(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        order_id=order_id,
        currency=currency,
        assume_tz=assume_tz,
        decimals=decimals,
        use="RFM",
        arguments="customer_id=, datetime=, monetary=, order_id=, currency=",
    )
    end = _moment(as_of, tz) if as_of is not None else table.utc.max()
    late = (table.utc > end).to_numpy()
    if late.any():
        row = table.rows[np.flatnonzero(late)[0]]
        msg = f"transactions after as_of={end} (first at row {row!r}); cut the log or move as_of."
        raise DataContractError(msg, column=datetime, value=str(end), row=row)
    result, occasions, n_known = _rfm_rows(table, end, tz)
    if result.empty:
        msg = (
            "transactions hold no purchase (only refunds, or every sale refunded); nobody to score."
        )
        raise DataContractError(msg, column=monetary)
    warn_unnetted(table, occasions, stacklevel=2)
    if n_known > len(result):
        msg = (
            f"{n_known - len(result)} customer(s) have no purchase left (only returns, or every "
            "purchase refunded); they are not in the RFM table."
        )
        warnings.warn(msg, DataWarning, stacklevel=2)
    result.attrs["currency"] = table.currency
    result.attrs["decimals"] = table.decimals
    return result


def _rfm_rows(
    table: Transactions, end: pd.Timestamp, tz: str
) -> tuple[pd.DataFrame, Occasions, int]:
    """Return the RFM rows of ``table`` (maybe none), its occasions and its number of customers.

    The whole computation of :func:`rfm_table` after the checks, shared with
    the Spark path, which runs it on each bucket of customers (a customer's
    rows never straddle two buckets, and ``end`` is the whole log's).
    """
    days = local_days(table.utc, tz)
    occasions = purchase_occasions(table.customer, table.time, days, table.units, table.order)
    customer = occasions.customer
    starts = (
        np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]]) if customer.size else customer
    )
    lasts = np.r_[starts[1:], customer.size] - 1
    n_known = int(np.unique(table.customer).size)
    if starts.size == 0:
        empty = pd.DataFrame(
            {
                "recency_days": np.zeros(0, dtype=np.float64),
                "purchases": np.zeros(0, dtype=np.int64),
                "monetary": np.zeros(0, dtype=np.float64),
            },
            index=pd.Index(table.ids[:0], name="customer_id"),
        )
        return empty, occasions, n_known
    last = pd.to_datetime(occasions.last_time[lasts], utc=True)
    result = pd.DataFrame(
        {
            "recency_days": ((end - last) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64),
            "purchases": (lasts - starts + 1).astype(np.int64),
            "monetary": table.money(np.add.reduceat(occasions.units, starts)),
        },
        index=pd.Index(table.ids[customer[starts]], name="customer_id"),
    )
    return result, occasions, n_known


def _moment(value: object, tz: str) -> pd.Timestamp:
    """One moment in UTC; a naive one is read in ``tz`` (as clv reads observation_end)."""
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        msg = f"'as_of' must be a date or time (got {value!r})."
        raise DataContractError(msg, column="as_of", value=value) from error
    if stamp.tz is None:
        stamp = stamp.tz_localize(tz)
    return stamp.tz_convert("UTC")


def _score(values: pd.Series, bins: int, *, higher_is_better: bool) -> pd.Series:
    """Quantile score 1..bins; tied values share the score of their average rank."""
    share = values.rank(method="average", pct=True, ascending=higher_is_better)
    return pd.Series(np.ceil(share * bins), index=values.index).clip(1, bins).astype("int64")


@overload
def rfm_scores(table: SparkFrame, *, bins: int = 5) -> SparkFrame: ...
@overload
def rfm_scores(table: pd.DataFrame, *, bins: int = 5) -> pd.DataFrame: ...
def rfm_scores(table: pd.DataFrame | SparkFrame, *, bins: int = 5) -> pd.DataFrame | SparkFrame:
    """Score recency, frequency and monetary value from 1 (worst) to ``bins`` (best).

    Tie policy: customers with equal values get the same score (that of their
    average rank), so scores do not depend on row order and bins may hold
    unequal numbers of customers when many values are tied (one purchase is
    common). Recent purchases (small ``recency_days``) score high.

    Parameters
    ----------
    table
        Columns ``recency_days``, ``purchases`` and ``monetary``, one row per
        customer (e.g. from :func:`rfm_table`). A table whose purchase count
        is still called ``frequency`` (as rfm_table named it before it was
        ``purchases``) is read with a ``DeprecationWarning``. A pandas or a
        Spark DataFrame (with Spark, ranks are exact, not approximate: each
        column's distinct values are counted and ranked in one task, so the
        work grows with the number of distinct values, not of customers).
    bins
        Number of score levels (5 gives the classic 1..5 scores).

    Returns
    -------
    pandas.DataFrame
        ``table`` plus ``r_score``, ``f_score`` (from ``purchases``),
        ``m_score`` and ``rfm`` (e.g. ``"545"``).

        With a Spark DataFrame: a Spark DataFrame of the table's columns
        (``customer_id`` among them when it came from :func:`rfm_table`)
        plus the same four, with the scores the pandas path gives (ties
        included), rows in no particular order.

    Raises
    ------
    DataContractError
        On missing columns or values, non-numeric or negative recency and
        purchases, or fewer than 2 bins.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"recency_days": [1.0, 30, 300], "purchases": [9, 3, 1],
    ...                       "monetary": [500.0, 80, 20]}, index=["a", "b", "c"])
    >>> rfm_scores(table, bins=3)["rfm"].tolist()
    ['333', '222', '111']
    """
    if is_spark_frame(table):
        from ._spark import rfm_scores as spark_rfm_scores  # noqa: PLC0415 - pyspark only here

        return spark_rfm_scores(table, bins=bins)
    frame = require_frame(table, name="table")
    count = "purchases"
    if "purchases" not in frame.columns and "frequency" in frame.columns:
        msg = (
            "rfm_scores reads the purchase count from 'purchases' (rfm_table's name for it "
            "since 'frequency' means repeat purchases in one2one.clv); rename the column, "
            "'frequency' will stop being read."
        )
        warnings.warn(msg, DeprecationWarning, stacklevel=2)
        count = "frequency"
    columns = ["recency_days", count, "monetary"]
    require_columns(frame, columns, name="table")
    require_number(bins, name="bins", low=2, integer=True)
    if frame.empty:
        msg = "table is empty; there is nobody to score."
        raise DataContractError(msg, column="recency_days")
    require_no_missing(frame, columns, name="table")
    for column in columns:
        require_numeric(frame, column, name="table")
    require_non_negative(frame, ["recency_days", count], name="table")
    scored = frame.copy()
    scored["r_score"] = _score(frame["recency_days"], int(bins), higher_is_better=False)
    scored["f_score"] = _score(frame[count], int(bins), higher_is_better=True)
    scored["m_score"] = _score(frame["monetary"], int(bins), higher_is_better=True)
    scored["rfm"] = _codes(scored["r_score"], scored["f_score"], scored["m_score"], int(bins))
    return scored


def _codes(r: pd.Series, f: pd.Series, m: pd.Series, bins: int) -> pd.Series:
    """Join the three scores into a code like ``"545"`` (a table lookup for the usual bins)."""
    if bins > 20:  # noqa: PLR2004 (a lookup table of bins**3 codes stops paying)
        return r.astype(str) + f.astype(str) + m.astype(str)
    table = np.array(
        [
            f"{a}{b}{c}"
            for a in range(1, bins + 1)
            for b in range(1, bins + 1)
            for c in range(1, bins + 1)
        ],
        dtype=object,
    )
    position = ((r.to_numpy() - 1) * bins + (f.to_numpy() - 1)) * bins + (m.to_numpy() - 1)
    return pd.Series(table[position.astype(np.intp)], index=r.index, dtype=object)


@frozen
class RFMSegment:
    """A named RFM segment: customers whose scores fall in both ranges (inclusive).

    Parameters
    ----------
    name
        The segment's name, as :func:`rfm_segments` writes it.
    recency
        ``(low, high)`` recency scores covered, inclusive (5 is most recent).
    frequency
        ``(low, high)`` frequency scores covered, inclusive (5 is most frequent).
    """

    name: str
    recency: tuple[int, int]
    frequency: tuple[int, int]

    def contains(self, r_score: pd.Series, f_score: pd.Series) -> pd.Series:
        """Return which customers the rule covers.

        Parameters
        ----------
        r_score, f_score
            Recency and frequency scores per customer, on one index.

        Returns
        -------
        pandas.Series of bool
            True where both scores fall in the segment's ranges.
        """
        return r_score.between(*self.recency) & f_score.between(*self.frequency)


DEFAULT_SEGMENTS: tuple[RFMSegment, ...] = (
    RFMSegment("champions", (5, 5), (4, 5)),
    RFMSegment("loyal", (3, 4), (4, 5)),
    RFMSegment("potential loyalists", (4, 5), (2, 3)),
    RFMSegment("new", (5, 5), (1, 1)),
    RFMSegment("promising", (4, 4), (1, 1)),
    RFMSegment("need attention", (3, 3), (3, 3)),
    RFMSegment("about to sleep", (3, 3), (1, 2)),
    RFMSegment("cannot lose them", (1, 1), (5, 5)),
    RFMSegment("at risk", (1, 2), (3, 5)),
    RFMSegment("hibernating", (1, 2), (1, 2)),
)
"""The usual named segments on 1..5 recency and frequency scores; the first rule that fits wins."""


@overload
def rfm_segments(
    scores: SparkFrame, segments: Sequence[RFMSegment] = DEFAULT_SEGMENTS
) -> SparkFrame: ...
@overload
def rfm_segments(
    scores: pd.DataFrame, segments: Sequence[RFMSegment] = DEFAULT_SEGMENTS
) -> pd.Series: ...
def rfm_segments(
    scores: pd.DataFrame | SparkFrame, segments: Sequence[RFMSegment] = DEFAULT_SEGMENTS
) -> pd.Series | SparkFrame:
    """Name each customer's segment from their recency and frequency scores.

    The first rule that covers a customer names them; customers no rule
    covers are ``"other"``. Pass your own rules to change the map.

    Parameters
    ----------
    scores
        The output of :func:`rfm_scores` (or any frame with ``r_score`` and
        ``f_score``), indexed by customer; or a Spark DataFrame.
    segments
        The rules, in priority order; the usual ten by default.

    Returns
    -------
    pandas.Series
        Each customer's segment name (pandas ``string``), named ``segment``,
        on the index of ``scores``. With a Spark DataFrame: ``scores`` with a
        ``segment`` column added (a Spark DataFrame has no index to carry a
        Series; its ``customer_id`` column is the key).

    Raises
    ------
    DataContractError
        If ``scores`` is not a DataFrame, lacks ``r_score`` or ``f_score`` or
        has missing scores, or ``segments`` is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"r_score": [5, 1, 3], "f_score": [5, 5, 1]}, index=["a", "b", "c"])
    >>> rfm_segments(scores).tolist()
    ['champions', 'cannot lose them', 'about to sleep']
    """
    if is_spark_frame(scores):
        from ._spark import rfm_segments as spark_rfm_segments  # noqa: PLC0415 - pyspark only

        return spark_rfm_segments(scores, segments)
    frame = require_frame(scores, name="scores")
    require_columns(frame, ["r_score", "f_score"], name="scores")
    require_no_missing(frame, ["r_score", "f_score"], name="scores")
    if not segments:
        msg = "no segments given; pass at least one RFMSegment."
        raise DataContractError(msg, column="segments")
    names = pd.Series("other", index=frame.index, name="segment", dtype="string")
    open_ = pd.Series(data=True, index=frame.index)
    for segment in segments:
        hit = segment.contains(frame["r_score"], frame["f_score"]) & open_
        names[hit] = segment.name
        open_ &= ~hit
    return names
