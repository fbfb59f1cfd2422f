"""A slow, obvious reference implementation of the payout rules, for oracle tests.

:func:`reference_payout` pays one trial (2-D inputs) rep by rep and period by
period with plain Python loops and floats. It is written from the docstrings of
:mod:`spm_sim.comp` (``Component``, ``Bonus``, ``MBO``, ``Spiff``, ``Contest``,
``Draw``, ``Clawback``) and of ``spm_sim.comp.payout`` and its helpers, and shares
no code with the vectorised kernel: it only reads the plan spec. Where the
docstrings leave a detail open, the comment says which reading is taken (the one
the kernel intends).

Read it to learn the rules; ``tests/test_comp_oracle.py`` checks the kernel
against it on random plans and books.

Examples
--------
Quota 100 a month, TI 40, one accelerator at 2x above quota (the kernel's own
docstring example): 40 x (1 + 2 x 0.25) = 60 over the year, paid as year-to-date
true-ups.

>>> from spm_sim.comp import standard_plan
>>> paid = reference_payout(standard_plan(threshold=0.5, accelerator=2.0),
...                         [[100, 100, 150, 150]], [[100, 100, 100, 100]], [40])
>>> paid[0, :, 0].round(2).tolist()
[0.0, 20.0, 15.0, 25.0]
"""

from __future__ import annotations

import math

import numpy as np

from spm_sim.comp import MBO, Bonus, Component, Contest, Plan, Spiff, Tier

#: Attainment (or score) within this distance below a boundary counts as reaching it.
#: The Component docstring states it for thresholds; the kernel uses the same
#: tolerance for every "from this level, inclusive" rule (retroactive tier starts,
#: gates, multiplier steps, bonus milestones, MBO levels), and so does this file.
TOL = 1e-9


# --------------------------------------------------------------------------------------
# Small helpers on one rep's monthly series (Python lists of floats)
# --------------------------------------------------------------------------------------


def _running_sum(values: list[float]) -> list[float]:
    """Year-to-date sums: out[p] = values[0] + ... + values[p], added left to right."""
    out, total = [], 0.0
    for v in values:
        total += v
        out.append(total)
    return out


def evaluation_months(period: str, n: int) -> list[int]:
    """Months (0-based) at whose end a commission component or bonus is measured.

    ``month`` and ``year``: every month (``year`` against the annual quota).
    ``quarter``: months 3, 6, 9, 12 (indices 2, 5, 8, 11), plus the last month of
    the data if the data end inside a quarter.
    """
    if period == "quarter":
        ends = [p for p in range(n) if p % 3 == 2]
        if n > 0 and (not ends or ends[-1] != n - 1):
            ends.append(n - 1)
        return ends
    return list(range(n))


def mbo_period_ends(period: str, n: int) -> list[int]:
    """Months (0-based) at whose end an MBO is paid: the ends of its periods.

    ``month``: every month; ``quarter``: as for commissions; ``year``: one period,
    ending at the last month (the MBO docstring: "Each period end reads the score of
    that month and pays ... active months in the period / active months in the year").
    """
    if period == "year":
        return [n - 1] if n > 0 else []
    return evaluation_months(period, n)


def _reached(value: float, level: float) -> bool:
    """``value`` is at or above ``level`` (within :data:`TOL`)."""
    return value >= level - TOL


def _step_value(levels: list[tuple[float, float]], x: float) -> float:
    """Value of the highest (key, value) step whose key is reached by ``x``."""
    value = 0.0
    for key, v in levels:  # keys increase; the first is 0
        if _reached(x, key):
            value = v
    return value


# --------------------------------------------------------------------------------------
# Measures: units, quotas and attainment of one rep
# --------------------------------------------------------------------------------------


