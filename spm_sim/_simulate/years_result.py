"""The result of several plan years (:func:`spm_sim.simulate.simulate_years`): per
year, per trial and per seat; its tables per year and over the horizon, and the paired
comparison of two runs year by year."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spm_sim.metrics import mean_interval, proportion_difference_interval
from spm_sim.scenario import Scenario

from .result import SimulationResult

__all__ = ["YearsResult", "compare_years", "YEAR_METRICS", "HORIZON"]

#: metric -> (label, unit) of a multi-year result, per year and over the horizon.
YEAR_METRICS: dict[str, tuple[str, str]] = {
    "company_bookings": ("Company bookings", "$"),
    "incentive_cost": ("Incentive cost", "$"),
    "ccos": ("Compensation cost of sales", "ratio"),
    "share_reps_at_quota": ("Share of reps at or above quota", "ratio"),
    "hit_company_target": ("Probability of reaching the company target", "prob"),
    "quota_total": ("Sum of the quotas", "$"),
    "quota_growth": ("Growth of the sum of the quotas since the first year", "ratio"),
    "mean_effort": ("Mean effort (1 = the reference plan)", "ratio"),
    "leavers": ("Reps who left", "count"),
    "borrowed_from_next_year": ("Bookings pulled in from next year", "$"),
    "deferred_to_next_year": ("Bookings pushed into next year", "$"),
}
#: the label of the whole horizon in the tables' ``year`` column
HORIZON = "all"


@dataclass(frozen=True)
class YearsResult:
    """Outcome of :func:`simulate_years`: per year, per trial, per seat.

    Attributes
    ----------
    scenario : Scenario
    first : SimulationResult
        Year 1, equal to :func:`spm_sim.simulate.simulate` of the scenario (without
        ratchet anticipation).
    plan_years : tuple of int
    targets : tuple of float
        The company target of each year (``years.target_growth``).
    bookings : ndarray, shape (n_years, n_trials, n_reps)
    incentive : ndarray, shape (n_years, n_trials, n_reps)
        Incentive paid per seat (every column of the plan added up).
    quotas : ndarray, shape (n_years, n_trials, n_reps)
        Each seat's annual quota in each trial.
    dynamics : tuple of dict
        Per year, the month loop's figures per trial (``mean_effort``, ``leavers``,
        ``borrowed_from_next_year``, ... and ``carried_in``: deals that landed in
        January from the year before, net).
    base_salary, target_incentive : ndarray, shape (n_reps,)
    seed : dict
    engine : str
    """

    scenario: Scenario
    first: SimulationResult
    plan_years: tuple[int, ...]
    targets: tuple[float, ...]
    bookings: np.ndarray
    incentive: np.ndarray
    quotas: np.ndarray
    dynamics: tuple[dict[str, np.ndarray], ...]
    base_salary: np.ndarray
    target_incentive: np.ndarray
    seed: dict
    engine: str

    @property
    def n_trials(self) -> int:
        return int(self.bookings.shape[1])

    @property
    def n_years(self) -> int:
        return int(self.bookings.shape[0])

    def trials(self) -> pd.DataFrame:
        """One row per year and trial (and ``year == "all"`` for the horizon) with
        every metric of :data:`YEAR_METRICS` the run has."""
        return _trial_table(self)

    def summary(self, *, level: float = 0.95) -> pd.DataFrame:
        """Per year and over the horizon: each metric's mean with its interval, P10
        and P90 (``quota_growth``: each trial's sum of quotas against the first year's)."""
        rows = []
        table = self.trials()
        for year, frame in table.groupby("year", sort=False):
            for metric, (label, unit) in YEAR_METRICS.items():
                if metric not in frame:
                    continue
                v = frame[metric].to_numpy(float)
                est, low, high = mean_interval(v, level=level)
                rows.append(
                    {
                        "year": year,
                        "metric": metric,
                        "label": label,
                        "unit": unit,
                        "mean": est,
                        "low": low,
                        "high": high,
                        "p10": float(np.nanquantile(v, 0.1)),
                        "p90": float(np.nanquantile(v, 0.9)),
                    }
                )
        out = pd.DataFrame(rows)
        out.attrs.update(scenario=self.scenario.name, seed=self.seed, engine=self.engine)
        return out


def _year_metrics(r: YearsResult, y: int) -> dict[str, np.ndarray]:
    """Each trial's figures of year ``y`` (0 the first)."""
    b, inc, q = r.bookings[y], r.incentive[y], r.quotas[y]
    company = b.sum(axis=1)
    cost = inc.sum(axis=1)
    base = float(r.base_salary.sum())
    has = q > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        at = np.where(has, b >= q, False).sum(axis=1) / has.sum(axis=1)
        out = {
            "company_bookings": company,
            "incentive_cost": cost,
            "ccos": np.where(company > 0, (base + cost) / company, np.nan),
            "share_reps_at_quota": at,
            "hit_company_target": (company >= r.targets[y]).astype(float),
            "quota_total": q.sum(axis=1),
            "quota_growth": q.sum(axis=1) / r.quotas[0].sum(axis=1) - 1.0,
        }
    for name in ("mean_effort", "leavers", "borrowed_from_next_year", "deferred_to_next_year"):
        if name in r.dynamics[y]:
            out[name] = np.asarray(r.dynamics[y][name], float)
    return out


