"""Time the Pareto/NBD with time-varying covariates against the plain fits, same data.

No Python library fits time-varying covariates (CLVTools, in R, is the only
other one), so the comparison is what the covariates cost: on the seasonal
simulator's base, ``time_varying_summary`` and ``TimeVaryingParetoNBDModel``
beside one2one's plain ``ParetoNBDModel`` and lifetimes' ``ParetoNBDFitter``
on the same calibration summary, in one process. Two covariate sets: the
holiday indicator alone (neighbouring weeks merge into a few pieces per
customer) and the weekly Fourier pair plus the holiday (a piece per week).

Run (lifetimes from the ``bench`` extra; without it, its column is skipped)::

    python benchmarks/bench_dyncov.py --sizes 1000 10000
"""

from __future__ import annotations

import argparse
import time
import warnings

from one2one.clv import ParetoNBDModel, TimeVaryingParetoNBDModel, time_varying_summary
from one2one.datasets import simulate_seasonal_transactions

_SETS = {
    "holiday": ["holiday"],
    "fourier+holiday": ["season_cos", "season_sin", "holiday"],
}


def _lifetimes_seconds(summary: object) -> float | None:
    try:
        from lifetimes import ParetoNBDFitter  # noqa: PLC0415 - optional comparison
    except ImportError:
        return None
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ParetoNBDFitter().fit(summary["frequency"], summary["recency"], summary["T"])  # type: ignore[index]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    sizes = parser.parse_args().sizes
    print(
        "| customers | set | pieces | summary s | time-varying fit s | plain fit s | lifetimes s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for n in sizes:
        sim = simulate_seasonal_transactions(n, random_state=0)
        start = time.perf_counter()
        data = time_varying_summary(sim.transactions, sim.covariates, calibration_end="2024-12-31")
        built = time.perf_counter() - start
        start = time.perf_counter()
        ParetoNBDModel().fit(data.summary)
        plain = time.perf_counter() - start
        theirs = _lifetimes_seconds(data.summary)
        for label, columns in _SETS.items():
            pieces = data.pieces(columns, ()).owner.size
            start = time.perf_counter()
            TimeVaryingParetoNBDModel(purchase_covariates=columns).fit(data)
            fitted = time.perf_counter() - start
            other = "-" if theirs is None else f"{theirs:.2f}"
            print(
                f"| {n:,} | {label} | {pieces:,} | {built:.2f} | {fitted:.2f} | {plain:.2f} "
                f"| {other} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
