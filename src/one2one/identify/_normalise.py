"""Normalisers: the same person written the same way, whatever the channel typed.

Every normaliser takes and returns a pandas Series of strings (pandas
``string`` dtype), works on the whole column at once, and keeps missing
values missing: a blank field says nothing about a match, so it must not
become an empty string that compares equal to another blank.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

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


def _text(values: pd.Series) -> pd.Series:
    """Strings with NA for missing and for blanks, NFKC-folded and trimmed."""
    text = values.astype("string").str.normalize("NFKC").str.strip()
    return text.mask(text == "")


def _finish(text: pd.Series) -> pd.Series:
    """Recompose characters that earlier steps brought together, and blank -> NA."""
    done = text.astype("string").str.normalize("NFKC")
    return done.mask(done == "")


def _strip_accents(text: pd.Series) -> pd.Series:
    def fold(value: str) -> str:
        decomposed = unicodedata.normalize("NFKD", value)
        return "".join(c for c in decomposed if not unicodedata.combining(c))

    return text.map(fold, na_action="ignore").astype("string")


def normalise_name(values: pd.Series) -> pd.Series:
    """Lower-case, strip accents and punctuation, and collapse spaces in personal names.

    ``"  O'Brien-Smith, José "`` becomes ``"obrien smith jose"``: apostrophes
    vanish (they are typed inconsistently), other punctuation becomes a space.

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_name(pd.Series(["  O'Brien-Smith ", "JOSÉ", None, " "])).tolist()
    ['obrien smith', 'jose', <NA>, <NA>]
    """
    text = _strip_accents(_text(values)).str.lower()
    text = text.str.replace("['\u2019`]", "", regex=True)  # straight, curly, grave
    text = text.str.replace(r"[^\w\s]|_", " ", regex=True)
    text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    return _finish(text)


def normalise_organisation(values: pd.Series) -> pd.Series:
    """Normalise organisation names like personal names, then drop legal-form words.

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_organisation(pd.Series(["ACME Ltd.", "Acme Limited", "Müller GmbH & Co. KG"])).tolist()
    ['acme', 'acme', 'muller']
    """  # noqa: E501
    words = normalise_name(values).str.replace("&", " ", regex=False).str.split()

    def drop_forms(parts: list[str]) -> str | None:
        kept = [p for p in parts if p not in LEGAL_FORMS]
        return " ".join(kept) if kept else " ".join(parts) or None

    return _finish(words.map(drop_forms, na_action="ignore"))


def normalise_email(values: pd.Series, *, provider_rules: bool = False) -> pd.Series:
    """Lower-case e-mail addresses; refuse what is not an address (it becomes NA).

    With ``provider_rules``, addresses that the provider treats as one are
    made one: Gmail ignores dots and anything after ``+`` in the local part.

    Examples
    --------
    >>> import pandas as pd
    >>> emails = pd.Series([" Jo.Ann+news@GMail.com", "no-at-sign", None])
    >>> normalise_email(emails).tolist()
    ['jo.ann+news@gmail.com', <NA>, <NA>]
    >>> normalise_email(emails, provider_rules=True).tolist()
    ['joann@gmail.com', <NA>, <NA>]
    """
    text = _text(values).str.lower().str.replace(r"\s+", "", regex=True)
    valid = text.str.fullmatch(r"[^@]+@[^@]+\.[^@]+").fillna(value=False).astype(bool)
    text = text.where(valid)
    if provider_rules:
        parts = text.str.rsplit("@", n=1, expand=True)
        if parts.shape[1] == 2:  # noqa: PLR2004 - local part and domain
            local, domain = parts[0], parts[1].replace("googlemail.com", "gmail.com")
            gmail = domain.isin(_GMAIL).fillna(value=False).astype(bool)
            cleaned = local.str.split("+", n=1).str[0].str.replace(".", "", regex=False)
            local = local.where(~gmail, cleaned)
            text = (local + "@" + domain).astype("string")
    return _finish(text)


def normalise_phone(values: pd.Series, *, country_code: str | None = None) -> pd.Series:
    """Reduce phone numbers to ``+<country><number>`` digits where the country is known.

    ``+44 (0)20 7946 0958``, ``0044 20 7946 0958`` and, with
    ``country_code="44"``, ``020 7946 0958`` all become ``+442079460958``.
    Without a country code, a national number keeps its digits only.
    Numbers of fewer than 6 digits are not phone numbers and become NA.

    Examples
    --------
    >>> import pandas as pd
    >>> phones = pd.Series(["+44 (0)20 7946 0958", "0044 20 7946 0958", "020 7946 0958", "12"])
    >>> normalise_phone(phones, country_code="44").tolist()
    ['+442079460958', '+442079460958', '+442079460958', <NA>]
    """
    text = _text(values)
    international = text.str.match(r"^\s*(\+|00)").fillna(value=False).astype(bool)
    text = text.str.replace(r"\(0\)", "", regex=True)
    digits = text.str.replace(r"\D", "", regex=True)
    digits = digits.where(~(international & digits.str.startswith("00")), digits.str[2:])
    national = ~international
    if country_code is not None:
        code = re.sub(r"\D", "", country_code)
        trunk = digits.str.lstrip("0")
        digits = digits.where(~national, code + trunk)
        international = international | national
    result = digits.where(~international, "+" + digits)
    short = digits.str.len() < 6  # noqa: PLR2004 - shortest plausible phone number
    return _finish(result.mask(short.fillna(value=False).astype(bool)))


def normalise_postcode(values: pd.Series) -> pd.Series:
    """Upper-case postcodes and remove spaces and dashes (``sw1a 1aa`` = ``SW1A1AA``).

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_postcode(pd.Series([" sw1a 1aa", "12-345", ""])).tolist()
    ['SW1A1AA', '12345', <NA>]
    """
    return _finish(_text(values).str.upper().str.replace(r"[\s\-]", "", regex=True))


_DATE_FORMATS = ("%Y%m%d", "%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y")


def normalise_date(values: pd.Series, *, day_first: bool = True) -> pd.Series:
    """Read dates written in several formats and return them as ``YYYY-MM-DD``.

    Unambiguous formats (``19650310``, ``1965-03-10``, ``10.03.1965``) are read
    as written; slashed dates with the year last (``10/03/1965``) follow
    ``day_first``. Impossible dates (``19651332``) become NA rather than a
    guess; day/month swaps are the comparison's business, not this one's.

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_date(pd.Series(["19650310", "10/03/1965", "1965-3-10", "19651332", None])).tolist()
    ['1965-03-10', '1965-03-10', '1965-03-10', <NA>, <NA>]
    """  # noqa: E501
    text = _text(values)
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[s]")  # years 1..9999
    slashed = ("%d/%m/%Y", "%d-%m-%Y") if day_first else ("%m/%d/%Y", "%m-%d-%Y")
    for fmt in (*_DATE_FORMATS, *slashed):
        missing = parsed.isna() & text.notna()
        if not missing.any():
            break
        attempt = pd.to_datetime(text[missing], format=fmt, errors="coerce")
        parsed = parsed.fillna(attempt.astype("datetime64[s]"))
    result: pd.Series = parsed.dt.strftime("%Y-%m-%d").astype("string")
    return result
