"""Shifted-beta-geometric (sBG) maths: contract duration with heterogeneous churn.

Notation of Fader & Hardie (2007): each customer churns at the end of every
period with their own probability theta ~ Beta(alpha, beta), so the period
``T`` of churn (1, 2, ...) is shifted-geometric given theta. Everything follows
from the survivor function S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta).

The same process is the dropout half of BG/BB, which is why
:func:`sbg_survival_sum` (expected periods alive over a window) lives here
and is shared with :mod:`._bgbb`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaln, digamma, hyp2f1, polygamma

__all__ = [
    "sbg_churn_probability",
    "sbg_discounted_residual_lifetime",
    "sbg_loglik",
    "sbg_retention_rate",
    "sbg_survival",
    "sbg_survival_sum",
]

FloatArray = NDArray[np.float64]
_DIRECT_TERMS = 32  # windows this short are summed term by term
_SERIES_TERMS = 30  # |g| / c <= 1/4, so the series is exact to 4**-30 ~ 1e-18


def sbg_loglik(params: FloatArray, data: Sequence[FloatArray]) -> tuple[FloatArray, FloatArray]:
    """Return the sBG log-likelihood per row and its gradient in (alpha, beta).

    A row is ``(period, churned)``: churned in ``period`` (P(T = period)) when
    ``churned`` is 1, still active after ``period`` (S(period)) when it is 0.
    """
    alpha, beta = params
    t, churned = data
    died = churned > 0
    # P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta);  S(t) = B(alpha, beta + t) / B(...)
    a = alpha + died
    b = beta + t - died
    ll = betaln(a, b) - betaln(alpha, beta)
    psi_ab = digamma(alpha + beta)
    psi_all = digamma(alpha + beta + t)  # a + b = alpha + beta + t in both cases
    grad = np.empty((t.size, 2))
    grad[:, 0] = digamma(a) - digamma(alpha) + psi_ab - psi_all
    grad[:, 1] = digamma(b) - digamma(beta) + psi_ab - psi_all
    return ll, grad


def sbg_survival(params: Sequence[float], t: FloatArray) -> FloatArray:
    """S(t) = P(T > t): the share of a new cohort still active after ``t`` periods."""
    alpha, beta = params
    return np.asarray(np.exp(betaln(alpha, beta + t) - betaln(alpha, beta)), dtype=np.float64)


def sbg_churn_probability(params: Sequence[float], t: FloatArray) -> FloatArray:
    """P(T = t): the share of a new cohort lost in period ``t`` (t >= 1)."""
    alpha, beta = params
    log_p = betaln(alpha + 1.0, beta + t - 1.0) - betaln(alpha, beta)
    return np.asarray(np.exp(log_p), dtype=np.float64)


def sbg_retention_rate(params: Sequence[float], t: FloatArray) -> FloatArray:
    """r_t = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1), rising with ``t``.

    It rises not because anyone grows more loyal but because the cohort's
    churn-prone members leave first (FH 2007, eq. 5).
    """
    alpha, beta = params
    return np.asarray((beta + t - 1.0) / (alpha + beta + t - 1.0), dtype=np.float64)


def _log_growth(g: float, c: FloatArray, h: FloatArray) -> FloatArray:
    """Return sum_{k<h} log1p(g / (c + k)) / g, accurate for any g > -1, c > 1, whole h.

    Differences of log-gamma functions give the same sum but lose every digit
    when g is near 0 and c is large (scipy's betaln is only accurate to about
    1e-13 absolute there), so the sum is taken three ways: term by term for
    short windows, by the Taylor series of log-gamma in g (a series in
    polygammas, ratio |g| / c) when g is small against c, and by betaln
    otherwise, where there is nothing left to cancel.
    """
    q = np.zeros_like(c)
    short = h <= _DIRECT_TERMS
    if short.any():
        x = c[short, None] + np.arange(_DIRECT_TERMS)
        terms = 1.0 / x if g == 0 else np.log1p(g / x) / g
        q[short] = np.where(np.arange(_DIRECT_TERMS) < h[short, None], terms, 0.0).sum(axis=1)
    series = ~short & (abs(g) <= c / 4)
    if series.any():
        low, high = c[series], c[series] + h[series]
        coefficient, total = 1.0, np.zeros_like(low)
        for j in range(1, _SERIES_TERMS + 1):
            coefficient /= j  # g^(j-1) / j!
            total += coefficient * (polygamma(j - 1, high) - polygamma(j - 1, low))
            coefficient *= g
        q[series] = total
    rest = ~short & ~series  # here |g| > c / 4 > 1 / 4
    if rest.any():
        q[rest] = (betaln(g, c[rest]) - betaln(g, c[rest] + h[rest])) / g
    return q


def sbg_survival_sum(
    params: Sequence[float],
    start: ArrayLike,
    horizon: ArrayLike,
    log_factor: ArrayLike = 0.0,
) -> FloatArray:
    """Sum of S(t) over t = start + 1 ... start + horizon, optionally times exp(log_factor).

    ``1 + sbg_survival_sum(params, 0, h - 1)`` is E[min(T, h)], the expected
    number of periods a new customer stays within a window; in BG/BB it is the
    expected number of opportunities a customer is alive for. Closed form, so
    long horizons cost no more than short ones; ``horizon = inf`` gives the
    full sum, infinite when alpha <= 1 (the mean lifetime does not exist).

    B(a - 1, b) - B(a - 1, b + 1) = B(a, b) telescopes the sum to
    S(start + 1) (alpha + beta + start) (1 - R) / (alpha - 1), with
    R = prod_{k < h} (c + k) / (c + k + alpha - 1) and c = beta + start + 1;
    (1 - R) / (alpha - 1) is computed without cancellation, also at alpha = 1.

    Parameters
    ----------
    params
        ``(alpha, beta)`` of the churn-probability distribution.
    start, horizon
        Broadcastable arrays of whole numbers; ``start`` >= 0, ``horizon`` >= 0
        (or ``inf``).
    log_factor
        Added in log space before exponentiating, so a tiny posterior weight
        times a large sum neither underflows nor overflows.

    Returns
    -------
    numpy.ndarray
        The weighted sums, broadcast over the inputs.
    """
    alpha, beta = params
    g = alpha - 1.0
    start_, horizon_, factor = np.broadcast_arrays(
        np.asarray(start, dtype=np.float64),
        np.asarray(horizon, dtype=np.float64),
        np.asarray(log_factor, dtype=np.float64),
    )
    shape = start_.shape
    c = (beta + start_ + 1.0).ravel()
    h = horizon_.ravel()
    finite = np.isfinite(h)
    fraction = np.full_like(c, 1.0 / g if g > 0 else np.inf)  # (1 - R) / g as h -> inf
    q = _log_growth(g, c[finite], h[finite])
    fraction[finite] = q if g == 0 else -np.expm1(-g * q) / g
    log_first = betaln(alpha, c) - betaln(alpha, beta) + np.log(c + g) + factor.ravel()
    value = np.where(fraction > 0, np.exp(log_first) * fraction, 0.0)
    return np.asarray(value.reshape(shape), dtype=np.float64)


def sbg_discounted_residual_lifetime(
    params: Sequence[float], renewals: FloatArray, discount_rate: float
) -> FloatArray:
    """DERL: expected discounted future payments of a customer with ``renewals`` renewals.

    Valued just before the next renewal decision, in units of one period's
    payment (FH 2010, eq. 6, with n - 1 = ``renewals``):
    (beta + n - 1) / (alpha + beta + n - 1) * 2F1(1, beta + n; alpha + beta + n; 1 / (1 + d)).
    """
    alpha, beta = params
    b = beta + renewals  # beta + n - 1 in the paper's notation
    z = 1.0 / (1.0 + discount_rate)
    value = b / (alpha + b) * hyp2f1(1.0, b + 1.0, alpha + b + 1.0, z)
    return np.asarray(value, dtype=np.float64)
