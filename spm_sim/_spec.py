"""Hand-written specs (YAML files parsed into frozen pydantic models) and the helpers
that turn bad input into located messages: ``load_spec``, ``read_yaml``, ``suggest``.

YAML is read within bounds (:data:`YAML_LIMITS`): a file larger than 1 MiB, values
nested deeper than 64 levels, more than 10,000 aliases, more than 100,000 values once
aliases are expanded (an "alias bomb" is refused after a few hundred bytes), an alias
that contains itself, a key given twice and a value YAML cannot read (a 30 February,
5,000 digits) are each refused with the file, the line and column, the limit and the
fix, before any work is done on the file. The error classes themselves live in
:mod:`spm_sim.errors`.
"""

from __future__ import annotations

import difflib
import math
import re
import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self, TypeVar

import numpy as np
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from spm_sim.errors import SpecError, SpmSimError

__all__ = [
    "Spec",
    "FROZEN",
    "Share",
    "Number",
    "load_spec",
    "read_yaml",
    "YAML_LIMITS",
    "spec_source",
    "suggest",
    "format_validation_error",
    "whole_count",
]

#: The configuration of every hand-written spec: immutable, no unknown fields.
FROZEN = ConfigDict(frozen=True, extra="forbid")


def _no_bool(value: Any) -> Any:
    """Refuse YAML booleans where a number is expected (``yes`` is not 1), and say so
    for a float that is not finite (before a bound would call ``nan`` too small)."""
    if isinstance(value, bool):
        raise ValueError(
            f"expected a number, got {value!r} (YAML reads yes/no/on/off/true/false as "
            "booleans; write a number, or null for 'none')"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(
            f"Input should be a finite number, got {value!r} (YAML reads .nan and .inf "
            "as not-a-number and infinity; write a number)"
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


#: The bounds of every YAML file spm_sim reads (plans, scenarios, capacity and quota
#: settings). Real spec files are a few kilobytes, nest five or six levels and use a
#: handful of aliases; the bounds are far above that and far below what would take
#: noticeable time or memory.
YAML_LIMITS: dict[str, int] = {
    "bytes": 1 << 20,  # 1 MiB
    "depth": 64,  # levels of nested mappings and lists
    "aliases": 10_000,  # uses of an anchor (*name)
    "values": 100_000,  # values (scalars, lists, mappings) after aliases are expanded
}

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TOO_DEEP = (
    f"values nested more than {YAML_LIMITS['depth']} levels deep; spec files nest a few "
    "levels. Check the indentation and the brackets"
)


class _YamlLimit(Exception):
    """A bound of :data:`YAML_LIMITS` (or a loop of aliases) broken at ``mark``."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.mark = mark


if yaml.__with_libyaml__:  # scanning and parsing in C (libyaml), five times faster
    from yaml._yaml import CParser as _Parser
else:  # pragma: no cover - PyYAML built without libyaml

    class _Parser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


class _BoundedLoader(
    yaml.composer.Composer, _Parser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver
):
    """PyYAML's safe loader with bounds on depth, aliases and expanded size.

    The composer (events to nodes) is PyYAML's Python one, placed first so that it is
    used with libyaml's parser too: the bounds are checked there, node by node.

    The size of every node is counted as it is composed, each alias counting the full
    size of the value it repeats, so an alias bomb is refused after reading a few
    hundred bytes, long before anything is built from it. A key given twice in one
    mapping is refused (PyYAML would keep the last silently), and a scalar YAML
    cannot convert (``2025-02-30``, ``!!float abc``) becomes a located YAML error.
    """

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self._depth = 0
        self._aliases = 0
        self._values = 0  # values composed so far, each alias counting what it repeats
        self._sizes: dict[int, int] = {}  # id(node) -> values it expands to

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event: Any = self.peek_event()
            self._aliases += 1
            if self._aliases > YAML_LIMITS["aliases"]:
                raise _YamlLimit(
                    f"more than {YAML_LIMITS['aliases']:,} aliases (*name); a spec file needs "
                    "a handful. Write the values out instead of repeating anchors",
                    event.start_mark,
                )
            target = self.anchors.get(event.anchor)
            if target is not None:
                if id(target) not in self._sizes:
                    raise _YamlLimit(
                        f"alias *{event.anchor} repeats a value that contains it, which would "
                        "repeat forever; write the value out",
                        event.start_mark,
                    )
                self._count(self._sizes[id(target)], event.start_mark)
            return super().compose_node(parent, index)  # (an undefined alias fails there)
        mark = getattr(self.peek_event(), "start_mark", None)
        self._count(1, mark)
        self._depth += 1
        if self._depth > YAML_LIMITS["depth"]:
            raise _YamlLimit(_TOO_DEEP, mark)
        node = super().compose_node(parent, index)
        self._depth -= 1
        size = 1
        if isinstance(node, yaml.SequenceNode):
            size += sum(self._sizes[id(item)] for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            self._check_keys(node)
            size += sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)
        self._sizes[id(node)] = size
        return node

    def _count(self, values: int, mark: Any) -> None:
        """Add ``values`` to the document's size after aliases; refuse past the bound."""
        self._values += values
        limit = YAML_LIMITS["values"]
        if self._values <= limit:
            return
        if self._aliases:
            raise _YamlLimit(
                f"aliases expand the file to more than {limit:,} values (an 'alias bomb'); "
                "a spec file holds a few hundred. Write the values out or repeat fewer anchors",
                mark,
            )
        raise _YamlLimit(
            f"the file holds more than {limit:,} values; a spec file holds a few hundred. "
            "Check that this is the right file (data belongs in the book's CSV or Parquet "
            "files)",
            mark,
        )

    def _check_keys(self, node: yaml.MappingNode) -> None:
        seen: dict[tuple[str, str], Any] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE_TAG:
                continue
            first: Any = seen.setdefault((key.tag, key.value), key.start_mark)
            if first is not key.start_mark:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"key {key.value!r} is given twice in one mapping (first at line "
                    f"{first.line + 1}); YAML would keep only the last, so remove one",
                    key.start_mark,
                )

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ArithmeticError, AttributeError, LookupError, TypeError, ValueError) as exc:
            shown = repr(node.value) if isinstance(node, yaml.ScalarNode) else "this value"
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {shown} ({exc})", node.start_mark
            ) from None


