"""Next-best-action: the offer to make to one customer now, and learning from the answer.

Rules come first and are never traded off against learning: an offer must
be eligible for the customer (its own rule on the profile), the customer
must have consented, and the contact policy must allow the channel now.
Among what is left, a bandit learner chooses, and the offer is logged with
the probability it had of being chosen, so any other policy can later be
evaluated on the log (see :func:`off_policy_value`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._progress import Progress, check_progress, progress_bar
from .._validation import Column, FrameContract, require_one_of
from ..errors import DataContractError, DataWarning
from ._bandit import BetaThompson, LinearThompson
from ._interaction import Interaction, as_utc
from ._profile import CustomerProfile, ProfileStore

if TYPE_CHECKING:
    from ._log import InteractionLog
    from ._policy import ContactPolicy

__all__ = ["RESPONSE_REWARDS", "Action", "NextBestAction", "Offer"]

_SECONDS_PER_OFFER_EVENT = 2e-5  # one replayed offer or response into the learner (measured)

RESPONSE_REWARDS: dict[str, float] = {
    "offer_accepted": 1.0,
    "offer_declined": 0.0,
    "offer_ignored": 0.0,
}
"""The reward a learner receives for each kind of response to an offer."""

Learner = BetaThompson | LinearThompson
Scalar = str | int | float | bool
Requirement = Scalar | frozenset[Scalar] | Callable[[Any], bool]
"""What an offer may require of one fact about the customer (see :attr:`Offer.requires`)."""

_CUSTOMERS = FrameContract(
    "customers",
    [
        Column("tier", "string", nullable=True, required=False),
        Column("clv", "number", nullable=True, required=False),
        Column("p_alive", "number", nullable=True, required=False, low=0.0, high=1.0),
    ],
    index="customer_id",
    description=(
        "Facts about each customer that offers may require: value tiers "
        "(``differentiate.value_tiers``), segments, CLV (``clv.customer_lifetime_value``), "
        "joined on ``customer_id``; any other column is a fact too."
    ),
)
# The ``customers=`` table of NextBestAction: one row per customer_id. Columns that other
# rooms produce keep their meaning here (``tier`` text, ``clv`` a number, ``p_alive`` a
# probability); any other column is a fact an offer may require.


def _requirement(column: str, want: object) -> Requirement:
    if callable(want):
        return want
    if isinstance(want, str | int | float | bool) and not (
        isinstance(want, float) and math.isnan(want)
    ):
        return want
    if isinstance(want, set | frozenset | list | tuple) and want:
        values = list(want)
        if all(isinstance(v, str | int | float | bool) for v in values):
            return frozenset(values)
    msg = (
        f"'requires' of {column!r} must be a value, a non-empty set of values or a test "
        f"(a function of the value returning True or False) (got {want!r}). To match a "
        "missing value, fill it in the customers table first."
    )
    raise DataContractError(msg, column="requires", value=repr(want))


def _requires(value: object) -> dict[str, Requirement]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        msg = (
            "'requires' must map columns of the customers table to what the offer needs, "
            f"e.g. {{'tier': 'most valuable'}} (got {value!r})."
        )
        raise DataContractError(msg, column="requires", value=repr(value))
    out: dict[str, Requirement] = {}
    for column, want in value.items():
        if not isinstance(column, str) or not column:
            msg = f"'requires' names columns of the customers table as text (got {column!r})."
            raise DataContractError(msg, column="requires", value=repr(column))
        out[column] = _requirement(column, want)
    return out


@attrs.frozen
class Offer:
    """Something the company can offer, on one channel.

    Attributes
    ----------
    offer_id
        Its id (logged with the offer and its responses).
    channel
        Where it is made.
    value
        What an acceptance is worth (e.g. margin); the learner maximises
        acceptance probability times value.
    eligible
        Who may get it: a function of the customer's profile (``None``:
        everyone). Returning False is the "not for this customer" rule.
    description
        Words for people.
    requires
        What the offer needs of the customer's row in the ``customers=``
        table of :class:`NextBestAction` (value tiers, segments, CLV), by
        column: a value (``{"tier": "most valuable"}``), a set of values
        (``{"segment": {"cyclists", "commuters"}}``) or a test of the value
        (``{"clv": lambda clv: clv >= 500}``). Every entry must hold. A
        customer without a row, or with a missing value, does not qualify.

    Raises
    ------
    DataContractError
        If ``requires`` is not a mapping of column names to a value, a set of
        values or a test.
    """

    offer_id: str
    channel: str
    value: float = 1.0
    eligible: Callable[[CustomerProfile | None], bool] | None = attrs.field(
        default=None, eq=False, repr=False
    )
    description: str = ""
    requires: Mapping[str, Requirement] = attrs.field(factory=dict, converter=_requires, hash=False)


@attrs.frozen
class Action:
    """The decision for one customer.

    Attributes
    ----------
    customer_id, at
        Whom and when.
    offer
        The chosen offer, or ``None`` when nothing may be offered now.
    propensity
        Probability with which the learner chose it (logged for evaluation).
    excluded
        Every offer left out before learning, with the reason.
    features
        The features the learner saw (logged, so learning can be replayed).
    """

    customer_id: str
    at: dt.datetime
    offer: Offer | None
    propensity: float | None
    excluded: tuple[tuple[str, str], ...]
    features: tuple[float, ...] = ()


def profile_features(profile: CustomerProfile | None) -> NDArray[np.float64]:
    """Default learner features: log value, log purchases, responsiveness, log recency days.

    Logs, because a customer's value and purchases span orders of magnitude
    and a linear learner should not be ruled by the few largest.

    Parameters
    ----------
    profile
        The customer's profile at the moment of the decision, or ``None``
        for a customer never seen.

    Returns
    -------
    numpy.ndarray of shape (4,)
        The features; zeros for a customer never seen.
    """
    if profile is None:
        return np.zeros(4)
    recency = max((profile.at - profile.last_seen).total_seconds() / 86_400, 0.0)
    return np.array(
        [
            np.log1p(max(profile.value, 0.0)),
            np.log1p(profile.purchases),
            profile.responsiveness,
            np.log1p(recency),
        ]
    )


class NextBestAction:
    """Choose, log and learn offers for one customer at a time.

    Parameters
    ----------
    log
        The interaction log: offers are appended to it, responses read from it.
    offers
        The offers to choose from.
    learner
        ``"thompson"`` (:class:`BetaThompson`, no context), ``"linear"``
        (:class:`LinearThompson` on ``features``), or a learner object.
    policy
        A :class:`ContactPolicy` (which also checks consent); ``None`` checks
        marketing consent only.
    profiles
        The customers' :class:`ProfileStore` (default: one attached to ``log``).
    features
        Profile -> feature vector for the linear learner (default
        :func:`profile_features`).
    random_state
        Seed of the learner.
    customers
        Facts about each customer that offers' :attr:`Offer.requires` read:
        a frame indexed by (or with a column) ``customer_id``, e.g. value
        tiers from ``differentiate.value_tiers`` joined with segments and
        CLV; ``tier`` must be text, ``clv`` a number, ``p_alive`` a
        probability, where present. Assign a new table to :attr:`customers`
        when tiers are recomputed.
    unknown_customers
        What a customer without a row in ``customers`` gets: ``"exclude"``
        (the default: every offer with requirements is excluded, with the
        reason in :attr:`Action.excluded`, and offers without requirements
        stay open) or ``"raise"`` (a :class:`DataContractError`).

    Raises
    ------
    DataContractError
        Offers without distinct ids or on unknown channels; an offer whose
        ``requires`` names a column the ``customers`` table lacks (the
        columns it has are listed), or requirements without a table.

    Warns
    -----
    DataWarning
        When an offer requires a value no customer in the table has (often
        a misspelt tier or segment): the offer can reach nobody.

    Examples
    --------
    >>> import datetime as dt
    >>> import pandas as pd
    >>> from one2one.interact import InteractionLog, NextBestAction, Offer
    >>> log = InteractionLog()
    >>> at = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    >>> for customer in ("c1", "c2"):
    ...     _ = log.consent.grant(customer, "marketing", channel="email", at=at)
    >>> tiers = pd.DataFrame({"tier": ["most valuable", "migrators"]},
    ...                      index=pd.Index(["c1", "c2"], name="customer_id"))
    >>> offers = [Offer("vip", "email", requires={"tier": "most valuable"}),
    ...           Offer("welcome", "email")]
    >>> nba = NextBestAction(log, offers, customers=tiers, random_state=0)
    >>> nba.choose("c2", at).excluded
    (('vip', "requires tier 'most valuable' (has 'migrators')"),)
    """

    def __init__(
        self,
        log: InteractionLog,
        offers: Iterable[Offer],
        *,
        learner: str | Learner = "thompson",
        policy: ContactPolicy | None = None,
        profiles: ProfileStore | None = None,
        features: Callable[[CustomerProfile | None], NDArray[np.float64]] = profile_features,
        random_state: int | None = None,
        customers: pd.DataFrame | None = None,
        unknown_customers: Literal["exclude", "raise"] = "exclude",
    ) -> None:
        self.log = log
        self.offers = tuple(offers)
        ids = [o.offer_id for o in self.offers]
        if not ids or len(set(ids)) != len(ids):
            msg = f"offers need distinct ids and at least one offer (got {ids})."
            raise DataContractError(msg, column="offers", value=ids)
        for offer in self.offers:
            if offer.channel not in log.channels:
                msg = f"offer {offer.offer_id!r} uses unknown channel {offer.channel!r}."
                raise DataContractError(msg, column="channel", value=offer.channel)
        self.unknown_customers = require_one_of(
            unknown_customers, ("exclude", "raise"), name="unknown_customers"
        )
        self._set_customers(customers)
        self.policy = policy
        self.features = features
        self.profiles = profiles if profiles is not None else ProfileStore.attach(log)
        if isinstance(learner, str):
            if learner == "thompson":
                learner = BetaThompson(random_state=random_state)
            elif learner == "linear":
                size = len(features(None))
                learner = LinearThompson(size, random_state=random_state)
            else:
                msg = f"learner must be 'thompson', 'linear' or a learner object (got {learner!r})."
                raise DataContractError(msg, column="learner", value=learner)
        self.learner: Learner = learner
        self._pending: dict[tuple[str, str], tuple[float, ...]] = {}
        log.subscribe(self._learn_from, self._forget)

    @property
    def customers(self) -> pd.DataFrame | None:
        """The customers table the offers' requirements read (``None``: none)."""
        return self._customers

    @customers.setter
    def customers(self, table: pd.DataFrame | None) -> None:
        self._set_customers(table)

    def _set_customers(self, table: pd.DataFrame | None) -> None:
        # The same depth from __init__ and from the setter: a warning names the caller's line.
        self._customers, self._facts = _customers(table, self.offers)

    def _facts_of(self, customer: str) -> Mapping[str, object] | None:
        """Return the customer's row of the customers table (under their id or a merged one)."""
        facts = self._facts.get(customer)
        if facts is None:
            facts = self._facts.get(self.log.canonical_id(customer))
        if facts is None and self.unknown_customers == "raise":
            msg = (
                f"customer {customer!r} has no row in the customers table, and offers "
                "require its columns; add the customer (e.g. recompute the tiers) or pass "
                "unknown_customers='exclude'."
            )
            raise DataContractError(msg, column="customer_id", value=customer)
        return facts

    def _profile(self, customer_id: str, at: dt.datetime) -> CustomerProfile | None:
        if customer_id not in self.profiles:
            return None
        return self.profiles.profile(customer_id, at)

    def choose(self, customer_id: str, at: dt.datetime | str | None = None) -> Action:
        """Decide what to offer ``customer_id`` at ``at`` (rules first, then the learner).

        Rules first, so the learner only ever explores among offers the
        customer may get: requirements of the customer's row, eligibility,
        then consent and the contact policy per channel.

        Parameters
        ----------
        customer_id
            The customer.
        at
            The moment of the decision (timezone-aware); now by default.

        Returns
        -------
        Action
            The chosen offer and its propensity (``None`` when no offer may
            be made now), every offer left out with its reason, and the
            features the learner saw.

        Raises
        ------
        DataContractError
            If ``at`` has no zone, or a purpose or channel is unknown to the
            log.
        """
        moment = as_utc("at", at) if at is not None else dt.datetime.now(dt.UTC)
        customer = str(customer_id)
        profile = self._profile(customer, moment)
        excluded: list[tuple[str, str]] = []
        allowed: list[Offer] = []
        decisions: dict[str, tuple[bool, str]] = {}
        required = any(offer.requires for offer in self.offers)
        facts = self._facts_of(customer) if required else None
        for offer in self.offers:
            if offer.requires:
                reason = _unmet(offer.requires, facts)
                if reason:
                    excluded.append((offer.offer_id, reason))
                    continue
            if offer.eligible is not None and not offer.eligible(profile):
                excluded.append((offer.offer_id, "not eligible"))
                continue
            if offer.channel not in decisions:
                decisions[offer.channel] = self._channel_allowed(customer, offer.channel, moment)
            ok, reason = decisions[offer.channel]
            if not ok:
                excluded.append((offer.offer_id, reason))
                continue
            allowed.append(offer)
        vector = np.asarray(self.features(profile), dtype=float)
        if not allowed:
            return Action(customer, moment, None, None, tuple(excluded), tuple(vector.tolist()))
        position, propensity = self.learner.choose(
            [o.offer_id for o in allowed], vector, [o.value for o in allowed]
        )
        return Action(
            customer, moment, allowed[position], propensity, tuple(excluded), tuple(vector.tolist())
        )

    def _channel_allowed(
        self, customer: str, channel: str, moment: dt.datetime
    ) -> tuple[bool, str]:
        if self.policy is not None:
            decision = self.policy.check(customer, channel, moment)
            return decision.allowed, "; ".join(decision.reasons)
        if self.log.consent.allows(customer, "marketing", channel, moment):
            return True, ""
        return False, f"no marketing consent for {channel}"

    def record(self, action: Action) -> Interaction | None:
        """Append the offer made (with its propensity and features) to the log.

        Logged with its propensity, the offer can be evaluated off-policy
        later, and with its features the learner can be rebuilt from the log.

        Parameters
        ----------
        action
            A decision from :meth:`choose`.

        Returns
        -------
        Interaction or None
            The ``offer_made`` event appended, or ``None`` when the action
            offers nothing.

        Raises
        ------
        ConsentError
            If the log requires consent and the customer has not given it
            for marketing on the offer's channel at ``action.at``.
        StorageError
            If the log could not be written.
        """
        if action.offer is None:
            return None
        event = Interaction(
            customer_id=action.customer_id,
            occurred_at=action.at,
            channel=action.offer.channel,
            kind="offer_made",
            direction="outbound",
            offer_id=action.offer.offer_id,
            propensity=action.propensity,
            payload={"features": list(action.features), "learner": self.learner.name},
        )
        self.log.append(event)
        return event

    def _learn_from(self, events: Sequence[Interaction]) -> None:
        for event in events:
            if event.offer_id is None:
                continue
            key = (self.log.canonical_id(event.customer_id), event.offer_id)
            if event.kind == "offer_made":
                raw = event.payload.get("features")
                if isinstance(raw, list):
                    self._pending[key] = tuple(float(v) for v in raw)
            elif event.kind in RESPONSE_REWARDS and key in self._pending:
                features = np.array(self._pending.pop(key))
                vector = features if isinstance(self.learner, LinearThompson) else None
                self.learner.update(event.offer_id, vector, RESPONSE_REWARDS[event.kind])

    def _forget(self, customer_ids: Sequence[str]) -> None:
        """Drop erased customers' offers awaiting a response (their features are personal).

        The learner keeps only totals per offer, which hold nothing of one customer.
        """
        erased = {str(c) for c in customer_ids}
        for key in [key for key in self._pending if key[0] in erased]:
            del self._pending[key]

    def learn_from_log(self, *, progress: Progress = "auto") -> int:
        """Replay the log's offers and responses into the learner; return responses learned.

        Parameters
        ----------
        progress
            ``"auto"`` (a bar over the replayed offers when they are many),
            ``True`` or ``False``.

        Returns
        -------
        int
            The number of responses the learner learned from.

        Raises
        ------
        DataContractError
            If ``progress`` is not ``True``, ``False`` or ``"auto"``.
        MissingDependencyError
            If ``progress=True`` and tqdm (the ``progress`` extra) is not
            installed.
        """
        check_progress(progress)
        before = _learned(self.learner)
        events = [e for e in self.log.replay() if e.offer_id is not None]
        chunk = 10_000
        with progress_bar(
            progress=progress,
            total=len(events),
            desc="learning from the log",
            expected_seconds=len(events) * _SECONDS_PER_OFFER_EVENT,
        ) as bar:
            for start in range(0, len(events), chunk):
                part = events[start : start + chunk]
                self._learn_from(part)
                bar.update(len(part))
        return _learned(self.learner) - before


