"""Interact's charts: the numbers behind each, checked independently, and the drawing."""

import datetime as dt
import itertools
import sys
from collections import Counter, defaultdict
from statistics import NormalDist

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.datasets import SHOP_CATEGORIES, simulate_shop
from one2one.errors import DataContractError, MissingDependencyError
from one2one.interact import (
    ALL_CHANNELS,
    ALL_OFFERS,
    CONSENT_STATUSES,
    ContactPolicy,
    FrequencyCap,
    Interaction,
    InteractionLog,
    NextBestAction,
    Offer,
    consent_event,
    consent_table,
    contact_pressure_table,
    logged_decisions,
    off_policy_table,
    off_policy_value,
    offer_learning_table,
    plot_consent,
    plot_contact_pressure,
    plot_off_policy,
    plot_offer_learning,
)

mpl.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.dates import ConciseDateFormatter

START = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)  # a Monday
WEEK = dt.timedelta(days=7)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def shop():
    """A simulated shop: a week of browsing, e-mail consent, two weeks of learned offers.

    The contact policy caps e-mail at two a week; every offer gets one response.
    """
    shop = simulate_shop(120, days=7, random_state=3)
    log = InteractionLog()
    log.append(shop.events.to_dict("records"))
    consenting = shop.customers.index[shop.customers["email_consent"]]
    log.append(
        [
            consent_event(
                c, "marketing", "granted", at=START - 30 * dt.timedelta(1), channel="email"
            )
            for c in consenting
        ]
    )
    policy = ContactPolicy(log, [FrequencyCap(2, WEEK, channel="email")])
    offers = [Offer(f"{c}-10", "email") for c in SHOP_CATEGORIES]
    nba = NextBestAction(log, offers, policy=policy, random_state=0)
    rng = np.random.default_rng(0)
    favourite = shop.customers["favourite_category"]
    for day in range(7, 21):
        at = START + dt.timedelta(days=day, hours=10)
        for customer in shop.customers.index:
            action = nba.choose(customer, at)
            if action.offer is None:
                continue
            nba.record(action)
            fits = action.offer.offer_id.startswith(favourite[customer])
            accepted = rng.random() < (0.3 if fits else 0.03)
            log.append(
                Interaction(
                    customer_id=customer,
                    occurred_at=at + dt.timedelta(hours=2),
                    channel="email",
                    kind="offer_accepted" if accepted else "offer_ignored",
                    offer_id=action.offer.offer_id,
                )
            )
    return log, nba, policy


def _contacts(rows):
    """A log without consent checks holding ``(customer, channel, moment)`` contacts."""
    log = InteractionLog(require_consent=False)
    log.append(
        [
            {
                "customer_id": customer,
                "occurred_at": at,
                "channel": channel,
                "kind": "offer_made",
                "direction": "outbound",
            }
            for customer, channel, at in rows
        ]
    )
    return log


