"""Executors everywhere: the same numbers here, on a local process pool and on Dask.

Every Dask test runs on the session's ``dask_client`` (conftest.py); "processes" are
pools of two. Sizes are small: what is checked is that the pieces come back in
order and bit for bit, not speed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spm_sim import parallel
from spm_sim.book import load_sample
from spm_sim.cli import main
from spm_sim.errors import DataError, PlausibilityWarning, SpmSimError, implausible, strict_checks
from spm_sim.parallel import check_executor, executor_name, run_tasks
from spm_sim.productivity import fit_productivity
from spm_sim.quota import QuotaSettings, annual_draws, set_quotas
from spm_sim.scenario import SAMPLE_SCENARIOS
from spm_sim.territory import tradeoff

BASELINE = str(SAMPLE_SCENARIOS / "baseline.yaml")
#: Where a task can run, by the name a test id shows (the Dask one is the fixture's).
PLACES = ("serial", "processes", "dask")


@pytest.fixture
def place(request, dask_client):
    """The executor a parametrised test runs on: a name, or the session's Dask client."""
    return dask_client if request.param == "dask" else request.param


def on_every_place(test):
    return pytest.mark.parametrize("place", PLACES, indirect=True)(test)


@pytest.fixture(scope="module")
def book():
    return load_sample()


@pytest.fixture(scope="module")
def model(book):
    return fit_productivity(book, plan_year=2026)


# ----------------------------------------------------------------------------- run_tasks


@on_every_place
def test_run_tasks_keeps_the_order_of_the_tasks(place):
    tasks = [(b, 3) for b in range(12)]
    assert run_tasks(pow, tasks, place, workers=2) == [b**3 for b in range(12)]
    # shared leading arguments go first, and reach every task
    assert run_tasks(divmod, [(7,), (9,), (11,)], place, shared=(100,), workers=2) == [
        (14, 2),
        (11, 1),
        (9, 1),
    ]


@on_every_place
def test_run_tasks_raises_a_tasks_own_error(place):
    with pytest.raises(ValueError, match="invalid literal for int\\(\\) with base 10: 'x'"):
        run_tasks(int, [("12",), ("x",), ("7",)], place, workers=2)
    # spm_sim's errors keep their type and their whole located message
    with pytest.raises(SpmSimError, match="unknown executor 'dsak' \\(did you mean 'dask'"):
        run_tasks(check_executor, [("serial",), ("dsak",)], place, workers=2)
    # a task runs under the caller's strict checks, wherever it runs
    with pytest.raises(DataError) as err, strict_checks():
        run_tasks(implausible, [("amount far off",), ("fine",)], place, workers=2)
    assert str(err.value) == "amount far off"


def test_a_worker_process_that_dies_is_one_line():
    import os

    with pytest.raises(SpmSimError, match="a worker process of the local pool died"):
        run_tasks(os._exit, [(3,), (3,)], "processes", workers=2)


@on_every_place
def test_run_tasks_raises_the_tasks_warnings_here(place):
    with pytest.warns(PlausibilityWarning) as seen:
        assert run_tasks(implausible, [("amount far off",), ("and this",)], place, workers=2) == [
            None,
            None,
        ]
    texts = sorted(str(w.message) for w in seen if w.category is PlausibilityWarning)
    assert texts == ["amount far off", "and this"]


def test_the_executor_is_named_as_results_record_it(dask_client):
    assert [executor_name(x) for x in (None, "serial", "processes", dask_client)] == [
        "serial",
        "serial",
        "processes",
        "dask",
    ]


# ----------------------------------------------------------------------------- quotas


#: The executors compared with a run here (serial against itself proves nothing).
ELSEWHERE = ("processes", "dask")

#: Calibrated quotas small enough for a test: 1,200 simulated years, in blocks of 100
#: here and of 500 elsewhere (the draws do not depend on the blocks).
CALIBRATED = QuotaSettings(method="calibrated", probability=0.6, calibration_trials=1200)


@pytest.fixture(scope="module")
def quotas_here(book, model):
    return set_quotas(book, plan_year=2026, settings=CALIBRATED, model=model, rng=11)


@pytest.mark.parametrize("place", ELSEWHERE, indirect=True)
def test_calibrated_quotas_are_the_same_on_every_executor(book, model, quotas_here, place):
    there = set_quotas(
        book, plan_year=2026, settings=CALIBRATED, model=model, rng=11, executor=place, workers=2
    )
    assert np.array_equal(quotas_here.values, there.values)
    assert np.array_equal(quotas_here.info["achieved"], there.info["achieved"])
    # and a quota really is each rep's 40% quantile of its draws: about 60% reach it
    assert there.info["achieved_mean"] == pytest.approx(0.6, abs=0.01)


def test_annual_draws_do_not_depend_on_the_blocks(model, dask_client):
    here = annual_draws(model, 1100, rng=3)
    assert here.shape == (1100, model.n_reps)
    # blocks of 500, 500 and 100 on the Dask workers: the same trials, bit for bit
    assert np.array_equal(annual_draws(model, 1100, rng=3, executor=dask_client), here)
    assert np.array_equal(annual_draws(model, 150, rng=3), here[:150])


# ----------------------------------------------------------------------------- territories


