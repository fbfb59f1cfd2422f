"""The shipped sample book (data/sample/): reproducible bit for bit, and plausible.

The plausibility checks read the CSV files with plain pandas on purpose (they do not
use ``spm_sim.book``), so they test the data, not the loader. Every bound comes from
the brief of the sample company (see data/README.md), not from the generated output.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SCRIPT = ROOT / "data" / "make_sample.py"
FILES = [
    "units.csv",
    "reps.csv",
    "accounts.csv",
    "bookings.csv",
    "pipeline.csv",
    "stage_history.csv",
    "book.yaml",
]
MID_YEAR = ROOT / "data" / "sample-2025-06-30"
MID_YEAR_FILES = FILES  # the mid-year snapshot is a book folder with the same files

HISTORY_START = pd.Timestamp("2023-01-01")
SNAPSHOT = pd.Timestamp("2025-12-31")
REGIONS = {"West", "Central", "South", "East"}
STAGE_PROBABILITY = {"Qualify": 0.10, "Develop": 0.25, "Propose": 0.50, "Negotiate": 0.75}
STAGES = list(STAGE_PROBABILITY)
OPPS_FROM = pd.Timestamp("2024-07-01")  # history: opportunities closed from this day
# win rates by stage entered (data/README.md: 25-35% from Qualify, 65-80% from Negotiate)
WIN_RATE = {
    "Qualify": (0.25, 0.35),
    "Develop": (0.35, 0.55),
    "Propose": (0.50, 0.70),
    "Negotiate": (0.65, 0.80),
}


# ---------------------------------------------------------------------------
# (a) regeneration gives the same bytes
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_make_sample_regenerates_every_file_bit_for_bit(tmp_path):
    out = tmp_path / "sample"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"make_sample.py failed:\n{proc.stdout}\n{proc.stderr}"
    mid = tmp_path / "sample-2025-06-30"
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert sorted(p.name for p in mid.iterdir()) == sorted(MID_YEAR_FILES)
    assert sorted(p.name for p in SAMPLE.iterdir()) == sorted(FILES), (
        "data/sample/ holds other files than the script writes"
    )
    assert sorted(p.name for p in MID_YEAR.iterdir()) == sorted(MID_YEAR_FILES), (
        "data/sample-2025-06-30/ holds other files than the script writes"
    )
    differ = []
    pairs = [(out / n, SAMPLE / n) for n in FILES] + [
        (mid / n, MID_YEAR / n) for n in MID_YEAR_FILES
    ]
    for new_path, old_path in pairs:
        name = f"{old_path.parent.name}/{old_path.name}"
        new, old = new_path.read_bytes(), old_path.read_bytes()
        if new != old:
            first = next(
                (i for i, (x, y) in enumerate(zip(new, old, strict=False)) if x != y),
                min(len(new), len(old)),
            )
            line = old[:first].count(b"\n") + 1
            differ.append(
                f"{name} (first difference at byte {first}, line {line}; "
                f"{len(new)} bytes regenerated vs {len(old)} committed)"
            )
    assert not differ, (
        "regenerated files differ from data/: "
        + "; ".join(differ)
        + (
            ". Run `.venv/bin/python data/make_sample.py` and commit the result if the change "
            "is intended."
        )
    )


# ---------------------------------------------------------------------------
# (b) plausibility of the shipped data
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def book():
    ids = {"unit_id": str, "home_unit": str, "rep_id": str, "account_id": str}
    units = pd.read_csv(SAMPLE / "units.csv", dtype=ids)
    reps = pd.read_csv(SAMPLE / "reps.csv", dtype=ids, parse_dates=["hire_date", "term_date"])
    accounts = pd.read_csv(SAMPLE / "accounts.csv", dtype=ids)
    bookings = pd.read_csv(SAMPLE / "bookings.csv", dtype=ids, parse_dates=["date"])
    pipeline = pd.read_csv(
        SAMPLE / "pipeline.csv",
        dtype={**ids, "deal_id": str, "status": str},
        parse_dates=["created_date", "expected_close_date", "closed_date"],
    )
    stages = pd.read_csv(SAMPLE / "stage_history.csv", parse_dates=["date", "expected_close_date"])
    meta = yaml.safe_load((SAMPLE / "book.yaml").read_text(encoding="utf-8"))
    return {
        "units": units,
        "reps": reps,
        "accounts": accounts,
        "bookings": bookings,
        "pipeline": pipeline,
        "stages": stages,
        "meta": meta,
    }


def test_columns_follow_the_data_format(book):
    required = {
        "units": ["unit_id", "name", "state", "lat", "lon", "labor_force"],
        "reps": [
            "rep_id",
            "name",
            "region",
            "role",
            "home_unit",
            "home_name",
            "home_lat",
            "home_lon",
            "hire_date",
            "term_date",
            "base_salary",
            "target_incentive",
        ],
        "accounts": [
            "account_id",
            "name",
            "unit_id",
            "state",
            "lat",
            "lon",
            "segment",
            "industry",
            "potential",
            "workload",
            "rep_id",
        ],
        "bookings": ["deal_id", "date", "account_id", "rep_id", "amount", "product"],
        "pipeline": [
            "opportunity_id",
            "account_id",
            "rep_id",
            "product",
            "stage",
            "amount",
            "probability",
            "created_date",
            "expected_close_date",
        ],
    }
    for table, cols in required.items():
        missing = set(cols) - set(book[table].columns)
        assert not missing, f"{table}.csv lacks {sorted(missing)}"


def test_book_yaml(book):
    meta = book["meta"]
    assert meta["currency"] == "USD"
    assert str(meta["snapshot_date"]) == "2025-12-31"
    for key in ("name", "description", "source"):
        assert isinstance(meta[key], str) and meta[key].strip(), key


def test_ids_are_unique_and_not_empty(book):
    for table, col in [
        ("units", "unit_id"),
        ("reps", "rep_id"),
        ("accounts", "account_id"),
        ("bookings", "deal_id"),
        ("pipeline", "opportunity_id"),
    ]:
        s = book[table][col]
        assert s.notna().all() and (s.str.len() > 0).all(), f"{table}.{col} has empty ids"
        assert s.is_unique, f"{table}.{col} has duplicates: {s[s.duplicated()].head().tolist()}"


def test_units_are_contiguous_us_counties(book):
    units = book["units"]
    assert 3000 <= len(units) <= 3200
    assert units["unit_id"].str.fullmatch(r"\d{5}").all()
    assert not set(units["state"]) & {"AK", "HI", "PR", "VI", "GU", "AS", "MP"}
    assert units["state"].nunique() == 49  # 48 contiguous states and DC
    assert (units["labor_force"] > 0).all()
    # contiguous US bounding box
    assert units["lat"].between(24.0, 50.0).all() and units["lon"].between(-125.0, -66.0).all()
    assert 140e6 < units["labor_force"].sum() < 165e6  # 2009 US labor force about 154 M


def test_about_80_current_reps_in_4_regions(book):
    reps = book["reps"]
    current = reps[reps["term_date"].isna()]
    assert 75 <= len(current) <= 85
    assert set(current["region"]) == REGIONS
    assert (reps["role"] == "AE").all()
    # regions are sets of states: an account's rep is always of the account's state's region
    acc = book["accounts"]
    acc_region = acc["rep_id"].map(reps.set_index("rep_id")["region"])
    per_state = acc_region.groupby(acc["state"]).nunique()
    assert (per_state == 1).all(), per_state[per_state > 1]
    state_region = acc_region.groupby(acc["state"]).first()
    assert set(state_region.index) == set(book["units"]["state"])
    # current reps per region roughly proportional to the region's labor force
    lf = book["units"].groupby(book["units"]["state"].map(state_region))["labor_force"].sum()
    expected = lf / lf.sum() * len(current)
    actual = current.groupby("region").size()
    assert ((actual - expected.reindex(actual.index)).abs() <= 3).all(), (actual, expected)


def test_rep_home_bases_are_real_counties(book):
    reps, units = book["reps"], book["units"].set_index("unit_id")
    assert reps["home_unit"].isin(units.index).all()
    home = units.loc[reps["home_unit"]]
    assert np.allclose(reps["home_lat"], home["lat"]) and np.allclose(reps["home_lon"], home["lon"])
    assert (reps["home_name"] == home["name"].to_numpy() + ", " + home["state"].to_numpy()).all()


def test_pay_is_60_40_around_150k(book):
    reps = book["reps"]
    ote = reps["base_salary"] + reps["target_incentive"]
    assert 135_000 <= ote.mean() <= 165_000
    assert ote.between(100_000, 220_000).all()
    assert (reps["base_salary"] / ote).between(0.57, 0.63).all()
    assert (reps["base_salary"] % 500 == 0).all() and (reps["target_incentive"] % 500 == 0).all()


def test_workforce_history(book):
    reps = book["reps"]
    assert (reps["term_date"].isna() | (reps["term_date"] >= reps["hire_date"])).all()
    left = reps[reps["term_date"].notna()]
    joined = reps[reps["hire_date"].between(HISTORY_START, SNAPSHOT)]
    assert len(left) >= 3, "at least 3 reps should leave during the history"
    assert len(joined) >= 3, "at least 3 reps should join during the history"
    assert left["term_date"].between(HISTORY_START, SNAPSHOT).all()
    assert (reps["hire_date"] < HISTORY_START).mean() > 0.8, "most reps hired before 2023"
    # every leaver is replaced at the same home base after a 1-3 month vacancy
    for _, r in left.iterrows():
        after = joined[
            (joined["home_unit"] == r["home_unit"]) & (joined["hire_date"] > r["term_date"])
        ]
        lag = (after["hire_date"] - r["term_date"]).dt.days
        assert lag.between(28, 95).any(), f"{r['rep_id']} has no replacement 1-3 months later"


def test_about_8000_accounts_spread_by_labor_force(book):
    acc, units = book["accounts"], book["units"]
    assert 7500 <= len(acc) <= 8500
    assert acc["unit_id"].isin(units["unit_id"]).all()
    per_state = acc.groupby("state").size()
    lf = units.groupby("state")["labor_force"].sum()
    corr = np.corrcoef(per_state.reindex(lf.index, fill_value=0), lf)[0, 1]
    assert corr > 0.9, f"accounts per state vs labor force: correlation {corr:.3f}"
    # account positions: inside ~0.1 degree of their county's centroid
    u = units.set_index("unit_id").loc[acc["unit_id"]]
    assert np.abs(acc["lat"].to_numpy() - u["lat"].to_numpy()).max() <= 0.1
    assert np.abs(acc["lon"].to_numpy() - u["lon"].to_numpy()).max() <= 0.1
    assert (acc["state"].to_numpy() == u["state"].to_numpy()).all()


def test_account_segments_and_values(book):
    acc = book["accounts"]
    share = acc["segment"].value_counts(normalize=True)
    for seg, target in {"Enterprise": 0.10, "Mid-Market": 0.30, "SMB": 0.60}.items():
        assert abs(share[seg] - target) < 0.03, (seg, share[seg])
    med = acc.groupby("segment")["potential"].median()
    assert 250_000 < med["Enterprise"] < 600_000
    assert 50_000 < med["Mid-Market"] < 120_000
    assert 8_000 < med["SMB"] < 25_000
    wl = acc.groupby("segment")["workload"].mean()
    assert wl["Enterprise"] > wl["Mid-Market"] > wl["SMB"] > 0
    assert 6 <= acc["industry"].nunique() <= 10
    assert (acc["potential"] >= 0).all() and (acc["workload"] >= 0).all()
    assert acc["name"].notna().all()


def test_every_current_rep_has_accounts_and_only_current_reps_do(book):
    reps, acc = book["reps"], book["accounts"]
    current = set(reps.loc[reps["term_date"].isna(), "rep_id"])
    assert acc["rep_id"].notna().all()
    assert set(acc["rep_id"]) == current


def test_bookings_reference_existing_ids_and_are_positive(book):
    bk = book["bookings"]
    assert bk["account_id"].isin(book["accounts"]["account_id"]).all()
    assert bk["rep_id"].isin(book["reps"]["rep_id"]).all()
    assert np.isfinite(bk["amount"]).all() and (bk["amount"] > 0).all()
    assert bk["product"].notna().all() and bk["product"].nunique() >= 2


def test_bookings_cover_three_calendar_years(book):
    bk = book["bookings"]
    assert set(bk["date"].dt.year) == {2023, 2024, 2025}
    assert bk["date"].min() < pd.Timestamp("2023-01-15")
    assert bk["date"].max() > pd.Timestamp("2025-12-15")
    assert bk["date"].max() <= SNAPSHOT
    assert 10_000 <= len(bk) <= 25_000
    # slight growth: each year books more than the one before, but not wildly more
    per_year = bk.groupby(bk["date"].dt.year)["amount"].sum()
    growth = per_year.pct_change().dropna()
    assert growth.between(0.0, 0.25).all(), per_year


def test_every_booking_rep_was_employed_on_the_deal_date(book):
    bk = book["bookings"].merge(book["reps"][["rep_id", "hire_date", "term_date"]], on="rep_id")
    employed = bk["term_date"].isna() | (bk["date"] <= bk["term_date"])
    ok = (bk["date"] >= bk["hire_date"]) & employed
    bad = bk.loc[~ok, ["deal_id", "date", "rep_id", "hire_date", "term_date"]]
    assert bad.empty, f"deals booked by a rep not employed that day:\n{bad.head()}"


def test_q4_is_the_heaviest_quarter(book):
    bk = book["bookings"]
    q4 = bk.loc[bk["date"].dt.quarter == 4, "amount"].sum() / bk["amount"].sum()
    assert q4 > 0.25, f"Q4 share {q4:.1%}"
    by_q = bk.groupby(bk["date"].dt.quarter)["amount"].sum()
    assert by_q.idxmax() == 4


def _full_year_rep_years(book) -> pd.DataFrame:
    """Bookings and deal count of reps employed all year and ramped (hired 9+ months before)."""
    reps, bk = book["reps"], book["bookings"]
    rows = []
    for year in (2023, 2024, 2025):
        start, end = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
        ramped = reps[
            (reps["hire_date"] <= start - pd.DateOffset(months=9))
            & (reps["term_date"].isna() | (reps["term_date"] >= end))
        ]
        in_year = bk[bk["date"].dt.year == year].groupby("rep_id")["amount"].agg(["sum", "size"])
        in_year = in_year.reindex(ramped["rep_id"], fill_value=0)
        rows.append(
            pd.DataFrame(
                {
                    "year": year,
                    "rep_id": ramped["rep_id"].to_numpy(),
                    "bookings": in_year["sum"].to_numpy(),
                    "deals": in_year["size"].to_numpy(),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_ramped_rep_productivity_matches_the_target_scale(book):
    fy = _full_year_rep_years(book)
    assert len(fy) >= 150
    mean = fy["bookings"].mean()
    assert 1.3e6 <= mean <= 1.7e6, f"mean ramped rep bookings {mean:,.0f}"  # target 1.4-1.6 M
    assert 20 <= fy["deals"].mean() <= 60, fy["deals"].mean()
    # compensation cost of sales about 9-10%: current OTE / last year's bookings
    reps = book["reps"]
    current = reps[reps["term_date"].isna()]
    ote = (current["base_salary"] + current["target_incentive"]).sum()
    bk = book["bookings"]
    revenue_2025 = bk.loc[bk["date"].dt.year == 2025, "amount"].sum()
    assert 0.07 <= ote / revenue_2025 <= 0.13


def test_reps_differ_in_skill(book):
    fy = _full_year_rep_years(book)
    lo, hi = fy["bookings"].quantile([0.1, 0.9])
    top = fy.loc[fy["bookings"] >= hi, "bookings"].mean()
    bottom = fy.loc[fy["bookings"] <= lo, "bookings"].mean()
    assert top / bottom > 2, f"top/bottom decile ratio {top / bottom:.2f}"


def test_new_hires_ramp(book):
    reps, bk = book["reps"], book["bookings"]
    hires = reps[reps["hire_date"].between(HISTORY_START, SNAPSHOT - pd.DateOffset(months=12))]
    assert len(hires) >= 3
    first_q, fourth_q = 0.0, 0.0
    for _, r in hires.iterrows():
        d = bk.loc[bk["rep_id"] == r["rep_id"], "date"]
        months = (d - r["hire_date"]).dt.days / 30.44
        first_q += (months < 3).sum()
        fourth_q += ((months >= 9) & (months < 12)).sum()
    assert first_q < fourth_q, "new hires should book less in their first quarter than later"


def test_pipeline(book):
    """The open pipeline at the snapshot (the rows of status open)."""
    assert set(book["pipeline"]["status"]) == {"open", "won", "lost"}
    pl = book["pipeline"][book["pipeline"]["status"] == "open"]
    assert pl["closed_date"].isna().all() and pl["deal_id"].isna().all()
    assert 1500 <= len(pl) <= 2500
    assert pl["account_id"].isin(book["accounts"]["account_id"]).all()
    reps = book["reps"]
    assert pl["rep_id"].isin(reps.loc[reps["term_date"].isna(), "rep_id"]).all()
    owner = book["accounts"].set_index("account_id")["rep_id"]
    assert (pl["rep_id"].to_numpy() == owner.loc[pl["account_id"]].to_numpy()).all()
    assert np.isfinite(pl["amount"]).all() and (pl["amount"] > 0).all()
    assert pl["probability"].between(0, 1).all()
    assert set(pl["stage"]) == set(STAGE_PROBABILITY)
    assert np.allclose(pl["probability"], pl["stage"].map(STAGE_PROBABILITY))
    assert (pl["created_date"] <= SNAPSHOT).all()
    assert (pl["expected_close_date"] >= pl["created_date"]).all()
    assert (pl["expected_close_date"].dt.year == 2026).all()


# ---------------------------------------------------------------------------
# (c) the loader finds nothing implausible in it
# ---------------------------------------------------------------------------


def test_the_sample_book_loads_without_a_plausibility_warning():
    import warnings

    from spm_sim.book import load_sample
    from spm_sim.errors import PlausibilityWarning, strict_checks

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        book = load_sample()
    assert not [str(w.message) for w in seen if issubclass(w.category, PlausibilityWarning)]
    # strict checks raise what would have warned: the sample book passes them too
    assert len(load_sample(strict=True).bookings) == len(book.bookings)
    with strict_checks():
        assert len(load_sample().reps) == len(book.reps)


# ---------------------------------------------------------------------------
# (d) the opportunity history: won and lost opportunities, stage history
# ---------------------------------------------------------------------------


def _closed(book) -> pd.DataFrame:
    pl = book["pipeline"]
    return pl[pl["status"] != "open"]


def test_the_open_pipeline_keeps_its_ids_and_the_history_follows_them(book):
    pl = book["pipeline"]
    assert list(pl["opportunity_id"]) == sorted(pl["opportunity_id"])
    open_ids = pl.loc[pl["status"] == "open", "opportunity_id"]
    assert list(open_ids) == [f"O{i:05d}" for i in range(1, len(open_ids) + 1)]
    assert (pl.loc[pl["status"] != "open", "opportunity_id"] > open_ids.max()).all()


def test_closed_opportunities_have_a_closed_date_in_the_window(book):
    closed = _closed(book)
    assert closed["closed_date"].between(OPPS_FROM, SNAPSHOT).all()
    assert (closed["closed_date"] >= closed["created_date"]).all()
    won = closed[closed["status"] == "won"]
    assert won["deal_id"].notna().all() and won["deal_id"].is_unique
    assert closed.loc[closed["status"] == "lost", "deal_id"].isna().all()
    # every opportunity's rep was employed when it was created
    reps = book["reps"].set_index("rep_id")
    term = reps["term_date"].reindex(closed["rep_id"]).to_numpy()
    created = closed["created_date"].to_numpy()
    assert not (pd.notna(term) & (created > term)).any()
    hired = reps["hire_date"].reindex(closed["rep_id"]).to_numpy()
    assert (created >= hired).all()


def test_every_booking_in_the_window_is_a_won_opportunity_with_its_values(book):
    won = _closed(book)
    won = won[won["status"] == "won"]
    bk = book["bookings"]
    in_window = bk[bk["date"] >= OPPS_FROM]
    assert set(won["deal_id"]) == set(in_window["deal_id"])
    both = won.merge(bk, on="deal_id", suffixes=("", "_deal"))
    assert len(both) == len(won)
    for col in ("account_id", "rep_id", "product"):
        assert (both[col] == both[f"{col}_deal"]).all(), col
    assert np.allclose(both["amount"], both["amount_deal"], rtol=0, atol=0.005)
    assert (both["closed_date"] == both["date"]).all()


def test_stage_history_agrees_with_the_pipeline(book):
    sh, pl = book["stages"], book["pipeline"].set_index("opportunity_id")
    assert set(sh["opportunity_id"]) == set(pl.index), "every opportunity has a stage history"
    assert set(sh["stage"]) == set(STAGES)
    order = sh["stage"].map(STAGES.index)
    by_opp = sh.assign(order=order).groupby("opportunity_id", sort=False)
    # stages entered forward, on increasing dates
    assert (by_opp["order"].diff().dropna() > 0).all()
    assert (by_opp["date"].diff().dropna() > pd.Timedelta(0)).all()
    first, last = (
        by_opp.head(1).set_index("opportunity_id"),
        by_opp.tail(1).set_index("opportunity_id"),
    )
    assert (first["date"] == pl.loc[first.index, "created_date"]).all()
    # the last row entered is the pipeline's view: stage, amount, expected close date
    p = pl.loc[last.index]
    assert (last["stage"] == p["stage"]).all()
    assert np.allclose(last["amount"], p["amount"], rtol=0, atol=0.005)
    assert (last["expected_close_date"] == p["expected_close_date"]).all()
    assert (sh["expected_close_date"] > sh["date"]).all()
    closed = p["closed_date"].notna()
    assert (last.loc[closed, "date"] < p.loc[closed, "closed_date"]).all()
    assert (last.loc[~closed, "date"] <= SNAPSHOT).all()
    # won opportunities close from Negotiate
    assert (p.loc[p["status"] == "won", "stage"] == "Negotiate").all()


def test_win_rates_by_stage_are_in_the_documented_ranges(book):
    closed = _closed(book)[["opportunity_id", "status"]]
    entered = book["stages"].merge(closed, on="opportunity_id")
    rate = entered.groupby("stage")["status"].apply(lambda s: (s == "won").mean())
    for stage, (lo, hi) in WIN_RATE.items():
        assert lo <= rate[stage] <= hi, (stage, rate[stage])
    assert rate.reindex(STAGES).is_monotonic_increasing, rate
    # losses early: a lost opportunity most often ends in Qualify
    lost = _closed(book)
    assert lost.loc[lost["status"] == "lost", "stage"].value_counts().idxmax() == "Qualify"


def test_expected_close_dates_are_optimistic_and_less_so_later(book):
    closed = _closed(book)
    won = closed.loc[closed["status"] == "won", ["opportunity_id", "closed_date"]]
    rows = book["stages"].merge(won, on="opportunity_id")
    slip = (rows["closed_date"] - rows["expected_close_date"]).dt.days
    median = slip.groupby(rows["stage"]).median().reindex(STAGES)
    assert (median > 0).all(), median  # deals close later than the date recorded
    assert median.is_monotonic_decreasing and median["Qualify"] > median["Negotiate"], median


def test_sales_cycles_are_months_and_longer_for_enterprise(book):
    closed = _closed(book)
    won = closed[closed["status"] == "won"].merge(
        book["accounts"][["account_id", "segment"]], on="account_id"
    )
    days = (won["closed_date"] - won["created_date"]).dt.days
    assert 55 <= days.median() <= 100, days.median()  # about 2-3 months
    by_seg = days.groupby(won["segment"]).median()
    assert by_seg["Enterprise"] > by_seg["Mid-Market"] > by_seg["SMB"], by_seg


def test_the_sample_loads_with_its_history():
    from spm_sim.book import load_sample

    book = load_sample()
    assert set(book.pipeline["status"]) == {"open", "won", "lost"}
    assert len(book.open_pipeline) == (book.pipeline["status"] == "open").sum() > 1500
    assert len(book.stage_history) > len(book.pipeline)


# ---------------------------------------------------------------------------
# (e) the mid-year snapshot
# ---------------------------------------------------------------------------


def test_the_mid_year_snapshot_is_the_sample_as_of_30_june():
    import pandas.testing as pdt

    from spm_sim.book import as_of, load_book, load_sample

    mid = load_book(MID_YEAR, strict=True)
    want = as_of(load_sample(), "2025-06-30")
    assert mid.name == "Cascade Instruments (as of 30 June 2025)"
    assert mid.snapshot_date == pd.Timestamp("2025-06-30")
    for table in ("reps", "accounts", "bookings", "pipeline", "stage_history", "units"):
        got, exp = getattr(mid, table), getattr(want, table)
        pdt.assert_frame_equal(got, exp, obj=f"{MID_YEAR.name}/{table}")
    assert mid.bookings["date"].max() <= pd.Timestamp("2025-06-30")
    assert (mid.pipeline["closed_date"].dropna() <= pd.Timestamp("2025-06-30")).all()


def test_the_mid_year_pipeline_shows_the_probability_of_its_stage_that_day():
    """Open rows must not carry the probability of the stage they end in (a leak)."""
    from spm_sim.book import load_book

    mid = load_book(MID_YEAR)
    open_rows = mid.open_pipeline
    assert np.allclose(open_rows["probability"], open_rows["stage"].map(STAGE_PROBABILITY))
