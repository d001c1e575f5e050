"""Real processes racing on one log file: merges, erasures and contact caps stay right.

Each race is made certain, not hoped for: a hook in the child pauses it between reading
the identity groups and writing, while another process acts. A serialisable log gives an
outcome equal to some order of the operations one after the other.
"""

import datetime as dt
import random
import subprocess
import sys
import textwrap
import time

import pytest

from one2one import errors
from one2one.interact import ContactPolicy, FrequencyCap, Interaction, InteractionLog

AT = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
N_MERGES = 40

# The child pauses inside the chosen function (``module:name``), right after the original
# returned (that is, after it read the identity groups), until the other process says it
# is done, or 1.5 s (with the write lock held, as it must be, the other cannot be done
# before that). The hook must be on the path the action takes: the OTHER child waits for
# "paused" and the test fails if it never comes.
PAUSING = """
import importlib, sys, time
from pathlib import Path
from one2one.interact import InteractionLog

path, hook, flags, action = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
module_name, name = hook.split(":")
module = importlib.import_module(module_name)
original = getattr(module, name)
paused = []

def pausing(*args, **kwargs):
    result = original(*args, **kwargs)
    if not paused:
        paused.append(True)
        (flags / "paused").touch()
        deadline = time.monotonic() + 1.5
        while not (flags / "other-done").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    return result

setattr(module, name, pausing)
with InteractionLog(path) as log:
    exec(action)
"""

OTHER = """
import sys, time
from pathlib import Path
from one2one.interact import InteractionLog

path, flags, action = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + 30
while not (flags / "paused").exists():
    if time.monotonic() > deadline:
        sys.exit("the other process never paused: its hook is not on the path it takes")
    time.sleep(0.005)
with InteractionLog(path) as log:
    exec(action)
(flags / "other-done").touch()
"""


