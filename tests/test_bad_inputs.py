"""The bad-input matrix (issue 15, part 7): every file a user writes, every option of
the command line and every output place, each mutated once and run through
``spm-sim`` in-process.

Each case copies the sample inputs (``tests/_matrix.py``: the sample book, plans, a
scenario, a small capacity configuration, MBO scores, bottom-up targets, an
alignment input) to its own folder, makes one change, runs the command and checks:

* ``error``: exit status 2 and one ``error:`` line naming the place (file, row or
  line, column, field or option), what is wrong and the value;
* ``warning``: exit 0 and a ``spm-sim: warning:`` line naming the place; its twin
  ``<id>-strict`` runs the same case with ``--strict`` and expects the error;
* ``normalised``: exit 0 and the documented normalisation (what the case's note says;
  a payroll is compared to the cent);
* ``kept``: an earlier output is refused (an error) or kept, with the new output
  written under the next number and a note saying so;

Each token a message must hold is a value in its context (``"got 0"``, not ``"0"``),
looked for with the workspace's path taken out of the message.

and for every case: nothing escapes ``main()`` (no traceback), the command ends within
its time bound, and no file that existed before the run changed.
"""

# ruff: noqa: E501 (the table of cases: one case a line)

from __future__ import annotations

import contextlib
import importlib
import io
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from _matrix import (
    PLACES,
    TOTALS,
    Case,
    add_row,
    all_of,
    append,
    book_as_of,
    case,
    cell,
    copy_workspace,
    crlf,
    csv_neutralised,
    delimiter,
    drop_col,
    drop_rows,
    dup_line,
    execute,
    file_beside,
    fingerprints,
    heal,
    keep_lines,
    needs_book,
    no_warning,
    parquet_cell,
    prefix_bytes,
    problems,
    recode,
    remove,
    rename_col,
    replace_id,
    same_output,
    same_payroll,
    says,
    scale_col,
    sub,
    sub_re,
    to_parquet,
    write,
    wrote_elsewhere,
    yaml_bomb,
    yaml_deep,
)
from _matrix import argv_of as _argv_of
from _matrix import build_master as _build_master

from spm_sim.cli.app import main

BOM = b"\xef\xbb\xbf"
E1E308 = ("1e308", "1e+308", "1.0e+308")  # how a message may show 1e308
DUPLICATE = ("twice", "duplicate", "more than once", "again", "repeated")
DEEP = ("deep", "nest", "depth", "levels")

# the files, by their place in the copied workspace
R, A, B, P, U, Y = (
    f"book/{t}"
    for t in ("reps.csv", "accounts.csv", "bookings.csv", "pipeline.csv", "units.csv", "book.yaml")
)
PL, MB, S, CY = (PLACES[k] for k in ("plan", "mbo", "scen", "cap"))
SC, T, AA, AH = "scores.csv", "targets.csv", "align/accounts.csv", "align/homes.csv"

# the sample rows the cases change (checked against the sample by `was=`)
DEAL_R079 = 6486  # D006485 of R079 (hired 2024-06-28), dated 2024-07-25
DEAL_R069 = 11940  # D011939 of R069 (left 2025-09-25), dated 2025-09-25
# the won opportunities those deals came from (pipeline.csv rows): a case that moves a deal's
# date also clears the opportunity's deal_id, so the only problem left is the one tested
UNLINK_R079 = cell(P, 4545, "deal_id", "", was="D006485")
UNLINK_R069 = cell(P, 19823, "deal_id", "", was="D011939")

# the commands
CHECK = "check {book}"
PAY = "payouts {plan} --book {book} --year 2025 --out {out}/pay.csv"
PAY_MBO = "payouts {mbo} --book {book} --year 2025 --scores {scores} --out {out}/pay.csv"
BACKTEST = "backtest {plan} {plan_b} --book {book} --year 2025"
CURVE = "curve {plan} --out {out}/c.png"
RUN = "run {scen} --trials 20 --out {out}/run"
QUOTAS = "quotas {scen} --trials 100 --out {out}/q.csv"
QUOTAS_BU = "quotas {scen_bu} --trials 100 --out {out}/q.csv"
FIT = "fit --book {book} --plan-year 2026 --sims 20"
CAP = "capacity {cap}"
HEAD = "headcount {cap}"
ALIGN = "align {align}/accounts.csv --territories 3 --out {out}/a.csv --no-figure"
ALIGN_H = (
    "align {align}/accounts.csv --homes {align}/homes.csv "
    "--balance potential=0.25,workload=0.25 --out {out}/a.csv --no-figure"
)

#: The money columns of the book (a book in another currency scales them all).
MONEY = (
    (R, "base_salary"),
    (R, "target_incentive"),
    (A, "potential"),
    (B, "amount"),
    (P, "amount"),
)

NOTES = "notes.txt"  # a file of the user's where a folder is wanted


def notes():
    """The user's notes file, where a command is told to write a folder."""
    return write(NOTES, "notes the user keeps\n")


def earlier(rel: str):
    """The output of an earlier run (distinct content, so an overwrite shows)."""
    return write(rel, "an earlier run's output; it must survive\n")


TIERS_UP_TO = """    tiers:
      - up_to: 1.0
        rate: 1.0
      - up_to: 1.5
        rate: 1.5
      - up_to: null
        rate: 2.0
"""
TIERS_MIXED = """    tiers:
      - start: 0.0
        end: 1.0
        rate: 1.0
      - up_to: 1.5
        rate: 1.5
      - start: 1.5
        end: null
        rate: 2.0
"""
TIERS_UP_TO_FALLING = TIERS_UP_TO.replace("up_to: 1.5", "up_to: 0.5")
TIERS = r"    tiers:.*?(?=    attainment_cap)"
INLINE_PLAN = """plan:
  name: inline
  components:
    - name: bookings
      weight: 1.0
      rate_basis: tcr
      tiers: [{start: 0.0, rate: 1.0e+308}]
"""
QUOTA_BLOCK = "  method: history\n  growth: 0.08\n  over_assignment: 0.05\n"


def quota(extra: str):
    """Add lines to the scenario's quota settings."""
    return sub(S, QUOTA_BLOCK, QUOTA_BLOCK + extra)


def partial_year(end: str = "2025-06-30"):
    """The book as exported on ``end``: no deal or opportunity after it."""
    return [book_as_of("book", end)]


# ---------------------------------------------------------------------------- the table

