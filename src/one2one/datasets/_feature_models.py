"""Product models: real product-line feature models in UVL, and a made-to-order bicycle."""

from __future__ import annotations

import gzip
import json
from typing import Any, Literal

from ..errors import DataContractError
from ._files import open_data

__all__ = ["FEATURE_MODELS", "load_feature_model", "load_product_model"]

FeatureModelName = Literal["bike", "berkeleydb", "axtls", "busybox", "automotive01"]

FEATURE_MODELS: dict[str, str] = {
    "bike": "bike.uvl.gz",
    "berkeleydb": "berkeleydb.uvl.gz",
    "axtls": "axTLS.uvl.gz",
    "busybox": "busybox_2010-05-02_14-17-07.uvl.gz",
    "automotive01": "automotive01.uvl.gz",
}
"""Bundled models: bike (11 features, attributes and arithmetic constraints),
BerkeleyDB (76 features, 4,080,389,785 configurations), axTLS (96 features,
826,244,333,568 configurations), BusyBox (631 features) and Automotive01
(2,513 features)."""


def load_feature_model(name: FeatureModelName) -> str:
    """Return the UVL text of a bundled feature model (read it with ``one2one.customize.read_uvl``).

    The text, not a parsed model, so that datasets stays below the rooms and the
    same files can be read by any other UVL tool.

    Parameters
    ----------
    name
        One of :data:`FEATURE_MODELS`: ``"bike"``, ``"berkeleydb"``, ``"axtls"``,
        ``"busybox"`` or ``"automotive01"``.

    Returns
    -------
    str
        The model in the Universal Variability Language.

    Raises
    ------
    DataContractError
        If ``name`` is not a bundled model (the message lists them).

    Examples
    --------
    >>> load_feature_model("bike").split()[0]
    'features'
    """
    if name not in FEATURE_MODELS:
        msg = f"unknown feature model {name!r}; choose one of {sorted(FEATURE_MODELS)}."
        raise DataContractError(msg, column="name", value=name)
    with open_data(FEATURE_MODELS[name]) as handle:
        return gzip.decompress(handle.read()).decode("utf-8")


def load_product_model(name: str = "bicycle") -> dict[str, Any]:
    """Return a bundled product model's dict form (build it with ``ProductModel.from_dict``).

    ``"bicycle"``: a made-to-order bicycle of 23 options (frame, geometry,
    gears, brakes, accessories, 1-3 bottle cages, e-assist) with prices, costs,
    lead times (days), weights (kg) and comfort/speed/durability scores, five
    rules and a 16 kg weight limit; the tutorials' running example.

    Parameters
    ----------
    name
        The model; ``"bicycle"`` is the only one bundled.

    Returns
    -------
    dict of str to object
        A fresh dict (safe to modify) in the form ``ProductModel.from_dict`` reads.

    Raises
    ------
    DataContractError
        If ``name`` is not ``"bicycle"``.

    Examples
    --------
    >>> load_product_model()["name"]
    'made-to-order bicycle'
    """
    if name != "bicycle":
        msg = f"unknown product model {name!r}; choose 'bicycle'."
        raise DataContractError(msg, column="name", value=name)
    with open_data("bicycle.json") as handle:
        data: dict[str, Any] = json.loads(handle.read().decode("utf-8"))
    return data
