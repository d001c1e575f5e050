"""What the benchmark scripts share: targets and their verdicts, tables, the load, time limits."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType


@dataclass
class Target:
    """One target from an issue: what was measured against what was asked."""

    case: str
    measured: str
    target: str
    passed: bool | None  # None: informational


@contextlib.contextmanager
def alarm(seconds: float, error: type[BaseException] = TimeoutError) -> Iterator[None]:
    """Raise ``error`` in this thread after ``seconds`` (checked between bytecodes)."""

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise error

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load_note() -> str:
    """The load average, with a warning when another process shares the CPUs."""
    one, five, fifteen = os.getloadavg()
    text = f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} cores)"
    if one > 1.5:
        text += " -- above 1.5: another process is using the CPUs, times are pessimistic"
    return text


def print_rows(table: list[tuple[str, ...]], title: str) -> None:
    """Print a table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    print(f"  == {title} ==")
    for i, line in enumerate(table):
        cells = [line[0].ljust(widths[0])] + [line[j].rjust(widths[j]) for j in range(1, len(line))]
        print("  " + "  ".join(cells))
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))


def print_targets(targets: list[Target]) -> None:
    """Print every target with its verdict."""
    table = [("target", "measured", "target", "verdict")]
    for t in targets:
        verdict = "-" if t.passed is None else ("PASS" if t.passed else "FAIL")
        table.append((t.case, t.measured, t.target, verdict))
    print()
    print_rows(table, "targets (issue)")


def print_footer(targets: list[Target], started: float) -> None:
    """Print the targets, the load at the end, the wall time and the peak memory."""
    print_targets(targets)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    elapsed = time.perf_counter() - started
    print(f"\nat end: {load_note()}")
    print(f"total wall time {elapsed:.0f} s; process max RSS {max_rss:,.0f} MiB")
