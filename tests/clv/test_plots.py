"""Diagnostic plots: the numbers behind each figure, checked independently, and the drawing."""

import sys
import warnings

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

from one2one.clv import (
    BetaGeoModel,
    calibration_vs_holdout_table,
    expected_purchases_matrix_table,
    frequency_histogram_table,
    p_alive_matrix_table,
    plot_calibration_vs_holdout,
    plot_expected_purchases_matrix,
    plot_frequency_histogram,
    plot_p_alive_matrix,
    plot_tracking,
    rfm_summary,
    tracking_table,
)
from one2one.datasets import load_cdnow_summary, load_cdnow_transactions
from one2one.errors import DataContractError, DataWarning, MissingDependencyError, NotFittedError

mpl.use("Agg")
import matplotlib.pyplot as plt

CDNOW_TX = load_cdnow_transactions("sample")
LABELS = ["0", "1", "2", "3", "4", "5", "6", "7+"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def bgnbd():
    return BetaGeoModel().fit(load_cdnow_summary())


@pytest.fixture(scope="module")
def holdout():
    """CDNOW: calibration to 1997-09-30, holdout to 1998-06-30, in weeks (days / 7)."""
    summary = rfm_summary(
        CDNOW_TX, freq="D", calibration_end="1997-09-30", observation_end="1998-06-30"
    )
    for column in ("recency", "T", "duration_holdout"):
        summary[column] = summary[column] / 7
    summary.attrs["period"] = "W"
    return summary


@pytest.fixture(scope="module")
def weekly_model():
    """A model fitted on a weekly summary, so its ``period_`` is ``"W"``."""
    summary = rfm_summary(CDNOW_TX, freq="W", calibration_end="1997-09-30")
    return BetaGeoModel().fit(summary)


def _bins(frequency):
    return frequency.clip(upper=7).map(lambda k: LABELS[k])


# --- calibration vs holdout -----------------------------------------------------------------
def test_holdout_summary_is_the_published_calibration_summary(holdout):
    published = load_cdnow_summary()
    assert (holdout["frequency"] == published["frequency"]).all()
    np.testing.assert_allclose(holdout["T"], published["T"], atol=0.005)
    assert holdout["frequency_holdout"].sum() == 1882
    assert (holdout["duration_holdout"] == 39).all()


def test_calibration_vs_holdout_table_matches_a_direct_groupby(bgnbd, holdout):
    table = calibration_vs_holdout_table(bgnbd, holdout)
    groups = _bins(holdout["frequency"])
    predicted = bgnbd.predict_purchases(holdout, t=39)
    assert list(table.index) == LABELS
    assert table.index.name == "frequency"
    assert table["n_customers"].tolist() == groups.value_counts().reindex(LABELS).tolist()
    assert table["n_customers"].tolist() == [1411, 439, 214, 100, 62, 38, 29, 64]
    np.testing.assert_allclose(
        table["actual"], holdout["frequency_holdout"].groupby(groups).mean().reindex(LABELS)
    )
    np.testing.assert_allclose(table["predicted"], predicted.groupby(groups).mean().reindex(LABELS))
    # Customers without a repeat purchase: 0.237 actual vs 0.225 predicted holdout purchases.
    assert table.loc["0", "actual"] == pytest.approx(334 / 1411)
    assert table.loc["0", "predicted"] == pytest.approx(0.2251, abs=5e-4)
    # The weighted group means add back up to the total holdout purchases.
    assert (table["actual"] * table["n_customers"]).sum() == pytest.approx(1882)
    assert (table["predicted"] * table["n_customers"]).sum() == pytest.approx(predicted.sum())


def test_calibration_vs_holdout_predicts_over_each_customers_own_duration(bgnbd, holdout):
    summary = holdout.copy()
    short = np.arange(len(summary)) % 2 == 0
    summary.loc[short, "duration_holdout"] = 13.0
    table = calibration_vs_holdout_table(bgnbd, summary)
    expected = pd.concat(
        [
            bgnbd.predict_purchases(summary[short], t=13),
            bgnbd.predict_purchases(summary[~short], t=39),
        ]
    ).reindex(summary.index)
    groups = _bins(summary["frequency"])
    np.testing.assert_allclose(table["predicted"], expected.groupby(groups).mean().reindex(LABELS))
    all_long = calibration_vs_holdout_table(bgnbd, holdout)["predicted"]
    assert (table["predicted"] < all_long).all()


def test_calibration_vs_holdout_groups_by_max_frequency(bgnbd, holdout):
    table = calibration_vs_holdout_table(bgnbd, holdout, max_frequency=3)
    assert list(table.index) == ["0", "1", "2", "3+"]
    assert table.loc["3+", "n_customers"] == (holdout["frequency"] >= 3).sum()


def test_empty_groups_have_no_customers_and_no_means(bgnbd, holdout):
    table = calibration_vs_holdout_table(bgnbd, holdout[holdout["frequency"] != 2])
    assert table.loc["2", "n_customers"] == 0
    assert np.isnan(table.loc["2", "actual"])
    assert np.isnan(table.loc["2", "predicted"])


@pytest.mark.parametrize("column", ["frequency_holdout", "duration_holdout"])
def test_missing_holdout_column_is_named(bgnbd, holdout, column):
    summary = holdout.drop(columns=column)
    with pytest.raises(DataContractError, match=column) as info:
        calibration_vs_holdout_table(bgnbd, summary)
    assert info.value.column == column
    with pytest.raises(DataContractError, match="calibration_end"):
        plot_calibration_vs_holdout(bgnbd, summary)


def test_bad_holdout_values_and_arguments_are_refused(bgnbd, holdout):
    summary = holdout.copy()
    summary.loc[summary.index[0], "duration_holdout"] = -1.0
    with pytest.raises(DataContractError, match="duration_holdout"):
        calibration_vs_holdout_table(bgnbd, summary)
    with pytest.raises(DataContractError, match="max_frequency"):
        calibration_vs_holdout_table(bgnbd, holdout, max_frequency=0)


def test_a_summary_in_another_unit_than_the_model_is_refused(weekly_model, holdout):
    summary = holdout.copy()
    summary.attrs["period"] = "D"
    with pytest.raises(DataContractError, match=r"weeks.*days") as info:
        calibration_vs_holdout_table(weekly_model, summary)
    assert info.value.column == "period"


def test_plot_calibration_vs_holdout_draws_the_table(bgnbd, holdout):
    table = calibration_vs_holdout_table(bgnbd, holdout)
    ax = plot_calibration_vs_holdout(bgnbd, holdout)
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[0].get_ydata(), table["actual"])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), table["predicted"])
    assert [t.get_text() for t in ax.get_xticklabels()] == LABELS
    assert "39 weeks" in ax.get_ylabel()
    assert "weeks" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Actual", "BetaGeoModel"]


