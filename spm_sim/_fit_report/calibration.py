"""Calibration of back-tests: PIT, coverage of central bands with sampling error, bias.

For each origin year ``Y`` (the history before ``Y`` has at least 12 months and ``Y``
is complete) the model is fitted on the history before ``Y`` and simulated over
``Y`` (:func:`~spm_sim._fit_report.backtest.backtest_year`). The actual year is then
placed in its simulation three ways, per origin and pooled over the origins:

* **PIT** (probability integral transform): the actual's mid-rank percentile among
  the simulated years, for the company's year, each month and each rep's year;
* **coverage** of the central 50%, 80% and 90% bands: an item is inside the band of
  level ``L`` when its PIT lies in ``[(1 - L) / 2, (1 + L) / 2]``;
* **bias**: the actual company year against the simulated median,
  ``actual / median - 1``, with the simulation's own spread as its standard error.

Sampling error. A coverage is a share of ``n`` items; months of one year share the
company's shocks and the fitted level and trend, reps share them too, so the items
are not independent. The design effect ``deff`` of each origin and check is read off
the simulation itself: every simulated year is scored as if it were the actual one
(its PIT among the others), and ``deff = var(K) / (n L (1 - L))`` with ``K`` the
number of its items inside the band (floored at 1). A calibrated model's coverage
then has sampling variance ``L (1 - L) / n_eff`` with ``n_eff = n / deff``; origins
are counted as independent (``n_eff`` adds up over them). Coverage is reported with
its 95% Wilson interval on ``n_eff`` and with the range a calibrated model gives by
chance, ``L +- 1.96 sqrt(L (1 - L) / n_eff)``: a coverage outside that range is a
failed check (equivalently, the nominal level lies outside the Wilson interval).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .backtest import Backtest
from .backtest import _rank as _pit

__all__ = [
    "BANDS",
    "BIAS_COLUMNS",
    "CALIBRATION_COLUMNS",
    "PIT_COLUMNS",
    "bias_table",
    "calibration_tables",
    "wilson_interval",
]

#: Central bands whose coverage is checked.
BANDS = (0.5, 0.8, 0.9)
#: Normal quantile of the two-sided 95% level of the coverage and bias checks.
Z95 = float(stats.norm.ppf(0.975))
#: A month or a company year below this PIT (or above one minus it) lies outside
#: (almost) every simulated year: flagged on its own.
EXTREME_PIT = 0.005
#: A company year or share at quota outside this central band of its simulation is a
#: failed check.
VERDICT_BAND = 0.9
#: The latest year's company total below this PIT (or above one minus it), although
#: inside its 90% band, is a warning that the model leans (not a failed check).
LEAN = 0.2

CALIBRATION_COLUMNS = (
    "origin",
    "check",
    "band",
    "n",
    "inside",
    "coverage",
    "low",
    "high",
    "nominal",
    "deff",
    "n_eff",
    "chance_low",
    "chance_high",
    "mean_pit",
    "verdict",
)
BIAS_COLUMNS = (
    "origin",
    "measure",
    "actual",
    "sim_p50",
    "bias",
    "std_error",
    "percentile",
    "verdict",
)
PIT_COLUMNS = ("origin", "check", "item", "actual", "sim_p50", "percentile")


def wilson_interval(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial share ``k / n`` (``n`` may be an effective,
    non-whole count).

    Examples
    --------
    >>> low, high = wilson_interval(52, 76)
    >>> round(low, 3), round(high, 3)
    (0.573, 0.778)
    >>> wilson_interval(0, 0)
    (0.0, 1.0)
    """
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1.0 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def _inside(pit: np.ndarray, band: float) -> np.ndarray:
    return (pit >= (1 - band) / 2) & (pit <= (1 + band) / 2)


def _design_effect(sims: np.ndarray, band: float) -> float:
    """``var(K) / (n L (1 - L))`` over simulated years scored as the actual (>= 1).

    ``sims`` is (n_sims, n_items); each simulated year's PIT is its mid-rank among
    all simulated years of the item (its own draw counts half, as a tie).
    """
    n_sims, n_items = sims.shape
    if n_items < 2:
        return 1.0
    pit = (stats.rankdata(sims, axis=0) - 0.5) / n_sims
    k = _inside(pit, band).sum(axis=1)
    binomial = n_items * band * (1 - band)
    return float(max(k.var(ddof=1) / binomial, 1.0))


@dataclass(frozen=True)
class _Items:
    """One check of one origin: the actuals, their simulations and labels."""

    check: str
    labels: tuple[str, ...]
    actual: np.ndarray  # (n_items,)
    sims: np.ndarray  # (n_sims, n_items)


def _items(bt: Backtest) -> list[_Items]:
    annual = bt.sim_monthly.sum(axis=1, keepdims=True)
    return [
        _Items("company_year", (str(bt.year),), np.array([bt.actual_monthly.sum()]), annual),
        _Items(
            "company_month",
            tuple(f"{bt.year}-{m:02d}" for m in range(1, 13)),
            bt.actual_monthly,
            bt.sim_monthly,
        ),
        _Items("rep_year", bt.rep_ids, bt.actual_rep_year, bt.sim_rep_year),
    ]


