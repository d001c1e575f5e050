"""Person records with known duplicates, at any size: the identity-resolution benchmark.

The Febrl files are small (at most 10,000 records), so they cannot show how a
matcher scales. This simulator writes as many records as asked, in the shape
of a customer table (names, e-mail, phone, address, date of birth), corrupts
duplicate records the way forms and imports do, and keeps the truth: which
records are one person, and which different people share a home.

Values are drawn with the frequencies of the original (uncorrupted) Febrl
records, so common names are common and distinct people often share a name,
which is what makes deduplication hard. Everything is vectorised with numpy:
loops run over fields, formats or distinct names, never over records.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from functools import cache, cached_property
from types import MappingProxyType
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from attrs import field, frozen
from numpy.typing import NDArray

from .._deprecation import renamed_parameters
from .._validation import as_generator, require_number
from ..errors import DataContractError
from ._febrl import load_febrl

__all__ = ["CUSTOMER_BASE_PARAMS", "IDENTITY_FIELDS", "SimulatedIdentities", "simulate_identities"]

Strings: TypeAlias = NDArray[np.object_]
Ints: TypeAlias = NDArray[np.int64]
Flags: TypeAlias = NDArray[np.bool_]

IDENTITY_FIELDS: tuple[str, ...] = (
    "given_name",
    "surname",
    "email",
    "phone",
    "street",
    "postcode",
    "city",
    "date_of_birth",
)
"""The identity fields of every simulated record, in column order (all text)."""

CUSTOMER_BASE_PARAMS: Mapping[str, Any] = MappingProxyType(
    {
        "household_share": 0.15,
        "moved_share": 0.1,
        "family_mailbox_share": 0.3,
        "us_date_share": 0.15,
        "city_from_postcode": True,
        "channel_shares": MappingProxyType({"web": 0.5, "store": 0.35, "call_centre": 0.15}),
    }
)
"""Arguments of :func:`simulate_identities` for a multi-channel customer base.

Customers who moved (10%), households of 15% of people where 30% of those who
join a home write its family mailbox, 15% of dates written month first (a US
form), cities that follow from postcodes, and three channels that each leave
something out. Pass it as ``simulate_identities(n, **CUSTOMER_BASE_PARAMS)``;
the identity benchmark (``benchmarks/identify.py --customer-base``) does.
"""

# How often each corruption hits a duplicate record (each field independently).
# Originals are never corrupted; only formats and missing values vary on them.
_P_NICKNAME = 0.15  # given name -> nickname or back (if the name has one)
_P_GIVEN_TYPO = 0.12
_P_SURNAME_TYPO = 0.12
_P_NAME_CASE = 0.06  # names in upper or lower case
_P_NAME_SWAP = 0.03  # given name and surname in each other's field
_P_EMAIL_OTHER = 0.10  # another address of the same person
_P_EMAIL_FORMAT = 0.15  # upper case, gmail dots, +tag: the same mailbox
_P_PHONE_TYPO = 0.03
_P_STREET_ABBREVIATION = 0.20  # "Street" -> "St"
_P_STREET_TYPO = 0.10
_P_ADDRESS_CASE = 0.04
_P_CITY_TYPO = 0.06
_P_POSTCODE_TYPO = 0.04
_P_DOB_SWAP = 0.05  # day and month exchanged (where both are <= 12)

# Households: how often members share the landline of the person they live
# with, and how often anyone gives a landline rather than a mobile.
_P_SHARED_LANDLINE = 0.6
_P_LANDLINE = 0.15

# People who moved: each record after their first is at the new address with this
# chance (the first such record always is, so every mover shows both homes).
_P_AT_NEW_ADDRESS = 0.5

# Channels and the fields each one leaves out: (fields, chance), the fields missing
# together. A web sign-up asks no address, a till asks no e-mail, a call-centre agent
# rarely asks a date of birth.
_CHANNELS: Mapping[str, tuple[tuple[str, ...], float]] = {
    "web": (("street", "postcode", "city"), 0.9),
    "store": (("email",), 0.8),
    "call_centre": (("date_of_birth",), 0.5),
}

_FIRST_BIRTHDAY = np.datetime64("1940-01-01", "D")
_LAST_BIRTHDAY = np.datetime64("2005-12-31", "D")

# Australian numbers, as the Febrl addresses are Australian: 10 digits with the
# trunk 0; mobiles start 04, landlines 02/03/07/08 (area code).
_LANDLINE_AREAS = np.array([2, 3, 7, 8], dtype=np.int64)
_PHONE_FORMAT_WEIGHTS = (0.5, 0.2, 0.08, 0.1, 0.07, 0.05)  # see _phones
# ISO, dd/mm/yyyy, yyyymmdd, d Mon yyyy, d/m/yyyy (see _dates); mm/dd/yyyy (US) is
# written instead for a share us_date_share of records.
_DATE_FORMAT_WEIGHTS = (0.55, 0.2, 0.1, 0.1, 0.05)
_US_DATE = len(_DATE_FORMAT_WEIGHTS)

_PROVIDERS: tuple[tuple[str, float], ...] = (
    ("gmail.com", 0.34),
    ("bigpond.com", 0.14),
    ("hotmail.com", 0.12),
    ("outlook.com", 0.10),
    ("yahoo.com.au", 0.10),
    ("icloud.com", 0.08),
    ("optusnet.com.au", 0.07),
    ("live.com.au", 0.05),
)
# Local parts of e-mail addresses, from g(iven), s(urname), i(nitial), yy
# (year of birth) and nn (two random digits).
_EMAIL_PATTERNS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("g", ".", "s"), 0.20),
    (("g", ".", "s", "yy"), 0.15),
    (("g", "s"), 0.12),
    (("i", "s"), 0.12),
    (("i", ".", "s", "nn"), 0.08),
    (("s", ".", "g"), 0.06),
    (("g", "_", "s"), 0.05),
    (("g", "yy"), 0.07),
    (("g", ".", "s", "nn"), 0.15),
)
_EMAIL_TAGS = np.array(["+news", "+shop", "+promo", "+deals"], dtype=object)

_STREET_TYPES: Mapping[str, str] = {
    "street": "St",
    "place": "Pl",
    "crescent": "Cres",
    "circuit": "Cct",
    "avenue": "Ave",
    "close": "Cl",
    "drive": "Dr",
    "court": "Ct",
    "road": "Rd",
    "way": "Wy",
    "terrace": "Tce",
    "highway": "Hwy",
    "circle": "Cir",
    "square": "Sq",
    "lane": "La",
    "grove": "Gr",
}
"""Street types kept from Febrl's addresses, with the abbreviations people write."""

