"""Profiles: the same numbers live or rebuilt from the log; decay, preferences, features."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.errors import DataContractError
from one2one.interact import Interaction, InteractionLog, ProfileStore

AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

events = st.lists(
    st.builds(
        lambda customer, hours, channel, kind, value, category, number: Interaction(
            customer_id=customer,
            occurred_at=AT + dt.timedelta(hours=hours),
            channel=channel,
            kind=kind,
            value=value,
            payload={"category": category} if category else {},
            # One id per content: an id re-used for other content is a conflict, refused.
            event_id=f"e{number}-{customer}-{hours}-{channel}-{kind}-{value}-{category}",
        ),
        st.sampled_from(["a", "b", "c"]),
        st.integers(0, 24 * 400),
        st.sampled_from(["web", "store", "app"]),
        st.sampled_from(["visit", "view", "purchase", "return", "complaint", "offer_accepted"]),
        st.none() | st.floats(-100, 500),
        st.sampled_from([None, "shoes", "bags", "hats"]),
        st.integers(0, 60),
    ),
    max_size=40,
)


def _same(a, b):
    assert a == b
    assert a.channels == b.channels
    assert a.preferences == b.preferences


@settings(max_examples=40, deadline=None)
@given(events, st.lists(st.integers(1, 8), min_size=1, max_size=10), st.sampled_from(["a", "b"]))
def test_live_profiles_equal_profiles_rebuilt_by_replay(stream, cuts, erased):
    log = InteractionLog()
    live = ProfileStore.attach(log, attributes=("category",))
    position = 0
    for size in cuts * 10:
        if position >= len(stream):
            break
        log.append(stream[position : position + size])
        position += size
    log.append(stream[position:])
    if stream:
        log.forget(erased)
    rebuilt = ProfileStore.from_log(log, attributes=("category",))
    assert erased not in live
    assert sorted(c for c in rebuilt.customers() if not c.startswith("erased:")) == sorted(
        live.customers()
    )
    for customer in live.customers():
        _same(live.profile(customer), rebuilt.profile(customer))


def test_preferences_decay_with_the_half_life():
    store = ProfileStore(half_life=dt.timedelta(days=30), attributes=("category",))
    store.update(
        [
            Interaction(
                customer_id="c",
                occurred_at=AT,
                channel="web",
                kind="purchase",
                payload={"category": "old"},
            ),
            Interaction(
                customer_id="c",
                occurred_at=AT + dt.timedelta(days=60),
                channel="web",
                kind="purchase",
                payload={"category": "new"},
            ),
        ]
    )
    scores = store.profile("c").preferences["category"]
    assert scores["new"] == pytest.approx(1.0)
    assert scores["old"] == pytest.approx(0.25)  # two half-lives
    later = store.profile("c", at=AT + dt.timedelta(days=90)).preferences["category"]
    assert later["new"] == pytest.approx(0.5)
    assert list(scores) == ["new", "old"]


def test_counts_channels_responsiveness_and_features():
    store = ProfileStore(attributes=("category",))
    store.update(
        [
            Interaction(
                customer_id="c",
                occurred_at=AT,
                channel="web",
                kind="purchase",
                value=40.0,
                payload={"category": "shoes"},
            ),
            Interaction(customer_id="c", occurred_at=AT, channel="web", kind="visit"),
            Interaction(customer_id="c", occurred_at=AT, channel="store", kind="visit"),
            Interaction(
                customer_id="c",
                occurred_at=AT,
                channel="email",
                kind="offer_made",
                direction="outbound",
                offer_id="o",
            ),
            Interaction(
                customer_id="c",
                occurred_at=AT,
                channel="email",
                kind="offer_accepted",
                offer_id="o",
            ),
            Interaction(
                customer_id="d",
                occurred_at=AT + dt.timedelta(days=10),
                channel="store",
                kind="return",
                value=-5.0,
                payload={"category": "hats"},
            ),
        ]
    )
    c = store.profile("c")
    assert (c.value, c.purchases, c.interactions, c.offers_made, c.offers_accepted) == (
        40.0,
        1,
        5,
        1,
        1,
    )
    assert c.responsiveness == pytest.approx(2 / 3)
    assert c.preferred_channel == "web"
    assert c.channels == pytest.approx({"web": 0.5, "store": 0.25, "email": 0.25})
    assert c.last_contact == AT
    frame = store.to_frame()
    assert frame.loc["c", "recency_days"] == pytest.approx(10.0)
    assert frame.loc["c", "category_shoes"] == pytest.approx(1.0)
    assert frame.loc["d", "category_hats"] == 0.0  # a return is no preference
    assert frame.notna().all().all()
    with pytest.raises(DataContractError, match="no profile"):
        store.profile("zz")
    with pytest.raises(DataContractError, match="half_life"):
        ProfileStore(half_life=dt.timedelta(0))


@settings(max_examples=30, deadline=None)
@given(events, st.integers(1, 7))
def test_a_rebuild_in_batches_of_any_size_equals_the_live_fold(stream, batch_size):
    # The rebuild accumulates in arrays batch by batch; its sums must not depend on where
    # the batches are cut, and must equal the event-by-event fold to the last bit.
    from one2one.interact._profile_replay import rebuild  # noqa: PLC0415

    log = InteractionLog()
    live = ProfileStore.attach(log, attributes=("category",))
    log.append(stream)
    rebuilt = ProfileStore(attributes=("category",))
    rebuild(rebuilt, log._replay_batches(batch_size=batch_size), log._aliases())
    assert rebuilt.customers() == live.customers()
    for customer in live.customers():
        _same(live.profile(customer), rebuilt.profile(customer))
        assert rebuilt._states[customer] == live._states[customer]


@settings(max_examples=40, deadline=None)
@given(
    events,
    st.integers(0, 40),
    st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["a", "b", "c"]))),
)
def test_profiles_learnt_live_are_joined_on_a_merge_as_a_rebuild_joins_them(stream, cut, merges):
    log = InteractionLog()
    live = ProfileStore.attach(log, attributes=("category",))
    log.append(stream[:cut])
    for source, into in merges:
        log.merge([source], into, at=AT)
    log.append(stream[cut:])  # later events under merged-away ids reach the survivor
    rebuilt = ProfileStore.from_log(log, attributes=("category",))
    assert sorted(live.customers()) == sorted(rebuilt.customers())
    for customer in live.customers():
        assert log.canonical_id(customer) == customer  # no profile under a merged-away id
        _same(live.profile(customer), rebuilt.profile(customer))


def test_a_merge_joins_two_live_profiles_into_one():
    log = InteractionLog()
    live = ProfileStore.attach(log, attributes=("category",))
    for customer, category in (("web-1", "shoes"), ("store-9", "bags")):
        log.append(
            [
                Interaction(
                    customer_id=customer,
                    occurred_at=AT,
                    channel="web",
                    kind="purchase",
                    value=10.0,
                    payload={"category": category},
                )
            ]
        )
    log.merge(["store-9"], "web-1", at=AT)
    assert "store-9" not in live
    joined = live.profile("web-1")
    assert joined.purchases == 2
    assert joined.value == 20.0
    assert set(joined.preferences["category"]) == {"shoes", "bags"}
