"""Customer lifetime value: the buy-till-you-die model family.

From a transaction log to per-customer summaries (:func:`rfm_summary`,
:func:`discrete_summary`), to models of purchasing and dropout
(:class:`BetaGeoModel`, :class:`ModifiedBetaGeoModel`), fitted by maximum
likelihood on compressed data, to predictions.
"""

from ._base import LifetimeModel
from ._fitting import FitDiagnostics
from ._summary import discrete_summary, rfm_summary
from ._transaction_models import BetaGeoModel, ModifiedBetaGeoModel, TransactionModel

__all__ = [
    "BetaGeoModel",
    "FitDiagnostics",
    "LifetimeModel",
    "ModifiedBetaGeoModel",
    "TransactionModel",
    "discrete_summary",
    "rfm_summary",
]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
