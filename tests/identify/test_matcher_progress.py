"""RecordMatcher's progress follows the library's convention: "auto" | True | False."""

import pytest
from sklearn.base import clone

from one2one.datasets import load_febrl
from one2one.errors import DataContractError, MissingDependencyError
from one2one.identify import RecordMatcher
from one2one.identify import _matcher as matcher_module
from tests.identify.schemas import FEBRL
from tests.progress_fakes import record_bars, without_tqdm

RECORDS = load_febrl("dataset1").records.reset_index()


def test_the_default_is_auto_and_survives_cloning():
    matcher = RecordMatcher(FEBRL)
    assert matcher.progress == "auto"
    assert clone(RecordMatcher(FEBRL, progress=False)).get_params()["progress"] is False


def test_true_shows_the_four_steps(monkeypatch):
    bars = record_bars(monkeypatch)
    RecordMatcher(FEBRL, progress=True).fit(RECORDS)
    assert len(bars) == 1
    assert (bars[0].total, bars[0].n, bars[0].closed) == (4, 4, True)
    assert bars[0].steps == ["standardise", "block", "compare", "score"]


def test_false_draws_nothing_and_auto_only_long_work(monkeypatch):
    bars = record_bars(monkeypatch)
    RecordMatcher(FEBRL, progress=False).fit(RECORDS)
    RecordMatcher(FEBRL).fit(RECORDS)  # 1,000 records: well under two seconds
    assert bars == []
    monkeypatch.setattr(matcher_module, "_SECONDS_PER_RECORD", 1.0)
    RecordMatcher(FEBRL, progress=False).fit(RECORDS)
    assert bars == []
    RecordMatcher(FEBRL).fit(RECORDS)  # now expected to take 1,000 seconds
    assert len(bars) == 1


def test_auto_expects_seconds_from_the_number_of_records():
    assert 100_000 * matcher_module._SECONDS_PER_RECORD > 2.0
    assert 10_000 * matcher_module._SECONDS_PER_RECORD < 2.0


def test_true_without_tqdm_names_the_extra(monkeypatch):
    without_tqdm(monkeypatch)
    with pytest.raises(MissingDependencyError, match="progress"):
        RecordMatcher(FEBRL, progress=True).fit(RECORDS)


@pytest.mark.parametrize("bad", [1, "yes", "AUTO"])
def test_a_bad_progress_value_is_refused(bad):
    with pytest.raises(DataContractError, match="progress") as info:
        RecordMatcher(FEBRL, progress=bad).fit(RECORDS)
    assert info.value.column == "progress"


def test_none_still_works_with_a_deprecation_warning(monkeypatch):
    bars = record_bars(monkeypatch)
    with pytest.warns(DeprecationWarning, match="'auto'"):
        customer_id = RecordMatcher(FEBRL, progress=None).fit_predict(RECORDS)
    assert customer_id.size == len(RECORDS)
    assert bars == []  # read as "auto": 1,000 records draw no bar
