"""Seeds and the named random streams of a run.

Randomness enters spm_sim only through an ``rng`` argument (an int seed, a
``SeedSequence`` or a ``Generator``) or a spec's ``seed``. :func:`seed_sequence`
normalises it once to the run's root ``SeedSequence``; every draw then comes from
one of the streams named in :data:`STREAMS`, a child of that root with a fixed spawn
key. A stream is indexed by what it is drawn for (the trial, the capacity
replication, the stage), never by the worker or the chunk, so the same seed gives
the same numbers whatever the chunking or the number of processes.

The streams (``t`` a trial, ``b`` a block of :data:`TRIAL_BLOCK` trials, ``r`` a
capacity replication, ``k`` a stage; the other words are fixed; ``docs/model.md``
section 4.1 gives the same table):

==================  ===========================  ========================================
name                spawn key under the root     what draws from it
==================  ===========================  ========================================
trial               ``(t,)``                     trial ``t``'s sales (forecast, back-test)
sales               ``(0x80000006, b)``          the sales of block ``b``'s trials (simulate)
sales_hires         ``(0x80000006, b, 2)``       block ``b``'s planned hires (simulate)
sales_elasticity    ``(0x80000006, b, 0)``       block ``b``'s territory elasticities (an
                                                 alignment's, drawn per trial)
workforce           ``(t, 1)``                   trial ``t``'s seat clocks
pipeline            ``(t, 3)``                   trial ``t``'s open pipeline in a forecast
calibration         ``(0x80000001, t)``          calibrated quotas' simulated year ``t``
reference_effort    ``(0x80000002,)``            the behaviour's reference plan
replication         ``(0x80000003, r)``          capacity replication ``r``'s leads
seats               ``(0x80000003, r, k)``       stage ``k``'s seats in replication ``r``
territory           ``(0x80000004,)``            territory design's k-means++ starts
map_points          ``(0x80000005,)``            the units a territory map draws
year                ``(0x80000007, y)``          plan year ``y`` >= 2 of a multi-year run: the
                                                 root of that year's streams
==================  ===========================  ========================================

The fixed first words are ``2**31 + n`` and every index is below ``2**31``, so no two
streams share a spawn key: a run-level stream never coincides with a trial's.

:func:`spm_sim.simulate.simulate` draws the sales of trials ``bT .. bT + T - 1``
(``T`` = :data:`TRIAL_BLOCK`) from block ``b``'s stream in one batch: trial ``t`` is
always the same position of the same block, so its numbers still depend on the seed
and ``t`` only, whatever the chunks (a chunk that starts or ends inside a block draws
the whole block and keeps its own trials).

Examples
--------
>>> from spm_sim.random import seed_sequence, stream, trial_rng
>>> root = seed_sequence(7)
>>> float(trial_rng(root, 3).random()) == float(trial_rng(seed_sequence(7), 3).random())
True
>>> stream(root, "seats", 2, 0).spawn_key
(2147483651, 2, 0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

__all__ = [
    "RngLike",
    "Stream",
    "STREAMS",
    "MAX_INDEX",
    "seed_sequence",
    "stream",
    "stream_rng",
    "trial_rng",
    "sales_rng",
    "sales_hires_rng",
    "trial_blocks",
    "TRIAL_BLOCK",
    "workforce_rng",
    "pipeline_rng",
    "calibration_rng",
    "reference_effort_rng",
    "replication_rng",
    "seats_rng",
    "territory_rng",
    "CALIBRATION_STREAM",
    "year_root",
]

RngLike = int | np.random.SeedSequence | np.random.Generator | None

#: Largest index of a stream (a trial, a replication, a stage): one 32-bit word below
#: the fixed words that name the run-level streams.
MAX_INDEX = 2**31 - 1

#: First word of the calibrated quotas' streams (section 2 of docs/model.md): apart
#: from every Monte Carlo trial's, so quotas are never fitted to the draws they face.
CALIBRATION_STREAM = 0x8000_0001
_REFERENCE_EFFORT = 0x8000_0002
_CAPACITY = 0x8000_0003
_TERRITORY = 0x8000_0004
_MAP_POINTS = 0x8000_0005
_SALES = 0x8000_0006
_YEAR = 0x8000_0007

#: Trials per block of the ``sales`` stream: simulate draws a block's trials in one
#: batch from one stream (no stream, Generator and parameter draw per trial). Part of
#: the stream's definition: another value gives other numbers.
TRIAL_BLOCK = 25


@dataclass(frozen=True)
class Stream:
    """A named random stream: its spawn key under the run's root and what draws from it.

    ``key`` holds fixed words (ints) and the names of the indices a caller fills in,
    in order (``"t"`` a trial, ``"r"`` a capacity replication, ``"k"`` a stage).
    """

    name: str
    key: tuple[int | str, ...]
    draws: str

    @property
    def indices(self) -> tuple[str, ...]:
        """The names of the indices the key takes, in order."""
        return tuple(w for w in self.key if isinstance(w, str))

    def spawn_key(self, *index: int) -> tuple[int, ...]:
        """The spawn key with ``index`` filled in (each a whole number in [0, MAX_INDEX])."""
        if len(index) != len(self.indices):
            names = ", ".join(self.indices) or "no index"
            raise TypeError(
                f"stream {self.name!r} takes {len(self.indices)} index(es) ({names}); "
                f"got {len(index)}: {index!r}."
            )
        values = iter(index)
        out = []
        for word in self.key:
            if isinstance(word, int):
                out.append(word)
                continue
            value = next(values)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, np.integer))
                or not 0 <= value <= MAX_INDEX
            ):
                raise ValueError(
                    f"stream {self.name!r}: index {word} must be a whole number from 0 to "
                    f"{MAX_INDEX}; got {value!r}."
                )
            out.append(int(value))
        return tuple(out)

    @property
    def label(self) -> str:
        """The key as the docs write it, e.g. ``(0x80000003, r, k)``."""
        words = [
            w if isinstance(w, str) else (f"{w:#x}" if w > MAX_INDEX else str(w)) for w in self.key
        ]
        return "(" + ", ".join(words) + ("," if len(words) == 1 else "") + ")"


#: Every random stream of spm_sim by name: its spawn key under the run's root and what
#: draws from it. The per-trial streams keep each trial's numbers independent of
#: chunking and workers; a replication's streams do the same for capacity runs.
STREAMS: Mapping[str, Stream] = MappingProxyType(
    {
        s.name: s
        for s in (
            Stream(
                "trial",
                ("t",),
                "trial t's sales: deal rates, counts, sizes and months, then the plan's "
                "measures, one trial at a time (the in-year forecast, fit_report's back-test, "
                "quota.annual_draws; simulate draws from stream sales)",
            ),
            Stream(
                "sales",
                (_SALES, "b"),
                "the sales of trials bT to bT + T - 1 (T = TRIAL_BLOCK) in simulate and "
                "draw_sales, in one batch: their deal rates, sizes, trend, level and shock, "
                "then their deals (or rep-month totals), then the plan's measures",
            ),
            Stream(
                "sales_hires",
                (_SALES, "b", 2),
                "block b's planned hires in simulate: their rates, sizes and months, so the "
                "book's reps draw the same with or without them",
            ),
            Stream(
                "sales_elasticity",
                (_SALES, "b", 0),
                "block b's territory elasticities (a scenario's alignment, drawn per trial "
                "around their estimates), so no other draw of the block moves",
            ),
            Stream("workforce", ("t", 1), "trial t's seats: four Exponential(1) clocks per seat"),
            Stream(
                "pipeline",
                ("t", 3),
                "trial t's open pipeline (spm_sim.track.forecast): the transition rates drawn "
                "from their posterior, the win-rate shock, one uniform per month and opportunity",
            ),
            Stream(
                "calibration",
                (CALIBRATION_STREAM, "t"),
                "calibrated quotas: simulated year t of the productivity model",
            ),
            Stream(
                "reference_effort",
                (_REFERENCE_EFFORT,),
                "the behaviour's reference plan: 1,000 trials of the summed engine",
            ),
            Stream(
                "replication",
                (_CAPACITY, "r"),
                "capacity replication r: arrivals, efforts, passes, territories, cycles, wins "
                "and deal sizes",
            ),
            Stream(
                "seats",
                (_CAPACITY, "r", "k"),
                "capacity replication r: the leaving times of stage k's seats, seat by seat "
                "(a larger team keeps the first seats' times)",
            ),
            Stream(
                "territory",
                (_TERRITORY,),
                "territory design: the k-means++ starts of the first centers",
            ),
            Stream(
                "year",
                (_YEAR, "y"),
                "plan year y >= 2 of a multi-year run (spm_sim.simulate.simulate_years): the "
                "root of every stream of that year (its sales, planned hires and seats), so "
                "two scenarios with one seed share their draws year by year",
            ),
            Stream(
                "map_points",
                (_MAP_POINTS,),
                "territory maps: which units are drawn when there are more than max_points "
                "(display only; root 0)",
            ),
        )
    }
)


def seed_sequence(rng: RngLike, default: int = 0) -> np.random.SeedSequence:
    """Normalise ``rng`` to the root ``SeedSequence`` of a run.

    ``None`` uses ``default`` (the spec's seed); an int or a ``SeedSequence`` is used
    as the root; a ``Generator`` contributes a fresh child of its own seed sequence
    (so two runs with the same Generator object differ, as its draws would).

    Raises
    ------
    TypeError
        For anything else (a float, a string, a legacy ``RandomState``).
    ValueError
        For a negative seed.

    Examples
    --------
    >>> seed_sequence(7).entropy
    7
    >>> seed_sequence(None, default=3).entropy
    3
    """
    if rng is None:
        rng = default
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        seq = getattr(rng.bit_generator, "seed_seq", None)
        if isinstance(seq, np.random.SeedSequence):
            return seq.spawn(1)[0]
        # a bit generator without a seed sequence: its own draws seed the root
        return np.random.SeedSequence(rng.integers(2**32, size=4, dtype=np.uint64).tolist())
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng: a seed must be a whole number >= 0; got {rng}.")
        return np.random.SeedSequence(int(rng))
    hint = (
        " Use np.random.default_rng(seed) instead of a RandomState."
        if isinstance(rng, np.random.RandomState)
        else ""
    )
    raise TypeError(
        "rng must be None, a whole-number seed >= 0, a numpy SeedSequence or a numpy "
        f"Generator; got {type(rng).__name__} {rng!r}.{hint}"
    )


def _root(root: np.random.SeedSequence | int) -> np.random.SeedSequence:
    """A run's root as a stream's parent: a SeedSequence, or an int seed."""
    if isinstance(root, np.random.SeedSequence):
        return root
    if isinstance(root, (int, np.integer)) and not isinstance(root, bool):
        return seed_sequence(int(root))
    raise TypeError(
        "a stream is derived from the run's root: a SeedSequence (or an int seed); got "
        f"{type(root).__name__}. Normalise rng once with spm_sim.random.seed_sequence(rng) "
        "and derive every stream from the result."
    )


def _child(root: np.random.SeedSequence | int, key: tuple[int, ...]) -> np.random.SeedSequence:
    root = _root(root)
    return np.random.SeedSequence(
        root.entropy, spawn_key=(*root.spawn_key, *key), pool_size=root.pool_size
    )


def stream(root: np.random.SeedSequence | int, name: str, *index: int) -> np.random.SeedSequence:
    """The seed sequence of stream ``name`` of :data:`STREAMS` under ``root``.

    Parameters
    ----------
    root : SeedSequence or int
        The run's root (from :func:`seed_sequence`).
    name : str
        A key of :data:`STREAMS`.
    *index : int
        The stream's indices in order (``t``; ``r``; ``r, k``), each in [0, MAX_INDEX].

    Examples
    --------
    >>> stream(5, "workforce", 3).spawn_key
    (3, 1)
    """
    try:
        spec = STREAMS[name]
    except KeyError:
        raise ValueError(
            f"no random stream named {name!r}; the streams are {', '.join(STREAMS)}."
        ) from None
    return _child(root, spec.spawn_key(*index))


def stream_rng(root: np.random.SeedSequence | int, name: str, *index: int) -> np.random.Generator:
    """A ``Generator`` on stream ``name`` under ``root`` (see :func:`stream`)."""
    return np.random.default_rng(stream(root, name, *index))


def trial_rng(root: np.random.SeedSequence | int, trial: int) -> np.random.Generator:
    """The random stream of trial ``trial``'s sales: child ``(trial,)`` of ``root``.

    Equal to ``np.random.default_rng(root.spawn(trial + 1)[trial])`` for a fresh
    root, but computed directly from the index.
    """
    return stream_rng(root, "trial", trial)


def sales_rng(root: np.random.SeedSequence | int, block: int) -> np.random.Generator:
    """The stream of the sales of block ``block``'s trials (stream ``sales``).

    Trials ``block * TRIAL_BLOCK`` to ``block * TRIAL_BLOCK + TRIAL_BLOCK - 1``, drawn
    together in that order (:func:`spm_sim.productivity.draw_deals_batch`,
    :func:`spm_sim.productivity.draw_summed_batch`).

    Examples
    --------
    >>> stream(7, "sales", 2).spawn_key == (0x80000006, 2)
    True
    """
    return stream_rng(root, "sales", block)


def sales_hires_rng(root: np.random.SeedSequence | int, block: int) -> np.random.Generator:
    """The stream of block ``block``'s planned hires (stream ``sales_hires``)."""
    return stream_rng(root, "sales_hires", block)


def trial_blocks(start: int, stop: int) -> tuple[int, int]:
    """The blocks of the ``sales`` stream that hold trials ``start..stop-1``: first and
    one past the last.

    Examples
    --------
    >>> trial_blocks(0, 250), trial_blocks(7, 14), trial_blocks(30, 31)
    ((0, 10), (0, 1), (1, 2))
    """
    if not 0 <= start < stop:
        raise ValueError(f"trials {start}..{stop - 1}: need 0 <= start < stop.")
    return start // TRIAL_BLOCK, -(-stop // TRIAL_BLOCK)


def workforce_rng(root: np.random.SeedSequence | int, trial: int) -> np.random.Generator:
    """The stream of trial ``trial``'s seat clocks, apart from its sales stream.

    Child ``(trial, 1)`` of ``root``: the same whatever the plan, so scenarios that
    share a seed see the same people leave at the same cumulative hazard.
    """
    return stream_rng(root, "workforce", trial)


def pipeline_rng(root: np.random.SeedSequence | int, trial: int) -> np.random.Generator:
    """Trial ``trial``'s open pipeline in a forecast: child ``(trial, 3)`` of ``root``."""
    return stream_rng(root, "pipeline", trial)


def calibration_rng(root: np.random.SeedSequence | int) -> np.random.SeedSequence:
    """The calibrated quotas' root: child ``(CALIBRATION_STREAM,)`` of the run's root.

    Pass it as the ``rng`` of :func:`spm_sim.quota.set_quotas`; its simulated year
    ``t`` then draws from ``(CALIBRATION_STREAM, t)``, stream ``calibration``.
    ``calibration_rng(scenario.seed)`` is what ``simulate(scenario)`` uses.

    Examples
    --------
    >>> calibration_rng(7).spawn_key == (0x80000001,)
    True
    """
    return _child(root, (CALIBRATION_STREAM,))


def reference_effort_rng(root: np.random.SeedSequence | int) -> np.random.Generator:
    """The stream of the behaviour's reference-plan trials (``reference_effort``)."""
    return stream_rng(root, "reference_effort")


def replication_rng(root: np.random.SeedSequence | int, replication: int) -> np.random.Generator:
    """The stream of capacity replication ``replication``'s leads and opportunities."""
    return stream_rng(root, "replication", replication)


def seats_rng(
    root: np.random.SeedSequence | int, replication: int, stage: int
) -> np.random.Generator:
    """The stream of the leaving times of stage ``stage``'s seats in a replication."""
    return stream_rng(root, "seats", replication, stage)


def territory_rng(rng: RngLike, default: int = 0) -> np.random.Generator:
    """The territory design's stream, from its ``rng`` argument (``None``: ``default``)."""
    return stream_rng(seed_sequence(rng, default), "territory")


def year_root(root: np.random.SeedSequence | int, year: int) -> np.random.SeedSequence:
    """The root of plan year ``year`` (1 the first) of a multi-year run.

    Year 1 is the run's root itself, so a multi-year run's first year draws exactly
    what :func:`spm_sim.simulate.simulate` draws; year ``y >= 2`` is stream ``year``,
    child ``(0x80000007, y)`` of the root, and every stream of that year (``sales``,
    ``sales_hires``, ``workforce``) is derived from it as from a run's root. Two
    scenarios run with one seed therefore share their exogenous draws year by year,
    whatever their plans and quota rules.

    Examples
    --------
    >>> year_root(7, 1).spawn_key
    ()
    >>> year_root(7, 3).spawn_key == (0x80000007, 3)
    True
    """
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)) or year < 1:
        raise ValueError(
            f"year_root: year must be a whole number >= 1 (1 the first); got {year!r}."
        )
    if year == 1:
        return _root(root)
    return stream(root, "year", int(year))
