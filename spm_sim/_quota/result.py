"""The quotas of a plan year: :class:`Quotas`, per rep and month with their basis,
levels and audit trail. A private module of :mod:`spm_sim.quota`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .settings import QuotaSettings

__all__ = ["Quotas"]


@dataclass(frozen=True)
class Quotas:
    """Quota per rep and period, with the company target they roll up to.

    Attributes
    ----------
    rep_ids : tuple of str
    periods : tuple of str
        ``"YYYY-MM"`` months of the plan year.
    values : ndarray, shape (n_reps, n_periods)
        Quota in money per rep and month.
    company_target : float
        The company's number (before over-assignment).
    settings : QuotaSettings
    basis : DataFrame
        Per rep: region, the basis of the method and where it came from, the plan-year
        capacity and the annual quota.
    levels : DataFrame
        Per level of the hierarchy (company, each region): its quota, the sum of the
        quotas one level below, the over-assignment set and realised.
    audit : DataFrame
        The overrides: rep, quota before and after, change, who and why.
    info : dict
        Method-specific figures (e.g. the calibration's achieved probability).
    regions : ndarray of str, shape (n_reps, n_periods), optional
        The region of each rep in each month (moves change it).
    """

    rep_ids: tuple[str, ...]
    periods: tuple[str, ...]
    values: np.ndarray
    company_target: float
    settings: QuotaSettings
    basis: pd.DataFrame = field(compare=False, repr=False)
    levels: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)
    audit: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)
    info: dict = field(default_factory=dict, compare=False, repr=False)
    regions: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def annual(self) -> np.ndarray:
        """Annual quota per rep, shape (n_reps,)."""
        return self.values.sum(axis=1)

    @property
    def over_assignment(self) -> float:
        """Realised over-assignment: sum of quotas / company target - 1."""
        return float(self.values.sum() / self.company_target - 1.0)

    def by_quarter(self) -> np.ndarray:
        """Quota per rep and quarter, shape (n_reps, 4)."""
        return self.values.reshape(len(self.rep_ids), 4, 3).sum(axis=2)

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame ``rep_id, region, period, quota`` with the method and inputs in ``attrs``."""
        if self.regions is not None:
            region = np.asarray(self.regions, dtype=object).ravel()
        elif "region" in self.basis:
            start = self.basis.set_index("rep_id")["region"].reindex(list(self.rep_ids))
            region = np.repeat(start.to_numpy(), len(self.periods))
        else:
            region = np.full(self.values.size, None)
        df = pd.DataFrame(
            {
                "rep_id": np.repeat(self.rep_ids, len(self.periods)),
                "region": region,
                "period": np.tile(self.periods, len(self.rep_ids)),
                "quota": self.values.ravel(),
            }
        )
        df.attrs.update(
            method=self.settings.method,
            settings=self.settings.model_dump(mode="json"),
            company_target=self.company_target,
        )
        return df
