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
from numpy.typing import NDArray

from .._charts import GREY, PALETTE, axes_for
from .._validation import optional_import, require_columns, require_frame
from ..errors import DataContractError
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
_BINS = 100  # the tiers' shares are drawn per 1% of customers


def plot_value_curve(tiers: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Draw the Lorenz (Pareto) curve of net value, shaded by tier; return the axes.

    Customers are ordered by net value, most valuable first; the dashed line
    is equal value for all. A steep start means a few customers hold most
    of the value (the most valuable tier). The area under the curve is
    split among the tiers: at each rank, in bins of 1% of the customers, in
    proportion to the tiers' customers there, stacked in the order of
    :data:`TIERS`. So the most growable customers, who mingle with the
    migrators one by one, show as a band as thick as their share rather
    than as slivers thinner than a pixel. The curve is :func:`lorenz_curve`
    of the positive net values.

    Parameters
    ----------
    tiers
        The output of :func:`value_tiers`: ``net_value`` and ``tier`` per customer.
    ax
        The Axes to draw into; a new figure if None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into: one band per tier present (labelled with the
        tier), the curve and the equality line.

    Raises
    ------
    DataContractError
        If ``tiers`` is not a DataFrame with ``net_value`` and ``tier``, a
        tier is not one of :data:`TIERS`, or no customer has a positive net value.
    MissingDependencyError
        If matplotlib is not installed (the ``plot`` extra).
    """
    frame = require_frame(tiers, name="tiers")
    require_columns(frame, ["net_value", "tier"], name="tiers")
    curve = lorenz_curve(frame["net_value"].clip(lower=0.0))
    ordered = frame.sort_values("net_value", ascending=False, kind="stable")["tier"].astype(str)
    unknown = sorted(set(ordered) - set(TIERS))
    if unknown:
        msg = f"tiers column 'tier' holds {unknown[0]!r}; a tier is one of {list(TIERS)}."
        raise DataContractError(msg, column="tier", value=unknown[0])
    axes = axes_for(ax, feature="Value curve plots", size=(6.0, 4.0))
    patches = optional_import("matplotlib.patches", extra="plot", feature="Value curve plots")
    share = curve["customer_share"].to_numpy()
    value = curve["value_share"].to_numpy()
    x, lower, upper = _tier_bands(ordered.map(TIERS.index).to_numpy(dtype=np.int64), share, value)
    handles = []
    for k, tier in enumerate(TIERS):
        if (ordered == tier).any():
            axes.fill_between(
                x, lower[:, k], upper[:, k], color=_TIER_COLOURS[tier], linewidth=0, label=tier
            )
            handles.append(
                patches.Patch(
                    facecolor=_TIER_COLOURS[tier], edgecolor="#666666", linewidth=0.5, label=tier
                )
            )
    axes.plot(share, value, color="black", linewidth=1)
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    axes.set_xlabel("share of customers (most valuable first)")
    axes.set_ylabel("share of positive net value")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.legend(handles=handles, loc="lower right", framealpha=0.9)
    return axes


def _tier_bands(
    codes: NDArray[np.int64], share: NDArray[np.float64], value: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Split the area under the curve among the tiers, bin by bin of customers.

    ``codes`` holds each customer's tier (an index into TIERS) in rank order.
    Returns the x of the band edges and, per tier (columns), the lower and
    upper edge: within a bin, each tier's band is the curve times the tier's
    share of the bin's customers. A bin boundary appears twice, so the
    shares change exactly there.
    """
    n = len(codes)
    bins = min(n, _BINS)
    bin_of = (np.arange(n) * bins) // n
    counts = np.zeros((bins, len(TIERS)))
    np.add.at(counts, (bin_of, codes), 1.0)
    fractions = counts / counts.sum(axis=1, keepdims=True)
    first = np.searchsorted(bin_of, np.arange(bins))  # the bin's first customer
    last = np.append(first[1:], n)  # one past its last: the bin spans points first..last
    points = np.concatenate([np.arange(a, b + 1) for a, b in zip(first, last, strict=True)])
    shares = np.repeat(fractions, last - first + 1, axis=0)
    top = np.cumsum(shares, axis=1)
    height = value[points][:, None]
    return share[points], height * (top - shares), height * top


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