class _RepMeasures:
    """Monthly units and quotas of every measure for one rep (lists of floats)."""

    def __init__(self, plan: Plan, units, cancels, bookings_quota: list[float]):
        self.plan = plan
        self.units = units  # name -> list of gross units per month
        self.cancels = cancels  # name -> list of cancelled units per month
        self.n = len(bookings_quota)
        self.quota = {"bookings": list(bookings_quota)}
        for m in plan.measures:
            if m.quota_share is None and m.quota_per_rep is None:
                continue  # scores, and measures that only feed SPIFFs and contests
            if m.quota_per_rep is not None:
                # one twelfth of the annual quota in each month with a bookings quota
                self.quota[m.name] = [
                    m.quota_per_rep / 12.0 if q > 0 else 0.0 for q in bookings_quota
                ]
            else:
                self.quota[m.name] = [m.quota_share * q for q in bookings_quota]

    def annual_quota(self, name: str) -> float:
        return sum(self.quota[name])

    def net_to_date(self, name: str, p: int) -> float:
        """Credited units of ``name`` from month 0 to ``p``, net of cancellations."""
        gross = _running_sum(self.units[name])[p]
        if name in self.cancels:
            gross -= _running_sum(self.cancels[name])[p]
        return gross

    def cancelled_between(self, name: str, after: int, p: int) -> float:
        """Units of ``name`` cancelled in months ``after + 1`` .. ``p``."""
        return sum(self.cancels[name][after + 1 : p + 1])

    def measured_against(self, name: str, period: str, p: int) -> float:
        """The quota attainment is measured against at the end of month ``p``.

        ``year``: the annual quota; ``quarter``/``month``: the quota due to date.
        """
        if period == "year":
            return self.annual_quota(name)
        return _running_sum(self.quota[name])[p]

    def share_due(self, name: str, period: str, p: int) -> float:
        """Share of the annual quota due by month ``p`` (1 for ``year``; 0 if no quota)."""
        if period == "year":
            return 1.0
        annual = self.annual_quota(name)
        return self.measured_against(name, period, p) / annual if annual > 0 else 0.0

    def attainment(self, name: str, period: str, p: int, add_back: float = 0.0) -> float:
        """Year-to-date attainment at month ``p`` (0 when the quota to date is 0)."""
        reference = self.measured_against(name, period, p)
        if reference <= 0:
            return 0.0
        return (self.net_to_date(name, p) + add_back) / reference


# --------------------------------------------------------------------------------------
# Rate tables
# --------------------------------------------------------------------------------------


def ungated_tiers(tiers, closed_rate: float | None) -> list[Tier]:
    """Tiers paid while an accelerator gate is not met.

    Every tier starting at or above 1.0 (100% of quota) pays the gate's
    ``closed_rate``, by default the rate of the tier that holds attainment just
    under 1.0.
    """
    base = 0.0
    for t in tiers:
        if t.start < 1.0:
            base = t.rate  # the last tier starting below 1.0 holds 1.0 - epsilon
    if closed_rate is not None:
        base = closed_rate
    return [t if t.start < 1.0 else Tier(start=t.start, end=t.end, rate=base) for t in tiers]


def table_units(c: Component, credited: float, tiers) -> float:
    """The rate table read at credited attainment, in units of the pay scale.

    marginal:    sum over bands of rate x (part of [0, credited] inside the band)
    retroactive: rate of the band holding ``credited`` x credited
    curve:       linear interpolation between points (a multiple of the target),
                 the last segment's slope continued beyond the last point
    """
    if c.curve is not None:
        pts = [(pt.attainment, pt.payout) for pt in c.curve]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
            if credited <= x1:
                return y0 + (y1 - y0) * (credited - x0) / (x1 - x0)
        (x0, y0), (x1, y1) = pts[-2], pts[-1]
        return y1 + (y1 - y0) / (x1 - x0) * (credited - x1)
    if c.tier_method == "retroactive":
        rate = 0.0
        for t in tiers:  # tier starts are inclusive
            if _reached(credited, t.start):
                rate = t.rate
        return rate * credited
    total = 0.0
    for t in tiers:
        top = credited if t.end is None else min(credited, t.end)
        if top > t.start:
            total += t.rate * (top - t.start)
    return total


# --------------------------------------------------------------------------------------
# Earnings to date of commission components and bonuses
# --------------------------------------------------------------------------------------


