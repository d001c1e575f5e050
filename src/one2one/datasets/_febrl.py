"""Febrl: synthetic person records with known duplicates, for identity resolution."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from attrs import frozen

from .._validation import require_one_of
from ._files import open_data

__all__ = ["FEBRL_FIELDS", "FebrlData", "load_febrl"]

FEBRL_FIELDS: tuple[str, ...] = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
"""The person fields of every Febrl record, in file order (all text)."""

FebrlName = Literal["dataset1", "dataset2", "dataset4"]

_FILES: dict[FebrlName, tuple[tuple[str, str], ...]] = {
    "dataset1": (("dataset1", "febrl_dataset1.csv.gz"),),
    "dataset2": (("dataset2", "febrl_dataset2.csv.gz"),),
    "dataset4": (("a", "febrl_dataset4a.csv.gz"), ("b", "febrl_dataset4b.csv.gz")),
}


@frozen(eq=False)
class FebrlData:
    """A Febrl benchmark: records plus the truth about which ones are one person.

    Attributes
    ----------
    name
        ``"dataset1"``, ``"dataset2"`` or ``"dataset4"``.
    task
        ``"deduplicate"`` (find duplicates within one file) or ``"link"``
        (match records of file ``"a"`` to file ``"b"``).
    records
        Indexed by ``rec_id`` (string), with a ``source`` column (the file:
        ``"a"``/``"b"`` for linking, the data set name for deduplication) and the
        :data:`FEBRL_FIELDS`, all of pandas ``string`` dtype with ``<NA>`` for
        missing values. Dates of birth and postcodes stay text, because the
        corruptions include impossible dates and stray digits.
    true_links
        Every true matching pair, columns ``rec_id_1`` and ``rec_id_2``; for
        deduplication ``rec_id_1 < rec_id_2``, for linking ``rec_id_1`` is in
        ``"a"`` and ``rec_id_2`` in ``"b"``.
    true_entities
        The true person behind each record (indexed by ``rec_id``), for
        evaluating clusters rather than pairs.
    """

    name: str
    task: Literal["deduplicate", "link"]
    records: pd.DataFrame
    true_links: pd.DataFrame
    true_entities: pd.Series

    @property
    def left(self) -> pd.DataFrame:
        """The records of file ``"a"`` (linking) or all records (deduplication)."""
        if self.task == "deduplicate":
            return self.records
        return self.records[self.records["source"] == "a"]

    @property
    def right(self) -> pd.DataFrame:
        """The records of file ``"b"`` (linking) or all records (deduplication)."""
        if self.task == "deduplicate":
            return self.records
        return self.records[self.records["source"] == "b"]


def _read(source: str, filename: str) -> pd.DataFrame:
    with open_data(filename) as fh:
        raw = pd.read_csv(
            fh,
            compression="gzip",
            skipinitialspace=True,
            dtype="string",
            keep_default_na=False,
            na_values=[""],
        )
    raw.columns = [c.strip() for c in raw.columns]
    frame = raw[["rec_id", *FEBRL_FIELDS]].copy()
    frame.insert(1, "source", pd.Series(source, index=frame.index, dtype="string"))
    return frame.set_index("rec_id")


def load_febrl(name: FebrlName = "dataset1") -> FebrlData:
    """Load a Febrl identity-resolution benchmark with its ground truth.

    Febrl's generator wrote Australian-style person records and then corrupted
    copies of some of them (typos, missing values, swapped fields), so the
    truth is known exactly: ``rec-<n>-org`` is an original and
    ``rec-<n>-dup-<k>`` a corrupted copy of it.

    ===============  =============  ========================  ==================
    ``name``         task           records                   true pairs
    ===============  =============  ========================  ==================
    ``"dataset1"``   deduplicate    1,000                     500
    ``"dataset2"``   deduplicate    5,000                     1,934
    ``"dataset4"``   link a to b    5,000 + 5,000             5,000
    ===============  =============  ========================  ==================

    Parameters
    ----------
    name
        Which benchmark.

    Returns
    -------
    FebrlData
        Records, true links and true entities.

    Raises
    ------
    DataContractError
        If ``name`` is not one of the three.

    References
    ----------
    .. [1] Christen, P. (2008). Febrl: a freely available record linkage system
       with a graphical user interface. Australasian Workshop on Health Data
       and Knowledge Management.

    Examples
    --------
    >>> from one2one.datasets import load_febrl
    >>> data = load_febrl("dataset4")
    >>> len(data.left), len(data.right), len(data.true_links)
    (5000, 5000, 5000)
    """
    name = require_one_of(name, list(_FILES), name="name")
    records = pd.concat([_read(source, filename) for source, filename in _FILES[name]])
    entities = pd.Series(
        records.index.str.split("-").str[1].astype("string"),
        index=records.index,
        name="entity",
    )
    pairs = pd.DataFrame({"rec_id": records.index, "entity": entities.to_numpy()})
    if name == "dataset4":
        pairs["source"] = records["source"].to_numpy()
        merged = pairs[pairs["source"] == "a"].merge(
            pairs[pairs["source"] == "b"], on="entity", suffixes=("_1", "_2")
        )
        task: Literal["deduplicate", "link"] = "link"
    else:
        merged = pairs.merge(pairs, on="entity", suffixes=("_1", "_2"))
        merged = merged[merged["rec_id_1"] < merged["rec_id_2"]]
        task = "deduplicate"
    links = (
        merged[["rec_id_1", "rec_id_2"]]
        .astype("string")
        .sort_values(["rec_id_1", "rec_id_2"])
        .reset_index(drop=True)
    )
    return FebrlData(
        name=name, task=task, records=records, true_links=links, true_entities=entities
    )
