"""Saved results: a :class:`SimulationResult` in a folder, read back bit for bit.

A saved result is a folder of two files:

* ``trials.parquet``: one row per trial (column ``trial``), each per-trial array a
  column: ``bookings`` (a list of one value per rep), ``payout.<component>`` (per
  rep, one column per result column of the plan), ``company_bookings`` and
  ``incentive_paid`` (per month), ``stayed`` (per rep, with a workforce) and
  ``dynamics.<name>`` (one number per trial). Any Parquet reader opens it (pandas,
  DuckDB, Spark); the values are the result's own float64s, bit for bit.
* ``result.json``: everything else, readable in an editor: the format and its
  version, the spm_sim version, the seed (entropy and spawn key), trials, the
  engine the sales were drawn with, executor and chunk size, the full scenario
  spec (plan included), rep ids, regions, periods,
  base salaries, target incentives, the quotas (values, regions, basis, levels,
  audit, method figures), the productivity model's fitted numbers (so the metrics
  and the report need neither the book nor a refit), the book's name and path,
  notes, programme cost, coached reps, the precision reached, the SHA-256 of
  ``trials.parquet`` and of every input file (the book's files, quota targets, and
  the scenario and plan files when the caller names them).

A folder rather than a ``NAME.parquet`` + ``NAME.json`` pair: one name to pass
around, copy or delete, and one rename makes it appear whole (the files are written
into a hidden folder beside it first), so a killed run never leaves a trials file
from one run beside a sidecar from another. Numbers that JSON cannot hold as they
are (arrays, numpy scalars, NaN and infinities, tuples, frames) are written as small
tagged objects (``{"__array__": "<f8", "shape": [80], "data": [...]}``), every float
with the shortest text that reads back to the same bits.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._files import make_folder, write_text, write_with
from spm_sim._spec import load_spec
from spm_sim.errors import DataError, ScenarioError, implausible
from spm_sim.productivity import ProductivityModel, choose_engine
from spm_sim.quota import Quotas, QuotaSettings
from spm_sim.scenario import Scenario

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "SIDECAR",
    "TRIALS_FILE",
    "save_result",
    "read_result",
    "is_saved_result",
]

#: What ``result.json`` says it is.
FORMAT = "spm_sim.result"
#: The version of the layout written; a reader refuses a newer one.
FORMAT_VERSION = 1
#: The sidecar's file name.
SIDECAR = "result.json"
#: The trials' file name.
TRIALS_FILE = "trials.parquet"


# --- JSON: exact numbers, tagged types ---------------------------------------------------


def _float(x: float) -> Any:
    """A float as JSON: itself when finite, else a tag (JSON has no NaN or infinity)."""
    if math.isfinite(x):
        return x
    return {"__float__": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


def _encode(value: Any) -> Any:
    """``value`` as JSON-ready data; :func:`_decode` gives it back, types included."""
    if isinstance(value, np.generic):  # before float: numpy's float64 is a float
        return {"__scalar__": value.dtype.str, "value": _encode(value.item())}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, np.ndarray):
        flat = value.ravel().tolist() if value.dtype != object else list(value.ravel())
        return {
            "__array__": value.dtype.str,
            "shape": list(value.shape),
            "data": [_encode(v) for v in flat],
        }
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"only text keys can be saved, got {list(value)[:3]}")
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return _encode_frame(value)
    if isinstance(value, pd.Timestamp):
        return {"__timestamp__": value.isoformat()}
    if value is pd.NaT:
        return {"__timestamp__": None}
    raise TypeError(f"cannot save a value of type {type(value).__name__}: {value!r:.80}")


def _encode_frame(frame: pd.DataFrame) -> dict[str, Any]:
    index = None
    if not (isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0):
        index = _encode(frame.index.to_numpy())
    return {
        "__frame__": [str(c) for c in frame.columns],
        "dtypes": [str(t) for t in frame.dtypes],
        "data": [_encode(frame[c].to_numpy(dtype=object)) for c in frame.columns],
        "index": index,
    }


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__float__" in value:
        return float(value["__float__"])
    if "__array__" in value:
        dtype = np.dtype(value["__array__"])
        data = [_decode(v) for v in value["data"]]
        if dtype.kind == "O":
            out = np.empty(len(data), dtype=object)
            out[:] = data
        else:
            out = np.array(data, dtype=dtype)
        return out.reshape(value["shape"])
    if "__scalar__" in value:
        return np.dtype(value["__scalar__"]).type(_decode(value["value"]))
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    if "__timestamp__" in value:
        return pd.NaT if value["__timestamp__"] is None else pd.Timestamp(value["__timestamp__"])
    if "__frame__" in value:
        columns = value["__frame__"]
        cells = {c: _decode(v) for c, v in zip(columns, value["data"], strict=True)}
        frame = pd.DataFrame(cells, columns=columns)
        for c, dtype in zip(columns, value["dtypes"], strict=True):
            if str(frame[c].dtype) != dtype:
                frame[c] = frame[c].astype(dtype)
        if value.get("index") is not None:
            frame.index = pd.Index(_decode(value["index"]))
        return frame
    return {k: _decode(v) for k, v in value.items()}


# --- Parquet: the per-trial arrays --------------------------------------------------------


def _fixed(values: np.ndarray) -> Any:
    """A (trials, k) array as a Parquet column of fixed-size lists (one list per trial)."""
    import pyarrow as pa

    flat = np.ascontiguousarray(values).reshape(-1)
    return pa.FixedSizeListArray.from_arrays(pa.array(flat), int(values.shape[1]))


def _trials_table(result: Any) -> Any:
    import pyarrow as pa

    n = result.n_trials
    columns: dict[str, Any] = {"trial": pa.array(np.arange(n, dtype=np.int64))}
    columns["bookings"] = _fixed(result.bookings)
    for k, name in enumerate(result.components):
        columns[f"payout.{name}"] = _fixed(result.payout[:, :, k])
    columns["company_bookings"] = _fixed(result.company_by_period)
    columns["incentive_paid"] = _fixed(result.payout_by_period)
    if result.stayed is not None:
        columns["stayed"] = _fixed(result.stayed)
    for name, values in result.dynamics.items():
        columns[f"dynamics.{name}"] = pa.array(np.asarray(values))
    return pa.table(columns)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# --- saving -------------------------------------------------------------------------------


def _inputs(result: Any, extra: Iterable[tuple[str, str | Path]]) -> list[dict[str, Any]]:
    """Records (role, path, bytes, sha256) of the result's input files found on disk:
    ``extra`` first (the scenario and plan files a caller names), then the book's
    folder and the quota targets files the scenario names."""
    named: list[tuple[str, str | Path]] = list(extra)
    book = Path(str(result.book_info.get("path", "")))
    if book.is_absolute() or book.is_dir():
        named.append(("book", book))
    quota = result.scenario.quota
    options = getattr(quota, "options", None)
    for value in (getattr(quota, "targets", None), getattr(options, "targets", None)):
        if isinstance(value, str | Path):
            named.append(("quota targets", value))
    records: list[dict[str, Any]] = []
    seen: set[Path] = set()
    for role, given in named:
        path = Path(given)
        files = _visible(path) if path.is_dir() else [path] if path.is_file() else []
        for f in files:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                size, digest = _checksum(key)
                records.append({"role": role, "path": str(key), "bytes": size, "sha256": digest})
    return records


def _visible(folder: Path) -> list[Path]:
    """The files of a folder and its subfolders, hidden ones left out (as a manifest)."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(part.startswith((".", "__")) for part in p.relative_to(folder).parts)
    )


