"""Differentiate: rank customers by value and group them by needs.

Being built in steps. Available now: RFM (:func:`rfm_table` from a
transaction log, :func:`rfm_scores` as tie-safe quantile scores,
:func:`rfm_segments` with visible, replaceable rules) and Peppers & Rogers
value tiers (:func:`value_tiers`, :func:`tier_report`, :func:`lorenz_curve`),
share of customer with an estimated potential (:func:`share_of_customer`).
Needs segments and uplift follow (see the project issues).
"""

from .._exports import public_api
from ._rfm import DEFAULT_SEGMENTS, RFMSegment, rfm_scores, rfm_segments, rfm_table
from ._share import share_of_customer
from ._tiers import TIERS, lorenz_curve, tier_report, value_tiers

__all__ = [
    "DEFAULT_SEGMENTS",
    "TIERS",
    "RFMSegment",
    "lorenz_curve",
    "rfm_scores",
    "rfm_segments",
    "rfm_table",
    "share_of_customer",
    "tier_report",
    "value_tiers",
]

__dir__ = public_api(globals(), __all__)