# Formal given names and their nicknames (either may be the one on file).
_NICKNAMES: tuple[tuple[str, str], ...] = (
    ("abigail", "abby"), ("alexander", "alex"), ("alexander", "xander"),
    ("alexandra", "alex"), ("alexandra", "lexi"), ("andrew", "andy"), ("andrew", "drew"),
    ("anthony", "tony"), ("benjamin", "ben"), ("benjamin", "benny"), ("cameron", "cam"),
    ("catherine", "cathy"), ("catherine", "kate"), ("charles", "charlie"),
    ("charles", "chuck"), ("christopher", "chris"), ("christopher", "kit"),
    ("christine", "chris"), ("christine", "chrissy"), ("daniel", "dan"), ("daniel", "danny"),
    ("david", "dave"), ("deborah", "debbie"), ("edward", "ed"), ("edward", "eddie"),
    ("edward", "ted"), ("elizabeth", "beth"), ("elizabeth", "betty"), ("elizabeth", "liz"),
    ("elizabeth", "lizzie"), ("emily", "em"), ("frederick", "fred"), ("gregory", "greg"),
    ("harold", "harry"), ("henry", "harry"), ("henry", "hank"), ("isabella", "bella"),
    ("isabella", "izzy"), ("jacob", "jake"), ("jacqueline", "jackie"), ("james", "jamie"),
    ("james", "jim"), ("james", "jimmy"), ("jennifer", "jen"), ("jennifer", "jenny"),
    ("jessica", "jess"), ("jessica", "jessie"), ("john", "jack"), ("john", "johnny"),
    ("jonathan", "jon"), ("joseph", "joe"), ("joseph", "joey"), ("joshua", "josh"),
    ("katherine", "kate"), ("katherine", "kathy"), ("katherine", "katie"),
    ("kenneth", "ken"), ("kimberley", "kim"), ("kimberly", "kim"), ("lachlan", "lachie"),
    ("lawrence", "larry"), ("madeline", "maddie"), ("margaret", "maggie"),
    ("margaret", "meg"), ("margaret", "peggy"), ("matthew", "matt"), ("michael", "mick"),
    ("michael", "mike"), ("mitchell", "mitch"), ("natalie", "nat"), ("nathan", "nate"),
    ("nicholas", "nick"), ("nicholas", "nicky"), ("patricia", "pat"), ("patricia", "trish"),
    ("patrick", "paddy"), ("patrick", "pat"), ("peter", "pete"), ("rebecca", "bec"),
    ("rebecca", "becky"), ("richard", "dick"), ("richard", "rick"), ("robert", "bob"),
    ("robert", "bobby"), ("robert", "rob"), ("samantha", "sam"), ("samuel", "sam"),
    ("samuel", "sammy"), ("stephanie", "steph"), ("stephen", "steve"), ("steven", "steve"),
    ("susan", "sue"), ("thomas", "tom"), ("thomas", "tommy"), ("timothy", "tim"),
    ("victoria", "tori"), ("victoria", "vicky"), ("william", "bill"), ("william", "billy"),
    ("william", "liam"), ("william", "will"), ("zachary", "zach"),
)  # fmt: skip

_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_FEBRL_FIXES = {"emiily": "emily"}  # a misspelling in Febrl's own frequency table

_PAD2 = np.array([f"{i:02d}" for i in range(100)], dtype=object)
_PAD3 = np.array([f"{i:03d}" for i in range(1000)], dtype=object)
_PAD4 = np.array([f"{i:04d}" for i in range(10_000)], dtype=object)
_PLAIN = np.array([str(i) for i in range(100)], dtype=object)
_SUFFIXES = np.random.default_rng(0).permutation(np.arange(101, 1000)).astype(str).astype(object)
_MONTHS = np.array(
    ["", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    dtype=object,
)


@frozen(eq=False)
class SimulatedIdentities:
    """Person records with duplicates and households, and the truth behind them.

    Attributes
    ----------
    records
        One row per record, shuffled (the records of one person are not
        adjacent): ``record_id`` (unique, ``"r0000001"`` ...) and the
        :data:`IDENTITY_FIELDS`, all of pandas ``string`` dtype with ``<NA>``
        for missing values. Dates of birth and phone numbers are written in
        several formats, as different forms and imports write them.
    true_entities
        ``entity_id`` (int64) indexed by ``record_id``: records of the same
        person share it.
    true_households
        ``household_id`` (int64) indexed by ``record_id``: people who live
        together share it (it is the ``entity_id`` of one of them). Different
        people of one household are different entities: they share an address,
        a surname and often a phone, and a matcher that links them is wrong.
    true_moved
        ``moved`` (bool) indexed by ``record_id``: the record was written at
        the person's new home, after a move (see ``moved_share``). A person
        with a moved record always has one at the old home too.
    true_birth_dates
        ``date_of_birth`` (``datetime64``) indexed by ``record_id``: the
        person's date of birth, whatever format the record wrote it in (a
        duplicate's day and month may be exchanged; the truth is not).
    params
        The arguments used, by name (``n_records`` ... ``channel_shares``).
    """

    records: pd.DataFrame
    true_entities: pd.Series
    true_households: pd.Series
    true_moved: pd.Series
    true_birth_dates: pd.Series
    params: Mapping[str, object]

    @cached_property
    def true_links(self) -> pd.DataFrame:
        """Every pair of records of the same person, once.

        Columns ``rec_id_1`` and ``rec_id_2`` (pandas ``string``), with
        ``rec_id_1 < rec_id_2``, sorted. Computed on first access from
        :attr:`true_entities` by comparing each record only with the next few
        of its own entity (after sorting), so it costs O(n log n), not O(n^2).
        """
        ids = self.true_entities.index.to_numpy(dtype=object).astype(str)
        first, second = _pairs_sharing(ids, self.true_entities.to_numpy(dtype=np.int64))
        return _pair_frame(first, second)

    @cached_property
    def moved_links(self) -> pd.DataFrame:
        """The true pairs across a move: one record at the old home, one at the new.

        A subset of :attr:`true_links` (same columns and order). Recall on
        these pairs is what a matcher that trusts addresses loses.
        """
        links = self.true_links
        moved = self.true_moved
        across = moved[links["rec_id_1"]].to_numpy() != moved[links["rec_id_2"]].to_numpy()
        result: pd.DataFrame = links[across].reset_index(drop=True)
        return result

    @cached_property
    def household_pairs(self) -> pd.DataFrame:
        """Every pair of records of two different people of one household.

        Same columns as :attr:`true_links` (``rec_id_1 < rec_id_2``, sorted).
        None of these pairs is a match: they share an address, a surname and
        often a landline or a family mailbox, so a matcher's precision on the
        pairs it links among them shows how well it keeps households apart.
        """
        household = self.true_households.to_numpy(dtype=np.int64)
        entity = self.true_entities.to_numpy(dtype=np.int64)
        shared = pd.Series(entity).groupby(household).transform("nunique").to_numpy() > 1
        ids = self.true_entities.index.to_numpy(dtype=object).astype(str)[shared]
        first, second = _pairs_sharing(ids, household[shared])
        whose = pd.Series(entity[shared], index=pd.Index(ids))
        other = whose[pd.Index(first)].to_numpy() != whose[pd.Index(second)].to_numpy()
        return _pair_frame(first[other], second[other])


def _pairs_sharing(ids: NDArray[np.str_], key: Ints) -> tuple[NDArray[np.str_], NDArray[np.str_]]:
    """Every pair of ids with the same key, as (first, second) with first < second, sorted.

    Sorting by key puts the k records of a key next to each other, so each is
    compared only with the next k - 1: O(n log n + pairs), not O(n^2).
    """
    order = np.lexsort((ids, key))
    ids, key = ids[order], key[order]
    largest = int(np.unique(key, return_counts=True)[1].max()) if key.size else 0
    left, right = [ids[:0]], [ids[:0]]
    for step in range(1, largest):
        same = key[:-step] == key[step:]
        left.append(ids[:-step][same])
        right.append(ids[step:][same])
    first, second = np.concatenate(left), np.concatenate(right)
    order = np.lexsort((second, first))
    return first[order], second[order]


def _pair_frame(first: NDArray[np.str_], second: NDArray[np.str_]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rec_id_1": pd.array(first.astype(object), dtype="string"),
            "rec_id_2": pd.array(second.astype(object), dtype="string"),
        }
    )


