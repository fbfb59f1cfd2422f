"""Faults while writing, in real processes: killed with SIGKILL, a full disk (a real
tmpfs where one can be mounted, and everywhere an injected ENOSPC), a file-size limit,
two runs writing one folder at once. Afterwards every file is whole or absent,
an earlier file is as it was, no temporary file is left where the process could clean
up, and a folder has a manifest only when the run that wrote it finished.

Each test starts subprocesses (``python -m spm_sim.cli`` or a short script), so what
is checked is what a user sees: exit status, stderr, and the files on disk.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from spm_sim._files import (
    LOCK,
    MANIFEST,
    manifest_problems,
    read_manifest,
    run_folder,
    write_text,
)

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

#: ``spm-sim`` (the arguments after the first) on a disk that holds ``argv[1]`` bytes
#: more: every file the package writes goes through a temporary ``.part`` file, and
#: each write to one counts against the space left; a write that does not fit fails
#: with ENOSPC, as on a full disk. The kernel's own ENOSPC needs a small file system
#: (the tmpfs test below, where mounting is allowed); this injection runs everywhere,
#: so the no-space path of write_csv and write_text is always exercised.
FULL_DISK = """
import builtins, errno, io, os, sys
from spm_sim._files import PART_SUFFIX
space = [int(sys.argv[1])]
real_open = io.open

class OnAFullDisk:
    def __init__(self, fh):
        self._fh = fh
    def write(self, data):
        size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
        if size > space[0]:
            space[0] = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        space[0] -= size
        return self._fh.write(data)
    def fileno(self):  # every byte goes through write(), none straight to the descriptor
        raise io.UnsupportedOperation("fileno")
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self._fh.close()
    def __getattr__(self, name):
        return getattr(self._fh, name)

def open_on_a_full_disk(file, mode="r", *args, **kwargs):
    fh = real_open(file, mode, *args, **kwargs)
    if str(file).endswith(PART_SUFFIX) and any(m in mode for m in "wax+"):
        return OnAFullDisk(fh)
    return fh

builtins.open = io.open = open_on_a_full_disk
from spm_sim.cli.app import main
sys.exit(main(sys.argv[2:]))
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


