"""Import a CRM's opportunity export into a book (internal: the face is :mod:`spm_sim.book`).

:func:`import_crm` reads an export (a Salesforce opportunities report, a HubSpot deals
export, any CSV with one row per opportunity) through a mapping
(:class:`~spm_sim._book.crm_spec.CrmMapping`) and builds a :class:`~spm_sim.book.Book`:

* every row becomes a pipeline row with its status (open, won or lost, from the
  mapping's ``stages``); a won row also becomes a booking dated its close date;
* the accounts are those the rows name (id and name only: a book without locations,
  potential or workload is valid for payouts, statements and tracking);
* the reps are the roster's (a ``reps.csv``), each owner matched on name or email;
* the optional history report gives ``stage_history``, and the stage, expected close
  date and probability a closed opportunity had when it was last open (not the 100% or
  0% a CRM writes when it closes: the outcome, which an earlier day must not see).

Every cell is checked before the book is built, and a bad one raises a
:class:`~spm_sim.errors.DataError` naming the export file, the row (the line a
spreadsheet shows), the column, the value and the fix in the mapping. Rows that cannot
be opportunities but are not mistakes (a stage mapped to ``skip``, an open or lost
opportunity without an amount) are left out and listed with the reason. A cell that
reads two ways is refused rather than guessed (amounts the mapping would read with three
decimals, shares read as percentages; the mapping refuses day-first and month-first date
formats together). The built book is checked as any book is, and a rule it breaks is
reported at the export's row and column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._format import currency_symbol
from spm_sim._spec import suggest
from spm_sim.errors import DataError

from .checks import _validate
from .crm_read import (
    Table,
    amount_example,
    parse_amount,
    parse_date,
    read_probabilities,
    read_roster,
    read_table,
    refuse_ambiguous,
    try_parse,
    unread_date,
)
from .crm_spec import CrmMapping, HistoryMap, ReadOptions, load_mapping
from .load import Book
from .schema import SCHEMA, _from_frame, _Raw

__all__ = ["CrmImport", "import_crm"]

# --------------------------------------------------------------------------- the import


@dataclass(frozen=True)
class CrmImport:
    """What :func:`import_crm` made of an export.

    Attributes
    ----------
    book : Book
        The book (reps from the roster, accounts, bookings, pipeline, stage history).
    skipped : pandas.DataFrame
        The rows left out: ``file``, ``row``, ``opportunity_id``, ``reason``.
    export : str
        The export file read.
    rows : int
        Rows of data read from the export.
    history_rows : int
        Rows of data read from the history report (0 without one).
    notes : tuple of str
        Lines :meth:`describe` adds (history amounts of 0 read as not recorded).
    """

    book: Book
    skipped: pd.DataFrame
    export: str
    rows: int
    history_rows: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """What was imported and what was skipped, in words.

        Examples
        --------
        >>> from spm_sim.book import SAMPLE_DIR, import_crm
        >>> crm = SAMPLE_DIR.parent / "crm"
        >>> done = import_crm(crm / "hubspot_deals.csv", crm / "hubspot.yaml")
        >>> done.describe().splitlines()[0]  # doctest: +ELLIPSIS
        'Read ... rows from ...hubspot_deals.csv.'
        """
        book, pipe = self.book, self.book.pipeline
        counts = pipe["status"].value_counts()
        won = book.bookings["amount"].sum()
        dates = pd.concat([pipe["created_date"], pipe["closed_date"]]).dropna()
        owners = pipe["rep_id"].nunique()
        lines = [
            f"Read {self.rows:,} rows from {self.export}"
            + (
                f" and {self.history_rows:,} stage changes from the history"
                if self.history_rows
                else ""
            )
            + ".",
            f"Imported {len(pipe):,} opportunities: {int(counts.get('won', 0)):,} won, "
            f"{int(counts.get('open', 0)):,} open, {int(counts.get('lost', 0)):,} lost; "
            f"{len(book.bookings):,} bookings worth "
            f"{currency_symbol(book.currency)}{won:,.2f} in all.",
            f"{len(book.accounts):,} accounts; {owners:,} owners matched to "
            f"{len(book.reps):,} reps of the roster; {len(book.stage_history):,} stage history "
            "rows.",
        ]
        moved = self.history_rows - len(book.stage_history)
        if self.history_rows and moved > 0:
            lines.append(
                f"  ({moved:,} stage changes not kept as stage history: a move to won or lost "
                "is the opportunity's status and closed date; any other is listed below.)"
            )
        if len(dates):
            lines.append(f"Dates from {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}.")
        if book.snapshot_date is not None:
            lines.append(
                f"Snapshot date {book.snapshot_date:%Y-%m-%d}: the book's history ends that day "
                "(the export's last date, at the latest today)."
            )
        if len(self.skipped):
            lines.append(f"Skipped {len(self.skipped):,} rows:")
            for reason, group in self.skipped.groupby("reason", sort=False):
                rows = ", ".join(str(r) for r in group["row"].head(5))
                more = ", ..." if len(group) > 5 else ""
                lines.append(f"  {len(group):,} {reason} (rows {rows}{more})")
        else:
            lines.append("Skipped no rows.")
        lines.extend(self.notes)
        return "\n".join(lines)


def _mapping(mapping: CrmMapping | str | Path) -> tuple[CrmMapping, Path | None, str]:
    if isinstance(mapping, CrmMapping):
        return mapping, None, "the mapping"
    path = Path(mapping)
    return load_mapping(path), path, path.name


def import_crm(
    export: str | Path,
    mapping: CrmMapping | str | Path,
    *,
    history: str | Path | None = None,
    roster: str | Path | None = None,
    name: str | None = None,
    snapshot_date: Any = None,
) -> CrmImport:
    """Build a book from a CRM export through a mapping.

    Parameters
    ----------
    export : str or Path
        The opportunities (deals) export, one row per opportunity.
    mapping : CrmMapping, str or Path
        The mapping, or its YAML file (see ``data/crm/salesforce.yaml``).
    history : str or Path, optional
        The opportunity (stage) history report, read with ``mapping.history``.
    roster : str or Path, optional
        The reps file; default the mapping's ``roster`` (relative to the mapping file).
    name : str, optional
        The book's name (default: the mapping's ``name``, else the export's stem).
    snapshot_date : date-like, optional
        When the export was taken (default: the last date it holds, open opportunities'
        expected close dates aside, at the latest today).

    Returns
    -------
    CrmImport
        ``.book`` (a :class:`Book`), ``.skipped`` and ``.describe()``.

    Raises
    ------
    DataError
        A stage the mapping does not map, an owner not in the roster, a date or amount
        that cannot be read, an amount in another currency than the book's, a column
        the export lacks: each naming the file, row, column, value and fix.
    SpecError
        When the mapping breaks a rule.

    Examples
    --------
    >>> from spm_sim.book import SAMPLE_DIR, import_crm
    >>> crm = SAMPLE_DIR.parent / "crm"
    >>> done = import_crm(crm / "hubspot_deals.csv", crm / "hubspot.yaml")
    >>> done.book.currency, sorted(set(done.book.pipeline["status"]))
    ('USD', ['lost', 'open', 'won'])
    """
    spec, mapfile, mapname = _mapping(mapping)
    export = Path(export)
    if roster is None:
        if spec.roster is None:
            raise DataError(
                f"no roster of reps to match the owners with: give roster: in {mapname} (a "
                "reps.csv, relative to the mapping file) or --roster REPS.csv.",
                file=mapfile,
            )
        base = mapfile.parent if mapfile is not None else Path.cwd()
        roster = base / spec.roster
    reps = read_roster(Path(roster))
    cols = {k: v for k, v in spec.columns.model_dump().items() if v is not None}
    table = read_table(export, spec.read, cols, mapname)
    frame, skipped = _rows(table, spec, mapname, reps, Path(roster).name)
    hist = None
    history_rows = 0
    notes: list[str] = []
    if history is not None:
        if spec.history is None:
            raise DataError(
                f"--history given, but {mapname} has no history: section saying which of its "
                "columns give the opportunity id, the date and the stage.",
                file=mapfile,
            )
        hist, history_rows, hist_skipped, notes = _history(
            Path(history), spec, spec.history, frame, mapname
        )
        skipped += hist_skipped
        _closed_from_history(frame, hist)
    where = _Where(table.file, spec.columns, None if hist is None else str(history), spec.history)
    book = _build(frame, hist, reps, spec, name or spec.name or export.stem, snapshot_date, where)
    book = replace(book, source=spec.source or f"imported from {export.name}")
    skips = pd.DataFrame(skipped, columns=["file", "row", "opportunity_id", "reason"])
    return CrmImport(book, skips, str(export), len(table.frame), history_rows, tuple(notes))


def _rows(
    table: Table, spec: CrmMapping, mapname: str, reps: pd.DataFrame, rostername: str
) -> tuple[pd.DataFrame, list[tuple[str, int, str, str]]]:
    """The export's rows as the book's fields, each cell checked; and the rows skipped."""
    c, cells, read = spec.columns, table.frame, spec.read
    out = pd.DataFrame(index=cells.index)
    out["opportunity_id"] = cells[c.opportunity_id]
    ids = out["opportunity_id"]
    table.fail(
        c.opportunity_id,
        ids == "",
        lambda i: "an opportunity without an id; every row needs one.",
        ids,
    )
    table.fail(
        c.opportunity_id,
        ids.duplicated(),
        lambda i: (
            f"opportunity {ids.iloc[i]} appears twice (first on row "
            f"{int(table.lines[int(np.flatnonzero(ids == ids.iloc[i])[0])])}); export one row per "
            "opportunity (a report 'with products' has a row per product line)."
        ),
        ids,
    )
    # stages
    stage = cells[c.stage]
    rules = {k.casefold(): v for k, v in spec.stages.items()}
    unmapped = ~stage.str.casefold().isin(rules)
    table.fail(
        c.stage,
        unmapped,
        lambda i: (
            f"stage {stage.iloc[i]!r} is not mapped: add '{stage.iloc[i]}' under stages: in "
            f"{mapname} with the book's stage it means ('{stage.iloc[i]}: Negotiate'), or "
            f"won, lost or skip.{suggest(stage.iloc[i], spec.stages)}"
        ),
        stage,
    )
    rule = stage.str.casefold().map(rules)
    out["status"] = rule.map(lambda r: r.status)
    out["stage"] = rule.map(lambda r: r.stage)
    skipped: list[tuple[str, int, str, str]] = []
    keep = out["status"] != "skip"
    for i in np.flatnonzero(~keep):
        reason = f"with stage {stage.iloc[i]!r}, mapped to skip"
        skipped.append((table.file, int(table.lines[i]), ids.iloc[i], reason))
    # amounts
    amount = cells[c.amount]
    parsed = [try_parse(parse_amount, a, read) for a in amount]
    bad = np.array([isinstance(p, str) for p in parsed]) & (amount != "").to_numpy() & keep
    table.fail(
        c.amount,
        bad,
        lambda i: (
            f"amount {amount.iloc[i]!r} cannot be read ({parsed[i]}): {mapname} reads "
            f"amounts with decimal {read.decimal!r} and thousands {read.thousands!r} (as in "
            f"{amount_example(read)}); correct the cell, or read.decimal and read.thousands."
        ),
        amount,
    )
    refuse_ambiguous(table, c.amount, amount, keep.to_numpy(), read, mapname, spec.currency)
    values = pd.Series(
        [p[0] if isinstance(p, tuple) else np.nan for p in parsed], index=cells.index
    )
    codes = pd.Series([p[1] if isinstance(p, tuple) else None for p in parsed], index=cells.index)
    if c.currency is not None:
        given = cells[c.currency]
        table.fail(
            c.currency,
            (given != "") & (given != spec.currency) & keep,
            lambda i: (
                f"currency {given.iloc[i]!r}, but the book's currency is {spec.currency} "
                f"(currency: in {mapname}); a book holds one currency: export the opportunities in "
                f"{spec.currency} or convert them first."
            ),
            given,
        )
    table.fail(
        c.amount,
        codes.notna() & (codes != spec.currency) & keep,
        lambda i: (
            f"amount {amount.iloc[i]!r} is in {codes.iloc[i]}, but the book's currency is "
            f"{spec.currency} (currency: in {mapname}); a book holds one currency: export the "
            f"amounts in {spec.currency} or convert them first (or map the symbol under "
            "read.currency_symbols)."
        ),
        amount,
    )
    out["amount"] = values
    empty = keep & (values.isna() | (values == 0))
    table.fail(
        c.amount,
        empty & (out["status"] == "won"),
        lambda i: (
            f"a won opportunity {'without an amount' if amount.iloc[i] == '' else 'with amount 0'}"
            f" (stage {stage.iloc[i]!r}): a won opportunity becomes a booking, which needs "
            "its amount. Give the amount it was won for, or map the stage to lost or skip "
            f"in {mapname} if it was not a sale."
        ),
        amount,
    )
    for i in np.flatnonzero(empty):
        what = "without an amount" if amount.iloc[i] == "" else "with amount 0"
        skipped.append(
            (table.file, int(table.lines[i]), ids.iloc[i], f"{out['status'].iloc[i]} {what}")
        )
    keep &= ~empty
    # dates
    for fname in ("created_date", "close_date"):
        col = getattr(c, fname)
        text = cells[col]
        days = pd.Series([try_parse(parse_date, t, read.dates) for t in text], index=cells.index)
        table.fail(
            col,
            keep & days.map(lambda d: isinstance(d, str)),
            unread_date(text, read, mapname),
            text,
        )
        out[fname] = pd.to_datetime(days.where(keep), errors="coerce")
    today = pd.Timestamp.today().normalize()
    table.fail(
        c.created_date,
        keep & (out["created_date"] > today),
        lambda i: (
            f"created date {cells[c.created_date].iloc[i]} is after today "
            f"({today:%Y-%m-%d}): an opportunity cannot be created in the future. Correct "
            "the date (a typo in the year?)."
        ),
        cells[c.created_date],
    )
    ended = keep & out["status"].isin(["won", "lost"])
    table.fail(
        c.close_date,
        ended & (out["close_date"] > today),
        lambda i: (
            f"close date {cells[c.close_date].iloc[i]} of a {out['status'].iloc[i]} "
            f"opportunity (stage {stage.iloc[i]!r}) is after today ({today:%Y-%m-%d}): it "
            "was won or lost on a day that has not come. Correct the date (a typo in the "
            "year?), or map the stage as open if it is an expected close date."
        ),
        cells[c.close_date],
    )
    table.fail(
        c.close_date,
        keep & (out["close_date"] < out["created_date"]),
        lambda i: (
            f"close date {cells[c.close_date].iloc[i]} is before the created date "
            f"{cells[c.created_date].iloc[i]}; correct one of them."
        ),
        cells[c.close_date],
    )
    # owners
    owner = cells[c.owner]
    out["rep_id"] = _owners(table, owner, reps, spec, keep, mapname, rostername)
    # accounts, products, deals, probabilities
    out["account_id"] = cells[c.account_id] if c.account_id else _account_ids(cells[c.account_name])
    out["account_name"] = cells[c.account_name] if c.account_name else out["account_id"]
    table.fail(
        c.account_id or str(c.account_name),
        keep & (out["account_id"] == ""),
        lambda i: "no account; every row needs one.",
        out["account_id"],
    )
    out["product"] = cells[c.product] if c.product else spec.default_product
    if c.product:
        table.fail(
            c.product,
            keep & (out["product"] == ""),
            lambda i: (
                "no product; give one, or leave columns.product out of the mapping and "
                "set default_product."
            ),
            out["product"],
        )
    deal = cells[c.deal_id] if c.deal_id else ids
    out["deal_id"] = deal.where((out["status"] == "won") & (deal != ""), ids).where(
        out["status"] == "won"
    )
    won_deals = out["deal_id"].where(keep)
    twice = won_deals.notna() & won_deals.duplicated()
    table.fail(
        c.deal_id or c.opportunity_id,
        twice,
        lambda i: (
            f"deal id {won_deals.iloc[i]!r} of this won opportunity is also the deal id of "
            f"the won opportunity on row "
            f"{int(table.lines[int(np.flatnonzero(won_deals == won_deals.iloc[i])[0])])}; "
            "each won opportunity becomes its own booking: correct one of the two ids."
        ),
        won_deals,
    )
    out["probability"] = rule.map(lambda r: r.probability)
    if c.probability:
        text = cells[c.probability]
        prob = read_probabilities(table, c.probability, keep, read, mapname)
        if read.probability == "percent":
            bare = keep & (text != "") & ~text.str.endswith("%")
            raw = pd.Series([p * 100 if isinstance(p, float) else np.nan for p in prob])
            raw = raw.where(bare.to_numpy())
            if raw.notna().any() and (raw.dropna() <= 1).all():
                table.fail(
                    c.probability,
                    ((raw > 0) & (raw < 1)).to_numpy(),
                    lambda i: (
                        f"probability {text.iloc[i]!r} reads as {float(raw.iloc[i]):g}% "
                        f"(read.probability: percent in {mapname}), and every probability "
                        "of the column is at most 1: they look like shares (0.75 for 75%). "
                        f"Set read.probability: share in {mapname}, or correct the cells."
                    ),
                    text,
                )
        given = pd.Series([p if isinstance(p, float) else np.nan for p in prob], index=cells.index)
        out["probability"] = given.fillna(out["probability"])
    closed = out["status"].isin(["won", "lost"])
    out.loc[closed & out["probability"].isna(), "probability"] = out["status"].map(
        {"won": 1.0, "lost": 0.0}
    )
    table.fail(
        c.stage,
        keep & out["probability"].isna(),
        lambda i: (
            f"no probability for stage {stage.iloc[i]!r}: give columns.probability, or "
            f"a probability under stages: in {mapname} ({stage.iloc[i]}: {{stage: "
            f"{out['stage'].iloc[i]}, probability: 0.25}})."
        ),
        stage,
    )
    out["line"] = table.lines
    return out.loc[keep].reset_index(drop=True), skipped


def _account_ids(names: pd.Series) -> pd.Series:
    """Ids for accounts named but not numbered: A0001... in order of first appearance."""
    order = {n: f"A{k + 1:04d}" for k, n in enumerate(dict.fromkeys(names.str.strip()))}
    return names.str.strip().map(order)


def _key(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _owners(
    table: Table,
    owner: pd.Series,
    reps: pd.DataFrame,
    spec: CrmMapping,
    keep: pd.Series,
    mapname: str,
    rostername: str,
) -> pd.Series:
    """Each owner's rep id, matched on name or email; unknown or ambiguous owners refused."""
    by = spec.owners
    if by == "email" and reps["email"].isna().all():
        raise DataError(
            f"owners: email in {mapname}, but the roster has no email column; add one "
            "(rep_id,...,email) or match on owners: name.",
            file=rostername,
        )
    known: dict[str, list[str]] = {}
    for rid, who in zip(reps["rep_id"], reps[by], strict=True):
        if isinstance(who, str):
            known.setdefault(_key(who), []).append(rid)
    keys = owner.map(_key)
    if by == "email":  # 'Ann Lee (ann@x.com)' or '<ann@x.com>': the address in the cell
        keys = owner.map(
            lambda s: _key(m.group(0)) if (m := re.search(r"[^\s<>()]+@[^\s<>()]+", s)) else _key(s)
        )
    missing = keep & ~keys.isin(known)
    table.fail(
        spec.columns.owner,
        missing,
        lambda i: (
            f"owner {owner.iloc[i]!r} matches no rep's {by} in the roster {rostername}; "
            f"add the rep there (with this {by}), or correct the owner in the export."
            f"{suggest(owner.iloc[i], [w for w in reps[by].dropna()])}"
        ),
        owner,
    )
    twice = keep & keys.map(lambda k: len(known.get(k, [])) > 1)
    table.fail(
        spec.columns.owner,
        twice,
        lambda i: (
            f"owner {owner.iloc[i]!r} matches {len(known[keys.iloc[i]])} reps of the roster "
            f"{rostername} ({', '.join(known[keys.iloc[i]])}); match on owners: email, or make the "
            "names differ."
        ),
        owner,
    )
    return keys.map(lambda k: known.get(k, [None])[0])


