"""Gamma-Gamma spend model: the published estimates, shrinkage, recovery, bad input."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime

from one2one.clv import GammaGammaModel
from one2one.clv._gammagamma import gammagamma_loglik
from one2one.datasets import load_cdnow_summary
from one2one.errors import DataContractError, DataWarning

CDNOW = load_cdnow_summary()


@pytest.fixture(scope="module")
def spend():
    return GammaGammaModel().fit(CDNOW)


def test_reproduces_fader_hardie_jerath(spend):
    """Fader, Hardie & Jerath (2005), "The Gamma-Gamma model of monetary value":
    p = 6.25, q = 3.74, gamma = 15.44 on the 946 CDNOW customers with repeat purchases."""
    np.testing.assert_allclose(spend.params_, [6.25, 3.74, 15.44], atol=0.01)
    assert spend.n_obs_ == 946


@settings(max_examples=30)
@given(params=st.tuples(*[st.floats(0.2, 30)] * 3))
def test_analytic_gradient_matches_finite_differences(params):
    buyers = CDNOW[CDNOW["frequency"] > 0].iloc[:300]
    data = (buyers["frequency"].to_numpy(float), buyers["monetary_value"].to_numpy(float))
    p = np.array(params)
    analytic = gammagamma_loglik(p, data)[1].sum(axis=0)
    numeric = approx_fprime(p, lambda q: gammagamma_loglik(q, data)[0].sum(), 1e-6 * p)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-3)


@given(x=st.integers(1, 10_000), zbar=st.floats(0.01, 1e5))
def test_prediction_shrinks_the_customer_mean_towards_the_population(spend, x, zbar):
    one = pd.DataFrame({"frequency": [x], "monetary_value": [zbar]})
    predicted = spend.predict_spend(one).iloc[0]
    population = spend.mean_spend()
    assert min(population, zbar) - 1e-9 <= predicted <= max(population, zbar) + 1e-9


def test_more_purchases_mean_more_trust_in_the_customer(spend):
    rows = pd.DataFrame({"frequency": [1, 10, 1000], "monetary_value": [200.0] * 3})
    predicted = spend.predict_spend(rows).to_numpy()
    assert np.all(np.diff(predicted) > 0)
    assert predicted[-1] == pytest.approx(200.0, rel=0.01)
    none = pd.DataFrame({"frequency": [0], "monetary_value": [0.0]})
    assert spend.predict_spend(none).iloc[0] == pytest.approx(spend.mean_spend())


def test_simulate_then_fit_recovers_the_parameters():
    rng = np.random.default_rng(4)
    p, q, gamma = 6.0, 4.0, 15.0
    n = 20_000
    x = rng.integers(1, 15, n)
    nu = rng.gamma(q, 1 / gamma, n)
    zbar = rng.gamma(p * x, 1 / (nu * x))  # mean of x Gamma(p, nu) amounts
    model = GammaGammaModel().fit(pd.DataFrame({"frequency": x, "monetary_value": zbar}))
    intervals = model.summary(level=0.99)
    for name, value in {"p": p, "q": q, "gamma": gamma}.items():
        assert intervals.loc[name, "lower"] <= value <= intervals.loc[name, "upper"], name


def test_non_positive_spend_of_a_buyer_is_refused():
    bad = CDNOW.copy()
    bad.loc[1, "monetary_value"] = 0.0  # customer 1 has frequency 2
    with pytest.raises(DataContractError, match="must be > 0") as info:
        GammaGammaModel().fit(bad)
    assert (info.value.column, info.value.row) == ("monetary_value", 1)


def test_no_buyers_is_refused():
    with pytest.raises(DataContractError, match="no customer has repeat"):
        GammaGammaModel().fit(CDNOW.assign(frequency=0))


def test_nonpositive_spend_can_be_left_out_explicitly():
    data = CDNOW.copy()
    data.loc[[1, 2], "monetary_value"] = [0.0, -5.0]  # both have repeat purchases
    with pytest.warns(DataWarning, match="2 customer"):
        model = GammaGammaModel(nonpositive_spend="ignore").fit(data)
    assert model.n_obs_ == 944
    spend = model.predict_spend(data)
    assert spend.loc[1] == pytest.approx(model.mean_spend())
    assert spend.loc[2] == pytest.approx(model.mean_spend())
    with pytest.raises(DataContractError, match="nonpositive_spend='ignore'"):
        GammaGammaModel().fit(data)
    with pytest.raises(DataContractError, match="'nonpositive_spend'"):
        GammaGammaModel(nonpositive_spend="drop").fit(data)
