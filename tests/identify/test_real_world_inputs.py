"""Inputs as real files deliver them: dates in mixed formats, numbers for text, integer ids.

Each test names a way real customer data differs from the clean case (US and
EU dates in one file, a CSV read with pandas' default types, ids that are
numbers) and checks that nothing is lost silently: a value is read exactly,
refused with a typed error naming the column, or counted in a warning.
"""

import io
import warnings
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from one2one.datasets import load_febrl
from one2one.errors import DataContractError, DataWarning
from one2one.identify import (
    IdentityResolver,
    MatchRule,
    RecordMatcher,
    RecordSchema,
    evaluate_links,
    normalise_date,
    normalise_phone,
    normalise_postcode,
)
from tests.identify.schemas import FEBRL

birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
exact_integers = st.integers(min_value=0, max_value=2**53 - 1)


def _febrl_as_read_csv_reads_it(name: str = "dataset1") -> pd.DataFrame:
    """Febrl written to CSV and read back with pandas' default types (dob becomes float)."""
    buffer = io.StringIO()
    load_febrl(name).records.reset_index().to_csv(buffer, index=False)
    buffer.seek(0)
    return pd.read_csv(buffer)


# -- dates ---------------------------------------------------------------------------
@given(birth_dates.filter(lambda d: d.day > 12), st.booleans())
def test_a_slashed_date_with_one_valid_reading_is_read_whatever_day_first(day, day_first):
    forms = [day.strftime("%d/%m/%Y"), day.strftime("%m/%d/%Y"), day.strftime("%m-%d-%Y")]
    read = normalise_date(pd.Series(forms), day_first=day_first)
    assert read.tolist() == [day.isoformat()] * 3


@given(birth_dates.filter(lambda d: d.day <= 12 and d.day != d.month))
def test_an_ambiguous_slashed_date_follows_day_first(day):
    assert normalise_date(pd.Series([day.strftime("%d/%m/%Y")])).iloc[0] == day.isoformat()
    us = normalise_date(pd.Series([day.strftime("%m/%d/%Y")]), day_first=False)
    assert us.iloc[0] == day.isoformat()


@given(birth_dates)
def test_whole_numbers_are_read_as_yyyymmdd_exactly(day):
    number = int(day.strftime("%Y%m%d"))
    values = pd.Series([float(number), number, np.int64(number), np.float64(number)], dtype=object)
    assert normalise_date(values).tolist() == [day.isoformat()] * 4
    with pytest.raises(DataContractError, match="2\\*\\*24"):  # float32 skips integers past 2**24
        normalise_date(pd.Series([np.float32(number)], dtype=object))


@given(birth_dates)
def test_date_and_time_objects_are_read_as_their_date(day):
    moment = datetime(day.year, day.month, day.day, 23, 59)
    values = pd.Series([day, moment, pd.Timestamp(moment), np.datetime64(moment)], dtype=object)
    assert normalise_date(values).tolist() == [day.isoformat()] * 4


def test_febrl_read_with_default_csv_types_keeps_every_date_and_matches_as_well():
    text = FEBRL.standardise(load_febrl("dataset1").records.reset_index())
    numbers = _febrl_as_read_csv_reads_it()
    assert numbers["date_of_birth"].dtype == np.float64  # what read_csv makes of it
    standard = FEBRL.standardise(numbers)
    pd.testing.assert_series_equal(
        standard["date_of_birth"], text["date_of_birth"], check_index=False
    )
    pd.testing.assert_series_equal(standard["account_id"], text["account_id"], check_index=False)
    customer_id = RecordMatcher(FEBRL).fit_predict(numbers)
    assert evaluate_links(customer_id, load_febrl("dataset1").true_links)["f1"] >= 0.998


def _dates(values: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"r{k}" for k in range(len(values))], "dob": values})


DATES = RecordSchema(record_id="id", date_of_birth="dob")


def test_unreadable_dates_are_counted_in_one_warning_naming_the_column():
    values = ["1/2/90", "soon", "1/2/90", *(["1990-02-01"] * 97), None, " "]
    with pytest.warns(DataWarning) as caught:
        standard = DATES.standardise(_dates(values))
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "'dob'" in message
    assert "3 of 100" in message
    assert "'1/2/90'" in message
    assert standard["date_of_birth"].isna().sum() == 5  # the three, the blank and the None


