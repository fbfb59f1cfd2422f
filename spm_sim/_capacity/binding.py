"""Which stage of a funnel binds: each stage's queue and the conversion lost there.

A lead that waits at a stage passes it with a smaller chance
(:func:`~spm_sim.capacity.pass_probability`): the conversion the queue costs at
stage ``k`` is, over the leads worked there, the sum of ``p0 - p(wait)`` (``p0`` the
stage's conversion, ``p(wait)`` the chance left after the lead's wait), an expected
number of leads that would have passed had they not waited. Each of them was worth
the chance of getting through the later stages (each later stage's realised pass
rate in the same year, its own queue included) times the win rate and the mean deal
size: so the **bookings lost** at the stage, whenever they would have closed. The
stage that loses the most bookings, if it loses at least :data:`BINDING_SHARE` of
its conversion, is the one that **binds**: a rep added there buys back the most.

More reps at an earlier stage pass more leads, sooner, to the later ones; when a
later stage binds, its queue grows, every lead there waits longer and the funnel can
end up with fewer opportunities than before (issue 19: more SDRs, fewer bookings,
because the AE stage binds). :func:`stage_losses` makes that visible.

A private module of :mod:`spm_sim.capacity`; pure functions over the frames of a
:class:`~spm_sim.capacity.CapacityResult` (or one replication's frames).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .queueing import mean_ci

if TYPE_CHECKING:
    from .model import CapacityConfig, CapacityResult

__all__ = [
    "BINDING_SHARE",
    "STAGE_FIGURES",
    "stage_figures",
    "stage_losses",
    "binding_stage",
    "binding_stages",
]

#: A stage binds only when waiting there costs at least this share of its conversion
#: (below it, every stage keeps up and none is named).
BINDING_SHARE = 0.02

#: The figures of :func:`stage_figures`, each ``<figure>_<stage>`` per replication.
STAGE_FIGURES = (
    "arrived",
    "worked",
    "waiting_at_year_end",
    "mean_wait_hours",
    "p90_wait_hours",
    "mean_queue",
    "utilisation",
    "lost_leads",
    "share_lost",
    "bookings_lost",
)


def _time_average(queue: pd.DataFrame, hours: float) -> float:
    """Time-average of a stage's number waiting over ``[0, hours]`` (a step function
    recorded at each change)."""
    q = queue.sort_values("time", kind="stable")
    t = np.append(q["time"].to_numpy(float), hours)
    return float((np.diff(t) * q["waiting"].to_numpy(float)).sum() / hours) if hours > 0 else 0.0


def _seat_value(config: CapacityConfig, seats: np.ndarray) -> np.ndarray:
    """Expected bookings of an opportunity opened at each last-stage ``seat``."""
    o = config.opportunity
    rates = np.full(seats.shape, o.win_rate, dtype=float)
    if o.seat_win_rates is not None:
        table = np.asarray(o.seat_win_rates, dtype=float)
        inside = seats < table.size
        rates[inside] = table[seats[inside]]
    return rates * o.deal_size


def stage_figures(
    config: CapacityConfig,
    work: pd.DataFrame,
    reps: pd.DataFrame,
    queue: pd.DataFrame,
    hours: float,
) -> pd.DataFrame:
    """Each replication's queue and losses at every stage: one row a replication.

    Parameters
    ----------
    config : CapacityConfig
    work, reps, queue : DataFrame
        :class:`~spm_sim.capacity.CapacityResult`'s frames (with ``replication``).
    hours : float
        Working hours of the year.

    Returns
    -------
    DataFrame
        Index ``replication``; for each stage ``s`` the columns ``<figure>_<s>`` of
        :data:`STAGE_FIGURES`: leads that reached it (``arrived``: every lead at the
        first stage, those that passed the stage before at a later one), ``worked``,
        ``waiting_at_year_end``, the mean and 90th percentile wait (working hours),
        the time-average number waiting (``mean_queue``), ``utilisation`` (busy over
        in-seat hours), ``lost_leads`` (expected passes lost to waiting,
        ``sum(p0 - p(wait))``), ``share_lost`` (over ``sum(p0)``), and
        ``bookings_lost`` (``lost_leads`` x the value of a pass there: the later
        stages' realised pass rates x win rate x mean deal, by seat at the last stage).
    """
    names = [s.name for s in config.stages]
    out = pd.DataFrame(index=pd.Index(sorted(work["replication"].unique()), name="replication"))
    p0_all = np.array([s.conversion for s in config.stages])
    for r, w in work.groupby("replication", sort=True):
        stage = w["stage"].to_numpy()
        p0 = p0_all[stage]
        lost = p0 - w["p_pass"].to_numpy(float)
        passed = w["passed"].to_numpy(bool)
        n_stages = len(config.stages)
        worked = np.bincount(stage, minlength=n_stages).astype(float)
        through = np.bincount(stage, weights=passed.astype(float), minlength=n_stages)
        rate = np.divide(through, worked, out=np.zeros(n_stages), where=worked > 0)
        last = stage == n_stages - 1
        # a pass at the last stage is worth its seat's expected deal; at an earlier
        # stage, the later stages' realised pass rates times the mean of those
        value_last = _seat_value(config, w["seat"].to_numpy()[last])
        none = _seat_value(config, np.zeros(1, dtype=int))[0]
        mean_last = float(value_last.mean()) if value_last.size else float(none)
        for k, name in enumerate(names):
            on = stage == k
            waits = w["wait"].to_numpy(float)[on]
            # the first stage's arrivals are every lead (from the leads frame, later)
            arrived = through[k - 1] if k > 0 else np.nan
            later = float(np.prod(rate[k + 1 :])) if k + 1 < n_stages else 1.0
            if k == n_stages - 1:
                booked = float((lost[on] * value_last).sum())
            else:
                booked = float(lost[on].sum()) * later * mean_last
            q = queue[(queue["replication"] == r) & (queue["stage"] == name)]
            seat = reps[(reps["replication"] == r) & (reps["stage"] == name)]
            in_seat = float(seat["hours_in_seat"].sum())
            out.loc[r, f"arrived_{name}"] = arrived
            out.loc[r, f"worked_{name}"] = float(on.sum())
            out.loc[r, f"waiting_at_year_end_{name}"] = (
                arrived - float(on.sum()) if k > 0 else np.nan
            )
            out.loc[r, f"mean_wait_hours_{name}"] = float(waits.mean()) if waits.size else 0.0
            out.loc[r, f"p90_wait_hours_{name}"] = (
                float(np.quantile(waits, 0.9)) if waits.size else 0.0
            )
            out.loc[r, f"mean_queue_{name}"] = _time_average(q, hours) if len(q) else 0.0
            out.loc[r, f"utilisation_{name}"] = (
                float(seat["busy_hours"].sum()) / in_seat if in_seat > 0 else np.nan
            )
            out.loc[r, f"lost_leads_{name}"] = float(lost[on].sum())
            base = float(p0[on].sum())
            out.loc[r, f"share_lost_{name}"] = float(lost[on].sum()) / base if base > 0 else 0.0
            out.loc[r, f"bookings_lost_{name}"] = booked
    return out


def stage_losses(result: CapacityResult, level: float = 0.95) -> pd.DataFrame:
    """Each stage's queue and the conversion lost to waiting there, with intervals.

    Parameters
    ----------
    result : CapacityResult
        From :func:`~spm_sim.capacity.run_capacity` (every stage simulated).
    level : float, default 0.95
        Confidence level of the intervals across replications.

    Returns
    -------
    DataFrame
        One row per stage, in funnel order: ``stage``, ``reps``, ``routing`` and the
        mean of each figure of :func:`stage_figures` (``arrived`` at the first stage
        is every lead; ``waiting_at_year_end`` the leads that reached the stage and
        were not worked by 31 December), with ``_low`` and ``_high`` bounds for
        ``mean_wait_hours``, ``share_lost`` and ``bookings_lost``; and ``binding``
        (True on the stages :func:`binding_stages` names). ``attrs``: ``binding``
        (the one stage that binds, or ``None`` when none does or two bind within
        noise), ``binding_stages`` (the tuple), ``replications``, ``level``.

    Examples
    --------
    >>> from spm_sim.capacity import CapacityConfig, run_capacity, stage_losses
    >>> cfg = CapacityConfig(name="funnel", segments=[{"name": "web", "leads_per_year": 3000}],
    ...     stages=[{"name": "SDR", "reps": 4, "effort_hours": 0.5, "conversion": 0.5,
    ...              "decay_half_life_hours": 8},
    ...             {"name": "AE", "reps": 1, "effort_hours": 1.5, "conversion": 0.5,
    ...              "decay_half_life_hours": 8}])
    >>> table = stage_losses(run_capacity(cfg, 2, rng=0))
    >>> table.attrs["binding"]  # one AE for ~1,500 meetings of 1.5 h: the AE queue binds
    'AE'
    """
    config = result.config
    per = stage_figures(config, result.work, result.reps, result.queue, result.hours)
    leads = result.leads.groupby("replication").size()
    first = config.stages[0].name
    per[f"arrived_{first}"] = leads.reindex(per.index).to_numpy(float)
    per[f"waiting_at_year_end_{first}"] = per[f"arrived_{first}"] - per[f"worked_{first}"]
    return _table(config, per, level)


def _table(config: CapacityConfig, per: pd.DataFrame, level: float) -> pd.DataFrame:
    rows = []
    for s in config.stages:
        row: dict = {"stage": s.name, "reps": s.reps, "routing": s.routing}
        for fig in STAGE_FIGURES:
            values = per[f"{fig}_{s.name}"].to_numpy(float)
            mean, half = mean_ci(values, level=level)
            row[fig] = float(mean)
            if fig in ("mean_wait_hours", "share_lost", "bookings_lost"):
                # each figure is at least 0: so is its interval
                row[f"{fig}_low"] = max(float(mean - half), 0.0)
                row[f"{fig}_high"] = float(mean + half)
        rows.append(row)
    table = pd.DataFrame(rows)
    names = binding_stages(table, per=per, level=level)
    table["binding"] = table["stage"].isin(names)
    table.attrs.update(
        {
            "binding": names[0] if len(names) == 1 else None,
            "binding_stages": names,
            "replications": len(per),
            "level": level,
        }
    )
    return table


def binding_stage(table: pd.DataFrame, share: float = BINDING_SHARE) -> str | None:
    """The stage that binds: the one losing the most bookings to waiting, among those
    losing at least ``share`` of their conversion; ``None`` when every stage keeps up.

    ``table`` has the columns ``stage``, ``share_lost`` and ``bookings_lost`` (a
    :func:`stage_losses` table, or one row per stage of means).

    Examples
    --------
    >>> t = pd.DataFrame({"stage": ["SDR", "AE"], "share_lost": [0.01, 0.2],
    ...                   "bookings_lost": [50_000.0, 4e6]})
    >>> binding_stage(t)
    'AE'
    >>> binding_stage(t.assign(share_lost=[0.01, 0.015])) is None
    True
    """
    over = table[table["share_lost"] >= share]
    if over.empty:
        return None
    return str(over.loc[over["bookings_lost"].idxmax(), "stage"])


def binding_stages(
    table: pd.DataFrame,
    share: float = BINDING_SHARE,
    *,
    per: pd.DataFrame | None = None,
    level: float = 0.95,
) -> tuple[str, ...]:
    """The stage that binds, told apart from noise: ``()`` when every stage keeps up,
    ``(name,)`` when one stage clearly loses the most, ``(first, second)`` when the two
    losing the most cannot be told apart (the one with the larger mean first).

    Among the stages losing at least ``share`` of their conversion, the two with the
    largest mean ``bookings_lost`` are compared year by year: the difference of their
    bookings lost in each replication of ``per`` (paired, the same simulated years),
    with its ``level`` interval. One is named only when the interval excludes 0;
    with one replication, or without ``per``, the means decide.

    Parameters
    ----------
    table : DataFrame
        ``stage``, ``share_lost`` and ``bookings_lost`` (means), one row a stage.
    share : float, default :data:`BINDING_SHARE`
    per : DataFrame, optional
        One row a replication with ``bookings_lost_<stage>`` (:func:`stage_figures`).
    level : float, default 0.95

    Examples
    --------
    >>> t = pd.DataFrame({"stage": ["SDR", "AE"], "share_lost": [0.1, 0.2],
    ...                   "bookings_lost": [1.0e6, 1.1e6]})
    >>> per = pd.DataFrame({"bookings_lost_SDR": [0.8e6, 1.2e6, 1.0e6],
    ...                     "bookings_lost_AE": [1.3e6, 0.9e6, 1.1e6]})
    >>> binding_stages(t, per=per)  # AE loses more on average, not in every year
    ('AE', 'SDR')
    >>> binding_stages(t, per=per.assign(bookings_lost_AE=per["bookings_lost_SDR"] + 1e5))
    ('AE',)
    """
    over = table[table["share_lost"] >= share]
    if over.empty:
        return ()
    top = over.sort_values("bookings_lost", ascending=False, kind="stable")
    first = str(top["stage"].iloc[0])
    if len(top) == 1 or per is None or len(per) < 2:
        return (first,)
    second = str(top["stage"].iloc[1])
    diff = per[f"bookings_lost_{first}"].to_numpy(float) - per[f"bookings_lost_{second}"].to_numpy(
        float
    )
    mean, half = mean_ci(diff, level=level)
    if np.isfinite(half) and mean - half > 0:
        return (first,)
    return (first, second)
