"""MBO scores read for a payroll: every row checked (rep employed that year, a score
measure of the plan, a month of the year, once, a score on the plan's scale) and
turned into the plan's score measures as (reps, months) arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spm_sim._spec import suggest
from spm_sim.comp import MBO, Plan, period_ends
from spm_sim.errors import DataError

__all__ = ["MAX_SCORE"]

#: The largest MBO score accepted, unless a plan's levels go higher (then twice its
#: highest level): scores are fractions of the objectives (1.0 = met, 1.5 = far
#: exceeded), so 100 is a percentage written by mistake.
MAX_SCORE = 10.0


def _score_arrays(
    plan: Plan,
    scores: pd.DataFrame | None,
    rep_ids: tuple[str, ...],
    periods: tuple[str, ...],
    book_reps: pd.DataFrame,
    notes: list[str],
) -> dict:
    """The plan's score measures as (n_reps, 12) arrays from a scores table.

    Every row must name a rep of the book employed during the year, a score measure
    of the plan and a month of the year, once, with a score from 0 to the bound of
    :func:`_score_bound`; rows of reps employed that year but not on this payroll
    (another role, not in the quotas given) are left out and said in ``notes``.
    ``book_reps`` is the book's reps indexed by ``rep_id``.
    """
    mbos = [c for c in plan.components if isinstance(c, MBO)]
    names = [m.name for m in plan.measures if m.kind == "score"]
    if not names:
        return {}
    if scores is None:
        if mbos:
            raise DataError(
                f"plan {plan.name!r} pays MBO component {mbos[0].name!r} on score "
                f"{mbos[0].measure!r}; give the scores (a table or CSV with columns rep_id, "
                "period, measure, score; spm-sim payouts --scores FILE)."
            )
        return {n: np.zeros((len(rep_ids), 12)) for n in names}
    src = scores.attrs.get("file")  # the CSV's path when read by the command line
    shown = src or "scores"
    need = {"rep_id", "period", "measure", "score"}
    if not need <= set(scores.columns):
        missing = ", ".join(sorted(need - set(scores.columns)))
        raise DataError(
            f"{shown}: missing column(s) {missing}; columns are rep_id, period, measure, score."
        )
    lines = scores.attrs.get("lines")
    if src is None:  # a table in memory: its index labels
        places = [("scores", f"row {label!r}") for label in scores.index]
    else:  # a file: its line numbers (the header is line 1)
        numbers = lines if lines is not None else range(2, len(scores) + 2)
        places = [(src, f"line {n}") for n in numbers]
    out = {n: np.zeros((len(rep_ids), 12)) for n in names}
    seen = {n: np.zeros((len(rep_ids), 12), dtype=bool) for n in names}
    first: dict[tuple[str, str, str], str] = {}
    row_of = {r: i for i, r in enumerate(rep_ids)}
    col_of = {p: k for k, p in enumerate(periods)}
    bound = {n: _score_bound(plan, n) for n in names}
    year = int(periods[0][:4])
    unused: dict[str, int] = {}
    for (name, at), r in zip(
        places,
        scores[["rep_id", "period", "measure", "score"]].itertuples(index=False),
        strict=True,
    ):
        where = f"{name} {at}"
        rep = "" if pd.isna(r.rep_id) else str(r.rep_id)
        if not rep.strip():
            raise DataError(
                f"{where}: column 'rep_id' is empty; every score row names a rep of the book."
            )
        if rep not in book_reps.index:
            raise DataError(
                f"{where}: column 'rep_id': rep {rep!r} is not in the book's reps."
                f"{suggest(rep, book_reps.index)} Fix the id or remove the row: a score of a "
                "rep the book does not know pays nobody."
            )
        if rep not in row_of and not _employed_in(book_reps.loc[rep], year):
            hire, term = book_reps.loc[rep, "hire_date"], book_reps.loc[rep, "term_date"]
            when = f"left {term:%Y-%m-%d}" if pd.notna(term) and term.year < year else ""
            when = when or f"hired {hire:%Y-%m-%d}"
            raise DataError(
                f"{where}: column 'rep_id': rep {rep!r} was not employed in {year} ({when}), "
                "so this score pays nobody. Fix the rep_id or remove the row."
            )
        if r.measure not in out:
            raise DataError(
                f"{where}: column 'measure': {r.measure!r} is not a score measure of plan "
                f"{plan.name!r} ({', '.join(names)}).{suggest(str(r.measure), names)}"
            )
        if str(r.period) not in col_of:
            raise DataError(
                f"{where}: column 'period': {r.period!r} is not a month of {periods[0][:4]} "
                f"(write YYYY-MM, e.g. {periods[2]}); give the scores of the year paid only."
            )
        score = pd.to_numeric(r.score, errors="coerce")
        top = bound[r.measure]
        if not (np.isfinite(score) and 0 <= score <= top):
            raise DataError(
                f"{where}: score {r.score!r} must be a number >= 0 and at most {top:g} "
                f"(column 'score'; 1.0 = objectives met"
                + (
                    f"; {score:g} looks like a percentage: write {score / 100:g}"
                    if np.isfinite(score) and score > top
                    else ""
                )
                + ")."
            )
        key = (rep, str(r.period), str(r.measure))
        if key in first:
            raise DataError(
                f"{where}: a second {r.measure!r} score for rep {rep!r} in {r.period} "
                f"(the first is {first[key]}); keep one row per rep, month and measure, so "
                "it is clear which score is paid."
            )
        first[key] = at
        if rep not in row_of:
            unused[rep] = unused.get(rep, 0) + 1
            continue
        i, k = row_of[rep], col_of[str(r.period)]
        out[r.measure][i, k] = float(score)
        seen[r.measure][i, k] = True
    if unused:
        few = ", ".join(sorted(unused)[:5]) + (", ..." if len(unused) > 5 else "")
        notes.append(
            f"{shown}: {sum(unused.values())} score row(s) of {len(unused)} rep(s) employed in "
            f"{year} but not on this payroll were not used ({few})."
        )
    for c in mbos:
        ends = period_ends(c.period, 12)
        gap = ~seen[c.measure][:, ends]
        if gap.any():
            i, k = (int(x) for x in np.argwhere(gap)[0])
            raise DataError(
                f"{shown}: no {c.measure!r} score for rep {rep_ids[i]!r} in "
                f"{periods[ends[k]]}; MBO {c.name!r} reads it at its {c.period} ends "
                f"({', '.join(periods[e] for e in ends)}). Add the row (0 if the rep missed)."
            )
    return out


def _employed_in(rep: pd.Series, year: int) -> bool:
    """Whether the rep was employed on at least one day of ``year``."""
    term = rep["term_date"]
    return bool(
        rep["hire_date"] <= pd.Timestamp(year, 12, 31)
        and (pd.isna(term) or term >= pd.Timestamp(year, 1, 1))
    )


def _score_bound(plan: Plan, measure: str) -> float:
    """The largest score accepted for ``measure``: :data:`MAX_SCORE`, or twice the
    highest level of an MBO on it when its levels go beyond that."""
    tops = [
        max(lv.score for lv in c.levels)
        for c in plan.components
        if isinstance(c, MBO) and c.measure == measure
    ]
    return max([MAX_SCORE, *(2.0 * t for t in tops)])
