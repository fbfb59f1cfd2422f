"""What a sweep runs: a grid of parameter values, a list of changes, or named changes,
from Python or from a grid YAML file.

A grid file (``data/sweeps/*.yaml``)::

    name: Accelerator x threshold      # optional: the sweep's title
    description: ...                    # optional
    trials: 1000                        # optional: trials per variant (default the scenario's)
    metrics: [incentive_cost, share_at_quota]   # optional: default every sweep metric
    level: 0.95                         # optional: confidence level of the intervals
    grid:                               # every combination of the values (the product)
      plan.components[bookings].tiers[1].rate: [1.25, 1.5, 1.75, 2.0]
      plan.components[bookings].threshold: {from: 0.4, to: 0.6, steps: 3}

or, instead of ``grid``, ``variants``: a list of changes (one scenario each) or a
mapping of name -> changes::

    variants:
      richer accelerator: {plan.components[0].tiers[2].rate: 2.5}
      lower threshold: {plan.components[0].threshold: 0.4, quota.growth: 0.06}
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from spm_sim._spec import read_yaml, suggest
from spm_sim.errors import SpecError

from .paths import parse_path

#: The name of the unchanged scenario's row in every sweep.
BASE = "base"
#: The most variants one sweep runs (a grid's product included).
MAX_VARIANTS = 10_000
#: The most values a ``{from, to, steps}`` range gives.
MAX_STEPS = 1_000

_RANGE_KEYS = {"from", "to", "steps"}
_GRID_KEYS = ("name", "description", "grid", "variants", "trials", "metrics", "level")


class Variant(NamedTuple):
    """One scenario of a sweep: its name and the parameter changes that make it."""

    name: str
    changes: dict[str, Any]


class Grid(NamedTuple):
    """A grid file read: its variants and the options it sets (None: not set)."""

    name: str
    description: str
    changes: Any
    trials: int | None
    metrics: tuple[str, ...] | None
    level: float | None
    path: Path


def _values(path: str, values: Any, where: str) -> list[Any]:
    """A grid's values for one path: a list, a ``{from, to, steps}`` range or one value."""
    if isinstance(values, Mapping) and set(values) == _RANGE_KEYS:
        lo, hi, steps = values["from"], values["to"], values["steps"]
        for key, v in (("from", lo), ("to", hi)):
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise SpecError(f"{where}: {path}: {key} must be a number, got {v!r}.")
        if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= MAX_STEPS:
            raise SpecError(
                f"{where}: {path}: steps must be a whole number from 2 to {MAX_STEPS}, got "
                f"{steps!r} (the number of values from 'from' to 'to', both included)."
            )
        return [float(v) for v in np.linspace(float(lo), float(hi), steps)]
    if isinstance(values, Mapping):
        keys = ", ".join(map(str, values))
        raise SpecError(
            f"{where}: {path}: give a list of values or a range {{from: A, to: B, steps: N}}; "
            f"got a mapping with keys {keys}."
        )
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray):
        return [values]
    out = list(values)
    if not out:
        raise SpecError(f"{where}: {path}: the list of values is empty; give at least one.")
    return out


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if hasattr(value, "model_dump"):
        return type(value).__name__
    return str(value)


def labels(paths: Sequence[str]) -> dict[str, str]:
    """Short labels of parameter paths: the fewest trailing steps that tell them apart.

    Examples
    --------
    >>> labels(["plan.components[0].tiers[1].rate", "plan.components[0].threshold"])
    {'plan.components[0].tiers[1].rate': 'rate', 'plan.components[0].threshold': 'threshold'}
    >>> labels(["plan.components[0].tiers[1].rate", "plan.components[0].tiers[2].rate"])
    {'plan.components[0].tiers[1].rate': 'tiers[1].rate', 'plan.components[0].tiers[2].rate': 'tiers[2].rate'}
    """  # noqa: E501
    parsed = {p: parse_path(p) for p in paths}

    def tail(steps, k: int) -> str:
        # the last k field steps, each with the positions and names after it
        fields = [i for i, (kind, _) in enumerate(steps) if kind == "field"]
        start = fields[max(len(fields) - k, 0)]
        out = ""
        for kind, value in steps[start:]:
            out += (f".{value}" if out else str(value)) if kind == "field" else f"[{value}]"
        return out

    for k in range(1, max((len(s) for s in parsed.values()), default=1) + 1):
        short = {p: tail(s, k) for p, s in parsed.items()}
        if len(set(short.values())) == len(short):
            return short
    return {p: p for p in paths}