#: Checksums of input files by (path, modification time, size): a run that saves several
#: results read from one book hashes it once.
_CHECKSUMS: dict[tuple[Path, int, int], str] = {}


def _checksum(path: Path) -> tuple[int, str]:
    """``(bytes, sha256)`` of ``path``, from :data:`_CHECKSUMS` when it is unchanged."""
    stat = path.stat()
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _CHECKSUMS:
        if len(_CHECKSUMS) > 4096:
            _CHECKSUMS.clear()
        _CHECKSUMS[key] = _sha256(path)
    return stat.st_size, _CHECKSUMS[key]


def _sidecar(result: Any, trials_sha: str, inputs: list[dict]) -> dict[str, Any]:
    model = {f.name: getattr(result.model, f.name) for f in dataclasses.fields(result.model)}
    q = result.quotas
    precision = None if result.precision is None else dataclasses.asdict(result.precision)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "spm_sim_version": result.version,
        "scenario_name": result.scenario.name,
        "trials": result.n_trials,
        "seed": {
            "entropy": result.seed["entropy"],
            "spawn_key": list(result.seed["spawn_key"]),
        },
        "engine": result.engine,
        "executor": result.executor,
        "chunk_size": result.chunk_size,
        "precision": _encode(precision),
        "scenario": result.scenario.model_dump(mode="json"),
        "rep_ids": list(result.rep_ids),
        "regions": _encode(np.asarray(result.regions)),
        "periods": list(result.periods),
        "base_salary": _encode(np.asarray(result.base_salary)),
        "target_incentive": _encode(np.asarray(result.target_incentive)),
        "components": list(result.components),
        "dynamics": list(result.dynamics),
        "stayed": result.stayed is not None,
        "quotas": {
            "rep_ids": list(q.rep_ids),
            "periods": list(q.periods),
            "values": _encode(np.asarray(q.values)),
            "company_target": _encode(q.company_target),
            "settings": q.settings.model_dump(mode="json"),
            "basis": _encode(q.basis),
            "levels": _encode(q.levels),
            "audit": _encode(q.audit),
            "info": _encode(q.info),
            "regions": _encode(q.regions),
        },
        "model": _encode(model),
        "book_info": _encode(dict(result.book_info)),
        "coached": list(result.coached),
        "programme_cost": _encode(result.programme_cost),
        "notes": [list(n) for n in result.notes],
        "files": {TRIALS_FILE: {"sha256": trials_sha}},
        "inputs": inputs,
    }


