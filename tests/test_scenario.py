"""Scenario specs check themselves when they are built: ``load_scenario`` names the
file and the field of a scenario whose parts do not fit together, and every spec's
``replace`` validates again and raises the spec's own error class."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from spm_sim import Scenario, load_plan, load_scenario, sample_scenario
from spm_sim.capacity import CapacityConfig, load_capacity_config
from spm_sim.comp import standard_plan
from spm_sim.errors import CapacityError, PlanError, ScenarioError, SpecError
from spm_sim.productivity import Behaviour, Coaching, Programmes, TimeAllocation, Workforce

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"
SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"
CAPACITY = Path(__file__).resolve().parents[1] / "data" / "capacity" / "inbound.yaml"


def write_scenario(tmp_path: Path, body: str, plan: str = "baseline.yaml") -> Path:
    """A scenario file on the sample book and a sample plan, plus ``body``."""
    path = tmp_path / "scenario.yaml"
    head = f"name: Bad\nbook: sample\nplan: {PLANS / plan}\nplan_year: 2026\n"
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


def located(path: Path, field: str, message: str) -> str:
    """The pattern of a located problem: the file first, then the field's line."""
    return (
        "(?s)" + re.escape(str(path)) + r": 1 problem\(s\).*- " + re.escape(field) + ": " + message
    )


# --- cross-checks at load, one per check --------------------------------------------


def test_summed_engine_with_a_plan_paid_on_single_deals(tmp_path):
    path = write_scenario(tmp_path, "engine: summed\n", plan="ae_multi_measure.yaml")
    with pytest.raises(ScenarioError, match=located(path, "engine", "'summed' draws each")):
        load_scenario(path)
    # the same plan with the deals engine is fine, and so is auto (the default), which
    # picks deals for it when the scenario is prepared
    assert load_scenario(write_scenario(tmp_path, "engine: deals\n", "ae_multi_measure.yaml"))
    auto = load_scenario(write_scenario(tmp_path, "engine: auto\n", "ae_multi_measure.yaml"))
    assert auto.engine == "auto"
    assert load_scenario(write_scenario(tmp_path, "", "ae_multi_measure.yaml")).engine == "auto"


def test_reference_plan_for_another_role(tmp_path):
    path = write_scenario(
        tmp_path, f"behaviour:\n  reference_plan: {PLANS / 'sdr_recoverable_draw.yaml'}\n"
    )
    with pytest.raises(
        ScenarioError,
        match=located(path, "behaviour", "reference_plan 'SDR new-logo plan.*' is for role 'SDR'"),
    ):
        load_scenario(path)


def test_contest_response_on_a_plan_that_pays_no_contest(tmp_path):
    body = "programmes:\n  contest: {start_month: 10, end_month: 12}\n"
    path = write_scenario(tmp_path, body)
    with pytest.raises(
        ScenarioError,
        match=located(
            path, "programmes", "contest models .* pays none and programmes.contest.cost is 0"
        ),
    ):
        load_scenario(path)
    # a plan with a SPIFF, or a cost outside the plan, makes it a real programme
    assert load_scenario(write_scenario(tmp_path, body, plan="q4_spiff.yaml")).programmes
    paid = "programmes:\n  contest: {start_month: 10, end_month: 12, cost: 20000}\n"
    assert load_scenario(write_scenario(tmp_path, paid)).programmes.contest.cost == 20000


def test_coaching_a_planned_hire_before_they_start(tmp_path):
    body = """\
        quota:
          hires: [{rep_id: TBH-1, region: West, start: 2026-10-01}]
        programmes:
          coaching: {reps: [TBH-1], end_month: 3}
        """
    path = write_scenario(tmp_path, body)
    with pytest.raises(
        ScenarioError,
        match=located(
            path, "programmes", "coaching.reps names 'TBH-1', who is not employed in months 1-3"
        ),
    ):
        load_scenario(path)


@pytest.mark.parametrize(
    ("quota", "message"),
    [
        (
            "hires: [{rep_id: TBH-1, region: West, start: 2027-02-01}]",
            r"hires\[0\] \(TBH-1\) start 2027-02-01 is outside plan year 2026",
        ),
        (
            "moves: [{rep_id: R001, region: East, date: 2025-06-01}]",
            r"moves\[0\] \(R001\) date 2025-06-01 is outside plan year 2026",
        ),
    ],
)
def test_quota_dates_outside_the_plan_year(tmp_path, quota, message):
    path = write_scenario(tmp_path, f"quota:\n  {quota}\n")
    with pytest.raises(ScenarioError, match=located(path, "quota", message)):
        load_scenario(path)


def test_every_sample_scenario_passes_its_cross_checks():
    for path in sorted(SCENARIOS.glob("*.yaml")):
        assert load_scenario(path).name


# --- replace validates again --------------------------------------------------------


def test_plan_replace_validates_again():
    plan = standard_plan()
    with pytest.raises(
        PlanError, match=r"(?s)plan 'Standard plan': .*- currency: String should match"
    ):
        plan.replace(currency="usd")
    with pytest.raises(PlanError, match="unknown field 'nmae'. Did you mean 'name'"):
        plan.replace(nmae="x")
    with pytest.raises(PlanError, match="weights sum to 0.5"):
        plan.replace(components=[plan.components[0].model_dump() | {"weight": 0.5}])


