"""The clv room on Spark: summaries, fits and scores of Spark DataFrames.

The public functions (:func:`~one2one.clv.rfm_summary`, the models' ``fit``
and predictions, :func:`~one2one.clv.customer_lifetime_value`) dispatch here
when handed a Spark DataFrame; pyspark is imported only then. The rule is one
behaviour, exactly: the Spark path runs the pandas code, never a second
implementation of it.

* A **summary** is a sum over customers, so customers are split into groups
  (a hash of the id) and each group's transactions are summarised by the
  pandas code with the window fixed globally beforehand (the observation end,
  the currency and its minor unit), which makes every customer's row the one
  the whole-table summary gives. What the warnings count comes back as one
  small row per group.
* A **fit** needs only the distinct rows of the model's columns with their
  counts: Spark counts them, the driver fits them through the models'
  ``weight`` route.
* A **score** is per customer: the fitted model travels to the executors
  (pickled with the function) and the pandas prediction runs on each Arrow
  batch.

What reaches the driver is always small: the schema, one row of global facts,
the distinct currencies, one row per group of customers, the distinct
(frequency, recency, T[, covariates]) rows of a fit, never rows per customer
or per transaction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from attrs import frozen

from .._spark import (
    SparkFrame,
    carry_errors,
    executor_errors,
    pyspark_functions,
    spark_attrs,
    wall_micros,
    with_spark_attrs,
)
from .._transactions import (
    Transactions,
    _one_currency,
    money_decimals,
    read_transactions,
    to_units,
    warn_unnetted_totals,
)
from .._validation import Column as ColumnSpec
from .._validation import FrameContract, as_utc, require_columns, require_one_of
from ..errors import DataContractError
from ._periods import Freq, period_ordinals, require_freq
from ._summary import Returns, SummaryCounts, _warn_left_out, _window, summarise_table

if TYPE_CHECKING:  # pragma: no cover - typing only
    from pyspark.sql import Column
    from pyspark.sql.types import StructType

    from ._base import LifetimeModel, RowRule

__all__ = [
    "collected",
    "compressed_summary",
    "discrete_summary",
    "refuse_rows",
    "rfm_summary",
    "score",
]

_ROWS_PER_GROUP = 200_000
"""Transactions per group of customers summarised in one pandas call (memory per task)."""

_GROUP = "_one2one_group"
_COUNTS = "_one2one_counts"
_COUNT_NAMES = ("in_window", "unnetted_refunds", "unnetted", "known", "buyers", "summarised")
_ARGUMENTS = "customer_id=, datetime=, monetary=, order_id=, currency="
_FEATURE = "clv on Spark DataFrames"


def _spark_types() -> Any:
    pyspark_functions(_FEATURE)  # a typed error naming the extra, if pyspark is missing
    from pyspark.sql import types  # noqa: PLC0415 - pyspark only when a Spark frame arrives

    return types


def _empty(frame: SparkFrame) -> pd.DataFrame:
    """Return a pandas frame with ``frame``'s column names and no rows, for the column checks."""
    return pd.DataFrame({name: pd.Series(dtype=float) for name in frame.columns})


def _micros(frame: SparkFrame, column: str, *, naive: bool) -> Column:
    """Microseconds since the epoch: of the instant (aware), or of the wall time (naive).

    Timestamps reach pandas functions converted to the session's time zone;
    integers never are, so the session's zone never changes a summary.
    """
    f = pyspark_functions(_FEATURE)
    if naive:  # from the calendar fields: a difference would go through the session's zone
        micros: Column = wall_micros(frame[column])
        return micros
    aware: Column = f.unix_micros(frame[column])
    return aware


def _as_times(micros: pd.Series, *, naive: bool) -> pd.Series:
    """Rebuild pandas times from microseconds: tz-aware UTC, or naive wall times."""
    values = pd.to_datetime(micros.to_numpy(dtype=np.float64), unit="us", utc=not naive)
    return pd.Series(values, index=micros.index, name=micros.name)


