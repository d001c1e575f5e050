"""The identity resolver: known customers, a new record resolved in milliseconds, stable ids.

The batch pipeline answers "who is who" once; the resolver keeps the answer.
It holds every known record with its ``customer_id``, indexes them by the
matcher's blocking keys, and resolves a new record (a web sign-up, a call)
by comparing it with the few known records that share a key. Ids never
change silently: when a new record proves two customers are one, the merge
is recorded as an event, so the interaction history of the absorbed id can
follow it; removing a record may split a customer, which is recorded too.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._validation import require_frame, require_number
from ..errors import DataContractError, StorageError
from ._blocking import BlockingRule, SortedNeighbourhood
from ._cluster import cluster_positions
from ._explain import MatchExplanation
from ._matcher import RecordMatcher

__all__ = ["IdentityEvent", "IdentityResolver", "Resolution"]

_FORMAT = "one2one.IdentityResolver"
_VERSION = 1


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
        The best-matching known record id, if any.
    explanation
        Field-by-field evidence against ``matched_record`` (``None`` if none).
    """

    customer_id: str | None
    probability: float
    is_new: bool
    matched_record: str | None = None
    explanation: MatchExplanation | None = None


@attrs.frozen
class IdentityEvent:
    """A change of identity other rooms must follow (e.g. re-key an interaction log).

    ``kind`` is ``"merge"`` (customers ``from_ids`` became ``into_id``) or
    ``"split"`` (records of ``from_ids[0]`` now form the new ``into_id``).
    """

    kind: Literal["merge", "split"]
    from_ids: tuple[str, ...]
    into_id: str
    at: pd.Timestamp
    record_id: str | None = None


