"""Attacks on the identity resolver's privacy and storage promises (issue #13).

* Right to erasure: after ``remove``/``forget`` nothing of the record (field
  values, record id, derived blocking keys) is left in memory or in what
  ``save`` writes, ``.json`` and ``.json.gz`` alike, read as raw bytes.
* ``forget`` removes a whole customer, logs a tombstone carrying no personal
  data, and the customer id is never issued again, not even after a reload.
* Saved files are untrusted input: damaged bytes, truncated gzip streams,
  wrong types, missing keys or a rewound id counter give a correct load or
  a ``StorageError`` / ``DataContractError``, never another exception.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from one2one.datasets import load_febrl
from one2one.errors import DataContractError, StorageError
from one2one.identify import (
    FellegiSunter,
    IdentityResolver,
    RecordMatcher,
    RecordSchema,
    SortedNeighbourhood,
)
from tests.identify.schemas import FEBRL

# No interaction log here: run once (the backend parametrisation of this folder is for
# the log's tests; tests/backends.py deselects the PostgreSQL run).
pytestmark = pytest.mark.sqlite_only

FEBRL_RECORDS = load_febrl("dataset1").records.reset_index()
BASE = FEBRL_RECORDS.iloc[:240]

# Two people nobody else resembles: every value below is unique in the data.
ERASED_AT_FIT = {
    "rec_id": "erase-me-fit-7731",
    "given_name": "Zebulonia",
    "surname": "Quixotterby",
    "address_1": "77 Xylophone Crescent",
    "suburb": "Vrexhamptonia",
    "postcode": "2999",
    "date_of_birth": "19230517",
    "soc_sec_id": "A-90210-ERASE",
}
ERASED_LIVE = {
    "rec_id": "erase-me-live-4402",
    "given_name": "Thaddeusina",
    "surname": "Wobblecombe",
    "address_1": "12 Quagmire Terrace",
    "suburb": "Glimmerstadt",
    "postcode": "2998",
    "date_of_birth": "19171129",
    "soc_sec_id": "B-31337-ERASE",
}
FORGOTTEN = {
    "rec_id": "forget-me-5150",
    "given_name": "Octaviusine",
    "surname": "Prunesquallor",
    "address_1": "3 Gormenghast Parade",
    "suburb": "Titusborough",
    "postcode": "2997",
    "date_of_birth": "19050302",
    "soc_sec_id": "C-44444-FORGET",
}
FORGOTTEN_DUPLICATE = FORGOTTEN | {"rec_id": "forget-me-too-8086", "surname": "Prunesqualor"}


def _stored(record: Mapping[str, str]) -> list[str]:
    """What a resolver keeps of a record: its id and standardised values, lower-cased."""
    standard = FEBRL.standardise_one(record)
    values = {record["rec_id"]} | {str(v) for v in standard.values() if v is not None}
    values.discard(str(standard["postcode"]))  # 4-digit postcodes occur inside other numbers
    return sorted(v.lower() for v in values)


def _needles(record: Mapping[str, str]) -> list[str]:
    """Every value of a record, raw and standardised, lower-cased (the record id included)."""
    raw = {str(v).lower() for k, v in record.items() if k != "postcode"}
    return sorted(raw | set(_stored(record)))


def _children(node: object) -> list[object]:
    """What a node holds: items of containers, cells of arrays and frames, attributes."""
    if isinstance(node, Mapping):
        return [*node.keys(), *node.values()]
    if isinstance(node, (list, tuple, set, frozenset)):
        return list(node)
    if isinstance(node, np.ndarray):
        return node.ravel().tolist() if node.dtype == object or node.dtype.kind in "US" else []
    if isinstance(node, (pd.Series, pd.Index)):
        return [node.name, *node.astype(object).tolist()]
    if isinstance(node, pd.DataFrame):
        cells = node.astype(object).to_numpy().ravel().tolist()
        return [*node.columns, *node.index.astype(object), *cells]
    found = (
        [getattr(node, a.name) for a in attrs.fields(type(node))] if attrs.has(type(node)) else []
    )
    return found + list(vars(node).values()) if hasattr(node, "__dict__") else found


def _strings(root: object) -> Iterator[str]:
    """Every string reachable from ``root``: attributes, containers, arrays, frames."""
    seen: set[int] = set()
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen or node is None or isinstance(node, (bool, int, float, type)):
            continue
        seen.add(id(node))
        if isinstance(node, str):
            yield node
        elif isinstance(node, bytes):
            yield node.decode("latin-1")
        elif not callable(node) or hasattr(node, "__dict__"):
            stack.extend(_children(node))


def _in_memory(resolver: IdentityResolver, needles: list[str]) -> set[str]:
    found = set()
    for text in _strings(resolver):
        lowered = text.lower()
        found.update(n for n in needles if n in lowered)
    return found


def _in_files(resolver: IdentityResolver, folder: Path, needles: list[str]) -> set[str]:
    """Needles found in the raw (decompressed) bytes of both kinds of saved file."""
    found = set()
    for name in ("state.json", "state.json.gz"):
        path = folder / name
        resolver.save(path)
        raw = path.read_bytes()
        if name.endswith(".gz"):
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8").lower()
        found.update(n for n in needles if n in text)
    return found


@pytest.fixture(scope="module")
def base_state() -> dict[str, Any]:
    records = pd.concat([BASE, pd.DataFrame([ERASED_AT_FIT, FORGOTTEN])], ignore_index=True)
    return IdentityResolver.from_records(records, FEBRL).to_dict()


@pytest.fixture
def resolver(base_state: dict[str, Any]) -> IdentityResolver:
    return IdentityResolver.from_dict(json.loads(json.dumps(base_state)))


# -- 1. remove(): nothing of the record survives ----------------------------------------


def test_remove_leaves_no_field_value_or_id_in_memory_or_in_saved_files(resolver, tmp_path):
    resolver.add(ERASED_LIVE, at=pd.Timestamp("2026-01-01", tz="UTC"))
    needles = _needles(ERASED_AT_FIT) + _needles(ERASED_LIVE)
    stored = _stored(ERASED_AT_FIT) + _stored(ERASED_LIVE)
    # the attack can see them before: all that is kept is in memory and in both files
    assert _in_memory(resolver, stored) == set(stored)
    assert _in_files(resolver, tmp_path, stored) == set(stored)
    resolver.remove(ERASED_AT_FIT["rec_id"])
    resolver.remove(ERASED_LIVE["rec_id"])
    assert _in_memory(resolver, needles) == set()
    assert _in_files(resolver, tmp_path, needles) == set()
    again = IdentityResolver.load(tmp_path / "state.json.gz")
    assert _in_memory(again, needles) == set()


def test_a_removed_record_can_no_longer_be_matched_or_explained(resolver):
    resolver.add(ERASED_LIVE)
    for record in (ERASED_AT_FIT, ERASED_LIVE):
        assert resolver.resolve(record).matched_record == record["rec_id"]
        position = resolver._position[record["rec_id"]]
        resolver.remove(record["rec_id"])
        resolution = resolver.resolve(record)
        assert resolution.is_new
        assert resolution.matched_record != record["rec_id"]
        if resolution.explanation is not None:  # evidence only against records still known
            frame = resolution.explanation.to_frame()
            assert not set(_needles(record)) & {str(v).lower() for v in frame["right"]}
        standard = FEBRL.standardise_one(record)
        for rule, index in zip(resolver._rules, resolver._index, strict=True):
            assert rule.key_one(standard) not in index  # derived keys (phonetic codes...) too
            assert all(position not in bucket for bucket in index.values())
        for _, ordered in resolver._sorted:
            assert position not in ordered
        with pytest.raises(DataContractError, match="not known"):
            resolver.customer_of(record["rec_id"])


_PERSON_10 = FEBRL_RECORDS[FEBRL_RECORDS["rec_id"].str.startswith("rec-10-")]
FULL_10 = _PERSON_10[_PERSON_10["rec_id"] == "rec-10-org"].iloc[0].to_dict()


@pytest.fixture(scope="module")
def without_person_10() -> dict[str, Any]:
    """Every Febrl record but person 10's: their partial records then need a bridge."""
    return IdentityResolver.from_records(FEBRL_RECORDS.drop(_PERSON_10.index), FEBRL).to_dict()


