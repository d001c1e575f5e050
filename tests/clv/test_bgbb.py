"""BG/BB: the published numbers, independent checks of the maths, properties, and the API."""

import itertools
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

from one2one.clv import BetaGeoBetaBinomModel, discrete_summary
from one2one.clv._bgbb import bgbb_loglik
from one2one.datasets import load_donations
from one2one.errors import DataContractError, NotFittedError

DONATIONS = load_donations()
COLUMNS = ["frequency", "recency", "n_periods"]
PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


@pytest.fixture(scope="module")
def bgbb():
    return BetaGeoBetaBinomModel().fit(DONATIONS)


def _data(x, tx, n):
    return tuple(np.asarray(v, dtype=float) for v in (x, tx, n))


@st.composite
def patterns(draw, max_n=60):
    """A valid (x, tx, n): x transactions at most one per opportunity, the last at tx."""
    n = draw(st.integers(1, max_n))
    tx = draw(st.integers(0, n))
    x = draw(st.integers(1, tx)) if tx else 0
    return x, tx, n


wide = st.floats(1e-3, 1e3)
moderate = st.floats(0.05, 20)


# --- the published numbers -------------------------------------------------------------------
def test_bgbb_reproduces_fader_hardie_shang_2010(bgbb):
    """Fader, Hardie & Shang (2010), Marketing Science 29(6), 1086-1108: on the 1995 cohort
    of 11,104 donors (six annual opportunities) alpha = 1.204, beta = 0.750, gamma = 0.657,
    delta = 2.783, with log-likelihood -33,225.6."""
    np.testing.assert_allclose(bgbb.params_, list(PUBLISHED.values()), atol=5e-4)
    assert list(bgbb.params_.index) == list(PUBLISHED)
    assert bgbb.log_likelihood_ == pytest.approx(-33_225.6, abs=0.05)
    assert bgbb.fit_diagnostics_.converged
    assert bgbb.n_obs_ == 11_104
    assert (bgbb.standard_errors_ > 0).all()


# --- the likelihood, checked without its closed form ----------------------------------------
def _moment(a, b, j, k):
    """E[u^j (1 - u)^k] for u ~ Beta(a, b), by numerical integration (no beta functions)."""
    value, _ = integrate.quad(lambda u: u**j * (1 - u) ** k * stats.beta.pdf(u, a, b), 0, 1)
    return value


def test_loglik_equals_the_sum_over_latent_dropout_times():
    """Enumerate every purchase sequence over 4 opportunities and every dropout time; the
    probability of each sequence, integrated over p and theta numerically, is the
    likelihood of its (x, tx, n)."""
    alpha, beta, gamma, delta = 1.7, 2.3, 1.4, 2.9
    n = 4
    # Dead from the start of opportunity d (d = 1..n) or alive through n (d = n + 1).
    p_death = [_moment(gamma, delta, 1, d - 1) for d in range(1, n + 1)]
    p_death.append(_moment(gamma, delta, 0, n))
    total = 0.0
    for seq in itertools.product([0, 1], repeat=n):
        x = sum(seq)
        tx = max((i + 1 for i, b in enumerate(seq) if b), default=0)
        probability = sum(
            p_death[d - 1] * _moment(alpha, beta, x, min(d - 1, n) - x)
            for d in range(tx + 1, n + 2)
        )
        ll, _ = bgbb_loglik(np.array([alpha, beta, gamma, delta]), _data([x], [tx], [n]))
        assert math.exp(ll[0]) == pytest.approx(probability, rel=1e-8), seq
        total += probability
    assert total == pytest.approx(1.0, rel=1e-10)


@settings(max_examples=50)
@given(params=st.tuples(*[st.floats(1e-2, 1e2)] * 4), n=st.integers(1, 25))
def test_likelihoods_of_all_sequences_sum_to_one(params, n):
    """The likelihood is for one sequence; (x, tx) stands for C(tx - 1, x - 1) of them."""
    pairs = [(0, 0)] + [(x, tx) for tx in range(1, n + 1) for x in range(1, tx + 1)]
    x, tx = (np.array(v, dtype=float) for v in zip(*pairs, strict=True))
    ll, _ = bgbb_loglik(np.array(params), _data(x, tx, np.full(x.size, n)))
    count = np.array([1] + [math.comb(t - 1, k - 1) for k, t in pairs[1:]], dtype=float)
    assert float(count @ np.exp(ll)) == pytest.approx(1.0, rel=1e-9)


