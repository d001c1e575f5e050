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
  :meth:`IdentityResolver.customers`.

matplotlib is optional (``pip install 'one2one[plot]'``): it is imported by
the ``plot_*`` functions only, and the tables work without it. The plots draw
into ``ax`` when given (else into a new figure), return the Axes and never
call ``show``.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from .._validation import optional_import
from ..errors import DataContractError
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
]


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
