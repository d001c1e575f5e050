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

import attrs
import numpy as np
import pandas as pd

from ..errors import DataContractError
from ._interaction import Interaction, as_utc
from ._rows import COLUMNS, SELECT, from_row, safe_repr, to_time, us
from ._storage import Connection, Storage, marks

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
_TEXT = ("event_id", "customer_id", "channel", "kind", "direction")
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
    if result.empty:  # no rows to infer from: give the text columns the type rows give them
        result = result.astype(dict.fromkeys(_TEXT, "str"))
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


@attrs.frozen
class Filters:
    """Which events a whole-log read keeps (``None``: no filter of that kind)."""

    ids: list[str] | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    channels: Iterable[str] | None = None
    kinds: Iterable[str] | None = None

    def where(self) -> tuple[str, list[object]]:
        """Return the ``WHERE`` clause (or ``""``) and its parameters."""
        return where(self.ids, self.start, self.end, self.channels, self.kinds)


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
    return rows_since(connection, key_store, 0, batch_size=batch_size)


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
    connection: Connection, key_store: KeyStore, aliases: Aliases, filters: Filters
) -> pd.DataFrame:
    """Return all events (or those passing the filters) in append order, ids canonical."""
    sql, params = filters.where()
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
    events = to_pandas(connection, key_store, aliases, Filters(kinds=list(kinds)))
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


# ------------------------------------------------------------------ following and streaming
def rows_since(
    connection: Connection, key_store: KeyStore, seq: int, *, batch_size: int
) -> Iterator[list[StoredRow]]:
    """Yield the rows stored after ``seq``, in append order, as :func:`replay_batches` does.

    Writers queue for the log's lock, so ``seq`` order is commit order: a
    follower that remembers the last ``seq`` it read misses no row.
    """
    last = seq
    while True:
        rows = connection.execute(
            f"{_STORED}FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (last, batch_size)
        ).fetchall()
        if not rows:
            return
        yield _stored(connection, key_store, rows)
        last = int(rows[-1][0])


def last_seq(connection: Connection) -> int:
    """Return the ``seq`` of the last stored row (0 for an empty log)."""
    row = connection.execute("SELECT max(seq) FROM events").fetchone()
    return 0 if row is None or row[0] is None else int(row[0])


def to_pandas_chunks(
    storage: Storage, key_store: KeyStore, aliases: Aliases, chunksize: int, filters: Filters
) -> Iterator[pd.DataFrame]:
    """Yield :func:`to_pandas`' frame in pieces of at most ``chunksize`` rows, streamed.

    Concatenated, the pieces are the whole frame (same columns, dtypes and
    ``seq`` index); a log with no matching event yields one empty frame, as
    pandas' own chunked readers do. The aliases are read once, before the
    first piece, so every piece maps ids the same way.
    """
    size = _chunksize(chunksize)
    sql, params = filters.where()
    return _frames(storage, key_store, f"{SELECT}{sql} ORDER BY seq", params, size, _once(aliases))


