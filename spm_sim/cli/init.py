"""``spm-sim init DIR``: a starter project to replace with your own data (a sub-command
of :mod:`spm_sim.cli`).

::

    spm-sim init my-plan
    spm-sim check my-plan/book
    spm-sim run my-plan/scenario.yaml

It writes a small book in the documented format (``docs/data-format.md``: the
reps, accounts, bookings and pipeline files with their headers and a few rows each,
and ``book.yaml``), a commented plan and a scenario that reads them, so a planner
starting from their own data sees every file, column and setting they need and can
run the whole flow before replacing a single row. The rows are made up: a team of
four account executives in two regions, two years of deals and an open pipeline,
sized so that the scenario's figures are believable (no plausibility warning).

A folder that holds anything is refused unless ``--force``. Every target is checked
before the first write; under ``--force`` a starter file that already holds what
``init`` writes is left alone, one the user changed is replaced and kept beside it as
``NAME.bak``, and other files are not touched. A write that fails halfway undoes the
others, so the folder is never left half-replaced.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
from pathlib import Path

from spm_sim._files import make_folder, write_text
from spm_sim.errors import SpmSimError

from .table import wrap_lines

__all__ = ["add_init_parser", "cmd_init", "starter_files", "book_columns", "FILES"]

#: The files ``init`` writes, relative to DIR.
FILES = (
    "book/book.yaml",
    "book/reps.csv",
    "book/accounts.csv",
    "book/bookings.csv",
    "book/pipeline.csv",
    "plan.yaml",
    "scenario.yaml",
    "README.txt",
)

#: The starter team: rep id, name, region, hire date, base salary, target incentive,
#: and where the rep lives (latitude, longitude).
_REPS = (
    ("R001", "Avery Lindqvist", "North", "2019-03-04", 92000, 61000, 44.98, -93.27),
    ("R002", "Jordan Okafor", "North", "2020-06-15", 88000, 58000, 41.88, -87.63),
    ("R003", "Samira Haddad", "South", "2018-09-10", 95000, 63000, 32.78, -96.80),
    ("R004", "Mateo Ruiz", "South", "2021-01-11", 86000, 57000, 29.76, -95.37),
)
#: Accounts per rep; each rep's accounts lie around the rep's home.
_ACCOUNTS_PER_REP = 6
_SEGMENTS = ("Enterprise", "Mid-Market", "SMB")
_INDUSTRIES = ("Healthcare", "Manufacturing", "Retail", "Technology", "Finance", "Education")
_PRODUCTS = ("Platform", "Services")


def add_init_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spm-sim init`` on the CLI's sub-parsers."""
    p = sub.add_parser(
        "init",
        help="write a starter book, plan and scenario to replace with your own data",
        description="Write a starter project into DIR: a small book in the documented format "
        "(book/reps.csv, accounts.csv, bookings.csv, pipeline.csv and book.yaml, a few made-up "
        "rows each), a commented plan (plan.yaml) and a scenario (scenario.yaml) that "
        "'spm-sim run' accepts as it is. Replace the rows with your own and run again.",
    )
    p.add_argument("folder", type=Path, metavar="DIR", help="folder to write (new or empty)")
    p.add_argument(
        "--force",
        action="store_true",
        help="write into a folder that already holds files (a starter file you changed is "
        "replaced and kept as NAME.bak; other files are left alone)",
    )


def _dates(year: int) -> tuple[int, int, int]:
    """The two history years and the plan year: the two calendar years before the
    current one (complete, so no deal is dated in the future), then the current one."""
    return year - 2, year - 1, year


def starter_files(today: dt.date | None = None) -> dict[str, str]:
    """The text of every starter file, by its path relative to DIR.

    The numbers are fixed (a formula of the rep, account and month, no random draw)
    so every ``init`` writes the same book for the same year.

    Examples
    --------
    >>> files = starter_files(dt.date(2026, 3, 1))
    >>> sorted(files) == sorted(FILES)
    True
    >>> files["book/reps.csv"].splitlines()[0]
    'rep_id,name,region,role,home_lat,home_lon,hire_date,term_date,base_salary,target_incentive'
    >>> "plan_year: 2026" in files["scenario.yaml"]
    True
    """
    today = today or dt.date.today()
    first, last, plan_year = _dates(today.year)
    files = {
        "book/book.yaml": _book_yaml(last),
        "book/reps.csv": _reps_csv(),
        "book/accounts.csv": _accounts_csv(),
        "book/bookings.csv": _bookings_csv(first, last),
        "book/pipeline.csv": _pipeline_csv(last),
        "plan.yaml": _PLAN,
        "scenario.yaml": _SCENARIO.format(plan_year=plan_year, last=last),
        "README.txt": _README.format(
            plan_year=plan_year, first=first, last=last, columns=book_columns()
        ),
    }
    return files