@settings(max_examples=200)
@given(params=st.tuples(wide, wide, wide, wide), pattern=patterns(max_n=200))
def test_loglik_and_gradient_are_finite_over_wide_ranges(params, pattern):
    ll, grad = bgbb_loglik(np.array(params), _data(*([v] for v in pattern)))
    assert np.isfinite(ll).all()
    assert (ll <= 1e-12).all()  # a probability
    assert np.isfinite(grad).all()


@settings(max_examples=40)
@given(params=st.tuples(moderate, moderate, moderate, moderate))
def test_analytic_gradient_matches_finite_differences(params):
    data = _data(*(DONATIONS[c] for c in COLUMNS))
    w = DONATIONS["weight"].to_numpy(float)
    p = np.array(params)
    analytic = w @ bgbb_loglik(p, data)[1]
    numeric = approx_fprime(p, lambda q: w @ bgbb_loglik(q, data)[0], 1e-7 * p)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-2)


@settings(max_examples=40)
@given(params=st.tuples(moderate, moderate, moderate, moderate), pattern=patterns(max_n=40))
def test_gradient_of_one_pattern_matches_finite_differences(params, pattern):
    data = _data(*([v] for v in pattern))
    p = np.array(params)
    analytic = bgbb_loglik(p, data)[1][0]
    numeric = approx_fprime(p, lambda q: bgbb_loglik(q, data)[0][0], 1e-7 * p)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-5)


