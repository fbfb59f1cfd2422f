"""Hand-written specs (YAML files parsed into frozen pydantic models) and the helpers
that turn bad input into located messages: ``load_spec``, ``read_yaml``, ``suggest``.

The error classes themselves live in :mod:`spm_sim.errors`.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self, TypeVar

import numpy as np
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

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
    """Turn a pydantic error into one line per problem: field, rule, value.

    pydantic reports some single problems twice, and those echoes are left out (see
    :func:`_problems`): a tuple with a minimum length whose bad item leaves too few
    items "after validation", and the branches of a union (``'flat' or a tuple of
    shares``) that did not take the value at all beside the one that did. A line
    names the field as written, without the branch pydantic adds to a union's.

    Examples
    --------
    >>> from typing import Literal
    >>> class Team(Spec):
    ...     sizes: tuple[Annotated[int, Field(ge=1)], ...] = Field(min_length=1)
    ...     split: Literal["even"] | tuple[Share, ...] = "even"
    >>> try:
    ...     Team.model_validate({"sizes": [0], "split": [0.5, 2]})
    ... except ValidationError as exc:
    ...     print(format_validation_error(exc, source="team.yaml", model=Team))
    team.yaml: 2 problem(s) in this team spec:
      - sizes[0]: Input should be greater than or equal to 1 (got 0)
      - split[1]: Input should be less than or equal to 1 (got 2)
    """
    lines = [_line(e, model) for e in _problems(err, model)]
    head = f"{source}: {len(lines)} problem(s) in this {model.__name__.lower()} spec:"
    return "\n".join([head, *lines])


def _line(e: ErrorDetails, model: type[BaseModel]) -> str:
    """One problem in words: where, what, and the value given."""
    loc = _loc(tuple(e["loc"]))
    msg = e["msg"]
    if e["type"] == "extra_forbidden":
        field = e["loc"][-1]
        allowed = _allowed_fields(model, tuple(e["loc"][:-1]))
        msg = f"unknown field '{field}'.{suggest(str(field), allowed)}"
        if allowed:
            msg += f" Allowed here: {', '.join(sorted(allowed))}."
        return f"  - {loc}: {msg}"
    if e["type"] == "missing":
        return f"  - {loc}: required field is missing; add it."
    if e["type"] == "value_error":
        # raised by our own validators: the message already names the value
        return f"  - {loc}: {msg.removeprefix('Value error, ')}"
    shown = repr(e.get("input"))
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return f"  - {loc}: {msg} (got {shown})"


#: Error types saying a value is not of a union branch's kind at all (a number where
#: the branch takes a tuple), as opposed to a value of its kind that breaks a rule.
_WRONG_KIND = {
    "literal_error",
    "enum",
    "float_parsing",
    "int_parsing",
    "bool_parsing",
    "is_instance_of",
    "none_required",
}


def _wrong_kind(e: ErrorDetails, at: int) -> bool:
    """Whether ``e`` is a union branch refusing the value's kind (at the branch itself)."""
    kind = e["type"]
    return len(e["loc"]) == at + 1 and (kind in _WRONG_KIND or kind.endswith("_type"))