def _read_only(array: NDArray[Any]) -> NDArray[Any]:
    """Lock an array of the cached pools, so no simulation can change the next one's."""
    array.flags.writeable = False
    return array


@frozen(eq=False)
class _Pool:
    """Febrl values with their sampling probabilities; ``shown`` is how records print them."""

    raw: Strings = field(converter=_read_only)  # lower case, as in Febrl
    shown: Strings = field(converter=_read_only)
    p: NDArray[np.float64] = field(converter=_read_only)

    def draw(self, rng: np.random.Generator, size: int) -> Ints:
        return rng.choice(self.raw.size, size=size, p=self.p).astype(np.int64)


@frozen(eq=False)
class _Pools:
    """Everything drawn from Febrl, computed once (see :func:`_pools`)."""

    given: _Pool
    surname: _Pool
    street_number: _Pool
    street_name: _Pool
    street_type: _Pool
    city: _Pool
    postcode: Strings = field(converter=_read_only)  # of each city
    place: _Pool  # postcodes, with their frequencies
    place_city: Ints = field(converter=_read_only)  # the city code of each postcode
    given_token: Strings = field(converter=_read_only)  # letters only, for e-mail
    surname_token: Strings = field(converter=_read_only)
    # For each given name, its nicknames or formal forms (padded with ""), and how many.
    alternatives: Strings = field(converter=_read_only)
    n_alternatives: Ints = field(converter=_read_only)
    street_abbreviation: Strings = field(converter=_read_only)  # of each street type


def _title(values: Strings) -> Strings:
    """Capitalise words as names are written: ``o'brien`` -> ``O'Brien``, ``van't`` stays."""
    text = pd.Series(values, dtype=object).str.title()
    text = text.str.replace(r"(?<=[a-z]')[A-Z]\b", lambda m: m.group(0).lower(), regex=True)
    return _strings(text)


def _strings(values: pd.Series) -> Strings:
    """Copy values into a writable object array (pandas may hand out read-only views)."""
    return np.array(values.to_numpy(dtype=object), dtype=object)


def _case(values: Strings, how: str) -> Strings:
    text = pd.Series(values, dtype=object)
    changed = text.str.upper() if how == "upper" else text.str.lower()
    return _strings(changed)


def _pool(counts: pd.Series) -> _Pool:
    """Build a pool from value counts; ties go by value, so draws never depend on pandas order."""
    frame = counts.rename("n").rename_axis("value").reset_index()
    frame = frame.sort_values(["n", "value"], ascending=[False, True], kind="stable")
    values = _strings(frame["value"])
    weights = frame["n"].to_numpy(dtype=np.float64)
    return _Pool(raw=values, shown=_title(values), p=weights / weights.sum())


def _alternatives(given: Strings) -> tuple[Strings, Ints]:
    """For each given name, its nicknames (or its formal forms if it is a nickname)."""
    options: dict[str, list[str]] = {}
    for formal, nick in _NICKNAMES:
        options.setdefault(formal, []).append(nick)
        options.setdefault(nick, []).append(formal)
    width = max(len(v) for v in options.values())
    table = np.full((given.size, width), "", dtype=object)
    counts = np.zeros(given.size, dtype=np.int64)
    for i, name in enumerate(given):  # once per distinct name
        alts = sorted(set(options.get(name, [])))
        table[i, : len(alts)] = alts
        counts[i] = len(alts)
    return table, counts


@cache
def _pools() -> _Pools:
    """Value frequencies of the original Febrl records (duplicates would skew them)."""
    frames = [load_febrl(name).records for name in ("dataset1", "dataset2", "dataset4")]
    febrl = pd.concat(frames)
    febrl = febrl[febrl.index.str.contains("-org", regex=False)]

    given = _pool(febrl["given_name"].dropna().replace(_FEBRL_FIXES).value_counts())
    surname = _pool(febrl["surname"].dropna().value_counts())

    address = febrl["address_1"].dropna()
    address = address[address.str.fullmatch(r"[a-z][a-z' -]* [a-z]+")]
    parts = address.str.rsplit(" ", n=1, expand=True)
    known = parts[1].isin(list(_STREET_TYPES))
    street_name = _pool(parts.loc[known, 0].value_counts())
    street_type = _pool(parts.loc[known, 1].value_counts())
    numbers = _pool(febrl["street_number"].dropna().value_counts())

    # One postcode per city (its most common one), so a city and its postcode agree.
    places = febrl[["suburb", "postcode"]].dropna()
    pairs = places.value_counts().rename("n").reset_index()
    pairs = pairs.sort_values(["suburb", "n", "postcode"], ascending=[True, False, True])
    postcode_of = pairs.drop_duplicates("suburb").set_index("suburb")["postcode"]
    city = _pool(places["suburb"].value_counts())
    postcodes = postcode_of.reindex(city.raw).to_numpy(dtype=object)
    # The other way round, for city_from_postcode: each postcode's most common city.
    pairs = pairs.sort_values(["postcode", "n", "suburb"], ascending=[True, False, True])
    city_of = pairs.drop_duplicates("postcode").set_index("postcode")["suburb"]
    place = _pool(places["postcode"].value_counts())
    place_city = pd.Index(city.raw).get_indexer(pd.Index(city_of.reindex(place.raw)))

    alternatives, n_alternatives = _alternatives(given.raw)
    abbreviation = np.array([_STREET_TYPES[t] for t in street_type.raw], dtype=object)
    return _Pools(
        given=given,
        surname=surname,
        street_number=numbers,
        street_name=street_name,
        street_type=street_type,
        city=city,
        postcode=postcodes,
        place=place,
        place_city=place_city.astype(np.int64),
        given_token=_letters(given.raw),
        surname_token=_letters(surname.raw),
        alternatives=alternatives,
        n_alternatives=n_alternatives,
        street_abbreviation=abbreviation,
    )


def _letters(values: Strings) -> Strings:
    return _strings(pd.Series(values, dtype=object).str.replace(r"[^a-z]", "", regex=True))


