"""The `recalcul` command line, the public API at the top of the package, and one reading of a request."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import analysis
from analysis import cli
from analysis.geo import areas as geography

REPO = Path(__file__).resolve().parents[1]


def _run(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO)


def test_help_lists_every_subcommand_with_one_line(capsys):
    assert cli.main(["--help"]) == 0
    listed = re.findall(r"^  (\S+)\s{2,}\S", capsys.readouterr().out, re.M)
    assert listed == list(cli.COMMANDS)
    for name in ("data", "run", "lookup", "profile", "official", "site", "scoreboard", "figures", "bench",
                 "prune-cache"):
        assert name in listed


@pytest.mark.parametrize("name", [n for n in cli.COMMANDS if n != "lab"])  # lab: JupyterLab's own help
def test_every_subcommand_answers_help_with_its_usage_and_does_nothing_else(name, capsys, tmp_path, monkeypatch):
    """`recalcul NAME --help` prints `usage: recalcul NAME ...` and exits 0: before, `clean-cache --help` removed
    the data cache, `site --help` built the book, `figures --help` rewrote figures/README.md and `lookup --help`
    looked up "--help". The data cache, results and figures point at a temporary folder, so that a regression
    fails here without removing or rewriting anything of the user's."""
    for var, folder in (("ANALYSIS_DATA_CACHE", "cache"), ("ANALYSIS_RESULTS_DIR", "results"),
                        ("ANALYSIS_FIGURES_DIR", "figures")):
        monkeypatch.setenv(var, str(tmp_path / folder))
    (tmp_path / "cache").mkdir()
    try:
        status = cli.main([name, "--help"])
    except SystemExit as end:  # argparse's own --help
        status = end.code
    out = capsys.readouterr().out
    assert status == 0 and out.startswith(f"usage: {cli.PROG} {name}"), out[:200]
    assert "python -m" not in out.split("\n\n")[0]
    assert (tmp_path / "cache").is_dir() and not (tmp_path / "results").exists() and not (tmp_path / "figures").exists()


@pytest.mark.parametrize("args, pattern", [
    (["frobnicate"], r"unknown subcommand 'frobnicate'"),
    (["profil"], r"did you mean `profile`"),
    (["run", "--bogus"], r"recalcul run: unrecognized arguments: --bogus"),
    (["lookup", "--bogus", "Issoire"], r"recalcul lookup: unrecognized arguments: --bogus"),
    (["site", "extra"], r"recalcul site: unexpected argument"),
    (["profile", "--ti", "ti-9999"], r"unknown ti code\(s\) \['ti-9999'\]"),
    (["profile", "--epci", "241501139", "--wave", "2018"], r"WAVE applies only to a Territoire d'industrie"),
    (["profile", "--ti", "ti-0401", "--dep", "63"], r"give exactly one territory"),
    (["compare", "--ti", "ti-0401", "--ti", "TI-0401"], r"the same territory is given twice: ti ti-0401"),
    (["rank", "--level", "ti2023", "--figure", "population", "--map"], r"--map exists for epci, ze2020, dep, reg"),
    (["rank", "--level", "commune", "--figure", "population"], r"the atlas has no level 'commune'"),
    (["rank", "--level", "epci", "--wave", "2018", "--figure", "population"], r"a wave applies only to a Territoire"),
    (["run", "-j", "0"], r"recalcul run: argument -j/--jobs: give a whole number of parallel kernels, at least 1, got '0'"),
    (["bench", "-j", "-3"], r"recalcul bench: argument -j/--jobs: give a whole number of parallel kernels, at least 1"),
    (["run", "99"], r"recalcul run: no notebook of .* matches '99'; notebooks: 00_scoreboard, 01_local_multiplier, "),
    (["bench", "77"], r"recalcul bench: no notebook of .* matches '77'; notebooks: 00_scoreboard, "),
])
def test_refusals_are_one_line_with_status_2(args, pattern, capsys):
    """In this process (cli.main, behind the entry point); the process itself: the test below."""
    assert cli.main(list(args)) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert re.search(pattern, lines[0]), lines[0]


