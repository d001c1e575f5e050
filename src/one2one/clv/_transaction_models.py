"""Continuous-time buy-till-you-die models: BG/NBD, MBG/NBD, Pareto/NBD."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, ClassVar, Literal, cast, overload

import numpy as np
import pandas as pd
from attrs import frozen
from numpy.typing import ArrayLike, NDArray

from .._deprecation import renamed_parameters
from .._progress import Progress, check_progress
from .._spark import is_spark_frame
from .._validation import (
    Column,
    FrameContract,
    require_columns,
    require_no_missing,
    require_number,
    require_numeric,
)
from ..errors import ConvergenceError, DataContractError
from ._base import Fitted, LifetimeModel, RowRule
from ._bgnbd import (
    GroupedLikelihood,
    bgnbd_expected_purchases,
    bgnbd_loglik,
    bgnbd_p_alive,
    bgnbd_pmf,
    bgnbd_purchases_if_alive,
    mbgnbd_expected_purchases,
    mbgnbd_loglik,
    mbgnbd_p_alive,
    mbgnbd_pmf,
    mbgnbd_purchases_if_alive,
)
from ._covariates import CovariateLink, covariate_loglik, row_params
from ._fitting import FitDiagnostics, LogLikelihood, Params, compress, newton_maximize
from ._paretonbd import (
    pareto_expected_purchases,
    pareto_loglik,
    pareto_p_alive,
    pareto_pmf,
    pareto_purchases_if_alive,
)
from ._periods import Freq, Horizon, agreed_period, horizon_periods
from ._persistence import saved_list, saved_number
from ._simulate import CDNOW_SPEND_PARAMS, SimulatedTransactions, simulate_transactions

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .._spark import SparkFrame
from ._uncertainty import (
    Interval,
    bootstrap_draws,
    bootstrap_lengths,
    check_interval,
    delta_interval,
    percentile_interval,
)

__all__ = [
    "BetaGeoModel",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "TransactionMaths",
    "TransactionModel",
]

FloatArray = NDArray[np.float64]
Columns = tuple[FloatArray, ...]
"""frequency, recency, T, then any covariate columns (distinct rows)."""

RFM_CONTRACT = FrameContract(
    "summary",
    columns=[
        Column("frequency", "integer", non_negative=True),
        Column("recency", "number", non_negative=True),
        Column("T", "number", non_negative=True),
    ],
)


TRANSACTION_RULES: tuple[RowRule, ...] = (
    RowRule(
        column="recency",
        breaks=lambda rows: rows["recency"] > rows["T"],
        message=lambda count, row, _value: (
            f"summary column 'recency' must be <= 'T' (got {count} customer(s) "
            f"with recency > T, first at row {row!r}); check the observation end date."
        ),
    ),
    RowRule(
        column="recency",
        breaks=lambda rows: (rows["frequency"] == 0) & (rows["recency"] != 0),
        message=lambda _count, row, value: (
            "summary column 'recency' must be 0 for customers without repeat purchases "
            f"(got {value!r} at row {row!r}, where frequency is 0)."
        ),
    ),
)
"""The transaction models' rules on a summary's rows, in the order they are checked."""


@frozen
class TransactionMaths:
    """The functions that define one continuous-time model."""

    loglik: LogLikelihood
    p_alive: Callable[[Params, FloatArray, FloatArray, FloatArray], FloatArray]
    if_alive: Callable[[Params, float, FloatArray, FloatArray, FloatArray], FloatArray]
    expected: Callable[[Params, FloatArray], FloatArray]
    pmf: Callable[[Params, FloatArray, float], FloatArray]
    simulator: Literal["bgnbd", "mbgnbd", "paretonbd"]
    link: CovariateLink
    grouped: Callable[..., GroupedLikelihood] | None = None
    """Builds the likelihood arranged by distinct count, age and recency (Newton route)."""


def _weighted_quantiles(values: FloatArray, weights: FloatArray, n: int = 1000) -> FloatArray:
    """``n`` evenly spaced quantiles of ``values`` counted with ``weights``."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    targets = (np.arange(n) + 0.5) / n * cumulative[-1]
    picked = np.searchsorted(cumulative, targets).clip(0, values.size - 1)
    return np.asarray(values[order][picked], dtype=np.float64)


_BG_LINK = CovariateLink(purchase=((1, -1.0),), dropout=((2, 1.0), (3, 1.0)))
_THINNED_BUYERS = 20_000  # the first Newton steps run on about this many repeat buyers


