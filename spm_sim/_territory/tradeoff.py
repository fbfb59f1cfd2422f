"""The trade-off of disruption against distance and balance: :func:`tradeoff` runs
:func:`design` once per cap on the disrupted share, for the Pareto front.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spm_sim.errors import InfeasibleError, SpecError

from .design import design

__all__ = ["tradeoff"]


def tradeoff(
    units: pd.DataFrame,
    *,
    caps: Sequence[float | None] = (0.05, 0.10, 0.20, 0.30, None),
    **design_kwargs: Any,
) -> pd.DataFrame:
    """Disruption against distance and balance: one design per disruption cap.

    Parameters
    ----------
    units : DataFrame
        As for :func:`design`.
    caps : sequence of float or None
        Caps on the disrupted share; ``None`` is a run without a cap.
    **design_kwargs
        Passed to :func:`design` (``current`` is required); ``strict=False`` is used,
        and a cap no alignment can meet gives a row with status ``infeasible`` and
        its reason.

    Returns
    -------
    DataFrame
        One row per cap: ``cap``, ``status``, ``disruption``, ``units_moved``,
        ``total_distance``, ``max_dev`` and ``max_dev_<m>`` (absolute), ``gap``,
        ``seconds``, ``reason``. :func:`spm_sim.viz.tradeoff_curve` draws it.

    Examples
    --------
    >>> units = pd.DataFrame({"unit_id": range(6), "x": [0, 1, 2, 8, 9, 10], "y": 0,
    ...                       "potential": 1.0, "rep": ["A", "B", "A", "B", "A", "B"]})
    >>> homes = pd.DataFrame({"rep_id": ["A", "B"], "x": [0, 10], "y": 0})
    >>> t = tradeoff(units, caps=[0.0, 0.5, None], homes=homes, current="rep",
    ...              balance={"potential": 0.0})
    >>> t[["cap", "disruption", "total_distance"]]
       cap  disruption  total_distance
    0  0.0    0.000000            22.0
    1  0.5    0.333333             6.0
    2  NaN    0.333333             6.0
    """
    if design_kwargs.get("current") is None:
        raise SpecError("a trade-off of disruption needs the current alignment: current=COLUMN")
    rows = []
    for cap in caps:
        row: dict[str, Any] = {"cap": np.nan if cap is None else float(cap)}
        try:
            al = design(units, max_disruption=cap, strict=False, **design_kwargs)
        except InfeasibleError as err:
            row.update(status="infeasible", reason=str(err))
            rows.append(row)
            continue
        s, per = al.summary, al.territories
        row.update(
            status=s["status"],
            disruption=float(s["disruption"]),
            units_moved=int(s["units_moved"]),
            total_distance=float(s["total_distance"]),
            max_dev=float(s["max_dev"]),
            **{f"max_dev_{m}": float(per[f"dev_{m}"].abs().max()) for m in al.settings["balance"]},
            gap=float(s["gap"]),
            seconds=float(s["seconds"]),
            reason="",
        )
        rows.append(row)
    return pd.DataFrame(rows)
