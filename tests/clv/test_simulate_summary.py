"""A simulated summary draws spend from the customers' own spend model, never a default."""

import numpy as np
import pytest

from one2one.clv import BetaGeoModel, GammaGammaModel, rfm_summary
from one2one.datasets import load_cdnow_summary, load_cdnow_transactions


@pytest.fixture(scope="module")
def fitted():
    return BetaGeoModel().fit(load_cdnow_summary())


def test_without_spend_parameters_no_spend_is_made_up(fitted):
    summary = fitted.simulate_summary(np.full(200, 39.0), random_state=0)
    assert list(summary.columns) == ["frequency", "recency", "T"]


def test_spend_follows_the_fitted_spend_model(fitted):
    summary = rfm_summary(load_cdnow_transactions("sample"), freq="D", time_unit="W")
    spend = GammaGammaModel().fit(summary[summary["frequency"] > 0])
    params = {str(k): float(v) for k, v in spend.params_.items()}
    cheap = {**params, "p": params["p"] / 4}  # a quarter of the spend per purchase
    lengths = np.full(4_000, 39.0)
    own = fitted.simulate_summary(lengths, random_state=1, spend_params=params)
    less = fitted.simulate_summary(lengths, random_state=1, spend_params=cheap)
    buyers = own["frequency"] > 0
    assert (own["frequency"] == less["frequency"]).all()  # same customers, same purchases
    ratio = less.loc[buyers, "monetary_value"].mean() / own.loc[buyers, "monetary_value"].mean()
    assert ratio == pytest.approx(0.25, rel=0.1)
