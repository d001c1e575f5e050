"""Charts of a fitted matcher and of its customers, and the tables behind them.

Each chart has a ``*_table`` function that computes its numbers as a
DataFrame (for reports and tests) and a ``plot_*`` function that draws them,
the charts a splink user expects:

* :func:`plot_parameters`: ``m`` and ``u`` of every comparison level of
  every field (splink's "m u parameters chart");
* :func:`plot_match_weights`: the match weight ``log2(m / u)`` of every
  level, as horizontal bars (splink's "match weights chart");
* :func:`plot_cluster_sizes`: how many customers have 1, 2, 3, ... records,
  from the ``customer_id`` of :meth:`RecordMatcher.fit_predict` or
  :meth:`IdentityResolver.customers`;
* :func:`plot_threshold`: precision, recall and F1 of the scored pairs by
  match-probability threshold, measured against known links or estimated
  from the model's own probabilities (splink's threshold selection chart).

matplotlib is optional (``pip install 'one2one-marketing[plot]'``): it is imported by
the ``plot_*`` functions only, and the tables work without it. The plots draw
into ``ax`` when given (else into a new figure), return the Axes and never
call ``show``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from .._validation import (
    optional_import,
    require_columns,
    require_frame,
    require_no_missing,
    require_number,
    require_numeric,
)
from ..errors import DataContractError
from ._evaluate import threshold_curve
from ._fellegi_sunter import FellegiSunter
from ._matcher import RecordMatcher

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "cluster_sizes_table",
    "match_weights_table",
    "parameters_table",
    "plot_cluster_sizes",
    "plot_match_weights",
    "plot_parameters",
    "plot_threshold",
    "threshold_table",
]

# The same thresholds as threshold_curve's default, so the two agree row by row.
_THRESHOLDS = (*(round(0.05 * k, 2) for k in range(1, 20)), 0.99, 0.999)
_LOGIT_TICKS = (0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999)


def _weights(matcher: object) -> pd.DataFrame:
    """Return the fitted model's ``weights_table``, after checking what ``matcher`` is."""
    if not isinstance(matcher, RecordMatcher | FellegiSunter):
        msg = (
            "matcher must be a fitted RecordMatcher or FellegiSunter "
            f"(got a {type(matcher).__name__})."
        )
        raise DataContractError(msg, column="matcher", value=type(matcher).__name__)
    return matcher.weights_table()


def _pyplot(feature: str) -> ModuleType:
    return optional_import("matplotlib.pyplot", extra="plot", feature=feature)


def _target_axes(plt: ModuleType, ax: Axes | None, height: float) -> Axes:
    """Return ``ax``, or the Axes of a new figure ``height`` inches tall."""
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=(7.0, height))
    return cast("Axes", new)


def _level_labels(table: pd.DataFrame) -> list[str]:
    return [
        f"{field}: {level}" for field, level in zip(table["field"], table["level"], strict=True)
    ]


def parameters_table(matcher: RecordMatcher | FellegiSunter) -> pd.DataFrame:
    """Return ``m`` and ``u`` of every comparison level of every field.

    ``m`` is how often a true match reaches the level, ``u`` how often two
    different people do. Reading them tells whether the model learnt what a
    person would expect (matches mostly ``exact``, non-matches mostly
    ``different``) before trusting its links.

    Parameters
    ----------
    matcher
        A fitted :class:`RecordMatcher` (or its :class:`FellegiSunter` model).

    Returns
    -------
    pandas.DataFrame
        One row per field and level, best level first, with columns
        ``field``, ``level``, ``m`` and ``u``. Conditional fields show their
        marginals (see :meth:`FellegiSunter.conditional_table`).

    Raises
    ------
    NotFittedError
        If the matcher is not fitted.
    DataContractError
        If ``matcher`` is neither a RecordMatcher nor a FellegiSunter.
    """
    return _weights(matcher)[["field", "level", "m", "u"]].reset_index(drop=True)


