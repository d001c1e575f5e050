"""identify on Spark: the same pairs, levels, model and customers as the pandas path.

The pandas path is the oracle. Spark numbers records in record id order, so
the pandas side gets its records sorted by id: then both draw the same random
pairs for ``u`` and the fits agree to the last bit (compared within 1e-8).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from one2one.datasets import load_febrl
from one2one.errors import DataContractError, DataWarning
from one2one.identify import (
    BlockingRule,
    IdentityResolver,
    MatchRule,
    RecordMatcher,
    RecordSchema,
    SortedNeighbourhood,
    evaluate_links,
)
from one2one.identify import _spark as identify_spark

FEBRL = RecordSchema(  # the README's taste section
    record_id="rec_id",
    given_name="given_name",
    surname="surname",
    street="address_1",
    postcode="postcode",
    city="suburb",
    date_of_birth="date_of_birth",
    account_id="soc_sec_id",
)
SMALL = RecordSchema(
    record_id="id",
    given_name="first",
    surname="last",
    date_of_birth="dob",
    postcode="zip",
)


def _spark_frame(spark: Any, frame: pd.DataFrame) -> Any:
    return spark.createDataFrame(frame.astype(object).where(frame.notna(), None))


def _febrl() -> pd.DataFrame:
    records = load_febrl("dataset1").records.reset_index()
    columns = [FEBRL.record_id, *FEBRL.fields().values()]
    return records[columns].sort_values("rec_id", ignore_index=True)


def _same_partition(a: pd.Series, b: pd.Series) -> bool:
    """Whether two labellings (indexed by record id) group the records alike."""
    a, b = a.sort_index(), b.sort_index()
    if list(a.index.astype(str)) != list(b.index.astype(str)):
        return False
    pairs = pd.DataFrame({"a": a.astype(str).to_numpy(), "b": b.astype(str).to_numpy()})
    return bool(
        pairs.groupby("a")["b"].nunique().eq(1).all()
        and pairs.groupby("b")["a"].nunique().eq(1).all()
    )


def _assert_same_model(pandas_matcher: RecordMatcher, spark_matcher: RecordMatcher) -> None:
    a, b = pandas_matcher.weights_table(), spark_matcher.weights_table()
    pd.testing.assert_frame_equal(a, b, rtol=1e-8)
    np.testing.assert_allclose(spark_matcher.model_.prior_, pandas_matcher.model_.prior_, rtol=1e-8)
    assert spark_matcher.term_frequencies_ == pandas_matcher.term_frequencies_  # c / total, both
    assert spark_matcher.blocking_ == pandas_matcher.blocking_


_T = TypeVar("_T")

# rules of every kind, on the SMALL schema's fields (sorted ties: by record id)
_SMALL_BLOCKING = (
    BlockingRule("surname", prefix=1),
    BlockingRule("date_of_birth"),
    SortedNeighbourhood(["postcode", "given_name"], window=3),
)


def _warned(call: Callable[[], _T]) -> tuple[_T, list[str]]:
    """Run ``call``; return its result and the messages of the DataWarnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        result = call()
    return result, [str(w.message) for w in caught]


def _sorted_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    out = pairs.assign(left=pairs["left"].astype(str), right=pairs["right"].astype(str))
    out["matched_by"] = out["matched_by"].astype(str)
    return out.sort_values(["left", "right"], ignore_index=True)[
        ["left", "right", "match_weight", "match_probability", "matched_by"]
    ]


def test_febrl_dedupe_on_spark_is_the_pandas_dedupe(spark: Any) -> None:
    records = _febrl()
    pandas_matcher = RecordMatcher(FEBRL, progress=False)
    expected = pandas_matcher.fit_predict(records)
    frame = _spark_frame(spark, records)
    spark_matcher = RecordMatcher(FEBRL, progress=False)
    result = spark_matcher.fit_predict(frame)
    assert sorted(result.columns) == ["customer_id", "rec_id"]
    got = result.toPandas().set_index("rec_id")["customer_id"]
    _assert_same_model(pandas_matcher, spark_matcher)
    # the same customers, and the same labels (the smallest record id of each)
    assert got.sort_index().astype(str).tolist() == expected.sort_index().astype(str).tolist()
    truth = load_febrl("dataset1").true_links
    assert evaluate_links(got.astype("string"), truth) == evaluate_links(expected, truth)
    # a matcher fitted on Spark scores pandas records as the pandas one does, and back
    pd.testing.assert_frame_equal(
        _sorted_pairs(spark_matcher.predict_pairs(records)),
        _sorted_pairs(pandas_matcher.predict_pairs(records)),
        rtol=1e-12,
    )


