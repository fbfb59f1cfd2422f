"""Fuzzing the YAML reader and the plan validator (issue 15, part 7).

Whatever the input, reading a YAML file ends in a mapping or a
:class:`~spm_sim.errors.SpecError` naming the file, and validating a plan ends in a
:class:`~spm_sim.comp.Plan` (perhaps with plausibility warnings) or a
:class:`~spm_sim.errors.PlanError`; a plan that loads is paid by the kernel without a
NaN, an infinity or another exception. Never a pydantic, yaml, numpy or Python error
escaping (TypeError, OverflowError, RecursionError), and never a long wait: each
example has a deadline.
"""

from __future__ import annotations

import copy
import math
import warnings
from datetime import timedelta
from typing import Any

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spm_sim._spec import read_yaml
from spm_sim.comp import Plan, load_plan, payout, plan_rules
from spm_sim.errors import PlausibilityWarning, SpecError, SpmSimError

FUZZ = settings(
    max_examples=250,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --------------------------------------------------------------------------------------
# read_yaml: random bytes, YAML-looking text, and real YAML with a few bytes changed
# --------------------------------------------------------------------------------------

#: the characters YAML gives a meaning to, and a few that PyYAML refuses
YAML_CHARS = st.sampled_from(list("abc01 :-[]{},&*!|>'\"#%@`?\n\t.e+~<") + ["\x00", "\ufeff"])
YAML_WORDS = st.sampled_from(
    [
        "&a ",
        "*a",
        "<<: *a",
        "!!float ",
        "!!int ",
        "!!timestamp ",
        "!!binary ",
        "!!python/object:os.system ",
        "!!set ",
        ".inf",
        "-.inf",
        ".nan",
        "1e400",
        "9" * 5000,
        "2025-02-30",
        "yes",
        "null",
        "---\n",
        "...\n",
        "%YAML 1.1\n",
        "? ",
        "[" * 80,
        "]" * 80,
        "\n" + "  " * 70 + "k: v",
    ]
)
YAML_TEXT = st.lists(YAML_CHARS | YAML_WORDS, max_size=120).map("".join)

#: PyYAML's own reading, with the parser read_yaml uses
SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: values a spec holds, to dump as YAML and then break
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


def read(path) -> dict[str, Any] | None:
    """read_yaml's mapping, or None after a SpecError that names the file."""
    try:
        data = read_yaml(path)
    except SpecError as exc:
        assert str(exc).startswith(f"{path}: "), exc
        assert "Traceback" not in str(exc)
        return None
    assert isinstance(data, dict)
    return data


@FUZZ
@given(raw=st.binary(max_size=600))
def test_random_bytes_are_read_or_refused(tmp_path, raw):
    path = tmp_path / "random.yaml"
    path.write_bytes(raw)
    read(path)


@FUZZ
@given(text=YAML_TEXT)
def test_yaml_looking_text_is_read_or_refused(tmp_path, text):
    path = tmp_path / "text.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    read(path)


@FUZZ
@given(
    value=st.dictionaries(st.text(min_size=1, max_size=6), VALUES, min_size=1, max_size=5),
    cut=st.integers(0, 10_000),
    insert=YAML_CHARS | YAML_WORDS,
)
def test_real_yaml_with_a_change_is_read_or_refused(tmp_path, value, cut, insert):
    text = yaml.safe_dump(value, allow_unicode=True)
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    assert read(path) == yaml.load(text, Loader=SAFE)  # as written, it reads as YAML does
    at = cut % (len(text) + 1)
    path.write_text(text[:at] + insert + text[at:], encoding="utf-8", errors="surrogatepass")
    read(path)


# --------------------------------------------------------------------------------------
# load_plan: plausible keys, wild values
# --------------------------------------------------------------------------------------

#: numbers a person, a spreadsheet or an attacker might write
WILD_NUMBERS = (
    st.sampled_from(
        [0, 0.0, -0.0, 1, -1, 0.5, 0.99, 1.0, 1.5, 2, 12, 100, 101, 1e9, 1e12, 1e308, -1e308]
    )
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(-(10**30), 10**30)
    | st.just(10**400)
)
WILD = (
    WILD_NUMBERS
    | st.none()
    | st.booleans()
    | st.sampled_from(["", "x", "1.5", "nan", "inf", "1e400", "90%", "bookings", "tcr"])
    | st.lists(st.integers(0, 3), max_size=3)
    | st.dictionaries(st.sampled_from(["start", "rate", "x"]), st.integers(0, 2), max_size=2)
)


#: whole plans that load, one for each family of mechanics; the fuzz breaks them
BASES: list[dict[str, Any]] = [
    {
        "name": "Tiers and extras",
        "components": [
            {
                "name": "bookings",
                "weight": 1.0,
                "rate_basis": "tcr",
                "threshold": 0.5,
                "tiers": [
                    {"start": 0.0, "end": 1.0, "rate": 1.0},
                    {"start": 1.0, "end": None, "rate": 2.0},
                ],
                "attainment_cap": 3.0,
                "period": "quarter",
            },
            {"name": "b", "type": "bonus", "milestones": [{"attainment": 1.0, "amount": 5000}]},
            {"name": "s", "type": "spiff", "start_month": 10, "end_month": 12, "rate": 0.01},
            {"name": "c", "type": "contest", "start_month": 1, "end_month": 3, "prizes": [9, 5]},
        ],
        "clawback": {"window_days": 90},
    },
    {
        "name": "Up to, on bookings",
        "components": [
            {
                "name": "bookings",
                "weight": 1.0,
                "rate_basis": "bookings",
                "tier_method": "retroactive",
                "tiers": [
                    {"up_to": 0.9, "rate": 0.02},
                    {"up_to": 0.99, "rate": 0.03},
                    {"rate": 0.04},
                ],
                "payout_cap": 3.0,
            }
        ],
        "draw": {"amount": 2000, "recoverable": True, "months": [1, 2, 3]},
    },
    {
        "name": "Measures, gate, multiplier, MBO",
        "measures": [
            {"name": "logos", "kind": "new_logos", "quota_per_rep": 12},
            {"name": "score", "kind": "score"},
        ],
        "components": [
            {
                "name": "bookings",
                "weight": 0.8,
                "rate_basis": "tcr",
                "tiers": [
                    {"from": 0.0, "end": 1.0, "rate": 1.0},
                    {"from": 1.0, "rate": 2.0},
                ],
                "gate": {
                    "measure": "logos",
                    "min_attainment": 0.5,
                    "applies_to": "accelerators",
                    "closed_rate": 1.0,
                },
                "multiplier": {
                    "measure": "logos",
                    "levels": [
                        {"attainment": 0.0, "factor": 0.5},
                        {"attainment": 0.75, "factor": 1.0},
                    ],
                },
            },
            {
                "name": "mbo",
                "type": "mbo",
                "measure": "score",
                "weight": 0.2,
                "levels": [{"score": 0.0, "payout": 0.0}, {"score": 1.0, "payout": 1.0}],
                "probabilities": [0.3, 0.7],
            },
        ],
        "draw": {"share_of_ti": 0.5, "recoverable": False},
    },
    {
        "name": "Curve",
        "components": [
            {
                "name": "bookings",
                "weight": 1.0,
                "rate_basis": "tcr",
                "curve": [
                    {"attainment": 0.0, "payout": 0.0},
                    {"attainment": 1.0, "payout": 1.0},
                    {"attainment": 1.5, "payout": 2.0},
                ],
            }
        ],
    },
]

#: keys a person might add, right or wrong, anywhere in a plan
KEYS = st.sampled_from(
    ["up_to", "from", "start", "end", "rate", "weight", "payout_cap", "threshold", "amount", "x"]
)


def places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value inside ``node`` (not ``node`` itself)."""
    found: list[tuple[Any, ...]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        found.append((*path, key))
        found.extend(places(value, (*path, key)))
    return found


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    """A base plan with one to three changes: a value made wild, a key dropped or added."""
    plan = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        found = places(plan)
        if not found:  # everything dropped
            break
        path = draw(st.sampled_from(found))
        *to, last = path
        parent: Any = plan
        for key in to:
            parent = parent[key]
        action = draw(st.sampled_from(["wild", "wild", "wild", "drop", "add"]))
        if action == "wild":
            parent[last] = draw(WILD)
        elif action == "drop":
            del parent[last]
        elif isinstance(parent[last], dict):
            parent[last][draw(KEYS)] = draw(WILD)
    return plan


#: one small year to pay a plan that loads: four reps, one with no quota, one far ahead
MONTHS = 12
BOOKINGS = np.array([[0.0] * MONTHS, [90_000.0] * MONTHS, [400_000.0] * MONTHS, [1e5] * MONTHS])
QUOTAS = np.array(
    [[100_000.0] * MONTHS, [100_000.0] * MONTHS, [100_000.0] * MONTHS, [0.0] * MONTHS]
)
TI = np.array([60_000.0, 60_000.0, 60_000.0, 60_000.0])


def pay(plan: Plan) -> None:
    """Pay ``plan`` on the small year: finite money, or a located error."""
    measures = {}
    for m in plan.measures:  # a score of 1 for MBOs, one deal or logo per 10,000 booked
        measures[m.name] = np.ones((4, MONTHS)) if m.kind == "score" else BOOKINGS / 10_000
    try:
        paid = payout(plan, BOOKINGS, QUOTAS, TI, measures=measures or None)
    except SpmSimError:
        return
    assert np.isfinite(paid.by_component).all()
    assert math.isfinite(float(paid.total.sum()))


@settings(FUZZ, max_examples=600)
@given(data=plans())
def test_the_plan_validator_raises_only_plan_errors(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any other warning fails the test
        warnings.simplefilter("ignore", PlausibilityWarning)
        try:
            plan = load_plan(data)
        except SpmSimError as exc:
            assert str(exc).startswith("<Plan given as a mapping>: "), exc
            return
        assert isinstance(plan, Plan)
        assert len(plan_rules(plan)) >= len(plan.components)
        pay(plan)


@settings(FUZZ, max_examples=120)
@given(data=plans())
def test_a_plan_file_is_read_and_validated_or_refused(tmp_path, data):
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlausibilityWarning)
        try:
            load_plan(path)
        except SpmSimError as exc:
            assert str(exc).startswith(f"{path}: "), exc