def _check_types(
    frame: SparkFrame, *, datetime: str, monetary: str | None, refuse: Callable[[], None]
) -> bool:
    """Whether the times are naive; odd column types go through ``refuse`` (the pandas checks)."""
    types = _spark_types()
    kind = frame.schema[datetime].dataType
    amount = None if monetary is None else frame.schema[monetary].dataType
    good_time = isinstance(kind, types.TimestampType | types.TimestampNTZType)
    good_amount = amount is None or isinstance(amount, types.NumericType)
    if not (good_time and good_amount):
        refuse()
        column, found = (datetime, kind) if not good_time else (str(monetary), amount)
        name = "?" if found is None else found.simpleString()
        msg = f"transactions column {column!r} has Spark type {name}, which a summary cannot read."
        raise DataContractError(msg, column=column, value=name)
    return isinstance(kind, types.TimestampNTZType)


@frozen(kw_only=True)
class _Reading:
    """How a Spark log is read: the caller's column names and options, as pandas reads them.

    ``order`` and ``money_column`` are the order and currency columns when
    the log has them (``None`` otherwise), as in ``read_transactions``.
    """

    customer_id: str
    datetime: str
    monetary: str | None
    order: str | None
    money_column: str | None
    assume_tz: str | None
    decimals: int | None

    @property
    def required(self) -> list[str]:
        return [self.customer_id, self.datetime] + ([self.monetary] if self.monetary else [])

    def read(
        self,
        part: pd.DataFrame,
        *,
        naive: bool | None,
        places: int | None = None,
        with_money: bool = True,
    ) -> Transactions:
        """Read a pandas part with the pandas checks (times in microseconds unless naive=None)."""
        if naive is not None:
            part = part.assign(**{self.datetime: _as_times(part[self.datetime], naive=naive)})
        return read_transactions(
            part,
            customer_id=self.customer_id,
            datetime=self.datetime,
            monetary=self.monetary,
            order_id=self.order,
            currency=self.money_column if with_money else None,
            assume_tz=self.assume_tz,
            decimals=self.decimals if places is None else places,
            use="a summary",
            arguments=_ARGUMENTS,
        )


def _reading(
    transactions: SparkFrame,
    *,
    customer_id: str,
    datetime: str,
    monetary: str | None,
    order_id: str | None,
    currency: str | None,
    assume_tz: str | None,
    decimals: int | None,
) -> _Reading:
    """Check the log's columns as pandas does (same error), and say how to read it."""
    if decimals is not None:
        money_decimals(None, decimals)  # refuses a bad value before any Spark job
    required = [customer_id, datetime] + ([monetary] if monetary is not None else [])
    named = [c for c, d in ((order_id, "order_id"), (currency, "currency")) if c and c != d]
    require_columns(
        _empty(transactions), required + named, name="transactions", arguments=_ARGUMENTS
    )
    present = transactions.columns
    return _Reading(
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        order=order_id if order_id is not None and order_id in present else None,
        money_column=currency if currency is not None and currency in present else None,
        assume_tz=assume_tz,
        decimals=decimals,
    )


def _log(transactions: SparkFrame, how: _Reading, *, naive: bool) -> SparkFrame:
    """Select the columns a summary reads, times as microseconds and amounts as doubles."""
    columns = [
        transactions[how.customer_id],
        _micros(transactions, how.datetime, naive=naive).alias(how.datetime),
    ]
    if how.monetary is not None:
        columns.append(transactions[how.monetary].cast("double").alias(how.monetary))
    columns += [transactions[c] for c in (how.order, how.money_column) if c is not None]
    return transactions.select(*columns)


