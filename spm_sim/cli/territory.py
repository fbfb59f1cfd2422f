"""``spm-sim align``: territory design from a shell (a sub-command of :mod:`spm_sim.cli`).

::

    spm-sim align data/sample/accounts.csv --homes data/sample/reps.csv \\
        --balance potential=0.05,workload=0.05 --current rep_id --max-disruption 0.3 \\
        --out align.csv --figure align.png
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING

from spm_sim._files import make_folder, save_figure, write_csv
from spm_sim.errors import DataError

from .args import add_seed, count, real
from .places import output_file

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "add_align_parser",
    "align_outputs",
    "cmd_align",
    "parse_balance",
    "parse_named_numbers",
    "read_table",
]

#: columns read as text so ids such as FIPS codes keep their leading zeros
TEXT_COLUMNS = ("unit_id", "account_id", "id", "rep_id", "home_unit", "territory")
#: The most territories ``--territories`` takes.
MAX_TERRITORIES = 10_000
#: The widest balance tolerance: 10 = within 1,000% of the mean (no balance at all).
MAX_TOLERANCE = 10.0


def parse_named_numbers(text: str, *, form: str, example: str) -> dict[str, float]:
    """``"a=0.2, b=10%"`` -> ``{"a": 0.2, "b": 0.1}``; ``form``/``example`` go in errors.

    Examples
    --------
    >>> parse_named_numbers("a=0.2, b=10%", form="NAME=VALUE", example="a=0.2")
    {'a': 0.2, 'b': 0.1}
    """
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise argparse.ArgumentTypeError(f"{part!r} is not {form} (e.g. {example})")
        value = value.strip()
        try:
            number = float(value[:-1]) / 100 if value.endswith("%") else float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{value!r} of {name.strip()!r} is not a number (e.g. {example})"
            ) from None
        if not math.isfinite(number):
            raise argparse.ArgumentTypeError(
                f"{value!r} of {name.strip()!r} is not a finite number (e.g. {example})"
            )
        out[name.strip()] = number
    if not out:
        raise argparse.ArgumentTypeError(f"give at least one {form}")
    return out


def parse_balance(text: str) -> dict[str, float]:
    """``"workload=0.2,potential=10%"`` -> ``{"workload": 0.2, "potential": 0.1}``.

    Examples
    --------
    >>> parse_balance("workload=0.2, potential=10%")
    {'workload': 0.2, 'potential': 0.1}
    """
    out = parse_named_numbers(
        text, form="MEASURE=TOLERANCE", example="potential=0.05 or potential=5%"
    )
    for name, tol in out.items():
        if not 0 <= tol <= MAX_TOLERANCE:
            raise argparse.ArgumentTypeError(
                f"tolerance of {name!r} must be in [0, {MAX_TOLERANCE:g}] (0.05 = within 5% "
                f"of the mean), got {tol:g}"
            )
    return out


def _share(text: str) -> float:
    try:
        v = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share (e.g. 0.15 or 15%)") from None
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share in [0, 1]")
    return v


def _homes_located(exc: DataError, homes: Path | None) -> DataError:
    """``exc`` naming the ``--homes`` file where the library says only "homes"."""
    if homes is None or exc.file != "homes":
        return exc
    where = ["homes"] + ([f"row {exc.row}"] if exc.row is not None else [])
    where += [f"column '{exc.column}'"] if exc.column is not None else []
    message = str(exc).removeprefix(", ".join(where) + ": ")
    return DataError(message, file=homes, row=exc.row, column=exc.column, value=exc.value)


def read_table(path: Path, text: tuple[str, ...] = ()) -> pd.DataFrame:
    """A units, accounts or homes CSV, ids (and the ``text`` columns) read as text."""
    import pandas as pd

    if not path.exists():
        raise DataError(f"file not found: {path}")
    try:
        head = pd.read_csv(path, nrows=0)
        dtype = {c: str for c in head.columns if c in TEXT_COLUMNS or c in text}
        return pd.read_csv(path, dtype=dtype, keep_default_na=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read as CSV: {exc}", file=path) from None


def add_align_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``align`` on the sub-parsers of ``spm-sim``."""
    al = sub.add_parser(
        "align",
        help="design balanced, compact territories and show the disruption",
        description="Assign the units (or accounts) of a CSV to territories so every balanced "
        "measure stays within its tolerance band around the mean, total distance to the "
        "territory's center (or rep home) is smallest, and disruption against the current "
        "alignment is capped. Prints a summary; writes the alignment CSV and a figure.",
    )
    al.add_argument(
        "units",
        type=Path,
        metavar="UNITS.csv",
        help="units or accounts: id, lat/lon (or x/y), measures",
    )
    where = al.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--territories",
        type=count(1, MAX_TERRITORIES),
        metavar="N",
        help=f"number of territories, 1 to {MAX_TERRITORIES:,}",
    )
    where.add_argument(
        "--homes",
        type=Path,
        metavar="HOMES.csv",
        help="rep homes: rep_id and lat/lon or home_lat/home_lon (reps with a "
        "term_date are skipped)",
    )
    al.add_argument(
        "--balance",
        type=parse_balance,
        metavar="M=T,...",
        help="measures and tolerances, e.g. workload=0.2,potential=0.1 "
        "(default potential and workload at 5%%; 'count' = number of units)",
    )
    al.add_argument("--current", metavar="COL", help="column with each unit's current rep")
    al.add_argument(
        "--max-disruption",
        type=_share,
        metavar="SHARE",
        help="cap on the share that changes rep, e.g. 0.15",
    )
    al.add_argument(
        "--disruption-basis",
        metavar="COL",
        help="column whose total measures disruption (default: unit count)",
    )
    al.add_argument(
        "--penalty",
        type=real(0.0, 1e9),
        metavar="KM",
        help="cost of moving one unit of the basis, in km of travel (0 to 1e9)",
    )
    al.add_argument("--objective", choices=("distance", "disruption"), default="distance")
    al.add_argument("--locked", metavar="COL", help="true/false column of units that stay")
    al.add_argument("--weight", metavar="COL", help="column weighting each unit's distance")
    al.add_argument("--method", choices=("auto", "exact", "scalable"), default="auto")
    al.add_argument(
        "--time-limit",
        type=real(0.0, 86_400.0, low_open=True),
        default=30.0,
        metavar="S",
        help="seconds for the exact MILP, more than 0 and at most 86400 (default 30)",
    )
    add_seed(al, "seed of the centers' k-means++ starts (default 0)", default=0)
    al.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="ALIGN.csv",
        help="alignment to write: unit id, territory, rep_id (replaced if it exists)",
    )
    al.add_argument(
        "--figure",
        type=Path,
        metavar="FIG.png",
        help="map and balance bars to write (default: next to --out)",
    )
    al.add_argument("--no-figure", action="store_true", help="write no figure")


