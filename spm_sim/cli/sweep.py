"""``spm-sim sweep`` and ``spm-sim calibrate``: many variants of a scenario, and the
value of one parameter that reaches a target (issue 18; being built)."""

from __future__ import annotations

import argparse

from spm_sim.errors import SpmSimError

__all__ = ["add_sweep_parser", "add_calibrate_parser", "cmd_sweep", "cmd_calibrate"]


def add_sweep_parser(sub) -> None:
    """Register ``spm-sim sweep``."""
    p = sub.add_parser("sweep", help="run a scenario over a grid of changes (being built)")
    p.add_argument("scenario", metavar="SCENARIO.yaml")


def add_calibrate_parser(sub) -> None:
    """Register ``spm-sim calibrate``."""
    p = sub.add_parser("calibrate", help="the parameter value that meets a target")
    p.add_argument("scenario", metavar="SCENARIO.yaml")


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run ``spm-sim sweep``."""
    raise SpmSimError("spm-sim sweep is not built yet.")


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run ``spm-sim calibrate``."""
    raise SpmSimError("spm-sim calibrate is not built yet.")