# fmt: off
CASES: list[Case] = [
    # --- the book: reps.csv -------------------------------------------------------------
    case("reps-duplicate-row", "book", CHECK, dup_line(R, 2), tokens=["reps.csv", "rep_id", "R001", "rows 2 and 87"]),
    case("reps-drop-region", "book", CHECK, drop_col(R, "region"), tokens=["reps.csv", "region"]),
    case("reps-hire-1850", "book", CHECK, cell(R, 2, "hire_date", "1850-07-29", was="2019-07-29"), tokens=["reps.csv", "row 2", "hire_date", "1850-07-29"]),
    case("reps-term-before-hire", "book", CHECK, cell(R, 2, "term_date", "2019-01-01"), tokens=["reps.csv", "row 2", "term_date", "2019-01-01"]),
    case("reps-ti-1e308", "book", CHECK, cell(R, 2, "target_incentive", "1e308"), tokens=["reps.csv", "row 2", "target_incentive", "1e308"]),
    case("reps-ti-negative", "book", CHECK, cell(R, 2, "target_incentive", "-5"), tokens=["reps.csv", "row 2", "target_incentive", "-5.0 is negative"]),
    case("reps-ti-extreme", "book", CHECK, cell(R, 2, "target_incentive", "200000000"), expect="warning", tokens=["reps.csv", "row 2", "target_incentive", ("200,000,000", "2e+08", "200000000")]),
    case("reps-id-formula", "book", CHECK, replace_id("book", "R080", '=HYPERLINK("x")'), expect="warning", tokens=["reps.csv", "rep_id", "=HYPERLINK"]),
    case("reps-extra-cell", "book", CHECK, append(R, "R900,X,West,AE,,,,,2020-01-01,,1,1,EXTRA\n"), tokens=["reps.csv", "row 87", "13 cells"]),
    case("reps-latin1", "book", CHECK, [cell(R, 2, "name", "Jonas Ivérsen"), recode(R, "latin-1")], tokens=["reps.csv", ("row 2", "line 2"), "UTF-8"]),
    case("reps-semicolons", "book", CHECK, delimiter(R, ";"), tokens=["reps.csv", "row 1", "separated by ';'", "comma-separated"]),
    case("reps-empty-file", "book", CHECK, keep_lines(R, 0), tokens=["reps.csv", "empty"]),
    case("reps-header-only", "book", CHECK, keep_lines(R, 1), tokens=["reps.csv", "header but no rows", "at least one rep"]),
    case("reps-bom", "book", CHECK, prefix_bytes(R, BOM), expect="normalised", check=same_output("check"), note="the byte order mark is stripped"),
    # --- the book: accounts.csv, units.csv ----------------------------------------------
    case("accounts-potential-1e308", "book", CHECK, cell(A, 2, "potential", "1e308"), tokens=["accounts.csv", "row 2", "potential", "1e308"]),
    case("accounts-rep-unknown", "book", CHECK, cell(A, 2, "rep_id", "R999", was="R037"), tokens=["accounts.csv", "row 2", "rep_id", "R999"]),
    case("accounts-name-formula", "book", CHECK, cell(A, 2, "name", '=HYPERLINK("http://x","y")'), expect="warning", tokens=["accounts.csv", "row 2", "name", "=HYPERLINK"]),
    case("units-leading-zeros-lost", "book", CHECK, cell(U, 2, "unit_id", "1001", was="01001"), tokens=["unit_id", "01001"]),
    # --- the book: bookings.csv ----------------------------------------------------------
    case("bookings-date-1850", "book", CHECK, cell(B, DEAL_R079, "date", "1850-07-25", was="2024-07-25"), tokens=["bookings.csv", f"row {DEAL_R079}", "date", "1850-07-25"]),
    case("bookings-date-9999", "book", CHECK, cell(B, DEAL_R079, "date", "9999-07-25"), tokens=["bookings.csv", f"row {DEAL_R079}", "date", "9999-07-25"]),
    case("bookings-date-2030", "book", CHECK, cell(B, DEAL_R079, "date", "2030-07-25"), tokens=["bookings.csv", f"row {DEAL_R079}", "date", "2030-07-25"]),
    case("bookings-date-2099-no-snapshot", "book", CHECK, [sub(Y, 'snapshot_date: "2025-12-31"\n', ""), cell(B, DEAL_R079, "date", "2099-07-25")], tokens=["bookings.csv", f"row {DEAL_R079}", "date", "2099-07-25"]),
    case("bookings-lone-deal-2005", "book", CHECK, [cell(B, DEAL_R079, "date", "2005-07-25"), UNLINK_R079], expect="warning", tokens=["bookings.csv", f"row {DEAL_R079}", "date", "2005-07-25"]),
    case("bookings-before-hire", "book", CHECK, [cell(B, DEAL_R079, "date", "2024-01-15"), UNLINK_R079], expect="warning", tokens=["bookings.csv", f"row {DEAL_R079}", "R079", "hire"]),
    case("bookings-after-term", "book", CHECK, [cell(B, DEAL_R069, "date", "2025-11-20", was="2025-09-25"), UNLINK_R069], expect="warning", tokens=["bookings.csv", f"row {DEAL_R069}", "R069", ("term", "left")]),
    case("bookings-amount-1e308", "book", CHECK, cell(B, 2, "amount", "1e308", was="5732.16"), tokens=["bookings.csv", "row 2", "amount", "1e308"]),
    case("bookings-amount-inf", "book", CHECK, cell(B, 2, "amount", "inf"), tokens=["bookings.csv", "row 2", "amount", "inf"]),
    case("bookings-amount-nan", "book", CHECK, cell(B, 2, "amount", "nan"), tokens=["bookings.csv", "row 2", "amount", "nan"]),
    case("bookings-amount-negative", "book", CHECK, cell(B, 2, "amount", "-5"), tokens=["bookings.csv", "row 2", "amount", "-5.0 is negative"]),
    case("bookings-amount-abc", "book", CHECK, cell(B, 2, "amount", "abc"), tokens=["bookings.csv", "row 2", "amount", "abc"]),
    case("bookings-amount-thousands", "book", CHECK, cell(B, 2, "amount", "12,000"), tokens=["bookings.csv", "row 2", "amount", "12,000"]),
    case("bookings-amount-extreme", "book", CHECK, cell(B, 2, "amount", "500000000"), expect="warning", tokens=["bookings.csv", "row 2", "amount", "500,000,000", "times the median"]),
    case("bookings-duplicate-row", "book", CHECK, dup_line(B, 2), tokens=["bookings.csv", "deal_id", "D000001", "13732"]),
    case("bookings-rename-Amount", "book", CHECK, rename_col(B, "amount", "Amount"), tokens=["bookings.csv", "'amount'", "Amount"]),
    case("book-currency-jpy", "book", CHECK, [*(scale_col(f, col, 150) for f, col in MONEY), sub(Y, "currency: USD", "currency: JPY")], expect="normalised", check=all_of(no_warning(), says("(JPY)", "¥51,272,262,526")), note="a yen book (the sample's money x150) is neither refused nor warned about"),
    case("bookings-crlf", "book", CHECK, crlf(B), expect="normalised", check=same_output("check"), note="Windows line ends read as line ends"),
    # --- the book: pipeline.csv ------------------------------------------------------------
    case("pipeline-probability-1.5", "book", CHECK, cell(P, 2, "probability", "1.5", was="0.75"), tokens=["pipeline.csv", "row 2", "probability", "1.5"]),
    case("pipeline-close-9999", "book", CHECK, cell(P, 2, "expected_close_date", "9999-12-31"), expect="warning", tokens=["pipeline.csv", "row 2", "expected_close_date", "9999-12-31"]),
    case("pipeline-rep-had-left", "book", CHECK, cell(P, 2, "rep_id", "R014", was="R055"), expect="warning", tokens=["pipeline.csv", "row 2", "R014", ("term", "left")]),
    # --- the book: book.yaml ---------------------------------------------------------------
    case("bookyaml-typo", "book", CHECK, sub(Y, "snapshot_date:", "snapshot_dat:"), tokens=["book.yaml", "snapshot_dat", "snapshot_date"]),
    case("bookyaml-duplicate-key", "book", CHECK, append(Y, "currency: EUR\n"), tokens=["book.yaml", "currency", DUPLICATE]),
    case("bookyaml-alias-bomb", "book", CHECK, append(Y, yaml_bomb()), tokens=["book.yaml", "alias"], bound=1.0),
    case("bookyaml-deep-nest", "book", CHECK, append(Y, f"notes: {yaml_deep()}\n"), tokens=["book.yaml", DEEP], bound=1.0),
    case("bookyaml-empty", "book", CHECK, sub_re(Y, r".*", ""), expect="normalised", check=says("Book 'book'"), note="an empty book.yaml gives the defaults (the folder's name)"),
    # --- the book as Parquet ----------------------------------------------------------------
    case("parquet-bookings", "book", CHECK, to_parquet(B), expect="normalised", check=same_output("check"), note="bookings.parquet reads as bookings.csv"),
    case("parquet-amount-inf", "book", CHECK, [to_parquet(B), parquet_cell("book/bookings.parquet", 3, "amount", float("inf"))], tokens=["bookings.parquet", "row 4", "amount", "inf"]),
    case("parquet-date-1850", "book", CHECK, [to_parquet(B), parquet_cell("book/bookings.parquet", 3, "date", pd.Timestamp("1850-01-02"))], tokens=["bookings.parquet", "row 4", "date", "1850-01-02"]),
    case("parquet-corrupt", "book", CHECK, [remove(B), write("book/bookings.parquet", b"PAR1 not a Parquet file")], tokens=["bookings.parquet", "Parquet"]),
    case("parquet-and-csv", "book", CHECK, to_parquet(B, keep_csv=True), tokens=["bookings.csv", "bookings.parquet"]),
    # --- plans ---------------------------------------------------------------------------------
    case("plan-rate-1e308", "plan", CURVE, sub(PL, "rate: 2.0", "rate: 1.0e+308"), tokens=["baseline.yaml", "bookings", "rate", E1E308]),
    case("plan-rate-1e308-text", "plan", CURVE, sub(PL, "rate: 2.0", "rate: 1e308"), tokens=["baseline.yaml", "bookings", "rate", E1E308]),
    case("plan-rate-inf", "plan", CURVE, sub(PL, "rate: 2.0", "rate: .inf"), tokens=["baseline.yaml", "rate", "inf"]),
    case("plan-rate-nan", "plan", CURVE, sub(PL, "rate: 2.0", "rate: .nan"), tokens=["baseline.yaml", "rate", "nan"]),
    case("plan-rate-negative", "plan", CURVE, sub(PL, "rate: 2.0", "rate: -5"), tokens=["baseline.yaml", "tier 3", "rate", "got -5"]),
    case("plan-rate-abc", "plan", CURVE, sub(PL, "rate: 2.0", "rate: abc"), tokens=["baseline.yaml", "rate", "abc"]),
    case("plan-rate-yes", "plan", CURVE, sub(PL, "rate: 2.0", "rate: yes"), tokens=["baseline.yaml", "rate", ("yes", "true")]),
    case("plan-rate-percent", "plan", CURVE, sub(PL, "rate: 2.0", 'rate: "4%"'), tokens=["baseline.yaml", "rate", "'4%'"]),
    case("plan-rate-40", "plan", PAY, sub(PL, "rate: 2.0", "rate: 40.0"), expect="warning", tokens=[("baseline.yaml", "Baseline 2026 AE plan"), "tier 3", "rate 40"]),
    case("plan-up-to", "plan", PAY, sub_re(PL, TIERS, TIERS_UP_TO), expect="normalised", check=same_payroll("payouts"), note="tiers written with up_to pay as the same bands written with start/end, to the cent"),
    case("plan-up-to-mixed", "plan", CURVE, sub_re(PL, TIERS, TIERS_MIXED), tokens=["baseline.yaml", "up_to", ("start", "end")]),
    case("plan-up-to-falling", "plan", CURVE, sub_re(PL, TIERS, TIERS_UP_TO_FALLING), tokens=["baseline.yaml", "up_to", "0.5"]),
    case("plan-tier-gap", "plan", CURVE, sub(PL, "- start: 1.0 ", "- start: 1.1 "), tokens=["baseline.yaml", "tier", "1.1"]),
    case("plan-tier-overlap", "plan", CURVE, sub(PL, "- start: 1.0 ", "- start: 0.9 "), tokens=["baseline.yaml", "tier", "0.9"]),
    case("plan-weight-1.5", "plan", CURVE, sub(PL, "weight: 1.0", "weight: 1.5"), tokens=["baseline.yaml", "weight", "1.5"]),
    case("plan-threshold-typo", "plan", CURVE, sub(PL, "threshold: 0.5", "treshold: 0.5"), tokens=["baseline.yaml", "treshold", "threshold"]),
    case("plan-components-typo", "plan", CURVE, sub(PL, "components:", "componets:"), tokens=["baseline.yaml", "componets", "components"]),
    case("plan-threshold-1e308", "plan", CURVE, sub(PL, "threshold: 0.5", "threshold: 1.0e+308"), tokens=["baseline.yaml", "threshold", E1E308]),
    case("plan-payout-cap-negative", "plan", CURVE, sub(PL, "payout_cap: null", "payout_cap: -1"), tokens=["baseline.yaml", "payout_cap", "got -1"]),
    case("plan-attainment-cap-zero", "plan", CURVE, sub(PL, "attainment_cap: 3.0", "attainment_cap: 0"), tokens=["baseline.yaml", "attainment_cap", "got 0"]),
    case("plan-currency-lower", "plan", CURVE, sub(PL, "currency: USD", "currency: usd"), tokens=["baseline.yaml", "currency", "usd"]),
    case("plan-duplicate-key", "plan", CURVE, sub(PL, "        rate: 2.0", "        rate: 2.0\n        rate: 0.2"), tokens=["baseline.yaml", "rate", DUPLICATE]),
    case("plan-deep-nest", "plan", CURVE, sub(PL, "payout_cap: null", f"payout_cap: {yaml_deep()}"), tokens=["baseline.yaml", DEEP], bound=1.0),
    case("plan-alias-bomb", "plan", CURVE, sub_re(PL, r".*", yaml_bomb() + "name: bomb\ncomponents: *b6\n"), tokens=["baseline.yaml", "alias"], bound=1.0),
    case("plan-too-big", "plan", CURVE, append(PL, "# " + "x" * 2_000_000 + "\n"), tokens=["baseline.yaml", ("MiB", "bytes", "large", "size")], bound=2.0),
    case("plan-empty", "plan", CURVE, sub_re(PL, r".*", ""), tokens=["baseline.yaml", ("empty", "mapping", "NoneType")]),
    case("plan-tab-indent", "plan", CURVE, sub(PL, "  - name: bookings", "\t- name: bookings"), tokens=["baseline.yaml", "line 24"]),
    case("plan-latin1", "plan", CURVE, [sub(PL, "name: Baseline 2026 AE plan", "name: Baseline 2026 AE plan é"), recode(PL, "latin-1")], tokens=["baseline.yaml", "UTF-8"]),
    case("plan-bom", "plan", PAY, prefix_bytes(PL, BOM), expect="normalised", check=same_payroll("payouts"), note="the byte order mark is stripped: the same payroll to the cent"),
    case("plan-missing", "plan", "curve {ws}/plans/nope.yaml --out {out}/c.png", tokens=["nope.yaml", ("not found", "no such")]),
    case("plan-is-a-folder", "plan", "curve {plans} --out {out}/c.png", tokens=["plans", "is a folder"]),
    case("mbo-levels-not-increasing", "plan", PAY_MBO, sub(MB, "- score: 1.25", "- score: 0.25"), tokens=["mbo.yaml", "score", "0.25"]),
    case("mbo-probabilities-sum", "plan", PAY_MBO, sub(MB, "0.20, 0.10]", "0.20, 0.30]"), tokens=["mbo.yaml", "probabilities"]),
    # --- scenarios -------------------------------------------------------------------------------
    case("scen-trials-0", "scenario", "run {scen} --out {out}/run", sub(S, "trials: 20", "trials: 0"), tokens=["base.yaml", "trials", "got 0"]),
    case("scen-trials-1e9", "scenario", "run {scen} --out {out}/run", sub(S, "trials: 20", "trials: 1000000000"), tokens=["base.yaml", "trials", "1000000000"]),
    case("scen-trials-abc", "scenario", "run {scen} --out {out}/run", sub(S, "trials: 20", "trials: many"), tokens=["base.yaml", "trials", "many"]),
    case("scen-seed-negative", "scenario", RUN, sub(S, "seed: 7", "seed: -1"), tokens=["base.yaml", "seed", "got -1"]),
    case("scen-plan-year-1850", "scenario", RUN, sub(S, "plan_year: 2026", "plan_year: 1850"), tokens=["base.yaml", "plan_year", "1850"]),
    case("scen-plan-year-2040", "scenario", RUN, sub(S, "plan_year: 2026", "plan_year: 2040"), tokens=[("plan_year", "plan year"), "2040"]),
    case("scen-book-missing", "scenario", RUN, sub(S, "book: ../book", "book: ../nobook"), tokens=["base.yaml", "book", "nobook"]),
    case("scen-book-is-a-file", "scenario", RUN, sub(S, "book: ../book", "book: ../scores.csv"), tokens=["base.yaml", "book", "scores.csv"]),
    case("scen-plan-missing", "scenario", RUN, sub(S, "plans/baseline.yaml", "plans/nope.yaml"), tokens=["base.yaml", "plan", "nope.yaml"]),
    case("scen-plan-is-csv", "scenario", RUN, sub(S, "plans/baseline.yaml", "scores.csv"), tokens=["scores.csv", "mapping"]),
    case("scen-trials-typo", "scenario", RUN, sub(S, "trials: 20", "trails: 20"), tokens=["base.yaml", "trails", "trials"]),
    case("scen-capacity-factor-5", "scenario", RUN, append(S, "capacity_factor: 5\n"), tokens=["base.yaml", "capacity_factor", "got 5"]),
    case("scen-alias-bomb", "scenario", RUN, append(S, yaml_bomb()), tokens=["base.yaml", "alias"], bound=1.0),
    case("scen-deep-nest", "scenario", RUN, sub(S, "name: matrix", f"name: matrix\ndescription: {yaml_deep()}"), tokens=["base.yaml", DEEP], bound=1.0),
    case("scen-empty", "scenario", RUN, sub_re(S, r".*", ""), tokens=["base.yaml", "mapping", ("empty", "NoneType")]),
    case("scen-duplicate-key", "scenario", RUN, append(S, "seed: 8\n"), tokens=["base.yaml", "seed", DUPLICATE]),
    case("scen-inline-plan-rate-1e308", "scenario", RUN, sub(S, "plan: ../plans/baseline.yaml\n", INLINE_PLAN), tokens=["base.yaml", "rate", E1E308]),
    case("scen-strict-true", "scenario", RUN, [append(S, "strict: true\n"), cell(B, DEAL_R079, "date", "2024-01-15"), UNLINK_R079], tokens=["bookings.csv", f"row {DEAL_R079}", "R079", "hire"]),
    case("scen-cost-of-sales", "scenario", RUN, scale_col(R, "target_incentive", 20), expect="warning", tokens=["cost of sales", "target incentive", "reps.csv"]),
    # --- quota settings in a scenario, and bottom-up targets -------------------------------------
    case("quota-growth-10", "quota", QUOTAS, sub(S, "growth: 0.08", "growth: 10"), tokens=["base.yaml", "growth", "got 10"]),
    case("quota-over-assignment-3", "quota", QUOTAS, sub(S, "over_assignment: 0.05", "over_assignment: 3"), tokens=["base.yaml", "over_assignment", "got 3"]),
    case("quota-method-typo", "quota", QUOTAS, sub(S, "method: history", "method: histroy"), tokens=["base.yaml", "method", "histroy"]),
    case("quota-unknown-key", "quota", QUOTAS, sub(S, "  over_assignment: 0.05", "  overassignment: 0.05"), tokens=["base.yaml", "overassignment", "over_assignment"]),
    case("quota-target-negative", "quota", QUOTAS, quota("  target: -5\n"), tokens=["base.yaml", "target", "got -5"]),
    case("quota-target-1e308", "quota", QUOTAS, quota("  target: 1.0e+308\n"), tokens=["base.yaml", "target", E1E308]),
    case("quota-target-inf", "quota", QUOTAS, quota("  target: .inf\n"), tokens=["base.yaml", "target", "inf"]),
    case("quota-probability-1.5", "quota", QUOTAS, sub(S, QUOTA_BLOCK, "  method: calibrated\n  probability: 1.5\n"), tokens=["base.yaml", "probability", "1.5"]),
    case("quota-seasonality-sum", "quota", QUOTAS, quota("  seasonality: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]\n"), tokens=["base.yaml", "seasonality"]),
    case("quota-override-negative", "quota", QUOTAS, quota("  overrides: [{rep_id: R001, quota: -5, reason: test}]\n"), tokens=["base.yaml", "overrides", "got -5"]),
    case("quota-override-unknown-rep", "quota", QUOTAS, quota("  overrides: [{rep_id: R999, quota: 1000000, reason: test}]\n"), tokens=["base.yaml", "overrides", "R999"]),
    case("quota-hire-outside-year", "quota", QUOTAS, quota("  hires: [{rep_id: N1, region: West, start: 2030-01-01}]\n"), tokens=["base.yaml", "hires", "2030-01-01"]),
    case("quota-strict-scenario", "quota", QUOTAS, [append(S, "strict: true\n"), cell(B, DEAL_R079, "date", "2024-01-15"), UNLINK_R079], tokens=["bookings.csv", f"row {DEAL_R079}", "R079", "hire"]),
    case("targets-unknown-rep", "quota", QUOTAS_BU, add_row(T, rep_id="R999"), tokens=["targets.csv", "R999"]),
    case("targets-1e308", "quota", QUOTAS_BU, cell(T, 2, "target", "1e308"), tokens=["targets.csv", ("row 2", "line 2"), "target", "1e308"]),
    case("targets-duplicate-row", "quota", QUOTAS_BU, dup_line(T, 2), tokens=["targets.csv", "R001"]),
    # --- MBO scores (payouts --scores) ------------------------------------------------------------
    case("scores-duplicate-row", "scores", PAY_MBO, dup_line(SC, 2), tokens=["scores.csv", "R001", "2025-03", ("326", "line 2", "lines 2", "row 2", "rows 2")]),
    case("scores-unknown-rep", "scores", PAY_MBO, add_row(SC, rep_id="R999"), tokens=["scores.csv", "R999", "326"]),
    case("scores-rep-not-paid", "scores", PAY_MBO, add_row(SC, rep_id="R014"), tokens=["scores.csv", "R014", "326"]),
    case("scores-missing-row", "scores", PAY_MBO, drop_rows(SC, lambda r: (r["rep_id"], r["period"]) != ("R001", "2025-03")), tokens=["scores.csv", "R001", "2025-03"]),
    case("scores-negative", "scores", PAY_MBO, cell(SC, 2, "score", "-5"), tokens=["scores.csv", ("line 2", "row 2"), "score -5.0"]),
    case("scores-1e308", "scores", PAY_MBO, cell(SC, 2, "score", "1e308"), tokens=["scores.csv", ("line 2", "row 2"), E1E308]),
    case("scores-period-short", "scores", PAY_MBO, cell(SC, 2, "period", "2025-3"), tokens=["scores.csv", ("line 2", "row 2"), "2025-3"]),
    case("scores-measure-typo", "scores", PAY_MBO, cell(SC, 2, "measure", "mbo_scor"), tokens=["scores.csv", ("line 2", "row 2"), "mbo_scor", "mbo_score"]),
    case("scores-not-given", "scores", "payouts {mbo} --book {book} --year 2025", tokens=["objectives", "--scores"]),
    case("scores-bom", "scores", PAY_MBO, prefix_bytes(SC, BOM), expect="normalised", check=same_payroll("payouts_mbo"), note="the byte order mark is stripped: the same payroll to the cent"),
    # --- payroll (payouts, backtest) ------------------------------------------------------------
    case("payroll-ti-1e308", "payroll", PAY, cell(R, 2, "target_incentive", "1e308"), tokens=["reps.csv", "target_incentive", "1e308"]),
    case("payroll-amount-1e308", "payroll", PAY, cell(B, DEAL_R069, "amount", "1e308"), tokens=["bookings.csv", "amount", "1e308"]),
    case("payroll-rate-1e308-statement", "payroll", PAY + " --statement R001", sub(PL, "rate: 2.0", "rate: 1.0e+308"), tokens=["baseline.yaml", "rate", E1E308]),
    case("payroll-year-without-deals", "payroll", PAY.replace("2025", "2019"), tokens=["2019", "no bookings"]),
    case("payroll-year-0", "payroll", PAY.replace("2025", "0"), tokens=["--year", "got 0"]),
    case("payroll-year-abc", "payroll", PAY.replace("2025", "abc"), tokens=["--year", "abc"]),
    case("payroll-which-book", "payroll", "payouts {plan} --year 2025", expect="normalised", check=says("sample"), note="says which book it pays (the sample, as --book was left out)"),
    case("fit-which-book", "payroll", "fit --plan-year 2026 --sims 20", expect="normalised", check=says("sample"), note="says which book it fits (the sample, as --book was left out)"),
    case("payroll-partial-year", "payroll", PAY, partial_year(), expect="warning", tokens=["2025", ("2025-07", "Jul", "July")]),
    case("payroll-deal-after-term", "payroll", PAY, [cell(B, DEAL_R069, "date", "2025-11-20"), UNLINK_R069], expect="warning", tokens=["bookings.csv", "R069", ("term", "left")], check=file_beside("out", "unpaid", "D011939")),
    case("payroll-rep-id-formula", "payroll", PAY, replace_id("book", "R080", '=HYPERLINK("x")'), expect="warning", tokens=["reps.csv", "=HYPERLINK"], check=csv_neutralised("out/pay.csv", "HYPERLINK")),
    case("payroll-cost-of-sales", "payroll", BACKTEST, scale_col(R, "target_incentive", 20), expect="warning", tokens=["cost of sales", "target incentive", "reps.csv"]),
    # --- output places ----------------------------------------------------------------------------
    case("out-payroll-is-bookings", "out", PAY.replace("{out}/pay.csv", "{book}/bookings.csv"), tokens=["--out", "bookings.csv"]),
    case("out-payroll-is-plan", "out", PAY.replace("{out}/pay.csv", "{plan}"), tokens=["--out", "baseline.yaml"]),
    case("out-payroll-is-scores", "out", PAY_MBO.replace("{out}/pay.csv", "{scores}"), tokens=["--out", "scores.csv"]),
    case("out-align-is-input", "out", ALIGN.replace("{out}/a.csv", "{align}/accounts.csv"), tokens=["--out", "accounts.csv"]),
    case("out-align-figure-is-input", "out", "align {align}/accounts.csv --territories 3 --out {out}/a.csv --figure {align}/accounts.csv", tokens=["--figure", "accounts.csv"]),
    case("out-curve-csv-is-plan", "out", CURVE + " --csv {plan}", tokens=["--csv", "baseline.yaml"]),
    case("out-fit-in-book", "out", FIT + " --out {book}/fit", tokens=["--out", "book"]),
    case("out-run-is-book", "out", "run {scen} --trials 20 --out {book}", tokens=["--out", "book"]),
    case("out-run-is-book-force", "out", "run {scen} --trials 20 --out {book} --force", tokens=["--out", ("field 'book'", "(book"), ("reads", "input")]),
    case("out-run-is-scenario", "out", "run {scen} --trials 20 --out {scen}", tokens=["--out", "base.yaml"]),
    case("out-quotas-is-targets", "out", QUOTAS_BU.replace("{out}/q.csv", "{targets}"), tokens=["--out", "targets.csv"]),
    case("out-quotas-in-scenario-book", "out", QUOTAS.replace("{out}/q.csv", "{book}/reps.csv --force"), tokens=["--out", "reps.csv", ("field 'book'", "(book", "the book"), ("reads", "input")]),
    case("out-quotas-is-scenario-targets", "out", QUOTAS_BU.replace("{out}/q.csv", "{targets} --force"), tokens=["--out", "targets.csv", ("reads", "input")]),
    case("out-capacity-is-config", "out", CAP + " --out {cap}", tokens=["--out", "inbound.yaml"]),
    case("out-run-at-file", "out", "run {scen} --trials 20 --out {ws}/notes.txt", notes(), tokens=["--out", NOTES]),
    case("out-fit-at-file", "out", FIT + " --out {ws}/notes.txt", notes(), tokens=["--out", NOTES]),
    case("out-capacity-at-file", "out", CAP + " --out {ws}/notes.txt", notes(), tokens=["--out", NOTES]),
    case("out-headcount-at-file", "out", HEAD + " --out {ws}/notes.txt", notes(), tokens=["--out", NOTES]),
    case("out-demo-at-file", "out", "demo --trials 20 --out {ws}/notes.txt", notes(), tokens=["--out", NOTES], bound=30.0),
    case("out-run-under-file", "out", "run {scen} --trials 20 --out {ws}/notes.txt/run", notes(), tokens=["--out", NOTES]),
    case("out-payroll-under-file", "out", PAY.replace("{out}", "{ws}/notes.txt"), notes(), tokens=["--out", NOTES]),
    case("out-align-under-file", "out", ALIGN.replace("{out}", "{ws}/notes.txt"), notes(), tokens=["--out", NOTES]),
    case("out-curve-under-file", "out", CURVE.replace("{out}", "{ws}/notes.txt"), notes(), tokens=["--out", NOTES]),
    case("out-backtest-in-proc", "out", BACKTEST + " --out /proc/spm_sim_matrix/bt.csv", tokens=["--out", "/proc/spm_sim_matrix"]),
    case("out-run-in-proc", "out", "run {scen} --trials 20 --out /proc/spm_sim_matrix/run", tokens=["--out", "/proc/spm_sim_matrix"]),
    case("out-payroll-over-earlier", "out", PAY, earlier("out/pay.csv"), tokens=["pay.csv", ("exist", "already", "earlier", "overwrite")]),
    case("out-run-over-earlier", "out", "run {scen} --trials 20 --out {ws}/earlier", earlier("earlier/report.html"), tokens=["earlier", ("exist", "already", "overwrite")]),
    case("out-fit-over-earlier", "out", FIT + " --out {ws}/earlier", earlier("earlier/parameters.csv"), tokens=["earlier", ("exist", "already", "overwrite")]),
    case("out-run-default-over-earlier", "out", "run {scen} --trials 20", earlier("reports/matrix/report.html"), expect="kept", tokens=["reports/matrix", "earlier run", "reports/matrix-2"], check=wrote_elsewhere("reports/matrix/report.html", "reports/matrix-2/report.html", "reports/matrix-2")),
    case("out-quotas-default-over-earlier", "out", "quotas {scen} --trials 100", earlier("quotas.csv"), expect="kept", tokens=["quotas.csv", "earlier run", "quotas-2.csv"], check=wrote_elsewhere("quotas.csv", "quotas-2.csv", "quotas-2.csv")),
    case("out-curve-at-folder", "out", "curve {plan} --out {ws}/fig.png", earlier("fig.png/keep.txt"), tokens=["--out", "fig.png"]),
    case("out-payroll-at-folder", "out", PAY.replace("{out}/pay.csv", "{ws}/pay.csv"), earlier("pay.csv/keep.txt"), tokens=["--out", "pay.csv"]),
    # --- options of the command line -----------------------------------------------------------
    case("run-trials-0", "cli", "run {scen} --trials 0 --out {out}/run", tokens=["--trials", "got 0"]),
    case("run-trials-1e9", "cli", "run {scen} --trials 1000000000 --out {out}/run", tokens=["--trials", "1000000000"]),
    case("run-trials-abc", "cli", "run {scen} --trials abc --out {out}/run", tokens=["--trials", "abc"]),
    case("run-trials-2.5", "cli", "run {scen} --trials 2.5 --out {out}/run", tokens=["--trials", "2.5"]),
    case("run-seed-negative", "cli", RUN + " --seed -1", tokens=["--seed", "got -1"]),
    case("run-seed-2**64", "cli", RUN + " --seed 18446744073709551616", tokens=["--seed", "18446744073709551616"]),
    case("run-workers-0", "cli", RUN + " --workers 0", tokens=["--workers", "got 0"]),
    case("run-workers-abc", "cli", RUN + " --workers abc", tokens=["--workers", "abc"]),
    case("run-missing-scenario", "cli", "run {ws}/nope.yaml --out {out}/run", tokens=["nope.yaml", "not found"]),
    case("run-scenario-is-a-folder", "cli", "run {ws}/scen --out {out}/run", tokens=["scen", "is a folder"]),
    case("demo-trials-0", "cli", "demo --trials 0 --out {out}/demo", tokens=["--trials", "got 0"]),
    case("check-missing-folder", "cli", "check {ws}/nobook", tokens=["nobook", "not found"]),
    case("check-a-file", "cli", "check {scores}", tokens=["scores.csv", "not a folder"]),
    case("curve-max-attainment-negative", "cli", CURVE + " --max-attainment -1", tokens=["--max-attainment", "got -1"]),
    case("curve-max-attainment-1e308", "cli", CURVE + " --max-attainment 1e308", tokens=["--max-attainment", E1E308]),
    case("curve-max-attainment-abc", "cli", CURVE + " --max-attainment abc", tokens=["--max-attainment", "abc"]),
    case("curve-quota-without-ti", "cli", CURVE + " --quota 1000000", tokens=["--quota", "--ti"]),
    case("curve-quota-zero", "cli", CURVE + " --quota 0 --ti 60000", tokens=["--quota", "got 0"]),
    case("curve-ti-abc", "cli", CURVE + " --quota 1000000 --ti abc", tokens=["--ti", "abc"]),
    case("curve-ti-1e308", "cli", CURVE + " --quota 1 --ti 1e308", tokens=["--ti", E1E308]),
    case("curve-out-jpg", "cli", "curve {plan} --out {out}/c.jpg", tokens=["--out", "c.jpg"]),
    case("curve-cost-of-sales-150", "cli", CURVE + " --quota 100000 --ti 150000", expect="warning", tokens=["cost of sales", "150"]),
    case("align-territories-0", "cli", ALIGN.replace("--territories 3", "--territories 0"), tokens=["--territories", "got 0"]),
    case("align-territories-negative", "cli", ALIGN.replace("--territories 3", "--territories -3"), tokens=["--territories", "got -3"]),
    case("align-territories-abc", "cli", ALIGN.replace("--territories 3", "--territories abc"), tokens=["--territories", "abc"]),
    case("align-territories-too-many", "cli", ALIGN.replace("--territories 3", "--territories 100000"), tokens=["territories", "100000"]),
    case("align-max-disruption-1.5", "cli", ALIGN + " --max-disruption 1.5", tokens=["--max-disruption", "1.5"]),
    case("align-time-limit-negative", "cli", ALIGN + " --time-limit -1", tokens=["--time-limit", "got -1"]),
    case("align-time-limit-nan", "cli", ALIGN + " --time-limit nan", tokens=["--time-limit", "nan"]),
    case("align-penalty-negative", "cli", ALIGN + " --current rep_id --penalty -5", tokens=["--penalty", "got -5"]),
    case("align-balance-negative", "cli", ALIGN + " --balance potential=-0.1", tokens=["--balance", "potential"]),
    case("align-balance-unknown-column", "cli", ALIGN + " --balance revenue=0.1", tokens=["accounts.csv", "'revenue'"]),
    case("align-homes-and-territories", "cli", ALIGN + " --homes {align}/homes.csv", tokens=["--homes", "--territories"]),
    case("align-current-unknown-column", "cli", ALIGN + " --current owner", tokens=["accounts.csv", "'owner'"]),
    case("align-seed-negative", "cli", ALIGN + " --seed -1", tokens=["--seed", "got -1"]),
    case("fit-plan-year-0", "cli", FIT.replace("2026", "0"), tokens=["--plan-year", "got 0"]),
    case("fit-plan-year-1850", "cli", FIT.replace("2026", "1850"), tokens=["--plan-year", "got 1850"]),
    case("fit-sims-5", "cli", FIT.replace("--sims 20", "--sims 5"), tokens=["--sims", "got 5"]),
    case("fit-sims-1e9", "cli", FIT.replace("--sims 20", "--sims 1000000000"), tokens=["--sims", "1000000000"]),
    case("fit-book-missing", "cli", "fit --book {ws}/nobook --plan-year 2026 --sims 20", tokens=["nobook", "not found"]),
    case("capacity-replications-0", "cli", CAP + " --replications 0", tokens=["--replications", "got 0"]),
    case("capacity-replications-1e6", "cli", CAP + " --replications 1000000", tokens=["replications", "1000000"]),
    case("capacity-workers-0", "cli", CAP + " --workers 0", tokens=["--workers", "got 0"]),
    case("capacity-seed-negative", "cli", CAP + " --seed -1", tokens=["--seed", "got -1"]),
    case("capacity-missing-config", "cli", "capacity {ws}/nope.yaml", tokens=["nope.yaml", "not found"]),
    case("headcount-share-1.5", "cli", HEAD + " --share 1.5", tokens=["share", "1.5"]),
    case("headcount-share-nan", "cli", HEAD + " --share nan", tokens=["share", "nan"]),
    case("headcount-max-utilisation-0", "cli", HEAD + " --max-utilisation 0", tokens=["utilisation", "got 0"]),
    case("headcount-within-negative", "cli", HEAD + " --within -1", tokens=["--within", "got -1"]),
    case("headcount-target-abc", "cli", HEAD + " --target within=abc", tokens=["--target", "abc"]),
    case("headcount-target-share-only", "cli", HEAD + " --target share=0.9", tokens=["within", "share"]),
    case("headcount-stage-unknown", "cli", HEAD + " --stage XYZ", tokens=["--stage", "XYZ"]),
    case("headcount-max-utilization-spelling", "cli", HEAD + " --max-utilization 0.85", expect="normalised", check=says("utilisation at most 85%"), note="the American spelling of the option is the same option"),
    case("quotas-trials-50", "cli", QUOTAS.replace("--trials 100", "--trials 50"), tokens=["--trials", "got 50"]),
    case("quotas-growth-abc", "cli", QUOTAS + " --growth abc", tokens=["--growth", "abc"]),
    case("quotas-growth-percent", "cli", QUOTAS + " --growth 12%", expect="normalised", check=says("(1 + 12.0%)"), note="12% reads as 0.12 (the scenario has 0.08)"),
    case("quotas-over-assignment-negative", "cli", QUOTAS + " --over-assignment -0.5", tokens=[("--over-assignment", "over_assignment"), "-0.5"]),
    case("quotas-probability-1.5", "cli", QUOTAS + " --method calibrated --probability 1.5", tokens=["probability", "1.5"]),
    case("quotas-calibrated-without-probability", "cli", QUOTAS + " --method calibrated", tokens=["calibrated", "probability"]),
    case("quotas-weights-abc", "cli", QUOTAS + " --weights history=abc", tokens=["--weights", "abc"]),
    case("quotas-history-weights-abc", "cli", QUOTAS + " --history-weights a,b", tokens=["--history-weights", "a,b"]),
    case("quotas-target-1e308", "cli", QUOTAS + " --target 1e308", tokens=["target", E1E308]),
    case("quotas-target-nan", "cli", QUOTAS + " --target nan", tokens=["target", "nan"]),
    case("quotas-compare-with-calibrated", "cli", QUOTAS + " --method calibrated --probability 0.6 --compare-over-assignment 0,5%", tokens=["--compare-over-assignment", "calibrated"]),
    case("quotas-figure-txt", "cli", QUOTAS + " --figure {out}/f.txt", tokens=["--figure", "f.txt"]),
    case("quotas-seed-negative", "cli", QUOTAS + " --seed -1", tokens=["--seed", "got -1"]),
    case("quotas-method-unknown", "cli", QUOTAS + " --method magic", tokens=["--method", "magic"]),
    # --- alignment inputs (align UNITS.csv, --homes) ------------------------------------------------
    case("align-units-missing", "align", ALIGN, remove(AA), tokens=["accounts.csv", "not found"]),
    case("align-lat-abc", "align", ALIGN, cell(AA, 2, "lat", "abc"), tokens=["accounts.csv", ("row 2", "line 2"), "lat", "abc"]),
    case("align-lat-200", "align", ALIGN, cell(AA, 2, "lat", "200"), tokens=["accounts.csv", ("row 2", "line 2"), "lat", "200"]),
    case("align-potential-1e308", "align", ALIGN, cell(AA, 2, "potential", "1e308"), tokens=["accounts.csv", ("row 2", "line 2"), "potential", E1E308]),
    case("align-potential-nan", "align", ALIGN, cell(AA, 2, "potential", "nan"), tokens=["accounts.csv", ("row 2", "line 2"), "potential", "nan"]),
    case("align-potential-negative", "align", ALIGN, cell(AA, 2, "potential", "-5"), tokens=["accounts.csv", ("row 2", "line 2"), "potential", "value -5 is"]),
    case("align-duplicate-row", "align", ALIGN, dup_line(AA, 2), tokens=["accounts.csv", "account_id", "A00115", ("rows [2, 47]", "rows 2 and 47")]),
    case("align-empty-file", "align", ALIGN, keep_lines(AA, 0), tokens=["accounts.csv", ("no columns", "empty")]),
    case("align-header-only", "align", ALIGN, keep_lines(AA, 1), tokens=["accounts.csv", ("empty", "no rows")]),
    case("align-semicolons", "align", ALIGN, delimiter(AA, ";"), tokens=["accounts.csv", "lat and lon"]),
    case("align-id-formula", "align", ALIGN, cell(AA, 2, "account_id", '=HYPERLINK("x")'), expect="normalised", check=csv_neutralised("out/a.csv", "HYPERLINK"), note="a formula-like id is written as text in the alignment CSV"),
    case("align-homes-no-coordinates", "align", ALIGN_H, [drop_col(AH, "home_lat"), drop_col(AH, "home_lon")], tokens=["homes.csv", ("lat", "home_lat")]),
    case("align-homes-duplicate-rep", "align", ALIGN_H, dup_line(AH, 2), tokens=["homes.csv", "R001"]),
    case("align-homes-lat-abc", "align", ALIGN_H, cell(AH, 2, "home_lat", "abc"), tokens=["homes.csv", "home_lat", "abc"]),
    case("align-homes-empty-file", "align", ALIGN_H, keep_lines(AH, 0), tokens=["homes.csv", ("no columns", "empty")]),
    case("align-homes-missing", "align", ALIGN_H, remove(AH), tokens=["homes.csv", "not found"]),
    # --- capacity configuration ----------------------------------------------------------------------
    case("cap-leads-negative", "capacity", CAP, sub(CY, "leads_per_year: 450 ", "leads_per_year: -5 "), tokens=["inbound.yaml", "leads_per_year", "got -5"]),
    case("cap-leads-1e308", "capacity", CAP, sub(CY, "leads_per_year: 450 ", "leads_per_year: 1.0e+308 "), tokens=["inbound.yaml", "leads_per_year", E1E308]),
    case("cap-leads-inf", "capacity", CAP, sub(CY, "leads_per_year: 450 ", "leads_per_year: .inf "), tokens=["inbound.yaml", "leads_per_year", "inf"]),
    case("cap-leads-abc", "capacity", CAP, sub(CY, "leads_per_year: 450 ", "leads_per_year: abc "), tokens=["inbound.yaml", "leads_per_year", "abc"]),
    case("cap-reps-0", "capacity", CAP, sub(CY, "reps: 1 ", "reps: 0 "), tokens=["inbound.yaml", "reps", "got 0"]),
    case("cap-reps-1.5", "capacity", CAP, sub(CY, "reps: 1 ", "reps: 1.5 "), tokens=["inbound.yaml", "reps", "1.5"]),
    case("cap-seasonality-11", "capacity", CAP, sub(CY, "seasonality: [1.05, 1.05, ", "seasonality: [1.05, "), tokens=["inbound.yaml", "seasonality", "got 11"]),
    case("cap-key-typo", "capacity", CAP, sub(CY, "replications: 2 ", "replicatons: 2 "), tokens=["inbound.yaml", "replicatons", "replications"]),
    case("cap-alias-bomb", "capacity", CAP, append(CY, yaml_bomb()), tokens=["inbound.yaml", "alias"], bound=1.0),
    case("cap-deep-nest", "capacity", CAP, append(CY, f"notes: {yaml_deep()}\n"), tokens=["inbound.yaml", DEEP], bound=1.0),
    case("cap-effort-zero", "capacity", CAP, sub(CY, "effort_hours: 0.2 ", "effort_hours: 0 "), tokens=["inbound.yaml", "effort_hours", "got 0"]),
    case("cap-conversion-1.5", "capacity", CAP, sub(CY, "conversion: 0.30 ", "conversion: 1.5 "), tokens=["inbound.yaml", "conversion", "1.5"]),
    case("cap-hours-per-day-25", "capacity", CAP, sub(CY, "hours_per_day: 8 ", "hours_per_day: 25 "), tokens=["inbound.yaml", "hours_per_day", "got 25"]),
    case("cap-rep-cost-negative", "capacity", CAP, sub(CY, "rep_cost: 95000 ", "rep_cost: -5 "), tokens=["inbound.yaml", "rep_cost", "got -5"]),
    case("cap-deal-size-1e308", "capacity", CAP, sub(CY, "deal_size: 20000 ", "deal_size: 1.0e+308 "), tokens=["inbound.yaml", "deal_size", E1E308]),
    case("cap-routing-typo", "capacity", CAP, sub(CY, "routing: shortest_queue", "routing: shortest"), tokens=["inbound.yaml", "routing", "shortest"]),
    case("cap-year-1850", "capacity", CAP, sub(CY, "year: 2026 ", "year: 1850 "), tokens=["inbound.yaml", "year", "1850"]),
    case("cap-target-share-1", "capacity", HEAD, sub(CY, "share: 0.9 ", "share: 1.0 "), tokens=["inbound.yaml", "share", ("got 1.0", "got 1)")]),
    case("cap-duplicate-key", "capacity", CAP, append(CY, "seed: 1\n"), tokens=["inbound.yaml", "seed", DUPLICATE]),
    case("cap-empty", "capacity", CAP, sub_re(CY, r".*", ""), tokens=["inbound.yaml", "mapping", ("empty", "NoneType")]),
    case("cap-bom", "capacity", CAP, prefix_bytes(CY, BOM), expect="normalised", check=says("600 leads a year"), note="the byte order mark is stripped"),
]
# fmt: on

