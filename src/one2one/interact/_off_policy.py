"""Off-policy evaluation: what a new offer policy would have earned, estimated from the log.

Every offer the log holds was chosen with a known probability (its
propensity), so the log can answer "what if we had used policy B?" without
running B. Three estimators, from the same logged decisions:

* inverse propensity (IPS, Horvitz-Thompson): reweight the responses to the
  offers B would also have made; unbiased, can be noisy;
* self-normalised IPS: the same weights, normalised; a little biased, less noisy;
* doubly robust (Dudik, Langford & Li, 2011): a response model's prediction
  for B's choice, corrected by the reweighted error of that model on the
  logged choice; unbiased if either the propensities or the model are right.
  The response model is cross-fitted (two folds), so no decision is scored
  by a model that saw it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.linear_model import Ridge

from ..errors import DataContractError
from ._next_best_action import RESPONSE_REWARDS

if TYPE_CHECKING:
    from ._log import InteractionLog

__all__ = ["OffPolicyEstimate", "logged_decisions", "off_policy_value"]


@attrs.frozen
class OffPolicyEstimate:
    """Estimated value per decision of a target policy, from logged decisions.

    Attributes
    ----------
    ips, snips, dr
        Inverse-propensity, self-normalised and doubly robust estimates of
        the mean reward per decision.
    dr_standard_error
        Standard error of ``dr`` (from the per-decision terms).
    logged
        Mean reward of the policy that made the log (for comparison).
    n
        Logged decisions used.
    effective_sample_size
        ``(sum w)^2 / sum w^2`` of the importance weights: how many decisions
        the estimate is really worth; far below ``n`` means the target policy
        rarely agrees with the log and the estimate is fragile.
    """

    ips: float
    snips: float
    dr: float
    dr_standard_error: float
    logged: float
    n: int
    effective_sample_size: float


def logged_decisions(log: InteractionLog, *, unanswered: float | None = 0.0) -> pd.DataFrame:
    """Gather every logged offer with its propensity, features and reward.

    The reward of an offer is that of the customer's first response to the
    same offer after it (:data:`RESPONSE_REWARDS`); an offer with no response
    gets ``unanswered`` (``None``: leave it out).

    Parameters
    ----------
    log
        The interaction log the offers (``offer_made`` with a propensity) and
        responses were appended to.
    unanswered
        The reward of an offer nobody answered (0: an ignored offer earned
        nothing), or ``None`` to leave such offers out.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``offer_id``, ``occurred_at``, ``propensity``,
        ``features`` (tuple) and ``reward``, in time order.
    """
    offers = log.to_pandas(kinds=["offer_made"])
    offers = offers[offers["propensity"].notna() & offers["offer_id"].notna()]
    responses = log.to_pandas(kinds=list(RESPONSE_REWARDS))
    responses = responses[responses["offer_id"].notna()].sort_values(["occurred_at"], kind="stable")
    answers: dict[tuple[str, str], list[tuple[pd.Timestamp, float]]] = {}
    for customer, offer, moment, kind in zip(
        responses["customer_id"],
        responses["offer_id"],
        responses["occurred_at"],
        responses["kind"],
        strict=True,
    ):
        answers.setdefault((customer, offer), []).append((moment, RESPONSE_REWARDS[kind]))
    rows = []
    for customer, offer, moment, propensity, payload in zip(
        offers["customer_id"],
        offers["offer_id"],
        offers["occurred_at"],
        offers["propensity"],
        offers["payload"],
        strict=True,
    ):
        later = [r for t, r in answers.get((customer, offer), []) if t >= moment]
        reward = later[0] if later else unanswered
        if reward is None:
            continue
        features = tuple(payload.get("features", ())) if isinstance(payload, dict) else ()
        rows.append((customer, offer, moment, float(propensity), features, float(reward)))
    frame = pd.DataFrame(
        rows, columns=["customer_id", "offer_id", "occurred_at", "propensity", "features", "reward"]
    )
    return frame.sort_values("occurred_at", kind="stable").reset_index(drop=True)


def _target_probabilities(
    target: Callable[[NDArray[np.float64]], Any],
    features: NDArray[np.float64],
    offers: Sequence[str],
) -> NDArray[np.float64]:
    """Turn the target policy's answers into an (n, offers) probability matrix."""
    out = np.zeros((len(features), len(offers)))
    index = {o: j for j, o in enumerate(offers)}
    for i, row in enumerate(features):
        answer = target(row)
        if isinstance(answer, str):
            if answer not in index:
                msg = f"the target policy chose unknown offer {answer!r}; known: {list(offers)}."
                raise DataContractError(msg, column="offer_id", value=answer)
            out[i, index[answer]] = 1.0
        else:
            probabilities = np.asarray(answer, dtype=float)
            if probabilities.shape != (len(offers),) or not np.isclose(probabilities.sum(), 1.0):
                msg = "the target policy must return an offer id or probabilities over the offers."
                raise DataContractError(msg, column="target")
            out[i] = probabilities
    return out


