"""The SQLite database under the interaction log: schema, migrations, connection settings.

SQLite is embedded (a file, no server) and its transactions are atomic and
durable: a process killed mid-batch leaves the batch entirely present or
entirely absent. Write-ahead logging lets readers read while one writer
writes; ``BEGIN IMMEDIATE`` makes concurrent writers queue instead of
failing halfway. The schema carries a version; opening an older database
applies the missing migrations in one transaction, and a newer one is
refused rather than misread.

Three promises are kept here, below the log:

- *Errors are typed.* Every SQLite failure (a full disk, a damaged page, a
  locked or closed file) reaches the caller as :class:`StorageError` naming
  the file and the cause, never as a raw ``sqlite3`` exception or as the
  confusing error of a rollback that SQLite had already done.
- *Other applications' files are left alone.* A database that is not an
  interaction log is refused before anything is written to it (no table is
  added, its journal mode is not changed). Logs carry an SQLite
  ``application_id`` so they can be recognised.
- *Deleted means gone.* ``secure_delete`` is switched on, whatever the
  SQLite build's default, so deleted or rewritten rows are overwritten with
  zeros instead of lingering in free pages; :meth:`Database.checkpoint`
  empties the write-ahead log, which otherwise keeps old page images.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Literal

from ..errors import StorageError
from ._rows import now_us
from ._schema import SCHEMA_VERSION, SQLITE, TABLES, statements

__all__ = ["SCHEMA_VERSION", "Connection", "Database", "SqliteWatch", "Synchronous"]

Synchronous = Literal["normal", "full"]
APPLICATION_ID = 0x6F326F31  # "o2o1": marks a file as an interaction log


def _cause(error: sqlite3.Error) -> str:
    """Say what an SQLite error means for the user, not only what SQLite said."""
    text = str(error)
    lowered = text.lower()
    if "full" in lowered:
        return f"the disk (or the database's size limit) is full ({text})"
    if "malformed" in lowered or "not a database" in lowered or "corrupt" in lowered:
        return f"the file is damaged or is not an SQLite database ({text}); restore a backup"
    if "locked" in lowered or "busy" in lowered:
        return f"another process holds the database ({text})"
    if "closed" in lowered:
        return f"the log was closed ({text})"
    if "readonly" in lowered or "read-only" in lowered:
        return f"the file cannot be written ({text})"
    return text


class _Cursor:
    """A cursor whose failures (which SQLite reports while stepping) are typed."""

    __slots__ = ("_cursor", "_owner")

    def __init__(self, cursor: sqlite3.Cursor, owner: Connection) -> None:
        self._cursor = cursor
        self._owner = owner

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self) -> Any:
        try:
            return self._cursor.fetchone()
        except sqlite3.Error as error:
            raise self._owner.fail(error) from error

    def fetchall(self) -> list[Any]:
        try:
            return self._cursor.fetchall()
        except sqlite3.Error as error:
            raise self._owner.fail(error) from error


class Connection:
    """The log's SQLite connection, raising :class:`StorageError` for every storage failure."""

    __slots__ = ("path", "raw", "writing")

    def __init__(self, raw: sqlite3.Connection, path: Path | None) -> None:
        self.raw = raw
        self.path = path
        self.writing = False

    def fail(self, error: sqlite3.Error) -> StorageError:
        """Turn an SQLite error into the typed error a caller can act on."""
        where = ":memory:" if self.path is None else str(self.path)
        tail = "; nothing in this transaction was stored." if self.writing else "."
        msg = f"the interaction log at {where} failed: {_cause(error)}{tail}"
        return StorageError(msg, path=None if self.path is None else str(self.path))

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> _Cursor:
        """Run one statement."""
        try:
            return _Cursor(self.raw.execute(sql, parameters), self)
        except sqlite3.Error as error:
            raise self.fail(error) from error

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> _Cursor:
        """Run one statement for many rows."""
        try:
            return _Cursor(self.raw.executemany(sql, rows), self)
        except sqlite3.Error as error:
            raise self.fail(error) from error


