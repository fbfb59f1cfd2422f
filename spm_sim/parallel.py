"""Where independent pieces of work run: here, in local processes, or on Dask.

Every long computation of spm_sim that splits into independent tasks (chunks of
trials, scenarios of a sweep, quota calibration, capacity replications, headcount
curves, territory trade-offs) takes ``executor=`` and runs its tasks through
:func:`run_tasks`. The numbers never depend on where a task ran: each task draws
from streams of its own (see :mod:`spm_sim.random`), and the results come back in
the order the tasks were given. A task that runs elsewhere runs under the caller's
strict checks (:func:`spm_sim.errors.strict_checks`), and the warnings it raises
there (a :class:`~spm_sim.errors.PlausibilityWarning`, say) are raised again here,
so ``--strict`` and the warnings read the same whatever the executor.

``executor`` may be:

* ``None`` or ``"serial"``: every task in this process, one after another;
* ``"processes"``: a local pool of ``workers`` processes (default one per CPU);
* ``"dask"``: a ``dask.distributed`` cluster: the scheduler at ``scheduler``
  (``"tcp://host:8786"``) when given, else an embedded ``LocalCluster`` of
  ``workers`` single-threaded worker processes, closed when the work is done;
* any object with ``submit(fn, *args)`` returning futures with ``result()``: a
  ``concurrent.futures`` pool or a ``dask.distributed.Client`` you manage (left
  open).

Examples
--------
>>> from spm_sim.parallel import run_tasks
>>> run_tasks(pow, [(2, 3), (3, 2)])
[8, 9]
>>> with executor_for("serial") as ex:
...     ex is None
True
"""

from __future__ import annotations

import difflib
import logging
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from spm_sim.errors import SpmSimError, is_strict, strict_checks

__all__ = [
    "EXECUTORS",
    "SCHEDULER_TIMEOUT",
    "ExecutorLike",
    "executor_for",
    "executor_name",
    "run_tasks",
    "check_executor",
]

#: The executors named by text (``--executor`` on the command line).
EXECUTORS = ("serial", "processes", "dask")

#: Seconds to wait for a Dask scheduler given by its address before giving up.
SCHEDULER_TIMEOUT = 10.0

#: What ``executor=`` accepts: a name of :data:`EXECUTORS`, ``None`` (serial), or an
#: object with ``submit`` (a ``concurrent.futures.Executor``, a ``distributed.Client``).
ExecutorLike = Any


