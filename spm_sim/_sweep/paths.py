"""Parameter paths: one field of a scenario named as text, read and set through the specs.

A path walks from the scenario down its specs, the way the YAML is nested::

    plan.components[0].tiers[1].rate        a component by position, a tier by position
    plan.components[bookings].threshold     a component (or anything with a name) by name
    quota.over_assignment                   a number sets the rep level, as in the YAML
    quota.growth, quota.probability         quota settings (a method's own read through)
    behaviour.effort_elasticity             a block the scenario leaves out is switched
                                            on with its defaults when it is set
    workforce.ramp[AE][0]                   a mapping by key, a list by position
    trials

Reading names the first step that does not exist, what does exist there and the
closest name. Setting rebuilds every spec on the way with its own ``replace()``, so
each change is validated as if the YAML had said it (the scenario's cross-checks
included) and a bad value is refused with the spec's located message.
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from spm_sim._spec import suggest
from spm_sim.errors import SpecError
from spm_sim.scenario import Scenario

#: One step of a path: ``("field", name)``, ``("index", position)`` or ``("key", text)``.
Step = tuple[str, Any]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXAMPLES = (
    "plan.components[0].tiers[1].rate, plan.components[bookings].threshold, "
    "quota.over_assignment, behaviour.effort_elasticity"
)


class Limits(NamedTuple):
    """The range a field's own rules allow (``None`` where there is no bound)."""

    low: float | None
    high: float | None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False


def parse_path(path: str) -> tuple[Step, ...]:
    """The steps of a parameter path, or a :class:`SpecError` saying where it breaks.

    Examples
    --------
    >>> parse_path("plan.components[bookings].tiers[1].rate")
    (('field', 'plan'), ('field', 'components'), ('key', 'bookings'), ('field', 'tiers'), ('index', 1), ('field', 'rate'))
    >>> parse_path("plan..rate")
    Traceback (most recent call last):
    ...
    spm_sim.errors.SpecError: parameter path 'plan..rate': expected a field name at character 6 ...
    """  # noqa: E501
    if not isinstance(path, str) or not path.strip():
        raise SpecError(f"a parameter path must be text such as {_EXAMPLES}; got {path!r}.")
    text = path.strip()
    steps: list[Step] = []
    i = 0
    while i < len(text):
        m = _NAME.match(text, i)
        if m is None:
            raise SpecError(
                f"parameter path {path!r}: expected a field name at character {i + 1} "
                f"({text[i:]!r}); write fields separated by dots, positions and names in "
                f"brackets, e.g. {_EXAMPLES}."
            )
        steps.append(("field", m.group()))
        i = m.end()
        while i < len(text) and text[i] == "[":
            end = text.find("]", i)
            inside = text[i + 1 : end].strip() if end > 0 else ""
            if end < 0 or not inside:
                raise SpecError(
                    f"parameter path {path!r}: the bracket at character {i + 1} "
                    + ("is not closed" if end < 0 else "is empty")
                    + "; write a position (tiers[1]) or a name (components[bookings])."
                )
            try:
                steps.append(("index", int(inside)))
            except ValueError:
                steps.append(("key", inside.strip("'\"")))
            i = end + 1
        if i < len(text):
            if text[i] != "." or i == len(text) - 1:
                raise SpecError(
                    f"parameter path {path!r}: unexpected {text[i:]!r} at character {i + 1}; "
                    f"write fields separated by dots, e.g. {_EXAMPLES}."
                )
            i += 1
    return tuple(steps)


def _shown(steps: tuple[Step, ...]) -> str:
    out = ""
    for kind, value in steps:
        if kind == "field":
            out += f".{value}" if out else str(value)
        else:
            out += f"[{value}]"
    return out


def _fields(node: BaseModel) -> list[str]:
    """What a spec's path may name: its fields (and, for quota settings, the method's
    settings by their flat names)."""
    settable = getattr(node, "_settable", None)
    return list(settable()) if callable(settable) else list(type(node).model_fields)


