"""Pareto/NBD with time-varying covariates: likelihood, gradient, P(alive), forecasts.

The model of Bachmann, Meierer & Naef (2021, Marketing Science 40(4)): each
customer has a baseline purchase rate lambda ~ Gamma(r, alpha) and dropout
rate mu ~ Gamma(s, beta); in covariate period j the rates are lambda * A_j
and mu * C_j, with A_j = exp(g_p . z_j) and C_j = exp(g_d . z_j). Time 0 is
the customer's first purchase. With B(t) and D(t) the cumulated exposures
(integrals of A and C from 0 to t), the likelihood of x repeat purchases at
t_1..t_x, observed up to T, is

    L = Gamma(r+x) alpha^r beta^s / Gamma(r) * prod_j A(t_j)
        * [ (alpha+B(T))^-(r+x) (beta+D(T))^-s
            + s * integral_tx^T C(y) (alpha+B(y))^-(r+x) (beta+D(y))^-(s+1) dy ].

Covariates are piecewise constant, so (0, T] is cut into *pieces* on which A
and C are constant (a covariate period, cut again at t_x). On a piece the
substitution u = D(y) - D(lo) turns the integral into the one the plain
Pareto/NBD needs, (a+u)^-(r+x) (b+u)^-(s+1) over (0, D(hi) - D(lo)), with
a = (alpha+B(lo)) C/A and b = beta + D(lo) (both bases at the piece's start,
so no difference of large exposures cancels): the plain model's integrator
(in log space) does every piece, and its parameter derivatives give the
exact gradient through the chain rule. With zero effects this is the plain
model; with covariates constant per customer it is the static-covariate model.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd
from attrs import frozen
from numpy.typing import NDArray
from scipy.special import digamma, gammaln

from ._fitting import Params
from ._paretonbd import _decay, _Integral, _integral

__all__ = ["Pieces", "dyncov_loglik", "dyncov_p_alive", "dyncov_purchases_if_alive"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


@frozen
class Pieces:
    """Each customer's observation window cut where a covariate changes, and at t_x.

    Attributes
    ----------
    x
        Repeat purchases per customer, shape (n,).
    purchase_sum
        Per customer, the purchase covariates summed over the periods of the
        repeat purchases, shape (n, P): log prod_j A(t_j) = g_p . purchase_sum.
    owner
        The customer of each piece (sorted, pieces in time order), shape (m,).
    length
        Piece lengths in model time (> 0), shape (m,).
    after
        Whether the piece lies after the last purchase (in (t_x, T]), shape (m,).
    purchase
        Purchase covariates on each piece, shape (m, P).
    dropout
        Dropout covariates on each piece, shape (m, Q).
    """

    x: FloatArray
    purchase_sum: FloatArray
    owner: IntArray
    length: FloatArray
    after: NDArray[np.bool_]
    purchase: FloatArray
    dropout: FloatArray

    @property
    def n_customers(self) -> int:
        """Number of customers."""
        return int(self.x.size)


def _gauss_legendre(n: int) -> tuple[FloatArray, FloatArray]:
    """Nodes and weights of the n-point Gauss-Legendre rule on (0, 1)."""
    nodes, weights = np.polynomial.legendre.leggauss(n)
    return (nodes + 1.0) / 2.0, weights / 2.0


# (nodes, weights, largest width / pole distance, largest log-integrand variation):
# the rule's error falls like rho^(-2n), rho set by how far the integrand's poles (at -c
# and -beta) are from the piece in half-widths; both rules are exact to ~1e-15 within
# their limits. A covariate period is short next to alpha + B and beta + D, so most
# pieces take the short rule; long ones (merged periods, a static covariate) the
# tanh-sinh rule of the plain model.
_RULES = (
    (*_gauss_legendre(6), 0.25, 1.0),
    (*_gauss_legendre(12), 1.0, 5.0),
)


def _smooth_integral(  # noqa: PLR0917 - the integrand's parameters, positional as in _integral
    r: float,
    a: FloatArray,
    s: float,
    b: FloatArray,
    x: FloatArray,
    width: FloatArray,
    rule: tuple[FloatArray, FloatArray],
) -> _Integral:
    """Integrate the plain model's integrand over short pieces by a Gauss-Legendre rule."""
    nodes, weights = rule
    u = width[:, None] * nodes[None, :]
    log_a, log_b = np.log(a[:, None] + u), np.log(b[:, None] + u)
    log_f = -(r + x)[:, None] * log_a - (s + 1.0) * log_b
    peak = log_f.max(axis=1)
    terms = np.exp(log_f - peak[:, None]) * weights[None, :]
    total = terms.sum(axis=1)
    p = terms / total[:, None]
    return _Integral(
        log_value=peak + np.log(total * width),
        d_r=-(p * log_a).sum(axis=1),
        d_alpha=-(r + x) * (p / (a[:, None] + u)).sum(axis=1),
        d_s=-(p * log_b).sum(axis=1),
        d_beta=-(s + 1.0) * (p / (b[:, None] + u)).sum(axis=1),
    )


