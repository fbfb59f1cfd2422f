"""``spm-sim sweep`` and ``spm-sim calibrate``: many variants of a scenario on common
random numbers, and the value of one parameter that meets a target (sub-commands of
:mod:`spm_sim.cli`).

::

    spm-sim sweep data/scenarios/baseline.yaml --grid data/sweeps/accelerator_threshold.yaml
    spm-sim sweep data/scenarios/baseline.yaml --grid grid.yaml --executor processes --out sw
    spm-sim calibrate data/scenarios/baseline.yaml \\
        --param "plan.components[bookings].tiers[1].rate" --target "incentive_cost.mean=6M"

``sweep`` runs :func:`spm_sim.sweep.sweep` over the grid file's variants, prints each
scenario's figures with their 95% intervals and paired differences to the base, and
writes into its run folder (``--out``, default ``reports/sweep-<grid name>``):
``sweep.csv`` (the tidy frame), one ``sweep_<metric>.png`` per metric against the
first parameter, ``frontier.png`` (incentive cost against share at quota, the
efficient scenarios marked), ``sweep.md`` (the tables and figures on one page) and
``manifest.json`` last.

``calibrate`` runs :func:`spm_sim.sweep.calibrate_plan` and prints the answer with
its interval, the metric achieved and every evaluation; with ``--out`` it writes
``evaluations.csv``, ``calibration.png`` and ``manifest.json``.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

from spm_sim._files import save_figure, write_csv, write_text
from spm_sim._format import format_change, format_value, slugify
from spm_sim.errors import SpmSimError

from .args import add_executor, add_seed, add_trials, add_workers, executor_options, show_progress
from .places import Input, check_memory, output_folder, overwritten_inputs, scenario_inputs
from .table import format_table, plural, wrap_lines

__all__ = ["add_sweep_parser", "add_calibrate_parser", "cmd_sweep", "cmd_calibrate"]

#: Bytes of memory per trial, scenario and figure a sweep keeps (8 per value, with room
#: for the chunk being paid).
SWEEP_BYTES = 64
#: Most bootstrap resamples ``--n-boot`` takes.
MAX_BOOT = 100_000


def _run_options(p: argparse.ArgumentParser, what: str, out_help: str) -> None:
    """The options both commands end with: workers, executor, run folder, quiet."""
    add_workers(p, what)
    add_executor(p, what)
    p.add_argument("--out", type=Path, metavar="DIR", help=out_help)
    p.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="print only the paths written (no table, no progress bar)",
    )


def add_sweep_parser(sub: Any) -> None:
    """Register ``spm-sim sweep``."""
    p = sub.add_parser(
        "sweep",
        help="run a scenario over a grid of changes: each metric with its interval and its "
        "paired difference to the base",
        description="Run every variant of a grid file (data/sweeps/*.yaml: a 'grid' of "
        "parameter paths and values, every combination, or a list of named 'variants') over "
        "a base scenario, on the scenario's seed and book (common random numbers), and print "
        "each scenario's incentive cost, cost of sales, share of reps at quota, chance of "
        "the company target and bookings, with 95% intervals and the paired difference to "
        "the base. Writes sweep.csv, a figure per metric, frontier.png, sweep.md and "
        "manifest.json into the run folder.",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="the base scenario")
    p.add_argument(
        "--grid",
        required=True,
        type=Path,
        metavar="GRID.yaml",
        help="the variants: parameter paths (plan.components[bookings].tiers[1].rate, "
        "quota.over_assignment...) and their values (see data/sweeps/)",
    )
    add_trials(p, "trials per scenario (default: the grid file's 'trials', else the scenario's)")
    add_seed(p, "seed of every scenario (default: the scenario's 'seed')")
    p.add_argument(
        "--metrics",
        metavar="M,M",
        help="comma-separated metrics (default: the grid file's, else incentive_cost, "
        "cost_of_sales, share_at_quota, p_company_target, company_bookings)",
    )
    p.add_argument(
        "--n-boot",
        type=_n_boot,
        default=1000,
        metavar="B",
        help=(
            "bootstrap resamples where a paired difference of percentiles falls back on the "
            "bootstrap (fewer than 100 trials, a percentile on an atom, nearly identical runs; "
            "default 1000)"
        ),
    )
    _run_options(
        p,
        "the sweep",
        "run folder; an earlier run in it is refused without --force. Default: "
        "reports/sweep-<grid name>, or -2, -3... when that holds an earlier run",
    )


def _n_boot(text: str) -> int:
    from .args import whole

    return whole(text, 100, MAX_BOOT, f"must be between 100 and {MAX_BOOT:,}")


def add_calibrate_parser(sub: Any) -> None:
    """Register ``spm-sim calibrate``."""
    p = sub.add_parser(
        "calibrate",
        help="the value of one parameter that meets a target (goal-seek), with its interval",
        description="Find the value of one numeric parameter of a scenario (a path such as "
        "plan.components[bookings].tiers[1].rate or quota.over_assignment) at which a "
        "metric meets a target, on common random numbers: bracketed, then narrowed by "
        "regula falsi and bisection. Prints the answer, the metric achieved with its 95% "
        "interval, the interval of the answer (the values whose metric interval holds the "
        "target) and every evaluation; --out writes evaluations.csv, calibration.png and "
        "manifest.json.",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="the base scenario")
    p.add_argument(
        "--param",
        required=True,
        metavar="PATH",
        help="the parameter, e.g. 'plan.components[bookings].tiers[1].rate', "
        "'plan.components[0].threshold', 'quota.over_assignment', 'quota.growth'",
    )
    p.add_argument(
        "--target",
        required=True,
        metavar="METRIC=VALUE",
        help="e.g. 'incentive_cost.mean=6M', 'incentive_cost.p90=7.5M', "
        "'cost_of_sales.mean=9%%', 'share_at_quota=60%%', 'p_company_target=0.5'",
    )
    p.add_argument(
        "--bounds",
        nargs=2,
        type=_finite,
        metavar=("LO", "HI"),
        help="the range to search (default: outward from the current value, within the "
        "field's own limits)",
    )
    add_trials(p, "trials of every evaluation (default: the scenario's 'trials')")
    add_seed(p, "seed (default: the scenario's 'seed')")
    p.add_argument(
        "--tol",
        type=_tol,
        default=1e-3,
        metavar="F",
        help="done when the metric is within this fraction of the target (default 0.001)",
    )
    p.add_argument(
        "--max-evals",
        type=_max_evals,
        default=40,
        metavar="N",
        help="most parameter values evaluated, 3 to 1,000 (default 40)",
    )
    _run_options(
        p,
        "the goal-seek",
        "run folder for evaluations.csv and calibration.png (default: print only)",
    )


def _finite(text: str) -> float:
    from .args import real

    return real(-1e15, 1e15)(text)


def _tol(text: str) -> float:
    from .args import real

    return real(0.0, 1.0, low_open=True, high_open=True, percent=True)(text)


def _max_evals(text: str) -> int:
    from .args import count

    return count(3, 1000)(text)


# --- shared ---------------------------------------------------------------------------


def _scenario(args: argparse.Namespace) -> Any:
    from spm_sim.scenario import load_scenario

    s = load_scenario(args.scenario)
    if args.seed is not None:
        s = s.replace(seed=args.seed)
    return s


def _refuse_over_inputs(out: Path, inputs: list[Input], flag: str) -> None:
    problems = overwritten_inputs([(flag, out, out)], inputs, reader="this command")
    if problems:
        raise SpmSimError("; ".join(problems))


def _print_written(folder: Path, written: list[Path]) -> None:
    """The run folder, the files written into it and its manifest, as full paths."""
    print(f"Folder: {folder.resolve()}")
    for path in written:
        print(f"  {path.resolve()}")
    print(f"Manifest: {(folder / 'manifest.json').resolve()}")


def _save(fig: Any, path: Path) -> Path:
    return save_figure(fig, path, format="png", dpi=110, metadata={"Software": None})


def _range(low: float, high: float, unit: str, currency: str) -> str:
    return f"{format_value(low, unit, currency)} to {format_value(high, unit, currency)}"


def _with_interval(row: Any, unit: str, currency: str) -> str:
    text = format_value(row["value"], unit, currency)
    if math.isfinite(row["low"]) and math.isfinite(row["high"]):
        text += f" ({_range(row['low'], row['high'], unit, currency)})"
    return text


def _diff_text(row: Any, unit: str, currency: str) -> str:
    if row["scenario"] == "base":
        return "(base)"
    d, lo, hi = row["diff_vs_base"], row["diff_low"], row["diff_high"]
    if d == 0 and lo == 0 and hi == 0:
        return "same"
    text = format_change(d, unit, currency)
    if math.isfinite(lo) and math.isfinite(hi):
        text += f" ({format_change(lo, unit, currency)} to {format_change(hi, unit, currency)})"
    return text


# --- spm-sim sweep ----------------------------------------------------------------------


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run ``spm-sim sweep``; returns the exit status."""
    from spm_sim.sweep import load_grid, sweep, variants

    started = time.perf_counter()
    base = _scenario(args)
    grid = load_grid(args.grid)
    found = variants(grid.changes, where=f"{args.grid}: grid")
    trials = args.trials or grid.trials or base.trials
    metrics = grid.metrics
    if args.metrics:
        metrics = tuple(m.strip() for m in args.metrics.split(",") if m.strip())
    chosen = args.out is not None
    out = args.out if chosen else Path("reports") / f"sweep-{slugify(grid.name)}"
    inputs = [*scenario_inputs(args.scenario), Input("grid", args.grid.expanduser().resolve())]
    _refuse_over_inputs(out, inputs, "--out" if chosen else "the default output")
    option = "--trials" if args.trials else "trials (of the grid or scenario file)"
    check_memory(
        option,
        trials,
        unit_bytes=SWEEP_BYTES * (len(found) + 1) * 8,
        unit=f"{plural(len(found) + 1, 'scenario')} per trial",
    )
    with output_folder(args, out, chosen=chosen, inputs=[(i.role, i.path) for i in inputs]) as run:
        table = sweep(
            base,
            grid.changes,
            trials,
            metrics=metrics,
            level=grid.level if grid.level is not None else 0.95,
            n_boot=args.n_boot,
            progress=show_progress(args),
            **executor_options(args),
        )
        elapsed = time.perf_counter() - started
        written = _write_sweep(table, run.path, grid, base, elapsed)
    if not args.quiet:
        print(_sweep_text(table, grid, base, elapsed))
    _print_written(run.path, written)
    return 0


