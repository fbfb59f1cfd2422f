"""Running the chunks of a run, in order: here, on local processes or on Dask."""

from __future__ import annotations

from typing import Any

import numpy as np

from spm_sim.parallel import ExecutorLike, run_tasks
from spm_sim.scenario import Scenario

from .engine import _run_chunk
from .prepare import Prepared


def _chunk_task(
    model: Any,
    plan: Any,
    quotas: np.ndarray,
    target_incentive: np.ndarray,
    root: np.random.SeedSequence,
    mix: Any,
    kernel: Any,
    engine: str,
    start: int,
    stop: int,
) -> dict[str, np.ndarray]:
    """One chunk: the run's shared inputs first (sent to Dask's workers once), then the
    chunk's trials ``start..stop-1``."""
    return _run_chunk(model, plan, quotas, target_incentive, root, start, stop, mix, kernel, engine)


def _run_chunks(
    scenario: Scenario,
    prep: Prepared,
    root: np.random.SeedSequence,
    n: int,
    chunk_size: int,
    workers: int | None,
    executor: ExecutorLike,
    progress: bool,
    scheduler: str | None = None,
    start: int = 0,
) -> list[dict[str, np.ndarray]]:
    """The chunks of trials in order, run where ``executor`` says
    (:func:`spm_sim.parallel.run_tasks`); ``workers > 1`` without an executor is a local
    pool of that many processes. ``start`` > 0 runs only trials ``start..n-1`` (a run
    extended with more trials: trial ``t`` always draws the same)."""
    shared = (
        prep.model,
        scenario.plan,
        prep.quotas.values,
        prep.target_incentive,
        root,
        prep.deal_mix,
        prep.kernel,
        scenario.engine,
    )
    bounds = [(s, min(s + chunk_size, n)) for s in range(start, n, chunk_size)]
    if executor is None and workers is not None and workers > 1:
        executor = "processes"
    bar = None
    if progress:
        from tqdm.auto import tqdm

        desc = scenario.name if start == 0 else f"{scenario.name} to {n:,}"
        bar = tqdm(total=n - start, desc=desc, unit="trial", leave=False)

    def done(i: int) -> None:
        if bar is not None:
            a, b = bounds[i]
            bar.update(b - a)

    try:
        return run_tasks(
            _chunk_task,
            bounds,
            executor,
            shared=shared,
            workers=workers,
            scheduler=scheduler,
            on_done=done,
        )
    finally:
        if bar is not None:
            bar.close()
