"""The record contract: which of the user's columns holds which part of an identity."""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pandas as pd
from attrs import asdict, field, frozen

from .._validation import require_columns, require_frame, require_no_missing, require_unique
from ..errors import DataContractError
from . import _persist as persist
from ._normalise import (
    date_value,
    email_value,
    name_value,
    organisation_value,
    per_value,
    phone_value,
    postcode_value,
)

__all__ = ["ROLES", "RecordSchema"]

ROLES: tuple[str, ...] = (
    "given_name",
    "surname",
    "full_name",
    "email",
    "phone",
    "street",
    "postcode",
    "city",
    "date_of_birth",
    "account_id",
    "organisation",
    "tax_id",
)
"""The identity fields one2one knows how to normalise and compare, in output order."""


def _custom(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@frozen(kw_only=True)
class RecordSchema:
    """Which column of your records holds which identity field.

    Declare only the fields you have; every other one is treated as missing,
    which is neither a match nor a mismatch. Names of persons, streets and
    cities are compared after :func:`normalise_name`, organisations after
    :func:`normalise_organisation`, and so on.

    Parameters
    ----------
    record_id
        Column with a unique id per record (it becomes the index).
    given_name, surname, full_name, email, phone, street, postcode, city, date_of_birth
        Columns of a person's identity fields, if present.
    account_id, tax_id
        Loyalty or account number; business registration or tax number.
    organisation
        Organisation name, for business customers and partners.
    custom
        Further text fields to compare, as ``{field name: column}``.
    phone_country_code
        Country calling code assumed for national phone numbers (e.g. ``"44"``).
    email_provider_rules
        Treat addresses a provider considers one as one (Gmail dots and ``+tags``).
    day_first
        Read ``01/02/1990`` as 1 February (``True``) or 2 January (``False``).

    Examples
    --------
    >>> from one2one.datasets import load_febrl
    >>> from one2one.identify import RecordSchema
    >>> schema = RecordSchema(
    ...     record_id="rec_id", given_name="given_name", surname="surname",
    ...     street="address_1", postcode="postcode", city="suburb",
    ...     date_of_birth="date_of_birth", account_id="soc_sec_id",
    ... )
    >>> records = load_febrl("dataset1").records.reset_index()
    >>> schema.standardise(records).columns.tolist()
    ['given_name', 'surname', 'street', 'postcode', 'city', 'date_of_birth', 'account_id']
    """

    record_id: str
    given_name: str | None = None
    surname: str | None = None
    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    date_of_birth: str | None = None
    account_id: str | None = None
    organisation: str | None = None
    tax_id: str | None = None
    custom: dict[str, str] = field(factory=dict, converter=_custom)
    phone_country_code: str | None = None
    email_provider_rules: bool = False
    day_first: bool = True

    def fields(self) -> dict[str, str]:
        """Return ``{field: column}`` for every declared field, in output order."""
        declared = {role: getattr(self, role) for role in ROLES if getattr(self, role)}
        clash = set(declared) & set(self.custom)
        if clash:
            msg = f"custom field names {sorted(clash)} clash with built-in fields; rename them."
            raise DataContractError(msg, column=min(clash))
        return declared | self.custom

    def validate(self, records: object) -> pd.DataFrame:
        """Check that ``records`` honours the schema and return it.

        Raises
        ------
        DataContractError
            If a declared column is missing or entirely empty, record ids are
            missing or repeated, there are no records, or no field is declared.
        """
        frame = require_frame(records, name="records")
        fields = self.fields()
        if not fields:
            msg = "the schema declares no identity field; name at least one column to compare."
            raise DataContractError(msg, column=self.record_id)
        require_columns(frame, [self.record_id, *fields.values()], name="records")
        if frame.empty:
            msg = "records is empty; there is nobody to identify."
            raise DataContractError(msg, column=self.record_id)
        require_no_missing(frame, [self.record_id], name="records")
        require_unique(frame, [self.record_id], name="records")
        for name, column in fields.items():
            values = frame[column]
            present = values.dropna().to_numpy(dtype=object)
            if not any(str(v).strip() for v in present):  # stops at the first real value
                msg = (
                    f"records column {column!r} (field {name!r}) is empty in every record; "
                    "drop it from the schema."
                )
                raise DataContractError(msg, column=column)
            if isinstance(values.dtype, pd.StringDtype) or (
                pd.api.types.is_numeric_dtype(values.dtype)
                and not pd.api.types.is_bool_dtype(values.dtype)
            ):
                continue  # text or numbers by construction
            ok = values.map(_scalar_text, na_action="ignore").fillna(value=True)
            bad = ~ok.astype(bool)
            if bad.any():
                row = frame.index[bad.to_numpy().nonzero()[0][0]]
                value = frame.at[row, column]
                msg = (
                    f"records column {column!r} must hold text or numbers "
                    f"(got {value!r} at row {row!r})."
                )
                raise DataContractError(msg, column=column, value=value, row=row)
        return frame

    def standardise(self, records: pd.DataFrame) -> pd.DataFrame:
        """Validate ``records`` and return their normalised identity fields.

        Returns
        -------
        pandas.DataFrame
            Indexed by the record id, one ``string`` column per declared field
            (named after the field), missing values as ``<NA>``.
        """
        frame = self.validate(records)
        normalisers = self._normalisers()
        out = {
            name: per_value(frame[column], normalisers.get(name, name_value))
            for name, column in self.fields().items()
        }
        result = pd.DataFrame(out)
        result.index = pd.Index(frame[self.record_id].astype("string"), name="record_id")
        return result

    def _normalisers(self) -> dict[str, Callable[[object], str | None]]:
        """Return the one-value normaliser of each built-in field (custom fields: names)."""
        return {
            "email": functools.partial(email_value, provider_rules=self.email_provider_rules),
            "phone": functools.partial(phone_value, country_code=self.phone_country_code),
            "postcode": postcode_value,
            "date_of_birth": functools.partial(date_value, day_first=self.day_first),
            "account_id": postcode_value,
            "tax_id": postcode_value,
            "organisation": organisation_value,
        }

    def standardise_one(self, record: Mapping[str, object]) -> dict[str, str | None]:
        """Normalise one record given as ``{column: value}`` (for resolving it live).

        Columns not in the record count as missing; no other check is made,
        so this stays fast enough for one web sign-up at a time.
        """
        normalisers = self._normalisers()
        return {
            name: normalisers.get(name, name_value)(record.get(column))
            for name, column in self.fields().items()
        }

    def to_dict(self) -> dict[str, Any]:
        """Return the schema as JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordSchema:
        """Rebuild a schema written by :meth:`to_dict`.

        Raises
        ------
        DataContractError
            If a key is missing or unknown, or a value has the wrong type
            (saved files are untrusted input).
        """
        return cls._from_dict(data, "schema")

    @classmethod
    def _from_dict(cls, data: object, name: str) -> RecordSchema:
        names = [a.name for a in attrs.fields(cls)]
        read = persist.mapping(data, name, keys=names)
        columns: dict[str, Any] = {
            role: persist.optional_text(read[role], f"{name}.{role}") for role in ROLES
        }
        custom = persist.mapping(read["custom"], f"{name}.custom")
        for key, column in custom.items():
            persist.text(column, f"{name}.custom.{key}")
        schema = cls(
            record_id=persist.text(read["record_id"], f"{name}.record_id"),
            **columns,
            custom=dict(custom),
            phone_country_code=persist.optional_text(
                read["phone_country_code"], f"{name}.phone_country_code"
            ),
            email_provider_rules=persist.boolean(
                read["email_provider_rules"], f"{name}.email_provider_rules"
            ),
            day_first=persist.boolean(read["day_first"], f"{name}.day_first"),
        )
        if not schema.record_id:
            persist.fail(f"{name}.record_id", "a column name", schema.record_id)
        try:
            fields = schema.fields()
        except DataContractError as error:
            msg = f"saved field {name + '.custom'!r} is invalid: {error}"
            raise DataContractError(msg, column=f"{name}.custom", value=error.column) from error
        if not fields:
            persist.fail(name, "a schema declaring at least one field", "none")
        return schema


def _scalar_text(value: object) -> bool:
    return isinstance(value, str | numbers.Number) and not isinstance(value, bool)
