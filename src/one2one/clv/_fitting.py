"""Maximum likelihood that converges by default: several starts, a fallback, diagnostics.

The models differ only in their log-likelihood (per distinct data row, with its
gradient); everything about optimisation lives here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from attrs import asdict, frozen
from numpy.typing import NDArray

from ..errors import ConvergenceError

if TYPE_CHECKING:
    from scipy import optimize

__all__ = [
    "Evaluation",
    "FitDiagnostics",
    "LogLikelihood",
    "NewtonFit",
    "Params",
    "compress",
    "maximize_likelihood",
    "newton_maximize",
    "observed_hessian",
]

FloatArray = NDArray[np.float64]
Params = Sequence[float] | FloatArray
"""Model parameters, as a sequence or an array (the maths accepts both)."""
LogLikelihood = Callable[[FloatArray, Sequence[FloatArray]], tuple[FloatArray, FloatArray]]
"""``(params, data columns) -> (log-likelihood per row, gradient per row (n, k))``."""
Evaluation = Callable[[FloatArray], tuple[float, FloatArray, FloatArray]]
"""``params -> (total log-likelihood, its gradient (k,), its Hessian (k, k))``."""

_LOG_BOUND = 23.0  # positive parameters are kept within exp(+-23) ~ [1e-10, 1e10]
_FREE_BOUND = 50.0  # unconstrained ones (covariate coefficients) within +-50
_GRADIENT_TOLERANCE = 1e-5
_NEWTON_TOLERANCE = 1e-6  # then one last step lands within ~1e-10 (see newton_maximize)
_NEWTON_LONGEST_STEP = 2.0  # at most a factor e^2 per parameter and step
_SAME_LOG_PARAMS = 1e-3  # runs within this distance in log-parameters found one optimum


@frozen
class FitDiagnostics:
    """How a fit went: enough to trust it, or to see why not.

    Attributes
    ----------
    converged
        Whether the winning run met the gradient tolerance.
    method
        The optimiser that produced the estimate: ``"Newton"`` (analytic
        Hessian, for BG/NBD and MBG/NBD without covariates), ``"L-BFGS-B"``,
        or ``"Nelder-Mead + L-BFGS-B"`` when no L-BFGS-B run converged.
    n_iterations
        Iterations of the winning run.
    gradient_norm
        Largest absolute gradient of the mean negative log-likelihood with
        respect to the log-parameters, at the estimate.
    start
        Index of the winning starting point (0 is the model's default start).
    n_starts
        Starting points tried.
    n_converged
        Runs that converged (several agreeing runs mean a well-defined optimum).
    message
        The optimiser's message for the winning run.
    """

    converged: bool
    method: str
    n_iterations: int
    gradient_norm: float
    start: int
    n_starts: int
    n_converged: int
    message: str

    def to_dict(self) -> dict[str, object]:
        """Return the diagnostics as a JSON-ready dict.

        Returns
        -------
        dict of str to object
            One entry per attribute; a saved model keeps them, so a loaded
            model still tells how its fit went.
        """
        return asdict(self)


def compress(
    frame: pd.DataFrame, columns: Sequence[str], weights: pd.Series | None = None
) -> tuple[list[FloatArray], FloatArray, NDArray[np.intp]]:
    """Reduce rows to distinct values of ``columns`` with summed weights, in sorted order.

    The likelihoods depend on a customer only through these columns, so a
    million customers usually become a few thousand rows. The distinct rows
    come sorted (by the first column, then the next, ...), so the sums of a
    fit are taken in one order whatever the order of the customers: the same
    customers give the same parameters to the last bit, whether they came
    one row each, already compressed with weights, or from Spark.

    Returns
    -------
    tuple
        The distinct columns, their weights, and for each original row the
        position of its distinct row (to broadcast per-row results back).
    """
    values = frame[list(columns)].to_numpy(dtype=np.float64)
    codes, n_groups = _row_codes(values)
    first = np.full(n_groups, values.shape[0], dtype=np.intp)
    np.minimum.at(first, codes, np.arange(values.shape[0], dtype=np.intp))
    unique = values[first]
    w = np.ones(len(frame)) if weights is None else weights.to_numpy(dtype=np.float64)
    summed = np.bincount(codes, weights=w, minlength=n_groups).astype(np.float64)
    order = np.lexsort(unique.T[::-1]) if unique.shape[1] else np.arange(n_groups)
    rank = np.empty(n_groups, dtype=np.intp)
    rank[order] = np.arange(n_groups, dtype=np.intp)
    unique, summed, codes = unique[order], summed[order], rank[codes]
    return [unique[:, j].copy() for j in range(unique.shape[1])], summed, codes


def _row_codes(values: FloatArray) -> tuple[NDArray[np.intp], int]:
    """Label equal rows with equal codes 0..k-1, by hashing (no sort).

    Columns are folded in one at a time and re-labelled after each, so the
    combined key stays below n**2 and never overflows.
    """
    codes = np.zeros(values.shape[0], dtype=np.int64)
    n_groups = 1
    for j in range(values.shape[1]):
        column_codes, uniques = pd.factorize(values[:, j])
        combined = codes * len(uniques) + column_codes
        codes, grouped = pd.factorize(combined)
        n_groups = len(grouped)
    return codes.astype(np.intp), n_groups


def to_params(internal: FloatArray, positive: NDArray[np.bool_]) -> FloatArray:
    """Map optimiser coordinates to parameters: exp for positive ones, identity otherwise."""
    return np.where(positive, np.exp(np.where(positive, internal, 0.0)), internal)


def to_internal(params: FloatArray, positive: NDArray[np.bool_]) -> FloatArray:
    """Map parameters to optimiser coordinates (log for positive ones)."""
    safe = np.clip(params, np.exp(-_LOG_BOUND), np.exp(_LOG_BOUND))
    return np.where(positive, np.log(np.where(positive, safe, 1.0)), params)


def _objective(
    loglik: LogLikelihood,
    data: Sequence[FloatArray],
    weights: FloatArray,
    penalizer: float,
    positive: NDArray[np.bool_],
) -> Callable[[FloatArray], tuple[float, FloatArray]]:
    """Mean penalised negative log-likelihood and its gradient, in optimiser coordinates."""
    total = float(weights.sum())

    def f(internal: FloatArray) -> tuple[float, FloatArray]:
        params = to_params(internal, positive)
        ll, grad = loglik(params, data)
        value = -float(weights @ ll) / total + penalizer * float(params @ params)
        gradient = -(weights @ grad) / total + 2.0 * penalizer * params
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return np.inf, np.zeros_like(internal)
        return value, np.where(positive, gradient * params, gradient)  # d/dlog(p) = p d/dp

    return f


def maximize_likelihood(
    loglik: LogLikelihood,
    data: Sequence[FloatArray],
    weights: FloatArray,
    starts: Sequence[FloatArray],
    *,
    penalizer: float,
    max_iter: int,
    model: str,
    positive: NDArray[np.bool_] | None = None,
) -> tuple[FloatArray, FitDiagnostics]:
    """Maximise the weighted log-likelihood from several starts; return params and diagnostics.

    Each start runs L-BFGS-B on log-parameters with the analytic gradient.
    Starts are tried in order until two runs converge to the same optimum
    (then the others would only repeat it). If no run meets the gradient
    tolerance, the best point is refined with Nelder-Mead (derivative-free)
    and polished again with L-BFGS-B.

    Raises
    ------
    ConvergenceError
        If even the fallback leaves a gradient above tolerance; the best
        optimiser result is attached.
    """
    from scipy import optimize  # noqa: PLC0415 - 0.15 s to import; Newton fits do without it

    mask = np.ones(len(starts[0]), dtype=bool) if positive is None else positive
    f = _objective(loglik, data, weights, penalizer, mask)
    bounds = [(-_LOG_BOUND, _LOG_BOUND) if p else (-_FREE_BOUND, _FREE_BOUND) for p in mask]
    runs: list[optimize.OptimizeResult] = []
    agreed: list[optimize.OptimizeResult] = []
    for start in starts:
        if len(agreed) >= 2:  # noqa: PLR2004 - two agreeing runs settle the optimum
            break
        log_start = to_internal(np.asarray(start, dtype=np.float64), mask)
        if not np.isfinite(f(log_start)[0]):
            continue
        result = optimize.minimize(
            f,
            log_start,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-9},
        )
        runs.append(result)
        if _is_converged(f, result):
            agreed = [r for r in agreed if _same_optimum(r, result)] + [result]
    if not runs:
        msg = f"{model}: the log-likelihood is not finite at any starting point; check the data."
        raise ConvergenceError(msg)

    def gradient_norm(result: optimize.OptimizeResult) -> float:
        return float(np.max(np.abs(f(result.x)[1])))

    converged = [r for r in runs if _is_converged(f, r)]
    method = "L-BFGS-B"
    if converged:
        best = min(converged, key=lambda r: r.fun)
    else:
        rough = min(runs, key=lambda r: r.fun)

        def value_only(log_params: FloatArray) -> float:
            return f(log_params)[0]

        simplex = optimize.minimize(
            value_only,
            rough.x,
            method="Nelder-Mead",
            options={"maxiter": 20 * max_iter, "xatol": 1e-10, "fatol": 1e-14},
        )
        best = optimize.minimize(
            f,
            simplex.x,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-9},
        )
        method = "Nelder-Mead + L-BFGS-B"
        runs.append(best)
    norm = gradient_norm(best)
    diagnostics = FitDiagnostics(
        converged=norm < _GRADIENT_TOLERANCE,
        method=method,
        n_iterations=int(best.nit),
        gradient_norm=norm,
        start=next(i for i, r in enumerate(runs) if r is best),
        n_starts=len(runs) - (method != "L-BFGS-B"),
        n_converged=len(converged),
        message=str(best.message),
    )
    if not diagnostics.converged:
        msg = (
            f"{model} did not converge: the largest gradient at the best point is {norm:.2e} "
            f"(tolerance {_GRADIENT_TOLERANCE:.0e}) after {len(starts)} starts and a "
            "derivative-free fallback. Try penalizer > 0, or check for a degenerate summary "
            "(e.g. no repeat purchases)."
        )
        raise ConvergenceError(msg, result=best)
    return to_params(best.x, mask), diagnostics


def _is_converged(
    f: Callable[[FloatArray], tuple[float, FloatArray]], result: optimize.OptimizeResult
) -> bool:
    return (
        bool(np.isfinite(result.fun))
        and float(np.max(np.abs(f(result.x)[1]))) < _GRADIENT_TOLERANCE
    )


def _same_optimum(a: optimize.OptimizeResult, b: optimize.OptimizeResult) -> bool:
    """Two runs found the same optimum: equal objective and log-parameters."""
    close_value = abs(a.fun - b.fun) <= 1e-9 * (1.0 + abs(a.fun))
    return close_value and bool(np.max(np.abs(a.x - b.x)) < _SAME_LOG_PARAMS)


def observed_hessian(
    loglik: LogLikelihood,
    data: Sequence[FloatArray],
    weights: FloatArray,
    params: FloatArray,
    *,
    penalizer: float,
    positive: NDArray[np.bool_] | None = None,
) -> FloatArray:
    """Hessian of the total penalised negative log-likelihood in optimiser coordinates.

    Central differences of the analytic gradient: accurate to about 1e-8
    relative, which is far below the sampling error it is used to measure.
    """
    total = float(weights.sum())
    mask = np.ones(params.size, dtype=bool) if positive is None else positive
    f = _objective(loglik, data, weights, penalizer, mask)
    log_params = to_internal(params, mask)
    k = log_params.size
    hessian = np.empty((k, k))
    step = 1e-5
    for j in range(k):
        shift = np.zeros(k)
        shift[j] = step
        hessian[:, j] = (f(log_params + shift)[1] - f(log_params - shift)[1]) / (2 * step)
    return total * (hessian + hessian.T) / 2


@frozen
class NewtonFit:
    """What :func:`newton_maximize` found.

    Attributes
    ----------
    params
        The estimates.
    log_likelihood
        The total (unpenalised) log-likelihood at the estimates.
    hessian
        Hessian of the total penalised negative log-likelihood in log-parameters
        (what :func:`observed_hessian` measures by differences), at the last
        evaluated point.
    n_iterations
        Newton steps taken (the last one is not evaluated, see
        :func:`newton_maximize`).
    gradient_norm
        Largest absolute gradient of the mean objective in log-parameters at the
        last evaluated point, before the last step (which only shrinks it).
    """

    params: FloatArray
    log_likelihood: float
    hessian: FloatArray
    n_iterations: int
    gradient_norm: float


def newton_maximize(
    evaluate: Evaluation,
    start: FloatArray,
    *,
    total_weight: float,
    penalizer: float,
    max_iter: int,
    tolerance: float = _NEWTON_TOLERANCE,
) -> NewtonFit | None:
    """Maximise a log-likelihood of positive parameters by Newton's method, or give up.

    Works on log-parameters, on the same objective as :func:`maximize_likelihood`
    (mean penalised negative log-likelihood), with the analytic Hessian: from a
    reasonable start it converges in a handful of steps, each one evaluation.
    Where the Hessian is not positive definite, its eigenvalues are taken in
    absolute value (a descent direction still); a step longer than a factor of
    e^2 in any parameter is shortened, and a step that does not decrease the
    objective enough (Armijo) is halved.

    Once the largest gradient is below ``tolerance`` (1e-6 by default), one
    last Newton step is taken without evaluating the objective again: Newton's
    error squares at each step (about 50 g^2 for BG/NBD), so from a gradient of
    1e-6 it lands within ~1e-10 of the optimum, as close as L-BFGS-B's 1e-9,
    for one evaluation less. The log-likelihood is moved by the same quadratic
    model (an error of order g^3).

    Returns
    -------
    NewtonFit or None
        The optimum, or ``None`` when the method stalls, meets the parameter
        bounds, needs more than ``max_iter`` steps or ends where the Hessian is
        not positive definite: the caller then runs the multi-start route,
        which handles those cases and reports them.
    """
    identity = np.eye(start.size)

    def objective(
        log_params: FloatArray,
    ) -> tuple[float, FloatArray, FloatArray, tuple[float, FloatArray, FloatArray]]:
        params = np.exp(log_params)
        ll, grad, hess = evaluate(params)
        value = -ll / total_weight + penalizer * float(params @ params)
        gradient = (-grad / total_weight + 2.0 * penalizer * params) * params
        curvature = (-hess / total_weight + 2.0 * penalizer * identity) * np.outer(params, params)
        curvature[np.diag_indices_from(curvature)] += gradient
        return value, gradient, curvature, (ll, grad * params, hess * np.outer(params, params))

    with np.errstate(all="ignore"):  # a trial step may leave the domain: its value is inf
        point = to_internal(np.asarray(start, dtype=np.float64), np.ones(start.size, dtype=bool))
        value, gradient, curvature, raw = objective(point)
        iterations = 0
        while float(np.max(np.abs(gradient))) >= tolerance:
            if iterations >= max_iter or not _finite(value, gradient, curvature):
                return None
            step = _newton_step(gradient, curvature)
            slope, length = float(gradient @ step), 1.0
            while True:
                trial = np.clip(point + length * step, -_LOG_BOUND, _LOG_BOUND)
                evaluated = objective(trial)
                if np.isfinite(evaluated[0]) and evaluated[0] <= value + 1e-4 * length * slope:
                    break
                length /= 2.0
                if length < 1e-10:  # noqa: PLR2004 - no decrease along a descent direction
                    return None
            point, (value, gradient, curvature, raw) = trial, evaluated
            iterations += 1
        if (
            not _finite(value, gradient, curvature)
            or float(np.linalg.eigvalsh(curvature).min()) <= 0
        ):
            return None
        last = -np.linalg.solve(curvature, gradient)
        point = point + last
        if np.any(np.abs(point) >= _LOG_BOUND):
            return None
        ll, ll_gradient, ll_hessian = raw  # in log-parameters, before the last step
        ll_hessian = ll_hessian + np.diag(ll_gradient)
        ll += float(ll_gradient @ last + last @ ll_hessian @ last / 2)
    return NewtonFit(
        params=np.exp(point),
        log_likelihood=float(ll),
        hessian=total_weight * (curvature + curvature.T) / 2,
        n_iterations=iterations + 1,
        gradient_norm=float(np.max(np.abs(gradient))),
    )


def _newton_step(gradient: FloatArray, curvature: FloatArray) -> FloatArray:
    """Newton's step, on |eigenvalues| where the Hessian is not positive definite, capped."""
    eigenvalues, vectors = np.linalg.eigh(curvature)
    floor = 1e-10 * max(1.0, float(np.max(np.abs(eigenvalues))))
    step: FloatArray = -vectors @ ((vectors.T @ gradient) / np.maximum(np.abs(eigenvalues), floor))
    step *= min(1.0, _NEWTON_LONGEST_STEP / float(np.max(np.abs(step))))
    return step


def _finite(value: float, gradient: FloatArray, curvature: FloatArray) -> bool:
    return bool(
        np.isfinite(value) and np.all(np.isfinite(gradient)) and np.all(np.isfinite(curvature))
    )
