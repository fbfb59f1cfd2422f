"""``spm-sim align``: territory design from a shell (a sub-command of :mod:`spm_sim.cli`).

::

    spm-sim align data/sample/accounts.csv --homes data/sample/reps.csv \\
        --balance potential=0.05,workload=0.05 --current rep_id --max-disruption 0.3 \\
        --out align.csv --figure align.png
    spm-sim align data/sample/accounts.csv --homes data/sample/reps.csv \\
        --current rep_id --tradeoff 5%,10%,20%,none --executor processes --out align.csv

``--tradeoff`` also draws the trade-off of disruption against distance, one design
per cap (:func:`spm_sim.territory.tradeoff`): a table, ``<out>_tradeoff.csv`` beside
the alignment and ``<figure>_tradeoff.png`` beside the map. Its designs run on
``--executor`` (serial, processes or dask; ``--scheduler ADDR`` for a running Dask
cluster), with the same numbers on each.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING

from spm_sim._files import make_folder, save_figure, write_csv
from spm_sim.errors import DataError, SpecError

from .args import (
    add_executor,
    add_seed,
    add_workers,
    count,
    executor_options,
    real,
    show_progress,
)
from .places import output_file
from .table import format_table, wrap_lines

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "add_align_parser",
    "align_outputs",
    "cmd_align",
    "parse_balance",
    "parse_caps",
    "parse_named_numbers",
    "read_table",
    "territory_table",
    "tradeoff_table",
]

#: columns read as text so ids such as FIPS codes keep their leading zeros
TEXT_COLUMNS = ("unit_id", "account_id", "id", "rep_id", "home_unit", "territory")
#: The most territories ``--territories`` takes.
MAX_TERRITORIES = 10_000
#: The widest balance tolerance: 10 = within 1,000% of the mean (no balance at all).
MAX_TOLERANCE = 10.0
#: Territories printed in full; a longer table shows its first and last half of these.
SHOWN_TERRITORIES = 20
#: The most disruption caps ``--tradeoff`` takes.
MAX_CAPS = 20


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


def parse_caps(text: str) -> tuple[float | None, ...]:
    """``--tradeoff``'s caps: shares in [0, 1] (``0.1`` or ``10%``), ``none`` for a run
    without a cap; at most :data:`MAX_CAPS`, none twice.

    Examples
    --------
    >>> parse_caps("5%, 0.1, none")
    (0.05, 0.1, None)
    """
    caps: list[float | None] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        cap = None if part.lower() in ("none", "no cap", "off") else _share(part)
        if cap in caps:
            raise argparse.ArgumentTypeError(f"cap {part!r} is given twice; give each cap once")
        caps.append(cap)
    if not caps or len(caps) > MAX_CAPS:
        raise argparse.ArgumentTypeError(
            f"give 1 to {MAX_CAPS} caps, e.g. 5%,10%,20%,none; got {len(caps)}"
        )
    return tuple(caps)


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
    al.add_argument(
        "--tradeoff",
        type=parse_caps,
        metavar="CAP,...",
        help="also draw the trade-off of disruption against distance: one design per cap "
        "on the disrupted share, e.g. 5%%,10%%,20%%,none (none: no cap; needs --current). "
        "Prints a table and writes <out>_tradeoff.csv and, unless --no-figure, "
        "<figure>_tradeoff.png",
    )
    add_executor(al, "the trade-off (--tradeoff: one design per cap)")
    add_workers(al, "the trade-off's designs (--tradeoff)")


def align_outputs(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """The files ``align`` writes, each under the option that names it.

    The alignment (``--out``), and unless ``--no-figure`` the map (``--figure``, by
    default ``--out`` with ``.png``) and the balance chart beside it
    (``<map>_balance.png``); with ``--tradeoff`` its table beside the alignment
    (``<out>_tradeoff.csv``, under ``--out``) and, unless ``--no-figure``, its curve
    beside the map (``<map>_tradeoff.png``, under ``--figure``).
    """
    out = [("--out", args.out)]
    if not args.no_figure:
        fig = _map_path(args)
        out += [("--figure", fig), ("--figure", fig.with_name(f"{fig.stem}_balance{fig.suffix}"))]
    table, curve = _tradeoff_paths(args)
    if table is not None:
        out.append(("--out", table))
    if curve is not None:
        out.append(("--figure", curve))
    return out


def _map_path(args: argparse.Namespace) -> Path:
    return args.figure or args.out.with_suffix(".png")


def _tradeoff_paths(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """Where ``--tradeoff`` writes its table and its curve (``None``: not written)."""
    if not getattr(args, "tradeoff", None):
        return None, None
    table = args.out.with_name(f"{args.out.stem}_tradeoff.csv")
    if args.no_figure:
        return table, None
    fig = _map_path(args)
    return table, fig.with_name(f"{fig.stem}_tradeoff{fig.suffix}")


def cmd_align(args: argparse.Namespace) -> int:
    """Run ``spm-sim align``; a second run writing the same ``--out`` meanwhile is refused."""
    with output_file(args, args.out, related=lambda _: [p for _f, p in align_outputs(args)]):
        return _align(args)


def _check_tradeoff_options(args: argparse.Namespace) -> None:
    """``--tradeoff`` needs ``--current``; the executor options run only the trade-off."""
    if args.tradeoff and not args.current:
        raise SpecError(
            "--tradeoff: a trade-off of disruption needs the current alignment; add "
            "--current COL (the column with each unit's current rep)"
        )
    if args.tradeoff:
        return
    given = {
        "--executor": args.executor not in (None, "serial"),
        "--scheduler": bool(args.scheduler),
        "--workers": args.workers > 1,
    }
    for flag, set_ in given.items():
        if set_:
            raise SpecError(
                f"{flag}: only the trade-off's designs (--tradeoff CAP,...) run on an "
                f"executor; a single design runs here. Add --tradeoff, or leave out {flag}"
            )


def _align(args: argparse.Namespace) -> int:
    from spm_sim.territory import design

    _check_tradeoff_options(args)
    extra = tuple(c for c in (args.current, args.locked) if c)
    units = read_table(args.units, text=extra)
    kwargs: dict = {}
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
    common = dict(
        balance=args.balance,
        current=args.current,
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
    try:
        al = design(
            units, progress=show_progress(args), max_disruption=args.max_disruption, **common
        )
    except DataError as exc:
        raise _homes_located(exc, args.homes) from None
    print(wrap_lines(al.describe()))
    currency = _book_currency(args.units)
    if al.before is not None:
        print("\nbefore -> after (the current alignment measured the same way):")
        print(_comparison_table(al, currency))
    print()
    print(territory_table(al, currency))
    if currency is None and "potential" in al.settings.get("balance", {}):
        print(
            wrap_lines(
                f"potential: currency unknown (add a book.yaml with 'currency:' beside "
                f"{args.units} to print it as money)"
            )
        )
    make_folder(args.out.parent)
    write_csv(al.to_frame(), args.out)
    print(f"\nwrote {args.out}")
    if not args.no_figure:
        from spm_sim.viz.territory import balance_bars, territory_map

        fig_path = _map_path(args)
        bars = fig_path.with_name(f"{fig_path.stem}_balance{fig_path.suffix}")
        make_folder(fig_path.parent)
        before = "current" if args.current else None
        save_figure(territory_map(al, before=before), fig_path, dpi=110, bbox_inches="tight")
        save_figure(balance_bars(al), bars, dpi=110, bbox_inches="tight")
        print(f"wrote {fig_path}\nwrote {bars}")
    if args.tradeoff:
        _tradeoff(args, units, common, al.distance_unit, al.distance_label)
    return 0


def _tradeoff(args, units, common: dict, km: str, label: str) -> None:
    """The trade-off curve: one design per cap on ``--executor``, printed and written."""
    import matplotlib.pyplot as plt

    from spm_sim.territory import tradeoff

    table = tradeoff(
        units,
        caps=args.tradeoff,
        progress=show_progress(args),
        **executor_options(args),
        **common,
    )
    print("\ntrade-off of disruption against distance, one design per cap:")
    print(tradeoff_table(table, km, label))
    csv, png = _tradeoff_paths(args)
    assert csv is not None  # --tradeoff was given
    make_folder(csv.parent)
    write_csv(table, csv)
    print(f"wrote {csv}")
    if png is not None:
        from spm_sim.viz.territory import tradeoff_curve

        make_folder(png.parent)
        fig = tradeoff_curve(table)
        save_figure(fig, png, dpi=110, bbox_inches="tight")
        plt.close(fig)
        print(f"wrote {png}")


def tradeoff_table(table, km: str = " km", label: str = "km") -> str:
    """The trade-off as a console table: each cap, its status, the units moved, the
    disruption, the total distance with its unit and the largest deviation.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"cap": [0.1, None], "status": ["optimal", "infeasible"],
    ...                   "units_moved": [3, None], "disruption": [0.1, None],
    ...                   "total_distance": [1234.5, None], "max_dev": [0.04, None]})
    >>> print(tradeoff_table(t))
    cap     status      moved  disruption  total distance  largest deviation
    ------  ----------  -----  ----------  --------------  -----------------
    10%     optimal         3       10.0%        1,234 km               4.0%
    no cap  infeasible      -           -               -                  -
    """
    import pandas as pd

    def cell(value, form: str) -> str:
        return "-" if value is None or pd.isna(value) else form.format(value)

    rows = []
    for _, r in table.iterrows():
        rows.append(
            [
                "no cap" if pd.isna(r["cap"]) else f"{r['cap']:.0%}",
                str(r["status"]),
                cell(r.get("units_moved"), "{:,.0f}"),
                cell(r.get("disruption"), "{:.1%}"),
                cell(r.get("total_distance"), "{:,.0f}" + km),
                cell(r.get("max_dev"), "{:.1%}"),
            ]
        )
    distance = "total distance" if km else f"total distance ({label})"
    header = ["cap", "status", "moved", "disruption", distance, "largest deviation"]
    return format_table(header, rows, left=2)


# --- printing: every figure with its unit, the tables within the terminal ------------


def _book_currency(units: Path) -> str | None:
    """The currency of the book the units file belongs to (``book.yaml`` beside it),
    so money measures print as money; ``None`` when there is no such file."""
    meta = Path(units).parent / "book.yaml"
    if not meta.is_file():
        return None
    try:
        import yaml

        data = yaml.safe_load(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return None
    currency = data.get("currency", "USD") if isinstance(data, dict) else None
    return str(currency) if currency else None


def _measure(name: str, value: float, currency: str | None) -> str:
    """A territory's total of a balanced measure, with the unit its name implies:
    money for ``potential`` (in the book's currency when known), hours for
    ``workload`` (docs/data-format.md), units for ``count``."""
    from spm_sim._format import format_money

    if name == "potential":
        return format_money(value, currency=currency) if currency else f"{value:,.0f}"
    if name == "workload":
        return f"{value:,.0f} h"
    if name == "count":
        return f"{value:,.0f} units"
    return _plain(value)


def _plain(value: float) -> str:
    """A total of a measure whose unit is not known, in fixed-point notation: whole
    with thousands separators from 1,000 up, else three significant digits (``0``
    for what rounds to zero at six decimals).

    Examples
    --------
    >>> [_plain(v) for v in (1234567.8, 12.345, 0.0000123, 1e-9, -0.5)]
    ['1,234,568', '12.3', '0.0000123', '0', '-0.5']
    """
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) < 5e-7:
        return "0"
    decimals = min(max(2 - math.floor(math.log10(abs(value))), 0), 7)
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _row_label(metric: str) -> str:
    if metric.startswith("max_dev_"):
        return f"largest deviation, {metric.removeprefix('max_dev_')}"
    if metric.startswith("cv_"):
        return f"spread (CV), {metric.removeprefix('cv_')}"
    return metric.replace("_", " ")


def _comparison_table(al, currency: str | None) -> str:
    """Before and after as a table: deviations in %, distance with its unit."""
    km = al.distance_unit
    rows = []
    for metric, row in al.comparison().iterrows():
        if metric == "territories":
            cells = [f"{row[c]:,.0f}" for c in ("before", "after")]
        elif metric == "total_distance":
            cells = [f"{row[c]:,.0f}{km}" for c in ("before", "after")]
        else:
            cells = [f"{row[c]:.1%}" for c in ("before", "after")]
        label = _row_label(str(metric))
        if metric == "total_distance" and not km:
            label += f" ({al.distance_label})"
        rows.append([label, *cells])
    return format_table(["", "before", "after"], rows, indent="  ")


def territory_table(al, currency: str | None = None, *, width: int | None = None) -> str:
    """The territories of an alignment as a console table: each with its rep (when
    territories belong to reps), units, each balanced measure with its unit and its
    deviation from the mean, and the mean distance of its units to its center; the
    first and last :data:`SHOWN_TERRITORIES` / 2 when there are more.

    Examples
    --------
    >>> import pandas as pd
    >>> from spm_sim.territory import design
    >>> units = pd.DataFrame({"unit_id": list("abcd"), "lat": [40, 40.1, 41, 41.1],
    ...                       "lon": -90.0, "potential": [1e6, 1e6, 1e6, 1e6]})
    >>> al = design(units, territories=2, balance={"potential": 0.0})
    >>> print(territory_table(al, "USD", width=80))
    territory  units  potential  vs mean  mean distance
    ---------  -----  ---------  -------  -------------
    T1             2     $2.00M    +0.0%        5.6 km
    T2             2     $2.00M    +0.0%        5.6 km
    """
    t = al.territories
    measures = list(al.settings.get("balance", {}))
    # a rep column only when it says something the territory's name does not
    reps = "rep_id" in t.columns and bool(
        t["rep_id"].notna().any() and (t["rep_id"].astype(str) != t.index.astype(str)).any()
    )
    km = al.distance_unit
    header = ["territory"] + (["rep"] if reps else []) + ["units"]
    for m in measures:
        header += [m, "vs mean"]
    # the unit beside each distance when known (km), else once in the heading
    header.append("mean distance" if km else f"mean distance ({al.distance_label})")
    rows = []
    for name, r in t.iterrows():
        cells = [str(name)] + ([str(r["rep_id"])] if reps else []) + [f"{int(r['units']):,}"]
        for m in measures:
            cells += [_measure(m, float(r[m]), currency), f"{float(r[f'dev_{m}']):+.1%}"]
        cells.append(f"{float(r['mean_distance']):,.1f}{km}")
        rows.append(cells)
    if len(rows) > SHOWN_TERRITORIES:
        half = SHOWN_TERRITORIES // 2
        hidden = len(rows) - 2 * half
        gap = [f"... {hidden} more"] + [""] * (len(header) - 1)
        rows = rows[:half] + [gap] + rows[-half:]
    return format_table(header, rows, width=width, left=2 if reps else 1)