def _global_facts(log: SparkFrame, how: _Reading) -> tuple[Any, Column]:
    """One Spark job: rows, last time, bad values, largest amount, refunds, currencies."""
    f = pyspark_functions(_FEATURE)
    bad = f.lit(False)  # noqa: FBT003 - a Spark literal
    for column in how.required + ([how.money_column] if how.money_column else []):
        bad = bad | log[column].isNull()
    facts = [f.count(f.lit(1)).alias("n"), f.max(log[how.datetime]).alias("last")]
    if how.monetary is not None:
        amount = log[how.monetary]
        bad = bad | f.isnan(amount) | (f.abs(amount) == math.inf)
        finite = ~f.isnan(amount) & (f.abs(amount) < math.inf)
        facts += [
            f.max(f.when(finite, f.abs(amount))).alias("largest"),
            f.count(f.when(amount < 0, 1)).alias("refunds"),
        ]
    facts.append(f.count(f.when(bad, 1)).alias("bad"))
    if how.money_column is not None:
        facts.append(f.collect_set(log[how.money_column].cast("string")).alias("currencies"))
    return log.agg(*facts).first(), bad


def _check_facts(
    transactions: SparkFrame, log: SparkFrame, how: _Reading, *, naive: bool, returns: Returns
) -> tuple[Any, str | None, int]:
    """Refuse what pandas refuses, from the global facts; return them, the currency, decimals."""
    found, bad = _global_facts(log, how)
    if found is None or found["n"] == 0:
        how.read(_empty(transactions), naive=None)  # raises: an empty log
    if found["bad"]:
        how.read(log.filter(bad).limit(1).toPandas(), naive=naive)  # raises as pandas
        msg = f"transactions has {found['bad']} row(s) with missing or non-finite values."
        raise DataContractError(msg, column=how.datetime)
    code = None
    if how.money_column is not None:
        codes = pd.DataFrame({how.money_column: sorted(found["currencies"])})
        code = _one_currency(codes, how.money_column)  # refuses several, as pandas
    places = money_decimals(code, how.decimals)
    if how.monetary is not None:
        if found["largest"] is not None:
            to_units(np.array([found["largest"]]), places, column=how.monetary)  # too large?
        if returns == "error" and found["refunds"]:
            value = log.filter(log[how.monetary] < 0).select(how.monetary).first()
            example = None if value is None else value[0]
            msg = (
                f"transactions column {how.monetary!r} has negative amounts (returns), "
                f"{found['refunds']} in all, e.g. {example!r}; pass returns='net' or "
                "returns='ignore'."
            )
            raise DataContractError(msg, column=how.monetary, value=example)
    return found, code, places


