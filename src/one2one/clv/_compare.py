"""Fit several lifetime-value models on one summary and say which to trust."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .._progress import Progress, check_progress, progress_bar
from .._validation import require_columns
from ..errors import DataContractError
from ._transaction_models import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    TransactionModel,
)
from ._uncertainty import expected_fit_seconds

__all__ = ["compare_models"]

_HOLDOUT = ("frequency_holdout", "duration_holdout")
BASELINE = "gradient boosting"
"""The name of the discriminative baseline's row in :func:`compare_models`."""
_FOLDS = 5


def compare_models(
    summary: pd.DataFrame,
    models: Mapping[str, TransactionModel] | Sequence[TransactionModel] | None = None,
    *,
    baseline: bool = True,
    random_state: int | None = 0,
    progress: Progress = "auto",
) -> pd.DataFrame:
    """Fit each model on the calibration summary and tabulate fit and holdout accuracy.

    In-sample fit (log-likelihood, AIC, BIC) rewards a model for describing
    the past; the holdout columns ask the question that matters, how well it
    predicted what customers did next, so with them the table is ranked by
    holdout error. A buy-till-you-die model that loses to a plain regression
    on the same calibration features is telling you its assumptions do not
    hold for these customers (seasonality, wholesale buyers, a changed
    business): the baseline row is there to make that visible.

    Parameters
    ----------
    summary
        A calibration summary (``frequency``, ``recency``, ``T``), ideally with
        the holdout columns of ``rfm_summary(..., calibration_end=...)``
        (``frequency_holdout``, ``duration_holdout``).
    models
        Unfitted models (they are cloned, not changed), as a list or a
        ``{name: model}`` mapping. Default: BG/NBD, MBG/NBD and Pareto/NBD.
    baseline
        With holdout columns, add a discriminative baseline (row
        ``"gradient boosting"``): gradient boosting with a Poisson loss on
        the calibration features (``frequency``, ``recency``, ``T``,
        ``monetary_value`` when present, ``duration_holdout``) predicting
        holdout purchases. Its predictions are out of fold (5-fold cross
        validation), so it never scores a customer it was trained on.
    random_state
        Seed of the baseline's folds and model.
    progress
        A bar with one step per model: ``"auto"`` shows it when the fits are
        expected to take over 2 s (Pareto/NBD on tens of thousands of
        distinct customer histories) and a terminal or notebook watches,
        ``True`` always (raising if tqdm, the ``progress`` extra, is
        missing), ``False`` never.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``n_params``, ``log_likelihood``, ``aic``,
        ``bic``, ``fit_seconds`` and, with holdout columns,
        ``holdout_actual`` and ``holdout_predicted`` (total purchases),
        ``holdout_mae`` and ``holdout_rmse`` (per customer). Sorted by
        ``holdout_mae`` when there is a holdout, else by BIC. The
        baseline's likelihood columns are missing (``<NA>`` parameters,
        NaN likelihood, AIC and BIC): it is no probability model of the
        calibration data, so it has none.

    Raises
    ------
    DataContractError
        If ``models`` is empty, only one holdout column is present, or
        ``progress`` is not ``True``, ``False`` or ``"auto"``.
    MissingDependencyError
        If ``progress=True`` and tqdm is not installed.

    Examples
    --------
    >>> from one2one.clv import compare_models
    >>> from one2one.datasets import load_cdnow_summary
    >>> table = compare_models(load_cdnow_summary())
    >>> table.index[0]  # the best BIC on CDNOW
    'ModifiedBetaGeoModel'
    """
    progress = check_progress(progress)
    candidates = _named(models)
    present = [c for c in _HOLDOUT if c in summary.columns]
    if len(present) == 1:
        require_columns(summary, _HOLDOUT, name="summary")
    with_baseline = bool(baseline) and bool(present)
    if with_baseline and BASELINE in candidates:
        msg = f"a model is named {BASELINE!r}, the baseline's row; rename it."
        raise DataContractError(msg, column="models", value=BASELINE)
    rows = {}
    with progress_bar(
        progress=progress,
        total=len(candidates) + int(with_baseline),
        desc="compare_models",
        expected_seconds=expected_fit_seconds(candidates.values(), _distinct_rows(summary)),
    ) as bar:
        if with_baseline:
            start = time.perf_counter()
            predicted = _baseline_predictions(summary, random_state)
            rows[BASELINE] = {
                "n_params": np.nan,
                "log_likelihood": np.nan,
                "aic": np.nan,
                "bic": np.nan,
                "fit_seconds": time.perf_counter() - start,
                **_errors(predicted, summary),
            }
            bar.step(BASELINE)
        for name, model in candidates.items():
            start = time.perf_counter()
            fitted = type(model)(**model.get_params()).fit(summary)  # a fresh copy
            row: dict[str, float] = {
                "n_params": float(len(fitted.params_)),
                "log_likelihood": fitted.log_likelihood_,
                "aic": fitted.aic_,
                "bic": fitted.bic_,
                "fit_seconds": time.perf_counter() - start,
            }
            if present:
                row |= _holdout_errors(fitted, summary)
            rows[name] = row
            bar.step(name)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table = table.sort_values("holdout_mae" if present else "bic", kind="stable")
    table["n_params"] = table["n_params"].astype("Int64" if with_baseline else "int64")
    table.index.name = "model"
    return table


