"""Blocking: compare only records that share something, and know the cost first.

Comparing every record with every other is n(n-1)/2 pairs: 5 billion for
100,000 records. A blocking rule keeps the pairs that agree on a key (a
surname, the first 3 letters of a postcode, ...); several rules are combined
by union, so a pair missed by one (a typo in the surname) is caught by
another (same date of birth).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from attrs import field, frozen
from numpy.typing import NDArray

from .._validation import require_columns, require_frame
from ..errors import DataContractError

__all__ = ["BlockingRule", "blocking_quality", "candidate_pairs", "count_candidate_pairs"]

IntArray = NDArray[np.int64]


def _names(fields: Sequence[str] | str) -> tuple[str, ...]:
    return (fields,) if isinstance(fields, str) else tuple(fields)


@frozen
class BlockingRule:
    """Records are candidates when they agree on every field of the rule.

    Parameters
    ----------
    fields
        Standardised field names (as produced by ``RecordSchema.standardise``).
    prefix
        If given, compare only the first ``prefix`` characters of each field
        (e.g. 3 letters of a surname, to survive a typo at its end).

    Examples
    --------
    >>> BlockingRule(["surname", "postcode"]).name
    'surname+postcode'
    >>> BlockingRule("surname", prefix=3).name
    'surname[:3]'
    """

    fields: tuple[str, ...] = field(converter=_names)
    prefix: int | None = None

    @property
    def name(self) -> str:
        """A readable name, used in reports."""
        cut = "" if self.prefix is None else f"[:{self.prefix}]"
        return "+".join(f"{f}{cut}" for f in self.fields)

    def keys(self, records: pd.DataFrame) -> pd.Series:
        """Return each record's blocking key; records missing any field get NA (no block)."""
        require_columns(records, self.fields, name="records")
        if self.prefix is not None and self.prefix < 1:
            msg = f"blocking rule {self.name!r}: prefix must be >= 1 (got {self.prefix})."
            raise DataContractError(msg, column=self.fields[0], value=self.prefix)
        parts = []
        for name in self.fields:
            values = records[name].astype("string")
            if self.prefix is not None:
                values = values.str[: self.prefix]
            parts.append(values)
        key = parts[0]
        for part in parts[1:]:
            key = key + "\x1f" + part  # NA in any part makes the key NA
        return key


def _codes(records: pd.DataFrame, rule: BlockingRule) -> IntArray:
    codes, _ = pd.factorize(rule.keys(records), use_na_sentinel=True)
    return codes.astype(np.int64)


