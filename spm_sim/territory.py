"""Territory design: balanced, compact alignments with the disruption they cause.

:func:`design` assigns geographic units or accounts to territories so that every
balanced measure stays inside a tolerance band around the mean territory, the total
distance from each unit to its territory's center (or its rep's home) is as small as
possible, and the disruption against the current alignment is capped, penalised or
minimised; locks and contiguity are optional. It returns an :class:`Alignment`
(unit -> territory -> rep, balance, compactness, disruption, the solver's proven gap);
its keyword arguments are checked once as a :class:`DesignSettings`.
:func:`alignment_metrics` measures any alignment; :func:`tradeoff` sweeps the
disruption cap for the Pareto front of distance against disruption.

Up to ``exact_limit`` unit-territory pairs HiGHS solves the MILP to proven
optimality; above, an LP relaxation priced out over every pair (a lower bound), a
dive, rounding and a repair by moves and swaps. The LPs of a design, from the center
search to the final assignment, are solved on one HiGHS model changed in place and
warm-started from its last basis. ``docs/model.md`` section 6 states the model.

The workings live in ``spm_sim/_territory/``: ``design`` (the entry point and the
center heuristic), ``metrics`` (the :class:`Alignment` and the measures of any
alignment), ``tradeoff`` (the sweep of disruption caps), ``inputs`` (located checks
of the units, distances and the adjacency), ``problem`` (the arrays of one
assignment and a solver's answer), ``lp`` (the warm-started HiGHS model of the
LP), ``solve`` (MILP, LP bound and dive), ``repair`` (rounding, repair, polish,
contiguity).

Examples
--------
>>> import pandas as pd
>>> from spm_sim.territory import design
>>> units = pd.DataFrame({"unit_id": list("abcdef"), "x": [0, 1, 2, 10, 11, 12],
...                       "y": 0.0, "potential": 1.0})
>>> al = design(units, territories=2, balance={"potential": 0.0}, rng=0)
>>> al.units["territory"].tolist()
['T1', 'T1', 'T1', 'T2', 'T2', 'T2']
"""

from __future__ import annotations

from ._territory.design import DesignSettings, design
from ._territory.inputs import EARTH_RADIUS_KM, adjacency_from_points, great_circle_km
from ._territory.metrics import Alignment, alignment_metrics
from ._territory.tradeoff import tradeoff

__all__ = [
    "Alignment",
    "DesignSettings",
    "EARTH_RADIUS_KM",
    "adjacency_from_points",
    "alignment_metrics",
    "design",
    "great_circle_km",
    "tradeoff",
]
