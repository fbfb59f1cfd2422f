"""Faults while writing, in real processes: killed with SIGKILL, a full or size-limited
disk, two runs writing one folder at once. Afterwards every file is whole or absent,
an earlier file is as it was, no temporary file is left where the process could clean
up, and a folder has a manifest only when the run that wrote it finished.

Each test starts subprocesses (``python -m spm_sim.cli`` or a short script), so what
is checked is what a user sees: exit status, stderr, and the files on disk.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from spm_sim._files import MANIFEST, manifest_problems, read_manifest, run_folder, write_text

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "data" / "scenarios" / "baseline.yaml"

#: A script writing a large CSV through write_csv, as the package writes every table.
WRITE_BIG = """
import sys
import numpy as np, pandas as pd
from spm_sim._files import write_csv
rows = int(sys.argv[2])
reps = "=R" + pd.Series(np.arange(rows) % 80).astype(str)
frame = pd.DataFrame({"trial": np.arange(rows), "rep": reps, "pay": np.linspace(0, 1e6, rows)})
write_csv(frame, sys.argv[1])
print("done", flush=True)
"""


def _cli(*args: str, cwd: Path, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "spm_sim.cli", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _wait_for(condition, proc: subprocess.Popen, timeout: float = 60.0) -> bool:
    """Poll ``condition`` every millisecond until it holds, the process ends, or time is up."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        if proc.poll() is not None:
            return condition()
        time.sleep(0.001)
    return False


def _parts(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.part"))


def _size(path: Path) -> int:
    """The size of a file that may be renamed or removed while we look (0 then)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


# --- (a) killed with SIGKILL while writing ------------------------------------------------


@pytest.mark.parametrize("earlier", [False, True], ids=["new file", "over an earlier file"])
def test_a_csv_killed_mid_write_is_absent_or_the_earlier_one_whole(tmp_path, earlier):
    target = tmp_path / "trials.csv"
    if earlier:
        pd.DataFrame({"trial": range(3), "rep": "R1", "pay": 1.0}).to_csv(target, index=False)
        before = target.read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITE_BIG, str(target), "3000000"],
        stdout=subprocess.PIPE,
        text=True,
    )
    # kill once the temporary file holds a part of the rows
    caught = _wait_for(lambda: any(_size(p) > 100_000 for p in _parts(tmp_path)), proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert caught, "the write ended before it could be interrupted"
    assert proc.returncode == -signal.SIGKILL
    if earlier:
        assert target.read_bytes() == before  # the earlier file, whole
    else:
        assert not target.exists()  # never a cut file under the real name
    # only the hidden temporary file remains, and it is not the target
    assert [p.name.startswith(".trials.csv.") for p in _parts(tmp_path)] == [True]


def test_a_run_killed_while_writing_leaves_whole_files_and_no_manifest(tmp_path):
    out = tmp_path / "run"
    trials = 2500
    proc = _cli("run", str(BASELINE), "--trials", str(trials), "--out", "run", "-q", cwd=tmp_path)
    # kill at the first sign of writing: a temporary file, or a table already in place
    started = _wait_for(lambda: out.is_dir() and any(out.iterdir()) and _writing(out), proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert started and proc.returncode == -signal.SIGKILL
    assert not (out / MANIFEST).exists()  # visibly partial
    for path in out.iterdir():
        if path.name.startswith("."):
            continue  # the lock and temporary files of the killed run
        if path.suffix == ".csv":
            frame = pd.read_csv(path)  # whole: parses, with every row
            if path.name.startswith("trials_"):
                assert len(frame) == trials
            if path.name.startswith("reps_"):
                assert len(frame) == 85
        else:
            assert path.read_text(encoding="utf-8").rstrip().endswith("</html>")
    # the next run into the folder takes the dead run's lock over and cleans up after it
    again = _cli("run", str(BASELINE), "--trials", "50", "--out", "run", "--force", cwd=tmp_path)
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert "took over the lock of a run that ended unfinished (pid " in stderr
    assert _parts(out) == [] and not (out / ".spm-sim.lock").exists()
    assert manifest_problems(out) == []


def _writing(folder: Path) -> bool:
    return bool(_parts(folder)) or any(p.suffix == ".csv" for p in folder.iterdir())


# --- (b) a disk that fails -----------------------------------------------------------------


def _file_size_limit(limit: int):
    """A preexec_fn: the process may write files of at most ``limit`` bytes (EFBIG)."""

    def limit_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_size


def test_write_csv_over_a_file_size_limit_names_the_file_and_leaves_no_part(tmp_path):
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    script = (
        "import sys\n"
        "import pandas as pd\n"
        "from spm_sim._files import write_csv\n"
        f"write_csv(pd.DataFrame({{'x': range(100)}}), {str(small)!r})\n"
        "try:\n"
        f"    write_csv(pd.DataFrame({{'x': range(200_000)}}), {str(big)!r})\n"
        "except OSError as exc:\n"
        "    print(exc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_file_size_limit(64_000),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        f"cannot write {big}: File too large; the file is larger than this process may "
        "write (see 'ulimit -f')"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.csv"]
    assert pd.read_csv(small)["x"].tolist() == list(range(100))


def _earlier_run(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A finished run's folder (written in this process, with its manifest)."""
    out = tmp_path / "run"
    with run_folder(out, version="0", command=["spm-sim", "run", "earlier.yaml"]):
        write_text(out / "report.html", "<html>the earlier report</html>\n")
        write_text(out / "summary.csv", "scenario,metric,mean\nEarlier,cost,1.0\n")
    return out, {p.name: p.read_bytes() for p in out.iterdir() if p.name != MANIFEST}


def _assert_refused_cleanly(proc: subprocess.Popen, out: Path, earlier: dict[str, bytes], why):
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 2, stderr
    # the note that the run replaces the earlier one, then the error: one line
    note, error = stderr.splitlines()
    assert (
        note.startswith("spm-sim: note: replacing the run in run (") and "Traceback" not in stderr
    )
    assert error.startswith(f"spm-sim: error: cannot write run/report.html: {why}")
    assert _parts(out) == [] and not (out / ".spm-sim.lock").exists()
    assert not (out / MANIFEST).exists()  # the folder says it is not a finished run
    assert (out / "report.html").read_bytes() == earlier["report.html"]  # the earlier one
    for name in earlier:  # every file is whole: the earlier one or this run's
        if name.endswith(".csv"):
            assert len(pd.read_csv(out / name)) > 0


def test_a_run_over_a_file_size_limit_fails_in_one_line_leaving_whole_files(tmp_path):
    out, earlier = _earlier_run(tmp_path)
    # the tables (under 64 kB at 40 trials) fit, the HTML report (~300 kB) does not
    proc = _cli(
        "run",
        str(BASELINE),
        "--trials",
        "40",
        "--out",
        "run",
        "--force",
        "-q",
        cwd=tmp_path,
        preexec_fn=_file_size_limit(64_000),
    )
    _assert_refused_cleanly(proc, out, earlier, "File too large")


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_a_run_on_a_full_disk_fails_in_one_line_leaving_whole_files(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(disk)])
    if mounted.returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        earlier_file = disk / "payroll-2024.csv"
        earlier_file.write_text("rep_id,amount\nR1,100.00\n")
        proc = _cli("run", str(BASELINE), "--trials", "40", "--out", "run", "-q", cwd=disk)
        stdout, stderr = proc.communicate(timeout=300)
        out = disk / "run"
        assert proc.returncode == 2, stderr
        assert stderr.count("\n") == 1 and "Traceback" not in stderr
        assert stderr.startswith("spm-sim: error: cannot write run/report.html: ")
        assert "No space left on device; the disk is full" in stderr
        assert not (out / "report.html").exists() and not (out / MANIFEST).exists()
        assert _parts(out) == [] and not (out / ".spm-sim.lock").exists()
        assert earlier_file.read_text() == "rep_id,amount\nR1,100.00\n"
        for table in out.glob("*.csv"):
            assert len(pd.read_csv(table)) > 0  # the tables that fitted are whole
    finally:
        subprocess.run(["umount", str(disk)], check=True)


