"""Incentive plan specs: what a plan is, how it is written, how it is checked.

A :class:`Plan` is a frozen, validated value made of :class:`Component` objects,
each with a marginal rate table of :class:`Tier` bands. Plans are written by sales
ops in YAML (``data/plans/*.yaml``, checked by editors against
``spm_sim/plan.schema.json``) and loaded with :func:`load_plan`; what-ifs are
``plan.replace(...)``, which validates again. The money a plan pays is computed by
:mod:`spm_sim.comp`.
"""

from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from spm_sim._validation import PlanError, load_spec, suggest

__all__ = [
    "MEASURES",
    "Tier",
    "Component",
    "Plan",
    "load_plan",
    "standard_plan",
    "plan_json_schema",
    "PLAN_SCHEMA_PATH",
]

#: Measures a component can be paid on. Only credited bookings exist for now.
MEASURES: tuple[str, ...] = ("bookings",)

#: Column names of ``comp.payout_curve``; components may not use them as names.
_CURVE_COLUMNS = ("attainment", "payout", "effective_rate")


def _no_bool(value: Any) -> Any:
    # YAML 1.1 reads yes/no/on/off as booleans, and pydantic would turn them into
    # 1.0/0.0 silently. A money rule should never be a yes/no.
    if isinstance(value, bool):
        raise ValueError(
            f"expected a number, got {value!r} (YAML reads yes/no/on/off/true/false as "
            "booleans; write a number, or null for 'none')"
        )
    return value


_Number = Annotated[float, BeforeValidator(_no_bool)]


