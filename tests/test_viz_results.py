"""Figures of results: one colour-blind-safe palette, no legend on data, a cost figure in money."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex

from spm_sim import sample_scenario, simulate
from spm_sim._format import format_money
from spm_sim.metrics import quarterly_accrual
from spm_sim.viz import attainment_histogram, cost_distribution, quarterly_accrual_chart
from spm_sim.viz.style import OKABE_ITO, palette


@pytest.fixture(scope="module")
def results():
    base = sample_scenario("baseline").replace(engine="summed")
    alt = sample_scenario("accelerated").replace(engine="summed")
    return [simulate(s, 150, rng=3) for s in (base, alt)]


def test_palette_is_okabe_ito_with_distinct_first_colours():
    assert [to_hex(c).upper() for c in palette(4)] == list(OKABE_ITO[:4])
    # no two of the first four are close: every pair is further apart (sum of RGB
    # differences) than 0.4, where the two oranges of seaborn's colour-blind palette
    # that readers could not tell apart (#DE8F05 and #D55E00) are 0.25 apart
    rgb = np.array(palette(4))
    gaps = [np.abs(rgb[i] - rgb[j]).sum() for i in range(4) for j in range(i + 1, 4)]
    assert min(gaps) > 0.4
    assert len(palette(12)) == 12 and len({to_hex(c) for c in palette(12)}) == 12


def test_cost_figure_is_one_panel_per_scenario_with_percentiles_in_money(results):
    fig = cost_distribution(results)
    assert len(fig.axes) == len(results)
    for ax, r in zip(fig.axes, results, strict=True):
        labels = [t.get_text() for t in ax.texts]
        cost = r.trials["incentive_cost"].to_numpy()
        p10, p50, p90 = np.percentile(cost, [10, 50, 90])
        for name, value in (("P10", p10), ("P50", p50), ("P90", p90)):
            assert f"{name} \\{format_money(value)}" in labels, (name, labels)
        assert ax.get_legend() is None
        assert ax.get_ylabel() == r.scenario.name  # the scenario named beside its panel
    assert fig.legends == []
    # the panels share one money axis so they compare at a glance
    assert fig.axes[0].get_xlim() == fig.axes[1].get_xlim()


def test_no_figure_has_a_legend_on_its_data(results):
    for fig in (attainment_histogram(results), quarterly_accrual_chart(quarterly_accrual(results))):
        assert all(ax.get_legend() is None for ax in fig.axes)
        assert len(fig.legends) == 1


def test_every_results_figure_uses_the_palette(results):
    fig = quarterly_accrual_chart(quarterly_accrual(results))
    bars = fig.axes[0].patches
    colours = {to_hex(b.get_facecolor()).upper() for b in bars}
    assert colours == set(OKABE_ITO[:2])


def test_money_is_in_the_results_currency(results):
    # a yen result: the cost axis and the accrual bars read yen, not dollars
    from dataclasses import replace

    yen = [
        replace(
            r,
            scenario=r.scenario.replace(
                plan=r.scenario.plan.model_copy(update={"currency": "JPY"})
            ),
        )
        for r in results
    ]
    fig = cost_distribution(yen)
    tick = fig.axes[-1].xaxis.get_major_formatter()(8.6e8, 0)
    assert tick == "¥860M"
    accrual = quarterly_accrual(yen)
    assert accrual.attrs["currency"] == "JPY"
    chart = quarterly_accrual_chart(accrual)
    labels = [t.get_text() for t in chart.axes[0].texts]
    assert labels and all(label.startswith("¥") for label in labels), labels
    assert chart.axes[0].yaxis.get_major_formatter()(2e8, 0) == "¥200M"
    # and in dollars, the dollar sign is escaped so matplotlib does not read maths
    dollars = quarterly_accrual_chart(quarterly_accrual(results))
    assert all(t.get_text().startswith("\\$") for t in dollars.axes[0].texts)


def _text_boxes(fig):
    """Every visible text of the figure with its bounding box on the drawn canvas."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    texts = [t for ax in fig.axes for t in ax.texts]
    texts += [ax.yaxis.label for ax in fig.axes] + [fig.axes[-1].xaxis.label]
    low, high = fig.axes[-1].get_xlim()
    texts += [  # the ticks drawn (matplotlib keeps some beyond the limits, not drawn)
        t
        for t, x in zip(fig.axes[-1].get_xticklabels(), fig.axes[-1].get_xticks(), strict=True)
        if t.get_text() and low <= x <= high
    ]
    if fig._suptitle is not None:
        texts.append(fig._suptitle)
    return [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_visible()]


