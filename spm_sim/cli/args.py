"""Arguments shared by the ``spm-sim`` commands, defined once: their types and the
options several commands take (``--seed``, ``--workers``, ``--trials``, ``--book``).

Each type turns the text of an option into a value or raises
``argparse.ArgumentTypeError`` with the rule and the value, which argparse prints as
one error line; each ``add_*`` registers one option with its type and metavar, the
command giving only what its help says about the default. They need only the
standard library: building the parser (and ``spm-sim --help``) loads no numpy,
pandas or plotting stack.

Examples
--------
>>> positive_int("3")
3
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

__all__ = [
    "whole",
    "positive_int",
    "seed",
    "positive_float",
    "trials",
    "MAX_TRIALS",
    "add_seed",
    "add_workers",
    "add_trials",
    "add_book",
    "INPUTS",
    "OUTPUTS",
    "outputs_over_inputs",
]

#: The most trials ``--trials`` takes: a scenario's own limit (``Scenario.trials``),
#: checked when the option is read rather than after a run has started.
MAX_TRIALS = 10_000_000

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


def add_seed(parser: argparse.ArgumentParser, help: str, default: int | None = None) -> None:
    """``--seed S``: a whole number in [0, 2**63 - 1]; ``help`` says what the default is."""
    parser.add_argument("--seed", type=seed, default=default, metavar="S", help=help)


def add_workers(parser: argparse.ArgumentParser, what: str) -> None:
    """``--workers W`` (default 1): worker processes for ``what``; numbers do not depend on it."""
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        metavar="W",
        help=f"worker processes for {what} (default 1); the numbers do not depend on it",
    )


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


#: Options and arguments that name files or folders a command reads.
INPUTS = (
    "book",
    "plan",
    "plan_a",
    "plan_b",
    "plans",
    "scenario",
    "scenarios",
    "scores",
    "units",
    "homes",
    "config",
)
#: Options that name files or folders a command writes.
OUTPUTS = ("out", "csv", "figure")


def _paths(value: Any) -> list[Path]:
    if value is None or value is False:
        return []
    values = value if isinstance(value, (list, tuple)) else [value]
    return [Path(v).expanduser().resolve() for v in values]


def outputs_over_inputs(args: argparse.Namespace, sample_dir: Path | None = None) -> list[str]:
    """Each output of a command that would overwrite one of its inputs, as a message.

    An output clashes when it is an input file, or lies inside (or is) an input folder
    such as the book's. ``book: sample`` stands for ``sample_dir``. An empty list
    means the command writes nothing it reads.

    Examples
    --------
    >>> ns = argparse.Namespace(book="data/sample", out=Path("data/sample/bookings.csv"))
    >>> outputs_over_inputs(ns)[0].split(":")[0]
    '--out data/sample/bookings.csv'
    """
    inputs: list[tuple[str, Path]] = []
    for name in INPUTS:
        value = getattr(args, name, None)
        if name == "book" and value == "sample":
            value = sample_dir
        inputs += [(name, p) for p in _paths(value)]
    problems = []
    for name in OUTPUTS:
        for out in _paths(getattr(args, name, None)):
            for what, src in inputs:
                if out == src or src in out.parents:
                    where = "is" if out == src else "is inside"
                    flag = "--" + name.replace("_", "-")
                    shown = getattr(args, name)
                    problems.append(
                        f"{flag} {shown}: {where} {src} ({what}), which this command reads; "
                        "write the output elsewhere, so no input is overwritten"
                    )
    return problems
