"""Static covariates for BG/NBD and Pareto/NBD: recovery, gradients, consistency."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime

from one2one.clv import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    customer_lifetime_value,
)
from one2one.datasets import load_cdnow_summary, simulate_transactions
from one2one.errors import DataContractError

CDNOW = load_cdnow_summary()
COLUMNS = ["frequency", "recency", "T"]


def two_groups(model, base, scaled, n=40_000, seed=0):
    """Customers of group 1 follow ``scaled`` parameters, group 0 ``base``: a 0/1 covariate."""
    frames = []
    for group, params in ((0, base), (1, scaled)):
        sim = simulate_transactions(
            model,
            n_customers=n,
            params=params,
            observation_weeks=52,
            acquisition_weeks=12,
            random_state=seed + group,
        )
        frames.append(sim.customers[COLUMNS].assign(vip=float(group)))
    return pd.concat(frames, ignore_index=True)


def test_bgnbd_recovers_purchase_and_dropout_effects():
    """As CLVTools: alpha_i = alpha exp(-g_p z), a_i = a exp(g_d z), b_i = b exp(g_d z)."""
    g_p, g_d = 0.7, -0.5
    base = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
    scaled = {**base, "alpha": 5.0 * np.exp(-g_p), "a": 0.8 * np.exp(g_d), "b": 2.5 * np.exp(g_d)}
    data = two_groups("bgnbd", base, scaled)
    model = BetaGeoModel(purchase_covariates=["vip"], dropout_covariates=["vip"]).fit(data)
    table = model.summary(level=0.99)
    truth = {**base, "purchase:vip": g_p, "dropout:vip": g_d}
    for name, value in truth.items():
        assert table.loc[name, "lower"] <= value <= table.loc[name, "upper"], name


def test_pareto_recovers_purchase_and_dropout_effects():
    """alpha_i = alpha exp(-g_p z), beta_i = beta exp(-g_d z)."""
    g_p, g_d = -0.6, 0.8
    base = {"r": 0.6, "alpha": 8.0, "s": 0.7, "beta": 10.0}
    scaled = {**base, "alpha": 8.0 * np.exp(-g_p), "beta": 10.0 * np.exp(-g_d)}
    data = two_groups("paretonbd", base, scaled, n=25_000)
    data[["recency", "T"]] = np.round(data[["recency", "T"]] * 7) / 7  # recorded by day
    model = ParetoNBDModel(purchase_covariates=["vip"], dropout_covariates=["vip"], n_starts=2).fit(
        data
    )
    table = model.summary(level=0.99)
    for name, value in {**base, "purchase:vip": g_p, "dropout:vip": g_d}.items():
        assert table.loc[name, "lower"] <= value <= table.loc[name, "upper"], name


@settings(max_examples=20)
@given(
    model_class=st.sampled_from([BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel]),
    coefficients=st.tuples(st.floats(-1, 1), st.floats(-1, 1), st.floats(-1, 1)),
)
def test_covariate_gradient_matches_finite_differences(model_class, coefficients):
    rng = np.random.default_rng(0)
    rows = CDNOW.iloc[:200]
    z1, z2 = rng.normal(size=len(rows)), rng.integers(0, 2, len(rows)).astype(float)
    model = model_class(purchase_covariates=["z1", "z2"], dropout_covariates=["z1"])
    loglik = model._loglik()
    data = [rows[c].to_numpy(float) for c in COLUMNS] + [z1, z2, z1]
    theta = np.array([0.5, 6.0, 0.8, 2.0, *coefficients])
    analytic = loglik(theta, data)[1].sum(axis=0)
    step = 1e-6 * np.maximum(np.abs(theta), 1.0)
    numeric = approx_fprime(theta, lambda p: loglik(p, data)[0].sum(), step)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-3)


def test_a_noise_covariate_has_no_effect_and_changes_little():
    noisy = CDNOW.assign(noise=np.random.default_rng(5).normal(size=len(CDNOW)))
    plain = BetaGeoModel().fit(CDNOW)
    model = BetaGeoModel(purchase_covariates=["noise"], dropout_covariates=["noise"]).fit(noisy)
    table = model.summary()
    for name in ("purchase:noise", "dropout:noise"):
        assert table.loc[name, "lower"] < 0 < table.loc[name, "upper"]
    assert model.log_likelihood_ >= plain.log_likelihood_ - 1e-6  # nested models
    assert 2 * (model.log_likelihood_ - plain.log_likelihood_) < 13.8  # chi2(2) at 0.1%
    assert model.n_obs_ == plain.n_obs_


def test_baseline_customers_predict_like_the_shared_parameters():
    data = CDNOW.assign(channel=(np.arange(len(CDNOW)) % 3 == 0).astype(float))
    model = ParetoNBDModel(purchase_covariates=["channel"]).fit(data)
    base = ParetoNBDModel.from_dict(
        model.to_dict()
        | {
            "config": {**model.get_params(), "purchase_covariates": []},
            "params": {k: v for k, v in model.params_.items() if ":" not in k},
            "covariance": [[None] * 4] * 4,
        }
    )
    baseline = data[data["channel"] == 0]
    pd.testing.assert_series_equal(
        model.predict_purchases(baseline, 26), base.predict_purchases(baseline, 26)
    )
    # Customers with channel = 1 buy exp(coefficient) times as often when alive.
    one = baseline.iloc[:1].assign(channel=1.0, frequency=0, recency=0.0, T=0.0)
    zero = one.assign(channel=0.0)
    ratio = model.predict_purchases(one, 1e-6).iloc[0] / model.predict_purchases(zero, 1e-6).iloc[0]
    assert ratio == pytest.approx(np.exp(model.params_["purchase:channel"]), rel=1e-3)


def vip_flags():
    """A 0/1 covariate unrelated to the summary (one tied to frequency would be a ridge)."""
    return (np.random.default_rng(1).random(len(CDNOW)) < 0.3).astype(float)


def test_covariate_models_round_trip_and_value_customers():
    data = CDNOW.assign(vip=vip_flags())
    model = BetaGeoModel(purchase_covariates=["vip"]).fit(data)
    restored = BetaGeoModel.from_dict(json.loads(json.dumps(model.to_dict())))
    pd.testing.assert_frame_equal(restored.predict(data, 10), model.predict(data, 10))
    spend = GammaGammaModel().fit(data)
    value = customer_lifetime_value(model, spend, data, horizon=52, period="W", interval="delta")
    assert (value["clv_lower"] <= value["clv"]).all()
    assert (value["clv"] <= value["clv_upper"]).all()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.drop(columns="vip"), "missing required column"),
        (lambda d: d.assign(vip=np.nan), "missing value"),
        (lambda d: d.assign(vip="yes"), "numeric"),
    ],
)
def test_bad_covariate_columns_are_refused(change, match):
    data = CDNOW.assign(vip=1.0)
    with pytest.raises(DataContractError, match=match) as info:
        BetaGeoModel(purchase_covariates=["vip"]).fit(change(data))
    assert info.value.column == "vip"


def test_simulation_and_bootstrap_are_refused_with_covariates():
    data = CDNOW.assign(vip=vip_flags())
    model = BetaGeoModel(purchase_covariates=["vip"]).fit(data)
    with pytest.raises(DataContractError, match="interval='delta'"):
        model.predict(data, 10, interval="bootstrap")
    with pytest.raises(DataContractError, match="not available"):
        model.sample(10, observation_periods=10)
