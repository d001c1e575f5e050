"""Discrete-time models: BG/BB (non-contractual) and sBG (contractual)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast, overload

import numpy as np
import pandas as pd
from attrs import frozen
from numpy.typing import ArrayLike, NDArray

from .._spark import is_spark_frame
from .._validation import Column, FrameContract, require_no_missing, require_number
from ..errors import DataContractError
from ._base import LifetimeModel, RowRule

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .._spark import SparkFrame
from ._bgbb import (
    bgbb_conditional_purchases,
    bgbb_expected_purchases,
    bgbb_loglik,
    bgbb_p_alive,
)
from ._fitting import LogLikelihood, compress
from ._sbg import (
    sbg_churn_probability,
    sbg_discounted_residual_lifetime,
    sbg_loglik,
    sbg_retention_rate,
    sbg_survival,
    sbg_survival_sum,
)

__all__ = [
    "BetaGeoBetaBinomModel",
    "ContractualMaths",
    "DiscreteMaths",
    "ShiftedBetaGeometricModel",
]

FloatArray = NDArray[np.float64]
Columns = tuple[FloatArray, FloatArray, FloatArray]

DISCRETE_CONTRACT = FrameContract(
    "summary",
    columns=[
        Column("frequency", "integer", non_negative=True),
        Column("recency", "integer", non_negative=True),
        Column("n_periods", "integer", non_negative=True),
    ],
)

SURVIVOR_CONTRACT = FrameContract(
    "survivors",
    columns=[
        Column("period", "integer", non_negative=True),
        Column("n_alive", "integer", non_negative=True),
    ],
)


def _refuse(frame: pd.DataFrame, bad: pd.Series, column: str, rule: str) -> None:
    """Raise a DataContractError for the first row where ``bad`` holds, if any."""
    if not bad.any():
        return
    position = np.flatnonzero(bad.to_numpy())[0]
    row = frame.index[position]
    msg = broken_rule_message(rule, int(bad.sum()), row)
    raise DataContractError(msg, column=column, value=frame[column].iloc[position], row=row)


def broken_rule_message(rule: str, count: int, row: object) -> str:
    """Say that ``count`` rows break ``rule``, the first at ``row`` (pandas and Spark alike)."""
    return f"{rule} (got {count} row(s) that break it, first at row {row!r})."


def _rule(column: str, rule: str, breaks: Callable[[Any], Any]) -> RowRule:
    """Return a BG/BB row rule, worded as ``rule`` with the count and the first row."""
    return RowRule(
        column=column,
        breaks=breaks,
        message=lambda count, row, _value: broken_rule_message(rule, count, row),
    )


DISCRETE_RULES: tuple[RowRule, ...] = (
    _rule(
        "n_periods",
        "summary column 'n_periods' must be >= 0 (opportunities observed after the first)",
        lambda rows: rows["n_periods"] < 0,
    ),
    _rule(
        "recency",
        "summary column 'recency' must be <= 'n_periods'; check the observation end",
        lambda rows: rows["recency"] > rows["n_periods"],
    ),
    _rule(
        "frequency",
        "summary column 'frequency' must be <= 'recency': at most one transaction per "
        "opportunity, the last at opportunity 'recency'",
        lambda rows: rows["frequency"] > rows["recency"],
    ),
    _rule(
        "recency",
        "summary column 'recency' must be 0 when 'frequency' is 0 (no last transaction)",
        lambda rows: (rows["frequency"] == 0) & (rows["recency"] > 0),
    ),
)
"""BG/BB's rules on a summary's rows, in the order they are checked."""


def _whole_numbers(values: ArrayLike, *, name: str, low: float) -> FloatArray:
    """Check a horizon argument: finite whole numbers >= ``low``, as a 1-d float array."""
    array = np.atleast_1d(np.asarray(values, dtype=np.float64))
    ok = np.isfinite(array) & (array >= low) & (array % 1 == 0)
    if not ok.all():
        msg = f"{name!r} must hold whole numbers of periods >= {low:g} (got {values!r})."
        raise DataContractError(msg, column=name, value=values)
    return array


@frozen
class DiscreteMaths:
    """The functions that define one discrete-time non-contractual model."""

    loglik: LogLikelihood
    p_alive: Callable[[Sequence[float], FloatArray, FloatArray, FloatArray], FloatArray]
    conditional: Callable[[Sequence[float], float, FloatArray, FloatArray, FloatArray], FloatArray]
    expected: Callable[[Sequence[float], FloatArray], FloatArray]


class BetaGeoBetaBinomModel(LifetimeModel):
    """BG/BB: at each opportunity a living customer buys with probability p, then may die.

    For settings where customers can transact at most once per discrete
    opportunity (an annual appeal, a yearly event, a weekly visit recorded as
    yes/no) and never announce that they have left. Assumptions: while alive,
    a customer transacts at each opportunity with probability p ~ Beta(alpha,
    beta); at the start of each opportunity the customer dies with probability
    theta ~ Beta(gamma, delta); p and theta are independent across customers.
    Fit on ``frequency`` (opportunities with a transaction), ``recency`` (the
    last such opportunity, 0 if none) and ``n_periods`` (opportunities
    observed), as :func:`~one2one.clv.discrete_summary` returns them; an
    optional ``weight`` column counts identical customers.

    Parameters
    ----------
    penalizer, n_starts, max_iter, random_state
        See :class:`~one2one.clv.LifetimeModel`.

    Attributes
    ----------
    params_ : pandas.Series
        ``alpha``, ``beta``, ``gamma``, ``delta``.
    standard_errors_, confidence_intervals_, covariance_
        Inference from the observed information matrix.
    log_likelihood_, aic_, bic_, n_obs_
        Fit statistics (``n_obs_`` counts customers).
    fit_diagnostics_ : FitDiagnostics
        How the optimiser converged.
    period_ : str or None
        The summary's period; horizons of predictions count these opportunities.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base
       analysis in a discrete-time noncontractual setting. Marketing Science
       29(6), 1086-1108.

    Examples
    --------
    >>> from one2one.clv import BetaGeoBetaBinomModel
    >>> from one2one.datasets import load_donations
    >>> model = BetaGeoBetaBinomModel().fit(load_donations())
    >>> model.params_.round(3).to_dict()
    {'alpha': 1.204, 'beta': 0.75, 'gamma': 0.657, 'delta': 2.783}
    """

    param_names = ("alpha", "beta", "gamma", "delta")
    data_columns = ("frequency", "recency", "n_periods")
    contract = DISCRETE_CONTRACT
    row_rules = DISCRETE_RULES
    maths: ClassVar[DiscreteMaths] = DiscreteMaths(
        loglik=bgbb_loglik,
        p_alive=bgbb_p_alive,
        conditional=bgbb_conditional_purchases,
        expected=bgbb_expected_purchases,
    )

    def _loglik(self) -> LogLikelihood:
        return self.maths.loglik

    def _check_data(self, frame: pd.DataFrame) -> pd.DataFrame:
        if len(frame) == 0:
            msg = "summary is empty; fitting and predicting need at least one customer."
            raise DataContractError(msg, column="frequency")
        for rule in self.row_rules:
            rule.refuse(frame)
        return frame

    def _columns(self, summary: pd.DataFrame) -> tuple[Columns, NDArray[np.intp]]:
        frame = self._check_data(self.contract.validate(summary))
        columns, _, inverse = compress(frame, self.data_columns)
        x, tx, n = columns
        return (x, tx, n), inverse

    # --- predictions ---------------------------------------------------------------------
    @overload
    def predict_proba_alive(self, summary: pd.DataFrame) -> pd.Series: ...

    @overload
    def predict_proba_alive(self, summary: SparkFrame) -> SparkFrame: ...

    def predict_proba_alive(self, summary: pd.DataFrame | SparkFrame) -> pd.Series | SparkFrame:
        """Return the probability that each customer is alive at the next opportunity.

        Parameters
        ----------
        summary
            Customers' ``frequency``, ``recency`` and ``n_periods``: a pandas
            or a Spark DataFrame (see Returns).

        Returns
        -------
        pandas.Series
            ``p_alive`` in [0, 1] (P(alive at opportunity ``n_periods + 1``),
            FHS 2010 eq. 11), indexed like ``summary``.
        pyspark.sql.DataFrame
            For a Spark summary, scored on the executors by the pandas code
            (the fitted model travels pickled; nothing is collected but one
            row, checked on the driver first): ``customer_id`` and
            ``p_alive`` when it has a ``customer_id`` column, otherwise all
            its columns (a Spark :func:`~one2one.clv.discrete_summary`'s
            patterns and weights) and ``p_alive``. The rows are checked
            first, in one Spark job: a row that breaks the contract raises
            the pandas error (the message, column, value and row, the
            first offender in ``customer_id`` order, or pattern order
            without one, and the count of the whole frame).

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``summary`` breaks the model's contract.
        """
        if is_spark_frame(summary):
            return self._score_spark(summary, self.predict_proba_alive, keyed_by_columns=True)
        summary = cast("pd.DataFrame", summary)
        params = self._param_values()
        (x, tx, n), inverse = self._columns(summary)
        p = np.clip(self.maths.p_alive(params, x, tx, n), 0.0, 1.0)
        return pd.Series(p[inverse], index=summary.index, name="p_alive")

    @overload
    def predict_purchases(self, summary: pd.DataFrame, t: int) -> pd.Series: ...

    @overload
    def predict_purchases(self, summary: SparkFrame, t: int) -> SparkFrame: ...

    def predict_purchases(
        self, summary: pd.DataFrame | SparkFrame, t: int
    ) -> pd.Series | SparkFrame:
        """Predict each customer's transactions over the next ``t`` opportunities.

        Parameters
        ----------
        summary
            Customers' ``frequency``, ``recency`` and ``n_periods``: a pandas
            or a Spark DataFrame.
        t
            Number of future opportunities (a whole number >= 0).

        Returns
        -------
        pandas.Series
            ``expected_purchases`` (FHS 2010 eq. 13), indexed like ``summary``.
        pyspark.sql.DataFrame
            For a Spark summary: its keys (as :meth:`predict_proba_alive`
            says) and ``expected_purchases``, scored on the executors.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``summary`` breaks the model's contract or ``t`` is not a
            whole number >= 0.
        """
        if is_spark_frame(summary):
            return self._score_spark(
                summary, partial(self.predict_purchases, t=t), keyed_by_columns=True
            )
        summary = cast("pd.DataFrame", summary)
        params = self._param_values()
        horizon = require_number(t, name="t", low=0, integer=True)
        (x, tx, n), inverse = self._columns(summary)
        values = self.maths.conditional(params, horizon, x, tx, n)
        return pd.Series(values[inverse], index=summary.index, name="expected_purchases")

    def expected_purchases(self, n: ArrayLike) -> FloatArray:
        """Return the expected transactions of a new customer in ``n`` opportunities.

        The unconditional E[X(n)] (FHS 2010 eq. 7): the curve a cohort's
        cumulative repeat transactions per customer should follow.

        Parameters
        ----------
        n
            Numbers of opportunities (whole numbers >= 0), scalar or array.

        Returns
        -------
        numpy.ndarray
            One expectation per element of ``n`` (1-d).

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``n`` holds anything but whole numbers >= 0.
        """
        params = self._param_values()
        return self.maths.expected(params, _whole_numbers(n, name="n", low=0))

    @overload
    def predict(self, summary: pd.DataFrame, t: int) -> pd.DataFrame: ...

    @overload
    def predict(self, summary: SparkFrame, t: int) -> SparkFrame: ...

    def predict(self, summary: pd.DataFrame | SparkFrame, t: int) -> pd.DataFrame | SparkFrame:
        """Return P(alive) and the expected transactions in the next ``t`` opportunities.

        Parameters
        ----------
        summary
            ``frequency``, ``recency`` and ``n_periods`` per customer, as
            :func:`~one2one.clv.discrete_summary` builds it: a pandas or a
            Spark DataFrame.
        t
            Future transaction opportunities (whole number >= 0).

        Returns
        -------
        pandas.DataFrame
            Columns ``p_alive`` and ``expected_purchases``, indexed like ``summary``.
        pyspark.sql.DataFrame
            For a Spark summary: its keys (as :meth:`predict_proba_alive`
            says), ``p_alive`` and ``expected_purchases``, scored in one pass
            on the executors.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``summary`` or ``t`` breaks the contract.
        """
        if is_spark_frame(summary):
            return self._score_spark(summary, partial(self.predict, t=t), keyed_by_columns=True)
        summary = cast("pd.DataFrame", summary)
        return pd.concat(
            [self.predict_proba_alive(summary), self.predict_purchases(summary, t)], axis=1
        )


@frozen
class ContractualMaths:
    """The functions that define one model of contract duration."""

    loglik: LogLikelihood
    survival: Callable[[Sequence[float], FloatArray], FloatArray]
    churn_probability: Callable[[Sequence[float], FloatArray], FloatArray]
    retention_rate: Callable[[Sequence[float], FloatArray], FloatArray]
    survival_sum: Callable[[Sequence[float], FloatArray, FloatArray], FloatArray]
    discounted_residual_lifetime: Callable[[Sequence[float], FloatArray, float], FloatArray]


class ShiftedBetaGeometricModel(LifetimeModel):
    """sBG: each customer churns at the end of every period with their own probability.

    For contractual settings (subscriptions, memberships) where churn is
    observed and renewals happen once per period. Assumptions: a customer
    with churn probability theta renews at each period with probability
    1 - theta; theta ~ Beta(alpha, beta) across customers. Aggregate retention
    rates rise over time only because the customers most likely to churn leave
    first. Fit on a survivor table: ``period`` (0, 1, 2, ... consecutive) and
    ``n_alive`` (customers still active at the start of that period; period 0
    is the cohort's size), optionally several cohorts told apart by a
    ``cohort`` column (all sharing the parameters).

    Parameters
    ----------
    penalizer, n_starts, max_iter, random_state
        See :class:`~one2one.clv.LifetimeModel`.

    Attributes
    ----------
    params_ : pandas.Series
        ``alpha``, ``beta``.
    standard_errors_, confidence_intervals_, covariance_
        Inference from the observed information matrix.
    log_likelihood_, aic_, bic_, n_obs_
        Fit statistics (``n_obs_`` counts customers in cohorts observed for at
        least one renewal).
    fit_diagnostics_ : FitDiagnostics
        How the optimiser converged.
    period_ : str or None
        The table's period (from ``attrs["period"]``), the unit of every horizon.

    References
    ----------
    .. [1] Fader, P. S. & Hardie, B. G. S. (2007). How to project customer
       retention. Journal of Interactive Marketing 21(1), 76-90.
    .. [2] Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a
       contractual setting: the perils of ignoring heterogeneity. Marketing
       Science 29(1), 85-93.

    Examples
    --------
    >>> from one2one.clv import ShiftedBetaGeometricModel
    >>> from one2one.datasets import load_retention_cohorts
    >>> table = load_retention_cohorts()
    >>> regular = table[(table["cohort"] == "Regular") & (table["period"] <= 7)]
    >>> model = ShiftedBetaGeometricModel().fit(regular)
    >>> model.params_.round(3).to_dict()
    {'alpha': 0.704, 'beta': 1.182}
    >>> model.retention_rate([1, 12]).round(3).tolist()
    [0.627, 0.945]
    """

    param_names = ("alpha", "beta")
    data_columns = ("period", "churned")
    contract = SURVIVOR_CONTRACT
    maths: ClassVar[ContractualMaths] = ContractualMaths(
        loglik=sbg_loglik,
        survival=sbg_survival,
        churn_probability=sbg_churn_probability,
        retention_rate=sbg_retention_rate,
        survival_sum=sbg_survival_sum,
        discounted_residual_lifetime=sbg_discounted_residual_lifetime,
    )

    def _loglik(self) -> LogLikelihood:
        return self.maths.loglik

    def fit(self, data: pd.DataFrame | SparkFrame) -> Self:
        """Estimate ``alpha`` and ``beta`` by maximum likelihood from survivor counts.

        The table becomes the likelihood's rows: ``n_alive[t - 1] - n_alive[t]``
        customers who churned in period ``t``, and the last period's survivors,
        censored. A cohort seen only at period 0 carries no information and is
        left out.

        Parameters
        ----------
        data
            Survivor table with ``period``, ``n_alive`` and optionally ``cohort``;
            a Spark DataFrame is collected (a survivor table has a row per
            cohort and period, never per customer).

        Returns
        -------
        Self
            The fitted model.

        Raises
        ------
        DataContractError
            If the table breaks the contract (see the class docstring), or if
            nobody churned: the likelihood then keeps growing as churn
            probabilities go to 0, so there is no estimate to report.
        ConvergenceError
            If no optimum could be found.
        """
        return super().fit(data)

    def _from_spark(self, data: SparkFrame) -> pd.DataFrame:
        from ._spark import collected  # noqa: PLC0415 - pyspark lazily

        return collected(data)

    def _check_data(self, frame: pd.DataFrame) -> pd.DataFrame:
        table = self._survivor_table(frame).reset_index(drop=True)
        previous = table.groupby("_cohort", sort=False)["n_alive"].shift(1)
        renewal = table["period"] > 0
        last = ~table["_cohort"].duplicated(keep="last") & renewal
        churned = pd.DataFrame(
            {
                "period": table["period"][renewal],
                "churned": 1,
                "weight": (previous - table["n_alive"])[renewal],
            }
        )
        survived = pd.DataFrame(
            {"period": table["period"][last], "churned": 0, "weight": table["n_alive"][last]}
        )
        rows = pd.concat([churned, survived], ignore_index=True).astype(np.float64)
        if rows["weight"].sum() <= 0:
            msg = (
                "survivors carry no information: no cohort with customers is observed past "
                "period 0; add at least one renewal period."
            )
            raise DataContractError(msg, column="period")
        if rows.loc[rows["churned"] > 0, "weight"].sum() <= 0:
            msg = (
                "survivors show no churn at all ('n_alive' never falls), so the churn "
                "probability cannot be estimated (the likelihood grows without bound as it "
                "goes to 0); fit once some customers have left."
            )
            raise DataContractError(msg, column="n_alive")
        return rows

    def _survivor_table(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Check a validated survivor table's structure; return it sorted, with cohort codes."""
        if len(frame) == 0:
            msg = "survivors is empty; fitting needs at least one cohort."
            raise DataContractError(msg, column="period")
        if "cohort" in frame.columns:
            require_no_missing(frame, ["cohort"], name="survivors")
            codes = pd.factorize(frame["cohort"])[0]
        else:
            codes = np.zeros(len(frame), dtype=np.intp)
        table = frame[["period", "n_alive"]].assign(_cohort=codes)
        table = table.sort_values(["_cohort", "period"], kind="stable")
        expected = table.groupby("_cohort", sort=False).cumcount()
        rule = (
            "survivors column 'period' must run 0, 1, 2, ... within each cohort, without "
            "gaps or repeats"
        )
        _refuse(table, table["period"] != expected, "period", rule)
        increase = table.groupby("_cohort", sort=False)["n_alive"].diff() > 0
        rule = (
            "survivors column 'n_alive' must not increase from one period to the next within "
            "a cohort (customers who left cannot come back; put a new start in a new cohort)"
        )
        _refuse(table, increase, "n_alive", rule)
        return table

    # --- predictions ---------------------------------------------------------------------
    def survival(self, t: ArrayLike) -> FloatArray:
        """Return S(t), the share of a new cohort still active after ``t`` periods.

        Parameters
        ----------
        t
            Periods (whole numbers >= 0), scalar or array.

        Returns
        -------
        numpy.ndarray
            S(t) = B(alpha, beta + t) / B(alpha, beta) (FH 2007, eq. 3), 1-d.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``t`` holds anything but whole numbers >= 0.
        """
        return self.maths.survival(self._param_values(), _whole_numbers(t, name="t", low=0))

    def churn_probability(self, t: ArrayLike) -> FloatArray:
        """Return P(T = t), the share of a new cohort lost in period ``t``.

        Parameters
        ----------
        t
            Periods (whole numbers >= 1), scalar or array.

        Returns
        -------
        numpy.ndarray
            B(alpha + 1, beta + t - 1) / B(alpha, beta) (FH 2007, eq. 2), 1-d.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``t`` holds anything but whole numbers >= 1.
        """
        params = self._param_values()
        return self.maths.churn_probability(params, _whole_numbers(t, name="t", low=1))

    def retention_rate(self, t: ArrayLike) -> FloatArray:
        """Return the share of customers active in period ``t - 1`` who renew for period ``t``.

        Parameters
        ----------
        t
            Periods (whole numbers >= 1), scalar or array.

        Returns
        -------
        numpy.ndarray
            r_t = (beta + t - 1) / (alpha + beta + t - 1) (FH 2007, eq. 5), 1-d.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``t`` holds anything but whole numbers >= 1.
        """
        params = self._param_values()
        return self.maths.retention_rate(params, _whole_numbers(t, name="t", low=1))

    def expected_lifetime(self, horizon: float | None = None) -> float:
        """Return the expected number of periods a new customer stays active.

        Counts the first period (everyone is active in period 0), so it is
        E[T] = sum over t >= 0 of S(t), or E[min(T, horizon)] within a window.
        Without a horizon it is (alpha + beta - 1) / (alpha - 1), and infinite
        when alpha <= 1: a heavy tail of loyal customers never leaves.

        Parameters
        ----------
        horizon
            Periods to count (a whole number >= 0), or ``None`` for all.

        Returns
        -------
        float
            Expected periods active; ``inf`` when unbounded.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``horizon`` is not a whole number >= 0.
        """
        params = self._param_values()
        window = (
            np.inf
            if horizon is None
            else require_number(horizon, name="horizon", low=0, integer=True)
        )
        if window == 0:
            return 0.0
        # Period 0 counts in full; the sum runs over the periods after it.
        later = self.maths.survival_sum(params, np.zeros(1), np.array([window - 1.0]))
        return 1.0 + float(later[0])

    def discounted_residual_lifetime(self, renewals: ArrayLike, discount_rate: float) -> FloatArray:
        """Return DERL: the expected discounted payments still to come from a customer.

        For a customer who has made ``renewals`` renewals and is about to make
        the next renewal decision, the expected number of future payments
        (one per period, starting with the next renewal) discounted at
        ``discount_rate`` per period (FH 2010, eq. 6). Multiply by the margin
        per period for the customer's residual value. For a customer who is
        just being acquired, the expected discounted lifetime (DEL, counting
        the first payment) is ``1 + DERL(0) / (1 + discount_rate)``.

        Parameters
        ----------
        renewals
            Renewals made so far (whole numbers >= 0), scalar or array.
        discount_rate
            Discount rate per period, > 0 (the sum diverges at 0 when alpha <= 1).

        Returns
        -------
        numpy.ndarray
            DERL per element of ``renewals``, 1-d; it rises with ``renewals``
            because surviving customers are the loyal ones.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``renewals`` or ``discount_rate`` is out of range.
        """
        params = self._param_values()
        done = _whole_numbers(renewals, name="renewals", low=0)
        rate = require_number(discount_rate, name="discount_rate", low=0, low_inclusive=False)
        return self.maths.discounted_residual_lifetime(params, done, rate)