def _customers(
    table: object, offers: Sequence[Offer]
) -> tuple[pd.DataFrame | None, dict[str, dict[str, object]]]:
    """Check the customers table against the offers' requirements; index its rows by id."""
    needed = {c: o.offer_id for o in reversed(offers) for c in o.requires}
    if table is None:
        if needed:
            column, offer_id = next(iter(needed.items()))
            msg = (
                f"offer {offer_id!r} requires {column!r} of the customer, but no customers= "
                "table was given; pass one indexed by customer_id (e.g. value tiers)."
            )
            raise DataContractError(msg, column=column)
        return None, {}
    if isinstance(table, pd.DataFrame) and "customer_id" in table.columns:
        table = table.set_index("customer_id")
    frame = _CUSTOMERS.validate(table)
    known = [str(c) for c in frame.columns]
    for offer in offers:
        for column in offer.requires:
            if column not in frame.columns:
                close = difflib.get_close_matches(column, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                msg = (
                    f"offer {offer.offer_id!r} requires {column!r}, which the customers "
                    f"table does not have{hint}; its columns are {known}."
                )
                raise DataContractError(msg, column=column, value=column)
    columns = list(dict.fromkeys(needed))
    rows = frame[columns].to_dict("index") if columns else {}
    facts = {str(customer): {str(k): v for k, v in row.items()} for customer, row in rows.items()}
    _warn_unreachable(frame, offers)
    return frame, facts


def _warn_unreachable(frame: pd.DataFrame, offers: Sequence[Offer]) -> None:
    """Warn about a required value that no customer has (a typo reaches nobody)."""
    for offer in offers:
        for column, want in offer.requires.items():
            if callable(want):
                continue
            wanted = want if isinstance(want, frozenset) else frozenset([want])
            present = frame[column].dropna()
            if not present.isin(list(wanted)).any():
                seen = sorted(map(str, present.unique()))[:10]
                msg = (
                    f"offer {offer.offer_id!r} requires {column} {_shown(want)}, which no "
                    f"customer of {len(frame):,} in the customers table has (its values "
                    f"include {seen}); the offer can reach nobody."
                )
                warnings.warn(msg, DataWarning, stacklevel=5)


def _shown(want: Requirement) -> str:
    if isinstance(want, frozenset):
        return f"in {sorted(want, key=str)!r}"
    return repr(want)


def _unmet(requires: Mapping[str, Requirement], facts: Mapping[str, object] | None) -> str:
    """Return why the customer's facts fail the requirements ('' when they hold)."""
    if facts is None:
        return f"not in the customers table (requires {', '.join(requires)})"
    for column, want in requires.items():
        have = facts.get(column)
        if have is None or (isinstance(have, float) and math.isnan(have)) or have is pd.NA:
            return f"no {column} for this customer (requires {column} {_shown(want)})"
        if callable(want):
            if not want(have):
                return f"requires {column} to pass its test (has {have!r})"
        elif isinstance(want, frozenset):
            if have not in want:
                return f"requires {column} {_shown(want)} (has {have!r})"
        elif have != want:
            return f"requires {column} {want!r} (has {have!r})"
    return ""


def _learned(learner: Any) -> int:
    if isinstance(learner, BetaThompson):
        return round(sum(sum(c) for c in learner.counts.values()))
    if isinstance(learner, LinearThompson):
        return round(
            sum(float(p[0, 0]) - learner.regularisation for p in learner.precision.values())
        )
    return 0
