"""Benchmark one2one's Spark path against its pandas path on the same data (issue #18).

Cases:

1. ``clv``: a transaction log of ``--sizes`` rows (default 12.5M, 25M and 50M: 1x, 2x,
   4x), realistic (``_spark_data.py``: random string ids, timestamps to the second in no
   order, cents, 2% refunds under the sale's order id), written once as Parquet. On
   Spark, end to end as a user would run it: read the Parquet, ``rfm_summary`` (daily
   occasions, weeks as the time unit, refunds netted) written to Parquet, a BG/NBD and a
   Gamma-Gamma fit on that summary, ``customer_lifetime_value`` for every customer
   (52 weeks) written to Parquet. Each stage is timed. The driver's peak memory is the
   high-water mark (VmHWM) of this Python process plus that of the driver JVM. The
   pandas path runs the same steps on the same Parquet in a child process (its peak RSS
   and times), for sizes up to ``--pandas-max`` rows (its memory grows with the rows);
   where both ran, the fitted parameters are compared (relative difference).
2. ``dedupe``: ``RecordMatcher().fit_predict`` on ``simulate_identities`` records:
   pandas at ``--dedupe-pandas`` records (default 1M) and Spark at ``--dedupe-spark``
   (default 5M), each with its F1 against the simulator's truth.

The Spark session runs on a standalone cluster on this machine (a master and two
workers of one core each, started with ``.ci/spark.sh`` and stopped at the end), or on
``--master`` if given (``local[2]``, or a cluster's URL). Timings on a 2-core machine
where the driver, the workers and the Python workers share the cores are pessimistic
for a real cluster; the printed per-stage rows/second feed the 10-node estimate in
docs/performance.md.

Run from the repository root (the ``spark`` and ``bench`` extras installed)::

    python benchmarks/spark.py                           # both cases, about 30-60 min
    python benchmarks/spark.py --cases clv --sizes 1e6,2e6 --pandas-max 2e6   # quick
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _machine import machine, version
from _report import load_note
from _spark_data import write_transactions

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("ONE2ONE_BENCH_DATA", tempfile.gettempdir())) / "one2one-spark-bench"
MEMORY_TARGET_GIB = 2.0

PANDAS_CHILD = r"""
import json, resource, sys, time, warnings
import pandas as pd
from one2one.clv import BetaGeoModel, GammaGammaModel, customer_lifetime_value, rfm_summary
times = {}
started = time.perf_counter()
tx = pd.read_parquet(sys.argv[1])
times["read"] = time.perf_counter() - started
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    summary = rfm_summary(tx, freq="D", time_unit="W")
    times["summary"] = time.perf_counter() - started
    del tx
    started = time.perf_counter()
    purchases = BetaGeoModel().fit(summary)
    times["fit_bgnbd"] = time.perf_counter() - started
    started = time.perf_counter()
    spend = GammaGammaModel(nonpositive_spend="ignore").fit(summary)
    times["fit_gamma_gamma"] = time.perf_counter() - started
    started = time.perf_counter()
    value = customer_lifetime_value(purchases, spend, summary, horizon="52W")
    value.to_parquet(sys.argv[2])
    times["clv"] = time.perf_counter() - started