def test_a_few_impossible_dates_are_typos_and_pass_quietly_but_many_warn():
    few = ["19651332", "19650231", *(["19650310"] * 98)]  # 2 %: typos, like Febrl's 0.2-1 %
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DATES.standardise(_dates(few))
        FEBRL.standardise(load_febrl("dataset2").records.reset_index())  # 10 of 4,890
    # year-day-month read as year-month-day: most days past the 12th are impossible
    days = [date(1965, 1, 1) + pd.Timedelta(days=k) for k in range(100)]
    many = [d.strftime("%Y%d%m") for d in days]
    with pytest.warns(DataWarning, match=r"\d+ of 100 values of records column 'dob'"):
        DATES.standardise(_dates(many))


def test_one_record_reads_dates_like_the_batch():
    values = ["06/24/2003", 19560409.0, "24.06.2003", date(2003, 6, 24), "03/04/2001"]
    batch = DATES.standardise(_dates(values))["date_of_birth"].tolist()
    one = [DATES.standardise_one({"dob": v})["date_of_birth"] for v in values]
    assert one == batch == ["2003-06-24", "1956-04-09", "2003-06-24", "2003-06-24", "2001-04-03"]


def test_a_date_column_of_timestamps_is_accepted():
    records = _dates([pd.Timestamp("1990-02-01"), pd.NaT, pd.Timestamp("1985-12-31")])
    records["dob"] = pd.to_datetime(records["dob"])
    assert DATES.standardise(records)["date_of_birth"].tolist()[::2] == [
        "1990-02-01",
        "1985-12-31",
    ]


# -- numbers given for text --------------------------------------------------------------
@given(exact_integers)
def test_whole_numbers_for_text_become_their_integer_digits(n):
    values = pd.Series([float(n), n, np.int64(n)], dtype=object)
    assert normalise_postcode(values).tolist() == [str(n)] * 3
    if n >= 10**5:  # a phone number has at least six digits
        assert normalise_phone(values).tolist() == [str(n)] * 3


def test_integers_beyond_float_precision_are_kept_exactly():
    schema = RecordSchema(record_id="id", account_id="account")
    records = pd.DataFrame({"id": [1, 2], "account": [2**63 - 1, 12345678901234567]})
    assert schema.standardise(records)["account_id"].tolist() == [
        "9223372036854775807",
        "12345678901234567",
    ]


@pytest.mark.parametrize(
    ("column", "values", "bad"),
    [
        ("zip", [2000.0, 2000.5], 2000.5),  # not a whole number: which digits were meant?
        ("tel", [61298765432.0, 2.0**53], 2.0**53),  # beyond 2**53 floats skip integers
        ("zip", [2000.0, float("inf")], float("inf")),
    ],
)
def test_numbers_whose_digits_cannot_be_trusted_are_refused(column, values, bad):
    schema = RecordSchema(record_id="id", postcode="zip", phone="tel")
    records = pd.DataFrame({"id": [1, 2], "zip": ["2000", "2001"], "tel": ["0298765432"] * 2})
    records[column] = values
    for call in (schema.validate, schema.standardise):
        with pytest.raises(DataContractError, match=f"'{column}'") as info:
            call(records)
        assert info.value.column == column
        assert info.value.value == bad
    as_objects = records.astype({column: object})
    with pytest.raises(DataContractError, match=f"'{column}'"):
        schema.validate(as_objects)
    with pytest.raises(DataContractError, match=f"'{column}'") as info:
        schema.standardise_one({column: bad})
    assert info.value.column == column


def test_a_refused_number_stops_add_records_before_anything_is_added():
    records = load_febrl("dataset1").records.reset_index().iloc[:200]
    resolver = IdentityResolver.from_records(records, FEBRL)
    late = records.iloc[:3].assign(rec_id=["new-1", "new-2", "new-3"])
    late["postcode"] = [2000.0, 2001.0, 2002.5]
    with pytest.raises(DataContractError, match="'postcode'"):
        resolver.add_records(late)
    assert resolver.n_records == 200


# -- explain() keys, match rules, record ids -------------------------------------------------
@pytest.fixture(scope="module")
def febrl_matcher():
    return RecordMatcher(FEBRL).fit(load_febrl("dataset1").records.reset_index())


def test_explain_refuses_a_field_name_given_for_its_column(febrl_matcher):
    record = {"given_name": "ann", "surname": "lee", "city": "sydney"}  # column is 'suburb'
    with pytest.raises(DataContractError, match="'suburb'") as info:
        febrl_matcher.explain(record, record)
    assert info.value.column == "city"


