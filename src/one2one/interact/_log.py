"""The interaction log: an append-only, idempotent, consent-checked history of every customer.

Appends are batches, stored whole or not at all. Re-sending an event id
stores it once, so a client may retry freely. Bad events are never dropped
silently: either the batch is refused with every problem listed, or the good
events are stored and the bad ones kept in a quarantine, with their reasons,
to be inspected and replayed. Outbound marketing needs the customer's
consent, checked against the log itself, inside the same transaction.

There is no update: a correction is a new event. The one deletion is the
right to erasure (:meth:`InteractionLog.forget`).

:class:`InteractionLog` is the facade: it holds the log's settings and
composes parts that each do one job, in modules of their own:

* ``_append``: atomic, idempotent batches; consent and contact policy inside the write.
* ``_vocabulary``: an event checked against the log's channels, kinds and purposes.
* ``_quarantine``: bad events kept with their reasons, replayed, erased.
* ``_reading``: histories, counts, replay and the tables other rooms take.
* ``_identity``: merged ids and their groups.
* ``_erasure``: the right to erasure and its keyed hashes.
* ``_consent`` and ``_policy``: the consent and contact-policy queries.
* ``_subscribers``: derived state told about committed changes.

The parts reach the database only through :class:`~one2one.interact._storage.Storage`,
which :class:`~one2one.interact._database.Database` implements on SQLite and
:class:`~one2one.interact._postgres.PostgresDatabase` on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import secrets
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, overload

import pandas as pd

from .._progress import Progress, check_progress, progress_bar
from .._validation import require_one_of
from ..contracts import MergeEvent
from ..errors import StorageError, StorageWarning
from . import _append, _cipher, _erasure, _identity, _quarantine, _reading, _vocabulary
from ._append import AppendResult, OnInvalid
from ._cipher import MasterKey
from ._consent import Consent
from ._database import Database, Synchronous
from ._erasure import Erasure, Keys
from ._interaction import CHANNELS, KINDS, Interaction, as_utc, name
from ._interaction import check_customer_id as _customer_id
from ._key_store import KeyStore
from ._postgres import PostgresDatabase, is_postgres_url, redact
from ._reading import StoredRow
from ._rows import now_us, us
from ._storage import Storage
from ._subscribers import Subscribers
from ._vocabulary import PURPOSES

if TYPE_CHECKING:
    from ._policy import ContactPolicy

__all__ = ["PURPOSES", "AppendResult", "Erasure", "InteractionLog"]

# Storing an event, or telling one subscriber (a profile store) about it: about 10-50 us
# each, measured; the progress bar's estimate for "auto".
_SECONDS_PER_EVENT = 3e-5


def _open_storage(target: str | Path | None, synchronous: Synchronous) -> Storage:
    """Open the backend ``target`` names: a PostgreSQL URL, else an SQLite file (or memory)."""
    if is_postgres_url(target):
        return PostgresDatabase(str(target), synchronous=synchronous)
    if isinstance(target, str) and "://" in target:
        msg = (
            f"cannot open the interaction log at {redact(target)}: a log is an SQLite file "
            "(a path, or None for memory) or a PostgreSQL database "
            "(postgresql://user@host:port/database)."
        )
        raise StorageError(msg, path=redact(target))
    return Database(target, synchronous=synchronous)


def _open_key_store(
    log: Storage,
    keys: Keys,
    target: str | Path | None,
    *,
    master_key: MasterKey,
    encrypt: bool,
    synchronous: Synchronous,
) -> KeyStore:
    """Open the customer keys: in the log's database, or in the key store ``target`` names."""
    master = _cipher.master_key(master_key)
    if target is None:
        where = str(log.path) if log.path is not None else "the log's own database"
        return KeyStore.open(log, keys, storage=None, master=master, encrypt=encrypt, where=where)
    where = redact(str(target))
    storage = _open_storage(target, synchronous)
    try:
        return KeyStore.open(
            log, keys, storage=storage, master=master, encrypt=encrypt, where=where
        )
    except BaseException:
        storage.close()
        raise