def _start(script, *args):
    return subprocess.Popen(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _race(tmp_path, backend, hook, first, second):
    path = tmp_path / "log.db"
    flags = tmp_path / "flags"
    flags.mkdir()
    paused = _start(PAUSING, backend.target(path), hook, flags, first)
    other = _start(OTHER, backend.target(path), flags, second)
    for process in (paused, other):
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    return path


def _seed(path, customers):
    with InteractionLog(path) as log:
        log.append(
            [
                Interaction(
                    customer_id=c,
                    occurred_at=AT,
                    channel="web",
                    kind="purchase",
                    value=10.0,
                    payload={"email": f"{c}@example.org"},
                )
                for c in customers
            ]
        )


def test_two_merges_racing_leave_one_customer(tmp_path, backend):
    _seed(tmp_path / "log.db", "abc")
    path = _race(
        tmp_path,
        backend,
        "one2one.interact._identity:group",  # read inside the merge's write
        "log.merge(['a'], 'b')",
        "log.merge(['b'], 'c')",
    )
    with InteractionLog(path) as log:
        roots = {log.canonical_id(c) for c in "abc"}
        assert len(roots) == 1  # a -> b and b -> c: one customer, whatever the order
        assert sorted(log.history("a")["payload"].map(lambda p: p["email"][0])) == list("abc")


def test_an_erasure_racing_a_merge_is_one_or_the_other_never_half(tmp_path, backend):
    _seed(tmp_path / "log.db", "xy")
    path = _race(
        tmp_path,
        backend,
        "one2one.interact._identity:group",  # read inside the erasure's write
        "log.forget('x')",
        "log.merge(['y'], 'x')",
    )
    with InteractionLog(path) as log:
        y_erased = log.count("y") == 0
        y_merged = log.canonical_id("y") == "x"
        # forget first, then merge: y's events kept, y now under x.
        # merge first, then forget: y's events erased with x's.
        assert y_erased or y_merged
        assert log.count("x") == (1 if y_merged and not y_erased else 0)
        left = log.to_pandas()
        assert not any(p and p.get("email") == "x@example.org" for p in left["payload"])


MERGER = """
import os, random, sys, time
from one2one.interact import InteractionLog, _identity

path, seed, n_ids, n_merges = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
go = sys.argv[5]
rng = random.Random(seed)
original = _identity.group  # what a merge reads, inside its write

def slow(*args, **kwargs):
    result = original(*args, **kwargs)
    time.sleep(0.01 + rng.random() * 0.01)  # widen the window between reading and writing
    return result

_identity.group = slow
with InteractionLog(path) as log:
    while not os.path.exists(go):  # start together
        time.sleep(0.001)
    for _ in range(n_merges):
        a, b = rng.sample(range(n_ids), 2)
        log.merge([f"id{a}"], f"id{b}")
        print(f"id{a} id{b}", flush=True)
"""


def _partition(pairs, ids):
    parent = {i: i for i in ids}

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        parent[find(a)] = find(b)
    groups = {}
    for i in ids:
        groups.setdefault(find(i), set()).add(i)
    return sorted(sorted(g) for g in groups.values())


@pytest.mark.slow
def test_four_processes_merging_at_random_agree_with_the_merges_they_made(tmp_path, backend):
    path = tmp_path / "log.db"
    n_ids = 120
    ids = [f"id{i}" for i in range(n_ids)]
    _seed(path, ids)
    go = tmp_path / "go"
    writers = [_start(MERGER, backend.target(path), seed, n_ids, N_MERGES, go) for seed in range(4)]
    time.sleep(1.0)  # let every writer reach the starting line
    go.touch()
    pairs = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        pairs += [tuple(line.split()) for line in out.splitlines()]
    assert len(pairs) == 4 * N_MERGES
    with InteractionLog(path) as log:
        roots = {}
        for i in ids:
            roots.setdefault(log.canonical_id(i), set()).add(i)
        assert sorted(sorted(g) for g in roots.values()) == _partition(pairs, ids)
        for root, group in roots.items():  # every id's history is its customer's history
            assert set(log.history(root)["payload"].map(lambda p: p["email"][:-12])) == group


CONTACT = """
import datetime as dt, sys, time
from pathlib import Path
from one2one.errors import ContactPolicyError
from one2one.interact import ContactPolicy, FrequencyCap, Interaction, InteractionLog

path, go, tag = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
at = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
with InteractionLog(path) as log:
    policy = ContactPolicy(log, [FrequencyCap(1, dt.timedelta(days=1))])
    offer = Interaction(customer_id="c1", occurred_at=at, channel="email", kind="offer_made",
                        offer_id=f"offer-{tag}")
    while not go.exists():
        time.sleep(0.001)
    try:
        log.append(offer, policy=policy)
        print("stored")
    except ContactPolicyError as error:
        print("refused", error.reasons)
"""


@pytest.mark.parametrize("workers", [2, 4])
def test_a_cap_enforced_in_the_append_holds_for_workers_racing(tmp_path, workers, backend):
    path = tmp_path / "log.db"
    with InteractionLog(path) as log:
        log.consent.grant("c1", "marketing", at=AT - dt.timedelta(days=1))
    go = tmp_path / "go"
    racing = [_start(CONTACT, backend.target(path), go, n) for n in range(workers)]
    time.sleep(1.0)  # let every worker reach the starting line
    go.touch()
    answers = []
    for process in racing:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        answers.append(out.split()[0])
    assert sorted(answers) == ["refused"] * (workers - 1) + ["stored"]
    with InteractionLog(path) as log:
        assert log.count("c1", kinds=["offer_made"]) == 1


def test_a_cap_enforced_in_the_append_counts_the_batch_itself():
    log = InteractionLog()
    log.consent.grant("c1", "marketing", at=AT - dt.timedelta(days=1))
    policy = ContactPolicy(log, [FrequencyCap(2, dt.timedelta(days=7))])
    offers = [
        Interaction(
            customer_id="c1",
            occurred_at=AT + dt.timedelta(hours=h),
            channel="email",
            kind="offer_made",
        )
        for h in (0, 1, 2)
    ]
    with pytest.raises(errors.ContactPolicyError, match="at most 2") as caught:
        log.append(offers, policy=policy)
    assert caught.value.earliest_allowed_at is not None
    assert log.count("c1", kinds=["offer_made"]) == 0  # nothing of the batch
    assert log.append(offers[:2], policy=policy).stored == 2
    assert log.append(offers[:2], policy=policy).duplicates == 2  # a retry is not a contact
    other_log = InteractionLog()
    with pytest.raises(errors.DataContractError, match="same log"):
        other_log.append(offers[:1], policy=policy)


def test_random_merge_partition_helper_is_right():
    rng = random.Random(4)  # noqa: S311 (test data)
    ids = list(range(10))
    pairs = [tuple(rng.sample(ids, 2)) for _ in range(4)]
    groups = _partition(pairs, ids)
    assert sorted(i for g in groups for i in g) == ids
    for a, b in pairs:
        assert any(a in g and b in g for g in groups)
