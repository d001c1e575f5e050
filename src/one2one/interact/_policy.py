"""Contact policy: customers do not want to be over-contacted.

Rules are declarative values; a :class:`ContactPolicy` evaluates them for one
customer, channel and moment against the interaction log and answers with a
:class:`Decision`: allowed or not, every reason, and the earliest moment the
contact would be allowed. Frequency caps hold in *every* window, including
windows that reach past ``at`` to contacts already scheduled, so no answer
can create a violation. A contact blocked only by quiet hours is deferred
(``decision.deferred``) to the end of the quiet period, not lost.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from ..errors import DataContractError
from ._interaction import as_utc
from ._log import _decide, _us

if TYPE_CHECKING:
    from ._log import InteractionLog

__all__ = [
    "ContactPolicy",
    "CoolingOff",
    "Decision",
    "FrequencyCap",
    "IgnoredSuppression",
    "QuietHours",
    "SuppressionList",
]

_NEVER = None
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _positive(field: str) -> Callable[[object, attrs.Attribute[dt.timedelta], dt.timedelta], None]:
    def check(_: object, __: attrs.Attribute[dt.timedelta], value: dt.timedelta) -> None:
        if not isinstance(value, dt.timedelta) or value <= dt.timedelta(0):
            msg = f"{field} must be a positive timedelta; got {value!r}."
            raise DataContractError(msg, column=field, value=value)

    return check


def _at_least_one(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"{attribute.name} must be a whole number >= 1; got {value!r}."
        raise DataContractError(msg, column=attribute.name, value=value)


@attrs.frozen
class Decision:
    """The answer to "may we contact this customer on this channel now?".

    Attributes
    ----------
    allowed
        True when no rule (and no missing consent) blocks the contact.
    reasons
        Why not: one sentence per blocking rule (empty when allowed).
    earliest_allowed_at
        The first moment at or after the asked time when every rule allows
        the contact (``at`` itself when allowed; ``None`` when no wait helps,
        e.g. a suppression list or missing consent).
    deferred
        Blocked only by quiet hours: send it at ``earliest_allowed_at``.
    """

    allowed: bool
    reasons: tuple[str, ...]
    earliest_allowed_at: dt.datetime | None
    deferred: bool = False


@functools.lru_cache(maxsize=512)
def _zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@attrs.define
class _Context:
    """What a rule sees: the customer's relevant events around the asked time, in UTC."""

    customer_id: str
    channel: str
    contacts: list[tuple[dt.datetime, str]]  # (time, channel) of outbound contacts, sorted
    events: dict[str, list[dt.datetime]]  # kind -> sorted times of other events
    timezone: ZoneInfo


@attrs.frozen
class FrequencyCap:
    """At most ``max_contacts`` contacts in any ``window`` (on ``channel``, or on all channels).

    Examples: ``FrequencyCap(2, timedelta(days=7), channel="email")``; a global
    cap is ``FrequencyCap(4, timedelta(days=7))``.
    """

    max_contacts: int = attrs.field(validator=_at_least_one)
    window: dt.timedelta = attrs.field(validator=_positive("window"))
    channel: str | None = None

    def _times(self, context: _Context) -> list[dt.datetime]:
        return [t for t, c in context.contacts if self.channel is None or c == self.channel]

    def _violates(self, times: list[dt.datetime], at: dt.datetime) -> bool:
        """Check whether a contact at ``at`` puts ``max_contacts + 1`` contacts in one window."""
        low = bisect.bisect_right(times, at - self.window)
        high = bisect.bisect_left(times, at + self.window)
        near = sorted([*times[low:high], at])
        k = self.max_contacts
        return any(near[i + k] - near[i] < self.window for i in range(len(near) - k))

    def blocks(self, context: _Context, at: dt.datetime) -> tuple[str | None, dt.datetime | None]:
        """Return the reason the rule blocks ``at`` (or ``None``) and its earliest allowed time."""
        if self.channel is not None and context.channel != self.channel:
            return None, at
        times = self._times(context)
        if not self._violates(times, at):
            return None, at
        candidates = sorted(t + self.window for t in times if t + self.window > at)
        earliest = next((t for t in candidates if not self._violates(times, t)), None)
        scope = f"{self.channel} " if self.channel else ""
        reason = f"at most {self.max_contacts} {scope}contacts in {self.window}"
        return reason, earliest


