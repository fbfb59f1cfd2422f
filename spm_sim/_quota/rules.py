"""Several plan years: how each year's quotas follow from the year before.

A scenario's ``years`` block (:class:`Years`) runs the plan for ``count`` years; after
each year a quota rule sets every seat's next annual quota from what the year left
(``spm_sim.simulate.simulate_years`` applies it trial by trial)::

    years:
      count: 3
      quota_rule: {rule: ratchet, weight: 1.0}        # next quota moves with this year's result
      # quota_rule: {rule: growth, rate: 0.08}        # quotas grow a fixed 8% a year
      # quota_rule: {rule: method, settings: {method: equal, growth: 0.08}}
      target_growth: 0.08                             # the company target's own path

The rules, with ``Q`` a seat's full-year quota this year, ``B`` its bookings and
``a = B / Q_y`` its attainment of this year's (possibly prorated) quota ``Q_y``:

* ``ratchet`` (the field ratchet of Misra and Nair 2011: next year's quota rises with
  this year's over-achievement)::

      Q' = Q x clip(1 + weight (a - 1)^+ - down_weight (1 - a)^+, floor, ceiling)

  ``weight`` 1 sets next year's quota at this year's bookings when above quota;
  ``down_weight`` 0 (the default) never lowers a quota;
* ``growth``: ``Q' = (1 + rate) Q`` on ``basis: quota`` (no ratchet: the result does
  not move next year's quota), or ``Q' = (1 + rate) Q a`` on ``basis: bookings``
  (next year's quota is this year's bookings grown: a full ratchet);
* ``method``: every later year's quotas are those a quota method sets on the book
  (:class:`~spm_sim.quota.QuotaSettings`), grown by ``rate`` a year; the same in
  every trial (the method reads the book, not the simulated year).

A seat without a quota keeps none. The rule is applied to the annual quota in
attainment terms, so a rep hired during a year (prorated quota) gets a full-year
quota next year. A private module of :mod:`spm_sim.quota`.

Examples
--------
>>> rule = RatchetRule(weight=0.5)
>>> next_quota(rule, np.array([100.0, 100.0]), np.array([140.0, 80.0]))
array([120., 100.])
>>> rule.ratchet_weights()
(0.5, 0.0)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Discriminator, Field, Tag

from spm_sim._spec import Spec

from .settings import QuotaSettings

__all__ = [
    "RatchetRule",
    "GrowthRule",
    "MethodRule",
    "QuotaRule",
    "Years",
    "QUOTA_RULES",
    "MAX_YEARS",
    "next_quota",
]

#: The quota rules between plan years, in the order the docs explain them.
QUOTA_RULES = ("ratchet", "growth", "method")
#: The most plan years one run simulates.
MAX_YEARS = 10

_Rate = Annotated[float, Field(ge=-0.5, le=1.0, allow_inf_nan=False)]


class RatchetRule(Spec):
    """Next year's quota moves with this year's result (a quota ratchet).

    ``Q' = Q x clip(1 + weight (a - 1)^+ - down_weight (1 - a)^+, floor, ceiling)``
    with ``a`` the year's attainment.

    Parameters
    ----------
    weight : float, default 1.0
        In [0, 2]: the share of the year's over-achievement added to next year's quota
        (1: next year's quota is this year's bookings).
    down_weight : float, default 0.0
        In [0, 1]: the share of a shortfall taken off next year's quota (0: a quota
        never falls).
    floor : float, default 0.5
        Next year's quota is at least this share of this year's.
    ceiling : float, optional
        At most this multiple of this year's (default: no limit).

    Examples
    --------
    >>> RatchetRule(weight=1.0, ceiling=1.3).ratchet_weights()
    (1.0, 0.0)
    """

    rule: Literal["ratchet"] = "ratchet"
    weight: float = Field(1.0, ge=0.0, le=2.0, allow_inf_nan=False)
    down_weight: float = Field(0.0, ge=0.0, le=1.0, allow_inf_nan=False)
    floor: float = Field(0.5, ge=0.0, le=1.0, allow_inf_nan=False)
    ceiling: float | None = Field(None, ge=1.0, le=10.0, allow_inf_nan=False)

    def ratchet_weights(self) -> tuple[float, float]:
        """Dollars of next year's quota per dollar booked, above and below quota."""
        return (self.weight, self.down_weight)

    def describe(self) -> str:
        cap = f", at most x{self.ceiling:g}" if self.ceiling is not None else ""
        down = (
            f", lowered by {self.down_weight:.0%} of a shortfall"
            if self.down_weight
            else ", never lowered"
        )
        return (
            f"ratchet: next quota = this quota + {self.weight:.0%} of bookings above it{down} "
            f"(at least {self.floor:.0%} of this quota{cap})"
        )


class GrowthRule(Spec):
    """Next year's quota grows at a fixed rate, on this year's quota or bookings.

    Parameters
    ----------
    rate : float, default 0.08
        In [-0.5, 1]: growth a year.
    basis : {"quota", "bookings"}, default "quota"
        ``quota``: ``Q' = (1 + rate) Q``, whatever the year's result (no ratchet);
        ``bookings``: ``Q' = (1 + rate) B`` (this year's bookings, a full ratchet).

    Examples
    --------
    >>> GrowthRule(rate=0.08).ratchet_weights()
    (0.0, 0.0)
    >>> GrowthRule(rate=0.08, basis="bookings").ratchet_weights()
    (1.08, 1.08)
    """

    rule: Literal["growth"] = "growth"
    rate: _Rate = 0.08
    basis: Literal["quota", "bookings"] = "quota"

    def ratchet_weights(self) -> tuple[float, float]:
        """Dollars of next year's quota per dollar booked, above and below quota."""
        w = 1.0 + self.rate if self.basis == "bookings" else 0.0
        return (w, w)

    def describe(self) -> str:
        on = "this year's bookings" if self.basis == "bookings" else "this year's quota"
        return f"growth: next quota = {on} x {1 + self.rate:.3g}"


