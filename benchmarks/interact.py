"""Benchmark one2one.interact: the interaction log's appends and reads, and the contact policy.

Every case runs on each backend of ``--backends`` (``sqlite``, ``postgres`` or both, in
one run with the same data): SQLite logs are files (WAL, ``synchronous=NORMAL``);
PostgreSQL logs are schemas of their own in the database of ``--postgres-url`` (default:
``ONE2ONE_TEST_POSTGRES_URL``; for honest commit costs a server with ``fsync=on``, e.g.
``ONE2ONE_PG_FSYNC=on bash .ci/postgres.sh start /tmp/pg-bench``). The raw baselines are
``sqlite3`` and psycopg on the same schema (``benchmarks/_interact_backends.py``).

Cases (sizes are flags; ``--quick`` divides them by 10):

1. ``append``: 1,000,000 simulated events of 100,000 customers (mostly inbound visits,
   views and purchases, with values and ``{"category", "sku"}`` payloads; some
   inquiries, returns, offer responses, survey answers and complaints) appended in
   batches of 10,000 to an ``InteractionLog``, against raw ``executemany`` into the same
   ``events`` table (SQLite: DDL and indexes copied from a one2one-created database's
   ``sqlite_master``, the same pragmas; PostgreSQL: a schema one2one created), the same
   batch size, one transaction per batch and the same ``INSERT ... ON CONFLICT
   (event_id) DO NOTHING``, with the rows ready as tuples. Raw baselines: (a)
   time-ordered UUIDv7 ids (``one2one.interact._ids.new_event_id``), (b) random uuid4
   ids, (c) UUIDv7 ids with the two secondary indexes created after the load (their
   creation is timed); on PostgreSQL also (copy) ``COPY`` of the rows of (a), one
   transaction per batch, the server's limit. one2one: (i) ``append`` of pre-built
   ``Interaction`` objects carrying the ids of (a), so both store identical rows
   (checked, ``recorded_at`` aside); (ii) end to end: ``append`` of plain dicts
   (construction, validation, id generation, storage); (iii) informational: as (i) with
   5% of the events outbound marketing offers, whose consent ``append`` checks in the
   log (grants stored beforehand, untimed). Target: (i) reaches at least half the rate
   of (a) on each backend.
2. ``history``: a log of 10,000,000 events of 100,000 customers (~100 each, the same
   mix, in time order over two years), then ``log.history(customer)`` and
   ``log.count(customer)`` for 1,000 random customers (median, p99), next to the bare
   SQL query behind ``history``. The log is created by one2one and filled by default
   with the rows one2one would store, secondary indexes rebuilt after the load (the
   fastest path: raw ``executemany`` on SQLite, ``COPY`` then ``VACUUM (ANALYZE)`` on
   PostgreSQL); ``--build append`` fills it with one2one's own ``append`` instead. The
   backends' logs are filled in one pass with the same rows. Reads run on a warm cache.
   Targets: median history under 2 ms on SQLite, under 5 ms on PostgreSQL.
3. ``policy``: a ``ContactPolicy`` with ``FrequencyCap(2, 7 days, channel="email")``,
   ``FrequencyCap(4, 7 days)``, ``QuietHours(21:00, 08:00)`` in each customer's time
   zone, ``CoolingOff(14 days)`` and ``IgnoredSuppression(3, 30 days, 60 days)`` over a
   log of 100,000 customers, each with a marketing consent grant, a few outbound offers
   and messages (email, sms, app) in the last 180 days, ignored offers, an occasional
   complaint and some inbound activity; 20,000 ``policy.check`` calls on random
   customers, channels and times in the last 90 days. Targets: 10,000 checks/s on
   SQLite, 5,000 on PostgreSQL; the decisions must be the same on both. Then a
   campaign: the same 20,000 customers and channels at one of 20 campaign moments
   (``--policy-campaigns``), decided by ``policy.check`` one at a time and by
   ``policy.check_many`` once per (channel, moment), which fetches 500 customers per
   query; its decisions must equal ``check``'s. Same targets for ``check_many``.
4. ``profiles``: ``ProfileStore.from_log`` over case 2's log (built here if case 2 did
   not run), next to a bare SELECT of the same columns; every customer's event count,
   purchases and value are checked against SQL ``GROUP BY`` aggregates. Target: 10M
   events in under 60 s (SQLite's; informational on PostgreSQL).
5. ``writers``: 400,000 events appended as plain dicts (producer-set event ids) in
   batches of 1,000 by one process, then by 4 processes at once (each a quarter), each
   with its own ``InteractionLog`` on the same log; the clock runs from the moment all
   are ready to the last one's end. The log serialises writes, so a gain comes from
   overlapping each process's Python-side work (validation, rows) with the others'
   writes. Afterwards every event id is checked to be stored exactly once. Target: 4
   processes reach at least 1.5x one process's throughput, on each backend.

``--encryption on`` (the default, as in the library) seals every payload under its
customer's key (crypto-shredding); ``--encryption off`` opens the logs with
``encrypt=False``, so the two runs give the encryption overhead.

Every timed run starts after ``gc.collect(); gc.freeze()``, so the benchmark's own
prepared inputs (millions of tuples, dicts and objects) are not rescanned by the
garbage collector during the run. A case that misses its target is profiled with
cProfile on a smaller, untimed run (``--profile always``, ``--profile never``): the
functions with the most own time and one2one's functions by cumulative time.

Run from the repository root::

    python benchmarks/interact.py                  # SQLite, full sizes; ~11 min on 2 cores
    python benchmarks/interact.py --backends sqlite,postgres --quick
    python benchmarks/interact.py --backends postgres --cases history --history-events 3000000
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import json
import multiprocessing as mp
import os
import platform
import pstats
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from _interact_backends import Backend, PostgresBackend, SqliteBackend
from _machine import machine, version
from _report import Target, load_note, print_footer, print_rows

from one2one.interact import (
    ContactPolicy,
    CoolingOff,
    FrequencyCap,
    IgnoredSuppression,
    Interaction,
    InteractionLog,
    ProfileStore,
    QuietHours,
)
from one2one.interact._ids import new_event_id

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
DAY_US = 86_400 * 1_000_000
APPEND_RATIO = 0.5  # one2one's append rate / raw executemany (a), each backend
HISTORY_MS = {"sqlite": 2.0, "postgres": 5.0}  # one customer's history, median
CHECKS_PER_S = {"sqlite": 10_000.0, "postgres": 5_000.0}  # policy checks
PROFILES_S = 60.0  # replaying the 10M-event log into profiles (SQLite's target)
WRITERS_GAIN = 1.5  # throughput of the most writer processes / one process
SLOW_BUILD = 360.0  # seconds: a history build longer than this is worth scaling down

HISTORY_SQL = (
    "SELECT seq, event_id, customer_id, occurred_at, channel, kind, direction, value, cost, "
    "offer_id, propensity, payload, recorded_at FROM events WHERE customer_id IN (?) "
    "ORDER BY occurred_at, seq"
)


# --- simulated events ----------------------------------------------------------------------
@dataclass(frozen=True)
class KindMix:
    kind: str
    share: float
    channels: tuple[str, ...]
    channel_shares: tuple[float, ...]


# Inbound activity: what a customer does (the offer responses name an offer).
MIX = (
    KindMix("visit", 0.415, ("web", "app"), (0.7, 0.3)),
    KindMix("view", 0.35, ("web", "app"), (0.6, 0.4)),
    KindMix("purchase", 0.10, ("web", "app", "store"), (0.5, 0.25, 0.25)),
    KindMix("return", 0.01, ("store", "web"), (0.6, 0.4)),
    KindMix("inquiry", 0.03, ("chat", "phone", "email"), (0.5, 0.3, 0.2)),
    KindMix("offer_accepted", 0.02, ("email", "app", "web"), (0.5, 0.3, 0.2)),
    KindMix("offer_declined", 0.01, ("email", "app"), (0.6, 0.4)),
    KindMix("offer_ignored", 0.05, ("email", "sms"), (0.7, 0.3)),
    KindMix("survey_answer", 0.01, ("email",), (1.0,)),
    KindMix("complaint", 0.005, ("phone", "chat", "email"), (0.5, 0.3, 0.2)),
)
CATEGORIES = (
    "shoes",
    "jackets",
    "shirts",
    "trousers",
    "dresses",
    "bags",
    "watches",
    "jewellery",
    "sportswear",
    "kids",
    "home",
    "beauty",
)
ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "UTC",
)
N_SKUS = 50_000
N_OFFERS = 200

# A record is an event without its id, in one2one's column order:
# (customer_id, occurred_at_us, channel, kind, direction, value, cost, offer_id,
#  propensity, payload dict or None)
Record = tuple[Any, ...]


def customer_names(n: int) -> list[str]:
    return [f"c{i:07d}" for i in range(n)]


def simulate(
    rng: np.random.Generator, n: int, names: Sequence[str], start_us: int, end_us: int
) -> list[Record]:
    """``n`` inbound events of random customers, in time order within [start, end)."""
    at = np.sort(rng.integers(start_us, end_us, n)).tolist()
    who = rng.integers(0, len(names), n).tolist()
    kind_index = rng.choice(len(MIX), n, p=[m.share for m in MIX])
    channel = np.empty(n, dtype=object)
    for i, mix in enumerate(MIX):
        mask = kind_index == i
        channel[mask] = rng.choice(mix.channels, int(mask.sum()), p=mix.channel_shares)
    kinds = [MIX[k].kind for k in kind_index.tolist()]
    value = np.round(rng.lognormal(3.6, 0.8, n), 2).tolist()
    category = rng.integers(0, len(CATEGORIES), n).tolist()
    sku = rng.integers(0, N_SKUS, n).tolist()
    offer = rng.integers(0, N_OFFERS, n).tolist()
    nps = rng.integers(0, 11, n).tolist()
    records: list[Record] = []
    add = records.append
    for c, t, ch, kind, v, cat, s, o, score in zip(
        who, at, channel.tolist(), kinds, value, category, sku, offer, nps, strict=True
    ):
        amount = offer_id = payload = None
        if kind in {"view", "purchase", "return"}:
            payload = {"category": CATEGORIES[cat], "sku": f"SKU-{s:05d}"}
            if kind == "purchase":
                amount = v
            elif kind == "return":
                amount = -v
        elif kind.startswith("offer_"):
            offer_id = f"offer-{o:03d}"
        elif kind == "survey_answer":
            payload = {"nps": score}
        add((names[c], t, ch, kind, "inbound", amount, None, offer_id, None, payload))
    return records


def payload_text(payload: dict[str, Any] | None) -> str | None:
    """The payload as one2one stores it (``_log._row``: sorted keys, NULL when empty)."""
    return json.dumps(payload, sort_keys=True) if payload else None


def as_rows(records: Sequence[Record], ids: Sequence[str], recorded_us: int) -> list[tuple]:
    return [
        (event_id, *record[:9], payload_text(record[9]), recorded_us)
        for event_id, record in zip(ids, records, strict=True)
    ]


def moment(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


def as_interactions(records: Sequence[Record], ids: Sequence[str]) -> list[Interaction]:
    return [
        Interaction(
            event_id=event_id,
            customer_id=c,
            occurred_at=moment(t),
            channel=ch,
            kind=kind,
            direction=direction,
            value=v,
            cost=cost,
            offer_id=offer_id,
            propensity=p,
            payload=payload,
        )
        for event_id, (c, t, ch, kind, direction, v, cost, offer_id, p, payload) in zip(
            ids, records, strict=True
        )
    ]


def as_dicts(records: Sequence[Record]) -> list[dict[str, Any]]:
    """Plain messages: the fields a producer would send (no event id; absent when empty)."""
    dicts = []
    for c, t, ch, kind, direction, v, cost, offer_id, p, payload in records:
        message: dict[str, Any] = {
            "customer_id": c,
            "occurred_at": moment(t),
            "channel": ch,
            "kind": kind,
        }
        if direction != "inbound":
            message["direction"] = direction
        optional = (("value", v), ("cost", cost), ("offer_id", offer_id), ("propensity", p))
        message.update({key: item for key, item in optional if item is not None})
        if payload:
            message["payload"] = payload
        dicts.append(message)
    return dicts


def uuid7_ids(n: int) -> list[str]:
    return [new_event_id() for _ in range(n)]


def batched(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


# --- timing --------------------------------------------------------------------------------
def timed(fn: Callable[[], Any]) -> float:
    """Seconds ``fn`` takes, the collector frozen over the prepared inputs."""
    gc.collect()
    gc.freeze()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.unfreeze()


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds) * 1e3, q))


# --- profiling -----------------------------------------------------------------------------
def where(key: tuple[str, int, str]) -> str:
    filename, line, function = key
    if filename == "~":
        return function  # a C function: "<method 'executemany' ...>"
    parts = Path(filename).parts
    if "one2one" in parts:
        filename = "/".join(parts[parts.index("one2one") :])
    elif "site-packages" in parts:
        filename = "/".join(parts[parts.index("site-packages") + 1 :])
    else:
        filename = Path(filename).name
    return f"{filename}:{line}({function})"


def area(key: tuple[str, int, str]) -> str:
    """Where a profiled function lives: one2one's module, a package, the stdlib, or C."""
    filename, _, function = key
    if filename == "~":
        driver = next((d for d in ("sqlite3", "psycopg") if d in function), "builtins")
        return f"{driver} (C)"
    parts = Path(filename).parts
    if "one2one" in parts:
        return "/".join(parts[parts.index("one2one") :])
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    if filename.startswith("<attrs generated"):
        return "attrs-generated __init__"
    lib = next((i for i, part in enumerate(parts) if part.startswith("python3")), None)
    if lib is not None and lib + 1 < len(parts):
        return "stdlib " + Path(parts[lib + 1]).stem
    return Path(filename).name