def off_policy_value(
    decisions: pd.DataFrame,
    target: Callable[[NDArray[np.float64]], Any],
    *,
    offers: Sequence[str] | None = None,
    random_state: int | None = 0,
) -> OffPolicyEstimate:
    """Estimate the mean reward a target policy would have had on the logged decisions.

    Parameters
    ----------
    decisions
        From :func:`logged_decisions`.
    target
        The policy to evaluate: features -> an offer id, or probabilities
        over ``offers``.
    offers
        The offer ids, in the order of the target's probabilities (default:
        the logged offers, sorted).
    random_state
        Seed of the cross-fitting folds.

    Returns
    -------
    OffPolicyEstimate
        Inverse propensity (``ips``), self-normalised (``snips``) and doubly
        robust (``dr``, with its standard error) estimates, the logged
        policy's mean reward and the effective sample size: a new policy is
        judged on the old policy's data, without a live test.

    Raises
    ------
    DataContractError
        If there are no decisions, a logged offer is not among ``offers``, or
        the target returns an unknown offer id or probabilities that do not
        sum to 1 over ``offers``.
    """
    if decisions.empty:
        msg = "there are no logged decisions with propensities to evaluate from."
        raise DataContractError(msg, column="propensity")
    names = sorted(decisions["offer_id"].unique()) if offers is None else list(offers)
    features = np.array([list(f) for f in decisions["features"]], dtype=float)
    if features.ndim != 2:  # noqa: PLR2004 (a matrix)
        features = np.zeros((len(decisions), 0))
    propensity = decisions["propensity"].to_numpy(dtype=float)
    reward = decisions["reward"].to_numpy(dtype=float)
    logged = np.array([names.index(o) if o in names else -1 for o in decisions["offer_id"]])
    if (logged < 0).any():
        unknown = decisions["offer_id"].to_numpy()[logged < 0][0]
        msg = f"logged offer {unknown!r} is not among the offers {names}."
        raise DataContractError(msg, column="offer_id", value=unknown)
    n = len(decisions)
    rows = np.arange(n)
    pi = _target_probabilities(target, features, names)
    weight = pi[rows, logged] / propensity
    # Cross-fitted response model: one ridge per offer, on one-hot offer x features.
    rng = np.random.default_rng(random_state)
    fold = rng.integers(0, 2, n)
    predicted = np.zeros((n, len(names)))
    design = np.column_stack([features, np.ones(n)])
    for part in (0, 1):
        train, test = fold != part, fold == part
        for j in range(len(names)):
            chosen = train & (logged == j)
            if chosen.sum() >= 2:  # noqa: PLR2004 (a fit needs two points)
                model = Ridge(alpha=1.0).fit(design[chosen], reward[chosen])
                predicted[test, j] = model.predict(design[test])
            else:
                predicted[test, j] = reward[train].mean() if train.any() else 0.0
    direct = (pi * predicted).sum(axis=1)
    terms = direct + weight * (reward - predicted[rows, logged])
    total = weight.sum()
    return OffPolicyEstimate(
        ips=float((weight * reward).mean()),
        snips=float((weight * reward).sum() / total) if total > 0 else 0.0,
        dr=float(terms.mean()),
        dr_standard_error=float(terms.std(ddof=1) / np.sqrt(n)) if n > 1 else float("inf"),
        logged=float(reward.mean()),
        n=n,
        effective_sample_size=float(total**2 / (weight**2).sum()) if total > 0 else 0.0,
    )
