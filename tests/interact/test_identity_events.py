"""Identity events from a real resolver reach the log, typed: merges join, forgets erase."""

import datetime as dt
from types import SimpleNamespace

import pandas as pd
import pytest

from one2one.contracts import MergeEvent
from one2one.datasets import load_febrl
from one2one.errors import DataContractError
from one2one.identify import IdentityEvent, IdentityResolver, RecordSchema
from one2one.interact import Interaction, InteractionLog

SCHEMA = RecordSchema(
    record_id="rec_id",
    given_name="given_name",
    surname="surname",
    street="address_1",
    postcode="postcode",
    city="suburb",
    date_of_birth="date_of_birth",
    account_id="soc_sec_id",
)
RECORDS = load_febrl("dataset1").records.reset_index()
AT = dt.datetime(2026, 1, 10, tzinfo=dt.UTC)


def _visits(customer_id, n, start=0):
    return [
        Interaction(
            customer_id=customer_id,
            occurred_at=AT + dt.timedelta(hours=start + i),
            channel="web",
            kind="visit",
        )
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def resolved():
    """A Febrl resolver where a record bridges two customers (a merge) and one is forgotten."""
    person = RECORDS[RECORDS["rec_id"].str.startswith("rec-10-")]
    resolver = IdentityResolver.from_records(RECORDS.drop(person.index), SCHEMA)
    full = person[person["rec_id"] == "rec-10-org"].iloc[0].to_dict()
    address = full | {"rec_id": "x-address", "given_name": None, "date_of_birth": None}
    address |= {"soc_sec_id": None}
    who = full | {"rec_id": "x-person", "surname": None, "address_1": None}
    who |= {"postcode": None, "suburb": None}
    first = resolver.add(address, at=pd.Timestamp("2026-01-01", tz="UTC")).customer_id
    second = resolver.add(who, at=pd.Timestamp("2026-01-02", tz="UTC")).customer_id
    assert first != second
    resolver.add(full, at=pd.Timestamp("2026-01-03", tz="UTC"))
    gone = resolver.customers()["rec-11-org"]
    resolver.forget(gone, at=pd.Timestamp("2026-01-04", tz="UTC"))
    return resolver, first, second, gone


def _log(first, second, gone):
    log = InteractionLog()
    log.append(_visits(first, 3) + _visits(second, 2, start=10) + _visits(gone, 4, start=20))
    return log


def test_the_documented_call_merges_and_erases(resolved):
    resolver, first, second, gone = resolved
    assert resolver.events()["kind"].tolist() == ["merge", "forget"]
    survivor, merged = min(first, second), max(first, second)
    log = _log(first, second, gone)
    assert log.apply_identity_events(resolver.events()) == 2
    assert log.canonical_id(merged) == survivor
    assert log.count(survivor) == 5
    assert set(log.history(merged)["customer_id"]) == {survivor}
    assert log.was_forgotten(gone)
    assert log.count(gone) == 0


def test_applying_the_growing_frame_again_changes_nothing(resolved):
    resolver, first, second, gone = resolved
    log = _log(first, second, gone)
    log.apply_identity_events(resolver.events())
    before = log.to_pandas()
    log.apply_identity_events(resolver.events())  # the frame repeats old events
    after = log.to_pandas()
    pd.testing.assert_frame_equal(
        before.drop(columns="recorded_at"), after.drop(columns="recorded_at")
    )
    assert len(after.query("kind == 'erasure'")) == 1
    assert log.count(min(first, second)) == 5


def test_the_resolvers_event_objects_are_merge_events(resolved):
    resolver, first, second, gone = resolved
    events = [IdentityEvent(**row) for row in resolver.events().to_dict("records")]
    assert all(isinstance(e, MergeEvent) for e in events)
    log = _log(first, second, gone)
    assert log.apply_identity_events(events) == 2
    assert log.count(min(first, second)) == 5


def test_no_events_yet_apply_nothing():
    resolver = IdentityResolver.from_records(RECORDS.head(50), SCHEMA)
    log = InteractionLog()
    log.append(_visits("C0000001", 1))
    assert log.apply_identity_events(resolver.events()) == 0
    assert log.count() == 1


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (SimpleNamespace(kind="merge", from_ids=("a",), into_id=None, at=AT), "into_id"),
        (SimpleNamespace(kind="merged", from_ids=("a",), into_id="b", at=AT), "kind"),
        (
            SimpleNamespace(kind="merge", from_ids=("a",), into_id="b", at=AT.replace(tzinfo=None)),
            "at",
        ),
        (SimpleNamespace(kind="merge", from_ids=(1,), into_id="b", at=AT), "from_ids"),
        (SimpleNamespace(kind="merge", into_id="b", at=AT), "from_ids"),
    ],
)
def test_a_malformed_event_is_refused_before_anything_changes(event, field):
    log = InteractionLog()
    log.append(_visits("a", 1) + _visits("b", 1, start=1))
    good = SimpleNamespace(kind="merge", from_ids=("a",), into_id="b", at=AT)
    with pytest.raises(DataContractError) as error:
        log.apply_identity_events([good, event])
    assert error.value.column == field
    assert log.canonical_id("a") == "a"  # the good event before it was not applied either


def test_a_string_is_not_an_event_list():
    log = InteractionLog()
    with pytest.raises(DataContractError, match="identity events"):
        log.apply_identity_events("merge")


def test_an_empty_table_without_the_columns_is_refused():
    with pytest.raises(DataContractError, match="into_id"):
        InteractionLog().apply_identity_events(pd.DataFrame(columns=["kind", "from_ids", "at"]))
