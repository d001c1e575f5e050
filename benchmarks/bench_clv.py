"""Benchmark one2one.clv against lifetimes 0.11.3 on the same data, in one process.

Data (``--data``): ``daily`` (the default) is what a real shop's summary looks like:
customers acquired on any day of a ``--acquisition-weeks`` window (78) in a
``--observation-weeks`` history (104), summarised with ``rfm_summary(freq="D",
time_unit="W")``, so recency and T are weeks with fractions of a day and 1M customers
give hundreds of thousands of distinct (frequency, recency, T) rows. ``weekly`` is the
older case: 78 weeks, acquisition over 12 weeks, whole weeks (``freq="W"``), where 1M
customers compress to about 15,000 rows. Every case prints the number of
distinct rows.

Cases (sizes are flags; ``--quick`` divides them by 10):

0. ``realistic`` (issue #16): BG/NBD, MBG/NBD and Pareto/NBD fits on the same
   daily-resolution summary of 100k and 1M customers (``--realistic-sizes``), one2one
   warm (best of ``--repeat``) and cold (its first call in a fresh child process: numpy
   and pandas imported and the summary in memory, not timed; then ``import one2one.clv``,
   the model's construction and its first fit, timed, the import and the fit
   separately; modules byte-compiled beforehand, as an installed package's are),
   against lifetimes' ``BetaGeoFitter``, ``ModifiedBetaGeoFitter`` and
   ``ParetoNBDFitter`` in this process (warm, best of ``--repeat``), and with
   ``--lifetimes-cold`` also lifetimes' first call in a fresh child timed the same way.
   Prints the distinct-row count, the parameters' relative difference and a PASS/FAIL
   line per #16 target: BG/NBD and MBG/NBD at 1M >= 30x lifetimes warm, for one2one
   warm, cold with the import, and cold without it (the first fit alone). ``--profile``
   adds cProfile's top 15 (cumulative) of one2one's fits at the largest size.
1. ``rfm_summary`` vs ``lifetimes.utils.summary_data_from_transaction_data`` on a
   simulated log of about 10M transactions, weekly periods, same observation end.
2. BG/NBD fit on 1M simulated customers (summary of ``--data``).
3. BG/NBD predictions for those customers: P(alive) and conditional expected
   purchases over the next 52 periods.
4. BG/NBD fit on the real CDNOW summary.
5. Pareto/NBD (CDNOW and ``--pareto-customers`` simulated) and Gamma-Gamma fits.

one2one's times are the best of ``--repeat`` runs (one run when it takes over 30 s);
lifetimes' the best of as many runs when one takes under 10 s, else of one run. Every
lifetimes run is capped by ``--timeout`` seconds (SIGALRM in this process, so Unix only);
a run cut off is reported as "did not finish in N s"; one2one's cold child is capped by
``--cold-timeout``. lifetimes receives naive UTC timestamps (it drops time zones with a
warning otherwise); that conversion is done before timing. Peak memory is measured with
tracemalloc in a separate, untimed run, so tracing does not slow the timed ones. Timings
need a quiet machine: the load average is printed before each timed block (wait for a
1-minute load under ~1.2 on 2 cores).

Install (see benchmarks/README.md) and run::

    python benchmarks/bench_clv.py --cases realistic    # #16, all models (Pareto/NBD 1M: long)
    python benchmarks/bench_clv.py --cases realistic --realistic-models bgnbd,mbgnbd \
        --lifetimes-cold                                # #16's BG/NBD and MBG/NBD, about 3 minutes
    python benchmarks/bench_clv.py                      # every case
    python benchmarks/bench_clv.py --quick              # 10x smaller sizes
    python benchmarks/bench_clv.py --data weekly --cases fit,predict   # the older weekly data
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from _machine import machine, version
from _report import Target, alarm, load_note, print_targets

import one2one.clv
from one2one.clv import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel, rfm_summary
from one2one.datasets import load_cdnow_summary, simulate_transactions

# Published CDNOW estimates, used to draw realistic customer bases (rates per week).
BGNBD_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARETO_PARAMS = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
OBSERVATION_WEEKS = 78.0
ACQUISITION_WEEKS = 12.0
LONG_RUN = 10.0  # seconds: a lifetimes run longer than this is not repeated
LONG_ONE2ONE = 30.0  # seconds: a one2one run longer than this is not repeated
PARAM_RTOL = 1e-3  # the target for parameter agreement
FIT_SPEEDUP = 30.0  # the target for BG/NBD fit speed
# Realistic (daily) data, issue #16: two years of history, customers acquired on any day
# of the first 18 months.
DAILY_OBSERVATION_WEEKS = 104.0
DAILY_ACQUISITION_WEEKS = 78.0
PARAM_RTOL_16 = 1e-4  # #16: parameters within 1e-4 relative of lifetimes'
PARETO_LIMITS_16 = {100_000: 2.0, 1_000_000: 10.0}  # #16: Pareto/NBD fit, seconds
MiB = 2**20


# --- lifetimes, imported at run time -------------------------------------------------------
def import_lifetimes() -> ModuleType:
    """Import lifetimes 0.11.3, with any compatibility shim it needs applied first.

    Under the pinned benchmark environment (benchmarks/README.md) lifetimes needs
    no shim: it imports ``scipy.special.logsumexp`` (not ``scipy.misc``) and uses
    no removed numpy alias. It does set ``pd.options.mode.chained_assignment``,
    which pandas 3 deprecates with a warning, so the import is done with warnings
    silenced. A shim, if one is ever needed, goes here (monkeypatch before the
    import), never into site-packages.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes  # noqa: PLC0415
        import lifetimes.utils  # noqa: PLC0415

    return lifetimes


