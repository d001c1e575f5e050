"""How good is an uplift ranking? Qini and uplift curves, their areas, and uplift at k.

The true uplift of one customer is never observed (they were either
contacted or not), so rankings are judged on groups: contact the top share of
customers by predicted uplift and compare treated with control responses
within it. Customers with equal predicted uplift are taken together, so the
curves do not depend on row order.

* Qini curve (Radcliffe, 2007): incremental responses among the top share,
  ``R_t - R_c * N_t / N_c``.
* Uplift curve: ``(R_t / N_t - R_c / N_c) * (N_t + N_c)``.

Both end at the campaign's total incremental responses; a random ranking is
the straight line to that point.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._validation import require_number, require_one_of
from ..errors import DataContractError
from ._assignment import as_treatment
from ._uplift import _outcome

__all__ = ["auuc_score", "qini_curve", "uplift_at_k", "uplift_curve"]

Curve = Literal["qini", "uplift"]
_CURVES: tuple[Curve, ...] = ("qini", "uplift")


def _inputs(
    y: Any, treatment: Any, uplift: Any
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64]]:
    score = np.asarray(uplift, dtype=float).ravel()
    if not np.isfinite(score).all():
        position = int(np.argmax(~np.isfinite(score)))
        msg = f"uplift must be finite for every customer (got {score[position]} at row {position})."
        raise DataContractError(msg, column="uplift", value=float(score[position]), row=position)
    flags = as_treatment(treatment, len(score), least=1)
    outcome = _outcome(y, len(score), binary=False)
    return outcome, flags, score


def _curve(
    outcome: NDArray[np.float64], flags: NDArray[np.bool_], score: NDArray[np.float64], kind: Curve
) -> pd.DataFrame:
    order = np.argsort(-score, kind="stable")
    ranked = score[order]
    treated = flags[order].astype(float)
    y = outcome[order]
    n_t = np.cumsum(treated)
    n_c = np.cumsum(1.0 - treated)
    r_t = np.cumsum(y * treated)
    r_c = np.cumsum(y * (1.0 - treated))
    # One point per group of equal scores: the ranking cannot order within it.
    last = np.flatnonzero(np.append(ranked[1:] != ranked[:-1], True))
    n_t, n_c, r_t, r_c = n_t[last], n_c[last], r_t[last], r_c[last]
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "qini":
            gain = r_t - np.where(n_c > 0, r_c * n_t / n_c, 0.0)
        else:
            rate_t = np.where(n_t > 0, r_t / n_t, 0.0)
            rate_c = np.where(n_c > 0, r_c / n_c, 0.0)
            gain = (rate_t - rate_c) * (n_t + n_c)
    targeted = (last + 1).astype(float)
    return pd.DataFrame(
        {
            "targeted": np.concatenate([[0], last + 1]),
            "share": np.concatenate([[0.0], targeted / len(score)]),
            "gain": np.concatenate([[0.0], gain]),
        }
    )


def qini_curve(y: Any, treatment: Any, uplift: Any) -> pd.DataFrame:
    """Incremental responses when contacting the top share of customers by ``uplift``.

    The curve shows how many responses a campaign gains over doing nothing
    as it reaches further down the ranking, which is what decides where to
    stop contacting.

    Parameters
    ----------
    y
        Each customer's observed outcome (0/1 or an amount), finite.
    treatment
        1/True for contacted customers, 0/False for the holdout.
    uplift
        Each customer's predicted uplift (the ranking judged), finite.

    Returns
    -------
    pandas.DataFrame
        ``targeted`` (customers contacted), ``share`` (of all) and ``gain``
        (incremental responses, ``R_t - R_c N_t / N_c``), from (0, 0); one
        row per group of equal predicted uplift.

    Raises
    ------
    DataContractError
        If the three inputs differ in length, an outcome or uplift is not
        finite, or ``treatment`` is not 0/1 with at least one customer in
        each group.
    """
    outcome, flags, score = _inputs(y, treatment, uplift)
    return _curve(outcome, flags, score, "qini")


def uplift_curve(y: Any, treatment: Any, uplift: Any) -> pd.DataFrame:
    """Like :func:`qini_curve`, with gain ``(R_t/N_t - R_c/N_c) (N_t + N_c)``.

    The difference of response rates scaled to the customers reached: less
    sensitive than the Qini curve to unequal treated and control shares
    within the top of the ranking.

    Parameters
    ----------
    y
        Each customer's observed outcome (0/1 or an amount), finite.
    treatment
        1/True for contacted customers, 0/False for the holdout.
    uplift
        Each customer's predicted uplift (the ranking judged), finite.

    Returns
    -------
    pandas.DataFrame
        ``targeted``, ``share`` and ``gain`` as in :func:`qini_curve`.

    Raises
    ------
    DataContractError
        If the three inputs differ in length, an outcome or uplift is not
        finite, or ``treatment`` is not 0/1 with at least one customer in
        each group.
    """
    outcome, flags, score = _inputs(y, treatment, uplift)
    return _curve(outcome, flags, score, "uplift")


def _area(curve: pd.DataFrame) -> float:
    share = curve["share"].to_numpy()
    gain = curve["gain"].to_numpy()
    return float(np.sum((share[1:] - share[:-1]) * (gain[1:] + gain[:-1]) / 2.0))


def auuc_score(y: Any, treatment: Any, uplift: Any, *, curve: Curve = "qini") -> float:
    """Area between the ranking's curve and random targeting, as a share of the best possible.

    1 is a perfect ranking (treated responders first, control responders
    last), 0 is no better than random, negative is worse. With
    ``curve="qini"`` this is the normalised Qini coefficient.

    Parameters
    ----------
    y
        Each customer's observed outcome (0/1 or an amount), finite.
    treatment
        1/True for contacted customers, 0/False for the holdout.
    uplift
        Each customer's predicted uplift (the ranking judged), finite.
    curve
        ``"qini"`` or ``"uplift"``: the curve whose area is measured.

    Returns
    -------
    float
        The normalised area: 1 perfect, 0 random, below 0 worse than random.

    Raises
    ------
    DataContractError
        If the inputs differ in length, an outcome or uplift is not finite,
        ``treatment`` is not 0/1 with at least one customer in each group,
        ``curve`` is unknown, or every customer responded alike (no ranking
        can beat random, so the area is undefined).

    Examples
    --------
    >>> y = [1, 0, 0, 1, 0, 0]
    >>> t = [1, 1, 0, 0, 1, 0]
    >>> auuc_score(y, t, [0.9, 0.5, 0.4, 0.0, 0.3, 0.2]) > 0
    True
    """
    kind = require_one_of(curve, _CURVES, name="curve")
    outcome, flags, score = _inputs(y, treatment, uplift)
    model = _curve(outcome, flags, score, kind)
    total = float(model["gain"].iloc[-1])
    random_area = total / 2.0
    perfect_score = np.where(flags, outcome, -outcome)
    perfect = _area(_curve(outcome, flags, perfect_score, kind)) - random_area
    if perfect <= 0:
        msg = (
            "no ranking can beat random targeting on these outcomes (every customer "
            "responded alike); the area is undefined."
        )
        raise DataContractError(msg, column="y")
    return (_area(model) - random_area) / perfect


def uplift_at_k(y: Any, treatment: Any, uplift: Any, *, k: float = 0.3) -> float:
    """Treated minus control response rate among the top ``k`` share by predicted uplift.

    Customers tied with the last one in are all included, so the result is
    order-free: the number a campaign that contacts the top ``k`` can expect.

    Parameters
    ----------
    y
        Each customer's observed outcome (0/1 or an amount), finite.
    treatment
        1/True for contacted customers, 0/False for the holdout.
    uplift
        Each customer's predicted uplift (the ranking judged), finite.
    k
        The share of customers at the top of the ranking, in (0, 1].

    Returns
    -------
    float
        Treated minus control mean outcome within the top share.

    Raises
    ------
    DataContractError
        If ``k`` is outside (0, 1], the inputs differ in length, an outcome
        or uplift is not finite, ``treatment`` is not 0/1 with at least one
        customer in each group, or the top share holds no treated or no
        control customer.
    """
    require_number(k, name="k", low=0.0, high=1.0, low_inclusive=False)
    outcome, flags, score = _inputs(y, treatment, uplift)
    count = max(1, int(np.ceil(k * len(score))))
    cut = np.sort(score)[::-1][count - 1]
    top = score >= cut
    treated, control = top & flags, top & ~flags
    if not treated.any() or not control.any():
        msg = f"the top {k:.0%} holds no {'treated' if not treated.any() else 'control'} customer."
        raise DataContractError(msg, column="treatment", value=k)
    return float(outcome[treated].mean() - outcome[control].mean())
