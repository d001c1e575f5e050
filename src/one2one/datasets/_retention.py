"""Retention cohorts: the reference survivor table for contractual (sBG) models."""

from __future__ import annotations

import pandas as pd

from ._files import open_data

__all__ = ["load_retention_cohorts"]


def load_retention_cohorts() -> pd.DataFrame:
    """Load the survivor counts of two cohorts of 1,000 subscribers over 12 annual renewals.

    The worked example of Fader & Hardie (2007): two customer segments,
    "Regular" and "High End", each 1,000 customers acquired in year 0, with
    the number still active at the start of each year 0-12, copied from the
    paper's data. The paper fits the shifted-beta-geometric model on years 0-7
    and holds out years 8-12 to show how well it projects retention, which is
    why the table goes beyond the calibration period.

    Returns
    -------
    pandas.DataFrame
        26 rows, long format (the survivor-table contract of
        :class:`~one2one.clv.ShiftedBetaGeometricModel`)

        ==============  =============================================================
        ``cohort``      ``"Regular"`` or ``"High End"`` (str)
        ``period``      year, 0-12 (int64)
        ``n_alive``     customers still active at the start of the year (int64)
        ==============  =============================================================

    References
    ----------
    .. [1] Fader, P. S. & Hardie, B. G. S. (2007). How to project customer
       retention. Journal of Interactive Marketing 21(1), 76-90.

    Examples
    --------
    >>> from one2one.datasets import load_retention_cohorts
    >>> table = load_retention_cohorts()
    >>> table.groupby("cohort")["n_alive"].last().to_dict()
    {'High End': 394, 'Regular': 173}
    """
    with open_data("retention_cohorts.csv") as fh:
        raw = pd.read_csv(fh, dtype={"cohort": str})
    return pd.DataFrame(
        {
            "cohort": raw["cohort"].astype(str),
            "period": raw["period"].astype("int64"),
            "n_alive": raw["n_alive"].astype("int64"),
        }
    )
