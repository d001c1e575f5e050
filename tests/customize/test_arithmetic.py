"""Counted options and linear rules (the CP-SAT engine) against brute force on random models."""

import itertools

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from one2one.customize import (
    ConfigurationSession,
    Configurator,
    Group,
    LinearRule,
    Needs,
    Option,
    PriceList,
    PriceRule,
    ProductModel,
    Rule,
    optimise,
    recommend,
)
from one2one.customize._check import broken_rules, quantities
from one2one.customize._formula import Var
from one2one.errors import ConfigurationConflictError, DataContractError

from .test_engine import models


@st.composite
def counted_models(draw):
    """A random Boolean model, some options made counted, integer weights and a weight limit."""
    base = draw(models())
    options = []
    for option in base.options:
        weight = float(draw(st.integers(0, 4)))
        domain = None
        if option.name != base.root and draw(st.booleans()):
            low = draw(st.integers(1, 2))
            domain = (low, low + draw(st.integers(0, 2)))
        options.append(Option(option.name, attributes={"weight": weight}, domain=domain))
    linear = [
        LinearRule("light", "weight", draw(st.sampled_from(["<", "<=", ">=", "=="])), limit)
        for limit in draw(st.lists(st.integers(0, 12).map(float), max_size=1))
    ]
    return ProductModel("counted", options, base.groups, base.rules, linear)


def _valid(model):
    """Every valid configuration, by trying every value of every option."""
    names = [o.name for o in model.options]
    out = []
    for values in itertools.product(*(o.values() for o in model.options)):
        config = dict(zip(names, values, strict=True))
        counts = {n: int(v) for n, v in config.items()}
        if not broken_rules(model, counts):
            out.append(config)
    return out


def _keeps(config, chosen):
    return all(config[k] == v for k, v in chosen.items())


def _parse(words):
    if words.endswith(" selected"):
        return words[: -len(" selected")], True
    if words.endswith(" left out"):
        return words[: -len(" left out")], False
    name, value = words.rsplit(" = ", 1)
    return name, int(value)


@settings(max_examples=60, deadline=None)
@given(counted_models(), st.data())
def test_counted_and_linear_models_agree_with_brute_force(model, data):
    try:
        engine = Configurator(model)
    except ConfigurationConflictError:
        assert not _valid(model)
        return
    valid = _valid(model)
    assert engine.count() == len(valid) > 0
    names = [o.name for o in model.options]
    option = st.sampled_from(model.options)
    picks = data.draw(st.lists(option, max_size=3, unique_by=lambda o: o.name))
    chosen = {o.name: data.draw(st.sampled_from(o.values())) for o in picks}
    keeping = [v for v in valid if _keeps(v, chosen)]
    if not keeping:
        with pytest.raises(ConfigurationConflictError):
            engine.propagate(chosen)
        explanation = engine.explain(chosen)
        conflict = dict(_parse(w) for w in explanation.conflict)
        assert conflict
        assert not any(_keeps(v, conflict) for v in valid)  # a real conflict
        for drop in conflict:  # and minimal
            assert any(_keeps(v, {k: c for k, c in conflict.items() if k != drop}) for v in valid)
        repair = dict(_parse(w) for w in explanation.repair)
        assert any(_keeps(v, {k: c for k, c in chosen.items() if k not in repair}) for v in valid)
        return
    propagation = engine.propagate(chosen)
    for name in names:
        assert propagation.possible[name] == {v[name] for v in keeping}  # offered iff reachable
    assert engine.complete(chosen) in keeping
    assert engine.count(chosen) == len(keeping)
    for sample in engine.sample(3, chosen, random_state=0):
        assert any(sample == {n for n, v in config.items() if v} for config in keeping)


