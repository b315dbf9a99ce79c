"""What-if runs: a notebook executed with other parameters, into ``runs/``, never touching committed outputs.

``recalcul whatif 01 --set WINDOW=2010-2019 --set LEVEL=dep`` (also ``recalcul run 01 --set ...`` and
``make run NB=01 WINDOW=2010-2019 LEVEL=dep``) renders one notebook with papermill's parameter injection
(an ``injected-parameters`` cell after the notebook's ``parameters`` cell) and nbclient, into
``runs/<notebook>-<slug of the parameters>/``:

- ``<notebook>.ipynb`` (executed) and ``<notebook>.html``;
- ``results/`` (the claims the run records: its own ``claims_results.csv``, never ``results/`` of the
  repository), ``figures/`` (French, ``figures/en/`` English) and ``tables/``
  (``ANALYSIS_RESULTS_DIR``, ``ANALYSIS_FIGURES_DIR`` and ``ANALYSIS_TABLES_DIR`` point there while it runs).

The names a notebook accepts, and their defaults, are read from its ``parameters`` cell (top-level
``NAME = literal`` assignments): the cell is the one list. A value is checked before any work, and a bad
one is refused in one line (:class:`WhatIfError`): an unknown name, a value of the wrong type, a window
that is not ``YYYY-YYYY`` or lies outside the years the data hold (:data:`analysis.methods.panels.YEARS`),
a level or definition not among the choices (:data:`CHECKS`). Only the default, in-place run
(``recalcul run``, ``make notebooks``) records claims into ``results/``.
"""

from __future__ import annotations

import ast
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from analysis.paths import NOTEBOOKS_DIR, REPO_ROOT, environment

#: where what-if runs go (git-ignored)
RUNS_DIR = REPO_ROOT / "runs"
PARAMETERS_TAG = "parameters"


class WhatIfError(ValueError):
    """A refused what-if request (unknown notebook or parameter, bad value): one line, before any work."""


# ---------------------------------------------------------------------------------------------
# The checks of each parameter (name -> check(value, all parameters) raising WhatIfError)
# ---------------------------------------------------------------------------------------------

def parse_window(name: str, value) -> tuple[int, int]:
    """``(start, end)`` of a ``"YYYY-YYYY"`` window with start < end; anything else refused naming ``name``."""
    m = re.fullmatch(r"\s*(\d{4})\s*-\s*(\d{4})\s*", str(value))
    if not m:
        raise WhatIfError(f"{name}={value!r} is not a window: give it as YYYY-YYYY, e.g. {name}=2010-2019")
    start, end = int(m.group(1)), int(m.group(2))
    if end <= start:
        raise WhatIfError(f"{name}={value}: the end year must be after the start year")
    return start, end


def window_in(years_of: Callable[[Mapping], tuple[Sequence[int], str]]):
    """A check: a ``YYYY-YYYY`` window whose two years are among ``years_of(params) -> (years, what)``."""

    def check(name: str, value, params: Mapping) -> None:
        start, end = parse_window(name, value)
        years, what = years_of(params)
        missing = [y for y in (start, end) if y not in years]
        if missing:
            from analysis.data.validate import years_text

            raise WhatIfError(f"{name}={value} lies outside the data: {what} hold the years {years_text(years)} "
                              f"(no {', '.join(map(str, missing))})")
    return check


def one_of(choices: Callable[[], Sequence[str]] | Sequence[str]):
    """A check: the value is one of ``choices``."""

    def check(name: str, value, params: Mapping) -> None:
        allowed = list(choices() if callable(choices) else choices)
        if value not in allowed:
            raise WhatIfError(f"{name}={value!r} is not known; {name} must be one of {', '.join(map(str, allowed))}")
    return check


def year_in(years: Sequence[int], what: str):
    """A check: a whole year among ``years``."""

    def check(name: str, value, params: Mapping) -> None:
        if value not in years:
            from analysis.data.validate import years_text

            raise WhatIfError(f"{name}={value} lies outside the data: {what} hold the years {years_text(years)}")
    return check


def _panel_years(panel: str):
    def years_of(params: Mapping) -> tuple[Sequence[int], str]:
        from analysis.methods import panels

        return panels.YEARS[panel], panels.PANELS[panel][1].split(",")[0]
    return years_of


def _level_years(params: Mapping) -> tuple[Sequence[int], str]:
    from analysis.methods import panels

    name = panels.LEVEL_PANELS[params["LEVEL"]]
    return panels.YEARS[name], f"LEVEL={params['LEVEL']} ({panels.PANELS[name][1].split(',')[0]})"


