# ruff: noqa: E501 (the signatures below are compared as whole strings)
"""The log, split into parts, kept its public face; the parts reach storage through one protocol.

``InteractionLog`` is a facade over small modules (appending, quarantine,
reading, identities, erasure, consent and policy queries) that talk to the
database through :class:`one2one.interact._storage.Storage`, so a second
backend (PostgreSQL, #17) implements that protocol and nothing else.
"""

import inspect

from one2one.interact import InteractionLog

# name -> (signature, first line of the docstring), as they were before the split.
# Signatures are kept whole, on one line each, so a change shows as one line of diff.
PUBLIC = {
    "__enter__": ("(self) -> 'Self'", "Return the log itself."),
    "__exit__": (
        "(self, kind: 'type[BaseException] | None', error: 'BaseException | None', traceback: 'TracebackType | None') -> 'None'",
        "Close the database.",
    ),
    "__init__": (
        "(self, path: 'str | Path | None' = None, *, extra_channels: 'Iterable[str]' = (), extra_kinds: 'Iterable[str]' = (), extra_purposes: 'Iterable[str]' = (), marketing_kinds: 'Iterable[str]' = ('offer_made', 'message'), require_consent: 'bool' = True, synchronous: 'Synchronous' = 'normal') -> 'None'",
        "",
    ),
    "__len__": ("(self) -> 'int'", "Return the number of stored events."),
    "append": (
        "(self, events: 'Interaction | Mapping[Any, Any] | Iterable[Interaction | Mapping[Any, Any]]', *, on_invalid: 'OnInvalid' = 'reject', policy: 'ContactPolicy | None' = None) -> 'AppendResult'",
        "Store a batch of events atomically; re-sent event ids are stored once.",
    ),
    "apply_identity_events": (
        "(self, events: 'pd.DataFrame | Iterable[MergeEvent]') -> 'int'",
        "Follow the merges and erasures published by ``one2one.identify``.",
    ),
    "canonical_id": (
        "(self, customer_id: 'str') -> 'str'",
        "Return the id a customer's history is kept under after merges.",
    ),
    "channel_name": (
        "(self, value: 'object') -> 'str'",
        "Return a channel in canonical form (trimmed, lower case), or refuse it.",
    ),
    "checkpoint": (
        "(self) -> 'bool'",
        "Copy the write-ahead log into the database file and empty it.",
    ),
    "close": ("(self) -> 'None'", "Close the database connection."),
    "consent": ("property", "Record and query consent decisions (kept as events in this log)."),
    "cost_to_serve": (
        "(self) -> 'pd.Series'",
        "Total ``cost`` per customer (canonical ids), for below-zero tiers.",
    ),
    "count": (
        "(self, customer_id: 'str | None' = None, *, start: 'dt.datetime | None' = None, end: 'dt.datetime | None' = None, channels: 'Iterable[str] | None' = None, kinds: 'Iterable[str] | None' = None) -> 'int'",
        "Count events, for one customer or all, with the filters of :meth:`history`.",
    ),
    "forget": (
        "(self, customer_id: 'str', *, at: 'dt.datetime | None' = None) -> 'Erasure'",
        "Erase a customer's personal data (right to erasure), keeping an audit tombstone.",
    ),
    "history": (
        "(self, customer_id: 'str', *, start: 'dt.datetime | None' = None, end: 'dt.datetime | None' = None, channels: 'Iterable[str] | None' = None, kinds: 'Iterable[str] | None' = None) -> 'pd.DataFrame'",
        "One customer's events in time order (merged ids included), optionally filtered.",
    ),
    "merge": (
        "(self, from_ids: 'Iterable[str]', into_id: 'str', *, at: 'dt.datetime | None' = None) -> 'None'",
        "Record that ``from_ids`` are the same customer as ``into_id`` (history follows).",
    ),
    "open": (
        "(cls, path: 'str | Path | None' = None, **options: 'Any') -> 'Self'",
        "Open (or create) a log; use it as a context manager to close it.",
    ),
    "path": ("property", "The database file, or ``None`` in memory."),
    "purpose_name": (
        "(self, value: 'object', *, kind: 'str' = 'consent') -> 'str'",
        "Return a consent purpose in canonical form (trimmed, lower case), or refuse it.",
    ),
    "quarantine": (
        "(self, *, include_replayed: 'bool' = False) -> 'pd.DataFrame'",
        'Events refused by ``on_invalid="quarantine"`` appends, with their reasons.',
    ),
    "replay": (
        "(self, *, batch_size: 'int' = 10000) -> 'Iterator[Interaction]'",
        "Every stored event in append order, streamed (memory stays flat).",
    ),
    "replay_quarantine": (
        "(self, fix: 'Any' = None, *, ids: 'Iterable[int] | None' = None) -> 'AppendResult'",
        "Re-validate quarantined events, optionally repaired by ``fix``, and store the good ones.",
    ),
    "subscribe": (
        "(self, on_append: 'Callable[[Sequence[Interaction]], None]', on_forget: 'Callable[[Sequence[str]], None] | None' = None, on_merge: 'Callable[[str], None] | None' = None) -> 'None'",
        "Call ``on_append(events)`` with every newly stored batch, after it is committed.",
    ),
    "to_pandas": (
        "(self, **filters: 'Any') -> 'pd.DataFrame'",
        "Return all events (or those matching the filters of :meth:`count`), in append order.",
    ),
    "tombstone": (
        "(self, customer_id: 'str') -> 'str'",
        "Return the keyed hash under which an erasure of ``customer_id`` is recorded.",
    ),
    "transactions": (
        "(self, kinds: 'Iterable[str]' = ('purchase', 'return'), *, currency: 'str | None' = None) -> 'pd.DataFrame'",
        "Return the money events as the :data:`one2one.contracts.TRANSACTIONS` table.",
    ),
    "was_forgotten": (
        "(self, customer_id: 'str') -> 'bool'",
        "Whether ``customer_id`` was erased (answerable only by someone who knows the id).",
    ),
}


def _surface(cls):
    found = {}
    for name, member in sorted(vars(cls).items()):
        if name.startswith("_") and name not in PUBLIC:
            continue
        obj = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
        signature = "property" if isinstance(member, property) else str(inspect.signature(obj))
        doc = (obj.__doc__ or "").strip().splitlines()
        found[name] = (signature, doc[0] if doc else "")
    return found


def test_every_public_method_keeps_its_name_signature_and_summary():
    assert _surface(InteractionLog) == PUBLIC


def test_the_settings_stay_plain_attributes_of_the_log():
    with InteractionLog(extra_channels=["fax"], marketing_kinds=["message"]) as log:
        assert "fax" in log.channels
        assert "visit" in log.kinds
        assert "marketing" in log.purposes
        assert log.marketing_kinds == frozenset({"message"})
        assert log.require_consent is True