def test_a_record_id_in_a_merge_event_is_scrubbed_when_the_record_is_removed(
    without_person_10, tmp_path
):
    local = IdentityResolver.from_dict(without_person_10)
    full = FULL_10
    address = {"given_name": None, "date_of_birth": None, "soc_sec_id": None}
    someone = {"surname": None, "address_1": None, "postcode": None, "suburb": None}
    local.add(full | address | {"rec_id": "x-address"})
    local.add(full | someone | {"rec_id": "x-person"})
    local.add(full | {"rec_id": "bridge-9313"})  # proves the two are one: a merge event
    assert local.events()["record_id"].tolist() == ["bridge-9313"]
    split = local.remove("bridge-9313")
    assert [e.kind for e in split] == ["split"]
    assert all(e.record_id is None for e in split)
    assert _in_memory(local, ["bridge-9313"]) == set()
    assert _in_files(local, tmp_path, ["bridge-9313"]) == set()
    assert local.events()["kind"].tolist() == ["merge", "split"]  # the facts stay, anonymous


def test_a_file_written_before_erasure_was_real_is_cleaned_on_load(base_state, tmp_path):
    """Earlier versions kept removed records with a null customer id: loading drops them."""
    old = json.loads(json.dumps(base_state))
    k = old["record_ids"].index(ERASED_AT_FIT["rec_id"])
    old["customer_ids"][k] = None
    kept = [c for c in old["customer_ids"] if c is not None]
    old["events"].append(
        {"kind": "split", "from_ids": [kept[0]], "into_id": kept[1], "at": "2025-01-01T00:00:00",
         "record_id": ERASED_AT_FIT["rec_id"]}
    )  # fmt: skip
    needles = _needles(ERASED_AT_FIT)
    loaded = IdentityResolver.from_dict(old)
    assert _in_memory(loaded, needles) == set()
    assert _in_files(loaded, tmp_path, needles) == set()
    assert loaded.n_records == len(kept)


