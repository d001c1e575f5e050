"""Intervals for predictions: the delta method and the parametric bootstrap.

Both treat a prediction as a function of the parameters, ``f(theta)``:

* delta method: Var f ~ grad(f)' Cov(theta) grad(f), with the gradient by
  central differences (cheap: two evaluations per parameter);
* parametric bootstrap: simulate customer bases from the fitted model, with
  the same observation lengths as the data, refit, and take percentiles of
  ``f`` over the refits (slower, but no normal approximation).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import ndtri

from .._progress import Progress, progress_bar
from .._validation import as_generator, require_number, require_one_of
from ..errors import ConvergenceError, ConvergenceWarning, DataContractError
from ._base import LifetimeModel

__all__ = [
    "FIT_SECONDS_PER_ROW",
    "Interval",
    "bootstrap_draws",
    "bootstrap_lengths",
    "delta_interval",
    "percentile_interval",
]

FloatArray = NDArray[np.float64]
Interval = Literal["delta", "bootstrap"]
Prediction = Callable[[FloatArray], FloatArray]

FIT_SECONDS_PER_ROW: dict[str, float] = {
    "BetaGeoModel": 1.5e-5,
    "ModifiedBetaGeoModel": 1.5e-5,
    "ParetoNBDModel": 7e-4,
    "GammaGammaModel": 1e-5,
}
"""Seconds one fit costs per distinct summary row, by model class, for ``progress="auto"``.

Measured on CDNOW (2,357 and 23,570 customers, weekly and daily summaries,
and bootstrap bases simulated from them; 2 shared cores): BG/NBD and MBG/NBD
take 2-16 microseconds a row, Gamma-Gamma 7-8, Pareto/NBD 0.3-0.8
milliseconds (its likelihood needs a hypergeometric function per row). The
largest of each is kept: the estimate decides whether a bar is worth showing,
nothing else.
"""
_DEFAULT_SECONDS_PER_ROW = 1e-4  # other models (covariates, user subclasses): in between


def expected_fit_seconds(models: Iterable[object], n_rows: float) -> float:
    """Estimate the seconds to fit each of ``models`` once on ``n_rows`` distinct rows."""
    return sum(
        n_rows * FIT_SECONDS_PER_ROW.get(type(model).__name__, _DEFAULT_SECONDS_PER_ROW)
        for model in models
    )


def check_interval(interval: object, level: object) -> tuple[Interval | None, float]:
    """Validate the ``interval`` and ``level`` arguments of a prediction."""
    if interval is None:
        return None, 0.95
    kind: Interval = require_one_of(interval, ["delta", "bootstrap"], name="interval")
    value = require_number(
        level, name="level", low=0, high=1, low_inclusive=False, high_inclusive=False
    )
    return kind, value


def delta_interval(
    f: Prediction, params: FloatArray, covariance: FloatArray, level: float
) -> tuple[FloatArray, FloatArray]:
    """Wald interval of ``f(params)`` from the parameter covariance (delta method)."""
    centre = f(params)
    gradient = np.empty((params.size, centre.size))
    for j in range(params.size):
        step = 1e-6 * max(abs(params[j]), 1e-8)
        up, down = params.copy(), params.copy()
        up[j] += step
        down[j] -= step
        gradient[j] = (f(up) - f(down)) / (2 * step)
    variance = np.einsum("jn,jk,kn->n", gradient, covariance, gradient)
    half = ndtri(0.5 + level / 2) * np.sqrt(np.clip(variance, 0.0, None))  # norm.ppf
    return centre - half, centre + half


def percentile_interval(draws: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    """Equal-tailed percentile interval over bootstrap draws (axis 0).

    A refit that landed on a degenerate optimum can give non-finite
    predictions; such draws are left out and counted in a warning, never
    turned into silent NaN bounds.
    """
    finite = np.all(np.isfinite(draws), axis=1)
    if not finite.any():
        msg = "no bootstrap refit gave finite predictions; use interval='delta'."
        raise ConvergenceError(msg)
    if not finite.all():
        left_out = int((~finite).sum())
        msg = f"{left_out} bootstrap draw(s) gave non-finite predictions and were left out."
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    tail = (1 - level) / 2
    lower, upper = np.quantile(draws[finite], [tail, 1 - tail], axis=0)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def bootstrap_lengths(
    model: LifetimeModel, summary: pd.DataFrame, rng: np.random.Generator
) -> FloatArray:
    """Observation lengths for one simulated customer base like the fitted data.

    Interval widths depend on the data the parameters were estimated from,
    not on the customers being predicted, so each simulated base has
    ``n_obs_`` customers with ``T`` drawn from the fitted data's (the
    model's ``observation_lengths_``; the summary's for older saved models).
    """
    size = max(round(model.n_obs_), 1)
    fitted = getattr(model, "observation_lengths_", None)
    lengths = summary["T"].to_numpy(dtype=np.float64) if fitted is None else fitted
    return np.asarray(rng.choice(lengths, size=size, replace=True), dtype=np.float64)


def bootstrap_draws(
    models: Sequence[LifetimeModel],
    simulate: Callable[[np.random.Generator], Sequence[pd.DataFrame]],
    *,
    n_boot: int,
    random_state: int | np.random.Generator | None,
    progress: Progress = "auto",
) -> list[list[FloatArray]]:
    """Refit ``models`` on ``n_boot`` simulated data sets; return their parameter vectors.

    ``simulate(rng)`` returns one frame per model. A refit that fails to
    converge is skipped (and counted in a warning), never silently reused.
    ``progress`` shows a bar over the replicates (see :mod:`one2one._progress`);
    ``"auto"`` expects each replicate to refit every model on ``n_obs_`` rows.
    """
    count = int(require_number(n_boot, name="n_boot", low=2, integer=True))
    rng = as_generator(random_state)
    size = max((model.n_obs_ for model in models), default=0.0)
    expected = count * expected_fit_seconds(models, size)
    draws: list[list[FloatArray]] = []
    failed = 0
    with progress_bar(
        progress=progress, total=count, desc="bootstrap", expected_seconds=expected
    ) as bar:
        for _ in range(count):
            frames = simulate(rng)
            try:
                refits = [
                    type(m)(**m.get_params()).fit(frame)
                    for m, frame in zip(models, frames, strict=True)
                ]
            except (ConvergenceError, DataContractError):  # a degenerate simulated base
                failed += 1
            else:
                draws.append([np.asarray(refit.params_, dtype=np.float64) for refit in refits])
            bar.update(1)
    if failed:
        msg = f"{failed} of {count} bootstrap refits did not converge and were left out."
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    return draws