class InteractionLog:
    """An append-only interaction history on SQLite (a file, or memory) or PostgreSQL.

    Parameters
    ----------
    path
        The SQLite database file (created if absent, with write-ahead
        logging), ``None`` / ``":memory:"`` for a log that lives as long as
        the object, or a ``postgresql://`` URL for a log on a server that
        many workers on many hosts share (the ``postgres`` extra; the log
        lives in the URL's schema, ``?options=-csearch_path%3Dname``,
        created if absent). Both behave the same.
    extra_channels, extra_kinds
        Names accepted besides :data:`CHANNELS` and :data:`KINDS`.
    extra_purposes
        Consent purposes accepted besides :data:`PURPOSES`.
    marketing_kinds
        Outbound kinds that are marketing contacts and need ``"marketing"``
        consent on their channel.
    require_consent
        Check consent on outbound marketing at append (on by default).
    synchronous
        ``"normal"`` (default): a committed batch survives any crash of the
        process, but a power cut may lose the last commits before it (never
        half of one). ``"full"``: every commit is on disk when ``append``
        returns, at the cost of a flush per commit.
    key_store
        Where the customer keys live (see Notes): ``None`` (default), in the
        log's own database; or an SQLite path or a ``postgresql://`` URL of
        a database of their own, so that copies of the log's database hold
        no key.
    master_key
        32 bytes (or a function returning them, called once on opening) under
        which the customer keys are stored wrapped. ``None``: the environment
        variable ``ONE2ONE_MASTER_KEY`` (base64 of 32 bytes) when set, else
        the keys are stored as they are.
    encrypt
        Seal new payloads under their customer's key (on by default). Off,
        new payloads are stored in plaintext and :meth:`forget` cannot reach
        copies of them outside the log; sealed payloads still read.

    Raises
    ------
    DataContractError
        If an extra name is not a lower-case name (letters, digits,
        underscores), ``synchronous`` is neither ``"normal"`` nor ``"full"``,
        or the master key is not 32 bytes.
    DecryptionError
        If the master key is not the one the customer keys are wrapped under
        (or none is given and they are wrapped, or one is given and they are
        not: :meth:`rotate_master_key` wraps them).
    StorageError
        If the database (or the key store) cannot be opened or created, or
        the log's keys live in another key store than ``key_store``.

    Notes
    -----
    *Crypto-shredding.* Each event's payload is stored encrypted (AES-256-GCM)
    under a key of its customer id, bound to its row; :meth:`forget` destroys
    the keys of every id of the customer, so every copy of their payloads
    (in PostgreSQL's write-ahead log and replicas, in backups, in copies of
    an SQLite file) becomes unreadable. That reaches copies only if they do
    not hold the keys too: keep the key store (``key_store=``) out of the
    log's backups, or back it up with a retention shorter than the time you
    have to honour an erasure. A payload whose key is gone reads as ``None``
    (``{}`` in :meth:`replay`), like an erased one. Ids, times, amounts and
    other columns are not encrypted.

    *The master key* protects the keys when the key store itself is copied:
    without one, whoever reads the key store and a copy of the log reads the
    payloads. Keep it outside both databases (a secrets manager, the
    environment); losing it loses every payload.

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
        extra_purposes: Iterable[str] = (),
        marketing_kinds: Iterable[str] = ("offer_made", "message"),
        require_consent: bool = True,
        synchronous: Synchronous = "normal",
        key_store: str | Path | None = None,
        master_key: bytes | Callable[[], bytes] | None = None,
        encrypt: bool = True,
    ) -> None:
        self.channels = CHANNELS | {name("extra_channels", c) for c in extra_channels}
        self.kinds = KINDS | {name("extra_kinds", k) for k in extra_kinds}
        self.purposes = PURPOSES | {name("extra_purposes", p) for p in extra_purposes}
        self.marketing_kinds = frozenset(marketing_kinds)
        self.require_consent = require_consent
        require_one_of(synchronous, ("normal", "full"), name="synchronous")
        self._db: Storage = _open_storage(path, synchronous)
        self._subscribers = Subscribers()
        salt = self._db.meta("salt")
        self._keys = Keys(salt if salt is not None else secrets.token_hex(16))
        try:
            self._key_store = _open_key_store(
                self._db,
                self._keys,
                key_store,
                master_key=master_key,
                encrypt=encrypt,
                synchronous=synchronous,
            )
        except BaseException:
            self._db.close()
            raise

    @classmethod
    def open(cls, path: str | Path | None = None, **options: Any) -> Self:
        """Open (or create) a log; use it as a context manager to close it.

        Parameters
        ----------
        path
            The database file, or ``None`` for a log in memory.
        **options
            The keyword arguments of :class:`InteractionLog`.

        Returns
        -------
        InteractionLog
            The open log; ``with InteractionLog.open(path) as log:`` closes it.

        Raises
        ------
        DataContractError
            If an option is invalid (see :class:`InteractionLog`).
        StorageError
            If the database cannot be opened or created.
        """
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
        """Close the database connection (and the key store's, when it has its own)."""
        self._db.close()
        self._key_store.close()

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
        return _reading.count(self._db.connection, None)

    # ------------------------------------------------------------------ writing
    def _check(self, item: object) -> Interaction:
        """Return ``item`` checked against this log's names (see :meth:`append`)."""
        return _vocabulary.check(self, item)

    def purpose_name(self, value: object, *, kind: str = "consent") -> str:
        """Return a consent purpose in canonical form (trimmed, lower case), or refuse it.

        One spelling per purpose, so ``"Marketing "`` and ``"marketing"``
        are one consent, not two.

        Parameters
        ----------
        value
            The purpose as given.
        kind
            What the purpose is for, named in the message when refused.

        Returns
        -------
        str
            The canonical purpose.

        Raises
        ------
        DataContractError
            If ``value`` is not text or not one of this log's purposes (the
            known ones are listed).
        """
        return _vocabulary.purpose_name(self, value, kind=kind)

    def channel_name(self, value: object) -> str:
        """Return a channel in canonical form (trimmed, lower case), or refuse it.

        Parameters
        ----------
        value
            The channel as given.

        Returns
        -------
        str
            The canonical channel.

        Raises
        ------
        DataContractError
            If ``value`` is not text or not one of this log's channels (the
            known ones are listed).
        """
        return _vocabulary.channel_name(self, value)

    def append(
        self,
        events: Interaction | Mapping[Any, Any] | Iterable[Interaction | Mapping[Any, Any]],
        *,
        on_invalid: OnInvalid = "reject",
        policy: ContactPolicy | None = None,
        progress: Progress = "auto",
    ) -> AppendResult:
        """Store a batch of events atomically; re-sent event ids are stored once.

        Parameters
        ----------
        events
            One event or many: :class:`Interaction` objects or mappings with
            its fields.
        on_invalid
            ``"reject"``: any bad event refuses the whole batch with
            :class:`~one2one.errors.InvalidBatchError` listing every problem,
            and an event id re-used for different content refuses it with
            :class:`~one2one.errors.EventConflictError`. ``"quarantine"``:
            store the good events and keep the bad and conflicting ones,
            with their reasons, in :meth:`quarantine`.
        policy
            A :class:`~one2one.interact.ContactPolicy` on this log to enforce
            on every outbound marketing contact in the batch, in the same
            transaction as the write: checking first and appending later
            lets two workers both hear "allowed" for the last contact a cap
            permits, while here the second waits for the first and is refused.
        progress
            ``"auto"`` (a bar over storing the batch and telling the
            subscribers, such as profiles, when that is expected to take
            more than a couple of seconds), ``True`` or ``False``.

        Returns
        -------
        AppendResult
            How many events were stored, were duplicates (exact re-sends) and
            were quarantined, and the ids of the valid ones.

        Raises
        ------
        InvalidBatchError
            Bad events with ``on_invalid="reject"`` (nothing stored).
        EventConflictError
            An event id already used for another event, with
            ``on_invalid="reject"`` (nothing stored). Exact re-sends are not
            conflicts: they are counted as duplicates.
        ConsentError
            An outbound marketing contact without consent (nothing stored).
        ContactPolicyError
            A contact the ``policy`` refuses (nothing stored).
        StorageError
            The database could not be written (nothing stored).
        DataContractError
            An unknown ``on_invalid`` or ``progress``.
        MissingDependencyError
            ``progress=True`` without tqdm (the ``progress`` extra).
        """
        require_one_of(on_invalid, ("reject", "quarantine"), name="on_invalid")
        check_progress(progress)
        size = len(events) if isinstance(events, Sized) and not isinstance(events, Mapping) else 1
        expected = size * _SECONDS_PER_EVENT * (1 + len(self._subscribers.on_append))
        with progress_bar(
            progress=progress, total=2, desc="append", expected_seconds=expected
        ) as bar:
            stored = _append.append(
                self._db,
                self,
                self._keys,
                self._key_store,
                events,
                on_invalid=on_invalid,
                policy=policy,
            )
            bar.step("stored")
            self._subscribers.appended(stored.fresh)
            bar.step("subscribers told")
        return stored.result

    def subscribe(
        self,
        on_append: Callable[[Sequence[Interaction]], None],
        on_forget: Callable[[Sequence[str]], None] | None = None,
        on_merge: Callable[[str], None] | None = None,
    ) -> None:
        """Call ``on_append(events)`` with every newly stored batch, after it is committed.

        ``on_forget(customer_ids)`` is called after an erasure, so derived
        data (profiles, bandit state) can drop the customer too;
        ``on_merge(into_id)`` after a merge, so derived data kept under the
        merged ids can be joined under ``into_id``. Subscribers live as long
        as this log object.

        Parameters
        ----------
        on_append
            Called with each newly stored batch (duplicates left out).
        on_forget
            Called with the ids erased by :meth:`forget`.
        on_merge
            Called with the surviving id after :meth:`merge`.
        """
        self._subscribers.add(on_append, on_forget, on_merge)

    # -------------------------------------------------------------- identities
    def _group(self, customer_id: str) -> list[str]:
        """Return the customer's canonical id and every id merged into it."""
        return _identity.group(self._db.connection, customer_id)

    def canonical_id(self, customer_id: str) -> str:
        """Return the id a customer's history is kept under after merges.

        Parameters
        ----------
        customer_id
            Any id the customer has had.

        Returns
        -------
        str
            The canonical id (``customer_id`` itself if never merged away).

        Raises
        ------
        DataContractError
            If ``customer_id`` is not non-empty text.
        """
        return self._group(_customer_id(customer_id))[0]

    def merge(
        self, from_ids: Iterable[str], into_id: str, *, at: dt.datetime | None = None
    ) -> None:
        """Record that ``from_ids`` are the same customer as ``into_id`` (history follows).

        Chains are flattened: merging ``b`` into ``c`` after ``a`` into ``b``
        moves ``a`` to ``c`` too. Stored events keep their original id, so the
        merge is itself an auditable fact.

        Parameters
        ----------
        from_ids
            The id or ids merged away.
        into_id
            The surviving id.
        at
            When the merge happened (timezone-aware); now by default.

        Raises
        ------
        DataContractError
            If an id is not non-empty text, or ``at`` has no time zone.
        StorageError
            If the database could not be written.
        """
        when = us(as_utc("at", at)) if at is not None else now_us()
        if isinstance(from_ids, str):
            from_ids = [from_ids]
        sources = [_customer_id(source) for source in from_ids]
        into_id = _customer_id(into_id)
        with self._db.write() as connection:
            into = _identity.merge(connection, sources, into_id, when)
        self._subscribers.merged(into)

    def apply_identity_events(self, events: pd.DataFrame | Iterable[MergeEvent]) -> int:
        """Follow the merges and erasures published by ``one2one.identify``.

        The log keeps each customer's history under one id, so when the
        resolver learns that two ids are one person (a ``merge``) the
        history must follow, and when it answers a deletion request (a
        ``forget``) the history must go too. The usual call passes the
        resolver's whole event table, as often as it grows::

            log.apply_identity_events(resolver.events())

        Parameters
        ----------
        events
            ``IdentityResolver.events()`` (the :data:`one2one.contracts.IDENTITY_EVENTS`
            frame, one event per row) or any iterable of
            :class:`one2one.contracts.MergeEvent` objects (``kind``,
            ``from_ids``, ``into_id``, ``at``), such as
            ``one2one.identify.IdentityEvent``. They are read through
            :func:`one2one.contracts.identity_changes` and applied in order.

        Returns
        -------
        int
            The number of merges and forgets followed. A ``merge`` is applied
            as :meth:`merge`, a ``forget`` erases ``from_ids`` with
            :meth:`forget`. Splits are skipped: which events belong to which
            part is not known from the event alone.

        Raises
        ------
        DataContractError
            If any event is malformed (an unknown ``kind``, a merge without
            ``into_id``, ids that are not text, a time without a zone). Every
            event is checked before the first is applied, so a bad table
            changes nothing.

        Notes
        -----
        Applying the same events again changes nothing: a merge already
        followed finds both ids under one root, and an id already forgotten
        is not erased twice. So the growing table can be passed each time.
        """
        return _identity.apply_identity_events(
            events,
            merge=lambda sources, into, at: self.merge(sources, into, at=at),
            forget=lambda customer, at: self.forget(customer, at=at),
            was_forgotten=self.was_forgotten,
        )

    # ------------------------------------------------------------------ reading
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

        Parameters
        ----------
        customer_id
            Any id the customer has had (merged ids lead to the same history).
        start, end
            Keep events that occurred at or after ``start`` and before
            ``end`` (timezone-aware).
        channels, kinds
            Keep events of these channels and kinds only.

        Returns
        -------
        pandas.DataFrame
            One row per event, oldest first.

        Raises
        ------
        DataContractError
            If ``customer_id`` is not non-empty text, or a bound has no time
            zone.
        """
        ids = self._group(_customer_id(customer_id))
        return _reading.history(
            self._db.connection,
            self._key_store,
            ids,
            start=start,
            end=end,
            channels=channels,
            kinds=kinds,
        )

    def count(
        self,
        customer_id: str | None = None,
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        channels: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
    ) -> int:
        """Count events, for one customer or all, with the filters of :meth:`history`.

        Counted in the database, without reading the events.

        Parameters
        ----------
        customer_id
            One customer (any id they have had), or ``None`` for all.
        start, end
            Keep events that occurred at or after ``start`` and before
            ``end`` (timezone-aware).
        channels, kinds
            Keep events of these channels and kinds only.

        Returns
        -------
        int
            The number of events.

        Raises
        ------
        DataContractError
            If ``customer_id`` is not non-empty text, or a bound has no time
            zone.
        """
        ids = None if customer_id is None else self._group(_customer_id(customer_id))
        return _reading.count(
            self._db.connection, ids, start=start, end=end, channels=channels, kinds=kinds
        )

    def replay(self, *, batch_size: int = 10_000) -> Iterator[Interaction]:
        """Every stored event in append order, streamed (memory stays flat).

        Replaying the log rebuilds anything derived from it (profiles, a
        bandit's state) exactly as it was learnt.

        Parameters
        ----------
        batch_size
            Events read from the database at a time.

        Yields
        ------
        Interaction
            Each stored event, under the id it was stored with.
        """
        return _reading.replay(self._db.connection, self._key_store, batch_size=batch_size)

    def _replay_batches(self, *, batch_size: int = 50_000) -> Iterator[list[StoredRow]]:
        """Yield stored rows in append order, in batches, as stored (payload as JSON text)."""
        return _reading.replay_batches(self._db.connection, self._key_store, batch_size=batch_size)

    def _rows_of(self, customer_ids: Sequence[str]) -> list[StoredRow]:
        """Return these ids' stored rows in append order, as :meth:`_replay_batches` does."""
        return _reading.rows_of(self._db.connection, self._key_store, list(customer_ids))

    def _aliases(self) -> dict[str, str]:
        """Every merged id and the id it was merged into (merges are flat)."""
        return _identity.aliases(self._db.connection)

    @overload
    def to_pandas(
        self,
        customer_id: str | None = None,
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        channels: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        chunksize: None = None,
    ) -> pd.DataFrame: ...

    @overload
    def to_pandas(
        self,
        customer_id: str | None = None,
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        channels: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        chunksize: int,
    ) -> Iterator[pd.DataFrame]: ...

    def to_pandas(
        self,
        customer_id: str | None = None,
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        channels: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        chunksize: int | None = None,
    ) -> pd.DataFrame | Iterator[pd.DataFrame]:
        """Return all events (or those matching the filters of :meth:`count`), in append order.

        Parameters
        ----------
        customer_id
            One customer (any id they have had; every id merged with it), or
            ``None`` for all.
        start, end
            Keep events that occurred at or after ``start`` and before
            ``end`` (timezone-aware).
        channels, kinds
            Keep events of these channels and kinds only.
        chunksize
            ``None``: one frame. A number: an iterator of frames of at most
            that many events, read from the database as they are needed (a
            server-side cursor on PostgreSQL), so a log of millions of
            events is never held whole; concatenated, they are the one
            frame. A log with no matching event gives one empty frame.

        Returns
        -------
        pandas.DataFrame or iterator of pandas.DataFrame
            One row per event, with the :class:`Interaction` fields plus
            ``recorded_at``; ids canonical (merges followed), indexed by ``seq``.

        Raises
        ------
        DataContractError
            If ``chunksize`` is not a whole number >= 1, ``customer_id`` is
            not non-empty text, or a bound has no time zone.
        """
        ids = None if customer_id is None else self._group(_customer_id(customer_id))
        filters = _reading.Filters(ids=ids, start=start, end=end, channels=channels, kinds=kinds)
        if chunksize is not None:
            return _reading.to_pandas_chunks(
                self._db, self._key_store, self._aliases, chunksize, filters
            )
        return _reading.to_pandas(self._db.connection, self._key_store, self._aliases, filters)

    @overload
    def transactions(
        self,
        kinds: Iterable[str] = ...,
        *,
        currency: str | None = None,
        chunksize: None = None,
    ) -> pd.DataFrame: ...

    @overload
    def transactions(
        self, kinds: Iterable[str] = ..., *, currency: str | None = None, chunksize: int
    ) -> Iterator[pd.DataFrame]: ...

    def transactions(
        self,
        kinds: Iterable[str] = ("purchase", "return"),
        *,
        currency: str | None = None,
        chunksize: int | None = None,
    ) -> pd.DataFrame | Iterator[pd.DataFrame]:
        """Return the money events as the :data:`one2one.contracts.TRANSACTIONS` table.

        This is the transaction log ``one2one.clv.rfm_summary`` and
        ``one2one.differentiate.rfm_table`` take: one row per event of
        ``kinds`` with a ``value`` (a refund is a negative value), ids canonical
        (merges followed), in append order.

        Two facts of a sale live in the event's ``payload``, under these keys:

        * ``order_id``: the order a sale or refund belongs to, so a refund
          can be netted against its own sale. The column is returned when
          any event names one (``None`` for the others).
        * ``currency``: the currency of ``value`` (``"EUR"``). The column
          is returned when any event names one; then every event must, or
          ``currency`` gives the currency of those that name none. Several
          currencies are returned as they are: the consumer refuses to add
          them up.

        Parameters
        ----------
        kinds
            The kinds of event that carry money.
        currency
            The currency of money events whose payload names none (``None``:
            no default).
        chunksize
            ``None``: one table. A number: an iterator of tables of at most
            that many events, streamed from the database (the table's
            columns are decided first, by one aggregate query), so a log of
            millions of events is never held whole; concatenated, they are
            the one table (their index runs on from piece to piece).

        Returns
        -------
        pandas.DataFrame or iterator of pandas.DataFrame
            ``customer_id``, ``occurred_at`` (UTC), ``value``, and
            ``order_id`` and ``currency`` when the events carry them.

        Raises
        ------
        DataContractError
            If a payload's ``currency`` is not a currency code or its
            ``order_id`` not an id (text or a whole number), or if only some
            events name a currency and no default ``currency`` is given (an
            amount without its currency cannot be added to the others), or
            ``chunksize`` is not a whole number >= 1. In pieces, a missing
            currency is refused before the first piece, a malformed one when
            its piece is read.

        Notes
        -----
        An erased customer's events keep their ``currency`` (amounts keep
        their meaning, and totals stay right) but lose their ``order_id``,
        which may be personal (``order-alice-0001``).
        """
        if chunksize is not None:
            return _reading.transactions_chunks(
                self._db,
                self._key_store,
                self._aliases,
                kinds,
                currency=currency,
                chunksize=chunksize,
            )
        return _reading.transactions(
            self._db.connection, self._key_store, self._aliases, kinds, currency=currency
        )

    def cost_to_serve(self) -> pd.Series:
        """Total ``cost`` per customer (canonical ids), for below-zero tiers.

        Returns
        -------
        pandas.Series
            The summed ``cost`` of each customer's events, indexed by
            ``customer_id``: the :data:`one2one.contracts.COST_TO_SERVE` table.
        """
        return _reading.cost_to_serve(self._db.connection, self._aliases)

    # -------------------------------------------------------------- quarantine
    def quarantine(self, *, include_replayed: bool = False) -> pd.DataFrame:
        """Events refused by ``on_invalid="quarantine"`` appends, with their reasons.

        Parameters
        ----------
        include_replayed
            Also list entries already replayed into the log.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``quarantine_id``: ``received_at``, ``event`` (the raw
            event as a dict), ``reasons`` (a list) and ``replayed_at``
            (missing until replayed).
        """
        return _quarantine.entries(self._db.connection, include_replayed=include_replayed)

    def replay_quarantine(
        self, fix: Any = None, *, ids: Iterable[int] | None = None
    ) -> AppendResult:
        """Re-validate quarantined events, optionally repaired by ``fix``, and store the good ones.

        ``fix`` takes and returns an event as a dict.

        Events that pass are appended and marked replayed in one transaction,
        so a crash leaves either both or neither and a second replay never
        stores an event twice; those that still fail (or re-use a stored
        event's id for other content) stay in quarantine with the new reason
        added. A replayed entry remembers the customer id it was stored
        under, so :meth:`forget` finds it even when ``fix`` changed the id.

        Parameters
        ----------
        fix
            A function from an event dict to a repaired event dict, or
            ``None`` to re-validate the events as they are.
        ids
            The quarantine entries to replay; all not yet replayed by default.

        Returns
        -------
        AppendResult
            The events stored, the duplicates, and those kept in quarantine.
        """
        stored = _append.replay_quarantine(
            self._db, self, self._keys, self._key_store, fix=fix, ids=ids
        )
        self._subscribers.appended(stored.fresh)
        return stored.result

    # ------------------------------------------------------------------ erasure
    def tombstone(self, customer_id: str) -> str:
        """Return the keyed hash under which an erasure of ``customer_id`` is recorded.

        Parameters
        ----------
        customer_id
            The erased (or any) customer id.

        Returns
        -------
        str
            The hash, keyed with this log's secret, so the id cannot be read
            back from it.
        """
        return self._keys.tombstone(customer_id)

    def was_forgotten(self, customer_id: str) -> bool:
        """Whether ``customer_id`` was erased (answerable only by someone who knows the id).

        Parameters
        ----------
        customer_id
            The customer id to check.

        Returns
        -------
        bool
            True if an erasure of this id is recorded.
        """
        return _erasure.was_forgotten(self._db.connection, self._keys, customer_id)

    def forget(self, customer_id: str, *, at: dt.datetime | None = None) -> Erasure:
        """Erase a customer's personal data (right to erasure), keeping an audit tombstone.

        Every event of the customer (and of ids merged into them) is re-keyed
        to a random anonymous id that nothing links back to the customer; its
        payload (all but a ``currency`` code, which its amount needs) and offer
        id are removed and its event id is replaced by a
        random one (callers' ids such as ``order-alice-0001`` are personal
        data too), so revenue and cost totals stay right while nothing
        personal can be read back. The old event ids are kept only as keyed
        hashes, so a late re-send of an erased event is recognised and not
        stored again. Quarantined copies of the customer's events (raw, or
        repaired and replayed under this id) and merge records are deleted.

        The customer's keys (of every id merged into them) are destroyed
        first, inside the same write: copies of the payloads outside the log
        (PostgreSQL's write-ahead log, replicas, backups, copies of the file)
        can no longer be decrypted, provided the copies do not hold the keys
        (see ``key_store`` in :class:`InteractionLog`). With the keys in a
        database of their own, a crash between destroying them and rewriting
        the rows leaves the rows unreadable; calling ``forget`` again
        finishes the erasure.

        Deleted content is overwritten with zeros (``secure_delete``) and the
        write-ahead log is emptied after the erasure, so the data cannot be
        read from the database file, its ``-wal`` or ``-shm`` with a hex
        editor either. If another process holds a read open, the write-ahead
        log cannot be emptied at once: a :class:`~one2one.errors.StorageWarning`
        says so and ``Erasure.wal_cleared`` is ``False``; the next erasure or
        checkpoint finishes the job.

        The erasure is logged as an ``erasure`` event under the anonymous id,
        and a keyed hash of the customer id is kept so a later audit can
        confirm the request was honoured (someone holding the database file
        who already knows an id can confirm it was erased; nothing else).

        Parameters
        ----------
        customer_id
            The customer to erase (any id they have had).
        at
            When the request was honoured (timezone-aware); now by default.

        Returns
        -------
        Erasure
            How many events were re-keyed and quarantined copies deleted,
            when, the tombstone, and whether the write-ahead log was emptied.

        Raises
        ------
        DataContractError
            If ``customer_id`` is not non-empty text, or ``at`` has no time
            zone.
        StorageError
            If the database could not be written (nothing is erased then).

        Warns
        -----
        StorageWarning
            If another reader kept the write-ahead log from being emptied.
        """
        customer = _customer_id(customer_id)
        when = as_utc("at", at) if at is not None else dt.datetime.now(dt.UTC)
        with self._db.write() as connection:
            ids = _identity.group(connection, customer)  # inside the lock: merges may be racing
            changed, dropped = _erasure.erase(
                self._db, connection, self._keys, self._key_store, ids=ids, when=when
            )
        self._subscribers.forgotten(ids)
        cleared = self._db.checkpoint() & self._key_store.checkpoint()  # both, always
        if not cleared:
            msg = (
                "the erasure is committed, but another process holding a read on the log kept "
                "its write-ahead log from being emptied: old copies of the erased data stay in "
                f"{self.path}-wal until the next checkpoint. Close other readers and call "
                "forget() again or InteractionLog.checkpoint()."
            )
            warnings.warn(msg, StorageWarning, stacklevel=2)
        return Erasure(
            events=changed,
            quarantined=dropped,
            erased_at=when,
            tombstone=self._keys.tombstone(ids[0]),
            wal_cleared=cleared,
        )

    def rotate_master_key(self, new_key: bytes | Callable[[], bytes] | None) -> int:
        """Re-wrap every customer key under ``new_key``, in one transaction (events untouched).

        The log must have been opened with the current master key (or none,
        if the keys are stored unwrapped). Afterwards only ``new_key`` opens
        the keys: reopen the log in other processes with it.

        Parameters
        ----------
        new_key
            32 bytes, or a function returning them; ``None`` stores the keys
            unwrapped (see the class's Notes for what that gives up).

        Returns
        -------
        int
            How many customer keys were re-wrapped.

        Raises
        ------
        DataContractError
            If ``new_key`` is not 32 bytes.
        DecryptionError
            If this log's master key no longer opens the keys (another process
            rotated it first).
        StorageError
            If the key store could not be written (nothing is changed then).
        """
        master = None if new_key is None else _cipher.master_key(new_key, field="new_key")
        with self._db.write() as connection:
            return self._key_store.rotate(connection, master)

    def checkpoint(self) -> bool:
        """Copy the write-ahead log into the database file and empty it.

        :meth:`forget` does this itself; call it again when it warned that a
        reader kept the write-ahead log from being emptied.

        Returns
        -------
        bool
            Whether the write-ahead log was emptied.
        """
        return self._db.checkpoint()