# --- (c) two runs into one folder at once --------------------------------------------------


def test_two_runs_into_one_folder_one_is_refused_and_the_manifest_is_the_winners(tmp_path):
    procs = {
        seed: _cli(
            "run",
            str(BASELINE),
            "--trials",
            "1500",
            "--seed",
            seed,
            "--out",
            "run",
            "-q",
            cwd=tmp_path,
        )
        for seed in ("1", "2")
    }
    done = {seed: (p, *p.communicate(timeout=300)) for seed, p in procs.items()}
    codes = sorted(p.returncode for p, _, _ in done.values())
    assert codes == [0, 2], {s: err for s, (_, _, err) in done.items()}
    (winner,) = [s for s, (p, _, _) in done.items() if p.returncode == 0]
    (loser,) = [s for s, (p, _, _) in done.items() if p.returncode == 2]
    err = done[loser][2]
    assert err.startswith("spm-sim: error: --out run is being written by another run (pid ")
    assert err.count("\n") == 1 and f"--seed {winner} " in err
    out = tmp_path / "run"
    manifest = read_manifest(out)
    assert manifest["command"][manifest["command"].index("--seed") + 1] == winner
    assert manifest_problems(out) == []
    assert {o["path"] for o in manifest["outputs"]} == {
        p.name for p in out.iterdir() if p.name != MANIFEST
    }


def test_two_runs_without_out_are_kept_apart(tmp_path):
    procs = [_cli("run", str(BASELINE), "--trials", "100", "-q", cwd=tmp_path) for _ in range(2)]
    results = [(p, *p.communicate(timeout=300)) for p in procs]
    assert [p.returncode for p, _, _ in results] == [0, 0], [e for _, _, e in results]
    folders = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert folders == ["baseline-2026", "baseline-2026-2"]
    for name in folders:
        assert manifest_problems(tmp_path / "reports" / name) == []