def _baseline_predictions(summary: pd.DataFrame, random_state: int | None) -> pd.Series:
    """Out-of-fold holdout purchases from gradient boosting on the calibration features."""
    # Imported here: 0.2 s that `import one2one.clv` need not pay for one function.
    from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: PLC0415
    from sklearn.model_selection import KFold, cross_val_predict  # noqa: PLC0415

    columns = [
        c
        for c in ("frequency", "recency", "T", "monetary_value", "duration_holdout")
        if c in summary.columns
    ]
    features = summary[columns].to_numpy(dtype=np.float64)
    target = summary["frequency_holdout"].to_numpy(dtype=np.float64)
    folds = KFold(n_splits=min(_FOLDS, len(summary)), shuffle=True, random_state=random_state)
    model = HistGradientBoostingRegressor(loss="poisson", random_state=random_state)
    # One OpenMP thread: the trees are small, and spinning threads on a busy machine
    # turn seconds into minutes (measured: 6 s -> 300 s with another process on a core).
    with threadpool_limits(limits=1, user_api="openmp"):
        predicted = cross_val_predict(model, features, target, cv=folds)
    return pd.Series(predicted, index=summary.index)


def _distinct_rows(summary: pd.DataFrame) -> int:
    """Distinct customer histories: the rows a fit computes on, after compression."""
    history = [c for c in ("frequency", "recency", "T") if c in summary.columns]
    return len(summary.drop_duplicates(subset=history)) if history else len(summary)


def _named(
    models: Mapping[str, TransactionModel] | Sequence[TransactionModel] | None,
) -> dict[str, TransactionModel]:
    if models is None:
        models = [BetaGeoModel(), ModifiedBetaGeoModel(), ParetoNBDModel()]
    named = dict(models) if isinstance(models, Mapping) else {type(m).__name__: m for m in models}
    if not named:
        msg = "models is empty; pass at least one unfitted model (or None for the defaults)."
        raise DataContractError(msg, column="models")
    return named


def _holdout_errors(model: TransactionModel, summary: pd.DataFrame) -> dict[str, float]:
    """Predicted vs actual holdout purchases, per distinct holdout length."""
    predicted = pd.Series(np.nan, index=summary.index)
    for duration, group in summary.groupby("duration_holdout"):
        predicted[group.index] = model.predict_purchases(group, float(duration))  # type: ignore[arg-type]
    return _errors(predicted, summary)


def _errors(predicted: pd.Series, summary: pd.DataFrame) -> dict[str, float]:
    """Totals and per-customer errors of predicted against actual holdout purchases."""
    actual = summary["frequency_holdout"].to_numpy(dtype=np.float64)
    error = predicted.to_numpy() - actual
    return {
        "holdout_actual": float(actual.sum()),
        "holdout_predicted": float(predicted.sum()),
        "holdout_mae": float(np.abs(error).mean()),
        "holdout_rmse": float(np.sqrt((error**2).mean())),
    }
