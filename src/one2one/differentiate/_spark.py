"""The differentiate room on Apache Spark: RFM, scores, tiers and fitted models on Spark frames.

Imported only when a public function receives a Spark DataFrame (never by
``import one2one``). Every result is the pandas path's, by construction
where it can be:

* :func:`rfm_table` runs the pandas code itself on buckets of customers
  (``hash(customer_id) mod k``, so a customer's rows are never split), after
  the facts that span the whole log (its last moment, its one currency) are
  computed in Spark and handed to every bucket;
* :func:`rfm_scores` and :func:`value_tiers` need global ranks and cuts: they
  count each *distinct* value once (``value -> customers``) and rank those
  counts with a window, exactly as pandas' average rank and ``np.partition``
  do, without approximation;
* fitted models score with ``mapInPandas``, the fitted model shipped to the
  executors with the function.

Checks that pandas makes while reading (missing values, types, ranges) are
made eagerly here, in one aggregation, so a bad frame is refused when the
function is called, with the column and the value, not later on an executor.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from pyspark.sql import Column, Window
from pyspark.sql import functions as F  # noqa: N812 - pyspark's own convention
from pyspark.sql import types as T  # noqa: N812

from .._spark import (
    SparkFrame,
    carry_errors,
    executor_errors,
    map_pandas,
    require_columns,
    wall_micros,
    with_spark_attrs,
)
from .._transactions import (
    local_days,
    money_decimals,
    read_transactions,
    round_money,
    to_units,
    warn_unnetted_totals,
)
from .._validation import as_utc, require_number
from ..errors import DataContractError, DataWarning
from ._rfm import RFMSegment, _moment, _rfm_rows
from ._tiers import TIERS, _count, _report, curve_positions

__all__ = [
    "lorenz_curve",
    "rfm_scores",
    "rfm_segments",
    "rfm_table",
    "score_frame",
    "tier_report",
    "value_tiers",
]

BUCKET_ROWS = 200_000
"""Transactions per bucket that :func:`rfm_table` aims at (a bucket is one pandas frame)."""

_KEY = "customer_id"


# ---------------------------------------------------------------- shared checks
def _numeric(frame: SparkFrame, column: str, *, name: str) -> None:
    """Refuse a column that is not numeric (booleans are not amounts)."""
    kind = frame.schema[column].dataType
    if not isinstance(kind, T.NumericType):
        msg = (
            f"{name} column {column!r} must be numeric (got Spark type {kind.simpleString()}); "
            "convert it first."
        )
        raise DataContractError(msg, column=column, value=kind.simpleString())


def _missing(column: str, kind: T.DataType) -> Column:
    """Whether a value is missing: null, or NaN in a floating column."""
    col = F.col(column)
    if isinstance(kind, T.FloatType | T.DoubleType):
        return col.isNull() | F.isnan(col)
    return col.isNull()


def _infinite(column: str, kind: T.DataType) -> Column:
    col = F.col(column)
    if isinstance(kind, T.FloatType | T.DoubleType):
        return col.isin(float("inf"), float("-inf"))
    return F.lit(False)  # noqa: FBT003 - a Spark literal


def _first_key(frame: SparkFrame, condition: Column, key: str | None) -> object:
    """Return the key of one row meeting ``condition`` (a tiny job, run only to word an error)."""
    if key is None or key not in frame.columns:
        return None
    rows = frame.filter(condition).select(key).limit(1).collect()
    return rows[0][0] if rows else None


def _count_when(condition: Column) -> Column:
    return F.sum(F.when(condition, 1).otherwise(0))


def _check_values(
    frame: SparkFrame,
    columns: Sequence[str],
    *,
    name: str,
    key: str | None,
    finite: Sequence[str] = (),
    non_negative: Sequence[str] = (),
    extra: Sequence[Column] = (),
) -> Any:
    """Count rows, missing, infinite and negative values in one job; refuse any found.

    Returns the aggregate row: ``n`` rows, then the ``extra`` aggregates by
    their aliases.
    """
    schema = frame.schema
    aggregates = [F.count(F.lit(1)).alias("n"), *extra]
    for i, column in enumerate(columns):
        aggregates.append(_count_when(_missing(column, schema[column].dataType)).alias(f"m{i}"))
    for i, column in enumerate(finite):
        aggregates.append(_count_when(_infinite(column, schema[column].dataType)).alias(f"f{i}"))
    for i, column in enumerate(non_negative):
        aggregates.append(_count_when(F.col(column) < 0).alias(f"g{i}"))
        aggregates.append(F.min(column).alias(f"low{i}"))
    row = frame.agg(*aggregates).collect()[0]
    for i, column in enumerate(columns):
        if row[f"m{i}"]:
            condition = _missing(column, schema[column].dataType)
            first = _first_key(frame, condition, key)
            msg = (
                f"{name} column {column!r} has {row[f'm{i}']} missing value(s), "
                f"first at {key} {first!r}; fill or drop them before calling."
            )
            raise DataContractError(msg, column=column, value=None, row=first)
    for i, column in enumerate(finite):
        if row[f"f{i}"]:
            condition = _infinite(column, schema[column].dataType)
            first = _first_key(frame, condition, key)
            value = frame.filter(condition).select(column).limit(1).collect()[0][0]
            msg = f"{name} column {column!r} must be finite (got {value!r} at {key} {first!r})."
            raise DataContractError(msg, column=column, value=value, row=first)
    for i, column in enumerate(non_negative):
        if row[f"g{i}"]:
            value = row[f"low{i}"]
            first = _first_key(frame, F.col(column) == value, key)
            msg = (
                f"{name} column {column!r} must be >= 0 (got {value!r} at {key} {first!r}, "
                f"{row[f'g{i}']} negative value(s) in all)."
            )
            raise DataContractError(msg, column=column, value=value, row=first)
    return row


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with text columns as Python objects, which pyspark's Arrow writer takes.

    pandas 3 stores text in Arrow chunked arrays, which pyspark 4's
    ``applyInPandas``/``mapInPandas`` output cannot convert yet.
    """
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column].dtype) and frame[column].dtype != object:
            frame[column] = frame[column].astype(object)
    return frame