#: The book's tables the starter project writes, in the README's order.
_TABLES = ("reps", "accounts", "bookings", "pipeline")


def _number_rule(column) -> str:
    """A number column's bounds in words: ``>= 0``, ``> 0``, ``in [-90, 90]``."""
    low = column.ge if column.ge is not None else column.gt
    if low is not None and column.le is not None:
        return f" in [{low:g}, {column.le:g}]"
    if column.ge is not None:
        return f" >= {column.ge:g}"
    if column.gt is not None:
        return f" > {column.gt:g}"
    return ""


def book_columns() -> str:
    """Every column of the starter book's files, from the book's schema
    (:data:`spm_sim.book.SCHEMA`), as the README lists them.

    Examples
    --------
    >>> text = book_columns()
    >>> print(text.splitlines()[0])
    book/reps.csv (required)
    >>> [line.split()[0] for line in text.splitlines()[1:3]]
    ['rep_id', 'name']
    """
    from spm_sim.book import SCHEMA

    lines: list[str] = []
    for name in _TABLES:
        table = SCHEMA[name]
        if lines:
            lines.append("")
        lines.append(f"book/{name}.csv ({'required' if table.required else 'optional file'})")
        wide = max(len(c.name) for c in table.columns)
        for c in table.columns:
            words = [c.kind + (_number_rule(c) if c.kind == "number" else "")]
            if not c.required:
                words.append("optional")
            if c.unique:
                words.append("unique")
            if c.references:
                ref_table, ref_column = c.references.split(".")
                words.append(f"must be a {ref_column} in {ref_table}.csv")
            if c.not_before:
                words.append(f"not before {c.not_before}")
            lines.append(f"  {c.name:<{wide}}  {', '.join(words)}")
    return "\n".join(lines) + "\n"


def _book_yaml(last: int) -> str:
    return (
        "# The book's metadata (docs/data-format.md, 'Book metadata').\n"
        "name: Starter book\n"
        "currency: USD            # ISO 4217 code of every amount in the book\n"
        f'snapshot_date: "{last}-12-31"   # the day history ends and the pipeline was taken\n'
        "description: >-\n"
        "  Made-up starter data written by 'spm-sim init': four account executives in two\n"
        "  regions, two years of deals and an open pipeline. Replace every row with your own.\n"
    )


