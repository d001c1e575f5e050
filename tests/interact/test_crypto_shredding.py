"""Crypto-shredding: every payload sealed under its customer's key, keys destroyed on erasure.

Read back through every path the log has (histories, frames, replay, the rows profiles
rebuild from, consent and the contact policy, transactions), a payload is what was
appended; read from the database itself, it is never plaintext. Keys are per customer
id, wrapped under the application's master key, destroyed for every id of a merged
customer by ``forget``, and never shown.
"""

import base64
import datetime as dt
import json
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.errors import DataContractError, DecryptionError, EventConflictError
from one2one.interact import ContactPolicy, FrequencyCap, Interaction, InteractionLog

AT = dt.datetime(2026, 5, 4, 9, tzinfo=dt.UTC)
MARKER = "plaintext-marker-5f1c"
K1 = bytes(range(32))
K2 = bytes(range(32, 64))


def _raw(backend, path, sql="SELECT payload FROM events ORDER BY seq"):
    """Rows read from the log's database directly, not through one2one."""
    if backend.name == "sqlite":
        connection = sqlite3.connect(path)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()
    import psycopg  # noqa: PLC0415 (only on the PostgreSQL run)

    with psycopg.connect(backend.target(path)) as connection:
        return connection.execute(sql).fetchall()


