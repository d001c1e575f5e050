"""Every test here runs on each backend (see ``tests/backends.py``)."""

from collections.abc import Iterator

import pytest

from tests.backends import BACKENDS, Backend, backend_fixture


@pytest.fixture(params=BACKENDS, scope="module", autouse=True)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """The backend this run of the test uses."""
    yield from backend_fixture(request)
