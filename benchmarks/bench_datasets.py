"""Time the bundled-data loaders and the simulator (no public alternative exists).

Run: python benchmarks/bench_datasets.py
"""

import timeit

from one2one.datasets import (
    load_cdnow_summary,
    load_cdnow_transactions,
    load_donations,
    load_febrl,
    simulate_transactions,
)

CASES = {
    "load_cdnow_transactions()": load_cdnow_transactions,
    "load_cdnow_summary()": load_cdnow_summary,
    "load_donations()": load_donations,
    'load_febrl("dataset4")': lambda: load_febrl("dataset4"),
    "simulate_transactions(100k customers, 78 weeks)": lambda: simulate_transactions(
        n_customers=100_000,
        params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        observation_weeks=78,
        acquisition_weeks=12,
        random_state=0,
    ),
}

if __name__ == "__main__":
    for name, call in CASES.items():
        best = min(timeit.repeat(call, number=1, repeat=5))
        print(f"{name:<50} {best * 1000:8.1f} ms (best of 5)")