def _sweep_rows(table: Any, metrics: list[str], currency: str) -> tuple[list[str], list[list[str]]]:
    """A console table: one row per scenario, each metric's mean with its interval and
    its difference to the base (left out for a metric no variant changes)."""
    from spm_sim.sweep import SWEEP_METRICS

    mean = table[table["statistic"].eq("mean")]
    moved = _moved(table, metrics)
    header = ["scenario"]
    for m in metrics:
        header += [SWEEP_METRICS[m].label.split(" (")[0]] + (["vs base"] if moved[m] else [])
    rows = []
    for name, part in mean.groupby("scenario", sort=False):
        by = part.set_index("metric")
        row = [str(name)]
        for m in metrics:
            r = by.loc[m]
            unit = SWEEP_METRICS[m].unit
            row.append(_with_interval(r, unit, currency))
            if moved[m]:
                row.append(_diff_text(r, unit, currency))
        rows.append(row)
    return header, rows


def _moved(table: Any, metrics: list[str]) -> dict[str, bool]:
    """Whether some variant changes each metric's mean (a missing difference counts as
    a change); one that none does is the same in every scenario, trial by trial."""
    mean = table[table["statistic"].eq("mean")]
    return {
        m: bool((mean[mean["metric"].eq(m)]["diff_vs_base"].fillna(1.0) != 0).any())
        for m in metrics
    }


