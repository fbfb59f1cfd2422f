"""Every notebook runs headless, top to bottom, at small sizes (SPM_SIM_TRIALS)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == [
        "01_territories.ipynb",
        "02_quotas.ipynb",
        "03_comp_plan_designer.ipynb",
        "04_capacity.ipynb",
    ]


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    monkeypatch.setenv("SPM_SIM_TRIALS", "100")
    nb = nbformat.read(path, as_version=4)
    # stored outputs would go stale: notebooks are committed without them
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "strip outputs"
    NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors, errors
    text = "\n".join(
        o.get("data", {}).get("text/plain", "") + o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    # every figure reaches the reader as a picture, not as "<Figure size ...>" text
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    bare = [
        o["data"]["text/plain"]
        for o in outputs
        if "Figure size" in o.get("data", {}).get("text/plain", "") and "image/png" not in o["data"]
    ]
    assert not bare, bare
    if path.stem == "01_territories":
        assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2
        # the counties' infeasibility explained, the design, the trade-off and headcount tables
        assert "is infeasible: the largest unit" in text
        assert "disruption:" in text and "(band +-10%)" in text
        assert "total_distance" in text and "load_mean" in text
        assert "before" in text and "change" in text  # the before/after comparison
    if path.stem == "02_quotas":
        # the levels checked, one method's diagnostics, both figures, the company view
        # with calibrated quotas below the target, and the designer's table
        assert "matches_set" in text and "realised over-assignment +8.15%" in text
        assert "Quotas of 80 reps judged on 100 simulated years." in text
        assert "with 2 Axes" in text and "with 1 Axes" in text
        assert "common_draws" in text and "calibrated p=0.65" in text
        assert "implied over-assignment -" in text
        assert "share at quota (P10-P90)" in text and "calibrated (p=70%)" in text
        pngs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert sum("image/png" in o.get("data", {}) for o in pngs) >= 2  # figures as images
    if path.stem == "03_comp_plan_designer":
        # the comparison table of the what-if cell, and the per-rep table
        assert "Probability of reaching the company target" in text
        assert "difference (± 2 se)" in text
        assert "expected_attainment" in text
    assert os.environ["SPM_SIM_TRIALS"] == "100"
