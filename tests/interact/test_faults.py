"""Faults: a writer killed mid-batch, two writers at once: nothing lost, nothing half-written."""

import os
import signal
import subprocess
import sys
import textwrap
import time

from one2one.interact import InteractionLog

BATCH = 5_000

WRITER = textwrap.dedent(
    """
    import datetime as dt, sys
    from one2one.interact import Interaction, InteractionLog
    path, tag, batches = sys.argv[1], sys.argv[2], int(sys.argv[3])
    at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with InteractionLog.open(path) as log:
        for b in range(batches):
            log.append([
                Interaction(customer_id=f"{tag}-{b}", occurred_at=at, channel="web", kind="visit",
                            event_id=f"{tag}-{b}-{i}", payload={"batch": b})
                for i in range({batch})
            ])
            print(b, flush=True)
    """
).replace("{batch}", str(BATCH))


def _writer(path, tag, batches):
    return subprocess.Popen(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", WRITER, str(path), tag, str(batches)],
        stdout=subprocess.PIPE,
        text=True,
    )


def _batch_sizes(path):
    with InteractionLog.open(path) as log:
        return log.to_pandas().groupby("customer_id").size().to_dict()


def test_a_writer_killed_mid_batch_leaves_each_batch_whole_or_absent(tmp_path, backend):
    path = tmp_path / "log.db"
    for attempt, delay in enumerate((0.05, 0.13, 0.21)):
        writer = _writer(backend.target(path), f"k{attempt}", 10_000)
        assert writer.stdout is not None
        writer.stdout.readline()  # at least one batch committed
        time.sleep(delay)  # then die somewhere inside a later batch
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        assert writer.returncode == -signal.SIGKILL
    sizes = _batch_sizes(path)
    assert sizes
    assert set(sizes.values()) == {BATCH}
    with InteractionLog.open(path) as log:  # readable, and writable again
        assert len(log) == BATCH * len(sizes)
        assert sum(1 for _ in log.replay()) == len(log)


def test_two_processes_appending_at_once_lose_nothing(tmp_path, backend):
    path = tmp_path / "log.db"
    InteractionLog(path).close()
    writers = [_writer(backend.target(path), tag, 6) for tag in ("p", "q")]
    for writer in writers:
        writer.communicate(timeout=120)
        assert writer.returncode == 0
    sizes = _batch_sizes(path)
    assert len(sizes) == 12
    assert set(sizes.values()) == {BATCH}
