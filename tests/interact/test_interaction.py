"""Interactions: checked where made, exact JSON round trip, hostile values refused by name."""

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from one2one.errors import DataContractError
from one2one.interact import Interaction
from one2one.interact._ids import new_event_id

AT = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)

# An offer is outbound by its kind; every other pairing is allowed.
_KIND_DIRECTION = [
    (kind, direction)
    for kind in ("visit", "purchase", "offer_made")
    for direction in ("inbound", "outbound")
    if (kind, direction) != ("offer_made", "inbound")
]


def _interactions(kind, direction):
    return st.builds(
        Interaction,
        customer_id=st.text(min_size=1, max_size=30).filter(
            lambda s: s.strip() and "\x00" not in s
        ),
        occurred_at=st.datetimes(
            min_value=dt.datetime(1990, 1, 1),
            max_value=dt.datetime(2100, 1, 1),
            timezones=st.just(dt.UTC),
        ),
        channel=st.sampled_from(["web", "email", "store"]),
        kind=st.just(kind),
        direction=st.just(direction),
        value=st.none() | st.floats(-1e6, 1e6),
        propensity=st.none() | st.floats(0.001, 1.0),
        payload=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    )


interactions = st.sampled_from(_KIND_DIRECTION).flatmap(lambda pair: _interactions(*pair))


@given(interactions)
def test_dict_round_trip_is_exact(event):
    again = Interaction.from_dict(event.to_dict())
    assert again == event
    assert again.payload == event.payload


def test_times_are_aware_and_kept_in_utc():
    event = Interaction(
        customer_id="c1", occurred_at="2026-11-24T10:00:00+01:00", channel="web", kind="visit"
    )
    assert event.occurred_at == AT
    assert event.occurred_at.tzinfo is dt.UTC
    with pytest.raises(DataContractError, match="no time zone") as error:
        Interaction(
            customer_id="c1",
            occurred_at=dt.datetime(2026, 1, 1),
            channel="web",
            kind="visit",
        )
    assert error.value.column == "occurred_at"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("value", math.inf, "finite"),
        ("value", math.nan, "finite"),
        ("cost", "12", "number"),
        ("propensity", 0.0, r"\(0, 1\]"),
        ("propensity", 1.5, r"\(0, 1\]"),
        ("direction", "sideways", "inbound"),
        ("channel", "E-Mail", "lower-case"),
        ("kind", "purchase; DROP TABLE events", "lower-case"),
        ("customer_id", "", "non-empty"),
        ("customer_id", "x" * 201, "at most 200"),
        ("payload", {"when": AT}, "JSON"),
        ("payload", {"x": math.nan}, "JSON"),
        ("payload", {"big": "x" * 70_000}, "64,000"),
        ("payload", ["not", "a", "mapping"], "mapping"),
    ],
)
def test_bad_fields_are_refused_by_name(field, value, message):
    fields = {
        "customer_id": "c1",
        "occurred_at": AT,
        "channel": "web",
        "kind": "visit",
        field: value,
    }
    with pytest.raises(DataContractError, match=message) as error:
        Interaction(**fields)
    assert error.value.column == field


def test_from_dict_names_unknown_and_missing_fields():
    with pytest.raises(DataContractError, match="unknown interaction field 'colour'"):
        Interaction.from_dict(
            {"customer_id": "c", "occurred_at": AT, "channel": "web", "kind": "visit", "colour": 1}
        )
    with pytest.raises(DataContractError, match="'kind' is required"):
        Interaction.from_dict({"customer_id": "c", "occurred_at": AT, "channel": "web"})


def test_generated_ids_are_time_ordered_uuid7():
    ids = [new_event_id() for _ in range(10_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(i[14] == "7" and i[19] in "89ab" for i in ids)
