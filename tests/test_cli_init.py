"""``spm-sim init``: a starter project that ``check``, ``run`` and ``fit`` accept as written."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from spm_sim.cli import main
from spm_sim.cli.init import FILES, starter_files


def test_init_writes_a_project_that_check_and_run_accept(tmp_path, capsys):
    folder = tmp_path / "my-plan"
    assert main(["init", str(folder)]) == 0
    out = capsys.readouterr().out
    for name in FILES:
        assert (folder / name).is_file(), name
        assert str(folder / name) in out
    # the next steps name the commands to run on the files just written
    assert f"spm-sim check {folder / 'book'}" in out
    assert f"spm-sim run {folder / 'scenario.yaml'}" in out

    # the book is in the documented format, with a few rows in each file
    reps = pd.read_csv(folder / "book" / "reps.csv")
    assert list(reps.columns[:4]) == ["rep_id", "name", "region", "role"]
    assert 1 < len(reps) <= 10
    assert 1 < len(pd.read_csv(folder / "book" / "accounts.csv")) <= 50
    assert 1 < len(pd.read_csv(folder / "book" / "pipeline.csv")) <= 50

    assert main(["check", str(folder / "book")]) == 0
    checked = capsys.readouterr()
    assert "valid." in checked.out and "4 in 2 regions" in checked.out
    assert checked.err == ""  # no plausibility warning on the starter data

    out_dir = tmp_path / "report"
    code = main(["run", str(folder / "scenario.yaml"), "--trials", "200", "--out", str(out_dir)])
    ran = capsys.readouterr()
    assert code == 0, ran.err
    assert ran.err == ""  # believable figures: no plausibility warning either
    assert (out_dir / "report.html").is_file()
    summary = pd.read_csv(out_dir / "summary.csv")
    assert summary["scenario"].iloc[0] == f"Starter {dt.date.today().year}"
    assert "Incentive cost, mean" in ran.out and "$" in ran.out


def test_init_refuses_a_folder_that_holds_files_unless_forced(tmp_path, capsys):
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["init", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"spm-sim: error: {folder} is not empty (it holds notes.txt)")
    assert "--force" in err
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]  # nothing written

    assert main(["init", str(folder), "--force"]) == 0
    capsys.readouterr()
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"  # left alone
    assert (folder / "scenario.yaml").is_file()
    # a file where the folder should be is named as such
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert main(["init", str(tmp_path / "file")]) == 2
    assert "is a file; give the name of a new or empty folder" in capsys.readouterr().err


@pytest.mark.parametrize("year", [2026, 2031])
def test_starter_history_ends_before_the_plan_year(year):
    files = starter_files(dt.date(year, 6, 30))
    bookings = pd.read_csv(io.StringIO(files["book/bookings.csv"]))
    dates = pd.to_datetime(bookings["date"])
    assert dates.min().year == year - 2 and dates.max().year == year - 1
    assert f'snapshot_date: "{year - 1}-12-31"' in files["book/book.yaml"]
    assert f"plan_year: {year}" in files["scenario.yaml"]
    # two full years, every month, every rep: enough history for the productivity fit
    assert dates.dt.to_period("M").nunique() == 24
    assert bookings.groupby("rep_id").size().min() >= 24


def test_init_writes_the_documented_content(tmp_path, capsys):
    folder = tmp_path / "p"
    assert main(["init", str(folder)]) == 0
    capsys.readouterr()
    written = {name: (folder / name).read_text(encoding="utf-8") for name in FILES}
    assert written == starter_files()  # byte for byte what the function documents
    bookings = pd.read_csv(folder / "book" / "bookings.csv")
    accounts = pd.read_csv(folder / "book" / "accounts.csv")
    reps = pd.read_csv(folder / "book" / "reps.csv")
    # every deal's account and rep exist, and each account belongs to its deal's rep
    assert set(bookings["account_id"]) <= set(accounts["account_id"])
    assert set(bookings["rep_id"]) <= set(reps["rep_id"])
    owner = accounts.set_index("account_id")["rep_id"]
    assert (bookings["account_id"].map(owner) == bookings["rep_id"]).all()
    assert (bookings["amount"] > 0).all() and reps["term_date"].isna().all()
    assert "currency: USD" in written["book/book.yaml"]
    assert (
        "book: book" in written["scenario.yaml"] and "plan: plan.yaml" in written["scenario.yaml"]
    )


def test_a_write_failing_halfway_leaves_the_folder_as_it_was(tmp_path, capsys, monkeypatch):
    import errno

    import spm_sim.cli.init as init

    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["init", str(folder)]) == 2  # not empty: refused
    assert main(["init", str(folder), "--force"]) == 0
    (folder / "plan.yaml").write_text("my plan", encoding="utf-8")  # the user's edit
    (folder / "book" / "reps.csv").unlink()  # and a file they removed
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    capsys.readouterr()

    real = init.write_text
    calls = []

    def failing(path, text):
        calls.append(path)
        if path.name == "plan.yaml":  # the disk fills after reps.csv is written again
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, text)

    monkeypatch.setattr(init, "write_text", failing)
    assert main(["init", str(folder), "--force"]) == 2
    assert "No space left on device" in capsys.readouterr().err
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before  # reps.csv not half-added, plan.yaml not replaced, no .bak left
    assert [p.name for p in calls] == ["reps.csv", "plan.yaml"]  # only what was missing or changed


def test_force_keeps_the_users_edits_as_backups(tmp_path, capsys):
    folder = tmp_path / "p"
    assert main(["init", str(folder)]) == 0
    (folder / "plan.yaml").write_text("my plan", encoding="utf-8")
    (folder / "plan.yaml.bak").write_text("an older backup", encoding="utf-8")
    capsys.readouterr()
    assert main(["init", str(folder), "--force"]) == 0
    out = capsys.readouterr().out
    assert (folder / "plan.yaml").read_text(encoding="utf-8") == starter_files()["plan.yaml"]
    assert (folder / "plan.yaml.bak2").read_text(encoding="utf-8") == "my plan"
    assert (folder / "plan.yaml.bak").read_text(encoding="utf-8") == "an older backup"
    assert f"{folder / 'plan.yaml'}  (yours: plan.yaml.bak2)" in out
    # the files still as init wrote them are named as left alone, not rewritten
    assert "left alone" in out and str(folder / "scenario.yaml") in out


def test_every_target_is_checked_before_anything_is_written(tmp_path, capsys):
    folder = tmp_path / "p"
    (folder / "scenario.yaml").mkdir(parents=True)  # a folder where a file goes
    assert main(["init", str(folder), "--force"]) == 2
    err = capsys.readouterr().err
    assert "nothing written" in err and str(folder / "scenario.yaml") in err
    assert "is an existing folder" in err
    assert sorted(p.name for p in folder.iterdir()) == ["scenario.yaml"]  # nothing else


def test_the_scenario_runs_from_another_folder_by_a_relative_path(tmp_path, capsys, monkeypatch):
    assert main(["init", str(tmp_path / "proj")]) == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    # the book and plan are found beside the scenario, not in the working folder
    code = main(["run", "../proj/scenario.yaml", "--trials", "100", "--out", "r"])
    ran = capsys.readouterr()
    assert code == 0, ran.err
    assert (elsewhere / "r" / "report.html").is_file()
    assert f"Starter {dt.date.today().year}" in ran.out


def test_every_command_in_the_readme_runs_as_written(tmp_path, capsys, monkeypatch):
    """The README's next steps, run from the project folder as a user would copy them."""
    folder = tmp_path / "proj"
    assert main(["init", str(folder)]) == 0
    capsys.readouterr()
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    commands = [
        line.strip().split("  ")[0].split()
        for line in readme.splitlines()
        if line.strip().startswith("spm-sim ")
    ]
    assert [c[1] for c in commands] == ["check", "curve", "run"]
    assert ["spm-sim", "curve", "plan.yaml", "--out", "curve.png"] in commands
    monkeypatch.chdir(folder)
    for command in commands:
        if command[1] == "run":
            command = [*command, "--trials", "50"]
        code = main(command[1:])
        err = capsys.readouterr().err
        assert code == 0, f"{' '.join(command)}: {err}"
    assert (folder / "curve.png").is_file() and (folder / "reports").is_dir()


def test_the_readme_lists_every_column_of_the_files_it_writes(tmp_path, capsys):
    """No pointer to a docs page the user does not have: the columns are in the README,
    from the schema, and they are the headers of the starter files."""
    folder = tmp_path / "proj"
    assert main(["init", str(folder)]) == 0
    out = capsys.readouterr().out
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    assert "docs/data-format.md of the spm_sim source repository" in readme
    assert "docs/data-format.md" not in out  # the command points to the README instead
    assert str(folder / "README.txt") in out
    for name in ("reps", "accounts", "bookings", "pipeline"):
        section = readme.split(f"book/{name}.csv (")[-1].split("\n\n")[0]
        listed = [line.split()[0] for line in section.splitlines()[1:]]
        header = (folder / "book" / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert set(header.split(",")) <= set(listed), name
    lines = {" ".join(line.split()) for line in readme.splitlines()}
    assert "amount number > 0" in lines
    assert "term_date date, optional, not before hire_date" in lines
    assert "rep_id text, must be a rep_id in reps.csv" in lines
    assert "probability number in [0, 1]" in lines
