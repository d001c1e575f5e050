"""Progress on long clv work (model comparison, bootstrap): "auto", True or False."""

import pytest

from one2one.clv import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    _uncertainty,
    compare_models,
    customer_lifetime_value,
    rfm_summary,
)
from one2one.datasets import load_cdnow_transactions
from one2one.errors import DataContractError, MissingDependencyError
from tests.progress_fakes import record_bars, without_tqdm

SUMMARY = rfm_summary(load_cdnow_transactions("sample"), freq="W").iloc[:300]
QUICK = [BetaGeoModel(), ModifiedBetaGeoModel()]


@pytest.fixture(scope="module")
def models():
    return BetaGeoModel().fit(SUMMARY), GammaGammaModel().fit(SUMMARY)


def _bootstrap_clv(models, *, progress):
    return customer_lifetime_value(
        *models,
        SUMMARY,
        horizon="26W",
        interval="bootstrap",
        n_boot=2,
        random_state=0,
        progress=progress,
    )


def test_compare_models_shows_one_step_per_model_when_asked(monkeypatch):
    bars = record_bars(monkeypatch)
    compare_models(SUMMARY, QUICK, progress=True)
    assert len(bars) == 1
    assert bars[0].total == 2
    assert bars[0].n == 2
    assert bars[0].steps == ["BetaGeoModel", "ModifiedBetaGeoModel"]
    assert bars[0].closed


def test_bootstrap_shows_one_step_per_replicate_when_asked(monkeypatch, models):
    bars = record_bars(monkeypatch)
    _bootstrap_clv(models, progress=True)
    assert [(bar.total, bar.n, bar.closed) for bar in bars] == [(2, 2, True)]
    bars.clear()
    models[0].predict(SUMMARY, 4, interval="bootstrap", n_boot=2, progress=True)
    assert [(bar.total, bar.n) for bar in bars] == [(2, 2)]


def test_false_draws_nothing_and_auto_draws_only_long_work(monkeypatch, models):
    bars = record_bars(monkeypatch)
    compare_models(SUMMARY, QUICK, progress=False)
    _bootstrap_clv(models, progress=False)
    compare_models(SUMMARY, QUICK, progress="auto")  # milliseconds: no bar
    _bootstrap_clv(models, progress="auto")
    assert bars == []
    monkeypatch.setitem(_uncertainty.FIT_SECONDS_PER_ROW, "BetaGeoModel", 1.0)
    compare_models(SUMMARY, QUICK, progress="auto")  # now expected to take minutes
    _bootstrap_clv(models, progress="auto")
    assert [bar.total for bar in bars] == [2, 2]


def test_auto_expects_pareto_nbd_to_be_slow_and_bg_nbd_fast():
    def seconds(model, rows):
        return _uncertainty.expected_fit_seconds([model], rows)

    assert seconds(BetaGeoModel(), 60_000) < 2.0
    assert seconds(ParetoNBDModel(), 60_000) > 2.0
    assert seconds(ParetoNBDModel(), 500) < 2.0


def test_true_without_tqdm_names_the_extra(monkeypatch, models):
    without_tqdm(monkeypatch)
    with pytest.raises(MissingDependencyError, match="progress"):
        compare_models(SUMMARY, QUICK, progress=True)
    with pytest.raises(MissingDependencyError, match="progress"):
        _bootstrap_clv(models, progress=True)
    compare_models(SUMMARY, QUICK, progress="auto")  # auto without tqdm: no bar, no error


@pytest.mark.parametrize("bad", [None, 1, "yes"])
def test_a_bad_progress_value_is_refused(models, bad):
    with pytest.raises(DataContractError, match="progress") as info:
        compare_models(SUMMARY, QUICK, progress=bad)
    assert info.value.column == "progress"
    with pytest.raises(DataContractError, match="progress"):
        customer_lifetime_value(*models, SUMMARY, horizon="4W", progress=bad)
    with pytest.raises(DataContractError, match="progress"):
        models[0].predict(SUMMARY, 4, progress=bad)
