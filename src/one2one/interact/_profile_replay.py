"""Rebuilding profiles from the stored log, a batch of rows at a time.

The live path folds one event at a time into dictionaries; at millions of
events that is bound by memory latency (each event touches one customer's
scattered objects). A rebuild knows every event in advance, so it accumulates
into arrays instead and turns them into the same per-customer state at the end.

The numbers must equal the live fold's exactly, so every running total is a
sequential sum in append order, like the fold's ``+=``: ``np.add.at`` adds
unbuffered, element by element, in index order; the decay factor is computed
with Python's own float power, as the fold does. When an event moves a
customer's reference time forward (see :data:`RESCALE_HALF_LIVES`), the rows
before it are added first, then that customer's scores are rescaled by the
same exact power of two as the fold's, then the rest follow.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from ._profile import ProfileStore

RESCALE_HALF_LIVES = 512
"""Half-lives between two moves of a customer's reference time (scores < 2**512 per event)."""

__all__ = ["RESCALE_HALF_LIVES", "rebuild"]

Row = tuple[int, str, int, str, str, str, float | None, str | None]
_HOUR = 3_600_000_000
_COUNTED = ("purchase", "complaint", "offer_made", "offer_accepted")
_NO_CONTACT = np.iinfo(np.int64).min
_DECODER = json.JSONDecoder()


class _Totals:
    """Per-customer running totals in arrays, grown as customers appear."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.channel_index: dict[str, int] = {}
        self.vocabulary: dict[tuple[str, str], int] = {}  # (attribute, value) -> number
        self.slot_of: dict[int, int] = {}  # customer << 32 | number -> preferences slot
        self.slots_by_customer: dict[int, list[int]] = {}  # for rescaling one customer
        self.erased: set[str] = set()  # anonymised remainders of erased customers
        self.origin = np.zeros(0, np.int64)
        self.block = np.zeros(0, np.int64)
        self.first = np.zeros(0, np.int64)
        self.last = np.zeros(0, np.int64)
        self.contact = np.zeros(0, np.int64)
        self.value = np.zeros(0)
        self.counts = np.zeros((0, 1 + len(_COUNTED)), np.int64)
        self.channels = np.zeros((0, 0))
        self.channel_seen = np.zeros((0, 0), np.int64)
        self.hours = np.zeros((0, 24))
        self.hour_seen = np.zeros((0, 24), np.int64)
        self.preferences = np.zeros(0)

    def grow(self, customers: int, channels: int, pairs: int) -> None:
        """Make room; new customers' rows start at zero (origins are set by the caller)."""
        if customers > len(self.origin) or channels > self.channels.shape[1]:
            rows = max(customers, 2 * len(self.origin))
            cols = max(channels, self.channels.shape[1])
            for name in ("origin", "block", "first", "last", "value"):
                setattr(self, name, _resized(getattr(self, name), (rows,)))
            self.contact = _resized(self.contact, (rows,), fill=_NO_CONTACT)
            self.counts = _resized(self.counts, (rows, self.counts.shape[1]))
            self.channels = _resized(self.channels, (rows, cols))
            self.channel_seen = _resized(self.channel_seen, (rows, cols))
            self.hours = _resized(self.hours, (rows, 24))
            self.hour_seen = _resized(self.hour_seen, (rows, 24))
        if pairs > len(self.preferences):
            self.preferences = _resized(self.preferences, (max(pairs, 2 * len(self.preferences)),))


def _resized(array: npt.NDArray[Any], shape: tuple[int, ...], fill: int = 0) -> npt.NDArray[Any]:
    grown = np.full(shape, fill, dtype=array.dtype)
    grown[tuple(slice(0, n) for n in array.shape)] = array
    return grown


def rebuild(
    store: ProfileStore, batches: Iterable[Sequence[Row]], aliases: Mapping[str, str]
) -> None:
    """Fold stored rows (append order) into an empty ``store``, exactly as ``_fold`` would."""
    totals = _Totals()
    for rows in batches:
        _add(store, totals, rows, aliases)
    _materialise(store, totals)


