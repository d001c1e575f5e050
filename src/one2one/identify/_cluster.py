"""Clustering: from scored pairs to one ``customer_id`` per record.

Plain connected components let one doubtful pair chain two whole families
of records into one customer. Here pairs above the threshold are joined
strongest first, and two groups that already hold several records each are
merged only when the pairs compared between them agree on average; a
single strong edge still joins a record to a group.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._validation import require_columns, require_frame
from ..errors import DataContractError, DataWarning

__all__ = ["cluster_pairs", "link_one_to_one"]

GIANT_SIZE = 50
"""A customer with more records than this (and more than ``GIANT_SHARE``) is suspect."""
GIANT_SHARE = 0.01


def cluster_pairs(
    pairs: pd.DataFrame,
    record_ids: pd.Index | pd.Series | list[str],
    *,
    threshold: float = 0.9,
    group_link: float | None = 0.5,
) -> pd.Series:
    """Group records into customers from scored pairs.

    Parameters
    ----------
    pairs
        Columns ``left``, ``right`` (record ids) and ``match_probability``.
    record_ids
        Every record to label, paired or not.
    threshold
        Pairs at or above this probability are evidence to join.
    group_link
        Two groups of two or more records each are merged only if the pairs
        compared between them average at least this probability; ``None``
        gives plain connected components.

    Returns
    -------
    pandas.Series
        ``customer_id`` per record id: the smallest record id of its group,
        so the labels do not depend on the order of the input.

    Raises
    ------
    DataContractError
        If ``pairs`` lacks a column, names a record that is not among
        ``record_ids``, or has a missing probability, or ``record_ids`` are
        not unique.

    Warns
    -----
    DataWarning
        If the largest customer holds more than 50 records and more than 1%
        of all records: a customer that size is chains of weak links.

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = pd.DataFrame(
    ...     {"left": ["a", "b", "c"], "right": ["b", "c", "d"], "match_probability": [0.99, 0.3, 0.95]}
    ... )
    >>> cluster_pairs(pairs, ["a", "b", "c", "d", "e"]).tolist()
    ['a', 'a', 'c', 'c', 'e']
    """  # noqa: E501
    labels = cluster_frame(pairs, record_ids, threshold=threshold, group_link=group_link)
    warn_giant_clusters(labels, stacklevel=3)
    return labels


def cluster_frame(
    pairs: pd.DataFrame,
    record_ids: pd.Index | pd.Series | list[str],
    *,
    threshold: float,
    group_link: float | None,
) -> pd.Series:
    """Check the pairs and cluster them, as :func:`cluster_pairs` does, without warning."""
    ids = pd.Index(pd.Series(list(record_ids), dtype="string"), name="record_id")
    if ids.has_duplicates:
        value = ids[ids.duplicated()][0]
        msg = f"record ids must be unique (got {value!r} twice)."
        raise DataContractError(msg, column="record_id", value=value)
    frame = require_frame(pairs, name="pairs")
    require_columns(frame, ["left", "right", "match_probability"], name="pairs")
    i = ids.get_indexer(pd.Index(frame["left"].astype("string")))
    j = ids.get_indexer(pd.Index(frame["right"].astype("string")))
    unknown = (i < 0) | (j < 0)
    if unknown.any():
        row = int(np.flatnonzero(unknown)[0])
        value = frame["left"].iloc[row] if i[row] < 0 else frame["right"].iloc[row]
        msg = f"pairs name a record that is not among record_ids: {value!r}."
        raise DataContractError(msg, column="left" if i[row] < 0 else "right", value=value)
    p = frame["match_probability"].to_numpy(dtype=float)
    if np.isnan(p).any():
        row = int(np.flatnonzero(np.isnan(p))[0])
        msg = "pairs column 'match_probability' has a missing value."
        raise DataContractError(msg, column="match_probability", row=row)
    return cluster_positions(ids, i, j, p, threshold=threshold, group_link=group_link)


def cluster_positions(
    ids: pd.Index,
    i: NDArray[np.intp] | NDArray[np.int64],
    j: NDArray[np.intp] | NDArray[np.int64],
    p: NDArray[np.float64],
    *,
    threshold: float,
    group_link: float | None,
) -> pd.Series:
    """Cluster pairs given as positions into ``ids`` (no checks: for the pipeline)."""
    root = _join(len(ids), i, j, p, threshold=threshold, group_link=group_link)
    # label each group by its smallest record id (order-free)
    rank = np.argsort(np.argsort(ids.to_numpy(dtype=str), kind="stable"), kind="stable")
    smallest = pd.Series(rank).groupby(root).transform("min").to_numpy()
    by_rank = np.empty(len(ids), dtype=np.int64)
    by_rank[rank] = np.arange(len(ids))
    labels = ids.to_numpy(dtype=object)[by_rank[smallest]]
    return pd.Series(labels, index=ids, name="customer_id", dtype="string")


def warn_giant_clusters(labels: pd.Series, *, hint: str = "", stacklevel: int = 2) -> None:
    """Warn when the largest customer holds more than 50 records and more than 1% of all.

    A real customer rarely has more than a handful of records; a group of
    hundreds is chains of weak links (a placeholder value, shared addresses
    or names scored as evidence), and everything downstream of it (history,
    consent, value) would be merged. ``hint`` is added to the message.
    """
    n = len(labels)
    if n <= GIANT_SIZE:
        return
    sizes = labels.value_counts(sort=True)
    warn_giant_size(int(sizes.iloc[0]), n, sizes.index[0], hint=hint, stacklevel=stacklevel + 1)


def warn_giant_size(
    largest: int, n: int, label: object, *, hint: str = "", stacklevel: int = 2
) -> None:
    """:func:`warn_giant_clusters` from the largest customer's size and label alone."""
    if n > GIANT_SIZE and largest > GIANT_SIZE and largest > GIANT_SHARE * n:
        msg = (
            f"the largest customer holds {largest:,} of {n:,} records ({largest / n:.1%}; "
            f"customer id {label!r}), more than {GIANT_SIZE} records and "
            f"{GIANT_SHARE:.0%} of all: usually chains of weak links, not one person. Look "
            "at its pairs (predict_pairs) and raise the threshold or declare more fields." + hint
        )
        warnings.warn(msg, DataWarning, stacklevel=stacklevel + 1)


