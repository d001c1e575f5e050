"""Customer lifetime value: the buy-till-you-die model family.

From a transaction log to per-customer summaries (:func:`rfm_summary`,
:func:`discrete_summary`), to models of purchasing and dropout
(:class:`BetaGeoModel`, :class:`ModifiedBetaGeoModel`, :class:`ParetoNBDModel`)
and spend (:class:`GammaGammaModel`), fitted by maximum likelihood on
compressed data, to predictions and :func:`customer_lifetime_value`.
"""

from .._exports import public_api
from ._base import LifetimeModel
from ._calendar import calendar_covariates
from ._cohorts import cohort_survival
from ._compare import compare_models
from ._discrete_models import BetaGeoBetaBinomModel, ShiftedBetaGeometricModel
from ._dyncov_data import TimeVaryingSummary, time_varying_summary
from ._dyncov_model import TimeVaryingParetoNBDModel
from ._fitting import FitDiagnostics
from ._holdout import holdout_tracking_table, plot_holdout_tracking
from ._plots import (
    calibration_vs_holdout_table,
    expected_purchases_matrix_table,
    frequency_histogram_table,
    p_alive_matrix_table,
    plot_calibration_vs_holdout,
    plot_expected_purchases_matrix,
    plot_frequency_histogram,
    plot_p_alive_matrix,
)
from ._spend_models import GammaGammaModel
from ._summary import discrete_summary, rfm_summary
from ._tracking import plot_tracking, tracking_errors, tracking_table
from ._transaction_models import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    TransactionModel,
)
from ._value import customer_lifetime_value, per_period_rate

__all__ = [
    "BetaGeoBetaBinomModel",
    "BetaGeoModel",
    "FitDiagnostics",
    "GammaGammaModel",
    "LifetimeModel",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "ShiftedBetaGeometricModel",
    "TimeVaryingParetoNBDModel",
    "TimeVaryingSummary",
    "TransactionModel",
    "calendar_covariates",
    "calibration_vs_holdout_table",
    "cohort_survival",
    "compare_models",
    "customer_lifetime_value",
    "discrete_summary",
    "expected_purchases_matrix_table",
    "frequency_histogram_table",
    "holdout_tracking_table",
    "p_alive_matrix_table",
    "per_period_rate",
    "plot_calibration_vs_holdout",
    "plot_expected_purchases_matrix",
    "plot_frequency_histogram",
    "plot_holdout_tracking",
    "plot_p_alive_matrix",
    "plot_tracking",
    "rfm_summary",
    "time_varying_summary",
    "tracking_errors",
    "tracking_table",
]

__dir__ = public_api(globals(), __all__, classes_only=True)