def _history(
    path: Path, spec: CrmMapping, hmap: HistoryMap, opps: pd.DataFrame, mapname: str
) -> tuple[pd.DataFrame, int, list[tuple[str, int, str, str]], list[str]]:
    """The stage history report as the book's ``stage_history`` rows (with the ``line``
    each came from), the rows read, the rows skipped and notes for the summary.

    Changes are put in order by date and time; changes of one day written without a
    time keep the file's order, read oldest first (a report sorted newest first, as
    Salesforce's often is, is turned round first).
    """
    read = hmap.read or spec.read
    c = hmap.columns
    cols = {k: v for k, v in c.model_dump().items() if v is not None}
    table = read_table(path, read, cols, mapname)
    cells = table.frame
    ids = cells[c.opportunity_id]
    known = ids.isin(set(opps["opportunity_id"]))
    skipped = [
        (table.file, int(table.lines[i]), ids.iloc[i], "history rows of opportunities not imported")
        for i in np.flatnonzero(~known)
    ]
    stage = cells[c.stage]
    rules = {k.casefold(): v for k, v in spec.stages.items()}
    table.fail(
        c.stage,
        known & ~stage.str.casefold().isin(rules),
        lambda i: (
            f"stage {stage.iloc[i]!r} is not mapped: add '{stage.iloc[i]}' under stages: in "
            f"{mapname}.{suggest(stage.iloc[i], spec.stages)}"
        ),
        stage,
    )
    rule = stage.str.casefold().map(rules)
    # the close events are in the export (status and close date), not stage history
    keep = known & rule.map(lambda r: getattr(r, "status", None) == "open").astype(bool)
    out = pd.DataFrame(
        {"opportunity_id": ids, "stage": rule.map(lambda r: getattr(r, "stage", None))}
    )
    for fname, col in (("date", c.date), ("expected_close_date", c.expected_close_date)):
        if col is None:
            out[fname] = pd.NaT
            continue
        text = cells[col]
        days = pd.Series(
            [
                try_parse(partial(parse_date, keep_time=fname == "date"), t, read.dates)
                if t
                else None
                for t in text
            ],
            index=cells.index,
        )
        unread = days.map(lambda d: isinstance(d, str)) | ((text == "") & (fname == "date"))
        table.fail(
            col,
            keep & unread,
            unread_date(text, read, mapname),
            text,
        )
        out[fname] = pd.to_datetime(days.where(keep & (text != "")), errors="coerce")
    out["amount"] = np.nan
    notes: list[str] = []
    if c.amount is not None:
        text = cells[c.amount]
        parsed = [try_parse(parse_amount, a, read) if a else (np.nan, None) for a in text]
        table.fail(
            c.amount,
            keep & np.array([isinstance(p, str) for p in parsed]),
            lambda i: (
                f"amount {text.iloc[i]!r} cannot be read ({parsed[i]}); correct it, or "
                f"read.decimal and read.thousands in {mapname}."
            ),
            text,
        )
        refuse_ambiguous(table, c.amount, text, keep.to_numpy(), read, mapname, spec.currency)
        codes = pd.Series([p[1] if isinstance(p, tuple) else None for p in parsed])
        table.fail(
            c.amount,
            keep.to_numpy() & (codes.notna() & (codes != spec.currency)).to_numpy(),
            lambda i: (
                f"amount {text.iloc[i]!r} is in {codes.iloc[i]}, but the book's currency is "
                f"{spec.currency} (currency: in {mapname}); export the history's amounts in "
                f"{spec.currency} (or map the symbol under read.currency_symbols)."
            ),
            text,
        )
        values = np.array([p[0] if isinstance(p, tuple) else np.nan for p in parsed], float)
        zero = keep.to_numpy() & (values == 0)
        if zero.any():
            lines = ", ".join(str(int(n)) for n in table.lines[zero][:5])
            notes.append(
                f"Read {int(zero.sum()):,} history amounts of 0 as not recorded (rows "
                f"{lines}{', ...' if zero.sum() > 5 else ''} of {Path(table.file).name})."
            )
        out["amount"] = np.where(values == 0, np.nan, values)
    out["probability"] = _history_probability(table, hmap, rule, out, opps, keep, read, mapname)
    out["line"] = table.lines
    out = out.loc[keep]
    if _newest_first(out):
        out = out.iloc[::-1]
    out = out.sort_values(["opportunity_id", "date"], kind="stable")
    out["date"] = out["date"].dt.normalize()
    out = out.drop_duplicates(["opportunity_id", "date", "stage"], keep="last")
    return out.reset_index(drop=True), len(cells), skipped, notes


