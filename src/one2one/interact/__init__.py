"""Interact: the interaction log, consent, contact rules and learning profiles.

* :class:`Interaction`: one event between the company and a customer (frozen).
* :class:`InteractionLog`: the append-only history on SQLite (a file or memory):
  atomic, idempotent batches, a quarantine for bad events, queries, replay,
  identity merges and the right to erasure.
* :class:`Consent` (``log.consent``): consent decisions kept as events.
* :class:`ContactPolicy`: frequency caps, quiet hours, cooling-off, suppression
  after ignored offers and suppression lists, decided against the log.
"""

from .._exports import public_api
from ._consent import Consent, consent_event
from ._interaction import CHANNELS, KINDS, Channel, Interaction, Kind
from ._log import AppendResult, Erasure, InteractionLog
from ._policy import (
    ContactPolicy,
    CoolingOff,
    Decision,
    FrequencyCap,
    IgnoredSuppression,
    QuietHours,
    SuppressionList,
)

__all__ = [
    "CHANNELS",
    "KINDS",
    "AppendResult",
    "Channel",
    "Consent",
    "ContactPolicy",
    "CoolingOff",
    "Decision",
    "Erasure",
    "FrequencyCap",
    "IgnoredSuppression",
    "Interaction",
    "InteractionLog",
    "Kind",
    "QuietHours",
    "SuppressionList",
    "consent_event",
]

__dir__ = public_api(globals(), __all__)
