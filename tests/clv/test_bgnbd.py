"""BG/NBD and MBG/NBD: the published numbers, properties of the maths, and the API."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime
from scipy.special import hyp2f1
from sklearn.base import clone

from one2one.clv import BetaGeoModel, ModifiedBetaGeoModel, rfm_summary
from one2one.clv._bgnbd import bgnbd_loglik, mbgnbd_loglik
from one2one.datasets import load_cdnow_summary, simulate_transactions
from one2one.errors import DataContractError, NotFittedError, StorageError

CDNOW = load_cdnow_summary()


@pytest.fixture(scope="module")
def bgnbd():
    return BetaGeoModel().fit(CDNOW)


def test_bgnbd_reproduces_fader_hardie_lee_2005(bgnbd):
    """FHL (2005), Marketing Science 24(2), section 4: r, alpha, a, b and LL on CDNOW."""
    np.testing.assert_allclose(bgnbd.params_, [0.243, 4.414, 0.793, 2.426], atol=5e-4)
    assert bgnbd.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    assert bgnbd.fit_diagnostics_.converged
    assert bgnbd.n_obs_ == 2357


def test_bgnbd_reproduces_the_papers_conditional_expectation(bgnbd):
    """Fader, Hardie & Lee, "Implementing the BG/NBD model" (2004 note): a customer with
    x = 2, t_x = 30.43, T = 38.86 is expected to make 1.226 purchases in the next 39 weeks."""
    one = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    assert bgnbd.predict_purchases(one, 39).iloc[0] == pytest.approx(1.226, abs=5e-4)


def test_mbgnbd_reproduces_the_btydplus_estimates():
    """Batislam et al.'s data are not public; BTYDplus (Platzer) publishes MBG/NBD on CDNOW:
    r = 0.525, alpha = 6.183, a = 0.891, b = 1.614."""
    model = ModifiedBetaGeoModel().fit(CDNOW)
    np.testing.assert_allclose(model.params_, [0.525, 6.183, 0.891, 1.614], atol=5e-4)


positive = st.floats(1e-4, 1e4)


@settings(max_examples=200)
@given(
    params=st.tuples(positive, positive, positive, positive),
    x=st.integers(0, 100_000),
    fractions=st.tuples(st.floats(0, 1), st.floats(1e-3, 1)),
    T=st.floats(1e-2, 1e5),
    modified=st.booleans(),
)
def test_loglik_and_gradient_are_finite_over_wide_ranges(params, x, fractions, T, modified):
    tx = T * fractions[1] if x > 0 else 0.0
    data = (np.array([float(x)]), np.array([tx]), np.array([T]))
    ll, grad = (mbgnbd_loglik if modified else bgnbd_loglik)(np.array(params), data)
    assert np.isfinite(ll).all()
    assert np.isfinite(grad).all()


@settings(max_examples=30)
@given(params=st.tuples(*[st.floats(0.1, 10)] * 4), modified=st.booleans())
def test_analytic_gradient_matches_finite_differences(params, modified):
    f = mbgnbd_loglik if modified else bgnbd_loglik
    data = tuple(CDNOW[c].to_numpy(float)[:300] for c in ["frequency", "recency", "T"])
    p = np.array(params)
    analytic = f(p, data)[1].sum(axis=0)
    numeric = approx_fprime(p, lambda q: f(q, data)[0].sum(), 1e-6 * p)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-3)


def test_compressing_rows_does_not_change_the_fit():
    compressed = CDNOW.groupby(["frequency", "recency", "T"]).size().rename("weight").reset_index()
    assert len(compressed) < len(CDNOW)
    a = BetaGeoModel().fit(CDNOW)
    b = BetaGeoModel().fit(compressed)
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-6)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-10)


@given(
    x=st.integers(0, 500), tx_share=st.floats(0.01, 1), T=st.floats(0.1, 1000), t=st.floats(0, 500)
)
def test_predictions_are_probabilities_and_grow_with_the_horizon(bgnbd, x, tx_share, T, t):
    one = pd.DataFrame({"frequency": [x], "recency": [T * tx_share if x else 0.0], "T": [T]})
    p = bgnbd.predict_proba_alive(one).iloc[0]
    assert 0.0 <= p <= 1.0
    near = bgnbd.predict_purchases(one, t).iloc[0]
    far = bgnbd.predict_purchases(one, t + 10).iloc[0]
    assert np.isfinite(near)
    assert 0.0 <= near <= far


def test_euler_transformed_expectation_matches_the_direct_formula(bgnbd):
    r, alpha, a, b = bgnbd.params_
    rows = CDNOW[CDNOW["frequency"] < 15].iloc[:200]
    x, tx, T = (rows[c].to_numpy(float) for c in ["frequency", "recency", "T"])
    t = 26.0
    z = t / (alpha + T + t)
    direct = (a + b + x - 1) / (a - 1)
    direct = direct * (
        1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    )
    alive = 1 / (
        1 + (x > 0) * a / (b + np.maximum(x, 1) - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)
    )
    np.testing.assert_allclose(bgnbd.predict_purchases(rows, t), direct * alive, rtol=1e-9)
    np.testing.assert_allclose(bgnbd.predict_proba_alive(rows), alive, rtol=1e-12)


def test_heavy_buyers_do_not_overflow(bgnbd):
    r, alpha, _, _ = bgnbd.params_
    heavy = pd.DataFrame({"frequency": [300, 5000], "recency": [78.0, 78.0], "T": [78.0, 78.0]})
    assert (bgnbd.predict_proba_alive(heavy) > 0.99).all()
    expected = bgnbd.predict_purchases(heavy, 52).to_numpy()
    rate = (r + heavy["frequency"].to_numpy()) / (alpha + 78.0)  # posterior mean rate
    # Bought at their last chance, so alive; dropout over the horizon only lowers the count.
    assert np.all((expected < 52 * rate) & (expected > 0.3 * 52 * rate))
    # A silence of 30 weeks after buying weekly means the customer has most likely left.
    gone = pd.DataFrame({"frequency": [48], "recency": [48.0], "T": [78.0]})
    assert bgnbd.predict_proba_alive(gone).iloc[0] < 0.01


def test_unconditional_expectation_matches_a_simulation(bgnbd):
    sim = simulate_transactions(
        n_customers=30_000, params=bgnbd.params_.to_dict(), observation_weeks=52, random_state=11
    )
    freq = sim.customers["frequency"]
    expected = bgnbd.expected_purchases(52)[0]
    assert abs(freq.mean() - expected) < 4 * freq.std() / np.sqrt(len(freq))
    assert np.all(np.diff(bgnbd.expected_purchases(np.arange(0, 100))) > 0)


@pytest.fixture(scope="module")
def simulated():
    truth = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
    sim = simulate_transactions(
        n_customers=100_000,
        params=truth,
        observation_weeks=52,
        acquisition_weeks=12,
        random_state=5,
    )
    return truth, sim


def test_simulate_then_fit_recovers_the_parameters(simulated):
    """100,000 customers drawn from BG/NBD; the exact summary is refitted."""
    truth, sim = simulated
    model = BetaGeoModel().fit(sim.customers[["frequency", "recency", "T"]])
    intervals = model.summary(level=0.99)
    for name, value in truth.items():
        assert intervals.loc[name, "lower"] <= value <= intervals.loc[name, "upper"], name


def test_the_whole_pipeline_recovers_the_parameters_closely(simulated):
    """Transactions -> daily summary -> fit. Binning to days merges same-day purchases of
    heavy buyers, which biases alpha by a few percent; the estimates stay within 10%."""
    truth, sim = simulated
    summary = rfm_summary(sim.transactions, freq="D", observation_end=sim.observation_end)
    summary[["recency", "T"]] /= 7  # days -> weeks, as the papers do
    model = BetaGeoModel().fit(summary)
    np.testing.assert_allclose(model.params_, list(truth.values()), rtol=0.1)


def test_not_fitted_error():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        BetaGeoModel().predict_proba_alive(CDNOW)
    with pytest.raises(NotFittedError):
        BetaGeoModel().summary()


@pytest.mark.parametrize(
    ("change", "match", "column"),
    [
        (lambda s: s.assign(frequency=-1), ">= 0", "frequency"),
        (lambda s: s.assign(frequency=1.5), "whole numbers", "frequency"),
        (lambda s: s.assign(recency=s["T"] + 1), "recency.*<= 'T'", "recency"),
        (lambda s: s.assign(T=np.nan), "missing", "T"),
        (lambda s: s.drop(columns="T"), "missing required", "T"),
        (lambda s: s.iloc[0:0], "empty", "frequency"),
        (lambda s: s.assign(recency=1.0), "must be 0 for customers without", "recency"),
    ],
)
def test_bad_summaries_are_refused(change, match, column):
    with pytest.raises(DataContractError, match=match) as info:
        BetaGeoModel().fit(change(CDNOW.copy()))
    assert info.value.column == column


def test_bad_config_is_refused_at_fit():
    with pytest.raises(DataContractError, match="penalizer"):
        BetaGeoModel(penalizer=-1).fit(CDNOW)
    with pytest.raises(DataContractError, match="n_starts"):
        BetaGeoModel(n_starts=0).fit(CDNOW)


def test_penalizer_shrinks_parameters():
    free = BetaGeoModel().fit(CDNOW)
    shrunk = BetaGeoModel(penalizer=0.1).fit(CDNOW)
    assert (shrunk.params_**2).sum() < (free.params_**2).sum()


def test_json_round_trip_gives_the_same_predictions(bgnbd, tmp_path):
    restored = BetaGeoModel.from_dict(json.loads(json.dumps(bgnbd.to_dict())))
    pd.testing.assert_frame_equal(restored.predict(CDNOW, 10), bgnbd.predict(CDNOW, 10))
    pd.testing.assert_frame_equal(restored.summary(), bgnbd.summary())
    bgnbd.save(tmp_path / "model.json")
    assert BetaGeoModel.load(tmp_path / "model.json").params_.equals(bgnbd.params_)
    with pytest.raises(DataContractError, match="not a ModifiedBetaGeoModel"):
        ModifiedBetaGeoModel.from_dict(bgnbd.to_dict())
    with pytest.raises(StorageError, match="could not read"):
        BetaGeoModel.load(tmp_path / "missing.json")
    broken = bgnbd.to_dict() | {"params": {"r": 1.0}}
    with pytest.raises(DataContractError, match=r"\'params\.alpha\' is missing"):
        BetaGeoModel.from_dict(broken)


def test_sklearn_conventions(bgnbd):
    fresh = clone(bgnbd)
    assert fresh.get_params() == bgnbd.get_params()
    assert not hasattr(fresh, "params_")
    table = bgnbd.summary()
    assert list(table.columns) == ["estimate", "std_error", "lower", "upper"]
    assert table.attrs["aic"] == pytest.approx(2 * 4 + 2 * 9582.43, abs=0.1)


def test_period_is_recorded_from_the_summary(bgnbd):
    assert bgnbd.period_ is None  # the published table carries no period
    summary = CDNOW.copy()
    summary.attrs["period"] = "W"
    assert BetaGeoModel().fit(summary).period_ == "W"
