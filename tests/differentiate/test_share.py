"""Share of customer: known totals used as they are, potentials from peers, shares in [0, 1]."""

import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.differentiate import share_of_customer
from one2one.errors import DataContractError, DataWarning, MissingDependencyError
from tests.progress_fakes import record_bars


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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # no spend and no potential: no share
        result = share_of_customer(spend)
    undefined = result["potential"] == 0
    assert result.loc[~undefined, "share"].between(0, 1).all()
    assert result.loc[undefined, "share"].isna().all()
    assert (result["potential"] >= result["spend"]).all()
    known = spend["category_spend"].notna()
    np.testing.assert_allclose(
        result.loc[known, "potential"],
        spend.loc[known, "category_spend"].astype(float),
        atol=0.005,  # rounded to the cent
    )
    assert (result["estimated"] == ~known).all()
    np.testing.assert_allclose(result["gap"], result["potential"] - result["spend"], atol=1e-9)
    for column in ("spend", "potential", "gap"):  # money is whole cents
        cents = result[column] * 100
        np.testing.assert_allclose(cents, cents.round(), atol=1e-6)


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


def test_float_residue_is_no_spend_and_makes_no_giant_gap():
    # Issue #15: rfm_table's -1.4e-14 was refused, and after clipping a 7e-15 share made
    # a growth gap of 4.6e16 (potential value = CLV / share).
    spend = pd.DataFrame(
        {"spend": [7e-15, -1.4e-14, 10.0], "category_spend": [100.0, 50.0, 10.1]},
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )
    result = share_of_customer(spend)
    assert result["spend"].tolist() == [0.0, 0.0, 10.0]
    assert result["share"].tolist()[:2] == [0.0, 0.0]  # no share, not 7e-15
    assert result.loc["c", "gap"] == 0.1  # not 0.09999999999999964
    with pytest.raises(DataContractError, match="spend") as info:
        share_of_customer(pd.DataFrame({"spend": [-0.01]}))
    assert info.value.column == "spend"


def test_a_share_of_nothing_is_undefined_and_said_so():
    spend = pd.DataFrame({"spend": [0.0, 10.0], "category_spend": [0.0, 20.0]})
    with pytest.warns(DataWarning, match="1 customer.*undefined"):
        result = share_of_customer(spend)
    assert np.isnan(result.loc[0, "share"])
    assert result.loc[1, "share"] == 0.5


def test_money_is_rounded_to_the_given_minor_unit():
    spend = pd.DataFrame({"spend": [1234.4], "category_spend": [2000.6]})
    yen = share_of_customer(spend, decimals=0)
    assert yen.loc[0, ["spend", "potential", "gap"]].tolist() == [1234.0, 2001.0, 767.0]
    with pytest.raises(DataContractError, match="decimals"):
        share_of_customer(spend, decimals=-1)


def test_share_of_customer_shows_the_peers_model_when_asked(monkeypatch):
    bars = record_bars(monkeypatch)
    spend = pd.DataFrame({"spend": [10.0, 50.0, 100.0, 0.0]}, index=list("abcd"))
    features = pd.DataFrame({"visits": [1.0, 3.0, 5.0, 2.0]}, index=list("abcd"))
    share_of_customer(spend, features, progress=True)
    assert [(b.desc, b.steps, b.closed) for b in bars] == [
        ("share of customer", ["peers' spend"], True)
    ]
    share_of_customer(spend, features, progress=False)
    share_of_customer(spend, features)  # "auto": a few customers are not worth a bar
    assert len(bars) == 1
    with pytest.raises(DataContractError) as error:
        share_of_customer(spend, features, progress="yes")
    assert error.value.column == "progress"


def test_share_of_customer_with_progress_and_no_tqdm_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    spend = pd.DataFrame({"spend": [10.0, 50.0, 100.0]}, index=list("abc"))
    with pytest.raises(MissingDependencyError, match="progress"):
        share_of_customer(spend, progress=True)
