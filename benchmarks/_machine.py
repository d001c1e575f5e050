"""What every benchmark prints about where it ran: the machine and package versions."""

from __future__ import annotations

import contextlib
import os
import platform
from importlib import metadata
from pathlib import Path


def version(name: str) -> str:
    """Installed version of a distribution, or ``"not installed"``."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> str:
    """CPU model, cores, memory and OS, for the results table."""
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
        memory = f", {int(meminfo.split()[1]) / 2**20:.0f} GiB"
    return f"{model}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}"
