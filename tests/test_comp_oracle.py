"""The payout kernel against the slow reference of ``tests/reference_comp.py``.

Hypothesis builds random valid plans that mix every mechanic (marginal and
retroactive tiers, curves, thresholds, caps, month/quarter/year true-ups, gates,
multipliers, bonuses, MBOs, SPIFFs, contests, draws, clawbacks) and random books
(with zeros, zero-quota reps, partial years, tied reps), and checks that
:func:`spm_sim.comp.payout` pays what the reference pays, column by column and
month by month. Property tests then check rules that hold whatever the plan.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_comp import column_names, reference_payout

from spm_sim.comp import Component, Contest, Plan, load_plan, payout, standard_plan

# money agrees to a millionth, relative and absolute
RTOL = ATOL = 1e-6

# A grid of round attainment levels, so that thresholds, tier starts, gates and
# milestones are often hit exactly (the 1e-9 tolerance), mixed with any float.
LEVELS = st.sampled_from([0.25, 0.5, 0.8, 1.0, 1.2, 1.5, 2.0]) | st.floats(0.05, 3.0)

#: Measures a random plan may declare, name -> kind. COUNTS are counted in units;
#: "analytics" has no quota, so only SPIFFs and contests may use it.
MEASURE_KINDS = {
    "platform": "bookings",
    "logos": "new_logos",
    "deals": "deals",
    "analytics": "bookings",
    "score": "score",
}
COUNTS = ("logos", "deals")
NO_QUOTA = ("analytics", "score")


# --------------------------------------------------------------------------------------
# Strategies: plans (as dicts, loaded with load_plan)
# --------------------------------------------------------------------------------------


@st.composite
def measure_dicts(draw) -> list[dict]:
    names = draw(st.lists(st.sampled_from(list(MEASURE_KINDS)), unique=True, max_size=5))
    out = []
    for name in sorted(names):
        m = {"name": name, "kind": MEASURE_KINDS[name]}
        if name == "analytics":
            m["product"] = "Analytics"
        elif name == "platform":
            m["product"] = "Platform"
            m["quota_share"] = draw(st.sampled_from([0.4, 1.0]) | st.floats(0.1, 1.5))
        elif name in COUNTS:
            m["quota_per_rep"] = draw(st.sampled_from([12.0, 24.0]) | st.floats(1.0, 60.0))
        out.append(m)
    return out


def _rate(basis: str, measure: str):
    if basis == "tcr":
        return st.floats(0.0, 3.0)
    return st.floats(0.0, 500.0) if measure in COUNTS else st.floats(0.0, 0.25)


@st.composite
def commissions(draw, name: str, quota_measures: list[str], *, monotone: bool) -> dict:
    """A commission component; ``monotone``: rates and multiplier factors never fall."""
    measure = draw(st.sampled_from(quota_measures))
    basis = draw(st.sampled_from(["tcr", "bookings"]))
    threshold = draw(st.sampled_from([0.0, 0.0, 0.5, 1.0]) | st.floats(0.0, 1.5))
    c = {
        "name": name,
        "measure": measure,
        "weight": 1.0,  # set by plans()
        "rate_basis": basis,
        "threshold": threshold,
        "period": draw(st.sampled_from(["month", "quarter", "year"])),
        "payout_cap": draw(st.none() | st.floats(0.1, 5.0)),
    }
    cap = draw(st.none() | st.floats(max(threshold, 0.01), 4.0))
    if basis == "tcr" and draw(st.integers(0, 3)) == 0:
        # a linear curve: payouts (multiples of the TI) never fall
        xs = sorted(set(draw(st.lists(LEVELS, min_size=1, max_size=3))))
        ys = [draw(st.sampled_from([0.0]) | st.floats(0.0, 0.5))]
        for x, before in zip(xs, [0.0, *xs], strict=False):
            # slopes under 10x TCR (a steeper last slope is warned about; 9.99 keeps the
            # float quotient of the slope below 10)
            ys.append(ys[-1] + draw(st.floats(0.0, min(2.0, 9.99 * (x - before)))))
        c["curve"] = [{"attainment": x, "payout": y} for x, y in zip([0.0, *xs], ys, strict=True)]
    else:
        cuts = sorted(set(draw(st.lists(LEVELS, max_size=3))))
        starts = [0.0, *cuts]
        rates = draw(st.lists(_rate(basis, measure), min_size=len(starts), max_size=len(starts)))
        if monotone:
            rates.sort()
        ends: list[float | None] = [*cuts, None]
        if draw(st.integers(0, 4)) == 0:
            # a closed last tier, with an attainment cap at or before its end
            end = max(starts[-1] + draw(st.floats(0.1, 2.0)), threshold + 0.01)
            ends[-1] = end
            cap = draw(st.floats(max(threshold, 0.01), end))
        c["tiers"] = [
            {"start": s, "end": e, "rate": r} for s, e, r in zip(starts, ends, rates, strict=True)
        ]
        c["tier_method"] = draw(st.sampled_from(["marginal", "retroactive"]))
    c["attainment_cap"] = cap
    if draw(st.integers(0, 2)) == 0:
        accelerated = [t["rate"] for t in c.get("tiers", []) if t["start"] >= 1.0]
        c["gate"] = {
            "measure": draw(st.sampled_from(quota_measures)),
            "min_attainment": draw(LEVELS),
            "applies_to": draw(
                st.sampled_from(["component", "accelerators"] if accelerated else ["component"])
            ),
        }
        if c["gate"]["applies_to"] == "accelerators" and draw(st.booleans()):
            # monotone: the closed gate must not pay more than the accelerators
            top = min(accelerated) if monotone else 3.0 * max(1.0, *accelerated)
            if basis == "bookings" and measure not in COUNTS:
                top = min(top, 0.25)  # above 25% of bookings a plan warns
            c["gate"]["closed_rate"] = draw(st.sampled_from([0.0, top]) | st.floats(0.0, top))
    if draw(st.integers(0, 2)) == 0:
        keys = sorted(set(draw(st.lists(LEVELS, max_size=3))))
        factors = draw(
            st.lists(st.floats(0.0, 2.0), min_size=len(keys) + 1, max_size=len(keys) + 1)
        )
        factors.sort()  # factors never fall (the plan checks it)
        c["multiplier"] = {
            "measure": draw(st.sampled_from(quota_measures)),
            "levels": [
                {"attainment": a, "factor": f} for a, f in zip([0.0, *keys], factors, strict=True)
            ],
        }
    return c


@st.composite
def extras(draw, quota_measures: list[str], unit_measures: list[str], has_score: bool):
    """Optional bonus, MBO, SPIFF and contest components (a list of dicts).

    Bonuses need a measure with a quota; SPIFFs and contests take any but a score.
    """
    out = []
    if draw(st.booleans()):
        marks = sorted(set(draw(st.lists(LEVELS, min_size=1, max_size=3))))
        milestones = []
        for a in marks:
            if draw(st.booleans()):
                milestones.append({"attainment": a, "share_of_ti": draw(st.floats(0.0, 0.3))})
            else:
                milestones.append({"attainment": a, "amount": draw(st.floats(0.0, 20_000.0))})
        out.append(
            {
                "name": "bonus",
                "type": "bonus",
                "measure": draw(st.sampled_from(quota_measures)),
                "milestones": milestones,
            }
        )
    if has_score and draw(st.booleans()):
        scores = sorted(set(draw(st.lists(st.sampled_from([0.5, 0.8, 1.0, 1.2]), max_size=3))))
        out.append(
            {
                "name": "mbo",
                "type": "mbo",
                "measure": "score",
                "weight": 1.0,  # set by plans()
                "period": draw(st.sampled_from(["month", "quarter", "year"])),
                "levels": [
                    {"score": s, "payout": draw(st.floats(0.0, 2.0))} for s in [0.0, *scores]
                ],
            }
        )
    if draw(st.booleans()):
        measure = draw(st.sampled_from(unit_measures))
        start = draw(st.integers(1, 12))
        out.append(
            {
                "name": "spiff",
                "type": "spiff",
                "measure": measure,
                "start_month": start,
                "end_month": draw(st.integers(start, 12)),
                "rate": draw(st.floats(0.0, 500.0) if measure in COUNTS else st.floats(0.0, 0.1)),
            }
        )
    if draw(st.booleans()):
        start = draw(st.integers(1, 12))
        prizes = sorted(draw(st.lists(st.floats(0.0, 10_000.0), min_size=1, max_size=4)))[::-1]
        out.append(
            {
                "name": "contest",
                "type": "contest",
                "measure": draw(st.sampled_from(unit_measures)),
                "start_month": start,
                "end_month": draw(st.integers(start, 12)),
                "prizes": prizes,
                "min_total": draw(st.sampled_from([0.0]) | st.floats(0.0, 200_000.0)),
            }
        )
    return out


@st.composite
def plans(
    draw,
    *,
    monotone: bool = False,
    draws: bool = True,
    clawbacks: bool = True,
) -> Plan:
    """A random valid plan mixing every mechanic.

    ``monotone``: tier rates and multiplier factors never fall. ``draws`` /
    ``clawbacks``: allow a plan draw / clawback rule.
    """
    measures = draw(measure_dicts())
    names = [m["name"] for m in measures]
    quota_measures = ["bookings"] + [n for n in names if n not in NO_QUOTA]
    unit_measures = ["bookings"] + [n for n in names if n != "score"]
    n_comm = draw(st.integers(1, 3))
    comps = [draw(commissions(f"c{i}", quota_measures, monotone=monotone)) for i in range(n_comm)]
    comps += draw(extras(quota_measures, unit_measures, "score" in names))
    comps = draw(st.permutations(comps))
    weighted = [c for c in comps if c.get("type", "commission") in ("commission", "mbo")]
    raw = [draw(st.floats(0.1, 1.0)) for _ in weighted]
    any_bookings_basis = any(c.get("rate_basis") == "bookings" for c in weighted)
    for c, w in zip(weighted, raw, strict=True):
        # tcr weights must sum to 1 unless a commission is bookings-based
        c["weight"] = w if any_bookings_basis else w / sum(raw)
    plan = {"name": "Random plan", "measures": measures, "components": comps}
    if draws and draw(st.booleans()):
        plan["draw"] = {
            "recoverable": draw(st.booleans()),
            "months": draw(st.none() | st.lists(st.integers(1, 12), min_size=1, unique=True)),
            **draw(
                st.sampled_from(["share_of_ti", "amount"]).flatmap(
                    lambda k: st.fixed_dictionaries(
                        {k: st.floats(0.0, 0.6) if k == "share_of_ti" else st.floats(0, 8000)}
                    )
                )
            ),
        }
    if clawbacks and draw(st.booleans()):
        plan["clawback"] = {"window_days": draw(st.integers(1, 180))}
    return load_plan(plan)


# --------------------------------------------------------------------------------------
# Strategies: books for a plan
# --------------------------------------------------------------------------------------


def arrays(shape, elements, dtype=np.float64):
    """Arrays with each element drawn on its own (hnp.arrays' default fills most of
    an array with one value, which leaves many books all zero)."""
    return hnp.arrays(dtype, shape, elements=elements, fill=st.nothing())


MONEY = st.sampled_from([0.0, 25_000.0, 50_000.0, 100_000.0, 150_000.0]) | st.floats(0.0, 3e5)
FRACTION = st.sampled_from([0.0, 0.0, 0.5, 1.0]) | st.floats(0.0, 1.0)


@st.composite
def books(draw, plan: Plan, n_reps: int, n: int, *, cancellations: bool = True) -> dict:
    """Inputs of ``payout`` for one trial: bookings, quotas, ti, measures, ...

    Quotas per rep: none at all (a zero-quota rep), flat, or any per month with
    zeros (a rep joining mid-year). Reps 0 and 1 are sometimes identical (ties).
    """
    shape = (n_reps, n)
    quota_rows = []
    for _ in range(n_reps):
        kind = draw(st.sampled_from(["flat", "any", "flat", "zero"]))
        if kind == "zero":
            quota_rows.append(np.zeros(n))
        elif kind == "flat":
            quota_rows.append(np.full(n, draw(st.sampled_from([50_000.0, 100_000.0]))))
        else:
            elements = st.just(0.0) | st.sampled_from([50_000.0, 100_000.0]) | st.floats(1e3, 2e5)
            quota_rows.append(draw(arrays(n, elements=elements)))
    quotas = np.array(quota_rows)
    bookings = draw(arrays(shape, elements=MONEY))
    ti = draw(arrays(n_reps, elements=st.sampled_from([0.0, 1e5]) | st.floats(0, 2e5)))
    measures = {}
    for m in plan.measures:
        if m.kind == "score":
            elements = st.sampled_from([0.0, 0.5, 0.8, 1.0, 1.2, 1.5]) | st.floats(0.0, 2.0)
            measures[m.name] = draw(arrays(shape, elements=elements))
        elif m.kind == "bookings":
            measures[m.name] = bookings * draw(arrays(shape, elements=FRACTION))
        else:
            counts = draw(arrays(shape, elements=st.integers(0, 4), dtype=np.int64))
            measures[m.name] = counts.astype(float)
    tie = n_reps > 1 and draw(st.booleans())
    if tie:  # rep 1 books exactly what rep 0 books
        bookings[1] = bookings[0]
        quotas[1] = quotas[0]
        for v in measures.values():
            v[1] = v[0]
    cancels = {}
    if cancellations and plan.clawback is not None and draw(st.booleans()):
        names = ["bookings"] + [m.name for m in plan.measures if m.kind != "score"]
        for name in draw(st.lists(st.sampled_from(names), min_size=1, unique=True)):
            units = bookings if name == "bookings" else measures[name]
            frac = draw(arrays(shape, elements=FRACTION))
            c = np.zeros(shape)
            for p in range(n):  # cancel a fraction of what is still credited to date
                left = units[:, : p + 1].sum(axis=1) - c[:, :p].sum(axis=1)
                c[:, p] = frac[:, p] * np.maximum(left, 0.0)
            cancels[name] = c
    active = None
    if draw(st.booleans()):
        active = draw(arrays(shape, elements=st.sampled_from([1.0, 1.0, 0.0])))
    return {
        "bookings": bookings,
        "quotas": quotas,
        "ti": ti,
        "measures": measures or None,
        "cancellations": cancels or None,
        "active": active,
    }


SIZES = st.tuples(
    st.sampled_from([4, 3, 5, 2, 1]), st.sampled_from([12, 12, 7, 3, 1]) | st.integers(1, 12)
)


@st.composite
def cases(draw, **plan_options) -> tuple[Plan, dict]:
    cancellations = plan_options.pop("cancellations", True)
    plan = draw(plans(**plan_options))
    n_reps, n = draw(SIZES)
    return plan, draw(books(plan, n_reps, n, cancellations=cancellations))


def run_kernel(plan: Plan, book: dict, detail: str = "monthly"):
    """The kernel on a book of :func:`books` (``detail``: ``"monthly"`` or ``"annual"``)."""
    return payout(
        plan,
        book["bookings"],
        book["quotas"],
        book["ti"],
        measures=book["measures"],
        cancellations=book["cancellations"],
        active=book["active"],
        detail=detail,
    )


def run_reference(plan: Plan, book: dict):
    return reference_payout(plan, **book, with_balance=True)


# --------------------------------------------------------------------------------------
# The kernel pays what the reference pays
# --------------------------------------------------------------------------------------


@settings(max_examples=1500, deadline=None)
@given(case=cases())
def test_kernel_matches_reference(case):
    plan, book = case
    paid = run_kernel(plan, book)
    expected, balance = run_reference(plan, book)
    assert paid.components == tuple(column_names(plan))
    assert paid.by_component.shape == expected.shape
    np.testing.assert_allclose(paid.by_component, expected, rtol=RTOL, atol=ATOL)
    if plan.draw is not None and plan.draw.recoverable:
        np.testing.assert_allclose(paid.draw_balance, balance, rtol=RTOL, atol=ATOL)
    else:
        assert paid.draw_balance is None


def test_reference_worked_example():
    """The reference itself, against amounts worked out by hand.

    Quota 100 a month, TI 1,200. A quarterly commission (weight 1, threshold 0.5,
    1.0x TCR to quota, 2.0x above) and a recoverable draw of 150 a month.
    Bookings: Q1 60 (att 0.2, below threshold: earns 0), Q2 540 (YTD 600 of 600:
    att 1.0, earns 1,200 x 0.5 x 1.0 = 600), rest 0 (Q3: 600 of 900, att 0.667,
    earns 1200 x 0.75 x 0.667 = 600; Q4: 600 of 1,200, att 0.5, earns 600).
    Commission: 0, 0, 0 | 0, 0, 600 | 0 ...  Draw: 150 in each of months 1-5 (no
    earnings), month 6 earns 600 > 150 and recovers min(450, 750) = 450 (balance
    300 left), months 7-12 pay 150 each (balance 300 + 900 = 1,200 owed).
    """
    plan = load_plan(
        {
            "name": "Worked",
            "components": [
                {
                    "name": "c",
                    "weight": 1.0,
                    "rate_basis": "tcr",
                    "threshold": 0.5,
                    "period": "quarter",
                    "tiers": [
                        {"start": 0.0, "end": 1.0, "rate": 1.0},
                        {"start": 1.0, "rate": 2.0},
                    ],
                }
            ],
            "draw": {"amount": 150.0, "recoverable": True},
        }
    )
    bookings = [[20, 20, 20, 180, 180, 180] + [0] * 6]
    got, balance = reference_payout(plan, bookings, [[100.0] * 12], [1200.0], with_balance=True)
    assert got[0, :, 0].tolist() == [0, 0, 0, 0, 0, 600] + [0] * 6
    assert got[0, :, 1].tolist() == [150] * 5 + [-450] + [150] * 6
    assert balance.tolist() == [1200.0]
    np.testing.assert_allclose(run_kernel(plan, _book(bookings, 100.0, 1200.0)).by_component, got)


def _book(bookings, quota, ti, **more) -> dict:
    b = np.asarray(bookings, dtype=float)
    book = {"bookings": b, "quotas": np.full(b.shape, quota), "ti": np.full(b.shape[0], ti)}
    return {"measures": None, "cancellations": None, "active": None} | book | more


def test_reference_contest_ties_and_clawback():
    """Ties share prizes; a cancelled deal is clawed back in the month it is cancelled.

    Contest over months 1-2, prizes 1,000 / 600 / 100, min_total 0: reps 0 and 1 tie
    on 200 and share ranks 1-2 ((1,000 + 600) / 2 = 800 each), rep 2 (100) is third,
    rep 3 books nothing and cannot win. Commission 10% of bookings (year): rep 0's
    100 of month 1 is cancelled in month 2: month 1 pays 10, month 2 pays 10 on the
    new 100 and claws back 10.
    """
    plan = load_plan(
        {
            "name": "Ties",
            "components": [
                {
                    "name": "c",
                    "weight": 1.0,
                    "rate_basis": "bookings",
                    "tiers": [{"start": 0, "rate": 0.1}],
                },
                {
                    "name": "k",
                    "type": "contest",
                    "start_month": 1,
                    "end_month": 2,
                    "prizes": [1000, 600, 100],
                },
            ],
            "clawback": {"window_days": 90},
        }
    )
    bookings = [[100, 100], [150, 50], [100, 0], [0, 0]]
    cancels = {"bookings": [[0, 100], [0, 0], [0, 0], [0, 0]]}
    got = reference_payout(plan, bookings, [[1000.0, 1000.0]] * 4, [1.0] * 4, cancellations=cancels)
    assert got[:, 1, 1].tolist() == [800, 800, 100, 0]
    assert got[0, :, 0].tolist() == pytest.approx([10, 10])
    assert got[0, :, 2].tolist() == pytest.approx([0, -10])
    book = _book(bookings, 1000.0, 1.0, cancellations=cancels)
    np.testing.assert_allclose(run_kernel(plan, book).by_component, got, atol=1e-12)


def test_mbo_year_pays_once_at_year_end():
    """MBO docstring: each period end reads the score of that month and pays weight x
    TI x (active months in the period / in the year) x the level. For ``year`` the
    period is the year: one payment, in the last month, of TI x level(score of the
    last month). TI 1,200, scores 1.0 (level 1.0) then 1.5 in December (level 2.0):
    0 x 11 then 2,400.
    """
    plan = load_plan(
        {
            "name": "Year MBO",
            "measures": [{"name": "score", "kind": "score"}],
            "components": [
                {
                    "name": "mbo",
                    "type": "mbo",
                    "measure": "score",
                    "weight": 1.0,
                    "period": "year",
                    "levels": [
                        {"score": 0.0, "payout": 0.0},
                        {"score": 1.0, "payout": 1.0},
                        {"score": 1.5, "payout": 2.0},
                    ],
                }
            ],
        }
    )
    score = np.ones((1, 12))
    score[0, -1] = 1.5
    book = _book(np.ones((1, 12)), 1.0, 1200.0, measures={"score": score})
    expected = [0.0] * 11 + [2400.0]
    assert reference_payout(plan, **book)[0, :, 0].tolist() == expected
    assert run_kernel(plan, book).by_component[0, :, 0].tolist() == expected


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(case=cases())
def test_columns_add_up_to_the_total(case):
    plan, book = case
    paid = run_kernel(plan, book)
    by = paid.by_component
    np.testing.assert_allclose(by.sum(axis=-1), paid.by_period, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(paid.by_period.sum(axis=-1), paid.total, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(
        paid.annual_by_component.sum(axis=-1), paid.total, rtol=1e-9, atol=1e-6
    )
    if plan.draw is not None and plan.draw.recoverable:
        # what the draw column pays over the year is what the rep still owes
        np.testing.assert_allclose(by[..., -1].sum(axis=-1), paid.draw_balance, atol=1e-6)


@settings(max_examples=200, deadline=None)
@given(case=cases(clawbacks=False))
def test_never_negative_without_clawbacks(case):
    """Without clawbacks every component pays >= 0 every month; with a draw too, the
    month's total is >= 0 (a recovery never takes more than the earnings above the
    draw)."""
    plan, book = case
    paid = run_kernel(plan, book)
    n_comp = len(plan.components)
    assert (paid.by_component[..., :n_comp] >= 0).all()
    assert (paid.by_period >= -1e-9).all()
    if plan.draw is None:
        assert (paid.by_period >= 0).all()


@settings(max_examples=200, deadline=None)
@given(
    case=cases(monotone=True, draws=False, cancellations=False),
    cell=st.tuples(st.integers(0, 4), st.integers(0, 11)),
    bump=st.sampled_from([1e-3, 50_000.0]) | st.floats(0.0, 5e5),
)
def test_monotone_in_bookings(case, cell, bump):
    """More bookings never pay less, for a monotone plan.

    Precondition (what makes a plan monotone): tier rates never fall from one tier
    to the next (so retroactive tiers cannot pay less for more), an accelerator
    gate's closed_rate is at most the accelerators' rates (so opening the gate never
    lowers the pay), curves and multiplier factors never fall (the plan checks
    both), no draw (a guarantee pays more for lumpy earnings than for smooth ones), no
    cancellations. Thresholds, caps, gates, true-ups, bonuses, MBOs and SPIFFs are
    allowed. With a contest, only the rep who books more is sure not to lose: the
    others may drop a rank.
    """
    plan, book = case
    n_reps, n = book["bookings"].shape
    r, p = cell[0] % n_reps, cell[1] % n
    more = dict(book, bookings=book["bookings"].copy())
    more["bookings"][r, p] += bump
    before = run_kernel(plan, book).total
    after = run_kernel(plan, more).total
    slack = 1e-9 * np.maximum(1.0, np.abs(before))
    if any(isinstance(c, Contest) for c in plan.components):
        assert after[r] >= before[r] - slack[r]
    else:
        assert (after >= before - slack).all()


@settings(max_examples=200, deadline=None)
@given(case=cases(cancellations=False))
def test_payout_cap_holds(case):
    """A commission never pays more than payout_cap x weight x TI in the year."""
    plan, book = case
    paid = run_kernel(plan, book).annual_by_component
    for j, c in enumerate(plan.components):
        if isinstance(c, Component) and c.payout_cap is not None:
            limit = c.payout_cap * c.weight * book["ti"]
            assert (paid[:, j] <= limit * (1 + 1e-12) + 1e-9).all()


@settings(max_examples=200, deadline=None)
@given(data=st.data(), scale=st.sampled_from([1.0, 2.0]) | st.floats(1.0, 10.0))
def test_attainment_cap_holds(data, scale):
    """Units beyond attainment_cap x quota earn nothing.

    One commission (from the random ones, on bookings, without gate or multiplier),
    all of the year's bookings in month 1: at cap x annual quota the attainment is
    at (``year``) or above (``quarter``/``month``, over the quota to date) the cap
    at every evaluation, so booking ``scale`` times more pays the same.
    """
    c = data.draw(commissions("c", ["bookings"], monotone=False))
    c.update(weight=1.0, gate=None, multiplier=None)
    if c["attainment_cap"] is None:  # (then the last tier is open-ended)
        c["attainment_cap"] = max(c["threshold"], 0.01) + 1.0
    plan = load_plan({"name": "Cap", "components": [c]})
    n = data.draw(st.sampled_from([12, 4, 1]))
    quota = data.draw(arrays((2, n), elements=st.floats(1e3, 2e5)))
    at_cap = np.zeros((2, n))
    at_cap[:, 0] = plan.components[0].attainment_cap * quota.sum(axis=1)
    ti = np.array([1e5, 3e4])
    one = payout(plan, at_cap, quota, ti).by_component
    beyond = payout(plan, at_cap * scale, quota, ti).by_component
    np.testing.assert_allclose(beyond, one, rtol=1e-9, atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_leading_trials_axis_equals_per_trial_calls(data):
    """payout on (n_trials, n_reps, n_periods) = one call per trial, stacked; and the
    same with one more leading axis."""
    plan = data.draw(plans())
    n_trials = data.draw(st.integers(1, 3))
    n_reps, n = data.draw(SIZES)
    trials = [data.draw(books(plan, n_reps, n)) for _ in range(n_trials)]

    def stack(key):
        if trials[0][key] is None:
            return None
        if isinstance(trials[0][key], dict):
            names = set().union(*(t[key] or {} for t in trials))
            return {
                k: np.stack([(t[key] or {}).get(k, np.zeros((n_reps, n))) for t in trials])
                for k in names
            }
        return np.stack([t[key] for t in trials])

    # every trial must carry the same optional inputs to be stacked: fill the gaps
    for key in ("cancellations", "active"):
        if any(t[key] is not None for t in trials):
            for t in trials:
                if t[key] is None:
                    t[key] = {} if key == "cancellations" else np.ones((n_reps, n))
    batch = {k: stack(k) for k in trials[0]}
    together = run_kernel(plan, batch)
    # and with two leading axes, (1, n_trials, n_reps, n_periods)
    deeper = {
        k: None
        if v is None
        else {m: a[None] for m, a in v.items()}
        if isinstance(v, dict)
        else v[None]
        for k, v in batch.items()
    }
    np.testing.assert_array_equal(run_kernel(plan, deeper).by_component[0], together.by_component)
    for t, book in enumerate(trials):
        alone = run_kernel(
            plan, {k: (v or None) if isinstance(v, dict) else v for k, v in book.items()}
        )
        np.testing.assert_allclose(
            together.by_component[t], alone.by_component, rtol=1e-12, atol=1e-9
        )
        if alone.draw_balance is not None:
            np.testing.assert_allclose(together.draw_balance[t], alone.draw_balance, atol=1e-9)


def test_chunking_changes_no_digit():
    """Trials paid in chunks of 4 get the same numbers, to the last bit, as all 40
    paid at once (style.md 1: the same seed gives the same numbers whatever the
    chunk size; ``comp._cumulative_at`` promises it for its sums)."""
    plan = standard_plan(threshold=0.5, accelerator=1.7)  # an open-ended top tier
    rng = np.random.default_rng(0)
    bookings = rng.exponential(100_000.0, (40, 50, 12))
    quotas = np.full((50, 12), 100_000.0)
    ti = np.full(50, 80_000.0)
    whole = payout(plan, bookings, quotas, ti).by_component
    parts = [payout(plan, bookings[i : i + 4], quotas, ti).by_component for i in range(0, 40, 4)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)
