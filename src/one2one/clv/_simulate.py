"""Customer bases drawn from the buy-till-you-die models, with the truth kept.

A simulation is how a model is tested where no paper gives a number: draw
customers from known parameters, fit, and check the parameters (and each
customer's latent state) come back. The generative side of a model belongs
with the model, so it lives in ``clv`` (the bootstrap draws from it);
``one2one.datasets`` re-exports it for users who look for data there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
from attrs import frozen
from numpy.typing import ArrayLike, NDArray

from .._deprecation import renamed_parameters
from .._validation import as_generator, require_number, require_one_of
from ..errors import DataContractError

__all__ = [
    "CDNOW_SPEND_PARAMS",
    "SimulatedTransactions",
    "simulate_transactions",
]

Model = Literal["bgnbd", "mbgnbd", "paretonbd"]

_PARAMS: dict[Model, tuple[str, ...]] = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "mbgnbd": ("r", "alpha", "a", "b"),
    "paretonbd": ("r", "alpha", "s", "beta"),
}

CDNOW_SPEND_PARAMS: Mapping[str, float] = {"p": 6.25, "q": 3.74, "gamma": 15.44}
"""Gamma-Gamma spend parameters estimated on CDNOW (Fader & Hardie), the default."""

_WEEK = pd.Timedelta(weeks=1)


@frozen(eq=False)
class SimulatedTransactions:
    """Transactions drawn from a known model, and the truth behind them.

    Attributes
    ----------
    model
        The generating model (``"bgnbd"``, ``"mbgnbd"`` or ``"paretonbd"``).
    params
        The population parameters used, plus the spend parameters.
    transactions
        One row per purchase (first purchases included), in customer then time
        order: ``customer_id`` (int64), ``occurred_at`` (datetime64[ns, UTC],
        whole seconds), ``value`` (float64, > 0).
    customers
        Indexed by ``customer_id``, the truth per customer: ``first_purchase_at``,
        ``T`` (weeks observed after the first purchase), ``frequency`` (repeat
        purchases), ``recency`` (weeks from first to last purchase, 0 if none),
        ``purchase_rate`` (lambda, per week), ``dropout_prob`` (p, BG models) or
        ``dropout_rate`` (mu per week, Pareto/NBD), ``mean_spend`` (expected
        value of one purchase) and ``alive`` (still active at the end).
    observation_end
        The end of observation (UTC).
    """

    model: Model
    params: Mapping[str, float]
    transactions: pd.DataFrame
    customers: pd.DataFrame
    observation_end: pd.Timestamp


def _check_params(
    params: Mapping[str, float], names: tuple[str, ...], what: str
) -> dict[str, float]:
    missing = [n for n in names if n not in params]
    if missing or set(params) - set(names):
        msg = (
            f"{what} parameters must be exactly {', '.join(names)} "
            f"(got {', '.join(sorted(params)) or 'none'})."
        )
        raise DataContractError(msg, column="params", value=dict(params))
    return {n: require_number(params[n], name=n, low=0.0, low_inclusive=False) for n in names}


def _first_order_statistics(
    rng: np.random.Generator,
    window: NDArray[np.float64],
    n_events: NDArray[np.int64],
    n_keep: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Draw the times of the first ``n_keep`` of ``n_events`` uniform events on (0, window).

    Uses the spacings representation of uniform order statistics: with unit
    exponentials E_1..E_{k+1}, the j-th smallest of k uniforms is
    (E_1+...+E_j)/(E_1+...+E_{k+1}). Only the kept events and one Gamma draw
    for the rest are sampled, so a heavy buyer who drops out early costs little.
    """
    owner = np.repeat(np.arange(len(window)), n_keep)
    running = np.concatenate([[0.0], np.cumsum(rng.exponential(size=owner.size))])
    ends = np.cumsum(n_keep)
    before = running[ends - n_keep]  # sum of spacings before each customer's first
    partial = running[1:] - np.repeat(before, n_keep)
    kept_total = running[ends] - before
    total = kept_total + rng.gamma(shape=(n_events - n_keep + 1).astype(float))
    times = window[owner] * partial / total[owner]
    return owner, times


def _first_purchase_weeks(
    rng: np.random.Generator, n: int, horizon: float, acquisition: float, T: ArrayLike | None
) -> NDArray[np.float64]:
    """Weeks from the start to each customer's first purchase."""
    if T is not None:
        lengths = np.asarray(T, dtype=np.float64).reshape(-1)
        if lengths.size != n or not np.all((lengths > 0) & (lengths <= horizon)):
            msg = (
                f"'T' must hold {n} values in (0, observation_weeks={horizon:g}] "
                f"(got {lengths.size} values, range {lengths.min():g}..{lengths.max():g})."
            )
            raise DataContractError(msg, column="T", value=lengths.size)
        return horizon - lengths
    if acquisition > 0:
        return rng.uniform(0.0, acquisition, size=n)
    return np.zeros(n)


