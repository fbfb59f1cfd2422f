"""``spm-sim import``: a CRM export into a book folder (a sub-command of :mod:`spm_sim.cli`).

::

    spm-sim import data/crm/hubspot_deals.csv --mapping data/crm/hubspot.yaml --out crm_book/
    spm-sim import data/crm/salesforce_opportunities.csv --mapping data/crm/salesforce.yaml \\
        --history data/crm/salesforce_stage_history.csv --out crm_book/ --force

It reads the export through the mapping (:func:`spm_sim.book.import_crm`), writes the
book with :func:`spm_sim.book.save_book` (``reps.csv``, ``accounts.csv``,
``bookings.csv``, ``pipeline.csv``, ``stage_history.csv`` when there is a history, and
``book.yaml``), and prints what it imported and what it skipped and why. The output
folder must be new or empty unless ``--force``, and may not hold any file the command
reads.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from spm_sim.errors import SpmSimError

from .places import FOLDER, place_problem
from .table import wrap_lines

if TYPE_CHECKING:
    from spm_sim.book import CrmImport

__all__ = ["add_import_parser", "cmd_import"]


def add_import_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spm-sim import`` on the CLI's sub-parsers."""
    p = sub.add_parser(
        "import",
        help="build a book folder from a CRM export (Salesforce, HubSpot, any CSV) and a mapping",
        description="Read a CRM's opportunity export through a mapping file (which columns give "
        "which fields, how dates and amounts are written, what each stage means, how owners "
        "match reps) and write a book folder: every opportunity with its status (open, won, "
        "lost), won ones as bookings, the accounts named, the reps of the roster, and with "
        "--history the stage history. One export makes one book: exports of two CRMs (say "
        "West on Salesforce, East on HubSpot) cannot be combined by importing one over the "
        "other; import each into its own folder. data/crm/ holds examples and their "
        "mappings.",
    )
    p.add_argument("export", type=Path, metavar="EXPORT.csv", help="the opportunity export")
    p.add_argument(
        "--mapping",
        type=Path,
        required=True,
        metavar="MAP.yaml",
        help="the mapping of the export's columns and stages (see data/crm/salesforce.yaml)",
    )
    p.add_argument(
        "--out", type=Path, required=True, metavar="BOOK", help="the book folder to write"
    )
    p.add_argument(
        "--history",
        type=Path,
        metavar="HISTORY.csv",
        help="the opportunity (stage) history report, read with the mapping's history: section",
    )
    p.add_argument(
        "--roster",
        type=Path,
        metavar="REPS.csv",
        help="the reps to match owners with (default: the mapping's roster:)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace the book in --out: its table files (reps, accounts, bookings, pipeline, "
        "stage_history, units, as CSV or Parquet) and book.yaml are replaced or removed, other "
        "files are kept (without --force a folder holding files is refused)",
    )


def _inputs(args: argparse.Namespace) -> list[tuple[str, Path]]:
    named = [("export", args.export), ("--mapping", args.mapping)]
    named += [(flag, p) for flag, p in (("--history", args.history), ("--roster", args.roster))]
    return [(flag, Path(p)) for flag, p in named if p is not None]


def _check_places(args: argparse.Namespace) -> None:
    """Before any work: --out can be a folder, holds no input, and no earlier book (--force)."""
    out = Path(args.out)
    problem = place_problem(out, FOLDER)
    if problem:
        raise SpmSimError(f"--out {out}: {problem}")
    where = out.expanduser().resolve()
    for flag, path in _inputs(args):
        src = path.expanduser().resolve()
        if where == src or where in src.parents:
            raise SpmSimError(
                f"--out {out}: holds {path} ({flag}), which this command reads; write the book "
                "to another folder, so no input is overwritten (--force does not change this)"
            )
    if out.is_dir() and not args.force:
        present = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
        if present:
            shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
            what = "a book" if "book.yaml" in present or "reps.csv" in present else "files"
            raise SpmSimError(
                f"--out {out}: the folder already holds {what} ({shown}); write the import to "
                "a new or empty folder, or pass --force to replace the book's files there "
                "(every table file and book.yaml; other files are kept). One export makes "
                "one whole book: a second import does not add to the first."
            )


def cmd_import(args: argparse.Namespace) -> int:
    """Run ``spm-sim import``; returns the exit status."""
    from spm_sim.book import import_crm, load_mapping, save_book

    _check_places(args)
    mapping = load_mapping(args.mapping)
    roster = args.roster
    if roster is None and mapping.roster is not None:
        roster = Path(args.mapping).parent / mapping.roster
        src = roster.expanduser().resolve()
        if Path(args.out).expanduser().resolve() in (src, *src.parents):
            raise SpmSimError(
                f"--out {args.out}: holds the roster {roster} (roster: in {args.mapping}), which "
                "this command reads; write the book to another folder"
            )
    done = import_crm(
        args.export,
        args.mapping,
        history=args.history,
        roster=roster,
        name=mapping.name or Path(args.out).expanduser().resolve().name,
    )
    save_book(done.book, args.out, force=args.force)
    _print(done, Path(args.out))
    return 0


def _print(done: CrmImport, out: Path) -> None:
    print(wrap_lines(done.describe()))
    tables = ["reps", "accounts", "bookings", "pipeline"]
    if len(done.book.stage_history):
        tables.append("stage_history")
    print(f"Wrote {', '.join(t + '.csv' for t in tables)} and book.yaml to {out}/.")
    print(wrap_lines(f"Use it with --book {out} (check it first: spm-sim check {out})."))
