"""Holdout tracking: the base's repeat purchases per week after the calibration end, actual
against each model's forecast from each customer's history.

The actual side is checked against counts made here from the raw log (one occasion per
customer and day, only the summary's customers) and against rfm_summary's own holdout;
the expected side against each model's own forecast over the horizon.
"""

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.clv import (
    BetaGeoModel,
    ParetoNBDModel,
    TimeVaryingParetoNBDModel,
    holdout_tracking_table,
    plot_holdout_tracking,
    rfm_summary,
    time_varying_summary,
    tracking_errors,
)
from one2one.datasets import load_cdnow_transactions, simulate_seasonal_transactions
from one2one.errors import DataContractError, NotFittedError

mpl.use("Agg")
import matplotlib.pyplot as plt

SIM = simulate_seasonal_transactions(1500, random_state=7)
LOG = SIM.transactions
SUNDAY_END = "2024-12-29"  # a Sunday: holdout weeks run Monday to Sunday
OBSERVATION_END = "2025-12-28"  # 52 weeks later, also a Sunday
COVARIATES = ["season_cos", "season_sin", "holiday"]
CDNOW = load_cdnow_transactions("sample")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    """The seasonal base: calibration to a Sunday, then 52 whole weeks of holdout."""
    return time_varying_summary(
        LOG, SIM.covariates, calibration_end=SUNDAY_END, observation_end=OBSERVATION_END
    )


@pytest.fixture(scope="module")
def models(data):
    return {
        "BG/NBD": BetaGeoModel().fit(data.summary),
        "time-varying": TimeVaryingParetoNBDModel(purchase_covariates=COVARIATES).fit(data),
    }


@pytest.fixture(scope="module")
def table(models, data):
    return holdout_tracking_table(models, data, LOG)


