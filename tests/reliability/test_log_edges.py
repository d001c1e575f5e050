"""Edges of the log's promises found by review: what is not stored cannot consent, old logs
read back and upgrade cleanly, subscribers all run, erasure takes exactly what is the
customer's, and public methods raise only one2one's own errors."""

import datetime as dt
import sqlite3
import warnings

import pytest

from one2one import errors
from one2one.interact import ContactPolicy, FrequencyCap, Interaction, InteractionLog

AT = dt.datetime(2026, 8, 1, 10, tzinfo=dt.UTC)


def _grant(customer, event_id, at=AT - dt.timedelta(hours=1)):
    return Interaction(
        customer_id=customer,
        occurred_at=at,
        channel="web",
        kind="consent_granted",
        payload={"purpose": "marketing"},
        event_id=event_id,
    )


def _offer(customer, event_id=None, at=AT):
    fields = {} if event_id is None else {"event_id": event_id}
    return Interaction(
        customer_id=customer, occurred_at=at, channel="email", kind="offer_made", **fields
    )


# --------------------------------------------------- only what is stored can give consent
def test_a_consent_event_that_is_not_stored_cannot_approve_an_offer():
    log = InteractionLog()
    log.append(
        Interaction(customer_id="x", occurred_at=AT, channel="web", kind="visit", event_id="c1")
    )
    with pytest.raises(errors.ConsentError):  # the grant's id clashes: it is not stored
        log.append([_grant("a", "c1"), _offer("a")], on_invalid="quarantine")
    assert log.count("a") == 0
    log.append(_grant("z", "g1"))
    log.forget("z")
    with pytest.raises(errors.EventConflictError):  # g1 was z's grant: not a re-send
        log.append([_grant("b", "g1"), _offer("b")])
    assert log.count("b") == 0


def test_a_late_resend_of_an_erased_offer_is_a_duplicate_not_a_consent_failure():
    log = InteractionLog()
    log.append([_grant("a", "g-a"), _offer("a", "offer-a-1")])
    log.forget("a")
    result = log.append(_offer("a", "offer-a-1"))
    assert (result.stored, result.duplicates) == (0, 1)


def test_consent_later_in_the_batch_list_counts_with_a_policy_too():
    log = InteractionLog()
    policy = ContactPolicy(log, [FrequencyCap(1, dt.timedelta(days=1))])
    result = log.append([_offer("a"), _grant("a", "g-a")], policy=policy)
    assert result.stored == 2


