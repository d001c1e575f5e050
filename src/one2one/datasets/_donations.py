"""Donations: the reference data set for discrete-time (BG/BB) models."""

from __future__ import annotations

import pandas as pd

from ._files import open_data

__all__ = ["load_donations"]


def load_donations() -> pd.DataFrame:
    """Load the repeat donations of 11,104 supporters over six annual opportunities.

    The 1995 cohort of a US non-profit's donors, observed over the six annual
    opportunities 1996-2001, compressed to one row per distinct pattern: the
    likelihood of a discrete-time model depends only on (frequency, recency,
    n_periods), so a weight per row loses nothing.

    Returns
    -------
    pandas.DataFrame
        22 rows with int64 columns

        ================  ===========================================================
        ``frequency``     repeat donations (0..6)
        ``recency``       opportunity of the last repeat donation (0 if none)
        ``n_periods``     repeat opportunities observed (6 for every donor)
        ``weight``        number of donors with this pattern (sums to 11,104)
        ================  ===========================================================

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base
       analysis in a discrete-time noncontractual setting. Marketing Science
       29(6), 1086-1108.

    Examples
    --------
    >>> from one2one.datasets import load_donations
    >>> int(load_donations()["weight"].sum())
    11104
    """
    with open_data("donations.csv") as fh:
        raw = pd.read_csv(fh)
    return pd.DataFrame(
        {
            "frequency": raw["frequency"].astype("int64"),
            "recency": raw["recency"].astype("int64"),
            "n_periods": raw["periods"].astype("int64"),
            "weight": raw["weights"].astype("int64"),
        }
    )
