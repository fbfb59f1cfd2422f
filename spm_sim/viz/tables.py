"""Tables for people: money as money, shares as percentages, safe from notebook maths.

A pandas frame shown as it is prints ``1.719696e+07`` for a company's bookings and
``0.912`` for a share of leads, and JupyterLab typesets the text between two dollar
signs of an HTML table as maths. :func:`money_table` formats each column by what it
holds (money with a currency symbol and three significant digits, shares as
percentages, counts with thousands separators, any other number without scientific
notation) and marks the table so that JupyterLab's MathJax leaves it alone (the
classes of :data:`spm_sim._format.NO_MATHS_CLASS`). The notebooks show every table through it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import pandas as pd
from pandas.io.formats.style import Styler

from spm_sim._format import NO_MATHS_CLASS, format_money, format_pct

#: ``format_money`` and ``format_pct`` are the package's own (re-exported here for
#: notebooks and reports: ``$1.23M``, ``42.1%``).
__all__ = ["money_table", "plain_number", "format_money", "format_pct"]


def plain_number(x: object) -> str:
    """A number without scientific notation: whole above 100, else two or three decimals.

    Examples
    --------
    >>> plain_number(17196960.4), plain_number(12.345), plain_number(0.01234), plain_number(7)
    ('17,196,960', '12.35', '0.012', '7')
    >>> plain_number(float("nan")), plain_number("R012")
    ('', 'R012')
    """
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    if isinstance(x, int):
        return f"{x:,d}"
    if not math.isfinite(x):
        return ""
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,d}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.2f}" if abs(x) >= 1 else f"{x:.3f}"


def _formatter(fn: Callable[[float], str]) -> Callable[[object], str]:
    def fmt(x: object) -> str:
        if isinstance(x, bool) or not isinstance(x, int | float):
            return "" if x is None else str(x)
        return "" if not math.isfinite(x) else fn(float(x))

    return fmt


def money_table(
    frame: pd.DataFrame,
    *,
    money: Iterable[str] = (),
    percent: Iterable[str] = (),
    signed_percent: Iterable[str] = (),
    count: Iterable[str] = (),
    currency: str = "USD",
    index: bool = True,
    caption: str | None = None,
) -> Styler:
    """``frame`` formatted for a reader, as a table JupyterLab does not typeset as maths.

    Parameters
    ----------
    frame : DataFrame
        The table; it is not changed.
    money : iterable of str
        Columns of amounts: ``$1.23M``, ``$456k`` (:func:`spm_sim.format_money` style).
    percent : iterable of str
        Columns of ratios shown as percentages (``0.912`` reads ``91.2%``).
    signed_percent : iterable of str
        Ratios of change, with their sign (``+8.2%``).
    count : iterable of str
        Whole numbers with thousands separators.
    currency : str, default "USD"
        ISO code of the money columns.
    index : bool, default True
        Show the frame's index.
    caption : str, optional
        A line above the table.

    Returns
    -------
    pandas.io.formats.style.Styler
        Shown as HTML in a notebook; every other number column reads without
        scientific notation (:func:`plain_number`). Its ``to_html()`` carries the
        classes MathJax skips (``mathjax_ignore``, ``tex2jax_ignore``).

    Raises
    ------
    KeyError
        A column named in ``money``, ``percent``, ``signed_percent`` or ``count`` is
        not in ``frame``; the message lists the frame's columns.

    Examples
    --------
    >>> frame = pd.DataFrame({"bookings": [17_196_960.0], "share": [0.912], "leads": [59_872]})
    >>> table = money_table(frame, money=["bookings"], percent=["share"], count=["leads"])
    >>> html = table.to_html()
    >>> "$17.2M" in html and "91.2%" in html and "59,872" in html and "mathjax_ignore" in html
    True
    """
    formats: dict[str, Callable[[object], str]] = {}
    groups = {
        "money": (money, lambda v: format_money(v, currency=currency)),
        "percent": (percent, lambda v: format_pct(v)),
        "signed_percent": (signed_percent, lambda v: format_pct(v, sign=True)),
        "count": (count, lambda v: f"{v:,.0f}"),
    }
    for name, (columns, fn) in groups.items():
        for col in columns:
            if col not in frame.columns:
                raise KeyError(
                    f"money_table: {name} column {col!r} is not in the table; its columns are "
                    f"{', '.join(map(str, frame.columns))}"
                )
            formats[col] = _formatter(fn)
    for col in frame.columns:
        if col not in formats and pd.api.types.is_numeric_dtype(frame[col]):
            formats[col] = plain_number
    styler = frame.style.format(formats).set_table_attributes(f'class="{NO_MATHS_CLASS}"')
    if not index:
        styler = styler.hide(axis="index")
    if caption:
        styler = styler.set_caption(caption)
    return styler
