"""The territory designer: sliders for territories, tolerance and disruption cap.

Re-exported by :mod:`spm_sim.widgets`. The callback is three steps: slider values ->
``design(...)`` arguments -> :func:`spm_sim.territory.design` -> figures.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as widgets
import pandas as pd
from IPython.display import display

from spm_sim._format import no_maths
from spm_sim.errors import SpmSimError
from spm_sim.territory import Alignment, design, tradeoff

__all__ = ["TerritoryDesigner"]

#: Slider labels in full (JupyterLab cuts a description at 80 pixels by default).
_LABEL = {"description_width": "initial"}
_WIDTH = widgets.Layout(width="640px")


def _sliders(start: int, n_units: int, tolerance: float, cap: float | None, current: bool):
    """Territories (around ``start``), the tolerance and the disruption cap (needs ``current``)."""
    return {
        "territories": widgets.IntSlider(
            value=min(start, n_units),
            min=max(1, start // 2),
            max=min(n_units, max(start * 3 // 2, start + 2)),
            description="Territories (one rep each)",
            continuous_update=False,
            style=_LABEL,
            layout=_WIDTH,
        ),
        "tolerance": widgets.FloatSlider(
            value=tolerance,
            min=0.01,
            max=0.5,
            step=0.01,
            readout_format=".0%",
            description="Balance tolerance ± (potential and workload)",
            continuous_update=False,
            style=_LABEL,
            layout=_WIDTH,
        ),
        "cap": widgets.FloatSlider(
            value=1.0 if cap is None else cap,
            min=0.0,
            max=1.0,
            step=0.01,
            readout_format=".0%",
            description="Disruption cap: most accounts that change rep (100% = no cap)",
            continuous_update=False,
            style=_LABEL,
            layout=_WIDTH,
            disabled=not current,
        ),
    }


class TerritoryDesigner:
    """Realign units or accounts with sliders, and see the map, balance and disruption.

    Parameters
    ----------
    units : DataFrame
        Units or accounts as :func:`spm_sim.territory.design` takes them.
    current : str, optional
        Column of each unit's current rep (default ``rep_id`` when present). With as
        many territories as current reps, the territories start from the current ones.
    measures : sequence of str
        The balanced measures; one tolerance slider applies to all of them.
    territories, tolerance, cap : optional
        Starting values (default: the number of current reps, 5%, no cap).
    rng : int
        Seed of the centers (the same seed gives the same alignment).
    draw : bool
        Draw figures (False skips them, e.g. for quick tests).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> units = pd.DataFrame({"unit_id": range(40), "x": rng.uniform(0, 9, 40),
    ...                       "y": rng.uniform(0, 9, 40), "potential": rng.uniform(1, 2, 40),
    ...                       "rep_id": ["A", "B"] * 20})
    >>> d = TerritoryDesigner(units, measures=("potential",), tolerance=0.1, draw=False)
    >>> d.sliders["territories"].value, d.alignment.summary["max_dev"] <= 0.1
    (2, True)
    """

    def __init__(
        self,
        units: pd.DataFrame,
        *,
        current: str | None = "rep_id",
        measures: Sequence[str] = ("potential", "workload"),
        territories: int | None = None,
        tolerance: float = 0.05,
        cap: float | None = None,
        rng: int = 0,
        draw: bool = True,
    ) -> None:
        self.units = units
        self.current = current if current in units.columns else None
        self.measures = tuple(measures)
        self.rng = rng
        self.draw = draw
        n_cur = units[self.current].nunique() if self.current else 0
        start = territories or n_cur or 10
        self.sliders = _sliders(start, len(units), tolerance, cap, self.current is not None)
        self.summary = widgets.HTML()
        self.figures = widgets.Output()
        for s in self.sliders.values():
            s.observe(self._on_change, names="value")
        self.widget = widgets.VBox(
            [widgets.VBox(list(self.sliders.values())), self.summary, self.figures]
        )
        self.alignment: Alignment | None = None
        self.error: str | None = None
        self.update()

    def arguments(self) -> dict:
        """The ``design`` arguments the sliders stand for."""
        cap = self.sliders["cap"].value
        return {
            "territories": int(self.sliders["territories"].value),
            "balance": {m: float(self.sliders["tolerance"].value) for m in self.measures},
            "current": self.current,
            "max_disruption": None if self.current is None or cap >= 1 else float(cap),
            "strict": False,
            "rng": self.rng,
        }

    def _on_change(self, _change) -> None:
        self.update()

    def update(self) -> None:
        """Design with the slider values and redraw."""
        try:
            self.alignment = design(self.units, **self.arguments())
            self.error = None
        except SpmSimError as exc:
            self.alignment, self.error = None, str(exc)
        self._show()

    def _show(self) -> None:
        alignment = self.alignment
        if alignment is None:  # update() set the error
            self.summary.value = no_maths(f"<b>No alignment:</b> {html.escape(str(self.error))}")
            if self.draw:
                self.figures.clear_output()
            return
        text = alignment.describe()
        self.summary.value = no_maths(f"<pre style='line-height:1.3'>{html.escape(text)}</pre>")
        if self.draw:
            self.figures.clear_output(wait=True)
            from spm_sim.viz.territory import balance_bars, territory_map

            with self.figures:
                before = "current" if self.current else None
                display(territory_map(alignment, before=before))
                display(balance_bars(alignment))

    def tradeoff(self, caps: Sequence[float | None] = (0.05, 0.1, 0.2, 0.3, None)) -> pd.DataFrame:
        """Disruption against distance for a sweep of caps, at the sliders' other values."""
        args = self.arguments()
        args.pop("max_disruption")
        args.pop("strict")
        return tradeoff(self.units, caps=caps, **args)
