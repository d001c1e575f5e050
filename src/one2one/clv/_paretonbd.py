"""Pareto/NBD maths that stays finite for heavy buyers.

The likelihood (Schmittlein, Morrison & Colombo 1987; Fader & Hardie 2005
note) is usually written with Gauss hypergeometric functions whose terms
overflow once a customer has hundreds of purchases. It is equivalently

    L = Gamma(r+x) alpha^r beta^s / Gamma(r)
        * [ (alpha+T)^-(r+x) (beta+T)^-s  +  s * I ],
    I = integral from t_x to T of (alpha+y)^-(r+x) (beta+y)^-(s+1) dy,

the first term for a customer alive at T, the second for one who left at
some y in (t_x, T). ``I`` is computed here in log space by tanh-sinh
quadrature after a change of variable that absorbs the (alpha+y)^-(r+x) peak,
so its size never matters; its parameter derivatives are integrals of the
same integrand, evaluated on the same nodes, which gives exact analytic
gradients of the computed likelihood.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from attrs import frozen
from numpy.typing import NDArray
from scipy.special import digamma, expit, gammaln, logsumexp

from ._fitting import Params

__all__ = [
    "pareto_conditional_purchases",
    "pareto_expected_purchases",
    "pareto_loglik",
    "pareto_p_alive",
    "pareto_pmf",
    "pareto_purchases_if_alive",
]

FloatArray = NDArray[np.float64]
_S_NEAR_ONE = 1e-10  # below this |s - 1| the decay term takes its limit


def _tanh_sinh(step: float, reach: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Tanh-sinh (double-exponential) rule on (0, 1): log t, log(1 - t), log-weights.

    Nodes crowd towards both ends doubly exponentially, so a peak of any width
    at an end of the interval (a heavy buyer's, or a small beta's) is resolved.
    Logs of t and 1 - t are kept because nodes near 1 round to 1.0 in floats.
    """
    tau = np.arange(-reach, reach + step / 2, step)
    z = np.pi * np.sinh(tau)
    log_t, log_1mt = np.log(expit(z)), np.log(expit(-z))
    return log_t, log_1mt, np.log(step * np.pi * np.cosh(tau)) + log_t + log_1mt


_LOG_T, _LOG_1MT, _LOG_W = _tanh_sinh(step=0.1, reach=4.0)
_MIN_DECAY = 1e-3  # below this r+x-1, integrate in log(alpha+y) directly


@frozen
class _Integral:
    """log I, and E[d log f / d param] under the normalised integrand, per row."""

    log_value: FloatArray
    d_r: FloatArray
    d_alpha: FloatArray
    d_s: FloatArray
    d_beta: FloatArray


def _integral(params: Params, x: FloatArray, tx: FloatArray, T: FloatArray) -> _Integral:
    """Integrate (alpha+y)^-A (beta+y)^-B over (tx, T), A = r+x, B = s+1, per row.

    Per row, the factor that decays faster at ``tx`` ("first") is absorbed by
    the change of variable u = log((p1+y)/(p1+tx)), t = (1 - e^(-k u)) / (1 -
    e^(-k U)), k = A1 - 1; what remains decays no faster, so it is smooth in t.
    """
    r, alpha, s, beta = (np.broadcast_to(np.asarray(v, dtype=np.float64), x.shape) for v in params)
    exponent_a = r + x
    exponent_b = s + 1.0
    alpha_first = exponent_a / (alpha + tx) >= exponent_b / (beta + tx)
    p1 = np.where(alpha_first, alpha, beta)
    a1 = np.where(alpha_first, exponent_a, exponent_b)
    c = p1 + tx
    span = np.log1p((T - tx) / c)  # u runs over [0, span]
    k = a1 - 1.0
    steep = k > _MIN_DECAY
    safe_k = np.where(steep, k, 1.0)[:, None]
    log_t, log_1mt = _LOG_T[None, :], _LOG_1MT[None, :]
    decay = safe_k * span[:, None]
    q = -np.expm1(-decay)
    # 1 - t q = (1 - t) + t e^(-k U), in logs so that nodes next to 1 stay exact.
    u_steep = -np.logaddexp(log_1mt, log_t - decay) / safe_k
    log_jac_steep = np.log(np.where(q > 0, q, 1.0) / safe_k) + np.zeros_like(log_t)
    u_flat = span[:, None] * np.exp(log_t)  # a gentle factor: keep exp(-k u) in the integrand
    log_jac_flat = -k[:, None] * u_flat + np.log(np.where(span > 0, span, 1.0))[:, None]
    u = np.where(steep[:, None], u_steep, u_flat)
    log_jac = np.where(steep[:, None], log_jac_steep, log_jac_flat)
    y = tx[:, None] + c[:, None] * np.expm1(u)
    log_alpha_y, log_beta_y = np.log(alpha[:, None] + y), np.log(beta[:, None] + y)
    second = np.where(
        alpha_first[:, None], exponent_b[:, None] * log_beta_y, exponent_a[:, None] * log_alpha_y
    )
    log_terms = log_jac - second + _LOG_W[None, :]
    log_sum = logsumexp(log_terms, axis=1)
    empty = span <= 0
    log_value = np.where(empty, -np.inf, (1.0 - a1) * np.log(c) + log_sum)
    p = np.exp(log_terms - np.where(empty, 0.0, log_sum)[:, None])
    return _Integral(
        log_value=log_value,
        d_r=-(p * log_alpha_y).sum(axis=1),
        d_alpha=-exponent_a * (p * np.exp(-log_alpha_y)).sum(axis=1),
        d_s=-(p * log_beta_y).sum(axis=1),
        d_beta=-(s + 1.0) * (p * np.exp(-log_beta_y)).sum(axis=1),
    )


