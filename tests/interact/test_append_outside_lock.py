"""Appending does the work that needs no database state before it takes the write lock.

Writers queue for the log's lock, so concurrent writers gain only from what each does
outside it: rows are built and payloads sealed (with the keys the process already
knows) before the write; inside it, the key store's generation is read to confirm
those keys are still the stored ones, and rows sealed under a key that a concurrent
``forget`` (or rotation) may have destroyed are sealed again under the keys read there.
"""

import datetime as dt
from contextlib import contextmanager

import pytest

import one2one.interact._key_store as key_store_module
from one2one.errors import ContactPolicyError, EventConflictError
from one2one.interact import ContactPolicy, FrequencyCap, Interaction, InteractionLog

AT = dt.datetime(2026, 5, 4, 9, tzinfo=dt.UTC)
KEY = bytes(range(32))


def _event(customer, n, payload, **fields):
    return Interaction(
        customer_id=customer,
        occurred_at=AT + dt.timedelta(minutes=n),
        channel=fields.pop("channel", "web"),
        kind=fields.pop("kind", "view"),
        event_id=f"{customer}-{n}",
        payload=payload,
        **fields,
    )


def test_a_key_created_by_a_write_that_rolled_back_is_never_used_again(tmp_path):
    path = tmp_path / "log.db"
    with InteractionLog(path, master_key=KEY) as log:
        log.consent.grant("ann", "marketing", at=AT)
        policy = ContactPolicy(log, [FrequencyCap(1, dt.timedelta(days=7))])
        batch = [
            _event("bo", 1, {"sku": "first"}),  # bo's first payload: a new key for bo
            *(_event("ann", n, {}, kind="offer_made", channel="email") for n in (1, 2)),
        ]
        # The second offer is refused, so the whole write (bo's new key too) rolls back.
        with pytest.raises(ContactPolicyError):
            log.append(batch, policy=policy)
        log.append(_event("bo", 2, {"sku": "kept"}))
        assert log.history("bo")["payload"].tolist() == [{"sku": "kept"}]
    with InteractionLog(path, master_key=KEY) as reopened:
        assert reopened.history("bo")["payload"].tolist() == [{"sku": "kept"}]


def _watch_the_lock(log, monkeypatch):
    """Record, for every payload sealed, whether the log's write was open at the time."""
    state = {"writing": False}
    sealed_in_write: list[bool] = []
    write, seal = log._db.write, key_store_module.seal

    @contextmanager
    def watched_write():
        with write() as connection:
            state["writing"] = True
            try:
                yield connection
            finally:
                state["writing"] = False

    def watched_seal(*args, **kwargs):
        sealed_in_write.append(state["writing"])
        return seal(*args, **kwargs)

    monkeypatch.setattr(log._db, "write", watched_write)
    monkeypatch.setattr(key_store_module, "seal", watched_seal)
    return sealed_in_write


def test_payloads_of_known_customers_are_sealed_before_the_lock(tmp_path, monkeypatch):
    with InteractionLog(tmp_path / "log.db", master_key=KEY) as log:
        log.append([_event(c, 0, {"sku": "a"}) for c in ("ann", "bo")])  # their keys exist
        sealed_in_write = _watch_the_lock(log, monkeypatch)
        batch = [_event(c, n, {"sku": f"s{n}"}) for c in ("ann", "bo") for n in (1, 2, 3)]
        assert log.append(batch).stored == len(batch)
        assert sealed_in_write == [False] * len(batch)
        sealed_in_write.clear()
        log.append(_event("cy", 1, {"sku": "new"}))  # a new customer: keyed inside the write
        assert sealed_in_write == [True]
        assert log.history("ann")["payload"].tolist()[-1] == {"sku": "s3"}


def test_a_batch_sealed_before_a_concurrent_forget_is_sealed_again_in_the_write(
    tmp_path, monkeypatch
):
    path = tmp_path / "log.db"
    with (
        InteractionLog(path, master_key=KEY) as writer,
        InteractionLog(path, master_key=KEY) as other,
    ):
        writer.append(_event("ann", 0, {"sku": "before"}))  # the writer knows ann's key
        seal_ahead = writer._key_store.seal_ahead

        def then_forget(*args, **kwargs):
            sealed = seal_ahead(*args, **kwargs)
            other.forget("ann")  # another process destroys ann's key before the write
            return sealed

        monkeypatch.setattr(writer._key_store, "seal_ahead", then_forget)
        assert writer.append(_event("ann", 1, {"sku": "after"})).stored == 1
    with InteractionLog(path, master_key=KEY) as reopened:
        assert reopened.history("ann")["payload"].tolist() == [{"sku": "after"}]


def test_a_batch_larger_than_a_lookup_chunk_is_checked_whole(backend, tmp_path, monkeypatch):
    size = 1_201  # more ids than one IN list holds on SQLite
    batch = [_event("ann", n, {"n": n}) for n in range(size)]
    with InteractionLog(tmp_path / "log.db", master_key=KEY) as log:
        assert log.append(batch).stored == size
        lookups = []
        kind = type(log._db.connection)
        execute = kind.execute

        def counted(self, sql, parameters=()):
            if "FROM events WHERE event_id IN" in sql:
                lookups.append(sql)
            return execute(self, sql, parameters)

        monkeypatch.setattr(kind, "execute", counted)
        changed = [*batch[:-1], _event("ann", size - 1, {"n": "other"})]
        with pytest.raises(EventConflictError) as raised:
            log.append(changed)
        assert [position for position, *_ in raised.value.conflicts] == [size - 1]
        assert log.append(batch).duplicates == size
        # PostgreSQL binds the ids as one array: one lookup per append, not one per chunk.
        assert len(lookups) == (2 if backend.name == "postgres" else 2 * 3)