def _chance(band: float, n_eff: float) -> tuple[float, float]:
    half = Z95 * np.sqrt(band * (1 - band) / n_eff) if n_eff > 0 else 1.0
    return float(max(band - half, 0.0)), float(min(band + half, 1.0))


def _coverage_row(origin: str, check: str, band: float, inside, n, n_eff, pits) -> dict:
    coverage = inside / n if n else np.nan
    low, high = wilson_interval(coverage * n_eff, n_eff)
    c_low, c_high = _chance(band, n_eff)
    if coverage < c_low:
        verdict = "too narrow"
    elif coverage > c_high:
        verdict = "too wide"
    else:
        verdict = "as expected"
    return {
        "origin": origin,
        "check": check,
        "band": band,
        "n": int(n),
        "inside": int(inside),
        "coverage": float(coverage),
        "low": low,
        "high": high,
        "nominal": band,
        "deff": float(n / n_eff) if n_eff else np.nan,
        "n_eff": float(n_eff),
        "chance_low": c_low,
        "chance_high": c_high,
        "mean_pit": float(np.mean(pits)),
        "verdict": verdict,
    }


def calibration_tables(origins: tuple[Backtest, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The coverage table (per origin, then pooled) and the PIT of every item."""
    rows, pits = [], []
    pooled: dict[tuple[str, float], list] = {}
    for bt in origins:
        for it in _items(bt):
            pit = _pit(it.sims, it.actual)
            p50 = np.median(it.sims, axis=0)
            pits += [
                dict(zip(PIT_COLUMNS, (str(bt.year), it.check, lab, a, m, p), strict=True))
                for lab, a, m, p in zip(it.labels, it.actual, p50, pit, strict=True)
            ]
            for band in BANDS:
                n = pit.size
                n_eff = n / _design_effect(it.sims, band)
                inside = int(_inside(pit, band).sum())
                rows.append(_coverage_row(str(bt.year), it.check, band, inside, n, n_eff, pit))
                pooled.setdefault((it.check, band), []).append((inside, n, n_eff, pit))
    if len(origins) > 1:
        for (check, band), parts in pooled.items():
            inside = sum(p[0] for p in parts)
            n = sum(p[1] for p in parts)
            n_eff = sum(p[2] for p in parts)
            pit = np.concatenate([p[3] for p in parts])
            rows.append(_coverage_row("pooled", check, band, inside, n, n_eff, pit))
    return (
        pd.DataFrame(rows, columns=list(CALIBRATION_COLUMNS)),
        pd.DataFrame(pits, columns=list(PIT_COLUMNS)),
    )


def bias_table(origins: tuple[Backtest, ...]) -> pd.DataFrame:
    """Company year and share at quota: the actual against the simulated median."""
    rows = []
    for bt in origins:
        annual = bt.sim_monthly.sum(axis=1)
        actual = float(bt.actual_monthly.sum())
        med = float(np.median(annual))
        pit = float(_pit(annual[:, None], np.array([actual]))[0])
        rows.append(
            {
                "origin": str(bt.year),
                "measure": "company_year",
                "actual": actual,
                "sim_p50": med,
                "bias": actual / med - 1.0,
                "std_error": float(annual.std(ddof=1) / med),
                "percentile": pit,
                "verdict": _band_verdict(pit),
            }
        )
        share = bt.check("share_at_quota").iloc[0]
        rows.append(
            {
                "origin": str(bt.year),
                "measure": "share_at_quota",
                "actual": float(share["actual"]),
                "sim_p50": float(share["sim_p50"]),
                "bias": float(share["actual"] - share["sim_p50"]),
                "std_error": float(bt.sim_share_at_quota.std(ddof=1)),
                "percentile": float(share["percentile"]),
                "verdict": _band_verdict(float(share["percentile"])),
            }
        )
    frame = pd.DataFrame(rows, columns=list(BIAS_COLUMNS))
    if len(origins) > 1:
        pooled = []
        for measure, part in frame.groupby("measure", sort=False):
            mean = float(part["bias"].mean())
            se = float(np.sqrt((part["std_error"] ** 2).sum()) / len(part))
            z = mean / se if se > 0 else 0.0
            if abs(z) > Z95:
                verdict = "biased high" if z < 0 else "biased low"
            else:
                verdict = "no significant bias"
            pooled.append(
                {
                    "origin": "pooled",
                    "measure": measure,
                    "actual": np.nan,
                    "sim_p50": np.nan,
                    "bias": mean,
                    "std_error": se,
                    "percentile": float(part["percentile"].mean()),
                    "verdict": verdict,
                }
            )
        frame = pd.concat([frame, pd.DataFrame(pooled, columns=list(BIAS_COLUMNS))])
    return frame.reset_index(drop=True)


def _band_verdict(pit: float) -> str:
    """One actual against its simulated 90% band: a simulation above it is biased high.

    The 90% band, not the 80%: each origin has two such checks, and a calibrated
    model would fail one of them in a third of the years at 80%.
    """
    if pit < (1 - VERDICT_BAND) / 2:
        return "biased high"
    if pit > (1 + VERDICT_BAND) / 2:
        return "biased low"
    return "inside"
