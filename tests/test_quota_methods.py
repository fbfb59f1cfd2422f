"""Quota methods worked out by hand: every basis, the hierarchy's sums, ramp,
proration, moves, seasonality, overrides, bottom-up targets and every input error.

The synthetic book (``synthetic.write_book``) has six reps with one account each and
three years of bookings. With ``seasonality="flat"`` and reps employed and ramped all
year, a rep's capacity is 1 in every month, so each method's quota is the company
target times a share that is easy to compute from the CSV files directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic import write_book

from spm_sim import load_book
from spm_sim.errors import DataError, ScenarioError, SpecError
from spm_sim.quota import METHODS, QuotaSettings, monthly_ramp, set_quotas
from spm_sim.scenario import load_scenario

REPS = ("R1", "R2", "R3", "R4", "R5", "R6")
POTENTIAL = {"R1": 1.0e6, "R2": 2.0e6, "R3": 3.0e6, "R4": 4.0e6, "R5": 5.0e6, "R6": 6.0e6}
WORKLOAD = {"R1": 500.0, "R2": 1500.0, "R3": 900.0, "R4": 2160.0, "R5": 1080.0, "R6": 300.0}
HIRE = {r: "2019-06-01" for r in REPS}
TARGET = 12_000_000.0


def _book_folder(folder, **kw):
    path = write_book(folder, hire=HIRE, **kw)
    acc = pd.read_csv(path / "accounts.csv")
    acc["potential"] = acc["rep_id"].map(POTENTIAL)
    acc["workload"] = acc["rep_id"].map(WORKLOAD)
    acc.to_csv(path / "accounts.csv", index=False)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return _book_folder(tmp_path_factory.mktemp("quota_methods"))


@pytest.fixture(scope="module")
def book(folder):
    return load_book(folder)


@pytest.fixture(scope="module")
def bookings(folder):
    b = pd.read_csv(folder / "bookings.csv", parse_dates=["date"])
    return b


def flat(**kw) -> QuotaSettings:
    return QuotaSettings(**({"seasonality": "flat", "target": TARGET} | kw))


def annual(q) -> pd.Series:
    return pd.Series(q.annual, index=q.rep_ids)


def test_methods_are_the_documented_ones():
    assert METHODS == (
        "history",
        "equal",
        "potential",
        "capacity",
        "blend",
        "bottom_up",
        "calibrated",
    )


def test_equal_split_by_hand(book):
    q = set_quotas(book, plan_year=2026, settings=flat(method="equal"))
    np.testing.assert_allclose(q.values, TARGET / 6 / 12, rtol=1e-12)
    assert q.company_target == TARGET


def test_potential_split_by_hand(book):
    q = set_quotas(book, plan_year=2026, settings=flat(method="potential"))
    pot = pd.Series(POTENTIAL)
    np.testing.assert_allclose(annual(q), TARGET * pot / pot.sum(), rtol=1e-12)
    assert (q.basis["accounts"] == 1).all()


def test_capacity_split_by_hand(book):
    # the potential a rep can work: P min(1, 1080 h / W); R2 (1500 h) and R4 (2160 h) are over
    q = set_quotas(book, plan_year=2026, settings=flat(method="capacity"))
    pot, work = pd.Series(POTENTIAL), pd.Series(WORKLOAD)
    workable = pot * np.minimum(1.0, 1080.0 / work)
    assert workable["R4"] == pytest.approx(2.0e6) and workable["R2"] == pytest.approx(1.44e6)
    np.testing.assert_allclose(annual(q), TARGET * workable / workable.sum(), rtol=1e-12)
    # more selling hours: nobody is over, capacity = potential
    roomy = set_quotas(book, plan_year=2026, settings=flat(method="capacity", selling_hours=3000))
    np.testing.assert_allclose(annual(roomy), TARGET * pot / pot.sum(), rtol=1e-12)


def test_history_trailing_and_prior_year_by_hand(book, bookings):
    last = bookings[bookings["date"].dt.year == 2025].groupby("rep_id")["amount"].sum()
    for window in ("trailing_12m", "prior_year"):
        q = set_quotas(book, plan_year=2026, settings=flat(history=window))
        np.testing.assert_allclose(annual(q), TARGET * last / last.sum(), rtol=1e-9)
    # without a given target: last year's bookings x (1 + growth)
    g = set_quotas(book, plan_year=2026, settings=QuotaSettings(growth=0.07, seasonality="flat"))
    assert g.company_target == pytest.approx(last.sum() * 1.07, rel=1e-12)


def test_history_multi_year_by_hand(book, bookings):
    by_year = bookings.groupby([bookings["date"].dt.year, "rep_id"])["amount"].sum()
    w = (0.5, 0.3, 0.2)
    rr = sum(wy * by_year.loc[2025 - y] for y, wy in enumerate(w))
    q = set_quotas(book, plan_year=2026, settings=flat(history="multi_year", history_weights=w))
    np.testing.assert_allclose(annual(q), TARGET * rr / rr.sum(), rtol=1e-9)


def test_multi_year_uses_only_the_years_a_rep_was_there(tmp_path):
    # R6 is hired on 2025-04-01: no 2024 year; its run rate is its 2025 rate alone,
    # ramped months counted at 25/25/25/50/50/50/75/75/75% (4.5 selling months)
    path = write_book(tmp_path / "b", hire=HIRE | {"R6": "2025-04-01"})
    book = load_book(path)
    b = pd.read_csv(path / "bookings.csv", parse_dates=["date"])
    by_year = b.groupby([b["date"].dt.year, "rep_id"])["amount"].sum()
    s = flat(method="history", history="multi_year", history_weights=(0.6, 0.4))
    q = set_quotas(book, plan_year=2026, settings=s)
    rr = q.basis.set_index("rep_id")["run_rate"]
    assert rr["R6"] == pytest.approx(12 * by_year.loc[(2025, "R6")] / 4.5, rel=1e-9)
    assert rr["R1"] == pytest.approx(
        0.6 * by_year.loc[(2025, "R1")] + 0.4 * by_year.loc[(2024, "R1")], rel=1e-9
    )


def test_blend_mixes_the_shares(book):
    q = set_quotas(
        book,
        plan_year=2026,
        settings=flat(method="blend", weights={"equal": 0.5, "potential": 0.5}),
    )
    pot = pd.Series(POTENTIAL)
    np.testing.assert_allclose(annual(q), TARGET * (0.5 / 6 + 0.5 * pot / pot.sum()), rtol=1e-12)
    np.testing.assert_allclose(q.basis["share_potential"], pot / pot.sum(), rtol=1e-12)


@pytest.mark.parametrize("method", ["history", "equal", "potential", "capacity", "blend"])
def test_every_level_adds_up_to_its_over_assigned_quota(book, method):
    s = QuotaSettings(
        method=method,
        weights={"history": 0.4, "potential": 0.6} if method == "blend" else None,
        target=TARGET,
        over_assignment={"region": 0.05, "rep": 0.10},
    )
    q = set_quotas(book, plan_year=2026, settings=s)
    assert q.values.sum() == pytest.approx(TARGET * 1.05 * 1.10, rel=1e-12)
    lv = q.levels.set_index("name")
    assert lv.loc["company", "sum_below"] == pytest.approx(TARGET * 1.05, rel=1e-12)
    region = q.basis.set_index("rep_id")["region"]
    for g in ("East", "West"):
        reps = [r for r in q.rep_ids if region[r] == g]
        assert annual(q)[reps].sum() == pytest.approx(lv.loc[g, "quota"] * 1.10, rel=1e-12)
    assert q.levels["matches_set"].all()


def test_a_number_is_the_rep_level_alone(book):
    s = flat(method="equal", over_assignment=0.2)
    q = set_quotas(book, plan_year=2026, settings=s)
    assert s.over_assignment.region == 0.0 and s.over_assignment.rep == 0.2
    assert q.over_assignment == pytest.approx(0.2, abs=1e-12)


def test_given_seasonality_round_trips(book):
    monthly = np.array([5, 6, 9, 7, 8, 10, 6, 7, 9, 8, 10, 15], float)
    monthly /= monthly.sum()
    q = set_quotas(book, plan_year=2026, settings=flat(method="equal", seasonality=tuple(monthly)))
    np.testing.assert_allclose(q.values / q.annual[:, None], np.tile(monthly, (6, 1)), rtol=1e-12)
    quarters = (0.2, 0.25, 0.25, 0.3)
    q = set_quotas(book, plan_year=2026, settings=flat(method="equal", seasonality=quarters))
    np.testing.assert_allclose(q.by_quarter() / q.annual[:, None], np.tile(quarters, (6, 1)))
    # inside a quarter the months are equal
    np.testing.assert_allclose(q.values[:, 0], q.values[:, 2], rtol=1e-12)


def test_history_seasonality_follows_the_bookings(book):
    q = set_quotas(book, plan_year=2026, settings=QuotaSettings(method="equal", target=TARGET))
    split = q.values[0] / q.values[0].sum()
    # December is the strongest month of the synthetic season (1.6 against a mean of 1)
    assert split.argmax() == 11
    assert split[11] > 1.3 / 12


def test_planned_hire_ramps_by_month_from_a_mid_month_start(book):
    s = flat(
        method="equal",
        ramp=(0.2, 0.4, 0.6, 0.8, 1.0),
        hires=[{"rep_id": "TBH-1", "region": "West", "start": "2026-03-16"}],
    )
    q = set_quotas(book, plan_year=2026, settings=s)
    v = dict(zip(q.rep_ids, q.values, strict=True))
    expected = [0, 0, 0.2 * 16 / 31, 0.4, 0.6, 0.8, 1, 1, 1, 1, 1, 1]
    np.testing.assert_allclose(v["TBH-1"] / v["R1"], expected, rtol=1e-12)
    assert q.basis.set_index("rep_id").loc["TBH-1", "planned_hire"]


def test_planned_hire_gets_the_region_median_run_rate(book):
    s = flat(hires=[{"rep_id": "TBH-1", "region": "West", "start": "2026-01-01"}])
    q = set_quotas(book, plan_year=2026, settings=s)
    basis = q.basis.set_index("rep_id")
    west = basis.loc[["R4", "R5", "R6"], "run_rate"]
    assert basis.loc["TBH-1", "run_rate"] == pytest.approx(west.median())
    assert basis.loc["TBH-1", "run_rate_source"] == "region median (planned hire)"


def test_leaver_is_prorated_to_the_last_day(tmp_path):
    book = load_book(_book_folder(tmp_path / "b", term={"R2": "2026-06-15"}))
    q = set_quotas(book, plan_year=2026, settings=flat(method="equal"))
    v = dict(zip(q.rep_ids, q.values, strict=True))
    ratio = v["R2"] / v["R1"]
    np.testing.assert_allclose(ratio, [1, 1, 1, 1, 1, 15 / 30, 0, 0, 0, 0, 0, 0], rtol=1e-12)


def test_a_move_takes_its_quota_to_the_new_region(book):
    base = flat(method="equal", over_assignment={"region": 0.0, "rep": 0.1})
    moved = QuotaSettings.model_validate(
        {**base.model_dump(), "moves": [{"rep_id": "R1", "date": "2026-07-01", "region": "West"}]}
    )
    q0 = set_quotas(book, plan_year=2026, settings=base)
    q1 = set_quotas(book, plan_year=2026, settings=moved)
    # the rep's quota does not change; the regions' shares do, by six months of R1
    np.testing.assert_allclose(q1.values, q0.values, rtol=1e-12)
    lv0, lv1 = q0.levels.set_index("name"), q1.levels.set_index("name")
    six_months = q0.values[0, 6:].sum() / 1.1
    assert lv1.loc["West", "quota"] == pytest.approx(lv0.loc["West", "quota"] + six_months)
    assert lv1.loc["East", "quota"] == pytest.approx(lv0.loc["East", "quota"] - six_months)
    assert q1.levels["matches_set"].all()


def test_overrides_hold_the_region_total_and_leave_an_audit_trail(book):
    s = flat(
        method="equal",
        overrides=[
            {"rep_id": "R1", "quota": 3_000_000, "reason": "new logo pipeline", "by": "RVP"}
        ],
    )
    q = set_quotas(book, plan_year=2026, settings=s)
    a = annual(q)
    assert a["R1"] == pytest.approx(3_000_000)
    # East (R1, R2, R3) still holds half the target; R2 and R3 share the rest equally
    assert a[["R1", "R2", "R3"]].sum() == pytest.approx(TARGET / 2)
    assert a["R2"] == pytest.approx((TARGET / 2 - 3_000_000) / 2)
    assert a["R4"] == pytest.approx(TARGET / 6)
    row = q.audit.iloc[0]
    assert (row["rep_id"], row["by"], row["reason"]) == ("R1", "RVP", "new logo pipeline")
    assert row["quota_before"] == pytest.approx(TARGET / 6)
    assert row["change"] == pytest.approx(3_000_000 - TARGET / 6)
    # without holding, the total moves by the change
    loose = QuotaSettings.model_validate({**s.model_dump(), "hold_region_total": False})
    q2 = set_quotas(book, plan_year=2026, settings=loose)
    assert q2.values.sum() == pytest.approx(TARGET + 3_000_000 - TARGET / 6)
    assert annual(q2)["R2"] == pytest.approx(TARGET / 6)


def test_override_bigger_than_the_region_is_refused(book):
    s = flat(method="equal", overrides=[{"rep_id": "R1", "quota": 7e6, "reason": "x"}])
    with pytest.raises(SpecError, match=r"region East holds 6,000,000.*hold_region_total"):
        set_quotas(book, plan_year=2026, settings=s)


def test_bottom_up_from_accounts_and_from_managers(book, tmp_path):
    acc = tmp_path / "account_targets.csv"
    pd.DataFrame(
        {"account_id": [f"A{r}" for r in REPS], "target": [1e6, 2e6, 1.5e6, 1e6, 2.5e6, 2e6]}
    ).to_csv(acc, index=False)
    q = set_quotas(book, plan_year=2026, settings=flat(method="bottom_up", targets=str(acc)))
    np.testing.assert_allclose(q.annual, [1e6, 2e6, 1.5e6, 1e6, 2.5e6, 2e6])
    assert q.basis["basis_source"].iloc[0] == "bottom-up (sum of account targets)"
    assert q.over_assignment == pytest.approx(10e6 / TARGET - 1)
    # reconciled: the same shares, scaled to the over-assigned target
    r = set_quotas(
        book,
        plan_year=2026,
        settings=flat(method="bottom_up", targets=str(acc), reconcile=True, over_assignment=0.1),
    )
    np.testing.assert_allclose(r.annual, q.annual / 10e6 * TARGET * 1.1, rtol=1e-12)
    mgr = tmp_path / "manager.csv"
    pd.DataFrame({"rep_id": list(REPS), "target": [1e6] * 6}).to_csv(mgr, index=False)
    m = set_quotas(book, plan_year=2026, settings=flat(method="bottom_up", targets=str(mgr)))
    np.testing.assert_allclose(m.annual, 1e6)
    assert m.basis["basis_source"].iloc[0] == "bottom-up (manager input)"


def test_bottom_up_file_errors_name_row_and_value(book, tmp_path):
    def run(frame, name="t.csv"):
        path = tmp_path / name
        frame.to_csv(path, index=False)
        set_quotas(book, plan_year=2026, settings=flat(method="bottom_up", targets=str(path)))

    ok = {"rep_id": list(REPS), "target": [1e6] * 6}
    with pytest.raises(DataError, match=r"t.csv, row 4, column target: '-5' is not a non-neg"):
        run(pd.DataFrame(ok | {"target": ["1e6", "1e6", "-5", "1e6", "1e6", "1e6"]}))
    with pytest.raises(DataError, match=r"t.csv, row 3, column target: 'lots'"):
        run(pd.DataFrame(ok | {"target": ["1e6", "lots", "1", "1", "1", "1"]}))
    with pytest.raises(DataError, match=r"1 rep\(s\) on quota have no target: R6"):
        run(pd.DataFrame({"rep_id": list(REPS[:5]), "target": [1e6] * 5}))
    with pytest.raises(DataError, match=r"row 2: account_id 'A9' is not an account"):
        run(pd.DataFrame({"account_id": ["A9"], "target": [1.0]}))
    with pytest.raises(DataError, match=r"needs columns account_id,target or rep_id,target"):
        run(pd.DataFrame({"rep": ["R1"], "quota": [1.0]}))
    with pytest.raises(DataError, match=r"file 'nowhere.csv' not found"):
        set_quotas(book, plan_year=2026, settings=flat(method="bottom_up", targets="nowhere.csv"))


def test_calibrated_quotas_through_set_quotas(book):
    s = QuotaSettings(method="calibrated", probability=0.6, calibration_trials=500, target=TARGET)
    q = set_quotas(book, plan_year=2026, settings=s, rng=3)
    assert q.info["achieved"] == pytest.approx(0.6, abs=0.01)
    assert q.basis["basis_source"].iloc[0] == "calibrated (P(attain) = 60%)"
    # months follow the model's expected bookings (season and ramp)
    expected = q.info["expected_bookings"]
    assert expected.shape == (6,)
    again = set_quotas(book, plan_year=2026, settings=s, rng=3)
    np.testing.assert_array_equal(q.values, again.values)


def test_monthly_ramp_default_is_the_models_by_quarter():
    np.testing.assert_allclose(
        monthly_ramp(None), [0.25, 0.25, 0.25, 0.5, 0.5, 0.5, 0.75, 0.75, 0.75, 1.0]
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"target": -5}, r"target must be a positive finite amount of money, got -5"),
        ({"target": "lots"}, r"target must be a number \(money\), got 'lots'"),
        ({"target": float("nan")}, r"target must be a positive finite amount"),
        (
            {"method": "blend", "weights": {"history": 0.5, "potential": 0.4}},
            r"weights \{'history': 0.5, 'potential': 0.4\} sum to 0.9, not 1",
        ),
        ({"method": "blend", "weights": {"histroy": 1.0}}, r"'histroy' is not a basis"),
        ({"method": "blend"}, r"method 'blend' needs weights"),
        ({"history_weights": (0.5, 0.3)}, r"history_weights \[0.5, 0.3\] sum to 0.8, not 1"),
        ({"seasonality": (0.5, 0.5, 0.1)}, r"seasonality has 3 values; give 12 monthly or 4"),
        ({"seasonality": (0.3, 0.3, 0.3, 0.3)}, r"sum to 1.2, not 1; give each quarter's share"),
        ({"ramp": (0.5, 0.3, 1.0)}, r"ramp decreases from month 1 \(0.5\) to month 2 \(0.3\)"),
        ({"ramp": (0.5, 1.2)}, r"ramp month 2 is 1.2: every factor must be between 0 and 1"),
        ({"ramp": (0.5, 0.9)}, r"ramp ends at 0.9"),
        ({"method": "calibrated", "probability": 1.2}, r"probability.*less than 1"),
        ({"method": "calibrated", "probability": 0.0}, r"probability.*greater than 0"),
        ({"method": "calibrated"}, r"exactly one of probability.*got neither"),
        (
            {"probability": 0.5},
            r"probability: probability is for method 'calibrated', not 'history' \(got 0.5\); "
            r"remove it, or set method: calibrated",
        ),
        ({"method": "bottom_up"}, r"needs targets"),
        ({"overrides": [{"rep_id": "R1", "quota": 1, "reason": " "}]}, r"needs a reason"),
        ({"over_assignment": -0.1}, r"over_assignment.rep: Input should be greater than or"),
    ],
)
def test_settings_errors_name_the_field_and_value(fields, message):
    from spm_sim._spec import load_spec

    with pytest.raises(SpecError, match=message):
        load_spec(QuotaSettings, fields, where="scenario.yaml quota")


def test_dates_outside_the_plan_year_are_refused(book):
    hire = flat(hires=[{"rep_id": "TBH-1", "region": "West", "start": "2027-02-01"}])
    with pytest.raises(SpecError, match=r"quota.hires\[0\] \(TBH-1\) start 2027-02-01 is outside"):
        set_quotas(book, plan_year=2026, settings=hire)
    move = flat(moves=[{"rep_id": "R1", "date": "2025-12-01", "region": "West"}])
    with pytest.raises(SpecError, match=r"quota.moves\[0\] \(R1\) date 2025-12-01 is outside plan"):
        set_quotas(book, plan_year=2026, settings=move)
    who = flat(moves=[{"rep_id": "R9", "date": "2026-02-01", "region": "West"}])
    with pytest.raises(SpecError, match=r"rep 'R9' carries no quota in 2026"):
        set_quotas(book, plan_year=2026, settings=who)
    dup = flat(hires=[{"rep_id": "R1", "region": "West", "start": "2026-02-01"}])
    with pytest.raises(SpecError, match=r"rep_id 'R1' is already a rep of the book"):
        set_quotas(book, plan_year=2026, settings=dup)


def test_reps_without_a_territory_are_named(tmp_path):
    path = _book_folder(tmp_path / "b")
    acc = pd.read_csv(path / "accounts.csv")
    acc.loc[acc["rep_id"] == "R3", "rep_id"] = "R1"
    acc.to_csv(path / "accounts.csv", index=False)
    book = load_book(path)
    with pytest.raises(DataError, match=r"1 rep\(s\) on quota have no territory .*: R3\. Assign"):
        set_quotas(book, plan_year=2026, settings=flat(method="potential"))
    with pytest.raises(DataError, match=r"accounts.csv has no column 'potentail'.*'potential'"):
        set_quotas(
            book, plan_year=2026, settings=flat(method="potential", potential_column="potentail")
        )


def test_history_too_short_says_months_had_and_needed(book):
    s = QuotaSettings(history="multi_year", history_weights=(0.4, 0.3, 0.2, 0.1))
    with pytest.raises(
        DataError,
        match=r"history 'multi_year' with 4 yearly weight\(s\): it needs 48 months of bookings "
        r"\(2022-01-01 to 2025-12-31\); the book has 36 month\(s\)",
    ):
        set_quotas(book, plan_year=2026, settings=s)


def test_scenario_file_with_bottom_up_targets_relative_to_it(tmp_path, folder):
    pd.DataFrame({"rep_id": list(REPS), "target": [2e6] * 6}).to_csv(
        tmp_path / "targets.csv", index=False
    )
    (tmp_path / "s.yaml").write_text(
        f"name: Bottom-up\nbook: {folder}\nplan: {tmp_path / 'plan.yaml'}\nplan_year: 2026\n"
        "quota: {method: bottom_up, targets: targets.csv, target: 12000000}\n",
        encoding="utf-8",
    )
    import yaml

    from spm_sim.comp import standard_plan

    (tmp_path / "plan.yaml").write_text(
        yaml.safe_dump(standard_plan().model_dump(mode="json", exclude_none=True)),
        encoding="utf-8",
    )
    s = load_scenario(tmp_path / "s.yaml")
    assert s.quota.targets == str((tmp_path / "targets.csv").resolve())
    assert s.quota.describe(2026).startswith("bottom-up from targets.csv")
    (tmp_path / "bad.yaml").write_text(
        (tmp_path / "s.yaml").read_text().replace("targets.csv", "missing.csv"), encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match=r"field 'quota.targets': file 'missing.csv'"):
        load_scenario(tmp_path / "bad.yaml")


def test_quarterly_seasonality_from_history_keeps_the_quarters(book):
    monthly = set_quotas(book, plan_year=2026, settings=flat(method="equal", seasonality="history"))
    quarterly = set_quotas(
        book, plan_year=2026, settings=flat(method="equal", seasonality="history_quarterly")
    )
    np.testing.assert_allclose(quarterly.by_quarter(), monthly.by_quarter(), rtol=1e-12)
    v = quarterly.values[0]
    np.testing.assert_allclose(v.reshape(4, 3), v.reshape(4, 3)[:, :1].repeat(3, axis=1))


def test_a_calibrated_scenario_simulates_near_the_chosen_probability():
    from spm_sim import sample_scenario, simulate

    s = sample_scenario("baseline")
    s = s.replace(quota=QuotaSettings(method="calibrated", probability=0.6, growth=0.08))
    result = simulate(s, 600)
    # the quotas were calibrated on another stream than the simulation's trials
    per_trial = (result.bookings >= result.quotas.annual[None, :]).mean(axis=1)
    # reps move together inside a trial: the error of the mean is from the trials' spread,
    # plus the calibration's own (2,000 years: about 0.01 per rep, less on the average)
    se = per_trial.std(ddof=1) / np.sqrt(len(per_trial))
    assert abs(per_trial.mean() - 0.6) < 4 * se + 0.01, (per_trial.mean(), se)
    assert result.quotas.settings.method == "calibrated"


def test_quotas_follow_a_new_alignment(book):
    # R3's only account goes to R1: R3 is left without a territory, and is named
    new = pd.DataFrame({"account_id": ["AR3"], "rep_id": ["R1"]})
    with pytest.raises(DataError, match=r"have no territory .*: R3"):
        set_quotas(book, plan_year=2026, settings=flat(method="potential"), alignment=new)
    pot = pd.Series(POTENTIAL)
    # R1 and R2 swap accounts: their quotas swap
    swap = pd.DataFrame({"account_id": ["AR1", "AR2"], "rep_id": ["R2", "R1"]})
    q = set_quotas(book, plan_year=2026, settings=flat(method="potential"), alignment=swap)
    expected = pot.copy()
    expected["R1"], expected["R2"] = pot["R2"], pot["R1"]
    np.testing.assert_allclose(annual(q), TARGET * expected / expected.sum(), rtol=1e-12)
    with pytest.raises(DataError, match=r"1 id\(s\) are not accounts of the book, e.g. 'X1'"):
        set_quotas(
            book,
            plan_year=2026,
            settings=flat(method="potential"),
            alignment=pd.DataFrame({"account_id": ["X1"], "rep_id": ["R1"]}),
        )
    with pytest.raises(DataError, match=r"rep\(s\) R9 own accounts in the alignment"):
        set_quotas(
            book,
            plan_year=2026,
            settings=flat(method="potential"),
            alignment=pd.DataFrame({"account_id": ["AR1"], "rep_id": ["R9"]}),
        )


def test_quotas_from_a_designed_alignment_of_the_sample():
    from spm_sim import design, load_sample

    book = load_sample()
    west = book.accounts[
        book.accounts["rep_id"].isin(
            book.reps.loc[(book.reps["region"] == "West") & book.reps["term_date"].isna(), "rep_id"]
        )
    ]
    homes = book.reps[book.reps["rep_id"].isin(west["rep_id"].unique())]
    al = design(west, homes=homes, current="rep_id", balance={"potential": 0.05})
    q = set_quotas(book, plan_year=2026, settings=QuotaSettings(method="potential"), alignment=al)
    pot = q.basis.set_index("rep_id")["potential"]
    west_pot = pot[list(homes["rep_id"])]
    # balanced territories: every West rep's potential within 5% of their mean
    assert (west_pot / west_pot.mean() - 1).abs().max() <= 0.05 + 1e-9


# --- regressions from the review of 2026-11-27 -------------------------------------


def test_a_custom_potential_column_is_summed_as_numbers(tmp_path):
    path = _book_folder(tmp_path / "b")
    acc = pd.read_csv(path / "accounts.csv")
    extra = acc[acc["rep_id"] == "R2"].assign(account_id="AR2b")
    acc = pd.concat([acc, extra], ignore_index=True)
    acc["pot26"] = 100.0
    acc.to_csv(path / "accounts.csv", index=False)
    book = load_book(path)
    q = set_quotas(
        book, plan_year=2026, settings=flat(method="potential", potential_column="pot26")
    )
    basis = q.basis.set_index("rep_id")
    assert basis.loc["R2", "potential"] == 200.0 and basis.loc["R1", "potential"] == 100.0
    assert annual(q)["R2"] == pytest.approx(2 * TARGET / 7)


def test_history_seasonality_needs_every_calendar_month(tmp_path):
    book = load_book(write_book(tmp_path / "b", hire=HIRE, years=(2025,)))
    short = book.bookings[book.bookings["date"] >= "2025-05-01"]
    import dataclasses

    cut = dataclasses.replace(book, bookings=short)
    with pytest.raises(DataError, match=r"no selling time in January, February, March, April"):
        set_quotas(cut, plan_year=2026, settings=QuotaSettings(method="equal", target=TARGET))
    flat_q = set_quotas(cut, plan_year=2026, settings=flat(method="equal"))
    assert (flat_q.values > 0).all()


def test_bottom_up_targets_of_reps_without_quota_are_not_dropped(tmp_path):
    book = load_book(_book_folder(tmp_path / "b", term={"R6": "2025-10-15"}))
    path = tmp_path / "t.csv"
    pd.DataFrame({"account_id": [f"A{r}" for r in REPS], "target": [1e6] * 6}).to_csv(
        path, index=False
    )
    with pytest.raises(DataError, match=r"1,000,000 of account targets belong to .* R6, who"):
        set_quotas(book, plan_year=2026, settings=flat(method="bottom_up", targets=str(path)))


def test_the_tidy_frame_follows_a_move(book):
    s = flat(method="equal", moves=[{"rep_id": "R1", "date": "2026-07-01", "region": "West"}])
    q = set_quotas(book, plan_year=2026, settings=s)
    f = q.to_frame()
    r1 = f[f["rep_id"] == "R1"].set_index("period")["region"]
    assert r1["2026-06"] == "East" and r1["2026-07"] == "West"
    by_region = f.groupby("region")["quota"].sum()
    lv = q.levels.set_index("name")
    assert by_region["West"] == pytest.approx(lv.loc["West", "sum_below"])


def test_over_assignment_is_refused_where_it_does_not_apply():
    from spm_sim._spec import load_spec

    with pytest.raises(SpecError, match=r"does not apply to method 'calibrated'"):
        load_spec(
            QuotaSettings, {"method": "calibrated", "probability": 0.6, "over_assignment": 0.1}
        )
    with pytest.raises(SpecError, match=r"set reconcile: true"):
        load_spec(
            QuotaSettings, {"method": "bottom_up", "targets": "t.csv", "over_assignment": 0.1}
        )
    ok = load_spec(
        QuotaSettings,
        {"method": "bottom_up", "targets": "t.csv", "reconcile": True, "over_assignment": 0.1},
    )
    assert ok.over_assignment.rep == 0.1


def test_reps_absorbing_an_override_are_in_the_audit(book):
    s = flat(method="equal", overrides=[{"rep_id": "R1", "quota": 3e6, "reason": "renewal"}])
    q = set_quotas(book, plan_year=2026, settings=s)
    audit = q.audit.set_index("rep_id")
    assert set(audit.index) == {"R1", "R2", "R3"}
    assert audit.loc["R2", "quota_after"] == pytest.approx((TARGET / 2 - 3e6) / 2)
    assert "absorbs the override(s) of R1 in East" in audit.loc["R2", "reason"]
    assert audit["change"].sum() == pytest.approx(0.0, abs=1e-6)  # the region holds


def test_a_region_typo_is_refused_and_a_new_region_allowed(book):
    typo = flat(moves=[{"rep_id": "R1", "date": "2026-07-01", "region": "Wset"}])
    with pytest.raises(SpecError, match=r"region 'Wset' is not a region.*Did you mean 'West'"):
        set_quotas(book, plan_year=2026, settings=typo)
    new = flat(
        method="equal",
        hires=[{"rep_id": "TBH", "region": "North", "start": "2026-01-01", "new_region": True}],
    )
    q = set_quotas(book, plan_year=2026, settings=new)
    assert "North" in set(q.levels["name"])


def test_a_blend_weight_of_zero_does_not_read_that_basis(tmp_path):
    path = _book_folder(tmp_path / "b")
    acc = pd.read_csv(path / "accounts.csv")
    acc.loc[acc["rep_id"] == "R3", "potential"] = 0.0
    acc.to_csv(path / "accounts.csv", index=False)
    book = load_book(path)
    s = flat(method="blend", weights={"history": 1.0, "potential": 0.0})
    assert s.weights == {"history": 1.0}
    q = set_quotas(book, plan_year=2026, settings=s)
    h = set_quotas(book, plan_year=2026, settings=flat())
    np.testing.assert_allclose(q.values, h.values, rtol=1e-12)


def test_calibration_rng_gives_the_simulations_quotas():
    from spm_sim import load_sample, sample_scenario
    from spm_sim.random import calibration_rng
    from spm_sim.simulate import prepare

    s = sample_scenario("calibrated_quotas")
    book = load_sample()
    prep = prepare(s, book)
    q = set_quotas(
        book,
        plan_year=s.plan_year,
        settings=s.quota,
        rep_ids=prep.model.rep_ids,
        model=prep.model,
        rng=calibration_rng(s.seed),
    )
    np.testing.assert_array_equal(q.values, prep.quotas.values)


def test_duplicate_ids_are_refused(book):
    from spm_sim.errors import SpecError as SE

    with pytest.raises(SE, match=r"rep_ids lists 'R1' twice"):
        set_quotas(book, plan_year=2026, settings=flat(method="equal"), rep_ids=["R1", "R1"])
    dup = pd.DataFrame({"account_id": ["AR1", "AR1"], "rep_id": ["R2", "R3"]})
    with pytest.raises(DataError, match=r"account 'AR1' appears more than once"):
        set_quotas(book, plan_year=2026, settings=flat(method="potential"), alignment=dup)


def test_overriding_the_only_rep_of_a_region_says_what_to_do(book):
    s = flat(
        method="equal",
        moves=[{"rep_id": "R1", "date": "2026-01-01", "region": "Solo", "new_region": True}],
        overrides=[{"rep_id": "R1", "quota": 1.5e6, "reason": "x"}],
    )
    with pytest.raises(SpecError, match=r"nobody else carries quota in region Solo"):
        set_quotas(book, plan_year=2026, settings=s)


def test_history_too_short_with_a_target_does_not_suggest_a_target(book):
    s = QuotaSettings(target=1e8, history="multi_year", history_weights=(0.4, 0.3, 0.2, 0.1))
    with pytest.raises(DataError, match=r"use fewer history_weights") as err:
        set_quotas(book, plan_year=2026, settings=s)
    assert "company target" not in str(err.value).split(":", 1)[1]


def test_prior_year_is_the_last_complete_calendar_year(tmp_path):
    # a snapshot on 2025-09-30: trailing = Oct 2024..Sep 2025, prior year = calendar 2024
    path = write_book(tmp_path / "b", hire=HIRE, end="2025-09-30")
    book = load_book(path)
    b = pd.read_csv(path / "bookings.csv", parse_dates=["date"])
    y2024 = b[b["date"].dt.year == 2024].groupby("rep_id")["amount"].sum()
    ttm = b[(b["date"] >= "2024-10-01")].groupby("rep_id")["amount"].sum()
    prior = set_quotas(book, plan_year=2026, settings=flat(history="prior_year"))
    trailing = set_quotas(book, plan_year=2026, settings=flat(history="trailing_12m"))
    np.testing.assert_allclose(annual(prior), TARGET * y2024 / y2024.sum(), rtol=1e-9)
    np.testing.assert_allclose(annual(trailing), TARGET * ttm / ttm.sum(), rtol=1e-9)
    assert not np.allclose(annual(prior), annual(trailing))
