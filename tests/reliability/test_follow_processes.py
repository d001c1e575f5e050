"""A profile store in one process follows what another process appends, merges and erases.

The child writes one step at a time (each step one transaction) and waits for
the parent to have checked it; the parent's followed store waits for the
commit, and after each step its profiles must equal a replay of the log.
"""

import json
import subprocess
import sys
import textwrap
import time

from one2one.interact import InteractionLog, ProfileStore

CHILD = """
import datetime as dt, json, sys, time
from pathlib import Path
from one2one.interact import Interaction, InteractionLog

target, flags, steps = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
with InteractionLog(target) as log:
    for number, (action, *args) in enumerate(steps):
        if action == "append":
            log.append([
                Interaction(customer_id=customer, occurred_at=at + dt.timedelta(hours=hours),
                            channel="web", kind="purchase", value=float(hours),
                            payload={"category": category})
                for customer, hours, category in args[0]
            ])
        elif action == "merge":
            log.merge([args[0]], args[1])
        elif action == "forget":
            log.forget(args[0])
        (flags / f"done-{number}").write_text(repr(time.time()))
        deadline = time.monotonic() + 60
        while not (flags / f"checked-{number}").exists():
            if time.monotonic() > deadline:
                sys.exit(f"the parent never checked step {number}")
            time.sleep(0.002)
"""

STEPS = [
    ["append", [["a", 1, "shoes"], ["b", 2, "bags"], ["c", 3, "hats"]]],
    ["append", [["a", 5, "bags"], ["d", 6, "shoes"]]],
    ["merge", "b", "a"],
    ["append", [["b", 8, "hats"], ["c", 9, "shoes"]]],
    ["forget", "c"],
    ["append", [["c", 12, "bags"], ["e", 13, "hats"]]],
    ["merge", "d", "e"],
    ["forget", "a"],
    ["append", [["b", 20, "shoes"], ["a", 21, "bags"]]],
]


def _assert_equal_to_replay(followed, log):
    rebuilt = ProfileStore.from_log(log, attributes=("category",))
    assert sorted(followed.customers()) == sorted(rebuilt.customers())
    for customer in rebuilt.customers():
        mine, theirs = followed.profile(customer), rebuilt.profile(customer)
        assert mine == theirs
        assert mine.preferences == theirs.preferences
        assert mine.channels == theirs.channels


def test_a_followed_store_equals_the_replay_after_each_write_of_another_process(tmp_path, backend):
    target = backend.target(tmp_path / "log.db")
    flags = tmp_path / "flags"
    flags.mkdir()
    with (
        InteractionLog(target) as log,
        ProfileStore.follow(log, poll_interval=0.01, attributes=("category",)) as followed,
    ):
        child = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
            [sys.executable, "-c", textwrap.dedent(CHILD), str(target), flags, json.dumps(STEPS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            for number in range(len(STEPS)):
                done = flags / f"done-{number}"
                deadline = time.monotonic() + 60
                applied = 0
                while not (done.exists() and applied):
                    assert time.monotonic() < deadline, f"step {number} never arrived"
                    assert child.poll() is None, child.communicate()
                    applied += followed.wait(timeout=1)
                _assert_equal_to_replay(followed, log)
                (flags / f"checked-{number}").touch()
        finally:
            _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        assert followed.refresh() == 0
        assert "c" in followed  # came back after the erasure
        assert "a" in followed  # came back after the erasure
        assert followed.profile("e").purchases == 2  # d merged into e


def test_a_follower_misses_no_commit_of_many_concurrent_writers(tmp_path, backend):
    target = backend.target(tmp_path / "log.db")
    writer = """
import datetime as dt, sys
from one2one.interact import Interaction, InteractionLog
target, worker = sys.argv[1], sys.argv[2]
at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
with InteractionLog(target) as log:
    for batch in range(15):
        log.append([Interaction(customer_id=f"c{(batch + i) % 7}", channel="web",
                                occurred_at=at + dt.timedelta(minutes=batch * 10 + i),
                                kind="view", payload={"category": worker})
                    for i in range(5)])
"""
    with (
        InteractionLog(target) as log,
        ProfileStore.follow(log, poll_interval=0.005, attributes=("category",)) as followed,
    ):
        children = [
            subprocess.Popen(  # noqa: S603 (our own interpreter and script)
                [sys.executable, "-c", textwrap.dedent(writer), str(target), f"w{n}"],
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(3)
        ]
        seen = 0
        deadline = time.monotonic() + 120
        while seen < 3 * 15 * 5:
            assert time.monotonic() < deadline, f"only {seen} events followed"
            seen += followed.wait(timeout=1)
        for child in children:
            _, err = child.communicate(timeout=60)
            assert child.returncode == 0, err
        assert followed.refresh() == 0
        _assert_equal_to_replay(followed, log)
        assert sum(followed.profile(c).interactions for c in followed.customers()) == 225
