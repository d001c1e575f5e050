import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from one2one.datasets import IDENTITY_FIELDS, SimulatedIdentities, simulate_identities
from one2one.errors import DataContractError

COLUMNS = [
    "record_id",
    "given_name",
    "surname",
    "email",
    "phone",
    "street",
    "postcode",
    "city",
    "date_of_birth",
]
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d %b %Y")
NICKNAMES = {
    ("robert", "bob"),
    ("william", "bill"),
    ("william", "will"),
    ("william", "liam"),
    ("elizabeth", "liz"),
    ("katherine", "kate"),
    ("thomas", "tom"),
    ("joshua", "josh"),
    ("benjamin", "ben"),
    ("nicholas", "nick"),
    ("james", "jim"),
    ("matthew", "matt"),
    ("samuel", "sam"),
    ("jessica", "jess"),
    ("michael", "mike"),
    ("daniel", "dan"),
    ("john", "jack"),
}


@pytest.fixture(scope="module")
def sim():
    return simulate_identities(3000, seed=11)


def _frame(sim):
    """Records indexed by record id, with the truth alongside."""
    records = sim.records.set_index("record_id")
    return records.assign(entity=sim.true_entities, household=sim.true_households)


def _phone_digits(phones):
    """Digits of a phone number in national form (+61 replaced by the trunk 0)."""
    digits = phones.str.replace(r"\D", "", regex=True)
    return digits.str.replace(r"^61", "0", regex=True)


def _mailbox(emails):
    """The mailbox an address reaches: lower case; for Gmail without dots and +tags."""
    emails = emails.str.lower()
    local = emails.str.split("@").str[0]
    domain = emails.str.split("@").str[1]
    gmail = domain == "gmail.com"
    plain = local.str.split("+").str[0].str.replace(".", "", regex=False)
    return local.where(~gmail, plain) + "@" + domain


def _parse_dates(values):
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[s]")
    for fmt in DATE_FORMATS:
        attempt = pd.to_datetime(values, format=fmt, errors="coerce")
        parsed = parsed.fillna(attempt.astype("datetime64[s]"))
    # d/m/yyyy without zero padding
    parts = values.str.extract(r"^(\d{1,2})/(\d{1,2})/(\d{4})$").astype("float")
    padded = pd.to_datetime(
        pd.DataFrame({"year": parts[2], "month": parts[1], "day": parts[0]}), errors="coerce"
    )
    return parsed.fillna(padded.astype("datetime64[s]"))


def _pairs_brute_force(entities):
    """All same-entity pairs by a self-join: the obvious O(n * k) answer, for small n."""
    frame = pd.DataFrame({"rec_id": entities.index.astype(str), "entity": entities.to_numpy()})
    pairs = frame.merge(frame, on="entity", suffixes=("_1", "_2"))
    pairs = pairs[pairs["rec_id_1"] < pairs["rec_id_2"]]
    return set(zip(pairs["rec_id_1"], pairs["rec_id_2"], strict=True))


def test_records_have_the_documented_schema(sim):
    records = sim.records
    assert isinstance(sim, SimulatedIdentities)
    assert list(records.columns) == COLUMNS
    assert list(IDENTITY_FIELDS) == COLUMNS[1:]
    assert len(records) == 3000
    for column in COLUMNS:
        dtype = records[column].dtype
        assert isinstance(dtype, pd.StringDtype), column
        assert dtype.na_value is pd.NA, column
    assert records["record_id"].notna().all()
    assert records["record_id"].is_unique
    assert records["record_id"].str.fullmatch(r"r\d{7}").all()
    # Some of every field is missing, but not most of it.
    assert records[COLUMNS[1:]].isna().any().all()
    assert (records[COLUMNS[1:]].isna().mean() < 0.15).all()


def test_truth_is_indexed_by_record_id(sim):
    ids = sim.records["record_id"].tolist()
    for truth, name in ((sim.true_entities, "entity_id"), (sim.true_households, "household_id")):
        assert truth.name == name
        assert truth.dtype == np.dtype("int64")
        assert truth.index.name == "record_id"
        assert truth.index.tolist() == ids
    assert sim.params == {
        "n_records": 3000,
        "duplicate_share": 0.3,
        "max_duplicates": 4,
        "household_share": 0.1,
        "missing_share": 0.05,
    }


def test_duplicates_are_spread_through_the_file(sim):
    entity = sim.true_entities.to_numpy()
    assert sim.true_entities.value_counts().max() >= 2
    adjacent = (entity[1:] == entity[:-1]).mean()
    assert adjacent < 0.01


def test_entity_sizes_follow_the_arguments(sim):
    sizes = sim.true_entities.value_counts()
    assert sizes.max() <= 1 + 4
    # About 30% of people have duplicates (binomial sd ~1% at ~1,900 people).
    assert 0.25 < (sizes > 1).mean() < 0.35


