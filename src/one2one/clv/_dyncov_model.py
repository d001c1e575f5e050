"""Pareto/NBD with time-varying covariates as a scikit-learn style estimator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Self, cast

import numpy as np
import pandas as pd
from attrs import evolve
from threadpoolctl import threadpool_limits

from .._validation import require_number
from ..errors import ConvergenceError, DataContractError
from ._dyncov import Pieces, dyncov_loglik, dyncov_p_alive, dyncov_purchases_if_alive
from ._dyncov_data import TimeVaryingSummary
from ._fitting import FitDiagnostics, FloatArray, maximize_likelihood, observed_hessian
from ._periods import Freq, Horizon, agreed_period, horizon_periods
from ._persistence import saved_number
from ._transaction_models import CovariateSettings, ParetoNBDModel

__all__ = ["TimeVaryingParetoNBDModel"]


class TimeVaryingParetoNBDModel(CovariateSettings):
    """Pareto/NBD whose purchase and dropout rates move with covariates over time.

    Each customer's purchase rate in a covariate period is lambda *
    exp(g_p . z) and their dropout rate mu * exp(g_d . z), with lambda ~
    Gamma(r, alpha) and mu ~ Gamma(s, beta) as in the plain model
    (Bachmann, Meierer & Naef 2021). Covariates that change over the
    calendar (season, holiday weeks, a marketing calendar) explain purchases
    the plain model can only average over, and let forecasts follow a
    planned calendar. A covariate constant per customer is the static model
    (:class:`ParetoNBDModel` with ``purchase_covariates``), with the same
    likelihood; zero effects give the plain model.

    Fitted on a :class:`TimeVaryingSummary` (from
    :func:`time_varying_summary`), by maximum likelihood with the analytic
    gradient; coefficients appear in ``params_`` as ``purchase:<column>``
    and ``dropout:<column>`` (positive: a higher rate).

    Parameters
    ----------
    penalizer, n_starts, max_iter, random_state
        See :class:`~one2one.clv.LifetimeModel`.
    purchase_covariates
        Covariate columns that scale the purchase rate.
    dropout_covariates
        Covariate columns that scale the dropout rate.

    References
    ----------
    .. [1] Bachmann, P., Meierer, M. & Naef, J. (2021). The role of
       time-varying contextual factors in latent attrition models for
       customer base analysis. Marketing Science 40(4), 783-809.
    """

    param_names = ("r", "alpha", "s", "beta")
    data_columns = ("frequency", "recency", "T")
    contract = ParetoNBDModel.contract

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

    def _pieces(self, data: object) -> Pieces:
        if not isinstance(data, TimeVaryingSummary):
            msg = (
                "data must be a TimeVaryingSummary (got "
                f"{type(data).__name__}); make one with time_varying_summary(transactions, "
                "covariates)."
            )
            raise DataContractError(msg, column="data", value=type(data).__name__)
        purchase, dropout = self._covariates()
        return data.pieces(purchase, dropout)

    def _scored(self, data: object) -> Pieces:
        """Pieces of ``data`` for a prediction: in the unit the rates were fitted in."""
        pieces = self._pieces(data)
        summary = cast("TimeVaryingSummary", data).summary
        agreed_period(fitted=getattr(self, "period_", None), summary=summary.attrs.get("period"))
        return pieces

    def _extra_state(self) -> dict[str, object]:
        return {"covariate_step_days": getattr(self, "covariate_step_days_", None)}

    @classmethod
    def _state_fields(cls) -> tuple[str, ...]:
        return ("covariate_step_days",)

    def _restore_state(self, state: Mapping[str, object]) -> None:
        step = state.get("covariate_step_days")
        if step is not None:
            field = "state.covariate_step_days"
            self.covariate_step_days_ = int(saved_number(step, field, low=1, integer=True))

    def fit(self, data: TimeVaryingSummary) -> Self:  # type: ignore[override]
        """Estimate the parameters and covariate effects by maximum likelihood.

        The plain Pareto/NBD fitted on the same summary is the first start
        (with zero effects), so the search begins where the covariates add
        nothing; one run from there usually converges, and only when it does
        not are the other ``n_starts - 1`` (random perturbations) tried.
        Covariates larger than 1 in absolute value (spend in currency, a
        count) are divided by their largest absolute value while searching,
        so that a step in any effect moves the rates alike; the estimates,
        standard errors and ``penalizer`` (which weighs the effects of the
        covariates so scaled) are reported for the covariates as given.

        Parameters
        ----------
        data
            A :class:`TimeVaryingSummary` made by :func:`time_varying_summary`.

        Returns
        -------
        Self
            The fitted model.

        Raises
        ------
        DataContractError
            If ``data`` is not a ``TimeVaryingSummary`` or names an unknown covariate.
        ConvergenceError
            If no optimum could be found.
        """
        penalizer = require_number(self.penalizer, name="penalizer", low=0)
        n_starts = int(require_number(self.n_starts, name="n_starts", low=1, integer=True))
        max_iter = int(require_number(self.max_iter, name="max_iter", low=1, integer=True))
        pieces = self._pieces(data)
        scaled, scale = _scaled(pieces)
        plain = ParetoNBDModel(penalizer=penalizer, random_state=self.random_state).fit(
            data.summary[["frequency", "recency", "T"]]
        )
        n_extra = len(self._extra_names())
        first = np.concatenate([plain.params_.to_numpy(), np.zeros(n_extra)])
        rng = np.random.default_rng(self.random_state)
        positive = self._positive()
        starts = [first] + [
            np.where(
                positive,
                first * np.exp(rng.normal(0.0, 0.5, first.size)),
                rng.normal(0, 0.1, first.size),
            )
            for _ in range(n_starts - 1)
        ]

        def loglik(theta: FloatArray, _: Sequence[FloatArray]) -> tuple[FloatArray, FloatArray]:
            # The search probes far-off effects whose exposures overflow: a non-finite
            # likelihood there is a step refused, not something to warn the user about.
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                return dyncov_loglik(theta, scaled)

        weights = np.ones(pieces.n_customers)

        def search(tried: list[FloatArray]) -> tuple[FloatArray, FitDiagnostics]:
            return maximize_likelihood(
                loglik,
                [pieces.x],
                weights,
                tried,
                penalizer=penalizer,
                max_iter=max_iter,
                model=type(self).__name__,
                positive=positive,
            )

        with threadpool_limits(limits=1, user_api="blas"):
            try:  # the plain model's optimum is a good start: one run usually settles it
                params, diagnostics = search(starts[:1])
            except ConvergenceError:
                params, diagnostics = search(starts)
            hessian = observed_hessian(
                loglik, [pieces.x], weights, params, penalizer=penalizer, positive=positive
            )
        # Effects on covariates as given: g = g' / scale, so d/dg = scale d/dg'.
        params = params / scale
        hessian = hessian * np.outer(scale, scale)
        ll, _ = dyncov_loglik(params, pieces)
        self._set_fit(
            params=params,
            log_likelihood=float(ll.sum()),
            n_obs=float(pieces.n_customers),
            hessian=hessian,
            diagnostics=diagnostics,
            period=data.summary.attrs.get("period"),
            occasion_period=data.summary.attrs.get("occasion_period"),
        )
        self.covariate_step_days_ = data.grid.step
        return self

    def _theta(self) -> FloatArray:
        self._require_fitted()
        return np.asarray(self.params_.to_numpy(), dtype=np.float64)

    def predict_proba_alive(self, data: TimeVaryingSummary) -> pd.Series:
        """P(alive at the end of calibration | history and covariates), per customer.

        Parameters
        ----------
        data
            A :class:`TimeVaryingSummary` with the model's covariates.

        Returns
        -------
        pandas.Series
            Indexed like ``data.summary``.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``data`` lacks the model's covariates, or measures time in
            another unit than the summary the model was fitted on.
        """
        theta = self._theta()
        p = np.clip(dyncov_p_alive(theta, self._scored(data)), 0.0, 1.0)
        return pd.Series(p, index=data.summary.index, name="p_alive")

    def predict_purchases(
        self,
        data: TimeVaryingSummary,
        t: Horizon,
        *,
        future_covariates: pd.DataFrame | None = None,
    ) -> pd.Series:
        """Predict each customer's purchases in the ``t`` periods after the calibration end.

        The forecast follows the covariates over the forecast window, so a
        planned calendar (a campaign, the holiday season) moves it.

        Parameters
        ----------
        data
            A :class:`TimeVaryingSummary` with the model's covariates.
        t
            Horizon: a number of the model's periods, or a duration such as ``"26W"``.
        future_covariates
            The covariates assumed over the forecast window (see
            :meth:`TimeVaryingSummary.with_future_covariates`); by default
            ``data``'s own covariates must cover the window (e.g. a holdout).

        Returns
        -------
        pandas.Series
            Expected purchases, indexed like ``data.summary``.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If the covariates do not cover the forecast window or break their
            contract, or ``data`` measures time in another unit than the fit.
        """
        horizon = self._horizon_periods(t)
        table = self._by_edges(data, [horizon], future_covariates)
        return table.iloc[:, -1].rename("expected_purchases")

    def predict_purchases_by_period(
        self,
        data: TimeVaryingSummary,
        periods: int,
        *,
        future_covariates: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Predict each customer's purchases in each of the next ``periods`` periods.

        Periods are the model's time unit (weeks by default) counted from the
        calibration end, so summing a column over customers gives the base's
        expected purchases that week: the numbers a holdout tracking plot
        draws, and the cash-flow schedule lifetime value discounts.

        Parameters
        ----------
        data
            A :class:`TimeVaryingSummary` with the model's covariates.
        periods
            Number of periods (>= 1).
        future_covariates
            As for :meth:`predict_purchases`.

        Returns
        -------
        pandas.DataFrame
            One row per customer (indexed like ``data.summary``), one column
            per period, labelled by its first day (a naive date): the day after
            the calibration end, then every period on.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``periods`` is not a positive whole number, the covariates do
            not cover the window, or ``data`` measures time in another unit
            than the fit.
        """
        n = int(require_number(periods, name="periods", low=1, integer=True))
        cumulative = self._by_edges(data, list(np.arange(1.0, n + 1.0)), future_covariates)
        increments = cumulative.diff(axis=1)
        increments.iloc[:, 0] = cumulative.iloc[:, 0]
        # The first period starts with the first occasion after the calibration end's.
        starts = np.datetime64(int(data.end_day) + data.occasion_days, "D") + (
            np.arange(n) * data.day_per_unit
        ).astype("timedelta64[D]")
        increments.columns = pd.DatetimeIndex(starts.astype("datetime64[ns]"), name="period_start")
        return increments

    def cumulative_purchases(
        self, data: TimeVaryingSummary, horizons: Sequence[float], theta: FloatArray | None = None
    ) -> FloatArray:
        """Return expected purchases by each horizon after the calibration end.

        Shape (horizons, customers): the form lifetime value discounts.

        Parameters
        ----------
        data
            A :class:`TimeVaryingSummary` whose covariates cover the horizons.
        horizons
            Increasing horizons in the model's periods.
        theta
            Parameters to use instead of the fitted ones (for intervals), in
            the order of ``params_``.

        Returns
        -------
        numpy.ndarray
            Cumulative expected purchases per horizon and customer (0 at a
            horizon of 0), in the order of ``horizons``.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``horizons`` is empty or holds a negative or non-finite
            number, ``data`` is in another time unit than the fit, or the
            covariates do not cover the window.
        """
        values = self._theta() if theta is None else np.asarray(theta, dtype=np.float64)
        wanted = _checked_horizons(horizons)
        history = self._scored(data)
        result = np.zeros((wanted.size, len(data.summary)))
        edges = np.unique(wanted[wanted > 0])
        if edges.size == 0:
            return result
        purchase, dropout = self._covariates()
        future, ends = data.future_pieces(edges.tolist(), purchase, dropout)
        alive = np.clip(dyncov_p_alive(values, history), 0.0, 1.0)
        per_piece = dyncov_purchases_if_alive(values, history, future)
        cumulative = np.cumsum(per_piece.reshape(-1, ends.size), axis=1)
        at = np.searchsorted(ends, wanted[wanted > 0] - 1e-12)
        result[wanted > 0] = (cumulative[:, at] * alive[:, None]).T
        return result

    def _by_edges(
        self,
        data: TimeVaryingSummary,
        horizons: list[float],
        future_covariates: pd.DataFrame | None,
    ) -> pd.DataFrame:
        if future_covariates is not None:
            data = data.with_future_covariates(future_covariates)
        values = self.cumulative_purchases(data, horizons)
        return pd.DataFrame(values.T, index=data.summary.index, columns=horizons)

    def _horizon_periods(self, t: object) -> float:
        if isinstance(t, (str, dt.timedelta, np.timedelta64)):
            return horizon_periods(t, cast("Freq | None", self.period_), name="t")
        return require_number(t, name="t", low=0, low_inclusive=False)


