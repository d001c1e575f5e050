"""Where the bundled data files live and how to open them."""

from __future__ import annotations

from importlib import resources
from typing import IO

__all__ = ["open_data"]


def open_data(filename: str) -> IO[bytes]:
    """Open a bundled data file as binary (the caller decompresses ``.gz``)."""
    return resources.files(__package__).joinpath("data", filename).open("rb")
