"""Saved results: a result saved and read back is the same result, bit for bit; damaged,
foreign or changed files are named; nothing is overwritten unasked or left half-written."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spm_sim.book import load_book_ref
from spm_sim.errors import DataError, PlausibilityWarning, ScenarioError, strict_checks
from spm_sim.metrics import compare
from spm_sim.scenario import sample_scenario
from spm_sim.simulate import is_saved_result, load_result, simulate

_store = pytest.importorskip("spm_sim._simulate.store")

ARRAYS = (
    "bookings",
    "payout",
    "company_by_period",
    "payout_by_period",
    "regions",
    "base_salary",
    "target_incentive",
)


@pytest.fixture(scope="module")
def book():
    return load_book_ref(sample_scenario("baseline").book)


@pytest.fixture(scope="module")
def runs(book):
    """A scenario with the workforce and behaviour on, one whose plan has measures, and
    the baseline (same book, seed and trials; ``engine: auto`` draws every deal for
    the plan with measures and the summed engine for the other two, so the baseline
    is paired with the first only)."""
    names = ("people_and_behaviour", "multi_measure", "baseline")
    return {n: simulate(sample_scenario(n), 40, rng=11, chunk_size=15, book=book) for n in names}


@pytest.fixture(scope="module")
def saved(runs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    return {name: r.save(folder / name) for name, r in runs.items()}


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "O":
        return a.tolist() == b.tolist()
    return a.tobytes() == b.tobytes()


def _same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert json.dumps(a.attrs, sort_keys=True, default=str) == json.dumps(
        b.attrs, sort_keys=True, default=str
    )


@pytest.mark.parametrize("name", ["people_and_behaviour", "multi_measure"])
def test_a_saved_result_reads_back_bit_for_bit(runs, saved, name):
    r, again = runs[name], load_result(saved[name])
    for field in ARRAYS:
        assert _same_bits(getattr(r, field), getattr(again, field)), field
    assert list(r.dynamics) == list(again.dynamics)
    for key, values in r.dynamics.items():
        assert _same_bits(values, again.dynamics[key]), key
    assert (r.stayed is None) == (again.stayed is None)
    if r.stayed is not None:
        assert _same_bits(r.stayed, again.stayed)
    # the spec, the seed and the provenance
    assert again.scenario == r.scenario and again.scenario.plan == r.scenario.plan
    assert again.seed == r.seed and again.version == r.version
    assert (again.executor, again.chunk_size) == ("serial", 15)
    assert (again.components, again.periods, again.rep_ids) == (r.components, r.periods, r.rep_ids)
    assert (again.notes, again.coached) == (r.notes, r.coached)
    assert again.programme_cost == r.programme_cost and again.book_info == r.book_info
    # the quotas and the fitted model, types included
    q, q2 = r.quotas, again.quotas
    assert (q2.rep_ids, q2.periods, q2.settings) == (q.rep_ids, q.periods, q.settings)
    assert _same_bits(q.values, q2.values) and _same_bits(q.regions, q2.regions)
    assert q2.company_target == q.company_target and q2.info.keys() == q.info.keys()
    for frame in ("basis", "levels", "audit"):
        pd.testing.assert_frame_equal(getattr(q, frame), getattr(q2, frame), check_exact=True)
    for f in dataclasses.fields(r.model):
        a, b = getattr(r.model, f.name), getattr(again.model, f.name)
        if f.name == "fit":
            assert list(a) == list(b)
            for key in a:
                assert type(a[key]) is type(b[key]) and _same_bits(a[key], b[key]), key
        elif isinstance(a, np.ndarray):
            assert _same_bits(a, b), f.name
        else:
            assert a == b and type(a) is type(b), f.name
    # so every figure is the same
    _same_frames(r.summary(), again.summary())
    _same_frames(r.rep_summary(), again.rep_summary())
    _same_frames(r.trials, again.trials)
    assert again.book is None and {i["role"] for i in again.inputs} == {"book"}


def test_paired_comparisons_stay_paired_after_the_round_trip(runs, saved):
    names = ("baseline", "people_and_behaviour", "multi_measure")
    before = compare([runs[n] for n in names])
    loaded = [load_result(saved[n]) for n in names]
    after = compare(loaded)
    _same_frames(before, after)
    assert [r.engine for r in loaded] == [runs[n].engine for n in names]
    assert [r.engine for r in loaded] == ["summed", "summed", "deals"]
    paired = after.groupby("scenario", sort=False)["paired"]
    assert paired.all().tolist() == [True, True, False]
    assert not paired.any().iloc[2]  # other draws, compared unpaired


def test_the_files_are_what_the_docs_say(runs, saved):
    import pyarrow.parquet as pq

    folder = saved["multi_measure"]
    assert sorted(p.name for p in folder.iterdir()) == ["result.json", "trials.parquet"]
    table = pq.read_table(folder / "trials.parquet")
    assert table.column_names == [
        "trial",
        "bookings",
        "payout.bookings",
        "payout.platform",
        "payout.new_logos",
        "company_bookings",
        "incentive_paid",
    ]
    assert table.num_rows == 40 and table.schema.field("bookings").type.list_size == 80
    side = json.loads((folder / "result.json").read_text())
    assert side["format"] == "spm_sim.result" and side["trials"] == 40
    assert side["seed"] == {"entropy": 11, "spawn_key": []}
    assert side["scenario"]["plan"]["name"] == runs["multi_measure"].scenario.plan.name
    books = [i for i in side["inputs"] if i["role"] == "book"]
    assert {Path(i["path"]).name for i in books} >= {"bookings.csv", "reps.csv"}
    assert all(len(i["sha256"]) == 64 for i in books)
    dyn = pq.read_table(saved["people_and_behaviour"] / "trials.parquet").column_names
    assert "stayed" in dyn and "dynamics.leavers" in dyn
    assert is_saved_result(folder) and not is_saved_result(folder.parent)


def test_an_existing_result_is_replaced_only_when_asked(runs, tmp_path):
    target = runs["baseline"].save(tmp_path / "r")
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        runs["multi_measure"].save(target)
    assert load_result(target).scenario.name == "Baseline 2026"
    runs["multi_measure"].save(target, overwrite=True)
    assert load_result(target).scenario.name == "Multi-measure 2026"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no hidden leftovers
    # a folder of anything else is never replaced, even when asked
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="is not a saved result"):
        runs["baseline"].save(other, overwrite=True)
    assert (other / "notes.txt").read_text() == "keep me"


def test_a_save_that_fails_leaves_nothing_under_the_name(runs, tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    earlier = runs["baseline"].save(tmp_path / "r")

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full_disk)
    with pytest.raises(OSError, match="No space left"):
        runs["multi_measure"].save(tmp_path / "new")
    with pytest.raises(OSError, match="No space left"):
        runs["multi_measure"].save(earlier, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]
    assert load_result(earlier).scenario.name == "Baseline 2026"  # the earlier, whole


def _copy(saved: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(saved, tmp_path / "copy"))


def _edit(folder: Path, change) -> None:
    path = folder / "result.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda f: (f / "result.json").write_text('{"format": "spm_sim.result", "trials": 4'),
            r"result\.json: is not valid JSON \(line 1, column \d+",
        ),
        (
            lambda f: _edit(f, lambda d: d.update(format="something.else")),
            r"result\.json: field 'format': expected 'spm_sim.result', found 'something.else'",
        ),
        (
            lambda f: _edit(f, lambda d: d.update(format_version=99)),
            r"field 'format_version': 99 is newer than this spm_sim reads \(1\)",
        ),
        (
            lambda f: _edit(f, lambda d: d.pop("rep_ids")),
            r"result\.json: field 'rep_ids' is missing \(expected the reps' ids",
        ),
        (
            lambda f: _edit(f, lambda d: d["quotas"]["values"].update(shape=[80, 11])),
            r"field 'quotas\.values': expected quotas per rep and month, found .*cannot reshape",
        ),
        (
            lambda f: _edit(f, lambda d: d.update(trials="forty")),
            r"field 'trials': expected the number of trials, found 'forty'",
        ),
        (
            lambda f: _edit(f, lambda d: d["scenario"].update(trials=-3)),
            r"(?s)result\.json: field 'scenario'.*trials: Input should be greater",
        ),
        (
            lambda f: (f / "trials.parquet").write_bytes(b"PAR1 not really"),
            r"trials\.parquet: SHA-256 .* is not the .* recorded in result\.json",
        ),
        (
            lambda f: (f / "trials.parquet").unlink(),
            r"trials\.parquet: is missing beside result\.json",
        ),
    ],
)
def test_a_damaged_or_foreign_result_is_named_with_what_was_expected(
    saved, tmp_path, damage, message
):
    folder = _copy(saved["baseline"], tmp_path)
    damage(folder)
    error = ScenarioError if "'scenario'" in message else DataError
    with pytest.raises(error, match=message):
        load_result(folder)


def test_a_trials_file_from_another_result_is_refused(saved, tmp_path):
    folder = _copy(saved["baseline"], tmp_path)
    shutil.copy(saved["multi_measure"] / "trials.parquet", folder / "trials.parquet")
    _edit(
        folder,
        lambda d: d["files"]["trials.parquet"].update(
            sha256=_store._sha256(folder / "trials.parquet")
        ),
    )
    with pytest.raises(
        DataError, match=r"has column\(s\) payout\.platform, payout\.new_logos that"
    ):
        load_result(folder)


def test_paths_that_are_not_a_saved_result_say_what_to_give(saved, tmp_path):
    with pytest.raises(DataError, match="no saved result here: the path does not exist"):
        load_result(tmp_path / "nothing")
    (tmp_path / "run" / "results").mkdir(parents=True)
    shutil.copytree(saved["baseline"], tmp_path / "run" / "results" / "1-baseline")
    with pytest.raises(DataError, match="no result.json in it. It is a run folder"):
        load_result(tmp_path / "run")
    assert load_result(tmp_path / "run" / "results" / "1-baseline" / "result.json").n_trials == 40
    (tmp_path / "x.csv").write_text("a\n")
    with pytest.raises(DataError, match="x.csv: is a file, not a saved result"):
        load_result(tmp_path / "x.csv")


def test_an_input_changed_since_the_save_is_named(runs, tmp_path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("name: a\n")
    folder = runs["baseline"].save(tmp_path / "r", inputs=[("scenario", scenario)])
    assert not [w for w in _loaded_warnings(folder)]  # unchanged: no warning
    scenario.write_text("name: b\n")
    with pytest.warns(PlausibilityWarning, match=r"scenario\.yaml: changed since the result"):
        again = load_result(folder)
    assert _same_bits(again.payout, runs["baseline"].payout)  # the saved numbers stand
    with strict_checks(), pytest.raises(DataError, match="scenario file"):
        load_result(folder)
    scenario.unlink()  # moved away (another machine): nothing to compare, no warning
    assert not [w for w in _loaded_warnings(folder)]


def _loaded_warnings(folder):
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        load_result(folder)
    return seen


def test_json_keeps_types_and_numbers_json_cannot_hold():
    frame = pd.DataFrame(
        {
            "rep_id": pd.Series(["A", None], dtype="str"),
            "when": pd.to_datetime(["2026-01-01", None]),
            "x": [1.5, np.nan],
            "flag": [True, False],
        },
        index=[3, 7],
    )
    value = {
        "nan": math.nan,
        "inf": -math.inf,
        "f32": np.float32(0.1),
        "i": np.int64(2**40),
        "big": 2**100,
        "t": ("a", 1, (2.0,)),
        "a": np.array([[1.0, np.inf], [np.nan, 1 / 3]]),
        "o": np.array(["x", "y"], dtype=object),
        "frame": frame,
    }
    text = json.dumps(_store._encode(value), allow_nan=False)
    back = _store._decode(json.loads(text))
    assert math.isnan(back["nan"]) and back["inf"] == -math.inf
    assert type(back["f32"]) is np.float32 and back["f32"] == np.float32(0.1)
    assert type(back["i"]) is np.int64 and back["big"] == 2**100
    assert back["t"] == ("a", 1, (2.0,))
    assert _same_bits(back["a"], value["a"]) and _same_bits(back["o"], value["o"])
    pd.testing.assert_frame_equal(back["frame"], frame)


def test_the_executor_is_recorded_and_saved(dask_client, book, tmp_path):
    s = sample_scenario("baseline")
    here = simulate(s, 12, rng=3, chunk_size=5, book=book)
    there = simulate(s, 12, rng=3, chunk_size=5, executor=dask_client, book=book)
    assert (here.executor, there.executor) == ("serial", "dask")
    assert _same_bits(here.payout, there.payout)
    assert load_result(there.save(tmp_path / "d")).executor == "dask"