def test_explain_refuses_an_unknown_key_in_a_partial_record_listing_the_columns(febrl_matcher):
    record = {"given_name": "ann", "surname": "lee", "dob": "19700101"}
    with pytest.raises(DataContractError, match="'date_of_birth'") as info:
        febrl_matcher.explain({"given_name": "ann"}, record)
    assert info.value.column == "dob"
    assert "'soc_sec_id'" in str(info.value)


def test_explain_takes_a_whole_row_with_other_columns(febrl_matcher):
    row = load_febrl("dataset1").records.reset_index().iloc[0].to_dict()
    assert "state" in row  # a column the schema does not use
    explanation = febrl_matcher.explain(row, row)
    assert explanation.probability > 0.99


def test_match_rules_name_fields_and_say_so_when_given_a_column():
    records = load_febrl("dataset1").records.reset_index().iloc[:50]
    with pytest.raises(DataContractError, match=r"field.*'account_id'") as info:
        RecordMatcher(FEBRL, match_rules=[MatchRule("soc_sec_id")]).fit(records)
    assert info.value.column == "soc_sec_id"
    with pytest.raises(DataContractError, match="'given_name', 'surname'") as info:
        RecordMatcher(FEBRL, match_rules=[MatchRule("mail")]).fit(records)
    assert info.value.value == "mail"
    with pytest.raises(DataContractError, match="MatchRule"):
        RecordMatcher(FEBRL, match_rules=["account_id"]).fit(records)
    with pytest.raises(DataContractError, match="at least one field"):
        MatchRule([])


def _with_integer_ids(records: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    number = {rec: k * 7 + 3 for k, rec in enumerate(records["rec_id"])}
    return records.assign(rec_id=records["rec_id"].map(number).astype("int64")), number


def test_integer_record_ids_keep_their_type_in_the_batch_results():
    data = load_febrl("dataset1")
    text = data.records.reset_index()
    numbers, number = _with_integer_ids(text)
    matcher = RecordMatcher(FEBRL)
    by_number = matcher.fit_predict(numbers)
    by_text = RecordMatcher(FEBRL).fit_predict(text)
    assert by_number.index.dtype == np.int64
    assert by_number.index.tolist() == [number[r] for r in by_text.index]
    # the same grouping: same customers whatever the ids are called
    groups = by_text.groupby(by_text.to_numpy()).size().sort_values().tolist()
    assert by_number.groupby(by_number.to_numpy()).size().sort_values().tolist() == groups
    pairs = matcher.predict_pairs(numbers)
    assert pairs["left"].dtype == np.int64
    assert pairs["right"].dtype == np.int64
    labels = data.true_links.apply(lambda c: c.map(number))
    assert matcher.fit_predict(numbers, labels=labels).index.dtype == np.int64


def test_integer_record_ids_keep_their_type_in_the_resolver(tmp_path):
    records, _ = _with_integer_ids(load_febrl("dataset1").records.reset_index().iloc[:200])
    resolver = IdentityResolver.from_records(records, FEBRL)
    assert resolver.customers().index.dtype == np.int64
    known = records.iloc[0].to_dict()
    resolution = resolver.resolve({**known, "rec_id": 10**9})
    assert resolution.matched_record == known["rec_id"]
    assert type(resolution.matched_record) is int
    assert resolver.customer_of(known["rec_id"]) == resolution.customer_id
    added = resolver.add_records(records.iloc[:2].assign(rec_id=[10**9, 10**9 + 1]))
    assert added["record_id"].tolist() == [10**9, 10**9 + 1]
    assert type(added["record_id"].iloc[0]) in {int, np.int64}
    resolver.save(tmp_path / "customers.json")
    again = IdentityResolver.load(tmp_path / "customers.json")
    pd.testing.assert_series_equal(again.customers(), resolver.customers())
    assert again.customers().index.dtype == np.int64
    resolver.add({**known, "rec_id": "web-1"})  # a text id among integer ones
    mixed = resolver.customers().index
    assert mixed[-1] == "web-1"
    assert mixed[0] == records["rec_id"].iloc[0]


def test_building_a_resolver_warns_once_per_date_column():
    records = load_febrl("dataset1").records.reset_index().iloc[:100]
    records["date_of_birth"] = records["date_of_birth"].where(records.index % 10 > 0, "1/2/90")
    with pytest.warns(DataWarning) as caught:
        IdentityResolver.from_records(records, FEBRL)
    assert [str(w.message).split(" values")[0] for w in caught] == ["10 of 97"]
