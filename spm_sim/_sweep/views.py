"""One scenario under several quota settings, on common random numbers.

:func:`company_view` simulates a scenario under several quota settings with the same
draws and puts the company-level outcomes side by side (the chance of the company
target, incentive cost with its percentiles, share of reps at quota).
:func:`quota_diagnostics_by_setting` sets each setting's quotas as the simulation
does and judges them with :func:`~spm_sim.quota.quota_diagnostics` against one
yardstick: the same simulated sales, the same territory potential and run rates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spm_sim._spec import whole_count
from spm_sim.book import load_book_ref
from spm_sim.errors import SpecError, SpmSimError
from spm_sim.parallel import ExecutorLike, executor_for
from spm_sim.quota import (
    QuotaDiagnostics,
    Quotas,
    annual_draws,
    quota_diagnostics,
    rep_potential,
    rep_run_rates,
)
from spm_sim.random import RngLike, seed_sequence
from spm_sim.simulate import Prepared, SalesDraws, prepare, simulate

if TYPE_CHECKING:
    from spm_sim.book import Book
    from spm_sim.scenario import Scenario

__all__ = ["company_view", "quota_diagnostics_by_setting", "SettingDiagnostics"]


def _setup(
    func: str,
    scenario: Scenario,
    settings: Mapping[str, Any],
    trials: int | None,
    rng: RngLike,
    book: Book | None,
) -> tuple[int, np.random.SeedSequence, Book]:
    """The settings checked, the trials, the run's root (normalised once: a Generator
    would move on) and the book (loaded once) shared by every setting."""
    _check_settings(func, settings)
    n = scenario.trials if trials is None else whole_count(func, "trials", trials)
    root = seed_sequence(rng, default=scenario.seed)
    return n, root, book if book is not None else load_book_ref(scenario.book)


def _check_settings(func: str, settings: Any) -> None:
    """``settings`` is a non-empty mapping (its names are checked one by one)."""
    if not isinstance(settings, Mapping) or not settings:
        raise SpecError(
            f"{func}: settings must be a non-empty mapping of name -> QuotaSettings, got "
            f"{settings!r}. Pass e.g. {{'flat': QuotaSettings(), '10% over': "
            "QuotaSettings(over_assignment=0.1)}."
        )


def _with_setting(func: str, scenario: Scenario, name: Any, quota: Any) -> Scenario:
    """``scenario`` with the quota setting ``name``, validated (a located message if not)."""
    if not isinstance(name, str) or not name.strip():
        raise SpecError(
            f"{func}: setting names must be non-empty text, got {name!r}; name each "
            "setting as it should appear in the table."
        )
    try:
        return scenario.replace(quota=quota)
    except SpecError as exc:  # the scenario's located message, one line per problem
        raise SpecError(
            f"{func}: setting {name!r} is not a valid quota setting: {exc} "
            "Fix that field of the setting."
        ) from None


def company_view(
    scenario: Scenario,
    settings: Mapping[str, Any],
    *,
    trials: int | None = None,
    rng: RngLike = None,
    book: Book | None = None,
    progress: bool = False,
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
    draws: SalesDraws | None = None,
) -> pd.DataFrame:
    """Simulate one scenario under several quota settings, with the same draws.

    Parameters
    ----------
    scenario : Scenario
        Book, plan year, plan and seed; its ``quota`` is replaced by each setting.
    settings : mapping of str to QuotaSettings
        Named quota settings (a mapping of fields is validated as one), in the order
        of the rows.
    trials : int, optional
        Trials per setting; default ``scenario.trials``.
    rng : int, SeedSequence or Generator, optional
        Default ``scenario.seed``. Normalised once, so every setting sees the same
        bookings trial by trial (common random numbers) even for a Generator.
    book : Book, optional
        The loaded book; default loaded once from ``scenario.book``.
    progress : bool, default False
        Show a progress bar over each setting's trials (tqdm, as
        :func:`~spm_sim.simulate.simulate` does); the numbers do not depend on it.
    executor : {None, "serial", "processes", "dask"} or executor, optional
        Where each setting's chunks of trials run (:mod:`spm_sim.parallel`), opened
        once for all the settings; the numbers do not depend on it.
    workers : int, optional
        Processes of a local pool or workers of a local Dask cluster.
    scheduler : str, optional
        Address of a running Dask scheduler (implies ``executor="dask"``).
    draws : SalesDraws, optional
        The scenario's sales already drawn for ``trials`` trials on the same ``rng``
        and book (:func:`~spm_sim.simulate.draw_sales`): each setting is paid on them
        (bit for bit what :func:`~spm_sim.simulate.simulate` gives, and much faster).
        A setting the draws do not fit (other planned hires) or another number of
        trials is simulated as usual.

    Returns
    -------
    DataFrame
        One row per setting: ``setting, method, company_target, sum_of_quotas,
        over_assignment, expected_bookings, p_company_target, p_company_target_se,
        share_at_quota, share_at_quota_se, share_at_quota_p10, share_at_quota_p90,
        incentive_cost, incentive_cost_se, incentive_cost_p10, incentive_cost_p50,
        incentive_cost_p90, incentive_cost_of_sales, common_draws``.
        ``common_draws`` is True when the setting's bookings are identical to the
        first setting's (they should be: quotas do not change the sales draws).
        ``attrs`` carry the scenario, seed, trials and version.

    Notes
    -----
    The numbers come from :meth:`SimulationResult.summary` (definitions in
    ``spm_sim.metrics``): ``p_company_target`` is the share of trials whose company
    bookings reach the company target (binomial standard error);
    ``incentive_cost_of_sales`` is the mean over trials of incentive / bookings.
    Because the bookings are shared, differences between rows carry no sales
    sampling noise: with the same growth, rows differ in ``p_company_target`` not
    at all, whatever their over-assignment (the target is the same number).

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> from spm_sim.quota import QuotaSettings
    >>> view = company_view(sample_scenario("baseline"), {
    ...     "none": QuotaSettings(growth=0.08), "10%": QuotaSettings(growth=0.08,
    ...     over_assignment=0.10)}, trials=200, rng=0)
    >>> view[["setting", "over_assignment"]].round(3)
      setting  over_assignment
    0    none              0.0
    1     10%              0.1
    >>> bool(view["common_draws"].all())
    True
    """
    func = "company_view"
    n, root, book = _setup(func, scenario, settings, trials, rng, book)
    rows = []
    first = None
    result = None
    results = []
    with executor_for(executor, workers=workers, scheduler=scheduler) as ex:
        for name, quota in settings.items():
            sc = _with_setting(func, scenario, name, quota)
            if draws is not None and draws.n_trials == n and draws.mismatch(sc) is None:
                result = draws.pay(sc)
            else:
                result = simulate(sc, n, rng=root, book=book, progress=progress, executor=ex)
            results.append((name, sc, result))
    for name, sc, result in results:
        if first is None:
            first = result
        summ = result.summary().set_index("metric")
        share = summ.loc["share_reps_at_quota"]
        cost = summ.loc["incentive_cost"]
        hit = summ.loc["hit_company_target"]
        total_q = float(result.quotas.annual.sum())
        rows.append(
            {
                "setting": name,
                "method": getattr(sc.quota, "method", ""),
                "company_target": result.company_target,
                "sum_of_quotas": total_q,
                "over_assignment": total_q / result.company_target - 1.0,
                "expected_bookings": float(summ.loc["company_bookings", "mean"]),
                "p_company_target": float(hit["mean"]),
                "p_company_target_se": float(hit["se"]),
                "share_at_quota": float(share["mean"]),
                "share_at_quota_se": float(share["se"]),
                "share_at_quota_p10": float(share["p10"]),
                "share_at_quota_p90": float(share["p90"]),
                "incentive_cost": float(cost["mean"]),
                "incentive_cost_se": float(cost["se"]),
                "incentive_cost_p10": float(cost["p10"]),
                "incentive_cost_p50": float(cost["p50"]),
                "incentive_cost_p90": float(cost["p90"]),
                "incentive_cost_of_sales": float(summ.loc["incentive_cost_of_sales", "mean"]),
                "common_draws": bool(
                    result.bookings.shape == first.bookings.shape
                    and np.array_equal(result.bookings, first.bookings)
                ),
            }
        )
    df = pd.DataFrame(rows)
    df.attrs.update(
        scenario=scenario.name,
        seed={"entropy": root.entropy, "spawn_key": list(root.spawn_key)},
        n_trials=n,
        spm_sim_version=result.version if result is not None else "",
        settings={k: _dump(v) for k, v in settings.items()},
    )
    return df


def _dump(spec) -> Any:
    return spec.model_dump() if hasattr(spec, "model_dump") else dict(spec)


@dataclass(frozen=True)
class SettingDiagnostics:
    """Quota settings judged side by side: each one's quotas and their diagnostics.

    Returned by :func:`quota_diagnostics_by_setting`.

    Attributes
    ----------
    quotas : dict of str to Quotas
        Each setting's quotas, as :func:`~spm_sim.simulate.prepare` (and so
        :func:`company_view` and :func:`~spm_sim.simulate.simulate` on the same
        ``rng``) sets them, in the order of the settings.
    diagnostics : dict of str to QuotaDiagnostics
        The same quotas judged by :func:`~spm_sim.quota.quota_diagnostics`.
    n_trials : int
        Simulated years behind every judgement.
    """

    quotas: dict[str, Quotas] = field(repr=False)
    diagnostics: dict[str, QuotaDiagnostics] = field(repr=False)
    n_trials: int = 0

    @property
    def names(self) -> list[str]:
        """The settings' names, in order."""
        return list(self.quotas)


