"""The layer rule of ARCHITECTURE.md, enforced over every import of the package (lazy ones included).

data < geo < methods < report < run: a module imports only its own layer and the layers below it;
``analysis.paths`` imports nothing of the package; computing layers (data, geo, methods) import no
plotting library; there is no import cycle between modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "analysis"
LAYERS = ["paths", "data", "geo", "methods", "report", "run"]
#: Entry points may import any layer (the command line, ``python -m analysis``, the public API).
ENTRIES = {"analysis", "analysis.cli", "analysis.__main__"}
PLOTTING = ("matplotlib", "seaborn", "geopandas.plotting")


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module named by an import statement of ``path`` (absolute names; relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _module_name(path)
    package = own if path.name == "__init__.py" else own.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)  # `from analysis.methods import cells`
    return out


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "analysis" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


def _package_imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the package modules it imports (names that are packages or modules of the tree)."""
    graph = {}
    for name, path in modules.items():
        graph[name] = {m for m in _imports(path) if m in modules and m != name}
    return graph


def test_every_module_belongs_to_a_layer_or_is_an_entry_point():
    stray = [m for m in _modules() if m not in ENTRIES and _layer(m) is None]
    assert not stray, f"modules outside the layers of ARCHITECTURE.md: {stray}"


def test_layers_import_only_themselves_and_the_layers_below():
    modules = _modules()
    bad = []
    for name, imported in _package_imports(modules).items():
        if name in ENTRIES:
            continue
        rank = LAYERS.index(_layer(name))
        for m in imported:
            layer = _layer(m)
            if layer is not None and LAYERS.index(layer) > rank:
                bad.append(f"{name} imports {m} ({layer} is above {_layer(name)})")
    assert not bad, "\n".join(bad)


def test_paths_imports_nothing_of_the_package():
    assert not {m for m in _imports(SRC / "paths.py") if m.startswith("analysis")}


@pytest.mark.parametrize("layer", ["data", "geo", "methods"])
def test_computing_layers_import_no_plotting_library(layer):
    bad = [f"{name}: {m}" for name, path in _modules().items() if _layer(name) == layer
           for m in _imports(path) if m.startswith(PLOTTING)]
    assert not bad, f"computing modules that import a plotting library: {bad}"


def test_no_import_cycles():
    graph = _package_imports(_modules())
    # a package's __init__ re-exporting its modules is not a cycle of theirs
    edges = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()}
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in sorted(edges.get(m, ())):
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_rule_catches_a_violation(tmp_path, monkeypatch):
    """The checks above can fail: a methods module importing matplotlib and the report layer is caught."""
    pkg = tmp_path / "analysis"
    (pkg / "methods").mkdir(parents=True)
    (pkg / "report").mkdir()
    for f in ("__init__.py", "methods/__init__.py", "report/__init__.py", "report/figures.py"):
        (pkg / f).write_text("")
    (pkg / "methods" / "bad.py").write_text("import matplotlib.pyplot as plt\nfrom analysis.report import figures\n")
    monkeypatch.setattr(__import__(__name__), "SRC", pkg)
    with pytest.raises(AssertionError, match="methods.bad imports analysis.report"):
        test_layers_import_only_themselves_and_the_layers_below()
    with pytest.raises(AssertionError, match="matplotlib"):
        test_computing_layers_import_no_plotting_library("methods")
