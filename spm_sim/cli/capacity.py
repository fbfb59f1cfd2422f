"""``spm-sim capacity`` and ``spm-sim headcount``: simulate a team's year of leads and
size it against a service target (sub-commands of :mod:`spm_sim.cli`).

::

    spm-sim capacity data/capacity/inbound.yaml --replications 10 --out capacity/
    spm-sim headcount data/capacity/inbound.yaml --target "within=1h,share=90%"
    spm-sim headcount data/capacity/inbound.yaml --stage AE --max-utilisation 0.85

``capacity`` runs :func:`spm_sim.capacity.run_capacity` and prints every figure's
mean with its 95% confidence interval across replications and the hand-off factors
for the Monte Carlo (:func:`spm_sim.capacity.handoff`); ``--out`` writes
``summary.csv``, ``per_replication.csv``, ``reps.csv``, ``waits.csv``,
``bookings.csv``, ``queue.csv``, ``stages.csv`` (each stage's queue and the conversion
lost to waiting there, :func:`spm_sim.capacity.stage_losses`; the stage that binds is
named), ``handoff.csv`` and ``waits.png``.

``headcount`` runs :func:`spm_sim.capacity.smallest_team` (from the team in the file)
and :func:`spm_sim.capacity.headcount_curve` around its answer, on full simulated
years shared between the two (the search judges the answer and the size below again
on the years the curve added, so both show every year run at a size), and prints the
recommendation: the size, the target, the target's figure with its interval at that
size and at one rep fewer, the offered load (at a later stage the work that reached
it in the simulated years, beside the closed form's upper bound), and what each
extra rep costs against what it brings (paired year by year);
``--out`` writes ``headcount_curve.csv``, ``headcount_tried.csv`` and
``headcount.png``. The curve's ``binds`` column names the stage whose queue costs the
most at each size; when a later stage binds, the command says so (more reps upstream
then feed its queue). ``headcount --grid SDR=12:16:2 --grid AE=80:100:10`` sizes the
stages together instead (:func:`spm_sim.capacity.team_grid` and
:func:`~spm_sim.capacity.joint_answer`): every team on the same years, its change
against today's paired, the cheapest team meeting the target and the largest gain
net of cost; ``--out`` writes ``team_grid.csv`` and ``team_grid.png``. ``--rep-rates
BOOK`` gives each seat of the last stage its rep's own win rate and cycle
(:func:`spm_sim.capacity.fit_rep_rates`). Every team size starts with a few simulated
years and gets more, up to ``--replications``, only while its answer is not yet clear.

Both commands run their years where ``--executor`` says (``serial``, ``processes``
with ``--workers``, or ``dask``, with ``--scheduler ADDR`` for a running cluster);
the numbers do not depend on it.
"""

from __future__ import annotations

import argparse
import math
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from spm_sim._files import save_figure, write_csv
from spm_sim._format import format_money

from .args import add_executor, add_seed, add_workers, count, executor_options, real, show_progress
from .places import check_memory, output_folder
from .table import format_table, plural

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "add_capacity_parser",
    "add_headcount_parser",
    "cmd_capacity",
    "cmd_headcount",
    "parse_target",
    "parse_grid",
]

#: Team sizes either side of the answer that ``headcount`` puts on its curve.
CURVE_SPAN = 2
#: The most replications ``--replications`` takes (a configuration's own limit).
MAX_REPLICATIONS = 10_000
#: The longest response time a target takes, in working hours (a working year).
MAX_WITHIN_HOURS = 2000.0
#: Bytes of memory per lead and replication a run keeps (about 570 measured on the
#: sample funnel of two stages).
LEAD_BYTES = 1000

_within = real(0.0, MAX_WITHIN_HOURS, low_open=True)
_share = real(0.0, 1.0, low_open=True, high_open=True, percent=True)
_utilisation = real(0.0, 1.0, low_open=True, percent=True)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_TARGET_KEYS = {
    "within": "within_hours",
    "within_hours": "within_hours",
    "share": "share",
    "utilisation": "max_utilisation",
    "utilization": "max_utilisation",
    "max_utilisation": "max_utilisation",
    "max_utilization": "max_utilisation",
}

_TARGET_EXAMPLE = '"within=1h,share=90%", "utilisation<=0.85" or both'