@renamed_parameters(seed="random_state")
def simulate_transactions(
    model: Model = "bgnbd",
    *,
    n_customers: int,
    params: Mapping[str, float],
    observation_weeks: float,
    acquisition_weeks: float = 0.0,
    spend_params: Mapping[str, float] = CDNOW_SPEND_PARAMS,
    start: str | pd.Timestamp = "1997-01-01",
    random_state: int | np.random.Generator | None = None,
    T: ArrayLike | None = None,
) -> SimulatedTransactions:
    """Draw a customer base from a buy-till-you-die model, keeping the truth.

    Each customer makes a first purchase at a time drawn uniformly from the
    first ``acquisition_weeks`` (all at ``start`` by default), then buys as a
    Poisson process with their own rate lambda ~ Gamma(r, alpha) until they
    drop out:

    * ``"bgnbd"``: after each repeat purchase, with probability p ~ Beta(a, b);
    * ``"mbgnbd"``: the same, and also right after the first purchase;
    * ``"paretonbd"``: at an exponential time with rate mu ~ Gamma(s, beta).

    Every purchase's value is drawn from the Gamma-Gamma model: value ~
    Gamma(p, nu) with nu ~ Gamma(q, gamma) per customer.

    Parameters
    ----------
    model
        The generating model.
    n_customers
        Number of customers (>= 1).
    params
        ``r, alpha, a, b`` (BG models) or ``r, alpha, s, beta`` (Pareto/NBD),
        with rates per week; all > 0.
    observation_weeks
        Length of observation from ``start``, in weeks.
    acquisition_weeks
        First purchases are spread uniformly over this many weeks from
        ``start`` (must be < ``observation_weeks``).
    spend_params
        Gamma-Gamma ``p, q, gamma`` (default: the CDNOW estimates).
    start
        When observation begins; naive values are taken as UTC.
    random_state
        Seed or generator, for reproducible draws (``seed=`` is read as
        ``random_state=`` with a ``DeprecationWarning`` until one2one 0.2).
    T
        Optional weeks each customer is observed after their first purchase
        (one value per customer, each in (0, ``observation_weeks``]); replaces
        the uniform acquisition, e.g. to mirror a real summary's ``T``.

    Returns
    -------
    SimulatedTransactions
        The transactions and the per-customer truth.

    Raises
    ------
    DataContractError
        On unknown models, missing or non-positive parameters, or windows that
        do not fit.

    Examples
    --------
    >>> from one2one.datasets import simulate_transactions
    >>> sim = simulate_transactions(
    ...     n_customers=1000,
    ...     params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    ...     observation_weeks=39,
    ...     random_state=1,
    ... )
    >>> len(sim.customers)
    1000
    """
    model = require_one_of(model, list(_PARAMS), name="model")
    n = int(require_number(n_customers, name="n_customers", low=1, integer=True))
    theta = _check_params(params, _PARAMS[model], model)
    spend = _check_params(spend_params, ("p", "q", "gamma"), "spend")
    horizon = require_number(
        observation_weeks, name="observation_weeks", low=0, low_inclusive=False
    )
    acquisition = require_number(
        acquisition_weeks, name="acquisition_weeks", low=0, high=horizon, high_inclusive=False
    )
    rng = as_generator(random_state)
    origin = pd.Timestamp(start)
    origin = origin.tz_localize("UTC") if origin.tz is None else origin.tz_convert("UTC")

    birth = _first_purchase_weeks(rng, n, horizon, acquisition, T)
    observed = horizon - birth
    lam = rng.gamma(theta["r"], 1.0 / theta["alpha"], size=n)
    truth: dict[str, NDArray[np.float64] | NDArray[np.bool_]] = {}
    if model == "paretonbd":
        tiny = np.finfo(np.float64).tiny  # a rate that underflows to 0 means "never leaves"
        mu = np.maximum(rng.gamma(theta["s"], 1.0 / theta["beta"], size=n), tiny)
        lifetime = rng.exponential(1.0 / mu)
        window = np.minimum(lifetime, observed)
        n_events = rng.poisson(lam * window)
        n_keep = n_events
        alive = lifetime > observed
        truth["dropout_rate"] = mu
    else:
        p = np.clip(rng.beta(theta["a"], theta["b"], size=n), 1e-12, 1.0)  # 0 underflow
        window = observed
        n_events = rng.poisson(lam * window)
        # Repeat purchases made before dropping out: dropout follows the J-th one.
        last_allowed = rng.geometric(p) - (1 if model == "mbgnbd" else 0)
        n_keep = np.minimum(n_events, last_allowed)
        alive = n_events < last_allowed
        truth["dropout_prob"] = p
    owner, repeat_times = _first_order_statistics(rng, window, n_events, n_keep)

    nu = rng.gamma(spend["q"], 1.0 / spend["gamma"], size=n)
    ids = np.arange(1, n + 1, dtype=np.int64)
    all_owner = np.concatenate([np.arange(n), owner])
    all_weeks = np.concatenate([birth, birth[owner] + repeat_times])
    order = np.lexsort((all_weeks, all_owner))
    all_owner, all_weeks = all_owner[order], all_weeks[order]
    values = rng.gamma(spend["p"], 1.0 / nu[all_owner])

    seconds = np.floor(all_weeks * _WEEK.total_seconds()).astype("int64")
    transactions = pd.DataFrame(
        {
            "customer_id": ids[all_owner],
            "occurred_at": origin + pd.to_timedelta(seconds, unit="s"),
            "value": values,
        }
    )
    recency = np.zeros(n)
    if owner.size:
        np.maximum.at(recency, owner, repeat_times)
    first_seconds = np.floor(birth * _WEEK.total_seconds()).astype("int64")
    customers = pd.DataFrame(
        {
            "first_purchase_at": origin + pd.to_timedelta(first_seconds, unit="s"),
            "T": observed,
            "frequency": n_keep.astype(np.int64),
            "recency": recency,
            "purchase_rate": lam,
            **truth,
            "mean_spend": spend["p"] / nu,
            "alive": alive,
        },
        index=pd.Index(ids, name="customer_id"),
    )
    return SimulatedTransactions(
        model=model,
        params={**theta, **spend},
        transactions=transactions,
        customers=customers,
        observation_end=origin + pd.Timedelta(weeks=horizon),
    )
