"""Customize: a mass-customization configurator that fits each customer.

Being built in steps. Available now:

* the product model (:class:`ProductModel` of :class:`Option`, :class:`Group`,
  :class:`Rule`, :class:`LinearRule`), checked when built, with a JSON form;
* UVL import (:func:`load_uvl`, :func:`read_uvl`) of product-line feature models;
* the engine (:class:`Configurator`): validity with every broken rule in words,
  exact propagation, completion, exact counts, uniform samples, and
  explanations (QuickXplain conflicts, FastDiag repairs);
* pricing (:class:`PriceList`, :class:`PriceRule`, :class:`Adjustment`,
  :class:`Quote`): option prices, bundles and surcharges, personal terms under a
  fair-pricing guard, cost, margin, lead time and a bill of materials.

Fitting a configuration to one customer and
configuration sessions follow (see the project issues).
"""

from .._exports import public_api
from ._engine import Configurator, Explanation, Propagation
from ._formula import parse_formula
from ._model import Group, LinearRule, Option, ProductModel, Rule
from ._pricing import Adjustment, PriceList, PriceRule, Quote
from ._uvl import load_uvl, read_uvl

__all__ = [
    "Adjustment",
    "Configurator",
    "Explanation",
    "Group",
    "LinearRule",
    "Option",
    "PriceList",
    "PriceRule",
    "ProductModel",
    "Propagation",
    "Quote",
    "Rule",
    "load_uvl",
    "parse_formula",
    "read_uvl",
]

__dir__ = public_api(globals(), __all__)
