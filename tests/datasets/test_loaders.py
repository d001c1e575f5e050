import numpy as np
import pandas as pd
import pytest

from one2one.datasets import (
    FEBRL_FIELDS,
    load_cdnow_summary,
    load_cdnow_transactions,
    load_donations,
    load_feature_model,
    load_febrl,
    load_product_model,
)
from one2one.errors import DataContractError

TX_DTYPES = {
    "customer_id": np.dtype("int64"),
    "occurred_at": pd.DatetimeTZDtype("ns", "UTC"),
    "quantity": np.dtype("int64"),
    "value": np.dtype("float64"),
}


def test_cdnow_master_has_the_documented_shape():
    tx = load_cdnow_transactions()
    assert tx.shape == (69_659, 4)
    assert tx["customer_id"].nunique() == 23_570
    assert tx.dtypes.to_dict() == TX_DTYPES
    assert tx["occurred_at"].min() == pd.Timestamp("1997-01-01", tz="UTC")
    assert tx["occurred_at"].max() == pd.Timestamp("1998-06-30", tz="UTC")
    # The cohort made its first purchase in the first quarter of 1997.
    first = tx.groupby("customer_id")["occurred_at"].min()
    assert first.max() < pd.Timestamp("1997-04-01", tz="UTC")
    assert (tx["value"] >= 0).all()
    assert (tx["quantity"] >= 1).all()


def test_cdnow_sample_is_a_tenth_of_master():
    sample = load_cdnow_transactions("sample")
    master = load_cdnow_transactions("master")
    assert sample.shape == (6_919, 5)
    assert sample["customer_id"].nunique() == 2_357
    assert sample["master_customer_id"].isin(master["customer_id"]).all()
    # Every sampled purchase is in master, under the master id.
    keyed = sample.assign(customer_id=sample["master_customer_id"]).drop(
        columns="master_customer_id"
    )
    joined = keyed.merge(master, how="left", indicator=True)
    assert (joined["_merge"] == "both").all()


def test_cdnow_summary_follows_from_the_sample_transactions():
    """Recompute the published 39-week calibration summary from raw purchases.

    Purchases on the same day count once; weeks are days / 7, rounded to 2 decimals.
    """
    summary = load_cdnow_summary()
    assert summary.shape == (2_357, 4)
    assert summary.index.name == "customer_id"
    tx = load_cdnow_transactions("sample")
    end = pd.Timestamp("1997-09-30", tz="UTC")
    calibration = tx[tx["occurred_at"] <= end]
    days = calibration.groupby(["customer_id", "occurred_at"])["value"].sum().reset_index()
    by_customer = days.groupby("customer_id")
    first = by_customer["occurred_at"].min()
    expected = pd.DataFrame(
        {
            "frequency": by_customer.size() - 1,
            "recency": (by_customer["occurred_at"].max() - first).dt.days / 7,
            "T": (end - first).dt.days / 7,
        }
    )
    pd.testing.assert_series_equal(
        summary["frequency"], expected["frequency"], check_names=False, check_index_type=False
    )
    assert np.abs(summary["recency"] - expected["recency"]).max() < 0.006
    assert np.abs(summary["T"] - expected["T"]).max() < 0.006
    # Mean spend of repeat purchases: all calibration days but the first.
    repeat = days[days["occurred_at"] > days["customer_id"].map(first)]
    zbar = repeat.groupby("customer_id")["value"].mean().reindex(summary.index, fill_value=0.0)
    assert np.abs(summary["monetary_value"] - zbar).max() < 0.006


def test_donations_patterns_are_consistent():
    d = load_donations()
    assert d.shape == (22, 4)
    assert d["weight"].sum() == 11_104
    assert (d["n_periods"] == 6).all()
    assert (d["frequency"] <= d["recency"]).all()
    assert (d["recency"] <= d["n_periods"]).all()
    assert ((d["frequency"] == 0) == (d["recency"] == 0)).all()
    assert not d.duplicated(["frequency", "recency", "n_periods"]).any()


@pytest.mark.parametrize(
    ("name", "task", "n_records", "n_links"),
    [
        ("dataset1", "deduplicate", 1_000, 500),
        ("dataset2", "deduplicate", 5_000, 1_934),
        ("dataset4", "link", 10_000, 5_000),
    ],
)
def test_febrl_sizes_and_truth(name, task, n_records, n_links):
    data = load_febrl(name)
    assert data.task == task
    assert len(data.records) == n_records
    assert data.records.index.is_unique
    assert list(data.records.columns) == ["source", *FEBRL_FIELDS]
    assert all(dtype == "string" for dtype in data.records.dtypes)
    assert len(data.true_links) == n_links
    links = data.true_links
    assert not links.duplicated().any()
    assert links["rec_id_1"].isin(data.left.index).all()
    assert links["rec_id_2"].isin(data.right.index).all()
    # A link joins two records of one true person, and every such pair is a link.
    entity = data.true_entities
    assert (entity[links["rec_id_1"]].to_numpy() == entity[links["rec_id_2"]].to_numpy()).all()


def test_febrl_linking_files_are_separate():
    data = load_febrl("dataset4")
    assert len(data.left) == len(data.right) == 5_000
    assert set(data.left["source"]) == {"a"}
    assert set(data.right["source"]) == {"b"}
    assert (data.records.loc["rec-1070-org", "given_name"]) == "michaela"


def test_febrl_missing_values_are_na_not_empty_strings():
    records = load_febrl("dataset1").records
    assert records["given_name"].isna().any()
    assert not (records[list(FEBRL_FIELDS)] == "").any().any()
    assert not records[list(FEBRL_FIELDS)].apply(lambda s: s.str.startswith(" ")).any().any()


@pytest.mark.parametrize(
    ("loader", "argument"),
    [(load_cdnow_transactions, "full"), (load_febrl, "dataset3"), (load_febrl, None)],
)
def test_loaders_reject_unknown_names(loader, argument):
    with pytest.raises(DataContractError, match="must be one of"):
        loader(argument)


@pytest.mark.parametrize(
    ("loader", "argument"),
    [(load_feature_model, "linux"), (load_product_model, "tandem")],
)
def test_product_model_loaders_name_the_unknown_model(loader, argument):
    with pytest.raises(DataContractError, match=f"unknown .*model '{argument}'"):
        loader(argument)
