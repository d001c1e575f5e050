"""The configurator engine against brute force on random models, and the published counts."""

import itertools

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from one2one.customize import Configurator, Group, Option, ProductModel, Rule, read_uvl
from one2one.customize._formula import And, Implies, Not, Or, Var
from one2one.datasets import load_feature_model
from one2one.errors import ConfigurationConflictError, DataContractError


@st.composite
def models(draw):
    n = draw(st.integers(2, 7))
    names = [f"o{i}" for i in range(n)]
    parents = {names[i]: names[draw(st.integers(0, i - 1))] for i in range(1, n)}
    groups = []
    for parent in names:
        children = [c for c, p in parents.items() if p == parent]
        while children:
            size = draw(st.integers(1, len(children)))
            part, children = children[:size], children[size:]
            kind = draw(
                st.sampled_from(["mandatory", "optional", "alternative", "or", "cardinality"])
            )
            low = high = None
            if kind == "cardinality":
                low = draw(st.integers(0, len(part)))
                high = draw(st.integers(low, len(part)))
            groups.append(Group(parent, kind, part, low, high))
    atom = st.sampled_from(names).map(Var)
    formula = st.recursive(
        atom,
        lambda inner: st.one_of(
            inner.map(Not),
            st.tuples(inner, inner).map(And),
            st.tuples(inner, inner).map(Or),
            st.tuples(inner, inner).map(lambda ab: Implies(*ab)),
        ),
        max_leaves=4,
    )
    rules = [Rule(f"r{i}", f) for i, f in enumerate(draw(st.lists(formula, max_size=3)))]
    return ProductModel("random", [Option(x) for x in names], groups, rules)


def _valid(engine, model):
    names = [o.name for o in model.options]
    out = []
    for bits in itertools.product([False, True], repeat=len(names)):
        config = dict(zip(names, bits, strict=True))
        if not engine.check(config):
            out.append(config)
    return out


def _engine(model):
    try:
        return Configurator(model)
    except ConfigurationConflictError:
        return None


@settings(max_examples=80, deadline=None)
@given(models(), st.data())
def test_engine_agrees_with_brute_force(model, data):
    engine = _engine(model)
    assume(engine is not None)  # models with no valid configuration: tested below
    valid = _valid(engine, model)
    assert valid
    assert engine.count() == len(valid)
    names = [o.name for o in model.options]
    chosen = data.draw(st.dictionaries(st.sampled_from(names), st.booleans(), max_size=3))
    keeping = [v for v in valid if all(v[k] == c for k, c in chosen.items())]
    if not keeping:
        with pytest.raises(ConfigurationConflictError):
            engine.propagate(chosen)
        explanation = engine.explain(chosen)
        conflict = dict(_parse(w) for w in explanation.conflict)
        assert not any(
            all(v[k] == c for k, c in conflict.items()) for v in valid
        )  # a real conflict
        for drop in conflict:  # and minimal
            rest = {k: c for k, c in conflict.items() if k != drop}
            assert any(all(v[k] == c for k, c in rest.items()) for v in valid)
        repair = dict(_parse(w) for w in explanation.repair)
        kept = {k: c for k, c in chosen.items() if k not in repair}
        assert any(all(v[k] == c for k, c in kept.items()) for v in valid)
        return
    propagation = engine.propagate(chosen)
    for name in names:
        reachable = {v[name] for v in keeping}
        assert propagation.possible[name] == reachable  # offered iff some completion uses it
    completed = engine.complete(chosen)
    assert completed in keeping
    assert engine.count(chosen) == len(keeping)
    for sample in engine.sample(3, chosen, random_state=0):
        assert {n: n in sample for n in names} in keeping


def _parse(words):
    if words.endswith(" selected"):
        return words[: -len(" selected")], True
    return words[: -len(" left out")], False


def test_published_counts_are_reproduced_exactly():
    berkeley, _ = read_uvl(load_feature_model("berkeleydb"))
    axtls, _ = read_uvl(load_feature_model("axtls"))
    assert Configurator(berkeley).count() == 4_080_389_785
    assert Configurator(axtls).count() == 826_244_333_568


