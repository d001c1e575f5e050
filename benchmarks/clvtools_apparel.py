"""Reproduce CLVTools' published Pareto/NBD numbers, and fit its time-varying covariates.

CLVTools (R, GPL-3) is the only other implementation of the Pareto/NBD with
time-varying covariates (Bachmann, Meierer & Naef 2021). Its apparel data
cannot ship with one2one (GPL-3), so this script reads it from
``../shared/data/clvtools`` when present and prints, for each published
number (see that folder's README), ours beside it:

* plain and static-covariate Pareto/NBD on the apparel data (split at 104
  weeks), and on the legacy apparel data (split at 40 weeks);
* the static model refitted as a time-varying one whose covariates never
  change (the same likelihood: the same numbers);
* the time-varying model with ``High.Season`` (no published estimate exists
  anywhere: the numbers are ours, recorded in docs/performance.md);
* a forecast of 2011 under CLVTools' ``apparelDynCovFuture`` calendar.

Run::

    python benchmarks/clvtools_apparel.py [--data ../shared/data/clvtools]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from one2one.clv import (
    ParetoNBDModel,
    TimeVaryingParetoNBDModel,
    rfm_summary,
    time_varying_summary,
)

_DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "clvtools"


def _transactions(folder: Path) -> pd.DataFrame:
    frame = pd.read_csv(folder / "apparelTrans.csv")
    frame["occurred_at"] = pd.to_datetime(frame["Date"]).dt.tz_localize("UTC")
    return frame.rename(columns={"Id": "customer_id", "Price": "value"})


def _covariates(path: Path, column: str = "Cov.Date") -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame["period_start"] = pd.to_datetime(frame[column])
    return frame.drop(columns=column).rename(columns={"Id": "customer_id"})


def _row(label: str, ours: float, published: float | None) -> None:
    if published is None:
        print(f"  {label:<44} ours {ours:>12.4f}   (no published value)")
        return
    print(
        f"  {label:<44} ours {ours:>12.4f}   CLVTools {published:>12.4f}   "
        f"diff {ours - published:+.1e}"
    )


def _static(folder: Path, split: str, published: dict[str, float]) -> None:
    log = _transactions(folder)
    summary = rfm_summary(
        log, freq="D", time_unit="W", calibration_end=split, order_id=None, currency=None
    )
    static = pd.read_csv(folder / "apparelStaticCov.csv").set_index("Id")
    plain = ParetoNBDModel().fit(summary)
    _row("plain Pareto/NBD log-likelihood", plain.log_likelihood_, published["plain"])
    both = ["Gender", "Channel"]
    model = ParetoNBDModel(purchase_covariates=both, dropout_covariates=both).fit(
        summary.join(static)
    )
    _row("static Gender+Channel log-likelihood", model.log_likelihood_, published["static"])
    print("   ", model.params_.round(4).to_dict())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=_DEFAULT)
    folder = parser.parse_args().data
    if not (folder / "apparelTrans.csv").exists():
        print(f"CLVTools data not found in {folder}: nothing to compare.")
        return
    print("Current apparel data, estimation.split = 104 weeks (end 2006-12-31)")
    _static(folder, "2006-12-31", {"plain": -5848.0978, "static": -5821.0627})
    summary = rfm_summary(
        _transactions(folder),
        freq="D",
        time_unit="W",
        calibration_end="2006-01-01",
        order_id=None,
        currency=None,
    )
    print("Current apparel data, estimation.split = 52 weeks (end 2006-01-01)")
    _row(
        "plain Pareto/NBD log-likelihood", ParetoNBDModel().fit(summary).log_likelihood_, -3481.9782
    )
    print("Legacy apparel data (v0.11.0), estimation.split = 40 weeks (end 2005-10-10)")
    _static(folder / "legacy_v0.11.0", "2005-10-10", {"plain": -2879.4701, "static": -2846.1677})

    log = _transactions(folder)
    covariates = _covariates(folder / "apparelDynCov.csv.gz")
    data = time_varying_summary(
        log, covariates, calibration_end="2006-12-31", order_id=None, currency=None
    )
    both = ["Gender", "Channel"]
    start = time.perf_counter()
    constant = TimeVaryingParetoNBDModel(purchase_covariates=both, dropout_covariates=both).fit(
        data
    )
    took = time.perf_counter() - start
    _row(f"time-varying, covariates constant ({took:.2f} s)", constant.log_likelihood_, -5821.0627)
    start = time.perf_counter()
    seasonal = TimeVaryingParetoNBDModel(
        purchase_covariates=["High.Season", *both], dropout_covariates=both
    ).fit(data)
    took = time.perf_counter() - start
    _row(f"time-varying, High.Season + static ({took:.2f} s)", seasonal.log_likelihood_, None)
    print(seasonal.summary().round(4).to_string())

    print("Forecast of 2011 (52 weeks) from all data to 2010-12-31, under apparelDynCovFuture")
    full = time_varying_summary(
        log, covariates, observation_end="2010-12-31", order_id=None, currency=None
    )
    model = TimeVaryingParetoNBDModel(
        purchase_covariates=["High.Season", *both], dropout_covariates=both
    ).fit(full)
    future = _covariates(folder / "apparelDynCovFuture.csv.gz")
    planned = model.predict_purchases(full, 52, future_covariates=future)
    quiet = model.predict_purchases(full, 52, future_covariates=future.assign(**{"High.Season": 0}))
    print(
        f"  expected purchases in 2011: {planned.sum():.1f} with the calendar, "
        f"{quiet.sum():.1f} with no high season"
    )


if __name__ == "__main__":
    main()