def _kind(node: Any) -> str:
    name = type(node).__name__
    return {"Scenario": "the scenario", "Plan": "the plan"}.get(name, name)


def _block_default(owner: BaseModel, name: str, where: str) -> BaseModel:
    """The spec a field left out (None) would hold with its defaults: setting a field
    inside it switches the block on."""
    field = type(owner).model_fields.get(name)
    model = _model_in(field.annotation) if field is not None else None
    if model is None:
        raise SpecError(f"parameter path {where!r}: {name!r} is not set (None) and has no fields.")
    try:
        return model()
    except Exception:
        raise SpecError(
            f"parameter path {where!r}: {name!r} is off in this scenario and cannot be "
            f"switched on with defaults alone ({model.__name__} has required fields); add "
            f"a {name} block to the scenario first."
        ) from None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The spec class in an annotation such as ``Behaviour | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _step_into(node: Any, step: Step, done: tuple[Step, ...], path: str, *, fill: bool) -> Any:
    """The value one step below ``node`` (``fill``: a block that is off, with defaults)."""
    kind, key = step
    here = _shown(done) or "the scenario"
    if kind == "field":
        if isinstance(node, tuple | list):
            raise SpecError(
                f"parameter path {path!r}: {here} is a list of {len(node)} item(s); pick one "
                f"by position or name before {key!r}, e.g. {here}[0].{key}."
            )
        if not isinstance(node, BaseModel):
            raise SpecError(
                f"parameter path {path!r}: {here} is {_brief(node)}, which has no field {key!r}."
            )
        names = _fields(node)
        if key not in names:
            raise SpecError(
                f"parameter path {path!r}: {_kind(node)} ({here}) has no field {key!r}."
                f"{suggest(key, names)} Its fields: {', '.join(names)}."
            )
        value = getattr(node, key)
        if value is None and fill and _model_in(_annotation(node, key)) is not None:
            return _block_default(node, key, path)
        return value
    if isinstance(node, Mapping):
        if key not in node and str(key) not in node:
            keys = [str(k) for k in node]
            raise SpecError(
                f"parameter path {path!r}: {here} has no key {key!r}.{suggest(str(key), keys)} "
                f"Its keys: {', '.join(keys) or '(none)'}."
            )
        return node[key] if key in node else node[str(key)]
    if not isinstance(node, tuple | list):
        raise SpecError(
            f"parameter path {path!r}: {here} is {_brief(node)}, not a list; write "
            f"[...] only after a list such as components or tiers."
        )
    if kind == "index":
        if not -len(node) <= key < len(node):
            raise SpecError(
                f"parameter path {path!r}: {here} has {len(node)} item(s), so [{key}] does "
                f"not exist; positions start at 0 (0 to {len(node) - 1})."
            )
        return node[key]
    named: list[Any] = [getattr(item, "name", None) for item in node]
    if key in named:
        return node[named.index(key)]
    listed = [str(n) for n in named if n is not None]
    raise SpecError(
        f"parameter path {path!r}: {here} has no item named {key!r}.{suggest(key, listed)} "
        + (
            f"Its names: {', '.join(listed)}."
            if listed
            else f"Its items have no names: use a position, 0 to {len(node) - 1}."
        )
    )