print(json.dumps({
    "times": times,
    "customers": len(summary),
    "bgnbd": purchases.params_.tolist(),
    "gamma_gamma": spend.params_.tolist(),
    "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def high_water_mib(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.contextmanager
def standalone_cluster(python: str) -> Iterator[str]:
    """A master and two one-core workers on localhost, from this pyspark (.ci/spark.sh)."""
    directory = tempfile.mkdtemp(prefix="one2one-spark-")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    out = subprocess.run(  # noqa: S603 (our own script)
        ["bash", str(REPO / ".ci/spark.sh"), "start", directory, python],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    master = next(
        line.split("=", 1)[1] for line in out.splitlines() if "ONE2ONE_TEST_SPARK_MASTER" in line
    )
    try:
        yield master
    finally:
        subprocess.run(  # noqa: S603
            ["bash", str(REPO / ".ci/spark.sh"), "stop", directory],  # noqa: S607
            check=False,
        )


def session(master: str) -> Any:
    from pyspark.sql import SparkSession  # noqa: PLC0415 - the spark extra

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(master)
        .appName("one2one-benchmark")
        .config("spark.driver.memory", "1g")
        .config("spark.executor.memory", "2g")
        .config("spark.sql.shuffle.partitions", "16")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def driver_jvm_pid(spark: Any) -> int | None:
    proc = getattr(spark.sparkContext._gateway, "proc", None)  # noqa: SLF001
    return None if proc is None else int(proc.pid)


def timed(times: dict[str, float], name: str) -> contextlib.AbstractContextManager[None]:
    @contextlib.contextmanager
    def clock() -> Iterator[None]:
        started = time.perf_counter()
        yield
        times[name] = time.perf_counter() - started
        print(f"      {name:<16} {times[name]:9.1f} s", flush=True)

    return clock()


def spark_clv(spark: Any, source: Path, work: Path) -> dict[str, Any]:
    """The Spark path end to end; every stage's output written, so each is timed whole."""
    from one2one.clv import (  # noqa: PLC0415
        BetaGeoModel,
        GammaGammaModel,
        customer_lifetime_value,
        rfm_summary,
    )

    times: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with timed(times, "summary"):
            tx = spark.read.parquet(str(source))
            rfm_summary(tx, freq="D", time_unit="W").write.mode("overwrite").parquet(
                str(work / "summary")
            )
        summary = spark.read.parquet(str(work / "summary"))
        with timed(times, "fit_bgnbd"):
            purchases = BetaGeoModel().fit(summary)
        with timed(times, "fit_gamma_gamma"):
            spend = GammaGammaModel(nonpositive_spend="ignore").fit(summary)
        with timed(times, "clv"):
            value = customer_lifetime_value(purchases, spend, summary, horizon="52W")
            value.write.mode("overwrite").parquet(str(work / "clv"))
        customers = spark.read.parquet(str(work / "clv")).count()
    return {
        "times": times,
        "customers": customers,
        "bgnbd": purchases.params_.tolist(),
        "gamma_gamma": spend.params_.tolist(),
    }


def pandas_clv(source: Path, work: Path) -> dict[str, Any]:
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PANDAS_CHILD, str(source), str(work / "pandas_clv.parquet")],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, PYTHONPATH=str(REPO / "src")),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def relative(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) / max(abs(y), 1e-300) for x, y in zip(a, b, strict=True))


def case_clv(args: argparse.Namespace, spark: Any) -> None:
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        source = DATA / f"transactions-{n}"
        if not source.exists():
            started = time.perf_counter()
            written = write_transactions(source, n)
            print(f"  wrote {written:,} transactions in {time.perf_counter() - started:.0f} s")
        work = Path(tempfile.mkdtemp(prefix="one2one-spark-work-", dir=DATA))
        print(f"\n  -- {n:,} transactions: Spark ({load_note()})", flush=True)
        result = spark_clv(spark, source, work)
        total = sum(result["times"].values())
        row = {"n": n, "spark": result, "spark_total": total}
        if n <= args.pandas_max:
            print(f"  -- {n:,} transactions: pandas, in a child process", flush=True)
            theirs = pandas_clv(source, work)
            row["pandas"] = theirs
            for name, seconds in theirs["times"].items():
                print(f"      {name:<16} {seconds:9.1f} s")
            print(f"      peak RSS {theirs['max_rss_mib']:,.0f} MiB")
            row["bgnbd_diff"] = relative(result["bgnbd"], theirs["bgnbd"])
            row["gamma_gamma_diff"] = relative(result["gamma_gamma"], theirs["gamma_gamma"])
            print(
                f"      parameters: BG/NBD {row['bgnbd_diff']:.1e}, "
                f"Gamma-Gamma {row['gamma_gamma_diff']:.1e} relative"
            )
        rows.append(row)
        subprocess.run(["rm", "-rf", str(work)], check=False)  # noqa: S603, S607
    print("\n  == clv end to end ==")
    print(
        "  transactions  customers  spark s (summary/fit/gg/clv)  rows/s  "
        "pandas s  pandas peak MiB  params rel diff"
    )
    for row in rows:
        t = row["spark"]["times"]
        stages = "/".join(f"{t[k]:.0f}" for k in ("summary", "fit_bgnbd", "fit_gamma_gamma", "clv"))
        pandas = row.get("pandas")
        print(
            f"  {row['n']:>12,}  {row['spark']['customers']:>9,}  "
            f"{row['spark_total']:>7.0f} ({stages})  {row['n'] / row['spark_total']:>8,.0f}  "
            + (
                f"{sum(pandas['times'].values()):>8.0f}  {pandas['max_rss_mib']:>15,.0f}  "
                f"{max(row['bgnbd_diff'], row['gamma_gamma_diff']):.1e}"
                if pandas
                else "not run (above --pandas-max)"
            )
        )
    if len(rows) > 1:
        base = rows[0]
        for row in rows[1:]:
            print(
                f"  scaling {row['n'] / base['n']:.0f}x data: "
                f"{row['spark_total'] / base['spark_total']:.2f}x time"
            )


DEDUPE_CHILD = r"""
import json, resource, sys, time, warnings
import pandas as pd
from one2one.datasets import IDENTITY_FIELDS
from one2one.identify import RecordMatcher, RecordSchema, evaluate_links
records = pd.read_parquet(sys.argv[1])
truth = pd.read_parquet(sys.argv[2])
schema = RecordSchema(record_id="record_id", **{f: f for f in IDENTITY_FIELDS},
                      phone_country_code="61", email_provider_rules=True)
if sys.argv[3] == "pandas":
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = RecordMatcher(schema, progress=False).fit_predict(records.sort_values("record_id"))
    seconds = time.perf_counter() - started
else:  # score a Spark result written as Parquet
    seconds = None
    found = pd.read_parquet(sys.argv[4])
    labels = found.set_index("record_id")["customer_id"]
print(json.dumps({"seconds": seconds, "scores": evaluate_links(labels, truth),
                  "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def dedupe_child(*argv: str) -> dict[str, Any]:
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", DEDUPE_CHILD, *argv],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, PYTHONPATH=str(REPO / "src")),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def identity_files(n: int) -> tuple[Path, Path]:
    """``simulate_identities(n)`` records and true links as Parquet (written once)."""
    from one2one.datasets import simulate_identities  # noqa: PLC0415

    records, truth = DATA / f"identities-{n}.parquet", DATA / f"identities-{n}-truth.parquet"
    if not records.exists():
        started = time.perf_counter()
        sim = simulate_identities(n, random_state=18)
        sim.records.to_parquet(records, index=False)
        sim.true_links.to_parquet(truth, index=False)
        print(f"  simulated {n:,} records in {time.perf_counter() - started:.0f} s")
    return records, truth


def case_dedupe(args: argparse.Namespace, spark: Any) -> None:
    from one2one.datasets import IDENTITY_FIELDS  # noqa: PLC0415
    from one2one.identify import RecordMatcher, RecordSchema  # noqa: PLC0415

    schema = RecordSchema(
        record_id="record_id",
        **{field: field for field in IDENTITY_FIELDS},
        phone_country_code="61",
        email_provider_rules=True,
    )
    rows = []
    runs = [("pandas", int(args.dedupe_pandas)), ("spark", int(args.dedupe_spark))]
    for engine, n in [(e, n) for e, n in runs if n > 0]:
        records, truth = identity_files(n)
        print(f"\n  -- dedupe {n:,} records on {engine} ({load_note()})", flush=True)
        if engine == "pandas":
            result = dedupe_child(str(records), str(truth), "pandas")
        else:
            out = DATA / f"identities-{n}-spark-labels"
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frame = spark.read.parquet(str(records))
                labels = RecordMatcher(schema, progress=False).fit_predict(frame)
                labels.write.mode("overwrite").parquet(str(out))
            seconds = time.perf_counter() - started
            result = dedupe_child(str(records), str(truth), "score", str(out))
            result["seconds"] = seconds
        print(
            f"      {result['seconds']:.0f} s, F1 {result['scores']['f1']:.4f} "
            f"(precision {result['scores']['precision']:.4f}, "
            f"recall {result['scores']['recall']:.4f})",
            flush=True,
        )
        rows.append((engine, n, result))
    print("\n  == dedupe ==")
    for engine, n, result in rows:
        print(
            f"  {engine:<7} {n:>10,} records  {result['seconds']:>7.0f} s  "
            f"{n / result['seconds']:>8,.0f} records/s  F1 {result['scores']['f1']:.4f}"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", default="clv,dedupe")
    parser.add_argument("--sizes", default="12.5e6,25e6,50e6")
    parser.add_argument("--pandas-max", type=float, default=25e6)
    parser.add_argument("--dedupe-pandas", type=float, default=1e6, help="0: not run")
    parser.add_argument("--dedupe-spark", type=float, default=5e6)
    parser.add_argument("--master", default=None, help="default: a standalone cluster here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print(f"machine: {machine()}")
    print(
        f"pyspark {version('pyspark')}, pyarrow {version('pyarrow')}, pandas {version('pandas')},"
        f" one2one-marketing {version('one2one-marketing')}; {load_note()}"
    )
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        master = args.master or stack.enter_context(standalone_cluster(sys.executable))
        spark = session(master)
        stack.callback(spark.stop)
        print(f"master: {master}")
        jvm = driver_jvm_pid(spark)
        for name in args.cases.split(","):
            {"clv": case_clv, "dedupe": case_dedupe}[name](args, spark)
        python_peak = high_water_mib()
        jvm_peak = high_water_mib(jvm) if jvm else float("nan")
    driver = python_peak + jvm_peak
    print(
        f"\ndriver peak memory: {driver:,.0f} MiB (Python {python_peak:,.0f} + JVM "
        f"{jvm_peak:,.0f}); target < {MEMORY_TARGET_GIB:.0f} GiB: "
        f"{'met' if driver < MEMORY_TARGET_GIB * 1024 else 'NOT met'}"
    )
    print(f"total wall time {time.perf_counter() - started:.0f} s; at end: {load_note()}")


if __name__ == "__main__":
    main()