# ---------------------------------------------------------------------- RFM table
class _Log(NamedTuple):
    """What :func:`rfm_table` knows of the whole log before it splits it into buckets."""

    order: str | None
    money: str | None
    micros: Column
    aware: bool
    rows: int
    currency: str | None
    places: int
    end: pd.Timestamp


def _read_log(
    frame: SparkFrame,
    *,
    as_of: object,
    customer_id: str,
    datetime: str,
    monetary: str,
    order_id: str | None,
    currency: str | None,
    tz: str,
    assume_tz: str | None,
    decimals: int | None,
) -> _Log:
    """Check a transaction log as the pandas path does, and find its global facts (one job)."""
    named = [c for c, d in ((order_id, "order_id"), (currency, "currency")) if c and c != d]
    require_columns(
        frame,
        [customer_id, datetime, monetary, *named],
        name="transactions",
        arguments="customer_id=, datetime=, monetary=, order_id=, currency=",
    )
    order = order_id if order_id is not None and order_id in frame.columns else None
    money = currency if currency is not None and currency in frame.columns else None
    kind = frame.schema[datetime].dataType
    probe = pd.Series(pd.to_datetime(["2000-01-01"]))
    if isinstance(kind, T.TimestampNTZType):  # naive wall-clock times: pandas' rule applies
        as_utc(probe, name=datetime, assume_tz=assume_tz)
        micros = wall_micros(F.col(datetime))
    elif isinstance(kind, T.TimestampType):  # instants: aware, whatever the session's zone
        micros = F.unix_micros(F.col(datetime))
    else:
        msg = (
            f"transactions column {datetime!r} must hold timestamps "
            f"(got Spark type {kind.simpleString()}); convert it first."
        )
        raise DataContractError(msg, column=datetime, value=kind.simpleString())
    _numeric(frame, monetary, name="transactions")
    local_days(probe.dt.tz_localize("UTC"), tz)  # an unknown zone is refused before any job
    extra = [
        F.max(micros).alias("last"),
        F.max(F.abs(F.col(monetary).cast("double"))).alias("largest"),
    ]
    if money is not None:
        extra += [
            F.count_distinct(F.col(money)).alias("currencies"),
            F.slice(F.array_sort(F.collect_set(F.col(money).cast("string"))), 1, 10).alias("codes"),
        ]
    checked = [customer_id, datetime, monetary] + ([money] if money else [])
    stats = _check_values(
        frame, checked, name="transactions", key=customer_id, finite=[monetary], extra=extra
    )
    if stats["n"] == 0:
        msg = "transactions is empty; RFM needs at least one purchase."
        raise DataContractError(msg, column=datetime)
    code: str | None = None
    if money is not None:
        codes = list(stats["codes"])
        if stats["currencies"] > 1:
            msg = (
                f"transactions column {money!r} holds {stats['currencies']} currencies "
                f"({', '.join(map(repr, codes))}); amounts are never added across currencies: "
                "convert them to one currency first, or summarise each currency on its own."
            )
            raise DataContractError(msg, column=money, value=codes)
        code = codes[0]
    places = money_decimals(code, decimals)
    to_units(np.array([stats["largest"]], dtype=np.float64), places, column=monetary)
    # the latest moment, read as the pandas path reads it (a naive one in assume_tz)
    aware = isinstance(kind, T.TimestampType)
    stamp = pd.Series(pd.to_datetime([int(stats["last"])], unit="us", utc=aware))
    latest = as_utc(stamp, name=datetime, assume_tz=assume_tz).iloc[0]
    if as_of is not None:
        end = _moment(as_of, tz)
        if latest > end:
            msg = (
                f"transactions after as_of={end} (the latest at {latest}); "
                "cut the log or move as_of."
            )
            raise DataContractError(msg, column=datetime, value=str(end))
    else:
        end = latest
    return _Log(
        order=order,
        money=money,
        micros=micros,
        aware=aware,
        rows=int(stats["n"]),
        currency=code,
        places=places,
        end=end,
    )


