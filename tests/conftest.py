"""Fixtures shared by test files, and what lets ``make test`` run on two processes.

One local Dask cluster serves the whole session: starting a ``LocalCluster`` takes
about a second and a half; every test that runs work on Dask (simulate, sweeps,
goal-seek, quota calibration, capacity replications, headcount curves, territory
trade-offs) uses this one instead of its own.

``make test`` runs the suite with pytest-xdist (``-n 2 --dist loadfile``): each
worker process takes whole test files, so a file's module fixtures are built once
(a few files go together: :data:`TOGETHER`). Each worker has its own session, so
its own cluster, started only if one of its files needs it. Every test writes under
its own ``tmp_path`` and every server picks a free port (tests/_browser.py), so two
workers never meet on a file or a port.
"""

from __future__ import annotations

import logging
import os

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two workers share the machine's cores: one BLAS thread each (numpy reads these
    # when it is first imported; the commands, kernels and Dask workers the tests start
    # inherit them). A variable already set is left as it is.
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")


#: Test files that one worker runs as one unit under ``--dist loadfile``: the browser
#: tests (one Chromium and one server at a time, never two competing for two cores),
#: and notebook 03's two readers (tests/_notebook.py runs it once per process).
TOGETHER = {
    "tests/test_browser_app.py": "browser tests",
    "tests/test_browser_lab.py": "browser tests",
    "tests/test_browser_report.py": "browser tests",
    "tests/test_widgets.py": "tests/test_notebooks.py",
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` with the files of :data:`TOGETHER` sent to one worker."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Together(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return TOGETHER.get(scope, scope)

    return Together(config, log)


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
