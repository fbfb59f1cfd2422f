"""Figures of sweeps and goal-seek: each metric against a parameter with its band, the
frontier of cost against benefit, and the search of a calibration.

The same house rules as :mod:`spm_sim.viz` (object-oriented matplotlib, no pyplot, the
look set inside ``figure_style()`` only); every function returns an
:class:`~spm_sim.viz.style.SpmFigure`. The inputs are what :mod:`spm_sim.sweep`
returns: a :func:`~spm_sim.sweep.sweep` frame, its :func:`~spm_sim.sweep.frontier`,
a :class:`~spm_sim.sweep.Calibration`. Money reads as money (``$6.1M``), shares
and probabilities as percentages.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from spm_sim._format import format_money, format_pct
from spm_sim.errors import SpecError
from spm_sim.sweep import BASE, SWEEP_METRICS, Calibration, frontier

from .style import SpmFigure, figure_style, palette, pct_axis, safe_label

__all__ = ["sweep_figure", "frontier_figure", "calibration_figure", "figure_name"]


def figure_name(metric: str, statistic: str = "mean") -> str:
    """The file name a sweep's figure of ``metric`` goes to (without folder).

    >>> figure_name("incentive_cost"), figure_name("incentive_cost", "p90")
    ('sweep_incentive_cost.png', 'sweep_incentive_cost_p90.png')
    """
    return f"sweep_{metric}{'' if statistic == 'mean' else '_' + statistic}.png"


def _value_axis(ax: Axes, unit: str, currency: str, axis: str = "y") -> None:
    if unit == "$":
        fmt = FuncFormatter(lambda v, _pos: format_money(v, currency=currency, trim=True))
        (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
    else:
        pct_axis(ax, axis)


def _text(value: float, unit: str, currency: str) -> str:
    return format_money(value, currency=currency) if unit == "$" else format_pct(value)


def _numeric(values: pd.Series) -> bool:
    return bool(len(values)) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values
    )


def sweep_figure(
    table: pd.DataFrame,
    metric: str,
    param: str | None = None,
    *,
    statistic: str = "mean",
) -> SpmFigure:
    """One metric of a sweep against a parameter, each point with its interval band.

    Parameters
    ----------
    table : DataFrame
        A :func:`spm_sim.sweep.sweep` frame.
    metric : str
        One of its metrics (``incentive_cost``, ``share_at_quota``...).
    param : str, optional
        The parameter path on the x axis; default the sweep's first for a grid. The
        other parameters' values give one line each (the Okabe-Ito colours). A
        parameter that is not a number, and a list or named changes without
        ``param``, put the scenarios side by side.
    statistic : str, default "mean"
        ``mean`` or, for money, ``p10``, ``p50``, ``p90``.

    Returns
    -------
    SpmFigure
        The estimate as points and lines, its interval as a band (error bars side by
        side), the base scenario's value as a dashed grey line.

    Examples
    --------
    >>> t = pd.DataFrame({"scenario": ["base", "r=1", "r=2"], "rate": [1.5, 1.0, 2.0],
    ...     "metric": "incentive_cost", "statistic": "mean", "unit": "$",
    ...     "value": [5e6, 4e6, 6e6], "low": [4.9e6, 3.9e6, 5.9e6],
    ...     "high": [5.1e6, 4.1e6, 6.1e6]})
    >>> t.attrs["parameters"] = {"rate": "rate"}
    >>> fig = sweep_figure(t, "incentive_cost")
    >>> [text.get_text() for text in fig.axes[0].get_xticklabels()][:1] != []
    True
    """
    rows = table[table["metric"].eq(metric) & table["statistic"].eq(statistic)]
    if rows.empty:
        have = sorted(set(zip(table["metric"], table["statistic"], strict=True)))
        raise SpecError(
            f"sweep_figure: the sweep has no {statistic!r} of {metric!r}; it has "
            + ", ".join(f"{m} ({s})" for m, s in have)
            + "."
        )
    params: dict[str, str] = dict(table.attrs.get("parameters", {}))
    if param is None and table.attrs.get("kind", "grid") == "grid":
        param = next(iter(params), None)
    if param is not None and param not in rows.columns:
        raise SpecError(
            f"sweep_figure: {param!r} is not a parameter of this sweep; its parameters: "
            f"{', '.join(params) or '(none)'}."
        )
    unit = SWEEP_METRICS[metric].unit if metric in SWEEP_METRICS else str(rows["unit"].iloc[0])
    currency = table.attrs.get("currency", "USD")
    base = rows[rows["scenario"].eq(BASE)]
    variants = rows[~rows["scenario"].eq(BASE)]
    label = SWEEP_METRICS[metric].label if metric in SWEEP_METRICS else metric
    title = label + ("" if statistic == "mean" else f", {statistic.upper()}")
    with figure_style():
        fig = SpmFigure(figsize=(7.5, 4.2), layout="constrained")
        ax = fig.subplots()
        if param is not None and _numeric(variants[param]):
            _lines(ax, variants, param, [p for p in params if p != param], params)
            ax.set_xlabel(safe_label(params.get(param, param)))
        else:
            _points(ax, variants)
            ax.set_xlabel("scenario")
        if len(base):
            b = float(base["value"].iloc[0])
            ax.axhline(
                b,
                color="0.45",
                ls="--",
                lw=1.0,
                label=f"base: {_text(b, unit, currency)}",
                gid="base",
            )
        _value_axis(ax, unit, currency)
        level = table.attrs.get("level", 0.95)
        ax.set_title(safe_label(title))
        ax.set_ylabel(f"{safe_label(label)} ({level:.0%} interval)")
        ax.legend(loc="best", fontsize=7.5)
    return fig


def _lines(ax: Axes, rows: pd.DataFrame, param: str, others: list[str], names: dict) -> None:
    """One line per combination of the other parameters, with its band."""
    groups = list(rows.groupby(others, sort=False, dropna=False)) if others else [((), rows)]
    colors = palette(len(groups))
    for k, (key, part) in enumerate(groups):
        part = part.sort_values(param, kind="stable")
        x = part[param].to_numpy(float)
        keys = key if isinstance(key, tuple) else (key,)
        label = ", ".join(
            f"{names.get(o, o)}={v:g}" if isinstance(v, float) else f"{names.get(o, o)}={v}"
            for o, v in zip(others, keys, strict=False)
        )
        ax.plot(
            x,
            part["value"].to_numpy(float),
            "o-",
            color=colors[k],
            ms=4,
            lw=1.5,
            label=safe_label(label) if label else None,
            gid=f"line_{k}",
        )
        lo, hi = part["low"].to_numpy(float), part["high"].to_numpy(float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.sum() == 1:  # one point: its interval as an error bar
            y = part["value"].to_numpy(float)
            ax.errorbar(x[ok], y[ok], yerr=[y[ok] - lo[ok], hi[ok] - y[ok]], fmt="none",
                        ecolor=colors[k], capsize=3, gid=f"band_{k}")  # fmt: skip
        elif ok.any():
            ax.fill_between(
                x[ok], lo[ok], hi[ok], color=colors[k], alpha=0.2, lw=0, gid=f"band_{k}"
            )


def _points(ax: Axes, rows: pd.DataFrame) -> None:
    """The scenarios side by side, each with its interval as an error bar."""
    x = np.arange(len(rows))
    y = rows["value"].to_numpy(float)
    err = np.vstack([y - rows["low"].to_numpy(float), rows["high"].to_numpy(float) - y])
    ax.errorbar(
        x,
        y,
        yerr=np.where(np.isfinite(err), err, 0),
        fmt="o",
        color=palette(1)[0],
        capsize=3,
        gid="scenarios",
    )
    ax.set_xticks(x, [safe_label(s) for s in rows["scenario"]], rotation=30, ha="right")


def frontier_figure(
    table: pd.DataFrame,
    cost: str = "incentive_cost",
    benefit: str = "share_at_quota",
    *,
    statistic: str = "mean",
    label_points: int = 12,
) -> SpmFigure:
    """The frontier of cost against benefit: every scenario with its intervals, the
    efficient ones (no other costs less and gives more) joined and marked.

    Parameters
    ----------
    table : DataFrame
        A :func:`spm_sim.sweep.sweep` frame (or its :func:`spm_sim.sweep.frontier`).
    cost, benefit : str
        Metrics of the sweep: less ``cost`` is better, more ``benefit`` is better
        (``share_at_quota`` or ``p_company_target``).
    statistic : str, default "mean"
        Of the cost (``p90`` for a bad year's cost).
    label_points : int, default 12
        Name the efficient scenarios on the chart when there are at most this many.

    Returns
    -------
    SpmFigure
        Cost on x, benefit on y; each point with its interval both ways; efficient
        points filled and joined, others hollow; the base scenario ringed in black.

    Examples
    --------
    >>> t = pd.DataFrame({"scenario": ["base", "a", "b"] * 2,
    ...     "metric": ["incentive_cost"] * 3 + ["share_at_quota"] * 3, "statistic": "mean",
    ...     "value": [5e6, 4e6, 6e6, 0.5, 0.4, 0.45], "low": 0.0, "high": 1e7})
    >>> fig = frontier_figure(t)
    >>> sorted(a.get_gid() for a in fig.axes[0].lines if a.get_gid())
    ['base', 'dominated', 'efficient', 'frontier']
    """
    front = (
        table
        if "efficient" in table.columns
        else frontier(table, cost, benefit, statistic=statistic)
    )
    currency = front.attrs.get("currency", table.attrs.get("currency", "USD"))
    cost_unit = SWEEP_METRICS[cost].unit if cost in SWEEP_METRICS else "$"
    benefit_unit = SWEEP_METRICS[benefit].unit if benefit in SWEEP_METRICS else "ratio"
    colors = palette(2)
    x, y = front["cost"].to_numpy(float), front["benefit"].to_numpy(float)
    xerr = np.vstack(
        [x - front["cost_low"].to_numpy(float), front["cost_high"].to_numpy(float) - x]
    )
    yerr = np.vstack(
        [y - front["benefit_low"].to_numpy(float), front["benefit_high"].to_numpy(float) - y]
    )
    eff = front["efficient"].to_numpy(bool)
    with figure_style():
        fig = SpmFigure(figsize=(7.5, 4.8), layout="constrained")
        ax = fig.subplots()
        ax.errorbar(
            x,
            y,
            xerr=np.where(np.isfinite(xerr), xerr, 0),
            yerr=np.where(np.isfinite(yerr), yerr, 0),
            fmt="none",
            ecolor="0.7",
            elinewidth=0.8,
            gid="intervals",
        )
        ax.plot(
            x[~eff],
            y[~eff],
            "o",
            mfc="white",
            mec=colors[0],
            ms=6,
            ls="none",
            label="dominated",
            gid="dominated" if (~eff).any() else None,
        )
        order = np.argsort(x[eff], kind="stable")
        ax.plot(x[eff][order], y[eff][order], "-", color=colors[1], lw=1.4, gid="frontier")
        ax.plot(
            x[eff],
            y[eff],
            "o",
            color=colors[1],
            ms=7,
            ls="none",
            label="efficient (no other costs less and gives more)",
            gid="efficient",
        )
        names = front["scenario"].tolist()
        if BASE in names:
            i = names.index(BASE)
            ax.plot(
                [x[i]],
                [y[i]],
                "o",
                mfc="none",
                mec="black",
                ms=12,
                mew=1.5,
                label="base",
                gid="base",
            )
        if eff.sum() <= label_points:
            for xi, yi, name in zip(x[eff], y[eff], front["scenario"][eff], strict=True):
                ax.annotate(
                    safe_label(name),
                    (xi, yi),
                    textcoords="offset points",
                    xytext=(5, 5),
                    fontsize=7,
                )
        _value_axis(ax, cost_unit, currency, "x")
        _value_axis(ax, benefit_unit, currency, "y")
        c_label = SWEEP_METRICS[cost].label if cost in SWEEP_METRICS else cost
        b_label = SWEEP_METRICS[benefit].label if benefit in SWEEP_METRICS else benefit
        stat = front.attrs.get("statistic", statistic)
        ax.set_xlabel(safe_label(c_label + ("" if stat == "mean" else f", {stat.upper()}")))
        ax.set_ylabel(safe_label(b_label))
        ax.set_title(
            f"Frontier: {safe_label(c_label.lower())} against {safe_label(b_label.lower())}"
        )
        ax.legend(loc="best", fontsize=7.5)
    return fig


def calibration_figure(calibration: Calibration) -> SpmFigure:
    """The search of a goal-seek: the metric at every value tried with its interval,
    the target, the answer and its interval.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> from spm_sim.sweep import calibrate_plan
    >>> c = calibrate_plan(sample_scenario("baseline"), "plan.components[0].tiers[1].rate",
    ...                    "incentive_cost.mean=6M", trials=60, rng=0)
    >>> fig = calibration_figure(c)
    >>> sorted(a.get_gid() for a in fig.axes[0].lines if a.get_gid())
    ['answer', 'evaluations', 'target']
    """
    ev = calibration.evaluations
    ev = ev[ev["valid"]].sort_values("value", kind="stable")
    t = calibration.target
    unit, currency = t.unit, calibration.currency
    colors = palette(2)
    x = ev["value"].to_numpy(float)
    with figure_style():
        fig = SpmFigure(figsize=(7.5, 4.2), layout="constrained")
        ax = fig.subplots()
        ax.fill_between(
            x,
            ev["low"].to_numpy(float),
            ev["high"].to_numpy(float),
            color=colors[0],
            alpha=0.2,
            lw=0,
            gid="band",
        )
        ax.plot(
            x,
            ev["estimate"].to_numpy(float),
            "o-",
            color=colors[0],
            ms=3.5,
            lw=1.2,
            label="values tried",
            gid="evaluations",
        )
        ax.axhline(
            t.value,
            color="black",
            ls="--",
            lw=1.0,
            label=f"target: {_text(t.value, unit, currency)}",
            gid="target",
        )
        if math.isfinite(calibration.low) and math.isfinite(calibration.high):
            ax.axvspan(
                calibration.low,
                calibration.high,
                color=colors[1],
                alpha=0.15,
                lw=0,
                label="interval of the answer",
                gid="answer_interval",
            )
        ax.axvline(
            calibration.value,
            color=colors[1],
            lw=1.5,
            label=f"answer: {calibration.value:.4g}",
            gid="answer",
        )
        _value_axis(ax, unit, currency)
        label = SWEEP_METRICS[t.metric].label
        ax.set_xlabel(safe_label(calibration.param))
        ax.set_ylabel(
            safe_label(label + ("" if t.statistic == "mean" else f", {t.statistic.upper()}"))
        )
        ax.set_title(safe_label(f"Goal-seek: {calibration.param}"))
        ax.legend(loc="best", fontsize=7.5)
    return fig