def _kill_once_a_table_is_written(tmp_path: Path, trials: int) -> Path:
    """Start ``spm-sim run`` and SIGKILL it as soon as a first table is under its name,
    while it writes the next ones; a run that finished first (a manifest: the kill came
    too late, on a loaded machine) is tried again in a new folder, three times in all."""
    for attempt in range(3):
        out = tmp_path / f"run{attempt}"
        proc = _cli(
            "run", str(BASELINE), "--trials", str(trials), "--out", out.name, "-q", cwd=tmp_path
        )
        written = _wait_for(lambda out=out: _tables(out) != [], proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert written, "the run ended without writing a table"
        if not (out / MANIFEST).exists():
            assert proc.returncode == -signal.SIGKILL
            return out
    raise AssertionError("three runs finished before the kill landed")


def _tables(folder: Path) -> list[Path]:
    """The CSV files under their real names in ``folder`` (none while it does not exist)."""
    return sorted(folder.glob("[!.]*.csv")) if folder.is_dir() else []


def test_a_run_killed_while_writing_leaves_whole_files_and_no_manifest(tmp_path):
    trials = 2500
    out = _kill_once_a_table_is_written(tmp_path, trials)
    assert not (out / MANIFEST).exists()  # visibly partial
    tables = _tables(out)
    assert tables, "no table was written before the kill"  # so the loop below checks some
    rows = {}
    for path in tables:
        frame = pd.read_csv(path)  # whole: parses, with every row
        rows[path.name] = len(frame)
        if path.name.startswith("trials_"):
            assert len(frame) == trials
        if path.name.startswith("reps_"):
            assert len(frame) == 85
        if path.name == "summary.csv":
            assert (frame["n_trials"] == trials).all()
    for path in out.iterdir():
        if path.name.startswith(".") or path.suffix == ".csv" or path.name == "results":
            continue  # the lock and temporary files of the killed run; the tables above;
            # the saved results (each written whole into place, checked by their own tests)
        assert path.name == "report.html"
        assert path.read_text(encoding="utf-8").rstrip().endswith("</html>")
    # the next run into the folder takes the dead run's lock over and cleans up after it
    again = _cli("run", str(BASELINE), "--trials", "50", "--out", out.name, "--force", cwd=tmp_path)
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert "took over the lock of a run that ended unfinished (pid " in stderr
    assert _parts(out) == [] and not (out / ".spm-sim.lock").exists()
    assert manifest_problems(out) == []
    if "summary.csv" in rows:  # as many metrics as a finished run's summary
        assert rows["summary.csv"] == len(pd.read_csv(out / "summary.csv"))


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


def _assert_no_space(returncode: int, stderr: str, out: Path, failed: str) -> None:
    """A run stopped by a full disk: one line naming the file, no partial file, no
    manifest, no lock or temporary file left, and the tables written before whole."""
    assert returncode == 2, stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert stderr.startswith(f"spm-sim: error: cannot write run/{failed}: ")
    assert "No space left on device; the disk is full" in stderr
    assert not (out / failed).exists() and not (out / MANIFEST).exists()
    assert _parts(out) == [] and not (out / LOCK).exists()
    tables = _tables(out)
    assert tables  # written before the disk filled up
    for table in tables:
        assert len(pd.read_csv(table)) > 0  # the tables that fitted are whole


EARLIER_PAYROLL = "rep_id,amount\nR1,100.00\n"


@pytest.mark.parametrize(
    ("space", "failed"),
    [(5_000, "reps_baseline-2026.csv"), (160_000, "report.html")],
    ids=["a table (write_csv)", "the report (write_text)"],
)
def test_a_run_on_a_disk_that_fills_up_fails_in_one_line_leaving_whole_files(
    tmp_path, space, failed
):
    """ENOSPC injected into every write of the package's temporary files (FULL_DISK):
    the summary (1.6 kB) fits in 5 kB and the per-rep table does not; the three tables
    (under 20 kB) fit in 160 kB and the report (about 300 kB) does not."""
    earlier_file = tmp_path / "payroll-2024.csv"
    earlier_file.write_text(EARLIER_PAYROLL)
    argv = ["run", str(BASELINE), "--trials", "40", "--out", "run", "-q"]
    proc = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(space), *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    _assert_no_space(proc.returncode, proc.stderr, tmp_path / "run", failed)
    assert earlier_file.read_text() == EARLIER_PAYROLL


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_a_run_on_a_full_disk_fails_in_one_line_leaving_whole_files(tmp_path):
    """The kernel's own ENOSPC, from a 160 kB tmpfs (where the machine allows mounting
    one; the injected test above runs everywhere)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(disk)])
    if mounted.returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        earlier_file = disk / "payroll-2024.csv"
        earlier_file.write_text(EARLIER_PAYROLL)
        proc = _cli("run", str(BASELINE), "--trials", "40", "--out", "run", "-q", cwd=disk)
        _, stderr = proc.communicate(timeout=300)
        _assert_no_space(proc.returncode, stderr, disk / "run", "report.html")
        assert earlier_file.read_text() == EARLIER_PAYROLL
    finally:
        subprocess.run(["umount", str(disk)], check=True)


# --- (c) two runs into one folder at once --------------------------------------------------


def _holds_lock(lock: Path, pid: int) -> bool:
    """Whether process ``pid`` has written its lock file ``lock`` (so it holds the place)."""
    try:
        return json.loads(lock.read_text(encoding="utf-8")).get("pid") == pid
    except (OSError, ValueError):
        return False


def _run_seed(seed: str, tmp_path: Path) -> subprocess.Popen:
    return _cli(
        "run", str(BASELINE), "--trials", "300", "--seed", seed, "--out", "run", "-q", cwd=tmp_path
    )


def test_two_runs_into_one_folder_one_is_refused_and_the_manifest_is_the_winners(tmp_path):
    """The second run starts once the first holds the folder's lock (its lock file,
    polled for), and the first is paused (SIGSTOP) until the second has ended: on a
    loaded machine the first cannot finish before the second reaches the lock, so
    every time exactly one run succeeds and the other is refused by the lock."""
    out = tmp_path / "run"
    first = _run_seed("1", tmp_path)
    try:
        held = _wait_for(lambda: _holds_lock(out / LOCK, first.pid), first)
        assert held, "the first run ended before it held the lock"
        first.send_signal(signal.SIGSTOP)
        try:
            second = _run_seed("2", tmp_path)
            _, lost = second.communicate(timeout=300)
        finally:
            first.send_signal(signal.SIGCONT)
        _, won = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert (first.returncode, second.returncode) == (0, 2), (won, lost)
    assert lost.startswith(
        f"spm-sim: error: --out run is being written by another run (pid {first.pid}, "
    )
    assert lost.count("\n") == 1 and "--seed 1 " in lost  # the holder's command line
    manifest = read_manifest(out)
    assert manifest is not None
    assert manifest["command"][manifest["command"].index("--seed") + 1] == "1"
    assert manifest_problems(out) == []
    assert {o["path"] for o in manifest["outputs"]} == {
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != MANIFEST
    }
    assert not (out / LOCK).exists()


def test_two_runs_without_out_are_kept_apart(tmp_path):
    procs = [_cli("run", str(BASELINE), "--trials", "100", "-q", cwd=tmp_path) for _ in range(2)]
    results = [(p, *p.communicate(timeout=300)) for p in procs]
    assert [p.returncode for p, _, _ in results] == [0, 0], [e for _, _, e in results]
    folders = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert folders == ["baseline-2026", "baseline-2026-2"]
    for name in folders:
        assert manifest_problems(tmp_path / "reports" / name) == []