def _checked_horizons(horizons: Sequence[float]) -> FloatArray:
    """Return horizons as floats: at least one, each finite and >= 0, in any order."""
    try:
        values = np.asarray(horizons, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        msg = f"horizons must be finite numbers >= 0, at least one (got {horizons!r})."
        raise DataContractError(msg, column="horizons", value=horizons) from exc
    bad = ~np.isfinite(values) | (values < 0)
    if values.size == 0 or bad.any():
        got = "none" if values.size == 0 else repr(float(values[np.flatnonzero(bad)[0]]))
        msg = f"horizons must be finite numbers >= 0, at least one (got {got})."
        raise DataContractError(msg, column="horizons", value=got)
    return values


def _scaled(pieces: Pieces) -> tuple[Pieces, FloatArray]:
    """Pieces with each covariate divided by max(1, its largest absolute value), and the divisors.

    The divisors are per parameter (1 for r, alpha, s, beta), so an effect
    found on the scaled covariates is divided by them to be on the given ones.
    """

    def divisors(values: FloatArray) -> FloatArray:
        largest = np.abs(values).max(axis=0) if values.shape[0] else np.zeros(values.shape[1])
        return np.asarray(np.maximum(largest, 1.0), dtype=np.float64)

    by_purchase, by_dropout = divisors(pieces.purchase), divisors(pieces.dropout)
    scaled = evolve(
        pieces,
        purchase_sum=pieces.purchase_sum / by_purchase,
        purchase=pieces.purchase / by_purchase,
        dropout=pieces.dropout / by_dropout,
    )
    return scaled, np.concatenate([np.ones(4), by_purchase, by_dropout])
