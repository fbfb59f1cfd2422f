"""Console tables that fit the terminal: the commands' tables of text, never wider than it.

A table too wide for the terminal first wraps its column headings onto several
lines (``Accelerated 2026 vs Baseline 2026`` over three short lines), then splits
its columns into blocks printed one under the other, each block repeating the row
labels, as pandas does with a wide frame. A row label too long for even one column
beside it is wrapped in turn. Nothing is cut off or dropped.

The width is the terminal's (:func:`shutil.get_terminal_size`: ``COLUMNS`` when
set, else the terminal's own, else 80 when standard output is not a terminal), but
never less than :data:`MIN_WIDTH`: on a narrower terminal the lines are laid out for
40 columns and the terminal folds them. Widths are counted in terminal cells, not
characters: a wide character (CJK, fullwidth forms such as ``￥``) takes two
(:func:`display_width`).

Examples
--------
>>> rows = [["Incentive cost, mean", "$5.75M", "$5.95M", "+$185k ± $23.7k"]]
>>> print(format_table(["", "Baseline", "Accelerated", "Accelerated vs Baseline"], rows, width=60))
                                              Accelerated vs
                      Baseline  Accelerated         Baseline
--------------------  --------  -----------  ---------------
Incentive cost, mean    $5.75M       $5.95M  +$185k ± $23.7k
"""

from __future__ import annotations

import re
import shutil
import textwrap
import unicodedata
from collections.abc import Sequence

__all__ = [
    "MIN_WIDTH",
    "terminal_width",
    "display_width",
    "format_table",
    "frame_table",
    "wrap_lines",
    "plural",
]

#: The narrowest width a table is laid out for, whatever the terminal says.
MIN_WIDTH = 40
#: Spaces between two columns.
GAP = 2


def terminal_width(default: int = 80) -> int:
    """The width to lay text out for: the terminal's columns (``COLUMNS`` first),
    ``default`` when unknown, and :data:`MIN_WIDTH` (40) when the terminal is
    narrower than that, so the result is never below 40 (and then wider than such a
    terminal, which folds the lines).

    Examples
    --------
    >>> terminal_width() >= MIN_WIDTH
    True
    """
    return max(shutil.get_terminal_size((default, 24)).columns, MIN_WIDTH)


def display_width(text: str) -> int:
    """The terminal cells ``text`` takes: two for a wide character (East Asian
    width ``W`` or ``F``: CJK, kana, fullwidth forms), none for a combining mark,
    one for any other.

    Examples
    --------
    >>> display_width("R001"), display_width("売上"), display_width("￥1,234")
    (4, 4, 7)
    """
    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


#: A figure followed by its interval in brackets: ``$5.75M ($5.68M to $5.82M)``.
_WITH_INTERVAL = re.compile(r"^(?P<figure>\S.*?) \((?P<interval>[^()]+)\)$")


def _cell_width(text: str) -> int:
    """The cells of the widest line of ``text`` (a stacked cell has two)."""
    return max(display_width(line) for line in text.split("\n"))


def _stacked(text: str) -> str:
    """``figure (interval)`` as the figure over its interval (no brackets); else as is."""
    found = _WITH_INTERVAL.match(text)
    return f"{found['figure']}\n{found['interval']}" if found else text


