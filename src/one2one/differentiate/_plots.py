"""Pictures a marketing team asks for: the value curve by tier, and a Qini curve.

The numbers behind each are public tables: :func:`lorenz_curve` for the value
curve and :func:`qini_curve` for the Qini curve. matplotlib is optional
(``pip install 'one2one-marketing[plot]'``): the plots draw into ``ax`` when
given (else into a new figure), return the Axes and never call ``show``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._charts import GREY, PALETTE, axes_for
from .._validation import require_columns, require_frame
from ._tiers import TIERS, lorenz_curve
from ._uplift_curves import qini_curve

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_qini", "plot_value_curve"]

_TIER_COLOURS = {
    "most valuable": PALETTE[0],  # blue
    "most growable": PALETTE[1],  # orange
    "migrators": "#DDDDDD",  # light grey: the many in between
    "below zero": PALETTE[3],  # reddish purple
}
"""One colour per tier, from Okabe & Ito's palette: apart also for colour-blind readers."""


def plot_value_curve(tiers: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Draw the Lorenz (Pareto) curve of net value, shaded by tier; return the axes.

    Customers are ordered by net value, most valuable first; the area under
    the curve is coloured by each customer's tier, and the dashed line is
    equal value for all. A steep start means a few customers hold most of
    the value (the most valuable tier); the most growable customers show
    where they sit among the rest. The curve is :func:`lorenz_curve` of the
    positive net values.

    Parameters
    ----------
    tiers
        The output of :func:`value_tiers`: ``net_value`` and ``tier`` per customer.
    ax
        The Axes to draw into; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into: one shaded area per tier present, the curve and
        the equality line.

    Raises
    ------
    DataContractError
        If ``tiers`` is not a DataFrame with ``net_value`` and ``tier``, or
        no customer has a positive net value.
    MissingDependencyError
        If matplotlib is not installed (the ``plot`` extra).
    """
    frame = require_frame(tiers, name="tiers")
    require_columns(frame, ["net_value", "tier"], name="tiers")
    curve = lorenz_curve(frame["net_value"].clip(lower=0.0))
    axes = axes_for(ax, feature="Value curve plots", size=(6.0, 4.0))
    ordered = frame.sort_values("net_value", ascending=False, kind="stable")["tier"].astype(str)
    share = curve["customer_share"].to_numpy()
    value = curve["value_share"].to_numpy()
    for tier in TIERS:
        where = np.concatenate([[False], (ordered == tier).to_numpy()])
        where[:-1] |= where[1:]  # shade the segment ending at each customer of the tier
        if where.any():
            axes.fill_between(
                share, 0, value, where=where, color=_TIER_COLOURS[tier], linewidth=0, label=tier
            )
    axes.plot(share, value, color="black", linewidth=1)
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    axes.set_xlabel("share of customers (most valuable first)")
    axes.set_ylabel("share of positive net value")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.legend(loc="lower right", frameon=False)
    return axes


def plot_qini(
    y: Any, treatment: Any, uplift: Any, ax: Axes | None = None, label: str = "model"
) -> Axes:
    """Draw the Qini curve of an uplift ranking against random targeting; return the axes.

    Call it again with the same ``ax`` to compare models: the random line is
    drawn only on a new figure. The curve is :func:`qini_curve`.

    Parameters
    ----------
    y, treatment, uplift
        Outcomes, treatment flags and predicted uplift per customer, as for
        :func:`qini_curve`.
    ax
        The Axes to draw into; a new figure (with the random line) if None.
    label
        The curve's name in the legend.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into.

    Raises
    ------
    DataContractError
        As :func:`qini_curve`.
    MissingDependencyError
        If matplotlib is not installed (the ``plot`` extra).
    """
    curve = qini_curve(y, treatment, uplift)
    new = ax is None
    axes = axes_for(ax, feature="Qini plots", size=(6.0, 4.0))
    if new:
        end = float(curve["gain"].iloc[-1])
        axes.plot([0, 1], [0, end], linestyle="--", color=GREY, linewidth=1, label="random")
    axes.plot(curve["share"], curve["gain"], label=label)
    axes.set_xlabel("share of customers contacted (highest predicted uplift first)")
    axes.set_ylabel("incremental responses")
    axes.legend(frameon=False)
    return axes