class Database:
    """One connection to the log's database, with transactions that are all or nothing.

    ``synchronous="normal"`` (the default) survives any crash of the process;
    a power cut may lose the last transactions committed before it (never
    half of one). ``"full"`` makes every commit durable at once, at the cost
    of a disk flush per commit.
    """

    def __init__(
        self,
        path: str | Path | None,
        *,
        timeout: float = 30.0,
        synchronous: Synchronous = "normal",
    ) -> None:
        self.path = None if path is None or str(path) == ":memory:" else Path(path)
        target = ":memory:" if self.path is None else str(self.path)
        if self.path is not None and self.path.is_dir():
            msg = f"cannot open the interaction log at {target}: it is a directory."
            raise StorageError(msg, path=target)
        try:
            raw = sqlite3.connect(
                target, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            msg = f"cannot open the interaction log at {target}: {_cause(error)}."
            raise StorageError(msg, path=None if self.path is None else target) from error
        self.connection = Connection(raw, self.path)
        try:
            self.connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            # Zeros over deleted content, whatever the build's default (upstream: off).
            self.connection.execute("PRAGMA secure_delete = ON")
            self._refuse_foreign()
            if self.path is not None:
                self.connection.execute("PRAGMA journal_mode = WAL")
                mode = "FULL" if synchronous == "full" else "NORMAL"
                self.connection.execute(f"PRAGMA synchronous = {mode}")
            self.connection.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except BaseException:
            raw.close()
            raise

    def _refuse_foreign(self) -> None:
        """Refuse, untouched, a database some other application made."""
        application = int(self.connection.execute("PRAGMA application_id").fetchone()[0])
        tables = {  # SQLite's own tables (sqlite_stat1 after ANALYZE, ...) say nothing
            str(row[0])
            for row in self.connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
            ).fetchall()
        }
        if application == APPLICATION_ID or (application == 0 and not tables):
            return
        ours = application == 0 and "meta" in tables and tables <= TABLES
        if ours:  # a log written before logs carried an application id
            row = self.connection.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
            if row is not None:
                return
        shown = ", ".join(sorted(tables)[:8]) or "none"
        msg = (
            f"{self.path} is not an interaction log (application id {application:#x}, "
            f"tables: {shown}); one2one opens only its own logs and changed nothing. "
            "Give the log a file of its own."
        )
        raise StorageError(msg, path=str(self.path))

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """Run the block in one immediate transaction: committed whole or rolled back whole."""
        connection = self.connection
        raw = connection.raw
        try:
            raw.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            where = ":memory:" if self.path is None else str(self.path)
            msg = (
                f"the interaction log at {where} cannot be written: {_cause(error)}; "
                "nothing was stored."
            )
            raise StorageError(msg, path=str(self.path)) from error
        connection.writing = True
        try:
            yield connection
            try:
                raw.execute("COMMIT")
            except sqlite3.Error as error:
                raise connection.fail(error) from error
        except BaseException:
            # SQLite rolls some failures back by itself (a full disk, for one); a second
            # rollback would fail and hide the real cause, so roll back only what is open.
            if raw.in_transaction:
                with suppress(sqlite3.Error):  # the original error says more than this one
                    raw.execute("ROLLBACK")
            raise
        finally:
            connection.writing = False

    def checkpoint(self) -> bool:
        """Copy the write-ahead log into the database file and empty it.

        Returns ``False`` when another connection's open read kept it from
        finishing (the old page images then stay in the ``-wal`` file until
        the next checkpoint).
        """
        if self.path is None:
            return True
        row = self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return row is not None and int(row[0]) == 0

    def json_text(self, column: str, key: str) -> str:
        """Return SQL for field ``key`` of the JSON in ``column``, as text (NULL if no JSON).

        ``json_valid`` guards ``json_extract``, which fails on text that is not
        JSON (a quarantined ``NaN``, say) instead of answering NULL.
        """
        return (
            f"CASE WHEN json_valid({column}) "
            f"THEN CAST(json_extract({column}, '$.{key}') AS TEXT) END"
        )

    def meta(self, key: str) -> str | None:
        """Read one value from the meta table."""
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _migrate(self) -> None:
        with self.write() as connection:
            connection.execute(statements(0, SQLITE)[0])
            row = connection.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
            version = 0 if row is None else int(row[0])
            self._refuse_newer(version)
            if version == SCHEMA_VERSION:
                return
            for statement in statements(version, SQLITE):
                connection.execute(statement)
            if version == 0:
                connection.execute(
                    "INSERT INTO meta VALUES ('salt', ?), ('created_at', ?)",
                    (secrets.token_hex(16), str(now_us())),
                )
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            connection.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    def _refuse_newer(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            msg = (
                f"the interaction log was written by a newer one2one (schema version "
                f"{version}, this one reads up to {SCHEMA_VERSION}); upgrade one2one."
            )
            raise StorageError(msg, path=str(self.path))

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self.connection.raw.close()

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """Run the block's reads in one read transaction: one state of the log, however long.

        In write-ahead-log mode a read transaction sees the database as it
        was at its first read, while writers go on; inside a write the block
        simply reads what the write sees.
        """
        raw = self.connection.raw
        if raw.in_transaction:
            yield self.connection
            return
        self.connection.execute("BEGIN")
        try:
            yield self.connection
        finally:
            with suppress(sqlite3.Error):  # read only: nothing to lose (or already ended)
                raw.execute("COMMIT")

    def watch(self, *, poll_interval: float = 0.05) -> SqliteWatch:
        """Return a watch that polls for commits every ``poll_interval`` seconds.

        SQLite has no notifications, but ``PRAGMA data_version`` changes when
        another connection (another process) commits, and the connection's
        own change count when it commits itself; reading both costs
        microseconds, so polling is cheap.
        """
        return SqliteWatch(self.connection, poll_interval)

    def stream(self, sql: str, parameters: Sequence[Any], batch_size: int) -> Iterator[list[Any]]:
        """Yield the rows of one query, ``batch_size`` at a time (SQLite steps through them).

        The statement sees one state of the log (SQLite holds a read
        snapshot while it is open); closing the iterator early ends it.
        """
        connection = self.connection
        try:
            cursor = connection.raw.execute(sql, parameters)
        except sqlite3.Error as error:
            raise connection.fail(error) from error
        try:
            while True:
                try:
                    rows = cursor.fetchmany(batch_size)
                except sqlite3.Error as error:
                    raise connection.fail(error) from error
                if not rows:
                    return
                yield rows
        finally:
            cursor.close()


class SqliteWatch:
    """Wakes a follower when the log's SQLite database changes (by polling, see ``watch``)."""

    def __init__(self, connection: Connection, poll_interval: float) -> None:
        self._connection = connection
        self._poll = poll_interval
        self._closed = False
        self._seen = self._token()

    def _token(self) -> tuple[int, int]:
        """Return what changes at any commit: others' (data_version), then this connection's."""
        row = self._connection.execute("PRAGMA data_version").fetchone()
        return int(row[0]), self._connection.raw.total_changes

    def wait(self, timeout: float | None) -> bool:
        """Block until a commit since the last wait (``True``) or ``timeout`` s (``False``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._closed:
            token = self._token()
            if token != self._seen:
                self._seen = token
                return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            time.sleep(self._poll if left is None else min(self._poll, left))
        return False

    def close(self) -> None:
        """Stop watching (the log's connection stays open: it is the log's)."""
        self._closed = True
