"""Pareto/NBD fits on realistic data (issue #16): time, evaluations, and agreement.

The summaries are bench_clv's ``realistic`` case: customers drawn from BG/NBD with the
CDNOW estimates over two years, acquired on any day of the first 78 weeks, summarised to
the day in weeks (100k customers -> 46,742 distinct rows, 1M -> 367,112). For each size:

* one2one warm: best of ``--repeat`` fits, with the number of log-likelihood evaluations
  and the time spent in them (so the time per evaluation, the part this benchmark is
  about: the number of evaluations and the Hessian belong to the shared fitting code);
* one evaluation alone at the fitted parameters (best of 10);
* one2one cold: import and first fit in a fresh process;
* optionally the likelihood of an older commit (``--baseline REV``), fitted the same way
  in this process, to show the speed-up and that the parameters did not move (1e-6);
* lifetimes' ``ParetoNBDFitter`` when it is installed (``/tmp/bench/bin/python``), capped
  at ``--timeout`` seconds.

Run from the repository root::

    /tmp/bench/bin/python benchmarks/bench_paretonbd_speed.py
    /tmp/bench/bin/python benchmarks/bench_paretonbd_speed.py --baseline 5da273f \\
        --baseline-sizes 100000          # the pre-#16 likelihood too (~1 min at 100k)
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import numpy as np
import pandas as pd
from _machine import machine, version
from _report import alarm, load_note

import one2one.clv
from one2one.clv import ParetoNBDModel, rfm_summary
from one2one.clv._fitting import compress
from one2one.clv._paretonbd import pareto_loglik
from one2one.datasets import simulate_transactions

ROOT = Path(__file__).resolve().parents[1]
BGNBD_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # CDNOW estimates
COLUMNS = ["frequency", "recency", "T"]
LIMITS = {100_000: 2.0, 1_000_000: 10.0}  # #16: Pareto/NBD fit, seconds

COLD_CHILD = """
import time
started = time.perf_counter()
import one2one.clv
imported = time.perf_counter() - started
import json, sys
import pandas as pd
summary = pd.read_pickle(sys.argv[1])
started = time.perf_counter()
model = one2one.clv.ParetoNBDModel().fit(summary)
fitted = time.perf_counter() - started
print(json.dumps({"import": imported, "fit": fitted, "params": model.params_.tolist()}))
"""


class Timeout(BaseException):
    """Raised by SIGALRM in a capped run; a BaseException so no `except Exception` eats it."""


@dataclass
class Fit:
    label: str
    seconds: float | None
    params: np.ndarray | None = None
    evaluations: int = 0
    in_loglik: float = 0.0
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def per_evaluation(self) -> float | None:
        return self.in_loglik / self.evaluations if self.evaluations else None


def realistic_summary(n: int, seed: int) -> pd.DataFrame:
    """bench_clv's realistic summary: same model, parameters, windows and seed."""
    sim = simulate_transactions(
        "bgnbd",
        n_customers=n,
        params=BGNBD_PARAMS,
        observation_weeks=104.0,
        acquisition_weeks=78.0,
        random_state=seed,
    )
    return rfm_summary(
        sim.transactions, freq="D", time_unit="W", observation_end=sim.observation_end
    )


def load_baseline(revision: str) -> ModuleType:
    """The Pareto/NBD maths of an older commit, imported beside today's."""
    source = subprocess.run(  # noqa: S603 - git, with a revision the user typed
        ["git", "show", f"{revision}:src/one2one/clv/_paretonbd.py"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="paretonbd_")) / "_paretonbd_baseline.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("one2one.clv._paretonbd_baseline", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def fit_counted(label: str, loglik: Any, summary: pd.DataFrame, repeat: int) -> Fit:
    """Best of ``repeat`` one2one fits with ``loglik``, counting its evaluations."""
    counter = {"calls": 0, "seconds": 0.0}

    def counted(params: np.ndarray, data: Any) -> Any:
        start = time.perf_counter()
        out = loglik(params, data)
        counter["seconds"] += time.perf_counter() - start
        counter["calls"] += 1
        return out

    class Counted(ParetoNBDModel):
        maths = attrs.evolve(ParetoNBDModel.maths, loglik=counted)

    best: Fit | None = None
    for _ in range(repeat):
        counter.update(calls=0, seconds=0.0)
        gc.collect()
        start = time.perf_counter()
        model = Counted().fit(summary)
        elapsed = time.perf_counter() - start
        run = Fit(
            label,
            elapsed,
            model.params_.to_numpy(),
            int(counter["calls"]),
            float(counter["seconds"]),
            extra={"ll": model.log_likelihood_, "diagnostics": model.fit_diagnostics_},
        )
        if best is None or elapsed < (best.seconds or np.inf):
            best = run
        if elapsed > 60:  # a slow baseline runs once
            break
    assert best is not None
    return best


def one_evaluation(summary: pd.DataFrame, params: np.ndarray) -> float:
    """Best of 10 evaluations of the log-likelihood and gradient at ``params``."""
    data, _, _ = compress(summary, COLUMNS)
    pareto_loglik(params, data)  # the grid is built once per data set
    times = []
    for _ in range(10):
        start = time.perf_counter()
        pareto_loglik(params, data)
        times.append(time.perf_counter() - start)
    return min(times)


