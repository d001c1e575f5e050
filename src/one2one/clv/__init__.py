"""Customer lifetime value: the buy-till-you-die model family.

From a transaction log to per-customer summaries (:func:`rfm_summary`,
:func:`discrete_summary`), to fitted models of purchasing, dropout and spend,
to predictions and lifetime value.
"""

from ._summary import discrete_summary, rfm_summary

__all__ = ["discrete_summary", "rfm_summary"]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
