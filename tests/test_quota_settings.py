"""QuotaSettings as a tagged union by method: each method's own settings, the flat and
nested forms, settings of another method refused, replace() validating again, YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from spm_sim._spec import load_spec
from spm_sim.comp import standard_plan
from spm_sim.errors import ScenarioError, SpecError
from spm_sim.quota import (
    METHODS,
    BlendOptions,
    BottomUpOptions,
    CalibratedOptions,
    CapacityOptions,
    EqualOptions,
    HistoryOptions,
    PotentialOptions,
    QuotaSettings,
)
from spm_sim.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]

#: each method with settings of its own (flat keywords) and the model they build
OWN = {
    "history": (HistoryOptions, {"history": "multi_year", "history_weights": (0.6, 0.4)}),
    "equal": (EqualOptions, {}),
    "potential": (PotentialOptions, {"potential_column": "pot26"}),
    "capacity": (
        CapacityOptions,
        {"potential_column": "pot26", "workload_column": "hours", "selling_hours": 900.0},
    ),
    "blend": (
        BlendOptions,
        {"weights": {"history": 0.6, "capacity": 0.4}, "history": "prior_year"},
    ),
    "bottom_up": (BottomUpOptions, {"targets": "t.csv", "reconcile": True}),
    "calibrated": (CalibratedOptions, {"share_at_quota": 0.55, "calibration_trials": 500}),
}


def scenario() -> Scenario:
    return Scenario(name="S", plan=standard_plan(), plan_year=2026)


def test_every_method_has_its_model():
    assert tuple(OWN) == METHODS
    for method in METHODS:
        model = type(QuotaSettings(**({"method": method} | _required(method))).options)
        assert model is OWN[method][0]
        assert model.model_fields["method"].default == method


def _required(method: str) -> dict:
    return {
        "blend": {"weights": {"history": 1.0}},
        "bottom_up": {"targets": "t.csv"},
        "calibrated": {"probability": 0.6},
    }.get(method, {})


@pytest.mark.parametrize("method", METHODS)
def test_each_method_keeps_its_own_settings_and_reads_go_through(method):
    model, own = OWN[method]
    s = QuotaSettings(method=method, growth=0.05, **own)
    assert s.method == method and s.growth == 0.05
    assert isinstance(s.options, model)
    for name, value in own.items():
        assert getattr(s.options, name) == value
        assert getattr(s, name) == value  # settings.<name> reads through
    # a setting the method does not have reads as None or its default
    absent = QuotaSettings(method="equal")
    assert (absent.probability, absent.weights, absent.targets, absent.reconcile) == (
        None,
        None,
        None,
        False,
    )
    assert (absent.history, absent.history_weights) == ("trailing_12m", (0.5, 0.3, 0.2))
    assert (absent.potential_column, absent.workload_column) == ("potential", "workload")
    assert (absent.selling_hours, absent.calibration_trials) == (1080.0, 2000)


@pytest.mark.parametrize("method", METHODS)
def test_flat_and_nested_forms_are_the_same_settings(method):
    own = OWN[method][1]
    flat = QuotaSettings(method=method, target=1e6, **own)
    nested = QuotaSettings(method=method, target=1e6, options=own)
    tagged = QuotaSettings(target=1e6, options={"method": method, **own})  # method from the tag
    built = QuotaSettings(target=1e6, options=OWN[method][0](**own))
    assert flat == nested == tagged == built
    assert QuotaSettings.model_validate(flat.model_dump()) == flat


def test_a_flat_setting_that_contradicts_the_nested_one_is_refused():
    with pytest.raises(ValueError, match=r"probability is given twice, 0.7 here and 0.6 under"):
        QuotaSettings(method="calibrated", options={"probability": 0.6}, probability=0.7)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"method": "potential", "probability": 0.6},
            r"quota\.probability: probability is for method 'calibrated', not 'potential' "
            r"\(got 0\.6\); remove it, or set method: calibrated",
        ),
        (
            {"method": "potential", "history": "prior_year"},
            r"quota\.history: history is for methods 'history' and 'blend', not 'potential' "
            r"\(got 'prior_year'\); remove it, or set method: history or blend",
        ),
        (
            {"method": "history", "weights": {"history": 1.0}},
            r"quota\.weights: weights is for method 'blend', not 'history'",
        ),
        (
            {"method": "history", "targets": "t.csv"},
            r"quota\.targets: targets is for method 'bottom_up', not 'history'",
        ),
        (
            {"method": "equal", "selling_hours": 900},
            r"quota\.selling_hours: selling_hours is for methods 'capacity' and 'blend'",
        ),
        (
            {"method": "capacity", "calibration_trials": 500},
            r"quota\.calibration_trials: .* for method 'calibrated', not 'capacity'",
        ),
        (
            {"method": "calibrated", "options": {"probability": 0.6, "weights": {}}},
            r"quota\.options\.weights: 'weights' is not a setting of method 'calibrated'\. "
            r"Its settings: probability, share_at_quota, calibration_trials\.",
        ),
        (
            {"method": "calibrated", "probabilty": 0.6},
            r"quota\.probabilty: unknown field 'probabilty'\. Did you mean 'probability'\?",
        ),
        (
            {"method": "calibrated", "options": {"probabilty": 0.6}},
            r"quota\.options\.probabilty: 'probabilty' is not a setting .*'probability'\?",
        ),
        (
            {"method": "calibrated", "probability": 1.2},
            r"quota\.probability: Input should be less than 1 \(got 1\.2\)",
        ),
        (
            {"method": "calibrated", "options": {"probability": 1.2}},
            r"quota\.options\.probability: Input should be less than 1 \(got 1\.2\)",
        ),
        (
            {"method": "calibrated"},
            r"- quota: method 'calibrated' needs exactly one of probability .*got neither",
        ),
        ({"options": {"method": "calibrate"}}, r"quota\.method: Input should be 'history'"),
        (
            {"method": "history", "options": {"method": "calibrate"}},
            r"quota\.options\.method: 'calibrate' is not a quota method; use one of history",
        ),
        ({"options": [0.6]}, r"quota\.options: options must be a mapping of the settings"),
    ],
)
def test_problems_are_located_as_written_in_a_scenario(fields, message):
    with pytest.raises(ScenarioError, match=message):
        scenario().replace(quota=fields)


def test_every_problem_is_reported_at_once():
    with pytest.raises(SpecError) as info:
        load_spec(QuotaSettings, {"method": "potential", "probability": 0.6, "growth": 9})
    text = str(info.value)
    assert "2 problem(s)" in text
    assert "- growth: Input should be less than or equal to 5 (got 9)" in text
    assert "- probability: probability is for method 'calibrated'" in text


def test_a_setting_that_says_nothing_is_accepted_as_before():
    # how settings were dumped before the union: every method's field, unused ones at
    # None or their default
    old_dump = {
        "method": "potential",
        "target": None,
        "growth": 0.08,
        "over_assignment": {"region": 0.0, "rep": 0.05},
        "history": "trailing_12m",
        "history_weights": [0.5, 0.3, 0.2],
        "weights": None,
        "potential_column": "pot26",
        "workload_column": "workload",
        "selling_hours": 1080,
        "targets": None,
        "reconcile": False,
        "overrides": [],
        "hold_region_total": True,
        "probability": None,
        "share_at_quota": None,
        "calibration_trials": 2000,
        "ramp": None,
        "seasonality": "history",
        "hires": [],
        "moves": [],
        "min_history_months": 3.0,
    }
    s = load_spec(QuotaSettings, old_dump)
    assert s == QuotaSettings(
        method="potential", growth=0.08, over_assignment=0.05, potential_column="pot26"
    )


def test_replace_validates_again_and_takes_flat_names():
    base = QuotaSettings(growth=0.08)
    with pytest.raises(SpecError, match=r"method 'calibrated' needs exactly one of probability"):
        base.replace(method="calibrated")
    cal = base.replace(method="calibrated", probability=0.6)
    assert cal == QuotaSettings(method="calibrated", probability=0.6, growth=0.08)
    assert cal.replace(probability=0.7).probability == 0.7
    with pytest.raises(SpecError, match=r"- probability: Input should be less than 1 \(got 1\.5\)"):
        cal.replace(probability=1.5)
    with pytest.raises(SpecError, match=r"needs exactly one .*got probability, share_at_quota"):
        cal.replace(share_at_quota=0.5)
    with pytest.raises(SpecError, match=r"- growth: Input should be less than or equal to 5"):
        cal.replace(growth=9)
    with pytest.raises(SpecError, match=r"unknown field 'probabilty'\. Did you mean 'probability'"):
        cal.replace(probabilty=0.7)
    with pytest.raises(SpecError, match=r"probability is for method 'calibrated', not 'equal'"):
        cal.replace(method="equal", probability=0.6)
    with pytest.raises(SpecError, match=r"over_assignment .* does not apply to method 'calibr"):
        QuotaSettings(over_assignment=0.1).replace(method="calibrated", probability=0.6)


def test_replace_is_the_spec_s_replace_with_the_flat_names():
    # one code path: Spec.replace, naming the settings by _label() and taking the flat
    # names QuotaSettings._settable() adds to the fields
    class West(QuotaSettings):
        def _label(self) -> str:
            return "quota of region 'West'"

    west = West(method="calibrated", probability=0.6)
    assert west.replace(probability=0.7).probability == 0.7
    with pytest.raises(SpecError) as info:
        west.replace(growth=9)
    assert str(info.value) == (
        "quota of region 'West': 1 problem(s) in this west spec:\n"
        "  - growth: Input should be less than or equal to 5 (got 9)"
    )
    with pytest.raises(SpecError, match=r"^quota of region 'West': unknown field 'probabilty'"):
        west.replace(probabilty=0.7)
    with pytest.raises(SpecError, match=r"Allowed: method, options, target, .*, probability,"):
        QuotaSettings().replace(probabilty=0.7)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {
                "hires": [
                    {"rep_id": "TBH-1", "region": "West", "start": "2026-03-01"},
                    {"rep_id": "TBH-2", "region": "East", "start": "2026-04-01"},
                    {"rep_id": "TBH-1", "region": "East", "start": "2026-05-01"},
                ]
            },
            r"- quota\.hires: two planned hires with rep_id 'TBH-1' \(hires\[0\] and \[2\]\); "
            r"give each its own id",
        ),
        (
            {
                "overrides": [
                    {"rep_id": "R1", "quota": 1e6, "reason": "renewal"},
                    {"rep_id": "R1", "quota": 2e6, "reason": "territory"},
                ]
            },
            r"- quota\.overrides: two overrides for rep 'R1' \(overrides\[0\] and \[1\]\); keep",
        ),
    ],
)
def test_a_rep_id_twice_is_refused_by_the_settings_themselves(fields, message):
    # known from the settings alone: refused when they are built, before any book
    with pytest.raises(SpecError, match=r"- (hires|overrides): two "):
        QuotaSettings().replace(**fields)
    with pytest.raises(ScenarioError, match=message):
        scenario().replace(quota=fields)


def test_a_bad_seasonality_is_one_problem():
    # the union of a word and shares: the branch that took the value speaks, once
    with pytest.raises(SpecError) as info:
        QuotaSettings().replace(seasonality=(0.5, "x"))
    assert str(info.value).splitlines()[1:] == [
        "  - seasonality[1]: Input should be a valid number, unable to parse string as a "
        "number (got 'x')"
    ]
    with pytest.raises(SpecError, match=r"1 problem.*\n.*- seasonality: Input should be 'hist"):
        QuotaSettings().replace(seasonality="hist")


def test_changing_the_method_keeps_what_the_new_method_reads():
    window = QuotaSettings(history="multi_year", history_weights=(0.6, 0.4), growth=0.08)
    blend = window.replace(method="blend", weights={"history": 0.5, "potential": 0.5})
    assert (blend.history, blend.history_weights, blend.growth) == ("multi_year", (0.6, 0.4), 0.08)
    assert window.replace(method="potential").options == PotentialOptions()
    cal = QuotaSettings(method="calibrated", probability=0.6)
    assert cal.replace(method="equal") == QuotaSettings(method="equal")
    # a dumped dict whose method was edited by hand: which method was meant is unclear,
    # so it is refused (replace, above, is the way to switch)
    data = cal.model_dump()
    data.update(method="blend", weights={"history": 1.0}, probability=None, share_at_quota=None)
    with pytest.raises(SpecError, match=r"options are written for method 'calibrated'"):
        load_spec(QuotaSettings, data)


def test_yaml_round_trip_in_both_forms(tmp_path):
    settings = QuotaSettings(
        method="blend",
        weights={"history": 0.6, "potential": 0.4},
        history="prior_year",
        growth=0.08,
        over_assignment={"region": 0.03, "rep": 0.07},
        seasonality="history_quarterly",
        ramp=(0.0, 0.25, 0.5, 0.75, 1.0),
        hires=[{"rep_id": "TBH-West-1", "region": "West", "start": "2026-04-01"}],
        overrides=[{"rep_id": "R001", "quota": 2e6, "reason": "renewal", "by": "RVP West"}],
    )
    text = yaml.safe_dump(settings.model_dump(mode="json"))
    assert yaml.safe_load(text)["options"]["weights"] == {"history": 0.6, "potential": 0.4}
    assert QuotaSettings.model_validate(yaml.safe_load(text)) == settings
    # a scenario file in the nested form loads to the same settings as the flat one
    flat = "quota:\n  method: calibrated\n  probability: 0.6\n  growth: 0.08\n"
    nested = "quota:\n  growth: 0.08\n  options: {method: calibrated, probability: 0.6}\n"
    loaded = []
    for i, block in enumerate((flat, nested)):
        path = tmp_path / f"s{i}.yaml"
        path.write_text(
            f"name: S\nplan: {ROOT / 'data/plans/baseline.yaml'}\nplan_year: 2026\n{block}"
        )
        loaded.append(load_scenario(path).quota)
    assert (
        loaded[0] == loaded[1] == QuotaSettings(method="calibrated", probability=0.6, growth=0.08)
    )


@pytest.mark.parametrize("path", sorted((ROOT / "data" / "scenarios").glob("*.yaml")))
def test_the_sample_scenarios_mean_what_their_flat_blocks_say(path):
    block = yaml.safe_load(path.read_text())["quota"]
    quota = load_scenario(path).quota
    assert quota == QuotaSettings(**block)
    for name, value in block.items():
        got = getattr(quota, name)
        assert (got.rep if name == "over_assignment" else got) == value


def test_two_moves_of_one_rep_on_one_day_are_refused_when_built():
    moves = [
        {"rep_id": "R001", "date": "2026-04-01", "region": "West"},
        {"rep_id": "R001", "date": "2026-04-01", "region": "East"},
    ]
    with pytest.raises(
        SpecError, match=r"moves: two moves of rep 'R001' on 2026-04-01 \(moves\[0\]"
    ):
        load_spec(QuotaSettings, {"moves": moves})
    # the same rep on two days is a real sequence of moves
    moves[1]["date"] = "2026-07-01"
    assert len(load_spec(QuotaSettings, {"moves": moves}).moves) == 2


def test_options_written_for_another_method_are_refused():
    data = {"method": "potential", "options": {"method": "calibrated", "probability": 0.6}}
    with pytest.raises(
        SpecError,
        match=r"options.method: options are written for method 'calibrated' but method is 'pot",
    ):
        load_spec(QuotaSettings, data)
    # replace switches the method on purpose and keeps what the new method reads
    assert (
        QuotaSettings(method="calibrated", probability=0.6).replace(method="potential").method
        == "potential"
    )


def test_options_object_of_another_method_is_refused_not_dropped():
    calibrated = CalibratedOptions(probability=0.6)
    with pytest.raises(ValueError, match=r"options are written for method 'calibrated'"):
        QuotaSettings(method="history", options=calibrated)
    with pytest.raises(SpecError, match=r"options.method: options are written for method 'cal"):
        QuotaSettings().replace(options=calibrated)
    assert QuotaSettings(method="calibrated", options=calibrated).probability == 0.6


def test_a_setting_given_flat_and_under_options_must_agree():
    data = {"method": "calibrated", "probability": 0.6, "options": {"probability": 0.7}}
    with pytest.raises(SpecError, match=r"probability: probability is given twice, 0.6 here"):
        load_spec(QuotaSettings, data)
    data["options"]["probability"] = 0.6  # the same value twice says one thing
    assert load_spec(QuotaSettings, data).probability == 0.6
    # replace changes a nested setting by its flat name
    assert (
        QuotaSettings(method="calibrated", probability=0.6).replace(probability=0.7).probability
        == 0.7
    )
