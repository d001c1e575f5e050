"""Gamma-Gamma spend maths (Fader, Hardie & Jerath 2005 note; Colombo & Jiang 1999).

A customer's purchase amounts are Gamma(p, nu), with nu ~ Gamma(q, gamma)
across customers; the mean of ``x`` purchases, ``zbar``, is then sufficient.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.special import digamma, gammaln

from ._fitting import Params

__all__ = ["gammagamma_conditional_spend", "gammagamma_loglik"]

FloatArray = NDArray[np.float64]


def gammagamma_loglik(
    params: FloatArray, data: Sequence[FloatArray]
) -> tuple[FloatArray, FloatArray]:
    """Log-density of each customer's mean spend ``zbar`` over ``x`` purchases, with gradient."""
    p, q, gamma = params
    x, zbar = data
    px = p * x
    log_pool = np.log(gamma + x * zbar)
    ll = (
        gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
        + (px - 1.0) * np.log(zbar) + px * np.log(x) - (px + q) * log_pool
    )  # fmt: skip
    grad = np.empty((x.size, 3))
    psi_pq = digamma(px + q)
    grad[:, 0] = x * (psi_pq - digamma(px) + np.log(zbar) + np.log(x) - log_pool)
    grad[:, 1] = psi_pq - digamma(q) + np.log(gamma) - log_pool
    grad[:, 2] = q / gamma - (px + q) / (gamma + x * zbar)
    return ll, grad


def gammagamma_conditional_spend(params: Params, x: FloatArray, zbar: FloatArray) -> FloatArray:
    """E[spend per purchase | x, zbar]: a weighted mean of the population mean and zbar."""
    p, q, gamma = params
    return np.asarray(p * (gamma + x * zbar) / (p * x + q - 1.0), dtype=np.float64)
