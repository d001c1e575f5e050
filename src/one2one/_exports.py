"""How a room presents its public names: one home module for docs, reprs and ``dir()``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["public_api"]


def public_api(
    namespace: dict[str, Any], names: Sequence[str], *, classes_only: bool = False
) -> Callable[[], list[str]]:
    """Re-home a room's public objects to the room and return the room's ``__dir__``.

    Objects defined in private modules (``one2one.identify._matcher``) then
    show, document and pickle-path as ``one2one.identify``, where users import
    them from.
    """
    module = namespace["__name__"]
    for name in names:
        obj = namespace[name]
        if isinstance(obj, type) or (callable(obj) and not classes_only):
            obj.__module__ = module
    return lambda: sorted(set(namespace) | set(names))
