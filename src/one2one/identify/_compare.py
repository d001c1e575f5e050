"""Comparison levels: how alike two records are, field by field, as small integers.

Each field's comparison has ordered levels, 0 for exact agreement down to
"different"; the probabilistic model later learns how much each level says
about a match. A pair where either side is missing gets level -1: missing is
neither agreement nor disagreement. String similarity comes from rapidfuzz,
vectorised over all pairs at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal, cast, get_args

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist

from .._validation import require_columns, require_frame
from ..errors import DataContractError
from . import _persist as persist

__all__ = ["MISSING", "Comparison", "compare_pairs", "default_comparisons"]

MISSING = -1
"""The level of a pair where either record lacks the field."""

Kind = Literal["exact", "jaro_winkler", "levenshtein", "damerau", "date", "numeric", "initial"]
_EDITS: dict[str, Any] = {"levenshtein": Levenshtein.distance, "damerau": OSA.distance}
Levels = NDArray[np.int8]


def _floats(values: Sequence[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


@attrs.frozen
class Comparison:
    """How one field is compared, as ordered levels (0 = the same).

    Parameters
    ----------
    field
        Standardised field name.
    kind
        ``"exact"``: same or different. ``"jaro_winkler"``: similarity at or
        above each threshold (descending, e.g. ``(0.92, 0.8)``). ``"levenshtein"``:
        at most each number of edits (ascending, e.g. ``(1, 2)``).
        ``"damerau"``: the same, a swap of two neighbouring characters counting
        as one edit (the commonest slip in typed numbers). ``"date"``
        (``YYYY-MM-DD``): day and month swapped, then within each number of
        days. ``"numeric"``: absolute difference at most each threshold
        (ascending). ``"initial"``: same first letter.
    thresholds
        The cut-offs of the intermediate levels, as explained for ``kind``.

    Examples
    --------
    >>> Comparison("surname", "jaro_winkler", (0.92, 0.8)).levels
    ('exact', 'jaro_winkler >= 0.92', 'jaro_winkler >= 0.8', 'different')
    """

    field: str
    kind: Kind = "exact"
    thresholds: tuple[float, ...] = attrs.field(default=(), converter=_floats)

    @property
    def levels(self) -> tuple[str, ...]:
        """Names of the levels, best first (level -1, missing, is not listed)."""
        if self.kind == "jaro_winkler":
            middle = tuple(f"jaro_winkler >= {t:g}" for t in self.thresholds)
        elif self.kind in _EDITS:
            middle = tuple(f"<= {t:g} edits" for t in self.thresholds)
        elif self.kind == "date":
            middle = ("day and month swapped", *(f"within {t:g} days" for t in self.thresholds))
        elif self.kind == "numeric":
            middle = tuple(f"within {t:g}" for t in self.thresholds)
        elif self.kind == "initial":
            middle = ("same initial",)
        else:
            middle = ()
        return ("exact", *middle, "different")

    def compare(self, left: pd.Series, right: pd.Series) -> Levels:
        """Return the level of each pair ``(left[i], right[i])`` (positional).

        Parameters
        ----------
        left, right
            The field's standardised values, one pair per position, of equal
            length; missing values are missing.

        Returns
        -------
        numpy.ndarray of int8
            One level per pair: 0 the same, higher further apart (the last
            level is "different"), -1 where a value is missing.
        """
        values = pd.concat([pd.Series(left), pd.Series(right)], ignore_index=True)
        codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
        codes = np.asarray(codes, dtype=np.int64)
        return self.compare_codes(
            codes[: len(left)], codes[len(left) :], np.asarray(uniques, dtype=object)
        )

    def compare_codes(
        self, left: NDArray[np.int64], right: NDArray[np.int64], uniques: NDArray[np.object_]
    ) -> Levels:
        """Levels of pairs given as codes into ``uniques`` (-1 = missing).

        Each distinct pair of values is compared once: on real data the same
        city or first name pair recurs thousands of times.

        Parameters
        ----------
        left, right
            Codes into ``uniques`` of each pair's values, of equal length; -1
            is missing.
        uniques
            The distinct standardised values the codes point into.

        Returns
        -------
        numpy.ndarray of int8
            One level per pair: 0 the same, higher further apart (the last
            level is "different"), -1 where a value is missing.
        """
        level = np.full(left.size, MISSING, dtype=np.int8)
        present = (left >= 0) & (right >= 0)
        if not present.any():
            return level
        a, b = left[present], right[present]
        if self.kind in {"exact", "date", "numeric", "initial"}:
            level[present] = self._levels_by_value(a, b, uniques)
            return level
        low, high = np.minimum(a, b), np.maximum(a, b)  # comparisons are symmetric
        combined = low * np.int64(len(uniques)) + high
        inverse, distinct = pd.factorize(combined)  # hashing: no sort of every pair
        first = uniques[distinct // len(uniques)]
        second = uniques[distinct % len(uniques)]
        level[present] = self._string_levels(first, second, same=first == second)[inverse]
        return level

    def _string_levels(
        self, first: NDArray[np.object_], second: NDArray[np.object_], same: NDArray[np.bool_]
    ) -> Levels:
        """Levels of present string pairs by Jaro-Winkler or edit distance (no pandas)."""
        scorer: Any = _EDITS.get(self.kind, JaroWinkler.normalized_similarity)
        score = cpdist(list(first), list(second), scorer=scorer, dtype=np.float64)
        if self.kind == "jaro_winkler":
            score = np.round(score, 9)  # one-to-many and pairwise differ in the last bit
            hits = [score >= t for t in self.thresholds]
        else:
            hits = [score <= t for t in self.thresholds]
        level = np.full(len(first), len(self.levels) - 1, dtype=np.int8)
        for index, hit in reversed(list(enumerate(hits, start=1))):
            level[hit] = index
        level[same] = 0
        return level

    def compare_one(self, value: str | None, others: NDArray[np.object_]) -> Levels:
        """Levels of one value against many (``None`` = missing), without pandas.

        The same levels as :meth:`compare`, at a cost small enough to resolve
        one record against its candidates in well under a millisecond.

        Parameters
        ----------
        value
            The new record's standardised value, or ``None`` when missing.
        others
            The candidates' standardised values (``None`` for missing).

        Returns
        -------
        numpy.ndarray of int8
            One level per pair: 0 the same, higher further apart (the last
            level is "different"), -1 where a value is missing.
        """
        level = np.full(len(others), MISSING, dtype=np.int8)
        if value is None or len(others) == 0:
            return level
        present = np.fromiter((o is not None for o in others), dtype=bool, count=len(others))
        candidates = others[present]
        if not len(candidates):
            return level
        if self.kind in {"jaro_winkler", *_EDITS}:
            repeated = np.full(len(candidates), value, dtype=object)
            level[present] = self._string_levels(repeated, candidates, candidates == value)
            return level
        found = self._levels_by_value(
            np.zeros(len(candidates), dtype=np.int64),
            np.arange(1, len(candidates) + 1, dtype=np.int64),
            np.asarray([value, *candidates], dtype=object),
        )
        found[candidates == value] = 0
        level[present] = found
        return level

    def _levels_by_value(
        self, a: NDArray[np.int64], b: NDArray[np.int64], uniques: NDArray[np.object_]
    ) -> Levels:
        """Levels from a number per distinct value, for kinds that need no string distance."""
        different = len(self.levels) - 1
        hits: list[NDArray[np.bool_]] = []
        if self.kind in {"date", "numeric"}:
            if self.kind == "date":
                value = np.fromiter((_day(v) for v in uniques), dtype=float, count=len(uniques))
                swapped = np.fromiter(
                    (_day(_swap_day_month(v)) for v in uniques), dtype=float, count=len(uniques)
                )
                hits.append((value[a] == swapped[b]) & np.isfinite(value[a]))
            else:
                value = np.fromiter((_number(v) for v in uniques), dtype=float, count=len(uniques))
            gap = np.nan_to_num(np.abs(value[a] - value[b]), nan=np.inf)
            hits.extend(gap <= t for t in self.thresholds)
        elif self.kind == "initial":
            initial = np.asarray([str(v)[:1] for v in uniques], dtype=object)
            hits.append(np.asarray(initial[a] == initial[b], dtype=bool))
        level = np.full(a.size, different, dtype=np.int8)
        for index, hit in reversed(list(enumerate(hits, start=1))):
            level[hit] = index
        level[a == b] = 0
        return level


_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _day(value: object) -> float:
    """Day number of a ``YYYY-MM-DD`` string, NaN if it is not one."""
    if not isinstance(value, str) or _ISO_DAY.fullmatch(value) is None:
        return np.nan
    try:
        return float(date.fromisoformat(value).toordinal())
    except ValueError:
        return np.nan


def _swap_day_month(value: object) -> object:
    if not isinstance(value, str) or _ISO_DAY.fullmatch(value) is None:
        return None
    return f"{value[:4]}-{value[8:10]}-{value[5:7]}"


def _number(value: object) -> float:
    try:
        number = float(str(value))
    except ValueError:
        return np.nan
    return number if np.isfinite(number) else np.nan


_MAX_THRESHOLDS = 20  # levels are int8; real comparisons use one to three


def comparison_to_dict(comparison: Comparison) -> dict[str, Any]:
    """Return a comparison as JSON-ready data."""
    return {
        "field": comparison.field,
        "kind": comparison.kind,
        "thresholds": list(comparison.thresholds),
    }


def comparison_from_dict(data: object, name: str) -> Comparison:
    """Rebuild a comparison written by :func:`comparison_to_dict`, checking every value.

    Raises
    ------
    DataContractError
        If a key is missing, the kind unknown, or a threshold not a number
        in the kind's range (similarities in ``[0, 1]``, distances ``>= 0``).
    """
    read = persist.mapping(data, name, keys=("field", "kind", "thresholds"))
    field = persist.text(read["field"], f"{name}.field")
    kind = persist.text(read["kind"], f"{name}.kind", choices=get_args(Kind))
    values = persist.items(read["thresholds"], f"{name}.thresholds")
    if len(values) > _MAX_THRESHOLDS:
        persist.fail(f"{name}.thresholds", f"at most {_MAX_THRESHOLDS} cut-offs", len(values))
    high = 1.0 if kind == "jaro_winkler" else None
    thresholds = [
        persist.number(v, f"{name}.thresholds[{k}]", low=0.0, high=high)
        for k, v in enumerate(values)
    ]
    return Comparison(field, cast("Kind", kind), thresholds)  # a Kind: checked above


_DEFAULTS: Mapping[str, tuple[Kind, tuple[float, ...]]] = {
    "given_name": ("jaro_winkler", (0.92, 0.8)),
    "surname": ("jaro_winkler", (0.92, 0.8)),
    "full_name": ("jaro_winkler", (0.92, 0.8)),
    "street": ("jaro_winkler", (0.9, 0.75)),
    "city": ("jaro_winkler", (0.92,)),
    "organisation": ("jaro_winkler", (0.92, 0.8)),
    "email": ("levenshtein", (1,)),
    "phone": ("damerau", (1,)),
    "postcode": ("damerau", (1,)),
    "account_id": ("damerau", (1,)),
    "tax_id": ("damerau", (1,)),
    "date_of_birth": ("date", (31, 366)),
}


def default_comparisons(fields: Sequence[str]) -> list[Comparison]:
    """Return sensible comparisons for standardised fields (custom fields: Jaro-Winkler).

    Names use Jaro-Winkler (typos and transpositions near the end matter
    less), identifiers and e-mails allow one edit (a swap of neighbouring digits
    counts as one), dates of birth allow a
    day/month swap and closeness within a month or a year.

    Parameters
    ----------
    fields
        Standardised field names; known ones (names, e-mail, phone,
        identifiers, postcode, date of birth, ...) get their own kind.

    Returns
    -------
    list of Comparison
        One comparison per field, in the order given.
    """
    comparisons = []
    for name in fields:
        kind, thresholds = _DEFAULTS.get(name, ("jaro_winkler", (0.92, 0.8)))
        comparisons.append(Comparison(name, kind, thresholds))
    return comparisons


def compare_pairs(
    records: pd.DataFrame,
    pairs: pd.DataFrame,
    comparisons: Sequence[Comparison],
    *,
    other: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Compare every candidate pair on every field.

    Parameters
    ----------
    records
        Standardised records (indexed by record id); the left file when linking.
    pairs
        Candidate pairs, columns ``left`` and ``right`` (record ids).
    comparisons
        One :class:`Comparison` per field to compare.
    other
        The right file, when linking two files.

    Returns
    -------
    pandas.DataFrame
        One ``int8`` column of levels per compared field, aligned with ``pairs``.

    Raises
    ------
    DataContractError
        If a compared field is missing or a pair names an unknown record.
    """
    left = require_frame(records, name="records")
    right = left if other is None else require_frame(other, name="other")
    require_columns(pairs, ["left", "right"], name="pairs")
    fields = [c.field for c in comparisons]
    require_columns(left, fields, name="records")
    require_columns(right, fields, name="other" if other is not None else "records")
    for side, frame, column in (("left", left, "left"), ("right", right, "right")):
        unknown = ~pairs[column].isin(frame.index)
        if unknown.any():
            row = pairs.index[np.flatnonzero(unknown.to_numpy())[0]]
            value = pairs.at[row, column]
            msg = f"pairs column {column!r} names a record not in the {side} records: {value!r}."
            raise DataContractError(msg, column=column, value=value, row=row)
    i = left.index.get_indexer(pd.Index(pairs["left"]))
    j = right.index.get_indexer(pd.Index(pairs["right"]))
    encoded = encode_fields(left, fields, other=None if other is None else right)
    return pd.DataFrame(
        {
            c.field: c.compare_codes(
                encoded[c.field].left[i], encoded[c.field].right[j], encoded[c.field].uniques
            )
            for c in comparisons
        },
        index=pairs.index,
    )


@attrs.frozen
class EncodedField:
    """One field of both files as integer codes into shared distinct values (-1 = missing)."""

    left: NDArray[np.int64]
    right: NDArray[np.int64]
    uniques: NDArray[np.object_]

    def counts(self) -> NDArray[np.int64]:
        """How many records (both files) hold each distinct value."""
        codes = self.left if self.right is self.left else np.concatenate([self.left, self.right])
        return np.bincount(codes[codes >= 0], minlength=len(self.uniques)).astype(np.int64)


def encode_fields(
    records: pd.DataFrame, fields: Sequence[str], *, other: pd.DataFrame | None = None
) -> dict[str, EncodedField]:
    """Factorise each field once, over both files, so pairs can be compared by code."""
    encoded = {}
    for name in dict.fromkeys(fields):
        values = records[name] if other is None else pd.concat([records[name], other[name]])
        codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
        codes = codes.astype(np.int64)
        left = codes[: len(records)]
        right = left if other is None else codes[len(records) :]
        encoded[name] = EncodedField(left, right, np.asarray(uniques, dtype=object))
    return encoded
