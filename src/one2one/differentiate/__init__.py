"""Differentiate: rank customers by value, group them by needs, target them by uplift.

* Value: RFM (:func:`rfm_table`, tie-safe :func:`rfm_scores`,
  :func:`rfm_segments` with visible, replaceable rules), Peppers & Rogers
  value tiers (:func:`value_tiers`, :func:`tier_report`, :func:`lorenz_curve`,
  :func:`plot_value_curve`) and share of customer with an estimated potential
  (:func:`share_of_customer`).
* Needs: :class:`NeedsSegmenter`, a scikit-learn clusterer that chooses the
  number of segments, describes them in words and measures their stability.
* Uplift: :class:`TwoModelUplift` and :class:`ClassTransformationUplift`
  over any scikit-learn estimator, judged by :func:`qini_curve`,
  :func:`uplift_curve`, :func:`auuc_score` and :func:`uplift_at_k`, acted on
  by :func:`targeting_policy`, and guarded by :func:`check_assignment`.
"""

from .._exports import public_api
from ._assignment import AssignmentCheck, check_assignment
from ._plots import plot_qini, plot_value_curve
from ._rfm import DEFAULT_SEGMENTS, RFMSegment, rfm_scores, rfm_segments, rfm_table
from ._segments import NeedsSegmenter, SegmentStability
from ._share import share_of_customer
from ._tiers import TIERS, lorenz_curve, tier_report, value_tiers
from ._uplift import ClassTransformationUplift, TwoModelUplift, targeting_policy
from ._uplift_curves import auuc_score, qini_curve, uplift_at_k, uplift_curve

__all__ = [
    "DEFAULT_SEGMENTS",
    "TIERS",
    "AssignmentCheck",
    "ClassTransformationUplift",
    "NeedsSegmenter",
    "RFMSegment",
    "SegmentStability",
    "TwoModelUplift",
    "auuc_score",
    "check_assignment",
    "lorenz_curve",
    "plot_qini",
    "plot_value_curve",
    "qini_curve",
    "rfm_scores",
    "rfm_segments",
    "rfm_table",
    "share_of_customer",
    "targeting_policy",
    "tier_report",
    "uplift_at_k",
    "uplift_curve",
    "value_tiers",
]

__dir__ = public_api(globals(), __all__)
