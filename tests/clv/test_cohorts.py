"""cohort_survival: contracts -> survivor table for the shifted-beta-geometric model."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.clv import ShiftedBetaGeometricModel, cohort_survival
from one2one.errors import DataContractError

START = pd.Timestamp("2023-01-01", tz="UTC")


@st.composite
def contract_tables(draw):
    n = draw(st.integers(1, 25))
    starts = draw(st.lists(st.integers(0, 200), min_size=n, max_size=n))
    lengths = draw(st.lists(st.one_of(st.none(), st.integers(0, 400)), min_size=n, max_size=n))
    began = [START + pd.Timedelta(days=d) for d in starts]
    ended = [
        None if k is None else b + pd.Timedelta(days=k) for b, k in zip(began, lengths, strict=True)
    ]
    return pd.DataFrame(
        {"started_at": pd.to_datetime(began), "ended_at": pd.to_datetime(ended, utc=True)}
    )


def brute_force(contracts, stop):
    """One customer, one anniversary at a time, with pandas month arithmetic."""
    rows = {}
    for _, c in contracts.iterrows():
        cohort = c["started_at"].tz_localize(None).to_period("M").strftime("%Y-%m")
        k = 0
        while c["started_at"] + pd.DateOffset(months=k) <= stop:
            anniversary = c["started_at"] + pd.DateOffset(months=k)
            alive = k == 0 or pd.isna(c["ended_at"]) or c["ended_at"] > anniversary
            count, members = rows.get((cohort, k), (0, 0))
            rows[(cohort, k)] = (count + alive, members + 1)
            k += 1
    sizes = contracts.groupby(
        contracts["started_at"].dt.tz_localize(None).dt.to_period("M").astype(str)
    ).size()
    return {key: alive for key, (alive, members) in rows.items() if members == sizes[key[0]]}


@settings(max_examples=40)
@given(contract_tables())
def test_matches_a_brute_force_count(contracts):
    stop = START + pd.Timedelta(days=500)
    table = cohort_survival(contracts, observation_end=stop)
    got = {(r.cohort, r.period): r.n_alive for r in table.itertuples()}
    assert got == brute_force(contracts, stop)
    for _, group in table.groupby("cohort"):
        assert list(group["period"]) == list(range(len(group)))
        assert group["n_alive"].is_monotonic_decreasing


def test_simulated_contracts_give_back_the_churn_parameters():
    rng = np.random.default_rng(3)
    alpha, beta, n = 0.7, 1.2, 20_000
    theta = rng.beta(alpha, beta, n)
    renewals = rng.geometric(theta) - 1  # renewals survived before leaving
    began = START + pd.to_timedelta(rng.integers(0, 28, n), unit="D")
    ended = pd.Series(
        [
            b + pd.DateOffset(months=int(k)) + pd.Timedelta(days=3)
            for b, k in zip(began, np.minimum(renewals, 41), strict=True)
        ]
    )
    ended[renewals > 40] = pd.NaT  # still active at the end
    contracts = pd.DataFrame({"started_at": began, "ended_at": pd.to_datetime(ended, utc=True)})
    table = cohort_survival(contracts, observation_end=START + pd.DateOffset(months=13))
    assert table.attrs["period"] == "M"
    model = ShiftedBetaGeometricModel().fit(table)
    intervals = model.summary(level=0.99)
    for name, value in {"alpha": alpha, "beta": beta}.items():
        assert intervals.loc[name, "lower"] <= value <= intervals.loc[name, "upper"], name


@pytest.mark.parametrize(
    ("change", "match", "column"),
    [
        (lambda c: c.drop(columns="ended_at"), "missing required column", "ended_at"),
        (lambda c: c.assign(started_at=pd.NaT), "missing value", "started_at"),
        (lambda c: c.assign(ended_at=c["started_at"] - pd.Timedelta(days=1)), "before", "ended_at"),
        (lambda c: c.iloc[0:0], "empty", "started_at"),
        (
            lambda c: c.assign(started_at=c["started_at"].dt.tz_localize(None)),
            "assume_tz",
            "started_at",
        ),
    ],
)
def test_bad_contracts_are_refused(change, match, column):
    contracts = pd.DataFrame(
        {
            "started_at": pd.to_datetime(["2024-01-05", "2024-02-01"], utc=True),
            "ended_at": pd.to_datetime(["2024-03-10", None], utc=True),
        }
    )
    with pytest.raises(DataContractError, match=match) as info:
        cohort_survival(change(contracts))
    assert info.value.column == column