def rfm_summary(
    transactions: SparkFrame,
    *,
    customer_id: str,
    datetime: str,
    monetary: str | None,
    freq: Freq,
    observation_end: object,
    calibration_end: object,
    tz: str,
    assume_tz: str | None,
    returns: Returns,
    time_unit: Freq | None,
    order_id: str | None,
    currency: str | None,
    decimals: int | None,
    stacklevel: int = 4,
) -> SparkFrame:
    """:func:`one2one.clv.rfm_summary` of a Spark frame, as a Spark frame (see there).

    Collected to the driver: one row of global facts (row count, last
    time, counts of bad values and refunds, largest amount, the distinct
    currencies), one row of counts per group of customers, and at most one
    offending row when a check fails (to report it as pandas does). The
    summary itself is persisted on the executors (memory, then disk) and
    computed once.
    """
    freq = require_freq(freq)
    unit = freq if time_unit is None else require_freq(time_unit)
    returns = require_one_of(returns, ("net", "ignore", "error"), name="returns")
    how = _reading(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        order_id=order_id,
        currency=currency,
        assume_tz=assume_tz,
        decimals=decimals,
    )

    def refuse_raw() -> None:  # the pandas checks on one raw row
        carried = how.required + [c for c in (how.order, how.money_column) if c is not None]
        how.read(transactions.select(*carried).limit(1).toPandas(), naive=None)

    naive = _check_types(transactions, datetime=datetime, monetary=monetary, refuse=refuse_raw)
    if naive and assume_tz is None:
        as_utc(pd.Series(dtype="datetime64[ns]"), name=datetime)  # raises: naive, no zone
    log = _log(transactions, how, naive=naive)
    found, code, places = _check_facts(transactions, log, how, naive=naive, returns=returns)
    last = _as_times(pd.Series([found["last"]], name=datetime), naive=naive)
    ordinal = period_ordinals(last, freq=freq, tz=tz, name=datetime, assume_tz=assume_tz)
    end, cutoff = _window(ordinal, freq, tz, observation_end, calibration_end)
    holdout = calibration_end is not None

    def summarise(part: pd.DataFrame) -> pd.DataFrame:
        table = how.read(part.drop(columns=[_GROUP]), naive=naive, places=places, with_money=False)
        result, _, counts = summarise_table(
            table,
            period_ordinals(table.utc, freq=freq, tz=tz, name=datetime),
            end=end,
            cutoff=cutoff,
            returns=returns,
            monetary=monetary,
            holdout=holdout,
            freq=freq,
            unit=unit,
        )
        return _with_counts(result.summary.reset_index(), counts)

    rows = _summarise_groups(
        log.drop(*([how.money_column] if how.money_column else [])),
        summarise,
        _summary_schema(
            transactions.schema[customer_id].dataType, monetary=monetary, holdout=holdout
        ),
        customer_id=customer_id,
        n_rows=int(found["n"]),
    )
    with executor_errors():  # a naive time in a DST gap, found per group, as pandas raises it
        count = _counts(rows)
    try:
        _refuse_empty(count, datetime, observation_end, calibration_end)
    except DataContractError:
        rows.unpersist()
        raise
    warn_unnetted_totals(
        count["unnetted_refunds"],
        count["unnetted"],
        currency=code,
        decimals=places,
        stacklevel=stacklevel - 1,
    )
    _warn_left_out(count["known"], count["buyers"], count["summarised"], stacklevel=stacklevel)
    summary = rows.filter(rows[_COUNTS].isNull()).drop(_COUNTS)
    attrs = {"period": unit, "occasion_period": freq, "currency": code, "decimals": places}
    return with_spark_attrs(summary, "customer_id", attrs)


def _with_counts(rows: pd.DataFrame, counts: SummaryCounts) -> pd.DataFrame:
    """Return a group's summary rows and one more row, with no customer, carrying its counts."""
    tally = pd.DataFrame({name: [0] for name in rows.columns}).astype(rows.dtypes.to_dict())
    tally["customer_id"] = pd.Series([None], dtype=object)
    rows[_COUNTS] = None
    tally[_COUNTS] = pd.Series([[getattr(counts, n) for n in _COUNT_NAMES]], dtype=object)
    return pd.concat([rows.astype({"customer_id": object}), tally], ignore_index=True)


def _summarise_groups(
    log: SparkFrame,
    summarise: Callable[[pd.DataFrame], pd.DataFrame],
    schema: StructType,
    *,
    customer_id: str,
    n_rows: int,
) -> SparkFrame:
    """Summarise each group of customers (a hash of the id) with pandas; persist the rows."""
    f = pyspark_functions(_FEATURE)
    from pyspark import StorageLevel  # noqa: PLC0415 - pyspark only when a Spark frame arrives

    n_groups = max(1, math.ceil(n_rows / _ROWS_PER_GROUP))
    keyed = log.withColumn(_GROUP, f.pmod(f.xxhash64(log[customer_id]), f.lit(n_groups)))
    rows: SparkFrame = keyed.groupBy(_GROUP).applyInPandas(carry_errors(summarise), schema)
    return rows.persist(StorageLevel.MEMORY_AND_DISK)


def _counts(rows: SparkFrame) -> dict[str, int]:
    """Sum the groups' counts (one Spark job, which also computes the persisted rows)."""
    f = pyspark_functions(_FEATURE)
    totals = (
        rows.filter(rows[_COUNTS].isNotNull())
        .agg(*[f.sum(rows[_COUNTS][i]).alias(n) for i, n in enumerate(_COUNT_NAMES)])
        .first()
    )
    return {n: int(totals[n] or 0) if totals is not None else 0 for n in _COUNT_NAMES}


