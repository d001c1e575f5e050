"""Attacks on the contact policy: merged ids, DST folds and gaps, lapsing consent, hostile input.

Every promise is checked against an independent reading of the rule (the
customer's wall clock, a union-find over merges, a minute-by-minute scan),
never against numbers the policy computed itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
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

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)
START = dt.datetime(2026, 3, 1, tzinfo=UTC)


def _contact(customer: str, at: dt.datetime, channel: str = "email") -> Interaction:
    return Interaction(
        customer_id=customer,
        occurred_at=at,
        channel=channel,
        kind="offer_made",
        direction="outbound",
    )


# --------------------------------------------------------------- suppression follows merges
def _file_log(folder: str) -> InteractionLog:
    return InteractionLog(Path(folder) / "log.sqlite")


@pytest.mark.parametrize(
    ("merges", "suppressed"),
    [
        ([(["a"], "b")], "a"),  # the suppressed id is merged into another
        ([(["a"], "b")], "b"),  # another id is merged into the suppressed one
        ([(["a"], "b"), (["b"], "c")], "a"),  # chain: a -> b -> c, suppressed at the start
        ([(["a"], "b"), (["b"], "c")], "b"),  # ... in the middle
        ([(["b"], "c"), (["a"], "b")], "a"),  # chain built the other way round
        ([(["a"], "b"), (["c"], "d"), (["b"], "d")], "c"),  # two merged pairs joined
    ],
)
def test_suppression_follows_merges_in_a_file_backed_log(tmp_path, merges, suppressed):
    path = tmp_path / "log.sqlite"
    with InteractionLog(path) as log:
        for sources, into in merges:
            log.merge(sources, into)
    ids = {i for sources, into in merges for i in [*sources, into]}
    with InteractionLog(path) as log:  # reopened: the merges are read from the file
        log.consent.grant("a", "marketing", at=START - dt.timedelta(days=1))
        policy = ContactPolicy(log, [SuppressionList({suppressed})])
        for customer in sorted(ids):
            decision = policy.check(customer, "email", START)
            assert not decision.allowed, (customer, suppressed)
            assert decision.earliest_allowed_at is None
            assert "suppression list" in decision.reasons[0]
        log.consent.grant("z", "marketing", at=START - dt.timedelta(days=1))
        assert policy.check("z", "email", START).allowed  # an unrelated customer


def _components(merges: list[tuple[str, str]], ids: list[str]) -> dict[str, set[str]]:
    """Union-find over the merges: the ids that are one customer."""
    parent = {i: i for i in ids}

    def root(i: str) -> str:
        while parent[i] != i:
            i = parent[i]
        return i

    for source, into in merges:
        parent[root(source)] = root(into)
    groups: dict[str, set[str]] = {}
    for i in ids:
        groups.setdefault(root(i), set()).add(i)
    return {i: groups[root(i)] for i in ids}


IDS = ["a", "b", "c", "d", "e"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(IDS), st.sampled_from(IDS)), max_size=6),
    st.sets(st.sampled_from(IDS), max_size=2),
    st.sampled_from(IDS),
)
def test_any_suppressed_id_of_a_merged_customer_blocks_every_id(merges, suppressed, asked):
    with tempfile.TemporaryDirectory() as folder, _file_log(folder) as log:
        for source, into in merges:
            log.merge([source], into)
        policy = ContactPolicy(log, [SuppressionList(suppressed)], purpose=None)
        customer = _components(merges, IDS)[asked]
        assert policy.check(asked, "email", START).allowed == (not customer & suppressed)


def test_a_time_zone_given_under_a_merged_id_follows_the_merge(tmp_path):
    with InteractionLog(tmp_path / "log.sqlite") as log:
        log.merge(["old"], "new")
        night_in_tokyo = dt.datetime(2026, 3, 2, 14, tzinfo=UTC)  # 23:00 in Tokyo
        policy = ContactPolicy(
            log,
            [QuietHours(dt.time(21), dt.time(8))],
            timezones={"old": "Asia/Tokyo"},
            purpose=None,
        )
        decision = policy.check("new", "email", night_in_tokyo)
        assert not decision.allowed
        assert decision.earliest_allowed_at == dt.datetime(
            2026, 3, 3, 8, tzinfo=ZoneInfo("Asia/Tokyo")
        )


# ------------------------------------------------------------------- quiet hours over DST
def _quiet(at: dt.datetime, zone: ZoneInfo, start: dt.time, end: dt.time) -> bool:
    """The rule as documented: the customer's wall-clock time lies in [start, end)."""
    clock = at.astimezone(zone).time().replace(tzinfo=None)
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end


