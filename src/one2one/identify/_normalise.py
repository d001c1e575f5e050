"""Normalisers: the same person written the same way, whatever the channel typed.

Every normaliser takes and returns a pandas Series of strings (pandas
``string`` dtype) and keeps missing values missing: a blank field says
nothing about a match, so it must not become an empty string that compares
equal to another blank. Each is written once, for one value, and applied
once per distinct value of a column (names, cities and dates repeat a lot);
the identity resolver uses the same one-value functions, so a record typed
into a web form is normalised exactly like the batch it is matched against.

Numbers given for text (a postcode column that ``read_csv`` made ``float``)
become their exact integer digits, ``2000.0`` -> ``"2000"``; a number whose
digits cannot be trusted (not whole, or a float at or past ``2**53``, where
floats skip integers) is refused, because any text made of it would be a guess.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime

import attrs
import numpy as np
import pandas as pd

from ..errors import DataContractError

__all__ = [
    "LEGAL_FORMS",
    "normalise_date",
    "normalise_email",
    "normalise_name",
    "normalise_organisation",
    "normalise_phone",
    "normalise_postcode",
]

LEGAL_FORMS: frozenset[str] = frozenset(
    {
        "ab", "ag", "as", "bv", "co", "company", "corp", "corporation", "gmbh", "inc",
        "incorporated", "kg", "kft", "llc", "llp", "lp", "ltd", "limited", "nv", "oy", "plc",
        "pty", "sa", "sarl", "sas", "spa", "srl", "ug",
    }
)  # fmt: skip
"""Legal-form words dropped from organisation names (``Acme Ltd`` = ``ACME Limited``)."""

_GMAIL = frozenset({"gmail.com", "googlemail.com"})
_QUOTES = re.compile("['\u2019`]")  # straight, curly, grave
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")
_NON_DIGIT = re.compile(r"\D")
_EMAIL = re.compile(r"[^@]+@[^@]+\.[^@]+")
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"(\d{4})(\d{2})(\d{2})"), ("year", "month", "day")),
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), ("year", "month", "day")),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), ("year", "month", "day")),
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})"), ("day", "month", "year")),
    (re.compile(r"(\d{1,2}) ([A-Za-z]{3,9})\.? (\d{4})"), ("day", "month", "year")),
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), ("a", "b", "year")),
    (re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})"), ("a", "b", "year")),
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
_MIN_PHONE_DIGITS = 6
_FLOAT_BITS = 53  # a float64 holds every integer below 2**53 exactly, and skips some above


def number_text(value: object) -> str:
    """Return the exact digits of a whole number given where text is expected.

    ``2000.0`` -> ``"2000"``, ``np.int64(42)`` -> ``"42"``, ``2**63`` -> all
    its digits. Integers of any size are exact; a float is exact only if it is
    whole and below ``2**53`` (``2**24`` for ``float32``): above, consecutive
    integers share one float, so the digits it prints are not the ones typed.

    Raises
    ------
    DataContractError
        For a yes/no value, a number that is not whole, not finite, or a
        float too large to be exact (``value`` holds it; ``column`` is left
        for the caller, who knows it).
    """
    if isinstance(value, bool | np.bool_):
        msg = f"a yes/no value is not text or a number (got {value!r})."
        raise DataContractError(msg, value=value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    bits = _FLOAT_BITS
    if isinstance(value, np.floating):
        bits = int(np.finfo(value.dtype).nmant) + 1  # float32: 24, float16: 11
    try:
        whole = int(value)  # type: ignore[call-overload]
        exact = whole == value and (
            not isinstance(value, float | np.floating) or abs(whole) < 2**bits
        )
    except (TypeError, ValueError, OverflowError):  # inf, nan, complex, Decimal("NaN")
        exact = False
    if not exact:
        msg = (
            f"a number given for text must be a whole number below 2**{bits}, so that its "
            f"digits are exact (got {value!r}); read the column as text "
            "(pd.read_csv(..., dtype='string'))."
        )
        raise DataContractError(msg, value=value)
    return str(whole)


def _clean(value: object) -> str | None:
    """Text NFKC-folded and trimmed; missing and blank become ``None``, numbers their digits."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, float | np.floating) and math.isnan(value):
        return None
    elif isinstance(value, numbers.Number | np.bool_):
        text = number_text(value)
    else:
        text = str(value)
    if not text.isascii():  # NFKC leaves ASCII alone; most values are ASCII
        text = unicodedata.normalize("NFKC", text)
    return text.strip() or None