def _problems(err: ValidationError, model: type[BaseModel]) -> list[ErrorDetails]:
    """The errors of ``err``, one per problem, located as the spec is written.

    Two kinds of echo are dropped, each only beside the more specific error it echoes:

    * ``too_short`` on a tuple whose bad item was dropped before its length was
      counted ("at least 1 item after validation, not 0" for one bad stage). A tuple
      given too few items in the first place keeps the line.
    * the branches of a union that refused the value's kind ("Input should be a valid
      tuple" for ``3`` where a factor or 12 factors go), beside a branch that took it
      and found the problem. When every branch refuses the value, their words are
      joined into one line.

    The union's branch (``tuple[float, ...]``) is then left out of each location.
    """
    errors = err.errors(include_url=False)
    errors = [e for e in errors if not _too_short_echo(e, errors)]
    # group the errors of each union by the union's location
    unions: dict[tuple[Any, ...], list[int]] = {}
    tags: list[list[int]] = []
    for n, e in enumerate(errors):
        positions = _union_positions(model, tuple(e["loc"]))
        tags.append(positions)
        if positions:
            unions.setdefault(tuple(e["loc"][: positions[0]]), []).append(n)
    drop: set[int] = set()
    merged: dict[int, ErrorDetails] = {}
    for where, members in unions.items():
        at = len(where)
        branches: dict[Any, list[int]] = {}
        for n in members:
            branches.setdefault(errors[n]["loc"][at], []).append(n)
        refused = {b for b, ns in branches.items() if all(_wrong_kind(errors[n], at) for n in ns)}
        if len(refused) < len(branches):
            drop |= {n for b in refused for n in branches[b]}
            continue
        words = list(dict.fromkeys(errors[n]["msg"] for n in members))
        if all(w.startswith("Input should be ") for w in words):
            msg = "Input should be " + "; or ".join(w[len("Input should be ") :] for w in words)
        else:
            msg = "; or ".join(words)
        first = errors[members[0]]
        merged[members[0]] = ErrorDetails(
            type="union_refused", loc=where, msg=msg, input=first.get("input")
        )
        drop |= set(members[1:])
    out: list[ErrorDetails] = []
    seen: set[tuple[tuple[Any, ...], str]] = set()
    for n, e in enumerate(errors):
        if n in drop:
            continue
        if n in merged:
            e = merged[n]
        else:
            loc = tuple(p for i, p in enumerate(e["loc"]) if i not in tags[n])
            e = ErrorDetails(**{**e, "loc": loc})
        key = (tuple(e["loc"]), e["msg"])
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def _too_short_echo(e: ErrorDetails, errors: list[ErrorDetails]) -> bool:
    """A ``too_short`` that counts a tuple after its bad items were dropped: the value
    given has enough items, and an error inside it is the problem."""
    if e["type"] != "too_short":
        return False
    value = e.get("input")
    if isinstance(value, str | bytes) or not hasattr(value, "__len__"):
        return False
    need = (e.get("ctx") or {}).get("min_length")
    if need is None:
        found = re.search(r"at least (\d+) item", e["msg"])
        need = int(found[1]) if found else None
    if need is None or len(value) < need:
        return False
    loc = tuple(e["loc"])
    return any(len(o["loc"]) > len(loc) and tuple(o["loc"][: len(loc)]) == loc for o in errors)


def _union_positions(model: type[BaseModel], loc: tuple[Any, ...]) -> list[int]:
    """The places in ``loc`` that name a branch of a union (pydantic adds one per
    union it tried: ``("seasonality", "tuple[float, ...]", 1)``), outermost first.

    A discriminated union reports only the branch its tag chose; its location is left
    as it is (the spec's own messages, such as a plan's, read it).
    """
    found: set[int] = set()
    _walk(model, loc, 0, (), found)
    return sorted(found)


def _walk(
    annotation: Any, loc: tuple[Any, ...], i: int, metadata: tuple[Any, ...], found: set[int]
) -> None:
    while typing.get_origin(annotation) is Annotated:
        annotation, *more = typing.get_args(annotation)
        metadata = (*metadata, *more)
    if i >= len(loc):
        return
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if len(members) == 1:  # X | None: no branch in the location
            _walk(members[0], loc, i, metadata, found)
            return
        if any(
            isinstance(m, Discriminator) or (isinstance(m, FieldInfo) and m.discriminator)
            for m in metadata
        ):
            return
        found.add(i)
        named = [m for m in members if getattr(m, "__name__", None) == loc[i]]
        for member in named or members:  # which branch a label names, when not a model's
            _walk(member, loc, i + 1, (), found)
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            if loc[i] in (name, info.alias):
                # the field's own Field(...) may name a discriminator, hence info in the metadata
                _walk(info.annotation, loc, i + 1, (*info.metadata, info), found)
        return
    if origin in (tuple, list, set, frozenset, Sequence) and isinstance(loc[i], int):
        if origin is tuple and args and args[-1] is not Ellipsis:
            item = args[loc[i]] if loc[i] < len(args) else None
        else:
            item = args[0] if args else None
        if item is not None:
            _walk(item, loc, i + 1, (), found)
        return
    if origin in (dict, Mapping) and len(args) == 2:
        _walk(args[1], loc, i + 1, (), found)


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

    def _settable(self) -> list[str]:
        """The names :meth:`replace` takes: the fields, unless a spec validates more
        (quota settings also take their method's settings by their flat names)."""
        return list(type(self).model_fields)

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` applied, validated again (a located error if not)."""
        fields = type(self).model_fields
        names = self._settable()
        unknown = sorted(set(changes) - set(names))
        if unknown:
            raise self._error(
                f"{self._label()}: unknown field {unknown[0]!r}."
                f"{suggest(unknown[0], names)} Allowed: {', '.join(names)}."
            )
        data = {k: getattr(self, k) for k in fields}
        data.update(changes)
        try:
            return type(self).model_validate(data)
        except ValidationError as exc:
            raise self._error(
                format_validation_error(exc, source=self._label(), model=type(self))
            ) from None
