"""The interaction: one thing that happened between the company and one customer.

Interactions are frozen values. They are checked when made, so a bad one
fails where it was written, with the field and the value named: an aware
time (stored in UTC), a known direction, finite money, a propensity in
(0, 1], and a payload that survives a JSON round trip.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

import attrs

from ..errors import DataContractError
from ._ids import new_event_id

__all__ = ["CHANNELS", "KINDS", "Channel", "Direction", "Interaction", "Kind"]

Direction = Literal["inbound", "outbound"]


class Channel(StrEnum):
    """Channels one2one knows; a log accepts more when opened with ``extra_channels``."""

    WEB = "web"
    APP = "app"
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    STORE = "store"
    SALES_REP = "sales_rep"
    CHAT = "chat"
    MAIL = "mail"
    SOCIAL = "social"
    SYSTEM = "system"


class Kind(StrEnum):
    """Kinds of interaction one2one knows; a log accepts more with ``extra_kinds``."""

    VISIT = "visit"
    VIEW = "view"
    PURCHASE = "purchase"
    RETURN = "return"
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"
    SURVEY_ANSWER = "survey_answer"
    REFERRAL = "referral"
    MESSAGE = "message"
    OFFER_MADE = "offer_made"
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_DECLINED = "offer_declined"
    OFFER_IGNORED = "offer_ignored"
    CONSENT_GRANTED = "consent_granted"
    CONSENT_DENIED = "consent_denied"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    CONFIGURATION = "configuration"
    ERASURE = "erasure"


CHANNELS: frozenset[str] = frozenset(c.value for c in Channel)
"""Every built-in channel name."""
KINDS: frozenset[str] = frozenset(k.value for k in Kind)
"""Every built-in kind name."""

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_MAX_TEXT = 200
_MAX_PAYLOAD = 64_000
_MAX_DEPTH = 32
# Kinds whose direction is part of their meaning: an offer is something the company makes.
_OUTBOUND_KINDS = frozenset({"offer_made", "erasure"})


def _text(field: str, value: object, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        msg = f"{field} must be a non-empty string (got {value!r})."
        raise DataContractError(msg, column=field, value=value)
    if len(value) > _MAX_TEXT or "\x00" in value:
        shown = value[:40] + "..." if len(value) > 40 else value  # noqa: PLR2004 (a preview)
        msg = f"{field} must be at most {_MAX_TEXT} characters without NUL (got {shown!r})."
        raise DataContractError(msg, column=field, value=shown)
    _encodable(field, value)
    return value


def _encodable(field: str, value: str) -> None:
    """Refuse text that is not Unicode (a lone surrogate cannot be stored or sent on)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        msg = (
            f"{field} holds a lone surrogate {value[error.start]!r} at position {error.start}, "
            "which is not text (decode the source bytes properly)."
        )
        raise DataContractError(msg, column=field, value=ascii(value[:40])) from None


def name(field: str, value: object) -> str:
    """Check a channel or kind name (lower case, digits, underscores)."""
    text = str(value.value) if isinstance(value, StrEnum) else value
    if not isinstance(text, str) or not _NAME.match(text):
        msg = (
            f"{field} must be a lower-case name (letters, digits, underscores; e.g. "
            f"'email', 'offer_made') (got {value!r})."
        )
        raise DataContractError(msg, column=field, value=value)
    return text


