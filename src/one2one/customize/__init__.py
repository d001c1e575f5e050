"""Customize: a mass-customization configurator that fits each customer.

The whole loop of mass customization:

* the product model (:class:`ProductModel` of :class:`Option`, :class:`Group`,
  :class:`Rule`, :class:`LinearRule`): Boolean and counted options (a quantity
  in a range), groups with cardinalities, propositional rules and attribute
  totals, checked when built, with a JSON form;
* UVL import (:func:`load_uvl`, :func:`read_uvl`) of product-line feature models;
* the engine (:class:`Configurator`): validity with every broken rule in words,
  exact propagation, completion, exact counts, uniform samples, and
  explanations (QuickXplain conflicts, FastDiag repairs), on a SAT solver, or
  on CP-SAT when the model has counted options or linear rules;
* pricing (:class:`PriceList`, :class:`PriceRule`, :class:`Adjustment`,
  :class:`Quote`): option prices, bundles and surcharges, personal terms under a
  fair-pricing guard, cost, margin, lead time and a bill of materials;
* optimisation (:func:`optimise`): the cheapest, least costly, quickest or
  best-margin valid configuration, within a budget, price rules included;
* fitting to one customer (:func:`recommend` with :class:`Needs`): the best
  valid configuration within budget and diverse alternatives, with reasons;
* :class:`ConfigurationSession`: one customer's choices step by step, what
  each ruled out and why, exported as interactions for the log.
"""

from .._exports import public_api
from ._engine import Configurator, Explanation, Propagation
from ._fit import Needs, Recommendation, recommend
from ._formula import parse_formula
from ._model import Group, LinearRule, Option, ProductModel, Rule
from ._optimise import Objective, optimise
from ._plots import (
    configuration_space_table,
    option_popularity_table,
    plot_configuration_space,
    plot_option_popularity,
    plot_price_waterfall,
    price_waterfall_table,
)
from ._pricing import Adjustment, PriceList, PriceRule, Quote
from ._session import ConfigurationSession, Step
from ._uvl import load_uvl, read_uvl

__all__ = [
    "Adjustment",
    "ConfigurationSession",
    "Configurator",
    "Explanation",
    "Group",
    "LinearRule",
    "Needs",
    "Objective",
    "Option",
    "PriceList",
    "PriceRule",
    "ProductModel",
    "Propagation",
    "Quote",
    "Recommendation",
    "Rule",
    "Step",
    "configuration_space_table",
    "load_uvl",
    "optimise",
    "option_popularity_table",
    "parse_formula",
    "plot_configuration_space",
    "plot_option_popularity",
    "plot_price_waterfall",
    "price_waterfall_table",
    "read_uvl",
    "recommend",
]

__dir__ = public_api(globals(), __all__)
