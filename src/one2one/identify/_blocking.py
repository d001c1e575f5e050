"""Blocking: compare only records that share something, and know the cost first.

Comparing every record with every other is n(n-1)/2 pairs: 5 billion for
100,000 records. A blocking rule keeps the pairs that agree on a key (a
surname, the first 3 letters of a postcode, ...); several rules are combined
by union, so a pair missed by one (a typo in the surname) is caught by
another (same date of birth).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal, Protocol

import jellyfish
import numpy as np
import pandas as pd
from attrs import field, frozen
from numpy.typing import NDArray

from .._validation import require_columns, require_frame
from ..errors import DataContractError

__all__ = [
    "BlockingRule",
    "SortedNeighbourhood",
    "blocking_quality",
    "candidate_pairs",
    "count_candidate_pairs",
]

IntArray = NDArray[np.int64]
Phonetic = Literal["soundex", "metaphone", "nysiis"]
_PHONETIC: dict[str, Callable[[str], str]] = {
    "soundex": jellyfish.soundex,
    "metaphone": jellyfish.metaphone,
    "nysiis": jellyfish.nysiis,
}


class Blocker(Protocol):
    """What :func:`candidate_pairs` needs of a rule: a name, a pair count and the pairs."""

    @property
    def name(self) -> str:
        """A readable name, used in reports."""
        ...

    def count(self, left: pd.DataFrame, right: pd.DataFrame | None) -> tuple[int, int]:
        """Pairs the rule would produce, and the largest block's pairs."""
        ...

    def pairs(self, left: pd.DataFrame, right: pd.DataFrame | None) -> tuple[IntArray, IntArray]:
        """Positional ``(i, j)`` pairs; for deduplication ``i < j``."""
        ...

    def plan(self, left: pd.DataFrame, right: pd.DataFrame | None) -> Plan:
        """Return the pair count and a way to build the pairs, sharing the work of both."""
        ...