def test_a_window_ending_in_the_autumn_fold_defers_to_the_second_end():
    # Europe/London, 25 Oct 2026: 01:00-02:00 happens twice (BST, then GMT).
    log = InteractionLog()
    policy = ContactPolicy(
        log, [QuietHours(dt.time(21), dt.time(1, 30), "Europe/London")], purpose=None
    )
    at = dt.datetime(2026, 10, 25, 1, 10, tzinfo=UTC)  # 01:10 GMT, the second 01:10
    decision = policy.check("c", "email", at)
    assert decision.deferred
    assert decision.earliest_allowed_at == dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT
    assert policy.check("c", "email", decision.earliest_allowed_at).allowed


def test_a_window_ending_in_the_spring_gap_defers_to_the_jump():
    # Europe/London, 29 Mar 2026: 01:00 GMT jumps to 02:00 BST; 01:30 never happens.
    log = InteractionLog()
    policy = ContactPolicy(
        log, [QuietHours(dt.time(21), dt.time(1, 30), "Europe/London")], purpose=None
    )
    decision = policy.check("c", "email", dt.datetime(2026, 3, 28, 23, tzinfo=UTC))
    assert decision.deferred
    assert decision.earliest_allowed_at == dt.datetime(2026, 3, 29, 1, tzinfo=UTC)  # 02:00 BST


def test_a_fold_that_turns_the_clock_back_out_of_quiet_hours_ends_them():
    # Quiet from 01:30: at 01:45 BST it is quiet, but at 02:00 BST the clock reads 01:00 GMT.
    log = InteractionLog()
    policy = ContactPolicy(
        log, [QuietHours(dt.time(1, 30), dt.time(8), "Europe/London")], purpose=None
    )
    decision = policy.check("c", "email", dt.datetime(2026, 10, 25, 0, 45, tzinfo=UTC))
    assert decision.earliest_allowed_at == dt.datetime(2026, 10, 25, 1, tzinfo=UTC)  # 01:00 GMT


ZONES = {
    "Europe/London": range(2024, 2028),
    "America/New_York": range(2024, 2028),
    "Australia/Lord_Howe": range(2024, 2028),  # a 30-minute DST
    "Pacific/Chatham": range(2024, 2028),  # +12:45 / +13:45
    "America/Santiago": range(2022, 2027),  # changes at midnight
    "Asia/Tehran": range(2019, 2023),  # DST until 2022
    "Pacific/Apia": range(2011, 2013),  # skipped 30 Dec 2011 whole
}


def _transition(zone: ZoneInfo, low: dt.datetime, high: dt.datetime) -> dt.datetime:
    """The first instant in (low, high] whose UTC offset differs from low's, to the second."""
    offset = low.astimezone(zone).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle -= dt.timedelta(microseconds=middle.microsecond)
        if middle.astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return high


@functools.cache
def _transitions() -> list[tuple[str, dt.datetime]]:
    found = []
    for name, years in ZONES.items():
        zone = ZoneInfo(name)
        t = dt.datetime(years[0], 1, 1, tzinfo=UTC)
        last = dt.datetime(years[-1] + 1, 1, 1, tzinfo=UTC)
        step = dt.timedelta(hours=6)
        while t < last:
            if t.astimezone(zone).utcoffset() != (t + step).astimezone(zone).utcoffset():
                found.append((name, _transition(zone, t, t + step)))
            t += step
    return found


def test_the_zones_have_the_transitions_the_test_needs():
    names = {name for name, _ in _transitions()}
    assert names == set(ZONES)
    assert len(_transitions()) > 40


@st.composite
def _near_transition(draw: st.DrawFn) -> tuple[str, dt.datetime, dt.time, dt.time, dt.datetime]:
    name, transition = draw(st.sampled_from(_transitions()))
    zone = ZoneInfo(name)
    walls = [
        (transition - dt.timedelta(seconds=1)).astimezone(zone).replace(tzinfo=None, second=0),
        transition.astimezone(zone).replace(tzinfo=None),
    ]

    def bound() -> dt.time:
        if draw(st.booleans()):  # in or near the gap or the fold
            wall = draw(st.sampled_from(walls)) + draw(st.integers(-90, 90)) * MINUTE
            return wall.time()
        return dt.time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45, 59])))

    start, end = bound(), bound()
    at = transition + draw(st.integers(-36 * 60, 36 * 60)) * MINUTE
    at += draw(st.integers(0, 59_999_999)) * dt.timedelta(microseconds=1)
    return name, transition, start, end, at


