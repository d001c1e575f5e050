"""Input checks shared by every room, so that bad input fails the same way everywhere.

Two layers:

* small ``require_*`` functions, each checking one thing and raising
  :class:`~one2one.errors.DataContractError` with the column, the first
  offending value and its row;
* :class:`FrameContract`, a column contract declared as data (``Column`` specs)
  that runs those checks in a fixed order. Rooms declare their contracts once
  and call ``contract.validate(frame)`` at their public boundary.
"""

from __future__ import annotations

import importlib
import math
import numbers
from collections.abc import Collection, Iterable, Sequence
from types import ModuleType
from typing import Literal, TypeVar

import numpy as np
import pandas as pd
from attrs import field, frozen

from .errors import DataContractError, MissingDependencyError

__all__ = [
    "Column",
    "FrameContract",
    "as_generator",
    "as_utc",
    "optional_import",
    "require_columns",
    "require_datetime",
    "require_frame",
    "require_integer_valued",
    "require_no_missing",
    "require_non_negative",
    "require_number",
    "require_numeric",
    "require_one_of",
    "require_unique",
]

ColumnKind = Literal["any", "number", "integer", "datetime", "string", "bool"]
_S = TypeVar("_S", bound=str)


def _first_bad(frame: pd.DataFrame, column: str, bad: pd.Series) -> tuple[object, object]:
    """Return (row label, value) of the first True entry of ``bad``."""
    row = bad.index[np.flatnonzero(bad.to_numpy())[0]]
    return row, frame.at[row, column]


def require_frame(obj: object, *, name: str) -> pd.DataFrame:
    """Return ``obj`` if it is a DataFrame, else raise a DataContractError naming ``name``."""
    if not isinstance(obj, pd.DataFrame):
        msg = f"{name} must be a pandas DataFrame (got {type(obj).__name__})."
        raise DataContractError(msg, column=None, value=type(obj).__name__)
    return obj