def fit_cold(summary: pd.DataFrame, timeout: float) -> Fit:
    """Import and first fit in a fresh interpreter (the summary is read outside the clock)."""
    with tempfile.TemporaryDirectory(prefix="paretonbd_") as tmp:
        path = Path(tmp) / "summary.pkl"
        summary.to_pickle(path)
        try:
            done = subprocess.run(  # noqa: S603 - our own interpreter and script
                [sys.executable, "-c", COLD_CHILD, str(path)],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=True,
            )
        except subprocess.TimeoutExpired:
            return Fit("one2one cold", None, note=f"did not finish in {timeout:g} s")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return Fit(
        "one2one cold",
        out["import"] + out["fit"],
        np.array(out["params"]),
        extra={"import": out["import"], "fit": out["fit"]},
    )


def fit_lifetimes(summary: pd.DataFrame, timeout: float) -> Fit:
    """lifetimes' ParetoNBDFitter on the same summary, one run, capped."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import lifetimes  # noqa: PLC0415
    except ImportError:
        return Fit("lifetimes", None, note="not installed (run with /tmp/bench/bin/python)")
    x, tx, T = (summary[c] for c in COLUMNS)
    gc.collect()
    start = time.perf_counter()
    try:
        with alarm(timeout, Timeout), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitter = lifetimes.ParetoNBDFitter().fit(x, tx, T)
    except Timeout:
        return Fit("lifetimes", None, note=f"did not finish in {timeout:g} s")
    elapsed = time.perf_counter() - start
    params = fitter.params_[["r", "alpha", "s", "beta"]].to_numpy()
    return Fit("lifetimes", elapsed, params)


def rel_diff(a: np.ndarray | None, b: np.ndarray | None) -> str:
    if a is None or b is None:
        return "-"
    return f"{np.max(np.abs(a / b - 1)):.1e}"


def seconds(value: float | None, note: str = "") -> str:
    return note if value is None else f"{value:.3f} s"


def run_size(args: argparse.Namespace, n: int, baseline: ModuleType | None) -> list[Fit]:
    summary = realistic_summary(n, args.seed + 10)
    distinct = len(summary[COLUMNS].drop_duplicates())
    print(f"\n{n:,} customers: {distinct:,} distinct (frequency, recency, T) rows  [{load_note()}]")
    fits = [fit_counted("one2one warm", pareto_loglik, summary, args.repeat)]
    ours = fits[0]
    ours.extra["one evaluation"] = one_evaluation(summary, ours.params)
    fits.append(fit_cold(summary, args.cold_timeout))
    if baseline is not None and n in args.baseline_sizes:
        fits.append(fit_counted(f"one2one at {args.baseline}", baseline.pareto_loglik, summary, 1))
    if not args.no_lifetimes:
        fits.append(fit_lifetimes(summary, args.timeout))
    print(f"  {'run':<22} {'fit':>12} {'evals':>6} {'per eval':>10} {'params vs warm':>15}")
    for fit in fits:
        per = "-" if fit.per_evaluation is None else f"{1e3 * fit.per_evaluation:.1f} ms"
        evals = str(fit.evaluations) if fit.evaluations else "-"
        print(
            f"  {fit.label:<22} {seconds(fit.seconds, fit.note):>12} {evals:>6} {per:>10} "
            f"{rel_diff(fit.params, ours.params):>15}"
        )
    print(f"  one evaluation alone at the estimate: {1e3 * ours.extra['one evaluation']:.1f} ms")
    cold = fits[1]
    if cold.seconds is not None:
        print(f"  cold = import {cold.extra['import']:.3f} s + first fit {cold.extra['fit']:.3f} s")
    print(f"  one2one parameters (r, alpha, s, beta): {np.array2string(ours.params, precision=6)}")
    print(f"  log-likelihood {ours.extra['ll']:.6f}; {ours.extra['diagnostics']}")
    limit = LIMITS.get(n)
    if limit is not None:
        for fit in fits[:2]:
            verdict = "PASS" if fit.seconds is not None and fit.seconds < limit else "FAIL"
            print(f"  #16 target: {fit.label} < {limit:g} s: {verdict}")
    return fits


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="customer counts")
    parser.add_argument("--repeat", type=int, default=3, help="warm fits per size (best kept)")
    parser.add_argument("--seed", type=int, default=2024, help="bench_clv's default seed")
    parser.add_argument("--baseline", help="also fit with the likelihood of this git revision")
    parser.add_argument(
        "--baseline-sizes", default="100000", help="sizes at which to run the baseline"
    )
    parser.add_argument("--no-lifetimes", action="store_true", help="skip lifetimes")
    parser.add_argument("--timeout", type=float, default=300.0, help="cap on lifetimes, s")
    parser.add_argument("--cold-timeout", type=float, default=900.0, help="cap on cold, s")
    args = parser.parse_args(argv)
    args.baseline_sizes = {int(v) for v in args.baseline_sizes.split(",")}
    print(f"Pareto/NBD on realistic data (#16): {machine()}")
    print(
        f"python {sys.version.split()[0]}, numpy {version('numpy')}, scipy {version('scipy')}, "
        f"pandas {version('pandas')}, lifetimes {version('lifetimes')}; one2one from "
        f"{Path(one2one.clv.__file__).parents[2]}"
    )
    print(f"start: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  [{load_note()}]")
    baseline = load_baseline(args.baseline) if args.baseline else None
    for n in (int(v) for v in args.sizes.split(",")):
        run_size(args, n, baseline)
    print(f"\nend: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  [{load_note()}]")


if __name__ == "__main__":
    main()
