"""Was the treatment randomised? A check before anyone reads an effect from a campaign log.

Uplift is the difference a contact makes, which only a randomised holdout
measures. If the customers who were contacted can be told apart from the
ones who were not by their features, the log mixes the effect of the contact
with the reason for it (the best customers were mailed, and would have bought
anyway). The check fits a model that predicts treatment from the features;
under randomisation its cross-validated AUC is 0.5 up to noise.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .._validation import as_generator, require_number, require_one_of
from ..errors import DataContractError, NonRandomAssignmentError, NonRandomAssignmentWarning

__all__ = ["AssignmentCheck", "check_assignment"]

Action = Literal["raise", "warn", "ignore"]
_ACTIONS: tuple[Action, ...] = ("raise", "warn", "ignore")
_MIN_GROUP = 5
_SMD_FLAG = 0.1  # Austin (2009): a standardised mean difference above 0.1 is imbalance


@attrs.frozen
class AssignmentCheck:
    """The verdict on whether treatment looks randomised.

    Attributes
    ----------
    auc
        Cross-validated AUC of a logistic model predicting treatment from the
        features (0.5: a fair coin).
    threshold
        The AUC above which assignment is called non-random: 0.5 plus the
        larger of 0.02 and three standard deviations of the AUC under
        randomisation for these group sizes (Mann-Whitney), so small
        campaigns are not flagged for noise.
    random
        ``auc <= threshold``.
    balance
        Standardised mean difference of every feature (treated minus
        control, in pooled standard deviations), largest first; above 0.1 is
        conventionally a sign of imbalance.
    treated_share
        Share of customers treated.
    """

    auc: float
    threshold: float
    random: bool
    balance: pd.Series = attrs.field(eq=False)
    treated_share: float


def _as_frame(X: Any) -> pd.DataFrame:
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    frame = frame.rename(columns=str)
    for column in frame.columns:
        values = frame[column]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            msg = f"feature {column!r} is not numeric (dtype {values.dtype}); encode it first."
            raise DataContractError(msg, column=column, value=str(values.dtype))
        finite = np.isfinite(values.to_numpy(dtype=float))
        if not finite.all():
            row = values.index[~finite][0]
            msg = f"feature {column!r} is {values[row]} for row {row!r}; features must be finite."
            raise DataContractError(msg, column=column, value=values[row], row=row)
    return frame


def as_treatment(treatment: Any, n: int, *, least: int = _MIN_GROUP) -> NDArray[np.bool_]:
    """Validate a treatment indicator (0/1 or bool, ``least`` of each group) of length ``n``."""
    values = pd.Series(
        np.asarray(treatment).ravel() if not isinstance(treatment, pd.Series) else treatment
    )
    if len(values) != n:
        msg = f"treatment has {len(values)} values for {n} customers."
        raise DataContractError(msg, column="treatment", value=len(values))
    bad = ~values.isin([0, 1, True, False]) | values.isna()
    if bad.any():
        position = int(np.argmax(bad.to_numpy()))
        msg = f"treatment must be 0/1 or True/False (got {values.iloc[position]!r})."
        raise DataContractError(msg, column="treatment", value=values.iloc[position], row=position)
    flags = values.to_numpy().astype(bool)
    treated = int(flags.sum())
    if min(treated, n - treated) < least:
        msg = (
            f"treatment has {treated} treated and {n - treated} control customers; uplift "
            f"needs at least {least} of each (a holdout is what measures the effect)."
        )
        raise DataContractError(msg, column="treatment", value=treated)
    return flags


def check_assignment(
    X: Any,
    treatment: Any,
    *,
    action: Action = "ignore",
    sample: int = 100_000,
    random_state: int | None = 0,
) -> AssignmentCheck:
    """Test whether treatment could have been a coin toss given the features.

    Parameters
    ----------
    X
        Customer features at the time of assignment (numeric).
    treatment
        1/True for contacted customers, 0/False for the holdout.
    action
        What to do when assignment looks non-random: ``"raise"``
        :class:`~one2one.errors.NonRandomAssignmentError`, ``"warn"``
        :class:`~one2one.errors.NonRandomAssignmentWarning`, or ``"ignore"``
        (just return the verdict).
    sample
        At most this many customers are used (a stratified random sample).
    random_state
        Seed of the sample and the folds.

    Returns
    -------
    AssignmentCheck
        The AUC, the threshold it is held to, the verdict and each feature's
        standardised mean difference.

    Raises
    ------
    DataContractError
        Features that are not numeric and finite; ``treatment`` of another
        length, not 0/1, or with fewer than 5 treated or control customers;
        an unknown ``action``; ``sample`` below 100.
    NonRandomAssignmentError
        With ``action="raise"``, if treatment is predictable from the
        features (AUC above the threshold); the most imbalanced feature is
        named.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 3))
    >>> check_assignment(X, rng.random(2000) < 0.5).random
    True
    >>> check_assignment(X, X[:, 0] + rng.normal(size=2000) > 0).random
    False
    """
    require_one_of(action, _ACTIONS, name="action")
    require_number(sample, name="sample", low=100, integer=True)
    frame = _as_frame(X)
    flags = as_treatment(treatment, len(frame))
    rng = as_generator(random_state)
    rows = np.arange(len(frame))
    if len(frame) > sample:
        rows = np.sort(rng.choice(len(frame), int(sample), replace=False))
    values = frame.to_numpy(dtype=float)[rows]
    target = flags[rows]
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=int(rng.integers(2**31)))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # constant columns scale to 0/0
        score = cross_val_predict(
            model, np.nan_to_num(values), target, cv=folds, method="predict_proba"
        )
    auc = float(roc_auc_score(target, score[:, 1]))
    n1, n0 = int(target.sum()), int((~target).sum())
    null_sd = float(np.sqrt((n1 + n0 + 1) / (12.0 * n1 * n0)))
    threshold = 0.5 + max(0.02, 3.0 * null_sd)
    all_values = frame.to_numpy(dtype=float)
    treated, control = all_values[flags], all_values[~flags]
    pooled = np.sqrt((treated.var(axis=0) + control.var(axis=0)) / 2.0)
    difference = treated.mean(axis=0) - control.mean(axis=0)
    smd = np.divide(difference, pooled, out=np.zeros_like(difference), where=pooled > 0)
    balance = pd.Series(smd, index=frame.columns, name="standardised_mean_difference")
    balance = balance.reindex(balance.abs().sort_values(ascending=False, kind="stable").index)
    result = AssignmentCheck(
        auc=auc,
        threshold=threshold,
        random=auc <= threshold,
        balance=balance,
        treated_share=float(flags.mean()),
    )
    if not result.random and action != "ignore":
        worst = str(balance.index[0]) if len(balance) else None
        msg = (
            f"treatment is predictable from the features (cross-validated AUC {auc:.3f} > "
            f"{threshold:.3f} for a coin toss; most imbalanced: {worst!r}, standardised "
            f"difference {balance.iloc[0]:+.2f}). Uplift from this log would mix the effect of "
            "the contact with the reason customers were contacted; use a randomised holdout, "
            "or pass assignment_check='warn' if you have adjusted for it yourself."
        )
        if action == "raise":
            raise NonRandomAssignmentError(msg, auc=auc, column=worst)
        warnings.warn(msg, NonRandomAssignmentWarning, stacklevel=2)
    return result
