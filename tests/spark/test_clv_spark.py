"""The clv room on Spark: the same summaries, fits and scores as the pandas path (the oracle)."""

from __future__ import annotations

import warnings
from functools import partial
from typing import Any
from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from one2one._spark import is_spark_frame, spark_attrs
from one2one.clv import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeometricModel,
    customer_lifetime_value,
    discrete_summary,
    rfm_summary,
)
from one2one.clv import _spark as clv_spark
from one2one.datasets import load_cdnow_transactions, load_donations, load_retention_cohorts
from one2one.errors import DataContractError, DataWarning, NotFittedError

MODELS = [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel]


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """A third of CDNOW's customers (every transaction of each), to keep each job short."""
    tx = load_cdnow_transactions()
    codes = pd.factorize(tx["customer_id"], sort=True)[0]
    return tx[codes % 3 == 0].reset_index(drop=True)


def to_spark(spark: Any, frame: pd.DataFrame) -> Any:
    """A Spark frame of ``frame``, its times as instants (TIMESTAMP) or wall times (NTZ)."""
    return spark.createDataFrame(frame)


def collect(frame: Any) -> pd.DataFrame:
    """A Spark summary as the pandas one: indexed by customer_id, sorted, same dtypes."""
    result = frame.toPandas().set_index("customer_id").sort_index()
    result.attrs = {}
    return result


def pandas_view(frame: pd.DataFrame) -> pd.DataFrame:
    result = frame.copy()
    result.attrs = {}
    return result


def run_both(
    spark: Any, tx: pd.DataFrame, **kwargs: Any
) -> tuple[pd.DataFrame, Any, list[str], list[str]]:
    """The pandas and the Spark summary of ``tx``, and the warnings each gave."""
    with warnings.catch_warnings(record=True) as seen_pandas:
        warnings.simplefilter("always")
        expected = rfm_summary(tx, **kwargs)
    frame = to_spark(spark, tx)
    with warnings.catch_warnings(record=True) as seen_spark:
        warnings.simplefilter("always")
        result = rfm_summary(frame, **kwargs)
    return (
        expected,
        result,
        [str(w.message) for w in seen_pandas if w.category is DataWarning],
        [str(w.message) for w in seen_spark if w.category is DataWarning],
    )


def test_cdnow_summary_is_the_pandas_summary(spark: Any, cdnow: pd.DataFrame) -> None:
    expected, result, _, _ = run_both(
        spark, cdnow, freq="D", time_unit="W", calibration_end="1997-09-30"
    )
    assert is_spark_frame(result)
    assert spark_attrs(result) == expected.attrs
    got = collect(result)
    pd.testing.assert_frame_equal(got, pandas_view(expected), check_index_type=False)


def test_groups_of_customers_give_the_same_summary(
    spark: Any, cdnow: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clv_spark, "_ROWS_PER_GROUP", 2_000)  # about a dozen groups
    expected, result, _, _ = run_both(spark, cdnow, freq="W")
    pd.testing.assert_frame_equal(collect(result), pandas_view(expected), check_index_type=False)


ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]


@st.composite
def transaction_logs(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, Any]]:
    n = draw(st.integers(1, 25))
    customers = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=n, max_size=n))
    hours = draw(st.lists(st.integers(0, 24 * 120), min_size=n, max_size=n))
    amounts = draw(
        st.lists(
            st.sampled_from([5.0, 12.5, 0.0, 19.99, -5.0, -12.5, -30.0]), min_size=n, max_size=n
        )
    )
    orders = draw(st.lists(st.sampled_from([None, 1.0, 2.0, 3.0]), min_size=n, max_size=n))
    start = pd.Timestamp("2024-01-01", tz="UTC")
    tx = pd.DataFrame(
        {
            "customer_id": customers,
            "occurred_at": start + pd.to_timedelta(hours, unit="h"),
            "value": amounts,
            "order_id": orders,
        }
    )
    kwargs: dict[str, Any] = {
        "freq": draw(st.sampled_from(["D", "W", "M"])),
        "tz": draw(st.sampled_from(ZONES)),
        "returns": draw(st.sampled_from(["net", "ignore"])),
    }
    if draw(st.booleans()):
        kwargs["calibration_end"] = start + pd.Timedelta(days=draw(st.integers(0, 60)))
    return tx, kwargs