@settings(max_examples=400, deadline=None)
@given(_near_transition())
@example(
    (
        "Europe/London",
        None,
        dt.time(21),
        dt.time(1, 30),
        dt.datetime(2026, 10, 25, 1, 10, tzinfo=UTC),
    )
)
@example(
    (
        "America/Santiago",
        None,
        dt.time(22),
        dt.time(0, 30),
        dt.datetime(2026, 9, 6, 2, 0, tzinfo=UTC),
    )
)
def test_quiet_hours_defer_to_the_first_allowed_instant_across_dst(case):
    name, _, start, end, at = case
    zone = ZoneInfo(name)
    policy = ContactPolicy(InteractionLog(), [QuietHours(start, end, name)], purpose=None)
    decision = policy.check("c", "email", at)
    if not _quiet(at, zone, start, end):
        assert decision.allowed
        assert decision.earliest_allowed_at == at
        return
    assert not decision.allowed
    assert decision.deferred
    earliest = decision.earliest_allowed_at
    assert earliest is not None
    assert earliest > at
    assert not _quiet(earliest, zone, start, end)
    assert policy.check("c", "email", earliest).allowed
    # Nothing strictly between is allowed. Offsets and bounds are whole minutes, so the
    # rule only changes its answer on whole UTC minutes: a scan of those is exhaustive.
    assert _quiet(earliest - dt.timedelta(microseconds=1), zone, start, end)
    minute = at.replace(second=0, microsecond=0) + MINUTE
    while minute < earliest:
        assert _quiet(minute, zone, start, end), minute
        minute += MINUTE


def test_two_quiet_hours_rules_each_use_their_own_default_zone():
    rules = [
        QuietHours(dt.time(21), dt.time(8), default_timezone="UTC"),
        QuietHours(dt.time(21), dt.time(8), default_timezone="Asia/Tokyo"),
    ]
    policy = ContactPolicy(InteractionLog(), rules, purpose=None)
    noon_utc = dt.datetime(2026, 3, 2, 13, tzinfo=UTC)  # 22:00 in Tokyo
    decision = policy.check("c", "email", noon_utc)
    assert not decision.allowed
    assert decision.reasons == ("quiet hours 21:00-08:00 (Asia/Tokyo)",)
    # 08:00 in Tokyo is 23:00 UTC, quiet for the first rule until 08:00 UTC (17:00 Tokyo).
    assert decision.earliest_allowed_at == dt.datetime(2026, 3, 3, 8, tzinfo=UTC)


# ------------------------------------------------------------- the deferral must be allowed
def test_a_deferral_is_never_to_a_moment_when_consent_has_lapsed():
    log = InteractionLog()
    lapses = dt.datetime(2026, 3, 1, 23, tzinfo=UTC)
    log.consent.grant("c", "marketing", at=START - dt.timedelta(days=1), expires_at=lapses)
    policy = ContactPolicy(log, [QuietHours(dt.time(21), dt.time(8))])
    at = dt.datetime(2026, 3, 1, 21, 30, tzinfo=UTC)
    decision = policy.check("c", "email", at)
    assert not decision.allowed
    assert decision.earliest_allowed_at is None  # no wait helps: consent ends in the night
    assert not decision.deferred
    renewed = dt.datetime(2026, 3, 5, 12, 7, tzinfo=UTC)
    log.consent.grant("c", "marketing", at=renewed)
    decision = policy.check("c", "email", at)
    assert decision.earliest_allowed_at == renewed
    assert policy.check("c", "email", renewed).allowed
    assert not policy.check("c", "email", renewed - dt.timedelta(microseconds=1)).allowed


def test_a_withdrawal_recorded_ahead_is_respected_by_the_deferral():
    log = InteractionLog()
    log.consent.grant("c", "marketing", at=START - dt.timedelta(days=1))
    log.consent.withdraw("c", "marketing", at=dt.datetime(2026, 3, 2, 2, tzinfo=UTC))
    policy = ContactPolicy(log, [QuietHours(dt.time(21), dt.time(8))])
    decision = policy.check("c", "email", dt.datetime(2026, 3, 1, 22, tzinfo=UTC))
    assert decision.earliest_allowed_at is None
    assert not policy.check("c", "email", dt.datetime(2026, 3, 2, 8, tzinfo=UTC)).allowed


