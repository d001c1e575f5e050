"""Clustering: order-free labels, components refined, no chaining of groups by one weak link."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from one2one.errors import DataContractError
from one2one.identify import cluster_pairs, link_one_to_one


@st.composite
def scored_graphs(draw):
    n = draw(st.integers(1, 12))
    ids = [f"r{i:02d}" for i in range(n)]
    edges = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0, 1)),
            max_size=30,
        )
    )
    seen, rows = set(), []
    for a, b, p in edges:
        key = (min(a, b), max(a, b))
        if a != b and key not in seen:
            seen.add(key)
            rows.append((ids[a], ids[b], p))
    pairs = pd.DataFrame(rows, columns=["left", "right", "match_probability"])
    return ids, pairs


@settings(max_examples=80)
@given(scored_graphs(), st.randoms(use_true_random=False))
def test_labels_do_not_depend_on_input_order(graph, random):
    ids, pairs = graph
    expected = cluster_pairs(pairs, ids)
    shuffled_ids = ids[:]
    random.shuffle(shuffled_ids)
    flipped = pairs.rename(columns={"left": "right", "right": "left"})
    shuffled_pairs = flipped.sample(frac=1, random_state=random.randint(0, 999))
    got = cluster_pairs(shuffled_pairs, shuffled_ids)
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index())


@settings(max_examples=80)
@given(scored_graphs())
def test_plain_components_and_their_refinement(graph):
    ids, pairs = graph
    strong = pairs[pairs["match_probability"] >= 0.9]
    index = {r: k for k, r in enumerate(ids)}
    matrix = coo_matrix(
        (np.ones(len(strong)), (strong["left"].map(index), strong["right"].map(index))),
        shape=(len(ids), len(ids)),
    )
    _, component = connected_components(matrix, directed=False)
    plain = cluster_pairs(pairs, ids, group_link=None)
    protected = cluster_pairs(pairs, ids)
    for a in range(len(ids)):
        for b in range(len(ids)):
            same_component = component[a] == component[b]
            assert (plain.iloc[a] == plain.iloc[b]) == same_component
            if protected.iloc[a] == protected.iloc[b]:
                assert same_component
    # labels are the smallest member's id
    for label, group in protected.groupby(protected):
        assert label == min(group.index)


@settings(max_examples=50)
@given(scored_graphs())
def test_an_unrelated_record_changes_no_label(graph):
    ids, pairs = graph
    before = cluster_pairs(pairs, ids)
    after = cluster_pairs(pairs, [*ids, "a-newcomer"])
    assert after["a-newcomer"] == "a-newcomer"
    pd.testing.assert_series_equal(after.drop("a-newcomer"), before)


def test_one_weak_link_does_not_chain_two_families():
    rows = [("a1", "a2", 0.99), ("a2", "a3", 0.99), ("a1", "a3", 0.99)]
    rows += [("b1", "b2", 0.99), ("b2", "b3", 0.99), ("b1", "b3", 0.99)]
    rows += [("a3", "b1", 0.95), ("a1", "b1", 0.01), ("a2", "b2", 0.02)]
    pairs = pd.DataFrame(rows, columns=["left", "right", "match_probability"])
    ids = ["a1", "a2", "a3", "b1", "b2", "b3"]
    assert set(cluster_pairs(pairs, ids, group_link=None)) == {"a1"}
    assert cluster_pairs(pairs, ids).tolist() == ["a1"] * 3 + ["b1"] * 3


def test_one_to_one_uses_each_record_once():
    pairs = pd.DataFrame(
        {
            "left": ["a", "a", "b", "c"],
            "right": ["x", "y", "x", "z"],
            "match_probability": [0.9, 0.85, 0.95, 0.4],
        }
    )
    kept = link_one_to_one(pairs)
    assert sorted(map(tuple, kept[["left", "right"]].to_numpy())) == [("a", "y"), ("b", "x")]


def test_bad_pairs_are_refused():
    pairs = pd.DataFrame({"left": ["a"], "right": ["zz"], "match_probability": [0.9]})
    with pytest.raises(DataContractError, match="'zz'"):
        cluster_pairs(pairs, ["a", "b"])
    with pytest.raises(DataContractError, match="unique"):
        cluster_pairs(pairs.iloc[:0], ["a", "a"])
    with pytest.raises(DataContractError, match="match_probability"):
        cluster_pairs(pairs.assign(right="b", match_probability=np.nan), ["a", "b"])
