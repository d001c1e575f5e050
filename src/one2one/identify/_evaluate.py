"""Evaluation against known links: precision, recall, F1 and threshold curves."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._validation import require_columns, require_frame
from ..errors import DataContractError

__all__ = ["evaluate_links", "linked_pairs", "threshold_curve"]


def linked_pairs(customer_id: pd.Series) -> pd.DataFrame:
    """Every pair of records that share a ``customer_id``.

    Parameters
    ----------
    customer_id
        From :meth:`RecordMatcher.predict`: indexed by record id
        (deduplication; pairs ordered ``left < right``) or by
        ``(source, record_id)`` (linking; pairs across the two files only).

    Returns
    -------
    pandas.DataFrame
        ``left`` and ``right`` record ids, one row per pair, sorted: the form
        :func:`evaluate_links` compares with the true links.

    Examples
    --------
    >>> import pandas as pd
    >>> linked_pairs(pd.Series(["a", "a", "c", "a"], index=["a", "b", "c", "d"])).values.tolist()
    [['a', 'b'], ['a', 'd'], ['b', 'd']]
    """
    if isinstance(customer_id.index, pd.MultiIndex):
        frame = customer_id.rename("customer_id").reset_index()
        frame.columns = ["source", "record_id", "customer_id"]
        left = frame[frame["source"] == "left"]
        right = frame[frame["source"] == "right"]
        joined = left.merge(right, on="customer_id")
        pairs = joined[["record_id_x", "record_id_y"]]
    else:
        frame = pd.DataFrame(
            {"record_id": customer_id.index, "customer_id": customer_id.to_numpy()}
        )
        joined = frame.merge(frame, on="customer_id")
        pairs = joined.loc[
            joined["record_id_x"] < joined["record_id_y"], ["record_id_x", "record_id_y"]
        ]
    pairs.columns = ["left", "right"]
    return pairs.sort_values(["left", "right"]).reset_index(drop=True)


def _keys(pairs: pd.DataFrame, *, unordered: bool) -> set[tuple[str, str]]:
    left = pairs.iloc[:, 0].astype("string").to_numpy(dtype=object)
    right = pairs.iloc[:, 1].astype("string").to_numpy(dtype=object)
    if unordered:
        return {(a, b) if a <= b else (b, a) for a, b in zip(left, right, strict=True)}
    return set(zip(left, right, strict=True))


def evaluate_links(
    predicted: pd.DataFrame | pd.Series, true_links: pd.DataFrame, *, linking: bool | None = None
) -> dict[str, float]:
    """Precision, recall and F1 of predicted links against the true ones.

    Parameters
    ----------
    predicted
        Linked pairs (first two columns: record ids), or a ``customer_id``
        Series as returned by :meth:`RecordMatcher.predict` (its pairs are
        taken with :func:`linked_pairs`).
    true_links
        The true matching pairs (first two columns: record ids).
    linking
        Whether pairs are ``(left file, right file)``, so order matters; by
        default, inferred from a ``customer_id`` Series and else ``False``.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1``, ``true_positives``,
        ``false_positives``, ``false_negatives``.

    Raises
    ------
    DataContractError
        If ``predicted`` or ``true_links`` is not a DataFrame (or a Series)
        of at least two columns of record ids.
    """
    if isinstance(predicted, pd.Series):
        linking = isinstance(predicted.index, pd.MultiIndex) if linking is None else linking
        predicted = linked_pairs(predicted)
    frame = require_frame(predicted, name="predicted")
    truth_frame = require_frame(true_links, name="true_links")
    for name, table in (("predicted", frame), ("true_links", truth_frame)):
        if table.shape[1] < 2:  # noqa: PLR2004 - two record ids per pair
            msg = f"{name} must have two columns of record ids."
            raise DataContractError(msg, column=name)
    unordered = not linking
    found = _keys(frame, unordered=unordered)
    truth = _keys(truth_frame, unordered=unordered)
    hits = len(found & truth)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_positives": float(hits),
        "false_positives": float(len(found) - hits),
        "false_negatives": float(len(truth) - hits),
    }


def threshold_curve(
    scored_pairs: pd.DataFrame,
    true_links: pd.DataFrame,
    *,
    thresholds: Sequence[float] | None = None,
    linking: bool = False,
) -> pd.DataFrame:
    """Precision, recall and F1 of the scored pairs at each probability threshold.

    Pairs are taken as they are scored, before clustering; true links
    missing from the scored pairs (lost in blocking) count against recall.

    Parameters
    ----------
    scored_pairs
        From :meth:`RecordMatcher.predict_pairs` (``left``, ``right``, ``match_probability``).
    true_links
        The true matching pairs.
    thresholds
        Probabilities to evaluate; by default 0.05 to 0.95 and 0.99, 0.999.
    linking
        Whether pairs are ``(left file, right file)``.

    Returns
    -------
    pandas.DataFrame
        ``threshold``, ``pairs``, ``precision``, ``recall``, ``f1``.

    Raises
    ------
    DataContractError
        If ``scored_pairs`` is not a DataFrame or lacks ``left``, ``right``
        or ``match_probability``, or ``true_links`` is not a DataFrame.
    """
    frame = require_frame(scored_pairs, name="scored_pairs")
    require_columns(frame, ["left", "right", "match_probability"], name="scored_pairs")
    cuts = (
        [*np.round(np.arange(0.05, 0.96, 0.05), 2), 0.99, 0.999]
        if thresholds is None
        else list(thresholds)
    )
    truth = _keys(require_frame(true_links, name="true_links"), unordered=not linking)
    left = frame["left"].astype("string").to_numpy(dtype=object)
    right = frame["right"].astype("string").to_numpy(dtype=object)
    is_true = np.fromiter(
        (
            ((a, b) if linking or a <= b else (b, a)) in truth
            for a, b in zip(left, right, strict=True)
        ),
        dtype=bool,
        count=len(frame),
    )
    probability = frame["match_probability"].to_numpy(dtype=float)
    rows = []
    for cut in cuts:
        chosen = probability >= cut
        hits = int((chosen & is_true).sum())
        n = int(chosen.sum())
        precision = hits / n if n else 1.0
        recall = hits / len(truth) if truth else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append(
            {
                "threshold": float(cut),
                "pairs": n,
                "precision": precision,
                "recall": recall,
                "f1": f1,
            }
        )
    return pd.DataFrame(rows)