def _add(
    store: ProfileStore, totals: _Totals, rows: Sequence[Row], aliases: Mapping[str, str]
) -> None:
    totals.erased.update(aliases.get(row[1], row[1]) for row in rows if row[4] == "erasure")
    rows = [row for row in rows if row[4] != "erasure"]
    if not rows:
        return
    # One list per column (zip(*rows) is an order of magnitude slower on big batches).
    customers, micros_, channels, kinds, directions, values, payloads = (
        list(map(itemgetter(column), rows)) for column in range(1, 8)
    )
    index = totals.index
    before = len(index)
    codes = np.array(
        [index.setdefault(aliases.get(c, c), len(index)) for c in customers], dtype=np.intp
    )
    channel_index = totals.channel_index
    channel_codes = np.array(
        [channel_index.setdefault(c, len(channel_index)) for c in channels], dtype=np.intp
    )
    totals.grow(len(index), len(channel_index), len(totals.slot_of))
    micros = np.array(micros_, dtype=np.int64)
    if len(index) > before:  # a new customer's origin is their first event's time
        fresh, first_at = np.unique(codes, return_index=True)
        new = fresh >= before
        totals.origin[fresh[new]] = micros[first_at[new]]
        totals.first[fresh[new]] = micros[first_at[new]]
        totals.last[fresh[new]] = micros[first_at[new]]
    np.minimum.at(totals.first, codes, micros)
    np.maximum.at(totals.last, codes, micros)
    totals.counts[:, 0] += np.bincount(codes, minlength=len(totals.counts))
    kind_array = np.array(kinds, dtype=object)
    for column, kind in enumerate(_COUNTED, start=1):
        totals.counts[:, column] += np.bincount(
            codes[kind_array == kind], minlength=len(totals.counts)
        )
    has_value = np.array([v is not None for v in values])
    if has_value.any():
        np.add.at(
            totals.value, codes[has_value], np.array(values, dtype=object)[has_value].astype(float)
        )
    outbound = np.array(directions, dtype=object) == "outbound"
    if outbound.any():
        np.maximum.at(totals.contact, codes[outbound], micros[outbound])
    inbound = ~outbound
    who = codes[inbound]
    if not len(who):
        return
    step = store._block  # noqa: SLF001 (the store's own rebuild)
    when = micros[inbound]
    blocks = (when - totals.origin[who]) // step
    inbound_channels = channel_codes[inbound]
    inbound_kinds = kind_array[inbound]
    inbound_payloads = np.array(payloads, dtype=object)[inbound]
    start = 0
    for cut, customer, block in _moves(who, blocks, totals.block):
        _add_inbound(
            store,
            totals,
            slice(start, cut),
            who,
            when,
            inbound_channels,
            inbound_kinds,
            inbound_payloads,
        )
        _rescale(totals, customer, int(block - totals.block[customer]) * RESCALE_HALF_LIVES)
        totals.block[customer] = block
        start = cut
    _add_inbound(
        store,
        totals,
        slice(start, len(who)),
        who,
        when,
        inbound_channels,
        inbound_kinds,
        inbound_payloads,
    )


def _moves(
    who: npt.NDArray[np.intp], blocks: npt.NDArray[np.int64], current: npt.NDArray[np.int64]
) -> list[tuple[int, int, int]]:
    """Return ``(position, customer, block)`` for each event that moves a reference time.

    Usually none: only an event more than RESCALE_HALF_LIVES half-lives past a
    customer's reference time moves it, so the common case is one vector test.
    """
    candidates = np.flatnonzero(blocks > current[who])
    moves = []
    running: dict[int, int] = {}
    for position in candidates.tolist():
        customer = int(who[position])
        block = int(blocks[position])
        if block > running.get(customer, int(current[customer])):
            running[customer] = block
            moves.append((position, customer, block))
    return moves


def _rescale(totals: _Totals, customer: int, halvings: int) -> None:
    """Multiply one customer's scores by ``2 ** -halvings``, exactly as the fold's ``ldexp``."""
    totals.channels[customer] = np.ldexp(totals.channels[customer], -halvings)
    totals.hours[customer] = np.ldexp(totals.hours[customer], -halvings)
    slots = totals.slots_by_customer.get(customer)
    if slots:
        totals.preferences[slots] = np.ldexp(totals.preferences[slots], -halvings)


