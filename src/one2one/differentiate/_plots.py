"""Pictures a marketing team asks for: the value curve by tier, and a Qini curve."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._validation import optional_import, require_columns, require_frame
from ._tiers import TIERS, lorenz_curve
from ._uplift_curves import qini_curve

__all__ = ["plot_qini", "plot_value_curve"]

_COLOURS = {
    "most valuable": "#1b7837",
    "most growable": "#5aae61",
    "migrators": "#bdbdbd",
    "below zero": "#c51b7d",
}


def plot_value_curve(tiers: pd.DataFrame, ax: Any = None) -> Any:
    """Draw the Lorenz (Pareto) curve of net value, shaded by tier; return the axes.

    ``tiers`` is the output of :func:`value_tiers`. Customers are ordered by
    net value, most valuable first; the dashed line is equal value for all.
    Needs the ``plot`` extra.
    """
    plt = optional_import("matplotlib.pyplot", extra="plot", feature="Value curve plots")
    frame = require_frame(tiers, name="tiers")
    require_columns(frame, ["net_value", "tier"], name="tiers")
    positive = frame["net_value"].clip(lower=0.0)
    curve = lorenz_curve(positive)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    ordered = frame.sort_values("net_value", ascending=False, kind="stable")["tier"].astype(str)
    share = curve["customer_share"].to_numpy()
    value = curve["value_share"].to_numpy()
    for tier in TIERS:
        where = np.concatenate([[False], (ordered == tier).to_numpy()])
        where[:-1] |= where[1:]  # shade the segment ending at each customer of the tier
        if where.any():
            ax.fill_between(
                share, 0, value, where=where, color=_COLOURS[tier], alpha=0.6, label=tier
            )
    ax.plot(share, value, color="black", linewidth=1)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    ax.set_xlabel("share of customers (most valuable first)")
    ax.set_ylabel("share of positive net value")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right", frameon=False)
    return ax


def plot_qini(y: Any, treatment: Any, uplift: Any, ax: Any = None, label: str = "model") -> Any:
    """Draw the Qini curve of an uplift ranking against random targeting; return the axes.

    Call it again with the same ``ax`` to compare models. Needs the ``plot`` extra.
    """
    plt = optional_import("matplotlib.pyplot", extra="plot", feature="Qini plots")
    curve = qini_curve(y, treatment, uplift)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
        end = float(curve["gain"].iloc[-1])
        ax.plot([0, 1], [0, end], linestyle="--", color="grey", linewidth=1, label="random")
    ax.plot(curve["share"], curve["gain"], label=label)
    ax.set_xlabel("share of customers contacted (highest predicted uplift first)")
    ax.set_ylabel("incremental responses")
    ax.legend(frameon=False)
    return ax
