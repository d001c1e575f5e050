"""Normalisers: idempotent, null-preserving, and equal for the same identity."""

from datetime import date

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from one2one.identify import (
    normalise_date,
    normalise_email,
    normalise_name,
    normalise_organisation,
    normalise_phone,
    normalise_postcode,
)

NORMALISERS = [
    normalise_name,
    normalise_organisation,
    normalise_email,
    lambda s: normalise_email(s, provider_rules=True),
    normalise_phone,
    lambda s: normalise_phone(s, country_code="61"),
    normalise_postcode,
]
texts = st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=1, max_size=20)


@pytest.mark.parametrize("normalise", NORMALISERS)
@given(values=texts)
def test_normalisers_are_idempotent_and_keep_missing_values_missing(normalise, values):
    series = pd.Series(values, dtype="object")
    once = normalise(series)
    assert once.index.equals(series.index)
    assert str(once.dtype) == "string"
    assert (once.isna() | series.notna()).all()  # missing in, missing out
    assert not (once == "").any()  # a blank is missing, never an empty string
    pd.testing.assert_series_equal(normalise(once), once)


birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@given(birth_dates)
def test_dates_in_any_supported_format_agree(day):
    formats = ("%Y%m%d", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y")
    forms = [day.strftime(f) for f in formats]
    assert set(normalise_date(pd.Series(forms)).tolist()) == {day.isoformat()}


@given(birth_dates)
def test_normalised_dates_are_idempotent(day):
    once = normalise_date(pd.Series([day.strftime("%d/%m/%Y")]))
    pd.testing.assert_series_equal(normalise_date(once), once)


@pytest.mark.parametrize(
    ("normalise", "same"),
    [
        (normalise_name, ["José  Núñez", "jose nunez", "JOSE-NUNEZ", " José Núñez. "]),
        (normalise_name, ["O'Brien", "OBrien", "o\u2019brien"]),
        (normalise_organisation, ["Acme Ltd", "ACME Limited", "acme, ltd.", "Acme"]),
        (normalise_email, ["Ann@Example.COM", " ann@example.com "]),
        (
            lambda s: normalise_email(s, provider_rules=True),
            ["a.n.n+x@gmail.com", "ann@googlemail.com"],
        ),
        (
            lambda s: normalise_phone(s, country_code="61"),
            ["+61 2 9876 5432", "(02) 9876 5432", "0061298765432"],
        ),
        (normalise_postcode, ["sw1a 1aa", "SW1A1AA", "SW1A-1AA"]),
    ],
)
def test_spellings_of_one_identity_become_one(normalise, same):
    assert len(set(normalise(pd.Series(same)))) == 1


def test_day_first_decides_ambiguous_slashed_dates():
    assert normalise_date(pd.Series(["01/02/1990"])).iloc[0] == "1990-02-01"
    assert normalise_date(pd.Series(["01/02/1990"]), day_first=False).iloc[0] == "1990-01-02"


def test_what_is_not_a_value_becomes_missing():
    assert normalise_email(pd.Series(["not an email", "a@b"])).isna().all()
    assert normalise_phone(pd.Series(["123", "n/a"])).isna().all()
    assert normalise_date(pd.Series(["19651332", "soon"])).isna().all()


def test_names_in_scripts_that_decompose_are_recomposed():
    once = normalise_name(pd.Series([":가", "가", "Ωmega"]))
    assert once.tolist()[:2] == ["가", "가"]
    pd.testing.assert_series_equal(normalise_name(once), once)