def _monday(moment):
    """The Monday (UTC calendar) of the ISO week holding ``moment``, as a date."""
    day = moment.astimezone(dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


# --- contact pressure ----------------------------------------------------------------------
def test_contact_pressure_table_counts_every_contact_by_week_channel_and_customer(shop):
    log, _, _ = shop
    events = log.to_pandas(kinds=["offer_made", "message"])
    per = Counter()
    for customer, channel, at in zip(
        events["customer_id"], events["channel"], events["occurred_at"], strict=True
    ):
        for scope in (channel, ALL_CHANNELS):
            per[(_monday(at), scope, customer)] += 1
    expected = defaultdict(list)
    for (week, scope, _), n in per.items():
        expected[(week, scope)].append(n)

    table = contact_pressure_table(log)
    got = {
        (period.start_time.date(), channel): (contacts, customers, most)
        for period, channel, contacts, customers, most in zip(
            table["period"],
            table["channel"],
            table["contacts"],
            table["customers"],
            table["max_per_customer"],
            strict=True,
        )
        if customers
    }
    assert got == {key: (sum(v), len(v), max(v)) for key, v in expected.items()}
    np.testing.assert_allclose(table["per_customer"], table["contacts"] / table["customers"])
    # The policy capped e-mail at two a week, so no customer got more.
    assert table["max_per_customer"].max() == 2


def test_a_quiet_week_is_a_row_of_zeros_and_each_channel_adds_up():
    log = _contacts(
        [
            ("a", "email", START),
            ("a", "sms", START + dt.timedelta(days=1)),
            ("b", "email", START + dt.timedelta(days=2)),
            ("a", "email", START + 2 * WEEK),  # the week between is quiet
        ]
    )
    table = contact_pressure_table(log).set_index(["period", "channel"])
    weeks = sorted(table.index.get_level_values("period").unique())
    assert [w.start_time.date() for w in weeks] == [
        START.date(),
        (START + WEEK).date(),
        (START + 2 * WEEK).date(),
    ]
    first, quiet = weeks[0], weeks[1]
    assert table.loc[(first, "email")].tolist()[:2] == [2, 2]
    assert table.loc[(first, "sms")].tolist()[:2] == [1, 1]
    assert table.loc[(first, ALL_CHANNELS), "contacts"] == 3
    assert table.loc[(first, ALL_CHANNELS), "max_per_customer"] == 2
    assert (table.loc[quiet, ["contacts", "customers", "max_per_customer"]] == 0).all().all()
    assert table.loc[quiet, "per_customer"].isna().all()


def test_weeks_follow_the_calendar_of_tz():
    sunday_night = dt.datetime(2026, 11, 8, 23, 30, tzinfo=dt.UTC)  # Monday 00:30 in Berlin
    log = _contacts([("a", "email", sunday_night)])
    utc = contact_pressure_table(log)["period"].iloc[0]
    berlin = contact_pressure_table(log, tz="Europe/Berlin")["period"].iloc[0]
    assert utc.start_time.date() == dt.date(2026, 11, 2)
    assert berlin.start_time.date() == dt.date(2026, 11, 9)


def test_an_events_frame_gives_the_same_table_as_the_log(shop):
    log, _, _ = shop
    pd.testing.assert_frame_equal(
        contact_pressure_table(log.to_pandas()), contact_pressure_table(log)
    )


def test_plot_contact_pressure_draws_the_table_and_the_cap(shop):
    log, _, policy = shop
    ax = plot_contact_pressure(log, caps=policy)
    table = contact_pressure_table(log)
    email = table[table["channel"] == "email"]
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["email: mean per customer"].get_ydata(), email["per_customer"])
    np.testing.assert_allclose(
        lines["email: most to one customer"].get_ydata(), email["max_per_customer"]
    )
    cap = lines["cap: 2 email contacts in 7 days"]
    assert set(cap.get_ydata()) == {2}
    assert ALL_CHANNELS + ": mean per customer" not in lines  # one channel, no global cap


@pytest.mark.parametrize(
    ("cap", "freq", "level"),
    [
        (FrequencyCap(2, WEEK), "D", 2),  # a week's cap allows it all in one day
        (FrequencyCap(1, dt.timedelta(days=3)), "W", 3),  # days 0, 3 and 6 of a week
        (FrequencyCap(4, dt.timedelta(hours=12)), "D", 8),
    ],
)
def test_the_cap_line_is_the_most_the_cap_allows_in_one_period(cap, freq, level):
    log = _contacts([("a", "email", START)])
    ax = plot_contact_pressure(log, caps=[cap], freq=freq)
    line = next(line for line in ax.get_lines() if line.get_label().startswith("cap"))
    assert set(line.get_ydata()) == {level}
    assert any(line.get_label().startswith(ALL_CHANNELS) for line in ax.get_lines())


def test_count_and_date_axes_are_readable(shop):
    log, _, policy = shop
    ax = plot_contact_pressure(log, caps=policy, freq="D")
    ticks = ax.get_yticks()
    assert np.allclose(ticks, np.round(ticks))  # contacts are whole
    assert isinstance(ax.xaxis.get_major_formatter(), ConciseDateFormatter)
    _assert_no_overlapping_tick_labels(ax)


