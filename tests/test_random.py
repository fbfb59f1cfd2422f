"""The registry of random streams (spm_sim/random.py): distinct, derived from the run's
root, reproducible, listed in docs/model.md; every stochastic entry point takes ``rng``
as an int, a SeedSequence or a Generator and refuses anything else by name."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import spm_sim.random
from spm_sim.capacity import (
    CapacityConfig,
    ServiceTarget,
    run_capacity,
    simulate_capacity,
    smallest_team,
)
from spm_sim.random import (
    CALIBRATION_STREAM,
    MAX_INDEX,
    STREAMS,
    TRIAL_BLOCK,
    calibration_rng,
    reference_effort_rng,
    sales_hires_rng,
    sales_rng,
    seed_sequence,
    stream,
    stream_rng,
    trial_blocks,
    trial_rng,
    workforce_rng,
)

ROOT = Path(__file__).resolve().parents[1]

#: sample indices per index name
SAMPLE = {
    "t": (0, 1, 2, 7, MAX_INDEX),
    "b": (0, 1, 2, 7, MAX_INDEX),
    "r": (0, 1, 5),
    "k": (0, 1, 2),
    "y": (2, 3, 10),
}


def _every_key() -> list[tuple[str, tuple[int, ...]]]:
    """(stream, spawn key) for each stream over the sample indices."""
    out = []
    for s in STREAMS.values():
        grids = np.meshgrid(*[SAMPLE[i] for i in s.indices], indexing="ij")
        combos = zip(*[g.ravel() for g in grids], strict=True) if s.indices else [()]
        out += [(s.name, s.spawn_key(*map(int, c))) for c in combos]
    return out


def _capacity_config(seed: int = 0, **stage) -> CapacityConfig:
    spec = {"name": "AE", "reps": 3, "effort_hours": 1.5, "attrition": 0.3}
    spec.update(stage)
    return CapacityConfig(
        name="rng", segments=[{"name": "in", "leads_per_year": 1500}], stages=[spec], seed=seed
    )


# --- the registry -------------------------------------------------------------------


def test_streams_have_distinct_keys_and_numbers():
    keys = _every_key()
    assert len({k for _, k in keys}) == len(keys), "two streams share a spawn key"
    states = {tuple(np.random.SeedSequence(3, spawn_key=k).generate_state(4)) for _, k in keys}
    assert len(states) == len(keys), "two streams give the same numbers"


def test_run_level_streams_never_meet_a_trial_stream():
    """A fixed first word is above every index, so no run-level key is a trial's."""
    for s in STREAMS.values():
        first = s.key[0]
        assert (first == "t") or (isinstance(first, int) and first > MAX_INDEX), s
    trial_keys = {k for name, k in _every_key() if STREAMS[name].key[0] == "t"}
    other = {k for name, k in _every_key() if STREAMS[name].key[0] != "t"}
    assert not trial_keys & other
    assert calibration_rng(0).spawn_key == (CALIBRATION_STREAM,)


def test_streams_are_children_of_the_root():
    root = seed_sequence(11)
    s = stream(root, "seats", 2, 1)
    assert s.entropy == root.entropy and s.spawn_key == STREAMS["seats"].spawn_key(2, 1)
    # a root that is itself a child (a Generator's spawn) is extended, not replaced
    child = np.random.SeedSequence(11, spawn_key=(4,))
    assert stream(child, "trial", 3).spawn_key == (4, 3)
    # the trial stream is numpy's own spawn of a fresh root
    spawned = np.random.default_rng(np.random.SeedSequence(11).spawn(4)[3])
    assert trial_rng(root, 3).random() == spawned.random()
    # another root, other numbers
    assert trial_rng(seed_sequence(12), 3).random() != trial_rng(root, 3).random()


