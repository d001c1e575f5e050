"""Blocking: compare only records that share something, and know the cost first.

Comparing every record with every other is n(n-1)/2 pairs: 5 billion for
100,000 records. A blocking rule keeps the pairs that agree on a key (a
surname, the first 3 letters of a postcode, ...); several rules are combined
by union, so a pair missed by one (a typo in the surname) is caught by
another (same date of birth).
"""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Literal, Protocol

import jellyfish
import numpy as np
import pandas as pd
from attrs import define, field, frozen
from attrs import evolve as attrs_evolve
from numpy.typing import NDArray

from .._validation import require_columns, require_frame
from ..errors import DataContractError, DataWarning

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
        """Return each record's blocking key; records missing any field get NA (no block).

        A record with a missing field is in no block rather than in one
        huge block of missing values, which would pair it with every other.

        Parameters
        ----------
        records
            Standardised records holding the rule's fields.

        Returns
        -------
        pandas.Series
            The key (pandas ``string``), on the index of ``records``.

        Raises
        ------
        DataContractError
            If a file lacks one of the rule's fields, or the rule's prefix
            (below 1, or not one per field) or phonetic code is invalid.
        """
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

        Parameters
        ----------
        records
            Standardised records holding the rule's fields.

        Returns
        -------
        numpy.ndarray of int64
            One code per record, positionally; equal codes share a block.

        Raises
        ------
        DataContractError
            If a file lacks one of the rule's fields, or the rule's prefix
            (below 1, or not one per field) or phonetic code is invalid.
        """
        self._check(records)
        return _Keys(records, None).codes(self)

    def _transform(self, value: str, prefix: int | None) -> str | None:
        if self.phonetic is not None:
            value = _PHONETIC[self.phonetic](value.replace(" ", "")) or ""
            if not value:
                return None
        return value if prefix is None else value[:prefix]

    def key_one(self, record: Mapping[str, str | None]) -> str | None:
        """Return one standardised record's key (the same as :meth:`keys` would).

        The live path: resolving one new record looks its key up in an index
        instead of keying the whole file again.

        Parameters
        ----------
        record
            One standardised record, field name to value (``None`` missing).

        Returns
        -------
        str or None
            The key, or ``None`` when a field is missing (no block).
        """
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
        """Count the rule's pairs from block sizes, and say how to build them.

        Counting first lets a caller refuse a pair explosion before any pair
        exists; the plan shares the keying work with the later build.

        Parameters
        ----------
        left
            Standardised records (deduplication), or the left file (linking).
        right
            The right file when linking, or ``None`` to deduplicate ``left``.

        Returns
        -------
        Plan
            ``pairs`` (the count), ``largest`` (pairs of the largest block)
            and ``build()``, which returns the positional pairs.

        Raises
        ------
        DataContractError
            If a file lacks one of the rule's fields, or the rule's prefix
            (below 1, or not one per field) or phonetic code is invalid.
        """
        require_columns(left, self.fields, name="records")
        fields = list(self.fields)
        if right is not None:
            require_columns(right, self.fields, name="other")
        self._check(left)
        return _Keys(left[fields], None if right is None else right[fields]).plan(self)

    def count(self, left: pd.DataFrame, right: pd.DataFrame | None) -> tuple[int, int]:
        """Pairs the rule would produce, from block sizes alone, and the largest block's pairs.

        Parameters
        ----------
        left
            Standardised records (deduplication), or the left file (linking).
        right
            The right file when linking, or ``None`` to deduplicate ``left``.

        Returns
        -------
        tuple of (int, int)
            The number of pairs, and the pairs of the largest block.

        Raises
        ------
        DataContractError
            If a file lacks one of the rule's fields, or the rule's prefix
            (below 1, or not one per field) or phonetic code is invalid.
        """
        plan = self.plan(left, right)
        return plan.pairs, plan.largest

    def pairs(self, left: pd.DataFrame, right: pd.DataFrame | None) -> tuple[IntArray, IntArray]:
        """Positional ``(i, j)`` pairs of records sharing the key; ``i < j`` for deduplication.

        Parameters
        ----------
        left
            Standardised records (deduplication), or the left file (linking).
        right
            The right file when linking, or ``None`` to deduplicate ``left``.

        Returns
        -------
        tuple of (numpy.ndarray, numpy.ndarray)
            Positions in ``left`` and in ``right`` (or ``left``), int64.

        Raises
        ------
        DataContractError
            If a file lacks one of the rule's fields, or the rule's prefix
            (below 1, or not one per field) or phonetic code is invalid.
        """
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
class KeyCount:
    """A key a refinement is judged by: a rule's, also sharing an anchor, or among holders.

    Naming the key instead of computing it lets a planner ask for counts
    from records it does not hold (the Spark path counts them all in one job).
    """

    rule: BlockingRule
    anchor: str | None = None  # also share this field's exact value
    holding: str | None = None  # count only the records that hold this field


class KeyCounter(Protocol):
    """What :func:`plan_with_counts` asks of the records: counts, never the records."""

    scores: dict[tuple[BlockingRule, BlockingRule], tuple[int, float]]

    def plan(self, rule: Blocker) -> Plan:
        """Return the pairs and largest block of any rule (and how to build them)."""
        ...

    def held_fields(self) -> list[str]:
        """Return the fields some record holds, in the records' column order."""
        ...

    def prefetch(self, keys: Sequence[KeyCount]) -> None:
        """Be ready to answer :meth:`key_pairs` for ``keys`` (a batch, where batches pay)."""
        ...

    def key_pairs(self, key: KeyCount) -> int:
        """Pairs of records sharing ``key``."""
        ...


