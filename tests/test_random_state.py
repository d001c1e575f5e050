"""Every source of randomness is called ``random_state``; the old ``seed=`` still works, warned.

datasets (and a few clv methods) took ``seed`` (or ``rng``) while the estimators took
``random_state``: one name now, with the old one accepted for one release.
"""

import inspect

import numpy as np
import pandas as pd
import pytest

from one2one._deprecation import renamed_parameters
from one2one.clv import BetaGeoModel, frequency_histogram_table
from one2one.datasets import (
    load_cdnow_summary,
    simulate_business,
    simulate_campaign,
    simulate_identities,
    simulate_shop,
    simulate_transactions,
)
from one2one.errors import DataContractError

BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}

# (callable, arguments, how to compare two results)
SIMULATORS = {
    "simulate_transactions": (
        lambda **kw: (
            simulate_transactions(
                n_customers=30, params=BGNBD, observation_weeks=10, **kw
            ).transactions
        )
    ),
    "simulate_identities": lambda **kw: simulate_identities(40, **kw).records,
    "simulate_campaign": lambda **kw: simulate_campaign(50, **kw).features,
    "simulate_shop": lambda **kw: simulate_shop(10, days=2, **kw).events,
}


@pytest.mark.parametrize("name", sorted(SIMULATORS))
def test_seed_is_read_as_random_state_with_a_deprecation_warning(name):
    draw = SIMULATORS[name]
    with pytest.warns(DeprecationWarning, match=r"seed=.*random_state="):
        old = draw(seed=3)
    pd.testing.assert_frame_equal(old, draw(random_state=3))


@pytest.mark.parametrize("name", sorted(SIMULATORS))
def test_seed_and_random_state_together_are_refused(name):
    with pytest.raises(DataContractError, match="seed") as info:
        SIMULATORS[name](seed=3, random_state=3)
    assert info.value.column == "seed"


def test_the_simulators_signatures_say_random_state():
    for simulator in (
        simulate_transactions,
        simulate_identities,
        simulate_campaign,
        simulate_shop,
        simulate_business,
    ):
        parameters = inspect.signature(simulator).parameters
        assert "random_state" in parameters
        assert "seed" not in parameters


def test_respond_takes_random_state_and_reads_rng_with_a_warning():
    business = simulate_business(60, random_state=0)
    person = int(business.people.index[0])
    offer = str(business.acceptance.columns[0])
    new = [business.respond(person, offer, random_state=np.random.default_rng(5)) for _ in "ab"]
    with pytest.warns(DeprecationWarning, match="rng="):
        old = business.respond(person, offer, rng=np.random.default_rng(5))
    assert old == new[0]
    assert business.respond(person, offer, 7) == business.respond(person, offer, 7)


def test_clv_simulation_takes_random_state():
    summary = load_cdnow_summary().head(200)
    model = BetaGeoModel().fit(summary)
    new = model.sample(20, observation_periods=10, random_state=1).transactions
    with pytest.warns(DeprecationWarning, match="seed="):
        old = model.sample(20, observation_periods=10, seed=1).transactions
    pd.testing.assert_frame_equal(old, new)
    table = frequency_histogram_table(model, summary, n_draws=1, random_state=2)
    with pytest.warns(DeprecationWarning, match="seed="):
        again = frequency_histogram_table(model, summary, n_draws=1, seed=2)
    pd.testing.assert_frame_equal(table, again)
    lengths = summary["T"].to_numpy()[:5]
    first = model.simulate_summary(lengths, random_state=4)
    with pytest.warns(DeprecationWarning, match="rng="):
        second = model.simulate_summary(lengths, rng=np.random.default_rng(4))
    pd.testing.assert_frame_equal(first, second)


def test_the_helper_keeps_the_signature_and_positional_calls():
    @renamed_parameters(seed="random_state")
    def draw(n: int, random_state: int | None = None) -> tuple[int, int | None]:
        """Draw."""
        return n, random_state

    assert list(inspect.signature(draw).parameters) == ["n", "random_state"]
    assert draw(1, 2) == (1, 2)
    assert draw.__doc__ == "Draw."
    with pytest.warns(DeprecationWarning, match="seed=") as caught:
        assert draw(1, seed=2) == (1, 2)
    assert caught[0].filename == __file__  # points at the caller, not at the helper