def _replaceable(target: Path) -> bool:
    """Whether ``target`` may be replaced by ``overwrite=True``: a saved result, or an
    empty folder (never a file or a folder of anything else)."""
    return is_saved_result(target) or (target.is_dir() and not any(target.iterdir()))


def save_result(
    result: Any,
    path: str | Path,
    *,
    overwrite: bool = False,
    inputs: Iterable[tuple[str, str | Path]] = (),
) -> Path:
    """Save ``result`` to the folder ``path`` (``trials.parquet`` and ``result.json``).

    Parameters
    ----------
    result : SimulationResult
    path : str or Path
        The folder to create. Its parent folders are created too.
    overwrite : bool, default False
        Replace a result saved there before. Without it an existing ``path`` is
        refused; with it only a saved result (or an empty folder) is replaced, never
        anything else.
    inputs : sequence of (role, path)
        Input files to record with their SHA-256 besides those the result knows (its
        book's files, quota targets), e.g. ``[("scenario", "s.yaml"), ("plan",
        "p.yaml")]``; files that do not exist are left out.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    FileExistsError
        When ``path`` exists and ``overwrite`` is False, or holds something that is not
        a saved result.
    OSError
        When the folder cannot be written (nothing partial is left under ``path``).

    Notes
    -----
    The files are written into a hidden folder beside ``path``, each whole
    (:mod:`spm_sim._files`), and the folder is renamed into place at the end: a
    reader sees the earlier result or the new one, never a mix. The checksums are of
    the input files as they are when the result is saved.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from spm_sim.scenario import sample_scenario
    >>> from spm_sim.simulate import load_result, simulate
    >>> result = simulate(sample_scenario("baseline"), 20, rng=0)   # doctest: +SKIP
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "baseline"
    >>> result.save(folder)                                          # doctest: +SKIP
    >>> again = load_result(folder)                                  # doctest: +SKIP
    >>> bool((again.payout == result.payout).all())                  # doctest: +SKIP
    True
    """
    target = Path(path)
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise FileExistsError(
                errno.EEXIST,
                "exists already; pass overwrite=True to replace a saved result, or choose "
                "another path",
                str(target),
            )
        if not _replaceable(target):
            raise FileExistsError(
                errno.EEXIST,
                f"is not a saved result (no {SIDECAR} of spm_sim), so it is not replaced; "
                "choose another path",
                str(target),
            )
    make_folder(target.parent)
    records = _inputs(result, inputs)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        import pyarrow.parquet as pq

        table = _trials_table(result)
        trials = tmp / TRIALS_FILE
        write_with(trials, lambda fh: pq.write_table(table, fh, compression="zstd"))
        doc = _sidecar(result, _sha256(trials), records)
        write_text(tmp / SIDECAR, json.dumps(doc, indent=1, allow_nan=False) + "\n")
        _swap_in(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _swap_in(new: Path, target: Path) -> None:
    """Rename the folder ``new`` to ``target``; an earlier ``target`` goes only after."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        old.rmdir()
        os.replace(target, old)
    try:
        os.replace(new, target)
    except OSError:
        if old is not None:
            os.replace(old, target)  # put the earlier result back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --- loading ------------------------------------------------------------------------------


def is_saved_result(path: str | Path) -> bool:
    """Whether ``path`` is a folder holding a saved result (its ``result.json`` says so).

    Examples
    --------
    >>> import tempfile
    >>> is_saved_result(tempfile.mkdtemp())
    False
    """
    sidecar = Path(path) / SIDECAR
    if not sidecar.is_file():
        return False
    try:
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("format") == FORMAT


def _where(path: str | Path) -> Path:
    """The folder of a saved result named by ``path`` (the folder or one of its files)."""
    given = Path(path)
    if not given.exists():
        raise DataError(
            "no saved result here: the path does not exist. Give the folder that "
            "SimulationResult.save (or spm-sim run) wrote.",
            file=given,
        )
    if given.is_file():
        if given.name in (SIDECAR, TRIALS_FILE):
            return given.parent
        raise DataError(
            f"is a file, not a saved result; give the folder that holds {SIDECAR} and "
            f"{TRIALS_FILE}.",
            file=given,
        )
    if not (given / SIDECAR).is_file():
        hint = ""
        results = given / "results"
        if results.is_dir() and any(is_saved_result(p) for p in results.iterdir()):
            hint = (
                f" It is a run folder: its saved results are in {results} (spm-sim report "
                "reads a run folder whole)."
            )
        raise DataError(
            f"is not a saved result: there is no {SIDECAR} in it.{hint}",
            file=given,
        )
    return given


class _Sidecar:
    """``result.json`` read, with located errors for its fields."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.prefix = ""  # "quotas." for the fields of the quotas object
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"is not UTF-8 text ({exc.reason}): damaged.", file=path) from None
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}): the "
                "file is damaged or was cut short; save the result again.",
                file=path,
            ) from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
            raise DataError(
                f"field 'format': expected {FORMAT!r}, found {found!r}: this is not a result "
                "saved by spm_sim.",
                file=path,
            )
        version = doc.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise self.error("format_version", "a whole number", version)
        if version > FORMAT_VERSION:
            raise DataError(
                f"field 'format_version': {version} is newer than this spm_sim reads "
                f"({FORMAT_VERSION}); it was written by spm_sim "
                f"{doc.get('spm_sim_version', '?')}: upgrade spm_sim to read it.",
                file=path,
            )
        self.doc = doc

    def error(self, key: str, expected: str, found: Any) -> DataError:
        shown = repr(found)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return DataError(
            f"field '{self.prefix}{key}': expected {expected}, found {shown}: the file is "
            "damaged or was edited; save the result again.",
            file=self.path,
        )

    def get(self, key: str, kind: type | tuple[type, ...], expected: str) -> Any:
        if key not in self.doc:
            raise DataError(
                f"field '{self.prefix}{key}' is missing (expected {expected}): the file is "
                "damaged or was edited; save the result again.",
                file=self.path,
            )
        value = self.doc[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
            raise self.error(key, expected, value)
        return value

    def part(self, key: str, expected: str) -> _Sidecar:
        """The object under ``key``, read with the same located errors."""
        sub = object.__new__(_Sidecar)
        sub.path, sub.doc = self.path, self.get(key, dict, expected)
        sub.prefix = f"{self.prefix}{key}."
        return sub

    def decoded(self, key: str, expected: str, *, shape: tuple[int, ...] | None = None) -> Any:
        raw = self.get(key, (dict, list, int, float, str, type(None)), expected)
        try:
            value = _decode(raw)
        except (TypeError, ValueError, KeyError) as exc:
            raise self.error(key, expected, f"{type(exc).__name__}: {exc}") from None
        if shape is not None and np.shape(value) != shape:
            raise self.error(key, f"{expected} of shape {shape}", f"shape {np.shape(value)}")
        return value


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _scenario(side: _Sidecar) -> Scenario:
    spec = side.get("scenario", dict, "the scenario's full specification (an object)")
    return load_spec(Scenario, spec, error=ScenarioError, where=f"{side.path}: field 'scenario'")


def _quotas(side: _Sidecar, n_reps: int, n_periods: int) -> Quotas:
    sub = side.part("quotas", "the quotas (an object)")
    try:
        settings = QuotaSettings.model_validate(
            sub.get("settings", dict, "the quota settings (an object)")
        )
    except ValueError as exc:
        raise DataError(f"field 'quotas.settings': {exc}", file=side.path) from None
    return Quotas(
        rep_ids=tuple(sub.get("rep_ids", list, "the reps' ids (a list)")),
        periods=tuple(sub.get("periods", list, "the months (a list)")),
        values=sub.decoded("values", "quotas per rep and month", shape=(n_reps, n_periods)),
        company_target=float(sub.decoded("company_target", "the company target")),
        settings=settings,
        basis=sub.decoded("basis", "the quotas' basis (a table)"),
        levels=sub.decoded("levels", "the quota levels (a table)"),
        audit=sub.decoded("audit", "the quota audit (a table)"),
        info=sub.decoded("info", "the method's figures (an object)"),
        regions=sub.decoded("regions", "each rep's region by month"),
    )


def _model(side: _Sidecar) -> ProductivityModel:
    fields = side.decoded("model", "the productivity model's fitted numbers (an object)")
    names = {f.name for f in dataclasses.fields(ProductivityModel)}
    if not isinstance(fields, dict) or not {"rep_ids", "periods", "alpha", "beta"} <= set(fields):
        raise side.error("model", "the productivity model's fitted numbers", fields)
    unknown = sorted(set(fields) - names)
    if unknown:
        raise side.error("model", f"the fields of ProductivityModel, not {unknown}", fields)
    return ProductivityModel(**fields)


def _column(table: Any, name: str, width: int | None, path: Path) -> np.ndarray:
    """A column of ``trials.parquet`` as an array: (trials, width) for a list column."""
    import pyarrow as pa

    if name not in table.column_names:
        raise DataError(
            "is missing; the trials file does not match its result.json (damaged, or "
            "from another result): save the result again.",
            file=path,
            column=name,
        )
    col = table.column(name).combine_chunks()
    if col.null_count:
        raise DataError(
            f"has {col.null_count} empty value(s); a saved result has none: the file is damaged.",
            file=path,
            column=name,
        )
    if width is None:
        if pa.types.is_nested(col.type):
            raise DataError(
                f"holds nested values ({col.type}); expected one number per trial.",
                file=path,
                column=name,
            )
        return col.to_numpy(zero_copy_only=False)
    if not pa.types.is_fixed_size_list(col.type) or col.type.list_size != width:
        raise DataError(
            f"holds {col.type}; expected a list of {width} values per trial (as result.json "
            "says): the file does not match its result.json.",
            file=path,
            column=name,
        )
    flat = col.flatten()
    if flat.null_count:
        raise DataError("holds empty values inside its lists: damaged.", file=path, column=name)
    return flat.to_numpy(zero_copy_only=False).reshape(len(col), width)


def _read_trials(side: _Sidecar, folder: Path, n_reps: int, n_periods: int) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / TRIALS_FILE
    if not path.is_file():
        raise DataError(f"is missing beside {SIDECAR}: the saved result is incomplete.", file=path)
    files = side.get("files", dict, "the saved files and their SHA-256 (an object)")
    expected = (files.get(TRIALS_FILE) or {}).get("sha256") if isinstance(files, dict) else None
    if not isinstance(expected, str):
        raise side.error("files", f"the SHA-256 of {TRIALS_FILE}", files)
    actual = _sha256(path)
    if actual != expected:
        raise DataError(
            f"SHA-256 {actual[:12]}... is not the {expected[:12]}... recorded in {SIDECAR} "
            "when it was saved: the file is damaged, was changed, or comes from another "
            "result. Save the result again.",
            file=path,
        )
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"cannot be read as Parquet ({exc}): damaged.", file=path) from None
    n = int(side.get("trials", int, "the number of trials"))
    if table.num_rows != n:
        raise DataError(f"has {table.num_rows:,} rows; {SIDECAR} says {n:,} trials.", file=path)
    trial = _column(table, "trial", None, path)
    if not np.array_equal(trial, np.arange(n)):
        raise DataError(
            "is not 0, 1, 2, ... in order: the file was edited or damaged.",
            file=path,
            column="trial",
        )
    components = side.get("components", list, "the plan's result columns (a list)")
    names = side.get("dynamics", list, "the names of the per-trial dynamics (a list)")
    stayed = side.get("stayed", bool, "true or false")
    expected = [
        "trial",
        "bookings",
        *(f"payout.{c}" for c in components),
        "company_bookings",
        "incentive_paid",
        *(["stayed"] if stayed else []),
        *(f"dynamics.{name}" for name in names),
    ]
    extra = [c for c in table.column_names if c not in expected]
    if extra:
        raise DataError(
            f"has column(s) {', '.join(extra)} that {SIDECAR} does not list (it lists "
            f"{', '.join(expected)}): the trials file comes from another result.",
            file=path,
        )
    out: dict[str, Any] = {
        "bookings": _column(table, "bookings", n_reps, path),
        "company_by_period": _column(table, "company_bookings", n_periods, path),
        "payout_by_period": _column(table, "incentive_paid", n_periods, path),
    }
    pay = [_column(table, f"payout.{c}", n_reps, path) for c in components]
    out["payout"] = np.stack(pay, axis=-1) if pay else np.empty((n, n_reps, 0))
    out["stayed"] = _column(table, "stayed", n_reps, path) if stayed else None
    out["dynamics"] = {name: _column(table, f"dynamics.{name}", None, path) for name in names}
    return out