def test_scenario_replace_validates_again_with_its_cross_checks():
    base = sample_scenario("baseline")
    with pytest.raises(ScenarioError, match=r"(?s)scenario 'Baseline 2026': .*- trials: "):
        base.replace(trials=0)
    with pytest.raises(ScenarioError, match="unknown field 'trails'. Did you mean 'trials'"):
        base.replace(trails=10)
    # a field's own rule, a block's rule, and a cross-check between fields
    with pytest.raises(ScenarioError, match=r"- workforce.attrition: give a share"):
        base.replace(workforce={"attrition": 1.5})
    multi = load_plan(PLANS / "ae_multi_measure.yaml")
    summed = base.replace(engine="summed")
    with pytest.raises(ScenarioError, match="- engine: 'summed' draws"):
        summed.replace(plan=multi)
    assert summed.replace(plan=multi, engine="deals").plan == multi


def test_workforce_behaviour_and_time_allocation_replace_validates_again():
    with pytest.raises(SpecError, match=r"(?s)Workforce: .*- attrition: give a share .* got 1.2"):
        Workforce(attrition=0.2).replace(attrition=1.2)
    assert Workforce(attrition=0.2).replace(attrition=0.3).hazard() > 0
    with pytest.raises(SpecError, match=r"(?s)Behaviour: .*- min_effort: Input should be less"):
        Behaviour().replace(min_effort=1.5)
    with pytest.raises(SpecError, match="expected a number, got True"):
        Behaviour().replace(pull_forward=True)  # a YAML yes is not 1
    with pytest.raises(SpecError, match="more than all the hours"):
        TimeAllocation().replace(selling=0.9)
    with pytest.raises(SpecError, match="not both and not neither"):
        Coaching(bottom_share=0.2).replace(reps=("R001",))
    with pytest.raises(SpecError, match="unknown field 'coachng'"):
        Programmes().replace(coachng=None)


def test_capacity_config_replace_and_what_ifs_validate_again():
    config = load_capacity_config(CAPACITY)
    assert config.with_reps(7).stages[0].reps == 7
    assert config.scaled(0.5).segments[0].leads_per_year == config.segments[0].leads_per_year / 2
    with pytest.raises(CapacityError, match=r"- stages\[0\].reps: Input should be greater"):
        config.with_reps(0)
    with pytest.raises(CapacityError, match=r"stage 9 does not exist"):
        config.with_reps(3, stage=9)
    with pytest.raises(CapacityError, match=r"- segments\[0\].leads_per_year: Input should be"):
        config.scaled(-1.0)
    with pytest.raises(CapacityError, match=r"(?s)capacity configuration .*- replications: "):
        config.replace(replications=0)
    with pytest.raises(CapacityError, match="within_hours and share together"):
        config.replace(target={"within_hours": 1.0})
    assert isinstance(config.replace(rep_cost=1.0), CapacityConfig)


@pytest.mark.parametrize(
    "quota, field",
    [
        ("quota:\n  method: bottom_up\n  targets: nowhere.csv\n", "quota.targets"),
        (
            "quota:\n  method: bottom_up\n  options:\n    targets: nowhere.csv\n",
            "quota.options.targets",
        ),
    ],
)
def test_bottom_up_targets_are_read_beside_the_scenario_in_either_form(tmp_path, quota, field):
    path = write_scenario(tmp_path, quota)
    where = re.escape(str((tmp_path / "nowhere.csv").resolve()))
    with pytest.raises(ScenarioError, match=rf"field '{re.escape(field)}'.*{where}"):
        load_scenario(path)


# --- strict checks ------------------------------------------------------------------


def test_strict_is_off_by_default_and_set_from_the_file(tmp_path):
    assert sample_scenario("baseline").strict is False
    assert load_scenario(write_scenario(tmp_path, "strict: true\n")).strict is True
    path = write_scenario(tmp_path, "strict: sometimes\n")
    with pytest.raises(ScenarioError, match=located(path, "strict", "Input should be a valid")):
        load_scenario(path)
    s = Scenario(name="A", plan=standard_plan(), plan_year=2026)
    assert s.replace(strict=True).strict is True


def test_a_strict_scenario_refuses_the_plausibility_warnings_of_the_plan_it_names(tmp_path):
    # strict: true holds while the plan file is read, not only once the scenario is built
    from spm_sim.errors import PlausibilityWarning

    text = (PLANS / "baseline.yaml").read_text()
    steep = "        rate: 12.0         # accelerator: 12x TCR, beyond 10x"
    (tmp_path / "steep.yaml").write_text(
        text.replace("        rate: 2.0          # accelerator: 2.0x TCR", steep)
    )
    loose = tmp_path / "loose.yaml"
    loose.write_text("name: loose\nplan: steep.yaml\nplan_year: 2026\n")
    with pytest.warns(PlausibilityWarning, match="steep.yaml"):
        assert not load_scenario(loose).strict
    strict = tmp_path / "strict.yaml"
    strict.write_text("name: strict\nplan: steep.yaml\nplan_year: 2026\nstrict: true\n")
    with pytest.raises(PlanError, match="steep.yaml"):
        load_scenario(strict)
