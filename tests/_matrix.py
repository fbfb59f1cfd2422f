"""The machinery of the bad-input matrix (``tests/test_bad_inputs.py``).

A :class:`Case` is one row of the matrix: a mutation of a copy of the sample inputs,
the ``spm-sim`` command run on it in-process, and what must come out of it. This
module holds the case type, the mutation helpers (set a CSV cell, duplicate a row,
drop or rename a column, replace text in a YAML file, re-encode a file ...), the
workspace the cases copy, and :func:`run_case`, which runs the command under a time
bound and returns every broken expectation as one line each.

Placeholders in a case's command (``{book}``, ``{plan}``, ``{scen}`` ...) name the
files of the copied workspace; see :data:`PLACES`.
"""

from __future__ import annotations

import csv
import faulthandler
import hashlib
import io
import os
import re
import shlex
import shutil
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from spm_sim.cli.app import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

#: Where each placeholder of a command points, relative to the workspace.
PLACES = {
    "book": "book",
    "plans": "plans",
    "plan": "plans/baseline.yaml",
    "plan_b": "plans/accelerated.yaml",
    "mbo": "plans/mbo.yaml",
    "scen": "scen/base.yaml",
    "scen_bu": "scen/bottom_up.yaml",
    "cap": "cap/inbound.yaml",
    "scores": "scores.csv",
    "targets": "targets.csv",
    "align": "align",
    "out": "out",  # not in the workspace: a fresh output folder
}

#: The placeholders whose commands read the sample book (the only large input).
_NEEDS_BOOK = ("{book}", "{scen}", "{scen_bu}")

#: The bound on a command's run time, seconds (a busy 2-core machine, small sizes).
BOUND = 15.0

Mutation = Callable[[Path], None]
Token = str | tuple[str, ...]
Check = Callable[["Outcome"], str | None]


@dataclass(frozen=True)
class Case:
    """One row of the matrix.

    Attributes
    ----------
    id, area : str
        The pytest id and the group the report puts it in.
    argv : str
        The command after ``spm-sim``, split like a shell line, with placeholders.
    mutate : callable or None
        Changes the copied workspace (one mutation of the sample inputs).
    expect : {"error", "warning", "normalised", "kept"}
        ``error``: exit status 2, one error line naming ``tokens``. ``warning``: exit
        0 and a ``spm-sim: warning:`` line naming ``tokens`` (its ``--strict`` twin is
        generated as an error case). ``normalised``: exit 0, ``check`` passes (the
        normalisation ``note`` names). ``kept``: an earlier output is refused (as an
        error naming ``tokens``) or left alone with the new output written elsewhere
        (exit 0, a ``spm-sim: note:`` line naming ``tokens``, and ``check``).
    tokens : tuple
        Strings the message must contain (case-insensitive), each more than two
        characters: a value in its context (``"got 0"``), not a bare ``"0"`` that
        any message holds; a tuple of strings is one token with alternatives. The
        workspace's path is taken out of the message first (it holds the case's id).
    check : callable or None
        Extra check on the outcome; returns the problem or None.
    bound : float
        Seconds the command may take.
    book : bool
        Copy the sample book even when no placeholder of the command reads it.
    """

    id: str
    area: str
    argv: str
    mutate: Mutation | None = None
    expect: str = "error"
    tokens: tuple[Token, ...] = ()
    check: Check | None = None
    note: str = ""
    bound: float = BOUND
    book: bool = False

    def strict_twin(self) -> Case:
        """The same case under ``--strict``: the warning becomes an error."""
        return replace(self, id=self.id + "-strict", argv=self.argv + " --strict", expect="error")


def case(
    id: str,
    area: str,
    argv: str,
    mutate: Mutation | Iterable[Mutation] | None = None,
    expect: str = "error",
    tokens: Iterable[Token] = (),
    **more: Any,
) -> Case:
    """A :class:`Case`; ``mutate`` may be a list of mutations applied in order."""
    if mutate is not None and not callable(mutate):
        mutate = seq(*mutate)
    return Case(id, area, argv, mutate, expect, tuple(tokens), **more)


# --------------------------------------------------------------------------- mutations


