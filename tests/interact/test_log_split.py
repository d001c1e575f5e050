# ruff: noqa: E501 (the signatures below are compared as whole strings)
"""The log, split into parts, kept its public face; the parts reach storage through one protocol.

``InteractionLog`` is a facade over small modules (appending, quarantine,
reading, identities, erasure, consent and policy queries) that talk to the
database through :class:`one2one.interact._storage.Storage`, so a second
backend (PostgreSQL, #17) implements that protocol and nothing else.
"""

import datetime as dt
import inspect
import re
from contextlib import contextmanager, suppress
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from one2one import interact
from one2one.datasets import load_febrl
from one2one.errors import One2OneError
from one2one.interact import ContactPolicy, FrequencyCap, Interaction, InteractionLog
from one2one.interact._storage import Storage

# name -> (signature, first line of the docstring), as they were before the split.
# Signatures are kept whole, on one line each, so a change shows as one line of diff.
PUBLIC = {
    "__enter__": ("(self) -> 'Self'", "Return the log itself."),
    "__exit__": (
        "(self, kind: 'type[BaseException] | None', error: 'BaseException | None', traceback: 'TracebackType | None') -> 'None'",
        "Close the database.",
    ),
    "__init__": (
        "(self, path: 'str | Path | None' = None, *, extra_channels: 'Iterable[str]' = (), extra_kinds: 'Iterable[str]' = (), extra_purposes: 'Iterable[str]' = (), marketing_kinds: 'Iterable[str]' = ('offer_made', 'message'), require_consent: 'bool' = True, synchronous: 'Synchronous' = 'normal', key_store: 'str | Path | None' = None, master_key: 'bytes | Callable[[], bytes] | None' = None, encrypt: 'bool' = True) -> 'None'",
        "",
    ),
    "__len__": ("(self) -> 'int'", "Return the number of stored events."),
    "append": (
        "(self, events: 'Interaction | Mapping[Any, Any] | Iterable[Interaction | Mapping[Any, Any]]', *, on_invalid: 'OnInvalid' = 'reject', policy: 'ContactPolicy | None' = None, progress: 'Progress' = 'auto') -> 'AppendResult'",
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
    "close": (
        "(self) -> 'None'",
        "Close the database connection (and the key store's, when it has its own).",
    ),
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
    "rotate_master_key": (
        "(self, new_key: 'bytes | Callable[[], bytes] | None') -> 'int'",
        "Re-wrap every customer key under ``new_key``, in one transaction (events untouched).",
    ),
    "subscribe": (
        "(self, on_append: 'Callable[[Sequence[Interaction]], None]', on_forget: 'Callable[[Sequence[str]], None] | None' = None, on_merge: 'Callable[[str], None] | None' = None) -> 'None'",
        "Call ``on_append(events)`` with every newly stored batch, after it is committed.",
    ),
    "to_pandas": (
        "(self, customer_id: 'str | None' = None, *, start: 'dt.datetime | None' = None, end: 'dt.datetime | None' = None, channels: 'Iterable[str] | None' = None, kinds: 'Iterable[str] | None' = None, chunksize: 'int | None' = None) -> 'pd.DataFrame | Iterator[pd.DataFrame]'",
        "Return all events (or those matching the filters of :meth:`count`), in append order.",
    ),
    "tombstone": (
        "(self, customer_id: 'str') -> 'str'",
        "Return the keyed hash under which an erasure of ``customer_id`` is recorded.",
    ),
    "transactions": (
        "(self, kinds: 'Iterable[str]' = ('purchase', 'return'), *, currency: 'str | None' = None, chunksize: 'int | None' = None) -> 'pd.DataFrame | Iterator[pd.DataFrame]'",
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


# ------------------------------------------------------------ one protocol to the database
SQLITE_ONLY = re.compile(
    r"sqlite3|PRAGMA|randomblob|json_extract|json_valid|INSERT OR|WITHOUT ROWID|\?\d",
    re.IGNORECASE,
)
INTERACT = Path(interact.__file__).parent


def test_only_the_sqlite_backend_speaks_sqlite():
    # The parts write standard SQL with "?" placeholders; SQLite's own syntax (PRAGMA,
    # INSERT OR ..., randomblob, json_extract, numbered ?1) lives in _database.py, and
    # the one spelling of a type it differs in, in _schema.py's SQLITE table.
    backends = {"_database.py", "_postgres.py"}
    found = {
        path.name: sorted(set(SQLITE_ONLY.findall(path.read_text())))
        for path in sorted(INTERACT.glob("*.py"))
        if path.name not in backends
    }
    schema = (INTERACT / "_schema.py").read_text()
    found["_schema.py"] = sorted(
        set(SQLITE_ONLY.findall(schema.replace('"without_rowid": " WITHOUT ROWID"', "")))
    )
    assert {name: hits for name, hits in found.items() if hits} == {}


class _Recorded:
    """Every statement a log runs, and whether it ran inside ``storage.write()``."""

    def __init__(self):
        self.statements: list[tuple[str, int, bool]] = []  # sql, parameters, in a write
        self.fragments: set[str] = set()  # SQL the backend itself wrote (json_text)
        self.writing = False


class _Connection:
    def __init__(self, inner, recorded, *, lent):
        self._inner = inner
        self._recorded = recorded
        self._lent = lent

    def _note(self, sql, count):
        self._recorded.statements.append((sql, count, self._lent and self._recorded.writing))

    def execute(self, sql, parameters=()):
        self._note(sql, len(parameters))
        return self._inner.execute(sql, parameters)

    def executemany(self, sql, rows):
        rows = list(rows)
        self._note(sql, len(rows[0]) if rows else sql.count("?"))
        return self._inner.executemany(sql, rows)


class RecordingStorage:
    """A Storage that passes everything to the SQLite backend and writes down the SQL."""

    def __init__(self, inner: Storage):
        self._inner = inner
        self.recorded = _Recorded()

    @property
    def path(self):
        return self._inner.path

    @property
    def connection(self):
        return _Connection(self._inner.connection, self.recorded, lent=False)

    @contextmanager
    def write(self):
        with self._inner.write() as connection:
            self.recorded.writing = True
            try:
                yield _Connection(connection, self.recorded, lent=True)
            finally:
                self.recorded.writing = False

    def json_text(self, column, key):
        fragment = self._inner.json_text(column, key)
        self.recorded.fragments.add(fragment)
        return fragment

    def meta(self, key):
        return self._inner.meta(key)

    def checkpoint(self):
        return self._inner.checkpoint()

    def close(self):
        self._inner.close()


def _recording(log: InteractionLog) -> _Recorded:
    storage = RecordingStorage(log._db)
    log._db = storage
    return storage.recorded


def _assert_portable(recorded: _Recorded):
    assert recorded.statements
    for sql, count, in_write in recorded.statements:
        text = sql
        for fragment in recorded.fragments:
            text = text.replace(fragment, "")
        assert not SQLITE_ONLY.findall(text), sql
        assert text.count("?") == count, sql  # one "?" per value, each used once, in order
        if re.match(r"\s*(INSERT|UPDATE|DELETE)", sql, re.IGNORECASE):
            assert in_write, f"a write outside storage.write(): {sql}"


AT = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)


def test_a_febrl_customer_base_runs_through_the_protocol_alone():
    # Real ids: each Febrl duplicate is merged into its original, as identify would.
    links = load_febrl().true_links.head(40)
    log = InteractionLog()
    recorded = _recording(log)
    policy = ContactPolicy(log, [FrequencyCap(1, dt.timedelta(days=7))])
    for n, (duplicate, original) in enumerate(links.itertuples(index=False)):
        log.consent.grant(original, "marketing", at=AT)
        log.append(
            [
                Interaction(
                    customer_id=duplicate,
                    occurred_at=AT + dt.timedelta(hours=1),
                    channel="web",
                    kind="purchase",
                    value=10.0 + n,
                    event_id=f"sale-{n}",
                    payload={"order_id": f"o{n}", "currency": "EUR"},
                ),
                {"customer_id": original, "occurred_at": AT, "channel": "fax", "kind": "visit"},
            ],
            on_invalid="quarantine",
        )
        log.merge([duplicate], original, at=AT)
        offer = Interaction(
            customer_id=duplicate,
            occurred_at=AT + dt.timedelta(hours=2),
            channel="email",
            kind="offer_made",
            offer_id="bike",
        )
        log.append(offer, policy=policy)
        assert not policy.check(original, "email", AT + dt.timedelta(hours=3)).allowed
    assert log.replay_quarantine(lambda raw: raw | {"channel": "web"}).stored == len(links)
    first, second = links.iloc[0], links.iloc[1]
    erasure = log.forget(first["rec_id_1"])  # by its merged id: the whole customer goes
    assert erasure.events == 4
    assert log.was_forgotten(first["rec_id_2"])
    assert log.history(second["rec_id_1"])["customer_id"].eq(second["rec_id_2"]).all()
    assert log.consent.allows(second["rec_id_1"], "marketing", at=AT)
    assert len(log.transactions()) == len(links)
    assert log.cost_to_serve().empty
    assert log.count() == len(log) == len(list(log.replay()))
    _assert_portable(recorded)


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("append"),
            st.lists(st.tuples(st.integers(0, 9), st.sampled_from("abc")), max_size=4),
        ),
        st.tuples(st.just("grant"), st.sampled_from("abc")),
        st.tuples(st.just("offer"), st.sampled_from("abc")),
        st.tuples(st.just("merge"), st.sampled_from("abc"), st.sampled_from("abc")),
        st.tuples(st.just("forget"), st.sampled_from("abc")),
        st.tuples(st.just("bad"), st.sampled_from("abc")),
        st.tuples(st.just("replay"), st.none()),
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(operations)
def test_every_statement_is_portable_and_every_write_is_inside_a_transaction(ops):
    log = InteractionLog()
    recorded = _recording(log)
    policy = ContactPolicy(log, [FrequencyCap(2, dt.timedelta(days=1))])
    for hours, (op, *args) in enumerate(ops):
        at = AT + dt.timedelta(hours=hours)
        with suppress(One2OneError):  # refusals are answers too; the SQL is what is checked
            if op == "append":
                log.append(
                    [
                        Interaction(
                            customer_id=c,
                            occurred_at=at,
                            channel="web",
                            kind="visit",
                            event_id=f"e{n}",
                        )
                        for n, c in args[0]
                    ],
                    on_invalid="quarantine",
                )
            elif op == "grant":
                log.consent.grant(args[0], "marketing", at=at)
            elif op == "offer":
                offer = Interaction(
                    customer_id=args[0], occurred_at=at, channel="email", kind="offer_made"
                )
                log.append(offer, policy=policy)
            elif op == "merge":
                log.merge([args[0]], args[1], at=at)
            elif op == "forget":
                log.forget(args[0], at=at)
            elif op == "bad":
                log.append([{"customer_id": args[0], "kind": "visit"}], on_invalid="quarantine")
            else:
                log.replay_quarantine(
                    lambda raw, at=at: raw | {"occurred_at": at, "channel": "web"}
                )
    log.to_pandas(), log.transactions(), log.cost_to_serve(), log.quarantine()
    for customer in "abc":
        log.history(customer), log.count(customer), log.was_forgotten(customer)
    _assert_portable(recorded)