def _overlaps(fig):
    boxes = _text_boxes(fig)
    return [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]


def test_the_percentile_labels_never_overlap(results):
    # the walk's figure: P10 $4.91M, P50 $5.86M and P90 $6.90M ran into one another
    fig = cost_distribution(results)
    assert _overlaps(fig) == []
    labels = [t for t in fig.axes[0].texts if t.get_text().startswith("P")]
    assert len(labels) == 3
    # a distribution so narrow that the three lines nearly coincide: still apart, and
    # each label inside the figure
    trials = results[0].trials.copy()
    trials["incentive_cost"] = 5.0e6 + np.linspace(-1, 1, len(trials)) * 1e3
    # the figure reads a result's trials and scenario only
    narrow = [results[0], SimpleNamespace(trials=trials, scenario=results[0].scenario)]
    fig = cost_distribution(narrow)
    assert _overlaps(fig) == []
    width, height = FigureCanvasAgg(fig).get_width_height()
    for text, box in _text_boxes(fig):
        assert box.x0 >= 0 and box.x1 <= width and box.y1 <= height, text


def test_each_percentile_of_the_cost_sits_on_its_interval(results):
    from matplotlib.patches import Rectangle

    from spm_sim.metrics import percentile_interval

    fig = cost_distribution(results)
    for ax, r in zip(fig.axes, results, strict=True):
        cost = r.trials["incentive_cost"].to_numpy()
        # the bands are the only patches drawn behind the bars, with the ends of the
        # order-statistic interval of P10, P50 and P90 (150 trials: all three exist)
        bands = sorted(
            (p.get_x(), p.get_x() + p.get_width())
            for p in ax.patches
            if isinstance(p, Rectangle) and p.get_zorder() < 1
        )
        expected = [percentile_interval(cost, q)[1:] for q in (0.1, 0.5, 0.9)]
        np.testing.assert_allclose(bands, expected)


def test_each_quarter_bar_carries_the_interval_of_its_mean(results):
    accrual = quarterly_accrual(results)
    fig = quarterly_accrual_chart(accrual)
    ax = fig.axes[0]
    # one error bar per bar, spanning the mean's interval
    caps = [c for c in ax.containers if getattr(c, "errorbar", None) is not None]
    assert len(caps) == len(results)
    lines = caps[0].errorbar.lines[2][0].get_segments()
    base = accrual[accrual["scenario"] == results[0].scenario.name]
    np.testing.assert_allclose(
        [(seg[0][1], seg[1][1]) for seg in lines],
        base[["mean_low", "mean_high"]].to_numpy(),
    )
    # a frame without intervals still draws, bare
    bare = quarterly_accrual_chart(accrual[["scenario", "quarter", "mean"]])
    assert all(getattr(c, "errorbar", None) is None for c in bare.axes[0].containers)


# ------------------------------------------------------------ fast histograms, same figure


def _bin_tops(path, edges):
    """The height of a step outline over each bin: its horizontal run across the centre."""
    xy = path.vertices
    centres = (edges[:-1] + edges[1:]) / 2
    tops = np.zeros(len(centres))
    for (x0, y0), (x1, y1) in zip(xy[:-1], xy[1:], strict=True):
        if y0 == y1 and x0 != x1:
            over = (centres > min(x0, x1)) & (centres < max(x0, x1))
            tops[over] = np.maximum(tops[over], y0)
    return tops


