"""Identities: which ids are one customer, and the merges that made them one.

The log keeps each customer's history under one id. When two ids turn out
to be one person, the merge is recorded in the alias table (``from_id`` ->
``into_id``), never by rewriting events: stored events keep the id they
came with, so the merge is itself an auditable fact, and every read maps ids
through the aliases. Merges are kept flat (an id merged into one that is
itself merged later moves along), so a customer's whole group is one
lookup, which the consent and contact-policy checks on every contact need.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from .._validation import require_columns
from ..contracts import IDENTITY_EVENTS, identity_changes

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable

    from ..contracts import MergeEvent
    from ._storage import Connection

__all__ = [
    "GENERATION",
    "aliases",
    "apply_identity_events",
    "bump_generation",
    "generation",
    "group",
    "merge",
]

GENERATION = "identity_generation"
"""The ``meta`` key counting merges and erasures: followers in other processes watch it.

Appends add rows in ``seq`` order, which a follower reads as they come; a
merge or an erasure changes which rows are whose without a new ``seq``, so
each bumps this counter in its own transaction and a follower that sees it
move looks at the aliases and erasures again. Logs written before it existed
have no such row: they read as generation 0.
"""


def group(connection: Connection, customer_id: str) -> list[str]:
    """Return the customer's canonical id and every id merged into it."""
    rows = connection.execute(
        "SELECT from_id, into_id FROM aliases WHERE from_id = ? OR into_id = ?",
        (customer_id, customer_id),
    ).fetchall()
    if not rows:  # the usual case: one query, no merges
        return [customer_id]
    root = next((str(into) for source, into in rows if source == customer_id), customer_id)
    if root != customer_id:
        rows = connection.execute(
            "SELECT from_id, into_id FROM aliases WHERE into_id = ?", (root,)
        ).fetchall()
    return [root, *(str(source) for source, _ in rows)]


def aliases(connection: Connection) -> dict[str, str]:
    """Return every merged id and the id it was merged into (merges are flat)."""
    return dict(connection.execute("SELECT from_id, into_id FROM aliases").fetchall())


def generation(connection: Connection) -> int:
    """Return how many merges and erasures the log has seen (see :data:`GENERATION`)."""
    row = connection.execute("SELECT value FROM meta WHERE key = ?", (GENERATION,)).fetchone()
    return 0 if row is None else int(row[0])


def bump_generation(connection: Connection) -> None:
    """Count one merge or erasure, inside the caller's write (see :data:`GENERATION`)."""
    connection.execute(
        "INSERT INTO meta VALUES (?, '1') ON CONFLICT (key) "
        "DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)",
        (GENERATION,),
    )


def merge(connection: Connection, sources: Sequence[str], into_id: str, when: int) -> str:
    """Merge ``sources`` into ``into_id``'s customer, inside the caller's write; return the root.

    The groups are read on the write's own connection, after the write lock
    is taken: read earlier, a merge committed in between by another process
    would be overwritten. Chains are flattened: whatever was merged into a
    source's root moves to the new root too.
    """
    into = group(connection, into_id)[0]
    moved = False
    for source in sources:
        root = group(connection, source)[0]
        if root == into:
            continue
        moved = True
        connection.execute("UPDATE aliases SET into_id = ? WHERE into_id = ?", (into, root))
        # A root is never a from_id (merges are flat), so this inserts; the upsert
        # keeps one row per id should a log from elsewhere hold one already.
        connection.execute(
            "INSERT INTO aliases VALUES (?, ?, ?) ON CONFLICT (from_id) "
            "DO UPDATE SET into_id = excluded.into_id, merged_at = excluded.merged_at",
            (root, into, when),
        )
    if moved:
        bump_generation(connection)
    return into


def apply_identity_events(
    events: pd.DataFrame | Iterable[MergeEvent],
    *,
    merge: Callable[[Sequence[str], str, dt.datetime], object],
    forget: Callable[[str, dt.datetime], object],
    was_forgotten: Callable[[str], bool],
) -> int:
    """Follow identify's merges and forgets with the log's own ``merge`` and ``forget``.

    Every event is read (and checked) by :func:`one2one.contracts.identity_changes`
    before the first is applied; an id already forgotten is not erased again,
    so the growing table can be passed each time. Returns how many were followed.
    """
    if isinstance(events, pd.DataFrame) and events.empty:
        # A resolver with no events yet returns an empty table whose ``at`` column has
        # no datetime dtype; nothing to apply, but the columns must still be the contract's.
        require_columns(events, IDENTITY_EVENTS.required, name=IDENTITY_EVENTS.name)
        return 0
    changes = identity_changes(events)
    applied = 0
    for change in changes:
        if change.kind == "merge" and change.into_id is not None:
            merge(change.from_ids, change.into_id, change.at.to_pydatetime())
        elif change.kind == "forget":
            for customer in change.from_ids:
                if not was_forgotten(customer):  # the table repeats old events
                    forget(customer, change.at.to_pydatetime())
        else:
            continue
        applied += 1
    return applied
