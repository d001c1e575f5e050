"""Realistic transaction logs at any size, written as Parquet in pieces (for benchmarks/spark.py).

Not a model's simulator: the data should look like a shop's export, not like the
model the benchmark then fits. Customer ids are random 12-character strings (all
distinct values, none sorted by arrival), timestamps have seconds and arrive in
no order, amounts have cents, about 2% of sales are refunded (in full or in part)
days later under the same order id, and customers differ in how often and for
how long they buy (a gamma mixture of rates, exponential lifetimes).

Memory stays bounded by the piece size (``customers_per_file``), whatever the
total, so 50M transactions are written by a process of a few hundred MiB.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

WINDOW_START = pd.Timestamp("2023-01-01", tz="UTC")
WINDOW_DAYS = 3 * 365
MEAN_TRANSACTIONS = 10.0
_ALPHABET = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))


def _ids(rng: np.random.Generator, n: int, prefix: str) -> np.ndarray:
    letters = _ALPHABET[rng.integers(0, len(_ALPHABET), size=(n, 11))]
    return np.char.add(prefix, letters.view(f"<U{11}").ravel())


def _piece(rng: np.random.Generator, n_customers: int, first_order: int) -> pd.DataFrame:
    """One piece of the log: ``n_customers`` customers' sales and refunds."""
    # Sales per customer: 1 + Poisson(gamma-mixed rate); mean MEAN_TRANSACTIONS.
    rate = rng.gamma(shape=0.6, scale=(MEAN_TRANSACTIONS - 1) / 0.6, size=n_customers)
    sales = 1 + rng.poisson(rate)
    ids = _ids(rng, n_customers, "c")
    first = rng.uniform(0, WINDOW_DAYS * 0.6, size=n_customers)  # days after the start
    life = np.minimum(rng.exponential(WINDOW_DAYS * 0.5, size=n_customers), WINDOW_DAYS - first)
    owner = np.repeat(np.arange(n_customers), sales)
    offset = rng.uniform(0, 1, size=owner.size) * life[owner]
    is_first = np.r_[True, owner[1:] != owner[:-1]]
    offset[is_first] = 0.0
    seconds = np.floor((first[owner] + offset) * 86400).astype(np.int64)
    value = np.round(rng.lognormal(mean=3.4, sigma=0.8, size=owner.size), 2)
    order = np.arange(first_order, first_order + owner.size)
    # About 2% of sales refunded 1-30 days later: in full or half, same order id.
    refunded = rng.random(owner.size) < 0.02
    r_seconds = seconds[refunded] + rng.integers(86400, 30 * 86400, size=int(refunded.sum()))
    r_value = -np.where(
        rng.random(int(refunded.sum())) < 0.7, value[refunded], np.round(value[refunded] / 2, 2)
    )
    frame = pd.DataFrame(
        {
            "customer_id": np.r_[ids[owner], ids[owner[refunded]]],
            "occurred_at": WINDOW_START
            + pd.to_timedelta(
                np.r_[seconds, np.minimum(r_seconds, WINDOW_DAYS * 86400 - 1)], unit="s"
            ),
            "value": np.r_[value, r_value],
            "order_id": np.char.add("o", np.r_[order, order[refunded]].astype(str)),
        }
    )
    return frame.sample(frac=1.0, random_state=int(rng.integers(2**31)), ignore_index=True)


def write_transactions(
    directory: Path, n_transactions: int, *, seed: int = 18, customers_per_file: int = 250_000
) -> int:
    """Write about ``n_transactions`` rows as Parquet files in ``directory``; return the count.

    The same seed and size give the same files, so a run can reuse them.
    """
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_customers = max(1, round(n_transactions / (MEAN_TRANSACTIONS * 1.02)))
    written, order, part = 0, 0, 0
    while n_customers > 0:
        size = min(customers_per_file, n_customers)
        piece = _piece(rng, size, order)
        order += len(piece)
        piece.to_parquet(directory / f"part-{part:05d}.parquet", index=False)
        written += len(piece)
        n_customers -= size
        part += 1
    return written
