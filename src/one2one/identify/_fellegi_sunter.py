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
from typing import Any, Literal, cast

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
_OPTIONAL_KEYS = (  # absent from files before #14
    "related_groups_kept",
    "person_fields",
    "conditional",
    "given",
)
_DEPENDENT = 0.8  # a field agrees this often given its parent's agreement ...
_INDEPENDENT = 0.2  # ... and at most this often at random: it is scored given the parent
_MIN_SUPPORT = 30  # random pairs agreeing on the parent, to judge
_PSEUDO_PAIRS = 10.0  # a conditional row is its field's overall share until pairs say otherwise


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
    conditional
        ``{field: parent}``: score ``field`` given the level of ``parent``,
        with ``m`` and ``u`` (and every related class) learnt per parent
        level. Two fields where one nearly decides the other (a postcode
        decides the city) otherwise count the same evidence twice: a
        customer who moved loses it twice over. ``"auto"`` detects such
        pairs among the random pairs: a field that agrees in at least 80%
        of the pairs agreeing on another (neither a person field: random
        pairs agreeing on an e-mail are mostly matches, not a dependence),
        and in at most 20% at random. Given a different postcode, the same
        city is a neighbour's, so these rows are not capped by "closer is
        never weaker". ``None`` (the default) scores every field on its own.
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
    conditional_
        ``{field: parent}``: fields scored given the level of another, because
        one nearly decides the other (a city given its postcode).
    given_
        ``{"m": {field: table}, "u": ..., "random_u": ..., "related": [...]}``:
        for each conditional field, its level probabilities per level of its
        parent (one row per parent level, the last for a missing parent).
        ``m_``, ``u_`` and ``related_`` hold these fields' marginals.

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
        conditional: Mapping[str, str] | Literal["auto"] | None = None,
    ) -> None:
        self.comparisons = comparisons
        self.conditional = conditional
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

        Returns
        -------
        FellegiSunter
            The fitted model itself.

        Raises
        ------
        DataContractError
            If ``labels`` do not mark both matches and non-matches, a level is
            not a level of its comparison, or ``pairs_total`` is below the
            number of candidate pairs, or above it without ``random_levels``.
        """
        if labels is not None:
            self._patterns(levels, "levels")  # the same checks as an unsupervised fit
            truth = np.asarray(labels, dtype=bool)
            if truth.shape != (len(levels),) or not truth.any() or truth.all():
                msg = "labels must mark each pair, with both matches and non-matches."
                raise DataContractError(msg, column="labels")
            self.conditional_: dict[str, str] = self._conditional(levels[~truth])
            self.m_ = self._frequencies(levels[truth])
            self.u_ = self._frequencies(levels[~truth])
            self.random_u_ = dict(self.u_)
            self.prior_ = float(truth.mean()) if self.prior is None else float(self.prior)
            self.related_ = []
            self.related_groups_: list[tuple[str, ...]] = []
            self.related_priors_: list[float] = []
            self.unrelated_prior_ = 1.0 - self.prior_
            self.n_iter_ = 0
            self._split()
            return self
        candidates = self._patterns(levels, "levels")
        outside = None
        if random_levels is not None and len(random_levels) > 0:
            outside = self._patterns(random_levels, "random_levels")
        known = None
        if known_matches is not None:
            chosen = np.asarray(known_matches, dtype=bool)
            known = self._patterns(levels[chosen], "levels") if chosen.any() else None
        return self._fit_counted(candidates, outside, known, pairs_total)

    def _fit_counted(
        self,
        candidates: tuple[NDArray[np.int8], FloatArray],
        outside: tuple[NDArray[np.int8], FloatArray] | None,
        known: tuple[NDArray[np.int8], FloatArray] | None,
        pairs_total: float | None,
    ) -> FellegiSunter:
        """Fit, unsupervised, from distinct level patterns and their counts.

        What :meth:`fit` does once it has compressed its frames with
        :meth:`_patterns`; the Spark path counts the patterns in Spark (one
        row per distinct pattern) and gives them here, so both fits run the
        same arithmetic on the same arrays.
        """
        patterns, counts = candidates
        near = 1.0  # share of the pairs EM sees that are candidates
        if pairs_total is not None:
            n_candidates = counts.sum()
            patterns, counts = self._with_outside(patterns, counts, outside, pairs_total)
            near = float(n_candidates / counts.sum())
        self.conditional_ = self._conditional_counted(candidates if outside is None else outside)
        self.u_ = self._counted_frequencies(candidates if outside is None else outside)
        self.random_u_ = dict(self.u_)
        if known is not None and known[1].sum() >= 10:  # noqa: PLR2004
            m = self._counted_frequencies(known)
        else:
            m = {
                c.field: self._given_rows(c.field, _default_m(len(c.levels)))
                for c in self.comparisons
            }
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
        self._split()
        return self

    def _conditional(self, levels: pd.DataFrame) -> dict[str, str]:
        """``{field: parent}`` as asked, or as detected among (random) pairs for ``"auto"``."""
        if self.conditional is None:
            return {}
        if self.conditional != "auto":
            return self._asked(self.conditional)
        return self._detected(levels)

    def _asked(self, conditional: Mapping[str, str]) -> dict[str, str]:
        """Check the ``{field: parent}`` given: compared fields, no chains."""
        asked = dict(conditional)
        for field, parent in asked.items():
            if field not in self.fields or parent not in self.fields or field == parent:
                msg = (
                    f"conditional field {field!r} given {parent!r}: both must be compared "
                    f"fields ({self.fields}) and differ."
                )
                raise DataContractError(msg, column="conditional", value=field)
            if parent in asked:
                msg = f"conditional parent {parent!r} is itself conditional: no chains."
                raise DataContractError(msg, column="conditional", value=parent)
        return asked

    def _conditional_counted(self, counted: tuple[NDArray[np.int8], FloatArray]) -> dict[str, str]:
        """:meth:`_conditional` from distinct level patterns and their counts."""
        if self.conditional is None:
            return {}
        if self.conditional != "auto":
            return self._asked(self.conditional)
        return self._detected_counted(*counted)

    def _detected(self, levels: pd.DataFrame) -> dict[str, str]:
        """Fields that agree whenever another does, and seldom at random: ``{field: parent}``."""
        return self._detected_counted(*self._patterns(levels, "levels"))

    def _detected_counted(self, patterns: NDArray[np.int8], counts: FloatArray) -> dict[str, str]:
        """:meth:`_detected` from distinct level patterns and their counts."""
        found: list[tuple[float, str, str]] = []
        person = set(self.person_fields)
        for c, child in enumerate(self.fields):
            for p, parent in enumerate(self.fields):
                if child == parent or child in person or parent in person:
                    continue
                both = (patterns[:, c] != MISSING) & (patterns[:, p] != MISSING)
                given = both & (patterns[:, p] == 0)
                support = float(counts[given].sum())
                if support < _MIN_SUPPORT:
                    continue
                agree = float(counts[given & (patterns[:, c] == 0)].sum()) / support
                base = float(counts[both & (patterns[:, c] == 0)].sum() / counts[both].sum())
                if agree >= _DEPENDENT and base <= _INDEPENDENT:
                    found.append((agree, child, parent))
        chosen: dict[str, str] = {}
        for _, child, parent in sorted(found, reverse=True):  # strongest first, no chains
            if child not in chosen and parent not in chosen and child not in chosen.values():
                chosen[child] = parent
        return chosen

    def _given_rows(self, field: str, dist: FloatArray) -> FloatArray:
        """``dist`` repeated for every level of ``field``'s parent (itself if unconditional)."""
        parent = self.conditional_.get(field)
        if parent is None:
            return dist
        rows = len(self.comparisons[self.fields.index(parent)].levels) + 1  # last: missing
        return np.tile(dist, (rows, 1))

    def _split(self) -> None:
        """Keep conditional tables in ``given_``; ``m_``, ``u_``, ``related_`` get marginals."""
        tables: dict[str, Any] = {"m": {}, "u": {}, "random_u": {}, "related": []}
        for key, dist in (("m", self.m_), ("u", self.u_), ("random_u", self.random_u_)):
            tables[key] = {f: dist[f] for f in self.conditional_}
            for field, parent in self.conditional_.items():
                dist[field] = _marginal(dist[field], dist[parent])
        for dist in self.related_:
            tables["related"].append({f: dist[f] for f in self.conditional_})
            for field, parent in self.conditional_.items():
                dist[field] = _marginal(dist[field], dist[parent])
        self.given_ = tables

    def _full(self, key: str, index: int | None = None) -> dict[str, FloatArray]:
        """Return a class's distributions, conditional tables in place of marginals."""
        given = getattr(self, "given_", {})
        if key == "related":
            dist = self.related_[cast("int", index)]
            tables = given.get("related", [{}] * len(self.related_))[cast("int", index)]
        else:
            dist = cast("dict[str, FloatArray]", getattr(self, f"{key}_"))
            tables = given.get(key, {})
        return {**dist, **tables}

    @property
    def _parents(self) -> dict[str, int]:
        """Column of each conditional field's parent."""
        return {f: self.fields.index(p) for f, p in getattr(self, "conditional_", {}).items()}

    def _with_outside(
        self,
        patterns: NDArray[np.int8],
        counts: FloatArray,
        outside: tuple[NDArray[np.int8], FloatArray] | None,
        pairs_total: float,
    ) -> tuple[NDArray[np.int8], FloatArray]:
        """Candidate patterns plus the random ones, weighted to the pairs outside the candidates."""
        total, inside = float(pairs_total), float(counts.sum())
        if not np.isfinite(total) or total < inside:
            msg = (
                f"pairs_total must be at least the number of candidate pairs, "
                f"{inside:,.0f} (got {pairs_total!r})."
            )
            raise DataContractError(msg, column="pairs_total", value=pairs_total)
        if outside is None:
            if total > inside:
                msg = (
                    f"pairs_total ({pairs_total!r}) is more than the {inside:,.0f} candidate "
                    "pairs: give random_levels, the pairs blocking left out."
                )
                raise DataContractError(msg, column="pairs_total", value=pairs_total)
            return patterns, counts
        drawn, weights = outside[0], outside[1].copy()
        weights *= (total - inside) / weights.sum()
        return np.concatenate([patterns, drawn]), np.concatenate([counts, weights])

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
        return self._counted_patterns(frame[self.fields].to_numpy(dtype=np.int64), None, name)

    def _counted_patterns(
        self, values: NDArray[np.int64], weights: NDArray[np.int64] | None, name: str
    ) -> tuple[NDArray[np.int8], FloatArray]:
        """Distinct level rows (one column per field) and their summed ``weights`` (1 each).

        Sorted as :meth:`_patterns` sorts them, so counts made elsewhere (in
        Spark, one row per distinct pattern) give the same arrays.
        """
        if len(values) == 0:
            msg = f"{name} is empty: there are no pairs to learn from."
            raise DataContractError(msg, column=self.fields[0] if self.fields else None)
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
        if weights is None:
            _, first, counts = np.unique(key, return_index=True, return_counts=True)
            return values[first].astype(np.int8), counts.astype(float)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        summed = np.bincount(inverse.ravel(), weights=np.asarray(weights, dtype=float))
        return values[first].astype(np.int8), summed.astype(float)

    def _frequencies(self, levels: pd.DataFrame) -> dict[str, FloatArray]:
        """Share of each level among non-missing pairs, floored so none is zero."""
        return self._counted_frequencies(self._patterns(levels, "levels"))

    def _counted_frequencies(
        self, counted: tuple[NDArray[np.int8], FloatArray]
    ) -> dict[str, FloatArray]:
        """:meth:`_frequencies` from distinct level patterns and their counts."""
        patterns, counts = counted
        return {name: self._share_of(patterns, counts, name) for name in self.fields}

    def _share_of(self, patterns: NDArray[np.int8], weights: FloatArray, name: str) -> FloatArray:
        """Weighted level shares of one field: per parent level when it is conditional."""
        column = self.fields.index(name)
        size = len(self.comparisons[column].levels)
        overall = _share(patterns[:, column], weights, size)
        parent = self.conditional_.get(name)
        if parent is None:
            return overall
        above = patterns[:, self.fields.index(parent)]
        rows = len(self.comparisons[self.fields.index(parent)].levels) + 1
        table = np.tile(overall, (rows, 1))
        for row in range(rows):  # each row drawn toward the overall share by a few pairs
            here = (above == (row if row < rows - 1 else MISSING)) & (
                patterns[:, column] != MISSING
            )
            seen = np.bincount(patterns[here, column], weights=weights[here], minlength=size)
            mixed = seen[:size] + _PSEUDO_PAIRS * overall
            table[row] = np.clip(mixed / mixed.sum(), _FLOOR, None)
        return np.asarray(table / table.sum(axis=1, keepdims=True), dtype=float)

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
        parents = self._parents
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
                    np.log2(p) + _log2_probability(patterns, self.fields, dist, parents)
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
                    name: self._share_of(patterns, counts * posterior[k], name)
                    if name in shared
                    else classes[1][name]
                    for name in self.fields
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

    def match_weight(
        self, levels: pd.DataFrame, *, adjustments: Mapping[str, FloatArray] | None = None
    ) -> FloatArray:
        """Return each pair's match weight: ``log2`` of the Bayes factor for a match.

        Without related classes this is the sum over fields of ``log2(m / u)``;
        with them, the non-match side also allows for related people (a
        household, namesakes), which lowers the weight of pairs that look
        like them.

        Parameters
        ----------
        levels
            One row per pair, one column of levels per field.
        adjustments
            ``{field: weight per pair}`` added to the field's weight, as term
            frequencies do for agreement on a rare value (agreeing on an
            ``u`` of that value rather than of the field). The same value is
            as rare for a related class that learns that field: a household
            sharing the rare surname gains as much as a match does, so the
            adjustment is added to that class too and cannot tip a household
            into a match.

        Returns
        -------
        numpy.ndarray of float
            One weight per pair, in bits: above 0 the evidence favours a match.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``levels`` is not a DataFrame or lacks a compared field.
            or an adjustment names another field or does not give one weight
            per pair.
        """
        self._check_fitted()
        frame = require_frame(levels, name="levels")
        require_columns(frame, self.fields, name="levels")
        values = frame[self.fields].to_numpy(dtype=np.int64)
        boost = {} if adjustments is None else dict(adjustments)
        for name, extra in boost.items():
            if name not in self.fields or np.shape(extra) != (len(values),):
                msg = (
                    f"adjustments[{name!r}]: expected a compared field ({self.fields}) "
                    f"with one weight per pair ({len(values)})."
                )
                raise DataContractError(msg, column="adjustments", value=name)
        return self._weight_of(values, boost)

    def field_weights(self, levels: pd.DataFrame) -> pd.DataFrame:
        """Return each pair's weight per field (a conditional field's given its parent's level).

        The row sums, less the related-people correction, are :meth:`match_weight`:
        what an explanation shows field by field.

        Parameters
        ----------
        levels
            One row per pair, one column of levels per field.

        Returns
        -------
        pandas.DataFrame
            One column of weights (bits) per field, on the index of ``levels``.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``levels`` is not a DataFrame or lacks a compared field.
        """
        self._check_fitted()
        frame = require_frame(levels, name="levels")
        require_columns(frame, self.fields, name="levels")
        values = frame[self.fields].to_numpy(dtype=np.int64)
        m, u, parents = self._full("m"), self._full("u"), self._parents
        return pd.DataFrame(
            {
                name: self._one_field(values, column, m, u, parents)
                for column, name in enumerate(self.fields)
            },
            index=frame.index,
        )

    def _one_field(
        self,
        values: NDArray[np.int64],
        column: int,
        m: dict[str, FloatArray],
        u: dict[str, FloatArray],
        parents: Mapping[str, int],
    ) -> FloatArray:
        """One field's weight per pair (as in :func:`_log2_ratio`)."""
        name = self.fields[column]
        ratio = np.log2(m[name] / u[name]) if name in parents else _weights(m[name], u[name])
        return _lookup(ratio, values, column, parents.get(name))

    def _weight_of(
        self, values: NDArray[np.int64], boost: Mapping[str, FloatArray] | None = None
    ) -> FloatArray:
        """Match weight of level rows (a numpy array, fields in order), plus ``boost``."""
        parents = self._parents
        weight = _log2_ratio(values, self.fields, self._full("m"), self._full("u"), parents)
        for extra in (boost or {}).values():
            weight = weight + extra
        return weight - self._related_correction(values, boost)

    def _related_correction(
        self, values: NDArray[np.int64], boost: Mapping[str, FloatArray] | None = None
    ) -> FloatArray:
        """``log2 P(levels | unrelated) - log2 P(levels | non-match)`` (0 without related class).

        ``boost`` (term frequencies) counts for each class that learns the
        field; a class held at ``u`` on it gains nothing.
        """
        if not getattr(self, "related_", []):
            return np.zeros(len(values))
        total = np.full(len(values), self.unrelated_prior_)
        u, parents = self._full("u"), self._parents
        groups = getattr(self, "related_groups_", [])
        for index, prior in enumerate(self.related_priors_):
            dist = self._full("related", index)
            ratio = _log2_ratio(values, self.fields, dist, u, parents, monotone=False)
            learnt = groups[index] if index < len(groups) else ()
            for name, extra in (boost or {}).items():
                if name in learnt:
                    ratio = ratio + extra
            total += prior * np.exp2(np.clip(ratio, -1000, 1000))
        scale = self.unrelated_prior_ + sum(self.related_priors_)
        return np.asarray(np.log2(total / scale))

    def probability(self, match_weight: FloatArray) -> FloatArray:
        """Turn match weights (plus the prior) into match probabilities.

        The weight is evidence; the prior says how rare matches are among the
        pairs, and both are needed for a probability a threshold can cut.

        Parameters
        ----------
        match_weight
            Weights from :meth:`match_weight` (bits).

        Returns
        -------
        numpy.ndarray of float
            The match probability of each pair, in [0, 1].

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        """
        self._check_fitted()
        odds = np.log2(self.prior_) - np.log2(1 - self.prior_) + np.asarray(match_weight)
        return np.asarray(1 / (1 + np.exp2(-np.clip(odds, -1000, 1000))), dtype=float)

    def predict_proba(self, levels: pd.DataFrame) -> FloatArray:
        """Return each pair's match probability.

        Parameters
        ----------
        levels
            One row per pair, one column of levels per field.

        Returns
        -------
        numpy.ndarray of float
            ``probability(match_weight(levels))``.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``levels`` is not a DataFrame or lacks a compared field.
        """
        return self.probability(self.match_weight(levels))

    def weights_table(self) -> pd.DataFrame:
        """Return ``m``, ``u`` and the weight of every level of every field.

        The table to read before trusting a model: a level whose weight has
        the wrong sign, or a field that counts for nothing, shows here.

        Returns
        -------
        pandas.DataFrame
            One row per field and level: ``field``, ``level``, ``m``, ``u``
            and ``match_weight`` (bits, capped so closer is never weaker).

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        """
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

    def conditional_table(self) -> pd.DataFrame:
        """Return ``m``, ``u`` and the weight of each conditional field's levels per parent level.

        :meth:`weights_table` shows these fields' marginals; pairs are scored
        with these rows. Empty when every field is scored on its own.

        Returns
        -------
        pandas.DataFrame
            ``field``, ``given`` (its parent), ``given_level``, ``level``,
            ``m``, ``u`` and ``match_weight`` (bits).

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        """
        self._check_fitted()
        rows = []
        for field, parent in self.conditional_.items():
            names = self.comparisons[self.fields.index(field)].levels
            above = (*self.comparisons[self.fields.index(parent)].levels, "missing")
            m, u = self.given_["m"][field], self.given_["u"][field]
            for row, given in enumerate(above):
                for index, level in enumerate(names):
                    rows.append(
                        {
                            "field": field,
                            "given": parent,
                            "given_level": given,
                            "level": level,
                            "m": m[row, index],
                            "u": u[row, index],
                            "match_weight": float(np.log2(m[row, index] / u[row, index])),
                        }
                    )
        columns = ["field", "given", "given_level", "level", "m", "u", "match_weight"]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """Return the fitted model as JSON-ready data.

        Returns
        -------
        dict of str to object
            The parameters and every fitted distribution, in lists and plain
            values; :meth:`from_dict` reads it back.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        """
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
            "conditional": dict(self.conditional_),
            "given": {
                "m": _listed(self.given_["m"]),
                "u": _listed(self.given_["u"]),
                "random_u": _listed(self.given_["random_u"]),
                "related": [_listed(d) for d in self.given_["related"]],
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FellegiSunter:
        """Rebuild a model written by :meth:`to_dict`.

        Parameters
        ----------
        data
            The dict :meth:`to_dict` wrote (e.g. read back from JSON).

        Returns
        -------
        FellegiSunter
            The fitted model, scoring as the saved one did.

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
        model._read_given(read, name, comparisons)
        return model

    def _read_given(
        self, read: Mapping[str, Any], name: str, comparisons: Sequence[Comparison]
    ) -> None:
        """Restore ``conditional_`` and ``given_`` (absent from files before #14: none)."""
        sizes = {c.field: len(c.levels) for c in comparisons}
        conditional = persist.mapping(read.get("conditional", {}), f"{name}.conditional")
        for child, parent in conditional.items():
            if child not in sizes or parent not in sizes or parent in conditional:
                persist.fail(f"{name}.conditional", "compared fields, no chains", child)
            if not isinstance(parent, str):
                persist.fail(f"{name}.conditional.{child}", "a field name", parent)
        self.conditional_ = dict(conditional)
        self.conditional = dict(conditional) or None
        empty: dict[str, Any] = {
            "m": {},
            "u": {},
            "random_u": {},
            "related": [{}] * len(self.related_),
        }
        given = persist.mapping(
            read.get("given", empty), f"{name}.given", keys=("m", "u", "random_u", "related")
        )

        def tables(value: object, where: str) -> dict[str, FloatArray]:
            table = persist.mapping(value, where, keys=list(self.conditional_))
            out = {}
            for child, parent in self.conditional_.items():
                rows = persist.items(table[child], f"{where}.{child}", size=sizes[parent] + 1)
                out[child] = np.stack(
                    [
                        persist.probabilities(r, f"{where}.{child}[{k}]", size=sizes[child])
                        for k, r in enumerate(rows)
                    ]
                )
            return out

        related = persist.items(given["related"], f"{name}.given.related", size=len(self.related_))
        self.given_ = {
            "m": tables(given["m"], f"{name}.given.m"),
            "u": tables(given["u"], f"{name}.given.u"),
            "random_u": tables(given["random_u"], f"{name}.given.random_u"),
            "related": [tables(d, f"{name}.given.related[{k}]") for k, d in enumerate(related)],
        }

    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self, ["m_", "u_", "prior_"])
        except Exception as error:
            msg = "this FellegiSunter model is not fitted yet; call fit() first."
            raise NotFittedError(msg) from error


def _listed(tables: Mapping[str, FloatArray]) -> dict[str, list[Any]]:
    return {k: v.tolist() for k, v in tables.items()}


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
    levels: NDArray[np.integer[Any]],
    fields: Sequence[str],
    dist: dict[str, FloatArray],
    parents: Mapping[str, int],
) -> FloatArray:
    """``log2`` probability of each row's levels under one class (missing adds nothing)."""
    total = np.zeros(len(levels))
    for column, name in enumerate(fields):
        total += _lookup(np.log2(dist[name]), levels, column, parents.get(name))
    return total