def commission_earned(
    c: Component, ms: _RepMeasures, ti: float, p: int, add_back: float = 0.0
) -> float:
    """Earned to date at the end of month ``p`` (an evaluation month).

    ``add_back`` adds units of the component's own measure back (the earnings "as
    if the cancellations had not happened", for clawbacks).

    E = min(payout_cap x T_p,
            multiplier x gate x [attainment >= threshold] x scale x table(credited))
    with T_p = weight x TI x share of the annual quota due by p, scale = T_p
    (``tcr``) or the quota measured against (``bookings``), credited = attainment
    capped at ``attainment_cap``.
    """
    attainment = ms.attainment(c.measure, c.period, p, add_back)
    credited = attainment if c.attainment_cap is None else min(attainment, c.attainment_cap)
    target = c.weight * ti * ms.share_due(c.measure, c.period, p)
    if c.rate_basis == "tcr":
        scale = target
    else:
        scale = ms.measured_against(c.measure, c.period, p)

    tiers = c.tiers
    gate_open = True
    if c.gate is not None:
        # the gate's measure is measured like the component: same period, to date
        gate_att = ms.attainment(c.gate.measure, c.period, p)
        gate_open = _reached(gate_att, c.gate.min_attainment)
        if not gate_open and c.gate.applies_to == "accelerators":
            tiers = ungated_tiers(c.tiers, c.gate.closed_rate)
            gate_open = True  # the component still pays, without acceleration

    money = table_units(c, credited, tiers) * scale
    if not gate_open:
        money = 0.0
    if not _reached(attainment, c.threshold):  # a cliff, on uncapped attainment
        money = 0.0
    if c.multiplier is not None:
        levels = [(lv.attainment, lv.factor) for lv in c.multiplier.levels]
        money *= _step_value(levels, ms.attainment(c.multiplier.measure, c.period, p))
    if c.payout_cap is not None:
        money = min(money, c.payout_cap * target)
    return money


def bonus_earned(b: Bonus, ms: _RepMeasures, ti: float, p: int, add_back: float = 0.0) -> float:
    """Sum of the milestones reached by year-to-date units over the annual quota."""
    attainment = ms.attainment(b.measure, "year", p, add_back)
    money = 0.0
    for m in b.milestones:
        if _reached(attainment, m.attainment):
            money += m.amount if m.amount is not None else m.share_of_ti * ti
    return money


def settle(earned: list[float], as_if_not_cancelled: list[float] | None):
    """Payments and clawbacks at the evaluation months: the cumulative true-up.

    Without cancellations, paid to date P_k is the running maximum of the earnings
    to date E_k, and period k pays P_k - P_{k-1} (never negative: a bad period is
    made up later). With cancellations, L_k = max(E'_k - E_k, 0) is what this
    period's cancellations took off the earnings (E'_k: earnings as if they had not
    happened); the period pays max(E'_k - P_{k-1}, 0) of commission, claws back
    -L_k, and P_k = max(E_k, P_{k-1} - L_k).
    """
    pays, claws = [], []
    paid_to_date = 0.0
    for k, e in enumerate(earned):
        if as_if_not_cancelled is None:
            new_paid = max(paid_to_date, e)
            pays.append(new_paid - paid_to_date)
            claws.append(0.0)
            paid_to_date = new_paid
        else:
            e_before = as_if_not_cancelled[k]
            lost = max(e_before - e, 0.0)
            new_paid = max(e, paid_to_date - lost)
            # the period pays new_paid - paid_to_date in all: -lost as clawback and
            # the rest as commission
            pays.append(new_paid - paid_to_date + lost)
            claws.append(-lost)
            paid_to_date = new_paid
    return pays, claws


# --------------------------------------------------------------------------------------
# Contests
# --------------------------------------------------------------------------------------


