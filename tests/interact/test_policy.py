"""Contact policy: never allows what a rule forbids, and says when a contact would be allowed."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
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
    QuietHours(dt.time(21), dt.time(8)),
    CoolingOff(dt.timedelta(days=14)),
    IgnoredSuppression(3, dt.timedelta(days=30), dt.timedelta(days=60)),
    SuppressionList({"blocked"}),
]
TZ = {"c1": "Europe/London", "c2": "America/New_York", "blocked": "UTC"}


def _log(contacts, complaints, ignores, customer):
    log = InteractionLog()
    log.consent.grant(customer, "marketing", at=START - DAY)
    events = [
        Interaction(
            customer_id=customer,
            occurred_at=START + dt.timedelta(hours=h),
            channel=c,
            kind="offer_made",
            direction="outbound",
        )
        for h, c in contacts
    ]
    events += [
        Interaction(
            customer_id=customer,
            occurred_at=START + dt.timedelta(hours=h),
            channel="phone",
            kind="complaint",
        )
        for h in complaints
    ]
    events += [
        Interaction(
            customer_id=customer,
            occurred_at=START + dt.timedelta(hours=h),
            channel="email",
            kind="offer_ignored",
        )
        for h in ignores
    ]
    log.append(events)
    return log


def _breaks_a_rule(contacts, complaints, ignores, customer, channel, at):  # noqa: PLR0917
    """An independent, brute-force reading of every rule in RULES."""
    times = [(START + dt.timedelta(hours=h), c) for h, c in contacts] + [(at, channel)]
    for k, window, scope in ((2, dt.timedelta(days=7), "email"), (3, dt.timedelta(days=7), None)):
        if scope is not None and channel != scope:
            continue
        chosen = sorted(t for t, c in times if scope is None or c == scope)
        for s in chosen:
            inside = [t for t in chosen if s <= t < s + window]
            if at in inside and len(inside) > k:
                return True
    local = at.astimezone(ZoneInfo(TZ[customer])).time()
    if local >= dt.time(21) or local < dt.time(8):
        return True
    for h in complaints:
        c = START + dt.timedelta(hours=h)
        if c <= at < c + dt.timedelta(days=14):
            return True
    ignored = sorted(START + dt.timedelta(hours=h) for h in ignores)
    for i in range(2, len(ignored)):
        if ignored[i] <= at < ignored[i] + dt.timedelta(days=60) and ignored[i] - ignored[
            i - 2
        ] <= dt.timedelta(days=30):
            return True
    return customer == "blocked"


hours = st.integers(0, 24 * 60)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.tuples(hours, st.sampled_from(["email", "sms"])), max_size=10),
    st.lists(hours, max_size=2),
    st.lists(hours, max_size=5),
    st.sampled_from(["c1", "c2", "blocked"]),
    st.sampled_from(["email", "sms"]),
    hours,
    st.integers(0, 59),
)
def test_the_policy_never_allows_a_contact_that_breaks_a_rule(  # noqa: PLR0917
    contacts, complaints, ignores, customer, channel, hour, minute
):
    log = _log(contacts, complaints, ignores, customer)
    policy = ContactPolicy(log, RULES, timezones=TZ)
    at = START + dt.timedelta(hours=hour, minutes=minute)
    decision = policy.check(customer, channel, at)
    assert decision.allowed == (
        not _breaks_a_rule(contacts, complaints, ignores, customer, channel, at)
    )
    assert decision.allowed == (not decision.reasons)
    if decision.earliest_allowed_at is not None:
        later = decision.earliest_allowed_at
        assert later >= at
        assert not _breaks_a_rule(contacts, complaints, ignores, customer, channel, later)
        assert policy.check(customer, channel, later).allowed
        # The first such moment: every rule changes its answer on whole hours here
        # (contacts, windows, zones' offsets), so checking each hour in between is exhaustive.
        hour = START + (at - START) // HOUR * HOUR + HOUR
        while hour < later:
            assert _breaks_a_rule(contacts, complaints, ignores, customer, channel, hour), hour
            hour += HOUR
    else:
        assert not decision.allowed


def test_quiet_hours_defer_in_the_customer_time_zone():
    log = _log([], [], [], "c2")
    policy = ContactPolicy(log, [QuietHours(dt.time(21), dt.time(8))], timezones=TZ)
    late = dt.datetime(2026, 3, 10, 3, tzinfo=dt.UTC)  # 22:00 the evening before in New York
    decision = policy.check("c2", "email", late)
    assert not decision.allowed
    assert decision.deferred
    assert decision.earliest_allowed_at == dt.datetime(
        2026, 3, 10, 8, tzinfo=ZoneInfo("America/New_York")
    )
    assert "quiet hours" in decision.reasons[0]


def test_a_cap_plus_quiet_hours_is_not_merely_deferred():
    contacts = [(0, "email"), (10, "email")]
    log = _log(contacts, [], [], "c1")
    policy = ContactPolicy(log, RULES, timezones=TZ)
    decision = policy.check("c1", "email", START + dt.timedelta(hours=22))
    assert not decision.deferred
    assert len(decision.reasons) == 2
    assert decision.earliest_allowed_at == START + dt.timedelta(days=7, hours=8)


def test_no_consent_means_no_contact_and_no_waiting_helps():
    log = InteractionLog()
    decision = ContactPolicy(log, []).check("c9", "email", START)
    assert not decision.allowed
    assert decision.earliest_allowed_at is None
    assert "consent" in decision.reasons[0]
    assert ContactPolicy(log, [], purpose=None).check("c9", "email", START).allowed


def test_rules_refuse_nonsense():
    with pytest.raises(DataContractError, match="max_contacts"):
        FrequencyCap(0, DAY)
    with pytest.raises(DataContractError, match="window"):
        FrequencyCap(2, dt.timedelta(0))
    with pytest.raises(DataContractError, match="time zone"):
        ContactPolicy(
            _log([], [], [], "c1"),
            [QuietHours(dt.time(21), dt.time(8))],
            timezones={"c1": "Mars/Base"},
        ).check("c1", "email", START)


def test_a_merged_customer_is_checked_against_every_id_merged_into_it():
    log = InteractionLog()
    log.consent.grant("old", "marketing", at=START - DAY)  # every channel, under the old id
    log.consent.grant("new", "marketing", channel="email", at=START - DAY)
    log.append(
        [
            Interaction(
                customer_id=customer,
                occurred_at=START + dt.timedelta(hours=10 + i),
                channel="email",
                kind="offer_made",
                direction="outbound",
            )
            for i, customer in enumerate(["old", "new"])
        ]
    )
    policy = ContactPolicy(log, [FrequencyCap(2, dt.timedelta(days=7), channel="email")])
    at = START + DAY + dt.timedelta(hours=12)
    assert policy.check("new", "email", at).allowed  # one email under "new" alone
    assert not policy.check("new", "sms", at).allowed  # no sms consent under "new" alone
    log.merge(["old"], "new")
    for customer in ("new", "old"):  # either id sees both emails and the consent
        decision = policy.check(customer, "email", at)
        assert not decision.allowed
        assert "email" in decision.reasons[0]
        assert policy.check(customer, "sms", at).allowed
