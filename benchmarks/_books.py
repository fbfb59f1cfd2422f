"""Books scaled up for the benchmarks: a book's reps copied with new ids.

A benchmark that needs more reps than the sample has copies the book: copy ``k`` of
every rep, account, deal, opportunity and stage-history row gets ids ending ``-k``
(copy 0 keeps its own), so the copies are distinct reps selling to distinct
accounts with the same history. :func:`replicate` makes whole copies;
:func:`with_suffix`, :func:`join` and :func:`as_book` are its steps, for a benchmark
that cuts each copy down first. Used by ``bench_simulate.py``, ``bench_track.py``
and ``bench_widget.py``; not part of the package.

Examples
--------
>>> from spm_sim.book import load_sample
>>> book = load_sample()
>>> bigger = as_book(replicate(book, 2), book, name="two copies")
>>> len(bigger.reps) == 2 * len(book.reps)
True
"""

from __future__ import annotations

import pandas as pd

from spm_sim.book import Book

#: the frames a copy is made of, each with its id columns (those that get the suffix)
ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "reps": ("rep_id",),
    "accounts": ("account_id", "rep_id"),
    "bookings": ("deal_id", "account_id", "rep_id"),
    "pipeline": ("opportunity_id", "account_id", "rep_id", "deal_id"),
    "stage_history": ("opportunity_id",),
}

Frames = dict[str, pd.DataFrame]


def frames_of(book: Book) -> Frames:
    """The book's frames that a copy is made of (see :data:`ID_COLUMNS`)."""
    return {name: getattr(book, name) for name in ID_COLUMNS}


def with_suffix(frames: Frames, k: int) -> Frames:
    """Copy ``k`` of ``frames``: every id ends ``-k`` (empty and missing ids stay as
    they are); copy 0 is the frames themselves, copied."""
    out = {}
    for name, cols in ID_COLUMNS.items():
        frame = frames[name].copy()
        for col in cols if k else ():
            text = frame[col].astype("string")
            frame[col] = text.where(text.isna() | (text == ""), text + f"-{k}")
        out[name] = frame
    return out


def join(copies: list[Frames]) -> Frames:
    """The copies' frames one after the other, each with a fresh index."""
    return {name: pd.concat([c[name] for c in copies], ignore_index=True) for name in ID_COLUMNS}


def replicate(book: Book, copies: int) -> Frames:
    """The book's frames copied ``copies`` times (:func:`with_suffix`), joined."""
    frames = frames_of(book)
    return join([with_suffix(frames, k) for k in range(copies)])


def as_book(frames: Frames, like: Book, *, name: str) -> Book:
    """A book of ``frames`` with the units, currency and snapshot date of ``like``."""
    return Book.from_frames(
        frames["reps"],
        frames["accounts"],
        frames["bookings"],
        frames["pipeline"],
        like.units,
        stage_history=frames["stage_history"],
        name=name,
        currency=like.currency,
        snapshot_date=like.snapshot_date,
    )
