"""The shared Spark plumbing: recognising frames, carrying attrs, running pandas on executors."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import one2one
from one2one._spark import is_spark_frame, map_pandas, spark_attrs, with_spark_attrs


def test_import_one2one_never_imports_pyspark() -> None:
    code = (
        "import sys, one2one, one2one.clv, one2one.differentiate, one2one.identify, "
        "one2one.interact, one2one.customize; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'pyspark', 'py4j'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("obj", [pd.DataFrame({"a": [1]}), [1, 2], None, "DataFrame"])
def test_other_objects_are_not_spark_frames(obj: object) -> None:
    assert not is_spark_frame(obj)


def test_a_spark_frame_is_recognised(spark: Any) -> None:
    assert is_spark_frame(spark.createDataFrame(pd.DataFrame({"a": [1, 2]})))


@given(
    attrs=st.dictionaries(
        st.text(max_size=8), st.one_of(st.none(), st.integers(), st.text(max_size=8)), max_size=4
    )
)
def test_attrs_survive_a_select_and_a_join(spark: Any, attrs: dict[str, object]) -> None:
    frame = spark.createDataFrame(pd.DataFrame({"customer_id": ["a", "b"], "x": [1.0, 2.0]}))
    tagged = with_spark_attrs(frame, "customer_id", attrs)
    other = spark.createDataFrame(pd.DataFrame({"customer_id": ["a"], "y": [3]}))
    joined = tagged.select("customer_id", "x").join(other, "customer_id", "left")
    assert spark_attrs(joined) == attrs
    assert spark_attrs(frame) == {}


def test_map_pandas_runs_the_function_on_every_row(spark: Any) -> None:
    frame = spark.createDataFrame(pd.DataFrame({"k": range(100), "v": [1.5] * 100}))
    doubled = map_pandas(frame, lambda part: part.assign(v=part["v"] * 2), "k long, v double")
    result = doubled.toPandas().sort_values("k")
    assert result["k"].tolist() == list(range(100))
    assert (result["v"] == 3.0).all()


def test_executors_on_the_cluster_import_this_one2one(cluster: Any) -> None:
    frame = cluster.createDataFrame(pd.DataFrame({"k": range(8)})).repartition(4)

    def where(part: pd.DataFrame) -> pd.DataFrame:
        import one2one as executor_one2one  # noqa: PLC0415 - imported on the executor

        return pd.DataFrame({"file": [executor_one2one.__file__] * len(part)})

    files = {row.file for row in map_pandas(frame, where, "file string").collect()}
    assert files == {one2one.__file__}
