"""CDNOW: the standard data set of the buy-till-you-die literature."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from .._validation import require_one_of
from ._files import open_data

__all__ = ["load_cdnow_summary", "load_cdnow_transactions"]


def load_cdnow_transactions(subset: Literal["master", "sample"] = "master") -> pd.DataFrame:
    """Load the CDNOW purchases of the customers acquired in the first quarter of 1997.

    The cohort of 23,570 customers who first bought at the CD retailer CDNOW
    between 1 January and 31 March 1997, with every purchase until 30 June 1998
    (78 weeks). The ``"sample"`` subset is the 1-in-10 sample of 2,357
    customers used in the papers; its ``customer_id`` is the sample's own id,
    the one used by :func:`load_cdnow_summary`.

    Parameters
    ----------
    subset
        ``"master"`` (69,659 transactions) or ``"sample"`` (6,919 transactions).

    Returns
    -------
    pandas.DataFrame
        One row per transaction, in customer then time order, with columns

        ========================  ======================  ============================
        ``customer_id``           int64                   customer
        ``occurred_at``           datetime64[ns, UTC]     purchase day (00:00 UTC; the
                                                          data has day resolution)
        ``quantity``              int64                   number of CDs bought
        ``value``                 float64                 amount spent, US dollars
        ``master_customer_id``    int64                   ``"sample"`` only: id in master
        ========================  ======================  ============================

        The columns follow one2one's transaction contract, so the frame goes
        straight into ``one2one.clv.rfm_summary``. 80 master transactions have
        a value of 0.00 (free items); they are kept as recorded.

    Raises
    ------
    DataContractError
        If ``subset`` is not one of the two names.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your
       customers" the easy way: an alternative to the Pareto/NBD model.
       Marketing Science 24(2), 275-284.

    Examples
    --------
    >>> from one2one.datasets import load_cdnow_transactions
    >>> tx = load_cdnow_transactions()
    >>> tx.shape, tx["customer_id"].nunique()
    ((69659, 4), 23570)
    """
    subset = require_one_of(subset, ("master", "sample"), name="subset")
    if subset == "master":
        names = ["customer_id", "date", "quantity", "value"]
        filename, skip = "cdnow_master.txt.gz", 1
    else:
        names = ["master_customer_id", "customer_id", "date", "quantity", "value"]
        filename, skip = "cdnow_sample.txt.gz", 0
    with open_data(filename) as fh:
        raw = pd.read_csv(
            fh,
            compression="gzip",
            sep=r"\s+",
            header=None,
            names=names,
            skiprows=skip,
            dtype={"customer_id": "int64", "master_customer_id": "int64", "date": "str"},
        )
    occurred_at = pd.to_datetime(raw["date"], format="%Y%m%d").dt.tz_localize("UTC")
    columns = {
        "customer_id": raw["customer_id"].astype("int64"),
        "occurred_at": occurred_at.astype("datetime64[ns, UTC]"),
        "quantity": raw["quantity"].astype("int64"),
        "value": raw["value"].astype("float64"),
    }
    if subset == "sample":
        columns["master_customer_id"] = raw["master_customer_id"].astype("int64")
    return pd.DataFrame(columns)


def load_cdnow_summary() -> pd.DataFrame:
    """Load the published RFM summary of the 2,357-customer CDNOW sample (weeks).

    Calibration period: each customer's first purchase until 30 September 1997
    (the first 39 weeks of the cohort). This is the exact table the BG/NBD,
    Pareto/NBD and Gamma-Gamma papers estimate on, so the published parameters
    can be reproduced from it.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (int64, the sample id), with columns

        ====================  =======  ==============================================
        ``frequency``         int64    repeat purchases in the calibration period
        ``recency``           float64  weeks from first to last purchase
        ``T``                 float64  weeks from first purchase to calibration end
        ``monetary_value``    float64  mean value of the repeat purchases, US
                                       dollars (0.0 for customers with none)
        ====================  =======  ==============================================

    Examples
    --------
    >>> from one2one.datasets import load_cdnow_summary
    >>> summary = load_cdnow_summary()
    >>> summary.shape
    (2357, 4)
    """
    with open_data("cdnow_customers_summary.csv.gz") as fh:
        rfm = pd.read_csv(fh, compression="gzip")
    with open_data("cdnow_customers_summary_with_transactions.csv.gz") as fh:
        spend = pd.read_csv(fh, compression="gzip")
    frame = pd.DataFrame(
        {
            "customer_id": rfm["ID"].astype("int64"),
            "frequency": rfm["frequency"].astype("int64"),
            "recency": rfm["recency"].astype("float64"),
            "T": rfm["T"].astype("float64"),
            "monetary_value": spend.set_index("ID")["zbar"].reindex(rfm["ID"]).to_numpy(),
        }
    )
    return frame.set_index("customer_id")