def _check_inputs(side: _Sidecar) -> tuple[dict, ...]:
    """The recorded input files; one located warning for each that changed since."""
    records = side.get("inputs", list, "the input files and their SHA-256 (a list)")
    for rec in records:
        if not isinstance(rec, dict) or not isinstance(rec.get("path"), str):
            raise side.error("inputs", "records with 'role', 'path' and 'sha256'", rec)
        path = Path(rec["path"])
        if not path.is_file():
            continue  # moved or on another machine: the report says so where it needs it
        try:
            now = _sha256(path)
        except OSError:
            continue
        if now != rec.get("sha256"):
            implausible(
                f"changed since the result in {side.path.parent} was saved (SHA-256 "
                f"{now[:12]}... now, {str(rec.get('sha256'))[:12]}... then; {rec.get('role')} "
                "file). The saved numbers are those of the earlier file; run the scenario "
                "again for results on the file as it is now.",
                file=path,
                stacklevel=4,
            )
    return tuple(dict(r) for r in records)


def _engine(side: _Sidecar, scenario: Scenario) -> str:
    """The engine the saved result drew with: its field ``engine``, or for a result
    saved before it was recorded, the scenario's (``auto`` resolved on the saved
    model, as the run resolved it)."""
    if "engine" not in side.doc:
        if scenario.engine != "auto":
            return scenario.engine
        model = _model(side)
        book_reps = model.n_reps - len(model.fit.get("planned_hires", ()))
        measures = bool(scenario.plan.measures)
        return choose_engine(model.take_reps(slice(0, book_reps)), measures=measures)[0]
    engine = side.get("engine", str, "'deals' or 'summed'")
    if engine not in ("deals", "summed"):
        raise side.error("engine", "'deals' or 'summed'", engine)
    return engine