def _newest_first(hist: pd.DataFrame) -> bool:
    """Whether the report lists each opportunity's changes newest first (more steps
    back in time than forward between its consecutive rows, in file order)."""
    step = hist.groupby("opportunity_id", sort=False)["date"].diff().dropna()
    return bool((step < pd.Timedelta(0)).sum() > (step > pd.Timedelta(0)).sum())


def _history_probability(
    table: Table,
    hmap: HistoryMap,
    rule: pd.Series,
    out: pd.DataFrame,
    opps: pd.DataFrame,
    keep: pd.Series,
    read: ReadOptions,
    mapname: str,
) -> pd.Series:
    """Each history row's probability: the report's, else its CRM stage's (``stages``),
    else the mean probability of the export's open opportunities in its stage."""
    given = pd.Series(np.nan, index=out.index)
    col = hmap.columns.probability
    if col is not None:
        prob = read_probabilities(table, col, keep, read, mapname)
        given = pd.Series([p if isinstance(p, float) else np.nan for p in prob], index=out.index)
    by_rule = rule.map(lambda r: getattr(r, "probability", None)).astype(float)
    is_open = opps["status"] == "open"
    means = opps.loc[is_open].groupby("stage")["probability"].mean()
    by_mean = out["stage"].map(means).astype(float)
    return given.fillna(by_rule).fillna(by_mean)


