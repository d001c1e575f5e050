"""What every lifetime-value model shares: fitting, inference, summaries and persistence."""

from __future__ import annotations

import json
import math
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

import numpy as np
import pandas as pd
from attrs import frozen
from numpy.typing import NDArray
from scipy.special import ndtri
from threadpoolctl import threadpool_limits

from .._estimator import Estimator
from .._spark import is_spark_frame
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
    StorageError,
)
from ._fitting import (
    FitDiagnostics,
    LogLikelihood,
    compress,
    maximize_likelihood,
    observed_hessian,
)
from ._persistence import (
    FORMAT,
    FORMAT_VERSION,
    check_header,
    read_json,
    require_fields,
    saved_covariance,
    saved_diagnostics,
    saved_mapping,
    saved_number,
    saved_params,
    saved_text,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .._spark import SparkFrame

__all__ = ["Fitted", "LifetimeModel"]

FloatArray = NDArray[np.float64]
_MAX_SETTING = 10_000_000  # n_starts and max_iter read from a file: no resource bomb


@frozen
class RowRule:
    """A rule on a summary's rows that reads a pandas and a Spark frame alike.

    ``breaks`` takes the frame and indexes it by column name, so the same
    rule gives a boolean Series on a pandas frame and a boolean Column on a
    Spark one; ``message`` words the error from the number of rows that
    break it, the first one's label and its value in ``column``. Both paths
    raise the same error (the Spark path from one aggregation, see
    :func:`one2one.clv._spark.refuse_rows`).
    """

    column: str
    breaks: Callable[[Any], Any]
    message: Callable[[int, object, object], str]

    def refuse(self, frame: pd.DataFrame) -> None:
        """Raise a DataContractError for the first row of ``frame`` that breaks the rule."""
        bad = self.breaks(frame)
        if not bad.any():
            return
        position = int(np.flatnonzero(bad.to_numpy())[0])
        row = frame.index[position]
        value = frame[self.column].iloc[position]
        msg = self.message(int(bad.sum()), row, value)
        raise DataContractError(msg, column=self.column, value=value, row=row)


@frozen
class Fitted:
    """One fit's outcome, whichever route produced it (before it is stored on the model)."""

    params: FloatArray
    log_likelihood: float
    n_obs: float
    hessian: FloatArray
    diagnostics: FitDiagnostics


class LifetimeModel(Estimator):
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
    row_rules: ClassVar[tuple[RowRule, ...]] = ()
    """Rules on the summary's rows that ``_check_data`` applies (checked first on Spark)."""

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
    def fit(self, data: pd.DataFrame | SparkFrame) -> Self:
        """Estimate the parameters by maximum likelihood.

        Parameters
        ----------
        data
            A summary with the model's columns (see the class docstring), one
            row per customer or, with a ``weight`` column, per group of
            identical customers. A Spark DataFrame (such as
            :func:`rfm_summary` of a Spark frame) is fitted exactly as the
            same pandas summary: Spark counts its distinct rows of the
            model's columns (and covariates), which alone are collected to
            the driver and fitted through the ``weight`` route; the period
            comes from the attrs the Spark summary carries.

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
        data = self._from_spark(data) if is_spark_frame(data) else cast("pd.DataFrame", data)
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
        fitted = self._fit_grouped(frame, weights, penalizer=penalizer, max_iter=max_iter)
        if fitted is None:
            fitted = self._fit_compressed(
                frame, weights, n_starts=n_starts, penalizer=penalizer, max_iter=max_iter
            )
        self._set_fit(
            params=fitted.params,
            log_likelihood=fitted.log_likelihood,
            n_obs=fitted.n_obs,
            hessian=fitted.hessian,
            diagnostics=fitted.diagnostics,
            period=data.attrs.get("period"),
            occasion_period=data.attrs.get("occasion_period"),
        )
        return self

    def _from_spark(self, data: SparkFrame) -> pd.DataFrame:
        """Return the data a fit on a Spark frame uses: its distinct rows with their counts."""
        from ._spark import compressed_summary  # noqa: PLC0415 - pyspark lazily

        return compressed_summary(self, data)

    def _score_spark(
        self,
        summary: SparkFrame,
        method: Callable[[pd.DataFrame], pd.DataFrame | pd.Series],
        *,
        interval: object = None,
        keyed_by_columns: bool = False,
    ) -> SparkFrame:
        """Score a Spark summary on the executors, its rows checked first on the driver.

        The pandas ``method`` runs per batch (:func:`one2one.clv._spark.score`);
        before the lazy result is returned, one Spark job checks the column
        contract and :attr:`row_rules`, so a bad row raises the pandas error
        here rather than an executor's error where the scores are used. A
        summary without ``customer_id`` is scored keyed by all its columns
        when ``keyed_by_columns`` (a pattern table), refused otherwise.
        """
        from ._spark import refuse_rows, score  # noqa: PLC0415 - pyspark lazily

        self._param_values()  # NotFittedError before any Spark job
        by_id = "customer_id" in summary.columns
        keys = list(summary.columns) if keyed_by_columns and not by_id else None
        if interval == "bootstrap" or not (by_id or keyed_by_columns):
            return score(summary, method, interval=interval, keys=keys)  # raises as pandas
        # Whole frame first: the probe ``score`` runs on one row would word a bad row's
        # error with that row alone.
        refuse_rows(
            summary,
            contract=self.contract,
            check=self._check_data,
            rules=self.row_rules,
            key="customer_id" if by_id else None,
            numeric=self._extra_columns(),
        )
        return score(summary, method, interval=interval, keys=keys)

    def _fit_grouped(
        self,
        frame: pd.DataFrame,
        weights: pd.Series | None,
        *,
        penalizer: float,
        max_iter: int,
    ) -> Fitted | None:
        """Fit by a faster route where the model has one; ``None`` runs the general route.

        The general route (:meth:`_fit_compressed`) compresses the rows and runs
        multi-start L-BFGS-B; a model whose likelihood has a cheaper structure
        (BG/NBD: per distinct count, age and recency) overrides this, and
        returns ``None`` whenever its route does not converge cleanly.
        """
        del frame, weights, penalizer, max_iter
        return None

    def _fit_compressed(
        self,
        frame: pd.DataFrame,
        weights: pd.Series | None,
        *,
        n_starts: int,
        penalizer: float,
        max_iter: int,
    ) -> Fitted:
        """Compress to distinct rows, maximise from several starts, measure the curvature."""
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
        return Fitted(
            params=params,
            log_likelihood=float(w @ ll),
            n_obs=float(w.sum()),
            hessian=hessian,
            diagnostics=diagnostics,
        )

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
        z = ndtri(0.5 + level / 2)  # scipy.stats.norm.ppf, without importing scipy.stats
        params = self.params_.to_numpy()
        se = self.standard_errors_.to_numpy()
        positive = self._positive()
        log_se = se / np.where(positive, params, 1.0)
        with np.errstate(over="ignore"):  # a huge standard error: the bound is infinite
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
            from ..errors import NotFittedError  # noqa: PLC0415 - scikit-learn's, imported on need

            raise NotFittedError(msg)

    def estimate(self) -> tuple[FloatArray, FloatArray]:
        """Return the parameters and their covariance matrix (for the delta method).

        Returns
        -------
        tuple of (numpy.ndarray, numpy.ndarray)
            The estimates in the order of ``params_``, and their covariance
            matrix (one row and column per parameter).

        Raises
        ------
        NotFittedError
            If called before ``fit``.
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

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``level`` is not strictly between 0 and 1.
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

        ``from_dict`` restores it; ``json.dumps`` stores it. JSON, so that
        loading a model never runs code from the file.

        Returns
        -------
        dict of str to object
            The format and version, the model's class and settings, the
            estimates and covariance (non-finite entries as ``None``), the
            fit's period and diagnostics.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        """
        self._require_fitted()
        diagnostics = self.fit_diagnostics_
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
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
    def _checked_setting(cls, name: str, value: object) -> object:
        """Return one saved constructor setting, checked as ``fit`` would check it.

        Subclasses with settings of their own extend this.
        """
        field = f"config.{name}"
        if name == "penalizer":
            return saved_number(value, field, low=0)
        if name in {"n_starts", "max_iter"}:
            return int(saved_number(value, field, low=1, high=_MAX_SETTING, integer=True))
        if name == "random_state":
            if value is None:
                return None
            is_flag = isinstance(value, bool | np.bool_)  # JSON true is not a seed
            if not is_flag and isinstance(value, numbers.Integral) and int(value) >= 0:
                return int(value)
            msg = f"saved model field '{field}' must be null or an integer >= 0 (got {value!r})."
            raise DataContractError(msg, column=field, value=value)
        msg = f"saved model field '{field}' is not a setting of {cls.__name__}."
        raise DataContractError(msg, column=field, value=value)

    @classmethod
    def _state_fields(cls) -> tuple[str, ...]:
        """Return the keys :meth:`_extra_state` writes (a loaded state may hold no others)."""
        return ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Restore a model saved with :meth:`to_dict`.

        ``data`` is treated as untrusted: every field is checked before the
        model is built, so what loads is a model that ``fit`` could have
        produced (positive parameters within the optimiser's bounds
        [exp(-23), exp(23)], covariate coefficients within [-50, 50], finite
        numbers, a covariance with non-negative variances) and predicts finite,
        non-negative numbers.

        Parameters
        ----------
        data
            The dict :meth:`to_dict` wrote (e.g. read back from JSON).

        Returns
        -------
        LifetimeModel
            A fitted model of this class, predicting as the saved one did.

        Raises
        ------
        DataContractError
            If ``data`` is not a saved model of this class and format version,
            or a field is missing, of the wrong type or out of its domain; the
            exception's ``column`` names the field (e.g. ``"params.r"``) and
            ``value`` holds the offending value.
        """
        saved = check_header(data, cls.__name__)
        require_fields(
            saved,
            ("config", "params", "covariance", "log_likelihood", "n_obs", "period", "diagnostics"),
        )
        config = saved_mapping(saved["config"], "config")
        settings: dict[str, Any] = {n: cls._checked_setting(n, v) for n, v in config.items()}
        model = cls(**settings)
        names = model._all_names()
        params = saved_params(saved["params"], names, model._positive())
        covariance = saved_covariance(saved["covariance"], len(names))
        log_likelihood = saved_number(saved["log_likelihood"], "log_likelihood")
        n_obs = saved_number(saved["n_obs"], "n_obs", low=0, low_inclusive=False)
        period = saved_text(saved["period"], "period", optional=True)
        occasion = saved_text(saved.get("occasion_period"), "occasion_period", optional=True)
        diagnostics = saved_diagnostics(saved["diagnostics"])
        state = saved_mapping(saved.get("state") or {}, "state")
        unknown = sorted(set(state) - set(cls._state_fields()))
        if unknown:
            field = f"state.{unknown[0]}"
            msg = f"saved model field '{field}' is not part of a {cls.__name__}'s state."
            raise DataContractError(msg, column=field, value=state[unknown[0]])
        model._set_fit(
            params=params,
            log_likelihood=log_likelihood,
            n_obs=n_obs,
            hessian=None,
            diagnostics=diagnostics,
            period=period,
            covariance=covariance,
            occasion_period=occasion,
        )
        model._restore_state(state)
        return model

    def save(self, path: str | Path) -> None:
        """Write the fitted model to a JSON file.

        Parameters
        ----------
        path
            The file to write (replaced if it exists).

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        StorageError
            If the file cannot be written.
        """
        target = Path(path)
        try:
            target.write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        except OSError as exc:
            msg = f"could not write {target}: {exc.strerror}."
            raise StorageError(msg, path=str(target)) from exc

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a model written by :meth:`save`, checking it as :meth:`from_dict` does.

        Parameters
        ----------
        path
            The JSON file :meth:`save` wrote.

        Returns
        -------
        LifetimeModel
            A fitted model of this class.

        Raises
        ------
        StorageError
            If the file cannot be read or is not JSON (the path is named).
        DataContractError
            If the JSON is not a valid saved model of this class (the field is named).
        """
        return cls.from_dict(read_json(path))  # type: ignore[arg-type]


def _json_float(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)