def seq(*mutations: Mutation) -> Mutation:
    """Apply several mutations in order."""

    def apply(ws: Path) -> None:
        for m in mutations:
            m(ws)

    return apply


def _put(path: Path, data: str | bytes) -> None:
    """Write ``path`` as a new file: the workspace's files are hard links to the master
    copy, so a file is unlinked before it is written, never written through."""
    if path.exists() or path.is_symlink():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _write_rows(path: Path, rows: list[list[str]], delimiter: str = ",") -> None:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    _put(path, buf.getvalue())


def cell(rel: str, line: int, column: str, value: str, was: str | None = None) -> Mutation:
    """Set the cell of CSV ``rel`` on ``line`` (header = line 1) in ``column``.

    ``was`` asserts the sample's value first, so a changed sample fails loudly.
    """

    def apply(ws: Path) -> None:
        path = ws / rel
        rows = _rows(path)
        j = rows[0].index(column)
        if was is not None:
            assert rows[line - 1][j] == was, f"{rel} line {line} {column}: {rows[line - 1][j]!r}"
        rows[line - 1][j] = value
        _write_rows(path, rows)

    return apply


def dup_line(rel: str, line: int) -> Mutation:
    """Append a copy of ``line`` of CSV ``rel`` at its end."""

    def apply(ws: Path) -> None:
        path = ws / rel
        rows = _rows(path)
        _write_rows(path, [*rows, list(rows[line - 1])])

    return apply


def add_row(rel: str, **values: str) -> Mutation:
    """Append a row to CSV ``rel``: ``values`` by column, the other cells copied from line 2."""

    def apply(ws: Path) -> None:
        path = ws / rel
        rows = _rows(path)
        new = list(rows[1])
        for name, value in values.items():
            new[rows[0].index(name)] = value
        _write_rows(path, [*rows, new])

    return apply


def drop_col(rel: str, column: str) -> Mutation:
    """Remove ``column`` from CSV ``rel``."""

    def apply(ws: Path) -> None:
        path = ws / rel
        rows = _rows(path)
        j = rows[0].index(column)
        _write_rows(path, [r[:j] + r[j + 1 :] for r in rows])

    return apply


def rename_col(rel: str, old: str, new: str) -> Mutation:
    """Rename ``old`` to ``new`` in the header of CSV ``rel``."""

    def apply(ws: Path) -> None:
        path = ws / rel
        rows = _rows(path)
        rows[0][rows[0].index(old)] = new
        _write_rows(path, rows)

    return apply


def replace_id(folder: str, old: str, new: str) -> Mutation:
    """Replace the cell ``old`` by ``new`` in every CSV of ``folder`` (an id everywhere)."""

    def apply(ws: Path) -> None:
        for path in sorted((ws / folder).glob("*.csv")):
            rows = _rows(path)
            _write_rows(path, [[new if c == old else c for c in r] for r in rows])

    return apply


def keep_lines(rel: str, n: int) -> Mutation:
    """Keep the first ``n`` lines of ``rel`` (``n=1``: the header only)."""

    def apply(ws: Path) -> None:
        path = ws / rel
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        _put(path, "".join(lines[:n]))

    return apply


def drop_rows(rel: str, keep: Callable[[dict[str, str]], bool]) -> Mutation:
    """Keep only the rows of CSV ``rel`` for which ``keep(row as a dict)`` is true."""

    def apply(ws: Path) -> None:
        path = ws / rel
        rows = _rows(path)
        head = rows[0]
        _write_rows(path, [head, *[r for r in rows[1:] if keep(dict(zip(head, r, strict=True)))]])

    return apply


def book_as_of(folder: str, day: str) -> Mutation:
    """Replace the book in ``folder`` by the book as exported on ``day`` (``as_of``)."""

    def apply(ws: Path) -> None:
        from spm_sim.book import as_of, load_book, save_book

        save_book(as_of(load_book(ws / folder), day), ws / folder, force=True)

    return apply


def delimiter(rel: str, sep: str) -> Mutation:
    """Rewrite CSV ``rel`` with ``sep`` between cells (Excel's ';' in some locales)."""

    def apply(ws: Path) -> None:
        path = ws / rel
        _write_rows(path, _rows(path), delimiter=sep)

    return apply


