"""How numbers read everywhere: money, percentages, differences, file-name slugs.

The report, the figures, the notebook widgets and the command line share these so a
number reads the same in each. Money is shown with three significant digits
(``$1.23M``, ``$456k``), ratios and probabilities as percentages, differences of
ratios in percentage points (pp).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

__all__ = [
    "currency_symbol",
    "format_money",
    "format_pct",
    "format_diff",
    "format_value",
    "slugify",
    "unique_slugs",
]

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}
_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def currency_symbol(currency: str) -> str:
    return _SYMBOLS.get(currency, f"{currency} ")


def format_money(
    x: float, *, digits: int = 3, currency: str = "USD", sign: bool = False, trim: bool = False
) -> str:
    """Money with ``digits`` significant digits and a k/M/B suffix.

    Parameters
    ----------
    x : float
    digits : int, default 3
        Significant digits.
    currency : str, default "USD"
        ISO code; USD, EUR, GBP, JPY, AUD and CAD get a symbol, others their code.
    sign : bool, default False
        Write ``+`` before positive amounts (for differences).
    trim : bool, default False
        Drop trailing zeros (for axis ticks: ``$1.5M`` rather than ``$1.50M``).

    Examples
    --------
    >>> format_money(1_234_567), format_money(456_000), format_money(999_999)
    ('$1.23M', '$456k', '$1.00M')
    >>> format_money(-12_345, sign=True), format_money(0.4), format_money(float("nan"))
    ('-$12.3k', '$0', 'n/a')
    >>> format_money(1_500_000, trim=True), format_money(2e6, currency="CHF")
    ('$1.5M', 'CHF 2.00M')
    """
    if x is None or not math.isfinite(x):
        return "n/a"
    sym = currency_symbol(currency)
    mag = abs(float(x))
    digits = max(int(digits), 1)
    if mag < 0.5:
        return f"{sym}0"
    lead = "-" if x < 0 else ("+" if sign and x > 0 else "")
    # round to significant digits first, so 999,999 becomes 1.00M and not 1000k
    rounded = round(mag, digits - 1 - math.floor(math.log10(mag)))
    scale, suffix = next(((sc, sf) for sc, sf in _UNITS if rounded >= sc), (1.0, ""))
    value = rounded / scale
    decimals = max(digits - 1 - math.floor(math.log10(value)), 0) if value >= 1 else 0
    text = f"{value:.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{lead}{sym}{text}{suffix}"


def format_pct(x: float, *, decimals: int = 1, sign: bool = False) -> str:
    """A ratio as a percentage.

    Examples
    --------
    >>> format_pct(0.4213), format_pct(0.07, decimals=0), format_pct(0.012, sign=True)
    ('42.1%', '7%', '+1.2%')
    """
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x * 100:{'+' if sign else ''}.{decimals}f}%"


def _pp_decimals(se: float) -> int:
    """Decimals of a difference in percentage points so that 2 SE shows a digit."""
    if not math.isfinite(se) or se <= 0:
        return 1
    two_se_pp = 2 * se * 100
    return int(min(max(-math.floor(math.log10(two_se_pp)), 1), 3))


def format_diff(diff: float, se: float, unit: str, *, currency: str = "USD") -> str:
    """A difference and its uncertainty, ``diff ± 2 SE``.

    Ratios and probabilities are shown in percentage points (pp). A difference of
    exactly zero with zero standard error (e.g. company attainment under common
    random numbers) reads "no change".

    Examples
    --------
    >>> format_diff(123_456, 5_000, "$")
    '+$123k ± $10.0k'
    >>> format_diff(-0.0312, 0.002, "ratio")
    '-3.1 pp ± 0.4 pp'
    >>> format_diff(0.0, 0.0, "prob")
    'no change'
    """
    if not math.isfinite(diff):
        return "n/a"
    if diff == 0 and (se == 0 or not math.isfinite(se)):
        return "no change"
    if unit == "$":
        text = format_money(diff, currency=currency, sign=True)
        if math.isfinite(se):
            text += f" ± {format_money(2 * se, currency=currency)}"
        return text
    d = _pp_decimals(se)
    text = f"{diff * 100:+.{d}f} pp"
    if math.isfinite(se):
        text += f" ± {2 * se * 100:.{d}f} pp"
    return text


def format_value(x: float, unit: str, currency: str) -> str:
    return format_money(x, currency=currency) if unit == "$" else format_pct(x)


def slugify(name: str) -> str:
    """A file-name-safe form of a scenario name: lowercase, ``[a-z0-9_-]`` only.

    Examples
    --------
    >>> slugify("Baseline 2026"), slugify("<script>alert(1)</script>"), slugify("***")
    ('baseline-2026', 'script-alert-1-script', 'scenario')
    """
    slug = re.sub(r"[^a-z0-9_-]+", "-", str(name).lower()).strip("-_")
    return slug or "scenario"


def unique_slugs(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        slug, k = slugify(name), 2
        while slug in out:
            slug = f"{slugify(name)}-{k}"
            k += 1
        out.append(slug)
    return out