def contest_prizes(contest: Contest, totals: list[float]) -> list[float]:
    """Prize of each rep: ranks by window total, ties share their ranks' prizes.

    Totals are compared to the cent. Only totals above ``min_total`` can win.
    Reps with equal totals occupy
    consecutive ranks and share the prizes of those ranks equally (ranks beyond the
    prize list pay 0).
    """
    totals = [round(t, 2) for t in totals]  # compared to the cent
    eligible = [r for r, t in enumerate(totals) if t > contest.min_total]
    ordered = sorted(eligible, key=lambda r: -totals[r])
    prizes = [0.0] * len(totals)
    rank = 0  # 0-based rank of the first rep of the current tie group
    while rank < len(ordered):
        group = [r for r in ordered if totals[r] == totals[ordered[rank]]]
        pot = sum(
            contest.prizes[k] if k < len(contest.prizes) else 0.0
            for k in range(rank, rank + len(group))
        )
        for r in group:
            prizes[r] = pot / len(group)
        rank += len(group)
    return prizes


# --------------------------------------------------------------------------------------
# The whole plan for one trial
# --------------------------------------------------------------------------------------


def column_names(plan: Plan) -> list[str]:
    """Components in plan order, then ``clawback`` (if a rule), then ``draw`` (if any)."""
    names = [c.name for c in plan.components]
    if plan.clawback is not None:
        names.append("clawback")
    if plan.draw is not None:
        names.append("draw")
    return names


def _rows(x, n_reps: int, n: int) -> list[list[float]]:
    return [[float(v) for v in row] for row in np.broadcast_to(x, (n_reps, n))]


def reference_payout(
    plan: Plan,
    bookings,
    quotas,
    ti,
    measures=None,
    cancellations=None,
    active=None,
    *,
    with_balance: bool = False,
):
    """What ``plan`` pays, per rep, month and column, for one trial.

    Parameters
    ----------
    plan : Plan
    bookings : array_like, shape (n_reps, n_periods)
        Credited bookings per month (gross: cancellations are given separately).
    quotas : array_like, broadcastable to (n_reps, n_periods)
        Bookings quota per month.
    ti : array_like, shape (n_reps,)
        Annual target incentive.
    measures, cancellations : dict of str to array_like (n_reps, n_periods), optional
        Units of declared measures; cancelled units by month of cancellation.
    active : array_like of 0/1, broadcastable to (n_reps, n_periods), optional
        Months employed (draws and MBO shares); default every month.
    with_balance : bool, default False
        Also return the recoverable draw balance owed at the end, shape (n_reps,)
        (zeros without a recoverable draw).

    Returns
    -------
    ndarray, shape (n_reps, n_periods, n_columns)
        Columns as :func:`column_names`.
    """
    bookings = np.asarray(bookings, dtype=float)
    n_reps, n = bookings.shape
    units = {"bookings": _rows(bookings, n_reps, n)}
    units |= {name: _rows(v, n_reps, n) for name, v in (measures or {}).items()}
    cancels = {name: _rows(v, n_reps, n) for name, v in (cancellations or {}).items()}
    quota_rows = _rows(quotas, n_reps, n)
    ti_list = [float(v) for v in np.broadcast_to(np.asarray(ti, dtype=float), (n_reps,))]
    act = _rows(1.0 if active is None else active, n_reps, n)
    columns = column_names(plan)
    n_cols = len(columns)
    out = [[[0.0] * n_cols for _ in range(n)] for _ in range(n_reps)]
    balance_owed = [0.0] * n_reps

    # A rep with no annual bookings quota has no attainment and is paid nothing at
    # all (and takes no part in contests).
    has_quota = [sum(quota_rows[r]) > 0 for r in range(n_reps)]

    # Contests rank reps against each other, so they are settled across reps first:
    # total of the (gross) units in the window, paid in the window's last month, if
    # the data reach it.
    contest_pay: dict[int, list[float]] = {}
    for j, c in enumerate(plan.components):
        if isinstance(c, Contest) and c.end_month <= n:
            totals = [
                sum(units[c.measure][r][c.start_month - 1 : c.end_month]) if has_quota[r] else 0.0
                for r in range(n_reps)
            ]
            contest_pay[j] = contest_prizes(c, totals)

    for r in range(n_reps):
        if not has_quota[r]:
            continue
        ms = _RepMeasures(
            plan,
            {name: rows[r] for name, rows in units.items()},
            {name: rows[r] for name, rows in cancels.items()},
            quota_rows[r],
        )
        row = out[r]
        for j, c in enumerate(plan.components):
            if isinstance(c, (Component, Bonus)):
                period = c.period if isinstance(c, Component) else "year"
                earn = commission_earned if isinstance(c, Component) else bonus_earned
                months = evaluation_months(period, n)
                earned = [earn(c, ms, ti_list[r], p) for p in months]
                before = None
                if c.measure in ms.cancels:
                    # add back what was cancelled since the previous evaluation,
                    # of the component's own measure only: gates and multipliers
                    # read net units (docs/model.md 3.2, "Clawback")
                    before, prev = [], -1
                    for p in months:
                        back = ms.cancelled_between(c.measure, prev, p)
                        before.append(earn(c, ms, ti_list[r], p, back))
                        prev = p
                pays, claws = settle(earned, before)
                for p, pay, claw in zip(months, pays, claws, strict=True):
                    row[p][j] += pay
                    if plan.clawback is not None:
                        # taken back at the end of the cancellation's measurement
                        # period: the same month for month and year components,
                        # the quarter end for quarterly ones (Clawback docstring)
                        row[p][columns.index("clawback")] += claw
            elif isinstance(c, MBO):
                ends = mbo_period_ends(c.period, n)
                active_in_year = sum(act[r])
                start = 0
                levels = [(lv.score, lv.payout) for lv in c.levels]
                for p in ends:
                    active_in_period = sum(act[r][start : p + 1])
                    share = active_in_period / active_in_year if active_in_year > 0 else 0.0
                    score = units[c.measure][r][p]  # the score of the period's last month
                    row[p][j] = c.weight * ti_list[r] * share * _step_value(levels, score)
                    start = p + 1
            elif isinstance(c, Spiff):
                # rate x units credited in each month of the window (gross: a SPIFF
                # is not clawed back)
                for p in range(c.start_month - 1, min(c.end_month, n)):
                    row[p][j] = c.rate * units[c.measure][r][p]
            elif isinstance(c, Contest) and j in contest_pay:
                row[c.end_month - 1][j] = contest_pay[j][r]

        if plan.draw is not None:
            balance_owed[r] = _apply_draw(plan, row, ti_list[r], act[r], n_cols - 1)

    result = np.array(out, dtype=float).reshape(n_reps, n, n_cols)
    if with_balance:
        return result, np.array(balance_owed)
    return result