def variants(changes: Any, *, where: str = "changes") -> list[Variant]:
    """The variants of a sweep, in order, from a grid, a list or named changes.

    Parameters
    ----------
    changes : mapping or sequence
        * a grid: a mapping of parameter path -> list of values (or a range
          ``{"from": a, "to": b, "steps": n}``, or one value): every combination,
          the first path varying slowest;
        * a list of mappings of path -> value: one variant each;
        * named changes: a mapping of name -> mapping of path -> value.
    where : str
        How messages name ``changes`` (a grid file's name and field).

    Returns
    -------
    list of Variant
        Names are the given ones, or the changes in short (``rate=1.5, threshold=0.6``).

    Raises
    ------
    SpecError
        Empty changes, a bad path (see :func:`spm_sim.sweep.get_param`), a name used
        twice or the reserved name ``base``, or more than :data:`MAX_VARIANTS`.

    Examples
    --------
    >>> [v.name for v in variants({"quota.growth": [0.06, 0.1], "plan.components[0].threshold": [0.4]})]
    ['growth=0.06, threshold=0.4', 'growth=0.1, threshold=0.4']
    >>> variants([{"quota.growth": 0.1}])[0]
    Variant(name='growth=0.1', changes={'quota.growth': 0.1})
    >>> variants({"steeper": {"plan.components[0].tiers[2].rate": 2.5}})[0].name
    'steeper'
    """  # noqa: E501
    if isinstance(changes, Mapping) and changes:
        named = [isinstance(v, Mapping) and set(v) != _RANGE_KEYS for v in changes.values()]
        if all(named):
            out = [_named(str(k), v, where) for k, v in changes.items()]
        elif not any(named):
            out = _product(changes, where)
        else:
            raise SpecError(
                f"{where}: mixes named changes (name -> mapping of path -> value) with grid "
                "entries (path -> list of values); give one or the other."
            )
    elif isinstance(changes, Sequence) and not isinstance(changes, str) and changes:
        out = []
        for i, one in enumerate(changes):
            if not isinstance(one, Mapping) or not one:
                raise SpecError(
                    f"{where}[{i}]: each variant is a mapping of parameter path -> value, got "
                    f"{one!r}."
                )
            out.append(_named(None, one, f"{where}[{i}]"))
        names = labels(sorted({p for v in out for p in v.changes}))
        out = [Variant(_auto_name(v.changes, names), v.changes) for v in out]
    else:
        raise SpecError(
            f"{where}: give a grid (a mapping of parameter path -> list of values), a list of "
            "changes (mappings of path -> value) or named changes (name -> mapping); got "
            f"{changes!r}."
        )
    seen: dict[str, int] = {}
    for i, v in enumerate(out):
        if v.name == BASE:
            raise SpecError(
                f"{where}: the name {BASE!r} is the unchanged scenario's row; name the variant "
                "otherwise."
            )
        if v.name in seen:
            raise SpecError(
                f"{where}: two variants are named {v.name!r} (numbers {seen[v.name] + 1} and "
                f"{i + 1}); give each its own name or its own values."
            )
        seen[v.name] = i
    if len(out) > MAX_VARIANTS:
        raise SpecError(
            f"{where}: {len(out):,} variants, more than the {MAX_VARIANTS:,} a sweep runs; "
            "use fewer values per parameter, or a calibration (goal-seek) instead."
        )
    return out


def kind(changes: Any) -> str:
    """What ``changes`` is: ``"grid"`` (every combination), ``"list"`` or ``"named"``.

    >>> kind({"quota.growth": [0.1, 0.2]}), kind([{"quota.growth": 0.1}])
    ('grid', 'list')
    """
    if isinstance(changes, Mapping):
        named = [isinstance(v, Mapping) and set(v) != _RANGE_KEYS for v in changes.values()]
        return "named" if changes and all(named) else "grid"
    return "list"


