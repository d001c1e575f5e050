"""BG/NBD and MBG/NBD fitted on the summary's structure: same numbers, fewer passes (#16).

The fast route evaluates the likelihood with its analytic Hessian once per distinct
count, observation length and recency, and fits by Newton's method. These tests check
it against the per-customer likelihood and against the multi-start L-BFGS-B route it
replaces, which stays the fallback.
"""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.clv import BetaGeoModel, ModifiedBetaGeoModel, rfm_summary
from one2one.clv._bgnbd import GroupedLikelihood, bgnbd_loglik, mbgnbd_loglik
from one2one.clv._transaction_models import _weighted_quantiles
from one2one.datasets import load_cdnow_summary, simulate_transactions
from one2one.errors import ConvergenceError

CDNOW = load_cdnow_summary()
MODELS = [BetaGeoModel, ModifiedBetaGeoModel]


@st.composite
def summaries(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Small summaries with ties, non-buyers, recency = T and optional weights."""
    n = draw(st.integers(1, 40))
    lengths = draw(st.lists(st.sampled_from([0.5, 3.0, 7.25, 40.0, 52.0]), min_size=n, max_size=n))
    x = np.array(draw(st.lists(st.integers(0, 60), min_size=n, max_size=n)), dtype=float)
    shares = draw(st.lists(st.sampled_from([0.0, 0.3, 0.9, 1.0]), min_size=n, max_size=n))
    T = np.array(lengths)
    tx = np.where(x > 0, T * np.array(shares), 0.0)
    weights = None
    if draw(st.booleans()):
        weights = np.array(draw(st.lists(st.integers(1, 5), min_size=n, max_size=n)), dtype=float)
    return x, tx, T, weights


params = st.tuples(*[st.floats(0.05, 20.0)] * 4).map(np.array)


def daily_summary(n: int, seed: int, model: str = "bgnbd") -> pd.DataFrame:
    """Customers acquired on any day, ages in weeks with fractions of a day (as in #16)."""
    sim = simulate_transactions(
        model,
        n_customers=n,
        params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        observation_weeks=104,
        acquisition_weeks=78,
        random_state=seed,
    )
    return rfm_summary(
        sim.transactions, freq="D", time_unit="W", observation_end=sim.observation_end
    )


@pytest.fixture(scope="module")
def daily():
    return daily_summary(20_000, 3)


@settings(max_examples=60, deadline=None)
@given(data=summaries(), theta=params, modified=st.booleans())
def test_grouped_likelihood_equals_the_sum_over_customers(data, theta, modified):
    x, tx, T, weights = data
    grouped = GroupedLikelihood(x, tx, T, weights, modified=modified)
    ll, grad, _ = grouped.evaluate(theta)
    per_row_ll, per_row_grad = (mbgnbd_loglik if modified else bgnbd_loglik)(theta, (x, tx, T))
    w = np.ones_like(x) if weights is None else weights
    assert ll == pytest.approx(w @ per_row_ll, rel=1e-10, abs=1e-9)
    np.testing.assert_allclose(grad, w @ per_row_grad, rtol=1e-8, atol=1e-8)
    assert grouped.total_weight == pytest.approx(w.sum())


def sums_agree(x, tx, T, modified, weights=None):
    """The grouped sums against the per-customer likelihood, at the CDNOW estimates."""
    theta = np.array([0.243, 4.414, 0.793, 2.426])
    grouped = GroupedLikelihood(x, tx, T, weights, modified=modified)
    ll, grad, _ = grouped.evaluate(theta)
    per_row_ll, per_row_grad = (mbgnbd_loglik if modified else bgnbd_loglik)(theta, (x, tx, T))
    w = np.ones_like(x) if weights is None else weights
    assert ll == pytest.approx(w @ per_row_ll, rel=1e-12)
    np.testing.assert_allclose(grad, w @ per_row_grad, rtol=1e-9)
    return grouped


@pytest.mark.parametrize("modified", [False, True])
def test_many_customers_with_few_histories_are_merged_into_weighted_rows(modified):
    tiled = pd.concat([CDNOW.iloc[:60]] * 40, ignore_index=True)  # 60 distinct histories
    x, tx, T = (tiled[c].to_numpy(float) for c in ["frequency", "recency", "T"])
    grouped = sums_agree(x, tx, T, modified)
    assert grouped.n_buyers <= 60
    sums_agree(x, tx, T, modified, weights=np.arange(x.size) % 3.0)  # zero weights too


@pytest.mark.parametrize("modified", [False, True])
def test_long_summaries_run_in_blocks_with_the_same_sums(modified, monkeypatch):
    monkeypatch.setattr("one2one.clv._bgnbd._BLOCK", 7)  # CDNOW's ~1,000 buyers in 7-row blocks
    x, tx, T = (CDNOW[c].to_numpy(float) for c in ["frequency", "recency", "T"])
    assert sums_agree(x, tx, T, modified).n_buyers > 700
    sums_agree(x, tx, T, modified, weights=np.linspace(0.5, 2.0, x.size))


@settings(max_examples=30, deadline=None)
@given(data=summaries(), theta=params, modified=st.booleans())
def test_grouped_hessian_matches_differences_of_the_gradient(data, theta, modified):
    x, tx, T, weights = data
    grouped = GroupedLikelihood(x, tx, T, weights, modified=modified)
    hessian = grouped.evaluate(theta)[2]
    np.testing.assert_array_equal(hessian, hessian.T)
    numeric = np.empty((4, 4))
    for j in range(4):
        step = 1e-6 * theta[j]
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        numeric[:, j] = (grouped.evaluate(up)[1] - grouped.evaluate(down)[1]) / (2 * step)
    scale = np.sqrt(np.outer(np.abs(np.diag(numeric)), np.abs(np.diag(numeric)))) + 1.0
    np.testing.assert_allclose(hessian / scale, numeric / scale, atol=2e-5)


def test_a_thinned_likelihood_keeps_the_non_buyers_and_scales_the_buyers(daily):
    x, tx, T = (daily[c].to_numpy(float) for c in ["frequency", "recency", "T"])
    grouped = GroupedLikelihood(x, tx, T, None, modified=False)
    theta = np.array([0.243, 4.414, 0.793, 2.426])
    whole = grouped.evaluate(theta)
    same = grouped.thinned(1).evaluate(theta)
    assert same[0] == pytest.approx(whole[0], rel=1e-13)
    np.testing.assert_allclose(same[1], whole[1], rtol=1e-10)
    # every 4th repeat buyer counted 4 times, every non-buyer once
    buyer = np.flatnonzero(x > 0)
    rows = np.sort(np.concatenate([np.flatnonzero(x == 0), buyer[::4]]))
    weights = np.where(x[rows] > 0, 4.0, 1.0)
    explicit = GroupedLikelihood(x[rows], tx[rows], T[rows], weights, modified=False)
    thinned = grouped.thinned(4)
    assert thinned.n_buyers == buyer[::4].size
    assert thinned.total_weight == explicit.total_weight
    for mine, theirs in zip(thinned.evaluate(theta), explicit.evaluate(theta), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10)


def multi_start(model_class, summary, monkeypatch, **settings):
    """The same fit by the general multi-start L-BFGS-B route (the fallback)."""
    with monkeypatch.context() as patch:
        patch.setattr(model_class, "_fit_grouped", lambda *_, **__: None)
        return model_class(**settings).fit(summary)


@pytest.mark.parametrize("model_class", MODELS)
@pytest.mark.parametrize("data", ["cdnow", "daily", "weighted"])
def test_newton_finds_the_optimum_the_multi_start_route_finds(
    model_class, data, daily, monkeypatch
):
    summary = {
        "cdnow": CDNOW,
        "daily": daily,
        "weighted": CDNOW.groupby(["frequency", "recency", "T"])
        .size()
        .rename("weight")
        .reset_index(),
    }[data]
    fast = model_class().fit(summary)
    slow = multi_start(model_class, summary, monkeypatch)
    assert fast.fit_diagnostics_.method == "Newton"
    assert fast.fit_diagnostics_.converged
    assert fast.fit_diagnostics_.n_starts == 1
    assert slow.fit_diagnostics_.method == "L-BFGS-B"
    np.testing.assert_allclose(fast.params_, slow.params_, rtol=1e-6)
    assert fast.log_likelihood_ == pytest.approx(slow.log_likelihood_, rel=1e-12)
    assert fast.n_obs_ == slow.n_obs_
    # Newton's Hessian is taken at its last evaluated point, within ~1e-5 of the optimum in
    # log-parameters; the difference is far below the sampling error it measures.
    np.testing.assert_allclose(fast.standard_errors_, slow.standard_errors_, rtol=1e-4)
    np.testing.assert_allclose(fast.covariance_, slow.covariance_, rtol=1e-3, atol=1e-12)
    np.testing.assert_array_equal(fast.observation_lengths_, slow.observation_lengths_)


@pytest.mark.parametrize("model_class", MODELS)
def test_the_penalized_fit_agrees_too(model_class, monkeypatch):
    fast = model_class(penalizer=0.05).fit(CDNOW)
    slow = multi_start(model_class, CDNOW, monkeypatch, penalizer=0.05)
    assert fast.fit_diagnostics_.method == "Newton"
    np.testing.assert_allclose(fast.params_, slow.params_, rtol=1e-6)


def test_covariates_take_the_general_route():
    noise = np.random.default_rng(0).normal(size=len(CDNOW))
    model = BetaGeoModel(purchase_covariates=["noise"]).fit(CDNOW.assign(noise=noise))
    assert model.fit_diagnostics_.method == "L-BFGS-B"


def test_newton_that_fails_falls_back_to_the_multi_start_route(monkeypatch):
    def never(*_, **__):
        return None

    monkeypatch.setattr("one2one.clv._transaction_models.newton_maximize", never)
    model = BetaGeoModel().fit(CDNOW)
    assert model.fit_diagnostics_.method == "L-BFGS-B"
    np.testing.assert_allclose(model.params_, [0.243, 4.414, 0.793, 2.426], atol=5e-4)


def test_a_few_iterations_are_not_enough_and_the_route_says_so():
    # max_iter caps Newton's iterations too; one is too few from the default start, so
    # the general route (capped the same way) runs and reports what it found.
    model = BetaGeoModel(max_iter=1, n_starts=1)
    with pytest.raises(ConvergenceError, match="did not converge"):
        model.fit(CDNOW)


def test_observation_lengths_are_the_weighted_quantiles_of_every_customer(daily):
    model = BetaGeoModel().fit(daily)
    expected = _weighted_quantiles(daily["T"].to_numpy(float), np.ones(len(daily)))
    np.testing.assert_array_equal(model.observation_lengths_, expected)


def test_importing_the_clv_room_skips_what_only_some_functions_need():
    code = (
        "import sys, one2one.clv\n"
        "from one2one.clv import BetaGeoModel\n"
        "heavy = ['matplotlib', 'sklearn.ensemble', 'sklearn.model_selection', 'tqdm']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""
