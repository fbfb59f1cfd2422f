"""Start-up cost of the command line and of ``import spm_sim``, next to ``import numpy``.

Run: .venv/bin/python benchmarks/bench_startup.py [--quick]

Every figure comes from a fresh interpreter (a subprocess of this script), so nothing
is cached in memory between runs; the runs of the rows are interleaved, and each row
keeps the best (smallest) of its runs: 5 each, ``--quick`` 2.

* ``import numpy``, ``import spm_sim``, ``import spm_sim.cli``: the cumulative
  microseconds that ``python -X importtime -c "import X"`` reports on the top-level
  line of ``X`` (everything ``X`` imports is nested under it, the package
  ``spm_sim`` under ``spm_sim.cli`` too). numpy is the peer: the ratios to it are
  comparable across machines and loads. **The issue's target: ``cli_import_ms`` at
  most 300.**
* ``spm-sim --help`` and ``spm-sim check data/sample``: wall time of the whole
  command (the ``spm-sim`` script beside this interpreter, else ``python -m
  spm_sim.cli``), interpreter start-up included; ``python -c pass`` is that floor.
* ``loaded``: which of the heavy stacks (``WATCH``) each of them imported, read from
  one more ``-X importtime`` run; ``matplotlib``, ``seaborn``, ``scipy.stats``,
  ``simpy``, ``ipywidgets`` and ``tqdm`` should not be among them.

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_BOOK = ROOT / "data" / "sample"
TARGET_CLI_MS = 300.0
#: stacks worth knowing about when they load; the last six must not load at start-up
WATCH = (
    "numpy",
    "pandas",
    "pydantic",
    "yaml",
    "scipy",
    "matplotlib",
    "seaborn",
    "scipy.stats",
    "simpy",
    "ipywidgets",
    "tqdm",
)
HEAVY = ("matplotlib", "seaborn", "scipy.stats", "simpy", "ipywidgets", "tqdm")
IMPORTS = ("numpy", "spm_sim", "spm_sim.cli")
#: "import time: self | cumulative | name", the name indented two spaces a level
LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\| ( *)(\S+)\s*$")


def importtime_lines(args: list[str]) -> list[tuple[int, int, str]]:
    """``(cumulative us, depth, module)`` of every ``-X importtime`` line of a run."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    out = []
    for line in proc.stderr.splitlines():
        m = LINE.match(line)
        if m:
            out.append((int(m.group(2)), len(m.group(3)) // 2, m.group(4)))
    return out


def import_ms(module: str) -> float:
    """Milliseconds to import ``module`` in a fresh interpreter (its top-level line)."""
    lines = importtime_lines(["-c", f"import {module}"])
    found = [us for us, depth, name in lines if depth == 0 and name == module]
    if len(found) != 1:
        raise SystemExit(f"-X importtime printed {len(found)} top-level lines for {module}")
    return found[0] / 1000


def loaded(args: list[str]) -> list[str]:
    """The ``WATCH`` stacks among the modules a run imports."""
    names = {name for _us, _depth, name in importtime_lines(args)}
    return [w for w in WATCH if w in names]


def wall_ms(command: list[str]) -> float:
    """Wall milliseconds of ``command``, which must succeed."""
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def cli_command() -> tuple[list[str], str]:
    """How to run ``spm-sim``: the installed script beside this interpreter if any."""
    script = Path(sys.executable).with_name("spm-sim")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)], "spm-sim"
    return [sys.executable, "-m", "spm_sim.cli"], "python -m spm_sim.cli"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 runs per row instead of 5")
    args = parser.parse_args()
    runs = 2 if args.quick else 5

    cli, cli_name = cli_command()
    walls = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "spm-sim --help": [*cli, "--help"],
        "spm-sim check data/sample": [*cli, "check", str(SAMPLE_BOOK)],
    }
    load_before = os.getloadavg()[0]
    imports: dict[str, list[float]] = {m: [] for m in IMPORTS}
    times: dict[str, list[float]] = {k: [] for k in walls}
    for _ in range(runs):  # interleaved, so a busy moment hits every row alike
        for module in IMPORTS:
            imports[module].append(import_ms(module))
        for key, command in walls.items():
            times[key].append(wall_ms(command))
    best = {m: min(v) for m, v in imports.items()}
    best_wall = {k: min(v) for k, v in times.items()}
    stacks = {f"import {m}": loaded(["-c", f"import {m}"]) for m in IMPORTS}
    stacks["spm-sim --help"] = loaded(["-m", "spm_sim.cli", "--help"])
    stacks["spm-sim check data/sample"] = loaded(["-m", "spm_sim.cli", "check", str(SAMPLE_BOOK)])
    load = (load_before, os.getloadavg()[0])

    numpy_ms, cli_ms = best["numpy"], best["spm_sim.cli"]
    print(
        f"start-up, best of {runs} fresh interpreters per row (Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, 1-minute load average "
        f"{load[0]:.2f} at the start and {load[1]:.2f} at the end)"
    )
    print(f"{'row':<28}{'ms':>9}{'x numpy':>9}  loaded")
    for module in IMPORTS:
        ms = best[module]
        row = f"import {module}"
        print(f"{row:<28}{ms:>9.1f}{ms / numpy_ms:>9.2f}  {', '.join(stacks[row]) or '-'}")
    for key in walls:
        ms = best_wall[key]
        print(f"{key:<28}{ms:>9.1f}{'':>9}  {', '.join(stacks.get(key, [])) or '-'}")
    print(
        f"import rows: -X importtime cumulative; command rows: wall time of {cli_name}, "
        "interpreter start-up included"
    )
    leaked = {row: [h for h in found if h in HEAVY] for row, found in stacks.items()}
    leaked = {row: found for row, found in leaked.items() if found}
    print(
        f"cli_import_ms = {cli_ms:.1f}; target <= {TARGET_CLI_MS:.0f}: "
        + ("met" if cli_ms <= TARGET_CLI_MS else "MISSED")
    )
    print(
        "heavy stacks at start-up: "
        + ("none" if not leaked else "; ".join(f"{r}: {', '.join(f)}" for r, f in leaked.items()))
    )

    print(
        json.dumps(
            {
                "benchmark": "startup",
                "machine": platform.machine(),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "load_average": [round(x, 2) for x in load],
                "runs": runs,
                "numpy_import_ms": round(numpy_ms, 1),
                "spm_sim_import_ms": round(best["spm_sim"], 1),
                "cli_import_ms": round(cli_ms, 1),
                "spm_sim_vs_numpy": round(best["spm_sim"] / numpy_ms, 3),
                "cli_vs_numpy": round(cli_ms / numpy_ms, 3),
                "python_startup_ms": round(best_wall["python -c pass"], 1),
                "help_ms": round(best_wall["spm-sim --help"], 1),
                "check_ms": round(best_wall["spm-sim check data/sample"], 1),
                "cli_command": cli_name,
                "loaded": stacks,
                "heavy_loaded": leaked,
                "target_cli_ms": TARGET_CLI_MS,
                "meets_target": bool(cli_ms <= TARGET_CLI_MS and not leaked),
            }
        )
    )


if __name__ == "__main__":
    main()
