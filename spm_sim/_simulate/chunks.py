"""Running the chunks of a run, in order: here, on local processes or on Dask."""

from __future__ import annotations

from typing import Any

import numpy as np

from spm_sim.parallel import ExecutorLike, run_tasks
from spm_sim.random import TRIAL_BLOCK
from spm_sim.scenario import Scenario

from .engine import _run_chunk
from .prepare import Prepared


def chunk_bounds(start: int, stop: int, chunk_size: int) -> list[tuple[int, int]]:
    """Trials ``start..stop-1`` cut into chunks that never split a block of
    :data:`spm_sim.random.TRIAL_BLOCK` trials (a block is drawn whole, so a chunk
    ending inside one would draw it twice): chunks of ``chunk_size`` rounded down to
    whole blocks (at least one), their edges at multiples of it.

    >>> chunk_bounds(0, 60, 250)
    [(0, 60)]
    >>> chunk_bounds(0, 110, 30)
    [(0, 25), (25, 50), (50, 75), (75, 100), (100, 110)]
    >>> chunk_bounds(510, 700, 100)
    [(510, 600), (600, 700)]
    """
    if start >= stop:
        return []
    size = max(TRIAL_BLOCK, chunk_size // TRIAL_BLOCK * TRIAL_BLOCK)
    edges = [start, *range((start // size + 1) * size, stop, size), stop]
    return list(zip(edges[:-1], edges[1:], strict=True))


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
    extended with more trials: trial ``t`` always draws the same). The chunks are
    :func:`chunk_bounds`: whole blocks of trials, none drawn twice."""
    shared = (
        prep.model,
        scenario.plan,
        prep.quotas.values,
        prep.target_incentive,
        root,
        prep.deal_mix,
        prep.kernel,
        prep.engine,
    )
    bounds = chunk_bounds(start, n, chunk_size)
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
