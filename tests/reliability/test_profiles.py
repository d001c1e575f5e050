"""Profiles hold over any span of history, and forget an erased customer everywhere.

* Decayed scores once grew as ``2 ** (elapsed / half_life)`` and overflowed after
  about 1,024 half-lives, failing ``append`` after its batch was committed. Here
  histories span thousands of half-lives; the live fold and the rebuild must agree
  to the last bit, and both must match a direct computation of the decayed scores
  (each event's weight times ``2 ** -(age / half_life)``, summed).
* After ``InteractionLog.forget``, no profile store (live, rebuilt, or its frame)
  and no next-best-action state may still hold the erased id or an id merged into it.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.errors import DataContractError
from one2one.interact import (
    DEFAULT_KIND_WEIGHTS,
    Interaction,
    InteractionLog,
    NextBestAction,
    Offer,
    ProfileStore,
)
from one2one.interact._profile_replay import rebuild

AT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
OPTIONS = {"half_life": HOUR, "attributes": ("category",)}


def _event(number: int, customer: str, hours: float, **fields: object) -> Interaction:
    fields.setdefault("channel", "web")
    fields.setdefault("kind", "view")
    return Interaction(
        customer_id=customer,
        occurred_at=AT + dt.timedelta(hours=hours),
        event_id=f"e{number}",
        **fields,  # type: ignore[arg-type]
    )


def _direct(events: list[Interaction], customer: str, at: dt.datetime) -> tuple[dict, dict]:
    """Decayed channel and category scores straight from the definition, with error bounds.

    Returns ``{key: (score, sum of |terms|)}`` for channels and for categories.
    """
    channels: dict[str, list[float]] = {}
    categories: dict[str, list[float]] = {}
    for event in events:
        if event.customer_id != customer or event.direction == "outbound":
            continue
        age = (at - event.occurred_at) / HOUR
        decay = 2.0 ** (-age)  # age >= 0: underflows to 0, never overflows
        channels.setdefault(event.channel, []).append(decay)
        weight = DEFAULT_KIND_WEIGHTS.get(event.kind, 0.0)
        category = event.payload.get("category")
        if weight and category is not None:
            categories.setdefault(str(category), []).append(weight * decay)
    return (
        {k: (math.fsum(v), math.fsum(abs(t) for t in v)) for k, v in channels.items()},
        {k: (math.fsum(v), math.fsum(abs(t) for t in v)) for k, v in categories.items()},
    )


def _close(got: float, expected: tuple[float, float]) -> bool:
    value, magnitude = expected
    return abs(got - value) <= 1e-9 * magnitude + 1e-300


def _check_against_direct(store: ProfileStore, events: list[Interaction], at: dt.datetime) -> None:
    for customer in store.customers():
        profile = store.profile(customer, at)
        channels, categories = _direct(events, customer, at)
        total = math.fsum(v for v, _ in channels.values())
        if total > 0:
            for channel, (score, magnitude) in channels.items():
                share = profile.channels.get(channel, 0.0)
                assert abs(share - score / total) <= 1e-9 * magnitude / total + 1e-12, channel
        scores = profile.preferences.get("category", {})
        assert set(scores) == set(categories)
        for category, expected in categories.items():
            assert _close(scores[category], expected), (category, scores[category], expected)
        for value in [*profile.channels.values(), *scores.values()]:
            assert math.isfinite(value)


def _same_states(a: ProfileStore, b: ProfileStore) -> None:
    assert a.customers() == b.customers()
    for customer in a.customers():
        assert a._states[customer] == b._states[customer], customer
        assert a.profile(customer) == b.profile(customer)


# ------------------------------------------------------------------- long histories


def test_profiles_keep_working_over_5000_half_lives_live_and_rebuilt():
    categories = ["shoes", "bags", "hats"]
    events = [
        _event(
            i,
            "a" if i % 3 else "b",
            hours=2.5 * i,
            channel=["web", "store", "app"][i % 3 // 1 % 3],
            kind=["view", "purchase", "return", "visit"][i % 4],
            payload={"category": categories[i % 3]},
        )
        for i in range(2_001)  # 2,000 events over 5,000 half-lives
    ]
    log = InteractionLog(require_consent=False)
    live = ProfileStore.attach(log, **OPTIONS)
    for start in range(0, len(events), 97):
        log.append(events[start : start + 97])  # raised OverflowError once past 1,024
    rebuilt = ProfileStore.from_log(log, **OPTIONS)
    _same_states(live, rebuilt)
    last = events[-1].occurred_at
    _check_against_direct(live, events, last)
    _check_against_direct(rebuilt, events, last)
    assert live.profile("a").preferences["category"]  # recent events still count
    assert live.to_frame().notna().all().all()


event_times = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.floats(0, 6_000, allow_nan=False),  # hours = half-lives
        st.sampled_from(["web", "store", "app"]),
        st.sampled_from(["visit", "view", "purchase", "return", "offer_accepted", "message"]),
        st.sampled_from([None, "shoes", "bags"]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(event_times, st.lists(st.integers(1, 9), min_size=1, max_size=6), st.integers(1, 7))
def test_any_span_of_history_gives_the_same_bits_live_and_rebuilt(rows, cuts, batch_size):
    # Out of time order on purpose: late events, early events, jumps of thousands of
    # half-lives back and forth between customers.
    events = [
        _event(
            i,
            customer,
            hours=hours,
            channel=channel,
            kind=kind,
            direction="outbound" if kind == "message" else "inbound",
            payload={"category": category} if category else {},
        )
        for i, (customer, hours, channel, kind, category) in enumerate(rows)
    ]
    log = InteractionLog(require_consent=False)
    live = ProfileStore.attach(log, **OPTIONS)
    position = 0
    for size in cuts * 10:
        log.append(events[position : position + size])
        position += size
    log.append(events[position:])
    rebuilt = ProfileStore.from_log(log, **OPTIONS)
    _same_states(live, rebuilt)
    in_batches = ProfileStore(**OPTIONS)
    rebuild(in_batches, log._replay_batches(batch_size=batch_size), log._aliases())
    _same_states(live, in_batches)
    latest = max(e.occurred_at for e in events)
    _check_against_direct(live, events, latest)


def test_a_customer_idle_for_thousands_of_half_lives_still_reads():
    log = InteractionLog(require_consent=False)
    store = ProfileStore.attach(log, **OPTIONS)
    log.append(
        [
            _event(1, "old", 0, kind="purchase", payload={"category": "shoes"}),
            _event(2, "old", 1, channel="store", kind="visit"),
            _event(3, "new", 3_000, kind="purchase", payload={"category": "bags"}),
        ]
    )
    frame = store.to_frame()  # read at hour 3,000: 'old' is 2,999 half-lives back
    assert frame.notna().all().all()
    assert frame.loc["old", "category_shoes"] == 1.0  # still all of their preference
    # web an hour (one half-life) before the store visit: weights 1/2 and 1
    assert frame.loc["old", "channel_web"] == pytest.approx(1 / 3, rel=1e-12)
    assert frame.loc["old", "channel_store"] == pytest.approx(2 / 3, rel=1e-12)
    old = store.profile("old", AT + 3_000 * HOUR)
    assert old.preferred_channel == "store"
    assert old.preferences["category"] == {"shoes": 0.0}  # 2**-3000 is below any float
    for far in (10_000, 100_000):
        profile = store.profile("new", AT + far * HOUR)
        assert profile.preferences["category"]["bags"] == 0.0
        assert profile.channels == {"web": 1.0}


def test_reading_long_before_the_events_is_finite_or_a_typed_error():
    log = InteractionLog(require_consent=False)
    store = ProfileStore.attach(log, **OPTIONS)
    log.append([_event(i, "c", 2_000 + i, payload={"category": "hats"}) for i in range(3)])
    refused = []
    for back in (10, 900, 1_500, 5_000):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                profile = store.profile("c", AT + (2_000 - back) * HOUR)
        except DataContractError as error:
            refused.append((back, error.column))
            continue
        values = [*profile.channels.values(), *profile.preferences["category"].values()]
        assert all(math.isfinite(v) for v in values)
        assert profile.channels == {"web": 1.0}
    # 2**1500 is past the float range: a typed refusal naming 'at', not inf or a crash
    assert refused == [(1_500, "at"), (5_000, "at")]


# ------------------------------------------------------------------------- erasure


def _erasure_log() -> tuple[InteractionLog, list[Interaction]]:
    log = InteractionLog(require_consent=False)
    events = [
        _event(1, "x", 0, kind="purchase", value=10.0, payload={"category": "shoes"}),
        _event(2, "a", 1, kind="view", payload={"category": "bags"}),
        _event(3, "keep", 2, kind="purchase", value=5.0, payload={"category": "hats"}),
    ]
    return log, events


@pytest.mark.parametrize("erase", ["a", "x"])
def test_an_erased_customer_and_merged_ids_leave_every_profile_store(erase):
    log, events = _erasure_log()
    live = ProfileStore.attach(log, **OPTIONS)
    log.append(events[:1])  # 'x' profiled under its own id ...
    log.merge(["x"], into_id="a")  # ... then merged into 'a'
    log.append(events[1:])
    attached_late = ProfileStore.attach(log, **OPTIONS)
    log.forget(erase)
    rebuilt = ProfileStore.from_log(log, **OPTIONS)
    for store in (live, attached_late, rebuilt, ProfileStore.attach(log, **OPTIONS)):
        assert store.customers() == ["keep"], store.customers()
        assert "a" not in store
        assert "x" not in store
        frame = store.to_frame()
        assert list(frame.index) == ["keep"]
        assert not any("shoes" in c or "bags" in c for c in frame.columns)


def test_erasing_the_only_customer_leaves_no_anonymous_profile_behind():
    log = InteractionLog(require_consent=False)
    live = ProfileStore.attach(log, **OPTIONS)
    log.append(_event(1, "a", 0, kind="purchase", value=10.0, payload={"category": "shoes"}))
    log.forget("a")
    for store in (live, ProfileStore.from_log(log, **OPTIONS)):
        assert len(store) == 0
        with pytest.raises(DataContractError, match="no profiles"):
            store.to_frame()


def test_next_best_action_drops_an_erased_customers_pending_offer():
    log = InteractionLog()
    at = AT + dt.timedelta(days=1)
    log.consent.grant("a", "marketing", at=AT)
    log.consent.grant("keep", "marketing", at=AT)
    nba = NextBestAction(log, [Offer("welcome", "email")], random_state=0)
    for customer in ("a", "keep"):
        nba.record(nba.choose(customer, at))
    assert any(customer == "a" for customer, _ in nba._pending)
    log.forget("a")
    assert all(customer != "a" for customer, _ in nba._pending)
    assert "a" not in nba.profiles
    # A new customer who reuses the id later must not teach the learner with the
    # erased customer's offer and features.
    log.append(
        Interaction(
            customer_id="a",
            occurred_at=at + HOUR,
            channel="email",
            kind="offer_accepted",
            offer_id="welcome",
        )
    )
    assert nba.learner.counts == {}
    log.append(
        Interaction(
            customer_id="keep",
            occurred_at=at + HOUR,
            channel="email",
            kind="offer_accepted",
            offer_id="welcome",
        )
    )
    assert nba.learner.counts == {"welcome": [1.0, 0.0]}
    assert np.isfinite(nba.learner.expected(["welcome"])).all()
