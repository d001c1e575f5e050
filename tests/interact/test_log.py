"""The log: atomic, idempotent, quarantined not dropped, merges followed, erasure real."""

import datetime as dt
import json
import sqlite3
from types import SimpleNamespace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.clv import rfm_summary
from one2one.errors import (
    ConsentError,
    DataContractError,
    DataWarning,
    EventConflictError,
    InvalidBatchError,
    StorageError,
)
from one2one.interact import Interaction, InteractionLog, consent_event

AT = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)


def event(customer="c1", hours=0, kind="visit", **fields):
    return Interaction(
        customer_id=customer,
        occurred_at=AT + dt.timedelta(hours=hours),
        channel=fields.pop("channel", "web"),
        kind=kind,
        **fields,
    )


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("append"),
            st.lists(
                st.tuples(st.integers(0, 30), st.sampled_from(["a", "b", "c"]), st.integers(0, 50)),
                max_size=6,
            ),
        ),
        st.tuples(st.just("forget"), st.sampled_from(["a", "b", "c"])),
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(operations)
def test_replay_is_the_accepted_events_in_order_without_duplicates(ops):
    log = InteractionLog()
    # event id -> (customer, hours), in first-accept order
    accepted: dict[str, tuple[str, int]] = {}
    erased: set[str] = set()
    erased_as: dict[str, tuple[str, int]] = {}  # what an erased id was, as a keyed hash keeps it
    for op in ops:
        if op[0] == "append":
            batch = [
                event(
                    customer, hours, event_id=f"e{number}", payload={"email": f"{customer}@x.org"}
                )
                for number, customer, hours in op[1]
            ]
            seen = dict(accepted)
            new: list[str] = []
            conflict = False
            for number, customer, hours in op[1]:
                key = f"e{number}"
                if key in erased:  # a late re-send of an erased event stays erased,
                    conflict |= erased_as[key] != (customer, hours)  # another event clashes
                    continue
                if key not in seen:
                    seen[key] = (customer, hours)
                    new.append(key)
                elif seen[key] != (customer, hours):
                    conflict = True  # the same id for another event
            if conflict:
                with pytest.raises(EventConflictError):
                    log.append(batch)
                continue
            result = log.append(batch)
            assert result.stored == len(new)
            assert result.duplicates == len(batch) - len(new)
            accepted = seen
        else:
            log.forget(op[1])
            gone = {i for i, (customer, _) in accepted.items() if customer == op[1]}
            erased |= gone
            erased_as.update({i: accepted[i] for i in gone if i not in erased_as})
    replayed = [e for e in log.replay(batch_size=3) if e.kind != "erasure"]
    expected = ["erased" if i in erased else i for i in accepted]
    assert [
        "erased" if e.event_id.startswith("erased:") else e.event_id for e in replayed
    ] == expected
    for e, original in zip(replayed, accepted, strict=True):
        customer, hours = accepted[original]
        assert e.occurred_at == AT + dt.timedelta(hours=hours)
        assert (e.customer_id == customer) != (original in erased)
        assert e.payload == ({} if original in erased else {"email": f"{customer}@x.org"})


def test_a_bad_event_rejects_the_whole_batch_and_lists_every_problem():
    log = InteractionLog()
    batch = [
        event("c1"),
        {"customer_id": "c2", "occurred_at": "2026-11-01T09:00", "channel": "web", "kind": "visit"},
        event("c3"),
        {
            "customer_id": "c4",
            "occurred_at": AT,
            "channel": "fax",
            "kind": "visit",
            "event_id": "x4",
        },
        "not an event",
    ]
    with pytest.raises(InvalidBatchError) as error:
        log.append(batch)
    assert [p[0] for p in error.value.problems] == [1, 3, 4]
    assert error.value.problems[1][1] == "x4"
    assert "no time zone" in error.value.problems[0][2]
    assert "unknown channel 'fax'" in error.value.problems[1][2]
    assert len(log) == 0


