"""Tracking and calibration-vs-holdout for several models: each model's column is the one-model
result, the holdout marker splits at the calibration end, and the errors are recomputed here."""

import warnings

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.clv import (
    BetaGeoModel,
    ParetoNBDModel,
    calibration_vs_holdout_table,
    plot_calibration_vs_holdout,
    plot_tracking,
    rfm_summary,
    tracking_errors,
    tracking_table,
)
from one2one.datasets import load_cdnow_transactions
from one2one.errors import DataContractError, DataWarning

mpl.use("Agg")
import matplotlib.pyplot as plt

TX = load_cdnow_transactions("sample")
CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"
NAMES = ["BG/NBD", "Pareto/NBD"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def summary():
    """CDNOW: occasions per day, time in weeks, calibration to 1997-09-30, holdout to 1998-06-30."""
    return rfm_summary(
        TX,
        freq="D",
        time_unit="W",
        calibration_end=CALIBRATION_END,
        observation_end=OBSERVATION_END,
    )


@pytest.fixture(scope="module")
def models(summary):
    return {"BG/NBD": BetaGeoModel().fit(summary), "Pareto/NBD": ParetoNBDModel().fit(summary)}


@pytest.fixture(scope="module")
def weekly(models):
    """The models' tracking by week, with the holdout marked."""
    return tracking_table(
        models, TX, observation_end=OBSERVATION_END, calibration_end=CALIBRATION_END
    )


@pytest.fixture(scope="module")
def daily(models):
    """The same by day, so the split falls exactly on the calibration end."""
    return tracking_table(
        models, TX, freq="D", observation_end=OBSERVATION_END, calibration_end=CALIBRATION_END
    )


# --- the table ------------------------------------------------------------------------------
def test_several_models_give_one_column_each(weekly):
    assert list(weekly.columns) == [
        "actual",
        "BG/NBD",
        "Pareto/NBD",
        "actual_cumulative",
        "BG/NBD_cumulative",
        "Pareto/NBD_cumulative",
        "n_customers",
        "holdout",
    ]
    assert weekly["holdout"].dtype == bool
    assert weekly.attrs["period"] == "W"
    assert weekly.attrs["occasion_freq"] == "D"


@pytest.mark.parametrize("freq", ["W", "D", "M"])
def test_each_models_columns_are_its_one_model_table(models, freq):
    table = tracking_table(models, TX, freq=freq, observation_end=OBSERVATION_END)
    assert "holdout" not in table.columns
    for name, model in models.items():
        alone = tracking_table(model, TX, freq=freq, observation_end=OBSERVATION_END)
        pd.testing.assert_index_equal(table.index, alone.index)
        np.testing.assert_array_equal(table[name], alone["predicted"])
        np.testing.assert_array_equal(table[f"{name}_cumulative"], alone["predicted_cumulative"])
        for column in ("actual", "actual_cumulative", "n_customers"):
            np.testing.assert_array_equal(table[column], alone[column])
    # The two models do differ, so the check above could tell them apart.
    assert not np.allclose(table["BG/NBD_cumulative"], table["Pareto/NBD_cumulative"])


def test_one_model_keeps_its_columns(models):
    model = models["BG/NBD"]
    table = tracking_table(model, TX, observation_end=OBSERVATION_END)
    assert list(table.columns) == [
        "actual",
        "predicted",
        "actual_cumulative",
        "predicted_cumulative",
        "n_customers",
    ]
    assert table.attrs == {"period": "W", "freq": "W", "occasion_freq": "D"}
    marked = tracking_table(
        model, TX, observation_end=OBSERVATION_END, calibration_end=CALIBRATION_END
    )
    assert list(marked.columns) == [*table.columns, "holdout"]
    pd.testing.assert_frame_equal(marked.drop(columns="holdout"), table)
    # A mapping of one model uses its name, not "predicted".
    named = tracking_table({"mine": model}, TX, observation_end=OBSERVATION_END)
    np.testing.assert_array_equal(named["mine"], table["predicted"])


def test_model_keyword_still_works_with_a_deprecation_warning(models, summary):
    model = models["BG/NBD"]
    with pytest.warns(DeprecationWarning, match="models="):
        old = tracking_table(model=model, transactions=TX)
    pd.testing.assert_frame_equal(old, tracking_table(model, TX))
    with pytest.warns(DeprecationWarning, match="models="):
        old = calibration_vs_holdout_table(model=model, summary=summary)
    pd.testing.assert_frame_equal(old, calibration_vs_holdout_table(model, summary))


def test_the_holdout_marker_splits_at_the_calibration_end_by_day(daily, summary):
    start = daily.index.to_timestamp(how="start")
    expected = start > pd.Timestamp(CALIBRATION_END)
    np.testing.assert_array_equal(daily["holdout"], expected)
    assert daily.index[~daily["holdout"]][-1] == pd.Period(CALIBRATION_END, freq="D")
    # By day, the parts hold exactly what rfm_summary counted in each period.
    assert daily.loc[~daily["holdout"], "actual"].sum() == summary["frequency"].sum() == 2457
    assert daily.loc[daily["holdout"], "actual"].sum() == summary["frequency_holdout"].sum()
    assert summary["frequency_holdout"].sum() == 1882


def test_a_period_holding_the_calibration_end_is_calibration(weekly):
    """The week of Tuesday 1997-09-30 (29 Sep - 5 Oct) counts as calibration; the holdout
    starts with the first week that starts after the calibration end."""
    start = weekly.index.to_timestamp(how="start")
    np.testing.assert_array_equal(weekly["holdout"], start >= pd.Timestamp("1997-10-01"))
    assert weekly.index[weekly["holdout"]][0] == pd.Period("1997-10-06", freq="W-SUN")
    assert not weekly.loc[pd.Period("1997-09-30", freq="W-SUN"), "holdout"]


def test_cumulative_is_the_sum_of_the_periods(weekly):
    for name in ["actual", *NAMES]:
        np.testing.assert_allclose(
            weekly[name].cumsum(), weekly[f"{name}_cumulative"], rtol=1e-12, atol=1e-9
        )
    assert weekly["actual_cumulative"].iloc[-1] == 4339


def test_models_with_different_time_units_are_each_read_in_their_own(models):
    daily_model = BetaGeoModel().fit(
        rfm_summary(TX, freq="D", calibration_end=CALIBRATION_END, observation_end=OBSERVATION_END)
    )
    assert daily_model.period_ == "D"
    pair = {"weeks": models["BG/NBD"], "days": daily_model}
    table = tracking_table(pair, TX, observation_end=OBSERVATION_END)
    assert table.attrs["period"] is None  # no one unit for the table
    for name, model in pair.items():
        alone = tracking_table(model, TX, observation_end=OBSERVATION_END)
        np.testing.assert_array_equal(table[name], alone["predicted"])
    # The same data in days or weeks: the two forecasts agree to a few percent.
    end = table.iloc[-1]
    assert end["days_cumulative"] == pytest.approx(end["weeks_cumulative"], rel=0.05)


def test_models_counting_occasions_differently_need_occasion_freq(models):
    weekly_model = BetaGeoModel().fit(rfm_summary(TX, freq="W", calibration_end=CALIBRATION_END))
    pair = {"per day": models["BG/NBD"], "per week": weekly_model}
    with pytest.raises(DataContractError, match="occasion_freq") as info:
        tracking_table(pair, TX)
    assert info.value.column == "occasion_freq"
    with pytest.warns(DataWarning, match="per week"):
        table = tracking_table(pair, TX, occasion_freq="D")
    assert table.attrs["occasion_freq"] == "D"


@pytest.mark.parametrize(
    ("models", "match"),
    [
        ({}, "empty"),
        ([BetaGeoModel()], "mapping"),
        ({"": BetaGeoModel()}, "name"),
        ({"actual": BetaGeoModel()}, "actual"),
        ({"holdout": BetaGeoModel()}, "holdout"),
        ({"a": BetaGeoModel(), "a_cumulative": BetaGeoModel()}, "a_cumulative"),
        ({"a": "not a model"}, "str"),
    ],
)
def test_bad_model_mappings_are_refused(models, match):
    with pytest.raises(DataContractError, match=match) as info:
        tracking_table(models, TX)
    assert info.value.column == "models"


# --- errors per part --------------------------------------------------------------------------
def test_tracking_errors_recomputed_by_hand(weekly):
    errors = tracking_errors(weekly)
    assert errors.index.names == ["model", "part"]
    assert list(errors.index) == [
        (name, part) for name in NAMES for part in ("calibration", "holdout")
    ]
    assert list(errors.columns) == [
        "n_periods",
        "actual",
        "predicted",
        "bias",
        "relative_bias",
        "mae",
    ]
    holdout = weekly["holdout"].to_numpy()
    for name in NAMES:
        for part, rows in (("calibration", ~holdout), ("holdout", holdout)):
            actual = weekly["actual"].to_numpy()[rows]
            predicted = weekly[name].to_numpy()[rows]
            row = errors.loc[(name, part)]
            assert row["n_periods"] == rows.sum()
            assert row["actual"] == actual.sum()
            assert row["predicted"] == pytest.approx(predicted.sum())
            assert row["bias"] == pytest.approx(
                sum(p - a for p, a in zip(predicted, actual, strict=True))
            )
            assert row["relative_bias"] == pytest.approx(row["bias"] / actual.sum())
            assert row["mae"] == pytest.approx(
                np.mean([abs(p - a) for p, a in zip(predicted, actual, strict=True)])
            )
    # The parts add up to the whole log.
    both = errors.loc["BG/NBD"]
    assert both["actual"].sum() == 4339
    assert both["n_periods"].sum() == len(weekly)


def test_bgnbd_drifts_low_in_the_cdnow_holdout(daily):
    """By day, the holdout's actual total is rfm_summary's 1,882; BG/NBD predicts ~1,700
    (under by ~10%, the drift FHL 2005 figure 2 shows after week 39)."""
    errors = tracking_errors(daily)
    holdout = errors.loc[("BG/NBD", "holdout")]
    assert holdout["actual"] == 1882
    assert -0.15 < holdout["relative_bias"] < 0
    calibration = errors.loc[("BG/NBD", "calibration")]
    assert abs(calibration["relative_bias"]) < 0.05


def test_tracking_errors_of_one_model_and_bad_tables(models):
    one = tracking_table(models["BG/NBD"], TX, calibration_end=CALIBRATION_END)
    errors = tracking_errors(one)
    assert list(errors.index.get_level_values("model").unique()) == ["predicted"]
    unmarked = tracking_table(models["BG/NBD"], TX)
    with pytest.raises(DataContractError, match="calibration_end") as info:
        tracking_errors(unmarked)
    assert info.value.column == "holdout"
    with pytest.raises(DataContractError, match="model"):
        tracking_errors(one[["actual", "holdout"]])
    with pytest.raises(DataContractError, match="bool"):
        tracking_errors(one.assign(holdout=1.0))


# --- calibration vs holdout -------------------------------------------------------------------
def test_calibration_vs_holdout_has_a_column_per_model(models, summary):
    table = calibration_vs_holdout_table(models, summary)
    assert list(table.columns) == ["n_customers", "actual", *NAMES]
    for name, model in models.items():
        alone = calibration_vs_holdout_table(model, summary)
        assert list(alone.columns) == ["n_customers", "actual", "predicted"]
        pd.testing.assert_index_equal(table.index, alone.index)
        np.testing.assert_array_equal(table[name], alone["predicted"])
        np.testing.assert_array_equal(table["actual"], alone["actual"])
        np.testing.assert_array_equal(table["n_customers"], alone["n_customers"])
    assert not np.allclose(table["BG/NBD"], table["Pareto/NBD"])
    assert table.attrs["period"] == "W"


def test_calibration_vs_holdout_refuses_models_in_different_units(models, summary):
    daily_model = BetaGeoModel().fit(
        rfm_summary(TX, freq="D", calibration_end=CALIBRATION_END, observation_end=OBSERVATION_END)
    )
    unrecorded = summary.copy()
    unrecorded.attrs = {}
    with pytest.raises(DataContractError, match="period") as info:
        calibration_vs_holdout_table({"w": models["BG/NBD"], "d": daily_model}, unrecorded)
    assert info.value.column == "period"
    with pytest.raises(DataContractError, match="n_customers"):
        calibration_vs_holdout_table({"n_customers": daily_model}, summary)


def test_plot_calibration_vs_holdout_draws_a_line_per_model(models, summary):
    table = calibration_vs_holdout_table(models, summary)
    ax = plot_calibration_vs_holdout(models, summary)
    assert len(ax.lines) == 3
    np.testing.assert_allclose(ax.lines[0].get_ydata(), table["actual"])
    for line, name in zip(ax.lines[1:], NAMES, strict=True):
        np.testing.assert_allclose(line.get_ydata(), table[name])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Actual", *NAMES]
    assert len({line.get_color() for line in ax.lines}) == 3


# --- plots ------------------------------------------------------------------------------------
def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


@pytest.mark.parametrize("kind", ["cumulative", "incremental"])
def test_plot_tracking_draws_a_line_per_model(models, weekly, kind):
    ax = plot_tracking(
        models, TX, observation_end=OBSERVATION_END, calibration_end=CALIBRATION_END, kind=kind
    )
    suffix = "_cumulative" if kind == "cumulative" else ""
    assert len(ax.lines) == 4
    for line, name in zip(ax.lines[:3], ["actual", *NAMES], strict=True):
        np.testing.assert_allclose(line.get_ydata(), weekly[name + suffix])
    boundary = mpl.dates.date2num(pd.Timestamp("1997-10-01"))
    assert ax.lines[3].get_xdata()[0] == pytest.approx(boundary)
    assert _legend(ax) == ["Actual", *NAMES, "Calibration end"]
    assert len({line.get_color() for line in ax.lines[:3]}) == 3


def test_plot_tracking_both_stacks_two_axes_sharing_time(models, weekly):
    axes = plot_tracking(
        models, TX, observation_end=OBSERVATION_END, calibration_end=CALIBRATION_END, kind="both"
    )
    assert isinstance(axes, np.ndarray)
    assert axes.shape == (2,)
    top, bottom = axes
    assert top.figure is bottom.figure
    assert top.get_shared_x_axes().joined(top, bottom)
    assert len(top.lines) == len(bottom.lines) == 4
    np.testing.assert_allclose(top.lines[1].get_ydata(), weekly["BG/NBD_cumulative"])
    np.testing.assert_allclose(bottom.lines[2].get_ydata(), weekly["Pareto/NBD"])
    assert "Cumulative" in top.get_ylabel()
    assert "per week" in bottom.get_ylabel()
    assert _legend(top) == ["Actual", *NAMES, "Calibration end"]
    # Into the caller's pair of axes.
    _, pair = plt.subplots(2, 1)
    drawn = plot_tracking(models, TX, kind="both", ax=pair)
    assert list(drawn) == list(pair)
    assert len(pair[1].lines) == 3


def test_cumulative_flag_and_kind(models):
    model = models["BG/NBD"]
    old = plot_tracking(model, TX, cumulative=False)
    new = plot_tracking(model, TX, kind="incremental")
    np.testing.assert_allclose(old.lines[1].get_ydata(), new.lines[1].get_ydata())
    agreeing = plot_tracking(model, TX, cumulative=True, kind="cumulative")
    assert agreeing.get_ylabel().startswith("Cumulative")
    assert _legend(new) == ["Actual", "BetaGeoModel"]
    with pytest.raises(DataContractError, match="cumulative") as info:
        plot_tracking(model, TX, cumulative=True, kind="incremental")
    assert info.value.column == "cumulative"
    with pytest.raises(DataContractError, match="kind"):
        plot_tracking(model, TX, kind="monthly")
    _, one = plt.subplots()
    with pytest.raises(DataContractError, match="two"):
        plot_tracking(model, TX, kind="both", ax=one)


# --- invariants on small logs -----------------------------------------------------------------
DAY0 = pd.Timestamp("2024-01-01", tz="UTC")  # a Monday


@st.composite
def small_logs(draw):
    """A few customers, each buying one to five times on days 0..120 (some on the same day)."""
    n = draw(st.integers(1, 6))
    rows = [
        (f"c{i}", day)
        for i in range(n)
        for day in draw(st.lists(st.integers(0, 120), min_size=1, max_size=5))
    ]
    return pd.DataFrame(
        {
            "customer_id": [c for c, _ in rows],
            "occurred_at": [DAY0 + pd.Timedelta(days=d) for _, d in rows],
        }
    )


@settings(max_examples=30)
@given(log=small_logs(), freq=st.sampled_from(["D", "W", "M"]), cut=st.integers(0, 120))
def test_tracking_invariants(models, log, freq, cut):
    calibration_end = (DAY0 + pd.Timedelta(days=cut)).tz_localize(None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = tracking_table(models, log, freq=freq, calibration_end=calibration_end)
    # Repeat purchases: distinct (customer, day) occasions less each customer's first.
    occasions = log.assign(day=log["occurred_at"].dt.floor("D")).drop_duplicates()
    assert table["actual"].sum() == len(occasions) - log["customer_id"].nunique()
    for name in ["actual", *NAMES]:
        cumulative = table[f"{name}_cumulative"].to_numpy()
        assert (np.diff(cumulative) >= -1e-9).all()
        np.testing.assert_allclose(table[name].cumsum(), cumulative, rtol=1e-12, atol=1e-9)
    starts = table.index.to_timestamp(how="start")
    np.testing.assert_array_equal(table["holdout"], starts > calibration_end.floor("D"))
    for name, model in models.items():
        alone = tracking_table(model, log, freq=freq)
        np.testing.assert_array_equal(table[name], alone["predicted"])
