"""The quarantine: bad events kept with their reasons, never dropped silently.

An append with ``on_invalid="quarantine"`` stores the good events and keeps
each bad one here as JSON, whatever it holds (values JSON cannot carry are
kept as their repr), with the reasons it was refused, so it can be
inspected, repaired and replayed. A replayed entry is marked (not deleted)
and remembers the customer id it was stored under, so an erasure finds
every copy of a customer's data: raw, repaired, or named by event id.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence

import pandas as pd

from ._interaction import Interaction
from ._rows import now_us, safe_repr, to_time
from ._storage import CHUNK, Connection, Storage, in_chunks, marks

__all__ = [
    "Bad",
    "add_reasons",
    "entries",
    "event_id_of",
    "forget",
    "keep",
    "mark_replayed",
    "waiting",
]

Bad = tuple[int, object, str]
"""A refused event: its position in the batch, the item as given, why it was refused."""


def keep(connection: Connection, bad: Sequence[Bad]) -> None:
    """Keep refused events in the quarantine, inside the caller's write."""
    received = now_us()
    connection.executemany(
        "INSERT INTO quarantine (received_at, event, reasons, customer_id) VALUES (?, ?, ?, ?)",
        [
            (received, _as_text(item), json.dumps([reason]), _customer_of(item))
            for _, item, reason in bad
        ],
    )


def entries(connection: Connection, *, include_replayed: bool) -> pd.DataFrame:
    """Return the quarantined events (those not replayed yet, unless asked) with their reasons."""
    sql = "" if include_replayed else " WHERE replayed_at IS NULL"
    rows = connection.execute(
        f"SELECT seq, received_at, event, reasons, replayed_at FROM quarantine{sql} ORDER BY seq"  # noqa: S608 (fixed SQL)
    ).fetchall()
    frame = pd.DataFrame(
        rows, columns=["quarantine_id", "received_at", "event", "reasons", "replayed_at"]
    )
    frame["received_at"] = to_time(frame["received_at"].tolist())
    frame["event"] = [json.loads(e) for e in frame["event"]]
    frame["reasons"] = [json.loads(r) for r in frame["reasons"]]
    return frame.set_index("quarantine_id")


def waiting(connection: Connection, qids: Sequence[int]) -> set[int]:
    """Return those entries still waiting to be replayed (another replay may have won)."""
    return {
        int(row[0])
        for row in in_chunks(
            connection,
            "SELECT seq FROM quarantine WHERE seq IN ({}) AND replayed_at IS NULL",
            list(qids),
        )
    }


def mark_replayed(connection: Connection, replayed: Sequence[tuple[int, str]]) -> None:
    """Mark entries ``(quarantine id, customer id it was stored under)`` as replayed."""
    at = now_us()
    connection.executemany(
        "UPDATE quarantine SET replayed_at = ?, replayed_as = ? WHERE seq = ?",
        [(at, customer, qid) for qid, customer in replayed],
    )


def add_reasons(connection: Connection, failed: Sequence[tuple[int, str]]) -> None:
    """Add the reason a replay failed to each entry still waiting."""
    for qid, reason in failed:
        row = connection.execute(
            "SELECT reasons FROM quarantine WHERE seq = ? AND replayed_at IS NULL", (qid,)
        ).fetchone()
        if row is None:
            continue
        reasons = [*json.loads(row[0]), reason]
        connection.execute(
            "UPDATE quarantine SET reasons = ? WHERE seq = ?", (json.dumps(reasons), qid)
        )


def forget(
    storage: Storage, connection: Connection, ids: Sequence[str], event_ids: Sequence[str]
) -> int:
    """Delete quarantined events of these customers: raw, repaired, or carrying their ids.

    A raw event is matched by the customer id it holds (read as JSON, so a
    value like ``"qty": "7"`` elsewhere is not mistaken for customer 7), a
    replayed one also by the id it was stored under, and any entry by an
    event id of the customer's erased events.
    """
    holder = storage.json_text("event", "customer_id")
    dropped = 0
    for customer in ids:
        dropped += connection.execute(
            "DELETE FROM quarantine WHERE customer_id = ? OR replayed_as = ? OR "  # noqa: S608 (fixed SQL, bound values)
            f"{holder} = ?",
            (customer, customer, customer),
        ).rowcount
    named = storage.json_text("event", "event_id")
    for start in range(0, len(event_ids), CHUNK):
        chunk = list(event_ids[start : start + CHUNK])
        dropped += connection.execute(
            f"DELETE FROM quarantine WHERE {named} IN ({marks(len(chunk))})",  # noqa: S608 (fixed SQL, bound values)
            chunk,
        ).rowcount
    return dropped


def event_id_of(item: object) -> str | None:
    """Return the event id a refused item carries, if any (to name it in the refusal)."""
    if isinstance(item, Interaction):
        return item.event_id
    if isinstance(item, Mapping):
        value = item.get("event_id")
        return value if isinstance(value, str) else None
    return None


def _customer_of(item: object) -> str | None:
    if isinstance(item, Interaction):
        return item.customer_id
    if isinstance(item, Mapping):
        value = item.get("customer_id")
        if value is None:
            return None
        try:
            text = str(value)[:1000]
        except Exception:  # noqa: BLE001 (a hostile __str__; the raw event is kept anyway)
            return None
        # A lone surrogate cannot be stored as text, nor NUL on PostgreSQL: keep them
        # visible, escaped, so the bad event is quarantined instead of failing the batch.
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        return text.replace("\x00", "\\x00")
    return None


def _as_text(item: object) -> str:
    """Keep a bad event as JSON, whatever it holds (non-JSON values become their repr)."""
    if isinstance(item, Interaction):
        data = item.to_dict()
    elif isinstance(item, Mapping):
        data = {str(k): v for k, v in item.items()}
    else:
        data = {"value": safe_repr(item)}
    try:
        return json.dumps(data, default=_json_default, allow_nan=True)
    except (RecursionError, ValueError, TypeError) as error:
        # Too deep or too strange for JSON: keep what can be kept, and say why.
        kept = {str(k): safe_repr(v) for k, v in data.items()}
        return json.dumps({**kept, "unstorable": f"{type(error).__name__}: {error}"[:200]})


def _json_default(value: object) -> str:
    """Keep times readable (so a repaired event can be replayed); anything else as its repr."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return safe_repr(value)