# ----------------------------------------------------------------- logs from version 1
V1 = [
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE events (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE,
        customer_id TEXT NOT NULL, occurred_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL,
        channel TEXT NOT NULL, kind TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        value REAL, cost REAL, offer_id TEXT, propensity REAL, payload TEXT)""",
    "CREATE INDEX events_by_customer ON events (customer_id, occurred_at)",
    """CREATE INDEX events_consent ON events (customer_id, occurred_at)
        WHERE kind IN ('consent_granted', 'consent_denied', 'consent_withdrawn')""",
    """CREATE TABLE quarantine (seq INTEGER PRIMARY KEY, received_at INTEGER NOT NULL,
        event TEXT NOT NULL, reasons TEXT NOT NULL, customer_id TEXT, replayed_at INTEGER)""",
    """CREATE TABLE aliases (from_id TEXT PRIMARY KEY, into_id TEXT NOT NULL,
        merged_at INTEGER NOT NULL)""",
    "CREATE INDEX aliases_into ON aliases (into_id)",
    """CREATE TABLE erasures (customer_hash TEXT NOT NULL, erased_at INTEGER NOT NULL,
        events INTEGER NOT NULL)""",
    "INSERT INTO meta VALUES ('schema_version', '1'), ('salt', 'abc'), ('created_at', '0')",
]
US = int(AT.timestamp() * 1_000_000)


def _version_one(path, *, analyse=False):
    """A log as one2one 0.1 wrote it: an offer stored inbound, consent names as typed."""
    connection = sqlite3.connect(path)
    for statement in V1:
        connection.execute(statement)
    connection.execute(
        "INSERT INTO events VALUES (1, 'g1', 'a', ?, ?, 'web', 'consent_granted', 'inbound',"
        " NULL, NULL, NULL, NULL, ?)",
        (
            US - 10,
            US,
            (
                '{"channel": "Email", "expires_at": "2030-01-01T01:00:00+01:00", '
                '"purpose": "Marketing"}'
            ),
        ),
    )
    connection.execute(
        "INSERT INTO events VALUES (2, 'o1', 'a', ?, ?, 'email', 'offer_made', 'inbound',"
        " NULL, NULL, NULL, NULL, NULL)",
        (US, US),
    )
    connection.commit()
    if analyse:
        connection.execute("ANALYZE")
        connection.commit()
    connection.close()


@pytest.mark.sqlite_only  # SQLite's own file
@pytest.mark.parametrize("analyse", [False, True])
def test_a_version_one_log_upgrades_and_reads_back(tmp_path, analyse):
    path = tmp_path / "old.db"
    _version_one(path, analyse=analyse)
    with InteractionLog(path) as log:
        events = list(log.replay())
        assert [e.event_id for e in events] == ["g1", "o1"]
        assert events[1].direction == "outbound"  # an offer is outbound by its kind
        assert log.consent.allows("a", "marketing", "email", at=AT)
        policy = ContactPolicy(log, [FrequencyCap(1, dt.timedelta(days=1))])
        assert not policy.check("a", "email", AT + dt.timedelta(hours=1)).allowed
        resend = Interaction(
            customer_id="a",
            occurred_at=AT - dt.timedelta(microseconds=10),
            channel="web",
            kind="consent_granted",
            payload={
                "channel": "Email",
                "expires_at": "2030-01-01T01:00:00+01:00",
                "purpose": "Marketing",
            },
            event_id="g1",
        )
        assert log.append(resend).duplicates == 1  # the same decision, canonical now


# ------------------------------------------------------------------------ subscribers
def test_every_subscriber_runs_even_where_warnings_are_errors():
    log = InteractionLog()
    seen = []

    def broken(_):
        raise RuntimeError("down")

    log.subscribe(broken, broken)
    log.subscribe(seen.append, seen.append)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(errors.StorageWarning):
            log.append(_grant("a", "g"))
        assert len(seen) == 1
        assert len(seen[0]) == 1
        with pytest.raises(errors.StorageWarning):
            log.forget("a")
        assert seen[1] == ["a"]
    assert log.was_forgotten("a")


# ------------------------------------------------------------------ exactly theirs
def test_forgetting_customer_7_keeps_another_customers_quarantined_seven(tmp_path):
    log = InteractionLog(tmp_path / "log.db")
    raw = {"customer_id": "bob", "occurred_at": AT.isoformat(), "channel": "fax", "kind": "visit"}
    log.append(
        [raw | {"payload": {"qty": "7"}}, raw | {"customer_id": "7"}], on_invalid="quarantine"
    )
    receipt = log.forget("7")
    assert receipt.quarantined == 1
    assert [e["customer_id"] for e in log.quarantine()["event"]] == ["bob"]
    log.close()


def test_a_conflicting_copy_of_an_erased_customers_event_is_erased_too(tmp_path):
    log = InteractionLog(tmp_path / "log.db")
    first = Interaction(
        customer_id="alice",
        occurred_at=AT,
        channel="web",
        kind="visit",
        event_id="order-alice-0001",
    )
    log.append(first)
    clash = first.to_dict() | {"kind": "purchase", "value": 3.0}
    assert log.append(clash, on_invalid="quarantine").quarantined == 1
    assert log.forget("alice").quarantined == 1
    assert len(log.quarantine(include_replayed=True)) == 0
    log.close()


def test_the_resolvers_events_applied_twice_erase_once():
    log = InteractionLog()
    log.append(_grant("C1", "g"))

    class Forget:
        kind = "forget"
        from_ids = "C1"  # a bare string is one id, not one per character
        into_id = None
        at = AT

    assert log.apply_identity_events([Forget(), Forget()]) == 2
    assert len(log.to_pandas().query("kind == 'erasure'")) == 1


# ------------------------------------------------------------ only one2one's errors
@pytest.mark.parametrize(
    "call",
    [
        lambda log: log.forget("\ud800"),
        lambda log: log.history("\udfff"),
        lambda log: log.count("\ud800"),
        lambda log: log.was_forgotten("\ud800"),
        lambda log: log.merge(["x"], "\ud800"),
        lambda log: log.consent.allows("a", "marketing", ["email"]),
        lambda log: log.append(
            Interaction(
                customer_id="a",
                occurred_at=AT,
                channel="web",
                kind="consent_granted",
                payload={"purpose": "marketing", "channel": ["email"]},
            )
        ),
    ],
)
def test_hostile_arguments_raise_only_data_contract_errors(call):
    log = InteractionLog()
    with pytest.raises(errors.DataContractError):
        call(log)


def test_very_large_integer_ids_are_text():
    log = InteractionLog()
    log.merge(["x"], 10**20)
    assert log.canonical_id("x") == str(10**20)
