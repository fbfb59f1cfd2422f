"""Running a notebook headless for a test: nbclient, with the kernel's replies read promptly.

nbclient waits for a cell's reply with one ``poll`` on the kernel's shell socket, as
long as the cell's whole timeout. Through pyzmq's asyncio sockets that poll can miss
the wake-up of a reply that has arrived (jupyter/nbclient#312, seen with widget
cells): the cell then "takes" the whole timeout and passes. A 10-second notebook
took 180 or 240 seconds in about one full run of the suite in two. Here every wait
is cut into polls of at most :data:`STEP` seconds; a new poll looks at the socket
first, so a reply missed by one is read by the next.
"""

from __future__ import annotations

import copy
import functools
import os
import time
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
from jupyter_core.utils import run_sync
from nbclient import NotebookClient

#: the longest single wait on a kernel socket, seconds
STEP = 1.0

#: the size every notebook runs at in the tests (the notebooks' SPM_SIM_TRIALS)
TRIALS = "100"


def _in_steps(get_msg: Any) -> Any:
    """``get_msg(timeout=...)`` as a loop of polls of at most :data:`STEP` seconds,
    ending at the same deadline (``timeout=None``: no deadline)."""

    async def get(timeout: float | None = None) -> dict:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            step = STEP if left is None else min(STEP, left)
            try:
                return await get_msg(timeout=step)
            except Empty:
                if left is not None and left <= STEP:
                    raise

    return get


class PromptClient(NotebookClient):
    """A ``NotebookClient`` whose shell and IOPub reads poll in steps (module docstring)."""

    async def async_start_new_kernel_client(self) -> Any:
        kc = await super().async_start_new_kernel_client()
        for channel in (kc.shell_channel, kc.iopub_channel):
            channel.get_msg = _in_steps(channel.get_msg)
        return kc

    # the blocking form, as nbclient builds it, so that ``setup_kernel`` uses it too
    start_new_kernel_client = run_sync(async_start_new_kernel_client)


def run(nb: nbformat.NotebookNode, path: Path, *, timeout: int = 180) -> nbformat.NotebookNode:
    """Execute ``nb`` in place (working folder: ``path``'s folder) at :data:`TRIALS` trials.

    ``SPM_SIM_TRIALS`` is set for the kernel, which inherits it, and put back after.
    """
    before = os.environ.get("SPM_SIM_TRIALS")
    os.environ["SPM_SIM_TRIALS"] = TRIALS
    try:
        PromptClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    finally:
        if before is None:
            del os.environ["SPM_SIM_TRIALS"]
        else:
            os.environ["SPM_SIM_TRIALS"] = before
    return nb


@functools.cache
def _executed(path: Path) -> nbformat.NotebookNode:
    return run(nbformat.read(path, as_version=4), path)


def executed(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` as run by :func:`run`: run once per test process, a fresh
    copy for each caller (tests/test_notebooks.py and tests/test_widgets.py read the
    same run of notebook 03)."""
    return copy.deepcopy(_executed(Path(path).resolve()))
