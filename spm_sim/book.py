"""The book: the sales tables spm_sim plans with, loaded and checked, and deals credited.

Stage one of the data flow. A *book* is a folder of tables (``reps``, ``accounts``,
``bookings`` and the optional ``pipeline`` and ``units``), each a CSV or a Parquet
file, plus an optional ``book.yaml``; ``docs/data-format.md`` is the contract.
:func:`load_book` reads a folder into a :class:`Book` of typed pandas frames and
checks every rule of :data:`SCHEMA`; a broken rule raises :class:`~spm_sim.errors.DataError`
naming the file, the row, the column, the value and the fix. Values that are possible
but unlikely (a deal dated before its rep's hire date, an amount 1,000 times the
book's median) are reported as located warnings
(:class:`~spm_sim.errors.PlausibilityWarning`), raised as errors with
``load_book(path, strict=True)`` or under ``--strict``.
:func:`credit_deals` credits one year of real deals to reps (the one crediting rule,
with the deals it cannot credit and why); the measures a plan pays on are read off it.

The workings live in ``spm_sim/_book/``: ``schema`` (the declarative schema and the
readers), ``checks`` (the check loop), ``plausible`` (the plausibility warnings), ``load``
(:class:`Book`), ``measures`` (crediting).

Examples
--------
>>> from spm_sim.book import load_sample
>>> book = load_sample()
>>> len(book.reps), book.currency
(85, 'USD')
"""

from __future__ import annotations

from ._book.asof import (
    as_of,
    as_of_day,
)
from ._book.checks import (
    OPTIONAL_FOR,
    needs_column,
    numeric_column,
)
from ._book.crm import (
    CrmImport,
    import_crm,
)
from ._book.crm_spec import (
    CrmMapping,
    ReadOptions,
    load_mapping,
)
from ._book.load import (
    SAMPLE_BOOK,
    SAMPLE_DIR,
    Book,
    load_book,
    load_book_ref,
    load_sample,
)
from ._book.measures import (
    KINDS,
    CreditedDeals,
    cancellation_arrays,
    cancelled_values,
    credit_deals,
    first_deals,
    measure_arrays,
    measure_values,
)
from ._book.save import (
    save_book,
)
from ._book.schema import (
    SCHEMA,
)

__all__ = [
    "Book",
    "SAMPLE_BOOK",
    "SAMPLE_DIR",
    "load_book",
    "load_book_ref",
    "load_sample",
    "CrmMapping",
    "ReadOptions",
    "load_mapping",
    "CrmImport",
    "import_crm",
    "save_book",
    "as_of",
    "as_of_day",
    "SCHEMA",
    "numeric_column",
    "needs_column",
    "OPTIONAL_FOR",
    "KINDS",
    "CreditedDeals",
    "credit_deals",
    "first_deals",
    "measure_values",
    "cancelled_values",
    "measure_arrays",
    "cancellation_arrays",
]