def _assert_no_overlapping_tick_labels(ax):
    figure = ax.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    boxes = [
        label.get_window_extent(renderer)
        for label in ax.get_xticklabels()
        if label.get_visible() and label.get_text()
    ]
    assert len(boxes) >= 2
    boxes.sort(key=lambda box: box.x0)
    assert all(left.x1 <= right.x0 for left, right in itertools.pairwise(boxes))


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({"freq": "Y"}, "freq"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"kinds": ["purchase"]}, "kinds"),
    ],
)
def test_contact_pressure_refuses_bad_arguments(kwargs, column):
    log = _contacts([("a", "email", START)])
    with pytest.raises(DataContractError) as info:
        contact_pressure_table(log, **kwargs)
    assert info.value.column == column


def test_contact_pressure_refuses_other_sources_and_caps():
    with pytest.raises(DataContractError, match="InteractionLog") as info:
        contact_pressure_table([1, 2, 3])
    assert info.value.column == "log"
    frame = _contacts([("a", "email", START)]).to_pandas().drop(columns="channel")
    with pytest.raises(DataContractError, match="channel"):
        contact_pressure_table(frame)
    with pytest.raises(DataContractError, match="FrequencyCap") as info:
        plot_contact_pressure(_contacts([("a", "email", START)]), caps=["2 a week"])
    assert info.value.column == "caps"


# --- consent -------------------------------------------------------------------------------
def test_consent_table_reads_each_status_as_consent_allows_it():
    log = InteractionLog()
    day = dt.timedelta(days=1)
    log.consent.grant("a", "marketing", at=START, expires_at=START + 10 * day)
    log.consent.deny("b", "marketing", at=START)
    log.consent.grant("c", "marketing", channel="sms", at=START)
    log.consent.grant("d", "marketing", at=START)
    log.consent.withdraw("d", "marketing", at=START + 8 * day)
    log.append(
        Interaction(customer_id="e", occurred_at=START + 9 * day, channel="web", kind="visit")
    )
    table = consent_table(log, channel="email")
    assert table["customers"].tolist() == [4, 5]  # e arrives in the second week
    first, second = table.iloc[0], table.iloc[1]
    # Week 1: a granted (still live), b denied, c's sms grant does not cover e-mail, d granted.
    assert first[list(CONSENT_STATUSES)].tolist() == [0.5, 0.0, 0.0, 0.25, 0.25]
    # Week 2: a's grant expired, d withdrew, e was never asked.
    assert second[list(CONSENT_STATUSES)].tolist() == [0.0, 0.2, 0.2, 0.2, 0.4]
    # On any channel, c's sms grant counts.
    assert consent_table(log).iloc[0]["granted"] == 0.75


def test_a_fixed_population_counts_customers_before_they_appear():
    log = InteractionLog()
    log.consent.grant("a", "marketing", at=START)
    log.consent.grant("b", "marketing", at=START + WEEK)
    table = consent_table(log, customers=["a", "b", "z"])
    assert table["customers"].tolist() == [3, 3]
    assert table["granted"].tolist() == pytest.approx([1 / 3, 2 / 3])
    assert table["none"].tolist() == pytest.approx([2 / 3, 1 / 3])


decisions = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["granted", "denied", "withdrawn"]),
        st.sampled_from([None, "email", "sms"]),
        st.integers(0, 40),  # days after START
        st.one_of(st.none(), st.integers(1, 30)),  # expires after, in days
    ),
    min_size=1,
    max_size=12,
)


