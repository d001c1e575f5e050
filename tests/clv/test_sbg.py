"""sBG: the published numbers, independent checks of the maths, properties, and the API."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.optimize import approx_fprime
from sklearn.base import clone

from one2one.clv import ShiftedBetaGeometricModel
from one2one.clv._sbg import sbg_loglik, sbg_survival, sbg_survival_sum
from one2one.datasets import load_retention_cohorts
from one2one.errors import DataContractError, NotFittedError

COHORTS = load_retention_cohorts()
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


def _cohort(name, last=7):
    table = COHORTS[(COHORTS["cohort"] == name) & (COHORTS["period"] <= last)]
    return table.drop(columns="cohort").reset_index(drop=True)


@pytest.fixture(scope="module")
def regular():
    return ShiftedBetaGeometricModel().fit(_cohort("Regular"))


@pytest.fixture(scope="module")
def high_end():
    return ShiftedBetaGeometricModel().fit(_cohort("High End"))


def _model_with(alpha, beta):
    model = ShiftedBetaGeometricModel()
    model._set_fit(
        params=np.array([alpha, beta]),
        log_likelihood=0.0,
        n_obs=1.0,
        hessian=None,
        diagnostics=None,
        period=None,
        covariance=np.zeros((2, 2)),
    )
    return model


wide = st.floats(1e-3, 1e3)
moderate = st.floats(0.05, 20)


# --- the published numbers -------------------------------------------------------------------
def test_the_bundled_table_is_the_papers():
    """Fader & Hardie (2007), J. Interactive Marketing 21(1): survivors of two cohorts of 1,000."""
    assert COHORTS.shape == (26, 3)
    assert _cohort("Regular", 12)["n_alive"].tolist() == REGULAR
    assert _cohort("High End", 12)["n_alive"].tolist() == HIGH_END


def test_sbg_reproduces_fader_hardie_2007(regular, high_end):
    """Fader & Hardie (2007), "How to project customer retention", Journal of Interactive
    Marketing 21(1), 76-90: fitted on years 0-7, High End alpha = 0.668, beta = 3.806 and
    Regular alpha = 0.704, beta = 1.182."""
    np.testing.assert_allclose(high_end.params_, [0.668, 3.806], atol=5e-4)
    np.testing.assert_allclose(regular.params_, [0.704, 1.182], atol=5e-4)
    for model in (regular, high_end):
        assert model.fit_diagnostics_.converged
        assert model.n_obs_ == 1000
        assert (model.standard_errors_ > 0).all()


@pytest.mark.parametrize(("fixture", "actual"), [("regular", REGULAR), ("high_end", HIGH_END)])
def test_projections_track_the_holdout_years(request, fixture, actual):
    """FH 2007's point: fitted on years 0-7, the sBG projects years 8-12 closely (within 2% of
    the cohort here), where curve fitting to retention rates goes badly wrong."""
    model = request.getfixturevalue(fixture)
    projected = 1000 * model.survival(np.arange(8, 13))
    assert np.max(np.abs(projected - np.array(actual[8:]))) < 20


def test_observed_retention_rates_rise_as_the_model_says(regular):
    """Aggregate retention rises over time (sorting, not loyalty): the model's r_t rise too."""
    observed = np.array(REGULAR[1:]) / np.array(REGULAR[:-1])
    assert np.all(np.diff(observed[:6]) > 0)
    rates = regular.retention_rate(np.arange(1, 13))
    assert np.all(np.diff(rates) > 0)
    assert np.max(np.abs(rates - observed)) < 0.02


# --- the likelihood and survival, checked without their closed forms ------------------------
def test_survival_and_churn_equal_integrals_over_theta():
    """S(t) = E[(1 - theta)^t], P(T = t) = E[theta (1 - theta)^(t - 1)], theta ~ Beta."""
    alpha, beta = 1.8, 2.6
    model = _model_with(alpha, beta)
    for t in (0, 1, 2, 7, 30):
        value, _ = integrate.quad(
            lambda u, t=t: (1 - u) ** t * stats.beta.pdf(u, alpha, beta), 0, 1
        )
        assert model.survival(t)[0] == pytest.approx(value, rel=1e-9)
    for t in (1, 2, 7, 30):
        value, _ = integrate.quad(
            lambda u, t=t: u * (1 - u) ** (t - 1) * stats.beta.pdf(u, alpha, beta), 0, 1
        )
        assert model.churn_probability(t)[0] == pytest.approx(value, rel=1e-9)