def rfm_table(
    frame: SparkFrame,
    *,
    as_of: object,
    customer_id: str,
    datetime: str,
    monetary: str,
    order_id: str | None,
    currency: str | None,
    tz: str,
    assume_tz: str | None,
    decimals: int | None,
) -> SparkFrame:
    """Spark path of :func:`one2one.differentiate.rfm_table` (see there).

    Returns a Spark frame with the key as a column ``customer_id`` and the
    pandas table's columns; it is computed eagerly (the warnings need its
    counts) and held by ``localCheckpoint``, so using it does not recompute.
    """
    log = _read_log(
        frame,
        as_of=as_of,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        order_id=order_id,
        currency=currency,
        tz=tz,
        assume_tz=assume_tz,
        decimals=decimals,
    )
    order, money, places, end, aware = log.order, log.money, log.places, log.end, log.aware
    session = frame.sparkSession
    try:
        partitions = int(session.conf.get("spark.sql.shuffle.partitions") or 200)
    except ValueError:  # "auto" on some platforms
        partitions = 200
    buckets = max(partitions, math.ceil(log.rows / BUCKET_ROWS))
    columns = [customer_id, monetary] + ([order] if order else []) + ([money] if money else [])
    prepared = frame.select(
        *[F.col(c) for c in columns],
        log.micros.alias("_micros"),
        F.pmod(F.xxhash64(F.col(customer_id)), F.lit(buckets)).alias("_bucket"),
    )

    def bucket(part: pd.DataFrame) -> pd.DataFrame:
        stamps = pd.to_datetime(part["_micros"].to_numpy(dtype=np.int64), unit="us", utc=aware)
        rows = part.drop(columns=["_micros", "_bucket"]).assign(
            **{datetime: pd.Series(stamps, index=part.index)}
        )
        table = read_transactions(
            rows,
            customer_id=customer_id,
            datetime=datetime,
            monetary=monetary,
            order_id=order,
            currency=money,
            assume_tz=assume_tz,
            decimals=places,
            use="RFM",
            arguments=None,
        )
        result, occasions, n_known = _rfm_rows(table, end, tz)
        out = result.reset_index()
        out["_stats"] = False
        out["_refunds"] = out["_unnetted"] = out["_lost"] = 0
        counts = pd.DataFrame(
            {
                "customer_id": table.ids[:1],
                "recency_days": [0.0],
                "purchases": [0],
                "monetary": [0.0],
                "_stats": [True],
                "_refunds": [occasions.unnetted_refunds],
                "_unnetted": [occasions.unnetted],
                "_lost": [n_known - len(result)],
            }
        )
        return _plain(pd.concat([out, counts], ignore_index=True))

    schema = T.StructType(
        [
            T.StructField(_KEY, frame.schema[customer_id].dataType, nullable=False),
            T.StructField("recency_days", T.DoubleType(), nullable=False),
            T.StructField("purchases", T.LongType(), nullable=False),
            T.StructField("monetary", T.DoubleType(), nullable=False),
            T.StructField("_stats", T.BooleanType(), nullable=False),
            T.StructField("_refunds", T.LongType(), nullable=False),
            T.StructField("_unnetted", T.LongType(), nullable=False),
            T.StructField("_lost", T.LongType(), nullable=False),
        ]
    )
    with executor_errors():
        rows = prepared.groupBy("_bucket").applyInPandas(carry_errors(bucket), schema)
        done = rows.localCheckpoint(eager=True)
    totals = done.agg(
        _count_when(~F.col("_stats")).alias("customers"),
        F.sum("_refunds").alias("refunds"),
        F.sum("_unnetted").alias("unnetted"),
        F.sum("_lost").alias("lost"),
    ).collect()[0]
    if not totals["customers"]:
        msg = (
            "transactions hold no purchase (only refunds, or every sale refunded); nobody to score."
        )
        raise DataContractError(msg, column=monetary)
    warn_unnetted_totals(
        int(totals["refunds"]),
        int(totals["unnetted"]),
        currency=log.currency,
        decimals=places,
        stacklevel=3,
    )
    if totals["lost"]:
        msg = (
            f"{totals['lost']} customer(s) have no purchase left (only returns, or every "
            "purchase refunded); they are not in the RFM table."
        )
        warnings.warn(msg, DataWarning, stacklevel=3)
    result = done.filter(~F.col("_stats")).select(_KEY, "recency_days", "purchases", "monetary")
    return with_spark_attrs(result, _KEY, {"currency": log.currency, "decimals": places})