@given(decisions=decisions, channel=st.sampled_from([None, "email"]))
@settings(max_examples=30)
def test_the_granted_share_is_the_share_consent_allows(decisions, channel):
    log = InteractionLog()
    for customer, status, scope, day, expiry in decisions:
        at = START + dt.timedelta(days=day, hours=9)
        expires = None if expiry is None or status != "granted" else at + dt.timedelta(expiry)
        log.append(
            consent_event(customer, "marketing", status, at=at, channel=scope, expires_at=expires)
        )
    table = consent_table(log, channel=channel)
    np.testing.assert_allclose(table[list(CONSENT_STATUSES)].sum(axis=1), 1.0)
    seen = {
        c: min(START + dt.timedelta(days=d, hours=9) for c2, *_, d, _ in decisions if c2 == c)
        for c, *_ in decisions
    }
    for at, granted, counted in zip(table["at"], table["granted"], table["customers"], strict=True):
        present = [c for c, first in seen.items() if first <= at]
        assert counted == len(present)
        allowed = [log.consent.allows(c, "marketing", channel, at=at) for c in present]
        assert granted == pytest.approx(np.mean(allowed))


def test_plot_consent_stacks_the_shares_to_one(shop):
    log, _, _ = shop
    ax = plot_consent(log, channel="email")
    table = consent_table(log, channel="email")
    present = [s for s in CONSENT_STATUSES if (table[s] > 0).any()]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == present[::-1]
    bands = ax.collections
    assert len(bands) == len(present)
    granted_top = bands[0].get_paths()[0].vertices[:, 1]
    assert set(np.round(granted_top, 9)) <= {0.0, *np.round(table["granted"], 9)}
    top = bands[-1].get_paths()[0].vertices[:, 1]
    assert np.isclose(top.max(), 1.0)
    assert ax.get_ylim() == (0, 1)


def test_consent_refuses_unknown_names():
    log = InteractionLog()
    log.consent.grant("a", "marketing", at=START)
    with pytest.raises(DataContractError) as info:
        consent_table(log, channel="fax")
    assert info.value.column == "channel"
    with pytest.raises(DataContractError) as info:
        consent_table(log, "world domination")
    assert info.value.column == "purpose"
    with pytest.raises(DataContractError, match="no events"):
        consent_table(InteractionLog())


# --- offer learning ------------------------------------------------------------------------
def test_offer_learning_table_equals_a_count_of_offers_and_responses(shop):
    log, nba, _ = shop
    events = log.to_pandas()
    offers = events[events["kind"] == "offer_made"]
    accepted = events[events["kind"] == "offer_accepted"]
    made = Counter(zip(offers["occurred_at"].dt.date, offers["offer_id"], strict=True))
    # Every offer was answered two hours later, so an acceptance belongs to its offer's day.
    won = Counter(zip(accepted["occurred_at"].dt.date, accepted["offer_id"], strict=True))

    table = offer_learning_table(nba)
    per_offer = table[table["offer_id"] != ALL_OFFERS]
    got_made = {
        (p.start_time.date(), o): n
        for p, o, n in zip(
            per_offer["period"], per_offer["offer_id"], per_offer["offers"], strict=True
        )
        if n
    }
    got_won = {
        (p.start_time.date(), o): r
        for p, o, r in zip(
            per_offer["period"], per_offer["offer_id"], per_offer["reward"], strict=True
        )
        if r
    }
    assert got_made == dict(made)
    assert got_won == dict(won)
    np.testing.assert_allclose(per_offer.groupby("period")["share"].sum(), 1.0)
    every = table[table["offer_id"] == ALL_OFFERS]
    assert every["cumulative_offers"].iloc[-1] == len(offers)
    assert every["cumulative_reward"].iloc[-1] == len(accepted)
    assert every["acceptance"].tolist() == pytest.approx(every["reward"] / every["offers"])


def test_a_log_a_learner_and_its_decisions_give_one_table(shop):
    log, nba, _ = shop
    expected = offer_learning_table(log)
    pd.testing.assert_frame_equal(offer_learning_table(nba), expected)
    pd.testing.assert_frame_equal(offer_learning_table(logged_decisions(log)), expected)


@pytest.mark.parametrize("value", ["share", "acceptance", "cumulative_reward"])
def test_plot_offer_learning_draws_the_table(shop, value):
    _, nba, _ = shop
    ax = plot_offer_learning(nba, value=value)
    table = offer_learning_table(nba)
    lines = {line.get_label(): line for line in ax.get_lines()}
    expected = set(table["offer_id"]) - ({ALL_OFFERS} if value == "share" else set())
    assert set(lines) == expected
    for offer, line in lines.items():
        rows = table[table["offer_id"] == offer]
        np.testing.assert_allclose(line.get_ydata(), rows[value])
    assert isinstance(ax.xaxis.get_major_formatter(), ConciseDateFormatter)


