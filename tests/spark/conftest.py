"""Spark sessions for the tests: local mode for unit tests, a standalone cluster for integration.

One JVM per test process, so one SparkSession at a time: the ``spark`` fixture
gives a local-mode session (``local[2]``), the ``cluster`` fixture a session on
the standalone cluster whose master URL is ``ONE2ONE_TEST_SPARK_MASTER``
(``.ci/run`` starts one with ``.ci/spark.sh``). Switching kinds stops the
other session, and the cluster tests are ordered last so that happens once.
Without pyspark, or without a cluster URL, these tests skip locally with the
reason and FAIL under ``CI=true``: in CI the Spark path is always tested.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

_SETTINGS = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # The library never relies on the session's time zone; a test session in another
    # zone than the machine's shows it.
    "spark.sql.session.timeZone": "America/New_York",
    "spark.driver.memory": "1g",
    "spark.executor.memory": "1g",
}
_current: dict[str, Any] = {"kind": None, "session": None}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: the Spark tests must run in CI (see .ci/run)", pytrace=False)
    pytest.skip(reason)


def _session(kind: str) -> Any:
    if importlib.util.find_spec("pyspark") is None:
        _unavailable("pyspark is not installed (the 'spark' extra)")
    master = "local[2]"
    if kind == "cluster":
        master = os.environ.get("ONE2ONE_TEST_SPARK_MASTER", "")
        if not master:
            _unavailable(
                "no Spark cluster: ONE2ONE_TEST_SPARK_MASTER is not set "
                '(eval "$(bash .ci/spark.sh start DIR .venv/bin/python)")'
            )
    if _current["kind"] == kind:
        return _current["session"]
    if _current["session"] is not None:
        _current["session"].stop()
        _current["kind"] = _current["session"] = None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession  # noqa: PLC0415 - only when Spark tests run

    builder = SparkSession.builder.master(master).appName(f"one2one-tests-{kind}")
    for key, value in _SETTINGS.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    _current["kind"], _current["session"] = kind, session
    return session


@pytest.fixture(scope="module")
def spark() -> Any:
    """A local-mode SparkSession (two threads), shared by the whole test run."""
    return _session("local")


@pytest.fixture(scope="module")
def cluster() -> Any:
    """A SparkSession on the standalone test cluster (two workers of one core each)."""
    return _session("cluster")


@pytest.fixture(scope="session", autouse=True)
def _stop_spark() -> Iterator[None]:
    yield
    if _current["session"] is not None:
        _current["session"].stop()
        _current["kind"] = _current["session"] = None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the tests on the cluster after the local ones (one session switch)."""
    del config
    items.sort(key=lambda item: "cluster" in getattr(item, "fixturenames", ()))
