"""Differentiate: rank customers by value and group them by needs.

Being built in steps. Available now: RFM (:func:`rfm_table` from a
transaction log, :func:`rfm_scores` as tie-safe quantile scores,
:func:`rfm_segments` with visible, replaceable rules) and Peppers & Rogers
value tiers (:func:`value_tiers`, :func:`tier_report`, :func:`lorenz_curve`),
share of customer with an estimated potential (:func:`share_of_customer`).
Needs segments and uplift follow (see the project issues).
"""

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

for _name in __all__:
    _obj = globals()[_name]
    if callable(_obj):
        _obj.__module__ = __name__


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