class MethodRule(Spec):
    """Every later year's quotas set by a quota method on the book, grown each year.

    Parameters
    ----------
    settings : QuotaSettings
        The method and its settings (as a scenario's ``quota``), applied to the book
        for the scenario's plan year.
    rate : float, default 0.0
        In [-0.5, 1]: those quotas grow by this much each year after the second.

    Examples
    --------
    >>> MethodRule(settings={"method": "equal"}).ratchet_weights()
    (0.0, 0.0)
    """

    rule: Literal["method"] = "method"
    settings: QuotaSettings
    rate: _Rate = 0.0

    def ratchet_weights(self) -> tuple[float, float]:
        """A method reads the book, not the year: no ratchet."""
        return (0.0, 0.0)

    def describe(self) -> str:
        grow = f", grown {self.rate:.0%} a year" if self.rate else ""
        return f"method: quotas set by method {self.settings.method!r} on the book{grow}"


def _rule_tag(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("rule", "ratchet")
    return getattr(value, "rule", None)


#: A quota rule between plan years: a union discriminated by ``rule``.
QuotaRule = Annotated[
    Annotated[RatchetRule, Tag("ratchet")]
    | Annotated[GrowthRule, Tag("growth")]
    | Annotated[MethodRule, Tag("method")],
    Discriminator(
        _rule_tag,
        custom_error_type="quota_rule",
        custom_error_message="unknown quota rule; allowed: " + ", ".join(QUOTA_RULES),
    ),
]


class Years(Spec):
    """Several plan years: how many, and how each year's quotas follow the last.

    Parameters
    ----------
    count : int, default 3
        Plan years simulated, from the scenario's ``plan_year`` (1 to
        :data:`MAX_YEARS`).
    quota_rule : RatchetRule, GrowthRule or MethodRule
        How next year's quotas follow (``rule: ratchet``, ``growth`` or ``method``).
    target_growth : float, default 0.0
        In [-0.5, 1]: the company target of year ``y`` is the first year's grown by
        this each year, the same in every trial and scenario, so the chance of
        reaching it compares across quota rules.

    Examples
    --------
    >>> y = Years(count=3, quota_rule={"rule": "growth", "rate": 0.05})
    >>> y.quota_rule.rule, y.targets(100.0)
    ('growth', (100.0, 100.0, 100.0))
    >>> y.replace(count=11)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spm_sim.errors.SpecError: years: 1 problem(s) in this years spec:
      - count: Input should be less than or equal to 10 (got 11)
    """

    count: int = Field(3, ge=1, le=MAX_YEARS)
    quota_rule: QuotaRule = Field(default_factory=RatchetRule)
    target_growth: _Rate = 0.0

    def _label(self) -> str:
        return "years"

    def targets(self, first: float) -> tuple[float, ...]:
        """The company target of each year, from the first year's."""
        return tuple(float(first) * (1.0 + self.target_growth) ** y for y in range(self.count))

    def describe(self) -> str:
        grow = f", company target +{self.target_growth:.0%} a year" if self.target_growth else ""
        return f"{self.count} plan years; {self.quota_rule.describe()}{grow}"


def next_quota(
    rule: RatchetRule | GrowthRule,
    quota: np.ndarray,
    bookings: np.ndarray,
    *,
    year_quota: np.ndarray | None = None,
) -> np.ndarray:
    """Next year's full-year quota of each seat under ``rule``.

    Parameters
    ----------
    rule : RatchetRule or GrowthRule
        (``method`` quotas are set on the book, not from the year: see
        ``spm_sim.simulate.simulate_years``.)
    quota : ndarray
        This year's full-year quota of each seat, any shape (trials, reps).
    bookings : ndarray
        This year's bookings, broadcastable to ``quota``.
    year_quota : ndarray, optional
        The quota the year was measured against (prorated for a part year); default
        ``quota``. Attainment is ``bookings / year_quota``.

    Returns
    -------
    ndarray
        Next year's full-year quota; 0 where this year's was 0.

    Examples
    --------
    >>> next_quota(GrowthRule(rate=0.1), np.array([100.0, 0.0]), np.array([50.0, 9.0]))
    array([110.,   0.])
    >>> next_quota(GrowthRule(rate=0.0, basis="bookings"), np.array([100.0]), np.array([130.0]))
    array([130.])
    """
    q = np.asarray(quota, dtype=float)
    qy = q if year_quota is None else np.asarray(year_quota, dtype=float)
    b = np.asarray(bookings, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(qy > 0, b / np.where(qy > 0, qy, 1.0), 1.0)
    if isinstance(rule, GrowthRule):
        factor = (1.0 + rule.rate) * (a if rule.basis == "bookings" else 1.0)
    elif isinstance(rule, RatchetRule):
        factor = 1.0 + rule.weight * np.maximum(a - 1.0, 0.0)
        factor = factor - rule.down_weight * np.maximum(1.0 - a, 0.0)
        factor = np.maximum(factor, rule.floor)
        if rule.ceiling is not None:
            factor = np.minimum(factor, rule.ceiling)
    else:
        raise TypeError(
            f"next_quota: rule {getattr(rule, 'rule', rule)!r} is not applied to a year's "
            "result; a 'method' rule's quotas are set on the book."
        )
    return np.where(q > 0, q * factor, 0.0)