def _named(name: str | None, one: Mapping, where: str) -> Variant:
    if name is not None and not name.strip():
        raise SpecError(f"{where}: a variant's name is empty; name it as the table should.")
    changes: dict[str, Any] = {}
    for path, value in one.items():
        parse_path(str(path))
        changes[str(path)] = value
    return Variant(name.strip() if name is not None else "", changes)


def _product(grid: Mapping, where: str) -> list[Variant]:
    paths = [str(p) for p in grid]
    for p in paths:
        parse_path(p)
    values = [_values(p, grid[p], where) for p in grid]
    count = math.prod(len(v) for v in values)
    if count > MAX_VARIANTS:
        raise SpecError(
            f"{where}: the grid has {' x '.join(str(len(v)) for v in values)} = {count:,} "
            f"combinations, more than the {MAX_VARIANTS:,} a sweep runs; use fewer values."
        )
    names = labels(paths)
    out = []
    for combo in itertools.product(*values):
        changes = dict(zip(paths, combo, strict=True))
        out.append(Variant(_auto_name(changes, names), changes))
    return out


def _auto_name(changes: Mapping[str, Any], names: Mapping[str, str]) -> str:
    return ", ".join(f"{names[p]}={_text(v)}" for p, v in changes.items())


def load_grid(path: str | Path) -> Grid:
    """Read a grid file (see the module's notes for its fields).

    Raises
    ------
    SpecError
        The file, the field and the fix: an unknown field, neither or both of
        ``grid`` and ``variants``, a bad path or value list, trials or level out of
        range.

    Examples
    --------
    >>> from spm_sim.scenario import SAMPLE_SCENARIOS
    >>> g = load_grid(SAMPLE_SCENARIOS.parent / "sweeps" / "accelerator_threshold.yaml")
    >>> len(variants(g.changes)), g.trials
    (12, 1000)
    """
    path = Path(path)
    try:
        data = read_yaml(path, error=SpecError)
    except SpecError as exc:
        if "not valid YAML" in str(exc) and "[" in path.read_text(
            encoding="utf-8", errors="replace"
        ):
            raise SpecError(
                f"{exc} A parameter path with [brackets] inside {{...}} or [...] must be "
                "quoted ('plan.components[0].threshold': [0.4, 0.5]), or written on its own "
                "line (block style) as in data/sweeps/."
            ) from None
        raise
    unknown = [k for k in data if k not in _GRID_KEYS]
    if unknown:
        k = str(unknown[0])
        raise SpecError(
            f"{path}: unknown field {k!r}.{suggest(k, _GRID_KEYS)} A grid file has: "
            f"{', '.join(_GRID_KEYS)}."
        )
    has = [k for k in ("grid", "variants") if k in data]
    if len(has) != 1:
        raise SpecError(
            f"{path}: give exactly one of 'grid' (path -> list of values: every combination) "
            f"and 'variants' (a list or named mapping of changes); "
            + ("it has both." if has else "it has neither.")
        )
    changes = data[has[0]]
    variants(changes, where=f"{path}: {has[0]}")  # checked now, with the file's name
    trials = data.get("trials")
    if trials is not None and (
        isinstance(trials, bool) or not isinstance(trials, int) or not 1 <= trials <= 10_000_000
    ):
        raise SpecError(
            f"{path}: trials must be a whole number from 1 to 10,000,000, got {trials!r}."
        )
    metrics = data.get("metrics")
    if metrics is not None:
        if isinstance(metrics, str):
            metrics = [metrics]
        if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
            raise SpecError(f"{path}: metrics must be a list of metric names, got {metrics!r}.")
        metrics = tuple(metrics)
    level = data.get("level")
    if level is not None and (
        isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1
    ):
        raise SpecError(
            f"{path}: level must be a confidence level between 0 and 1 (0.95 = 95%), got {level!r}."
        )
    name = data.get("name", path.stem)
    return Grid(
        name=str(name),
        description=str(data.get("description", "") or ""),
        changes=changes,
        trials=trials,
        metrics=metrics,
        level=float(level) if level is not None else None,
        path=path,
    )
