"""How numbers read everywhere: money, percentages, differences, file-name slugs.

The report, the figures, the notebook widgets and the command line share these so a
number reads the same in each. Money is shown with three significant digits
(``$1.23M``, ``$456k``), ratios and probabilities as percentages, differences of
ratios in percentage points (pp).

Plausibility thresholds on money (a salary above 5 million, a prize above 5 million)
are stated in US dollars and read in the currency of the book or plan at hand through
:func:`units_per_usd`, a rough table of exchange rates for that purpose only
(:func:`money_threshold`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType

__all__ = [
    "chance_text",
    "chance_bounds",
    "ratio_against",
    "NO_MATHS_CLASS",
    "no_maths",
    "currency_symbol",
    "units_per_usd",
    "money_threshold",
    "format_money",
    "format_pct",
    "format_diff",
    "format_value",
    "format_change",
    "slugify",
    "unique_slugs",
]

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}
_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


#: Roughly how many units of a currency buy one US dollar, rounded, as of late 2026.
#: FOR PLAUSIBILITY THRESHOLDS ONLY, never for converting money: a threshold of
#: "5 million dollars" must read as about 750 million in yen and 80 billion in rupiah,
#: and for that an error of a factor of two would still do. Listed are the currencies
#: whose unit is worth less than about a third of a dollar; any other code (EUR, GBP,
#: CHF, CAD, AUD, SGD, NZD, KWD, BHD, OMR, JOD and codes not listed) counts as 1. Rates
#: of high-inflation currencies (ARS, TRY, EGP, NGN, LBP, IRR) drift quickly; update
#: them when one is off by more than a factor of two.
_UNITS_PER_USD: Mapping[str, float] = MappingProxyType(
    {
        # Asia and the Pacific
        "JPY": 150.0,
        "KRW": 1_400.0,
        "CNY": 7.2,
        "HKD": 7.8,
        "TWD": 32.0,
        "MOP": 8.0,
        "INR": 85.0,
        "PKR": 280.0,
        "BDT": 120.0,
        "LKR": 300.0,
        "NPR": 135.0,
        "BTN": 85.0,
        "MVR": 15.4,
        "IDR": 16_000.0,
        "VND": 25_000.0,
        "PHP": 57.0,
        "THB": 35.0,
        "MYR": 4.5,
        "MMK": 2_100.0,
        "LAK": 21_000.0,
        "KHR": 4_000.0,
        "MNT": 3_400.0,
        "KZT": 480.0,
        "UZS": 12_700.0,
        "KGS": 87.0,
        "TJS": 10.7,
        "AFN": 70.0,
        "VUV": 120.0,
        "XPF": 110.0,
        # Europe
        "SEK": 10.5,
        "NOK": 10.5,
        "DKK": 7.0,
        "ISK": 140.0,
        "CZK": 23.0,
        "HUF": 360.0,
        "PLN": 4.0,
        "RON": 4.6,
        "RSD": 108.0,
        "MKD": 57.0,
        "ALL": 92.0,
        "MDL": 18.0,
        "UAH": 41.0,
        "RUB": 90.0,
        "TRY": 32.0,
        "AMD": 390.0,
        # the Middle East
        "AED": 3.67,
        "SAR": 3.75,
        "QAR": 3.64,
        "ILS": 3.7,
        "EGP": 48.0,
        "IRR": 42_000.0,
        "IQD": 1_310.0,
        "LBP": 89_500.0,
        "SYP": 13_000.0,
        "YER": 250.0,
        # Africa
        "ZAR": 18.0,
        "NAD": 18.0,
        "LSL": 18.0,
        "SZL": 18.0,
        "BWP": 13.5,
        "NGN": 1_500.0,
        "GHS": 15.0,
        "KES": 130.0,
        "UGX": 3_700.0,
        "TZS": 2_600.0,
        "RWF": 1_400.0,
        "BIF": 2_900.0,
        "ETB": 120.0,
        "SOS": 570.0,
        "DJF": 178.0,
        "MAD": 10.0,
        "DZD": 135.0,
        "MRU": 40.0,
        "XOF": 600.0,
        "XAF": 600.0,
        "GNF": 8_600.0,
        "CDF": 2_800.0,
        "AOA": 900.0,
        "ZMW": 26.0,
        "MWK": 1_730.0,
        "MZN": 64.0,
        "MGA": 4_500.0,
        "MUR": 46.0,
        "SCR": 14.0,
        "KMF": 450.0,
        "CVE": 100.0,
        "GMD": 70.0,
        "LRD": 190.0,
        # the Americas
        "MXN": 18.0,
        "BRL": 5.5,
        "ARS": 900.0,
        "CLP": 950.0,
        "COP": 4_000.0,
        "PEN": 3.7,
        "PYG": 7_500.0,
        "UYU": 40.0,
        "BOB": 6.9,
        "CRC": 510.0,
        "GTQ": 7.7,
        "HNL": 25.0,
        "NIO": 37.0,
        "DOP": 60.0,
        "JMD": 157.0,
        "TTD": 6.8,
        "HTG": 130.0,
    }
)


def currency_symbol(currency: str) -> str:
    return _SYMBOLS.get(currency, f"{currency} ")


def units_per_usd(currency: str) -> float:
    """Roughly how many units of ``currency`` make one US dollar: for thresholds only.

    The plausibility thresholds on money (a year's pay, a prize, a rate per deal) are
    set in US dollars and scaled by this factor, so that a book or plan in yen or
    rupiah is held to the same real amounts as one in dollars. The rates are rounded
    values of late 2026; a factor of two either way leaves a threshold meaningful.
    Never use them to convert money.

    Parameters
    ----------
    currency : str
        ISO 4217 code (case does not matter).

    Returns
    -------
    float
        Units per US dollar; 1.0 for USD, for currencies within about a factor of
        three of the dollar (EUR, GBP, CHF, KWD, ...) and for codes not in the table.

    Examples
    --------
    >>> units_per_usd("JPY"), units_per_usd("IDR"), units_per_usd("vnd")
    (150.0, 16000.0, 25000.0)
    >>> units_per_usd("USD"), units_per_usd("EUR"), units_per_usd("XYZ")
    (1.0, 1.0, 1.0)
    """
    return _UNITS_PER_USD.get(str(currency).upper(), 1.0)


def money_threshold(usd: float, currency: str) -> tuple[float, str]:
    """A plausibility threshold set in US dollars, in ``currency``: the amount and its text.

    Parameters
    ----------
    usd : float
        The threshold in US dollars.
    currency : str
        ISO 4217 code of the book or plan it is compared with.

    Returns
    -------
    limit : float
        ``usd`` times :func:`units_per_usd` of ``currency``.
    text : str
        The limit with its currency, and its value in dollars when the two differ.

    Examples
    --------
    >>> money_threshold(5e6, "JPY")
    (750000000.0, '750,000,000 JPY (about 5,000,000 USD)')
    >>> money_threshold(5e6, "USD"), money_threshold(100_000, "EUR")
    ((5000000.0, '5,000,000 USD'), (100000.0, '100,000 EUR'))
    """
    rate = units_per_usd(currency)
    limit = float(usd) * rate
    text = f"{limit:,.0f} {currency}"
    if rate != 1.0:
        text += f" (about {usd:,.0f} USD)"
    return limit, text


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
    >>> format_diff(0.00051, 1e-7, "ratio")
    '+0.051 pp ± under 0.001 pp'
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
    text = _pp(diff, 3 if abs(diff) * 100 < 0.05 else d, sign=True)
    if math.isfinite(se):
        text += f" ± {_pp(2 * se, d)}"
    return text


def _pp(x: float, decimals: int, *, sign: bool = False) -> str:
    """A share in percentage points; one too small for the decimals shown (but not
    zero) reads "under 0.001 pp", never "0.000 pp"."""
    shown = f"{x * 100:{'+' if sign else ''}.{decimals}f}"
    if x != 0 and float(shown) == 0:
        side = ("+" if x > 0 else "-") if sign else ""
        return f"{side}under 0.001 pp"
    return f"{shown} pp"


def format_value(x: float, unit: str, currency: str) -> str:
    return format_money(x, currency=currency) if unit == "$" else format_pct(x)


def format_change(x: float, unit: str, currency: str = "USD") -> str:
    """A change, signed, in the figure's unit: money for ``$``, else percentage points.

    Parameters
    ----------
    x : float
        The change (a difference to a base, a gap to a target); a ratio or a
        probability as a fraction.
    unit : str
        ``"$"`` for money; anything else (``"ratio"``, ``"prob"``) reads in points.
    currency : str, default "USD"

    Examples
    --------
    >>> format_change(250_000, "$"), format_change(-1_234, "$", "EUR")
    ('+$250k', '-€1.23k')
    >>> format_change(0.0312, "prob"), format_change(-0.004, "ratio")
    ('+3.12 pp', '-0.40 pp')
    >>> format_change(float("nan"), "$")
    'n/a'
    """
    if not math.isfinite(x):
        return "n/a"
    if unit == "$":
        return format_money(x, currency=currency, sign=True)
    return f"{x * 100:+.2f} pp"


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


#: the classes MathJax skips when it typesets maths: ``mathjax_ignore`` for MathJax 3
#: (JupyterLab 4, checked in Chromium by tests/test_browser_lab.py), ``tex2jax_ignore``
#: for MathJax 2 (classic Notebook)
NO_MATHS_CLASS = "tex2jax_ignore mathjax_ignore"


def no_maths(html: str) -> str:
    """Wrap an HTML fragment so that JupyterLab does not typeset ``$...$`` in it as maths.

    JupyterLab runs MathJax over every HTML output, so a table holding "$134M" and
    "$118M" shows the text between the two dollar signs as italic maths. MathJax skips
    any element with the class ``mathjax_ignore`` (MathJax 3) or ``tex2jax_ignore``
    (MathJax 2); the fragment is wrapped in a ``div`` with both classes and is
    otherwise unchanged (browsers outside Jupyter ignore the classes).

    Examples
    --------
    >>> no_maths("<td>$134M (P10 $118M)</td>")
    '<div class="tex2jax_ignore mathjax_ignore"><td>$134M (P10 $118M)</td></div>'
    """
    return f'<div class="{NO_MATHS_CLASS}">{html}</div>'


def _digits(x: float) -> int:
    """Decimals of a percentage that keep ``x`` off 0% and 100% unless it is (0 to 3)."""
    if not math.isfinite(x) or x <= 5e-7 or x >= 1 - 5e-7:
        return 0
    for d in (0, 1, 2):
        if float(f"{100 * x:.{d}f}") not in (0.0, 100.0):
            return d
    return 3


def _bound(x: float, digits: int | None = None) -> str:
    """A probability bound with the digits that keep it off 0% and 100% unless it is."""
    if not math.isfinite(x):
        return "n/a"
    if x <= 5e-7:
        return "0%"
    if x >= 1 - 5e-7:
        return "100%"
    return f"{100 * x:.{_digits(x) if digits is None else digits}f}%"


def chance_bounds(low: float, high: float) -> str:
    """An interval of probabilities, both bounds with the same digits."""
    d = max(_digits(low), _digits(high))
    return f"{_bound(low, d)} to {_bound(high, d)}"


def chance_text(p: float, low: float | None = None, high: float | None = None) -> str:
    """A probability in words, never rounded to a certainty it is not.

    ``p`` from 99.5% up to (not including) 100% reads "over 99.5%", above 0 and
    under 0.5% reads "under 0.5%"; the interval's bounds get the digits that keep
    them off 0% and 100% unless they are exactly that. A known probability (no
    interval, or ``low == high``) shows alone.

    Examples
    --------
    >>> chance_text(0.9962, 0.9913, 0.9983)
    'over 99.5% (99.1% to 99.8%)'
    >>> chance_text(1.0, 0.99808, 1.0)
    '100% (99.8% to 100%)'
    >>> chance_text(0.001, 0.0002, 0.0057), chance_text(0.47, 0.44, 0.50), chance_text(1.0)
    ('under 0.5% (0.02% to 0.57%)', '47% (44% to 50%)', '100%')
    """
    if p is None or not math.isfinite(p):
        return "n/a"
    if 0.995 <= p < 1:
        est = "over 99.5%"
    elif 0 < p < 0.005:
        est = "under 0.5%"
    else:
        est = _bound(p) if p in (0.0, 1.0) else format_pct(p, decimals=0)
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return est
    if low == high:
        return est
    return f"{est} ({chance_bounds(low, high)})"


def ratio_against(value: float, threshold: float, unit: str = "x") -> str:
    """A ratio and the threshold it is compared with, with enough digits that the
    comparison reads true (at most 3 decimals).

    Examples
    --------
    >>> ratio_against(1.27, 1.3)
    '1.27x, below 1.3x'
    >>> ratio_against(2.5, 2.5)
    '2.5x, at 2.5x'
    """
    if not (math.isfinite(value) and math.isfinite(threshold)):
        return f"{value}{unit}"
    word = "below" if value < threshold else "above" if value > threshold else "at"
    for d in (1, 2, 3):
        a, b = f"{value:.{d}f}", f"{threshold:.{d}f}"
        if (a != b) == (value != threshold):
            break
    a, b = f"{value:.{d}f}".rstrip("0").rstrip("."), f"{threshold:.{d}f}".rstrip("0").rstrip(".")
    if word != "at" and a == b:  # still equal at 3 decimals
        a = f"{value:.6g}"
    return f"{a}{unit}, {word} {b}{unit}"
