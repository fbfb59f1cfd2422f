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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from spm_sim._files import write_text
from spm_sim._format import money_threshold
from spm_sim._spec import load_spec, spec_source, suggest
from spm_sim.errors import PlanError, implausible, is_strict

from .components import (
    MAX_BOOKINGS_RATE,
    MBO,
    PLAUSIBLE_BOOKINGS_RATE,
    PLAUSIBLE_DRAW_SHARE,
    PLAUSIBLE_MONEY,
    PLAUSIBLE_MULTIPLE,
    PLAUSIBLE_TCR_RATE,
    PLAUSIBLE_UNIT_MONEY,
    AnyComponent,
    Bonus,
    Clawback,
    Component,
    Contest,
    CurvePoint,
    Draw,
    Gate,
    MBOLevel,
    Measure,
    Milestone,
    Multiplier,
    MultiplierLevel,
    Spiff,
    Tier,
    _nested_errors,
    _Spec,
)

__all__ = [
    "Plan",
    "load_plan",
    "standard_plan",
    "plan_json_schema",
    "PLAN_SCHEMA_PATH",
]

#: Column names of ``comp.payout_curve``; components may not use them as names.
_CURVE_COLUMNS = ("attainment", "payout", "effective_rate")

#: Plan-level columns of ``comp.payout`` results; components may not use them as names.
_EXTRA_COLUMNS = ("clawback", "draw")


def _amount(x: float) -> str:
    """An amount of money in a message: 9,000,000,000 or 0.5, never 9e+09."""
    text = f"{x:,.2f}"
    return text[:-3] if text.endswith(".00") else text


