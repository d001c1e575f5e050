"""The one protocol between the interaction log's parts and the database under them.

The log is a facade over small parts (appending, the quarantine, reading,
identities, erasure, consent and contact-policy queries). None of them knows
which database it runs on: each writes its SQL against :class:`Storage` and
the :class:`Connection` it lends, so a second backend (PostgreSQL, for many
workers on many hosts) implements this protocol and the parts run unchanged.
The SQLite backend is :class:`one2one.interact._database.Database`.

What a backend promises:

- *Reads* go through :attr:`Storage.connection`; a *write* is the block of
  ``with storage.write() as connection:``, committed whole or rolled back
  whole, and concurrent writers queue for it (reads made inside the block
  see what the writers before committed).
- *Errors are typed*: every database failure reaches the caller as
  :class:`~one2one.errors.StorageError`.
- *SQL dialect*: the parts write standard SQL with ``?`` placeholders (each
  used once, in order) and ``INSERT ... ON CONFLICT``; a backend whose
  driver takes another placeholder style translates them. What standard
  SQL cannot say is asked of the backend: :meth:`Storage.json_text` (a field
  of a JSON text column) and :meth:`Storage.checkpoint` (leave no old copies
  of erased data in the backend's own files).
- *Followers are told.* :meth:`Storage.watch` wakes when a write commits,
  from any process (PostgreSQL: ``LISTEN``/``NOTIFY``, sent at commit, so a
  rolled-back write wakes no one; SQLite: polling its cheap data version).
  Writers queue for the log's lock, so ``seq`` order is commit order and a
  follower reading ``seq > last`` never misses a row.
- *Large reads stream.* :meth:`Storage.stream` yields a query's rows in
  chunks (a server-side cursor on PostgreSQL, on a connection of its own so
  a long read never holds the writers' connection in a transaction), and
  :meth:`Storage.snapshot` runs several reads against one consistent state.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "CHUNK",
    "Connection",
    "Cursor",
    "Storage",
    "Watch",
    "in_chunks",
    "insert_rows",
    "marks",
    "select_in",
]

CHUNK = 500
"""Keys per ``IN (...)`` query: under SQLite's old limit of 999 variables (PostgreSQL's: 65,535)."""


class Cursor(Protocol):
    """The result of one statement: its rows, or how many rows it changed."""

    @property
    def rowcount(self) -> int:
        """Rows changed by the statement (summed over the rows of ``executemany``)."""
        ...

    def fetchone(self) -> Any:
        """Return the next row as a tuple, or ``None``."""
        ...

    def fetchall(self) -> list[Any]:
        """Return the remaining rows as tuples."""
        ...


class Connection(Protocol):
    """Where the parts' SQL runs: for reads, or inside one write transaction."""

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        """Run one statement."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        """Run one statement for many rows."""
        ...


class Watch(Protocol):
    """A wake-up call for a follower: a write was committed to the log since the last wait."""

    def wait(self, timeout: float | None) -> bool:
        """Block until a write commits (``True``) or ``timeout`` seconds pass (``False``)."""
        ...

    def close(self) -> None:
        """Stop watching and release what the watch holds (idempotent)."""
        ...


class Storage(Protocol):
    """A database holding one interaction log (its events, quarantine, aliases and erasures)."""

    @property
    def path(self) -> Path | None:
        """The database file, or ``None`` when it has none (in memory, or on a server)."""
        ...

    @property
    def connection(self) -> Connection:
        """The connection reads use (and the one a write lends, on a single-connection backend)."""
        ...

    def write(self) -> AbstractContextManager[Connection]:
        """Run the block in one transaction that holds the log's write lock."""
        ...

    def json_text(self, column: str, key: str) -> str:
        """Return SQL for field ``key`` of the JSON in ``column``, as text (NULL if no JSON)."""
        ...

    def meta(self, key: str) -> str | None:
        """Read one value of the log's own settings (its salt, its schema version)."""
        ...

    def checkpoint(self) -> bool:
        """Leave no old copy of deleted data in the backend's files; return whether it could."""
        ...

    def close(self) -> None:
        """Close the connection (idempotent)."""
        ...

    def snapshot(self) -> AbstractContextManager[Connection]:
        """Run the block's reads against one consistent state of the log (read only)."""
        ...

    def watch(self, *, poll_interval: float) -> Watch:
        """Return a :class:`Watch` woken by every write committed after this call."""
        ...

    def stream(self, sql: str, parameters: Sequence[Any], batch_size: int) -> Iterator[list[Any]]:
        """Yield the rows of one query in lists of at most ``batch_size``, never all at once."""
        ...


def marks(count: int) -> str:
    """Return ``count`` placeholders for an ``IN (...)`` list."""
    return ", ".join("?" * count)


def in_chunks(connection: Connection, sql: str, keys: Sequence[object]) -> Iterator[Any]:
    """Run ``sql`` (``{}`` where the placeholders go) over ``keys``, :data:`CHUNK` at a time."""
    for start in range(0, len(keys), CHUNK):
        chunk = list(keys[start : start + CHUNK])
        yield from connection.execute(sql.format(marks(len(chunk))), chunk).fetchall()


def insert_rows(connection: Connection, head: str, rows: Sequence[Sequence[object]]) -> int:
    """Insert ``rows`` by multi-row ``VALUES`` after ``head`` (``INSERT INTO t (a, b)``).

    One statement per :data:`CHUNK` values instead of one per row: on a
    server every statement is a round trip's worth of work for it, so a batch
    of 2,000 new rows costs a dozen statements, not 2,000. Returns how many
    rows were stored.
    """
    if not rows:
        return 0
    width = len(rows[0])
    per = max(1, CHUNK // width)
    row_marks = "(" + ", ".join("?" * width) + ")"
    stored = 0
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        values = [value for row in chunk for value in row]
        sql = f"{head} VALUES {', '.join([row_marks] * len(chunk))}"
        stored += connection.execute(sql, values).rowcount
    return stored


def select_in(connection: Connection, sql: str, keys: Sequence[str]) -> Iterator[Any]:
    """Run ``sql`` (``IN ({})`` where the keys go) over text ``keys``, in one statement if it can.

    A backend whose connection binds a list as one array parameter (PostgreSQL:
    ``select_in``) looks all the keys up in one statement, one fixed text its
    driver parses once; the others take :data:`CHUNK` keys at a time. Writers
    queue for the log's lock, and the lookups of a batch's ids run holding it.
    """
    if not keys:
        return iter(())
    at_once = getattr(connection, "select_in", None)
    if at_once is None:
        return in_chunks(connection, sql, keys)
    return iter(at_once(sql, keys))
