"""The identity resolver: known records resolve to their id, ids stay stable, merges are events."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from one2one.datasets import load_febrl
from one2one.errors import DataContractError, StorageError
from one2one.identify import IdentityResolver
from tests.identify.schemas import FEBRL

SCHEMA = FEBRL
RECORDS = load_febrl("dataset1").records.reset_index()


@pytest.fixture(scope="module")
def resolver():
    return IdentityResolver.from_records(RECORDS, SCHEMA)


def test_every_known_record_resolves_to_its_own_customer(resolver):
    for record in RECORDS.to_dict("records"):
        resolution = resolver.resolve(record, explain=False)
        assert not resolution.is_new
        assert resolution.customer_id == resolver.customer_of(record["rec_id"])


def test_ids_are_the_same_for_the_same_data_whatever_the_order(resolver):
    shuffled = RECORDS.sample(frac=1, random_state=3)
    again = IdentityResolver.from_records(shuffled, SCHEMA)
    pd.testing.assert_series_equal(
        again.customers().sort_index(), resolver.customers().sort_index()
    )


def test_customers_follow_the_batch_clusters(resolver):
    customers = resolver.customers()
    labels = RECORDS.assign(customer=customers.reindex(RECORDS["rec_id"]).to_numpy())
    pairs = RECORDS["rec_id"].str.replace(r"-(org|dup-\d+)$", "", regex=True)
    same_person = labels.groupby(pairs.to_numpy())["customer"].nunique()
    assert (same_person == 1).mean() > 0.99
    assert resolver.n_customers == customers.nunique()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(alphabet="qxzjvw", min_size=3, max_size=8),
    st.text(alphabet="qxzjvw", min_size=3, max_size=8),
)
def test_an_unrelated_record_changes_no_existing_id(resolver, given_name, surname):
    local = IdentityResolver.from_dict(resolver.to_dict())
    before = local.customers()
    resolution = local.add({"rec_id": "new-1", "given_name": given_name, "surname": surname})
    assert resolution.is_new
    after = local.customers()
    pd.testing.assert_series_equal(after.drop("new-1"), before)
    assert after["new-1"] not in set(before)
    assert local.events().empty


def test_a_record_that_bridges_two_customers_merges_them_as_an_event():
    person = RECORDS[RECORDS["rec_id"].str.startswith("rec-10-")]
    others = RECORDS.drop(person.index)
    local = IdentityResolver.from_records(others, SCHEMA)
    full = person[person["rec_id"] == "rec-10-org"].iloc[0].to_dict()
    address_only = full | {
        "rec_id": "x-address",
        "given_name": None,
        "date_of_birth": None,
        "soc_sec_id": None,
    }
    person_only = full | {
        "rec_id": "x-person",
        "surname": None,
        "address_1": None,
        "postcode": None,
        "suburb": None,
    }
    first = local.add(address_only, at=pd.Timestamp("2026-01-01", tz="UTC"))
    second = local.add(person_only, at=pd.Timestamp("2026-01-02", tz="UTC"))
    assert first.is_new
    assert second.is_new
    assert first.customer_id != second.customer_id
    bridge = local.add(full, at=pd.Timestamp("2026-01-03", tz="UTC"))
    assert not bridge.is_new
    events = local.events()
    assert events["kind"].tolist() == ["merge"]
    survivor = min(first.customer_id, second.customer_id)
    assert events["into_id"].iloc[0] == survivor
    assert events["from_ids"].iloc[0] == (max(first.customer_id, second.customer_id),)
    assert {local.customer_of(r) for r in ("x-address", "x-person", "rec-10-org")} == {survivor}
    # removing the bridge splits them again
    split = local.remove("rec-10-org", at=pd.Timestamp("2026-01-04", tz="UTC"))
    assert [e.kind for e in split] == ["split"]
    assert local.customer_of("x-address") != local.customer_of("x-person")


def test_save_and_load_give_identical_resolutions(resolver, tmp_path):
    for name in ("state.json", "state.json.gz"):
        path = tmp_path / name
        resolver.save(path)
        again = IdentityResolver.load(path)
        pd.testing.assert_series_equal(again.customers(), resolver.customers())
        rng = np.random.default_rng(0)
        for row in rng.choice(len(RECORDS), size=40, replace=False):
            record = RECORDS.iloc[int(row)].to_dict()
            record["surname"] = (record["surname"] or "")[::-1]  # a changed record too
            ours, theirs = resolver.resolve(record), again.resolve(record)
            assert (ours.customer_id, ours.is_new, ours.matched_record) == (
                theirs.customer_id,
                theirs.is_new,
                theirs.matched_record,
            )
            assert ours.probability == theirs.probability
            pd.testing.assert_frame_equal(
                ours.explanation.to_frame(), theirs.explanation.to_frame()
            )


def test_bad_use_is_refused(resolver, tmp_path):
    with pytest.raises(DataContractError, match="not known"):
        resolver.customer_of("nobody")
    with pytest.raises(DataContractError, match="already known"):
        IdentityResolver.from_dict(resolver.to_dict()).add(RECORDS.iloc[0].to_dict())
    with pytest.raises(DataContractError, match="needs an id"):
        resolver.add({"surname": "smith"})
    with pytest.raises(StorageError):
        IdentityResolver.load(tmp_path / "missing.json")
    with pytest.raises(DataContractError, match="not a saved"):
        IdentityResolver.from_dict({"format": "something else"})


def test_a_fitted_matcher_is_used_as_it_is_not_refitted():
    from one2one.identify import RecordMatcher  # noqa: PLC0415

    first, second = RECORDS.iloc[:600], RECORDS.iloc[600:]
    matcher = RecordMatcher(FEBRL, progress=False).fit(first)
    learnt = matcher.weights_table()
    resolver = IdentityResolver.from_records(second, FEBRL, matcher=matcher)
    pd.testing.assert_frame_equal(matcher.weights_table(), learnt)  # the model is the same
    expected = matcher.predict(second)  # and the customers are its predictions
    got = pd.Series({rid: resolver.customer_of(rid) for rid in second["rec_id"]})
    pairs = pd.DataFrame({"a": expected.sort_index().to_numpy(), "b": got.sort_index().to_numpy()})
    assert pairs.groupby("a")["b"].nunique().eq(1).all()
    assert pairs.groupby("b")["a"].nunique().eq(1).all()
