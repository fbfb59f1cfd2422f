"""A small book with known parameters, written as CSV files, for oracle tests.

The generating process is the model of ``docs/model.md`` with chosen values, so a
fit can be checked against the truth and Monte Carlo means against closed forms.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: true monthly deal rates at full productivity and average seasonality
TRUE_RATES = {"R1": 2.0, "R2": 3.0, "R3": 4.0, "R4": 2.5, "R5": 3.5, "R6": 3.0}
REGIONS = {"R1": "East", "R2": "East", "R3": "East", "R4": "West", "R5": "West", "R6": "West"}
#: January..December, mean 1
SEASON = np.array([0.7, 0.8, 1.1, 0.8, 0.9, 1.1, 0.8, 0.9, 1.2, 1.0, 1.1, 1.6])
SEASON = SEASON / SEASON.mean()
SIZE_MU, SIZE_SIGMA = np.log(20_000.0), 0.8
HIRE = {r: "2019-06-01" for r in TRUE_RATES} | {"R6": "2025-04-01"}


def write_book(
    folder: Path,
    *,
    seed: int = 1,
    years=(2023, 2024, 2025),
    rates: dict[str, float] | None = None,
    size_mu: dict[str, float] | None = None,
    regions: dict[str, str] | None = None,
    hire: dict[str, str] | None = None,
    term: dict[str, str] | None = None,
    growth: float = 0.0,
    end: str | None = None,
    season: np.ndarray | None = None,
    size_sigma: float | None = None,
) -> Path:
    """Write reps.csv, accounts.csv and bookings.csv for a team with known parameters.

    ``rates`` are monthly deal rates at full productivity, average seasonality and the
    level of the middle of 2026 when ``growth`` (yearly, e.g. 0.15) is not 0;
    ``size_mu`` each rep's mean log deal size (default ``SIZE_MU`` for all); ``end``
    cuts the history at that date and writes it as the book's ``snapshot_date``;
    ``term`` gives the last working day of reps who leave (no deals after it);
    ``season`` replaces ``SEASON`` (12 factors, January first, rescaled to mean 1) and
    ``size_sigma`` replaces ``SIZE_SIGMA``.
    """
    season = SEASON if season is None else np.asarray(season, float) / np.mean(season)
    sigma = SIZE_SIGMA if size_sigma is None else float(size_sigma)
    rates = rates or TRUE_RATES
    size_mu = size_mu or {r: SIZE_MU for r in rates}
    regions = regions or {
        r: REGIONS.get(r, "East" if i % 2 else "West") for i, r in enumerate(rates)
    }
    hire = hire or {r: HIRE.get(r, "2019-06-01") for r in rates}
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    reps = pd.DataFrame(
        {
            "rep_id": list(rates),
            "name": [f"Rep {r}" for r in rates],
            "region": [regions[r] for r in rates],
            "role": "AE",
            "hire_date": [hire[r] for r in rates],
            "term_date": [(term or {}).get(r, "") for r in rates],
            "base_salary": 90_000.0,
            "target_incentive": 60_000.0,
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": [f"A{r}" for r in rates],
            "name": [f"Account of {r}" for r in rates],
            "lat": 40.0,
            "lon": -90.0,
            "segment": "Mid-Market",
            "industry": "Software",
            "potential": 1_000_000.0,
            "workload": 50.0,
            "rep_id": list(rates),
        }
    )
    rows = []
    cut = pd.Timestamp(end) if end else None
    for year in years:
        for month in range(1, 13):
            start = pd.Timestamp(year=year, month=month, day=1)
            level = (1.0 + growth) ** (year + (month - 0.5) / 12 - 2026.5)
            for rep, rate in rates.items():
                h = pd.Timestamp(hire[rep])
                last = pd.Timestamp(term[rep]) if term and rep in term else None
                if start < h or (last is not None and start > last):
                    continue
                tenure = (year - h.year) * 12 + month - h.month
                ramp = (0.25, 0.5, 0.75, 1.0)[min(tenure // 3, 3)]
                n = rng.poisson(rate * season[month - 1] * ramp * level)
                for _ in range(n):
                    day = start + pd.Timedelta(days=int(rng.integers(0, 28)))
                    amount = round(float(rng.lognormal(size_mu[rep], sigma)), 2)
                    if (cut is None or day <= cut) and (last is None or day <= last):
                        rows.append((day, f"A{rep}", rep, amount))
    bookings = pd.DataFrame(rows, columns=["date", "account_id", "rep_id", "amount"])
    bookings.insert(0, "deal_id", [f"D{i:06d}" for i in range(1, len(bookings) + 1)])
    bookings["date"] = bookings["date"].dt.strftime("%Y-%m-%d")
    bookings["product"] = "Platform"
    reps.to_csv(folder / "reps.csv", index=False)
    accounts.to_csv(folder / "accounts.csv", index=False)
    bookings.to_csv(folder / "bookings.csv", index=False)
    if end:
        (folder / "book.yaml").write_text(
            f'name: synthetic\nsnapshot_date: "{end}"\n', encoding="utf-8"
        )
    return folder