def profile(label: str, fn: Callable[[], Any], top: int = 14) -> None:
    """Run ``fn`` under cProfile and print where its time goes."""
    profiler = cProfile.Profile()
    gc.collect()
    gc.freeze()
    try:
        profiler.enable()
        fn()
        profiler.disable()
    finally:
        gc.unfreeze()
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for _, _, tt, _, _ in entries.values()) or 1.0
    print(f"  profile of {label} (cProfile, untimed; total {total:.2f} s under the profiler):")
    print("    by own time:")
    by_own = sorted(entries.items(), key=lambda item: -item[1][2])[:top]
    for key, (_, calls, tt, ct, _) in by_own:
        print(
            f"      {tt / total:6.1%}  own {tt:6.3f} s  cum {ct:6.3f} s  "
            f"{calls:>9,} calls  {where(key)}"
        )
    areas: Counter[str] = Counter()
    for key, (_, _, tt, _, _) in entries.items():
        areas[area(key)] += tt
    print(
        "    own time by area: "
        + ", ".join(f"{name} {tt / total:.0%}" for name, tt in areas.most_common(8))
    )
    print("    one2one functions by cumulative time:")
    ours = [item for item in entries.items() if "one2one" in item[0][0]]
    for key, (_, calls, tt, ct, _) in sorted(ours, key=lambda item: -item[1][3])[:top]:
        print(
            f"      {ct / total:6.1%}  cum {ct:6.3f} s  own {tt:6.3f} s  "
            f"{calls:>9,} calls  {where(key)}"
        )