def _ratio(text: str, key: str) -> float:
    """``share`` in (0, 1) or ``utilisation`` in (0, 1], as 0.9 or 90%."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{key}={text!r} is not a number (e.g. {key}=0.9 or {key}=90%)"
        ) from None
    share = key == "share"
    if not (0 < value < 1 if share else 0 < value <= 1):  # also refuses NaN
        where = "(0, 1)" if share else "(0, 1]"
        raise argparse.ArgumentTypeError(
            f"{key}={text.strip()} must be in {where} (e.g. {key}=0.9 or {key}=90%)"
        )
    return value


def _hours(text: str) -> float:
    m = re.fullmatch(r"([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(h|hours?|min|minutes?)?", text)
    if m is None:
        raise argparse.ArgumentTypeError(
            f"within={text!r} is not a duration (e.g. within=1h, within=1.5 or within=30min)"
        )
    value = float(m.group(1))
    value = value / 60 if (m.group(2) or "").startswith("min") else value
    if not 0 < value <= MAX_WITHIN_HOURS:  # also refuses an overflow to infinity
        raise argparse.ArgumentTypeError(
            f"within={text} must be more than 0 and at most {MAX_WITHIN_HOURS:g} working hours"
        )
    return value


def parse_target(text: str) -> dict[str, float]:
    """Parse a service target: ``"within=1h,share=0.9"`` and/or ``"utilisation<=0.85"``.

    Terms are separated by commas; each is ``KEY=VALUE`` or ``KEY<=VALUE``. Keys:
    ``within`` (working hours to first contact: ``1``, ``1h``, ``30min``), ``share``
    (of leads contacted that fast: ``0.9`` or ``90%``), ``utilisation`` (the cap on
    the stage's mean utilisation: ``0.85`` or ``85%``; also ``utilization``,
    ``max_utilisation``).

    Returns
    -------
    dict
        The fields of a :class:`~spm_sim.capacity.ServiceTarget` given
        (``within_hours``, ``share``, ``max_utilisation``); the target's own rules
        (``within`` and ``share`` together) are checked when it is built.

    Raises
    ------
    argparse.ArgumentTypeError
        A term that is not ``KEY=VALUE``, an unknown key, a key given twice, or a
        value that is not a number or is out of its range (``within`` in (0, 2000]
        hours, ``share`` in (0, 1), ``utilisation`` in (0, 1]).

    Examples
    --------
    >>> parse_target("within=1h, share=90%")
    {'within_hours': 1.0, 'share': 0.9}
    >>> parse_target("utilisation<=0.85")
    {'max_utilisation': 0.85}
    >>> parse_target("within=30min,share=0.8,utilization<=85%")
    {'within_hours': 0.5, 'share': 0.8, 'max_utilisation': 0.85}
    """
    from spm_sim._spec import suggest

    out: dict[str, float] = {}
    terms = [t.strip() for t in text.split(",") if t.strip()]
    if not terms:
        raise argparse.ArgumentTypeError(f"empty target; give e.g. {_TARGET_EXAMPLE}")
    for term in terms:
        m = re.fullmatch(r"([A-Za-z_ -]+?)\s*(<=|=)\s*([^=<]+)", term)
        if m is None:
            raise argparse.ArgumentTypeError(
                f"{term!r} is not KEY=VALUE or KEY<=VALUE (terms are separated by commas); "
                f"give e.g. {_TARGET_EXAMPLE}"
            )
        raw, value = m.group(1).strip().lower().replace("-", "_").replace(" ", "_"), m.group(3)
        key = _TARGET_KEYS.get(raw)
        if key is None:
            raise argparse.ArgumentTypeError(
                f"unknown target key {raw!r}.{suggest(raw, _TARGET_KEYS)} "
                "Keys: within, share, utilisation"
            )
        if key in out:
            raise argparse.ArgumentTypeError(f"{raw!r} given twice in the target {text!r}")
        out[key] = _hours(value.strip().lower()) if key == "within_hours" else _ratio(value, raw)
    return out


#: The most team sizes a ``--grid`` stage takes.
MAX_GRID_SIZES = 20


def parse_grid(text: str) -> tuple[str, list[int]]:
    """Parse one stage's sizes of ``--grid``: ``STAGE=A,B,C`` or ``STAGE=FIRST:LAST:STEP``.

    Examples
    --------
    >>> parse_grid("SDR=12:18:2")
    ('SDR', [12, 14, 16, 18])
    >>> parse_grid("AE = 80, 90,100")
    ('AE', [80, 90, 100])
    >>> parse_grid("AE=0:10")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: --grid AE=0:10: team sizes are whole numbers from 1 to 10,000...
    """
    name, eq, rest = text.partition("=")
    name, rest = name.strip(), rest.strip()
    example = "e.g. SDR=12:18:2 (12 to 18 by 2) or AE=80,90,100"
    if not eq or not name or not rest:
        raise argparse.ArgumentTypeError(f"--grid {text!r} is not STAGE=SIZES; {example}")
    try:
        if ":" in rest:
            parts = [int(x) for x in rest.split(":")]
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] < 1):
                raise ValueError
            step = parts[2] if len(parts) == 3 else 1
            sizes = list(range(parts[0], parts[1] + 1, step))
        else:
            sizes = [int(x) for x in rest.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--grid {text}: the sizes must be whole numbers, a list A,B,C or a range "
            f"FIRST:LAST[:STEP] with STEP >= 1; {example}"
        ) from None
    if not sizes or min(sizes) < 1 or max(sizes) > MAX_REPLICATIONS:
        raise argparse.ArgumentTypeError(
            f"--grid {text}: team sizes are whole numbers from 1 to {MAX_REPLICATIONS:,}; "
            f"got {sizes or 'none'}; {example}"
        )
    if len(set(sizes)) > MAX_GRID_SIZES:
        raise argparse.ArgumentTypeError(
            f"--grid {text}: {len(set(sizes))} sizes is more than {MAX_GRID_SIZES}; "
            "use a larger STEP"
        )
    return name, sorted(set(sizes))


def _common(p, replications: str) -> None:

    p.add_argument("config", type=Path, metavar="CONFIG.yaml", help="capacity configuration")
    p.add_argument(
        "--replications",
        type=count(1, MAX_REPLICATIONS),
        metavar="R",
        help=f"{replications}, 1 to {MAX_REPLICATIONS:,} (default: the file's "
        "'replications'); refused before the run when they would not fit in memory",
    )
    add_seed(p, "seed (default: the file's 'seed')")
    add_workers(p, "the simulated years")
    add_executor(p, "the simulated years")
    p.add_argument(
        "--rep-rates",
        dest="book",  # an input: the output checks keep it from being overwritten
        metavar="BOOK",
        help="give each seat of the last stage its own win rate and sales cycle, fitted from "
        "the pipeline history of BOOK ('sample' or a book folder) with shrinkage toward the "
        "team's (spm_sim.capacity.fit_rep_rates); seat i is the book's i-th current rep "
        "(by rep_id) whose role is the stage's name (when reps.csv has a role column), and "
        "the reps' figures are carried as ratios to the team's, so the "
        "file's win_rate and cycle_days stay the level",
    )


def add_capacity_parser(sub) -> None:
    """Register ``spm-sim capacity`` on the CLI's sub-parsers."""
    p = sub.add_parser(
        "capacity",
        help="simulate a team's year of leads: waits, utilisation, conversion, bookings",
        description="Simulate the year of a sales team lead by lead (spm_sim.capacity: leads "
        "arrive by segment, wait for a rep at each stage of the funnel, go cold while they "
        "wait; reps leave, are backfilled and ramp) and print every figure's mean with its 95% "
        "confidence interval across replications, and the hand-off factors (the conversion "
        "kept after waiting) for the Monte Carlo's capacity_factor. --out writes summary.csv, "
        "per_replication.csv, reps.csv, waits.csv (quantiles per stage and replication), "
        "bookings.csv (seat x month), queue.csv (by day), stages.csv (each stage's queue and "
        "the conversion lost to waiting there; the stage that binds), handoff.csv and "
        "waits.png, and manifest.json last.",
    )
    _common(p, "independent simulated years")
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="folder for the CSV files and figure (an earlier run in it is replaced)",
    )