def _frames(  # noqa: PLR0917 (one streamed read)
    storage: Storage,
    key_store: KeyStore,
    sql: str,
    params: list[object],
    size: int,
    aliases: Aliases,
    sample: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield the frames of a streamed read; one frame of ``sample``'s rows when it finds nothing.

    The whole-table readers build an empty result from the rows they
    filtered out, whose columns then have those rows' dtypes; ``sample``
    (one such row) gives the empty piece the same dtypes.
    """
    empty = True
    for rows in storage.stream(sql, params, size):
        empty = False
        yield frame(opened(storage.connection, key_store, rows), aliases=aliases)
    if empty:
        rows = [] if sample is None else storage.connection.execute(sample, params).fetchall()
        yield frame(opened(storage.connection, key_store, rows), aliases=aliases)


def _money_facts(
    storage: Storage, key_store: KeyStore, money: str, params: list[object], size: int
) -> tuple[int, int, int, str | None]:
    """Count the money events, those naming an order and a currency; the first naming none.

    The payloads are encrypted, so the database cannot look inside them:
    they are streamed and opened here, a piece at a time (memory stays flat).
    """
    total = orders = named = 0
    first_missing: str | None = None
    sql = f"SELECT event_id, customer_id, payload FROM events{money} ORDER BY seq"  # noqa: S608 (fixed SQL, bound values)
    for rows in storage.stream(sql, params, size):
        for event_id, _, text in opened(
            storage.connection, key_store, rows, at=2, event=0, customer=1
        ):
            payload = json.loads(text) if isinstance(text, str) else None
            facts = payload if isinstance(payload, dict) else {}
            total += 1
            orders += facts.get("order_id") is not None
            if facts.get("currency") is not None:
                named += 1
            elif first_missing is None:
                first_missing = str(event_id)
    return total, orders, named, first_missing


def transactions_chunks(
    storage: Storage,
    key_store: KeyStore,
    aliases: Aliases,
    kinds: Iterable[str],
    *,
    currency: str | None,
    chunksize: int,
) -> Iterator[pd.DataFrame]:
    """Yield :func:`transactions`' table in pieces of at most ``chunksize`` rows, streamed.

    Which columns the table has (``order_id``, ``currency``) depends on
    every money event, so the money events' payloads are read first, in a
    streamed pass that keeps only counts; an amount without a currency
    among others that name one is refused then, before the first piece. A
    payload whose ``currency`` or ``order_id`` is malformed is refused when
    its piece is read. The pieces carry on one ``RangeIndex``:
    concatenated, they are the whole table.
    """
    size = _chunksize(chunksize)
    if currency is not None:
        currency = _currency(currency, where="the default currency")
    sql, params = where(None, None, None, None, list(kinds))
    money = f"{sql} AND value IS NOT NULL" if sql else " WHERE value IS NOT NULL"
    total, orders, named, first = _money_facts(storage, key_store, money, params, size)
    with_currency = named > 0 or (currency is not None and total > 0)
    if 0 < named < total and currency is None:
        msg = (
            f"{total - named} of {total} money events name no 'currency' in their "
            f"payload (first: event {first!r}) while the others do; pass "
            "transactions(currency=...) for the events that name none."
        )
        raise DataContractError(msg, column="currency", value=total - named)
    frames = _frames(
        storage,
        key_store,
        f"{SELECT}{money} ORDER BY seq",
        params,
        size,
        _once(aliases),
        sample=f"{SELECT}{sql} ORDER BY seq LIMIT 1",
    )
    return _tables(frames, orders > 0, with_currency, currency)


def _tables(
    frames: Iterator[pd.DataFrame],
    with_orders: bool,
    with_currency: bool,
    currency: str | None,
) -> Iterator[pd.DataFrame]:
    """Yield the pieces of the transactions table, their index running on from piece to piece."""
    offset = 0
    for events in frames:
        piece = _money(events, with_orders, with_currency, currency, offset)
        offset += len(piece)
        yield piece


def _money(
    events: pd.DataFrame,
    with_orders: bool,
    with_currency: bool,
    currency: str | None,
    offset: int,
) -> pd.DataFrame:
    """Return one piece of the transactions table, with the columns decided for the whole."""
    events = events[events["value"].notna()]
    out = events[["customer_id", "occurred_at", "value"]].reset_index(drop=True)
    out.index = pd.RangeIndex(offset, offset + len(out))
    payloads = [
        (str(event), p if isinstance(p, dict) else {})
        for event, p in zip(events["event_id"], events["payload"], strict=True)
    ]
    if with_orders:
        orders = [_order_id(p.get("order_id"), event) for event, p in payloads]
        out["order_id"] = pd.Series(orders, dtype=object, index=out.index)
    if with_currency:
        named = [
            None if p.get("currency") is None else _currency(p["currency"], where=f"event {e!r}")
            for e, p in payloads
        ]
        out["currency"] = pd.Series([c or currency for c in named], dtype=object, index=out.index)
    return out


def _chunksize(value: object) -> int:
    """Check a chunk size: a whole number of rows, at least one."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"chunksize must be a whole number of rows >= 1 (got {value!r})."
        raise DataContractError(msg, column="chunksize", value=safe_repr(value))
    return value


def _once(aliases: Aliases) -> Aliases:
    """Return ``aliases`` read at most once (every piece of a streamed read maps ids alike)."""
    cache: list[Mapping[str, str]] = []

    def read() -> Mapping[str, str]:
        if not cache:
            cache.append(aliases())
        return cache[0]

    return read
