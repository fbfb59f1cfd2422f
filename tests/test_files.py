"""Files are written whole or not at all, and CSV cells are safe in a spreadsheet."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from pathlib import Path

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


def _dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_files_get_the_usual_permissions_not_the_temporary_files(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        path = write_text(tmp_path / "report.html", "x")
        assert path.stat().st_mode & 0o777 == 0o644  # mkstemp alone would leave 0o600
        os.chmod(path, 0o640)
        write_text(path, "y")  # a replaced file keeps its permissions
        assert path.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(mask)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("missing/pay.csv", "pay.csv: No such file or directory; its folder does not exist"),
        ("folder", "folder: Is a directory; a folder of that name exists: give a file name"),
    ],
)
def test_a_write_that_cannot_happen_names_the_file_and_leaves_nothing(tmp_path, where, message):
    from spm_sim._files import WriteError

    (tmp_path / "folder").mkdir()
    with pytest.raises(WriteError) as exc:
        write_csv(pd.DataFrame({"x": [1]}), tmp_path / where)
    assert str(exc.value).startswith("cannot write ") and message in str(exc.value)
    assert str(tmp_path / where) in str(exc.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]
    assert list((tmp_path / "folder").iterdir()) == []


def test_make_folder_under_a_file_is_a_write_error(tmp_path):
    from spm_sim._files import WriteError, make_folder

    (tmp_path / "f").write_text("x")
    with pytest.raises(WriteError, match=r"cannot create the folder .*f/sub: Not a directory"):
        make_folder(tmp_path / "f" / "sub")


def test_a_live_lock_refuses_a_second_writer_and_is_removed_at_the_end(tmp_path):
    from spm_sim._files import LOCK, LockedError, hold_lock

    lock = tmp_path / LOCK
    with hold_lock(lock, what="--out run", command="spm-sim run a.yaml") as held:
        assert held.took_over is None
        info = json.loads(lock.read_text())
        assert info["pid"] == os.getpid() and info["command"] == "spm-sim run a.yaml"
        with pytest.raises(LockedError) as exc, hold_lock(lock, what="--out run"):
            pass
        text = str(exc.value)
        assert text.startswith("--out run is being written by another run (pid ")
        assert "'spm-sim run a.yaml'" in text and f"delete {lock}" in text
        assert lock.exists()  # the refused writer did not take it away
    assert not lock.exists()


def test_a_stale_lock_is_taken_over_with_the_dead_runs_temporary_files(tmp_path):
    from spm_sim._files import LOCK, hold_lock

    lock = tmp_path / LOCK
    pid = _dead_pid()
    lock.write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "started": "t0"}))
    part = tmp_path / ".trials.csv.abc123.part"
    part.write_text("half a fi")
    (tmp_path / "summary.csv").write_text("a\n1\n")  # a finished file stays
    with hold_lock(lock, what="--out run", clean=True) as held:
        assert held.took_over is not None and f"pid {pid}" in held.took_over
        assert held.removed == (part,) and not part.exists()
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv"]


def test_a_lock_of_another_machine_is_never_taken_over(tmp_path):
    from spm_sim._files import LOCK, LockedError, hold_lock

    lock = tmp_path / LOCK
    lock.write_text(json.dumps({"pid": _dead_pid(), "host": "elsewhere.example"}))
    with pytest.raises(LockedError, match="on elsewhere.example"), hold_lock(lock, what="x"):
        pass


def test_run_folder_writes_the_manifest_last_with_inputs_and_outputs(tmp_path):
    from spm_sim._files import MANIFEST, manifest_problems, read_manifest, run_folder

    book = tmp_path / "book"
    book.mkdir()
    (book / "reps.csv").write_text("rep_id\nR1\nR2\n")
    (book / ".hidden").write_text("not an input")
    out = tmp_path / "out"
    with run_folder(out, version="9.9", command=["spm-sim", "x"], inputs=[("book", book)]) as run:
        write_csv(pd.DataFrame({"a": range(5)}), out / "t.csv")
        write_text(out / "sub_note.txt", "n")
        assert not (out / MANIFEST).exists()
        assert run.lock.path.exists()
    manifest = read_manifest(out)
    assert manifest["spm_sim_version"] == "9.9" and manifest["command"] == ["spm-sim", "x"]
    assert manifest["started"] <= manifest["finished"]
    assert [(i["role"], Path(i["path"]).name, i["rows"]) for i in manifest["inputs"]] == [
        ("book", "reps.csv", 2)
    ]
    outputs = {o["path"]: o for o in manifest["outputs"]}
    assert sorted(outputs) == ["sub_note.txt", "t.csv"]
    assert outputs["t.csv"]["rows"] == 5
    assert outputs["t.csv"]["sha256"] == hashlib.sha256((out / "t.csv").read_bytes()).hexdigest()
    assert manifest_problems(out) == []
    (out / "t.csv").write_text("a\n1\n")  # a file changed afterwards shows
    assert any(p.startswith("t.csv: ") for p in manifest_problems(out))
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "sub_note.txt", "t.csv"]


def test_a_run_that_fails_leaves_no_manifest_and_an_earlier_run_whole_until_it_writes(tmp_path):
    from spm_sim._files import MANIFEST, run_folder

    out = tmp_path / "out"
    with run_folder(out, version="1", command=["a"]):
        write_text(out / "report.html", "first")
    # fails before writing anything: the earlier run keeps its manifest
    with pytest.raises(RuntimeError), run_folder(out, version="1", command=["b"]):
        raise RuntimeError("refused before writing")
    assert (out / MANIFEST).exists()
    # fails after writing one file: the manifest went before that file landed
    with pytest.raises(RuntimeError), run_folder(out, version="1", command=["c"]):
        write_text(out / "summary.csv", "x\n1\n")
        raise RuntimeError("killed half-way")
    assert not (out / MANIFEST).exists()
    assert (out / "report.html").read_text() == "first"
    # a folder the failed run created, with nothing in it, is removed again
    new = tmp_path / "a" / "b"
    with pytest.raises(RuntimeError), run_folder(new, version="1", command=["d"]):
        raise RuntimeError("no")
    assert not (tmp_path / "a").exists()