def test_same_seed_same_numbers_and_the_wrappers_are_the_registry():
    root = seed_sequence(5)
    pairs = [
        (trial_rng(root, 4), stream_rng(5, "trial", 4)),
        (workforce_rng(root, 4), stream_rng(5, "workforce", 4)),
        (sales_rng(root, 4), stream_rng(5, "sales", 4)),
        (sales_hires_rng(root, 4), stream_rng(5, "sales_hires", 4)),
        (reference_effort_rng(root), stream_rng(5, "reference_effort")),
        (np.random.default_rng(calibration_rng(root).spawn(3)[2]), stream_rng(5, "calibration", 2)),
    ]
    for a, b in pairs:
        np.testing.assert_array_equal(a.random(8), b.random(8))


def test_trial_blocks_cover_the_trials_and_refuse_an_empty_range():
    for start, stop in [(0, 1), (0, 250), (7, 14), (TRIAL_BLOCK - 1, TRIAL_BLOCK + 1), (3, 4)]:
        first, last = trial_blocks(start, stop)
        assert first * TRIAL_BLOCK <= start < stop <= last * TRIAL_BLOCK
        assert (first + 1) * TRIAL_BLOCK > start and (last - 1) * TRIAL_BLOCK < stop
    with pytest.raises(ValueError, match=r"trials 5\.\.4: need 0 <= start < stop"):
        trial_blocks(5, 5)


def test_docs_list_every_stream_with_its_key():
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    section = text.split("### 4.1 Random streams", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| `(\([^`]*\))` \|", section, re.M))
    assert rows == {s.name: s.label for s in STREAMS.values()}
    # and the module's own table
    doc = dict(re.findall(r"^(\w+) +``(\([^`]*\))``", spm_sim.random.__doc__, re.M))
    assert doc == {s.name: s.label for s in STREAMS.values()}


# --- normalising rng ----------------------------------------------------------------


def test_seed_sequence_accepts_an_int_a_seed_sequence_and_a_generator():
    assert seed_sequence(7).entropy == 7
    assert seed_sequence(np.int64(7)).entropy == 7
    assert seed_sequence(None, default=9).entropy == 9
    seq = np.random.SeedSequence(3)
    assert seed_sequence(seq) is seq
    gen = np.random.default_rng(3)
    a, b = seed_sequence(gen), seed_sequence(gen)
    assert a.entropy == 3 and a.spawn_key != b.spawn_key  # a Generator moves on
    # a bit generator without a seed sequence: its own draws seed the root
    bg = np.random.MT19937()
    bg._legacy_seeding(5)
    assert isinstance(seed_sequence(np.random.Generator(bg)), np.random.SeedSequence)


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (1.5, TypeError, r"rng must be None, a whole-number seed >= 0.*got float 1\.5"),
        ("7", TypeError, r"got str '7'"),
        (True, TypeError, r"got bool True"),
        (np.random.RandomState(0), TypeError, r"instead of a RandomState"),
        (-1, ValueError, r"a seed must be a whole number >= 0; got -1"),
    ],
)
def test_a_bad_rng_is_refused_by_name(bad, error, match):
    with pytest.raises(error, match=match):
        seed_sequence(bad)


def test_streams_refuse_a_generator_an_unknown_name_and_bad_indices():
    with pytest.raises(TypeError, match=r"derived from the run's root.*seed_sequence\(rng\)"):
        stream(np.random.default_rng(0), "trial", 0)
    with pytest.raises(ValueError, match=r"no random stream named 'trials'; the streams are"):
        stream(0, "trials", 0)
    with pytest.raises(TypeError, match=r"stream 'seats' takes 2 index\(es\) \(r, k\); got 1"):
        stream(0, "seats", 1)
    with pytest.raises(ValueError, match=r"index t must be a whole number from 0 to 2147483647"):
        trial_rng(seed_sequence(0), MAX_INDEX + 1)
    with pytest.raises(ValueError, match=r"index t must be .*got -1"):
        trial_rng(seed_sequence(0), -1)


# --- the entry points ---------------------------------------------------------------


