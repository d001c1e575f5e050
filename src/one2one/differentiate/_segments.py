"""Needs-based segments: customers grouped by what they need, not by what they are worth.

A segmenter is a scikit-learn clusterer: features are standardised (a
feature measured in pounds must not outweigh one measured in visits), then
k-means or a Gaussian mixture groups the customers. The number of segments,
when not given, is chosen by a stated criterion (the silhouette for k-means,
the BIC for a mixture). Segments are numbered by size, largest first, so
labels do not depend on the solver's random start, and each is described in
words by the features that set it apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, overload

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import validate_data

from .._progress import Progress, check_progress, progress_bar
from .._spark import SparkFrame, is_spark_frame
from .._validation import as_generator, require_number, require_one_of
from ..errors import DataContractError, NotFittedError

__all__ = ["NeedsSegmenter", "SegmentStability"]

Method = Literal["kmeans", "gmm"]
_METHODS: tuple[Method, ...] = ("kmeans", "gmm")

SECONDS_PER_ROW: dict[str, float] = {"kmeans": 3e-5, "gmm": 5e-4}
"""Seconds one fit (``n_init=4``) costs per customer, by method, for ``progress="auto"``.

Measured on 5,000-40,000 simulated customers with 6 features and 2 to 10
segments, on 2 shared cores: k-means 12-100 microseconds a customer, a
Gaussian mixture 70-2,000 (more segments, more iterations). The silhouette
that chooses k-means' number of segments costs about 30 nanoseconds a pair
of the customers it scores. Whole fits measured: 17 s (k-means) and 119 s
(mixture) for 40,000 customers, against estimates of 13 s and 110 s.
"""
_SECONDS_PER_PAIR = 3e-8


@attrs.frozen
class SegmentStability:
    """How reproducible the segments are across bootstrap resamples.

    Attributes
    ----------
    scores
        Adjusted Rand index between the fitted segments and a refit on each
        resample (1: identical partition; 0: no better than chance).
    mean, low, high
        Mean and the 5% / 95% quantiles of ``scores``. Hennig (2007) calls a
        cluster structure stable above about 0.75 and not real below 0.5.
    """

    scores: tuple[float, ...]
    mean: float
    low: float
    high: float


class NeedsSegmenter(ClusterMixin, BaseEstimator):  # type: ignore[misc]
    """Group customers into needs segments and describe each one in words.

    Parameters
    ----------
    n_segments
        Number of segments, or ``"auto"`` to choose it in ``k_range`` by
        ``method``'s criterion: the mean silhouette for k-means (highest
        wins), the Bayesian information criterion for a mixture (lowest wins).
    method
        ``"kmeans"`` (hard, spherical segments; fast) or ``"gmm"`` (a Gaussian
        mixture: segments of different shape and size, with probabilities).
    k_range
        Smallest and largest number of segments tried by ``"auto"``.
    scale
        Standardise features first (recommended unless they share one unit).
    selection_sample
        At most this many customers are used to choose the number of segments
        (the final fit uses all of them); the silhouette is scored on a
        quarter of them, which keeps the choice at seconds for 100k customers.
    n_init
        Random starts per fit; the best is kept.
    random_state
        Seed for starts and samples.
    progress
        A bar with one step per number of segments tried and one for the
        final fit: ``"auto"`` shows it when the fit is expected to take over
        2 s (k-means with ``"auto"`` from a few tens of thousands of
        customers; a mixture sooner) and a terminal or notebook watches,
        ``True`` always (raising
        :class:`~one2one.errors.MissingDependencyError` if tqdm, the
        ``progress`` extra, is missing), ``False`` never.

    Attributes
    ----------
    n_segments_
        Number of segments fitted.
    labels_
        Segment of each training customer, 0 the largest.
    cluster_centers_
        Segment means in the original feature units, one row per segment.
    profiles_
        DataFrame, one row per segment: ``customers``, ``share`` and each
        feature's mean.
    selection_
        DataFrame of the criterion for each ``k`` tried (empty when
        ``n_segments`` was given).
    feature_names_in_, n_features_in_
        As in scikit-learn.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(6, 1, (30, 2))]),
    ...                  columns=["web_visits", "store_visits"])
    >>> segmenter = NeedsSegmenter(random_state=0).fit(X)
    >>> segmenter.n_segments_, np.bincount(segmenter.labels_).tolist()
    (2, [50, 30])
    """

    def __init__(
        self,
        n_segments: int | Literal["auto"] = "auto",
        *,
        method: Method = "kmeans",
        k_range: tuple[int, int] = (2, 10),
        scale: bool = True,
        selection_sample: int = 20_000,
        n_init: int = 4,
        random_state: int | None = 0,
        progress: Progress = "auto",
    ) -> None:
        self.n_segments = n_segments
        self.method = method
        self.k_range = k_range
        self.scale = scale
        self.selection_sample = selection_sample
        self.n_init = n_init
        self.random_state = random_state
        self.progress = progress

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: object = None) -> NeedsSegmenter:
        """Choose the number of segments (if asked), fit them and describe them.

        Parameters
        ----------
        X
            Customer features, array-like of shape (n_customers, n_features)
            or a DataFrame (its column names are kept): numeric, no gaps,
            finite.
        y
            Ignored; accepted for scikit-learn's pipelines.

        Returns
        -------
        NeedsSegmenter
            The fitted segmenter itself.

        Raises
        ------
        DataContractError
            If a parameter is out of range (``progress`` not ``True``,
            ``False`` or ``"auto"`` included) or a feature is missing, text,
            infinite or constant.
        MissingDependencyError
            If ``progress=True`` and tqdm is not installed.
        """
        del y
        method = require_one_of(self.method, _METHODS, name="method")
        require_number(self.n_init, name="n_init", low=1, integer=True)
        require_number(self.selection_sample, name="selection_sample", low=10, integer=True)
        progress = check_progress(self.progress)
        values = self._check_input(X, reset=True)
        if self.scale:
            self._scaler = StandardScaler().fit(values)
            scaled = self._scaler.transform(values)
        else:
            self._scaler = None
            scaled = values
        tried = self._tried_ks(len(values))
        with progress_bar(
            progress=progress,
            total=len(tried) + 1,
            desc="segments",
            expected_seconds=self._expected_seconds(len(values), n_tried=len(tried)),
        ) as bar:
            k = self._chosen_k(scaled, method, tried, bar.step)
            bar.step("final fit")  # a step is named as it starts, as RecordMatcher's are
            model = self._model(method, k).fit(scaled)
        raw = np.asarray(model.predict(scaled), dtype=np.intp)
        # Number segments by size, largest first (ties by the first customer).
        counts = np.bincount(raw, minlength=k)
        first = np.array([np.argmax(raw == s) if counts[s] else len(raw) for s in range(k)])
        order = np.lexsort((first, -counts))
        self._relabel = np.empty(k, dtype=np.intp)
        self._relabel[order] = np.arange(k)
        self._model_ = model
        self.n_segments_ = int((counts > 0).sum())
        self.labels_ = self._relabel[raw]
        self.profiles_ = self._profiles(values, self.labels_)
        self.cluster_centers_ = self.profiles_[self._feature_names()].to_numpy()
        return self

    def _check_input(self, X: Any, *, reset: bool) -> NDArray[np.float64]:
        if isinstance(X, pd.DataFrame):
            _refuse_bad_columns(X)
        values: NDArray[np.float64] = validate_data(
            self, X, reset=reset, dtype=np.float64, ensure_min_samples=2 if reset else 1
        )
        if reset:
            constant = np.ptp(values, axis=0) == 0
            if constant.any():
                column = self._feature_names()[int(np.argmax(constant))]
                msg = (
                    f"feature {column!r} has the same value ({values[0, constant][0]:g}) for "
                    "every customer, so it cannot tell segments apart; drop it (it is often "
                    "a join that matched nothing)."
                )
                raise DataContractError(msg, column=column, value=float(values[0, constant][0]))
        return values

    def _feature_names(self) -> list[str]:
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return [f"x{i}" for i in range(self.n_features_in_)]
        return [str(name) for name in names]

    def _model(self, method: Method, k: int) -> KMeans | GaussianMixture:
        if method == "kmeans":
            return KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state)
        return GaussianMixture(
            n_components=k, n_init=self.n_init, random_state=self.random_state, reg_covar=1e-4
        )

    def _tried_ks(self, n: int) -> range:
        """Numbers of segments ``"auto"`` tries for ``n`` customers (none when given)."""
        if self.n_segments != "auto":
            k = require_number(self.n_segments, name="n_segments", low=1, integer=True)
            if k > n:
                msg = f"n_segments={k} is more than the {n} customers."
                raise DataContractError(msg, value=k)
            return range(0)
        low, high = self.k_range
        require_number(low, name="k_range[0]", low=2, integer=True)
        require_number(high, name="k_range[1]", low=low, integer=True)
        return range(int(low), min(int(high), n - 1) + 1)

    def _expected_seconds(self, n: int, *, n_tried: int) -> float:
        """Estimate a fit's seconds: rows times a measured cost, plus the silhouette's pairs."""
        method = self.method if self.method in SECONDS_PER_ROW else "kmeans"
        per_fit = SECONDS_PER_ROW[method] * float(self.n_init) / 4
        sample = min(n, int(self.selection_sample))
        seconds = per_fit * (n + n_tried * sample)
        if method == "kmeans":
            scored = min(sample, max(2_000, int(self.selection_sample) // 4))
            seconds += n_tried * scored**2 * _SECONDS_PER_PAIR
        return seconds

    def _chosen_k(
        self,
        scaled: NDArray[np.float64],
        method: Method,
        tried: range,
        step: Callable[[str], None],
    ) -> int:
        n = len(scaled)
        if self.n_segments != "auto":
            self.selection_ = pd.DataFrame(columns=["k", "criterion"])
            return int(self.n_segments)
        if not tried:
            return 1
        rng = as_generator(self.random_state)
        sample = scaled
        if n > self.selection_sample:
            sample = scaled[rng.choice(n, self.selection_sample, replace=False)]
        rows = []
        for k in tried:
            step(f"k={k}")
            model = self._model(method, k).fit(sample)
            if method == "gmm":
                score = float(model.bic(sample))
            else:
                labels = model.predict(sample)
                if len(np.unique(labels)) < 2:  # noqa: PLR2004 (a silhouette needs two groups)
                    score = -1.0
                else:
                    size = min(len(sample), max(2_000, self.selection_sample // 4))
                    seed = int(rng.integers(2**31))
                    score = float(
                        silhouette_score(sample, labels, sample_size=size, random_state=seed)
                    )
            rows.append((k, score))
        self.selection_ = pd.DataFrame(rows, columns=["k", "criterion"])
        scores = self.selection_["criterion"].to_numpy()
        best = int(np.argmin(scores) if method == "gmm" else np.argmax(scores))
        return int(self.selection_["k"].iloc[best])

    def _profiles(self, values: NDArray[np.float64], labels: NDArray[np.intp]) -> pd.DataFrame:
        names = self._feature_names()
        frame = pd.DataFrame(values, columns=names)
        grouped = frame.groupby(labels)
        profiles = grouped.mean()
        profiles.insert(0, "share", grouped.size() / len(labels))
        profiles.insert(0, "customers", grouped.size())
        profiles.index.name = "segment"
        self._overall = (frame.mean(), frame.std(ddof=0).replace(0.0, 1.0))
        return profiles

    # ----------------------------------------------------------------- applying
    @overload
    def predict(self, X: SparkFrame) -> SparkFrame: ...
    @overload
    def predict(self, X: Any) -> NDArray[np.intp]: ...
    def predict(self, X: Any) -> NDArray[np.intp] | SparkFrame:
        """Assign customers (new or not) to the fitted segments.

        New customers get the segment of the needs they resemble, so a
        treatment planned per segment reaches them from their first visit.

        Parameters
        ----------
        X
            Customer features, array-like of shape (n_customers, n_features)
            or a DataFrame (its column names are kept): numeric, no gaps,
            finite, with the columns of ``fit``. A Spark DataFrame is scored
            on the executors (the fitted segmenter is shipped to them): fit
            on a pandas sample, score every customer.

        Returns
        -------
        numpy.ndarray of shape (n_customers,)
            Each customer's segment, 0 the largest in training. With a Spark
            DataFrame: a Spark DataFrame of its other columns (its keys, e.g.
            ``customer_id``) and ``segment`` (long), the same segments as
            pandas gives for the same rows; a segmenter fitted on an array
            without column names cannot score one (columns are matched by
            name).

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If a feature is missing, text or infinite, or the columns differ
            from those of ``fit``.
        """
        self._check_fitted()
        if is_spark_frame(X):
            from ._spark import score_frame  # noqa: PLC0415 - pyspark only here

            def segments(features: pd.DataFrame) -> dict[str, Any]:
                return {"segment": self.predict(features).astype(np.int64)}

            return score_frame(
                X,
                features=getattr(self, "feature_names_in_", None),
                model=type(self).__name__,
                outputs=[("segment", "long")],
                score=segments,
            )
        values = self._check_input(X, reset=False)
        scaled = self._scaler.transform(values) if self._scaler is not None else values
        return np.asarray(self._relabel[self._model_.predict(scaled)], dtype=np.intp)

    def fit_predict(self, X: Any, y: object = None, **kwargs: Any) -> NDArray[np.intp]:
        """Fit and return the training customers' segments.

        Parameters
        ----------
        X
            Customer features, array-like of shape (n_customers, n_features)
            or a DataFrame (its column names are kept): numeric, no gaps,
            finite.
        y
            Ignored; accepted for scikit-learn's pipelines.
        **kwargs
            Ignored; accepted for scikit-learn's ``fit_predict`` signature.

        Returns
        -------
        numpy.ndarray of shape (n_customers,)
            ``labels_``: each training customer's segment, 0 the largest.
        """
        del kwargs
        return np.asarray(self.fit(X, y).labels_, dtype=np.intp)

    @overload
    def predict_proba(self, X: SparkFrame) -> SparkFrame: ...
    @overload
    def predict_proba(self, X: Any) -> NDArray[np.float64]: ...
    @available_if(lambda self: self.method == "gmm")  # type: ignore[untyped-decorator]
    def predict_proba(self, X: Any) -> NDArray[np.float64] | SparkFrame:
        """Probability of each segment (``method="gmm"`` only; k-means segments are hard).

        A customer between two segments can be treated as both, or asked
        more before being treated as either.

        Parameters
        ----------
        X
            Customer features, array-like of shape (n_customers, n_features)
            or a DataFrame, with the columns of ``fit``. A Spark DataFrame is
            scored on the executors, as :meth:`predict` says.

        Returns
        -------
        numpy.ndarray of shape (n_customers, n_segments)
            Each row sums to 1; column ``j`` is segment ``j``.
        pyspark.sql.DataFrame
            For a Spark DataFrame: its other columns (its keys, e.g.
            ``customer_id``) and one double column per segment,
            ``proba_0``, ``proba_1``, ... (``proba_j`` is column ``j`` of
            the array pandas gives for the same rows).

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If a feature is missing, text or infinite; for a Spark
            DataFrame also if the segmenter was fitted without column names
            or ``X`` already has a ``proba_j`` column.
        """
        self._check_fitted()
        if is_spark_frame(X):
            from ._spark import score_frame  # noqa: PLC0415 - pyspark only here

            names = [f"proba_{j}" for j in range(len(self._relabel))]

            def probabilities(features: pd.DataFrame) -> dict[str, Any]:
                proba = self.predict_proba(features)
                return {name: proba[:, j] for j, name in enumerate(names)}

            return score_frame(
                X,
                features=getattr(self, "feature_names_in_", None),
                model=type(self).__name__,
                outputs=[(name, "double") for name in names],
                score=probabilities,
            )
        values = self._check_input(X, reset=False)
        scaled = self._scaler.transform(values) if self._scaler is not None else values
        proba = self._model_.predict_proba(scaled)
        out = np.empty_like(proba)
        out[:, self._relabel] = proba
        return np.asarray(out, dtype=np.float64)

    def describe(self, top: int = 3) -> pd.Series:
        """Say in words what sets each segment apart.

        Each feature's segment mean is compared with the overall mean in
        standard deviations; the ``top`` largest differences are named.

        Parameters
        ----------
        top
            How many features to name per segment (>= 1).

        Returns
        -------
        pandas.Series
            One sentence per segment, e.g. ``"Segment 1 (18% of customers):
            high email_opens (+1.9 sd), low store_visits (-1.2 sd)"``.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``top`` is not a whole number >= 1.
        """
        self._check_fitted()
        require_number(top, name="top", low=1, integer=True)
        mean, std = self._overall
        names = self._feature_names()
        distance = (self.profiles_[names] - mean) / std
        sentences = {}
        shares = self.profiles_["share"].to_dict()
        for segment, row in distance.iterrows():
            strongest = row.abs().sort_values(ascending=False, kind="stable").index[:top]
            parts = [
                f"{'high' if row[f] > 0 else 'low'} {f} ({row[f]:+.1f} sd)"
                for f in strongest
                if abs(row[f]) >= 0.05  # noqa: PLR2004 (below this a feature says nothing)
            ]
            share = shares[segment]
            detail = ", ".join(parts) if parts else "close to the average on every feature"
            sentences[segment] = f"Segment {segment} ({share:.0%} of customers): {detail}"
        return pd.Series(sentences, name="description").rename_axis("segment")

    def stability(
        self,
        X: Any,
        *,
        n_resamples: int = 20,
        random_state: int | None = 0,
    ) -> SegmentStability:
        """Refit on bootstrap resamples and compare each with the fitted segments (ARI).

        The number of segments is held at ``n_segments_``; each refit assigns
        every customer in ``X`` and is scored against this fit's assignment.
        Segments that do not come back on resamples are noise, not needs, and
        should not be planned for.

        Parameters
        ----------
        X
            Customer features, array-like of shape (n_customers, n_features)
            or a DataFrame (its column names are kept): numeric, no gaps,
            finite (usually the training data).
        n_resamples
            Number of bootstrap refits (>= 2).
        random_state
            Seed of the resamples and the refits.

        Returns
        -------
        SegmentStability
            The adjusted Rand index of each refit, their mean and 90% range.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If ``n_resamples`` is not a whole number >= 2, or a feature is
            missing, text or infinite.
        """
        self._check_fitted()
        require_number(n_resamples, name="n_resamples", low=2, integer=True)
        reference = self.predict(X)
        rng = as_generator(random_state)
        scores = []
        for _ in range(int(n_resamples)):
            rows = rng.integers(0, len(reference), len(reference))
            sample = X.iloc[rows] if isinstance(X, pd.DataFrame) else np.asarray(X)[rows]
            params = {
                "n_segments": self.n_segments_,
                "random_state": int(rng.integers(2**31)),
                "progress": False,  # many short refits: no bar each
            }
            labels = clone(self).set_params(**params).fit(sample).predict(X)
            scores.append(float(adjusted_rand_score(reference, labels)))
        array = np.array(scores)
        return SegmentStability(
            scores=tuple(scores),
            mean=float(array.mean()),
            low=float(np.quantile(array, 0.05)),
            high=float(np.quantile(array, 0.95)),
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            msg = f"This {type(self).__name__} is not fitted yet; call fit first."
            raise NotFittedError(msg)


def _refuse_bad_columns(frame: pd.DataFrame) -> None:
    """Name the column when a feature frame has gaps, text or infinities."""
    for column in frame.columns:
        values = frame[column]
        if values.isna().any():
            row = values.index[values.isna().to_numpy()][0]
            msg = f"feature {column!r} is missing for customer {row!r}; impute or drop it first."
            raise DataContractError(msg, column=str(column), row=row)
        if pd.api.types.is_bool_dtype(values):
            continue
        if not pd.api.types.is_numeric_dtype(values):
            msg = f"feature {column!r} is not numeric (dtype {values.dtype}); encode it first."
            raise DataContractError(msg, column=str(column), value=str(values.dtype))
        finite = np.isfinite(values.to_numpy(dtype=float))
        if not finite.all():
            row = values.index[~finite][0]
            value = values[row]
            msg = f"feature {column!r} is {value} for customer {row!r}; features must be finite."
            raise DataContractError(msg, column=str(column), value=float(value), row=row)
