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

import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
    "PlausibilityWarning",
    "implausible",
    "strict_checks",
    "is_strict",
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


# --- plausibility: possible values nobody is likely to mean ---------------------------


class PlausibilityWarning(UserWarning):
    """An input or a result that is possible but unlikely to be meant: a deal dated
    before its rep was hired, an amount far outside the book's own range, a cost of
    sales of 150%. The message names the place and the value like an error does.

    Under strict checks (``--strict`` on the command line, ``strict: true`` in a
    scenario, :func:`strict_checks` in Python) the same message is raised as an error.
    """


_STRICT: ContextVar[bool] = ContextVar("spm_sim_strict", default=False)


def is_strict() -> bool:
    """Whether plausibility warnings are raised as errors here (see :func:`strict_checks`)."""
    return _STRICT.get()


@contextmanager
def strict_checks(enabled: bool = True) -> Iterator[None]:
    """Within the block, every plausibility warning is raised as an error instead.

    Examples
    --------
    >>> with strict_checks():
    ...     implausible("amount 9e11 is 4,000 times the book's median", file="bookings.csv")
    Traceback (most recent call last):
    ...
    spm_sim.errors.DataError: bookings.csv: amount 9e11 is 4,000 times the book's median
    """
    token = _STRICT.set(bool(enabled) or _STRICT.get())
    try:
        yield
    finally:
        _STRICT.reset(token)


def implausible(
    message: str,
    *,
    strict: bool = False,
    error: type[SpmSimError] = DataError,
    stacklevel: int = 3,
    **where: Any,
) -> None:
    """Warn (:class:`PlausibilityWarning`) about a possible but unlikely value, or raise.

    Parameters
    ----------
    message : str
        What is unlikely, the value, and what to check; ``--strict`` is mentioned for
        the user by the command line, not here.
    strict : bool
        Raise ``error`` instead of warning (also when :func:`strict_checks` is active).
    error : SpmSimError subclass
        The error raised under strict checks. ``where`` (``file``, ``row``, ``column``,
        ``value``) is passed to it when it is a :class:`DataError`; the warning text is
        the error's text either way, so both name the same place.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     implausible("deal dated before the rep's hire date", file="bookings.csv", row=7)
    >>> str(seen[0].message)
    "bookings.csv, row 7: deal dated before the rep's hire date"
    """
    if issubclass(error, DataError):
        exc: SpmSimError = error(message, **where)
    else:
        exc = error(message)
    if strict or _STRICT.get():
        raise exc
    warnings.warn(str(exc), PlausibilityWarning, stacklevel=stacklevel)