def pandas_error(tx: pd.DataFrame, kwargs: dict[str, Any]) -> str | None:
    """The message of the DataContractError the pandas summary raises, if it raises one."""
    try:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            rfm_summary(tx, **kwargs)
    except DataContractError as exc:
        return str(exc)
    return None


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=transaction_logs(), per_group=st.sampled_from([4, 1_000]))
def test_random_logs_summarise_as_pandas(
    spark: Any, case: tuple[pd.DataFrame, dict[str, Any]], per_group: int
) -> None:
    tx, kwargs = case
    refused = pandas_error(tx, kwargs)
    with patch.object(clv_spark, "_ROWS_PER_GROUP", per_group):  # several groups, or one
        if refused is not None:
            with pytest.raises(DataContractError) as raised:
                run_both(spark, tx, **kwargs)
            assert str(raised.value) == refused
            return
        expected, result, said_pandas, said_spark = run_both(spark, tx, **kwargs)
    assert said_spark == said_pandas
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        rfm_summary(to_spark(spark, tx), **kwargs)
    assert {w.filename for w in seen if w.category is DataWarning} <= {__file__}
    pd.testing.assert_frame_equal(collect(result), pandas_view(expected), check_index_type=False)
    assert spark_attrs(result) == expected.attrs


def test_naive_times_need_assume_tz_as_in_pandas(spark: Any) -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2],
            "occurred_at": pd.to_datetime(
                ["2024-03-01 23:30", "2024-03-10 02:30", "2024-03-02 00:00", "2024-04-01 00:00"]
            ),
            "value": [10.0, 20.0, 5.0, 7.5],
        }
    )
    frame = spark.createDataFrame(
        tx, schema="customer_id long, occurred_at timestamp_ntz, value double"
    )
    with pytest.raises(DataContractError, match="naive") as raised:
        rfm_summary(frame)
    assert raised.value.column == "occurred_at"
    kwargs = {"assume_tz": "Europe/Paris", "tz": "Asia/Tokyo", "freq": "D"}
    expected = rfm_summary(tx, **kwargs)
    result = rfm_summary(frame, **kwargs)
    pd.testing.assert_frame_equal(collect(result), pandas_view(expected), check_index_type=False)


def test_a_naive_time_in_a_dst_gap_is_the_pandas_error(spark: Any) -> None:
    # 2024-03-10 02:30 does not exist in New York: pandas refuses it; the Spark path
    # finds it on an executor and must raise the same typed error on the driver.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "occurred_at": pd.to_datetime(
                ["2024-03-01 10:00", "2024-03-10 02:30", "2024-03-02 09:00"]
            ),
            "value": [10.0, 20.0, 5.0],
        }
    )
    frame = spark.createDataFrame(
        tx, schema="customer_id long, occurred_at timestamp_ntz, value double"
    )
    with pytest.raises(DataContractError) as expected:
        rfm_summary(tx, assume_tz="America/New_York")
    with pytest.raises(DataContractError) as raised:
        rfm_summary(frame, assume_tz="America/New_York")
    assert raised.value.column == expected.value.column == "occurred_at"
    assert str(raised.value) == str(expected.value)


