"""The batch pipeline against Febrl's ground truth, unsupervised, default settings."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from one2one.datasets import load_febrl
from one2one.errors import DataContractError, NotFittedError
from one2one.identify import (
    BlockingRule,
    MatchRule,
    RecordMatcher,
    RecordSchema,
    evaluate_links,
    threshold_curve,
)
from tests.identify.schemas import FEBRL

SCHEMA = FEBRL


@pytest.mark.parametrize("name", ["dataset1", "dataset2"])
def test_febrl_deduplication_unsupervised_reaches_f1_099(name):
    data = load_febrl(name)
    customer_id = RecordMatcher(SCHEMA).fit_predict(data.records.reset_index())
    scores = evaluate_links(customer_id, data.true_links)
    assert scores["f1"] >= 0.99, scores
    assert scores["precision"] >= 0.99, scores
    assert scores["recall"] >= 0.99, scores


def test_febrl_linking_4a_to_4b_unsupervised_reaches_f1_0998():
    data = load_febrl("dataset4")
    matcher = RecordMatcher(SCHEMA)
    customer_id = matcher.fit_predict(data.left.reset_index(), data.right.reset_index())
    scores = evaluate_links(customer_id, data.true_links)
    assert scores["f1"] >= 0.998, scores
    assert scores["precision"] >= 0.998, scores
    assert scores["recall"] >= 0.998, scores
    # the learnt weights make sense: agreeing on an id says far more than disagreeing
    table = matcher.weights_table().set_index(["field", "level"])["match_weight"]
    assert table["account_id", "exact"] > 10
    assert table["account_id", "different"] < 0


def test_supervised_paths_learn_from_labels():
    data = load_febrl("dataset1")
    records = data.records.reset_index()
    for matcher in (RecordMatcher(SCHEMA), RecordMatcher(SCHEMA, classifier=LogisticRegression())):
        customer_id = matcher.fit_predict(records, labels=data.true_links)
        assert evaluate_links(customer_id, data.true_links)["f1"] >= 0.99


def test_match_rules_fire_first_and_count_as_certain():
    records = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "name": ["ann lee", "zoe park", "bob ray"],
            "email": ["x@y.com", "x@y.com", "q@y.com"],
        }
    )
    schema = RecordSchema(record_id="id", full_name="name", email="email")
    matcher = RecordMatcher(schema, match_rules=[MatchRule("email")]).fit(records)
    pairs = matcher.predict_pairs(records).set_index(["left", "right"])
    assert pairs.loc[("a", "b"), "matched_by"] == "same email"
    assert pairs.loc[("a", "b"), "match_probability"] == 1.0
    customer_id = matcher.predict(records)
    assert customer_id["a"] == customer_id["b"] != customer_id["c"]


def test_threshold_curve_trades_precision_for_recall():
    data = load_febrl("dataset1")
    records = data.records.reset_index()
    matcher = RecordMatcher(SCHEMA).fit(records)
    curve = threshold_curve(matcher.predict_pairs(records), data.true_links)
    assert (np.diff(curve["recall"]) <= 1e-12).all()
    assert curve["pairs"].is_monotonic_decreasing
    assert curve["f1"].max() > 0.99


def test_not_fitted_and_bad_configuration_are_refused():
    records = load_febrl("dataset1").records.reset_index()
    with pytest.raises(NotFittedError):
        RecordMatcher(SCHEMA).predict(records)
    with pytest.raises(DataContractError, match="threshold"):
        RecordMatcher(SCHEMA, threshold=1.5).fit(records)
    with pytest.raises(DataContractError, match="max_pairs"):
        RecordMatcher(SCHEMA, blocking=[BlockingRule("city")], max_pairs=0).fit(records)
    with pytest.raises(DataContractError, match="missing required column"):
        RecordMatcher(SCHEMA).fit(records.drop(columns="surname"))
    with pytest.raises(DataContractError, match="empty"):
        RecordMatcher(SCHEMA).fit(records.iloc[:0])


def test_one_pair_at_a_time_scores_exactly_like_the_batch():
    data = load_febrl("dataset2")
    records = data.records.reset_index()
    matcher = RecordMatcher(SCHEMA).fit(records)
    pairs = matcher.predict_pairs(records)
    sample = pd.concat(
        [pairs[pairs["match_probability"] > 0.5].head(40), pairs.sample(60, random_state=1)]
    )
    rows = records.set_index("rec_id")
    for left, right, weight, probability in sample[
        ["left", "right", "match_weight", "match_probability"]
    ].itertuples(index=False):
        a = rows.loc[left].to_dict() | {"rec_id": left}
        b = rows.loc[right].to_dict() | {"rec_id": right}
        explanation = matcher.explain(a, b)
        assert explanation.match_weight == pytest.approx(weight, abs=1e-9)
        assert explanation.probability == pytest.approx(probability, abs=1e-12)
        table = explanation.to_frame()
        parts = table["match_weight"].iloc[1:-1].sum()
        assert parts == pytest.approx(weight, abs=1e-9)
        assert table["match_weight"].iloc[-1] == pytest.approx(
            explanation.prior_weight + weight, abs=1e-9
        )


def test_predicting_on_other_records_leaves_the_fitted_matcher_as_it_was():
    records = load_febrl("dataset1").records.reset_index()
    matcher = RecordMatcher(SCHEMA, progress=False).fit(records)
    plan = matcher.blocking_plan_.copy()
    rules, fields = list(matcher.blocking_), list(matcher.fields_)
    comparisons = list(matcher.comparisons_)
    weights = matcher.weights_table()
    few = records.head(60)
    matcher.predict(few)
    matcher.predict_pairs(few)
    pd.testing.assert_frame_equal(matcher.blocking_plan_, plan)
    assert matcher.blocking_ == rules
    assert matcher.fields_ == fields
    assert matcher.comparisons_ == comparisons
    pd.testing.assert_frame_equal(matcher.weights_table(), weights)
    assert matcher.blocking_report() is not matcher.blocking_plan_  # a copy, as before


def test_predicting_records_of_another_schema_is_refused():
    records = load_febrl("dataset1").records.reset_index()
    matcher = RecordMatcher(SCHEMA, progress=False).fit(records)
    other = RecordMatcher(
        RecordSchema(
            record_id="rec_id",
            given_name="given_name",
            surname="surname",
            postcode="postcode",
            date_of_birth="date_of_birth",
        ),
        progress=False,
    )
    other.fit(records)
    other.schema = SCHEMA  # the same matcher handed records that standardise differently
    with pytest.raises(DataContractError, match="fitted on"):
        other.predict(records.head(20))
    assert matcher.predict(records.head(20)).notna().all()
