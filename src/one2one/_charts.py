"""Drawing conventions shared by every room's charts, so they read the same everywhere.

Rooms never import each other, so what two rooms' charts need lives here:

* :func:`pyplot` imports matplotlib (the optional ``plot`` extra) or raises
  :class:`~one2one.errors.MissingDependencyError` naming the extra;
* :func:`axes_for` returns the Axes to draw into (the caller's, or a new figure's);
* :func:`count_ticks` puts whole-number ticks on an axis that counts things
  (no "2.5 customers");
* :func:`date_ticks` gives a time axis concise, non-overlapping date labels;
* :func:`number_label` and :func:`money_label` write numbers in labels the way
  a person would ("25.9 weeks", not "25.8571 weeks");
* :data:`PALETTE`: the Okabe-Ito colours, distinct also for colour-blind readers.

Nothing here imports matplotlib at import time: the tables behind every chart
work without it.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import TYPE_CHECKING, cast

from ._validation import optional_import

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis

__all__ = [
    "GREY",
    "PALETTE",
    "axes_for",
    "count_ticks",
    "date_ticks",
    "money_label",
    "number_label",
    "pyplot",
]

PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
"""Okabe & Ito's colours (Color Universal Design, 2008): told apart with any colour vision."""

GREY = "#BBBBBB"
"""The colour of "the rest": reference lines and uninteresting groups."""


def pyplot(feature: str) -> ModuleType:
    """Import ``matplotlib.pyplot``, or raise naming the ``plot`` extra and ``feature``."""
    return optional_import("matplotlib.pyplot", extra="plot", feature=feature)


def axes_for(ax: Axes | None, *, feature: str, size: tuple[float, float] = (7.0, 4.0)) -> Axes:
    """Return ``ax``, or the Axes of a new figure of ``size`` inches (importing matplotlib)."""
    plt = pyplot(feature)
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size)
    return cast("Axes", new)


def count_ticks(axis: Axis) -> None:
    """Put only whole-number ticks on ``axis`` (an axis that counts customers, contacts, ...)."""
    ticker = optional_import("matplotlib.ticker", extra="plot", feature="Count axes")
    axis.set_major_locator(ticker.MaxNLocator(integer=True))


def date_ticks(axes: Axes) -> None:
    """Label the time (x) axis with concise dates that do not overlap.

    matplotlib's concise formatter writes the year or month once where it
    changes instead of a full date under every tick.
    """
    dates = optional_import("matplotlib.dates", extra="plot", feature="Date axes")
    locator = dates.AutoDateLocator(maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))


def number_label(value: float) -> str:
    """Write a number for a label: whole numbers whole, others to one decimal.

    Small numbers keep two significant digits, so a share of 0.034 is not
    written as 0.0.

    Examples
    --------
    >>> [number_label(v) for v in (39.0, 25.857142, 1234.5, 0.0341, 1e-9)]
    ['39', '25.9', '1,234.5', '0.034', '1e-09']
    """
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value != 0 and abs(value) < 1:
        return f"{value:.2g}"
    rounded = round(value, 1)
    if rounded.is_integer():
        return f"{int(rounded):,}"
    return f"{rounded:,.1f}"


def money_label(value: float, *, sign: bool = False) -> str:
    """Write an amount of money: no cents when whole, else two decimals; ``sign`` adds ``+``.

    Examples
    --------
    >>> money_label(1234.0), money_label(45.5), money_label(-30.0, sign=True)
    ('1,234', '45.50', '-30')
    """
    plus = "+" if sign else ""
    value = float(value)
    if math.isfinite(value) and round(value, 2).is_integer():
        return f"{round(value):{plus},}"
    return f"{value:{plus},.2f}"