# -------------------------------------------------------------------- RFM scores
def _distinct_counts(frame: SparkFrame, column: str) -> SparkFrame:
    """Each distinct value of ``column`` with its rows (``_d``) and rows below it (``_less``).

    The window sorts the distinct values only (one task per column): their
    number, not the customers', sets its size.
    """
    counts = frame.groupBy(column).agg(F.count(F.lit(1)).alias("_d"))
    below = Window.orderBy(F.col(column)).rowsBetween(Window.unboundedPreceding, -1)
    return counts.withColumn("_less", F.coalesce(F.sum("_d").over(below), F.lit(0)))


def _scores(
    frame: SparkFrame, column: str, name: str, n: int, bins: int, *, ascending: bool
) -> SparkFrame:
    """``column``'s score per distinct value, as pandas' ``_score`` computes it.

    pandas' average rank of a value tied ``d`` times after ``a`` smaller (or,
    descending, larger) values is exactly ``a + (d + 1) / 2`` (a multiple of
    one half); its percentile is that divided by ``n``, then times ``bins``,
    rounded up and clipped, the same double operations here.
    """
    counts = _distinct_counts(frame, column)
    d = F.col("_d")
    before = F.col("_less") if ascending else F.lit(n) - F.col("_less") - d
    average = before.cast("double") + (d + 1) / 2
    score = F.ceil((average / F.lit(float(n))) * F.lit(float(bins)))
    clipped = F.least(F.greatest(score, F.lit(1)), F.lit(bins)).cast("long")
    return counts.select(F.col(column), clipped.alias(name))