def test_samples_are_uniform_on_a_small_model():
    model = ProductModel(
        "m",
        [Option(x) for x in "rabc"],
        [Group("r", "or", ["a", "b", "c"])],
        [Rule("no ab", "!(a & b)")],
    )
    engine = Configurator(model)
    assert engine.count() == 5
    draws = engine.sample(5_000, random_state=1)
    counts = {}
    for d in draws:
        counts[d] = counts.get(d, 0) + 1
    assert len(counts) == 5
    assert all(abs(c / 5_000 - 0.2) < 0.03 for c in counts.values())


def test_large_models_load_and_propagate():
    busybox, _ = read_uvl(load_feature_model("busybox"))
    automotive, _ = read_uvl(load_feature_model("automotive01"))
    assert len(busybox.options) == 631
    assert len(automotive.options) == 2513
    assert len(automotive.rules) == 2833
    engine = Configurator(automotive)
    forced = engine.propagate().forced
    some = next(n for n in engine.names if n not in forced)
    for value in (True, False):
        try:
            after = engine.propagate({some: value})
        except ConfigurationConflictError:
            continue
        assert engine.check(engine.complete({some: value, **after.forced})) == []


def test_bad_models_and_choices_name_the_culprit():
    options = [Option(x) for x in ("bike", "frame", "bell")]
    with pytest.raises(DataContractError, match="rule 'needs horn' names unknown option 'horn'"):
        ProductModel(
            "m",
            options,
            [Group("bike", "optional", ["frame", "bell"])],
            [Rule("needs horn", "bell => horn")],
        )
    with pytest.raises(DataContractError, match="cycle"):
        ProductModel(
            "m",
            [*options, Option("x")],
            [
                Group("bike", "optional", ["frame"]),
                Group("bell", "optional", ["x"]),
                Group("x", "optional", ["bell"]),
            ],
        )
    with pytest.raises(DataContractError, match="exactly one root"):
        ProductModel("m", options, [Group("bike", "optional", ["frame"])])
    with pytest.raises(DataContractError, match=r"2\.\.3 of its 2 children"):
        ProductModel("m", options, [Group("bike", "cardinality", ["frame", "bell"], 2, 3)])
    with pytest.raises(DataContractError, match="twice"):
        ProductModel(
            "m", [*options, Option("bell")], [Group("bike", "optional", ["frame", "bell"])]
        )
    with pytest.raises(ConfigurationConflictError, match="no valid configuration"):
        Configurator(
            ProductModel(
                "m", options, [Group("bike", "mandatory", ["frame", "bell"])], [Rule("r", "!bell")]
            )
        )
    engine = Configurator(
        ProductModel("m", options, [Group("bike", "optional", ["frame", "bell"])])
    )
    with pytest.raises(DataContractError, match="unknown option 'horn'"):
        engine.propagate({"horn": True})
    with pytest.raises(DataContractError, match="True or False"):
        engine.propagate({"bell": "yes"})
    assert engine.check({"frame"}) == [
        "bike (the product itself) must be selected",
        "frame needs bike",
    ]


def test_model_dict_form_round_trips():
    model, _ = read_uvl(load_feature_model("berkeleydb"))
    again = ProductModel.from_dict(model.to_dict())
    assert again == model
    assert Configurator(again).count() == 4_080_389_785


def test_uvl_arithmetic_is_refused_or_skipped_by_line():
    with pytest.raises(DataContractError, match="line 20"):
        read_uvl(load_feature_model("bike"))
    bike, skipped = read_uvl(load_feature_model("bike"), skip_unsupported=True)
    assert [r.attribute for r in bike.linear_rules] == ["Weight", "Price"]
    assert len(skipped) == 3
    assert bike.option("Brake").attributes == {"Weight": 3.0}
    # "Training Wheels" cardinality [1..5] is a counted option: 0 (left out) to 5 copies.
    assert bike.option("Training Wheels").domain == (1, 5)
    # The engine reasons about the linear rules and the quantities (CP-SAT): its count and
    # propagation agree with checking every assignment of every value one by one.
    engine = Configurator(bike)
    names = [o.name for o in bike.options]
    valid = []
    for values in itertools.product(*(o.values() for o in bike.options)):
        config = dict(zip(names, values, strict=True))
        if not engine.check(config):
            valid.append(config)
    assert engine.count() == len(valid) > 0
    possible = engine.propagate().possible
    for name in names:
        assert possible[name] == {config[name] for config in valid}