# --- frequency histogram --------------------------------------------------------------------
def test_frequency_histogram_counts_customers_and_simulates_the_model(bgnbd):
    summary = load_cdnow_summary()
    table = frequency_histogram_table(bgnbd, summary, n_draws=5, random_state=3)
    assert list(table.index) == LABELS
    assert table["actual"].tolist() == [1411, 439, 214, 100, 62, 38, 29, 64]
    assert table["actual"].tolist() == (
        _bins(summary["frequency"]).value_counts().reindex(LABELS).tolist()
    )
    assert table["predicted"].sum() == pytest.approx(len(summary))
    # Recompute the simulation by hand with the same generator.
    rng = np.random.default_rng(3)
    lengths = summary["T"].clip(lower=1e-9).to_numpy()
    counts = np.zeros(8)
    for _ in range(5):
        sim = bgnbd.sample(
            len(summary), observation_periods=lengths.max(), T=lengths, random_state=rng
        )
        counts += np.bincount(sim.customers["frequency"].clip(upper=7), minlength=8)
    np.testing.assert_allclose(table["predicted"], counts / 5)
    # BG/NBD fits CDNOW's calibration histogram well: zero-repeaters within 5%.
    assert table.loc["0", "predicted"] == pytest.approx(1411, rel=0.05)


def test_frequency_histogram_is_reproducible_and_handles_zero_length(bgnbd):
    summary = pd.DataFrame({"frequency": [0, 0, 1, 9], "recency": [0, 0, 2, 3], "T": [0, 5, 5, 5]})
    first = frequency_histogram_table(bgnbd, summary, random_state=1)
    again = frequency_histogram_table(bgnbd, summary, random_state=1)
    pd.testing.assert_frame_equal(first, again)
    assert first["actual"].tolist() == [2, 1, 0, 0, 0, 0, 0, 1]


