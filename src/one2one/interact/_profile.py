"""Learning profiles: what each customer has shown they like, updated by every interaction.

A profile is a fold over the customer's events, so it can be kept live
(``ProfileStore.attach(log)`` updates it as events are stored) or rebuilt
from scratch by replaying the log; both give the same numbers, because both
apply the same events in the same (append) order.

Preferences decay: an event's weight halves every ``half_life``, so last
month's purchases count more than last year's. Scores are kept as
``weight * 2 ** ((t - ref) / half_life)`` relative to a reference time
``ref``, so an update touches only the keys the event names, and events that
arrive out of time order are handled exactly. ``ref`` starts at the
customer's first event and moves forward in steps of :data:`RESCALE_HALF_LIVES`
half-lives when an event lands past the next step; the customer's scores are
then multiplied by the exact power of two ``2 ** -RESCALE_HALF_LIVES`` per
step, so no score ever exceeds ``2 ** RESCALE_HALF_LIVES`` per event and any
span of history fits in a float. Histories shorter than that many half-lives
are computed exactly as before the step was introduced.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Self

import attrs
import pandas as pd

from .._validation import require_number
from ..errors import DataContractError
from ._interaction import Interaction, as_utc
from ._profile_replay import RESCALE_HALF_LIVES, rebuild

if TYPE_CHECKING:
    from ._log import InteractionLog
    from ._profile_follow import FollowedProfileStore

__all__ = ["DEFAULT_KIND_WEIGHTS", "RESCALE_HALF_LIVES", "CustomerProfile", "ProfileStore"]

DEFAULT_KIND_WEIGHTS: Mapping[str, float] = {
    "purchase": 1.0,
    "offer_accepted": 0.6,
    "view": 0.3,
    "visit": 0.1,
    "survey_answer": 0.3,
    "return": -0.5,
    "complaint": -0.5,
}
"""How much each kind of event says about a preference for what it names."""


@attrs.frozen
class CustomerProfile:
    """A snapshot of one customer's profile at ``at``.

    Attributes
    ----------
    customer_id
        Whose.
    at
        The moment the decayed scores are read at.
    value, purchases, interactions, complaints
        Money so far (``value`` summed), purchase events, all events, complaints.
    first_seen, last_seen, last_contact
        First and last event; last outbound contact (``None`` if never).
    offers_made, offers_accepted
        Offers made to and accepted by the customer.
    responsiveness
        Posterior mean of the acceptance rate, ``(accepted + 1) / (made + 2)``.
    channels
        Share of the customer's inbound activity per channel (decayed; sums to 1).
    preferred_channel, preferred_hour
        The most used inbound channel, and the hour of day (UTC) of most activity.
    preferences
        For each profiled payload attribute (e.g. ``"category"``), the decayed
        score of each value the customer's events named, best first.
    """

    customer_id: str
    at: dt.datetime
    value: float
    purchases: int
    interactions: int
    complaints: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    last_contact: dt.datetime | None
    offers_made: int
    offers_accepted: int
    responsiveness: float
    channels: Mapping[str, float] = attrs.field(eq=False)
    preferred_channel: str | None
    preferred_hour: int | None
    preferences: Mapping[str, Mapping[str, float]] = attrs.field(eq=False)


@attrs.define
class _State:
    """The running totals of one customer (mutable, private)."""

    origin: int  # microseconds since the epoch (UTC), like the log stores them
    first_seen: int
    last_seen: int
    last_contact: int | None = None
    block: int = 0  # the scores' reference time is origin + block * RESCALE_HALF_LIVES half-lives
    value: float = 0.0
    purchases: int = 0
    interactions: int = 0
    complaints: int = 0
    offers_made: int = 0
    offers_accepted: int = 0
    channels: dict[str, float] = attrs.Factory(dict)
    hours: dict[int, float] = attrs.Factory(dict)
    preferences: dict[str, dict[str, float]] = attrs.Factory(dict)


class ProfileStore:
    """Customer profiles, learned event by event.

    Parameters
    ----------
    half_life
        Time after which an event's weight in the preferences has halved.
    attributes
        Payload keys whose values are profiled as preferences (e.g. the
        ``category`` or ``brand`` of what was bought or viewed).
    kind_weights
        How much each kind of event counts towards a preference
        (:data:`DEFAULT_KIND_WEIGHTS`).

    Raises
    ------
    DataContractError
        If ``half_life`` is not a positive timedelta, or a kind weight is not
        a finite number.

    Examples
    --------
    >>> import datetime as dt
    >>> from one2one.interact import Interaction
    >>> at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    >>> store = ProfileStore(attributes=("category",))
    >>> store.update([
    ...     Interaction(customer_id="c1", occurred_at=at, channel="web", kind="purchase",
    ...                 value=30.0, payload={"category": "shoes"}),
    ...     Interaction(customer_id="c1", occurred_at=at, channel="web", kind="view",
    ...                 payload={"category": "bags"})])
    >>> profile = store.profile("c1")
    >>> profile.value, list(profile.preferences["category"])
    (30.0, ['shoes', 'bags'])
    """

    def __init__(
        self,
        *,
        half_life: dt.timedelta = dt.timedelta(days=90),
        attributes: Sequence[str] = ("category", "product", "brand"),
        kind_weights: Mapping[str, float] = DEFAULT_KIND_WEIGHTS,
    ) -> None:
        if not isinstance(half_life, dt.timedelta) or half_life <= dt.timedelta(0):
            msg = f"half_life must be a positive timedelta (got {half_life!r})."
            raise DataContractError(msg, column="half_life", value=half_life)
        for kind, weight in kind_weights.items():
            require_number(weight, name=f"kind_weights[{kind!r}]")
        self.half_life = half_life
        self.attributes = tuple(attributes)
        self.kind_weights = dict(kind_weights)
        self._micros = half_life // dt.timedelta(microseconds=1)
        self._block = RESCALE_HALF_LIVES * self._micros
        self._states: dict[str, _State] = {}
        self._aliases: Any = None

    # ----------------------------------------------------------------- building
    @classmethod
    def from_log(cls, log: InteractionLog, **options: Any) -> Self:
        """Rebuild every profile by replaying the log (ids as merged at this moment).

        Reads the stored rows in batches and accumulates them in arrays, giving
        exactly the numbers the live, event-by-event path gives.

        Parameters
        ----------
        log
            The interaction log to learn from.
        **options
            The keyword arguments of :class:`ProfileStore`.

        Returns
        -------
        ProfileStore
            The profiles of every customer in the log, under canonical ids.

        Raises
        ------
        DataContractError
            If an option is invalid (see :class:`ProfileStore`).
        """
        store = cls(**options)
        rebuild(store, log._replay_batches(), log._aliases())  # noqa: SLF001 (same room)
        store._aliases = log.canonical_id
        return store

    @classmethod
    def attach(cls, log: InteractionLog, **options: Any) -> Self:
        """Rebuild from the log, then keep learning from every event it stores.

        Attached, the profiles follow the log: new events update them,
        erasures drop them and merges join them, with the numbers a rebuild
        from the log would give.

        Parameters
        ----------
        log
            The interaction log to learn from.
        **options
            The keyword arguments of :class:`ProfileStore`.

        Returns
        -------
        ProfileStore
            The store, subscribed to the log.

        Raises
        ------
        DataContractError
            If an option is invalid (see :class:`ProfileStore`).
        """
        store = cls.from_log(log, **options)
        log.subscribe(store.update, store.forget, partial(store._join, log))  # noqa: SLF001
        return store

    @classmethod
    def follow(
        cls,
        log: InteractionLog,
        *,
        poll_interval: float = 0.05,
        batch_size: int = 50_000,
        **options: Any,
    ) -> FollowedProfileStore:
        """Rebuild from the log, then follow what every process commits to it.

        :meth:`attach` hears only the writes made through one log object;
        many workers write through many. The followed store reads the log
        itself: :meth:`~FollowedProfileStore.refresh` applies the appends,
        merges and erasures committed since (by any process), and
        :meth:`~FollowedProfileStore.wait` blocks until there are some.
        After each, its profiles equal those :meth:`from_log` rebuilds,
        customer by customer.

        Parameters
        ----------
        log
            The interaction log to follow (a connection of this process;
            the others write through their own).
        poll_interval
            Seconds between two looks at an SQLite log while waiting
            (PostgreSQL pushes each commit instead: ``LISTEN``/``NOTIFY``).
        batch_size
            Events read from the database at a time.
        **options
            The keyword arguments of :class:`ProfileStore`.

        Returns
        -------
        FollowedProfileStore
            The store; close it (or use ``with``) to stop following.

        Raises
        ------
        DataContractError
            If an option is invalid, or ``poll_interval`` or ``batch_size``
            is not a positive number.
        StorageError
            If the log cannot be read or listened to.

        Examples
        --------
        >>> from one2one.interact import InteractionLog
        >>> with InteractionLog() as log, ProfileStore.follow(log) as profiles:
        ...     profiles.refresh()
        0
        """
        from ._profile_follow import FollowedProfileStore  # noqa: PLC0415 (it subclasses this)

        store = FollowedProfileStore(**options)
        store._follow(log, poll_interval=poll_interval, batch_size=batch_size)  # noqa: SLF001
        return store

    def _join(self, log: InteractionLog, into_id: str) -> None:
        """Rebuild ``into_id``'s profile from the history of every id merged into it.

        Called by the log after a merge: profiles learnt live under the
        merged ids become one, with exactly the numbers a rebuild from the
        log gives (the history replayed as one customer's).
        """
        aliases = log._aliases()  # noqa: SLF001 (same room)
        group = [into_id, *(old for old, into in aliases.items() if into == into_id)]
        fresh = type(self)(
            half_life=self.half_life, attributes=self.attributes, kind_weights=self.kind_weights
        )
        rebuild(fresh, [log._rows_of(group)], aliases)  # noqa: SLF001 (same room)
        for customer in group:
            self._states.pop(customer, None)
        if into_id in fresh._states:  # noqa: SLF001 (same class)
            self._states[into_id] = fresh._states[into_id]  # noqa: SLF001

    def update(self, events: Iterable[object]) -> None:
        """Apply events, in order, to their customers' profiles.

        Parameters
        ----------
        events
            :class:`Interaction` objects, oldest first (erasure events are
            skipped).

        Raises
        ------
        DataContractError
            If an event is not an :class:`Interaction`.
        """
        for event in events:
            if not isinstance(event, Interaction):
                msg = f"profiles learn from Interaction objects (got {type(event).__name__})."
                raise DataContractError(msg, value=type(event).__name__)
            if event.kind == "erasure":
                continue
            customer = event.customer_id
            if self._aliases is not None:
                customer = self._aliases(customer)
            self._fold(
                customer,
                _micros(event.occurred_at),
                event.channel,
                event.kind,
                event.direction,
                event.value,
                event.payload,
            )

    def _fold(  # noqa: PLR0917 (one event's fields, as stored)
        self,
        customer: str,
        micros: int,
        channel: str,
        kind: str,
        direction: str,
        value: float | None,
        payload: Mapping[str, Any] | None,
    ) -> None:
        """Apply one event; the live path and the rebuild share it, so they agree exactly."""
        state = self._states.get(customer)
        if state is None:
            state = _State(origin=micros, first_seen=micros, last_seen=micros)
            self._states[customer] = state
        elif micros < state.first_seen:
            state.first_seen = micros
        elif micros > state.last_seen:
            state.last_seen = micros
        state.interactions += 1
        if value is not None:
            state.value += value
        counter = _COUNTERS.get(kind)
        if counter is not None:
            setattr(state, counter, getattr(state, counter) + 1)
        if direction == "outbound":
            if state.last_contact is None or micros > state.last_contact:
                state.last_contact = micros
            return
        growth = self._growth(state, micros)
        channels = state.channels
        channels[channel] = channels.get(channel, 0.0) + growth
        hour = (micros // _HOUR) % 24
        hours = state.hours
        hours[hour] = hours.get(hour, 0.0) + growth
        weight = self.kind_weights.get(kind, 0.0)
        if weight == 0.0 or not payload:
            return
        for attribute, key in self._pairs(payload):
            scores = state.preferences.setdefault(attribute, {})
            scores[key] = scores.get(key, 0.0) + weight * growth

    def _growth(self, state: _State, micros: int) -> float:
        """Return an inbound event's weight factor, moving the reference time if it is due."""
        offset = micros - state.origin
        block = offset // self._block
        if block > state.block:  # past the next step: move the reference time forward
            _rescale(state, (block - state.block) * RESCALE_HALF_LIVES)
            state.block = block
        growth: float = 2.0 ** ((offset - state.block * self._block) / self._micros)
        return growth

    def _pairs(self, payload: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Pick out the (attribute, value) pairs of a payload that the profile keeps."""
        pairs = []
        for attribute in self.attributes:
            named = payload.get(attribute)
            if named is not None and not isinstance(named, (dict, list)):
                pairs.append((attribute, str(named)))
        return pairs

    def forget(self, customer_ids: Iterable[str]) -> None:
        """Drop these customers' profiles (called by the log after an erasure).

        The log passes the erased id and every id merged into it; each is
        dropped, whether it was profiled under its own id or under the id it
        was merged into. (A rebuild from the log leaves out the anonymised
        remainder of an erased customer too, so both hold the same customers.)

        Parameters
        ----------
        customer_ids
            The ids to drop; unknown ids are ignored.
        """
        for customer in customer_ids:
            self._states.pop(str(customer), None)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        """Return the number of customers profiled."""
        return len(self._states)

    def __contains__(self, customer_id: object) -> bool:
        """Check whether a customer has a profile."""
        return customer_id in self._states

    def customers(self) -> list[str]:
        """Return the profiled customer ids, in first-seen order.

        Returns
        -------
        list of str
            The ids (canonical ids for a store built from a log).
        """
        return list(self._states)

    def profile(self, customer_id: str, at: dt.datetime | str | None = None) -> CustomerProfile:
        """Return the customer's profile with preferences decayed to ``at`` (default: last seen).

        Parameters
        ----------
        customer_id
            The customer.
        at
            The moment to read the profile at (timezone-aware); the
            customer's last event by default.

        Returns
        -------
        CustomerProfile
            Totals, responsiveness, channel shares, preferred hour and the
            decayed preferences.

        Raises
        ------
        DataContractError
            If the customer has no profile, ``at`` has no zone, or the
            decayed scores at ``at`` exceed the float range.
        """
        state = self._states.get(str(customer_id))
        if state is None:
            msg = f"no profile for customer {customer_id!r}: no interaction seen yet."
            raise DataContractError(msg, column="customer_id", value=customer_id)
        moment = _moment(state.last_seen) if at is None else as_utc("at", at)
        return self._read(str(customer_id), state, moment)[0]

    def _read(
        self, customer_id: str, state: _State, moment: dt.datetime
    ) -> tuple[CustomerProfile, dict[str, dict[str, float]]]:
        """Return the profile at ``moment`` and its preference scores up to a common factor.

        The scores decay by ``2 ** -x``, ``x`` the half-lives from the reference
        time to ``moment``. Within :data:`_SAFE_HALF_LIVES` this is computed
        as it always was. Further out (a customer idle for thousands of
        half-lives), ``2 ** x`` alone would overflow, so the scores are first
        scaled by ``2 ** -frac(x)`` (relative scores: shares and order come
        from these, so they stay right when the decayed scores underflow to 0)
        and then by the exact power of two ``2 ** -floor(x)``.
        """
        elapsed = (_micros(moment) - state.origin - state.block * self._block) / self._micros
        usual = -_SAFE_HALF_LIVES <= elapsed <= _SAFE_HALF_LIVES
        if usual:
            decay = 1.0 / 2.0**elapsed
            relative_channels = {c: s * decay for c, s in state.channels.items()}
            relative = {
                attribute: {k: s * decay for k, s in scores.items()}
                for attribute, scores in state.preferences.items()
            }
            decayed = relative
            usual = all(math.isfinite(v) for v in relative_channels.values()) and all(
                math.isfinite(v) for scores in relative.values() for v in scores.values()
            )  # read long before the events, scores grow: overflow takes the path below
        if not usual:
            whole = math.floor(elapsed)
            part = 1.0 / 2.0 ** (elapsed - whole)
            relative_channels = {c: s * part for c, s in state.channels.items()}
            relative = {
                attribute: {k: s * part for k, s in scores.items()}
                for attribute, scores in state.preferences.items()
            }
            try:
                decayed = {
                    attribute: {k: math.ldexp(s, -whole) for k, s in scores.items()}
                    for attribute, scores in relative.items()
                }
            except OverflowError as exc:
                msg = (
                    f"cannot read customer {customer_id!r}'s profile at {moment.isoformat()}: "
                    f"{-elapsed:.0f} half-lives before their scores' reference time, the "
                    "decayed scores exceed the float range; read at a later 'at'."
                )
                raise DataContractError(msg, column="at", value=moment) from exc
        total = math.fsum(relative_channels.values())  # exact: the same whatever the key order
        shares = (
            {c: s / total for c, s in sorted(relative_channels.items(), key=_best)} if total else {}
        )
        preferences = {
            attribute: {k: decayed[attribute][k] for k, _ in sorted(scores.items(), key=_best)}
            for attribute, scores in relative.items()
        }
        hour = max(state.hours.items(), key=lambda kv: (kv[1], -kv[0]))[0] if state.hours else None
        profile = CustomerProfile(
            customer_id=str(customer_id),
            at=moment,
            value=state.value,
            purchases=state.purchases,
            interactions=state.interactions,
            complaints=state.complaints,
            first_seen=_moment(state.first_seen),
            last_seen=_moment(state.last_seen),
            last_contact=None if state.last_contact is None else _moment(state.last_contact),
            offers_made=state.offers_made,
            offers_accepted=state.offers_accepted,
            responsiveness=(state.offers_accepted + 1) / (state.offers_made + 2),
            channels=shares,
            preferred_channel=next(iter(shares), None),
            preferred_hour=hour,
            preferences=preferences,
        )
        return profile, relative

    def to_frame(self, at: dt.datetime | str | None = None, *, top: int = 5) -> pd.DataFrame:
        """Return numeric features, one row per customer, for segmentation and models.

        Columns: ``value``, ``purchases``, ``interactions``, ``complaints``,
        ``offers_made``, ``offers_accepted``, ``responsiveness``,
        ``recency_days`` and ``tenure_days`` (to ``at``, default the latest
        event seen), ``channel_<name>`` (share of inbound activity) and
        ``<attribute>_<value>`` (share of the customer's positive preference
        score) for the ``top`` most common values of each attribute.

        Parameters
        ----------
        at
            The moment to read the profiles at (timezone-aware); the latest
            event seen by default.
        top
            How many values of each attribute get a column (>= 0).

        Returns
        -------
        pandas.DataFrame
            One row per customer, indexed by ``customer_id``: the features
            other rooms read (``differentiate.NeedsSegmenter``,
            ``customize.Needs.from_profile``).

        Raises
        ------
        DataContractError
            If there are no profiles yet, ``top`` is not a whole number >= 0,
            or ``at`` has no zone.
        """
        require_number(top, name="top", low=0, integer=True)
        if not self._states:
            msg = "no profiles yet; update the store with events first."
            raise DataContractError(msg, column="customer_id")
        moment = (
            _moment(max(s.last_seen for s in self._states.values()))
            if at is None
            else as_utc("at", at)
        )
        read = [self._read(c, state, moment) for c, state in self._states.items()]
        profiles = [profile for profile, _ in read]
        frame = pd.DataFrame(
            {
                "value": [p.value for p in profiles],
                "purchases": [p.purchases for p in profiles],
                "interactions": [p.interactions for p in profiles],
                "complaints": [p.complaints for p in profiles],
                "offers_made": [p.offers_made for p in profiles],
                "offers_accepted": [p.offers_accepted for p in profiles],
                "responsiveness": [p.responsiveness for p in profiles],
                "recency_days": [(moment - p.last_seen).total_seconds() / 86_400 for p in profiles],
                "tenure_days": [(moment - p.first_seen).total_seconds() / 86_400 for p in profiles],
            },
            index=pd.Index([p.customer_id for p in profiles], name="customer_id"),
        )
        channels = sorted({c for p in profiles for c in p.channels})
        for channel in channels:
            frame[f"channel_{channel}"] = [p.channels.get(channel, 0.0) for p in profiles]
        for attribute in self.attributes:
            counts: dict[str, int] = {}
            for p in profiles:
                for key in p.preferences.get(attribute, {}):
                    counts[key] = counts.get(key, 0) + 1
            common = sorted(counts, key=lambda k: (-counts[k], k))[: int(top)]
            for key in common:
                column = []
                for _, relative in read:  # shares: a common factor cancels, even an underflow
                    scores = relative.get(attribute, {})
                    positive = math.fsum(s for s in scores.values() if s > 0)
                    column.append(max(scores.get(key, 0.0), 0.0) / positive if positive else 0.0)
                frame[f"{attribute}_{key}"] = column
        return frame


_SAFE_HALF_LIVES = 960  # |x| within which 2 ** x and the decayed scores stay normal floats


def _rescale(state: _State, halvings: int) -> None:
    """Multiply every decayed score of ``state`` by ``2 ** -halvings`` (exact: ``ldexp``)."""
    for scores in (state.channels, *state.preferences.values()):
        for key, score in scores.items():
            scores[key] = math.ldexp(score, -halvings)
    hours = state.hours
    for hour, score in hours.items():
        hours[hour] = math.ldexp(score, -halvings)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_HOUR = 3_600_000_000
_COUNTERS = {
    "purchase": "purchases",
    "complaint": "complaints",
    "offer_made": "offers_made",
    "offer_accepted": "offers_accepted",
}


def _micros(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


def _moment(micros: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=micros)


def _best(item: tuple[str, float]) -> tuple[float, str]:
    return (-item[1], item[0])