def _at(mark: Any) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def read_yaml(path: str | Path, *, error: type[SpmSimError] = SpecError) -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping, within bounds, with located errors.

    Parameters
    ----------
    path : str or Path
        The file.
    error : SpmSimError subclass, default SpecError
        The error raised (with a message only) when the file cannot be read.

    Returns
    -------
    dict
        The top-level mapping.

    Raises
    ------
    SpmSimError
        ``error``, naming the file, the line and column where known, the rule and the
        fix: a missing file, a file not UTF-8 or not valid YAML, a key given twice, a
        value YAML cannot read, or a bound of :data:`YAML_LIMITS` broken (size, depth,
        aliases), each found in well under a second.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "ok.yaml"
    ...     _ = path.write_text("rate: &r 0.05\\nagain: *r\\n")
    ...     read_yaml(path)
    {'rate': 0.05, 'again': 0.05}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "deep.yaml"
    ...     _ = path.write_text("a: " + "[" * 100 + "]" * 100)
    ...     read_yaml(path)
    Traceback (most recent call last):
    ...
    spm_sim.errors.SpecError: .../deep.yaml: refused at line 1, column 67: values nested more
    than 64 levels deep; spec files nest a few levels. Check the indentation and the brackets.
    """
    path = Path(path)
    where = str(path)
    if path.is_dir():
        yamls = sorted(p.name for p in path.glob("*.y*ml"))[:5]
        has = f" (it holds {', '.join(yamls)})" if yamls else ""
        raise error(f"{where}: is a folder{has}, and a YAML file is wanted; name the file.")
    if not path.is_file():
        raise error(
            f"{where}: file not found. Check the path (relative paths start at {Path.cwd()})."
        )
    size = path.stat().st_size
    if size > YAML_LIMITS["bytes"]:
        raise error(
            f"{where}: the file is {size:,} bytes; a YAML spec file may be at most "
            f"{YAML_LIMITS['bytes']:,} bytes (1 MiB). Plans, scenarios and settings are a "
            "few kilobytes: check that this is the right file (data belongs in the book's "
            "CSV or Parquet files)."
        )
    try:
        text = path.read_bytes().decode("utf-8")
        loader = _BoundedLoader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except _YamlLimit as exc:
        raise error(f"{where}: refused{_at(exc.mark)}: {exc}.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        if "maximum nesting depth" in problem:  # libyaml's own bound (1,000), met first
            raise error(f"{where}: refused{_at(mark)}: {_TOO_DEEP}.") from None
        raise error(f"{where}: not valid YAML{_at(mark)}: {problem}.") from None
    except UnicodeDecodeError as exc:
        raise error(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
    except RecursionError:  # a last guard: the depth bound should stop it first
        raise error(
            f"{where}: refused: values nested too deeply to read; check the indentation."
        ) from None
    if not isinstance(data, Mapping):
        raise error(
            f"{where}: expected a mapping of fields (key: value lines) at the top level, "
            f"got {type(data).__name__}."
        )
    return dict(data)


#: The file a spec is being built from, for messages raised or warned while validating.
_SOURCE: ContextVar[str | None] = ContextVar("spm_sim_spec_source", default=None)


def spec_source() -> str | None:
    """The file (or name) of the spec being validated by :func:`load_spec`, else ``None``.

    Validators use it to name the file in a plausibility warning, which pydantic does
    not carry.

    Examples
    --------
    >>> spec_source() is None
    True
    """
    return _SOURCE.get()


@contextmanager
def _source(where: str | None) -> Iterator[None]:
    token = _SOURCE.set(where)
    try:
        yield
    finally:
        _SOURCE.reset(token)


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
    named = where if where is not None or isinstance(source, Mapping) else str(source)
    if isinstance(source, Mapping):
        data: Any = dict(source)
        where = where or f"<{model.__name__} given as a mapping>"
    else:
        data = read_yaml(source, error=error)
        where = where or str(source)
    try:
        with _source(named):
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
