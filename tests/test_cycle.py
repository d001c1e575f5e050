"""One simulated business around the whole cycle, with a check at every hand-off."""

import numpy as np
import pandas as pd
import pytest

from one2one._cycle import run_cycle
from one2one.contracts import CUSTOMER_VALUES, TRANSACTIONS, VALUE_TIERS
from one2one.customize import Configurator, ProductModel
from one2one.datasets import BUSINESS_OFFERS, RIDING, load_product_model, simulate_business

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def business():
    return simulate_business(2_000, random_state=5)


@pytest.fixture(scope="module")
def cycle(business):
    return run_cycle(business, rounds=4, random_state=1)


def _person(business, cycle):
    """The true person behind each resolved customer (the most common among its records)."""
    records = cycle.customer_of_record
    truth = business.person_of_record.reindex(records.index)
    return truth.groupby(records.to_numpy()).agg(lambda s: s.mode().iloc[0])


def test_identify_hands_the_log_one_id_per_person(business, cycle):
    assert cycle.identity["f1"] >= 0.97
    assert set(cycle.customer_of_record.index) == set(business.records["record_id"])
    logged = set(cycle.log.to_pandas()["customer_id"])
    assert logged <= set(cycle.customer_of_record)  # merged-away ids are re-keyed
    assert cycle.merges >= 0


def test_the_logs_money_is_the_business_money(business, cycle):
    transactions = TRANSACTIONS.validate(cycle.log.transactions())
    money = business.events["value"].dropna()
    assert transactions["value"].sum() == pytest.approx(money.sum(), abs=0.01)
    assert (transactions["value"] < 0).sum() == (business.events["kind"] == "return").sum()


def test_lifetime_value_follows_the_true_purchase_rate(business, cycle):
    values = CUSTOMER_VALUES.validate(cycle.customer_values)
    assert set(values.index) <= set(cycle.summary.index)
    person = _person(business, cycle).reindex(values.index)
    truth = business.people.loc[person.to_numpy()]
    worth = truth["purchase_rate"].to_numpy() * truth["mean_spend"].to_numpy()
    worth = worth * (1 - truth["dropout_prob"].to_numpy())
    rho = pd.Series(values["clv"].to_numpy()).corr(pd.Series(worth), method="spearman")
    assert rho > 0.3  # 0.44 measured; unrelated values would give about 0


def test_every_valued_customer_has_one_tier_and_below_zero_costs_more(cycle):
    tiers = VALUE_TIERS.validate(cycle.tiers)
    assert set(tiers.index) == set(cycle.customer_values.index)
    below = tiers[tiers["tier"] == "below zero"]
    assert (below["net_value"] < 0).all()
    assert set(tiers["tier"]) >= {"most valuable", "most growable", "below zero"}


def test_needs_segments_are_the_kinds_of_riding(business, cycle):
    person = _person(business, cycle).reindex(cycle.segments.index)
    riding = business.people.loc[person.to_numpy(), "riding"].astype(str).to_numpy()
    assert set(cycle.segments) == set(RIDING)
    assert (cycle.segments.to_numpy() == riding).mean() > 0.6


def test_offers_respect_consent_and_tier_and_learn_what_fits(business, cycle):
    offers = cycle.offers
    assert set(offers["offer_id"]) <= set(BUSINESS_OFFERS)
    person = _person(business, cycle).reindex(offers["customer_id"])
    assert business.people.loc[person.to_numpy(), "email_consent"].all()
    tier = cycle.tiers["tier"].reindex(offers["customer_id"])
    assert (tier != "below zero").all()
    assert offers.groupby("customer_id")["round"].value_counts().max() == 1  # cap: 1 a week
    by_round = offers.groupby("round")["fits"].mean()
    assert by_round.iloc[-1] > by_round.iloc[0]
    assert offers.loc[offers["round"] == offers["round"].max(), "accepted"].mean() > 0.2
    assert offers["propensity"].between(0, 1).all()


def test_the_followed_customer_gets_a_valid_bicycle_from_their_profile(cycle):
    model = ProductModel.from_dict(load_product_model("bicycle"))
    assert Configurator(model).check(dict(cycle.configuration)) == []
    assert cycle.price <= cycle.needs.budget
    interest = cycle.profile_before.preferences["riding"]
    top = max(interest, key=interest.get)
    assert all(cycle.needs.weights[a] != 0 for a in _attributes_of(top))
    # the session was logged, and the profile learnt the options chosen
    assert cycle.profile_after.interactions > cycle.profile_before.interactions
    chosen = set(cycle.profile_after.preferences.get("option", {}))
    assert chosen
    assert chosen <= {o for o, v in cycle.configuration.items() if v}


def _attributes_of(riding):
    from one2one._cycle import NEEDS_OF_RIDING  # noqa: PLC0415

    return NEEDS_OF_RIDING[riding]["weights"]


def test_the_followed_customer_is_in_every_step(cycle):
    who = cycle.followed
    assert (cycle.customer_of_record == who).sum() >= 2  # several records joined
    assert who in cycle.customer_values.index
    assert who in cycle.tiers.index
    assert who in cycle.segments.index
    assert who in set(cycle.offers["customer_id"])
    assert np.isfinite(cycle.customer_values.loc[who, "clv"])
    assert cycle.name
