"""Uplift learners: who buys *because* they were contacted.

A response model ranks customers by how likely they are to buy; many of them
would buy anyway, and some buy less when disturbed. Uplift models rank by the
difference the contact makes, learned from a randomised campaign (a treated
group and a holdout). Two families, each over any scikit-learn estimator:

* :class:`TwoModelUplift` fits the outcome separately on treated and
  control customers and subtracts (works for conversions and for revenue);
* :class:`ClassTransformationUplift` (Jaskowski & Jaroszewicz, 2012) fits one
  classifier on a transformed label whose probability is a linear function
  of the uplift; unequal group sizes are balanced by weights.

Both check first that assignment looks random (see :func:`check_assignment`).
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.utils.validation import validate_data

from .._spark import SparkFrame, is_spark_frame
from .._validation import require_number, require_one_of
from ..errors import DataContractError, NotFittedError
from ._assignment import Action, _as_frame, as_treatment, check_assignment

__all__ = ["ClassTransformationUplift", "TwoModelUplift", "targeting_policy"]

_ACTIONS: tuple[Action, ...] = ("raise", "warn", "ignore")


def _outcome(y: Any, n: int, *, binary: bool) -> NDArray[np.float64]:
    values = pd.Series(np.asarray(y).ravel() if not isinstance(y, pd.Series) else y)
    if len(values) != n:
        msg = f"y has {len(values)} outcomes for {n} customers."
        raise DataContractError(msg, column="y", value=len(values))
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() | ~np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        position = int(np.argmax(bad.to_numpy()))
        msg = f"y must be a finite number for every customer (got {values.iloc[position]!r})."
        raise DataContractError(msg, column="y", value=values.iloc[position], row=position)
    out = numbers.to_numpy(dtype=float)
    if binary and not np.isin(out, [0.0, 1.0]).all():
        value = out[~np.isin(out, [0.0, 1.0])][0]
        msg = f"this learner needs a 0/1 outcome, responded or not (got {value:g})."
        raise DataContractError(msg, column="y", value=float(value))
    return out


def _is_binary(y: NDArray[np.float64]) -> bool:
    return bool(np.isin(y, [0.0, 1.0]).all())


def _score(model: Any, X: NDArray[np.float64]) -> NDArray[np.float64]:
    if is_classifier(model):
        proba = model.predict_proba(X)
        classes = list(model.classes_)
        if 1 in classes or 1.0 in classes:
            return np.asarray(proba[:, classes.index(1)], dtype=np.float64)
        return np.zeros(len(X))
    return np.asarray(model.predict(X), dtype=np.float64)


class _UpliftBase(BaseEstimator):  # type: ignore[misc]
    """Shared validation: features, outcome, treatment, and the assignment check."""

    estimator: Any
    assignment_check: Action

    def _prepare(
        self,
        X: Any,
        y: Any,
        treatment: Any,
        *,
        binary: bool,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
        action = require_one_of(self.assignment_check, _ACTIONS, name="assignment_check")
        frame = _as_frame(X) if isinstance(X, pd.DataFrame) else None
        values: NDArray[np.float64] = validate_data(self, X, reset=True, dtype=np.float64)
        if frame is None:
            frame = _as_frame(values)
        flags = as_treatment(treatment, len(values))
        outcome = _outcome(y, len(values), binary=binary)
        if action != "ignore":
            check_assignment(frame, flags, action=action)
        return values, outcome, flags

    def _features(self, X: Any) -> NDArray[np.float64]:
        if not hasattr(self, "n_features_in_"):
            msg = f"This {type(self).__name__} is not fitted yet; call fit first."
            raise NotFittedError(msg)
        if isinstance(X, pd.DataFrame):
            _as_frame(X)
        values: NDArray[np.float64] = validate_data(self, X, reset=False, dtype=np.float64)
        return values

    def _predict_spark(self, X: SparkFrame) -> SparkFrame:
        """Score a Spark frame on the executors with this fitted model (see ``predict``)."""
        if not hasattr(self, "n_features_in_"):
            msg = f"This {type(self).__name__} is not fitted yet; call fit first."
            raise NotFittedError(msg)
        from ._spark import score_frame  # noqa: PLC0415 - pyspark only here

        def uplift(features: pd.DataFrame) -> dict[str, Any]:
            return {"uplift": np.asarray(self.predict(features), dtype=np.float64)}

        return score_frame(
            X,
            features=getattr(self, "feature_names_in_", None),
            model=type(self).__name__,
            outputs=[("uplift", "double")],
            score=uplift,
        )


class TwoModelUplift(_UpliftBase):
    """Uplift as the difference of two outcome models, one per group.

    Parameters
    ----------
    estimator
        Any scikit-learn classifier (0/1 outcome, uplift in probability) or
        regressor (e.g. revenue, uplift in money). ``None``: histogram
        gradient boosting, a classifier when ``y`` is 0/1.
    assignment_check
        ``"raise"`` (default) refuses a log whose treatment is predictable
        from ``X``; ``"warn"`` only warns; ``"ignore"`` skips the check.

    Attributes
    ----------
    treated_model_, control_model_
        The fitted outcome models.

    Examples
    --------
    >>> import numpy as np
    >>> from one2one.datasets import simulate_campaign
    >>> campaign = simulate_campaign(20_000, random_state=1)
    >>> model = TwoModelUplift().fit(campaign.features, campaign.response, campaign.treatment)
    >>> float(np.corrcoef(model.predict(campaign.features), campaign.true_uplift)[0, 1]) > 0.3
    True
    """

    def __init__(self, estimator: Any = None, *, assignment_check: Action = "raise") -> None:
        self.estimator = estimator
        self.assignment_check = assignment_check

    def fit(self, X: Any, y: Any, treatment: Any) -> TwoModelUplift:
        """Fit one outcome model on the treated customers and one on the holdout.

        The assignment is checked first (``assignment_check``): the
        difference of the two models is an effect only if who was contacted
        was a coin toss.

        Parameters
        ----------
        X
            Customer features at the time of the campaign: numeric and finite,
            array-like of shape (n_customers, n_features) or a DataFrame.
        y
            Each customer's outcome: 0/1 (responded) or an amount (revenue).
        treatment
            1/True for contacted customers, 0/False for the holdout; at
            least 5 of each.

        Returns
        -------
        TwoModelUplift
            The fitted model itself.

        Raises
        ------
        DataContractError
            Features that are not numeric and finite; ``y`` or ``treatment``
            of another length, non-finite or not 0/1 (treatment); fewer than
            5 treated or control customers; a classifier with a non-0/1
            outcome; an unknown ``assignment_check``.
        NonRandomAssignmentError
            With ``assignment_check="raise"``, if treatment is predictable
            from the features (see :func:`check_assignment`).
        """
        values, outcome, flags = self._prepare(X, y, treatment, binary=False)
        if self.estimator is None:
            binary = _is_binary(outcome)
            base: Any = (
                HistGradientBoostingClassifier(random_state=0)
                if binary
                else HistGradientBoostingRegressor(random_state=0)
            )
        else:
            base = self.estimator
            if is_classifier(base) and not _is_binary(outcome):
                msg = "a classifier needs a 0/1 outcome; use a regressor for amounts."
                raise DataContractError(msg, column="y")
        self.treated_model_ = clone(base).fit(values[flags], outcome[flags])
        self.control_model_ = clone(base).fit(values[~flags], outcome[~flags])
        return self

    @overload
    def predict(self, X: SparkFrame) -> SparkFrame: ...
    @overload
    def predict(self, X: Any) -> NDArray[np.float64]: ...
    def predict(self, X: Any) -> NDArray[np.float64] | SparkFrame:
        """Predict the uplift: expected outcome if contacted minus if not.

        Parameters
        ----------
        X
            Customer features at the time of the campaign: numeric and finite,
            array-like of shape (n_customers, n_features) or a DataFrame.
            The same columns as in ``fit``. A Spark DataFrame is scored on
            the executors (the fitted model is shipped to them): fit on a
            pandas sample, score every customer.

        Returns
        -------
        numpy.ndarray of shape (n_customers,)
            The uplift, in probability for a 0/1 outcome, in the outcome's
            unit for an amount; negative where the contact does harm. With a
            Spark DataFrame: a Spark DataFrame of its other columns (its
            keys, e.g. ``customer_id``) and ``uplift`` (double), the pandas
            predictions for the same rows (the model must have been fitted
            on a DataFrame: columns are matched by name).

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If the features are not numeric and finite.
        """
        if is_spark_frame(X):
            return self._predict_spark(X)
        values = self._features(X)
        return _score(self.treated_model_, values) - _score(self.control_model_, values)


class ClassTransformationUplift(_UpliftBase):
    """Uplift from one classifier on the transformed label ``z = y*t + (1-y)*(1-t)``.

    With treated and control weighted to equal totals, ``P(z=1|x) = (1 +
    uplift(x)) / 2``, so one model learns the difference directly instead of
    two models each learning a level. Needs a 0/1 outcome.

    Parameters
    ----------
    estimator
        Any scikit-learn classifier accepting ``sample_weight`` (needed when
        the groups differ in size). ``None``: histogram gradient boosting.
    assignment_check
        As in :class:`TwoModelUplift`.

    Attributes
    ----------
    model_
        The fitted classifier of ``z``.
    treated_share_
        Share of training customers treated (the weights balance it to 0.5).
    """

    def __init__(self, estimator: Any = None, *, assignment_check: Action = "raise") -> None:
        self.estimator = estimator
        self.assignment_check = assignment_check

    def fit(self, X: Any, y: Any, treatment: Any) -> ClassTransformationUplift:
        """Fit the classifier of the transformed label, with the groups balanced.

        Parameters
        ----------
        X
            Customer features at the time of the campaign: numeric and finite,
            array-like of shape (n_customers, n_features) or a DataFrame.
        y
            Each customer's 0/1 outcome (responded or not).
        treatment
            1/True for contacted customers, 0/False for the holdout; at
            least 5 of each.

        Returns
        -------
        ClassTransformationUplift
            The fitted model itself.

        Raises
        ------
        DataContractError
            Features that are not numeric and finite; ``y`` that is not 0/1;
            ``treatment`` of another length, not 0/1, or with fewer than 5
            treated or control customers; an estimator that is no
            classifier or takes no ``sample_weight``; an unknown
            ``assignment_check``.
        NonRandomAssignmentError
            With ``assignment_check="raise"``, if treatment is predictable
            from the features (see :func:`check_assignment`).
        """
        values, outcome, flags = self._prepare(X, y, treatment, binary=True)
        base = (
            HistGradientBoostingClassifier(random_state=0)
            if self.estimator is None
            else self.estimator
        )
        if not is_classifier(base):
            msg = f"ClassTransformationUplift needs a classifier (got {type(base).__name__})."
            raise DataContractError(msg, column="estimator", value=type(base).__name__)
        share = float(flags.mean())
        z = np.where(flags, outcome, 1.0 - outcome).astype(int)
        weight = np.where(flags, 0.5 / share, 0.5 / (1.0 - share))
        self.treated_share_ = share
        try:
            self.model_ = clone(base).fit(values, z, sample_weight=weight)
        except TypeError as error:
            msg = (
                f"{type(base).__name__} does not accept sample_weight, which balances the "
                "treated and control groups; choose an estimator that does."
            )
            raise DataContractError(msg, column="estimator", value=type(base).__name__) from error
        return self

    @overload
    def predict(self, X: SparkFrame) -> SparkFrame: ...
    @overload
    def predict(self, X: Any) -> NDArray[np.float64]: ...
    def predict(self, X: Any) -> NDArray[np.float64] | SparkFrame:
        """Uplift in response probability, ``2 P(z=1|x) - 1``.

        Parameters
        ----------
        X
            Customer features at the time of the campaign: numeric and finite,
            array-like of shape (n_customers, n_features) or a DataFrame.
            The same columns as in ``fit``. A Spark DataFrame is scored on
            the executors (the fitted model is shipped to them): fit on a
            pandas sample, score every customer.

        Returns
        -------
        numpy.ndarray of shape (n_customers,)
            The uplift in response probability, in [-1, 1]. With a Spark
            DataFrame: a Spark DataFrame of its other columns (its keys, e.g.
            ``customer_id``) and ``uplift`` (double), the pandas predictions
            for the same rows (the model must have been fitted on a
            DataFrame: columns are matched by name).

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If the features are not numeric and finite.
        """
        if is_spark_frame(X):
            return self._predict_spark(X)
        values = self._features(X)
        return 2.0 * _score(self.model_, values) - 1.0


def targeting_policy(
    uplift: Any,
    *,
    value: float | pd.Series = 1.0,
    cost: float | pd.Series = 0.0,
    budget: int | None = None,
) -> pd.DataFrame:
    """Contact only customers whose expected uplift is worth more than the contact costs.

    Parameters
    ----------
    uplift
        Predicted uplift per customer (a Series keeps its index).
    value
        What one extra response is worth (e.g. margin or CLV), one number or
        one per customer.
    cost
        Cost of one contact, one number or one per customer.
    budget
        At most this many contacts; the best expected net gains are kept
        (ties by position).

    Returns
    -------
    pandas.DataFrame
        ``uplift``, ``expected_net`` (``uplift * value - cost``) and
        ``contact`` (True where the net is positive and within budget).

    Raises
    ------
    DataContractError
        If an uplift is missing or not finite, a per-customer ``value`` or
        ``cost`` lacks a customer of ``uplift``, a single ``value`` or
        ``cost`` is negative, or ``budget`` is not a whole number >= 0.

    Examples
    --------
    >>> import pandas as pd
    >>> targeting_policy(pd.Series([0.10, 0.02, -0.05]), value=40.0, cost=1.0)["contact"].tolist()
    [True, False, False]
    """
    series = uplift if isinstance(uplift, pd.Series) else pd.Series(np.asarray(uplift, dtype=float))
    series = series.astype(float).rename("uplift")
    if series.isna().any() or not np.isfinite(series.to_numpy()).all():
        row = series.index[~np.isfinite(series.to_numpy())][0]
        msg = f"uplift is {series[row]} for customer {row!r}; every customer needs a number."
        raise DataContractError(msg, column="uplift", value=series[row], row=row)
    for name, given in (("value", value), ("cost", cost)):
        if isinstance(given, pd.Series):
            aligned = given.reindex(series.index)
            if aligned.isna().any():
                row = aligned.index[aligned.isna().to_numpy()][0]
                msg = f"{name} is missing for customer {row!r}."
                raise DataContractError(msg, column=name, row=row)
        else:
            require_number(given, name=name, low=0.0)
    value_s = value.reindex(series.index) if isinstance(value, pd.Series) else value
    cost_s = cost.reindex(series.index) if isinstance(cost, pd.Series) else cost
    net = (series * value_s - cost_s).astype(float)
    contact = net > 0
    if budget is not None:
        require_number(budget, name="budget", low=0, integer=True)
        order = np.argsort(-net.to_numpy(), kind="stable")
        within = np.zeros(len(net), dtype=bool)
        within[order[: int(budget)]] = True
        contact &= within
    return pd.DataFrame({"uplift": series, "expected_net": net, "contact": contact})
