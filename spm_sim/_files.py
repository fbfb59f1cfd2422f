"""Files the package writes: whole or not at all, safe in a spreadsheet, accounted for.

Every file goes to a temporary file in the same folder and is renamed into place
(``os.replace``, atomic on one file system), so a run killed while writing, or a
full disk, never leaves a cut file that still parses as complete: the earlier file,
if any, stays as it was. A write that fails raises :class:`WriteError`, an
``OSError`` whose message names the file and says what to do, and removes its
temporary file. Text cells of a CSV that a spreadsheet would read as a formula
(beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) are written
with a leading apostrophe, the mitigation OWASP recommends against CSV injection: a
rep named ``=HYPERLINK(...)`` shows as text, not as a live link. Numbers are written
as numbers, negative ones included.

A run that writes a folder does it inside :func:`run_folder`: the folder is locked
against a second writer (:func:`hold_lock`, a lock file made with ``O_CREAT |
O_EXCL``), an earlier ``manifest.json`` is removed first, and the new manifest
(inputs and outputs with their sizes, SHA-256 and CSV row counts) is written as the
very last step, so a folder without a manifest is visibly partial.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = write_csv(pd.DataFrame({"rep": ["=1+1", "Ann"], "pay": [-5.0, 7.0]}), folder / "a.csv")
>>> print(path.read_text().strip())
rep,pay
'=1+1,-5.0
Ann,7.0
"""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
import socket
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMULA_START",
    "MANIFEST",
    "LOCK",
    "PART_SUFFIX",
    "WriteError",
    "LockedError",
    "atomic_path",
    "write_csv",
    "write_text",
    "write_with",
    "save_figure",
    "safe_cells",
    "make_folder",
    "file_record",
    "input_records",
    "write_manifest",
    "read_manifest",
    "manifest_problems",
    "Lock",
    "hold_lock",
    "RunFolder",
    "run_folder",
    "now",
]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The file a run folder's inventory is written to, last.
MANIFEST = "manifest.json"
#: The lock file of a folder being written (hidden; removed when the run ends).
LOCK = ".spm-sim.lock"
#: The suffix of the temporary files :func:`atomic_path` writes before the rename.
PART_SUFFIX = ".part"

_HINTS = {
    errno.ENOSPC: "the disk is full: free some space or write to another disk",
    errno.EDQUOT: "the disk quota is used up: free some space or write elsewhere",
    errno.EFBIG: "the file is larger than this process may write (see 'ulimit -f')",
    errno.EACCES: "no permission to write there: choose a folder you can write to",
    errno.EPERM: "no permission to write there: choose a folder you can write to",
    errno.EROFS: "the file system is read-only: write somewhere else",
    errno.ENOENT: "its folder does not exist: create it or choose another place",
    errno.ENOTDIR: "a part of the path is a file, not a folder: choose another place",
    errno.EISDIR: "a folder of that name exists: give a file name instead",
    errno.EIO: "the disk reported an input/output error: check the disk and try again",
}


class WriteError(OSError):
    """A file could not be written; nothing partial was left in its place.

    An ``OSError`` (``errno`` and ``strerror`` of the cause kept, ``filename`` the
    file meant) whose message is one line: the file, the reason and what to do.
    ``folder`` is True when it was a folder that could not be created.

    Examples
    --------
    >>> import errno
    >>> print(WriteError(errno.ENOSPC, "No space left on device", "out/pay.csv"))
    cannot write out/pay.csv: No space left on device; the disk is full: free some space ...
    """

    folder: bool = False

    def __str__(self) -> str:
        verb = "create the folder" if self.folder else "write"
        reason = self.strerror or "unknown error"
        hint = _HINTS.get(self.errno or 0)
        return f"cannot {verb} {self.filename}: {reason}" + (f"; {hint}" if hint else "")


def _write_error(exc: OSError, target: Path, *, folder: bool = False) -> WriteError:
    """``exc`` as a :class:`WriteError` about ``target`` (kept as it is if it is one)."""
    if isinstance(exc, WriteError):
        return exc
    err = WriteError(exc.errno or errno.EIO, exc.strerror or str(exc), str(target))
    err.folder = folder
    return err


class LockedError(FileExistsError):
    """Another live process is writing the same place (its lock file exists)."""


#: The run folders open in this context: told before and after each file is written.
_OPEN_RUNS: ContextVar[tuple[RunFolder, ...]] = ContextVar("spm_sim_open_runs", default=())


