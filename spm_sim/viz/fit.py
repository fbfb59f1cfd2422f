"""The back-test figure of a productivity fit report (:func:`spm_sim.fit_report.fit_report`).

Same house rules as :mod:`spm_sim.viz`: object-oriented matplotlib on the Agg
canvas, no pyplot, the look set inside ``figure_style()`` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from spm_sim._format import format_money

from .style import SpmFigure, figure_style, palette, pct_axis

if TYPE_CHECKING:
    from spm_sim.fit_report import FitReport

__all__ = ["fit_figure"]

_MONTH_LABELS = ("J", "F", "M", "A", "M", "J", "J", "A", "S", "O", "N", "D")


def _money_axis(ax: Axes, axis: str, currency: str) -> None:
    fmt = FuncFormatter(lambda v, _pos: format_money(v, trim=True, currency=currency))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def _ecdf_panel(ax: Axes, bt, currency: str, colors) -> None:
    """Pooled simulated ECDF with the P10-P90 band of single years, actual reps as a step."""
    sims = bt.sim_rep_year
    actual = np.sort(bt.actual_rep_year)
    pooled = np.sort(sims.ravel())
    grid = np.quantile(pooled, np.linspace(0.0, 1.0, 201))
    # each simulated year's ECDF on the grid, then its P10-P90 over years
    per_year = (np.sort(sims, axis=1)[:, :, None] <= grid[None, None, :]).mean(axis=1)
    low, high = np.quantile(per_year, [0.1, 0.9], axis=0)
    ax.fill_between(
        grid, low, high, step="post", color=colors[0], alpha=0.25, lw=0, label="simulated P10-P90"
    )
    ax.plot(
        grid,
        np.searchsorted(pooled, grid, side="right") / pooled.size,
        color=colors[0],
        lw=1.6,
        label="simulated (pooled)",
        gid="simulated_ecdf",
    )
    ax.step(
        np.concatenate([[actual[0]], actual]),
        np.concatenate([[0.0], np.arange(1, actual.size + 1) / actual.size]),
        where="post",
        color="black",
        lw=1.3,
        label=f"actual ({actual.size} reps)",
        gid="actual_ecdf",
    )
    ks = bt.check("rep_year_ks").iloc[0]
    ax.text(
        0.98,
        0.30,
        f"KS {ks['actual']:.3f}\n(simulated years: P50 {ks['sim_p50']:.3f}, "
        f"P90 {ks['sim_p90']:.3f})",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=7.5,
    )
    # the pooled simulation has a long right tail; show up to its 99.5% point
    right = max(float(np.quantile(pooled, 0.995)), float(actual[-1]))
    ax.set_xlim(0.0, 1.05 * right)
    _money_axis(ax, "x", currency)
    pct_axis(ax, "y")
    ax.set_xlabel(f"Bookings per rep in {bt.year}")
    ax.set_ylabel("Share of reps at or below")
    ax.set_title("Rep-year bookings")
    ax.legend(loc="lower right", fontsize=7.5)


def _share_panel(ax: Axes, bt, colors) -> None:
    """Histogram of the simulated share of reps at or above quota, the actual marked."""
    share = bt.sim_share_at_quota
    n = len(bt.rep_ids)
    row = bt.check("share_at_quota").iloc[0]
    lo, hi = min(share.min(), row["actual"]), max(share.max(), row["actual"])
    # one bar per possible count of reps, so no bin is empty by construction
    edges = (np.arange(np.floor(lo * n) - 0.5, np.ceil(hi * n) + 1.5)) / n
    ax.hist(share, bins=edges.tolist(), color=colors[0], alpha=0.8, gid="simulated_share")
    ax.axvline(row["actual"], color="black", lw=1.6, label="actual", gid="actual_share")
    for q, name in ((row["sim_p10"], "P10"), (row["sim_p90"], "P90")):
        ax.axvline(q, color="0.4", lw=1.0, ls="--", gid=f"share_{name.lower()}")
    ax.plot([], [], color="0.4", lw=1.0, ls="--", label="simulated P10, P90")
    pct_axis(ax, "x", decimals=0)
    ax.set_xlabel("Share of reps at or above quota")
    ax.set_ylabel("Simulated years")
    ax.set_title(f"Share at quota: actual {row['actual']:.0%}, percentile {row['percentile']:.0%}")
    ax.legend(loc="upper right", fontsize=7.5)


def _monthly_panel(ax: Axes, bt, currency: str, colors) -> None:
    """Company bookings per month: simulated P10-P90 band and P50, actual points."""
    rows = bt.check("monthly_total")
    x = np.arange(1, 13)
    ax.fill_between(
        x,
        rows["sim_p10"],
        rows["sim_p90"],
        color=colors[0],
        alpha=0.25,
        lw=0,
        label="simulated P10-P90",
        gid="band",
    )
    ax.plot(x, rows["sim_p50"], color=colors[0], lw=1.6, label="simulated P50", gid="p50")
    inside = rows["inside"].to_numpy(bool)
    ax.scatter(x[inside], rows["actual"][inside], color="black", s=22, zorder=3, label="actual")
    if (~inside).any():
        ax.scatter(
            x[~inside],
            rows["actual"][~inside],
            color=palette(4)[3],
            marker="X",
            s=46,
            zorder=3,
            label="actual outside the band",
            gid="outside",
        )
    ax.set_xticks(x, _MONTH_LABELS)
    _money_axis(ax, "y", currency)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"Month of {bt.year}")
    ax.set_ylabel("Company bookings")
    ax.set_title(f"Monthly totals: {int(inside.sum())} of 12 inside")
    ax.legend(loc="upper left", fontsize=7.5)


_CHECK_LABELS = {
    "company_year": "company years",
    "company_month": "months",
    "rep_year": "rep years",
}


def _calibration_panel(ax: Axes, rolling, colors) -> None:
    """Coverage of the central bands against their nominal level, pooled over the
    back-test years: one series per check with its 95% Wilson interval, the range a
    calibrated model gives by chance shaded (months, the widest of the many-item checks)."""
    c = rolling.calibration
    origin = "pooled" if (c["origin"] == "pooled").any() else str(rolling.latest.year)
    part = c[c["origin"] == origin]
    ax.plot([0.45, 0.95], [0.45, 0.95], color="0.5", lw=1.0, ls=":", label="calibrated")
    offsets = {"company_year": -0.012, "company_month": 0.0, "rep_year": 0.012}
    for j, (check, rows) in enumerate(part.groupby("check", sort=False)):
        rows = rows.sort_values("band")
        x = rows["band"].to_numpy(float) + offsets.get(str(check), 0.0)
        y = rows["coverage"].to_numpy(float)
        err = np.vstack([y - rows["low"].to_numpy(float), rows["high"].to_numpy(float) - y])
        ax.errorbar(
            x,
            y,
            yerr=np.clip(err, 0.0, None),
            fmt="o",
            color=colors[j % len(colors)],
            ms=4,
            lw=1.2,
            capsize=2,
            label=f"{_CHECK_LABELS.get(str(check), check)} (n={int(rows['n'].iloc[0])})",
            gid=f"coverage_{check}",
        )
        if check == "rep_year":
            ax.fill_between(
                rows["band"].to_numpy(float),
                rows["chance_low"].to_numpy(float),
                rows["chance_high"].to_numpy(float),
                color=colors[j % len(colors)],
                alpha=0.15,
                lw=0,
                label="rep years: range by chance",
                gid="chance_range",
            )
    pct_axis(ax, "x", decimals=0)
    pct_axis(ax, "y", decimals=0)
    ax.set_xlim(0.42, 0.98)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("Central band of the simulation (nominal coverage)")
    ax.set_ylabel("Actuals inside the band")
    years = ", ".join(map(str, rolling.years))
    ax.set_title(f"Calibration over {years}")
    ax.legend(loc="lower right", fontsize=7.0)


def fit_figure(report: FitReport) -> SpmFigure:
    """The back-test of a fit report in three panels.

    Parameters
    ----------
    report : FitReport
        From :func:`spm_sim.fit_report.fit_report`.

    Returns
    -------
    SpmFigure
        Three axes, four with the rolling back-test: (1) rep-year bookings, the
        ECDF of all simulated rep-years pooled (gid ``"simulated_ecdf"``) with the
        P10-P90 band of single simulated years and the actual reps' ECDF
        (``"actual_ecdf"``), the KS distances noted;
        (2) the share of reps at or above quota over simulated years (histogram) with
        the actual (``"actual_share"``) and the simulated P10 and P90; (3) company
        bookings per month, simulated P10-P90 band (``"band"``), P50 line (``"p50"``)
        and the actual months as dots, crosses when outside the band (``"outside"``);
        (4) calibration: the coverage of the 50/80/90% bands pooled over the
        back-test years against the nominal level, per check with its 95% Wilson
        interval (gids ``"coverage_<check>"``), the rep years' range by chance shaded
        (``"chance_range"``).

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> from spm_sim.fit_report import fit_report
    >>> fig = fit_figure(fit_report(load_sample(), plan_year=2026, n_sims=40))
    >>> len(fig.axes)
    4
    """
    bt = report.backtest
    cur = report.currency
    colors = palette(4)
    with figure_style():
        rolling = report.rolling
        panels = 3 if rolling is None else 4
        fig = SpmFigure(figsize=(4.7 * panels, 4.3), layout="constrained")
        axes = fig.subplots(1, panels)
        _ecdf_panel(axes[0], bt, cur, colors)
        _share_panel(axes[1], bt, colors)
        _monthly_panel(axes[2], bt, cur, colors)
        if rolling is not None:
            _calibration_panel(axes[3], rolling, colors)
        annual = bt.check("annual_total").iloc[0]
        fig.suptitle(
            f"Back-test of {bt.year}: model fitted on {bt.fit_span[0]} to {bt.fit_span[1]}, "
            f"{bt.n_sims:,} simulated years, {len(bt.rep_ids)} reps employed all year "
            f"({len(bt.excluded)} excluded). Annual total "
            f"{format_money(annual['actual'], currency=cur)}, percentile "
            f"{annual['percentile']:.0%}.",
            fontsize=9.5,
            x=0.01,
            ha="left",
        )
    return fig