def match_weights_table(matcher: RecordMatcher | FellegiSunter) -> pd.DataFrame:
    """Return the match weight ``log2(m / u)`` of every comparison level of every field.

    The weight is the evidence, in bits, that a level adds for (positive) or
    against (negative) two records being one customer: what the model adds
    up to score a pair. Like the model, a level never weighs more than a
    better level of the same field (EM can leave a rarely reached level with
    a higher ratio; closer agreement is never less evidence).

    Parameters
    ----------
    matcher
        A fitted :class:`RecordMatcher` (or its :class:`FellegiSunter` model).

    Returns
    -------
    pandas.DataFrame
        One row per field and level, best level first, with columns
        ``field``, ``level`` and ``match_weight`` (bits). Term-frequency
        adjustments of rare values come on top of these, pair by pair.

    Raises
    ------
    NotFittedError
        If the matcher is not fitted.
    DataContractError
        If ``matcher`` is neither a RecordMatcher nor a FellegiSunter.
    """
    return _weights(matcher)[["field", "level", "match_weight"]].reset_index(drop=True)


def cluster_sizes_table(customer_ids: object) -> pd.DataFrame:
    """Count customers by their number of records.

    A healthy deduplication has many small customers; a long tail of large
    ones often means over-merging (a shared e-mail, a household treated as
    one person), so this is the first check after a run.

    Parameters
    ----------
    customer_ids
        ``customer_id`` per record, as returned by
        :meth:`RecordMatcher.fit_predict` or :meth:`IdentityResolver.customers`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``size`` (records per customer, only sizes that occur,
        ascending), with columns ``n_customers`` and ``n_records``
        (``size * n_customers``).

    Raises
    ------
    DataContractError
        If ``customer_ids`` is not a Series, is empty or has missing ids.
    """
    if not isinstance(customer_ids, pd.Series):
        msg = f"customer_ids must be a pandas Series (got a {type(customer_ids).__name__})."
        raise DataContractError(msg, column="customer_ids", value=type(customer_ids).__name__)
    if customer_ids.empty:
        msg = "customer_ids is empty: there are no records to count."
        raise DataContractError(msg, column="customer_ids")
    missing = customer_ids.isna()
    if missing.any():
        msg = (
            f"customer_id has {int(missing.sum())} missing value(s) (first at record "
            f"{customer_ids.index[missing.to_numpy()][0]!r}); every record needs a customer."
        )
        raise DataContractError(
            msg, column="customer_id", value=None, row=customer_ids.index[missing.to_numpy()][0]
        )
    sizes = customer_ids.value_counts(sort=False).to_numpy(dtype=np.int64)
    counts = pd.Series(sizes).value_counts().sort_index()
    index = pd.Index(counts.index.to_numpy(dtype=np.int64), name="size")
    n_customers = counts.to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {"n_customers": n_customers, "n_records": index.to_numpy() * n_customers}, index=index
    )


def plot_parameters(matcher: RecordMatcher | FellegiSunter, ax: Axes | None = None) -> Axes:
    """Draw ``m`` and ``u`` of every level as paired horizontal bars (needs ``plot``).

    The numbers are :func:`parameters_table`: one ``m`` bar and one ``u`` bar
    per row, so the figure shows at a glance where a field tells matches
    from non-matches (m and u far apart) and where it does not.

    Parameters
    ----------
    matcher
        A fitted :class:`RecordMatcher` (or its :class:`FellegiSunter` model).
    ax
        The Axes to draw into; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed (the ``plot`` extra).
    NotFittedError
        If the matcher is not fitted.
    """
    table = parameters_table(matcher)
    plt = _pyplot("Matcher parameter plots")
    ax = _target_axes(plt, ax, 0.35 * len(table) + 1)
    positions = np.arange(len(table), dtype=float)
    height = 0.4
    ax.barh(positions - height / 2, table["m"], height=height, color="tab:green", label="m")
    ax.barh(positions + height / 2, table["u"], height=height, color="tab:grey", label="u")
    ax.set_yticks(positions, _level_labels(table))
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability of the level (m: matches, u: non-matches)")
    ax.legend(loc="lower right")
    return ax