#: The cases run: the table, then the ``--strict`` twin of every warning case.
ALL = [*CASES, *(c.strict_twin() for c in CASES if c.expect == "warning")]


def _stdout_of(argv: list[str]) -> str:
    """The standard output of a command on the unchanged inputs (a reference)."""
    import warnings

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            status = main(argv)
    assert status == 0, f"the unchanged inputs fail: spm-sim {' '.join(argv)}: {err.getvalue()}"
    return out.getvalue()


@pytest.fixture(scope="module")
def master(tmp_path_factory) -> Iterator[tuple[Path, dict, tuple[Path, dict]]]:
    """The inputs every case copies, built once, and the outputs of the unchanged ones.

    Printed on a wide terminal, as every case is: the checks compare whole lines.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLUMNS", "1000")
        yield _master(tmp_path_factory)


def _master(tmp_path_factory) -> tuple[Path, dict, tuple[Path, dict]]:
    for name in ("book", "comp", "scenario", "quota", "capacity", "territory", "actuals"):
        importlib.import_module(f"spm_sim.{name}")  # imports are not the cases' time
    root = tmp_path_factory.mktemp("matrix") / "master"
    root.mkdir()
    _build_master(root)
    pristine = root.parent / "pristine"
    shutil.copytree(root, pristine)
    check = _stdout_of(["check", str(root / "book")]).replace(str(root), "<WS>")

    def paid(plan: str, *more: str) -> tuple[str, bytes]:
        """The control totals line and the payroll file of the unchanged inputs."""
        out = root.parent / "refs" / Path(plan).stem / "pay.csv"
        text = _stdout_of(
            ["payouts", str(root / plan), "--book", str(root / "book"), "--year", "2025"]
            + [*more, "--out", str(out)]
        )
        (line,) = [ln for ln in text.splitlines() if ln.startswith(TOTALS)]
        return line, out.read_bytes()

    refs = {
        "check": check.splitlines(),
        "payouts": paid(PLACES["plan"]),
        "payouts_mbo": paid(PLACES["mbo"], "--scores", str(root / "scores.csv")),
    }
    return root, refs, (pristine, fingerprints(root))


def test_the_matrix_covers_every_input_and_expectation():
    ids = [c.id for c in ALL]
    assert len(ids) == len(set(ids)), "two cases share an id"
    assert len(CASES) >= 160
    areas = {c.area for c in CASES}
    assert areas == {
        "book",
        "plan",
        "scenario",
        "quota",
        "scores",
        "payroll",
        "out",
        "cli",
        "align",
        "capacity",
    }
    assert {c.expect for c in CASES} == {"error", "warning", "normalised", "kept"}
    # a message names the place and what is wrong: at least two tokens, none of them
    # so short ("0", "-1", "5") that any message holds it
    assert [c.id for c in ALL if c.expect != "normalised" and len(c.tokens) < 2] == []
    short = [
        (c.id, t)
        for c in ALL
        for token in c.tokens
        for t in ((token,) if isinstance(token, str) else token)
        if len(t.strip()) <= 2
    ]
    assert short == []
    assert all(c.check and c.note for c in CASES if c.expect == "normalised")


@pytest.mark.parametrize("c", ALL, ids=[c.id for c in ALL])
def test_bad_input(c: Case, master, tmp_path, capsys, monkeypatch):
    root, refs, (pristine, prints) = master
    ws = tmp_path / "ws"
    copy_workspace(root, ws, needs_book(c))
    if c.mutate is not None:
        c.mutate(ws)
    before = fingerprints(ws)
    monkeypatch.chdir(ws)
    # a wide terminal: the checks read whole messages, not how they wrap at 80 columns
    monkeypatch.setenv("COLUMNS", "1000")
    capsys.readouterr()
    outcome = execute(_argv_of(c, ws), c.bound, capsys)
    outcome.ws, outcome.refs = ws, refs
    found = problems(c, outcome, before)
    heal(root, pristine, prints)  # a file written in place is among `found` already
    assert not found, f"[{c.area}] {c.id}: " + " | ".join(found)


def test_the_checks_report_what_they_look_for(master, tmp_path, capsys):
    """The checks are not lenient: a clean run expected to fail or to warn or to say
    where it wrote instead, a missing token, a token found only in the workspace's
    path (which holds the case's id), an overrun, a changed input and a payroll a few
    cents off are each reported; the clean run passes as the normalisation it is."""
    root, refs, _ = master
    ws = tmp_path / "ws"
    copy_workspace(root, ws, True)
    before = fingerprints(ws)
    clean = case("clean", "book", CHECK, tokens=["reps.csv"])
    o = execute(_argv_of(clean, ws), 15.0, capsys)
    o.ws, o.refs = ws, refs
    assert (
        problems(replace(clean, expect="normalised", check=same_output("check")), o, before) == []
    )
    assert "got exit 0" in problems(clean, o, before)[0]
    assert "got none" in problems(replace(clean, expect="warning"), o, before)[0]
    kept = replace(clean, expect="kept", check=wrote_elsewhere("x.csv", "x-2.csv", "x-2.csv"))
    assert [p.split(":")[0] for p in problems(kept, o, before)] == [
        "wrote elsewhere without a note naming ['reps.csv']",
        "the new output x-2.csv was not written",
    ]
    slow = replace(clean, expect="normalised", check=None, bound=0.001)
    assert any("bound" in p for p in problems(slow, o, before))
    bad = case(
        "bad", "book", CHECK, cell(B, 2, "amount", "abc"), tokens=["bookings.csv", "no-such-word"]
    )
    assert bad.mutate is not None
    bad.mutate(ws)
    before = fingerprints(ws)
    o = execute(_argv_of(bad, ws), 15.0, capsys)
    o.ws, o.refs = ws, refs
    assert "does not name ['no-such-word']" in problems(bad, o, before)[0]
    in_path = replace(bad, tokens=("bookings.csv", tmp_path.name))
    assert f"does not name ['{tmp_path.name}']" in problems(in_path, o, before)[0]
    cell(R, 2, "name", "Someone Else")(ws)  # as if the command had written an input
    assert any("changed pre-existing file(s): book/reps.csv" in p for p in problems(bad, o, before))
    # one dollar more on a 2025 deal: the rounded "reps paid" line stays, the payroll not
    ws = tmp_path / "ws2"
    copy_workspace(root, ws, True)
    cell(B, DEAL_R069, "amount", "51888.18", was="51887.18")(ws)
    pay = case("pay", "payroll", PAY, expect="normalised", check=same_payroll("payouts"))
    o = execute(_argv_of(pay, ws), 15.0, capsys)
    o.ws, o.refs = ws, refs
    assert o.status == 0 and " reps paid $7.07M on $123M " in o.out
    assert problems(pay, o, fingerprints(ws))[0].startswith(f"expected {refs['payouts'][0]!r}")
