"""Intervals for predictions and lifetime value: delta method and parametric bootstrap."""

import numpy as np
import pytest

from one2one.clv import BetaGeoModel, GammaGammaModel, ParetoNBDModel, customer_lifetime_value
from one2one.datasets import load_cdnow_summary
from one2one.errors import ConvergenceError, DataContractError

CDNOW = load_cdnow_summary()


@pytest.fixture(scope="module")
def models():
    return BetaGeoModel().fit(CDNOW), GammaGammaModel().fit(CDNOW)


def _check_bounds(frame, name, high=np.inf):
    lower, upper = frame[f"{name}_lower"], frame[f"{name}_upper"]
    assert (lower <= frame[name] + 1e-9).all()
    assert (frame[name] <= upper + 1e-9).all()
    assert (lower >= 0).all()
    assert (upper <= high).all()


@pytest.mark.parametrize("interval", ["delta", "bootstrap"])
def test_intervals_bracket_the_estimate(models, interval):
    bgnbd, _ = models
    rows = CDNOW.iloc[:200]
    table = bgnbd.predict(rows, 39, interval=interval, n_boot=10, random_state=0)
    _check_bounds(table, "p_alive", high=1.0)
    _check_bounds(table, "expected_purchases")
    assert table.index.equals(rows.index)


def test_delta_and_bootstrap_agree_on_the_width(models):
    bgnbd, spend = models
    # 80% intervals: 25 draws estimate the 10th and 90th percentiles well enough.
    common = {"horizon": 52, "period": "W", "level": 0.8}
    delta = customer_lifetime_value(bgnbd, spend, CDNOW, interval="delta", **common)
    boot = customer_lifetime_value(
        bgnbd, spend, CDNOW, interval="bootstrap", n_boot=25, random_state=3, **common
    )
    ratio = (boot["clv_upper"] - boot["clv_lower"]) / (delta["clv_upper"] - delta["clv_lower"])
    assert 0.6 < ratio.median() < 1.6
    _check_bounds(delta, "clv")
    _check_bounds(boot, "clv")


def test_twice_the_customers_narrow_delta_intervals_by_root_two():
    doubled = CDNOW.assign(weight=2)
    one = BetaGeoModel().fit(CDNOW)
    two = BetaGeoModel().fit(doubled)
    np.testing.assert_allclose(one.params_, two.params_, rtol=1e-6)
    np.testing.assert_allclose(one.standard_errors_ / two.standard_errors_, np.sqrt(2), rtol=1e-3)
    a = one.predict(CDNOW, 26, interval="delta")
    b = two.predict(CDNOW, 26, interval="delta")
    unclipped = (a["expected_purchases_lower"] > 0) & (b["expected_purchases_lower"] > 0)
    assert unclipped.mean() > 0.99
    width_a = (a["expected_purchases_upper"] - a["expected_purchases_lower"])[unclipped]
    width_b = (b["expected_purchases_upper"] - b["expected_purchases_lower"])[unclipped]
    np.testing.assert_allclose(width_a / width_b, np.sqrt(2), rtol=1e-3)


def test_pareto_intervals_work_too():
    pareto = ParetoNBDModel().fit(CDNOW)
    table = pareto.predict(CDNOW.iloc[:50], 10, interval="delta")
    _check_bounds(table, "expected_purchases")


def test_bad_interval_arguments(models):
    bgnbd, _ = models
    with pytest.raises(DataContractError, match="'interval'"):
        bgnbd.predict(CDNOW, 10, interval="jackknife")
    with pytest.raises(DataContractError, match="'level'"):
        bgnbd.predict(CDNOW, 10, interval="delta", level=1.5)
    with pytest.raises(DataContractError, match="'n_boot'"):
        bgnbd.predict(CDNOW, 10, interval="bootstrap", n_boot=1)


def test_delta_refuses_without_a_covariance(models):
    bgnbd, _ = models
    broken = BetaGeoModel.from_dict(bgnbd.to_dict() | {"covariance": [[None] * 4] * 4})
    with pytest.raises(ConvergenceError, match="interval='bootstrap'"):
        broken.predict(CDNOW, 10, interval="delta")
