"""Every error class of spm_sim.

Every error that bad input can cause derives from :class:`SpmSimError`, so the CLI
prints it without a traceback. Messages name the place (file, row, column or field),
the rule, the value found and how to fix it. Domain errors are also ``ValueError``s,
so code that catches ``ValueError`` keeps working.

Examples
--------
>>> from spm_sim.errors import DataError
>>> str(DataError("value -3 is below 0", file="reps.csv", row=4, column="quota"))
"reps.csv, row 4, column 'quota': value -3 is below 0"
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "SpmSimError",
    "DataError",
    "SpecError",
    "PlanError",
    "ScenarioError",
    "InfeasibleError",
    "CapacityError",
    "QueueingError",
]


class SpmSimError(Exception):
    """Base class of every error that bad input can cause in spm_sim."""


class DataError(SpmSimError, ValueError):
    """A data file is missing, malformed, or inconsistent with another file.

    Parameters
    ----------
    message : str
        What is wrong and how to fix it.
    file, row, column, value : optional
        Where the problem is. ``row`` is the 1-based line number in the file,
        counting the header as line 1, so it matches what an editor shows.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
    ) -> None:
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.value = value
        where = []
        if self.file is not None:
            where.append(self.file)
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class SpecError(SpmSimError, ValueError):
    """A hand-written spec (plan, scenario) is invalid."""


class PlanError(SpecError):
    """A compensation plan is invalid."""


class ScenarioError(SpecError):
    """A scenario file is invalid."""


class InfeasibleError(SpmSimError, ValueError):
    """A request no solution can meet, with the numbers that show why.

    Parameters
    ----------
    message : str
        Why it is infeasible and what to change.
    reasons : list of str, optional
        Each reason on its own, for a caller that lists them.
    alignment : object, optional
        The closest result found, when a heuristic came near (else ``None``).
    """

    def __init__(
        self,
        message: str,
        *,
        reasons: Iterable[str] | None = None,
        # an Alignment of spm_sim.territory, a layer above this module: Any, not a name
        alignment: Any = None,
    ) -> None:
        self.reasons = list(reasons or [message])
        self.alignment = alignment
        super().__init__(message)


class CapacityError(SpecError):
    """Capacity assumptions, a headcount input or a capacity simulation's configuration
    (:mod:`spm_sim.capacity`) break a rule (names the field, the value and the rule)."""


class QueueingError(SpecError):
    """A queue's parameters or a staffing target break a rule (names the value and the rule)."""