def test_quarantine_keeps_bad_events_with_reasons_and_replays_them():
    log = InteractionLog()
    bad = {
        "customer_id": "c2",
        "occurred_at": "2026-11-01T09:00",
        "channel": "web",
        "kind": "visit",
        "event_id": "q1",
    }
    result = log.append([event("c1"), bad], on_invalid="quarantine")
    assert (result.stored, result.quarantined) == (1, 1)
    waiting = log.quarantine()
    assert waiting["event"].iloc[0] == bad
    assert "no time zone" in waiting["reasons"].iloc[0][0]
    # Replaying without a fix keeps it quarantined, with the reason added again.
    assert log.replay_quarantine().quarantined == 1
    assert len(log.quarantine()["reasons"].iloc[0]) == 2
    fixed = log.replay_quarantine(lambda e: {**e, "occurred_at": e["occurred_at"] + "+00:00"})
    assert fixed.stored == 1
    assert log.quarantine().empty
    assert len(log.quarantine(include_replayed=True)) == 1
    assert log.count("c2") == 1


def test_marketing_without_consent_raises_and_stores_nothing():
    log = InteractionLog()
    offer = event(
        "c1",
        2,
        kind="offer_made",
        channel="email",
        direction="outbound",
        offer_id="o1",
        propensity=0.5,
    )
    with pytest.raises(ConsentError) as error:
        log.append([event("c1"), offer])
    assert (error.value.customer_id, error.value.channel, error.value.purpose) == (
        "c1",
        "email",
        "marketing",
    )
    assert len(log) == 0
    # A grant earlier in the same batch counts; one for sms does not cover email.
    with pytest.raises(ConsentError):
        log.append([consent_event("c1", "marketing", "granted", at=AT, channel="sms"), offer])
    assert (
        log.append(
            [consent_event("c1", "marketing", "granted", at=AT, channel="email"), offer]
        ).stored
        == 2
    )
    # Inbound events and service messages need no consent.
    assert (
        log.append(event("c2", kind="inquiry", channel="phone", direction="outbound")).stored == 1
    )


def test_consent_follows_the_latest_decision_and_expires():
    log = InteractionLog()
    log.consent.grant("c1", "marketing", at=AT, expires_at=AT + dt.timedelta(days=30))
    log.consent.withdraw("c1", "marketing", channel="sms", at=AT + dt.timedelta(days=1))
    allows = log.consent.allows
    assert not allows("c1", "marketing", "email", at=AT - dt.timedelta(seconds=1))
    assert allows("c1", "marketing", "email", at=AT)
    assert allows("c1", "marketing", "sms", at=AT + dt.timedelta(hours=1))
    assert not allows("c1", "marketing", "sms", at=AT + dt.timedelta(days=2))
    assert allows("c1", "marketing", "email", at=AT + dt.timedelta(days=2))
    assert not allows("c1", "marketing", "email", at=AT + dt.timedelta(days=31))
    assert not allows("c1", "profiling", "email", at=AT)
    assert list(log.consent.status("c1")["status"]) == ["granted", "withdrawn"]
    with pytest.raises(DataContractError, match="purpose"):
        log.append(event("c1", kind="consent_granted"))


def test_history_queries_and_transactions_feed_rfm_summary():
    log = InteractionLog()
    log.append(
        [
            event("c1", 0, kind="purchase", value=20.0),
            event("c1", 24 * 10, kind="purchase", value=35.0, channel="store"),
            event("c1", 24 * 3, kind="visit"),
            event("c2", 5, kind="purchase", value=12.5, cost=1.5),
            event("c2", 6, kind="return", value=-12.5, cost=4.0),
        ]
    )
    history = log.history("c1")
    assert list(history["kind"]) == ["purchase", "visit", "purchase"]
    assert history["occurred_at"].is_monotonic_increasing
    assert log.count("c1", kinds=["purchase"]) == 2
    assert log.count(channels="store") == 1
    assert (
        len(log.history("c1", start=AT + dt.timedelta(days=1), end=AT + dt.timedelta(days=10))) == 1
    )
    transactions = log.transactions()
    assert list(transactions.columns) == ["customer_id", "occurred_at", "value"]
    with pytest.warns(DataWarning, match="1 customer"):  # c2's only sale was refunded
        summary = rfm_summary(transactions, freq="D", observation_end="2026-12-01")
    assert summary.loc["c1", "frequency"] == 1
    assert "c2" not in summary.index
    assert log.cost_to_serve()["c2"] == pytest.approx(5.5)


