"""Books and plans in currencies whose unit is far from the dollar (issue 15).

The hard bounds on money are the same numbers in every currency (1e12 for a deal, a
year's pay, a plan's amount), far above any real amount even in dong. The plausibility
thresholds on money (5,000,000 of pay, a prize or a year of draws; 100,000 a deal or
logo) are set in US dollars and read in the book's or the plan's currency at a rough
rate (``spm_sim._format.units_per_usd``). So the sample book and the sample plans with
every amount of money multiplied by a currency's rate load exactly as they do in
dollars: no warning, nothing refused under strict checks, the same pay times the rate.
Each converted book is written once for the module.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from spm_sim._format import money_threshold, units_per_usd
from spm_sim.actuals import MAX_AMOUNT, actual_payouts
from spm_sim.book import Book, load_book, load_sample
from spm_sim.comp import load_plan, payout, plan_metrics, standard_plan
from spm_sim.errors import DataError, PlanError, PlausibilityWarning, strict_checks

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
PLANS = sorted((ROOT / "data" / "plans").glob("*.yaml"))
DOC = (ROOT / "docs" / "data-format.md").read_text(encoding="utf-8")

#: The money columns of a book (every one the schema holds).
MONEY = {
    "reps": ("base_salary", "target_incentive"),
    "accounts": ("potential",),
    "bookings": ("amount",),
    "pipeline": ("amount",),
}

#: Currencies whose unit is far below the dollar's; the last three push the sample's
#: pay past the old bound of 1e9 (a salary of 102,000 dollars is 2.55e9 dong).
CURRENCIES = ("JPY", "INR", "KRW", "IDR", "VND")


def plausibility_warnings(load) -> tuple[object, list[str]]:
    """What ``load()`` returns, and the PlausibilityWarning messages it gave."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = load()
    return result, [str(w.message) for w in seen if issubclass(w.category, PlausibilityWarning)]


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    """The sample book converted to each currency: every money column times the rate."""
    tables = {
        f.stem: pd.read_csv(f, dtype=str, keep_default_na=False) for f in SAMPLE.glob("*.csv")
    }
    meta = yaml.safe_load((SAMPLE / "book.yaml").read_text(encoding="utf-8"))
    folders = {}
    for code in CURRENCIES:
        rate = units_per_usd(code)
        folder = tmp_path_factory.mktemp(f"book-{code}")
        for name, frame in tables.items():
            out = frame.copy()
            for column in MONEY.get(name, ()):
                out[column] = (pd.to_numeric(out[column]) * rate).round(2)
            out.to_csv(folder / f"{name}.csv", index=False)
        text = yaml.safe_dump(meta | {"currency": code}, sort_keys=False)
        (folder / "book.yaml").write_text(text, encoding="utf-8")
        folders[code] = folder
    return folders


# --------------------------------------------------------------------------- the rates


def test_the_rates_are_rough_units_per_dollar_and_1_elsewhere():
    assert units_per_usd("JPY") == 150.0 and units_per_usd("jpy") == 150.0
    assert (units_per_usd("KRW"), units_per_usd("IDR"), units_per_usd("VND")) == (
        1_400.0,
        16_000.0,
        25_000.0,
    )
    for code in ("USD", "EUR", "GBP", "CHF", "KWD", "XYZ"):
        assert units_per_usd(code) == 1.0, code
    # within a factor of two of the brief's late-2026 rates is all a threshold needs
    for code, rough in {"INR": 85, "HUF": 360, "CLP": 950, "IRR": 42_000, "LAK": 21_000}.items():
        assert rough / 2 < units_per_usd(code) < rough * 2, code


def test_a_threshold_reads_in_the_currency_and_in_dollars():
    assert money_threshold(5e6, "JPY") == (750_000_000.0, "750,000,000 JPY (about 5,000,000 USD)")
    assert money_threshold(100_000, "KRW") == (
        140_000_000.0,
        "140,000,000 KRW (about 100,000 USD)",
    )
    assert money_threshold(5e6, "USD") == (5e6, "5,000,000 USD")


def test_the_documented_rates_and_thresholds_are_the_code_s():
    section = DOC.split("### Money thresholds and the book's currency")[1].split("###")[0]
    rows = re.findall(r"^\| ([A-Z, ]+?) \| ([\d.,]+) \| ([\d,]+) \|$", section, re.M)
    assert len(rows) >= 6
    for codes, rate, threshold in rows:
        for code in re.findall(r"\b[A-Z]{3}\b", codes):
            assert units_per_usd(code) == float(rate.replace(",", "")), code
        assert float(threshold.replace(",", "")) == 5e6 * float(rate.replace(",", ""))


def test_the_payroll_s_line_bound_is_the_documented_one():
    assert MAX_AMOUNT == 1e12
    assert re.search(r"^\| payroll .*\| 1e12 \|$", DOC, re.M)