def test_errors_name_the_column_and_value(spark: Any) -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "occurred_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
            "value": [1.0, None, 3.0],
        }
    )
    with pytest.raises(DataContractError) as from_pandas:
        rfm_summary(tx)
    with pytest.raises(DataContractError) as from_spark:
        rfm_summary(spark.createDataFrame(tx))
    assert from_spark.value.column == from_pandas.value.column == "value"
    with pytest.raises(DataContractError) as missing_pandas:
        rfm_summary(tx.drop(columns="value"))
    with pytest.raises(DataContractError) as missing_spark:
        rfm_summary(spark.createDataFrame(tx.drop(columns="value")))
    assert str(missing_spark.value) == str(missing_pandas.value)
    two = tx.fillna(2.0).assign(currency=["EUR", "USD", "EUR"])
    with pytest.raises(DataContractError) as currencies_pandas:
        rfm_summary(two)
    with pytest.raises(DataContractError) as currencies_spark:
        rfm_summary(spark.createDataFrame(two))
    assert str(currencies_spark.value) == str(currencies_pandas.value)
    text_times = tx.fillna(2.0).assign(occurred_at=["2024-01-01", "x", "2024-01-03"])
    for bad in (tx.fillna(np.inf), text_times):
        with pytest.raises(DataContractError) as bad_pandas:
            rfm_summary(bad)
        with pytest.raises(DataContractError) as bad_spark:
            rfm_summary(spark.createDataFrame(bad))
        assert bad_spark.value.column == bad_pandas.value.column
        assert bad_spark.value.value == bad_pandas.value.value
    refunds = tx.fillna(-2.0)
    with pytest.raises(DataContractError, match=r"-2\.0") as refused:
        rfm_summary(spark.createDataFrame(refunds), returns="error")
    assert refused.value.column == "value"


def test_discrete_summary_and_its_fit_are_the_pandas_ones(spark: Any, cdnow: pd.DataFrame) -> None:
    expected = discrete_summary(cdnow, freq="M")
    result = discrete_summary(spark.createDataFrame(cdnow), freq="M")
    got = result.toPandas()
    pd.testing.assert_frame_equal(got, pandas_view(expected))
    assert spark_attrs(result) == expected.attrs
    fitted = BetaGeoBetaBinomModel().fit(result)
    close(fitted.params_, BetaGeoBetaBinomModel().fit(expected).params_)
    assert fitted.period_ == "M"


@pytest.fixture(scope="module")
def summaries(spark: Any, cdnow: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
    """CDNOW's weekly summary, pandas and Spark."""
    expected = rfm_summary(cdnow, freq="D", time_unit="W")
    return expected, rfm_summary(spark.createDataFrame(cdnow), freq="D", time_unit="W")


def close(a: pd.Series, b: pd.Series, rtol: float = 1e-8) -> None:
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=rtol)


@pytest.mark.parametrize("model", [*MODELS, GammaGammaModel])
def test_fits_on_spark_give_the_pandas_parameters(
    summaries: tuple[pd.DataFrame, Any], model: type[Any]
) -> None:
    expected, frame = summaries
    from_pandas = model().fit(expected)
    from_spark = model().fit(frame)
    close(from_spark.params_, from_pandas.params_)
    assert from_spark.period_ == from_pandas.period_ == "W"
    assert from_spark.n_obs_ == from_pandas.n_obs_


@pytest.mark.parametrize("model", MODELS)
def test_scores_on_spark_are_the_pandas_scores(
    summaries: tuple[pd.DataFrame, Any], model: type[Any]
) -> None:
    expected, frame = summaries
    fitted = model().fit(expected)
    spend = GammaGammaModel().fit(expected)
    pandas_scores = pd.concat(
        [
            fitted.predict(expected, 10, interval="delta"),
            spend.predict_spend(expected),
            customer_lifetime_value(fitted, spend, expected, horizon="52W")["clv"],
        ],
        axis=1,
    )
    spark_scores = (
        fitted.predict(frame, 10, interval="delta")
        .join(spend.predict_spend(frame), "customer_id")
        .join(
            customer_lifetime_value(fitted, spend, frame, horizon="52W").select(
                "customer_id", "clv"
            ),
            "customer_id",
        )
    )
    got = collect(spark_scores)
    for column in pandas_scores.columns:
        close(got[column], pandas_scores[column], rtol=1e-12)
    alive = collect(fitted.predict_proba_alive(frame))["p_alive"]
    close(alive, fitted.predict_proba_alive(expected), rtol=1e-12)