def add_headcount_parser(sub) -> None:
    """Register ``spm-sim headcount`` on the CLI's sub-parsers."""

    p = sub.add_parser(
        "headcount",
        help="the smallest team that meets a service target, and what each extra rep buys",
        description="Search the smallest number of reps at a stage that meets a service "
        "target (spm_sim.capacity.smallest_team, starting from the team in the file), then "
        "run the team sizes around it (headcount_curve) and print the target's figure at the "
        "answer and at one rep fewer, the offered load, and what each extra rep brings against "
        "its cost ('rep_cost'), paired year by year (every size simulates the same years). "
        "A size meets the target when the 95% confidence interval of its figure across "
        "simulated years is on the safe side of it. Each size starts with 4 years; while its "
        "interval still holds the target (or, on the curve, while the value of a rep's step "
        "still holds its cost) it gets twice as many, up to --replications; a size still "
        "unclear there is judged on its mean. The target is the file's 'target' unless "
        "--target or the separate options give one; the options change single fields of it. "
        "The response-time part is measured at the first stage, so at a later stage only a "
        "utilisation cap can be met by adding reps. --out writes headcount_curve.csv, "
        "headcount_tried.csv and headcount.png, and manifest.json last.",
    )
    _common(p, "the most simulated years per team size (each starts with 4)")
    p.add_argument(
        "--target",
        type=parse_target,
        metavar="SPEC",
        help="service target, comma-separated: within=H (working hours to first contact: 1, "
        "1h, 30min), share=S (of leads contacted within H: 0.9 or 90%%), utilisation<=U (cap on "
        "the stage's mean utilisation: 0.85 or 85%%); e.g. 'within=1h,share=0.9' or "
        "'utilisation<=0.85' or both. Replaces the file's target",
    )
    p.add_argument(
        "--within",
        type=_within,
        metavar="H",
        help="response time in working hours, in (0, 2000] (sets that field of the target)",
    )
    p.add_argument(
        "--share",
        type=_share,
        metavar="S",
        help="share of leads to contact within --within hours, in (0, 1): 0.9 or 90%% "
        "(sets that field)",
    )
    p.add_argument(
        "--max-utilisation",
        "--max-utilization",
        dest="max_utilisation",
        type=_utilisation,
        metavar="U",
        help="cap on the stage's mean utilisation, in (0, 1]: 0.85 or 85%% (sets that field); "
        "with --grid it holds at every stage the grid sizes",
    )
    p.add_argument(
        "--stage",
        metavar="NAME",
        help="stage whose reps are sized (default: the first stage)",
    )
    p.add_argument(
        "--grid",
        dest="team_grid",  # not "grid": that names an input file of other commands
        type=parse_grid,
        action="append",
        metavar="STAGE=SIZES",
        help="size several stages together instead (the joint answer): give each stage's "
        "sizes, e.g. --grid SDR=12:18:2 --grid AE=80:100:10; every combination runs the same "
        "--replications years and the table shows each team's service level, expected "
        "bookings and cost against today's team (paired), and which stage binds; the cost of "
        "a rep is each stage's 'rep_cost' (else the file's)",
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="folder for the curve CSV files and figure (an earlier run in it is replaced)",
    )


# --- shared steps ---------------------------------------------------------------------


def _with_rep_rates(config, ref: str) -> tuple:
    """``config`` with the last stage's seats given the book's reps' own rates, and a line
    saying what was fitted (the commands print it under the configuration)."""
    from spm_sim.book import load_book_ref
    from spm_sim.capacity import fit_rep_rates, opportunity_from_book

    book = load_book_ref(ref)
    current = book.reps[book.reps["term_date"].isna()] if "term_date" in book.reps else book.reps
    last = config.stages[-1]
    role_note = ""
    if "role" in current:
        # only the reps in the stage's role sit in its seats (an SDR does not close deals)
        role = current["role"].astype(str).str.strip().str.casefold()
        match = current[role == last.name.strip().casefold()]
        if match.empty:
            roles = ", ".join(sorted(set(current["role"].dropna().astype(str)))) or "none"
            role_note = (
                f" No current rep in the book has the role {last.name!r} (its roles: {roles}): "
                f"every {last.name} seat keeps the file's rates; name the stage after the "
                "book's role to use the reps' own."
            )
        current = match
    reps = sorted(current["rep_id"].astype(str))
    rates = fit_rep_rates(book.pipeline)
    seats = reps[: last.reps]
    if not seats:
        return config, f"Opportunity stage (--rep-rates {ref}):{role_note}"
    who = (
        f"the book's current reps with the role {last.name}, by rep_id"
        if "role" in current
        else "the book has no role column: its first current reps by rep_id"
    )
    config = config.replace(opportunity=opportunity_from_book(config.opportunity, rates, seats))
    fitted = rates.reindex(seats)
    spread = fitted["win_rate"] / rates.attrs["team_win_rate"]
    cycle = fitted["cycle_days"] / rates.attrs["team_cycle_days"]
    source = "the sample book" if str(ref) == "sample" else str(ref)
    if rates.attrs["prior_n"] >= 1e6:
        prior = (
            "the reps' win rates differ by no more than their records' noise: each gets the team's"
        )
    else:
        prior = f"the prior weighing {rates.attrs['prior_n']:,.0f} opportunities"
    beyond = last.reps - len(seats)
    note = (
        f"Opportunity stage: {len(seats)} {last.name} seats ({who}) win and close at their "
        f"reps' own rates from {source}'s pipeline ({int(rates['opportunities'].sum()):,} closed "
        f"opportunities; team {rates.attrs['team_win_rate']:.1%}; {prior}), as ratios to "
        f"the team's: win rate x{spread.min():.2f} to x{spread.max():.2f}, cycle "
        f"x{cycle.min():.2f} to x{cycle.max():.2f}"
        + (f"; {beyond} seats beyond the book's reps at the file's rates" if beyond > 0 else "")
        + "."
    )
    return config, note


def _one_line(exc: Exception) -> str:
    """A located multi-line message (one line per problem) joined into one line."""
    lines = [line.strip().removeprefix("- ") for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines)


def _load(args):
    """The configuration of ``args.config`` with ``--replications`` / ``--seed`` applied."""
    from spm_sim.capacity import load_capacity_config
    from spm_sim.errors import CapacityError

    try:
        config = load_capacity_config(args.config)
    except CapacityError as exc:
        raise CapacityError(_one_line(exc)) from None
    changes = {}
    if args.replications is not None:
        changes["replications"] = args.replications
    if args.seed is not None:
        changes["seed"] = args.seed
    if changes:
        try:
            config = config.replace(**changes)
        except CapacityError as exc:  # located: the field and the value
            raise CapacityError(f"{args.config}: {_one_line(exc)}") from None
    args.rep_rates_note = ""
    if getattr(args, "book", None) is not None:
        config, args.rep_rates_note = _with_rep_rates(config, args.book)
    return config


def _check_memory(args, config) -> None:
    """Refuse replications whose records would not fit in memory, before the run."""
    leads = sum(s.leads_per_year for s in config.segments)
    option = "--replications" if args.replications is not None else f"{args.config}: replications"
    shown = f"{leads:,.0f}" if leads < 1e12 else f"{leads:.3g}"
    check_memory(
        option,
        config.replications,
        unit_bytes=LEAD_BYTES * leads * len(config.stages),
        unit=f"{shown} leads a year (the segments' leads_per_year in {args.config}) through "
        f"{plural(len(config.stages), 'stage')}, per replication",
    )