def _unmoved(table: Any, metrics: list[str]) -> list[str]:
    """The labels of the metrics no variant changes (see :func:`_moved`)."""
    from spm_sim.sweep import SWEEP_METRICS

    moved = _moved(table, metrics)
    return [SWEEP_METRICS[m].label.split(" (")[0].lower() for m in metrics if not moved[m]]


def _sweep_text(table: Any, grid: Any, base: Any, elapsed: float) -> str:
    from spm_sim.sweep import frontier

    a = table.attrs
    metrics = list(a["metrics"])
    currency = a.get("currency", "USD")
    n_scen = table["scenario"].nunique()
    draws = a["draws"]
    lines = [
        wrap_lines(
            f"Sweep {grid.name!r} of scenario {base.name!r}: {plural(n_scen, 'scenario')} x "
            f"{a['trials']:,} trials (seed {a['seed']['entropy']}), on {a['executor']}, in "
            f"{elapsed:.1f} s. Sales drawn once for {draws['shared']} of them"
            + (f", by their own month loop for {draws['own']}" if draws["own"] else "")
            + f"; every difference is paired trial by trial ({a['level']:.0%} intervals)."
        ),
        "",
    ]
    header, rows = _sweep_rows(table, metrics, currency)
    lines.append(format_table(header, rows))
    same = _unmoved(table, metrics)
    if same:
        lines += [
            "",
            wrap_lines(
                f"The same in every scenario, trial by trial: {', '.join(same)} (these variants do "
                "not change the sales drawn)."
            ),
        ]
    if {"incentive_cost", "share_at_quota"} <= set(metrics):
        front = frontier(table)
        best = front[front["efficient"]]["scenario"].tolist()
        lines += [
            "",
            wrap_lines(
                f"Efficient on incentive cost against share of reps at quota (no other costs less "
                f"and puts more reps at quota): {', '.join(best)}."
            ),
        ]
    return "\n".join(lines)