@given(params=st.tuples(moderate, moderate), last=st.integers(1, 200))
def test_churn_and_survival_identities(params, last):
    model = _model_with(*params)
    t = np.arange(1, last + 1)
    survival = model.survival(np.arange(0, last + 1))
    assert survival[0] == 1.0
    assert np.all(np.diff(survival) <= 0)
    np.testing.assert_allclose(
        model.churn_probability(t), -np.diff(survival), rtol=1e-8, atol=1e-300
    )
    rates = model.retention_rate(t)
    assert np.all((rates > 0) & (rates < 1))
    assert np.all(np.diff(rates) >= 0)
    np.testing.assert_allclose(np.cumprod(rates), survival[1:], rtol=1e-8)


@settings(max_examples=60)
@given(params=st.tuples(st.floats(1e-2, 1e2), st.floats(1e-2, 1e2)), last=st.integers(1, 300))
def test_a_cohorts_outcomes_have_total_probability_one(params, last):
    """Churn in period 1..last, or survive past last: one of them happens."""
    t = np.r_[np.arange(1, last + 1), last].astype(float)
    churned = np.r_[np.ones(last), 0.0]
    ll, _ = sbg_loglik(np.array(params), (t, churned))
    assert float(np.exp(ll).sum()) == pytest.approx(1.0, rel=1e-9)


@settings(max_examples=200)
@given(params=st.tuples(wide, wide), t=st.integers(0, 100_000), churned=st.booleans())
def test_loglik_and_gradient_are_finite_over_wide_ranges(params, t, churned):
    t = max(t, 1) if churned else t
    ll, grad = sbg_loglik(np.array(params), (np.array([float(t)]), np.array([float(churned)])))
    assert np.isfinite(ll).all()
    assert (ll <= 1e-12).all()
    assert np.isfinite(grad).all()


@settings(max_examples=60)
@given(params=st.tuples(moderate, moderate), t=st.integers(1, 500), churned=st.booleans())
def test_analytic_gradient_matches_finite_differences(params, t, churned):
    data = (np.array([float(t), 3.0]), np.array([float(churned), 1.0]))
    p = np.array(params)
    analytic = sbg_loglik(p, data)[1].sum(axis=0)
    numeric = approx_fprime(p, lambda q: sbg_loglik(q, data)[0].sum(), 1e-7 * p)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-6)


@settings(max_examples=150)
@given(
    alpha=st.one_of(
        st.floats(1e-3, 1e3), st.floats(1 - 1e-3, 1 + 1e-3), st.floats(1 - 1e-9, 1 + 1e-9)
    ),
    beta=st.floats(1e-3, 1e3),
    start=st.integers(0, 5000),
    horizon=st.integers(0, 3000),
)
def test_survival_sum_equals_the_direct_sum(alpha, beta, start, horizon):
    """The closed form (three ways of summing, see _log_growth) against adding up S(t); the
    hard case is alpha near 1 with a short window far out, where naive forms lose digits."""
    t = np.arange(start + 1, start + horizon + 1, dtype=float)
    direct = sbg_survival((alpha, beta), t).sum()
    closed = sbg_survival_sum((alpha, beta), start, horizon)
    assert float(closed) == pytest.approx(direct, rel=1e-9, abs=1e-300)


def test_survival_sum_near_alpha_one_far_out():
    """A regression case: alpha = 1 + 1e-5, 1,000 periods in, one period ahead (where
    telescoped beta functions were off by 1e-4). The sum is S(1001), the product of the
    retention rates r_1 ... r_1001 (FH 2007, eq. 5)."""
    alpha, beta = 1 + 1e-5, 0.5
    survival = np.cumprod((beta + np.arange(1001)) / (alpha + beta + np.arange(1001)))
    assert float(sbg_survival_sum((alpha, beta), 1000, 1)) == pytest.approx(survival[-1], rel=1e-11)


