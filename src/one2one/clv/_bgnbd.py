"""BG/NBD and MBG/NBD maths: log-likelihoods with analytic gradients, and predictions.

Notation of Fader, Hardie & Lee (2005): a customer has ``x`` repeat purchases,
the last at ``tx``, observed for ``T``; purchase rates are Gamma(r, alpha) and
dropout probabilities Beta(a, b). The modified model (Batislam, Denizel &
Filiztekin 2007) also lets a customer drop out right after the first purchase.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1, polygamma

from ._fitting import Params

__all__ = [
    "GroupedLikelihood",
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
_BLOCK = 16_384  # rows per block of the grouped likelihood: its working arrays stay in cache
_MERGE_SPACE = 4  # merge equal buyer rows when at most this many possible rows per row exist


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


class GroupedLikelihood:
    """A BG/NBD or MBG/NBD summary arranged so the likelihood costs little per evaluation.

    The log-likelihood of a customer is ``c(x) - (r + x) log(alpha + T)`` plus, when
    the customer may have dropped out, ``softplus(u)`` with ``u = log a - log(b + x
    - 1 + m) + (r + x) log((alpha + T) / (alpha + tx))`` (``m`` = 1 for MBG/NBD). So
    the log-gamma and digamma terms are evaluated once per distinct count, the logs
    once per distinct ``T`` and ``tx``, and sums over customers are weighted sums of
    those tables; only ``softplus(u)`` and its derivatives are computed per customer
    with a repeat purchase (the others depend on ``T`` alone). A daily summary of a
    million customers has ~100 counts, ~550 lengths and ~700 recencies, but ~480,000
    repeat buyers, nearly all different; a weekly one has so few possible (x, tx, T)
    that equal buyers are merged (a weight each) first. :meth:`evaluate` returns the
    total log-likelihood with its analytic gradient and Hessian, for Newton's method.

    Parameters
    ----------
    x, tx, T
        Frequency (whole numbers >= 0, integer or float), recency and age per
        row, already validated.
    weights
        Customers per row (``None``: one each).
    modified
        MBG/NBD instead of BG/NBD.
    """

    def __init__(
        self,
        x: FloatArray,
        tx: FloatArray,
        T: FloatArray,
        weights: FloatArray | None,
        *,
        modified: bool,
    ) -> None:
        counts = np.asarray(x)
        if counts.dtype.kind not in "iu":  # whole numbers (validated), stored as floats
            counts = counts.astype(np.int64)
        buyers = np.flatnonzero(counts > 0)
        self._shift = 1.0 if modified else 0.0
        lengths, self._lengths = _factorize(np.asarray(T, dtype=np.float64))
        w = None if weights is None else np.asarray(weights, dtype=np.float64)
        w_buyers = None if w is None else w[buyers]
        buyer_lengths = lengths[buyers]
        everyone = np.bincount(lengths, weights=w, minlength=self._lengths.size)
        bought = np.bincount(buyer_lengths, weights=w_buyers, minlength=self._lengths.size)
        self._none_by_length: FloatArray = (everyone - bought).astype(np.float64)
        self._grid, codes = _distinct_counts(counts[buyers])  # the grid starts at 0
        recency, self._recencies = _factorize(np.asarray(tx, dtype=np.float64)[buyers])
        space = self._grid.size * self._lengths.size * self._recencies.size
        if space <= _MERGE_SPACE * buyers.size:  # few possible rows: merge the equal ones
            key = (codes * self._lengths.size + buyer_lengths) * self._recencies.size + recency
            summed = np.bincount(key, weights=w_buyers, minlength=space)
            present = np.flatnonzero(summed)
            rest, recency = np.divmod(present, self._recencies.size)
            codes, buyer_lengths = np.divmod(rest, self._lengths.size)
            w_buyers = summed[present].astype(np.float64)
        self._set_buyers(codes, self._grid[codes], buyer_lengths, recency, w_buyers)

    def _set_buyers(
        self,
        codes: NDArray[np.intp],
        x: FloatArray,
        lengths: NDArray[np.intp],
        recency: NDArray[np.intp],
        w: FloatArray | None,
    ) -> None:
        """Store the repeat buyers' rows and every total that depends on them."""
        self._codes, self._x, self._length_codes, self._recency_codes, self._w = (
            codes,
            x,
            lengths,
            recency,
            w,
        )
        n_grid, n_lengths = self._grid.size, self._lengths.size
        by_count = np.bincount(codes, weights=w, minlength=n_grid).astype(np.float64)
        by_count[0] += self._none_by_length.sum()  # the grid's first count is 0
        self._by_count = by_count
        buyers_by_length = np.bincount(lengths, weights=w, minlength=n_lengths)
        self._by_length: FloatArray = self._none_by_length + buyers_by_length
        purchases = x if w is None else x * w
        self._purchases_by_length: FloatArray = np.bincount(
            lengths, weights=purchases, minlength=n_lengths
        ).astype(np.float64, copy=False)
        self.total_weight = float(self._by_length.sum())
        self._scratch: FloatArray | None = None

    def thinned(self, step: int) -> GroupedLikelihood:
        """Return the same summary with every ``step``-th repeat buyer, weighted ``step`` times.

        Customers without a repeat purchase are kept whole (they cost nothing per
        row), so the thinned likelihood approximates the full one closely and its
        optimum makes a good start for the full fit.
        """
        thin = object.__new__(GroupedLikelihood)
        thin._shift, thin._grid, thin._lengths, thin._recencies = (
            self._shift,
            self._grid,
            self._lengths,
            self._recencies,
        )
        thin._none_by_length = self._none_by_length
        rows = slice(None, None, step)
        w = np.full(self._x[rows].size, float(step)) if self._w is None else self._w[rows] * step
        thin._set_buyers(
            self._codes[rows],
            self._x[rows],
            self._length_codes[rows],
            self._recency_codes[rows],
            w,
        )
        return thin

    @property
    def n_buyers(self) -> int:
        """Rows with a repeat purchase: what one evaluation costs, per row."""
        return int(self._x.size)

    def length_table(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Return the distinct ages ``T``, the customers (weights) and their purchases at each."""
        return self._lengths, self._by_length, self._purchases_by_length

    def evaluate(self, params: Params) -> tuple[float, FloatArray, FloatArray]:
        """Return the total log-likelihood, its gradient and Hessian in (r, alpha, a, b)."""
        r, alpha, a, b = (float(v) for v in params)
        m, grid = self._shift, self._grid
        rate, fresh, whole = r + grid, b + grid + m, a + b + grid + m
        log_alpha = np.log(alpha)
        per_count = (
            gammaln(rate)
            - gammaln(r)
            + r * log_alpha
            + gammaln(fresh)
            - gammaln(whole)
            - gammaln(b)
            + gammaln(a + b)
        )
        by_count, by_length = self._by_count, self._by_length
        exposure = r * by_length + self._purchases_by_length  # sum of w (r + x) per length
        log_t, inv_t = np.log(alpha + self._lengths), 1.0 / (alpha + self._lengths)
        w_total = self.total_weight
        ll = float(by_count @ per_count - exposure @ log_t)
        grad = np.array(
            [
                by_count @ (digamma(rate) - digamma(r) + log_alpha) - by_length @ log_t,
                w_total * r / alpha - exposure @ inv_t,
                by_count @ (digamma(a + b) - digamma(whole)),
                by_count @ (digamma(fresh) - digamma(whole) - digamma(b) + digamma(a + b)),
            ]
        )
        both = by_count @ (polygamma(1, a + b) - polygamma(1, whole))
        hess = np.zeros((4, 4))
        hess[0, 0] = by_count @ (polygamma(1, rate) - polygamma(1, r))
        hess[0, 1] = w_total / alpha - by_length @ inv_t
        hess[1, 1] = -w_total * r / alpha**2 + exposure @ (inv_t * inv_t)
        hess[2, 2] = hess[2, 3] = both
        hess[3, 3] = by_count @ (
            polygamma(1, fresh) - polygamma(1, whole) - polygamma(1, b) + polygamma(1, a + b)
        )
        # The dropout branch: u = log a - log(b + x - 1 + m) + (r + x) (log_T - log_tx).
        can_drop = grid + m > 0
        inverse_gap = np.where(can_drop, 1.0 / np.where(can_drop, b + grid - 1.0 + m, 1.0), 0.0)
        offset = np.log(a) + np.log(inverse_gap, where=can_drop, out=np.zeros_like(grid))
        parts = []
        if m and self._none_by_length.any():  # MBG/NBD: x = 0 (tx = 0) may have dropped too
            ones = np.ones_like(log_t)
            parts.append(
                _dropout(
                    self._none_by_length,
                    k=r * ones,
                    gap=log_t - log_alpha,
                    inv_t=inv_t,
                    inv_tx=ones / alpha,
                    offset=offset[0] * ones,
                    beta=inverse_gap[0] * ones,
                    a=a,
                )
            )
        if self._x.size:
            log_tx, inv_tx = np.log(alpha + self._recencies), 1.0 / (alpha + self._recencies)
            parts.append(
                self._buyers(
                    r=r,
                    a=a,
                    log_t=log_t,
                    inv_t=inv_t,
                    log_tx=log_tx,
                    inv_tx=inv_tx,
                    offset=offset,
                    inverse_gap=inverse_gap,
                )
            )
        for part_ll, part_grad, part_hess in parts:
            ll += part_ll
            grad += part_grad
            hess += part_hess
        hess = np.triu(hess) + np.triu(hess, 1).T
        return ll, grad, hess

    def _buyers(
        self,
        *,
        r: float,
        a: float,
        log_t: FloatArray,
        inv_t: FloatArray,
        log_tx: FloatArray,
        inv_tx: FloatArray,
        offset: FloatArray,
        inverse_gap: FloatArray,
    ) -> tuple[float, FloatArray, FloatArray]:
        """Sum :func:`_dropout`'s terms over the repeat buyers, a block of rows at a time.

        Every pass over the rows runs on a block of ``_BLOCK`` rows whose ten
        working arrays stay in the processor's cache, instead of on arrays of
        all buyers that go to memory and back at every pass (memory traffic,
        not arithmetic, is what a pass costs at this size). The dot products are
        numpy's (``einsum``), not BLAS's, whose threads only spin on a busy
        machine for vectors this short.
        """
        n, w = self._x.size, self._w
        size = min(n, _BLOCK)
        if self._scratch is None or self._scratch.shape[1] != size:
            self._scratch = np.empty((7, size))
        ll, grad, hess = 0.0, np.zeros(4), np.zeros((4, 4))
        sums = np.zeros(17)
        for begin in range(0, n, size):
            rows = slice(begin, min(begin + size, n))
            m = rows.stop - rows.start
            gap, slope, both, k, tmp, u, s = (row[:m] for row in self._scratch)
            lengths, recency, codes = (
                self._length_codes[rows],
                self._recency_codes[rows],
                self._codes[rows],
            )
            np.take(log_t, lengths, out=gap, mode="wrap")
            gap -= np.take(log_tx, recency, out=tmp, mode="wrap")  # log(alpha+T) - log(alpha+tx)
            np.take(inv_t, lengths, out=both, mode="wrap")
            np.subtract(both, np.take(inv_tx, recency, out=tmp, mode="wrap"), out=slope)
            both += tmp  # 1/(alpha+T) + 1/(alpha+tx)
            np.add(self._x[rows], r, out=k)
            np.multiply(k, gap, out=u)
            u += np.take(offset, codes, out=tmp, mode="wrap")
            e = np.exp(np.negative(u, out=tmp), out=tmp)  # u > -60 in the bounds: no overflow
            np.add(e, 1.0, out=s)
            np.reciprocal(s, out=s)  # expit(u)
            e *= s  # 1 - s, without cancellation
            wc = None if w is None else w[rows]
            ll += _dot(wc, u)  # log(1 + e^u) = u + log(1 + e^-u) = u - log(s)
            ll -= _dot(wc, np.log(s, out=u))
            ws = s if wc is None else np.multiply(s, wc, out=s)
            k *= slope  # du/dalpha = (r + x) (1/(alpha+T) - 1/(alpha+tx))
            beta = np.take(inverse_gap, codes, out=u, mode="wrap")
            q = np.multiply(ws, e, out=tmp)  # w s (1 - s): the curvature of softplus
            sums += _block_sums(ws, q, gap=gap, slope=slope, both=both, k=k, beta=beta)
        (sum_ws, ws_gap, ws_k, ws_beta, ws_slope, ws_k_both, ws_beta2, q_gap2, q_gap_k,
         q_gap, q_gap_beta, q_k2, q_k, q_k_beta, sum_q, q_beta, q_beta2) = sums  # fmt: skip
        grad[:] = [ws_gap, ws_k, sum_ws / a, -ws_beta]
        hess[0] = [q_gap2, q_gap_k + ws_slope, q_gap / a, -q_gap_beta]
        hess[1, 1:] = [q_k2 - ws_k_both, q_k / a, -q_k_beta]
        hess[2, 2:] = [(sum_q - sum_ws) / a**2, -q_beta / a]
        hess[3, 3] = q_beta2 + ws_beta2
        return ll, grad, hess


def _dropout(
    w: FloatArray | None,
    *,
    k: FloatArray,
    gap: FloatArray,
    inv_t: FloatArray,
    inv_tx: FloatArray,
    offset: FloatArray,
    beta: FloatArray,
    a: float,
) -> tuple[float, FloatArray, FloatArray]:
    """Sum of ``w softplus(u)`` over rows, with its gradient and (upper) Hessian.

    ``u = offset + k gap``, where ``k = r + x``, ``gap = log(alpha + T) - log(alpha +
    tx)``, ``offset = log a - log(b + x - 1 + m)`` and ``beta = 1 / (b + x - 1 + m)``;
    so du/dr = gap, du/dalpha = k (1/(alpha+T) - 1/(alpha+tx)), du/da = 1/a and
    du/db = -beta.
    """
    u = k * gap
    u += offset
    s = expit(u)
    softplus = u - np.log(s)  # log(1 + e^u); u > -60 within the parameter bounds, so s > 0
    ws = s if w is None else w * s
    ll = float(softplus.sum() if w is None else w @ softplus)
    slope = inv_t - inv_tx
    k_slope = k * slope  # du/dalpha
    ws_k_slope = ws * k_slope
    sum_ws = float(ws.sum())
    grad = np.array([ws @ gap, ws_k_slope.sum(), sum_ws / a, -(ws @ beta)])
    q = 1.0 - s  # the curvature of softplus is s (1 - s)
    q *= ws
    q_gap, q_k_slope, q_beta = q * gap, q * k_slope, q * beta
    sum_q = float(q.sum())
    hess = np.zeros((4, 4))
    hess[0] = [q_gap @ gap, q_gap @ k_slope, q_gap.sum() / a, -(q_gap @ beta)]
    hess[1, 1:] = [q_k_slope @ k_slope, q_k_slope.sum() / a, -(q_k_slope @ beta)]
    hess[2, 2:] = [sum_q / a**2, -q_beta.sum() / a]
    hess[3, 3] = q_beta @ beta
    # plus s times the second derivatives of u
    hess[0, 1] += ws @ slope
    # d2u/dalpha2 = k (1/(alpha+tx)^2 - 1/(alpha+T)^2) = -k slope (1/(alpha+T) + 1/(alpha+tx))
    hess[1, 1] -= ws_k_slope @ (inv_t + inv_tx)
    hess[2, 2] -= sum_ws / a**2
    hess[3, 3] += (ws * beta) @ beta
    return ll, grad, hess


def _block_sums(
    ws: FloatArray,
    q: FloatArray,
    *,
    gap: FloatArray,
    slope: FloatArray,
    both: FloatArray,
    k: FloatArray,
    beta: FloatArray,
) -> FloatArray:
    """Return the 17 sums over one block that the dropout branch's derivatives need.

    ``slope`` is used as scratch once its own sum is taken.
    """
    ws_slope = _dot(ws, slope)
    ws_k_both = _dot(np.multiply(ws, k, out=slope), both)
    ws_beta2 = _dot(np.multiply(ws, beta, out=slope), beta)
    q_gap = np.multiply(q, gap, out=slope)
    first = [_dot(q_gap, gap), _dot(q_gap, k), float(np.add.reduce(q_gap)), _dot(q_gap, beta)]
    q_k = np.multiply(q, k, out=slope)
    second = [_dot(q_k, k), float(np.add.reduce(q_k)), _dot(q_k, beta)]
    q_beta = np.multiply(q, beta, out=slope)
    return np.array(
        [
            float(np.add.reduce(ws)),
            _dot(ws, gap),
            _dot(ws, k),
            _dot(ws, beta),
            ws_slope,
            ws_k_both,
            ws_beta2,
            *first,
            *second,
            float(np.add.reduce(q)),
            float(np.add.reduce(q_beta)),
            _dot(q_beta, beta),
        ]
    )


def _dot(w: FloatArray | None, values: FloatArray) -> float:
    """Sum of ``w * values`` (of ``values`` when ``w`` is None), without BLAS threads."""
    if w is None:
        return float(np.add.reduce(values))
    return float(np.einsum("i,i->", w, values))


def _distinct_counts(counts: NDArray[Any]) -> tuple[FloatArray, NDArray[np.intp]]:
    """Return 0 and the distinct counts (sorted, as floats), and each row's position among them."""
    if not counts.size or counts.max() <= _TABLE_LIMIT:
        present = np.bincount(counts, minlength=1) > 0
        present[0] = True
        grid = np.flatnonzero(present)
        position = np.cumsum(present) - 1
        return grid.astype(np.float64), position[counts]
    uniques, codes = np.unique(np.concatenate([[0], counts]), return_inverse=True)
    return uniques.astype(np.float64), codes[1:].astype(np.intp, copy=False)


def _factorize(values: FloatArray) -> tuple[NDArray[np.intp], FloatArray]:
    """Return each value's code and the distinct values (by hashing, in order of appearance)."""
    codes, uniques = pd.factorize(values)
    return codes.astype(np.intp, copy=False), np.asarray(uniques, dtype=np.float64)


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
    from scipy.stats import nbinom  # noqa: PLC0415 - scipy.stats costs 0.3 s to import; only pmfs need it

    return np.asarray(nbinom.logpmf(n, r, alpha / (alpha + t)), dtype=np.float64)


def _nbd_at_least(r: float, alpha: float, t: float, n: FloatArray) -> FloatArray:
    """P(N >= n) for the same count (1 for n = 0)."""
    from scipy.stats import nbinom  # noqa: PLC0415 - as above

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
