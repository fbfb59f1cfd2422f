"""Arguments shared by the ``spm-sim`` commands, defined once: their types and the
options several commands take (``--seed``, ``--workers``, ``--trials``, ``--book``).
The checks made before any work starts (output places, locks, memory) are in
:mod:`spm_sim.cli.places`.

Each type turns the text of an option into a value or raises
``argparse.ArgumentTypeError`` with the rule and the value, which argparse prints as
one error line naming the option; every number is finite and inside a stated range,
so no option value can reach the library as NaN, infinity or an absurd size. Each
``add_*`` registers one option with its type and metavar, the command giving only
what its help says about the default. Building the parser (and ``spm-sim --help``)
needs only the standard library and :mod:`spm_sim.errors`: no numpy, pandas or
plotting stack.

Examples
--------
>>> positive_int("3")
3
>>> share("15%")
0.15
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable

__all__ = [
    "whole",
    "positive_int",
    "seed",
    "positive_float",
    "trials",
    "workers",
    "year",
    "count",
    "real",
    "share",
    "money",
    "amount",
    "MAX_TRIALS",
    "MAX_WORKERS",
    "MAX_MONEY",
    "MAX_COMPANY_TARGET",
    "MIN_MONEY",
    "YEARS",
    "add_seed",
    "add_workers",
    "add_executor",
    "executor_options",
    "EXECUTOR_CHOICES",
    "add_trials",
    "add_book",
    "show_progress",
]

#: The most trials ``--trials`` takes: a scenario's own limit (``Scenario.trials``),
#: checked when the option is read rather than after a run has started.
MAX_TRIALS = 10_000_000
#: The most worker processes ``--workers`` takes (the library uses at most one per CPU).
MAX_WORKERS = 256
#: The plan years and paid years the commands take (the book's dates are refused
#: before 1990, and no plan is set a lifetime ahead).
YEARS = (1990, 2100)
#: The largest amount of money per rep an option takes: the library's own bound on
#: money per rep (a plan's amounts and a target incentive, ``MAX_MONEY`` of the plan
#: specs; a typical rep's quota in :func:`spm_sim.comp.plan_metrics`) and on the
#: book's amounts. The same number, not imported, so ``spm-sim --help`` stays light;
#: ``tests/test_cli.py`` runs each option at it end to end, so the two cannot drift.
MAX_MONEY = 1e12
#: The largest company total an option takes: the bound of a scenario's
#: ``quota.target`` (:class:`spm_sim.quota.QuotaSettings`) and of the sum of a
#: bottom-up targets file, a thousand trillion (room for small-unit currencies).
MAX_COMPANY_TARGET = 1e15
#: The smallest amount of money an option takes: a cent. Any positive number would
#: let a ratio of two options (TI / quota) overflow to infinity.
MIN_MONEY = 0.01

#: What ``--book`` takes, in every command that reads a book.
BOOK_HELP = "folder of the book, or 'sample' for the shipped sample book (default)"


def whole(text: str, low: int, high: int | None, rule: str) -> int:
    """``text`` as a whole number in ``[low, high]``, else an argparse error naming ``rule``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < low or (high is not None and value > high):
        raise argparse.ArgumentTypeError(f"{rule}, got {value}")
    return value


def positive_int(text: str) -> int:
    """A whole number >= 1 (trials, replications, workers)."""
    return whole(text, 1, None, "must be at least 1")


def seed(text: str) -> int:
    """A seed: a whole number in [0, 2**63 - 1]."""
    return whole(text, 0, 2**63 - 1, "must be between 0 and 2**63 - 1")


