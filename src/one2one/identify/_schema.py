"""The record contract: which of the user's columns holds which part of an identity."""

from __future__ import annotations

import functools
import numbers
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

import attrs
import numpy as np
import pandas as pd
from attrs import asdict, field, frozen

from .._validation import require_columns, require_frame, require_no_missing, require_unique
from ..errors import DataContractError, DataWarning
from . import _persist as persist
from ._normalise import (
    DateReading,
    date_value,
    email_value,
    name_value,
    number_text,
    organisation_value,
    per_value,
    phone_value,
    postcode_value,
    read_dates,
)

__all__ = ["ROLES", "RecordSchema"]

_TYPO_SHARE = 0.05  # impossible dates up to this share of a column are typos: no warning

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
        Only dates with two readings depend on it: ``06/24/2003`` is read as
        24 June either way (see :func:`normalise_date`).

    Notes
    -----
    Columns may hold text or numbers. A whole number becomes its exact digits
    in every field (``2000.0`` -> ``"2000"``), so a postcode, phone or account
    id that ``read_csv`` made numeric still equals the same value typed as
    text; the date of birth reads it as ``YYYYMMDD`` (``19560409.0``) and also
    takes date and time values. Digits a number already lost are not
    recovered: the leading zero of postcode ``0800`` or of a national phone
    number is gone once the column is numeric, so read such columns as text.
    A number whose digits are not exact (not whole, or a float at or above
    ``2**53``) is refused, naming the column and the value. Integer record ids
    stay integers in every result.

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
        """Return ``{field: column}`` for every declared field, in output order.

        Returns
        -------
        dict of str to str
            Built-in fields in their fixed order, then the custom ones.

        Raises
        ------
        DataContractError
            If a custom field takes the name of a built-in one (two columns
            would be written as one field).
        """
        declared = {role: getattr(self, role) for role in ROLES if getattr(self, role)}
        clash = set(declared) & set(self.custom)
        if clash:
            msg = f"custom field names {sorted(clash)} clash with built-in fields; rename them."
            raise DataContractError(msg, column=min(clash))
        return declared | self.custom

    def validate(self, records: object) -> pd.DataFrame:
        """Check that ``records`` honours the schema and return it.

        Checked before any pair is built, so a wrong column fails at once
        with its name instead of as poor matches.

        Parameters
        ----------
        records
            One row per record, with the schema's ``record_id`` column and
            every declared column.

        Returns
        -------
        pandas.DataFrame
            ``records`` itself, unchanged.

        Raises
        ------
        DataContractError
            If a declared column is missing or entirely empty, record ids are
            missing or repeated, there are no records, no field is declared,
            a column holds something other than text and numbers (and dates,
            for the date of birth), or a number whose digits are not exact.
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
            _check_values(values, name, column)
        return frame

    def standardise(self, records: pd.DataFrame) -> pd.DataFrame:
        """Validate ``records`` and return their normalised identity fields.

        Parameters
        ----------
        records
            One row per record, with the schema's ``record_id`` column and
            every declared column.

        Returns
        -------
        pandas.DataFrame
            Indexed by the record id (``int64`` if the ids are integers, else
            ``string``), one ``string`` column per declared field (named after
            the field), missing values as ``<NA>``.

        Raises
        ------
        DataContractError
            See :meth:`validate`.

        Warns
        -----
        DataWarning
            Once per date column holding values that are not dates (they count
            as missing), with their number and an example: any value in a
            format :func:`normalise_date` does not read, or impossible dates
            (``19651332``) beyond 5% of the column. A few impossible dates are
            typos, as in Febrl (0.2-0.3%), and pass quietly.
        """
        frame = self.validate(records)
        result, readings = self._normalise_columns(frame)
        for column, reading in readings.items():
            _warn_unreadable(reading, column)
        return result

    def _normalise_columns(
        self, frame: pd.DataFrame, *, check: bool = False
    ) -> tuple[pd.DataFrame, dict[str, DateReading]]:
        """Normalise each declared column of validated records: the per-value part of standardising.

        Every value is read on its own, so this runs on any batch of the
        records (the Spark path calls it on each Arrow batch); ``check``
        makes the per-value checks of :meth:`validate` on the batch. Returns
        the fields (indexed by record id) and the date column's reading.
        """
        normalisers = self._normalisers()
        out = {}
        readings = {}
        for name, column in self.fields().items():
            if check:
                _check_values(frame[column], name, column)
            with _naming(column, name):
                if name == "date_of_birth":
                    out[name], readings[column] = read_dates(
                        frame[column], day_first=self.day_first
                    )
                else:
                    out[name] = per_value(frame[column], normalisers.get(name, name_value))
        result = pd.DataFrame(out)
        result.index = _record_ids(frame[self.record_id])
        return result, readings

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

        Parameters
        ----------
        record
            One record, column name to value, as it arrives.

        Returns
        -------
        dict of str to str or None
            Each declared field's normalised value (``None`` when missing),
            as :meth:`standardise` would give it.

        Raises
        ------
        DataContractError
            For a number whose digits are not exact, naming its column.
        """
        normalisers = self._normalisers()
        out = {}
        for name, column in self.fields().items():
            with _naming(column, name):
                out[name] = normalisers.get(name, name_value)(record.get(column))
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the schema as JSON-ready data.

        Returns
        -------
        dict of str to object
            Every field of the schema; :meth:`from_dict` reads it back.
        """
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordSchema:
        """Rebuild a schema written by :meth:`to_dict`.

        Parameters
        ----------
        data
            The dict :meth:`to_dict` wrote (e.g. read back from JSON).

        Returns
        -------
        RecordSchema
            The schema.

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