def _phonetic(values: pd.Series, code: Phonetic) -> pd.Series:
    """Phonetic code of each word-joined value, computed once per distinct value."""
    encode = _PHONETIC[code]
    uniques = values.dropna().unique()
    table = {v: encode(v.replace(" ", "")) or None for v in uniques}
    return values.map(table, na_action="ignore").astype("string")


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
        (e.g. 3 letters of a surname, to survive a typo at its end); a tuple
        gives one prefix (or ``None``, the whole value) per field.
    phonetic
        If given, compare a phonetic code of each field (``"soundex"``,
        ``"metaphone"`` or ``"nysiis"``, from jellyfish), so that ``catherine``
        and ``katharine`` share a block.
    unordered
        Sort the fields' values before joining them, so the key survives
        values typed into each other's field (given name and surname swapped).

    Examples
    --------
    >>> BlockingRule(["surname", "postcode"]).name
    'surname+postcode'
    >>> BlockingRule("surname", prefix=3).name
    'surname[:3]'
    >>> BlockingRule(["date_of_birth", "surname"], prefix=(None, 2)).name
    'date_of_birth+surname[:2]'
    >>> BlockingRule(["given_name", "surname"], phonetic="nysiis").name
    'nysiis(given_name)+nysiis(surname)'
    """

    fields: tuple[str, ...] = field(converter=_names)
    prefix: int | tuple[int | None, ...] | None = None
    phonetic: Phonetic | None = None
    unordered: bool = False

    @property
    def name(self) -> str:
        """A readable name, used in reports."""
        cuts = ["" if p is None else f"[:{p}]" for p in self._prefixes()]
        if self.phonetic is None:
            return "+".join(f"{f}{c}" for f, c in zip(self.fields, cuts, strict=False))
        return "+".join(f"{self.phonetic}({f}){c}" for f, c in zip(self.fields, cuts, strict=False))

    def _prefixes(self) -> tuple[int | None, ...]:
        if isinstance(self.prefix, tuple):
            return self.prefix
        return (self.prefix,) * len(self.fields)

    def _check(self, records: pd.DataFrame) -> None:
        """Refuse a rule that cannot key ``records``: missing fields, bad prefix or phonetic."""
        require_columns(records, self.fields, name="records")
        prefixes = self._prefixes()
        if len(prefixes) != len(self.fields) or any(p is not None and p < 1 for p in prefixes):
            msg = (
                f"blocking rule on {self.fields}: prefix must be >= 1, one per field "
                f"(got {self.prefix})."
            )
            raise DataContractError(msg, column=self.fields[0], value=self.prefix)
        if self.phonetic is not None and self.phonetic not in _PHONETIC:
            msg = (
                f"blocking rule on {self.fields}: phonetic must be one of "
                f"{sorted(_PHONETIC)} (got {self.phonetic!r})."
            )
            raise DataContractError(msg, column=self.fields[0], value=self.phonetic)

    def keys(self, records: pd.DataFrame) -> pd.Series:
        """Return each record's blocking key; records missing any field get NA (no block)."""
        self._check(records)
        prefixes = self._prefixes()
        parts = []
        for name, prefix in zip(self.fields, prefixes, strict=True):
            values = records[name].astype("string")
            if self.phonetic is not None:
                values = _phonetic(values, self.phonetic)
            if prefix is not None:
                values = values.str[:prefix]
            parts.append(values)
        if self.unordered and len(parts) > 1:
            frame = pd.concat(parts, axis=1)
            complete = frame.notna().all(axis=1).to_numpy()
            ordered = np.sort(frame[complete].to_numpy(dtype=str), axis=1)
            parts = [
                pd.Series(pd.NA, index=records.index, dtype="string") for _ in range(len(parts))
            ]
            for column, part in enumerate(parts):
                part[complete] = ordered[:, column]
        key = parts[0]
        for part in parts[1:]:
            key = key + "\x1f" + part  # NA in any part makes the key NA
        return key

    def key_codes(self, records: pd.DataFrame) -> IntArray:
        """Return each record's key as an integer code (-1: no key), as :meth:`keys` groups them.

        Works on distinct values and integer codes only, so it is several
        times faster than building key strings for every record.
        """
        self._check(records)
        field_codes, transformed = [], []
        for name, prefix in zip(self.fields, self._prefixes(), strict=True):
            codes, uniques = pd.factorize(records[name].astype("string"), use_na_sentinel=True)
            values = [self._transform(str(v), prefix) for v in uniques]
            field_codes.append(np.asarray(codes, dtype=np.int64))
            transformed.append(values)
        joint, _ = pd.factorize(
            pd.Series([v for values in transformed for v in values], dtype=object),
            use_na_sentinel=True,
        )
        offsets = np.cumsum([0, *(len(values) for values in transformed)])
        columns = []
        for k, codes in enumerate(field_codes):
            lookup = np.asarray(joint[offsets[k] : offsets[k + 1]], dtype=np.int64)
            if not len(lookup):  # the field is missing everywhere
                columns.append(np.full(len(codes), -1, dtype=np.int64))
                continue
            columns.append(np.where(codes >= 0, lookup[np.maximum(codes, 0)], -1))
        table = np.column_stack(columns)
        if self.unordered:
            table = np.sort(table, axis=1)
        missing = (table < 0).any(axis=1)
        key = np.zeros(len(table), dtype=np.int64)
        for column in table.T:
            combined = key * (int(column.max(initial=0)) + 2) + column + 1
            key = np.asarray(pd.factorize(combined)[0], dtype=np.int64)
        key[missing] = -1
        return key

    def _transform(self, value: str, prefix: int | None) -> str | None:
        if self.phonetic is not None:
            value = _PHONETIC[self.phonetic](value.replace(" ", "")) or ""
            if not value:
                return None
        return value if prefix is None else value[:prefix]

    def key_one(self, record: Mapping[str, str | None]) -> str | None:
        """Return one standardised record's key (the same as :meth:`keys` would)."""
        parts = []
        for name, prefix in zip(self.fields, self._prefixes(), strict=False):
            value = record.get(name)
            if value is None:
                return None
            if self.phonetic is not None:
                value = _PHONETIC[self.phonetic](value.replace(" ", "")) or None
                if value is None:
                    return None
            parts.append(value if prefix is None else value[:prefix])
        if self.unordered:
            parts.sort()
        return "\x1f".join(parts)

    def plan(self, left: pd.DataFrame, right: pd.DataFrame | None) -> Plan:
        """Count the rule's pairs from block sizes, and say how to build them."""
        require_columns(left, self.fields, name="records")
        fields = list(self.fields)
        if right is not None:
            require_columns(right, self.fields, name="other")
        both = left if right is None else pd.concat([left[fields], right[fields]])
        codes = self.key_codes(both)  # dense: 0 .. blocks - 1, and -1
        blocks = int(codes.max(initial=-1)) + 1
        a = codes[: len(left)]
        b = a if right is None else codes[len(left) :]
        size_a = np.bincount(a[a >= 0], minlength=blocks)
        if right is None:
            per_block = size_a * (size_a - 1) // 2
        else:
            per_block = size_a * np.bincount(b[b >= 0], minlength=blocks)
        largest = int(per_block.max()) if len(per_block) else 0
        return Plan(int(per_block.sum()), largest, lambda: _block_pairs(a, b, dedupe=right is None))

    def count(self, left: pd.DataFrame, right: pd.DataFrame | None) -> tuple[int, int]:
        """Pairs the rule would produce, from block sizes alone, and the largest block's pairs."""
        plan = self.plan(left, right)
        return plan.pairs, plan.largest

    def pairs(self, left: pd.DataFrame, right: pd.DataFrame | None) -> tuple[IntArray, IntArray]:
        """Positional ``(i, j)`` pairs of records sharing the key; ``i < j`` for deduplication."""
        return self.plan(left, right).build()


