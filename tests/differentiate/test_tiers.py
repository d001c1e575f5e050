"""Value tiers: a partition, order-free, shares that add up, more value never hurts an MVC."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from one2one.clv import BetaGeoModel, GammaGammaModel, customer_lifetime_value
from one2one.contracts import VALUE_TIERS
from one2one.datasets import load_cdnow_summary
from one2one.differentiate import TIERS, lorenz_curve, tier_report, value_tiers
from one2one.errors import DataContractError

customers = st.lists(
    st.tuples(
        st.floats(0, 1000, allow_nan=False),
        st.floats(0, 2000, allow_nan=False),
        st.floats(0, 100, allow_nan=False),
    ),
    min_size=1,
    max_size=50,
)


def _values(data):
    frame = pd.DataFrame(data, columns=["actual_value", "potential_value", "cost_to_serve"])
    frame.index = pd.Index([f"c{i}" for i in range(len(frame))], name="customer_id")
    return frame


@settings(max_examples=80)
@given(customers, st.floats(0, 1), st.floats(0, 1), st.randoms(use_true_random=False))
def test_tiers_partition_the_customers_whatever_the_order(data, mvc, mgc, random):
    values = _values(data)
    tiers = value_tiers(values, most_valuable_share=mvc, most_growable_share=mgc)
    VALUE_TIERS.validate(tiers)
    assert tiers.index.equals(values.index)
    assert set(tiers["tier"]) <= set(TIERS)
    assert ((tiers["tier"] == "below zero") == (tiers["net_value"] < 0)).all()
    order = list(values.index)
    random.shuffle(order)
    again = value_tiers(values.loc[order], most_valuable_share=mvc, most_growable_share=mgc)
    pd.testing.assert_frame_equal(again.loc[values.index], tiers)
    report = tier_report(tiers)
    assert report["customers"].sum() == len(values)
    assert report["customer_share"].sum() == pytest.approx(1.0)
    if tiers["net_value"].sum() != 0:
        assert report["value_share"].sum() == pytest.approx(1.0)
    # every MVC is worth at least as much as every positive-value customer outside it
    mvc_values = tiers.loc[tiers["tier"] == "most valuable", "net_value"]
    others = tiers.loc[(tiers["tier"] != "most valuable") & (tiers["net_value"] >= 0), "net_value"]
    if len(mvc_values) and len(others):
        assert mvc_values.min() >= others.max()


@settings(max_examples=60)
@given(customers, st.floats(0, 1000, allow_nan=False))
def test_raising_an_mvc_value_keeps_it_mvc(data, extra):
    values = _values(data)
    tiers = value_tiers(values)
    for customer in tiers.index[tiers["tier"] == "most valuable"]:
        richer = values.copy()
        richer.loc[customer, "actual_value"] += extra
        richer.loc[customer, "potential_value"] += extra
        assert value_tiers(richer).loc[customer, "tier"] == "most valuable"


def test_lorenz_curve_of_equal_values_is_the_diagonal():
    curve = lorenz_curve(pd.Series([5.0] * 4))
    np.testing.assert_allclose(curve["customer_share"], curve["value_share"])
    skewed = lorenz_curve(pd.Series([97.0, 1, 1, 1]))
    assert skewed["value_share"].iloc[1] == pytest.approx(0.97)


@settings(max_examples=40)
@given(st.integers(1, 60), st.integers(2, 30))
def test_lorenz_points_are_rows_of_the_whole_curve(n, points):
    values = pd.Series(np.arange(1.0, n + 1.0) % 7 + 1.0)
    whole = lorenz_curve(values)
    some = lorenz_curve(values, points=points)
    assert len(some) == min(points, n + 1)
    assert some.iloc[0].tolist() == [0.0, 0.0]
    assert some["customer_share"].iloc[-1] == 1.0
    assert some["customer_share"].is_monotonic_increasing
    rows = np.rint(some["customer_share"].to_numpy() * n).astype(int)
    pd.testing.assert_frame_equal(some, whole.iloc[rows].reset_index(drop=True))


def test_bad_input_is_refused():
    values = _values([(1.0, 2.0, 0.5)])
    with pytest.raises(DataContractError, match="missing required column"):
        value_tiers(values.drop(columns="actual_value"))
    with pytest.raises(DataContractError, match="empty"):
        value_tiers(values.iloc[:0])
    with pytest.raises(DataContractError):
        value_tiers(values.assign(actual_value=[np.nan]))
    with pytest.raises(DataContractError, match="twice"):
        value_tiers(pd.concat([values, values]))
    with pytest.raises(DataContractError, match="most_valuable_share"):
        value_tiers(values, most_valuable_share=1.5)
    with pytest.raises(DataContractError, match="positive total"):
        lorenz_curve(pd.Series([0.0, 0.0]))
    with pytest.raises(DataContractError, match="finite") as infinite:
        lorenz_curve(pd.Series([1.0, np.inf]))
    assert infinite.value.value == np.inf
    with pytest.raises(DataContractError) as one_point:
        lorenz_curve(pd.Series([1.0, 2.0]), points=1)
    assert one_point.value.column == "points"


@settings(max_examples=60)
@given(st.integers(2, 120), st.floats(0.05, 0.6), st.floats(0.05, 0.6))
def test_tier_sizes_are_the_stated_shares_rounded_up(n, mvc, mgc):
    # Distinct values and gaps: the counts must be exactly ceil(share * eligible customers).
    actual = np.arange(1, n + 1, dtype=float)
    values = pd.DataFrame(
        {"actual_value": actual, "potential_value": actual + 1000 + np.arange(n) * 0.5}
    )
    counts = value_tiers(values, most_valuable_share=mvc, most_growable_share=mgc)[
        "tier"
    ].value_counts()
    valuable = max(1, int(np.ceil(round(mvc * n, 9))))  # 0.1 * 30 is 3 customers
    assert counts["most valuable"] == valuable
    rest = n - valuable
    assert counts["most growable"] == (max(1, int(np.ceil(round(mgc * rest, 9)))) if rest else 0)


@settings(max_examples=80)
@given(customers, st.floats(0.01, 1000, allow_nan=False), st.integers(0, 49))
def test_raising_any_customer_value_never_lowers_its_tier(data, extra, pick):
    # "Raising value" keeps the growth gap: actual and potential both rise by `extra`.
    values = _values(data)
    customer = values.index[pick % len(values)]
    before = value_tiers(values).loc[customer, "tier"]
    richer = values.copy()
    richer.loc[customer, ["actual_value", "potential_value"]] += extra
    # In floats (a + e) + g - (a + e) need not equal g; a gap that rounding shrank is not
    # "the same gap" (hypothesis found one that broke a tie at the growable cut).
    assume(
        value_tiers(richer).loc[customer, "growth_gap"]
        == value_tiers(values).loc[customer, "growth_gap"]
    )
    after = value_tiers(richer).loc[customer, "tier"]
    assert TIERS.index(after) <= TIERS.index(before)  # TIERS runs from best to worst


def test_clv_output_goes_straight_in():
    # Issue #15: value_tiers(customer_lifetime_value(...)) failed on the column name.
    summary = load_cdnow_summary()
    repeat = summary[summary["frequency"] > 0]
    clv = customer_lifetime_value(
        BetaGeoModel().fit(summary), GammaGammaModel().fit(repeat), repeat, horizon=52, period="W"
    )
    tiers = value_tiers(clv, value="clv")
    VALUE_TIERS.validate(tiers)
    renamed = value_tiers(clv.rename(columns={"clv": "actual_value"}))
    pd.testing.assert_frame_equal(tiers, renamed)
    assert tiers["tier"].value_counts()["most valuable"] == np.ceil(0.2 * len(repeat))
    # the CLV table is checked by its contract: a probability outside [0, 1] is refused
    with pytest.raises(DataContractError, match="p_alive") as info:
        value_tiers(clv.assign(p_alive=1.5), value="clv")
    assert info.value.column == "p_alive"


def test_a_missing_value_column_offers_the_argument():
    values = _values([(1.0, 2.0, 0.5)]).rename(columns={"actual_value": "margin"})
    with pytest.raises(DataContractError, match="value=") as info:
        value_tiers(values)
    assert info.value.column == "actual_value"
    assert value_tiers(values, value="margin")["net_value"].tolist() == [0.5]


def test_money_is_rounded_so_float_residue_is_not_below_zero():
    values = pd.DataFrame(
        {"actual_value": [0.3, 10.0], "cost_to_serve": [0.1 + 0.2, 1.0]},  # 0.30000000000000004
        index=["a", "b"],
    )
    tiers = value_tiers(values)
    assert tiers.loc["a", "net_value"] == 0.0
    assert tiers.loc["a", "tier"] != "below zero"
    with pytest.raises(DataContractError, match="cost_to_serve") as info:
        value_tiers(values.assign(cost_to_serve=[-1.0, 0.0]))
    assert info.value.column == "cost_to_serve"
    assert value_tiers(values, decimals=0)["net_value"].tolist() == [0.0, 9.0]
