"""Golden records: one value per field and customer, chosen by declared rules, with provenance.

A customer is several records that disagree: an old address, a typo in one
channel, a nickname in another. The golden record keeps one value per field,
chosen by a survivorship rule you declare per field, and says where each
value came from (record id, source, time), so any value can be traced back
and challenged.

Every rule orders the customer's records that hold a value for the field
(missing and blank values never win over present ones) and keeps the first.
Ties are broken the same way for every rule: the most recent record first
(by the policy's ``time`` column, when declared), then the lowest record id
(integers before text). The result therefore never depends on the order of
the records.

The maths lives here, on plain frames; :class:`IdentityResolver` feeds it
the records it currently knows, so golden records follow every add, merge,
split, remove and forget.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._validation import require_datetime
from ..errors import DataContractError

__all__ = [
    "Custom",
    "GoldenRecord",
    "GoldenRecordPolicy",
    "Longest",
    "MostFrequent",
    "MostRecent",
    "MostTrusted",
    "Provenance",
    "SurvivorshipRule",
]

_LAST = np.iinfo(np.int64).max  # sorts after every real key


@attrs.frozen
class MostRecent:
    """Keep the value of the record with the latest ``time_column`` (records without one last).

    Parameters
    ----------
    time_column
        A column of datetimes (for example ``updated_at``) in the records.
    """

    time_column: str


@attrs.frozen
class MostFrequent:
    """Keep the value held by the most records of the customer (exact equality)."""


@attrs.frozen
class MostTrusted:
    """Keep the value from the most trusted source.

    Parameters
    ----------
    source_column
        The column naming each record's source (``"crm"``, ``"web"``...).
    ranking
        Sources from most to least trusted; a source not listed ranks below
        every listed one.
    """

    source_column: str
    ranking: tuple[str, ...] = attrs.field(converter=tuple)


@attrs.frozen
class Longest:
    """Keep the longest value as text (``"Jonathan"`` over ``"Jon"``, a full street over a part)."""


@attrs.frozen
class Custom:
    """Keep the value a function of your own chooses.

    Parameters
    ----------
    function
        Called once per customer with a :class:`pandas.Series` of the
        customer's present values, indexed by record id and in tie-break
        order (most recent, then lowest id); it returns one of those values.
        Among records holding the returned value, the first in that order
        supplies the provenance.
    name
        A name for messages (the function itself may be a lambda).
    """

    function: Callable[[pd.Series], object] = attrs.field(eq=False)
    name: str


SurvivorshipRule = MostRecent | MostFrequent | MostTrusted | Longest | Custom
"""A rule choosing one value per field and customer."""

_RULES = (MostRecent, MostFrequent, MostTrusted, Longest, Custom)


def _rules(value: Mapping[str, SurvivorshipRule]) -> dict[str, SurvivorshipRule]:
    return dict(value)


def _fields(value: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


@attrs.frozen(kw_only=True)
class GoldenRecordPolicy:
    """Which rule chooses each field of a golden record, and where provenance comes from.

    Parameters
    ----------
    rules
        ``{field: rule}`` for the fields that need their own rule.
    default
        The rule of every other field (most frequent value if not given).
    fields
        The fields to build, in output order. ``None``: every field the
        records have (the resolver's identity fields, or every column of the
        records you pass but the record id, ``source`` and ``time``), plus
        the fields named in ``rules``.
    source
        Column naming each record's source, reported with every value.
    time
        Column of datetimes saying when each record was made or updated:
        reported with every value, and the first tie-break of every rule.

    Raises
    ------
    DataContractError
        If a rule (or ``default``) is not a survivorship rule, or ``rules``
        names a field that ``fields`` leaves out (its rule would never run).

    Examples
    --------
    >>> from one2one.identify import GoldenRecordPolicy, Longest, MostTrusted
    >>> policy = GoldenRecordPolicy(
    ...     rules={"surname": MostTrusted("source", ["crm", "web"]), "street": Longest()},
    ...     source="source",
    ... )
    >>> policy.rule_of("surname")
    MostTrusted(source_column='source', ranking=('crm', 'web'))
    >>> policy.rule_of("email")
    MostFrequent()
    """

    rules: dict[str, SurvivorshipRule] = attrs.field(factory=dict, converter=_rules)
    default: SurvivorshipRule = attrs.field(factory=MostFrequent)
    fields: tuple[str, ...] | None = attrs.field(default=None, converter=_fields)
    source: str | None = None
    time: str | None = None

    def __attrs_post_init__(self) -> None:
        """Refuse anything that is not a survivorship rule, naming the field."""
        given: list[tuple[str, object]] = [*self.rules.items(), ("default", self.default)]
        for name, rule in given:  # typed as rules, but users pass anything
            if not isinstance(rule, _RULES):
                msg = (
                    f"survivorship rule of field {name!r} must be MostRecent, MostFrequent, "
                    f"MostTrusted, Longest or Custom (got {rule!r})."
                )
                raise DataContractError(msg, column=name, value=rule)
        if self.fields is not None:
            extra = sorted(set(self.rules) - set(self.fields))
            if extra:
                msg = (
                    f"rules name fields {extra} that are not among fields {list(self.fields)}; "
                    "add them to fields or drop their rules."
                )
                raise DataContractError(msg, column=extra[0], value=extra[0])

    def rule_of(self, field: str) -> SurvivorshipRule:
        """Return the rule that chooses ``field``.

        Parameters
        ----------
        field
            A field of the golden record.

        Returns
        -------
        MostRecent or MostFrequent or MostTrusted or Longest or Custom
            The field's own rule, else ``default``.
        """
        return self.rules.get(field, self.default)


@attrs.frozen
class Provenance:
    """Where a golden value came from.

    Attributes
    ----------
    record_id
        The record that supplied the value (an ``int`` if the ids are).
    source
        That record's source, if the policy names a ``source`` column.
    time
        That record's time, if the policy names a ``time`` column.
    """

    record_id: str | int
    source: object = None
    time: pd.Timestamp | None = None


@attrs.frozen
class GoldenRecord:
    """One customer's best values, each with its provenance.

    Attributes
    ----------
    customer_id
        The customer.
    fields
        ``{field: value}``; ``None`` for a field no record of the customer holds.
    provenance
        ``{field: Provenance}``; ``None`` where the value is ``None``.
    """

    customer_id: str
    fields: Mapping[str, object]
    provenance: Mapping[str, Provenance | None]


def output_fields(policy: GoldenRecordPolicy, available: Sequence[str]) -> list[str]:
    """Return the fields to build, checking that every column the policy names exists."""
    if policy.fields is not None:
        fields = list(policy.fields)
    else:
        skip = {policy.source, policy.time}
        fields = [c for c in available if c not in skip]
        fields += [f for f in policy.rules if f not in fields]
    named = dict.fromkeys(fields, "field")
    for rule in [*(policy.rule_of(f) for f in fields)]:
        if isinstance(rule, MostRecent):
            named.setdefault(rule.time_column, "time column of MostRecent")
        elif isinstance(rule, MostTrusted):
            named.setdefault(rule.source_column, "source column of MostTrusted")
    for column, role in ((policy.source, "source"), (policy.time, "time")):
        if column is not None:
            named.setdefault(column, f"policy {role} column")
    unknown = [c for c in named if c not in available]
    if unknown:
        msg = (
            f"golden records: unknown {named[unknown[0]]} {unknown[0]!r} "
            f"(all unknown: {unknown}); the records have {list(available)}."
        )
        raise DataContractError(msg, column=unknown[0], value=unknown[0])
    return fields


def golden_frame(
    frame: pd.DataFrame,
    customers: Sequence[str],
    record_ids: Sequence[str | int],
    policy: GoldenRecordPolicy,
    fields: Sequence[str],
) -> pd.DataFrame:
    """Choose the golden values of every customer in ``frame`` (one row per record).

    Returns a frame indexed by ``customer_id`` (sorted) with one column per
    field, then ``<field>__record_id``, ``<field>__source`` and
    ``<field>__time`` per field.
    """
    frame = frame.reset_index(drop=True)
    codes, uniques = pd.factorize(pd.Series(list(customers), dtype=object), sort=True)
    index = pd.Index(list(uniques), name="customer_id", dtype="string")
    id_rank = _id_rank(record_ids)
    tie_time = (
        _time_key(frame, policy.time)
        if policy.time is not None
        else np.zeros(len(frame), dtype=np.int64)
    )
    ids = pd.Series(list(record_ids), dtype=object)
    sources = frame[policy.source] if policy.source is not None else None
    times = frame[policy.time] if policy.time is not None else None
    out: dict[str, Any] = {}
    provenance: dict[str, Any] = {}
    for field in fields:
        values = frame[field]
        present = _present(values)
        rule = policy.rule_of(field)
        if isinstance(rule, Custom):
            winners = _custom_winners(
                rule,
                field,
                values,
                present=present,
                codes=codes,
                ids=ids,
                tie_time=tie_time,
                id_rank=id_rank,
            )
        else:
            key = _rule_key(rule, frame, values, present, codes)
            rows = np.flatnonzero(present)
            order = rows[np.lexsort((id_rank[rows], tie_time[rows], key[rows], codes[rows]))]
            first = np.ones(len(order), dtype=bool)
            first[1:] = codes[order][1:] != codes[order][:-1]
            winners = order[first]
        where = pd.Index(codes[winners])
        out[field] = _pick(values, winners, where, index)
        provenance[f"{field}__record_id"] = _pick(ids, winners, where, index)
        provenance[f"{field}__source"] = (
            _pick(sources, winners, where, index)
            if sources is not None
            else pd.Series(None, index=index, dtype=object)
        )
        provenance[f"{field}__time"] = (
            _pick(times, winners, where, index)
            if times is not None
            else pd.Series(None, index=index, dtype=object)
        )
    result = pd.DataFrame({**out, **provenance}, index=index)
    id_columns = [f"{f}__record_id" for f in fields]
    if all(isinstance(r, int) for r in record_ids):
        result[id_columns] = result[id_columns].astype("Int64")
    return result


def record_of(row: pd.Series, customer_id: str, fields: Sequence[str]) -> GoldenRecord:
    """Turn one row of :func:`golden_frame` into a :class:`GoldenRecord`."""
    values: dict[str, object] = {}
    provenance: dict[str, Provenance | None] = {}
    for field in fields:
        record_id = row[f"{field}__record_id"]
        if pd.isna(record_id):
            values[field], provenance[field] = None, None
            continue
        values[field] = _plain(row[field])
        time = _plain(row[f"{field}__time"])
        provenance[field] = Provenance(
            record_id=_plain_id(record_id),
            source=_plain(row[f"{field}__source"]),
            time=time if isinstance(time, pd.Timestamp) else None,
        )
    return GoldenRecord(customer_id=customer_id, fields=values, provenance=provenance)


def _plain(value: object) -> object:
    """Return ``None`` for any missing value, NumPy scalars as Python ones."""
    if value is None or (not isinstance(value, str | pd.Timestamp) and _is_missing(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _plain_id(value: object) -> str | int:
    if isinstance(value, int | np.integer):
        return int(value)
    return str(value)


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):  # arrays and other containers are values
        return False


def _present(values: pd.Series) -> NDArray[np.bool_]:
    """Whether each value is there: not missing, and not blank text."""
    missing = values.isna().to_numpy(dtype=bool)
    # On plain objects: an Arrow-backed text column (pandas 3 with pyarrow) cannot take
    # the booleans a Series.map would put in it.
    raw = values.to_numpy(dtype=object)
    blank = np.fromiter((isinstance(v, str) and not v.strip() for v in raw), bool, len(raw))
    present: NDArray[np.bool_] = ~missing & ~blank
    return present


def _id_rank(record_ids: Sequence[str | int]) -> NDArray[np.int64]:
    """Rank record ids: integers (by value) before text (by text)."""
    keyed = sorted(
        range(len(record_ids)),
        key=lambda k: (
            (0, int(record_ids[k]), "")
            if isinstance(record_ids[k], int)
            else (1, 0, str(record_ids[k]))
        ),
    )
    rank = np.empty(len(record_ids), dtype=np.int64)
    rank[keyed] = np.arange(len(record_ids))
    return rank


def _time_key(frame: pd.DataFrame, column: str) -> NDArray[np.int64]:
    """Sort key of a datetime column: latest first, missing last."""
    require_datetime(frame, column, name="records")
    stamps = pd.DatetimeIndex(frame[column]).asi8
    missing = frame[column].isna().to_numpy(dtype=bool)
    return np.asarray(np.where(missing, _LAST, -stamps), dtype=np.int64)


def _rule_key(
    rule: SurvivorshipRule,
    frame: pd.DataFrame,
    values: pd.Series,
    present: NDArray[np.bool_],
    codes: NDArray[np.intp],
) -> NDArray[np.int64]:
    """Sort key of each record under ``rule``: the smallest wins."""
    size = len(values)
    if isinstance(rule, MostRecent):
        return _time_key(frame, rule.time_column)
    if isinstance(rule, MostTrusted):
        # On plain objects, as in _present: Arrow-backed text cannot take the numbers.
        position = {source: k for k, source in enumerate(rule.ranking)}
        last = len(rule.ranking)
        sources = frame[rule.source_column].to_numpy(dtype=object)
        return np.fromiter(
            (last if _is_missing(v) else position.get(v, last) for v in sources),
            np.int64,
            len(sources),
        )
    if isinstance(rule, Longest):
        raw = values.to_numpy(dtype=object)
        lengths = (0 if _is_missing(v) else len(str(v)) for v in raw)
        return -np.fromiter(lengths, np.int64, len(raw))
    key = np.zeros(size, dtype=np.int64)  # MostFrequent
    rows = np.flatnonzero(present)
    if len(rows):
        pairs = pd.DataFrame(
            {"customer": codes[rows], "value": values.iloc[rows].to_numpy(dtype=object)}
        )
        counts = pairs.groupby(["customer", "value"], sort=False)["value"].transform("size")
        key[rows] = -counts.to_numpy(dtype=np.int64)
    return key


def _custom_winners(
    rule: Custom,
    field: str,
    values: pd.Series,
    *,
    present: NDArray[np.bool_],
    codes: NDArray[np.intp],
    ids: pd.Series,
    tie_time: NDArray[np.int64],
    id_rank: NDArray[np.int64],
) -> NDArray[np.intp]:
    """Ask ``rule.function`` for each customer's value; return the row that holds it."""
    rows = np.flatnonzero(present)
    order = rows[np.lexsort((id_rank[rows], tie_time[rows], codes[rows]))]
    winners: list[int] = []
    changes = np.flatnonzero(codes[order][1:] != codes[order][:-1]) + 1
    bounds = [0, *changes.tolist(), len(order)] if len(order) else [0]
    for start, stop in itertools.pairwise(bounds):
        group = order[start:stop]
        series = pd.Series(
            values.iloc[group].to_numpy(dtype=object),
            index=pd.Index(ids.iloc[group].tolist(), name="record_id", dtype=object),
            name=field,
        )
        chosen = rule.function(series)
        holding = [k for k, v in zip(group, series.tolist(), strict=True) if _equal(v, chosen)]
        if not holding:
            msg = (
                f"Custom rule {rule.name!r} of field {field!r} returned {chosen!r}, which is "
                f"not one of the customer's values {series.tolist()!r}; return one of them."
            )
            raise DataContractError(msg, column=field, value=chosen)
        winners.append(int(holding[0]))
    return np.asarray(winners, dtype=np.intp)


def _equal(value: object, chosen: object) -> bool:
    try:
        return bool(value == chosen)
    except (TypeError, ValueError):
        return False


def _pick(
    column: pd.Series, winners: NDArray[np.intp], where: pd.Index, index: pd.Index
) -> pd.Series:
    """Return the winners' values of ``column``, one per customer (missing where none)."""
    picked = pd.Series(column.iloc[winners].to_numpy(), index=where, dtype=column.dtype)
    picked.index = index[where]
    return picked.reindex(index)
