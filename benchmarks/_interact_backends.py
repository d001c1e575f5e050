"""The databases under benchmarks/interact.py: one2one's log and the raw baselines, per backend.

Each case runs on SQLite and on PostgreSQL with the same data. What differs
between the two is kept here behind one small interface, :class:`Backend`:
where a log lives (a file, or a schema of its own on the server), how the
raw baselines connect and insert (``sqlite3`` or psycopg, with the same
``INSERT ... ON CONFLICT (event_id) DO NOTHING``, one transaction per
batch), how a big log is built fast (secondary indexes dropped, rows loaded,
indexes rebuilt) and how two logs' rows are compared.

The raw baselines use exactly the schema one2one makes: on SQLite the DDL read
back from a one2one-created file's ``sqlite_master``; on PostgreSQL a schema
created by one2one itself, whose two secondary indexes are dropped and
rebuilt from ``pg_indexes`` when a run wants them after the load.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from one2one.interact import InteractionLog

MiB = 2**20
COLUMNS = (
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
    "recorded_at",
)
# The events table's columns in one2one's order (src/one2one/interact/_rows.py, INSERT).
INSERT = (
    "INSERT INTO events (event_id, customer_id, occurred_at, channel, kind, direction, "
    "value, cost, offer_id, propensity, payload, recorded_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING"
)
SECONDARY = ("events_by_customer", "events_consent")  # one2one's secondary indexes
COMPARED = COLUMNS[:-1]  # every column but recorded_at, which differs by design


class Raw(Protocol):
    """A raw connection of either driver, used as the baselines use it."""

    def close(self) -> None: ...


class Backend(Protocol):
    """Where a case's logs and raw baselines live."""

    name: str
    label: str  # e.g. "SQLite 3.40.1" / "PostgreSQL 15.5"

    def target(self, name: str) -> Any:
        """What ``InteractionLog(...)`` opens for the log called ``name``."""

    def remove(self, name: str) -> None:
        """Delete the log called ``name`` (file or schema), if present."""

    def raw(self, name: str) -> Any:
        """A raw connection to the log called ``name`` (it must exist)."""

    def fresh_raw(self, name: str, *, late_indexes: bool) -> Any:
        """A raw connection to a new, empty events table with one2one's schema."""

    def insert_batches(self, raw: Any, batches: Iterable[Sequence[tuple[Any, ...]]]) -> None:
        """Raw executemany of each batch in a transaction of its own."""

    def create_indexes(self, raw: Any) -> None:
        """Build the secondary indexes dropped by ``fresh_raw(late_indexes=True)``."""

    def fetchall(self, raw: Any, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run a ``?``-placeholder query and return its rows."""

    def build_begin(self, name: str) -> Any:
        """Start a fast build: a one2one log without secondary indexes; a raw connection."""

    def build_rows(self, raw: Any, rows: list[tuple[Any, ...]]) -> None:
        """Load rows into a log being built."""

    def build_end(self, raw: Any) -> None:
        """Rebuild the indexes, settle the log (checkpoint / vacuum, analyze), close."""

    def size_mib(self, name: str) -> float:
        """The log's size on disk."""

    def same_rows(self, a: str, b: str) -> str:
        """Compare two logs' event tables row by row (``recorded_at`` aside)."""

    def close(self) -> None:
        """Release the backend's own connections."""


# --- SQLite ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SqliteSchema:
    table: str
    indexes: tuple[str, ...]  # secondary indexes (the UNIQUE event_id one comes with the table)


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def sqlite_connect(path: Path) -> sqlite3.Connection:
    """A connection with one2one's settings (src/one2one/interact/_database.py)."""
    connection = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    connection.execute("PRAGMA busy_timeout = 30000")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def sqlite_insert_batches(
    connection: sqlite3.Connection, batches: Iterable[Sequence[tuple[Any, ...]]]
) -> None:
    for batch in batches:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(INSERT, batch)
        connection.execute("COMMIT")


class SqliteBackend:
    """File-backed logs (WAL, ``synchronous=NORMAL``) in a temporary directory."""

    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.label = f"SQLite {sqlite3.sqlite_version}"
        self.schema = self._schema()

    def _schema(self) -> SqliteSchema:
        """The events table's DDL exactly as one2one creates it, read from sqlite_master."""
        path = self.directory / "schema.db"
        InteractionLog(path).close()
        connection = sqlite3.connect(path)
        try:
            table = connection.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'"
            ).fetchone()[0]
            indexes = tuple(
                row[0]
                for row in connection.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' "
                    "AND sql IS NOT NULL ORDER BY name"
                )
            )
        finally:
            connection.close()
        remove_database(path)
        return SqliteSchema(table, indexes)

    def target(self, name: str) -> Path:
        return self.directory / f"{name}.db"

    def remove(self, name: str) -> None:
        remove_database(self.target(name))

    def raw(self, name: str) -> sqlite3.Connection:
        return sqlite_connect(self.target(name))

    def fresh_raw(self, name: str, *, late_indexes: bool) -> sqlite3.Connection:
        self.remove(name)
        connection = self.raw(name)
        connection.execute(self.schema.table)
        if not late_indexes:
            self.create_indexes(connection)
        return connection

    def insert_batches(
        self, raw: sqlite3.Connection, batches: Iterable[Sequence[tuple[Any, ...]]]
    ) -> None:
        sqlite_insert_batches(raw, batches)

    def create_indexes(self, raw: sqlite3.Connection) -> None:
        for ddl in self.schema.indexes:
            raw.execute(ddl)

    def fetchall(self, raw: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return raw.execute(sql, params).fetchall()

    def build_begin(self, name: str) -> sqlite3.Connection:
        self.remove(name)
        InteractionLog(self.target(name)).close()  # schema, meta and salt as one2one makes them
        connection = self.raw(name)
        for index in SECONDARY:
            connection.execute(f"DROP INDEX {index}")
        return connection

    def build_rows(self, raw: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
        sqlite_insert_batches(raw, [rows[i : i + 100_000] for i in range(0, len(rows), 100_000)])

    def build_end(self, raw: sqlite3.Connection) -> None:
        self.create_indexes(raw)
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()

    def size_mib(self, name: str) -> float:
        path = self.target(name)
        files = [Path(f"{path}{s}") for s in ("", "-wal")]
        return sum(f.stat().st_size for f in files if f.exists()) / MiB

    def same_rows(self, a: str, b: str) -> str:
        connection = sqlite3.connect(self.target(a))
        try:
            connection.execute("ATTACH DATABASE ? AS other", (str(self.target(b)),))
            count_a = connection.execute("SELECT count(*) FROM main.events").fetchone()[0]
            count_b = connection.execute("SELECT count(*) FROM other.events").fetchone()[0]
            differ = connection.execute(
                "SELECT count(*) FROM main.events x JOIN other.events y USING (seq) WHERE "  # noqa: S608 (fixed column names)
                + " OR ".join(f"x.{c} IS NOT y.{c}" for c in COMPARED)
            ).fetchone()[0]
        finally:
            connection.close()
        return verdict(count_a, count_b, differ)

    def close(self) -> None:
        pass


def verdict(count_a: int, count_b: int, differ: int) -> str:
    if count_a == count_b and differ == 0:
        return f"identical ({count_a:,} rows, recorded_at aside)"
    return f"DIFFERENT: {count_a:,} vs {count_b:,} rows, {differ:,} rows differ"


# --- PostgreSQL --------------------------------------------------------------------------
def dialect(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (the benchmark's SQL has no literal ``%``)."""
    return sql.replace("?", "%s")


class PostgresBackend:
    """Logs in schemas of their own (``bench_<name>``) of one database on a server."""

    name = "postgres"

    def __init__(self, url: str) -> None:
        import psycopg  # noqa: PLC0415 (only when Postgres is benchmarked)

        self.psycopg = psycopg
        self.url = url
        self.admin = psycopg.connect(url, autocommit=True)
        version = self.admin.execute("SHOW server_version").fetchone()
        fsync = self.admin.execute("SHOW fsync").fetchone()
        commit = self.admin.execute("SHOW synchronous_commit").fetchone()
        self.label = (
            f"PostgreSQL {version[0] if version else '?'} (fsync={fsync[0] if fsync else '?'}, "
            f"synchronous_commit={commit[0] if commit else '?'}), psycopg {psycopg.__version__}"
        )
        self.fsync = bool(fsync and fsync[0] == "on")

    @staticmethod
    def schema(name: str) -> str:
        return f"bench_{name}"

    def target(self, name: str) -> str:
        separator = "&" if "?" in self.url else "?"
        return f"{self.url}{separator}options={quote('-csearch_path=' + self.schema(name))}"

    def remove(self, name: str) -> None:
        self.admin.execute(f'DROP SCHEMA IF EXISTS "{self.schema(name)}" CASCADE')

    def raw(self, name: str) -> Any:
        return self.psycopg.connect(self.target(name), autocommit=True)

    def fresh_raw(self, name: str, *, late_indexes: bool) -> Any:
        self.remove(name)
        InteractionLog(self.target(name)).close()  # the DDL is one2one's own
        connection = self.raw(name)
        self._indexes = self._index_ddl(connection)
        if late_indexes:
            for index in SECONDARY:
                connection.execute(f"DROP INDEX {index}")
        return connection

    def _index_ddl(self, raw: Any) -> list[str]:
        rows = raw.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexname = ANY(%s) ORDER BY indexname",
            (list(SECONDARY),),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def insert_batches(self, raw: Any, batches: Iterable[Sequence[tuple[Any, ...]]]) -> None:
        sql = dialect(INSERT)
        with raw.cursor() as cursor:
            for batch in batches:
                with raw.transaction():
                    cursor.executemany(sql, batch)

    def copy_batches(self, raw: Any, batches: Iterable[Sequence[tuple[Any, ...]]]) -> None:
        """``COPY`` each batch in a transaction of its own: the server's limit (no conflicts)."""
        statement = f"COPY events ({', '.join(COLUMNS)}) FROM STDIN"
        with raw.cursor() as cursor:
            for batch in batches:
                with raw.transaction(), cursor.copy(statement) as copy:
                    for row in batch:
                        copy.write_row(row)

    def create_indexes(self, raw: Any) -> None:
        for ddl in self._indexes:
            raw.execute(ddl)

    def fetchall(self, raw: Any, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return raw.execute(dialect(sql), params).fetchall()  # type: ignore[no-any-return]

    def build_begin(self, name: str) -> Any:
        return self.fresh_raw(name, late_indexes=True)

    def build_rows(self, raw: Any, rows: list[tuple[Any, ...]]) -> None:
        self.copy_batches(raw, [rows[i : i + 100_000] for i in range(0, len(rows), 100_000)])

    def build_end(self, raw: Any) -> None:
        self.create_indexes(raw)
        raw.execute("VACUUM (ANALYZE) events")  # hint bits set, statistics fresh
        raw.close()

    def size_mib(self, name: str) -> float:
        row = self.admin.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'",
            (self.schema(name),),
        ).fetchone()
        return float(row[0]) / MiB if row else 0.0

    def same_rows(self, a: str, b: str) -> str:
        x, y = self.schema(a), self.schema(b)
        count = 'SELECT count(*) FROM "{}".events'
        count_a = self.admin.execute(count.format(x)).fetchone()[0]
        count_b = self.admin.execute(count.format(y)).fetchone()[0]
        differ = self.admin.execute(
            f'SELECT count(*) FROM "{x}".events x JOIN "{y}".events y USING (seq) WHERE '  # noqa: S608
            + " OR ".join(f"x.{c} IS DISTINCT FROM y.{c}" for c in COMPARED)
        ).fetchone()[0]
        return verdict(count_a, count_b, differ)

    def close(self) -> None:
        self.admin.close()
