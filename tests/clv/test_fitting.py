"""The shared fitting machinery: compression and multi-start optimisation."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.clv import BetaGeoModel, ParetoNBDModel
from one2one.clv._fitting import compress
from one2one.datasets import load_cdnow_summary


@given(
    rows=st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from([0.0, 1.5, 2.0, 1e300]), st.floats(-1e6, 1e6)),
        min_size=1,
        max_size=60,
    ),
    weights=st.booleans(),
)
def test_compress_groups_equal_rows_and_keeps_every_weight(rows, weights):
    frame = pd.DataFrame(rows, columns=["a", "b", "c"]).astype(float)
    w = pd.Series(np.arange(1, len(frame) + 1, dtype=float)) if weights else None
    columns, summed, inverse = compress(frame, ["a", "b", "c"], w)
    unique = np.stack(columns, axis=1)
    np.testing.assert_array_equal(unique[inverse], frame.to_numpy())  # each row maps to itself
    assert len(np.unique(unique, axis=0)) == len(unique)  # no duplicates left
    expected = w.sum() if weights else len(frame)
    assert summed.sum() == expected


def test_fit_stops_early_when_two_starts_agree(monkeypatch):
    # The multi-start route: BG/NBD's fallback when Newton fails (test_bgnbd_speed.py), and
    # the route of every model without a Newton route.
    monkeypatch.setattr(BetaGeoModel, "_fit_grouped", lambda *_, **__: None)
    model = BetaGeoModel(n_starts=6).fit(load_cdnow_summary())
    diagnostics = model.fit_diagnostics_
    assert diagnostics.converged
    assert diagnostics.n_starts == 2 == diagnostics.n_converged


def test_a_single_start_is_allowed():
    model = BetaGeoModel(n_starts=1).fit(load_cdnow_summary())
    assert model.fit_diagnostics_.n_starts == 1
    np.testing.assert_allclose(model.params_, [0.243, 4.414, 0.793, 2.426], atol=5e-4)


@settings(max_examples=30)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(4, 6)), min_size=1, max_size=40
    ),
    model_class=st.sampled_from([BetaGeoModel, ParetoNBDModel]),
)
def test_compressed_likelihood_equals_the_sum_over_customers(rows, model_class):
    summary = pd.DataFrame(rows, columns=["frequency", "recency", "T"]).astype(float)
    summary.loc[summary["frequency"] == 0, "recency"] = 0.0
    loglik = model_class()._loglik()
    theta = np.array([0.5, 4.0, 0.8, 2.5])
    per_customer = loglik(theta, [summary[c].to_numpy() for c in ["frequency", "recency", "T"]])[0]
    columns, weights, _ = compress(summary, ["frequency", "recency", "T"])
    assert weights @ loglik(theta, columns)[0] == pytest.approx(per_customer.sum(), rel=1e-12)