def test_offer_learning_refuses_bad_input(shop):
    _, nba, _ = shop
    with pytest.raises(DataContractError) as info:
        plot_offer_learning(nba, value="profit")
    assert info.value.column == "value"
    with pytest.raises(DataContractError, match="no logged offers"):
        offer_learning_table(InteractionLog())
    with pytest.raises(DataContractError) as info:
        offer_learning_table("log.db")
    assert info.value.column == "source"
    decisions = logged_decisions(nba.log).assign(reward="yes")
    with pytest.raises(DataContractError) as info:
        offer_learning_table(decisions)
    assert info.value.column == "reward"


# --- off-policy comparison -----------------------------------------------------------------
@pytest.fixture(scope="module")
def estimates(shop):
    log, nba, _ = shop
    decisions = logged_decisions(log)
    names = [o.offer_id for o in nba.offers]
    return {
        "always shoes": off_policy_value(decisions, lambda _: "shoes-10", offers=names),
        "always books": off_policy_value(decisions, lambda _: "books-10", offers=names),
        "uniform": off_policy_value(decisions, lambda _: np.full(5, 0.2), offers=names),
    }


@pytest.mark.parametrize("level", [0.9, 0.95])
def test_off_policy_table_holds_each_estimate_and_its_normal_interval(estimates, level):
    table = off_policy_table(estimates, level=level)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    assert list(table.index) == list(estimates)
    for name, estimate in estimates.items():
        row = table.loc[name]
        assert row["dr"] == estimate.dr
        assert row["dr_low"] == pytest.approx(estimate.dr - z * estimate.dr_standard_error)
        assert row["dr_high"] == pytest.approx(estimate.dr + z * estimate.dr_standard_error)
        assert (row["ips"], row["snips"], row["logged"]) == (
            estimate.ips,
            estimate.snips,
            estimate.logged,
        )
        assert row["n"] == estimate.n


def test_plot_off_policy_draws_estimates_intervals_and_the_logged_policy(estimates):
    ax = plot_off_policy(estimates)
    table = off_policy_table(estimates)
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["IPS"].get_xdata(), table["ips"])
    np.testing.assert_allclose(lines["SNIPS"].get_xdata(), table["snips"])
    assert set(lines["logged policy"].get_xdata()) == {table["logged"].iloc[0]}
    bars = ax.containers[0]  # the error bar container
    points = bars.lines[0].get_xdata()
    np.testing.assert_allclose(points, table["dr"])
    segments = bars.lines[2][0].get_segments()
    np.testing.assert_allclose([s[0][0] for s in segments], table["dr_low"])
    np.testing.assert_allclose([s[1][0] for s in segments], table["dr_high"])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("always shoes\n(effective n ")


def test_off_policy_refuses_bad_input(estimates):
    with pytest.raises(DataContractError) as info:
        off_policy_table({})
    assert info.value.column == "estimates"
    with pytest.raises(DataContractError) as info:
        off_policy_table({"mine": 0.3})
    assert info.value.column == "mine"
    with pytest.raises(DataContractError) as info:
        off_policy_table(estimates, level=1.0)
    assert info.value.column == "level"


# --- the optional dependency ---------------------------------------------------------------
def test_plots_name_the_extra_when_matplotlib_is_missing(shop, estimates, monkeypatch):
    log, nba, policy = shop
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    calls = [
        lambda: plot_contact_pressure(log, caps=policy),
        lambda: plot_consent(log),
        lambda: plot_offer_learning(nba),
        lambda: plot_off_policy(estimates),
    ]
    for call in calls:
        with pytest.raises(MissingDependencyError, match=r"one2one-marketing\[plot\]"):
            call()
    # The tables need no matplotlib.
    assert not contact_pressure_table(log).empty
    assert not offer_learning_table(nba).empty
