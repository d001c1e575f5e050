"""The tables that carry a customer from one room to the next, declared once.

The rooms never import each other; they meet in these tables, keyed by
``customer_id``. Each contract names its columns, their kinds and who
produces and consumes it. A room validates a contract where the table
enters it, so a frame made by hand, by another room or read back from a
file fails the same way, naming the contract and the column.

===========================  ======================================  ===============================
contract                     produced by                             consumed by
===========================  ======================================  ===============================
:data:`TRANSACTIONS`         ``InteractionLog.transactions()``,      ``clv.rfm_summary``,
                             your order system                       ``differentiate.rfm_table``
:data:`CUSTOMER_VALUES`      ``clv.customer_lifetime_value``         ``differentiate.value_tiers``
:data:`VALUE_TIERS`          ``differentiate.value_tiers``           next-best-action eligibility
:data:`COST_TO_SERVE`        ``InteractionLog.cost_to_serve()``      ``differentiate.value_tiers``
:data:`IDENTITY_EVENTS`      ``IdentityResolver.events()``           ``apply_identity_events``
===========================  ======================================  ===============================

Profiles (``customer_id`` index, one numeric column per feature) go from
``interact`` to ``differentiate.NeedsSegmenter`` and to ``customize``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Literal, Protocol, runtime_checkable

import attrs
import pandas as pd

from ._validation import Column, FrameContract
from .errors import DataContractError

__all__ = [
    "COST_TO_SERVE",
    "CUSTOMER_VALUES",
    "IDENTITY_EVENTS",
    "TRANSACTIONS",
    "VALUE_TIERS",
    "IdentityChange",
    "MergeEvent",
    "identity_changes",
]

TRANSACTIONS = FrameContract(
    "transactions",
    [
        Column("customer_id"),
        Column("occurred_at", "datetime", tz="aware"),
        Column("value", "number"),
        Column("order_id", nullable=True, required=False),
        Column("currency", "string", required=False),
    ],
    description=(
        "One row per purchase (positive value) or refund (negative value). Timestamps "
        "are time-zone aware everywhere: a naive one is refused, never read as UTC. "
        "``order_id`` ties a refund to its sale; ``currency``, when present, must hold "
        "one currency (amounts are never added across currencies)."
    ),
)
"""Purchases and refunds, the input of every value summary."""

CUSTOMER_VALUES = FrameContract(
    "customer values",
    [
        Column("clv", "number"),
        Column("p_alive", "number", required=False, low=0.0, high=1.0),
        Column("expected_purchases", "number", non_negative=True, required=False),
    ],
    index="customer_id",
    description="Lifetime value per customer, as ``clv.customer_lifetime_value`` returns it.",
)
"""Customer lifetime value per customer (``clv`` in the currency of the transactions)."""

VALUE_TIERS = FrameContract(
    "value tiers",
    [
        Column("tier", "string"),
        Column("net_value", "number"),
        Column("growth_gap", "number"),
    ],
    index="customer_id",
    description="One tier per customer (most valuable, most growable, ..., below zero).",
)
"""Value tiers per customer, as ``differentiate.value_tiers`` returns them."""

COST_TO_SERVE = FrameContract(
    "cost to serve",
    [Column("cost_to_serve", "number", non_negative=True)],
    index="customer_id",
    description="What serving each customer cost (sum of the interactions' ``cost``).",
)
"""Cost to serve per customer."""

IDENTITY_EVENTS = FrameContract(
    "identity events",
    [
        Column("kind", "string"),
        Column("from_ids"),
        Column("into_id", nullable=True),
        Column("at", "datetime", tz="aware"),
    ],
    description="Merges, splits and erasures of customer ids, oldest first.",
)
"""Identity changes, as ``IdentityResolver.events()`` returns them."""


@runtime_checkable
class MergeEvent(Protocol):
    """What any identity change must offer: who became whom, when.

    ``one2one.identify.IdentityEvent`` satisfies it; so does any object of
    your own with these attributes.
    """

    @property
    def kind(self) -> str:
        """``"merge"``, ``"split"`` or ``"forget"``."""
        ...

    @property
    def from_ids(self) -> Sequence[str]:
        """The customer ids the change starts from."""
        ...

    @property
    def into_id(self) -> str | None:
        """The surviving or new customer id (``None`` for ``forget``)."""
        ...

    @property
    def at(self) -> dt.datetime:
        """When the change happened."""
        ...


_KINDS = ("merge", "split", "forget")


@attrs.frozen
class IdentityChange:
    """One identity change, checked: the form every consumer of identity events reads.

    Attributes
    ----------
    kind
        ``"merge"``, ``"split"`` or ``"forget"``.
    from_ids
        The customer ids the change starts from.
    into_id
        The surviving or new customer id (``None`` for ``forget``).
    at
        When the change happened, timezone-aware.
    """

    kind: Literal["merge", "split", "forget"]
    from_ids: tuple[str, ...]
    into_id: str | None
    at: pd.Timestamp


def identity_changes(events: pd.DataFrame | Iterable[object]) -> list[IdentityChange]:
    """Read identity events from a frame (one per row) or from objects, checked.

    Parameters
    ----------
    events
        ``IdentityResolver.events()`` (a DataFrame), or any iterable of
        objects with ``kind``, ``from_ids``, ``into_id`` and ``at`` (a
        :class:`MergeEvent`).

    Returns
    -------
    list of IdentityChange
        In the given order.

    Raises
    ------
    DataContractError
        For a frame lacking a column, an unknown ``kind``, a merge without
        ``into_id``, ids that are not text, or a time without a time zone:
        a wrong event would re-key or erase the wrong customer's history.
    """
    if isinstance(events, pd.DataFrame):
        IDENTITY_EVENTS.validate(events)
        rows: Iterable[object] = events.itertuples(index=False)
    elif isinstance(events, str | bytes) or not isinstance(events, Iterable):
        msg = (
            "identity events must be IdentityResolver.events() (a DataFrame) or an "
            f"iterable of events (got {type(events).__name__})."
        )
        raise DataContractError(msg, column="events", value=type(events).__name__)
    else:
        rows = events
    return [_change(row, position) for position, row in enumerate(rows)]


def _change(event: object, position: int) -> IdentityChange:
    """One event, checked field by field."""
    missing = [a for a in ("kind", "from_ids", "into_id", "at") if not hasattr(event, a)]
    if missing:
        msg = f"identity event {position} ({type(event).__name__}) lacks {missing}."
        raise DataContractError(msg, column=missing[0], row=position)
    kind = getattr(event, "kind")  # noqa: B009 - checked above, typed below
    if kind not in _KINDS:
        msg = f"identity event {position}: kind must be one of {list(_KINDS)} (got {kind!r})."
        raise DataContractError(msg, column="kind", value=kind, row=position)
    raw = getattr(event, "from_ids")  # noqa: B009
    from_ids = (raw,) if isinstance(raw, str) else tuple(raw)
    into_id = getattr(event, "into_id")  # noqa: B009
    if into_id is not None and not isinstance(into_id, str) and pd.isna(into_id):
        into_id = None  # a frame's missing value
    if not from_ids or not all(isinstance(i, str) and i for i in from_ids):
        msg = f"identity event {position}: from_ids must be customer ids as text (got {raw!r})."
        raise DataContractError(msg, column="from_ids", value=raw, row=position)
    if kind != "forget" and not (isinstance(into_id, str) and into_id):
        msg = f"identity event {position}: a {kind} needs into_id as text (got {into_id!r})."
        raise DataContractError(msg, column="into_id", value=into_id, row=position)
    at = pd.Timestamp(getattr(event, "at"))  # noqa: B009
    if at.tzinfo is None:
        msg = (
            f"identity event {position}: at={at} has no time zone; identity changes are "
            "ordered against the log's UTC times."
        )
        raise DataContractError(msg, column="at", value=str(at), row=position)
    return IdentityChange(
        kind=kind,
        from_ids=from_ids,
        into_id=into_id if kind != "forget" else None,
        at=at.tz_convert("UTC"),
    )
