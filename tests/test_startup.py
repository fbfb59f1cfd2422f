"""Fast start: ``import spm_sim``, ``spm-sim --help`` and ``spm-sim check`` load no
plotting or statistics stack.

Each case runs in a fresh interpreter (``sys.executable -X importtime -c ...``) and
reads its ``sys.modules`` at the end; a failure names every heavy module that
loaded and the chain of imports that brought it in. Nothing here is timed:
``benchmarks/bench_startup.py`` measures the milliseconds.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_BOOK = ROOT / "data" / "sample"
#: loaded only when a command needs them (a figure, a fit, a capacity run)
HEAVY = ("matplotlib", "seaborn", "scipy.stats", "simpy", "ipywidgets", "tqdm")
_LINE = re.compile(r"^import time:\s+\d+\s+\|\s+\d+\s+\| ( *)(\S+)\s*$")

_REPORT = f"""
import json, sys
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def _chain(lines: list[tuple[int, str]], name: str) -> str:
    """``a -> b -> name``: who imported ``name`` first (``-X importtime`` prints a
    module after everything it imports, indented one level deeper). Some packages
    (``scipy.stats``) get no line of their own; their first submodule stands in."""
    names = [module for _depth, module in lines]
    if name in names:
        at = names.index(name)
    else:
        inside = [i for i, module in enumerate(names) if module.startswith(name + ".")]
        if not inside:
            return f"{name} (no -X importtime line)"
        at = inside[0]
    depth, chain = lines[at][0], [lines[at][1]]
    for d, module in lines[at + 1 :]:
        if d < depth:
            chain.append(module)
            depth = d
    return " -> ".join(reversed(chain))


def heavy_modules_after(code: str) -> tuple[list[str], str]:
    """Run ``code`` in a fresh interpreter: the ``HEAVY`` modules it left loaded, and
    the import chain of each (for the failure message)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code + _REPORT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = []
    for line in proc.stderr.splitlines():
        m = _LINE.match(line)
        if m:
            lines.append((len(m.group(1)) // 2, m.group(2)))
    other = "\n".join(line for line in proc.stderr.splitlines() if not _LINE.match(line))
    assert proc.returncode == 0, f"the probe failed ({proc.returncode}):\n{other[-3000:]}"
    leaked = json.loads(proc.stdout.strip().splitlines()[-1])
    chains = "\n".join(f"  {_chain(lines, m)}" for m in leaked)
    return leaked, chains


CASES = {
    "import spm_sim": "import spm_sim",
    "import spm_sim.cli": "import spm_sim.cli",
    "spm-sim --help": (
        "import contextlib, io\n"
        "from spm_sim.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, exc.code\n"
        "    else:\n"
        "        raise AssertionError('--help did not exit')\n"
        "assert 'usage: spm-sim' in out.getvalue(), out.getvalue()\n"
    ),
    "spm-sim check data/sample": (
        "import contextlib, io\n"
        "from spm_sim.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    status = main(['check', {str(SAMPLE_BOOK)!r}])\n"
        "assert status == 0 and 'valid.' in out.getvalue(), (status, out.getvalue())\n"
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_no_plotting_or_statistics_stack_at_start(case):
    leaked, chains = heavy_modules_after(CASES[case])
    assert leaked == [], f"{case} loaded {', '.join(leaked)}:\n{chains}"


def test_the_probe_sees_a_heavy_import():
    """The check above can fail: importing the figures loads matplotlib and seaborn."""
    leaked, chains = heavy_modules_after("import spm_sim.viz")
    assert {"matplotlib", "seaborn"} <= set(leaked), leaked
    assert "spm_sim.viz -> " in chains and "-> matplotlib" in chains, chains


def test_quotas_help_lists_the_methods_read_on_demand(capsys):
    """``--method``'s choices come from ``spm_sim.quota.METHODS`` when help is printed."""
    from spm_sim.cli import main
    from spm_sim.quota import METHODS

    with pytest.raises(SystemExit) as exc:
        main(["quotas", "--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "quota method: " + ", ".join(METHODS) + " (default: the scenario's)" in text


def test_an_unknown_quota_method_is_refused_with_the_choices(capsys):
    from spm_sim.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["quotas", "scenario.yaml", "--method", "potental"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --method: invalid choice: 'potental'" in err
    assert "'potential'" in err and "'calibrated'" in err