@cache
def _neighbours() -> tuple[NDArray[np.uint32], Ints]:
    """Keys next to each ASCII character on a QWERTY keyboard (the fat-finger typo).

    Letters get neighbouring letters (upper case stays upper case), digits the
    digits one above and below; anything else (space, hyphen, apostrophe, non-ASCII)
    is replaced by or followed by a random lower-case letter.
    """
    table = np.zeros((128, 26), dtype=np.uint32)
    table[:] = [ord(c) for c in string.ascii_lowercase]
    counts = np.full(128, 26, dtype=np.int64)
    for r, row in enumerate(_KEYBOARD):
        for c, key in enumerate(row):
            near = [
                _KEYBOARD[r + dr][c + dc]
                for dr, dc in ((0, -1), (0, 1), (-1, 0), (-1, 1), (1, -1), (1, 0))
                if 0 <= r + dr < len(_KEYBOARD) and 0 <= c + dc < len(_KEYBOARD[r + dr])
            ]
            for char, keys in ((key, near), (key.upper(), [k.upper() for k in near])):
                table[ord(char), : len(keys)] = [ord(k) for k in keys]
                counts[ord(char)] = len(keys)
    for d in range(10):
        keys = [str(k) for k in (d - 1, d + 1) if 0 <= k <= 9]  # noqa: PLR2004
        table[ord(str(d)), : len(keys)] = [ord(k) for k in keys]
        counts[ord(str(d))] = len(keys)
    return table, counts


def _typo(values: Strings, rng: np.random.Generator) -> Strings:
    """One typing error per value: substitute, insert, delete or transpose a character.

    Works on the UTF-32 code points of the strings as a 2-D integer array, so
    it costs a few numpy operations whatever the number of values.
    """
    n = values.size
    text = values.astype(str)
    width = text.dtype.itemsize // 4
    if n == 0 or width == 0:
        return values.copy()
    codes = np.zeros((n, width + 2), dtype=np.uint32)
    codes[:, :width] = text.view(np.uint32).reshape(n, width)
    length = (codes != 0).sum(axis=1)
    op = rng.integers(0, 4, size=n)  # 0 substitute, 1 insert, 2 delete, 3 transpose
    op[(op >= 2) & (length < 2)] = 0  # noqa: PLR2004 - never empty a value
    span = np.where(op == 1, length + 1, np.where(op == 3, length - 1, length))  # noqa: PLR2004
    pos = np.minimum(np.floor(rng.random(n) * span), np.maximum(span - 1, 0)).astype(np.int64)

    j = np.arange(width + 1)[None, :]
    p = pos[:, None]
    src = np.broadcast_to(j, (n, width + 1)).copy()
    src = np.where((op == 1)[:, None] & (j > p), j - 1, src)
    src = np.where((op == 2)[:, None] & (j >= p), j + 1, src)  # noqa: PLR2004
    src = np.where((op == 3)[:, None] & (j == p), j + 1, src)  # noqa: PLR2004
    src = np.where((op == 3)[:, None] & (j == p + 1), j - 1, src)  # noqa: PLR2004
    out = np.take_along_axis(codes, src, axis=1)

    table, counts = _neighbours()
    rows = np.arange(n)
    anchor = codes[rows, np.minimum(pos, np.maximum(length - 1, 0))]
    anchor = np.where(anchor < 128, anchor, 0)  # noqa: PLR2004 - ASCII only
    pick = np.floor(rng.random(n) * counts[anchor]).astype(np.int64)
    new = table[anchor, pick]
    write = np.flatnonzero(op <= 1)
    out[write, pos[write]] = new[write]
    result: Strings = np.ascontiguousarray(out).view(f"<U{width + 1}").ravel().astype(object)
    return result


def _choose(rng: np.random.Generator, weights: tuple[float, ...], size: int) -> Ints:
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(p.size, size=size, p=p / p.sum()).astype(np.int64)


def _entity_sizes(
    rng: np.random.Generator, n: int, share: float, most: int, moved_share: float
) -> tuple[Ints, Flags]:
    """Draw records per person, summing to ``n``: 1, plus 1..``most`` for a ``share`` of people.

    The number of extra records k is floor((most + 1) ** U), so
    P(k) = log(1 + 1/k) / log(most + 1): Zipf-like, many single duplicates and
    few long chains, drawn in O(1) memory whatever ``most`` is. A
    ``moved_share`` of people moved; they have at least two records (one
    at each address), and are returned flagged. Nothing is drawn for moves
    when ``moved_share`` is 0, so the defaults draw what they always drew.
    """
    has = rng.random(n) < share
    extra = np.minimum(np.floor((most + 1.0) ** rng.random(n)), most).astype(np.int64)
    sizes = 1 + np.where(has, extra, 0)
    moved = np.zeros(n, dtype=np.bool_)
    if moved_share > 0:
        moved = rng.random(n) < moved_share
        sizes = np.maximum(sizes, 1 + moved.astype(np.int64))
    total = np.cumsum(sizes)
    people = int(np.searchsorted(total, n)) + 1  # first prefix reaching n records
    sizes = sizes[:people]
    sizes[-1] -= total[people - 1] - n
    return sizes, moved[:people] & (sizes > 1)


def _dates(year: Ints, month: Ints, day: Ints, style: Ints) -> Strings:
    """Write dates in one of six styles.

    ISO, dd/mm/yyyy, yyyymmdd, d Mon yyyy, d/m/yyyy, and the US mm/dd/yyyy.
    """
    out = np.empty(year.size, dtype=object)
    yyyy, mm, dd = _PAD4[year], _PAD2[month], _PAD2[day]
    pieces = (
        (yyyy, "-", mm, "-", dd),
        (dd, "/", mm, "/", yyyy),
        (yyyy, mm, dd),
        (_PLAIN[day], " ", _MONTHS[month], " ", yyyy),
        (_PLAIN[day], "/", _PLAIN[month], "/", yyyy),
        (mm, "/", dd, "/", yyyy),  # _US_DATE
    )
    for k, parts in enumerate(pieces):
        _fill(out, style == k, parts)
    return out


def _fill(out: Strings, where: Flags, parts: tuple[Strings | str, ...]) -> None:
    """``out[where] = concatenation of parts[where]`` (arrays are sliced, strings kept)."""
    if not where.any():
        return
    text: Strings = np.full(int(where.sum()), "", dtype=object)
    for part in parts:
        text = text + (part if isinstance(part, str) else part[where])
    out[where] = text


