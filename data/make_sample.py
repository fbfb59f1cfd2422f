"""Regenerate the sample book in ``data/sample/`` (fictional "Cascade Instruments").

What it makes
-------------
Seven files that follow ``docs/data-format.md``:

* ``units.csv``     contiguous-US counties (real geography: Census TIGER/Line 2009
  polygons and BLS LAUS 2009 labor force, both shipped in the ``bokeh_sampledata``
  wheel, so nothing is downloaded);
* ``reps.csv``      about 80 current account executives in 4 regions plus the
  reps who left during the history, with home bases, hire/term dates and pay;
* ``accounts.csv``  about 8,000 fictional accounts spread over the counties in
  proportion to labor force, with segment, industry, potential, workload and
  current rep;
* ``bookings.csv``  closed-won deals from 2023-01-01 to 2025-12-31;
* ``pipeline.csv``  every opportunity: the open ones at the snapshot date 2025-12-31
  and the won and lost ones closed from 2024-07-01 (``status``, ``closed_date``,
  ``deal_id``);
* ``stage_history.csv`` one row per stage an opportunity entered, with the amount and
  expected close date recorded that day;
* ``book.yaml``     name, currency, snapshot date, description and source.

After the sample it writes ``data/sample-2025-06-30/``: the sample as of 2025-06-30
(``spm_sim.book.as_of`` and ``save_book``), so it needs the package installed.

How
---
Everything random comes from ``np.random.default_rng(SEED)`` and its child
streams (``.spawn()``), one stream per step, so changing one step does not shift
the others. Rows are sorted deterministically, numbers are written with fixed
formats (money to cents, coordinates to 5 decimals) and no file holds a
timestamp, so two runs write the same bytes. The model and its parameters are
the module constants below; ``data/README.md`` explains them.

1. Units: contiguous-US counties (48 states and DC), centroid of each polygon
   (shapely), labor force joined on FIPS. Counties without labor force are
   dropped (none are, with the 2026.1 wheel).
2. Regions by state (``REGION_STATES``); the 80 current seats are split over the
   regions in proportion to labor force (largest remainder).
3. Accounts: multinomial over counties by labor force; segment, industry,
   lognormal potential and workload by segment; position = county centroid plus
   a small jitter.
4. Home bases: per region, the counties are cut in two along their longer axis
   at the labor-force share of the seats each side gets, recursively, until each
   part has one seat; the home is a weighted draw (labor force) among the part's
   3 largest counties. Counties larger than a seat's share enter as several
   pieces, so a big metro can hold several reps sharing a home county.
5. Current alignment: each account goes to the seat of its region with the
   smallest great-circle distance times a lognormal noise, and 3% go to a
   random seat of the region, so the alignment is plausible but imperfect.
6. Workforce history: in three regions (drawn by labor force) a seat is added in
   2024-2025 by splitting the region's largest territory (growth hire); five
   incumbents (weaker reps more likely) leave, their seat stays vacant 1-3 months
   (the nearest stable seat's rep books the vacant territory's deals at 25% of the
   normal rate), then a replacement inherits the territory and ramps.
7. Bookings: per coverage piece (seat, covering rep, dates) and business day a
   Poisson count with a gamma rep-month factor (negative binomial by month) whose
   rate is skill^0.6 x (territory potential / mean)^0.4 x month weight x
   quarter-end push x ramp (25/50/75/100% by quarter) x 8%/yr growth; each deal
   goes to an account of the territory (weight potential^0.5) and gets a product
   and a lognormal size by segment and product (x potential^0.5, x skill^0.4).
8. Pipeline: open opportunities of the current reps, stage-dependent age,
   probability and expected close in 2026.
9. Opportunity history (its own stream, spawned after the first seven so the
   files above keep their bytes): a stage process with a lognormal time to advance
   and a Weibull time to loss in each stage; every booking closed from 2024-07-01 is
   a won opportunity (path drawn given a win), lost ones are opened next to the
   won ones at the model's rate of losses per win; optimistic expected close dates
   and drifting amounts recorded at each stage entry; the open pipeline gets a
   stage history that ends in its current stage and values.

Run
---
From the repository root::

    .venv/bin/python data/make_sample.py [--out data/sample]

It needs numpy, pandas, shapely and bokeh_sampledata (the ``data`` extra) and
takes about a second.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 7  # chosen among seeds 1-20 as the draw closest to the targets (data/README.md)

HISTORY_START = dt.date(2023, 1, 1)
SNAPSHOT = dt.date(2025, 12, 31)  # history ends, pipeline is taken
PLAN_END = dt.date(2026, 12, 31)

# --- geography -------------------------------------------------------------
REGION_STATES = {
    "West": ["AZ", "CA", "CO", "ID", "MT", "NM", "NV", "OR", "UT", "WA", "WY"],
    "Central": ["IA", "IL", "IN", "KS", "MI", "MN", "MO", "ND", "NE", "OH", "SD", "WI"],
    "South": ["AL", "AR", "FL", "GA", "KY", "LA", "MS", "NC", "OK", "SC", "TN", "TX"],
    "East": ["CT", "DC", "DE", "MA", "MD", "ME", "NH", "NJ", "NY", "PA", "RI", "VA", "VT", "WV"],
}
REGIONS = list(REGION_STATES)

# --- sales force -----------------------------------------------------------
N_CURRENT_REPS = 80
N_GROWTH_HIRES = 3  # seats added in 2024-2025 by splitting a territory
N_LEAVERS = 5  # incumbents who leave during the history and are replaced
GROWTH_MIN_KM = 30.0  # a growth seat's home is at least this far from other homes
HOME_WEIGHT_POWER = 1.0
HOME_TOP = 3  # home drawn among the 3 largest counties of its part of the region
VACANCY_DAYS = (30, 92)  # backfill lag, uniform integer days [lo, hi)
VACANCY_COVER = 0.25  # share of the normal deal rate a neighbour books in a vacancy
OTE_BASE, OTE_PER_YEAR, OTE_MAX_YEARS, OTE_SD = 128_000, 4_500, 8, 6_000
PAY_MIX_BASE = 0.60

# --- accounts --------------------------------------------------------------
N_ACCOUNTS = 8000
SEGMENTS = ["Enterprise", "Mid-Market", "SMB"]
SEGMENT_SHARE = [0.10, 0.30, 0.60]
POTENTIAL_MEDIAN = {"Enterprise": 400_000, "Mid-Market": 80_000, "SMB": 15_000}
POTENTIAL_SIGMA = {"Enterprise": 0.6, "Mid-Market": 0.5, "SMB": 0.5}
WORKLOAD_HOURS = {"Enterprise": 60.0, "Mid-Market": 25.0, "SMB": 8.0}
WORKLOAD_SIGMA = 0.25
JITTER_SD_DEG, JITTER_MAX_DEG = 0.04, 0.09
INDUSTRIES = {  # share, name stems
    "Manufacturing": (0.20, ["Manufacturing", "Fabrication", "Machine Works", "Plastics",
                             "Components", "Tooling"]),
    "Healthcare": (0.15, ["Health", "Medical Group", "Clinics", "Care Partners", "Diagnostics",
                          "Orthopedics"]),
    "Financial Services": (0.14, ["Credit Union", "Bancorp", "Financial", "Insurance",
                                  "Capital", "Trust"]),
    "Retail": (0.13, ["Outfitters", "Markets", "Home Goods", "Retail Group", "Grocers",
                      "Apparel"]),
    "Technology": (0.15, ["Software", "Systems", "Networks", "Data", "Labs", "Robotics"]),
    "Energy & Utilities": (0.08, ["Energy", "Power", "Utilities", "Solar", "Water Works",
                                  "Pipeline"]),
    "Public Sector": (0.05, ["School District", "Water Authority", "Transit Authority",
                             "Port Authority", "Library System", "Housing Authority"]),
    "Transportation & Logistics": (0.10, ["Logistics", "Freight", "Transport",
                                          "Distribution", "Trucking", "Cold Storage"]),
}
NAME_HEADS = ["Ash", "Birch", "Cobalt", "Dun", "Elk", "Fern", "Gull", "Hollow", "Iron",
              "Juniper", "Kestrel", "Larch", "Marl", "Nettle", "Osprey", "Quarry", "Rook",
              "Sable", "Thistle", "Umber", "Vale", "Wren", "Yarrow", "Bram", "Copper",
              "Heron", "Lumen", "Moss", "Pell", "Tamar"]
NAME_TAILS = ["brook", "field", "ford", "gate", "haven", "mere", "mont", "ridge", "stone",
              "wick", "wood", "crest"]
COMPANY_SUFFIXES = ["", " Inc.", " LLC", " Co.", " Corp."]

# --- territory alignment ---------------------------------------------------
ALIGN_NOISE_SIGMA = 0.25  # lognormal factor on distance
ALIGN_RANDOM_SHARE = 0.03  # accounts held by a random seat of the region

# --- bookings --------------------------------------------------------------
SKILL_SIGMA = 0.35  # rep skill ~ lognormal(mean 1, sd of log 0.35)
SKILL_COUNT_POWER = 0.6  # skill acts on deal count^0.6 and deal size^0.4
DEALS_PER_YEAR = 54.0  # a ramped rep of skill 1 in an average territory, 2023 level
TERRITORY_POWER = 0.4  # deal rate ~ (territory potential / mean seat potential)^0.4
ACCOUNT_PICK_POWER = 0.5  # deals go to accounts with weight potential^0.5
GROWTH_PER_YEAR = 0.08
MONTH_WEIGHTS = [0.60, 0.75, 1.10, 0.75, 0.85, 1.15, 0.75, 0.80, 1.20, 0.95, 1.10, 1.80]
QUARTER_END_DAYS, QUARTER_END_BOOST = 7, 2.0  # last days of Mar/Jun/Sep/Dec weigh more
RAMP_BY_QUARTER = [0.25, 0.50, 0.75, 1.00]  # productivity by quarter of tenure
REP_MONTH_GAMMA_SHAPE = 4.0  # overdispersion of monthly deal counts
PRODUCTS = ["Platform", "Analytics", "Services"]
PRODUCT_SHARE = {  # by segment
    "Enterprise": [0.45, 0.30, 0.25],
    "Mid-Market": [0.40, 0.40, 0.20],
    "SMB": [0.35, 0.45, 0.20],
}
DEAL_MEDIAN = {  # $ median deal by segment and product (Platform, Analytics, Services)
    "Enterprise": [59_000, 27_000, 12_500],
    "Mid-Market": [15_000, 8_500, 4_300],
    "SMB": [4_300, 2_500, 1_200],
}
DEAL_POTENTIAL_POWER = 0.5  # deal size x (account potential / segment median)^0.5
DEAL_SIGMA = 0.80
DEAL_MIN, DEAL_MAX_OF_POTENTIAL = 500.0, 2.0

# --- pipeline --------------------------------------------------------------
PIPELINE_MONTHS = 4.0  # open opportunities = this many months of deals ...
PIPELINE_COVERAGE = 1.20  # ... times this factor
PIPELINE_AMOUNT_OPTIMISM = 1.15
STAGES = ["Qualify", "Develop", "Propose", "Negotiate"]
STAGE_SHARE = [0.35, 0.30, 0.20, 0.15]
STAGE_PROBABILITY = [0.10, 0.25, 0.50, 0.75]
STAGE_AGE_DAYS = [(3, 60), (20, 120), (40, 180), (60, 240)]  # created before snapshot
STAGE_CLOSE_DAYS = [(45, 240), (30, 170), (15, 110), (3, 60)]  # close after snapshot

# --- opportunity history (won and lost opportunities, stage history) -------
OPPS_FROM = dt.date(2024, 7, 1)  # opportunities closed on or after this day are written
MID_YEAR = dt.date(2025, 6, 30)  # the mid-year snapshot data/sample-2025-06-30/
START_SHARE = [0.80, 0.15, 0.05]  # a new opportunity enters at Qualify/Develop/Propose
# days to move on from each stage (Negotiate: to win), lognormal, for a Mid-Market deal
ADVANCE_MEDIAN_DAYS = [25.0, 31.0, 28.0, 20.0]
ADVANCE_SIGMA = 0.6
CYCLE_FACTOR = {"Enterprise": 1.6, "Mid-Market": 1.0, "SMB": 0.75}  # times every duration
# loss: Weibull time to loss in each stage (shape 2: the hazard grows with age in stage),
# its scale solved so that an opportunity leaves each stage forward with these chances
LOSS_SHAPE = 2.0
ADVANCE_CHANCE = [0.67, 0.74, 0.78, 0.78]  # win from Qualify 0.30, Negotiate 0.78
# expected close recorded on entering a stage = entry + the true time left to a win x a
# lognormal optimism factor with these medians (log-sd OPTIMISM_SIGMA)
OPTIMISM = [0.55, 0.65, 0.75, 0.85]
OPTIMISM_SIGMA = 0.3
# amount recorded on entering a stage = final amount x exp(normal(mean, sd))
AMOUNT_DRIFT = [(0.15, 0.15), (0.10, 0.10), (0.05, 0.05), (0.0, 0.0)]
STAGE_OPEN_JITTER_DAYS = 14  # a lost opportunity is opened within +-14 days of its template
ACCOUNT_NEIGHBOURS = 8  # ... on an account of one of the rep's 8 deals either side of it

FIRST_NAMES = ["Aiden", "Amara", "Bianca", "Caleb", "Camila", "Dario", "Delphine", "Elias",
               "Esme", "Farah", "Felix", "Greta", "Hugo", "Imani", "Ivo", "Jasper", "Jolene",
               "Kai", "Kiona", "Lars", "Leona", "Malik", "Mirela", "Nadia", "Nico", "Odette",
               "Omar", "Priya", "Quentin", "Rafael", "Rosalind", "Soren", "Talia", "Teodor",
               "Uma", "Vera", "Wendell", "Xiomara", "Yusuf", "Zora", "Beatrix", "Cormac",
               "Dagny", "Emeric", "Flora", "Gideon", "Hana", "Ines", "Jonas", "Keziah"]
LAST_NAMES = ["Abernathy", "Brannigan", "Castellano", "Dovrenko", "Eskildsen", "Falconer",
              "Gallardo", "Halvorsen", "Ibarrola", "Jankowski", "Kettleby", "Lindqvist",
              "Marchetti", "Nakashima", "Okonkwo", "Pemberton", "Quintero", "Rautio",
              "Sandoval", "Thorvaldsen", "Underhill", "Valcourt", "Whitcombe", "Yamazaki",
              "Zielinski", "Achterberg", "Bellweather", "Cordova", "Delacroix", "Ellingsen",
              "Fairbanks", "Grimaldi", "Hargreave", "Iversen", "Kowalczyk", "Lockhart",
              "Moravec", "Novak", "Oyelaran", "Petrakis", "Rasmussen", "Stroud", "Tanaka",
              "Vasquez", "Wexford", "Yilmaz", "Aldana", "Brightwater", "Cheung", "Drummond"]

EARTH_RADIUS_KM = 6371.0


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km; broadcasts over numpy arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def business_days(start: dt.date, end: dt.date) -> pd.DatetimeIndex:
    """Mon-Fri between start and end inclusive, without Jan 1 and Dec 25."""
    days = pd.bdate_range(start, end)
    keep = ~(((days.month == 1) & (days.day == 1)) | ((days.month == 12) & (days.day == 25)))
    return days[keep]


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    quota = total * weights / weights.sum()
    base = np.floor(quota).astype(int)
    order = np.argsort(-(quota - base), kind="stable")
    base[order[: total - base.sum()]] += 1
    return base


def add_days(d: dt.date, n: int) -> dt.date:
    return d + dt.timedelta(days=int(n))


def next_business_day(d: dt.date) -> dt.date:
    while d.weekday() >= 5:
        d = add_days(d, 1)
    return d


def prev_business_day(d: dt.date) -> dt.date:
    while d.weekday() >= 5:
        d = add_days(d, -1)
    return d


def fmt_money(x: float) -> str:
    return f"{x:.2f}"


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write every cell as already formatted text, '\\n' line ends, minimal quoting."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(list(df.columns))
    for row in df.itertuples(index=False, name=None):
        w.writerow(row)
    path.write_bytes(buf.getvalue().encode("utf-8"))


# ---------------------------------------------------------------------------
# 1. units
# ---------------------------------------------------------------------------


def load_units() -> tuple[pd.DataFrame, int]:
    """Contiguous-US counties with centroid and 2009 labor force.

    Returns the units and the number of counties dropped for lack of labor force.
    """
    from bokeh_sampledata import package_path, us_counties

    state_region = {s: r for r, states in REGION_STATES.items() for s in states}
    labor = {}
    with gzip.open(package_path("unemployment09.csv.gz"), "rt", encoding="utf-8") as f:
        for row in csv.reader(f):
            fips = row[1].strip().zfill(2) + row[2].strip().zfill(3)
            labor[fips] = int(row[5].replace(",", "").strip())
    rows, dropped = [], 0
    for rec in us_counties.records():
        if rec["state"] not in state_region:
            continue
        if rec["fips"] not in labor:
            dropped += 1
            continue
        c = rec["geometry"].centroid
        rows.append(
            {
                "unit_id": rec["fips"],
                "name": rec["detailed_name"].rsplit(", ", 1)[0],
                "state": rec["state"],
                "lat": round(c.y, 5),
                "lon": round(c.x, 5),
                "labor_force": labor[rec["fips"]],
                "region": state_region[rec["state"]],
            }
        )
    units = pd.DataFrame(rows).sort_values("unit_id", kind="stable").reset_index(drop=True)
    return units, dropped


# ---------------------------------------------------------------------------
# 3. accounts
# ---------------------------------------------------------------------------


def make_accounts(units: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    lf = units["labor_force"].to_numpy(float)
    counts = rng.multinomial(N_ACCOUNTS, lf / lf.sum())
    u = np.repeat(np.arange(len(units)), counts)
    n = len(u)
    seg = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_SHARE)
    ind_names = list(INDUSTRIES)
    ind_share = np.array([INDUSTRIES[k][0] for k in ind_names])
    ind = rng.choice(len(ind_names), size=n, p=ind_share / ind_share.sum())
    seg_names = np.array(SEGMENTS)[seg]
    med = np.array([POTENTIAL_MEDIAN[s] for s in seg_names])
    sig = np.array([POTENTIAL_SIGMA[s] for s in seg_names])
    potential = np.round(med * np.exp(sig * rng.standard_normal(n)), -2)
    wl = np.array([WORKLOAD_HOURS[s] for s in seg_names])
    workload = np.round(wl * np.exp(WORKLOAD_SIGMA * rng.standard_normal(n)), 1)
    jit = np.clip(rng.normal(0.0, JITTER_SD_DEG, size=(n, 2)), -JITTER_MAX_DEG, JITTER_MAX_DEG)
    lat = np.round(units["lat"].to_numpy()[u] + jit[:, 0], 5)
    lon = np.round(units["lon"].to_numpy()[u] + jit[:, 1], 5)

    # fictional names: (head+tail) + industry stem (+ company suffix), unique
    prefixes = [h + t for h in NAME_HEADS for t in NAME_TAILS]
    names = np.empty(n, dtype=object)
    for k, iname in enumerate(ind_names):
        idx = np.flatnonzero(ind == k)
        stems = INDUSTRIES[iname][1]
        sufs = [""] if iname == "Public Sector" else COMPANY_SUFFIXES
        pool = len(prefixes) * len(stems) * len(sufs)
        if len(idx) > pool:
            raise RuntimeError(f"name pool too small for {iname}")
        pick = rng.choice(pool, size=len(idx), replace=False)
        p_i, rest = np.divmod(pick, len(stems) * len(sufs))
        s_i, x_i = np.divmod(rest, len(sufs))
        for j, a in enumerate(idx):
            names[a] = f"{prefixes[p_i[j]]} {stems[s_i[j]]}{sufs[x_i[j]]}"

    acc = pd.DataFrame(
        {
            "account_id": [f"A{i + 1:05d}" for i in range(n)],
            "name": names,
            "unit": u,
            "unit_id": units["unit_id"].to_numpy()[u],
            "state": units["state"].to_numpy()[u],
            "region": units["region"].to_numpy()[u],
            "lat": lat,
            "lon": lon,
            "segment": seg_names,
            "industry": np.array(ind_names)[ind],
            "potential": potential,
            "workload": workload,
        }
    )
    return acc


# ---------------------------------------------------------------------------
# 4-5. home bases, seats and alignment
# ---------------------------------------------------------------------------


def pick_homes(units_r: pd.DataFrame, n: int, rng: np.random.Generator) -> list[int]:
    """Indices (into units) of n spread-out home counties among the large ones.

    The region's counties are cut in two along their longer axis at the labor-force
    share of the seats each side gets (n // 2 and n - n // 2), recursively, until a
    part has one seat; the home is then drawn among the part's HOME_TOP largest
    counties with weight labor force^HOME_WEIGHT_POWER (without replacement when a
    part gets several seats). A county with more labor force than a seat's share
    (Los Angeles, Cook, ...) enters as that many equal pieces at the same place, so
    a big metro can get several seats sharing one home county; the alignment noise
    then splits its accounts between them.
    """
    out: list[int] = []

    def split(part: pd.DataFrame, k: int) -> None:
        if k == 1 or len(part) == 1:
            top = part.sort_values(["labor_force", "unit_id"], ascending=[False, True],
                                   kind="stable").head(HOME_TOP)
            if k > len(top):
                out.extend([int(top.index[0])] * k)
                return
            w = top["labor_force"].to_numpy(float) ** HOME_WEIGHT_POWER
            pick = rng.choice(len(top), size=k, replace=False, p=w / w.sum())
            out.extend(int(top.index[i]) for i in pick)
            return
        k1 = k // 2
        lat = part["lat"].to_numpy()
        x = part["lon"].to_numpy() * np.cos(np.radians(lat.mean()))
        axis = lat if np.ptp(lat) > np.ptp(x) else x
        order = np.argsort(axis, kind="stable")
        cum = np.cumsum(part["labor_force"].to_numpy(float)[order])
        target = cum[-1] * k1 / k
        cut = int(np.argmin(np.abs(cum - target))) + 1  # first `cut` counties go left
        cut = min(max(cut, 1), len(part) - 1)
        split(part.iloc[order[:cut]], k1)
        split(part.iloc[order[cut:]], k - k1)

    # a county larger than a seat's share of labor force is cut into that many pieces
    # at the same place, so that a big metro can get several seats (shared home)
    worth = units_r["labor_force"].sum() / n
    pieces = np.maximum(1, np.floor(units_r["labor_force"].to_numpy() / worth + 0.5)).astype(int)
    expanded = units_r.loc[units_r.index.repeat(pieces)].copy()
    expanded["labor_force"] = expanded["labor_force"] / np.repeat(pieces, pieces)
    split(expanded, n)
    return out


def align(acc: pd.DataFrame, seats: pd.DataFrame, noise: np.ndarray, rand_seat: np.ndarray,
          use: np.ndarray) -> np.ndarray:
    """Seat index per account: noisy nearest home of the account's region among `use`."""
    d = haversine_km(acc["lat"].to_numpy()[:, None], acc["lon"].to_numpy()[:, None],
                     seats["home_lat"].to_numpy()[None, :], seats["home_lon"].to_numpy()[None, :])
    score = d * noise
    ok = (acc["region"].to_numpy()[:, None] == seats["region"].to_numpy()[None, :]) & use[None, :]
    score = np.where(ok, score, np.inf)
    out = np.argmin(score, axis=1)
    rnd = rand_seat >= 0
    out[rnd] = rand_seat[rnd]
    return out


def make_seats(units, acc, rng_homes, rng_align, rng_growth):
    lf_region = units.groupby("region")["labor_force"].sum().reindex(REGIONS).to_numpy(float)
    n_region = dict(zip(REGIONS, largest_remainder(N_CURRENT_REPS, lf_region), strict=True))
    growth_regions = list(
        rng_growth.choice(REGIONS, size=N_GROWTH_HIRES, replace=False,
                          p=lf_region / lf_region.sum())
    )
    rows = []
    for r in REGIONS:
        n_init = n_region[r] - (1 if r in growth_regions else 0)
        for h in pick_homes(units[units["region"] == r], n_init, rng_homes):
            rows.append({"region": r, "home": h, "growth": False})
    seats = pd.DataFrame(rows)
    # one noise draw per (account, seat slot) keeps pre- and post-split alignment consistent
    n_acc, n_slots = len(acc), N_CURRENT_REPS
    noise = np.exp(ALIGN_NOISE_SIGMA * rng_align.standard_normal((n_acc, n_slots)))
    is_rand = rng_align.random(n_acc) < ALIGN_RANDOM_SHARE
    rand_u = rng_align.random(n_acc)

    def rand_seats(seat_df):
        out = np.full(n_acc, -1)
        for a in np.flatnonzero(is_rand):
            cands = np.flatnonzero((seat_df["region"].to_numpy() == acc["region"].iat[a])
                                   & ~seat_df["growth"].to_numpy())
            out[a] = cands[int(rand_u[a] * len(cands))]
        return out

    def with_home(seat_df):
        s = seat_df.copy()
        s["home_lat"] = units["lat"].to_numpy()[s["home"]]
        s["home_lon"] = units["lon"].to_numpy()[s["home"]]
        return s

    seats = with_home(seats)
    pre = align(acc, seats, noise[:, : len(seats)], rand_seats(seats), np.ones(len(seats), bool))
    # growth seats: split the largest territory of each growth region
    pot = acc["potential"].to_numpy()
    terr_pot = np.bincount(pre, weights=pot, minlength=len(seats))
    unit_lat, unit_lon = units["lat"].to_numpy(), units["lon"].to_numpy()
    new_rows = []
    for r in REGIONS:
        if r not in growth_regions:
            continue
        in_r = np.flatnonzero(seats["region"].to_numpy() == r)
        parent = int(in_r[np.argmax(terr_pot[in_r])])
        # new home: among the 10 largest counties of the parent's cell (counties whose
        # centroid is nearest to the parent's home) at least GROWTH_MIN_KM from every
        # home, the one that splits the parent's potential closest to half; if none
        # takes a quarter (a single-county metro such as Phoenix) the new rep shares
        # the parent's home county and the two split its accounts
        homes = seats["home"].to_numpy()[in_r]
        ur = units[units["region"] == r]
        d = haversine_km(ur["lat"].to_numpy()[:, None], ur["lon"].to_numpy()[:, None],
                         unit_lat[homes][None, :], unit_lon[homes][None, :])
        cell = ur[(in_r[np.argmin(d, axis=1)] == parent) & (d.min(axis=1) >= GROWTH_MIN_KM)]
        cand = cell.sort_values(["labor_force", "unit_id"], ascending=[False, True],
                                kind="stable").head(10)
        home = int(seats["home"].iat[parent])
        if len(cand):
            mine = pre == parent
            a_lat, a_lon = acc["lat"].to_numpy()[mine], acc["lon"].to_numpy()[mine]
            d_par = haversine_km(a_lat, a_lon, unit_lat[home], unit_lon[home])
            d_new = haversine_km(a_lat[:, None], a_lon[:, None],
                                 cand["lat"].to_numpy()[None, :], cand["lon"].to_numpy()[None, :])
            moved = (pot[mine][:, None] * (d_new < d_par[:, None])).sum(axis=0)
            best = int(np.argmin(np.abs(moved - pot[mine].sum() / 2)))
            if moved[best] >= 0.25 * pot[mine].sum():
                home = int(cand.index[best])
        new_rows.append({"region": r, "home": home, "growth": True,
                         "parent": parent})
    seats = pd.concat([seats, pd.DataFrame(new_rows)], ignore_index=True)
    seats["parent"] = seats["parent"].fillna(-1).astype(int)
    seats = with_home(seats)
    cur = align(acc, seats, noise[:, : len(seats)], rand_seats(seats), np.ones(len(seats), bool))
    return seats, pre, cur


# ---------------------------------------------------------------------------
# 6. workforce history
# ---------------------------------------------------------------------------


def make_workforce(units, seats, rng):
    """Reps (one row per rep) with seat, hire/term dates, skill, pay and rep_id."""
    n_seats = len(seats)
    n_reps_total = n_seats + N_LEAVERS
    pairs = rng.choice(len(FIRST_NAMES) * len(LAST_NAMES), size=n_reps_total, replace=False)
    names = [f"{FIRST_NAMES[p // len(LAST_NAMES)]} {LAST_NAMES[p % len(LAST_NAMES)]}"
             for p in pairs]
    skill = np.exp(SKILL_SIGMA * rng.standard_normal(n_reps_total) - SKILL_SIGMA**2 / 2)
    # incumbents: tenure before 2023 (gamma, years)
    tenure_years = 0.2 + rng.gamma(2.0, 1.3, size=n_seats)
    growth_ix = np.flatnonzero(seats["growth"].to_numpy())
    growth_months = np.sort(rng.choice(np.arange(14, 30), size=len(growth_ix), replace=False))
    init_ix = np.flatnonzero(~seats["growth"].to_numpy())
    # weaker reps are more likely to leave: weight skill^-2
    w_leave = skill[init_ix] ** -2.0
    leaver_seats = np.sort(rng.choice(init_ix, size=N_LEAVERS, replace=False,
                                      p=w_leave / w_leave.sum()))
    leave_months = np.sort(rng.choice(np.arange(2, 33), size=N_LEAVERS, replace=False))
    leave_day = rng.integers(1, 29, size=N_LEAVERS)
    vacancy = rng.integers(*VACANCY_DAYS, size=N_LEAVERS)
    pay_noise = rng.normal(0.0, OTE_SD, size=n_reps_total)

    reps = []

    def month_date(m, day=1):  # m = months after 2023-01
        return dt.date(2023 + m // 12, m % 12 + 1, day)

    name_i = 0
    for s in range(n_seats):
        if seats["growth"].iat[s]:
            k = int(np.flatnonzero(growth_ix == s)[0])
            hire = next_business_day(month_date(int(growth_months[k])))
        else:
            hire = next_business_day(add_days(HISTORY_START, -round(tenure_years[s] * 365.25)))
        reps.append({"seat": s, "hire": hire, "term": None, "name": names[name_i],
                     "skill": skill[name_i], "pay_noise": pay_noise[name_i]})
        name_i += 1
    for j, s in enumerate(leaver_seats):
        term = prev_business_day(month_date(int(leave_months[j]), int(leave_day[j])))
        first = next(r for r in reps if r["seat"] == s)
        first["term"] = term
        hire = next_business_day(add_days(term, int(vacancy[j])))
        reps.append({"seat": int(s), "hire": hire, "term": None, "name": names[name_i],
                     "skill": skill[name_i], "pay_noise": pay_noise[name_i]})
        name_i += 1
    reps = pd.DataFrame(reps)
    # ids: incumbents by region then home FIPS, later hires by hire date
    reps["late"] = reps["hire"] >= HISTORY_START
    reps["region_order"] = seats["region"].map(REGIONS.index).to_numpy()[reps["seat"]]
    reps["home_fips"] = units["unit_id"].to_numpy()[seats["home"].to_numpy()[reps["seat"]]]
    reps = reps.sort_values(["late", "region_order", "home_fips", "hire", "name"],
                            kind="stable").reset_index(drop=True)
    late = reps[reps["late"]].sort_values(["hire", "name"], kind="stable")
    reps = pd.concat([reps[~reps["late"]], late], ignore_index=True)
    reps["rep_id"] = [f"R{i + 1:03d}" for i in range(len(reps))]
    # pay: OTE grows with tenure at the end of the rep's employment (or plan start)
    end = [dt.date(2026, 1, 1) if pd.isna(r) else r for r in reps["term"]]
    ten = np.array([(e - h).days / 365.25 for e, h in zip(end, reps["hire"], strict=True)])
    ote = OTE_BASE + OTE_PER_YEAR * np.minimum(ten, OTE_MAX_YEARS) + reps["pay_noise"].to_numpy()
    ote = np.round(ote / 500.0) * 500.0
    base = np.round(ote * PAY_MIX_BASE / 500.0) * 500.0
    reps["base_salary"] = base
    reps["target_incentive"] = ote - base
    return reps


# ---------------------------------------------------------------------------
# 7. bookings
# ---------------------------------------------------------------------------


def ramp_factor(days: pd.DatetimeIndex, hire: dt.date) -> np.ndarray:
    months = (days.year - hire.year) * 12 + (days.month - hire.month) - (days.day < hire.day)
    q = np.clip(np.asarray(months) // 3, 0, len(RAMP_BY_QUARTER) - 1)
    return np.array(RAMP_BY_QUARTER)[q]


def day_profile(days: pd.DatetimeIndex) -> np.ndarray:
    """Expected share of a year's deals per business day: month weight x quarter-end push."""
    mw = np.array(MONTH_WEIGHTS) / np.mean(MONTH_WEIGHTS)
    month_end = days + pd.offsets.MonthEnd(0)
    qe = np.isin(days.month, [3, 6, 9, 12]) & ((month_end - days).days < QUARTER_END_DAYS)
    w = np.where(qe, QUARTER_END_BOOST, 1.0)
    key = days.year * 100 + days.month
    per_month = pd.Series(w).groupby(np.asarray(key)).transform("sum").to_numpy()
    return mw[days.month - 1] / 12.0 * w / per_month


def coverage_segments(seats, reps, pre, cur):
    """(seat, account mask, rep row, start, end, multiplier) pieces covering the history."""
    segs = []
    rep_by_seat = {s: g.sort_values("hire") for s, g in reps.groupby("seat")}
    home_lat = seats["home_lat"].to_numpy()
    home_lon = seats["home_lon"].to_numpy()
    leaver_seats = set(reps.loc[reps["term"].notna(), "seat"])
    for s in range(len(seats)):
        base_mask = cur == s
        pieces = [(HISTORY_START, SNAPSHOT, base_mask)]
        # before a growth seat starts, its accounts stay with the seat that had them
        # (mostly the split parent, a few from its neighbours); one growth seat a region
        growth_here = np.flatnonzero(seats["growth"].to_numpy()
                                     & (seats["region"].to_numpy() == seats["region"].iat[s]))
        for g in growth_here:
            extra = (cur == g) & (pre == s)
            if g != s and extra.any():
                g_start = rep_by_seat[g]["hire"].min()
                pieces = [(HISTORY_START, add_days(g_start, -1), base_mask | extra),
                          (g_start, SNAPSHOT, base_mask)]
        stints = rep_by_seat[s]
        for p_start, p_end, mask in pieces:
            prev_term = None
            for _, rep in stints.iterrows():
                if prev_term is not None:  # vacancy: a neighbour covers at reduced rate
                    v_start, v_end = add_days(prev_term, 1), add_days(rep["hire"], -1)
                    others = np.flatnonzero((seats["region"].to_numpy() == seats["region"].iat[s])
                                            & ~seats["growth"].to_numpy())
                    others = np.array([o for o in others if o != s and o not in leaver_seats])
                    dist = haversine_km(home_lat[s], home_lon[s],
                                        home_lat[others], home_lon[others])
                    nb = int(others[np.argmin(dist)])
                    nb_rep = rep_by_seat[nb].index[0]
                    a, b = max(v_start, p_start), min(v_end, p_end)
                    if a <= b:
                        segs.append((s, mask, nb_rep, a, b, VACANCY_COVER))
                r_end = SNAPSHOT if pd.isna(rep["term"]) else rep["term"]
                a, b = max(rep["hire"], p_start), min(r_end, p_end)
                if a <= b:
                    segs.append((s, mask, rep.name, a, b, 1.0))
                prev_term = None if pd.isna(rep["term"]) else rep["term"]
    return segs


def draw_deals(rng, acc_idx, pot, seg_arr, n, skill):
    """n deals on accounts acc_idx: (account, product, amount)."""
    w = pot[acc_idx] ** ACCOUNT_PICK_POWER
    a = acc_idx[rng.choice(len(acc_idx), size=n, p=w / w.sum())]
    prod, amount = product_and_amount(rng, a, pot, seg_arr, skill)
    return a, prod, amount


def product_and_amount(rng, a, pot, seg_arr, skill):
    """Product and amount of deals on accounts ``a`` (skill: scalar or one per deal)."""
    n = len(a)
    u = rng.random(n)
    shares = np.array([PRODUCT_SHARE[s] for s in SEGMENTS]).cumsum(axis=1)
    prod = (u[:, None] > shares[seg_arr[a]]).sum(axis=1)
    median = np.array([DEAL_MEDIAN[s] for s in SEGMENTS])[seg_arr[a], prod]
    pot_med = np.array([POTENTIAL_MEDIAN[s] for s in SEGMENTS])[seg_arr[a]]
    size = (pot[a] / pot_med) ** DEAL_POTENTIAL_POWER
    amount = (median * size * skill ** (1.0 - SKILL_COUNT_POWER)
              * np.exp(DEAL_SIGMA * rng.standard_normal(n)))
    amount = np.clip(amount, DEAL_MIN, DEAL_MAX_OF_POTENTIAL * pot[a])
    return prod, np.round(amount, 2)


def make_bookings(acc, seats, reps, pre, cur, rng):
    days = business_days(HISTORY_START, SNAPSHOT)
    profile = day_profile(days)
    t_years = np.asarray((days - pd.Timestamp(HISTORY_START)).days) / 365.25
    growth = (1.0 + GROWTH_PER_YEAR) ** t_years
    month_key = np.asarray((days.year - 2023) * 12 + days.month - 1)
    pot = acc["potential"].to_numpy()
    seg_arr = acc["segment"].map(SEGMENTS.index).to_numpy()
    mean_terr = pot.sum() / len(seats)
    out = []
    for _seat, mask, rep_row, a, b, mult in coverage_segments(seats, reps, pre, cur):
        rep = reps.loc[rep_row]
        acc_idx = np.flatnonzero(mask)
        terr = (pot[acc_idx].sum() / mean_terr) ** TERRITORY_POWER
        sel = (days >= pd.Timestamp(a)) & (days <= pd.Timestamp(b))
        d = days[sel]
        lam = (DEALS_PER_YEAR * rep["skill"] ** SKILL_COUNT_POWER * terr * mult
               * profile[sel] * growth[sel] * ramp_factor(d, rep["hire"]))
        gam = rng.gamma(REP_MONTH_GAMMA_SHAPE, 1.0 / REP_MONTH_GAMMA_SHAPE, size=36)
        lam = lam * gam[month_key[sel]]
        k = rng.poisson(lam)
        n = int(k.sum())
        if n == 0:
            continue
        dates = np.repeat(np.asarray(d), k)
        ai, prod, amount = draw_deals(rng, acc_idx, pot, seg_arr, n, rep["skill"])
        out.append(pd.DataFrame({"date": dates, "acc": ai, "rep": rep["rep_id"],
                                 "product": np.array(PRODUCTS)[prod], "amount": amount}))
    bk = pd.concat(out, ignore_index=True)
    bk = bk.sort_values(["date", "rep", "acc", "product", "amount"], kind="stable")
    bk = bk.reset_index(drop=True)
    bk["deal_id"] = [f"D{i + 1:06d}" for i in range(len(bk))]
    return bk


# ---------------------------------------------------------------------------
# 8. pipeline
# ---------------------------------------------------------------------------


def make_pipeline(acc, seats, reps, cur, rng):
    pot = acc["potential"].to_numpy()
    seg_arr = acc["segment"].map(SEGMENTS.index).to_numpy()
    mean_terr = pot.sum() / len(seats)
    jan = pd.DatetimeIndex([pd.Timestamp(2026, 1, 15)])
    growth = (1.0 + GROWTH_PER_YEAR) ** 3.0
    out = []
    current = reps[reps["term"].isna()]
    for _, rep in current.iterrows():
        acc_idx = np.flatnonzero(cur == rep["seat"])
        terr = (pot[acc_idx].sum() / mean_terr) ** TERRITORY_POWER
        per_month = DEALS_PER_YEAR / 12 * rep["skill"] ** SKILL_COUNT_POWER * terr * growth
        ramp = float(ramp_factor(jan, rep["hire"])[0])
        n = int(rng.poisson(per_month * ramp * PIPELINE_MONTHS * PIPELINE_COVERAGE))
        if n == 0:
            continue
        ai, prod, amount = draw_deals(rng, acc_idx, pot, seg_arr, n, rep["skill"])
        stage = rng.choice(len(STAGES), size=n, p=STAGE_SHARE)
        lo_a, hi_a = np.array(STAGE_AGE_DAYS).T
        lo_c, hi_c = np.array(STAGE_CLOSE_DAYS).T
        age = rng.integers(lo_a[stage], hi_a[stage] + 1)
        close = rng.integers(lo_c[stage], hi_c[stage] + 1)
        created = [max(add_days(SNAPSHOT, -int(x)), rep["hire"]) for x in age]
        expected = [min(add_days(SNAPSHOT, int(x)), PLAN_END) for x in close]
        amount = np.round(amount * PIPELINE_AMOUNT_OPTIMISM, 2)
        out.append(pd.DataFrame({
            "acc": ai, "rep": rep["rep_id"], "product": np.array(PRODUCTS)[prod],
            "stage": np.array(STAGES)[stage], "amount": amount,
            "probability": np.array(STAGE_PROBABILITY)[stage],
            "created_date": created, "expected_close_date": expected,
        }))
    pl = pd.concat(out, ignore_index=True)
    pl = pl.sort_values(["created_date", "rep", "acc", "product", "amount"], kind="stable")
    pl = pl.reset_index(drop=True)
    pl["opportunity_id"] = [f"O{i + 1:05d}" for i in range(len(pl))]
    return pl


# ---------------------------------------------------------------------------
# 9. opportunity history: won and lost opportunities, stage history
# ---------------------------------------------------------------------------


def loss_scales() -> np.ndarray:
    """Weibull scale of the time to loss in each stage, solved for ADVANCE_CHANCE.

    An opportunity leaves stage j forward when its lognormal advance time A comes before
    its Weibull loss time L: P(A < L) = E[exp(-(A / scale)^shape)], integrated over A by
    Gauss-Hermite quadrature and solved for the scale by bisection (deterministic).
    """
    x, w = np.polynomial.hermite.hermgauss(80)
    scales = []
    for median, chance in zip(ADVANCE_MEDIAN_DAYS, ADVANCE_CHANCE, strict=True):
        a = median * np.exp(ADVANCE_SIGMA * math.sqrt(2.0) * x)
        lo, hi = math.log(median) - 10.0, math.log(median) + 10.0
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            p = float((w * np.exp(-((a / math.exp(mid)) ** LOSS_SHAPE))).sum() / math.sqrt(math.pi))
            lo, hi = (mid, hi) if p < chance else (lo, mid)
        scales.append(math.exp(0.5 * (lo + hi)))
    return np.array(scales)


def win_chance_from(stage: int) -> float:
    """Chance that an opportunity in ``stage`` is won (the model's truth)."""
    return float(np.prod(ADVANCE_CHANCE[stage:]))


def lost_per_won() -> float:
    """Expected lost opportunities per won one, from the start-stage mix and the chances."""
    p = sum(s * win_chance_from(j) for j, s in enumerate(START_SHARE))
    return (1.0 - p) / p


def draw_paths(rng, n: int, won: bool, scales: np.ndarray):
    """n paths (for a Mid-Market deal) that end won (or lost), by rejection.

    Returns ``start`` (entry stage), ``end`` (stage left: 3 for a win, the stage of the
    loss otherwise), ``adv`` (n, 4) advance times in days (drawn for every stage, so a lost
    opportunity also has the time a win would have taken) and ``loss`` (n, 4) loss times.
    """
    parts, got = [], 0
    stage = np.arange(len(STAGES))
    while got < n:
        m = max(3 * (n - got), 256)
        start = rng.choice(len(START_SHARE), size=m, p=START_SHARE)
        adv = np.exp(np.log(ADVANCE_MEDIAN_DAYS) + ADVANCE_SIGMA * rng.standard_normal((m, 4)))
        loss = scales * rng.weibull(LOSS_SHAPE, size=(m, 4))
        lost_at = np.where((stage >= start[:, None]) & (loss < adv), stage, 4).min(axis=1)
        keep = (lost_at == 4) if won else (lost_at < 4)
        end = np.minimum(lost_at, 3)
        parts.append((start[keep], end[keep], adv[keep], loss[keep]))
        got += int(keep.sum())
    start, end, adv, loss = (np.concatenate([p[i] for p in parts])[:n] for i in range(4))
    return start, end, adv, loss


def won_entries(rng, close, g, hire, scales, tries: int = 60):
    """Stage entry days (n, 4; NaN before the entry stage) of won deals closing on ``close``.

    close, hire: int day numbers; g: cycle factor per deal. A path that would start before
    the rep's hire date is drawn again (a new rep's first wins are the quick ones); after
    ``tries`` the stays are squeezed proportionally into [hire, close].
    """
    n = len(close)
    entry = np.full((n, 4), np.nan)
    adv_all = np.zeros((n, 4))
    todo = np.arange(n)
    for _ in range(tries):
        if not len(todo):
            break
        start, _, adv, _ = draw_paths(rng, len(todo), True, scales)
        days = np.maximum(1.0, np.round(adv * g[todo, None]))
        stage = np.arange(4)
        days = np.where(stage >= start[:, None], days, np.nan)
        left = np.nancumsum(days[:, ::-1], axis=1)[:, ::-1]  # days from entry to the close
        e = close[todo, None] - np.where(stage >= start[:, None], left, np.nan)
        ok = np.nanmin(e, axis=1) >= hire[todo]
        entry[todo[ok]] = e[ok]
        adv_all[todo[ok]] = adv[ok]
        todo = todo[~ok]
    for i in todo:  # squeeze: entry stage Develop or later, stays in proportion
        k = np.array([1, 2, 3]) if close[i] - hire[i] >= 3 else np.array([3])
        span = max(close[i] - hire[i], 1)
        cuts = np.floor(np.arange(len(k)) * span / len(k))
        entry[i, k] = hire[i] + cuts
    return entry


def entry_marks(rng, entry, true_close, end, final_amount):
    """Amount and expected close recorded at each stage entry (NaN where not entered).

    true_close: (n, 4) the day a win would come from each stage (the real close for a won
    opportunity); the recorded expected close is the entry plus that time x an optimism
    factor, at least a day after the entry.
    """
    n = len(entry)
    med = np.log(OPTIMISM)
    r = np.exp(med + OPTIMISM_SIGMA * rng.standard_normal((n, 4)))
    left = true_close - entry
    expected = entry + np.maximum(1.0, np.round(left * r))
    mu, sd = (np.array(x) for x in zip(*AMOUNT_DRIFT, strict=True))
    drift = np.exp(mu + sd * rng.standard_normal((n, 4)))
    # the amount of the last stage entered is the opportunity's amount in pipeline.csv
    last = drift[np.arange(n), end]
    amount = np.round(final_amount[:, None] * drift / last[:, None], 2)
    ok = ~np.isnan(entry)
    return np.where(ok, amount, np.nan), np.where(ok, expected, np.nan)


def make_history(acc, reps, bk, pl, rng):
    """Won opportunities behind the bookings closed from OPPS_FROM, lost ones, stage history.

    Returns (history, stages): the won and lost opportunities (columns as ``pl`` plus
    status, closed, deal_id) and one row per stage entered by every opportunity, legacy
    open ones included (key ``opp``: ``h<i>`` for history rows, the opportunity_id for
    the open pipeline).
    """
    r_won, r_lost, r_open = rng.spawn(3)
    scales = loss_scales()
    day0 = np.datetime64("1970-01-01", "D")

    def dnum(values) -> np.ndarray:
        return (pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]") - day0).astype(
            float
        )

    seg_arr = acc["segment"].map(SEGMENTS.index).to_numpy()
    g_seg = np.array([CYCLE_FACTOR[s] for s in SEGMENTS])
    pot = acc["potential"].to_numpy()
    rep_tab = reps.set_index("rep_id")
    hire_of = pd.Series(dnum(rep_tab["hire"]), index=rep_tab.index)
    term_of = pd.Series(dnum([SNAPSHOT if pd.isna(t) else t for t in rep_tab["term"]]),
                        index=rep_tab.index)
    skill_of = rep_tab["skill"]
    w0, snap = dnum([OPPS_FROM])[0], dnum([SNAPSHOT])[0]

    # --- won paths behind every booking (templates for the lost ones) --------------------
    close = dnum(bk["date"])
    b_acc = bk["acc"].to_numpy()
    b_rep = bk["rep"].to_numpy()
    g = g_seg[seg_arr[b_acc]]
    won_entry = won_entries(r_won, close, g, hire_of.loc[b_rep].to_numpy(), scales)
    # phantom templates: wins of the first half of 2026 (the first half of 2025, a year on)
    # whose lost companions were opened, and lost, before the snapshot
    ph = np.flatnonzero((close >= dnum(["2025-01-01"])[0]) & (close <= dnum(["2025-06-30"])[0]))
    ph_rep = acc["rep_id"].to_numpy()[b_acc[ph]]  # the account's current rep
    ph_entry = won_entries(r_won, close[ph] + 365, g[ph], hire_of.loc[ph_rep].to_numpy(), scales)

    # --- lost opportunities --------------------------------------------------------------
    t_created = np.concatenate([np.nanmin(won_entry, axis=1), np.nanmin(ph_entry, axis=1)])
    t_rep = np.concatenate([b_rep, ph_rep])
    t_src = np.concatenate([np.arange(len(bk)), ph])  # the booking whose neighbours give accounts
    k = r_lost.poisson(lost_per_won(), size=len(t_created))
    tpl = np.repeat(np.arange(len(t_created)), k)
    n = len(tpl)
    jitter = STAGE_OPEN_JITTER_DAYS
    created = t_created[tpl] + r_lost.integers(-jitter, jitter + 1, n)
    rep = t_rep[tpl]
    # account: that of one of the rep's deals near the template in time (its territory then)
    order = np.lexsort((close, b_rep))
    pos_in = np.empty(len(bk), dtype=int)
    rep_sorted = b_rep[order]
    first = pd.Series(np.arange(len(order))).groupby(rep_sorted).transform("min").to_numpy()
    count = pd.Series(np.arange(len(order))).groupby(rep_sorted).transform("size").to_numpy()
    pos_in[order] = np.arange(len(order))
    src = t_src[tpl]
    p = pos_in[src] + r_lost.integers(-ACCOUNT_NEIGHBOURS, ACCOUNT_NEIGHBOURS + 1, n)
    lo, cnt = first[pos_in[src]], count[pos_in[src]]
    p = np.clip(p, lo, lo + cnt - 1)
    a = b_acc[order[p]]
    phantom = tpl >= len(bk)
    rep = np.where(phantom, acc["rep_id"].to_numpy()[a], rep)
    prod, final = product_and_amount(r_lost, a, pot, seg_arr, skill_of.loc[rep].to_numpy())
    start, end, adv, loss = draw_paths(r_lost, n, False, scales)
    gl = g_seg[seg_arr[a]]
    stage = np.arange(4)
    entered = (stage >= start[:, None]) & (stage <= end[:, None])
    stay = np.where(stage == end[:, None], loss, adv)
    stay = np.where(entered, np.maximum(1.0, np.round(stay * gl[:, None])), 0.0)
    cum = np.cumsum(stay, axis=1) - stay  # days from the creation to each entry
    lost_entry = np.where(entered, created[:, None] + cum, np.nan)
    lost_closed = created + stay.sum(axis=1)
    # the day a win would have come from each stage (the advance times from there on)
    adv_days = np.maximum(1.0, np.round(adv * gl[:, None]))
    hypo = lost_entry + np.cumsum(adv_days[:, ::-1], axis=1)[:, ::-1]
    keep = ((lost_closed >= w0) & (lost_closed <= snap) & (created >= hire_of.loc[rep].to_numpy())
            & (created <= term_of.loc[rep].to_numpy()))
    lost_amount, lost_expected = entry_marks(r_lost, lost_entry, hypo, end, final)

    # --- won opportunities written: bookings closed from OPPS_FROM ---------------------------
    wsel = close >= w0
    won_close_m = np.where(~np.isnan(won_entry[wsel]), close[wsel, None], np.nan)
    won_amount, won_expected = entry_marks(r_won, won_entry[wsel], won_close_m,
                                           np.full(int(wsel.sum()), 3),
                                           bk["amount"].to_numpy()[wsel])

    won = pd.DataFrame({
        "acc": b_acc[wsel], "rep": b_rep[wsel], "product": bk["product"].to_numpy()[wsel],
        "end": 3, "amount": bk["amount"].to_numpy()[wsel],
        "created": np.nanmin(won_entry[wsel], axis=1), "expected": won_expected[:, 3],
        "status": "won", "closed": close[wsel], "deal_id": bk["deal_id"].to_numpy()[wsel],
    })
    lk = np.flatnonzero(keep)
    lost = pd.DataFrame({
        "acc": a[lk], "rep": rep[lk], "product": np.array(PRODUCTS)[prod[lk]], "end": end[lk],
        "amount": lost_amount[lk, end[lk]], "created": created[lk],
        "expected": lost_expected[lk, end[lk]], "status": "lost", "closed": lost_closed[lk],
        "deal_id": "",
    })
    hist = pd.concat([won, lost], ignore_index=True)
    marks = [(won_entry[wsel], won_amount, won_expected),
             (lost_entry[lk], lost_amount[lk], lost_expected[lk])]
    entry_h = np.concatenate([m[0] for m in marks])
    amount_h = np.concatenate([m[1] for m in marks])
    expected_h = np.concatenate([m[2] for m in marks])

    # --- the open pipeline at the snapshot: its stage history ------------------------------
    o_stage = pl["stage"].map(STAGES.index).to_numpy()
    o_created = dnum(pl["created_date"])
    o_expected = dnum(pl["expected_close_date"])
    no = len(pl)
    # entry stage: the start mix restricted to stages up to the current one
    share = np.array(START_SHARE + [0.0])
    u = r_open.random(no)
    cdf = np.cumsum(np.where(stage[None, :] <= o_stage[:, None], share, 0.0), axis=1)
    o_start = (u[:, None] * cdf[:, -1:] > cdf).sum(axis=1)
    _, _, o_adv, _ = draw_paths(r_open, no, True, scales)
    # time in the current stage so far: a fraction of a fresh advance time (as the model
    # would have it); the stages before share the rest of the age in proportion to their
    # advance times (so the open pipeline's long ages show as long stays in earlier stages)
    rows = np.arange(no)
    o_g = g_seg[seg_arr[pl["acc"].to_numpy()]]
    span = snap - o_created
    earlier = (stage >= o_start[:, None]) & (stage < o_stage[:, None])
    n_earlier = earlier.sum(axis=1)
    now = np.round(r_open.random(no) * o_adv[rows, o_stage] * o_g)
    now = np.where(n_earlier > 0, np.clip(now, 0, span - n_earlier), span)
    weight = np.where(earlier, o_adv, 0.0)
    cumw = np.cumsum(weight, axis=1) - weight
    tot = np.maximum(weight.sum(axis=1), 1e-9)
    before = span - now  # days spent in the earlier stages
    # a day per stage at least: the stays share before - n_earlier, plus a day each
    share_days = np.floor(cumw / tot[:, None] * (before - n_earlier)[:, None])
    o_entry = o_created[:, None] + share_days + np.maximum(0, stage[None, :] - o_start[:, None])
    o_entry[rows, o_stage] = snap - now
    o_entry = np.where((stage >= o_start[:, None]) & (stage <= o_stage[:, None]), o_entry, np.nan)
    # the true close implied by the recorded expected close of the current stage
    r_now = np.exp(np.log(OPTIMISM)[o_stage] + OPTIMISM_SIGMA * r_open.standard_normal(no))
    at_now = o_entry[np.arange(no), o_stage]
    o_true = at_now + np.maximum(1.0, np.round((o_expected - at_now) / r_now))
    o_amount, o_exp = entry_marks(r_open, o_entry, np.repeat(o_true[:, None], 4, axis=1), o_stage,
                                  pl["amount"].to_numpy())
    o_exp[np.arange(no), o_stage] = o_expected  # the current stage row is pipeline.csv's view
    return hist, (entry_h, amount_h, expected_h), (o_entry, o_amount, o_exp)


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------


def iso(d) -> str:
    if d is None or (isinstance(d, float) and math.isnan(d)) or d is pd.NaT:
        return ""
    return pd.Timestamp(d).strftime("%Y-%m-%d")


BOOK_YAML = """\
name: Cascade Instruments (sample)
currency: USD
snapshot_date: "{snapshot}"
opportunities_from: "{opps_from}"
description: >-
  Fictional B2B analytics software company selling Platform, Analytics and
  Services to {n_accounts} accounts in the contiguous United States through
  {n_current} account executives in 4 regions (West, Central, South, East).
  History: closed-won deals of calendar years 2023-2025; the opportunities won
  or lost from {opps_from} (opportunities_from) and the open pipeline at the
  snapshot, with their stage history; plan year 2026. Generated by
  data/make_sample.py (seed {seed}).
source: >-
  Counties: U.S. Census Bureau TIGER/Line 2009 and BLS LAUS 2009 labor force,
  via the bokeh_sampledata wheel; accounts, reps, deals and pipeline are
  fictional (data/make_sample.py). See data/README.md.
"""


def day_text(days: np.ndarray) -> np.ndarray:
    """ISO text of int day numbers (days since 1970-01-01); NaN gives ""."""
    out = np.full(len(days), "", dtype=object)
    ok = ~np.isnan(days)
    out[ok] = np.datetime_as_string(days[ok].astype("int64").astype("datetime64[D]"), unit="D")
    return out


def money_text(values: np.ndarray) -> np.ndarray:
    out = np.full(len(values), "", dtype=object)
    ok = ~np.isnan(values)
    out[ok] = [f"{x:.2f}" for x in values[ok]]
    return out


def history_tables(pl, hist, h_marks, o_marks, acc_ids):
    """pipeline.csv (open, won and lost opportunities) and stage_history.csv as text frames."""
    hist = hist.sort_values(["created", "rep", "acc", "product", "amount"], kind="stable")
    hist = hist.reset_index()  # column "index": the row of the stage marks
    hist["opportunity_id"] = [f"O{len(pl) + i + 1:05d}" for i in range(len(hist))]
    day0 = np.datetime64("1970-01-01", "D")
    o_days = {c: (pd.to_datetime(pl[c]).to_numpy().astype("datetime64[D]") - day0).astype(float)
              for c in ("created_date", "expected_close_date")}
    stage_names = np.array(STAGES)
    opps = pd.DataFrame({
        "opportunity_id": np.concatenate([pl["opportunity_id"], hist["opportunity_id"]]),
        "account_id": acc_ids[np.concatenate([pl["acc"], hist["acc"]]).astype(int)],
        "rep_id": np.concatenate([pl["rep"], hist["rep"]]),
        "product": np.concatenate([pl["product"], hist["product"]]),
        "stage": np.concatenate([pl["stage"], stage_names[hist["end"].to_numpy()]]),
        "amount": money_text(np.concatenate([pl["amount"], hist["amount"]]).astype(float)),
        "probability": [f"{x:.2f}" for x in np.concatenate([
            pl["probability"], np.array(STAGE_PROBABILITY)[hist["end"].to_numpy()]])],
        "created_date": day_text(np.concatenate([o_days["created_date"], hist["created"]])),
        "expected_close_date": day_text(np.concatenate([o_days["expected_close_date"],
                                                        hist["expected"]])),
        "status": np.concatenate([np.full(len(pl), "open"), hist["status"]]),
        "closed_date": day_text(np.concatenate([np.full(len(pl), np.nan), hist["closed"]])),
        "deal_id": np.concatenate([np.full(len(pl), ""), hist["deal_id"]]),
    })
    rows = np.concatenate([np.arange(len(pl)), len(pl) + hist["index"].to_numpy()])
    ids = np.empty(len(rows), dtype=object)
    ids[rows] = opps["opportunity_id"].to_numpy()
    entry, amount, expected = (np.concatenate([o, h])
                               for o, h in zip(o_marks, h_marks, strict=True))
    has = ~np.isnan(entry)
    r, c = np.nonzero(has)
    stages = pd.DataFrame({"opportunity_id": ids[r], "date": entry[r, c], "order": c,
                           "stage": stage_names[c], "amount": amount[r, c],
                           "expected_close_date": expected[r, c]})
    stages = stages.sort_values(["opportunity_id", "date", "order"], kind="stable")
    if (stages.groupby("opportunity_id")["date"].diff() <= 0).any():
        raise RuntimeError("stage entries of an opportunity are not on increasing dates")
    stages = pd.DataFrame({
        "opportunity_id": stages["opportunity_id"], "date": day_text(stages["date"].to_numpy()),
        "stage": stages["stage"], "amount": money_text(stages["amount"].to_numpy()),
        "expected_close_date": day_text(stages["expected_close_date"].to_numpy()),
        "probability": [f"{STAGE_PROBABILITY[k]:.2f}" for k in stages["order"]],
    })
    opps = opps.sort_values("opportunity_id", kind="stable").reset_index(drop=True)
    return opps, stages.reset_index(drop=True)


MID_YEAR_NAME = "Cascade Instruments (as of 30 June 2025)"
MID_YEAR_DESCRIPTION = (
    "The sample book (data/sample/) as it was known at the end of 30 June 2025: the deals "
    "booked by then, the reps hired by then, the opportunities created by then with the "
    "status, stage, amount and expected close date they had that day (from the stage "
    "history). Written by data/make_sample.py with spm_sim.book.as_of and save_book."
)


def write_mid_year(sample: Path, folder: Path) -> dict:
    """The mid-year snapshot: the sample as of MID_YEAR, written as a book folder."""
    from dataclasses import replace

    from spm_sim.book import as_of, load_book, save_book

    book = as_of(load_book(sample), MID_YEAR.isoformat())
    book = replace(book, name=MID_YEAR_NAME, description=MID_YEAR_DESCRIPTION)
    save_book(book, folder, force=True)
    return {"mid-year deals": len(book.bookings),
            "mid-year open opportunities": len(book.open_pipeline)}


def build(out: Path) -> dict:
    rng = np.random.default_rng(SEED)
    (r_acc, r_homes, r_align, r_growth, r_work, r_book, r_pipe) = rng.spawn(7)
    units, dropped = load_units()
    acc = make_accounts(units, r_acc)
    seats, pre, cur = make_seats(units, acc, r_homes, r_align, r_growth)
    reps = make_workforce(units, seats, r_work)
    bk = make_bookings(acc, seats, reps, pre, cur, r_book)
    pl = make_pipeline(acc, seats, reps, cur, r_pipe)

    current = reps[reps["term"].isna()].set_index("seat")["rep_id"]
    acc["rep_id"] = current.reindex(cur).to_numpy()
    missing = set(current) - set(acc["rep_id"])
    if missing:
        raise RuntimeError(f"current reps without accounts: {sorted(missing)}")

    out.mkdir(parents=True, exist_ok=True)
    write_csv(pd.DataFrame({
        "unit_id": units["unit_id"], "name": units["name"], "state": units["state"],
        "lat": units["lat"].map("{:.5f}".format), "lon": units["lon"].map("{:.5f}".format),
        "labor_force": units["labor_force"].astype(str),
    }), out / "units.csv")

    home = seats["home"].to_numpy()[reps["seat"]]
    write_csv(pd.DataFrame({
        "rep_id": reps["rep_id"], "name": reps["name"],
        "region": seats["region"].to_numpy()[reps["seat"]], "role": "AE",
        "home_unit": units["unit_id"].to_numpy()[home],
        "home_name": [f"{n}, {s}" for n, s in zip(units["name"].to_numpy()[home],
                                                  units["state"].to_numpy()[home], strict=True)],
        "home_lat": units["lat"].to_numpy()[home], "home_lon": units["lon"].to_numpy()[home],
        "hire_date": reps["hire"].map(iso), "term_date": reps["term"].map(iso),
        "base_salary": reps["base_salary"].map("{:.0f}".format),
        "target_incentive": reps["target_incentive"].map("{:.0f}".format),
    }).assign(home_lat=lambda d: d["home_lat"].map("{:.5f}".format),
              home_lon=lambda d: d["home_lon"].map("{:.5f}".format)), out / "reps.csv")

    write_csv(pd.DataFrame({
        "account_id": acc["account_id"], "name": acc["name"], "unit_id": acc["unit_id"],
        "state": acc["state"], "lat": acc["lat"].map("{:.5f}".format),
        "lon": acc["lon"].map("{:.5f}".format), "segment": acc["segment"],
        "industry": acc["industry"], "potential": acc["potential"].map("{:.0f}".format),
        "workload": acc["workload"].map("{:.1f}".format), "rep_id": acc["rep_id"],
    }), out / "accounts.csv")

    acc_ids = acc["account_id"].to_numpy()
    write_csv(pd.DataFrame({
        "deal_id": bk["deal_id"], "date": bk["date"].map(iso),
        "account_id": acc_ids[bk["acc"].to_numpy()], "rep_id": bk["rep"],
        "amount": bk["amount"].map(fmt_money), "product": bk["product"],
    }), out / "bookings.csv")

    # 9. the opportunity history: a stream of its own, spawned after the first seven so
    # that every file above keeps its bytes
    (r_hist,) = rng.spawn(1)
    hist, h_marks, o_marks = make_history(acc, reps, bk, pl, r_hist)
    opps, stages = history_tables(pl, hist, h_marks, o_marks, acc_ids)
    write_csv(opps, out / "pipeline.csv")
    write_csv(stages, out / "stage_history.csv")

    (out / "book.yaml").write_bytes(BOOK_YAML.format(
        snapshot=SNAPSHOT.isoformat(), opps_from=OPPS_FROM.isoformat(),
        n_accounts=f"{len(acc):,}",
        n_current=len(current), seed=SEED).encode("utf-8"))
    return {"units": len(units), "dropped": dropped, "reps": len(reps),
            "current": len(current), "accounts": len(acc), "deals": len(bk),
            "open opportunities": len(pl), "opportunities": len(opps),
            "stage rows": len(stages)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "sample",
                    help="output folder (default: data/sample next to this script)")
    ap.add_argument("--mid-year-out", type=Path, default=None,
                    help=f"folder of the snapshot as of {MID_YEAR} (default: the --out "
                         f"folder's name + '-{MID_YEAR}' next to it)")
    args = ap.parse_args(argv)
    stats = build(args.out)
    print(", ".join(f"{k} {v}" for k, v in stats.items()), "->", args.out)
    mid = args.mid_year_out or args.out.parent / f"{args.out.name}-{MID_YEAR.isoformat()}"
    stats = write_mid_year(args.out, mid)
    print(", ".join(f"{k} {v}" for k, v in stats.items()), "->", mid)


if __name__ == "__main__":
    main()
