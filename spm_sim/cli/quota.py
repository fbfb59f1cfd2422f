"""``spm-sim quotas``: set quotas for a scenario and judge them (a sub-command of
:mod:`spm_sim.cli`).

::

    spm-sim quotas data/scenarios/baseline.yaml --method potential \\
        --over-assignment 0.05 --region-over-assignment 0.02 --out quotas.csv
    spm-sim quotas data/scenarios/baseline.yaml --method calibrated --probability 0.65
    spm-sim quotas data/scenarios/baseline.yaml --trials 20000 --executor dask

The scenario's ``quota:`` settings are the starting point; the options replace
them. It prints the method, the sums at each level of the hierarchy, the simulated
attainment, fairness and feasibility, and the company view (probability of reaching
the company target, incentive cost), and writes the quotas (rep x month), a per-rep
table and, with ``--figure``, the quota-fit and attainment figures. Figures outside
:data:`spm_sim.metrics.RESULT_RANGES` (almost no rep at quota, a median attainment
of 17%, an incentive cost of sales of 40%) are flagged with the quota settings behind
them: a warning, or an error before anything is written under ``--strict`` or the
scenario's ``strict: true``. Without
``--out`` the quotas go to ``quotas.csv``, or ``quotas-2.csv``, ``quotas-3.csv``...
when an earlier run's file is there: a default never replaces an earlier run.
The simulated years run on ``--executor`` (serial, processes or dask; ``--scheduler
ADDR`` for a running Dask cluster), opened once for the command, with the same
numbers on each.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from spm_sim._files import make_folder, save_figure, write_csv
from spm_sim._format import format_money, format_pct
from spm_sim.errors import SpecError, strict_checks

from .args import (
    MAX_COMPANY_TARGET,
    MAX_TRIALS,
    MIN_MONEY,
    add_executor,
    add_seed,
    add_workers,
    amount,
    count,
    executor_options,
    real,
    show_progress,
)
from .places import check_memory, output_file
from .table import format_table, plural, wrap_lines
from .territory import parse_named_numbers

__all__ = ["add_quotas_parser", "cmd_quotas", "parse_weights", "quota_outputs"]

#: Where the quotas go without ``--out`` (numbered when an earlier run's file is there).
DEFAULT_OUT = Path("quotas.csv")
#: The most over-assignments ``--compare-over-assignment`` compares.
MAX_COMPARED = 20
#: The most years of history ``--history-weights`` weighs.
MAX_HISTORY_YEARS = 10
#: Bytes of memory per simulated year and rep a quota judgement keeps (about 33
#: measured on the sample book), per setting judged.
TRIAL_BYTES = 96

_over_assignment = real(0.0, 2.0, percent=True)
_probability = real(0.0, 1.0, low_open=True, high_open=True, percent=True)


def parse_weights(text: str) -> dict[str, float]:
    """``"history=0.6,potential=40%"`` -> ``{"history": 0.6, "potential": 0.4}``.

    Examples
    --------
    >>> parse_weights("history=0.6, potential=40%")
    {'history': 0.6, 'potential': 0.4}
    """
    weights = parse_named_numbers(text, form="BASIS=WEIGHT", example="history=0.6 or potential=40%")
    for name, w in weights.items():
        if not 0 <= w <= 1:
            raise argparse.ArgumentTypeError(f"weight of {name!r} must be in [0, 1], got {w:g}")
    return weights


def _floats(text: str) -> tuple[float, ...]:
    """Weights of the history years, recent first: finite, >= 0, at most 10 of them."""
    try:
        out = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of numbers (e.g. 0.5,0.3,0.2)"
        ) from None
    if not out or len(out) > MAX_HISTORY_YEARS:
        raise argparse.ArgumentTypeError(
            f"give 1 to {MAX_HISTORY_YEARS} weights, one a year (e.g. 0.5,0.3,0.2); got {len(out)}"
        )
    bad = [v for v in out if not (math.isfinite(v) and v >= 0)]
    if bad:
        raise argparse.ArgumentTypeError(f"weights must be finite and >= 0, got {bad[0]:g}")
    return out


def _shares(text: str) -> tuple[float, ...]:
    """Rep-level over-assignments to compare: each in [0, 2], at most 20 of them."""
    out = tuple(_over_assignment(v.strip()) for v in text.split(",") if v.strip())
    if not out:
        raise argparse.ArgumentTypeError("give at least one over-assignment, e.g. 0,5%,10%")
    if len(out) > MAX_COMPARED:
        raise argparse.ArgumentTypeError(
            f"give at most {MAX_COMPARED} over-assignments to compare; got {len(out)}"
        )
    return out


class _Methods:
    """``spm_sim.quota.METHODS``, read when argparse first needs them.

    argparse reads ``choices`` only to check a ``--method`` value and to print
    ``spm-sim quotas --help``; importing :mod:`spm_sim.quota` (numpy, pandas, scipy)
    while the parser is built would slow down every command and ``spm-sim --help``.
    The option has a ``metavar``, so argparse does not list the choices in its usage
    line when the option is added.
    """

    @staticmethod
    def _all() -> tuple[str, ...]:
        from spm_sim.quota import METHODS

        return tuple(METHODS)

    def __contains__(self, value: object) -> bool:
        return value in self._all()

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())


def add_quotas_parser(sub) -> None:
    """Register ``spm-sim quotas`` on the CLI's sub-parsers."""
    p = sub.add_parser(
        "quotas",
        help="set quotas for a scenario and print how achievable and fair they are",
        description="Set quotas for a scenario's plan year by a method (the scenario's 'quota:' "
        "settings, changed by the options), print the sums at each level, the simulated "
        "attainment, fairness and feasibility and the company view (P(company target), "
        "incentive cost), and write the quotas as CSV.",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file")
    p.add_argument(
        "--method",
        choices=_Methods(),
        metavar="METHOD",
        help="quota method: %(choices)s (default: the scenario's)",
    )
    p.add_argument(
        "--target",
        type=amount(MAX_COMPANY_TARGET),
        metavar="MONEY",
        help=f"company target, {MIN_MONEY:g} to {MAX_COMPANY_TARGET:.0e} (the bound of a "
        "scenario's quota.target and of a bottom-up targets file's total; one row of that "
        "file is at most 1e12)",
    )
    p.add_argument(
        "--growth",
        type=real(-1.0, 5.0, low_open=True, percent=True),
        metavar="G",
        help="growth on last year, 0.08 or 8%%, more than -100%% and at most 500%%",
    )
    p.add_argument(
        "--over-assignment",
        type=_over_assignment,
        metavar="X",
        help="rep level: reps over region, 0 to 2 (0.05 or 5%%)",
    )
    p.add_argument(
        "--region-over-assignment",
        type=_over_assignment,
        metavar="X",
        help="regions over company, 0 to 2 (0.05 or 5%%)",
    )
    p.add_argument("--history", choices=("trailing_12m", "prior_year", "multi_year"))
    p.add_argument(
        "--history-weights", type=_floats, metavar="W,...", help="multi_year weights, recent first"
    )
    p.add_argument(
        "--weights", type=parse_weights, metavar="B=W,...", help="blend: history=0.6,potential=0.4"
    )
    p.add_argument("--targets", type=Path, metavar="CSV", help="bottom_up: account or rep targets")
    p.add_argument("--reconcile", action="store_true", help="bottom_up: scale to the target")
    p.add_argument(
        "--probability",
        type=_probability,
        metavar="P",
        help="calibrated: P(attain), in (0, 1): 0.65 or 65%%",
    )
    p.add_argument(
        "--share-at-quota",
        type=_probability,
        metavar="S",
        help="calibrated: share of reps at quota, in (0, 1)",
    )
    p.add_argument(
        "--trials",
        type=count(100, MAX_TRIALS),
        metavar="N",
        help=f"simulated years, 100 to {MAX_TRIALS:,} (default: the scenario's); refused "
        "before the run when they would not fit in memory",
    )
    add_seed(p, "seed (default: the scenario's)")
    p.add_argument(
        "--out",
        type=Path,
        metavar="CSV",
        help="quotas CSV, replaced if it exists; the per-rep table goes beside it as "
        "<name>_reps.csv. Default: quotas.csv, or quotas-2.csv, -3... when an earlier run's "
        "file is there, which is never replaced",
    )
    p.add_argument("--figure", type=Path, metavar="PNG", help="also write the figures")
    p.add_argument(
        "--compare-over-assignment",
        type=_shares,
        metavar="X,...",
        help="also print the company view for these rep-level over-assignments, "
        "e.g. 0,5%%,10%%,15%% (same simulated sales for each)",
    )
    add_executor(p, "the simulation")
    add_workers(p, "the simulation")


def _settings(scenario, args):
    """The scenario's quota settings with the command line's changes, validated.

    A new ``--method`` keeps the scenario's settings that method also reads (the
    history window from history to blend) and drops the others
    (:meth:`QuotaSettings.replace <spm_sim.quota.QuotaSettings.replace>`);
    ``calibrated`` and ``bottom_up`` start without over-assignment.
    """
    base = scenario.quota
    changes: dict[str, Any] = {}
    given: list[str] = []
    oa: dict[str, float] = base.over_assignment.model_dump()
    if args.method and args.method != base.method and args.method in ("calibrated", "bottom_up"):
        oa = {}  # set by the probability or the targets
        changes["over_assignment"] = oa
    simple = {
        "method": args.method,
        "target": args.target,
        "growth": args.growth,
        "history": args.history,
        "history_weights": args.history_weights,
        "weights": args.weights,
        "targets": str(args.targets) if args.targets else None,
        "reconcile": True if args.reconcile else None,
        "probability": args.probability,
        "share_at_quota": args.share_at_quota,
    }
    for key, value in simple.items():
        if value is not None:
            changes[key] = value
            given.append(key)
    levels = {"rep": args.over_assignment, "region": args.region_over_assignment}
    for level, value in levels.items():
        if value is not None:
            oa = {**oa, level: value}
            changes["over_assignment"] = oa
            given.append(f"over_assignment.{level}")
    where = "the scenario's quota settings" + (
        f" with the command line's {', '.join(given)}" if given else ""
    )
    return _replaced(base, changes, where)


def _replaced(settings, changes: dict[str, Any], where: str):
    """``settings.replace(**changes)``, its message naming ``where`` the settings came from."""
    try:
        return settings.replace(**changes)
    except SpecError as exc:
        own = f"{type(settings).__name__}: "
        text = str(exc)
        raise type(exc)(f"{where}: {text.removeprefix(own)}") from None


def cmd_quotas(args) -> int:
    """Run ``spm-sim quotas``; returns the exit status.

    The scenario's ``strict: true`` holds for the whole command, as ``--strict``
    does: a plausibility warning of its book or its quotas stops it before anything
    is written.
    """
    if args.figure is not None:
        _check_figure_suffix(args.figure)
    scenario, settings, trials, seed = _scenario(args)
    with strict_checks(scenario.strict):
        return _quotas(args, scenario, settings, trials, seed)


def _quotas(args, scenario, settings, trials: int, seed: int) -> int:
    """Load the book, judge the quotas, print them and write the files."""
    from spm_sim.book import load_book_ref

    book = load_book_ref(scenario.book)
    settings_judged = 1 + len(args.compare_over_assignment or ())
    check_memory(
        "--trials" if args.trials is not None else f"{args.scenario}: trials",
        trials,
        unit_bytes=TRIAL_BYTES * len(book.reps) * settings_judged,
        unit=(
            f"{len(book.reps):,} reps, {plural(settings_judged, 'setting')} judged, "
            "per simulated year"
        ),
    )
    chosen = args.out is not None
    from spm_sim.parallel import executor_for

    with (
        output_file(
            args, args.out if chosen else DEFAULT_OUT, chosen=chosen, related=_written_beside
        ) as out,
        executor_for(**executor_options(args)) as ex,
    ):
        runs = _Runs(show_progress(args), ex)
        q, diag, row = _judge(scenario, settings, book, trials, seed, runs)
        _flag_quotas(args, scenario, settings, book, q, diag, row, trials)
        cur = scenario.plan.currency
        _print_quotas(scenario, settings, q)
        _print_outcomes(diag, row, trials, seed, cur)
        if args.compare_over_assignment:
            levels = args.compare_over_assignment
            _print_sweep(scenario, settings, levels, trials, seed, book, cur, runs)
        _write_tables(out, q, diag)
        if args.figure:
            _write_figures(args.figure, diag)
    return 0


def _reps_path(out: Path) -> Path:
    """The per-rep table written beside the quotas: ``quotas.csv`` -> ``quotas_reps.csv``."""
    return out.with_name(f"{out.stem}_reps.csv")


def _written_beside(out: Path) -> list[Path]:
    return [out, _reps_path(out)]


def _attainment_path(figure: Path) -> Path:
    """The attainment figure beside the quota-fit one: ``q.png`` -> ``q_attainment.png``."""
    return figure.with_name(f"{figure.stem}_attainment{figure.suffix}")


def quota_outputs(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """The files ``quotas`` writes that the command line names, each under its option.

    With ``--out``: the quotas and the per-rep table beside them; with ``--figure``:
    the quota-fit figure and the attainment figure beside it. (Without ``--out`` the
    quotas go to a numbered default, which never replaces an earlier run.)
    """
    out: list[tuple[str, Path]] = []
    if args.out is not None:
        out += [("--out", p) for p in _written_beside(args.out)]
    if args.figure is not None:
        out += [("--figure", args.figure), ("--figure", _attainment_path(args.figure))]
    return out


def _check_figure_suffix(path: Path) -> None:
    """Fail before the long run when matplotlib cannot write ``--figure``'s format."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    kinds = FigureCanvasAgg.get_supported_filetypes()
    suffix = path.suffix.lstrip(".").lower()
    if suffix not in kinds:
        raise SpecError(
            f"--figure {path}: cannot write a {suffix or 'file without'} "
            f"extension; use one of {', '.join(sorted(kinds))} (e.g. quotas.png)"
        )


def _scenario(args):
    """The scenario with the command line's quota settings, its settings, trials and seed."""
    from spm_sim.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    settings = _settings(scenario, args)
    if args.compare_over_assignment and (
        settings.method == "calibrated"
        or (settings.method == "bottom_up" and not settings.reconcile)
    ):
        raise SpecError(
            f"--compare-over-assignment: method {settings.method!r} does not share a target "
            "out, so over-assignment does not change its quotas; compare with a top-down "
            "method or bottom_up --reconcile"
        )
    scenario = scenario.replace(quota=settings)
    trials = int(args.trials or scenario.trials)
    if trials < 100:
        raise SpecError(
            f"{args.scenario}: trials {trials}: give at least 100 simulated years (--trials N)"
        )
    seed = scenario.seed if args.seed is None else args.seed
    return scenario, settings, trials, seed


class _Runs:
    """How the command's simulations run: ``progress`` bars, on ``executor`` (opened
    once for the command; ``None``: here)."""

    def __init__(self, progress: bool, executor: Any = None) -> None:
        self.progress = progress
        self.executor = executor

    def options(self) -> dict[str, Any]:
        """Keywords for the library's simulations: the bar, and the executor when the
        work runs elsewhere (the default, here, needs no keyword)."""
        out: dict[str, Any] = {"progress": self.progress}
        if self.executor is not None:
            out["executor"] = self.executor
        return out


def _judge(scenario, settings, book, trials: int, seed: int, runs: _Runs | None = None):
    """The quotas, their diagnostics over ``trials`` simulated years and the company view."""
    from spm_sim.sweep import company_view, quota_diagnostics_by_setting

    opts = (runs or _Runs(False)).options()
    named = {settings.method: settings}
    # the same root for both: the diagnostics judge the quotas on the simulation's draws
    judged = quota_diagnostics_by_setting(
        scenario, named, trials=trials, rng=seed, book=book, **opts
    )
    view = company_view(scenario, named, trials=trials, rng=seed, book=book, **opts)
    return judged.quotas[settings.method], judged.diagnostics[settings.method], view.iloc[0]


#: The options that change the quota settings, by their ``args`` name, as the advice
#: of a flagged figure names them.
_SETTING_OPTIONS = {
    "method": "--method",
    "target": "--target",
    "growth": "--growth",
    "over_assignment": "--over-assignment",
    "region_over_assignment": "--region-over-assignment",
    "history": "--history",
    "history_weights": "--history-weights",
    "weights": "--weights",
    "targets": "--targets",
    "reconcile": "--reconcile",
    "probability": "--probability",
    "share_at_quota": "--share-at-quota",
}


def _settings_named(args) -> str:
    """Where the quota settings came from, in words: the scenario's ``quota:`` block and
    the options that changed it, with their values (``--over-assignment 2``)."""
    given = []
    for name, flag in _SETTING_OPTIONS.items():
        value = getattr(args, name, None)
        if value is None or value is False:
            continue
        if isinstance(value, bool):
            given.append(flag)
        elif isinstance(value, float):
            given.append(f"{flag} {value:g}")
        elif isinstance(value, tuple):
            given.append(f"{flag} {','.join(f'{v:g}' for v in value)}")
        elif isinstance(value, dict):
            given.append(f"{flag} {','.join(f'{k}={v:g}' for k, v in value.items())}")
        else:
            given.append(f"{flag} {value}")
    where = f"quota: in {args.scenario}"
    return f"the quota settings ({where}" + (f", changed by {', '.join(given)})" if given else ")")


def _flag_quotas(args, scenario, settings, book, q, diag, row, trials: int) -> None:
    """The judged quotas' figures outside sane ranges, as plausibility warnings (issue 15).

    The figures already computed (no new simulation): the share of reps at or above
    quota and the median attainment of the diagnostics, and the incentive cost of
    sales of the company view, against :data:`spm_sim.metrics.RESULT_RANGES`. Each
    flag is one ``spm-sim: warning:`` line, or the command's error under ``--strict``
    or the scenario's ``strict: true``; it is raised before anything is written.
    """
    import numpy as np

    from spm_sim.errors import ScenarioError, implausible
    from spm_sim.metrics import check_figures

    has = q.annual > 0
    n_has = int(has.sum())
    per_trial = f"mean over {trials:,} trials"
    o = diag.overall.set_index("metric")
    figures: dict = {
        "median_attainment": (
            float(o.loc["attainment", "p50"]),
            f"over {trials:,} trials x {n_has} reps with a quota",
        ),
        "share_reps_at_quota": (diag.value("share_at_quota"), per_trial),
        "incentive_cost_of_sales": (float(row["incentive_cost_of_sales"]), per_trial),
    }
    reps = diag.reps.set_index("rep_id")
    quota = q.annual[has]
    bookings = reps["expected_bookings"].reindex(np.asarray(q.rep_ids)[has]).to_numpy(float)
    drivers: dict = {
        "currency": scenario.plan.currency,
        "median_quota": float(np.median(quota)) if n_has else float("nan"),
        "median_bookings": float(np.nanmedian(bookings)) if n_has else float("nan"),
        "quota": f"{settings.describe(scenario.plan_year)}; over-assignment "
        f"{format_pct(q.over_assignment)} realised",
    }
    ti = book.reps.set_index("rep_id")["target_incentive"]
    ids = [str(r) for r in np.asarray(q.rep_ids)[has]]
    if n_has and all(r in ti.index for r in ids):  # planned hires have no TI in the book
        ti_has = ti.reindex(ids).to_numpy(float)
        drivers.update(median_ti=float(np.median(ti_has)), tcr=float(ti_has.sum() / quota.sum()))
    named = _settings_named(args)
    drivers["advice"] = {
        "median_attainment": f"check {named} and the book's bookings",
        "share_reps_at_quota": f"check {named} and the book's bookings",
        "incentive_cost_of_sales": f"check {named}, the reps' target incentive (reps.csv, "
        "column target_incentive) and the plan's rates",
    }
    prefix = f"quotas of scenario {scenario.name!r} ({args.scenario})"
    for flag in check_figures(scenario.name, figures, drivers, prefix=prefix):
        implausible(flag["message"], error=ScenarioError)


def _print_quotas(scenario, settings, q) -> None:
    """The method, the target, the sums at each level and the overrides."""
    cur = scenario.plan.currency
    print(f"{scenario.name}: quotas for {scenario.plan_year}, {len(q.rep_ids)} reps")
    print(wrap_lines(f"method      {settings.describe(scenario.plan_year)}"))
    print(f"target      {format_money(q.company_target, currency=cur)}")
    print(
        f"quotas      {format_money(float(q.annual.sum()), currency=cur)} in total, "
        f"over-assignment {format_pct(q.over_assignment)} realised"
    )
    print("\nlevels (each level's quota and the sum of the quotas one level below):")
    rows = []
    differs = False
    for _, lv in q.levels.iterrows():
        mark = "" if lv["matches_set"] else " *"
        differs = differs or bool(mark)
        rows.append(
            [
                str(lv["level"]),
                str(lv["name"]),
                format_money(lv["quota"], currency=cur),
                format_money(lv["sum_below"], currency=cur),
                format_pct(lv["over_assignment_realised"]) + mark,
                format_pct(lv["over_assignment_set"]),
            ]
        )
    header = ["level", "name", "quota", "sum below", "over-assignment", "set"]
    print(format_table(header, rows, left=2, indent="  "))
    if differs:
        print("  * differs from the setting: set bottom-up or overridden")
    if len(q.audit):
        print(f"\noverrides ({len(q.audit)}):")
        for _, o in q.audit.iterrows():
            print(
                f"  {o['rep_id']}: {format_money(o['quota_before'], currency=cur)} -> "
                f"{format_money(o['quota_after'], currency=cur)} by {o['by'] or '(not named)'}: "
                f"{o['reason']}"
            )


def _print_outcomes(diag, row, trials: int, seed: int, cur: str) -> None:
    """Attainment, fairness and feasibility, and the company view, as simulated."""
    print(f"\nsimulated over {trials:,} years (seed {seed}):")
    print(wrap_lines(diag.describe(cur)))
    print(
        wrap_lines(
            f"company: P(bookings >= target) {format_pct(row['p_company_target'])}; "
            f"incentive cost {format_money(row['incentive_cost_p50'], currency=cur)} median "
            f"({format_money(row['incentive_cost_p10'], currency=cur)} to "
            f"{format_money(row['incentive_cost_p90'], currency=cur)}, P10-P90), cost of sales "
            f"{format_pct(row['incentive_cost_of_sales'])}"
        )
    )


def _write_tables(out: Path, q, diag) -> None:
    """The quotas (rep x month) at ``out`` and the per-rep table beside it."""
    make_folder(out.parent)
    write_csv(q.to_frame(), out, float_format="%.2f")
    reps_path = _reps_path(out)
    both = [c for c in diag.reps.columns if c in q.basis.columns and c != "rep_id"]
    reps = q.basis.merge(diag.reps.drop(columns=both), on="rep_id", how="left")
    write_csv(reps, reps_path)
    print(f"\nwrote {out}\nwrote {reps_path}")


def _write_figures(fig_path: Path, diag) -> None:
    """The quota-fit figure at ``fig_path`` and the attainment figure beside it."""
    import matplotlib.pyplot as plt

    from spm_sim.viz.quota import attainment_figure, quota_fit_figure

    make_folder(fig_path.parent)
    fit = quota_fit_figure(diag)
    save_figure(fit, fig_path, dpi=110, bbox_inches="tight")
    att_path = _attainment_path(fig_path)
    att = attainment_figure(diag)
    save_figure(att, att_path, dpi=110, bbox_inches="tight")
    plt.close(fit)
    plt.close(att)
    print(f"wrote {fig_path}\nwrote {att_path}")


def _print_sweep(scenario, settings, levels, trials, seed, book, cur, runs=None) -> None:
    """The company view for several rep-level over-assignments, on the same sales."""
    from spm_sim.sweep import company_view

    variants = {
        f"{x:.1%}": _replaced(
            settings,
            {"over_assignment": {**settings.over_assignment.model_dump(), "rep": x}},
            f"--compare-over-assignment {x:g}",
        )
        for x in levels
    }
    opts = (runs or _Runs(False)).options()
    view = company_view(scenario, variants, trials=trials, rng=seed, book=book, **opts)
    print("\nover-assignment (rep level) against attainment and cost, same simulated sales:")
    header = [
        "rep level",
        "sum of quotas",
        "reps at quota",
        "P(target)",
        "incentive P50",
        "cost of sales",
    ]
    rows = [
        [
            str(r["setting"]),
            format_money(r["sum_of_quotas"], currency=cur),
            format_pct(r["share_at_quota"]),
            format_pct(r["p_company_target"]),
            format_money(r["incentive_cost_p50"], currency=cur),
            format_pct(r["incentive_cost_of_sales"]),
        ]
        for _, r in view.iterrows()
    ]
    print(format_table(header, rows, left=0, indent="  "))