def _small_territory():
    """24 units on a line of clusters, three reps, a current alignment to disrupt."""
    rng = np.random.default_rng(5)
    units = pd.DataFrame(
        {
            "unit_id": [f"u{i}" for i in range(24)],
            "x": np.repeat([0.0, 10.0, 20.0], 8) + rng.uniform(-3, 3, 24),
            "y": rng.uniform(-3, 3, 24),
            "potential": rng.uniform(1, 3, 24).round(2),
            "rep": rng.choice(["A", "B", "C"], 24),
        }
    )
    homes = pd.DataFrame({"rep_id": ["A", "B", "C"], "x": [0.0, 10.0, 20.0], "y": 0.0})
    return units, homes


#: The trade-off of the small territory: caps, and the designs' settings.
CAPS = [0.0, 0.2, 0.4, None]
DESIGN = dict(current="rep", balance={"potential": 0.15}, method="exact")


@pytest.fixture(scope="module")
def tradeoff_here():
    units, homes = _small_territory()
    return tradeoff(units, caps=CAPS, homes=homes, **DESIGN)


@pytest.mark.parametrize("place", ELSEWHERE, indirect=True)
def test_tradeoff_is_the_same_on_every_executor(tradeoff_here, place):
    units, homes = _small_territory()
    there = tradeoff(units, caps=CAPS, homes=homes, executor=place, workers=2, **DESIGN)
    assert tradeoff_here["status"].tolist()[1:] == ["optimal"] * 3
    pd.testing.assert_frame_equal(
        tradeoff_here.drop(columns="seconds"), there.drop(columns="seconds")
    )
    done = there[there["status"] == "optimal"]
    assert (done["disruption"] <= done["cap"].fillna(1.0) + 1e-9).all()
    # a looser cap never costs distance
    assert np.all(np.diff(done["total_distance"].to_numpy()) <= 1e-6)


def test_tradeoff_refuses_what_it_sets_itself():
    units, homes = _small_territory()
    with pytest.raises(SpmSimError, match="tradeoff sets max_disruption itself"):
        tradeoff(units, homes=homes, current="rep", max_disruption=0.1)
    with pytest.raises(SpmSimError, match="caps\\[1\\] must be a share of units in \\[0, 1\\]"):
        tradeoff(units, caps=[0.1, 1.5], homes=homes, current="rep")


# ----------------------------------------------------------------------------- bad executors


def test_an_unknown_executor_is_one_line_naming_it_and_the_choices(model, book):
    for call in (
        lambda: annual_draws(model, 100, executor="dsak"),
        lambda: set_quotas(
            book,
            plan_year=2026,
            settings=QuotaSettings(method="calibrated", probability=0.6),
            model=model,
            executor="dsak",
        ),
        lambda: tradeoff(pd.DataFrame(), current="rep", executor="dsak"),
    ):
        with pytest.raises(SpmSimError) as err:
            call()
        text = str(err.value)
        assert "unknown executor 'dsak' (did you mean 'dask'?)" in text
        assert "use one of serial, processes, dask" in text and "\n" not in text


def test_an_unreachable_scheduler_is_one_line_with_the_fix(model, monkeypatch):
    monkeypatch.setattr(parallel, "SCHEDULER_TIMEOUT", 1.0)
    with pytest.raises(SpmSimError) as err:
        annual_draws(model, 100, scheduler="tcp://127.0.0.1:9")
    text = str(err.value)
    assert text.startswith("could not reach the Dask scheduler at 'tcp://127.0.0.1:9'")
    assert "start one with `dask scheduler`" in text and "\n" not in text
    with pytest.raises(SpmSimError, match="'http://x:1' is not a Dask scheduler address"):
        annual_draws(model, 100, executor="dask", scheduler="http://x:1")
    with pytest.raises(SpmSimError, match="was given with executor 'processes'"):
        annual_draws(model, 100, executor="processes", scheduler="tcp://127.0.0.1:9")


def test_the_command_line_says_an_unreachable_scheduler_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(parallel, "SCHEDULER_TIMEOUT", 1.0)
    out = tmp_path / "q.csv"
    code = main(
        ["quotas", BASELINE, "--trials", "100", "--scheduler", "tcp://127.0.0.1:9"]
        + ["--out", str(out)]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("spm-sim: error: could not reach the Dask scheduler at ")
    assert len(err.splitlines()) == 1 and not out.exists()


# ----------------------------------------------------------------------------- CLI


def test_quotas_on_dask_from_the_command_line_match_serial(tmp_path, capsys, dask_client):
    runs = {}
    for name, extra in {
        "serial": [],
        "dask": ["--executor", "dask", "--scheduler", dask_client.scheduler.address],
    }.items():
        out = tmp_path / name / "quotas.csv"
        code = main(
            ["quotas", BASELINE, "--method", "potential", "--trials", "200", "--seed", "4"]
            + ["--out", str(out), *extra]
        )
        text = capsys.readouterr().out
        assert code == 0
        runs[name] = (text.replace(str(out.parent), "OUT"), out)
    (serial_text, serial_out), (dask_text, dask_out) = runs["serial"], runs["dask"]
    assert "Reps expected at or above quota" in dask_text
    assert dask_text == serial_text
    for path in (lambda p: p, lambda p: p.with_name("quotas_reps.csv")):
        pd.testing.assert_frame_equal(pd.read_csv(path(serial_out)), pd.read_csv(path(dask_out)))
