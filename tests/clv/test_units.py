"""Units of time in CLV: a horizon is a duration, converted exactly; contradictions are refused."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.clv import (
    BetaGeoModel,
    GammaGammaModel,
    customer_lifetime_value,
    rfm_summary,
    tracking_table,
)
from one2one.clv._periods import DAYS_PER_PERIOD, PERIODS_PER_YEAR, horizon_periods
from one2one.datasets import load_cdnow_summary, load_cdnow_transactions
from one2one.errors import DataContractError

TRANSACTIONS = load_cdnow_transactions("sample")
WEEKLY = rfm_summary(TRANSACTIONS, freq="W")
DAILY = rfm_summary(TRANSACTIONS, freq="D")


@pytest.fixture(scope="module")
def weekly():
    return BetaGeoModel().fit(WEEKLY), GammaGammaModel().fit(WEEKLY)


@pytest.fixture(scope="module")
def daily():
    return BetaGeoModel().fit(DAILY), GammaGammaModel().fit(DAILY)


def _clv(models, summary, horizon, **kwargs):
    return customer_lifetime_value(*models, summary, horizon=horizon, **kwargs)["clv"].to_numpy()


@settings(max_examples=15)
@given(weeks=st.integers(1, 156))
def test_one_horizon_in_weeks_days_or_periods_gives_one_clv(weekly, weeks):
    expected = _clv(weekly, WEEKLY, weeks)
    for same in (
        f"{weeks}W",
        f"{7 * weeks}D",
        pd.Timedelta(weeks=weeks),
        dt.timedelta(days=7 * weeks),
        np.timedelta64(7 * weeks, "D"),
    ):
        np.testing.assert_array_equal(_clv(weekly, WEEKLY, same), expected)


def test_on_a_daily_summary_a_number_counts_days_and_52w_counts_364_days(daily):
    np.testing.assert_array_equal(_clv(daily, DAILY, "52W"), _clv(daily, DAILY, 364))
    assert (_clv(daily, DAILY, "52W") > _clv(daily, DAILY, 52)).any()


def test_the_result_says_which_horizon_it_valued(daily):
    value = customer_lifetime_value(*daily, DAILY, horizon="52W")
    assert value.attrs["period"] == "D"
    assert value.attrs["horizon"] == 364.0


@pytest.mark.parametrize(
    ("duration", "weeks"),
    [("1Y", 365.25 / 7), ("3M", 3 * 365.25 / 12 / 7), ("2Q", 365.25 / 2 / 7), ("1.5W", 1.5)],
)
def test_months_quarters_and_years_are_taken_at_their_mean_length(weekly, duration, weeks):
    np.testing.assert_allclose(
        _clv(weekly, WEEKLY, duration), _clv(weekly, WEEKLY, weeks), rtol=1e-12
    )


def test_the_conversion_is_the_summarys_time_unit_conversion():
    # rfm_summary(time_unit=...) scales by PERIODS_PER_YEAR; a horizon uses the same lengths.
    for unit, days in DAYS_PER_PERIOD.items():
        assert PERIODS_PER_YEAR[unit] == 365.25 / days
        assert horizon_periods(f"1{unit}", "D") == days
    assert horizon_periods("364D", "W") == 52.0
    assert horizon_periods(pd.Timedelta(hours=12), "D") == 0.5


@pytest.mark.parametrize(
    "bad", ["52", "52w", "W", "52 weeks", "-4W", "0D", "nanW", pd.DateOffset(years=1), [52], True]
)
def test_a_horizon_that_is_no_duration_is_refused(weekly, bad):
    with pytest.raises(DataContractError, match="horizon") as info:
        customer_lifetime_value(*weekly, WEEKLY, horizon=bad)
    assert info.value.column == "horizon"


def test_a_period_that_contradicts_the_fitted_one_is_refused(weekly):
    with pytest.raises(DataContractError, match=r"'Y'.*weeks|weeks.*'Y'") as info:
        customer_lifetime_value(*weekly, WEEKLY, horizon=52, period="Y")
    assert info.value.column == "period"
    same = customer_lifetime_value(*weekly, WEEKLY, horizon=52, period="W")
    np.testing.assert_array_equal(same["clv"], _clv(weekly, WEEKLY, 52))


def test_a_summary_in_another_unit_than_the_model_is_refused(weekly):
    with pytest.raises(DataContractError, match=r"weeks.*days") as info:
        customer_lifetime_value(*weekly, DAILY, horizon="52W")
    assert info.value.column == "period"


def test_a_plain_number_needs_a_known_period():
    cdnow = load_cdnow_summary()  # the published table: weeks, but it does not say so
    models = BetaGeoModel().fit(cdnow), GammaGammaModel().fit(cdnow)
    for horizon in (52, "52W"):
        with pytest.raises(DataContractError, match="period='W'") as info:
            customer_lifetime_value(*models, cdnow, horizon=horizon, discount_per="period")
        assert info.value.column == "period"
    stated = cdnow.copy()
    stated.attrs["period"] = "W"
    from_attrs = _clv(models, stated, "52W", discount_per="period")
    np.testing.assert_array_equal(
        from_attrs, _clv(models, cdnow, 52, discount_per="period", period="W")
    )


def test_predictions_take_a_duration_and_refuse_another_unit(weekly, daily):
    bgnbd, _ = weekly
    np.testing.assert_array_equal(
        bgnbd.predict_purchases(WEEKLY, "39W"), bgnbd.predict_purchases(WEEKLY, 39)
    )
    np.testing.assert_array_equal(
        bgnbd.predict(WEEKLY, "273D")["expected_purchases"],
        bgnbd.predict(WEEKLY, 39)["expected_purchases"],
    )
    with pytest.raises(DataContractError, match=r"weeks.*days"):
        bgnbd.predict_purchases(DAILY, 39)
    with pytest.raises(DataContractError, match=r"weeks.*days"):
        bgnbd.predict_proba_alive(DAILY)
    with pytest.raises(DataContractError, match=r"days.*weeks"):
        daily[0].predict(WEEKLY, 39)


def test_tracking_refuses_a_period_that_contradicts_the_fitted_one(weekly):
    with pytest.raises(DataContractError, match=r"'D'.*weeks|weeks.*'D'") as info:
        tracking_table(weekly[0], TRANSACTIONS, period="D")
    assert info.value.column == "period"


def test_a_prediction_in_an_unknown_period_takes_numbers_and_says_how_to_state_it():
    cdnow = load_cdnow_summary()
    bgnbd = BetaGeoModel().fit(cdnow)
    bgnbd.predict_purchases(cdnow, 39)  # a number of the (unnamed) period, as ever
    with pytest.raises(DataContractError, match=r"attrs\['period'\] = 'W'") as info:
        bgnbd.predict_purchases(cdnow, "39W")
    assert info.value.column == "period"
    stated = cdnow.copy()
    stated.attrs["period"] = "W"
    np.testing.assert_array_equal(
        bgnbd.predict_purchases(stated, "39W"), bgnbd.predict_purchases(cdnow, 39)
    )
