"""Synthetic pipeline histories shared by the capacity and forecast tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def pipeline_with_reps(rng: np.random.Generator, rates: dict[str, float]) -> pd.DataFrame:
    """400 opportunities per rep, created from June 2023 over 540 days, each won with
    its rep's chance in ``rates``; those not closed by 30 June 2025 are open then."""
    rows = []
    for rep, p in rates.items():
        for _ in range(400):
            created = pd.Timestamp("2023-06-01") + pd.Timedelta(days=int(rng.integers(0, 540)))
            closed = created + pd.Timedelta(days=int(rng.integers(20, 120)))
            status = "won" if rng.random() < p else "lost"
            if closed > pd.Timestamp("2025-06-30"):
                status, closed = "open", pd.NaT
            rows.append(
                {
                    "opportunity_id": f"O{len(rows):05d}",
                    "rep_id": rep,
                    "stage": "Propose",
                    "probability": 0.4,
                    "amount": 10_000.0,
                    "created_date": created,
                    "expected_close_date": created + pd.Timedelta(days=60),
                    "status": status,
                    "closed_date": closed,
                }
            )
    return pd.DataFrame(rows)
