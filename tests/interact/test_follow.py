"""A followed profile store equals the replay after every append, merge and erasure made elsewhere.

The writer here is a second log object on the same log (a second connection,
as another process would have): the follower hears nothing from it but what
the database says.
"""

import datetime as dt
import threading
import time
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from one2one.errors import ConsentError, DataContractError
from one2one.interact import FollowedProfileStore, Interaction, InteractionLog, ProfileStore

AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CUSTOMERS = ["a", "b", "c", "d"]
OPTIONS = {"attributes": ("category",)}

event = st.builds(
    lambda customer, hours, channel, kind, value, category: Interaction(
        customer_id=customer,
        occurred_at=AT + dt.timedelta(hours=hours),
        channel=channel,
        kind=kind,
        value=value,
        payload={"category": category} if category else {},
    ),
    st.sampled_from(CUSTOMERS),
    st.integers(0, 24 * 400),
    st.sampled_from(["web", "store", "app"]),
    st.sampled_from(["visit", "view", "purchase", "return", "complaint", "offer_accepted"]),
    st.none() | st.floats(-100, 500),
    st.sampled_from([None, "shoes", "bags", "hats"]),
)
operation = st.one_of(
    st.tuples(st.just("append"), st.lists(event, min_size=1, max_size=6)),
    st.tuples(st.just("merge"), st.sampled_from(CUSTOMERS), st.sampled_from(CUSTOMERS)),
    st.tuples(st.just("forget"), st.sampled_from(CUSTOMERS)),
    st.tuples(st.just("refresh")),
)


def assert_equal_to_replay(followed, log):
    """The followed profiles are exactly the replay's, customer by customer."""
    rebuilt = ProfileStore.from_log(log, **OPTIONS)
    assert sorted(followed.customers()) == sorted(rebuilt.customers())
    for customer in rebuilt.customers():
        mine, theirs = followed.profile(customer), rebuilt.profile(customer)
        assert mine == theirs
        assert mine.channels == theirs.channels
        assert mine.preferences == theirs.preferences


def _apply(writer, step):
    if step[0] == "append":
        writer.append(step[1])
    elif step[0] == "merge":
        writer.merge([step[1]], step[2])
    elif step[0] == "forget":
        writer.forget(step[1])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(operation, max_size=14), st.lists(operation, max_size=4))
def test_followed_profiles_equal_the_replay_after_writes_by_another_connection(
    tmp_path, before, after
):
    path = tmp_path / f"{uuid.uuid4().hex}.db"
    with InteractionLog(path) as writer, InteractionLog(path) as reader:
        for step in before:
            _apply(writer, step)
        with ProfileStore.follow(reader, batch_size=3, **OPTIONS) as followed:
            assert_equal_to_replay(followed, reader)
            for step in after:
                _apply(writer, step)
                if step[0] == "refresh":
                    followed.refresh()
            followed.refresh()
            assert_equal_to_replay(followed, reader)
            assert followed.refresh() == 0  # caught up: nothing twice


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(operation, min_size=1, max_size=12))
def test_refreshing_after_every_write_keeps_the_profiles_equal_to_the_replay(tmp_path, steps):
    path = tmp_path / f"{uuid.uuid4().hex}.db"
    with (
        InteractionLog(path) as writer,
        InteractionLog(path) as reader,
        ProfileStore.follow(reader, **OPTIONS) as followed,
    ):
        for step in steps:
            _apply(writer, step)
            followed.refresh()
            assert_equal_to_replay(followed, reader)


def _purchase(customer, hours, category="shoes", **fields):
    return Interaction(
        customer_id=customer,
        occurred_at=AT + dt.timedelta(hours=hours),
        channel="web",
        kind="purchase",
        value=10.0,
        payload={"category": category},
        **fields,
    )


def test_refresh_counts_new_events_and_each_merge_or_erasure(tmp_path):
    path = tmp_path / "log.db"
    with InteractionLog(path) as writer, InteractionLog(path) as reader:
        writer.append([_purchase("a", 1), _purchase("b", 2)])
        followed = ProfileStore.follow(reader, **OPTIONS)
        assert followed.customers() == ["a", "b"]
        assert followed.refresh() == 0
        writer.append([_purchase("a", 3), _purchase("c", 4), _purchase("c", 5)])
        assert followed.refresh() == 3
        assert followed.profile("c").purchases == 2
        writer.merge(["b"], "a")
        assert followed.refresh() == 1  # one merge, no new event
        assert sorted(followed.customers()) == ["a", "c"]
        assert followed.profile("a").purchases == 3
        writer.merge(["b"], "a")  # already one customer: nothing changes
        assert followed.refresh() == 0
        writer.forget("c")
        assert followed.refresh() == 2  # the erasure, and its own event
        assert followed.customers() == ["a"]
        writer.append([_purchase("c", 9)])  # the erased customer comes back as a new one
        assert followed.refresh() == 1
        assert followed.profile("c").purchases == 1
        assert_equal_to_replay(followed, reader)
        followed.close()
        followed.close()  # idempotent
        assert followed.profile("a").purchases == 3  # still readable