def test_clv_carries_its_attrs_and_refuses_the_bootstrap(
    summaries: tuple[pd.DataFrame, Any],
) -> None:
    expected, frame = summaries
    fitted, spend = BetaGeoModel().fit(expected), GammaGammaModel().fit(expected)
    result = customer_lifetime_value(fitted, spend, frame, horizon="52W", interval="delta")
    pandas_result = customer_lifetime_value(
        fitted, spend, expected, horizon="52W", interval="delta"
    )
    assert spark_attrs(result) == pandas_result.attrs
    assert list(result.columns) == ["customer_id", *pandas_result.columns]
    with pytest.raises(DataContractError, match="bootstrap") as refused:
        fitted.predict(frame, 10, interval="bootstrap")
    assert refused.value.column == "interval"


def test_scoring_a_frame_without_a_column_is_the_pandas_error(
    summaries: tuple[pd.DataFrame, Any],
) -> None:
    expected, frame = summaries
    fitted = BetaGeoModel().fit(expected)
    with pytest.raises(DataContractError) as from_pandas:
        fitted.predict_proba_alive(expected.drop(columns="recency"))
    with pytest.raises(DataContractError) as from_spark:
        fitted.predict_proba_alive(frame.drop("recency"))
    assert str(from_spark.value) == str(from_pandas.value)
    with pytest.raises(DataContractError) as fit_spark:
        BetaGeoModel().fit(frame.drop("T"))
    with pytest.raises(DataContractError) as fit_pandas:
        BetaGeoModel().fit(expected.drop(columns="T"))
    assert str(fit_spark.value) == str(fit_pandas.value)


def test_summary_fit_and_value_on_the_cluster(cluster: Any, cdnow: pd.DataFrame) -> None:
    sample = cdnow[pd.factorize(cdnow["customer_id"])[0] % 4 == 0]
    expected = rfm_summary(sample, freq="W", calibration_end="1997-12-31")
    frame = rfm_summary(cluster.createDataFrame(sample), freq="W", calibration_end="1997-12-31")
    pd.testing.assert_frame_equal(collect(frame), pandas_view(expected), check_index_type=False)
    fitted, spend = BetaGeoModel().fit(frame), GammaGammaModel().fit(frame)
    close(fitted.params_, BetaGeoModel().fit(expected).params_)
    value = collect(customer_lifetime_value(fitted, spend, frame, horizon="26W"))
    oracle = customer_lifetime_value(fitted, spend, expected, horizon="26W")
    for column in oracle.columns:
        close(value[column], oracle[column], rtol=1e-12)


# ------------------------------------------------------------------ BG/BB scores
@pytest.fixture(scope="module")
def bgbb() -> BetaGeoBetaBinomModel:
    """BG/BB fitted to the donations of Fader, Hardie & Shang (2010), on pandas."""
    return BetaGeoBetaBinomModel().fit(load_donations())


def by_pattern(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["frequency", "recency", "n_periods"], ignore_index=True)


def test_bgbb_scores_a_spark_discrete_summary_as_pandas(
    spark: Any, cdnow: pd.DataFrame, bgbb: BetaGeoBetaBinomModel
) -> None:
    expected = discrete_summary(cdnow, freq="M")
    frame = discrete_summary(spark.createDataFrame(cdnow), freq="M")
    oracle = by_pattern(expected.join(bgbb.predict(expected, 6)))
    result = bgbb.predict(frame, 6)
    assert is_spark_frame(result)
    got = by_pattern(result.toPandas())
    assert list(got.columns) == list(oracle.columns)
    pd.testing.assert_frame_equal(got[list(expected.columns)], pandas_view(expected))
    for column in ("p_alive", "expected_purchases"):
        close(got[column], oracle[column], rtol=1e-12)
    alive = by_pattern(bgbb.predict_proba_alive(frame).toPandas())
    close(alive["p_alive"], oracle["p_alive"], rtol=1e-12)
    bought = by_pattern(bgbb.predict_purchases(frame, 3).toPandas())
    close(bought["expected_purchases"], bgbb.predict_purchases(by_pattern(expected), 3), 1e-12)