def read_result(path: str | Path, *, record: Callable[..., Any]) -> dict[str, Any]:
    """The fields of a saved :class:`SimulationResult` (see ``load_result``, which
    builds the result from them); ``record`` builds its precision record."""
    folder = _where(path)
    side = _Sidecar(folder / SIDECAR)
    scenario = _scenario(side)
    rep_ids = tuple(side.get("rep_ids", list, "the reps' ids (a list)"))
    periods = tuple(side.get("periods", list, "the months (a list)"))
    n_reps, n_periods = len(rep_ids), len(periods)
    arrays = _read_trials(side, folder, n_reps, n_periods)
    seed = side.get("seed", dict, "the seed's entropy and spawn key (an object)")
    if not isinstance(seed.get("spawn_key"), list) or "entropy" not in seed:
        raise side.error("seed", "an object with 'entropy' and 'spawn_key'", seed)
    precision = side.decoded("precision", "the precision reached, or null")
    if precision is not None:
        try:
            precision = record(**{**precision, "steps": tuple(map(tuple, precision["steps"]))})
        except (TypeError, KeyError) as exc:
            raise side.error("precision", "the precision record", exc) from None
    chunk = side.get("chunk_size", (int, type(None)), "a whole number or null")
    inputs = _check_inputs(side)
    return dict(
        scenario=scenario,
        rep_ids=rep_ids,
        regions=side.decoded("regions", "each rep's region", shape=(n_reps,)),
        periods=periods,
        quotas=_quotas(side, n_reps, n_periods),
        base_salary=side.decoded("base_salary", "base salary per rep", shape=(n_reps,)),
        target_incentive=side.decoded(
            "target_incentive", "target incentive per rep", shape=(n_reps,)
        ),
        bookings=arrays["bookings"],
        payout=arrays["payout"],
        company_by_period=arrays["company_by_period"],
        payout_by_period=arrays["payout_by_period"],
        components=tuple(side.get("components", list, "the plan's result columns")),
        seed={"entropy": seed["entropy"], "spawn_key": list(seed["spawn_key"])},
        book_info=side.decoded("book_info", "the book's name, path and currency"),
        model=_model(side),
        dynamics=arrays["dynamics"],
        stayed=arrays["stayed"],
        coached=tuple(side.get("coached", list, "the coached reps (a list)")),
        programme_cost=float(side.decoded("programme_cost", "a number")),
        notes=tuple(tuple(n) for n in side.get("notes", list, "the notes (a list of pairs)")),
        engine=_engine(side, scenario),
        version=str(side.get("spm_sim_version", str, "the spm_sim version (text)")),
        executor=str(side.get("executor", str, "the executor's name (text)")),
        chunk_size=chunk,
        precision=precision,
        inputs=inputs,
        book=None,
    )