def test_each_histogram_draws_the_counts_of_its_data(results):
    from spm_sim.viz.results import REP_ATTAINMENT_MAX, _bins

    cost = [r.trials["incentive_cost"].to_numpy(float) for r in results]
    edges = _bins(cost, n=45)
    fig = cost_distribution(results)
    for ax, values in zip(fig.axes, cost, strict=True):
        (bars,) = [c for c in ax.collections if c.get_gid() == "histogram"]
        heights = [p.vertices[:, 1].max() for p in bars.get_paths()]
        lefts = [p.vertices[:, 0].min() for p in bars.get_paths()]
        np.testing.assert_array_equal(heights, np.histogram(values, bins=edges)[0])
        np.testing.assert_allclose(lefts, edges[:-1])

    # the two sample plans share their sales: a second run with other sales (the
    # figure reads a result's trials, rep attainments and scenario only)
    trials = results[1].trials.copy()
    trials["company_attainment"] *= 1.1
    other = SimpleNamespace(
        trials=trials, scenario=results[1].scenario, rep_attainment=results[1].rep_attainment * 1.1
    )
    for pair, drawn in (([results[0], other], 2), (results, 1)):  # identical: drawn once
        fig = attainment_histogram(pair)
        company = [r.trials["company_attainment"].to_numpy(float) for r in pair]
        reps = [np.minimum(r.rep_attainment.ravel(), REP_ATTAINMENT_MAX) for r in pair]
        for ax, arrays, edges in (
            (fig.axes[0], company, _bins(company)),
            (fig.axes[1], reps, _bins(reps, n=50, lo=0.0, hi=REP_ATTAINMENT_MAX)),
        ):
            steps = [c for c in ax.collections if c.get_gid() == "histogram"]
            assert len(steps) == drawn
            for step, values in zip(steps, arrays[:drawn], strict=True):
                density = np.histogram(values, bins=edges, density=True)[0]
                np.testing.assert_allclose(_bin_tops(step.get_paths()[0], edges), density)
                assert np.sum(density * np.diff(edges)) == pytest.approx(1.0)


def test_the_fast_figures_keep_their_labels_and_units(results):
    fig = attainment_histogram(results)
    left, right = fig.axes
    assert left.get_title() == "Company attainment per trial"
    assert left.get_xlabel().startswith("Company bookings / company target  (P(reach target): ")
    assert right.get_xlabel().startswith("Annual bookings / annual quota")
    assert left.get_ylabel() == right.get_ylabel() == "Share of trials (density)"
    assert left.xaxis.get_major_formatter()(1.2, 0) == "120%"  # attainment in percent
    assert [t.get_text() for t in left.texts] == ["company target"]
    assert [t.get_text() for t in right.texts] == ["quota"]
    # the two plans' sales are the same: one outline, named for both
    names = " = ".join(r.scenario.name for r in results)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        f"{names} (identical: same simulated sales)"
    ]
    cost = cost_distribution(results)
    assert cost.axes[-1].get_xlabel().startswith("Incentive paid in a simulated year")
    assert cost.axes[-1].xaxis.get_major_formatter()(5.5e6, 0) == "\\$5.5M"
    assert cost._suptitle.get_text().startswith("Incentive cost")


def test_the_fast_histograms_look_like_the_matplotlib_and_seaborn_ones():
    """The cost bars (one collection) against ``ax.hist`` (a patch per bar), and the
    attainment outline against seaborn's ``histplot``: the same picture, pixel for
    pixel but for a few edges that snap to the next pixel column (under 1% of the
    pixels; seaborn's edges differ from numpy's in the last digit)."""
    import io

    import seaborn as sns
    from matplotlib.figure import Figure
    from PIL import Image

    from spm_sim.viz.results import _bars, _bins, _overlaid_hist

    def pixels(draw) -> np.ndarray:
        fig = Figure(figsize=(4, 2))
        draw(fig.subplots())
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        return np.asarray(Image.open(buf).convert("RGB")).astype(int)

    rng = np.random.default_rng(5)
    values = rng.lognormal(15.5, 0.12, 2_000)
    edges = _bins([values], n=45)
    colour = palette(1)[0]
    fast = pixels(lambda ax: _bars(ax, values, edges, colour))
    slow = pixels(
        lambda ax: ax.hist(
            values, bins=edges, color=colour, alpha=0.55, edgecolor=colour, linewidth=0.6
        )
    )
    off = np.abs(fast - slow).max(axis=2)
    assert np.mean(off > 0) < 0.01 and off.mean() < 1.0, (np.mean(off > 0), off.mean())

    fast = pixels(lambda ax: _overlaid_hist(ax, [values], ["Plan"], [colour], edges))

    def seaborn(ax):
        sns.histplot(
            x=values,
            bins=edges,
            stat="density",
            element="step",
            fill=True,
            alpha=0.18,
            color=colour,
            linewidth=1.6,
            linestyle="-",
            label="Plan",
            ax=ax,
        )
        ax.set_ylabel("Share of trials (density)")
        ax.tick_params(axis="y", labelleft=False)

    off = np.abs(fast - pixels(seaborn)).max(axis=2)
    assert np.mean(off > 0) < 0.01 and off.mean() < 1.0, (np.mean(off > 0), off.mean())
