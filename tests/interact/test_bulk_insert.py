"""A large batch is stored as a small one is: in batch order, each id once, all or nothing.

Backends may store a large batch by a faster route than one statement per row
(PostgreSQL stages it with ``COPY`` and inserts it in one statement, #17);
these tests pin what that route must keep: append order, ids already stored
left alone, two inserts in one transaction, and a rolled-back write leaving
nothing behind, not even what the route itself set up.
"""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.interact import Interaction, InteractionLog
from one2one.interact._rows import INSERT, now_us, to_row

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
LARGE = 300  # above any bulk route's threshold


def event(i: int, *, customer: str = "c1", value: float = 1.0) -> Interaction:
    return Interaction(
        event_id=f"e{i:05d}",
        customer_id=customer,
        occurred_at=START + dt.timedelta(minutes=i),
        channel="web",
        kind="purchase",
        value=value,
        payload={"sku": f"S{i}"},
    )


def stored_ids(log: InteractionLog) -> list[str]:
    """The stored event ids in append order (seq)."""
    return [e.event_id for e in log.replay(batch_size=1_000)]


@settings(max_examples=8, deadline=None)
@given(order=st.permutations(range(LARGE)), stored_before=st.sets(st.integers(0, LARGE - 1)))
def test_a_large_batch_keeps_its_order_and_skips_stored_ids(
    order: list[int], stored_before: set[int]
) -> None:
    with InteractionLog() as log:
        earlier = sorted(stored_before)
        log.append([event(i) for i in earlier])
        result = log.append([event(i) for i in order])
        assert result.stored == LARGE - len(earlier)
        assert result.duplicates == len(earlier)
        new = [f"e{i:05d}" for i in order if i not in stored_before]
        assert stored_ids(log) == [f"e{i:05d}" for i in earlier] + new
        assert len(log) == LARGE


def test_two_inserts_in_one_write_store_each_row_once_in_order() -> None:
    with InteractionLog() as log:
        first = [(*to_row(event(i)), now_us()) for i in range(LARGE)]
        second = [(*to_row(event(i)), now_us()) for i in range(LARGE // 2, LARGE + 100)]
        with log._db.write() as connection:
            connection.executemany(INSERT, first)
            connection.executemany(INSERT, second)
        assert stored_ids(log) == [f"e{i:05d}" for i in range(LARGE + 100)]
        frame = log.to_pandas()
        assert frame["value"].tolist() == [1.0] * (LARGE + 100)
        assert frame["payload"].tolist() == [{"sku": f"S{i}"} for i in range(LARGE + 100)]


class AbortError(Exception):
    pass


def insert_then_fail(log: InteractionLog, rows: list[tuple[object, ...]]) -> None:
    with log._db.write() as connection:
        connection.executemany(INSERT, rows)
        raise AbortError


def test_a_rolled_back_large_write_leaves_nothing_and_the_next_one_works() -> None:
    with InteractionLog() as log:
        rows = [(*to_row(event(i)), now_us()) for i in range(LARGE)]
        with pytest.raises(AbortError):
            insert_then_fail(log, rows)
        assert len(log) == 0
        assert log.append([event(i) for i in range(LARGE)]).stored == LARGE
        assert log.append([event(i) for i in range(LARGE, 2 * LARGE)]).stored == LARGE
        assert stored_ids(log) == [f"e{i:05d}" for i in range(2 * LARGE)]


def test_a_large_batch_stores_values_exactly() -> None:
    events = [
        Interaction(
            event_id=f"x{i}",
            customer_id=f"c{i % 7}",
            occurred_at=START + dt.timedelta(microseconds=i * 1_000_003),
            channel="app",
            kind="purchase" if i % 2 else "visit",
            value=(i / 3) if i % 2 else None,
            payload={"note": "tab\there, newline\nthere, back\\slash", "n": i} if i % 3 else {},
        )
        for i in range(LARGE)
    ]
    with InteractionLog() as log:
        log.append(events)
        back = list(log.replay(batch_size=1_000))
    assert [(e.event_id, e.occurred_at, e.value, dict(e.payload)) for e in back] == [
        (e.event_id, e.occurred_at, e.value, dict(e.payload)) for e in events
    ]