def plot_match_weights(matcher: RecordMatcher | FellegiSunter, ax: Axes | None = None) -> Axes:
    """Draw the match weight of every level as horizontal bars (needs ``plot``).

    The numbers are :func:`match_weights_table`, one bar per row: green for
    evidence of a match, red for evidence against, as in splink's match
    weights chart.

    Parameters
    ----------
    matcher
        A fitted :class:`RecordMatcher` (or its :class:`FellegiSunter` model).
    ax
        The Axes to draw into; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed (the ``plot`` extra).
    NotFittedError
        If the matcher is not fitted.
    """
    table = match_weights_table(matcher)
    plt = _pyplot("Match weight plots")
    ax = _target_axes(plt, ax, 0.3 * len(table) + 1)
    weights = table["match_weight"].to_numpy(dtype=float)
    positions = np.arange(len(table))
    colours = np.where(weights >= 0, "tab:green", "tab:red")
    ax.barh(positions, weights, color=colours)
    ax.set_yticks(positions, _level_labels(table))
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("match weight log2(m / u) (bits)")
    return ax


def plot_cluster_sizes(customer_ids: object, ax: Axes | None = None) -> Axes:
    """Draw how many customers have each number of records (needs ``plot``).

    The numbers are :func:`cluster_sizes_table`, one bar per size that
    occurs; the count axis is logarithmic when counts span more than a
    hundredfold, so a few over-merged giants stay visible.

    Parameters
    ----------
    customer_ids
        ``customer_id`` per record (from :meth:`RecordMatcher.fit_predict`
        or :meth:`IdentityResolver.customers`).
    ax
        The Axes to draw into; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed (the ``plot`` extra).
    DataContractError
        If ``customer_ids`` is not a Series, is empty or has missing ids.
    """
    table = cluster_sizes_table(customer_ids)
    plt = _pyplot("Cluster size plots")
    ax = _target_axes(plt, ax, 4.0)
    counts = table["n_customers"].to_numpy()
    ax.bar(table.index.to_numpy(), counts, width=0.8, color="tab:blue")
    ax.set_xticks(table.index.to_numpy())
    if counts.max() > 100 * counts.min():
        ax.set_yscale("log")
    ax.set_xlabel("records per customer")
    ax.set_ylabel("customers")
    return ax


def _cuts(thresholds: Sequence[float] | None) -> list[float]:
    """Return the thresholds checked, ascending and each once."""
    if thresholds is None:
        return list(_THRESHOLDS)
    if isinstance(thresholds, str | bytes) or not isinstance(thresholds, Iterable):
        msg = (
            "'thresholds' must be a sequence of probabilities in [0, 1] "
            f"(got a {type(thresholds).__name__})."
        )
        raise DataContractError(msg, column="thresholds", value=thresholds)
    cuts = [require_number(t, name="thresholds", low=0.0, high=1.0) for t in thresholds]
    if not cuts:
        msg = "'thresholds' is empty: give at least one probability in [0, 1], or None."
        raise DataContractError(msg, column="thresholds", value=cuts)
    return sorted(set(cuts))


def _scored(scored_pairs: object) -> pd.DataFrame:
    """Return ``scored_pairs`` after checking its columns and probabilities."""
    frame = require_frame(scored_pairs, name="scored_pairs")
    require_columns(frame, ["left", "right", "match_probability"], name="scored_pairs")
    require_numeric(frame, "match_probability", name="scored_pairs")
    require_no_missing(frame, ["match_probability"], name="scored_pairs")
    probability = frame["match_probability"]
    bad = (probability < 0) | (probability > 1)
    if bad.any():
        row = probability.index[bad.to_numpy()][0]
        value = float(probability[row])
        msg = (
            f"scored_pairs column 'match_probability' must lie in [0, 1] (got {value!r} at "
            f"row {row!r}, {int(bad.sum())} value(s) outside in all); pass the pairs of "
            "RecordMatcher.predict_pairs."
        )
        raise DataContractError(msg, column="match_probability", value=value, row=row)
    return frame


