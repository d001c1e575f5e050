"""The matcher on Spark: the pandas pipeline's steps, run over Spark DataFrames of records.

Every step calls the pandas path's own code on batches of rows, so keys,
levels and scores are the same by construction; only what is tiny comes to
the driver (block sizes per rule, one row per distinct level pattern, the
term frequencies the fitted model keeps, the random pairs' positions).
One file is deduplicated (pairs ``i < j``) or two are linked (``i`` in the
first, ``j`` in the second, each file numbered on its own):

1. standardise: :meth:`RecordSchema._normalise_columns` on each Arrow batch;
   the whole-frame checks (ids present and unique, no empty column) are
   Spark aggregates. Records are numbered in record id order (``_pos``),
   which is what the pandas path's positions are for records sorted by id.
2. block: each rule's keys by :meth:`BlockingRule.keys` per batch; block
   sizes counted in Spark and fed to :func:`plan_with_counts`, the pandas
   planner's own decisions, refinements included (a decision's candidate
   keys counted in one job); pairs by a join per key, sorted
   neighbourhoods by ranks in key order, each pair owned by the first rule
   that finds it (the plan's ``new_pairs``).
3. compare: both records' fields on each pair row, compared per batch by the
   comparisons' ``compare_codes`` (and the crosswise names, the match rules).
4. fit: level patterns counted in Spark, EM on the driver
   (:meth:`FellegiSunter._fit_counted`); the random pairs for ``u`` drawn on
   the driver with the same generator, compared on the executors.
5. score: :meth:`RecordMatcher._weigh` per batch, the model broadcast.
6. cluster: connected components of the pairs over the threshold by label
   propagation (checkpointed), then the pandas clustering (its
   group-to-group rule, or the one-to-one choice when linking) per
   component with ``applyInPandas``: components are independent, and
   within one the edges keep their pandas order.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import attrs
import numpy as np
import pandas as pd

from .._spark import (
    SparkFrame,
    carry_errors,
    executor_errors,
    is_spark_frame,
    pyspark_functions,
    require_columns,
)
from .._validation import as_generator
from ..errors import DataContractError
from ._blocking import (
    Blocker,
    BlockingPlan,
    BlockingRule,
    KeyCount,
    Plan,
    SortedNeighbourhood,
    default_pair_budget,
    plan_with_counts,
)
from ._cluster import _join, link_one_to_one, warn_giant_size
from ._compare import EncodedField

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ._matcher import RecordMatcher

__all__ = ["SparkPrepared", "customers", "fit", "prepare", "score"]

_FEATURE = "RecordMatcher on a Spark DataFrame"
_CHECKPOINT_EVERY = 4  # label propagation rounds between cuts of the lineage
_MAX_ROUNDS = 1000


def _functions() -> Any:
    return pyspark_functions(_FEATURE)


# -- errors raised on the executors -------------------------------------------------
def _on_executors(
    function: Callable[[pd.DataFrame], pd.DataFrame],
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Run ``function`` per batch; a DataContractError travels back (``carry_errors``)."""
    carried = carry_errors(function)

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            yield carried(batch)

    return run


_driver_errors = executor_errors


def _map(frame: SparkFrame, function: Callable[[pd.DataFrame], pd.DataFrame], ddl: str) -> Any:
    return frame.mapInPandas(_on_executors(function), ddl)


def _keep(frame: SparkFrame) -> Any:
    """Evaluate ``frame`` once and cut its lineage (later steps read it many times)."""
    with _driver_errors():
        return frame.localCheckpoint(eager=True)


# -- 1. standardise ---------------------------------------------------------------
_INTEGRAL = ("tinyint", "smallint", "int", "bigint")


def _standardise(matcher: RecordMatcher, records: SparkFrame) -> tuple[Any, list[str], str, int]:
    """Check and normalise the records: ``_pos``, ``_id`` and one string column per field.

    Returns the frame, the standard fields, the id's Spark type and the number of records.
    """
    F = _functions()
    schema = matcher.schema
    fields = schema.fields()
    rid = schema.record_id
    n = _check_records(records, schema)
    types = dict(records.dtypes)
    id_type = "bigint" if types[rid] in _INTEGRAL else "string"
    integral = [c for c in fields.values() if types[c] in _INTEGRAL]
    names = list(fields)
    columns = list(dict.fromkeys([rid, *fields.values()]))

    def normalise(batch: pd.DataFrame) -> pd.DataFrame:
        for column in integral:  # Arrow gives floats for integers with nulls
            batch[column] = batch[column].astype("Int64")
        with warnings.catch_warnings():  # unreadable dates: no driver to tell on the executors
            warnings.simplefilter("ignore")
            result, _ = schema._normalise_columns(batch, check=True)  # noqa: SLF001
        out = {"_id": batch[rid].to_numpy()}
        for name in names:
            out[name] = result[name].astype(object).where(result[name].notna(), None).to_numpy()
        return pd.DataFrame(out)

    ddl = ", ".join([f"_id {id_type}", *(f"`{n}` string" for n in names)])
    source = records.select(*(F.col(c).cast(id_type) if c == rid else F.col(c) for c in columns))
    standard = _map(source, normalise, ddl)
    return _numbered(standard, ["_id"]), names, id_type, n