def test_capacity_takes_an_int_a_seed_sequence_or_a_generator():
    cfg = _capacity_config()
    a = run_capacity(cfg, 2, rng=4)
    b = run_capacity(cfg, 2, rng=np.random.SeedSequence(4))
    pd.testing.assert_frame_equal(a.work, b.work)
    # None: the configuration's seed
    pd.testing.assert_frame_equal(run_capacity(_capacity_config(seed=4), 2).work, a.work)
    gen = np.random.default_rng(4)
    c = run_capacity(cfg, 2, rng=gen)
    assert not c.work["wait"].equals(a.work["wait"])  # a child of the Generator's seed
    with pytest.raises(TypeError, match="rng must be None, a whole-number seed"):
        run_capacity(cfg, 1, rng=0.5)
    with pytest.raises(TypeError, match="rng must be None, a whole-number seed"):
        smallest_team(cfg, replications=1, rng="x")


def test_one_capacity_year_is_that_replication_of_the_run():
    cfg = _capacity_config()
    run = run_capacity(cfg, 3, rng=6)
    one = simulate_capacity(cfg, 6, replication=2)
    work = run.work[run.work["replication"] == 2].drop(columns="replication")
    pd.testing.assert_frame_equal(work.reset_index(drop=True), one["work"])
    reps = run.reps[run.reps["replication"] == 2].drop(columns="replication")
    # the values only: concatenating years can widen a column's dtype (int to float)
    pd.testing.assert_frame_equal(reps.reset_index(drop=True), one["reps"], check_dtype=False)


def test_smallest_team_with_a_generator_runs_every_size_on_the_same_streams():
    """Normalised once: a Generator gives every team size the same root."""
    cfg = _capacity_config(attrition=0.0)
    found = smallest_team(
        cfg, ServiceTarget(max_utilisation=0.8), replications=2, rng=np.random.default_rng(1)
    )
    # the arrivals (counted per size) are the same draws whatever the team size
    leads = found["tried"]["leads"]
    assert leads.nunique() == 1, leads


def test_fit_report_takes_an_int_a_seed_sequence_or_a_generator():
    from spm_sim import load_sample
    from spm_sim.fit_report import backtest_year, fit_report

    book = load_sample()
    a = backtest_year(book, year=2025, n_sims=20, rng=3)
    b = backtest_year(book, year=2025, n_sims=20, rng=np.random.SeedSequence(3))
    np.testing.assert_array_equal(a.sim_rep_year, b.sim_rep_year)
    c = backtest_year(book, year=2025, n_sims=20, rng=np.random.default_rng(3))
    assert c.sim_rep_year.shape == a.sim_rep_year.shape
    assert not np.array_equal(c.sim_rep_year, a.sim_rep_year)
    with pytest.raises(TypeError, match="rng must be None, a whole-number seed"):
        fit_report(book, plan_year=2026, n_sims=20, rng=2.0)
    with pytest.raises(TypeError, match="rng must be None, a whole-number seed"):
        backtest_year(book, year=2025, n_sims=20, rng="seed")


def test_territory_design_takes_an_int_a_seed_sequence_or_a_generator():
    from spm_sim.territory import design

    g = np.random.default_rng(2)
    units = pd.DataFrame(
        {"unit_id": range(30), "x": g.uniform(0, 9, 30), "y": g.uniform(0, 9, 30), "potential": 1.0}
    )
    kw = {"territories": 3, "balance": {"potential": 0.2}}
    a = design(units, rng=4, **kw).units["rep_id"]
    b = design(units, rng=np.random.SeedSequence(4), **kw).units["rep_id"]
    pd.testing.assert_series_equal(a, b)
    pd.testing.assert_series_equal(
        design(units, **kw).units["rep_id"], design(units, **kw).units["rep_id"]
    )
    assert len(design(units, rng=np.random.default_rng(4), **kw).units) == 30
    with pytest.raises(TypeError, match="rng must be None, a whole-number seed"):
        design(units, rng=1.5, **kw)


def test_calibration_draws_apart_from_the_trials_of_the_same_root():
    from spm_sim import fit_productivity, load_sample
    from spm_sim.quota import annual_draws

    model = fit_productivity(load_sample(), plan_year=2026)
    root = seed_sequence(0)
    trials = annual_draws(model, 5, rng=root)
    calib = annual_draws(model, 5, rng=calibration_rng(root))
    assert not np.array_equal(trials, calib)
    np.testing.assert_array_equal(calib, annual_draws(model, 5, rng=calibration_rng(0)))