def _levels() -> list[str]:
    from analysis.methods import panels

    return list(panels.LEVEL_PANELS)


def territory(name: str, value, params: Mapping) -> None:
    """A check of notebook 06's territory (``LEVEL``, ``CODES``, ``WAVE`` together), read as ``recalcul profile``
    reads it (:func:`analysis.geo.request.check_request`): an unknown code, a wave for another level... refused
    in one line before any work."""
    from analysis.geo import areas, request

    try:
        request.check_request(params["LEVEL"], list(params["CODES"]), params["WAVE"])
    except areas.UnknownAreaError as err:
        # the resolver's hints name the profile's options ('use COMMUNE=75056'): here, the notebook's parameters
        said = re.sub(r"\b(TI|EPCI|ZE|DEP|REG|COMMUNE)=([^\s;,()]+)",
                      lambda m: f"LEVEL={_PROFILE_LEVELS[m.group(1)]} CODES={m.group(2)}", err.args[0])
        said = re.sub(r"pass wave='(\d{4})'", r"WAVE=\1", said)
        raise WhatIfError(f"LEVEL={params['LEVEL']} CODES={','.join(params['CODES'])}"
                          f"{' WAVE=' + str(params['WAVE']) if params['WAVE'] else ''}: {said}") from None


#: ``recalcul profile``'s options (``make profile`` variables) -> notebook 06's ``LEVEL``
_PROFILE_LEVELS = {"TI": "ti", "EPCI": "epci", "ZE": "ze2020", "DEP": "dep", "REG": "reg", "COMMUNE": "commune"}


def pole_territory(name: str, value, params: Mapping) -> None:
    """A check of notebook 04's territory: ``TI_ID`` (a TI of the 2023-2027 wave), else ``EPCIS`` (SIRENs), else the
    members of ``POLE_SIREN`` (a groupement's 9-digit SIREN), read as the profile reads them; refused in one line."""
    from analysis.geo import areas, request

    try:
        if params["TI_ID"]:
            request.check_request("ti", [params["TI_ID"]], None)
        elif params["EPCIS"]:
            request.check_request("epci", list(params["EPCIS"]), None)
        elif not re.fullmatch(r"\d{9}", str(params["POLE_SIREN"])):
            raise WhatIfError(f"POLE_SIREN={params['POLE_SIREN']!r} is not a groupement's 9-digit SIREN "
                              "(e.g. 200041036, the Pôle métropolitain Clermont Vichy Auvergne)")
    except areas.UnknownAreaError as err:
        what = f"TI_ID={params['TI_ID']}" if params["TI_ID"] else f"EPCIS={','.join(params['EPCIS'])}"
        raise WhatIfError(f"{what}: {err.args[0]}") from None


def _definitions() -> list[str]:
    from analysis.methods import multiplier

    return list(multiplier.DEFINITIONS)


#: notebook stem -> {parameter: check(name, value, params)}; the order is the order of checking (a window
#: is checked after the level it depends on). Every name of a notebook's parameters cell has a check
#: (tests/test_whatif.py); a notebook without an entry accepts any value of its defaults' types.
CHECKS: dict[str, dict[str, Callable]] = {
    "01_local_multiplier": {
        "LEVEL": one_of(_levels),
        "DEFINITION": one_of(_definitions),
        "WINDOW": window_in(_level_years),
    },
    "02_territorial_dynamics": {
        "ESTEL_WINDOW": window_in(_panel_years("estel_ze2010")),
        "URSSAF_WINDOW": window_in(_panel_years("urssaf_ze2020_a38")),
    },
    "03_energy_transition": {
        # the Eurostat nrg_bal_c extract the notebook loads (industry_electricity(eurostat, range(1990, 2024)))
        "BASE_YEAR": year_in(tuple(range(1990, 2024)), "the Eurostat energy balance extract (nrg_bal_c)"),
    },
    "04_clermont_vichy_auvergne": {"TI_ID": pole_territory},
    "06_territory_profile": {"CODES": territory},
}

#: notebook stem -> {parameter whose default is None: the type a value given on the command line takes}
KINDS: dict[str, dict[str, type]] = {"04_clermont_vichy_auvergne": {"EPCIS": list}}

