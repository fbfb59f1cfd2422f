"""Fixtures shared by test files: one local Dask cluster for the whole session.

Starting a ``LocalCluster`` takes about a second and a half; every test that runs
work on Dask (simulate, sweeps, goal-seek, quota calibration, capacity replications,
headcount curves, territory trade-offs) uses this one instead of its own.
"""

from __future__ import annotations

import logging

import pytest


@pytest.fixture(scope="session")
def dask_client():
    """A ``distributed.Client`` on a ``LocalCluster`` of 2 single-threaded worker
    processes (the [dask] extra, installed by make: never skipped)."""
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: never clashes with another cluster
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
