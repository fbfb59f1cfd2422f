"""Goal-seek targets: a metric's statistic and the value it should take, read from text.

``METRIC[.STATISTIC]=VALUE`` (``"incentive_cost.mean=6M"``, ``"share_at_quota=60%"``)
into a :class:`Target`: the metric one of :data:`~.table.SWEEP_METRICS`, the statistic
one it has, the value in the metric's unit (money with ``k``, ``M``, ``B``; a share or
probability as a fraction or a percentage) and within the range that unit allows.
:mod:`.goal` seeks it.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from spm_sim._format import format_money, format_pct
from spm_sim._spec import suggest
from spm_sim.errors import SpecError

from .table import SWEEP_METRICS

_SCALE = {"k": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9, "bn": 1e9, "t": 1e12}
_EXAMPLES = (
    '"incentive_cost.mean=6M", "incentive_cost.p90=7.5M", "cost_of_sales.mean=9%", '
    '"share_at_quota=60%", "p_company_target=0.5"'
)


class Target(NamedTuple):
    """A goal-seek target: a metric's statistic and the value it should take."""

    metric: str
    statistic: str
    value: float

    @property
    def unit(self) -> str:
        """The metric's unit: ``$``, ``ratio`` or ``prob``."""
        return SWEEP_METRICS[self.metric].unit

    def text(self, currency: str = "USD") -> str:
        """The target in words.

        >>> Target("incentive_cost", "mean", 6e6).text()
        'incentive cost (mean) = $6.00M'
        """
        shown = _shown(self.value, self.unit, currency)
        return f"{self.metric.replace('_', ' ')} ({self.statistic}) = {shown}"


def _shown(x: float, unit: str, currency: str = "USD") -> str:
    if unit == "$":
        return format_money(x, currency=currency)
    return format_pct(x, decimals=2 if abs(x) < 0.1 else 1)


def parse_target(text: str) -> Target:
    """Read a target such as ``"incentive_cost.mean=6M"`` or ``"share_at_quota=60%"``.

    ``METRIC[.STATISTIC]=VALUE``: a metric of :data:`SWEEP_METRICS`, a statistic it
    has (``mean`` by default; ``p10``, ``p50``, ``p90`` for money), and a value:
    money with an optional ``$``, thousands separators and ``k``, ``M``, ``B``; a
    ratio or probability as a fraction (``0.6``) or a percentage (``60%``).

    Raises
    ------
    SpecError
        Naming the part at fault, the metrics or statistics there are, and the
        range the value must be in.

    Examples
    --------
    >>> parse_target("incentive_cost.p90=7.5M")
    Target(metric='incentive_cost', statistic='p90', value=7500000.0)
    >>> parse_target("share_at_quota = 60%")
    Target(metric='share_at_quota', statistic='mean', value=0.6)
    >>> parse_target("incentve_cost=6M")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spm_sim.errors.SpecError: target 'incentve_cost=6M': unknown metric 'incentve_cost'. Did you mean 'incentive_cost'? ...
    """  # noqa: E501
    if not isinstance(text, str) or "=" not in text:
        raise SpecError(f"a target reads METRIC[.STATISTIC]=VALUE, e.g. {_EXAMPLES}; got {text!r}.")
    left, _, right = text.partition("=")
    name, _, stat = left.strip().partition(".")
    name, stat = name.strip(), (stat.strip() or "mean")
    where = f"target {text.strip()!r}"
    if name not in SWEEP_METRICS:
        raise SpecError(
            f"{where}: unknown metric {name!r}.{suggest(name, SWEEP_METRICS)} Metrics: "
            f"{', '.join(SWEEP_METRICS)}."
        )
    metric = SWEEP_METRICS[name]
    if stat not in metric.statistics:
        raise SpecError(
            f"{where}: {name} has no statistic {stat!r}; it has {', '.join(metric.statistics)}."
        )
    value = _value(right.strip(), name, metric.unit, where)
    return Target(name, stat, value)


def _value(raw: str, name: str, unit: str, where: str) -> float:
    m = re.fullmatch(
        r"(?P<sign>[-+]?)\s*(?P<cur>[$€£¥]|[A-Z]{3}\s)?\s*(?P<num>[0-9][0-9,_]*\.?[0-9]*(?:e[-+]?[0-9]+)?|\.[0-9]+)\s*(?P<suffix>%|[kKmMbBtT]{1,2}n?)?",
        raw,
    )
    if m is None:
        raise SpecError(
            f"{where}: the value {raw!r} is not a number; write e.g. 6M, $6,000,000, 60% or 0.6."
        )
    x = float(m.group("num").replace(",", "").replace("_", ""))
    x = -x if m.group("sign") == "-" else x
    suffix = (m.group("suffix") or "").lower()
    if unit == "$":
        if suffix == "%":
            raise SpecError(
                f"{where}: {raw!r} is a percentage, but the metric is money; write e.g. 6M."
            )
        if suffix:
            if suffix not in _SCALE:
                raise SpecError(f"{where}: unknown suffix {suffix!r} in {raw!r}; use k, M or B.")
            x *= _SCALE[suffix]
        if not (math.isfinite(x) and x > 0):
            raise SpecError(f"{where}: money must be a positive amount, got {raw!r}.")
        return x
    if m.group("cur") or (suffix and suffix != "%"):
        raise SpecError(
            f"{where}: {raw!r} is money, but the metric is a share; write e.g. 60% or 0.6."
        )
    if suffix == "%":
        x /= 100.0
    elif x > 1:
        raise SpecError(
            f"{where}: {raw!r} is above 1; write a share as a fraction (0.6) or with % "
            f"({raw}% if that was meant)."
        )
    if unit == "prob" or name == "share_at_quota":
        if not 0 < x < 1:
            raise SpecError(
                f"{where}: a probability or share must be between 0 and 1 (0% and 100%), "
                f"got {raw!r}."
            )
    elif not 0 < x <= 10:
        raise SpecError(f"{where}: a ratio must be above 0 and at most 1000%, got {raw!r}.")
    return x