def _closed_from_history(opps: pd.DataFrame, hist: pd.DataFrame) -> None:
    """A closed opportunity's stage, expected close date and probability: those of its
    last open stage (the outcome is in its status, not in these)."""
    last = hist.groupby("opportunity_id").tail(1).set_index("opportunity_id")
    closed = opps["status"].isin(["won", "lost"]).to_numpy()
    ids = opps["opportunity_id"]
    stage = pd.Series(last["stage"].reindex(ids).to_numpy(), index=opps.index, dtype=object)
    expected = pd.Series(
        pd.to_datetime(last["expected_close_date"].reindex(ids)).to_numpy(), index=opps.index
    )
    prob = pd.Series(last["probability"].reindex(ids).to_numpy(float), index=opps.index)
    opps["stage"] = opps["stage"].astype(object).where(~(closed & stage.notna()), stage)
    opps["expected_close"] = expected.where(closed)
    opps["probability"] = opps["probability"].where(~(closed & prob.notna()), prob)


@dataclass(frozen=True)
class _Where:
    """Where the book's rows came from: the files and the export's column names, so a
    rule the built book breaks is reported at the export's row and column."""

    export: str
    columns: Any
    history: str | None
    history_map: HistoryMap | None

    def raws(self, frames: Mapping[str, pd.DataFrame | None]) -> dict[str, _Raw]:
        """The book's frames as raw tables located in the export (and history)."""
        c = self.columns
        account = c.account_id or c.account_name
        aliases = {
            "bookings": {
                "deal_id": c.deal_id or c.opportunity_id,
                "date": c.close_date,
                "account_id": account,
                "rep_id": c.owner,
                "amount": c.amount,
                "product": c.product or "product",
            },
            "pipeline": {
                "opportunity_id": c.opportunity_id,
                "account_id": account,
                "rep_id": c.owner,
                "product": c.product or "product",
                "stage": c.stage,
                "amount": c.amount,
                "probability": c.probability or c.stage,
                "created_date": c.created_date,
                "expected_close_date": c.close_date,
                "status": c.stage,
                "closed_date": c.close_date,
                "deal_id": c.deal_id or c.opportunity_id,
            },
            "accounts": {"account_id": account, "name": c.account_name or account},
        }
        if self.history_map is not None:
            h = self.history_map.columns
            aliases["stage_history"] = {
                "opportunity_id": h.opportunity_id,
                "date": h.date,
                "stage": h.stage,
                "amount": h.amount or "amount",
                "expected_close_date": h.expected_close_date or "expected_close_date",
                "probability": h.probability or "probability",
            }
        out: dict[str, _Raw] = {}
        for name, frame in frames.items():
            if frame is None:
                continue
            line = frame.get("line")
            frame = frame.drop(columns="line") if line is not None else frame
            raw = _from_frame(frame, SCHEMA[name], f"{name} frame", "frame")
            if line is not None:
                file = self.history if name == "stage_history" else self.export
                raw = replace(
                    raw,
                    file=str(file),
                    rows=line.to_numpy(dtype=int),
                    origin="csv",
                    aliases=MappingProxyType(aliases[name]),
                )
            out[name] = raw
        return out


