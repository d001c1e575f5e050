"""A simulated marketing campaign with a known effect of the contact on every customer."""

from __future__ import annotations

from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._deprecation import renamed_parameters
from .._validation import as_generator, require_number, require_one_of

__all__ = ["SimulatedCampaign", "simulate_campaign"]

Assignment = Literal["random", "targeted"]
_Numbers = NDArray[np.floating[Any]] | NDArray[np.integer[Any]] | float


@attrs.frozen
class SimulatedCampaign:
    """A campaign log with the truth that a real log never shows.

    Attributes
    ----------
    features
        Customer features before the campaign, indexed by ``customer_id``:
        ``recency_days``, ``frequency``, ``monetary``, ``email_opens``,
        ``web_visits``, ``tenure_years``.
    treatment
        True for contacted customers.
    response
        1 if the customer bought during the campaign.
    true_uplift
        The contact's true effect on each customer's purchase probability
        (negative for the "sleeping dogs" whom a contact puts off).
    """

    features: pd.DataFrame = attrs.field(eq=False)
    treatment: pd.Series = attrs.field(eq=False)
    response: pd.Series = attrs.field(eq=False)
    true_uplift: pd.Series = attrs.field(eq=False)


def _sigmoid(x: _Numbers) -> NDArray[np.float64]:
    return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float))), dtype=np.float64)


@renamed_parameters(seed="random_state")
def simulate_campaign(
    n_customers: int = 50_000,
    *,
    treated_share: float = 0.5,
    assignment: Assignment = "random",
    random_state: int | np.random.Generator | None = None,
) -> SimulatedCampaign:
    """Draw customers, contact some, and record who bought, with the true uplift.

    Buying without a contact rises with frequency and falls with recency.
    The contact helps engaged, lapsing customers most (many e-mail opens,
    a long time since the last purchase), does little for loyal frequent
    buyers who buy anyway, and puts off some recent heavy buyers (negative
    uplift).

    Parameters
    ----------
    n_customers
        Number of customers.
    treated_share
        Share contacted.
    assignment
        ``"random"``: a coin toss, as in a randomised campaign with a holdout.
        ``"targeted"``: the most frequent buyers are contacted more often, as
        in an ordinary campaign log (uplift cannot be read from it).
    random_state
        Seed or generator, for reproducible draws (``seed=`` is read as
        ``random_state=`` with a ``DeprecationWarning`` until one2one 0.2).

    Returns
    -------
    SimulatedCampaign
        Each customer's features, whether they were contacted, whether they
        bought, and their true uplift (the difference the contact made to
        their chance of buying, which no real campaign reveals).

    Raises
    ------
    DataContractError
        If ``n_customers`` is not a whole number >= 1, ``treated_share`` is
        outside [0, 1], ``assignment`` is neither ``"random"`` nor
        ``"targeted"``, or ``random_state`` is not an int, a numpy Generator or
        None.

    Examples
    --------
    >>> campaign = simulate_campaign(1000, random_state=0)
    >>> campaign.features.shape, round(float(campaign.treatment.mean()), 1)
    ((1000, 6), 0.5)
    """
    require_number(n_customers, name="n_customers", low=1, integer=True)
    require_number(treated_share, name="treated_share", low=0.0, high=1.0)
    require_one_of(assignment, ("random", "targeted"), name="assignment")
    rng = as_generator(random_state)
    n = int(n_customers)
    recency = rng.gamma(1.5, 60.0, n).round()
    frequency = rng.poisson(rng.gamma(2.0, 2.0, n)) + 1
    monetary = np.exp(rng.normal(3.5, 0.6, n)).round(2)
    email_opens = rng.poisson(np.clip(rng.gamma(1.2, 3.0, n), 0, 40))
    web_visits = rng.poisson(1.0 + 0.8 * frequency)
    tenure = rng.uniform(0.1, 8.0, n).round(1)
    base = _sigmoid(-2.2 + 0.18 * frequency - 0.008 * recency + 0.05 * tenure)
    lapsing = _sigmoid((recency - 90.0) / 25.0)
    engaged = _sigmoid((email_opens - 4.0) / 1.5)
    heavy_recent = _sigmoid((frequency - 8.0) / 1.5) * _sigmoid((30.0 - recency) / 10.0)
    lift = 0.16 * lapsing * engaged + 0.04 * engaged - 0.12 * heavy_recent
    treated_probability = np.clip(base + lift, 0.001, 0.999)
    if assignment == "random":
        treatment = rng.random(n) < treated_share
    else:
        logit = np.log(treated_share / (1 - treated_share)) if 0 < treated_share < 1 else 0.0
        treatment = rng.random(n) < _sigmoid(logit + 0.5 * (frequency - frequency.mean()))
    probability = np.where(treatment, treated_probability, base)
    response = (rng.random(n) < probability).astype(int)
    index = pd.RangeIndex(n, name="customer_id")
    features = pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency,
            "monetary": monetary,
            "email_opens": email_opens,
            "web_visits": web_visits,
            "tenure_years": tenure,
        },
        index=index,
    )
    return SimulatedCampaign(
        features=features,
        treatment=pd.Series(treatment, index=index, name="treatment"),
        response=pd.Series(response, index=index, name="response"),
        true_uplift=pd.Series(treated_probability - base, index=index, name="true_uplift"),
    )
