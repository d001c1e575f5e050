"""The SQLite database under the interaction log: schema, migrations, connection settings.

SQLite is embedded (a file, no server) and its transactions are atomic and
durable: a process killed mid-batch leaves the batch entirely present or
entirely absent. Write-ahead logging lets readers read while one writer
writes; ``BEGIN IMMEDIATE`` makes concurrent writers queue instead of
failing halfway. The schema carries a version; opening an older database
applies the missing migrations in one transaction, and a newer one is
refused rather than misread.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import StorageError

__all__ = ["SCHEMA_VERSION", "Database"]

_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # version 1
    (
        """CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
        """CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL UNIQUE,
            customer_id TEXT NOT NULL,
            occurred_at INTEGER NOT NULL,
            recorded_at INTEGER NOT NULL,
            channel TEXT NOT NULL,
            kind TEXT NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
            value REAL,
            cost REAL,
            offer_id TEXT,
            propensity REAL,
            payload TEXT
        )""",
        """CREATE INDEX events_by_customer ON events (customer_id, occurred_at)""",
        """CREATE INDEX events_consent ON events (customer_id, occurred_at)
            WHERE kind IN ('consent_granted', 'consent_denied', 'consent_withdrawn')""",
        """CREATE TABLE quarantine (
            seq INTEGER PRIMARY KEY,
            received_at INTEGER NOT NULL,
            event TEXT NOT NULL,
            reasons TEXT NOT NULL,
            customer_id TEXT,
            replayed_at INTEGER
        )""",
        """CREATE TABLE aliases (
            from_id TEXT PRIMARY KEY,
            into_id TEXT NOT NULL,
            merged_at INTEGER NOT NULL
        )""",
        """CREATE INDEX aliases_into ON aliases (into_id)""",
        """CREATE TABLE erasures (
            customer_hash TEXT NOT NULL,
            erased_at INTEGER NOT NULL,
            events INTEGER NOT NULL
        )""",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)


def now_us() -> int:
    """Return the current time in microseconds since the epoch (UTC)."""
    return time.time_ns() // 1000


class Database:
    """One connection to the log's database, with transactions that are all or nothing."""

    def __init__(self, path: str | Path | None, *, timeout: float = 30.0) -> None:
        self.path = None if path is None or str(path) == ":memory:" else Path(path)
        target = ":memory:" if self.path is None else str(self.path)
        try:
            self.connection = sqlite3.connect(
                target, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self.connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if self.path is not None:
                self.connection.execute("PRAGMA journal_mode = WAL")
                self.connection.execute("PRAGMA synchronous = NORMAL")
            self.connection.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as error:
            msg = f"cannot open the interaction log at {target}: {error}; nothing was changed."
            raise StorageError(msg, path=None if self.path is None else str(self.path)) from error

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one immediate transaction: committed whole or rolled back whole."""
        connection = self.connection
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            msg = f"the interaction log is locked or unwritable: {error}; nothing was stored."
            raise StorageError(msg, path=str(self.path)) from error
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        try:
            connection.execute("COMMIT")
        except sqlite3.DatabaseError as error:
            connection.execute("ROLLBACK")
            msg = f"committing to the interaction log failed: {error}; nothing was stored."
            raise StorageError(msg, path=str(self.path)) from error

    def meta(self, key: str) -> str | None:
        """Read one value from the meta table."""
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _migrate(self) -> None:
        connection = self.connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(_MIGRATIONS[0][0])
            row = connection.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
            version = 0 if row is None else int(row[0])
            self._refuse_newer(version)
            for statements in _MIGRATIONS[version:]:
                for statement in statements:
                    connection.execute(statement)
            if version == 0:
                connection.execute(
                    "INSERT INTO meta VALUES ('salt', ?), ('created_at', ?)",
                    (secrets.token_hex(16), str(now_us())),
                )
            connection.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _refuse_newer(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            msg = (
                f"the interaction log was written by a newer one2one (schema version "
                f"{version}, this one reads up to {SCHEMA_VERSION}); upgrade one2one."
            )
            raise StorageError(msg, path=str(self.path))

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self.connection.close()