def _horizon(r: YearsResult, years: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The figures over every year: sums of money, the share at quota averaged, the
    target reached on the cumulative bookings against the cumulative target, the
    last year's quotas, the months' effort averaged, the last year's deals moved."""
    company = np.sum([y["company_bookings"] for y in years], axis=0)
    cost = np.sum([y["incentive_cost"] for y in years], axis=0)
    base = float(r.base_salary.sum()) * len(years)
    out = {
        "company_bookings": company,
        "incentive_cost": cost,
        "ccos": np.where(company > 0, (base + cost) / np.where(company > 0, company, 1.0), np.nan),
        "share_reps_at_quota": np.mean([y["share_reps_at_quota"] for y in years], axis=0),
        "hit_company_target": (company >= sum(r.targets)).astype(float),
        "quota_total": years[-1]["quota_total"],
        "quota_growth": years[-1]["quota_growth"],
    }
    if "mean_effort" in years[0]:
        out["mean_effort"] = np.mean([y["mean_effort"] for y in years], axis=0)
    if "leavers" in years[0]:
        out["leavers"] = np.sum([y["leavers"] for y in years], axis=0)
    for name in ("borrowed_from_next_year", "deferred_to_next_year"):
        if name in years[-1]:
            out[name] = years[-1][name]
    return out


def _trial_table(r: YearsResult) -> pd.DataFrame:
    years = [_year_metrics(r, y) for y in range(r.n_years)]
    frames = []
    for label, figures in [*zip(r.plan_years, years, strict=True), (HORIZON, _horizon(r, years))]:
        frame = pd.DataFrame({"year": str(label), "trial": np.arange(r.n_trials), **figures})
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out.attrs.update(scenario=r.scenario.name, seed=r.seed, engine=r.engine)
    return out


def _pairs(a: YearsResult, b: YearsResult) -> tuple[bool, str]:
    """Whether two runs drew the same sales trial by trial, and if not why."""
    checks = [
        (a.n_trials == b.n_trials, "their numbers of trials differ"),
        (a.seed == b.seed, "their seeds differ"),
        (a.engine == b.engine, "they drew with different engines"),
        (a.scenario.book == b.scenario.book, "their books differ"),
        (a.scenario.plan_year == b.scenario.plan_year, "their plan years differ"),
        (a.n_years == b.n_years, "their numbers of years differ"),
    ]
    for ok, why in checks:
        if not ok:
            return False, why
    return True, ""


def compare_years(a: YearsResult, b: YearsResult, *, level: float = 0.95) -> pd.DataFrame:
    """``a`` against ``b`` (the baseline), per year and over the horizon.

    Each metric's mean in both runs and their difference with its interval: paired
    trial by trial when the two runs share their draws (same seed, book, plan years,
    trials and engine; common random numbers year by year), else as independent
    samples. The probability of reaching the target uses Newcombe's interval
    (:func:`spm_sim.metrics.proportion_difference_interval`), the others the mean of
    the trial-by-trial differences (:func:`spm_sim.metrics.mean_interval`).

    Returns
    -------
    DataFrame
        ``year``, ``metric``, ``label``, ``unit``, ``a``, ``b``, ``difference``,
        ``low``, ``high``, ``relative`` (the difference over ``b``'s mean), ``paired``.
    """
    paired, why = _pairs(a, b)
    ta, tb = a.trials(), b.trials()
    years = [str(y) for y in a.plan_years] + [HORIZON]
    if b.n_years < a.n_years:
        years = [str(y) for y in b.plan_years] + [HORIZON]
    rows = []
    for i, year in enumerate(years):
        label_b = str(b.plan_years[i]) if year != HORIZON else HORIZON
        fa, fb = ta[ta["year"] == year], tb[tb["year"] == label_b]
        for metric, (label, unit) in YEAR_METRICS.items():
            if metric not in fa or metric not in fb:
                continue
            x, z = fa[metric].to_numpy(float), fb[metric].to_numpy(float)
            if unit == "prob":
                d, low, high = proportion_difference_interval(x, z, paired=paired, level=level)
            elif paired:
                d, low, high = mean_interval(x - z, level=level)
            else:
                d, low, high = _unpaired(x, z, level)
            mb = float(np.nanmean(z))
            rows.append(
                {
                    "year": year,
                    "metric": metric,
                    "label": label,
                    "unit": unit,
                    "a": float(np.nanmean(x)),
                    "b": mb,
                    "difference": d,
                    "low": low,
                    "high": high,
                    "relative": d / mb if mb else np.nan,
                    "paired": paired,
                }
            )
    out = pd.DataFrame(rows)
    out.attrs.update(a=a.scenario.name, b=b.scenario.name, paired=paired, why_unpaired=why)
    return out


def _unpaired(x: np.ndarray, z: np.ndarray, level: float) -> tuple[float, float, float]:
    """Difference of two independent means and its normal interval."""
    ex, lx, _ = mean_interval(x, level=level)
    ez, lz, _ = mean_interval(z, level=level)
    d = ex - ez
    half = float(np.hypot(ex - lx, ez - lz))
    return d, d - half, d + half
