"""The PostgreSQL database under the interaction log, for many workers on many hosts.

The second backend behind :class:`~one2one.interact._storage.Storage`: the
log's parts run their SQL here unchanged, and the schema and its migrations
are the SQLite backend's (:mod:`._schema`). What differs is kept here:

- *One writer at a time per log.* A write takes a transaction-level
  advisory lock keyed by the log's schema before its first statement, so
  writers queue exactly as they do behind SQLite's ``BEGIN IMMEDIATE``: the
  reads a write makes (consent, the contact policy, merged ids) see every
  batch committed before it, and two merges or a merge and an erasure never
  interleave. Readers never wait. The lock is released by commit or
  rollback, so a worker killed mid-batch frees it with its connection.
- *One connection per log*, in autocommit mode between writes: every read
  is its own statement, every write one transaction.
- *A log per schema.* The connection's schema (``search_path``) holds the
  log, so one database can hold several logs; a schema named by the URL is
  created if it does not exist. A schema holding other tables is refused,
  untouched.
- *Placeholders.* The parts write ``?``; psycopg takes ``%s``. The
  translation is cached per statement.
- *Large batches of events go in by COPY.* Inserting 10,000 events one
  statement per row (even pipelined) costs the server an executor run per
  row; a batch of events is instead copied into a session-local staging
  table and moved by one ``INSERT ... SELECT ... ORDER BY`` with the same
  ``ON CONFLICT (event_id) DO NOTHING``, so the rows, their order (``seq``)
  and the conflict rule are those of the plain statement, for about 40% less
  processor time (client and server together; benchmarks/interact.py).
- *Typed errors.* Every driver failure reaches the caller as
  :class:`~one2one.errors.StorageError` naming the server (never the
  password) and the cause.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import MissingDependencyError, StorageError
from ._rows import COLUMNS, INSERT, now_us
from ._schema import POSTGRES, SCHEMA_VERSION, TABLES, statements

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresDatabase", "PostgresWatch", "is_postgres_url", "redact"]

_SCHEMES = ("postgresql://", "postgres://")
# A field of JSON text, or NULL when the text is not JSON (a quarantined event may hold
# NaN, which PostgreSQL's JSON refuses): PostgreSQL 15 has no IS JSON test to guard a cast.
_JSON_TEXT = """CREATE OR REPLACE FUNCTION one2one_json_text(doc TEXT, field TEXT)
RETURNS TEXT LANGUAGE plpgsql IMMUTABLE AS $body$
BEGIN
    RETURN doc::jsonb ->> field;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$body$"""


def is_postgres_url(target: object) -> bool:
    """Return whether ``target`` names a PostgreSQL database (a ``postgresql://`` URL)."""
    return isinstance(target, str) and target.lower().startswith(_SCHEMES)


def redact(url: str) -> str:
    """Return ``url`` without its password, for messages and reprs."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


@lru_cache(maxsize=512)
def _dialect(sql: str) -> str:
    """Return the parts' SQL with psycopg's placeholders (``?`` -> ``%s``, ``%`` -> ``%%``)."""
    return sql.replace("%", "%%").replace("?", "%s")


# Batches of events at least this large are staged by COPY (below it, plain executemany).
_STAGE_FROM = 100
_STAGED = "one2one_staged_events"  # a temporary table: one per session, emptied at commit
_COLUMNS = ", ".join((*COLUMNS, "recorded_at"))  # INSERT's columns, in its order
# The events table's column types, whatever migrations made them; ord keeps batch order.
_STAGE_TABLE = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGED} ON COMMIT DELETE ROWS AS "  # noqa: S608 (fixed names)
    f"SELECT {_COLUMNS}, 0::BIGINT AS ord FROM events WITH NO DATA"
)
_STAGE_COPY = f"COPY {_STAGED} ({_COLUMNS}, ord) FROM STDIN"
# The staged rows leave the staging table as they go in, so a second batch in the same
# transaction starts from an empty table; ORDER BY gives them their seq in batch order.
_STAGE_INSERT = (
    f"WITH batch AS (DELETE FROM {_STAGED} RETURNING *) "  # noqa: S608 (fixed names)
    f"INSERT INTO events ({_COLUMNS}) SELECT {_COLUMNS} FROM batch ORDER BY ord "
    "ON CONFLICT (event_id) DO NOTHING"
)


def _psycopg() -> Any:
    try:
        import psycopg  # noqa: PLC0415 (optional dependency, imported when a URL is opened)
    except ImportError as error:
        msg = (
            "a PostgreSQL interaction log needs the psycopg driver: "
            "pip install 'one2one-marketing[postgres]'"
        )
        raise MissingDependencyError(msg, extra="postgres") from error
    return psycopg


class _Cursor:
    """The rows of one statement (fetched whole by the driver, so fetching cannot fail)."""

    __slots__ = ("_cursor", "_rowcount")

    def __init__(self, cursor: psycopg.Cursor[Any], rowcount: int | None = None) -> None:
        self._cursor = cursor
        self._rowcount = rowcount

    @property
    def rowcount(self) -> int:
        return max(self._cursor.rowcount if self._rowcount is None else self._rowcount, 0)

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description is not None else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor.description is not None else []


class Connection:
    """The log's PostgreSQL connection, raising :class:`StorageError` for every failure."""

    __slots__ = ("raw", "revive", "staging", "url", "writing")

    def __init__(
        self,
        raw: psycopg.Connection[Any],
        url: str,
        revive: Callable[[], bool] | None = None,
    ) -> None:
        self.raw = raw
        self.url = url
        self.revive = revive  # opens a new connection when this one was lost (see below)
        self.writing = False
        # The staging table: "" not made, "new" made in the open write, "made" committed.
        self.staging = ""

    def fail(self, error: Exception) -> StorageError:
        """Turn a driver error into the typed error a caller can act on."""
        tail = "; nothing in this transaction was stored." if self.writing else "."
        cause = str(error).strip().rstrip(".") or type(error).__name__
        msg = f"the interaction log at {self.url} failed: {cause}{tail}"
        return StorageError(msg, path=self.url)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> _Cursor:
        """Run one statement.

        A read outside a write whose connection the server dropped (a
        restart, an idle timeout) runs again once on a new connection: a
        read changes nothing, so trying it again is safe. A write is never
        retried here (its transaction died with the connection).
        """
        psycopg = _psycopg()
        text = _dialect(sql) if parameters else sql  # nothing bound: the text goes as written
        try:
            return _Cursor(self.raw.execute(text, parameters or None))
        except psycopg.Error as error:
            if not self.writing and self._revived():
                try:
                    return _Cursor(self.raw.execute(text, parameters or None))
                except psycopg.Error as again:
                    raise self.fail(again) from again
            raise self.fail(error) from error

    def _revived(self) -> bool:
        """Replace a connection the server dropped; return whether there is a new one."""
        if not (self.raw.closed or self.raw.broken) or self.revive is None:
            return False
        return self.revive()

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> _Cursor:
        """Run one statement for many rows (pipelined: one round trip for the batch).

        A large batch of events inside a write is staged by COPY instead (see
        the module's docstring); the result is the same.
        """
        psycopg = _psycopg()
        batch = list(rows)
        try:
            if sql == INSERT and self.writing and len(batch) >= _STAGE_FROM:
                return self._insert_staged(batch)
            cursor = self.raw.cursor()
            cursor.executemany(_dialect(sql), batch)
        except psycopg.Error as error:
            raise self.fail(error) from error
        return _Cursor(cursor)

    def select_in(self, sql: str, keys: Sequence[str]) -> list[Any]:
        """Run ``sql`` with ``{}`` bound to all the text ``keys`` as one array (one round trip).

        ``IN (SELECT unnest(array))``, not ``= ANY(array)``: the planner then
        looks each key up in the index, where ``ANY`` over many keys may scan.
        """
        return self.execute(sql.format("SELECT unnest(?::text[])"), (list(keys),)).fetchall()

    def _insert_staged(self, rows: list[Sequence[Any]]) -> _Cursor:
        """Insert events as :data:`INSERT` would, by COPY into the staging table and one move."""
        cursor = self.raw.cursor()
        if not self.staging:
            cursor.execute(_STAGE_TABLE)
            self.staging = "new"  # kept by the write's commit, forgotten by its rollback
        with cursor.copy(_STAGE_COPY) as copy:
            for position, row in enumerate(rows):
                copy.write_row((*row, position))
        cursor.execute(_STAGE_INSERT)
        return _Cursor(cursor, cursor.rowcount)


def _close(raw: psycopg.Connection[Any]) -> None:
    raw.close()


class PostgresDatabase:
    """One connection to a log on a PostgreSQL server, with all-or-nothing writes.

    Parameters
    ----------
    url
        A libpq URL, ``postgresql://user@host:port/database``. To keep the
        log in a schema of its own, add
        ``?options=-csearch_path%3Dmy_schema`` (created if absent).
    synchronous
        ``"normal"``: the server's own ``synchronous_commit`` (on, unless the
        server was set otherwise). ``"full"``: on, whatever the server's
        default.
    timeout
        Seconds to wait for the server when connecting.
    """

    path: Path | None = None

    def __init__(self, url: str, *, synchronous: str = "normal", timeout: float = 30.0) -> None:
        psycopg = _psycopg()
        self.url = redact(url)
        try:
            raw = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)))
        except psycopg.Error as error:
            msg = f"cannot open the interaction log at {self.url}: {str(error).strip()}."
            raise StorageError(msg, path=self.url) from error
        self._target = url
        self._timeout = max(1, int(timeout))
        self._synchronous = synchronous
        self._closed = False
        me = weakref.ref(self)  # the connection must not keep its database alive

        def revive() -> bool:
            database = me()
            return database is not None and database._reconnect()  # noqa: SLF001

        self.connection = Connection(raw, self.url, revive)
        self._finalizer = weakref.finalize(self, _close, raw)
        try:
            if synchronous == "full":
                self.connection.execute("SET synchronous_commit = on")
            self.schema = self._schema()
            digest = hashlib.blake2b(f"one2one:{self.schema}".encode(), digest_size=8)
            self._lock_key = int.from_bytes(digest.digest(), "big", signed=True)
            self._channel = f"one2one_{digest.hexdigest()}"
            self._migrate()
        except BaseException:
            self.close()
            raise

    def _schema(self) -> str:
        """Return the schema the log lives in, creating the one the URL names if absent."""
        row = self.connection.execute("SELECT current_schema()").fetchone()
        if row is not None and row[0] is not None:
            return str(row[0])
        path = self.connection.execute("SHOW search_path").fetchone()
        first = str(path[0]).split(",")[0].strip().strip('"') if path else ""
        if not first or first.startswith("$"):
            msg = (
                f"the interaction log at {self.url} has no schema to live in "
                f"(search_path: {path[0] if path else ''!r}); name one in the URL's options."
            )
            raise StorageError(msg, path=self.url)
        psycopg = _psycopg()
        create = psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
            psycopg.sql.Identifier(first)
        )
        try:
            self.connection.raw.execute(create)
        except psycopg.errors.UniqueViolation:
            pass  # another worker created it a moment ago
        except psycopg.Error as error:
            raise self.connection.fail(error) from error
        return first

    def _tables(self) -> set[str]:
        rows = self.connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
            (self.schema,),
        ).fetchall()
        return {str(row[0]) for row in rows}

    def _refuse_foreign(self, tables: set[str]) -> None:
        """Refuse, untouched, a schema holding some other application's tables."""
        if not tables:
            return
        if "meta" in tables and tables <= TABLES:
            row = self.connection.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
            if row is not None:
                return
        shown = ", ".join(sorted(tables)[:8])
        msg = (
            f"schema {self.schema!r} at {self.url} is not an interaction log (tables: {shown}); "
            "one2one opens only its own logs and changed nothing. Give the log a schema of "
            "its own (?options=-csearch_path%3Dname in the URL)."
        )
        raise StorageError(msg, path=self.url)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """Run the block in one transaction holding the log's write lock.

        The lock is taken, and followers are told (``NOTIFY``, delivered at
        commit only), in the transaction's first statement. A connection the
        server dropped since the last call is replaced before the write
        begins, so a server restart between two batches costs nothing.
        """
        psycopg = _psycopg()
        connection = self.connection
        connection._revived()  # noqa: SLF001 (same module)
        connection.writing = True
        committed = False
        try:
            with connection.raw.transaction():
                connection.execute(
                    "SELECT pg_advisory_xact_lock(?), pg_notify(?, '')",
                    (self._lock_key, self._channel),
                )
                yield connection
            committed = True
        except psycopg.Error as error:  # BEGIN or COMMIT failed: the server rolled back
            raise connection.fail(error) from error
        finally:
            connection.writing = False
            if connection.staging == "new":  # made in this write: kept only if it committed
                connection.staging = "made" if committed else ""

    def checkpoint(self) -> bool:
        """Vacuum the log's tables, so the server drops the erased rows' old versions.

        Copies outside the tables (the server's write-ahead log, replicas,
        backups) keep them until they roll over; the personal payload in
        them is encrypted under a key :meth:`InteractionLog.forget` destroyed.
        """
        try:
            self.connection.raw.execute(
                "VACUUM events, quarantine, aliases, erased_events, customer_keys"
            )
        except _psycopg().Error:
            return False
        return True

    def json_text(self, column: str, key: str) -> str:
        """Return SQL for field ``key`` of the JSON in ``column``, as text (NULL if no JSON)."""
        return f"one2one_json_text({column}, '{key}')"

    def meta(self, key: str) -> str | None:
        """Read one value from the meta table."""
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _migrate(self) -> None:
        with self.write() as connection:
            self._refuse_foreign(self._tables())
            connection.execute(statements(0, POSTGRES)[0])
            row = connection.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
            version = 0 if row is None else int(row[0])
            if version > SCHEMA_VERSION:
                msg = (
                    f"the interaction log was written by a newer one2one (schema version "
                    f"{version}, this one reads up to {SCHEMA_VERSION}); upgrade one2one."
                )
                raise StorageError(msg, path=self.url)
            if version == SCHEMA_VERSION:
                return
            for statement in statements(version, POSTGRES):
                connection.raw.execute(statement)
            connection.raw.execute(_JSON_TEXT)
            if version == 0:
                connection.execute(
                    "INSERT INTO meta VALUES ('salt', ?), ('created_at', ?)",
                    (secrets.token_hex(16), str(now_us())),
                )
            connection.execute(
                "INSERT INTO meta VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )

    def _reconnect(self) -> bool:
        """Open a new connection in place of one the server dropped (never after close())."""
        if self._closed:
            return False
        psycopg = _psycopg()
        try:
            raw = psycopg.connect(self._target, autocommit=True, connect_timeout=self._timeout)
            if self._synchronous == "full":
                raw.execute("SET synchronous_commit = on")
        except psycopg.Error:
            return False  # the caller reports the original failure
        self._finalizer()  # the dead connection
        self._finalizer = weakref.finalize(self, _close, raw)
        self.connection.raw = raw
        self.connection.staging = ""  # temporary tables died with the old session
        return True

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._closed = True
        self._finalizer()

    # ------------------------------------------------------------- followers
    def channel(self) -> str:
        """Return the ``NOTIFY`` channel of this log: one per schema (a short hash of its name).

        Every write notifies it inside its transaction: the server delivers
        the notification only if the transaction commits, after it is
        visible, so a follower woken by it reads the write (and a rolled-back
        write wakes no one).
        """
        return self._channel

    def _connect_again(self, *, autocommit: bool) -> psycopg.Connection[Any]:
        """Open another connection to the same database and schema (for a listener or a stream)."""
        driver = _psycopg()
        info = self.connection.raw.info
        extra = {"password": info.password} if info.password else {}
        try:
            raw: psycopg.Connection[Any] = driver.connect(info.dsn, autocommit=autocommit, **extra)
        except driver.Error as error:
            msg = f"cannot open another connection to the interaction log at {self.url}: {error}."
            raise StorageError(msg, path=self.url) from error
        return raw

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """Run the block's reads in one read-only, repeatable-read transaction (one state).

        Inside a write, the block simply reads what the write sees.
        """
        psycopg = _psycopg()
        connection = self.connection
        if connection.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            yield connection
            return
        try:
            with connection.raw.transaction():
                connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield connection
        except psycopg.Error as error:
            raise connection.fail(error) from error

    def watch(self, *, poll_interval: float = 0.05) -> PostgresWatch:  # noqa: ARG002 (pushed, not polled)
        """Return a watch listening on the log's channel, on a connection of its own."""
        return PostgresWatch(self._connect_again(autocommit=True), self.channel(), self.url)

    def stream(self, sql: str, parameters: Sequence[Any], batch_size: int) -> Iterator[list[Any]]:
        """Yield the rows of one query, ``batch_size`` at a time, from a server-side cursor.

        The cursor lives on a connection of its own, in a read-only
        transaction: the server keeps the result and sends it a batch at a
        time, and the log's own connection stays free for writes while the
        caller works through the rows. Closing the iterator early closes it.
        """
        psycopg = _psycopg()
        raw = self._connect_again(autocommit=False)
        try:
            raw.execute("SET TRANSACTION READ ONLY")
            with raw.cursor(name="one2one_stream") as cursor:
                cursor.itersize = batch_size
                if parameters:
                    cursor.execute(_dialect(sql), parameters)
                else:
                    cursor.execute(sql)
                while rows := cursor.fetchmany(batch_size):
                    yield rows
        except psycopg.Error as error:
            raise self.connection.fail(error) from error
        finally:
            raw.close()


class PostgresWatch:
    """Wakes a follower at each commit to the log, by ``LISTEN`` on a connection of its own."""

    def __init__(self, raw: psycopg.Connection[Any], channel: str, url: str) -> None:
        psycopg = _psycopg()
        self._raw = raw
        self._url = url
        try:
            raw.execute(psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(channel)))
        except psycopg.Error as error:
            raw.close()
            msg = f"cannot listen for changes to the interaction log at {url}: {error}."
            raise StorageError(msg, path=url) from error
        self._finalizer = weakref.finalize(self, _close, raw)

    def wait(self, timeout: float | None) -> bool:
        """Block until a commit since the last wait (``True``) or ``timeout`` seconds (``False``).

        Notifications that arrived meanwhile are taken together: one wake-up
        for every commit since the last wait.
        """
        psycopg = _psycopg()
        try:
            woken = any(True for _ in self._raw.notifies(timeout=timeout, stop_after=1))
            if woken:
                for _ in self._raw.notifies(timeout=0.0):
                    pass
        except psycopg.Error as error:
            msg = f"lost the connection listening to the interaction log at {self._url}: {error}."
            raise StorageError(msg, path=self._url) from error
        return woken

    def close(self) -> None:
        """Close the listening connection (idempotent)."""
        self._finalizer()