def _apply_draw(plan: Plan, row: list[list[float]], ti: float, active: list[float], j: int):
    """Fill the draw column ``j`` of one rep's rows; return the balance still owed.

    Each month with a draw (its ``months``, default all, and only while employed)
    the rep gets at least the draw (an amount, or a share of TI / months employed):
    the shortfall of the month's earnings (the components' columns; a clawback is
    taken on top) below it is paid in the draw column. A recoverable draw keeps that as a balance
    and takes it back (a negative draw amount) from earnings above the month's
    draw, in draw months and others; a non-recoverable draw is never taken back.
    """
    draw = plan.draw
    claw_col = j - 1 if plan.clawback is not None else -1
    months = set(draw.months) if draw.months is not None else set(range(1, 13))
    if draw.amount is not None:
        monthly = draw.amount
    else:
        # a share of the monthly TI: the TI (as passed, prorated for a mid-year
        # hire) over the months employed in the data (12 for a full year)
        employed = sum(active)
        monthly = draw.share_of_ti * ti / employed if employed > 0 else 0.0
    balance = 0.0
    for p, cells in enumerate(row):
        due = monthly * active[p] if (p + 1) in months else 0.0
        # the components' earnings; a clawback is taken on top of the draw
        earned = math.fsum(v for k, v in enumerate(cells[:j]) if k != claw_col)
        short = max(due - earned, 0.0) if due > 0 else 0.0
        if draw.recoverable:
            recover = min(max(earned - due, 0.0), balance)
            balance += short - recover
            cells[j] = short - recover
        else:
            cells[j] = short
    return balance if draw.recoverable else 0.0