def _finish(text: str | None) -> str | None:
    """Recompose characters that earlier steps brought together; blank -> ``None``."""
    if text is None:
        return None
    return (text if text.isascii() else unicodedata.normalize("NFKC", text)) or None


def name_value(value: object) -> str | None:
    """Normalise one personal name (see :func:`normalise_name`)."""
    text = _clean(value)
    if text is None:
        return None
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = text.lower()
    words = text.split()
    if all(word.isalnum() for word in words):  # nothing to strip: the common case, fast
        return _finish(" ".join(words))
    text = _PUNCTUATION.sub(" ", _QUOTES.sub("", text))
    return _finish(_SPACES.sub(" ", text).strip())


def organisation_value(value: object) -> str | None:
    """Normalise one organisation name (see :func:`normalise_organisation`)."""
    name = name_value(value)
    if name is None:
        return None
    parts = name.replace("&", " ").split()
    kept = [p for p in parts if p not in LEGAL_FORMS]
    return _finish(" ".join(kept) if kept else " ".join(parts))


def email_value(value: object, *, provider_rules: bool = False) -> str | None:
    """Normalise one e-mail address (see :func:`normalise_email`)."""
    text = _clean(value)
    if text is None:
        return None
    text = _SPACES.sub("", text.lower())
    if not _EMAIL.fullmatch(text):
        return None
    if provider_rules:
        local, domain = text.rsplit("@", 1)
        domain = domain.replace("googlemail.com", "gmail.com")
        if domain in _GMAIL:
            local = local.split("+", 1)[0].replace(".", "")
        text = f"{local}@{domain}"
    return _finish(text)


def phone_value(value: object, *, country_code: str | None = None) -> str | None:
    """Normalise one phone number (see :func:`normalise_phone`)."""
    text = _clean(value)
    if text is None:
        return None
    international = text.startswith(("+", "00"))
    digits = _NON_DIGIT.sub("", text.replace("(0)", ""))
    if international and text.startswith("00"):
        digits = digits[2:]
    if not international and country_code is not None:
        digits = _NON_DIGIT.sub("", country_code) + digits.lstrip("0")
        international = True
    if len(digits) < _MIN_PHONE_DIGITS:
        return None
    return _finish("+" + digits if international else digits)


def postcode_value(value: object) -> str | None:
    """Normalise one postcode or identifier (see :func:`normalise_postcode`)."""
    text = _clean(value)
    if text is None:
        return None
    return _finish(re.sub(r"[\s\-]", "", text.upper()))


def date_value(value: object, *, day_first: bool = True) -> str | None:
    """Normalise one date to ``YYYY-MM-DD`` (see :func:`normalise_date`)."""
    if isinstance(value, date | np.datetime64):
        return _date_object(value)
    text = _clean(value)
    if text is None:
        return None
    for pattern, order in _DATE_PATTERNS:
        found = pattern.fullmatch(text)
        if found is None:
            continue
        parts = dict(zip(order, found.groups(), strict=True))
        if order == ("a", "b", "year"):  # slashed or dashed with the year last
            a, b = parts["a"], parts["b"]
            readings = [(a, b), (b, a)] if day_first else [(b, a), (a, b)]
            # the preferred reading if it is a date, else the other: 06/24/2003 has one
            return next(
                (d for day, month in readings if (d := _iso(parts["year"], month, day))), None
            )
        day, month = parts["day"], parts["month"]
        number = _MONTHS.get(month.lower(), 0) if month.isalpha() else int(month)
        return _iso(parts["year"], str(number), day)
    return None


def _date_object(value: object) -> str | None:
    """``YYYY-MM-DD`` of a date, datetime, Timestamp or datetime64 (``None`` for NaT)."""
    if value is pd.NaT:  # NaT is a datetime to isinstance
        return None
    day = value.astype("datetime64[D]").item() if isinstance(value, np.datetime64) else value
    if isinstance(day, datetime):
        day = day.date()
    return day.isoformat() if isinstance(day, date) else None  # NaT, or past 9999: an int