def rfm_scores(table: SparkFrame, *, bins: int) -> SparkFrame:
    """Spark path of :func:`one2one.differentiate.rfm_scores` (see there)."""
    count = "purchases"
    if "purchases" not in table.columns and "frequency" in table.columns:
        msg = (
            "rfm_scores reads the purchase count from 'purchases' (rfm_table's name for it "
            "since 'frequency' means repeat purchases in one2one.clv); rename the column, "
            "'frequency' will stop being read."
        )
        warnings.warn(msg, DeprecationWarning, stacklevel=3)
        count = "frequency"
    columns = ["recency_days", count, "monetary"]
    require_columns(table, columns, name="table", arguments=None)
    require_number(bins, name="bins", low=2, integer=True)
    for column in columns:
        _numeric(table, column, name="table")
    stats = _check_values(
        table, columns, name="table", key=_KEY, non_negative=["recency_days", count]
    )
    n = int(stats["n"])
    if n == 0:
        msg = "table is empty; there is nobody to score."
        raise DataContractError(msg, column="recency_days")
    scored = table
    for column, name, ascending in (
        ("recency_days", "r_score", False),
        (count, "f_score", True),
        ("monetary", "m_score", True),
    ):
        scored = scored.join(
            _scores(table, column, name, n, int(bins), ascending=ascending), column
        )
    code = F.concat(*(F.col(c).cast("string") for c in ("r_score", "f_score", "m_score")))
    return scored.select(*table.columns, "r_score", "f_score", "m_score", code.alias("rfm"))


def rfm_segments(scores: SparkFrame, segments: Sequence[RFMSegment]) -> SparkFrame:
    """Spark path of :func:`one2one.differentiate.rfm_segments` (see there)."""
    require_columns(scores, ["r_score", "f_score"], name="scores", arguments=None)
    if not segments:
        msg = "no segments given; pass at least one RFMSegment."
        raise DataContractError(msg, column="segments")
    _check_values(scores, ["r_score", "f_score"], name="scores", key=_KEY)
    r, f = F.col("r_score"), F.col("f_score")
    named: Any = F
    for segment in segments:
        rule = r.between(*segment.recency) & f.between(*segment.frequency)
        named = named.when(rule, F.lit(segment.name))
    return scores.withColumn("segment", named.otherwise(F.lit("other")))


# ------------------------------------------------------------------------ tiers
def _kth_largest(frame: SparkFrame, column: str, k: int) -> float:
    """Return the ``k``-th largest value of ``column`` counting ties (``np.partition``'s cut)."""
    counts = frame.groupBy(column).agg(F.count(F.lit(1)).alias("_d"))
    above = Window.orderBy(F.col(column).desc()).rowsBetween(Window.unboundedPreceding, 0)
    ranked = counts.withColumn("_ge", F.sum("_d").over(above))
    value = ranked.filter(F.col("_ge") >= k).agg(F.max(column)).collect()[0][0]
    return float(value)