def require_columns(
    frame: pd.DataFrame, columns: Iterable[str], *, name: str, arguments: str | None = None
) -> None:
    """Raise if any of ``columns`` is missing from ``frame``, listing all that are.

    ``arguments`` names the parameters that choose the column names (e.g.
    ``"customer_id=, datetime="``), for functions that have them: the message
    then offers them; otherwise it offers renaming only, the one fix there is.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(repr, map(str, frame.columns))) or "none"
        fix = (
            f"rename your columns or name them with {arguments}"
            if arguments
            else f"rename your columns to {', '.join(map(repr, missing))} (DataFrame.rename)"
        )
        msg = (
            f"{name} is missing required column(s) {', '.join(map(repr, missing))} "
            f"(it has {have}); {fix}."
        )
        raise DataContractError(msg, column=missing[0])


def require_no_missing(frame: pd.DataFrame, columns: Iterable[str], *, name: str) -> None:
    """Raise on the first missing value (NaN, None, NaT, pd.NA) in ``columns``."""
    for column in columns:
        bad = frame[column].isna()
        if bad.any():
            row, _ = _first_bad(frame, column, bad)
            msg = (
                f"{name} column {column!r} has {int(bad.sum())} missing value(s), "
                f"first at row {row!r}; fill or drop them before calling."
            )
            raise DataContractError(msg, column=column, value=None, row=row)


def require_numeric(frame: pd.DataFrame, column: str, *, name: str) -> None:
    """Raise unless ``column`` has a real-valued numeric dtype (not bool, not complex)."""
    dtype = frame[column].dtype
    ok = (
        pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
        and not pd.api.types.is_complex_dtype(dtype)
    )
    if not ok:
        msg = f"{name} column {column!r} must be numeric (got dtype {dtype}); convert it first."
        raise DataContractError(msg, column=column, value=str(dtype))
    values = frame[column].to_numpy(dtype=float, na_value=np.nan)
    bad = pd.Series(np.isinf(values), index=frame.index)
    if bad.any():
        row, value = _first_bad(frame, column, bad)
        msg = f"{name} column {column!r} must be finite (got {value!r} at row {row!r})."
        raise DataContractError(msg, column=column, value=value, row=row)


def require_non_negative(frame: pd.DataFrame, columns: Iterable[str], *, name: str) -> None:
    """Raise on the first negative value in the numeric ``columns``."""
    for column in columns:
        bad = frame[column] < 0
        if bad.any():
            row, value = _first_bad(frame, column, bad.fillna(value=False))
            msg = (
                f"{name} column {column!r} must be >= 0 (got {value!r} at row {row!r}, "
                f"{int(bad.sum())} negative value(s) in all)."
            )
            raise DataContractError(msg, column=column, value=value, row=row)


def require_integer_valued(frame: pd.DataFrame, column: str, *, name: str) -> None:
    """Raise unless every value of the numeric ``column`` is a whole number."""
    values = frame[column]
    if pd.api.types.is_integer_dtype(values.dtype):
        return
    bad = (values % 1 != 0).fillna(value=False)
    if bad.any():
        row, value = _first_bad(frame, column, bad)
        msg = f"{name} column {column!r} must hold whole numbers (got {value!r} at row {row!r})."
        raise DataContractError(msg, column=column, value=value, row=row)


def require_unique(frame: pd.DataFrame, columns: Sequence[str], *, name: str) -> None:
    """Raise if the combination of ``columns`` repeats, naming the first repeated key."""
    dup = frame.duplicated(subset=list(columns), keep="first")
    if dup.any():
        row = dup.index[np.flatnonzero(dup.to_numpy())[0]]
        key = (
            tuple(frame.loc[row, list(columns)]) if len(columns) > 1 else frame.at[row, columns[0]]
        )
        msg = (
            f"{name} must have one row per {' + '.join(map(repr, columns))} "
            f"(got {int(dup.sum())} repeated row(s), first {key!r} at row {row!r})."
        )
        raise DataContractError(msg, column=columns[0], value=key, row=row)


def require_datetime(
    frame: pd.DataFrame,
    column: str,
    *,
    name: str,
    tz: Literal["aware", "naive", "any"] = "any",
) -> None:
    """Raise unless ``column`` holds datetimes, time-zone aware or naive as asked."""
    dtype = frame[column].dtype
    if not pd.api.types.is_datetime64_any_dtype(dtype):
        _refuse_mixed_time_zones(frame, column, name=name)
        msg = (
            f"{name} column {column!r} must hold datetimes (got dtype {dtype}); "
            "convert it with pandas.to_datetime."
        )
        raise DataContractError(msg, column=column, value=str(dtype))
    aware = isinstance(dtype, pd.DatetimeTZDtype)
    if tz == "aware" and not aware:
        msg = (
            f"{name} column {column!r} must be time-zone aware (got naive {dtype}); "
            "use .dt.tz_localize('UTC') or your local zone to say when the events happened."
        )
        raise DataContractError(msg, column=column, value=str(dtype))
    if tz == "naive" and aware:
        msg = f"{name} column {column!r} must be time-zone naive (got {dtype})."
        raise DataContractError(msg, column=column, value=str(dtype))


def _refuse_mixed_time_zones(frame: pd.DataFrame, column: str, *, name: str) -> None:
    """Name the first row where a column of timestamps switches between naive and aware."""
    values = frame[column]
    stamps = values.map(lambda v: isinstance(v, pd.Timestamp | np.datetime64))
    if len(values) == 0 or not stamps.all():
        return
    aware = values.map(lambda v: getattr(v, "tzinfo", None) is not None)
    differs = aware != aware.iloc[0]
    if differs.any():
        row, value = _first_bad(frame, column, differs)
        msg = (
            f"{name} column {column!r} mixes time-zone aware and naive timestamps "
            f"(first switch at row {row!r}: {value!r}); make them all aware."
        )
        raise DataContractError(msg, column=column, value=value, row=row)


def as_utc(values: pd.Series, *, name: str, assume_tz: str | None = None) -> pd.Series:
    """Convert datetimes to UTC, refusing naive ones unless ``assume_tz`` says where they are.

    Naive timestamps are ambiguous: the same wall time is a different instant in
    Sydney and in Lisbon, so one2one never guesses.
    """
    frame = values.to_frame(name=name)
    require_datetime(frame, name, name=name)
    converted: pd.Series
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        converted = values.dt.tz_convert("UTC")
        return converted
    if assume_tz is None:
        msg = (
            f"{name} holds naive datetimes; pass assume_tz='UTC' (or the zone they were "
            "recorded in) or localize them first."
        )
        raise DataContractError(msg, column=name, value=str(values.dtype))
    try:
        converted = values.dt.tz_localize(assume_tz).dt.tz_convert("UTC")
    except (ValueError, KeyError) as exc:  # unknown zone, or a clock change (DST gap/overlap)
        msg = (
            f"{name} cannot be read as times in {assume_tz!r}: {exc}. Times that do not exist "
            "or repeat when clocks change need localizing yourself (pandas tz_localize with "
            "ambiguous= and nonexistent=)."
        )
        raise DataContractError(msg, column=name, value=assume_tz) from exc
    return converted


def require_number(
    value: object,
    *,
    name: str,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
) -> float:
    """Check a scalar argument: a finite real number in the given range.

    Returns the value as ``float`` (whole-number checked when ``integer``).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{name!r} must be a number (got {value!r} of type {type(value).__name__})."
        raise DataContractError(msg, column=name, value=value)
    number = float(value)
    if not math.isfinite(number):
        msg = f"{name!r} must be finite (got {value!r})."
        raise DataContractError(msg, column=name, value=value)
    if integer and not number.is_integer():
        msg = f"{name!r} must be a whole number (got {value!r})."
        raise DataContractError(msg, column=name, value=value)
    too_low = low is not None and (number < low if low_inclusive else number <= low)
    too_high = high is not None and (number > high if high_inclusive else number >= high)
    if too_low or too_high:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        opening = "[" if low_inclusive and low is not None else "("
        closing = "]" if high_inclusive and high is not None else ")"
        interval = f"{opening}{lo}, {hi}{closing}"
        msg = f"{name!r} must lie in {interval} (got {value!r})."
        raise DataContractError(msg, column=name, value=value)
    return number