def sub(rel: str, old: str, new: str, count: int = 1) -> Mutation:
    """Replace the text ``old`` by ``new`` in ``rel`` (``count`` times; 0: all)."""

    def apply(ws: Path) -> None:
        path = ws / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{rel} has no {old!r}"
        _put(path, text.replace(old, new, count or -1))

    return apply


def sub_re(rel: str, pattern: str, new: str) -> Mutation:
    """Replace the first match of the regular expression ``pattern`` (DOTALL) in ``rel``."""

    def apply(ws: Path) -> None:
        path = ws / rel
        text = path.read_text(encoding="utf-8")
        changed, n = re.subn(pattern, lambda _m: new, text, count=1, flags=re.S)
        assert n == 1, f"{rel} has no match of {pattern!r}"
        _put(path, changed)

    return apply


def scale_col(rel: str, column: str, factor: float) -> Mutation:
    """Multiply every number of ``column`` in CSV ``rel`` by ``factor``."""

    def apply(ws: Path) -> None:
        path = ws / rel
        rows = _rows(path)
        j = rows[0].index(column)
        for r in rows[1:]:
            r[j] = f"{float(r[j]) * factor:.2f}"
        _write_rows(path, rows)

    return apply


def write(rel: str, data: str | bytes) -> Mutation:
    """Write ``rel`` whole (text as UTF-8)."""

    def apply(ws: Path) -> None:
        _put(ws / rel, data)

    return apply


def append(rel: str, text: str) -> Mutation:
    """Append ``text`` to ``rel``."""

    def apply(ws: Path) -> None:
        path = ws / rel
        _put(path, path.read_text(encoding="utf-8") + text)

    return apply


def prefix_bytes(rel: str, data: bytes) -> Mutation:
    """Put ``data`` before the bytes of ``rel`` (a byte order mark)."""

    def apply(ws: Path) -> None:
        path = ws / rel
        _put(path, data + path.read_bytes())

    return apply


def recode(rel: str, encoding: str) -> Mutation:
    """Re-encode ``rel`` from UTF-8 to ``encoding`` (Latin-1, UTF-16 ...)."""

    def apply(ws: Path) -> None:
        path = ws / rel
        _put(path, path.read_text(encoding="utf-8").encode(encoding))

    return apply


def crlf(rel: str) -> Mutation:
    """Windows line ends in ``rel``."""

    def apply(ws: Path) -> None:
        path = ws / rel
        _put(path, path.read_bytes().replace(b"\n", b"\r\n"))

    return apply


def remove(rel: str) -> Mutation:
    """Delete ``rel``."""

    def apply(ws: Path) -> None:
        (ws / rel).unlink()

    return apply


_ID_COLUMNS = ("deal_id", "account_id", "rep_id", "opportunity_id", "unit_id", "home_unit")


def to_parquet(rel: str, keep_csv: bool = False) -> Mutation:
    """Replace CSV ``rel`` by a Parquet file of the same table (dates as dates);
    ``keep_csv`` leaves the CSV beside it."""

    def apply(ws: Path) -> None:
        path = ws / rel
        frame = pd.read_csv(path, dtype={c: str for c in _ID_COLUMNS})
        for col in frame.columns:
            if col == "date" or col.endswith("_date"):
                frame[col] = pd.to_datetime(frame[col])
        frame.to_parquet(path.with_suffix(".parquet"), engine="pyarrow", index=False)
        if not keep_csv:
            path.unlink()

    return apply


def parquet_cell(rel: str, index: int, column: str, value: Any) -> Mutation:
    """Set row ``index`` (from 0) of ``column`` in Parquet file ``rel``."""

    def apply(ws: Path) -> None:
        path = ws / rel
        frame = pd.read_parquet(path, engine="pyarrow")
        frame.loc[index, column] = value
        path.unlink()
        frame.to_parquet(path, engine="pyarrow", index=False)

    return apply


