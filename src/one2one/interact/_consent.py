"""Consent: what each customer has allowed, recorded as events in the log itself.

A consent decision is an interaction (``consent_granted``, ``consent_denied``
or ``consent_withdrawn``) whose payload names the ``purpose`` (e.g.
``"marketing"``, ``"profiling"``), optionally a ``channel`` it is limited to
and an ``expires_at``. Keeping decisions in the log means they have a time,
a source, an audit trail, follow identity merges, and disappear with the
rest of the customer's personal data on erasure.

The rule for a question "may we do ``purpose`` on ``channel`` at ``at``?" is
the most recent decision at or before ``at`` that covers it (same purpose;
same channel, or no channel); it allows only if it is a grant that has not
expired. No decision means no.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ..errors import ConsentError
from ._identity import group
from ._interaction import Interaction, as_utc
from ._rows import us
from ._storage import marks

if TYPE_CHECKING:
    from ._key_store import KeyStore
    from ._log import InteractionLog
    from ._storage import Connection

__all__ = [
    "CONSENT_KINDS",
    "Consent",
    "allows",
    "canonical",
    "check_contacts",
    "consent_event",
    "decide",
]

Status = Literal["granted", "denied", "withdrawn"]
_KIND = {"granted": "consent_granted", "denied": "consent_denied", "withdrawn": "consent_withdrawn"}
CONSENT_KINDS = ("consent_granted", "consent_denied", "consent_withdrawn")
"""The kinds of event that record a consent decision."""
Decisions = list[tuple[int, str, dict[str, Any]]]
"""Consent decisions as ``(microseconds, kind, payload)``, in log order."""


def consent_event(
    customer_id: str,
    purpose: str,
    status: Status,
    *,
    at: dt.datetime | str,
    channel: str | None = None,
    expires_at: dt.datetime | str | None = None,
    source: str = "web",
) -> Interaction:
    """Build the interaction that records one consent decision.

    Parameters
    ----------
    customer_id, purpose, status
        Who decided what (``"granted"``, ``"denied"`` or ``"withdrawn"``) about
        which purpose.
    at
        When the decision was made.
    channel
        Limit the decision to one channel (``None``: every channel).
    expires_at
        When a grant lapses (``None``: never).
    source
        The channel the decision came through (a web form, the store, ...).

    Returns
    -------
    Interaction
        An inbound ``consent_granted``, ``consent_denied`` or
        ``consent_withdrawn`` event, to append to a log (or to send to one
        in a batch with other events).

    Raises
    ------
    DataContractError
        If ``status`` is not one of the three, or a time has no zone.
    """
    if status not in _KIND:
        from ..errors import DataContractError  # noqa: PLC0415 (only on the error path)

        msg = f"status must be 'granted', 'denied' or 'withdrawn' (got {status!r})."
        raise DataContractError(msg, column="status", value=status)
    payload: dict[str, object] = {"purpose": purpose, "channel": channel}
    if expires_at is not None:
        payload["expires_at"] = as_utc("expires_at", expires_at).isoformat()
    return Interaction(
        customer_id=customer_id,
        occurred_at=at,
        channel=source,
        kind=_KIND[status],
        direction="inbound",
        payload=payload,
    )


class Consent:
    """Record and query consent decisions in an :class:`InteractionLog`.

    Use ``log.consent``; it is a view of the log, not a separate store.
    Consent kept as events is auditable: every decision, its time and its
    source stay in the history, and the current state is the latest one.

    Parameters
    ----------
    log
        The interaction log the decisions are kept in.

    Examples
    --------
    >>> import datetime as dt
    >>> from one2one.interact import InteractionLog
    >>> log = InteractionLog()
    >>> at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    >>> _ = log.consent.grant("c1", "marketing", channel="email", at=at)
    >>> log.consent.allows("c1", "marketing", "email", at=at)
    True
    >>> log.consent.allows("c1", "marketing", "sms", at=at)
    False
    """

    def __init__(self, log: InteractionLog) -> None:
        self._log = log

    def _record(
        self,
        customer_id: str,
        purpose: str,
        status: Status,
        *,
        channel: str | None,
        at: dt.datetime | str | None,
        expires_at: dt.datetime | str | None = None,
        source: str = "web",
    ) -> Interaction:
        event = consent_event(
            customer_id,
            purpose,
            status,
            at=at if at is not None else dt.datetime.now(dt.UTC),
            channel=channel,
            expires_at=expires_at,
            source=source,
        )
        # Checked here first, so a bad name or expiry is reported with its field.
        event = self._log._check(event)  # noqa: SLF001 (a view of the log)
        self._log.append(event)
        return event

    def grant(
        self,
        customer_id: str,
        purpose: str,
        *,
        channel: str | None = None,
        at: dt.datetime | str | None = None,
        expires_at: dt.datetime | str | None = None,
        source: str = "web",
    ) -> Interaction:
        """Record that the customer allows ``purpose`` (on ``channel``, until ``expires_at``).

        Parameters
        ----------
        customer_id
            The customer who decided.
        purpose
            The consent purpose (e.g. ``"marketing"``), one of the log's.
        channel
            Limit the decision to one channel (``None``: every channel).
        at
            When the decision was made (timezone-aware); now by default.
        expires_at
            When the grant lapses (``None``: never).
        source
            The channel the decision came through (a web form, the store, ...).

        Returns
        -------
        Interaction
            The consent event stored in the log.

        Raises
        ------
        DataContractError
            A purpose or channel the log does not know, or a time without a
            zone.
        StorageError
            If the log could not be written.
        """
        return self._record(
            customer_id,
            purpose,
            "granted",
            channel=channel,
            at=at,
            expires_at=expires_at,
            source=source,
        )

    def withdraw(
        self,
        customer_id: str,
        purpose: str,
        *,
        channel: str | None = None,
        at: dt.datetime | str | None = None,
        source: str = "web",
    ) -> Interaction:
        """Record that the customer withdrew an earlier consent.

        Parameters
        ----------
        customer_id
            The customer who decided.
        purpose
            The consent purpose (e.g. ``"marketing"``), one of the log's.
        channel
            Limit the decision to one channel (``None``: every channel).
        at
            When the decision was made (timezone-aware); now by default.
        source
            The channel the decision came through (a web form, the store, ...).

        Returns
        -------
        Interaction
            The consent event stored in the log.

        Raises
        ------
        DataContractError
            A purpose or channel the log does not know, or a time without a
            zone.
        StorageError
            If the log could not be written.
        """
        return self._record(
            customer_id, purpose, "withdrawn", channel=channel, at=at, source=source
        )

    def deny(
        self,
        customer_id: str,
        purpose: str,
        *,
        channel: str | None = None,
        at: dt.datetime | str | None = None,
        source: str = "web",
    ) -> Interaction:
        """Record that the customer refused when asked.

        A refusal is kept apart from never having been asked, so a contact
        policy can wait before asking again.

        Parameters
        ----------
        customer_id
            The customer who decided.
        purpose
            The consent purpose (e.g. ``"marketing"``), one of the log's.
        channel
            Limit the decision to one channel (``None``: every channel).
        at
            When the decision was made (timezone-aware); now by default.
        source
            The channel the decision came through (a web form, the store, ...).

        Returns
        -------
        Interaction
            The consent event stored in the log.

        Raises
        ------
        DataContractError
            A purpose or channel the log does not know, or a time without a
            zone.
        StorageError
            If the log could not be written.
        """
        return self._record(customer_id, purpose, "denied", channel=channel, at=at, source=source)

    def allows(
        self,
        customer_id: str,
        purpose: str,
        channel: str | None = None,
        at: dt.datetime | str | None = None,
    ) -> bool:
        """Check that the latest decision covering ``purpose`` and ``channel`` is a live grant.

        Parameters
        ----------
        customer_id
            The customer.
        purpose
            The consent purpose asked about.
        channel
            The channel of the contact; ``None`` reads the latest decision
            about ``purpose`` on any channel.
        at
            The moment asked about (timezone-aware); now by default.

        Returns
        -------
        bool
            True if the latest decision covering them is a grant that has not
            expired by ``at``.

        Raises
        ------
        DataContractError
            A purpose or channel the log does not know (names are compared
            trimmed and in lower case), or a time without a zone.
        """
        moment = as_utc("at", at) if at is not None else dt.datetime.now(dt.UTC)
        # The same canonical names as at append: "Email " asks about "email", and a
        # purpose or channel the log does not know is refused, not answered "no".
        purpose = self._log.purpose_name(purpose)
        scope = None if channel is None else self._log.channel_name(channel)
        connection = self._log._db.connection  # noqa: SLF001 (a view of the log)
        key_store = self._log._key_store  # noqa: SLF001 (a view of the log)
        return allows(connection, key_store, str(customer_id), purpose, scope, at=moment)

    def status(self, customer_id: str) -> pd.DataFrame:
        """Every consent decision of the customer (merged ids included), oldest first.

        Parameters
        ----------
        customer_id
            Any id the customer has had.

        Returns
        -------
        pandas.DataFrame
            ``purpose``, ``channel`` (``None`` for every channel), ``status``
            (``granted``, ``denied`` or ``withdrawn``), ``at`` and
            ``expires_at`` (``NaT`` for never).

        Raises
        ------
        DataContractError
            If ``customer_id`` is not non-empty text.
        """
        history = self._log.history(
            customer_id, kinds=["consent_granted", "consent_denied", "consent_withdrawn"]
        )
        payloads = history["payload"].tolist()
        return pd.DataFrame(
            {
                "purpose": [p.get("purpose") if p else None for p in payloads],
                "channel": [p.get("channel") if p else None for p in payloads],
                "status": [str(k).removeprefix("consent_") for k in history["kind"]],
                "at": history["occurred_at"].tolist(),
                "expires_at": [
                    pd.Timestamp(p["expires_at"]) if p and p.get("expires_at") else pd.NaT
                    for p in payloads
                ],
            }
        )


def allows(
    connection: Connection,
    key_store: KeyStore,
    customer_id: str,
    purpose: str,
    channel: str | None,
    *,
    at: dt.datetime,
    pending: Sequence[Interaction] = (),
) -> bool:
    """Apply the most recent consent decision covering ``purpose`` and ``channel`` at ``at``.

    Decisions are read from every id of the customer (merges followed), plus
    ``pending`` ones of a batch being written that are not stored yet.
    """
    ids = group(connection, customer_id)
    rows = connection.execute(
        "SELECT kind, payload, occurred_at, event_id, customer_id FROM events "  # noqa: S608 (fixed SQL, bound values)
        f"WHERE customer_id IN ({marks(len(ids))}) "
        "AND kind IN ('consent_granted', 'consent_denied', 'consent_withdrawn') "
        "AND occurred_at <= ? ORDER BY occurred_at, seq",
        [*ids, us(at)],
    ).fetchall()
    payloads = key_store.open_payloads(connection, [(r[3], r[4], r[1]) for r in rows])
    decisions = [
        (int(r[2]), str(r[0]), json.loads(p) if p else {})
        for r, p in zip(rows, payloads, strict=True)
    ]
    decisions += [
        (us(e.occurred_at), e.kind, dict(e.payload)) for e in pending if e.occurred_at <= at
    ]
    return decide(decisions, purpose, channel, us(at))


def check_contacts(
    connection: Connection,
    key_store: KeyStore,
    events: Sequence[Interaction],
    marketing_kinds: Collection[str],
) -> None:
    """Refuse a batch if an outbound marketing contact in it lacks consent at its time.

    A consent decision in the same batch counts (whatever its place in the
    list: decisions apply by time), so a sign-up and its welcome offer can be
    sent together.

    Raises
    ------
    ConsentError
        Naming the first contact without consent (nothing is stored).
    """
    pending: dict[str, list[Interaction]] = {}
    for event in events:
        pending.setdefault(event.customer_id, []).append(event)
    for event in events:
        if event.direction != "outbound" or event.kind not in marketing_kinds:
            continue
        earlier = [e for e in pending[event.customer_id] if e.kind in CONSENT_KINDS]
        if not allows(
            connection,
            key_store,
            event.customer_id,
            "marketing",
            event.channel,
            at=event.occurred_at,
            pending=earlier,
        ):
            msg = (
                f"customer {event.customer_id!r} has not consented to marketing by "
                f"{event.channel} at {event.occurred_at.isoformat()} (event "
                f"{event.event_id}); nothing in this batch was stored. Record a "
                "consent_granted event first, or check log.consent.allows(...)."
            )
            raise ConsentError(
                msg, customer_id=event.customer_id, purpose="marketing", channel=event.channel
            )


def decide(decisions: Decisions, purpose: str, channel: str | None, moment: int) -> bool:
    """Apply the latest decision (by time, then log order) covering purpose and channel."""
    decisions.sort(key=lambda d: d[0])  # stable: log order, then a batch's order
    allowed = False
    for _, kind, payload in decisions:
        if canonical(payload.get("purpose")) != purpose:
            continue
        scope = canonical(payload.get("channel"))
        if scope is not None and channel is not None and scope != channel:
            continue
        expires = payload.get("expires_at")
        live = expires is None or us(as_utc("expires_at", expires)) > moment
        allowed = kind == "consent_granted" and live
    return allowed


def canonical(value: object) -> object:
    """Trimmed lower-case form of a stored name (logs written before names were checked)."""
    return value.strip().lower() if isinstance(value, str) else value
