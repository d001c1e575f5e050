"""Share of customer: known totals used as they are, potentials from peers, shares in [0, 1]."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.differentiate import share_of_customer
from one2one.errors import DataContractError


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 500, allow_nan=False), st.one_of(st.none(), st.floats(0, 500))),
        min_size=1,
        max_size=40,
    )
)
def test_shares_lie_between_0_and_1_and_known_totals_are_kept(rows):
    spend = pd.DataFrame(
        [(s, None if t is None else s + t) for s, t in rows], columns=["spend", "category_spend"]
    )
    result = share_of_customer(spend)
    assert result["share"].between(0, 1).all()
    assert (result["potential"] >= result["spend"]).all()
    known = spend["category_spend"].notna()
    np.testing.assert_allclose(
        result.loc[known, "potential"], spend.loc[known, "category_spend"].astype(float)
    )
    assert (result["estimated"] == ~known).all()
    np.testing.assert_allclose(result["gap"], result["potential"] - result["spend"])


def test_potential_follows_comparable_customers():
    rng = np.random.default_rng(0)
    n = 4000
    income = rng.uniform(1, 10, n)  # richer customers could spend more in the category
    wallet = 100 * income
    spend = wallet * rng.beta(2, 3, n)  # each gives us some share of it
    frame = pd.DataFrame({"spend": spend})
    features = pd.DataFrame({"income": income})
    result = share_of_customer(frame, features, quantile=0.9)
    # the estimated potential tracks the true wallet, and shares are comparable across incomes
    assert np.corrcoef(result["potential"], wallet)[0, 1] > 0.95
    low, high = income < 3, income > 8
    assert result.loc[high, "potential"].mean() > 2.5 * result.loc[low, "potential"].mean()
    without = share_of_customer(frame)  # one potential for all: shares follow spend only
    assert np.corrcoef(without["share"], income)[0, 1] > np.corrcoef(result["share"], income)[0, 1]


def test_bad_input_is_refused():
    spend = pd.DataFrame({"spend": [10.0, 20.0], "category_spend": [50.0, 10.0]})
    with pytest.raises(DataContractError, match="below the spend"):
        share_of_customer(spend)
    with pytest.raises(DataContractError, match="missing required column"):
        share_of_customer(spend.drop(columns="spend"))
    with pytest.raises(DataContractError):
        share_of_customer(pd.DataFrame({"spend": [-1.0]}))
    with pytest.raises(DataContractError, match="empty"):
        share_of_customer(pd.DataFrame({"spend": []}))
    with pytest.raises(DataContractError, match="no row for customer"):
        share_of_customer(pd.DataFrame({"spend": [1.0, 2.0]}), pd.DataFrame({"x": [1.0]}))
    with pytest.raises(DataContractError, match="must hold numbers"):
        share_of_customer(pd.DataFrame({"spend": [1.0], "category_spend": ["lots"]}))
    with pytest.raises(DataContractError, match="quantile"):
        share_of_customer(pd.DataFrame({"spend": [1.0]}), quantile=0.0)