def _stage_index(config, name: str | None, path) -> int:
    from spm_sim._spec import suggest
    from spm_sim.errors import CapacityError

    names = [s.name for s in config.stages]
    if name is None:
        return 0
    if name in names:
        return names.index(name)
    folded = [n.lower() for n in names]
    if name.lower() in folded:
        return folded.index(name.lower())
    raise CapacityError(
        f"--stage {name!r}: {path} has no stage of that name.{suggest(name, names)} "
        f"Its stages: {', '.join(names)}."
    )


def _describe_config(config) -> str:
    from spm_sim.capacity import calendar

    cal = calendar(config)
    leads = sum(s.leads_per_year for s in config.segments)
    stages = "; ".join(
        f"{s.name} {s.reps} reps ({s.effort_hours:g} h a lead, {s.selling_share:.0%} of "
        f"their hours, {s.routing})"
        for s in config.stages
    )
    return (
        f"{config.name}: {leads:,.0f} leads a year over {len(cal.dates)} working days of "
        f"{config.hours_per_day:g} h in {config.year}.\nStages: {stages}."
    )


def _target_text(target, stages: list[str] | None = None) -> str:
    """The target in words; ``stages``: the stages its utilisation cap applies to."""
    parts = []
    if target.within_hours is not None:
        parts.append(f"{target.share:.0%} of leads contacted within {target.within_hours:g} h")
    if target.max_utilisation is not None:
        at = (
            f" at each of {', '.join(stages)}"
            if stages and len(stages) > 1
            else (f" at {stages[0]}" if stages else "")
        )
        parts.append(f"utilisation at most {target.max_utilisation:.0%}{at}")
    return " and ".join(parts)


def _fmt(figure: str, value: float, currency: str = "USD") -> str:
    from spm_sim.capacity import figure_text  # loaded with the command, not on --help

    return figure_text(figure, value, currency, count_units=True)


def _label(figure: str) -> str:
    m = re.fullmatch(r"share_within_(.+)h", figure)
    if m:
        return f"share contacted within {m.group(1)} h"
    if figure.startswith("utilisation_"):
        return f"utilisation {figure.removeprefix('utilisation_')}"
    return figure.replace("_", " ")


def _summary_text(summary: pd.DataFrame) -> str:
    rows = [
        (
            _label(r.figure),
            _fmt(r.figure, r.mean),
            f"{_fmt(r.figure, r.low)} to {_fmt(r.figure, r.high)}",
        )
        for r in summary.itertuples()
    ]
    level = summary.attrs.get("level", 0.95)
    header = ("figure", "mean", f"{level:.0%} CI")
    w = [max(len(x[j]) for x in [header, *rows]) for j in range(3)]
    lines = [f"  {header[0]:<{w[0]}}  {header[1]:>{w[1]}}  {header[2]:>{w[2]}}"]
    lines += [f"  {a:<{w[0]}}  {b:>{w[1]}}  {c:>{w[2]}}" for a, b, c in rows]
    return "\n".join(lines)


def _save(fig, path: Path) -> None:
    save_figure(fig, path, format="png", dpi=110, metadata={"Software": None}, facecolor="white")


def _stages_text(table: pd.DataFrame, config) -> str:
    """Each stage's queue and the conversion lost there, and which stage binds, in words."""
    from spm_sim.capacity import BINDING_SHARE

    level = table.attrs.get("level", 0.95)
    head = (
        "stage",
        "reps",
        "routing",
        "mean wait",
        "p90 wait",
        "mean queue",
        "utilisation",
        "waiting 31 Dec",
        f"conversion lost to waiting ({level:.0%} CI)",
        "leads lost",
        f"bookings lost ({level:.0%} CI)",
    )
    rows = []
    for d in table.to_dict("records"):
        rows.append(
            (
                d["stage"] + (" *" if d["binding"] else ""),
                f"{d['reps']:,}",
                d["routing"],
                f"{d['mean_wait_hours']:.1f} h",
                f"{d['p90_wait_hours']:.1f} h",
                f"{d['mean_queue']:,.1f} leads",
                f"{d['utilisation']:.1%}",
                f"{d['waiting_at_year_end']:,.0f} leads",
                f"{d['share_lost']:.1%} ({d['share_lost_low']:.1%} to {d['share_lost_high']:.1%})",
                f"{d['lost_leads']:,.0f} leads",
                f"{format_money(d['bookings_lost'])} ({format_money(d['bookings_lost_low'])} to "
                f"{format_money(d['bookings_lost_high'])})",
            )
        )
    lines = ["Where the funnel binds (each stage's queue, and what waiting there costs):"]
    lines.append(format_table(head, rows, left=1, indent="  ", wrap=(2,), stack=True))
    names = tuple(table.attrs.get("binding_stages", ()))
    by = table.set_index("stage")
    first = config.stages[0].name
    if not names:
        lines.append(
            f"  No stage binds: waiting costs each stage less than {BINDING_SHARE:.0%} of its "
            "conversion; more reps anywhere buy back little."
        )
    elif len(names) == 1:
        name = names[0]
        d = by.loc[name]
        lines.append(
            f"  * {name} binds: its queue costs {d['share_lost']:.1%} of its conversion, "
            f"{format_money(d['bookings_lost'])} of bookings a year "
            f"({format_money(d['bookings_lost_low'])} to {format_money(d['bookings_lost_high'])}),"
            " clearly the most of any stage (paired year by year)."
        )
    else:
        a, b = names
        lines.append(
            f"  * {a} and {b} both bind, within noise: {a} loses "
            f"{format_money(by.loc[a, 'bookings_lost'])} of bookings a year, {b} "
            f"{format_money(by.loc[b, 'bookings_lost'])}, and year by year the difference's "
            f"{level:.0%} interval holds 0, so these {table.attrs.get('replications', 0)} "
            "years cannot say which loses more (more --replications may)."
        )
    later = [n for n in names if n != first]
    # extra first-stage reps can lower bookings only when the first stage itself loses
    # little: below BINDING_SHARE its queue has little to buy back
    if later and float(by.loc[first, "share_lost"]) < BINDING_SHARE:
        name = later[0]
        lines.append(
            f"    More {first} reps pass {name} more leads, sooner: its queue grows and every "
            f"lead there waits longer, so extra {first}s can lower bookings. Size the stages "
            f"together: spm-sim headcount CONFIG --grid {first}=A:B:STEP "
            f"--grid {name}=A:B:STEP."
        )
    elif later:
        name = later[0]
        lines.append(
            f"    {first} loses {float(by.loc[first, 'share_lost']):.1%} of its conversion to "
            f"waiting too: extra {first}s buy some of that back while passing {name} more "
            f"leads. Size the stages together: spm-sim headcount CONFIG "
            f"--grid {first}=A:B:STEP --grid {name}=A:B:STEP."
        )
    lines.append(
        "  (conversion lost: the sum over the leads worked of the stage's conversion less the "
        "chance left after their wait; bookings lost: those leads times the later stages' pass "
        "rates, the win rate and the mean deal, whenever they would close)"
    )
    return "\n".join(lines)


