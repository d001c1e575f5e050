"""Run the interaction-log suites on every backend: SQLite, and PostgreSQL when a server is given.

The ``backend`` fixture (used automatically by ``tests/interact`` and
``tests/reliability``) runs each test once per backend. On PostgreSQL it
routes every log the test opens to a schema of its own on the server named
by ``ONE2ONE_TEST_POSTGRES_URL``: a path maps to one schema (so reopening the
same path reopens the same log) and ``None`` (memory) to a fresh one, so the
tests read as they always did. Tests that hand a log to another process pass
``backend.target(path)``, which is the path itself on SQLite and the URL of
that schema on PostgreSQL.

Tests about SQLite's own files (raw bytes, the write-ahead log, damaged
pages) carry ``@pytest.mark.sqlite_only``: they are not collected for
PostgreSQL (deselected, not skipped).

Without a URL, the PostgreSQL runs skip with the reason locally and fail
under ``CI=true``: in CI, ``.ci/run`` starts the server.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import one2one.interact._log as log_module

URL_VARIABLE = "ONE2ONE_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgres")
_RUN = secrets.token_hex(4)  # schemas of this run never meet an earlier run's


def postgres_url() -> str | None:
    """Return the test server's URL, or ``None`` when none is set."""
    return os.environ.get(URL_VARIABLE) or None


def require_postgres() -> str:
    """Return the test server's URL; skip (locally) or fail (in CI) without one."""
    url = postgres_url()
    if url is None:
        reason = f"no PostgreSQL server: set {URL_VARIABLE} (bash .ci/postgres.sh start DIR)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must test PostgreSQL, but {reason}")
        pytest.skip(reason)
    return url


def schema_url(url: str, schema: str) -> str:
    """Return ``url`` with the log kept in ``schema``."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


class Backend:
    """Where a test's logs live."""

    def __init__(self, name: str, url: str | None) -> None:
        self.name = name
        self.url = url

    def __repr__(self) -> str:
        return self.name

    def target(self, path: str | Path | None = None) -> Any:
        """Return what :class:`InteractionLog` opens for ``path`` on this backend."""
        if self.url is None:
            return path
        if path is None or str(path) == ":memory:":
            return schema_url(self.url, f"t{_RUN}_{secrets.token_hex(6)}")
        if isinstance(path, str) and "://" in path:
            return path
        digest = hashlib.blake2b(str(Path(path).resolve()).encode(), digest_size=6).hexdigest()
        return schema_url(self.url, f"t{_RUN}_{digest}")


def backend_fixture(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """The body of the ``backend`` fixtures (see the module docstring)."""
    if request.param == "sqlite":
        yield Backend("sqlite", None)
        return
    backend = Backend("postgres", require_postgres())
    opener = log_module._open_storage  # the one place a log picks its backend

    def open_on_postgres(target: Any, synchronous: Any) -> Any:
        return opener(backend.target(target), synchronous)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(log_module, "_open_storage", open_on_postgres)
        yield backend


def deselect_sqlite_only(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the PostgreSQL runs of tests about SQLite's own files."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("backend") == "postgres"
        (dropped if on_postgres and item.get_closest_marker("sqlite_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
