"""Contact policy: customers do not want to be over-contacted.

Rules are declarative values; a :class:`ContactPolicy` evaluates them for one
customer, channel and moment against the interaction log and answers with a
:class:`Decision`: allowed or not, every reason, and the earliest moment the
contact would be allowed. Frequency caps hold in *every* window, including
windows that reach past ``at`` to contacts already scheduled, so no answer
can create a violation. A contact blocked only by quiet hours is deferred
(``decision.deferred``) to the end of the quiet period, not lost.

A customer is every id merged into one (:meth:`InteractionLog.merge`): the
rules read the events, consent, suppression-list entries and time zone of
all of them. The earliest allowed moment is exact: a check at it is allowed
(consent included), and every moment between the asked time and it is not.
Quiet hours read the customer's wall clock, so across a daylight-saving gap
they end when the clock jumps past their end, and across a fold they can
start and end twice in one night.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import pandas as pd

from .._progress import Progress, check_progress, progress_bar
from ..errors import ContactPolicyError, DataContractError
from ._consent import CONSENT_KINDS
from ._consent import decide as _decide
from ._interaction import Interaction, _customer_id, as_utc, name
from ._postgres import PostgresDatabase
from ._rows import us as _us
from ._storage import marks

if TYPE_CHECKING:
    from ._key_store import KeyStore
    from ._log import InteractionLog
    from ._storage import Connection

__all__ = [
    "ContactPolicy",
    "CoolingOff",
    "Decision",
    "FrequencyCap",
    "IgnoredSuppression",
    "QuietHours",
    "SuppressionList",
    "enforce",
    "policy_rows",
    "policy_rows_many",
    "without_consent",
]

_NEVER = None
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FAR = dt.datetime.max.replace(tzinfo=dt.UTC)  # consent decisions are read up to here
_LONGEST = dt.timedelta(days=36_525)  # a rule's window: a century is already no limit
_MICROSECOND = dt.timedelta(microseconds=1)
# Customers per query in check_many. Their ids go as one JSON array, one parameter: psycopg
# translates a query of 500 placeholders afresh each time (it caches up to 50), which cost
# more than the round trip; and a query of 43 ids, cached and prepared, ran slower still.
_BULK_CHUNK = 500
# The rows ("value") of a JSON array given as one parameter, on each backend.
_JSON_ARRAY = {
    False: "json_each(?)",  # SQLite
    True: "json_array_elements_text(CAST(? AS json))",  # PostgreSQL
}
_BULK_PER_SECOND = 10_000.0  # check_many's decisions per second, roughly; for progress="auto"
DECISION_COLUMNS = ("customer_id", "allowed", "reasons", "earliest_allowed_at", "deferred")


def _duration(field: str) -> Callable[[object, attrs.Attribute[dt.timedelta], dt.timedelta], None]:
    def check(_: object, __: attrs.Attribute[dt.timedelta], value: dt.timedelta) -> None:
        if not isinstance(value, dt.timedelta) or value <= dt.timedelta(0):
            msg = f"{field} must be a positive timedelta (got {value!r})."
            raise DataContractError(msg, column=field, value=value)
        if value > _LONGEST:
            msg = (
                f"{field} must be at most {_LONGEST.days} days, a century (got {value!r}). "
                "Use a SuppressionList to stop contacting a customer for good."
            )
            raise DataContractError(msg, column=field, value=value)

    return check


def _at_least_one(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"{attribute.name} must be a whole number >= 1 (got {value!r})."
        raise DataContractError(msg, column=attribute.name, value=value)


def _channel(_: object, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None:
        name(attribute.name, value)


def _wall_time(_: object, attribute: attrs.Attribute[dt.time], value: dt.time) -> None:
    if not isinstance(value, dt.time) or value.tzinfo is not None:
        msg = (
            f"{attribute.name} must be a wall-clock datetime.time without a time zone, "
            f"such as time(21) (got {value!r}). The zone is the customer's (or default_timezone)."
        )
        raise DataContractError(msg, column=attribute.name, value=value)


def _known_zone(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    _zone_named(value, field=attribute.name, customer=None)


def _id_set(value: object) -> frozenset[str]:
    """Return the ids as a frozenset, refusing a bare string (not a set of one-letter ids)."""
    if isinstance(value, str | bytes):
        msg = (
            f"customer_ids must be a collection of customer ids, not one string "
            f"(got {value!r}); write {{{value!r}}} for one customer."
        )
        raise DataContractError(msg, column="customer_ids", value=value)
    try:
        if not isinstance(value, Iterable):
            raise TypeError(type(value).__name__)  # noqa: TRY301 (one message for both)
        ids: frozenset[object] = frozenset(value)
    except TypeError as error:
        msg = f"customer_ids must be a collection of customer ids (got {value!r})."
        raise DataContractError(msg, column="customer_ids", value=value) from error
    wrong = next((i for i in ids if not isinstance(i, str)), None)
    if wrong is not None:
        msg = (
            f"customer_ids must be strings, as customer ids are text (got {wrong!r}, a "
            f"{type(wrong).__name__}); convert them with str first."
        )
        raise DataContractError(msg, column="customer_ids", value=wrong)
    return frozenset(str(i) for i in ids)


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
        The first moment at or after the asked time when consent and every
        rule allow the contact (``at`` itself when allowed; ``None`` when no
        wait helps, e.g. a suppression list, or consent that lapses and is
        not granted again). Every moment before it, from ``at`` on, is blocked.
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


def _zone_named(name: object, *, field: str, customer: str | None) -> ZoneInfo:
    """Load an IANA zone, turning every way a name can be bad into a DataContractError."""
    try:
        return _zone_info(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError) as error:
        whose = f" for customer {customer!r}" if customer is not None else ""
        msg = (
            f"unknown time zone {name!r}{whose} in {field}; "
            "expected an IANA name such as 'Europe/London'."
        )
        raise DataContractError(msg, column=field, value=name) from error


@attrs.define
class _Context:
    """What a rule sees: the customer's relevant events around the asked time, in UTC."""

    customer_id: str
    channel: str
    contacts: list[tuple[dt.datetime, str]]  # (time, channel) of outbound contacts, sorted
    events: dict[str, list[dt.datetime]]  # kind -> sorted times of other events
    ids: frozenset[str]  # every id of the customer (merged ids included)
    timezone: ZoneInfo | None  # the customer's own zone, if the policy knows one

    def zone(self, default: str) -> ZoneInfo:
        """Return the customer's zone, or ``default`` when the policy has none for them."""
        return _zone_info(default) if self.timezone is None else self.timezone