# --- timing --------------------------------------------------------------------------------
class LifetimesTimeout(BaseException):
    """Raised by SIGALRM in a capped run; a BaseException so no `except Exception` eats it."""


@dataclass
class Timing:
    seconds: float | None  # None: did not finish
    runs: int
    result: Any = None
    note: str = ""

    def text(self) -> str:
        if self.seconds is None:
            return self.note
        return f"{self.seconds:.3f}"


def time_one2one(fn: Callable[[], Any], repeat: int) -> Timing:
    """Best of ``repeat`` runs, or one run if it takes more than LONG_ONE2ONE s."""
    best, result, runs = float("inf"), None, 0
    while runs < repeat:
        gc.collect()
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        best, runs = min(best, elapsed), runs + 1
        if elapsed > LONG_ONE2ONE:
            break
    return Timing(best, runs, result)


def time_lifetimes(fn: Callable[[], Any], repeat: int, timeout: float) -> Timing:
    """Best of ``repeat`` runs, or one run if it takes more than LONG_RUN s; each run capped."""
    best, result, runs = float("inf"), None, 0
    while runs < repeat:
        gc.collect()
        start = time.perf_counter()
        try:
            with alarm(timeout, LifetimesTimeout):
                result = fn()
        except LifetimesTimeout:
            if runs == 0:
                return Timing(None, 0, None, f"did not finish in {timeout:g} s")
            break
        elapsed = time.perf_counter() - start
        best, runs = min(best, elapsed), runs + 1
        if elapsed > LONG_RUN:
            break
    return Timing(best, runs, result)


def peak_memory(fn: Callable[[], Any], timeout: float | None = None) -> int | None:
    """Peak bytes allocated (tracemalloc: Python objects and numpy/pandas buffers) during fn."""
    gc.collect()
    tracemalloc.start()
    try:
        if timeout is None:
            fn()
        else:
            with alarm(timeout, LifetimesTimeout):
                fn()
    except LifetimesTimeout:
        return None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


# --- results -------------------------------------------------------------------------------
@dataclass
class Row:
    case: str
    one2one: Timing | None
    lifetimes: Timing | None
    agreement: str

    def ratio(self) -> str:
        if self.one2one is None or self.lifetimes is None:
            return "-"
        if self.lifetimes.seconds is None or self.one2one.seconds is None:
            return "-"
        ratio = self.lifetimes.seconds / self.one2one.seconds
        return f"{ratio:.1f}x" if ratio >= 1 else f"{ratio:.2f}x"


