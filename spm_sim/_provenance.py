"""Provenance stamped on results: the installed package version."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["package_version"]


def package_version() -> str:
    """The installed spm_sim version, or ``"unknown"`` from a source tree."""
    try:
        return version("spm_sim")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"