def _log_alive_dead(
    params: Params, x: FloatArray, tx: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray, _Integral]:
    """Log of the 'alive at T' and 'left before T' terms of the likelihood bracket."""
    r, alpha, s, beta = params
    x, tx, T = (np.asarray(v, dtype=np.float64) for v in (x, tx, T))
    integral = _integral(params, x, tx, T)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    dead = np.log(s) + integral.log_value
    return alive, dead, integral


def pareto_loglik(params: FloatArray, data: Sequence[FloatArray]) -> tuple[FloatArray, FloatArray]:
    """Pareto/NBD log-likelihood per row and its gradient in (r, alpha, s, beta)."""
    r, alpha, s, beta = params
    x, tx, T = (np.asarray(v, dtype=np.float64) for v in data)
    alive, dead, integral = _log_alive_dead(params, x, tx, T)
    bracket = np.logaddexp(alive, dead)
    w_alive, w_dead = np.exp(alive - bracket), np.exp(dead - bracket)
    ll = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + bracket
    grad = np.empty((x.size, 4))
    grad[:, 0] = (
        digamma(r + x) - digamma(r) + np.log(alpha)
        - w_alive * np.log(alpha + T) + w_dead * integral.d_r
    )  # fmt: skip
    grad[:, 1] = r / alpha - w_alive * (r + x) / (alpha + T) + w_dead * integral.d_alpha
    grad[:, 2] = np.log(beta) - w_alive * np.log(beta + T) + w_dead * (1.0 / s + integral.d_s)
    grad[:, 3] = s / beta - w_alive * s / (beta + T) + w_dead * integral.d_beta
    return ll, grad


def pareto_p_alive(params: Params, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """P(alive at T | x, tx, T): the share of the likelihood from 'still alive'."""
    alive, dead, _ = _log_alive_dead(params, x, tx, T)
    return np.asarray(expit(alive - dead), dtype=np.float64)


def _decay(s: float | FloatArray, log_ratio: FloatArray) -> FloatArray:
    """(1 - exp((s-1) * log_ratio)) / (s-1), equal to -log_ratio at s = 1."""
    shift = np.asarray(s, dtype=np.float64) - 1.0
    near = np.abs(shift) < _S_NEAR_ONE
    safe = np.where(near, 1.0, shift)
    value = np.where(near, -log_ratio, -np.expm1(safe * log_ratio) / safe)
    return np.asarray(value, dtype=np.float64)


def pareto_purchases_if_alive(
    params: Params, t: float, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """E[purchases in (T, T+t] | x, tx, T, alive at T]: posterior rate x expected active time."""
    del tx  # given alive at T, the last purchase time no longer matters
    r, alpha, s, beta = params
    rate = (r + x) / (alpha + T)
    return rate * (beta + T) * _decay(s, np.log((beta + T) / (beta + T + t)))


def pareto_conditional_purchases(
    params: Params, t: float, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """E[purchases in (T, T+t] | x, tx, T] (Schmittlein et al. 1987, eq. 22)."""
    return pareto_purchases_if_alive(params, t, x, tx, T) * pareto_p_alive(params, x, tx, T)


def pareto_expected_purchases(params: Params, t: FloatArray) -> FloatArray:
    """E[X(t)]: expected purchases of a new customer by time t."""
    r, alpha, s, beta = params
    return (r / alpha) * beta * _decay(s, np.log(beta / (beta + t)))


def pareto_pmf(params: Params, n: FloatArray, t: float) -> FloatArray:
    """P(X(t) = n) for a new customer: alive throughout, or gone at some tau < t.

    P = NBD(n; t) S(t) + integral over (0, t) of NBD(n; tau) f(tau) d tau, with
    S(t) = (beta / (beta + t))^s and f the lifetime density s beta^s / (beta + tau)^(s+1);
    the integral uses the same tanh-sinh rule as the likelihood, in log space.
    """
    r, alpha, s, beta = (float(v) for v in params)
    counts = np.asarray(n, dtype=np.float64)[:, None]
    tau = t * np.exp(_LOG_T)[None, :]  # nodes on (0, t)
    log_nbd = (
        gammaln(r + counts) - gammaln(r) - gammaln(counts + 1.0)
        + r * np.log(alpha / (alpha + tau)) + counts * np.log(tau / (alpha + tau))
    )  # fmt: skip
    log_density = np.log(s) + s * np.log(beta) - (s + 1.0) * np.log(beta + tau)
    gone = np.exp(logsumexp(log_nbd + log_density + _LOG_W[None, :], axis=1) + np.log(t))
    at_end = (
        gammaln(r + counts[:, 0]) - gammaln(r) - gammaln(counts[:, 0] + 1.0)
        + r * np.log(alpha / (alpha + t)) + counts[:, 0] * np.log(t / (alpha + t))
        + s * np.log(beta / (beta + t))
    )  # fmt: skip
    return np.asarray(np.exp(at_end) + gone, dtype=np.float64)