def max_rel_diff(ours: pd.Series, theirs: pd.Series) -> float:
    """Largest |ours/theirs - 1| over parameters matched by position."""
    a, b = ours.to_numpy(dtype=float), theirs.to_numpy(dtype=float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def param_agreement(ours: pd.Series, theirs: pd.Series) -> str:
    diff = max_rel_diff(ours, theirs)
    verdict = "met" if diff <= PARAM_RTOL else "NOT met"
    return f"params max rel diff {diff:.1e} ({verdict}, target {PARAM_RTOL:g})"


def show_params(label: str, ours: pd.Series, theirs: pd.Series) -> None:
    frame = pd.DataFrame(
        {"one2one": ours.to_numpy(dtype=float), "lifetimes": theirs.to_numpy(dtype=float)},
        index=[f"{a}/{b}" if a != b else a for a, b in zip(ours.index, theirs.index, strict=True)],
    )
    frame["rel diff"] = (frame["one2one"] - frame["lifetimes"]).abs() / frame["lifetimes"].abs()
    print(f"  {label} parameters:")
    print("    " + frame.to_string(float_format=lambda v: f"{v:.6g}").replace("\n", "\n    "))


def print_timing(name: str, timing: Timing, indent: int = 2) -> None:
    runs = f" (best of {timing.runs})" if timing.runs > 1 else ""
    unit = " s" if timing.seconds is not None else ""
    print(f"{' ' * indent}{name:<10} {timing.text()}{unit}{runs}")


@dataclass
class Context:
    args: argparse.Namespace
    lifetimes: ModuleType
    # Filled by the fit case, reused by the prediction case.
    summary: pd.DataFrame | None = None
    ours: BetaGeoModel | None = None
    theirs: Any = None


# --- case 0: issue #16, fits on realistic (daily) data ----------------------------------
REALISTIC_MODELS: list[tuple[str, str, type, str]] = [
    # label, simulator and one2one model, one2one class, lifetimes fitter
    ("BG/NBD", "bgnbd", BetaGeoModel, "BetaGeoFitter"),
    ("MBG/NBD", "mbgnbd", ModifiedBetaGeoModel, "ModifiedBetaGeoFitter"),
    ("Pareto/NBD", "paretonbd", ParetoNBDModel, "ParetoNBDFitter"),
]

# Run in a fresh interpreter, as a user's first fit: numpy and pandas are imported and the
# summary is read into memory first (the user's own data loading, not timed); the clock then
# runs from `import one2one.clv` (and so every import one2one makes beyond numpy and pandas:
# scipy, scikit-learn, ...) through the model's construction to the end of its first fit.
COLD_CHILD = """
import json, sys, time
import numpy
import pandas as pd
summary = pd.read_pickle(sys.argv[1])
started = time.perf_counter()
import one2one.clv
imported = time.perf_counter() - started
started = time.perf_counter()
model = getattr(one2one.clv, sys.argv[2])().fit(summary)
fitted = time.perf_counter() - started
print(json.dumps({"import": imported, "fit": fitted, "params": model.params_.tolist()}))
"""

# The same for lifetimes (import lifetimes, construct, fit), so both libraries' first calls
# are measured the same way; lifetimes' import warnings are silenced, as in import_lifetimes.
LIFETIMES_COLD_CHILD = """
import json, sys, time, warnings
import numpy
import pandas as pd
summary = pd.read_pickle(sys.argv[1])
started = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import lifetimes
imported = time.perf_counter() - started
started = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    fitter = getattr(lifetimes, sys.argv[2])().fit(
        summary["frequency"], summary["recency"], summary["T"]
    )
fitted = time.perf_counter() - started
print(json.dumps({"import": imported, "fit": fitted, "params": fitter.params_.tolist()}))
"""


@dataclass
class Cold:
    import_s: float
    fit_s: float
    params: list[float]

    @property
    def seconds(self) -> float:
        return self.import_s + self.fit_s


def child_environment(bytecode: Path) -> dict[str, str]:
    """The cold children's environment: modules byte-compiled once, as an installed package is.

    ``pip install`` compiles a package's modules; a source checkout with
    PYTHONDONTWRITEBYTECODE set (as in some sandboxes) would instead compile one2one's
    modules in every fresh process (~0.1 s), which no user pays. So the children keep
    their bytecode in ``bytecode`` (PYTHONPYCACHEPREFIX), filled by an untimed first run.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(bytecode)
    return env


def compile_for_cold_runs(bytecode: Path, timeout: float) -> None:
    """Import one2one.clv and lifetimes once in a child, untimed, to write their bytecode."""
    code = "import one2one.clv\ntry:\n    import lifetimes\nexcept ImportError:\n    pass\n"
    subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-W", "ignore", "-c", code],
        env=child_environment(bytecode),
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def time_cold(
    summary_path: Path,
    model_name: str,
    timeout: float,
    child: str = COLD_CHILD,
    bytecode: Path | None = None,
) -> Cold | str:
    """A library's first call in a fresh process: import plus first fit, or why it failed."""
    try:
        done = subprocess.run(  # noqa: S603 (our own interpreter and script)
            [sys.executable, "-c", child, str(summary_path), model_name],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=None if bytecode is None else child_environment(bytecode),
        )
    except subprocess.TimeoutExpired:
        return f"did not finish in {timeout:g} s"
    if done.returncode != 0:
        return f"child failed: {done.stderr.strip().splitlines()[-1:]}"
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return Cold(out["import"], out["fit"], out["params"])


def profile_fit(model: type, summary: pd.DataFrame, label: str, top: int = 15) -> None:
    """cProfile one warm fit and print the top functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    model().fit(summary)
    profiler.disable()
    print(
        f"\n  cProfile, one2one {label} fit on {len(summary):,} customers (top {top} cumulative):"
    )
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)


def measure_model(
    ctx: Context, spec: tuple[str, str, type, str], summary: pd.DataFrame, path: Path
) -> tuple[list[Row], list[Target]]:
    """One model on one summary: one2one warm and cold, lifetimes, parameters, targets."""
    args, lifetimes = ctx.args, ctx.lifetimes
    label, _, model, fitter = spec
    n, distinct = len(summary), distinct_rows(summary)
    x, tx, T = summary["frequency"], summary["recency"], summary["T"]
    print(f"  {label}  [{load_note()}]")
    bytecode = path.parent / "bytecode"
    cold = time_cold(path, model.__name__, args.cold_timeout, bytecode=bytecode)
    warm = time_one2one(lambda: model().fit(summary), args.repeat)
    theirs = time_lifetimes(
        lambda: getattr(lifetimes, fitter)().fit(x, tx, T), args.repeat, args.timeout
    )
    their_cold: Cold | str = "not measured (--lifetimes-cold)"
    if args.lifetimes_cold:
        their_cold = time_cold(path, fitter, args.timeout, LIFETIMES_COLD_CHILD, bytecode)
    print_timing("one2one", warm, 4)
    cold_timing, first_fit = Timing(None, 0, None, str(cold)), Timing(None, 0, None, str(cold))
    if isinstance(cold, Cold):
        print(
            f"    {'cold':<10} {cold.seconds:.3f} s (import {cold.import_s:.3f} s "
            f"+ construction and first fit {cold.fit_s:.3f} s, fresh process, data in memory)"
        )
        cold_timing, first_fit = Timing(cold.seconds, 1), Timing(cold.fit_s, 1)
    else:
        print(f"    {'cold':<10} {cold}")
    print_timing("lifetimes", theirs, 4)
    if isinstance(their_cold, Cold):
        print(
            f"    {'lt cold':<10} {their_cold.seconds:.3f} s (import {their_cold.import_s:.3f} s "
            f"+ first fit {their_cold.fit_s:.3f} s, fresh process, data in memory)"
        )
    else:
        print(f"    {'lt cold':<10} {their_cold}")
    agreement, diff = "not compared", None
    if theirs.result is not None:
        show_params(f"{label} {n:,}", warm.result.params_, theirs.result.params_)
        diff = max_rel_diff(warm.result.params_, theirs.result.params_)
        agreement = f"params max rel diff {diff:.1e}"
    if isinstance(cold, Cold):
        gap = np.max(np.abs(np.array(cold.params) / warm.result.params_.to_numpy() - 1))
        print(f"    cold fit's parameters vs warm: max rel diff {gap:.1e}")
    rows = [
        Row(f"{label} fit {n / 1e6:g}M ({distinct:,} rows)", warm, theirs, agreement),
        Row("  same, one2one cold: import + first fit", cold_timing, theirs, ""),
        Row("  same, one2one cold: first fit only", first_fit, theirs, ""),
    ]
    if isinstance(their_cold, Cold):
        rows.append(
            Row(
                "  same, both cold (import + first fit)",
                cold_timing,
                Timing(their_cold.seconds, 1),
                "",
            )
        )
    timings = (warm, cold_timing, first_fit, theirs)
    return rows, realistic_targets(label, n, timings, diff)


def case_realistic(ctx: Context) -> list[Row]:
    args, lifetimes = ctx.args, ctx.lifetimes
    sizes = [int(n) for n in args.realistic_sizes.split(",")]
    chosen = [spec for spec in REALISTIC_MODELS if spec[1] in args.realistic_models.split(",")]
    print(
        f"\n[0] #16: {', '.join(spec[0] for spec in chosen)} fits on realistic data "
        f"({describe_data(args)})"
    )
    if args.data != "daily":
        print("  note: --data weekly; #16's targets are about --data daily")
    rows: list[Row] = []
    targets: list[Target] = []
    largest: pd.DataFrame | None = None
    with tempfile.TemporaryDirectory(prefix="bench_clv_") as tmp:
        compile_for_cold_runs(Path(tmp) / "bytecode", args.cold_timeout)
        for n in sizes:
            # One summary per size, drawn from BG/NBD with the CDNOW estimates; every model
            # of both libraries is fitted on it, as compare_models would.
            summary = simulated_summary(args, n, args.seed + 10)
            path = Path(tmp) / f"summary_{n}.pkl"
            summary.to_pickle(path)
            print(
                f"\n  {n:,} customers: {distinct_rows(summary):,} distinct "
                f"(frequency, recency, T) rows, {int((summary['frequency'] > 0).sum()):,} "
                "repeat buyers"
            )
            for spec in chosen:
                if not hasattr(lifetimes, spec[3]):
                    print(f"  {spec[0]}: lifetimes has no {spec[3]}; skipped")
                    continue
                more_rows, more_targets = measure_model(ctx, spec, summary, path)
                rows.extend(more_rows)
                targets.extend(more_targets)
            if n == max(sizes):
                largest = summary
    if args.profile and largest is not None:
        for label, _, model, _ in chosen:
            profile_fit(model, largest, label)
    print_targets(targets)
    return rows


def realistic_targets(
    label: str, n: int, timings: tuple[Timing, Timing, Timing, Timing], diff: float | None
) -> list[Target]:
    """#16's targets for one model and size.

    ``timings`` are one2one warm, cold (import + first fit), cold first fit alone (the
    import left out) and lifetimes warm; the cold ratios are against lifetimes warm.
    """
    warm, cold, first_fit, theirs = timings
    size = f"{n / 1e6:g}M"
    out = []

    def ratio(ours: Timing) -> float | None:
        if ours.seconds is None or theirs.seconds is None:
            return None
        return theirs.seconds / ours.seconds

    if label in ("BG/NBD", "MBG/NBD"):
        goal = n >= 1_000_000  # #16: ">= 30x lifetimes" at 1M realistic customers
        for name, timing in (
            ("warm", warm),
            ("cold, import + first fit", cold),
            ("cold, first fit only", first_fit),
        ):
            r = ratio(timing)
            measured = "-" if r is None else f"{r:.1f}x"
            passed = None if r is None or not goal else r >= FIT_SPEEDUP
            out.append(Target(f"{label} {size} {name} vs lifetimes", measured, ">= 30x", passed))
    if label == "Pareto/NBD":
        limit = PARETO_LIMITS_16.get(n)
        for name, timing in (("warm", warm), ("cold", cold)):
            measured = "-" if timing.seconds is None else f"{timing.seconds:.2f} s"
            passed = None
            if limit is not None and timing.seconds is not None:
                passed = timing.seconds < limit
            target = f"< {limit:g} s" if limit is not None else "-"
            out.append(Target(f"{label} {size} {name}", measured, target, passed))
    out.append(
        Target(
            f"{label} {size} params vs lifetimes",
            "-" if diff is None else f"{diff:.1e}",
            f"<= {PARAM_RTOL_16:g}",
            None if diff is None else diff <= PARAM_RTOL_16,
        )
    )
    return out


# --- case 1: transaction log -> summary ----------------------------------------------------
def compare_summaries(ours: pd.DataFrame, theirs: pd.DataFrame) -> tuple[bool, str]:
    """Check frequency, recency and T exactly and monetary value to 1e-9 relative."""
    theirs = theirs.sort_index()
    if len(ours) != len(theirs) or not (ours.index == theirs.index).all():
        return False, f"different customers ({len(ours)} vs {len(theirs)} rows)"
    mismatched = [
        column
        for column in ("frequency", "recency", "T")
        if not np.array_equal(ours[column].to_numpy(float), theirs[column].to_numpy(float))
    ]
    money = np.abs(ours["monetary_value"].to_numpy() - theirs["monetary_value"].to_numpy())
    scale = np.maximum(np.abs(theirs["monetary_value"].to_numpy()), 1.0)
    money_rel = float(np.max(money / scale))
    if mismatched:
        counts = ", ".join(
            f"{c}: {int((ours[c].to_numpy(float) != theirs[c].to_numpy(float)).sum())} rows"
            for c in mismatched
        )
        return False, f"differ in {counts}"
    return money_rel <= 1e-9, f"F/R/T exact, monetary max rel diff {money_rel:.1e}"


def case_summary(ctx: Context) -> list[Row]:
    args, utils = ctx.args, ctx.lifetimes.utils
    print(f"\n[1] rfm_summary vs summary_data_from_transaction_data (freq='{args.freq}')")
    sim = simulate_transactions(
        "bgnbd",
        n_customers=args.log_customers,
        params=BGNBD_PARAMS,
        observation_weeks=OBSERVATION_WEEKS,
        acquisition_weeks=ACQUISITION_WEEKS,
        random_state=args.seed,
    )
    log, end = sim.transactions, sim.observation_end
    naive = log.assign(occurred_at=log["occurred_at"].dt.tz_convert("UTC").dt.tz_localize(None))
    naive_end = end.tz_convert("UTC").tz_localize(None)
    print(
        f"  data: {len(log):,} transactions of {args.log_customers:,} customers "
        f"(BG/NBD, CDNOW parameters, {OBSERVATION_WEEKS:g} weeks), observation end {end}"
    )

    def ours(freq: str = args.freq) -> pd.DataFrame:
        return rfm_summary(log, freq=freq, observation_end=end)

    def theirs(freq: str = args.freq) -> pd.DataFrame:
        return utils.summary_data_from_transaction_data(
            naive,
            "customer_id",
            "occurred_at",
            monetary_value_col="value",
            observation_period_end=naive_end,
            freq=freq,
        )

    o = time_one2one(ours, args.repeat)
    t = time_lifetimes(theirs, args.repeat, args.timeout)
    print_timing("one2one", o)
    print_timing("lifetimes", t)
    mem_o = peak_memory(ours)
    mem_t = peak_memory(theirs, args.timeout)
    mem_text = "not finished" if mem_t is None else f"{mem_t / MiB:,.0f} MiB"
    print(
        f"  peak memory (tracemalloc peak, separate untimed run): "
        f"one2one {(mem_o or 0) / MiB:,.0f} MiB, lifetimes {mem_text}"
    )
    if t.result is None:
        return [Row(f"summary {len(log) / 1e6:.1f}M tx ({args.freq})", o, t, "not compared")]
    same, detail = compare_summaries(o.result, t.result)
    if same:
        print(f"  outputs agree: {detail}")
    else:
        # lifetimes anchors periods with pandas' to_period (weeks W-SUN: Monday to Sunday,
        # counted from the period starts), one2one on Monday-start calendar weeks. If those
        # ever disagree, days are the unit both count identically.
        print(f"  weekly outputs differ ({detail}); period anchoring differs, comparing 'D'")
        same, detail = compare_summaries(ours("D"), theirs("D"))
        detail = f"weekly differ; daily: {detail}"
        print(f"  daily outputs {'agree' if same else 'differ'}: {detail}")
    return [Row(f"summary {len(log) / 1e6:.1f}M tx ({args.freq})", o, t, detail)]


# --- case 2: BG/NBD fit --------------------------------------------------------------------
def simulated_summary(
    args: argparse.Namespace, n_customers: int, seed: int, model: str = "bgnbd"
) -> pd.DataFrame:
    """A summary of customers drawn from ``model`` with the CDNOW estimates.

    ``args.data == "daily"``: acquisition on any day of ``args.acquisition_weeks``, ages
    counted in days and expressed in weeks (``freq="D", time_unit="W"``), as a real
    shop's summary is. ``"weekly"``: the older data, whole weeks, 12 weeks of acquisition.
    """
    params = BGNBD_PARAMS if model in ("bgnbd", "mbgnbd") else PARETO_PARAMS
    daily = args.data == "daily"
    sim = simulate_transactions(
        model,
        n_customers=n_customers,
        params=params,
        observation_weeks=args.observation_weeks if daily else OBSERVATION_WEEKS,
        acquisition_weeks=args.acquisition_weeks if daily else ACQUISITION_WEEKS,
        random_state=seed,
    )
    if daily:
        return rfm_summary(
            sim.transactions, freq="D", time_unit="W", observation_end=sim.observation_end
        )
    return rfm_summary(sim.transactions, freq="W", observation_end=sim.observation_end)


def distinct_rows(summary: pd.DataFrame) -> int:
    """Distinct (frequency, recency, T) rows: what a fit that compresses works on."""
    return len(summary[["frequency", "recency", "T"]].drop_duplicates())


def describe_data(args: argparse.Namespace) -> str:
    if args.data == "daily":
        return (
            f"daily ages in weeks, {args.observation_weeks:g} weeks, acquisition on any day "
            f"of {args.acquisition_weeks:g} weeks"
        )
    return f"weekly summary, {OBSERVATION_WEEKS:g} weeks, acquisition over {ACQUISITION_WEEKS:g}"


def case_fit(ctx: Context) -> list[Row]:
    args, lifetimes = ctx.args, ctx.lifetimes
    print(f"\n[2] BG/NBD fit on {args.fit_customers:,} simulated customers ({describe_data(args)})")
    summary = simulated_summary(args, args.fit_customers, args.seed + 1)
    patterns = distinct_rows(summary)
    print(f"  data: {len(summary):,} customers, {patterns:,} distinct (frequency, recency, T)")
    x, tx, T = summary["frequency"], summary["recency"], summary["T"]

    o = time_one2one(lambda: BetaGeoModel().fit(summary), args.repeat)
    t = time_lifetimes(lambda: lifetimes.BetaGeoFitter().fit(x, tx, T), args.repeat, args.timeout)

    def theirs_weighted() -> Any:
        # What a lifetimes user can do by hand: compress to patterns, pass weights.
        groups = summary.groupby(["frequency", "recency", "T"]).size().reset_index(name="n")
        return lifetimes.BetaGeoFitter().fit(
            groups["frequency"], groups["recency"], groups["T"], weights=groups["n"]
        )

    tw = time_lifetimes(theirs_weighted, args.repeat, args.timeout)
    print_timing("one2one", o)
    print_timing("lifetimes", t)
    print_timing("lifetimes, compressed by hand with weights=", tw)
    ctx.summary, ctx.ours, ctx.theirs = summary, o.result, t.result
    rows = []
    if t.result is not None:
        show_params(f"BG/NBD ({len(summary):,} simulated)", o.result.params_, t.result.params_)
        agreement = param_agreement(o.result.params_, t.result.params_)
        if t.seconds is not None and o.seconds is not None:
            speedup = t.seconds / o.seconds
            verdict = "met" if speedup >= FIT_SPEEDUP else "NOT met"
            print(
                f"  speed: lifetimes/one2one = {speedup:.1f}x ({verdict}, target {FIT_SPEEDUP:g}x)"
            )
        print(f"  {agreement}")
    else:
        agreement = "not compared"
    rows.append(Row(f"BG/NBD fit {len(summary) / 1e6:g}M cust", o, t, agreement))
    weighted = (
        param_agreement(o.result.params_, tw.result.params_) if tw.result is not None else "-"
    )
    rows.append(Row("  same, lifetimes given weights=", o, tw, weighted))
    return rows


# --- case 3: BG/NBD predictions ------------------------------------------------------------
def case_predict(ctx: Context) -> list[Row]:
    args = ctx.args
    if ctx.summary is None or ctx.ours is None:
        print("\n[3] BG/NBD predictions: skipped (needs the fit case)")
        return []
    summary, ours, theirs, h = ctx.summary, ctx.ours, ctx.theirs, args.horizon
    print(f"\n[3] BG/NBD predictions for {len(summary):,} customers (each library's own fit)")
    if theirs is None:
        print("  lifetimes did not finish its fit; timing one2one only")
    x, tx, T = summary["frequency"], summary["recency"], summary["T"]
    rows = []
    cases: list[tuple[str, Callable[[], Any], Callable[[], Any] | None]] = [
        (
            "P(alive)",
            lambda: ours.predict_proba_alive(summary),
            None if theirs is None else lambda: theirs.conditional_probability_alive(x, tx, T),
        ),
        (
            f"E[purchases {h:g}]",
            lambda: ours.predict_purchases(summary, h),
            None
            if theirs is None
            else lambda: theirs.conditional_expected_number_of_purchases_up_to_time(h, x, tx, T),
        ),
    ]
    for name, mine, other in cases:
        o = time_one2one(mine, args.repeat)
        t = None if other is None else time_lifetimes(other, args.repeat, args.timeout)
        print(f"  {name}:")
        print_timing("one2one", o, 4)
        agreement = "-"
        if t is not None:
            print_timing("lifetimes", t, 4)
            if t.result is not None:
                gap = np.abs(o.result.to_numpy() - np.asarray(t.result, dtype=float))
                agreement = f"max abs diff {float(np.max(gap)):.1e}"
                print(f"    {agreement}")
        rows.append(Row(f"BG/NBD {name}", o, t, agreement))
    return rows


# --- case 4: CDNOW -------------------------------------------------------------------------
def case_cdnow(ctx: Context) -> list[Row]:
    args, lifetimes = ctx.args, ctx.lifetimes
    summary = load_cdnow_summary()
    print(f"\n[4] BG/NBD fit on the CDNOW summary ({len(summary):,} customers)")
    x, tx, T = summary["frequency"], summary["recency"], summary["T"]
    o = time_one2one(lambda: BetaGeoModel().fit(summary), args.repeat)
    t = time_lifetimes(lambda: lifetimes.BetaGeoFitter().fit(x, tx, T), args.repeat, args.timeout)
    print_timing("one2one", o)
    print_timing("lifetimes", t)
    if t.result is None:
        return [Row("BG/NBD fit CDNOW", o, t, "not compared")]
    show_params("CDNOW BG/NBD", o.result.params_, t.result.params_)
    print("  published (Fader, Hardie & Lee 2005): r 0.243, alpha 4.414, a 0.793, b 2.426")
    return [Row("BG/NBD fit CDNOW", o, t, param_agreement(o.result.params_, t.result.params_))]


# --- HOOKS: models one2one does not have yet -----------------------------------------------
# These run by themselves once one2one.clv exports the model; until then they skip.
# Check the assumed one2one API (noted in each hook) when the model lands.
def case_pareto_nbd(ctx: Context) -> list[Row]:
    """HOOK: Pareto/NBD, one2one.clv.ParetoNBDModel vs lifetimes.ParetoNBDFitter.

    Assumes ``ParetoNBDModel().fit(summary)`` with ``params_`` r, alpha, s, beta
    (the order of lifetimes' ``params_``).
    """
    print("\n[5] Pareto/NBD fit")
    model = getattr(one2one.clv, "ParetoNBDModel", None)
    if model is None:
        print("  skipped: one2one.clv has no ParetoNBDModel yet")
        return []
    args, lifetimes = ctx.args, ctx.lifetimes
    rows = []
    datasets = [
        ("CDNOW", load_cdnow_summary()),
        (
            f"{args.pareto_customers / 1e6:g}M sim",
            simulated_summary(args, args.pareto_customers, args.seed + 2, "paretonbd"),
        ),
    ]
    for label, summary in datasets:
        x, tx, T = summary["frequency"], summary["recency"], summary["T"]
        o = time_one2one(lambda s=summary: model().fit(s), args.repeat)
        t = time_lifetimes(
            lambda x=x, tx=tx, T=T: lifetimes.ParetoNBDFitter().fit(x, tx, T),
            args.repeat,
            args.timeout,
        )
        print(f"  {label} ({len(summary):,} customers, {distinct_rows(summary):,} distinct rows):")
        print_timing("one2one", o, 4)
        print_timing("lifetimes", t, 4)
        agreement = "not compared"
        if t.result is not None:
            show_params(f"Pareto/NBD {label}", o.result.params_, t.result.params_)
            agreement = param_agreement(o.result.params_, t.result.params_)
        rows.append(Row(f"Pareto/NBD fit {label}", o, t, agreement))
    return rows


def case_gamma_gamma(ctx: Context) -> list[Row]:
    """HOOK: Gamma-Gamma spend, one2one.clv.GammaGammaModel vs lifetimes.GammaGammaFitter.

    Assumes ``GammaGammaModel().fit(summary)`` on the repeat customers' ``frequency``
    and ``monetary_value``, with ``params_`` p, q, and the scale (lifetimes' v).
    """
    print("\n[6] Gamma-Gamma fit")
    model = getattr(one2one.clv, "GammaGammaModel", None)
    if model is None:
        print("  skipped: one2one.clv has no GammaGammaModel yet")
        return []
    args, lifetimes = ctx.args, ctx.lifetimes
    base = (
        ctx.summary if ctx.summary is not None else simulated_summary(args, args.fit_customers, 7)
    )
    rows = []
    for label, summary in [("CDNOW", load_cdnow_summary()), (f"{len(base) / 1e6:g}M sim", base)]:
        repeat = summary[summary["frequency"] > 0]
        o = time_one2one(lambda r=repeat: model().fit(r), args.repeat)
        t = time_lifetimes(
            lambda r=repeat: lifetimes.GammaGammaFitter().fit(r["frequency"], r["monetary_value"]),
            args.repeat,
            args.timeout,
        )
        print(f"  {label} ({len(repeat):,} repeat customers):")
        print_timing("one2one", o, 4)
        print_timing("lifetimes", t, 4)
        agreement = "not compared"
        if t.result is not None:
            show_params(f"Gamma-Gamma {label}", o.result.params_, t.result.params_)
            agreement = param_agreement(o.result.params_, t.result.params_)
        rows.append(Row(f"Gamma-Gamma fit {label}", o, t, agreement))
    return rows


CASES: dict[str, Callable[[Context], list[Row]]] = {
    "realistic": case_realistic,
    "summary": case_summary,
    "fit": case_fit,
    "predict": case_predict,
    "cdnow": case_cdnow,
    "pareto": case_pareto_nbd,
    "gamma": case_gamma_gamma,
}


# --- driver --------------------------------------------------------------------------------
def print_header(args: argparse.Namespace) -> None:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    packages = ["one2one", "lifetimes", "numpy", "pandas", "scipy", "autograd"]
    print(f"bench_clv.py  {now}")
    print(f"machine: {machine()}")
    print(
        f"python {platform.python_version()}; " + ", ".join(f"{p} {version(p)}" for p in packages)
    )
    print(f"command: {' '.join([sys.executable, *sys.argv])}")
    print(
        f"sizes: log {args.log_customers:,} customers, fit/predict {args.fit_customers:,} "
        f"customers, Pareto/NBD {args.pareto_customers:,}, realistic {args.realistic_sizes}; "
        f"repeat {args.repeat}, lifetimes timeout {args.timeout:g} s"
    )
    print(f"data: {describe_data(args)}")
    print(f"at start: {load_note()}")


def print_table(rows: list[Row]) -> None:
    header = ("case", "one2one s", "lifetimes s", "ratio", "agreement")
    table = [header] + [
        (
            row.case,
            row.one2one.text() if row.one2one else "-",
            row.lifetimes.text() if row.lifetimes else "-",
            row.ratio(),
            row.agreement,
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    print("\n== summary (ratio = lifetimes / one2one; >1 means one2one is faster) ==")
    for i, line in enumerate(table):
        cells = [line[0].ljust(widths[0])] + [line[j].rjust(widths[j]) for j in (1, 2, 3)]
        print("  ".join([*cells, line[4]]))
        if i == 0:
            print("  ".join("-" * w for w in [*widths, len(header[4])]))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--log-customers",
        type=int,
        default=3_600_000,
        help="customers in the simulated log of case 1 (3.6M gives about 10M transactions)",
    )
    parser.add_argument(
        "--fit-customers", type=int, default=1_000_000, help="customers for BG/NBD fit/predict"
    )
    parser.add_argument(
        "--pareto-customers",
        type=int,
        default=100_000,
        help="customers for the Pareto/NBD hook (lifetimes' Pareto/NBD is slow)",
    )
    parser.add_argument(
        "--realistic-sizes",
        default="100000,1000000",
        help="comma-separated customer counts of the realistic case (issue #16)",
    )
    parser.add_argument(
        "--realistic-models",
        default="bgnbd,mbgnbd,paretonbd",
        help="comma-separated models of the realistic case (bgnbd, mbgnbd, paretonbd)",
    )
    parser.add_argument(
        "--data",
        default="daily",
        choices=["daily", "weekly"],
        help="simulated summaries: daily ages in weeks (realistic, default) or whole weeks (older)",
    )
    parser.add_argument(
        "--observation-weeks",
        type=float,
        default=DAILY_OBSERVATION_WEEKS,
        help="history length of the daily data, weeks",
    )
    parser.add_argument(
        "--acquisition-weeks",
        type=float,
        default=DAILY_ACQUISITION_WEEKS,
        help="first purchases fall on any day of this many weeks (daily data)",
    )
    parser.add_argument(
        "--lifetimes-cold",
        action="store_true",
        help="also time lifetimes' first call in a fresh process (import + fit), per model",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile one2one's BG/NBD and Pareto/NBD fits at the largest realistic size",
    )
    parser.add_argument("--horizon", type=float, default=52.0, help="prediction horizon, weeks")
    parser.add_argument("--freq", default="W", choices=["D", "W"], help="period of case 1")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best is kept)")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="cap on one lifetimes run, seconds"
    )
    parser.add_argument(
        "--cold-timeout",
        type=float,
        default=900.0,
        help="cap on one2one's cold run (child process), seconds",
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--quick", action="store_true", help="10x smaller sizes")
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"comma-separated subset of {','.join(CASES)} (predict needs fit)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.log_customers //= 10
        args.fit_customers //= 10
        args.pareto_customers //= 10
        args.realistic_sizes = ",".join(str(int(n) // 10) for n in args.realistic_sizes.split(","))
    unknown = set(args.cases.split(",")) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print_header(args)
    ctx = Context(args=args, lifetimes=import_lifetimes())
    rows: list[Row] = []
    started = time.perf_counter()
    for name in args.cases.split(","):
        rows.extend(CASES[name](ctx))
    print_table(rows)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    elapsed = time.perf_counter() - started
    print(f"\nat end: {load_note()}")
    print(f"total wall time {elapsed:.0f} s; process max RSS {max_rss:,.0f} MiB")


if __name__ == "__main__":
    main()