def _check_records(records: SparkFrame, schema: Any) -> int:
    """Make :meth:`RecordSchema.validate`'s whole-frame checks in one Spark job; return the rows."""
    F = _functions()
    fields = schema.fields()
    if not fields:
        msg = "the schema declares no identity field; name at least one column to compare."
        raise DataContractError(msg, column=schema.record_id)
    require_columns(records, [schema.record_id, *fields.values()], name="records")
    rid = schema.record_id
    aggregates = [
        F.count(F.lit(1)).alias("rows"),
        F.count(F.when(F.col(rid).isNull(), 1)).alias("missing"),
        F.countDistinct(F.col(rid)).alias("distinct"),
        *(
            F.count(F.when(F.trim(F.col(c).cast("string")) != "", 1)).alias(f"present_{k}")
            for k, c in enumerate(fields.values())
        ),
    ]
    with _driver_errors():
        stats = records.agg(*aggregates).first()
    if stats is None or stats["rows"] == 0:
        msg = "records is empty; there is nobody to identify."
        raise DataContractError(msg, column=rid)
    if stats["missing"]:
        msg = (
            f"records column {rid!r} has {int(stats['missing'])} missing value(s); "
            "fill or drop them before calling."
        )
        raise DataContractError(msg, column=rid, value=None)
    for k, (name, column) in enumerate(fields.items()):
        if not stats[f"present_{k}"]:
            msg = (
                f"records column {column!r} (field {name!r}) is empty in every record; "
                "drop it from the schema."
            )
            raise DataContractError(msg, column=column)
    repeated = []
    if stats["distinct"] < stats["rows"]:
        repeated = records.groupBy(rid).count().where(F.col("count") > 1).limit(1).collect()
    if repeated:
        key = repeated[0][rid]
        msg = f"records must have one row per {rid!r} (got a repeated record id, {key!r})."
        raise DataContractError(msg, column=rid, value=key)
    return int(stats["rows"])


def _numbered(frame: SparkFrame, order: Sequence[str]) -> Any:
    """Sort ``frame`` by ``order``, numbering its rows ``_pos`` = 0, 1, ... (in parallel)."""
    F = _functions()
    ordered = _keep(
        frame.orderBy(*order)
        .withColumn("_part", F.spark_partition_id())
        .withColumn("_mono", F.monotonically_increasing_id())
    )
    parts = sorted(
        (r["_part"], r["n"], r["first"])
        for r in ordered.groupBy("_part")
        .agg(F.count(F.lit(1)).alias("n"), F.min("_mono").alias("first"))
        .collect()
    )
    offsets, start = [], 0
    for part, n, first in parts:
        offsets.append((int(part), start - int(first)))
        start += int(n)
    session = frame.sparkSession
    shift = session.createDataFrame(offsets, "_part int, _shift bigint")
    numbered = ordered.join(F.broadcast(shift), "_part").select(
        (F.col("_mono") + F.col("_shift")).alias("_pos"),
        *(c for c in frame.columns),
    )
    return _keep(numbered)


# -- 2. block ---------------------------------------------------------------------
def _block_pairs(count: Any, other: Any | None) -> Any:
    """Pairs a block makes: within one file ``n (n - 1) / 2``, across two ``n m``."""
    if other is None:
        return (count * (count - 1) / 2).cast("long")
    return (count * other).cast("long")


def _per_key(long: SparkFrame, by: str, *, link: bool) -> Any:
    """Pairs and largest block's pairs per ``by`` from ``(by, key, _side)`` rows (one shuffle)."""
    F = _functions()
    if link:
        sizes = long.groupBy(by, "key").agg(
            F.count(F.when(F.col("_side") == 0, 1)).alias("a"),
            F.count(F.when(F.col("_side") == 1, 1)).alias("b"),
        )
        pairs = _block_pairs(F.col("a"), F.col("b"))
    else:
        sizes = long.groupBy(by, "key").agg(F.count(F.lit(1)).alias("a"))
        pairs = _block_pairs(F.col("a"), None)
    return sizes.groupBy(by).agg(F.sum(pairs).alias("p"), F.max(pairs).alias("m"))