def test_frequency_histogram_refuses_bad_input(bgnbd):
    with pytest.raises(DataContractError, match="'T'"):
        frequency_histogram_table(bgnbd, pd.DataFrame({"frequency": [1]}))
    empty = pd.DataFrame(
        {"frequency": pd.Series([], dtype="int64"), "T": pd.Series([], dtype="float64")}
    )
    with pytest.raises(DataContractError, match="empty"):
        frequency_histogram_table(bgnbd, empty)
    with pytest.raises(DataContractError, match="n_draws"):
        frequency_histogram_table(bgnbd, load_cdnow_summary(), n_draws=0)


def test_plot_frequency_histogram_draws_bars_side_by_side(bgnbd):
    summary = load_cdnow_summary()
    table = frequency_histogram_table(bgnbd, summary, n_draws=2)
    ax = plot_frequency_histogram(bgnbd, summary, n_draws=2)
    assert len(ax.containers) == 2
    actual, model = ax.containers
    assert [bar.get_height() for bar in actual] == table["actual"].tolist()
    np.testing.assert_allclose([bar.get_height() for bar in model], table["predicted"])
    assert actual[0].get_x() < model[0].get_x()
    assert [t.get_text() for t in ax.get_xticklabels()] == LABELS


# --- tracking -------------------------------------------------------------------------------
def _daily_occasions():
    """(customer, day) purchase occasions of the CDNOW sample, counted with plain pandas."""
    day = (CDNOW_TX["occurred_at"] - pd.Timestamp("1997-01-01", tz="UTC")).dt.days
    occasions = pd.DataFrame({"customer": CDNOW_TX["customer_id"], "day": day}).drop_duplicates()
    first = occasions.groupby("customer")["day"].min()
    return occasions, first


def test_tracking_counts_repeat_purchases_as_the_summary_does(bgnbd, holdout):
    table = tracking_table(bgnbd, CDNOW_TX, occasion_freq="D")
    occasions, first = _daily_occasions()
    n_repeat = len(occasions) - len(first)
    assert n_repeat == 4339
    assert table["actual_cumulative"].iloc[-1] == n_repeat
    assert n_repeat == holdout["frequency"].sum() + holdout["frequency_holdout"].sum()
    assert table["actual"].sum() == n_repeat
    assert table["n_customers"].iloc[-1] == 2357
    assert (np.diff(table["actual_cumulative"]) >= 0).all()
    assert table.index.freqstr == "W-SUN"
    assert str(table.index[0]) == "1996-12-30/1997-01-05"
    assert str(table.index[-1]) == "1998-06-29/1998-07-05"
    assert table.attrs == {"period": "W", "freq": "W", "occasion_freq": "D"}


def test_tracking_expectation_is_the_sum_over_customers(bgnbd):
    table = tracking_table(bgnbd, CDNOW_TX, occasion_freq="D")
    _, first = _daily_occasions()
    last_day = (pd.Timestamp("1998-06-30") - pd.Timestamp("1997-01-01")).days
    expected = bgnbd.expected_purchases((last_day - first.to_numpy()) / 7).sum()
    assert table["predicted_cumulative"].iloc[-1] == pytest.approx(expected, rel=1e-10)
    # Through Sunday 1997-10-05 (the week holding the calibration end).
    through = (pd.Timestamp("1997-10-05") - pd.Timestamp("1997-01-01")).days
    days = np.clip(through - first.to_numpy(), 0, None)
    row = table.index.get_loc(pd.Period("1997-10-01", freq="W-SUN"))
    assert table["predicted_cumulative"].iloc[row] == pytest.approx(
        bgnbd.expected_purchases(days / 7).sum(), rel=1e-10
    )
    np.testing.assert_allclose(table["predicted"].cumsum(), table["predicted_cumulative"])