@given(params=st.tuples(moderate, moderate))
def test_expected_lifetime(params):
    alpha, beta = params
    model = _model_with(alpha, beta)
    within = model.expected_lifetime(50)
    assert within == pytest.approx(model.survival(np.arange(50)).sum(), rel=1e-7)
    assert model.expected_lifetime(0) == 0.0
    unbounded = model.expected_lifetime()
    if alpha > 1 + 1e-4:  # E[T] = 1 + beta / (alpha - 1); the mean does not exist for alpha <= 1
        assert unbounded == pytest.approx((alpha + beta - 1) / (alpha - 1), rel=1e-7)
    elif alpha < 1:
        assert unbounded == math.inf
    assert within <= unbounded


@given(
    params=st.tuples(moderate, moderate),
    renewals=st.integers(0, 100),
    rate=st.floats(0.02, 1.0),
)
def test_discounted_residual_lifetime_equals_the_discounted_sum(params, renewals, rate):
    """DERL (FH 2010) against sum_k S(n + k) / S(n - 1) / (1 + d)^k, n - 1 = renewals."""
    alpha, beta = params
    model = _model_with(alpha, beta)
    k = np.arange(0, 5000)
    survival = model.survival(renewals + 1 + k) / model.survival(renewals)[0]
    direct = float(survival @ (1 + rate) ** -k)
    derl = model.discounted_residual_lifetime([renewals, renewals + 1], rate)
    assert derl[0] == pytest.approx(direct, rel=1e-7)
    assert derl[1] >= derl[0]  # survivors are the loyal ones


# --- fitting: simulation, cohorts, compression ------------------------------------------------
def _survivors(rng, *, size, periods, cohort, alpha=0.8, beta=2.5):
    churn_period = rng.geometric(rng.beta(alpha, beta, size))  # the period a customer is lost
    n_alive = [(churn_period > t).sum() for t in range(periods + 1)]
    return pd.DataFrame({"cohort": cohort, "period": range(periods + 1), "n_alive": n_alive})


def test_simulate_then_fit_recovers_the_parameters():
    """Three cohorts of different sizes and ages, drawn from alpha = 0.8, beta = 2.5."""
    rng = np.random.default_rng(7)
    table = pd.concat(
        [
            _survivors(rng, size=40_000, periods=10, cohort="2015"),
            _survivors(rng, size=25_000, periods=6, cohort="2019"),
            _survivors(rng, size=10_000, periods=2, cohort="2023"),
        ]
    )
    model = ShiftedBetaGeometricModel().fit(table)
    assert model.n_obs_ == 75_000
    intervals = model.summary(level=0.99)
    for name, value in {"alpha": 0.8, "beta": 2.5}.items():
        assert intervals.loc[name, "lower"] <= value <= intervals.loc[name, "upper"], name


def test_cohorts_pool_their_likelihoods(regular, high_end):
    both = COHORTS[COHORTS["period"] <= 7]
    pooled = ShiftedBetaGeometricModel().fit(both)
    assert pooled.n_obs_ == 2000
    # One pair of parameters for two different cohorts fits worse than one each ...
    assert pooled.log_likelihood_ < regular.log_likelihood_ + high_end.log_likelihood_
    # ... and the order of rows and the labels do not matter.
    shuffled = both.sample(frac=1.0, random_state=1).assign(cohort=lambda t: t["cohort"].str[0])
    again = ShiftedBetaGeometricModel().fit(shuffled)
    np.testing.assert_allclose(again.params_, pooled.params_, rtol=1e-7)
    # Two copies of one cohort are the same evidence twice.
    twice = pd.concat([_cohort("Regular").assign(cohort=c) for c in (1, 2)])
    doubled = ShiftedBetaGeometricModel().fit(twice)
    np.testing.assert_allclose(doubled.params_, regular.params_, rtol=1e-6)
    assert doubled.log_likelihood_ == pytest.approx(2 * regular.log_likelihood_, rel=1e-10)


def test_a_cohort_seen_only_at_the_start_carries_no_weight(regular):
    extra = pd.DataFrame({"cohort": ["new"], "period": [0], "n_alive": [500]})
    model = ShiftedBetaGeometricModel().fit(
        pd.concat([_cohort("Regular").assign(cohort="old"), extra])
    )
    np.testing.assert_allclose(model.params_, regular.params_, rtol=1e-7)
    assert model.n_obs_ == 1000