def _money(field: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{field} must be a number (got {value!r})."
        raise DataContractError(msg, column=field, value=value)
    try:
        number = float(value)
    except OverflowError:
        digits = int(int(value).bit_length() * math.log10(2)) + 1
        shown = f"an integer of about {digits} digits"
        msg = f"{field} must be finite (got {shown})."
        raise DataContractError(msg, column=field, value=shown) from None
    if not math.isfinite(number):
        msg = f"{field} must be finite (got {number})."
        raise DataContractError(msg, column=field, value=number)
    return number


def as_utc(field: str, value: object) -> dt.datetime:
    """Return an aware datetime in UTC, refusing naive times (their zone is a guess)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            msg = f"{field} must be an ISO 8601 time with a zone (got {value!r})."
            raise DataContractError(msg, column=field, value=value) from None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp; the log keeps microseconds
        value = value.to_pydatetime(warn=False)
    if not isinstance(value, dt.datetime):
        msg = f"{field} must be a datetime (got {type(value).__name__} {value!r})."
        raise DataContractError(msg, column=field, value=value)
    if value.tzinfo is None or value.utcoffset() is None:
        msg = (
            f"{field} {value.isoformat()} has no time zone; pass an aware datetime "
            "(e.g. datetime.now(timezone.utc)), since a naive time is stored as a guess."
        )
        raise DataContractError(msg, column=field, value=value.isoformat())
    return value.astimezone(dt.UTC)


def _payload(value: object) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        msg = f"payload must be a mapping, a JSON object (got {type(value).__name__})."
        raise DataContractError(msg, column="payload", value=type(value).__name__)
    try:
        text = json.dumps(value, allow_nan=False, sort_keys=True, ensure_ascii=False)
        text.encode("utf-8")
    except RecursionError:
        msg = "payload is nested too deeply to store (keep it to a few levels)."
        raise DataContractError(msg, column="payload", value="too deep") from None
    except (TypeError, ValueError) as error:  # UnicodeEncodeError is a ValueError
        msg = f"payload must be JSON-serialisable text with finite numbers: {error}."
        raise DataContractError(msg, column="payload") from None
    if _depth(value) > _MAX_DEPTH:
        msg = f"payload is nested more than {_MAX_DEPTH} levels deep; flatten it."
        raise DataContractError(msg, column="payload", value="too deep")
    if len(text) > _MAX_PAYLOAD:
        msg = f"payload is {len(text):,} characters as JSON; at most {_MAX_PAYLOAD:,}."
        raise DataContractError(msg, column="payload", value=len(text))
    loaded: Mapping[str, Any] = json.loads(text)
    return loaded


def _depth(value: object) -> int:
    """Nesting depth of a JSON value, counted without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _direction(value: object) -> Direction:
    if value == "inbound":
        return "inbound"
    if value == "outbound":
        return "outbound"
    msg = f"direction must be 'inbound' or 'outbound' (got {value!r})."
    raise DataContractError(msg, column="direction", value=value)


def _propensity(value: object) -> float | None:
    number = _money("propensity", value)
    if number is not None and not 0.0 < number <= 1.0:
        msg = f"propensity is the probability the offer was chosen, in (0, 1] (got {number})."
        raise DataContractError(msg, column="propensity", value=number)
    return number


def check_customer_id(value: object) -> str:
    """Check a customer id (non-empty text, at most 200 characters, storable)."""
    return str(_text("customer_id", value))


def _customer_id(value: object) -> str:
    return check_customer_id(value)


def _event_id(value: object) -> str:
    return str(_text("event_id", value))


def _offer_id(value: object) -> str | None:
    return _text("offer_id", value, optional=True)


def _occurred_at(value: object) -> dt.datetime:
    return as_utc("occurred_at", value)


def _channel(value: object) -> str:
    return name("channel", value)


def _kind(value: object) -> str:
    return name("kind", value)


def _value(value: object) -> float | None:
    return _money("value", value)


def _cost(value: object) -> float | None:
    return _money("cost", value)


def _default_direction(event: Interaction) -> Direction:
    return "outbound" if event.kind in _OUTBOUND_KINDS else "inbound"


@attrs.frozen(kw_only=True)
class Interaction:
    """One event between the company and a customer.

    Parameters
    ----------
    customer_id
        Who (the stable id from ``one2one.identify`` or your CRM).
    occurred_at
        When, as an aware datetime (or ISO 8601 text with a zone); kept in UTC.
    channel
        Where: a :class:`Channel` or a name the log was opened to accept.
    kind
        What: a :class:`Kind` or a name the log was opened to accept.
    direction
        ``"inbound"`` (the customer acted) or ``"outbound"`` (the company did).
        Defaults to ``"outbound"`` for kinds that are outbound by meaning
        (``offer_made``, ``erasure``), which refuse ``"inbound"``; otherwise
        ``"inbound"``.
    value
        Money the event brought (a purchase's amount; negative for a refund).
    cost
        Money the event cost (cost to serve or to contact).
    offer_id
        The offer made, accepted, declined or ignored.
    propensity
        Probability with which the offer was chosen (for off-policy evaluation).
    payload
        Anything else, as a JSON object (product, category, answer, ...). It is
        personal data: erased by :meth:`InteractionLog.forget`.
    event_id
        The idempotency key: re-sending an event with the same id stores it
        once. A time-ordered UUIDv7 is generated when absent.

    Raises
    ------
    DataContractError
        Naming the field: an id that is not non-empty text (at most 200
        characters), a time without a zone, a channel or kind that is not a
        lower-case name, an unknown direction or one that contradicts the
        kind, money that is not a finite number, a propensity outside (0, 1],
        or a payload that is not a JSON object.

    Examples
    --------
    >>> import datetime as dt
    >>> event = Interaction(customer_id="c1", occurred_at="2026-11-24T09:30:00+01:00",
    ...                     channel="web", kind="purchase", value=42.5)
    >>> event.occurred_at.isoformat(), event.direction
    ('2026-11-24T08:30:00+00:00', 'inbound')
    """

    customer_id: str = attrs.field(converter=_customer_id)
    occurred_at: dt.datetime = attrs.field(converter=_occurred_at)
    channel: str = attrs.field(converter=_channel)
    kind: str = attrs.field(converter=_kind)
    direction: Direction = attrs.field(
        default=attrs.Factory(_default_direction, takes_self=True), converter=_direction
    )
    value: float | None = attrs.field(default=None, converter=_value)
    cost: float | None = attrs.field(default=None, converter=_cost)
    offer_id: str | None = attrs.field(default=None, converter=_offer_id)
    propensity: float | None = attrs.field(default=None, converter=_propensity)
    payload: Mapping[str, Any] = attrs.field(factory=dict, converter=_payload, eq=False)
    event_id: str = attrs.field(factory=new_event_id, converter=_event_id)

    def __attrs_post_init__(self) -> None:
        if self.kind in _OUTBOUND_KINDS and self.direction != "outbound":
            msg = (
                f"a {self.kind} event is outbound by its kind, the company acts (got "
                f"direction={self.direction!r}). Leave direction out or record the customer's "
                "answer as offer_accepted / offer_declined."
            )
            raise DataContractError(msg, column="direction", value=self.direction)

    @classmethod
    def _stored(cls, **fields: Any) -> Interaction:
        """Rebuild an event exactly as a log stored it, without checking it again."""
        event = object.__new__(cls)
        for key, value in fields.items():
            object.__setattr__(event, key, value)
        return event

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Interaction:
        """Build from a mapping (e.g. a JSON message); unknown keys are refused.

        A misspelt key (``"ocurred_at"``) would otherwise drop a field without
        a word, so it is refused with the known fields listed.

        Parameters
        ----------
        data
            The fields by name; ``customer_id``, ``occurred_at``, ``channel``
            and ``kind`` are required, ``event_id`` may be ``None``.

        Returns
        -------
        Interaction
            The event, checked as when built directly.

        Raises
        ------
        DataContractError
            For an unknown or missing field, or a value the event refuses.
        """
        fields = {f.name for f in attrs.fields(cls)}
        unknown = sorted(set(data) - fields)
        if unknown:
            msg = f"unknown interaction field {unknown[0]!r}; known: {sorted(fields)}."
            raise DataContractError(msg, column=unknown[0])
        missing = sorted({"customer_id", "occurred_at", "channel", "kind"} - set(data))
        if missing:
            msg = f"interaction field {missing[0]!r} is required."
            raise DataContractError(msg, column=missing[0])
        clean = {k: v for k, v in data.items() if not (k == "event_id" and v is None)}
        return cls(**clean)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping (the time as ISO 8601 text).

        Returns
        -------
        dict of str to object
            Every field; :meth:`from_dict` reads it back.
        """
        data = attrs.asdict(self)
        data["occurred_at"] = self.occurred_at.isoformat()
        data["payload"] = dict(self.payload)
        return data