@settings(max_examples=40, deadline=None)
@given(counted_models(), st.floats(0, 20), st.data())
def test_the_recommendation_is_no_worse_than_any_valid_configuration(model, budget, data):
    valid = _valid(model)
    assume(valid)
    likes = {o.name: data.draw(st.integers(-3, 3).map(float)) for o in model.options}
    priced = ProductModel(
        model.name,
        [
            Option(
                o.name,
                attributes={**o.attributes, "price": o.attributes["weight"]},
                domain=o.domain,
            )
            for o in model.options
        ],
        model.groups,
        model.rules,
        model.linear_rules,
    )
    prices = PriceList(priced)

    def utility(config):
        return sum(likes[n] * int(v) for n, v in config.items())

    affordable = [
        c
        for c in valid
        if sum(o.attributes["weight"] * int(c[o.name]) for o in model.options) <= budget
    ]
    if not affordable:
        with pytest.raises(ConfigurationConflictError):
            recommend(prices, Needs(likes=likes, budget=budget), alternatives=0)
        return
    best = recommend(prices, Needs(likes=likes, budget=budget), alternatives=0)[0]
    assert best.utility >= max(utility(c) for c in affordable) - 1e-9
    chosen = {o.name: best.quantities.get(o.name, o.name in best.selected) for o in model.options}
    assert not broken_rules(model, quantities(model, chosen))
    assert best.quote.list_price <= budget + 1e-9


def test_a_bicycle_with_bottle_cages_and_a_weight_limit():
    model = ProductModel(
        "bike",
        [
            Option("bike", attributes={"weight": 8.0, "price": 500.0}),
            Option("cage", attributes={"weight": 0.5, "price": 12.0}, domain=(1, 3)),
            Option("rack", attributes={"weight": 2.0, "price": 40.0}),
            Option("carbon", attributes={"weight": -1.5, "price": 300.0}),
        ],
        [Group("bike", "optional", ["cage", "rack", "carbon"])],
        [Rule.excludes("carbon", "rack")],
        [LinearRule("light", "weight", "<=", 10.5)],
    )
    engine = Configurator(model)
    assert engine.propagate({"rack": True}).possible["cage"] == {
        0,
        1,
    }  # 8 + 2 + 2 x 0.5 is too heavy
    assert engine.propagate({"carbon": True}).possible["cage"] == {0, 1, 2, 3}
    with pytest.raises(ConfigurationConflictError, match="cage = 3"):
        engine.propagate({"rack": True, "cage": 3})
    assert "light" in engine.check({"bike": True, "rack": True, "cage": 2})[0]
    with pytest.raises(DataContractError, match="quantity"):
        engine.propagate({"cage": True})  # a counted option needs its quantity
    with pytest.raises(DataContractError, match=r"1\.\.3"):
        engine.propagate({"cage": 7})
    quote = PriceList(model).quote({"bike": True, "cage": 2})
    assert quote.price == 524.0
    assert quote.bill_of_materials.set_index("option").loc["cage", "quantity"] == 2
    session = ConfigurationSession(engine)
    step = session.choose("rack")
    assert ("cage", 2, "rack selected") in step.ruled_out
    again = ProductModel.from_dict(model.to_dict())
    assert again == model
    # by hand: bare 1, with 1-3 cages 3, rack (and one cage) 2, carbon (and 0-3 cages) 4
    assert Configurator(again).count() == engine.count() == 10


def test_counted_options_refuse_bad_domains():
    for domain in [(0, 2), (3, 2), (1, 5000), (1.0, 2), "1..3"]:
        with pytest.raises(DataContractError, match="domain"):
            Option("x", domain=domain)