def _join(
    n: int,
    i: NDArray[np.intp] | NDArray[np.int64],
    j: NDArray[np.intp] | NDArray[np.int64],
    p: NDArray[np.float64],
    *,
    threshold: float,
    group_link: float | None,
) -> NDArray[np.int64]:
    """Union-find over edges, strongest first, with the group-to-group check."""
    parent = np.arange(n)
    size = np.ones(n, dtype=np.int64)
    members: dict[int, list[int]] = {}
    strong = np.flatnonzero(p >= threshold)
    low, high = np.minimum(i, j), np.maximum(i, j)
    order = strong[np.lexsort((high[strong], low[strong], -p[strong]))]
    # every scored pair, both ways, grouped by record (CSR), for the group check
    ends = np.concatenate([low, high])
    order_by_end = np.argsort(ends, kind="stable")
    others = np.concatenate([high, low])[order_by_end]
    scores_by_end = np.concatenate([p, p])[order_by_end]
    start = np.concatenate([[0], np.cumsum(np.bincount(ends, minlength=n))])

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    for edge in order.tolist():
        a, b = find(int(low[edge])), find(int(high[edge]))
        if a == b:
            continue
        if group_link is not None and min(size[a], size[b]) > 1:
            group_a = members.get(a, [a])
            group_b = np.asarray(members.get(b, [b]))
            spans = [np.arange(start[x], start[x + 1]) for x in group_a]
            slots = np.concatenate(spans)
            between = np.isin(others[slots], group_b)
            if scores_by_end[slots][between].mean() < group_link:
                continue
        if size[a] < size[b]:
            a, b = b, a
        parent[b] = a
        size[a] += size[b]
        members.setdefault(a, [a]).extend(members.pop(b, [b]))
    return np.array([find(x) for x in range(n)], dtype=np.int64)


def link_one_to_one(pairs: pd.DataFrame, *, threshold: float = 0.5) -> pd.DataFrame:
    """Keep, strongest first, pairs whose two records are both still unmatched.

    For linking two files that are each free of duplicates (a customer file
    and a list of sign-ups): each record matches at most one on the other side.
    Greedy by probability, so a strong match is never given up for two weak
    ones.

    Parameters
    ----------
    pairs
        Scored pairs: ``left`` (record ids of the first file), ``right`` (of
        the second) and ``match_probability``.
    threshold
        Pairs below this probability are never kept.

    Returns
    -------
    pandas.DataFrame
        The kept rows of ``pairs``, strongest first, with a fresh index.

    Raises
    ------
    DataContractError
        If ``pairs`` is not a DataFrame or lacks ``left``, ``right`` or
        ``match_probability``.

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = pd.DataFrame(
    ...     {"left": ["a", "a", "b"], "right": ["x", "y", "x"], "match_probability": [0.9, 0.8, 0.7]}
    ... )
    >>> link_one_to_one(pairs)[["left", "right"]].values.tolist()
    [['a', 'x']]
    """  # noqa: E501
    frame = require_frame(pairs, name="pairs")
    require_columns(frame, ["left", "right", "match_probability"], name="pairs")
    kept = frame[frame["match_probability"] >= threshold]
    kept = kept.sort_values(
        ["match_probability", "left", "right"], ascending=[False, True, True], kind="stable"
    )
    used_left: set[object] = set()
    used_right: set[object] = set()
    rows = []
    for row, a, b in zip(kept.index, kept["left"], kept["right"], strict=True):
        if a in used_left or b in used_right:
            continue
        used_left.add(a)
        used_right.add(b)
        rows.append(row)
    return frame.loc[rows].reset_index(drop=True)
