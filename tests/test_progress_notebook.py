"""progress="auto" in a notebook: a bar only where tqdm can draw one (ipywidgets)."""

import importlib.util
import sys
import types

from one2one import _progress


def test_a_kernel_without_ipywidgets_is_not_shown_a_text_bar(monkeypatch):
    # Without ipywidgets, tqdm.auto warns (TqdmWarning) and prints text lines into the
    # cell: on a tutorial page built from the notebook, that is noise, not feedback.
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setattr(importlib.util, "find_spec", lambda _name, *_: None)
    assert not _progress._watched()


def test_a_kernel_with_ipywidgets_is_watched(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    found = importlib.util.spec_from_loader("ipywidgets", loader=None)
    monkeypatch.setattr(importlib.util, "find_spec", lambda _name, *_: found)
    assert _progress._watched()
