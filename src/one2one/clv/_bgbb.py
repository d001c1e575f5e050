"""BG/BB maths: log-likelihood with analytic gradient, and predictions.

Notation of Fader, Hardie & Shang (2010): at each of ``n`` repeat
opportunities a customer who is still alive transacts with probability
p ~ Beta(alpha, beta), and dies at the start of each opportunity with
probability theta ~ Beta(gamma, delta). A customer is summarised by ``x``
transactions, the last at opportunity ``tx``. The dropout process alone is the
shifted-beta-geometric model, whose survival sums :mod:`._sbg` provides.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaln, digamma, logsumexp

from ._sbg import sbg_survival_sum

__all__ = [
    "bgbb_conditional_purchases",
    "bgbb_expected_purchases",
    "bgbb_loglik",
    "bgbb_p_alive",
]

FloatArray = NDArray[np.float64]


def _log_terms(
    params: Sequence[float] | FloatArray, x: FloatArray, tx: FloatArray, n: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Log of each term of the likelihood (FHS 2010, eq. 5), one column per latent path.

    Column 0: alive through all ``n`` opportunities. Column 1 + i: alive for
    ``tx + i`` opportunities, then dead (i < n - tx; later columns are -inf,
    so rows with different gaps share one rectangular array).

    Returns
    -------
    tuple
        The log terms (rows, paths) and the opportunities alive on each path.
    """
    alpha, beta, gamma, delta = params
    gaps = n - tx
    i = np.arange(int(gaps.max()) if gaps.size else 0, dtype=np.float64)
    alive = np.concatenate([n[:, None], tx[:, None] + i], axis=1)
    died = np.zeros(alive.shape[1])
    died[1:] = 1.0
    xb = x[:, None]
    log_terms = (
        betaln(alpha + xb, beta + alive - xb)
        - betaln(alpha, beta)
        + betaln(gamma + died, delta + alive)
        - betaln(gamma, delta)
    )
    possible = np.concatenate([np.ones((n.size, 1), dtype=bool), i < gaps[:, None]], axis=1)
    return np.where(possible, log_terms, -np.inf), alive


def bgbb_loglik(params: FloatArray, data: Sequence[FloatArray]) -> tuple[FloatArray, FloatArray]:
    """BG/BB log-likelihood per row and its gradient in (alpha, beta, gamma, delta).

    Each term is a product of beta functions, so its gradient is a difference
    of digammas; the likelihood's gradient is their average weighted by each
    term's share of the likelihood (the posterior probability of its path).
    """
    alpha, beta, gamma, delta = params
    x, tx, n = data
    log_terms, alive = _log_terms(params, x, tx, n)
    ll = logsumexp(log_terms, axis=1)
    share = np.exp(log_terms - ll[:, None])
    died = 1.0 - share[:, 0]
    alive_died = alive.copy()
    alive_died[:, 1:] += 1.0  # a + b of B(gamma + 1, delta + alive) on the dropout paths
    psi_ab = digamma(alpha + beta)
    psi_gd = digamma(gamma + delta)
    mean_psi_abm = (share * digamma(alpha + beta + alive)).sum(axis=1)
    mean_psi_gdm = (share * digamma(gamma + delta + alive_died)).sum(axis=1)
    grad = np.empty((x.size, 4))
    grad[:, 0] = digamma(alpha + x) - digamma(alpha) + psi_ab - mean_psi_abm
    grad[:, 1] = (
        (share * digamma(beta + alive - x[:, None])).sum(axis=1)
        - digamma(beta)
        + psi_ab
        - mean_psi_abm
    )
    # digamma(gamma + 1) - digamma(gamma) = 1 / gamma, on the dropout paths only
    grad[:, 2] = died / gamma + psi_gd - mean_psi_gdm
    grad[:, 3] = (
        (share * digamma(delta + alive)).sum(axis=1) - digamma(delta) + psi_gd - mean_psi_gdm
    )
    return ll, grad


def _log_likelihood(
    params: Sequence[float], x: FloatArray, tx: FloatArray, n: FloatArray
) -> FloatArray:
    log_terms, _ = _log_terms(params, x, tx, n)
    return np.asarray(logsumexp(log_terms, axis=1), dtype=np.float64)


def bgbb_p_alive(
    params: Sequence[float], x: FloatArray, tx: FloatArray, n: FloatArray
) -> FloatArray:
    """P(alive at opportunity n + 1 | x, tx, n) (FHS 2010, eq. 11)."""
    alpha, beta, gamma, delta = params
    log_alive = (
        betaln(alpha + x, beta + n - x)
        - betaln(alpha, beta)
        + betaln(gamma, delta + n + 1.0)
        - betaln(gamma, delta)
    )
    return np.asarray(np.exp(log_alive - _log_likelihood(params, x, tx, n)), dtype=np.float64)


def bgbb_conditional_purchases(
    params: Sequence[float], t: float, x: FloatArray, tx: FloatArray, n: FloatArray
) -> FloatArray:
    """E[transactions in opportunities n + 1 ... n + t | x, tx, n] (FHS 2010, eq. 13).

    The posterior mean of p * (1 - theta)^s summed over the ``t`` future
    opportunities; the sum over s is the sBG survival sum, in closed form.
    """
    alpha, beta, gamma, delta = params
    log_factor = (
        betaln(alpha + x + 1.0, beta + n - x)
        - betaln(alpha, beta)
        - _log_likelihood(params, x, tx, n)
    )
    return sbg_survival_sum((gamma, delta), n, t, log_factor)


def bgbb_expected_purchases(params: Sequence[float], n: FloatArray) -> FloatArray:
    """E[X(n)]: expected transactions of a new customer in ``n`` opportunities (FHS 2010, eq. 7).

    E[p] = alpha / (alpha + beta) times the expected opportunities alive.
    """
    alpha, beta, gamma, delta = params
    log_mean_p = np.log(alpha) - np.log(alpha + beta)
    return sbg_survival_sum((gamma, delta), 0.0, n, log_mean_p)