def _event(customer, n, payload, **fields):
    return Interaction(
        customer_id=customer,
        occurred_at=AT + dt.timedelta(minutes=n),
        channel="web",
        kind=fields.pop("kind", "view"),
        event_id=f"{customer}-{n}",
        payload=payload,
        **fields,
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
payloads = st.dictionaries(st.text(min_size=1, max_size=8), json_values, max_size=4)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ann", "bo", "cy"]), payloads), min_size=1, max_size=6))
def test_every_read_path_returns_the_payload_appended_and_the_database_holds_none_of_it(
    backend, drawn
):
    expected = {}
    events = []
    for n, (customer, payload) in enumerate(drawn):
        sealed = {**payload, "marker": MARKER}
        events.append(_event(customer, n, sealed, kind="purchase", value=1.0))
        expected[f"{customer}-{n}"] = sealed
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.db"
        with InteractionLog(path) as log:
            log.append(events)
            assert {e.event_id: dict(e.payload) for e in log.replay()} == expected
            frame = log.to_pandas()
            assert dict(zip(frame["event_id"], frame["payload"], strict=True)) == expected
            for customer in {c for c, _ in drawn}:
                history = log.history(customer)
                assert all(
                    p == expected[e]
                    for e, p in zip(history["event_id"], history["payload"], strict=True)
                )
            batches = [row for batch in log._replay_batches(batch_size=2) for row in batch]
            assert [json.loads(row[7]) for row in batches] == list(expected.values())
            rows = log._rows_of(["ann", "bo", "cy"])  # what a profile rebuilds from
            assert [json.loads(row[7]) for row in rows] == list(expected.values())
            money = log.transactions()
            assert len(money) == len(events)
            assert log.append(events).duplicates == len(events)  # re-sends stay duplicates
        raw = [row[0] for row in _raw(backend, path)]
        assert len(raw) == len(events)
        assert all(text.startswith("o2o1:") and MARKER not in text for text in raw)


def test_consent_kept_in_sealed_payloads_still_governs_contacts(backend, tmp_path):
    path = tmp_path / "log.db"
    with InteractionLog(path, master_key=K1) as log:
        log.consent.grant("ann", "marketing", channel="email", at=AT)
        log.consent.grant("bo", "marketing", at=AT, expires_at=AT + dt.timedelta(days=1))
        assert log.consent.allows("ann", "marketing", "email", at=AT)
        assert not log.consent.allows("ann", "marketing", "sms", at=AT)
        assert not log.consent.allows("bo", "marketing", "sms", at=AT + dt.timedelta(days=2))
        assert log.consent.status("ann")["channel"].tolist() == ["email"]
        policy = ContactPolicy(log, [FrequencyCap(1, dt.timedelta(days=7))])
        assert policy.check("ann", "email", AT + dt.timedelta(hours=1)).allowed
        assert not policy.check("ann", "sms", AT + dt.timedelta(hours=1)).allowed
        offer = Interaction(
            customer_id="ann",
            occurred_at=AT + dt.timedelta(hours=1),
            channel="email",
            kind="offer_made",
            payload={"note": MARKER},
        )
        log.append(offer, policy=policy)
        assert not policy.check("ann", "email", AT + dt.timedelta(hours=2)).allowed
    assert all(text.startswith("o2o1:") for (text,) in _raw(backend, path))
    assert not any("marketing" in text or MARKER in text for (text,) in _raw(backend, path))


def test_a_resent_event_is_a_duplicate_and_other_content_under_its_id_a_conflict():
    with InteractionLog() as log:
        first = _event("ann", 1, {"email": "ann@example.org"})
        assert log.append(first).stored == 1
        assert log.append(first).duplicates == 1
        with pytest.raises(EventConflictError, match="payload"):
            log.append(_event("ann", 1, {"email": "other@example.org"}))


def test_forget_destroys_every_key_of_the_merged_customer_and_a_return_gets_a_fresh_key():
    with InteractionLog() as log:
        for n, customer in enumerate(["a1", "a2", "a3", "bob"]):
            log.append(_event(customer, n, {"email": f"{customer}@example.org"}))
        log.merge(["a1", "a2"], "a3")
        keys = log._db.connection
        address = log._keys.key_address
        stored_before = dict(
            keys.execute("SELECT customer_hash, key FROM customer_keys").fetchall()
        )
        assert set(stored_before) == {address(c) for c in ["a1", "a2", "a3", "bob"]}
        log.forget("a1")
        left = dict(keys.execute("SELECT customer_hash, key FROM customer_keys").fetchall())
        assert left == {address("bob"): stored_before[address("bob")]}
        log.append(_event("a1", 9, {"email": "back@example.org"}))
        again = dict(keys.execute("SELECT customer_hash, key FROM customer_keys").fetchall())
        assert again[address("a1")] != stored_before[address("a1")]
        assert log.history("a1")["payload"].tolist() == [{"email": "back@example.org"}]
        assert log.history("bob")["payload"].tolist() == [{"email": "bob@example.org"}]


def test_a_wrong_or_missing_master_key_is_refused_and_never_read_as_garbage(tmp_path, monkeypatch):
    path = tmp_path / "log.db"
    monkeypatch.delenv("ONE2ONE_MASTER_KEY", raising=False)
    with InteractionLog(path, master_key=K1) as log:
        log.append(_event("ann", 1, {"email": "ann@example.org"}))
    with pytest.raises(DecryptionError, match="does not open the customer keys") as wrong:
        InteractionLog(path, master_key=K2)
    with pytest.raises(DecryptionError, match="ONE2ONE_MASTER_KEY") as missing:
        InteractionLog(path)
    for error in (wrong.value, missing.value):
        assert K1.hex() not in str(error)
        assert K2.hex() not in str(error)
        assert base64.b64encode(K2).decode() not in str(error)
    monkeypatch.setenv("ONE2ONE_MASTER_KEY", base64.b64encode(K1).decode())
    with InteractionLog(path) as log:  # the environment's key
        assert log.history("ann")["payload"].tolist() == [{"email": "ann@example.org"}]
    with InteractionLog(path, master_key=lambda: K1) as log:
        assert len(log.to_pandas()) == 1
    monkeypatch.setenv("ONE2ONE_MASTER_KEY", "not base64 of 32 bytes")
    with pytest.raises(DataContractError, match="ONE2ONE_MASTER_KEY must be the base64"):
        InteractionLog(path)
    with pytest.raises(
        DataContractError, match=r"master_key must be 32 bytes, .* \(got 16 bytes\)"
    ):
        InteractionLog(path, master_key=K1[:16])


def test_unwrapped_keys_are_refused_under_a_master_key_until_rotated(tmp_path):
    path = tmp_path / "log.db"
    with InteractionLog(path) as log:
        log.append(_event("ann", 1, {"email": "ann@example.org"}))
    with pytest.raises(DecryptionError, match="rotate_master_key"):
        InteractionLog(path, master_key=K1)
    with InteractionLog(path) as log:
        assert log.rotate_master_key(K1) == 1
    with InteractionLog(path, master_key=K1) as log:
        assert log.history("ann")["payload"].tolist() == [{"email": "ann@example.org"}]


def test_rotating_the_master_key_keeps_everything_readable_under_the_new_key_only(
    backend, tmp_path
):
    path = tmp_path / "log.db"
    with InteractionLog(path, master_key=K1) as log:
        log.append([_event(c, n, {"email": f"{c}@example.org"}) for n, c in enumerate("abc")])
        stale = InteractionLog(path, master_key=K1)  # another worker, opened before
        before = log.to_pandas()["payload"].tolist()
        events_before = _raw(backend, path)
        assert log.rotate_master_key(K2) == 3
        assert log.to_pandas()["payload"].tolist() == before
        log.append(_event("d", 9, {"email": "d@example.org"}))
    assert _raw(backend, path)[:3] == events_before  # events untouched
    with InteractionLog(path, master_key=K2) as log:
        assert len(log.to_pandas()["payload"].dropna()) == 4
    with pytest.raises(DecryptionError):
        InteractionLog(path, master_key=K1)
    with stale, pytest.raises(DecryptionError, match="rotated"):
        stale.append(_event("e", 10, {"email": "e@example.org"}))  # a new key, under K1


def test_a_ciphertext_copied_into_another_row_does_not_decrypt():
    with InteractionLog() as log:
        log.append([_event("ann", 1, {"email": "ann@x.org"}), _event("ann", 2, {"n": 2})])
        log.append(_event("bob", 3, {"email": "bob@x.org"}))
        connection = log._db.connection
        (sealed,) = connection.execute(
            "SELECT payload FROM events WHERE event_id = ?", ("ann-1",)
        ).fetchone()
        with log._db.write() as writing:
            writing.execute("UPDATE events SET payload = ? WHERE event_id = ?", (sealed, "ann-2"))
            writing.execute("UPDATE events SET payload = ? WHERE event_id = ?", (sealed, "bob-3"))
        with pytest.raises(DecryptionError, match="'ann-2' fails authentication") as failed:
            log.history("ann")
        assert failed.value.event_id == "ann-2"
        assert log.history("bob")["payload"].tolist() == [None]  # another customer's key


def test_keys_appear_in_no_repr_message_or_export(tmp_path):
    path = tmp_path / "log.db"
    with InteractionLog(path, master_key=K1) as log:
        log.append(_event("ann", 1, {"email": "ann@x.org", "currency": "EUR"}, value=3.0))
        log.append(_event("ann", 1, {"email": "changed@x.org"}), on_invalid="quarantine")
        address = log._keys.key_address("ann")
        (wrapped,) = log._db.connection.execute(
            "SELECT key FROM customer_keys WHERE customer_hash = ?", (address,)
        ).fetchone()
        key = log._key_store._unwrap(address, wrapped)
        shown = [
            repr(log),
            repr(log._key_store),
            repr(key),
            log.to_pandas().to_json(date_format="iso"),
            log.quarantine().to_json(date_format="iso"),
            log.transactions().to_json(date_format="iso"),
        ]
    with pytest.raises(DecryptionError) as failed:
        InteractionLog(path, master_key=K2)
    shown.append(str(failed.value))
    secrets_ = [K1, K2, key.secret]
    forms = [form for k in secrets_ for form in (k.hex(), base64.b64encode(k).decode())]
    assert "ann@x.org" in shown[3]  # the export does hold the payload itself
    assert not [form for form in forms for text in shown if form in text]


def test_payloads_written_before_encryption_still_read_after_the_migration(backend, tmp_path):
    path = tmp_path / "log.db"
    with InteractionLog(path, encrypt=False) as log:
        log.append(_event("ann", 1, {"email": "ann@x.org"}))
        with log._db.write() as connection:  # back to a version 2 log, as an old one2one left it
            connection.execute("DROP TABLE customer_keys")
            connection.execute("DELETE FROM meta WHERE key LIKE 'key_store%'")
            connection.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    assert _raw(backend, path) == [('{"email": "ann@x.org"}',)]
    with InteractionLog(path, master_key=K1) as log:
        assert log.history("ann")["payload"].tolist() == [{"email": "ann@x.org"}]
        log.append(_event("ann", 2, {"email": "new@x.org"}))
        assert log.history("ann")["payload"].tolist() == [
            {"email": "ann@x.org"},
            {"email": "new@x.org"},
        ]
        assert log.forget("ann").events == 2
    assert MARKER not in str(_raw(backend, path))
    assert "ann@x.org" not in str(_raw(backend, path))


def test_a_key_destroyed_and_created_afresh_by_another_worker_is_never_used_stale(tmp_path):
    path = tmp_path / "log.db"
    with InteractionLog(path) as first, InteractionLog(path) as second:
        first.append(_event("ann", 1, {"n": 1}))  # the first worker now knows ann's key
        second.forget("ann")
        second.append(_event("ann", 2, {"n": 2}))  # a fresh key, made by the second
        first.append(_event("ann", 3, {"n": 3}))  # must be sealed under the fresh one
        assert second.history("ann")["payload"].tolist() == [{"n": 2}, {"n": 3}]
        assert first.history("ann")["payload"].tolist() == [{"n": 2}, {"n": 3}]
