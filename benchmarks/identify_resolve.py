"""Benchmark resolving one new record against known customers (one2one's resolver).

one2one: ``IdentityResolver.from_records`` on ``--records`` simulated records, then
``resolve(record)`` for ``--queries`` records one at a time: half are known people typed
again (a fresh simulated duplicate of a known entity is not available, so known records are
re-sent with a new id), half are new people (another seed). Reported: median, p99 and max
latency, with and without the field-by-field explanation.

There is no splink row: splink 5 (the version the registry has) removed
``find_matches_to_new_records``, its one-new-record path; splink 4's took 2.1 s per record
against 1M records on this machine class (issue #4). Scoring a pair (``score_pair``) is not
the same job: it needs the candidates first.

Run::

    python benchmarks/identify_resolve.py --records 1000000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from one2one.datasets import simulate_identities
from one2one.identify import IdentityResolver, RecordSchema

sys.path.insert(0, str(Path(__file__).resolve().parent))
from identify import FIELDS, PHONE_COUNTRY


def _latencies(call: object, queries: list[dict[str, object]]) -> np.ndarray:
    seconds = []
    for query in queries:
        started = time.perf_counter()
        call(query)  # type: ignore[operator]
        seconds.append(time.perf_counter() - started)
    return np.asarray(seconds) * 1000


def _line(name: str, ms: np.ndarray) -> str:
    return (
        f"{name:<34} {np.median(ms):>9.2f} {np.percentile(ms, 99):>9.2f} "
        f"{ms.max():>9.2f} {len(ms):>8,}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    sim = simulate_identities(args.records, random_state=args.seed)
    schema = RecordSchema(
        record_id="record_id",
        **{field: field for field in FIELDS},
        phone_country_code=PHONE_COUNTRY,
        email_provider_rules=True,
    )
    started = time.perf_counter()
    resolver = IdentityResolver.from_records(sim.records, schema)
    build = time.perf_counter() - started
    known = sim.records.sample(args.queries // 2, random_state=1).assign(
        record_id=lambda f: "again-" + f["record_id"]
    )
    new = simulate_identities(args.queries // 2, random_state=args.seed + 1).records.assign(
        record_id=lambda f: "new-" + f["record_id"]
    )
    queries = pd.concat([known, new]).sample(frac=1, random_state=2).to_dict("records")

    print(f"{args.records:,} known records; resolver built in {build:.1f} s")
    print(f"{'':<34} {'median':>9} {'p99':>9} {'max':>9} {'queries':>8}  (ms)")
    plain = _latencies(lambda q: resolver.resolve(q, explain=False), queries)
    print(_line("one2one resolve()", plain))
    explained = _latencies(lambda q: resolver.resolve(q, explain=True), queries)
    print(_line("one2one resolve() with explanation", explained))


if __name__ == "__main__":
    main()