def test_true_links_are_exactly_the_same_entity_pairs(sim):
    links = sim.true_links
    assert list(links.columns) == ["rec_id_1", "rec_id_2"]
    assert all(isinstance(links[c].dtype, pd.StringDtype) for c in links.columns)
    assert (links["rec_id_1"] < links["rec_id_2"]).all()
    assert not links.duplicated().any()
    entity = sim.true_entities
    assert (entity[links["rec_id_1"]].to_numpy() == entity[links["rec_id_2"]].to_numpy()).all()
    sizes = entity.value_counts()
    assert len(links) == int((sizes * (sizes - 1) // 2).sum())
    assert set(zip(links["rec_id_1"], links["rec_id_2"], strict=True)) == _pairs_brute_force(entity)


def test_without_duplicates_every_record_is_its_own_person():
    sim = simulate_identities(200, duplicate_share=0.0, seed=3)
    assert sim.true_entities.is_unique
    assert len(sim.true_links) == 0
    assert list(sim.true_links.columns) == ["rec_id_1", "rec_id_2"]


def test_households_share_an_address_but_are_different_people():
    sim = simulate_identities(
        2000, duplicate_share=0.0, household_share=0.3, missing_share=0.0, seed=5
    )
    frame = _frame(sim)
    # Without duplicates each record is one person; a household is named after its head.
    heads = frame[frame["entity"] == frame["household"]].set_index("entity")
    members = frame[frame["entity"] != frame["household"]]
    assert 0.2 < len(members) / len(frame) < 0.4
    head = heads.loc[members["household"]]
    for column in ("street", "postcode", "city", "surname"):
        assert (members[column].to_numpy() == head[column].to_numpy()).all(), column
    assert (members["given_name"].to_numpy() != head["given_name"].to_numpy()).all()
    born = _parse_dates(members["date_of_birth"]).to_numpy()
    head_born = _parse_dates(head["date_of_birth"]).to_numpy()
    assert (born != head_born).all()
    same_phone = _phone_digits(members["phone"]).to_numpy() == _phone_digits(head["phone"])
    assert 0.4 < same_phone.mean() < 0.8
    # Different households never share a phone.
    digits = _phone_digits(frame["phone"])
    assert frame.groupby(digits)["household"].nunique().max() == 1


def test_originals_are_clean_and_distinct_people_share_names():
    sim = simulate_identities(
        20_000, duplicate_share=0.0, household_share=0.0, missing_share=0.0, seed=8
    )
    records = sim.records
    # Clean records are in title case and their e-mail is made from the name.
    assert (records["given_name"] == records["given_name"].str.title()).mean() > 0.99
    given = records["given_name"].str.lower().str.replace(r"[^a-z]", "", regex=True)
    surname = records["surname"].str.lower().str.replace(r"[^a-z]", "", regex=True)
    local = records["email"].str.split("@").str[0]
    built = [(g in e or s in e) for g, s, e in zip(given, surname, local, strict=True)]
    assert all(built)
    # Common names are shared by many different people ...
    names = records.groupby(["given_name", "surname"]).size()
    assert names.max() >= 3
    assert (names >= 2).sum() > 100
    # ... while a name together with a date of birth is nearly unique.
    born = _parse_dates(records["date_of_birth"])
    assert born.notna().all()
    same = records.assign(born=born).groupby(["given_name", "surname", "born"]).size()
    assert (same >= 2).sum() < 20


def test_duplicates_are_corrupted_but_recognisable():
    sim = simulate_identities(
        6000, duplicate_share=1.0, max_duplicates=1, household_share=0.0, missing_share=0.0, seed=4
    )
    frame = _frame(sim)
    assert (frame.groupby("entity").size() == 2).all()
    pairs = frame.reset_index().sort_values(["entity", "record_id"])
    a, b = pairs.iloc[::2].reset_index(drop=True), pairs.iloc[1::2].reset_index(drop=True)
    assert (a["entity"] == b["entity"]).all()

    given_a, given_b = a["given_name"].str.lower(), b["given_name"].str.lower()
    assert 0.6 < (given_a == given_b).mean() < 0.95
    nicknames = {tuple(sorted(p)) for p in zip(given_a, given_b, strict=True)} & {
        tuple(sorted(p)) for p in NICKNAMES
    }
    assert len(nicknames) >= 3
    swapped = (a["given_name"].str.lower() == b["surname"].str.lower()) & (
        a["surname"].str.lower() == b["given_name"].str.lower()
    )
    assert swapped.any()

    # Phones are written differently but mostly reduce to the same digits.
    assert (a["phone"] != b["phone"]).mean() > 0.2
    assert (_phone_digits(a["phone"]) == _phone_digits(b["phone"])).mean() > 0.93
    # Most addresses reach the same mailbox, some are written differently.
    assert (_mailbox(a["email"]) == _mailbox(b["email"])).mean() > 0.8
    assert ((a["email"] != b["email"]) & (_mailbox(a["email"]) == _mailbox(b["email"]))).any()
    # Dates of birth: other formats, a few day/month swaps, never another year.
    born_a, born_b = _parse_dates(a["date_of_birth"]), _parse_dates(b["date_of_birth"])
    assert (a["date_of_birth"] != b["date_of_birth"]).mean() > 0.2
    assert 0.9 < (born_a == born_b).mean() < 1.0
    assert (born_a.dt.year == born_b.dt.year).all()
    swapped_dm = (born_a.dt.day == born_b.dt.month) & (born_a.dt.month == born_b.dt.day)
    assert (swapped_dm | (born_a == born_b)).all()
    # Abbreviated street types.
    assert (a["street"].str.endswith(" St") | b["street"].str.endswith(" St")).any()
    # Typos in postcodes.
    assert 0.0 < (a["postcode"] != b["postcode"]).mean() < 0.1


def test_each_mailbox_and_phone_has_one_owner(sim):
    frame = _frame(sim)
    mailbox = _mailbox(frame["email"])
    assert frame.groupby(mailbox)["entity"].nunique().max() == 1
    digits = _phone_digits(frame["phone"]).dropna()
    assert digits.str.fullmatch(r"0[2378]\d{8}|04\d{8}").all()


def test_every_date_of_birth_reads_as_a_date_in_range(sim):
    dates = sim.records["date_of_birth"].dropna()
    born = _parse_dates(dates)
    assert born.notna().all()
    assert born.min() >= pd.Timestamp("1940-01-01")
    assert born.max() <= pd.Timestamp("2005-12-31")
    styles = [
        dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}"),
        dates.str.fullmatch(r"\d{2}/\d{2}/\d{4}"),
        dates.str.fullmatch(r"\d{8}"),
        dates.str.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}"),
    ]
    assert all(style.any() for style in styles)