class _Keys:
    """Blocking keys of the records of one file or two, each field factorised once.

    Planning a budget counts many candidate rules over the same records;
    factorising a column of strings is the costly step, so it is done once
    per field and every rule's key is then combined from integer codes.
    """

    def __init__(self, left: pd.DataFrame, right: pd.DataFrame | None) -> None:
        self.n_left = len(left)
        self.dedupe = right is None
        self.both = left if right is None else pd.concat([left, right], ignore_index=True)
        self._factorised: dict[str, tuple[IntArray, NDArray[np.object_]]] = {}
        self._fields: dict[tuple[str, int | None, str | None], tuple[IntArray, list[str]]] = {}
        self._rules: dict[BlockingRule, IntArray] = {}
        self._candidate: tuple[BlockingRule, IntArray] | None = None
        self.scores: dict[tuple[BlockingRule, BlockingRule], tuple[int, float]] = {}

    def held_fields(self) -> list[str]:
        """Return the fields some record holds, in column order (what a rule may add)."""
        return [str(f) for f in self.both.columns if self.present(str(f)).any()]

    def prefetch(self, keys: Sequence[KeyCount]) -> None:
        """Nothing to do in memory: each count is made when asked (Spark makes them at once)."""

    def key_pairs(self, key: KeyCount) -> int:
        """Pairs sharing ``key``: the keys of a rule, an anchor too, or only records holding one."""
        rule = key.rule
        if rule in self._rules:
            codes = self._rules[rule]
        elif self._candidate is not None and self._candidate[0] == rule:
            codes = self._candidate[1]
        else:  # a candidate refinement: kept only while its anchors are counted
            codes = self.codes(rule, keep=False)
            self._candidate = (rule, codes)
        if key.anchor is not None:
            codes = _combine([codes, self.field(key.anchor, None, None)[0]])
        if key.holding is not None:
            codes = np.where(self.present(key.holding), codes, -1)
        return self.count(codes)[0]

    def present(self, name: str) -> NDArray[np.bool_]:
        """Whether each record holds a value in ``name``."""
        return np.asarray(self._factorise(name)[0] >= 0)

    def _factorise(self, name: str) -> tuple[IntArray, NDArray[np.object_]]:
        if name not in self._factorised:
            codes, uniques = pd.factorize(self.both[name].astype("string"), use_na_sentinel=True)
            self._factorised[name] = (
                np.asarray(codes, dtype=np.int64),
                np.asarray(uniques, dtype=object),
            )
        return self._factorised[name]

    def field(
        self, name: str, prefix: int | None, phonetic: Phonetic | None
    ) -> tuple[IntArray, list[str]]:
        """Codes of one field's transformed values (-1: none), and the distinct values."""
        key = (name, prefix, phonetic)
        codes, uniques = self._factorise(name)
        if key not in self._fields:  # kept per distinct value, not per record: small
            rule = BlockingRule(name, prefix=prefix, phonetic=phonetic)
            shown = [rule._transform(str(v), prefix) for v in uniques]  # noqa: SLF001
            found, distinct = pd.factorize(pd.Series(shown, dtype=object), use_na_sentinel=True)
            self._fields[key] = (np.asarray(found, dtype=np.int64), [str(v) for v in distinct])
        lookup, values = self._fields[key]
        if not len(lookup):
            return np.full(len(codes), -1, dtype=np.int64), values
        out: IntArray = np.where(codes >= 0, lookup[np.maximum(codes, 0)], -1)
        return out, values

    def codes(self, rule: BlockingRule, *, keep: bool = True) -> IntArray:
        """Each record's key under ``rule`` as an integer code (-1: no key).

        ``keep=False`` does not keep the codes for later (a candidate rule).
        """
        if rule in self._rules:
            return self._rules[rule]
        parts = [
            self.field(name, prefix, rule.phonetic)
            for name, prefix in zip(rule.fields, rule._prefixes(), strict=True)  # noqa: SLF001
        ]
        columns = [codes for codes, _ in parts]
        if rule.unordered and len(parts) > 1:  # one value space, so the order can go
            joint, _ = pd.factorize(
                pd.Series([v for _, values in parts for v in values], dtype=object)
            )
            lookup = np.asarray(joint, dtype=np.int64)
            offsets = np.cumsum([0, *(len(values) for _, values in parts)])
            columns = [
                np.where(c >= 0, lookup[np.minimum(offsets[k] + c, len(lookup) - 1)], -1)
                if len(lookup)
                else c
                for k, c in enumerate(columns)
            ]
        codes = _combine(columns, unordered=rule.unordered)
        if keep:
            self._rules[rule] = codes
        return codes

    def count(self, codes: IntArray) -> tuple[int, int]:
        """Pairs sharing a code, and the largest block's pairs."""
        plan = self._plan(codes)
        return plan.pairs, plan.largest

    def _plan(self, codes: IntArray) -> Plan:
        blocks = int(codes.max(initial=-1)) + 1
        a = codes[: self.n_left]
        b = a if self.dedupe else codes[self.n_left :]
        size_a = np.bincount(a[a >= 0], minlength=blocks)
        if self.dedupe:
            per_block = size_a * (size_a - 1) // 2
        else:
            per_block = size_a * np.bincount(b[b >= 0], minlength=blocks)
        largest = int(per_block.max()) if len(per_block) else 0
        dedupe = self.dedupe
        return Plan(int(per_block.sum()), largest, lambda: _block_pairs(a, b, dedupe=dedupe))

    def plan(self, rule: Blocker) -> Plan:
        """Return the pair count of any rule, and how to build its pairs."""
        if isinstance(rule, BlockingRule):
            rule._check(self.both)  # noqa: SLF001
            return self._plan(self.codes(rule))
        left = self.both.iloc[: self.n_left]
        right = None if self.dedupe else self.both.iloc[self.n_left :]
        return rule.plan(left, right)