@st.composite
def discrete_customers(draw: st.DrawFn) -> pd.DataFrame:
    """Per-customer BG/BB summaries, valid but for up to three rows that break a rule."""
    n = draw(st.integers(1, 12))
    rows = []
    for _ in range(n):
        n_periods = draw(st.integers(0, 8))
        recency = draw(st.integers(0, n_periods))
        frequency = draw(st.integers(min(recency, 1), recency))
        rows.append((frequency, recency, n_periods))
    frame = pd.DataFrame(rows, columns=["frequency", "recency", "n_periods"])
    frame.index = pd.Index([f"c{i}" for i in range(n)], name="customer_id")
    kinds = st.sampled_from(["late", "too_many", "no_last"])
    for kind, at in draw(st.lists(st.tuples(kinds, st.integers(0, n - 1)), max_size=3)):
        x, tx, periods = (int(v) for v in frame.iloc[at])
        frame.iloc[at] = {
            "late": (x, periods + 1, periods),
            "too_many": (tx + 1, tx, max(periods, tx)),
            "no_last": (0, 1, max(periods, 1)),
        }[kind]
    return frame.astype(np.int64)


def bgbb_error(
    model: BetaGeoBetaBinomModel, customers: pd.DataFrame, t: int
) -> tuple[str, str | None, object, object] | None:
    """The message, column, row and value of the error pandas raises scoring ``customers``."""
    try:
        model.predict(customers, t)
    except DataContractError as error:
        return str(error), error.column, error.row, error.value
    return None


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customers=discrete_customers(), t=st.integers(0, 5))
def test_random_discrete_customers_score_or_fail_as_pandas(
    spark: Any, bgbb: BetaGeoBetaBinomModel, customers: pd.DataFrame, t: int
) -> None:
    frame = spark.createDataFrame(customers.reset_index())
    customers = customers.sort_index()  # Spark reports the first offender in customer_id order
    refused = bgbb_error(bgbb, customers, t)
    if refused is not None:
        with pytest.raises(DataContractError) as raised:
            bgbb.predict(frame, t)
        assert (str(raised.value), raised.value.column, raised.value.row) == refused[:3]
        assert raised.value.value == refused[3]
        return
    expected = bgbb.predict(customers, t)
    got = collect(bgbb.predict(frame, t))
    assert list(got.columns) == list(expected.columns)
    for column in expected.columns:
        close(got[column], expected[column].sort_index(), rtol=1e-12)


def test_bgbb_on_spark_refuses_as_pandas_before_any_job(
    spark: Any, bgbb: BetaGeoBetaBinomModel
) -> None:
    patterns = load_donations()
    frame = spark.createDataFrame(patterns)
    with pytest.raises(NotFittedError):
        BetaGeoBetaBinomModel().predict(frame, 3)
    with pytest.raises(DataContractError) as from_pandas:
        bgbb.predict(patterns.drop(columns="n_periods"), 3)
    with pytest.raises(DataContractError) as from_spark:
        bgbb.predict(frame.drop("n_periods"), 3)
    assert str(from_spark.value) == str(from_pandas.value)
    with pytest.raises(DataContractError) as bad_t:
        bgbb.predict_purchases(frame, -1)
    assert bad_t.value.column == "t"
    customers = patterns.drop(columns="weight").astype(float)
    customers.index = pd.Index([f"c{i:02d}" for i in range(len(customers))], name="customer_id")
    for column, value in (("frequency", 0.5), ("recency", np.nan), ("n_periods", -1.0)):
        broken = customers.copy()
        broken.loc[["c03", "c07"], column] = value
        with pytest.raises(DataContractError) as from_pandas:
            bgbb.predict(broken, 3)
        with pytest.raises(DataContractError) as from_spark:
            bgbb.predict(spark.createDataFrame(broken.reset_index()), 3)
        assert from_spark.value.column == from_pandas.value.column == column
        assert from_spark.value.row == from_pandas.value.row == "c03"
    text = customers.reset_index().astype({"n_periods": str})
    with pytest.raises(DataContractError, match="numeric") as not_numbers:
        bgbb.predict(spark.createDataFrame(text), 3)
    assert not_numbers.value.column == "n_periods"


