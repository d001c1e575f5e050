"""Edge cases found in review: degenerate data, boundaries and persistence."""

import json

import numpy as np
import pandas as pd
import pytest

from one2one.clv import BetaGeoModel, ParetoNBDModel, cohort_survival, rfm_summary
from one2one.datasets import load_cdnow_summary, simulate_transactions
from one2one.errors import DataContractError, NotFittedError

CDNOW = load_cdnow_summary()


@pytest.mark.parametrize("model_class", [BetaGeoModel, ParetoNBDModel])
def test_a_summary_without_repeat_purchases_is_refused(model_class):
    nobody = pd.DataFrame({"frequency": [0] * 50, "recency": [0.0] * 50, "T": [30.0] * 50})
    with pytest.raises(DataContractError, match="no customer in the summary has a repeat") as info:
        model_class().fit(nobody)
    assert info.value.column == "frequency"


@pytest.mark.parametrize(
    ("weights", "match"),
    [([0, 0], "sums to 0"), (["a", "b"], "numeric"), ([1, np.nan], "missing")],
)
def test_bad_weights_raise_typed_errors(weights, match):
    summary = pd.DataFrame({"frequency": [1, 2], "recency": [5.0, 9.0], "T": [10.0, 10.0]})
    with pytest.raises(DataContractError, match=match) as info:
        BetaGeoModel().fit(summary.assign(weight=weights))
    assert info.value.column == "weight"


def test_bootstrap_intervals_do_not_depend_on_who_is_predicted():
    model = BetaGeoModel().fit(CDNOW)
    late = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [1.0]}, index=[10_000])
    alone = model.predict(late, 39, interval="bootstrap", n_boot=20, random_state=1)
    together = model.predict(
        pd.concat([CDNOW, late]), 39, interval="bootstrap", n_boot=20, random_state=1
    )
    for column in ["expected_purchases_lower", "expected_purchases_upper"]:
        assert alone.loc[10_000, column] == pytest.approx(together.loc[10_000, column], rel=1e-9)


def test_observation_lengths_are_kept_and_saved():
    model = BetaGeoModel().fit(CDNOW)
    assert model.observation_lengths_.size == 1000
    assert model.observation_lengths_.mean() == pytest.approx(CDNOW["T"].mean(), rel=0.01)
    restored = BetaGeoModel.from_dict(json.loads(json.dumps(model.to_dict())))
    np.testing.assert_array_equal(restored.observation_lengths_, model.observation_lengths_)


def test_a_single_covariate_name_is_one_column():
    data = CDNOW.assign(age=np.random.default_rng(0).normal(size=len(CDNOW)))
    model = BetaGeoModel(purchase_covariates="age").fit(data)
    assert "purchase:age" in model.params_.index


def test_simulating_from_an_unfitted_model_says_so():
    with pytest.raises(NotFittedError):
        BetaGeoModel().simulate_summary(np.array([10.0]), np.random.default_rng(0))


def test_extreme_dropout_parameters_simulate_without_errors():
    sim = simulate_transactions(
        n_customers=20_000,
        params={"r": 0.5, "alpha": 2, "a": 0.005, "b": 2},
        observation_weeks=10,
        random_state=0,
    )
    assert len(sim.customers) == 20_000


def test_same_day_cancellations_still_count_in_the_cohort():
    contracts = pd.DataFrame(
        {
            "started_at": pd.to_datetime(["2024-01-05"] * 4, utc=True),
            "ended_at": pd.to_datetime(["2024-01-05", "2024-01-05", None, None], utc=True),
        }
    )
    table = cohort_survival(contracts, observation_end="2024-03-31")
    assert table["n_alive"].tolist()[:2] == [4, 2]
    with pytest.raises(DataContractError, match="no cohort has a complete period 0"):
        cohort_survival(contracts, observation_end="2023-12-01")


def test_time_zone_problems_raise_typed_errors():
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "occurred_at": pd.to_datetime(["2024-03-31 01:30", "2024-04-02 10:00"]),
            "value": [1.0, 2.0],
        }
    )
    with pytest.raises(DataContractError, match="clocks change") as info:
        rfm_summary(tx, assume_tz="Europe/London")  # 01:30 did not exist that night
    assert info.value.column == "occurred_at"
    aware = tx.assign(occurred_at=tx["occurred_at"].dt.tz_localize("UTC"))
    with pytest.raises(DataContractError, match="known time zone") as info:
        rfm_summary(aware, tz="Mars/Olympus")
    assert info.value.column == "tz"
