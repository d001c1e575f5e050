"""One progress convention: "auto" | True | False, and True without tqdm is an error."""

import sys

import pytest

from one2one import _progress
from one2one._progress import check_progress, progress_bar
from one2one.errors import DataContractError, MissingDependencyError


@pytest.mark.parametrize("value", [None, 1, 0, "yes", "AUTO"])
def test_only_true_false_and_auto_are_progress_settings(value):
    with pytest.raises(DataContractError) as error:
        check_progress(value)
    assert error.value.column == "progress"


def test_true_without_tqdm_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    asked = progress_bar(progress=True, total=3, desc="work", expected_seconds=0.0)
    with pytest.raises(MissingDependencyError, match=r"one2one-marketing\[progress\]"):
        asked.__enter__()


def test_auto_without_tqdm_or_without_a_watcher_shows_nothing(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with progress_bar(progress="auto", total=3, desc="work", expected_seconds=60.0) as bar:
        assert not bar.shown
        bar.update(1)
        bar.step("next")
    monkeypatch.delitem(sys.modules, "tqdm.auto")
    monkeypatch.setattr(_progress, "_watched", lambda: False)
    with progress_bar(progress="auto", total=3, desc="work", expected_seconds=60.0) as bar:
        assert not bar.shown


def test_auto_shows_long_work_to_a_watcher_and_hides_short_work(monkeypatch):
    monkeypatch.setattr(_progress, "_watched", lambda: True)
    with progress_bar(progress="auto", total=3, desc="work", expected_seconds=60.0) as bar:
        assert bar.shown
        bar.update(3)
    with progress_bar(progress="auto", total=3, desc="work", expected_seconds=0.5) as bar:
        assert not bar.shown
    with progress_bar(progress=False, total=3, desc="work", expected_seconds=600.0) as bar:
        assert not bar.shown
    with progress_bar(progress=True, total=3, desc="work", expected_seconds=0.0) as bar:
        assert bar.shown
