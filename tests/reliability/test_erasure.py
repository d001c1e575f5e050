"""Right to erasure, tested the way someone holding the files would check it: raw bytes.

After ``InteractionLog.forget``, nothing personal of the customer may be readable in the
database file, its ``-wal`` or its ``-shm`` (open or closed), on an SQLite build whose
``secure_delete`` default is off (upstream's default, emulated here), nor in anything the
log exports, nor come back when an old event is re-sent.
"""

import datetime as dt
import sqlite3

import pandas as pd
import pytest

from one2one import errors
from one2one.identify import IdentityResolver, RecordSchema
from one2one.interact import Interaction, InteractionLog

AT = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
ALICE = "alice-cust-7781"
SECRETS = (
    ALICE,
    "alice-old-0042",
    "legacy-7781",
    "alice@example.org",
    "Wonderland",
    "7700 900123",
    "12 Rabbit Hole Lane",
    "order-alice-",
    "offer-for-alice",
)


@pytest.fixture
def secure_delete_off_by_default(monkeypatch):
    """Emulate an SQLite build compiled with secure_delete off (the upstream default)."""
    connect = sqlite3.connect

    def connect_with_default_off(*args, **kwargs):
        connection = connect(*args, **kwargs)
        connection.execute("PRAGMA secure_delete = OFF")
        return connection

    monkeypatch.setattr(sqlite3, "connect", connect_with_default_off)


def _alice_events(customer, prefix, count):
    return [
        Interaction(
            customer_id=customer,
            occurred_at=AT + dt.timedelta(hours=i),
            channel="web",
            kind="purchase" if i % 3 == 0 else "view",
            value=20.0 + i if i % 3 == 0 else None,
            offer_id="offer-for-alice" if i % 5 == 0 else None,
            event_id=f"{prefix}{i:04d}",
            payload={
                "name": "Alice Wonderland",
                "email": "alice@example.org",
                "phone": "+44 7700 900123",
                "address": "12 Rabbit Hole Lane",
                "item": f"sku-{i}",
            },
        )
        for i in range(count)
    ]


def _others(count):
    return [
        Interaction(
            customer_id=f"other-{i % 40}",
            occurred_at=AT + dt.timedelta(minutes=i),
            channel="store",
            kind="purchase",
            value=10.0,
            payload={"note": f"ordinary customer {i}"},
        )
        for i in range(count)
    ]


def _fill(path):
    """A log where Alice is everywhere: events, merges, quarantine raw and repaired."""
    log = InteractionLog(path)
    log.append(_others(300))
    log.append(_alice_events(ALICE, "order-alice-", 120))
    log.append(_alice_events("alice-old-0042", "order-alice-old-", 30))
    log.append(_others(300))
    log.merge(["alice-old-0042"], ALICE)
    # A raw event the log refused: kept in quarantine with Alice's data in it.
    bad = _alice_events(ALICE, "order-alice-fax-", 1)[0].to_dict() | {"channel": "fax"}
    # A second one from a legacy system, under another id, repaired on replay.
    legacy = _alice_events("legacy-7781", "order-alice-legacy-", 1)[0].to_dict()
    legacy |= {"channel": "telex"}
    result = log.append([bad, legacy, *_others(5)], on_invalid="quarantine")
    assert result.quarantined == 2
    legacy_qid = int(log.quarantine().index[-1])

    def repair(raw):
        return raw | {"channel": "web", "customer_id": ALICE}

    log.replay_quarantine(repair, ids=[legacy_qid])
    return log


def _raw_bytes(path):
    found = {}
    for suffix in ("", "-wal", "-shm", "-journal"):
        file = path.with_name(path.name + suffix)
        if file.exists():
            found[file.name] = file.read_bytes()
    return found


def _leaks(path):
    return sorted(
        (name, secret)
        for name, data in _raw_bytes(path).items()
        for secret in SECRETS
        if secret.encode() in data
    )


