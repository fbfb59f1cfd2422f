"""Seeds and the named random streams of a run.

Randomness enters spm_sim only through an ``rng`` argument (an int seed, a
``SeedSequence`` or a ``Generator``) or a scenario's ``seed``. :func:`seed_sequence`
normalises it once to the run's root ``SeedSequence``; every draw then comes from a
child stream derived from that root and the trial index, never from the worker or
the chunk, so the same seed gives the same numbers whatever the chunking.

Examples
--------
>>> from spm_sim.random import seed_sequence, trial_rng
>>> root = seed_sequence(7)
>>> float(trial_rng(root, 3).random()) == float(trial_rng(seed_sequence(7), 3).random())
True
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "RngLike",
    "seed_sequence",
    "trial_rng",
    "workforce_rng",
    "hires_rng",
    "calibration_rng",
    "CALIBRATION_STREAM",
]

RngLike = int | np.random.SeedSequence | np.random.Generator | None


def seed_sequence(rng: RngLike, default: int = 0) -> np.random.SeedSequence:
    """Normalise ``rng`` to the root ``SeedSequence`` of a run.

    ``None`` uses ``default`` (the scenario's seed); an int or a ``SeedSequence`` is
    used as the root; a ``Generator`` contributes a fresh child of its own seed
    sequence (so two runs with the same Generator object differ, as its draws would).

    Examples
    --------
    >>> seed_sequence(7).entropy
    7
    """
    if rng is None:
        return np.random.SeedSequence(default)
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return rng.bit_generator.seed_seq.spawn(1)[0]
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng: a seed must be >= 0, got {rng}.")
        return np.random.SeedSequence(int(rng))
    raise TypeError(
        f"rng must be None, an int seed, a SeedSequence or a Generator; got {type(rng).__name__}."
    )


def trial_rng(root: np.random.SeedSequence, trial: int) -> np.random.Generator:
    """The random stream of trial ``trial``: child ``trial`` of ``root``.

    Equal to ``np.random.default_rng(root.spawn(trial + 1)[trial])`` for a fresh
    root, but computed directly from the index.
    """
    child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, int(trial)))
    return np.random.default_rng(child)


def hires_rng(root: np.random.SeedSequence, trial: int) -> np.random.Generator:
    """The stream of trial ``trial``'s planned hires: child ``(trial, 2)`` of ``root``."""
    child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, int(trial), 2))
    return np.random.default_rng(child)


def workforce_rng(root: np.random.SeedSequence, trial: int) -> np.random.Generator:
    """The stream of trial ``trial``'s seat clocks, apart from its sales stream.

    Child ``(trial, 1)`` of ``root``: the same whatever the plan, so scenarios that
    share a seed see the same people leave at the same cumulative hazard.
    """
    child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, int(trial), 1))
    return np.random.default_rng(child)


#: Second word of the calibrated quotas' seed: ``SeedSequence([seed, it])`` is a stream
#: apart from every Monte Carlo trial's, so quotas are never fitted to the draws they face.
CALIBRATION_STREAM = 0x0C0A1B


def calibration_rng(seed: int) -> np.random.SeedSequence:
    """The calibration's random stream for a scenario seed (what ``simulate`` uses).

    Examples
    --------
    >>> calibration_rng(7).entropy
    [7, 789019]
    """
    return np.random.SeedSequence([int(seed), CALIBRATION_STREAM])
