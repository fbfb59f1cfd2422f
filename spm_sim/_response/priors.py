"""Priors of the reps' response: a centre and a range for each effect, and why.

The range is read as a 95% interval of a normal prior on the effect's scale (log of
the multiplier for effects on a month's bookings and for ``min_effort``; the value
itself for the other parameters). None of these studies measured spm_sim's effects
as defined here: the centres are spm_sim's defaults (``docs/model.md`` section 7.9),
sized so that the model reproduces the order of what the studies report, and the
ranges are deliberately wide judgements that span those orders. A book that
identifies an effect moves it; one that cannot leaves it here, and the table says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Prior", "PRIORS", "STUDIES"]

#: the studies cited, by key
STUDIES = {
    "oyer": "Oyer (1998), Fiscal year ends and nonlinear incentive contracts, QJE 113(1)",
    "larkin": (
        "Larkin (2014), The cost of high-powered incentives: employee gaming in enterprise "
        "software sales, J. Labor Econ. 32(2)"
    ),
    "misra": (
        "Misra and Nair (2011), A structural model of sales-force compensation dynamics, QME 9(3)"
    ),
    "chung": (
        "Chung, Steenburgh and Sudhir (2014), Do bonuses enhance sales productivity? "
        "Marketing Science 33(2)"
    ),
    "steenburgh": (
        "Steenburgh (2008), Measuring consequences of lump-sum bonuses: quotas, incentives "
        "and dynamic effort, HBS working paper 08-089"
    ),
}


@dataclass(frozen=True)
class Prior:
    """A prior: ``value`` with its 95% range ``[low, high]`` on the natural scale."""

    value: float
    low: float
    high: float
    scale: str  # "log1p": effect on a month's bookings; "log": a multiplier; "linear"
    studies: tuple[str, ...]
    why: str
    bounds: tuple[float, float] = (-1.0, np.inf)

    @property
    def reference(self) -> str:
        return "; ".join(STUDIES[s] for s in self.studies)


PRIORS: dict[str, Prior] = {
    "bunch": Prior(
        0.15,
        0.0,
        0.40,
        "log1p",
        ("oyer", "larkin"),
        "sales bunch in the periods that settle pay when pay is non-linear (Oyer: fiscal "
        "year ends; Larkin: deals timed to the quarter that pays most, a cost of about "
        "6-8% of revenue); judgement: +15% in a settlement month for a rep near an edge",
    ),
    "dip": Prior(
        -0.15,
        -0.35,
        0.0,
        "log1p",
        ("oyer", "larkin"),
        "the deals pulled in are missing from the month after (Oyer; Larkin); judgement",
    ),
    "post_quota": Prior(
        0.0,
        -0.20,
        0.15,
        "log1p",
        ("oyer", "chung", "steenburgh"),
        "effort falls after quota where the plan pays little more (Oyer) and holds where "
        "overachievement pays (Chung et al.; Steenburgh); the sign depends on the plan, so "
        "centred on 0",
    ),
    "near_cap": Prior(
        -0.15,
        -0.40,
        0.0,
        "log1p",
        ("misra", "chung"),
        "effort falls as a cap nears (Misra and Nair: removing a cap and a ratchet raised "
        "revenue about 9%; Chung et al.); judgement",
    ),
    "give_up": Prior(
        -0.15,
        -0.40,
        0.0,
        "log1p",
        ("oyer", "chung", "misra"),
        "reps far behind a threshold they cannot reach slow down (Oyer; Chung et al.; "
        "Misra and Nair); judgement",
    ),
    "effort_elasticity": Prior(
        0.2,
        0.0,
        0.5,
        "linear",
        ("misra", "chung"),
        "spm_sim's default, sized so that removing the sample's cap changes bookings by a "
        "few per cent, the order of Misra and Nair's +9%",
        (0.0, 2.0),
    ),
    "min_effort": Prior(
        0.85,
        0.65,
        1.0,
        "log",
        ("misra", "chung", "oyer"),
        "spm_sim's default: effort with nothing more to earn (a cap reached, a threshold "
        "out of reach)",
        (0.0, 1.0),
    ),
    "max_effort": Prior(
        1.2,
        1.05,
        1.5,
        "linear",
        ("chung",),
        "spm_sim's default: the most effort a steep accelerator buys; judgement",
        (1.0, 3.0),
    ),
    "pull_forward": Prior(
        0.25,
        0.05,
        0.5,
        "linear",
        ("larkin", "oyer"),
        "spm_sim's default: the share of next month's deals a rep near an edge can pull "
        "into a settlement month, sized to timing shifts of a few per cent of revenue",
        (0.0, 1.0),
    ),
    "push_out": Prior(
        0.5,
        0.1,
        0.8,
        "linear",
        ("larkin", "oyer"),
        "spm_sim's default: the share of December a rep with nothing to gain can push into "
        "January; judgement",
        (0.0, 1.0),
    ),
    "timing_cost": Prior(
        0.25,
        0.05,
        0.75,
        "linear",
        ("larkin",),
        "spm_sim's default: what moving a dollar costs the rep, x TCR (Larkin: pulled-in "
        "deals carry larger discounts); judgement",
        (0.0, 10.0),
    ),
}
