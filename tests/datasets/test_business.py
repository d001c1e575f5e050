"""The simulated business: one customer base, its channels' records and the truth."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.datasets import BUSINESS_OFFERS, RIDING, simulate_business
from one2one.errors import DataContractError


@pytest.fixture(scope="module")
def business():
    return simulate_business(1_500, random_state=4)


def test_every_event_belongs_to_a_known_record_and_person(business):
    records = set(business.records["record_id"])
    assert set(business.events["record_id"]) <= records
    assert set(business.person_of_record.index) == records
    assert set(business.person_of_record) == set(business.people.index)
    counts = business.person_of_record.value_counts()
    assert (business.people["n_records"] == counts.reindex(business.people.index)).all()
    assert business.events["event_id"].is_unique
    assert business.events["occurred_at"].is_monotonic_increasing
    assert (business.events["occurred_at"] <= business.observation_end).all()


def test_a_refund_returns_an_earlier_order_of_the_same_record_in_full(business):
    events = business.events
    sales = events[events["kind"] == "purchase"]
    refunds = events[events["kind"] == "return"]
    assert len(refunds) > 0
    order = sales.assign(order_id=[p["order_id"] for p in sales["payload"]]).set_index("order_id")
    assert order.index.is_unique
    for refund in refunds.itertuples():
        sale = order.loc[refund.payload["order_id"]]
        assert refund.value == -sale["value"]
        assert refund.occurred_at > sale["occurred_at"]
        assert refund.record_id == sale["record_id"]


def test_purchases_arrive_through_the_records_own_channel(business):
    source = business.records.set_index("record_id")["source"]
    sales = business.events[business.events["kind"] == "purchase"]
    expected = source.reindex(sales["record_id"]).map(
        {"web": "web", "store": "store", "call_centre": "phone"}
    )
    assert (sales["channel"].to_numpy() == expected.to_numpy()).all()
    # people with several records buy under more than one of them: identity matters
    person = business.person_of_record.reindex(sales["record_id"]).to_numpy()
    spread = pd.Series(sales["record_id"].to_numpy()).groupby(person).nunique()
    assert (spread > 1).sum() > 50


def test_consent_is_given_by_exactly_the_people_who_would(business):
    consents = business.events[business.events["kind"] == "consent_granted"]
    people = business.person_of_record.reindex(consents["record_id"])
    assert people.is_unique
    assert set(people) == set(business.people.index[business.people["email_consent"]])
    assert all(p == {"purpose": "marketing", "channel": "email"} for p in consents["payload"])


def test_views_lean_to_each_persons_own_riding(business):
    views = business.events[business.events["kind"] == "view"]
    person = business.person_of_record.reindex(views["record_id"]).to_numpy()
    own = business.people["riding"].reindex(person).astype(str).to_numpy()
    seen = np.array([p["riding"] for p in views["payload"]])
    assert set(seen) <= set(RIDING)
    assert 0.7 < (seen == own).mean() < 0.9  # 70% own plus a third of the rest by chance


def test_the_fitting_offer_is_ten_times_likelier_to_be_accepted(business):
    acceptance = business.acceptance
    assert list(acceptance.columns) == list(BUSINESS_OFFERS)
    fitting = acceptance.to_numpy()[
        np.arange(len(acceptance)), business.people["riding"].cat.codes.to_numpy()
    ]
    assert (fitting == 0.30).all()
    np.testing.assert_allclose(acceptance.to_numpy().sum(axis=1), 0.36)
    rng = np.random.default_rng(0)
    person = int(acceptance.index[0])
    offer = BUSINESS_OFFERS[int(business.people["riding"].cat.codes.iloc[0])]
    assert 0.2 < np.mean([business.respond(person, offer, rng) for _ in range(2_000)]) < 0.4


def test_respond_refuses_unknown_offers_and_people(business):
    rng = np.random.default_rng(0)
    with pytest.raises(DataContractError) as error:
        business.respond(int(business.people.index[0]), "free-bike", rng)
    assert error.value.value == "free-bike"
    with pytest.raises(DataContractError):
        business.respond(-1, BUSINESS_OFFERS[0], rng)


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_the_same_seed_gives_the_same_business(seed):
    a = simulate_business(200, weeks=8, random_state=seed)
    b = simulate_business(200, weeks=8, random_state=seed)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.people, b.people)
    assert (a.events["value"].dropna().round(2) == a.events["value"].dropna()).all()


def test_true_links_are_the_pairs_of_records_of_one_person(business):
    links = business.true_links
    person = business.person_of_record
    assert (links["rec_id_1"] < links["rec_id_2"]).all()
    same = (
        person.reindex(links["rec_id_1"]).to_numpy() == person.reindex(links["rec_id_2"]).to_numpy()
    )
    assert same.all()
    sizes = person.value_counts()
    assert len(links) == int((sizes * (sizes - 1) // 2).sum())
