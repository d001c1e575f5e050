"""Reading the log: one customer's history, counts, replay, and the tables other rooms take.

Reads never write and never lock out writers. Ids are canonical wherever a
customer is named (merges followed): a history is asked of any of the
customer's ids and answers under the one their history is kept under, and
the whole-log tables map merged ids through the alias table. The
identities part resolves ids; this part is handed them (``ids``) or a way to
fetch the aliases (``aliases``), so it runs no identity SQL itself.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import DataContractError
from ._interaction import Interaction, as_utc
from ._rows import COLUMNS, SELECT, from_row, safe_repr, to_time, us
from ._storage import Connection, marks

if TYPE_CHECKING:
    from ._key_store import KeyStore

__all__ = [
    "CURRENCY_CODE",
    "StoredRow",
    "cost_to_serve",
    "count",
    "frame",
    "history",
    "opened",
    "replay",
    "replay_batches",
    "rows_of",
    "to_pandas",
    "transactions",
]

StoredRow = tuple[int, str, int, str, str, str, float | None, str | None]
"""``seq, customer_id, occurred_at, channel, kind, direction, value, payload``, payload opened."""
# The event id comes last: the payload's associated data needs it, StoredRow does not.
_STORED = (
    "SELECT seq, customer_id, occurred_at, channel, kind, direction, value, payload, event_id "
)
_AT = 1 + COLUMNS.index("payload")  # in a row of SELECT
Aliases = Callable[[], Mapping[str, str]]
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


def frame(
    rows: list[tuple[Any, ...]], *, aliases: Aliases | None = None, root: str | None = None
) -> pd.DataFrame:
    """Return rows of :data:`SELECT` as a frame indexed by ``seq``, ids canonical.

    ``root`` names every row's customer (a history is one customer's);
    otherwise ``aliases`` (when given) maps merged ids to the id they were
    merged into, fetched only when there are rows to map.
    """
    names = ["seq", *COLUMNS, "recorded_at"]
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    data: dict[str, Any] = dict(zip(names, columns, strict=True))
    for column in ("occurred_at", "recorded_at"):
        data[column] = to_time(data[column])
    data["payload"] = [json.loads(p) if isinstance(p, str) else None for p in data["payload"]]
    for column in ("value", "cost", "propensity"):
        data[column] = np.array([np.nan if v is None else v for v in data[column]], dtype=float)
    if root is not None:
        data["customer_id"] = [root] * len(rows)
    result = pd.DataFrame(data, columns=names)
    if aliases is not None and root is None and not result.empty:
        merged = aliases()
        if merged:
            result["customer_id"] = result["customer_id"].map(lambda c: merged.get(c, c))
    return result.set_index("seq")


def opened(
    connection: Connection,
    key_store: KeyStore,
    rows: Sequence[Sequence[Any]],
    *,
    at: int = _AT,
    event: int = 1,
    customer: int = 2,
) -> list[tuple[Any, ...]]:
    """Return rows with the payload at ``at`` decrypted (one key query for all of them).

    Every read that returns or parses a payload goes through here; a payload
    whose key an erasure destroyed reads as ``None``, like an erased one.
    """
    payloads = key_store.open_payloads(connection, [(r[event], r[customer], r[at]) for r in rows])
    return [
        tuple(r) if r[at] is p else (*r[:at], p, *r[at + 1 :])
        for r, p in zip(rows, payloads, strict=True)
    ]


def _stored(
    connection: Connection, key_store: KeyStore, rows: Sequence[Sequence[Any]]
) -> list[StoredRow]:
    """Return rows of ``_STORED`` as :data:`StoredRow`, payload decrypted, event id dropped."""
    return [r[:8] for r in opened(connection, key_store, rows, at=7, event=8, customer=1)]


def where(
    ids: list[str] | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    channels: Iterable[str] | None,
    kinds: Iterable[str] | None,
) -> tuple[str, list[object]]:
    """Return the ``WHERE`` clause (or ``""``) and its parameters for the filters of a read."""
    clauses: list[str] = []
    params: list[object] = []
    if ids is not None:
        clauses.append(f"customer_id IN ({marks(len(ids))})")
        params += ids
    if start is not None:
        clauses.append("occurred_at >= ?")
        params.append(us(as_utc("start", start)))
    if end is not None:
        clauses.append("occurred_at < ?")
        params.append(us(as_utc("end", end)))
    for column, values in (("channel", channels), ("kind", kinds)):
        if values is not None:
            chosen = [str(v) for v in ([values] if isinstance(values, str) else values)]
            clauses.append(f"{column} IN ({marks(len(chosen))})")
            params += chosen
    return ("" if not clauses else " WHERE " + " AND ".join(clauses)), params


def history(
    connection: Connection,
    key_store: KeyStore,
    ids: list[str],
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    channels: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Return the events of ``ids`` (the canonical id first) in time order, under ``ids[0]``."""
    sql, params = where(ids, start, end, channels, kinds)
    rows = connection.execute(f"{SELECT}{sql} ORDER BY occurred_at, seq", params).fetchall()
    return frame(opened(connection, key_store, rows), root=ids[0])