def _write_sweep(table: Any, folder: Path, grid: Any, base: Any, elapsed: float) -> list[Path]:
    from spm_sim.sweep import SWEEP_METRICS
    from spm_sim.viz.sweep import figure_name, frontier_figure, sweep_figure

    written = [write_csv(table, folder / "sweep.csv")]
    figures: list[tuple[str, Path]] = []
    metrics = list(table.attrs["metrics"])
    for m in metrics:
        path = folder / figure_name(m)
        written.append(_save(sweep_figure(table, m), path))
        figures.append((SWEEP_METRICS[m].label, path))
    if "incentive_cost" in metrics:
        path = folder / figure_name("incentive_cost", "p90")
        written.append(_save(sweep_figure(table, "incentive_cost", statistic="p90"), path))
        figures.append(("Incentive cost, P90 (a bad year)", path))
    if {"incentive_cost", "share_at_quota"} <= set(metrics):
        path = folder / "frontier.png"
        written.append(_save(frontier_figure(table), path))
        figures.append(("Frontier: incentive cost against share of reps at quota", path))
    header, rows = _sweep_rows(table, metrics, table.attrs.get("currency", "USD"))
    md = [f"# Sweep: {grid.name}", ""]
    if grid.description:
        md += [grid.description, ""]
    a = table.attrs
    md += [
        f"Base scenario: {base.name}. {table['scenario'].nunique()} scenarios x "
        f"{a['trials']:,} trials, seed {a['seed']['entropy']}, on {a['executor']} "
        f"({elapsed:.1f} s), spm_sim {a['spm_sim_version']}. Every scenario drew its "
        "sales from the same streams (common random numbers): differences to the base are "
        f"paired trial by trial. Intervals are {a['level']:.0%} (Monte Carlo error only).",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    md += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows]
    md += ["", "Changes by scenario:", ""]
    md += [
        f"* {name}: " + ", ".join(f"`{p}` = {v}" for p, v in ch.items())
        for name, ch in a["changes"].items()
    ]
    for title, path in figures:
        md += ["", f"## {title}", "", f"![{title}]({path.name})"]
    md += ["", "Data: [sweep.csv](sweep.csv) (one row per scenario, metric and statistic)."]
    written.append(write_text(folder / "sweep.md", "\n".join(md) + "\n"))
    return written


# --- spm-sim calibrate ------------------------------------------------------------------


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run ``spm-sim calibrate``; returns the exit status."""
    from spm_sim.sweep import calibrate_plan, parse_target

    started = time.perf_counter()
    base = _scenario(args)
    target = parse_target(args.target)
    trials = args.trials or base.trials
    inputs = scenario_inputs(args.scenario)
    if args.out is not None:
        _refuse_over_inputs(args.out, inputs, "--out")

    def run() -> Any:
        return calibrate_plan(
            base,
            args.param,
            target,
            bounds=tuple(args.bounds) if args.bounds else None,
            trials=trials,
            tol=args.tol,
            max_evals=args.max_evals,
            progress=show_progress(args),
            **executor_options(args),
        )

    written: list[Path] = []
    if args.out is None:
        answer = run()
    else:
        with output_folder(
            args, args.out, chosen=True, inputs=[(i.role, i.path) for i in inputs]
        ) as folder:
            answer = run()
            written = _write_calibration(answer, folder.path)
    elapsed = time.perf_counter() - started
    if not args.quiet:
        print(_calibration_text(answer, base, trials, elapsed))
    if written:
        _print_written(args.out, written)
    return 0


def _calibration_text(answer: Any, base: Any, trials: int, elapsed: float) -> str:
    unit, currency = answer.target.unit, answer.currency
    lines = [
        wrap_lines(
            f"Goal-seek on scenario {base.name!r}: {answer.param} for "
            f"{answer.target.text(currency)}, {trials:,} trials per evaluation (the same "
            f"trials each time), {elapsed:.1f} s."
        ),
        "",
        answer.summary(),
        "",
        "Evaluations (in the order made):",
    ]
    ev = answer.evaluations
    rows = []
    for r in ev.itertuples():
        if r.valid:
            rows.append(
                [
                    str(r.round),
                    f"{r.value:.6g}",
                    format_value(r.estimate, unit, currency),
                    _range(r.low, r.high, unit, currency),
                    format_change(r.gap, unit, currency),
                ]
            )
        else:
            rows.append([str(r.round), f"{r.value:.6g}", "refused", r.note, ""])
    lines.append(
        format_table(
            ["round", answer.param.split(".")[-1], "metric", "95% interval", "vs target"],
            rows,
            left=2,
            wrap=(3,),
        )
    )
    return "\n".join(lines)


def _write_calibration(answer: Any, folder: Path) -> list[Path]:
    from spm_sim.viz.sweep import calibration_figure

    return [
        write_csv(answer.evaluations, folder / "evaluations.csv"),
        _save(calibration_figure(answer), folder / "calibration.png"),
    ]
