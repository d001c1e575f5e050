"""Who hears about the log's committed changes: new events, erasures and merges.

Derived state (live profiles, a learner's counts) follows the log by
subscribing. A subscriber is called only after the change is committed, and
its failure is not the write's: the change stands, every other subscriber
still runs, and one :class:`~one2one.errors.StorageWarning` names the
failures, so the caller knows derived state may be stale and can rebuild it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from functools import partial

from ..errors import StorageWarning
from ._interaction import Interaction

__all__ = ["Subscribers"]

_STACKLEVEL = 4  # warn at the line that called the log: caller -> log -> here -> _call_all


class Subscribers:
    """The callbacks of one log object, called after each commit (they live as long as it)."""

    def __init__(self) -> None:
        self.on_append: list[Callable[[Sequence[Interaction]], None]] = []
        self.on_forget: list[Callable[[Sequence[str]], None]] = []
        self.on_merge: list[Callable[[str], None]] = []

    def add(
        self,
        on_append: Callable[[Sequence[Interaction]], None],
        on_forget: Callable[[Sequence[str]], None] | None = None,
        on_merge: Callable[[str], None] | None = None,
    ) -> None:
        """Add one subscriber's callbacks (``None``: not interested)."""
        self.on_append.append(on_append)
        if on_forget is not None:
            self.on_forget.append(on_forget)
        if on_merge is not None:
            self.on_merge.append(on_merge)

    def appended(self, fresh: Sequence[Interaction]) -> None:
        """Tell every subscriber about a committed batch."""
        _call_all(
            [partial(subscriber, fresh) for subscriber in self.on_append],
            "the batch was stored, but {failures} failed on it; state derived from the log "
            "may be stale: rebuild it from the log (e.g. ProfileStore.from_log).",
        )

    def forgotten(self, customer_ids: Sequence[str]) -> None:
        """Tell every subscriber that these ids were erased."""
        _call_all(
            [partial(subscriber, customer_ids) for subscriber in self.on_forget],
            "the erasure is committed, but {failures} failed; derived state may still hold "
            "the customer: rebuild it from the log.",
        )

    def merged(self, into_id: str) -> None:
        """Tell every subscriber that ids were merged into ``into_id``."""
        _call_all(
            [partial(subscriber, into_id) for subscriber in self.on_merge],
            "the merge is committed, but {failures} failed; derived state may still hold "
            "the merged ids apart: rebuild it from the log.",
        )


def _call_all(calls: Sequence[Callable[[], object]], message: str) -> None:
    """Make every call; then warn once about those that failed (after a commit, never raise).

    Warning only after all calls ran keeps the others up to date even where
    warnings are turned into errors.
    """
    failures = []
    for call in calls:
        try:
            call()
        except Exception as error:  # noqa: BLE001 (the write is committed; say so, go on)
            failures.append(f"{type(error).__name__}: {error}")
    if failures:
        listing = f"{len(failures)} subscriber(s) ({'; '.join(failures[:3])})"
        warnings.warn(message.format(failures=listing), StorageWarning, stacklevel=_STACKLEVEL)