# --------------------------------------------------------------------------- the book


@pytest.mark.parametrize("code", CURRENCIES)
def test_the_sample_book_in_another_currency_loads_clean_and_strict(books, code):
    book, seen = plausibility_warnings(lambda: load_book(books[code]))
    assert seen == []
    assert book.currency == code
    strict = load_book(books[code], strict=True)
    assert len(strict.reps) == len(book.reps) == 85
    usd = load_sample()
    ratio = book.reps["base_salary"].to_numpy() / usd.reps["base_salary"].to_numpy()
    assert np.allclose(ratio, units_per_usd(code))  # the amounts really are converted


def frames_of(folder: Path) -> dict[str, pd.DataFrame]:
    return {f.stem: pd.read_csv(f, dtype=str, keep_default_na=False) for f in folder.glob("*.csv")}


def test_pay_of_tens_of_millions_of_dollars_in_yen_still_warns(books):
    frames = frames_of(books["JPY"])
    frames["reps"].loc[2, "target_incentive"] = "9000000000"  # 9e9 yen, about 60M dollars
    build = lambda **kw: Book.from_frames(  # noqa: E731
        **frames, currency="JPY", snapshot_date="2025-12-31", **kw
    )
    _, seen = plausibility_warnings(build)
    assert seen == [
        "reps frame, row 3, column 'target_incentive': 1 rep paid more than 750,000,000 JPY "
        "(about 5,000,000 USD) a year in target_incentive (row 3: R003, 9,000,000,000.00). "
        "Check for pay in cents or in a currency other than the book's JPY, or a team's total "
        "on one row. (row 3 of the reps frame, counting from 1)"
    ]
    with pytest.raises(DataError, match=r"paid more than 750,000,000 JPY \(about 5,000,000 USD"):
        build(strict=True)


def test_the_same_number_is_unlikely_pay_in_dollars_and_ordinary_pay_in_yen(books):
    # 6,000,000 a year: 100 times the sample's median TI in dollars, 40,000 dollars in yen
    for folder, code, warned in ((SAMPLE, "USD", True), (books["JPY"], "JPY", False)):
        frames = frames_of(folder)
        frames["reps"].loc[2, "target_incentive"] = "6000000"
        build = lambda frames=frames, code=code: Book.from_frames(  # noqa: E731
            **frames, currency=code, snapshot_date="2025-12-31"
        )
        _, seen = plausibility_warnings(build)
        if warned:
            (message,) = seen
            assert "1 rep paid more than 5,000,000 USD a year in target_incentive" in message
        else:
            assert seen == []


def test_money_beyond_the_bound_is_refused_in_every_currency(books):
    frames = frames_of(books["VND"])
    frames["reps"].loc[0, "base_salary"] = "2e12"
    with pytest.raises(DataError, match=r"'2e12' is beyond 1e12, more than any pay for a year"):
        Book.from_frames(**frames, currency="VND", snapshot_date="2025-12-31")


# --------------------------------------------------------------------------- plans


def convert_plan(data: dict, code: str) -> dict:
    """A plan's YAML with ``currency: code`` and every amount of money times the rate."""
    rate = units_per_usd(code)
    kinds = {"bookings": "bookings"} | {
        m["name"]: m.get("kind", "bookings") for m in data.get("measures", [])
    }
    money = {name for name, kind in kinds.items() if kind == "bookings"}
    out = dict(data, currency=code)
    out["measures"] = [
        dict(m, quota_per_rep=m["quota_per_rep"] * rate)
        if m["name"] in money and "quota_per_rep" in m
        else m
        for m in data.get("measures", [])
    ]
    components = []
    for c in data["components"]:
        c = dict(c)
        kind, on_money = c.get("type", "commission"), c.get("measure", "bookings") in money
        if kind == "bonus":
            c["milestones"] = [
                dict(m, amount=m["amount"] * rate) if "amount" in m else m for m in c["milestones"]
            ]
        elif kind == "contest":
            c["prizes"] = [p * rate for p in c["prizes"]]
            if on_money:
                c["min_total"] = c.get("min_total", 0.0) * rate
        elif kind == "spiff" and not on_money:
            c["rate"] *= rate  # money per deal or logo
        elif kind == "commission" and c.get("rate_basis") == "bookings" and not on_money:
            c["tiers"] = [dict(t, rate=t["rate"] * rate) for t in c["tiers"]]
        components.append(c)
    out["components"] = components
    if out.get("draw") and "amount" in out["draw"]:
        out["draw"] = dict(out["draw"], amount=out["draw"]["amount"] * rate)
    return out