@settings(max_examples=40, deadline=None)
@given(
    counted_models(),
    st.sampled_from(["price", "cost", "lead_time", "margin"]),
    st.sampled_from(["max", "sum"]),
    st.data(),
)
def test_optimise_is_no_worse_than_any_valid_configuration(model, objective, mode, data):
    valid = _valid(model)
    assume(valid)
    number = st.integers(0, 9).map(float)
    options = [
        Option(
            o.name,
            attributes={
                "price": data.draw(number),
                "cost": data.draw(number),
                "lead_time": data.draw(number),
                "weight": o.attributes["weight"],
            },
            domain=o.domain,
        )
        for o in model.options
    ]
    priced = ProductModel(model.name, options, model.groups, model.rules, model.linear_rules)
    names = [o.name for o in options]
    rules = [
        PriceRule("bundle", Var(data.draw(st.sampled_from(names))), amount=-2.0, percent=-0.25),
        PriceRule("surcharge", Var(data.draw(st.sampled_from(names))), amount=3.0),
    ]
    prices = PriceList(priced, base_price=5.0, rules=rules, lead_time_mode=mode)

    def measure(quote):
        return {
            "price": quote.list_price,
            "cost": quote.cost,
            "lead_time": quote.lead_time,
            "margin": -quote.margin,
        }[objective]

    everything = [prices.quote({n: v for n, v in c.items() if v}) for c in valid]
    best = optimise(prices, objective)
    assert measure(best) <= min(measure(q) for q in everything) + 1e-6
    budget = data.draw(st.floats(0, 60))
    affordable = [q for q in everything if q.list_price <= budget]
    if not affordable:
        with pytest.raises(ConfigurationConflictError):
            optimise(prices, objective, budget=budget)
        return
    within = optimise(prices, objective, budget=budget)
    assert within.list_price <= budget + 1e-6
    assert measure(within) <= min(measure(q) for q in affordable) + 1e-6


def test_the_engine_and_the_checker_agree_at_a_bound():
    # 0.1 + 0.1 + 0.1 > 0.3 in floats; totals are compared in thousandths everywhere.
    parts = [Option(x, attributes={"w": 0.1, "price": 1.0}) for x in "abc"]
    model = ProductModel(
        "m",
        [Option("p"), *parts],
        [Group("p", "optional", list("abc"))],
        linear_rules=[LinearRule("cap", "w", "<=", 0.3)],
    )
    full = {"p": True, "a": True, "b": True, "c": True}
    assert Configurator(model).complete(full) == full
    assert Configurator(model).check(full) == []
    assert optimise(PriceList(model), "margin").price == 3.0


def test_recommend_counts_price_rules_inside_the_budget():
    model = ProductModel(
        "m",
        [
            Option("p"),
            Option("a", attributes={"price": 10.0}),
            Option("b", attributes={"price": 10.0}),
        ],
        [Group("p", "optional", ["a", "b"])],
    )
    prices = PriceList(model, rules=[PriceRule("pair", "a & b", amount=-5.0)])
    best = recommend(prices, Needs(likes={"a": 1.0, "b": 1.0}, budget=15.0), alternatives=0)[0]
    assert best.selected == {"p", "a", "b"}  # 20 - 5 fits a budget of 15
    assert best.quote.list_price == 15.0


def test_a_session_exported_twice_is_stored_once():
    from one2one.interact import InteractionLog  # noqa: PLC0415

    model = ProductModel(
        "m", [Option("p"), Option("a"), Option("b")], [Group("p", "optional", ["a", "b"])]
    )
    session = ConfigurationSession(Configurator(model), customer_id="c1")
    session.choose("a")
    session.undo()
    session.choose("b")
    log = InteractionLog()
    assert log.append(session.to_interactions()).stored == 1
    assert log.append(session.to_interactions()).stored == 0
    assert len({s.step_id for s in session.steps}) == len(session.steps)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=8),
    st.booleans(),
)
def test_combination_tables_allow_or_forbid_exactly_their_rows(rows, allow):
    names = ["a", "b", "c"]
    table = (Rule.allowed if allow else Rule.forbidden)("table", names, rows)
    model = ProductModel(
        "m", [Option("p"), *(Option(n) for n in names)], [Group("p", "optional", names)], [table]
    )
    listed = set(rows)
    expected = {
        bits for bits in itertools.product([False, True], repeat=3) if (bits in listed) == allow
    }
    try:
        engine = Configurator(model)
    except ConfigurationConflictError:
        assert not expected
        return
    found = {tuple(c[n] for n in names) for c in _valid(model)}
    assert found == expected
    assert engine.count() == len(expected)


def test_combination_tables_name_the_bad_row():
    with pytest.raises(DataContractError, match="combination 1"):
        Rule.allowed("t", ["a", "b"], [(True, False), (True,)])
    with pytest.raises(DataContractError, match="at least one row"):
        Rule.forbidden("t", ["a", "b"], [])
