"""Where a command writes, checked before any work starts: output places (writable,
the right kind, not an input, not an earlier result unless ``--force``), the lock and
manifest of a run folder, and whether a run fits in memory.

Examples
--------
>>> numbered(Path("reports/baseline"), 2).as_posix()
'reports/baseline-2'
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any, NamedTuple

from spm_sim._files import (
    MANIFEST,
    Lock,
    LockedError,
    RunFolder,
    hold_lock,
    make_folder,
    now,
    read_manifest,
    run_folder,
)
from spm_sim._provenance import package_version
from spm_sim.errors import SpmSimError

from .table import plural

__all__ = [
    "INPUTS",
    "OUTPUTS",
    "FOLDER",
    "FILE",
    "SCENARIO_FILES",
    "Input",
    "scenario_inputs",
    "command_inputs",
    "overwritten_inputs",
    "outputs_over_inputs",
    "place_problem",
    "numbered",
    "holds_run",
    "earlier_run",
    "existing_outputs",
    "add_force",
    "note",
    "output_file",
    "output_folder",
    "available_memory",
    "check_memory",
]


#: Options and arguments that name files or folders a command reads.
INPUTS = (
    "book",
    "plan",
    "plan_a",
    "plan_b",
    "plans",
    "scenario",
    "scenarios",
    "scores",
    "targets",
    "units",
    "homes",
    "config",
    "grid",
)
#: Options that name files or folders a command writes.
OUTPUTS = ("out", "csv", "figure")
#: The fields of a scenario file that name further files it reads, with their role
#: (resolved as :func:`spm_sim.scenario.load_scenario` resolves them: relative to
#: the scenario file; ``book: sample`` is the shipped sample).
SCENARIO_FILES = (
    (("book",), "book"),
    (("plan",), "plan"),
    (("quota", "targets"), "quota targets"),
    (("quota", "options", "targets"), "quota targets"),
    (("behaviour", "reference_plan"), "reference plan"),
)


class Input(NamedTuple):
    """A file or folder a command reads: its role, where it is, and what names it.

    ``named_by`` is empty for a file named on the command line, else where it is
    named (``field 'book' of s.yaml``).
    """

    role: str
    path: Path
    named_by: str = ""

    def describe(self) -> str:
        """The role in words, with what names it: ``book, field 'book' of s.yaml``."""
        return self.role + (f", {self.named_by}" if self.named_by else "")


def _paths(value: Any) -> list[Path]:
    if value is None or value is False:
        return []
    values = value if isinstance(value, (list, tuple)) else [value]
    return [Path(v).expanduser().resolve() for v in values]


def scenario_inputs(path: str | Path) -> list[Input]:
    """What a scenario file makes a command read: the file, and each file it names.

    The scenario itself, its book folder, its plan file, its bottom-up targets
    (``quota.targets`` or ``quota.options.targets``) and its reference plan
    (``behaviour.reference_plan``), resolved against the scenario's folder as
    :func:`spm_sim.scenario.load_scenario` does (:data:`SCENARIO_FILES`). Only the
    YAML is read, so this works before (and whether or not) the scenario is valid;
    a field that holds no file name (a plan written inline) names nothing.

    Raises
    ------
    ScenarioError
        When the file cannot be read as YAML (the message of
        :func:`spm_sim.scenario.load_scenario` for the same file).

    Examples
    --------
    >>> import tempfile
    >>> spot = Path(tempfile.mkdtemp())
    >>> _ = (spot / "s.yaml").write_text("book: bk\\nquota: {method: bottom_up, targets: t.csv}\\n")
    >>> [(i.role, i.path.name) for i in scenario_inputs(spot / "s.yaml")]
    [('scenario', 's.yaml'), ('book', 'bk'), ('quota targets', 't.csv')]
    """
    from spm_sim._spec import read_yaml
    from spm_sim.book import SAMPLE_BOOK, SAMPLE_DIR
    from spm_sim.errors import ScenarioError

    path = Path(path)
    found = [Input("scenario", path.expanduser().resolve())]
    data: Any = read_yaml(path, error=ScenarioError)
    base = path.resolve().parent
    for keys, role in SCENARIO_FILES:
        value = data
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if keys == ("book",) and value is None:
            value = SAMPLE_BOOK  # the scenario's default book
        if not isinstance(value, str) or not value.strip():
            continue
        where = SAMPLE_DIR if keys == ("book",) and value == SAMPLE_BOOK else base / value
        found.append(Input(role, where.resolve(), f"field '{'.'.join(keys)}' of {path}"))
    return found


def command_inputs(args: argparse.Namespace, sample_dir: Path | None = None) -> list[Input]:
    """Every file or folder a command reads: named by its options and by its scenarios.

    The options of :data:`INPUTS` (``book: sample`` stands for ``sample_dir``), and
    for a command that reads scenario files (``scenario``, ``scenarios``) the files
    each names (:func:`scenario_inputs`).

    Examples
    --------
    >>> [i.role for i in command_inputs(argparse.Namespace(book="b", plan="p.yaml"))]
    ['book', 'plan']
    """
    inputs: list[Input] = []
    for name in INPUTS:
        value = getattr(args, name, None)
        if name == "book" and value == "sample":
            value = sample_dir
        if name in ("scenario", "scenarios") and value:
            for given in value if isinstance(value, (list, tuple)) else [value]:
                inputs += scenario_inputs(given)
            continue
        inputs += [Input(name, p) for p in _paths(value)]
    return inputs


def overwritten_inputs(
    outputs: Iterable[tuple[str, Any, Path]],
    inputs: Iterable[Input],
    *,
    reader: str = "this command",
) -> list[str]:
    """Each output that is an input, or lies inside an input folder, as a refusal.

    ``outputs`` are ``(flag, given, written)``: the option, the value the user gave
    it and a file or folder written for it (the value itself, or a file written
    beside it such as ``quotas_reps.csv`` for ``--out quotas.csv``). Each message
    names the option, the input and its role; ``--force`` does not lift it.

    Examples
    --------
    >>> book = Input("book", Path("/data/bk").resolve(), "field 'book' of s.yaml")
    >>> out = Path("/data/bk/reps.csv")
    >>> print(overwritten_inputs([("--out", out, out)], [book])[0].split(", which")[0])
    --out /data/bk/reps.csv: is inside /data/bk (book, field 'book' of s.yaml)
    """
    inputs = list(inputs)
    problems = []
    said: set[tuple[str, str, Path]] = set()
    for flag, given, written in outputs:
        out = Path(written).expanduser().resolve()
        beside = (
            "" if Path(written) == Path(given) else f"{Path(written).name}, written beside it, "
        )
        for read in inputs:
            src = read.path.expanduser().resolve()
            if not (out == src or src in out.parents):
                continue
            if (flag, str(given), src) not in said:  # one message per option and input
                said.add((flag, str(given), src))
                where = "is" if out == src else "is inside"
                problems.append(
                    f"{flag} {given}: {beside}{where} {src} ({read.describe()}), which {reader} "
                    "reads; write the output elsewhere, so no input is overwritten (--force "
                    "does not change this)"
                )
            break  # one message per file written
    return problems


def outputs_over_inputs(
    args: argparse.Namespace,
    sample_dir: Path | None = None,
    outputs: Iterable[tuple[str, Path]] | None = None,
) -> list[str]:
    """Each output of a command that would overwrite one of its inputs, as a message.

    The inputs are :func:`command_inputs` (the options' files and folders, and the
    files each scenario names); ``book: sample`` stands for ``sample_dir``.
    ``outputs`` are ``(flag, path)`` for every file the command writes, side files
    included (default: the value of each option of :data:`OUTPUTS`). An output
    clashes when it is an input file, or lies inside (or is) an input folder such as
    the book's (:func:`overwritten_inputs`). An empty list means the command writes
    nothing it reads.

    Examples
    --------
    >>> ns = argparse.Namespace(book="data/sample", out=Path("data/sample/bookings.csv"))
    >>> outputs_over_inputs(ns)[0].split(":")[0]
    '--out data/sample/bookings.csv'
    """
    if outputs is None:
        outputs = [
            ("--" + name.replace("_", "-"), p)
            for name in OUTPUTS
            for p in _listed(getattr(args, name, None))
        ]
    named = []
    for flag, path in outputs:
        given = getattr(args, flag.removeprefix("--").replace("-", "_"), None)
        named.append((flag, given if given is not None else path, path))
    return overwritten_inputs(named, command_inputs(args, sample_dir))


def _listed(value: Any) -> list[Path]:
    if value is None or value is False:
        return []
    return [Path(v) for v in (value if isinstance(value, (list, tuple)) else [value])]


# --- output places --------------------------------------------------------------------

#: What an output option names: a folder written into, or a file.
FOLDER, FILE = "folder", "file"


def place_problem(path: str | Path, kind: str) -> str | None:
    """Why ``path`` cannot be written as a ``kind`` (:data:`FOLDER` or :data:`FILE`).

    ``None`` when it can: a folder that exists or can be created (no file in its
    way), or a file whose folder does; and the nearest existing folder on the way
    takes a new file (tried, so a read-only disk or a missing permission shows even
    for root). Nothing is created.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> spot = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (spot / "taken.csv").write_text("x")
    >>> print(place_problem(spot / "new" / "run", FOLDER))
    None
    >>> place_problem(spot / "taken.csv", FOLDER).split(";")[0]
    'is an existing file, and a folder is wanted here'
    >>> place_problem(spot / "taken.csv" / "out.csv", FILE).split(":")[0]
    'cannot be created'
    """
    p = Path(path).expanduser()
    if p.exists():
        if kind == FOLDER and not p.is_dir():
            return (
                "is an existing file, and a folder is wanted here; give the name of a "
                "folder (new or existing), or move the file away"
            )
        if kind == FILE and p.is_dir():
            return (
                "is an existing folder, and a file is wanted here; give a file's name, "
                f"inside it if you like: {p / 'NAME'}"
            )
    nearest = (p if kind == FOLDER else p.parent).absolute()
    while not nearest.exists() and nearest != nearest.parent:
        nearest = nearest.parent
    if not nearest.is_dir():
        return f"cannot be created: {nearest} is a file, not a folder; choose another place"
    try:
        handle, probe = tempfile.mkstemp(prefix=".spm-sim-probe.", dir=nearest)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return f"cannot be written: {reason} in {nearest}; choose a folder you can write to"
    os.close(handle)
    os.unlink(probe)
    return None


def numbered(path: Path, n: int) -> Path:
    """The ``n``-th place for a default output: ``reports/x`` -> ``reports/x-2``.

    A file keeps its suffix: ``quotas.csv`` -> ``quotas-2.csv``; ``n = 1`` is the
    path itself.

    Examples
    --------
    >>> numbered(Path("reports/base"), 2).as_posix(), numbered(Path("quotas.csv"), 3).name
    ('reports/base-2', 'quotas-3.csv')
    """
    if n == 1:
        return path
    return path.with_name(f"{path.stem}-{n}{path.suffix}")


def note(message: str) -> None:
    """Tell the user something about where the output goes (one line on stderr)."""
    print(f"spm-sim: note: {message}", file=sys.stderr)


def add_force(parser: argparse.ArgumentParser) -> None:
    """``--force``: replace an earlier output the user named (refused without it)."""
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the earlier run or file at the output place you named (without it an "
        "existing output is refused; a default output never replaces one, it is numbered)",
    )


def holds_run(folder: Path) -> bool:
    """Whether ``folder`` holds an earlier run: a manifest or any file (not a subfolder).

    Hidden files (a stale lock, the temporary files of a killed run) do not count;
    nor do subfolders, so ``reports/`` holding the folders of ``spm-sim run`` is free
    for ``spm-sim demo``.
    """
    if not folder.is_dir():
        return False
    return (folder / MANIFEST).exists() or any(
        p.is_file() and not p.name.startswith(".") for p in folder.iterdir()
    )


def earlier_run(folder: Path) -> str:
    """The earlier run in ``folder`` in words: its command and end time, or a few files."""
    manifest = read_manifest(folder)
    if manifest is not None:
        by = " ".join(manifest.get("command", [])) or "an unnamed command"
        return f"'{by}', finished {manifest.get('finished', '?')}"
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{shown}; no manifest, so that run may not have finished"


def existing_outputs(
    args: argparse.Namespace, places: Iterable[tuple[str, Path, str]]
) -> list[str]:
    """Each named output place that holds an earlier output, as a refusal (none with --force).

    ``places`` are ``(flag, path, kind)``: a :data:`FOLDER` that holds a run
    (:func:`holds_run`) or a :data:`FILE` that exists is refused unless ``--force``.
    """
    if getattr(args, "force", False):
        return []
    problems = []
    for flag, path, kind in places:
        if kind == FOLDER and holds_run(path):
            problems.append(
                f"{flag} {path} already holds an earlier run ({earlier_run(path)}); pass --force "
                f"to replace it, or choose another {flag.split()[0]}"
            )
        elif kind == FILE and path.is_file():
            problems.append(
                f"{flag} {path} exists already; pass --force to replace it, or choose another "
                f"{flag.split()[0]}"
            )
    return problems


def _command(args: argparse.Namespace) -> list[str]:
    return list(getattr(args, "command_line", None) or ["spm-sim", str(args.command)])


def _say_lock(lock: Lock, where: Path) -> None:
    if lock.took_over is None:
        return
    removed = plural(len(lock.removed), "temporary file")
    left = f"; removed {removed} it left" if lock.removed else ""
    note(f"{where}: took over the lock of a run that ended unfinished ({lock.took_over}){left}")


@contextmanager
def _file_lock(path: Path, args: argparse.Namespace, option: str) -> Iterator[Lock]:
    """Hold ``path``'s lock; folders made for it are removed again if left empty
    (a command refused after taking the lock leaves no trace)."""
    made = [f for f in (path.parent, *path.parent.parents) if not f.exists()]  # deepest first
    make_folder(path.parent)
    lock_file = path.parent / f".{path.name}.lock"
    try:
        with hold_lock(
            lock_file, what=f"{option} {path}", command=" ".join(_command(args))
        ) as lock:
            yield lock
    finally:
        for folder in made:
            with suppress(OSError):  # not empty: the command wrote there
                folder.rmdir()


@contextmanager
def output_file(
    args: argparse.Namespace,
    path: Path,
    *,
    chosen: bool = True,
    option: str = "--out",
    related: Callable[[Path], list[Path]] | None = None,
) -> Iterator[Path]:
    """The file a command writes, locked (``.NAME.lock`` beside it) while it runs.

    A second run writing the same file at the same time is refused (one line naming
    ``option`` and the path); the file's folder is created if needed. ``related``
    gives the files a command writes for ``path`` (default: ``path`` alone; e.g.
    ``quotas.csv`` and ``quotas_reps.csv``). ``chosen``: the user named ``path``;
    when one of them exists it is refused unless ``--force`` (checked again once the
    lock is held, so a run that finished meanwhile is not overwritten). Otherwise
    ``path`` is a default that never replaces an earlier run: the first of
    ``quotas.csv``, ``quotas-2.csv``... none of whose related files exists is used,
    and said.
    """
    related = related or (lambda p: [p])
    if chosen:
        try:
            with _file_lock(path, args, option) as lock:
                found = existing_outputs(args, [(f"{option} {p}", p, FILE) for p in related(path)])
                if found:
                    raise SpmSimError("; ".join(found))
                _say_lock(lock, path)
                yield path
        except LockedError as exc:
            raise SpmSimError(str(exc)) from None
        return
    for n in range(1, 1000):
        place = numbered(path, n)
        if any(p.exists() for p in related(place)):
            continue
        problem = place_problem(place, FILE)
        if problem:
            raise SpmSimError(f"the default output {place} {problem}; or give {option}")
        stack = ExitStack()
        try:
            lock = stack.enter_context(_file_lock(place, args, option))
        except LockedError:
            continue  # another run is writing it now: take the next number
        if any(p.exists() for p in related(place)):
            stack.close()
            continue
        with stack:
            if n > 1:
                note(
                    f"{path} is there from an earlier run; this one writes {place} "
                    f"(give {option} {path} --force to replace it)"
                )
            _say_lock(lock, place)
            yield place
        return
    raise SpmSimError(f"{numbered(path, 2)} to {numbered(path, 999)} all exist; give {option}")


def _open(args: argparse.Namespace, folder: Path, inputs, option: str):
    return run_folder(
        folder,
        version=package_version(),
        command=_command(args),
        started=getattr(args, "started", None) or now(),
        inputs=inputs,
        what=f"{option} {folder}",
    )


@contextmanager
def output_folder(
    args: argparse.Namespace,
    folder: Path,
    *,
    chosen: bool,
    inputs: Iterable[tuple[str, str | Path]] = (),
    option: str = "--out",
    replaceable: Callable[[Path], bool] | None = None,
) -> Iterator[RunFolder]:
    """The run folder a command writes into, locked, its manifest written at the end.

    ``chosen``: the user named ``folder`` (``--out``). Another live run writing it
    is refused; an earlier run in it (:func:`holds_run`) is refused unless
    ``--force`` (then replaced, and said), both checked with the lock held.
    Otherwise ``folder`` is a default, which never replaces an earlier run: the
    first of ``folder``, ``folder-2``, ``folder-3``... that holds none and that no
    other run is writing is used, and said. ``replaceable(folder)`` True lets an
    earlier output be replaced without ``--force`` (the demo's own earlier demo).
    Refusals are :class:`~spm_sim.errors.SpmSimError` naming ``option``. See
    :func:`spm_sim._files.run_folder` for the lock and the manifest.
    """

    def may_replace(place: Path) -> bool:
        return replaceable is not None and replaceable(place)

    if chosen:
        try:
            with _open(args, folder, inputs, option) as run:
                if holds_run(folder):
                    if not (getattr(args, "force", False) or may_replace(folder)):
                        raise SpmSimError(
                            "; ".join(
                                existing_outputs(args, [(f"{option} {folder}", folder, FOLDER)])
                            )
                        )
                    note(f"replacing the run in {folder} ({earlier_run(folder)})")
                _say_lock(run.lock, folder)
                yield run
        except LockedError as exc:
            raise SpmSimError(str(exc)) from None
        return
    for n in range(1, 1000):
        place = numbered(folder, n)
        if holds_run(place) and not may_replace(place):
            continue
        problem = place_problem(place, FOLDER)
        if problem:
            raise SpmSimError(f"the default output folder {place} {problem}; or give {option}")
        stack = ExitStack()
        try:
            run = stack.enter_context(_open(args, place, inputs, option))
        except LockedError:
            continue  # another run is writing there now: take the next number
        if holds_run(place) and not may_replace(place):  # a run finished there meanwhile
            stack.close()
            continue
        with stack:
            if holds_run(place):
                note(f"replacing the run in {place} ({earlier_run(place)})")
            if n > 1:
                note(
                    f"{folder} holds an earlier run; this one goes to {place} "
                    f"(give {option} {folder} --force to replace it)"
                )
            _say_lock(run.lock, place)
            yield run
        return
    raise SpmSimError(f"{folder}-2 to {folder}-999 all hold runs; give {option}")


# --- memory ---------------------------------------------------------------------------


def available_memory() -> int | None:
    """Bytes of memory this process can still use, or ``None`` where it is unknown.

    Linux: ``MemAvailable`` of ``/proc/meminfo``, capped by the cgroup's limit;
    elsewhere the free physical pages.
    """
    avail: int | None = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return None
    for limit, used in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            room = int(Path(limit).read_text()) - int(Path(used).read_text())
        except (OSError, ValueError):
            continue
        avail = room if avail is None else min(avail, room)
    return avail


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB"


def check_memory(
    option: str, value: int, *, unit_bytes: float, unit: str, fixed: float = 3e8
) -> None:
    """Refuse ``option value`` when it needs more memory than this machine has free.

    The need is ``fixed + value x unit_bytes`` (an estimate measured on the sample
    with a margin, per trial, replication or simulated year); it must fit in 80% of
    :func:`available_memory`. Nothing is checked where that is unknown.

    Raises
    ------
    SpmSimError
        Naming the option, the value, the estimate, the memory free and the largest
        value that fits.
    """
    avail = available_memory()
    if avail is None:
        return
    room = 0.8 * avail
    need = fixed + value * unit_bytes
    if need <= room:
        return
    most = max(int((room - fixed) // unit_bytes), 0)
    raise SpmSimError(
        f"{option} {value:,}: about {_gb(need)} of memory would be needed ({unit}), and "
        f"{_gb(avail)} is free on this machine; give at most {most:,}"
        + (", or run several smaller runs with different seeds" if most else "")
    )