def test_bgnbd_tracks_cdnow_over_78_weeks(bgnbd, holdout):
    """The model fitted on 39 weeks predicts the cohort's cumulative repeat purchases at
    week 78 within 5% (4,161 predicted vs 4,339 actual)."""
    table = tracking_table(bgnbd, CDNOW_TX, occasion_freq="D", freq="D", period="W")
    assert table.attrs == {"period": "W", "freq": "D", "occasion_freq": "D"}
    calibration = table.loc[pd.Period("1997-09-30", freq="D")]
    assert calibration["actual_cumulative"] == holdout["frequency"].sum() == 2457
    assert calibration["predicted_cumulative"] == pytest.approx(2457, rel=0.05)
    end = table.iloc[-1]
    assert end.name == pd.Period("1998-06-30", freq="D")
    assert end["predicted_cumulative"] == pytest.approx(end["actual_cumulative"], rel=0.05)
    # The daily rows agree with the weekly ones at each week's end.
    weekly = tracking_table(bgnbd, CDNOW_TX, occasion_freq="D")
    sunday = table.loc[pd.Period("1997-10-05", freq="D")]
    week = weekly.loc[pd.Period("1997-10-05", freq="W-SUN")]
    assert sunday["actual_cumulative"] == week["actual_cumulative"]
    assert sunday["predicted_cumulative"] == pytest.approx(week["predicted_cumulative"])
    # Without period="W" the model's weekly rates would be read as daily ones.
    misread = tracking_table(bgnbd, CDNOW_TX, occasion_freq="D", freq="D")
    assert misread["predicted_cumulative"].iloc[-1] > 2 * end["predicted_cumulative"]


def test_tracking_on_a_small_log_by_hand(bgnbd):
    """Weeks 0..3 from Monday 2024-01-01. A buys twice in week 0 (one occasion) and in week 2;
    B buys in week 1 (twice) and week 3; C only returns something in week 2."""
    tx = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "B", "B", "B", "C"],
            "occurred_at": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-02",
                    "2024-01-17",
                    "2024-01-08",
                    "2024-01-09",
                    "2024-01-25",
                    "2024-01-16",
                ],
                utc=True,
            ),
            "value": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -5.0],
        }
    )
    table = tracking_table(bgnbd, tx, monetary="value")
    assert table["actual"].tolist() == [0, 0, 1, 1]
    assert table["n_customers"].tolist() == [1, 2, 2, 2]
    ex = bgnbd.expected_purchases([0, 1, 2, 3])
    np.testing.assert_allclose(
        table["predicted_cumulative"], [0, ex[1], ex[2] + ex[1], ex[3] + ex[2]]
    )
    # Without the amounts, C's return is a first purchase.
    assert tracking_table(bgnbd, tx)["n_customers"].tolist() == [1, 2, 3, 3]
    monthly = tracking_table(bgnbd, tx, freq="M", occasion_freq="W")
    assert monthly["actual"].tolist() == [2]
    assert monthly.index.freqstr == "M"


def test_tracking_stops_at_the_observation_end(bgnbd):
    table = tracking_table(bgnbd, CDNOW_TX, occasion_freq="D", observation_end="1997-09-30")
    assert table["actual_cumulative"].iloc[-1] == 2457
    assert str(table.index[-1]) == "1997-09-29/1997-10-05"


def test_tracking_warns_when_occasions_differ_from_the_models_period(weekly_model):
    with pytest.warns(DataWarning, match="per day"):
        tracking_table(weekly_model, CDNOW_TX, occasion_freq="D")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = tracking_table(weekly_model, CDNOW_TX)
    assert table.attrs["occasion_freq"] == "W"


def test_tracking_refuses_bad_input(bgnbd):
    with pytest.raises(DataContractError, match="occurred_at"):
        tracking_table(bgnbd, CDNOW_TX.drop(columns="occurred_at"))
    with pytest.raises(DataContractError, match="empty"):
        tracking_table(bgnbd, CDNOW_TX.iloc[:0])
    naive = CDNOW_TX.assign(occurred_at=CDNOW_TX["occurred_at"].dt.tz_localize(None))
    with pytest.raises(DataContractError, match="assume_tz"):
        tracking_table(bgnbd, naive)
    with pytest.raises(DataContractError, match="freq"):
        tracking_table(bgnbd, CDNOW_TX, freq="fortnight")
    with pytest.raises(DataContractError, match="calibration_end"):
        plot_tracking(bgnbd, CDNOW_TX, calibration_end="not a date")