def align_outputs(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """The files ``align`` writes, each under the option that names it.

    The alignment (``--out``), and unless ``--no-figure`` the map (``--figure``, by
    default ``--out`` with ``.png``) and the balance chart beside it
    (``<map>_balance.png``).
    """
    out = [("--out", args.out)]
    if not args.no_figure:
        fig = args.figure or args.out.with_suffix(".png")
        out += [("--figure", fig), ("--figure", fig.with_name(f"{fig.stem}_balance{fig.suffix}"))]
    return out


def cmd_align(args: argparse.Namespace) -> int:
    """Run ``spm-sim align``; a second run writing the same ``--out`` meanwhile is refused."""
    with output_file(args, args.out, related=lambda _: [p for _f, p in align_outputs(args)]):
        return _align(args)


def _align(args: argparse.Namespace) -> int:
    from spm_sim.territory import design

    extra = tuple(c for c in (args.current, args.locked) if c)
    units = read_table(args.units, text=extra)
    kwargs = {}
    if args.homes is not None:
        homes = read_table(args.homes)
        if "term_date" in homes.columns:
            left = homes["term_date"].notna() & (homes["term_date"].astype(str).str.strip() != "")
            if left.any():
                print(f"skipped {int(left.sum())} reps of {args.homes} with a term_date")
            homes = homes[~left]
        kwargs["homes"] = homes
    else:
        kwargs["territories"] = args.territories
    try:
        al = design(
            units,
            balance=args.balance,
            current=args.current,
            max_disruption=args.max_disruption,
            disruption=args.disruption_basis,
            disruption_penalty=args.penalty,
            objective=args.objective,
            locked=args.locked,
            weight=args.weight,
            method=args.method,
            time_limit=args.time_limit,
            rng=args.seed,
            source=str(args.units),
            **kwargs,
        )
    except DataError as exc:
        raise _homes_located(exc, args.homes) from None
    print(al.describe())
    if al.before is not None:
        cmp = al.comparison()
        print("\nbefore -> after (the current alignment measured the same way):")
        for metric, row in cmp.iterrows():
            fmt = "{:,.0f}" if metric in ("territories", "total_distance") else "{:.1%}"
            print(f"  {metric:<22} {fmt.format(row['before']):>12} -> {fmt.format(row['after'])}")
    cols = ["rep_id", "units"] + [c for m in al.settings["balance"] for c in (m, f"dev_{m}")]
    table = al.territories[cols + ["mean_distance"]].copy()
    for m in al.settings["balance"]:
        table[f"dev_{m}"] = table[f"dev_{m}"].map(lambda v: f"{v:+.1%}")
    print()
    print(table.to_string(float_format=lambda v: f"{v:,.1f}", max_rows=20))
    make_folder(args.out.parent)
    write_csv(al.to_frame(), args.out)
    print(f"\nwrote {args.out}")
    if not args.no_figure:
        from spm_sim.viz.territory import balance_bars, territory_map

        _, (_, fig_path), (_, bars) = align_outputs(args)
        make_folder(fig_path.parent)
        before = "current" if args.current else None
        save_figure(territory_map(al, before=before), fig_path, dpi=110, bbox_inches="tight")
        save_figure(balance_bars(al), bars, dpi=110, bbox_inches="tight")
        print(f"wrote {fig_path}\nwrote {bars}")
    return 0