def yaml_bomb(levels: int = 7, width: int = 9) -> str:
    """A few hundred bytes of YAML whose aliases expand to ``width ** levels`` values."""
    lines = ["b0: &b0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"b{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def yaml_deep(depth: int = 3000) -> str:
    """A value nested ``depth`` lists deep, in flow style."""
    return "[" * depth + "1" + "]" * depth


# --------------------------------------------------------------------------- the workspace


def build_master(root: Path) -> None:
    """The inputs every case copies: the sample book, plans, a scenario, a small capacity
    configuration, MBO scores, bottom-up targets and an alignment input (all from the
    sample files)."""
    shutil.copytree(SAMPLE, root / "book")
    plans = root / "plans"
    plans.mkdir()
    for name in ("baseline.yaml", "accelerated.yaml"):
        shutil.copy(ROOT / "data" / "plans" / name, plans / name)
    # the SDR plan's MBO, for the AEs of the sample book
    sdr = (ROOT / "data" / "plans" / "sdr_recoverable_draw.yaml").read_text(encoding="utf-8")
    (plans / "mbo.yaml").write_text(sdr.replace("role: SDR", "role: AE"), encoding="utf-8")
    scen = root / "scen"
    scen.mkdir()
    (scen / "base.yaml").write_text(
        "name: matrix\n"
        "book: ../book\n"
        "plan: ../plans/baseline.yaml\n"
        "plan_year: 2026\n"
        "quota:\n"
        "  method: history\n"
        "  growth: 0.08\n"
        "  over_assignment: 0.05\n"
        "trials: 20\n"
        "seed: 7\n",
        encoding="utf-8",
    )
    (scen / "bottom_up.yaml").write_text(
        "name: matrix bottom-up\n"
        "book: ../book\n"
        "plan: ../plans/baseline.yaml\n"
        "plan_year: 2026\n"
        "quota:\n"
        "  method: bottom_up\n"
        "  targets: ../targets.csv\n"
        "trials: 100\n"
        "seed: 7\n",
        encoding="utf-8",
    )
    # the sample funnel at a tenth of its volume and team, two replications: seconds
    cap = (ROOT / "data" / "capacity" / "inbound.yaml").read_text(encoding="utf-8")
    for old, new in (
        ("leads_per_year: 45000", "leads_per_year: 450"),
        ("leads_per_year: 15000", "leads_per_year: 150"),
        ("reps: 12 ", "reps: 1 "),
        ("reps: 80 ", "reps: 2 "),
        ("replications: 20 ", "replications: 2 "),
    ):
        assert old in cap, old
        cap = cap.replace(old, new)
    (root / "cap").mkdir()
    (root / "cap" / "inbound.yaml").write_text(cap, encoding="utf-8")
    reps = pd.read_csv(SAMPLE / "reps.csv", dtype=str)
    hire, term = reps["hire_date"], reps["term_date"].fillna("9999-12-31")
    # reps employed at some time in 2025 (paid that year), in 2026 (on quota)
    paid = reps.loc[(hire <= "2025-12-31") & (term >= "2025-01-01"), "rep_id"]
    scores = [(r, f"2025-{m:02d}", "mbo_score", "1.0") for r in paid for m in (3, 6, 9, 12)]
    pd.DataFrame(scores, columns=["rep_id", "period", "measure", "score"]).to_csv(
        root / "scores.csv", index=False
    )
    current = reps.loc[term >= "2026-01-01", "rep_id"]
    pd.DataFrame({"rep_id": current, "target": 1_500_000}).to_csv(root / "targets.csv", index=False)
    align = root / "align"
    align.mkdir()
    keep = reps[reps["region"] == "West"].head(3)
    left = reps[reps["term_date"].notna()].head(1)
    pd.concat([keep, left]).to_csv(align / "homes.csv", index=False)
    acc = pd.read_csv(SAMPLE / "accounts.csv", dtype=str)
    acc = acc[acc["rep_id"].isin(keep["rep_id"])].groupby("rep_id").head(15)
    acc.to_csv(align / "accounts.csv", index=False)


def copy_workspace(master: Path, ws: Path, with_book: bool) -> None:
    """Copy the master inputs to ``ws`` as hard links (the sample book only when the
    case reads it). Mutations write new files (:func:`_put`); a command that writes
    into an input in place shows as a changed file, and :func:`heal` repairs the
    master afterwards."""
    shutil.copytree(
        master,
        ws,
        ignore=None if with_book else shutil.ignore_patterns("book"),
        copy_function=os.link,
    )


def heal(master: Path, pristine: Path, prints: dict[str, str]) -> list[str]:
    """Restore the files of ``master`` that differ from ``prints`` (written through a
    hard link by a command) from ``pristine``; returns their names."""
    now = fingerprints(master)
    bad = sorted(p for p, h in prints.items() if now.get(p) != h)
    for rel in bad:
        target = master / rel
        if target.exists():
            target.unlink()
        shutil.copy2(pristine / rel, target)
    return bad


def fingerprints(ws: Path) -> dict[str, str]:
    """sha256 of every file under ``ws``, by relative path."""
    return {
        str(p.relative_to(ws)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(ws.rglob("*"))
        if p.is_file()
    }


def argv_of(c: Case, ws: Path) -> list[str]:
    """The command of case ``c`` with the workspace's paths filled in."""
    places = {k: str(ws / v) for k, v in PLACES.items()} | {"ws": str(ws)}
    return [part.format(**places) for part in shlex.split(c.argv)]


def needs_book(c: Case) -> bool:
    """Whether case ``c`` reads the sample book (a copy of it is made)."""
    return c.book or any(p in c.argv for p in _NEEDS_BOOK)


# --------------------------------------------------------------------------- running


class Hung(BaseException):
    """Raised by the alarm when a command runs past its bound (not an OSError, so
    ``main`` does not turn it into an error message)."""


@dataclass
class Outcome:
    """What a command did: exit status, output, time, and what escaped ``main``."""

    ws: Path
    argv: list[str]
    status: int | None = None
    out: str = ""
    err: str = ""
    seconds: float = 0.0
    escaped: str = ""  # the last line of a traceback that left main()
    hung: bool = False
    refs: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return self.out + self.err


def _on_alarm(signum: int, frame: Any) -> None:
    raise Hung()


def execute(argv: list[str], bound: float, capsys: Any) -> Outcome:
    """Run ``main(argv)`` in-process under an alarm of ``bound`` seconds.

    Warnings are shown as the installed command shows them (pytest's filters, which
    turn the package's warnings into errors, are set aside): the CLI's own handling
    is what is tested. A hang in Python code is cut by the alarm; one inside C code
    by faulthandler, which ends the test process after a generous margin.
    """
    outcome = Outcome(ws=Path(), argv=argv)
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, bound)
    faulthandler.dump_traceback_later(bound + 120, exit=True, file=sys.__stderr__)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.resetwarnings()
            warnings.simplefilter("default")
            status = main(argv)
        outcome.status = status
    except SystemExit as exc:  # argparse's errors and --help
        code = exc.code
        outcome.status = code if isinstance(code, int) else (0 if code is None else 1)
    except Hung:
        outcome.hung = True
    except BaseException:  # noqa: BLE001 - anything leaving main() is a finding
        lines = traceback.format_exc().strip().splitlines()
        outcome.escaped = lines[-1] if lines else "an exception"
    finally:
        outcome.seconds = time.perf_counter() - start
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        faulthandler.cancel_dump_traceback_later()
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
    captured = capsys.readouterr()
    outcome.out, outcome.err = captured.out, captured.err
    return outcome


_ERROR_LINE = re.compile(r"^spm-sim(?: [\w-]+)?: error: ", re.M)
_WARNING_LINE = "spm-sim: warning:"
_NOTE_LINE = "spm-sim: note:"
_PY_WARNING = re.compile(r"^(?!spm-sim).*\b\w+Warning: ", re.M)


def _missing(text: str, tokens: Iterable[Token]) -> list[str]:
    low = text.lower()
    gone = []
    for token in tokens:
        options = (token,) if isinstance(token, str) else token
        if not any(o.lower() in low for o in options):
            gone.append(" | ".join(options))
    return gone


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


def _error_problems(c: Case, o: Outcome) -> list[str]:
    lines = _ERROR_LINE.findall(o.err)
    if o.status == 0:
        shown = [ln for ln in o.err.splitlines() if ln.startswith(_WARNING_LINE)]
        got = f"; it warned: {_short(_relative(shown[0], o.ws), 120)}" if shown else ""
        return [f"expected an error naming {list(c.tokens)}, got exit 0{got}"]
    if o.status != 2:
        return [f"expected exit status 2 for an error, got {o.status}: {_short(o.err)}"]
    if len(lines) != 1:
        return [f"expected one error line, got {len(lines)} (exit {o.status}): {_short(o.err)}"]
    start = _ERROR_LINE.search(o.err)
    assert start is not None
    message = "\n".join(
        ln for ln in o.err[start.start() :].splitlines() if not ln.startswith(_WARNING_LINE)
    )
    gone = _missing(_relative(message, o.ws), c.tokens)
    if gone:
        return [f"error does not name {gone}: {_short(_relative(message, o.ws))}"]
    return []


def _warning_problems(c: Case, o: Outcome) -> list[str]:
    if o.status != 0:
        return [f"expected exit 0 with a warning, got exit {o.status}: {_short(o.err)}"]
    warned = [_relative(ln, o.ws) for ln in o.err.splitlines() if ln.startswith(_WARNING_LINE)]
    if not warned:
        return [f"expected a warning naming {list(c.tokens)}, got none (silent, exit 0)"]
    if all(_missing(ln, c.tokens) for ln in warned):
        best = min(warned, key=lambda ln: len(_missing(ln, c.tokens)))
        return [f"no warning names {_missing(best, c.tokens)}: {_short(best)}"]
    return []


def _note_problems(c: Case, o: Outcome) -> list[str]:
    """Exit 0 of a ``kept`` case: a note must say where the output went instead."""
    notes = [_relative(ln, o.ws) for ln in o.err.splitlines() if ln.startswith(_NOTE_LINE)]
    if not notes:
        return [f"wrote elsewhere without a note naming {list(c.tokens)}: {_short(o.err)}"]
    if all(_missing(ln, c.tokens) for ln in notes):
        best = min(notes, key=lambda ln: len(_missing(ln, c.tokens)))
        return [f"no note names {_missing(best, c.tokens)}: {_short(best)}"]
    return []


def _check_problems(c: Case, o: Outcome) -> list[str]:
    if c.check is None:
        return []
    problem = c.check(o)
    return [problem] if problem else []


def problems(c: Case, o: Outcome, before: dict[str, str]) -> list[str]:
    """Every broken expectation of case ``c``, one line each (empty: the case passes)."""
    found: list[str] = []
    if o.escaped:
        found.append(f"exception escaped main(): {_short(o.escaped, 140)}")
    if o.hung:
        found.append(f"hung: still running after {c.bound:g} s")
    elif o.seconds > c.bound:
        found.append(f"took {o.seconds:.1f} s (bound {c.bound:g} s)")
    if "Traceback" in o.err or "Traceback" in o.out:
        found.append("printed a traceback")
    stray = _PY_WARNING.findall(o.err)
    if stray:
        found.append(f"a Python warning reached the user: {_short(stray[0], 120)}")
    after = fingerprints(o.ws)
    changed = sorted(p for p, h in before.items() if after.get(p) != h)
    if changed:
        found.append(f"changed pre-existing file(s): {', '.join(changed[:4])}")
    if o.escaped or o.hung:
        return found
    if c.expect == "error":
        found += _error_problems(c, o)
    elif c.expect == "warning":
        found += _warning_problems(c, o) + (_check_problems(c, o) if o.status == 0 else [])
    elif c.expect == "normalised":
        if o.status != 0:
            found.append(f"expected exit 0 ({c.note}), got exit {o.status}: {_short(o.err)}")
        else:
            found += _check_problems(c, o)
    elif c.expect == "kept":
        if o.status == 0:
            found += _note_problems(c, o) + _check_problems(c, o)
        else:
            found += _error_problems(c, o)
    else:
        raise AssertionError(f"unknown expectation {c.expect!r}")
    return found


# --------------------------------------------------------------------------- checks


def _relative(text: str, ws: Path) -> str:
    return text.replace(str(ws), "<WS>")


def same_output(ref: str) -> Check:
    """The standard output equals that of the unchanged inputs (paths aside)."""

    def check(o: Outcome) -> str | None:
        want = o.refs[ref]
        got = _relative(o.out, o.ws).splitlines()
        if got != want:
            diff = [g for g in got if g not in want][:1] or [w for w in want if w not in got][:1]
            return f"output differs from the unchanged inputs' at: {_short(' '.join(diff), 120)}"
        return None

    return check


#: The line of ``spm-sim payouts`` with the payroll's exact total (cents) and rows.
TOTALS = "Control totals:"


def same_payroll(ref: str, rel: str = "out/pay.csv") -> Check:
    """The payroll equals that of the unchanged inputs to the cent: the ``Control
    totals:`` line of the standard output (rows, reps, the total and each component
    in cents) and the payroll file ``rel`` byte for byte (``o.refs[ref]`` holds both)."""

    def check(o: Outcome) -> str | None:
        want_line, want_file = o.refs[ref]
        got = [ln for ln in o.out.splitlines() if ln.startswith(TOTALS)]
        if got != [want_line]:
            return f"expected {want_line!r}, got {got}"
        path = o.ws / rel
        if not path.is_file():
            return f"{rel} was not written"
        if path.read_bytes() != want_file:
            return f"{rel} differs from the unchanged inputs' payroll"
        return None

    return check


def no_warning() -> Check:
    """Nothing is warned about (the case is normal input, not merely tolerated)."""

    def check(o: Outcome) -> str | None:
        warned = [ln for ln in o.err.splitlines() if ln.startswith(_WARNING_LINE)]
        return f"warned: {_short(_relative(warned[0], o.ws), 140)}" if warned else None

    return check


def all_of(*checks: Check) -> Check:
    """Every one of ``checks`` passes (the first problem found is reported)."""

    def check(o: Outcome) -> str | None:
        for one in checks:
            problem = one(o)
            if problem:
                return problem
        return None

    return check


def says(*texts: Token) -> Check:
    """The output (standard output and error) names every one of ``texts``."""

    def check(o: Outcome) -> str | None:
        gone = _missing(o.text(), texts)
        return f"output does not say {gone}" if gone else None

    return check


def csv_neutralised(rel: str, marker: str) -> Check:
    """CSV ``rel`` holds a cell with ``marker`` and no cell of it starts like a formula."""

    def check(o: Outcome) -> str | None:
        path = o.ws / rel
        if not path.is_file():
            return f"{rel} was not written"
        cells = [c for r in _rows(path) for c in r if marker in c]
        if not cells:
            return f"{rel} has no cell with {marker!r}"
        live = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        return f"{rel} holds a live formula cell: {live[0]!r}" if live else None

    return check


def file_beside(folder: str, name_part: str, holds: str) -> Check:
    """A file whose name holds ``name_part`` is in ``folder`` and mentions ``holds``."""

    def check(o: Outcome) -> str | None:
        found = [p for p in (o.ws / folder).glob(f"*{name_part}*") if p.is_file()]
        if not found:
            return f"no '*{name_part}*' file beside the output in {folder}/"
        if not any(holds in p.read_text(encoding="utf-8", errors="replace") for p in found):
            return f"{found[0].name} does not mention {holds}"
        return None

    return check


def wrote_elsewhere(earlier: str, instead: str, said: str) -> Check:
    """Exit 0 is fine only if the earlier output was left alone (checked for every
    case), the new output is the numbered ``instead`` (it exists, and the standard
    output names it, not ``earlier``) and a ``spm-sim: note:`` on stderr names the
    new place as ``said``."""

    def check(o: Outcome) -> str | None:
        path = str((o.ws / earlier).resolve())
        named = [ln for ln in o.out.splitlines() if path in ln]
        if named:
            return f"wrote over the earlier {earlier}: {named[0]!r}"
        if not (o.ws / instead).is_file():
            return f"the new output {instead} was not written"
        if instead not in _relative(o.out, o.ws):
            return f"the standard output does not name the new output {instead}"
        notes = [ln for ln in o.err.splitlines() if ln.startswith(_NOTE_LINE)]
        if not any(said in _relative(ln, o.ws) for ln in notes):
            return f"no note names the new output {said}: {_short(o.err)}"
        return None

    return check