def _csv(header: tuple[str, ...], rows: list[tuple]) -> str:
    lines = [",".join(header)]
    lines += [",".join(str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def _reps_csv() -> str:
    header = (
        "rep_id",
        "name",
        "region",
        "role",
        "home_lat",
        "home_lon",
        "hire_date",
        "term_date",
        "base_salary",
        "target_incentive",
    )
    rows = [
        (rid, name, region, "AE", lat, lon, hired, "", base, ti)
        for rid, name, region, hired, base, ti, lat, lon in _REPS
    ]
    return _csv(header, rows)


def _accounts() -> list[tuple]:
    """(account id, name, lat, lon, segment, industry, potential, workload, rep)."""
    out = []
    for r, (rid, _name, _region, _hired, _base, _ti, lat, lon) in enumerate(_REPS):
        for a in range(_ACCOUNTS_PER_REP):
            n = r * _ACCOUNTS_PER_REP + a + 1
            segment = _SEGMENTS[a % 3]
            size = {"Enterprise": 900_000, "Mid-Market": 420_000, "SMB": 150_000}[segment]
            potential = size + 10_000 * ((n * 7) % 11)
            workload = round(potential / 1000 * 0.45 + 40, 1)
            out.append(
                (
                    f"A{n:04d}",
                    f"Starter Account {n}",
                    round(lat + 0.15 * ((a % 3) - 1), 4),
                    round(lon + 0.2 * ((a // 3) - 0.5), 4),
                    segment,
                    _INDUSTRIES[n % len(_INDUSTRIES)],
                    potential,
                    workload,
                    rid,
                )
            )
    return out


def _accounts_csv() -> str:
    header = (
        "account_id",
        "name",
        "lat",
        "lon",
        "segment",
        "industry",
        "potential",
        "workload",
        "rep_id",
    )
    return _csv(header, _accounts())


#: Deals a month of each rep (the seasonality of a year: a strong quarter end).
_MONTHLY_DEALS = (2, 3, 4, 3, 3, 4, 2, 3, 4, 3, 4, 5)


def _bookings_csv(first: int, last: int) -> str:
    header = ("deal_id", "date", "account_id", "rep_id", "amount", "product")
    accounts = _accounts()
    rows = []
    n = 0
    for year in (first, last):
        growth = 1.0 if year == first else 1.07
        for month in range(1, 13):
            for r, rep in enumerate(_REPS):
                mine = [a for a in accounts if a[8] == rep[0]]
                for d in range(_MONTHLY_DEALS[month - 1] + (r + month + year) % 2):
                    n += 1
                    account = mine[(d * 5 + month + r) % len(mine)]
                    base = {"Enterprise": 38_000, "Mid-Market": 22_000, "SMB": 9_000}[account[4]]
                    amount = base * growth * (0.6 + 0.1 * ((n * 37) % 9))
                    day = 3 + (d * 7 + r * 3) % 24
                    rows.append(
                        (
                            f"D{n:05d}",
                            f"{year}-{month:02d}-{day:02d}",
                            account[0],
                            rep[0],
                            f"{amount:.2f}",
                            _PRODUCTS[(n + d) % 2],
                        )
                    )
    return _csv(header, rows)


def _pipeline_csv(last: int) -> str:
    header = (
        "opportunity_id",
        "account_id",
        "rep_id",
        "product",
        "stage",
        "amount",
        "probability",
        "created_date",
        "expected_close_date",
    )
    stages = (("Discover", 0.1), ("Propose", 0.4), ("Negotiate", 0.75))
    rows = []
    for n, account in enumerate(_accounts()[::3], start=1):
        stage, p = stages[n % 3]
        rows.append(
            (
                f"O{n:04d}",
                account[0],
                account[8],
                _PRODUCTS[n % 2],
                stage,
                f"{15_000 + 2_500 * (n % 7):.2f}",
                p,
                f"{last}-{9 + n % 3:02d}-{1 + n % 27:02d}",
                f"{last + 1}-{1 + n % 6:02d}-15",
            )
        )
    return _csv(header, rows)


_PLAN = """\
# A starter incentive plan (the same form as data/plans/*.yaml in the repository).
# Attainment is a fraction of the annual quota: 1.0 = 100%. Reps are paid each month
# on their year-to-date attainment, net of what they were already paid.
# Check it with:  spm-sim curve plan.yaml --out curve.png
name: Starter AE plan
currency: USD            # must be the book's currency
role: AE                 # the reps.csv role this plan pays
pay_mix: "60/40"         # base / incentive share of on-target earnings
description: >-
  One bookings measure paid in marginal tiers of the target commission rate
  (TCR = target incentive / annual quota): nothing below 50% of quota, 1x TCR up to
  quota, 1.5x above it; attainment credited up to 300% of quota.

components:
  - name: bookings
    measure: bookings
    weight: 1.0            # share of the target incentive; the weights add up to 1
    rate_basis: tcr        # tier rates are multiples of the TCR
    threshold: 0.5         # nothing is paid below 50% of quota
    tiers:
      - start: 0.0
        end: 1.0
        rate: 1.0
      - start: 1.0
        end: null          # no upper end
        rate: 1.5
    attainment_cap: 3.0
    payout_cap: null
"""

_SCENARIO = """\
# A starter scenario: the book and plan beside this file, quotas from last year's
# bookings. Paths are relative to this file. Run it with:
#   spm-sim run scenario.yaml
name: Starter {plan_year}
description: >-
  The starter plan on the starter book: quotas from {last} bookings plus 8% growth,
  with 5% over-assignment.
book: book
plan: plan.yaml
plan_year: {plan_year}
quota:
  method: history
  growth: 0.08            # company target = {last} bookings x 1.08
  over_assignment: 0.05   # rep quotas add up to the target x 1.05
trials: 1000
seed: 1
"""

_README = """\
A starter project written by 'spm-sim init'. Every row is made up: replace them with
your own data, keeping the headers (the columns are listed below; every rule is in
docs/data-format.md of the spm_sim source repository).

  book/book.yaml      name, currency and snapshot date of the book
  book/reps.csv       one row per sales rep, current or former
  book/accounts.csv   one row per customer or prospect account
  book/bookings.csv   one row per closed-won deal ({first} to {last} here; the model
                      needs at least 12 months of deals before the plan year)
  book/pipeline.csv   one row per open opportunity (optional file)
  plan.yaml           the incentive plan
  scenario.yaml       the book, plan, plan year ({plan_year}) and quota settings to simulate

Next steps:
  spm-sim check book                          validate the book and summarise it
  spm-sim curve plan.yaml --out curve.png     draw the plan's payout curve
  spm-sim run scenario.yaml                   simulate and write a report (reports/...)

The columns of the book's files
-------------------------------
A CSV file is UTF-8 and comma-separated with its header on line 1; the order of the
columns does not matter and extra columns are kept. Dates are YYYY-MM-DD; money is
in the book's currency (book.yaml) as plain numbers, without symbols or thousands
separators. A column is required unless marked optional; an optional cell may be
left empty; the cells of a required column may not.

{columns}"""


def cmd_init(args: argparse.Namespace) -> int:
    """Run ``spm-sim init``: write the starter files, then say what to do next.

    Every target is checked before anything is written (a file or folder in the
    way is an error naming it). Under ``--force`` a starter file already there is
    left alone when it holds what ``init`` would write, and otherwise replaced with
    the user's version kept beside it as ``NAME.bak`` (listed). A write that fails
    halfway (a full disk) undoes the others: the folder is left as it was.
    """
    folder: Path = args.folder
    if folder.exists() and not folder.is_dir():
        raise SpmSimError(
            f"{folder} is a file; give the name of a new or empty folder for the starter project"
        )
    if folder.is_dir() and any(folder.iterdir()) and not args.force:
        held = sorted(p.name for p in folder.iterdir())
        shown = ", ".join(held[:4]) + (f" and {len(held) - 4} more" if len(held) > 4 else "")
        raise SpmSimError(
            f"{folder} is not empty (it holds {shown}); give a new or empty folder, or pass "
            "--force to write the starter files into it (a starter file you changed is kept "
            "as NAME.bak)"
        )
    files = starter_files()
    _check_targets(folder, files)
    plan = {name: _action(folder / name, text) for name, text in files.items()}
    backups = _write_all(folder, files, plan)
    _report(folder, plan, backups)
    return 0


def _check_targets(folder: Path, files: dict[str, str]) -> None:
    """Refuse, before any write, a target that cannot be a file: every problem named."""
    from .places import FILE, place_problem

    problems = []
    for name in files:
        path = folder / name
        problem = place_problem(path, FILE)
        if problem is None and path.with_name(path.name + ".bak").is_dir():
            problem = f"its backup {path.name}.bak is a folder; move it away"
        if problem:
            problems.append(f"{path}: {problem}")
    if problems:
        raise SpmSimError("nothing written: " + "; ".join(problems))


def _action(path: Path, text: str) -> str:
    """What ``init`` does with ``path``: ``write`` (new), ``keep`` (the same text
    already) or ``replace`` (the user's file, backed up first)."""
    if not path.exists():
        return "write"
    try:
        same = path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        same = False
    return "keep" if same else "replace"


def _backup_name(path: Path) -> Path:
    """``NAME.bak``, or ``NAME.bak2``, ``NAME.bak3``... when that is taken."""
    candidate = path.with_name(path.name + ".bak")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak{n}")
        n += 1
    return candidate


def _write_all(folder: Path, files: dict[str, str], plan: dict[str, str]) -> dict[str, Path]:
    """Write what ``plan`` says; on any failure undo every step and raise.

    Returns the backup of each replaced file, by name.
    """
    created: list[Path] = []  # folders made, files written where none was
    backups: dict[str, Path] = {}
    try:
        for name, text in files.items():
            path = folder / name
            if plan[name] == "keep":
                continue
            missing = [d for d in (path.parent, *path.parent.parents) if not d.exists()]
            make_folder(path.parent)
            created += reversed(missing)
            if plan[name] == "replace":
                backup = _backup_name(path)
                shutil.copy2(path, backup)
                backups[name] = backup
            write_text(path, text)
            if plan[name] == "write":
                created.append(path)
    except BaseException:
        _undo(created, backups, folder)
        raise
    return backups


def _undo(created: list[Path], backups: dict[str, Path], folder: Path) -> None:
    """Put the folder back as it was: the user's files restored from their backups,
    every file and folder ``init`` made removed (best effort: an error here would
    hide the one that stopped the writing)."""
    for name, backup in backups.items():
        try:
            os.replace(backup, folder / name)
        except OSError:
            pass
    for path in reversed(created):
        try:
            path.rmdir() if path.is_dir() else path.unlink()
        except OSError:
            pass


def _report(folder: Path, plan: dict[str, str], backups: dict[str, Path]) -> None:
    written = [n for n in FILES if plan[n] == "write"]
    kept = [n for n in FILES if plan[n] == "keep"]
    if written:
        print(f"Wrote a starter project to {folder}:")
        for name in written:
            print(f"  {folder / name}")
    if backups:
        print("Replaced (your version kept beside it):")
        for name, backup in backups.items():
            print(f"  {folder / name}  (yours: {backup.name})")
    if kept:
        print("Already as written by init (left alone):")
        for name in kept:
            print(f"  {folder / name}")
    # the commands stay whole on their lines, to be copied; only the prose wraps
    print("\nThe rows are made up. Next steps: validate the book, then simulate it and")
    print("write a report:")
    print(f"  spm-sim check {folder / 'book'}")
    print(f"  spm-sim run {folder / 'scenario.yaml'}")
    print(
        wrap_lines(
            "Then replace the rows of the CSV files with your own (same headers: "
            f"{folder / 'README.txt'} lists every column), set plan.yaml to your plan, "
            "and run again.",
            hang="",
        )
    )