def _cover(intervals: Iterable[tuple[dt.datetime, dt.datetime]], at: dt.datetime) -> dt.datetime:
    """Return the first moment at or after ``at`` outside every ``[start, end)``.

    ``intervals`` must come sorted by start; overlapping or touching intervals
    chain (a complaint made during a cooling-off extends it).
    """
    until = at
    for start, end in intervals:
        if start > until:
            break
        until = max(until, end)
    return until


@attrs.frozen
class FrequencyCap:
    """At most ``max_contacts`` contacts in any ``window`` (on ``channel``, or on all channels).

    Examples: ``FrequencyCap(2, timedelta(days=7), channel="email")``; a global
    cap is ``FrequencyCap(4, timedelta(days=7))``. ``window`` is elapsed time,
    so a week is a week across a daylight-saving change.

    Parameters
    ----------
    max_contacts
        The most contacts allowed in any window (a whole number >= 1).
    window
        The window's length, a positive :class:`datetime.timedelta` of at
        most a century.
    channel
        Count and cap this channel's contacts only; ``None`` caps them all.

    Raises
    ------
    DataContractError
        If ``max_contacts`` is not a whole number >= 1, ``window`` is not a
        positive timedelta of at most a century, or ``channel`` is not a
        lower-case name.
    """

    max_contacts: int = attrs.field(validator=_at_least_one)
    window: dt.timedelta = attrs.field(validator=_duration("window"))
    channel: str | None = attrs.field(default=None, validator=_channel)

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
        """Return the reason the rule blocks ``at`` (or ``None``) and its earliest allowed time.

        A cap stops blocking only when a contact leaves the window, so the
        earliest allowed time is the first ``contact + window`` that is allowed.

        Called by :class:`ContactPolicy` for each check; a rule is a value
        with this one method, so a policy can hold rules of your own.

        Parameters
        ----------
        context
            The customer's contacts and events around ``at`` (all their ids),
            their channel and time zone, as the policy gathered them.
        at
            The moment asked about (UTC).

        Returns
        -------
        tuple of (str or None, datetime or None)
            The reason in words (``None`` when the rule allows ``at``), and
            the first moment at or after ``at`` the rule allows (``None``
            when no wait helps).
        """
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
    """No contact between ``start`` and ``end`` in the customer's local (wall-clock) time.

    ``end`` before ``start`` spans midnight (21:00 to 08:00); ``start == end``
    is never quiet. The time zone is the policy's ``timezones`` entry for the
    customer, else ``default_timezone``. The rule reads the clock on the wall:
    a moment is quiet when the local time it shows lies in ``[start, end)``.
    So when the clock jumps forward past ``end`` (spring), quiet hours end at
    the jump; when it falls back into ``[start, end)`` (autumn), they start
    again, and end when the clock shows ``end`` for the second time.

    Parameters
    ----------
    start, end
        Wall-clock :class:`datetime.time` values without a time zone.
    default_timezone
        The IANA zone of customers the policy has no zone for.

    Raises
    ------
    DataContractError
        If ``start`` or ``end`` is not a time without a zone, or
        ``default_timezone`` is not a known IANA zone.
    """

    start: dt.time = attrs.field(validator=_wall_time)
    end: dt.time = attrs.field(validator=_wall_time)
    default_timezone: str = attrs.field(default="UTC", validator=_known_zone)

    def blocks(self, context: _Context, at: dt.datetime) -> tuple[str | None, dt.datetime | None]:
        """Return the reason the rule blocks ``at`` (or ``None``) and its earliest allowed time.

        Called by :class:`ContactPolicy` for each check; a rule is a value
        with this one method, so a policy can hold rules of your own.

        Parameters
        ----------
        context
            The customer's contacts and events around ``at`` (all their ids),
            their channel and time zone, as the policy gathered them.
        at
            The moment asked about (UTC).

        Returns
        -------
        tuple of (str or None, datetime or None)
            The reason in words (``None`` when the rule allows ``at``), and
            the first moment at or after ``at`` the rule allows (``None``
            when no wait helps).

        Raises
        ------
        DataContractError
            If the zone's clock never leaves quiet hours near ``at`` (no real
            zone does).
        """
        zone = context.zone(self.default_timezone)
        if not _quiet(self.start, self.end, at.astimezone(zone).time()):
            return None, at
        reason = f"quiet hours {self.start:%H:%M}-{self.end:%H:%M} ({zone.key})"
        return reason, self._wake(at, zone)

    def _wake(self, at: dt.datetime, zone: ZoneInfo) -> dt.datetime:
        """Return the first moment after a quiet ``at`` whose wall-clock time is not quiet.

        Quiet hours end either when the clock reaches ``end`` (once, or twice
        in a fold) or when an offset change makes the clock jump out of them;
        such a jump can only happen where ``end`` (forward) or ``start``
        (backward) is missing or repeated on the wall clock, i.e. between the
        two readings (``fold=0`` and ``fold=1``) of that bound. Every such
        moment near ``at`` is a candidate; the answer is the first one that is
        not quiet. This is exact for any zone, with no scan of the clock.
        """
        day = at.astimezone(zone).date()
        for days in ((-1, 4), (4, 16)):  # a second pass only for days skipped whole
            exits = _exits_around(self.start, self.end, zone, day, days)
            after = bisect.bisect_right(exits, at)
            if after < len(exits):
                return exits[after]
        msg = f"the clock of {zone.key} never leaves quiet hours {self.start}-{self.end} near {at}."
        raise DataContractError(msg, column="timezone", value=zone.key)