def _new_file_mode(target: Path) -> int:
    """The mode a new file gets: the earlier file's, else 0o666 less the umask."""
    with suppress(OSError):
        return target.stat().st_mode & 0o7777
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block ends cleanly.

    On an error inside the block the temporary file is removed and ``path`` is left
    as it was (absent, or the earlier file); an ``OSError`` comes out as a
    :class:`WriteError` naming ``path``. The file gets the earlier file's
    permissions, or the usual ones for a new file (0o666 less the umask). The data
    is flushed to the disk (``fsync``) before the rename and the folder after it, so
    a power cut cannot leave the new name on an empty or cut file either.
    """
    target = Path(path)
    for run in _OPEN_RUNS.get():
        run.before_write(target)
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=PART_SUFFIX, dir=target.parent
        )
    except OSError as exc:
        raise _write_error(exc, target) from exc
    os.close(handle)
    tmp = Path(name)
    try:
        os.chmod(tmp, _new_file_mode(target))
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(target.parent)
    except OSError as exc:
        raise _write_error(exc, target) from exc
    finally:
        tmp.unlink(missing_ok=True)
    for run in _OPEN_RUNS.get():
        run.add(target)


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries, to the disk (folders: POSIX only)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except (IsADirectoryError, PermissionError):  # pragma: no cover - Windows folders
        return
    try:
        os.fsync(fd)
    except OSError:
        if not path.is_dir():  # a folder some file systems cannot sync: that is fine
            raise
    finally:
        os.close(fd)


def make_folder(path: str | Path) -> Path:
    """Create ``path`` and its parents if needed; a failure is a :class:`WriteError`."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        cause = exc
        if folder.exists() and not folder.is_dir():
            cause = OSError(errno.ENOTDIR, "it is a file, not a folder")
        raise _write_error(cause, folder, folder=True) from exc
    return folder


