"""The identity resolver: known customers, a new record resolved in milliseconds, stable ids.

The batch pipeline answers "who is who" once; the resolver keeps the answer.
It holds every known record with its ``customer_id``, indexes them by the
matcher's blocking keys, and resolves a new record (a web sign-up, a call)
by comparing it with the few known records that share a key. Ids never
change silently: when a new record proves two customers are one, the merge
is recorded as an event, so the interaction history of the absorbed id can
follow it; removing a record may split a customer, which is recorded too.

Erasure is real: a removed record leaves nothing behind, in memory or in a
saved file (its values, its id, the blocking keys derived from them, its
rare values in the term-frequency table). A forgotten customer leaves only a
tombstone event with the id, and ids are never issued twice, even by a file
whose counter was rewound: loading checks it.
"""

from __future__ import annotations

import gzip
import json
import numbers
import os
import warnings
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, cast

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._spark import SparkFrame, is_spark_frame
from .._validation import (
    require_columns,
    require_frame,
    require_no_missing,
    require_number,
    require_unique,
)
from ..errors import DataContractError, DataWarning, StorageError
from . import _golden as golden
from . import _persist as persist
from ._blocking import BlockingRule, SortedNeighbourhood
from ._cluster import cluster_positions
from ._explain import MatchExplanation
from ._golden import GoldenRecord, GoldenRecordPolicy
from ._matcher import RecordMatcher

__all__ = ["IdentityErasure", "IdentityEvent", "IdentityResolver", "Resolution"]

_FORMAT = "one2one.IdentityResolver"
_VERSION = 1
_SAVED_KEYS = (
    "format",
    "version",
    "matcher",
    "threshold",
    "id_prefix",
    "next",
    "record_ids",
    "customer_ids",
    "values",
    "events",
)
_EVENT_KEYS = ("kind", "from_ids", "into_id", "at", "record_id")
_KINDS = ("merge", "split", "forget")
_ID_WIDTH = 7

RecordId = str | int
"""A record id: an integer if your ids are integers, else text."""


@attrs.frozen
class Resolution:
    """Who a record belongs to.

    Attributes
    ----------
    customer_id
        The customer the record belongs to; for a new person, the id given
        when the record was added, else ``None``.
    probability
        Match probability with the best-matching known record (0 if none).
    is_new
        Whether no known customer matches.
    matched_record
        The best-matching known record id, if any (an ``int`` if the ids are).
    explanation
        Field-by-field evidence against ``matched_record`` (``None`` if none).
    """

    customer_id: str | None
    probability: float
    is_new: bool
    matched_record: RecordId | None = None
    explanation: MatchExplanation | None = None


@attrs.frozen
class IdentityEvent:
    """A change of identity other rooms must follow (e.g. re-key an interaction log).

    ``kind`` is ``"merge"`` (customers ``from_ids`` became ``into_id``),
    ``"split"`` (records of ``from_ids[0]`` now form the new ``into_id``) or
    ``"forget"`` (customer ``from_ids[0]`` was erased on request; ``into_id``
    is ``None``): a tombstone, telling other systems to erase what they hold
    under that id. ``record_id`` is the record whose arrival caused the
    event, while that record is known; removing it clears it.

    A tombstone carries the customer id and nothing else. The id is a
    sequence number the resolver minted (``C0000042``): it encodes nothing
    about the person, and once the records are gone nothing in the resolver
    links it to anyone. Keeping it lets every other system find what it must
    erase, and lets :meth:`IdentityResolver.load` prove that the id is never
    issued again.

    Attributes
    ----------
    kind
        ``"merge"``, ``"split"`` or ``"forget"``.
    from_ids
        The customer ids the change starts from.
    into_id
        The customer id they became (``None`` for ``"forget"``).
    at
        When the change happened (UTC unless given otherwise).
    record_id
        The record whose arrival caused it, while that record is known.
    """

    kind: Literal["merge", "split", "forget"]
    from_ids: tuple[str, ...]
    into_id: str | None
    at: pd.Timestamp
    record_id: RecordId | None = None


@attrs.frozen
class IdentityErasure:
    """The receipt of :meth:`IdentityResolver.forget` (a right-to-erasure request).

    Attributes
    ----------
    customer_id
        The customer forgotten; the id is never issued again.
    records
        How many records were erased.
    erased_at
        When.
    event
        The ``forget`` tombstone recorded in :meth:`IdentityResolver.events`,
        to pass on to the systems keyed by customer id.
    """

    customer_id: str
    records: int
    erased_at: pd.Timestamp
    event: IdentityEvent