def _f1(precision: pd.Series, recall: pd.Series) -> pd.Series:
    both = precision + recall
    return (2 * precision * recall / both.where(both > 0)).fillna(0.0)


def threshold_table(
    scored_pairs: pd.DataFrame,
    true_links: pd.DataFrame | None = None,
    *,
    thresholds: Sequence[float] | None = None,
    linking: bool = False,
) -> pd.DataFrame:
    """Return precision, recall and F1 of the scored pairs at each match-probability threshold.

    Choosing the threshold is trading wrong merges for missed ones, and this
    table (the data of :func:`plot_threshold`) shows the trade. With known
    links it measures it; without them it estimates it from the model's own
    probabilities: if they are calibrated, the pairs at or above a threshold
    hold ``sum(p)`` true matches, so the expected precision is the mean
    ``p`` above the threshold and the expected recall the share of all
    pairs' ``sum(p)`` found above it. The estimate is worth what the model's
    calibration is worth: compare it with the measured numbers on a labelled
    sample before trusting it on the rest.

    Pairs are counted as scored, before clustering (clustering adds the pairs
    implied by chains and, with ``group_link``, removes some), and a pair is
    kept when its probability is at least the threshold, as in the matcher.
    True links blocking never scored count against the measured recall; the
    estimated recall cannot see them (it is over the scored pairs only).

    Parameters
    ----------
    scored_pairs
        From :meth:`RecordMatcher.predict_pairs`: ``left``, ``right`` (record
        ids) and ``match_probability`` (other columns are ignored).
    true_links
        The true matching pairs (first two columns: record ids), as
        :func:`evaluate_links` takes them; ``None`` if not known.
    thresholds
        Probabilities in [0, 1] to evaluate (sorted, each once); by default
        those of :func:`threshold_curve`, 0.05 to 0.95 by 0.05, 0.99 and 0.999.
    linking
        Whether pairs are ``(left file, right file)``, so order matters.

    Returns
    -------
    pandas.DataFrame
        One row per threshold, ascending: ``threshold``, ``pairs`` (scored
        at or above it), ``expected_matches`` (``sum(p)`` of those pairs),
        ``expected_non_matches`` (``pairs - expected_matches``),
        ``expected_precision``, ``expected_recall``, ``expected_f1``; and,
        with ``true_links``, ``precision``, ``recall`` and ``f1`` as
        :func:`threshold_curve` measures them. Where no pair is at or above
        a threshold, its precisions are 1 (nothing wrong was linked).

    Raises
    ------
    DataContractError
        If ``scored_pairs`` is not a DataFrame, lacks a column, or has a
        ``match_probability`` that is missing or outside [0, 1] (naming the
        column, the value and the row); if a threshold is not a number in
        [0, 1] (``column="thresholds"``); if ``true_links`` has fewer than
        two columns.

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = pd.DataFrame({"left": ["a", "a", "b"], "right": ["b", "c", "c"],
    ...                       "match_probability": [0.99, 0.6, 0.01]})
    >>> table = threshold_table(pairs, pd.DataFrame([["a", "b"]]), thresholds=[0.5, 0.9])
    >>> table[["threshold", "pairs", "expected_matches", "precision", "recall"]]
       threshold  pairs  expected_matches  precision  recall
    0        0.5      2              1.59        0.5     1.0
    1        0.9      1              0.99        1.0     1.0
    """
    frame = _scored(scored_pairs)
    cuts = _cuts(thresholds)
    probability = np.sort(frame["match_probability"].to_numpy(dtype=float))
    # sum of p from each position to the end: monotone by construction
    tail = np.concatenate([np.cumsum(probability[::-1])[::-1], [0.0]])
    start = np.searchsorted(probability, cuts, side="left")
    pairs = len(probability) - start
    expected = tail[start]
    total = tail[0]
    table = pd.DataFrame(
        {
            "threshold": np.asarray(cuts, dtype=float),
            "pairs": pairs.astype(np.int64),
            "expected_matches": expected,
            "expected_non_matches": np.maximum(pairs - expected, 0.0),
            "expected_precision": np.divide(
                expected, pairs, out=np.ones(len(cuts)), where=pairs > 0
            ),
            "expected_recall": expected / total if total > 0 else np.ones(len(cuts)),
        }
    )
    table["expected_f1"] = _f1(table["expected_precision"], table["expected_recall"])
    if true_links is None:
        return table
    truth = require_frame(true_links, name="true_links")
    if truth.shape[1] < 2:  # noqa: PLR2004 - two record ids per pair
        msg = f"true_links must have two columns of record ids (got {truth.shape[1]})."
        raise DataContractError(msg, column="true_links", value=list(truth.columns))
    measured = threshold_curve(frame, truth, thresholds=cuts, linking=linking)
    return pd.concat([table, measured[["precision", "recall", "f1"]]], axis=1)