def _quiet(start: dt.time, end: dt.time, clock: dt.time) -> bool:
    """Whether a wall-clock time lies in ``[start, end)`` (across midnight if end < start)."""
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end


@functools.lru_cache(maxsize=16_384)
def _exits(start: dt.time, end: dt.time, zone: ZoneInfo, day: dt.date) -> tuple[dt.datetime, ...]:
    """Return the moments quiet hours can end, from the bounds on local ``day``.

    Cached: the answer depends on the bounds, the zone and the day only, and
    checks cluster on few zones and days.
    """
    candidates: list[dt.datetime] = []
    for bound in (start, end):
        wall = dt.datetime.combine(day, bound)
        early, late = sorted(
            wall.replace(tzinfo=zone, fold=fold).astimezone(dt.UTC) for fold in (0, 1)
        )
        candidates += [early, late]
        if early != late:  # the bound is in a gap or a fold: find the jump
            candidates.append(_jump(zone, early, late))
    return tuple(c for c in candidates if not _quiet(start, end, c.astimezone(zone).time()))


@functools.lru_cache(maxsize=16_384)
def _exits_around(
    start: dt.time, end: dt.time, zone: ZoneInfo, day: dt.date, days: tuple[int, int]
) -> tuple[dt.datetime, ...]:
    """Return, sorted, the moments quiet hours can end on local days ``days`` around ``day``.

    Cached like :func:`_exits`, so a check bisects one sorted tuple instead of
    gathering candidates day by day.
    """
    return tuple(
        sorted(
            moment
            for n in range(*days)
            for moment in _exits(start, end, zone, day + dt.timedelta(days=n))
        )
    )


def _jump(zone: ZoneInfo, low: dt.datetime, high: dt.datetime) -> dt.datetime:
    """Return the first moment in ``(low, high]`` whose UTC offset differs from ``low``'s."""
    offset = low.astimezone(zone).utcoffset()
    while high - low > _MICROSECOND:
        middle = low + (high - low) // 2
        if middle.astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return high


@attrs.frozen
class CoolingOff:
    """No marketing for ``duration`` after an inbound event of kind ``after`` (a complaint).

    A complaint made during a cooling-off period extends it.

    Parameters
    ----------
    duration
        How long marketing waits, a positive :class:`datetime.timedelta` of
        at most a century.
    after
        The kind of inbound event that starts it.

    Raises
    ------
    DataContractError
        If ``duration`` is not a positive timedelta of at most a century.
    """

    duration: dt.timedelta = attrs.field(validator=_duration("duration"))
    after: str = "complaint"

    def blocks(self, context: _Context, at: dt.datetime) -> tuple[str | None, dt.datetime | None]:
        """Return the reason the rule blocks ``at`` (or ``None``) and its earliest allowed time.

        Called by :class:`ContactPolicy` for each check; a rule is a value
        with this one method, so a policy can hold rules of your own.

        Parameters
        ----------
        context
            The customer's contacts and events around ``at`` (all their ids),
            their channel and time zone, as the policy gathered them.
        at
            The moment asked about (UTC).

        Returns
        -------
        tuple of (str or None, datetime or None)
            The reason in words (``None`` when the rule allows ``at``), and
            the first moment at or after ``at`` the rule allows (``None``
            when no wait helps).
        """
        times = context.events.get(self.after)
        if not times:
            return None, at
        until = _cover(((t, t + self.duration) for t in times), at)
        if until == at:
            return None, at
        return f"cooling off for {self.duration} after a {self.after}", until


