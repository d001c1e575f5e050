"""Contact policy for many customers at once: each row is exactly what ``check`` answers."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from one2one.errors import DataContractError
from one2one.interact import (
    ContactPolicy,
    CoolingOff,
    FrequencyCap,
    IgnoredSuppression,
    Interaction,
    InteractionLog,
    QuietHours,
    SuppressionList,
)

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
RULES = [
    FrequencyCap(2, dt.timedelta(days=7), channel="email"),
    FrequencyCap(3, dt.timedelta(days=7)),
    QuietHours(dt.time(21), dt.time(8), default_timezone="Europe/Paris"),
    CoolingOff(dt.timedelta(days=14)),
    IgnoredSuppression(2, dt.timedelta(days=30), dt.timedelta(days=60)),
    SuppressionList({"e"}),
]
PEOPLE = ["a", "b", "c", "e"]
ZONES = ["UTC", "America/New_York", "Asia/Tokyo", "Europe/London"]
CHANNELS = ["email", "sms"]
COLUMNS = ["customer_id", "allowed", "reasons", "earliest_allowed_at", "deferred"]


def _fields(decision):
    return (
        decision.allowed,
        tuple(decision.reasons),
        decision.earliest_allowed_at,
        decision.deferred,
    )


def _row_fields(row):
    earliest = row.earliest_allowed_at
    return (
        bool(row.allowed),
        tuple(row.reasons),
        None if pd.isna(earliest) else earliest.to_pydatetime(),
        bool(row.deferred),
    )


def _assert_same_as_check(policy, ids, channel, at):
    frame = policy.check_many(ids, channel, at, progress=False)
    assert list(frame.columns) == COLUMNS
    assert list(frame["customer_id"]) == list(ids)
    for i, customer in enumerate(ids):
        expected = _fields(policy.check(customer, channel, at))
        assert _row_fields(frame.iloc[i]) == expected, (i, customer)


person = st.sampled_from(PEOPLE)
hours = st.integers(0, 24 * 60)
operation = st.one_of(
    st.tuples(
        st.just("grant"),
        person,
        hours,
        st.sampled_from([None, *CHANNELS]),
        st.one_of(st.none(), st.integers(1, 24 * 40)),
    ),
    st.tuples(
        st.sampled_from(["withdraw", "deny"]), person, hours, st.sampled_from([None, "email"])
    ),
    st.tuples(st.just("contact"), person, hours, st.sampled_from(CHANNELS)),
    st.tuples(st.sampled_from(["complaint", "offer_ignored"]), person, hours),
    st.tuples(st.just("merge"), person, person, hours),
    st.tuples(st.just("merge"), person, person, hours),  # twice: groups are what bulk gets wrong
    st.tuples(st.just("forget"), person),
)


def _build(log, operations):
    for op in operations:
        match op:
            case ("grant", who, h, channel, lasts):
                expires = None if lasts is None else START + (h + lasts) * HOUR
                log.consent.grant(
                    who, "marketing", channel=channel, at=START + h * HOUR, expires_at=expires
                )
            case ("withdraw", who, h, channel):
                log.consent.withdraw(who, "marketing", channel=channel, at=START + h * HOUR)
            case ("deny", who, h, channel):
                log.consent.deny(who, "marketing", channel=channel, at=START + h * HOUR)
            case ("contact", who, h, channel):
                log.append([_event(who, h, channel, "offer_made", "outbound")])
            case (kind, who, h):
                log.append([_event(who, h, "email", kind, "inbound")])
            case ("merge", source, into, h):
                if source != into:
                    log.merge([source], into, at=START + h * HOUR)
            case ("forget", who):
                log.forget(who)


def _event(who, h, channel, kind, direction):
    return Interaction(
        customer_id=who,
        occurred_at=START + h * HOUR,
        channel=channel,
        kind=kind,
        direction=direction,
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    granted=st.sets(person),
    operations=st.lists(operation, max_size=25),
    ids=st.lists(st.sampled_from([*PEOPLE, "stranger"]), max_size=12),
    zones=st.dictionaries(person, st.sampled_from(ZONES), max_size=4),
    channel=st.sampled_from(CHANNELS),
    at_hours=st.integers(-24, 24 * 70),
    encrypt=st.booleans(),
    purpose=st.sampled_from(["marketing", "marketing", None]),
)
def test_each_row_is_the_decision_check_gives(  # noqa: PLR0917 (hypothesis inputs)
    granted, operations, ids, zones, channel, at_hours, encrypt, purpose
):
    """For random logs and random id lists, row i of check_many equals check(ids[i])."""
    with InteractionLog(require_consent=False, encrypt=encrypt) as log:
        for who in sorted(granted):  # consent from the start, so merges change answers
            log.consent.grant(who, "marketing", at=START - 30 * DAY)
        _build(log, operations)
        policy = ContactPolicy(log, RULES, timezones=zones, purpose=purpose)
        _assert_same_as_check(policy, ids, channel, START + at_hours * HOUR)


def test_consent_given_under_a_merged_away_id_counts():
    """Consent recorded under an id merged away is the surviving customer's consent."""
    with InteractionLog(require_consent=False) as log:
        log.consent.grant("old", "marketing", at=START - DAY)
        log.consent.withdraw("gone", "marketing", at=START - 2 * DAY)
        log.merge(["old", "gone"], "new", at=START)
        policy = ContactPolicy(log, [])
        frame = policy.check_many(["new", "old", "gone", "else"], "sms", START + DAY)
        assert list(frame["allowed"]) == [True, True, True, False]


