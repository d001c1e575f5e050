"""What only the PostgreSQL backend has: its URL, its schema, its server going away.

The log's behaviour on PostgreSQL is tested by the whole interact and reliability
suites (run on both backends); these tests attack what SQLite does not have.
Schema names are the tests' own random ones, so the SQL built from them is safe.
"""

# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import secrets
import sys
import time

import psycopg
import pytest

from one2one.errors import MissingDependencyError, StorageError
from one2one.interact import Interaction, InteractionLog
from one2one.interact._schema import MIGRATIONS, POSTGRES, SCHEMA_VERSION
from tests.backends import require_postgres, schema_url

AT = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def server() -> str:
    return require_postgres()


@pytest.fixture
def schema(server: str) -> str:
    del server  # a schema needs the server
    return f"lg_{secrets.token_hex(6)}"


def _event(customer: str, event_id: str, value: float = 10.0) -> Interaction:
    return Interaction(
        customer_id=customer,
        occurred_at=AT,
        channel="web",
        kind="purchase",
        value=value,
        event_id=event_id,
        payload={"sku": "A-1"},
    )


def _sql(server: str, *statements: str) -> list[tuple[object, ...]]:
    with psycopg.connect(server, autocommit=True) as connection:
        rows: list[tuple[object, ...]] = []
        for statement in statements:
            cursor = connection.execute(statement)
            if cursor.description is not None:
                rows = cursor.fetchall()
        return rows


def test_a_schema_named_in_the_url_is_created_and_holds_the_log(server, schema):
    with InteractionLog(schema_url(server, schema)) as log:
        assert log.append(_event("c1", "e1")).stored == 1
        assert log.path is None
    tables = _sql(
        server,
        f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}'",
    )
    assert {"events", "meta", "quarantine", "aliases"} <= {str(t[0]) for t in tables}
    version = _sql(server, f"SELECT value FROM {schema}.meta WHERE key = 'schema_version'")
    assert version == [(str(SCHEMA_VERSION),)]


def test_two_logs_in_two_schemas_of_one_database_are_apart(server):
    first, second = (schema_url(server, f"lg_{secrets.token_hex(6)}") for _ in range(2))
    with InteractionLog(first) as a, InteractionLog(second) as b:
        a.append(_event("c1", "e1"))
        assert len(b) == 0
        assert b.append(_event("c1", "e1")).stored == 1  # the same id is new in another log
        assert len(a) == 1


def test_a_schema_holding_other_tables_is_refused_and_left_untouched(server, schema):
    _sql(
        server,
        f"CREATE SCHEMA {schema}",
        f"CREATE TABLE {schema}.customers (id serial PRIMARY KEY, email text)",
        f"INSERT INTO {schema}.customers (email) VALUES ('x@example.org')",
    )
    with pytest.raises(StorageError, match="not an interaction log") as caught:
        InteractionLog(schema_url(server, schema))
    assert "customers" in str(caught.value)
    tables = _sql(
        server,
        f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}'",
    )
    assert [str(t[0]) for t in tables] == ["customers"]
    assert _sql(server, f"SELECT email FROM {schema}.customers") == [("x@example.org",)]


def test_a_log_from_a_newer_one2one_is_refused(server, schema):
    url = schema_url(server, schema)
    InteractionLog(url).close()
    _sql(server, f"UPDATE {schema}.meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StorageError, match="newer one2one"):
        InteractionLog(url)


def test_a_version_one_log_is_migrated_and_keeps_its_events(server, schema):
    # A log as version 1 wrote it: its tables, its rows (an offer stored as inbound).
    version_one = [s.format_map(POSTGRES) for s in MIGRATIONS[0]]
    _sql(
        server,
        f"CREATE SCHEMA {schema}",
        f"SET search_path = {schema}",
    )
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"SET search_path = {schema}")
        for statement in version_one:
            connection.execute(statement)
        connection.execute(
            "INSERT INTO meta VALUES ('schema_version', '1'), ('salt', 'ab'), ('created_at', '1')"
        )
        connection.execute(
            "INSERT INTO events (event_id, customer_id, occurred_at, recorded_at, channel, kind,"
            " direction, value) VALUES ('old-1', 'c1', 1, 1, 'web', 'purchase', 'inbound', 5.0),"
            " ('old-2', 'c1', 2, 2, 'email', 'offer_made', 'inbound', NULL)"
        )
    with InteractionLog(schema_url(server, schema), require_consent=False) as log:
        history = log.history("c1")
        assert list(history["event_id"]) == ["old-1", "old-2"]
        assert list(history["direction"]) == ["inbound", "outbound"]  # version 2's repair
        assert log.append(_event("c1", "new-1")).stored == 1
    version = _sql(server, f"SELECT value FROM {schema}.meta WHERE key = 'schema_version'")
    assert version == [(str(SCHEMA_VERSION),)]


