"""Benchmark one2one.interact: the interaction log's appends and reads, and the contact policy.

Cases (sizes are flags; ``--quick`` divides them by 10):

1. ``append``: 1,000,000 simulated events of 100,000 customers (mostly inbound visits,
   views and purchases, with values and ``{"category", "sku"}`` payloads; some
   inquiries, returns, offer responses, survey answers and complaints) appended in
   batches of 10,000 to a file-backed ``InteractionLog``, against raw
   ``sqlite3.executemany`` into the same ``events`` table: DDL and indexes copied from a
   one2one-created database's ``sqlite_master``, the same pragmas (WAL,
   ``synchronous=NORMAL``), the same batch size, one ``BEGIN IMMEDIATE`` ... ``COMMIT``
   per batch and the same ``INSERT ... ON CONFLICT (event_id) DO NOTHING``, with the
   rows ready as tuples. Raw baselines: (a) time-ordered UUIDv7 ids
   (``one2one.interact._ids.new_event_id``), (b) random uuid4 ids, (c) UUIDv7 ids with
   the two secondary indexes created after the load (their creation is timed).
   one2one: (i) ``append`` of pre-built ``Interaction`` objects carrying the ids of
   (a), so both store identical rows (checked, ``recorded_at`` aside); (ii) end to end:
   ``append`` of plain dicts (construction, validation, id generation, storage);
   (iii) informational: as (i) with 5% of the events outbound marketing offers, whose
   consent ``append`` checks in the log (grants stored beforehand, untimed).
   Target: (i) reaches at least half the rate of (a).
2. ``history``: a log of 10,000,000 events of 100,000 customers (~100 each, the same
   mix, in time order over two years), then ``log.history(customer)`` and
   ``log.count(customer)`` for 1,000 random customers (median, p99), next to the bare
   SQL query behind ``history``. The log is created by one2one and filled by default
   with raw ``executemany`` of the rows one2one would store, secondary indexes
   rebuilt after the load (the fastest path); ``--build append`` fills it with
   one2one's own ``append`` instead. Reads run on a warm page cache. Target: median
   history under 2 ms.
3. ``policy``: a ``ContactPolicy`` with ``FrequencyCap(2, 7 days, channel="email")``,
   ``FrequencyCap(4, 7 days)``, ``QuietHours(21:00, 08:00)`` in each customer's time
   zone, ``CoolingOff(14 days)`` and ``IgnoredSuppression(3, 30 days, 60 days)`` over a
   log of 100,000 customers, each with a marketing consent grant, a few outbound offers
   and messages (email, sms, app) in the last 180 days, ignored offers, an occasional
   complaint and some inbound activity; 20,000 ``policy.check`` calls on random
   customers, channels and times in the last 90 days. Target: 10,000 checks/s.
4. ``profiles``: ``ProfileStore.from_log`` over case 2's log (built here if case 2 did
   not run), next to a bare SELECT of the same columns; every customer's event count,
   purchases and value are checked against SQL ``GROUP BY`` aggregates. Target: 10M
   events in under 60 s.

Every timed run starts after ``gc.collect(); gc.freeze()``, so the benchmark's own
prepared inputs (millions of tuples, dicts and objects) are not rescanned by the
garbage collector during the run. A case that misses its target is profiled with
cProfile on a smaller, untimed run (``--profile`` always, ``--no-profile`` never):
the functions with the most own time and one2one's functions by cumulative time.

Run from the repository root::

    python benchmarks/interact.py                  # full sizes; ~9 min on 2 cores
    python benchmarks/interact.py --quick          # 10x smaller
    python benchmarks/interact.py --cases history --history-events 3000000
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import json
import platform
import pstats
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
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
APPEND_RATIO = 0.5  # one2one's append rate / raw executemany (a)
HISTORY_MS = 2.0  # one customer's history
CHECKS_PER_S = 10_000.0  # policy checks
PROFILES_S = 60.0  # replaying the 10M-event log into profiles
SLOW_BUILD = 360.0  # seconds: a history build longer than this is worth scaling down
MiB = 2**20

# The events table's columns in one2one's order (src/one2one/interact/_log.py, _COLUMNS).
INSERT = (
    "INSERT INTO events (event_id, customer_id, occurred_at, channel, kind, direction, "
    "value, cost, offer_id, propensity, payload, recorded_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING"
)
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


# --- SQLite helpers ------------------------------------------------------------------------
@dataclass(frozen=True)
class Schema:
    table: str
    indexes: tuple[str, ...]  # secondary indexes (the UNIQUE event_id one comes with the table)


def events_schema(directory: Path) -> Schema:
    """The events table's DDL exactly as one2one creates it, read back from sqlite_master."""
    path = directory / "schema.db"
    InteractionLog(path).close()
    connection = sqlite3.connect(path)
    try:
        table = connection.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'"
        ).fetchone()[0]
        indexes = tuple(
            row[0]
            for row in connection.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' "
                "AND sql IS NOT NULL ORDER BY name"
            )
        )
    finally:
        connection.close()
    remove_database(path)
    return Schema(table, indexes)