def test_consent_granted_ahead_is_when_the_contact_becomes_allowed():
    log = InteractionLog()
    later = dt.datetime(2026, 3, 4, 9, 15, tzinfo=UTC)
    log.consent.grant("c", "marketing", at=later)
    decision = ContactPolicy(log, []).check("c", "email", START)
    assert not decision.allowed
    assert decision.earliest_allowed_at == later


def test_a_long_alternation_of_caps_and_quiet_hours_still_finds_the_answer():
    # One contact a day at midnight for 70 days; at most one per 10 hours, so only
    # 10:00-14:00 is free of the cap, and quiet hours cover 10:00-14:30: the two
    # rules push the answer along a day at a time until the schedule ends.
    log = InteractionLog()
    log.consent.grant("c", "marketing", at=START - dt.timedelta(days=1))
    days = 70
    log.append([_contact("c", START + dt.timedelta(days=d + 1)) for d in range(days)])
    rules = [FrequencyCap(1, dt.timedelta(hours=10)), QuietHours(dt.time(10), dt.time(14, 30))]
    policy = ContactPolicy(log, rules)
    at = START + dt.timedelta(hours=23)
    decision = policy.check("c", "email", at)
    last = START + dt.timedelta(days=days)
    assert decision.earliest_allowed_at == last + dt.timedelta(hours=14, minutes=30)
    assert policy.check("c", "email", decision.earliest_allowed_at).allowed


def test_cooling_off_and_ignored_offers_follow_merges(tmp_path):
    with InteractionLog(tmp_path / "log.sqlite") as log:
        log.consent.grant("a", "marketing", at=START - dt.timedelta(days=1))
        log.append(
            Interaction(customer_id="b", occurred_at=START, channel="phone", kind="complaint")
        )
        log.append(
            [
                Interaction(
                    customer_id="c",
                    occurred_at=START + h * dt.timedelta(hours=1),
                    channel="email",
                    kind="offer_ignored",
                )
                for h in range(3)
            ]
        )
        log.merge(["a"], "b")
        log.merge(["c"], "a")
        rules = [
            CoolingOff(dt.timedelta(days=14)),
            IgnoredSuppression(3, dt.timedelta(days=30), dt.timedelta(days=60)),
        ]
        policy = ContactPolicy(log, rules)
        for customer in "abc":
            decision = policy.check(customer, "email", START + dt.timedelta(days=1))
            assert len(decision.reasons) == 2, customer
            assert decision.earliest_allowed_at == START + dt.timedelta(days=60, hours=2)


# ------------------------------------------------------------------------- hostile input
def test_a_bare_string_is_not_a_list_of_characters():
    with pytest.raises(DataContractError, match="customer_ids"):
        SuppressionList("C666")
    with pytest.raises(DataContractError, match="customer_ids"):
        SuppressionList({"C1", 666})


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.time(21, tzinfo=UTC), dt.time(8)),  # an aware time cannot be compared with the clock
        ("21:00", dt.time(8)),
        (dt.time(21), 8),
    ],
)
def test_quiet_hours_refuse_bounds_that_are_not_wall_clock_times(start, end):
    with pytest.raises(DataContractError, match=r"start|end"):
        QuietHours(start, end)


def test_quiet_hours_refuse_an_unknown_default_zone():
    with pytest.raises(DataContractError, match="default_timezone"):
        QuietHours(dt.time(21), dt.time(8), default_timezone="Mars/Base")


@pytest.mark.parametrize("zone", ["Europe", "a" * 5000, 5, "../../etc/passwd", "zone.tab"])
def test_a_bad_time_zone_for_a_customer_is_a_data_contract_error(zone):
    log = InteractionLog()
    policy = ContactPolicy(
        log, [QuietHours(dt.time(21), dt.time(8))], timezones={"c": zone}, purpose=None
    )
    with pytest.raises(DataContractError, match="time zone") as caught:
        policy.check("c", "email", START)
    assert caught.value.column == "timezone"


@pytest.mark.parametrize(
    "rule",
    [
        lambda: FrequencyCap(1, dt.timedelta.max),
        lambda: CoolingOff(dt.timedelta(days=10**6)),
        lambda: IgnoredSuppression(3, dt.timedelta(days=30), dt.timedelta.max),
    ],
)
def test_rules_refuse_durations_beyond_the_calendar(rule):
    with pytest.raises(DataContractError, match="at most"):
        rule()


