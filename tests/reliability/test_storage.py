"""Storage faults and hostile values: typed errors, and nothing stored is lost or doubled.

A full disk, a write the operating system refuses, damaged pages, another application's
database, values built to break encoders, an id re-used for other content, a crash between
two steps of a replay, and a subscriber that fails after a commit.
"""

import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from one2one import errors
from one2one.errors import InvalidBatchError, StorageError
from one2one.interact import Interaction, InteractionLog

AT = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)


def _visits(customer, count, *, size=0):
    return [
        Interaction(
            customer_id=customer,
            occurred_at=AT + dt.timedelta(minutes=i),
            channel="web",
            kind="visit",
            payload={"blob": "x" * size} if size else {},
        )
        for i in range(count)
    ]


def _run(script, *args, env=None, timeout=120):
    return subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


# ----------------------------------------------------------------------------- full disks
@pytest.mark.sqlite_only  # SQLite's own file
def test_a_full_database_is_a_storage_error_naming_the_cause_and_stores_nothing(tmp_path):
    path = tmp_path / "log.db"
    log = InteractionLog(path)
    log.append(_visits("a", 100))
    pages = log._db.connection.execute("PRAGMA page_count").fetchone()[0]
    log._db.connection.execute(f"PRAGMA max_page_count = {pages + 3}")  # the disk is full
    with pytest.raises(StorageError, match="full") as caught:
        log.append(_visits("b", 2_000, size=500))
    assert caught.value.path == str(path)
    assert "nothing" in str(caught.value)
    assert len(log) == 100
    assert log.count("b") == 0
    log.append(_visits("c", 1))  # and the log is usable once there is room
    assert len(log) == 101
    log.close()


@pytest.mark.sqlite_only  # SQLite's own file
def test_a_write_the_operating_system_refuses_is_a_storage_error(tmp_path):
    path = tmp_path / "log.db"
    with InteractionLog(path) as log:
        log.append(_visits("a", 50))
    limit = path.stat().st_size + 64 * 1024
    result = _run(
        """
        import datetime as dt, resource, signal, sys
        from one2one.interact import Interaction, InteractionLog
        from one2one.errors import StorageError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of dying
        limit = int(sys.argv[2])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        at = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
        log = InteractionLog(sys.argv[1])
        try:
            log.append([Interaction(customer_id="b", occurred_at=at, channel="web",
                                    kind="visit", payload={"blob": "y" * 800})
                        for _ in range(5_000)])
        except StorageError as error:
            print("StorageError", error)
        """,
        path,
        limit,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("StorageError"), result.stdout + result.stderr
    assert str(path) in result.stdout
    with InteractionLog(path) as log:
        assert len(log) == 50
        assert log.count("b") == 0


# --------------------------------------------------------------------------- damaged files
@pytest.mark.sqlite_only  # SQLite's own file
@pytest.mark.parametrize("page", [2, 5, 14, 22])  # meta, an index, the keys, events
def test_damaged_pages_are_a_storage_error_never_a_raw_sqlite_error(tmp_path, page):
    path = tmp_path / "log.db"
    with InteractionLog(path) as log:
        for n in range(6):
            log.append(_visits(f"c{n}", 200, size=40))
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big") or 65536
    start = (page - 1) * size
    assert start + size <= len(data)
    data[start + 8 : start + size] = bytes(range(256)) * ((size - 8) // 256) + bytes(
        (size - 8) % 256
    )
    path.write_bytes(bytes(data))
    outcomes = []
    try:
        log = InteractionLog(path)
    except StorageError as error:
        outcomes.append(str(error))
    else:
        with log:
            for read in (
                lambda: len(log),
                log.to_pandas,
                lambda: list(log.replay()),
                lambda: log.history("c3"),
                lambda: log.count("c1"),
                log.cost_to_serve,
                lambda: log.append(_visits("new", 20, size=300)),
                lambda: log.forget("c2"),
            ):
                try:
                    read()
                except StorageError as error:  # any other exception fails the test
                    outcomes.append(str(error))
    assert outcomes  # the damage was noticed, and only ever as a StorageError
    assert all(str(path) in text and "damaged" in text for text in outcomes)


@pytest.mark.sqlite_only  # SQLite's own file
def test_another_applications_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "crm.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)")
    connection.execute("INSERT INTO customers (email) VALUES ('x@example.org')")
    connection.commit()
    connection.close()
    before = path.read_bytes()
    with pytest.raises(StorageError, match="not an interaction log") as caught:
        InteractionLog(path)
    assert caught.value.path == str(path)
    assert path.read_bytes() == before  # no table added, journal mode unchanged
    assert not (tmp_path / "crm.db-wal").exists()


@pytest.mark.sqlite_only  # SQLite's own file
def test_a_file_that_is_no_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("customer_id,email\n1,x@example.org\n" * 200)
    before = path.read_bytes()
    with pytest.raises(StorageError, match="not an SQLite database"):
        InteractionLog(path)
    assert path.read_bytes() == before
    with pytest.raises(StorageError, match="directory"):
        InteractionLog(tmp_path)