def test_merged_ids_share_one_history_and_keep_their_own_rows():
    """Asking by a merged-away id and by the surviving id gives the same rules, row by row."""
    with InteractionLog(require_consent=False) as log:
        for who in ("old", "new"):
            log.consent.grant(who, "marketing", at=START - DAY)
        log.append([_event("old", 10, "email", "offer_made", "outbound")])
        log.append([_event("new", 12, "email", "offer_made", "outbound")])
        log.merge(["old"], "new", at=START)
        policy = ContactPolicy(log, [FrequencyCap(2, dt.timedelta(days=7), channel="email")])
        frame = policy.check_many(["new", "old", "other", "old"], "email", START + DAY)
        assert list(frame["customer_id"]) == ["new", "old", "other", "old"]
        # two contacts in the week of the merged customer: both their ids are capped
        assert list(frame["allowed"]) == [False, False, False, False]
        assert frame["reasons"][0] == ("at most 2 email contacts in 7 days, 0:00:00",)
        assert frame["reasons"][2] == ("no marketing consent for email",)
        assert frame["earliest_allowed_at"][0] == pd.Timestamp(START + 10 * HOUR + 7 * DAY)
        assert pd.isna(frame["earliest_allowed_at"][2])


def test_suppression_list_and_time_zone_of_a_merged_id():
    """A suppressed id blocks its whole merged group; a merged id's zone applies to the group."""
    with InteractionLog(require_consent=False) as log:
        for who in ("x", "y", "z"):
            log.consent.grant(who, "marketing", at=START - DAY)
        log.merge(["x"], "y", at=START)
        rules = [SuppressionList({"x"}), QuietHours(dt.time(21), dt.time(8))]
        policy = ContactPolicy(log, rules, timezones={"x": "Asia/Tokyo"})
        at = START + 14 * HOUR  # 23:00 in Tokyo, 14:00 in UTC
        frame = policy.check_many(["y", "z"], "email", at)
        assert frame["reasons"][0] == (
            "on the suppression list",
            "quiet hours 21:00-08:00 (Asia/Tokyo)",
        )
        assert bool(frame["allowed"][1])
        _assert_same_as_check(policy, ["y", "z", "x"], "email", at)


def test_more_ids_than_one_chunk():
    """Ids spread over several 500-id queries (with duplicates) keep their order and answers."""
    with InteractionLog(require_consent=False) as log:
        people = [f"p{i:04d}" for i in range(1_203)]
        for i, who in enumerate(people):
            if i % 3:
                log.consent.grant(who, "marketing", at=START - DAY)
        log.append(
            [
                _event(who, h, "email", "offer_made", "outbound")
                for i, who in enumerate(people)
                for h in range(i % 4)
            ]
        )
        log.merge([people[1], people[700]], people[1_100], at=START)
        policy = ContactPolicy(log, [FrequencyCap(2, dt.timedelta(days=7), channel="email")])
        ids = [*people, people[5], people[1_100], people[700]]
        frame = policy.check_many(ids, "email", START + DAY, progress=False)
        assert len(frame) == len(ids)
        # consent for i % 3 != 0; fewer than 2 contacts for i % 4 < 2 (the merged group has 1)
        index = [int(who[1:]) for who in ids]
        assert list(frame["allowed"]) == [bool(i % 3 and i % 4 < 2) for i in index]
        sample = [*range(0, len(ids), 97), 1, 700, 1_100, len(ids) - 1]
        for i in sample:
            assert _row_fields(frame.iloc[i]) == _fields(policy.check(ids[i], "email", START + DAY))


def test_no_ids_give_an_empty_frame_with_the_columns():
    """An empty campaign is an empty frame, not an error."""
    with InteractionLog() as log:
        frame = ContactPolicy(log, RULES).check_many([], "email", START)
        assert list(frame.columns) == COLUMNS
        assert frame.empty


@pytest.mark.parametrize(
    ("ids", "channel", "at", "column"),
    [
        ("abc", "email", START, "customer_ids"),
        (42, "email", START, "customer_ids"),
        (["a", ""], "email", START, "customer_id"),
        (["a", None], "email", START, "customer_id"),
        (["a", 2.5], "email", START, "customer_id"),
        (["a"], "EMAIL", START, "channel"),
        (["a"], "pigeon", START, "channel"),
        (["a"], "email", dt.datetime(2026, 3, 1), "at"),
        (["a"], "email", dt.datetime(1, 1, 2, tzinfo=dt.UTC), "at"),
    ],
)
def test_bad_inputs_are_refused_naming_the_field(ids, channel, at, column):
    """Bad ids, channels and times raise a DataContractError naming the field."""
    with InteractionLog() as log:
        policy = ContactPolicy(log, RULES)
        with pytest.raises(DataContractError) as raised:
            policy.check_many(ids, channel, at, progress=False)
        assert raised.value.column == column


def test_progress_must_be_a_known_choice():
    """An unknown progress value is refused before any work."""
    with InteractionLog() as log, pytest.raises(DataContractError, match="progress must be"):
        ContactPolicy(log, RULES).check_many(["a"], "email", START, progress="yes")