# -- 2. forget(): a whole customer, a tombstone, an id never reissued ------------------


def test_forget_removes_every_record_of_the_customer_and_logs_a_tombstone(resolver, tmp_path):
    added = resolver.add(FORGOTTEN_DUPLICATE)
    customer = resolver.customer_of(FORGOTTEN["rec_id"])
    assert added.customer_id == customer
    needles = _needles(FORGOTTEN) + _needles(FORGOTTEN_DUPLICATE)
    stored = _stored(FORGOTTEN) + _stored(FORGOTTEN_DUPLICATE)
    assert _in_memory(resolver, stored) == set(stored)
    receipt = resolver.forget(customer, at=pd.Timestamp("2026-02-01", tz="UTC"))
    assert receipt.customer_id == customer
    assert receipt.records == 2
    assert receipt.event.kind == "forget"
    assert receipt.event.from_ids == (customer,)
    assert receipt.event.into_id is None
    assert receipt.event.record_id is None
    assert receipt.event.at == pd.Timestamp("2026-02-01", tz="UTC")
    assert customer not in set(resolver.customers())
    assert resolver.events()["kind"].tolist()[-1] == "forget"
    assert _in_memory(resolver, needles) == set()
    assert _in_files(resolver, tmp_path, needles) == set()
    with pytest.raises(DataContractError, match="forgotten"):
        resolver.forget(customer)
    with pytest.raises(DataContractError):
        resolver.forget("C9999999")


def test_a_forgotten_id_is_never_issued_again_not_even_after_a_reload(resolver, tmp_path):
    customer = resolver.customer_of(FORGOTTEN["rec_id"])
    resolver.forget(customer)
    again = resolver.add(FORGOTTEN)  # the same person signs up again: a new customer
    assert again.is_new
    assert again.customer_id != customer
    resolver.forget(again.customer_id)
    path = tmp_path / "state.json"
    resolver.save(path)
    loaded = IdentityResolver.load(path)
    third = loaded.add(FORGOTTEN | {"rec_id": "third-time"})
    assert third.customer_id not in {customer, again.customer_id}
    tombstones = loaded.events()[loaded.events()["kind"] == "forget"]
    assert [ids[0] for ids in tombstones["from_ids"]] == [customer, again.customer_id]


