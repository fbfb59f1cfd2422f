"""Monte Carlo engine: a scenario in, simulated bookings and payouts out.

Built for scale from the start:

* trials run in chunks; each chunk draws its trials' bookings, shaped
  ``(trials, reps, periods)``, and applies the plan's payout kernel to the whole chunk;
* trials are drawn in blocks of 25 (:data:`spm_sim.random.TRIAL_BLOCK`), block ``b``
  from ``SeedSequence(seed, spawn_key=(0x80000006, b))`` in one batch; trial ``t`` is
  always the same place of the same block, so the numbers depend on the seed and the
  trial index only: not on the chunk size, the number of worker processes, or which
  worker ran which chunk;
* the engine that draws the sales is resolved once, when the scenario is prepared:
  ``engine: auto`` (the default) takes the summed engine where its distribution
  matches the per-deal engine's (the sample book) and draws every deal elsewhere
  (:func:`spm_sim.productivity.choose_engine`); the result records which
  (``SimulationResult.engine``) and its notes say why;
* the draws depend on the book, the plan year, the seed and the engine, not on the
  plan or the quotas: scenarios that differ only there share their draws (common
  random numbers) and their paired differences carry no sales-sampling noise;
  scenarios run together (``spm-sim run``, :func:`simulate_to_precision` of a list,
  :func:`spm_sim.sweep.sweep`) resolve ``auto`` to one engine
  (:func:`resolve_engines`): a plan that pays on measures of single deals draws every
  deal, and the others of its group draw every deal with it; planned hires
  (``quota.hires``) and the seats' attrition clocks draw on streams of their own, so
  the book's reps keep their draws with or without them;
* chunks run where ``executor`` says (:mod:`spm_sim.parallel`): here, on a local pool
  of processes, on a Dask cluster (an embedded ``LocalCluster`` or a scheduler's
  address), or on any executor with a ``submit`` method;
* since trial ``t`` always draws the same, a run can be extended: running to a
  precision (:func:`simulate_to_precision`) adds batches of trials until a figure's
  interval is narrow enough, and equals a plain run of its final trial count;
* a result saves to a folder (:meth:`SimulationResult.save`: Parquet for the trials,
  JSON for the spec, seed, quotas, fitted model and input checksums) and reads back
  bit for bit (:func:`load_result`), so a report is rebuilt without running again;
* how much of a difference between two plans is the reps' response to the plan and
  how much is mechanical (the same sales paid under the other plan):
  :func:`response_decomposition`, each part a paired difference with its interval;
* several plan years (a scenario's ``years``): :func:`simulate_years` runs them one
  after the other, each trial's quotas set from its own year by the quota rule,
  people and deals carried over; :func:`compare_years` pairs two such runs year by
  year (year ``y`` draws from its own root, :func:`spm_sim.random.year_root`).
"""

from __future__ import annotations

from spm_sim.book import Book
from spm_sim.errors import strict_checks
from spm_sim.parallel import ExecutorLike, check_executor, executor_for, executor_name
from spm_sim.random import (
    RngLike,
    seed_sequence,
    trial_rng,
    workforce_rng,
)
from spm_sim.scenario import Scenario

from ._simulate.chunks import _run_chunks
from ._simulate.draws import SalesDraws, draw_sales
from ._simulate.engine import draw_block
from ._simulate.pairing import resolve_engines
from ._simulate.precision import (
    FIGURE_ALIASES,
    figure_interval,
    parse_figure,
    simulate_to_precision,
)
from ._simulate.prepare import Prepared, _strict, prepare, reference_effort, sales_cycle_months
from ._simulate.response import (
    RESPONSE_METRICS,
    RESPONSE_PARTS,
    ResponseDecomposition,
    response_decomposition,
)
from ._simulate.result import Precision, SimulationResult, _result, load_result
from ._simulate.store import is_saved_result, save_result
from ._simulate.years import simulate_years
from ._simulate.years_result import YEAR_METRICS, YearsResult, compare_years

__all__ = [
    "SimulationResult",
    "Precision",
    "simulate_to_precision",
    "figure_interval",
    "parse_figure",
    "FIGURE_ALIASES",
    "save_result",
    "load_result",
    "is_saved_result",
    "SalesDraws",
    "draw_sales",
    "Prepared",
    "prepare",
    "resolve_engines",
    "simulate",
    "draw_block",
    "reference_effort",
    "sales_cycle_months",
    "seed_sequence",
    "trial_rng",
    "workforce_rng",
    "simulate_years",
    "YearsResult",
    "compare_years",
    "YEAR_METRICS",
    "response_decomposition",
    "ResponseDecomposition",
    "RESPONSE_METRICS",
    "RESPONSE_PARTS",
]


