"""Gamma-Gamma spend maths (Fader & Hardie 2013 note; Colombo & Jiang 1999).

A customer's purchase amounts are Gamma(p, nu), with nu ~ Gamma(q, gamma)
across customers; the mean of ``x`` purchases, ``zbar``, is then sufficient.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.special import digamma, gammaln

from ._fitting import Params

__all__ = ["gammagamma_conditional_spend", "gammagamma_loglik", "spend_terms"]

FloatArray = NDArray[np.float64]
_TABLE_LIMIT = 1_000_000  # largest purchase count for which a lookup table is built


def gammagamma_loglik(
    params: FloatArray, data: Sequence[FloatArray]
) -> tuple[FloatArray, FloatArray]:
    """Log-density of each customer's mean spend ``zbar`` over ``x`` purchases, with gradient.

    ``data`` is ``(x, zbar)``, optionally followed by the parameter-free terms
    of :func:`spend_terms` so that repeated evaluations (in a fit) skip them.
    """
    p, q, gamma = params
    x, zbar = data[0], data[1]
    x_log_xz, log_z = (data[2], data[3]) if len(data) > 2 else spend_terms(x, zbar)  # noqa: PLR2004
    px = p * x
    log_pool = np.log(gamma + x * zbar)
    lg_pq, lg_p, psi_pq, psi_p = _by_count(p, q, x)
    ll = lg_pq - lg_p - gammaln(q) + q * np.log(gamma) + p * x_log_xz - log_z - (px + q) * log_pool
    grad = np.empty((x.size, 3))
    grad[:, 0] = x * (psi_pq - psi_p - log_pool) + x_log_xz
    grad[:, 1] = psi_pq - digamma(q) + np.log(gamma) - log_pool
    grad[:, 2] = q / gamma - (px + q) / (gamma + x * zbar)
    return ll, grad


def spend_terms(x: FloatArray, zbar: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return the parameter-free terms of the log-density: x log(x zbar) and log zbar."""
    log_z = np.log(zbar)
    return x * (np.log(x) + log_z), log_z


def _by_count(
    p: float, q: float, x: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return log-gamma and digamma of p*x + q and of p*x, per row.

    Purchase counts are small whole numbers shared by many customers, so the
    special functions are evaluated once per distinct count and looked up.
    """
    counts = x.astype(np.int64)
    if counts.size and counts.max() <= _TABLE_LIMIT and np.array_equal(counts, x):
        grid = p * np.arange(counts.max() + 1, dtype=np.float64)
        grid[0] = np.nan  # x = 0 carries no spend and is never fitted
        tables = (gammaln(grid + q), gammaln(grid), digamma(grid + q), digamma(grid))
        return tables[0][counts], tables[1][counts], tables[2][counts], tables[3][counts]
    px = p * x
    return gammaln(px + q), gammaln(px), digamma(px + q), digamma(px)


def gammagamma_conditional_spend(params: Params, x: FloatArray, zbar: FloatArray) -> FloatArray:
    """E[spend per purchase | x, zbar]: a weighted mean of the population mean and zbar."""
    p, q, gamma = params
    return np.asarray(p * (gamma + x * zbar) / (p * x + q - 1.0), dtype=np.float64)
