"""Benchmark one2one.identify against splink and recordlinkage on the same deduplication task.

The data is ``one2one.datasets.simulate_identities(--records, random_state=--seed)``: person
records with duplicates (typos, nicknames, swapped names, reformatted e-mails, phones and
dates) and households (different people sharing a surname, an address and often a
landline). Three unsupervised pipelines deduplicate it:

1. one2one: ``RecordMatcher(schema).fit_predict(records)`` with its defaults.
2. splink (DuckDB backend), configured as splink's own person-dedupe tutorials do: name
   comparisons with Jaro-Winkler and term frequencies, date of birth, e-mail, phone and
   address comparisons from ``splink.comparison_library``; the prior from deterministic
   rules, ``u`` by random sampling, ``m`` by EM on two blocking rules; ``predict`` then
   ``cluster_pairwise_predictions_at_threshold`` at 0.9 (one2one's default threshold).
3. recordlinkage: ``Index`` with blocks, ``Compare`` (Jaro-Winkler thresholds, exact),
   ``ECMClassifier``; the matched pairs are clustered by connected components.

splink and recordlinkage get the same cleaned inputs as one2one: the records are passed
through ``one2one.identify.normalise_*`` (lower case, accents and punctuation removed,
Gmail dots and ``+tags`` dropped, phones to ``+61...``, dates to ``YYYY-MM-DD``) before
they see them; that step is inside their timed run. Their blocking rules are similar in
spirit to one2one's defaults (e-mail, phone, whole name, date of birth with a name
prefix, postcode or city with a name, street with postcode).

Scores are pairwise, after clustering: every pair of records given the same cluster is a
predicted link, compared with ``sim.true_links`` by ``one2one.identify.evaluate_links``.

Each pipeline runs in its own child process (``multiprocessing``, spawn), started one at
a time, so one's memory does not count against another and a run past ``--timeout`` can
be stopped (it is reported as "did not finish"). The child receives the records, imports
its library and then resets its peak resident set size (``/proc/self/clear_refs``); the
reported peak is the child's ``VmHWM`` over the run (data and interpreter included,
DuckDB's own allocations too), and "extra" is that peak minus the resident size at the
start of the run. Wall time covers everything from the raw records to a cluster per
record (normalisation, blocking, training, scoring, clustering); CPU time is the child's
user + system time over the same span (above wall time means more than one core). The
ratio one2one / splink of wall times is printed (#14 asks for at most 0.5).

The customer-base case (``--customer-base``) deduplicates
``simulate_identities(n, **CUSTOMER_BASE_PARAMS)`` instead: the same people plus customers
who moved, households with shared landlines and family mailboxes, month-first (US) dates
among day-first ones, cities that follow from postcodes and three channels that each leave
fields out. ``n`` is chosen so the file holds about ``--customers`` people. Only one2one runs
unless ``--only`` says otherwise; splink and recordlinkage run with the settings above,
unchanged. Two more scores are printed, one row per pipeline (a run that failed or timed
out shows why): recall on the true pairs across a move (``sim.moved_links``: one record at
the old home, one at the new) and precision on the linked pairs inside households of two
or more people (a link between two members is false, between two records of one member
true).

In both cases every pipeline is handed ``record_id`` and the eight ``FIELDS`` and nothing
else (the customer base's ``source`` column, the channel that wrote each record, is
dropped before a child starts), and the script stops unless the cleaned columns, splink's
comparisons and recordlinkage's comparisons are exactly ``FIELDS``. The load average is
printed at the start and the end: on a shared machine the times are pessimistic.

Install (see benchmarks/README.md) and run::

    python benchmarks/identify.py                     # 100,000 records
    python benchmarks/identify.py --records 1000000 --timeout 600
    python benchmarks/identify.py --only one2one,splink
    python benchmarks/identify.py --customer-base --customers 20000
    python benchmarks/identify.py --customer-base --customers 20000 \\
        --only one2one,splink,recordlinkage --timeout 900
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import multiprocessing as mp
import platform
import queue
import resource
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _machine import machine, version
from _report import load_note

import one2one
from one2one.datasets import (
    CUSTOMER_BASE_PARAMS,
    IDENTITY_FIELDS,
    SimulatedIdentities,
    simulate_identities,
)
from one2one.identify import (
    RecordMatcher,
    RecordSchema,
    evaluate_links,
    normalise_date,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_postcode,
)

FIELDS = IDENTITY_FIELDS
PHONE_COUNTRY = "61"  # the simulated records are Australian
THRESHOLD = 0.9  # one2one's default match probability; splink clusters at the same
SETUP_SECONDS = 300.0  # cap on handing the records to a child and importing its library
MiB = 2**20
MATCHER_COLUMNS = ("record_id", *FIELDS)  # all a pipeline is given (no ``source``)


def check_fields(what: str, fields: Any) -> None:
    """Stop unless ``fields`` are exactly FIELDS: every pipeline compares the same fields."""
    if sorted(fields) != sorted(FIELDS):
        msg = f"{what} cover {sorted(fields)}, expected FIELDS {sorted(FIELDS)}"
        raise ValueError(msg)


def matcher_records(records: pd.DataFrame) -> pd.DataFrame:
    """``record_id`` and FIELDS, nothing else: what every pipeline is handed.

    The customer base also carries ``source`` (the channel that wrote the record), which
    is part of the simulated truth, not of the matching task; it is dropped here, before
    any child process sees the records.
    """
    missing = [column for column in MATCHER_COLUMNS if column not in records.columns]
    if missing:
        msg = f"the records lack {missing}; they have {list(records.columns)}"
        raise ValueError(msg)
    return records.loc[:, list(MATCHER_COLUMNS)]


# --- shared cleaning -----------------------------------------------------------------------
def cleaned(records: pd.DataFrame) -> pd.DataFrame:
    """The records as one2one normalises them, for the competitors (``record_id`` kept)."""
    frame = pd.DataFrame(
        {
            "record_id": records["record_id"].astype("string"),
            "given_name": normalise_name(records["given_name"]),
            "surname": normalise_name(records["surname"]),
            "email": normalise_email(records["email"], provider_rules=True),
            "phone": normalise_phone(records["phone"], country_code=PHONE_COUNTRY),
            "street": normalise_name(records["street"]),
            "postcode": normalise_postcode(records["postcode"]),
            "city": normalise_name(records["city"]),
            "date_of_birth": normalise_date(records["date_of_birth"]),
        }
    )
    check_fields("the cleaned columns", frame.columns.drop("record_id"))
    return frame


# --- pipeline 1: one2one -------------------------------------------------------------------
def run_one2one(records: pd.DataFrame, _options: dict[str, Any]) -> pd.Series:
    schema = RecordSchema(
        record_id="record_id",
        **{field: field for field in FIELDS},
        phone_country_code=PHONE_COUNTRY,
        email_provider_rules=True,
    )
    return RecordMatcher(schema, progress=False).fit_predict(records)


# --- pipeline 2: splink --------------------------------------------------------------------
def splink_settings() -> Any:
    """The splink model: comparisons and prediction blocking rules (see module docstring)."""
    import splink.comparison_library as cl  # noqa: PLC0415
    from splink import SettingsCreator, block_on  # noqa: PLC0415

    comparisons = {
        "given_name": cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        "surname": cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        "date_of_birth": cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
        "email": cl.EmailComparison("email"),
        "phone": cl.DamerauLevenshteinAtThresholds("phone", [1]),
        "street": cl.JaroWinklerAtThresholds("street", [0.9, 0.7]).configure(
            term_frequency_adjustments=True
        ),
        "postcode": cl.DamerauLevenshteinAtThresholds("postcode", [1]),
        "city": cl.JaroWinklerAtThresholds("city", [0.9]).configure(
            term_frequency_adjustments=True
        ),
    }
    check_fields("splink's comparisons", comparisons)
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=list(comparisons.values()),
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("given_name", "surname"),
            block_on("date_of_birth", "substr(surname, 1, 2)"),
            block_on("date_of_birth", "substr(given_name, 1, 2)"),
            block_on("postcode", "surname"),
            block_on("city", "given_name"),
            block_on("city", "surname"),
            block_on("street", "postcode"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def run_splink(records: pd.DataFrame, options: dict[str, Any]) -> pd.Series:
    from splink import DuckDBAPI, Linker, block_on  # noqa: PLC0415

    frame = cleaned(records)
    linker = Linker(DuckDBAPI().register(frame), splink_settings(), log_level=None)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth"), block_on("email")], recall=0.7
    )
    training.estimate_u_using_random_sampling(max_pairs=options["u_pairs"], seed=options["seed"])
    training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD
    ).as_pandas_dataframe()
    return pd.Series(
        clusters["cluster_id"].to_numpy(),
        index=pd.Index(clusters["record_id"].astype(str), name="record_id"),
        name="customer_id",
    )


# --- pipeline 3: recordlinkage -------------------------------------------------------------
RECORDLINKAGE_BLOCKS = (
    ["email"],
    ["phone"],
    ["given_name", "surname"],
    ["date_of_birth", "surname_2"],
    ["date_of_birth", "given_name_2"],
    ["postcode", "surname"],
    ["city", "given_name"],
    ["city", "surname"],
    ["street", "postcode"],
)
RECORDLINKAGE_STRINGS = ("given_name", "surname", "street", "city")  # Jaro-Winkler >= 0.85
RECORDLINKAGE_EXACT = ("date_of_birth", "email", "phone", "postcode")


def run_recordlinkage(records: pd.DataFrame, _options: dict[str, Any]) -> pd.Series:
    import recordlinkage  # noqa: PLC0415
    from scipy.sparse import coo_matrix  # noqa: PLC0415
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415

    frame = cleaned(records).set_index("record_id")
    frame = frame.astype(object).where(frame.notna(), None)  # recordlinkage wants None
    frame["surname_2"] = frame["surname"].str[:2]
    frame["given_name_2"] = frame["given_name"].str[:2]
    indexer = recordlinkage.Index()
    for block in RECORDLINKAGE_BLOCKS:
        indexer.block(left_on=block)
    pairs = indexer.index(frame)
    check_fields("recordlinkage's comparisons", RECORDLINKAGE_STRINGS + RECORDLINKAGE_EXACT)
    compare = recordlinkage.Compare()
    for field in RECORDLINKAGE_STRINGS:
        compare.string(field, field, method="jarowinkler", threshold=0.85, label=field)
    for field in RECORDLINKAGE_EXACT:
        compare.exact(field, field, label=field)
    features = compare.compute(pairs, frame)
    matches = recordlinkage.ECMClassifier(binarize=None).fit_predict(features)
    position = pd.Series(np.arange(len(frame)), index=frame.index)
    left = position[matches.get_level_values(0)].to_numpy()
    right = position[matches.get_level_values(1)].to_numpy()
    graph = coo_matrix((np.ones(left.size), (left, right)), shape=(len(frame), len(frame)))
    _, labels = connected_components(graph, directed=False)
    return pd.Series(labels, index=frame.index, name="customer_id")


PIPELINES: dict[str, Callable[[pd.DataFrame, dict[str, Any]], pd.Series]] = {
    "one2one": run_one2one,
    "splink": run_splink,
    "recordlinkage": run_recordlinkage,
}
IMPORTS = {"one2one": "one2one.identify", "splink": "splink", "recordlinkage": "recordlinkage"}


# --- one child process per pipeline --------------------------------------------------------
def _status_kib(key: str) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    return None


def _reset_peak() -> bool:
    """Reset this process's peak RSS (Linux >= 4.0); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="utf-8")
    except OSError:
        return False
    return True