#: notebook stem -> {parameter: its value when not given, from the others}: notebook 06's wave is that of a
#: Territoire d'industrie only (``--set LEVEL=dep --set CODES=976`` runs without ``WAVE``); notebook 04's name,
#: pôle sections and marker are the pôle's only
FOLLOWS: dict[str, dict[str, Callable[[Mapping], object]]] = {
    # notebook 04 for another territory (TI_ID or EPCIS): its own name, no pôle sections, no Issoire marker
    "04_clermont_vichy_auvergne": {
        "NAME": lambda p: p["NAME"] if not (p["TI_ID"] or p["EPCIS"]) else None,
        "POLE_ANALYSIS": lambda p: p["POLE_ANALYSIS"] and not (p["TI_ID"] or p["EPCIS"]),
        "MARKERS": lambda p: p["MARKERS"] if not (p["TI_ID"] or p["EPCIS"]) else {},
    },
    "06_territory_profile": {"WAVE": lambda p: p["WAVE"] if str(p["LEVEL"]).lower() == "ti" else None},
}


# ---------------------------------------------------------------------------------------------
# Reading a notebook's parameters, checking a request
# ---------------------------------------------------------------------------------------------

def find_notebook(name: str, folder: Path = NOTEBOOKS_DIR) -> Path:
    """The one notebook of ``folder`` whose stem starts with ``name`` (``"01"``, ``"01_local_multiplier"``)."""
    name = name.zfill(2) if name.isdigit() else name  # NB=6 is notebook 06
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.stem.startswith(name) or p.name == name)
    if len(found) != 1:
        known = ", ".join(p.stem for p in sorted(folder.glob("[0-9][0-9]_*.ipynb")) if parameters_cell(p) is not None)
        what = "no notebook" if not found else f"{len(found)} notebooks ({', '.join(p.stem for p in found)})"
        raise WhatIfError(f"NB={name!r} matches {what}; notebooks with parameters: {known}")
    return found[0]


def parameters_cell(path: Path):
    """The source of the code cell tagged ``parameters`` of notebook ``path``, or None."""
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and PARAMETERS_TAG in cell.get("metadata", {}).get("tags", []):
            return cell.source
    return None


def describe(path: Path) -> str:
    """What a what-if run of ``path`` may change: the notebook's "## Parameters" text (the markdown cell just above
    the parameters cell, when it has that heading) and the parameters cell itself, defaults and comments."""
    import nbformat

    cells = nbformat.read(path, as_version=4).cells
    at = next((i for i, c in enumerate(cells) if c.cell_type == "code"
               and PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])), None)
    if at is None:
        defaults(path)  # the refusal of a notebook without parameters
    above = cells[at - 1] if at else None
    text = (above.source.split("\n", 1)[1].strip() + "\n\n"
            if above is not None and above.cell_type == "markdown" and above.source.startswith("## Parameters") else "")
    nb = path.stem[:2]
    return (f"{path.stem}: give any of these with `recalcul whatif {nb} --set NAME=VALUE` or `make run NB={nb} "
            f"NAME=VALUE` (a list comma-separated); the others keep their defaults\n\n{text}{cells[at].source.strip()}")


def defaults(path: Path) -> dict:
    """``name -> default`` of the notebook's parameters cell (its top-level ``NAME = literal`` assignments)."""
    source = parameters_cell(path)
    if source is None:
        raise WhatIfError(f"{path.stem} has no parameters cell (a code cell tagged {PARAMETERS_TAG!r}): "
                          "it has no what-if run")
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def _convert(name: str, text, default):
    if isinstance(text, str) and text.strip() == "None" and not isinstance(default, str):
        return None  # --set TI_ID=None: the cell's None
    if not isinstance(text, str) or isinstance(default, str) or default is None:
        return text
    if isinstance(default, bool):
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise WhatIfError(f"{name}={text!r} is not true or false")
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise WhatIfError(f"{name}={text!r} is not a whole number (e.g. {name}={default})") from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise WhatIfError(f"{name}={text!r} is not a number (e.g. {name}={default})") from None
    if isinstance(default, list):  # comma-separated, each item of the type of the default's items
        items = [t.strip() for t in text.split(",")]
        if not all(items):
            raise WhatIfError(f"{name}={text!r}: give comma-separated values, none empty (e.g. {name}="
                              f"{','.join(map(str, default)) or 'a,b'})")
        return [_convert(name, t, default[0]) for t in items] if default else items
    raise WhatIfError(f"{name} takes a {type(default).__name__}, which the command line cannot give")