def test_the_command_line_starts_its_kernels_with_make_s_hash_seed(monkeypatch, capsys):
    """`recalcul run` at a prompt (no PYTHONHASHSEED) and `make notebooks` (PYTHONHASHSEED=0) give the notebooks'
    inputs key the same seed: after one, the other skips every notebook (before, all nine ran again). A seed the
    user set is kept."""
    import os

    from analysis.run import unchanged

    make_seed = unchanged.common_inputs()["settings"] | {"PYTHONHASHSEED": "0"}
    monkeypatch.setenv("PYTHONHASHSEED", "7")
    monkeypatch.delenv("PYTHONHASHSEED")
    assert cli.main(["lookup", "Issoire"]) == 0 and os.environ["PYTHONHASHSEED"] == "0"
    assert unchanged.common_inputs()["settings"] == make_seed
    monkeypatch.setenv("PYTHONHASHSEED", "7")
    assert cli.main(["lookup", "Issoire"]) == 0 and os.environ["PYTHONHASHSEED"] == "7"
    capsys.readouterr()


def test_a_refusal_exits_the_process_with_status_2_and_one_line():
    out = _run("profile", "--ti", "ti-9999")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        "error: recalcul profile: unknown ti code(s) ['ti-9999'] (Territoire d'industrie id 'ti-RRNN', e.g. 'ti-8416')"]


def test_every_make_target_calls_the_command_line():
    make = (REPO / "Makefile").read_text()
    recipes = dict(re.findall(r"^([a-z-]+):[^\n]*\n((?:\t[^\n]*\n)+)", make, re.M))
    own = {"venv", "browser", "help", "test"}  # installing, the browser of the site test, the help, pytest
    for target, body in recipes.items():
        if target in own:
            continue
        assert "$(BIN)/recalcul " in body, f"make {target} does not call recalcul:\n{body}"
        assert "python -m analysis" not in body, f"make {target} bypasses recalcul"


