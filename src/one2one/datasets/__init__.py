"""Bundled real data sets and simulators with known truth.

Real data (all small, shipped inside the package, no download):

* :func:`load_cdnow_transactions`, :func:`load_cdnow_summary`: CDNOW purchases
  and the published calibration summary (BG/NBD, Pareto/NBD, Gamma-Gamma).
* :func:`load_donations`: discrete-time repeat donations (BG/BB).
* :func:`load_retention_cohorts`: subscribers surviving each renewal (sBG).
* :func:`load_febrl`: person records with known duplicates (identity resolution).
* :func:`load_feature_model`: product-line feature models in UVL (configurator).
* :func:`load_product_model`: a made-to-order bicycle with prices (configurator).

Simulators draw data from a model with known parameters, so a fit can be
checked against the truth:

* :func:`simulate_transactions`: purchases from a buy-till-you-die model.
* :func:`simulate_seasonal_transactions`: a seasonal customer base (purchase
  rates that follow the calendar) with its covariates and the truth.
* :func:`simulate_campaign`: a contact campaign with each customer's true
  uplift (randomised or targeted assignment).
* :func:`simulate_shop`: a shop's visits, views and purchases, with each
  customer's hidden favourite category (interaction logs, next-best-action).
* :func:`simulate_business`: one bicycle business across three channels, for
  the whole cycle: duplicated records, purchases and refunds keyed by record,
  page views, consent, offers with a known acceptance, riding needs and budgets.
* :func:`simulate_identities`: person records at any size, with corrupted
  duplicates and households, and the true entities (identity resolution);
  :data:`CUSTOMER_BASE_PARAMS` adds what multi-channel customer bases hold
  (moves, family mailboxes, US and EU dates, channels that leave fields out).
"""

from .._exports import public_api
from ..clv._simulate import CDNOW_SPEND_PARAMS, SimulatedTransactions, simulate_transactions
from ..clv._simulate_seasonal import (
    SimulatedSeasonalBase,
    seasonal_calendar,
    simulate_seasonal_transactions,
)
from ._business import BUSINESS_OFFERS, RIDING, SimulatedBusiness, simulate_business
from ._campaign import SimulatedCampaign, simulate_campaign
from ._cdnow import load_cdnow_summary, load_cdnow_transactions
from ._donations import load_donations
from ._feature_models import FEATURE_MODELS, load_feature_model, load_product_model
from ._febrl import FEBRL_FIELDS, FebrlData, load_febrl
from ._identities import (
    CUSTOMER_BASE_PARAMS,
    IDENTITY_FIELDS,
    SimulatedIdentities,
    simulate_identities,
)
from ._retention import load_retention_cohorts
from ._shop import SHOP_CATEGORIES, SimulatedShop, simulate_shop

__all__ = [
    "BUSINESS_OFFERS",
    "CDNOW_SPEND_PARAMS",
    "CUSTOMER_BASE_PARAMS",
    "FEATURE_MODELS",
    "FEBRL_FIELDS",
    "IDENTITY_FIELDS",
    "RIDING",
    "SHOP_CATEGORIES",
    "FebrlData",
    "SimulatedBusiness",
    "SimulatedCampaign",
    "SimulatedIdentities",
    "SimulatedSeasonalBase",
    "SimulatedShop",
    "SimulatedTransactions",
    "load_cdnow_summary",
    "load_cdnow_transactions",
    "load_donations",
    "load_feature_model",
    "load_febrl",
    "load_product_model",
    "load_retention_cohorts",
    "seasonal_calendar",
    "simulate_business",
    "simulate_campaign",
    "simulate_identities",
    "simulate_seasonal_transactions",
    "simulate_shop",
    "simulate_transactions",
]

__dir__ = public_api(globals(), __all__, classes_only=True)