class _CountedKeys:
    """What :func:`plan_with_counts` asks of the records, answered by Spark jobs.

    The given rules' counts come from their keys (already computed); a
    refinement's candidates are counted in one job per decision (every
    candidate key of the rule, with and without each anchor), and a count
    once made is kept: a second pass over the same rule costs nothing.
    """

    def __init__(
        self,
        sides: Sequence[SparkFrame],
        fields: Sequence[str],
        counts: dict[str, tuple[int, int]],
        sorted_n: dict[str, int],
    ) -> None:
        self.sides = list(sides)
        self.fields = list(fields)
        self.counts = counts
        self.sorted_n = sorted_n
        self.made: dict[KeyCount, tuple[int, int]] = {}
        self.scores: dict[tuple[BlockingRule, BlockingRule], tuple[int, float]] = {}
        self._held: list[str] | None = None

    def plan(self, rule: Blocker) -> Plan:
        if isinstance(rule, SortedNeighbourhood):
            n = self.sorted_n[_sorted_id(rule)]
            w = min(rule.window, n)
            pairs = max(n * (w - 1) - (w - 1) * w // 2, 0)
            return Plan(pairs, w * (w - 1) // 2, _unbuilt)
        if not isinstance(rule, BlockingRule):  # pragma: no cover - checked before planning
            msg = f"blocking rule {rule!r} cannot run on Spark."
            raise DataContractError(msg, column="blocking", value=repr(rule))
        pairs, largest = self._count(KeyCount(rule))
        return Plan(pairs, largest, _unbuilt)

    def held_fields(self) -> list[str]:
        if self._held is None:
            F = _functions()
            held = [0] * len(self.fields)
            for side in self.sides:
                row = side.agg(
                    *(F.count(F.col(f"`{f}`")).alias(f"_n{k}") for k, f in enumerate(self.fields))
                ).first()
                held = [h + (int(row[f"_n{k}"]) if row else 0) for k, h in enumerate(held)]
            self._held = [name for name, count in zip(self.fields, held, strict=True) if count]
        return self._held

    def _known(self, key: KeyCount) -> tuple[int, int] | None:
        """Return the count of ``key`` if made already (a given rule's key, or counted since)."""
        if key.anchor is None and key.holding is None and key.rule.name in self.counts:
            return self.counts[key.rule.name]
        return self.made.get(key)

    def _count(self, key: KeyCount) -> tuple[int, int]:
        self.prefetch([key])  # counted now unless known
        return self._known(key) or self.made[key]

    def prefetch(self, keys: Sequence[KeyCount]) -> None:
        wanted = list(dict.fromkeys(k for k in keys if self._known(k) is None))
        if wanted:
            self.made.update(_count_keys(self.sides, self.fields, wanted))

    def key_pairs(self, key: KeyCount) -> int:
        return self._count(key)[0]


def _count_keys(
    sides: Sequence[SparkFrame], fields: Sequence[str], wanted: Sequence[KeyCount]
) -> dict[KeyCount, tuple[int, int]]:
    """Pairs and largest block's pairs of each key, all in one Spark job.

    Keys are made per batch by the rules' own :meth:`BlockingRule.keys` (an
    anchor's value appended to the key, records without the held field
    left out); only one row per key (and per wanted count) comes back.
    """
    F = _functions()
    rules = list(dict.fromkeys(k.rule for k in wanted))
    names = list(fields)

    def keys(batch: pd.DataFrame) -> pd.DataFrame:
        records = batch[names].astype("string")
        made = {rule: rule.keys(records) for rule in rules}
        numbers, found = [], []
        for number, key in enumerate(wanted):
            values = made[key.rule]
            if key.anchor is not None:
                values = values + "\x1f" + records[key.anchor]
            if key.holding is not None:
                values = values.where(records[key.holding].notna())
            values = values.dropna()
            numbers.append(np.full(len(values), number, dtype=np.int32))
            found.append(values.to_numpy(dtype=object))
        return pd.DataFrame(  # plain objects: pyspark cannot write Arrow-backed text out
            {
                "k": np.concatenate(numbers),
                "key": pd.Series(np.concatenate(found), dtype=object),
            }
        )

    long = _union(
        [
            _map(side, keys, "k int, key string").withColumn("_side", F.lit(number))
            for number, side in enumerate(sides)
        ]
    )
    rows = _per_key(long, "k", link=len(sides) > 1)
    with _driver_errors():
        found = {int(r["k"]): (int(r["p"]), int(r["m"])) for r in rows.collect()}
    return {key: found.get(number, (0, 0)) for number, key in enumerate(wanted)}


def _union(frames: Sequence[SparkFrame]) -> Any:
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union


def _unbuilt() -> tuple[Any, Any]:
    msg = "on Spark the pairs are built by joins, not by the plan."
    raise DataContractError(msg)


def _sorted_id(rule: SortedNeighbourhood) -> str:
    return "+".join(rule.fields)


def _check_rule(rule: object, fields: Sequence[str]) -> None:
    if isinstance(rule, BlockingRule):
        rule._check(pd.DataFrame(columns=list(fields), dtype="string"))  # noqa: SLF001
    elif isinstance(rule, SortedNeighbourhood):
        if rule.window < 2:  # noqa: PLR2004 - a window of one pairs nothing
            msg = f"{rule.name}: window must be >= 2 (got {rule.window})."
            raise DataContractError(msg, column=rule.fields[0], value=rule.window)
        for name in rule.fields:
            if name not in fields:
                msg = f"records has no column {name!r} (it has: {', '.join(map(repr, fields))})."
                raise DataContractError(msg, column=name)
    else:
        msg = f"blocking rule {rule!r} cannot run on Spark: a BlockingRule or SortedNeighbourhood."
        raise DataContractError(msg, column="blocking", value=repr(rule))


@attrs.define
class _Keyed:
    """Each record's key under every rule (``_k*`` exact, ``_s*`` sort keys), kept in Spark.

    One per file: linking keys both files by the same rules, so the
    columns are named alike.
    """

    frame: Any
    key_of: dict[str, str]  # an exact rule's name -> its column
    sort_of: dict[str, str]  # a sorted neighbourhood's fields -> its column


def _keys(standard: SparkFrame, fields: Sequence[str], rules: Sequence[object]) -> _Keyed:
    """Compute the keys of every rule with the rules' own code, batch by batch."""
    exact: dict[str, BlockingRule] = {}
    ordered: dict[str, SortedNeighbourhood] = {}
    for rule in rules:
        _check_rule(rule, fields)
        if isinstance(rule, BlockingRule):
            exact.setdefault(rule.name, rule)
        elif isinstance(rule, SortedNeighbourhood):
            ordered.setdefault(_sorted_id(rule), rule)
    key_of = {name: f"_k{k}" for k, name in enumerate(exact)}
    sort_of = {name: f"_s{k}" for k, name in enumerate(ordered)}
    makers: list[tuple[str, Callable[[pd.DataFrame], pd.Series]]] = [
        *((key_of[name], rule.keys) for name, rule in exact.items()),
        *((sort_of[name], rule.sort_keys) for name, rule in ordered.items()),
    ]

    def keys(batch: pd.DataFrame) -> pd.DataFrame:
        records = batch[list(fields)].astype("string")
        out: dict[str, Any] = {"_pos": batch["_pos"].to_numpy()}
        for column, make in makers:
            values = make(records)
            out[column] = values.astype(object).where(values.notna(), None).to_numpy()
        return pd.DataFrame(out)

    ddl = ", ".join(["_pos bigint", *(f"{column} string" for column, _ in makers)])
    return _Keyed(_keep(_map(standard, keys, ddl)), key_of, sort_of)


def _counts(keyed: Sequence[_Keyed]) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """Pairs and largest block's pairs per exact rule; keys present per sort key."""
    F = _functions()
    key_of, sort_of = keyed[0].key_of, keyed[0].sort_of
    counts: dict[str, tuple[int, int]] = dict.fromkeys(key_of, (0, 0))
    if key_of:
        names = list(key_of)
        long = _union(
            [
                side.frame.select(
                    F.posexplode(F.array(*(F.col(key_of[n]) for n in names))).alias("rule", "key")
                )
                .where(F.col("key").isNotNull())
                .withColumn("_side", F.lit(number))
                for number, side in enumerate(keyed)
            ]
        )
        for row in _per_key(long, "rule", link=len(keyed) > 1).collect():
            counts[names[int(row["rule"])]] = (int(row["p"]), int(row["m"]))
    sorted_n: dict[str, int] = dict.fromkeys(sort_of, 0)
    for side in keyed if sort_of else []:
        first = side.frame.agg(*(F.count(F.col(c)).alias(c) for c in sort_of.values())).first()
        for name, column in sort_of.items():
            sorted_n[name] += int(first[column]) if first else 0
    return counts, sorted_n


def _block(
    matcher: RecordMatcher, sides: Sequence[SparkFrame], fields: Sequence[str], sizes: Sequence[int]
) -> tuple[Any, BlockingPlan]:
    """Plan the blocking from counts made in Spark, then build the distinct pairs ``(i, j)``.

    ``sides`` holds one standardised file (deduplication: ``i < j``) or two
    (linking: ``i`` in the first, ``j`` in the second).
    """
    from ._matcher import default_blocking  # noqa: PLC0415 - the matcher imports this module

    # the pairs live in Spark, not in this process: the budget's memory cap is the pandas
    # path's, not Spark's (50 pairs a record; the same budget whenever pandas could run)
    no_cap = 2**62
    budget = (
        default_pair_budget(sum(sizes), memory=no_cap)
        if matcher.max_pairs is None
        else int(matcher.max_pairs)
    )
    rules = list(default_blocking(fields) if matcher.blocking is None else matcher.blocking)
    fixed = [BlockingRule(rule.fields) for rule in matcher.match_rules]
    keyed = [_keys(side, fields, [*rules, *fixed]) for side in sides]
    counts, sorted_n = _counts(keyed)
    plan = plan_with_counts(
        _CountedKeys(sides, fields, counts, sorted_n),
        rules,
        budget=budget,
        fixed=fixed,
        n_records=sum(sizes),
        n_right=sizes[-1],
    )
    refined = [
        step.planned
        for step in plan.steps
        if isinstance(step.planned, BlockingRule)
        and step.plan is not None
        and step.planned.name not in keyed[0].key_of
    ]
    keyeds = [keyed]
    if refined:
        keyeds.append([_keys(side, fields, refined) for side in sides])
    return _build(keyeds, plan), plan


def _build(keyeds: Sequence[Sequence[_Keyed]], plan: BlockingPlan) -> Any:
    """Build the union of the planned rules' pairs, each once.

    Each pair is owned by the first rule that finds it, so the plan's
    ``new_pairs`` are the pandas path's (counted here, one row per rule).
    ``keyeds`` holds, per set of rules keyed, the keys of each file.
    """
    F = _functions()
    keyed = keyeds[0]
    parts = []
    built = [s for s in plan.steps if s.plan is not None and s.planned is not None]
    for owner, step in enumerate(built):
        rule = step.planned
        if isinstance(rule, BlockingRule):
            holder = next(k for k in keyeds if rule.name in k[0].key_of)
            column = holder[0].key_of[rule.name]
            a, b = (
                side.frame.select("_pos", column).where(F.col(column).isNotNull())
                for side in (holder[0], holder[-1])
            )
            a, b = a.alias("a"), b.alias("b")
            joined = a.join(b, F.col(f"a.{column}") == F.col(f"b.{column}"))
            if len(keyed) == 1:
                joined = joined.where(F.col("a._pos") < F.col("b._pos"))
            part = joined.select(F.col("a._pos").alias("i"), F.col("b._pos").alias("j"))
        elif isinstance(rule, SortedNeighbourhood):
            column = keyed[0].sort_of[_sorted_id(rule)]
            part = _sorted_pairs([side.frame for side in keyed], column, rule.window)
        else:  # pragma: no cover - checked before planning
            continue
        parts.append(part.withColumn("_owner", F.lit(owner)))
    if not parts:
        plan.count_new([])
        return keyed[0].frame.sparkSession.createDataFrame([], "i bigint, j bigint")
    owned = _keep(_union(parts).groupBy("i", "j").agg(F.min("_owner").alias("_owner")))
    new = dict.fromkeys(range(len(built)), 0)
    for row in owned.groupBy("_owner").count().collect():
        new[int(row["_owner"])] = int(row["count"])
    plan.count_new([new[k] for k in range(len(built))])
    return owned.select("i", "j")


def _sorted_pairs(sides: Sequence[SparkFrame], column: str, window: int) -> Any:
    """Each record with the next ``window - 1`` in key order, as pandas sorts.

    Ties go by file, then position (pandas sorts the first file's keys
    before the second's, stably); when linking only pairs across the files
    count, the first file's record first.
    """
    F = _functions()
    present = _union(
        [
            side.select(
                F.col("_pos").alias("_p"), F.col(column).alias("_key"), F.lit(number).alias("_f")
            ).where(F.col("_key").isNotNull())
            for number, side in enumerate(sides)
        ]
    )
    ranked = _numbered(present, ["_key", "_f", "_p"]).select(
        F.col("_pos").alias("rank"), "_p", "_f"
    )
    ahead = ranked.select(
        F.explode(F.sequence(F.lit(1), F.lit(window - 1))).alias("step"), "rank", "_p", "_f"
    ).select(
        (F.col("rank") + F.col("step")).alias("rank"),
        F.col("_p").alias("_q"),
        F.col("_f").alias("_g"),
    )
    joined = ahead.join(ranked, "rank")
    if len(sides) == 1:
        return joined.select(F.least("_p", "_q").alias("i"), F.greatest("_p", "_q").alias("j"))
    across = joined.where(F.col("_f") != F.col("_g"))
    first = F.col("_f") == 0
    return across.select(
        F.when(first, F.col("_p")).otherwise(F.col("_q")).alias("i"),
        F.when(first, F.col("_q")).otherwise(F.col("_p")).alias("j"),
    )


# -- 3. compare -------------------------------------------------------------------
def _comparer(
    matcher: RecordMatcher, standard_fields: Sequence[str], *, full: bool
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Make the batch function from pair rows (both records' fields) to levels, as pandas."""
    from ._matcher import _unswap_names  # noqa: PLC0415

    comparisons = list(matcher.comparisons_)
    rules = list(matcher.match_rules)
    swap = matcher.swapped_names
    tf_fields = [f for f in _tf_candidates(matcher) if f in standard_fields]

    def compare(batch: pd.DataFrame) -> pd.DataFrame:
        n = len(batch)
        encoded = {}
        for name in standard_fields:
            values = pd.concat([batch[f"l_{name}"], batch[f"r_{name}"]], ignore_index=True).astype(
                "string"
            )
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            codes = np.asarray(codes, dtype=np.int64)
            encoded[name] = EncodedField(codes[:n], codes[n:], np.asarray(uniques, dtype=object))
        levels = pd.DataFrame(
            {
                c.field: c.compare_codes(
                    encoded[c.field].left, encoded[c.field].right, encoded[c.field].uniques
                )
                for c in comparisons
            }
        )
        out: dict[str, Any] = {"i": batch["i"].to_numpy(), "j": batch["j"].to_numpy()}
        if full:
            at = np.arange(n)
            swapped = np.zeros(n, dtype=bool)
            if swap:
                swapped = _unswap_names(levels, encoded, at, at, comparisons)
            matched_by = np.full(n, "model", dtype=object)
            for rule in reversed(rules):
                hit = np.ones(n, dtype=bool)
                for name in rule.fields:
                    a, b = encoded[name].left, encoded[name].right
                    hit &= (a == b) & (a >= 0)
                matched_by[hit] = rule.name
            out["left"] = batch["l_id"].to_numpy()
            out["right"] = batch["r_id"].to_numpy()
            out["swapped"] = swapped
            out["matched_by"] = matched_by
            for name in tf_fields:
                out[f"tf_{name}"] = batch[f"l_{name}"].to_numpy()
        for c in comparisons:
            out[f"lv_{c.field}"] = levels[c.field].to_numpy(dtype=np.int64)
        return pd.DataFrame(out)

    return compare


def _tf_candidates(matcher: RecordMatcher) -> list[str]:
    from ._matcher import _TF_FIELDS  # noqa: PLC0415

    wanted = _TF_FIELDS if matcher.term_frequency is None else tuple(matcher.term_frequency)
    compared = {c.field for c in matcher.comparisons_}
    return [f for f in wanted if f in compared]


def _compare(
    matcher: RecordMatcher,
    prepared: SparkPrepared,
    pairs: SparkFrame,
    *,
    full: bool,
) -> Any:
    """Levels of each pair (and, with ``full``, crosswise names, rules, the left values for tf)."""
    F = _functions()
    fields = prepared.fields
    left = prepared.sides[0].select(
        F.col("_pos").alias("i"),
        F.col("_id").alias("l_id"),
        *(F.col(f"`{f}`").alias(f"l_{f}") for f in fields),
    )
    right = prepared.sides[-1].select(
        F.col("_pos").alias("j"),
        F.col("_id").alias("r_id"),
        *(F.col(f"`{f}`").alias(f"r_{f}") for f in fields),
    )
    rows = pairs.join(left, "i").join(right, "j")
    compare = _comparer(matcher, fields, full=full)
    tf_fields = [f for f in _tf_candidates(matcher) if f in fields]
    columns = ["i bigint", "j bigint"]
    if full:
        columns += [
            f"left {prepared.id_types[0]}",
            f"right {prepared.id_types[-1]}",
            "swapped boolean",
            "matched_by string",
            *(f"tf_{f} string" for f in tf_fields),
        ]
    columns += [f"lv_{c.field} bigint" for c in matcher.comparisons_]
    return _map(rows, compare, ", ".join(columns))


# -- 4. fit -----------------------------------------------------------------------
@attrs.define
class SparkPrepared:
    """Standardised records and their compared candidate pairs, kept in Spark.

    ``sides`` holds one file (deduplication) or two (linking), each with its
    record count and id type; ``levels`` is filled in once pairs are compared.
    """

    sides: list[Any]
    fields: list[str]
    sizes: list[int]
    id_types: list[str]
    levels: Any = None

    @property
    def linking(self) -> bool:
        """Whether two files are linked (pairs across them) rather than one deduplicated."""
        return len(self.sides) > 1

    @property
    def pairs_total(self) -> int:
        """Every pair the records make: ``n (n - 1) / 2`` or, linking, ``n m``."""
        n = self.sizes[0]
        return n * self.sizes[-1] if self.linking else n * (n - 1) // 2


def prepare(
    matcher: RecordMatcher,
    records: SparkFrame,
    other: SparkFrame | pd.DataFrame | None = None,
    *,
    fitting: bool,
) -> SparkPrepared:
    """Standardise, block and compare on Spark, setting what a fit sets when ``fitting``.

    With ``other`` the two files are linked: each is standardised and
    numbered on its own, and the pairs join one file's keys to the other's.
    A pandas ``other`` (a small reference file) is sent to the records' session.
    """
    from ._compare import default_comparisons  # noqa: PLC0415

    standard, fields, id_type, n = _standardise(matcher, records)
    sides, sizes, id_types = [standard], [n], [id_type]
    if other is not None:
        if not is_spark_frame(other):  # a small reference file: sent to the session
            small = cast("pd.DataFrame", other)
            other = records.sparkSession.createDataFrame(
                small.astype(object).where(small.notna(), None)
            )
        right, _, right_type, m = _standardise(matcher, other)
        if right_type != id_type:  # one id column for both files' records
            standard = standard.withColumn("_id", standard["_id"].cast("string"))
            right = right.withColumn("_id", right["_id"].cast("string"))
            id_types = ["string"]
        sides, sizes, id_types = [standard, right], [n, m], [*id_types, id_types[0]]
    matcher._check_match_rules(fields)  # noqa: SLF001
    if fitting:
        matcher.fields_ = fields
        matcher.comparisons_ = list(
            default_comparisons(fields) if matcher.comparisons is None else matcher.comparisons
        )
    else:
        matcher._check_same_fields(fields)  # noqa: SLF001
    pairs, plan = _block(matcher, sides, fields, sizes)
    plan.warn(stacklevel=5)
    if fitting:
        matcher.blocking_ = plan.rules
        matcher.blocking_plan_ = plan.report()
    standard_fields = sorted({*fields, *(f for r in matcher.match_rules for f in r.fields)})
    prepared = SparkPrepared(sides, standard_fields, sizes, id_types)
    prepared.levels = _keep(_compare(matcher, prepared, pairs, full=True))
    return prepared


def _pattern_counts(
    matcher: RecordMatcher, levels: SparkFrame, flag: Any = None
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Distinct level patterns and their counts (one row each: tiny), split by ``flag``."""
    F = _functions()
    columns = [f"lv_{c.field}" for c in matcher.comparisons_]
    if flag is None:
        flag = F.lit(False).alias("_ruled")  # noqa: FBT003 - no pair a rule fired for
    rows = levels.groupBy(*columns, flag).count().collect()
    values = np.array([[int(r[c]) for c in columns] for r in rows], dtype=np.int64).reshape(
        len(rows), len(columns)
    )
    counts = np.array([int(r["count"]) for r in rows], dtype=np.int64)
    flags = np.array([bool(r["_ruled"]) for r in rows], dtype=bool)
    return values, counts, flags


def fit(matcher: RecordMatcher, prepared: SparkPrepared) -> None:
    """Fit the matcher's model from pattern counts made in Spark (no pair on the driver)."""
    from ._fellegi_sunter import FellegiSunter  # noqa: PLC0415
    from ._matcher import _PERSON, _RELATED  # noqa: PLC0415

    F = _functions()
    matcher._validate_config()  # noqa: SLF001
    if matcher.classifier is not None:
        msg = "a classifier needs labels, which the Spark path does not take yet."
        raise DataContractError(msg, column="classifier")
    tf_fields = matcher._tf_fields(pd.DataFrame(columns=prepared.fields))  # noqa: SLF001
    shares: dict[str, dict[str, float]] = {name: {} for name in tf_fields}
    floors: dict[str, float] = {}
    if tf_fields:  # one job: (field, value) counts of every tracked field
        values = F.array(*(F.col(f"`{name}`") for name in tf_fields))
        sides = prepared.sides
        rows = (
            _union([side.select(F.posexplode(values).alias("field", "value")) for side in sides])
            .where(F.col("value").isNotNull())
            .groupBy("field", "value")
            .count()
            .collect()
        )
        totals = dict.fromkeys(tf_fields, 0)
        for row in rows:
            totals[tf_fields[int(row["field"])]] += int(row["count"])
        for row in rows:
            name = tf_fields[int(row["field"])]
            shares[name][str(row["value"])] = float(int(row["count"])) / max(totals[name], 1)
        floors = {name: 1.0 / max(totals[name], 1) for name in tf_fields}
    matcher.term_frequencies_ = shares
    matcher.tf_floor_ = floors
    model = FellegiSunter(
        matcher.comparisons_,
        estimate_u=matcher.estimate_u,
        related_groups=_RELATED if matcher.related_classes else (),
        person_fields=_PERSON,
        conditional=matcher.conditional,
    )
    ruled = (F.col("matched_by") != "model").alias("_ruled")
    values, counts, by_rule = _pattern_counts(matcher, prepared.levels, ruled)
    candidates = model._counted_patterns(values, counts, "levels")  # noqa: SLF001
    known = (
        model._counted_patterns(values[by_rule], counts[by_rule], "levels")  # noqa: SLF001
        if by_rule.any()
        else None
    )
    outside, weights = _random_patterns(matcher, prepared)
    drawn = (
        model._counted_patterns(outside, weights, "random_levels")  # noqa: SLF001
        if len(weights)
        else None
    )
    model._fit_counted(candidates, drawn, known, prepared.pairs_total)  # noqa: SLF001
    matcher.model_ = model


def _random_patterns(
    matcher: RecordMatcher, prepared: SparkPrepared
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Level patterns of the pandas path's random pairs outside the candidates, counted."""
    rng = as_generator(matcher.random_state)
    n, m = prepared.sizes[0], prepared.sizes[-1]
    wanted = (
        min(1_000_000, max(200_000, 2 * max(n, m)))
        if matcher.random_pairs is None
        else matcher.random_pairs
    )
    draws = int(min(wanted, max(prepared.pairs_total, 1)))
    a = rng.integers(0, n, size=draws)
    b = rng.integers(0, m, size=draws)
    if not prepared.linking:
        keep = a != b
        a, b = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    session = prepared.sides[0].sparkSession
    drawn = session.createDataFrame(
        pd.DataFrame({"i": a.astype(np.int64), "j": b.astype(np.int64)})
    )
    candidates = prepared.levels.select("i", "j")
    outside = drawn.join(candidates, ["i", "j"], "left_anti")
    compared = _compare(matcher, prepared, outside, full=False)
    values, counts, _ = _pattern_counts(matcher, compared)
    return values, counts


# -- 5. score ---------------------------------------------------------------------
def score(matcher: RecordMatcher, prepared: SparkPrepared) -> Any:
    """``left``, ``right``, ``match_weight``, ``match_probability``, ``matched_by`` per pair."""
    from ._matcher import _NAMES  # noqa: PLC0415

    if hasattr(matcher, "classifier_"):
        msg = "a matcher with a scikit-learn classifier cannot score on Spark yet."
        raise DataContractError(msg, column="classifier")
    fields = [c.field for c in matcher.comparisons_]
    tf_names = list(matcher.term_frequencies_)
    # the term-frequency tables grow with the distinct names: sent once per executor as a
    # broadcast, not inside every task's closure
    shipped = prepared.sides[0].sparkSession.sparkContext.broadcast(matcher)

    def weigh(batch: pd.DataFrame) -> pd.DataFrame:
        model: RecordMatcher = shipped.value
        levels = batch[[f"lv_{f}" for f in fields]].to_numpy(dtype=np.int64)
        swapped = batch["swapped"].to_numpy(dtype=bool)
        boost = {}
        for name in tf_names:
            values = batch[f"tf_{name}"]
            exact = (levels[:, fields.index(name)] == 0) & values.notna().to_numpy()
            if name in _NAMES:
                exact &= ~swapped
            adjustment = np.zeros(len(batch))
            if exact.any():
                chosen = values.to_numpy(dtype=object)[exact]
                adjustment[exact] = model._tf_weights(name, chosen)  # noqa: SLF001
            boost[name] = adjustment
        ruled = (batch["matched_by"] != "model").to_numpy(dtype=bool)
        weight, probability = model._weigh(levels, boost, ruled)  # noqa: SLF001
        return pd.DataFrame(
            {
                "i": batch["i"].to_numpy(),
                "j": batch["j"].to_numpy(),
                "left": batch["left"].to_numpy(),
                "right": batch["right"].to_numpy(),
                "match_weight": np.asarray(weight, dtype=float),
                "match_probability": np.asarray(probability, dtype=float),
                "matched_by": batch["matched_by"].to_numpy(),
            }
        )

    ddl = (
        f"i bigint, j bigint, left {prepared.id_types[0]}, right {prepared.id_types[-1]}, "
        "match_weight double, match_probability double, matched_by string"
    )
    return _map(prepared.levels, weigh, ddl)


# -- 6. cluster -------------------------------------------------------------------
def _components(edges: SparkFrame) -> Any:
    """``(_pos, comp)``: the smallest position connected to each record by ``edges``."""
    F = _functions()
    both = _keep(
        edges.select(F.col("i").alias("a"), F.col("j").alias("b")).unionByName(
            edges.select(F.col("j").alias("a"), F.col("i").alias("b"))
        )
    )
    labels = _keep(
        both.groupBy("a")
        .agg(F.min("b").alias("m"))
        .select(F.col("a").alias("v"), F.least("a", "m").alias("label"))
    )
    for round_ in range(1, _MAX_ROUNDS + 1):
        reach = (
            both.join(labels.select(F.col("v").alias("b"), "label"), "b")
            .groupBy("a")
            .agg(F.min("label").alias("m"))
        )
        new = labels.join(reach, labels["v"] == reach["a"]).select(
            "v", F.least("label", "m").alias("label")
        )
        new = _keep(new) if round_ % _CHECKPOINT_EVERY == 0 else new.cache()
        changed = (
            new.alias("n")
            .join(labels.alias("o"), "v")
            .where(F.col("n.label") != F.col("o.label"))
            .limit(1)
            .count()
        )
        labels = new
        if not changed:
            break
    return labels.select(F.col("v").alias("_pos"), F.col("label").alias("comp"))


def customers(matcher: RecordMatcher, prepared: SparkPrepared, scored: SparkFrame) -> Any:
    """``record_id`` column (the schema's name) and ``customer_id``, as the pandas clustering.

    Linking adds ``source`` (``"left"`` or ``"right"``) and labels customers
    by the tagged ids (``"left:<id>"``) as the pandas path does; records
    are numbered across both files (the second file's after the first's).
    """
    F = _functions()
    threshold = float(matcher.threshold)
    offset = prepared.sizes[0] if prepared.linking else 0

    def tagged(source: str) -> Any:
        sid = F.col("_id").cast("string")
        return (F.concat(F.lit(f"{source}:"), sid) if prepared.linking else sid).alias("_sid")

    records = _union(
        [
            side.select(
                (F.col("_pos") + F.lit(number * offset)).alias("_pos"),
                F.lit(source).alias("source"),
                tagged(source),
                "_id",
            )
            for number, (side, source) in enumerate(
                zip(prepared.sides, ("left", "right"), strict=False)
            )
        ]
    )
    scored = _keep(scored.select("i", (F.col("j") + F.lit(offset)).alias("j"), "match_probability"))
    strong = scored.where(F.col("match_probability") >= threshold).select("i", "j")
    comp = _keep(_components(strong))
    one_to_one = prepared.linking and matcher.one_to_one
    if matcher.group_link is None and not one_to_one:
        groups = comp.select("_pos", F.col("comp").alias("group"))
    else:
        inside = (
            scored.join(comp.select(F.col("_pos").alias("i"), F.col("comp").alias("ci")), "i")
            .join(comp.select(F.col("_pos").alias("j"), F.col("comp").alias("cj")), "j")
            .where(F.col("ci") == F.col("cj"))
            .select(F.col("ci").alias("comp"), "i", "j", "match_probability")
        )
        if one_to_one:
            names = records.select("_pos", "_sid")
            inside = inside.join(
                names.select(F.col("_pos").alias("i"), F.col("_sid").alias("left")), "i"
            ).join(names.select(F.col("_pos").alias("j"), F.col("_sid").alias("right")), "j")
        groups = inside.groupBy("comp").applyInPandas(
            _grouped(_component_joiner(threshold, matcher.group_link, one_to_one=one_to_one)),
            "_pos bigint, group bigint",
        )
    labelled = records.join(groups, "_pos", "left").select(
        "source", "_id", "_sid", F.coalesce(F.col("group"), F.col("_pos")).alias("group")
    )
    names = labelled.groupBy("group").agg(F.min("_sid").alias("customer_id"))
    columns = [F.col("_id").alias(matcher.schema.record_id), "customer_id"]
    if prepared.linking:
        columns.insert(0, "source")
    result = _keep(labelled.join(names, "group").select(*columns))
    _warn_giant(result, sum(prepared.sizes), matcher)
    return result


def _component_joiner(
    threshold: float, group_link: float | None, *, one_to_one: bool
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Make the pandas clustering of one component's pairs: ``_pos`` and its ``group``.

    Components are independent (no edge over the threshold joins two), so
    the strongest-first union with its group-to-group check, and the
    greedy one-to-one choice, give per component what they give on all.
    """

    def join_component(pairs: pd.DataFrame) -> pd.DataFrame:
        pairs = pairs.sort_values(["i", "j"], kind="stable")
        if one_to_one:
            pairs = link_one_to_one(pairs, threshold=threshold)
        i = pairs["i"].to_numpy(dtype=np.int64)
        j = pairs["j"].to_numpy(dtype=np.int64)
        positions = np.unique(np.concatenate([i, j]))
        root = _join(
            len(positions),
            np.searchsorted(positions, i),
            np.searchsorted(positions, j),
            pairs["match_probability"].to_numpy(dtype=float),
            threshold=threshold,
            group_link=None if one_to_one else group_link,
        )
        return pd.DataFrame({"_pos": positions, "group": positions[root]})

    return join_component


def _grouped(
    function: Callable[[pd.DataFrame], pd.DataFrame],
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Wrap ``function`` for ``applyInPandas``, a DataContractError travelling back marked."""
    run = _on_executors(function)

    def apply(group: pd.DataFrame) -> pd.DataFrame:
        return next(run(iter([group])))

    return apply


def _warn_giant(result: SparkFrame, n: int, matcher: RecordMatcher) -> None:
    F = _functions()
    top = (
        result.groupBy("customer_id")
        .count()
        .orderBy(F.col("count").desc(), F.col("customer_id"))
        .first()
    )
    if top is None:
        return
    hint = (
        ""
        if matcher.related_classes
        else (
            " With related_classes=False the model has no class for different people "
            "who look alike (a household, neighbours, namesakes), so what they share "
            "counts as evidence of one person: try related_classes=True."
        )
    )
    warn_giant_size(int(top["count"]), n, top["customer_id"], hint=hint, stacklevel=6)
