"""The interaction log: an append-only, idempotent, consent-checked history of every customer.

Appends are batches, stored whole or not at all. Re-sending an event id
stores it once, so a client may retry freely. Bad events are never dropped
silently: either the batch is refused with every problem listed, or the good
events are stored and the bad ones kept in a quarantine, with their reasons,
to be inspected and replayed. Outbound marketing needs the customer's
consent, checked against the log itself, inside the same transaction.

There is no update: a correction is a new event. The one deletion is the
right to erasure (:meth:`InteractionLog.forget`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

import attrs
import numpy as np
import pandas as pd

from .._validation import require_one_of
from ..errors import ConsentError, DataContractError, InvalidBatchError
from ._consent import Consent
from ._database import Database, now_us
from ._interaction import CHANNELS, KINDS, Interaction, as_utc, name

__all__ = ["AppendResult", "Erasure", "InteractionLog"]

OnInvalid = Literal["reject", "quarantine"]
_CONSENT_KINDS = ("consent_granted", "consent_denied", "consent_withdrawn")
_COLUMNS = (
    "event_id",
    "customer_id",
    "occurred_at",
    "channel",
    "kind",
    "direction",
    "value",
    "cost",
    "offer_id",
    "propensity",
    "payload",
)
_SELECT = "SELECT seq, " + ", ".join(_COLUMNS) + ", recorded_at FROM events"
_CHUNK = 500  # ids per IN (...) query, under SQLite's variable limit


@attrs.frozen
class AppendResult:
    """What one append did.

    Attributes
    ----------
    stored
        New events written.
    duplicates
        Events whose id was already in the log (or earlier in the batch): kept once.
    quarantined
        Bad events kept in the quarantine (``on_invalid="quarantine"`` only).
    event_ids
        Ids of every valid event in the batch, in order (stored or duplicate).
    """

    stored: int
    duplicates: int
    quarantined: int
    event_ids: tuple[str, ...] = attrs.field(repr=False)


@attrs.frozen
class Erasure:
    """The receipt of a right-to-erasure request.

    Attributes
    ----------
    events
        Events whose personal data were removed.
    quarantined
        Quarantined events of the customer deleted.
    erased_at
        When.
    tombstone
        A keyed hash of the customer id kept as proof that the erasure happened
        (it cannot be turned back into the id).
    """

    events: int
    quarantined: int
    erased_at: dt.datetime
    tombstone: str


def _to_time(values: Sequence[int]) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(values, dtype="datetime64[us]")).tz_localize("UTC")


def _us(moment: dt.datetime) -> int:
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class InteractionLog:
    """An append-only interaction history on SQLite (a file, or memory).

    Parameters
    ----------
    path
        The database file (created if absent, with write-ahead logging), or
        ``None`` / ``":memory:"`` for a log that lives as long as the object.
    extra_channels, extra_kinds
        Names accepted besides :data:`CHANNELS` and :data:`KINDS`.
    marketing_kinds
        Outbound kinds that are marketing contacts and need ``"marketing"``
        consent on their channel.
    require_consent
        Check consent on outbound marketing at append (on by default).

    Examples
    --------
    >>> import datetime as dt
    >>> log = InteractionLog()
    >>> at = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)
    >>> log.append([Interaction(customer_id="c1", occurred_at=at, channel="web",
    ...                         kind="purchase", value=30.0, event_id="e1")]).stored
    1
    >>> log.append([Interaction(customer_id="c1", occurred_at=at, channel="web",
    ...                         kind="purchase", value=30.0, event_id="e1")]).duplicates
    1
    >>> len(log)
    1
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        extra_channels: Iterable[str] = (),
        extra_kinds: Iterable[str] = (),
        marketing_kinds: Iterable[str] = ("offer_made", "message"),
        require_consent: bool = True,
    ) -> None:
        self.channels = CHANNELS | {name("extra_channels", c) for c in extra_channels}
        self.kinds = KINDS | {name("extra_kinds", k) for k in extra_kinds}
        self.marketing_kinds = frozenset(marketing_kinds)
        self.require_consent = require_consent
        self._db = Database(path)
        self._subscribers: list[Callable[[Sequence[Interaction]], None]] = []
        self._forget_subscribers: list[Callable[[Sequence[str]], None]] = []
        salt = self._db.meta("salt")
        self._salt = salt if salt is not None else secrets.token_hex(16)

    @classmethod
    def open(cls, path: str | Path | None = None, **options: Any) -> Self:
        """Open (or create) a log; use it as a context manager to close it."""
        return cls(path, **options)

    def __enter__(self) -> Self:
        """Return the log itself."""
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the database."""
        self.close()

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    @property
    def consent(self) -> Consent:
        """Record and query consent decisions (kept as events in this log)."""
        return Consent(self)

    @property
    def path(self) -> Path | None:
        """The database file, or ``None`` in memory."""
        return self._db.path

    def __len__(self) -> int:
        """Return the number of stored events."""
        row = self._db.connection.execute("SELECT count(*) FROM events").fetchone()
        return int(row[0])

    # ------------------------------------------------------------------ writing
    def _check(self, item: object) -> Interaction:
        event = item if isinstance(item, Interaction) else None
        if event is None:
            if not isinstance(item, Mapping):
                msg = f"an event must be an Interaction or a mapping; got {type(item).__name__}."
                raise DataContractError(msg, value=type(item).__name__)
            event = Interaction.from_dict(item)
        if event.channel not in self.channels:
            msg = (
                f"unknown channel {event.channel!r}; known: {sorted(self.channels)} "
                "(open the log with extra_channels=... to add one)."
            )
            raise DataContractError(msg, column="channel", value=event.channel)
        if event.kind not in self.kinds:
            msg = (
                f"unknown kind {event.kind!r}; known: {sorted(self.kinds)} "
                "(open the log with extra_kinds=... to add one)."
            )
            raise DataContractError(msg, column="kind", value=event.kind)
        if event.kind in _CONSENT_KINDS:
            purpose = event.payload.get("purpose")
            if not isinstance(purpose, str) or not purpose:
                msg = f"a {event.kind} event needs payload['purpose'] (e.g. 'marketing')."
                raise DataContractError(msg, column="payload", value=purpose)
        return event

    def append(
        self,
        events: Interaction | Mapping[Any, Any] | Iterable[Interaction | Mapping[Any, Any]],
        *,
        on_invalid: OnInvalid = "reject",
    ) -> AppendResult:
        """Store a batch of events atomically; re-sent event ids are stored once.

        Parameters
        ----------
        events
            One event or many: :class:`Interaction` objects or mappings with
            its fields.
        on_invalid
            ``"reject"``: any bad event refuses the whole batch with
            :class:`~one2one.errors.InvalidBatchError` listing every problem.
            ``"quarantine"``: store the good events and keep the bad ones, with
            their reasons, in :meth:`quarantine`.

        Raises
        ------
        InvalidBatchError
            Bad events with ``on_invalid="reject"`` (nothing stored).
        ConsentError
            An outbound marketing contact without consent (nothing stored).
        """
        require_one_of(on_invalid, ("reject", "quarantine"), name="on_invalid")
        items: list[object] = (
            [events] if isinstance(events, Interaction | Mapping) else list(events)
        )
        good: list[Interaction] = []
        bad: list[tuple[int, object, str]] = []
        for position, item in enumerate(items):
            try:
                good.append(self._check(item))
            except DataContractError as error:
                bad.append((position, item, str(error)))
        if bad and on_invalid == "reject":
            problems = [(p, _event_id_of(item), reason) for p, item, reason in bad]
            listing = "; ".join(f"#{p}: {reason}" for p, _, reason in problems[:5])
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""  # noqa: PLR2004
            msg = (
                f"{len(problems)} of {len(items)} events are invalid, none was stored: "
                f"{listing}{more}"
            )
            raise InvalidBatchError(msg, problems=problems)
        recorded = now_us()
        rows = [(*_row(event), recorded) for event in good]
        fresh: list[Interaction] = []
        with self._db.write() as connection:
            if self.require_consent:
                self._check_consent(good)
            if self._subscribers:
                fresh = self._fresh(good)
            before = connection.total_changes
            connection.executemany(
                "INSERT INTO events (" + ", ".join(_COLUMNS) + ", recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
                rows,
            )
            stored = connection.total_changes - before
            if bad:
                received = now_us()
                connection.executemany(
                    "INSERT INTO quarantine (received_at, event, reasons, customer_id) "
                    "VALUES (?, ?, ?, ?)",
                    [
                        (received, _quarantine_text(item), json.dumps([reason]), _customer_of(item))
                        for _, item, reason in bad
                    ],
                )
        for subscriber in self._subscribers:
            subscriber(fresh)
        return AppendResult(
            stored=stored,
            duplicates=len(good) - stored,
            quarantined=len(bad),
            event_ids=tuple(event.event_id for event in good),
        )

    def _fresh(self, events: Sequence[Interaction]) -> list[Interaction]:
        """Return the events of a batch not stored yet (the first copy of each id)."""
        ids = list(dict.fromkeys(e.event_id for e in events))
        known: set[str] = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = self._db.connection.execute(
                f"SELECT event_id FROM events WHERE event_id IN ({marks})", chunk
            ).fetchall()
            known.update(str(r[0]) for r in rows)
        fresh = []
        for event in events:
            if event.event_id not in known:
                known.add(event.event_id)
                fresh.append(event)
        return fresh

    def subscribe(
        self,
        on_append: Callable[[Sequence[Interaction]], None],
        on_forget: Callable[[Sequence[str]], None] | None = None,
    ) -> None:
        """Call ``on_append(events)`` with every newly stored batch, after it is committed.

        ``on_forget(customer_ids)`` is called after an erasure, so derived
        data (profiles, bandit state) can drop the customer too. Subscribers
        live as long as this log object.
        """
        self._subscribers.append(on_append)
        if on_forget is not None:
            self._forget_subscribers.append(on_forget)

    def _check_consent(self, events: Sequence[Interaction]) -> None:
        """Refuse the batch if an outbound marketing contact lacks consent at its time."""
        pending: dict[str, list[Interaction]] = {}
        for event in events:
            pending.setdefault(event.customer_id, []).append(event)
        for event in events:
            if event.direction != "outbound" or event.kind not in self.marketing_kinds:
                continue
            earlier = [e for e in pending[event.customer_id] if e.kind in _CONSENT_KINDS]
            if not self._allows(
                event.customer_id, "marketing", event.channel, event.occurred_at, earlier
            ):
                msg = (
                    f"customer {event.customer_id!r} has not consented to marketing by "
                    f"{event.channel} at {event.occurred_at.isoformat()} (event "
                    f"{event.event_id}); nothing in this batch was stored. Record a "
                    "consent_granted event first, or check log.consent.allows(...)."
                )
                raise ConsentError(
                    msg, customer_id=event.customer_id, purpose="marketing", channel=event.channel
                )

    # -------------------------------------------------------------- identities
    def _group(self, customer_id: str) -> list[str]:
        """Return the customer's canonical id and every id merged into it."""
        connection = self._db.connection
        rows = connection.execute(
            "SELECT from_id, into_id FROM aliases WHERE from_id = ?1 OR into_id = ?1",
            (customer_id,),
        ).fetchall()
        if not rows:  # the usual case: one query, no merges
            return [customer_id]
        root = next((str(into) for source, into in rows if source == customer_id), customer_id)
        if root != customer_id:
            rows = connection.execute(
                "SELECT from_id, into_id FROM aliases WHERE into_id = ?", (root,)
            ).fetchall()
        return [root, *(str(source) for source, _ in rows)]

    def canonical_id(self, customer_id: str) -> str:
        """Return the id a customer's history is kept under after merges."""
        return self._group(customer_id)[0]

    def merge(
        self, from_ids: Iterable[str], into_id: str, *, at: dt.datetime | None = None
    ) -> None:
        """Record that ``from_ids`` are the same customer as ``into_id`` (history follows).

        Chains are flattened: merging ``b`` into ``c`` after ``a`` into ``b``
        moves ``a`` to ``c`` too. Stored events keep their original id, so the
        merge is itself an auditable fact.
        """
        when = _us(as_utc("at", at)) if at is not None else now_us()
        into = self.canonical_id(into_id)
        if isinstance(from_ids, str):
            from_ids = [from_ids]
        with self._db.write() as connection:
            for source in from_ids:
                root = self.canonical_id(source)
                if root == into:
                    continue
                connection.execute("UPDATE aliases SET into_id = ? WHERE into_id = ?", (into, root))
                connection.execute(
                    "INSERT OR REPLACE INTO aliases VALUES (?, ?, ?)", (root, into, when)
                )

    def apply_identity_events(self, events: Iterable[object]) -> int:
        """Follow merges published by ``one2one.identify`` (``IdentityEvent`` objects).

        Any object with ``kind == "merge"``, ``from_ids``, ``into_id`` and ``at``
        is applied; splits are skipped (which events belong to which part is
        not known from the event alone). Returns the number of merges applied.
        """
        applied = 0
        for event in events:
            if getattr(event, "kind", None) != "merge":
                continue
            at = getattr(event, "at", None)
            self.merge(event.from_ids, event.into_id, at=at)  # type: ignore[attr-defined]
            applied += 1
        return applied

    # ------------------------------------------------------------------ reading
    def _frame(
        self, rows: list[tuple[Any, ...]], *, canonical: bool = True, root: str | None = None
    ) -> pd.DataFrame:
        names = ["seq", *_COLUMNS, "recorded_at"]
        columns: list[Any] = list(zip(*rows, strict=True)) if rows else [()] * len(names)
        data: dict[str, Any] = dict(zip(names, columns, strict=True))
        for column in ("occurred_at", "recorded_at"):
            data[column] = _to_time(data[column])
        data["payload"] = [json.loads(p) if isinstance(p, str) else None for p in data["payload"]]
        for column in ("value", "cost", "propensity"):
            data[column] = np.array([np.nan if v is None else v for v in data[column]], dtype=float)
        if root is not None:
            data["customer_id"] = [root] * len(rows)
        frame = pd.DataFrame(data, columns=names)
        if canonical and root is None and not frame.empty:
            aliases = self._aliases()
            if aliases:
                frame["customer_id"] = frame["customer_id"].map(lambda c: aliases.get(c, c))
        return frame.set_index("seq")

    def history(
        self,
        customer_id: str,
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        channels: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """One customer's events in time order (merged ids included), optionally filtered.

        ``start`` is inclusive, ``end`` exclusive. Columns are the
        :class:`Interaction` fields plus ``recorded_at``; ``customer_id`` is
        the canonical id.
        """
        ids = self._group(str(customer_id))
        sql, params = self._where(ids, start, end, channels, kinds)
        rows = self._db.connection.execute(
            f"{_SELECT}{sql} ORDER BY occurred_at, seq", params
        ).fetchall()
        return self._frame(rows, root=ids[0])

    def count(
        self,
        customer_id: str | None = None,
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        channels: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
    ) -> int:
        """Count events, for one customer or all, with the filters of :meth:`history`."""
        ids = None if customer_id is None else self._group(str(customer_id))
        sql, params = self._where(ids, start, end, channels, kinds)
        row = self._db.connection.execute(f"SELECT count(*) FROM events{sql}", params).fetchone()
        return int(row[0])

    def _where(
        self,
        ids: list[str] | None,
        start: dt.datetime | None,
        end: dt.datetime | None,
        channels: Iterable[str] | None,
        kinds: Iterable[str] | None,
    ) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if ids is not None:
            clauses.append(f"customer_id IN ({', '.join('?' * len(ids))})")
            params += ids
        if start is not None:
            clauses.append("occurred_at >= ?")
            params.append(_us(as_utc("start", start)))
        if end is not None:
            clauses.append("occurred_at < ?")
            params.append(_us(as_utc("end", end)))
        for column, values in (("channel", channels), ("kind", kinds)):
            if values is not None:
                chosen = [str(v) for v in ([values] if isinstance(values, str) else values)]
                clauses.append(f"{column} IN ({', '.join('?' * len(chosen))})")
                params += chosen
        return ("" if not clauses else " WHERE " + " AND ".join(clauses)), params

    def replay(self, *, batch_size: int = 10_000) -> Iterator[Interaction]:
        """Every stored event in append order, streamed (memory stays flat)."""
        last = 0
        connection = self._db.connection
        while True:
            rows = connection.execute(
                f"{_SELECT} WHERE seq > ? ORDER BY seq LIMIT ?", (last, batch_size)
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _event(row)
            last = int(rows[-1][0])

    def _replay_batches(
        self, *, batch_size: int = 50_000
    ) -> Iterator[list[tuple[int, str, int, str, str, str, float | None, str | None]]]:
        """Yield stored rows in append order, in batches, as stored (payload as JSON text)."""
        last = 0
        connection = self._db.connection
        while True:
            rows = connection.execute(
                "SELECT seq, customer_id, occurred_at, channel, kind, direction, value, payload "
                "FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                (last, batch_size),
            ).fetchall()
            if not rows:
                return
            yield rows
            last = int(rows[-1][0])

    def _aliases(self) -> dict[str, str]:
        """Every merged id and the id it was merged into (merges are flat)."""
        return dict(self._db.connection.execute("SELECT from_id, into_id FROM aliases").fetchall())

    def to_pandas(self, **filters: Any) -> pd.DataFrame:
        """Return all events (or those matching the filters of :meth:`count`), in append order."""
        sql, params = self._where(
            None,
            filters.get("start"),
            filters.get("end"),
            filters.get("channels"),
            filters.get("kinds"),
        )
        rows = self._db.connection.execute(f"{_SELECT}{sql} ORDER BY seq", params).fetchall()
        return self._frame(rows)

    def transactions(self, kinds: Iterable[str] = ("purchase", "return")) -> pd.DataFrame:
        """Return money events as ``customer_id``, ``occurred_at`` (UTC), ``value``.

        This is the transaction log ``one2one.clv.rfm_summary`` takes; ids are canonical.
        """
        frame = self.to_pandas(kinds=list(kinds))
        frame = frame[frame["value"].notna()]
        return frame[["customer_id", "occurred_at", "value"]].reset_index(drop=True)

    def cost_to_serve(self) -> pd.Series:
        """Total ``cost`` per customer (canonical ids), for below-zero tiers."""
        rows = self._db.connection.execute(
            "SELECT customer_id, sum(cost) FROM events WHERE cost IS NOT NULL GROUP BY customer_id"
        ).fetchall()
        series = pd.Series(dict(rows), dtype=float, name="cost_to_serve")
        aliases = self._aliases()
        if aliases and not series.empty:
            series = series.groupby(series.index.map(lambda c: aliases.get(c, c))).sum()
        series.index.name = "customer_id"
        return series.rename("cost_to_serve")

    # ------------------------------------------------------------------ consent
    def _allows(
        self,
        customer_id: str,
        purpose: str,
        channel: str | None,
        at: dt.datetime,
        pending: Sequence[Interaction] = (),
        *,
        ids: Sequence[str] | None = None,
    ) -> bool:
        """Apply the most recent consent decision covering ``purpose`` and ``channel`` at ``at``."""
        ids = list(ids) if ids is not None else self._group(customer_id)
        marks = ", ".join("?" * len(ids))
        rows = self._db.connection.execute(
            f"SELECT kind, payload, occurred_at, seq FROM events WHERE customer_id IN ({marks}) "
            "AND kind IN ('consent_granted', 'consent_denied', 'consent_withdrawn') "
            "AND occurred_at <= ? ORDER BY occurred_at, seq",
            [*ids, _us(at)],
        ).fetchall()
        decisions = [(int(r[2]), str(r[0]), json.loads(r[1]) if r[1] else {}) for r in rows]
        decisions += [
            (_us(e.occurred_at), e.kind, dict(e.payload)) for e in pending if e.occurred_at <= at
        ]
        return _decide(decisions, purpose, channel, _us(at))

    def _policy_rows(
        self,
        customer_id: str,
        at: dt.datetime,
        span: tuple[dt.datetime, dt.datetime],
        kinds: Sequence[str],
    ) -> tuple[list[tuple[int, str, dict[str, Any]]], list[tuple[int, str, str, str]]]:
        """Fetch, in one query, consent decisions up to ``at`` and the events a policy reads.

        The customer's merged ids are resolved inside the query (merges are flat,
        one level), so a policy check costs a single round trip; ``CROSS JOIN``
        fixes the plan to: ids first, then each id's consent and windowed events by index.
        """
        kind_marks = ", ".join("?" * len(kinds))
        rows = self._db.connection.execute(
            "WITH root(id) AS (SELECT coalesce("
            "(SELECT into_id FROM aliases WHERE from_id = ?1), ?1)), "
            "ids(id) AS (SELECT id FROM root UNION ALL "
            "SELECT from_id FROM aliases WHERE into_id = (SELECT id FROM root)) "
            "SELECT occurred_at, kind, direction, channel, payload FROM ids CROSS JOIN events "
            "WHERE events.customer_id = ids.id AND ("
            "(kind IN ('consent_granted', 'consent_denied', 'consent_withdrawn') "
            "AND occurred_at <= ?2) "
            f"OR (occurred_at >= ?3 AND occurred_at < ?4 AND kind IN ({kind_marks}))"
            ") ORDER BY occurred_at, seq",
            [customer_id, _us(at), _us(span[0]), _us(span[1]), *kinds],
        ).fetchall()
        consent = []
        events = []
        limit = _us(at)
        for micros, kind, direction, where, payload in rows:
            if kind in _CONSENT_KINDS:
                if micros <= limit:
                    consent.append((int(micros), str(kind), json.loads(payload) if payload else {}))
                continue
            events.append((int(micros), str(kind), str(direction), str(where)))
        return consent, events

    # -------------------------------------------------------------- quarantine
    def quarantine(self, *, include_replayed: bool = False) -> pd.DataFrame:
        """Events refused by ``on_invalid="quarantine"`` appends, with their reasons."""
        sql = "" if include_replayed else " WHERE replayed_at IS NULL"
        rows = self._db.connection.execute(
            "SELECT seq, received_at, event, reasons, replayed_at FROM quarantine"
            f"{sql} ORDER BY seq"
        ).fetchall()
        frame = pd.DataFrame(
            rows, columns=["quarantine_id", "received_at", "event", "reasons", "replayed_at"]
        )
        frame["received_at"] = _to_time(frame["received_at"].tolist())
        frame["event"] = [json.loads(e) for e in frame["event"]]
        frame["reasons"] = [json.loads(r) for r in frame["reasons"]]
        return frame.set_index("quarantine_id")

    def replay_quarantine(
        self, fix: Any = None, *, ids: Iterable[int] | None = None
    ) -> AppendResult:
        """Re-validate quarantined events, optionally repaired by ``fix``, and store the good ones.

        ``fix`` takes and returns an event as a dict.

        Events that pass are appended and marked replayed; those that still
        fail stay in quarantine with the new reason added.
        """
        waiting = self.quarantine()
        if ids is not None:
            waiting = waiting.loc[[i for i in ids if i in waiting.index]]
        good: list[Interaction] = []
        done: list[int] = []
        failed: list[tuple[int, str]] = []
        for qid, raw in zip(waiting.index.tolist(), waiting["event"], strict=True):
            candidate = fix(dict(raw)) if fix is not None and isinstance(raw, dict) else raw
            try:
                good.append(self._check(candidate))
                done.append(int(qid))
            except DataContractError as error:
                failed.append((int(qid), str(error)))
        result = self.append(good)
        with self._db.write() as connection:
            connection.executemany(
                "UPDATE quarantine SET replayed_at = ? WHERE seq = ?", [(now_us(), q) for q in done]
            )
            for qid, reason in failed:
                row = connection.execute(
                    "SELECT reasons FROM quarantine WHERE seq = ?", (qid,)
                ).fetchone()
                reasons = [*json.loads(row[0]), reason]
                connection.execute(
                    "UPDATE quarantine SET reasons = ? WHERE seq = ?", (json.dumps(reasons), qid)
                )
        return AppendResult(
            stored=result.stored,
            duplicates=result.duplicates,
            quarantined=len(failed),
            event_ids=result.event_ids,
        )

    # ------------------------------------------------------------------ erasure
    def tombstone(self, customer_id: str) -> str:
        """Return the keyed hash under which an erasure of ``customer_id`` is recorded."""
        return hashlib.sha256(f"{self._salt}:{customer_id}".encode()).hexdigest()

    def was_forgotten(self, customer_id: str) -> bool:
        """Whether ``customer_id`` was erased (answerable only by someone who knows the id)."""
        row = self._db.connection.execute(
            "SELECT 1 FROM erasures WHERE customer_hash = ?", (self.tombstone(customer_id),)
        ).fetchone()
        return row is not None

    def forget(self, customer_id: str, *, at: dt.datetime | None = None) -> Erasure:
        """Erase a customer's personal data (right to erasure), keeping an audit tombstone.

        Every event of the customer (and of ids merged into them) is re-keyed
        to a random anonymous id that nothing links back to the customer, and
        its payload and offer id are removed, so revenue and cost totals stay
        right while nothing personal can be read back. Their quarantined events
        and merge records are deleted. The erasure is logged as an ``erasure``
        event under the anonymous id, and a keyed hash of the customer id is
        kept so a later audit can confirm the request was honoured.
        """
        ids = self._group(str(customer_id))
        when = as_utc("at", at) if at is not None else dt.datetime.now(dt.UTC)
        anonymous = "erased:" + secrets.token_hex(12)
        marks = ", ".join("?" * len(ids))
        with self._db.write() as connection:
            changed = connection.execute(
                f"UPDATE events SET customer_id = ?, payload = NULL, offer_id = NULL "
                f"WHERE customer_id IN ({marks})",
                [anonymous, *ids],
            ).rowcount
            dropped = connection.execute(
                f"DELETE FROM quarantine WHERE customer_id IN ({marks})", ids
            ).rowcount
            connection.execute(
                f"DELETE FROM aliases WHERE from_id IN ({marks}) OR into_id IN ({marks})",
                [*ids, *ids],
            )
            connection.executemany(
                "INSERT INTO erasures VALUES (?, ?, ?)",
                [(self.tombstone(i), _us(when), changed) for i in ids],
            )
            erasure = Interaction(
                customer_id=anonymous,
                occurred_at=when,
                channel="system",
                kind="erasure",
                direction="outbound",
            )
            connection.execute(
                "INSERT INTO events ("
                + ", ".join(_COLUMNS)
                + ", recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*_row(erasure), now_us()),
            )
        for subscriber in self._forget_subscribers:
            subscriber(ids)
        return Erasure(
            events=changed, quarantined=dropped, erased_at=when, tombstone=self.tombstone(ids[0])
        )


def _decide(
    decisions: list[tuple[int, str, dict[str, Any]]], purpose: str, channel: str | None, moment: int
) -> bool:
    """Apply the latest decision (by time, then log order) covering purpose and channel."""
    decisions.sort(key=lambda d: d[0])  # stable: log order, then a batch's order
    allowed = False
    for _, kind, payload in decisions:
        if payload.get("purpose") != purpose:
            continue
        scope = payload.get("channel")
        if scope is not None and channel is not None and scope != channel:
            continue
        expires = payload.get("expires_at")
        live = expires is None or _us(as_utc("expires_at", expires)) > moment
        allowed = kind == "consent_granted" and live
    return allowed


def _row(event: Interaction) -> tuple[object, ...]:
    payload = json.dumps(dict(event.payload), sort_keys=True) if event.payload else None
    return (
        event.event_id,
        event.customer_id,
        _us(event.occurred_at),
        event.channel,
        event.kind,
        event.direction,
        event.value,
        event.cost,
        event.offer_id,
        event.propensity,
        payload,
    )


def _event(row: Sequence[Any]) -> Interaction:
    payload = json.loads(row[11]) if row[11] else {}
    return Interaction(
        event_id=row[1],
        customer_id=row[2],
        occurred_at=dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(row[3])),
        channel=row[4],
        kind=row[5],
        direction=row[6],
        value=row[7],
        cost=row[8],
        offer_id=row[9],
        propensity=row[10],
        payload=payload,
    )


def _event_id_of(item: object) -> str | None:
    if isinstance(item, Interaction):
        return item.event_id
    if isinstance(item, Mapping):
        value = item.get("event_id")
        return value if isinstance(value, str) else None
    return None


def _customer_of(item: object) -> str | None:
    if isinstance(item, Interaction):
        return item.customer_id
    if isinstance(item, Mapping):
        value = item.get("customer_id")
        return None if value is None else str(value)
    return None


def _quarantine_text(item: object) -> str:
    """Keep a bad event as JSON, whatever it holds (non-JSON values become their repr)."""
    if isinstance(item, Interaction):
        data = item.to_dict()
    elif isinstance(item, Mapping):
        data = {str(k): v for k, v in item.items()}
    else:
        data = {"value": repr(item)}
    return json.dumps(data, default=repr, allow_nan=True)