class _Spec(BaseModel):
    """Frozen pydantic base of the plan specs: no unknown fields, no inf or NaN.

    Build plans with :func:`load_plan` (or ``Plan.from_yaml``, ``plan.replace``,
    :func:`standard_plan`), which raise :class:`PlanError` with located messages.
    Calling ``Plan(...)`` directly works too but, being plain pydantic, raises
    ``pydantic.ValidationError`` (also a ``ValueError``) carrying the same texts.
    Overriding ``__init__`` to convert it is not an option: pydantic then routes
    nested validation through that ``__init__`` as well.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def _nested_errors(
    exc: ValidationError,
    label: Callable[[int], str],
    model: type[BaseModel],
    *,
    whole: str,
    named: bool,
) -> str:
    """One line per problem inside a list of specs, prefixed with the item's name.

    ``label(index)`` names a list item (``"component 'x'"``, ``"... tier 2"``) and
    ``whole`` names the list itself, for problems with the list as a whole. With
    ``named=True`` the inner :class:`PlanError` messages already name the item and
    are kept as they are, so names are not repeated.
    """
    lines = []
    for e in exc.errors(include_url=False):
        loc = tuple(e["loc"])
        indexed = bool(loc) and isinstance(loc[0], int)
        where = label(loc[0]) if indexed else whole
        field = ".".join(str(p) for p in loc[1 if indexed else 0 :])
        inner = (e.get("ctx") or {}).get("error")
        if isinstance(inner, PlanError):
            lines.append(str(inner) if named else f"{where}: {inner}")
        elif e["type"] == "extra_forbidden":
            allowed = list(model.model_fields)
            lines.append(
                f"{where}: unknown field '{field}'.{suggest(field, allowed)} "
                f"Allowed: {', '.join(allowed)}."
            )
        elif e["type"] == "missing":
            lines.append(f"{where}: required field '{field}' is missing; add it.")
        else:
            shown = repr(e.get("input"))
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            lines.append(f"{where}: {field + ': ' if field else ''}{e['msg']} (got {shown})")
    # Several problems become several lines, indented under the field they belong to.
    return "\n    ".join(lines)


class Tier(_Spec):
    """One attainment band of a marginal rate table.

    Parameters
    ----------
    start : float, >= 0
        Attainment where the band starts (1.0 = 100% of quota), inclusive.
    end : float or None, default None
        Attainment where the band ends, exclusive. ``None`` means no upper end;
        only the last tier of a component may be open-ended.
    rate : float, >= 0
        The band's rate. Its unit is set by the component's ``rate_basis``: a
        multiple of the target commission rate (``"tcr"``) or a fraction of each
        credited dollar (``"bookings"``).

    Examples
    --------
    >>> Tier(start=1.0, end=None, rate=2.0).end is None
    True
    """

    start: _Number = Field(ge=0)
    end: _Number | None = None
    rate: _Number = Field(ge=0)

    @model_validator(mode="after")
    def _end_after_start(self) -> Tier:
        if self.end is not None and not self.end > self.start:
            raise PlanError(
                f"end {self.end} must be greater than start {self.start} (a band cannot be empty)"
            )
        return self


class Component(_Spec):
    """One measure of a plan, with its share of the target incentive and its rates.

    Parameters
    ----------
    name : str
        Unique within the plan; used as a column name in results.
    measure : str, default "bookings"
        What the component is paid on. Allowed values are in :data:`MEASURES`.
    weight : float in (0, 1]
        Share of the rep's target incentive (TI) this component carries. For a
        ``"bookings"``-basis component it only scales ``payout_cap``.
    rate_basis : {"tcr", "bookings"}
        ``"tcr"``: each tier rate is a multiple of the component's target commission
        rate ``TCR = weight * TI / quota``, so a rep at quota under a single 1.0 tier
        earns ``weight * TI``. ``"bookings"``: each rate is a fraction of credited
        dollars (0.05 pays 5 cents a dollar), whatever the TI.
    threshold : float >= 0, default 0
        Attainment below which the component pays nothing. It is a cliff: at or
        above the threshold the component pays from the first dollar, as if there
        were no threshold. A rep at exactly the threshold is paid (attainment
        within 1e-9 below it counts, to absorb float rounding of sums of cents).
    tiers : tuple of Tier
        Marginal bands: each band's rate applies only to the credited sales inside
        the band. The first starts at 0; each starts where the previous ends; only
        the last may be open-ended, and if it is not, ``attainment_cap`` must stop
        attainment at or before its end (so no sale falls outside every band).
    attainment_cap : float > 0 or None, default None
        Credited attainment is capped here: sales beyond ``attainment_cap * quota``
        earn nothing. Must be at least ``threshold``.
    payout_cap : float > 0 or None, default None
        The most the component pays in a year, as a multiple of its target
        incentive ``weight * TI`` (3.0 = 300% of the component's TI).

    Examples
    --------
    >>> c = Component(name="bookings", weight=1.0, rate_basis="tcr",
    ...               tiers=[{"start": 0, "end": 1.0, "rate": 1.0},
    ...                      {"start": 1.0, "rate": 2.0}])
    >>> [t.rate for t in c.tiers]
    [1.0, 2.0]
    """

    name: str = Field(min_length=1)
    # The enum and minItems below only feed the JSON schema (plan_json_schema); the
    # validators give the located messages.
    measure: str = Field(default="bookings", json_schema_extra={"enum": list(MEASURES)})
    weight: _Number = Field(gt=0, le=1)
    rate_basis: Literal["tcr", "bookings"]
    threshold: _Number = Field(default=0.0, ge=0)
    tiers: tuple[Tier, ...] = Field(json_schema_extra={"minItems": 1})
    attainment_cap: _Number | None = Field(default=None, gt=0)
    payout_cap: _Number | None = Field(default=None, gt=0)

    @field_validator("measure")
    @classmethod
    def _known_measure(cls, value: str, info: Any) -> str:
        if value not in MEASURES:
            name = info.data.get("name", "?")
            raise PlanError(
                f"component {name!r}: measure {value!r} is not supported; "
                f"allowed measures: {', '.join(MEASURES)}.{suggest(value, MEASURES)}"
            )
        return value

    @field_validator("tiers", mode="wrap")
    @classmethod
    def _name_tier_errors(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: Any) -> Any:
        # Wrap so that a bad tier is reported with its component's name and its
        # 1-based number, the way people count tiers on a rate table.
        name = info.data.get("name", "?")
        try:
            tiers = handler(value)
        except ValidationError as exc:
            raise PlanError(
                _nested_errors(
                    exc,
                    lambda i: f"component {name!r} tier {i + 1}",
                    Tier,
                    whole=f"component {name!r} tiers",
                    named=False,
                )
            ) from None
        if not tiers:
            raise PlanError(f"component {name!r}: tiers is empty; give at least one tier")
        return tiers

    @model_validator(mode="after")
    def _check_rate_table(self) -> Component:
        who = f"component {self.name!r}"
        tiers = self.tiers
        if tiers[0].start != 0:
            raise PlanError(
                f"{who} tier 1: start {tiers[0].start} must be 0 (the rate table must "
                "cover attainment from zero)"
            )
        for k in range(1, len(tiers)):
            prev, tier = tiers[k - 1], tiers[k]
            if prev.end is None:
                raise PlanError(
                    f"{who} tier {k}: only the last tier may be open-ended (end: null), "
                    f"but tier {k + 1} follows it; give tier {k} an end"
                )
            if tier.start != prev.end:
                raise PlanError(
                    f"{who} tier {k + 1}: start {tier.start} does not equal tier {k}'s "
                    f"end {prev.end} (tiers must be contiguous and increasing)"
                )
        last_end = tiers[-1].end
        cap = self.attainment_cap
        if last_end is not None and (cap is None or cap > last_end):
            raise PlanError(
                f"{who} tier {len(tiers)}: the last tier ends at {last_end} but attainment "
                f"can go beyond it (attainment_cap is {cap}); leave its end empty (null) "
                f"or set attainment_cap to at most {last_end}"
            )
        if cap is not None and cap < self.threshold:
            raise PlanError(
                f"{who}: attainment_cap {cap} is below threshold {self.threshold}, so the "
                "capped attainment could never reach the threshold"
            )
        return self


class Plan(_Spec):
    """An incentive plan: named, weighted components paid on annual attainment.

    Parameters
    ----------
    name : str
        Shown in reports.
    currency : str, default "USD"
        ISO 4217 code, three upper-case letters.
    description : str, default ""
        Free text for readers of reports.
    components : tuple of Component
        At least one; names unique. When every component is ``tcr``-based their
        weights must sum to 1 (within 1e-9), so a rep at quota on every measure
        earns exactly the TI.

    Raises
    ------
    PlanError
        From :func:`load_plan`, ``Plan.from_yaml``, :meth:`replace` and
        :func:`standard_plan`. Calling ``Plan(...)`` directly raises
        ``pydantic.ValidationError`` with the same messages (see ``_Spec``).

    Examples
    --------
    >>> plan = standard_plan(threshold=0.5, accelerator=2.0)
    >>> plan.components[0].threshold
    0.5
    >>> plan.replace(name="What-if").name
    'What-if'
    """

    name: str = Field(min_length=1)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    description: str = ""
    components: tuple[Component, ...] = Field(json_schema_extra={"minItems": 1})

    @field_validator("components", mode="wrap")
    @classmethod
    def _name_component_errors(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            components = handler(value)
        except ValidationError as exc:

            def label(i: int) -> str:
                try:
                    item = value[i]
                    name = item.get("name") if isinstance(item, Mapping) else item.name
                except (IndexError, KeyError, TypeError, AttributeError):
                    name = None
                return f"component {name!r}" if name else f"component {i + 1}"

            lines = _nested_errors(exc, label, Component, whole="plan components", named=True)
            raise PlanError(lines) from None
        if not components:
            raise PlanError("components is empty; a plan needs at least one component")
        return components

    @model_validator(mode="after")
    def _check_components(self) -> Plan:
        who = f"plan {self.name!r}"
        seen: dict[str, int] = {}
        for i, c in enumerate(self.components, start=1):
            if c.name in seen:
                raise PlanError(
                    f"{who}: component name {c.name!r} appears twice (components "
                    f"{seen[c.name]} and {i}); names must be unique"
                )
            if c.name in _CURVE_COLUMNS:
                raise PlanError(
                    f"{who}: component name {c.name!r} is reserved (it is a column of "
                    f"payout_curve: {', '.join(_CURVE_COLUMNS)}); rename the component"
                )
            seen[c.name] = i
        if all(c.rate_basis == "tcr" for c in self.components):
            total = math.fsum(c.weight for c in self.components)
            if abs(total - 1.0) > 1e-9:
                parts = " + ".join(f"{c.name} {c.weight:g}" for c in self.components)
                raise PlanError(
                    f"{who}: component weights sum to {total:g} ({parts}); the weights of "
                    "tcr-based components must sum to 1 so that a rep at quota earns the TI"
                )
        return self

    @classmethod
    def from_yaml(cls, path: str | Path) -> Plan:
        """Load a plan from a YAML file; see :func:`load_plan`."""
        return load_spec(cls, path, error=PlanError)

    def replace(self, **changes: Any) -> Plan:
        """Return a copy with some fields changed, validated again.

        Unlike ``model_copy(update=...)``, which skips validation, a bad value
        raises :class:`PlanError`.

        Examples
        --------
        >>> standard_plan().replace(currency="EUR").currency
        'EUR'
        """
        unknown = set(changes) - set(type(self).model_fields)
        if unknown:
            field = sorted(unknown)[0]
            raise PlanError(
                f"plan {self.name!r}: unknown field {field!r}."
                f"{suggest(field, type(self).model_fields)} "
                f"Allowed: {', '.join(type(self).model_fields)}."
            )
        data = self.model_dump()
        data.update(changes)
        return load_spec(type(self), data, error=PlanError)

    def to_yaml(self, path: str | Path | None = None) -> str:
        """Return the plan as YAML text (and write it to ``path`` if given).

        ``load_plan`` of the text gives back an equal plan.
        """
        text = yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def load_plan(source: str | Path | Mapping[str, Any] | Plan) -> Plan:
    """Load and validate a plan from a YAML file or a mapping.

    Parameters
    ----------
    source : path, mapping or Plan
        A YAML file such as ``data/plans/baseline.yaml``, a parsed mapping, or a
        plan (returned unchanged).

    Raises
    ------
    PlanError
        The message names the file, the component, the tier and the value at fault.

    Examples
    --------
    >>> plan = load_plan({"name": "Flat", "components": [
    ...     {"name": "bookings", "weight": 1.0, "rate_basis": "bookings",
    ...      "tiers": [{"start": 0, "rate": 0.05}]}]})
    >>> plan.components[0].tiers[0].rate
    0.05
    """
    if isinstance(source, Plan):
        return source
    return load_spec(Plan, source, error=PlanError)


def standard_plan(
    *,
    name: str = "Standard plan",
    threshold: float = 0.5,
    base_rate: float = 1.0,
    accelerator: float = 2.0,
    accelerator_start: float = 1.0,
    attainment_cap: float | None = None,
    payout_cap: float | None = None,
) -> Plan:
    """A one-component bookings plan with one accelerator, for sliders and examples.

    Parameters
    ----------
    name : str, default "Standard plan"
    threshold : float, default 0.5
        Attainment below which nothing is paid (a cliff, see :class:`Component`).
    base_rate : float, default 1.0
        Rate of the tier ``[0, accelerator_start)``, a multiple of TCR.
    accelerator : float, default 2.0
        Rate of the open-ended tier from ``accelerator_start``, a multiple of TCR.
    accelerator_start : float > 0, default 1.0
        Attainment where the accelerator starts.
    attainment_cap, payout_cap : float or None, default None
        As in :class:`Component`; ``payout_cap`` is a multiple of TI.

    Raises
    ------
    PlanError
        If a value breaks a rule, e.g. a negative rate.

    Examples
    --------
    >>> p = standard_plan(accelerator=1.5, payout_cap=3.0)
    >>> [(t.start, t.end, t.rate) for t in p.components[0].tiers]
    [(0.0, 1.0, 1.0), (1.0, None, 1.5)]
    """
    component = {
        "name": "bookings",
        "measure": "bookings",
        "weight": 1.0,
        "rate_basis": "tcr",
        "threshold": threshold,
        "tiers": [
            {"start": 0.0, "end": accelerator_start, "rate": base_rate},
            {"start": accelerator_start, "end": None, "rate": accelerator},
        ],
        "attainment_cap": attainment_cap,
        "payout_cap": payout_cap,
    }
    return load_plan({"name": name, "components": [component]})


#: The plan JSON schema shipped with the package, for editors; regenerate it with
#: ``python -c "from spm_sim.comp import plan_json_schema; plan_json_schema(write=True)"``.
PLAN_SCHEMA_PATH = Path(__file__).with_name("plan.schema.json")

# pydantic writes a bound on a nullable number guarded by a BeforeValidator (the
# caps) as a pydantic keyword ("gt") that JSON schema does not know; rename them.
_JSON_BOUNDS = {
    "gt": "exclusiveMinimum",
    "ge": "minimum",
    "lt": "exclusiveMaximum",
    "le": "maximum",
}


def _numpydoc_parameters(doc: str) -> tuple[str, dict[str, str]]:
    """The summary line of a numpydoc docstring and its Parameters as plain text.

    Each parameter becomes ``"<description> [<type>]"``; reStructuredText roles and
    double backquotes become single backquotes, which editors show as they are.
    """
    lines = inspect.cleandoc(doc).splitlines()
    start = lines.index("Parameters") + 2 if "Parameters" in lines else len(lines)
    kinds: dict[str, str] = {}
    texts: dict[str, list[str]] = {}
    for k in range(start, len(lines)):
        line = lines[k]
        if k + 1 < len(lines) and set(lines[k + 1]) == {"-"}:
            break  # the next section's title
        if line and not line.startswith(" "):
            name, _, kind = line.partition(" : ")
            kinds[name], texts[name] = kind, []
        elif line.strip() and texts:
            texts[name].append(line.strip())
    params = {}
    for name, words in texts.items():
        text = f"{' '.join(words)} [{kinds[name]}]"
        params[name] = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text).replace("``", "`")
    return lines[0], params


def _json_schema_bounds(node: Any) -> Any:
    if isinstance(node, dict):
        number = node.get("type") in ("number", "integer")
        return {
            (_JSON_BOUNDS.get(k, k) if number else k): _json_schema_bounds(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_json_schema_bounds(v) for v in node]
    return node


def plan_json_schema(*, write: bool = False) -> dict[str, Any]:
    """The JSON schema (draft 2020-12) of plan files, for editors and other tools.

    Generated from :class:`Plan`; descriptions come from the numpydoc Parameters of
    :class:`Plan`, :class:`Component` and :class:`Tier`, so editors show the same
    text as the docs. The file ``spm_sim/plan.schema.json`` is this schema; a test
    checks that it is up to date. A plan file points to it with a first line such as
    ``# yaml-language-server: $schema=../../spm_sim/plan.schema.json``.

    Parameters
    ----------
    write : bool, default False
        Also write the schema to ``spm_sim/plan.schema.json`` (:data:`PLAN_SCHEMA_PATH`).

    Returns
    -------
    dict
        The schema. It checks fields, types, bounds and allowed values. The rules
        that span fields (tiers contiguous from 0, only the last tier open-ended,
        caps against thresholds, unique names, tcr weights summing to 1) are
        checked by :func:`load_plan` only.

    Examples
    --------
    >>> schema = plan_json_schema()
    >>> schema["required"], schema["$defs"]["Tier"]["properties"]["rate"]["minimum"]
    (['name', 'components'], 0)
    """
    schema = _json_schema_bounds(Plan.model_json_schema())
    for model in (Plan, Component, Tier):
        node = schema if model is Plan else schema["$defs"][model.__name__]
        summary, params = _numpydoc_parameters(model.__doc__ or "")
        node["description"] = summary
        for name, prop in node["properties"].items():
            prop.pop("title", None)  # "Attainment Cap": the field name says it already
            if name in params:
                prop["description"] = params[name]
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "spm_sim incentive plan",
        "description": (
            "An spm_sim incentive plan (data/plans/*.yaml). The schema checks fields, "
            "types and bounds; spm_sim.load_plan also checks the rules across fields "
            "(contiguous tiers from 0, caps against thresholds, tcr weights summing to 1)."
        ),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }
    if write:
        text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        PLAN_SCHEMA_PATH.write_text(text, encoding="utf-8")
    return schema
