"""The quota designer: quota methods side by side on the same simulated sales.

Re-exported by :mod:`spm_sim.widgets`. A press of *Compare* is three steps: widget
values -> one :class:`~spm_sim.quota.QuotaSettings` per ticked method
(:func:`method_settings`) -> :func:`spm_sim.company_view` (the company-level table)
and :func:`spm_sim.sweep.quota_diagnostics_by_setting` (each method's quotas and
their attainment and fit) -> the figures of :mod:`spm_sim.viz.quota`.

Every method is simulated with the scenario's seed, so all of them face the same
simulated sales trial by trial (common random numbers): with the same growth, their
probability of reaching the company target is the same number, and the other
differences come from how the quotas are spread, not from sampling noise.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from IPython.display import Image, display
from matplotlib.figure import Figure

from spm_sim._format import format_money, format_pct, no_maths
from spm_sim.book import Book, load_book_ref
from spm_sim.errors import SpecError, SpmSimError
from spm_sim.metrics import check_figures
from spm_sim.quota import QuotaDiagnostics, Quotas, QuotaSettings
from spm_sim.scenario import Scenario, sample_scenario
from spm_sim.simulate import SalesDraws, draw_sales
from spm_sim.sweep import company_view, quota_diagnostics_by_setting
from spm_sim.viz.quota import attainment_comparison_figure, quota_fit_figure
from spm_sim.viz.results import fig_to_base64_png
from spm_sim.viz.tables import money_table

from .plan import flags_html

__all__ = ["QuotaDesigner", "method_settings", "normalised_weights"]

#: The methods the designer can compare, in the order of its check boxes.
CHOICES = ("history", "equal", "potential", "capacity", "blend", "calibrated")
#: Ticked when the designer starts (plus the scenario's own method).
DEFAULT_CHOICES = ("history", "potential", "blend", "calibrated")
#: The bases the blend sliders mix, in slider order.
BLEND_BASES = ("history", "potential", "equal")
#: Trials per method when none are given (100 take about 1 s for six methods).
DEFAULT_TRIALS = 500

_WIDE = {"description_width": "200px"}
_LAYOUT = {"width": "470px"}


def _pct(x: float, decimals: int = 0) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.{decimals}%}"


def _slider(
    value: float, lo: float, hi: float, step: float, description: str, fmt: str = ".0%"
) -> widgets.FloatSlider:
    """A slider over ``lo..hi``, widened to hold ``value`` (a scenario's value may lie outside)."""
    return widgets.FloatSlider(
        value=value,
        min=min(lo, value),
        max=max(hi, value),
        step=step,
        description=description,
        readout_format=fmt,
        continuous_update=False,
        style=_WIDE,
        layout=_LAYOUT,
    )


def _png(fig: Figure) -> Image:
    """The figure as a PNG image: shown by every frontend, whatever matplotlib backend.

    A ``Figure`` made without pyplot has no PNG repr unless ``%matplotlib inline`` ran.
    """
    return Image(data=base64.b64decode(fig_to_base64_png(fig, dpi=100)), format="png")


def _trials(trials) -> int:
    """Trials per method: :data:`DEFAULT_TRIALS` when None, else a whole number >= 1."""
    n = DEFAULT_TRIALS if trials is None else trials
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise SpecError(f"QuotaDesigner: trials must be a whole number >= 1, got {trials!r}.")
    return int(n)


def _quota_sliders(q: QuotaSettings) -> dict[str, widgets.FloatSlider]:
    """The sliders, starting at the scenario's settings ``q`` (growth fixed by a target)."""
    weights = dict(q.weights or {"history": 0.5, "potential": 0.5})
    sliders = {
        "growth": _slider(q.growth, -0.10, 0.30, 0.01, "Growth target"),
        "region": _slider(q.over_assignment.region, 0.0, 0.30, 0.01, "Over-assignment: region"),
        "rep": _slider(q.over_assignment.rep, 0.0, 0.30, 0.01, "Over-assignment: rep"),
        **{
            f"w_{b}": _slider(weights.get(b, 0.0), 0.0, 1.0, 0.05, f"Blend weight: {b}", ".2f")
            for b in BLEND_BASES
        },
        "probability": _slider(
            0.65 if q.probability is None else q.probability,
            0.30,
            0.90,
            0.01,
            "Calibrated: P(attain quota)",
        ),
    }
    if q.target is not None:
        sliders["growth"].disabled = True
        sliders["growth"].description = "Growth (target given)"
    return sliders


def _method_boxes(q: QuotaSettings) -> dict[str, widgets.Checkbox]:
    """One box per method of :data:`CHOICES`; the defaults and ``q``'s method ticked."""
    ticked = set(DEFAULT_CHOICES) | {q.method}
    return {m: widgets.Checkbox(value=m in ticked, description=m, indent=False) for m in CHOICES}


def normalised_weights(raw: Mapping[str, float]) -> dict[str, float]:
    """Blend weights normalised to sum 1, bases at 0 left out.

    Raises
    ------
    SpecError
        When every weight is 0.

    Examples
    --------
    >>> normalised_weights({"history": 3.0, "potential": 1.0, "equal": 0.0})
    {'history': 0.75, 'potential': 0.25}
    """
    total = sum(raw.values())
    if not total > 0:
        raise SpecError(
            "blend weights are all 0 (history, potential, equal): set at least one above "
            "0, or untick blend."
        )
    return {b: w / total for b, w in raw.items() if w > 0}


def method_settings(
    base: QuotaSettings, method: str, *, growth: float, region: float, rep: float, **extra: Any
) -> QuotaSettings:
    """``base`` with ``method``, the growth and the over-assignment at each level (validated).

    Calibrated quotas follow their probability: over-assignment does not apply to them.
    The settings of ``base``'s method that ``method`` also reads are kept (e.g. the
    history window, the potential column; :meth:`QuotaSettings.replace`), except the
    ones the designer sets (``weights``, ``probability``, ``share_at_quota``): those
    are cleared, then set from ``extra``.

    Examples
    --------
    >>> s = method_settings(QuotaSettings(), "calibrated", growth=0.1, region=0.05, rep=0.05,
    ...                     probability=0.7)
    >>> s.method, s.over_assignment.rep, s.probability
    ('calibrated', 0.0, 0.7)
    """
    shares = method != "calibrated"
    changes = {
        "method": method,
        "growth": round(float(growth), 6),
        "over_assignment": {
            "region": round(float(region), 6) if shares else 0.0,
            "rep": round(float(rep), 6) if shares else 0.0,
        },
        "weights": None,
        "probability": None,
        "share_at_quota": None,
        **extra,
    }
    return base.replace(**changes)


def _view_table(view: pd.DataFrame, currency: str) -> pd.DataFrame:
    """A company view formatted for reading, one row per setting (see ``table``)."""

    def money(x: float) -> str:
        return format_money(x, currency=currency)

    rows = {}
    for r in view.itertuples(index=False):
        rows[r.setting] = {
            "company target": money(r.company_target),
            "sum of quotas": f"{money(r.sum_of_quotas)} ({r.over_assignment:+.1%})",
            "P(company target)": _pct(r.p_company_target),
            "share at quota (P10-P90)": f"{_pct(r.share_at_quota)} "
            f"({_pct(r.share_at_quota_p10)}-{_pct(r.share_at_quota_p90)})",
            "incentive cost P10": money(r.incentive_cost_p10),
            "incentive cost P50": money(r.incentive_cost_p50),
            "incentive cost P90": money(r.incentive_cost_p90),
            "cost of sales": _pct(r.incentive_cost_of_sales, 1),
        }
    out = pd.DataFrame(rows).T
    out.index.name = "method"
    return out


def _median(values: pd.Series) -> float:
    v = pd.to_numeric(values, errors="coerce").dropna()
    return float(v.median()) if len(v) else float("nan")


def _setting_flags(
    view: pd.DataFrame,
    diagnostics: Mapping[str, QuotaDiagnostics],
    quotas: Mapping[str, Quotas],
    reps: pd.DataFrame,
    *,
    currency: str = "USD",
) -> list[dict[str, Any]]:
    """Flags of each compared setting (:func:`spm_sim.metrics.check_figures`).

    Read off figures the compare already has, no new simulation: the company view's
    means over trials (cost of sales, effective rate, share of reps at quota), the
    diagnostics' median attainment over rep-trials and per-rep quotas and expected
    bookings, and the book's reps (``reps``: ``rep_id``, ``base_salary``,
    ``target_incentive``) for the pay behind them. Planned hires, absent from the
    book, count with their quotas but without pay.

    Returns
    -------
    list of dict
        As :func:`~spm_sim.metrics.check_figures`, named by setting (``scenario``
        is the setting's name; the messages start ``quota method 'name'``).
    """
    book = reps.set_index(reps["rep_id"].astype(str))
    out: list[dict[str, Any]] = []
    for row in view.itertuples(index=False):
        name = str(row.setting)
        diag, q = diagnostics.get(name), quotas.get(name)
        if diag is None or q is None:
            continue
        per_rep = diag.reps[diag.reps["annual_quota"] > 0]
        pay = book.reindex(per_rep["rep_id"].astype(str))
        ti = float(pay["target_incentive"].sum())
        base = float(pay["base_salary"].sum())
        sum_q = float(per_rep["annual_quota"].sum())
        tcr = ti / sum_q if sum_q > 0 else float("nan")
        bookings = float(row.expected_bookings)
        cost = float(row.incentive_cost)
        means = f"ratio of means over {diag.n_trials:,} trials"
        median = diag.attainment.loc[diag.attainment["quantile"] == 0.5, "attainment"]
        median_att = float(median.iloc[0]) if len(median) else float("nan")
        nan = float("nan")
        figures: dict[str, float | tuple[float, str]] = {
            "ccos": ((base + cost) / bookings if bookings > 0 else nan, means),
            "incentive_cost_of_sales": (cost / bookings if bookings > 0 else nan, means),
            "median_attainment": (
                median_att,
                f"over {diag.n_trials:,} trials x {len(per_rep)} reps with a quota",
            ),
            "share_reps_at_quota": (
                float(row.share_at_quota),
                f"mean over {diag.n_trials:,} trials",
            ),
        }
        if tcr > 0:
            figures["effective_rate"] = (cost / bookings / tcr if bookings > 0 else nan, means)
        s = q.settings
        drivers = {
            "currency": currency,
            "median_ti": _median(pay["target_incentive"]),
            "median_quota": _median(per_rep["annual_quota"]),
            "median_bookings": _median(per_rep["expected_bookings"]),
            "tcr": tcr,
            "base_salaries": base,
            "incentive": cost,
            "bookings": bookings,
            "payout_share_of_ti": cost / ti if ti > 0 else nan,
            "median_attainment": median_att,
            "quota": f"method {s.method}, growth {format_pct(s.growth, decimals=0, sign=True)} "
            f"(company target {format_money(float(row.company_target), currency=currency)}), "
            f"over-assignment {format_pct(float(row.over_assignment), decimals=0)}",
        }
        out += check_figures(name, figures, drivers, prefix=f"quota method {name!r}")
    return out


def _controls(sliders, weights_text, methods, button) -> widgets.HBox:
    """The sliders (target, blend, calibrated) beside the method boxes and the button."""
    s = sliders
    targets = widgets.VBox(
        [
            widgets.HTML("<b>Company target and over-assignment</b>"),
            s["growth"],
            s["region"],
            s["rep"],
            widgets.HTML("<b>Blend</b> (used by the blend method)"),
            s["w_history"],
            s["w_potential"],
            s["w_equal"],
            weights_text,
            widgets.HTML("<b>Calibrated</b>"),
            s["probability"],
        ]
    )
    boxes = widgets.VBox(
        [widgets.HTML("<b>Methods to compare</b>"), *methods.values(), button],
        layout=widgets.Layout(margin="0 0 0 24px"),
    )
    return widgets.HBox([targets, boxes])


class QuotaDesigner:
    """Compare quota methods side by side on the same simulated sales.

    Parameters
    ----------
    scenario : Scenario, optional
        Book, plan year, plan and seed (default: the sample's ``baseline``). Its
        ``quota`` gives the sliders' start and the fields no widget sets (history
        window, seasonality, ramp, overrides, ...), kept in every method.
    trials : int, optional
        Trials per method (default :data:`DEFAULT_TRIALS`, 500). Every method uses
        the scenario's seed: the same sales draws.
    book : Book, optional
        An already loaded book (default: loaded once from ``scenario.book``).
    draw : bool, default True
        Draw the figures (False skips them, e.g. in quick tests).

    Attributes
    ----------
    sliders : dict of str -> ipywidgets.FloatSlider
        ``growth`` (company target over last year's bookings), ``region`` and
        ``rep`` (over-assignment at each level), ``w_history``, ``w_potential``,
        ``w_equal`` (blend weights, normalised to sum 1) and ``probability`` (of
        each rep attaining a calibrated quota).
    methods : dict of str -> ipywidgets.Checkbox
        The methods to compare, one box per name of :data:`CHOICES`.
    button : ipywidgets.Button
        *Compare*: runs :meth:`compare` (sliders do not re-run on every move).
    fit_choice : ipywidgets.Dropdown
        The method whose quotas are drawn against potential and history.
    view : DataFrame or None
        The last :func:`~spm_sim.company_view`, one row per compared method
        (None after an error).
    quotas, diagnostics : dict
        The last compare's :class:`~spm_sim.quota.Quotas` and
        :class:`~spm_sim.QuotaDiagnostics` by setting name.
    error : str or None
        Why the last compare could not run (also shown in the widget).
    flags : list of dict
        The last compare's implausible figures per method (:func:`_setting_flags`:
        cost of sales, effective rate, median attainment, share at quota outside
        :data:`spm_sim.metrics.RESULT_RANGES`), shown in words above the table
        (``flags_text``); empty when all is well.

    Notes
    -----
    The diagnostics (:func:`~spm_sim.sweep.quota_diagnostics_by_setting`) judge each
    method's quotas against the draws of :func:`~spm_sim.annual_draws` with the
    scenario's seed (the bookings the simulation draws), the potential of each rep's
    accounts (none when the accounts lack the scenario's potential column: then no
    quota is judged against potential), and the rep's annualised run rate from the
    ``history`` basis (so reps who were there part of last year are not flagged for
    growth they will not need), all read with the scenario's own quota settings.

    Calibrated quotas come from the probability alone: growth and over-assignment do
    not change them (growth still moves the company target they are compared with).

    Examples
    --------
    >>> d = QuotaDesigner(trials=100, draw=False)  # doctest: +SKIP
    >>> d.sliders["rep"].value = 0.10  # doctest: +SKIP
    >>> d.compare()  # what the Compare button calls  # doctest: +SKIP
    >>> d.table()  # doctest: +SKIP
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        trials: int | None = None,
        *,
        book: Book | None = None,
        draw: bool = True,
    ) -> None:
        self.scenario = scenario if scenario is not None else sample_scenario("baseline")
        self.trials = _trials(trials)
        self.draw = draw
        # loaded once; every compare reuses it
        self.book = book if book is not None else load_book_ref(self.scenario.book)
        self._draws: SalesDraws | None = None  # the scenario's sales, drawn at the first run
        q = self.scenario.quota
        self.sliders = _quota_sliders(q)
        self.methods = _method_boxes(q)
        self.weights_text = widgets.HTML()
        for b in BLEND_BASES:
            self.sliders[f"w_{b}"].observe(self._on_weights, names="value")
        self.methods["blend"].observe(self._on_weights, names="value")
        self._on_weights(None)
        self.button = widgets.Button(description="Compare", button_style="primary", icon="play")
        self.button.on_click(self._on_click)
        self.status = widgets.HTML()
        self.flags: list[dict[str, Any]] = []
        self.flags_text = widgets.HTML()
        self.table_out = widgets.Output()
        self.attainment_out = widgets.Output()
        self.fit_choice = widgets.Dropdown(
            description="Quota fit of", style={"description_width": "100px"}
        )
        self.fit_choice.observe(self._on_fit, names="value")
        self.fit_out = widgets.Output()
        self.widget = self._layout()

        self.view: pd.DataFrame | None = None
        self.quotas: dict[str, Quotas] = {}
        self.diagnostics: dict[str, QuotaDiagnostics] = {}
        self.error: str | None = None
        self.compare()

    # ------------------------------------------------------------------ inputs

    def blend_weights(self) -> dict[str, float]:
        """The blend sliders normalised to sum 1 (bases at 0 left out).

        Raises
        ------
        SpecError
            When every blend weight is 0.
        """
        return normalised_weights({b: float(self.sliders[f"w_{b}"].value) for b in BLEND_BASES})

    def _on_weights(self, _change) -> None:
        try:
            w = self.blend_weights()
        except SpecError as exc:
            style = "color:#b00" if self.methods["blend"].value else "color:#777"
            self.weights_text.value = f"<span style='{style}'>{html.escape(str(exc))}</span>"
            return
        shown = ", ".join(f"{b} {v:.0%}" for b, v in w.items())
        self.weights_text.value = f"Blend weights (normalised to sum 1): <b>{shown}</b>"

    def _base(self, method: str, **extra) -> QuotaSettings:
        """The scenario's quota settings with the method and the sliders' values."""
        s = self.sliders
        return method_settings(
            self.scenario.quota,
            method,
            growth=s["growth"].value,
            region=s["region"].value,
            rep=s["rep"].value,
            **extra,
        )

    def settings(self) -> dict[str, QuotaSettings]:
        """One validated setting per ticked method, named as the table's rows.

        Raises
        ------
        SpecError
            No method ticked, or blend ticked with every weight at 0.
        """
        out: dict[str, QuotaSettings] = {}
        for m, box in self.methods.items():
            if not box.value:
                continue
            if m == "blend":
                w = self.blend_weights()
                name = "blend (" + ", ".join(f"{b} {v:.0%}" for b, v in w.items()) + ")"
                out[name] = self._base("blend", weights=w)
            elif m == "calibrated":
                p = round(float(self.sliders["probability"].value), 6)
                out[f"calibrated (p={p:.0%})"] = self._base("calibrated", probability=p)
            else:
                out[m] = self._base(m)
        if not out:
            raise SpecError("no quota method is ticked: tick at least one to compare.")
        return out

    # ------------------------------------------------------------------ running

    def _on_click(self, _button) -> None:
        self.compare()

    def compare(self) -> None:
        """Set the quotas of every ticked method, simulate them, redraw (the button's action)."""
        self.status.value = "<i>Comparing...</i>"
        run: dict[str, Any] = {"trials": self.trials, "rng": self.scenario.seed, "book": self.book}
        try:
            settings = self.settings()
            if self._draws is None or self._draws.n_trials != self.trials:
                # the sales do not depend on the quotas: drawn once, paid per setting
                self._draws = draw_sales(
                    self.scenario, self.trials, rng=self.scenario.seed, book=self.book
                )
            view = company_view(self.scenario, settings, draws=self._draws, **run)
            # the quotas the simulation used, judged on its draws
            judged = quota_diagnostics_by_setting(self.scenario, settings, **run)
        except (SpmSimError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            self._fail(str(exc))
            return
        self.view, self.quotas, self.diagnostics = view, judged.quotas, judged.diagnostics
        self.error = None
        self.flags = _setting_flags(
            view,
            self.diagnostics,
            self.quotas,
            self.book.reps,
            currency=self.scenario.plan.currency,
        )
        self._show()

    def _fail(self, message: str) -> None:
        self.view, self.quotas, self.diagnostics, self.error = None, {}, {}, message
        self.flags = []
        self.flags_text.value = ""
        self.status.value = (
            f"<span style='color:#b00'><b>Cannot compare:</b> {html.escape(message)}</span>"
        )
        for out in (self.table_out, self.attainment_out, self.fit_out):
            out.clear_output()
        self._fit_options([])

    # ------------------------------------------------------------------ showing

    def _show(self) -> None:
        """The note, the table, the attainment figure and the fit of the chosen method."""
        self.status.value = no_maths(html.escape(self._note()))
        flags = flags_html(self.flags)
        self.flags_text.value = no_maths(flags) if flags else ""
        self.table_out.clear_output(wait=True)
        with self.table_out:
            display(money_table(self.table()))  # its money safe from JupyterLab's maths
        if self.draw:
            self.attainment_out.clear_output(wait=True)
            with self.attainment_out:
                display(_png(attainment_comparison_figure(self.diagnostics)))
        self._fit_options(list(self.diagnostics))
        self._show_fit()

    def _fit_options(self, names: list[str]) -> None:
        """Offer ``names`` in the fit menu, keeping the chosen one if still there (no redraw)."""
        keep = self.fit_choice.value
        self.fit_choice.unobserve(self._on_fit, names="value")
        self.fit_choice.options = names
        if names:
            self.fit_choice.value = keep if keep in names else names[0]
        self.fit_choice.observe(self._on_fit, names="value")

    def _note(self) -> str:
        v = self.view
        if v is None:  # no compare has run
            return ""
        t = float(v["company_target"].iloc[0])
        currency = self.scenario.plan.currency
        text = (
            f"{len(v)} method(s), {self.trials:,} simulated years each, the same sales draws "
            f"(seed {self.scenario.seed}). Company target {format_money(t, currency=currency)}."
        )
        if any(q.settings.method == "calibrated" for q in self.quotas.values()):
            text += (
                " Calibrated quotas come from the probability alone: growth and "
                "over-assignment do not change them."
            )
        return text

    def _on_fit(self, _change) -> None:
        self._show_fit()

    def _show_fit(self) -> None:
        name = self.fit_choice.value
        self.fit_out.clear_output(wait=True)
        if name not in self.diagnostics:
            return
        d = self.diagnostics[name]
        with self.fit_out:
            display(widgets.HTML(f"<pre style='line-height:1.3'>{html.escape(d.describe())}</pre>"))
            if self.draw:
                display(_png(quota_fit_figure(d)))

    def table(self) -> pd.DataFrame:
        """The last compare, one row per method, formatted for reading.

        Columns: company target, sum of quotas (and the over-assignment it implies),
        P(company target), expected share of reps at quota (P10-P90 over trials),
        incentive cost P10, P50 and P90 over trials, incentive cost of sales. One
        amount of money per cell: two ``$`` in a cell would be typeset as TeX by
        JupyterLab.
        """
        if self.view is None:
            return pd.DataFrame()
        return _view_table(self.view, self.scenario.plan.currency)

    def _layout(self) -> widgets.Widget:
        return widgets.VBox(
            [
                widgets.HTML(
                    "<b>Quota designer</b>: set the company target and over-assignment, tick "
                    "the methods and press <i>Compare</i>. Every method is simulated on the "
                    "same sales draws, so the differences come from the quotas alone."
                ),
                _controls(self.sliders, self.weights_text, self.methods, self.button),
                self.status,
                self.flags_text,
                self.table_out,
                self.attainment_out,
                self.fit_choice,
                self.fit_out,
            ]
        )