def test_a_second_erasure_of_the_same_id_is_followed(tmp_path):
    path = tmp_path / "log.db"
    with (
        InteractionLog(path) as writer,
        InteractionLog(path) as reader,
        ProfileStore.follow(reader, **OPTIONS) as followed,
    ):
        writer.append([_purchase("a", 1)])
        writer.forget("a")
        followed.refresh()
        writer.append([_purchase("a", 2)])
        followed.refresh()
        assert "a" in followed
        writer.forget("a")  # same keyed hash as the first erasure
        followed.refresh()
        assert "a" not in followed
        assert_equal_to_replay(followed, reader)


def test_the_follower_reads_writes_made_through_its_own_log_object(tmp_path):
    with InteractionLog(tmp_path / "log.db") as log, ProfileStore.follow(log) as followed:
        log.append([_purchase("a", 1)])
        assert followed.wait(timeout=5) == 1
        assert followed.profile("a").purchases == 1


def test_a_rolled_back_batch_changes_nothing_and_wakes_no_one(tmp_path):
    path = tmp_path / "log.db"
    with (
        InteractionLog(path) as writer,
        InteractionLog(path) as reader,
        ProfileStore.follow(reader, **OPTIONS) as followed,
    ):
        writer.append([_purchase("a", 1)])
        assert followed.refresh() == 1
        watch = reader._db.watch(poll_interval=0.01)
        try:
            offer = Interaction(customer_id="a", occurred_at=AT, channel="email", kind="offer_made")
            with pytest.raises(ConsentError):  # refused inside the write: rolled back
                writer.append([_purchase("b", 2), offer])
            assert watch.wait(0.3) is False
        finally:
            watch.close()
        assert followed.wait(timeout=0.2) == 0
        assert followed.customers() == ["a"]
        assert_equal_to_replay(followed, reader)


def test_wait_returns_when_another_connection_commits(tmp_path):
    path = tmp_path / "log.db"
    with (
        InteractionLog(path) as writer,
        InteractionLog(path) as reader,
        ProfileStore.follow(reader, poll_interval=0.01, **OPTIONS) as followed,
    ):

        def write_later():
            time.sleep(0.2)
            writer.append([_purchase("a", 1), _purchase("b", 2)])

        thread = threading.Thread(target=write_later)
        thread.start()
        try:
            assert followed.wait(timeout=30) == 2
        finally:
            thread.join()
        assert sorted(followed.customers()) == ["a", "b"]
        assert followed.wait(timeout=0.1) == 0  # nothing more came


def test_a_log_from_before_the_identity_counter_is_followed(tmp_path):
    path = tmp_path / "log.db"
    with InteractionLog(path) as writer, InteractionLog(path) as reader:
        writer.append([_purchase("a", 1), _purchase("b", 2)])
        with writer._db.write() as connection:  # as a log written by an older one2one
            connection.execute("DELETE FROM meta WHERE key = 'identity_generation'")
        with ProfileStore.follow(reader, **OPTIONS) as followed:
            assert followed.generation == 0
            writer.merge(["b"], "a")
            assert followed.refresh() == 1
            assert_equal_to_replay(followed, reader)


@pytest.mark.parametrize("name", ["poll_interval", "batch_size"])
@pytest.mark.parametrize("value", [0, -1, "1", True])
def test_follow_refuses_a_bad_setting(name, value):
    with InteractionLog() as log, pytest.raises(DataContractError, match=name):
        ProfileStore.follow(log, **{name: value})


def test_follow_returns_a_profile_store():
    with InteractionLog() as log, ProfileStore.follow(log) as followed:
        assert isinstance(followed, FollowedProfileStore)
        assert isinstance(followed, ProfileStore)
        assert len(followed) == 0


def test_a_refresh_takes_the_wake_ups_of_what_it_read(tmp_path):
    # Unread wake-ups pile up on the server (PostgreSQL's notification queue); a
    # follower that only ever refreshes must not leave them behind.
    path = tmp_path / "log.db"
    with (
        InteractionLog(path) as writer,
        InteractionLog(path) as reader,
        ProfileStore.follow(reader, poll_interval=0.01, **OPTIONS) as followed,
    ):
        for n in range(3):
            writer.append([_purchase("a", n)])
        time.sleep(0.05)  # delivered to the listening connection
        assert followed.refresh() == 3
        assert followed._watch is not None
        assert followed._watch.wait(0.0) is False  # nothing left unread