@dataclass(frozen=True)
class _Yardstick:
    """What every setting's quotas are judged against (for one set of reps)."""

    draws: np.ndarray
    potential: pd.Series | None
    history: pd.Series | None
    base_salary: np.ndarray
    target_incentive: np.ndarray


def _yardstick(
    scenario: Scenario,
    book: Book,
    prep: Prepared,
    trials: int,
    root: np.random.SeedSequence,
    progress: bool = False,
    executor: ExecutorLike = None,
) -> _Yardstick:
    """The draws, potential, run rates and pay of ``prep``'s reps, read with the
    scenario's own quota settings (its potential column and history window)."""
    own = scenario.quota
    reps = prep.model.rep_ids
    potential = None  # unknown: not judged (0 would flag every quota as unreachable)
    if own.potential_column in book.accounts.columns:
        potential = rep_potential(book.accounts, reps, own.potential_column)
    # planned hires (quota.hires) are not in the book: no history, 0 (not judged on growth)
    known = set(book.reps["rep_id"].astype(str))
    try:
        history = rep_run_rates(
            book,
            plan_year=scenario.plan_year,
            settings=own,
            rep_ids=[r for r in reps if r in known],
        ).reindex(list(reps), fill_value=0.0)
    except (SpmSimError, ValueError):  # a book whose history gives no run rate
        history = None
    return _Yardstick(
        draws=annual_draws(prep.model, trials, rng=root, progress=progress, executor=executor),
        potential=potential,
        history=history,
        base_salary=prep.base_salary,
        target_incentive=prep.target_incentive,
    )


