import numpy as np
import pandas as pd
import pytest

from one2one.clv import BetaGeoModel, ParetoNBDModel, compare_models, rfm_summary
from one2one.clv._compare import BASELINE, _baseline_predictions
from one2one.datasets import load_cdnow_summary, load_cdnow_transactions
from one2one.errors import DataContractError


@pytest.fixture(scope="module")
def calibration():
    summary = rfm_summary(
        load_cdnow_transactions("sample"),
        freq="D",
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
    )
    summary[["recency", "T", "duration_holdout"]] /= 7
    return summary


def test_table_matches_individual_fits(calibration):
    models = {"bg": BetaGeoModel(), "pareto": ParetoNBDModel()}
    table = compare_models(calibration, models, baseline=False)
    assert set(table.index) == {"bg", "pareto"}
    assert table["holdout_mae"].is_monotonic_increasing  # ranked by what came next
    assert not hasattr(models["bg"], "params_")  # inputs are cloned, not fitted
    bg = BetaGeoModel().fit(calibration)
    assert table.loc["bg", "log_likelihood"] == pytest.approx(bg.log_likelihood_)
    assert table.loc["bg", "bic"] == pytest.approx(4 * np.log(2357) - 2 * bg.log_likelihood_)
    predicted = bg.predict_purchases(calibration, 39)
    assert table.loc["bg", "holdout_predicted"] == pytest.approx(predicted.sum())
    assert table.loc["bg", "holdout_actual"] == calibration["frequency_holdout"].sum() == 1882
    error = predicted - calibration["frequency_holdout"]
    assert table.loc["bg", "holdout_mae"] == pytest.approx(error.abs().mean())
    assert table.loc["bg", "holdout_rmse"] == pytest.approx(np.sqrt((error**2).mean()))


def test_defaults_without_holdout():
    table = compare_models(load_cdnow_summary())
    assert list(table.index) == ["ModifiedBetaGeoModel", "BetaGeoModel", "ParetoNBDModel"]
    assert "holdout_mae" not in table.columns
    assert table["n_params"].tolist() == [4, 4, 4]


def test_bad_arguments(calibration):
    with pytest.raises(DataContractError, match="models is empty"):
        compare_models(calibration, [])
    with pytest.raises(DataContractError, match="duration_holdout"):
        compare_models(calibration.drop(columns="duration_holdout"))


def test_per_customer_holdout_lengths_are_respected(calibration):
    varied = calibration.copy()
    varied["duration_holdout"] = np.where(np.arange(len(varied)) % 2 == 0, 39.0, 20.0)
    table = compare_models(varied, [BetaGeoModel()])
    model = BetaGeoModel().fit(varied)
    expected = sum(
        model.predict_purchases(group, duration).sum()
        for duration, group in varied.groupby("duration_holdout")
    )
    assert table["holdout_predicted"].iloc[0] == pytest.approx(expected)
    assert isinstance(table, pd.DataFrame)


def test_the_baseline_is_scored_out_of_fold_and_ranked_with_the_models(calibration):
    table = compare_models(calibration)
    assert BASELINE in table.index
    assert table["holdout_mae"].is_monotonic_increasing
    assert pd.isna(table.loc[BASELINE, "bic"])
    assert pd.isna(table.loc[BASELINE, "n_params"])
    assert table.loc[BASELINE, "holdout_actual"] == 1882
    # on CDNOW, the paper's models predict the next 39 weeks better than the regression
    assert table.index[-1] == BASELINE
    # out of fold: a customer's own holdout never shapes their prediction
    first = _baseline_predictions(calibration, 0)
    changed = calibration.copy()
    who = changed.index[7]
    changed.loc[who, "frequency_holdout"] = 500
    second = _baseline_predictions(changed, 0)
    assert second[who] == pytest.approx(first[who])
    assert not np.allclose(second.drop(who), first.drop(who))  # the others' models saw it


def test_the_baseline_wins_where_the_models_assumptions_fail(calibration):
    # wholesale buyers on a schedule: next period's purchases are three times this period's
    scheduled = calibration.copy()
    scheduled["frequency_holdout"] = 3 * scheduled["frequency"]
    table = compare_models(scheduled, [BetaGeoModel()])
    assert table.index[0] == BASELINE
    assert table.loc[BASELINE, "holdout_mae"] < 0.5 * table.loc["BetaGeoModel", "holdout_mae"]


def test_no_baseline_without_a_holdout_or_when_declined(calibration):
    assert BASELINE not in compare_models(load_cdnow_summary()).index
    assert BASELINE not in compare_models(calibration, [BetaGeoModel()], baseline=False).index
    with pytest.raises(DataContractError, match="baseline"):
        compare_models(calibration, {BASELINE: BetaGeoModel()})
