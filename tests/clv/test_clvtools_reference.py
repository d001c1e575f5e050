"""CLVTools' own correctness tests on CDNOW, reproduced (tests/testthat, tolerance 0.001).

CLVTools (R) pins these on ``clvdata(cdnow, time.unit="w",
estimation.split="1997-09-30")``: transactions of a day merged, time in
weeks, the calibration ending on 1997-09-30 inclusive. That is
``rfm_summary(freq="D", time_unit="W", calibration_end="1997-09-30")`` of
the 1-in-10 CDNOW sample. CLVTools checks with ``expect_equal(tolerance =
0.001)``, a relative tolerance; so do these tests.
"""

from __future__ import annotations

import pandas as pd
import pytest

from one2one.clv import BetaGeoModel, GammaGammaModel, ParetoNBDModel, rfm_summary
from one2one.datasets import load_cdnow_transactions

RELATIVE = 1e-3


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    log = load_cdnow_transactions("sample")
    return rfm_summary(log, freq="D", time_unit="W", calibration_end="1997-09-30", monetary="value")


def test_pareto_nbd_matches_clvtools(cdnow: pd.DataFrame) -> None:
    """test_correctness_pnbd_nocovstaticcov.R:8-10 and 22-24 (standard errors)."""
    model = ParetoNBDModel().fit(cdnow)
    expected = {"r": 0.55315, "alpha": 10.57633, "s": 0.60625, "beta": 11.67150}
    for name, value in expected.items():
        assert model.params_[name] == pytest.approx(value, rel=RELATIVE), name
    assert model.log_likelihood_ == pytest.approx(-9594.976, rel=RELATIVE)
    errors = {"r": 0.0476264, "alpha": 0.8427222, "s": 0.1872594, "beta": 6.2105448}
    for name, value in errors.items():
        assert model.standard_errors_[name] == pytest.approx(value, rel=RELATIVE), name


def test_bg_nbd_matches_clvtools(cdnow: pd.DataFrame) -> None:
    """test_correctness_bgnbd.R:8-10."""
    model = BetaGeoModel().fit(cdnow)
    expected = {"r": 0.2425945, "alpha": 4.4136019, "a": 0.7929199, "b": 2.4258881}
    for name, value in expected.items():
        assert model.params_[name] == pytest.approx(value, rel=RELATIVE), name
    assert model.log_likelihood_ == pytest.approx(-9582.429, rel=RELATIVE)


def test_gamma_gamma_matches_clvtools(cdnow: pd.DataFrame) -> None:
    """test_correctness_gg.R:10-11: repeat transactions' mean spend (first one removed)."""
    model = GammaGammaModel().fit(cdnow[cdnow["frequency"] > 0])
    expected = {"p": 6.25, "q": 3.74, "gamma": 15.44}  # pinned to 3 or 4 figures
    for name, value in expected.items():
        assert model.params_[name] == pytest.approx(value, abs=0.005), name
    assert model.log_likelihood_ == pytest.approx(-4055.9177, rel=RELATIVE)