def _refuse_empty(
    count: dict[str, int], datetime: str, observation_end: object, calibration_end: object
) -> None:
    """Refuse a window with no transactions, or no first purchase, as pandas does."""
    if count["in_window"] == 0:
        msg = f"no transactions on or before observation_end ({observation_end})."
        raise DataContractError(msg, column=datetime, value=observation_end)
    if count["summarised"] == 0:
        when = "calibration_end" if calibration_end is not None else "observation_end"
        msg = (
            f"no purchases (sales that refunds left standing) on or before {when}; "
            "a summary needs at least one customer's first purchase."
        )
        raise DataContractError(msg, column=datetime, value=calibration_end or observation_end)


def _summary_schema(customer_type: Any, *, monetary: str | None, holdout: bool) -> StructType:
    """Return the summary's Spark schema: the id's type, then the pandas summary's columns."""
    types = _spark_types()
    long, double = types.LongType(), types.DoubleType()
    fields = [
        types.StructField("customer_id", customer_type, nullable=True),
        types.StructField("frequency", long),
        types.StructField("recency", double),
        types.StructField("T", double),
    ]
    if monetary is not None:
        fields.append(types.StructField("monetary_value", double))
    if holdout:
        fields.append(types.StructField("frequency_holdout", long))
        if monetary is not None:
            fields.append(types.StructField("monetary_value_holdout", double))
        fields.append(types.StructField("duration_holdout", double))
    fields.append(types.StructField(_COUNTS, types.ArrayType(long), nullable=True))
    schema: StructType = types.StructType(fields)
    return schema


def discrete_summary(summary: SparkFrame, *, freq: Freq) -> SparkFrame:
    """Compress a Spark per-customer summary to BG/BB patterns with weights (few rows)."""
    f = pyspark_functions(_FEATURE)
    patterns = (
        summary.groupBy(
            summary["frequency"].alias("frequency"),
            summary["recency"].cast("long").alias("recency"),
            summary["T"].cast("long").alias("n_periods"),
        )
        .agg(f.count(f.lit(1)).alias("weight"))
        .orderBy("frequency", "recency", "n_periods")
    )
    return with_spark_attrs(patterns, "frequency", {"period": freq})


def compressed_summary(model: LifetimeModel, summary: SparkFrame) -> pd.DataFrame:
    """Return the distinct rows of the columns ``model`` fits on, with their counts, as pandas.

    Collected to the driver: the distinct (frequency, recency, T[,
    covariates]) rows (or the model's own columns) with a ``weight``: their
    number of customers, or the sum of ``summary``'s ``weight`` column.
    Sorted, so the fit never depends on how Spark ordered the groups.
    """
    f = pyspark_functions(_FEATURE)
    columns = [*model.data_columns, *model._extra_columns()]  # noqa: SLF001 - the room's own
    as_pandas = _empty(summary).drop(columns=["customer_id"], errors="ignore")  # the index
    for column in columns:
        if column not in summary.columns:
            model.contract.validate(as_pandas)  # the pandas error for a missing column
            require_columns(as_pandas, [column], name="summary", arguments=None)
    weight = (
        f.sum(summary["weight"]).alias("weight")
        if "weight" in summary.columns
        else f.count(f.lit(1)).alias("weight")
    )
    compressed = summary.groupBy(*columns).agg(weight).toPandas()
    compressed = compressed.sort_values(columns, kind="stable", ignore_index=True)
    compressed.attrs.update(spark_attrs(summary))
    return compressed


def collected(frame: SparkFrame) -> pd.DataFrame:
    """Collect a Spark frame small by nature (a survivor table) as pandas, with its attrs."""
    result = frame.toPandas()
    result.attrs.update(spark_attrs(frame))
    return result


