"""Hand-written specs (YAML files parsed into frozen pydantic models) and the helpers
that turn bad input into located messages: ``load_spec``, ``read_yaml``, ``suggest``.

The error classes themselves live in :mod:`spm_sim.errors`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar

import numpy as np
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from spm_sim.errors import SpecError

__all__ = [
    "Spec",
    "FROZEN",
    "Share",
    "Number",
    "load_spec",
    "read_yaml",
    "suggest",
    "format_validation_error",
    "whole_count",
]

#: The configuration of every hand-written spec: immutable, no unknown fields.
FROZEN = ConfigDict(frozen=True, extra="forbid")


def _no_bool(value: Any) -> Any:
    """Refuse YAML booleans where a number is expected (``yes`` is not 1)."""
    if isinstance(value, bool):
        raise ValueError(
            f"expected a number, got {value!r} (YAML reads yes/no/on/off/true/false as "
            "booleans; write a number, or null for 'none')"
        )
    return value


#: A finite number that is not a boolean.
Number = Annotated[float, BeforeValidator(_no_bool), Field(allow_inf_nan=False)]
#: A share in [0, 1].
Share = Annotated[float, BeforeValidator(_no_bool), Field(ge=0.0, le=1.0, allow_inf_nan=False)]


def whole_count(func: str, name: str, value: Any) -> int:
    """``value`` as an int >= 1 (trials, draws), else a SpecError naming ``func`` and ``name``.

    Examples
    --------
    >>> whole_count("annual_draws", "trials", 200)
    200
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise SpecError(f"{func}: {name} must be a whole number >= 1, got {value!r}.")
    return int(value)


def suggest(name: str, choices: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest choice, or ``""``.

    Examples
    --------
    >>> suggest("acount_id", ["account_id", "rep_id"])
    " Did you mean 'account_id'?"
    >>> suggest("zzz", ["account_id"])
    ''
    """
    match = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{match[0]}'?" if match else ""


M = TypeVar("M", bound=BaseModel)


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def format_validation_error(err: ValidationError, *, source: str, model: type[BaseModel]) -> str:
    """Turn a pydantic error into one line per problem: field, rule, value."""
    lines = [f"{source}: {err.error_count()} problem(s) in this {model.__name__.lower()} spec:"]
    for e in err.errors(include_url=False):
        loc = _loc(tuple(e["loc"]))
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            field = e["loc"][-1]
            allowed = _allowed_fields(model, tuple(e["loc"][:-1]))
            msg = f"unknown field '{field}'.{suggest(str(field), allowed)}"
            if allowed:
                msg += f" Allowed here: {', '.join(sorted(allowed))}."
            lines.append(f"  - {loc}: {msg}")
            continue
        if e["type"] == "missing":
            lines.append(f"  - {loc}: required field is missing; add it.")
            continue
        if e["type"] == "value_error":
            # raised by our own validators: the message already names the value
            lines.append(f"  - {loc}: {msg.removeprefix('Value error, ')}")
            continue
        value = e.get("input")
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        lines.append(f"  - {loc}: {msg} (got {shown})")
    return "\n".join(lines)


def _allowed_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names valid at ``loc`` inside ``model`` (best effort)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        current = _inner_model(fields[part].annotation)
        if current is None:
            return []
    fields = getattr(current, "model_fields", None)
    if not fields:
        return []
    return [f.alias or name for name, f in fields.items()]


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def read_yaml(path: str | Path, *, error: type[SpecError] = SpecError) -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping, with located errors."""
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise error(
            f"{where}: file not found. Check the path (relative paths start at {Path.cwd()})."
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{where}: not valid YAML{at}: {problem}.") from None
    except UnicodeDecodeError as exc:
        raise error(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
    if not isinstance(data, Mapping):
        raise error(
            f"{where}: expected a mapping of fields (key: value lines) at the top level, "
            f"got {type(data).__name__}."
        )
    return dict(data)


def load_spec(
    model: type[M],
    source: str | Path | Mapping[str, Any],
    *,
    error: type[SpecError] = SpecError,
    where: str | None = None,
) -> M:
    """Build a frozen spec from a YAML file or a mapping, with located errors.

    Parameters
    ----------
    model : pydantic model class
        The spec type to build.
    source : path or mapping
        A YAML file, or an already parsed mapping.
    error : SpecError subclass
        The error type raised on failure.
    where : str, optional
        How to name the source in messages (default: the file's path).

    Raises
    ------
    SpecError
        If the file is missing, is not valid YAML, or breaks a rule of the spec.
        The message names the file, the field path and the value.
    """
    if isinstance(source, Mapping):
        data: Any = dict(source)
        where = where or f"<{model.__name__} given as a mapping>"
    else:
        data = read_yaml(source, error=error)
        where = where or str(source)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(format_validation_error(exc, source=where, model=model)) from None


class Spec(BaseModel):
    """Frozen, validated base of every hand-written spec (plans, scenarios, quota
    settings, workforce and behaviour blocks, capacity configurations).

    :meth:`replace` is the one way to build a what-if: it applies the changes and
    validates the whole spec again, raising the spec's own error class (``_error``)
    with a located message. ``model_copy(update=...)`` skips validation and is not
    used on specs.

    Examples
    --------
    >>> class Rate(Spec):
    ...     value: Share = 0.5
    >>> Rate().replace(value=0.25).value
    0.25
    >>> Rate().replace(value=2.0)
    Traceback (most recent call last):
    ...
    spm_sim.errors.SpecError: Rate: 1 problem(s) in this rate spec:
      - value: Input should be less than or equal to 1 (got 2.0)
    """

    model_config = FROZEN
    _error: ClassVar[type[SpecError]] = SpecError

    def _label(self) -> str:
        """How :meth:`replace`'s messages name this spec: the class name, unless a
        spec says better (a plan or a scenario by its ``name``)."""
        return type(self).__name__

    def replace(self, **changes: Any) -> Any:
        """A copy with ``changes`` applied, validated again (a located error if not)."""
        fields = type(self).model_fields
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise self._error(
                f"{self._label()}: unknown field {unknown[0]!r}."
                f"{suggest(unknown[0], fields)} Allowed: {', '.join(fields)}."
            )
        data = {k: getattr(self, k) for k in fields}
        data.update(changes)
        try:
            return type(self).model_validate(data)
        except ValidationError as exc:
            raise self._error(
                format_validation_error(exc, source=self._label(), model=type(self))
            ) from None