# --- spm-sim capacity -----------------------------------------------------------------


def cmd_capacity(args) -> int:
    """Run ``spm-sim capacity``; returns the exit status."""
    config = _load(args)
    _check_memory(args, config)
    if args.out is None:
        _capacity(args, config)
    else:
        with output_folder(args, args.out, chosen=True, inputs=[("config", args.config)]) as run:
            _capacity(args, config, run.path)
    return 0


def _capacity(args, config, out: Path | None = None) -> None:
    """Simulate, print, and with ``out`` write the tables and the figure there."""
    import pandas as pd

    from spm_sim.capacity import (
        calendar,
        handoff,
        queue_by_day,
        run_capacity,
        stage_losses,
        wait_quantiles,
    )

    start = time.perf_counter()
    result = run_capacity(config, progress=show_progress(args), **executor_options(args))
    elapsed = time.perf_counter() - start
    summary = result.summary()
    hand = handoff(result)
    print(_describe_config(config))
    if args.rep_rates_note:
        print(args.rep_rates_note)
    print(
        f"{result.n_replications} replications (seed {config.seed}) in {elapsed:.1f} s; "
        f"mean over replications with the 95% confidence interval of the mean:"
    )
    print(_summary_text(summary))
    if config.target is not None:
        from spm_sim.capacity import meets_target

        ok = meets_target(summary, config.target, config)
        print(f"Target ({_target_text(config.target)}): {'met' if ok else 'NOT met'}.")
    print()
    stages = stage_losses(result)
    print(_stages_text(stages, config))
    print()
    months = "  ".join(
        f"{m} {f:.1%}" for m, f in zip(_MONTHS, hand["factor_by_month"], strict=True)
    )
    print(
        f"Hand-off to the Monte Carlo (conversion kept after waiting, all stages): "
        f"{hand['factor']:.1%} for the year; by month of arrival:\n  {months}\n"
        "It is measured against leads that never wait, and the history the Monte Carlo is "
        "fitted on already holds today's queue: for a change of team, take the new team's "
        "factor over today's and apply it to the share of bookings from this funnel, "
        "capacity_factor = 1 - share x (1 - ratio) (docs/user-guide.md section 11)."
    )
    if out is not None:
        from spm_sim.viz.capacity import waits_figure  # matplotlib only for the figure

        per = result.per_replication().reset_index()
        tables = {
            "summary": summary,
            "per_replication": per,
            "reps": result.reps,
            "waits": wait_quantiles(result.work),
            "bookings": result.bookings.sort_values(["replication", "seat", "month"]),
            "queue": queue_by_day(result.queue, calendar(config)),
            "stages": stages,
            "handoff": pd.DataFrame(
                {
                    "period": ["year", *_MONTHS],
                    "month": [0, *range(1, 13)],
                    "factor": [hand["factor"], *hand["factor_by_month"]],
                }
            ),
        }
        print()
        for name, frame in tables.items():
            path = out / f"{name}.csv"
            write_csv(frame, path)
            print(f"wrote {path}")
        path = out / "waits.png"
        _save(waits_figure(result), path)
        print(f"wrote {path}")
        print(f"wrote {out / 'manifest.json'} (last)")


# --- spm-sim headcount ----------------------------------------------------------------


def _resolve_target(args, config, stage: int):
    """The target of the search: the file's, replaced by --target, changed by the options.

    Returns the :class:`~spm_sim.capacity.ServiceTarget` and a note for the reader
    (empty unless part of the target was set aside).
    """
    from pydantic import ValidationError

    from spm_sim.capacity import ServiceTarget
    from spm_sim.errors import CapacityError

    fields: dict = {}
    if args.target is not None:
        fields = dict(args.target)
    elif config.target is not None:
        fields = config.target.model_dump()
    for key in ("within", "share", "max_utilisation"):
        value = getattr(args, key)
        if value is not None:
            fields["within_hours" if key == "within" else key] = value
    if not fields:
        raise CapacityError(
            f"{args.config} has no 'target' and none was given: add --target "
            f"{_TARGET_EXAMPLE} or --within/--share/--max-utilisation"
        )
    try:
        target = ServiceTarget(**fields)
    except ValidationError as exc:
        problems = "; ".join(
            (f"{e['loc'][0]}: " if e["loc"] else "")
            + e["msg"].removeprefix("Value error, ")
            + (f" (got {e['input']!r})" if e["loc"] else "")
            for e in exc.errors(include_url=False)
        )
        raise CapacityError(f"service target: {problems}") from None
    if stage > 0 and target.within_hours is not None:
        first, this = config.stages[0].name, config.stages[stage].name
        if target.max_utilisation is None:
            raise CapacityError(
                f"--stage {this}: the response-time target is measured at the first stage "
                f"({first}), which {this} reps do not change; size {this} against a cap on "
                "utilisation (--max-utilisation U or --target 'utilisation<=U')"
            )
        note = (
            f"Note: the response-time part of the target is measured at {first}, which {this} "
            f"reps do not change; sizing {this} against the utilisation cap only."
        )
        return ServiceTarget(max_utilisation=target.max_utilisation), note
    return target, ""


def _at(answer: dict, curve: pd.DataFrame, reps: int, col: str) -> str:
    """The figure at ``reps`` with its interval and years, as the search judged it."""
    t = answer["tried_intervals"]
    row = t[(t["reps"] == reps) & (t["figure"] == col)]
    if row.empty:  # a size the search did not need: the curve's years
        row = curve.loc[curve["reps"] == reps]
        if row.empty:
            return "not run"
        c = row.iloc[0]
        mean, low, high, years = c[col], c[col + "_low"], c[col + "_high"], c["replications"]
    else:
        r = row.iloc[0]
        mean, low, high, years = r["mean"], r["low"], r["high"], r["replications"]
    return (
        f"{_fmt(col, mean)} ({_fmt(col, low)} to {_fmt(col, high)}; "
        f"{plural(int(years), 'simulated year')})"
    )