def test_a_tight_budget_refines_and_drops_the_rules_as_pandas_does(spark: Any) -> None:
    # 1,500 pairs for 5,732: three rules refined (one by the anchor account_id), five dropped
    records = _febrl()
    pandas_matcher = RecordMatcher(FEBRL, progress=False, max_pairs=1500)
    spark_matcher = RecordMatcher(FEBRL, progress=False, max_pairs=1500)
    expected, pandas_warned = _warned(lambda: pandas_matcher.fit_predict(records))
    got, spark_warned = _warned(
        lambda: spark_matcher.fit_predict(_spark_frame(spark, records)).toPandas()
    )
    assert spark_warned == pandas_warned
    report = pandas_matcher.blocking_plan_
    assert (report["action"] == "refined").sum() == 3
    pd.testing.assert_frame_equal(spark_matcher.blocking_plan_, report)
    _assert_same_model(pandas_matcher, spark_matcher)
    labels = got.set_index("rec_id")["customer_id"].sort_index()
    assert labels.astype(str).tolist() == expected.sort_index().astype(str).tolist()


def test_a_pandas_fitted_matcher_predicts_spark_records(spark: Any) -> None:
    rng = np.random.default_rng(3)
    people = _people(rng, 12)
    matcher = RecordMatcher(SMALL, progress=False, match_rules=[MatchRule("date_of_birth")]).fit(
        people
    )
    expected = matcher.predict(people)
    expected_pairs = matcher.predict_pairs(people)
    frame = _spark_frame(spark, people)
    got = matcher.predict(frame).toPandas().set_index("id")["customer_id"]
    assert got.sort_index().astype(str).tolist() == expected.sort_index().astype(str).tolist()
    pd.testing.assert_frame_equal(
        _sorted_pairs(matcher.predict_pairs(frame).toPandas()),
        _sorted_pairs(expected_pairs),
        rtol=1e-12,
    )


_FIRST = ["anna", "ben", "carla", "dmitri", "eve", "farid", "grace", "hugo", "ines", "jon"]
_LAST = ["smith", "smyth", "jones", "brown", "garcia", "nguyen", "kowalski", "okafor", "li"]


def _typo(rng: np.random.Generator, word: str) -> str:
    k = int(rng.integers(0, len(word)))
    return word[:k] + word[k + 1 :] if len(word) > 3 else word + "e"


def _people(rng: np.random.Generator, n_people: int) -> pd.DataFrame:
    """People with one to three records each, the copies with typos and gaps."""
    rows = []
    for person in range(n_people):
        first = str(rng.choice(_FIRST))
        last = str(rng.choice(_LAST))
        year, month, day = rng.integers(40, 99), rng.integers(1, 13), rng.integers(1, 29)
        dob = f"19{int(year)}{int(month):02d}{int(day):02d}"
        zip_code = str(int(rng.integers(2000, 2010)))
        for copy in range(int(rng.integers(1, 4))):
            row = {"first": first, "last": last, "dob": dob, "zip": zip_code}
            if copy:
                field = str(rng.choice(["first", "last", "dob", "zip"]))
                if rng.random() < 0.3:
                    row[field] = None
                elif field == "dob":  # another day: still a date
                    row[field] = f"{dob[:6]}{int(dob[6:]) % 28 + 1:02d}"
                else:
                    row[field] = _typo(rng, row[field])
            rows.append({"id": 10 * person + copy, **row})
    return pd.DataFrame(rows).sort_values("id", ignore_index=True)


@settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: Spark jobs are slow
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**16),
    n_people=st.integers(4, 9),
    threshold=st.sampled_from([0.5, 0.9]),
    group_link=st.sampled_from([0.5, None]),
    max_pairs=st.sampled_from([None, 12]),  # 12: rules refined or dropped
)
def test_random_records_give_the_same_pairs_levels_and_customers(
    spark: Any,
    *,
    seed: int,
    n_people: int,
    threshold: float,
    group_link: float | None,
    max_pairs: int | None,
) -> None:
    people = _people(np.random.default_rng(seed), n_people)
    people["id"] = "r" + people["id"].astype(str).str.zfill(3)  # text ids this time
    options: dict[str, Any] = {
        "blocking": list(_SMALL_BLOCKING),
        "threshold": threshold,
        "group_link": group_link,
        "max_pairs": max_pairs,
        "progress": False,
    }
    pandas_matcher = RecordMatcher(SMALL, **options)
    spark_matcher = RecordMatcher(SMALL, **options)
    prepared, pandas_warned = _warned(lambda: pandas_matcher._prepare(people, None, fitting=True))
    ready, spark_warned = _warned(
        lambda: identify_spark.prepare(spark_matcher, _spark_frame(spark, people), fitting=True)
    )
    # the same blocking plan, and the same warnings about it
    assert spark_warned == pandas_warned
    try:
        _, pandas_warned = _warned(lambda: pandas_matcher._fit_prepared(prepared, None))
    except DataContractError as error:  # e.g. no pair at all: Spark refuses alike
        with pytest.raises(DataContractError, match=re.escape(str(error))):
            identify_spark.fit(spark_matcher, ready)
        return
    expected = pandas_matcher._customers(prepared)
    levels = ready.levels.toPandas().sort_values(["i", "j"], ignore_index=True)
    # the same pairs (positions in record id order) and the same levels
    assert levels["i"].tolist() == prepared.i.tolist()
    assert levels["j"].tolist() == prepared.j.tolist()
    for field in prepared.levels.columns:
        assert levels[f"lv_{field}"].tolist() == prepared.levels[field].astype(int).tolist()
    assert levels["swapped"].tolist() == prepared.swapped.tolist()
    _, spark_warned = _warned(lambda: identify_spark.fit(spark_matcher, ready))
    # few pairs may teach a related class the match class: both say so alike
    assert spark_warned == pandas_warned
    _assert_same_model(pandas_matcher, spark_matcher)
    got = identify_spark.customers(
        spark_matcher, ready, identify_spark.score(spark_matcher, ready)
    ).toPandas()
    labels = got.set_index("id")["customer_id"]
    assert _same_partition(labels, expected)
    assert labels.sort_index().tolist() == expected.sort_index().astype(str).tolist()


def test_a_resolver_built_from_spark_records_is_the_pandas_one(spark: Any) -> None:
    people = _people(np.random.default_rng(5), 8)
    expected = IdentityResolver.from_records(people, SMALL, matcher=RecordMatcher(SMALL))
    got = IdentityResolver.from_records(
        _spark_frame(spark, people), SMALL, matcher=RecordMatcher(SMALL)
    )
    assert got.n_customers == expected.n_customers
    ids = people["id"].tolist()
    assert [got.customer_of(k) for k in ids] == [expected.customer_of(k) for k in ids]
    new = {"first": "anna", "last": "smith", "dob": "19700101", "zip": "2001"}
    assert got.resolve(new).customer_id == expected.resolve(new).customer_id