def _repeat_days_per_week(log, calibration_end, weeks):
    """Count, from the raw log, each holdout week's repeat purchase days of the calibration
    customers: a customer's purchases on one (UTC) day are one occasion, the first day is
    no repeat, and week k holds days calibration_end + 7(k-1) + 1 ... calibration_end + 7k."""
    day = log["occurred_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    occasions = pd.DataFrame({"c": log["customer_id"], "d": day}).drop_duplicates()
    first = occasions.groupby("c")["d"].transform("min")
    end = pd.Timestamp(calibration_end)
    repeats = occasions[(occasions["d"] > first) & (first <= end)]
    offset = (repeats["d"] - end).dt.days
    week = np.ceil(offset[offset > 0] / 7).astype(int)
    return week[week <= weeks].value_counts().reindex(range(1, weeks + 1), fill_value=0)


# --- the table ------------------------------------------------------------------------------
def test_one_row_per_holdout_week_and_a_column_per_model(table):
    assert list(table.columns) == [
        "actual",
        "BG/NBD",
        "time-varying",
        "actual_cumulative",
        "BG/NBD_cumulative",
        "time-varying_cumulative",
        "holdout",
    ]
    assert len(table) == 52
    assert table.index.name == "period_start"
    assert table.index[0] == pd.Timestamp("2024-12-30")  # the Monday after the calibration end
    assert (np.diff(table.index.to_numpy()) == np.timedelta64(7, "D")).all()
    assert table["holdout"].all()
    assert table["actual"].dtype == np.int64
    assert table.attrs["period"] == "W"
    assert table.attrs["occasion_freq"] == "D"
    assert table.attrs["n_customers"] == 1500


@pytest.mark.parametrize(("calibration_end", "weeks"), [(SUNDAY_END, 52), ("2024-12-31", 51)])
def test_actual_counts_each_customers_repeat_days_week_by_week(calibration_end, weeks):
    data = time_varying_summary(
        LOG, SIM.covariates, calibration_end=calibration_end, observation_end=OBSERVATION_END
    )
    table = holdout_tracking_table(BetaGeoModel().fit(data.summary), data, LOG)
    assert len(table) == weeks  # whole weeks only: 51 and 5 days leave out the last 5 days
    expected = _repeat_days_per_week(LOG, calibration_end, weeks)
    np.testing.assert_array_equal(table["actual"].to_numpy(), expected.to_numpy())
    first_day = pd.Timestamp(calibration_end) + pd.Timedelta(days=1)
    assert table.index[0] == first_day


def test_actual_total_is_the_summarys_holdout_when_the_weeks_cover_it(table, data):
    assert table["actual"].sum() == data.summary["frequency_holdout"].sum()
    assert table["actual_cumulative"].iloc[-1] == data.summary["frequency_holdout"].sum()


def test_a_partial_last_week_is_left_out_as_rfm_summary_would_count_it():
    """Calibration to Tuesday 31 Dec: 51 weeks and 5 days of holdout; the 51 whole weeks
    end on 23 Dec 2025, where a summary observed to then counts the same purchases."""
    summary = rfm_summary(
        LOG, freq="D", time_unit="W", calibration_end="2024-12-31", observation_end=OBSERVATION_END
    )
    assert summary["duration_holdout"].iloc[0] == pytest.approx(51 + 5 / 7)
    table = holdout_tracking_table(
        BetaGeoModel().fit(summary), summary, LOG, calibration_end="2024-12-31"
    )
    shorter = rfm_summary(
        LOG, freq="D", time_unit="W", calibration_end="2024-12-31", observation_end="2025-12-23"
    )
    assert shorter["duration_holdout"].iloc[0] == 51
    assert table["actual"].sum() == shorter["frequency_holdout"].sum()
    assert table["actual"].sum() < summary["frequency_holdout"].sum()


@pytest.mark.parametrize("periods", [52, 13, 1])
def test_expected_totals_are_each_models_own_forecast(models, data, periods):
    table = holdout_tracking_table(models, data, LOG, periods=periods)
    assert len(table) == periods
    bg = models["BG/NBD"].predict_purchases(data.summary, periods).sum()
    tv = models["time-varying"].predict_purchases(data, periods).sum()
    assert table["BG/NBD"].sum() == pytest.approx(bg, rel=1e-9)
    assert table["time-varying"].sum() == pytest.approx(tv, rel=1e-9)
    assert table["BG/NBD_cumulative"].iloc[-1] == pytest.approx(bg, rel=1e-9)
    assert table["time-varying_cumulative"].iloc[-1] == pytest.approx(tv, rel=1e-9)


def test_the_time_varying_model_follows_the_season_bgnbd_cannot(table):
    errors = tracking_errors(table).xs("holdout", level="part")
    assert errors.loc["time-varying", "mae"] <= 0.7 * errors.loc["BG/NBD", "mae"], errors
    assert errors.loc["time-varying", "n_periods"] == 52
    # BG/NBD's weekly forecast is smooth; the actual weeks swing with the calendar.
    assert table["actual"].max() > 1.5 * table["actual"].min()
    assert np.all(np.diff(table["BG/NBD"].to_numpy()) < 0)


def test_an_rfm_summary_serves_transaction_models_and_a_segment_counts_its_own():
    summary = rfm_summary(
        CDNOW, freq="D", time_unit="W", calibration_end="1997-09-30", observation_end="1998-06-30"
    )
    models = {"BG/NBD": BetaGeoModel().fit(summary), "Pareto/NBD": ParetoNBDModel().fit(summary)}
    table = holdout_tracking_table(models, summary, CDNOW, calibration_end="1997-09-30")
    assert len(table) == 39
    assert table["actual"].sum() == 1882  # rfm_summary's frequency_holdout
    repeat_buyers = summary[summary["frequency"] > 0]
    segment = holdout_tracking_table(models, repeat_buyers, CDNOW, calibration_end="1997-09-30")
    assert segment["actual"].sum() == repeat_buyers["frequency_holdout"].sum() < 1882
    assert segment.attrs["n_customers"] == len(repeat_buyers)
    assert segment["BG/NBD"].sum() == pytest.approx(
        models["BG/NBD"].predict_purchases(repeat_buyers, 39).sum(), rel=1e-9
    )


def test_one_model_alone_gives_the_predicted_column(models, data, table):
    alone = holdout_tracking_table(models["BG/NBD"], data, LOG)
    assert list(alone.columns) == [
        "actual",
        "predicted",
        "actual_cumulative",
        "predicted_cumulative",
        "holdout",
    ]
    np.testing.assert_allclose(alone["predicted"], table["BG/NBD"], rtol=1e-12)


@settings(max_examples=8, deadline=None)
@given(periods=st.integers(min_value=1, max_value=52))
def test_fewer_periods_are_the_first_rows_and_cumulative_is_the_running_sum(
    models, data, table, periods
):
    short = holdout_tracking_table({"BG/NBD": models["BG/NBD"]}, data, LOG, periods=periods)
    pd.testing.assert_index_equal(short.index, table.index[:periods])
    np.testing.assert_array_equal(short["actual"], table["actual"].iloc[:periods])
    np.testing.assert_allclose(short["BG/NBD"], table["BG/NBD"].iloc[:periods], rtol=1e-9)
    for name in ("actual", "BG/NBD"):
        np.testing.assert_allclose(short[name].cumsum(), short[f"{name}_cumulative"], rtol=1e-12)


def test_weekly_occasions_count_one_per_customer_and_week():
    weekly = rfm_summary(LOG, freq="W", calibration_end=SUNDAY_END, observation_end=OBSERVATION_END)
    table = holdout_tracking_table(
        BetaGeoModel().fit(weekly), weekly, LOG, calibration_end=SUNDAY_END
    )
    assert len(table) == 52
    assert table.attrs["occasion_freq"] == "W"
    assert table["actual"].sum() == weekly["frequency_holdout"].sum()
    assert table.index[0] == pd.Timestamp("2024-12-30")


# --- refusals ------------------------------------------------------------------------------
def test_more_periods_than_the_holdout_holds_are_refused(models, data):
    with pytest.raises(DataContractError, match=r"periods must be at most 52") as info:
        holdout_tracking_table(models, data, LOG, periods=53)
    assert info.value.column == "periods"
    for bad in (0, 2.5, "4"):
        with pytest.raises(DataContractError, match="periods"):
            holdout_tracking_table(models, data, LOG, periods=bad)


def test_a_time_varying_model_needs_a_time_varying_summary(models, data):
    with pytest.raises(DataContractError, match="TimeVaryingSummary"):
        holdout_tracking_table(models, data.summary, LOG, calibration_end=SUNDAY_END)


def test_an_rfm_summary_needs_its_calibration_end(models, data):
    with pytest.raises(DataContractError, match="calibration_end must be given") as info:
        holdout_tracking_table(models["BG/NBD"], data.summary, LOG)
    assert info.value.column == "calibration_end"


def test_a_calibration_end_that_contradicts_the_summary_is_refused(models, data):
    with pytest.raises(DataContractError, match="calibration_end must fall"):
        holdout_tracking_table(models, data, LOG, calibration_end="2024-12-31")
    # The same day, named by another moment of it, is fine.
    same = holdout_tracking_table(models, data, LOG, calibration_end="2024-12-29 18:00", periods=2)
    assert len(same) == 2


def test_a_summary_without_a_holdout_is_refused(models):
    calibration_only = rfm_summary(LOG, freq="D", time_unit="W", observation_end=SUNDAY_END)
    with pytest.raises(DataContractError, match="holdout") as info:
        holdout_tracking_table(models["BG/NBD"], calibration_only, LOG, calibration_end=SUNDAY_END)
    assert info.value.column == "frequency_holdout"


def test_another_log_than_the_summarys_is_refused(models, data):
    busiest = data.summary["frequency_holdout"].idxmax()
    holdout = LOG["occurred_at"] > pd.Timestamp(OBSERVATION_END, tz="UTC") - pd.Timedelta(weeks=26)
    fewer = LOG[~(holdout & (LOG["customer_id"] == busiest))]
    with pytest.raises(DataContractError, match="transactions must be the log"):
        holdout_tracking_table(models, data, fewer)
    stranger = LOG.assign(customer_id=LOG["customer_id"] + 10_000)
    with pytest.raises(DataContractError, match="transactions must"):
        holdout_tracking_table(models, data, stranger)


def test_the_summarys_time_zone_is_kept(models, data):
    with pytest.raises(DataContractError, match="tz must be") as info:
        holdout_tracking_table(models, data, LOG, tz="Europe/Berlin")
    assert info.value.column == "tz"


@pytest.mark.parametrize(
    ("bad_models", "match"),
    [
        ({}, "at least one"),
        ([BetaGeoModel()], "mapping"),
        ({"actual": BetaGeoModel()}, "actual"),
        ({"x": "not a model"}, "fitted"),
    ],
)
def test_bad_models_are_refused(data, bad_models, match):
    with pytest.raises(DataContractError, match=match):
        holdout_tracking_table(bad_models, data, LOG)


def test_an_unfitted_model_says_so(data):
    with pytest.raises(NotFittedError):
        holdout_tracking_table({"BG/NBD": BetaGeoModel()}, data, LOG)


def test_data_of_another_kind_is_refused(models):
    with pytest.raises(DataContractError, match="data must be a TimeVaryingSummary"):
        holdout_tracking_table(models["BG/NBD"], {"frequency": [1]}, LOG)  # type: ignore[arg-type]


def test_a_model_in_another_unit_is_refused(data):
    daily = rfm_summary(LOG, freq="D", calibration_end=SUNDAY_END, observation_end=OBSERVATION_END)
    in_days = BetaGeoModel().fit(daily)
    with pytest.raises(DataContractError, match="wrong unit"):
        holdout_tracking_table({"days": in_days}, data, LOG)


def test_time_shorter_than_an_occasion_is_refused():
    odd = rfm_summary(
        LOG,
        freq="W",
        time_unit="D",
        calibration_end=SUNDAY_END,
        observation_end=OBSERVATION_END,
    )
    with pytest.raises(DataContractError, match="occasion"):
        holdout_tracking_table(BetaGeoModel().fit(odd), odd, LOG, calibration_end=SUNDAY_END)


# --- the plot -------------------------------------------------------------------------------
def test_plot_draws_actual_and_each_model_in_both_views(models, data, table):
    top, bottom = plot_holdout_tracking(models, data, LOG, kind="both")
    for axes in (top, bottom):
        assert [line.get_label() for line in axes.get_lines()] == [
            "Actual",
            "BG/NBD",
            "time-varying",
        ]
    np.testing.assert_allclose(top.get_lines()[0].get_ydata(), table["actual_cumulative"])
    np.testing.assert_allclose(bottom.get_lines()[2].get_ydata(), table["time-varying"])
    assert "week" in bottom.get_ylabel()


def test_plot_one_view_returns_one_axes(models, data):
    axes = plot_holdout_tracking(models["BG/NBD"], data, LOG, kind="incremental", periods=10)
    assert len(axes.get_lines()) == 2
    assert len(axes.get_lines()[0].get_xdata()) == 10
    _, given_axes = plt.subplots()
    assert plot_holdout_tracking(models, data, LOG, ax=given_axes) is given_axes


def test_plot_refuses_an_unknown_kind_and_too_few_axes(models, data):
    with pytest.raises(DataContractError, match="kind must be"):
        plot_holdout_tracking(models, data, LOG, kind="weekly")  # type: ignore[call-overload]
    _, one = plt.subplots()
    with pytest.raises(DataContractError, match="two matplotlib Axes"):
        plot_holdout_tracking(models, data, LOG, kind="both", ax=[one])