def _searched(first: dict, again: dict) -> dict:
    """Two searches' results as one: every size either tried, the later's judgement of
    a size both tried (on at least as many years), the later's answer and load."""
    import pandas as pd

    redone = set(again["met"].index)
    kept = [n for n in first["met"].index if n not in redone]
    out = dict(again)
    out["tried"] = pd.concat([first["tried"].loc[kept], again["tried"]]).sort_index()
    t = first["tried_intervals"]
    out["tried_intervals"] = pd.concat(
        [t[t["reps"].isin(kept)], again["tried_intervals"]], ignore_index=True
    )
    for key in ("replications", "met"):
        out[key] = pd.concat([first[key].loc[kept], again[key]]).sort_index()
    out["unclear"] = sorted({*(n for n in first["unclear"] if n in kept), *again["unclear"]})
    return out


def _verdict_text(answer: dict, reps: int) -> str:
    """Met or not at ``reps``, and whether the interval settled it or the mean did."""
    if reps not in answer["met"].index:
        return ""
    met = bool(answer["met"][reps])
    if reps in answer["unclear"]:
        years = int(answer["replications"][reps])
        return (
            f": {'meets' if met else 'misses'} it on the mean (the interval still holds the "
            f"target after {years} years)"
        )
    return ": meets it" if met else ": misses it"


def _load_lines(config, stage: int, answer: dict) -> list[str]:
    """The offered load: at a later stage the work that reached it in the simulated
    years, with the closed form (every lead reaching it) named as the bound it is."""
    load = answer["offered_load"]
    lines = [f"  offered load: {load:.1f} reps busy on average (fewer cannot keep up at all)"]
    if stage == 0:
        return lines
    st = config.stages[stage]
    earlier = config.stages[:stage]
    names = " and ".join(s.name for s in earlier)
    rates = ", ".join(f"{s.conversion:.0%}" for s in earlier)
    its = "its" if len(earlier) == 1 else "their"
    years = plural(int(answer["offered_load_years"]), "simulated year")
    lines[0] += (
        f": {answer['arrived']:,.0f} leads a year reached {st.name} in the {years}, "
        f"{st.effort_hours:g} h each at {st.selling_share:.0%} of a rep's hours"
    )
    lines.append(
        f"    (at most {answer['offered_load_bound']:.1f} if every lead were worked at "
        f"{names} without waiting and passed at {its} conversion ({rates}); leads that go "
        f"cold waiting there or are still waiting at the year end never reach {st.name})"
    )
    return lines


def _recommendation(config, target, stage: int, answer: dict, curve: pd.DataFrame) -> str:
    from spm_sim.capacity import START_REPLICATIONS, opportunity_value

    st = config.stages[stage]
    n = answer["reps"]
    most = config.replications
    fewest = min(START_REPLICATIONS, most)
    lines = [
        f"Smallest {st.name} team meeting the target ({_target_text(target)}): {n} reps "
        f"(now {st.reps}).",
        *_load_lines(config, stage, answer),
    ]
    figures = []
    if target.within_hours is not None:
        from spm_sim.capacity import share_column

        figures.append(share_column(curve.columns, target.within_hours))
    if target.max_utilisation is not None:
        figures.append(f"utilisation_{st.name}")
    for i, col in enumerate(figures):
        # the verdict on the target as a whole, once, after the first figure
        said = (lambda size: _verdict_text(answer, size)) if i == 0 else (lambda size: "")
        lines.append(f"  {_label(col)}: at {n} reps {_at(answer, curve, n, col)}{said(n)}")
        if n > 1:
            pad = " " * len(_label(col))
            lines.append(f"  {pad}  at {n - 1} reps {_at(answer, curve, n - 1, col)}{said(n - 1)}")
    lines.append(
        "  (a size meets the target when the 95% confidence interval of its figure across "
        f"simulated years is on the safe side of it; each size started with {fewest} years "
        f"and got twice as many, up to {most}, while its interval still held the target; a "
        "size still unclear then is judged on its mean)"
    )
    cost = config.stage_cost(stage)
    o = config.opportunity
    rate = opportunity_value(config) / o.deal_size  # the seats' mean with --rep-rates
    lines.append(
        f"  each extra rep costs {format_money(cost)} a year, against what the rep adds (bookings, "
        "not margin): the bookings closed in the year, and the extra opportunities at their "
        f"expected value whenever they close (win rate {rate:.0%} x mean deal "
        f"{format_money(o.deal_size)}):"
    )
    share = figures[0]
    head = (
        "reps",
        "years",
        _label(share),
        "bookings in year",
        "extra in year (95% interval)",
        "extra opps",
        "their value (95% interval)",
        "binds",
        "value >= cost",
    )
    rows = []
    for d in curve.to_dict("records"):
        opps, value = (
            d["extra_opportunities_per_rep"],
            d["expected_value_per_rep"],
        )
        known = math.isfinite(value)
        low = d.get("expected_value_per_rep_low", math.nan)
        high = d.get("expected_value_per_rep_high", math.nan)
        ranged = known and math.isfinite(low) and math.isfinite(high)
        shown = format_money(value, sign=True) if known else ""
        if ranged:
            shown += f" ({format_money(low, sign=True)} to {format_money(high, sign=True)})"
            # the verdict only when the whole 95% interval is on one side of the cost
            verdict = "yes" if low >= cost else "no" if high < cost else "within noise"
        else:
            verdict = ("yes" if value >= cost else "no") if known else ""
        rows.append(
            (
                f"{d['reps']}" + (" *" if d["reps"] == n else ""),
                f"{d['replications']:.0f}",
                _fmt(share, d[share]),
                format_money(d["bookings"]),
                _extra_in_year(d),
                f"{opps:+,.0f} opps" if known else "",
                shown,
                _binds(d, config),
                verdict,
            )
        )
    w = [max(len(x[j]) for x in [head, *rows]) for j in range(len(head))]
    lines.append("    " + "  ".join(h.rjust(wj) for h, wj in zip(head, w, strict=True)))
    for row in rows:
        lines.append("    " + "  ".join(c.rjust(wj) for c, wj in zip(row, w, strict=True)))
    lines.append(
        "  (* the recommendation. 'years': the simulated years at the size, all of them behind "
        "its figures here and above; the n-th year is the same at every size (the same leads "
        "and draws), so what a rep adds is measured year by year on the years two sizes share "
        "(paired), and a step whose value's 95% interval still held the cost got more years, "
        f"up to {most}. Bookings in the year leave out deals closing after 31 December and "
        "carry the noise of wins and deal sizes; the opportunities' value is the steadier "
        "measure of what a rep adds. 'within noise': the value's interval holds the cost. "
        "'binds': the stage whose queue costs the most bookings at that size, see "
        "spm-sim capacity.)"
    )
    lines += _downstream_note(config, stage, curve, n)
    return "\n".join(lines)


