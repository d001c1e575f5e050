"""Saved models and learner states are untrusted input.

A file or dict handed to ``load``/``from_dict`` may be damaged or written by an
attacker. Each attack below starts from a real saved model or learner and
breaks it: keys dropped, values of the wrong type, negative, zero, NaN or
infinite parameters, truncated or garbled bytes. The promise: either the load
is refused with one2one's own ``DataContractError`` (bad content) or
``StorageError`` (unreadable file), or the loaded object works and predicts
finite, non-negative numbers (probabilities within [0, 1]); never a raw
``KeyError``/``TypeError``/``OverflowError``/..., never a model predicting
negative or NaN purchases.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from one2one.clv import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    LifetimeModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeometricModel,
)
from one2one.datasets import load_cdnow_summary, load_donations, load_retention_cohorts
from one2one.errors import (
    ConvergenceError,
    DataContractError,
    StorageError,
)
from one2one.interact import BetaThompson, LinearThompson

# --------------------------------------------------------------------------- the models


@functools.cache
def _cdnow() -> pd.DataFrame:
    summary = load_cdnow_summary()
    vip = (np.random.default_rng(1).random(len(summary)) < 0.3).astype(float)
    return summary.assign(vip=vip)


@functools.cache
def _survivors() -> pd.DataFrame:
    table = load_retention_cohorts()
    return table[table["cohort"] == "Regular"]


def _transaction_probe(model: Any) -> list[np.ndarray]:
    rows = _cdnow().iloc[::97]
    predicted = model.predict(rows, 10)
    return [
        predicted["p_alive"].to_numpy(),
        predicted["expected_purchases"].to_numpy(),
        model.expected_purchases([1.0, 10.0]),
        model.proba_purchases([0, 1, 2], 10.0),
    ]


def _spend_probe(model: Any) -> list[np.ndarray]:
    return [model.predict_spend(_cdnow().iloc[::97]).to_numpy(), np.array([model.mean_spend()])]


def _bgbb_probe(model: Any) -> list[np.ndarray]:
    predicted = model.predict(load_donations(), 5)
    return [
        predicted["p_alive"].to_numpy(),
        predicted["expected_purchases"].to_numpy(),
        model.expected_purchases([1, 5]),
    ]


def _sbg_probe(model: Any) -> list[np.ndarray]:
    return [
        model.survival([0, 1, 5]),
        model.churn_probability([1, 2]),
        model.retention_rate([1, 5]),
        np.array([model.expected_lifetime(10)]),
        model.discounted_residual_lifetime([0, 3], 0.1),
    ]


# name -> (class, constructor options, data to fit on, probe of its predictions)
MODELS: dict[str, tuple[type[LifetimeModel], dict[str, Any], Callable[[], Any], Callable[..., Any]]]
MODELS = {
    "bgnbd": (BetaGeoModel, {}, _cdnow, _transaction_probe),
    "mbgnbd": (ModifiedBetaGeoModel, {}, _cdnow, _transaction_probe),
    "paretonbd": (ParetoNBDModel, {}, _cdnow, _transaction_probe),
    "bgnbd_covariates": (
        BetaGeoModel,
        {"purchase_covariates": ["vip"], "dropout_covariates": ["vip"]},
        _cdnow,
        _transaction_probe,
    ),
    "gammagamma": (GammaGammaModel, {}, _cdnow, _spend_probe),
    "bgbb": (BetaGeoBetaBinomModel, {}, load_donations, _bgbb_probe),
    "sbg": (ShiftedBetaGeometricModel, {}, _survivors, _sbg_probe),
}
PROBABILITIES = {"p_alive"}


@functools.cache
def _saved(name: str) -> str:
    """The JSON text of a real fitted model (fitted once per test session)."""
    cls, options, data, _ = MODELS[name]
    return json.dumps(cls(**options).fit(data()).to_dict())


def _assert_sane(name: str, model: LifetimeModel) -> None:
    """A loaded model predicts finite, non-negative numbers (or refuses with a typed error)."""
    probe = MODELS[name][3]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            outputs = probe(model)
    except (DataContractError, ConvergenceError):
        return  # a documented refusal (e.g. infinite mean spend when q <= 1)
    for values in outputs:
        array = np.asarray(values, dtype=np.float64)
        assert np.all(np.isfinite(array)), f"{name}: non-finite prediction {array}"
        assert np.all(array >= 0), f"{name}: negative prediction {array}"
    if hasattr(model, "predict_proba_alive") and name != "sbg":
        assert np.all(outputs[0] <= 1.0)


# --------------------------------------------------------------------- mutations

HOSTILE = st.sampled_from(
    [
        -1,
        -1.0,
        0,
        0.0,
        -0.0,
        math.nan,
        math.inf,
        -math.inf,
        1e308,
        -1e308,
        5e-324,
        1e-300,
        True,
        False,
        None,
        "1.0",
        "",
        [],
        {},
        [1.0],
        {"a": 1},
        10**400,
        2**63,
        -(2**63),
        "vip",
        "error",
        "L-BFGS-B",
    ]
)
"""Values an attacker or a damaged file would put in a field: out of domain, or of the
wrong type. (Values inside the domain that fit can produce come from the "scale" step;
the numerical range of the maths itself is not what a loader can judge.)"""


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position in a JSON tree, as a key path (the root excluded)."""
    found = []
    if isinstance(tree, dict):
        items = list(tree.items())
    elif isinstance(tree, list):
        items = list(enumerate(tree))
    else:
        return []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


