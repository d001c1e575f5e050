"""RFM: recency, frequency and monetary value, scored and named.

The oldest tool of customer differentiation: who bought lately, often and
much. Scores are quantile ranks (1 = worst, ``bins`` = best) where tied
values always share a score, so a score never depends on row order; named
segments are plain rules over the recency and frequency scores, visible and
replaceable.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from attrs import frozen

from .._validation import (
    as_utc,
    require_columns,
    require_frame,
    require_no_missing,
    require_non_negative,
    require_number,
    require_numeric,
)
from ..errors import DataContractError

__all__ = ["DEFAULT_SEGMENTS", "RFMSegment", "rfm_scores", "rfm_segments", "rfm_table"]


def rfm_table(transactions: pd.DataFrame, *, as_of: object = None) -> pd.DataFrame:
    """Summarise a transaction log per customer: days since the last purchase, purchases, spend.

    Parameters
    ----------
    transactions
        Columns ``customer_id``, ``occurred_at`` (time stamps; naive ones are
        read as UTC) and ``value``.
    as_of
        The day recency is measured at; the last transaction's time if ``None``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``recency_days`` (float, >= 0),
        ``frequency`` (transactions) and ``monetary`` (total value).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "value": [10.0, 5.0, 7.0],
    ...                    "occurred_at": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-06"])})
    >>> rfm_table(tx).to_dict("index")
    {1: {'recency_days': 0.0, 'frequency': 2, 'monetary': 15.0}, 2: {'recency_days': 5.0, 'frequency': 1, 'monetary': 7.0}}
    """  # noqa: E501
    frame = require_frame(transactions, name="transactions")
    require_columns(frame, ["customer_id", "occurred_at", "value"], name="transactions")
    if frame.empty:
        msg = "transactions is empty; there is nobody to score."
        raise DataContractError(msg, column="customer_id")
    require_no_missing(frame, ["customer_id", "occurred_at", "value"], name="transactions")
    require_numeric(frame, "value", name="transactions")
    when = as_utc(frame["occurred_at"], name="occurred_at", assume_tz="UTC")
    if as_of is None:
        end = when.max()
    else:
        stamp = pd.to_datetime(pd.Series([as_of], dtype=object))
        end = as_utc(stamp, name="as_of", assume_tz="UTC").iloc[0]
    if (when > end).any():
        row = frame.index[(when > end).to_numpy().nonzero()[0][0]]
        msg = f"transactions after as_of={end} (first at row {row!r}); cut the log or move as_of."
        raise DataContractError(msg, column="occurred_at", value=str(end), row=row)
    grouped = frame.assign(occurred_at=when).groupby("customer_id")
    table = pd.DataFrame(
        {
            "recency_days": (end - grouped["occurred_at"].max()) / pd.Timedelta(days=1),
            "frequency": grouped.size(),
            "monetary": grouped["value"].sum(),
        }
    )
    table.index.name = "customer_id"
    return table


def _score(values: pd.Series, bins: int, *, higher_is_better: bool) -> pd.Series:
    """Quantile score 1..bins; tied values share the score of their average rank."""
    share = values.rank(method="average", pct=True, ascending=higher_is_better)
    return pd.Series(np.ceil(share * bins), index=values.index).clip(1, bins).astype("int64")


def rfm_scores(table: pd.DataFrame, *, bins: int = 5) -> pd.DataFrame:
    """Score recency, frequency and monetary value from 1 (worst) to ``bins`` (best).

    Tie policy: customers with equal values get the same score (that of their
    average rank), so scores do not depend on row order and bins may hold
    unequal numbers of customers when many values are tied (frequency 1 is
    common). Recent purchases (small ``recency_days``) score high.

    Parameters
    ----------
    table
        Columns ``recency_days``, ``frequency`` and ``monetary``, one row per
        customer (e.g. from :func:`rfm_table`).
    bins
        Number of score levels (5 gives the classic 1..5 scores).

    Returns
    -------
    pandas.DataFrame
        ``table`` plus ``r_score``, ``f_score``, ``m_score`` and ``rfm`` (e.g. ``"545"``).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"recency_days": [1.0, 30, 300], "frequency": [9, 3, 1],
    ...                       "monetary": [500.0, 80, 20]}, index=["a", "b", "c"])
    >>> rfm_scores(table, bins=3)["rfm"].tolist()
    ['333', '222', '111']
    """
    frame = require_frame(table, name="table")
    columns = ["recency_days", "frequency", "monetary"]
    require_columns(frame, columns, name="table")
    require_number(bins, name="bins", low=2, integer=True)
    if frame.empty:
        msg = "table is empty; there is nobody to score."
        raise DataContractError(msg, column="recency_days")
    require_no_missing(frame, columns, name="table")
    for column in columns:
        require_numeric(frame, column, name="table")
    require_non_negative(frame, ["recency_days", "frequency"], name="table")
    scored = frame.copy()
    scored["r_score"] = _score(frame["recency_days"], int(bins), higher_is_better=False)
    scored["f_score"] = _score(frame["frequency"], int(bins), higher_is_better=True)
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
    """A named RFM segment: customers whose scores fall in both ranges (inclusive)."""

    name: str
    recency: tuple[int, int]
    frequency: tuple[int, int]

    def contains(self, r_score: pd.Series, f_score: pd.Series) -> pd.Series:
        """Return which customers the rule covers."""
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


def rfm_segments(
    scores: pd.DataFrame, segments: Sequence[RFMSegment] = DEFAULT_SEGMENTS
) -> pd.Series:
    """Name each customer's segment from their recency and frequency scores.

    The first rule that covers a customer names them; customers no rule
    covers are ``"other"``. Pass your own rules to change the map.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"r_score": [5, 1, 3], "f_score": [5, 5, 1]}, index=["a", "b", "c"])
    >>> rfm_segments(scores).tolist()
    ['champions', 'cannot lose them', 'about to sleep']
    """
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
