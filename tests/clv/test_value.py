"""Customer lifetime value by discounted cash flow."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from one2one.clv import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    customer_lifetime_value,
    per_period_rate,
)
from one2one.clv._periods import PERIODS_PER_YEAR
from one2one.datasets import load_cdnow_summary
from one2one.errors import DataContractError

CDNOW = load_cdnow_summary()


@pytest.fixture(scope="module")
def models():
    return BetaGeoModel().fit(CDNOW), GammaGammaModel().fit(CDNOW)


def test_without_discounting_value_is_purchases_times_spend(models):
    bgnbd, spend = models
    value = customer_lifetime_value(bgnbd, spend, CDNOW, horizon=52, discount_rate=0.0, period="W")
    expected = bgnbd.predict_purchases(CDNOW, 52) * spend.predict_spend(CDNOW)
    np.testing.assert_allclose(value["clv"], expected, rtol=1e-10)
    np.testing.assert_allclose(value["expected_purchases"], bgnbd.predict_purchases(CDNOW, 52))


def test_value_grows_with_the_horizon_and_falls_with_the_rate(models):
    bgnbd, spend = models
    short = customer_lifetime_value(bgnbd, spend, CDNOW, horizon=26, discount_rate=0.1, period="W")
    long = customer_lifetime_value(bgnbd, spend, CDNOW, horizon=52, discount_rate=0.1, period="W")
    dear = customer_lifetime_value(bgnbd, spend, CDNOW, horizon=52, discount_rate=0.5, period="W")
    assert (long["clv"] >= short["clv"]).all()
    assert (dear["clv"] <= long["clv"]).all()
    assert (long["clv"] >= 0).all()


def test_a_fractional_horizon_values_part_of_a_period(models):
    bgnbd, spend = models
    a = customer_lifetime_value(bgnbd, spend, CDNOW, horizon=4.5, discount_rate=0.0, period="W")
    expected = bgnbd.predict_purchases(CDNOW, 4.5) * spend.predict_spend(CDNOW)
    np.testing.assert_allclose(a["clv"], expected, rtol=1e-10)


def test_any_transaction_model_can_be_used(models):
    _, spend = models
    pareto = ParetoNBDModel().fit(CDNOW)
    value = customer_lifetime_value(
        pareto, spend, CDNOW, horizon=10, discount_per="period", discount_rate=0.01, period="W"
    )
    assert value["clv"].notna().all()
    assert value.index.equals(CDNOW.index)


@given(rate=st.floats(0, 2), period=st.sampled_from(["D", "W", "M", "Q", "Y"]))
def test_a_yearly_rate_compounds_back_to_itself(rate, period):
    per_period = per_period_rate(rate, per="year", period=period)
    assert (1 + per_period) ** PERIODS_PER_YEAR[period] == pytest.approx(1 + rate, rel=1e-12)


def test_unknown_period_is_refused_for_a_yearly_rate(models):
    bgnbd, spend = models
    assert bgnbd.period_ is None
    with pytest.raises(DataContractError, match="period") as info:
        customer_lifetime_value(bgnbd, spend, CDNOW, horizon=52)
    assert info.value.column == "period"
    with pytest.raises(DataContractError, match="discount_rate"):
        customer_lifetime_value(bgnbd, spend, CDNOW, horizon=52, discount_rate=-0.1, period="W")
    with pytest.raises(DataContractError, match="horizon"):
        customer_lifetime_value(bgnbd, spend, CDNOW, horizon=0, period="W")
