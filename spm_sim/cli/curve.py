"""``spm-sim curve``: plans' payout and effective-rate curves, their leverage and cost
of sales at quota, flagged when outside sane ranges (a sub-command of
:mod:`spm_sim.cli`).

::

    spm-sim curve data/plans/baseline.yaml data/plans/accelerated.yaml --out curves.png
    spm-sim curve data/plans/baseline.yaml --quota 800000 --ti 80000 --out c.png --csv c.csv
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from spm_sim._files import make_folder, save_figure, write_csv
from spm_sim.errors import SpmSimError

from .args import MAX_MONEY, MIN_MONEY, money, real
from .places import output_file

__all__ = ["add_curve_parser", "cmd_curve"]


def add_curve_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spm-sim curve``."""
    curve = sub.add_parser(
        "curve",
        help="plot plans' payout curves and print their leverage",
        description="Load one or more plan YAML files, write their payout and effective-rate "
        "curves to a PNG figure and print, per plan, the payout at quota and at 150% of quota "
        "(leverage), the effective rates and the cost of sales at quota.",
    )
    curve.add_argument("plans", nargs="+", type=Path, metavar="PLAN.yaml", help="plan files")
    curve.add_argument(
        "--out", type=Path, required=True, metavar="FIG.png", help="figure to write (PNG)"
    )
    curve.add_argument(
        "--max-attainment",
        type=real(0.0, 20.0, low_open=True, percent=True),
        default=2.5,
        metavar="A",
        help="right end of the attainment axis, in (0, 20]: 2.5 or 250%% = 250%% of quota "
        "(default 2.5)",
    )
    curve.add_argument(
        "--csv",
        type=Path,
        metavar="FILE.csv",
        help="also write the curves as a table: plan, attainment, payout_over_ti, "
        "effective_rate (x TCR), at every 1%% of attainment",
    )
    curve.add_argument(
        "--quota",
        type=money,
        metavar="Q",
        help=f"annual quota of a typical rep, {MIN_MONEY:g} to {MAX_MONEY:.0e}; with --ti: "
        "cost of sales in %% of bookings",
    )
    curve.add_argument(
        "--ti",
        type=money,
        metavar="T",
        help=f"annual target incentive (TI) of that rep, {MIN_MONEY:g} to {MAX_MONEY:.0e} (the "
        "library's bound on money per rep); with --quota",
    )


#: Rows of the ``spm-sim curve`` table: metric key, label, format.
_CURVE_ROWS = (
    ("payout_at_quota_over_ti", "Payout at quota (x TI)", "{:.3f}"),
    ("payout_at_150_over_ti", "Payout at 150% = leverage (x TI)", "{:.3f}"),
    ("effective_rate_at_100", "Effective rate at 100% (x TCR)", "{:.3f}"),
    ("effective_rate_at_150", "Effective rate at 150% (x TCR)", "{:.3f}"),
)


def cmd_curve(args: argparse.Namespace) -> int:
    """Run ``spm-sim curve``."""
    from spm_sim.comp import load_plan

    if args.out.suffix.lower() != ".png":
        raise SpmSimError(f"--out {args.out}: the figure is written as PNG; name it *.png")
    if (args.quota is None) != (args.ti is None):
        raise SpmSimError("give --quota and --ti together (a typical rep's quota and TI)")
    plans = [load_plan(path) for path in args.plans]
    quota, ti = (1.0, 1.0) if args.quota is None else (args.quota, args.ti)
    written = [args.out] + ([args.csv] if args.csv is not None else [])
    with output_file(args, args.out, related=lambda _: written):
        _curves(args, plans, quota, ti)
    return 0


def _curves(args, plans, quota: float, ti: float) -> None:
    """Print each plan's figures and write the figure (and the table with ``--csv``)."""
    from spm_sim.comp import plan_metrics

    rows = list(_CURVE_ROWS)
    if args.quota is None:  # with quota = TI = 1 the cost of sales is a multiple of TI / quota
        rows.append(("cost_of_sales_at_quota", "Cost of sales at quota (x TI/quota)", "{:.3f}"))
    else:
        rows.append(("cost_of_sales_at_quota", "Cost of sales at quota", "{:.2%}"))
    width = max(len(label) for _key, label, _fmt in rows)
    for plan, path in zip(plans, args.plans, strict=True):
        metrics = plan_metrics(plan, quota=quota, target_incentive=ti)
        print(f"{plan.name} ({path})")
        for key, label, fmt in rows:
            print(f"  {label:<{width}}  {fmt.format(metrics[key]):>8}")
        print()
        _flag_plan(plan, path, metrics, given=args.quota is not None, quota=quota, ti=ti)
    _write_curve_figure(plans, args.out, args.max_attainment)
    if args.csv is not None:
        _write_curve_table(plans, args.csv, args.max_attainment, quota=quota, ti=ti)


def _flag_plan(plan, path, metrics, *, given: bool, quota: float, ti: float) -> None:
    """A plan's figures outside sane ranges as plausibility warnings (errors with --strict).

    The effective rate at 150% of quota always; the incentive cost of sales at quota
    when ``--quota`` and ``--ti`` give it in money.
    """
    from spm_sim.errors import PlanError, implausible
    from spm_sim.metrics import check_figures

    figures: dict = {"effective_rate": (metrics["effective_rate_at_150"], "at 150% of quota")}
    drivers: dict = {"plan": plan.name}
    if given:
        figures["incentive_cost_of_sales"] = (metrics["cost_of_sales_at_quota"], "at quota")
        drivers.update(median_ti=ti, median_quota=quota, tcr=ti / quota)
    drivers["advice"] = {
        "incentive_cost_of_sales": "check --quota, --ti and the plan's rates",
        "effective_rate": "check the plan's rates and bonuses",
    }
    for flag in check_figures(plan.name, figures, drivers, prefix=f"plan {plan.name!r} ({path})"):
        implausible(flag["message"], error=PlanError)


def _write_curve_figure(plans, out: Path, max_attainment: float) -> None:
    """Write the figure; say on the console what its effective-rate axis leaves out."""
    from spm_sim.viz.results import payout_curves, rate_axis_note

    make_folder(out.parent)
    fig = payout_curves(plans, max_attainment=max_attainment)
    save_figure(fig, out, format="png", dpi=110, metadata={"Software": None}, facecolor="white")
    print(f"Figure: {out.resolve()}")
    note = rate_axis_note(plans, max_attainment=max_attainment)
    if note:
        print(f"  {note} (effective rate, x TCR; --csv writes every value).")


def _write_curve_table(plans, path: Path, max_attainment: float, *, quota, ti) -> None:
    """The curves at every 1% of attainment: payout in TI, effective rate in TCR."""
    import numpy as np
    import pandas as pd

    from spm_sim.comp import payout_curve

    att = np.arange(math.floor(max_attainment * 100 + 1e-9) + 1) / 100
    frames = []
    for plan in plans:
        curve = payout_curve(plan, att, target_incentive=ti, quota=quota)
        frame = {
            "plan": plan.name,
            "attainment": att,
            "payout_over_ti": curve["payout"] / ti,
            "effective_rate": curve["effective_rate"] * quota / ti,  # x TCR = TI / quota
        }
        frames.append(pd.DataFrame(frame))
    make_folder(path.parent)
    write_csv(pd.concat(frames, ignore_index=True), path)
    print(f"Table: {path.resolve()}")
