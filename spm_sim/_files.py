"""Files the package writes: written whole or not at all, and safe to open in a spreadsheet.

Every file goes to a temporary file in the same folder and is renamed into place
(``os.replace``, atomic on one file system), so a run killed while writing, or a
full disk, never leaves a cut file that still parses as complete: the earlier file,
if any, stays as it was. Text cells of a CSV that a spreadsheet would read as a
formula (beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) are
written with a leading apostrophe, the mitigation OWASP recommends against CSV
injection: a rep named ``=HYPERLINK(...)`` shows as text, not as a live link.
Numbers are written as numbers, negative ones included.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = write_csv(pd.DataFrame({"rep": ["=1+1", "Ann"], "pay": [-5.0, 7.0]}), folder / "a.csv")
>>> print(path.read_text().strip())
rep,pay
'=1+1,-5.0
Ann,7.0
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMULA_START",
    "atomic_path",
    "write_csv",
    "write_text",
    "write_with",
    "save_figure",
    "safe_cells",
]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block ends cleanly.

    On an error inside the block the temporary file is removed and ``path`` is left
    as it was (absent, or the earlier file).
    """
    target = Path(path)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _escape(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with text cells that a spreadsheet would run as formulas escaped.

    Only text (object, string and categorical) columns and the column names change;
    numbers stay numbers.
    """
    import pandas as pd  # here, not at the top: the CLI imports this module at start

    out = frame.copy()
    for col in out.columns:
        kind = out[col].dtype
        if isinstance(kind, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(_escape)
    out.columns = [_escape(c) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, **to_csv: Any) -> Path:
    """Write ``frame`` as CSV to ``path``, whole or not at all, formulas escaped.

    ``to_csv`` goes to :meth:`pandas.DataFrame.to_csv` (``index`` defaults to False).
    Returns the path written.
    """
    to_csv.setdefault("index", False)
    with atomic_path(path) as tmp:
        safe_cells(frame).to_csv(tmp, **to_csv)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path``, whole or not at all."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_with(path: str | Path, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write`` on a binary file that becomes ``path`` only once it is complete."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        write(fh)
    return Path(path)


def save_figure(fig: Any, path: str | Path, **savefig: Any) -> Path:
    """Save a matplotlib figure to ``path``, whole or not at all.

    The format comes from the path's suffix unless ``format`` is given (the
    temporary file's own suffix must not decide it).
    """
    savefig.setdefault("format", Path(path).suffix.lstrip(".").lower() or "png")
    return write_with(path, lambda fh: fig.savefig(fh, **savefig))
