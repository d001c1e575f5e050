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
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
from numpy.typing import NDArray

from ..errors import DataContractError
from ._bandit import BetaThompson, LinearThompson
from ._interaction import Interaction, as_utc
from ._profile import CustomerProfile, ProfileStore

if TYPE_CHECKING:
    from ._log import InteractionLog
    from ._policy import ContactPolicy

__all__ = ["RESPONSE_REWARDS", "Action", "NextBestAction", "Offer"]

RESPONSE_REWARDS: dict[str, float] = {
    "offer_accepted": 1.0,
    "offer_declined": 0.0,
    "offer_ignored": 0.0,
}
"""The reward a learner receives for each kind of response to an offer."""

Learner = BetaThompson | LinearThompson


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
    """

    offer_id: str
    channel: str
    value: float = 1.0
    eligible: Callable[[CustomerProfile | None], bool] | None = attrs.field(
        default=None, eq=False, repr=False
    )
    description: str = ""


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
    """Default learner features: log value, log purchases, responsiveness, log recency days."""
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
    ) -> None:
        self.log = log
        self.offers = tuple(offers)
        ids = [o.offer_id for o in self.offers]
        if not ids or len(set(ids)) != len(ids):
            msg = f"offers need distinct ids and at least one offer; got {ids}."
            raise DataContractError(msg, column="offers", value=ids)
        for offer in self.offers:
            if offer.channel not in log.channels:
                msg = f"offer {offer.offer_id!r} uses unknown channel {offer.channel!r}."
                raise DataContractError(msg, column="channel", value=offer.channel)
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
                msg = f"learner must be 'thompson', 'linear' or a learner object; got {learner!r}."
                raise DataContractError(msg, column="learner", value=learner)
        self.learner: Learner = learner
        self._pending: dict[tuple[str, str], tuple[float, ...]] = {}
        log.subscribe(self._learn_from, self._forget)

    def _profile(self, customer_id: str, at: dt.datetime) -> CustomerProfile | None:
        if customer_id not in self.profiles:
            return None
        return self.profiles.profile(customer_id, at)

    def choose(self, customer_id: str, at: dt.datetime | str | None = None) -> Action:
        """Decide what to offer ``customer_id`` at ``at`` (rules first, then the learner)."""
        moment = as_utc("at", at) if at is not None else dt.datetime.now(dt.UTC)
        customer = str(customer_id)
        profile = self._profile(customer, moment)
        excluded: list[tuple[str, str]] = []
        allowed: list[Offer] = []
        decisions: dict[str, tuple[bool, str]] = {}
        for offer in self.offers:
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
        """Append the offer made (with its propensity and features) to the log."""
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

    def learn_from_log(self) -> int:
        """Replay the log's offers and responses into the learner; return responses learned."""
        before = _learned(self.learner)
        self._learn_from([e for e in self.log.replay() if e.offer_id is not None])
        return _learned(self.learner) - before


def _learned(learner: Any) -> int:
    if isinstance(learner, BetaThompson):
        return round(sum(sum(c) for c in learner.counts.values()))
    if isinstance(learner, LinearThompson):
        return round(
            sum(float(p[0, 0]) - learner.regularisation for p in learner.precision.values())
        )
    return 0