def _combine(columns: Sequence[IntArray], *, unordered: bool = False) -> IntArray:
    """One code per row for the tuple of codes in ``columns``; -1 where any is -1."""
    table = np.column_stack(columns)
    if unordered:
        table = np.sort(table, axis=1)
    missing = (table < 0).any(axis=1)
    key = table[:, 0] + 1
    for column in table.T[1:]:
        combined = key * (int(column.max(initial=0)) + 2) + column + 1
        key = np.asarray(pd.factorize(combined)[0], dtype=np.int64)
    key[missing] = -1
    return key


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
        keys = [self.sort_keys(frame) for frame in frames]
        joined = pd.concat(keys, ignore_index=True)
        side = np.repeat(np.arange(len(frames)), [len(f) for f in frames]).astype(bool)
        position = np.concatenate([np.arange(len(f)) for f in frames]).astype(np.int64)
        present = joined.notna().to_numpy()
        values = joined[present].to_numpy(dtype=object)
        order = np.argsort(values, kind="stable")
        return position[present][order], side[present][order]

    def sort_keys(self, records: pd.DataFrame) -> pd.Series:
        """Each record's sort key: its fields joined by a space (NA when all are missing).

        Per record, so the Spark path computes the same keys batch by batch.

        Parameters
        ----------
        records
            Records holding the rule's fields.

        Returns
        -------
        pandas.Series
            The sort key of each record (text), indexed like ``records``; missing
            where every field is.

        Raises
        ------
        DataContractError
            If a field of the rule is not a column of ``records``.
        """
        require_columns(records, self.fields, name="records")
        key = records[self.fields[0]].astype("string")
        for name in self.fields[1:]:
            key = key.str.cat(records[name].astype("string"), sep=" ", na_rep="")
        key = key.str.strip()
        return key.mask(key == "")

    def plan(self, left: pd.DataFrame, right: pd.DataFrame | None) -> Plan:
        """Count the pairs (exact for deduplication, a bound for linking); say how to build them.

        Parameters
        ----------
        left
            Standardised records (deduplication), or the left file (linking).
        right
            The right file when linking, or ``None`` to deduplicate ``left``.

        Returns
        -------
        Plan
            ``pairs`` (the count), ``largest`` (pairs of one window) and
            ``build()``, which returns the positional pairs.

        Raises
        ------
        DataContractError
            If a file lacks one of the fields, or ``window`` is below 2.
        """
        positions, _ = self._sorted(left, right)
        n, w = len(positions), min(self.window, len(positions))
        pairs = max(n * (w - 1) - (w - 1) * w // 2, 0)
        return Plan(pairs, w * (w - 1) // 2, lambda: self.pairs(left, right))

    def count(self, left: pd.DataFrame, right: pd.DataFrame | None) -> tuple[int, int]:
        """Pairs the rule would produce (exact for deduplication, a bound for linking).

        Parameters
        ----------
        left
            Standardised records (deduplication), or the left file (linking).
        right
            The right file when linking, or ``None`` to deduplicate ``left``.

        Returns
        -------
        tuple of (int, int)
            The number of pairs, and the pairs of one window.

        Raises
        ------
        DataContractError
            If a file lacks one of the fields, or ``window`` is below 2.
        """
        plan = self.plan(left, right)
        return plan.pairs, plan.largest

    def pairs(self, left: pd.DataFrame, right: pd.DataFrame | None) -> tuple[IntArray, IntArray]:
        """Positional pairs within the window; across the files when linking.

        Parameters
        ----------
        left
            Standardised records (deduplication), or the left file (linking).
        right
            The right file when linking, or ``None`` to deduplicate ``left``.

        Returns
        -------
        tuple of (numpy.ndarray, numpy.ndarray)
            Positions in ``left`` and in ``right`` (or ``left``), int64.

        Raises
        ------
        DataContractError
            If a file lacks one of the fields, or ``window`` is below 2.
        """
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

    Raises
    ------
    DataContractError
        If ``records`` or ``other`` is not a DataFrame, or a rule cannot key
        them (a missing field, an invalid prefix, phonetic code or window).
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

    Returns
    -------
    dict of str to float
        ``pair_completeness`` (1.0 when there are no true links; the most a
        matcher can find), ``reduction_ratio`` and ``pairs``.
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


# -- a pair budget -------------------------------------------------------------------------
_BYTES_PER_PAIR = 256  # the matcher's peak memory per candidate pair (~200 measured), rounded up
_MEMORY_SHARE = 0.25
_PAIRS_PER_RECORD = 50
_MIN_BUDGET = 100_000
_DOMINANT_SHARE = 0.5
_ANCHORS = ("email", "phone", "account_id", "tax_id")
_PHONETIC_FIELDS = ("given_name", "surname", "full_name", "organisation", "street", "city")
_ADDED_PREFIXES: tuple[int | None, ...] = (1, 2, 3, 4, None)
_LONGER = 3  # a prefix may grow by up to this many characters, or to the whole value
_PASSES = 3  # rounds of sharing out what refinements left unused
_TIE = 0.01  # refinements whose estimated recall is this close count as equally good


def _memory_bytes() -> int | None:
    """Physical memory, or the control group's limit when that is lower (containers)."""
    try:
        total = int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # not on this platform
        return None
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as file:  # noqa: PTH123 - a tiny system file
                limit = file.read().strip()
        except OSError:
            continue
        if limit.isdigit():
            total = min(total, int(limit))
    return total if total > 0 else None


def default_pair_budget(n_records: int, *, memory: int | None = None) -> int:
    """Candidate pairs the matcher may build by default for ``n_records`` records.

    The pairs that fit in a quarter of the machine's memory at 256 bytes per
    pair (what the whole pipeline holds per pair, rounded up from about 200
    measured), and never more than 50 per record (at least 100,000): past
    that, extra pairs are almost all non-matches that cost time and
    memory. ``memory`` overrides the machine's physical memory, in bytes.
    """
    by_records = max(_PAIRS_PER_RECORD * int(n_records), _MIN_BUDGET)
    available = _memory_bytes() if memory is None else memory
    if available is None:
        return by_records
    return max(1, min(by_records, int(available * _MEMORY_SHARE) // _BYTES_PER_PAIR))


@define
class _Step:
    """One rule of a blocking plan: as given, as it will be built, and why."""

    rule: Blocker
    pairs: int
    fixed: bool  # a match rule's key: never refined
    given: bool  # one of the blocking rules (not only a match rule's key)
    share: int = 0
    action: str = "kept"
    reason: str = ""
    planned: Blocker | None = None
    plan: Plan | None = None
    new_pairs: int | None = None


@define
class BlockingPlan:
    """Which rules to build within a pair budget, with every count, before any pair exists.

    Made by :func:`plan_blocking`; :meth:`build` builds the pairs and
    :meth:`report` tells the plan as a table.
    """

    steps: list[_Step]
    budget: int
    n_records: int
    n_right: int
    built: bool = False

    @property
    def rules(self) -> list[Blocker]:
        """The blocking rules to build (refined where they had to be); match-rule keys excluded."""
        return [
            s.planned
            for s in self.steps
            if s.planned is not None and s.action in ("kept", "refined", "match rule") and s.given
        ]

    @property
    def dropped(self) -> list[Blocker]:
        """Refinements dropped after building because they added nothing to the rules above."""
        return [s.planned for s in self.steps if s.action == "dropped" and s.planned is not None]

    def build(self) -> tuple[IntArray, IntArray]:
        """Build the union of the planned rules' pairs as sorted positional arrays.

        Counts, rule by rule in the given order, the pairs that no rule above
        found; a refined rule that adds none is dropped.
        """
        found = [s.plan.build() for s in self.steps if s.plan is not None]
        n_right = max(self.n_right, 1)
        if not found:
            self.count_new([])
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        codes = np.concatenate([i * n_right + j for i, j in found])
        owner = np.repeat(np.arange(len(found)), [len(i) for i, _ in found])
        first = ~pd.Series(codes).duplicated(keep="first").to_numpy()
        self.count_new(np.bincount(owner[first], minlength=len(found)).tolist())
        unique = codes[first]
        unique.sort()
        return unique // n_right, unique % n_right

    def count_new(self, new: Sequence[int]) -> None:
        """Record the pairs each built rule adds to the rules above it, in the plan's order.

        A refined rule that adds none is dropped: its refinement bought
        nothing. The Spark path counts them in Spark and records them here.
        """
        self.built = True
        for step in self.steps:
            step.new_pairs = 0
        built = [s for s in self.steps if s.plan is not None]
        for step, count in zip(built, new, strict=True):
            step.new_pairs = int(count)
            if step.action == "refined" and count == 0:
                step.action = "dropped"
                step.reason = "its refinement adds no pair to the rules above"

    def report(self) -> pd.DataFrame:
        """Return the plan as a table: one row per rule as given, and a ``total`` row.

        Columns: ``pairs`` (the rule as given), ``budget`` (its share of the
        pair budget; the whole budget on the total row), ``action``
        (``kept``, ``refined``, ``dropped`` or ``match rule``), ``reason``,
        ``planned_rule`` (the rule built), ``planned_pairs``,
        ``largest_block_pairs`` and ``new_pairs`` (pairs no rule above found;
        on the total row, the pairs built). ``new_pairs`` is missing until
        the pairs are built.
        """
        rows = [
            {
                "rule": s.rule.name,
                "pairs": s.pairs,
                "budget": s.share,
                "action": s.action,
                "reason": s.reason,
                "planned_rule": None if s.planned is None else s.planned.name,
                "planned_pairs": 0 if s.plan is None else s.plan.pairs,
                "largest_block_pairs": 0 if s.plan is None else s.plan.largest,
                "new_pairs": s.new_pairs,
            }
            for s in self.steps
        ]
        table = pd.DataFrame(rows, columns=list(_REPORT_COLUMNS)).set_index("rule")
        new = table["new_pairs"]
        table.loc["total"] = {
            "pairs": int(table["pairs"].sum()),
            "budget": self.budget,
            "action": None,
            "reason": None,
            "planned_rule": None,
            "planned_pairs": int(table["planned_pairs"].sum()),
            "largest_block_pairs": int(table["largest_block_pairs"].max()) if len(table) else 0,
            "new_pairs": int(new.sum()) if self.built else None,
        }
        for column in ("pairs", "budget", "planned_pairs", "largest_block_pairs", "new_pairs"):
            table[column] = table[column].astype("Int64")
        for column in ("action", "reason", "planned_rule"):
            table[column] = table[column].astype("string")
        return table

    def warn(self, *, stacklevel: int = 2) -> None:
        """Warn about refined or dropped rules, and about one rule giving most pairs."""
        changed = [s for s in self.steps if s.action in ("refined", "dropped")]
        if changed:
            lines = []
            for s in changed:
                if s.action == "refined" and s.planned is not None and s.plan is not None:
                    what = f"refined to {s.planned.name!r} ({s.plan.pairs:,} pairs)"
                else:
                    what = f"dropped ({s.reason})"
                lines.append(
                    f"{s.rule.name!r} {s.pairs:,} pairs, over its share {s.share:,}: {what}"
                )
            msg = (
                f"blocking within the pair budget of {self.budget:,} pairs: "
                + "; ".join(lines)
                + ". See matcher.blocking_report(); pass max_pairs to change the budget, "
                "or check recall with blocking_quality on a sample with known duplicates."
            )
            warnings.warn(msg, DataWarning, stacklevel=stacklevel + 1)
        total = sum(s.plan.pairs for s in self.steps if s.plan is not None)
        for s in self.steps:
            if s.plan is None or not isinstance(s.planned, BlockingRule):
                continue
            pairs = s.plan.pairs
            if pairs > _DOMINANT_SHARE * total and pairs > self.n_records:
                msg = (
                    f"blocking rule {s.planned.name!r} gives {pairs:,} of {total:,} candidate "
                    f"pairs ({pairs / total:.0%}), its largest block {s.plan.largest:,}: a "
                    "value that many records share (a placeholder, a big city) makes most of "
                    "the work. See matcher.blocking_report(); a stricter rule costs less."
                )
                warnings.warn(msg, DataWarning, stacklevel=stacklevel + 1)


_REPORT_COLUMNS = (
    "rule",
    "pairs",
    "budget",
    "action",
    "reason",
    "planned_rule",
    "planned_pairs",
    "largest_block_pairs",
    "new_pairs",
)


def plan_blocking(
    records: pd.DataFrame,
    rules: Sequence[Blocker],
    *,
    budget: int,
    other: pd.DataFrame | None = None,
    fixed: Sequence[BlockingRule] = (),
    warn: bool = True,
) -> BlockingPlan:
    """Fit blocking rules into a pair budget, from counts alone (no pair is built).

    The budget is shared out equally, and a rule that needs less than its
    share leaves the rest to the others, so every rule within an equal
    share is kept as it is. A rule over its share is refined: a longer
    prefix or a further field of the records (the shortest prefix of it
    that fits), or a smaller window for a sorted neighbourhood. Among the
    refinements that fit, the one expected to keep most true pairs wins:
    most of the rule's pairs that also share an e-mail, phone or id (likely
    the same person, so this measures how often the new field agrees, or
    is missing, for one person), or without such fields most of the pairs
    whose records hold the new field; among near-equals (within 1%), the
    one with the most pairs, as within the share more pairs only find
    more. What refinements leave unused is shared out again. A rule with
    no refinement that fits is dropped, and so is a refinement whose pairs
    the rules above it all found.

    Parameters
    ----------
    records, other
        Standardised records (deduplication), or the two files (linking).
    rules
        The blocking rules, in the order they are reported.
    budget
        Most candidate pairs to build (the sum over rules, so also the union).
    fixed
        Keys of the deterministic match rules: never refined.
    warn
        Warn (``DataWarning``) about refined or dropped rules, and about a
        rule that gives more than half the pairs.

    Raises
    ------
    DataContractError
        If the match rules' keys alone give more pairs than the budget.
    """
    left = require_frame(records, name="records")
    right = None if other is None else require_frame(other, name="other")
    keys = _Keys(left, right)
    blocking = plan_with_counts(
        keys,
        rules,
        budget=budget,
        fixed=fixed,
        n_records=len(keys.both),
        n_right=len(left if right is None else right),
    )
    if warn:
        blocking.warn(stacklevel=2)
    return blocking


def plan_with_counts(
    keys: KeyCounter,
    rules: Sequence[Blocker],
    *,
    budget: int,
    fixed: Sequence[BlockingRule],
    n_records: int,
    n_right: int,
) -> BlockingPlan:
    """Make the decisions of :func:`plan_blocking` from whatever counts ``keys.plan`` gives.

    The Spark path passes an object whose ``plan`` returns counts made in
    Spark, so both paths keep, share out and drop rules by the same code.
    """
    steps: list[_Step] = []
    seen: dict[str, _Step] = {}
    for rule, given in [*((r, True) for r in rules), *((r, False) for r in fixed)]:
        if rule.name in seen:  # the same key twice: the same pairs
            seen[rule.name].fixed |= not given
            continue
        plan = keys.plan(rule)
        seen[rule.name] = _Step(rule, plan.pairs, not given, given, planned=rule, plan=plan)
        steps.append(seen[rule.name])
    remaining = _reserve_fixed(steps, budget)
    _share_out(keys, steps, remaining)
    return BlockingPlan(steps, budget, n_records, n_right)


def _reserve_fixed(steps: Sequence[_Step], budget: int) -> int:
    """Set the match rules' keys aside (never refined); return the budget left."""
    fixed = [s for s in steps if s.fixed]
    for step in fixed:
        step.action, step.share = "match rule", step.pairs
    remaining = budget - sum(s.pairs for s in fixed)
    if remaining < 0:
        worst = max(fixed, key=lambda s: s.pairs)
        largest = worst.plan.largest if worst.plan is not None else 0
        msg = (
            f"match rule key {worst.rule.name!r} gives {worst.pairs:,} pairs (largest block "
            f"{largest:,}), and the match rules together {budget - remaining:,}, over the "
            f"pair budget of {budget:,}: a value that many records share (a placeholder?) "
            "would make them all one customer. Clean that value or raise max_pairs."
        )
        column = worst.rule.fields[0] if isinstance(worst.rule, BlockingRule) else None
        raise DataContractError(msg, column=column, value=worst.pairs)
    return remaining


def _share_out(keys: KeyCounter, steps: Sequence[_Step], remaining: int) -> None:
    """Give each rule an equal share of what is left, smallest first, refining the rest."""
    rules = [s.rule for s in steps]
    pending = sorted((s for s in steps if not s.fixed), key=lambda s: s.pairs)
    for k, step in enumerate(pending):
        step.share = remaining // (len(pending) - k)
        if step.pairs > step.share:
            _refine(keys, step, [r for r in rules if r is not step.rule])
        remaining -= 0 if step.plan is None else step.plan.pairs
    for _ in range(_PASSES):  # a refinement rarely fills its share: share out what is left
        changed = [s for s in pending if s.action != "kept"]
        if remaining <= 0 or not changed:
            return
        for k, step in enumerate(changed):
            used = 0 if step.plan is None else step.plan.pairs
            step.share = used + remaining // (len(changed) - k)
            if step.pairs <= step.share:
                step.action, step.reason, step.planned = "kept", "", step.rule
                step.plan = keys.plan(step.rule)
            else:
                _refine(keys, step, [r for r in rules if r is not step.rule])
            remaining -= (0 if step.plan is None else step.plan.pairs) - used


def _refine(keys: KeyCounter, step: _Step, others: Sequence[Blocker]) -> None:
    """Replace ``step``'s rule by the best refinement within its share, or drop it."""
    rule, share = step.rule, step.share
    best: tuple[Blocker, Plan] | None = None
    if isinstance(rule, SortedNeighbourhood):
        for window in range(rule.window - 1, 1, -1):
            smaller = SortedNeighbourhood(rule.fields, window=window)
            plan = keys.plan(smaller)
            if 0 < plan.pairs <= share:
                best = (smaller, plan)
                break
    elif isinstance(rule, BlockingRule):
        best = _best_refinement(keys, rule, share, others)
    if best is None:
        step.action, step.planned, step.plan = "dropped", None, None
        step.reason = "no refinement fits its share of the budget"
        return
    step.action, step.reason = "refined", "over its share of the budget"
    step.planned, step.plan = best


def _refinements(rule: BlockingRule, fields: Sequence[str]) -> list[tuple[list[BlockingRule], str]]:
    """Stricter versions of ``rule``, each series from coarse to fine, and the field it adds.

    A series is a longer prefix of one of the rule's fields, or a growing
    prefix of a further field. Within a series a finer key keeps fewer
    pairs and no more true ones, so the first that fits is the best.
    """
    prefixes = rule._prefixes()  # noqa: SLF001
    found: list[tuple[list[BlockingRule], str]] = []
    for k, prefix in enumerate(prefixes):
        if prefix is None:
            continue
        longer = [*range(prefix + 1, prefix + _LONGER + 1), None]
        cuts = [(*prefixes[:k], cut, *prefixes[k + 1 :]) for cut in longer]
        found.append(([attrs_evolve(rule, prefix=cut) for cut in cuts], ""))
    for name in fields:
        if name in rule.fields or (rule.phonetic is not None and name not in _PHONETIC_FIELDS):
            continue
        series = [
            BlockingRule(
                (*rule.fields, name),
                prefix=(*prefixes, cut),
                phonetic=rule.phonetic,
                unordered=rule.unordered,
            )
            for cut in _ADDED_PREFIXES
        ]
        found.append((series, name))
    return found


def _implies(finer: BlockingRule, coarser: Blocker) -> bool:
    """Whether sharing ``finer``'s key means sharing ``coarser``'s (its pairs are a subset)."""
    if not isinstance(coarser, BlockingRule) or coarser.phonetic != finer.phonetic:
        return False
    if finer.unordered or coarser.unordered:
        return False
    cuts = dict(zip(finer.fields, finer._prefixes(), strict=True))  # noqa: SLF001
    for name, prefix in zip(coarser.fields, coarser._prefixes(), strict=True):  # noqa: SLF001
        if name not in cuts:
            return False
        mine = cuts[name]
        if prefix is None and mine is not None:
            return False
        if prefix is not None and mine is not None and mine < prefix:
            return False
    return True


def _best_refinement(
    keys: KeyCounter, rule: BlockingRule, share: int, others: Sequence[Blocker]
) -> tuple[Blocker, Plan] | None:
    """Return the refinement within ``share`` expected to keep most true pairs, and its plan."""
    fields = keys.held_fields()
    anchors = [a for a in _ANCHORS if a in fields]
    series = [
        (
            list(itertools.takewhile(lambda c: not any(_implies(c, o) for o in others), cuts)),
            added,
        )
        for cuts, added in _refinements(rule, fields)
    ]  # a candidate whose pairs are all another rule's adds nothing, nor do the finer ones
    keys.prefetch(
        [
            KeyCount(rule),
            *(KeyCount(rule, anchor=a) for a in anchors),
            *(KeyCount(rule, holding=added) for _, added in series if added),
            *(
                KeyCount(candidate, anchor=a)
                for cuts, added in series
                for candidate in cuts
                for a in (None, *(a for a in anchors if a != added))
            ),
        ]
    )
    base_pairs = keys.key_pairs(KeyCount(rule))
    anchored = {a: keys.key_pairs(KeyCount(rule, anchor=a)) for a in anchors}
    scored: list[tuple[float, int, int, BlockingRule]] = []
    for order, (cuts, added) in enumerate(series):
        for candidate in cuts:
            if (rule, candidate) not in keys.scores:
                pairs = keys.key_pairs(KeyCount(candidate))
                usable = [a for a in anchors if a != added and anchored[a] > 0]
                if usable:
                    kept = sum(keys.key_pairs(KeyCount(candidate, anchor=a)) for a in usable)
                    recall = kept / sum(anchored[a] for a in usable)
                elif added:  # no anchor: only records without the new field are surely lost
                    recall = keys.key_pairs(KeyCount(rule, holding=added)) / max(base_pairs, 1)
                else:
                    recall = 1.0
                keys.scores[rule, candidate] = (pairs, recall)
            pairs, recall = keys.scores[rule, candidate]
            if pairs <= share:
                if pairs > 0:
                    scored.append((recall, pairs, order, candidate))
                break
    if not scored:
        return None
    top = max(s[0] for s in scored)
    near = [s for s in scored if s[0] >= top - _TIE]
    # within the share, more pairs can only find more true pairs
    chosen = min(near, key=lambda s: (-s[1], s[2]))
    return chosen[3], keys.plan(chosen[3])
