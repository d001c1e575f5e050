"""Profiles that follow a log written by other processes (many workers, one log).

``ProfileStore.attach(log)`` hears only what is written through that one log
object. A :class:`FollowedProfileStore` reads what every process committed:

* *Appends* are read by ``seq``. Writers queue for the log's lock, so
  ``seq`` order is commit order, and a follower that remembers the last
  ``seq`` it folded misses no row and folds each once, in append order, as
  the replay does.
* *Merges and erasures* change whose rows are whose without adding rows in
  order; each bumps a counter in the log's ``meta`` table (see
  ``_identity.GENERATION``). When it moved, the follower compares the alias
  table with the one it saw and the erasures' keyed hashes with those it saw,
  drops the profiles whose group changed or was erased, and rebuilds them
  from their rows. Everything else stays as folded.
* Each refresh reads one consistent state of the log (a read snapshot), so
  once it returns the profiles are exactly those ``ProfileStore.from_log``
  gives for that state, customer by customer.

A commit wakes :meth:`FollowedProfileStore.wait` through the backend's
:class:`~one2one.interact._storage.Watch` (``LISTEN``/``NOTIFY`` on
PostgreSQL, a cheap poll on SQLite).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Self

from ..errors import DataContractError
from . import _identity, _reading
from ._profile import ProfileStore
from ._profile_replay import rebuild
from ._storage import CHUNK, Connection, Watch

if TYPE_CHECKING:
    from ._log import InteractionLog
    from ._reading import StoredRow

__all__ = ["FollowedProfileStore"]


class FollowedProfileStore(ProfileStore):
    """Customer profiles kept equal to a rebuild from the log, whoever writes to it.

    Made by :meth:`ProfileStore.follow`. Reading it is reading a
    :class:`ProfileStore`; :meth:`refresh` applies what was committed since
    (by any process), :meth:`wait` blocks until something is. Close it (or
    use it as a context manager) to release the listening connection.

    Parameters
    ----------
    half_life, attributes, kind_weights
        As for :class:`ProfileStore` (given to :meth:`ProfileStore.follow`).

    Attributes
    ----------
    seq
        The ``seq`` of the last stored event folded in.
    generation
        How many merges and erasures of the log the profiles reflect.

    Raises
    ------
    DataContractError
        If ``poll_interval`` or ``batch_size`` (of :meth:`ProfileStore.follow`)
        is not a positive number.
    """

    _log: InteractionLog
    _watch: Watch | None
    _batch_size: int
    seq: int
    generation: int
    _seen_aliases: dict[str, str]
    _seen_erasures: Counter[str]

    def _follow(self, log: InteractionLog, *, poll_interval: float, batch_size: int) -> None:
        """Start watching ``log``, then build every profile from one state of it."""
        for name, number in (("poll_interval", poll_interval), ("batch_size", batch_size)):
            if isinstance(number, bool) or not isinstance(number, int | float) or number <= 0:
                msg = f"{name} must be a positive number (got {number!r})."
                raise DataContractError(msg, column=name, value=number)
        self._log = log
        self._batch_size = int(batch_size)
        # Watch first: a commit landing while the profiles are built still wakes wait().
        self._watch = log._db.watch(poll_interval=float(poll_interval))  # noqa: SLF001 (same room)
        try:
            with log._db.snapshot() as connection:  # noqa: SLF001
                self.generation = _identity.generation(connection)
                self._seen_aliases = _identity.aliases(connection)
                self._seen_erasures = _erasures(connection)
                self.seq = 0
                rebuild(self, self._counted(connection), self._seen_aliases)
        except BaseException:
            self.close()
            raise

    def _counted(self, connection: Connection) -> Iterator[list[StoredRow]]:
        """Yield every row after :attr:`seq`, moving :attr:`seq` along."""
        key_store = self._log._key_store  # noqa: SLF001 (same room)
        for rows in _reading.rows_since(
            connection, key_store, self.seq, batch_size=self._batch_size
        ):
            self.seq = int(rows[-1][0])
            yield rows

    # --------------------------------------------------------------- following
    def refresh(self) -> int:
        """Apply everything committed to the log since the last refresh, by any process.

        Returns
        -------
        int
            The changes applied: new events (an erasure's own event
            included), plus one per merge or erasure. ``0``: nothing new.

        Raises
        ------
        StorageError
            If the log cannot be read (the profiles are then as they were
            before the call only if the failure came before the first
            change; rebuild with :meth:`ProfileStore.follow` to be sure).
        """
        log = self._log
        if self._watch is not None:
            # Take the wake-ups of what this refresh reads, BEFORE reading: a commit after
            # this line wakes the next wait(); none left unread piles up on the server.
            self._watch.wait(0.0)
        with log._db.snapshot() as connection:  # noqa: SLF001 (same room)
            changes = 0
            rebuilt: set[str] = set()
            current = _identity.generation(connection)
            if current != self.generation:
                rebuilt = self._follow_identities(connection)
                changes += abs(current - self.generation)
                self.generation = current
            aliases = self._seen_aliases
            for rows in self._counted(connection):
                changes += len(rows)
                for _, customer, micros, channel, kind, direction, value, payload in rows:
                    if kind == "erasure":
                        # Its customer is the erased one's anonymous id: the replay keeps
                        # no profile for it, whatever rows it folded under that id.
                        self._states.pop(customer, None)
                        continue
                    canonical = aliases.get(customer, customer)
                    if canonical in rebuilt:  # already rebuilt from all its rows
                        continue
                    self._fold(
                        canonical,
                        micros,
                        channel,
                        kind,
                        direction,
                        value,
                        None if payload is None else json.loads(payload),
                    )
        return changes

    def _follow_identities(self, connection: Connection) -> set[str]:
        """Redo the profiles that merges and erasures since the last refresh changed.

        Returns the canonical ids rebuilt from all their rows (the caller
        must not fold their new rows again).
        """
        log = self._log
        old = self._seen_aliases
        new = _identity.aliases(connection)
        moved = {i for i in old.keys() | new.keys() if old.get(i) != new.get(i)}
        touched = {old.get(i, i) for i in moved}
        erasures = _erasures(connection)
        fresh = erasures - self._seen_erasures
        if fresh:  # the erased ids are known only by keyed hash: hash ours to find them
            touched |= {c for c in self._states if log.tombstone(c) in fresh}
        roots = {new.get(i, i) for i in touched | moved}
        for customer in touched:
            self._states.pop(customer, None)
        members: dict[str, list[str]] = {root: [root] for root in roots}
        for source, into in new.items():
            if into in members:
                members[into].append(source)
        ids = [i for group in members.values() for i in group]
        rows: list[StoredRow] = []
        for start in range(0, len(ids), CHUNK):
            rows += log._rows_of(ids[start : start + CHUNK])  # noqa: SLF001 (same room)
        rows.sort(key=lambda row: row[0])
        redone = ProfileStore(
            half_life=self.half_life, attributes=self.attributes, kind_weights=self.kind_weights
        )
        rebuild(redone, [rows], new)
        for root in roots:
            state = redone._states.get(root)  # noqa: SLF001 (same family)
            if state is not None:
                self._states[root] = state
        self._seen_aliases = new
        self._seen_erasures = erasures
        return roots

    def wait(self, timeout: float | None = None) -> int:
        """Block until another process (or this one) commits to the log, then refresh.

        Parameters
        ----------
        timeout
            Seconds to wait at most; ``None`` waits until something changes.

        Returns
        -------
        int
            The changes applied (see :meth:`refresh`); ``0`` if none came
            within ``timeout``.

        Raises
        ------
        StorageError
            If the log cannot be read, or the listening connection was lost.
        """
        changes = self.refresh()  # what came before the watch woke, or before the call
        if changes or self._watch is None:
            return changes
        watch = self._watch
        deadline = None if timeout is None else _now() + timeout
        while True:
            left = None if deadline is None else max(deadline - _now(), 0.0)
            if not watch.wait(left):
                return 0
            changes = self.refresh()
            if changes:  # a wake-up for a commit already read, or an empty write: wait on
                return changes
            if deadline is not None and _now() >= deadline:
                return 0

    def close(self) -> None:
        """Stop following: release the listening connection (the profiles stay readable)."""
        watch, self._watch = getattr(self, "_watch", None), None
        if watch is not None:
            watch.close()

    def __enter__(self) -> Self:
        """Return the store itself."""
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop following (see :meth:`close`)."""
        self.close()


def _erasures(connection: Connection) -> Counter[str]:
    """Count the erasures recorded under each keyed hash (an id may be erased twice)."""
    rows = connection.execute("SELECT customer_hash FROM erasures").fetchall()
    return Counter(str(row[0]) for row in rows)


_now = time.monotonic