def _phones(number: Ints, style: Ints) -> Strings:
    """Write 9-digit national numbers (without the trunk 0) in six styles.

    Every style reduces to the same digits: ``0412 345 678``, ``0412345678``,
    ``0412-345-678``, ``+61 412 345 678``, ``+61412345678`` and
    ``(04) 1234 5678`` for mobiles; ``(02) 9876 5432``, ..., ``02 9876 5432``
    for landlines.
    """
    mobile = number // 10**8 == 4  # noqa: PLR2004
    a3, b3, c3 = _PAD3[number // 10**6], _PAD3[(number // 10**3) % 1000], _PAD3[number % 1000]
    a1, b4, c4 = _PLAIN[number // 10**8], _PAD4[(number // 10**4) % 10**4], _PAD4[number % 10**4]
    out = np.empty(number.size, dtype=object)
    _fill(out, (style == 0) & mobile, ("0", a3, " ", b3, " ", c3))
    _fill(out, (style == 0) & ~mobile, ("(0", a1, ") ", b4, " ", c4))
    _fill(out, style == 1, ("0", a3, b3, c3))
    _fill(out, (style == 2) & mobile, ("0", a3, "-", b3, "-", c3))  # noqa: PLR2004
    _fill(out, (style == 2) & ~mobile, ("0", a1, "-", b4, "-", c4))  # noqa: PLR2004
    _fill(out, (style == 3) & mobile, ("+61 ", a3, " ", b3, " ", c3))  # noqa: PLR2004
    _fill(out, (style == 3) & ~mobile, ("+61 ", a1, " ", b4, " ", c4))  # noqa: PLR2004
    _fill(out, style == 4, ("+61", a3, b3, c3))  # noqa: PLR2004
    _fill(out, (style == 5) & mobile, ("(0", a1, ") ", b4, " ", c4))  # noqa: PLR2004
    _fill(out, (style == 5) & ~mobile, ("0", a1, " ", b4, " ", c4))  # noqa: PLR2004
    return out


@frozen(eq=False)
class _People:
    """One row per person (entity): pool codes and drawn values, before any record exists."""

    given: Ints
    surname: Ints
    birthday: Ints  # days since _FIRST_BIRTHDAY
    street_number: Ints
    street_name: Ints
    street_type: Ints
    city: Ints
    postcode: Strings
    phone: Ints  # 9-digit national number, without the trunk 0
    household: Ints  # index of the person whose home it is
    email_pattern: Ints
    email_local: Strings
    email_domain: Strings
    mailbox_owner: Ints  # the person whose mailbox it is (a household head's, if shared)
    moved: Flags
    # Where movers live now (a copy of the old home for everyone else).
    new_street_number: Ints
    new_street_name: Ints
    new_street_type: Ints
    new_city: Ints
    new_postcode: Strings
    new_phone: Ints  # a mover's landline stays in the old home; a mobile moves along


def _unique_numbers(rng: np.random.Generator, landline: Flags) -> Ints:
    """Distinct phone numbers: ``4xxxxxxxx`` for mobiles, ``Axxxxxxxx`` for landlines."""
    number = np.empty(landline.size, dtype=np.int64)
    n_landlines = int(landline.sum())
    mobile = rng.choice(10**8, size=landline.size - n_landlines, replace=False)
    number[~landline] = 4 * 10**8 + mobile
    # Landline subscriber numbers start with 2-9 after the area code.
    fixed = rng.choice(_LANDLINE_AREAS.size * 8 * 10**7, size=n_landlines, replace=False)
    area = _LANDLINE_AREAS[fixed // (8 * 10**7)]
    number[landline] = area * 10**8 + 2 * 10**7 + fixed % (8 * 10**7)
    return number


def _email_parts(
    rng: np.random.Generator,
    pools: _Pools,
    given: Ints,
    surname: Ints,
    year: Ints,
    *,
    pattern: Ints | None = None,
) -> tuple[Strings, Strings, Ints]:
    """Local parts and domains built from the names, e.g. ``john.smith84`` at ``gmail.com``."""
    n = given.size
    if pattern is None:
        pattern = _choose(rng, tuple(w for _, w in _EMAIL_PATTERNS), n)
    domain = np.array([d for d, _ in _PROVIDERS], dtype=object)[
        _choose(rng, tuple(w for _, w in _PROVIDERS), n)
    ]
    g, s = pools.given_token[given], pools.surname_token[surname]
    tokens: dict[str, Strings] = {
        "g": g,
        "s": s,
        "i": _strings(pd.Series(g, dtype=object).str[:1]),
        "yy": _PAD2[year % 100],
        "nn": _PAD2[rng.integers(0, 100, size=n)],
    }
    local = np.empty(n, dtype=object)
    for k, (parts, _) in enumerate(_EMAIL_PATTERNS):
        _fill(local, pattern == k, tuple(tokens.get(part, part) for part in parts))
    return local, domain, pattern


@frozen(kw_only=True)
class _Options:
    """The options of #14 (real customer bases); all off by default."""

    household_share: float
    moved_share: float
    family_mailbox_share: float
    us_date_share: float
    city_from_postcode: bool
    channel_shares: Mapping[str, float] | None


def _places(
    rng: np.random.Generator, pools: _Pools, n: int, *, city_from_postcode: bool
) -> tuple[Ints, Strings]:
    """City codes and postcodes of ``n`` homes: the postcode follows the city, or the reverse."""
    if city_from_postcode:
        place = pools.place.draw(rng, n)
        return pools.place_city[place], pools.place.raw[place]
    city = pools.city.draw(rng, n)
    return city, pools.postcode[city]


def _people(rng: np.random.Generator, pools: _Pools, moved: Flags, options: _Options) -> _People:
    n = moved.size
    given = pools.given.draw(rng, n)
    surname = pools.surname.draw(rng, n)
    days = int((_LAST_BIRTHDAY - _FIRST_BIRTHDAY).astype(np.int64)) + 1
    birthday = rng.integers(0, days, size=n)
    street_number = pools.street_number.draw(rng, n)
    street_name = pools.street_name.draw(rng, n)
    street_type = pools.street_type.draw(rng, n)
    city, postcode = _places(rng, pools, n, city_from_postcode=options.city_from_postcode)

    # Households: a share of people move in with someone who is not a member
    # themselves; they take that person's surname and address. People who
    # moved live alone (their new home is theirs only), so the share is
    # drawn among the others, scaled to stay a share of everyone.
    stays = ~moved
    p_member = min(1.0, options.household_share / stays.mean()) if stays.any() else 0.0
    member = (rng.random(n) < p_member) & stays
    if member.any() and not (stays & ~member).any():  # someone must own the home
        member[np.flatnonzero(stays)[0]] = False
    heads, members = np.flatnonzero(stays & ~member), np.flatnonzero(member)
    head = heads[rng.integers(0, heads.size, size=members.size)]
    household = np.arange(n, dtype=np.int64)
    household[members] = head
    for values in (surname, street_number, street_name, street_type, city, postcode):
        values[members] = values[head]
    # ... but a different given name and date of birth (a fresh draw if equal).
    for values, draw in (
        (given, lambda k: pools.given.draw(rng, k)),
        (birthday, lambda k: rng.integers(0, days, size=k)),
    ):
        same = values[members] == values[head]
        while same.any():
            values[members[same]] = draw(int(same.sum()))
            same = values[members] == values[head]

    sharing = rng.random(members.size) < _P_SHARED_LANDLINE
    landline = rng.random(n) < _P_LANDLINE
    landline[head[sharing]] = True
    # Movers with a landline get a new one: drawn with the others, so all differ.
    relined = np.flatnonzero(moved & landline)
    numbers = _unique_numbers(rng, np.concatenate([landline, np.ones(relined.size, np.bool_)]))
    phone = numbers[:n].copy()
    phone[members[sharing]] = phone[head[sharing]]
    new_phone = phone.copy()
    new_phone[relined] = numbers[n:]

    year = _birth_dates(birthday)[0]
    local, domain, pattern = _email_parts(rng, pools, given, surname, year)
    # Family mailboxes: some members write the e-mail address of the home's head.
    owner = np.arange(n, dtype=np.int64)
    if options.family_mailbox_share > 0:
        family = rng.random(members.size) < options.family_mailbox_share
        joins, whose = members[family], head[family]
        local[joins], domain[joins], pattern[joins] = local[whose], domain[whose], pattern[whose]
        owner[joins] = whose

    homes = _Homes(street_number, street_name, street_type, city, postcode)
    new = _move(rng, pools, homes, np.flatnonzero(moved), options=options)
    return _People(
        given=given,
        surname=surname,
        birthday=birthday,
        street_number=street_number,
        street_name=street_name,
        street_type=street_type,
        city=city,
        postcode=postcode,
        phone=phone,
        household=household,
        email_pattern=pattern,
        email_local=local,
        email_domain=domain,
        mailbox_owner=owner,
        moved=moved,
        new_street_number=new.street_number,
        new_street_name=new.street_name,
        new_street_type=new.street_type,
        new_city=new.city,
        new_postcode=new.postcode,
        new_phone=new_phone,
    )


@frozen
class _Homes:
    """Addresses of people, as pool codes (and the postcode as written)."""

    street_number: Ints
    street_name: Ints
    street_type: Ints
    city: Ints
    postcode: Strings


def _move(
    rng: np.random.Generator, pools: _Pools, old: _Homes, movers: Ints, *, options: _Options
) -> _Homes:
    """Return the homes after the ``movers`` moved: another street, city and postcode."""
    new = _Homes(
        old.street_number.copy(),
        old.street_name.copy(),
        old.street_type.copy(),
        old.city.copy(),
        old.postcode.copy(),
    )
    if movers.size == 0:
        return new
    new.street_number[movers] = pools.street_number.draw(rng, movers.size)
    new.street_name[movers] = pools.street_name.draw(rng, movers.size)
    new.street_type[movers] = pools.street_type.draw(rng, movers.size)
    todo = movers
    while todo.size:  # rarely more than one pass: few draws land in the old city
        city, postcode = _places(
            rng, pools, todo.size, city_from_postcode=options.city_from_postcode
        )
        new.city[todo], new.postcode[todo] = city, postcode
        todo = todo[(city == old.city[todo]) | (postcode == old.postcode[todo])]
    return new


def _birth_dates(days: Ints) -> tuple[Ints, Ints, Ints]:
    """Year, month and day of dates given as days since the first possible birthday."""
    dates = _FIRST_BIRTHDAY + days
    months = dates.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (dates - months).astype(np.int64) + 1
    return year, month, day


def _dotless(local: Strings) -> Strings:
    return _strings(pd.Series(local, dtype=object).str.replace(".", "", regex=False))


def _one_owner(local: Strings, domain: Strings, owner: Ints) -> Strings:
    """Give every mailbox one owner: later owners of a taken address get digits appended.

    Mailboxes are compared without dots in the local part (Gmail ignores them),
    so a reformatted address never lands in someone else's mailbox. The
    digits are three (101-999, in a fixed shuffled order), longer than the
    two-digit years and numbers of the patterns, so one pass nearly always
    settles every clash; the loop only guards against the rare rest.
    """
    local, bare = local.copy(), _dotless(local)
    key = bare + "@" + domain
    while True:
        rank = pd.Series(owner).groupby(key, sort=False).rank(method="dense").to_numpy()
        clash = np.flatnonzero(rank > 1)
        if clash.size == 0:
            return local
        extra = _SUFFIXES[(rank[clash].astype(np.int64) - 2) % _SUFFIXES.size]
        local[clash] = local[clash] + extra
        bare[clash] = bare[clash] + extra
        key[clash] = bare[clash] + "@" + domain[clash]


def _names(
    rng: np.random.Generator,
    pool: _Pool,
    code: Ints,
    dup: Flags,
    *,
    p_typo: float,
    alternatives: tuple[Strings, Ints] | None = None,
) -> Strings:
    """Names as shown, with nicknames (if ``alternatives`` are given) and typos on duplicates."""
    shown = pool.shown[code]
    typo = dup & (rng.random(code.size) < p_typo)
    nick = np.zeros(code.size, dtype=np.bool_)
    if alternatives is not None:
        table, counts = alternatives
        nick = dup & (rng.random(code.size) < _P_NICKNAME) & (counts[code] > 0)
        which = code[nick]
        pick = np.floor(rng.random(which.size) * counts[which]).astype(np.int64)
    work = typo | nick
    text = pool.raw[code[work]]
    if alternatives is not None:
        text[nick[work]] = table[which, pick]
    text[typo[work]] = _typo(text[typo[work]], rng)
    shown[work] = _title(text)
    return shown


def _recase(values: Strings, upper: Flags, lower: Flags) -> None:
    """Upper-case the values ``upper`` flags and lower-case those ``lower`` flags, in place."""
    values[upper] = _case(values[upper], "upper")
    values[lower] = _case(values[lower], "lower")


def _records(  # noqa: PLR0915 - one statement block per field, in column order
    rng: np.random.Generator,
    pools: _Pools,
    people: _People,
    entity: Ints,
    dup: Flags,
    *,
    moved: Flags,
    us_date_share: float,
) -> dict[str, Strings]:
    """Every record's fields, in entity order; duplicates corrupted, originals clean.

    Records flagged ``moved`` are written at the person's new home.
    """
    n = entity.size

    def home(old: NDArray[Any], new: NDArray[Any]) -> NDArray[Any]:
        return np.where(moved, new[entity], old[entity])

    def chance(p: float) -> Flags:
        hit: Flags = dup & (rng.random(n) < p)
        return hit

    alternatives = (pools.alternatives, pools.n_alternatives)
    given = _names(
        rng, pools.given, people.given[entity], dup, p_typo=_P_GIVEN_TYPO, alternatives=alternatives
    )
    surname = _names(rng, pools.surname, people.surname[entity], dup, p_typo=_P_SURNAME_TYPO)
    case = chance(_P_NAME_CASE)
    lower = case & (rng.random(n) < 0.5)  # noqa: PLR2004 - half upper, half lower
    _recase(given, case & ~lower, lower)
    _recase(surname, case & ~lower, lower)
    swap = chance(_P_NAME_SWAP)
    given[swap], surname[swap] = surname[swap], given[swap]

    year, month, day = _birth_dates(people.birthday[entity])
    local, domain = people.email_local[entity], people.email_domain[entity]
    other = chance(_P_EMAIL_OTHER)
    whose = entity[other]
    avoid = people.email_pattern[whose]
    shifted = (avoid + 1 + rng.integers(0, len(_EMAIL_PATTERNS) - 1, size=avoid.size)) % len(
        _EMAIL_PATTERNS
    )
    local[other], domain[other], _ = _email_parts(
        rng, pools, people.given[whose], people.surname[whose], year[other], pattern=shifted
    )
    local = _one_owner(local, domain, people.mailbox_owner[entity])
    email = local + "@" + domain
    _reformat_emails(rng, email, local, domain, chance(_P_EMAIL_FORMAT))

    number = home(people.phone, people.new_phone)
    typo = np.flatnonzero(chance(_P_PHONE_TYPO))
    place = 10 ** rng.integers(0, 8, size=typo.size)
    old = number[typo] // place % 10
    new = (old + rng.integers(1, 10, size=typo.size)) % 10
    number[typo] += (new - old) * place
    phone = _phones(number, _choose(rng, _PHONE_FORMAT_WEIGHTS, n))

    kind_code = home(people.street_type, people.new_street_type)
    kind = pools.street_type.shown[kind_code]
    short = chance(_P_STREET_ABBREVIATION)
    kind[short] = pools.street_abbreviation[kind_code[short]]
    street = (
        pools.street_number.shown[home(people.street_number, people.new_street_number)]
        + " "
        + pools.street_name.shown[home(people.street_name, people.new_street_name)]
        + " "
        + kind
    )
    typo_street = chance(_P_STREET_TYPO)
    street[typo_street] = _typo(street[typo_street], rng)
    city_code = home(people.city, people.new_city)
    city = pools.city.shown[city_code]
    typo_city = chance(_P_CITY_TYPO)
    city[typo_city] = _typo(city[typo_city], rng)
    never = np.zeros(n, dtype=np.bool_)
    _recase(street, chance(_P_ADDRESS_CASE), never)
    _recase(city, chance(_P_ADDRESS_CASE), never)
    postcode = home(people.postcode, people.new_postcode)
    typo_postcode = chance(_P_POSTCODE_TYPO)
    postcode[typo_postcode] = _typo(postcode[typo_postcode], rng)

    swap_dm = chance(_P_DOB_SWAP) & (day <= 12) & (day != month)  # noqa: PLR2004
    month, day = np.where(swap_dm, day, month), np.where(swap_dm, month, day)
    style = _choose(rng, _DATE_FORMAT_WEIGHTS, n)
    if us_date_share > 0:
        style[rng.random(n) < us_date_share] = _US_DATE
    birth = _dates(year, month, day, style)

    return {
        "given_name": given,
        "surname": surname,
        "email": email,
        "phone": phone,
        "street": street,
        "postcode": postcode,
        "city": city,
        "date_of_birth": birth,
    }


def _reformat_emails(
    rng: np.random.Generator, email: Strings, local: Strings, domain: Strings, where: Flags
) -> None:
    """Write some addresses differently but keep the mailbox, in place.

    Upper case for any provider; for Gmail also dots removed (when there are
    any) or a ``+tag``, which Gmail delivers to the same mailbox.
    """
    rows = np.flatnonzero(where)
    how = rng.integers(0, 3, size=rows.size)
    gmail = domain[rows] == "gmail.com"
    dotted = pd.Series(local[rows], dtype=object).str.contains(".", regex=False).to_numpy(bool)
    upper = (how == 0) | ~gmail
    dots = ~upper & (how == 1) & dotted
    tag = ~upper & ~dots
    email[rows[upper]] = _case(email[rows[upper]], "upper")
    email[rows[dots]] = _dotless(local[rows[dots]]) + "@gmail.com"
    tags = _EMAIL_TAGS[rng.integers(0, _EMAIL_TAGS.size, size=int(tag.sum()))]
    email[rows[tag]] = local[rows[tag]] + tags + "@gmail.com"


@renamed_parameters(seed="random_state")
def simulate_identities(
    n_records: int,
    *,
    duplicate_share: float = 0.3,
    max_duplicates: int = 4,
    household_share: float = 0.1,
    missing_share: float = 0.05,
    moved_share: float = 0.0,
    family_mailbox_share: float = 0.0,
    us_date_share: float = 0.0,
    city_from_postcode: bool = False,
    channel_shares: Mapping[str, float] | None = None,
    random_state: int | np.random.Generator | None = None,
) -> SimulatedIdentities:
    """Draw person records with known duplicates and households, at any size.

    People are drawn first: given name and surname with the frequencies of
    the original Febrl records (so distinct people often share a common name,
    and, rarely, a name and a date of birth), a date of birth uniform over
    1940-2005, an address (a Febrl street name, street type and number; a
    city with its postcode), an e-mail address built from the name (one
    mailbox, one person) and an Australian mobile or landline number.

    A ``household_share`` of people live with someone else: they take that
    person's surname and address, usually their landline too, but keep their
    own given name and date of birth. They are different entities, the
    classic false positive.

    Every person has one clean record; a ``duplicate_share`` of people have
    1 to ``max_duplicates`` more (k extra with probability proportional to
    log(1 + 1/k), so short chains are common), each corrupted independently,
    field by field:

    ==============  ======================================================
    field           corruption of a duplicate record (chance)
    ==============  ======================================================
    given name      nickname or formal form, ``Bob`` for ``Robert`` (15%);
                    a typo (12%); upper/lower case (6%)
    surname         a typo (12%); upper/lower case (6%)
    both names      swapped between the two fields (3%)
    email           another address of the person (10%); upper case, or
                    for Gmail dots removed or a ``+tag`` (15%)
    phone           one wrong digit (3%)
    street          ``Street`` -> ``St`` (20%); a typo (10%); upper (4%)
    city            a typo (6%); upper case (4%)
    postcode        a typo (4%)
    date of birth   day and month exchanged, where both are <= 12 (5%)
    ==============  ======================================================

    A typo inserts, deletes, substitutes (with a key next to it on a QWERTY
    keyboard) or transposes one character. On every record, originals
    included, phones are written in one of six styles that reduce to the
    same digits (``0412 345 678``, ``+61412345678``, ``(04) 1234 5678`` ...),
    dates of birth in one of five (``1984-03-07``, ``07/03/1984``,
    ``19840307``, ``7 Mar 1984``, ``7/3/1984``), and each field is missing
    with probability ``missing_share``, but never all fields of a record.

    Real customer bases hold more, and each option below adds one thing that
    breaks matchers built on clean files (all off by default, so the
    defaults draw the same records as before; :data:`CUSTOMER_BASE_PARAMS`
    turns them all on):

    * ``moved_share``: people who moved. Each has at least two records; the
      first is at the old home, every later one is at a new street, city and
      postcode (the first surely, the rest with chance 1/2), flagged in
      :attr:`SimulatedIdentities.true_moved`. Names, date of birth, e-mail
      and a mobile move along; a landline stays behind (a new one at the new
      home). Movers live alone, so a household never spans two addresses.
    * ``family_mailbox_share``: of the people who join a household, the share
      who write the e-mail address of the person whose home it is. The
      mailbox then reaches several people; they still differ in given name
      and date of birth.
    * ``us_date_share``: records whose date of birth is written month first,
      ``03/07/1984`` for 7 March (a US form), among day-first ones. Where the
      day is above 12 only one reading is a date; otherwise both are, and
      only :attr:`SimulatedIdentities.true_birth_dates` tells.
    * ``city_from_postcode``: draw a postcode (Febrl's frequencies) and take
      its city from a table mapping each postcode to one city (a city may
      have several postcodes), so the two fields are dependent evidence.
      Otherwise a city is drawn and written with its one postcode.
    * ``channel_shares``: add a ``source`` column, the channel each record
      came from, drawn with these shares, and leave out what a channel does
      not ask: ``"web"`` sign-ups lack the whole address (90%), ``"store"``
      records the e-mail (80%), ``"call_centre"`` records the date of birth
      (50%). One person's records come from several channels.

    Parameters
    ----------
    n_records
        Number of records (>= 1), duplicates included.
    duplicate_share
        Share of people with duplicate records, in [0, 1].
    max_duplicates
        Most extra records of one person (>= 1).
    household_share
        Share of people who live with another person, in [0, 1].
    missing_share
        Chance that a field of a record is missing, in [0, 1].
    moved_share
        Share of people who moved, in [0, 1].
    family_mailbox_share
        Share of household members who write the household's family mailbox,
        in [0, 1].
    us_date_share
        Share of records with the date of birth written ``mm/dd/yyyy``, in [0, 1].
    city_from_postcode
        Whether the postcode determines the city (else the city, its postcode).
    channel_shares
        ``{channel: share}`` over ``"web"``, ``"store"`` and
        ``"call_centre"``, shares summing to 1; ``None`` for no ``source``
        column and no channel gaps.
    random_state
        Seed or generator, for reproducible draws (``seed=`` is read as
        ``random_state=`` with a ``DeprecationWarning`` until one2one 0.2).

    Returns
    -------
    SimulatedIdentities
        The shuffled records, the true entity and household of each, and the
        true duplicate pairs (:attr:`SimulatedIdentities.true_links`).

    Raises
    ------
    DataContractError
        If a count is not a whole number >= 1, a share is outside [0, 1],
        ``city_from_postcode`` is not a bool, or ``channel_shares`` names an
        unknown channel or does not sum to 1.

    References
    ----------
    .. [1] Christen, P. (2005). Probabilistic data generation for deduplication
       and data linkage. IDEAL 2005, LNCS 3578 (the Febrl generator, whose
       corruption model this follows).

    Examples
    --------
    >>> from one2one.datasets import simulate_identities
    >>> sim = simulate_identities(1000, random_state=1)
    >>> sim.records.shape
    (1000, 9)
    >>> sim.records["record_id"].is_unique
    True
    >>> links = sim.true_links
    >>> bool((links["rec_id_1"] < links["rec_id_2"]).all())
    True
    >>> entity = sim.true_entities
    >>> bool((entity[links["rec_id_1"]].to_numpy() == entity[links["rec_id_2"]].to_numpy()).all())
    True
    """
    n = int(require_number(n_records, name="n_records", low=1, integer=True))
    dup_share = require_number(duplicate_share, name="duplicate_share", low=0, high=1)
    most = int(require_number(max_duplicates, name="max_duplicates", low=1, integer=True))
    home_share = require_number(household_share, name="household_share", low=0, high=1)
    miss_share = require_number(missing_share, name="missing_share", low=0, high=1)
    options = _Options(
        household_share=home_share,
        moved_share=require_number(moved_share, name="moved_share", low=0, high=1),
        family_mailbox_share=require_number(
            family_mailbox_share, name="family_mailbox_share", low=0, high=1
        ),
        us_date_share=require_number(us_date_share, name="us_date_share", low=0, high=1),
        city_from_postcode=_require_bool(city_from_postcode, name="city_from_postcode"),
        channel_shares=_channel_shares(channel_shares),
    )
    rng = as_generator(random_state)
    pools = _pools()

    sizes, moved_people = _entity_sizes(rng, n, dup_share, most, options.moved_share)
    people = _people(rng, pools, moved_people, options)
    entity = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
    starts = np.cumsum(sizes) - sizes
    dup = np.ones(n, dtype=np.bool_)
    dup[starts] = False
    moved = np.zeros(n, dtype=np.bool_)
    if moved_people.any():  # the first later record surely, the others by chance
        moved = dup & moved_people[entity] & (rng.random(n) < _P_AT_NEW_ADDRESS)
        moved[starts[moved_people] + 1] = True
    fields = _records(
        rng, pools, people, entity, dup, moved=moved, us_date_share=options.us_date_share
    )

    order = rng.permutation(n)
    missing = rng.random((n, len(fields))) < miss_share
    source = None
    if options.channel_shares is not None:
        source = _channel_gaps(rng, missing, list(fields), options.channel_shares)
    empty = np.flatnonzero(missing.all(axis=1))
    missing[empty, rng.integers(0, len(fields), size=empty.size)] = False
    width = max(7, len(str(n)))
    ids = np.char.add("r", np.char.zfill(np.arange(1, n + 1).astype(str), width))  # numpy 1.26+
    index = pd.Index(ids.astype(object), dtype="string", name="record_id")
    columns: dict[str, object] = {"record_id": pd.array(ids.astype(object), dtype="string")}
    for j, (name, values) in enumerate(fields.items()):
        shuffled = values[order]
        shuffled[missing[:, j]] = None
        columns[name] = pd.array(shuffled, dtype="string")
    if source is not None:
        columns["source"] = pd.array(source, dtype="string")
    born = (_FIRST_BIRTHDAY + people.birthday[entity[order]]).astype("datetime64[ns]")
    return SimulatedIdentities(
        records=pd.DataFrame(columns),
        true_entities=pd.Series(entity[order] + 1, index=index, name="entity_id"),
        true_households=pd.Series(
            people.household[entity[order]] + 1, index=index, name="household_id"
        ),
        true_moved=pd.Series(moved[order], index=index, name="moved"),
        true_birth_dates=pd.Series(born, index=index, name="date_of_birth"),
        params={
            "n_records": n,
            "duplicate_share": dup_share,
            "max_duplicates": most,
            "household_share": home_share,
            "missing_share": miss_share,
            "moved_share": options.moved_share,
            "family_mailbox_share": options.family_mailbox_share,
            "us_date_share": options.us_date_share,
            "city_from_postcode": options.city_from_postcode,
            "channel_shares": (
                None if options.channel_shares is None else dict(options.channel_shares)
            ),
        },
    )


def _require_bool(value: object, *, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        msg = f"{name!r} must be True or False (got {value!r} of type {type(value).__name__})."
        raise DataContractError(msg, column=name, value=value)
    return bool(value)


def _channel_shares(value: object) -> dict[str, float] | None:
    """Check ``channel_shares``: known channels, shares in [0, 1] that sum to 1."""
    if value is None:
        return None
    name = "channel_shares"
    if not isinstance(value, Mapping) or not value:
        msg = (
            f"{name!r} must be a non-empty mapping of channel to share, e.g. "
            f"{{'web': 0.6, 'store': 0.4}} (got {value!r})."
        )
        raise DataContractError(msg, column=name, value=value)
    shares: dict[str, float] = {}
    for channel, share in value.items():
        if channel not in _CHANNELS:
            msg = (
                f"{name!r} names an unknown channel {channel!r}; "
                f"the channels are {', '.join(map(repr, _CHANNELS))}."
            )
            raise DataContractError(msg, column=name, value=channel)
        shares[channel] = require_number(share, name=name, low=0, high=1)
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        msg = f"{name!r} must sum to 1 (got {total:g} from {shares!r}); rescale the shares."
        raise DataContractError(msg, column=name, value=total)
    return shares


def _channel_gaps(
    rng: np.random.Generator, missing: Flags, fields: list[str], shares: Mapping[str, float]
) -> Strings:
    """Draw each record's channel and mark, in place, the fields its channel leaves out."""
    names = list(shares)
    source = np.array(names, dtype=object)[_choose(rng, tuple(shares.values()), missing.shape[0])]
    for channel in names:
        left_out, chance = _CHANNELS[channel]
        hit = (source == channel) & (rng.random(source.size) < chance)
        for column in left_out:
            missing[hit, fields.index(column)] = True
    return source
