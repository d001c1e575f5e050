"""The differentiate room on Spark gives the pandas path's tables, scores, tiers and predictions.

The pandas path is the oracle: every test runs both on the same data and
compares the frames exactly (the Spark frame's ``customer_id`` column is the
pandas index).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from one2one._spark import is_spark_frame, spark_attrs
from one2one.datasets import load_cdnow_transactions
from one2one.differentiate import (
    ClassTransformationUplift,
    NeedsSegmenter,
    TwoModelUplift,
    lorenz_curve,
    rfm_scores,
    rfm_segments,
    rfm_table,
    tier_report,
    value_tiers,
)
from one2one.errors import DataContractError, DataWarning, NotFittedError

# Every example is a few Spark jobs: few examples, and no long shrinking on a shared machine.
SLOW = settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _keyed(frame: Any, key: str = "customer_id") -> pd.DataFrame:
    """A Spark result as the pandas path returns it: indexed by the key, sorted."""
    assert is_spark_frame(frame)
    return frame.toPandas().set_index(key).sort_index()


def _spark_of(spark: Any, frame: pd.DataFrame) -> Any:
    return spark.createDataFrame(frame.reset_index() if frame.index.name else frame)


def _same(spark_result: pd.DataFrame, pandas_result: pd.DataFrame) -> None:
    expected = pandas_result.sort_index()
    for column in expected.columns:
        if isinstance(expected[column].dtype, pd.CategoricalDtype) or expected[column].dtype in (
            object,
            "str",
            "string",
        ):
            expected[column] = expected[column].astype(str).astype(object)
            spark_result[column] = spark_result[column].astype(str).astype(object)
    expected.attrs = {}
    pd.testing.assert_frame_equal(spark_result, expected, check_index_type=False)


def _run(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    return result, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_transactions()


def test_rfm_table_scores_and_tiers_match_pandas_on_cdnow(spark: Any, cdnow: pd.DataFrame) -> None:
    log = _spark_of(spark, cdnow)
    expected = rfm_table(cdnow, tz="America/Los_Angeles")
    table = rfm_table(log, tz="America/Los_Angeles")
    assert spark_attrs(table) == expected.attrs
    _same(_keyed(table), expected)

    _same(_keyed(rfm_scores(table, bins=5)), rfm_scores(expected, bins=5))

    values = expected[["monetary"]].rename(columns={"monetary": "actual_value"})
    values["cost_to_serve"] = np.where(values.index % 7 == 0, 40.0, 5.0)
    tiers = value_tiers(_spark_of(spark, values), most_valuable_share=0.1)
    pandas_tiers = value_tiers(values, most_valuable_share=0.1)
    _same(_keyed(tiers), pandas_tiers)
    report = tier_report(tiers)
    pd.testing.assert_frame_equal(report, tier_report(pandas_tiers), check_exact=False, rtol=1e-12)


def test_refunds_orders_and_warnings_match_pandas(spark: Any) -> None:
    at = pd.to_datetime(
        [
            "2024-03-01 23:30",
            "2024-03-02 01:00",
            "2024-03-02 02:00",
            "2024-03-05 10:00",
            "2024-03-05 11:00",
            "2024-03-06 09:00",
            "2024-03-07 09:00",
            "2024-03-08 09:00",
        ],
        utc=True,
    )
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "c", "c", "d"],
            "occurred_at": at,
            "value": [10.0, 5.005, -5.005, 20.0, -20.0, 7.5, -9.0, -3.0],
            "order_id": ["o1", "o2", "o2", "o3", "o3", None, None, None],
            "currency": ["EUR"] * 8,
        }
    )
    expected, expected_warnings = _run(rfm_table, log, tz="Europe/Paris", as_of="2024-03-10 12:00")
    table, table_warnings = _run(
        rfm_table, _spark_of(spark, log), tz="Europe/Paris", as_of="2024-03-10 12:00"
    )
    with pytest.warns(DataWarning) as caught:  # pointed at the caller, as pandas' are
        rfm_table(_spark_of(spark, log), tz="Europe/Paris", as_of="2024-03-10 12:00")
    assert {w.filename for w in caught if w.category is DataWarning} == {__file__}
    assert table_warnings == expected_warnings
    assert len(expected_warnings) == 2
    _same(_keyed(table), expected)


def test_naive_spark_timestamps_need_assume_tz_and_then_match(spark: Any) -> None:
    log = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "occurred_at": pd.to_datetime(
                ["2024-01-01 23:00", "2024-01-02 01:00", "2024-01-05 00:00"]
            ),
            "value": [3.0, 4.0, 5.0],
        }
    )
    # TIMESTAMP_NTZ: wall times as written, in no zone (pandas' naive datetimes)
    naive = spark.createDataFrame(
        [(1, "2024-01-01 23:00:00", 3.0), (1, "2024-01-02 01:00:00", 4.0), (2, "2024-01-05", 5.0)],
        "customer_id long, occurred_at string, value double",
    ).selectExpr("customer_id", "CAST(occurred_at AS TIMESTAMP_NTZ) AS occurred_at", "value")
    with pytest.raises(DataContractError, match="naive") as error:
        rfm_table(naive)
    assert error.value.column == "occurred_at"
    # 02:30 on 10 March 2024 never happened in New York: an executor finds it, the driver says it
    gap = spark.createDataFrame(
        [(1, "2024-03-10 02:30:00", 3.0), (2, "2024-03-11 00:00:00", 5.0)],
        "customer_id long, occurred_at string, value double",
    ).selectExpr("customer_id", "CAST(occurred_at AS TIMESTAMP_NTZ) AS occurred_at", "value")
    with pytest.raises(DataContractError, match="cannot be read") as error:
        rfm_table(gap, assume_tz="America/New_York")
    assert (error.value.column, error.value.value) == ("occurred_at", "America/New_York")
    expected = rfm_table(log, assume_tz="Asia/Tokyo", tz="Asia/Tokyo")
    _same(_keyed(rfm_table(naive, assume_tz="Asia/Tokyo", tz="Asia/Tokyo")), expected)


@pytest.mark.parametrize(
    ("change", "column", "match"),
    [
        (lambda f: f.drop("value"), "value", "missing required column"),
        (
            lambda f: f.selectExpr(
                "customer_id", "occurred_at", "IF(value > 6, NULL, value) AS value"
            ),
            "value",
            "missing value",
        ),
        (
            lambda f: f.selectExpr("*", "IF(value > 6, 'USD', 'EUR') AS currency"),
            "currency",
            "2 currencies",
        ),
        (
            lambda f: f.selectExpr(
                "customer_id", "CAST(occurred_at AS STRING) AS occurred_at", "value"
            ),
            "occurred_at",
            "timestamps",
        ),
    ],
)
def test_bad_logs_are_refused_naming_the_column(
    spark: Any, change: Any, column: str, match: str
) -> None:
    log = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "occurred_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05"], utc=True),
            "value": [5.0, 6.0, 7.0],
        }
    )
    with pytest.raises(DataContractError, match=match) as error:
        rfm_table(change(_spark_of(spark, log)))
    assert error.value.column == column


def test_a_log_after_as_of_is_refused(spark: Any) -> None:
    log = pd.DataFrame(
        {
            "customer_id": [1],
            "occurred_at": pd.to_datetime(["2024-01-05"], utc=True),
            "value": [5.0],
        }
    )
    with pytest.raises(DataContractError, match="as_of") as error:
        rfm_table(_spark_of(spark, log), as_of="2024-01-01")
    assert error.value.column == "occurred_at"


_days = st.integers(0, 6)
_values = st.sampled_from([0.0, 1.0, 2.5, 2.5, 10.0, -2.5, -1.0, 0.005])


@SLOW
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["x", "y", "z"]), _days, st.integers(0, 23), _values),
        min_size=1,
        max_size=14,
    )
)
def test_rfm_table_matches_pandas_on_random_logs(spark: Any, rows: list[Any]) -> None:
    log = pd.DataFrame(rows, columns=["customer_id", "day", "hour", "value"])
    log["occurred_at"] = (
        pd.Timestamp("2024-03-30", tz="UTC")
        + pd.to_timedelta(log.pop("day"), unit="D")
        + pd.to_timedelta(log.pop("hour"), unit="h")
    )
    refused = None
    try:
        expected, expected_warnings = _run(rfm_table, log, tz="Europe/London")
    except DataContractError as error:  # every sale refunded: nobody to score
        refused = str(error)
    if refused is not None:
        with pytest.raises(DataContractError, match="nobody to score"):
            rfm_table(_spark_of(spark, log), tz="Europe/London")
        assert "nobody to score" in refused
        return
    table, table_warnings = _run(rfm_table, _spark_of(spark, log), tz="Europe/London")
    assert table_warnings == expected_warnings
    _same(_keyed(table), expected)


@SLOW
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from([0.0, 1.0, 1.0, 3.5, 30.0]),
            st.integers(1, 4),
            st.sampled_from([-5.0, 0.0, 9.99, 9.99, 120.0]),
        ),
        min_size=1,
        max_size=25,
    ),
    bins=st.integers(2, 7),
)
def test_rfm_scores_match_pandas_with_ties(spark: Any, rows: list[Any], bins: int) -> None:
    table = pd.DataFrame(rows, columns=["recency_days", "purchases", "monetary"])
    table.index = pd.Index([f"c{i}" for i in range(len(table))], name="customer_id")
    scored = rfm_scores(_spark_of(spark, table), bins=bins)
    _same(_keyed(scored), rfm_scores(table, bins=bins))


def test_rfm_scores_refuse_negative_recency_and_segments_match(spark: Any) -> None:
    table = pd.DataFrame(
        {"recency_days": [1.0, 30, 300, 5], "purchases": [9, 3, 1, 1], "monetary": [5.0, 8, 2, 2]},
        index=pd.Index(["a", "b", "c", "d"], name="customer_id"),
    )
    bad = table.assign(recency_days=[1.0, -2.0, 3.0, 4.0])
    with pytest.raises(DataContractError, match=">= 0") as error:
        rfm_scores(_spark_of(spark, bad))
    assert (error.value.column, error.value.value, error.value.row) == ("recency_days", -2.0, "b")
    pandas_scores = rfm_scores(table, bins=3)
    segments = rfm_segments(rfm_scores(_spark_of(spark, table), bins=3))
    got = _keyed(segments)["segment"]
    pd.testing.assert_series_equal(
        got.astype(object), rfm_segments(pandas_scores).sort_index().astype(object)
    )


@SLOW
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from([-3.0, 0.0, 5.0, 5.0, 12.5, 100.0]),
            st.sampled_from([0.0, 5.0, 20.0, 200.0]),
            st.sampled_from([0.0, 1.0, 7.5]),
        ),
        min_size=1,
        max_size=20,
    ),
    shares=st.tuples(st.sampled_from([0.0, 0.1, 0.2, 0.5, 1.0]), st.sampled_from([0.0, 0.2, 1.0])),
)
def test_value_tiers_match_pandas_with_ties(
    spark: Any, rows: list[Any], shares: tuple[float, float]
) -> None:
    values = pd.DataFrame(rows, columns=["actual_value", "potential_value", "cost_to_serve"])
    values.index = pd.Index(range(100, 100 + len(values)), name="customer_id")
    kwargs = {"most_valuable_share": shares[0], "most_growable_share": shares[1]}
    tiers = value_tiers(_spark_of(spark, values), **kwargs)
    pandas_tiers = value_tiers(values, **kwargs)
    _same(_keyed(tiers), pandas_tiers)
    pd.testing.assert_frame_equal(
        tier_report(tiers), tier_report(pandas_tiers), check_exact=False, rtol=1e-12
    )


def test_value_tiers_refuse_a_customer_twice(spark: Any) -> None:
    values = pd.DataFrame({"customer_id": [1, 2, 2], "actual_value": [1.0, 2.0, 3.0]})
    with pytest.raises(DataContractError, match="twice") as error:
        value_tiers(spark.createDataFrame(values))
    assert (error.value.column, error.value.value) == ("customer_id", 2)


def _features(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "visits": np.r_[rng.normal(0, 1, n // 2), rng.normal(5, 1, n - n // 2)],
            "spend": rng.normal(10, 3, n),
        }
    )
    frame.index = pd.Index(range(n), name="customer_id")
    return frame


def test_fitted_models_score_spark_frames_as_pandas(spark: Any) -> None:
    features = _features(400, 0)
    segmenter = NeedsSegmenter(n_segments=3, random_state=0).fit(features)
    scored = _keyed(segmenter.predict(_spark_of(spark, features)))
    expected = pd.Series(segmenter.predict(features), index=features.index, name="segment")
    pd.testing.assert_series_equal(scored["segment"], expected.astype(np.int64))

    rng = np.random.default_rng(1)
    treatment = rng.integers(0, 2, len(features))
    response = (rng.random(len(features)) < 0.2 + 0.1 * treatment).astype(int)
    for model in (TwoModelUplift(), ClassTransformationUplift()):
        model.fit(features, response, treatment)
        got = _keyed(model.predict(_spark_of(spark, features)))["uplift"]
        np.testing.assert_array_equal(got.to_numpy(), model.predict(features))


def test_scoring_refuses_a_missing_feature_naming_it(spark: Any) -> None:
    features = _features(40, 2)
    segmenter = NeedsSegmenter(n_segments=2, random_state=0).fit(features)
    holed = _spark_of(spark, features).selectExpr(
        "customer_id", "visits", "IF(customer_id = 7, NULL, spend) AS spend"
    )
    with pytest.raises(DataContractError, match="missing") as error:
        segmenter.predict(holed)
    assert (error.value.column, error.value.row) == ("spend", 7)
    with pytest.raises(DataContractError, match="visits"):
        segmenter.predict(_spark_of(spark, features).drop("visits"))


def test_rfm_on_the_cluster_matches_pandas(cluster: Any) -> None:
    log = load_cdnow_transactions("sample")
    expected = rfm_table(log)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        table = rfm_table(_spark_of(cluster, log))
    _same(_keyed(table), expected)
    _same(_keyed(rfm_scores(table, bins=4)), rfm_scores(expected, bins=4))


def test_segment_probabilities_on_spark_are_the_pandas_ones(spark: Any) -> None:
    features = _features(300, 4)
    segmenter = NeedsSegmenter(method="gmm", n_segments=3, random_state=0).fit(features)
    scored = segmenter.predict_proba(_spark_of(spark, features))
    assert list(scored.columns) == ["customer_id", "proba_0", "proba_1", "proba_2"]
    got = _keyed(scored)
    expected = segmenter.predict_proba(features)
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12, atol=0)
    with pytest.raises(NotFittedError):
        NeedsSegmenter(method="gmm").predict_proba(_spark_of(spark, features))
    with pytest.raises(DataContractError, match="proba_1") as taken:
        segmenter.predict_proba(_spark_of(spark, features.assign(proba_1=1.0)))
    assert taken.value.column == "proba_1"


@settings(SLOW, max_examples=12)
@given(
    values=st.lists(
        st.one_of(
            st.sampled_from([0.0, 1.0, 2.5, 10.0, -3.0]),
            st.floats(-50, 1e6, allow_nan=False, allow_infinity=False),
        ),
        min_size=1,
        max_size=30,
    ),
    points=st.sampled_from([None, 2, 3, 7, 40]),
)
def test_lorenz_curve_on_spark_is_the_pandas_curve(
    spark: Any, values: list[float], points: int | None
) -> None:
    series = pd.Series(values, dtype=float)
    frame = spark.createDataFrame(pd.DataFrame({"net_value": series}))
    try:
        expected = lorenz_curve(series, points=points or 101)
    except DataContractError as refused:
        message = str(refused)
    else:
        message = None
    if message is not None:
        assert series.sum() <= 0
        with pytest.raises(DataContractError, match="positive total"):
            lorenz_curve(frame, points=points)
        return
    got = lorenz_curve(frame, points=points)
    assert len(got) == min(points or 101, len(series) + 1)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, atol=1e-15)


def test_lorenz_curve_on_spark_refuses_as_pandas(spark: Any) -> None:
    frame = pd.DataFrame({"net_value": [3.0, np.nan, 1.0], "tier": ["a", "b", "c"]})
    for bad in (frame["net_value"], frame["net_value"].fillna(np.inf)):
        with pytest.raises(DataContractError) as from_pandas:
            lorenz_curve(bad)
        with pytest.raises(DataContractError) as from_spark:
            lorenz_curve(spark.createDataFrame(bad.to_frame()))
        assert str(from_spark.value) == str(from_pandas.value)
        assert from_spark.value.value == from_pandas.value.value
    empty = spark.createDataFrame([], "net_value double")
    with pytest.raises(DataContractError, match="non-empty"):
        lorenz_curve(empty)
    with pytest.raises(DataContractError, match="one column"):
        lorenz_curve(spark.createDataFrame(frame))
    with pytest.raises(DataContractError, match="numeric"):
        lorenz_curve(spark.createDataFrame(frame[["tier"]]))
    with pytest.raises(DataContractError) as few:
        lorenz_curve(spark.createDataFrame(frame.fillna(2.0)[["net_value"]]), points=1)
    assert few.value.column == "points"


def test_probabilities_and_value_curve_on_the_cluster(cluster: Any) -> None:
    features = _features(200, 5)
    segmenter = NeedsSegmenter(method="gmm", n_segments=2, random_state=0).fit(features)
    got = _keyed(segmenter.predict_proba(_spark_of(cluster, features)))
    np.testing.assert_allclose(got.to_numpy(), segmenter.predict_proba(features), rtol=1e-12)
    values = features.assign(value=(features["spend"] * 3).round(2))[["value"]]
    curve = lorenz_curve(_spark_of(cluster, values).select("value"), points=11)
    expected = lorenz_curve(values["value"], points=11)
    pd.testing.assert_frame_equal(curve, expected, check_exact=False, rtol=1e-12)


def test_lorenz_curve_sums_across_sorted_partitions(spark: Any) -> None:
    # Many distinct values, partitions not coalesced: the running sums cross partitions.
    rng = np.random.default_rng(7)
    values = pd.Series(np.r_[rng.integers(0, 40, 300), rng.normal(50, 20, 300)], dtype=float)
    frame = spark.createDataFrame(pd.DataFrame({"clv": values})).repartition(5)
    previous = spark.conf.get("spark.sql.adaptive.coalescePartitions.enabled")
    spark.conf.set("spark.sql.adaptive.coalescePartitions.enabled", "false")
    try:
        for points in (None, 2, 601, 1000):
            got = lorenz_curve(frame, points=points)
            expected = lorenz_curve(values, points=points or 101)
            pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    finally:
        spark.conf.set("spark.sql.adaptive.coalescePartitions.enabled", previous)
