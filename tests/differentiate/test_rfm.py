"""RFM: order-free tie-safe scores, segments as first-matching rules, CDNOW end to end."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.datasets import load_cdnow_transactions
from one2one.differentiate import DEFAULT_SEGMENTS, RFMSegment, rfm_scores, rfm_segments, rfm_table
from one2one.errors import DataContractError

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
    frame = pd.DataFrame(data, columns=["recency_days", "frequency", "monetary"])
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
        ("frequency", "f_score", 1),
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
    assert table["frequency"].sum() == len(tx)
    assert table["monetary"].sum() == pytest.approx(tx["value"].sum())
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
        {"customer_id": [1], "occurred_at": pd.to_datetime(["2024-01-02"]), "value": [1.0]}
    )
    with pytest.raises(DataContractError, match="missing required column"):
        rfm_table(tx.drop(columns="value"))
    with pytest.raises(DataContractError, match="empty"):
        rfm_table(tx.iloc[:0])
    with pytest.raises(DataContractError, match="as_of"):
        rfm_table(tx, as_of="2024-01-01")
    with pytest.raises(DataContractError):
        rfm_table(tx.assign(value=[np.nan]))
    table = _table([(1.0, 2, 3.0)])
    with pytest.raises(DataContractError, match="bins"):
        rfm_scores(table, bins=1)
    with pytest.raises(DataContractError):
        rfm_scores(table.assign(frequency=[-1]))
    with pytest.raises(DataContractError, match="finite"):
        rfm_scores(table.assign(monetary=[np.inf]))
    with pytest.raises(DataContractError, match="no segments"):
        rfm_segments(pd.DataFrame({"r_score": [1], "f_score": [1]}), [])
