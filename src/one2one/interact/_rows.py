"""How an event is a row of the ``events`` table, and back.

Every part of the log reads or writes events, and all must agree on one
encoding: times as whole microseconds since the epoch (exact, and ordered
by the database as numbers), the payload as JSON text with sorted keys (so
equal payloads are equal text, which idempotency compares), and a stored row
read back as it was stored, never re-checked.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._interaction import Interaction

__all__ = [
    "COLUMNS",
    "EPOCH",
    "FIELDS",
    "INSERT",
    "PAYLOAD",
    "SELECT",
    "from_row",
    "now_us",
    "safe_repr",
    "to_row",
    "to_time",
    "us",
]

COLUMNS = (
    "event_id",
    "customer_id",
    "occurred_at",
    "channel",
    "kind",
    "direction",
    "value",
    "cost",
    "offer_id",
    "propensity",
    "payload",
)
"""The columns of an event, in the order :func:`to_row` gives them."""
PAYLOAD = COLUMNS.index("payload")
FIELDS = COLUMNS[1:]  # what an event is, besides its id
# Fixed column names only; values are always bound.
SELECT = "SELECT seq, " + ", ".join(COLUMNS) + ", recorded_at FROM events"  # noqa: S608
INSERT = (
    "INSERT INTO events (" + ", ".join(COLUMNS) + ", recorded_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING"
)
"""Store one row of :func:`to_row` plus its ``recorded_at``; an id already stored is left alone."""

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def us(moment: dt.datetime) -> int:
    """Microseconds since the epoch, exactly (timedelta division is integer arithmetic)."""
    return (moment - EPOCH) // _MICROSECOND


def now_us() -> int:
    """Return the current time in microseconds since the epoch (UTC)."""
    return time.time_ns() // 1000


def to_time(values: Sequence[int]) -> pd.DatetimeIndex:
    """Return stored microseconds as UTC times."""
    return pd.DatetimeIndex(np.asarray(values, dtype="datetime64[us]")).tz_localize("UTC")


def to_row(event: Interaction) -> tuple[object, ...]:
    """Return the event as the values of :data:`COLUMNS`."""
    payload = json.dumps(dict(event.payload), sort_keys=True) if event.payload else None
    return (
        event.event_id,
        event.customer_id,
        us(event.occurred_at),
        event.channel,
        event.kind,
        event.direction,
        event.value,
        event.cost,
        event.offer_id,
        event.propensity,
        payload,
    )


def from_row(row: Sequence[Any]) -> Interaction:
    """Rebuild a stored event (a row of :data:`SELECT`) as it was stored, not checked again.

    Re-checking would refuse rows that older versions accepted, and a log must
    always read back what it holds.
    """
    payload = json.loads(row[11]) if row[11] else {}
    return Interaction._stored(  # noqa: SLF001 (the log's own rows)
        event_id=row[1],
        customer_id=row[2],
        occurred_at=EPOCH + dt.timedelta(microseconds=int(row[3])),
        channel=row[4],
        kind=row[5],
        direction=row[6],
        value=row[7],
        cost=row[8],
        offer_id=row[9],
        propensity=row[10],
        payload=payload,
    )


def safe_repr(value: object) -> str:
    """Return ``repr(value)`` cut to 10,000 characters, whatever ``__repr__`` does.

    Bad events are kept and named in messages as text; a value whose repr
    recurses or raises must not turn a refusal into a crash.
    """
    try:
        return repr(value)[:10_000]
    except Exception as error:  # noqa: BLE001 (RecursionError, a hostile __repr__, ...)
        return f"<{type(value).__name__}: {type(error).__name__}>"