def _piece_integral(  # noqa: PLR0917 - as _smooth_integral
    r: float, a: FloatArray, s: float, b: FloatArray, x: FloatArray, width: FloatArray
) -> _Integral:
    """Integrate (a+u)^-(r+x) (b+u)^-(s+1) over (0, width): the cheapest rule that is exact.

    Both bases are given at the piece's start, so neither is a difference of
    large numbers (a dropout exposure far larger than the purchase one would
    otherwise cancel to zero).
    """
    reach = np.maximum(width / a, width / b)
    variation = (r + x) * np.log1p(width / a) + (s + 1.0) * np.log1p(width / b)
    fields: dict[str, FloatArray] = {
        name: np.empty(x.size) for name in ("log_value", "d_r", "d_alpha", "d_s", "d_beta")
    }
    left = np.ones(x.size, dtype=bool)
    for nodes, weights, max_reach, max_variation in _RULES:
        rows = left & (reach <= max_reach) & (variation <= max_variation)
        left &= ~rows
        if rows.any():
            part = _smooth_integral(r, a[rows], s, b[rows], x[rows], width[rows], (nodes, weights))
            for name, values in fields.items():
                values[rows] = getattr(part, name)
    if left.any():
        part = _integral(
            cast("Params", (r, a[left], s, b[left])),
            x[left],
            np.zeros(int(left.sum())),
            width[left],
        )
        for name, values in fields.items():
            values[left] = getattr(part, name)
    return _Integral(**fields)


def _split(
    theta: FloatArray, n_purchase: int
) -> tuple[float, float, float, float, FloatArray, FloatArray]:
    r, alpha, s, beta = (float(v) for v in theta[:4])
    return r, alpha, s, beta, theta[4 : 4 + n_purchase], theta[4 + n_purchase :]


def _segment_cumsum(values: FloatArray, owner: IntArray, *, exclusive: bool = False) -> FloatArray:
    """Cumulative sums along axis 0 restarted for each owner (owners sorted, contiguous).

    Each owner's sums are accumulated from that owner's values alone, so a
    customer's exposure never carries the rounding of the customers before
    it (one running total over everyone, less the total before the owner,
    loses a customer's digits to a large neighbour). ``exclusive`` gives the
    sum before each row (0 at an owner's first), exactly, not as the
    inclusive sum less the row.
    """
    flat = values.reshape(values.shape[0], -1)
    if flat.shape[0] == 0 or flat.shape[1] == 0:
        return np.zeros(values.shape)
    total = pd.DataFrame(flat).groupby(owner, sort=False).cumsum().to_numpy(dtype=np.float64)
    if exclusive:
        first = np.ones(owner.size, dtype=bool)
        first[1:] = owner[1:] != owner[:-1]
        total = np.concatenate([np.zeros((1, flat.shape[1])), total[:-1]])
        total[first] = 0.0
    return np.asarray(total.reshape(values.shape), dtype=np.float64)


