"""The look shared by every figure of spm_sim: rc settings, the seaborn style block, the
palette, labels that matplotlib will not read as maths, percent axes, and
:class:`SpmFigure`."""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = ["OKABE_ITO", "SpmFigure", "figure_style", "palette", "safe_label", "pct_axis"]

#: The Okabe-Ito colours (Okabe and Ito 2008, "Color Universal Design"), ordered so that
#: the first four are told apart by everyone, including with red-green colour blindness
#: and in greyscale print: blue, orange, reddish purple, bluish green, then sky blue,
#: vermillion, yellow and black. Orange and vermillion, close to each other, are kept
#: apart (2nd and 6th).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#CC79A7",  # reddish purple
    "#009E73",  # bluish green
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)

_RC: dict[RcKeyType, Any] = {
    "figure.dpi": 100,
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "svg.hashsalt": "spm_sim",
}


def figure_style() -> ExitStack:
    """The look of every figure: white grid, a readable font size (a context manager)."""
    # axes_style and rc_context are both context managers that restore the previous
    # settings on exit; stacking them keeps the caller's global style untouched.
    stack = ExitStack()
    stack.enter_context(sns.axes_style("whitegrid"))
    stack.enter_context(mpl.rc_context(_RC))
    return stack


def palette(n: int) -> list[tuple[float, float, float]]:
    """``n`` colours, the same ``k``-th colour in every figure: the Okabe-Ito palette.

    Up to eight colours are :data:`OKABE_ITO` in its order (RGB tuples); more than
    eight cannot all be told apart, and come from matplotlib's ``tab20``.

    >>> palette(2)[0], len(palette(10))
    ((0.0, 0.4470588235294118, 0.6980392156862745), 10)
    """
    from matplotlib.colors import to_rgb

    n = max(int(n), 1)
    if n <= len(OKABE_ITO):
        return [to_rgb(c) for c in OKABE_ITO[:n]]
    return [tuple(c) for c in sns.color_palette("tab20", n)]


def safe_label(text: str) -> str:
    """A user-given name made safe as a matplotlib label.

    ``$`` would start mathtext and a leading ``_`` hides the entry from the legend.

    >>> safe_label("_x $5k")
    '\\u200b_x \\\\$5k'
    """
    text = str(text).replace("$", r"\$")
    return "\u200b" + text if text.startswith("_") else text


def pct_axis(ax: Axes, axis: str = "x", decimals: int | None = None) -> None:
    fmt = PercentFormatter(xmax=1.0, decimals=decimals)
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


class SpmFigure(Figure):
    """A matplotlib ``Figure`` that shows itself as a PNG in Jupyter and Voila.

    spm_sim builds figures without pyplot (no global state, nothing to close), so
    IPython's matplotlib display hook, which pyplot installs, may never be there;
    ``_repr_png_`` lets ``display(fig)`` or a cell's last value show the picture in any
    frontend all the same.
    """

    def _repr_png_(self) -> bytes:
        import io

        from matplotlib.backends.backend_agg import FigureCanvasAgg

        buf = io.BytesIO()
        FigureCanvasAgg(self).print_png(buf)
        return buf.getvalue()