@pytest.mark.parametrize("cumulative", [True, False])
def test_plot_tracking_draws_actual_expected_and_calibration_end(bgnbd, cumulative):
    table = tracking_table(bgnbd, CDNOW_TX, occasion_freq="D")
    ax = plot_tracking(
        bgnbd, CDNOW_TX, occasion_freq="D", calibration_end="1997-09-30", cumulative=cumulative
    )
    assert len(ax.lines) == 3
    suffix = "_cumulative" if cumulative else ""
    np.testing.assert_allclose(ax.lines[0].get_ydata(), table["actual" + suffix])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), table["predicted" + suffix])
    boundary = mpl.dates.date2num(pd.Timestamp("1997-10-01"))
    assert ax.lines[2].get_xdata()[0] == pytest.approx(boundary)
    assert "week" in ax.get_ylabel() or "week" in ax.get_xlabel()
    assert "weeks" in ax.get_title()
    assert len(plot_tracking(bgnbd, CDNOW_TX, occasion_freq="D").lines) == 2


# --- (frequency, recency) matrices ----------------------------------------------------------
def test_p_alive_matrix_holds_the_models_predictions(bgnbd):
    table = p_alive_matrix_table(bgnbd, T=39)
    assert table.shape == (40, 40)
    assert table.index.name == "recency"
    assert table.columns.name == "frequency"
    assert table.loc[0.0, 0] == 1.0  # BG/NBD: no repeat purchase, no chance to drop out
    assert table.loc[1:, 0].isna().all()
    assert table.loc[:, 1:].notna().all().all()
    cells = pd.DataFrame({"frequency": [1, 5, 20], "recency": [10.0, 30.0, 38.0], "T": 39.0})
    p = bgnbd.predict_proba_alive(cells)
    assert [table.loc[10.0, 1], table.loc[30.0, 5], table.loc[38.0, 20]] == pytest.approx(p)
    # More recent customers are more likely alive, at every frequency.
    assert (table.loc[:, 1:].diff().iloc[1:] > 0).all().all()


def test_matrix_defaults_and_limits(bgnbd):
    table = p_alive_matrix_table(bgnbd)
    assert table.shape == (53, 53)
    assert table.attrs["T"] == 52
    small = p_alive_matrix_table(bgnbd, T=10, max_frequency=3, max_recency=4.5)
    assert list(small.index) == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert list(small.columns) == [0, 1, 2, 3]
    with pytest.raises(DataContractError, match="max_recency"):
        p_alive_matrix_table(bgnbd, T=10, max_recency=11)
    with pytest.raises(DataContractError, match="'T'"):
        p_alive_matrix_table(bgnbd, T=0)


def test_expected_purchases_matrix_holds_the_models_predictions(bgnbd):
    table = expected_purchases_matrix_table(bgnbd, t=10, T=39, max_frequency=10)
    assert table.shape == (40, 11)
    assert table.attrs["t"] == 10
    cells = pd.DataFrame({"frequency": [0, 2, 10], "recency": [0.0, 30.0, 38.0], "T": 39.0})
    expected = bgnbd.predict_purchases(cells, t=10)
    assert [table.loc[0.0, 0], table.loc[30.0, 2], table.loc[38.0, 10]] == pytest.approx(expected)
    with pytest.raises(DataContractError, match="'t'"):
        expected_purchases_matrix_table(bgnbd, t=-1)


def test_heat_maps_have_an_image_and_a_colour_bar(bgnbd):
    ax = plot_p_alive_matrix(bgnbd, T=39)
    assert len(ax.images) == 1
    assert len(ax.figure.axes) == 2  # the plot and its colour bar
    assert ax.figure.axes[1].get_ylabel() == "P(alive)"
    assert "T = 39" in ax.get_title()
    image = np.ma.masked_invalid(p_alive_matrix_table(bgnbd, T=39).to_numpy())
    np.testing.assert_allclose(ax.images[0].get_array(), image)
    ax = plot_expected_purchases_matrix(bgnbd, t=10, T=39)
    assert len(ax.images) == 1
    assert "next 10" in ax.get_title()


def test_heat_map_labels_use_the_models_period(weekly_model):
    ax = plot_p_alive_matrix(weekly_model, T=20)
    assert "weeks" in ax.get_title()
    assert "weeks" in ax.get_ylabel()