@attrs.frozen
class QuietHours:
    """No contact between ``start`` and ``end`` in the customer's local time.

    ``end`` before ``start`` spans midnight (21:00 to 08:00). The time zone is
    the policy's ``timezones`` entry for the customer, else ``default_timezone``.
    """

    start: dt.time
    end: dt.time
    default_timezone: str = "UTC"

    def blocks(self, context: _Context, at: dt.datetime) -> tuple[str | None, dt.datetime | None]:
        """Return the reason the rule blocks ``at`` (or ``None``) and its earliest allowed time."""
        local = at.astimezone(context.timezone)
        clock = local.time().replace(tzinfo=None)
        if self.start <= self.end:
            quiet = self.start <= clock < self.end
        else:
            quiet = clock >= self.start or clock < self.end
        if not quiet:
            return None, at
        day = local.date() if clock < self.end else local.date() + dt.timedelta(days=1)
        wake = dt.datetime.combine(day, self.end, tzinfo=context.timezone)
        reason = f"quiet hours {self.start:%H:%M}-{self.end:%H:%M} ({context.timezone.key})"
        return reason, wake.astimezone(dt.UTC)


@attrs.frozen
class CoolingOff:
    """No marketing for ``duration`` after an inbound event of kind ``after`` (a complaint)."""

    duration: dt.timedelta = attrs.field(validator=_positive("duration"))
    after: str = "complaint"

    def blocks(self, context: _Context, at: dt.datetime) -> tuple[str | None, dt.datetime | None]:
        """Return the reason the rule blocks ``at`` (or ``None``) and its earliest allowed time."""
        times = context.events.get(self.after, ())
        recent = [t for t in times if t <= at < t + self.duration]
        if not recent:
            return None, at
        until = max(recent) + self.duration
        return f"cooling off for {self.duration} after a {self.after}", until


@attrs.frozen
class IgnoredSuppression:
    """After ``ignored`` ignored offers within ``within``, no offers for ``suppress_for``."""

    ignored: int = attrs.field(default=3, validator=_at_least_one)
    within: dt.timedelta = attrs.field(default=dt.timedelta(days=30), validator=_positive("within"))
    suppress_for: dt.timedelta = attrs.field(
        default=dt.timedelta(days=60), validator=_positive("suppress_for")
    )
    kind: str = "offer_ignored"

    def blocks(self, context: _Context, at: dt.datetime) -> tuple[str | None, dt.datetime | None]:
        """Return the reason the rule blocks ``at`` (or ``None``) and its earliest allowed time."""
        times = [t for t in context.events.get(self.kind, ()) if t <= at]
        k = self.ignored
        ends = [
            times[i] + self.suppress_for
            for i in range(k - 1, len(times))
            if times[i] - times[i - k + 1] <= self.within and at < times[i] + self.suppress_for
        ]
        if not ends:
            return None, at
        reason = f"{k} ignored offers within {self.within}: suppressed for {self.suppress_for}"
        return reason, max(ends)


@attrs.frozen
class SuppressionList:
    """Never contact these customers (do-not-contact, legal hold, staff, ...)."""

    customer_ids: frozenset[str] = attrs.field(converter=frozenset)
    name: str = "suppression list"

    def blocks(self, context: _Context, at: dt.datetime) -> tuple[str | None, dt.datetime | None]:
        """Return the reason the rule blocks ``at`` (or ``None``) and its earliest allowed time."""
        if context.customer_id in self.customer_ids:
            return f"on the {self.name}", _NEVER
        return None, at


Rule = FrequencyCap | QuietHours | CoolingOff | IgnoredSuppression | SuppressionList