def _annotation(node: BaseModel, name: str) -> Any:
    field = type(node).model_fields.get(name)
    return field.annotation if field is not None else None


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def get_param(scenario: Scenario, path: str) -> Any:
    """The value a parameter path names in ``scenario``.

    Parameters
    ----------
    scenario : Scenario
    path : str
        Fields separated by dots, list items by position or name in brackets (see
        the module's notes), e.g. ``"plan.components[bookings].tiers[1].rate"``.

    Returns
    -------
    object
        The value as the spec holds it (a number, text, a spec). ``quota.over_assignment``
        reads as its rep level (the number the YAML writes) while it has no region level.

    Raises
    ------
    SpecError
        Naming the path, the first step that does not exist, what exists there and
        the closest name; or a block the scenario leaves out (``behaviour`` when it is
        off), which has no value to read.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> s = sample_scenario("baseline")
    >>> get_param(s, "plan.components[bookings].tiers[1].rate")
    1.5
    >>> get_param(s, "quota.over_assignment"), get_param(s, "quota.growth")
    (0.05, 0.08)
    >>> get_param(s, "plan.components[0].tiers[1].rat")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spm_sim.errors.SpecError: parameter path 'plan.components[0].tiers[1].rat': Tier (plan.components[0].tiers[1]) has no field 'rat'. Did you mean 'rate'? ...
    """  # noqa: E501
    steps = parse_path(path)
    node: Any = scenario
    for k, step in enumerate(steps):
        if node is None and k and steps[k - 1][0] == "field":
            raise SpecError(
                f"parameter path {path!r}: {_shown(steps[:k])} is off in scenario "
                f"{scenario.name!r} (not set), so it has no {step[1]!r} to read; setting "
                "the path switches it on with its defaults."
            )
        node = _step_into(node, step, steps[:k], path, fill=False)
    return _as_number(node)


def _as_number(value: Any) -> Any:
    """A spec the YAML may write as one number, read as that number: over-assignment
    without a region level is its rep level."""
    if type(value).__name__ == "OverAssignment" and getattr(value, "region", None) == 0:
        return value.rep
    return value


def set_params(
    scenario: Scenario, changes: Mapping[str, Any], *, name: str | None = None
) -> Scenario:
    """``scenario`` with each path of ``changes`` set to its value, every spec validated.

    Parameters
    ----------
    scenario : Scenario
    changes : mapping of str to object
        Parameter path -> new value, applied in order (see :func:`get_param`).
    name : str, optional
        The new scenario's name (default: unchanged).

    Returns
    -------
    Scenario
        Built through each spec's ``replace()``: the plan, its components and tiers,
        the quota settings and the scenario validate again, cross-checks included.

    Raises
    ------
    SpecError
        A path that does not exist (as :func:`get_param`), or a value the spec refuses:
        the spec's own error class (:class:`~spm_sim.errors.PlanError`,
        :class:`~spm_sim.errors.ScenarioError`...) with its located message, after the
        path and the value.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> s = sample_scenario("baseline")
    >>> t = set_params(s, {"plan.components[bookings].tiers[2].rate": 2.5, "quota.growth": 0.1})
    >>> t.plan.components[0].tiers[2].rate, t.quota.growth
    (2.5, 0.1)
    >>> set_params(s, {"plan.components[0].threshold": -1})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spm_sim.errors.PlanError: plan.components[0].threshold = -1: Component: 1 problem(s) ...
    """
    if not isinstance(changes, Mapping):
        raise SpecError(
            f"changes must be a mapping of parameter path -> value, got {_brief(changes)}; "
            "e.g. {'plan.components[0].tiers[1].rate': 1.8}."
        )
    out = scenario
    for path, value in changes.items():
        steps = parse_path(path)
        try:
            out = _set(out, steps, value, (), str(path))
        except SpecError as exc:
            if str(exc).startswith(f"parameter path {str(path)!r}"):
                raise
            raise type(exc)(f"{path} = {_brief(value)}: {exc}") from None
    if name is not None and name != out.name:
        out = out.replace(name=name)
    return out


def _set(node: Any, steps: tuple[Step, ...], value: Any, done: tuple[Step, ...], path: str) -> Any:
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    child = _step_into(node, step, done, path, fill=True)
    new = _set(child, rest, value, (*done, step), path)
    kind, key = step
    if kind == "field":
        return node.replace(**{key: new})
    if isinstance(node, Mapping):
        return {**node, (key if key in node else str(key)): new}
    items = list(node)
    if kind == "index":
        items[key] = new
    else:
        items[[getattr(i, "name", None) for i in items].index(key)] = new
    return type(node)(items)


