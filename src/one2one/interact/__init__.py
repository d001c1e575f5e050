"""Interact: the interaction log, consent, contact rules and learning profiles.

* :class:`Interaction`: one event between the company and a customer (frozen).
* :class:`InteractionLog`: the append-only history on SQLite (a file or memory) or PostgreSQL:
  atomic, idempotent batches, a quarantine for bad events, queries, replay,
  identity merges and the right to erasure.
* :class:`Consent` (``log.consent``): consent decisions kept as events.
* :class:`ContactPolicy`: frequency caps, quiet hours, cooling-off, suppression
  after ignored offers and suppression lists, decided against the log.
* :class:`ProfileStore`: per-customer profiles learned from every interaction,
  identical when rebuilt by replaying the log; a feature frame for segments.
  :class:`FollowedProfileStore` (``ProfileStore.follow(log)``) keeps them so
  while other processes write to the log.
* :class:`NextBestAction`: rules, consent and contact policy first, then a
  Thompson-sampling learner (:class:`BetaThompson`, :class:`LinearThompson`);
  offers logged with their propensity for :func:`off_policy_value`.
"""

from .._exports import public_api
from ._bandit import BetaThompson, LinearThompson
from ._consent import Consent, consent_event
from ._interaction import CHANNELS, KINDS, Channel, Interaction, Kind
from ._log import AppendResult, Erasure, InteractionLog
from ._next_best_action import (
    RESPONSE_REWARDS,
    Action,
    NextBestAction,
    Offer,
    profile_features,
)
from ._off_policy import OffPolicyEstimate, logged_decisions, off_policy_value
from ._plots import (
    ALL_CHANNELS,
    ALL_OFFERS,
    CONSENT_STATUSES,
    consent_table,
    contact_pressure_table,
    off_policy_table,
    offer_learning_table,
    plot_consent,
    plot_contact_pressure,
    plot_off_policy,
    plot_offer_learning,
)
from ._policy import (
    ContactPolicy,
    CoolingOff,
    Decision,
    FrequencyCap,
    IgnoredSuppression,
    QuietHours,
    SuppressionList,
)
from ._profile import DEFAULT_KIND_WEIGHTS, CustomerProfile, ProfileStore
from ._profile_follow import FollowedProfileStore

__all__ = [
    "ALL_CHANNELS",
    "ALL_OFFERS",
    "CHANNELS",
    "CONSENT_STATUSES",
    "DEFAULT_KIND_WEIGHTS",
    "KINDS",
    "RESPONSE_REWARDS",
    "Action",
    "AppendResult",
    "BetaThompson",
    "Channel",
    "Consent",
    "ContactPolicy",
    "CoolingOff",
    "CustomerProfile",
    "Decision",
    "Erasure",
    "FollowedProfileStore",
    "FrequencyCap",
    "IgnoredSuppression",
    "Interaction",
    "InteractionLog",
    "Kind",
    "LinearThompson",
    "NextBestAction",
    "OffPolicyEstimate",
    "Offer",
    "ProfileStore",
    "QuietHours",
    "SuppressionList",
    "consent_event",
    "consent_table",
    "contact_pressure_table",
    "logged_decisions",
    "off_policy_table",
    "off_policy_value",
    "offer_learning_table",
    "plot_consent",
    "plot_contact_pressure",
    "plot_off_policy",
    "plot_offer_learning",
    "profile_features",
]

__dir__ = public_api(globals(), __all__)