def plot_threshold(
    scored_pairs: pd.DataFrame,
    true_links: pd.DataFrame | None = None,
    *,
    thresholds: Sequence[float] | None = None,
    linking: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Draw precision, recall and F1 of the scored pairs by threshold (needs ``plot``).

    The numbers are :func:`threshold_table`: measured precision, recall and
    F1 as solid lines when ``true_links`` are given, and always the model's
    own estimates as dashed lines, so the two can be compared where labels
    exist and the estimates read where they do not. A wide flat stretch
    means the choice of threshold matters little. Pairwise, before
    clustering. The threshold axis is a logit scale when no threshold is 0
    or 1 (the default), because the choices that matter lie near 1: 0.9,
    0.99 and 0.999 are about as far apart as 0.1, 0.5 and 0.9. The share axis is
    zoomed to the lines, not fixed at 0 to 1.

    Parameters
    ----------
    scored_pairs
        From :meth:`RecordMatcher.predict_pairs`.
    true_links
        The true matching pairs, if known.
    thresholds, linking
        See :func:`threshold_table`.
    ax
        The Axes to draw into; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into: lines labelled ``precision``, ``recall``,
        ``f1`` (with labels) and ``expected precision``, ``expected
        recall``, ``expected f1``.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed (the ``plot`` extra).
    DataContractError
        As :func:`threshold_table`.
    """
    table = threshold_table(scored_pairs, true_links, thresholds=thresholds, linking=linking)
    plt = _pyplot("Threshold plots")
    ax = _target_axes(plt, ax, 4.0)
    x = table["threshold"].to_numpy()
    colours = {"precision": "tab:blue", "recall": "tab:orange", "f1": "tab:green"}
    for name, colour in colours.items():
        if name in table.columns:
            ax.plot(x, table[name].to_numpy(), color=colour, marker="o", label=name)
        ax.plot(
            x,
            table[f"expected_{name}"].to_numpy(),
            color=colour,
            linestyle="--",
            label=f"expected {name}",
        )
    if x[0] > 0 and x[-1] < 1:
        ax.set_xscale("logit")  # 0.9, 0.99, 0.999 spaced about as 0.1, 0.5, 0.9
        ticks = [t for t in _LOGIT_TICKS if x[0] <= t <= x[-1]]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])  # plain numbers, not 1 - 10^-k
        ax.set_xticks([], minor=True)
    else:
        ax.set_xlim(0, 1)
    ax.set_xlabel("match probability threshold (pairs at or above it are linked)")
    ax.set_ylabel("precision, recall, F1")
    ax.legend(loc="best")
    return ax
