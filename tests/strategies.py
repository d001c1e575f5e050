"""Hypothesis strategies shared by the test suite (one place, as attrs does it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

__all__ = ["bg_params", "numeric_frames", "pareto_params"]

positive = st.floats(min_value=0.05, max_value=20.0, allow_nan=False, allow_infinity=False)


@st.composite
def numeric_frames(draw: st.DrawFn, *, min_rows: int = 1, max_rows: int = 30) -> pd.DataFrame:
    """Frames with a unique int ``customer_id``, a non-negative ``amount`` and a ``count``."""
    n = draw(st.integers(min_value=min_rows, max_value=max_rows))
    ids = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n, unique=True))
    amounts = draw(
        st.lists(st.floats(0, 1e6, allow_nan=False, allow_infinity=False), min_size=n, max_size=n)
    )
    counts = draw(st.lists(st.integers(0, 1000), min_size=n, max_size=n))
    index = draw(st.sampled_from(["range", "shuffled"]))
    frame = pd.DataFrame(
        {"customer_id": ids, "amount": np.array(amounts, dtype=float), "count": counts}
    )
    if index == "shuffled":
        frame.index = pd.Index(draw(st.permutations(list(range(100, 100 + n)))))
    return frame


bg_params = st.fixed_dictionaries({"r": positive, "alpha": positive, "a": positive, "b": positive})
pareto_params = st.fixed_dictionaries(
    {"r": positive, "alpha": positive, "s": positive, "beta": positive}
)