def _check_tier_values(
    values: SparkFrame, *, value: str, optional: Sequence[str], places: int
) -> None:
    """Refuse what the pandas path refuses in a values table, in one job (and one for twins)."""
    columns = [value, *optional]
    checks = []
    if value == "clv":  # the CLV table's contract: p_alive in [0, 1], expectations >= 0
        checks = [c for c in ("p_alive", "expected_purchases") if c in values.columns]
    actual = F.col(value).cast("double")
    cost = F.col("cost_to_serve").cast("double") if "cost_to_serve" in optional else F.lit(0.0)
    potential = F.col("potential_value").cast("double") if "potential_value" in optional else actual
    extra = [
        F.max(F.abs(actual - cost)).alias("net"),
        F.max(F.abs(potential - actual)).alias("gap"),
        *(F.min(c).alias(f"min_{c}") for c in checks),
        *(F.max(c).alias(f"max_{c}") for c in checks),
    ]
    non_negative = [c for c in ("cost_to_serve",) if c in optional]
    stats = _check_values(
        values,
        columns,
        name="values",
        key=_KEY,
        finite=columns,
        non_negative=non_negative,
        extra=extra,
    )
    if stats["n"] == 0:
        msg = "values is empty; there is nobody to tier."
        raise DataContractError(msg, column=value)
    for column in checks:
        low, high = stats[f"min_{column}"], stats[f"max_{column}"]
        ceiling = 1.0 if column == "p_alive" else math.inf
        if low is not None and (low < 0 or high > ceiling):
            bad = low if low < 0 else high
            msg = f"customer values column {column!r} is out of range (got {bad!r})."
            raise DataContractError(msg, column=column, value=bad)
    twice = values.groupBy(_KEY).count().filter(F.col("count") > 1).limit(1).collect()
    if twice:
        duplicate = twice[0][0]
        msg = f"values has customer {duplicate!r} twice; one row per customer."
        raise DataContractError(msg, column="customer_id", value=duplicate)
    to_units(np.array([stats["net"], stats["gap"]], dtype=np.float64), places, column=value)


def value_tiers(
    values: SparkFrame,
    *,
    value: str,
    most_valuable_share: float,
    most_growable_share: float,
    decimals: int,
) -> SparkFrame:
    """Spark path of :func:`one2one.differentiate.value_tiers` (see there)."""
    require_columns(values, [_KEY], name="values", arguments=None)
    require_columns(values, [value], name="values", arguments="value=")
    optional = [c for c in ("potential_value", "cost_to_serve") if c in values.columns]
    columns = [value, *optional]
    for column in columns:
        _numeric(values, column, name="values")
    require_number(most_valuable_share, name="most_valuable_share", low=0.0, high=1.0)
    require_number(most_growable_share, name="most_growable_share", low=0.0, high=1.0)
    places = money_decimals(None, decimals)
    _check_tier_values(values, value=value, optional=optional, places=places)

    def money(part: pd.DataFrame) -> pd.DataFrame:
        actual = part[value].astype(float)
        cost = part["cost_to_serve"].astype(float) if "cost_to_serve" in part else 0.0 * actual
        potential = part["potential_value"].astype(float) if "potential_value" in part else actual
        return _plain(
            pd.DataFrame(
                {
                    _KEY: part[_KEY],
                    "net_value": round_money(actual - cost, places, column=value),
                    "growth_gap": round_money(
                        (potential - actual).clip(lower=0.0), places, column="potential_value"
                    ),
                }
            )
        )

    key_type = values.schema[_KEY].dataType.simpleString()
    netted = map_pandas(
        values.select(_KEY, *columns),
        money,
        f"{_KEY} {key_type}, net_value double, growth_gap double",
    ).localCheckpoint(eager=True)
    net, gap = F.col("net_value"), F.col("growth_gap")
    positive = int(netted.filter(net >= 0).count())
    top = min(positive, _count(most_valuable_share, positive))
    cut = _kth_largest(netted.filter(net >= 0), "net_value", top) if top > 0 else None
    tier = F.when(net < 0, F.lit("below zero"))
    migrating = net >= 0
    if cut is not None:
        tier = tier.when(net >= cut, F.lit("most valuable"))
        migrating = migrating & (net < cut)
    counts = netted.agg(
        _count_when(migrating).alias("migrators"),
        _count_when(migrating & (gap > 0)).alias("rest"),
    ).collect()[0]
    grow = min(int(counts["rest"]), _count(most_growable_share, int(counts["migrators"])))
    if grow > 0:
        rest = netted.filter(migrating & (gap > 0))
        tier = tier.when(gap >= _kth_largest(rest, "growth_gap", grow), F.lit("most growable"))
    return netted.select(_KEY, net, gap, tier.otherwise(F.lit("migrators")).alias("tier"))


