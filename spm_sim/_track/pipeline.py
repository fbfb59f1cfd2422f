"""The open pipeline's chances: a monthly model of wins, losses and stage moves.

Each opportunity open at a month end is in a *state*: its stage, its age band
(whole months since ``created_date``: 0-1, 2-3, 4-6, 7+) and whether it is
*overdue* (its expected close date, as recorded then, falls before the next
month begins). One month later it is won, lost, or still open at some stage.
:func:`fit_pipeline` counts those transitions over every month end of the up to
24 months before the as-of date whose next month end is known by then (so no
outcome after the as-of date is ever read: right-censoring by construction), and
puts a Dirichlet prior on each state's row of outcome probabilities,

.. math::

    p_{s,\\cdot} \\sim \\mathrm{Dirichlet}(n_{s,\\cdot} + k\\,\\bar p_{g(s),\\cdot}),

where ``n`` are the counts, ``g(s)`` the state's stage and ``\\bar p_g`` the
stage's pooled rates (themselves shrunk toward every stage's with the same
weight ``k``, :data:`PRIOR_WEIGHT` pseudo-transitions): a sparse cell reads as its
stage. :func:`simulate_pipeline` walks each open opportunity month by month to 31
December (:mod:`.walk`), every trial with its own draw of the rates (the posterior),
so the close month comes from the history's timing, not from the CRM's expected
close date.

Without stage history the stage is not known month by month: every opportunity is
in one pooled stage (``"any"``) and only age and the overdue flag tell states
apart, and the overdue flag of a past month end reads the expected close date as
the pipeline holds it at the as-of date (a CRM export keeps only the latest): an
opportunity re-dated since looks less overdue in the history than it was. That
look-ahead stays inside the history (no outcome after the as-of date is read).
Reps win at their own rates: reps are grouped (at most :data:`REP_GROUPS` groups) by
their shrunk win rate over the team's (:func:`spm_sim.capacity.fit_rep_rates`,
beta-binomial empirical Bayes on each rep's won and lost opportunities closed by the
as-of date), and each group gets two factors fitted as the month and size factors
are: its wins seen over those the states, calendar months and size bands predict from
the group's own open months (jointly with them, so a rep who works large deals is not
marked down twice), and its losses seen over those the states predict, each shrunk
toward 1 with :data:`SEASON_PRIOR` outcomes, then by the group's reps' empirical-Bayes
weight on their own record, and scaled so the history's predicted wins and losses
keep their level. The walk multiplies an opportunity's monthly chance
of winning and of losing by its rep's factors (:meth:`PipelineModel.rep_factors`), so
a rep's open deals close as often as the team's but are won at the rep's share, and
the team's total keeps its level. Reps whose records differ by no more than their
binomial noise are one group with both factors 1 (the forecast unchanged).
With the book's ``opportunities_from`` the opportunities created before it (left
truncated) are left out and month ends are counted from it on. Without any closed
opportunity before the as-of date, the CRM's own ``probability`` and expected close
date are used instead (see the caller's notes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "AGE_BANDS",
    "PRIOR_WEIGHT",
    "REP_GROUPS",
    "PipelineModel",
    "fit_pipeline",
    "open_at",
]

#: Lower edges of the age bands in whole months since creation, and their labels.
AGE_BANDS: tuple[tuple[int, str], ...] = ((0, "0-1"), (2, "2-3"), (4, "4-6"), (7, "7+"))
#: Pseudo-transitions of a state's prior (its stage's pooled rates), and of a
#: stage's prior (every stage's).
PRIOR_WEIGHT = 10.0
#: Pseudo-wins that shrink a calendar month's win factor toward 1.
SEASON_PRIOR = 20.0
#: Bands of opportunity amount (equal counts in the history) with a win factor each.
SIZE_BANDS = 6
#: Months of history the model is calibrated on, at most.
HISTORY_MONTHS = 24
#: Most distinct rep win factors the walk keeps (reps grouped by their factor).
REP_GROUPS = 8
_DAYS_PER_MONTH = 365.25 / 12.0
_WON, _LOST = 0, 1  # outcome columns; column 2 + k is "still open at stage k"


def _band(age_days: np.ndarray) -> np.ndarray:
    months = np.floor(np.maximum(age_days, 0) / _DAYS_PER_MONTH)
    edges = np.array([lo for lo, _ in AGE_BANDS[1:]])
    return np.searchsorted(edges, months, side="right")


@dataclass(frozen=True, eq=False)
class PipelineModel:
    """A calibrated monthly transition model of open opportunities.

    Attributes
    ----------
    stages : tuple of str
        The open stages, in order of the CRM's mean probability (``("any",)``
        without stage history).
    counts : ndarray, shape (n_states, 2 + n_stages)
        Transitions observed from each state in one month: won, lost, still open
        at each stage. State ``s = (stage * n_bands + band) * 2 + overdue``.
    prior : ndarray, same shape
        The Dirichlet pseudo-counts (``PRIOR_WEIGHT`` x the stage's pooled rates).
    as_of : Timestamp
    month_ends : int
        Month ends whose next month was observed (at most 24; none before the month
        of the history's first close: before it an export holds only the
        opportunities that survived to it).
    source : str
        ``"stage_history"`` or ``"pipeline"`` (status and dates only).
    median_slip_days : float
        Median of (close date - expected close date recorded at the last stage
        entry) over the opportunities won in the history (NaN without any).
    cycle_days : ndarray
        Days from creation to close of the won opportunities closed at least
        :data:`COHORT_DAYS` after the history's first opportunity (all won ones
        when fewer than :data:`MIN_CYCLES`), so long cycles count; sorted.
    cycle_amounts : ndarray
        Their amounts, in the order of ``cycle_days``: larger deals take longer, so
        the new-business share weighs each cycle by its amount.
    entry_to_close_days : ndarray, shape (n_stages,)
        Median days from entering each stage to the expected close date recorded
        then (stage history only): an opportunity that moves stage in a simulated
        month gets a new expected close date that many days after the middle of
        the month, as a CRM user re-dates it (empty without stage history).
    amount_ratio : ndarray, shape (n_stages,)
        Won amount over the amount recorded on entering each stage, over the
        opportunities won in the history (amount-weighted, shrunk toward 1 with
        :data:`AMOUNT_PRIOR` opportunities of the stage's mean amount): CRM amounts
        of early stages are optimistic. Empty (no correction) without an ``amount``
        column in the stage history.
    shock : dict
        The company-wide win-rate shock beyond the states and calendar months
        (:func:`_win_shock`): ``sd``, ``rho``, ``last``, ``months``.
    history_from : Timestamp or None
        The first day the history is counted from: the book's
        ``opportunities_from`` when given (opportunities created before it are left
        out), else the day of the history's first close.
    month_factor : ndarray, shape (12,)
        Calendar-month factor of the chance of winning (January first): wins seen
        in the month over those the states predict, each shrunk toward 1 with
        :data:`SEASON_PRIOR` wins. Deals close more at quarter ends; a month's win
        probability is multiplied by it (at most to ``1 - p_lost``), the chance
        of staying open taking up the difference.
    size_edges : ndarray
        The amounts that cut the opportunities of the history into
        :data:`SIZE_BANDS` bands of equal count (empty: one band, no amount).
    size_factor : ndarray, shape (len(size_edges) + 1,)
        Factor of the chance of winning in a month of each size band, estimated as
        :attr:`month_factor` is (wins seen over those the states and calendar months
        predict, shrunk toward 1 with :data:`SEASON_PRIOR` wins), jointly with it:
        large deals take longer to close, so their wins come later in the year.
    rep_ids : tuple of str
        The reps with win factors (those with an opportunity closed in the history).
    rep_group : ndarray of int, shape (len(rep_ids),)
        Each of them's group in :attr:`group_factor`.
    group_factor : ndarray
        Each group's factor of the chance of winning in a month: the group's wins in
        the history over those the states, calendar months and size bands predict
        from its opportunities' open months (jointly with :attr:`month_factor` and
        :attr:`size_factor`), shrunk toward 1 with :data:`SEASON_PRIOR` wins and by
        the reps' weight on their own record (:func:`_shrunk_ratio`), and scaled so
        the history's predicted wins stay the same. One group of factor 1
        when the reps do not differ beyond noise (their shrunk rates,
        :func:`spm_sim.capacity.fit_rep_rates`, are the team's). A rep not among
        ``rep_ids`` has factors 1.
    group_loss_factor : ndarray, same shape
        Each group's factor of the chance of losing in a month: its losses over those
        the states predict, shrunk and scaled the same way. With both factors a rep's
        open deals are won at the rep's share of closes, not only sooner.
    """

    stages: tuple[str, ...]
    counts: np.ndarray
    prior: np.ndarray
    as_of: pd.Timestamp
    month_ends: int
    source: str
    median_slip_days: float = float("nan")
    cycle_days: np.ndarray = field(default_factory=lambda: np.empty(0))
    cycle_amounts: np.ndarray = field(default_factory=lambda: np.empty(0))
    entry_to_close_days: np.ndarray = field(default_factory=lambda: np.empty(0))
    month_factor: np.ndarray = field(default_factory=lambda: np.ones(12))
    shock: dict = field(default_factory=dict)
    amount_ratio: np.ndarray = field(default_factory=lambda: np.empty(0))
    history_from: pd.Timestamp | None = None
    size_edges: np.ndarray = field(default_factory=lambda: np.empty(0))
    size_factor: np.ndarray = field(default_factory=lambda: np.ones(1))
    rep_ids: tuple[str, ...] = ()
    rep_group: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    group_factor: np.ndarray = field(default_factory=lambda: np.ones(1))
    group_loss_factor: np.ndarray = field(default_factory=lambda: np.ones(1))

    def win_bands(self, opps: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """The size bands' win factors and each opportunity's size band.

        Returns ``(factors, band)``: ``band`` (n_opps,) indexes ``factors``
        (:attr:`size_factor`; one band of factor 1 without amounts).

        Examples
        --------
        >>> m = PipelineModel(stages=("any",), counts=np.zeros((8, 3)), prior=np.ones((8, 3)),
        ...     as_of=pd.Timestamp("2025-06-30"), month_ends=6, source="pipeline",
        ...     size_edges=np.array([5_000.0]), size_factor=np.array([1.1, 0.9]))
        >>> factors, band = m.win_bands(pd.DataFrame({"amount": [900.0, 12_000.0]}))
        >>> factors.tolist(), band.tolist()
        ([1.1, 0.9], [0, 1])
        """
        size_factor = np.asarray(self.size_factor, dtype=float)
        if size_factor.size > 1 and "amount" in opps.columns:
            z = self.size_band(pd.to_numeric(opps["amount"], errors="coerce").to_numpy(float))
            return size_factor, z
        return np.ones(1), np.zeros(len(opps), dtype=np.int64)

    def rep_factors(self, opps: pd.DataFrame) -> tuple[np.ndarray, np.ndarray] | None:
        """Each opportunity's rep's factors of the monthly chances of winning and losing.

        Returns ``(win, loss)``, each shape (n_opps,) (a rep not fitted: 1 and 1), or
        None when there are no rep factors (one group: the reps do not differ beyond
        noise, or no ``rep_id`` column): the walk is then the same as without reps.

        Examples
        --------
        >>> m = PipelineModel(stages=("any",), counts=np.zeros((8, 3)), prior=np.ones((8, 3)),
        ...     as_of=pd.Timestamp("2025-06-30"), month_ends=6, source="pipeline",
        ...     rep_ids=("R1", "R2"), rep_group=np.array([0, 1]),
        ...     group_factor=np.array([0.8, 1.25]), group_loss_factor=np.array([1.1, 0.9]))
        >>> win, loss = m.rep_factors(pd.DataFrame({"rep_id": ["R2", "R9", "R1"]}))
        >>> win.tolist(), loss.tolist()
        ([1.25, 1.0, 0.8], [0.9, 1.0, 1.1])
        """
        win = np.asarray(self.group_factor, dtype=float)
        loss = np.asarray(self.group_loss_factor, dtype=float)
        if win.size <= 1 or not self.rep_ids or "rep_id" not in opps.columns:
            return None
        if loss.size != win.size:
            loss = np.ones(win.size)
        pos = pd.Index(self.rep_ids).get_indexer(opps["rep_id"].astype(str))
        g = np.asarray(self.rep_group, dtype=np.int64)[np.maximum(pos, 0)]
        known = pos >= 0
        return np.where(known, win[g], 1.0), np.where(known, loss[g], 1.0)

    def size_band(self, amount: np.ndarray) -> np.ndarray:
        """Each amount's size band (0 the smallest), by :attr:`size_edges`."""
        a = np.nan_to_num(np.asarray(amount, dtype=float), nan=0.0)
        return np.searchsorted(self.size_edges, a, side="right").astype(np.int64)

    def won_amount(self, amount: np.ndarray, stage: np.ndarray) -> np.ndarray:
        """The amount an opportunity is expected to be won at, from the amount recorded
        at its stage (``stage``: positions in :attr:`stages`), by :attr:`amount_ratio`."""
        amount = np.asarray(amount, dtype=float)
        if self.amount_ratio.size == 0 or amount.size == 0:
            return amount
        return amount * self.amount_ratio[np.asarray(stage, dtype=np.int64)]

    @property
    def n_bands(self) -> int:
        return len(AGE_BANDS)

    @property
    def n_states(self) -> int:
        return len(self.stages) * self.n_bands * 2

    def state(self, stage: np.ndarray, band: np.ndarray, overdue: np.ndarray) -> np.ndarray:
        """State index of (stage index, age band, overdue flag), broadcast."""
        return (np.asarray(stage) * self.n_bands + np.asarray(band)) * 2 + np.asarray(overdue)

    @property
    def probabilities(self) -> np.ndarray:
        """Posterior mean of each state's outcome probabilities, shape (n_states, 2 + n_stages)."""
        a = self.counts + self.prior
        return a / a.sum(axis=1, keepdims=True)

    def to_frame(self) -> pd.DataFrame:
        """One row per state: its counts and posterior mean rates of winning and losing."""
        n_s, n_b = len(self.stages), self.n_bands
        idx = np.arange(self.n_states)
        stage, rest = np.divmod(idx, n_b * 2)
        band, overdue = np.divmod(rest, 2)
        p = self.probabilities
        return pd.DataFrame(
            {
                "stage": [self.stages[i] for i in stage],
                "age_months": [AGE_BANDS[b][1] for b in band],
                "overdue": overdue.astype(bool),
                "observed": self.counts.sum(axis=1).astype(int),
                "won": self.counts[:, _WON].astype(int),
                "lost": self.counts[:, _LOST].astype(int),
                "p_won": p[:, _WON],
                "p_lost": p[:, _LOST],
                "p_open": p[:, 2:].sum(axis=1),
            }
        ).iloc[: n_s * n_b * 2]


def open_at(pipeline: pd.DataFrame, date: pd.Timestamp) -> np.ndarray:
    """Which rows of ``pipeline`` are open at the end of ``date`` (created, not closed)."""
    created = pipeline["created_date"].to_numpy()
    closed = _closed_dates(pipeline)
    d = np.datetime64(pd.Timestamp(date))
    return (created <= d) & (np.isnat(closed) | (closed > d))


def _closed_dates(pipeline: pd.DataFrame) -> np.ndarray:
    if "closed_date" not in pipeline.columns:
        return np.full(len(pipeline), np.datetime64("NaT"), dtype="datetime64[ns]")
    closed = pd.to_datetime(pipeline["closed_date"]).to_numpy()
    status = _status(pipeline)
    return np.where(status == "open", np.datetime64("NaT"), closed)


def _status(pipeline: pd.DataFrame) -> np.ndarray:
    if "status" not in pipeline.columns:
        return np.full(len(pipeline), "open", dtype=object)
    s = pipeline["status"].astype(object).where(pipeline["status"].notna(), "open")
    return s.astype(str).str.lower().replace("", "open").to_numpy(dtype=object)


def _stage_order(pipeline: pd.DataFrame, stage_history: pd.DataFrame | None) -> tuple[str, ...]:
    """The open stages in order of the CRM's mean probability, then name."""
    names = set(pipeline["stage"].dropna().astype(str))
    if stage_history is not None and len(stage_history):
        names |= set(stage_history["stage"].dropna().astype(str))
    mean_p = (
        pipeline.groupby(pipeline["stage"].astype(str))["probability"].mean()
        if "probability" in pipeline.columns
        else pd.Series(dtype=float)
    )
    return tuple(
        sorted(names, key=lambda s: (float(mean_p.get(s, np.nan)) if s in mean_p else 9.0, s))
    )


def _stage_codes(names: np.ndarray, stages: tuple[str, ...]) -> np.ndarray:
    """Each name's position in ``stages`` (0 for a name not among them)."""
    pos = pd.Index(stages).get_indexer(pd.Index(np.asarray(names, dtype=object)).astype(str))
    return np.where(pos < 0, 0, pos).astype(np.int64)


def _month_ends(as_of: pd.Timestamp, months: int) -> list[pd.Timestamp]:
    """Month ends ``e`` whose next month end is on or before ``as_of``, latest last."""
    last = as_of if as_of == as_of + pd.offsets.MonthEnd(0) else as_of - pd.offsets.MonthEnd(1)
    # transitions e -> e + 1 month with e + 1 month <= last
    ends = [last - pd.offsets.MonthEnd(k) for k in range(months, 0, -1)]
    return [pd.Timestamp(e) for e in ends]


def _at_dates(
    cols: dict[str, np.ndarray], dates: np.ndarray, history: pd.DataFrame | None, pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Stage (name) and expected close date of opportunity rows ``pos`` at ``dates``.

    From the last stage-history row dated on or before the date; the pipeline row's
    stage and expected close date where there is none (or no history at all).
    """
    stage = cols["stage"][pos]
    ecd = cols["expected_close_date"][pos]
    if history is None or history.empty:
        return stage, ecd
    grid = pd.DataFrame(
        {
            "opportunity_id": cols["opportunity_id"][pos],
            "date": pd.to_datetime(dates).astype("datetime64[ns]"),
            "_row": np.arange(len(pos)),
        }
    ).sort_values("date", kind="stable")
    h = history.sort_values("date", kind="stable")
    merged = pd.merge_asof(grid, h, on="date", by="opportunity_id", direction="backward")
    merged = merged.sort_values("_row", kind="stable")
    has = merged["stage"].notna().to_numpy()
    stage = np.where(has, merged["stage"].astype(str).to_numpy(dtype=object), stage)
    if "expected_close_date" in merged.columns:
        h_ecd = pd.to_datetime(merged["expected_close_date"]).to_numpy()
        ecd = np.where(has & ~np.isnat(h_ecd), h_ecd, ecd)
    return stage, ecd


def _columns(opps: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns :func:`_at_dates` reads, as numpy arrays (converted once)."""
    return {
        "stage": opps["stage"].astype(str).to_numpy(dtype=object),
        "expected_close_date": opps["expected_close_date"].to_numpy(),
        "opportunity_id": opps["opportunity_id"].astype(str).to_numpy(dtype=object),
    }


def _clean_history(stage_history: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame | None:
    if stage_history is None or len(stage_history) == 0:
        return None
    cols = ["opportunity_id", "date", "stage"]
    if "expected_close_date" in stage_history.columns:
        cols.append("expected_close_date")
    h = stage_history.loc[pd.to_datetime(stage_history["date"]) <= as_of, cols].copy()
    h["opportunity_id"] = h["opportunity_id"].astype(str)
    h["date"] = pd.to_datetime(h["date"]).astype("datetime64[ns]")
    h["stage"] = h["stage"].astype(str)
    if "expected_close_date" in h.columns:
        h["expected_close_date"] = pd.to_datetime(h["expected_close_date"])
    return h if len(h) else None


def fit_pipeline(
    pipeline: pd.DataFrame,
    stage_history: pd.DataFrame | None,
    as_of: pd.Timestamp,
    *,
    months: int = HISTORY_MONTHS,
    prior_weight: float = PRIOR_WEIGHT,
    opportunities_from: pd.Timestamp | str | None = None,
) -> PipelineModel | None:
    """Calibrate the monthly transition model on the history known at ``as_of``.

    Parameters
    ----------
    pipeline : DataFrame
        Every opportunity (``opportunity_id, stage, probability, created_date,
        expected_close_date`` and the optional ``status, closed_date``), as known at
        ``as_of`` (rows created later and closes after it are ignored anyway).
    stage_history : DataFrame or None
        ``opportunity_id, date, stage`` and optionally ``expected_close_date``.
    as_of : Timestamp
    months : int, default 24
        Month ends of history used, at most.
    prior_weight : float, default :data:`PRIOR_WEIGHT`
    opportunities_from : Timestamp, optional
        The day the export holds every opportunity from (``Book.opportunities_from``,
        book.yaml's ``opportunities_from``). Opportunities created before it are
        left-truncated (only those still open, or closed late, are in an export
        that starts there), so they are dropped, and only month ends on or after it
        are counted. Default: the opportunities closed before the history's first
        close are missing, so month ends are counted from the month of that close.

    Returns
    -------
    PipelineModel or None
        None when no opportunity was won or lost in the window (nothing to
        calibrate on: the caller falls back to the CRM's probabilities).

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["O1", "O2"], "stage": ["Propose"] * 2,
    ...     "probability": [0.5, 0.5], "status": ["won", "lost"],
    ...     "created_date": pd.to_datetime(["2025-01-10", "2025-01-20"]),
    ...     "closed_date": pd.to_datetime(["2025-03-05", "2025-02-10"]),
    ...     "expected_close_date": pd.to_datetime(["2025-02-28", "2025-03-31"])})
    >>> m = fit_pipeline(opps, None, pd.Timestamp("2025-06-30"))
    >>> m.stages, int(m.counts[:, 0].sum()), int(m.counts[:, 1].sum())
    (('any',), 1, 1)
    """
    as_of = pd.Timestamp(as_of).normalize()
    known = pipeline[pd.to_datetime(pipeline["created_date"]) <= as_of].reset_index(drop=True)
    since = None
    opps = known
    if opportunities_from is not None and not pd.isna(opportunities_from):
        # cohorts created before the export's first day are left-truncated (those
        # closed before it are missing): the transitions are counted without them
        since = pd.Timestamp(opportunities_from).normalize()
        opps = known[pd.to_datetime(known["created_date"]) >= since].reset_index(drop=True)
    cols = _columns(opps)
    history = _clean_history(stage_history, as_of)
    status = _status(opps)
    closed = _closed_dates(opps)
    closed = np.where(closed <= np.datetime64(as_of), closed, np.datetime64("NaT"))
    source = "stage_history" if history is not None else "pipeline"
    stages = _stage_order(opps, history) if history is not None else ("any",)
    n_k = len(stages)
    n_b = len(AGE_BANDS)
    counts = np.zeros((n_k * n_b * 2, 2 + n_k))
    created = pd.to_datetime(opps["created_date"]).to_numpy()
    ends = _month_ends(as_of, months)
    history_from = since
    if since is not None:
        # the opportunities created from ``since`` on are all there: count from it on
        ends = [e for e in ends if e >= since]
    elif (~np.isnat(closed)).any():
        # an export holds the opportunities closed from some day on: before its first
        # close, only the survivors are in it (left truncation), so those months are
        # not counted
        first_close = pd.Timestamp(closed[~np.isnat(closed)].min())
        history_from = first_close
        ends = [e for e in ends if e + pd.offsets.MonthEnd(1) >= first_close]
    used = 0
    amounts = (
        pd.to_numeric(opps["amount"], errors="coerce").to_numpy(float)
        if "amount" in opps.columns
        else np.full(len(opps), np.nan)
    )
    size_edges = _size_edges(amounts)
    size = np.searchsorted(size_edges, np.nan_to_num(amounts, nan=0.0), side="right")
    n_z = size_edges.size + 1
    # observations by calendar month, size band and state; wins by month and size band
    by_cell = np.zeros((12, n_z, n_k * n_b * 2))
    wins_cell = np.zeros((12, n_z))
    reps = _rep_groups(opps, as_of)
    if reps:
        # the same by rep group too (the last group: reps without a fitted rate), and
        # each group's losses
        n_g = len(reps["group_factor"]) + 1
        pos_r = pd.Index(reps["rep_ids"]).get_indexer(opps["rep_id"].astype(str))
        group = np.where(pos_r >= 0, reps["rep_group"][np.maximum(pos_r, 0)], n_g - 1)
        by_group = np.zeros((12, n_z, n_g, n_k * n_b * 2))
        wins_group = np.zeros((12, n_z, n_g))
        lost_group = np.zeros(n_g)
    series: list[tuple[int, np.ndarray, float]] = []  # each month: calendar month, states, wins
    money: list[tuple] = []  # each month: calendar month, each open opportunity's state,
    # size band and amount, and the amount won
    for e in ends:
        e64 = np.datetime64(e)
        nxt = np.datetime64(e + pd.offsets.MonthEnd(1))
        pos = np.flatnonzero((created <= e64) & (np.isnat(closed) | (closed > e64)))
        if pos.size == 0:
            continue
        used += 1
        when = np.full(pos.size, e64)
        stage_e, ecd_e = _at_dates(cols, when, history, pos)
        if history is None:
            k_e = np.zeros(pos.size, dtype=int)
        else:
            k_e = _stage_codes(stage_e, stages)
        band = _band((e64 - created[pos]) / np.timedelta64(1, "D"))
        overdue = (~np.isnat(ecd_e)) & (ecd_e <= e64)
        state = (k_e * n_b + band) * 2 + overdue.astype(int)
        c = closed[pos]
        ended = ~np.isnat(c) & (c <= nxt)
        won = ended & (status[pos] == "won")
        outcome = np.where(won, _WON, _LOST)
        still = ~ended
        if still.any():
            if history is None:
                k_n = np.zeros(int(still.sum()), dtype=int)
            else:
                stage_n, _ = _at_dates(cols, np.full(int(still.sum()), nxt), history, pos[still])
                k_n = _stage_codes(stage_n, stages)
            outcome = outcome.copy()
            outcome[still] = 2 + k_n
        np.add.at(counts, (state, outcome), 1.0)
        cal = pd.Timestamp(nxt).month - 1
        np.add.at(by_cell[cal], (size[pos], state), 1.0)
        wins_cell[cal] += np.bincount(size[pos][won], minlength=n_z)
        if reps:
            np.add.at(by_group[cal], (size[pos], group[pos], state), 1.0)
            np.add.at(wins_group[cal], (size[pos][won], group[pos][won]), 1.0)
            lost_group += np.bincount(group[pos][ended & ~won], minlength=n_g)
        series.append(
            (
                pd.Timestamp(nxt).month - 1,
                np.bincount(state, minlength=counts.shape[0]),
                float(won.sum()),
            )
        )
        a_pos = np.nan_to_num(amounts[pos], nan=0.0)
        money.append((cal, state, size[pos], a_pos, float(a_pos[won].sum())))
        if reps:
            money[-1] += (group[pos],)
    if counts[:, :2].sum() == 0:
        return None
    prior = _prior(counts, n_k, n_b, prior_weight)
    # the wins' own statistics (cycles, slip, won amounts) read every win closed from
    # ``since`` on, whenever it was created: the export holds all of them
    w_opps = known if since is not None else opps
    w_status = _status(w_opps)
    w_closed = _closed_dates(w_opps)
    w_closed = np.where(w_closed <= np.datetime64(as_of), w_closed, np.datetime64("NaT"))
    if since is not None:
        w_closed = np.where(w_closed >= np.datetime64(since), w_closed, np.datetime64("NaT"))
    cycles, cycle_amounts = _won_cycles(w_opps, w_status, w_closed, complete=since is not None)
    p_all = (counts + prior) / (counts + prior).sum(axis=1, keepdims=True)
    p_won = p_all[:, _WON]
    if reps:
        own = np.append(reps.pop("own_weight"), 0.0)
        month_factor, size_factor, win_g = _month_size_rep(by_group @ p_won, wins_group, own)
        # losses by group over those the states predict (the month and size factors
        # act on winning only)
        lost_expected = by_group.sum(axis=(0, 1)) @ p_all[:, _LOST]
        reps["group_factor"] = win_g[:-1]
        reps["group_loss_factor"] = _shrunk_ratio(lost_group, lost_expected, own)[:-1]
    else:
        month_factor, size_factor = _month_and_size(by_cell @ p_won, wins_cell)
    shock = _win_shock(series, p_won, month_factor)
    rep_win = np.append(reps["group_factor"], 1.0) if reps else None
    by_amount = _win_shock_amounts(money, p_won, month_factor, size_factor, rep_win)
    if by_amount["sd"] > shock["sd"]:
        shock = by_amount
    return PipelineModel(
        stages=stages,
        counts=counts,
        prior=prior,
        as_of=as_of,
        month_ends=used,
        source=source,
        median_slip_days=_median_slip(w_opps, history, w_status, w_closed),
        cycle_days=cycles,
        cycle_amounts=cycle_amounts,
        entry_to_close_days=_entry_gaps(history, stages),
        month_factor=month_factor,
        shock=shock,
        amount_ratio=_amount_ratios(w_opps, stage_history, as_of, w_status, w_closed, stages),
        history_from=history_from,
        size_edges=size_edges,
        size_factor=size_factor,
        **reps,
    )


def _rep_groups(opps: pd.DataFrame, as_of: pd.Timestamp) -> dict:
    """The reps grouped by their shrunk win rate over the team's, into at most
    :data:`REP_GROUPS` groups (``rep_ids``, ``rep_group`` and ``group_factor``, the
    groups' mean ratio, which the caller replaces by the fitted factors, and
    ``own_weight``, each group's weight on its own record: its reps' empirical-Bayes
    shrinkage, weighted by their opportunities); none (one group, factor 1) without
    rep ids or when the reps' rates do not differ beyond noise."""
    from spm_sim.capacity import fit_rep_rates  # scipy, loaded when a model is fitted
    from spm_sim.errors import DataError

    if "rep_id" not in opps.columns or "status" not in opps.columns:
        return {}
    try:
        rates = fit_rep_rates(opps, as_of=as_of)
    except DataError:  # no closed opportunity with dates: no rep has a rate
        return {}
    factor = (rates["win_rate"] / rates.attrs["team_win_rate"]).to_numpy(float)
    rounded = np.round(factor, 2)
    values = np.unique(rounded)
    if values.size <= 1:  # one group is the team: no factor
        return {}
    if values.size <= REP_GROUPS:
        group = np.searchsorted(values, rounded)
        means = np.array([factor[group == k].mean() for k in range(values.size)])
    else:
        edges = np.quantile(factor, np.arange(1, REP_GROUPS) / REP_GROUPS)
        group = np.searchsorted(edges, factor, side="right")
        used = np.unique(group)
        group = np.searchsorted(used, group)
        means = np.array([factor[group == k].mean() for k in range(used.size)])
    n = rates["opportunities"].to_numpy(float)
    own = np.bincount(group, weights=rates["shrinkage"].to_numpy(float) * n) / np.maximum(
        np.bincount(group, weights=n), 1e-300
    )
    return {
        "rep_ids": tuple(str(r) for r in rates.index),
        "rep_group": group.astype(np.int64),
        "group_factor": means,
        "own_weight": own,
    }


def _size_edges(amounts: np.ndarray) -> np.ndarray:
    """Cut points of :data:`SIZE_BANDS` equal-count bands of the amounts (empty: one band)."""
    a = amounts[np.isfinite(amounts)]
    if a.size < 10 * SIZE_BANDS:
        return np.empty(0)
    edges = np.quantile(a, np.arange(1, SIZE_BANDS) / SIZE_BANDS)
    return np.unique(edges)


def _month_and_size(expected: np.ndarray, wins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Calendar-month and size-band factors of the win rate, estimated jointly.

    ``expected`` (12, n_z) are the wins the states predict in each calendar month and
    size band, ``wins`` (12, n_z) those seen. Wins ``~ expected x month x size``;
    each factor in turn is its wins over its prediction with the other factor in,
    both shrunk toward 1 with :data:`SEASON_PRIOR` wins, the size factors scaled so
    the history's predicted wins stay the same (the month factor keeps the level).
    """
    month = np.ones(expected.shape[0])
    size = np.ones(expected.shape[1])
    for _ in range(10):
        by_month = (expected * size[None, :]).sum(axis=1)
        month = (wins.sum(axis=1) + SEASON_PRIOR) / (by_month + SEASON_PRIOR)
        by_size = (expected * month[:, None]).sum(axis=0)
        size = (wins.sum(axis=0) + SEASON_PRIOR) / (by_size + SEASON_PRIOR)
        weight = (expected * month[:, None]).sum(axis=0)
        size = size / max(float((weight * size).sum() / max(weight.sum(), 1e-300)), 1e-300)
    return month, size


#: Opportunities of a stage's mean amount that shrink its won-amount ratio toward 1.
AMOUNT_PRIOR = 20.0


def _month_size_rep(
    expected: np.ndarray, wins: np.ndarray, own: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calendar-month, size-band and rep-group factors of the win rate, estimated jointly.

    As :func:`_month_and_size` with a third axis: ``expected`` and ``wins`` have shape
    (12, n_z, n_g), wins ``~ expected x month x size x rep``. The last group (reps
    without a fitted rate) keeps factor 1; the others' factors are their wins over
    their prediction with the month and size factors in, shrunk toward 1 as
    :func:`_shrunk_ratio` does (``own``: each group's weight on its own record) and
    scaled so their predicted wins stay the same.
    """
    month = np.ones(expected.shape[0])
    size = np.ones(expected.shape[1])
    rep = np.ones(expected.shape[2])
    for _ in range(20):
        by_month = (expected * size[None, :, None] * rep[None, None, :]).sum(axis=(1, 2))
        month = (wins.sum(axis=(1, 2)) + SEASON_PRIOR) / (by_month + SEASON_PRIOR)
        e = expected * month[:, None, None]
        weight = (e * rep[None, None, :]).sum(axis=(0, 2))
        size = (wins.sum(axis=(0, 2)) + SEASON_PRIOR) / (weight + SEASON_PRIOR)
        size = size / max(float((weight * size).sum() / max(weight.sum(), 1e-300)), 1e-300)
        by_rep = (e * size[None, :, None]).sum(axis=(0, 1))
        rep[:-1] = _shrunk_ratio(wins.sum(axis=(0, 1))[:-1], by_rep[:-1], own[:-1])
    return month, size, rep


def _shrunk_ratio(seen: np.ndarray, expected: np.ndarray, own: np.ndarray) -> np.ndarray:
    """``1 + own x ((seen + S) / (expected + S) - 1)`` (``S`` = :data:`SEASON_PRIOR`),
    scaled so that ``sum(expected x ratio) = sum(expected)``: the groups' shares move,
    the level not.

    ``own`` is each group's weight on its own record, the empirical-Bayes shrinkage of
    its reps' win rates (:func:`spm_sim.capacity.fit_rep_rates`): the groups are
    formed by sorting reps on those rates, so a group's raw ratio carries the extremes'
    luck (winner's curse); pulling it toward 1 as much as the reps' rates are keeps
    the factors no more spread than the rates they group.
    """
    raw = (np.asarray(seen, float) + SEASON_PRIOR) / (np.asarray(expected, float) + SEASON_PRIOR)
    ratio = 1.0 + np.asarray(own, float) * (raw - 1.0)
    total = float(expected.sum())
    if total <= 0:
        return ratio
    return ratio * total / max(float((expected * ratio).sum()), 1e-300)


def _amount_ratios(
    opps: pd.DataFrame,
    stage_history: pd.DataFrame | None,
    as_of: pd.Timestamp,
    status: np.ndarray,
    closed: np.ndarray,
    stages: tuple[str, ...],
) -> np.ndarray:
    """Won amount / amount recorded at each stage entry, over the history's wins.

    ``sum(won) / sum(recorded)`` over the stage-history rows (dated by ``as_of``) of
    the opportunities won by ``as_of``, each stage shrunk toward 1 with
    :data:`AMOUNT_PRIOR` rows of its mean amount. Empty without amounts.
    """
    if (
        stage_history is None
        or not len(stage_history)
        or "amount" not in stage_history.columns
        or "amount" not in opps.columns
        or stages == ("any",)
    ):
        return np.empty(0)
    won = (status == "won") & ~np.isnat(closed)
    final = pd.Series(
        opps["amount"].to_numpy(float)[won], index=opps["opportunity_id"].astype(str)[won]
    )
    final = final[~final.index.duplicated()]
    h = stage_history[pd.to_datetime(stage_history["date"]) <= as_of]
    ids = h["opportunity_id"].astype(str)
    keep = ids.isin(final.index).to_numpy() & h["amount"].notna().to_numpy()
    if not keep.any():
        return np.empty(0)
    recorded = h["amount"].to_numpy(float)[keep]
    won_amount = final.reindex(ids[keep]).to_numpy(float)
    stage = _stage_codes(h["stage"].astype(str).to_numpy(dtype=object)[keep], stages)
    n = len(stages)
    rec = np.bincount(stage, weights=recorded, minlength=n)
    got = np.bincount(stage, weights=won_amount, minlength=n)
    rows = np.bincount(stage, minlength=n).astype(float)
    mean = np.where(rows > 0, rec / np.maximum(rows, 1.0), 1.0)
    ratio = (got + AMOUNT_PRIOR * mean) / (rec + AMOUNT_PRIOR * mean)
    return np.where(np.isfinite(ratio) & (ratio > 0), ratio, 1.0)


def _win_shock(series, p_won: np.ndarray, month_factor: np.ndarray) -> dict[str, float]:
    """The company-wide month-to-month variation of win rates beyond the states'.

    Each observed month ``i`` has ``W_i`` wins where the states and the calendar
    month predict ``E_i``; ``r_i = log((W_i + 1/2) / (E_i + 1/2))``. Its variance less
    the Poisson part (``mean 1 / E_i``) is a shared shock's, ``sd^2``; the lag-one
    autocorrelation of ``r`` is its AR(1) ``rho`` (clipped to [0, 0.9]). The last
    month's shock is estimated by shrinking its ``r`` by ``sd^2 / (sd^2 + 1 / E)``:
    ``last``. Fewer than 6 months give no shock.
    """
    out = {"sd": 0.0, "rho": 0.0, "last": 0.0, "months": float(len(series))}
    if len(series) < 6:
        return out
    e = np.array([float(n @ p_won) * month_factor[m] for m, n, _ in series])
    w = np.array([won for _, _, won in series])
    ok = e > 0
    if ok.sum() < 6:
        return out
    r = np.log((w[ok] + 0.5) / (e[ok] + 0.5))
    r = r - r.mean()
    var = max(float(r.var(ddof=1)) - float(np.mean(1.0 / (e[ok] + 0.5))), 0.0)
    if var <= 0:
        return out
    rho = float(np.clip((r[:-1] @ r[1:]) / (r @ r), 0.0, 0.9))
    noise = 1.0 / (e[ok][-1] + 0.5)
    out.update(sd=float(np.sqrt(var)), rho=rho, last=float(r[-1] * var / (var + noise)))
    return out


def _win_shock_amounts(
    money: list[tuple],
    p_won: np.ndarray,
    month_factor: np.ndarray,
    size_factor: np.ndarray,
    rep_factor: np.ndarray | None = None,
) -> dict[str, float]:
    """:func:`_win_shock` read on the amounts won, not the number of wins.

    Month ``i`` of the history won ``W_i`` (money) where the states, the calendar
    month and the size bands predict ``E_i = sum_j p_j a_j`` over the opportunities
    open at its start (``p_j`` the state's win chance times the month's and the size
    band's factors, and the rep group's with ``rep_factor``: each month's entry then
    holds the opportunities' groups last; ``a_j`` the amount). ``r_i = log(W_i / E_i)``,
    centred; the sampling part of its variance is ``sum_j p_j (1 - p_j) a_j^2 / E_i^2`` (which
    opportunities win, at their own amounts), the rest a shared shock, ``sd^2``.
    A month's money moves more than its count of wins when the large deals come in
    together or slip together, which the count-based shock does not see. ``rho``
    and ``last`` as there. Fewer than 6 months with money won give no shock.
    """
    out = {"sd": 0.0, "rho": 0.0, "last": 0.0, "months": float(len(money))}
    e, w, noise = [], [], []
    for cal, state, size, amount, won, *group in money:
        p = p_won[state] * month_factor[cal] * size_factor[size]
        if rep_factor is not None:
            p = p * rep_factor[group[0]]
        p = np.clip(p, 0.0, 1.0)
        expected = float((p * amount).sum())
        if expected <= 0 or won <= 0:
            continue
        e.append(expected)
        w.append(won)
        noise.append(float((p * (1.0 - p) * amount**2).sum()) / expected**2)
    if len(e) < 6:
        return out
    r = np.log(np.array(w) / np.array(e))
    r = r - r.mean()
    var = max(float(r.var(ddof=1)) - float(np.mean(noise)), 0.0)
    if var <= 0:
        return out
    rho = float(np.clip((r[:-1] @ r[1:]) / (r @ r), 0.0, 0.9))
    out.update(sd=float(np.sqrt(var)), rho=rho, last=float(r[-1] * var / (var + noise[-1])))
    return out


def _entry_gaps(history: pd.DataFrame | None, stages: tuple[str, ...]) -> np.ndarray:
    """Median days from a stage entry to the expected close date recorded then."""
    if history is None or "expected_close_date" not in history.columns:
        return np.empty(0)
    gap = (history["expected_close_date"] - history["date"]).dt.days
    by = gap.groupby(history["stage"]).median()
    overall = float(gap.median()) if gap.notna().any() else 30.0
    return np.array(
        [float(by.get(s, overall)) if pd.notna(by.get(s, np.nan)) else overall for s in stages]
    )


def _prior(counts: np.ndarray, n_k: int, n_b: int, k: float) -> np.ndarray:
    """Each state's pseudo-counts: ``k`` x its stage's pooled rates, themselves shrunk
    toward every stage's pooled rates (so an empty stage still has a proper prior)."""
    by_stage = counts.reshape(n_k, n_b * 2, -1).sum(axis=1)  # (K, outcomes)
    overall = counts.sum(axis=0)
    overall = (overall + 1.0) / (overall.sum() + overall.size)  # never a zero rate
    stage_rates = (by_stage + k * overall) / (by_stage.sum(axis=1, keepdims=True) + k)
    return k * np.repeat(stage_rates, n_b * 2, axis=0)


#: Won cycles are read from the deals closed at least this many days after the
#: history's first opportunity was created (when there are :data:`MIN_CYCLES` of
#: them): a deal closed sooner cannot show a cycle longer than the history, which
#: would bias the cycles short. Selecting by close date is what the new-business
#: share needs: it asks how long ago a deal closing on a given day was created.
COHORT_DAYS = 270
MIN_CYCLES = 50


def _won_cycles(
    opps: pd.DataFrame, status: np.ndarray, closed: np.ndarray, *, complete: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Days from creation to close of the won opportunities, sorted, and their amounts.

    ``complete``: every win closed in the window is there whenever it was created (a
    book's ``opportunities_from``), so no cohort rule is needed.
    """
    won = (status == "won") & ~np.isnat(closed)
    created = pd.to_datetime(opps["created_date"]).to_numpy()
    if not len(created):
        return np.empty(0), np.empty(0)
    old = closed >= created.min() + np.timedelta64(COHORT_DAYS, "D")
    if not complete and int((won & old).sum()) >= MIN_CYCLES:
        won &= old
    days = np.maximum(((closed[won] - created[won]) / np.timedelta64(1, "D")).astype(float), 0.0)
    amount = opps["amount"].to_numpy(float)[won] if "amount" in opps else np.ones(int(won.sum()))
    order = np.argsort(days, kind="stable")
    return days[order], amount[order]


def _median_slip(opps, history, status, closed) -> float:
    won = np.flatnonzero((status == "won") & ~np.isnat(closed))
    if won.size == 0:
        return float("nan")
    # the expected close date as recorded at the last stage entry before the close
    _, ecd = _at_dates(_columns(opps), closed[won], history, won)
    ok = ~np.isnat(ecd)
    if not ok.any():
        return float("nan")
    return float(np.median((closed[won][ok] - ecd[ok]) / np.timedelta64(1, "D")))