@st.composite
def mutated(draw: st.DrawFn, original: Any) -> Any:
    """The original tree with one to three positions dropped, replaced or rescaled."""
    tree = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(tree)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = tree
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        operation = draw(st.sampled_from(["drop", "replace", "scale", "negate"]))
        value = parent[key]
        numeric = (
            isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e300
        )
        if operation == "drop":
            del parent[key]
        elif operation == "scale" and numeric:
            parent[key] = value * draw(st.floats(0.5, 2.0))
        elif operation == "negate" and numeric:
            parent[key] = -value
        else:
            parent[key] = copy.deepcopy(draw(HOSTILE))
    return tree


# ---------------------------------------------------------------------- clv models


@pytest.mark.parametrize("name", list(MODELS))
def test_a_saved_model_round_trips_through_a_file(name, tmp_path):
    cls = MODELS[name][0]
    path = tmp_path / "model.json"
    path.write_text(_saved(name), encoding="utf-8")
    model = cls.load(path)
    assert json.dumps(model.to_dict()) == _saved(name)
    _assert_sane(name, model)


@pytest.mark.parametrize("name", ["bgnbd", "paretonbd", "gammagamma", "bgbb", "sbg"])
@pytest.mark.parametrize("bad", [-1.0, 0.0, math.nan, math.inf, -math.inf])
def test_a_negative_zero_or_non_finite_parameter_is_refused_naming_it(name, bad):
    cls = MODELS[name][0]
    data = json.loads(_saved(name))
    first = next(iter(data["params"]))
    data["params"][first] = bad
    with pytest.raises(DataContractError, match=f"params.{first}") as caught:
        cls.from_dict(data)
    assert caught.value.column == f"params.{first}"


def test_the_issue_example_r_minus_one_no_longer_predicts_negative_purchases(tmp_path):
    data = json.loads(_saved("bgnbd"))
    data["params"]["r"] = -1
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataContractError, match=r"params\.r.*-1"):
        BetaGeoModel.load(path)


def test_a_file_of_another_model_class_or_version_is_refused():
    with pytest.raises(DataContractError, match="not a ModifiedBetaGeoModel"):
        ModifiedBetaGeoModel.from_dict(json.loads(_saved("bgnbd")))
    with pytest.raises(DataContractError, match="version"):
        BetaGeoModel.from_dict(json.loads(_saved("bgnbd")) | {"version": 2})
    for not_a_model in ([], "model", None, 3, {"format": "pickle"}):
        with pytest.raises(DataContractError):
            BetaGeoModel.from_dict(not_a_model)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe\x00garbage",
        b"[" * 100_000,
        b'{"format": "one2one.clv", "version": 1',
        b"1" * 5_000,
    ],
    ids=["empty", "not-utf8", "deeply-nested", "truncated", "huge-integer"],
)
def test_an_unreadable_file_raises_storage_error_naming_the_path(content, tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(content)
    with pytest.raises(StorageError) as caught:
        BetaGeoModel.load(path)
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)