# --- results -------------------------------------------------------------------------------
@dataclass
class Context:
    args: argparse.Namespace
    directory: Path
    backends: list[Backend]
    targets: list[Target] = field(default_factory=list)
    history_kept: bool = False  # case 2's logs ("history") kept for case 4

    def should_profile(self, passed: bool) -> bool:
        return self.args.profile == "always" or (self.args.profile == "auto" and not passed)

    def target(
        self, backend: Backend, case: str, measured: str, target: str, passed: bool | None
    ) -> None:
        self.targets.append(Target(f"[{backend.name}] {case}", measured, target, passed))


# --- encryption --------------------------------------------------------------------------
def log_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for every ``InteractionLog`` a timed run opens (payloads sealed or not)."""
    return {} if args.encryption == "on" else {"encrypt": False}


def open_log(ctx: Context, backend: Backend, name: str, **options: Any) -> InteractionLog:
    return InteractionLog(backend.target(name), **options, **log_options(ctx.args))


# --- case 1: append ------------------------------------------------------------------------
@dataclass
class AppendRun:
    label: str
    seconds: list[float] = field(default_factory=list)
    load_seconds: list[float] = field(default_factory=list)  # (c): before the index build

    @property
    def best(self) -> float:
        return min(self.seconds)


def raw_run(
    backend: Backend,
    name: str,
    batches: list[Sequence[tuple]],
    *,
    late_indexes: bool = False,
    copy: bool = False,
) -> tuple[float, float]:
    """Raw executemany (or COPY) into a fresh events table; returns (load s, total s)."""
    raw = backend.fresh_raw(name, late_indexes=late_indexes)
    marks: dict[str, float] = {}

    def load() -> None:
        start = time.perf_counter()
        if copy:
            backend.copy_batches(raw, batches)  # type: ignore[attr-defined]
        else:
            backend.insert_batches(raw, batches)
        marks["load"] = time.perf_counter() - start
        if late_indexes:
            backend.create_indexes(raw)

    total = timed(load)
    raw.close()
    return marks["load"], total


def one2one_run(
    ctx: Context, backend: Backend, name: str, batches: list[Sequence[Any]], setup: Any = None
) -> float:
    backend.remove(name)
    log = open_log(ctx, backend, name)
    if setup is not None:
        for batch in setup:
            log.append(batch)

    def load() -> None:
        for batch in batches:
            log.append(batch)

    seconds = timed(load)
    log.close()
    return seconds


def with_outbound(
    rng: np.random.Generator, records: list[Record], share: float
) -> tuple[list[Record], list[Record]]:
    """Turn ``share`` of the events into outbound offers; consent grants for every customer."""
    changed = list(records)
    for i in rng.choice(len(records), int(len(records) * share), replace=False).tolist():
        c, t = records[i][0], records[i][1]
        offer = f"offer-{i % N_OFFERS:03d}"
        changed[i] = (c, t, "email", "offer_made", "outbound", None, 0.02, offer, 0.25, None)
    first = min(r[1] for r in records) - DAY_US
    customers = sorted({r[0] for r in records})
    consent = {"purpose": "marketing", "channel": None}
    grants = [
        (c, first, "web", "consent_granted", "inbound", None, None, None, None, consent)
        for c in customers
    ]
    return changed, grants


APPEND_LABELS = {
    "a": "raw executemany, (a) UUIDv7 ids",
    "copy": "raw COPY of (a)'s rows (the limit)",
    "b": "raw executemany, (b) uuid4 ids",
    "c": "raw executemany, (c) UUIDv7, indexes after load",
    "i": "one2one append(Interaction objects)  (i)",
    "ii": "one2one append(dicts), end to end   (ii)",
    "iii": "one2one (i) with 5% outbound offers  (iii)",
}


def case_append(ctx: Context) -> None:
    args = ctx.args
    n, batch = args.append_events, args.append_batch
    rng = np.random.default_rng(args.seed)
    names = customer_names(args.append_customers)
    end_us = (NOW - EPOCH) // dt.timedelta(microseconds=1)
    print(
        f"\n[1] append: {n:,} events of {args.append_customers:,} customers in batches of "
        f"{batch:,} (one transaction per batch)"
    )
    started = time.perf_counter()
    records = simulate(rng, n, names, end_us - 365 * DAY_US, end_us)
    ids7 = uuid7_ids(n)
    ids4 = [str(uuid.uuid4()) for _ in range(n)]
    recorded = end_us
    rows7 = batched(as_rows(records, ids7, recorded), batch)
    rows4 = batched(as_rows(records, ids4, recorded), batch)
    events = batched(as_interactions(records, ids7), batch)
    dicts = batched(as_dicts(records), batch)
    outbound, grants = with_outbound(rng, records, 0.05)
    events_out = batched(as_interactions(outbound, uuid7_ids(n)), batch)
    setup_out = batched(as_interactions(grants, uuid7_ids(len(grants))), batch)
    kinds = Counter(r[3] for r in records)
    print(
        "  data: "
        + ", ".join(f"{k} {v / n:.1%}" for k, v in kinds.most_common())
        + f"; {sum(1 for r in records if r[9]) / n:.0%} with a payload "
        f"(prepared in {time.perf_counter() - started:.0f} s, untimed)"
    )
    inputs = {"rows7": rows7, "rows4": rows4, "i": events, "ii": dicts, "iii": events_out}
    for backend in ctx.backends:
        append_on(ctx, backend, inputs, setup_out)


def append_on(
    ctx: Context, backend: Backend, inputs: dict[str, list[Sequence[Any]]], setup_out: Any
) -> None:
    """Case 1's runs on one backend, interleaved round by round."""
    args = ctx.args
    n, batch = args.append_events, args.append_batch
    events, dicts = inputs["i"], inputs["ii"]
    print(f"  -- {backend.label}")
    keys = ["a", "i", "b", "ii", "c", "iii"]
    if backend.name == "postgres":
        keys.insert(1, "copy")
    runs = {key: AppendRun(APPEND_LABELS[key]) for key in keys}
    check, size = "", 0.0
    for round_ in range(args.repeat):
        for key in keys:
            if key in {"a", "b", "c", "copy"}:
                data = inputs["rows4" if key == "b" else "rows7"]
                load, total = raw_run(
                    backend, f"raw_{key}", data, late_indexes=key == "c", copy=key == "copy"
                )
                runs[key].seconds.append(total)
                runs[key].load_seconds.append(load)
            else:
                data = inputs[key]
                setup = setup_out if key == "iii" else None
                runs[key].seconds.append(one2one_run(ctx, backend, f"one2one_{key}", data, setup))
            print(f"    round {round_ + 1} {key:>4}: {runs[key].seconds[-1]:6.2f} s", flush=True)
        if round_ == 0:
            check = backend.same_rows("raw_a", "one2one_i")
            size = backend.size_mib("one2one_i")
        for key in keys:
            backend.remove(f"{'raw' if key in {'a', 'b', 'c', 'copy'} else 'one2one'}_{key}")
    print_append_table(runs, n, args.repeat, backend.label)
    print(f"  stored rows, one2one (i) vs raw (a): {check}; log {size:,.0f} MiB")
    append_targets(ctx, backend, runs, n)
    passed = runs["a"].best / runs["i"].best >= APPEND_RATIO
    if ctx.should_profile(passed):
        sample = max(1, min(len(events), 100_000 // batch))
        for key, data in (("i", events[:sample]), ("ii", dicts[:sample])):
            profile(
                f"one2one ({key}) on {backend.name}, {sample * batch:,} events",
                lambda data=data: one2one_run(ctx, backend, "profile", data),
            )
        backend.remove("profile")


def append_targets(ctx: Context, backend: Backend, runs: dict[str, AppendRun], n: int) -> None:
    ratio = runs["a"].best / runs["i"].best
    ctx.target(
        backend,
        "append rate, one2one (i) / raw executemany (a)",
        f"{ratio:.2f} ({n / runs['i'].best:,.0f} vs {n / runs['a'].best:,.0f} events/s)",
        f">= {APPEND_RATIO:g}",
        ratio >= APPEND_RATIO,
    )
    if "copy" in runs:
        ctx.target(
            backend,
            "append rate, one2one (i) / raw COPY",
            f"{runs['copy'].best / runs['i'].best:.2f} (COPY {n / runs['copy'].best:,.0f}/s)",
            "informational",
            None,
        )
    end_to_end = runs["a"].best / runs["ii"].best
    ctx.target(
        backend,
        "append rate, one2one end to end (ii) / raw (a)",
        f"{end_to_end:.2f} ({n / runs['ii'].best:,.0f} events/s)",
        "informational",
        None,
    )


def print_append_table(runs: dict[str, AppendRun], n: int, repeat: int, label: str) -> None:
    base = runs["a"].best
    header = ("run", "best s", "events/s", "vs raw (a)", "all runs s")
    table = [header]
    for key, run in runs.items():
        spread = ", ".join(f"{s:.2f}" for s in run.seconds)
        best = f"{run.best:.2f}"
        if key == "c":
            best += f" ({min(run.load_seconds):.2f} load)"
        table.append((run.label, best, f"{n / run.best:,.0f}", f"{base / run.best:.2f}", spread))
    print_rows(
        table,
        f"{label}: append {n:,} events, best of {repeat} (vs raw (a) = rate / raw (a)'s rate)",
    )


# --- building big logs ---------------------------------------------------------------------
def build_logs(
    ctx: Context,
    name: str,
    chunks: Iterator[list[Record]],
    mode: str,
    *,
    require_consent: bool = True,
) -> tuple[int, dict[str, float]]:
    """Fill the log ``name`` on every backend with the same events, chunk by chunk.

    Returns the events stored (the same on each) and each backend's seconds
    (the simulation of the chunks is not counted).
    """
    seconds = dict.fromkeys((b.name for b in ctx.backends), 0.0)
    stored = 0
    if mode == "append":
        logs = {}
        for backend in ctx.backends:
            backend.remove(name)
            logs[backend.name] = open_log(ctx, backend, name, require_consent=require_consent)
        for records in chunks:
            events = as_interactions(records, uuid7_ids(len(records)))
            for backend in ctx.backends:
                start = time.perf_counter()
                count = logs[backend.name].append(events).stored
                seconds[backend.name] += time.perf_counter() - start
            stored += count
        for log in logs.values():
            log.close()
        return stored, seconds
    raws = {}
    for backend in ctx.backends:
        start = time.perf_counter()
        raws[backend.name] = backend.build_begin(name)
        seconds[backend.name] += time.perf_counter() - start
    for records in chunks:
        rows = as_rows(records, uuid7_ids(len(records)), time.time_ns() // 1000)
        for backend in ctx.backends:
            start = time.perf_counter()
            backend.build_rows(raws[backend.name], rows)
            seconds[backend.name] += time.perf_counter() - start
        stored += len(rows)
    for backend in ctx.backends:
        start = time.perf_counter()
        backend.build_end(raws[backend.name])
        seconds[backend.name] += time.perf_counter() - start
    return stored, seconds


def build_note(ctx: Context, name: str, stored: int, seconds: dict[str, float], how: str) -> None:
    for backend in ctx.backends:
        took = seconds[backend.name]
        print(
            f"  {backend.name}: built in {took:.0f} s ({stored / took:,.0f} events/s; "
            f"{how if ctx.args.build == 'append' else BUILD_HOW[backend.name]}); "
            f"log {backend.size_mib(name):,.0f} MiB"
        )
        if took > SLOW_BUILD:
            print(
                f"  note: the build took more than {SLOW_BUILD / 60:.0f} min; "
                "--history-events scales it down"
            )


BUILD_HOW = {
    "sqlite": "raw executemany of one2one's rows, secondary indexes rebuilt after",
    "postgres": "COPY of one2one's rows, secondary indexes rebuilt after, VACUUM (ANALYZE)",
}


def history_chunks(
    rng: np.random.Generator, n: int, names: Sequence[str], chunk: int
) -> Iterator[list[Record]]:
    end_us = (NOW - EPOCH) // dt.timedelta(microseconds=1)
    start_us = end_us - 730 * DAY_US
    parts = max(1, -(-n // chunk))
    edges = np.linspace(start_us, end_us, parts + 1).astype(np.int64).tolist()
    for k in range(parts):
        size = min(chunk, n - k * chunk)
        yield simulate(rng, size, names, edges[k], edges[k + 1])


# --- case 2: history -----------------------------------------------------------------------
def read_histories(
    log: InteractionLog, backend: Backend, raw: Any, customers: Sequence[str]
) -> tuple[dict[str, list[float]], list[int]]:
    """Time history, count and the bare SELECT for each customer, in turn."""
    log.history(customers[0])  # warm up: imports, statement cache
    log.count(customers[0])
    backend.fetchall(raw, HISTORY_SQL, (customers[0],))
    timings: dict[str, list[float]] = {"history": [], "count": [], "sql": []}
    sizes = []
    gc.collect()
    gc.freeze()
    try:
        for customer in customers:
            start = time.perf_counter()
            frame = log.history(customer)
            middle = time.perf_counter()
            log.count(customer)
            after = time.perf_counter()
            backend.fetchall(raw, HISTORY_SQL, (customer,))
            timings["sql"].append(time.perf_counter() - after)
            timings["history"].append(middle - start)
            timings["count"].append(after - middle)
            sizes.append(len(frame))
    finally:
        gc.unfreeze()
    return timings, sizes


def case_history(ctx: Context) -> None:
    args = ctx.args
    n = args.history_events
    customers = args.history_customers or max(1, n // 100)
    probes = min(args.history_probes, customers)
    print(
        f"\n[2] history: {n:,} events of {customers:,} customers (~{n / customers:.0f} each), "
        f"{probes:,} random customers"
    )
    rng = np.random.default_rng(args.seed + 1)
    names = customer_names(customers)
    stored, seconds = build_logs(
        ctx, "history", history_chunks(rng, n, names, 200_000), args.build, require_consent=True
    )
    build_note(ctx, "history", stored, seconds, "one2one append, 200k-event batches")
    chosen = [names[i] for i in rng.choice(customers, probes, replace=False).tolist()]
    for backend in ctx.backends:
        log = open_log(ctx, backend, "history")
        raw = backend.raw("history")
        timings, sizes = read_histories(log, backend, raw, chosen)
        print(
            f"  -- {backend.label}: events per probed customer: median {np.median(sizes):.0f}, "
            f"min {min(sizes)}, max {max(sizes)}"
        )
        table = [("call", "median ms", "p99 ms", "max ms", "mean ms")]
        labels = {
            "history": "log.history(customer)",
            "count": "log.count(customer)",
            "sql": "bare SELECT behind history (fetchall)",
        }
        for key, label in labels.items():
            values = timings[key]
            table.append(
                (
                    label,
                    f"{percentile_ms(values, 50):.3f}",
                    f"{percentile_ms(values, 99):.3f}",
                    f"{max(values) * 1e3:.3f}",
                    f"{np.mean(values) * 1e3:.3f}",
                )
            )
        print_rows(
            table,
            f"{backend.name}: one customer at {stored:,} stored events ({probes:,} customers)",
        )
        median = percentile_ms(timings["history"], 50)
        p99 = percentile_ms(timings["history"], 99)
        limit = HISTORY_MS[backend.name]
        passed = median < limit
        ctx.target(
            backend,
            f"history at {stored / 1e6:g}M events, median",
            f"{median:.3f} ms (p99 {p99:.3f}; bare SELECT {percentile_ms(timings['sql'], 50):.3f})",
            f"< {limit:g} ms",
            passed,
        )
        if ctx.should_profile(passed):
            sample = chosen[: min(len(chosen), 300)]
            profile(
                f"log.history for {len(sample)} customers on {backend.name}",
                lambda log=log, sample=sample: [log.history(c) for c in sample],
            )
        raw.close()
        log.close()
    if "profiles" in ctx.args.cases.split(","):
        ctx.history_kept = True
    else:
        for backend in ctx.backends:
            backend.remove("history")


# --- case 3: policy ------------------------------------------------------------------------
def poisson_times(
    rng: np.random.Generator, mean: float, customers: int, start_us: int, end_us: int
) -> tuple[list[int], list[int]]:
    counts = rng.poisson(mean, customers)
    who = np.repeat(np.arange(customers), counts)
    return who.tolist(), rng.integers(start_us, end_us, int(counts.sum())).tolist()


def policy_records(rng: np.random.Generator, names: Sequence[str], args: Any) -> list[Record]:
    """Consent, outbound contacts, ignored offers, complaints and some inbound activity."""
    customers = len(names)
    end_us = (NOW - EPOCH) // dt.timedelta(microseconds=1)
    span = 180 * DAY_US
    consent = {"purpose": "marketing", "channel": None}
    records: list[Record] = [
        (c, end_us - 400 * DAY_US + i, "web", "consent_granted", "inbound", *[None] * 4, consent)
        for i, c in enumerate(names)
    ]
    who, at = poisson_times(rng, args.policy_contacts, customers, end_us - span, end_us)
    channels = rng.choice(("email", "sms", "app"), len(who), p=(0.6, 0.2, 0.2)).tolist()
    is_offer = (rng.random(len(who)) < 0.8).tolist()
    offer = rng.integers(0, N_OFFERS, len(who)).tolist()
    cost = {"email": 0.002, "sms": 0.05, "app": 0.0}
    for c, t, ch, made, o in zip(who, at, channels, is_offer, offer, strict=True):
        kind, offer_id = ("offer_made", f"offer-{o:03d}") if made else ("message", None)
        propensity = 0.25 if made else None
        records.append(
            (names[c], t, ch, kind, "outbound", None, cost[ch], offer_id, propensity, None)
        )
    who, at = poisson_times(rng, args.policy_ignored, customers, end_us - span, end_us)
    channels = rng.choice(("email", "sms"), len(who), p=(0.8, 0.2)).tolist()
    for c, t, ch in zip(who, at, channels, strict=True):
        records.append((names[c], t, ch, "offer_ignored", "inbound", None, None, None, None, None))
    who, at = poisson_times(rng, args.policy_complaints, customers, end_us - span, end_us)
    for c, t in zip(who, at, strict=True):
        records.append((names[c], t, "phone", "complaint", "inbound", None, None, None, None, None))
    inbound = int(args.policy_inbound * customers)
    records += simulate(rng, inbound, names, end_us - 365 * DAY_US, end_us)
    records.sort(key=lambda r: r[1])
    return records


def time_calls(fn: Callable[[Any], Any], calls: Sequence[Any]) -> tuple[float, list[float]]:
    """Total seconds and each call's latency."""
    latencies: list[float] = []

    def run() -> None:
        for call in calls:
            start = time.perf_counter()
            fn(call)
            latencies.append(time.perf_counter() - start)

    return timed(run), latencies


def check_statement(kinds: Sequence[str]) -> str:
    """The one SQL query a ``policy.check`` runs (as of this writing: ``_policy.policy_rows``).

    The customer's merged ids, their consent decisions up to ``at`` and their
    marketing and rule events from one horizon back to two ahead.
    """
    return (
        "WITH root(id) AS (SELECT coalesce((SELECT into_id FROM aliases WHERE from_id = ?), "  # noqa: S608 (fixed SQL, bound values)
        "?)), ids(id) AS (SELECT id FROM root UNION ALL SELECT from_id FROM aliases "
        "WHERE into_id = (SELECT id FROM root)) SELECT occurred_at, kind, direction, "
        "channel, payload FROM ids CROSS JOIN events WHERE events.customer_id = ids.id AND "
        "((kind IN ('consent_granted', 'consent_denied', 'consent_withdrawn') AND "
        "occurred_at <= ?) OR (occurred_at >= ? AND occurred_at < ? AND "
        f"kind IN ({', '.join('?' * len(kinds))}))) ORDER BY occurred_at, seq"
    )


def check_parameters(
    customer: str, at: dt.datetime, horizon_us: int, kinds: Sequence[str]
) -> list[Any]:
    at_us = (at - EPOCH) // dt.timedelta(microseconds=1)
    return [customer, customer, at_us, at_us - horizon_us, at_us + 2 * horizon_us, *kinds]


def classify(reason: str) -> str:
    if reason.startswith("at most"):
        return "email cap" if "email" in reason else "all-channel cap"
    for start, label in (
        ("quiet hours", "quiet hours"),
        ("cooling off", "cooling off"),
        ("no ", "no consent"),
    ):
        if reason.startswith(start):
            return label
    return "ignored offers" if "ignored" in reason else reason


POLICY_RULES = (
    FrequencyCap(2, dt.timedelta(days=7), channel="email"),
    FrequencyCap(4, dt.timedelta(days=7)),
    QuietHours(dt.time(21), dt.time(8)),
    CoolingOff(dt.timedelta(days=14)),
    IgnoredSuppression(3, dt.timedelta(days=30), dt.timedelta(days=60)),
)


def case_policy(ctx: Context) -> None:
    args = ctx.args
    customers, checks = args.policy_customers, args.policy_checks
    rng = np.random.default_rng(args.seed + 2)
    names = customer_names(customers)
    records = policy_records(rng, names, args)
    print(
        f"\n[3] policy: {checks:,} ContactPolicy.check calls over {customers:,} customers "
        f"({len(records):,} events, ~{len(records) / customers:.1f} per customer)"
    )
    kinds = Counter(r[3] for r in records)
    print("  events: " + ", ".join(f"{k} {v:,}" for k, v in kinds.most_common()))
    stored, seconds = build_logs(
        ctx, "policy", iter(batched(records, 200_000)), args.build, require_consent=False
    )
    build_note(ctx, "policy", stored, seconds, "one2one append, 200k-event batches")
    timezones = {c: ZONES[i % len(ZONES)] for i, c in enumerate(names)}
    end_us = (NOW - EPOCH) // dt.timedelta(microseconds=1)
    who = rng.integers(0, customers, checks).tolist()
    when = rng.integers(end_us - 90 * DAY_US, end_us, checks).tolist()
    where_ = rng.choice(("email", "sms", "app"), checks, p=(0.6, 0.2, 0.2)).tolist()
    calls = [(names[c], ch, moment(t)) for c, ch, t in zip(who, where_, when, strict=True)]
    moments = [moment(t) for t in when[: args.policy_campaigns]]
    campaign = [(c, ch, moments[i % len(moments)]) for i, (c, ch, _) in enumerate(calls)]
    answers = {b.name: policy_on(ctx, b, calls, timezones, campaign) for b in ctx.backends}
    if len(answers) > 1:
        first, *others = answers.values()
        same = all(other == first for other in others)
        print(f"  decisions identical on every backend: {'yes' if same else 'NO'}")
        if not same:
            ctx.targets.append(
                Target("policy decisions equal across backends", "NO", "equal", passed=False)
            )


def policy_on(
    ctx: Context,
    backend: Backend,
    calls: list[Any],
    timezones: dict[str, str],
    campaign: list[Any],
) -> list[Any]:
    """Time the checks and their bare query on one backend; return the decisions."""
    checks = len(calls)
    log = open_log(ctx, backend, "policy")
    policy = ContactPolicy(log, list(POLICY_RULES), timezones=timezones)
    for call in calls[:20]:  # warm up
        policy.check(*call)
    decisions: list[Any] = []
    total, latencies = time_calls(lambda call: decisions.append(policy.check(*call)), calls)
    rate = checks / total
    horizon_us = policy._horizon // dt.timedelta(microseconds=1)  # noqa: SLF001
    kinds_ = policy._kinds  # noqa: SLF001
    sql = check_statement(kinds_)
    raw = backend.raw("policy")

    def bare(call: Any) -> None:
        backend.fetchall(raw, sql, check_parameters(call[0], call[2], horizon_us, kinds_))

    for call in calls[:20]:  # warm up
        bare(call)
    sql_total, sql_latencies = time_calls(bare, calls)
    raw.close()
    allowed = sum(d.allowed for d in decisions)
    deferred = sum(d.deferred for d in decisions)
    reasons = Counter(classify(r) for d in decisions for r in d.reasons)
    print(
        f"  -- {backend.label}: decisions: {allowed / checks:.1%} allowed, "
        f"{deferred / checks:.1%} deferred (quiet hours only); blocking reasons: "
        + ", ".join(f"{k} {v / checks:.1%}" for k, v in reasons.most_common())
    )
    table = [
        ("call", "checks/s", "median ms", "p99 ms", "max ms"),
        (
            "policy.check(customer, channel, at)",
            f"{rate:,.0f}",
            f"{percentile_ms(latencies, 50):.3f}",
            f"{percentile_ms(latencies, 99):.3f}",
            f"{max(latencies) * 1e3:.3f}",
        ),
        (
            "its one SQL query alone (no rules)",
            f"{checks / sql_total:,.0f}",
            f"{percentile_ms(sql_latencies, 50):.3f}",
            f"{percentile_ms(sql_latencies, 99):.3f}",
            f"{max(sql_latencies) * 1e3:.3f}",
        ),
    ]
    bulk_rate, one_rate, groups, same = campaign_on(policy, campaign)
    table += [
        (
            f"campaign: policy.check, {len(campaign):,} one at a time",
            f"{one_rate:,.0f}",
            "",
            "",
            "",
        ),
        (
            f"campaign: policy.check_many, {groups} calls",
            f"{bulk_rate:,.0f}",
            "",
            "",
            "",
        ),
    ]
    print_rows(table, f"{backend.name}: {checks:,} checks in {total:.2f} s")
    print(f"  -- check_many decisions equal check's: {'yes' if same else 'NO'}")
    limit = CHECKS_PER_S[backend.name]
    passed = rate >= limit
    ctx.target(
        backend,
        "policy checks per second",
        f"{rate:,.0f} (bare query {checks / sql_total:,.0f})",
        f">= {limit:,.0f}",
        passed,
    )
    ctx.target(
        backend,
        "policy check_many decisions per second",
        f"{bulk_rate:,.0f} (check {one_rate:,.0f}, same decisions: {'yes' if same else 'NO'})",
        f">= {limit:,.0f}",
        bulk_rate >= limit and same,
    )
    if ctx.should_profile(passed):
        sample = calls[: min(len(calls), 2_000)]
        profile(
            f"{len(sample):,} policy.check calls on {backend.name}",
            lambda policy=policy, sample=sample: [policy.check(*c) for c in sample],
        )
    log.close()
    backend.remove("policy")
    return [(d.allowed, d.deferred, tuple(d.reasons)) for d in decisions]


def campaign_on(policy: ContactPolicy, campaign: list[Any]) -> tuple[float, float, int, bool]:
    """Decide the campaign by ``check`` and by ``check_many`` per (channel, moment).

    Returns ``check_many``'s and ``check``'s decisions per second, the number
    of ``check_many`` calls, and whether every decision is the same.
    """
    groups: dict[tuple[str, dt.datetime], list[int]] = {}
    for i, (_, channel, at) in enumerate(campaign):
        groups.setdefault((channel, at), []).append(i)
    one: list[Any] = []
    one_total = timed(lambda: one.extend(policy.check(*call) for call in campaign))
    frames: list[tuple[list[int], Any]] = []

    def run() -> None:
        for (channel, at), rows in groups.items():
            customers = [campaign[i][0] for i in rows]
            frames.append((rows, policy.check_many(customers, channel, at, progress=False)))

    bulk_total = timed(run)
    bulk: list[Any] = [None] * len(campaign)
    for rows, frame in frames:
        earliest = frame["earliest_allowed_at"]
        gaps = earliest.isna()
        times = [None if gap else t.to_pydatetime() for t, gap in zip(earliest, gaps, strict=True)]
        columns = zip(frame["allowed"], frame["reasons"], times, frame["deferred"], strict=True)
        for i, (allowed, reasons, at, deferred) in zip(rows, columns, strict=True):
            bulk[i] = (bool(allowed), tuple(reasons), at, bool(deferred))
    same = bulk == [(d.allowed, d.reasons, d.earliest_allowed_at, d.deferred) for d in one]
    return len(campaign) / bulk_total, len(campaign) / one_total, len(groups), same


# --- case 4: profiles ----------------------------------------------------------------------
AGGREGATES = {
    "sqlite": "SELECT customer_id, count(*), sum(kind = 'purchase'), total(value) FROM events "
    "GROUP BY customer_id",
    "postgres": "SELECT customer_id, count(*), count(*) FILTER (WHERE kind = 'purchase'), "
    "coalesce(sum(value), 0) FROM events GROUP BY customer_id",
}
PROFILE_COLUMNS = (
    "SELECT customer_id, occurred_at, channel, kind, direction, value, payload FROM events "
    "ORDER BY seq"
)


def bare_select(backend: Backend, raw: Any) -> int:
    """Fetch every row of the columns a rebuild reads (PostgreSQL: a server-side cursor)."""
    if backend.name == "sqlite":
        return sum(1 for _ in raw.execute(PROFILE_COLUMNS))
    count = 0
    with raw.transaction(), raw.cursor(name="bare") as cursor:
        cursor.itersize = 10_000
        cursor.execute(PROFILE_COLUMNS)
        for _ in cursor:
            count += 1
    return count


def case_profiles(ctx: Context) -> None:
    args = ctx.args
    if not ctx.history_kept:  # case 2 did not run: build the same logs
        customers = args.history_customers or max(1, args.history_events // 100)
        rng = np.random.default_rng(args.seed + 1)
        chunks = history_chunks(rng, args.history_events, customer_names(customers), 200_000)
        build_logs(ctx, "history", chunks, args.build)
    for backend in ctx.backends:
        profiles_on(ctx, backend)


def profiles_on(ctx: Context, backend: Backend) -> None:
    """Rebuild the profiles of case 2's log on one backend, checked against SQL."""
    log = open_log(ctx, backend, "history")
    stored = log.count()
    print(
        f"\n[4] profiles on {backend.label}: replaying {stored:,} events into profiles "
        "(case 2's log)"
    )
    stores: list[ProfileStore] = []
    seconds = timed(lambda: stores.append(ProfileStore.from_log(log)))
    store = stores[0]
    raw = backend.raw("history")
    fetch = timed(lambda: bare_select(backend, raw))
    # Check the fold against SQL aggregates for every customer.
    totals = {c: (n, p, v) for c, n, p, v in backend.fetchall(raw, AGGREGATES[backend.name])}
    frame = store.to_frame()
    agree = all(
        totals[c][0] == n and totals[c][1] == p and abs(totals[c][2] - v) <= 1e-6 * max(1, abs(v))
        for c, n, p, v in zip(
            frame.index, frame["interactions"], frame["purchases"], frame["value"], strict=True
        )
    ) and len(totals) == len(frame)
    raw.close()
    table = [
        ("step", "seconds", "events/s"),
        ("ProfileStore.from_log(log)", f"{seconds:.1f}", f"{stored / seconds:,.0f}"),
        ("bare SELECT of the same columns", f"{fetch:.1f}", f"{stored / fetch:,.0f}"),
    ]
    print_rows(table, f"{backend.name}: {len(store):,} profiles from {stored:,} events")
    print(
        f"  counts and value per customer equal SQL GROUP BY aggregates: "
        f"{'yes' if agree else 'NO'}; feature frame {frame.shape[0]:,} x {frame.shape[1]}"
    )
    passed = seconds < PROFILES_S and agree
    ctx.target(
        backend,
        f"replay {stored / 1e6:g}M events into profiles",
        f"{seconds:.1f} s (bare SELECT {fetch:.1f} s)",
        f"< {PROFILES_S:g} s" + ("" if backend.name == "sqlite" else " (SQLite's)"),
        passed,
    )
    if ctx.should_profile(passed):
        small = InteractionLog()
        small.append(list(log.replay(batch_size=10_000))[:200_000], on_invalid="reject")
        profile("ProfileStore.from_log over 200k events", lambda: ProfileStore.from_log(small))
        small.close()
    log.close()
    backend.remove("history")


# --- case 5: concurrent writers ------------------------------------------------------------
@dataclass(frozen=True)
class WriterJob:
    """What one writer process appends: its share of the events, made in the process."""

    target: str
    seed: int
    customers: int
    event_ids: list[str]
    batch: int
    options: dict[str, Any]


def writer(job: WriterJob, ready: Any, go: Any, results: Any) -> None:
    """Append a share of the events as plain dicts; report (stored, duplicates, end time)."""
    try:
        rng = np.random.default_rng(job.seed)
        end_us = (NOW - EPOCH) // dt.timedelta(microseconds=1)
        names = customer_names(job.customers)
        records = simulate(rng, len(job.event_ids), names, end_us - 365 * DAY_US, end_us)
        messages = as_dicts(records)
        for message, event_id in zip(messages, job.event_ids, strict=True):
            message["event_id"] = event_id
        batches = batched(messages, job.batch)
        log = InteractionLog(job.target, **job.options)
        stored = duplicates = 0
        gc.collect()
        gc.freeze()
        ready.put(os.getpid())
        go.wait()
        for batch in batches:
            result = log.append(batch)
            stored += result.stored
            duplicates += result.duplicates
        ended = time.perf_counter()
        log.close()
        results.put((stored, duplicates, ended, ""))
    except Exception as error:  # noqa: BLE001 (reported to the parent, which fails the case)
        ready.put(-1)
        results.put((0, 0, time.perf_counter(), f"{type(error).__name__}: {error}"))


def writers_run(
    ctx: Context, backend: Backend, processes: int, ids: list[str], seed: int
) -> tuple[float, str]:
    """Seconds for ``processes`` writers to append ``ids`` between them, and the check."""
    args = ctx.args
    name = f"writers_{processes}"
    backend.remove(name)
    open_log(ctx, backend, name).close()  # created (and migrated) once, before the race
    spawn = mp.get_context("spawn")
    ready, results, go = spawn.Queue(), spawn.Queue(), spawn.Event()
    share = -(-len(ids) // processes)
    jobs = [
        WriterJob(
            target=str(backend.target(name)),
            seed=seed + k,
            customers=args.writers_customers,
            event_ids=ids[k * share : (k + 1) * share],
            batch=args.writers_batch,
            options=log_options(args),
        )
        for k in range(processes)
    ]
    workers = [spawn.Process(target=writer, args=(job, ready, go, results)) for job in jobs]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=600)
    start = time.perf_counter()
    go.set()
    outcomes = [results.get(timeout=3600) for _ in workers]
    for worker in workers:
        worker.join()
    errors = [error for *_, error in outcomes if error]
    seconds = max(ended for _, _, ended, _ in outcomes) - start
    stored = sum(s for s, *_ in outcomes)
    raw = backend.raw(name)
    found = [str(row[0]) for row in backend.fetchall(raw, "SELECT event_id FROM events")]
    raw.close()
    backend.remove(name)
    expected = set(ids)
    missing = len(expected - set(found))
    extra = len(found) - len(expected) + missing
    lost = bool(errors) or missing or extra or stored != len(ids)
    check = (
        f"all {len(ids):,} ids stored once"
        if not lost
        else f"LOST: {missing:,} missing, {extra:,} extra, stored {stored:,}; {errors[:1]}"
    )
    return seconds, check


def case_writers(ctx: Context) -> None:
    args = ctx.args
    n = args.writers_events
    counts = sorted({int(p) for p in args.writers.split(",")})
    print(
        f"\n[5] writers: {n:,} events as plain dicts in batches of {args.writers_batch:,}, "
        f"by {' and by '.join(str(c) for c in counts)} processes at once "
        f"(each its own InteractionLog on the same log; {os.cpu_count()} cores)"
    )
    ids = uuid7_ids(n)
    for backend in ctx.backends:
        print(f"  -- {backend.label}")
        best: dict[int, float] = {}
        checks: dict[int, list[str]] = {c: [] for c in counts}
        runs: dict[int, list[float]] = {c: [] for c in counts}
        for round_ in range(args.repeat):
            for processes in counts:
                seconds, check = writers_run(ctx, backend, processes, ids, args.seed + 10)
                runs[processes].append(seconds)
                checks[processes].append(check)
                print(
                    f"    round {round_ + 1}, {processes} process(es): {seconds:6.2f} s "
                    f"({n / seconds:,.0f} events/s); {check}",
                    flush=True,
                )
        best = {c: min(v) for c, v in runs.items()}
        one = best[counts[0]]
        table = [("writer processes", "best s", "events/s", f"vs {counts[0]}", "all runs s")]
        table += [
            (
                str(c),
                f"{best[c]:.2f}",
                f"{n / best[c]:,.0f}",
                f"{one / best[c]:.2f}",
                ", ".join(f"{s:.2f}" for s in runs[c]),
            )
            for c in counts
        ]
        print_rows(table, f"{backend.name}: {n:,} events, best of {args.repeat}")
        intact = all(c.startswith("all ") for v in checks.values() for c in v)
        most = counts[-1]
        gain = one / best[most]
        ctx.target(
            backend,
            f"append throughput, {most} writer processes / {counts[0]}",
            f"{gain:.2f} ({n / best[most]:,.0f} vs {n / one:,.0f} events/s); "
            + ("nothing lost" if intact else "EVENTS LOST"),
            f">= {WRITERS_GAIN:g}, nothing lost",
            gain >= WRITERS_GAIN and intact,
        )


CASES: dict[str, Callable[[Context], None]] = {
    "append": case_append,
    "history": case_history,
    "policy": case_policy,
    "profiles": case_profiles,
    "writers": case_writers,
}


# --- driver --------------------------------------------------------------------------------
def print_header(args: argparse.Namespace, backends: list[Backend]) -> None:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    packages = ["one2one", "numpy", "pandas", "attrs"]
    print(f"interact.py  {now}")
    print(f"machine: {machine()}")
    print(
        f"python {platform.python_version()}; " + ", ".join(f"{p} {version(p)}" for p in packages)
    )
    print("backends: " + "; ".join(b.label for b in backends))
    print(f"command: {' '.join([sys.executable, *sys.argv])}")
    print(f"at start: {load_note()}")
    print(
        f"sizes: append {args.append_events:,} events / {args.append_customers:,} customers "
        f"(batches of {args.append_batch:,}, best of {args.repeat}); history "
        f"{args.history_events:,} events ({args.build} build); policy "
        f"{args.policy_customers:,} customers, {args.policy_checks:,} checks; writers "
        f"{args.writers_events:,} events by {args.writers} processes; encryption "
        f"{args.encryption}"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--backends", default="sqlite", help="comma-separated subset of sqlite,postgres")
    add(
        "--postgres-url",
        default=os.environ.get("ONE2ONE_TEST_POSTGRES_URL"),
        help="the PostgreSQL database (default: $ONE2ONE_TEST_POSTGRES_URL); logs go in "
        "schemas named bench_*, dropped afterwards",
    )
    add("--append-events", type=int, default=1_000_000, help="events appended in case 1")
    add("--append-customers", type=int, default=100_000, help="customers in case 1")
    add("--append-batch", type=int, default=10_000, help="events per append (not scaled)")
    add("--history-events", type=int, default=10_000_000, help="events in case 2's log")
    add(
        "--history-customers",
        type=int,
        default=0,
        help="customers in case 2's log (default: events / 100)",
    )
    add("--history-probes", type=int, default=1_000, help="customers whose history is read")
    add(
        "--build",
        choices=["sqlite", "append"],
        default="sqlite",
        help="fill the logs of cases 2 and 3 with raw rows (fast: executemany on SQLite, "
        "COPY on PostgreSQL) or one2one's append",
    )
    add("--policy-customers", type=int, default=100_000, help="customers in case 3's log")
    add("--policy-checks", type=int, default=20_000, help="policy.check calls timed")
    add(
        "--policy-campaigns",
        type=int,
        default=20,
        help="campaign moments the policy checks are spread over for check_many",
    )
    add("--policy-contacts", type=float, default=6.0, help="outbound contacts per customer")
    add("--policy-ignored", type=float, default=2.0, help="ignored offers per customer")
    add("--policy-complaints", type=float, default=0.1, help="complaints per customer")
    add("--policy-inbound", type=float, default=10.0, help="inbound events per customer")
    add("--writers-events", type=int, default=400_000, help="events appended in case 5")
    add("--writers-customers", type=int, default=100_000, help="customers in case 5")
    add("--writers-batch", type=int, default=1_000, help="events per append in case 5")
    add("--writers", default="1,4", help="writer process counts compared in case 5")
    add(
        "--encryption",
        choices=["off", "on"],
        default="on",
        help="seal the logs' payloads (crypto-shredding, the library's default) or not",
    )
    add("--repeat", type=int, default=2, help="rounds of cases 1 and 5 (best is kept)")
    add("--seed", type=int, default=2024)
    add("--tmp", default=None, help="directory for the SQLite files (default: system temp)")
    add("--quick", action="store_true", help="10x smaller sizes")
    add(
        "--profile",
        choices=["auto", "always", "never"],
        default="auto",
        help="cProfile a case: when it misses its target (auto), always or never",
    )
    add("--cases", default=",".join(CASES), help=f"comma-separated subset of {','.join(CASES)}")
    args = parser.parse_args(argv)
    if args.quick:
        for name in (
            "append_events",
            "append_customers",
            "history_events",
            "history_customers",
            "history_probes",
            "policy_customers",
            "policy_checks",
            "writers_events",
            "writers_customers",
        ):
            setattr(args, name, getattr(args, name) // 10)
    unknown = set(args.cases.split(",")) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    backends = args.backends.split(",")
    if set(backends) - {"sqlite", "postgres"} or not backends:
        parser.error(f"--backends must be a subset of sqlite,postgres (got {args.backends!r})")
    if "postgres" in backends and not args.postgres_url:
        parser.error(
            "--backends postgres needs --postgres-url or ONE2ONE_TEST_POSTGRES_URL; start a "
            "server with: ONE2ONE_PG_FSYNC=on bash .ci/postgres.sh start /tmp/pg-bench"
        )
    return args


def open_backends(args: argparse.Namespace, directory: Path) -> list[Backend]:
    backends: list[Backend] = []
    for name in args.backends.split(","):
        if name == "sqlite":
            backends.append(SqliteBackend(directory))
        else:
            backends.append(PostgresBackend(args.postgres_url))
    return backends


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="one2one-interact-", dir=args.tmp) as tmp:
        directory = Path(tmp)
        backends = open_backends(args, directory)
        print_header(args, backends)
        for backend in backends:
            if backend.name == "postgres" and not getattr(backend, "fsync", True):
                print(
                    "  note: the PostgreSQL server runs with fsync=off: commits cost less "
                    "than on a real server"
                )
        ctx = Context(args=args, directory=directory, backends=backends)
        try:
            for name in args.cases.split(","):
                CASES[name](ctx)
                sys.stdout.flush()
        finally:
            for backend in backends:
                backend.close()
    print_footer(ctx.targets, started)


if __name__ == "__main__":
    main()