def _ljust(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def _rjust(text: str, width: int) -> str:
    return " " * (width - display_width(text)) + text


def _wrap(text: str, width: int) -> list[str]:
    """``text`` on lines of at most ``width`` cells (words longer stay whole)."""
    width = max(width, 1)
    if text.isascii():
        return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]
    lines: list[str] = []
    for word in text.split():
        if lines and display_width(lines[-1]) + 1 + display_width(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _longest_word(text: str) -> int:
    return max((display_width(w) for w in text.split()), default=0)


def _heading_width(heading: str, cells: int, lines: int | None) -> int:
    """The narrowest column that holds its cells and ``heading`` on at most ``lines``
    lines (``None``: as many as its words need)."""
    width = max(cells, _longest_word(heading))
    if lines is not None:
        while len(_wrap(heading, width)) > lines:
            width += 1
    return width


def _render(
    header: list[list[str]], rows: list[list[list[str]]], widths: list[int], left: set[int]
) -> list[str]:
    """Lines of one block: headings bottom-aligned over a rule, cells aligned (to the
    left in the columns ``left``, else to the right)."""

    def line(cells: list[str]) -> str:
        parts = [
            _ljust(c, w) if j in left else _rjust(c, w)
            for j, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return (" " * GAP).join(parts).rstrip()

    height = max(len(h) for h in header)
    padded = [[""] * (height - len(h)) + h for h in header]
    out = [line([p[i] for p in padded]) for i in range(height)]
    out.append((" " * GAP).join("-" * w for w in widths))
    for row in rows:
        depth = max(len(c) for c in row)
        for i in range(depth):
            out.append(line([c[i] if i < len(c) else "" for c in row]))
    return out


def format_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    width: int | None = None,
    left: int = 1,
    indent: str = "",
    wrap: Sequence[int] = (),
    stack: bool = False,
) -> str:
    """A table of text laid out within ``width`` columns.

    Parameters
    ----------
    header : sequence of str
        One heading per column (the label column's may be empty).
    rows : sequence of sequences of str
        The cells, already formatted (with their units).
    width : int, optional
        The most characters a line may take, ``indent`` included; default
        :func:`terminal_width`.
    left : int, default 1
        The first ``left`` columns are labels: aligned left, and repeated in every
        block when the table is split. The others are aligned right, but for the
        ``wrap`` columns.
    indent : str, default ""
        Put before every line.
    wrap : sequence of int, default ()
        Columns (by position) of words, such as units: aligned left, and their
        cells may wrap at spaces onto several lines (as the headings do) before
        the table is split.
    stack : bool, default False
        When the table is wider than ``width`` on one line, a value cell written
        as a figure and its interval in brackets (``$5.75M ($5.68M to $5.82M)``)
        shows the figure over its interval, both aligned right (the brackets
        dropped), before anything else is wrapped or split.

    Returns
    -------
    str
        The lines of the table (no final newline): the whole table when it fits;
        else with its headings (and the ``wrap`` columns) wrapped; else in blocks
        of columns separated by a blank line. A single cell wider than ``width``
        is the only thing that can make a line longer.

    Examples
    --------
    >>> text = format_table(["rep", "quota", "bookings"], [["R001", "$1.2M", "$1.4M"]], width=18)
    >>> print(text)
    rep   quota
    ----  -----
    R001  $1.2M
    <BLANKLINE>
    rep   bookings
    ----  --------
    R001     $1.4M
    """
    room = max((width or terminal_width()) - display_width(indent), 1)
    head = [str(h) for h in header]
    body = [[str(c).replace("\n", " ") for c in r] for r in rows]
    n = len(head)
    if any(len(r) != n for r in body):
        raise ValueError(f"format_table: every row needs {n} cells, one per heading")
    left = min(max(left, 0), n)
    wrapped = {j for j in wrap if left <= j < n}
    if stack and _one_line_width(head, body) > room:
        body = [
            [c if j < left or j in wrapped else _stacked(c) for j, c in enumerate(r)] for r in body
        ]
    cell = [max((_cell_width(r[j]) for r in body), default=0) for j in range(n)]
    natural = [max(cell[j], display_width(head[j])) for j in range(n)]
    # the narrowest a column's cells allow: the longest word of a wrapped column
    narrowest = [
        max((_longest_word(r[j]) for r in body), default=0) if j in wrapped else cell[j]
        for j in range(n)
    ]

    def total(cols: Sequence[int], widths: Sequence[int]) -> int:
        return sum(widths[j] for j in cols) + GAP * (len(cols) - 1)

    # 1. as it is; 2. headings wrapped onto two lines, the one that gains most first,
    # until the table fits; 3. onto as many lines as their words need, if that makes
    # it fit (else two-line headings, in blocks)
    widths = list(natural)
    for most in (2, None):
        trial = list(widths)
        least = [_heading_width(head[j], narrowest[j], most) for j in range(n)]
        for j in sorted(range(left, n), key=lambda j: least[j] - trial[j]):
            over = total(range(n), trial) - room
            if over <= 0:
                break
            # a wrapped column gives only what is needed, a heading its lines' worth
            trial[j] = max(least[j], trial[j] - over) if j in wrapped else min(trial[j], least[j])
        if most == 2 or total(range(n), trial) <= room:
            widths = trial
    # 3. blocks of columns, each with the label columns
    labels = list(range(left))
    blocks: list[list[int]] = []
    current: list[int] = []
    for j in range(left, n):
        if current and total(labels + current + [j], widths) > room:
            blocks.append(current)
            current = []
        current.append(j)
    blocks.append(current)
    # a label column too wide for even one value column beside it is wrapped
    widest_block = max(total(labels + b, widths) for b in blocks)
    if left and widest_block > room:
        excess = widest_block - room
        j = max(labels, key=lambda k: widths[k])
        widths = list(widths)
        widths[j] = max(widths[j] - excess, _longest_word(" ".join(r[j] for r in body)), 8)
        widths[j] = min(widths[j], natural[j])
    lines: list[str] = []
    for k, block in enumerate(blocks):
        cols = labels + block
        w = [widths[j] for j in cols]
        header_cells = [_wrap(head[j], widths[j]) if head[j] else [""] for j in cols]
        row_cells = [
            [
                _wrap(r[j], widths[j])
                if (j < left or j in wrapped) and display_width(r[j]) > widths[j]
                else r[j].split("\n")
                for j in cols
            ]
            for r in body
        ]
        if k:
            lines.append("")
        lines += _render(
            header_cells, row_cells, w, {i for i, j in enumerate(cols) if j < left or j in wrapped}
        )
    return "\n".join((indent + line).rstrip() for line in lines)


def _one_line_width(head: Sequence[str], body: Sequence[Sequence[str]]) -> int:
    """How wide a table is with every heading and cell on one line."""
    widths = [
        max([display_width(h), *(display_width(r[j]) for r in body)]) for j, h in enumerate(head)
    ]
    return sum(widths) + GAP * (len(widths) - 1)


def frame_table(
    frame,
    *,
    width: int | None = None,
    indent: str = "",
    index: str = "",
    stack: bool = False,
) -> str:
    """A frame of text (its index the row labels) as :func:`format_table` lays it out.

    ``stack``: a figure and its interval in brackets are shown one over the other
    when the table does not fit on one line (see :func:`format_table`).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"Baseline": ["$5.75M ($5.68M to $5.82M)"],
    ...                   "Accelerated": ["$5.93M ($5.85M to $6.01M)"]}, index=["Incentive cost"])
    >>> print(frame_table(f, width=60, stack=True))
                              Baseline       Accelerated
    --------------  ----------------  ----------------
    Incentive cost            $5.75M            $5.93M
                    $5.68M to $5.82M  $5.85M to $6.01M
    >>> f = pd.DataFrame({"P50": ["$5.7M"]}, index=["Incentive cost"])
    >>> print(frame_table(f, width=40))
                    P50
    --------------  -----
    Incentive cost  $5.7M
    """
    header = [index, *[str(c) for c in frame.columns]]
    rows = [
        [str(i), *[str(v) for v in row]]
        for i, row in zip(frame.index, frame.to_numpy(), strict=True)
    ]
    return format_table(header, rows, width=width, indent=indent, stack=stack)


def wrap_lines(text: str, width: int | None = None, *, hang: str = "  ") -> str:
    """Prose within ``width`` columns: each longer line wrapped at spaces, its
    continuation indented ``hang`` more than the line; short lines kept as they are.

    Examples
    --------
    >>> print(wrap_lines("total distance 785,980 km; a unit is 98 km from its center", 30))
    total distance 785,980 km; a
      unit is 98 km from its center
    >>> print(wrap_lines("A paragraph of prose, wrapped flush left.", 20, hang=""))
    A paragraph of
    prose, wrapped flush
    left.
    """
    room = width or terminal_width()
    out = []
    for line in text.splitlines():
        if display_width(line) <= room:
            out.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip())]
        if line.isascii():
            out += textwrap.wrap(
                line.strip(),
                room,
                initial_indent=lead,
                subsequent_indent=lead + hang,
                break_long_words=False,
                break_on_hyphens=False,
            )
            continue
        first, *rest = _wrap(line.strip(), room - display_width(lead + hang)) or [""]
        out.append(lead + first)
        out += [lead + hang + part for part in rest]
    return "\n".join(out)


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun``, its plural when ``count`` is not one: ``1 scenario``,
    ``4 scenarios``, ``1,200 settings``; ``many`` is an irregular plural.

    Examples
    --------
    >>> plural(1, "scenario"), plural(4, "scenario"), plural(1200, "setting")
    ('1 scenario', '4 scenarios', '1,200 settings')
    >>> plural(2, "temporary file"), plural(3, "replication", "replications")
    ('2 temporary files', '3 replications')
    """
    return f"{count:,} {noun if count == 1 else (many or noun + 's')}"
