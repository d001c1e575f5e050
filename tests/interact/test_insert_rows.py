"""Multi-row inserts: every row stored once, in any batch size, on both backends."""

from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.interact import InteractionLog
from one2one.interact._storage import CHUNK, insert_rows


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 3 * CHUNK // 2 + 3))  # across the statement boundary (CHUNK // 2 rows)
def test_every_row_is_stored_once_whatever_the_batch_size(count):
    rows = [(f"probe-{n}", f"value {n}") for n in range(count)]
    with InteractionLog() as log:
        with log._db.write() as connection:
            stored = insert_rows(connection, "INSERT INTO meta (key, value)", rows)
        assert stored == count
        found = log._db.connection.execute(
            "SELECT key, value FROM meta WHERE key LIKE 'probe-%' ORDER BY key"
        ).fetchall()
        assert sorted(tuple(r) for r in found) == sorted(rows)