@attrs.frozen
class IgnoredSuppression:
    """After ``ignored`` ignored offers within ``within``, no offers for ``suppress_for``.

    The suppression starts at the ignored offer that completes the count.
    A customer who ignores offer after offer is telling the business to stop;
    going on only teaches them to ignore it.

    Parameters
    ----------
    ignored
        How many ignored offers trigger it (a whole number >= 1).
    within
        The span those offers must fall in.
    suppress_for
        How long offers stop.
    kind
        The kind of event that records an ignored offer.

    Raises
    ------
    DataContractError
        If ``ignored`` is not a whole number >= 1, or a duration is not a
        positive timedelta of at most a century.
    """

    ignored: int = attrs.field(default=3, validator=_at_least_one)
    within: dt.timedelta = attrs.field(default=dt.timedelta(days=30), validator=_duration("within"))
    suppress_for: dt.timedelta = attrs.field(
        default=dt.timedelta(days=60), validator=_duration("suppress_for")
    )
    kind: str = "offer_ignored"

    def blocks(self, context: _Context, at: dt.datetime) -> tuple[str | None, dt.datetime | None]:
        """Return the reason the rule blocks ``at`` (or ``None``) and its earliest allowed time.

        Called by :class:`ContactPolicy` for each check; a rule is a value
        with this one method, so a policy can hold rules of your own.

        Parameters
        ----------
        context
            The customer's contacts and events around ``at`` (all their ids),
            their channel and time zone, as the policy gathered them.
        at
            The moment asked about (UTC).

        Returns
        -------
        tuple of (str or None, datetime or None)
            The reason in words (``None`` when the rule allows ``at``), and
            the first moment at or after ``at`` the rule allows (``None``
            when no wait helps).
        """
        times = context.events.get(self.kind, [])
        k = self.ignored
        if len(times) < k:
            return None, at
        spells = (
            (times[i], times[i] + self.suppress_for)
            for i in range(k - 1, len(times))
            if times[i] - times[i - k + 1] <= self.within
        )
        until = _cover(spells, at)
        if until == at:
            return None, at
        reason = f"{k} ignored offers within {self.within}: suppressed for {self.suppress_for}"
        return reason, until


@attrs.frozen
class SuppressionList:
    """Never contact these customers (do-not-contact, legal hold, staff, ...).

    A customer is suppressed when any of their ids is listed: an id merged
    into a listed one, or a listed id merged into another, stays blocked.

    Parameters
    ----------
    customer_ids
        The listed customer ids (a collection of text, not one string).
    name
        The list's name, given as the reason.

    Raises
    ------
    DataContractError
        If ``customer_ids`` is one string, not a collection, or holds
        something other than text.
    """

    customer_ids: frozenset[str] = attrs.field(converter=_id_set)
    name: str = "suppression list"

    def blocks(self, context: _Context, at: dt.datetime) -> tuple[str | None, dt.datetime | None]:
        """Return the reason the rule blocks ``at`` (or ``None``) and its earliest allowed time.

        Called by :class:`ContactPolicy` for each check; a rule is a value
        with this one method, so a policy can hold rules of your own.

        Parameters
        ----------
        context
            The customer's contacts and events around ``at`` (all their ids),
            their channel and time zone, as the policy gathered them.
        at
            The moment asked about (UTC).

        Returns
        -------
        tuple of (str or None, datetime or None)
            The reason in words (``None`` when the rule allows ``at``), and
            the first moment at or after ``at`` the rule allows (``None``
            when no wait helps).
        """
        if not self.customer_ids.isdisjoint(context.ids):
            return f"on the {self.name}", _NEVER
        return None, at