def index_names(schema: Schema) -> list[str]:
    return [ddl.split()[2] for ddl in schema.indexes]  # "CREATE INDEX <name> ON ..."


def connect(path: Path) -> sqlite3.Connection:
    """A connection with one2one's settings (src/one2one/interact/_database.py)."""
    connection = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    connection.execute("PRAGMA busy_timeout = 30000")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def database_mib(path: Path) -> float:
    return sum(
        Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()
    ) / (MiB)


def insert_batches(connection: sqlite3.Connection, batches: Iterable[Sequence[tuple]]) -> None:
    for batch in batches:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(INSERT, batch)
        connection.execute("COMMIT")


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
        return "sqlite3 (C)" if "sqlite3" in function else "builtins (C)"
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
    schema: Schema
    targets: list[Target] = field(default_factory=list)
    history_db: Path | None = None  # case 2's log, kept for case 4

    def should_profile(self, passed: bool) -> bool:
        return self.args.profile == "always" or (self.args.profile == "auto" and not passed)


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
    ctx: Context, name: str, batches: list[Sequence[tuple]], late_indexes: bool
) -> tuple[float, float]:
    """Raw executemany into a fresh database; returns (load seconds, total seconds)."""
    path = ctx.directory / f"{name}.db"
    remove_database(path)
    connection = connect(path)
    connection.execute(ctx.schema.table)
    if not late_indexes:
        for ddl in ctx.schema.indexes:
            connection.execute(ddl)
    marks: dict[str, float] = {}

    def load() -> None:
        start = time.perf_counter()
        insert_batches(connection, batches)
        marks["load"] = time.perf_counter() - start
        if late_indexes:
            for ddl in ctx.schema.indexes:
                connection.execute(ddl)

    total = timed(load)
    connection.close()
    return marks["load"], total


def one2one_run(ctx: Context, name: str, batches: list[Sequence[Any]], setup: Any = None) -> float:
    path = ctx.directory / f"{name}.db"
    remove_database(path)
    log = InteractionLog(path)
    if setup is not None:
        for batch in setup:
            log.append(batch)

    def load() -> None:
        for batch in batches:
            log.append(batch)

    seconds = timed(load)
    log.close()
    return seconds


def same_rows(a: Path, b: Path) -> str:
    """Compare two event tables row by row (``recorded_at`` aside)."""
    connection = sqlite3.connect(a)
    try:
        connection.execute("ATTACH DATABASE ? AS other", (str(b),))
        count_a = connection.execute("SELECT count(*) FROM main.events").fetchone()[0]
        count_b = connection.execute("SELECT count(*) FROM other.events").fetchone()[0]
        differ = connection.execute(
            "SELECT count(*) FROM main.events x JOIN other.events y USING (seq) WHERE "
            "x.event_id IS NOT y.event_id OR x.customer_id IS NOT y.customer_id OR "
            "x.occurred_at IS NOT y.occurred_at OR x.channel IS NOT y.channel OR "
            "x.kind IS NOT y.kind OR x.direction IS NOT y.direction OR x.value IS NOT y.value "
            "OR x.cost IS NOT y.cost OR x.offer_id IS NOT y.offer_id OR "
            "x.propensity IS NOT y.propensity OR x.payload IS NOT y.payload"
        ).fetchone()[0]
    finally:
        connection.close()
    if count_a == count_b and differ == 0:
        return f"identical ({count_a:,} rows, recorded_at aside)"
    return f"DIFFERENT: {count_a:,} vs {count_b:,} rows, {differ:,} rows differ"


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