@contextmanager
def _naming(column: str, name: str) -> Iterator[None]:
    """Re-raise a value's DataContractError naming the column it came from."""
    try:
        yield
    except DataContractError as error:
        if error.column is not None:
            raise
        msg = f"records column {column!r} (field {name!r}): {error}"
        raise DataContractError(msg, column=column, value=error.value) from error


def _check_values(values: pd.Series, name: str, column: str) -> None:
    """Refuse values that are not text, exact numbers or (for the date of birth) dates."""
    dtype = values.dtype
    dates = name == "date_of_birth"
    if (
        isinstance(dtype, pd.StringDtype)
        or (pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))
        or (dates and pd.api.types.is_datetime64_any_dtype(dtype))
    ):
        return  # text, integers (always exact) or dates by construction
    if pd.api.types.is_float_dtype(dtype):
        floats = values.to_numpy(dtype=np.float64, na_value=np.nan)
        bits = np.finfo(getattr(dtype, "numpy_dtype", dtype)).nmant + 1
        with np.errstate(invalid="ignore"):
            exact = (np.floor(floats) == floats) & (np.abs(floats) < 2.0**bits)
        bad = ~exact & ~np.isnan(floats)
    else:
        ok = values.map(functools.partial(_acceptable, dates=dates), na_action="ignore")
        bad = ~ok.fillna(value=True).astype(bool).to_numpy()
    if not bad.any():
        return
    row = values.index[int(np.flatnonzero(bad)[0])]
    value: object = values.at[row]
    if isinstance(value, numbers.Number | np.bool_):
        with _naming(column, name):
            number_text(value)  # raises, saying why this number (or yes/no) is refused
    kinds = "text, numbers or dates" if dates else "text or numbers"
    msg = f"records column {column!r} must hold {kinds} (got {value!r} at row {row!r})."
    raise DataContractError(msg, column=column, value=value, row=row)


def _acceptable(value: object, *, dates: bool) -> bool:
    """Whether one value of a column can be read (text, an exact number, a date)."""
    if isinstance(value, str):
        return True
    if dates and isinstance(value, date | np.datetime64):
        return True
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Number):
        return False
    try:
        number_text(value)
    except DataContractError:
        return False
    return True


def _record_ids(ids: pd.Series) -> pd.Index:
    """Return the record ids as an index: integers stay integers, anything else becomes text."""
    dtype: Any = ids.dtype
    index: pd.Index
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        index = pd.Index(ids.to_numpy(dtype=getattr(dtype, "numpy_dtype", dtype)))  # not Int64
    elif (
        pd.api.types.is_object_dtype(dtype)
        and pd.api.types.infer_dtype(ids, skipna=False) == "integer"
    ):
        index = pd.Index(ids.to_numpy(dtype=np.int64))
    else:
        index = pd.Index(ids.astype("string"))
    return index.rename("record_id")


def _warn_unreadable(reading: DateReading, column: str) -> None:
    """Warn once about the values of a date column that are not dates."""
    if not reading.unknown_format and reading.impossible <= _TYPO_SHARE * reading.present:
        return
    msg = (
        f"{reading.unreadable:,} of {reading.present:,} values of records column {column!r} "
        f"are not dates one2one reads (e.g. {reading.example!r}); they count as missing. "
        "Readable: YYYYMMDD (text or a whole number), YYYY-MM-DD, YYYY/MM/DD, DD.MM.YYYY, "
        "'10 Mar 1965', day and month with / or - before a four-digit year, date values."
    )
    warnings.warn(msg, DataWarning, stacklevel=3)