def _iso(year: str, month: str, day: str) -> str | None:
    """``YYYY-MM-DD`` if the three numbers name a date, else ``None``."""
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _date_shaped(text: str) -> bool:
    """Whether ``text`` is written in a date format :func:`date_value` reads."""
    return any(pattern.fullmatch(text) for pattern, _ in _DATE_PATTERNS)


@attrs.frozen
class DateReading:
    """What reading a column of dates found: how many values, and which were no date.

    Attributes
    ----------
    present
        Values that were not missing or blank.
    unknown_format
        Values in no format the reader knows (``1/2/90``, ``soon``).
    impossible
        Values in a known format that name no date (``19651332``): typos.
    example
        One value that could not be read (the first in the column), if any.
    """

    present: int
    unknown_format: int
    impossible: int
    example: object = None

    @property
    def unreadable(self) -> int:
        """Values that were present but are not dates; they become missing."""
        return self.unknown_format + self.impossible


def read_dates(values: pd.Series, *, day_first: bool = True) -> tuple[pd.Series, DateReading]:
    """Normalise a column of dates and count what could not be read, once per distinct value."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    read = [date_value(u, day_first=day_first) for u in uniques]
    out = pd.Series(
        np.array([*read, None], dtype=object)[codes], index=values.index, dtype="string"
    )
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    present = unknown = impossible = 0
    example: object = None
    for k, (unique, done) in enumerate(zip(uniques, read, strict=True)):  # in order of appearance
        if done is not None:
            present += int(counts[k])
            continue
        text = None if isinstance(unique, date | np.datetime64) else _clean(unique)
        if text is None:
            continue  # blank, NaT: missing, not unreadable
        present += int(counts[k])
        if _date_shaped(text):
            impossible += int(counts[k])
        else:
            unknown += int(counts[k])
        if example is None:
            example = unique
    return out, DateReading(present, unknown, impossible, example)


def per_value(values: pd.Series, normalise: Callable[[object], str | None]) -> pd.Series:
    """Apply a one-value normaliser once per distinct value of a column."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    done = np.array([normalise(u) for u in uniques] + [None], dtype=object)
    return pd.Series(done[codes], index=values.index, dtype="string")  # code -1 -> None


def normalise_name(values: pd.Series) -> pd.Series:
    """Lower-case, strip accents and punctuation, and collapse spaces in personal names.

    ``"  O'Brien-Smith, José "`` becomes ``"obrien smith jose"``: apostrophes
    vanish (they are typed inconsistently), other punctuation becomes a space.
    Two spellings of one name must compare equal before any string distance
    is taken, or every accent and comma would count as a typo.

    Parameters
    ----------
    values
        Personal names, as text; missing values stay missing.

    Returns
    -------
    pandas.Series
        The normalised names (pandas ``string``), on the index of ``values``;
        NA where nothing is left.

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_name(pd.Series(["  O'Brien-Smith ", "JOSÉ", None, " "])).tolist()
    ['obrien smith', 'jose', <NA>, <NA>]
    """
    return per_value(values, name_value)


def normalise_organisation(values: pd.Series) -> pd.Series:
    """Normalise organisation names like personal names, then drop legal-form words.

    ``Ltd``, ``Limited``, ``GmbH & Co. KG`` say how a company is registered,
    not which company it is, so they are dropped before comparing.

    Parameters
    ----------
    values
        Organisation names, as text; missing values stay missing.

    Returns
    -------
    pandas.Series
        The normalised names (pandas ``string``), on the index of ``values``;
        NA where nothing is left.

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_organisation(pd.Series(["ACME Ltd.", "Acme Limited", "Müller GmbH & Co. KG"])).tolist()
    ['acme', 'acme', 'muller']
    """  # noqa: E501
    return per_value(values, organisation_value)


def normalise_email(values: pd.Series, *, provider_rules: bool = False) -> pd.Series:
    """Lower-case e-mail addresses; refuse what is not an address (it becomes NA).

    With ``provider_rules``, addresses that the provider treats as one are
    made one: Gmail ignores dots and anything after ``+`` in the local part.

    Parameters
    ----------
    values
        E-mail addresses, as text; missing values stay missing.
    provider_rules
        Apply the providers' own equivalences (off by default: they are true
        for the provider's mailboxes only).

    Returns
    -------
    pandas.Series
        The lower-cased addresses (pandas ``string``), on the index of
        ``values``; NA where a value is not an address.

    Examples
    --------
    >>> import pandas as pd
    >>> emails = pd.Series([" Jo.Ann+news@GMail.com", "no-at-sign", None])
    >>> normalise_email(emails).tolist()
    ['jo.ann+news@gmail.com', <NA>, <NA>]
    >>> normalise_email(emails, provider_rules=True).tolist()
    ['joann@gmail.com', <NA>, <NA>]
    """
    return per_value(values, lambda v: email_value(v, provider_rules=provider_rules))


