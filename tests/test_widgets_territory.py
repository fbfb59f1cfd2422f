"""The territory designer: moving a slider redesigns, as in the notebook."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spm_sim.widgets import TerritoryDesigner


def _units():
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "unit_id": range(120),
            "x": rng.uniform(0, 50, 120),
            "y": rng.uniform(0, 50, 120),
            "potential": rng.uniform(1, 3, 120),
            "workload": rng.uniform(5, 9, 120),
            "rep_id": rng.choice(["A", "B", "C", "D"], 120),
        }
    )


def test_sliders_redesign():
    d = TerritoryDesigner(_units(), tolerance=0.2, draw=False)
    assert d.sliders["territories"].value == 4  # one per current rep
    assert d.alignment.summary["max_dev"] <= 0.2 + 1e-9
    first = d.alignment
    d.sliders["tolerance"].value = 0.05
    assert d.alignment is not first
    assert d.alignment.summary["max_dev"] <= 0.05 + 1e-9
    d.sliders["cap"].value = 0.15
    assert d.alignment.summary["disruption"] <= 0.15 + 1e-9
    assert "disruption:" in d.summary.value
    d.sliders["territories"].value = 5  # a new territory takes units from every rep
    assert d.alignment is None and "a disruption cap of 15.0% is infeasible" in d.error
    d.sliders["cap"].value = 1.0  # no cap
    assert d.alignment.territories.shape[0] == 5
    assert d.alignment.summary["disruption"] > 0.15


def test_infeasible_setting_is_shown_not_raised():
    units = _units()
    units.loc[0, "potential"] = 500.0  # one unit larger than any band allows
    d = TerritoryDesigner(units, tolerance=0.05, draw=False)
    assert d.alignment is None
    assert "is infeasible: the largest unit, 0" in d.error
    assert "No alignment" in d.summary.value


def test_tradeoff_from_the_designer():
    d = TerritoryDesigner(_units(), tolerance=0.2, draw=False)
    t = d.tradeoff(caps=(0.1, None))
    assert len(t) == 2 and t["disruption"].iloc[0] <= 0.1 + 1e-9


def test_labels_read_in_full_and_the_summary_is_safe_from_maths():
    d = TerritoryDesigner(_units(), tolerance=0.2, draw=False)
    for slider in d.sliders.values():
        # JupyterLab cuts a description at its default width; "initial" shows it whole
        assert slider.style.description_width == "initial", slider.description
        assert len(slider.description) > 12  # words, not an abbreviation
    assert "no cap" in d.sliders["cap"].description
    assert "mathjax_ignore" in d.summary.value.split(">")[0]  # JupyterLab 4: MathJax 3