def test_import_analysis_is_light_and_the_public_api_resolves():
    code = ("import sys, analysis as rc\n"
            "heavy = [m for m in ('pandas', 'matplotlib', 'scipy') if m in sys.modules]\n"
            "print(len(rc.__all__), heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.split("\n")[0].endswith("[]"), out.stdout + out.stderr
    for name in analysis.__all__:
        assert callable(getattr(analysis, name)) or isinstance(getattr(analysis, name), type), name
    for name in ("resolve", "lookup", "employment_growth", "local_multiplier", "reg_ss", "ivreg_ss",
                 "rotemberg_weights", "load_urssaf_ze2020_a38", "load_estel_ze2010_salaried", "shock_level_iv",
                 "etable", "panel", "zone_regions", "prepare_ete"):
        assert name in analysis.__all__
    with pytest.raises(AttributeError, match="public API"):
        _ = analysis.no_such_function


def test_the_api_and_the_command_line_read_a_request_the_same_way():
    from analysis.geo import request
    from analysis.report import profile

    # a wave as the command line takes it ('2018'), an id in capitals: the same TI
    a = profile.territory(ti_id="TI-3208", wave="2018")
    b = request.check_request("ti", ["ti-3208"], "2018")
    assert (a.level, a.codes, a.wave) == (b.level, b.codes, b.wave) == ("ti", ("ti-3208",), geography.WAVE_2018)
    assert a.communes["com"].tolist() == b.communes["com"].tolist()
    # a wave given for another level is refused by both
    with pytest.raises(geography.UnknownAreaError, match="wave"):
        geography.resolve("epci", "241501139", wave="2018")
    with pytest.raises(geography.UnknownAreaError, match="WAVE"):
        request.check_request("epci", ["241501139"], "2018")
    # one EPCI is named by its own name
    assert profile.territory(epcis="241501139").name == "Communauté de communes du Pays de Salers"
    assert isinstance(a, geography.Area)


def test_an_option_given_twice_adds_its_codes_and_two_waves_are_refused():
    """``--commune 63113 --commune 63014`` is a list of two communes (the second code was dropped before), as
    ``--commune 63113,63014``; two different waves are refused rather than the last one kept."""
    from analysis.geo import request

    assert request.parse_request(["--commune", "63113", "--commune", "63014"]) == ("commune", ["63113", "63014"], None)
    assert request.parse_request(["ti-0401", "--ti", "ti-0402", "--wave", "2018"]) == ("ti", ["ti-0401", "ti-0402"], "2018")
    with pytest.raises(geography.UnknownAreaError, match="two waves given"):
        request.parse_request(["--ti", "ti-0401", "--wave", "2018", "--wave", "2023"])
    with pytest.raises(geography.UnknownAreaError, match="exactly one territory"):
        request.parse_request(["--commune", "63113", "--dep", "63"])


def test_compare_reads_repeated_options_and_prints_a_missing_figure_as_missing(monkeypatch, capsys, tmp_path):
    """``compare --reg 94 --reg 03`` compares two régions (it said "got 1" before); a figure without a value reads
    "missing" with where its reason is, never "None" or a blank."""
    import pandas as pd

    from analysis.report import atlas

    seen = []

    def fake(areas, out=None):
        seen.extend(areas)
        names = [a.name for a in areas]
        table = pd.DataFrame({"figure": ["population", "unemployment_rate_pct"], names[0]: [1, 7.0], names[1]: [2, None],
                              f"{names[0]} [base]": ["own geography"] * 2, f"{names[1]} [base]": ["own geography", ""]})
        records = pd.DataFrame({"area": [0, 0, 1, 1], "figure": ["population", "unemployment_rate_pct"] * 2,
                                "value": [1, 7.0, 2, None]})
        return {"dir": tmp_path, "table": table, "records": records, "like": {}}

    monkeypatch.setattr(atlas, "compare", fake)
    assert cli.main(["compare", "--reg", "94", "--reg", "03"]) == 0
    assert [(a.level, a.codes) for a in seen] == [("reg", ("94",)), ("reg", ("03",))]
    out = capsys.readouterr().out
    assert "None" not in out and "NaN" not in out
    guyane = next(line for line in out.splitlines() if line.strip().startswith("unemployment_rate_pct"))
    assert guyane.split()[2] == "missing"
    assert "missing for Guyane: unemployment_rate_pct" in out and "compare_records.csv" in out


def test_impact_reads_the_territory_from_its_options_not_from_what_is_left_of_argv(monkeypatch, capsys):
    """``impact --jobs 63 --sector CL --dep 63``: the département 63 (the territory's value equals the jobs' and was
    dropped with them before: "--dep needs a value"); ``--jobs=300`` forms are read too."""
    from analysis.methods import announced

    seen = []

    class Result:
        def summary(self):
            return "ok"

    monkeypatch.setattr(announced, "announced_jobs", lambda jobs, area, sector: seen.append((jobs, area, sector)) or Result())
    assert cli.main(["impact", "--jobs", "63", "--sector", "CL", "--dep", "63"]) == 0
    assert cli.main(["impact", "--jobs=300", "--sector=CL", "--ti=ti-3208", "--wave=2018"]) == 0
    assert [(j, a.level, a.codes, a.wave, s) for j, a, s in seen] == [
        (63.0, "dep", ("63",), None, "CL"), (300.0, "ti", ("ti-3208",), geography.WAVE_2018, "CL")]
    assert capsys.readouterr().out == "ok\nok\n"


def test_rank_prints_a_share_that_does_not_apply_as_n_a_and_counts_the_missing(monkeypatch, capsys):
    """A census figure has no secret share: the table reads "n/a", never "NaN"; one territory without the figure
    is "1 territory"."""
    import numpy as np
    import pandas as pd

    from analysis.report import atlas

    ranked = pd.DataFrame({"rank": [1, pd.NA], "code": ["ti-2809", "ti-0601"], "name": ["Bresle", "Mayotte"],
                           "value": [36.5, np.nan], "period": ["2022", "2022"], "base": ["census (own geography)", ""],
                           "coverage_pct": [100.0, np.nan], "secret_share_pct": [np.nan, np.nan], "flag": ["", ""]})
    asked = []
    monkeypatch.setattr(atlas, "ranking", lambda level, *a, **k: asked.append(level) or ranked)
    assert cli.main(["rank", "--level", "ti2023", "--figure", "industry_share_pct"]) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out and out.splitlines()[1].split()[-1] == "n/a"
    assert out.splitlines()[-1] == "1 territory without this figure (reasons in the atlas notes)"
    # a level as a request gives it: ti with its wave, ze
    assert cli.main(["rank", "--level", "ti", "--wave", "2018", "--figure", "population"]) == 0
    assert cli.main(["rank", "--level", "ze", "--figure", "population"]) == 0
    assert asked == ["ti2023", "ti2018", "ze2020"]


def test_a_data_error_is_one_line_and_status_1_and_any_other_error_a_traceback(monkeypatch, capsys):
    """A public file missing from the mirror (or altered, or laid out otherwise) ends the command with the data
    layer's own message, naming the file and what to do, in one line (it printed a traceback first); a bug is
    not hidden."""
    from analysis.data import registry

    def missing(argv):
        raise registry.MirrorFileMissingError("geo/x.csv is missing from the mirror /m (ANALYSIS_DATA_MIRROR): copy it there")

    monkeypatch.setitem(cli.COMMANDS, "lookup", (cli.COMMANDS["lookup"][0], missing))
    assert cli.main(["lookup", "Issoire"]) == 1
    err = capsys.readouterr().err
    assert err == "error: recalcul lookup: geo/x.csv is missing from the mirror /m (ANALYSIS_DATA_MIRROR): copy it there\n"

    def bug(argv):
        raise KeyError("a bug")

    monkeypatch.setitem(cli.COMMANDS, "lookup", (cli.COMMANDS["lookup"][0], bug))
    with pytest.raises(KeyError, match="a bug"):
        cli.main(["lookup", "Issoire"])


def test_atlas_levels_are_read_as_a_request_reads_them(monkeypatch, capsys):
    """`--levels ti,ze,departement` is ti2018, ti2023, ze2020 and dep ('ti' was refused as an unknown level);
    a level the atlas has not is refused naming the profile; the build prints what it kept of the atlas there."""
    from analysis.report import atlas

    asked = []
    monkeypatch.setattr(atlas, "build", lambda out, levels: asked.append(levels) or {
        "levels": {lv: 1 for lv in levels}, "kept": {"reg": 18}, "dropped": ["epci"], "territories": len(levels),
        "seconds": 0, "seconds_inputs": 0, "seconds_resolve": 0, "seconds_figures": 0, "seconds_write": 0, "out_dir": "x"})
    assert cli.main(["atlas", "--levels", "ti,ze,departement,ti2023"]) == 0
    assert asked == [["ti2018", "ti2023", "ze2020", "dep"]]
    out = capsys.readouterr().out
    assert "kept from the atlas already there (same mirror): reg 18" in out
    assert "removed, built from another mirror version: epci (rebuild them: recalcul atlas --levels epci)" in out
    assert cli.main(["atlas", "--levels", "commune"]) == 2
    assert "recalcul atlas: --levels commune: the atlas has no level 'commune'" in capsys.readouterr().err


def test_compare_says_on_which_indicators_territories_are_alike(monkeypatch, capsys):
    """Mayotte has its population only: its 'territories like' were the zones of its size, listed as if alike on
    everything (distance 0.01). The line now names the indicators compared when some are missing, and says why
    none were computed."""
    import pandas as pd

    from analysis.report import atlas

    def like(gaps):
        return pd.DataFrame({"code": ["4409"], "name": ["Haguenau"], "distance": [0.01],
                             **{f"{i}_gap_sd": [g] for i, g in zip(
                                 ("log_population", "industry_share_pct", "private_jobs_growth_pct",
                                  "unemployment_rate_pct"), gaps)}})

    fake = {"table": pd.DataFrame({"figure": ["population"], "Mayotte": [1], "Côte sous le vent": [2],
                                   "Bezonvaux": [0]}),
            "records": pd.DataFrame({"area": [], "figure": [], "value": []}), "dir": "runs/x",
            "like": {"Mayotte": like([0.01, float("nan"), float("nan"), float("nan")]),
                     "Côte sous le vent": like([0.1, 0.2, 0.3, 0.4]),
                     "Bezonvaux": pd.DataFrame({"note": ["'55050' has none of the indicators"]})}}
    monkeypatch.setattr(atlas, "compare", lambda areas, out: fake)
    assert cli.main(["compare", "--ze", "0601", "--ze", "0101"]) == 0
    out = capsys.readouterr().out
    assert ("territories like Mayotte (on log_population only: its other indicators are missing): 4409 Haguenau "
            "(0.01)") in out
    assert "territories like Côte sous le vent: 4409 Haguenau (0.01)" in out
    assert "territories like Bezonvaux: none ('55050' has none of the indicators)" in out


@pytest.mark.parametrize("value, said", [("0", "ANALYSIS_JOBS must be at least 1, got 0"),
                                         ("x", "ANALYSIS_JOBS must be a whole number of parallel kernels, got 'x'")])
def test_a_bad_analysis_jobs_is_refused_like_an_argument(value, said, monkeypatch, capsys):
    """A bad $ANALYSIS_JOBS printed a bare message with status 1; it is now the subcommand's one-line refusal."""
    monkeypatch.setenv("ANALYSIS_JOBS", value)
    for sub in ("run", "bench"):
        assert cli.main([sub, "01"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: recalcul {sub}: {said}: set it to 2, or unset it") and err.count("\n") == 1


@pytest.mark.parametrize("variable, value, said", [
    ("ANALYSIS_FIG_FORMATS", "jpg", "ANALYSIS_FIG_FORMATS='jpg': use a comma-separated subset of svg, pdf, png, or unset it"),
    ("ANALYSIS_FIG_LANGUAGES", "de", "ANALYSIS_FIG_LANGUAGES='de': use a comma-separated subset of fr, en, or unset it"),
    ("ANALYSIS_FIG_LANG", "de", "ANALYSIS_FIG_LANG='de': set it to 'fr' or 'en', or unset it (French)"),
    ("ANALYSIS_OFFICIAL", "ofline", "ANALYSIS_OFFICIAL='ofline': set it to 'offline'"),
])
def test_a_setting_the_package_cannot_use_is_refused_before_any_work(variable, value, said, monkeypatch, capsys):
    """A bad ANALYSIS_* value failed with a traceback once the work was done (compare computed, then failed to
    export) or inside a profile's kernel; a typo of ANALYSIS_OFFICIAL was silently taken as 'online'. Each is now
    refused in one line, status 2, before any work."""
    from analysis.data import official
    from analysis.report import atlas

    monkeypatch.setenv(variable, value)
    monkeypatch.setattr(atlas, "compare", lambda *a, **k: pytest.fail("compare ran with a bad setting"))
    assert cli.main(["compare", "--dep", "63", "--dep", "03"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: recalcul compare: {said}") and err.count("\n") == 1
    if variable == "ANALYSIS_OFFICIAL":  # the notebooks' switch itself refuses it too
        with pytest.raises(ValueError, match="ANALYSIS_OFFICIAL='ofline'"):
            official.available()


def test_a_notebook_cell_that_fails_in_a_profile_or_a_what_if_is_one_line(monkeypatch, capsys):
    """A cell failing inside the kernel of `recalcul profile` or `whatif` ended with nbclient's traceback (dozens
    of lines, the cell's source among them); it is now one line with the error's name and message, status 1."""
    from nbclient.exceptions import CellExecutionError

    def fails(argv):
        raise CellExecutionError("Traceback ...\n  many lines", "KeyError", "'ze2020'\nsecond line")

    monkeypatch.setitem(cli.COMMANDS, "profile", (cli.COMMANDS["profile"][0], fails))
    assert cli.main(["profile", "--dep", "63"]) == 1
    assert capsys.readouterr().err == ("error: recalcul profile: a cell of the notebook failed: KeyError: 'ze2020' "
                                       "second line (nothing was written; the notebook in JupyterLab shows the cell)\n")
