"""Every notebook runs headless, top to bottom, at small sizes (SPM_SIM_TRIALS), and
reads as a planner's page: a question first, a parameter cell, public names only, and
money written as money."""

from __future__ import annotations

import ast
import html
import os
import re
from pathlib import Path

import _notebook
import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

#: A number in scientific notation, as pandas prints large money (``1.719696e+07``).
SCIENTIFIC = re.compile(r"\de[+-]\d\d")


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == [
        "01_territories.ipynb",
        "02_quotas.ipynb",
        "03_comp_plan_designer.ipynb",
        "04_capacity.ipynb",
        "05_in_year.ipynb",
        "app.ipynb",
    ]


def _code(nb) -> list[str]:
    """The code cells' source, IPython magics (``%matplotlib inline``) left out."""
    return [
        "\n".join(
            line for line in c.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        for c in nb.cells
        if c.cell_type == "code"
    ]


def _private_imports(source: str) -> list[str]:
    """The private modules or names a cell imports (``spm_sim._format``, ``_fmt``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
            names: list[str] = []
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules, names = [node.module], [a.name for a in node.names]
        else:
            continue
        for module in modules:
            if module.split(".")[0] == "spm_sim" and any(
                part.startswith("_") for part in module.split(".")
            ):
                found.append(module)
            elif module.split(".")[0] == "spm_sim":
                found += [f"{module}.{n}" for n in names if n.startswith("_")]
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_notebook_reads_as_a_planners_page(path):
    nb = nbformat.read(path, as_version=4)
    # stored outputs would go stale: notebooks are committed without them
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "strip outputs"
    # it opens with the question it answers, in words
    first = nb.cells[0]
    assert first.cell_type == "markdown", "the first cell is the question, in markdown"
    title, _, rest = first.source.strip().partition("\n")
    opening = title + " " + rest.strip().split("\n\n")[0]  # the title and first paragraph
    assert title.startswith("# ") and "?" in opening, opening
    # its sizes and settings come from one cell tagged "parameters" (papermill's tag)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code", "one cell tagged parameters"
    # public names only: no spm_sim._anything
    private = [m for source in _code(nb) for m in _private_imports(source)]
    assert not private, f"{path.name} imports private modules or names: {private}"


def test_private_imports_are_found():
    assert _private_imports("from spm_sim._format import no_maths") == ["spm_sim._format"]
    assert _private_imports("import spm_sim._spec as s") == ["spm_sim._spec"]
    assert _private_imports("from spm_sim.widgets.quota import _png") == [
        "spm_sim.widgets.quota._png"
    ]
    assert _private_imports("from spm_sim.viz.tables import money_table\nimport os") == []


def _outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def _text(outputs) -> str:
    """Everything a reader sees as text: streams, plain text and HTML without its tags."""
    parts = []
    for o in outputs:
        data = o.get("data", {})
        parts.append(o.get("text", "") + data.get("text/plain", ""))
        page = re.sub(r"<style.*?</style>", "", data.get("text/html", ""), flags=re.S)
        parts.append(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    return "\n".join(parts)


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    monkeypatch.setenv("SPM_SIM_TRIALS", "100")
    if path.stem == "04_capacity":  # move the lead-volume slider, as a reader would
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell("volume.value = 1.5"))
        nb.cells.append(nbformat.v4.new_code_cell("print('SLIDER:', out.outputs[-1]['text'])"))
        _notebook.run(nb, path)
    else:  # one run per test process: tests/test_widgets.py reads the same run of 03
        nb = _notebook.executed(path)
    outputs = _outputs(nb)
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, errors
    text = _text(outputs)
    # money as money: no number in scientific notation in any text or table
    scientific = sorted(set(SCIENTIFIC.findall(text)))
    assert not scientific, f"scientific notation in {path.name}: {scientific}"
    # every HTML output with a dollar sign is marked for JupyterLab's maths to leave alone
    for o in outputs:
        page = o.get("data", {}).get("text/html", "")
        if "$" in page:
            assert "mathjax_ignore" in page, page[:500]  # JupyterLab 4 runs MathJax 3
    # every figure reaches the reader as a picture, not as "<Figure size ...>" text
    bare = [
        o["data"]["text/plain"]
        for o in outputs
        if "Figure size" in o.get("data", {}).get("text/plain", "") and "image/png" not in o["data"]
    ]
    assert not bare, bare
    pngs = sum("image/png" in o.get("data", {}) for o in outputs)
    if path.stem == "01_territories":
        assert pngs >= 4  # the maps, the balance bars, the trade-off and the headcount chart
        # the counties' infeasibility explained, the design against today, the trade-off
        # and the headcount tables, territories named by their rep in every figure
        assert "is infeasible: the largest unit" in text
        assert "disruption:" in text and "(band +-10%)" in text
        assert "potential: largest deviation from the mean" in text and "today" in text
        assert "total distance (km)" in text and "accounts changing rep" in text
        # statuses and the uncapped run in words, not codes or blanks
        assert "no cap" in text and "within the bands" in text
        tables = _text([o for o in outputs if "text/html" in o.get("data", {})])
        assert "no cap" in tables and "within the bands" in tables
        assert not re.search(r"\b(heuristic|bands_not_met|time_limit)\b", tables)
        assert "accounts moved" not in text  # the same figure as the share, not twice
        assert "largest load" in text and "potential per territory" in text
        assert re.search(r"\$\d[\d.]*M", text)  # potential per territory, as money
    if path.stem == "02_quotas":
        # the levels checked, one method's diagnostics, both figures, the company view
        # with calibrated quotas below the target, and the designer
        assert "matches set" in text and "realised over-assignment +8.15%" in text
        assert "Quotas of 80 reps judged on 100 simulated years." in text
        assert "Sum of quotas $" in text
        assert "with 2 Axes" in text and "with 1 Axes" in text
        assert "calibrated p=0.65" in text and "share of reps at quota" in text
        interval = r"[\d.]+% \([\d.]+% to [\d.]+%\)"
        assert re.search(rf"company target reached in {interval} of simulated years", text)
        assert re.search(
            rf"share of reps at quota: calibrated {interval}, history {interval}", text
        )
        assert "rep_id" not in text and " Rep " in text  # the per-rep table's index, in words
        assert "implied over-assignment -" in text and "incentive cost P50 $" in text
        assert "Quota designer" in text
        assert pngs >= 2  # figures as images
    if path.stem == "04_capacity":
        # today's team with intervals, the answer with its interval at the answer and one
        # rep fewer, the curve in money, and the slider showing the answer
        assert "share of leads contacted within 1 h" in text and "95% interval" in text
        found = re.search(
            r"Smallest SDR team meeting the target: (\d+) SDRs \(configured: 12\)", text
        )
        assert found
        assert re.search(
            r"contacted within 1 h with \d+ SDRs: [\d.]+% \([\d.]+% to [\d.]+%\)", text
        )
        # the curve's table: every figure with its interval, "—" where no size is below
        assert "cost of one SDR a year" in text and "$95.0k" in text and "—" in text
        assert re.search(r"\$[\d.]+M \(\$[\d.]+M to \$[\d.]+M\)", text)  # bookings
        assert "bookings closed in the year" in text and "conversion kept after waiting" in text
        assert "today" not in text  # the volume is the parameter's, not today's
        # the slider's callback answered for 150% of the volume with a larger team
        leads = int(re.search(r": ([\d,]+) leads a year, \d+ simulated", text)[1].replace(",", ""))
        moved = re.search(
            r"SLIDER: ([\d,]+) leads a year \(150% of the [\d,]+ above\): (\d+) SDRs meet the "
            r"target \((\d+) at the volume above\)",
            text,
        )
        assert moved, text[-800:]
        assert int(moved[1].replace(",", "")) == round(1.5 * leads)
        assert int(moved[3]) == int(found[1]) < int(moved[2])
        assert pngs >= 2
    assert os.environ["SPM_SIM_TRIALS"] == "100"


def test_scientific_notation_is_caught():
    assert SCIENTIFIC.findall("bookings 1.719696e+07 and 3e-05") == ["6e+07", "3e-05"]
    assert not SCIENTIFIC.findall("$17.2M, 1,234 leads, e+")