def test_a_missing_file_or_a_directory_raises_storage_error(tmp_path):
    for path in (tmp_path / "missing.json", tmp_path):
        with pytest.raises(StorageError) as caught:
            BetaGeoModel.load(path)
        assert caught.value.path == str(path)


@pytest.mark.parametrize("name", list(MODELS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_saved_model_loads_correctly_or_raises_a_typed_error(name, data):
    cls = MODELS[name][0]
    broken = data.draw(mutated(json.loads(_saved(name))))
    try:
        model = cls.from_dict(broken)
    except DataContractError:
        return
    _assert_sane(name, model)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_damaged_bytes_load_correctly_or_raise_a_typed_error(data, tmp_path_factory):
    name = data.draw(st.sampled_from(list(MODELS)))
    cls = MODELS[name][0]
    raw = _saved(name).encode()
    how = data.draw(st.sampled_from(["truncate", "flip", "splice"]))
    position = data.draw(st.integers(0, len(raw) - 1))
    if how == "truncate":
        damaged = raw[:position]
    elif how == "flip":
        damaged = raw[:position] + bytes([raw[position] ^ data.draw(st.integers(1, 255))])
        damaged += raw[position + 1 :]
    else:
        damaged = raw[:position] + data.draw(st.binary(max_size=8)) + raw[position:]
    path = tmp_path_factory.mktemp("damaged") / "model.json"
    path.write_bytes(damaged)
    try:
        model = cls.load(path)
    except (DataContractError, StorageError):
        return
    _assert_sane(name, model)


# ------------------------------------------------------------------------- learners


@functools.cache
def _beta_state() -> str:
    learner = BetaThompson(random_state=0)
    rng = np.random.default_rng(0)
    for _ in range(50):
        learner.update(str(rng.choice(["a", "b", "c"])), None, float(rng.random() < 0.3))
    return json.dumps(learner.to_dict())


@functools.cache
def _linear_state() -> str:
    learner = LinearThompson(2, random_state=0)
    rng = np.random.default_rng(0)
    for _ in range(50):
        learner.update(str(rng.choice(["a", "b"])), rng.normal(size=2), float(rng.random() < 0.3))
    return json.dumps(learner.to_dict())


def _assert_learner_works(learner: BetaThompson | LinearThompson) -> None:
    offers = ["a", "b", "c"]
    features = None if isinstance(learner, BetaThompson) else np.array([0.5, -1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = learner.expected(offers, features)
        position, propensity = learner.choose(offers, features)
    assert np.all(np.isfinite(expected))
    if isinstance(learner, BetaThompson):
        assert np.all((expected >= 0) & (expected <= 1))
    assert 0 <= position < len(offers)
    assert 0 < propensity <= 1


def test_learner_states_round_trip():
    for cls, state in ((BetaThompson, _beta_state()), (LinearThompson, _linear_state())):
        learner = cls.from_dict(json.loads(state), random_state=1)
        assert json.dumps(learner.to_dict()) == state
        _assert_learner_works(learner)


def test_a_learner_state_with_negative_counts_or_a_singular_precision_is_refused():
    beta = json.loads(_beta_state())
    beta["counts"]["a"] = [-5.0, 1.0]
    with pytest.raises(DataContractError, match=r"counts\.a"):
        BetaThompson.from_dict(beta)
    linear = json.loads(_linear_state())
    linear["precision"]["a"] = [[0.0] * 3] * 3
    with pytest.raises(DataContractError, match=r"precision\.a"):
        LinearThompson.from_dict(linear)
    with pytest.raises(DataContractError, match="learner"):
        LinearThompson.from_dict(json.loads(_beta_state()))


@pytest.mark.parametrize("cls", [BetaThompson, LinearThompson])
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_a_mutated_learner_state_loads_correctly_or_raises_a_typed_error(cls, data):
    state = _beta_state() if cls is BetaThompson else _linear_state()
    broken = data.draw(mutated(json.loads(state)))
    try:
        learner = cls.from_dict(broken, random_state=0)
    except DataContractError:
        return
    _assert_learner_works(learner)
