"""Pareto/NBD's fast likelihood: the numbers of direct integration, on rows that repeat.

The reference everywhere is scipy.integrate.quad on the defining integral
I = integral from t_x to T of (alpha+y)^-(r+x) (beta+y)^-(s+1) dy, never the
code under test.
"""

import warnings

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import IntegrationWarning, quad
from scipy.special import digamma, gammaln

from one2one.clv import ParetoNBDModel, rfm_summary
from one2one.clv import _paretonbd as maths
from one2one.datasets import load_cdnow_summary, simulate_transactions

COLUMNS = ["frequency", "recency", "T"]


def quad_integral(exponents, alpha, beta, lo, hi):
    """log I and the means of log(alpha+y), 1/(alpha+y), log(beta+y), 1/(beta+y) under
    the normalised integrand, by adaptive quadrature (scaled by the integrand at lo)."""
    a_exp, b_exp = exponents
    scale = -a_exp * np.log(alpha + lo) - b_exp * np.log(beta + lo)

    def integrand(y, weight):
        relative_a = np.log1p((y - lo) / (alpha + lo))
        relative_b = np.log1p((y - lo) / (beta + lo))
        return np.exp(-a_exp * relative_a - b_exp * relative_b) * weight(y)

    width = (alpha + lo) / a_exp  # where the (alpha+y)^-A factor has fallen by ~e
    points = [lo + width * k for k in (0.1, 1.0, 10.0, 100.0) if lo + width * k < hi]
    weights = (
        np.ones_like,
        lambda y: np.log(alpha + y),
        lambda y: 1.0 / (alpha + y),
        lambda y: np.log(beta + y),
        lambda y: 1.0 / (beta + y),
    )
    with warnings.catch_warnings():
        # QUADPACK reports round-off when it reaches machine precision before 1e-13; a real
        # failure would show as a mismatch, never as a pass.
        warnings.simplefilter("ignore", IntegrationWarning)
        values = [
            quad(integrand, lo, hi, args=(w,), epsabs=0, epsrel=1e-13, limit=500, points=points)[0]
            for w in weights
        ]
    return (np.log(values[0]) + scale, *(v / values[0] for v in values[1:]))


def reference_loglik(params, x, tx, T):
    """Log-likelihood and gradient of one row from the quadrature reference."""
    r, alpha, s, beta = params
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    if tx < T:
        log_i, log_a, inv_a, log_b, inv_b = quad_integral((r + x, s + 1), alpha, beta, tx, T)
        dead = np.log(s) + log_i
    else:
        dead, log_a, inv_a, log_b, inv_b = -np.inf, 0.0, 0.0, 0.0, 0.0
    bracket = np.logaddexp(alive, dead)
    w_alive, w_dead = np.exp(alive - bracket), np.exp(dead - bracket)
    ll = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + bracket
    grad = [
        digamma(r + x) - digamma(r) + np.log(alpha)
        - w_alive * np.log(alpha + T) - w_dead * log_a,
        r / alpha - w_alive * (r + x) / (alpha + T) - w_dead * (r + x) * inv_a,
        np.log(beta) - w_alive * np.log(beta + T) + w_dead * (1 / s - log_b),
        s / beta - w_alive * s / (beta + T) - w_dead * (s + 1) * inv_b,
    ]  # fmt: skip
    return ll, np.array(grad)


def row_by_row(params, data):
    """The likelihood with one parameter vector per row: no grid, each row integrated alone."""
    n = np.asarray(data[0]).size
    return maths.pareto_loglik(np.repeat(np.asarray(params, float)[:, None], n, axis=1), data)


@st.composite
def daily_rows(draw, max_rows=25):
    """A few customers with ages to the day (in weeks) that share purchase counts and days,
    as a real summary's rows do, with some rows bought on their last day (t_x = T)."""
    n = draw(st.integers(1, max_rows))
    counts = draw(st.lists(st.integers(0, 150), min_size=1, max_size=4))
    days = draw(st.lists(st.integers(0, 728), min_size=2, max_size=8, unique=True))
    x = np.array([counts[draw(st.integers(0, len(counts) - 1))] for _ in range(n)], float)
    first = np.array([days[draw(st.integers(0, len(days) - 1))] for _ in range(n)])
    second = np.array([days[draw(st.integers(0, len(days) - 1))] for _ in range(n)])
    tx, T = np.minimum(first, second) / 7, np.maximum(first, second) / 7
    tx[x == 0] = 0.0
    T = np.maximum(T, 1 / 7)
    return x, tx, T


realistic_params = st.tuples(
    st.floats(0.05, 20), st.floats(0.05, 50), st.floats(0.05, 20), st.floats(0.05, 50)
)


