"""Schemas shared by the identify tests."""

from one2one.identify import RecordSchema

FEBRL = RecordSchema(
    record_id="rec_id",
    given_name="given_name",
    surname="surname",
    street="address_1",
    postcode="postcode",
    city="suburb",
    date_of_birth="date_of_birth",
    account_id="soc_sec_id",
)
"""Every identity field of the Febrl files."""