class ContactPolicy:
    """Evaluate contact rules (and marketing consent) against an interaction log.

    Parameters
    ----------
    log
        The :class:`InteractionLog` holding the customers' contacts and events.
    rules
        :class:`FrequencyCap`, :class:`QuietHours`, :class:`CoolingOff`,
        :class:`IgnoredSuppression` and :class:`SuppressionList` values.
    timezones
        Each customer's IANA time zone (a mapping or a function), for quiet
        hours; customers without one use the rule's ``default_timezone``.
    purpose
        The consent purpose a contact needs (``None``: do not check consent).

    Examples
    --------
    >>> import datetime as dt
    >>> from one2one.interact import InteractionLog
    >>> log = InteractionLog()
    >>> at = dt.datetime(2026, 11, 2, 23, tzinfo=dt.UTC)
    >>> _ = log.consent.grant("c1", "marketing", at=at - dt.timedelta(days=30))
    >>> policy = ContactPolicy(log, [QuietHours(dt.time(21), dt.time(8))])
    >>> decision = policy.check("c1", "email", at)
    >>> decision.allowed, decision.deferred, decision.earliest_allowed_at.hour
    (False, True, 8)
    """

    def __init__(
        self,
        log: InteractionLog,
        rules: Iterable[Rule],
        *,
        timezones: Mapping[str, str] | Callable[[str], str | None] | None = None,
        purpose: str | None = "marketing",
    ) -> None:
        self.log = log
        self.rules = tuple(rules)
        for rule in self.rules:
            if not hasattr(rule, "blocks"):
                msg = f"{rule!r} is not a contact rule."
                raise DataContractError(msg, column="rules", value=repr(rule))
        self.timezones = timezones
        self.purpose = purpose
        named = {getattr(r, "after", None) for r in self.rules} | {
            getattr(r, "kind", None) for r in self.rules if isinstance(r, IgnoredSuppression)
        }
        self._kinds = sorted(set(log.marketing_kinds) | {k for k in named if k})
        self._horizon = max(
            [dt.timedelta(days=1)]
            + [getattr(r, "window", dt.timedelta(0)) for r in self.rules]
            + [getattr(r, "duration", dt.timedelta(0)) for r in self.rules]
            + [
                getattr(r, "within", dt.timedelta(0)) + getattr(r, "suppress_for", dt.timedelta(0))
                for r in self.rules
            ]
        )

    def _zone(self, customer_id: str, default: str) -> ZoneInfo:
        name: str | None = None
        if callable(self.timezones):
            name = self.timezones(customer_id)
        elif self.timezones is not None:
            name = self.timezones.get(customer_id)
        try:
            return _zone_info(name or default)
        except (ZoneInfoNotFoundError, ValueError) as error:
            msg = f"unknown time zone {name or default!r} for customer {customer_id!r}."
            raise DataContractError(msg, column="timezone", value=name or default) from error

    def _rows(
        self, customer_id: str, at: dt.datetime
    ) -> tuple[list[tuple[int, str, dict[str, Any]]], list[tuple[int, str, str, str]]]:
        """Consent decisions and the events the rules read, in one query."""
        # Back one horizon (the longest look-back of any rule), forward two (caps look
        # ahead of every candidate time _earliest tries before it fetches again).
        span = (at - self._horizon, at + 2 * self._horizon)
        return self.log._policy_rows(customer_id, at, span, self._kinds)  # noqa: SLF001

    def _context(
        self,
        customer_id: str,
        channel: str,
        at: dt.datetime,
        rows: list[tuple[int, str, str, str]] | None = None,
    ) -> _Context:
        if rows is None:
            rows = self._rows(customer_id, at)[1]
        contacts: list[tuple[dt.datetime, str]] = []
        events: dict[str, list[dt.datetime]] = {}
        marketing = self.log.marketing_kinds
        for micros, kind, direction, where in rows:
            when = _EPOCH + dt.timedelta(microseconds=micros)
            if direction == "outbound" and kind in marketing:
                contacts.append((when, str(where)))
            else:
                events.setdefault(str(kind), []).append(when)
        default = next((r.default_timezone for r in self.rules if isinstance(r, QuietHours)), "UTC")
        return _Context(
            customer_id=customer_id,
            channel=channel,
            contacts=sorted(contacts),
            events={k: sorted(v) for k, v in events.items()},
            timezone=self._zone(customer_id, default),
        )

    def check(
        self, customer_id: str, channel: str, at: dt.datetime | str | None = None
    ) -> Decision:
        """Decide whether a contact to ``customer_id`` on ``channel`` at ``at`` is allowed."""
        moment = as_utc("at", at) if at is not None else dt.datetime.now(dt.UTC)
        customer = str(customer_id)
        consent, rows = self._rows(customer, moment)
        if self.purpose is not None and not _decide(consent, self.purpose, channel, _us(moment)):
            missing = f"no {self.purpose} consent for {channel}"
            return Decision(allowed=False, reasons=(missing,), earliest_allowed_at=_NEVER)
        context = self._context(customer, channel, moment, rows)
        reasons: list[str] = []
        quiet_only = True
        for rule in self.rules:
            reason, _ = rule.blocks(context, moment)
            if reason is not None:
                reasons.append(reason)
                quiet_only &= isinstance(rule, QuietHours)
        if not reasons:
            return Decision(allowed=True, reasons=(), earliest_allowed_at=moment)
        return Decision(
            allowed=False,
            reasons=tuple(reasons),
            earliest_allowed_at=self._earliest(context, moment),
            deferred=quiet_only,
        )

    def _earliest(self, context: _Context, moment: dt.datetime) -> dt.datetime | None:
        """Move forward to the first time every rule allows (each step only goes later)."""
        current = moment
        for _ in range(100):
            if current - moment > self._horizon:  # look at the contacts around the new time
                context = self._context(context.customer_id, context.channel, current)
                moment = current
            later = current
            for rule in self.rules:
                reason, earliest = rule.blocks(context, current)
                if reason is None:
                    continue
                if earliest is None:
                    return None
                later = max(later, earliest)
            if later == current:
                return current
            current = later
        return None