def count_candidate_pairs(
    records: pd.DataFrame,
    rules: Sequence[BlockingRule],
    *,
    other: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Count the pairs each rule would produce, from block sizes alone (no pairs are built).

    Use it before :func:`candidate_pairs` to avoid a pair explosion: a rule on
    a field with a few huge blocks (a common surname, a missing postcode
    filled with a placeholder) shows up here at no cost.

    Parameters
    ----------
    records
        Standardised records (deduplication), or the left file (linking).
    rules
        Blocking rules.
    other
        The right file, when linking two files.

    Returns
    -------
    pandas.DataFrame
        One row per rule (indexed by its name): ``pairs``, ``largest_block``
        and ``share_of_all_pairs``; the union has at most the sum of ``pairs``.
    """
    left = require_frame(records, name="records")
    rows = {}
    total = len(left) * (len(left) - 1) // 2 if other is None else len(left) * len(other)
    for rule in rules:
        sizes = pd.Series(_codes(left, rule)).pipe(lambda c: c[c >= 0]).value_counts()
        if other is None:
            pairs = int((sizes * (sizes - 1) // 2).sum())
            largest = int(sizes.max()) if len(sizes) else 0
        else:
            right = pd.Series(rule.keys(require_frame(other, name="other"))).value_counts()
            left_keys = rule.keys(left).value_counts()
            joint = left_keys.mul(right, fill_value=0)
            pairs = int(joint.sum())
            largest = int(joint.max()) if len(joint) else 0
        rows[rule.name] = {
            "pairs": pairs,
            "largest_block": largest,
            "share_of_all_pairs": pairs / total if total else 0.0,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "rule"
    return table


def candidate_pairs(
    records: pd.DataFrame,
    rules: Sequence[BlockingRule],
    *,
    other: pd.DataFrame | None = None,
    max_pairs: int = 50_000_000,
) -> pd.DataFrame:
    """Return the union of the pairs of every rule, each pair once.

    Parameters
    ----------
    records, rules, other
        As for :func:`count_candidate_pairs`.
    max_pairs
        Refuse to build more pairs than this (the count is checked first).

    Returns
    -------
    pandas.DataFrame
        Columns ``left`` and ``right``: record ids (the index of ``records``
        and ``other``). For deduplication ``left < right`` positionally, so no
        pair or self-pair appears twice.

    Raises
    ------
    DataContractError
        If there are no rules, or the rules would produce more than ``max_pairs``.
    """
    if not rules:
        msg = "no blocking rules given; pass at least one BlockingRule."
        raise DataContractError(msg, column="rules")
    left = require_frame(records, name="records")
    counts = count_candidate_pairs(left, rules, other=other)
    per_rule = counts["pairs"]
    if per_rule.sum() > max_pairs:
        worst = str(per_rule.idxmax())
        msg = (
            f"the blocking rules would produce up to {int(per_rule.sum()):,} pairs "
            f"(max_pairs={max_pairs:,}); rule {worst!r} alone gives "
            f"{int(per_rule.max()):,}. Use a stricter rule."
        )
        raise DataContractError(msg, column=worst, value=int(per_rule.sum()))
    right = left if other is None else require_frame(other, name="other")
    found = [_pairs_of(left, right, rule, dedupe=other is None) for rule in rules]
    i = np.concatenate([f[0] for f in found])
    j = np.concatenate([f[1] for f in found])
    unique = np.unique(i * len(right) + j)
    first, second = unique // len(right), unique % len(right)
    return pd.DataFrame({"left": left.index[first], "right": right.index[second]})


def _pairs_of(
    left: pd.DataFrame, right: pd.DataFrame, rule: BlockingRule, *, dedupe: bool
) -> tuple[IntArray, IntArray]:
    """Positional (i, j) pairs of records sharing the rule's key."""
    keys_left = rule.keys(left)
    keys_right = keys_left if dedupe else rule.keys(right)
    a = pd.DataFrame({"key": keys_left, "i": np.arange(len(left))}).dropna()
    b = pd.DataFrame({"key": keys_right, "j": np.arange(len(right))}).dropna()
    joined = a.merge(b, on="key")
    i, j = joined["i"].to_numpy(np.int64), joined["j"].to_numpy(np.int64)
    if dedupe:
        keep = i < j
        i, j = i[keep], j[keep]
    return i, j


def blocking_quality(
    pairs: pd.DataFrame, true_links: pd.DataFrame, *, n_left: int, n_right: int | None = None
) -> dict[str, float]:
    """Pair completeness (share of true links kept) and reduction ratio (share of pairs avoided).

    Parameters
    ----------
    pairs
        Candidate pairs, columns ``left`` and ``right``.
    true_links
        True matching pairs, two columns of record ids (any names, in order).
    n_left, n_right
        Records in each file (``n_right=None`` for deduplication).
    """
    total = n_left * (n_left - 1) // 2 if n_right is None else n_left * n_right
    found = {
        frozenset(p) if n_right is None else tuple(p)
        for p in pairs[["left", "right"]].itertuples(index=False)
    }
    truth = [tuple(p) for p in true_links.iloc[:, :2].itertuples(index=False)]
    kept = sum((frozenset(p) if n_right is None else p) in found for p in truth)
    return {
        "pair_completeness": kept / len(truth) if truth else 1.0,
        "reduction_ratio": 1.0 - len(pairs) / total if total else 0.0,
        "pairs": float(len(pairs)),
    }