def check_executor(executor: ExecutorLike, *, where: str = "executor") -> ExecutorLike:
    """``executor`` checked: a known name, ``None`` or an object with ``submit``.

    Raises
    ------
    SpmSimError
        Naming the value, the choices and the closest one.

    Examples
    --------
    >>> check_executor("dask")
    'dask'
    >>> check_executor("dsak")
    Traceback (most recent call last):
    ...
    spm_sim.errors.SpmSimError: executor: unknown executor 'dsak' (did you mean 'dask'?); ...
    """
    if executor is None or hasattr(executor, "submit"):
        return executor
    if isinstance(executor, str) and executor.strip().lower() in EXECUTORS:
        return executor.strip().lower()
    close = difflib.get_close_matches(str(executor).lower(), EXECUTORS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise SpmSimError(
        f"{where}: unknown executor {executor!r}{hint}; use one of "
        f"{', '.join(EXECUTORS)}, or pass a concurrent.futures executor or a "
        "dask.distributed Client."
    )


def executor_name(executor: ExecutorLike) -> str:
    """How a result records where it ran: ``serial``, ``processes``, ``dask`` or the
    class name of an executor passed in.

    >>> executor_name(None), executor_name("processes")
    ('serial', 'processes')
    """
    if executor is None:
        return "serial"
    if isinstance(executor, str):
        return check_executor(executor)
    if _is_dask(executor):
        return "dask"
    if type(executor).__name__ == "ProcessPoolExecutor":
        return "processes"
    return type(executor).__name__


def _is_dask(executor: Any) -> bool:
    return type(executor).__module__.startswith("distributed") and hasattr(executor, "scatter")


def _workers(workers: int | None) -> int:
    """Processes of a local pool or cluster: ``workers``, at most one per CPU."""
    cpus = max(1, os.cpu_count() or 1)
    if workers is None:
        return cpus
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SpmSimError(f"workers must be a whole number >= 1, got {workers!r}.")
    return min(workers, cpus)


def _dask_client(workers: int | None, scheduler: str | None) -> tuple[Any, Any]:
    """A client and the local cluster made for it (``None`` when connecting to a scheduler)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - the [dask] extra is installed by make
        raise SpmSimError(
            "executor 'dask' needs dask.distributed, which is not installed; install it "
            "with: pip install 'spm_sim[dask]' (make setup does), or use 'processes'."
        ) from None
    if scheduler:
        if not isinstance(scheduler, str):
            raise SpmSimError(
                f"scheduler: a Dask scheduler's address is text such as "
                f"'tcp://10.0.0.5:8786', got {scheduler!r} ({type(scheduler).__name__})."
            )
        try:
            return Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT:g}s"), None
        except ValueError as exc:  # distributed's own check of the address
            raise SpmSimError(
                f"scheduler: {scheduler!r} is not a Dask scheduler address ({exc}); give "
                "it as tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786 (the address `dask "
                "scheduler` prints)."
            ) from None
        except (OSError, TimeoutError) as exc:
            raise SpmSimError(
                f"could not reach the Dask scheduler at {scheduler!r} ({exc}); start one "
                "with `dask scheduler` and `dask worker ADDRESS`, check the address, or "
                "leave out the scheduler to run on a local cluster."
            ) from None
    try:
        cluster = LocalCluster(
            n_workers=_workers(workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: never clashes with another cluster
            silence_logs=logging.ERROR,
        )
    except RuntimeError as exc:
        raise SpmSimError(
            f"could not start a local Dask cluster ({exc}). Run from a script or the "
            "command line (worker processes cannot start from interactive stdin), or use "
            "executor 'processes' or 'serial'."
        ) from None
    return Client(cluster), cluster


@contextmanager
def executor_for(
    executor: ExecutorLike = None, *, workers: int | None = None, scheduler: str | None = None
) -> Iterator[Any]:
    """The executor to submit tasks to, opened for the ``with`` block and closed after.

    Parameters
    ----------
    executor : None, str or executor
        See the module's docstring. An object with ``submit`` is yielded as is and
        left open; a pool or cluster made here is shut down on exit.
    workers : int, optional
        Processes of a local pool or workers of a local Dask cluster; default one
        per CPU. Ignored by ``"serial"`` and by an executor passed in.
    scheduler : str, optional
        Address of a running Dask scheduler (``"dask"`` only).

    Yields
    ------
    None or executor
        ``None`` means: run the tasks here.
    """
    executor = check_executor(executor)
    if scheduler and executor not in ("dask", None):
        raise SpmSimError(
            f"a Dask scheduler ({scheduler!r}) was given with executor {executor!r}; "
            "use executor 'dask' with a scheduler address."
        )
    if scheduler and executor is None:
        executor = "dask"
    if executor is None or executor == "serial":
        yield None
    elif executor == "processes":
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=_workers(workers))
        try:
            yield pool
        finally:
            pool.shutdown(cancel_futures=True)
    elif executor == "dask":
        client, cluster = _dask_client(workers, scheduler)
        try:
            yield client
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    else:
        yield executor


def run_tasks(
    fn: Callable[..., Any],
    tasks: Sequence[tuple],
    executor: ExecutorLike = None,
    *,
    shared: tuple = (),
    workers: int | None = None,
    scheduler: str | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list[Any]:
    """``[fn(*shared, *task) for task in tasks]``, run on ``executor``, in order.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled to reach other processes).
    tasks : sequence of tuples
        The arguments of each call after ``shared``.
    executor : None, str or executor
        Where the calls run (see the module's docstring).
    shared : tuple
        Leading arguments common to every call (a model, a plan): on Dask they are
        sent to the workers once, not with every task.
    workers, scheduler
        As :func:`executor_for`.
    on_done : callable, optional
        Called with the index of each task as its result is collected (in order),
        e.g. to move a progress bar.

    Returns
    -------
    list
        One result per task, in the order of ``tasks``. An exception raised by a task
        is raised here, with its own type and message.

    Examples
    --------
    >>> run_tasks(divmod, [(7,), (9,)], shared=(100,))
    [(14, 2), (11, 1)]
    """
    tasks = list(tasks)
    with executor_for(executor, workers=workers, scheduler=scheduler) as ex:
        if ex is None or len(tasks) <= 1 and not _is_dask(ex):
            out = []
            for i, task in enumerate(tasks):
                out.append(fn(*shared, *task))
                if on_done is not None:
                    on_done(i)
            return out
        strict = is_strict()
        if _is_dask(ex):
            # one object per value, under a fresh key: a value scattered before on the same
            # client (and released since) is never what a later call depends on
            lead = [
                ex.scatter([v], broadcast=True, hash=False)[0] if _heavy(v) else v for v in shared
            ]
            futures = [ex.submit(_remote, fn, strict, *lead, *task, pure=False) for task in tasks]
        else:
            futures = [ex.submit(_remote, fn, strict, *shared, *task) for task in tasks]
        try:
            results = []
            for i, fut in enumerate(futures):
                value, caught = _collect(fut, ex)
                for category, message in caught:
                    warnings.warn(message, category, stacklevel=2)
                results.append(value)
                if on_done is not None:
                    on_done(i)
            return results
        finally:
            for fut in futures:
                fut.cancel()


def _remote(fn: Callable[..., Any], strict: bool, *args: Any) -> tuple[Any, list]:
    """``fn(*args)`` in a worker: under the caller's strict checks, with the warnings it
    raises kept (category and text) to be raised again by the caller. (Recording
    warnings is not thread-safe: on a Dask worker of several threads a warning may be
    kept by a task running beside it; it is raised here all the same.)"""
    with strict_checks(strict), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn(*args)
    return value, [(w.category, str(w.message)) for w in caught]


def _collect(future: Any, executor: Any) -> tuple[Any, list]:
    """A task's result; a worker that died (a pool broken, a Dask worker killed) said
    in one line, the task's own exceptions raised as they are."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise SpmSimError(
            f"a worker process of the local pool died ({exc}), most often out of memory; "
            "use fewer workers or fewer trials at a time, or executor 'serial'."
        ) from None
    except Exception as exc:
        if type(exc).__name__ == "KilledWorker" and _is_dask(executor):
            raise SpmSimError(
                f"Dask gave up on a task whose workers kept dying ({exc}), most often out "
                "of memory; give the workers more memory, or run fewer trials at a time."
            ) from None
        raise


def _heavy(value: Any) -> bool:
    """Whether a shared argument is worth scattering to Dask's workers once (anything
    but small scalars and text)."""
    return not isinstance(value, (int, float, str, bool, type(None)))