@settings(max_examples=40, deadline=None)
@given(params=realistic_params, data=daily_rows())
def test_loglik_matches_quadrature_row_by_row(params, data):
    """Every row's log-likelihood within 1e-10 (relative above 1) of quadrature, and its gradient.

    The reference, scipy's adaptive quadrature, is itself accurate to about
    1e-10 relative, so a fixed absolute bound would test the reference.
    """
    ll, grad = maths.pareto_loglik(np.array(params), data)
    for i in range(ll.size):
        ref_ll, ref_grad = reference_loglik(params, *(v[i] for v in data))
        assert abs(ll[i] - ref_ll) <= 1e-10 * max(1.0, abs(ref_ll))
        np.testing.assert_allclose(grad[i], ref_grad, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("gap", [1e-9, 1e-6, 1e-3, 0.1])
def test_rows_with_a_tiny_interval_keep_their_precision(gap):
    """A row whose interval is a sliver of the tail it shares with a long row of the same
    x: the difference of tails would cancel (the log-likelihood hardly notices: the 'alive'
    term dominates such a row), so log I of the row is integrated on its own."""
    params = (0.55, 10.6, 0.61, 11.7)
    x = np.array([3.0, 3.0, 3.0])
    tx = np.array([20.0, 20.0 + 1 / 7, 0.0])
    T = np.array([20.0 + gap, 104.0, 104.0])
    grid = maths._Grid.build(x, tx, T)
    tails = maths._Tails.sum(params, grid)
    rows = maths._RowIntegrals.of(params, (x, tx, T), (grid.row_lo, grid.row_hi), tails)
    for i in range(3):
        log_i = quad_integral((params[0] + x[i], params[2] + 1), params[1], params[3], tx[i], T[i])
        assert rows.log_value[i] == pytest.approx(log_i[0], rel=1e-12)
    ll, grad = maths.pareto_loglik(np.array(params), (x, tx, T))
    for i in range(3):
        ref_ll, ref_grad = reference_loglik(params, x[i], tx[i], T[i])
        assert abs(ll[i] - ref_ll) <= 1e-10
        np.testing.assert_allclose(grad[i], ref_grad, rtol=1e-8, atol=1e-9)


def test_integral_keeps_its_contract_for_the_covariate_model():
    """_integral(params, x, tx, T) with alpha and beta per row, alpha < 0 where alpha + tx
    > 0 (the time-varying covariate model shifts it so): log I and d log I / d (r, alpha,
    s, beta) per row, against quadrature. The rows reach every rule: few nodes, 10 nodes
    in parts, tanh-sinh."""
    rows = pd.DataFrame(
        [  # r, alpha, s, beta, x, tx, T
            (0.55, 10.6, 0.61, 11.7, 2, 30.0, 30.2),  # a day: 5 Gauss nodes
            (0.55, -29.5, 0.61, 11.7, 2, 30.0, 30.1),  # alpha + tx = 0.5
            (0.55, 10.6, 0.61, 11.7, 2, 10.0, 40.0),  # 10 nodes in parts
            (1.3, -4.0, 2.0, 0.8, 7, 5.0, 60.0),  # alpha + tx = 1, a long span
            (0.8, 3.0, 0.4, 25.0, 120, 1.0, 90.0),  # a heavy buyer: tanh-sinh
            (0.2, -0.9, 1.5, 0.3, 40, 1.0, 3.0),  # alpha + tx = 0.1, steep
        ],
        columns=["r", "alpha", "s", "beta", "x", "tx", "T"],
    )
    r, alpha, s, beta, x, tx, T = (rows[c].to_numpy(float) for c in rows.columns)
    integral = maths._integral((r, alpha, s, beta), x, tx, T)
    for i in range(len(rows)):
        log_i, log_a, inv_a, log_b, inv_b = quad_integral(
            (r[i] + x[i], s[i] + 1), alpha[i], beta[i], tx[i], T[i]
        )
        assert integral.log_value[i] == pytest.approx(log_i, rel=1e-12, abs=1e-11)
        assert integral.d_r[i] == pytest.approx(-log_a, rel=1e-10, abs=1e-11)
        assert integral.d_alpha[i] == pytest.approx(-(r[i] + x[i]) * inv_a, rel=1e-10)
        assert integral.d_s[i] == pytest.approx(-log_b, rel=1e-10, abs=1e-11)
        assert integral.d_beta[i] == pytest.approx(-(s[i] + 1) * inv_b, rel=1e-10)


def test_integral_of_an_empty_interval_is_zero():
    integral = maths._integral(
        (0.5, 10.0, 0.6, 12.0), np.array([3.0]), np.array([8.0]), np.array([8.0])
    )
    assert integral.log_value[0] == -np.inf
    assert integral.d_r[0] == integral.d_alpha[0] == integral.d_s[0] == integral.d_beta[0] == 0.0


def realistic_summary(n_customers, seed):
    """Customers acquired on any day of 78 weeks, two years observed, ages to the day."""
    sim = simulate_transactions(
        "bgnbd",
        n_customers=n_customers,
        params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        observation_weeks=104,
        acquisition_weeks=78,
        random_state=seed,
    )
    return rfm_summary(
        sim.transactions, freq="D", time_unit="W", observation_end=sim.observation_end
    )


@pytest.fixture(scope="module")
def realistic():
    summary = realistic_summary(20_000, seed=3)
    distinct = summary[COLUMNS].drop_duplicates()
    return tuple(distinct[c].to_numpy(float) for c in COLUMNS)


@pytest.mark.parametrize(
    "params", [(0.55, 10.6, 0.61, 11.7), (0.24, 4.4, 0.8, 2.4), (3.0, 0.4, 0.05, 90.0)]
)
def test_grid_agrees_with_row_by_row_integration(realistic, params):
    """Shared parameters go through the grid of (x, day) points; one parameter vector per
    row integrates each row alone. Same log-likelihood and gradient."""
    ll, grad = maths.pareto_loglik(np.array(params), realistic)
    ll_rows, grad_rows = row_by_row(params, realistic)
    np.testing.assert_allclose(ll, ll_rows, rtol=0, atol=1e-10)
    np.testing.assert_allclose(grad, grad_rows, rtol=1e-9, atol=1e-10)


def test_p_alive_on_the_grid_agrees_with_row_by_row(realistic):
    params = (0.55, 10.6, 0.61, 11.7)
    shared = maths.pareto_p_alive(params, *realistic)
    per_row = maths.pareto_p_alive(tuple(np.full(realistic[0].size, v) for v in params), *realistic)
    np.testing.assert_allclose(shared, per_row, rtol=1e-12, atol=1e-14)


def test_fit_on_realistic_data_finds_the_row_by_row_optimum(monkeypatch):
    """The fitted parameters do not depend on how the integral is organised (1e-6)."""
    summary = realistic_summary(5_000, seed=11)
    fast = ParetoNBDModel().fit(summary)
    slow_maths = attrs.evolve(ParetoNBDModel.maths, loglik=row_by_row)
    monkeypatch.setattr(ParetoNBDModel, "maths", slow_maths)
    slow = ParetoNBDModel().fit(summary)
    np.testing.assert_allclose(fast.params_, slow.params_, rtol=1e-6)
    assert fast.log_likelihood_ == pytest.approx(slow.log_likelihood_, abs=1e-8)


def test_heavy_buyers_on_the_grid_stay_finite_and_agree():
    """Thousands of purchases: tails spanning e^-3000 are summed in logs, not underflowed."""
    rng = np.random.default_rng(4)
    n = 300
    x = rng.choice([0.0, 1.0, 50.0, 800.0, 3000.0], n)
    T = rng.integers(26 * 7, 104 * 7, n) / 7
    tx = np.where(x > 0, np.floor(rng.uniform(0, 1, n) * T * 7) / 7, 0.0)
    params = (0.55, 10.6, 0.61, 11.7)
    ll, grad = maths.pareto_loglik(np.array(params), (x, tx, T))
    assert np.isfinite(ll).all()
    assert np.isfinite(grad).all()
    ll_rows, grad_rows = row_by_row(params, (x, tx, T))
    np.testing.assert_allclose(ll, ll_rows, rtol=1e-13, atol=1e-9)
    np.testing.assert_allclose(grad, grad_rows, rtol=1e-9, atol=1e-9)


def test_rows_with_no_interval_and_no_rows():
    """t_x = T leaves only 'alive at T'; an empty data set gives empty results."""
    params = (0.55, 10.6, 0.61, 11.7)
    r, alpha, s, beta = params
    x, t = np.array([0.0, 4.0]), np.array([30.0, 52.0])
    ll, grad = maths.pareto_loglik(np.array(params), (x, t, t))
    expected = (
        gammaln(r + x) - gammaln(r) + r * np.log(alpha / (alpha + t))
        + s * np.log(beta / (beta + t)) - x * np.log(alpha + t)
    )  # fmt: skip
    np.testing.assert_allclose(ll, expected, rtol=1e-14)
    np.testing.assert_allclose(grad[:, 3], s / beta - s / (beta + t), rtol=1e-12)
    empty = np.empty(0)
    ll, grad = maths.pareto_loglik(np.array(params), (empty, empty, empty))
    assert ll.shape == (0,)
    assert grad.shape == (0, 4)


def test_changed_data_is_never_served_a_stale_grid():
    """The grid is kept between calls on equal data; data changed in place is new data."""
    summary = realistic_summary(500, seed=5)
    data = tuple(summary[c].to_numpy(float, copy=True) for c in COLUMNS)
    params = np.array([0.55, 10.6, 0.61, 11.7])
    before, _ = maths.pareto_loglik(params, data)
    data[2][:] += 1.0  # everyone observed a week longer
    after, _ = maths.pareto_loglik(params, data)
    expected, _ = row_by_row(params, data)
    np.testing.assert_allclose(after, expected, rtol=0, atol=1e-10)
    assert not np.allclose(before, after)


def test_cdnow_grid_and_rows_agree():
    """CDNOW's weekly ages: the paper's data through both paths."""
    data = tuple(load_cdnow_summary()[c].to_numpy(float) for c in COLUMNS)
    params = (0.553, 10.578, 0.606, 11.669)
    ll, grad = maths.pareto_loglik(np.array(params), data)
    ll_rows, grad_rows = row_by_row(params, data)
    np.testing.assert_allclose(ll, ll_rows, rtol=0, atol=1e-10)
    np.testing.assert_allclose(grad, grad_rows, rtol=1e-9, atol=1e-10)
