"""BG/NBD and MBG/NBD maths: log-likelihoods with analytic gradients, and predictions.

Notation of Fader, Hardie & Lee (2005): a customer has ``x`` repeat purchases,
the last at ``tx``, observed for ``T``; purchase rates are Gamma(r, alpha) and
dropout probabilities Beta(a, b). The modified model (Batislam, Denizel &
Filiztekin 2007) also lets a customer drop out right after the first purchase.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1
from scipy.stats import nbinom

from ._fitting import Params

__all__ = [
    "bgnbd_conditional_purchases",
    "bgnbd_expected_purchases",
    "bgnbd_loglik",
    "bgnbd_p_alive",
    "bgnbd_pmf",
    "bgnbd_purchases_if_alive",
    "mbgnbd_conditional_purchases",
    "mbgnbd_expected_purchases",
    "mbgnbd_loglik",
    "mbgnbd_p_alive",
    "mbgnbd_pmf",
    "mbgnbd_purchases_if_alive",
]

FloatArray = NDArray[np.float64]
FloatLike = float | FloatArray
_TABLE_LIMIT = 1_000_000  # largest purchase count for which lookup tables are built
_NEAR_ONE = 1e-8  # below this |a - 1| the closed form loses precision; take the limit


def _loglik(
    params: FloatArray, data: Sequence[FloatArray], *, modified: bool
) -> tuple[FloatArray, FloatArray]:
    """Shared body: the two models differ in one shift (``m``) and the x = 0 term."""
    r, alpha, a, b = params
    x, tx, T = (np.asarray(v, dtype=np.float64) for v in data)
    m = 1.0 if modified else 0.0
    lg_rx, psi_rx, lg_bxm, lg_abxm, psi_bxm, psi_abxm = _count_terms(r, a, b, x + m, x)
    log_alpha_t, log_alpha_tx = np.log(alpha + T), np.log(alpha + tx)
    a1 = lg_rx - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a) + lg_bxm - lg_abxm - betaln(a, b)
    a3 = -(r + x) * log_alpha_t
    dropped = np.ones_like(x, dtype=bool) if modified else x > 0
    denominator = np.where(dropped, b + x - 1 + m, 1.0)
    a4 = np.where(dropped, np.log(a) - np.log(denominator) - (r + x) * log_alpha_tx, -np.inf)
    mix = np.logaddexp(a3, a4)
    w3, w4 = np.exp(a3 - mix), np.exp(a4 - mix)
    ll = a1 + a2 + mix
    grad = np.empty((x.size, 4))
    grad[:, 0] = psi_rx - digamma(r) + np.log(alpha) - w3 * log_alpha_t - w4 * log_alpha_tx
    grad[:, 1] = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + tx))
    grad[:, 2] = digamma(a + b) - psi_abxm + w4 / a
    grad[:, 3] = psi_bxm - psi_abxm - digamma(b) + digamma(a + b) - w4 / denominator
    return ll, grad


def _count_terms(
    r: FloatLike, a: FloatLike, b: FloatLike, shifted: FloatArray, x: FloatArray
) -> tuple[FloatArray, ...]:
    """Log-gamma and digamma terms that depend on a customer only through x.

    With shared parameters and whole-number counts (the usual case), each is
    evaluated once per distinct count and looked up: a summary of a million
    customers has a few hundred distinct counts.
    """
    shared = all(np.ndim(v) == 0 for v in (r, a, b))
    counts = x.astype(np.int64)
    if shared and counts.size and counts.max() <= _TABLE_LIMIT and np.array_equal(counts, x):
        grid = np.arange(counts.max() + 1, dtype=np.float64)
        step = shifted.flat[0] - x.flat[0]  # m, the same for every row
        tables = _terms(r, a, b, grid + step, grid)
        return tuple(table[counts] for table in tables)
    return _terms(r, a, b, shifted, x)


def _terms(
    r: FloatLike, a: FloatLike, b: FloatLike, shifted: FloatArray, x: FloatArray
) -> tuple[FloatArray, ...]:
    return (
        gammaln(r + x),
        digamma(r + x),
        gammaln(b + shifted),
        gammaln(a + b + shifted),
        digamma(b + shifted),
        digamma(a + b + shifted),
    )


def bgnbd_loglik(params: FloatArray, data: Sequence[FloatArray]) -> tuple[FloatArray, FloatArray]:
    """BG/NBD log-likelihood per row and its gradient in (r, alpha, a, b)."""
    return _loglik(params, data, modified=False)


def mbgnbd_loglik(params: FloatArray, data: Sequence[FloatArray]) -> tuple[FloatArray, FloatArray]:
    """MBG/NBD log-likelihood per row and its gradient in (r, alpha, a, b)."""
    return _loglik(params, data, modified=True)


def _log_odds_dead(
    params: Params, x: FloatArray, tx: FloatArray, T: FloatArray, *, modified: bool
) -> FloatArray:
    r, alpha, a, b = params
    m = 1.0 if modified else 0.0
    denominator = np.where(x + m > 0, b + x - 1 + m, 1.0)
    odds = np.log(a) - np.log(denominator) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    return np.where(x + m > 0, odds, -np.inf)


def bgnbd_p_alive(params: Params, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """P(alive at T | x, tx, T) under BG/NBD (FHL 2005, eq. 11)."""
    return np.asarray(expit(-_log_odds_dead(params, x, tx, T, modified=False)), dtype=np.float64)


def mbgnbd_p_alive(params: Params, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """P(alive at T | x, tx, T) under MBG/NBD."""
    return np.asarray(expit(-_log_odds_dead(params, x, tx, T, modified=True)), dtype=np.float64)


def _growth(a: FloatLike, c: FloatLike, first: FloatLike, z: FloatLike) -> FloatArray:
    """(1 - (1-z)^(a-1) 2F1(first, a-1; c; z)) / (a-1), with the a -> 1 limit handled.

    This is the Euler-transformed bracket of the BG/NBD expectations: the
    transform keeps the hypergeometric arguments small, so heavy buyers
    (large x) neither overflow nor lose precision. Arguments broadcast, so
    each customer may have their own parameters.
    """
    a_, c_, first_, z_ = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (a, c, first, z))
    )
    near = np.abs(a_ - 1.0) < _NEAR_ONE
    shift = np.where(near, 1.0, a_ - 1.0)
    value = (1.0 - np.exp(shift * np.log1p(-z_)) * hyp2f1(first_, shift, c_, z_)) / shift
    if near.any():  # the limit a -> 1, by a symmetric difference around it
        h = 1e-5
        up = _growth(1.0 + h, c_[near], first_[near], z_[near])
        down = _growth(1.0 - h, c_[near], first_[near], z_[near])
        value = np.array(value, dtype=np.float64)
        value[near] = (up + down) / 2
    return np.asarray(value, dtype=np.float64)


def bgnbd_purchases_if_alive(
    params: Params, t: float, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """E[purchases in (T, T+t] | x, tx, T, alive at T] under BG/NBD."""
    del tx  # given alive at T, the last purchase time no longer matters
    r, alpha, a, b = params
    z = t / (alpha + T + t)
    return (a + b + x - 1.0) * _growth(a, a + b + x - 1.0, a + b - 1.0 - r, z)


def bgnbd_conditional_purchases(
    params: Params, t: float, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """E[purchases in (T, T+t] | x, tx, T] under BG/NBD (FHL 2005, eq. 10)."""
    return bgnbd_purchases_if_alive(params, t, x, tx, T) * bgnbd_p_alive(params, x, tx, T)


def bgnbd_expected_purchases(params: Params, t: FloatArray) -> FloatArray:
    """E[X(t)]: expected repeat purchases of a new customer by time t (FHL 2005, eq. 9)."""
    r, alpha, a, b = params
    z = t / (alpha + t)
    return (a + b - 1.0) * _growth(a, np.full_like(z, a + b - 1.0), a + b - 1.0 - r, z)


def mbgnbd_purchases_if_alive(
    params: Params, t: float, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """E[purchases in (T, T+t] | x, tx, T, alive at T] under MBG/NBD."""
    del tx  # given alive at T, the last purchase time no longer matters
    r, alpha, a, b = params
    z = t / (alpha + T + t)
    return (a + b + x) * _growth(a, a + b + x, a + b - r, z)


def mbgnbd_conditional_purchases(
    params: Params, t: float, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """E[purchases in (T, T+t] | x, tx, T] under MBG/NBD (Batislam et al. 2007)."""
    return mbgnbd_purchases_if_alive(params, t, x, tx, T) * mbgnbd_p_alive(params, x, tx, T)


def mbgnbd_expected_purchases(params: Params, t: FloatArray) -> FloatArray:
    """E[X(t)] under MBG/NBD: expected repeat purchases of a new customer by time t.

    A new customer may drop out right after the first purchase, so this is
    the conditional expectation at (0, 0, 0) times P(alive) = b / (a + b).
    """
    r, alpha, a, b = params
    z = t / (alpha + t)
    return b * _growth(a, a + b, a + b - r, z)


def _nbd_log_pmf(r: float, alpha: float, t: float, n: FloatArray) -> FloatArray:
    """Log P(N = n) for the negative binomial count of a Gamma(r, alpha) Poisson by time t."""
    return np.asarray(nbinom.logpmf(n, r, alpha / (alpha + t)), dtype=np.float64)


def _nbd_at_least(r: float, alpha: float, t: float, n: FloatArray) -> FloatArray:
    """P(N >= n) for the same count (1 for n = 0)."""
    return np.asarray(nbinom.sf(n - 1, r, alpha / (alpha + t)), dtype=np.float64)


def bgnbd_pmf(params: Params, n: FloatArray, t: float) -> FloatArray:
    """P(X(t) = n): repeat purchases of a new customer by time t (FHL 2005, eq. 8)."""
    r, alpha, a, b = (float(v) for v in params)
    alive = np.exp(betaln(a, b + n) - betaln(a, b) + _nbd_log_pmf(r, alpha, t, n))
    left = np.exp(betaln(a + 1.0, b + np.maximum(n, 1.0) - 1.0) - betaln(a, b))
    return np.asarray(alive + np.where(n > 0, left * _nbd_at_least(r, alpha, t, n), 0.0))


def mbgnbd_pmf(params: Params, n: FloatArray, t: float) -> FloatArray:
    """P(X(t) = n) under MBG/NBD, where dropout may also follow the first purchase."""
    r, alpha, a, b = (float(v) for v in params)
    alive = np.exp(betaln(a, b + n + 1.0) - betaln(a, b) + _nbd_log_pmf(r, alpha, t, n))
    left = np.exp(betaln(a + 1.0, b + n) - betaln(a, b))
    return np.asarray(alive + left * _nbd_at_least(r, alpha, t, n), dtype=np.float64)
