"""The mapping of a CRM export to a book (internal: the public face is :mod:`spm_sim.book`).

A mapping is a YAML file read into the frozen :class:`CrmMapping` by :func:`load_mapping`
(through :func:`spm_sim._spec.load_spec`, so a mistake is named by file and field). It
says how to read the export (``read``: delimiter, encoding, lines above the header and
below the data, date formats, decimal mark, thousands separator, currency symbols,
probabilities as percentages or shares), which export column gives each field of the
book (``columns``), what each CRM stage means (``stages``: one of the book's open
stages, ``won``, ``lost`` or ``skip``), how owners become reps (``owners`` matched on
``name`` or ``email`` against the ``roster``) and, optionally, how to read the
opportunity (stage) history report (``history``). ``data/crm/salesforce.yaml`` and
``data/crm/hubspot.yaml`` are worked examples.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from spm_sim._spec import Share, Spec, load_spec
from spm_sim.errors import SpecError

__all__ = [
    "ReadOptions",
    "ExportColumns",
    "StageRule",
    "HistoryColumns",
    "HistoryMap",
    "CrmMapping",
    "load_mapping",
    "STATUSES",
]

#: What a CRM stage can mean besides an open stage of the book.
STATUSES = ("won", "lost", "skip")

#: Symbols an amount cell may carry, and the currency each stands for (a mapping can
#: say otherwise, e.g. ``$: CAD``).
DEFAULT_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}

#: What ``read.dates`` takes besides strptime formats: ISO 8601 dates and date-times
#: ("2025-07-14", "2025-07-14T09:32:00Z"), read as the date written.
ISO = "ISO8601"

_Name = Annotated[str, Field(min_length=1, max_length=200)]


class ReadOptions(Spec):
    """How to read an export file (every field has the default of a plain CSV).

    Parameters
    ----------
    delimiter : str, default ','
        The cell separator: one character, or ``tab``.
    encoding : str, default 'utf-8-sig'
        The text encoding (a byte-order mark is dropped whatever the encoding).
    skip_lines : int, default 0
        Lines above the header (a report's title and filters).
    skip_footer : int, default 0
        Lines below the data (a report's totals or copyright lines), counted from
        the last line that is not blank.
    dates : tuple of str, default ('%Y-%m-%d',)
        The formats dates may be written in, tried in this order: strptime
        formats (``%m/%d/%Y``) or ``ISO8601`` (a date or date-time; the date as
        written, whatever the time zone).
    decimal : {'.', ','}
        The decimal mark of amounts and probabilities.
    thousands : {',', '.', ' ', "'", ''}
        The thousands separator of amounts (``' '`` also takes the no-break
        spaces spreadsheets write).
    currency_symbols : dict of str to str
        Symbols an amount cell may carry and their ISO code; three capital
        letters (``USD 12.500,00``) are read as a code anyway.
    probability : {'percent', 'share'}
        Whether a probability written without ``%`` is a percentage (75) or a
        share (0.75). A cell with ``%`` is always a percentage.
    """

    delimiter: str = ","
    encoding: str = "utf-8-sig"
    skip_lines: Annotated[int, Field(ge=0, le=1000)] = 0
    skip_footer: Annotated[int, Field(ge=0, le=1000)] = 0
    dates: tuple[_Name, ...] = Field(default=("%Y-%m-%d",), min_length=1)
    decimal: Literal[".", ","] = "."
    thousands: Literal[",", ".", " ", "'", ""] = ","
    currency_symbols: dict[_Name, Annotated[str, Field(pattern=r"^[A-Z]{3}$")]] = Field(
        default_factory=lambda: dict(DEFAULT_SYMBOLS)
    )
    probability: Literal["percent", "share"] = "percent"

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if value == "tab":
            return "\t"
        if len(value) != 1 or value in '"\r\n':
            raise ValueError(
                f"delimiter must be one character (',' ';' '|') or 'tab', got {value!r}"
            )
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"unknown encoding {value!r}; use utf-8-sig (UTF-8, with or without a "
                "byte-order mark), cp1252 (Excel on Windows) or latin-1"
            ) from None
        return value

    @field_validator("dates")
    @classmethod
    def _formats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for fmt in value:
            if fmt != ISO and not re.search(r"%[dmyYbB]", fmt):
                raise ValueError(
                    f"date format {fmt!r} has no day, month or year directive; write a "
                    f"strptime format such as '%m/%d/%Y' or '%d.%m.%Y', or {ISO!r}"
                )
        for k, fmt in enumerate(value):
            swapped = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
            if swapped != fmt and swapped in value[k + 1 :]:
                raise ValueError(
                    f"date formats {fmt!r} and {swapped!r} differ only in the order of day "
                    "and month, so a date such as 04/07/2025 reads as either and the import "
                    "would mix the two; keep the one the export uses (look for a day above 12 "
                    "in its date columns)"
                )
        return value

    @model_validator(mode="after")
    def _marks_differ(self) -> ReadOptions:
        if self.decimal == self.thousands:
            raise ValueError(
                f"decimal and thousands are both {self.decimal!r}; amounts such as "
                "1,234.56 need decimal '.' and thousands ',', and 1.234,56 the reverse"
            )
        if self.delimiter == self.decimal and self.delimiter != ",":
            raise ValueError(f"delimiter and decimal are both {self.delimiter!r}")
        return self


class ExportColumns(Spec):
    """The export's column (header text) for each field of the book.

    ``opportunity_id``, ``owner``, ``amount``, ``stage``, ``created_date`` and
    ``close_date`` are required, and one of ``account_id`` and ``account_name``.
    ``deal_id`` names the booking a won opportunity became (default: its
    opportunity id); ``currency`` holds each row's currency code; without
    ``product`` every row gets ``default_product``; without ``probability`` the
    stage's (``stages``) is used.
    """

    opportunity_id: _Name
    owner: _Name
    amount: _Name
    stage: _Name
    created_date: _Name
    close_date: _Name
    account_id: _Name | None = None
    account_name: _Name | None = None
    deal_id: _Name | None = None
    currency: _Name | None = None
    product: _Name | None = None
    probability: _Name | None = None

    @model_validator(mode="after")
    def _account(self) -> ExportColumns:
        if self.account_id is None and self.account_name is None:
            raise ValueError(
                "give account_id or account_name (or both): the column naming each "
                "opportunity's account"
            )
        return self


class StageRule(Spec):
    """What one CRM stage means: an open stage of the book (``stage``) and its
    probability, or a closed outcome (``status`` won or lost), or ``skip``."""

    status: Literal["open", "won", "lost", "skip"] = "open"
    stage: _Name | None = None
    probability: Share | None = None

    @model_validator(mode="after")
    def _needs_stage(self) -> StageRule:
        if self.status == "open" and self.stage is None:
            raise ValueError("an open stage needs 'stage': the book's stage name it maps to")
        return self


class HistoryColumns(Spec):
    """The history report's column for each field of the book's ``stage_history``.

    ``opportunity_id``, ``date`` (a date or date and time: changes of one day are put
    in the order of their times) and ``stage`` are required. Without ``probability``
    each row gets its stage's probability (``stages``), else the mean probability of
    the export's open opportunities in that stage.
    """

    opportunity_id: _Name
    date: _Name
    stage: _Name
    amount: _Name | None = None
    expected_close_date: _Name | None = None
    probability: _Name | None = None


class HistoryMap(Spec):
    """How to read the opportunity (stage) history report: its columns and, when it
    differs from the export's, how to read it (default: the export's ``read``)."""

    columns: HistoryColumns
    read: ReadOptions | None = None


def _rule(value: Any) -> Any:
    """``Closed Won: won`` and ``Qualification: Qualify`` as :class:`StageRule` fields."""
    if isinstance(value, str):
        word = value.strip()
        if word.lower() in STATUSES:
            return {"status": word.lower()}
        return {"status": "open", "stage": word}
    return value


class CrmMapping(Spec):
    """A CRM export's mapping to a book (see the module docstring and ``data/crm/``).

    Parameters
    ----------
    source : str
        What the export is, in words (written to the book's ``source``).
    name : str, optional
        The book's name (default: the output folder's name).
    currency : str, default 'USD'
        The book's currency (ISO 4217). An amount in another currency is refused.
    roster : str, optional
        The reps file (a book's ``reps.csv`` or an HR roster with the same
        columns), relative to the mapping file; ``--roster`` overrides it.
    owners : {'name', 'email'}
        What the owner column holds, matched (ignoring case and spacing) with the
        roster's ``name`` or ``email`` column.
    read : ReadOptions
    columns : ExportColumns
    stages : dict
        Each CRM stage: the book's open stage name, ``won``, ``lost``, ``skip``, or
        a :class:`StageRule` (``{stage: Develop, probability: 0.25}``).
    default_product : str, optional
        The product of every row when ``columns.product`` is not given.
    history : HistoryMap, optional
        How to read the stage history report (``--history``).
    """

    source: str = ""
    name: str | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    roster: _Name | None = None
    owners: Literal["name", "email"] = "name"
    read: ReadOptions = Field(default_factory=ReadOptions)
    columns: ExportColumns
    stages: dict[_Name, StageRule] = Field(min_length=1)
    default_product: _Name | None = None
    history: HistoryMap | None = None

    @field_validator("stages", mode="before")
    @classmethod
    def _stage_rules(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: _rule(v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _product(self) -> CrmMapping:
        if self.columns.product is None and self.default_product is None:
            raise ValueError(
                "give columns.product (the export's product column) or default_product "
                "(one product for every row): the book needs a product per deal"
            )
        if not any(r.status == "won" for r in self.stages.values()):
            raise ValueError(
                "no stage is mapped to 'won' (e.g. 'Closed Won: won'): without it no "
                "opportunity becomes a booking"
            )
        return self


def load_mapping(path: str | Path) -> CrmMapping:
    """Read a mapping YAML file (problems named by file and field).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    CrmMapping

    Raises
    ------
    SpecError
        When the file is missing or not YAML, or a field breaks a rule.

    Examples
    --------
    >>> from spm_sim.book import load_mapping, SAMPLE_DIR
    >>> mapping = load_mapping(SAMPLE_DIR.parent / "crm" / "salesforce.yaml")
    >>> mapping.columns.owner, mapping.stages["Closed Won"].status
    ('Opportunity Owner', 'won')
    """
    return load_spec(CrmMapping, path, error=SpecError)
