"""Spend per purchase: the Gamma-Gamma model."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, cast, overload

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._spark import is_spark_frame
from .._validation import Column, FrameContract, require_one_of
from ..errors import DataContractError, DataWarning
from ._base import LifetimeModel
from ._fitting import LogLikelihood, compress
from ._gammagamma import gammagamma_conditional_spend, gammagamma_loglik, spend_terms

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .._spark import SparkFrame

__all__ = ["GammaGammaModel"]

FloatArray = NDArray[np.float64]

SPEND_CONTRACT = FrameContract(
    "summary",
    columns=[
        Column("frequency", "integer", non_negative=True),
        Column("monetary_value", "number"),
    ],
)


class GammaGammaModel(LifetimeModel):
    """Gamma-Gamma: how much a customer spends per purchase, shrunk towards the population.

    Assumptions: a customer's purchase amounts vary around their own mean,
    as Gamma(p, nu); nu ~ Gamma(q, gamma) across customers; spend is
    independent of how often the customer buys (check this on your data: the
    correlation of ``frequency`` and ``monetary_value`` should be near 0).

    Fit on ``frequency`` and ``monetary_value`` (mean value of the repeat
    purchases) from :func:`~one2one.clv.rfm_summary`. Customers without
    repeat purchases carry no spend information and are left out of the fit
    (they get the population mean when predicting).

    Parameters
    ----------
    penalizer, n_starts, max_iter, random_state
        See :class:`~one2one.clv.LifetimeModel`.
    nonpositive_spend
        Customers with repeat purchases whose mean spend is 0 or less (free
        orders, returns) break the model's assumption of positive amounts:
        ``"error"`` (default) refuses them; ``"ignore"`` leaves them out of
        the fit, with a :class:`~one2one.errors.DataWarning` giving their
        number, and predicts the population mean for them.

    References
    ----------
    .. [1] Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of
       monetary value. Note.
    .. [2] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV:
       using iso-value curves for customer base analysis. Journal of
       Marketing Research 42(4), 415-430.
    .. [3] Colombo, R. & Jiang, W. (1999). A stochastic RFM model. Journal of
       Interactive Marketing 13(3), 2-12.

    Examples
    --------
    >>> from one2one.clv import GammaGammaModel
    >>> from one2one.datasets import load_cdnow_summary
    >>> model = GammaGammaModel().fit(load_cdnow_summary())
    >>> model.params_.round(2).to_dict()  # published: 6.25, 3.74, 15.44
    {'p': 6.25, 'q': 3.74, 'gamma': 15.45}
    """

    param_names = ("p", "q", "gamma")
    data_columns = ("frequency", "monetary_value")
    contract = SPEND_CONTRACT

    def __init__(
        self,
        penalizer: float = 0.0,
        n_starts: int = 4,
        max_iter: int = 2000,
        random_state: int | None = 0,
        *,
        nonpositive_spend: Literal["error", "ignore"] = "error",
    ) -> None:
        super().__init__(
            penalizer=penalizer, n_starts=n_starts, max_iter=max_iter, random_state=random_state
        )
        self.nonpositive_spend = nonpositive_spend

    @classmethod
    def _checked_setting(cls, name: str, value: object) -> object:
        if name != "nonpositive_spend":
            return super()._checked_setting(name, value)
        if not isinstance(value, str) or value not in {"error", "ignore"}:
            field = f"config.{name}"
            msg = f"saved model field '{field}' must be 'error' or 'ignore' (got {value!r})."
            raise DataContractError(msg, column=field, value=value)
        return value

    def _loglik(self) -> LogLikelihood:
        return gammagamma_loglik

    def _check_data(self, frame: pd.DataFrame) -> pd.DataFrame:
        policy = require_one_of(
            self.nonpositive_spend, ("error", "ignore"), name="nonpositive_spend"
        )
        buyers = frame[frame["frequency"] > 0]
        bad = buyers["monetary_value"] <= 0
        if bad.any() and policy == "ignore":
            msg = (
                f"{int(bad.sum())} customer(s) with repeat purchases but a mean spend <= 0 "
                "(free orders or net returns) are left out of the spend fit."
            )
            warnings.warn(msg, DataWarning, stacklevel=3)
            buyers = buyers[~bad]
        elif bad.any():
            row = buyers.index[np.flatnonzero(bad.to_numpy())[0]]
            value = buyers.at[row, "monetary_value"]
            msg = (
                "summary column 'monetary_value' must be > 0 for customers with repeat "
                f"purchases (got {value!r} at row {row!r}); the Gamma-Gamma model describes "
                "positive amounts; drop free orders or net returns first, or pass "
                "nonpositive_spend='ignore'."
            )
            raise DataContractError(msg, column="monetary_value", value=value, row=row)
        if buyers.empty:
            msg = "no customer has repeat purchases (frequency > 0); spend cannot be estimated."
            raise DataContractError(msg, column="frequency")
        return buyers

    def _prepare(self, columns: list[FloatArray]) -> list[FloatArray]:
        return [*columns, *spend_terms(columns[0], columns[1])]

    def _default_start(self, data: Sequence[FloatArray], weights: FloatArray) -> FloatArray:
        zbar = data[1]
        mean = float(weights @ zbar) / float(weights.sum())
        return np.array([1.0, 2.0, mean])  # population mean p * gamma / (q - 1) = mean

    def mean_spend(self) -> float:
        """Return the population mean spend per purchase, p * gamma / (q - 1).

        What a customer without repeat purchases is expected to spend, and
        the anchor every customer's prediction shrinks towards.

        Returns
        -------
        float
            The mean spend, in the summary's money.

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If q <= 1, where the mean is infinite (spend too heavy-tailed).
        """
        p, q, gamma = self._param_values()
        if q <= 1:
            msg = f"the fitted q = {q:.3g} <= 1, so the mean spend is infinite."
            raise DataContractError(msg, column="q", value=q)
        return p * gamma / (q - 1)

    @overload
    def predict_spend(self, summary: pd.DataFrame) -> pd.Series: ...

    @overload
    def predict_spend(self, summary: SparkFrame) -> SparkFrame: ...

    def predict_spend(self, summary: pd.DataFrame | SparkFrame) -> pd.Series | SparkFrame:
        """Predict each customer's expected spend per future purchase.

        A weighted average of the population mean and the customer's own
        mean, trusting the customer's more the more purchases back it.
        Customers without repeat purchases get the population mean.

        Parameters
        ----------
        summary
            Customers' ``frequency`` and ``monetary_value`` (mean spend of the
            repeat purchases): a pandas or a Spark DataFrame.

        Returns
        -------
        pandas.Series
            ``expected_spend``, indexed like ``summary``.
        pyspark.sql.DataFrame
            For a Spark summary: ``customer_id`` and ``expected_spend``,
            scored on the executors (the fitted model travels pickled;
            nothing is collected).

        Raises
        ------
        NotFittedError
            If called before ``fit``.
        DataContractError
            If the fitted q <= 1 (the mean spend is infinite), the summary
            breaks its contract, or (unless ``nonpositive_spend="ignore"``) a
            customer with repeat purchases has a mean spend <= 0.
        """
        if is_spark_frame(summary):
            from ._spark import score  # noqa: PLC0415 - pyspark lazily

            return score(summary, self.predict_spend)
        summary = cast("pd.DataFrame", summary)
        self.mean_spend()  # refuses q <= 1
        (x, zbar), inverse = self.validated_columns(summary)
        spend = gammagamma_conditional_spend(self._param_values(), x, zbar)
        return pd.Series(spend[inverse], index=summary.index, name="expected_spend")

    def validated_columns(
        self, summary: pd.DataFrame
    ) -> tuple[tuple[FloatArray, FloatArray], NDArray[np.intp]]:
        """Validate ``summary``; return distinct (frequency, spend) columns and the row mapping.

        Customers without repeat purchases get spend 0, which the model maps
        to the population mean.

        Parameters
        ----------
        summary
            Customers' ``frequency`` and ``monetary_value``.

        Returns
        -------
        tuple of (tuple of numpy.ndarray, numpy.ndarray)
            The distinct ``(frequency, spend)`` columns, and for each customer
            the position of their row.

        Raises
        ------
        DataContractError
            If the summary breaks its contract, or (unless
            ``nonpositive_spend="ignore"``) a customer with repeat purchases
            has a mean spend <= 0.
        """
        frame = self.contract.validate(summary)
        bad = (frame["frequency"] > 0) & (frame["monetary_value"] <= 0)
        if bad.any() and self.nonpositive_spend != "ignore":
            self._check_data(frame)
        columns, _, inverse = compress(frame, self.data_columns)
        x, zbar = columns
        informative = (x > 0) & (zbar > 0)  # the rest get the population mean
        return (np.where(informative, x, 0.0), np.where(informative, zbar, 0.0)), inverse
