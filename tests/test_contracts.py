"""The tables between rooms: declared in one2one.contracts, produced and consumed for real."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.clv import BetaGeoModel, GammaGammaModel, customer_lifetime_value, rfm_summary
from one2one.contracts import (
    COST_TO_SERVE,
    CUSTOMER_VALUES,
    IDENTITY_EVENTS,
    TRANSACTIONS,
    VALUE_TIERS,
    IdentityChange,
    MergeEvent,
    identity_changes,
)
from one2one.datasets import load_cdnow_transactions
from one2one.differentiate import value_tiers
from one2one.errors import DataContractError
from one2one.identify import IdentityEvent, IdentityResolver, RecordSchema
from one2one.interact import Interaction, InteractionLog

UTC = dt.UTC
SCHEMA = RecordSchema(record_id="rec", given_name="given", surname="surname", email="email")


def _records() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rec": ["r1", "r2", "r3", "r4"],
            "given": ["Alice", "Alice", "Bob", "Carol"],
            "surname": ["Wonderland", "Wonderland", "Builder", "Singer"],
            "email": ["alice@example.org", "alice@example.org", "bob@example.org", None],
        }
    )


# --- identity events: a frame or objects, the same checked changes -------------------------
def test_the_resolvers_events_frame_and_its_event_objects_read_the_same():
    resolver = IdentityResolver.from_records(_records(), SCHEMA)
    bob = resolver.customers()["r3"]
    resolver.forget(bob)
    frame = resolver.events()
    IDENTITY_EVENTS.validate(frame)
    from_frame = identity_changes(frame)
    assert [c.kind for c in from_frame][-1] == "forget"
    assert from_frame[-1].from_ids == (bob,)
    assert from_frame[-1].into_id is None
    objects = [
        IdentityEvent(kind=r.kind, from_ids=tuple(r.from_ids), into_id=r.into_id, at=r.at)
        for r in frame.itertuples(index=False)
    ]
    assert all(isinstance(e, MergeEvent) for e in objects)
    assert identity_changes(objects) == from_frame


def test_a_merge_object_of_your_own_is_read():
    class Merge:
        kind = "merge"
        from_ids = ("C1", "C2")
        into_id = "C1"
        at = dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))

    (change,) = identity_changes([Merge()])
    assert change == IdentityChange(
        kind="merge", from_ids=("C1", "C2"), into_id="C1", at=pd.Timestamp("2026-01-01 10:00Z")
    )


@pytest.mark.parametrize(
    ("event", "column"),
    [
        ({"kind": "rename", "from_ids": ("C1",), "into_id": "C2"}, "kind"),
        ({"kind": "merge", "from_ids": ("C1",), "into_id": None}, "into_id"),
        ({"kind": "merge", "from_ids": (1, 2), "into_id": "C1"}, "from_ids"),
        ({"kind": "merge", "from_ids": (), "into_id": "C1"}, "from_ids"),
        ({"kind": "merge", "from_ids": ("C1",), "into_id": "C2", "at": "2026-01-01"}, "at"),
    ],
)
def test_a_wrong_event_is_refused_naming_the_field(event, column):
    fields = {"at": pd.Timestamp("2026-01-01", tz="UTC"), **event}
    with pytest.raises(DataContractError) as error:
        identity_changes([type("Event", (), fields)()])
    assert error.value.column == column


def test_events_that_are_not_events_are_refused():
    with pytest.raises(DataContractError, match="lacks"):
        identity_changes(["merge"])  # an iterable of strings, e.g. a frame's column names
    with pytest.raises(DataContractError, match="iterable"):
        identity_changes("merge")  # type: ignore[arg-type]
    with pytest.raises(DataContractError, match="'into_id'"):
        identity_changes(pd.DataFrame({"kind": ["merge"], "from_ids": [("C1",)]}))


@settings(max_examples=40, deadline=None)
@given(
    ids=st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=4),
    hours=st.integers(-12, 14),
)
def test_every_change_is_in_utc_and_keeps_its_ids(ids, hours):
    zone = dt.timezone(dt.timedelta(hours=hours))
    at = dt.datetime(2026, 3, 1, 12, tzinfo=zone)
    event = IdentityEvent(kind="merge", from_ids=tuple(ids), into_id=ids[0], at=pd.Timestamp(at))
    (change,) = identity_changes([event])
    assert change.from_ids == tuple(ids)
    assert change.at == pd.Timestamp(at)
    assert str(change.at.tz) == "UTC"


# --- frames: what the contracts refuse -------------------------------------------------------
def _transactions(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"][:n],
            "occurred_at": pd.to_datetime(["2026-01-01", "2026-01-05", "2026-01-02"][:n], utc=True),
            "value": [10.0, -10.0, 5.0][:n],
        }
    )


def test_transactions_refuse_naive_times_and_missing_values():
    TRANSACTIONS.validate(_transactions())
    naive = _transactions().assign(occurred_at=lambda f: f["occurred_at"].dt.tz_localize(None))
    with pytest.raises(DataContractError) as error:
        TRANSACTIONS.validate(naive)
    assert error.value.column == "occurred_at"
    with pytest.raises(DataContractError) as error:
        TRANSACTIONS.validate(_transactions().assign(value=[1.0, np.nan, 2.0]))
    assert error.value.column == "value"
    assert error.value.row == 1


def test_optional_columns_are_checked_only_when_present():
    TRANSACTIONS.validate(_transactions().assign(currency="EUR", order_id=["o1", "o1", None]))
    with pytest.raises(DataContractError) as error:
        TRANSACTIONS.validate(_transactions().assign(currency=[1, 2, 3]))
    assert error.value.column == "currency"


@settings(max_examples=40, deadline=None)
@given(p=st.floats(-1.0, 2.0, allow_nan=False))
def test_p_alive_must_be_a_probability(p):
    frame = pd.DataFrame({"clv": [1.0], "p_alive": [p]}, index=pd.Index(["a"], name="customer_id"))
    if 0.0 <= p <= 1.0:
        CUSTOMER_VALUES.validate(frame)
    else:
        with pytest.raises(DataContractError) as error:
            CUSTOMER_VALUES.validate(frame)
        assert error.value.column == "p_alive"
        assert error.value.value == p


def test_keyed_frames_need_their_index_once_per_customer():
    values = pd.DataFrame({"clv": [1.0, 2.0]}, index=pd.Index(["a", "a"], name="customer_id"))
    with pytest.raises(DataContractError, match="twice") as error:
        CUSTOMER_VALUES.validate(values)
    assert error.value.value == "a"
    with pytest.raises(DataContractError, match="set_index") as error:
        CUSTOMER_VALUES.validate(values.reset_index())
    assert error.value.column == "customer_id"
    with pytest.raises(DataContractError, match="rename_axis"):
        CUSTOMER_VALUES.validate(values.rename_axis(None))


# --- real producers meet the contracts --------------------------------------------------------
def test_the_logs_transactions_and_costs_meet_their_contracts(tmp_path):
    log = InteractionLog(tmp_path / "log.db")
    at = dt.datetime(2026, 1, 1, tzinfo=UTC)
    log.append(
        [
            Interaction(
                customer_id="c1", occurred_at=at, channel="web", kind="purchase", value=30.0
            ),
            Interaction(
                customer_id="c1",
                occurred_at=at + dt.timedelta(days=3),
                channel="web",
                kind="return",
                value=-30.0,
            ),
            Interaction(
                customer_id="c2", occurred_at=at, channel="phone", kind="complaint", cost=4.5
            ),
        ]
    )
    TRANSACTIONS.validate(log.transactions())
    COST_TO_SERVE.validate(log.cost_to_serve().to_frame())
    log.close()


def test_clv_output_meets_customer_values_and_tiers_meet_theirs():
    summary = rfm_summary(load_cdnow_transactions().head(3_000), freq="W")
    repeat = summary[summary["frequency"] > 0]
    clv = customer_lifetime_value(
        BetaGeoModel().fit(summary), GammaGammaModel().fit(repeat), repeat, horizon=52
    )
    CUSTOMER_VALUES.validate(clv)
    tiers = value_tiers(clv.rename(columns={"clv": "actual_value"})[["actual_value"]])
    VALUE_TIERS.validate(tiers)


def test_a_resolver_without_events_hands_over_an_empty_valid_table():
    resolver = IdentityResolver.from_records(_records(), SCHEMA)
    frame = resolver.events()
    assert frame.empty
    IDENTITY_EVENTS.validate(frame)
    assert identity_changes(frame) == []
