"""Static covariates: each customer's own parameters, scaled by exp(coefficients . z).

As in CLVTools (Fader & Hardie 2007 note, "Incorporating time-invariant
covariates into the Pareto/NBD and BG/NBD models"): the purchase covariates
scale the Gamma rate of the purchase process, alpha_i = alpha exp(-g . z_i),
so that the mean purchase rate r / alpha_i grows by exp(g . z_i); the dropout
covariates scale beta_i = beta exp(-g . z_i) (Pareto/NBD), or a_i and b_i by
exp(g . z_i) (BG/NBD, MBG/NBD).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from attrs import frozen
from numpy.typing import NDArray

from ._fitting import LogLikelihood

__all__ = ["CovariateLink", "covariate_loglik", "row_params"]

FloatArray = NDArray[np.float64]


@frozen
class CovariateLink:
    """Which base parameters the covariates scale, and in which direction.

    Each entry is ``(index of the base parameter, sign)``: the parameter is
    multiplied by ``exp(sign * g . z)``.
    """

    purchase: tuple[tuple[int, float], ...]
    dropout: tuple[tuple[int, float], ...]


def row_params(
    theta: FloatArray,
    covariates: Sequence[FloatArray],
    link: CovariateLink,
    *,
    n_base: int,
    n_purchase: int,
) -> FloatArray:
    """Per-customer base parameters, shape (n_base, n), from theta = (base, g_p, g_d)."""
    base = theta[:n_base]
    n = covariates[0].size
    params = np.repeat(base[:, None], n, axis=1)
    z = np.stack(covariates, axis=1)
    for scaled, coefficients, columns in (
        (link.purchase, theta[n_base : n_base + n_purchase], z[:, :n_purchase]),
        (link.dropout, theta[n_base + n_purchase :], z[:, n_purchase:]),
    ):
        if coefficients.size:
            score = columns @ coefficients
            for j, sign in scaled:
                params[j] *= np.exp(sign * score)
    return params


def covariate_loglik(
    loglik: LogLikelihood, link: CovariateLink, *, n_base: int, n_purchase: int
) -> LogLikelihood:
    """Wrap a per-row log-likelihood so its parameters are (base, g_purchase, g_dropout).

    The data are the model's columns followed by the purchase and then the
    dropout covariate columns. Gradients follow by the chain rule:
    d ll / d g_k = sum over scaled parameters j of (d ll / d p_j) p_j sign_j z_k.
    """

    def wrapped(theta: FloatArray, data: Sequence[FloatArray]) -> tuple[FloatArray, FloatArray]:
        columns, covariates = data[:3], data[3:]
        params = row_params(theta, covariates, link, n_base=n_base, n_purchase=n_purchase)
        ll, per_row = loglik(params, columns)
        grad = np.empty((ll.size, theta.size))
        grad[:, :n_base] = per_row * params.T / theta[:n_base]
        z = np.stack(covariates, axis=1)
        for scaled, block, cols in (
            (link.purchase, slice(n_base, n_base + n_purchase), z[:, :n_purchase]),
            (link.dropout, slice(n_base + n_purchase, theta.size), z[:, n_purchase:]),
        ):
            if cols.shape[1]:
                score_grad = sum(per_row[:, j] * params[j] * sign for j, sign in scaled)
                grad[:, block] = np.asarray(score_grad)[:, None] * cols
        return ll, grad

    return wrapped