def test_other_urls_are_refused_naming_what_a_log_can_be():
    with pytest.raises(StorageError, match="SQLite file") as caught:
        InteractionLog("mysql://shop:secret@db.example.org/crm")
    assert "postgresql://" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_a_server_that_does_not_answer_is_a_storage_error_without_the_password():
    # A port nobody listens on: the connection is refused at once.
    url = "postgresql://shop:hunter2-secret@127.0.0.1:1/crm"
    with pytest.raises(StorageError, match="cannot open the interaction log") as caught:
        InteractionLog(url)
    assert "hunter2" not in str(caught.value)
    assert caught.value.path is not None
    assert "hunter2" not in caught.value.path


def test_without_the_driver_the_error_says_which_extra_to_install(server, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails
    with pytest.raises(MissingDependencyError, match=r"one2one-marketing\[postgres\]"):
        InteractionLog(server)


def test_a_connection_killed_by_the_server_mid_write_stores_nothing(server, schema):
    url = schema_url(server, schema)
    log = InteractionLog(url)
    log.append(_event("c1", "e1"))

    def killed_mid_write() -> None:
        with log._db.write() as connection:
            connection.execute("INSERT INTO meta VALUES ('probe', ?)", ("1",))
            _terminate(server, connection.raw.info.backend_pid)
            connection.execute("INSERT INTO meta VALUES ('probe-2', ?)", ("2",))

    with pytest.raises(StorageError, match="nothing in this transaction was stored"):
        killed_mid_write()
    log.close()
    with InteractionLog(url) as again:  # the log itself is whole
        assert len(again) == 1
        assert again._db.meta("probe") is None  # the half-done write is gone
        assert again.append([_event("c2", "e2"), _event("c3", "e3")]).stored == 2


def _terminate(server: str, pid: int) -> None:
    """End a server process and wait until it is gone (pg_terminate_backend only signals)."""
    _sql(server, f"SELECT pg_terminate_backend({pid})")
    deadline = time.monotonic() + 10
    while _sql(server, f"SELECT 1 FROM pg_stat_activity WHERE pid = {pid}"):
        assert time.monotonic() < deadline, "the server process did not end"
        time.sleep(0.01)


def _kill(server: str, log: InteractionLog) -> None:
    _terminate(server, log._db.connection.raw.info.backend_pid)


def test_a_read_after_the_server_dropped_the_connection_reconnects(server, schema):
    with InteractionLog(schema_url(server, schema)) as log:
        log.append(_event("c1", "e1"))
        before = log._db.connection.raw.info.backend_pid
        _kill(server, log)
        assert len(log) == 1  # read again on a new connection: nothing to tell the caller
        assert log.history("c1")["event_id"].tolist() == ["e1"]
        assert log._db.connection.raw.info.backend_pid != before


def test_a_write_after_the_server_dropped_the_connection_is_whole_or_absent_then_reconnects(
    server, schema
):
    with InteractionLog(schema_url(server, schema)) as log:
        log.append(_event("c1", "e1"))
        _kill(server, log)
        # Whether the dead connection is found out before the batch begins (then it runs on
        # a new one) or by the batch itself (then it fails whole, saying nothing was
        # stored), nothing is half-written, and the next batch runs on a new connection.
        try:
            stored = log.append([_event("c2", "e2"), _event("c3", "e3")]).stored
        except StorageError as error:
            said = str(error)
            stored = 0
        else:
            said = "nothing in this transaction was stored"
        assert "nothing in this transaction was stored" in said
        assert stored in {0, 2}
        again = log.append([_event("c2", "e2"), _event("c3", "e3")])
        assert (again.stored, again.duplicates) == (2 - stored, stored)
        assert len(log) == 3


def test_a_closed_log_stays_closed(server, schema):
    log = InteractionLog(schema_url(server, schema))
    log.close()
    with pytest.raises(StorageError):
        len(log)
    with pytest.raises(StorageError):
        log.append(_event("c1", "e1"))


def test_a_write_waiting_for_the_lock_sees_the_batch_committed_before_it(server, schema):
    # Two log objects are two connections: the second's write queues behind the first's
    # and then sees its rows (an event id stored by the first is a duplicate).
    url = schema_url(server, schema)
    with InteractionLog(url) as first, InteractionLog(url) as second:
        with first._db.write() as connection:
            connection.execute(
                "INSERT INTO meta VALUES ('probe', ?) ON CONFLICT (key) DO NOTHING", ("1",)
            )
            lock = _sql(
                server,
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted",
            )
            assert lock == [(1,)]
        first.append(_event("c1", "e1"))
        assert second.append(_event("c1", "e1")).duplicates == 1
