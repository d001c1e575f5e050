"""Why two records match: each field's share of the match weight, as a table or a waterfall."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd

from .._validation import optional_import

__all__ = ["FieldEvidence", "MatchExplanation"]


@attrs.frozen
class FieldEvidence:
    """One field's comparison and what it adds to the match weight (in bits).

    Attributes
    ----------
    field
        The standardised field.
    left, right
        The two standardised values (``None`` if missing).
    level
        The comparison level reached (``"missing"`` if either side is missing).
    match_weight
        ``log2(m / u)`` of that level, plus the term-frequency adjustment.
    term_frequency
        The part of ``match_weight`` due to how rare the shared value is.
    """

    field: str
    left: str | None
    right: str | None
    level: str
    match_weight: float
    term_frequency: float = 0.0


@attrs.frozen
class MatchExplanation:
    """The evidence for and against two records being one customer.

    The total weight is the prior's log-odds, plus every field's weight, plus
    the correction for related people (a household member agrees on the
    address without being the same person); the probability follows from it.

    Attributes
    ----------
    fields
        One :class:`FieldEvidence` per compared field.
    prior_weight
        ``log2`` of the prior odds that a candidate pair is a match.
    related_weight
        The correction for related people (0 or negative), in bits.
    match_weight
        The evidence of the two records (fields plus correction), without the
        prior: the Bayes factor in bits. The ``total`` row of :meth:`to_frame`
        adds the prior.
    probability
        The match probability.
    matched_by
        ``"rule"`` if a deterministic rule decided, else ``"model"``.
    """

    fields: tuple[FieldEvidence, ...]
    prior_weight: float
    related_weight: float
    match_weight: float
    probability: float
    matched_by: str = "model"

    def to_frame(self) -> pd.DataFrame:
        """Return one row per step: the prior, each field, the related correction, the total.

        Returns
        -------
        pandas.DataFrame
            ``step``, ``left``, ``right``, ``level`` and ``match_weight``
            (bits); the weights of all rows but ``total`` add up to it, and
            the ``total`` row's ``level`` says whether a rule or the model
            decided.
        """
        rows: list[dict[str, Any]] = [
            {
                "step": "prior",
                "left": None,
                "right": None,
                "level": None,
                "match_weight": self.prior_weight,
            }
        ]
        rows += [
            {
                "step": f.field,
                "left": f.left,
                "right": f.right,
                "level": f.level,
                "match_weight": f.match_weight,
            }
            for f in self.fields
        ]
        rows.append(
            {
                "step": "related people",
                "left": None,
                "right": None,
                "level": None,
                "match_weight": self.related_weight,
            }
        )
        rows.append(
            {
                "step": "total",
                "left": None,
                "right": None,
                "level": self.matched_by,
                "match_weight": self.prior_weight + self.match_weight,
            }
        )
        return pd.DataFrame(rows)

    def plot(self, ax: Any = None) -> Any:
        """Draw a waterfall of the weights (needs the ``plot`` extra); return the axes.

        Each bar is labelled with its weight in bits, so the chart can be read
        without the table.

        Parameters
        ----------
        ax
            A matplotlib Axes to draw into; a new figure by default.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn into: one bar per step, then the total.

        Raises
        ------
        MissingDependencyError
            If matplotlib (the ``plot`` extra) is not installed.
        """
        plt = optional_import("matplotlib.pyplot", extra="plot", feature="Match weight plots")
        table = self.to_frame()
        steps = table.iloc[:-1]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.45 * len(table) + 1))
        start = np.concatenate([[0.0], np.cumsum(steps["match_weight"].to_numpy())[:-1]])
        weights = steps["match_weight"].to_numpy()
        colours = np.where(weights >= 0, "tab:green", "tab:red")
        positions = np.arange(len(steps))
        drawn = ax.barh(positions, weights, left=start, color=colours)
        ax.bar_label(drawn, labels=[f"{w:+.1f}" for w in weights], padding=3, fontsize=8)
        total = self.prior_weight + self.match_weight
        drawn = ax.barh([len(steps)], [total], color="tab:blue")
        ax.bar_label(drawn, labels=[f"{total:+.1f}"], padding=3, fontsize=8)
        ax.set_yticks([*positions, len(steps)], [*steps["step"], "total"])
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel("match weight (bits)")
        ax.set_title(f"match probability {self.probability:.3f}")
        return ax