def _extra_in_year(d: dict) -> str:
    """What each added rep adds to the bookings closed in the year, with its paired interval."""
    extra = d["extra_bookings_per_rep"]
    if not math.isfinite(extra):
        return ""
    low = d.get("extra_bookings_per_rep_low", math.nan)
    high = d.get("extra_bookings_per_rep_high", math.nan)
    text = format_money(extra, sign=True)
    if math.isfinite(low) and math.isfinite(high):
        text += f" ({format_money(low, sign=True)} to {format_money(high, sign=True)})"
    return text


def _binds(row: dict, config) -> str:
    """The stage that binds at a size of the curve (from its mean losses), or "none"."""
    import pandas as pd

    from spm_sim.capacity import binding_stage

    if not all(f"share_lost_{s.name}" in row for s in config.stages):
        return ""
    table = pd.DataFrame(
        {
            "stage": [s.name for s in config.stages],
            "share_lost": [row[f"share_lost_{s.name}"] for s in config.stages],
            "bookings_lost": [row[f"bookings_lost_{s.name}"] for s in config.stages],
        }
    )
    return binding_stage(table) or "none"


def _sizes_text(sizes: list[int]) -> str:
    """Sorted team sizes as runs: [12, 13, 15] -> "12-13 and 15"."""
    runs: list[list[int]] = []
    for x in sizes:
        if runs and x == runs[-1][-1] + 1:
            runs[-1].append(x)
        else:
            runs.append([x])
    parts = [f"{r[0]}-{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _downstream_note(config, stage: int, curve: pd.DataFrame, n: int) -> list[str]:
    """Why an extra rep can bring less than nothing: a later stage binds. Says at which
    sizes of the whole curve a later stage binds, then the recommended size's figures."""
    rows = sorted(curve.to_dict("records"), key=lambda d: d["reps"])
    later = [s.name for s in config.stages[stage + 1 :]]
    bound = [d for d in rows if _binds(d, config) in later]
    if not bound:
        return []
    sized = config.stages[stage].name
    names = list(dict.fromkeys(_binds(d, config) for d in bound))
    who = " or ".join(names)
    all_sizes = [int(d["reps"]) for d in rows]
    at = [int(d["reps"]) for d in bound]
    if at == all_sizes:
        where = f"At every size on the curve ({_sizes_text(all_sizes)} {sized} reps)"
    elif at == all_sizes[all_sizes.index(at[0]) :]:
        where = f"From {at[0]} {sized} reps (to {all_sizes[-1]}, the curve's end)"
    else:
        where = f"At {_sizes_text(at)} {sized} reps"
    here = next((d for d in rows if d["reps"] == n), None)
    name = _binds(here, config) if here is not None else ""
    if here is not None and name in later:
        lost = format_money(here[f"bookings_lost_{name}"])
        now = (
            f" At the recommended {n}: waiting at {name} costs "
            f"{here[f'share_lost_{name}']:.1%} of its conversion ({lost} of bookings a year; "
            f"mean wait {here[f'mean_wait_hours_{name}']:.1f} h)."
        )
    elif here is not None:
        now = f" At the recommended {n}, {name if name != 'none' else 'no stage'} binds."
    else:
        now = ""
    return [
        f"  {where}, {who} binds.{now} More {sized} reps "
        f"pass {names[0]} more leads, sooner, and every lead there waits longer, so what an "
        f"extra {sized} rep adds can fall below zero. The joint answer: spm-sim headcount "
        f"CONFIG --grid {sized}=A:B:STEP --grid {names[0]}=A:B:STEP."
    ]


def cmd_headcount(args) -> int:
    """Run ``spm-sim headcount``; returns the exit status."""
    config = _load(args)
    if args.team_grid:
        return _cmd_grid(args, config)
    stage = _stage_index(config, args.stage, args.config)
    target, note = _resolve_target(args, config, stage)
    # the summaries name their share column after the configuration's target
    config = config.replace(target=target)
    _check_memory(args, config)
    if args.out is None:
        _headcount(args, config, stage, target, note)
    else:
        with output_folder(args, args.out, chosen=True, inputs=[("config", args.config)]) as run:
            _headcount(args, config, stage, target, note, run.path)
    return 0


def _headcount(args, config, stage: int, target, note: str, out: Path | None = None) -> None:
    """Search, print, and with ``out`` write the curve, the sizes tried and the figure."""
    from spm_sim.capacity import headcount_curve, marginal_value, smallest_team
    from spm_sim.parallel import executor_for

    start = time.perf_counter()
    # Every simulated year is kept here, by size and replication. The search runs full
    # years (not the first stage alone) so that the curve around its answer, which needs
    # the bookings, reuses them: most of the sizes searched are on the curve. One
    # executor (a pool or a Dask cluster) serves the search and the curve.
    runs: dict = {}

    def held() -> int:
        return sum(len(v) for v in runs.values())

    with executor_for(**executor_options(args)) as ex:

        def search(guess: int) -> dict:
            return smallest_team(
                config,
                target,
                stage=stage,
                start=guess,
                first_stage_only=False,
                executor=ex,
                progress=show_progress(args),
                cache=runs,
            )

        answer = search(config.stages[stage].reps)
        while True:
            n = answer["reps"]
            sizes = range(max(1, n - CURVE_SPAN), n + CURVE_SPAN + 1)
            curve = headcount_curve(
                config, sizes, stage=stage, executor=ex, progress=show_progress(args), cache=runs
            )
            # The curve may have given the answer (or the size below) more years than
            # the search judged it on: judge again from the answer on every year held,
            # so the search line and the curve show the same years. Until the answer
            # and the years settle (each size has at most --replications of them).
            before = held()
            again = search(n)
            answer = _searched(answer, again)
            if again["reps"] == n and held() == before:
                break
        curve = marginal_value(curve, config)
    elapsed = time.perf_counter() - start
    years = held()
    print(_describe_config(config))
    if args.rep_rates_note:
        print(args.rep_rates_note)
    print(
        f"Seed {config.seed}; {len(answer['tried'])} team sizes searched from the "
        f"{config.stages[stage].reps} in the file, {len(curve)} on the curve; "
        f"{years} simulated years in all, in {elapsed:.1f} s."
    )
    if note:
        print(note)
    print()
    print(_recommendation(config, target, stage, answer, curve))
    if out is not None:
        from spm_sim.viz.capacity import headcount_figure  # matplotlib only for the figure

        print()
        path = out / "headcount_curve.csv"
        write_csv(
            curve.assign(stage=config.stages[stage].name, recommended=curve["reps"] == n), path
        )
        print(f"wrote {path}")
        path = out / "headcount_tried.csv"
        tried = answer["tried"].assign(
            replications=answer["replications"],
            unclear=answer["tried"].index.isin(answer["unclear"]),
            meets_target=answer["met"],
        )
        write_csv(tried.reset_index(), path)
        print(f"wrote {path}")
        path = out / "headcount.png"
        _save(headcount_figure(curve, target, recommended=n), path)
        print(f"wrote {path}")
        print(f"wrote {out / 'manifest.json'} (last)")


# --- spm-sim headcount --grid: the joint answer ------------------------------------------


def _cmd_grid(args, config) -> int:
    """``headcount --grid``: every combination of the stages' sizes, and the joint answer."""
    from spm_sim.errors import CapacityError

    if args.stage is not None:
        raise CapacityError("--stage and --grid: give one; --grid names its stages itself")
    sizes: dict[str, list[int]] = {}
    for name, values in args.team_grid:
        index = _stage_index(config, name, args.config)
        key = config.stages[index].name
        if key in sizes:
            raise CapacityError(f"--grid: stage {key!r} given twice; give its sizes once")
        sizes[key] = values
    fields: dict = {} if config.target is None else config.target.model_dump()
    if args.target is not None:
        fields = dict(args.target)
    for key in ("within", "share", "max_utilisation"):
        value = getattr(args, key)
        if value is not None:
            fields["within_hours" if key == "within" else key] = value
    if fields:
        target, _ = _resolve_target(args, config, 0)
        config = config.replace(target=target)
    _check_memory(args, config)
    if args.out is None:
        _grid(args, config, sizes)
    else:
        with output_folder(args, args.out, chosen=True, inputs=[("config", args.config)]) as run:
            _grid(args, config, sizes, run.path)
    return 0


def _grid(args, config, sizes: dict[str, list[int]], out: Path | None = None) -> None:
    from spm_sim.capacity import joint_answer, team_grid

    start = time.perf_counter()
    grid = team_grid(config, sizes, progress=show_progress(args), **executor_options(args))
    elapsed = time.perf_counter() - start
    print(_describe_config(config))
    if args.rep_rates_note:
        print(args.rep_rates_note)
    print(
        f"Seed {config.seed}; {len(grid)} teams, {plural(config.replications, 'simulated year')} "
        f"each (the same years for every team), in {elapsed:.1f} s."
    )
    print()
    print(_grid_text(config, grid, joint_answer(grid)))
    if out is not None:
        from spm_sim.viz.capacity import grid_figure  # matplotlib only for the figure

        print()
        path = out / "team_grid.csv"
        write_csv(grid, path)
        print(f"wrote {path}")
        path = out / "team_grid.png"
        _save(grid_figure(grid, config), path)
        print(f"wrote {path}")
        print(f"wrote {out / 'manifest.json'} (last)")


def _team(config, row) -> str:
    return ", ".join(f"{int(row[f'reps_{s.name}'])} {s.name}" for s in config.stages)


def _grid_text(config, grid: pd.DataFrame, answer: dict) -> str:
    from spm_sim.capacity import share_column

    share = share_column(grid.columns)
    costs = ", ".join(
        f"{s.name} {format_money(config.stage_cost(k))}" for k, s in enumerate(config.stages)
    )
    head = [
        "team",
        _label(share),
        "opportunities",
        "expected bookings (95% CI)",
        "in the year",
        "cost",
        "value vs today (paired 95% CI)",
        "net of cost",
        "binds",
    ]
    rows = []
    for d in grid.to_dict("records"):
        rows.append(
            [
                _team(config, d) + (" (today)" if d["base"] else ""),
                _fmt(share, d[share]) + ("" if d["meets_target"] else ", misses"),
                f"{d['opportunities']:,.0f}",
                f"{format_money(d['expected_value'])} ({format_money(d['expected_value_low'])} "
                f"to {format_money(d['expected_value_high'])})",
                format_money(d["bookings"]),
                format_money(d["team_cost"]),
                ""
                if d["base"]
                else f"{format_money(d['value_vs_base'], sign=True)} "
                f"({format_money(d['value_vs_base_low'], sign=True)} to "
                f"{format_money(d['value_vs_base_high'], sign=True)})",
                "" if d["base"] else format_money(d["net_vs_base"], sign=True),
                d["binding"] or "none",
            ]
        )
    lines = [
        f"Teams tried together (cost a year per rep: {costs}; expected bookings: the "
        "opportunities x win rate x mean deal, whenever they close; bookings, not margin):",
        format_table(head, rows, left=1, indent="  ", stack=True),
    ]
    cheapest, best, base = answer["cheapest"], answer["best"], answer["base"]
    if config.target is not None:
        # the utilisation cap holds at every stage sized in the grid
        wanted = _target_text(config.target, list(grid.attrs.get("stages", [])))
        if cheapest is None:
            lines.append(f"  No team tried meets the target ({wanted}).")
        else:
            lines.append(
                f"  Cheapest team meeting the target ({wanted}): "
                f"{_team(config, cheapest)}, {format_money(cheapest['team_cost'])} a year, "
                f"{format_money(cheapest['expected_value'])} expected bookings; "
                + (
                    f"{str(cheapest['binding']).replace(' or ', ' and ')} bind there, within noise."
                    if " or " in str(cheapest["binding"])
                    else f"{cheapest['binding'] or 'no stage'} binds there."
                )
            )
    if best["base"]:
        lines.append(
            f"  No team tried gains more, net of its cost, than today's ({_team(config, base)})."
        )
    else:
        verdict = (
            "its interval is above 0" if answer["clear"] else "within noise: its interval holds 0"
        )
        lines.append(
            f"  Largest gain net of cost: {_team(config, best)}: "
            f"{format_money(best['value_vs_base'], sign=True)} expected bookings a year against "
            f"{format_money(best['cost_vs_base'], sign=True)} of cost, net "
            f"{format_money(best['net_vs_base'], sign=True)} "
            f"({format_money(best['net_vs_base_low'], sign=True)} to "
            f"{format_money(best['net_vs_base_high'], sign=True)}; {verdict})."
        )
    lines.append(
        "  ('binds': the stage whose queue costs the most bookings in that team, 'A or B' when "
        "year by year the two cannot be told apart; a team whose later stage binds gains little "
        "from more reps at an earlier one. Every team runs the same simulated years, so its "
        "change against today is measured year by year.)"
    )
    return "\n".join(lines)