class IdentityResolver:
    """Known customers, and new records resolved against them one at a time.

    Build one with :meth:`from_records` (fits a :class:`RecordMatcher` and
    clusters the records), then :meth:`resolve` records as they arrive,
    :meth:`add` them to the known customers, :meth:`remove` a record or
    :meth:`forget` a whole customer (deletion requests) and :meth:`save` /
    :meth:`load` the whole state as JSON.

    Parameters
    ----------
    matcher
        A fitted matcher: its schema, blocking, comparisons and model are used.
    threshold
        Match probability from which a record joins a customer (the
        matcher's threshold if ``None``).
    id_prefix
        Customer ids are this prefix and a sequence number (``C0000001``).

    Raises
    ------
    NotFittedError
        If ``matcher`` is not fitted.
    DataContractError
        If ``threshold`` is outside [0, 1].

    Examples
    --------
    >>> from one2one.datasets import load_febrl
    >>> from one2one.identify import IdentityResolver, RecordSchema
    >>> schema = RecordSchema(
    ...     record_id="rec_id", given_name="given_name", surname="surname",
    ...     street="address_1", postcode="postcode", city="suburb",
    ...     date_of_birth="date_of_birth", account_id="soc_sec_id",
    ... )
    >>> records = load_febrl("dataset1").records.reset_index()
    >>> resolver = IdentityResolver.from_records(records, schema)
    >>> resolver.n_customers  # 500 people, each with one damaged duplicate
    500
    >>> known = records.iloc[0].to_dict()
    >>> resolver.resolve(known).customer_id == resolver.customer_of(known["rec_id"])
    True
    """

    def __init__(
        self, matcher: RecordMatcher, *, threshold: float | None = None, id_prefix: str = "C"
    ) -> None:
        matcher._check_fitted()  # noqa: SLF001 - same room
        self.matcher = matcher
        self.threshold = float(matcher.threshold if threshold is None else threshold)
        require_number(self.threshold, name="threshold", low=0.0, high=1.0)
        self.id_prefix = id_prefix
        self._fields = matcher._standard_fields()  # noqa: SLF001
        self._values: dict[str, list[str | None]] = {f: [] for f in self._fields}
        self._ids: list[RecordId | None] = []  # None once removed, like every value
        self._position: dict[str, int] = {}  # known records only, by the id as text
        self._customer: list[str | None] = []  # None once removed
        self._forgotten: set[str] = set()
        self._members: dict[str, list[int]] = {}
        self._events: list[IdentityEvent] = []
        self._next = 1
        self._rules = [
            *(r for r in matcher.blocking_ if isinstance(r, BlockingRule)),
            *(BlockingRule(rule.fields) for rule in matcher.match_rules),
        ]
        self._sorted_rules = [r for r in matcher.blocking_ if isinstance(r, SortedNeighbourhood)]
        self._index: list[dict[str, list[int]]] = [{} for _ in self._rules]
        self._sorted: list[tuple[NDArray[np.object_], NDArray[np.int64]]] = []

    # -- building -----------------------------------------------------------
    @classmethod
    def from_records(
        cls,
        records: pd.DataFrame | SparkFrame,
        schema: Any,
        *,
        matcher: RecordMatcher | None = None,
        threshold: float | None = None,
        id_prefix: str = "C",
    ) -> IdentityResolver:
        """Deduplicate ``records`` and keep them as the known customers.

        Parameters
        ----------
        records
            The records, in the schema's columns: a pandas or a Spark
            DataFrame. A Spark frame is matched in Spark (see
            :meth:`RecordMatcher.fit`); then the records and their customers
            are collected, since the resolver keeps every known record in
            memory to serve live traffic in-process: the same resolver as
            from the pandas frame of the same records.
        schema
            A :class:`RecordSchema` (ignored if ``matcher`` is given).
        matcher
            The matcher to use: a fitted one predicts the records as it is
            (not refitted), an unfitted one is fitted on them; a default
            one if ``None``.
        threshold, id_prefix
            See :class:`IdentityResolver`.

        Returns
        -------
        IdentityResolver
            The resolver, with customers numbered in order of their smallest
            record id (the same records give the same ids).

        Raises
        ------
        DataContractError
            If the records break the schema, or a parameter is out of range.
        """
        chosen = RecordMatcher(schema) if matcher is None else matcher
        # a fitted matcher is used as it is (predict); an unfitted one learns from the records
        fitted = hasattr(chosen, "model_")
        if is_spark_frame(records):  # matched in Spark; the resolver holds the records anyway
            spark_records = records
            found_spark = (
                chosen.predict(spark_records) if fitted else chosen.fit_predict(spark_records)
            )
            result = found_spark.toPandas()
            rid = chosen.schema.record_id
            columns = list(dict.fromkeys([rid, *chosen.schema.fields().values()]))
            frame: pd.DataFrame = records.select(*columns).toPandas()
            found = pd.Series(
                result["customer_id"].to_numpy(), index=result[rid].to_numpy(), dtype="string"
            )
            labels = found.reindex(frame[rid].to_numpy())
        else:
            frame = cast("pd.DataFrame", records)
            labels = chosen.predict(frame) if fitted else chosen.fit_predict(frame)
        resolver = cls(chosen, threshold=threshold, id_prefix=id_prefix)
        with warnings.catch_warnings():  # fit_predict has just warned about these records
            warnings.simplefilter("ignore", DataWarning)
            standard = chosen.schema.standardise(frame)
        # customers numbered in order of their smallest record id: the same data, the same ids
        order = pd.Index(sorted(labels.unique()))
        number = pd.Series(np.arange(1, len(order) + 1), index=order)
        ids = [resolver._format(int(k)) for k in number[labels.to_numpy()]]
        resolver._next = len(order) + 1
        resolver._load_records(standard, ids)
        return resolver

    def _format(self, number: int) -> str:
        return f"{self.id_prefix}{number:0{_ID_WIDTH}d}"

    def _number(self, customer_id: str) -> int | None:
        """Return the sequence number of an id this resolver could issue, else ``None``."""
        digits = customer_id[len(self.id_prefix) :]
        if not customer_id.startswith(self.id_prefix) or not (
            digits.isascii() and digits.isdigit()
        ):
            return None
        number = int(digits)
        return number if number >= 1 and self._format(number) == customer_id else None

    def _load_records(self, standard: pd.DataFrame, customer_ids: list[str]) -> None:
        """Store standardised records with their customer ids and build the indexes."""
        start = len(self._ids)
        for name in self._fields:
            if name in standard.columns:
                values = standard[name].astype(object).tolist()
                self._values[name].extend(None if v is pd.NA or v is None else v for v in values)
            else:
                self._values[name].extend([None] * len(standard))
        for offset, (raw, customer) in enumerate(
            zip(standard.index.tolist(), customer_ids, strict=True)
        ):
            record_id = _record_id(raw)
            self._ids.append(record_id)
            self._position[str(record_id)] = start + offset
            self._customer.append(customer)
            self._members.setdefault(customer, []).append(start + offset)
        for rule, index in zip(self._rules, self._index, strict=True):
            keys = rule.keys(standard.reindex(columns=list(rule.fields)))
            groups = pd.Series(np.arange(start, start + len(standard))).groupby(
                keys.to_numpy(), dropna=True
            )
            for key, positions in groups.indices.items():
                index.setdefault(str(key), []).extend((np.asarray(positions) + start).tolist())
        self._rebuild_sorted()

    def _rebuild_sorted(self) -> None:
        self._sorted = []
        if not self._sorted_rules:
            return
        frame = pd.DataFrame(self._values)
        for rule in self._sorted_rules:
            key = frame[rule.fields[0]].astype("string")
            for name in rule.fields[1:]:
                key = key.str.cat(frame[name].astype("string"), sep=" ", na_rep="")
            key = key.str.strip()
            present = (key.notna() & (key != "")).to_numpy(dtype=bool, na_value=False)
            values = key[present].to_numpy(dtype=object)
            order = np.argsort(values, kind="stable")
            self._sorted.append((values[order], np.flatnonzero(present)[order]))

    # -- looking up ---------------------------------------------------------
    @property
    def n_records(self) -> int:
        """Known records (removed ones excluded)."""
        return sum(c is not None for c in self._customer)

    @property
    def n_customers(self) -> int:
        """Known customers."""
        return len(self._members)

    def customer_of(self, record_id: RecordId) -> str:
        """Return the customer id of a known record (``5`` and ``"5"`` name one record).

        Parameters
        ----------
        record_id
            A record id, as added.

        Returns
        -------
        str
            Its customer id.

        Raises
        ------
        DataContractError
            If the record is not known (never added, or removed).
        """
        position = self._position.get(str(record_id))
        customer = None if position is None else self._customer[position]
        if customer is None:
            msg = f"record {record_id!r} is not known to this resolver."
            raise DataContractError(msg, column="record_id", value=record_id)
        return customer

    def customers(self) -> pd.Series:
        """Return ``customer_id`` per known record id.

        The index holds the record ids as given: ``int64`` if every id is an
        integer, ``string`` if every id is text, and both kinds otherwise.

        Returns
        -------
        pandas.Series
            ``customer_id`` (pandas ``string``) per known record.
        """
        kept = [(r, c) for r, c in zip(self._ids, self._customer, strict=True) if c is not None]
        index = _id_index([r for r, _ in kept if r is not None])
        return pd.Series([c for _, c in kept], index=index, name="customer_id", dtype="string")

    def events(self) -> pd.DataFrame:
        """Return the merges, splits and ``forget`` tombstones so far, oldest first.

        Columns ``kind``, ``from_ids``, ``into_id``, ``at`` and ``record_id``
        (the record whose arrival caused the event, while it is known). After
        a split, :meth:`customers` tells which records moved to the new id.
        Other rooms follow these events (an interaction log re-keys history on
        a merge); read them with ``one2one.contracts.identity_changes``.

        Returns
        -------
        pandas.DataFrame
            One row per event, oldest first; an empty table of the same
            columns (``at`` as UTC datetimes) before any event.
        """
        frame = pd.DataFrame(
            [attrs.asdict(e) for e in self._events],
            columns=["kind", "from_ids", "into_id", "at", "record_id"],
        )
        if frame.empty:  # typed like a full one: no events is still a valid table of events
            frame["kind"] = frame["kind"].astype(object)
            frame["at"] = pd.to_datetime(frame["at"], utc=True)
        return frame

    def _candidates(self, record: Mapping[str, str | None]) -> NDArray[np.int64]:
        found: list[int] = []
        for rule, index in zip(self._rules, self._index, strict=True):
            key = rule.key_one(record)
            if key is not None:
                found.extend(index.get(key, ()))
        for sorted_rule, (keys, ordered) in zip(self._sorted_rules, self._sorted, strict=True):
            joined = " ".join(record.get(f) or "" for f in sorted_rule.fields).strip()
            if joined:
                at = int(np.searchsorted(keys, joined))
                window = sorted_rule.window
                low, high = max(at - window + 1, 0), min(at + window - 1, len(keys))
                found.extend(ordered[low:high].tolist())
        if not found:
            return np.zeros(0, dtype=np.int64)
        unique = np.unique(np.asarray(found, dtype=np.int64))
        alive = np.fromiter((self._customer[p] is not None for p in unique), dtype=bool)
        return np.asarray(unique[alive], dtype=np.int64)

    def _score(
        self, record: Mapping[str, str | None], positions: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        others = {
            f: np.asarray([self._values[f][p] for p in positions], dtype=object)
            for f in self._fields
        }
        return self.matcher._score_one(record, others)[2]  # noqa: SLF001

    def resolve(self, record: Mapping[str, object], *, explain: bool = True) -> Resolution:
        """Say which known customer a record belongs to, without storing it.

        Parameters
        ----------
        record
            The record as ``{column: value}`` in the schema's columns.
        explain
            Attach the field-by-field evidence against the best match.

        Returns
        -------
        Resolution
            The customer (``None`` when new), the best match's probability
            and record, and the evidence if asked.

        Raises
        ------
        DataContractError
            For a number whose digits are not exact (see
            :meth:`RecordSchema.standardise_one`).
        """
        standard = self.matcher.schema.standardise_one(record)
        positions = self._candidates(standard)
        if not len(positions):
            return Resolution(customer_id=None, probability=0.0, is_new=True)
        probability = self._score(standard, positions)
        best = int(np.argmax(probability))
        position = int(positions[best])
        explanation = None
        if explain:
            known = {f: self._values[f][position] for f in self._fields}
            explanation = self.matcher._explain_standardised(standard, known)  # noqa: SLF001
        matched = probability[best] >= self.threshold
        return Resolution(
            customer_id=self._customer[position] if matched else None,
            probability=float(probability[best]),
            is_new=not matched,
            matched_record=self._ids[position],
            explanation=explanation,
        )

    # -- changing -----------------------------------------------------------
    def add(self, record: Mapping[str, object], *, at: pd.Timestamp | None = None) -> Resolution:
        """Resolve a record and keep it: it joins its customer, or starts a new one.

        If it matches records of several customers strongly enough, those
        customers are merged into one, which keeps the oldest of their ids,
        and a ``merge`` event is recorded. The returned resolution names the
        best-matching known record; ask :meth:`resolve` for an explanation.

        Parameters
        ----------
        record
            The record as ``{column: value}`` in the schema's columns, with
            its record id.
        at
            When the record arrived (the time of any merge); now, in UTC, by
            default.

        Returns
        -------
        Resolution
            The customer the record joined (a new id when it matched none).

        Raises
        ------
        DataContractError
            If the record has no id or an id already known, or ``at`` is not
            a time.
        """
        record_id = record.get(self.matcher.schema.record_id)
        if record_id is None or record_id is pd.NA or record_id != record_id:  # noqa: PLR0124 - NaN
            msg = f"the record has no {self.matcher.schema.record_id!r}; every record needs an id."
            raise DataContractError(msg, column=self.matcher.schema.record_id)
        record_id = _record_id(record_id)
        key = str(record_id)
        if key in self._position and self._customer[self._position[key]] is not None:
            msg = f"record {record_id!r} is already known; ids must be unique."
            raise DataContractError(msg, column=self.matcher.schema.record_id, value=record_id)
        when = _moment(at)
        standard = self.matcher.schema.standardise_one(record)
        positions = self._candidates(standard)
        probability = self._score(standard, positions) if len(positions) else np.zeros(0)
        strong = probability >= self.threshold
        if strong.any():
            by_customer: dict[str, list[float]] = {}
            for position, p in zip(positions.tolist(), probability.tolist(), strict=True):
                by_customer.setdefault(str(self._customer[position]), []).append(p)
            best_of = {c: max(ps) for c, ps in by_customer.items()}
            linked = [c for c, p in best_of.items() if p >= self.threshold]
            group_link = self.matcher.group_link
            joined = [
                c
                for c in linked
                if group_link is None or float(np.mean(by_customer[c])) >= group_link
            ] or [max(linked, key=lambda c: best_of[c])]
            customer = min(joined)  # the oldest id survives
            if len(joined) > 1:
                self._merge([c for c in joined if c != customer], customer, when, record_id)
            best = float(probability.max())
            matched = self._ids[int(positions[int(np.argmax(probability))])]
        else:
            matched = None
            customer = self._format(self._next)
            self._next += 1
            best = float(probability.max()) if len(probability) else 0.0
        self._append(record_id, standard, customer)
        return Resolution(
            customer_id=customer, probability=best, is_new=not strong.any(), matched_record=matched
        )

    def add_records(self, records: pd.DataFrame) -> pd.DataFrame:
        """Add several records in order; return one row per record (``customer_id``, ``is_new``).

        The records are validated against the schema as a whole first, so a
        bad column fails before any record is added.

        Parameters
        ----------
        records
            The records, in the schema's columns, one row each.

        Returns
        -------
        pandas.DataFrame
            ``record_id``, ``customer_id``, ``is_new`` and ``probability``,
            one row per record in order.

        Raises
        ------
        DataContractError
            If the records break the schema, or a record id is already known.
        """
        frame = require_frame(records, name="records")
        self.matcher.schema.validate(frame)
        rows = []
        for row in frame.to_dict("records"):
            record = {str(k): v for k, v in row.items()}
            resolution = self.add(record)
            rows.append(
                {
                    "record_id": _record_id(record[self.matcher.schema.record_id]),
                    "customer_id": resolution.customer_id,
                    "is_new": resolution.is_new,
                    "probability": resolution.probability,
                }
            )
        self._rebuild_sorted()
        return pd.DataFrame(rows)

    def _append(
        self, record_id: RecordId, standard: Mapping[str, str | None], customer: str
    ) -> None:
        position = len(self._ids)
        for name in self._fields:
            self._values[name].append(standard.get(name))
        self._ids.append(record_id)
        self._position[str(record_id)] = position
        self._customer.append(customer)
        self._members.setdefault(customer, []).append(position)
        for rule, index in zip(self._rules, self._index, strict=True):
            key = rule.key_one(standard)
            if key is not None:
                index.setdefault(key, []).append(position)

    def _merge(
        self, absorbed: Iterable[str], into: str, at: pd.Timestamp, record: RecordId
    ) -> None:
        gone = sorted(absorbed)
        for customer in gone:
            for position in self._members.pop(customer):
                self._customer[position] = into
                self._members[into].append(position)
        self._events.append(IdentityEvent("merge", tuple(gone), into, at, record))

    def remove(self, record_id: RecordId, *, at: pd.Timestamp | None = None) -> list[IdentityEvent]:
        """Erase a record (e.g. a deletion request); its customer may split.

        Nothing of the record is kept, in memory or in what :meth:`save`
        writes: its values, its id (also in earlier events, where it becomes
        ``None``), the blocking keys derived from its values, and each of its
        name, street and city values from the matcher's term-frequency table
        unless a known record still holds that value. The remaining records
        of the customer are re-clustered among themselves; the largest group
        keeps the id, every other group gets a new one and a ``split`` event
        (with no ``record_id``). Removing a customer's last record retires
        the id for good; :meth:`forget` also records a tombstone.

        Parameters
        ----------
        record_id
            The record to erase.
        at
            When (the time of any split); now, in UTC, by default.

        Returns
        -------
        list of IdentityEvent
            The splits, if any.

        Raises
        ------
        DataContractError
            If the record is not known (never added, or already removed), or
            ``at`` is not a time.
        """
        customer = self.customer_of(record_id)
        when = _moment(at)
        position = self._position[str(record_id)]
        self._erase(position)
        members = [p for p in self._members.pop(customer) if p != position]
        if not members:
            return []
        groups = self._regroup(members)
        groups.sort(key=lambda g: (-len(g), min(str(self._ids[p]) for p in g)))
        self._members[customer] = groups[0]
        events = []
        for group in groups[1:]:
            new = self._format(self._next)
            self._next += 1
            self._members[new] = group
            for p in group:
                self._customer[p] = new
            events.append(IdentityEvent("split", (customer,), new, when, None))
        self._events.extend(events)
        return events

    def forget(self, customer_id: str, *, at: pd.Timestamp | None = None) -> IdentityErasure:
        """Erase a customer: every one of their records, and a tombstone event (right to erasure).

        Each record goes as with :meth:`remove`, so nothing of them is kept in
        memory or in what :meth:`save` writes. A ``forget`` event records
        that the customer was erased, with the customer id and the time only
        (see :class:`IdentityEvent` for why the id is kept): pass it on to
        every system keyed by customer id, such as the interaction log's own
        ``forget``. The id is never issued again, not even after
        :meth:`save` and :meth:`load`; if the same person comes back, they
        are a new customer.

        Parameters
        ----------
        customer_id
            The customer to erase (for an id merged into another, forget the
            surviving id, which holds the records).
        at
            When the request was honoured (now, in UTC, if ``None``).

        Returns
        -------
        IdentityErasure
            The receipt: the id, how many records were erased, when, and the event.

        Raises
        ------
        DataContractError
            If the customer is not known: never issued, already forgotten, or
            merged into another customer.

        Examples
        --------
        >>> from one2one.datasets import load_febrl
        >>> from one2one.identify import IdentityResolver, RecordSchema
        >>> schema = RecordSchema(record_id="rec_id", given_name="given_name",
        ...     surname="surname", date_of_birth="date_of_birth", postcode="postcode")
        >>> records = load_febrl("dataset1").records.reset_index().iloc[:200]
        >>> resolver = IdentityResolver.from_records(records, schema)
        >>> customer = resolver.customer_of(records["rec_id"].iloc[0])
        >>> receipt = resolver.forget(customer)
        >>> receipt.records, receipt.event.kind, receipt.event.from_ids == (customer,)
        (1, 'forget', True)
        >>> resolver.resolve(records.iloc[0].to_dict()).is_new
        True
        """
        customer = str(customer_id)
        if customer not in self._members:
            msg = self._unknown_customer(customer)
            raise DataContractError(msg, column="customer_id", value=customer)
        when = _moment(at)
        members = self._members.pop(customer)
        for position in members:
            self._erase(position)
        event = IdentityEvent("forget", (customer,), None, when, None)
        self._events.append(event)
        self._forgotten.add(customer)
        return IdentityErasure(
            customer_id=customer, records=len(members), erased_at=when, event=event
        )

    def _unknown_customer(self, customer: str) -> str:
        """Say why ``customer`` has no records here."""
        if customer in self._forgotten:
            return f"customer {customer!r} was already forgotten; nothing of them is left."
        survivor = customer
        for event in self._events:  # merges in time order: follow the chain
            if event.kind == "merge" and survivor in event.from_ids and event.into_id is not None:
                survivor = event.into_id
        if survivor != customer:
            return (
                f"customer {customer!r} was merged into {survivor!r}; forget {survivor!r}, "
                "which holds their records."
            )
        return f"customer {customer!r} is not known to this resolver."

    def _erase(self, position: int) -> None:
        """Drop every trace of the record at ``position`` (its slot stays, empty)."""
        record_id = self._ids[position]
        standard = {f: self._values[f][position] for f in self._fields}
        for rule, index in zip(self._rules, self._index, strict=True):
            key = rule.key_one(standard)  # the same key the index was built with
            if key is not None and key in index:
                bucket = [p for p in index[key] if p != position]
                if bucket:
                    index[key] = bucket
                else:
                    del index[key]  # the key itself is derived from the person's values
        self._sorted = [
            (keys[ordered != position], ordered[ordered != position])
            for keys, ordered in self._sorted
        ]
        for name in self._fields:
            self._values[name][position] = None
        self._ids[position] = None
        self._customer[position] = None
        if record_id is not None:
            self._position.pop(str(record_id), None)
            self._events = [
                attrs.evolve(e, record_id=None) if e.record_id == record_id else e
                for e in self._events
            ]
        tables = self.matcher.term_frequencies_
        for name, table in tables.items():
            value = standard.get(name)
            if value is not None and value in table and value not in self._values.get(name, ()):
                del table[value]  # no known record holds it any more

    def _regroup(self, members: list[int]) -> list[list[int]]:
        """Cluster a customer's records among themselves, with the matcher's rules."""
        if len(members) == 1:
            return [members]
        firsts: list[int] = []
        seconds: list[int] = []
        scores: list[float] = []
        for k, position in enumerate(members[:-1]):
            record = {f: self._values[f][position] for f in self._fields}
            rest = np.asarray(members[k + 1 :], dtype=np.int64)
            probability = self._score(record, rest)
            firsts.extend([k] * len(rest))
            seconds.extend(range(k + 1, len(members)))
            scores.extend(probability.tolist())
        ids = pd.Index([str(self._ids[p]) for p in members], dtype="string")
        labels = cluster_positions(
            ids,
            np.asarray(firsts),
            np.asarray(seconds),
            np.asarray(scores, dtype=float),
            threshold=self.threshold,
            group_link=self.matcher.group_link,
        )
        grouped: dict[str, list[int]] = {}
        for position, label in zip(members, labels.tolist(), strict=True):
            grouped.setdefault(label, []).append(position)
        return list(grouped.values())

    # -- golden records -----------------------------------------------------
    def golden_record(
        self,
        customer_id: str,
        policy: GoldenRecordPolicy | None = None,
        *,
        records: pd.DataFrame | None = None,
    ) -> GoldenRecord:
        """Return one customer's best value per field, each with where it came from.

        Computed from the customer's current records, so it follows every
        add, merge, split, remove and forget. See :meth:`golden_records`.

        Parameters
        ----------
        customer_id
            A known customer.
        policy
            Survivorship rules per field (most frequent value everywhere if ``None``).
        records
            Your records with their original values (see :meth:`golden_records`).

        Returns
        -------
        GoldenRecord
            ``fields`` (``{field: value}``) and ``provenance``
            (``{field: Provenance(record_id, source, time)}``).

        Raises
        ------
        DataContractError
            If the customer is not known (never issued, merged away, or
            forgotten: an erased customer has no golden record), with the id
            in ``value``; or as :meth:`golden_records`.
        """
        customer = str(customer_id)
        if customer not in self._members:
            msg = self._unknown_customer(customer)
            raise DataContractError(msg, column="customer_id", value=customer)
        chosen = GoldenRecordPolicy() if policy is None else policy
        frame, customers, record_ids, fields = self._golden_input(chosen, records, customer)
        table = golden.golden_frame(frame, customers, record_ids, chosen, fields)
        return golden.record_of(table.iloc[0], customer, fields)  # the one customer

    def golden_records(
        self, policy: GoldenRecordPolicy | None = None, *, records: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Return every known customer's golden record, with provenance, as a frame.

        Each field's value is chosen among the customer's records by the
        policy's rule for that field (:class:`MostRecent`, :class:`MostFrequent`,
        :class:`MostTrusted`, :class:`Longest` or :class:`Custom`). Missing and
        blank values never win over present ones; ties go to the most recent
        record (policy ``time``), then the lowest record id, so the result
        does not depend on the order of the records. Nothing is cached: the
        golden records are computed from the records known now.

        Parameters
        ----------
        policy
            Survivorship rules per field (most frequent value everywhere if ``None``).
        records
            Your records as given (the schema's record id column, any other
            columns: contact details, source, times). The resolver keeps only
            the normalised identity fields (lower case, no punctuation,
            ``YYYYMMDD`` dates), and nothing of a source or a time: pass your
            records to get the original values, other attributes, sources and
            times. Only rows of records the resolver knows now are used;
            every known record must have a row. Without ``records``, the
            fields are the resolver's normalised identity fields.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``customer_id`` (sorted): one column per field, then
            ``<field>__record_id``, ``<field>__source`` and ``<field>__time``
            per field (the record that supplied the value, its source and its
            time; missing where no record holds the field).

        Raises
        ------
        DataContractError
            If the policy names a field or column the records lack, a time
            column does not hold datetimes, a known record has no row in
            ``records``, or a :class:`Custom` rule returns a value no record holds.

        Warns
        -----
        DataWarning
            If ``records`` holds rows of records the resolver does not know
            (removed, forgotten or never added), with their number: they are
            left out, and erased ones should go from your copy too.

        Examples
        --------
        >>> from one2one.datasets import load_febrl
        >>> from one2one.identify import GoldenRecordPolicy, IdentityResolver, Longest
        >>> from one2one.identify import RecordSchema
        >>> schema = RecordSchema(record_id="rec_id", given_name="given_name",
        ...     surname="surname", date_of_birth="date_of_birth", postcode="postcode")
        >>> records = load_febrl("dataset1").records.reset_index().iloc[:200]
        >>> resolver = IdentityResolver.from_records(records, schema)
        >>> policy = GoldenRecordPolicy(
        ...     fields=["given_name", "surname", "address_1"],
        ...     rules={"address_1": Longest()}, source="source",
        ... )
        >>> golden = resolver.golden_records(policy, records=records)
        >>> len(golden) == resolver.n_customers
        True
        >>> list(golden.columns[:4])
        ['given_name', 'surname', 'address_1', 'given_name__record_id']
        """
        chosen = GoldenRecordPolicy() if policy is None else policy
        frame, customers, record_ids, fields = self._golden_input(chosen, records, None)
        return golden.golden_frame(frame, customers, record_ids, chosen, fields)

    def _golden_input(
        self, policy: GoldenRecordPolicy, records: pd.DataFrame | None, customer: str | None
    ) -> tuple[pd.DataFrame, list[str], list[RecordId], list[str]]:
        """Return the current records of one customer (or all), their customers, ids, fields."""
        if customer is None:
            live = [p for p, c in enumerate(self._customer) if c is not None]
        else:
            live = sorted(self._members[customer])
        record_ids = [cast("RecordId", self._ids[p]) for p in live]
        customers = [str(self._customer[p]) for p in live]
        if records is None:
            frame = pd.DataFrame(
                {f: [self._values[f][p] for p in live] for f in self._fields}, dtype="string"
            )
            return frame, customers, record_ids, golden.output_fields(policy, self._fields)
        given = require_frame(records, name="records")
        column = self.matcher.schema.record_id
        require_columns(given, [column], name="records")
        require_no_missing(given, [column], name="records")
        require_unique(given, [column], name="records")
        keys = pd.Index([str(_record_id(v)) for v in given[column].tolist()])
        if keys.has_duplicates:  # 5 and "5" are one record
            msg = f"records column {column!r} names record {keys[keys.duplicated()][0]!r} twice."
            raise DataContractError(msg, column=column, value=keys[keys.duplicated()][0])
        unknown = [k for k in keys if k not in self._position]
        if unknown:
            msg = (
                f"{len(unknown):,} of {len(keys):,} rows of records are not records this "
                f"resolver knows (removed, forgotten or never added; e.g. {unknown[0]!r}); "
                "they are left out of the golden records. Erase removed records from your copy."
            )
            warnings.warn(msg, DataWarning, stacklevel=3)
        rows = pd.Series(np.arange(len(keys)), index=keys)
        wanted = pd.Index([str(r) for r in record_ids])
        lacking = wanted.difference(keys)
        if len(lacking):
            msg = (
                f"records lack {len(lacking):,} record(s) the resolver knows (e.g. "
                f"{lacking[0]!r}); pass every current record so golden records stay complete."
            )
            raise DataContractError(msg, column=column, value=lacking[0])
        frame = given.iloc[rows[wanted].to_numpy()].reset_index(drop=True)
        available = [str(c) for c in frame.columns if c != column]
        return frame, customers, record_ids, golden.output_fields(policy, available)

    # -- persistence --------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Return the whole state as JSON-ready data (no pickle).

        Only known records are written: removed and forgotten ones leave no
        trace but the ``split`` and ``forget`` events, which hold customer
        ids and times only.

        Returns
        -------
        dict of str to object
            The format and version, the fitted matcher, the known records and
            their customers, the id counter and the events.
        """
        live = [p for p, c in enumerate(self._customer) if c is not None]
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "matcher": self.matcher.to_dict(),
            "threshold": self.threshold,
            "id_prefix": self.id_prefix,
            "next": self._next,
            "record_ids": [self._ids[p] for p in live],
            "customer_ids": [self._customer[p] for p in live],
            "values": {f: [self._values[f][p] for p in live] for f in self._fields},
            "events": [
                {**attrs.asdict(e), "at": e.at.isoformat(), "from_ids": list(e.from_ids)}
                for e in self._events
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IdentityResolver:
        """Rebuild a resolver written by :meth:`to_dict`, checking all of it.

        Saved state is untrusted input. Every key, type and domain is checked,
        and so is the id counter: it must lie above every customer id present,
        in the records or in the events (merged, split and forgotten ids), so
        that no id is ever issued twice. Records of a forgotten or merged id
        are refused too. Removed records written by earlier versions (with a
        ``null`` customer id) are dropped, and event record ids naming no
        known record are cleared.

        Parameters
        ----------
        data
            The dict :meth:`to_dict` wrote (e.g. read back from JSON).

        Returns
        -------
        IdentityResolver
            The resolver, resolving as the saved one did.

        Raises
        ------
        DataContractError
            Naming the field at fault (``next``, ``matcher.model.m.surname``, ...).
        """
        read = persist.mapping(data, "resolver")
        if read.get("format") != _FORMAT or read.get("version") != _VERSION:
            shown = persist.shown(read.get("format"))
            msg = (
                f"not a saved IdentityResolver (format {shown!r}, version "
                f"{persist.shown(read.get('version'))!r}; expected {_FORMAT!r}, {_VERSION})."
            )
            raise DataContractError(msg, column="format", value=shown)
        read = persist.mapping(read, "resolver", keys=_SAVED_KEYS)
        matcher = RecordMatcher._from_dict(read["matcher"], "matcher")  # noqa: SLF001
        resolver = cls(
            matcher,
            threshold=persist.number(read["threshold"], "threshold", low=0.0, high=1.0),
            id_prefix=persist.text(read["id_prefix"], "id_prefix"),
        )
        record_ids, customers, columns = resolver._records_from_dict(read)
        events = [
            resolver._event_from_dict(e, f"events[{k}]")
            for k, e in enumerate(persist.items(read["events"], "events"))
        ]
        counter = persist.integer(read["next"], "next", low=1)
        resolver._check_issued(customers, events, counter)
        keep = [k for k, c in enumerate(customers) if c is not None]
        standard = pd.DataFrame(
            {name: [columns[name][k] for k in keep] for name in resolver._fields},
            dtype="string",
        )
        standard.index = pd.Index([record_ids[k] for k in keep], name="record_id", dtype=object)
        resolver._load_records(standard, [str(customers[k]) for k in keep])
        resolver._next = counter
        tables = resolver.matcher.term_frequencies_
        for k in (k for k, c in enumerate(customers) if c is None):  # finish old removals
            for name, table in tables.items():
                value = columns[name][k]
                if value is not None and value in table and value not in resolver._values[name]:
                    del table[value]
        known = set(resolver._position)
        resolver._events = [
            e
            if e.record_id is None or str(e.record_id) in known
            else attrs.evolve(e, record_id=None)
            for e in events
        ]
        resolver._forgotten = {e.from_ids[0] for e in events if e.kind == "forget"}
        return resolver

    def _records_from_dict(
        self, read: Mapping[str, Any]
    ) -> tuple[list[RecordId], list[str | None], dict[str, list[str | None]]]:
        """Read and check record ids, their customer ids and their standardised values."""
        record_ids = [
            _saved_record_id(r, f"record_ids[{k}]")
            for k, r in enumerate(persist.items(read["record_ids"], "record_ids"))
        ]
        as_text = pd.Index([str(r) for r in record_ids])
        if as_text.has_duplicates:  # 5 and "5" are one record to customer_of
            persist.fail("record_ids", "unique record ids", as_text[as_text.duplicated()][0])
        customers = persist.items(read["customer_ids"], "customer_ids", size=len(record_ids))
        for k, customer in enumerate(customers):
            if customer is not None:  # null: removed, in files written before erasure was real
                self._check_id(customer, f"customer_ids[{k}]")
        values = persist.mapping(read["values"], "values", keys=self._fields)
        columns = {}
        for name in self._fields:
            column = persist.items(values[name], f"values.{name}", size=len(record_ids))
            for k, value in enumerate(column):
                if value is not None and not isinstance(value, str):
                    persist.fail(f"values.{name}[{k}]", "text or null", value)
            columns[name] = column
        return record_ids, customers, columns

    def _check_issued(
        self, customers: list[str | None], events: list[IdentityEvent], counter: int
    ) -> None:
        """Refuse a counter that could issue an existing id, and records of retired ids."""
        issued = {c for c in customers if c is not None}
        issued.update(i for e in events for i in (*e.from_ids, e.into_id) if i is not None)
        highest = max(issued, key=lambda i: self._number(i) or 0, default=None)
        if highest is not None and counter <= (self._number(highest) or 0):
            msg = (
                f"saved field 'next' must lie above every customer id issued (got {counter} "
                f"while {highest!r} was issued): the id counter was rewound, and new customers "
                "would get existing ids; the file is damaged."
            )
            raise DataContractError(msg, column="next", value=counter)
        retired = {i for e in events if e.kind in {"merge", "forget"} for i in e.from_ids}
        owning = next((c for c in customers if c is not None and c in retired), None)
        if owning is not None:
            persist.fail("customer_ids", "ids not merged away or forgotten", owning)

    def _check_id(self, customer: object, name: str) -> str:
        """Return ``customer`` if it is an id this resolver issues (prefix and number)."""
        text = persist.text(customer, name)
        if self._number(text) is None:
            expected = f"a customer id like {self._format(1)!r}"
            persist.fail(name, expected, text)
        return text

    def _event_from_dict(self, data: object, name: str) -> IdentityEvent:
        read = persist.mapping(data, name, keys=_EVENT_KEYS)
        kind = persist.text(read["kind"], f"{name}.kind", choices=_KINDS)
        from_ids = persist.items(read["from_ids"], f"{name}.from_ids")
        if not from_ids or (kind != "merge" and len(from_ids) != 1):
            persist.fail(f"{name}.from_ids", f"the {kind}'s customer id(s)", len(from_ids))
        ids = tuple(self._check_id(c, f"{name}.from_ids[{k}]") for k, c in enumerate(from_ids))
        if kind == "forget":
            if read["into_id"] is not None:
                persist.fail(f"{name}.into_id", "null for a forget event", read["into_id"])
            into = None
        else:
            into = self._check_id(read["into_id"], f"{name}.into_id")
        stamp = persist.text(read["at"], f"{name}.at")
        try:
            at = pd.Timestamp(stamp)
        except (ValueError, TypeError, OverflowError) as error:
            msg = f"saved field {name + '.at'!r} must be an ISO time (got {stamp[:60]!r})."
            raise DataContractError(msg, column=f"{name}.at", value=stamp[:60]) from error
        if pd.isna(at):
            persist.fail(f"{name}.at", "an ISO time", stamp)
        raw = read["record_id"]
        record = None if raw is None else _saved_record_id(raw, f"{name}.record_id")
        return IdentityEvent(cast("Any", kind), ids, into, at, record)

    def save(self, path: str | Path) -> None:
        """Write the state as JSON (gzip-compressed if the name ends in ``.gz``).

        The file is written whole to a temporary file beside it and then
        renamed over the target, so a crash never leaves half a file, and an
        earlier save that still held erased records is replaced, not patched.
        It holds the fitted matcher, the known records and the events; see
        :meth:`to_dict`.

        Parameters
        ----------
        path
            The file to write; a name ending in ``.gz`` is gzip-compressed.

        Raises
        ------
        StorageError
            If the file cannot be written (nothing is changed then).
        """
        target = Path(path)
        text = json.dumps(self.to_dict(), allow_nan=False)
        payload = text.encode("utf-8")
        if target.suffix == ".gz":
            payload = gzip.compress(payload, mtime=0)
        partial = target.with_name(target.name + ".partial")
        try:
            with partial.open("wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            partial.replace(target)
        except OSError as error:
            partial.unlink(missing_ok=True)
            msg = f"could not write the resolver to {str(target)!r}: {error}"
            raise StorageError(msg, path=str(target)) from error

    @classmethod
    def load(cls, path: str | Path) -> IdentityResolver:
        """Read a resolver written by :meth:`save` (see :meth:`from_dict` for the checks).

        Parameters
        ----------
        path
            The file :meth:`save` wrote (gzip when the name ends in ``.gz``).

        Returns
        -------
        IdentityResolver
            The resolver, resolving as the saved one did.

        Raises
        ------
        StorageError
            If the file cannot be read, is not gzip (for ``.gz``) or is
            truncated, or is not JSON.
        DataContractError
            If it is JSON but not a valid saved resolver, naming the field.
        """
        source = Path(path)
        try:
            raw = source.read_bytes()
            if source.suffix == ".gz":
                raw = gzip.decompress(raw)
            data = json.loads(raw.decode("utf-8"))
        except (OSError, EOFError, zlib.error, ValueError, RecursionError) as error:
            msg = f"could not read a resolver from {str(source)!r}: {type(error).__name__}: {error}"
            raise StorageError(msg, path=str(source)) from error
        return cls.from_dict(data)


def _record_id(value: object) -> RecordId:
    """Return a record id as kept: integers (NumPy's too) as ``int``, anything else as text."""
    if isinstance(value, bool):  # an Integral to Python, never an id
        return str(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    return str(value)


def _saved_record_id(value: object, name: str) -> RecordId:
    """Read a saved record id: text or an integer (``true`` is neither)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return persist.text(value, name)


def _id_index(ids: list[RecordId]) -> pd.Index:
    """Record ids as an index: ``int64`` if all are integers, ``string`` if all are text."""
    if ids and all(isinstance(r, int) for r in ids):
        return pd.Index(ids, name="record_id")
    if all(isinstance(r, str) for r in ids):
        return pd.Index(ids, name="record_id", dtype="string")
    return pd.Index(ids, name="record_id", dtype=object)


def _moment(at: pd.Timestamp | None) -> pd.Timestamp:
    """Return the time of a change: ``at``, or now in UTC (a missing time is refused)."""
    if at is None:
        return pd.Timestamp.now(tz="UTC")
    try:
        when: object = pd.Timestamp(at)
    except (ValueError, TypeError, OverflowError) as error:
        msg = f"'at' must be a time (got {at!r})."
        raise DataContractError(msg, column="at", value=at) from error
    if not isinstance(when, pd.Timestamp):  # NaT is no Timestamp
        msg = f"'at' must be a time (got {at!r})."
        raise DataContractError(msg, column="at", value=at)
    return when
