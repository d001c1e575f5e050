"""A stand-in for tqdm that records the bars drawn, shared by the rooms' progress tests."""

import sys
import types

from one2one import _progress


class FakeBar:
    """Records what a tqdm bar would have been told."""

    def __init__(self, iterable=None, *, total=None, desc=None, leave=True):
        del iterable, leave
        self.total = total
        self.desc = desc
        self.n = 0
        self.steps = []
        self.closed = False

    def update(self, n=1):
        self.n += n

    def set_postfix_str(self, text):
        self.steps.append(text)

    def close(self):
        self.closed = True


def record_bars(monkeypatch, *, watched=True):
    """Replace ``tqdm.auto`` by a recorder; return the list the bars drawn are appended to."""
    bars = []

    def tqdm(*args, **kwargs):
        bar = FakeBar(*args, **kwargs)
        bars.append(bar)
        return bar

    module = types.ModuleType("tqdm.auto")
    module.tqdm = tqdm
    monkeypatch.setitem(sys.modules, "tqdm.auto", module)
    monkeypatch.setattr(_progress, "_watched", lambda: watched)
    return bars


def without_tqdm(monkeypatch):
    """Make ``import tqdm.auto`` fail, as when the progress extra is not installed."""
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
