"""The Fellegi-Sunter model: how much each comparison level says about a match.

For every field and level, ``m`` is the chance of that level when the two
records are the same person and ``u`` when they are not; a pair's match
weight is the sum over fields of ``log2(m / u)``. ``u`` is learnt from random
pairs (nearly all non-matches), ``m`` and the share of matches among
candidate pairs by expectation-maximisation, so no labels are needed. The
EM runs on distinct level patterns with their counts: a few thousand rows,
whatever the number of pairs.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._validation import require_columns, require_frame
from ..errors import ConvergenceWarning, DataContractError, NotFittedError
from ._compare import MISSING, Comparison

__all__ = ["FellegiSunter"]

FloatArray = NDArray[np.float64]
_FLOOR = 1e-6


class FellegiSunter(BaseEstimator):  # type: ignore[misc]
    """Match weights from comparison levels, learnt without labels.

    A level's weight is ``log2(m / u)``, capped at the weight of the level
    above it: closer agreement is never less evidence of a match.

    Parameters
    ----------
    comparisons
        The comparisons whose levels the model reads (one column per field).
    prior
        Share of candidate pairs that are matches; estimated by EM if ``None``.
    max_iter, tol
        EM stops after ``max_iter`` rounds or when no probability moves by
        more than ``tol``.
    estimate_u
        Re-estimate ``u`` by EM among the candidate pairs, starting from the
        random pairs' ``u``. Blocking makes non-matching candidates agree
        more often than random pairs do (they share a postcode, a name), so
        a ``u`` kept from random pairs pushes them into the match class.
    related_fields
        Fields that different people of one household share (surname,
        address, landline). If given, EM learns a third class, related
        non-matches, as Winkler did for census households: without it, a
        couple sharing an address and a phone looks like one person.

    Attributes
    ----------
    m_, u_
        ``{field: probabilities per level}`` (level order of the comparison).
    random_u_
        ``u`` among random pairs: how often unrelated records agree by chance
        (the base of term-frequency adjustments).
    prior_
        Share of candidate pairs that are matches.
    related_, related_prior_
        Level probabilities and share of the related class (``None``, 0 without).
    n_iter_
        EM rounds run.

    Examples
    --------
    >>> import pandas as pd
    >>> from one2one.identify import Comparison, FellegiSunter

    Learnt from labelled pairs (level 0 = same, 1 = different): three in four
    matches agree on each field, one in four non-matches does.

    >>> levels = pd.DataFrame(
    ...     {"surname": [0, 0, 0, 1, 1, 1, 1, 0], "dob": [0, 0, 1, 0, 1, 1, 1, 0]}
    ... )
    >>> is_match = [True] * 4 + [False] * 4
    >>> model = FellegiSunter([Comparison("surname"), Comparison("dob")])
    >>> model = model.fit(levels, labels=is_match)
    >>> new_pairs = pd.DataFrame({"surname": [0, 0, 1], "dob": [0, 1, -1]})
    >>> model.match_weight(new_pairs).round(2).tolist()
    [3.17, -0.0, -1.58]
    """

    related_: dict[str, FloatArray] | None

    def __init__(
        self,
        comparisons: Sequence[Comparison],
        *,
        prior: float | None = None,
        max_iter: int = 1000,
        tol: float = 1e-6,
        estimate_u: bool = True,
        related_fields: Sequence[str] = (),
    ) -> None:
        self.comparisons = comparisons
        self.related_fields = related_fields
        self.prior = prior
        self.max_iter = max_iter
        self.tol = tol
        self.estimate_u = estimate_u

    @property
    def fields(self) -> list[str]:
        """The compared fields, in order."""
        return [c.field for c in self.comparisons]

    def fit(
        self,
        levels: pd.DataFrame,
        random_levels: pd.DataFrame | None = None,
        *,
        known_matches: NDArray[np.bool_] | None = None,
        labels: NDArray[np.bool_] | None = None,
    ) -> FellegiSunter:
        """Learn ``u`` from random pairs, then ``m`` and the prior by EM on candidate pairs.

        Parameters
        ----------
        levels
            Levels of the candidate pairs (one column per compared field).
        random_levels
            Levels of random pairs, for ``u``. Without them ``u`` is estimated by EM.
        known_matches
            Pairs known to match (a deterministic rule fired); they start ``m``.
        labels
            True/false match per pair: a supervised fit, no EM.
        """
        patterns, counts = self._patterns(levels, "levels")
        self._sizes = [len(c.levels) for c in self.comparisons]
        if labels is not None:
            truth = np.asarray(labels, dtype=bool)
            if truth.shape != (len(levels),) or not truth.any() or truth.all():
                msg = "labels must mark each pair, with both matches and non-matches."
                raise DataContractError(msg, column="labels")
            self.m_ = self._frequencies(levels[truth])
            self.u_ = self._frequencies(levels[~truth])
            self.random_u_ = dict(self.u_)
            self.prior_ = float(truth.mean()) if self.prior is None else float(self.prior)
            self.related_, self.related_prior_ = None, 0.0
            self.unrelated_prior_ = 1.0 - self.prior_
            self.n_iter_ = 0
            return self
        if random_levels is not None:
            self.u_ = self._frequencies(random_levels)
        else:
            self.u_ = self._frequencies(levels)
        self.random_u_ = dict(self.u_)
        if known_matches is not None and np.asarray(known_matches).sum() >= 10:  # noqa: PLR2004
            m = self._frequencies(levels[np.asarray(known_matches, dtype=bool)])
        else:
            m = {
                name: _default_m(size) for name, size in zip(self.fields, self._sizes, strict=True)
            }
        self.m_, self.prior_, self.n_iter_ = self._em(patterns, counts, m)
        return self

    def _patterns(self, levels: pd.DataFrame, name: str) -> tuple[NDArray[np.int8], FloatArray]:
        """Distinct level rows and how often each occurs."""
        frame = require_frame(levels, name=name)
        require_columns(frame, self.fields, name=name)
        if frame.empty:
            msg = f"{name} is empty: there are no pairs to learn from."
            raise DataContractError(msg, column=self.fields[0] if self.fields else None)
        values = frame[self.fields].to_numpy(dtype=np.int64)
        key = np.zeros(len(values), dtype=np.int64)
        for column, comparison in enumerate(self.comparisons):
            size = len(comparison.levels) + 1
            bad = (values[:, column] < MISSING) | (values[:, column] >= size - 1)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                value = int(values[row, column])
                msg = f"{name} column {comparison.field!r} holds level {value}, not a level of it."
                raise DataContractError(msg, column=comparison.field, value=value, row=row)
            key = key * size + values[:, column] + 1
        _, first, counts = np.unique(key, return_index=True, return_counts=True)
        return values[first].astype(np.int8), counts.astype(float)

    def _frequencies(self, levels: pd.DataFrame) -> dict[str, FloatArray]:
        """Share of each level among non-missing pairs, floored so none is zero."""
        patterns, counts = self._patterns(levels, "levels")
        return {
            name: _share(patterns[:, column], counts, size)
            for column, (name, size) in enumerate(
                zip(self.fields, [len(c.levels) for c in self.comparisons], strict=True)
            )
        }

    def _em(
        self, patterns: NDArray[np.int8], counts: FloatArray, m: dict[str, FloatArray]
    ) -> tuple[dict[str, FloatArray], float, int]:
        """EM over two latent classes (match, non-match), or three with a related class."""
        related = [f for f in self.related_fields if f in self.fields]
        classes = [m, dict(self.u_)]
        if related:  # alike on what a household shares, unrelated on the rest
            classes.append({f: (m[f] if f in related else self.u_[f]).copy() for f in self.fields})
        priors = np.array([0.01, 0.98, 0.01][: len(classes)])
        priors /= priors.sum()
        if self.prior is not None:
            priors = np.array([self.prior, *((1 - self.prior) * priors[1:] / priors[1:].sum())])
        free = [0, *([1] if self.estimate_u else []), *([2] if related else [])]
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):  # noqa: B007 - reported as n_iter_
            log_joint = np.stack(
                [
                    np.log2(p) + _log2_probability(patterns, self.fields, dist)
                    for p, dist in zip(priors, classes, strict=True)
                ]
            )
            log_joint -= log_joint.max(axis=0)
            posterior = np.exp2(log_joint)
            posterior /= posterior.sum(axis=0)
            moved = 0.0
            for k in free:
                new = {
                    name: _share(patterns[:, column], counts * posterior[k], len(m[name]))
                    for column, name in enumerate(self.fields)
                }
                if k != 1:
                    moved = max(moved, *(np.abs(new[f] - classes[k][f]).max() for f in self.fields))
                classes[k] = new
            new_priors = np.clip((posterior * counts).sum(axis=1) / counts.sum(), _FLOOR, 1)
            new_priors /= new_priors.sum()
            if self.prior is not None:
                rest = new_priors[1:] / new_priors[1:].sum()
                new_priors = np.array([self.prior, *((1 - self.prior) * rest)])
            moved = max(moved, float(np.abs(new_priors - priors).max()))
            priors = new_priors
            if moved < self.tol:
                break
        else:
            warnings.warn(
                f"EM did not settle in {self.max_iter} rounds; raise max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.u_ = classes[1]
        self.related_ = classes[2] if related else None
        self.related_prior_ = float(priors[2]) if related else 0.0
        self.unrelated_prior_ = float(priors[1])
        return classes[0], float(priors[0]), n_iter

    def match_weight(self, levels: pd.DataFrame) -> FloatArray:
        """Return each pair's match weight: ``log2`` of the Bayes factor for a match.

        Without a related class this is the sum over fields of ``log2(m / u)``;
        with one, the non-match side also allows for related people (a
        household), which lowers the weight of pairs that look like one.
        """
        self._check_fitted()
        frame = require_frame(levels, name="levels")
        require_columns(frame, self.fields, name="levels")
        values = frame[self.fields].to_numpy(dtype=np.int64)
        return self._weight_of(values)

    def _weight_of(self, values: NDArray[np.int64]) -> FloatArray:
        """Match weight of level rows (a numpy array, fields in order)."""
        weight = _log2_ratio(values, self.fields, self.m_, self.u_)
        return weight - self._related_correction(values)

    def _related_correction(self, values: NDArray[np.int64]) -> FloatArray:
        """``log2 P(levels | unrelated) - log2 P(levels | non-match)`` (0 without related class)."""
        dist = getattr(self, "related_", None)
        if dist is None:
            return np.zeros(len(values))
        related = _log2_ratio(values, self.fields, dist, self.u_, monotone=False)
        unrelated, household = self.unrelated_prior_, self.related_prior_
        share = household / (unrelated + household)
        return np.asarray(np.log2((1 - share) + share * np.exp2(np.clip(related, -1000, 1000))))

    def probability(self, match_weight: FloatArray) -> FloatArray:
        """Turn match weights (plus the prior) into match probabilities."""
        self._check_fitted()
        odds = np.log2(self.prior_) - np.log2(1 - self.prior_) + np.asarray(match_weight)
        return np.asarray(1 / (1 + np.exp2(-np.clip(odds, -1000, 1000))), dtype=float)

    def predict_proba(self, levels: pd.DataFrame) -> FloatArray:
        """Return each pair's match probability."""
        return self.probability(self.match_weight(levels))

    def weights_table(self) -> pd.DataFrame:
        """Return ``m``, ``u`` and the weight of every level of every field."""
        self._check_fitted()
        rows = []
        for comparison in self.comparisons:
            m, u = self.m_[comparison.field], self.u_[comparison.field]
            for index, level in enumerate(comparison.levels):
                rows.append(
                    {
                        "field": comparison.field,
                        "level": level,
                        "m": m[index],
                        "u": u[index],
                        "match_weight": float(_weights(m, u)[index]),
                    }
                )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Return the fitted model as JSON-ready data."""
        self._check_fitted()
        return {
            "comparisons": [
                {"field": c.field, "kind": c.kind, "thresholds": list(c.thresholds)}
                for c in self.comparisons
            ],
            "prior": self.prior,
            "max_iter": self.max_iter,
            "tol": self.tol,
            "estimate_u": self.estimate_u,
            "m": {k: v.tolist() for k, v in self.m_.items()},
            "u": {k: v.tolist() for k, v in self.u_.items()},
            "random_u": {k: v.tolist() for k, v in self.random_u_.items()},
            "prior_": self.prior_,
            "related_fields": list(self.related_fields),
            "related": None
            if self.related_ is None
            else {k: v.tolist() for k, v in self.related_.items()},
            "related_prior": self.related_prior_,
            "unrelated_prior": self.unrelated_prior_,
            "n_iter": self.n_iter_,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FellegiSunter:
        """Rebuild a model written by :meth:`to_dict`."""
        comparisons = [Comparison(**c) for c in data["comparisons"]]
        model = cls(
            comparisons,
            prior=data["prior"],
            max_iter=data["max_iter"],
            tol=data["tol"],
            estimate_u=data["estimate_u"],
            related_fields=tuple(data["related_fields"]),
        )
        related = data["related"]
        model.related_ = (
            None if related is None else {k: np.asarray(v, dtype=float) for k, v in related.items()}
        )
        model.related_prior_ = float(data["related_prior"])
        model.unrelated_prior_ = float(data["unrelated_prior"])
        model.m_ = {k: np.asarray(v, dtype=float) for k, v in data["m"].items()}
        model.u_ = {k: np.asarray(v, dtype=float) for k, v in data["u"].items()}
        model.random_u_ = {k: np.asarray(v, dtype=float) for k, v in data["random_u"].items()}
        model.prior_ = float(data["prior_"])
        model.n_iter_ = int(data["n_iter"])
        return model

    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self, ["m_", "u_", "prior_"])
        except Exception as error:
            msg = "this FellegiSunter model is not fitted yet; call fit() first."
            raise NotFittedError(msg) from error


def _share(levels: NDArray[np.int8], weights: FloatArray, size: int) -> FloatArray:
    """Weighted share of each level among non-missing rows, floored away from 0 and 1."""
    present = levels != MISSING
    totals = np.bincount(levels[present], weights=weights[present], minlength=size)[:size]
    if totals.sum() <= 0:
        return np.full(size, 1.0 / size)
    share = np.clip(totals / totals.sum(), _FLOOR, None)
    return np.asarray(share / share.sum(), dtype=float)


def _default_m(size: int) -> FloatArray:
    """Start ``m`` where matches mostly agree exactly, then less and less."""
    start = 0.25 ** np.arange(size, dtype=float)
    start[1:] *= 0.1 / start[1:].sum()
    start[0] = 0.9
    return start


def _log2_probability(
    levels: NDArray[np.integer[Any]], fields: Sequence[str], dist: dict[str, FloatArray]
) -> FloatArray:
    """``log2`` probability of each row's levels under one class (missing adds nothing)."""
    total = np.zeros(len(levels))
    for column, name in enumerate(fields):
        total += np.append(np.log2(dist[name]), 0.0)[levels[:, column]]
    return total


def _log2_ratio(
    levels: NDArray[np.integer[Any]],
    fields: Sequence[str],
    m: dict[str, FloatArray],
    u: dict[str, FloatArray],
    *,
    monotone: bool = True,
) -> FloatArray:
    """Sum over fields of ``log2(m / u)`` at each row's level; missing adds nothing."""
    total = np.zeros(len(levels))
    for column, name in enumerate(fields):
        ratio = _weights(m[name], u[name]) if monotone else np.log2(m[name] / u[name])
        table = np.append(ratio, 0.0)  # index -1 = missing
        total += table[levels[:, column]]
    return total


def _weights(m: FloatArray, u: FloatArray) -> FloatArray:
    """``log2(m / u)`` per level, never higher than at a better level.

    Levels are ordered best first; EM can leave a worse level with a higher
    ratio (few pairs reach it), but closer agreement is never less evidence.
    """
    return np.asarray(np.minimum.accumulate(np.log2(m / u)), dtype=float)
