"""Files are written whole or not at all, and CSV cells are safe in a spreadsheet."""

from __future__ import annotations

import pandas as pd
import pytest

from spm_sim._files import atomic_path, safe_cells, save_figure, write_csv, write_text


def test_formula_cells_are_written_as_text_and_numbers_stay_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "rep": ['=HYPERLINK("http://x","pay")', "+1", "-cmd", "@SUM(A1)", "Ann", "\tx"],
            "region": pd.Categorical(["=A1", "West", "West", "East", "East", "East"]),
            "amount": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    path = write_csv(frame, tmp_path / "pay.csv")
    back = pd.read_csv(path)
    assert back["rep"].tolist() == [
        '\'=HYPERLINK("http://x","pay")',
        "'+1",
        "'-cmd",
        "'@SUM(A1)",
        "Ann",
        "'\tx",
    ]
    assert back["region"].tolist()[:2] == ["'=A1", "West"]
    assert back["amount"].tolist() == [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0]  # numbers untouched
    assert safe_cells(pd.DataFrame({"=x": [1]})).columns.tolist() == ["'=x"]


def test_a_failed_write_leaves_the_earlier_file_and_no_temporary_file(tmp_path):
    path = write_text(tmp_path / "report.html", "the earlier report\n")

    class Broken:
        def __str__(self) -> str:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_csv(pd.DataFrame({"x": [Broken()]}), path)
    assert path.read_text() == "the earlier report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_the_target_appears_only_when_the_block_ends_cleanly(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half a file")
        assert not target.exists()
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_figures_keep_their_format_whatever_the_temporary_name(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure()
    fig.add_subplot().plot([0, 1], [0, 1])
    png = save_figure(fig, tmp_path / "curve.png", dpi=50)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = save_figure(fig, tmp_path / "curve.svg")
    assert svg.read_text().lstrip().startswith("<?xml")