def positive_float(text: str) -> float:
    """A finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def workers(text: str) -> int:
    """A number of worker processes: a whole number from 1 to :data:`MAX_WORKERS`."""
    return whole(text, 1, MAX_WORKERS, f"must be between 1 and {MAX_WORKERS}")


def year(text: str) -> int:
    """A calendar year from 1990 to 2100 (:data:`YEARS`).

    Examples
    --------
    >>> year("2026")
    2026
    """
    low, high = YEARS
    return whole(text, low, high, f"must be a year from {low} to {high}")


def count(low: int, high: int, what: str = "") -> Callable[[str], int]:
    """The type of an option that counts something: a whole number in ``[low, high]``.

    Examples
    --------
    >>> count(20, 100_000)("1000")
    1000
    """

    def parse(text: str) -> int:
        return whole(text, low, high, f"must be between {low:,} and {high:,}{what}")

    parse.__name__ = "count"
    return parse


def _float(text: str, *, percent: bool) -> float:
    raw = text.strip().replace("_", "")
    scale = 1.0
    if percent and raw.endswith("%"):
        raw, scale = raw[:-1], 0.01
    try:
        value = float(raw) * scale
    except ValueError:
        example = " (e.g. 0.15 or 15%)" if percent else ""
        raise argparse.ArgumentTypeError(f"expected a number{example}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    return f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def real(
    low: float,
    high: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
    percent: bool = False,
) -> Callable[[str], float]:
    """The type of a numeric option: a finite number between ``low`` and ``high``.

    ``low_open``/``high_open`` leave an end out; with ``percent`` the value may be
    written ``15%`` for 0.15.

    Examples
    --------
    >>> real(0, 1, low_open=True, percent=True)("90%")
    0.9
    """
    where = _interval(low, high, low_open, high_open)

    def parse(text: str) -> float:
        value = _float(text, percent=percent)
        below = value <= low if low_open else value < low
        above = value >= high if high_open else value > high
        if below or above:
            raise argparse.ArgumentTypeError(f"must be in {where}, got {text}")
        return value

    parse.__name__ = "number"
    return parse


def share(text: str) -> float:
    """A share in [0, 1], written 0.15 or 15%."""
    return real(0.0, 1.0, percent=True)(text)


def amount(most: float) -> Callable[[str], float]:
    """The type of an option taking money: finite, from :data:`MIN_MONEY` to ``most``.

    Thousands separators are read: ``1,500,000``.

    Examples
    --------
    >>> amount(MAX_COMPANY_TARGET)("2,500,000,000")
    2500000000.0
    """

    def parse(text: str) -> float:
        value = _float(text.replace(",", ""), percent=False)
        if not MIN_MONEY <= value <= most:
            raise argparse.ArgumentTypeError(
                f"must be an amount from {MIN_MONEY:g} (a cent) to {most:.0e}, got {text}"
            )
        return value

    parse.__name__ = "amount"
    return parse


def money(text: str) -> float:
    """An amount of money per rep: finite, from :data:`MIN_MONEY` to :data:`MAX_MONEY`.

    Examples
    --------
    >>> money("2,500,000")
    2500000.0
    """
    return amount(MAX_MONEY)(text)


def add_seed(parser: argparse.ArgumentParser, help: str, default: int | None = None) -> None:
    """``--seed S``: a whole number in [0, 2**63 - 1]; ``help`` says what the default is."""
    parser.add_argument("--seed", type=seed, default=default, metavar="S", help=help)


def add_workers(parser: argparse.ArgumentParser, what: str) -> None:
    """``--workers W`` (default 1): worker processes for ``what``; numbers do not depend on it."""
    parser.add_argument(
        "--workers",
        type=workers,
        default=1,
        metavar="W",
        help=f"worker processes for {what}, 1 to {MAX_WORKERS} (default 1; at most one per "
        "CPU is used); the numbers do not depend on it",
    )


#: ``--executor`` choices (the same names as :data:`spm_sim.parallel.EXECUTORS`, kept
#: here so that building the parser imports nothing of the library).
EXECUTOR_CHOICES = ("serial", "processes", "dask")


def add_executor(parser: argparse.ArgumentParser, what: str) -> None:
    """``--executor serial|processes|dask`` and ``--scheduler ADDR`` for ``what``.

    Use with :func:`add_workers`; read both back with :func:`executor_options`.
    """
    parser.add_argument(
        "--executor",
        choices=EXECUTOR_CHOICES,
        default=None,
        help=f"where {what} runs: serial (this process), processes (a local pool of "
        "--workers processes, default one per CPU) or dask (a local Dask cluster, or the "
        "scheduler at --scheduler). Default: serial, or processes when --workers > 1. "
        "The numbers do not depend on it",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDR",
        help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies "
        "--executor dask)",
    )


def executor_options(args: argparse.Namespace) -> dict:
    """``executor``, ``workers`` and ``scheduler`` keywords for the library, from
    ``--executor``, ``--workers`` and ``--scheduler``.

    ``--workers`` alone (more than 1) means a local process pool, as it always has;
    ``--executor processes`` or ``dask`` without ``--workers`` uses one per CPU.

    Examples
    --------
    >>> ns = argparse.Namespace(executor=None, workers=1, scheduler=None)
    >>> executor_options(ns)
    {'executor': 'serial', 'workers': None, 'scheduler': None}
    >>> executor_options(argparse.Namespace(executor=None, workers=2, scheduler=None))
    {'executor': 'processes', 'workers': 2, 'scheduler': None}
    """
    executor = getattr(args, "executor", None)
    scheduler = getattr(args, "scheduler", None)
    workers_ = getattr(args, "workers", 1) or 1
    if scheduler:
        executor = "dask"
    if executor is None:
        executor = "processes" if workers_ > 1 else "serial"
    return {
        "executor": executor,
        "workers": workers_ if workers_ > 1 else None,
        "scheduler": scheduler,
    }


def trials(text: str) -> int:
    """A number of trials: a whole number from 1 to :data:`MAX_TRIALS`.

    Examples
    --------
    >>> trials("2000")
    2000
    """
    return whole(text, 1, MAX_TRIALS, f"must be between 1 and {MAX_TRIALS:,}")


def add_trials(parser: argparse.ArgumentParser, help: str, default: int | None = None) -> None:
    """``--trials N``: from 1 to :data:`MAX_TRIALS`; ``help`` says what is counted."""
    parser.add_argument("--trials", type=trials, default=default, metavar="N", help=help)


def add_book(parser: argparse.ArgumentParser) -> None:
    """``--book DIR`` (default ``sample``): the book a command reads."""
    parser.add_argument("--book", default="sample", metavar="DIR", help=BOOK_HELP)


def show_progress(args: argparse.Namespace | None = None) -> bool:
    """Whether a command shows progress bars (tqdm, on stderr).

    Only when stderr is a terminal, where a bar redraws itself in place: a bar in a
    log file or a pipe would leave one line per update. Never with ``--quiet``. The
    bars do not touch standard output, so ``spm-sim run ... > summary.txt`` keeps
    them on the screen and the summary clean.

    Examples
    --------
    >>> show_progress(argparse.Namespace(quiet=True))
    False
    """
    if args is not None and getattr(args, "quiet", False):
        return False
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())