def count(
    connection: Connection,
    ids: list[str] | None,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    channels: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
) -> int:
    """Count the events of ``ids`` (``None``: everyone's) that pass the filters."""
    sql, params = where(ids, start, end, channels, kinds)
    row = connection.execute(f"SELECT count(*) FROM events{sql}", params).fetchone()  # noqa: S608 (fixed SQL, bound values)
    return int(row[0])


def replay(
    connection: Connection, key_store: KeyStore, *, batch_size: int
) -> Iterator[Interaction]:
    """Yield every stored event in append order, a batch of rows at a time."""
    last = 0
    while True:
        rows = connection.execute(
            f"{SELECT} WHERE seq > ? ORDER BY seq LIMIT ?", (last, batch_size)
        ).fetchall()
        if not rows:
            return
        for row in opened(connection, key_store, rows):
            yield from_row(row)
        last = int(rows[-1][0])


def replay_batches(
    connection: Connection, key_store: KeyStore, *, batch_size: int
) -> Iterator[list[StoredRow]]:
    """Yield stored rows in append order, in batches, as stored (payload as JSON text)."""
    last = 0
    while True:
        rows = connection.execute(
            f"{_STORED}FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (last, batch_size)
        ).fetchall()
        if not rows:
            return
        yield _stored(connection, key_store, rows)
        last = int(rows[-1][0])


def rows_of(
    connection: Connection, key_store: KeyStore, customer_ids: list[str]
) -> list[StoredRow]:
    """Return these ids' stored rows in append order, as :func:`replay_batches` does."""
    rows = connection.execute(
        f"{_STORED}FROM events WHERE customer_id IN ({marks(len(customer_ids))}) ORDER BY seq",
        customer_ids,
    ).fetchall()
    return _stored(connection, key_store, rows)


def to_pandas(
    connection: Connection, key_store: KeyStore, aliases: Aliases, **filters: Any
) -> pd.DataFrame:
    """Return all events (or those passing the filters) in append order, ids canonical."""
    sql, params = where(
        None,
        filters.get("start"),
        filters.get("end"),
        filters.get("channels"),
        filters.get("kinds"),
    )
    rows = connection.execute(f"{SELECT}{sql} ORDER BY seq", params).fetchall()
    return frame(opened(connection, key_store, rows), aliases=aliases)


def transactions(
    connection: Connection,
    key_store: KeyStore,
    aliases: Aliases,
    kinds: Iterable[str],
    *,
    currency: str | None,
) -> pd.DataFrame:
    """Return the money events as the ``TRANSACTIONS`` table (see the log's method)."""
    if currency is not None:
        currency = _currency(currency, where="the default currency")
    events = to_pandas(connection, key_store, aliases, kinds=list(kinds))
    events = events[events["value"].notna()]
    out = events[["customer_id", "occurred_at", "value"]].reset_index(drop=True)
    payloads = [
        (str(event), p if isinstance(p, dict) else {})
        for event, p in zip(events["event_id"], events["payload"], strict=True)
    ]
    orders = [_order_id(p.get("order_id"), event) for event, p in payloads]
    if any(order is not None for order in orders):
        out["order_id"] = pd.Series(orders, dtype=object)
    named = [
        None if p.get("currency") is None else _currency(p["currency"], where=f"event {e!r}")
        for e, p in payloads
    ]
    missing = sum(c is None for c in named)
    if missing < len(named) or (currency is not None and named):
        if missing and currency is None:
            first = next(i for i, c in enumerate(named) if c is None)
            msg = (
                f"{missing} of {len(named)} money events name no 'currency' in their "
                f"payload (first: event {events['event_id'].iloc[first]!r}) while the "
                "others do; pass transactions(currency=...) for the events that name none."
            )
            raise DataContractError(msg, column="currency", value=missing)
        out["currency"] = pd.Series([c or currency for c in named], dtype=object)
    return out


def cost_to_serve(connection: Connection, aliases: Aliases) -> pd.Series:
    """Return the total ``cost`` per customer, merged ids added to the id they merged into."""
    rows = connection.execute(
        "SELECT customer_id, sum(cost) FROM events WHERE cost IS NOT NULL GROUP BY customer_id"
    ).fetchall()
    series = pd.Series(dict(rows), dtype=float, name="cost_to_serve")
    merged = aliases()
    if merged and not series.empty:
        series = series.groupby(series.index.map(lambda c: merged.get(c, c))).sum()
    series.index.name = "customer_id"
    return series.rename("cost_to_serve")


def _currency(value: object, *, where: str) -> str:
    """Check a currency code (ISO 4217 style, three capital letters)."""
    if not isinstance(value, str) or not CURRENCY_CODE.match(value):
        msg = f"{where}: 'currency' must be a currency code such as 'EUR' (got {value!r})."
        raise DataContractError(msg, column="currency", value=safe_repr(value))
    return value


def _order_id(value: object, event_id: str) -> str | None:
    """Check an order id (text, or a whole number read as text)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        msg = f"event {event_id!r}: 'order_id' must be text or a whole number (got {value!r})."
        raise DataContractError(msg, column="order_id", value=safe_repr(value))
    return value