#: A plan with every kind of amount of money, in dollars a real plan may name.
DOLLARS = {
    "name": "Every amount",
    "measures": [{"name": "logos", "kind": "new_logos", "quota_per_rep": 12}],
    "components": [
        {"name": "bookings", "weight": 1.0, "rate_basis": "tcr",
         "tiers": [{"start": 0, "rate": 1.0}]},
        {"name": "club", "type": "bonus", "milestones": [{"attainment": 1.2, "amount": 50_000}]},
        {"name": "logo", "type": "spiff", "measure": "logos", "start_month": 1, "end_month": 3,
         "rate": 2_000},
        {"name": "q4", "type": "contest", "start_month": 10, "end_month": 12,
         "prizes": [25_000, 10_000], "min_total": 100_000},
    ],
    "draw": {"amount": 8_000, "recoverable": True},
}  # fmt: skip


@pytest.mark.parametrize("code", CURRENCIES)
@pytest.mark.parametrize("path", PLANS, ids=[p.stem for p in PLANS])
def test_the_sample_plans_in_another_currency_load_clean_under_strict(path, code):
    data = convert_plan(yaml.safe_load(path.read_text(encoding="utf-8")), code)
    with strict_checks():
        plan = load_plan(data)
    assert plan.currency == code


@pytest.mark.parametrize("code", CURRENCIES)
def test_every_amount_of_a_plan_scales_with_the_currency(code):
    data = convert_plan(DOLLARS, code)
    rate = units_per_usd(code)
    assert data["components"][1]["milestones"][0]["amount"] == 50_000 * rate
    with strict_checks():
        plan = load_plan(data)
    assert plan.draw.amount == 8_000 * rate
    # the plan's amounts above the old bound of 1e9 (50,000 dollars is 1.25e9 dong)
    # and above the thresholds in units (2,000 dollars a logo is 2.8M won) are fine


def test_a_prize_of_tens_of_millions_of_dollars_in_yen_still_warns():
    data = convert_plan(DOLLARS, "JPY")
    data["components"][3]["prizes"] = [9e9]
    message = (
        "plan 'Every amount' contest 'q4': prize 1 9,000,000,000 is above 750,000,000 JPY "
        "(about 5,000,000 USD): so much is rare; check the amount and the plan's currency (JPY)"
    )
    with pytest.warns(PlausibilityWarning, match=re.escape(message)):
        load_plan(data)
    with strict_checks(), pytest.raises(PlanError, match=re.escape(message)):
        load_plan(data)


def test_a_rate_per_logo_is_held_to_about_100_000_dollars_in_won():
    data = convert_plan(DOLLARS, "KRW")
    data["components"][2]["rate"] = 2e8  # about 143,000 dollars a logo
    with pytest.warns(PlausibilityWarning) as seen:
        load_plan(data)
    assert [str(w.message) for w in seen] == [
        "plan 'Every amount' spiff 'logo': rate 200,000,000 is above 140,000,000 KRW (about "
        "100,000 USD): so much per deal or logo is rare; check the amount and the plan's "
        "currency (KRW)"
    ]


# --------------------------------------------------------------------------- the kernel


def test_pay_in_dong_is_pay_in_dollars_times_the_rate():
    rate = units_per_usd("VND")
    plan = standard_plan(threshold=0.5, accelerator=2.0)
    rng = np.random.default_rng(0)
    bookings = rng.gamma(2.0, 60_000.0, (4, 12))
    quotas = np.full((4, 12), 100_000.0)
    ti = np.array([60_000.0, 68_000.0, 56_000.0, 90_000.0])  # 1.4e9 to 2.25e9 dong
    usd = payout(plan, bookings, quotas, ti)
    vnd = payout(plan.replace(currency="VND"), bookings * rate, quotas * rate, ti * rate)
    assert np.allclose(vnd.by_component, usd.by_component * rate, rtol=1e-12, atol=1e-3)
    metrics = plan_metrics(plan, quota=1.2e6 * rate, target_incentive=9e4 * rate)
    assert metrics == plan_metrics(plan, quota=1.2e6, target_incentive=9e4)


# --------------------------------------------------------------------------- a payroll


def test_a_payroll_in_yen_is_the_dollar_payroll_times_the_rate(books):
    baseline = ROOT / "data" / "plans" / "baseline.yaml"
    jpy = load_book(books["JPY"], strict=True)
    with pytest.raises(DataError, match=r"pays in USD but book .* is in JPY; convert one"):
        actual_payouts(jpy, baseline, 2025)
    plan = load_plan(baseline).replace(currency="JPY")
    in_yen = actual_payouts(jpy, plan, 2025)
    in_dollars = actual_payouts(load_sample(), baseline, 2025)
    yen, dollars = (float(p.control_totals()["total"]) for p in (in_yen, in_dollars))
    # the same pay: one rounding to the cent per payroll line is all that differs
    lines = in_yen.control_totals()["rows"]
    assert abs(yen - 150 * dollars) <= 150 * 0.01 * lines
    assert abs(yen / dollars / 150 - 1) < 1e-8