def tier_report(tiers: SparkFrame) -> pd.DataFrame:
    """Spark path of :func:`one2one.differentiate.tier_report`: sums in Spark, a pandas report."""
    require_columns(tiers, ["tier", "net_value", "growth_gap"], name="tiers", arguments=None)
    rows = (
        tiers.filter(F.col("tier").isin(*TIERS))
        .groupBy("tier")
        .agg(
            F.count(F.lit(1)).alias("customers"),
            F.sum("net_value").alias("net_value"),
            F.sum("growth_gap").alias("growth_gap"),
        )
        .collect()
    )
    found = pd.DataFrame(
        [r.asDict() for r in rows], columns=["tier", "customers", "net_value", "growth_gap"]
    ).set_index("tier")
    return _report(
        found["customers"].astype(np.int64),
        found["net_value"].astype(np.float64),
        found["growth_gap"].astype(np.float64),
    )


def _held_above(counts: SparkFrame) -> SparkFrame:
    """Add, to each distinct value ``_v`` with ``_d`` rows, the rows and value above it.

    A running sum over all distinct values in one window would put them in
    one task; instead they are sorted across partitions (largest first,
    partition 0 the largest range), each partition's rows and value (one
    row per partition) are collected, and their running totals, added to a
    running sum within each partition, give every value's ``_above`` (rows
    of larger values) and ``_held`` (their value). The sorted values are
    checkpointed on the executors, so both jobs see the same partitions.
    """
    part = F.col("_part")
    spread = (
        counts.orderBy(F.col("_v").desc())
        .withColumn("_part", F.spark_partition_id())
        .localCheckpoint(eager=True)
    )
    amount = F.col("_v") * F.col("_d")
    totals = sorted(
        spread.groupBy(part).agg(F.sum("_d").alias("d"), F.sum(amount).alias("s")).collect(),
        key=lambda row: int(row["_part"]),
    )
    offsets, rows_before, value_before = [], 0, 0.0
    for row in totals:
        offsets.append((int(row["_part"]), rows_before, value_before))
        rows_before += int(row["d"])
        value_before += float(row["s"])
    starts = spread.sparkSession.createDataFrame(offsets, "_part int, _rows long, _value double")
    within = (
        Window.partitionBy(part)
        .orderBy(F.col("_v").desc())
        .rowsBetween(Window.unboundedPreceding, -1)
    )
    return spread.join(F.broadcast(starts), "_part").select(
        "_v",
        "_d",
        (F.col("_rows") + F.coalesce(F.sum("_d").over(within), F.lit(0))).alias("_above"),
        (F.col("_value") + F.coalesce(F.sum(amount).over(within), F.lit(0.0))).alias("_held"),
    )


