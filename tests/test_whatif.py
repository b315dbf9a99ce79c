"""What-if runs (issue 26, item 5): parameters cells, one-line refusals, a real run that leaves the tree as it was."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli
from analysis.paths import REPO_ROOT
from analysis.run import whatif

NOTEBOOKS = ["01_local_multiplier", "02_territorial_dynamics", "03_energy_transition"]


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_every_parameter_has_a_check_and_the_defaults_pass_it(stem):
    path = REPO_ROOT / "notebooks" / f"{stem}.ipynb"
    names = whatif.defaults(path)
    assert names, f"{stem} has an empty parameters cell"
    assert set(names) == set(whatif.CHECKS[stem]), f"{stem}: parameters {sorted(names)} vs checks {sorted(whatif.CHECKS[stem])}"
    assert whatif.check(path, {}) == names


def test_notebook_01_parameters_are_the_headline():
    assert whatif.defaults(REPO_ROOT / "notebooks" / "01_local_multiplier.ipynb") == {
        "WINDOW": "2007-2017", "LEVEL": "ze2010", "DEFINITION": "footnote17"}


@pytest.mark.parametrize("args, pattern", [
    (["whatif", "01", "--set", "WINDOW=2019"], r"WINDOW='2019' is not a window: give it as YYYY-YYYY"),
    (["whatif", "01", "--set", "WINDOW=2017-2007"], r"the end year must be after the start year"),
    (["whatif", "01", "--set", "WINDOW=2010-2020", "--set", "LEVEL=dep"],
     r"WINDOW=2010-2020 lies outside the data: LEVEL=dep .* hold the years 2001-2019 \(no 2020\)"),
    (["whatif", "01", "--set", "WINDOW=2019-2021", "--set", "LEVEL=ze2020"],
     r"hold the years 2019, 2022, 2023, 2024 \(no 2021\)"),
    (["whatif", "01", "--set", "WINDOW=1990-2000"], r"LEVEL=ze2010 .* hold the years 1998-2017 \(no 1990\)"),
    (["whatif", "01", "--set", "LEVEL=epci"], r"LEVEL='epci' is not known; LEVEL must be one of ze2010, dep, ze2020"),
    (["whatif", "01", "--set", "DEFINITION=nope"], r"DEFINITION must be one of footnote17"),
    (["whatif", "01", "--set", "FOO=1"], r"01_local_multiplier has no parameter FOO; its parameters: WINDOW"),
    (["whatif", "01", "--set", "WINDOW"], r"'WINDOW' is not NAME=VALUE"),
    (["run", "01", "--set", "LEVEL=region"], r"recalcul whatif: LEVEL='region' is not known"),
    (["whatif", "03", "--set", "BASE_YEAR=twenty"], r"BASE_YEAR='twenty' is not a whole number"),
    (["whatif", "03", "--set", "BASE_YEAR=2030"], r"BASE_YEAR=2030 lies outside the data"),
    (["whatif", "02", "--set", "URSSAF_WINDOW=2019-2020"], r"URSSAF_WINDOW=2019-2020 lies outside the data"),
    (["whatif", "99"], r"NB='99' matches no notebook; notebooks with parameters: 01_local_multiplier"),
    (["whatif", "05"], r"05_programme_instruments has no parameters cell"),
    (["whatif", "06", "--set", "LEVEL=dep", "--set", "CODES=9766"], r"LEVEL=dep CODES=9766: '9766' is not a département"),
    (["whatif", "06", "--set", "LEVEL=dep", "--set", "CODES=976", "--set", "WAVE=2018"], r"WAVE applies only to a Territoire"),
    (["whatif", "06", "--set", "CODES=ti-9999"], r"unknown ti code\(s\) \['ti-9999'\]"),
    (["whatif", "06", "--set", "CODES=ti-3208,"], r"give comma-separated values, none empty"),
    (["whatif", "04", "--set", "TI_ID=ti-9999"], r"TI_ID=ti-9999: unknown ti code\(s\) \['ti-9999'\]"),
    (["whatif", "04", "--set", "EPCIS=200069755,12345"], r"EPCIS=200069755,12345: '12345' is not an EPCI code"),
    (["whatif", "04", "--set", "POLE_SIREN=2000"], r"POLE_SIREN='2000' is not a groupement's 9-digit SIREN"),
])
def test_bad_parameters_are_refused_in_one_line_before_any_work(args, pattern, capsys, monkeypatch):
    monkeypatch.setattr(whatif, "render", lambda *a, **k: pytest.fail("a refused request started a run"))
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: recalcul whatif: ")
    assert pytest.importorskip("re").search(pattern, err), err


def test_notebook_06_takes_another_territory_as_the_profile_does():
    """A list parameter is given comma-separated; the wave is a TI's only: ``LEVEL=dep CODES=976`` runs without
    a wave (the cell's default wave, 2023-2027, would be refused for a département)."""
    path = REPO_ROOT / "notebooks" / "06_territory_profile.ipynb"
    assert whatif.check(path, {"LEVEL": "dep", "CODES": "976"}) == {"LEVEL": "dep", "CODES": ["976"], "WAVE": None,
                                                                    "NAME": None}
    two = whatif.check(path, {"CODES": "ti-3208, ti-3210", "WAVE": "2018"})
    assert two["CODES"] == ["ti-3208", "ti-3210"] and two["WAVE"] == "2018" and two["LEVEL"] == "ti"
    assert whatif.check(path, {})["WAVE"] == "2023-2027"


@pytest.mark.parametrize("given, said", [
    ({"LEVEL": "commune", "CODES": "75108"}, "not a commune: use LEVEL=commune CODES=75056 (the 2024"),
    ({"LEVEL": "epci", "CODES": "59392"}, "use LEVEL=commune CODES=59392 or its EPCI: LEVEL=epci CODES=200043396 ("),
    ({"LEVEL": "dep", "CODES": "20"}, "use LEVEL=dep CODES=2A or LEVEL=dep CODES=2B (both: LEVEL=dep CODES=2A,2B)"),
    ({"CODES": "ti-0303"}, "exist in the 2018-2022 wave (WAVE=2018)"),
])
def test_notebook_06_s_refusals_name_its_own_parameters(given, said):
    """The resolver's hints name the profile's options ('use COMMUNE=75056', "pass wave='2018'"); a what-if of
    notebook 06 takes LEVEL, CODES and WAVE, and its refusals now say those."""
    path = REPO_ROOT / "notebooks" / "06_territory_profile.ipynb"
    with pytest.raises(whatif.WhatIfError) as err:
        whatif.check(path, given)
    msg = str(err.value)
    assert said in msg and "COMMUNE=7" not in msg and "pass wave" not in msg, msg


def test_notebook_04_for_another_territory_drops_the_pole_s_name_sections_and_marker():
    """``TI_ID=ti-8410``: the TI's own name (the cell's default name is the pôle's), no pôle sections or claims, no
    Issoire marker, unless given; EPCIS is a list; ``None`` is the cell's None."""
    path = REPO_ROOT / "notebooks" / "04_clermont_vichy_auvergne.ipynb"
    default = whatif.check(path, {})
    assert default["NAME"].startswith("Pôle métropolitain") and default["POLE_ANALYSIS"] and default["MARKERS"]
    ti = whatif.check(path, {"TI_ID": "ti-8410"})
    assert (ti["NAME"], ti["POLE_ANALYSIS"], ti["MARKERS"]) == (None, False, {})
    named = whatif.check(path, {"EPCIS": "200069755, 246300701", "NAME": "Riom", "TI_ID": "None"})
    assert named["EPCIS"] == ["200069755", "246300701"] and named["NAME"] == "Riom" and named["TI_ID"] is None


def test_the_years_of_the_checks_are_those_of_the_data():
    from analysis.methods import panels

    for name, years in panels.YEARS.items():
        assert tuple(panels.panel(name).years) == years, name


def test_the_makefile_passes_command_line_variables_as_parameters():
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}  # under make test
    out = subprocess.run(["make", "-n", "--no-print-directory", "run", "NB=01", "WINDOW=2010-2019", "LEVEL=dep",
                          "VENV=/nonexistent-venv", "STAMP="], cwd=REPO_ROOT, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    line = [x for x in out.stdout.strip().splitlines() if "recalcul whatif" in x][-1]
    assert line.endswith('recalcul whatif "01" --set "LEVEL=dep" --set "WINDOW=2010-2019"'), line


@pytest.mark.parametrize("nb, said", [
    ("01", ['WINDOW = "2007-2017"', 'LEVEL = "ze2010"', 'DEFINITION = "footnote17"']),
    ("04", ["`TI_ID`: a Territoire d'industrie id of the 2023-2027 wave", "TI_ID = None", "POLE_ANALYSIS = True"]),
    ("06", ["`LEVEL`: 'ti', 'epci'", 'CODES = ["ti-5214"]', 'WAVE = "2023-2027"']),
])
def test_list_prints_the_parameters_with_their_defaults_and_meaning_and_runs_nothing(nb, said, capsys, monkeypatch):
    """``recalcul whatif NB --list`` (``make params NB=``): how to give a parameter, the notebook's "## Parameters"
    text and its parameters cell; no kernel is started. A name the notebook lacks points to it."""
    monkeypatch.setattr(whatif, "render", lambda *a, **k: pytest.fail("--list must not run the notebook"))
    assert whatif.main([nb, "--list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(f"give any of these with `recalcul whatif {nb} --set NAME=VALUE` or "
                                        f"`make run NB={nb} NAME=VALUE` (a list comma-separated); the others keep their defaults")
    assert all(s in out for s in said), out
    assert "## Parameters" not in out
    with pytest.raises(whatif.WhatIfError, match=r"has no parameter BOGUS; .* \(what they mean: recalcul whatif 03 --list\)"):
        whatif.check(whatif.find_notebook("03"), {"BOGUS": "1"})
    with pytest.raises(whatif.WhatIfError, match="05_programme_instruments has no parameters cell"):
        whatif.main(["05", "--list"])


def _tree_state() -> tuple[str, dict[str, str]]:
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO_ROOT,
                            capture_output=True, text=True).stdout
    digests = {str(p.relative_to(REPO_ROOT)): hashlib.sha256(p.read_bytes()).hexdigest()
               for folder in ("results", "figures") for p in sorted((REPO_ROOT / folder).rglob("*")) if p.is_file()}
    return status, digests


def test_a_what_if_run_writes_only_its_own_folder(tmp_path, monkeypatch):
    """Notebook 01 with WINDOW=2008-2016 (about 10-15 s): executed notebook, HTML, results and figures in its
    folder; the scatter says 2008-2016 in both languages; the working tree, results/ and figures/ are as they
    were. Figures are exported as SVG only (the PDF and PNG exports: tests/test_figures.py)."""
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "svg")
    before = _tree_state()
    written = whatif.render("01", {"WINDOW": "2008-2016"}, out_root=tmp_path / "runs", report=lambda m: None)
    assert _tree_state() == before
    folder = tmp_path / "runs" / "01_local_multiplier-window-2008-2016"
    assert written["dir"] == folder
    assert written["notebook"].is_file() and written["html"].is_file()
    index = pd.read_csv(folder / "figures" / "index.csv")
    scatter = index[index["name"] == "01_scatter_exposed_sheltered"]
    assert not scatter.empty and scatter["title"].str.contains("2008-2016").all(), scatter["title"].tolist()
    assert not scatter["title"].str.contains("2007-2017").any()
    svg = (folder / "figures" / "01_scatter_exposed_sheltered.svg").read_text()
    assert "2008-2016" in svg and "2007-2017" not in svg
    assert "2008-2016" in (folder / "figures" / "en" / "01_scatter_exposed_sheltered.svg").read_text()
    recorded = pd.read_csv(folder / "results" / "claims_results.csv")
    row = recorded.set_index("id").loc["multiplier_134_sheltered_per_100_exposed"]
    assert row["period_used"] == "2008-2016" and "what-if run (WINDOW=2008-2016" in row["note"]
    html = written["html"].read_text()
    assert "2008-2016" in html