def test_history_follows_identity_merges():
    log = InteractionLog()
    log.append([event("a", 1, kind="purchase", value=5.0), event("b", 2), event("c", 3)])
    merges = [
        SimpleNamespace(kind="merge", from_ids=("a",), into_id="b", at=AT),
        SimpleNamespace(kind="split", from_ids=("b",), into_id="x", at=AT),
    ]
    assert log.apply_identity_events(merges) == 1
    log.merge(["b"], "c")  # chains flatten: a -> c as well
    assert log.canonical_id("a") == "c"
    assert list(log.history("a")["event_id"]) == list(log.history("c")["event_id"])
    assert set(log.history("c")["customer_id"]) == {"c"}
    assert set(log.transactions()["customer_id"]) == {"c"}


def test_forget_leaves_nothing_personal_and_keeps_totals():
    log = InteractionLog()
    log.consent.grant("XJ42", "marketing", at=AT)
    log.append(
        [
            event("XJ42", 1, kind="purchase", value=80.0, payload={"email": "xj42@example.com"}),
            event(
                "XJ42", 2, kind="offer_made", channel="email", direction="outbound", offer_id="o9"
            ),
            event("bob", 3, kind="purchase", value=20.0, payload={"email": "bob@example.com"}),
        ]
    )
    log.append(
        [{"customer_id": "XJ42", "occurred_at": "bad", "channel": "web", "kind": "visit"}],
        on_invalid="quarantine",
    )
    log.append(event("XJ42-old", 4, kind="visit"))
    log.merge(["XJ42-old"], "XJ42")
    receipt = log.forget("XJ42")
    assert receipt.events == 4  # consent, purchase, offer, and the merged id's visit
    assert receipt.quarantined == 1
    assert log.history("XJ42").empty
    assert log.history("XJ42-old").empty
    assert not log.consent.allows("XJ42", "marketing", "email", at=AT + dt.timedelta(days=1))
    everything = log.to_pandas()
    text = (
        everything.astype(str).to_string()
        + log.quarantine(include_replayed=True).astype(str).to_string()
    )
    assert "XJ42" not in text
    assert "xj42" not in text
    assert "o9" not in text
    assert log.transactions()["value"].sum() == pytest.approx(100.0)
    assert everything["kind"].iloc[-1] == "erasure"
    assert log.was_forgotten("XJ42")
    assert not log.was_forgotten("bob")
    assert "bob@example.com" in json.dumps(list(log.history("bob")["payload"]))


@pytest.mark.sqlite_only  # SQLite's own file
def test_a_file_log_survives_reopening_and_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "log.db"
    with InteractionLog.open(path) as log:
        log.append([event("c1", kind="purchase", value=9.99, event_id="keep")])
    with InteractionLog.open(path) as log:
        assert list(log.history("c1")["event_id"]) == ["keep"]
        assert log.append(event("c1", kind="purchase", value=9.99, event_id="keep")).duplicates == 1
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    connection.commit()
    connection.close()
    with pytest.raises(StorageError, match="newer one2one"):
        InteractionLog(path)
    (tmp_path / "junk.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="not an SQLite database"):
        InteractionLog(tmp_path / "junk.db")


@pytest.mark.parametrize(
    "hostile",
    [
        "'); DROP TABLE events; --",
        'Robert"); DELETE FROM events WHERE ("1"="1',
        "émoji 🎉 \u202e right-to-left",
        "x" * 200,
    ],
)
def test_hostile_text_is_stored_verbatim_never_executed(hostile):
    log = InteractionLog()
    log.append(
        [event(hostile, kind="inquiry", payload={"note": hostile, "n": 1}, offer_id=hostile[:50])]
    )
    log.append(event("c2"))
    history = log.history(hostile)
    assert list(history["customer_id"]) == [hostile]
    assert history["payload"].iloc[0] == {"note": hostile, "n": 1}
    assert len(log) == 2
    assert log.count(kinds=[hostile[:40]]) == 0


def test_unknown_vocabulary_can_be_declared():
    log = InteractionLog(extra_channels=["kiosk"], extra_kinds=["loyalty_scan"])
    assert log.append(event("c1", kind="loyalty_scan", channel="kiosk")).stored == 1
    with pytest.raises(DataContractError, match="lower-case"):
        InteractionLog(extra_channels=["Kiosk!"])


def test_time_zones_are_stored_as_utc_instants():
    log = InteractionLog()
    local = dt.datetime(2026, 11, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    log.append(Interaction(customer_id="c1", occurred_at=local, channel="web", kind="visit"))
    stored = log.history("c1")["occurred_at"].iloc[0]
    assert stored == pd.Timestamp("2026-11-01T09:00:00Z")
    assert str(stored.tz) == "UTC"
