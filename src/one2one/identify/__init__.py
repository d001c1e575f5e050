"""Identify: recognise the same customer across records and channels.

This room is being built in steps. Available now: the record contract
(:class:`RecordSchema`), the normalisers that make one person's records
comparable, blocking (:class:`BlockingRule`, with pair counts before any
pair is built) and field comparison levels (:class:`Comparison`). The
Fellegi-Sunter model, clustering and the incremental identity resolver
follow (see the project issues).
"""

from ._blocking import (
    BlockingRule,
    SortedNeighbourhood,
    blocking_quality,
    candidate_pairs,
    count_candidate_pairs,
)
from ._compare import MISSING, Comparison, compare_pairs, default_comparisons
from ._normalise import (
    LEGAL_FORMS,
    normalise_date,
    normalise_email,
    normalise_name,
    normalise_organisation,
    normalise_phone,
    normalise_postcode,
)
from ._schema import ROLES, RecordSchema

__all__ = [
    "LEGAL_FORMS",
    "MISSING",
    "ROLES",
    "BlockingRule",
    "Comparison",
    "RecordSchema",
    "SortedNeighbourhood",
    "blocking_quality",
    "candidate_pairs",
    "compare_pairs",
    "count_candidate_pairs",
    "default_comparisons",
    "normalise_date",
    "normalise_email",
    "normalise_name",
    "normalise_organisation",
    "normalise_phone",
    "normalise_postcode",
]

for _name in __all__:
    _obj = globals()[_name]
    if callable(_obj):
        _obj.__module__ = __name__


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