def test_missing_share_is_honoured():
    sim = simulate_identities(5000, missing_share=0.2, seed=2)
    missing = sim.records[COLUMNS[1:]].isna().mean()
    assert ((missing > 0.17) & (missing < 0.23)).all()
    assert sim.records["record_id"].notna().all()


def test_everything_missing_still_leaves_one_field():
    sim = simulate_identities(300, missing_share=1.0, seed=2)
    assert (sim.records[COLUMNS[1:]].notna().sum(axis=1) == 1).all()


def test_same_seed_same_data_and_other_seed_other_data():
    a = simulate_identities(500, seed=42)
    b = simulate_identities(500, seed=42)
    c = simulate_identities(500, seed=43)
    pd.testing.assert_frame_equal(a.records, b.records)
    pd.testing.assert_series_equal(a.true_entities, b.true_entities)
    pd.testing.assert_series_equal(a.true_households, b.true_households)
    assert not a.records.equals(c.records)


def test_a_generator_is_accepted_as_seed():
    a = simulate_identities(100, seed=np.random.default_rng(9))
    b = simulate_identities(100, seed=np.random.default_rng(9))
    pd.testing.assert_frame_equal(a.records, b.records)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"n_records": 0}, "n_records"),
        ({"n_records": -5}, "n_records"),
        ({"n_records": 10.5}, "n_records"),
        ({"n_records": "100"}, "n_records"),
        ({"n_records": True}, "n_records"),
        ({"duplicate_share": -0.1}, "duplicate_share"),
        ({"duplicate_share": 1.5}, "duplicate_share"),
        ({"duplicate_share": math.nan}, "duplicate_share"),
        ({"max_duplicates": 0}, "max_duplicates"),
        ({"max_duplicates": 2.5}, "max_duplicates"),
        ({"household_share": 2}, "household_share"),
        ({"missing_share": -1e-9}, "missing_share"),
        ({"missing_share": math.inf}, "missing_share"),
        ({"seed": "seven"}, "random_state"),
    ],
)
def test_bad_arguments_are_refused(kwargs, argument):
    arguments = {"n_records": 10, **kwargs}
    with pytest.raises(DataContractError, match=re.escape(argument)) as info:
        simulate_identities(**arguments)
    assert info.value.column == argument


@settings(max_examples=30)
@given(
    n=st.integers(1, 300),
    arguments=st.fixed_dictionaries(
        {
            "duplicate_share": st.floats(0, 1),
            "max_duplicates": st.integers(1, 6),
            "household_share": st.floats(0, 1),
            "missing_share": st.floats(0, 1),
            "seed": st.integers(0, 2**32 - 1),
        }
    ),
)
def test_any_valid_arguments_give_consistent_data(n, arguments):
    sim = simulate_identities(n, **arguments)
    records = sim.records
    assert len(records) == n
    assert records["record_id"].is_unique
    assert (records[COLUMNS[1:]].notna().sum(axis=1) >= 1).all()
    assert list(sim.true_entities.index) == list(records["record_id"])
    sizes = sim.true_entities.value_counts()
    assert sizes.max() <= 1 + arguments["max_duplicates"]
    if arguments["duplicate_share"] == 0:
        assert sizes.max() == 1
    links = sim.true_links
    assert len(links) == int((sizes * (sizes - 1) // 2).sum())
    assert set(zip(links["rec_id_1"], links["rec_id_2"], strict=True)) == _pairs_brute_force(
        sim.true_entities
    )
    # Every record of a person lives in that person's household.
    assert sim.true_households.groupby(sim.true_entities).nunique().max() == 1
    if arguments["household_share"] == 0:
        assert (sim.true_households == sim.true_entities).all()
