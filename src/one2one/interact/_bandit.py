"""Bandit learners for next-best-action: Thompson sampling, plain and linear-contextual.

Thompson sampling chooses each offer with the probability that it is the
best, given what has been learned so far (Thompson, 1933; Chapelle & Li,
2011): draw a plausible response rate for every offer from its posterior and
make the offer whose draw is highest. It explores exactly as much as the
uncertainty warrants, and, unlike a greedy or UCB rule, it chooses at
random with a known probability: the propensity that off-policy evaluation
needs. Propensities are estimated from ``n_draws`` posterior draws.

* :class:`BetaThompson`: one Beta posterior per offer (no context).
* :class:`LinearThompson`: a Bayesian linear model of the response per offer
  on the customer's features (Agrawal & Goyal, 2013), so different customers
  get different offers.

The state is a few numbers per offer and is saved as JSON (never pickle).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._saved import refuse, saved_number
from .._validation import as_generator, require_number
from ..errors import DataContractError

__all__ = ["BetaThompson", "LinearThompson"]


def _check_offers(offers: Sequence[str]) -> None:
    if not offers:
        msg = "there is no eligible offer to choose from."
        raise DataContractError(msg, column="offers")


def _propensities(samples: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of draws (rows) in which each offer (column) is best; ties split evenly."""
    best = samples.max(axis=1, keepdims=True)
    winners = samples == best
    return np.asarray((winners / winners.sum(axis=1, keepdims=True)).mean(axis=0), dtype=np.float64)


