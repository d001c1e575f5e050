"""Golden records: one value per field and customer, by declared rules, with provenance."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.datasets import load_febrl
from one2one.errors import DataContractError, DataWarning
from one2one.identify import (
    Custom,
    GoldenRecordPolicy,
    IdentityResolver,
    Longest,
    MostFrequent,
    MostRecent,
    MostTrusted,
)
from one2one.identify._golden import golden_frame, output_fields
from tests.identify.schemas import FEBRL

RECORDS = load_febrl("dataset1").records.reset_index()
SOURCES = ("crm", "web", "store")
RULES = {
    "frequent": MostFrequent(),
    "recent": MostRecent("seen"),
    "trusted": MostTrusted("source", ["crm", "web"]),
    "longest": Longest(),
    "custom": Custom(min, name="smallest"),
}


@st.composite
def record_frames(draw):
    """Records of a few customers: a text value (sometimes missing), a source, a time."""
    n = draw(st.integers(1, 14))
    rows = {
        "customer": draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n)),
        "value": draw(
            st.lists(st.sampled_from(["x", "yy", "zzz", "x ", None, ""]), min_size=n, max_size=n)
        ),
        "source": draw(st.lists(st.sampled_from(SOURCES), min_size=n, max_size=n)),
        "seen": draw(
            st.lists(
                st.one_of(st.none(), st.integers(0, 5).map(lambda d: f"2026-01-0{d + 1}")),
                min_size=n,
                max_size=n,
            )
        ),
    }
    frame = pd.DataFrame(rows)
    frame["seen"] = pd.to_datetime(frame["seen"])
    frame["value"] = frame["value"].astype("string")
    ids = draw(st.permutations(list(range(100, 100 + n))))
    return frame, list(ids)


def _golden(frame, ids, rule, *, time=None):
    policy = GoldenRecordPolicy(rules={"value": rule}, fields=["value"], source="source", time=time)
    fields = output_fields(policy, list(frame.columns))
    return golden_frame(frame, frame["customer"].tolist(), ids, policy, fields)


def _present(frame):
    return frame["value"].notna() & (frame["value"].fillna("").str.strip() != "")


@settings(max_examples=60, deadline=None)
@given(record_frames(), st.sampled_from(sorted(RULES)))
def test_the_value_comes_from_one_of_the_customers_present_records(data, rule):
    frame, ids = data
    golden = _golden(frame, ids, RULES[rule])
    by_id = frame.set_axis(ids)
    for customer, row in golden.iterrows():
        mine = by_id[by_id["customer"] == customer]
        present = mine[_present(mine)]
        if present.empty:  # only missing or blank values: nothing wins
            assert pd.isna(row["value"])
            assert pd.isna(row["value__record_id"])
            continue
        supplier = int(row["value__record_id"])
        assert supplier in present.index
        assert present.at[supplier, "value"] == row["value"]
        assert present.at[supplier, "source"] == row["value__source"]


@settings(max_examples=60, deadline=None)
@given(record_frames())
def test_most_frequent_keeps_a_value_with_the_highest_count(data):
    frame, ids = data
    golden = _golden(frame, ids, MostFrequent())
    for customer, row in golden.dropna(subset=["value"]).iterrows():
        mine = frame[(frame["customer"] == customer) & _present(frame)]
        counts = mine["value"].value_counts()
        assert counts[row["value"]] == counts.max()


@settings(max_examples=60, deadline=None)
@given(record_frames())
def test_most_recent_keeps_the_latest_present_value(data):
    frame, ids = data
    golden = _golden(frame, ids, MostRecent("seen"))
    by_id = frame.set_axis(ids)
    for customer, row in golden.dropna(subset=["value"]).iterrows():
        mine = by_id[(by_id["customer"] == customer) & _present(by_id)]
        supplier = int(row["value__record_id"])
        if mine["seen"].notna().any():
            assert by_id.at[supplier, "seen"] == mine["seen"].max()
            latest = mine[mine["seen"] == mine["seen"].max()]
            assert supplier == min(latest.index)  # tie: the lowest record id
        else:
            assert supplier == min(mine.index)


@settings(max_examples=60, deadline=None)
@given(record_frames())
def test_trusted_longest_and_custom_keep_the_best_ranked_value(data):
    frame, ids = data
    trusted = _golden(frame, ids, MostTrusted("source", ["crm", "web"]))
    longest = _golden(frame, ids, Longest())
    smallest = _golden(frame, ids, RULES["custom"])
    rank = {"crm": 0, "web": 1, "store": 2}
    for customer in trusted.dropna(subset=["value"]).index:
        mine = frame[(frame["customer"] == customer) & _present(frame)]
        assert rank[trusted.at[customer, "value__source"]] == mine["source"].map(rank).min()
        assert len(longest.at[customer, "value"]) == mine["value"].str.len().max()
        assert smallest.at[customer, "value"] == min(mine["value"])


@settings(max_examples=60, deadline=None)
@given(record_frames(), st.sampled_from(sorted(RULES)), st.randoms(use_true_random=False))
def test_golden_records_do_not_depend_on_record_order(data, rule, random):
    frame, ids = data
    order = list(range(len(frame)))
    random.shuffle(order)
    shuffled = frame.iloc[order].reset_index(drop=True)
    expected = _golden(frame, ids, RULES[rule], time="seen")
    got = _golden(shuffled, [ids[k] for k in order], RULES[rule], time="seen")
    pd.testing.assert_frame_equal(got, expected)


@settings(max_examples=60, deadline=None)
@given(record_frames(), st.sampled_from(sorted(RULES)))
def test_removing_the_supplier_moves_the_provenance_to_another_record(data, rule):
    frame, ids = data
    golden = _golden(frame, ids, RULES[rule])
    for customer, row in golden.dropna(subset=["value"]).iterrows():
        supplier = int(row["value__record_id"])
        keep = [k for k, i in enumerate(ids) if i != supplier]
        after = _golden(
            frame.iloc[keep].reset_index(drop=True), [ids[k] for k in keep], RULES[rule]
        )
        if customer in after.index and pd.notna(after.at[customer, "value__record_id"]):
            assert int(after.at[customer, "value__record_id"]) != supplier
            moved = int(after.at[customer, "value__record_id"])
            assert frame.set_axis(ids).at[moved, "customer"] == customer


# -- on the resolver, with Febrl --------------------------------------------
@pytest.fixture(scope="module")
def resolver():
    return IdentityResolver.from_records(RECORDS, FEBRL)


def _copy(resolver):
    return IdentityResolver.from_dict(resolver.to_dict())


def _customer_with_records(resolver, n=2):
    sizes = resolver.customers().value_counts()
    return str(sizes.index[sizes >= n][0])


POLICY = GoldenRecordPolicy(
    fields=["given_name", "surname", "address_1", "date_of_birth"],
    rules={"address_1": Longest()},
    source="source",
)


def test_every_customer_has_one_golden_record_from_their_own_records(resolver):
    golden = resolver.golden_records(POLICY, records=RECORDS)
    customers = resolver.customers()
    assert golden.index.tolist() == sorted(customers.unique())
    supplied = golden["surname__record_id"].dropna()
    assert (customers.reindex(supplied.to_numpy()).to_numpy() == supplied.index).all()


def test_a_febrl_customer_gets_original_values_with_provenance(resolver):
    customer = _customer_with_records(resolver)
    mine = RECORDS.set_index("rec_id").loc[
        resolver.customers()[resolver.customers() == customer].index
    ]
    assert len(mine) >= 2
    record = resolver.golden_record(customer, POLICY, records=RECORDS)
    street = record.fields["address_1"]
    assert len(street) == mine["address_1"].dropna().str.len().max()
    supplier = record.provenance["address_1"]
    assert mine.at[supplier.record_id, "address_1"] == street
    assert supplier.source == "dataset1"
    assert supplier.time is None  # the policy names no time column
    row = resolver.golden_records(POLICY, records=RECORDS).loc[customer]
    assert row["address_1"] == street
    assert row["address_1__record_id"] == supplier.record_id


def test_without_records_the_values_are_the_normalised_identity_fields(resolver):
    golden = resolver.golden_records()
    assert {"given_name", "surname", "date_of_birth"} <= set(golden.columns)
    dob = golden["date_of_birth"].dropna()
    assert dob.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()  # normalised, not as in the file


def test_removing_the_supplying_record_moves_the_provenance(resolver):
    local = _copy(resolver)
    customer = _customer_with_records(local)
    supplier = local.golden_record(customer).provenance["surname"].record_id
    local.remove(supplier)
    after = local.golden_record(customer).provenance["surname"]
    assert after.record_id != supplier
    assert local.customer_of(after.record_id) == customer


def test_an_added_record_and_a_forgotten_customer_show_at_once(resolver):
    local = _copy(resolver)
    customer = _customer_with_records(local)
    local.forget(customer)
    with pytest.raises(DataContractError, match="forgotten") as caught:
        local.golden_record(customer)
    assert caught.value.value == customer
    assert customer not in local.golden_records().index
    with pytest.warns(DataWarning, match="not records this resolver knows"):
        golden = local.golden_records(POLICY, records=RECORDS)
    assert customer not in golden.index
    new = {"rec_id": "new-1", "given_name": "qxzj", "surname": "vwqz", "address_1": "1 Quay St"}
    created = local.add(new).customer_id
    assert local.golden_record(created).fields["given_name"] == "qxzj"
    records = pd.concat([RECORDS, pd.DataFrame([new])], ignore_index=True)
    with pytest.warns(DataWarning):
        golden = local.golden_records(POLICY, records=records)
    assert golden.at[created, "address_1"] == "1 Quay St"  # as given, not normalised


def test_unknown_fields_and_columns_are_refused_by_name(resolver):
    with pytest.raises(DataContractError, match="'email'") as caught:
        resolver.golden_records(GoldenRecordPolicy(fields=["email"]), records=RECORDS)
    assert caught.value.column == "email"
    with pytest.raises(DataContractError, match="'updated_at'"):
        resolver.golden_records(
            GoldenRecordPolicy(rules={"surname": MostRecent("updated_at")}), records=RECORDS
        )
    with pytest.raises(DataContractError, match="'channel'"):
        resolver.golden_records(GoldenRecordPolicy(source="channel"))
    with pytest.raises(DataContractError, match="'given_name'"):
        GoldenRecordPolicy(rules={"given_name": "latest"})  # not a rule
    with pytest.raises(DataContractError, match="'surname'"):
        GoldenRecordPolicy(fields=["given_name"], rules={"surname": Longest()})


def test_bad_inputs_are_refused(resolver):
    customer = _customer_with_records(resolver)
    with pytest.raises(DataContractError, match="not known") as caught:
        resolver.golden_record("C9999999")
    assert caught.value.value == "C9999999"
    with pytest.raises(DataContractError, match="lack 1 record"):
        resolver.golden_records(POLICY, records=RECORDS.iloc[1:])
    with pytest.raises(DataContractError, match="datetimes"):
        resolver.golden_records(GoldenRecordPolicy(time="date_of_birth"), records=RECORDS)
    odd = Custom(lambda _: "not one of them", name="odd")
    with pytest.raises(DataContractError, match="'odd'"):
        resolver.golden_record(customer, GoldenRecordPolicy(default=odd))


def test_most_recent_and_time_provenance_on_febrl(resolver):
    customer = _customer_with_records(resolver)
    stamps = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        np.arange(len(RECORDS)), unit="D"
    )
    records = RECORDS.assign(updated_at=stamps)
    policy = GoldenRecordPolicy(
        fields=["surname"], rules={"surname": MostRecent("updated_at")}, time="updated_at"
    )
    record = resolver.golden_record(customer, policy, records=records)
    mine = records[records["rec_id"].map(resolver.customer_of) == customer].dropna(
        subset=["surname"]
    )
    latest = mine.loc[mine["updated_at"].idxmax()]
    assert record.provenance["surname"].record_id == latest["rec_id"]
    assert record.provenance["surname"].time == latest["updated_at"]


def test_integer_record_ids_keep_their_type_in_the_provenance():
    records = RECORDS.iloc[:200].assign(rec_id=np.arange(200) * 7)
    local = IdentityResolver.from_records(records, FEBRL)
    golden = local.golden_records(POLICY, records=records)
    assert str(golden["surname__record_id"].dtype) == "Int64"
    customer = golden.index[0]
    supplier = local.golden_record(customer, POLICY, records=records).provenance["surname"]
    assert isinstance(supplier.record_id, int)
    assert supplier.record_id == golden.at[customer, "surname__record_id"]
    assert local.customer_of(supplier.record_id) == customer


def test_a_merge_joins_the_golden_records(resolver):
    customer = _customer_with_records(resolver)
    first, second = sorted(resolver.customers()[resolver.customers() == customer].index)[:2]
    state = resolver.to_dict()  # the two records filed as two customers
    apart = f"C{state['next']:07d}"
    state["customer_ids"][state["record_ids"].index(second)] = apart
    state["next"] += 1
    local = IdentityResolver.from_dict(state)
    assert local.golden_record(apart).provenance["surname"].record_id == second
    row = RECORDS.set_index("rec_id").loc[first].to_dict()
    resolution = local.add({**row, "rec_id": "again"})  # matches both
    survivor = resolution.customer_id
    assert local.events()["kind"].tolist()[-1] == "merge"
    suppliers = {p.record_id for p in local.golden_record(survivor).provenance.values() if p}
    assert suppliers <= {first, second, "again"}
    absorbed = apart if survivor != apart else customer
    with pytest.raises(DataContractError, match="merged into"):
        local.golden_record(absorbed)
    golden = local.golden_records()
    assert absorbed not in golden.index
    assert set(golden.index) == set(local.customers())
