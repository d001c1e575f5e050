"""The names one log accepts (channels, kinds, consent purposes) and the check of an event.

An event is checked once, where it enters the log, so that what is stored
can always be applied later: a channel or kind the log was not opened with
is refused (a typo must not become a new channel that no cap counts), and a
consent decision is written in canonical form (trimmed, lower-case names,
an ISO expiry in UTC), since a decision nobody can match would be stored and
then silently ignored by every consent check after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, Protocol

import attrs

from ..errors import DataContractError
from ._consent import CONSENT_KINDS
from ._interaction import Interaction, as_utc

__all__ = ["PURPOSES", "Names", "channel_name", "check", "purpose_name"]

PURPOSES: frozenset[str] = frozenset(
    {"marketing", "profiling", "analytics", "personalisation", "third_party_sharing"}
)
"""Consent purposes one2one knows; a log accepts more when opened with ``extra_purposes``."""


class Names(Protocol):
    """The names a log accepts (the log's own attributes of these names)."""

    @property
    def channels(self) -> frozenset[str]:
        """Channel names."""
        ...

    @property
    def kinds(self) -> frozenset[str]:
        """Kinds of event."""
        ...

    @property
    def purposes(self) -> frozenset[str]:
        """Consent purposes."""
        ...


def check(names: Names, item: object) -> Interaction:
    """Return ``item`` (an Interaction or a mapping of its fields) as a checked event.

    Raises
    ------
    DataContractError
        Naming the field and the value when the item is not an event, names
        a channel or kind the log does not know, or records a consent
        decision that cannot be applied.
    """
    event = item if isinstance(item, Interaction) else None
    if event is None:
        if not isinstance(item, Mapping):
            msg = f"an event must be an Interaction or a mapping (got {type(item).__name__})."
            raise DataContractError(msg, value=type(item).__name__)
        try:
            event = Interaction.from_dict(item)
        except DataContractError:
            raise
        except Exception as error:  # noqa: BLE001 (hostile values must be typed, whatever they break)
            msg = f"the event cannot be read: {type(error).__name__}: {error}"[:300]
            raise DataContractError(msg, value=type(error).__name__) from None
    channel_name(names, event.channel)
    if event.kind not in names.kinds:
        msg = (
            f"unknown kind {event.kind!r}; known: {sorted(names.kinds)} "
            "(open the log with extra_kinds=... to add one)."
        )
        raise DataContractError(msg, column="kind", value=event.kind)
    if event.kind in CONSENT_KINDS:
        try:
            event = attrs.evolve(event, payload=_consent_payload(names, event))
        except (TypeError, ValueError) as error:  # e.g. a list where a name goes
            if isinstance(error, DataContractError):
                raise
            msg = f"a {event.kind} payload cannot be read: {error}"[:300]
            raise DataContractError(msg, column="payload") from None
    return event


def _consent_payload(names: Names, event: Interaction) -> dict[str, Any]:
    """Check a consent decision's fields and write them in canonical form.

    A decision that cannot be applied (a purpose or channel nobody asks
    about, an expiry that is not a time) would be stored and then ignored,
    or break every later check; so it is refused here, where it is made.
    """
    payload = dict(event.payload)
    payload["purpose"] = purpose_name(names, payload.get("purpose"), kind=event.kind)
    channel = payload.get("channel")
    if channel is not None:
        payload["channel"] = channel_name(names, channel)
    expires = payload.get("expires_at")
    if expires is not None:
        payload["expires_at"] = as_utc("expires_at", expires).isoformat()
    return payload


def purpose_name(names: Names, value: object, *, kind: str = "consent") -> str:
    """Return a consent purpose in canonical form (trimmed, lower case), or refuse it."""
    if not isinstance(value, str) or not value.strip():
        msg = f"a {kind} event needs payload['purpose'], such as 'marketing' (got {value!r})."
        raise DataContractError(msg, column="purpose", value=value)
    purpose = value.strip().lower()
    if purpose not in names.purposes:
        msg = (
            f"unknown consent purpose {value!r}; known: {sorted(names.purposes)} "
            "(open the log with extra_purposes=... to add one)."
        )
        raise DataContractError(msg, column="purpose", value=value)
    return purpose


def channel_name(names: Names, value: object) -> str:
    """Return a channel in canonical form (trimmed, lower case), or refuse it."""
    text = value.value if isinstance(value, Enum) else value
    channel = text.strip().lower() if isinstance(text, str) else None
    if channel is None or channel not in names.channels:
        msg = (
            f"unknown channel {value!r}; known: {sorted(names.channels)} "
            "(open the log with extra_channels=... to add one)."
        )
        raise DataContractError(msg, column="channel", value=value)
    return str(channel)
