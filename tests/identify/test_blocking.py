"""Blocking: the union of the rules' pairs, counted before it is built."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.datasets import load_febrl
from one2one.errors import DataContractError
from one2one.identify import (
    BlockingRule,
    RecordSchema,
    SortedNeighbourhood,
    blocking_quality,
    candidate_pairs,
    count_candidate_pairs,
)

RULES = [BlockingRule("surname", prefix=2), BlockingRule(["city", "postcode"])]
value = st.one_of(st.none(), st.sampled_from(["ab", "abc", "ax", "b", "bb"]))


@st.composite
def record_tables(draw, prefix="r"):
    n = draw(st.integers(1, 25))
    columns = {
        c: draw(st.lists(value, min_size=n, max_size=n)) for c in ["surname", "city", "postcode"]
    }
    return pd.DataFrame(columns, index=[f"{prefix}{i}" for i in range(n)]).astype("string")


def agrees(a, b, rule):
    for f in rule.fields:
        x, y = a[f], b[f]
        if pd.isna(x) or pd.isna(y):
            return False
        if rule.prefix is not None:
            x, y = x[: rule.prefix], y[: rule.prefix]
        if x != y:
            return False
    return True


@settings(max_examples=60)
@given(record_tables())
def test_dedupe_pairs_are_exactly_the_union_of_the_rules(records):
    got = {frozenset(p) for p in candidate_pairs(records, RULES).itertuples(index=False)}
    expected = {
        frozenset((a, b))
        for (a, ra), (b, rb) in itertools.combinations(records.iterrows(), 2)
        if any(agrees(ra, rb, rule) for rule in RULES)
    }
    assert got == expected
    counts = count_candidate_pairs(records, RULES)
    for rule in RULES:
        brute = sum(
            agrees(ra, rb, rule)
            for (_, ra), (_, rb) in itertools.combinations(records.iterrows(), 2)
        )
        assert counts.loc[rule.name, "pairs"] == brute
    assert len(got) <= counts["pairs"].sum()


@settings(max_examples=40)
@given(record_tables("a"), record_tables("b"))
def test_linking_pairs_are_exactly_the_union_of_the_rules(left, right):
    got = set(candidate_pairs(left, RULES, other=right).itertuples(index=False, name=None))
    expected = {
        (a, b)
        for a, ra in left.iterrows()
        for b, rb in right.iterrows()
        if any(agrees(ra, rb, rule) for rule in RULES)
    }
    assert got == expected
    counts = count_candidate_pairs(left, RULES, other=right)
    assert len(got) <= counts["pairs"].sum()


@settings(max_examples=60)
@given(record_tables(), st.integers(2, 6))
def test_sorted_neighbourhood_pairs_records_within_the_window(records, window):
    rule = SortedNeighbourhood(["surname", "city"], window=window)
    key = records["surname"].str.cat(records["city"], sep=" ", na_rep="").str.strip()
    key = key[key != ""].sort_values(kind="stable")
    expected = set()
    for a in range(len(key)):
        for b in range(a + 1, min(a + window, len(key))):
            expected.add(frozenset((key.index[a], key.index[b])))
    got = {frozenset(p) for p in candidate_pairs(records, [rule]).itertuples(index=False)}
    assert got == expected
    assert count_candidate_pairs(records, [rule]).loc[rule.name, "pairs"] == len(expected)


@settings(max_examples=40)
@given(record_tables("a"), record_tables("b"), st.integers(2, 6))
def test_sorted_neighbourhood_links_only_across_files(left, right, window):
    rule = SortedNeighbourhood("surname", window=window)
    rows = [(v, 0, i) for i, v in left["surname"].items() if not pd.isna(v)]
    rows += [(v, 1, i) for i, v in right["surname"].items() if not pd.isna(v)]
    rows.sort(key=lambda row: row[0])  # stable: left file first among equal keys
    expected = set()
    for a in range(len(rows)):
        for b in range(a + 1, min(a + window, len(rows))):
            first, second = sorted([rows[a], rows[b]], key=lambda row: row[1])
            if first[1] != second[1]:
                expected.add((first[2], second[2]))
    got = set(candidate_pairs(left, [rule], other=right).itertuples(index=False, name=None))
    assert got == expected
    assert len(got) <= count_candidate_pairs(left, [rule], other=right)["pairs"].iloc[0]


def test_phonetic_keys_block_names_spelt_alike():
    records = pd.DataFrame(
        {"given_name": ["catherine", "katherine", "john", None]}, index=["a", "b", "c", "d"]
    ).astype("string")
    rule = BlockingRule("given_name", phonetic="nysiis")
    pairs = candidate_pairs(records, [rule])
    assert pairs.to_dict("records") == [{"left": "a", "right": "b"}]
    assert count_candidate_pairs(records, [rule]).loc[rule.name, "pairs"] == 1


def test_febrl_blocking_keeps_nearly_every_true_link():
    schema = RecordSchema(
        record_id="rec_id",
        given_name="given_name",
        surname="surname",
        postcode="postcode",
        date_of_birth="date_of_birth",
    )
    data = load_febrl("dataset4")
    left = schema.standardise(data.left.reset_index())
    right = schema.standardise(data.right.reset_index())
    rules = [
        BlockingRule("surname", prefix=3),
        BlockingRule("postcode"),
        BlockingRule("date_of_birth"),
        BlockingRule("given_name", prefix=3),
    ]
    pairs = candidate_pairs(left, rules, other=right)
    quality = blocking_quality(pairs, data.true_links, n_left=len(left), n_right=len(right))
    assert quality["pair_completeness"] > 0.995
    assert quality["reduction_ratio"] > 0.98


def test_a_pair_explosion_is_refused_before_it_happens():
    records = pd.DataFrame({"surname": ["same"] * 300}, index=[f"r{i}" for i in range(300)])
    counts = count_candidate_pairs(records, [BlockingRule("surname")])
    assert counts.loc["surname", "pairs"] == 300 * 299 // 2
    assert counts.loc["surname", "largest_block_pairs"] == 300 * 299 // 2
    with pytest.raises(DataContractError, match="44,850 pairs") as info:
        candidate_pairs(records, [BlockingRule("surname")], max_pairs=1000)
    assert info.value.column == "surname"


def test_bad_rules_are_refused():
    records = pd.DataFrame({"surname": ["a"]})
    with pytest.raises(DataContractError, match="no blocking rules"):
        candidate_pairs(records, [])
    with pytest.raises(DataContractError, match="missing required column"):
        count_candidate_pairs(records, [BlockingRule("email")])
    with pytest.raises(DataContractError, match="prefix must be >= 1"):
        count_candidate_pairs(records, [BlockingRule("surname", prefix=0)])
    with pytest.raises(DataContractError, match="phonetic must be one of"):
        count_candidate_pairs(records, [BlockingRule("surname", phonetic="caverphone")])
    with pytest.raises(DataContractError, match="window must be >= 2"):
        count_candidate_pairs(records, [SortedNeighbourhood("surname", window=1)])


@settings(max_examples=60)
@given(record_tables())
def test_key_codes_group_records_exactly_as_key_strings_do(records):
    rules = [
        *RULES,
        BlockingRule(["surname", "city"], unordered=True),
        BlockingRule(["surname", "city"], phonetic="soundex", prefix=(2, None)),
    ]
    for rule in rules:
        strings = rule.keys(records).to_numpy(dtype=object, na_value=None)
        codes = rule.key_codes(records)
        assert ((codes < 0) == np.array([s is None for s in strings])).all()
        for a in range(len(records)):
            for b in range(len(records)):
                if codes[a] >= 0 and codes[b] >= 0:
                    assert (codes[a] == codes[b]) == (strings[a] == strings[b])