def test_the_period_is_recorded(regular):
    assert regular.period_ is None
    table = _cohort("Regular")
    table.attrs["period"] = "Y"
    assert ShiftedBetaGeometricModel().fit(table).period_ == "Y"


# --- the API --------------------------------------------------------------------------------
def test_not_fitted_error():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        ShiftedBetaGeometricModel().survival(3)
    fresh = ShiftedBetaGeometricModel()
    for call in (
        lambda: fresh.retention_rate(2),
        lambda: fresh.churn_probability(2),
        fresh.expected_lifetime,
        lambda: fresh.discounted_residual_lifetime(2, 0.1),
        fresh.summary,
    ):
        with pytest.raises(NotFittedError):
            call()


def _regular_with_cohort():
    return _cohort("Regular").assign(cohort="R")


@pytest.mark.parametrize(
    ("change", "match", "column", "row"),
    [
        (lambda t: t.drop(index=3), "'period' must run 0, 1, 2", "period", 4),
        (lambda t: t.assign(period=t["period"] + 1), "'period' must run 0, 1, 2", "period", 0),
        (lambda t: pd.concat([t, t.iloc[[2]].rename(index={2: 99})]), "without gaps or repeats",
         "period", 99),
        (lambda t: t.assign(n_alive=t["n_alive"].where(t["period"] != 5, 400)),
         "'n_alive' must not increase", "n_alive", 5),
        (lambda t: t.assign(n_alive=-t["n_alive"]), ">= 0", "n_alive", 0),
        (lambda t: t.assign(period=t["period"] + 0.5), "whole numbers", "period", 0),
        (lambda t: t.assign(cohort=[None] + ["R"] * (len(t) - 1)), "missing", "cohort", 0),
        (lambda t: t.drop(columns="n_alive"), "missing required", "n_alive", None),
        (lambda t: t.iloc[0:0], "empty", "period", None),
        (lambda t: t.iloc[[0]], "no information", "period", None),
        (lambda t: t.assign(n_alive=1000), "no churn", "n_alive", None),
    ],
)  # fmt: skip
def test_bad_survivor_tables_are_refused(change, match, column, row):
    with pytest.raises(DataContractError, match=match) as info:
        ShiftedBetaGeometricModel().fit(change(_regular_with_cohort()))
    assert info.value.column == column
    assert info.value.row == row


def test_bad_prediction_arguments_are_refused(regular):
    with pytest.raises(DataContractError, match="'t' must hold whole numbers of periods >= 1"):
        regular.retention_rate(0)
    with pytest.raises(DataContractError, match="'t'"):
        regular.survival([1.5])
    with pytest.raises(DataContractError, match="'discount_rate'"):
        regular.discounted_residual_lifetime(3, 0.0)
    with pytest.raises(DataContractError, match="'horizon'"):
        regular.expected_lifetime(-1)


def test_json_round_trip_gives_the_same_predictions(regular, tmp_path):
    restored = ShiftedBetaGeometricModel.from_dict(json.loads(json.dumps(regular.to_dict())))
    t = np.arange(20)
    np.testing.assert_array_equal(restored.survival(t), regular.survival(t))
    pd.testing.assert_frame_equal(restored.summary(), regular.summary())
    regular.save(tmp_path / "model.json")
    assert ShiftedBetaGeometricModel.load(tmp_path / "model.json").params_.equals(regular.params_)
    with pytest.raises(DataContractError, match=r"\'params\.beta\' is missing"):
        ShiftedBetaGeometricModel.from_dict(regular.to_dict() | {"params": {"alpha": 1.0}})


def test_sklearn_conventions(regular):
    fresh = clone(regular)
    assert fresh.get_params() == regular.get_params()
    assert not hasattr(fresh, "params_")
    table = regular.summary()
    assert list(table.columns) == ["estimate", "std_error", "lower", "upper"]
    assert table.attrs["aic"] == pytest.approx(4 - 2 * regular.log_likelihood_)
    assert type(regular).__module__ == "one2one.clv"