def _add_inbound(  # noqa: PLR0917 (the inbound columns)
    store: ProfileStore,
    totals: _Totals,
    part: slice,
    who_all: npt.NDArray[np.intp],
    when: npt.NDArray[np.int64],
    channel_codes: npt.NDArray[np.intp],
    kinds: npt.NDArray[Any],
    payloads: npt.NDArray[Any],
) -> None:
    """Add the decayed weights of inbound rows ``part`` (no reference time moves inside)."""
    who = who_all[part]
    if not len(who):
        return
    half_life = store._micros  # noqa: SLF001 (the store's own rebuild)
    offsets = when[part] - totals.origin[who] - totals.block[who] * store._block  # noqa: SLF001
    # Python's float power, as the fold computes it, so totals agree to the last bit.
    growth = np.array([2.0 ** (d / half_life) for d in offsets.tolist()])
    width = totals.channels.shape[1]
    np.add.at(totals.channels.reshape(-1), who * width + channel_codes[part], growth)
    np.add.at(totals.channel_seen.reshape(-1), who * width + channel_codes[part], 1)
    hours = (when[part] // _HOUR) % 24
    np.add.at(totals.hours.reshape(-1), who * 24 + hours, growth)
    np.add.at(totals.hour_seen.reshape(-1), who * 24 + hours, 1)
    _add_preferences(store, totals, who, growth, kinds[part], payloads[part])


def _add_preferences(  # noqa: PLR0917 (the inbound columns)
    store: ProfileStore,
    totals: _Totals,
    who: npt.NDArray[np.intp],
    growth: npt.NDArray[np.float64],
    kinds: npt.NDArray[Any],
    payloads: npt.NDArray[Any],
) -> None:
    weights = store.kind_weights
    vocabulary = totals.vocabulary
    owners: list[int] = []
    named: list[int] = []
    terms: list[float] = []
    for code, factor, kind, payload in zip(
        who.tolist(), growth.tolist(), kinds.tolist(), payloads.tolist(), strict=True
    ):
        weight = weights.get(kind, 0.0)
        if weight == 0.0 or not payload:
            continue
        term = weight * factor
        for pair in store._pairs(_load(payload)):  # noqa: SLF001
            owners.append(code)
            named.append(vocabulary.setdefault(pair, len(vocabulary)))
            terms.append(term)
    if not owners:
        return
    keys = (np.array(owners, dtype=np.int64) << 32) | np.array(named, dtype=np.int64)
    distinct, where = np.unique(keys, return_inverse=True)
    slot_of = totals.slot_of
    by_customer = totals.slots_by_customer
    numbers = []
    for key in distinct.tolist():
        slot = slot_of.get(key)
        if slot is None:
            slot = slot_of[key] = len(slot_of)
            by_customer.setdefault(key >> 32, []).append(slot)
        numbers.append(slot)
    slots = np.array(numbers)
    totals.grow(len(totals.index), len(totals.channel_index), len(slot_of))
    np.add.at(totals.preferences, slots[where], np.array(terms))


def _load(text: str) -> Any:
    """Parse a stored payload; ``raw_decode`` skips ``loads``' whitespace scans (3x faster)."""
    try:
        return _DECODER.raw_decode(text)[0]
    except ValueError:  # leading whitespace, or not JSON: let loads decide
        return json.loads(text)


def _materialise(store: ProfileStore, totals: _Totals) -> None:
    from ._profile import _State  # noqa: PLC0415 (the store's module imports this one)

    channel_names = list(totals.channel_index)
    preferences: dict[int, dict[str, dict[str, float]]] = {}
    scores = totals.preferences.tolist()
    pairs = list(totals.vocabulary)
    for key, slot in totals.slot_of.items():
        attribute, named = pairs[key & 0xFFFFFFFF]
        preferences.setdefault(key >> 32, {}).setdefault(attribute, {})[named] = scores[slot]
    origin, block, first, last, contact = (
        a.tolist() for a in (totals.origin, totals.block, totals.first, totals.last, totals.contact)
    )
    value = totals.value.tolist()
    counts = totals.counts.tolist()
    for customer, code in totals.index.items():
        if customer in totals.erased:
            continue  # an erased customer's anonymised events: no profile, as in the live store
        seen = np.flatnonzero(totals.channel_seen[code])
        hours = np.flatnonzero(totals.hour_seen[code])
        interactions, purchases, complaints, made, accepted = counts[code]
        store._states[customer] = _State(  # noqa: SLF001
            origin=origin[code],
            first_seen=first[code],
            last_seen=last[code],
            last_contact=None if contact[code] == _NO_CONTACT else contact[code],
            block=block[code],
            value=value[code],
            purchases=purchases,
            interactions=interactions,
            complaints=complaints,
            offers_made=made,
            offers_accepted=accepted,
            channels={channel_names[c]: float(totals.channels[code, c]) for c in seen.tolist()},
            hours={int(h): float(totals.hours[code, h]) for h in hours.tolist()},
            preferences=preferences.get(code, {}),
        )