Rule = FrequencyCap | QuietHours | CoolingOff | IgnoredSuppression | SuppressionList
_Consent = list[tuple[int, str, dict[str, Any]]]
_Rows = list[tuple[int, str, str, str]]


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
        hours; customers without one use the rule's ``default_timezone``. A
        zone given under any id of a merged customer is theirs (the asked id
        first, then the id the others were merged into, then the others in
        sorted order, so the answer never depends on the database's row order).
    purpose
        The consent purpose a contact needs (``None``: do not check consent).

    Raises
    ------
    DataContractError
        If a rule has no ``blocks`` method.

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
        self._needs_ids = any(isinstance(r, SuppressionList) for r in self.rules)
        self._needs_zone = any(isinstance(r, QuietHours) for r in self.rules)

    def _zone(self, customer_id: str, ids: Callable[[], Sequence[str]]) -> ZoneInfo | None:
        """Return the customer's zone from ``timezones``: the asked id, then their others."""
        timezones = self.timezones
        if timezones is None or not self._needs_zone:
            return None
        lookup = timezones if callable(timezones) else timezones.get
        name = lookup(customer_id)
        if not name:
            root, *merged = ids()  # then the root, then the merged ids in sorted order
            others = [root, *sorted(merged)]
            name = next((n for i in others if i != customer_id and (n := lookup(i))), None)
        if not name:
            return None
        return _zone_named(name, field="timezone", customer=customer_id)

    def _rows(
        self, customer_id: str, at: dt.datetime, consent_until: dt.datetime
    ) -> tuple[_Consent, _Rows]:
        """Consent decisions up to ``consent_until`` and the events the rules read, in one query."""
        # Back one horizon (the longest look-back of any rule), forward two (caps look
        # ahead of every candidate time _earliest tries before it fetches again).
        span = (at - self._horizon, at + 2 * self._horizon)
        connection = self.log._db.connection  # noqa: SLF001 (a view of the log)
        key_store = self.log._key_store  # noqa: SLF001 (a view of the log)
        return policy_rows(
            connection, key_store, customer_id, consent_until, span=span, kinds=self._kinds
        )

    def _context(self, base: _Context, rows: _Rows) -> _Context:
        """Return ``base`` (who, which channel) with the events the rules read."""
        contacts: list[tuple[dt.datetime, str]] = []
        events: dict[str, list[dt.datetime]] = {}
        marketing = self.log.marketing_kinds
        for micros, kind, direction, where in rows:
            when = _EPOCH + dt.timedelta(microseconds=micros)
            if direction == "outbound" and kind in marketing:
                contacts.append((when, str(where)))
            else:
                events.setdefault(str(kind), []).append(when)
        base.contacts = sorted(contacts)
        base.events = {k: sorted(v) for k, v in events.items()}
        return base

    def check(
        self, customer_id: str, channel: str, at: dt.datetime | str | None = None
    ) -> Decision:
        """Decide whether a contact to ``customer_id`` on ``channel`` at ``at`` is allowed.

        Parameters
        ----------
        customer_id
            Any id of the customer (merged ids are followed).
        channel
            The channel of the contact.
        at
            When the contact would be made (an aware datetime or ISO 8601
            text; ``None``: now).

        Returns
        -------
        Decision
            Allowed or not, every reason, and the earliest allowed moment.

        Raises
        ------
        DataContractError
            ``customer_id`` is not an id the log could store; ``channel`` is
            not one of the log's channel names (``"EMAIL"`` is not
            ``"email"``, and must not slip past a cap on ``"email"``); ``at``
            is naive or not a time, or so close to year 1 or 9999 that the
            rules' windows leave the calendar; or the customer's time zone is
            unknown.
        """
        customer = _customer_id(customer_id)
        known = self._known_channel(channel)
        moment = as_utc("at", at) if at is not None else dt.datetime.now(dt.UTC)
        try:
            return self._check(customer, known, moment)
        except OverflowError as error:
            raise self._off_calendar(moment) from error

    def _known_channel(self, channel: object) -> str:
        """Return ``channel`` if it is one of the log's channels; raise otherwise."""
        known = name("channel", channel)
        if known not in self.log.channels:
            msg = (
                f"unknown channel {channel!r}; known: {sorted(self.log.channels)} "
                "(open the log with extra_channels=... to add one)."
            )
            raise DataContractError(msg, column="channel", value=channel)
        return known

    def _off_calendar(self, moment: dt.datetime) -> DataContractError:
        msg = (
            f"'at' {moment.isoformat()} is too close to the limits of the calendar "
            f"(years 1 and 9999) for rules that look {self._horizon} around it."
        )
        return DataContractError(msg, column="at", value=moment.isoformat())

    def _check(self, customer: str, channel: str, moment: dt.datetime) -> Decision:
        consent, rows = self._rows(customer, moment, _FAR)
        group: list[Sequence[str]] = []

        def ids() -> Sequence[str]:  # asked only when a rule needs the merged ids
            if not group:
                group.append(self.log._group(customer))  # noqa: SLF001
            return group[0]

        return self._decide(customer, channel, moment, consent, rows, ids)

    def _decide(  # noqa: PLR0917 (the one evaluation both checks share)
        self,
        customer: str,
        channel: str,
        moment: dt.datetime,
        consent: _Consent,
        rows: _Rows,
        ids: Callable[[], Sequence[str]],
    ) -> Decision:
        """Evaluate consent and every rule for one customer on rows already fetched.

        ``ids`` returns the customer's group (canonical id first) when a rule
        or the time-zone lookup needs it, so :meth:`check` resolves merges
        only then and :meth:`check_many` passes what its query found.
        """
        context = self._context(
            _Context(
                customer_id=customer,
                channel=channel,
                contacts=[],
                events={},
                ids=frozenset(ids()) if self._needs_ids else frozenset((customer,)),
                timezone=self._zone(customer, ids),
            ),
            rows,
        )
        reasons: list[str] = []
        start = _us(moment)
        consented = self.purpose is None or _decide(
            [d for d in consent if d[0] <= start], self.purpose, channel, start
        )
        if not consented:
            reasons.append(f"no {self.purpose} consent for {channel}")
        quiet_only = consented
        for rule in self.rules:
            reason, _ = rule.blocks(context, moment)
            if reason is not None:
                reasons.append(reason)
                quiet_only &= isinstance(rule, QuietHours)
        if not reasons:
            return Decision(allowed=True, reasons=(), earliest_allowed_at=moment)
        earliest = self._earliest(context, moment, consent, consented=consented)
        return Decision(
            allowed=False,
            reasons=tuple(reasons),
            earliest_allowed_at=earliest,
            deferred=quiet_only and earliest is not None,
        )

    def check_many(
        self,
        customer_ids: Iterable[str],
        channel: str,
        at: dt.datetime | str | None = None,
        *,
        progress: Progress = "auto",
    ) -> pd.DataFrame:
        """Decide for many customers at once whether a contact on ``channel`` at ``at`` is allowed.

        For a campaign ("which of these 100,000 customers may I email
        now?"): one query fetches the consent and events of 500 customers
        (merged ids followed), where :meth:`check` makes one round
        trip per customer, so on a server the answers come faster. Each
        row is exactly the :class:`Decision` :meth:`check` gives for that id.

        Parameters
        ----------
        customer_ids
            Any ids of the customers (a list, a pandas Series...); duplicates
            are allowed and each gets its row.
        channel
            The channel of the contact.
        at
            When the contacts would be made (an aware datetime or ISO 8601
            text; ``None``: now, the same moment for every customer).
        progress
            ``"auto"``, ``True`` or ``False``: a bar over the queries
            (``"auto"``: when the call is expected to be long).

        Returns
        -------
        pandas.DataFrame
            One row per id asked, in the order given: ``customer_id``,
            ``allowed``, ``reasons`` (a tuple of sentences, empty when
            allowed), ``earliest_allowed_at`` (UTC; ``NaT`` when no wait
            helps) and ``deferred``, the fields of :class:`Decision`.

        Raises
        ------
        DataContractError
            ``customer_ids`` is one string or not a collection, or an id is
            not an id the log could store; and as :meth:`check` does, for
            ``channel``, ``at`` and the customers' time zones.
        MissingDependencyError
            ``progress=True`` without tqdm (the ``progress`` extra).

        Examples
        --------
        >>> import datetime as dt
        >>> from one2one.interact import InteractionLog
        >>> log = InteractionLog()
        >>> at = dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC)
        >>> _ = log.consent.grant("c1", "marketing", at=at - dt.timedelta(days=30))
        >>> policy = ContactPolicy(log, [QuietHours(dt.time(21), dt.time(8))])
        >>> policy.check_many(["c1", "c2"], "email", at)[["customer_id", "allowed"]]
          customer_id  allowed
        0          c1     True
        1          c2    False
        """
        asked = _id_list(customer_ids)
        known = self._known_channel(channel)
        moment = as_utc("at", at) if at is not None else dt.datetime.now(dt.UTC)
        check_progress(progress)
        distinct = list(dict.fromkeys(asked))
        size = _BULK_CHUNK
        chunks = [distinct[i : i + size] for i in range(0, len(distinct), size)]
        decided: dict[str, Decision] = {}
        with progress_bar(
            progress=progress,
            total=len(chunks),
            desc="policy checks",
            expected_seconds=len(distinct) / _BULK_PER_SECOND,
        ) as bar:
            for chunk in chunks:
                try:
                    decided.update(self._check_chunk(chunk, known, moment))
                except OverflowError as error:
                    raise self._off_calendar(moment) from error
                bar.update(1)
        return _decision_frame(asked, decided)

    def _check_chunk(
        self, chunk: Sequence[str], channel: str, moment: dt.datetime
    ) -> dict[str, Decision]:
        """Decide for each id of ``chunk`` (distinct ids) on rows fetched in one query."""
        span = (moment - self._horizon, moment + 2 * self._horizon)
        connection = self.log._db.connection  # noqa: SLF001 (a view of the log)
        key_store = self.log._key_store  # noqa: SLF001 (a view of the log)
        postgres = isinstance(self.log._db, PostgresDatabase)  # noqa: SLF001 (a view of the log)
        groups, consent, rows = policy_rows_many(
            connection, key_store, chunk, _FAR, span=span, kinds=self._kinds, postgres=postgres
        )
        decided = {}
        for customer in chunk:
            root = groups.root_of[customer]
            decided[customer] = self._decide(
                customer,
                channel,
                moment,
                consent.get(root, []),
                rows.get(root, []),
                functools.partial(groups.members.__getitem__, root),
            )
        return decided

    def _consent_from(
        self, decisions: _Consent, channel: str, moment: dt.datetime
    ) -> dt.datetime | None:
        """Return the first moment at or after ``moment`` when consent allows the contact.

        Consent can start to allow only at a decision (a grant recorded ahead
        of time); an expiry only ends it. So those decisions are the moments
        to try after ``moment`` itself.
        """
        if self.purpose is None:
            return moment
        start = _us(moment)
        later = sorted({micros for micros, _, _ in decisions if micros > start})
        for micros in [start, *later]:
            known = [d for d in decisions if d[0] <= micros]
            if _decide(known, self.purpose, channel, micros):
                return moment if micros == start else _EPOCH + dt.timedelta(microseconds=micros)
        return None

    def _earliest(
        self, context: _Context, moment: dt.datetime, consent: _Consent, *, consented: bool
    ) -> dt.datetime | None:
        """Move forward to the first time consent and every rule allow.

        Each rule (and consent) answers with its own earliest allowed time,
        always later than a time it blocks, so every step goes strictly later
        and skips nothing allowed; the walk ends once past the last event
        that can block, since then only quiet hours can, and they always end.
        """
        start = _us(moment)
        changes = self.purpose is not None and any(
            micros > start or payload.get("expires_at") is not None
            for micros, _, payload in consent
        )
        current = fetched = moment
        while True:
            if current - fetched > self._horizon:  # look at the contacts around the new time
                rows = self._rows(context.customer_id, current, current)[1]
                context = self._context(attrs.evolve(context), rows)
                fetched = current
            later = current if consented else None
            if changes:  # a decision recorded ahead, or a grant that lapses
                later = self._consent_from(consent, context.channel, current)
            if later is None:
                return None
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


def policy_rows(
    connection: Connection,
    key_store: KeyStore,
    customer_id: str,
    at: dt.datetime,
    *,
    span: tuple[dt.datetime, dt.datetime],
    kinds: Sequence[str],
) -> tuple[_Consent, _Rows]:
    """Fetch, in one query, consent decisions up to ``at`` and the events a policy reads.

    The customer's merged ids are resolved inside the query (merges are flat,
    one level), so a policy check costs a single round trip; ``CROSS JOIN``
    fixes SQLite's plan to: ids first, then each id's consent and windowed
    events by index. Consent payloads are opened with one key query.
    """
    kind_marks = marks(len(kinds))
    rows = connection.execute(
        "WITH root(id) AS (SELECT coalesce("  # noqa: S608 (fixed SQL, bound values)
        "(SELECT into_id FROM aliases WHERE from_id = ?), ?)), "
        "ids(id) AS (SELECT id FROM root UNION ALL "
        "SELECT from_id FROM aliases WHERE into_id = (SELECT id FROM root)) "
        "SELECT occurred_at, kind, direction, channel, payload, event_id, customer_id "
        "FROM ids CROSS JOIN events "
        "WHERE events.customer_id = ids.id AND ("
        "(kind IN ('consent_granted', 'consent_denied', 'consent_withdrawn') "
        "AND occurred_at <= ?) "
        f"OR (occurred_at >= ? AND occurred_at < ? AND kind IN ({kind_marks}))"
        ") ORDER BY occurred_at, seq",
        [customer_id, customer_id, _us(at), _us(span[0]), _us(span[1]), *kinds],
    ).fetchall()
    consent = []
    events = []
    limit = _us(at)
    decisions = [r for r in rows if r[1] in CONSENT_KINDS and r[0] <= limit]
    payloads = key_store.open_payloads(connection, [(r[5], r[6], r[4]) for r in decisions])
    for (micros, kind, *_), payload in zip(decisions, payloads, strict=True):
        consent.append((int(micros), str(kind), json.loads(payload) if payload else {}))
    for micros, kind, direction, where, *_ in rows:
        if kind not in CONSENT_KINDS:
            events.append((int(micros), str(kind), str(direction), str(where)))
    return consent, events


@attrs.frozen
class Groups:
    """Who is who among the customers of one bulk fetch (merges are flat, one level).

    Attributes
    ----------
    root_of
        Each id (asked, or merged into an asked customer) and its canonical id.
    members
        Each canonical id and its group: itself first, then the ids merged
        into it in sorted order.
    """

    root_of: dict[str, str]
    members: dict[str, list[str]]


def policy_rows_many(
    connection: Connection,
    key_store: KeyStore,
    customer_ids: Sequence[str],
    at: dt.datetime,
    *,
    span: tuple[dt.datetime, dt.datetime],
    kinds: Sequence[str],
    postgres: bool = False,
) -> tuple[Groups, dict[str, _Consent], dict[str, _Rows]]:
    """Fetch, in one query, :func:`policy_rows` for many customers, keyed by canonical id.

    The query resolves each asked id to its canonical id and gathers every
    id merged into that one, as :func:`policy_rows` does for one id; it
    returns those (root, member) pairs alongside the events, each event
    tagged with its customer's canonical id, in the order
    :func:`policy_rows` reads them. Consent payloads of all the customers
    are opened with one key query. The ids go as one JSON array (``postgres``:
    read it with PostgreSQL's function, else SQLite's), so the query's text
    does not grow with them.
    """
    kind_marks = marks(len(kinds))
    rows = connection.execute(
        f"WITH asked(id) AS (SELECT value FROM {_JSON_ARRAY[postgres]}), "  # noqa: S608 (fixed SQL, bound values)
        "root(id) AS (SELECT DISTINCT coalesce("
        "(SELECT into_id FROM aliases WHERE from_id = asked.id), asked.id) FROM asked), "
        "ids(root, id) AS (SELECT id, id FROM root UNION ALL "
        "SELECT into_id, from_id FROM aliases WHERE into_id IN (SELECT id FROM root)) "
        "SELECT root, id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM ids "
        "UNION ALL "
        "SELECT ids.root, NULL, occurred_at, kind, direction, channel, payload, event_id, "
        "customer_id, seq FROM ids CROSS JOIN events "
        "WHERE events.customer_id = ids.id AND ("
        "(kind IN ('consent_granted', 'consent_denied', 'consent_withdrawn') "
        "AND occurred_at <= ?) "
        f"OR (occurred_at >= ? AND occurred_at < ? AND kind IN ({kind_marks}))"
        ")",
        [json.dumps(list(customer_ids)), _us(at), _us(span[0]), _us(span[1]), *kinds],
    ).fetchall()
    root_of: dict[str, str] = {}
    found: list[tuple[Any, ...]] = []
    for row in rows:
        if row[1] is not None:
            root_of[str(row[1])] = str(row[0])
        else:
            found.append(row)
    merged: dict[str, list[str]] = {}
    for member, root in root_of.items():
        if member != root:
            merged.setdefault(root, []).append(member)
    members = {root: [root, *sorted(merged.get(root, []))] for root in set(root_of.values())}
    found.sort(key=lambda r: (r[2], r[9]))  # as policy_rows: by time, then by write order
    limit = _us(at)
    decisions = [r for r in found if r[3] in CONSENT_KINDS and r[2] <= limit]
    payloads = key_store.open_payloads(connection, [(r[7], r[8], r[6]) for r in decisions])
    consent: dict[str, _Consent] = {}
    for row, payload in zip(decisions, payloads, strict=True):
        opened = json.loads(payload) if payload else {}
        consent.setdefault(str(row[0]), []).append((int(row[2]), str(row[3]), opened))
    events: dict[str, _Rows] = {}
    for root, _, micros, kind, direction, where, *_ in found:
        if kind not in CONSENT_KINDS:
            events.setdefault(str(root), []).append(
                (int(micros), str(kind), str(direction), str(where))
            )
    return Groups(root_of=root_of, members=members), consent, events


def _id_list(value: object) -> list[str]:
    """Return the ids asked about, in order, refusing a bare string and ids the log cannot store."""
    if isinstance(value, str | bytes):
        msg = (
            f"customer_ids must be a collection of customer ids, not one string "
            f"(got {value!r}); write [{value!r}] for one customer."
        )
        raise DataContractError(msg, column="customer_ids", value=value)
    if not isinstance(value, Iterable):
        msg = f"customer_ids must be a collection of customer ids (got {value!r})."
        raise DataContractError(msg, column="customer_ids", value=value)
    return [_customer_id(i) for i in value]


def _decision_frame(asked: Sequence[str], decided: Mapping[str, Decision]) -> pd.DataFrame:
    """Return one row per asked id: the fields of its :class:`Decision`."""
    chosen = [decided[i] for i in asked]
    return pd.DataFrame(
        {
            "customer_id": pd.Series(list(asked), dtype=object),
            "allowed": pd.Series([d.allowed for d in chosen], dtype=bool),
            "reasons": pd.Series([d.reasons for d in chosen], dtype=object),
            "earliest_allowed_at": pd.Series(
                [d.earliest_allowed_at for d in chosen], dtype="datetime64[us, UTC]"
            ),
            "deferred": pd.Series([d.deferred for d in chosen], dtype=bool),
        },
        columns=list(DECISION_COLUMNS),
    )


def without_consent(policy: ContactPolicy) -> ContactPolicy:
    """Return the policy without its marketing-consent part when its log checks that itself.

    The log's own check sees the consent decisions of the batch being
    written (in time order, wherever they sit in the list); the policy
    would see only what is stored already.
    """
    if not policy.log.require_consent or policy.purpose != "marketing":
        return policy
    return type(policy)(policy.log, policy.rules, timezones=policy.timezones, purpose=None)


def enforce(policy: ContactPolicy, event: Interaction) -> None:
    """Refuse a marketing contact the policy does not allow at its time (inside the write).

    Raises
    ------
    ContactPolicyError
        With the policy's reasons and the earliest allowed moment.
    """
    if event.direction != "outbound" or event.kind not in policy.log.marketing_kinds:
        return
    decision = policy.check(event.customer_id, event.channel, event.occurred_at)
    if decision.allowed:
        return
    msg = (
        f"the contact policy refuses {event.kind} to customer {event.customer_id!r} by "
        f"{event.channel} at {event.occurred_at.isoformat()} (event {event.event_id}): "
        f"{'; '.join(decision.reasons)}; nothing in this batch was stored."
    )
    raise ContactPolicyError(
        msg,
        customer_id=event.customer_id,
        channel=event.channel,
        reasons=decision.reasons,
        earliest_allowed_at=decision.earliest_allowed_at,
    )