def _contract_breaks(
    summary: SparkFrame, specs: Sequence[ColumnSpec], *, refuse: Callable[[], object]
) -> Column:
    """Return whether a row breaks the numeric columns' contract (as the pandas checks do).

    A column whose Spark type is not numeric is refused at once, by
    ``refuse`` (the pandas checks on one row) or with its Spark type.
    """
    f = pyspark_functions(_FEATURE)
    types = _spark_types()
    broken: Column = f.lit(False)  # noqa: FBT003 - a Spark literal
    for spec in specs:
        values, kind = summary[spec.name], summary.schema[spec.name].dataType
        if not isinstance(kind, types.NumericType):
            refuse()
            name = kind.simpleString()
            msg = f"summary column {spec.name!r} has Spark type {name}; it must be numeric."
            raise DataContractError(msg, column=spec.name, value=name)
        bad = f.lit(False) if spec.nullable else values.isNull()  # noqa: FBT003
        if isinstance(kind, types.FloatType | types.DoubleType):
            bad = bad | f.isnan(values) | (f.abs(values) == math.inf)
        if spec.non_negative:
            bad = bad | (values < 0)
        if spec.kind == "integer" and not isinstance(kind, types.IntegralType):
            bad = bad | (values != f.floor(values))
        if spec.low is not None:
            bad = bad | (values < spec.low)
        if spec.high is not None:
            bad = bad | (values > spec.high)
        broken = broken | bad
    return broken


def refuse_rows(
    summary: SparkFrame,
    *,
    contract: FrameContract,
    check: Callable[[pd.DataFrame], pd.DataFrame],
    rules: Sequence[RowRule],
    key: str | None,
    numeric: Sequence[str] = (),
) -> None:
    """Refuse a Spark summary the pandas checks would refuse, in one Spark job.

    One aggregation counts the rows that break the column contract (values
    missing, not finite, negative, not whole or out of range, as each
    numeric column's kind says, and the ``numeric`` columns, such as
    covariates, missing or not finite) and each of ``rules``, with the
    first offender of each rule in ``key`` order (in the order of the
    contract's columns without a key). A broken rule is raised with the
    pandas message and the whole frame's count, the first offender's row
    collected alone for its label and value; a broken contract by the
    pandas checks on the first offending row. So a bad row is found when
    the scores are asked for, not on an executor where they are used.
    """
    f = pyspark_functions(_FEATURE)
    columns = list(contract.required)
    as_index = _empty(summary).drop(columns=[key] if key else [])  # the pandas summary's columns
    require_columns(as_index, columns, name=contract.name, arguments=None)
    require_columns(as_index, list(numeric), name=contract.name, arguments=None)
    order = [key] if key is not None else columns

    def as_pandas(rows: SparkFrame) -> pd.DataFrame:
        frame = rows.toPandas()
        return frame.set_index(key) if key is not None else frame

    specs = [s for s in contract.columns if s.name in columns and s.kind in ("number", "integer")]
    specs += [ColumnSpec(name, "number") for name in numeric if name not in columns]
    broken = _contract_breaks(
        summary, specs, refuse=lambda: check(contract.validate(as_pandas(summary.limit(1))))
    )
    first = f.struct(*[summary[c].alias(f"_key{j}") for j, c in enumerate(order)])
    facts = summary.agg(
        f.count(f.lit(1)).alias("n"),
        f.count(f.when(broken, 1)).alias("broken"),
        *[f.count(f.when(rule.breaks(summary), 1)).alias(f"r{i}") for i, rule in enumerate(rules)],
        *[
            f.min(f.when(rule.breaks(summary), first)).alias(f"k{i}")
            for i, rule in enumerate(rules)
        ],
    ).first()
    if facts is None or facts["n"] == 0 or facts["broken"]:
        rows = summary.filter(broken).orderBy(*order).limit(1)
        check(contract.validate(as_pandas(rows)))  # raises: empty, or the contract's error
        msg = f"summary has {facts['broken'] if facts else 0} row(s) that break its contract."
        raise DataContractError(msg, column=columns[0])
    for i, rule in enumerate(rules):
        if facts[f"r{i}"]:
            found = tuple(facts[f"k{i}"])
            same = f.lit(True)  # noqa: FBT003 - a Spark literal
            for column, value in zip(order, found, strict=True):
                same = same & summary[column].eqNullSafe(value)
            offender = as_pandas(summary.filter(same).limit(1))
            row = offender.index[0] if key is not None else found
            row = row.item() if isinstance(row, np.generic) else row  # the id as Spark holds it
            value = offender[rule.column].iloc[0]
            msg = rule.message(int(facts[f"r{i}"]), row, value)
            raise DataContractError(msg, column=rule.column, value=value, row=row)


