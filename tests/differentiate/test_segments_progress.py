"""NeedsSegmenter.fit follows the library's progress convention: "auto" | True | False."""

import pytest
from sklearn.base import clone

from one2one.datasets import simulate_campaign
from one2one.differentiate import NeedsSegmenter, _segments
from one2one.errors import DataContractError, MissingDependencyError
from tests.progress_fakes import record_bars, without_tqdm

FEATURES = simulate_campaign(400, random_state=7).features
QUICK = {"n_segments": 2, "n_init": 1}  # one k-means start: these tests count bars, not segments


def test_the_default_is_auto_and_survives_cloning():
    assert NeedsSegmenter().progress == "auto"
    assert clone(NeedsSegmenter(progress=False)).get_params()["progress"] is False


def test_true_shows_one_step_per_number_of_segments_tried_and_the_final_fit(monkeypatch):
    bars = record_bars(monkeypatch)
    NeedsSegmenter(k_range=(2, 3), n_init=1, progress=True).fit(FEATURES)
    assert [(bar.total, bar.n, bar.closed) for bar in bars] == [(3, 3, True)]
    assert bars[0].steps == ["k=2", "k=3", "final fit"]
    bars.clear()
    NeedsSegmenter(**QUICK, progress=True).fit(FEATURES)
    assert [(bar.total, bar.n, bar.steps) for bar in bars] == [(1, 1, ["final fit"])]


def test_false_draws_nothing_and_auto_only_long_work(monkeypatch):
    bars = record_bars(monkeypatch)
    NeedsSegmenter(**QUICK, progress=False).fit(FEATURES)
    NeedsSegmenter(**QUICK).fit(FEATURES)  # 400 customers: milliseconds
    assert bars == []
    monkeypatch.setitem(_segments.SECONDS_PER_ROW, "kmeans", 1.0)
    NeedsSegmenter(**QUICK, progress=False).fit(FEATURES)
    assert bars == []
    NeedsSegmenter(**QUICK).fit(FEATURES)  # now expected to take minutes
    assert len(bars) == 1


def test_stability_refits_draw_no_bar_of_their_own(monkeypatch):
    segmenter = NeedsSegmenter(**QUICK, progress=True).fit(FEATURES)
    bars = record_bars(monkeypatch)
    segmenter.stability(FEATURES, n_resamples=2)
    assert bars == []


def test_auto_expects_the_work_of_the_silhouette_and_the_fits():
    def seconds(n, **params):
        return NeedsSegmenter(**params)._expected_seconds(n, n_tried=9)

    assert seconds(1_000) < 2.0
    assert seconds(40_000) > 2.0  # measured: 17 s on 2 shared cores
    assert seconds(40_000, method="gmm") > seconds(40_000)
    assert seconds(40_000, n_init=1) < seconds(40_000)


def test_true_without_tqdm_names_the_extra(monkeypatch):
    without_tqdm(monkeypatch)
    with pytest.raises(MissingDependencyError, match="progress"):
        NeedsSegmenter(**QUICK, progress=True).fit(FEATURES)
    NeedsSegmenter(**QUICK).fit(FEATURES)  # "auto" without tqdm: no bar, no error


@pytest.mark.parametrize("bad", [None, 1, "yes"])
def test_a_bad_progress_value_is_refused(bad):
    with pytest.raises(DataContractError, match="progress") as info:
        NeedsSegmenter(progress=bad).fit(FEATURES)
    assert info.value.column == "progress"