def simulate(
    scenario: Scenario,
    n_trials: int | None = None,
    *,
    rng: RngLike = None,
    book: Book | None = None,
    chunk_size: int = 250,
    workers: int | None = 1,
    executor: ExecutorLike = None,
    scheduler: str | None = None,
    progress: bool = False,
    engine: tuple[str, str] | None = None,
) -> SimulationResult:
    """Run the Monte Carlo of a scenario.

    Parameters
    ----------
    scenario : Scenario
    n_trials : int, optional
        Default ``scenario.trials``.
    rng : int, SeedSequence or Generator, optional
        Default ``scenario.seed``. The same value gives identical numbers whatever
        ``chunk_size``, ``workers`` or ``executor``.
    book : Book, optional
        An already loaded book (default: load ``scenario.book``).
    chunk_size : int, default 250
        Trials drawn and paid together (memory ~ chunk_size x reps x 12 x 8 bytes x 3),
        rounded down to whole blocks of 25 trials (a block is drawn whole).
    workers : int, optional, default 1
        Processes of a local pool (more than 1 without ``executor`` means
        ``executor="processes"``), or workers of a local Dask cluster; None: one per
        CPU.
    executor : {None, "serial", "processes", "dask"} or executor, optional
        Where the chunks run, and the simulated years of calibrated quotas
        (:func:`spm_sim.parallel.executor_for`, opened once for both): ``"dask"``
        starts a local cluster for the run (or connects to ``scheduler``); any object
        with ``submit(fn, *args)``, such as a ``concurrent.futures`` pool or a
        ``dask.distributed.Client``, is used as it is.
    scheduler : str, optional
        Address of a running Dask scheduler (implies ``executor="dask"``).
    progress : bool, default False
        Show a tqdm progress bar over chunks.
    engine : (str, str), optional
        The engine to draw with and why, as :func:`resolve_engines` chose it for this
        scenario among others run with it (so that ``engine: auto`` scenarios of one
        book, plan year and seed draw alike and compare trial by trial). Default:
        the scenario's, ``auto`` resolved for it alone; two results of ``auto``
        scenarios simulated one at a time may then differ in engine, and
        :func:`spm_sim.metrics.compare` pairs them only when they do not.

    Returns
    -------
    SimulationResult
        With the engine the sales were drawn with (``engine``: for ``engine: auto``
        the one it chose, and why in ``notes``), ``executor`` and ``chunk_size``
        recorded; :meth:`SimulationResult.save`
        writes it to a folder that :func:`load_result` reads back bit for bit.

    Raises
    ------
    SpmSimError
        When a money figure of the run (bookings, incentive, their totals) is not
        finite: an input so large that the arithmetic overflowed. A scenario with
        ``strict: true`` also raises the book's plausibility warnings as errors
        (:func:`spm_sim.errors.strict_checks` around the whole run).

    Examples
    --------
    >>> from spm_sim import load_scenario, simulate
    >>> s = load_scenario("data/scenarios/baseline.yaml")  # doctest: +SKIP
    >>> simulate(s, 200, rng=0).summary()  # doctest: +SKIP
    """
    n = int(scenario.trials if n_trials is None else n_trials)
    if n < 1:
        raise ValueError(f"n_trials must be >= 1, got {n}.")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}.")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}.")
    executor = check_executor(executor)
    where = _where_run(executor, workers, scheduler)
    if executor is None and where == "processes":
        executor = "processes"
    with strict_checks(_strict(scenario)):
        root = seed_sequence(rng, default=scenario.seed)
        # one executor for the run: calibrated quotas' simulated years, then the chunks
        with executor_for(executor, workers=workers, scheduler=scheduler) as ex:
            prep = prepare(scenario, book, rng=root, progress=progress, executor=ex, engine=engine)
            parts = _run_chunks(scenario, prep, root, n, chunk_size, None, ex, progress)
    return _result(scenario, n, root, prep, parts, executor=where, chunk_size=chunk_size)


def _where_run(executor: ExecutorLike, workers: int | None, scheduler: str | None) -> str:
    """The executor a run records: a scheduler means Dask, ``workers > 1`` alone a pool."""
    if executor is None and scheduler:
        return "dask"
    if executor is None and workers is not None and workers > 1:
        return "processes"
    return executor_name(executor)
