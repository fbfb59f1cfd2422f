"""The trade-off of disruption against distance and balance: :func:`tradeoff` runs
:func:`design` once per cap on the disrupted share, for the Pareto front. The caps
are independent runs, so they can run on any executor of :mod:`spm_sim.parallel`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spm_sim.errors import InfeasibleError, SpecError
from spm_sim.parallel import ExecutorLike, check_executor, run_tasks
from spm_sim.random import seed_sequence

from .design import design

__all__ = ["tradeoff"]


def tradeoff(
    units: pd.DataFrame,
    *,
    caps: Sequence[float | None] = (0.05, 0.10, 0.20, 0.30, None),
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    **design_kwargs: Any,
) -> pd.DataFrame:
    """Disruption against distance and balance: one design per disruption cap.

    Parameters
    ----------
    units : DataFrame
        As for :func:`design`.
    caps : sequence of float or None
        Caps on the disrupted share; ``None`` is a run without a cap.
    executor : None, "serial", "processes", "dask" or an executor, optional
        Where the designs run, one task per cap (:mod:`spm_sim.parallel`): here
        (default), on a local process pool, on Dask, or on a ``concurrent.futures``
        pool or ``distributed.Client`` you pass. The rows are the same on every
        executor (``seconds`` aside, the time each design took), but for a design
        its ``time_limit`` stopped (status ``time_limit``): it keeps the best
        alignment found by then, which depends on the machine's speed and load.
    workers : int, optional
        Processes of a local pool or workers of a local Dask cluster (default one
        per CPU).
    scheduler : str, optional
        Address of a running Dask scheduler (implies ``executor="dask"``).
    progress : bool, default False
        Show a progress bar over the caps (tqdm); the numbers do not depend on it.
    **design_kwargs
        Passed to :func:`design` (``current`` is required); ``strict=False`` is used,
        and a cap no alignment can meet gives a row with status ``infeasible`` and
        its reason. ``rng`` is read once, so every cap starts from the same centers
        (also with a ``Generator``).

    Returns
    -------
    DataFrame
        One row per cap, in the order of ``caps``: ``cap``, ``status``,
        ``disruption``, ``units_moved``, ``total_distance``, ``max_dev`` and
        ``max_dev_<m>`` (absolute), ``gap``, ``seconds``, ``reason``.
        :func:`spm_sim.viz.tradeoff_curve` draws it.

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
    for name in ("max_disruption", "strict"):
        if name in design_kwargs:
            raise SpecError(
                f"tradeoff sets {name} itself (one design per cap, strict=False); leave "
                f"{name}={design_kwargs[name]!r} out and give the caps as caps=[...]."
            )
    caps = _caps(caps)
    executor = check_executor(executor)
    # one root for every cap: the same centers' starts whichever process runs a cap
    kwargs = {**design_kwargs, "rng": seed_sequence(design_kwargs.get("rng"))}
    from tqdm.auto import tqdm

    with tqdm(total=len(caps), desc="trade-off", unit="cap", disable=not progress) as bar:
        rows = run_tasks(
            _one_cap,
            [(cap,) for cap in caps],
            executor,
            shared=(units, kwargs),
            workers=workers,
            scheduler=scheduler,
            on_done=lambda _i: bar.update(1),
        )
    return pd.DataFrame(rows)


def _caps(caps: Any) -> list[float | None]:
    """The caps as a list, each ``None`` or a share in [0, 1] (a located message if not)."""
    if isinstance(caps, (str, bytes)) or not isinstance(caps, Sequence) or not len(caps):
        raise SpecError(
            f"tradeoff: caps must be a non-empty list of shares in [0, 1] or None (no cap), "
            f"got {caps!r}; e.g. caps=[0.05, 0.1, 0.2, None]."
        )
    out: list[float | None] = []
    for i, cap in enumerate(caps):
        if cap is None:
            out.append(None)
            continue
        ok = isinstance(cap, (int, float, np.integer, np.floating)) and not isinstance(cap, bool)
        if not ok or not 0.0 <= float(cap) <= 1.0:
            raise SpecError(
                f"tradeoff: caps[{i}] must be a share of units in [0, 1] or None (no cap), "
                f"got {cap!r}; e.g. 0.1 for 10%."
            )
        out.append(float(cap))
    return out


def _one_cap(units: pd.DataFrame, kwargs: dict[str, Any], cap: float | None) -> dict[str, Any]:
    """One row of the trade-off: the design under ``cap``, or why there is none."""
    row: dict[str, Any] = {"cap": np.nan if cap is None else float(cap)}
    try:
        al = design(units, max_disruption=cap, strict=False, **kwargs)
    except InfeasibleError as err:
        row.update(status="infeasible", reason=str(err))
        return row
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
    return row
