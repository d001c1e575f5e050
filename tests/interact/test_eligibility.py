"""Next-best-action eligibility sees value: tiers, segments and CLV per customer reach the rules."""

import datetime as dt
from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.differentiate import value_tiers
from one2one.errors import DataContractError, DataWarning
from one2one.interact import Interaction, InteractionLog, NextBestAction, Offer

AT = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)
TIERS = ["most valuable", "most growable", "migrators", "below zero"]


def _log(customers):
    log = InteractionLog()
    for customer in customers:
        log.consent.grant(customer, "marketing", channel="email", at=AT - dt.timedelta(days=1))
    return log


def _table(tiers):
    return pd.DataFrame(
        {"tier": tiers, "clv": np.linspace(10.0, 1000.0, len(tiers))},
        index=pd.Index([f"c{i}" for i in range(len(tiers))], name="customer_id"),
    )


OFFERS = [
    Offer("vip", "email", requires={"tier": "most valuable"}),
    Offer("welcome", "email"),
]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(TIERS), min_size=1, max_size=8), st.integers(0, 2**16))
def test_an_offer_for_the_most_valuable_is_never_chosen_for_others(tiers, seed):
    table = _table(tiers)
    nobody = "most valuable" not in tiers  # an offer that reaches nobody is reported
    with pytest.warns(DataWarning, match="reach nobody") if nobody else nullcontext():
        nba = NextBestAction(_log(table.index), OFFERS, customers=table, random_state=seed)
    for customer, tier in table["tier"].items():
        action = nba.choose(customer, AT)
        if tier == "most valuable":
            assert "vip" not in dict(action.excluded)
        else:
            assert action.offer.offer_id == "welcome"
            assert "tier" in dict(action.excluded)["vip"]


def test_requirements_take_a_set_of_values_or_a_test_of_the_value():
    table = _table(["most valuable", "most growable", "migrators"])
    offers = [
        Offer("grow", "email", requires={"tier": {"most valuable", "most growable"}}),
        Offer("big", "email", requires={"clv": lambda clv: clv >= 500}),
    ]
    nba = NextBestAction(_log(table.index), offers, customers=table, random_state=0)
    allowed = {c: {o for o, _ in nba.choose(c, AT).excluded} for c in table.index}
    assert allowed == {"c0": {"big"}, "c1": set(), "c2": {"grow"}}


def test_a_customer_missing_from_the_table_gets_no_offer_that_needs_it():
    table = _table(["most valuable"])
    nba = NextBestAction(_log(["c0", "new"]), OFFERS, customers=table, random_state=0)
    action = nba.choose("new", AT)
    assert action.offer.offer_id == "welcome"
    assert "not in the customers table" in dict(action.excluded)["vip"]
    strict = NextBestAction(_log(["c0", "new"]), OFFERS, customers=table, unknown_customers="raise")
    with pytest.raises(DataContractError, match="'new'") as error:
        strict.choose("new", AT)
    assert error.value.column == "customer_id"


def test_a_missing_value_is_not_a_match():
    table = _table(["most valuable", "most valuable"])
    table.loc["c1", "tier"] = None
    nba = NextBestAction(_log(table.index), OFFERS, customers=table, random_state=0)
    assert "vip" in dict(nba.choose("c1", AT).excluded)
    assert "vip" not in dict(nba.choose("c0", AT).excluded)


def test_a_merged_customer_is_found_under_the_surviving_id():
    table = _table(["most valuable"])
    log = _log(["c0", "old"])
    log.merge(["old"], "c0", at=AT - dt.timedelta(hours=1))
    nba = NextBestAction(log, OFFERS, customers=table, random_state=0)
    assert "vip" not in dict(nba.choose("old", AT).excluded)


def test_a_requirement_naming_no_column_is_refused_with_the_columns_listed():
    offers = [Offer("vip", "email", requires={"teir": "most valuable"})]
    with pytest.raises(DataContractError, match="'teir'") as error:
        NextBestAction(_log(["c0"]), offers, customers=_table(["most valuable"]))
    assert "'tier'" in str(error.value)
    assert "'clv'" in str(error.value)
    assert error.value.column == "teir"


def test_a_requirement_without_a_customers_table_is_refused():
    with pytest.raises(DataContractError, match="customers="):
        NextBestAction(_log(["c0"]), OFFERS)


def test_a_value_no_customer_has_is_reported():
    offers = [Offer("vip", "email", requires={"tier": "most valueable"})]
    with pytest.warns(DataWarning, match="no customer of 2") as record:
        NextBestAction(_log(["c0"]), offers, customers=_table(["most valuable", "migrators"]))
    assert "'most valuable'" in str(record[0].message)


@pytest.mark.parametrize(
    ("table", "match"),
    [
        (pd.DataFrame({"tier": ["x"]}, index=["c0"]), "customer_id"),
        (
            pd.DataFrame({"tier": ["x", "y"]}, index=pd.Index(["c0", "c0"], name="customer_id")),
            "twice",
        ),
        ("tiers.csv", "DataFrame"),
        (pd.DataFrame({"tier": [1]}, index=pd.Index(["c0"], name="customer_id")), "text"),
        (
            pd.DataFrame(
                {"tier": ["x"], "clv": ["high"]}, index=pd.Index(["c0"], name="customer_id")
            ),
            "clv",
        ),
    ],
)
def test_a_bad_customers_table_is_refused(table, match):
    with pytest.raises(DataContractError, match=match):
        NextBestAction(_log(["c0"]), OFFERS, customers=table)


def test_a_customer_id_column_is_an_index_too():
    table = _table(["most valuable", "migrators"]).reset_index()
    nba = NextBestAction(_log(["c0", "c1"]), OFFERS, customers=table, random_state=0)
    assert "vip" in dict(nba.choose("c1", AT).excluded)


@pytest.mark.parametrize("requires", [{"": 1}, {"tier": None}, "tier", {"tier": [["a"]]}])
def test_a_malformed_requirement_is_refused(requires):
    with pytest.raises(DataContractError, match="requires"):
        Offer("vip", "email", requires=requires)


def test_new_tiers_replace_the_old_table():
    with pytest.warns(DataWarning, match="reach nobody"):
        nba = NextBestAction(_log(["c0"]), OFFERS, customers=_table(["migrators"]))
    assert "vip" in dict(nba.choose("c0", AT).excluded)
    nba.customers = _table(["most valuable"])
    assert "vip" not in dict(nba.choose("c0", AT).excluded)
    with pytest.raises(DataContractError, match="'tier'"):
        nba.customers = _table(["x"]).drop(columns="tier")


def test_tiers_from_the_logs_own_money_reach_the_offer():
    """Real producers: the log's transactions -> differentiate.value_tiers -> eligibility."""
    log = _log([f"c{i}" for i in range(10)])
    log.append(
        [
            Interaction(
                customer_id=f"c{i}",
                occurred_at=AT - dt.timedelta(days=30 - i),
                channel="web",
                kind="purchase",
                value=float(10 * (i + 1) ** 2),
            )
            for i in range(10)
        ]
    )
    spend = log.transactions().groupby("customer_id")["value"].sum()
    tiers = value_tiers(spend.to_frame("actual_value"))
    nba = NextBestAction(log, OFFERS, customers=tiers, random_state=0)
    chosen = {c: nba.choose(c, AT).offer.offer_id for c in tiers.index}
    best = set(tiers.index[tiers["tier"] == "most valuable"])
    assert best == {"c8", "c9"}
    assert {c for c, o in chosen.items() if o == "vip"} <= best
    assert all("vip" in dict(nba.choose(c, AT).excluded) for c in set(tiers.index) - best)