def _quiet() -> None:
    warnings.simplefilter("ignore")
    logging.getLogger("splink").setLevel(logging.ERROR)
    logging.getLogger("splink").propagate = False


def _child(name: str, records: pd.DataFrame, options: dict[str, Any], out: Any) -> None:
    """Run one pipeline and send back ("done", customer_id, stats) or ("error", text)."""
    _quiet()
    try:
        __import__(IMPORTS[name])
        reset = _reset_peak()
        start_rss = _status_kib("VmRSS")
        out.put(("ready",))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        customer_id = PIPELINES[name](records, options)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
        peak = _status_kib("VmHWM") if reset else None
        if peak is None:  # peak of the whole child, setup included
            peak = after.ru_maxrss
        stats = {"seconds": seconds, "cpu": cpu, "peak_kib": peak, "start_kib": start_rss}
        out.put(("done", customer_id, stats))
    except Exception:  # noqa: BLE001 - any failure is reported in the table
        out.put(("error", traceback.format_exc()))


@dataclass
class Result:
    name: str
    scores: dict[str, float] | None = None
    customer_id: pd.Series | None = None
    seconds: float | None = None
    cpu: float | None = None
    peak_mib: float | None = None
    extra_mib: float | None = None
    note: str = ""


def receive(out: Any, child: Any, seconds: float) -> tuple[Any, ...] | None:
    """The child's next message, or None if none came in ``seconds`` or the child died."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            return out.get(timeout=min(left, 1.0))
        except queue.Empty:
            if not child.is_alive():
                with contextlib.suppress(queue.Empty):  # a last message may be in flight
                    return out.get(timeout=1.0)
                return None
    return None


def run_in_child(
    name: str, records: pd.DataFrame, true_links: pd.DataFrame, args: argparse.Namespace
) -> Result:
    context = mp.get_context("spawn")
    out = context.Queue()
    options = {"seed": args.seed, "u_pairs": args.splink_u_pairs}
    handed = matcher_records(records)
    child = context.Process(target=_child, args=(name, handed, options, out), daemon=True)
    child.start()
    try:
        message = receive(out, child, SETUP_SECONDS)
        if message is not None and message[0] == "ready":
            message = receive(out, child, args.timeout)
        if message is None:
            if child.is_alive():
                return Result(name, note=f"did not finish in {args.timeout:g} s")
            return Result(name, note=f"died (exit code {child.exitcode})")
    finally:
        if child.is_alive():
            child.join(timeout=5)
        if child.is_alive():
            child.terminate()
            child.join()
    if message[0] == "error":
        print(f"\n{name} failed:\n{message[1]}", file=sys.stderr)
        lines = message[1].strip().splitlines()
        return Result(name, note=f"failed: {lines[-1] if lines else 'unknown error'}")
    _, customer_id, stats = message
    peak = stats["peak_kib"] / 1024
    extra = None if stats["start_kib"] is None else peak - stats["start_kib"] / 1024
    return Result(
        name,
        scores=evaluate_links(customer_id, true_links),
        customer_id=customer_id,
        seconds=stats["seconds"],
        cpu=stats["cpu"],
        peak_mib=peak,
        extra_mib=extra,
    )


# --- report --------------------------------------------------------------------------------
def print_header(args: argparse.Namespace) -> None:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    packages = ["splink", "duckdb", "recordlinkage", "numpy", "pandas", "scipy"]
    print(f"identify.py  {now}")
    print(f"machine: {machine()}")
    print(
        f"python {platform.python_version()}; one2one {one2one.__version__} "
        f"(commit {source_commit()}), " + ", ".join(f"{p} {version(p)}" for p in packages)
    )
    print(f"command: {' '.join([sys.executable, *sys.argv])}")
    print(
        f"pipelines: {args.only}; timeout {args.timeout:g} s each; "
        f"splink u from {args.splink_u_pairs:,.0f} random pairs"
    )
    print(
        "splink and recordlinkage are given the records cleaned by one2one.identify."
        "normalise_* (same inputs as one2one); that cleaning is inside their timed run."
    )
    print(f"every pipeline gets only the columns {', '.join(MATCHER_COLUMNS)}")
    print(f"at start: {load_note()}")


def source_commit() -> str:
    """The short git commit of the one2one sources being measured, or "unknown"."""
    here = Path(one2one.__file__).resolve().parent
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(  # noqa: S603 - fixed arguments, no user input
            ["git", "-C", str(here), "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()
    return "unknown"


def cell(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def print_table(results: list[Result]) -> None:
    base = next((r.seconds for r in results if r.name == "one2one"), None)
    header = (
        "pipeline",
        "precision",
        "recall",
        "F1",
        "false pos",
        "false neg",
        "wall s",
        "CPU s",
        "peak MiB",
        "extra MiB",
        "time / one2one",
    )
    table = [header]
    for r in results:
        s = r.scores or {}
        ratio = "-"
        if base and r.seconds is not None:
            ratio = f"{r.seconds / base:.2f}x"
        table.append(
            (
                r.name,
                cell(s.get("precision"), ".4f"),
                cell(s.get("recall"), ".4f"),
                cell(s.get("f1"), ".4f"),
                cell(s.get("false_positives"), ",.0f"),
                cell(s.get("false_negatives"), ",.0f"),
                cell(r.seconds, ".1f") if r.seconds is not None else r.note,
                cell(r.cpu, ".1f"),
                cell(r.peak_mib, ",.0f"),
                cell(r.extra_mib, ",.0f"),
                ratio,
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print("\n== pairwise scores after clustering; time / one2one > 1 means one2one is faster ==")
    for i, line in enumerate(table):
        cells = [line[0].ljust(widths[0])] + [
            line[j].rjust(widths[j]) for j in range(1, len(header))
        ]
        print("  ".join(cells))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    f1 = {r.name: r.scores["f1"] for r in results if r.scores is not None}
    seconds = {r.name: r.seconds for r in results if r.seconds is not None}
    for other in ("splink", "recordlinkage"):
        if "one2one" in f1 and other in f1:
            print(f"F1 one2one - {other}: {f1['one2one'] - f1[other]:+.4f}")
        if "one2one" in seconds and other in seconds:
            share = seconds["one2one"] / seconds[other]
            target = " (#14: at most 0.50)" if other == "splink" else ""
            print(f"wall time one2one / {other}: {share:.2f}{target}")


# --- the customer-base case ----------------------------------------------------------------
def customer_base(customers: int, seed: int) -> SimulatedIdentities:
    """``simulate_identities(n, **CUSTOMER_BASE_PARAMS)`` with about ``customers`` people.

    The simulator counts records; records per person are read off a pilot draw of the
    same settings and the record count scaled to match.
    """
    pilot = simulate_identities(customers, **CUSTOMER_BASE_PARAMS, random_state=seed)
    per_person = len(pilot.records) / pilot.true_entities.nunique()
    return simulate_identities(
        round(customers * per_person), **CUSTOMER_BASE_PARAMS, random_state=seed
    )


def _same_customer(customer_id: pd.Series, pairs: pd.DataFrame) -> np.ndarray:
    """For each pair (first two columns: record ids), whether both got one customer id."""
    cid = customer_id.copy()
    cid.index = cid.index.astype(str)
    left = cid.reindex(pairs.iloc[:, 0].astype(str)).to_numpy()
    right = cid.reindex(pairs.iloc[:, 1].astype(str)).to_numpy()
    return np.asarray(left == right, dtype=bool)


def customer_base_scores(customer_id: pd.Series, sim: SimulatedIdentities) -> dict[str, float]:
    """Recall on the true pairs across a move; precision on the linked pairs inside households.

    Households are those of two or more people. A linked pair inside one is either two
    records of one member (true: ``true_links`` within the household) or of two members
    (false: ``sim.household_pairs``).
    """
    moved = _same_customer(customer_id, sim.moved_links)
    false = int(_same_customer(customer_id, sim.household_pairs).sum())
    household, entity = sim.true_households, sim.true_entities
    shared = entity.groupby(household).transform("nunique") > 1
    inside = sim.true_links[shared[sim.true_links["rec_id_1"]].to_numpy(dtype=bool)]
    true = int(_same_customer(customer_id, inside).sum())
    return {
        "moved_pairs": float(moved.size),
        "moved_found": float(moved.sum()),
        "moved_recall": float(moved.mean()) if moved.size else float("nan"),
        "household_linked": float(true + false),
        "household_false": float(false),
        "household_precision": true / (true + false) if true + false else float("nan"),
    }


def describe_customer_base(sim: SimulatedIdentities) -> None:
    records, entity = sim.records, sim.true_entities
    movers = sim.true_moved.groupby(entity).any()
    sizes = entity.groupby(sim.true_households).nunique()
    dates = records["date_of_birth"].str.extract(r"^(\d{1,2})/(\d{1,2})/\d{4}$").astype(float)
    print(
        f"data: {len(records):,} records of {entity.nunique():,} people "
        f"(CUSTOMER_BASE_PARAMS), {len(sim.true_links):,} true duplicate pairs"
    )
    print(
        f"  {int(movers.sum()):,} people moved ({len(sim.moved_links):,} true pairs across a "
        f"move); {int((sizes > 1).sum()):,} households of 2+ people holding "
        f"{int(sizes[sizes > 1].sum()):,} people ({len(sim.household_pairs):,} pairs of "
        f"different members)"
    )
    channels = records["source"].value_counts(normalize=True)
    print(
        "  channels: "
        + ", ".join(f"{name} {share:.0%}" for name, share in channels.items())
        + f"; dates readable only month first: {(dates[1] > 12).mean():.1%}"
        + f"; missing: {records[list(FIELDS)].isna().mean().mean():.1%} of fields"
    )


def print_customer_base(results: list[Result], sim: SimulatedIdentities) -> None:
    print("\n== customer base: moved customers and households ==")
    header = ("pipeline", "moved recall", "moved pairs missed", "household precision",
              "household false links")  # fmt: skip
    table = [header]
    for r in results:
        if r.customer_id is None:
            table.append((r.name, "-", r.note, "-", "-"))
            continue
        s = customer_base_scores(r.customer_id, sim)
        table.append(
            (
                r.name,
                cell(s["moved_recall"], ".4f"),
                f"{s['moved_pairs'] - s['moved_found']:,.0f} of {s['moved_pairs']:,.0f}",
                cell(s["household_precision"], ".4f"),
                f"{s['household_false']:,.0f} of {s['household_linked']:,.0f}",
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for i, line in enumerate(table):
        print(
            "  ".join([line[0].ljust(widths[0])] + [line[j].rjust(widths[j]) for j in range(1, 5)])
        )
        if i == 0:
            print("  ".join("-" * w for w in widths))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="records to deduplicate")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the simulated records")
    parser.add_argument(
        "--only",
        default=None,
        help=f"comma-separated subset of {','.join(PIPELINES)} "
        "(default: all; one2one with --customer-base)",
    )
    parser.add_argument(
        "--customer-base",
        action="store_true",
        help="deduplicate simulate_identities(**CUSTOMER_BASE_PARAMS): moves, households, "
        "US and EU dates, channels",
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=20_000,
        help="people in the --customer-base file (records follow)",
    )
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="cap on one pipeline's run, seconds"
    )
    parser.add_argument(
        "--splink-u-pairs",
        type=float,
        default=1e6,
        help="random pairs for splink's u estimate (one2one draws 1,000,000)",
    )
    args = parser.parse_args(argv)
    if args.only is None:
        args.only = "one2one" if args.customer_base else ",".join(PIPELINES)
    unknown = set(args.only.split(",")) - set(PIPELINES)
    if unknown:
        parser.error(f"unknown pipeline(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print_header(args)
    started = time.perf_counter()
    if args.customer_base:
        sim = customer_base(args.customers, args.seed)
        describe_customer_base(sim)
    else:
        sim = simulate_identities(args.records, random_state=args.seed)
        print(
            f"data: {len(sim.records):,} records of {sim.true_entities.nunique():,} people, "
            f"{len(sim.true_links):,} true duplicate pairs (seed {args.seed})"
        )
    true_links = sim.true_links
    results = []
    for name in args.only.split(","):
        result = run_in_child(name, sim.records, true_links, args)
        done = f"{result.seconds:.1f} s" if result.seconds is not None else result.note
        print(f"  {name}: {done}", flush=True)
        results.append(result)
    print_table(results)
    if args.customer_base:
        print_customer_base(results, sim)
    print(
        "peak MiB: the child's peak resident set over the run (data and interpreter "
        "included); extra MiB: that peak minus its resident set at the start of the run"
    )
    print(f"\nat end: {load_note()}")
    print(f"total wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
