"""pyproject.toml and environment.yml must list the same dependencies."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[;]", spec.strip(), maxsplit=1)[0].lower()


def pyproject_deps() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {_name(d) for d in data["project"]["dependencies"]}


def conda_deps() -> set[str]:
    names = set()
    text = (ROOT / "environment.yml").read_text()
    deps = text.split("dependencies:", 1)[1]
    for line in deps.splitlines():
        m = re.match(r"^\s+- ([A-Za-z0-9_.\-]+[^:]*)$", line)
        if m:
            names.add(_name(m.group(1)))
    return names - {"python", "pip"}


def test_pyproject_and_environment_list_the_same_packages():
    py, conda = pyproject_deps(), conda_deps()
    assert py - conda == set(), f"in pyproject.toml only: {sorted(py - conda)}"
    assert conda - py == set(), f"in environment.yml only: {sorted(conda - py)}"


def test_core_dependencies_are_declared():
    required = {"jupyterlab", "pandas", "matplotlib", "seaborn", "statsmodels", "nbval", "pytest", "pooch",
                "pyarrow", "python-calamine", "odfpy", "rdata", "geopandas", "linearmodels"}
    assert required <= pyproject_deps()


def test_project_name_is_the_same_everywhere():
    """The distribution name, the citation file and the figures' credit line name the same project."""
    from analysis.report import figures

    name = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    assert name == figures.PROJECT_NAME.lower()
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(rf'^title: "{figures.PROJECT_NAME}: ', cff, re.M)
    assert re.search(r"^cff-version: 1\.2\.0$", cff, re.M) and re.search(r"^authors:\n  - name: ", cff, re.M)
    assert (ROOT / "README.md").read_text(encoding="utf-8").startswith(f"# {figures.PROJECT_NAME}")
    assert figures.PROJECT_NAME in figures.source_line("x", language="fr")
