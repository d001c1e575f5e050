"""Erasure reaches copies: a copy of the log taken before ``forget`` cannot be read after it.

Deleted rows linger (PostgreSQL keeps them until VACUUM, in its write-ahead log, in
replicas and backups; an SQLite file is copied whole). With the customer keys in a key
store of their own (``key_store=``), kept out of the log's backups, ``forget`` destroys
the customer's keys and with them every copy of their payloads: the copy is read here
with the live key store and the right master key, and the erased customer's payloads
read as erased while everyone else's read in full.
"""

import datetime as dt
import json
import secrets
import shutil
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from one2one.errors import StorageError
from one2one.interact import Interaction, InteractionLog
from one2one.interact._schema import TABLES
from tests.backends import schema_url

AT = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
MASTER = bytes(range(100, 132))


def _events(customer, count, start=0):
    return [
        Interaction(
            customer_id=customer,
            occurred_at=AT + dt.timedelta(hours=start + n),
            channel="web",
            kind="purchase",
            value=10.0 + n,
            event_id=f"{customer}-{start + n}",
            payload={"email": f"{customer}@example.org", "currency": "EUR", "n": start + n},
        )
        for n in range(count)
    ]


def _copy(backend, log, path, name):
    """Copy the log's database as a backup would; return what opens the copy."""
    if backend.name == "sqlite":
        assert log.checkpoint()
        copy = path.with_name(name)
        shutil.copyfile(path, copy)
        return copy
    import psycopg  # noqa: PLC0415 (only on the PostgreSQL run)
    from psycopg import sql  # noqa: PLC0415

    schema = f"copy_{secrets.token_hex(6)}"
    with psycopg.connect(backend.target(path), autocommit=True) as connection:
        source = connection.execute("SELECT current_schema()").fetchone()[0]
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        for table in sorted(TABLES):
            into, old = sql.Identifier(schema, table), sql.Identifier(source, table)
            connection.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(into, old))
            connection.execute(sql.SQL("INSERT INTO {} SELECT * FROM {}").format(into, old))
    return schema_url(backend.url, schema)


def _sealed(backend, target, customer):
    """The stored payload text of a customer's events, read from the copy directly."""
    query = "SELECT payload FROM events WHERE customer_id = ? ORDER BY seq"
    if backend.name == "sqlite":
        connection = sqlite3.connect(target)
        try:
            return [row[0] for row in connection.execute(query, (customer,))]
        finally:
            connection.close()
    import psycopg  # noqa: PLC0415

    with psycopg.connect(target) as connection:
        rows = connection.execute(query.replace("?", "%s"), (customer,)).fetchall()
    return [row[0] for row in rows]


def test_a_copy_taken_before_forget_cannot_be_read_for_the_erased_customer(backend, tmp_path):
    path, keys = tmp_path / "log.db", tmp_path / "keys.db"
    with InteractionLog(path, key_store=keys, master_key=MASTER) as log:
        log.append(_events("alice-1", 3) + _events("alice-2", 2) + _events("bob", 3))
        log.merge(["alice-2"], "alice-1")
        backup = _copy(backend, log, path, "backup.db")
        key_backup = _copy(backend, log._key_store._storage, keys, "keys-backup.db")
        receipt = log.forget("alice-2")
        assert receipt.events == 5
    assert len(_sealed(backend, backup, "alice-1")) == 3  # the copy still holds the rows...
    assert all(text.startswith("o2o1:") for text in _sealed(backend, backup, "alice-2"))
    with InteractionLog(backup, key_store=keys, master_key=MASTER) as copy:
        frame = copy.to_pandas()
        alice = frame[frame["customer_id"] == "alice-1"]  # merged ids read as the survivor
        bob = frame[frame["customer_id"] == "bob"]
        assert len(alice) == 5
        assert alice["payload"].isna().all()  # ...but not what they said
        assert bob["payload"].tolist() == [e.payload for e in _events("bob", 3)]
        assert all(not e.payload for e in copy.replay() if e.customer_id.startswith("alice"))
        assert [json.loads(r[7]) for r in copy._rows_of(["bob"])] == [
            e.payload for e in _events("bob", 3)
        ]
        assert copy.history("alice-2")["payload"].isna().all()
    # The control: a copy of the key store taken with the backup still opens it, which is
    # why the key store must stay out of the log's backups (or be kept a short time).
    with InteractionLog(backup, key_store=key_backup, master_key=MASTER) as copy:
        assert copy.history("alice-1")["payload"].notna().all()


def test_a_log_opened_without_its_key_store_is_refused_not_read_as_erased(tmp_path):
    path, keys = tmp_path / "log.db", tmp_path / "keys.db"
    with InteractionLog(path, key_store=keys) as log:
        log.append(_events("bob", 1))
    with pytest.raises(StorageError, match=r"live in a key store of its own.*key_store="):
        InteractionLog(path)
    with pytest.raises(StorageError, match="key_store="):
        InteractionLog(path, key_store=tmp_path / "other-keys.db")
    with InteractionLog(path, key_store=keys) as log:
        assert log.history("bob")["payload"].tolist() == [_events("bob", 1)[0].payload]


@pytest.mark.filterwarnings("ignore::one2one.errors.StorageWarning")  # a checkpoint kept busy
def test_a_forget_racing_appends_in_another_process_never_strands_an_event(backend, tmp_path):
    path, keys = tmp_path / "log.db", tmp_path / "keys.db"
    target, key_target = backend.target(path), backend.target(keys)
    InteractionLog(target, key_store=key_target).close()
    script = textwrap.dedent(
        """
        import datetime as dt, sys
        from one2one.interact import Interaction, InteractionLog
        at = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
        with InteractionLog(sys.argv[1], key_store=sys.argv[2]) as log:
            for n in range(30):
                log.append([Interaction(customer_id="carol", occurred_at=at, channel="web",
                            kind="view", event_id=f"w{n}-{m}", payload={"n": n})
                            for m in range(5)])
        """
    )
    writer = subprocess.Popen([sys.executable, "-c", script, str(target), str(key_target)])  # noqa: S603
    with InteractionLog(target, key_store=key_target) as log:
        while writer.poll() is None:
            log.forget("carol")
        assert writer.wait() == 0
        left = log.history("carol")
        # Every event stored after the last erasure reads: none is sealed under a dead key.
        assert left["payload"].notna().all()
        assert left["payload"].map(lambda p: set(p) == {"n"}).all()
