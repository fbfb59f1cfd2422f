"""The public surface: every name in __all__ imports, is documented, and is listed in the docs."""

from __future__ import annotations

import inspect
from pathlib import Path

import spm_sim

ROOT = Path(__file__).resolve().parents[1]


def test_all_names_import_and_have_docstrings():
    assert len(spm_sim.__all__) == len(set(spm_sim.__all__))
    for name in spm_sim.__all__:
        obj = getattr(spm_sim, name)
        doc = inspect.getdoc(obj)
        assert doc and len(doc) > 20, f"spm_sim.{name} has no docstring"


def test_errors_form_one_hierarchy():
    for name in ("DataError", "PlanError", "ScenarioError", "SpecError", "InfeasibleError"):
        err = getattr(spm_sim, name)
        assert issubclass(err, spm_sim.SpmSimError) and issubclass(err, ValueError)


def test_architecture_doc_names_every_module():
    text = (ROOT / "docs" / "architecture.md").read_text()
    pkg = ROOT / "spm_sim"
    modules = sorted(
        str(p.relative_to(pkg))
        for p in pkg.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    )
    missing = [m for m in modules if f"`{m}`" not in text and f"`{m.split('/')[0]}/`" not in text]
    assert not missing, f"docs/architecture.md does not describe {missing}"


def test_typed_marker_ships():
    assert (ROOT / "spm_sim" / "py.typed").exists()
