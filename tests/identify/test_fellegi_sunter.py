"""Fellegi-Sunter: EM recovers known m/u, closer agreement never weighs less, JSON round trip."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.errors import DataContractError, NotFittedError
from one2one.identify import Comparison, FellegiSunter

COMPARISONS = [
    Comparison("name", "jaro_winkler", (0.92, 0.8)),
    Comparison("dob", "date", (31,)),
    Comparison("city", "exact"),
]
M = {"name": [0.8, 0.1, 0.05, 0.05], "dob": [0.85, 0.03, 0.07, 0.05], "city": [0.9, 0.1]}
U = {"name": [0.01, 0.01, 0.08, 0.9], "dob": [0.002, 0.001, 0.01, 0.987], "city": [0.05, 0.95]}


def simulate(n, prior, seed, m=M, u=U):
    rng = np.random.default_rng(seed)
    match = rng.random(n) < prior
    columns = {}
    for name in m:
        k = len(m[name])
        columns[name] = np.where(
            match, rng.choice(k, size=n, p=m[name]), rng.choice(k, size=n, p=u[name])
        ).astype(np.int8)
        columns[name][rng.random(n) < 0.05] = -1  # some missing
    return pd.DataFrame(columns), match


def test_em_recovers_known_m_and_prior():
    levels, match = simulate(200_000, 0.1, seed=1)
    random_levels, _ = simulate(200_000, 0.0, seed=2)
    model = FellegiSunter(COMPARISONS, estimate_u=False).fit(levels, random_levels)
    assert model.prior_ == pytest.approx(match.mean(), abs=0.005)
    for name, truth in M.items():
        np.testing.assert_allclose(model.m_[name], truth, atol=0.01)
        np.testing.assert_allclose(model.u_[name], U[name], atol=0.01)
    classic = FellegiSunter(COMPARISONS, estimate_u=True).fit(levels, random_levels)
    assert classic.prior_ == pytest.approx(match.mean(), abs=0.01)


def test_supervised_fit_counts_levels_among_labelled_pairs():
    levels, match = simulate(50_000, 0.3, seed=3)
    model = FellegiSunter(COMPARISONS).fit(levels, labels=match)
    present = levels["city"] != -1
    share_exact = (levels["city"][match & present] == 0).mean()
    assert model.m_["city"][0] == pytest.approx(share_exact)
    assert model.prior_ == pytest.approx(match.mean())


@pytest.mark.filterwarnings("ignore::one2one.errors.ConvergenceWarning")  # tiny degenerate inputs
@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-1, 3), st.integers(-1, 3), st.integers(-1, 1)),
        min_size=5,
        max_size=60,
    )
)
def test_a_record_always_matches_itself_with_the_highest_weight(rows):
    levels = pd.DataFrame(rows, columns=["name", "dob", "city"]).astype(np.int8)
    model = FellegiSunter(COMPARISONS).fit(levels)
    weights = model.match_weight(levels)
    itself = model.match_weight(levels.where(levels < 0, 0))
    assert (itself >= weights - 1e-9).all()
    probability = model.predict_proba(levels)
    assert ((probability >= 0) & (probability <= 1)).all()
    assert np.isfinite(weights).all()


def test_json_round_trip_gives_the_same_weights():
    levels, _ = simulate(5_000, 0.2, seed=4)
    model = FellegiSunter(COMPARISONS).fit(levels)
    again = FellegiSunter.from_dict(json.loads(json.dumps(model.to_dict())))
    np.testing.assert_array_equal(again.match_weight(levels), model.match_weight(levels))
    pd.testing.assert_frame_equal(again.weights_table(), model.weights_table())


def test_bad_levels_and_unfitted_use_are_refused():
    model = FellegiSunter(COMPARISONS)
    with pytest.raises(NotFittedError):
        model.match_weight(pd.DataFrame({"name": [0], "dob": [0], "city": [0]}))
    with pytest.raises(DataContractError, match="'city' holds level 5"):
        model.fit(pd.DataFrame({"name": [0], "dob": [0], "city": [5]}))
    with pytest.raises(DataContractError, match="missing required column"):
        model.fit(pd.DataFrame({"name": [0]}))
    with pytest.raises(DataContractError, match="empty"):
        model.fit(pd.DataFrame({"name": [], "dob": [], "city": []}))
    with pytest.raises(DataContractError, match="labels"):
        model.fit(pd.DataFrame({"name": [0], "dob": [0], "city": [0]}), labels=np.array([True]))


def test_a_related_class_takes_households_out_of_the_matches():
    # matches agree on everything; households agree on surname and city only
    rng = np.random.default_rng(5)
    kinds = rng.choice(3, size=60_000, p=[0.1, 0.2, 0.7])  # match, household, unrelated
    comparisons = [Comparison(f) for f in ("given", "surname", "city", "dob")]
    agree = {
        "given": [0.95, 0.05, 0.05],
        "surname": [0.97, 0.99, 0.02],
        "city": [0.95, 0.99, 0.05],
        "dob": [0.97, 0.01, 0.01],
    }
    levels = pd.DataFrame(
        {f: (rng.random(kinds.size) >= np.take(p, kinds)).astype(np.int8) for f, p in agree.items()}
    )
    random_levels = pd.DataFrame(
        {f: (rng.random(50_000) >= p[2]).astype(np.int8) for f, p in agree.items()}
    )
    plain = FellegiSunter(comparisons).fit(levels, random_levels)
    related = FellegiSunter(comparisons, related_groups=[("surname", "city")]).fit(
        levels, random_levels
    )
    household = kinds == 1
    plain_false = (plain.predict_proba(levels)[household] > 0.5).mean()
    related_false = (related.predict_proba(levels)[household] > 0.5).mean()
    assert related_false < 0.1
    assert plain_false > 0.5
    assert related.prior_ == pytest.approx(0.1, abs=0.01)
    assert related.related_priors_[0] == pytest.approx(0.2, abs=0.02)