def _lookup(
    table: FloatArray, levels: NDArray[np.integer[Any]], column: int, parent: int | None
) -> FloatArray:
    """Each row's value of ``table`` at its level (0 where missing), per parent level if 2-D."""
    padded = np.concatenate([table, np.zeros((*table.shape[:-1], 1))], axis=-1)  # -1: missing
    if parent is None:
        return np.asarray(padded[levels[:, column]])
    return np.asarray(padded[levels[:, parent], levels[:, column]])  # parent -1: last row


def _marginal(table: FloatArray, parent: FloatArray) -> FloatArray:
    """Return a conditional table's rows averaged over the parent's (non-missing) levels."""
    if table.ndim == 1:
        return table
    mixed = (parent[:, None] * table[: len(parent)]).sum(axis=0)
    return np.asarray(mixed / mixed.sum(), dtype=float)


def _log2_ratio(
    levels: NDArray[np.integer[Any]],
    fields: Sequence[str],
    m: dict[str, FloatArray],
    u: dict[str, FloatArray],
    parents: Mapping[str, int],
    *,
    monotone: bool = True,
) -> FloatArray:
    """Sum over fields of ``log2(m / u)`` at each row's level; missing adds nothing."""
    total = np.zeros(len(levels))
    for column, name in enumerate(fields):
        # closer is never weaker, except given another field: given a different postcode, the
        # same city is a neighbour's (no cap there)
        capped = monotone and name not in parents
        ratio = _weights(m[name], u[name]) if capped else np.log2(m[name] / u[name])
        total += _lookup(ratio, levels, column, parents.get(name))
    return total


def _weights(m: FloatArray, u: FloatArray) -> FloatArray:
    """``log2(m / u)`` per level, never higher than at a better level.

    Levels are ordered best first; EM can leave a worse level with a higher
    ratio (few pairs reach it), but closer agreement is never less evidence.
    """
    return np.asarray(np.minimum.accumulate(np.log2(m / u), axis=-1), dtype=float)
