"""Appending: atomic, idempotent batches, checked for consent and contact rules as they are written.

A batch is stored whole or not at all, in one write transaction. Re-sending
an event id stores it once (a client may retry freely); the same id with
other content is a conflict, never an overwrite. An id erased by the right
to erasure is remembered (as a keyed hash), so a late retry cannot bring an
erased event back. Consent for outbound marketing, and the contact policy
when one is given, are checked inside the same transaction as the write, so
two workers cannot both send the last contact a cap allows. Bad events are
refused with every problem listed, or kept in the quarantine.

Writers queue for the log's lock, so what needs no state of the database is
done before it is taken: checking, building the rows (payloads as JSON) and
sealing the payloads of customers whose keys are known (see
:meth:`KeyStore.seal_ahead`); inside the write remain the lookups of the
batch's ids, consent and the contact policy, keys for new customers, and the
insert.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Literal, Protocol

import attrs

from ..errors import DataContractError, EventConflictError, InvalidBatchError
from . import _erasure, _quarantine
from ._consent import CONSENT_KINDS, canonical, check_contacts
from ._interaction import Interaction, as_utc
from ._policy import enforce, without_consent
from ._quarantine import Bad
from ._rows import COLUMNS, FIELDS, INSERT, PAYLOAD, now_us, to_row
from ._storage import Connection, Storage, select_in
from ._vocabulary import Names, check

if TYPE_CHECKING:
    from ._erasure import Keys
    from ._key_store import KeyStore, Sealed
    from ._policy import ContactPolicy

__all__ = ["AppendResult", "OnInvalid", "Settings", "Stored", "append", "replay_quarantine"]

OnInvalid = Literal["reject", "quarantine"]


@attrs.frozen
class AppendResult:
    """What one append did.

    Attributes
    ----------
    stored
        New events written.
    duplicates
        Events whose id was already in the log (or earlier in the batch): kept once.
    quarantined
        Bad events kept in the quarantine (``on_invalid="quarantine"`` only).
    event_ids
        Ids of every valid event in the batch, in order (stored or duplicate).
    """

    stored: int
    duplicates: int
    quarantined: int
    event_ids: tuple[str, ...] = attrs.field(repr=False)


@attrs.frozen
class Prepared:
    """A checked batch made ready outside the write: its rows, and payloads sealed ahead."""

    events: list[Interaction]
    rows: list[tuple[object, ...]] = attrs.field(repr=False)
    ahead: Sealed | None = attrs.field(repr=False)

    @classmethod
    def of(cls, storage: Storage, key_store: KeyStore, events: Sequence[Interaction]) -> Prepared:
        """Build the rows and seal what can be sealed before the write (reads only)."""
        rows = [to_row(event) for event in events]
        ahead = key_store.seal_ahead(storage.connection, rows) if key_store.encrypt else None
        return cls(list(events), rows, ahead)

    def only(self, positions: Sequence[int]) -> Prepared:
        """Return the part of the batch at ``positions``, in order."""
        return Prepared(
            [self.events[p] for p in positions],
            [self.rows[p] for p in positions],
            None if self.ahead is None else self.ahead.pick(positions),
        )


@attrs.frozen
class Stored:
    """What a write did, and the new events to tell the subscribers about once it is committed."""

    result: AppendResult
    fresh: list[Interaction]
    conflicted: list[Bad]


class Settings(Names, Protocol):
    """What appending reads of the log: its names and its consent rule (the log's attributes)."""

    @property
    def marketing_kinds(self) -> frozenset[str]:
        """Outbound kinds that are marketing contacts."""
        ...

    @property
    def require_consent(self) -> bool:
        """Whether outbound marketing needs consent at append."""
        ...


def append(
    storage: Storage,
    log: Settings,
    keys: Keys,
    key_store: KeyStore,
    events: Interaction | Mapping[Any, Any] | Iterable[Interaction | Mapping[Any, Any]],
    *,
    on_invalid: OnInvalid,
    policy: ContactPolicy | None,
) -> Stored:
    """Check a batch and write it in one transaction (see ``InteractionLog.append``)."""
    if policy is not None and getattr(policy, "log", None) is not log:
        msg = "append(policy=...) takes a ContactPolicy built on this same log."
        raise DataContractError(msg, column="policy", value=repr(policy))
    items: list[object] = [events] if isinstance(events, Interaction | Mapping) else list(events)
    good, bad = _validate(log, items)
    if bad and on_invalid == "reject":
        problems = [(p, _quarantine.event_id_of(item), reason) for p, item, reason in bad]
        listing = "; ".join(f"#{p}: {reason}" for p, _, reason in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""  # noqa: PLR2004
        msg = (
            f"{len(problems)} of {len(items)} events are invalid, none was stored: {listing}{more}"
        )
        raise InvalidBatchError(msg, problems=problems)
    prepared = Prepared.of(storage, key_store, good)
    with storage.write() as connection:
        return _store(
            connection, log, (keys, key_store), prepared, bad, on_invalid=on_invalid, policy=policy
        )


def replay_quarantine(
    storage: Storage,
    log: Settings,
    keys: Keys,
    key_store: KeyStore,
    *,
    fix: Callable[[dict[str, Any]], Any] | None,
    ids: Iterable[int] | None,
) -> Stored:
    """Re-check quarantined events (repaired by ``fix``) and store those that pass.

    The good ones are appended and marked replayed in one transaction, so a
    crash leaves both or neither; those still failing (or clashing with a
    stored id) stay, with the new reason added, and are counted as
    ``quarantined`` in the result.
    """
    waiting = _quarantine.entries(storage.connection, include_replayed=False)
    if ids is not None:
        waiting = waiting.loc[[i for i in ids if i in waiting.index]]
    candidates: list[tuple[int, Interaction]] = []
    failed: list[tuple[int, str]] = []
    for qid, raw in zip(waiting.index.tolist(), waiting["event"], strict=True):
        try:
            candidate = fix(dict(raw)) if fix is not None and isinstance(raw, dict) else raw
            candidates.append((int(qid), check(log, candidate)))
        except DataContractError as error:
            failed.append((int(qid), str(error)))
    prepared = Prepared.of(storage, key_store, [event for _, event in candidates])
    with storage.write() as connection:
        # Only entries still waiting now, under the lock: another replay may have won.
        still = _quarantine.waiting(connection, [qid for qid, _ in candidates])
        positions = [at for at, (qid, _) in enumerate(candidates) if qid in still]
        chosen = [candidates[at] for at in positions]
        stored = _store(
            connection,
            log,
            (keys, key_store),
            prepared.only(positions),
            (),
            on_invalid="quarantine",
            quarantine_conflicts=False,
        )
        clashing = {position: reason for position, _, reason in stored.conflicted}
        failed += [(chosen[p][0], reason) for p, reason in clashing.items()]
        _quarantine.mark_replayed(
            connection,
            [
                (qid, event.customer_id)
                for position, (qid, event) in enumerate(chosen)
                if position not in clashing
            ],
        )
        _quarantine.add_reasons(connection, failed)
    result = attrs.evolve(stored.result, quarantined=len(failed))
    return attrs.evolve(stored, result=result)


def _validate(log: Names, items: Sequence[object]) -> tuple[list[Interaction], list[Bad]]:
    good: list[Interaction] = []
    bad: list[Bad] = []
    for position, item in enumerate(items):
        try:
            good.append(check(log, item))
        except DataContractError as error:
            bad.append((position, item, str(error)))
    return good, bad


def _store(
    connection: Connection,
    log: Settings,
    both: tuple[Keys, KeyStore],
    prepared: Prepared,
    bad: Sequence[Bad],
    *,
    on_invalid: OnInvalid,
    policy: ContactPolicy | None = None,
    quarantine_conflicts: bool = True,
) -> Stored:
    """Write a checked batch inside the caller's transaction.

    An id already stored (or earlier in the batch) with the same content
    is a duplicate; with other content, a conflict. An id erased by
    ``forget`` is a duplicate too, so a late retry cannot bring an erased
    event back. Payloads are compared as plaintext; those not sealed ahead
    (or sealed under a generation of keys that has changed since) are sealed
    just before they are inserted.
    """
    keys, key_store = both
    good, rows = prepared.events, prepared.rows
    batch_ids = [event.event_id for event in good]
    known = _stored_rows(connection, key_store, batch_ids)
    erased = _erasure.erased_ids(connection, keys, batch_ids)
    fresh_at: list[int] = []
    conflicts: list[tuple[int, str, tuple[str, ...]]] = []
    conflicted: list[Bad] = []
    for position, (event, row) in enumerate(zip(good, rows, strict=True)):
        event_id = str(row[0])
        differing: tuple[str, ...]
        if event_id in erased:  # a late re-send of an erased event, or a clash with one
            differing = () if erased[event_id] == keys.content(row) else ("content",)
        elif (earlier := known.get(event_id)) is None:
            known[event_id] = row
            fresh_at.append(position)
            continue
        else:
            differing = _differing(earlier, row)
        if differing:
            conflicts.append((position, event_id, differing))
            reason = (
                f"event id {event_id!r} is already used by an event with other "
                f"{', '.join(differing)}; give a different event a new id."
            )
            conflicted.append((position, event, reason))
    if conflicts and on_invalid == "reject":
        listing = "; ".join(f"#{p} {i!r} ({', '.join(f)})" for p, i, f in conflicts[:5])
        msg = (
            f"{len(conflicts)} events re-use an id already stored with other content, "
            f"none was stored: {listing}. Exact re-sends are fine; a new event needs a "
            "new id."
        )
        raise EventConflictError(msg, conflicts=conflicts)
    new = prepared.only(fresh_at)
    fresh = new.events
    if log.require_consent:  # only what will be stored counts, as consent or as contact
        check_contacts(connection, key_store, fresh, log.marketing_kinds)
    _insert(connection, fresh, key_store.seal(connection, new.rows, new.ahead), policy)
    quarantined = [*bad, *conflicted] if quarantine_conflicts else list(bad)
    if quarantined:
        _quarantine.keep(connection, quarantined)
    result = AppendResult(
        stored=len(fresh),
        duplicates=len(good) - len(fresh) - len(conflicted),
        quarantined=len(quarantined),
        event_ids=tuple(event.event_id for event in good),
    )
    return Stored(result=result, fresh=fresh, conflicted=conflicted)


def _insert(
    connection: Connection,
    fresh: Collection[Interaction],
    rows: Sequence[tuple[object, ...]],
    policy: ContactPolicy | None,
) -> None:
    """Insert new rows; with a policy, one at a time, each contact checked against those before."""
    recorded = now_us()
    if policy is None:
        connection.executemany(INSERT, [(*row, recorded) for row in rows])
        return
    rules = without_consent(policy)
    for event, row in zip(fresh, rows, strict=True):
        enforce(rules, event)
        connection.execute(INSERT, (*row, recorded))


def _stored_rows(
    connection: Connection, key_store: KeyStore, ids: Sequence[str]
) -> dict[str, tuple[object, ...]]:
    """Return the stored rows (as :func:`to_row` gives them, payload opened) of ids in the log."""
    rows = list(
        select_in(
            connection,
            f"SELECT {', '.join(COLUMNS)} FROM events WHERE event_id IN ({{}})",  # noqa: S608 (fixed SQL, bound values)
            list(dict.fromkeys(ids)),
        )
    )
    plain = key_store.open_payloads(connection, [(r[0], r[1], r[PAYLOAD]) for r in rows])
    return {
        str(row[0]): (*row[:PAYLOAD], payload, *row[PAYLOAD + 1 :])
        for row, payload in zip(rows, plain, strict=True)
    }


def _differing(stored: Sequence[object], row: Sequence[object]) -> tuple[str, ...]:
    """Name the fields in which a re-sent event differs from the stored one."""
    differing = [
        field for field, old, new in zip(FIELDS, stored[1:], row[1:], strict=True) if old != new
    ]
    # Logs written before consent names were made canonical keep them as typed.
    if (
        differing == ["payload"]
        and row[4] in CONSENT_KINDS
        and stored[10]
        and row[10]
        and _canonical_consent(json.loads(str(stored[10]))) == json.loads(str(row[10]))
    ):
        return ()
    return tuple(differing)


def _canonical_consent(payload: dict[str, Any]) -> dict[str, Any]:
    """Return a stored consent payload in today's canonical form (as far as it reads)."""
    clean = dict(payload)
    for key in ("purpose", "channel"):
        if key in clean:
            clean[key] = canonical(clean[key])
    expires = clean.get("expires_at")
    if isinstance(expires, str):
        with suppress(DataContractError):
            clean["expires_at"] = as_utc("expires_at", expires).isoformat()
    return clean