def _build(
    opps: pd.DataFrame,
    hist: pd.DataFrame | None,
    reps: pd.DataFrame,
    spec: CrmMapping,
    name: str,
    snapshot_date: Any,
    where: _Where,
) -> Book:
    """The book's frames from the checked rows, validated as any book is (a broken rule
    is reported at the export's row and column)."""
    open_ = opps["status"] == "open"
    won = opps["status"] == "won"
    if "expected_close" not in opps:
        opps["expected_close"] = pd.NaT
    expected = opps["expected_close"].where(opps["expected_close"].notna(), opps["close_date"])
    expected = expected.where(~open_, opps["close_date"])
    stage = opps["stage"].fillna(opps["status"].map({"won": "Won", "lost": "Lost"}))
    pipeline = pd.DataFrame(
        {
            "opportunity_id": opps["opportunity_id"],
            "account_id": opps["account_id"],
            "rep_id": opps["rep_id"],
            "product": opps["product"],
            "stage": stage,
            "amount": opps["amount"].round(2),
            "probability": opps["probability"],
            "created_date": opps["created_date"],
            "expected_close_date": expected,
            "status": opps["status"],
            "closed_date": opps["close_date"].where(~open_),
            "deal_id": opps["deal_id"].where(won),
            "line": opps["line"],
        }
    ).sort_values("opportunity_id", kind="stable")
    bookings = pd.DataFrame(
        {
            "deal_id": opps["deal_id"],
            "date": opps["close_date"],
            "account_id": opps["account_id"],
            "rep_id": opps["rep_id"],
            "amount": opps["amount"].round(2),
            "product": opps["product"],
            "line": opps["line"],
        }
    ).loc[won.to_numpy()]
    bookings = bookings.sort_values(["date", "deal_id"], kind="stable").reset_index(drop=True)
    accounts = (
        pd.DataFrame(
            {"account_id": opps["account_id"], "name": opps["account_name"], "line": opps["line"]}
        )
        .drop_duplicates("account_id")
        .sort_values("account_id", kind="stable")
        .reset_index(drop=True)
    )
    if snapshot_date is None:
        days = [opps["created_date"], opps["close_date"].where(~open_)]
        if hist is not None:
            days.append(hist["date"])
        # a date in the future is refused row by row; today caps what is left
        snapshot_date = min(pd.concat(days).max(), pd.Timestamp.today().normalize())
    snap = pd.Timestamp(snapshot_date)
    raws = where.raws(
        {
            "reps": reps,
            "accounts": accounts,
            "bookings": bookings,
            "pipeline": pipeline.reset_index(drop=True),
            "stage_history": hist,
        }
    )
    frames = _validate(raws, snap, currency=spec.currency)
    return Book._build(frames, name=name, currency=spec.currency, snapshot_date=snap)
