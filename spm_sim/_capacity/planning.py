"""Staffing a capacity model: whether a service target holds, the smallest team that
meets it, the curve of figures against team size, and what each added rep brings.

A private module of :mod:`spm_sim.capacity`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from spm_sim.errors import CapacityError
from spm_sim.random import RngLike, seed_sequence

from .model import CapacityConfig, ServiceTarget, calendar, run_capacity

__all__ = ["meets_target", "headcount_curve", "smallest_team", "marginal_value"]


def meets_target(
    summary: pd.DataFrame, target: ServiceTarget, config: CapacityConfig, stage: int = 0
) -> bool:
    """Whether the target holds with the confidence interval on the safe side: the
    share contacted in time at the first stage, the utilisation at ``stage``."""
    s = summary.set_index("figure")
    ok = True
    if target.within_hours is not None:
        low = s.loc[f"share_within_{target.within_hours:g}h", "low"]
        mean = s.loc[f"share_within_{target.within_hours:g}h", "mean"]
        ok &= bool((low if np.isfinite(low) else mean) >= target.share)
    if target.max_utilisation is not None:
        st = config.stages[stage]
        high = s.loc[f"utilisation_{st.name}", "high"]
        mean = s.loc[f"utilisation_{st.name}", "mean"]
        ok &= bool((high if np.isfinite(high) else mean) <= target.max_utilisation)
    return ok


def headcount_curve(
    config: CapacityConfig,
    sizes: Iterable[int],
    *,
    stage: int = 0,
    replications: int | None = None,
    rng: RngLike = None,
    workers: int = 1,
    within_hours: float | None = None,
) -> pd.DataFrame:
    """Service level, utilisation and bookings against team size, with intervals.

    Every size runs the same replications' streams (``rng``: int, SeedSequence or
    Generator, default ``config.seed``, normalised once), so the arrivals, efforts and
    conversion draws are shared across sizes (common random numbers) and the
    differences between sizes are the team's effect. ``extra_bookings_per_rep``
    is the bookings gained by the last rep added, against ``rep_cost``. The service
    level is the share contacted within ``within_hours`` (default: the target's,
    else 1 hour).
    """
    rng = seed_sequence(rng, default=config.seed)  # once: a Generator would move on
    rows = []
    for n in sizes:
        res = run_capacity(config.with_reps(int(n), stage), replications, rng=rng, workers=workers)
        summ = res.summary(within_hours=within_hours).set_index("figure")
        row = {"reps": int(n)}
        for fig in summ.index:
            row[fig] = summ.loc[fig, "mean"]
            row[f"{fig}_low"] = summ.loc[fig, "low"]
            row[f"{fig}_high"] = summ.loc[fig, "high"]
        rows.append(row)
    df = pd.DataFrame(rows).sort_values("reps").reset_index(drop=True)
    df["extra_bookings_per_rep"] = df["bookings"].diff() / df["reps"].diff()
    df["rep_cost"] = config.rep_cost
    df.attrs.update({"config": config.name, "stage": config.stages[stage].name})
    return df


def smallest_team(
    config: CapacityConfig,
    target: ServiceTarget | None = None,
    *,
    stage: int = 0,
    replications: int | None = None,
    rng: RngLike = None,
    workers: int = 1,
    max_reps: int = 2000,
) -> dict:
    """The smallest number of reps at ``stage`` that meets ``target``.

    The target holds when its confidence interval across replications is on the
    safe side (the lower bound of the share contacted in time at or above the
    target, the upper bound of utilisation at or below the cap). The search starts
    at the offered load (the fewest reps that can keep up at all), doubles until
    the target holds, then bisects; every size runs on the same streams (``rng``:
    int, SeedSequence or Generator, default ``config.seed``, normalised once).

    Returns
    -------
    dict
        ``reps`` (the answer), ``tried`` (every size run, a figure per column: the
        means), ``tried_intervals`` (the same in long form with ``low`` and
        ``high``), ``offered_load`` (reps busy on average).
    """
    rng = seed_sequence(rng, default=config.seed)  # once: a Generator would move on
    target = target if target is not None else config.target
    if target is None:
        raise CapacityError(
            "smallest_team needs a service target: give target (e.g. ServiceTarget("
            "within_hours=1, share=0.9)) or set 'target' in the configuration."
        )
    if stage > 0 and target.within_hours is not None:
        raise CapacityError(
            f"the response-time target (within {target.within_hours:g} h) is measured at the "
            f"first stage ({config.stages[0].name!r}); reps at stage "
            f"{config.stages[stage].name!r} cannot change it. Search that stage with a "
            "utilisation cap (max_utilisation) only."
        )
    st = config.stages[stage]
    cal = calendar(config)
    leads = sum(s.leads_per_year for s in config.segments)
    # leads reaching this stage: the earlier stages' conversion without waiting
    for earlier in config.stages[:stage]:
        leads *= earlier.conversion
    load = leads / cal.hours * st.effort_hours / st.selling_share
    tried: dict[int, pd.DataFrame] = {}

    def ok(n: int) -> bool:
        if n not in tried:
            res = run_capacity(config.with_reps(n, stage), replications, rng=rng, workers=workers)
            tried[n] = res.summary(within_hours=target.within_hours)
        return meets_target(tried[n], target, config.with_reps(n, stage), stage)

    lo = max(1, math.floor(load))  # fewer reps than the load cannot keep up
    hi = max(lo, math.ceil(load) + 1)
    while not ok(hi):
        lo, hi = hi, hi * 2
        if hi > max_reps:
            raise CapacityError(
                f"no team of up to {max_reps} reps at stage {st.name!r} meets the target "
                f"{target.model_dump(exclude_none=True)}; check the effort, selling_share and "
                "lead volume, or loosen the target."
            )
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    if lo >= 1 and ok(lo):  # the start at the load itself may already meet it
        hi = lo
    long = pd.concat([t.assign(reps=n) for n, t in sorted(tried.items())], ignore_index=True)
    frame = long.pivot(index="reps", columns="figure", values="mean")
    return {"reps": hi, "tried": frame, "tried_intervals": long, "offered_load": load}


def marginal_value(curve: pd.DataFrame, config: CapacityConfig) -> pd.DataFrame:
    """Add what each added rep brings in opportunities and their expected bookings.

    Parameters
    ----------
    curve : DataFrame
        From :func:`spm_sim.capacity.headcount_curve` (columns ``reps``,
        ``opportunities``).
    config : CapacityConfig
        Its ``opportunity`` gives the win rate and the mean deal size.

    Returns
    -------
    DataFrame
        ``curve`` with ``extra_opportunities_per_rep`` (the change in opportunities
        per rep added since the size before) and ``expected_value_per_rep`` (those
        opportunities times ``win_rate x deal_size``: bookings whenever they close,
        in the year or after); ``NaN`` in the first row.

    Notes
    -----
    ``extra_bookings_per_rep`` counts only deals closed in the year and carries the
    noise of the win and deal-size draws; the opportunities come before both, so
    their expected value moves more steadily with the team size.

    Examples
    --------
    >>> from spm_sim.capacity import CapacityConfig
    >>> cfg = CapacityConfig(name="x", segments=[{"name": "s", "leads_per_year": 10}],
    ...                      stages=[{"name": "AE", "reps": 1, "effort_hours": 1}],
    ...                      opportunity={"win_rate": 0.25, "deal_size": 20_000})
    >>> curve = pd.DataFrame({"reps": [2, 3, 5], "opportunities": [100.0, 120.0, 130.0]})
    >>> marginal_value(curve, cfg)["expected_value_per_rep"].tolist()
    [nan, 100000.0, 25000.0]
    """
    o = config.opportunity
    out = curve.copy()
    out["extra_opportunities_per_rep"] = out["opportunities"].diff() / out["reps"].diff()
    out["expected_value_per_rep"] = out["extra_opportunities_per_rep"] * o.win_rate * o.deal_size
    return out