@pytest.mark.parametrize(
    "at",
    [
        dt.datetime.max.replace(tzinfo=UTC),
        dt.datetime(9999, 12, 31, 22, tzinfo=UTC),
        dt.datetime.min.replace(tzinfo=UTC),
    ],
)
def test_a_check_at_the_end_of_the_calendar_is_refused_by_name(at):
    log = InteractionLog()
    rules = [FrequencyCap(2, dt.timedelta(days=7)), QuietHours(dt.time(21), dt.time(8))]
    with pytest.raises(DataContractError, match="'at'") as caught:
        ContactPolicy(log, rules, purpose=None).check("c", "email", at)
    assert caught.value.column == "at"


def test_a_channel_spelled_differently_cannot_slip_past_a_cap():
    log = InteractionLog()
    log.consent.grant("c", "marketing", at=START - dt.timedelta(days=1))  # every channel
    log.append([_contact("c", START), _contact("c", START + dt.timedelta(hours=1))])
    policy = ContactPolicy(log, [FrequencyCap(2, dt.timedelta(days=7), channel="email")])
    at = START + dt.timedelta(days=1)
    assert not policy.check("c", "email", at).allowed
    for spelling in ("EMAIL", "Email", " email", "e-mail"):
        with pytest.raises(DataContractError, match="channel") as caught:
            policy.check("c", spelling, at)
        assert caught.value.column == "channel"


def test_a_channel_the_log_does_not_know_is_refused():
    policy = ContactPolicy(InteractionLog(), [], purpose=None)
    with pytest.raises(DataContractError, match="pigeon"):
        policy.check("c", "pigeon", START)
    with pytest.raises(DataContractError, match="channel"):
        FrequencyCap(2, dt.timedelta(days=7), channel="Email")


@pytest.mark.parametrize("customer", [None, "", "   ", "\ud800", "x" * 1000, 1.5])
def test_a_customer_id_that_cannot_be_stored_is_refused_by_name(customer):
    policy = ContactPolicy(InteractionLog(), [SuppressionList({"x"})], purpose=None)
    with pytest.raises(DataContractError, match="customer_id") as caught:
        policy.check(customer, "email", START)
    assert caught.value.column == "customer_id"


HOUR = dt.timedelta(hours=1)
decisions = st.lists(
    st.tuples(
        st.integers(0, 10 * 24),  # hour of the decision
        st.sampled_from(["granted", "withdrawn", "denied"]),
        st.sampled_from([None, "email", "sms"]),  # the channel it covers
        st.one_of(st.none(), st.integers(1, 5 * 24)),  # a grant lapses this many hours later
    ),
    max_size=6,
)


def _consents(history: list[tuple[int, str, str | None, int | None]], at: dt.datetime) -> bool:
    """The consent rule as documented: the latest covering decision at or before ``at``."""
    allowed = False
    for hour, status, channel, lapse in sorted(history, key=lambda d: d[0]):  # stable
        when = START + hour * HOUR
        if when > at or channel not in {None, "email"}:
            continue
        allowed = status == "granted" and (lapse is None or at < when + lapse * HOUR)
    return allowed


@settings(max_examples=150, deadline=None)
@given(decisions, st.integers(0, 12 * 24 * 60))
def test_the_earliest_moment_is_the_first_with_consent_outside_quiet_hours(history, minute):
    log = InteractionLog()
    for hour, status, channel, lapse in history:
        when = START + hour * HOUR
        expires = None if lapse is None or status != "granted" else when + lapse * HOUR
        event = {"granted": log.consent.grant, "withdrawn": log.consent.withdraw}.get(status)
        if event is None:
            log.consent.deny("c", "marketing", channel=channel, at=when)
        elif expires is None:
            event("c", "marketing", channel=channel, at=when)
        else:
            log.consent.grant("c", "marketing", channel=channel, at=when, expires_at=expires)
    policy = ContactPolicy(log, [QuietHours(dt.time(21), dt.time(8))])
    at = START + minute * MINUTE

    def allowed(t: dt.datetime) -> bool:
        return _consents(history, t) and not _quiet(t, ZoneInfo("UTC"), dt.time(21), dt.time(8))

    decision = policy.check("c", "email", at)
    assert decision.allowed == allowed(at)
    earliest = decision.earliest_allowed_at
    # Everything changes on whole hours here: checking each hour in between is exhaustive.
    hour = START + (at - START) // HOUR * HOUR + HOUR
    last = START + 16 * 24 * HOUR  # past every decision and lapse
    while hour < (earliest or last):
        assert not allowed(hour), hour
        hour += HOUR
    if earliest is not None:
        assert allowed(earliest)
        assert policy.check("c", "email", earliest).allowed