def quota_diagnostics_by_setting(
    scenario: Scenario,
    settings: Mapping[str, Any],
    *,
    trials: int | None = None,
    rng: RngLike = None,
    book: Book | None = None,
    progress: bool = False,
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> SettingDiagnostics:
    """Set the quotas of several settings and judge each on the same simulated sales.

    Parameters
    ----------
    scenario : Scenario
        Book, plan year, plan and seed; its ``quota`` is replaced by each setting,
        and its own quota settings say how the yardstick is read (below).
    settings : mapping of str to QuotaSettings
        Named quota settings (a mapping of fields is validated as one), in order.
    trials : int, optional
        Simulated years to judge on; default ``scenario.trials``.
    rng : int, SeedSequence or Generator, optional
        Default ``scenario.seed``; normalised once to the run's root. The quotas
        (a calibration's stream) and the draws (the trials' streams) come from it,
        so with the same int or SeedSequence, :func:`company_view` simulates these
        quotas on these very draws.
    book : Book, optional
        The loaded book; default loaded once from ``scenario.book``.
    progress : bool, default False
        Show a progress bar over the simulated years the settings are judged on
        (tqdm); the numbers do not depend on it.
    executor : {None, "serial", "processes", "dask"} or executor, optional
        Where the simulated years are drawn (:func:`~spm_sim.quota.annual_draws` on
        :mod:`spm_sim.parallel`), opened once for all the settings; the numbers do
        not depend on it.
    workers : int, optional
        Processes of a local pool or workers of a local Dask cluster.
    scheduler : str, optional
        Address of a running Dask scheduler (implies ``executor="dask"``).

    Returns
    -------
    SettingDiagnostics
        Per setting name, the :class:`~spm_sim.quota.Quotas` and their
        :class:`~spm_sim.quota.QuotaDiagnostics`.

    Notes
    -----
    Every setting is judged against one yardstick, so their differences come from
    the quotas alone:

    * the draws: :func:`~spm_sim.quota.annual_draws` of the fitted model on the
      trials' streams of ``rng``, the bookings :func:`~spm_sim.simulate.simulate`
      draws trial by trial (before a workforce or behaviour, if the scenario has
      one, changes them);
    * the potential: :func:`~spm_sim.quota.rep_potential` of the column the
      scenario's quota settings name (``potential_column``). A book whose accounts
      lack that column has no potential to judge against: ``potential`` is None,
      so ``quota_to_potential`` is NaN, no rep is flagged on it and its
      correlations are NaN (a potential of 0 would flag every quota as infinitely
      above its territory's potential);
    * the history: :func:`~spm_sim.quota.rep_run_rates` with the scenario's quota
      settings (their history window, ramp and seasonality), each rep's
      annualised run rate, so reps who were there part of last year are not
      flagged for growth they will not need. A planned hire (``quota.hires``) has
      no history: 0, so not judged on growth. A book whose history gives no run
      rate at all leaves ``history`` None (no rep judged on growth);
    * the pay: each rep's base salary and target incentive, for the quota-to-OTE
      ratio.

    Settings with other planned hires than the first have other reps: their
    yardstick is drawn for those reps, the same way.

    Raises
    ------
    SpecError
        If ``settings`` is empty or not a mapping, a name is not text, or a setting
        is not valid for the scenario.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> from spm_sim.quota import QuotaSettings
    >>> judged = quota_diagnostics_by_setting(sample_scenario("baseline"), {
    ...     "history": QuotaSettings(growth=0.08),
    ...     "10% over": QuotaSettings(growth=0.08, over_assignment=0.10)}, trials=200, rng=0)
    >>> judged.names
    ['history', '10% over']
    >>> [round(d.value("over_assignment"), 3) for d in judged.diagnostics.values()]
    [0.0, 0.1]
    >>> share = [d.value("share_at_quota") for d in judged.diagnostics.values()]
    >>> bool(share[1] < share[0])  # the same sales against higher quotas
    True
    """
    func = "quota_diagnostics_by_setting"
    n, root, book = _setup(func, scenario, settings, trials, rng, book)
    yardsticks: dict[Any, _Yardstick] = {}
    quotas: dict[str, Quotas] = {}
    diagnostics: dict[str, QuotaDiagnostics] = {}
    with executor_for(executor, workers=workers, scheduler=scheduler) as ex:
        for name, quota in settings.items():
            sc = _with_setting(func, scenario, name, quota)
            prep = prepare(sc, book, rng=root)
            # the reps (and so the draws and pay) change with the planned hires only
            key = sc.quota.hires
            if key not in yardsticks:
                yardsticks[key] = _yardstick(scenario, book, prep, n, root, progress, ex)
            quotas[name] = prep.quotas
            diagnostics[name] = _judge(prep, yardsticks[key])
    return SettingDiagnostics(quotas=quotas, diagnostics=diagnostics, n_trials=n)


def _judge(prep: Prepared, y: _Yardstick) -> QuotaDiagnostics:
    return quota_diagnostics(
        prep.quotas,
        y.draws,
        potential=y.potential,
        history=y.history,
        base_salary=y.base_salary,
        target_incentive=y.target_incentive,
    )