@frozen
class Plan:
    """A rule's pair count, known before its pairs are built."""

    pairs: int
    largest: int
    build: Callable[[], tuple[IntArray, IntArray]]


def _block_pairs(a: IntArray, b: IntArray, *, dedupe: bool) -> tuple[IntArray, IntArray]:
    """Every pair within each block, from block codes (-1 = no block), without a join."""
    order_b = np.argsort(b, kind="stable")
    sorted_b = b[order_b]
    start = np.searchsorted(sorted_b, a, side="left")
    stop = np.searchsorted(sorted_b, a, side="right")
    if dedupe:  # pair each record with the records after it in its block
        rank = np.empty(len(a), dtype=np.int64)
        rank[order_b] = np.arange(len(a))
        start = rank + 1
    counts = np.where(a >= 0, np.maximum(stop - start, 0), 0)
    first = np.repeat(np.arange(len(a), dtype=np.int64), counts)
    offsets = np.arange(counts.sum(), dtype=np.int64) - np.repeat(
        np.cumsum(counts) - counts, counts
    )
    second = order_b[np.repeat(start, counts) + offsets]
    if dedupe:
        first, second = np.minimum(first, second), np.maximum(first, second)
    return first, second.astype(np.int64)


@frozen
class SortedNeighbourhood:
    """Records are candidates when they sit close together once sorted by a key.

    Sorting by a field (or the concatenation of several) and pairing each
    record with the next ``window - 1`` ones catches near-identical keys that
    no exact block shares (``jonson``/``johnson`` sort next to each other),
    at a cost known in advance: about ``n * (window - 1)`` pairs.

    Parameters
    ----------
    fields
        Standardised fields whose values, joined by a space, form the sort key.
    window
        How many neighbouring records (the record itself included) are paired.

    Examples
    --------
    >>> SortedNeighbourhood(["surname", "given_name"], window=5).name
    'sorted(surname+given_name, window=5)'
    """

    fields: tuple[str, ...] = field(converter=_names)
    window: int = 5

    @property
    def name(self) -> str:
        """A readable name, used in reports."""
        return f"sorted({'+'.join(self.fields)}, window={self.window})"

    def _sorted(
        self, left: pd.DataFrame, right: pd.DataFrame | None
    ) -> tuple[IntArray, NDArray[np.bool_]]:
        """Positions of non-missing keys in sort order, and whether each is from the right file."""
        if self.window < 2:  # noqa: PLR2004 - a window of one pairs nothing
            msg = f"{self.name}: window must be >= 2 (got {self.window})."
            raise DataContractError(msg, column=self.fields[0], value=self.window)
        frames = [left] if right is None else [left, right]
        keys = []
        for frame in frames:
            require_columns(frame, self.fields, name="records")
            key = frame[self.fields[0]].astype("string")
            for name in self.fields[1:]:
                key = key.str.cat(frame[name].astype("string"), sep=" ", na_rep="")
            key = key.str.strip()
            keys.append(key.mask(key == ""))
        joined = pd.concat(keys, ignore_index=True)
        side = np.repeat(np.arange(len(frames)), [len(f) for f in frames]).astype(bool)
        position = np.concatenate([np.arange(len(f)) for f in frames]).astype(np.int64)
        present = joined.notna().to_numpy()
        values = joined[present].to_numpy(dtype=object)
        order = np.argsort(values, kind="stable")
        return position[present][order], side[present][order]

    def plan(self, left: pd.DataFrame, right: pd.DataFrame | None) -> Plan:
        """Count the pairs (exact for deduplication, a bound for linking); say how to build them."""
        positions, _ = self._sorted(left, right)
        n, w = len(positions), min(self.window, len(positions))
        pairs = max(n * (w - 1) - (w - 1) * w // 2, 0)
        return Plan(pairs, w * (w - 1) // 2, lambda: self.pairs(left, right))

    def count(self, left: pd.DataFrame, right: pd.DataFrame | None) -> tuple[int, int]:
        """Pairs the rule would produce (exact for deduplication, a bound for linking)."""
        plan = self.plan(left, right)
        return plan.pairs, plan.largest

    def pairs(self, left: pd.DataFrame, right: pd.DataFrame | None) -> tuple[IntArray, IntArray]:
        """Positional pairs within the window; across the files when linking."""
        positions, from_right = self._sorted(left, right)
        firsts, seconds = [], []
        for step in range(1, self.window):
            a, b = np.arange(len(positions) - step), np.arange(step, len(positions))
            if right is None:
                i, j = positions[a], positions[b]
                firsts.append(np.minimum(i, j))
                seconds.append(np.maximum(i, j))
            else:
                cross = from_right[a] != from_right[b]
                a, b = a[cross], b[cross]
                left_first = ~from_right[a]
                firsts.append(np.where(left_first, positions[a], positions[b]))
                seconds.append(np.where(left_first, positions[b], positions[a]))
        return (
            np.concatenate(firsts).astype(np.int64),
            np.concatenate(seconds).astype(np.int64),
        )


def count_candidate_pairs(
    records: pd.DataFrame,
    rules: Sequence[Blocker],
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
        Blocking rules (:class:`BlockingRule`, :class:`SortedNeighbourhood`).
    other
        The right file, when linking two files.

    Returns
    -------
    pandas.DataFrame
        One row per rule (indexed by its name): ``pairs``, ``largest_block_pairs``
        and ``share_of_all_pairs``; the union has at most the sum of ``pairs``.
    """
    left = require_frame(records, name="records")
    right = None if other is None else require_frame(other, name="other")
    total = len(left) * (len(left) - 1) // 2 if right is None else len(left) * len(right)
    rows = {}
    for rule in rules:
        pairs, largest = rule.count(left, right)
        rows[rule.name] = {
            "pairs": pairs,
            "largest_block_pairs": largest,
            "share_of_all_pairs": pairs / total if total else 0.0,
        }
    table = pd.DataFrame.from_dict(
        rows, orient="index", columns=["pairs", "largest_block_pairs", "share_of_all_pairs"]
    )
    table.index.name = "rule"
    return table


def candidate_pairs(
    records: pd.DataFrame,
    rules: Sequence[Blocker],
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
    first, second = candidate_positions(left, rules, other=other, max_pairs=max_pairs)
    right = left if other is None else other
    return pd.DataFrame({"left": left.index[first], "right": right.index[second]})


def candidate_positions(
    records: pd.DataFrame,
    rules: Sequence[Blocker],
    *,
    other: pd.DataFrame | None = None,
    max_pairs: int | None = None,
) -> tuple[IntArray, IntArray]:
    """Return the union of the rules' pairs as sorted positional arrays, checking the count."""
    right = None if other is None else require_frame(other, name="other")
    plans = {rule.name: rule.plan(records, right) for rule in rules}
    total = sum(plan.pairs for plan in plans.values())
    if max_pairs is not None and total > max_pairs:
        worst = max(plans, key=lambda name: plans[name].pairs)
        msg = (
            f"the blocking rules would produce up to {total:,} pairs "
            f"(max_pairs={max_pairs:,}); rule {worst!r} alone gives "
            f"{plans[worst].pairs:,}. Use a stricter rule."
        )
        raise DataContractError(msg, column=worst, value=total)
    n_right = len(records) if right is None else len(right)
    found = [plan.build() for plan in plans.values()]
    i = np.concatenate([f[0] for f in found])
    j = np.concatenate([f[1] for f in found])
    unique = pd.unique(i * n_right + j)
    unique.sort()
    return unique // n_right, unique % n_right


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
