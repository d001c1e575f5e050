"""One progress convention for every room: ``progress="auto" | True | False``.

``"auto"`` shows a bar when the work is expected to take more than a couple of
seconds and someone is watching (a terminal or a notebook), if tqdm is
installed. ``True`` always shows one and, without tqdm, raises
:class:`~one2one.errors.MissingDependencyError` naming the ``progress`` extra
(asking for a bar and silently getting none would hide a missing extra).
``False`` never shows one. The caller estimates the seconds; the bar itself
costs nothing when hidden.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, TypeAlias

from ._validation import optional_import
from .errors import DataContractError

__all__ = ["AUTO_SECONDS", "Progress", "check_progress", "progress_bar"]

Progress: TypeAlias = bool | Literal["auto"]
AUTO_SECONDS = 2.0
"""Work expected to take at least this long gets a bar under ``progress="auto"``."""


def check_progress(progress: object, *, name: str = "progress") -> Progress:
    """Return ``progress`` if it is ``True``, ``False`` or ``"auto"``; raise otherwise."""
    if progress is True or progress is False or progress == "auto":
        return progress
    msg = f"{name} must be True, False or 'auto' (got {progress!r})."
    raise DataContractError(msg, column=name, value=progress)


def _watched() -> bool:
    """Whether a person may be looking: an interactive terminal or a Jupyter kernel.

    In a kernel tqdm draws its bar with ipywidgets; without them it warns
    (``TqdmWarning``) and prints text lines into the cell, and into any page
    built from the notebook, so ``"auto"`` stays quiet there (``True`` draws).
    """
    if "ipykernel" in sys.modules:
        return importlib.util.find_spec("ipywidgets") is not None
    stream = sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


class _Bar:
    """A tqdm bar, or nothing: the same three calls either way."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` steps."""
        if self._bar is not None:
            self._bar.update(n)

    def step(self, name: str) -> None:
        """Advance by one named step."""
        if self._bar is not None:
            self._bar.set_postfix_str(name)
            self._bar.update(1)

    @property
    def shown(self) -> bool:
        """Whether a bar is drawn."""
        return self._bar is not None


@contextmanager
def progress_bar(
    *,
    progress: object,
    total: int | None,
    desc: str,
    expected_seconds: float,
) -> Iterator[_Bar]:
    """Yield a bar over ``total`` steps, shown as ``progress`` says.

    Parameters
    ----------
    progress
        ``"auto"``, ``True`` or ``False`` (checked).
    total
        Number of steps (``None``: unknown).
    desc
        What the bar measures, shown at its left.
    expected_seconds
        The caller's estimate of the work's duration, for ``"auto"``.
    """
    mode = check_progress(progress)
    show = mode is True or (mode == "auto" and expected_seconds >= AUTO_SECONDS and _watched())
    bar = None
    if show:
        try:
            tqdm = optional_import("tqdm.auto", extra="progress", feature="Progress bars").tqdm
        except ImportError:
            if mode is True:
                raise
            tqdm = None
        if tqdm is not None:
            bar = tqdm(total=total, desc=desc, leave=False)
    try:
        yield _Bar(bar)
    finally:
        if bar is not None:
            bar.close()
