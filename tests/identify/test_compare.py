"""Comparison levels: symmetric, best for a record against itself, missing is its own level."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.errors import DataContractError
from one2one.identify import MISSING, Comparison, compare_pairs, default_comparisons
from one2one.identify._compare import encode_fields

COMPARISONS = [
    Comparison("name", "jaro_winkler", (0.92, 0.8)),
    Comparison("name", "levenshtein", (1, 2)),
    Comparison("name", "damerau", (1,)),
    Comparison("name", "exact"),
    Comparison("name", "initial"),
    Comparison("day", "date", (31, 366)),
    Comparison("name", "numeric", (1, 5)),
]
names = st.one_of(st.none(), st.text(alphabet="abcde", max_size=8))
days = st.one_of(st.none(), st.dates().map(lambda d: d.isoformat()))


def _series(values):
    return pd.Series(values, dtype="string")


@settings(max_examples=60)
@given(st.lists(st.tuples(names, names, days, days), min_size=1, max_size=30))
def test_levels_are_symmetric_and_a_record_is_most_like_itself(rows):
    a_name, b_name, a_day, b_day = (_series(list(col)) for col in zip(*rows, strict=True))
    for comparison in COMPARISONS:
        a, b = (a_name, b_name) if comparison.field == "name" else (a_day, b_day)
        forward = comparison.compare(a, b)
        np.testing.assert_array_equal(forward, comparison.compare(b, a))
        itself = comparison.compare(a, a)
        assert np.all((itself == 0) | (itself == MISSING))
        assert np.all((itself == MISSING) == a.isna().to_numpy())
        assert np.all((forward == MISSING) == (a.isna() | b.isna()).to_numpy())
        assert forward.min() >= MISSING
        assert forward.max() <= len(comparison.levels) - 1


@pytest.mark.parametrize(
    ("comparison", "left", "right", "level"),
    [
        (Comparison("x", "jaro_winkler", (0.92, 0.8)), "martha", "marhta", 1),
        (Comparison("x", "jaro_winkler", (0.92, 0.8)), "dwayne", "duane", 2),
        (Comparison("x", "jaro_winkler", (0.92, 0.8)), "smith", "jones", 3),
        (Comparison("x", "levenshtein", (1,)), "4011", "4012", 1),
        (Comparison("x", "levenshtein", (1,)), "4011", "4122", 2),
        (Comparison("x", "levenshtein", (1,)), "4011", "4101", 2),
        (Comparison("x", "damerau", (1,)), "4011", "4101", 1),
        (Comparison("x", "numeric", (1, 5)), "10", "10.5", 1),
        (Comparison("x", "numeric", (1, 5)), "10", "14", 2),
        (Comparison("x", "numeric", (1, 5)), "10", "ten", 3),
        (Comparison("x", "date", (31,)), "1965-03-10", "1965-10-03", 1),
        (Comparison("x", "date", (31,)), "1965-03-10", "1965-03-29", 2),
        (Comparison("x", "date", (31,)), "1965-03-10", "1990-03-10", 3),
        (Comparison("x", "initial"), "john", "j", 1),
        (Comparison("x", "exact"), "a", "a", 0),
        (Comparison("x", "exact"), "a", None, MISSING),
    ],
)
def test_levels_mean_what_their_names_say(comparison, left, right, level):
    assert comparison.compare(_series([left]), _series([right]))[0] == level


def test_compare_pairs_aligns_with_the_pairs_and_checks_them():
    left = pd.DataFrame({"surname": ["smith", "jones"]}, index=["a1", "a2"], dtype="string")
    right = pd.DataFrame({"surname": ["smyth", None]}, index=["b1", "b2"], dtype="string")
    pairs = pd.DataFrame({"left": ["a1", "a2", "a1"], "right": ["b1", "b2", "b2"]})
    levels = compare_pairs(left, pairs, default_comparisons(["surname"]), other=right)
    assert levels["surname"].tolist() == [2, MISSING, MISSING]  # smith/smyth: Jaro-Winkler 0.89
    assert levels.index.equals(pairs.index)
    bad = pairs.assign(right=["b1", "b9", "b2"])
    with pytest.raises(DataContractError, match="not in the right records") as info:
        compare_pairs(left, bad, default_comparisons(["surname"]), other=right)
    assert (info.value.column, info.value.row, info.value.value) == ("right", 1, "b9")
    with pytest.raises(DataContractError, match="missing required column"):
        compare_pairs(left, pairs, default_comparisons(["email"]), other=right)


@settings(max_examples=60)
@given(st.lists(st.tuples(names, names, days, days), min_size=1, max_size=30))
def test_comparing_codes_gives_the_levels_of_comparing_values(rows):
    a_name, b_name, a_day, b_day = (_series(list(col)) for col in zip(*rows, strict=True))
    left = pd.DataFrame({"name": a_name, "day": a_day})
    right = pd.DataFrame({"name": b_name, "day": b_day})
    encoded = encode_fields(left, ["name", "day"], other=right)
    for comparison in COMPARISONS:
        field = encoded[comparison.field]
        np.testing.assert_array_equal(
            comparison.compare_codes(field.left, field.right, field.uniques),
            comparison.compare(left[comparison.field], right[comparison.field]),
        )


@settings(max_examples=60)
@given(names, st.lists(names, max_size=12), days, st.lists(days, max_size=12))
def test_one_value_against_many_gives_the_levels_of_pairs(name, others, day, other_days):
    for comparison in COMPARISONS:
        value, values = (name, others) if comparison.field == "name" else (day, other_days)
        got = comparison.compare_one(value, np.asarray(values, dtype=object))
        expected = comparison.compare(_series([value] * len(values)), _series(values))
        np.testing.assert_array_equal(got, expected)