def _escape(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with text cells that a spreadsheet would run as formulas escaped.

    Only text (object, string and categorical) columns and the column names change;
    numbers stay numbers.
    """
    import pandas as pd  # here, not at the top: the CLI imports this module at start

    out = frame.copy()
    for col in out.columns:
        kind = out[col].dtype
        if isinstance(kind, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(_escape)
    out.columns = [_escape(c) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, **to_csv: Any) -> Path:
    """Write ``frame`` as CSV to ``path``, whole or not at all, formulas escaped.

    ``to_csv`` goes to :meth:`pandas.DataFrame.to_csv` (``index`` defaults to False).
    Returns the path written.
    """
    to_csv.setdefault("index", False)
    with atomic_path(path) as tmp:
        safe_cells(frame).to_csv(tmp, **to_csv)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path``, whole or not at all."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_with(path: str | Path, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write`` on a binary file that becomes ``path`` only once it is complete."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        write(fh)
    return Path(path)


def save_figure(fig: Any, path: str | Path, **savefig: Any) -> Path:
    """Save a matplotlib figure to ``path``, whole or not at all.

    The format comes from the path's suffix unless ``format`` is given (the
    temporary file's own suffix must not decide it).
    """
    savefig.setdefault("format", Path(path).suffix.lstrip(".").lower() or "png")
    return write_with(path, lambda fh: fig.savefig(fh, **savefig))


# --- manifests -------------------------------------------------------------------------


def now() -> str:
    """The time now in UTC, ISO 8601 to the millisecond (``2026-01-31T09:00:00.000Z``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _csv_rows(path: Path) -> int:
    """Data rows of a CSV file (records after the header; quoted line breaks allowed)."""
    with open(path, encoding="utf-8", newline="", errors="replace") as fh:
        return max(sum(1 for _ in csv.reader(fh)) - 1, 0)


def file_record(path: str | Path, root: str | Path | None = None) -> dict[str, Any]:
    """Size and SHA-256 of a file, and its rows if it is a CSV.

    ``path`` is given relative to ``root`` (POSIX separators) when ``root`` holds
    it, else as an absolute path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("a,b\\n1,2\\n3,4\\n")
    >>> rec = file_record(folder / "t.csv", folder)
    >>> rec["path"], rec["bytes"], rec["rows"], len(rec["sha256"])
    ('t.csv', 12, 2, 64)
    """
    path = Path(path)
    digest, size = _sha256(path)
    shown = str(path.resolve())
    if root is not None:
        with suppress(ValueError):
            shown = path.resolve().relative_to(Path(root).resolve()).as_posix()
    record: dict[str, Any] = {"path": shown, "bytes": size, "sha256": digest}
    if path.suffix.lower() == ".csv":
        record["rows"] = _csv_rows(path)
    return record


def _visible_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(part.startswith((".", "__")) for part in p.relative_to(folder).parts)
    )


def input_records(inputs: Iterable[tuple[str, str | Path]]) -> list[dict[str, Any]]:
    """One record per input file, each with its ``role``; a folder gives one per file.

    ``inputs`` are ``(role, path)`` pairs such as ``("book", "data/sample")``; a
    path that is named twice is recorded once, and hidden files in folders are left
    out.
    """
    records: list[dict[str, Any]] = []
    seen: set[Path] = set()
    for role, given in inputs:
        path = Path(given)
        files = _visible_files(path) if path.is_dir() else [path]
        for f in files:
            key = f.resolve()
            if key in seen or not f.is_file():
                continue
            seen.add(key)
            records.append({"role": role, **file_record(f)})
    return records


def write_manifest(
    folder: str | Path,
    *,
    version: str,
    command: list[str],
    started: str,
    inputs: list[dict[str, Any]],
    outputs: Iterable[str | Path],
) -> Path:
    """Write ``folder/manifest.json``: who wrote the folder, from what, and each file.

    Parameters
    ----------
    folder : path
        The run folder.
    version : str
        The spm_sim version that wrote it.
    command : list of str
        The command line (``["spm-sim", "run", ...]``).
    started : str
        When the run started (:func:`now`); the end time is taken here.
    inputs : list of dict
        :func:`input_records` of what the run read.
    outputs : paths
        The files the run wrote, inside ``folder``; each is hashed now and listed
        with its path relative to the folder, sorted.

    Returns
    -------
    Path
        The manifest's path.
    """
    folder = Path(folder)
    files = sorted({Path(p).resolve() for p in outputs if Path(p).name != MANIFEST})
    manifest = {
        "spm_sim_version": version,
        "command": list(command),
        "cwd": str(Path.cwd()),
        "started": started,
        "finished": now(),
        "inputs": inputs,
        "outputs": [file_record(p, folder) for p in files],
    }
    return write_text(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The manifest of ``folder`` (``None`` when it has none or it is unreadable)."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def manifest_problems(folder: str | Path) -> list[str]:
    """What in ``folder`` differs from its manifest; empty when every file matches.

    Examples
    --------
    >>> import tempfile
    >>> manifest_problems(tempfile.mkdtemp())
    ['no manifest.json: the run that wrote this folder did not finish']
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        return [f"no {MANIFEST}: the run that wrote this folder did not finish"]
    problems = []
    for rec in manifest.get("outputs", []):
        path = folder / rec["path"]
        if not path.is_file():
            problems.append(f"{rec['path']}: missing")
            continue
        now_rec = file_record(path, folder)
        for key in ("bytes", "sha256", "rows"):
            if key in rec and rec[key] != now_rec.get(key):
                problems.append(f"{rec['path']}: {key} {now_rec.get(key)} != {rec[key]}")
    return problems


# --- locks -----------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie counts as ended)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    with suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _read_lock(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _lock_is_stale(info: dict[str, Any]) -> bool:
    """A lock of this machine whose process has ended (a foreign host's never is)."""
    pid = info.get("pid")
    if not isinstance(pid, int) or info.get("host") not in (None, socket.gethostname()):
        return False
    return not _pid_alive(pid)


@dataclass(frozen=True)
class Lock:
    """A lock held by this process: its file, and what was found there before.

    ``took_over`` describes a stale lock (its process had ended) that this one
    replaced, ``None`` otherwise; ``removed`` lists the temporary files that dead
    run had left in the folder, removed when the lock was taken over.
    """

    path: Path
    took_over: str | None = None
    removed: tuple[Path, ...] = ()


@contextmanager
def _guard(folder: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``folder`` while a stale lock is replaced (POSIX)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no flock; the race is narrow
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        with suppress(OSError):  # a file system without flock: the race is narrow
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _create_lock(path: Path, info: dict[str, Any]) -> bool:
    """Create the lock file with ``O_CREAT | O_EXCL``; False when it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    except OSError as exc:
        raise _write_error(exc, path) from exc
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(info) + "\n")
    return True


def _describe_holder(info: dict[str, Any]) -> str:
    bits = [f"pid {info.get('pid', '?')}"]
    if info.get("host"):
        bits.append(f"on {info['host']}")
    if info.get("started"):
        bits.append(f"started {info['started']}")
    if info.get("command"):
        bits.append(f"'{info['command']}'")
    return ", ".join(bits)


@contextmanager
def hold_lock(
    path: str | Path, *, what: str, command: str = "", clean: bool = False
) -> Iterator[Lock]:
    """Hold the lock file ``path`` for the block; refuse if a live process holds it.

    The lock is created with ``O_CREAT | O_EXCL`` and holds this process's id, host,
    start time and ``command``; it is removed when the block ends, normally, on an
    error or on Ctrl-C. A process killed by SIGKILL or SIGTERM leaves it behind;
    the next run takes over a lock whose process has ended (killed, crashed); with ``clean``
    (the lock of a whole folder) the temporary files that run left in the folder are
    removed too. The returned :class:`Lock` says what was taken over.

    Raises
    ------
    LockedError
        When a live process holds the lock; the message starts with ``what`` (the
        place, as the user named it) and names the process.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> lock_file = pathlib.Path(tempfile.mkdtemp()) / LOCK
    >>> with hold_lock(lock_file, what="--out x") as held:
    ...     lock_file.exists(), held.took_over
    (True, None)
    >>> lock_file.exists()
    False
    """
    path = Path(path)
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": now(),
        "command": command,
    }
    took_over: str | None = None
    removed: list[Path] = []
    if not _create_lock(path, info):
        with _guard(path.parent):
            holder = _read_lock(path)
            if path.exists() and not _lock_is_stale(holder):
                raise LockedError(
                    f"{what} is being written by another run ({_describe_holder(holder)}); "
                    "wait for it to finish or write elsewhere. If that run is no longer "
                    f"going on, delete {path}"
                )
            path.unlink(missing_ok=True)
            took_over = _describe_holder(holder)
            removed = _remove_parts(path.parent) if clean else []
            if not _create_lock(path, info):  # a new run got in between: it holds it
                raise LockedError(
                    f"{what} is being written by another run "
                    f"({_describe_holder(_read_lock(path))}); wait for it to finish or "
                    "write elsewhere"
                )
    try:
        yield Lock(path, took_over, tuple(removed))
    finally:
        if _read_lock(path).get("pid") == os.getpid():
            path.unlink(missing_ok=True)


def _remove_parts(folder: Path) -> list[Path]:
    """The temporary files (``.NAME.*.part``) a dead run left in ``folder``, removed."""
    removed = []
    for p in sorted(folder.glob(f".*{PART_SUFFIX}")):
        with suppress(OSError):
            p.unlink()
            removed.append(p)
    return removed


# --- run folders -----------------------------------------------------------------------


@dataclass
class RunFolder:
    """A folder a run is writing: where, its lock, and the files written so far."""

    path: Path
    lock: Lock
    written: list[Path] = field(default_factory=list)
    started_writing: bool = False

    def _holds(self, target: Path) -> bool:
        return self.path.resolve() in target.resolve().parents

    def before_write(self, target: str | Path) -> None:
        """Remove the folder's earlier manifest before the run's first file lands in it."""
        if self.started_writing or not self._holds(Path(target)):
            return
        try:
            (self.path / MANIFEST).unlink(missing_ok=True)
        except OSError as exc:
            raise _write_error(exc, self.path / MANIFEST) from exc
        self.started_writing = True

    def add(self, path: str | Path) -> None:
        """Count a file as an output (done for every file written through this module)."""
        if self._holds(Path(path)):
            self.written.append(Path(path))


def _missing_ancestors(folder: Path) -> list[Path]:
    """``folder`` and its parents that do not exist yet, deepest first."""
    missing = []
    p = folder.absolute()
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    return missing


@contextmanager
def run_folder(
    folder: str | Path,
    *,
    version: str,
    command: list[str],
    started: str | None = None,
    inputs: Iterable[tuple[str, str | Path]] = (),
    what: str | None = None,
) -> Iterator[RunFolder]:
    """Write a run's files into ``folder``, locked, with ``manifest.json`` written last.

    On entry the folder is created, locked (:func:`hold_lock`; a second writer is
    refused with :class:`LockedError`) and the inputs are hashed. Before the first
    file of the run lands in the folder its earlier manifest is removed, so a run
    that stops half-way leaves none. Every file written through this module inside
    ``folder`` during the block is an output; when the block ends cleanly the
    manifest lists inputs and outputs. On an error no manifest is written, and a
    folder this call created and nothing was written to is removed again. The lock
    goes either way.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> with run_folder(out, version="1.0", command=["spm-sim", "demo"]) as run:
    ...     _ = write_text(out / "note.txt", "hello\\n")
    >>> [rec["path"] for rec in read_manifest(out)["outputs"]], manifest_problems(out)
    (['note.txt'], [])
    """
    folder = Path(folder)
    created = _missing_ancestors(folder)
    make_folder(folder)
    started = started or now()
    shown = " ".join(command)
    try:
        with hold_lock(folder / LOCK, what=what or str(folder), command=shown, clean=True) as lock:
            records = input_records(inputs)
            run = RunFolder(folder, lock)
            token = _OPEN_RUNS.set((*_OPEN_RUNS.get(), run))
            try:
                yield run
            finally:
                _OPEN_RUNS.reset(token)
            write_manifest(
                folder,
                version=version,
                command=command,
                started=started,
                inputs=records,
                outputs=[p for p in run.written if p.is_file()],
            )
    except BaseException:
        for p in created:  # deepest first; stops at the first that is not empty
            try:
                p.rmdir()
            except OSError:
                break
        raise