def lorenz_curve(value: SparkFrame, *, points: int) -> pd.DataFrame:
    """Spark path of :func:`one2one.differentiate.lorenz_curve`: ``points`` points, as pandas.

    The values are counted per distinct value (``value -> customers``), and
    running sums over the distinct values, largest first (see
    :func:`_held_above`), give the customers and the value above each; the
    top ``k`` customers then hold the value
    above the distinct value where ``k`` falls, plus ``k`` minus the
    customers above it times that value. Only the requested ``k`` (at most
    ``points``) are joined (a broadcast of those few) and collected.
    """
    if len(value.columns) != 1:
        msg = (
            f"a Spark value for lorenz_curve must have one column (got {list(value.columns)}); "
            "select the value first, e.g. frame.select('net_value')."
        )
        raise DataContractError(msg, column="value", value=list(value.columns))
    column = value.columns[0]
    _numeric(value, column, name="value")
    kind = value.schema[column].dataType
    amount = F.col(column).cast("double")
    stats = value.agg(
        F.count(F.lit(1)).alias("n"),
        _count_when(_missing(column, kind)).alias("missing"),
        F.max(F.when(_infinite(column, kind), amount)).alias("infinite"),
        F.sum(amount).alias("total"),
    ).collect()[0]
    n = int(stats["n"])
    if n == 0 or stats["missing"]:
        msg = "value must be a non-empty series without missing values."
        raise DataContractError(msg, column="value")
    if stats["infinite"] is not None:
        first = float(stats["infinite"])
        msg = f"value must be finite (got {first!r}); a share of an infinite total is undefined."
        raise DataContractError(msg, column="value", value=first)
    total = float(stats["total"])
    if total <= 0:
        msg = f"the values sum to {total}; a share of value needs a positive total."
        raise DataContractError(msg, column="value", value=total)
    counts = value.groupBy(amount.alias("_v")).agg(F.count(F.lit(1)).alias("_d"))
    ranked = _held_above(counts)
    wanted = [int(k) for k in curve_positions(n, points) if k > 0]
    ks = value.sparkSession.createDataFrame([(k,) for k in wanted], "_k long")
    k = F.col("_k")
    inside = (k > F.col("_above")) & (k <= F.col("_above") + F.col("_d"))
    held = F.col("_held") + (k - F.col("_above")).cast("double") * F.col("_v")
    rows = ranked.join(F.broadcast(ks), inside).select(k, held.alias("held")).collect()
    top = {int(row["_k"]): float(row["held"]) for row in rows}
    shares = np.array([0.0] + [top[k] for k in wanted]) / total
    positions = np.array([0, *wanted], dtype=np.int64)
    return pd.DataFrame({"customer_share": positions / n, "value_share": shares})


# ------------------------------------------------------------------- fitted models
def score_frame(
    frame: SparkFrame,
    *,
    features: Sequence[str] | None,
    model: str,
    outputs: Sequence[tuple[str, str]],
    score: Callable[[pd.DataFrame], dict[str, Any]],
) -> SparkFrame:
    """Score a Spark frame with a fitted model's pandas method, on the executors.

    ``features`` are the columns the model was fitted on (by name); every
    other column is a key, kept beside the ``outputs`` (name, Spark type).
    ``score`` maps a pandas frame of the features to the output columns; it
    is pickled with the fitted model it closes over.
    """
    if features is None:
        msg = (
            f"this {model} was fitted on an array without column names; a Spark frame is "
            "scored by column name: fit it on a pandas DataFrame."
        )
        raise DataContractError(msg, column="X")
    names = [str(f) for f in features]
    require_columns(frame, names, name="X", arguments=None)
    for column in names:
        if not isinstance(frame.schema[column].dataType, T.NumericType | T.BooleanType):
            kind = frame.schema[column].dataType.simpleString()
            msg = f"feature {column!r} is not numeric (Spark type {kind}); encode it first."
            raise DataContractError(msg, column=column, value=kind)
    keys = [c for c in frame.columns if c not in names]
    for name, _ in outputs:
        if name in keys:
            msg = f"X already has a column {name!r}, where the {model}'s output goes; rename it."
            raise DataContractError(msg, column=name)
    key = keys[0] if keys else None
    _check_values(frame, names, name="X", key=key, finite=names)

    def run(part: pd.DataFrame) -> pd.DataFrame:
        out = part[keys].reset_index(drop=True)
        for name, column in score(part[names].reset_index(drop=True)).items():
            out[name] = column
        return _plain(out)

    ddl = ", ".join(
        [f"`{k}` {frame.schema[k].dataType.simpleString()}" for k in keys]
        + [f"`{n}` {t}" for n, t in outputs]
    )
    return map_pandas(frame, run, ddl)