def _per_owner(values: FloatArray, owner: IntArray, n: int) -> FloatArray:
    """Sum of ``values`` (1-D or 2-D) per owner."""
    if values.ndim == 1:
        return np.bincount(owner, weights=values, minlength=n).astype(np.float64)
    out = np.zeros((n, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(owner, weights=values[:, j], minlength=n)
    return out


@frozen
class _Exposure:
    """Rates and cumulated exposures on every piece, with their covariate derivatives."""

    A: FloatArray
    C: FloatArray
    b_lo: FloatArray
    d_lo: FloatArray
    db_lo: FloatArray  # d B(lo) / d g_p, (m, P)
    dd_lo: FloatArray  # d D(lo) / d g_d, (m, Q)
    b_total: FloatArray  # B(T) per customer
    d_total: FloatArray
    db_total: FloatArray
    dd_total: FloatArray


def _exposure(pieces: Pieces, g_p: FloatArray, g_d: FloatArray) -> _Exposure:
    n, owner = pieces.n_customers, pieces.owner
    A = np.exp(pieces.purchase @ g_p)
    C = np.exp(pieces.dropout @ g_d)
    a_len, c_len = A * pieces.length, C * pieces.length
    da_len = a_len[:, None] * pieces.purchase
    dc_len = c_len[:, None] * pieces.dropout
    return _Exposure(
        A=A,
        C=C,
        b_lo=_segment_cumsum(a_len, owner, exclusive=True),
        d_lo=_segment_cumsum(c_len, owner, exclusive=True),
        db_lo=_segment_cumsum(da_len, owner, exclusive=True),
        dd_lo=_segment_cumsum(dc_len, owner, exclusive=True),
        b_total=_per_owner(a_len, owner, n),
        d_total=_per_owner(c_len, owner, n),
        db_total=_per_owner(da_len, owner, n),
        dd_total=_per_owner(dc_len, owner, n),
    )


@frozen
class _Dead:
    """log of the 'left before T' term per customer, and its gradient (n, k)."""

    log_value: FloatArray
    grad: FloatArray


def _dead(theta: FloatArray, pieces: Pieces, exp: _Exposure, n_purchase: int) -> _Dead:
    """S * sum over the pieces after t_x of the piece integrals, in logs, with gradient."""
    r, alpha, s, beta, _, _ = _split(theta, n_purchase)
    n, k = pieces.n_customers, theta.size
    keep = np.flatnonzero(pieces.after & (pieces.length > 0))  # an empty piece adds nothing
    owner = pieces.owner[keep]
    x = pieces.x[owner]
    A, C = exp.A[keep], exp.C[keep]
    log_rho = np.log(A) - np.log(C)
    rho = A / C
    width = C * pieces.length[keep]  # D(hi) - D(lo)
    # On the piece, with u = D(y) - D(lo): alpha + B(y) = rho (shifted + u) and
    # beta + D(y) = base + u, so the integral is the plain model's over (0, width).
    shifted = (alpha + exp.b_lo[keep]) / rho
    base = beta + exp.d_lo[keep]
    integral = _piece_integral(r, shifted, s, base, x, width)
    log_j = -(r + x) * log_rho + integral.log_value
    # d log I / d width: the normalised integrand at the piece's end.
    log_f_hi = -(r + x) * np.log(shifted + width) - (s + 1.0) * np.log(base + width)
    i_hi = np.exp(log_f_hi - integral.log_value)
    grad_j = np.zeros((keep.size, k))
    grad_j[:, 0] = -log_rho + integral.d_r
    grad_j[:, 1] = integral.d_alpha / rho
    grad_j[:, 2] = integral.d_s
    grad_j[:, 3] = integral.d_beta
    zp, zd = pieces.purchase[keep], pieces.dropout[keep]
    d_shifted = integral.d_alpha[:, None]
    # shifted moves with rho (both effects) and B(lo); base with D(lo); width with C.
    grad_j[:, 4 : 4 + n_purchase] = -(r + x)[:, None] * zp + d_shifted * (
        exp.db_lo[keep] / rho[:, None] - shifted[:, None] * zp
    )
    grad_j[:, 4 + n_purchase :] = (
        (r + x)[:, None] + d_shifted * shifted[:, None] + (i_hi * width)[:, None]
    ) * zd + integral.d_beta[:, None] * exp.dd_lo[keep]
    # log-sum-exp of the pieces per customer, and each piece's share of it.
    peak = np.full(n, -np.inf)
    np.maximum.at(peak, owner, log_j)
    has = np.isfinite(peak)
    share = np.exp(log_j - peak[owner])
    total = np.bincount(owner, weights=share, minlength=n)
    log_sum = np.where(has, peak + np.log(np.where(has, total, 1.0)), -np.inf)
    weight = share / np.where(has, total, 1.0)[owner]
    grad = _per_owner(weight[:, None] * grad_j, owner, n)
    grad[:, 2] += 1.0 / s
    return _Dead(log_value=np.log(s) + log_sum, grad=grad)


def _alive(
    theta: FloatArray, x: FloatArray, exp: _Exposure, n_purchase: int
) -> tuple[FloatArray, FloatArray]:
    """Log of the 'alive at T' term per customer, and its gradient."""
    r, alpha, s, beta, _, _ = _split(theta, n_purchase)
    a_t, d_t = alpha + exp.b_total, beta + exp.d_total
    value = -(r + x) * np.log(a_t) - s * np.log(d_t)
    grad = np.zeros((x.size, theta.size))
    grad[:, 0] = -np.log(a_t)
    grad[:, 1] = -(r + x) / a_t
    grad[:, 2] = -np.log(d_t)
    grad[:, 3] = -s / d_t
    grad[:, 4 : 4 + n_purchase] = -((r + x) / a_t)[:, None] * exp.db_total
    grad[:, 4 + n_purchase :] = -(s / d_t)[:, None] * exp.dd_total
    return value, grad


def dyncov_loglik(theta: FloatArray, pieces: Pieces) -> tuple[FloatArray, FloatArray]:
    """Log-likelihood per customer and its gradient in (r, alpha, s, beta, g_p, g_d)."""
    theta = np.asarray(theta, dtype=np.float64)
    n_purchase = pieces.purchase.shape[1]
    r, alpha, s, beta, g_p, g_d = _split(theta, n_purchase)
    x = pieces.x
    exp = _exposure(pieces, g_p, g_d)
    alive, grad_alive = _alive(theta, x, exp, n_purchase)
    dead = _dead(theta, pieces, exp, n_purchase)
    bracket = np.logaddexp(alive, dead.log_value)
    w_alive = np.exp(alive - bracket)[:, None]
    w_dead = np.exp(dead.log_value - bracket)[:, None]
    ll = (
        gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        + pieces.purchase_sum @ g_p + bracket
    )  # fmt: skip
    grad = w_alive * grad_alive + w_dead * dead.grad
    grad[:, 0] += digamma(r + x) - digamma(r) + np.log(alpha)
    grad[:, 1] += r / alpha
    grad[:, 2] += np.log(beta)
    grad[:, 3] += s / beta
    grad[:, 4 : 4 + n_purchase] += pieces.purchase_sum
    return ll, grad


def dyncov_p_alive(theta: FloatArray, pieces: Pieces) -> FloatArray:
    """P(alive at T | history, covariates) per customer."""
    theta = np.asarray(theta, dtype=np.float64)
    n_purchase = pieces.purchase.shape[1]
    _, _, _, _, g_p, g_d = _split(theta, n_purchase)
    exp = _exposure(pieces, g_p, g_d)
    alive, _ = _alive(theta, pieces.x, exp, n_purchase)
    dead = _dead(theta, pieces, exp, n_purchase)
    return np.asarray(np.exp(alive - np.logaddexp(alive, dead.log_value)), dtype=np.float64)


def exposure_at_end(theta: FloatArray, pieces: Pieces) -> tuple[FloatArray, FloatArray]:
    """B(T) and D(T) per customer: the cumulated purchase and dropout exposures."""
    theta = np.asarray(theta, dtype=np.float64)
    n_purchase = pieces.purchase.shape[1]
    _, _, _, _, g_p, g_d = _split(theta, n_purchase)
    exp = _exposure(pieces, g_p, g_d)
    return exp.b_total, exp.d_total


def dyncov_purchases_if_alive(theta: FloatArray, history: Pieces, future: Pieces) -> FloatArray:
    """E[purchases on each future piece | history, alive at T], per piece.

    Given alive at T, lambda ~ Gamma(r+x, alpha+B(T)) and mu ~ Gamma(s, beta+D(T));
    the expected purchases over a future piece with rates A, C starting at
    exposure D_lo are E[lambda] * A * integral ((beta+D(T)) / (beta+D(y)))^s dy,
    which is closed form on each piece. With an empty history (x = 0, no
    exposure) this is a new customer's expectation.
    """
    theta = np.asarray(theta, dtype=np.float64)
    n_purchase = history.purchase.shape[1]
    r, alpha, s, beta, g_p, g_d = _split(theta, n_purchase)
    past = _exposure(history, g_p, g_d)
    owner = future.owner
    log_a, log_c = future.purchase @ g_p, future.dropout @ g_d
    c_len = np.exp(log_c) * future.length
    d_lo = past.d_total[owner] + _segment_cumsum(c_len, owner, exclusive=True)
    base_lo, base_hi = beta + d_lo, beta + d_lo + c_len
    base_t = (beta + past.d_total)[owner]
    # Each piece: (A/C) (beta+D(T))^s (beta+D_lo)^(1-s) times the decay term below, in
    # logs: with a huge s or dropout rate the factors overflow and vanish in turn.
    # (beta+D(T)) / (beta+D_lo) <= 1: the dropout clock only moves on.
    log_kept = s * np.minimum(np.log(base_t) - np.log(base_lo), 0.0)
    log_piece = log_a - log_c + np.log(base_lo) + log_kept
    decay = _decay(s, np.log(base_lo) - np.log(base_hi))
    log_rate = np.log(r + history.x) - np.log(alpha + past.b_total)
    return np.asarray(np.exp(log_rate[owner] + log_piece) * decay, dtype=np.float64)
