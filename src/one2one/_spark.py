"""What every room's Spark path shares: recognising a Spark frame without importing pyspark.

The rooms' public functions take a pandas or a Spark DataFrame and dispatch;
their Spark code lives in a private module per room (``clv/_spark.py``, ...)
that imports pyspark lazily. This module is the one place that knows what a
Spark frame looks like from the outside, so ``import one2one`` never imports
pyspark, and a user without the ``spark`` extra gets a typed error naming it
only when a Spark frame actually arrives (which cannot happen without pyspark).

A pandas frame carries facts about itself in ``attrs`` (a summary's period,
currency and decimals). A Spark frame has no ``attrs``; the same facts travel
as JSON in the column metadata of its key column (Spark keeps column metadata
through selects, joins and writes to Parquet), read back by
:func:`spark_attrs`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
import pandas as pd

from ._validation import optional_import
from ._validation import require_columns as pandas_require_columns
from .errors import DataContractError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from pyspark.sql import DataFrame as SparkFrame
else:
    SparkFrame = Any

__all__ = [
    "ATTRS_KEY",
    "SparkFrame",
    "carry_errors",
    "executor_errors",
    "is_spark_frame",
    "map_pandas",
    "pyspark_functions",
    "require_columns",
    "spark_attrs",
    "wall_micros",
    "with_spark_attrs",
]

ATTRS_KEY = "one2one.attrs"
"""Key, in a column's Spark metadata, of the frame's ``attrs`` as JSON."""


def is_spark_frame(obj: object) -> TypeGuard[SparkFrame]:
    """Whether ``obj`` is a Spark DataFrame (classic or Spark Connect), without importing pyspark.

    A Spark frame can only exist where pyspark is imported already, so the
    test looks at the class's module rather than importing the class.
    """
    for cls in type(obj).__mro__:
        if cls.__name__ == "DataFrame" and cls.__module__.startswith("pyspark.sql"):
            return True
    return False


def pyspark_functions(feature: str) -> ModuleType:
    """``pyspark.sql.functions``, or a typed error naming the ``spark`` extra."""
    return optional_import("pyspark.sql.functions", extra="spark", feature=feature)


def require_columns(
    frame: SparkFrame, columns: list[str], *, name: str, arguments: str | None = None
) -> None:
    """Refuse a Spark frame missing any of ``columns`` with the pandas path's error.

    The check is :func:`one2one._validation.require_columns` on the frame's
    column names (an empty pandas frame), so both paths say the same thing.
    """
    pandas_require_columns(
        pd.DataFrame(columns=list(frame.columns)), columns, name=name, arguments=arguments
    )


def with_spark_attrs(frame: SparkFrame, column: str, attrs: Mapping[str, object]) -> SparkFrame:
    """Attach ``attrs`` (JSON-able) to ``column``'s metadata, keeping any metadata it had."""
    field = frame.schema[column]
    metadata = dict(field.metadata)
    metadata[ATTRS_KEY] = json.dumps(dict(attrs), sort_keys=True)
    columns = [
        frame[c].alias(c, metadata=metadata) if c == column else frame[c] for c in frame.columns
    ]
    return frame.select(*columns)


def spark_attrs(frame: SparkFrame) -> dict[str, Any]:
    """Return the ``attrs`` a one2one Spark frame carries (empty if none)."""
    for field in frame.schema.fields:
        text = field.metadata.get(ATTRS_KEY)
        if text is not None:
            value = json.loads(text)
            if isinstance(value, dict):
                return value
    return {}


_MARK = "<<one2one-error>>"


def _plain_value(value: object) -> object:
    """Return a value JSON can hold: a NumPy scalar as its Python number, else its text."""
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def carry_errors(
    function: Callable[[pd.DataFrame], pd.DataFrame],
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Wrap a function run on the executors so its DataContractError reaches the driver whole.

    Spark re-raises an executor's exception on the driver as its own
    ``PythonException`` holding only the text; the error's column, value and
    row travel in that text as marked JSON (numbers and text as they were,
    other values as their text), for :func:`executor_errors` to
    rebuild the same typed error the pandas path raises.
    """

    def run(part: pd.DataFrame) -> pd.DataFrame:
        try:
            return function(part)
        except DataContractError as error:
            payload = {
                "message": str(error),
                "column": error.column,
                "value": error.value,
                "row": error.row,
            }
            marked = f"{_MARK}{json.dumps(payload, default=_plain_value)}{_MARK}"
            raise RuntimeError(marked) from None

    return run


@contextmanager
def executor_errors() -> Iterator[None]:
    """Raise on the driver the DataContractError a :func:`carry_errors` function raised."""
    try:
        yield
    except DataContractError:
        raise
    except Exception as error:
        text = str(error)
        start = text.find(_MARK)
        stop = text.find(_MARK, start + len(_MARK))
        if start < 0 or stop < 0:
            raise
        payload = json.loads(text[start + len(_MARK) : stop])
        raise DataContractError(
            payload["message"],
            column=payload["column"],
            value=payload["value"],
            row=payload.get("row"),
        ) from None


def wall_micros(column: Any) -> Any:
    """Microseconds from 1970-01-01 00:00 to a TIMESTAMP_NTZ's wall time, in no time zone.

    Spark's own differences and casts of naive times go through the session's
    zone, which moves wall times that zone skips (02:30 on a spring-forward
    night becomes 03:30, silently); the calendar fields of a TIMESTAMP_NTZ do
    not, so the pandas checks see the wall time the user stored.
    """
    f = pyspark_functions("naive Spark timestamps")
    day = f.unix_date(f.to_date(column)).cast("long")
    clock = f.hour(column).cast("long") * 3600 + f.minute(column).cast("long") * 60
    seconds = (f.extract(f.lit("SECOND"), column) * 1_000_000).cast("long")
    return (day * 86_400 + clock) * 1_000_000 + seconds


def map_pandas(
    frame: SparkFrame,
    function: Callable[[pd.DataFrame], pd.DataFrame],
    schema: str,
) -> SparkFrame:
    """Apply a pandas function to each Arrow batch of ``frame`` on the executors.

    ``function`` maps a batch of rows to a frame whose columns are ``schema``'s
    (a DDL string), row for row or not; it is pickled with what it closes over
    (a fitted model's parameters, never data that grows with the frame).
    """

    def batches(parts: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for part in parts:
            yield function(part)

    return frame.mapInPandas(batches, schema)