def case_append(ctx: Context) -> None:
    args = ctx.args
    n, batch = args.append_events, args.append_batch
    rng = np.random.default_rng(args.seed)
    names = customer_names(args.append_customers)
    end_us = (NOW - EPOCH) // dt.timedelta(microseconds=1)
    print(
        f"\n[1] append: {n:,} events of {args.append_customers:,} customers in batches of "
        f"{batch:,} (file-backed, WAL, synchronous=NORMAL, one transaction per batch)"
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
    print(f"  secondary indexes: {'; '.join(' '.join(d.split()) for d in ctx.schema.indexes)}")
    runs = {
        "a": AppendRun("raw executemany, (a) UUIDv7 ids"),
        "b": AppendRun("raw executemany, (b) uuid4 ids"),
        "c": AppendRun("raw executemany, (c) UUIDv7, indexes after load"),
        "i": AppendRun("one2one append(Interaction objects)  (i)"),
        "ii": AppendRun("one2one append(dicts), end to end   (ii)"),
        "iii": AppendRun("one2one (i) with 5% outbound offers  (iii)"),
    }
    check, size = "", 0.0
    for round_ in range(args.repeat):
        for key in ("a", "i", "b", "ii", "c", "iii"):
            if key in {"a", "b", "c"}:
                data = rows4 if key == "b" else rows7
                load, total = raw_run(ctx, f"raw_{key}", data, late_indexes=key == "c")
                runs[key].seconds.append(total)
                runs[key].load_seconds.append(load)
            else:
                data = {"i": events, "ii": dicts, "iii": events_out}[key]
                setup = setup_out if key == "iii" else None
                runs[key].seconds.append(one2one_run(ctx, f"one2one_{key}", data, setup))
            print(f"    round {round_ + 1} {key:>3}: {runs[key].seconds[-1]:6.2f} s", flush=True)
        if round_ == 0:
            check = same_rows(ctx.directory / "raw_a.db", ctx.directory / "one2one_i.db")
            size = database_mib(ctx.directory / "one2one_i.db")
        for name in ("raw_a", "raw_b", "raw_c", "one2one_i", "one2one_ii", "one2one_iii"):
            remove_database(ctx.directory / f"{name}.db")
    print_append_table(runs, n, args.repeat)
    print(f"  stored rows, one2one (i) vs raw (a): {check}; database {size:,.0f} MiB")
    ratio = runs["a"].best / runs["i"].best
    passed = ratio >= APPEND_RATIO
    ctx.targets.append(
        Target(
            "append rate, one2one (i) / raw executemany (a)",
            f"{ratio:.2f} ({n / runs['i'].best:,.0f} vs {n / runs['a'].best:,.0f} events/s)",
            f">= {APPEND_RATIO:g}",
            passed,
        )
    )
    end_to_end = runs["a"].best / runs["ii"].best
    ctx.targets.append(
        Target(
            "append rate, one2one end to end (ii) / raw (a)",
            f"{end_to_end:.2f} ({n / runs['ii'].best:,.0f} events/s)",
            "informational",
            None,
        )
    )
    if ctx.should_profile(passed):
        sample = max(1, min(len(events), 100_000 // batch))
        profile(
            f"one2one (i), {sample * batch:,} events",
            lambda: one2one_run(ctx, "profile_i", events[:sample]),
        )
        profile(
            f"one2one (ii), {sample * batch:,} events",
            lambda: one2one_run(ctx, "profile_ii", dicts[:sample]),
        )
        remove_database(ctx.directory / "profile_i.db")
        remove_database(ctx.directory / "profile_ii.db")


def print_append_table(runs: dict[str, AppendRun], n: int, repeat: int) -> None:
    base = runs["a"].best
    header = ("run", "best s", "events/s", "vs raw (a)", "all runs s")
    table = [header]
    for key, run in runs.items():
        spread = ", ".join(f"{s:.2f}" for s in run.seconds)
        best = f"{run.best:.2f}"
        if key == "c":
            best += f" ({min(run.load_seconds):.2f} load)"
        table.append((run.label, best, f"{n / run.best:,.0f}", f"{base / run.best:.2f}", spread))
    print_rows(table, f"append {n:,} events, best of {repeat} (vs raw (a) = rate / raw (a)'s rate)")


# --- building big logs ---------------------------------------------------------------------
def build_log(
    ctx: Context,
    path: Path,
    chunks: Iterator[list[Record]],
    mode: str,
    *,
    require_consent: bool = True,
) -> tuple[int, float]:
    """Fill a one2one log with the chunks' events; returns (events, seconds)."""
    remove_database(path)
    start = time.perf_counter()
    stored = 0
    if mode == "append":
        with InteractionLog(path, require_consent=require_consent) as log:
            for records in chunks:
                events = as_interactions(records, uuid7_ids(len(records)))
                stored += log.append(events).stored
        return stored, time.perf_counter() - start
    InteractionLog(path).close()  # schema, meta and salt exactly as one2one makes them
    connection = connect(path)
    for name in index_names(ctx.schema):
        connection.execute(f"DROP INDEX {name}")
    for records in chunks:
        rows = as_rows(records, uuid7_ids(len(records)), time.time_ns() // 1000)
        insert_batches(connection, batched(rows, 100_000))
        stored += len(rows)
    for ddl in ctx.schema.indexes:
        connection.execute(ddl)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return stored, time.perf_counter() - start


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
    log: InteractionLog, raw: sqlite3.Connection, customers: Sequence[str]
) -> tuple[dict[str, list[float]], list[int]]:
    """Time history, count and the bare SELECT for each customer, in turn."""
    log.history(customers[0])  # warm up: imports, statement cache
    log.count(customers[0])
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
            raw.execute(HISTORY_SQL, (customer,)).fetchall()
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
    path = ctx.directory / "history.db"
    stored, seconds = build_log(
        ctx, path, history_chunks(rng, n, names, 200_000), args.build, require_consent=True
    )
    how = (
        "one2one append, 100k-event batches"
        if args.build == "append"
        else "raw executemany of one2one's rows, secondary indexes rebuilt after"
    )
    print(
        f"  built in {seconds:.0f} s ({stored / seconds:,.0f} events/s; {how}); "
        f"database {database_mib(path):,.0f} MiB"
    )
    if seconds > SLOW_BUILD:
        print(
            f"  note: the build took more than {SLOW_BUILD / 60:.0f} min; "
            "--history-events scales it down"
        )
    chosen = [names[i] for i in rng.choice(customers, probes, replace=False).tolist()]
    log = InteractionLog(path)
    raw = sqlite3.connect(path)
    timings, sizes = read_histories(log, raw, chosen)
    print(
        f"  events per probed customer: median {np.median(sizes):.0f}, "
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
    print_rows(table, f"one customer at {stored:,} stored events ({probes:,} customers)")
    median, p99 = percentile_ms(timings["history"], 50), percentile_ms(timings["history"], 99)
    passed = median < HISTORY_MS
    ctx.targets.append(
        Target(
            f"history at {stored / 1e6:g}M events, median",
            f"{median:.3f} ms (p99 {p99:.3f} ms)",
            f"< {HISTORY_MS:g} ms",
            passed,
        )
    )
    if ctx.should_profile(passed):
        sample = chosen[: min(len(chosen), 300)]
        profile(
            f"log.history for {len(sample)} customers",
            lambda: [log.history(c) for c in sample],
        )
    raw.close()
    log.close()
    if "profiles" in ctx.args.cases.split(","):
        ctx.history_db = path
    else:
        remove_database(path)


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


def check_statements(
    connection: sqlite3.Connection,
    customer: str,
    at: dt.datetime,
    horizon_us: int,
    kinds: Sequence[str],
) -> None:
    """The one SQL query a ``policy.check`` runs (as of this writing), with nothing around it.

    The customer's merged ids, their consent decisions up to ``at`` and their marketing
    and rule events from one horizon back to two ahead, fetched as plain tuples.
    """
    at_us = (at - EPOCH) // dt.timedelta(microseconds=1)
    marks = ", ".join("?" * len(kinds))
    sql = (
        "WITH root(id) AS (SELECT coalesce((SELECT into_id FROM aliases WHERE from_id = ?1), "
        "?1)), ids(id) AS (SELECT id FROM root UNION ALL SELECT from_id FROM aliases "
        "WHERE into_id = (SELECT id FROM root)) SELECT occurred_at, kind, direction, "
        "channel, payload FROM ids CROSS JOIN events WHERE events.customer_id = ids.id AND "
        "((kind IN ('consent_granted', 'consent_denied', 'consent_withdrawn') AND "
        "occurred_at <= ?2) OR (occurred_at >= ?3 AND occurred_at < ?4 AND "
        "kind IN (MARKS))) ORDER BY occurred_at, seq"
    ).replace("MARKS", marks)
    connection.execute(
        sql, [customer, at_us, at_us - horizon_us, at_us + 2 * horizon_us, *kinds]
    ).fetchall()


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
    path = ctx.directory / "policy.db"
    stored, seconds = build_log(
        ctx, path, iter(batched(records, 200_000)), args.build, require_consent=False
    )
    print(f"  built in {seconds:.0f} s ({args.build}); {stored:,} events")
    timezones = {c: ZONES[i % len(ZONES)] for i, c in enumerate(names)}
    log = InteractionLog(path)
    rules = [
        FrequencyCap(2, dt.timedelta(days=7), channel="email"),
        FrequencyCap(4, dt.timedelta(days=7)),
        QuietHours(dt.time(21), dt.time(8)),
        CoolingOff(dt.timedelta(days=14)),
        IgnoredSuppression(3, dt.timedelta(days=30), dt.timedelta(days=60)),
    ]
    policy = ContactPolicy(log, rules, timezones=timezones)
    end_us = (NOW - EPOCH) // dt.timedelta(microseconds=1)
    who = rng.integers(0, customers, checks).tolist()
    when = rng.integers(end_us - 90 * DAY_US, end_us, checks).tolist()
    where_ = rng.choice(("email", "sms", "app"), checks, p=(0.6, 0.2, 0.2)).tolist()
    calls = [(names[c], ch, moment(t)) for c, ch, t in zip(who, where_, when, strict=True)]
    for call in calls[:20]:  # warm up
        policy.check(*call)
    decisions: list[Any] = []
    total, latencies = time_calls(lambda call: decisions.append(policy.check(*call)), calls)
    rate = checks / total
    horizon_us = policy._horizon // dt.timedelta(microseconds=1)  # noqa: SLF001
    kinds = policy._kinds  # noqa: SLF001
    bare = connect(path)
    for call in calls[:20]:  # warm up
        check_statements(bare, call[0], call[2], horizon_us, kinds)
    sql_total, sql_latencies = time_calls(
        lambda call: check_statements(bare, call[0], call[2], horizon_us, kinds), calls
    )
    bare.close()
    allowed = sum(d.allowed for d in decisions)
    deferred = sum(d.deferred for d in decisions)
    reasons = Counter(classify(r) for d in decisions for r in d.reasons)
    print(
        f"  decisions: {allowed / checks:.1%} allowed, {deferred / checks:.1%} deferred "
        "(quiet hours only); blocking reasons: "
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
    print_rows(table, f"{checks:,} checks in {total:.2f} s")
    passed = rate >= CHECKS_PER_S
    ctx.targets.append(
        Target("policy checks per second", f"{rate:,.0f}", f">= {CHECKS_PER_S:,.0f}", passed)
    )
    if ctx.should_profile(passed):
        sample = calls[: min(len(calls), 2_000)]
        profile(f"{len(sample):,} policy.check calls", lambda: [policy.check(*c) for c in sample])
    log.close()
    remove_database(path)


# --- case 4: profiles (stub) ---------------------------------------------------------------
def case_profiles(ctx: Context) -> None:
    args = ctx.args
    path = ctx.history_db
    if path is None:  # case 2 did not run: build the same log
        customers = args.history_customers or max(1, args.history_events // 100)
        rng = np.random.default_rng(args.seed + 1)
        path = ctx.directory / "history.db"
        build_log(
            ctx,
            path,
            history_chunks(rng, args.history_events, customer_names(customers), 200_000),
            args.build,
        )
    log = InteractionLog(path)
    stored = log.count()
    print(f"\n[4] profiles: replaying {stored:,} events into profiles (case 2's log)")
    stores: list[ProfileStore] = []
    seconds = timed(lambda: stores.append(ProfileStore.from_log(log)))
    store = stores[0]
    raw = sqlite3.connect(path)
    select = (
        "SELECT customer_id, occurred_at, channel, kind, direction, value, payload "
        "FROM events ORDER BY seq"
    )
    fetch = timed(lambda: sum(1 for _ in raw.execute(select)))
    # Check the fold against SQL aggregates for every customer.
    totals = {
        c: (n, p, v)
        for c, n, p, v in raw.execute(
            "SELECT customer_id, count(*), sum(kind = 'purchase'), total(value) FROM events "
            "GROUP BY customer_id"
        )
    }
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
    print_rows(table, f"{len(store):,} profiles from {stored:,} events")
    print(
        f"  counts and value per customer equal SQL GROUP BY aggregates: "
        f"{'yes' if agree else 'NO'}; feature frame {frame.shape[0]:,} x {frame.shape[1]}"
    )
    passed = seconds < PROFILES_S and agree
    ctx.targets.append(
        Target(
            f"replay {stored / 1e6:g}M events into profiles",
            f"{seconds:.1f} s",
            f"< {PROFILES_S:g} s",
            passed,
        )
    )
    if ctx.should_profile(passed):
        small = InteractionLog()
        small.append(list(log.replay(batch_size=10_000))[:200_000], on_invalid="reject")
        profile("ProfileStore.from_log over 200k events", lambda: ProfileStore.from_log(small))
        small.close()
    log.close()
    remove_database(path)


CASES: dict[str, Callable[[Context], None]] = {
    "append": case_append,
    "history": case_history,
    "policy": case_policy,
    "profiles": case_profiles,
}


# --- driver --------------------------------------------------------------------------------
def print_header(args: argparse.Namespace) -> None:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    packages = ["one2one", "numpy", "pandas", "attrs"]
    print(f"interact.py  {now}")
    print(f"machine: {machine()}")
    print(
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
        + ", ".join(f"{p} {version(p)}" for p in packages)
    )
    print(f"command: {' '.join([sys.executable, *sys.argv])}")
    print(f"at start: {load_note()}")
    print(
        f"sizes: append {args.append_events:,} events / {args.append_customers:,} customers "
        f"(batches of {args.append_batch:,}, best of {args.repeat}); history "
        f"{args.history_events:,} events ({args.build} build); policy "
        f"{args.policy_customers:,} customers, {args.policy_checks:,} checks"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
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
        help="fill the logs of cases 2 and 3 by raw executemany (fast) or one2one's append",
    )
    add("--policy-customers", type=int, default=100_000, help="customers in case 3's log")
    add("--policy-checks", type=int, default=20_000, help="policy.check calls timed")
    add("--policy-contacts", type=float, default=6.0, help="outbound contacts per customer")
    add("--policy-ignored", type=float, default=2.0, help="ignored offers per customer")
    add("--policy-complaints", type=float, default=0.1, help="complaints per customer")
    add("--policy-inbound", type=float, default=10.0, help="inbound events per customer")
    add("--repeat", type=int, default=2, help="rounds of case 1 (best is kept)")
    add("--seed", type=int, default=2024)
    add("--tmp", default=None, help="directory for the databases (default: system temp)")
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
        ):
            setattr(args, name, getattr(args, name) // 10)
    unknown = set(args.cases.split(",")) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print_header(args)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="one2one-interact-", dir=args.tmp) as tmp:
        directory = Path(tmp)
        ctx = Context(args=args, directory=directory, schema=events_schema(directory))
        for name in args.cases.split(","):
            CASES[name](ctx)
            sys.stdout.flush()
    print_footer(ctx.targets, started)


if __name__ == "__main__":
    main()