def test_sbg_fits_a_spark_survivor_table_as_pandas(spark: Any) -> None:
    # A survivor table has a row per cohort and period, never per customer: the
    # Spark path collects it and fits it as pandas does (predictions take periods,
    # not frames, so there is nothing to score on Spark).
    table = load_retention_cohorts()
    frame = spark.createDataFrame(table.sample(frac=1.0, random_state=3))
    close(
        ShiftedBetaGeometricModel().fit(frame).params_,
        ShiftedBetaGeometricModel().fit(table).params_,
    )
    with pytest.raises(DataContractError) as from_pandas:
        ShiftedBetaGeometricModel().fit(table.assign(n_alive=table["n_alive"].iloc[::-1].values))
    with pytest.raises(DataContractError) as from_spark:
        ShiftedBetaGeometricModel().fit(
            spark.createDataFrame(table.assign(n_alive=table["n_alive"].iloc[::-1].values))
        )
    assert str(from_spark.value) == str(from_pandas.value)


def test_bgbb_scores_on_the_cluster(cluster: Any, bgbb: BetaGeoBetaBinomModel) -> None:
    patterns = load_donations()
    customers = patterns.loc[patterns.index.repeat(3)].reset_index(drop=True)
    customers.index = pd.Index([f"id{i:03d}" for i in range(len(customers))], name="customer_id")
    frame = cluster.createDataFrame(customers.reset_index()).repartition(3)
    got = collect(bgbb.predict(frame, 5))
    expected = bgbb.predict(customers, 5)
    for column in expected.columns:
        close(got[column], expected[column], rtol=1e-12)
    broken = customers.assign(recency=customers["n_periods"] + 1)
    with pytest.raises(DataContractError) as from_pandas:
        bgbb.predict(broken, 5)
    with pytest.raises(DataContractError) as from_spark:
        bgbb.predict(cluster.createDataFrame(broken.reset_index()), 5)
    assert str(from_spark.value) == str(from_pandas.value)


@pytest.mark.parametrize("breach", ["late", "recency_without_repeat"])
def test_a_bad_row_is_the_pandas_error_when_scores_are_asked_for(
    summaries: tuple[pd.DataFrame, Any], breach: str
) -> None:
    # Scores are lazy, but the rows are checked first: the pandas error, typed, at
    # the call (before, it surfaced where the scores were used, as Spark's error).
    expected, frame = summaries
    fitted = BetaGeoModel().fit(expected)
    broken = expected.sort_index().head(60).copy()
    column = broken.columns.get_loc("recency")
    if breach == "late":
        broken.iloc[[5, 40], column] = broken["T"].iloc[[5, 40]] + 1.0
    else:
        rows = np.flatnonzero(broken["frequency"].to_numpy() == 0)[:2]
        broken.iloc[rows, column] = 3.0
    with pytest.raises(DataContractError) as from_pandas:
        fitted.predict(broken, 10)
    spark_frame = frame.sparkSession.createDataFrame(broken.reset_index()).repartition(3)
    spend = GammaGammaModel().fit(expected)
    value = partial(customer_lifetime_value, fitted, spend, horizon="52W")
    for method in (fitted.predict_proba_alive, partial(fitted.predict, t=10), value):
        with pytest.raises(DataContractError) as from_spark:
            method(spark_frame)
        assert str(from_spark.value) == str(from_pandas.value)
        assert (from_spark.value.row, from_spark.value.value) == (
            from_pandas.value.row,
            from_pandas.value.value,
        )