class CovariateSettings(LifetimeModel):
    """The ``purchase_covariates`` and ``dropout_covariates`` settings, in one place.

    Shared by the static-covariate models and the time-varying Pareto/NBD:
    the column names, their coefficients' names in ``params_``, and how a
    saved configuration is checked.
    """

    purchase_covariates: Sequence[str]
    dropout_covariates: Sequence[str]

    def _covariates(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Return the covariate column names (a single string names one column)."""
        purchase, dropout = self.purchase_covariates, self.dropout_covariates
        return (
            (purchase,) if isinstance(purchase, str) else tuple(purchase),
            (dropout,) if isinstance(dropout, str) else tuple(dropout),
        )

    def _extra_names(self) -> tuple[str, ...]:
        purchase, dropout = self._covariates()
        return (*(f"purchase:{c}" for c in purchase), *(f"dropout:{c}" for c in dropout))

    @classmethod
    def _checked_setting(cls, name: str, value: object) -> object:
        if name not in {"purchase_covariates", "dropout_covariates"}:
            return super()._checked_setting(name, value)
        field = f"config.{name}"
        columns = [value] if isinstance(value, str) else saved_list(value, field)
        for i, column in enumerate(columns):
            if not isinstance(column, str) or not column:
                msg = f"saved model field '{field}' must list column names (got {column!r})."
                raise DataContractError(msg, column=f"{field}[{i}]", value=column)
        if len(set(columns)) != len(columns):
            msg = f"saved model field '{field}' names a column twice (got {list(columns)!r})."
            raise DataContractError(msg, column=field, value=list(columns))
        return value if isinstance(value, str) else list(columns)


class TransactionModel(CovariateSettings):
    """Shared API of the continuous-time models: fit on (frequency, recency, T), predict.

    Horizons ``t`` are in the summary's period (``period_``, e.g. weeks), or
    durations such as ``"39W"`` converted to it. A summary to predict for must
    be in the same period as the one the model was fitted on.

    Parameters
    ----------
    penalizer, n_starts, max_iter, random_state
        See :class:`~one2one.clv.LifetimeModel`.
    purchase_covariates
        Summary columns (numeric, time-invariant, e.g. a 0/1 acquisition
        channel) that scale each customer's purchase rate by
        ``exp(coefficient . z)``; coefficients appear in ``params_`` as
        ``purchase:<column>``.
    dropout_covariates
        Summary columns that shift each customer's dropout process
        (``dropout:<column>``): Pareto/NBD scales the dropout rate by
        ``exp(coefficient . z)``; BG/NBD scales both Beta parameters (as CLVTools).
    """

    data_columns = ("frequency", "recency", "T")
    contract = RFM_CONTRACT
    row_rules = TRANSACTION_RULES
    maths: ClassVar[TransactionMaths]

    def __init__(
        self,
        penalizer: float = 0.0,
        n_starts: int = 4,
        max_iter: int = 2000,
        random_state: int | None = 0,
        *,
        purchase_covariates: Sequence[str] = (),
        dropout_covariates: Sequence[str] = (),
    ) -> None:
        super().__init__(
            penalizer=penalizer, n_starts=n_starts, max_iter=max_iter, random_state=random_state
        )
        self.purchase_covariates = purchase_covariates
        self.dropout_covariates = dropout_covariates

    def _extra_columns(self) -> tuple[str, ...]:
        purchase, dropout = self._covariates()
        return (*purchase, *dropout)

    def _loglik(self) -> LogLikelihood:
        if not self._extra_columns():
            return self.maths.loglik
        return covariate_loglik(
            self.maths.loglik,
            self.maths.link,
            n_base=len(self.param_names),
            n_purchase=len(self._covariates()[0]),
        )

    def _row_params(self, columns: Sequence[FloatArray], theta: FloatArray | None) -> Params:
        """Each customer's model parameters (or the shared ones, without covariates)."""
        values = np.asarray(self.params_ if theta is None else theta, dtype=np.float64)
        if not self._extra_columns():
            return values
        return row_params(
            values,
            columns[3:],
            self.maths.link,
            n_base=len(self.param_names),
            n_purchase=len(self._covariates()[0]),
        )

    def _check_data(self, frame: pd.DataFrame) -> pd.DataFrame:
        extra = list(dict.fromkeys(self._extra_columns()))
        require_columns(frame, extra, name="summary")
        require_no_missing(frame, extra, name="summary")
        for column in extra:
            require_numeric(frame, column, name="summary")
        for rule in self.row_rules:
            rule.refuse(frame)
        if len(frame) == 0:
            msg = "summary is empty; fitting needs at least one customer."
            raise DataContractError(msg, column="frequency")
        return frame

    def _remember(self, columns: Sequence[FloatArray], weights: FloatArray) -> None:
        """Keep 1,000 quantiles of ``T``, so the bootstrap can simulate bases like the data."""
        self.observation_lengths_ = _weighted_quantiles(columns[2], weights)

    def _extra_state(self) -> dict[str, object]:
        lengths = getattr(self, "observation_lengths_", None)
        return {"observation_lengths": None if lengths is None else lengths.tolist()}

    @classmethod
    def _state_fields(cls) -> tuple[str, ...]:
        return ("observation_lengths",)

    def _restore_state(self, state: Mapping[str, object]) -> None:
        lengths = state.get("observation_lengths")
        if lengths is None:
            return
        items = saved_list(lengths, "state.observation_lengths")
        if not items:
            field = "state.observation_lengths"
            msg = f"saved model field '{field}' must be null or a non-empty list of lengths."
            raise DataContractError(msg, column=field, value=lengths)
        self.observation_lengths_ = np.array(
            [
                saved_number(v, f"state.observation_lengths[{i}]", low=0)
                for i, v in enumerate(items)
            ],
            dtype=np.float64,
        )

    def _check_fit_data(self, frame: pd.DataFrame) -> pd.DataFrame:
        counted = frame["weight"] > 0 if "weight" in frame.columns else True
        if not ((frame["frequency"] > 0) & counted).any():
            msg = (
                "no customer in the summary has a repeat purchase (frequency > 0), so the "
                "purchase and dropout processes cannot be told apart; use a longer window."
            )
            raise DataContractError(msg, column="frequency")
        return frame

    def _fit_grouped(
        self,
        frame: pd.DataFrame,
        weights: pd.Series | None,
        *,
        penalizer: float,
        max_iter: int,
    ) -> Fitted | None:
        """BG/NBD and MBG/NBD without covariates: Newton's method on the grouped likelihood.

        One start (the model's default start, refined on a thinned sample of the
        repeat buyers when there are many) and the analytic Hessian, which also
        gives the standard errors. Returns ``None`` (the general multi-start
        route then runs) for other models, with covariates, or when Newton does
        not converge cleanly.
        """
        build = self.maths.grouped
        if build is None or self._extra_columns():
            return None
        x = frame["frequency"].to_numpy()
        tx, T = (frame[c].to_numpy(dtype=np.float64) for c in ("recency", "T"))
        w = None if weights is None else weights.to_numpy(dtype=np.float64)
        likelihood = build(x, tx, T, w)
        # The default start needs the weighted means of x and T only: per age, as held.
        lengths, customers, purchases = likelihood.length_table()
        seen = customers > 0
        start = self._default_start(
            (purchases[seen] / customers[seen], lengths[seen], lengths[seen]), customers[seen]
        )
        message = "Newton's method from the default start"
        step = likelihood.n_buyers // _THINNED_BUYERS
        if step >= 4:  # noqa: PLR2004 - below that, thinning saves too little to pay
            thinned = likelihood.thinned(step)
            rough = newton_maximize(
                thinned.evaluate,
                start,
                total_weight=thinned.total_weight,
                penalizer=penalizer,
                max_iter=max_iter,
                tolerance=1e-4,
            )
            if rough is not None:
                start = rough.params
                message = f"Newton's method from the optimum for 1 in {step} repeat buyers"
        fit = newton_maximize(
            likelihood.evaluate,
            start,
            total_weight=likelihood.total_weight,
            penalizer=penalizer,
            max_iter=max_iter,
        )
        if fit is None:
            return None
        self.observation_lengths_ = _weighted_quantiles(lengths[seen], customers[seen])
        diagnostics = FitDiagnostics(
            converged=True,
            method="Newton",
            n_iterations=fit.n_iterations,
            gradient_norm=fit.gradient_norm,
            start=0,
            n_starts=1,
            n_converged=1,
            message=(
                f"{message}: {fit.n_iterations} steps, the last from a gradient of "
                f"{fit.gradient_norm:.1e}"
            ),
        )
        return Fitted(
            params=fit.params,
            log_likelihood=fit.log_likelihood,
            n_obs=likelihood.total_weight,
            hessian=fit.hessian,
            diagnostics=diagnostics,
        )

    def _default_start(self, data: Sequence[FloatArray], weights: FloatArray) -> FloatArray:
        x, _, T = data[:3]
        mean_x = max(float(weights @ x) / float(weights.sum()), 0.05)
        mean_t = max(float(weights @ T) / float(weights.sum()), 1e-3)
        start = np.ones(len(self.param_names))
        start[1] = mean_t / mean_x  # r / alpha ~ purchase rate, with r = 1
        return start

    def _columns(self, summary: pd.DataFrame) -> tuple[Columns, NDArray[np.intp]]:
        frame = self._check_data(self.contract.validate(summary))
        self._period_of(summary)
        columns, _, inverse = compress(frame, (*self.data_columns, *self._extra_columns()))
        return tuple(columns), inverse

    def _period_of(self, summary: pd.DataFrame) -> Freq | None:
        """Return the period of predictions for ``summary``: the model's and the summary's."""
        return agreed_period(
            fitted=getattr(self, "period_", None), summary=summary.attrs.get("period")
        )

    def _horizon(self, summary: pd.DataFrame, t: object) -> float:
        """Return a horizon in periods: a number as given (>= 0), a duration converted."""
        if isinstance(t, (str, dt.timedelta, np.timedelta64)):
            fix = (
                "Give t as a number of the summary's periods, or record the period: "
                "summary.attrs['period'] = 'W' (or 'D', 'M', 'Q', 'Y')."
            )
            return horizon_periods(t, self._period_of(summary), name="t", fix=fix)
        return require_number(t, name="t", low=0)

    def conditional_on_columns(
        self, columns: Columns, t: float, theta: FloatArray | None = None
    ) -> FloatArray:
        """Predict purchases in the next ``t`` periods for already-validated columns.

        ``theta`` replaces the fitted parameters (for intervals). The column
        form lets interval code evaluate many parameter draws without
        validating the summary each time.

        Parameters
        ----------
        columns
            Distinct ``frequency``, ``recency``, ``T`` (and covariate) columns,
            as :meth:`validated_columns` returns them.
        t
            Horizon in the model's periods.
        theta
            Parameters to use instead of the fitted ones (a delta-method or
            bootstrap draw), in the order of ``params_``.

        Returns
        -------
        numpy.ndarray
            Expected purchases per distinct row of ``columns``.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        ConvergenceError
            If the prediction is not finite for some customer (the
            hypergeometric series fails at extreme parameters).
        """
        cumulative: FloatArray = self.cumulative_on_columns(columns, [t], theta)[0]
        return cumulative

    def cumulative_on_columns(
        self, columns: Columns, horizons: Sequence[float], theta: FloatArray | None = None
    ) -> FloatArray:
        """Return expected purchases by each horizon, shape (len(horizons), rows).

        E[purchases | history] = E[purchases | alive] * P(alive); P(alive) does
        not depend on the horizon, so it is computed once for all of them.

        Parameters
        ----------
        columns
            Distinct ``frequency``, ``recency``, ``T`` (and covariate) columns,
            as :meth:`validated_columns` returns them.
        horizons
            Horizons in the model's periods.
        theta
            Parameters to use instead of the fitted ones (a delta-method or
            bootstrap draw), in the order of ``params_``.

        Returns
        -------
        numpy.ndarray of shape (len(horizons), rows)
            Expected purchases by each horizon, per distinct row.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        ConvergenceError
            If the prediction is not finite for some customer.
        """
        self._require_fitted()
        x, tx, T = columns[:3]
        params = self._row_params(columns, theta)
        alive = np.clip(self.maths.p_alive(params, x, tx, T), 0.0, 1.0)
        values = np.stack([self.maths.if_alive(params, t, x, tx, T) * alive for t in horizons])
        return self._finite(values, "expected purchases")

    def _finite(self, values: FloatArray, what: str) -> FloatArray:
        """Return ``values``, or raise rather than hand back a silent NaN."""
        if not np.all(np.isfinite(values)):
            params = {str(k): round(float(v), 4) for k, v in self.params_.items()}
            msg = (
                f"{type(self).__name__}: {what} could not be computed for some customers at "
                f"parameters {params} (the hypergeometric series fails in this extreme region)."
            )
            raise ConvergenceError(msg)
        return values

    def p_alive_on_columns(self, columns: Columns, theta: FloatArray | None = None) -> FloatArray:
        """Return P(alive) for already-validated columns (``theta`` as above).

        Parameters
        ----------
        columns
            Distinct ``frequency``, ``recency``, ``T`` (and covariate) columns,
            as :meth:`validated_columns` returns them.
        theta
            Parameters to use instead of the fitted ones (a delta-method or
            bootstrap draw), in the order of ``params_``.

        Returns
        -------
        numpy.ndarray
            P(alive) in [0, 1] per distinct row of ``columns``.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        """
        self._require_fitted()
        x, tx, T = columns[:3]
        p = self.maths.p_alive(self._row_params(columns, theta), x, tx, T)
        return np.clip(p, 0.0, 1.0)

    def validated_columns(self, summary: pd.DataFrame) -> tuple[Columns, NDArray[np.intp]]:
        """Validate ``summary`` and return its distinct columns and the row mapping.

        Customers with the same history get the same prediction, so each
        distinct row is computed once (CDNOW's 2,357 customers have 1,016
        distinct histories).

        Parameters
        ----------
        summary
            Customers' ``frequency``, ``recency`` and ``T`` (and covariates).

        Returns
        -------
        tuple of (tuple of numpy.ndarray, numpy.ndarray)
            The distinct rows as columns, and for each customer the position
            of their row.

        Raises
        ------
        DataContractError
            If ``summary`` breaks the summary contract (missing columns,
            ``recency`` > ``T``, negative or non-finite values) or its period
            differs from the model's.
        """
        return self._columns(summary)

    def _refuse_covariates(self, what: str) -> None:
        if self._extra_columns():
            msg = (
                f"{what} is not available for {type(self).__name__} with covariates yet; "
                "use interval='delta' for intervals."
            )
            raise DataContractError(msg, column="purchase_covariates")

    def _per_customer(self, summary: pd.DataFrame, values: FloatArray, name: str) -> pd.Series:
        return pd.Series(values, index=summary.index, name=name)

    # --- predictions ---------------------------------------------------------------------
    @overload
    def predict_proba_alive(self, summary: pd.DataFrame) -> pd.Series: ...

    @overload
    def predict_proba_alive(self, summary: SparkFrame) -> SparkFrame: ...

    def predict_proba_alive(self, summary: pd.DataFrame | SparkFrame) -> pd.Series | SparkFrame:
        """Probability that each customer is still active at the end of observation.

        Parameters
        ----------
        summary
            Customers' ``frequency``, ``recency`` and ``T``: a pandas or a
            Spark DataFrame (with a ``customer_id`` column).

        Returns
        -------
        pandas.Series
            ``p_alive`` in [0, 1], indexed like ``summary``.
        pyspark.sql.DataFrame
            For a Spark summary: ``customer_id`` and ``p_alive``, scored on
            the executors by the pandas code (the fitted model travels
            pickled; nothing is collected). The rows are checked first, in
            one Spark job, so a bad row raises the pandas error here (the
            first offender in ``customer_id`` order, the whole frame's
            count), not later where the scores are used.
        """
        if is_spark_frame(summary):
            return self._score_spark(summary, self.predict_proba_alive)
        summary = cast("pd.DataFrame", summary)
        columns, inverse = self._columns(summary)
        return self._per_customer(summary, self.p_alive_on_columns(columns)[inverse], "p_alive")

    @overload
    def predict_purchases(self, summary: pd.DataFrame, t: Horizon) -> pd.Series: ...

    @overload
    def predict_purchases(self, summary: SparkFrame, t: Horizon) -> SparkFrame: ...

    def predict_purchases(
        self, summary: pd.DataFrame | SparkFrame, t: Horizon
    ) -> pd.Series | SparkFrame:
        """Predict each customer's purchases in the next ``t`` periods, given their history.

        Parameters
        ----------
        summary
            Customers' ``frequency``, ``recency`` and ``T``: a pandas or a
            Spark DataFrame (then the result is a Spark frame of
            ``customer_id`` and ``expected_purchases``, scored on the
            executors as :meth:`predict_proba_alive` says).
        t
            Horizon: a number of the summary's periods, or a duration such as
            ``"39W"``, ``"90D"``, ``"1Y"`` or a :class:`pandas.Timedelta`
            (converted; the period must then be known).

        Returns
        -------
        pandas.Series
            ``expected_purchases``, indexed like ``summary``.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``t`` is no horizon, or the summary's ``attrs["period"]``
            differs from the model's ``period_``.
        ConvergenceError
            If the prediction is not finite for some customer.
        """
        if is_spark_frame(summary):
            return self._score_spark(summary, partial(self.predict_purchases, t=t))
        summary = cast("pd.DataFrame", summary)
        self._require_fitted()
        horizon = self._horizon(summary, t)
        columns, inverse = self._columns(summary)
        values = self.conditional_on_columns(columns, horizon)
        return self._per_customer(summary, values[inverse], "expected_purchases")

    def expected_purchases(self, t: ArrayLike) -> FloatArray:
        """Return the expected repeat purchases of a newly acquired customer by time ``t``.

        The unconditional expectation E[X(t)], used to track a cohort's
        cumulative repeat purchases against the model. With covariates, this
        is for the baseline customer (every covariate 0).

        Parameters
        ----------
        t
            Times since acquisition, in the model's periods (finite, >= 0).

        Returns
        -------
        numpy.ndarray
            E[X(t)] for each time (1-d).

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If a time is negative or not finite.
        ConvergenceError
            If the expectation is not finite at these parameters.
        """
        params = self._param_values()[: len(self.param_names)]
        horizon = np.atleast_1d(np.asarray(t, dtype=np.float64))
        if not np.all(np.isfinite(horizon)) or (horizon < 0).any():
            msg = f"'t' must be finite and >= 0 (got {t!r})."
            raise DataContractError(msg, column="t", value=t)
        return self._finite(self.maths.expected(params, horizon), "expected purchases")

    def proba_purchases(self, n: ArrayLike, t: float) -> FloatArray:
        """Return P(X(t) = n): the chance a new customer makes n repeat purchases by time t.

        With covariates, this is for the baseline customer (every covariate 0).

        Parameters
        ----------
        n
            Counts (whole numbers >= 0).
        t
            Time since the first purchase, in the summary's period (> 0).

        Returns
        -------
        numpy.ndarray
            The probability of each count (1-d), in [0, 1].

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If a count is not a whole number >= 0, or ``t`` is not > 0.
        """
        params = self._param_values()[: len(self.param_names)]
        horizon = require_number(t, name="t", low=0, low_inclusive=False)
        counts = np.atleast_1d(np.asarray(n, dtype=np.float64))
        if not np.all(np.isfinite(counts)) or (counts < 0).any() or (counts % 1 != 0).any():
            msg = f"'n' must hold whole numbers >= 0 (got {n!r})."
            raise DataContractError(msg, column="n", value=n)
        return np.clip(self.maths.pmf(params, counts, horizon), 0.0, 1.0)

    @overload
    def predict(
        self,
        summary: pd.DataFrame,
        t: Horizon,
        *,
        interval: Interval | None = None,
        level: float = 0.95,
        n_boot: int = 200,
        random_state: int | np.random.Generator | None = None,
        progress: Progress = "auto",
    ) -> pd.DataFrame: ...

    @overload
    def predict(
        self,
        summary: SparkFrame,
        t: Horizon,
        *,
        interval: Interval | None = None,
        level: float = 0.95,
        n_boot: int = 200,
        random_state: int | np.random.Generator | None = None,
        progress: Progress = "auto",
    ) -> SparkFrame: ...

    def predict(
        self,
        summary: pd.DataFrame | SparkFrame,
        t: Horizon,
        *,
        interval: Interval | None = None,
        level: float = 0.95,
        n_boot: int = 200,
        random_state: int | np.random.Generator | None = None,
        progress: Progress = "auto",
    ) -> pd.DataFrame | SparkFrame:
        """Predict P(alive) and expected purchases in the next ``t`` periods, per customer.

        Parameters
        ----------
        summary
            Customers' ``frequency``, ``recency`` and ``T``: a pandas or a
            Spark DataFrame. A Spark summary gives a Spark frame of
            ``customer_id`` and the same columns, scored on the executors
            (the fitted model travels pickled, nothing is collected);
            ``interval="bootstrap"`` is refused there (it refits on
            simulated customer bases).
        t
            Horizon: a number of the summary's periods, or a duration such as
            ``"39W"`` (see :meth:`predict_purchases`).
        interval
            ``None``, ``"delta"`` (Wald intervals from the parameter
            covariance) or ``"bootstrap"`` (percentiles over ``n_boot`` refits
            on customer bases simulated from the fitted model, each customer
            observed for their own ``T``).
        level
            Confidence level of the intervals.
        n_boot
            Bootstrap replicates.
        random_state
            Seed for the bootstrap.
        progress
            Bootstrap progress bar: ``"auto"`` (when the refits are expected
            to take over 2 s and someone watches), ``True`` or ``False``.

        Returns
        -------
        pandas.DataFrame
            ``p_alive`` and ``expected_purchases``, indexed like ``summary``;
            with an interval also ``p_alive_lower``, ``p_alive_upper``,
            ``expected_purchases_lower`` and ``expected_purchases_upper``.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If the summary breaks its contract or its period differs from the
            model's, ``t`` is no horizon, or ``interval``, ``level``,
            ``n_boot`` or ``progress`` is invalid; bootstrap intervals of a
            model with covariates.
        ConvergenceError
            If a prediction is not finite, the covariance is unavailable
            (``"delta"``) or no bootstrap refit gave finite predictions.
        MissingDependencyError
            If ``progress=True`` and tqdm (the ``progress`` extra) is not
            installed.
        """
        if is_spark_frame(summary):
            predict = partial(self.predict, t=t, interval=interval, level=level, progress=progress)
            return self._score_spark(summary, predict, interval=interval)
        summary = cast("pd.DataFrame", summary)
        progress = check_progress(progress)
        result = pd.concat(
            [self.predict_proba_alive(summary), self.predict_purchases(summary, t)], axis=1
        )
        kind, level = check_interval(interval, level)
        if kind is None:
            return result
        horizon = self._horizon(summary, t)
        columns, inverse = self._columns(summary)
        functions: dict[str, Callable[[FloatArray], FloatArray]] = {
            "p_alive": lambda theta: self.p_alive_on_columns(columns, theta),
            "expected_purchases": lambda theta: self.conditional_on_columns(
                columns, horizon, theta
            ),
        }
        if kind == "delta":
            bounds = {
                name: delta_interval(f, *self.estimate(), level) for name, f in functions.items()
            }
        else:
            draws = bootstrap_draws(
                [self],
                lambda rng: [self.simulate_summary(bootstrap_lengths(self, summary, rng), rng)],
                n_boot=n_boot,
                random_state=random_state,
                progress=progress,
            )
            bounds = {
                name: percentile_interval(np.stack([f(d[0]) for d in draws]), level)
                for name, f in functions.items()
            }
        for name, (lower, upper) in bounds.items():
            high = 1.0 if name == "p_alive" else np.inf
            result[f"{name}_lower"] = np.clip(lower, 0.0, high)[inverse]
            result[f"{name}_upper"] = np.clip(upper, 0.0, high)[inverse]
        return result

    @renamed_parameters(rng="random_state")
    def simulate_summary(
        self,
        T: FloatArray,
        random_state: int | np.random.Generator | None = None,
        spend_params: Mapping[str, float] | None = None,
    ) -> pd.DataFrame:
        """Simulate a summary like the data's (same ``T`` per customer) from the fitted model.

        Returns ``frequency``, ``recency`` and ``T``, and with
        ``spend_params`` (a fitted spend model's ``p``, ``q``, ``gamma``)
        also ``monetary_value``, the mean value of the repeat purchases:
        spend comes from the customers' own spend model, never from another
        data set's defaults. The bootstrap refits on such summaries, so its
        intervals reflect customers observed as long as the real ones.

        Parameters
        ----------
        T
            Each simulated customer's observation length, in the model's periods.
        random_state
            Seed or generator (``rng=`` is read as ``random_state=`` with a
            ``DeprecationWarning`` until one2one 0.2).
        spend_params
            Gamma-Gamma ``p``, ``q`` and ``gamma``; ``None`` for no spend.

        Returns
        -------
        pandas.DataFrame
            ``frequency``, ``recency`` and ``T`` per simulated customer (and
            ``monetary_value`` with ``spend_params``).

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If the model has covariates (simulation is not available for
            them yet), or ``spend_params`` are invalid.
        """
        self._require_fitted()
        self._refuse_covariates("simulation (and so the bootstrap)")
        lengths = np.clip(np.asarray(T, dtype=np.float64), 1e-9, None)
        sim = simulate_transactions(
            self.maths.simulator,
            n_customers=lengths.size,
            params={str(k): float(v) for k, v in self.params_.items()},
            observation_weeks=float(lengths.max()),
            T=lengths,
            random_state=random_state,
            spend_params=CDNOW_SPEND_PARAMS if spend_params is None else spend_params,
        )
        summary = sim.customers[["frequency", "recency", "T"]].copy()
        if spend_params is None:  # the values drawn above are placeholders: not returned
            return summary
        tx = sim.transactions
        repeat = tx[tx.groupby("customer_id").cumcount() > 0]
        spend = repeat.groupby("customer_id")["value"].mean()
        summary["monetary_value"] = spend.reindex(summary.index, fill_value=0.0)
        return summary

    @renamed_parameters(seed="random_state")
    def sample(
        self,
        n_customers: int,
        *,
        observation_periods: float,
        acquisition_periods: float = 0.0,
        random_state: int | np.random.Generator | None = None,
        T: ArrayLike | None = None,
    ) -> SimulatedTransactions:
        """Draw new customers from the fitted model (periods of the fit, as weeks).

        Pass ``T`` (one observation length per customer, e.g. a summary's
        ``T``) to simulate customers observed exactly as long as real ones.
        A fitted model that cannot reproduce its own data's histogram is a
        poor model: sampling is how to check.

        Parameters
        ----------
        n_customers
            Number of customers (>= 1).
        observation_periods
            Length of observation, in the model's periods.
        acquisition_periods
            First purchases spread uniformly over this many periods (below
            ``observation_periods``).
        random_state
            Seed or generator (``seed=`` is read as ``random_state=`` with a
            ``DeprecationWarning`` until one2one 0.2).
        T
            Optional observation length per customer; replaces the uniform
            acquisition.

        Returns
        -------
        SimulatedTransactions
            Transactions and the true latent state of each simulated customer.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If the model has covariates (simulation is not available for
            them yet), or an argument is out of range.
        """
        self._require_fitted()
        self._refuse_covariates("simulation")
        return simulate_transactions(
            self.maths.simulator,
            n_customers=n_customers,
            params={str(k): float(v) for k, v in self.params_.items()},
            observation_weeks=observation_periods,
            acquisition_weeks=acquisition_periods,
            random_state=random_state,
            T=None if T is None else np.clip(np.asarray(T, dtype=np.float64), 1e-9, None),
        )


class BetaGeoModel(TransactionModel):
    """BG/NBD: customers buy at their own Poisson rate and may drop out after any repeat purchase.

    Assumptions: while active, a customer's purchases follow a Poisson process
    with rate lambda ~ Gamma(r, alpha) across customers; after each repeat
    purchase the customer drops out with probability p ~ Beta(a, b); lambda and
    p are independent. Fit on ``frequency``, ``recency`` and ``T`` from
    :func:`~one2one.clv.rfm_summary` (an optional ``weight`` column counts
    identical customers).

    Parameters
    ----------
    penalizer, n_starts, max_iter, random_state
        See :class:`~one2one.clv.LifetimeModel`.
    purchase_covariates, dropout_covariates
        Summary columns that shift each customer's purchase rate and dropout,
        see :class:`~one2one.clv.TransactionModel`. As in CLVTools, dropout
        covariates scale both ``a`` and ``b``: they change how concentrated the
        dropout probabilities are, not their mean ``a / (a + b)``.

    Attributes
    ----------
    params_ : pandas.Series
        ``r``, ``alpha``, ``a``, ``b``, then any covariate coefficients.
    standard_errors_, confidence_intervals_, covariance_
        Inference from the observed information matrix.
    log_likelihood_, aic_, bic_, n_obs_
        Fit statistics (``n_obs_`` counts customers).
    fit_diagnostics_ : FitDiagnostics
        How the optimiser converged.
    period_ : str or None
        The summary's period; horizons of predictions are in this unit.
    occasion_period_ : str or None
        The period in which purchases were counted as occasions (e.g. days,
        for a summary measured in weeks); ``None`` when the summary did not say.
    observation_lengths_ : numpy.ndarray
        1,000 quantiles of the fitted customers' ``T``, from which the
        parametric bootstrap draws simulated customer bases.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your
       customers" the easy way: an alternative to the Pareto/NBD model.
       Marketing Science 24(2), 275-284.

    Examples
    --------
    >>> from one2one.clv import BetaGeoModel
    >>> from one2one.datasets import load_cdnow_summary
    >>> model = BetaGeoModel().fit(load_cdnow_summary())
    >>> model.params_.round(3).to_dict()
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    """

    param_names = ("r", "alpha", "a", "b")
    maths = TransactionMaths(
        loglik=bgnbd_loglik,
        p_alive=bgnbd_p_alive,
        if_alive=bgnbd_purchases_if_alive,
        expected=bgnbd_expected_purchases,
        pmf=bgnbd_pmf,
        simulator="bgnbd",
        link=_BG_LINK,
        grouped=partial(GroupedLikelihood, modified=False),
    )


class ModifiedBetaGeoModel(TransactionModel):
    """MBG/NBD: BG/NBD where a customer may also drop out right after the first purchase.

    Removes BG/NBD's implication that every customer with no repeat purchase
    is certainly alive. Same data, parameters and API as :class:`BetaGeoModel`.

    Parameters
    ----------
    penalizer, n_starts, max_iter, random_state
        See :class:`~one2one.clv.LifetimeModel`.
    purchase_covariates, dropout_covariates
        Summary columns that shift each customer's purchase rate and dropout,
        see :class:`~one2one.clv.TransactionModel`.

    References
    ----------
    .. [1] Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical
       validation and comparison of models for customer base analysis.
       International Journal of Research in Marketing 24(3), 201-209.
    """

    param_names = ("r", "alpha", "a", "b")
    maths = TransactionMaths(
        loglik=mbgnbd_loglik,
        p_alive=mbgnbd_p_alive,
        if_alive=mbgnbd_purchases_if_alive,
        expected=mbgnbd_expected_purchases,
        pmf=mbgnbd_pmf,
        simulator="mbgnbd",
        link=_BG_LINK,
        grouped=partial(GroupedLikelihood, modified=True),
    )


class ParetoNBDModel(TransactionModel):
    """Pareto/NBD: Poisson purchasing until an unobserved, exponentially distributed dropout.

    Assumptions: while active, purchases follow a Poisson process with rate
    lambda ~ Gamma(r, alpha); each customer's lifetime is exponential with
    rate mu ~ Gamma(s, beta); lambda and mu are independent. Unlike BG/NBD,
    dropout can happen at any time, not only right after a purchase.

    The likelihood is computed through its integral form by tanh-sinh
    quadrature in log space (see :mod:`one2one.clv._paretonbd`), so it stays
    finite and accurate for heavy buyers (thousands of purchases), where the
    hypergeometric form overflows in other libraries.

    Parameters
    ----------
    penalizer, n_starts, max_iter, random_state
        See :class:`~one2one.clv.LifetimeModel`.
    purchase_covariates, dropout_covariates
        Summary columns that shift each customer's purchase rate and dropout rate,
        see :class:`~one2one.clv.TransactionModel`.

    References
    ----------
    .. [1] Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting
       your customers: who are they and what will they do next? Management
       Science 33(1), 1-24.
    .. [2] Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the
       Pareto/NBD model and related expressions.

    Examples
    --------
    >>> from one2one.clv import ParetoNBDModel
    >>> from one2one.datasets import load_cdnow_summary
    >>> model = ParetoNBDModel().fit(load_cdnow_summary())
    >>> model.params_.round(3).to_dict()  # published: 0.553, 10.578, 0.606, 11.669
    {'r': 0.553, 'alpha': 10.578, 's': 0.606, 'beta': 11.668}
    """

    param_names = ("r", "alpha", "s", "beta")
    maths = TransactionMaths(
        loglik=pareto_loglik,
        p_alive=pareto_p_alive,
        if_alive=pareto_purchases_if_alive,
        expected=pareto_expected_purchases,
        pmf=pareto_pmf,
        simulator="paretonbd",
        link=CovariateLink(purchase=((1, -1.0),), dropout=((3, -1.0),)),
    )

    def _default_start(self, data: Sequence[FloatArray], weights: FloatArray) -> FloatArray:
        start = super()._default_start(data, weights)
        start[3] = start[1]  # beta on the same time scale as alpha
        return start