def normalise_phone(values: pd.Series, *, country_code: str | None = None) -> pd.Series:
    """Reduce phone numbers to ``+<country><number>`` digits where the country is known.

    ``+44 (0)20 7946 0958``, ``0044 20 7946 0958`` and, with
    ``country_code="44"``, ``020 7946 0958`` all become ``+442079460958``.
    Without a country code, a national number keeps its digits only.
    Numbers of fewer than 6 digits are not phone numbers and become NA.

    Parameters
    ----------
    values
        Phone numbers, as text; missing values stay missing.
    country_code
        The country calling code (digits, e.g. ``"44"``) that national
        numbers (a leading 0) belong to; ``None`` keeps their digits only.

    Returns
    -------
    pandas.Series
        The numbers as ``+<country><number>`` or digits (pandas ``string``),
        on the index of ``values``; NA below 6 digits.

    Examples
    --------
    >>> import pandas as pd
    >>> phones = pd.Series(["+44 (0)20 7946 0958", "0044 20 7946 0958", "020 7946 0958", "12"])
    >>> normalise_phone(phones, country_code="44").tolist()
    ['+442079460958', '+442079460958', '+442079460958', <NA>]
    """
    return per_value(values, lambda v: phone_value(v, country_code=country_code))


def normalise_postcode(values: pd.Series) -> pd.Series:
    """Upper-case postcodes and remove spaces and dashes (``sw1a 1aa`` = ``SW1A1AA``).

    Parameters
    ----------
    values
        Postcodes, as text; missing values stay missing.

    Returns
    -------
    pandas.Series
        The postcodes (pandas ``string``), on the index of ``values``; NA
        where nothing is left.

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_postcode(pd.Series([" sw1a 1aa", "12-345", ""])).tolist()
    ['SW1A1AA', '12345', <NA>]
    """
    return per_value(values, postcode_value)


def normalise_date(values: pd.Series, *, day_first: bool = True) -> pd.Series:
    """Read dates written in several formats and return them as ``YYYY-MM-DD``.

    Unambiguous formats (``19650310``, ``1965-03-10``, ``10.03.1965``,
    ``10 Mar 1965``, ``10 March 1965``) are read as written, and so are whole
    numbers as ``YYYYMMDD`` (``19650310.0``, what ``read_csv`` makes of such a
    column) and date or time objects (their date). A date with the year last
    and ``/`` or ``-`` between day and month is read the one way that makes a
    date (``06/24/2003`` is 24 June whatever ``day_first`` says), so US and
    European dates mix in one file; only when both readings are dates
    (``03/04/2001``) does ``day_first`` decide, and the comparison's "day and
    month swapped" level catches the other reading. Impossible dates
    (``19651332``) and unknown formats become NA rather than a guess;
    :meth:`RecordSchema.standardise` counts them and warns.

    Parameters
    ----------
    values
        Dates as text, whole numbers (``YYYYMMDD``) or date/time objects;
        missing values stay missing.
    day_first
        Read a date that is valid both ways (``03/04/2001``) day first (3
        April); ``False`` reads it month first.

    Returns
    -------
    pandas.Series
        The dates as ``YYYY-MM-DD`` (pandas ``string``), on the index of
        ``values``; NA for impossible dates and unknown formats.

    Raises
    ------
    DataContractError
        For a number that is not whole, or a float too large to be exact.

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_date(pd.Series(["19650310", "10/03/1965", "1965-3-10", "19651332", None])).tolist()
    ['1965-03-10', '1965-03-10', '1965-03-10', <NA>, <NA>]
    >>> normalise_date(pd.Series(["06/24/2003", "24/06/2003", 20030624.0])).tolist()
    ['2003-06-24', '2003-06-24', '2003-06-24']
    """  # noqa: E501
    return per_value(values, lambda v: date_value(v, day_first=day_first))