def _batch(part: pd.DataFrame, attrs: dict[str, Any]) -> pd.DataFrame:
    """One Arrow batch as a pandas summary: indexed by customer_id, with the summary's attrs."""
    frame = part.set_index("customer_id")
    frame.attrs.update(attrs)
    return frame


def score(
    summary: SparkFrame,
    method: Callable[[pd.DataFrame], pd.DataFrame | pd.Series],
    *,
    interval: object = None,
    keys: Sequence[str] | None = None,
) -> SparkFrame:
    """Run a pandas prediction on each batch of a Spark summary: its keys and their columns.

    ``method`` runs on the driver first on one row of the summary (the
    only row collected), so a missing column, a period that disagrees or a
    bad argument is the pandas error, raised here, and the output columns
    are known. The fitted model travels to the executors pickled with
    ``method``.

    ``keys`` are the columns carried beside the predictions: by default
    ``customer_id``, which becomes each batch's index as in a pandas
    summary; other keys (a BG/BB pattern table's own columns) are carried
    as they are, the batch keeping a plain row index.
    """
    if interval == "bootstrap":
        msg = (
            "interval='bootstrap' is not available on Spark DataFrames: it refits the model "
            "on simulated customer bases per replicate; use interval='delta', or score a "
            "pandas summary."
        )
        raise DataContractError(msg, column="interval", value=interval)
    types = _spark_types()
    attrs = spark_attrs(summary)
    by_id = keys is None
    carried = ["customer_id"] if keys is None else list(keys)
    probe = summary.limit(1).toPandas()
    if by_id:
        if "customer_id" not in summary.columns:
            probe["customer_id"] = pd.Series(dtype=object)
        probe = probe.set_index("customer_id")
    probe.attrs.update(attrs)
    shape = _as_frame(method(probe))
    require_columns(_empty(summary), carried, name="summary", arguments=None)
    fields = [types.StructField(c, summary.schema[c].dataType) for c in carried]
    fields += [types.StructField(str(c), types.DoubleType()) for c in shape.columns]
    schema = types.StructType(fields)
    result_attrs = {str(k): v for k, v in shape.attrs.items()}

    def run(part: pd.DataFrame) -> pd.DataFrame:
        if part.empty:
            return pd.DataFrame({field.name: [] for field in fields})
        if by_id:
            frame = _as_frame(method(_batch(part, attrs))).astype(np.float64)
            return frame.reset_index()
        batch = part.reset_index(drop=True)
        batch.attrs.update(attrs)
        scores = _as_frame(method(batch)).astype(np.float64)
        return pd.concat([batch[carried], scores], axis=1)

    checked = carry_errors(run)

    def batches(parts: Any) -> Any:
        for part in parts:
            yield checked(part)

    scored = summary.mapInPandas(batches, schema)
    return with_spark_attrs(scored, carried[0], result_attrs) if result_attrs else scored


def _as_frame(result: pd.DataFrame | pd.Series) -> pd.DataFrame:
    if isinstance(result, pd.Series):
        return result.to_frame()
    return result