def test_spark_errors_name_the_column_and_value(spark: Any) -> None:
    people = _people(np.random.default_rng(0), 4)
    matcher = RecordMatcher(SMALL, progress=False)
    with pytest.raises(DataContractError, match="'zip'") as missing:
        matcher.fit(_spark_frame(spark, people.drop(columns="zip")))
    assert missing.value.column == "zip"
    twice = pd.concat([people, people.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataContractError, match="repeated") as repeated:
        matcher.fit(_spark_frame(spark, twice))
    assert repeated.value.column == "id"
    assert repeated.value.value == people["id"].iloc[0]
    # a value only the executors see: a number whose digits are not exact
    bad = people.assign(zip=people["zip"].astype(float))
    bad.loc[1, "zip"] = 1e20
    with pytest.raises(DataContractError) as inexact:
        matcher.fit(_spark_frame(spark, bad))
    with pytest.raises(DataContractError) as oracle:
        RecordMatcher(SMALL, progress=False).fit(bad)
    assert inexact.value.column == oracle.value.column == "zip"
    assert str(inexact.value) == str(oracle.value)


def _febrl_link(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first ``n`` originals of Febrl's link task and the copies of most of them."""
    data = load_febrl("dataset4")
    columns = [FEBRL.record_id, *FEBRL.fields().values()]
    left = data.left.reset_index()[columns].sort_values("rec_id", ignore_index=True).head(n)
    wanted = set(left["rec_id"].str.replace("-org", "-dup-0"))
    right = data.right.reset_index()[columns]
    right = right[right["rec_id"].isin(wanted)].sort_values("rec_id", ignore_index=True)
    return left, right.iloc[: int(0.9 * len(right))]


def _link_labels(labels: pd.Series) -> list[tuple[str, str, str]]:
    return sorted(
        (str(source), str(record), str(customer)) for (source, record), customer in labels.items()
    )


@pytest.mark.parametrize("one_to_one", [False, True])
def test_febrl_linking_on_spark_is_the_pandas_linking(spark: Any, *, one_to_one: bool) -> None:
    left, right = _febrl_link(400)
    pandas_matcher = RecordMatcher(FEBRL, progress=False, one_to_one=one_to_one)
    expected = pandas_matcher.fit_predict(left, right)
    spark_matcher = RecordMatcher(FEBRL, progress=False, one_to_one=one_to_one)
    result = spark_matcher.fit_predict(_spark_frame(spark, left), _spark_frame(spark, right))
    assert result.columns == ["source", "rec_id", "customer_id"]
    got = result.toPandas().set_index(["source", "rec_id"])["customer_id"]
    _assert_same_model(pandas_matcher, spark_matcher)
    pd.testing.assert_frame_equal(spark_matcher.blocking_plan_, pandas_matcher.blocking_plan_)
    assert _link_labels(got) == _link_labels(expected)
    # a pandas reference file beside Spark records: sent to the session, the same pairs
    pd.testing.assert_frame_equal(
        _sorted_pairs(spark_matcher.predict_pairs(_spark_frame(spark, left), right).toPandas()),
        _sorted_pairs(pandas_matcher.predict_pairs(left, right)),
        rtol=1e-12,
    )


@settings(
    max_examples=5,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**16),
    n_people=st.integers(4, 9),
    group_link=st.sampled_from([0.5, None]),
    one_to_one=st.booleans(),
    max_pairs=st.sampled_from([None, 10]),
)
def test_random_files_link_as_pandas_links_them(
    spark: Any,
    *,
    seed: int,
    n_people: int,
    group_link: float | None,
    one_to_one: bool,
    max_pairs: int | None,
) -> None:
    rng = np.random.default_rng(seed)
    people = _people(rng, n_people)
    on_left = rng.random(len(people)) < 0.5
    left, right = people[on_left], people[~on_left].assign(id=lambda f: f["id"] + 1000)
    if left.empty or right.empty:
        return
    options: dict[str, Any] = {
        "blocking": list(_SMALL_BLOCKING),
        "match_rules": [MatchRule(["date_of_birth", "postcode"])],
        "group_link": group_link,
        "one_to_one": one_to_one,
        "max_pairs": max_pairs,
        "progress": False,
    }
    pandas_matcher = RecordMatcher(SMALL, **options)
    spark_matcher = RecordMatcher(SMALL, **options)
    try:
        expected, pandas_warned = _warned(lambda: pandas_matcher.fit_predict(left, right))
    except DataContractError as error:
        with pytest.raises(DataContractError, match=re.escape(str(error))):
            spark_matcher.fit_predict(_spark_frame(spark, left), _spark_frame(spark, right))
        return
    got, spark_warned = _warned(
        lambda: spark_matcher.fit_predict(
            _spark_frame(spark, left), _spark_frame(spark, right)
        ).toPandas()
    )
    labels = got.set_index(["source", "id"])["customer_id"]
    assert spark_warned == pandas_warned
    pd.testing.assert_frame_equal(spark_matcher.blocking_plan_, pandas_matcher.blocking_plan_)
    _assert_same_model(pandas_matcher, spark_matcher)
    assert _link_labels(labels) == _link_labels(expected)


def test_spark_other_with_pandas_records_is_refused_plainly(spark: Any) -> None:
    people = _people(np.random.default_rng(1), 3)
    with pytest.raises(DataContractError, match="pass the Spark DataFrame as records") as error:
        RecordMatcher(SMALL, progress=False).fit(people, _spark_frame(spark, people))
    assert error.value.column == "records"


def test_dedupe_on_the_cluster_is_the_pandas_dedupe(cluster: Any) -> None:
    people = _people(np.random.default_rng(7), 15)
    pandas_matcher = RecordMatcher(SMALL, progress=False)
    expected = pandas_matcher.fit_predict(people)
    spark_matcher = RecordMatcher(SMALL, progress=False)
    got = spark_matcher.fit_predict(_spark_frame(cluster, people)).toPandas()
    _assert_same_model(pandas_matcher, spark_matcher)
    labels = got.set_index("id")["customer_id"]
    assert labels.sort_index().tolist() == expected.sort_index().astype(str).tolist()