def test_forgetting_an_absorbed_id_points_to_the_survivor(without_person_10):
    local = IdentityResolver.from_dict(without_person_10)
    address = {"given_name": None, "date_of_birth": None, "soc_sec_id": None}
    someone = {"surname": None, "address_1": None, "postcode": None, "suburb": None}
    a = local.add(FULL_10 | address | {"rec_id": "x-a"})
    b = local.add(FULL_10 | someone | {"rec_id": "x-b"})
    local.add(FULL_10 | {"rec_id": "x-bridge"})
    assert local.events()["kind"].tolist() == ["merge"]
    absorbed = max(a.customer_id, b.customer_id)
    with pytest.raises(DataContractError, match="merged into"):
        local.forget(absorbed)


_PEOPLE = [
    {
        "given_name": given,
        "surname": surname,
        "address_1": f"{k + 1} {street} street",
        "suburb": city,
        "postcode": f"{2700 + k}",
        "date_of_birth": f"19{40 + k}0{1 + k % 9}1{k % 10}",
        "soc_sec_id": f"Z{k:03d}-PERSON",
    }
    for k, (given, surname, street, city) in enumerate(
        [
            ("araminta", "fenwickshaw", "obelisk", "quarrytown"),
            ("bartholomew", "gristlethorpe", "juniper", "mossvale"),
            ("cressida", "hollingbrook", "kestrel", "neverton"),
            ("desmondo", "ivyweather", "lantern", "oxbridge"),
        ]
    )
]


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["add", "remove", "forget", "reload"]), st.integers(0, 3)),
        min_size=1,
        max_size=14,
    )
)
def test_retired_customer_ids_never_come_back(base_state, tmp_path, steps):
    """Ids that disappear (forgotten, emptied, absorbed) are never handed out again."""
    local = IdentityResolver.from_dict(base_state)
    seen = set(local.customers())
    added: list[str] = []
    for n, (action, k) in enumerate(steps):
        before = set(local.customers())
        if action == "add":
            record = _PEOPLE[k] | {"rec_id": f"p{k}-{n}"}
            local.add(record)
            added.append(record["rec_id"])
        elif action == "remove" and added:
            local.remove(added.pop(k % len(added)))
        elif action == "forget" and added:
            local.forget(local.customer_of(added[k % len(added)]))
            added = [r for r in added if r in set(local.customers().index)]
        elif action == "reload":
            path = tmp_path / "state.json.gz"
            local.save(path)
            local = IdentityResolver.load(path)
        now = set(local.customers())
        retired = seen - before
        assert not (now & retired), f"retired ids {sorted(now & retired)} came back"
        assert not (now - before) & (seen - now), "a new customer got an id already used"
        seen |= now


# -- 3. loading untrusted files -------------------------------------------------------


@pytest.fixture(scope="module")
def small_state() -> dict[str, Any]:
    """A small real state with a merge, a split and a tombstone in its event log."""
    local = IdentityResolver.from_records(FEBRL_RECORDS.iloc[:40], FEBRL)
    first = local.add(_PEOPLE[0] | {"rec_id": "s-1"}, at=pd.Timestamp("2026-01-01", tz="UTC"))
    local.add(_PEOPLE[0] | {"rec_id": "s-2"}, at=pd.Timestamp("2026-01-02", tz="UTC"))
    local.add(_PEOPLE[1] | {"rec_id": "s-3"}, at=pd.Timestamp("2026-01-03", tz="UTC"))
    local.forget(first.customer_id, at=pd.Timestamp("2026-01-04", tz="UTC"))
    return json.loads(json.dumps(local.to_dict()))


def _write(folder: Path, name: str, payload: bytes) -> Path:
    path = folder / name
    path.write_bytes(gzip.compress(payload) if name.endswith(".gz") else payload)
    return path


