"""The right to erasure: the one deletion an append-only log allows.

An erased customer's events stay (revenue and cost totals must stay right)
but nothing personal does: they are re-keyed to a random anonymous id, lose
their payload (all but a currency code, which an amount needs), offer id and
event id, and the customer's quarantined copies and merge records go. What
is kept instead are keyed hashes (salted with the log's own secret, so they
cannot be reversed or matched against another log): of the customer id, as
proof that the request was honoured, and of each erased event's id and
content, so a late re-send of an erased event is recognised and not stored
again, while a different event re-using its id is still a conflict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from . import _identity, _quarantine
from ._interaction import Interaction, check_customer_id
from ._reading import CURRENCY_CODE
from ._rows import COLUMNS, INSERT, PAYLOAD, now_us, to_row, us
from ._storage import Connection, Storage, in_chunks, marks

if TYPE_CHECKING:
    from ._key_store import KeyStore

__all__ = ["Erasure", "Keys", "erase", "erased_ids", "was_forgotten"]


@attrs.frozen
class Erasure:
    """The receipt of a right-to-erasure request.

    Attributes
    ----------
    events
        Events whose personal data were removed.
    quarantined
        Quarantined events of the customer deleted.
    erased_at
        When.
    tombstone
        A keyed hash of the customer id kept as proof that the erasure happened
        (it cannot be turned back into the id).
    wal_cleared
        Whether the write-ahead log was emptied after the erasure (``False``
        only when another process held a read open; see :meth:`InteractionLog.forget`).
    """

    events: int
    quarantined: int
    erased_at: dt.datetime
    tombstone: str
    wal_cleared: bool = True


@attrs.frozen
class Keys:
    """The keyed hashes an erasure leaves instead of personal data (salted per log)."""

    salt: str = attrs.field(repr=False)

    def tombstone(self, customer_id: str) -> str:
        """Return the hash under which an erasure of ``customer_id`` is recorded."""
        checked = check_customer_id(customer_id)
        return hashlib.sha256(f"{self.salt}:{checked}".encode()).hexdigest()

    def key_address(self, customer_id: str) -> str:
        """Return the address of the customer's key in the key table (not the tombstone)."""
        return hashlib.sha256(f"{self.salt}:key:{customer_id}".encode()).hexdigest()

    def event(self, event_id: str) -> str:
        """Return the hash an erased event's id is remembered by."""
        return hashlib.sha256(f"{self.salt}:event:{event_id}".encode()).hexdigest()

    def content(self, row: Sequence[object]) -> str:
        """Return the hash of what an event is (not its id), kept when the event is erased."""
        text = json.dumps([*row[1:]], default=str)
        return hashlib.sha256(f"{self.salt}:content:{text}".encode()).hexdigest()


def was_forgotten(connection: Connection, keys: Keys, customer_id: str) -> bool:
    """Whether ``customer_id`` was erased (answerable only by someone who knows the id)."""
    row = connection.execute(
        "SELECT 1 FROM erasures WHERE customer_hash = ?", (keys.tombstone(customer_id),)
    ).fetchone()
    return row is not None


def erased_ids(connection: Connection, keys: Keys, ids: Sequence[str]) -> dict[str, str]:
    """Return those ids that belonged to erased events, with their content hash."""
    if connection.execute("SELECT 1 FROM erased_events LIMIT 1").fetchone() is None:
        return {}
    hashes = {keys.event(i): i for i in dict.fromkeys(ids)}
    return {
        hashes[str(row[0])]: str(row[1])
        for row in in_chunks(
            connection,
            "SELECT event_hash, content_hash FROM erased_events WHERE event_hash IN ({})",
            list(hashes),
        )
    }


def erase(
    storage: Storage,
    connection: Connection,
    keys: Keys,
    key_store: KeyStore,
    *,
    ids: Sequence[str],
    when: dt.datetime,
) -> tuple[int, int]:
    """Erase the customer whose ids are ``ids`` (canonical first), inside the caller's write.

    Returns how many events were anonymised and how many quarantined
    entries were deleted. The erasure itself is logged as an ``erasure``
    event under the anonymous id.

    The payloads are read (decrypted) first, for the content hashes and
    the kept currency; then the customer's keys are destroyed, and only
    then are the rows rewritten: with the keys in a database of their own,
    a crash in between leaves rows whose payload is already unreadable, and
    running the erasure again finishes it.
    """
    anonymous = "erased:" + secrets.token_hex(12)
    sealed = connection.execute(
        f"SELECT {', '.join(COLUMNS)} FROM events WHERE customer_id IN ({marks(len(ids))})",  # noqa: S608 (fixed SQL, bound values)
        list(ids),
    ).fetchall()
    plain = key_store.open_payloads(
        connection, [(r[0], r[1], r[PAYLOAD]) for r in sealed], unreadable="erased"
    )
    erased_rows = [(*r[:PAYLOAD], p, *r[PAYLOAD + 1 :]) for r, p in zip(sealed, plain, strict=True)]
    key_store.destroy(connection, ids)
    old_ids = [str(row[0]) for row in erased_rows]
    connection.executemany(
        "INSERT INTO erased_events VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(keys.event(str(r[0])), keys.content(r)) for r in erased_rows],
    )
    # The payload goes, but for a currency code: an amount without its currency has no
    # meaning, and totals must stay right. Nothing else of it is kept. The new event id
    # is random too (callers' ids such as ``order-alice-0001`` are personal data).
    changed = connection.executemany(
        "UPDATE events SET payload = ?, customer_id = ?, offer_id = NULL, event_id = ? "
        "WHERE event_id = ?",
        [
            (_kept_payload(row[PAYLOAD]), anonymous, "erased:" + secrets.token_hex(16), row[0])
            for row in erased_rows
        ],
    ).rowcount
    dropped = _quarantine.forget(storage, connection, ids, old_ids)
    connection.execute(
        f"DELETE FROM aliases WHERE from_id IN ({marks(len(ids))}) "  # noqa: S608 (fixed SQL, bound values)
        f"OR into_id IN ({marks(len(ids))})",
        [*ids, *ids],
    )
    connection.executemany(
        "INSERT INTO erasures VALUES (?, ?, ?)",
        [(keys.tombstone(i), us(when), changed) for i in ids],
    )
    erasure = Interaction(customer_id=anonymous, occurred_at=when, channel="system", kind="erasure")
    connection.execute(INSERT, (*to_row(erasure), now_us()))
    _identity.bump_generation(connection)  # followers in other processes look again
    return changed, dropped


def _kept_payload(stored: object) -> str | None:
    """Return what an erased event keeps of its payload: its currency code, if any."""
    if not isinstance(stored, str):
        return None
    try:
        payload = json.loads(stored)
    except ValueError:
        return None
    code = payload.get("currency") if isinstance(payload, dict) else None
    if isinstance(code, str) and CURRENCY_CODE.match(code):
        return json.dumps({"currency": code})
    return None
