"""Blocking within a pair budget, the plan as a report, and warnings about giant clusters."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.datasets import load_febrl, simulate_identities
from one2one.errors import DataContractError, DataWarning, NotFittedError
from one2one.identify import (
    BlockingRule,
    MatchRule,
    RecordMatcher,
    RecordSchema,
    SortedNeighbourhood,
    blocking_quality,
    candidate_pairs,
    cluster_pairs,
    default_blocking,
    evaluate_links,
)
from one2one.identify._blocking import default_pair_budget, plan_blocking
from tests.identify.schemas import FEBRL

GIB = 2**30


# -- the default budget ---------------------------------------------------------------
@given(st.integers(0, 10**8), st.integers(GIB // 8, 1024 * GIB))
def test_default_budget_fits_a_quarter_of_memory_and_the_record_count(n, memory):
    budget = default_pair_budget(n, memory=memory)
    assert 1 <= budget <= max(50 * n, 100_000)
    assert budget * 256 <= memory / 4
    if memory >= 1024 * GIB and n <= 10**6:  # memory is no limit: the record count decides
        assert budget == max(50 * n, 100_000)


def test_default_budget_reads_this_machines_memory():
    assert 1 <= default_pair_budget(10**9) < 50 * 10**9  # bounded by memory, not by records
    assert default_pair_budget(1000) == 100_000


# -- the plan on small tables, against brute force ---------------------------------------
value = st.one_of(st.none(), st.sampled_from(["ab", "abc", "ax", "b", "bb", "ba"]))


@st.composite
def tables(draw):
    n = draw(st.integers(1, 30))
    columns = {
        c: draw(st.lists(value, min_size=n, max_size=n))
        for c in ["surname", "city", "postcode", "email"]
    }
    return pd.DataFrame(columns, index=[f"r{i:02d}" for i in range(n)]).astype("string")


RULES = [
    BlockingRule("city"),
    BlockingRule("surname", prefix=1),
    SortedNeighbourhood(["surname", "postcode"], window=4),
    BlockingRule("email"),
]


def pair_set(rule, records):
    i, j = rule.pairs(records, None)
    return set(zip(i.tolist(), j.tolist(), strict=True))


@settings(max_examples=80, deadline=None)
@given(tables(), st.integers(1, 300))
def test_plan_keeps_the_budget_and_builds_exactly_the_union_of_its_rules(records, budget):
    plan = plan_blocking(records, RULES, budget=budget, warn=False)
    i, j = plan.build()
    report = plan.report()
    rows = report.drop(index="total")
    assert rows["planned_pairs"].sum() <= budget
    assert len(i) <= budget
    # the pairs built are the union of the planned rules' pairs, each once
    built = set(zip(i.tolist(), j.tolist(), strict=True))
    assert len(built) == len(i)
    seen: set[tuple[int, int]] = set()
    for rule in RULES:
        row = rows.loc[rule.name]
        if pd.isna(row["planned_rule"]):
            assert row["action"] == "dropped"
            assert row["new_pairs"] == 0
            continue
        planned = next(r for r in [*plan.rules, *plan.dropped] if r.name == row["planned_rule"])
        pairs = pair_set(planned, records)
        assert len(pairs) == row["planned_pairs"]
        assert len(pairs - seen) == row["new_pairs"]
        seen |= pairs
    assert seen == built
    assert report.loc["total", "new_pairs"] == len(built)
    assert report.loc["total", "budget"] == budget
    # a rule within an equal share of the budget is always kept as it is
    for rule in RULES:
        if rows.loc[rule.name, "pairs"] <= budget // len(RULES):
            assert rows.loc[rule.name, "action"] == "kept"
            assert rows.loc[rule.name, "planned_rule"] == rule.name


def test_plan_refines_by_a_further_field_or_a_longer_prefix():
    records = pd.DataFrame(
        {
            "surname": ["smith"] * 6 + ["smyth"] * 6,
            "city": ["x", "y"] * 6,
            "postcode": [None] * 12,
        },
        index=[f"r{i:02d}" for i in range(12)],
    ).astype("string")
    plan = plan_blocking(records, [BlockingRule("surname", prefix=2)], budget=30, warn=False)
    row = plan.report().loc["surname[:2]"]
    assert row["pairs"] == 66
    assert row["action"] == "refined"
    assert row["planned_pairs"] <= 30
    assert row["planned_rule"] in {"surname[:3]", "surname[:2]+city"}


def test_an_unrefinable_rule_over_its_share_is_dropped_with_a_warning():
    records = pd.DataFrame({"surname": ["smith"] * 40}, index=range(40)).astype("string")
    rules = [BlockingRule("surname"), SortedNeighbourhood("surname", window=2)]
    with pytest.warns(DataWarning, match=r"'surname'.*780 pairs.*dropped"):
        plan = plan_blocking(records, rules, budget=100)
    report = plan.report()
    assert report.loc["surname", "action"] == "dropped"
    assert report.loc["sorted(surname, window=2)", "action"] == "kept"
    assert [r.name for r in plan.rules] == ["sorted(surname, window=2)"]


def test_a_sorted_neighbourhood_over_its_share_gets_a_smaller_window():
    records = pd.DataFrame({"surname": [f"n{i:03d}" for i in range(100)]}).astype("string")
    with pytest.warns(DataWarning, match="window=3"):
        plan = plan_blocking(records, [SortedNeighbourhood("surname", window=5)], budget=250)
    assert plan.report().loc["sorted(surname, window=5)", "planned_rule"] == (
        "sorted(surname, window=3)"
    )


def test_a_match_rule_is_never_refined_and_over_the_budget_is_refused():
    records = pd.DataFrame(
        {"email": ["unknown@example.com"] * 30 + [f"p{i}@x.com" for i in range(30)]}
    ).astype("string")
    plan = plan_blocking(records, [], fixed=[BlockingRule("email")], budget=1000, warn=False)
    assert plan.report().loc["email", "action"] == "match rule"
    with pytest.raises(DataContractError, match=r"'email'.*435 pairs.*budget of 100") as error:
        plan_blocking(records, [], fixed=[BlockingRule("email")], budget=100)
    assert error.value.column == "email"


def test_one_rule_dominating_the_pairs_warns_with_its_counts():
    n = 2000
    emails = [f"p{i}@x.com" for i in range(n)]
    emails[:300] = ["unknown@example.com"] * 300  # a placeholder
    records = pd.DataFrame(
        {"record_id": range(n), "name": [f"name{i}" for i in range(n)], "email": emails}
    )
    schema = RecordSchema(record_id="record_id", full_name="name", email="email")
    standard = schema.standardise(records)
    with pytest.warns(
        DataWarning, match=r"'email' gives 44,850 of [\d,]+ candidate pairs \(\d+%\)"
    ):
        plan_blocking(standard, default_blocking(list(standard.columns)), budget=10**6)


# -- realistic data: few cities, common given names --------------------------------------
def crowd(n, cities):
    """Simulated records moved into a few cities of very different sizes, one per person."""
    sim = simulate_identities(n, random_state=3)
    records = sim.records.copy()
    rng = np.random.default_rng(0)
    weights = 1 / np.arange(1, cities + 1)
    entity = sim.true_entities.reindex(records["record_id"]).to_numpy()
    city_of = np.array([f"city {k}" for k in range(cities)])[
        rng.choice(cities, size=entity.max() + 1, p=weights / weights.sum())
    ]
    records["city"] = pd.array(
        np.where(records["city"].isna(), None, city_of[entity]), dtype="string"
    )
    schema = RecordSchema(record_id="record_id", **{c: c for c in records if c != "record_id"})
    return records, schema, sim.true_links


@pytest.fixture(scope="module")
def crowded():
    """20,000 records in 17 cities (like the issue's corpus)."""
    return crowd(20_000, 17)


@pytest.mark.slow
def test_crowded_file_is_blocked_within_budget_and_keeps_its_true_pairs(crowded):
    records, schema, truth = crowded
    standard = schema.standardise(records)
    rules = default_blocking(list(standard.columns))
    unlimited = candidate_pairs(standard, rules)
    assert len(unlimited) > 200_000  # the two city rules give 190,000 of them
    budget = 150_000
    with pytest.warns(DataWarning, match="city") as caught:
        plan = plan_blocking(standard, rules, budget=budget)
    assert "city+surname" in str(caught[0].message)
    i, j = plan.build()
    assert len(i) <= budget
    report = plan.report()
    assert set(report.loc[["city+given_name", "city+surname"], "action"]) <= {"refined", "dropped"}
    pairs = pd.DataFrame({"left": standard.index[i], "right": standard.index[j]})
    kept = blocking_quality(pairs, truth, n_left=len(standard))["pair_completeness"]
    before = blocking_quality(unlimited, truth, n_left=len(standard))["pair_completeness"]
    assert kept >= before - 0.002, (kept, before)
    # refining beats dropping the two crowded rules outright
    fewer = [r for r in rules if not r.name.startswith("city+")]
    dropped = candidate_pairs(standard, fewer)
    assert kept > blocking_quality(dropped, truth, n_left=len(standard))["pair_completeness"]


@pytest.mark.slow
def test_matcher_on_the_crowded_file_within_budget(crowded):
    records, schema, truth = crowded
    matcher = RecordMatcher(schema, max_pairs=150_000)
    with pytest.warns(DataWarning, match="pair budget"):
        customer_id = matcher.fit_predict(records)
    assert evaluate_links(customer_id, truth)["f1"] >= 0.99
    report = matcher.blocking_report()
    assert report.loc["total", "new_pairs"] <= 150_000
    assert report.loc["total", "budget"] == 150_000
    planned = report["planned_rule"].drop("total")
    built = planned[report["action"].drop("total").isin(["kept", "refined"])].tolist()
    assert [r.name for r in matcher.blocking_] == built


# -- the matcher's report ------------------------------------------------------------------
def test_febrl_defaults_keep_every_rule_and_the_report_matches_the_pairs_built():
    data = load_febrl("dataset4")
    left, right = data.left.reset_index(), data.right.reset_index()
    matcher = RecordMatcher(FEBRL)
    preview = matcher.blocking_report(left, right)
    customer_id = matcher.fit_predict(left, right)
    assert evaluate_links(customer_id, data.true_links)["f1"] >= 0.998
    report = matcher.blocking_report()
    pd.testing.assert_frame_equal(report, preview)
    assert (report["action"].drop("total") == "kept").all()
    assert report.loc["total", "budget"] == default_pair_budget(len(left) + len(right))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pairs = matcher.predict_pairs(left, right)
    assert report.loc["total", "new_pairs"] == len(pairs)
    assert report.loc["total", "planned_pairs"] == report["planned_pairs"].drop("total").sum()


def test_blocking_report_needs_records_or_a_fit():
    with pytest.raises(NotFittedError):
        RecordMatcher(FEBRL).blocking_report()


@pytest.mark.parametrize("bad", [0, -5, 2.5, "many", True])
def test_max_pairs_must_be_a_positive_whole_number(bad):
    records = load_febrl("dataset1").records.reset_index().head(50)
    with pytest.raises(DataContractError, match="max_pairs") as error:
        RecordMatcher(FEBRL, max_pairs=bad).fit(records)
    assert error.value.column == "max_pairs"


def test_saved_matcher_keeps_its_budget_setting():
    records = load_febrl("dataset1").records.reset_index()
    for budget in (None, 123_456):
        matcher = RecordMatcher(FEBRL, max_pairs=budget).fit(records)
        assert RecordMatcher.from_dict(matcher.to_dict()).max_pairs == budget


def test_match_rules_count_in_the_budget_and_are_reported():
    records = load_febrl("dataset1").records.reset_index()
    rules = [MatchRule("account_id"), MatchRule(["surname", "date_of_birth"])]
    matcher = RecordMatcher(FEBRL, match_rules=rules).fit(records)
    report = matcher.blocking_report()
    assert report.loc["account_id", "action"] == "match rule"  # also a default blocking rule
    assert report.loc["surname+date_of_birth", "action"] == "match rule"
    blocking = [r.name for r in matcher.blocking_]
    assert "account_id" in blocking
    assert "surname+date_of_birth" not in blocking


# -- giant clusters ------------------------------------------------------------------------
def chain(n_records, n_chained):
    ids = [f"r{i:04d}" for i in range(n_records)]
    pairs = pd.DataFrame(
        {
            "left": ids[: n_chained - 1],
            "right": ids[1:n_chained],
            "match_probability": 0.99,
        }
    )
    return pairs, ids


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 8000), st.data())
def test_a_cluster_warns_exactly_when_over_50_records_and_1_percent(n, data):
    size = data.draw(st.integers(1, min(n, 200)))
    pairs, ids = chain(n, size)
    giant = size > 50 and size > 0.01 * n
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cluster_pairs(pairs, ids)
    messages = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert bool(messages) == giant
    if giant:
        assert f"{size:,} of {n:,} records ({size / n:.1%};" in messages[0]


def test_related_classes_off_warns_about_the_giant_cluster_it_makes():
    # 200 different people who share a surname, an address and a landline (a hostel, a
    # family business): without related classes they chain into one customer.
    records = simulate_identities(3000, random_state=3).records.copy()
    shared = records.index[:200]
    for column in ("surname", "street", "postcode", "city", "phone"):
        records.loc[shared, column] = records.loc[shared[0], column]
    schema = RecordSchema(record_id="record_id", **{c: c for c in records if c != "record_id"})
    with pytest.warns(DataWarning, match=r"largest customer holds .*related_classes=False"):
        RecordMatcher(schema, related_classes=False).fit_predict(records)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # with them: no giant customer
        RecordMatcher(schema).fit_predict(records)
