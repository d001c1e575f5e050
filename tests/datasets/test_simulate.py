import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import hyp2f1

from one2one.datasets import simulate_transactions
from one2one.errors import DataContractError
from tests import strategies

CDNOW_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


def _check_truth_matches_transactions(sim):
    tx, customers = sim.transactions, sim.customers
    assert (tx["value"] > 0).all()
    counts = tx.groupby("customer_id").size()
    assert (counts == customers["frequency"] + 1).all()
    first = tx.groupby("customer_id")["occurred_at"].min()
    assert (first == customers["first_purchase_at"]).all()
    assert (tx["occurred_at"] <= sim.observation_end).all()
    assert tx.equals(tx.sort_values(["customer_id", "occurred_at"], kind="stable"))
    weeks = (tx.groupby("customer_id")["occurred_at"].max() - first) / pd.Timedelta(weeks=1)
    assert np.allclose(weeks, customers["recency"], atol=1e-5)
    assert (customers["recency"] <= customers["T"]).all()
    assert ((customers["frequency"] == 0) == (customers["recency"] == 0)).all()


@settings(max_examples=25)
@given(
    model=st.sampled_from(["bgnbd", "mbgnbd"]),
    params=strategies.bg_params,
    n=st.integers(1, 200),
    weeks=st.floats(1, 100),
    seed=st.integers(0, 2**32 - 1),
)
def test_bg_simulations_are_self_consistent(model, params, n, weeks, seed):
    sim = simulate_transactions(
        model, n_customers=n, params=params, observation_weeks=weeks, random_state=seed
    )
    _check_truth_matches_transactions(sim)
    # Under the BG models a customer can only drop out right after a purchase.
    dead = sim.customers[~sim.customers["alive"]]
    if model == "bgnbd":
        assert (dead["frequency"] >= 1).all()


@settings(max_examples=25)
@given(params=strategies.pareto_params, n=st.integers(1, 200), seed=st.integers(0, 2**32 - 1))
def test_pareto_simulations_are_self_consistent(params, n, seed):
    sim = simulate_transactions(
        "paretonbd",
        n_customers=n,
        params=params,
        observation_weeks=52,
        acquisition_weeks=12,
        random_state=seed,
    )
    _check_truth_matches_transactions(sim)
    assert (sim.customers["T"] > 40).all()


def test_same_seed_same_data():
    a = simulate_transactions(
        n_customers=50, params=CDNOW_BGNBD, observation_weeks=39, random_state=7
    )
    b = simulate_transactions(
        n_customers=50, params=CDNOW_BGNBD, observation_weeks=39, random_state=7
    )
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    pd.testing.assert_frame_equal(a.customers, b.customers)


def _sd_of_mean(x):
    return x.std() / np.sqrt(len(x))


def test_bgnbd_mean_frequency_matches_the_paper_formula():
    """E[X(t)] of Fader, Hardie & Lee (2005), eq. (9), against 40,000 draws."""
    t = 39.0
    sim = simulate_transactions(
        n_customers=40_000, params=CDNOW_BGNBD, observation_weeks=t, random_state=3
    )
    r, alpha, a, b = CDNOW_BGNBD.values()
    expected = (a + b - 1) / (a - 1)
    expected *= 1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t))
    freq = sim.customers["frequency"]
    assert abs(freq.mean() - expected) < 4 * _sd_of_mean(freq)


def test_pareto_mean_frequency_and_survival_match_the_model():
    """E[X(t)] and P(alive at t) of Schmittlein, Morrison & Colombo (1987)."""
    t = 39.0
    sim = simulate_transactions(
        "paretonbd", n_customers=40_000, params=CDNOW_PARETO, observation_weeks=t, random_state=4
    )
    r, alpha, s, beta = CDNOW_PARETO.values()
    mean_x = r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))
    freq = sim.customers["frequency"]
    assert abs(freq.mean() - mean_x) < 4 * _sd_of_mean(freq)
    alive = sim.customers["alive"].astype(float)
    assert abs(alive.mean() - (beta / (beta + t)) ** s) < 4 * _sd_of_mean(alive)


def test_spend_matches_the_gamma_gamma_mean():
    sim = simulate_transactions(
        n_customers=20_000, params=CDNOW_BGNBD, observation_weeks=39, random_state=5
    )
    p, q, gamma = sim.params["p"], sim.params["q"], sim.params["gamma"]
    values = sim.transactions["value"]
    # E[z] = p * gamma / (q - 1); spread comes mostly from nu, so use a wide band.
    assert abs(values.mean() / (p * gamma / (q - 1)) - 1) < 0.05


def test_acquisition_spreads_first_purchases():
    sim = simulate_transactions(
        n_customers=2_000,
        params=CDNOW_BGNBD,
        observation_weeks=78,
        acquisition_weeks=12,
        random_state=1,
    )
    first = sim.customers["first_purchase_at"]
    start = pd.Timestamp("1997-01-01", tz="UTC")
    assert first.min() >= start
    assert first.max() < start + pd.Timedelta(weeks=12)
    assert first.nunique() > 1000
    assert np.allclose(sim.customers["T"], 78 - (first - start) / pd.Timedelta(weeks=1), atol=1e-5)


def test_per_customer_observation_lengths():
    lengths = np.array([1.0, 10.0, 39.0, 0.5])
    sim = simulate_transactions(
        n_customers=4, params=CDNOW_BGNBD, observation_weeks=39, T=lengths, random_state=3
    )
    np.testing.assert_allclose(sim.customers["T"], lengths)
    assert (sim.customers["recency"] <= lengths).all()
    with pytest.raises(DataContractError, match="'T' must hold 4 values"):
        simulate_transactions(
            n_customers=4, params=CDNOW_BGNBD, observation_weeks=39, T=[1.0, 40.0, 2, 3]
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": "bgnbd2"}, "must be one of"),
        ({"params": {"r": 1, "alpha": 1, "a": 1}}, "exactly r, alpha, a, b"),
        ({"params": {"r": 1, "alpha": 1, "s": 1, "beta": 1}}, "exactly r, alpha, a, b"),
        ({"params": {"r": 1, "alpha": -1, "a": 1, "b": 1}}, "'alpha' must lie in"),
        ({"n_customers": 0}, "'n_customers' must lie in"),
        ({"n_customers": 2.5}, "whole number"),
        ({"observation_weeks": 0}, "'observation_weeks'"),
        ({"acquisition_weeks": 39}, "'acquisition_weeks'"),
        ({"spend_params": {"p": 1, "q": 1}}, "spend parameters"),
        ({"random_state": "x"}, "random_state"),
    ],
)
def test_bad_arguments_raise_typed_errors(kwargs, match):
    arguments = {
        "model": "bgnbd",
        "n_customers": 10,
        "params": CDNOW_BGNBD,
        "observation_weeks": 39,
        **kwargs,
    }
    with pytest.raises(DataContractError, match=match):
        simulate_transactions(**arguments)