def test_a_closed_log_says_so_with_a_typed_error(tmp_path):
    log = InteractionLog(tmp_path / "log.db")
    log.close()
    with pytest.raises(StorageError, match="closed"):
        len(log)
    with pytest.raises(StorageError, match="closed"):
        log.append(_visits("a", 1))


# ---------------------------------------------------------------------------- hostile values
def _hostile():
    deep: dict[str, object] = {}
    inner = deep
    for _ in range(5_000):
        inner["x"] = {}
        inner = inner["x"]
    base = {"occurred_at": AT.isoformat(), "channel": "web", "kind": "purchase"}
    return [
        base | {"customer_id": "bad\udc80id"},  # a lone surrogate
        base | {"customer_id": "big", "value": 10**400},  # beyond float
        base | {"customer_id": "huge", "cost": 10**5000},  # beyond int -> str limits
        base | {"customer_id": "deep", "payload": deep},  # deeper than any recursion limit
        base | {"customer_id": "key", "payload": {"\ud800": 1}},  # a surrogate in a key
        base | {"customer_id": "id", "event_id": "e\udfff"},
        base | {"customer_id": "nul\x00id"},  # PostgreSQL's text cannot hold NUL at all
        base | {"customer_id": "id", "event_id": "e\x00"},
    ]


def test_hostile_values_are_quarantined_with_a_reason_and_the_rest_stored(tmp_path):
    log = InteractionLog(tmp_path / "log.db")
    good = _visits("fine", 3)
    hostile = _hostile()
    result = log.append([good[0], *hostile, *good[1:]], on_invalid="quarantine")
    assert (result.stored, result.quarantined) == (3, len(hostile))
    waiting = log.quarantine()
    assert len(waiting) == len(hostile)
    assert all(reasons for reasons in waiting["reasons"])
    with pytest.raises(InvalidBatchError) as caught:
        log.append(hostile)
    assert [p for p, _, _ in caught.value.problems] == list(range(len(hostile)))
    assert len(log) == 3
    log.close()


# ------------------------------------------------------------------------------ id conflicts
def test_an_event_id_reused_for_other_content_is_a_conflict_and_a_resend_is_not(tmp_path):
    log = InteractionLog(tmp_path / "log.db")
    first = Interaction(
        customer_id="a", occurred_at=AT, channel="web", kind="purchase", value=10.0, event_id="o1"
    )
    log.append(first)
    assert log.append(first).duplicates == 1  # an exact re-send is a silent no-op
    other = Interaction(
        customer_id="a", occurred_at=AT, channel="web", kind="purchase", value=99.0, event_id="o1"
    )
    with pytest.raises(errors.EventConflictError, match="value") as caught:
        log.append([*_visits("b", 2), other])
    assert caught.value.conflicts == ((2, "o1", ("value",)),)
    assert len(log) == 1  # nothing of that batch was stored
    result = log.append([*_visits("b", 2), other], on_invalid="quarantine")
    assert (result.stored, result.duplicates, result.quarantined) == (2, 0, 1)
    assert "o1" in log.quarantine()["reasons"].iloc[0][0]
    within = [first, other]  # the same id twice in one batch, content differing
    with pytest.raises(errors.EventConflictError):
        log.append(within)
    log.close()


# ------------------------------------------------------------------- a crash inside a replay
REPLAY_THEN_DIE = """
import os, sys
from contextlib import contextmanager
from one2one.interact import InteractionLog, _database

write = _database.Database.write

@contextmanager
def write_then_die(self):
    with write(self) as connection:
        yield connection
    os._exit(3)  # the process dies right after the first commit of the replay

log = InteractionLog(sys.argv[1])
_database.Database.write = write_then_die
log.replay_quarantine(lambda raw: raw | {"channel": "web"})
"""


def test_a_crash_right_after_a_commit_inside_a_replay_never_doubles_events(tmp_path):
    path = tmp_path / "log.db"
    with InteractionLog(path) as log:
        batch = [
            {"customer_id": f"c{i}", "occurred_at": AT, "channel": "fax", "kind": "visit"}
            for i in range(40)  # no event ids: the replay must not invent new ones twice
        ]
        assert log.append(batch, on_invalid="quarantine").quarantined == 40
    died = _run(REPLAY_THEN_DIE, path)
    assert died.returncode == 3, died.stderr
    with InteractionLog(path) as log:
        log.replay_quarantine(lambda raw: raw | {"channel": "web"})
        log.replay_quarantine(lambda raw: raw | {"channel": "web"})
        assert len(log) == 40
        assert len(log.quarantine()) == 0


# ---------------------------------------------------------------- subscribers after a commit
def test_a_failing_subscriber_never_makes_a_committed_write_look_failed(tmp_path):
    log = InteractionLog(tmp_path / "log.db")

    def broken(_):
        raise OverflowError("math range error")

    log.subscribe(broken, broken)
    with pytest.warns(errors.StorageWarning, match="was stored"):
        result = log.append(_visits("a", 5))
    assert result.stored == 5
    assert len(log) == 5
    with pytest.warns(errors.StorageWarning, match="erasure is committed"):
        log.forget("a")
    assert log.was_forgotten("a")
    log.close()
