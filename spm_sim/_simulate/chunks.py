"""Running the chunks of a run here, in a local pool or on any executor."""

from __future__ import annotations

import os
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

import numpy as np

from spm_sim.scenario import Scenario

from .engine import _run_chunk
from .prepare import Prepared


def _run_chunks(
    scenario: Scenario,
    prep: Prepared,
    root: np.random.SeedSequence,
    n: int,
    chunk_size: int,
    workers: int,
    executor: Executor | Any | None,
    progress: bool,
) -> list[dict[str, np.ndarray]]:
    """The chunks of trials, run here, in a local pool or on ``executor``, in order."""
    args = (prep.model, scenario.plan, prep.quotas.values, prep.target_incentive, root)
    bounds = [(s, min(s + chunk_size, n)) for s in range(0, n, chunk_size)]
    tail = (prep.deal_mix, prep.kernel, scenario.engine)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc=scenario.name, unit="trial", leave=False)
    own_pool = None
    if executor is None and workers > 1:
        own_pool = executor = ProcessPoolExecutor(max_workers=min(workers, os.cpu_count() or 1))
    try:
        if executor is None:
            chunks = (_run_chunk(*args, a, b, *tail) for a, b in bounds)
        else:
            futures = [executor.submit(_run_chunk, *args, a, b, *tail) for a, b in bounds]
            chunks = (f.result() for f in futures)
        parts = []
        for (a, b), part in zip(bounds, chunks, strict=True):
            parts.append(part)
            if bar is not None:
                bar.update(b - a)
    finally:
        if own_pool is not None:
            own_pool.shutdown()
        if bar is not None:
            bar.close()
    return parts