class BetaThompson:
    """Thompson sampling with a Beta(``prior``) posterior of each offer's response rate.

    Parameters
    ----------
    prior
        Beta prior (successes, failures) for a new offer.
    n_draws
        Posterior draws used to estimate the propensity of the chosen offer.
    random_state
        Seed or generator.

    Raises
    ------
    DataContractError
        If a prior count is not > 0 or ``n_draws`` is not a whole number >= 1.
    """

    name = "beta_thompson"

    def __init__(
        self,
        prior: tuple[float, float] = (1.0, 1.0),
        *,
        n_draws: int = 1_000,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        require_number(prior[0], name="prior[0]", low=0.0, low_inclusive=False)
        require_number(prior[1], name="prior[1]", low=0.0, low_inclusive=False)
        require_number(n_draws, name="n_draws", low=1, integer=True)
        self.prior = (float(prior[0]), float(prior[1]))
        self.n_draws = int(n_draws)
        self._rng = as_generator(random_state)
        self.counts: dict[str, list[float]] = {}

    def _posterior(self, offers: Sequence[str]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        a = np.array([self.counts.get(o, [0.0, 0.0])[0] + self.prior[0] for o in offers])
        b = np.array([self.counts.get(o, [0.0, 0.0])[1] + self.prior[1] for o in offers])
        return a, b

    def choose(
        self,
        offers: Sequence[str],
        features: NDArray[np.float64] | None = None,
        values: Sequence[float] | None = None,
    ) -> tuple[int, float]:
        """Pick an offer; return its position and the probability it had of being picked.

        Parameters
        ----------
        offers
            The eligible offers' ids, in a fixed order.
        features
            The customer's feature vector; ignored (this learner has no context).
        values
            What an acceptance of each offer is worth (same order); offers are
            weighed by value times response rate. ``None``: all alike.

        Returns
        -------
        tuple of (int, float)
            The chosen offer's position in ``offers``, and the probability
            the policy had of choosing it (at least ``1 / n_draws``): the
            propensity off-policy evaluation divides by.

        Raises
        ------
        DataContractError
            If ``offers`` is empty.
        """
        del features
        _check_offers(offers)
        a, b = self._posterior(offers)
        worth = np.ones(len(offers)) if values is None else np.asarray(values, dtype=float)
        draws = self._rng.beta(a, b, size=(self.n_draws, len(offers))) * worth
        chosen = int(np.argmax(self._rng.beta(a, b) * worth))
        return chosen, float(max(_propensities(draws)[chosen], 1.0 / self.n_draws))

    def expected(
        self, offers: Sequence[str], features: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """Posterior mean response rate of each offer.

        Parameters
        ----------
        offers
            The offers' ids.
        features
            The customer's feature vector; ignored.

        Returns
        -------
        numpy.ndarray
            One expected response per offer, in the order of ``offers``.
        """
        del features
        a, b = self._posterior(offers)
        return np.asarray(a / (a + b), dtype=np.float64)

    def update(self, offer: str, features: NDArray[np.float64] | None, reward: float) -> None:
        """Learn from one response (``reward`` in [0, 1]: accepted is 1).

        Parameters
        ----------
        offer
            The offer made.
        features
            The customer's feature vector; ignored.
        reward
            The response in [0, 1]; accepted is 1.

        Raises
        ------
        DataContractError
            If ``reward`` is outside [0, 1].
        """
        del features
        require_number(reward, name="reward", low=0.0, high=1.0)
        counts = self.counts.setdefault(offer, [0.0, 0.0])
        counts[0] += reward
        counts[1] += 1.0 - reward

    def to_dict(self) -> dict[str, Any]:
        """Return the learned state as JSON-ready data.

        JSON, never pickle, so a saved learner can be read back without
        running code from the file.

        Returns
        -------
        dict of str to object
            ``learner``, ``prior`` and the ``counts`` (successes, failures) of
            each offer.
        """
        return {"learner": self.name, "prior": list(self.prior), "counts": self.counts}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, random_state: int | None = None) -> BetaThompson:
        """Restore a learner saved with :meth:`to_dict`.

        The state is untrusted input (a file, a database column): it is checked
        field by field, so a learner that loads has a positive prior and
        non-negative, finite counts, and its response rates stay in [0, 1].

        Parameters
        ----------
        data
            The dict :meth:`to_dict` wrote (e.g. read back from JSON).
        random_state
            Seed of the restored learner's future draws (the saved state holds
            no random state).

        Returns
        -------
        BetaThompson
            The learner, with the saved posterior.

        Raises
        ------
        DataContractError
            If a field is missing, of the wrong type or out of range; ``column``
            names it (e.g. ``"counts.welcome"``).
        """
        state = _state(data, cls.name, ("prior", "counts"))
        prior = _numbers(state["prior"], "prior", length=2, low=0.0, strict=True, high=_MAX_COUNT)
        counts = _mapping(state["counts"], "counts")
        learner = cls((prior[0], prior[1]), random_state=random_state)
        learner.counts = {
            offer: _numbers(value, f"counts.{offer}", length=2, low=0.0, high=_MAX_COUNT)
            for offer, value in counts.items()
        }
        return learner


class LinearThompson:
    """Linear Thompson sampling: per offer, ``P(accept | x) ~ x . theta`` with a Gaussian posterior.

    Parameters
    ----------
    n_features
        Length of the feature vector (an intercept is added).
    regularisation
        Prior precision of the coefficients (ridge penalty).
    exploration
        Scale of the posterior draws (``v`` in Agrawal & Goyal); larger explores more.
    n_draws, random_state
        As in :class:`BetaThompson`.

    Raises
    ------
    DataContractError
        If ``n_features`` or ``n_draws`` is not a whole number >= 1,
        ``regularisation`` is not > 0 or ``exploration`` is negative.
    """

    name = "linear_thompson"

    def __init__(
        self,
        n_features: int,
        *,
        regularisation: float = 1.0,
        exploration: float = 0.25,
        n_draws: int = 300,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        require_number(n_features, name="n_features", low=1, integer=True)
        require_number(regularisation, name="regularisation", low=0.0, low_inclusive=False)
        require_number(exploration, name="exploration", low=0.0)
        require_number(n_draws, name="n_draws", low=1, integer=True)
        self.n_features = int(n_features)
        self.regularisation = float(regularisation)
        self.exploration = float(exploration)
        self.n_draws = int(n_draws)
        self._rng = as_generator(random_state)
        self.precision: dict[str, NDArray[np.float64]] = {}
        self.target: dict[str, NDArray[np.float64]] = {}

    def _x(self, features: NDArray[np.float64] | None) -> NDArray[np.float64]:
        if features is None:
            msg = "LinearThompson needs the customer's features."
            raise DataContractError(msg, column="features")
        x = np.asarray(features, dtype=float).ravel()
        if x.shape != (self.n_features,) or not np.isfinite(x).all():
            msg = f"features must be {self.n_features} finite numbers (got {x.tolist()[:10]})."
            raise DataContractError(msg, column="features", value=x.tolist()[:10])
        return np.concatenate([[1.0], x])

    def _posterior(self, offer: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        size = self.n_features + 1
        precision = self.precision.get(offer, self.regularisation * np.eye(size))
        target = self.target.get(offer, np.zeros(size))
        covariance = np.asarray(np.linalg.inv(precision), dtype=np.float64)
        return np.asarray(covariance @ target, dtype=np.float64), covariance

    def choose(
        self,
        offers: Sequence[str],
        features: NDArray[np.float64] | None = None,
        values: Sequence[float] | None = None,
    ) -> tuple[int, float]:
        """Pick an offer for this customer; return its position and its propensity.

        Parameters
        ----------
        offers
            The eligible offers' ids, in a fixed order.
        features
            The customer's feature vector (``n_features`` finite numbers).
        values
            What an acceptance of each offer is worth (same order); offers are
            weighed by value times response rate. ``None``: all alike.

        Returns
        -------
        tuple of (int, float)
            The chosen offer's position in ``offers``, and the probability
            the policy had of choosing it (at least ``1 / n_draws``): the
            propensity off-policy evaluation divides by.

        Raises
        ------
        DataContractError
            If ``offers`` is empty, or ``features`` is missing or not ``n_features`` finite
            numbers.
        """
        _check_offers(offers)
        x = self._x(features)
        worth = np.ones(len(offers)) if values is None else np.asarray(values, dtype=float)
        draws = np.empty((self.n_draws + 1, len(offers)))
        for j, offer in enumerate(offers):
            mean, covariance = self._posterior(offer)
            spread = float(x @ covariance @ x)
            scale = self.exploration * np.sqrt(max(spread, 0.0))
            draws[:, j] = (x @ mean + scale * self._rng.standard_normal(self.n_draws + 1)) * worth[
                j
            ]
        chosen = int(np.argmax(draws[0]))
        return chosen, float(max(_propensities(draws[1:])[chosen], 1.0 / self.n_draws))

    def expected(
        self, offers: Sequence[str], features: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """Posterior mean response of each offer for this customer.

        Parameters
        ----------
        offers
            The offers' ids.
        features
            The customer's feature vector (``n_features`` finite numbers).

        Returns
        -------
        numpy.ndarray
            One expected response per offer, in the order of ``offers``.

        Raises
        ------
        DataContractError
            If ``features`` is missing or not ``n_features`` finite numbers.
        """
        x = self._x(features)
        return np.array([float(x @ self._posterior(o)[0]) for o in offers])

    def update(self, offer: str, features: NDArray[np.float64] | None, reward: float) -> None:
        """Learn from one response to ``offer`` by a customer with ``features``.

        Parameters
        ----------
        offer
            The offer made.
        features
            The customer's feature vector (``n_features`` finite numbers).
        reward
            The response (1 accepted, 0 not, or any finite amount).

        Raises
        ------
        DataContractError
            If ``reward`` is not a finite number, or ``features`` is missing
            or not ``n_features`` finite numbers.
        """
        require_number(reward, name="reward")
        x = self._x(features)
        size = self.n_features + 1
        self.precision[offer] = self.precision.get(
            offer, self.regularisation * np.eye(size)
        ) + np.outer(x, x)
        self.target[offer] = self.target.get(offer, np.zeros(size)) + reward * x

    def to_dict(self) -> dict[str, Any]:
        """Return the learned state as JSON-ready data.

        Returns
        -------
        dict of str to object
            ``learner``, the settings, and each offer's ``precision`` matrix
            and ``target`` vector, in lists.
        """
        return {
            "learner": self.name,
            "n_features": self.n_features,
            "regularisation": self.regularisation,
            "exploration": self.exploration,
            "precision": {k: v.tolist() for k, v in self.precision.items()},
            "target": {k: v.tolist() for k, v in self.target.items()},
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, random_state: int | None = None
    ) -> LinearThompson:
        """Restore a learner saved with :meth:`to_dict`.

        The state is untrusted input: it is checked field by field, so a
        learner that loads has ``n_features`` (at most 1,000) matching every
        matrix and vector, positive settings, finite numbers, and symmetric
        positive-definite precision matrices (so its posterior exists).

        Parameters
        ----------
        data
            The dict :meth:`to_dict` wrote (e.g. read back from JSON).
        random_state
            Seed of the restored learner's future draws (the saved state holds
            no random state).

        Returns
        -------
        LinearThompson
            The learner, with the saved posterior.

        Raises
        ------
        DataContractError
            If a field is missing, of the wrong type, of the wrong shape or out
            of range; ``column`` names it (e.g. ``"precision.welcome"``).
        """
        state = _state(
            data, cls.name, ("n_features", "regularisation", "exploration", "precision", "target")
        )
        n_features = _number(
            state["n_features"], "n_features", low=1.0, high=_MAX_FEATURES, integer=True
        )
        regularisation = _number(
            state["regularisation"], "regularisation", low=_MIN_PRIOR, high=_MAX_COUNT
        )
        exploration = _number(state["exploration"], "exploration", low=0.0, high=_MAX_EXPLORATION)
        learner = cls(
            int(n_features),
            regularisation=regularisation,
            exploration=exploration,
            random_state=random_state,
        )
        size = int(n_features) + 1
        precision = _mapping(state["precision"], "precision")
        target = _mapping(state["target"], "target")
        if set(precision) != set(target):
            offer = min(set(precision) ^ set(target))
            msg = (
                f"learner state fields 'precision' and 'target' must name the same offers "
                f"(offer {offer!r} is in only one of them)."
            )
            raise DataContractError(msg, column=f"precision.{offer}", value=offer)
        for offer, rows in precision.items():
            learner.precision[offer] = _precision(rows, f"precision.{offer}", size, regularisation)
            learner.target[offer] = np.array(
                _numbers(
                    target[offer], f"target.{offer}", length=size, low=-_MAX_ENTRY, high=_MAX_ENTRY
                ),
                dtype=np.float64,
            )
        return learner


# Bounds on a loaded state, far beyond anything learning produces, so that no
# arithmetic on it can overflow: no memory bomb from (n + 1) x (n + 1) matrices,
# counts of at most 1e15 responses, and a posterior covariance of at most
# 1 / regularisation (precision = regularisation * I + sum of x x').
_MAX_FEATURES = 1_000
_MAX_COUNT = 1e15
_MIN_PRIOR = 1e-9
_MAX_EXPLORATION = 1e6
_MAX_ENTRY = 1e100


def _refuse(field: str, expected: str, value: object) -> DataContractError:
    return refuse("learner state", field, expected, value)


def _mapping(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _refuse(field, "a JSON object with string keys", value)
    return value


def _state(data: object, name: str, fields: Sequence[str]) -> Mapping[str, Any]:
    """Check the state's outline: a mapping of this learner, with exactly ``fields``."""
    state = _mapping(data, "state")
    if state.get("learner") != name:
        msg = (
            f"learner state field 'learner' must be {name!r} (got {state.get('learner')!r}); "
            "load it with the class that saved it."
        )
        raise DataContractError(msg, column="learner", value=state.get("learner"))
    for field in fields:
        if field not in state:
            msg = f"learner state field '{field}' is missing."
            raise DataContractError(msg, column=field)
    unknown = sorted(set(state) - {"learner", *fields})
    if unknown:
        msg = f"learner state has an unknown field '{unknown[0]}' (known: {sorted(fields)})."
        raise DataContractError(msg, column=unknown[0], value=state[unknown[0]])
    return state


def _number(
    value: object,
    field: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    strict: bool = False,
    integer: bool = False,
) -> float:
    """Return ``value`` as a float if it is a finite real number in range (booleans are not)."""
    return saved_number(
        value,
        field,
        subject="learner state",
        low=low,
        high=high,
        low_inclusive=not strict,
        integer=integer,
    )


def _numbers(
    value: object,
    field: str,
    *,
    length: int,
    low: float = -math.inf,
    high: float = math.inf,
    strict: bool = False,
) -> list[float]:
    if not isinstance(value, list | tuple) or len(value) != length:
        raise _refuse(field, f"a list of {length} numbers", value)
    return [
        _number(v, f"{field}[{i}]", low=low, high=high, strict=strict) for i, v in enumerate(value)
    ]


def _precision(value: object, field: str, size: int, regularisation: float) -> NDArray[np.float64]:
    """Return a ``size`` x ``size`` precision matrix, checked to be one learning can produce.

    A learned precision is ``regularisation * I`` plus a sum of ``x x'``: symmetric,
    with every eigenvalue at least ``regularisation``. So its inverse (the
    posterior covariance) exists and is bounded.
    """
    if not isinstance(value, list | tuple) or len(value) != size:
        raise _refuse(field, f"{size} rows of {size} numbers", value)
    matrix = np.array(
        [
            _numbers(row, f"{field}[{i}]", length=size, low=-_MAX_ENTRY, high=_MAX_ENTRY)
            for i, row in enumerate(value)
        ],
        dtype=np.float64,
    )
    scale = float(np.max(np.abs(matrix)))
    if not np.allclose(matrix, matrix.T, rtol=1e-9, atol=1e-12 * scale):
        raise _refuse(field, "a symmetric matrix", value)
    eigenvalues = np.linalg.eigvalsh(matrix)
    if eigenvalues[0] < regularisation * (1 - 1e-6) - 1e-9 * eigenvalues[-1]:
        expected = f"positive definite with every eigenvalue >= regularisation ({regularisation:g})"
        raise _refuse(field, expected, value)
    return matrix
