"""Shared test set-up: hypothesis profiles.

``ci`` (chosen when the CI environment variable is set) is derandomized so a
CI run is reproducible; ``dev`` explores new examples on every run.

In CI the executed notebooks keep their outputs (nbmake's ``--overwrite``, on
the throwaway clone), so the docs build renders them without running them a
second time (``ONE2ONE_DOCS_EXECUTION=off`` in .ci/run, read by docs/conf.py).
"""

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.backends import deselect_sqlite_only

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", deadline=None, max_examples=40)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run tests about SQLite's own files on SQLite only (``tests/backends.py``)."""
    deselect_sqlite_only(config, items)


def pytest_configure(config: object) -> None:
    """In CI, store the notebooks' outputs for the docs build (see the module docstring)."""
    option = getattr(config, "option", None)
    if os.environ.get("CI") and option is not None and hasattr(option, "overwrite"):
        option.overwrite = True