def require_one_of(value: object, options: Collection[_S], *, name: str) -> _S:
    """Return ``value`` if it is one of ``options``, else raise listing them."""
    for option in options:
        if value == option:
            return option
    allowed = ", ".join(map(repr, sorted(options)))
    msg = f"{name!r} must be one of {allowed} (got {value!r})."
    raise DataContractError(msg, column=name, value=value)


def as_generator(random_state: int | np.random.Generator | None) -> np.random.Generator:
    """Turn a seed (or an existing generator, or ``None``) into a numpy Generator."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (
        isinstance(random_state, int | np.integer) and not isinstance(random_state, bool)
    ):
        return np.random.default_rng(random_state)
    msg = f"'random_state' must be an int, a numpy Generator or None (got {random_state!r})."
    raise DataContractError(msg, column="random_state", value=random_state)


def optional_import(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import an optional dependency, or say which one2one extra provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        msg = (
            f"{feature} needs the optional package {module.split('.', maxsplit=1)[0]!r}; "
            f"install it with: pip install 'one2one-marketing[{extra}]'"
        )
        raise MissingDependencyError(msg, extra=extra) from exc


@frozen
class Column:
    """One column of a :class:`FrameContract`.

    Parameters
    ----------
    name
        Column name.
    kind
        ``"number"`` (finite real), ``"integer"`` (whole numbers, any numeric
        dtype), ``"datetime"``, ``"string"``, ``"bool"`` or ``"any"``.
    nullable
        Whether missing values are allowed.
    non_negative
        For numeric kinds: whether values must be >= 0.
    tz
        For datetimes: ``"aware"``, ``"naive"`` or ``"any"``.
    required
        Whether the column must be present; an optional column is checked
        only when it is there.
    low, high
        For numeric kinds: the closed range values must lie in.
    """

    name: str
    kind: ColumnKind = "any"
    nullable: bool = False
    non_negative: bool = False
    tz: Literal["aware", "naive", "any"] = "any"
    required: bool = True
    low: float | None = None
    high: float | None = None


def _columns(columns: Iterable[Column]) -> tuple[Column, ...]:
    return tuple(columns)


def _names(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(names)


@frozen
class FrameContract:
    """A table's column contract: which columns, of what kind, unique on what key.

    ``validate`` runs every check and returns the frame unchanged, so contracts
    can be applied at a boundary without copying data. With ``index``, the
    frame is keyed by that index (e.g. ``customer_id``), one row per key.
    """

    name: str
    columns: tuple[Column, ...] = field(converter=_columns)
    unique: tuple[str, ...] = field(default=(), converter=_names)
    index: str | None = None
    description: str = ""

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the columns that must be present."""
        return tuple(c.name for c in self.columns if c.required)

    def validate(self, frame: object) -> pd.DataFrame:
        """Check ``frame`` against the contract and return it."""
        df = require_frame(frame, name=self.name)
        require_columns(df, self.required, name=self.name)
        present = [c for c in self.columns if c.name in df.columns]
        require_no_missing(df, [c.name for c in present if not c.nullable], name=self.name)
        for column in present:
            self._check_kind(df, column)
        if self.unique:
            require_unique(df, self.unique, name=self.name)
        if self.index is not None:
            self._check_index(df)
        return df

    def _check_index(self, df: pd.DataFrame) -> None:
        if df.index.name != self.index:
            fix = (
                f"frame.set_index({self.index!r})"
                if self.index in df.columns
                else f"frame.rename_axis({self.index!r}) if the index holds the {self.index}s"
            )
            msg = (
                f"{self.name} must be indexed by {self.index!r} (got index "
                f"{df.index.name!r}); use {fix}."
            )
            raise DataContractError(msg, column=self.index, value=df.index.name)
        duplicated = df.index.duplicated()
        if duplicated.any():
            row = df.index[duplicated][0]
            msg = f"{self.name} holds {self.index} {row!r} twice; one row per {self.index}."
            raise DataContractError(msg, column=self.index, value=row, row=row)

    def _check_range(self, df: pd.DataFrame, column: Column) -> None:
        values = pd.to_numeric(df[column.name], errors="coerce")
        low = -math.inf if column.low is None else column.low
        high = math.inf if column.high is None else column.high
        bad = ((values < low) | (values > high)).fillna(value=False)
        if bad.any():
            row, value = _first_bad(df, column.name, bad)
            msg = (
                f"{self.name} column {column.name!r} must lie in [{low}, {high}] "
                f"(got {value!r} at row {row!r})."
            )
            raise DataContractError(msg, column=column.name, value=value, row=row)

    def _check_kind(self, df: pd.DataFrame, column: Column) -> None:
        if column.kind in ("number", "integer"):
            require_numeric(df, column.name, name=self.name)
            if column.kind == "integer":
                require_integer_valued(df, column.name, name=self.name)
            if column.non_negative:
                require_non_negative(df, [column.name], name=self.name)
            self._check_range(df, column)
        elif column.kind == "datetime":
            require_datetime(df, column.name, name=self.name, tz=column.tz)
        elif column.kind == "bool" and not pd.api.types.is_bool_dtype(df[column.name].dtype):
            msg = (
                f"{self.name} column {column.name!r} must be boolean (got {df[column.name].dtype})."
            )
            raise DataContractError(msg, column=column.name, value=str(df[column.name].dtype))
        elif column.kind == "string":
            values = df[column.name].dropna()
            bad = ~values.map(lambda v: isinstance(v, str))
            if bad.any():
                row, value = _first_bad(df.loc[values.index], column.name, bad)
                msg = (
                    f"{self.name} column {column.name!r} must hold text "
                    f"(got {value!r} at row {row!r})."
                )
                raise DataContractError(msg, column=column.name, value=value, row=row)
