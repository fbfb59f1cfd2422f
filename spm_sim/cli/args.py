"""Argument types shared by every ``spm-sim`` command, defined once.

Each turns the text of an option into a value or raises
``argparse.ArgumentTypeError`` with the rule and the value, which argparse prints as
one error line. They need only the standard library: building the parser (and
``spm-sim --help``) loads no numpy, pandas or plotting stack.

Examples
--------
>>> positive_int("3")
3
"""

from __future__ import annotations

import argparse
import math

__all__ = ["whole", "positive_int", "seed", "positive_float"]


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
