"""P(X(t) = n) for a new customer, under BG/NBD, MBG/NBD and Pareto/NBD."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.clv import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel
from one2one.datasets import load_cdnow_summary
from one2one.errors import DataContractError

CDNOW = load_cdnow_summary()
MODELS = [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel]


@pytest.fixture(scope="module", params=MODELS, ids=lambda m: m.__name__)
def fitted(request):
    return request.param().fit(CDNOW)


@given(t=st.floats(0.1, 200))
@settings(max_examples=15)
def test_probabilities_sum_to_one_and_their_mean_is_the_expectation(fitted, t):
    n = np.arange(0, 3000)
    p = fitted.proba_purchases(n, t)
    assert (p >= 0).all()
    assert p.sum() == pytest.approx(1.0, abs=1e-6)
    assert (n * p).sum() == pytest.approx(fitted.expected_purchases(t)[0], rel=1e-5)


def test_probabilities_match_a_simulation(fitted):
    sim = fitted.sample(100_000, observation_periods=39, random_state=7)
    observed = np.bincount(sim.customers["frequency"], minlength=6)[:6] / 100_000
    expected = fitted.proba_purchases(np.arange(6), 39)
    se = np.sqrt(expected * (1 - expected) / 100_000)
    assert np.all(np.abs(observed - expected) < 5 * se)


def test_bad_counts_are_refused():
    model = BetaGeoModel().fit(CDNOW)
    for bad in ([-1], [1.5], [np.nan]):
        with pytest.raises(DataContractError, match="'n' must hold whole numbers"):
            model.proba_purchases(bad, 10)
    with pytest.raises(DataContractError, match="'t'"):
        model.proba_purchases([1], 0)
