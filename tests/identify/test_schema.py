"""RecordSchema: the column contract of identity resolution."""

import contextlib

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from one2one.datasets import load_febrl
from one2one.errors import DataContractError, DataWarning
from one2one.identify import RecordSchema
from tests.identify.schemas import FEBRL


def test_standardising_febrl_keeps_every_record_and_every_missing_value():
    data = load_febrl("dataset2")
    records = data.records.reset_index()
    table = FEBRL.standardise(records)
    assert table.shape == (5000, 7)
    assert table.index.name == "record_id"
    assert table.index.is_unique
    assert (table.dtypes == "string").all()
    # A blank stays blank: missing source values are missing after normalisation.
    for name, column in FEBRL.fields().items():
        assert (table[name].isna().to_numpy() >= records[column].isna().to_numpy()).all()
    # True duplicates agree on the normalised surname far more often than random pairs.
    links = data.true_links
    first = table.loc[links["rec_id_1"], "surname"].reset_index(drop=True)
    second = table.loc[links["rec_id_2"], "surname"].reset_index(drop=True)
    shuffled = second.sample(frac=1.0, random_state=0).reset_index(drop=True)
    assert (first == second).mean(skipna=True) > 0.5
    assert (first == shuffled).mean(skipna=True) < 0.02


def test_custom_fields_and_round_trip():
    schema = RecordSchema(record_id="id", email="mail", custom={"employer": "company"})
    records = pd.DataFrame({"id": [1, 2], "mail": ["A@x.org", None], "company": ["Acme", "BETA"]})
    table = schema.standardise(records)
    assert table["email"].iloc[0] == "a@x.org"
    assert table["email"].isna().tolist() == [False, True]
    assert table["employer"].tolist() == ["acme", "beta"]
    assert RecordSchema.from_dict(schema.to_dict()) == schema


@pytest.mark.parametrize(
    ("records", "match", "column"),
    [
        (pd.DataFrame({"id": [1], "name": ["x"]}), "missing required column", "mail"),
        (pd.DataFrame({"id": [], "mail": []}), "empty", "id"),
        (pd.DataFrame({"id": [1, 1], "mail": ["a@b.c", "d@e.f"]}), "one row per", "id"),
        (pd.DataFrame({"id": [1, None], "mail": ["a@b.c", "d@e.f"]}), "missing value", "id"),
        (pd.DataFrame({"id": [1, 2], "mail": [None, " "]}), "empty in every record", "mail"),
        (pd.DataFrame({"id": [1, 2], "mail": ["a@b.c", ["x"]]}), "text or numbers", "mail"),
    ],
)
def test_bad_records_are_refused(records, match, column):
    schema = RecordSchema(record_id="id", email="mail")
    with pytest.raises(DataContractError, match=match) as info:
        schema.standardise(records)
    assert info.value.column == column


def test_a_schema_must_declare_something():
    with pytest.raises(DataContractError, match="declares no identity field"):
        RecordSchema(record_id="id").validate(pd.DataFrame({"id": [1]}))
    with pytest.raises(DataContractError, match="clash"):
        RecordSchema(record_id="id", email="m", custom={"email": "x"}).fields()


@settings(max_examples=50)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "name": st.one_of(st.none(), st.text(max_size=12)),
                "mail": st.one_of(st.none(), st.sampled_from(["A.b+x@GMail.com", "x", "q@r.io"])),
                "tel": st.one_of(st.none(), st.text(alphabet="0123456789 +()", max_size=14)),
                "born": st.one_of(st.none(), st.sampled_from(["01/02/1990", "19900201", "bad"])),
            }
        ),
        min_size=1,
        max_size=10,
    )
)
def test_one_record_is_standardised_exactly_like_a_batch(rows):
    schema = RecordSchema(
        record_id="id",
        surname="name",
        email="mail",
        phone="tel",
        date_of_birth="born",
        email_provider_rules=True,
        phone_country_code="61",
    )
    frame = pd.DataFrame(rows).assign(id=[f"r{i}" for i in range(len(rows))])
    frame = frame.assign(name=frame["name"].fillna("x").where(frame.index > 0, "ann"))
    for column in ("mail", "tel", "born"):  # a column blank in every row is refused (tested above)
        assume((frame[column].astype("string").str.strip().fillna("") != "").any())
    unreadable = (frame["born"] == "bad").any()  # a value that is no date is counted and warned
    with pytest.warns(DataWarning, match="'born'") if unreadable else contextlib.nullcontext():
        batch = schema.standardise(frame)
    for position, row in enumerate(rows):
        one = schema.standardise_one({**row, "name": frame["name"].iloc[position]})
        expected = batch.iloc[position]
        assert {k: (None if pd.isna(v) else v) for k, v in expected.items()} == one