class IdentityResolver:
    """Known customers, and new records resolved against them one at a time.

    Build one with :meth:`from_records` (fits a :class:`RecordMatcher` and
    clusters the records), then :meth:`resolve` records as they arrive,
    :meth:`add` them to the known customers, :meth:`remove` a record (a
    deletion request) and :meth:`save` / :meth:`load` the whole state as JSON.

    Parameters
    ----------
    matcher
        A fitted matcher: its schema, blocking, comparisons and model are used.
    threshold
        Match probability from which a record joins a customer (the
        matcher's threshold if ``None``).
    id_prefix
        Customer ids are this prefix and a sequence number (``C0000001``).

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
    >>> resolver.n_customers
    501
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
        self._ids: list[str] = []
        self._position: dict[str, int] = {}
        self._customer: list[str | None] = []  # None once removed
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
        records: pd.DataFrame,
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
            The records, in the schema's columns.
        schema
            A :class:`RecordSchema` (ignored if ``matcher`` is given).
        matcher
            An unfitted or fitted matcher to use; a default one if ``None``.
        threshold, id_prefix
            See :class:`IdentityResolver`.
        """
        chosen = RecordMatcher(schema) if matcher is None else matcher
        labels = chosen.fit_predict(records)
        resolver = cls(chosen, threshold=threshold, id_prefix=id_prefix)
        standard = chosen.schema.standardise(records)
        # customers numbered in order of their smallest record id: the same data, the same ids
        order = pd.Index(sorted(labels.unique()))
        number = pd.Series(np.arange(1, len(order) + 1), index=order)
        ids = [resolver._format(int(k)) for k in number[labels.to_numpy()]]
        resolver._next = len(order) + 1
        resolver._load_records(standard, ids)
        return resolver

    def _format(self, number: int) -> str:
        return f"{self.id_prefix}{number:07d}"

    def _load_records(self, standard: pd.DataFrame, customer_ids: list[str]) -> None:
        """Store standardised records with their customer ids and build the indexes."""
        start = len(self._ids)
        for name in self._fields:
            if name in standard.columns:
                values = standard[name].astype(object).tolist()
                self._values[name].extend(None if v is pd.NA or v is None else v for v in values)
            else:
                self._values[name].extend([None] * len(standard))
        for offset, (record_id, customer) in enumerate(
            zip(standard.index.astype(str), customer_ids, strict=True)
        ):
            self._ids.append(record_id)
            self._position[record_id] = start + offset
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

    def customer_of(self, record_id: str) -> str:
        """Return the customer id of a known record."""
        position = self._position.get(str(record_id))
        customer = None if position is None else self._customer[position]
        if customer is None:
            msg = f"record {record_id!r} is not known to this resolver."
            raise DataContractError(msg, column="record_id", value=record_id)
        return customer

    def customers(self) -> pd.Series:
        """Return ``customer_id`` per known record id."""
        kept = [(r, c) for r, c in zip(self._ids, self._customer, strict=True) if c is not None]
        index = pd.Index([r for r, _ in kept], name="record_id", dtype="string")
        return pd.Series([c for _, c in kept], index=index, name="customer_id", dtype="string")

    def events(self) -> pd.DataFrame:
        """Return the merges and splits so far.

        Columns ``kind``, ``from_ids``, ``into_id``, ``at`` and ``record_id``
        (the record whose arrival or removal caused the event). After a split,
        :meth:`customers` tells which records moved to the new id.
        """
        return pd.DataFrame(
            [attrs.asdict(e) for e in self._events],
            columns=["kind", "from_ids", "into_id", "at", "record_id"],
        )

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
        """
        record_id = record.get(self.matcher.schema.record_id)
        if record_id is None or record_id is pd.NA or record_id != record_id:  # noqa: PLR0124 - NaN
            msg = f"the record has no {self.matcher.schema.record_id!r}; every record needs an id."
            raise DataContractError(msg, column=self.matcher.schema.record_id)
        record_id = str(record_id)
        if record_id in self._position and self._customer[self._position[record_id]] is not None:
            msg = f"record {record_id!r} is already known; ids must be unique."
            raise DataContractError(msg, column=self.matcher.schema.record_id, value=record_id)
        when = pd.Timestamp.now(tz="UTC") if at is None else pd.Timestamp(at)
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
            matched: str | None = self._ids[int(positions[int(np.argmax(probability))])]
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
        """Add several records in order; return one row per record (``customer_id``, ``is_new``)."""
        frame = require_frame(records, name="records")
        self.matcher.schema.validate(frame)
        rows = []
        for row in frame.to_dict("records"):
            record = {str(k): v for k, v in row.items()}
            resolution = self.add(record)
            rows.append(
                {
                    "record_id": str(record[self.matcher.schema.record_id]),
                    "customer_id": resolution.customer_id,
                    "is_new": resolution.is_new,
                    "probability": resolution.probability,
                }
            )
        self._rebuild_sorted()
        return pd.DataFrame(rows)

    def _append(self, record_id: str, standard: Mapping[str, str | None], customer: str) -> None:
        position = len(self._ids)
        for name in self._fields:
            self._values[name].append(standard.get(name))
        self._ids.append(record_id)
        self._position[record_id] = position
        self._customer.append(customer)
        self._members.setdefault(customer, []).append(position)
        for rule, index in zip(self._rules, self._index, strict=True):
            key = rule.key_one(standard)
            if key is not None:
                index.setdefault(key, []).append(position)

    def _merge(self, absorbed: Iterable[str], into: str, at: pd.Timestamp, record: str) -> None:
        gone = sorted(absorbed)
        for customer in gone:
            for position in self._members.pop(customer):
                self._customer[position] = into
                self._members[into].append(position)
        self._events.append(IdentityEvent("merge", tuple(gone), into, at, record))

    def remove(self, record_id: str, *, at: pd.Timestamp | None = None) -> list[IdentityEvent]:
        """Forget a record (e.g. a deletion request); its customer may split.

        The remaining records of the customer are re-clustered among
        themselves; the largest group keeps the id, every other group gets a
        new one and a ``split`` event.
        """
        customer = self.customer_of(record_id)
        when = pd.Timestamp.now(tz="UTC") if at is None else pd.Timestamp(at)
        position = self._position[str(record_id)]
        self._customer[position] = None
        members = [p for p in self._members.pop(customer) if p != position]
        if not members:
            return []
        groups = self._regroup(members)
        groups.sort(key=lambda g: (-len(g), min(self._ids[p] for p in g)))
        self._members[customer] = groups[0]
        events = []
        for group in groups[1:]:
            new = self._format(self._next)
            self._next += 1
            self._members[new] = group
            for p in group:
                self._customer[p] = new
            events.append(IdentityEvent("split", (customer,), new, when, str(record_id)))
        self._events.extend(events)
        return events

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
        ids = pd.Index([self._ids[p] for p in members], dtype="string")
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

    # -- persistence --------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Return the whole state as JSON-ready data (no pickle)."""
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "matcher": self.matcher.to_dict(),
            "threshold": self.threshold,
            "id_prefix": self.id_prefix,
            "next": self._next,
            "record_ids": self._ids,
            "customer_ids": self._customer,
            "values": self._values,
            "events": [
                {**attrs.asdict(e), "at": e.at.isoformat(), "from_ids": list(e.from_ids)}
                for e in self._events
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IdentityResolver:
        """Rebuild a resolver written by :meth:`to_dict`."""
        if data.get("format") != _FORMAT or data.get("version") != _VERSION:
            msg = f"not a saved IdentityResolver (format {data.get('format')!r})."
            raise DataContractError(msg, column="format", value=data.get("format"))
        matcher = RecordMatcher.from_dict(data["matcher"])
        resolver = cls(matcher, threshold=data["threshold"], id_prefix=data["id_prefix"])
        standard = pd.DataFrame(data["values"], dtype="string")
        standard.index = pd.Index(data["record_ids"], name="record_id")
        customers: list[str | None] = data["customer_ids"]
        resolver._load_records(standard, [c or "" for c in customers])
        for position, customer in enumerate(customers):
            if customer is None:  # removed records stay, unindexed by customer
                resolver._customer[position] = None
        resolver._members = {c: ps for c, ps in resolver._members.items() if c}
        resolver._next = int(data["next"])
        resolver._events = [
            IdentityEvent(
                e["kind"], tuple(e["from_ids"]), e["into_id"], pd.Timestamp(e["at"]), e["record_id"]
            )
            for e in data["events"]
        ]
        return resolver

    def save(self, path: str | Path) -> None:
        """Write the state as JSON (gzip-compressed if the name ends in ``.gz``)."""
        target = Path(path)
        text = json.dumps(self.to_dict())
        try:
            if target.suffix == ".gz":
                with gzip.open(target, "wt", encoding="utf-8") as handle:
                    handle.write(text)
            else:
                target.write_text(text, encoding="utf-8")
        except OSError as error:
            msg = f"could not write the resolver to {str(target)!r}: {error}"
            raise StorageError(msg, path=str(target)) from error

    @classmethod
    def load(cls, path: str | Path) -> IdentityResolver:
        """Read a resolver written by :meth:`save`."""
        source = Path(path)
        try:
            if source.suffix == ".gz":
                with gzip.open(source, "rt", encoding="utf-8") as handle:
                    data = json.load(handle)
            else:
                data = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            msg = f"could not read a resolver from {str(source)!r}: {error}"
            raise StorageError(msg, path=str(source)) from error
        return cls.from_dict(data)