def _use(resolver: IdentityResolver, folder: Path) -> None:
    """A loaded resolver must work: resolve, add, save and load again.

    A valid file may declare other columns (a mutated schema): records then
    miss them, which is a DataContractError of the record, not of the file.
    """
    schema = resolver.matcher.schema
    try:
        resolver.resolve(_PEOPLE[2] | {"rec_id": "probe"})
        resolver.add(_PEOPLE[3] | {"rec_id": "probe-new-record"})
    except DataContractError as error:
        refused: DataContractError | None = error
    else:
        refused = None
    if refused is not None:
        assert refused.column in {schema.record_id, *schema.fields().values()}
    resolver.save(folder / "again.json")
    IdentityResolver.load(folder / "again.json")


def _load_or_typed_error(path: Path) -> None:
    """Load ``path``: a working resolver, or a typed error that names the path or field."""
    error: Exception | None = None
    try:
        resolver = IdentityResolver.load(path)
    except (StorageError, DataContractError) as caught:
        error = caught
    if isinstance(error, StorageError):
        assert error.path == str(path)
        assert str(path) in str(error)
    elif isinstance(error, DataContractError):
        assert error.column, "a DataContractError must name the field"
    else:
        _use(resolver, path.parent)


@pytest.mark.parametrize("name", ["state.json", "state.json.gz"])
def test_a_truncated_file_is_a_storage_error_naming_the_path(small_state, tmp_path, name):
    path = tmp_path / name
    IdentityResolver.from_dict(small_state).save(path)
    whole = path.read_bytes()
    for cut in sorted({0, 1, 9, 10, 20, *range(0, len(whole), max(len(whole) // 25, 1))}):
        path.write_bytes(whole[: min(cut, len(whole) - 1)])
        with pytest.raises(StorageError) as caught:
            IdentityResolver.load(path)
        assert caught.value.path == str(path)
        assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 200_000 + b"]" * 200_000,  # deeper than the JSON parser's recursion
        b'{"format": ' + b"[" * 100_000,
        b"\xff\xfe\x00garbage",
        b"",
    ],
)
def test_not_json_is_a_storage_error(tmp_path, payload):
    for name in ("bad.json", "bad.json.gz"):
        path = _write(tmp_path, name, payload)
        with pytest.raises(StorageError) as caught:
            IdentityResolver.load(path)
        assert caught.value.path == str(path)


@pytest.mark.parametrize("document", ["[]", "7", '"x"', "null", "{}", '{"format": 1}'])
def test_json_that_is_no_resolver_is_a_data_contract_error(tmp_path, document):
    path = _write(tmp_path, "other.json", document.encode())
    with pytest.raises(DataContractError) as caught:
        IdentityResolver.load(path)
    assert caught.value.column


def test_a_rewound_id_counter_is_refused(small_state):
    IdentityResolver.from_dict(small_state)  # the real file loads
    live = {int(c[1:]) for c in small_state["customer_ids"]}
    tombstones = [e["from_ids"][0] for e in small_state["events"] if e["kind"] == "forget"]
    forgotten = int(tombstones[0][1:])
    assert forgotten > max(live) - 2  # the forgotten id is among the newest
    for rewound in (1, max(live), forgotten, small_state["next"] - 1):
        if rewound >= small_state["next"]:
            continue
        with pytest.raises(DataContractError) as caught:
            IdentityResolver.from_dict(small_state | {"next": rewound})
        assert caught.value.column == "next"
    # an id known only from its tombstone counts too: no live record holds it
    biggest = max(int(i[1:]) for e in small_state["events"] for i in e["from_ids"])
    with pytest.raises(DataContractError, match="next"):
        IdentityResolver.from_dict(small_state | {"next": biggest})


def test_a_file_where_a_forgotten_or_absorbed_id_owns_records_is_refused(small_state):
    forgotten = next(e["from_ids"][0] for e in small_state["events"] if e["kind"] == "forget")
    customers = list(small_state["customer_ids"])
    customers[0] = forgotten
    with pytest.raises(DataContractError) as caught:
        IdentityResolver.from_dict(small_state | {"customer_ids": customers})
    assert caught.value.column == "customer_ids"
    assert caught.value.value == forgotten


def _paths(node: object, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths to every node; long lists contribute their first three items only."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for k, value in enumerate(node[:3]):
            yield from _paths(value, (*prefix, k))


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def _mutated(document: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    copy = json.loads(json.dumps(document))
    if not path:
        return value
    parent = _get(copy, path[:-1])
    if action == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return copy


def _is_data_map(path: tuple[Any, ...]) -> bool:
    """Keys that are data (a value's share), not structure: deleting one may be fine."""
    return len(path) >= 3 and path[1] == "term_frequencies"  # matcher.term_frequencies.<f>.<v>


_ODD = st.sampled_from(
    [None, True, False, 0, -1, 1, 2, 10**30, 0.5, -0.5, 1e308, "", "x", "C0000001", "merge",
     "forget", "split", "sorted", "rule", "nysiis", "exact", "jaro_winkler", "2026-01-01",
     [], {}, [None], ["x"], {"x": 1}, math.nan, math.inf]
)  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)


# Keys added by #14 that files saved before it lack: absent, they take the old meaning.
_OPTIONAL_KEYS = frozenset({"person_fields", "related_groups_kept", "conditional", "given"})


def test_every_structural_key_is_required(small_state):
    paths = [p for p in _paths(small_state) if p and isinstance(p[-1], str)]
    paths = [p for p in paths if not _is_data_map(p) and p[-1] not in _OPTIONAL_KEYS]
    assert len(paths) > 100
    for path in paths:
        document = _mutated(small_state, path, "delete", None)
        with pytest.raises(DataContractError) as caught:
            IdentityResolver.from_dict(document)
        assert caught.value.column, path


def test_every_value_of_the_wrong_type_is_refused(small_state):
    wrong: dict[type, Any] = {str: [1], int: "7", float: "0.5", bool: "yes", list: "x", dict: "x"}
    checked = 0
    for path in _paths(small_state):
        if not path:
            continue
        original = _get(small_state, path)
        if original is None or type(original) not in wrong:
            continue
        document = _mutated(small_state, path, "replace", wrong[type(original)])
        with pytest.raises(DataContractError) as caught:
            IdentityResolver.from_dict(document)
        assert caught.value.column, path
        checked += 1
    assert checked > 150


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_mutation_of_a_real_file_loads_correctly_or_raises_a_typed_error(
    small_state, tmp_path_factory, data
):
    paths = list(_paths(small_state))
    path = data.draw(st.sampled_from(paths), label="path")
    action = data.draw(st.sampled_from(["delete", "replace"] if path else ["replace"]))
    value = data.draw(_ODD | _JSON, label="value")
    document = _mutated(small_state, path, action, value)
    folder = tmp_path_factory.mktemp("mutation")
    name = data.draw(st.sampled_from(["m.json", "m.json.gz"]))
    _load_or_typed_error(_write(folder, name, json.dumps(document).encode()))


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_damaged_bytes_load_correctly_or_raise_a_typed_error(
    small_state, tmp_path_factory, data
):
    folder = tmp_path_factory.mktemp("bytes")
    name = data.draw(st.sampled_from(["b.json", "b.json.gz"]))
    path = folder / name
    IdentityResolver.from_dict(small_state).save(path)
    raw = bytearray(path.read_bytes())
    flips = data.draw(
        st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(1, 255)), min_size=1)
    )
    for at, mask in flips:
        raw[at] ^= mask
    path.write_bytes(bytes(raw))
    _load_or_typed_error(path)


def test_every_from_dict_refuses_what_it_cannot_read(small_state):
    matcher = small_state["matcher"]
    for build, good in (
        (RecordMatcher.from_dict, matcher),
        (FellegiSunter.from_dict, matcher["model"]),
        (RecordSchema.from_dict, matcher["schema"]),
    ):
        build(good)
        for bad in ({}, [], None, "x", good | {"unexpected": 1}):
            with pytest.raises(DataContractError) as caught:
                build(bad)
            assert caught.value.column


def test_a_sorted_neighbourhood_on_an_unknown_field_is_refused(small_state):
    matcher = json.loads(json.dumps(small_state["matcher"]))
    matcher["blocking"].append({"type": "sorted", "fields": ["nickname"], "window": 4})
    with pytest.raises(DataContractError, match="nickname"):
        IdentityResolver.from_dict(small_state | {"matcher": matcher})
    assert any(isinstance(r, SortedNeighbourhood) for r in RecordMatcher.from_dict(
        small_state["matcher"]).blocking_)  # fmt: skip
