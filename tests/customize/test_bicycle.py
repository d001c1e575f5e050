"""The bundled bicycle (the tutorials' and the demo's example) against brute force."""

import itertools

from one2one.customize import Configurator, ProductModel
from one2one.customize._check import broken_rules, quantities
from one2one.datasets import load_product_model

MODEL = ProductModel.from_dict(load_product_model("bicycle"))


def _every_candidate():
    """Every configuration that picks one of each alternative (all others are invalid)."""
    accessories = ["carrier", "mudguards", "dynamo_lights", "kickstand"]
    for frame, geometry, gears, brakes, extras, cages, assist in itertools.product(
        ["aluminium", "steel", "carbon"],
        ["road", "touring", "city"],
        ["single_speed", "hub_8", "derailleur_11"],
        ["rim_brakes", "disc_brakes"],
        itertools.product([False, True], repeat=len(accessories)),
        range(4),
        [False, True],
    ):
        config = dict.fromkeys(["bicycle", "frame", "geometry", "gears", "brakes"], True)
        config |= {frame: True, geometry: True, gears: True, brakes: True, "e_assist": assist}
        config |= dict(zip(accessories, extras, strict=True))
        config["bottle_cage"] = cages
        config["accessories"] = any(extras) or cages > 0
        yield config


def test_the_bicycle_count_matches_checking_every_candidate():
    valid = [c for c in _every_candidate() if not broken_rules(MODEL, quantities(MODEL, c))]
    assert Configurator(MODEL).count() == len(valid)
    heaviest = max(
        sum(o.attributes.get("weight", 0.0) * int(c.get(o.name, 0)) for o in MODEL.options)
        for c in valid
    )
    assert heaviest <= 16.0  # the weight limit holds in every valid bicycle
