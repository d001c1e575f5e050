"""What every lifetime-value model shares: fitting, inference, summaries and persistence."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats
from sklearn.base import BaseEstimator
from threadpoolctl import threadpool_limits

from .._validation import (
    FrameContract,
    as_generator,
    require_no_missing,
    require_non_negative,
    require_number,
    require_numeric,
)
from ..errors import (
    ConvergenceError,
    ConvergenceWarning,
    DataContractError,
    NotFittedError,
    StorageError,
)
from ._fitting import (
    FitDiagnostics,
    LogLikelihood,
    compress,
    maximize_likelihood,
    observed_hessian,
)

__all__ = ["LifetimeModel"]

FloatArray = NDArray[np.float64]
_FORMAT_VERSION = 1


class LifetimeModel(BaseEstimator):  # type: ignore[misc]
    """Base class: a parametric model fitted by maximum likelihood on compressed data.

    Subclasses declare their parameter names, the data columns the likelihood
    needs, the input contract, and the log-likelihood with its gradient.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters, added to the mean negative
        log-likelihood as ``penalizer * sum(params**2)`` (as in lifetimes,
        so a migrated fit gives the same numbers). 0 is plain maximum likelihood.
    n_starts
        Starting points for the optimiser: the model's default start and
        ``n_starts - 1`` random perturbations of it.
    max_iter
        Iterations per optimiser run.
    random_state
        Seed for the random starting points.
    """

    param_names: ClassVar[tuple[str, ...]]
    data_columns: ClassVar[tuple[str, ...]]
    contract: ClassVar[FrameContract]

    def __init__(
        self,
        penalizer: float = 0.0,
        n_starts: int = 4,
        max_iter: int = 2000,
        random_state: int | None = 0,
    ) -> None:
        self.penalizer = penalizer
        self.n_starts = n_starts
        self.max_iter = max_iter
        self.random_state = random_state

    # --- to be provided by each model -------------------------------------------------
    def _loglik(self) -> LogLikelihood:
        """Return the model's log-likelihood function (per row, with gradient)."""
        raise NotImplementedError

    def _default_start(self, data: Sequence[FloatArray], weights: FloatArray) -> FloatArray:
        """First starting point; models override it with a data-driven guess."""
        del data, weights
        return np.ones(len(self.param_names))

    def _check_data(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Check model-specific rules beyond the column contract; return the rows to fit."""
        return frame

    def _remember(self, columns: Sequence[FloatArray], weights: FloatArray) -> None:
        """Keep what later steps need from the fitted data (the compressed rows)."""
        del columns, weights

    def _check_fit_data(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Check what fitting needs beyond what predicting needs (e.g. some repeat buyers)."""
        return frame

    def _prepare(self, columns: list[FloatArray]) -> list[FloatArray]:
        """Return the compressed columns, plus any parameter-free terms worth computing once."""
        return columns

    def _extra_names(self) -> tuple[str, ...]:
        """Return the names of parameters beyond the model's own (e.g. covariate coefficients)."""
        return ()

    def _extra_columns(self) -> tuple[str, ...]:
        """Return the data columns beyond ``data_columns`` that the likelihood needs."""
        return ()

    def _all_names(self) -> list[str]:
        return [*self.param_names, *self._extra_names()]

    def _positive(self) -> NDArray[np.bool_]:
        """Return which parameters are positive (fitted on the log scale)."""
        return np.array([True] * len(self.param_names) + [False] * len(self._extra_names()))

    # --- fitting -------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame) -> Self:
        """Estimate the parameters by maximum likelihood.

        Parameters
        ----------
        data
            A summary with the model's columns (see the class docstring), one
            row per customer or, with a ``weight`` column, per group of
            identical customers.

        Returns
        -------
        Self
            The fitted model.

        Raises
        ------
        DataContractError
            If the summary breaks the model's contract.
        ConvergenceError
            If no optimum could be found.
        """
        penalizer = require_number(self.penalizer, name="penalizer", low=0)
        n_starts = int(require_number(self.n_starts, name="n_starts", low=1, integer=True))
        max_iter = int(require_number(self.max_iter, name="max_iter", low=1, integer=True))
        frame = self._check_data(self.contract.validate(data))
        weights = None
        if "weight" in frame.columns:
            weights = frame["weight"]
            require_numeric(frame, "weight", name="summary")
            require_no_missing(frame, ["weight"], name="summary")
            require_non_negative(frame, ["weight"], name="summary")
            if weights.sum() <= 0:
                msg = "'weight' sums to 0: no customer is left to fit on."
                raise DataContractError(msg, column="weight")
        frame = self._check_fit_data(frame)
        columns, w, _ = compress(frame, (*self.data_columns, *self._extra_columns()), weights)
        keep = w > 0
        columns, w = self._prepare([c[keep] for c in columns]), w[keep]
        self._remember(columns, w)
        rng = as_generator(self.random_state)
        positive = self._positive()
        first = np.concatenate(
            [self._default_start(columns, w), np.zeros(len(self._extra_names()))]
        )
        starts = [first] + [
            np.where(positive, first * np.exp(rng.normal(0.0, 1.0, first.size)), 0.0)
            for _ in range(n_starts - 1)
        ]
        loglik = self._loglik()
        with threadpool_limits(limits=1, user_api="blas"):
            params, diagnostics, hessian = self._optimise(
                loglik, columns, w, starts, penalizer=penalizer, max_iter=max_iter
            )
        ll, _ = loglik(params, columns)
        self._set_fit(
            params=params,
            log_likelihood=float(w @ ll),
            n_obs=float(w.sum()),
            hessian=hessian,
            diagnostics=diagnostics,
            period=data.attrs.get("period"),
            occasion_period=data.attrs.get("occasion_period"),
        )
        return self

    def _optimise(
        self,
        loglik: LogLikelihood,
        columns: list[FloatArray],
        w: FloatArray,
        starts: list[FloatArray],
        *,
        penalizer: float,
        max_iter: int,
    ) -> tuple[FloatArray, FitDiagnostics, FloatArray]:
        """Maximise the likelihood and measure its curvature at the optimum."""
        positive = self._positive()
        params, diagnostics = maximize_likelihood(
            loglik,
            columns,
            w,
            starts,
            penalizer=penalizer,
            max_iter=max_iter,
            model=type(self).__name__,
            positive=positive,
        )
        hessian = observed_hessian(
            loglik, columns, w, params, penalizer=penalizer, positive=positive
        )
        return params, diagnostics, hessian

    def _set_fit(
        self,
        *,
        params: FloatArray,
        log_likelihood: float,
        n_obs: float,
        hessian: FloatArray | None,
        diagnostics: FitDiagnostics | None,
        period: str | None,
        covariance: FloatArray | None = None,
        occasion_period: str | None = None,
    ) -> None:
        names = self._all_names()
        self.params_ = pd.Series(params, index=names, name="estimate")
        if covariance is None and hessian is not None:
            covariance = self._covariance(hessian, params)
        cov = np.full((len(names), len(names)), np.nan) if covariance is None else covariance
        self.covariance_ = pd.DataFrame(cov, index=names, columns=names)
        self.standard_errors_ = pd.Series(
            np.sqrt(np.clip(np.diag(cov), 0, None)), index=names, name="std_error"
        )
        self.log_likelihood_ = log_likelihood
        self.n_obs_ = n_obs
        k = len(names)
        self.aic_ = 2 * k - 2 * log_likelihood
        self.bic_ = k * math.log(n_obs) - 2 * log_likelihood
        self.fit_diagnostics_ = diagnostics
        self.period_ = period
        self.occasion_period_ = occasion_period
        self.confidence_intervals_ = self._intervals(0.95)

    def _covariance(self, hessian: FloatArray, params: FloatArray) -> FloatArray | None:
        """Covariance of the natural parameters from the Hessian in log-parameters."""
        finite = bool(np.all(np.isfinite(hessian)))
        if finite and np.linalg.eigvalsh(hessian).min() > 0:
            jacobian = np.where(self._positive(), params, 1.0)  # d param / d coordinate
            covariance: FloatArray = np.linalg.inv(hessian) * np.outer(jacobian, jacobian)
            return covariance
        msg = (
            f"{type(self).__name__}: the Hessian at the estimate is not positive definite, "
            "so standard errors are not available (reported as NaN); the optimum may be "
            "on a ridge. Try penalizer > 0."
        )
        warnings.warn(msg, ConvergenceWarning, stacklevel=4)
        return None

    def _intervals(self, level: float) -> pd.DataFrame:
        """Wald intervals: on the log scale for positive parameters (so they stay positive)."""
        z = stats.norm.ppf(0.5 + level / 2)
        params = self.params_.to_numpy()
        se = self.standard_errors_.to_numpy()
        positive = self._positive()
        log_se = se / np.where(positive, params, 1.0)
        lower = np.where(positive, params * np.exp(-z * log_se), params - z * se)
        upper = np.where(positive, params * np.exp(z * log_se), params + z * se)
        return pd.DataFrame({"lower": lower, "upper": upper}, index=self.params_.index)

    # --- inspection ----------------------------------------------------------------------
    def _require_fitted(self) -> None:
        if not hasattr(self, "params_"):
            msg = (
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with a "
                "summary before using it (or load a fitted model with from_dict)."
            )
            raise NotFittedError(msg)

    def estimate(self) -> tuple[FloatArray, FloatArray]:
        """Return the parameters and their covariance matrix (for the delta method).

        Raises
        ------
        ConvergenceError
            If the covariance is unavailable (Hessian not positive definite).
        """
        self._require_fitted()
        covariance = self.covariance_.to_numpy()
        if not np.all(np.isfinite(covariance)):
            msg = (
                f"{type(self).__name__} has no covariance (its Hessian was not positive "
                "definite), so delta-method intervals are unavailable; use interval='bootstrap'."
            )
            raise ConvergenceError(msg)
        params: FloatArray = np.asarray(self.params_, dtype=np.float64)
        return params, np.asarray(covariance, dtype=np.float64)

    def _param_values(self) -> tuple[float, ...]:
        self._require_fitted()
        return tuple(float(v) for v in self.params_.to_numpy())

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Estimates with standard errors and confidence intervals, one row per parameter.

        Parameters
        ----------
        level
            Confidence level of the intervals (Wald, on the log scale).

        Returns
        -------
        pandas.DataFrame
            Columns ``estimate``, ``std_error``, ``lower``, ``upper``; the
            log-likelihood, AIC, BIC and number of customers are in ``attrs``.
        """
        self._require_fitted()
        level = require_number(
            level, name="level", low=0, high=1, low_inclusive=False, high_inclusive=False
        )
        table = pd.concat([self.params_, self.standard_errors_, self._intervals(level)], axis=1)
        table.attrs.update(
            {
                "model": type(self).__name__,
                "log_likelihood": self.log_likelihood_,
                "aic": self.aic_,
                "bic": self.bic_,
                "n_obs": self.n_obs_,
            }
        )
        return table

    # --- persistence ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Return the fitted model as plain JSON-ready data (no pickle).

        ``from_dict`` restores it; ``json.dumps`` stores it.
        """
        self._require_fitted()
        diagnostics = self.fit_diagnostics_
        return {
            "format": "one2one.clv",
            "version": _FORMAT_VERSION,
            "model": type(self).__name__,
            "config": self.get_params(),
            "params": {k: float(v) for k, v in self.params_.items()},
            "covariance": [[_json_float(v) for v in row] for row in self.covariance_.to_numpy()],
            "log_likelihood": self.log_likelihood_,
            "n_obs": self.n_obs_,
            "period": self.period_,
            "occasion_period": self.occasion_period_,
            "diagnostics": None if diagnostics is None else diagnostics.to_dict(),
            "state": self._extra_state(),
        }

    def _extra_state(self) -> dict[str, object]:
        """Return model-specific fitted state to persist (JSON-ready)."""
        return {}

    def _restore_state(self, state: Mapping[str, object]) -> None:
        """Restore what :meth:`_extra_state` saved."""
        del state

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Restore a model saved with :meth:`to_dict`.

        Raises
        ------
        StorageError
            If ``data`` is not a saved model of this class.
        """
        if not isinstance(data, dict) or data.get("format") != "one2one.clv":
            msg = "not a saved one2one.clv model (missing format marker)."
            raise StorageError(msg)
        if data.get("model") != cls.__name__:
            msg = f"this is a saved {data.get('model')}, not a {cls.__name__}."
            raise StorageError(msg)
        if data.get("version") != _FORMAT_VERSION:
            msg = f"unsupported saved-model version {data.get('version')!r}."
            raise StorageError(msg)
        try:
            model = cls(**data["config"])
            params = np.array([data["params"][name] for name in model._all_names()], dtype=float)
            covariance = np.array(
                [[np.nan if v is None else v for v in row] for row in data["covariance"]],
                dtype=float,
            )
            diagnostics = (
                None if data["diagnostics"] is None else FitDiagnostics(**data["diagnostics"])
            )
            model._set_fit(
                params=params,
                log_likelihood=float(data["log_likelihood"]),
                n_obs=float(data["n_obs"]),
                hessian=None,
                diagnostics=diagnostics,
                period=data["period"],
                covariance=covariance,
                occasion_period=data.get("occasion_period"),
            )
            model._restore_state(data.get("state") or {})
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"saved {cls.__name__} is incomplete or corrupt: {exc!r}."
            raise StorageError(msg) from exc
        return model

    def save(self, path: str | Path) -> None:
        """Write the fitted model to a JSON file."""
        target = Path(path)
        try:
            target.write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        except OSError as exc:
            msg = f"could not write {target}: {exc.strerror}."
            raise StorageError(msg, path=str(target)) from exc

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a model written by :meth:`save`."""
        source = Path(path)
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            msg = f"could not read a saved model from {source}: {exc}."
            raise StorageError(msg, path=str(source)) from exc
        return cls.from_dict(data)


def _json_float(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)