# --- shared behaviour -----------------------------------------------------------------------
def _draw_all(model, summary, holdout_summary, ax):
    return [
        plot_calibration_vs_holdout(model, holdout_summary, ax=ax),
        plot_frequency_histogram(model, summary, n_draws=1, ax=ax),
        plot_tracking(model, CDNOW_TX, occasion_freq="D", ax=ax),
        plot_p_alive_matrix(model, T=10, ax=ax),
        plot_expected_purchases_matrix(model, T=10, ax=ax),
    ]


def test_every_plot_draws_into_the_given_axes(bgnbd, holdout):
    for drawn in _draw_all(bgnbd, load_cdnow_summary(), holdout, ax=None):
        assert drawn.figure is not None
    n_figures = len(plt.get_fignums())
    _, ax = plt.subplots()
    drawn = _draw_all(bgnbd, load_cdnow_summary(), holdout, ax=ax)
    assert all(a is ax for a in drawn)
    # Only the colour bars added axes; no new figure was opened.
    assert len(plt.get_fignums()) == n_figures + 1


def test_plots_name_the_extra_when_matplotlib_is_missing(bgnbd, holdout, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(MissingDependencyError, match=r"one2one-marketing\[plot\]") as info:
        plot_calibration_vs_holdout(bgnbd, holdout)
    assert info.value.extra == "plot"
    with pytest.raises(MissingDependencyError):
        plot_p_alive_matrix(bgnbd, T=5)
    # The tables need no matplotlib.
    assert len(calibration_vs_holdout_table(bgnbd, holdout)) == 8


def test_an_unfitted_model_is_refused():
    with pytest.raises(NotFittedError):
        plot_p_alive_matrix(BetaGeoModel(), T=5)
    with pytest.raises(NotFittedError):
        tracking_table(BetaGeoModel(), CDNOW_TX)


def test_a_days_in_weeks_summary_tracks_without_a_unit_warning():
    """rfm_summary(freq="D", time_unit="W") records both, so tracking by day is consistent."""
    tx = load_cdnow_transactions("sample")
    summary = rfm_summary(
        tx, freq="D", time_unit="W", calibration_end="1997-09-30", observation_end="1998-06-30"
    )
    model = BetaGeoModel().fit(summary)
    assert (model.period_, model.occasion_period_) == ("W", "D")
    restored = BetaGeoModel.from_dict(model.to_dict())
    assert restored.occasion_period_ == "D"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = tracking_table(model, tx, observation_end="1998-06-30")
    assert table["actual_cumulative"].iloc[-1] == 4339  # 2,457 calibration + 1,882 holdout


# --- readable labels and ticks --------------------------------------------------------------
def test_labels_write_periods_as_people_do(bgnbd, holdout):
    """A holdout of 181 days is "25.9 weeks", not "25.8571 weeks"."""
    odd = holdout.assign(duration_holdout=181 / 7)
    ax = plot_calibration_vs_holdout(bgnbd, odd)
    assert "(25.9 weeks)" in ax.get_ylabel()
    assert "(39 weeks)" in plot_calibration_vs_holdout(bgnbd, holdout).get_ylabel()
    ax = plot_p_alive_matrix(bgnbd, T=181 / 7)
    assert "T = 25.9" in ax.get_title()
    ax = plot_expected_purchases_matrix(bgnbd, t=52 / 7, T=181 / 7)
    assert "next 7.4" in ax.get_title()
    assert "T = 25.9" in ax.get_title()


def _whole(ticks):
    return np.allclose(ticks, np.round(ticks))


def test_axes_that_count_have_whole_ticks(bgnbd):
    ax = plot_p_alive_matrix(bgnbd, T=39, max_frequency=20)  # as in the CLV tutorial
    assert _whole(ax.get_xticks())  # repeat purchases (was 2.5, 5.0, 7.5, ...)
    assert _whole(ax.get_yticks())  # recency in whole periods
    small = load_cdnow_summary().iloc[:3]
    ax = plot_frequency_histogram(bgnbd, small, n_draws=1, max_frequency=3)
    assert _whole(ax.get_yticks())  # customers (was 0.25, 0.5, ...)
    first = CDNOW_TX[CDNOW_TX["customer_id"].isin(CDNOW_TX["customer_id"].unique()[:3])]
    ax = plot_tracking(bgnbd, first, occasion_freq="D", period="W")
    assert _whole(ax.get_yticks())  # repeat purchases
