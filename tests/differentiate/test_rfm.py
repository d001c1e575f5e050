"""RFM: order-free tie-safe scores, segments as first-matching rules, CDNOW end to end."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.datasets import load_cdnow_transactions
from one2one.differentiate import (
    DEFAULT_SEGMENTS,
    RFMSegment,
    rfm_scores,
    rfm_segments,
    rfm_table,
    share_of_customer,
)
from one2one.errors import DataContractError, DataWarning

rows = st.lists(
    st.tuples(
        st.floats(0, 400, allow_nan=False),
        st.integers(1, 12),
        st.floats(-50, 1000, allow_nan=False),
    ),
    min_size=1,
    max_size=60,
)


def _table(data):
    frame = pd.DataFrame(data, columns=["recency_days", "purchases", "monetary"])
    frame.index = [f"c{i}" for i in range(len(frame))]
    return frame


@settings(max_examples=80)
@given(rows, st.integers(2, 7), st.randoms(use_true_random=False))
def test_scores_are_order_free_bounded_and_monotone(data, bins, random):
    table = _table(data)
    scores = rfm_scores(table, bins=bins)
    order = list(table.index)
    random.shuffle(order)
    pd.testing.assert_frame_equal(rfm_scores(table.loc[order], bins=bins).loc[table.index], scores)
    for column in ("r_score", "f_score", "m_score"):
        assert scores[column].between(1, bins).all()
    # better values never score lower; tied values score the same
    for value, score, sign in (
        ("recency_days", "r_score", -1),
        ("purchases", "f_score", 1),
        ("monetary", "m_score", 1),
    ):
        ranked = scores.sort_values(value)
        steps = np.diff(ranked[score].to_numpy()) * sign
        assert (steps >= 0).all()
        by_value = scores.groupby(value)[score]
        assert (by_value.min() == by_value.max()).all()
    assert scores["rfm"].str.len().eq(3).all()


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=1, max_size=40))
def test_every_customer_gets_the_first_rule_that_covers_it(pairs):
    scores = pd.DataFrame(pairs, columns=["r_score", "f_score"])
    names = rfm_segments(scores)
    for (r, f), name in zip(pairs, names, strict=True):
        first = next(
            (
                s.name
                for s in DEFAULT_SEGMENTS
                if s.recency[0] <= r <= s.recency[1] and s.frequency[0] <= f <= s.frequency[1]
            ),
            "other",
        )
        assert name == first
    # the default rules name every 1..5 combination
    grid = pd.DataFrame(
        [(r, f) for r in range(1, 6) for f in range(1, 6)], columns=["r_score", "f_score"]
    )
    assert (rfm_segments(grid) != "other").all()


def test_cdnow_rfm_end_to_end():
    tx = load_cdnow_transactions()
    table = rfm_table(tx, as_of="1998-07-01")
    assert len(table) == 23_570
    # purchases are occasions: several rows of one customer on one day are one purchase
    assert table["purchases"].sum() == len(tx.drop_duplicates(["customer_id", "occurred_at"]))
    assert table["purchases"].sum() < len(tx)
    cents = (tx["value"] * 100).round().astype("int64")
    assert (table["monetary"] * 100).round().astype("int64").sum() == cents.sum()  # exact
    last = tx.groupby("customer_id")["occurred_at"].max()
    expected = (pd.Timestamp("1998-07-01", tz="UTC") - last) / pd.Timedelta(days=1)
    np.testing.assert_allclose(table["recency_days"], expected.loc[table.index])
    scores = rfm_scores(table)
    segments = rfm_segments(scores)
    # CDNOW is a cohort most of whom never came back: hibernating is the largest segment
    assert segments.value_counts().index[0] == "hibernating"
    champions = scores[segments == "champions"]
    assert champions["monetary"].median() > scores["monetary"].median()


def test_custom_rules_replace_the_defaults():
    scores = pd.DataFrame({"r_score": [5, 1], "f_score": [5, 1]})
    rules = [RFMSegment("best", (5, 5), (5, 5))]
    assert rfm_segments(scores, rules).tolist() == ["best", "other"]


def test_bad_input_is_refused():
    tx = pd.DataFrame(
        {
            "customer_id": [1],
            "occurred_at": pd.to_datetime(["2024-01-02"], utc=True),
            "value": [1.0],
        }
    )
    with pytest.raises(DataContractError, match="missing required column"):
        rfm_table(tx.drop(columns="value"))
    with pytest.raises(DataContractError, match="empty"):
        rfm_table(tx.iloc[:0])
    with pytest.raises(DataContractError, match="as_of"):
        rfm_table(tx, as_of="2024-01-01")
    with pytest.raises(DataContractError):
        rfm_table(tx.assign(value=[np.nan]))
    with pytest.raises(DataContractError, match="no purchase") as info:
        rfm_table(tx.assign(value=[-1.0]))
    assert info.value.column == "value"
    table = _table([(1.0, 2, 3.0)])
    with pytest.raises(DataContractError, match="bins"):
        rfm_scores(table, bins=1)
    with pytest.raises(DataContractError):
        rfm_scores(table.assign(purchases=[-1]))
    with pytest.raises(DataContractError, match="finite"):
        rfm_scores(table.assign(monetary=[np.inf]))
    with pytest.raises(DataContractError, match="no segments"):
        rfm_segments(pd.DataFrame({"r_score": [1], "f_score": [1]}), [])


def _shop(days, values, **columns):
    return pd.DataFrame(
        {
            "customer_id": columns.pop("customer_id", [1] * len(days)),
            "occurred_at": pd.to_datetime(days, utc=True),
            "value": values,
            **columns,
        }
    )


def test_a_refund_is_no_purchase_and_recency_counts_from_the_last_purchase():
    # Issue #15: rfm_table counted the refund as a purchase and measured recency from it.
    tx = _shop(
        ["2024-01-01", "2024-01-10", "2024-01-12", "2024-01-01", "2024-01-05"],
        [20.0, 30.0, -30.0, 40.0, 10.0],
        customer_id=[1, 1, 1, 2, 2],
    )
    table = rfm_table(tx, as_of="2024-01-20")
    assert table.to_dict("index") == {
        1: {"recency_days": 19.0, "purchases": 1, "monetary": 20.0},
        2: {"recency_days": 15.0, "purchases": 2, "monetary": 50.0},
    }


def test_the_issues_shop_nets_the_refund_against_its_sale():
    tx = _shop(
        ["2024-01-01", "2024-01-13", "2024-01-15", "2024-01-17"], [20.0, 100.0, -100.0, 50.0]
    )
    table = rfm_table(tx, as_of="2024-01-18")
    assert table.loc[1].tolist() == [1.0, 2, 70.0]


def test_an_order_reference_decides_which_sale_a_refund_undoes():
    days = ["2024-01-01", "2024-01-13", "2024-01-14", "2024-01-15"]
    tx = _shop(days, [20.0, 100.0, 60.0, -100.0], order_id=["o1", "o2", "o3", "o2"])
    assert rfm_table(tx, as_of="2024-01-16").loc[1].tolist() == [2.0, 2, 80.0]
    # without it the latest purchases are undone first: the 60, then 40 of the 100
    assert rfm_table(tx.drop(columns="order_id"), as_of="2024-01-16").loc[1].tolist() == [
        3.0,
        2,
        80.0,
    ]


def test_naive_timestamps_are_refused_unless_their_zone_is_named():
    tx = _shop(["2024-01-01 23:30"], [5.0]).assign(
        occurred_at=lambda f: f["occurred_at"].dt.tz_localize(None)
    )
    with pytest.raises(DataContractError, match="assume_tz") as info:
        rfm_table(tx)
    assert info.value.column == "occurred_at"
    table = rfm_table(tx, assume_tz="America/New_York", as_of="2024-01-03")
    assert table.loc[1, "recency_days"] == pytest.approx(1 + 0.5 / 24 - 5 / 24)


def test_refunds_with_nothing_to_net_are_reported_and_left_out():
    tx = _shop(
        ["2024-01-01", "2024-01-02", "2024-01-02"], [-5.0, 20.0, -7.5], customer_id=[1, 1, 2]
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = rfm_table(tx)
    messages = sorted(str(w.message) for w in caught if issubclass(w.category, DataWarning))
    assert messages[0].startswith("1 customer(s)")
    assert messages[1].startswith("2 refund(s) totalling 12.50")
    assert table.to_dict("index") == {1: {"recency_days": 0.0, "purchases": 1, "monetary": 20.0}}


def test_amounts_are_exact_and_never_cross_currencies():
    tx = _shop(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-02"], [0.0, 10.1, 20.2, -30.3])
    table = rfm_table(tx)
    assert table.loc[1, "monetary"] == 0.0  # not -3.6e-15
    share_of_customer(pd.DataFrame({"spend": table["monetary"]}).assign(category_spend=1.0))
    with pytest.raises(DataContractError, match="'EUR', 'GBP'") as info:
        rfm_table(tx.assign(currency=["EUR", "GBP", "EUR", "EUR"]))
    assert info.value.column == "currency"
    yen = rfm_table(_shop(["2024-01-01", "2024-01-02"], [100.4, 200.4], currency="JPY"))
    assert yen.loc[1, "monetary"] == 301.0  # 300.8 yen, in whole yen
    assert yen.attrs["currency"] == "JPY"


def test_scores_of_an_old_table_with_frequency_still_work_with_a_deprecation_warning():
    old = pd.DataFrame({"recency_days": [1.0, 9.0], "frequency": [3, 1], "monetary": [9.0, 1.0]})
    with pytest.deprecated_call(match="purchases"):
        scores = rfm_scores(old, bins=2)
    assert scores["f_score"].tolist() == [2, 1]
