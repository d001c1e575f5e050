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
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._validation import require_columns, require_frame
from ..errors import ConvergenceWarning, DataContractError, DataWarning, NotFittedError
from . import _persist as persist
from ._compare import MISSING, Comparison, comparison_from_dict, comparison_to_dict

__all__ = ["FellegiSunter"]

FloatArray = NDArray[np.float64]
_FLOOR = 1e-6
_SAVED_KEYS = (
    "comparisons",
    "prior",
    "max_iter",
    "tol",
    "estimate_u",
    "m",
    "u",
    "random_u",
    "prior_",
    "related_groups",
    "related",
    "related_priors",
    "unrelated_prior",
    "n_iter",
)
_OPTIONAL_KEYS = ("related_groups_kept", "person_fields")  # absent from files before #14


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
        EM stops after ``max_iter`` rounds or when the log-likelihood per
        pair (in bits) gains less than ``tol``.
    estimate_u
        Re-estimate ``u`` by EM among the candidate pairs, starting from the
        random pairs' ``u`` (classic Fellegi-Sunter EM). Off by default:
        blocking gathers non-matches that agree on the blocked fields, and a
        free ``u`` drifts to describe them (a date-of-birth agreement then
        counts for nothing); the related classes describe them instead.
    related_groups
        Groups of fields that different people can share: a household
        (surname, address, landline), neighbours (postcode, city), namesakes
        (given name, surname). Each group adds a latent class of non-matches
        that agree on those fields, as Winkler did for census households:
        with only two classes, a couple sharing an address and a phone looks
        like one person, because blocking gathers exactly such pairs.
        A related class learns only the fields of its group: on every other
        field it is held at the unrelated ``u``, so no related class can
        learn the pattern of the match class (a customer who moved agrees on
        names, e-mail and date of birth; no group holds all of those).
    person_fields
        Fields that belong to one person (given name, date of birth,
        e-mail, account id). Within a group a related class may share them
        (a family mailbox) but never agrees on them more often than matches
        do; after EM, a class as alike as the match class on all the person
        fields it learns is dropped with a :class:`DataWarning`.

    Attributes
    ----------
    m_, u_
        ``{field: probabilities per level}`` (level order of the comparison).
    random_u_
        ``u`` among random pairs: how often unrelated records agree by chance
        (the base of term-frequency adjustments).
    prior_
        Share of candidate pairs that are matches (of all pairs, when ``fit``
        was given ``pairs_total``).
    related_, related_priors_
        Level probabilities and shares of the related classes (one per group kept).
    related_groups_
        The groups whose classes were kept (those of ``related_groups`` that
        name a compared field and did not learn the match class).
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

    related_: list[dict[str, FloatArray]]

    def __init__(
        self,
        comparisons: Sequence[Comparison],
        *,
        prior: float | None = None,
        max_iter: int = 1000,
        tol: float = 1e-5,
        estimate_u: bool = False,
        related_groups: Sequence[Sequence[str]] = (),
        person_fields: Sequence[str] = (),
    ) -> None:
        self.comparisons = comparisons
        self.person_fields = person_fields
        self.related_groups = related_groups
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
        pairs_total: float | None = None,
    ) -> FellegiSunter:
        """Learn ``u`` from random pairs, then ``m`` and the prior by EM.

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
        pairs_total
            How many pairs the records make in all (``n (n - 1) / 2`` when
            deduplicating). With ``random_levels``, EM then runs over every
            pair, not only the candidates: the random pairs stand in for the
            pairs blocking left out, weighted up to their number. Candidate
            pairs are what blocking gathered, and their mix (how many
            namesakes in one city, how many neighbours) grows with the file;
            fitted on them alone, the classes drift with size. Over all
            pairs each class means the same thing at any size: ``m`` and the
            related classes' levels stay put, and ``prior_`` is the share of
            matches among all pairs. ``random_levels`` should then be of
            pairs outside the candidates: a random pair that is a candidate
            (often a match) would stand for thousands of pairs. Where blocking
            kept every pair there are none: pass an empty frame (or ``None``)
            and ``pairs_total`` equal to the candidates.

        Raises
        ------
        DataContractError
            If ``labels`` do not mark both matches and non-matches, a level is
            not a level of its comparison, or ``pairs_total`` is below the
            number of candidate pairs, or above it without ``random_levels``.
        """
        patterns, counts = self._patterns(levels, "levels")
        if random_levels is not None and len(random_levels) == 0:
            random_levels = None  # blocking kept every pair: none outside to draw
        near = 1.0  # share of the pairs EM sees that are candidates
        if pairs_total is not None and labels is None:
            n_candidates = counts.sum()
            patterns, counts = self._with_outside(patterns, counts, random_levels, pairs_total)
            near = float(n_candidates / counts.sum())
        if labels is not None:
            truth = np.asarray(labels, dtype=bool)
            if truth.shape != (len(levels),) or not truth.any() or truth.all():
                msg = "labels must mark each pair, with both matches and non-matches."
                raise DataContractError(msg, column="labels")
            self.m_ = self._frequencies(levels[truth])
            self.u_ = self._frequencies(levels[~truth])
            self.random_u_ = dict(self.u_)
            self.prior_ = float(truth.mean()) if self.prior is None else float(self.prior)
            self.related_ = []
            self.related_groups_: list[tuple[str, ...]] = []
            self.related_priors_: list[float] = []
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
            m = {c.field: _default_m(len(c.levels)) for c in self.comparisons}
        groups = [tuple(f for f in g if f in self.fields) for g in self.related_groups]
        groups = [g for g in groups if g]
        while True:
            self.m_, self.prior_, self.n_iter_ = self._em(patterns, counts, m, groups, near)
            alike = [g for g, d in zip(groups, self.related_, strict=True) if self._alike(d)]
            if not alike:
                break
            warnings.warn(
                f"{len(alike)} related class(es) learnt the match class (as alike as matches "
                f"on the person fields {list(self.person_fields)}): groups {alike} dropped "
                "and the model refitted without them.",
                DataWarning,
                stacklevel=2,
            )
            groups = [g for g in groups if g not in alike]
        self.related_groups_ = groups
        return self

    def _with_outside(
        self,
        patterns: NDArray[np.int8],
        counts: FloatArray,
        random_levels: pd.DataFrame | None,
        pairs_total: float,
    ) -> tuple[NDArray[np.int8], FloatArray]:
        """Candidate patterns plus the random ones, weighted to the pairs outside the candidates."""
        total, inside = float(pairs_total), float(counts.sum())
        if not np.isfinite(total) or total < inside:
            msg = (
                f"pairs_total must be at least the number of candidate pairs "
                f"({inside:,.0f}); got {pairs_total!r}."
            )
            raise DataContractError(msg, column="pairs_total", value=pairs_total)
        if random_levels is None:
            if total > inside:
                msg = (
                    f"pairs_total ({pairs_total!r}) is more than the {inside:,.0f} candidate "
                    "pairs: give random_levels, the pairs blocking left out."
                )
                raise DataContractError(msg, column="pairs_total", value=pairs_total)
            return patterns, counts
        outside, weights = self._patterns(random_levels, "random_levels")
        weights *= (total - inside) / weights.sum()
        return np.concatenate([patterns, outside]), np.concatenate([counts, weights])

    def _alike(self, dist: Mapping[str, FloatArray]) -> bool:
        """Whether a related class agrees on person fields about as often as matches do.

        Summed over all person fields compared: those outside its group are
        held at ``u``, so only a group holding every person field can fail.
        Where matches themselves hardly stand out from unrelated pairs on
        those fields (a tiny file), no class is judged.
        """
        learnt = [f for f in self.person_fields if f in dist]
        if not learnt:
            return False
        gap = sum(float(np.log2(self.m_[f][0] / dist[f][0])) for f in learnt)
        apart = sum(float(np.log2(self.m_[f][0] / self.u_[f][0])) for f in learnt)
        return gap < 1.0 and apart >= 2.0  # noqa: PLR2004 - bits; matches must stand out

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
        self,
        patterns: NDArray[np.int8],
        counts: FloatArray,
        m: dict[str, FloatArray],
        groups: Sequence[Sequence[str]],
        near: float = 1.0,
    ) -> tuple[dict[str, FloatArray], float, int]:
        """EM over latent classes: match, unrelated non-match, and related non-matches."""
        classes = [m, dict(self.u_)]
        classes.extend(  # alike on what the group shares, unrelated on the rest
            {f: (m[f] if f in group else self.u_[f]).copy() for f in self.fields}
            for group in groups
        )
        priors = np.array([0.01, 0.98, *[0.01] * len(groups)])
        priors /= priors.sum()
        if near < 1.0:  # over all pairs: matches and related people only among the few near
            priors[[0, *range(2, len(priors))]] *= near
            priors[1] = 1.0 - priors[[0, *range(2, len(priors))]].sum()
        fixed = None if self.prior is None else self.prior * near  # given among candidates
        if fixed is not None:
            priors = np.array([fixed, *((1 - fixed) * priors[1:] / priors[1:].sum())])
        floor = min(_FLOOR, 1.0 / counts.sum())  # over all pairs, matches may be rarer than 1e-6
        free = [0, *([1] if self.estimate_u else []), *range(2, len(classes))]
        n_iter, previous = 0, -np.inf
        for n_iter in range(1, self.max_iter + 1):  # noqa: B007 - reported as n_iter_
            log_joint = np.stack(
                [
                    np.log2(p) + _log2_probability(patterns, self.fields, dist)
                    for p, dist in zip(priors, classes, strict=True)
                ]
            )
            top = log_joint.max(axis=0)
            posterior = np.exp2(log_joint - top)
            total = posterior.sum(axis=0)
            posterior /= total
            log_likelihood = float((counts * (top + np.log2(total))).sum() / counts.sum())
            for k in free:
                shared = groups[k - 2] if k >= 2 else self.fields  # noqa: PLR2004 - related
                classes[k] = {
                    name: _share(patterns[:, column], counts * posterior[k], len(m[name]))
                    if name in shared
                    else classes[1][name]
                    for column, name in enumerate(self.fields)
                }
                if k >= 2:  # noqa: PLR2004 - a related class
                    for name in set(self.person_fields) & set(shared):
                        classes[k][name] = _at_most(classes[k][name], classes[0][name][0])
            new_priors = np.clip((posterior * counts).sum(axis=1) / counts.sum(), floor, 1)
            new_priors /= new_priors.sum()
            if fixed is not None:
                rest = new_priors[1:] / new_priors[1:].sum()
                new_priors = np.array([fixed, *((1 - fixed) * rest)])
            priors = new_priors
            if abs(log_likelihood - previous) < self.tol:
                break
            previous = log_likelihood
        else:
            warnings.warn(
                f"EM did not settle in {self.max_iter} rounds; raise max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.u_ = classes[1]
        self.related_ = classes[2:]
        self.related_priors_ = [float(p) for p in priors[2:]]
        self.unrelated_prior_ = float(priors[1])
        return classes[0], float(priors[0]), n_iter

    def match_weight(self, levels: pd.DataFrame) -> FloatArray:
        """Return each pair's match weight: ``log2`` of the Bayes factor for a match.

        Without related classes this is the sum over fields of ``log2(m / u)``;
        with them, the non-match side also allows for related people (a
        household, namesakes), which lowers the weight of pairs that look
        like them.
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
        dists = getattr(self, "related_", [])
        if not dists:
            return np.zeros(len(values))
        total = np.full(len(values), self.unrelated_prior_)
        for dist, prior in zip(dists, self.related_priors_, strict=True):
            ratio = _log2_ratio(values, self.fields, dist, self.u_, monotone=False)
            total += prior * np.exp2(np.clip(ratio, -1000, 1000))
        scale = self.unrelated_prior_ + sum(self.related_priors_)
        return np.asarray(np.log2(total / scale))

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
            "comparisons": [comparison_to_dict(c) for c in self.comparisons],
            "prior": self.prior,
            "max_iter": self.max_iter,
            "tol": self.tol,
            "estimate_u": self.estimate_u,
            "m": {k: v.tolist() for k, v in self.m_.items()},
            "u": {k: v.tolist() for k, v in self.u_.items()},
            "random_u": {k: v.tolist() for k, v in self.random_u_.items()},
            "prior_": self.prior_,
            "related_groups": [list(g) for g in self.related_groups],
            "person_fields": list(self.person_fields),
            "related": [{k: v.tolist() for k, v in d.items()} for d in self.related_],
            "related_groups_kept": [list(g) for g in self.related_groups_],
            "related_priors": self.related_priors_,
            "unrelated_prior": self.unrelated_prior_,
            "n_iter": self.n_iter_,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FellegiSunter:
        """Rebuild a model written by :meth:`to_dict`.

        Raises
        ------
        DataContractError
            If a key is missing or unknown, or a value has the wrong type or
            domain (probabilities must lie in ``(0, 1]``, one per level):
            saved files are untrusted input.
        """
        return cls._from_dict(data, "model")

    @classmethod
    def _from_dict(cls, data: object, name: str) -> FellegiSunter:
        read = persist.mapping(data, name, keys=_SAVED_KEYS, optional=_OPTIONAL_KEYS)
        comparisons = [
            comparison_from_dict(c, f"{name}.comparisons[{k}]")
            for k, c in enumerate(persist.items(read["comparisons"], f"{name}.comparisons"))
        ]
        fields = [c.field for c in comparisons]
        if len(set(fields)) != len(fields):
            repeated = next(f for k, f in enumerate(fields) if f in fields[:k])
            persist.fail(f"{name}.comparisons", "one comparison per field", repeated)
        sizes = {c.field: len(c.levels) for c in comparisons}

        def distribution(value: object, where: str) -> dict[str, FloatArray]:
            table = persist.mapping(value, where, keys=fields)
            return {
                f: persist.probabilities(table[f], f"{where}.{f}", size=sizes[f]) for f in fields
            }

        groups = persist.items(read["related_groups"], f"{name}.related_groups")
        model = cls(
            comparisons,
            prior=persist.optional_number(
                read["prior"], f"{name}.prior", low=0.0, high=1.0, open_low=True, open_high=True
            ),
            max_iter=persist.integer(read["max_iter"], f"{name}.max_iter", low=1),
            tol=persist.number(read["tol"], f"{name}.tol", low=0.0),
            estimate_u=persist.boolean(read["estimate_u"], f"{name}.estimate_u"),
            related_groups=[
                tuple(persist.text_list(g, f"{name}.related_groups[{k}]"))
                for k, g in enumerate(groups)
            ],
            person_fields=persist.text_list(read.get("person_fields", []), f"{name}.person_fields"),
        )
        related = persist.items(read["related"], f"{name}.related")
        model.related_ = [distribution(d, f"{name}.related[{k}]") for k, d in enumerate(related)]
        kept = read.get("related_groups_kept", [list(g) for g in model.related_groups])
        model.related_groups_ = [
            tuple(persist.text_list(g, f"{name}.related_groups_kept[{k}]"))
            for k, g in enumerate(persist.items(kept, f"{name}.related_groups_kept"))
        ][: len(model.related_)]
        priors = persist.items(read["related_priors"], f"{name}.related_priors", size=len(related))
        model.related_priors_ = [
            persist.number(p, f"{name}.related_priors[{k}]", low=0.0, high=1.0)
            for k, p in enumerate(priors)
        ]
        model.unrelated_prior_ = persist.number(
            read["unrelated_prior"], f"{name}.unrelated_prior", low=0.0, high=1.0, open_low=True
        )
        model.m_ = distribution(read["m"], f"{name}.m")
        model.u_ = distribution(read["u"], f"{name}.u")
        model.random_u_ = distribution(read["random_u"], f"{name}.random_u")
        model.prior_ = persist.number(
            read["prior_"], f"{name}.prior_", low=0.0, high=1.0, open_low=True, open_high=True
        )
        model.n_iter_ = persist.integer(read["n_iter"], f"{name}.n_iter", low=0)
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


def _at_most(dist: FloatArray, top: float) -> FloatArray:
    """``dist`` with its first level (exact agreement) capped at ``top``, renormalised."""
    if dist[0] <= top:
        return dist
    rest = dist[1:] * (1.0 - top) / max(float(dist[1:].sum()), _FLOOR)
    out = np.concatenate([[top], rest]) if rest.sum() > 0 else dist
    return np.asarray(out / out.sum(), dtype=float)


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