@pytest.mark.sqlite_only  # SQLite's own file
@pytest.mark.usefixtures("secure_delete_off_by_default")
def test_nothing_personal_survives_in_the_files_open_or_closed(tmp_path):
    path = tmp_path / "log.db"
    log = _fill(path)
    assert _leaks(path)  # the attack can see Alice before the erasure
    total_before = float(log.transactions()["value"].sum())
    receipt = log.forget(ALICE)
    assert receipt.events == 151  # 120 + 30 + the repaired legacy event
    assert receipt.quarantined == 2
    assert receipt.wal_cleared
    assert _leaks(path) == []  # while the log is open
    # totals are kept under an anonymous id
    assert float(log.transactions()["value"].sum()) == pytest.approx(total_before)
    log.append(_others(50))  # and the log keeps working
    log.close()
    assert _leaks(path) == []  # and after it is closed
    with InteractionLog(path) as again:
        assert again.was_forgotten(ALICE)
        assert again.was_forgotten("alice-old-0042")
        assert again.count(ALICE) == 0


@pytest.mark.sqlite_only  # SQLite's own file
def test_a_reader_that_blocks_the_checkpoint_is_reported(tmp_path):
    path = tmp_path / "log.db"
    log = _fill(path)
    reader = sqlite3.connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM events").fetchone()  # holds a snapshot open
    log._db.connection.execute("PRAGMA busy_timeout = 200")
    with pytest.warns(errors.StorageWarning, match="write-ahead log"):
        receipt = log.forget(ALICE)
    assert not receipt.wal_cleared
    reader.rollback()
    reader.close()
    assert log.checkpoint()
    assert _leaks(path) == []
    log.close()


def test_a_late_resend_of_an_erased_event_does_not_bring_it_back(tmp_path):
    log = _fill(tmp_path / "log.db")
    log.forget(ALICE)
    again = log.append(_alice_events(ALICE, "order-alice-", 3))  # a client retrying
    assert (again.stored, again.duplicates) == (0, 3)
    assert log.count(ALICE) == 0
    fresh = log.append(Interaction(customer_id=ALICE, occurred_at=AT, channel="web", kind="visit"))
    assert fresh.stored == 1  # a new event from the same person is new data
    log.close()


def test_exported_frames_and_queries_drop_the_customer(tmp_path):
    log = _fill(tmp_path / "log.db")
    log.forget(ALICE)
    frames = {
        "to_pandas": log.to_pandas(),
        "transactions": log.transactions(),
        "quarantine": log.quarantine(include_replayed=True),
        "history": log.history(ALICE),
        "consent": log.consent.status(ALICE),
    }
    for name, frame in frames.items():
        text = frame.to_csv()
        for secret in SECRETS:
            assert secret not in text, (name, secret)
    assert ALICE not in set(log.cost_to_serve().index.astype(str))
    for event in log.replay():
        assert not any(secret in repr(event) for secret in SECRETS)
    log.close()


def test_a_deletion_answered_by_the_resolver_reaches_the_log(tmp_path):
    schema = RecordSchema(record_id="rec", given_name="given", surname="surname", email="email")
    records = pd.DataFrame(
        {
            "rec": ["r1", "r2", "r3"],
            "given": ["Alice", "Alice", "Bob"],
            "surname": ["Wonderland", "Wonderland", "Builder"],
            "email": ["alice@example.org", "alice@example.org", "bob@example.org"],
        }
    )
    resolver = IdentityResolver.from_records(records, schema)
    alice = resolver.customers()["r1"]
    log = InteractionLog(tmp_path / "log.db")
    log.append(_alice_events(alice, "order-alice-", 5))
    resolver.forget(alice)
    applied = log.apply_identity_events(resolver.events())
    assert applied >= 1
    assert log.was_forgotten(alice)
    assert log.count(alice) == 0
    assert _leaks(tmp_path / "log.db") == []
    log.close()