class Plan(_Spec):
    """An incentive plan: named components paid on measures of a plan year.

    Parameters
    ----------
    name : str
        Shown in reports.
    currency : str, default "USD"
        ISO 4217 code, three upper-case letters.
    description : str, default ""
        Free text for readers of reports.
    role : str or None, default None
        The role the plan is for (e.g. ``AE``, ``SDR``), shown in reports.
    pay_mix : str or None, default None
        Base / incentive split of on-target earnings as written by ops, e.g.
        ``"50/50"`` or ``"60/40"`` (two whole numbers summing to 100).
    measures : tuple of Measure, default ()
        Measures besides ``bookings`` (see :class:`Measure`).
    components : tuple of components
        At least one; names unique. ``type`` picks the kind: ``commission``
        (default, :class:`Component`), ``bonus``, ``mbo``, ``spiff``, ``contest``.
        When no commission is ``bookings``-based, the weights of the commission and
        MBO components must sum to 1 (within 1e-9), so a rep on target on every
        measure earns exactly the TI; bonuses, SPIFFs and contests are on top.
    draw : Draw or None
        A monthly draw against the plan's earnings.
    clawback : Clawback or None
        Clawback of commission on cancelled deals.

    Raises
    ------
    PlanError
        From :func:`load_plan`, ``Plan.from_yaml``, :meth:`replace` and
        :func:`standard_plan`. Calling ``Plan(...)`` directly raises
        ``pydantic.ValidationError`` with the same messages (see ``_Spec``).

    Warns
    -----
    PlausibilityWarning
        For a value that is possible but rarely meant (an error under strict checks,
        :func:`~spm_sim.errors.strict_checks` or ``--strict``): a ``tcr`` rate,
        closed-gate rate or last curve slope above 10x TCR; a ``bookings``-basis
        rate or a SPIFF rate above 25% of each booked dollar (above 100,000 USD per
        deal or new logo on a count measure); a payout cap, a multiplier factor, an
        MBO payout or a milestone above 10x TI; a milestone amount or a prize above
        5,000,000 USD, a draw above 5,000,000 USD a year or above the monthly TI. The
        amounts in USD are read in the plan's ``currency`` at a rough rate
        (:func:`spm_sim._format.units_per_usd`: 750,000,000 for a plan in JPY).

    Notes
    -----
    Bounds no real plan reaches are refused outright, naming the field: money
    amounts above 1e12 per rep (in any currency), multiples of the TI or TCR above
    100, attainments above 100 (10,000% of quota), counts and totals of a measure
    above 1e12, a ``bookings``-basis or SPIFF rate on a measure of money above 1.0
    (100% of the deal), a clawback window above 3,660 days; infinite and NaN values
    everywhere.

    Examples
    --------
    >>> plan = standard_plan(threshold=0.5, accelerator=2.0)
    >>> plan.components[0].threshold
    0.5
    >>> plan.replace(name="What-if").name
    'What-if'
    """

    _plausibility_checked: bool = PrivateAttr(default=False)

    name: str = Field(min_length=1)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    description: str = ""
    role: str | None = None
    pay_mix: str | None = Field(default=None, pattern=r"^\d{1,3}/\d{1,3}$")
    measures: tuple[Measure, ...] = ()
    components: tuple[AnyComponent, ...] = Field(json_schema_extra={"minItems": 1})
    draw: Draw | None = None
    clawback: Clawback | None = None

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
        if self.pay_mix is not None:
            base, incentive = (int(x) for x in self.pay_mix.split("/"))
            if base + incentive != 100:
                raise PlanError(
                    f"{who}: pay_mix {self.pay_mix!r} must split 100 (base/incentive, "
                    "e.g. '50/50' or '60/40')"
                )
        kinds = {"bookings": "bookings"}
        for m in self.measures:
            if m.name in kinds:
                raise PlanError(f"{who}: measure {m.name!r} is declared twice")
            kinds[m.name] = m.kind
        seen: dict[str, int] = {}
        for i, c in enumerate(self.components, start=1):
            if c.name in seen:
                raise PlanError(
                    f"{who}: component name {c.name!r} appears twice (components "
                    f"{seen[c.name]} and {i}); names must be unique"
                )
            if c.name in _CURVE_COLUMNS or c.name in _EXTRA_COLUMNS:
                raise PlanError(
                    f"{who}: component name {c.name!r} is reserved (a column of results: "
                    f"{', '.join(_CURVE_COLUMNS + _EXTRA_COLUMNS)}); rename the component"
                )
            seen[c.name] = i
            self._check_measures(c, kinds)
        weighted = [c for c in self.components if isinstance(c, (Component, MBO))]
        if not any(isinstance(c, Component) and c.rate_basis == "bookings" for c in weighted):
            total = math.fsum(c.weight for c in weighted)
            if weighted and abs(total - 1.0) > 1e-9:
                parts = " + ".join(f"{c.name} {c.weight:g}" for c in weighted)
                raise PlanError(
                    f"{who}: component weights sum to {total:g} ({parts}); the weights of "
                    "tcr-based commission and MBO components must sum to 1 so that a rep "
                    "on target earns the TI"
                )
        self._check_unit_rates(kinds)
        self._check_plausible(kinds)
        return self

    def _unit_rates(self, kinds: dict[str, str]) -> list[tuple[str, float, bool]]:
        """Every rate paid per credited unit: (where, rate, whether the unit is money)."""
        rates = []
        for c in self.components:
            money = kinds.get(c.measure) == "bookings"
            if isinstance(c, Component) and c.rate_basis == "bookings":
                for k, t in enumerate(c.tiers, start=1):
                    rates.append((f"component {c.name!r} tier {k}: rate", t.rate, money))
                if c.gate is not None and c.gate.closed_rate is not None:
                    where = f"component {c.name!r} gate: closed_rate"
                    rates.append((where, c.gate.closed_rate, money))
            elif isinstance(c, Spiff):
                rates.append((f"spiff {c.name!r}: rate", c.rate, money))
        return rates

    def _check_unit_rates(self, kinds: dict[str, str]) -> None:
        """A rate per dollar above 1.0 pays more than the deal: refused."""
        for where, rate, money in self._unit_rates(kinds):
            if money and rate > MAX_BOOKINGS_RATE:
                raise PlanError(
                    f"plan {self.name!r} {where} {rate:g} is above {MAX_BOOKINGS_RATE:g}, "
                    "which would pay more than 100% of each booked dollar; a rate per "
                    "dollar is a fraction (0.05 = 5%), and a multiple of the target "
                    "commission rate needs rate_basis: tcr"
                )

    def _check_plausible(self, kinds: dict[str, str]) -> None:
        """Warn about values that are possible but rarely meant (see the class's Warns).

        Once per plan: pydantic runs a model's validators again when the plan is a
        field of another spec (a scenario), which must not warn twice.
        """
        if self._plausibility_checked:
            return
        self._plausibility_checked = True
        who = f"plan {self.name!r}"
        found: list[str] = []

        def above(where: str, value: float | None, limit: float, meaning: str) -> None:
            if value is not None and value > limit:
                found.append(f"{who} {where} {value:g} is above {limit:g}: {meaning}")

        # thresholds on money are in USD, read in the plan's currency
        money_limit, money_text = money_threshold(PLAUSIBLE_MONEY, self.currency)
        unit_limit, unit_text = money_threshold(PLAUSIBLE_UNIT_MONEY, self.currency)
        check = f"check the amount and the plan's currency ({self.currency})"

        def above_money(
            where: str, value: float | None, limit: float, text: str, meaning: str
        ) -> None:
            if value is not None and value > limit:
                shown = _amount(value)
                found.append(f"{who} {where} {shown} is above {text}: {meaning}; {check}")

        tcr = f"more than {PLAUSIBLE_TCR_RATE:g}x the target commission rate is rare"
        ti = f"more than {PLAUSIBLE_MULTIPLE:g}x the TI is rare"
        rare = "so much is rare"
        for where, rate, is_money in self._unit_rates(kinds):
            if is_money:
                share = f"{PLAUSIBLE_BOOKINGS_RATE:.0%} of each booked dollar is rare"
                above(where, rate, PLAUSIBLE_BOOKINGS_RATE, f"paying more than {share}")
            else:
                above_money(where, rate, unit_limit, unit_text, "so much per deal or logo is rare")
        for c in self.components:
            if isinstance(c, Component):
                name = f"component {c.name!r}"
                if c.rate_basis == "tcr":
                    for k, t in enumerate(c.tiers, start=1):
                        above(f"{name} tier {k}: rate", t.rate, PLAUSIBLE_TCR_RATE, tcr)
                    if c.curve is not None:
                        a, b = c.curve[-2], c.curve[-1]
                        slope = (b.payout - a.payout) / (b.attainment - a.attainment)
                        above(f"{name} curve: last slope", slope, PLAUSIBLE_TCR_RATE, tcr)
                    if c.gate is not None:
                        closed = c.gate.closed_rate
                        above(f"{name} gate: closed_rate", closed, PLAUSIBLE_TCR_RATE, tcr)
                above(f"{name}: payout_cap", c.payout_cap, PLAUSIBLE_MULTIPLE, ti)
                if c.multiplier is not None:
                    top = c.multiplier.levels[-1].factor
                    above(f"{name} multiplier: factor", top, PLAUSIBLE_MULTIPLE, ti)
            elif isinstance(c, Bonus):
                for k, m in enumerate(c.milestones, start=1):
                    where = f"bonus {c.name!r} milestone {k}:"
                    above(f"{where} share_of_ti", m.share_of_ti, PLAUSIBLE_MULTIPLE, ti)
                    above_money(f"{where} amount", m.amount, money_limit, money_text, rare)
            elif isinstance(c, MBO):
                top = max(lv.payout for lv in c.levels)
                above(f"mbo {c.name!r}: level payout", top, PLAUSIBLE_MULTIPLE, ti)
            elif isinstance(c, Contest):
                prize = c.prizes[0]
                above_money(f"contest {c.name!r}: prize 1", prize, money_limit, money_text, rare)
        d = self.draw
        if d is not None:
            above(
                "draw: share_of_ti",
                d.share_of_ti,
                PLAUSIBLE_DRAW_SHARE,
                "a monthly draw above the monthly TI is rare",
            )
            year = None if d.amount is None else 12 * d.amount
            above_money("draw: amount x 12 months", year, money_limit, money_text, rare)
        source = spec_source()
        for text in found:
            implausible(
                text if is_strict() or source is None else f"{source}: {text}",
                error=PlanError,
                stacklevel=3,
            )

    def _check_measures(self, c: Any, kinds: dict[str, str]) -> None:
        who = f"plan {self.name!r} component {c.name!r}"
        refs = [("measure", c.measure)]
        for part in ("gate", "multiplier"):
            if getattr(c, part, None) is not None:
                refs.append((f"{part} measure", getattr(c, part).measure))
        for field, name in refs:
            if name not in kinds:
                known = ", ".join(kinds)
                raise PlanError(
                    f"{who}: {field} {name!r} does not exist; the plan's measures are "
                    f"{known} (declare others under measures:).{suggest(name, kinds)}"
                )
            wants_score = isinstance(c, MBO) and field == "measure"
            if (kinds[name] == "score") != wants_score:
                need = "a score measure" if wants_score else "a measure with a quota, not a score"
                raise PlanError(f"{who}: {field} {name!r} is a {kinds[name]} measure; use {need}")
            needs_quota = isinstance(c, (Component, Bonus)) or field != "measure"
            if needs_quota and kinds[name] != "score" and not self.measure(name).has_quota:
                raise PlanError(
                    f"{who}: {field} {name!r} has no quota, so it has no attainment; give the "
                    "measure a quota_share or quota_per_rep"
                )

    def measure(self, name: str) -> Measure:
        """The declared :class:`Measure` called ``name`` (``bookings`` is built in).

        Examples
        --------
        >>> standard_plan().measure("bookings").quota_share
        1.0
        """
        if name == "bookings":
            return Measure.model_construct(
                name="bookings", kind="bookings", product=None, quota_share=1.0, quota_per_rep=None
            )
        for m in self.measures:
            if m.name == name:
                return m
        raise KeyError(name)

    @classmethod
    def from_yaml(cls, path: str | Path) -> Plan:
        """Load a plan from a YAML file; see :func:`load_plan`."""
        return load_spec(cls, path, error=PlanError)

    def _label(self) -> str:
        # how replace() names the plan in its messages
        return f"plan {self.name!r}"

    def replace(self, **changes: Any) -> Plan:
        """Return a copy with some fields changed, validated again.

        A bad value raises :class:`PlanError` naming the plan, the field and the value
        (pydantic's ``model_copy`` would skip validation; it is not used on specs).

        Examples
        --------
        >>> standard_plan().replace(currency="EUR").currency
        'EUR'
        >>> standard_plan().replace(currency="usd")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        spm_sim.errors.PlanError: plan 'Standard plan': 1 problem(s) in this plan spec:
          - currency: String should match pattern '^[A-Z]{3}$' (got 'usd')
        """
        return super().replace(**changes)

    def to_yaml(self, path: str | Path | None = None) -> str:
        """Return the plan as YAML text (and write it to ``path`` if given).

        ``load_plan`` of the text gives back an equal plan.
        """
        text = yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
        if path is not None:
            write_text(path, text)
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
PLAN_SCHEMA_PATH = Path(__file__).resolve().parents[1] / "plan.schema.json"

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
        The schema. It checks fields, types, bounds and allowed values, and that a
        tier gives ``up_to`` or ``start`` (``from``) and ``end``, not both. The rules
        that span fields (tiers contiguous from 0, one spelling of the edges in a
        component, ``up_to`` increasing, only the last tier open-ended, caps against
        thresholds, rates per dollar at most 1, unique names, tcr weights summing to
        1) are checked by :func:`load_plan` only.

    Examples
    --------
    >>> schema = plan_json_schema()
    >>> schema["required"], schema["$defs"]["Tier"]["properties"]["rate"]["minimum"]
    (['name', 'components'], 0)
    """
    schema = _json_schema_bounds(Plan.model_json_schema())
    models: tuple[type[BaseModel], ...] = (Plan, Measure, Tier, CurvePoint, Gate)
    models += (MultiplierLevel, Multiplier, Component, Milestone, Bonus, MBOLevel, MBO)
    models += (Spiff, Contest, Draw, Clawback)
    for model in models:
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
        write_text(PLAN_SCHEMA_PATH, text)
    return schema