def check(path: Path, given: Mapping[str, object]) -> dict:
    """The full parameter set of a what-if run of ``path``: the defaults overridden by ``given`` (values
    as typed on the command line are converted to the default's type), each checked; refused in one line
    (:class:`WhatIfError`) otherwise. Returns ``name -> value`` in the cell's order."""
    known = defaults(path)
    unknown = [k for k in given if k not in known]
    if unknown:
        raise WhatIfError(f"{path.stem} has no parameter {', '.join(unknown)}; its parameters: "
                          + ", ".join(f"{k} (default {v})" for k, v in known.items())
                          + f" (what they mean: recalcul whatif {path.stem[:2]} --list)")
    kinds = KINDS.get(path.stem, {})
    params = {k: _convert(k, given[k], kinds[k]() if v is None and k in kinds else v) if k in given else v
              for k, v in known.items()}
    for name, follow in FOLLOWS.get(path.stem, {}).items():
        if name not in given:
            params[name] = follow(params)
    for name, check_one in CHECKS.get(path.stem, {}).items():
        check_one(name, params[name], params)
    return params


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """``["WINDOW=2010-2019", "LEVEL=dep"]`` -> ``{"WINDOW": "2010-2019", "LEVEL": "dep"}``."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise WhatIfError(f"{item!r} is not NAME=VALUE (e.g. WINDOW=2010-2019)")
        out[name.strip()] = value.strip()
    return out


def slug(path: Path, given: Mapping[str, object]) -> str:
    """``01_local_multiplier-level-dep-window-2010-2019``: the notebook and the given parameters, sorted
    (``-defaults`` when none is given)."""
    parts = [f"{k}-{v}" for k, v in sorted(given.items())] or ["defaults"]
    text = "-".join(parts).lower()
    return f"{path.stem}-" + re.sub(r"[^a-z0-9._-]+", "-", text).strip("-")


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

def render(name: str | Path, given: Mapping[str, object] | None = None, out_root: Path | None = None, *,
           timeout: int = 1800, html: bool = True, report: Callable[[str], None] = print) -> dict[str, Path]:
    """Execute notebook ``name`` with the parameters ``given`` into ``<out_root>/<slug>/`` (default
    ``runs/``); the request is checked first (:func:`check`). The notebook runs in a temporary folder with
    its results, figures and tables redirected there, and only a complete run replaces the folder. Returns
    the paths written (``dir``, ``notebook``, ``html``, ``results``, ``figures``)."""
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from analysis.data.locking import replace_tree
    from analysis.report.kernel import notebook_client
    from analysis.run.notebooks import coalesce_streams

    path = Path(name) if isinstance(name, Path) else find_notebook(name)
    given = dict(given or {})
    params = check(path, given)
    target = Path(out_root or RUNS_DIR) / slug(path, given)
    report(f"what-if run of {path.stem} with " + ", ".join(f"{k}={v}" for k, v in params.items())
           + f" -> {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{target.name}.") as tmp:
        tmp = Path(tmp)
        with environment(ANALYSIS_RESULTS_DIR=tmp / "results", ANALYSIS_FIGURES_DIR=tmp / "figures",
                         ANALYSIS_TABLES_DIR=tmp / "tables"):
            nb = parameterize_notebook(load_notebook_node(str(path)), params)
            with notebook_client(nb, path.parent, timeout=timeout) as client:
                client.execute()
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = coalesce_streams(cell.outputs)
        nb.metadata.setdefault("recalcul", {})["whatif"] = {"notebook": path.name, "given": given,
                                                             "parameters": params}
        nbformat.write(nb, tmp / path.name)
        written = {"dir": target, "notebook": target / path.name, "results": target / "results",
                   "figures": target / "figures"}
        if html:
            from nbconvert import HTMLExporter

            body, _ = HTMLExporter().from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
            (tmp / f"{path.stem}.html").write_text(body, encoding="utf-8")
            written["html"] = target / f"{path.stem}.html"
        for sub in ("results", "figures", "tables"):
            (tmp / sub).mkdir(exist_ok=True)
        replace_tree(tmp, target)
    return written


def main(argv: Sequence[str]) -> int:
    """``recalcul whatif NB [--set NAME=VALUE ...] [--out DIR]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="recalcul whatif", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", help="notebook name or number prefix, e.g. 01")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter of the notebook's parameters cell (repeat for several)")
    parser.add_argument("--out", default=None, help="folder of the runs (default: runs/)")
    parser.add_argument("--list", action="store_true", help="print the notebook's parameters, their defaults and "
                                                             "what they mean, and run nothing")
    args = parser.parse_args(list(argv))
    path = find_notebook(args.notebook)
    if args.list:
        print(describe(path))
        return 0
    given = parse_assignments(args.set)
    check(path, given)  # refused here, before the notebook stack is imported
    written = render(path, given, Path(args.out) if args.out else None)
    for kind, p in written.items():
        print(f"{kind}: {p}")
    return 0
