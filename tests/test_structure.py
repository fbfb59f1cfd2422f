"""The house rules of docs/architecture.md, checked on the source (only the checks of
``__all__`` and of the public API's annotations import the modules).

The layer order is read from docs/architecture.md, so the page and the check cannot
drift apart. Each test names the module, the line and the rule it breaks.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
import re

import pytest
from _imports import ROOT, cycles, import_edges, module_files

STAGES = (
    "book",
    "comp",
    "territory",
    "productivity",
    "quota",
    "capacity",
    "actuals",
    "metrics",
    "response",
    "simulate",
    "sweep",
    "fit_report",
    "track",
)
OUTER = ("viz", "report", "widgets", "cli")
EDGES = import_edges()
MODULES = module_files()


def layer_order() -> list[list[str]]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- layer order: lowest first -->\s*```\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md has no '<!-- layer order: lowest first -->' block"
    return [line.split() for line in block.group(1).splitlines() if line.strip()]


def unit(module: str) -> str:
    """The unit a module belongs to: its stage (face and folder), package or module."""
    parts = module.split(".")
    if len(parts) == 1:
        return "spm_sim"
    head = parts[1]
    return head[1:] if head.startswith("_") and head[1:] in STAGES else head


LAYERS = layer_order()
LEVEL = {name: i for i, line in enumerate(LAYERS) for name in line}


def test_the_layer_order_names_every_unit_once():
    names = [n for line in LAYERS for n in line]
    assert len(names) == len(set(names)), f"a unit is listed twice: {names}"
    units = {unit(m) for m in MODULES} - {"spm_sim"}
    assert units == set(names), (
        f"units missing from the layer order: {sorted(units - set(names))}; "
        f"listed but not in the package: {sorted(set(names) - units)}"
    )


def test_no_import_cycles():
    found = cycles(EDGES)
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_no_import_against_the_layer_order():
    bad = []
    for e in EDGES:
        if e.target == "spm_sim":
            bad.append(f"{e.source}:{e.line} imports the package spm_sim (use the module)")
            continue
        a, b = unit(e.source), unit(e.target)
        if a == b or a == "spm_sim":
            continue
        if LEVEL[b] >= LEVEL[a]:
            bad.append(
                f"{e.source}:{e.line} ({a}, line {LEVEL[a] + 1}) imports {e.target} "
                f"({b}, line {LEVEL[b] + 1})"
            )
    assert not bad, "imports against the layer order:\n" + "\n".join(bad)


def test_a_stage_folder_is_used_by_its_face_and_its_own_files_only():
    bad = []
    for e in EDGES:
        parts = e.target.split(".")
        if len(parts) < 3 or not parts[1].startswith("_"):
            continue
        folder = ".".join(parts[:2])
        face = "spm_sim." + parts[1][1:]
        if e.source != face and not e.source.startswith(folder + "."):
            bad.append(f"{e.source}:{e.line} reaches into {e.target}")
    assert not bad, "use the stage's face instead:\n" + "\n".join(bad)


def test_a_stage_face_is_not_imported_by_its_own_folder():
    bad = [
        f"{e.source}:{e.line} imports {e.target}"
        for e in EDGES
        if e.source.startswith(f"spm_sim._{e.target.split('.')[-1]}.")
        and e.target.split(".")[-1] in STAGES
    ]
    assert not bad, "a folder importing its face closes a cycle:\n" + "\n".join(bad)


def test_no_private_name_crosses_units():
    bad = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            if not node.module.startswith("spm_sim.") or unit(node.module) == unit(module):
                continue
            for a in node.names:
                if a.name.startswith("_"):
                    bad.append(f"{module}:{node.lineno} imports {node.module}.{a.name}")
    assert not bad, "private names used outside their unit:\n" + "\n".join(bad)


PRIVATE = re.compile(r"\bspm_sim(?:\.\w+)*\._\w+|from spm_sim(?:\.\w+)* import [^\n]*\b_[a-z]\w*")


def _outside_files():
    for folder in ("notebooks", "benchmarks", "docs"):
        yield from sorted((ROOT / folder).rglob("*.ipynb"))
        yield from sorted((ROOT / folder).rglob("*.py"))
        yield from sorted((ROOT / folder).rglob("*.md"))
    yield ROOT / "README.md"


def _text(path):
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n".join("".join(c["source"]) for c in cells)
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", list(_outside_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_benchmarks_and_docs_use_public_names(path):
    found = PRIVATE.findall(_text(path))
    assert not found, f"{path.relative_to(ROOT)} uses private names: {found}"


def test_tests_import_a_stage_folder_only_in_that_stage_tests():
    bad = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        if path.name == "test_structure.py":  # its self-test builds a scratch package
            continue
        for m in re.finditer(r"spm_sim\._(\w+)", path.read_text(encoding="utf-8")):
            stage = m.group(1)
            if stage in STAGES and not path.stem.startswith(f"test_{stage}"):
                bad.append(f"{path.name}: spm_sim._{stage}")
    assert not bad, "tests of other stages use public names:\n" + "\n".join(bad)


PUBLIC = [m for m in MODULES if not any(p.startswith("_") for p in m.split(".")[1:])]


@pytest.mark.parametrize("module", PUBLIC)
def test_every_public_module_declares_all_and_every_name_exists(module):
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    declared = [
        n
        for n in tree.body
        if isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in n.targets)
    ]
    if MODULES[module].name == "__main__.py":
        return
    assert declared, f"{module} declares no __all__"
    names = ast.literal_eval(declared[0].value)
    mod = __import__(module, fromlist=["_"])
    missing = [n for n in names if not hasattr(mod, n)]
    assert not missing, f"{module}.__all__ names what it does not define: {missing}"


#: The package, its faces and its public packages: the modules whose ``__all__`` is the API.
FACES = [m for m in PUBLIC if m.count(".") <= 1]


def _ours(obj) -> bool:
    return (getattr(obj, "__module__", None) or "").split(".")[0] == "spm_sim"


def _methods(cls):
    """The public methods (and ``__init__``, ``__call__``) of a class, properties' getters
    included, as ``(name, function, bound)``; what third-party bases define is theirs."""
    seen = set()
    for klass in cls.__mro__:
        if not _ours(klass):
            continue  # BaseModel, Figure, Exception, ...: not ours to annotate
        for name, attr in vars(klass).items():
            if name in seen or (name.startswith("_") and name not in ("__init__", "__call__")):
                continue
            seen.add(name)
            bound = not isinstance(attr, staticmethod)
            if isinstance(attr, (staticmethod, classmethod)):
                attr = attr.__func__
            elif isinstance(attr, property):
                attr = attr.fget
            elif isinstance(attr, functools.cached_property):
                attr = attr.func
            if inspect.isfunction(attr) and _ours(attr):
                yield name, attr, bound


def _unannotated(fn, *, bound: bool) -> list[str]:
    """The parameters (``self``/``cls`` aside) and the return ``fn`` leaves unannotated."""
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())[1 if bound else 0 :]
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    if sig.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def public_callables():
    """Every public function and public method reachable from the faces' ``__all__``."""
    out = {}
    for module in FACES:
        mod = importlib.import_module(module)
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name)
            if inspect.isfunction(obj) and _ours(obj):
                out[f"{obj.__module__}.{obj.__qualname__}"] = (obj, False)
            elif inspect.isclass(obj) and _ours(obj):
                for meth, fn, bound in _methods(obj):
                    out[f"{obj.__module__}.{obj.__qualname__}.{meth}"] = (fn, bound)
    return out


def test_every_public_function_is_fully_annotated():
    """Type hints on every parameter and return of the public API (mypy checks the bodies
    of annotated functions only; tests/test_lint.py runs it)."""
    found = public_callables()
    assert len(found) > 100, f"too few public callables found ({len(found)}): the walk broke"
    bad = [
        f"{where}: {', '.join(missing)}"
        for where, (fn, bound) in sorted(found.items())
        if (missing := _unannotated(fn, bound=bound))
    ]
    assert not bad, f"{len(bad)} public function(s) lack annotations:\n" + "\n".join(bad)


def test_the_rules_catch_a_breach(tmp_path):
    """The checker itself: a cycle and a reach-in in a scratch package are found."""
    pkg = tmp_path / "spm_sim"
    (pkg / "_comp").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "_comp" / "__init__.py").write_text("")
    (pkg / "_comp" / "kernel.py").write_text("from spm_sim.book import x\n")
    (pkg / "book.py").write_text("def f():\n    from spm_sim._comp.kernel import y\n")
    edges = import_edges(pkg)
    assert cycles(edges) == [["spm_sim._comp.kernel", "spm_sim.book"]]
    assert any(e.in_function and e.target == "spm_sim._comp.kernel" for e in edges)
