"""The ``spm-sim`` command line: one module per command group, shared arguments in
:mod:`spm_sim.cli.args`, the entry point :func:`main` in :mod:`spm_sim.cli.app`.
"""

from __future__ import annotations

from .app import DEMO_SCENARIOS, build_parser, main

__all__ = ["main", "build_parser", "DEMO_SCENARIOS"]
