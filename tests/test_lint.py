"""ruff and mypy (settings in pyproject.toml) find nothing in the code, tests and scripts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_check_is_clean():
    paths = ["spm_sim", "tests", "benchmarks", "data/make_sample.py"]
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--output-format", "concise", *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_is_clean():
    """mypy on the package at the strictness pyproject.toml states ([tool.mypy])."""
    proc = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, "mypy found problems:\n" + proc.stdout + proc.stderr