def param_limits(scenario: Scenario, path: str) -> Limits:
    """The range the named field's own rules allow, read off its spec (``None`` where
    a side is unbounded or the rule is not a plain bound). Other rules (a tier must
    start where the previous one ends, a cross-check of the scenario) are met or
    refused when the value is set.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> param_limits(sample_scenario("baseline"), "quota.growth")
    Limits(low=-1.0, high=5.0, low_open=True, high_open=False, integer=False)
    """
    steps = parse_path(path)
    node: Any = scenario
    owner: Any = None
    for k, step in enumerate(steps):
        owner = node
        node = _step_into(node, step, steps[:k], path, fill=True)
    kind, key = steps[-1]
    if kind != "field" or not isinstance(owner, BaseModel):
        return Limits(None, None, integer=isinstance(node, int) and not isinstance(node, bool))
    field = type(owner).model_fields.get(key)
    if field is None and hasattr(owner, "options"):  # a quota method's own setting
        field = type(owner.options).model_fields.get(key)
    if field is None:
        return Limits(None, None)
    return _limits(field)


def _limits(field: FieldInfo) -> Limits:
    low: float | None = None
    high: float | None = None
    low_open = high_open = False
    for m in _metadata(field.metadata, field.annotation):
        if getattr(m, "ge", None) is not None:
            low, low_open = _tighter(low, low_open, float(m.ge), False, max)
        if getattr(m, "gt", None) is not None:
            low, low_open = _tighter(low, low_open, float(m.gt), True, max)
        if getattr(m, "le", None) is not None:
            high, high_open = _tighter(high, high_open, float(m.le), False, min)
        if getattr(m, "lt", None) is not None:
            high, high_open = _tighter(high, high_open, float(m.lt), True, min)
        limit = getattr(m, "limit", None)
        if isinstance(limit, int | float) and not isinstance(limit, bool):
            high, high_open = _tighter(high, high_open, float(limit), False, min)
    return Limits(low, high, low_open, high_open, integer=_is_int(field.annotation))


def _tighter(old, old_open, new, new_open, pick):
    if old is None or (pick(old, new) == new and new != old):
        return new, new_open
    if new == old:
        return old, old_open or new_open
    return old, old_open


def _metadata(items: list[Any], annotation: Any) -> list[Any]:
    """Every bound in a field's metadata and in the ``Annotated`` parts of its type."""
    out: list[Any] = []
    for m in items:
        out.extend(_metadata(m.metadata, None) if isinstance(m, FieldInfo) else [m])
    if annotation is None:
        return out
    if typing.get_origin(annotation) is typing.Annotated:
        out.extend(_metadata(list(annotation.__metadata__), annotation.__origin__))
    elif typing.get_origin(annotation) in (typing.Union, types.UnionType):
        numeric = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(numeric) == 1:
            out.extend(_metadata([], numeric[0]))
    return out


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        return _is_int(annotation.__origin__)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return len(args) == 1 and _is_int(args[0])


def number(scenario: Scenario, path: str) -> float:
    """The parameter's value as a number, or a :class:`SpecError` saying it is not one.

    A block the scenario leaves out reads as its default (the value that setting the
    path would start from).

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> number(sample_scenario("baseline"), "behaviour.effort_elasticity")
    0.2
    """
    steps = parse_path(path)
    node: Any = scenario
    for k, step in enumerate(steps):
        node = _step_into(node, step, steps[:k], path, fill=True)
    node = _as_number(node)
    if isinstance(node, bool) or not isinstance(node, int | float) or not math.isfinite(node):
        what = type(node).__name__ if isinstance(node, BaseModel) else _brief(node)
        hint = ""
        if isinstance(node, BaseModel):
            hint = f" Name one of its fields: {', '.join(_fields(node))}."
        raise SpecError(
            f"parameter path {path!r} holds {what}, not a number, in scenario "
            f"{scenario.name!r}; goal-seek needs a numeric field.{hint}"
        )
    return float(node)