def test_compressing_rows_does_not_change_the_fit(bgbb):
    donors = DONATIONS.loc[DONATIONS.index.repeat(DONATIONS["weight"])].drop(columns="weight")
    donors = donors.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert len(donors) == 11_104
    expanded = BetaGeoBetaBinomModel().fit(donors)
    np.testing.assert_allclose(expanded.params_, bgbb.params_, rtol=1e-6)
    assert expanded.log_likelihood_ == pytest.approx(bgbb.log_likelihood_, rel=1e-10)
    # Splitting a row's weight over two rows is the same data too.
    split = pd.concat(
        [
            DONATIONS.assign(weight=DONATIONS["weight"] // 2),
            DONATIONS.assign(weight=DONATIONS["weight"] - DONATIONS["weight"] // 2),
        ]
    )
    np.testing.assert_allclose(BetaGeoBetaBinomModel().fit(split).params_, bgbb.params_, rtol=1e-6)


def test_fit_on_a_summary_of_transactions(bgbb):
    """discrete_summary -> fit: one donor per row of the published table."""
    rows = []
    for k, (x, tx, _, w) in enumerate(DONATIONS.itertuples(index=False)):
        years = [1995] + [1996 + i for i in range(tx - x, tx)]  # x donations ending at tx
        rows += [(f"{k}-{j}", y) for j in range(w) for y in years]
    tx = pd.DataFrame(rows, columns=["customer_id", "year"])
    tx["occurred_at"] = pd.to_datetime(tx["year"].astype(str) + "-06-01", utc=True)
    summary = discrete_summary(tx, freq="Y", observation_end="2001-12-31")
    model = BetaGeoBetaBinomModel().fit(summary)
    np.testing.assert_allclose(model.params_, bgbb.params_, rtol=1e-6)
    assert model.period_ == "Y"


# --- predictions, checked against a simulation of the model ---------------------------------
@pytest.fixture(scope="module")
def simulated():
    """One million donors drawn from the published parameters, observed for 6 + 5 years."""
    rng = np.random.default_rng(2010)
    size, n, t = 1_000_000, 6, 5
    p = rng.beta(PUBLISHED["alpha"], PUBLISHED["beta"], size)
    theta = rng.beta(PUBLISHED["gamma"], PUBLISHED["delta"], size)
    death = rng.geometric(theta)  # the first opportunity at which the donor is gone
    opportunity = np.arange(1, n + t + 1)
    buys = (opportunity < death[:, None]) & (
        rng.random((size, n + t), dtype=np.float32) < p[:, None]
    )
    past = buys[:, :n]
    frame = pd.DataFrame(
        {
            "frequency": past.sum(axis=1),
            "recency": np.where(past.any(axis=1), n - np.argmax(past[:, ::-1], axis=1), 0),
            "n_periods": n,
            "future": buys[:, n:].sum(axis=1),
            "alive_next": death > n + 1,
        }
    )
    cumulative = buys.cumsum(axis=1)
    return frame, t, cumulative.mean(axis=0), cumulative.std(axis=0) / np.sqrt(size)


def _model_with(params):
    model = BetaGeoBetaBinomModel()
    model._set_fit(
        params=np.array(list(params.values())),
        log_likelihood=0.0,
        n_obs=1.0,
        hessian=None,
        diagnostics=None,
        period=None,
        covariance=np.zeros((4, 4)),
    )
    return model


@pytest.mark.parametrize("pattern", [(0, 0), (1, 1), (2, 3), (2, 6), (3, 6), (5, 6), (6, 6)])
def test_conditional_predictions_match_a_simulation(simulated, pattern):
    frame, t, _, _ = simulated
    x, tx = pattern
    group = frame[(frame["frequency"] == x) & (frame["recency"] == tx)]
    assert len(group) > 5_000
    model = _model_with(PUBLISHED)
    one = pd.DataFrame({"frequency": [x], "recency": [tx], "n_periods": [6]})
    predicted = model.predict(one, t).iloc[0]
    alive = group["alive_next"]
    assert abs(predicted["p_alive"] - alive.mean()) < 4.5 * alive.std() / np.sqrt(len(group))
    future = group["future"]
    assert abs(predicted["expected_purchases"] - future.mean()) < 4.5 * future.std() / np.sqrt(
        len(group)
    )


def test_unconditional_expectation_matches_a_simulation(simulated):
    _, _, mean, se = simulated
    expected = _model_with(PUBLISHED).expected_purchases(np.arange(1, 12))
    assert np.all(np.abs(expected - mean) < 4.5 * se)


def test_the_published_table_is_fitted_by_its_expectations(bgbb):
    """Observed repeat donations per donor against E[X(6)], a moment the MLE nearly matches."""
    observed = float(DONATIONS["frequency"] @ DONATIONS["weight"]) / 11_104
    assert bgbb.expected_purchases(6)[0] == pytest.approx(observed, rel=0.01)


@given(pattern=patterns(max_n=300), t=st.integers(0, 200))
def test_predictions_are_bounded_and_grow_with_the_horizon(bgbb, pattern, t):
    one = pd.DataFrame([pattern], columns=COLUMNS)
    p = bgbb.predict_proba_alive(one).iloc[0]
    assert 0.0 <= p <= 1.0
    near = bgbb.predict_purchases(one, t).iloc[0]
    far = bgbb.predict_purchases(one, t + 3).iloc[0]
    # Alive at any later opportunity means alive at the next one; at most one per opportunity.
    assert 0.0 <= near <= far <= (t + 3) * p * (1 + 1e-9) + 1e-300


@settings(max_examples=60)
@given(params=st.tuples(wide, wide, wide, wide), pattern=patterns(max_n=100))
def test_predictions_stay_finite_and_bounded_for_any_parameters(params, pattern):
    model = _model_with(dict(zip(PUBLISHED, params, strict=True)))
    one = pd.DataFrame([pattern], columns=COLUMNS)
    row = model.predict(one, 10).iloc[0]
    assert 0.0 <= row["p_alive"] <= 1.0
    assert 0.0 <= row["expected_purchases"] <= 10.0 * row["p_alive"] * (1 + 1e-7) + 1e-300


@given(params=st.tuples(moderate, moderate, moderate, moderate))
def test_expected_purchases_start_at_zero_and_grow(params):
    alpha, beta, _, _ = params
    expected = _model_with(dict(zip(PUBLISHED, params, strict=True))).expected_purchases(
        np.arange(0, 60)
    )
    assert expected[0] == 0.0
    assert np.all(np.diff(expected) >= 0)
    assert np.all(expected <= np.arange(0, 60) * alpha / (alpha + beta) * (1 + 1e-9))


def test_p_alive_orders_customers_sensibly(bgbb):
    table = pd.DataFrame({"frequency": [3, 3, 6, 0], "recency": [6, 3, 6, 0], "n_periods": 6})
    p = bgbb.predict_proba_alive(table).to_numpy()
    assert p[0] > p[1]  # the same donations, but recent
    _, _, gamma, delta = bgbb.params_
    # Gave every year, so surely alive at 6: alive at 7 is E[1 - theta | survived 6 draws].
    assert p[2] == pytest.approx((delta + 6) / (gamma + delta + 6), rel=1e-12)
    assert p[0] > p[3]


def test_predictions_are_indexed_like_the_input(bgbb):
    table = DONATIONS.set_index(pd.Index([f"c{i}" for i in range(len(DONATIONS))]))
    result = bgbb.predict(table, 5)
    assert list(result.columns) == ["p_alive", "expected_purchases"]
    assert result.index.equals(table.index)


# --- the API --------------------------------------------------------------------------------
def test_not_fitted_error():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        BetaGeoBetaBinomModel().predict_proba_alive(DONATIONS)
    with pytest.raises(NotFittedError):
        BetaGeoBetaBinomModel().expected_purchases(3)
    with pytest.raises(NotFittedError):
        BetaGeoBetaBinomModel().summary()


@pytest.mark.parametrize(
    ("change", "match", "column", "row"),
    [
        (lambda s: s.assign(frequency=s["frequency"] - 1), ">= 0", "frequency", 0),
        (lambda s: s.assign(frequency=s["frequency"] / 2), "whole numbers", "frequency", 1),
        (lambda s: s.assign(recency=s["recency"] + 0.5), "whole numbers", "recency", 0),
        (lambda s: s.assign(n_periods=5), "'recency' must be <= 'n_periods'", "recency", 6),
        (lambda s: s.assign(frequency=s["frequency"] + 1), "'frequency' must be <= 'recency'",
         "frequency", 0),
        (lambda s: s.assign(recency=s["recency"] + (s["frequency"] == 0)),
         "'recency' must be 0 when 'frequency' is 0", "recency", 0),
        (lambda s: s.assign(n_periods=-1), "'n_periods' must be >= 0", "n_periods", 0),
        (lambda s: s.assign(recency=np.nan), "missing", "recency", 0),
        (lambda s: s.drop(columns="n_periods"), "missing required", "n_periods", None),
        (lambda s: s.iloc[0:0], "empty", "frequency", None),
        (lambda s: s.assign(weight=-s["weight"]), "'weight' must be >= 0", "weight", 0),
    ],
)  # fmt: skip
def test_bad_summaries_are_refused(change, match, column, row):
    with pytest.raises(DataContractError, match=match) as info:
        BetaGeoBetaBinomModel().fit(change(DONATIONS.copy()))
    assert info.value.column == column
    assert info.value.row == row


def test_bad_predictions_inputs_are_refused(bgbb):
    with pytest.raises(DataContractError, match="'t'") as info:
        bgbb.predict_purchases(DONATIONS, 1.5)
    assert info.value.column == "t"
    with pytest.raises(DataContractError, match="'n' must hold whole numbers"):
        bgbb.expected_purchases([1, -2])
    with pytest.raises(DataContractError, match="'frequency' must be <= 'recency'"):
        bgbb.predict_proba_alive(pd.DataFrame({"frequency": [2], "recency": [1], "n_periods": [3]}))


def test_json_round_trip_gives_the_same_predictions(bgbb, tmp_path):
    restored = BetaGeoBetaBinomModel.from_dict(json.loads(json.dumps(bgbb.to_dict())))
    pd.testing.assert_frame_equal(restored.predict(DONATIONS, 5), bgbb.predict(DONATIONS, 5))
    pd.testing.assert_frame_equal(restored.summary(), bgbb.summary())
    bgbb.save(tmp_path / "model.json")
    assert BetaGeoBetaBinomModel.load(tmp_path / "model.json").params_.equals(bgbb.params_)
    broken = bgbb.to_dict() | {"params": {"alpha": 1.0}}
    with pytest.raises(DataContractError, match=r"\'params\.beta\' is missing"):
        BetaGeoBetaBinomModel.from_dict(broken)


def test_sklearn_conventions(bgbb):
    fresh = clone(bgbb)
    assert fresh.get_params() == bgbb.get_params()
    assert not hasattr(fresh, "params_")
    table = bgbb.summary()
    assert list(table.columns) == ["estimate", "std_error", "lower", "upper"]
    assert table.attrs["bic"] == pytest.approx(4 * math.log(11_104) + 2 * 33_225.58, abs=0.1)
    assert type(bgbb).__module__ == "one2one.clv"


def test_customers_first_seen_in_the_last_period_are_fitted():
    """discrete_summary gives n_periods = 0 to a customer whose first purchase is in the
    last period: they carry no repeat information (log-likelihood 0), but are valid."""
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "occurred_at": pd.to_datetime(
                ["2019-03-01", "2021-05-01", "2020-01-09", "2023-06-01"], utc=True
            ),
        }
    )
    patterns = pd.concat([discrete_summary(tx, observation_end="2023-12-31"), DONATIONS])
    assert (patterns["n_periods"] == 0).any()
    model = BetaGeoBetaBinomModel().fit(patterns)
    observed = discrete_summary(tx, observation_end="2023-12-31")
    plain = BetaGeoBetaBinomModel().fit(pd.concat([observed[observed["n_periods"] > 0], DONATIONS]))
    np.testing.assert_allclose(model.params_, plain.params_, rtol=1e-6)
