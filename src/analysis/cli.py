"""``recalcul``: the project's one command line (every ``make`` target calls it).

``recalcul --help`` lists the subcommands with one line each; ``recalcul SUBCOMMAND --help``
gives a subcommand's arguments. An unknown subcommand or argument is refused in one line
(exit status 2), before any work. Each subcommand imports only what it needs, so that a refused
request answers in about a second.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence

from analysis.paths import SettingError, check_settings

PROG = "recalcul"
#: PYTHONHASHSEED of what the command line starts when the environment sets none (the Makefile's value).
HASH_SEED = "0"


class CommandLineError(Exception):
    """A refused command line: its message is printed on one line, the exit status is 2."""


@contextlib.contextmanager
def _one_line_argparse(name: str):
    """While subcommand ``name`` parses its arguments, argparse errors are raised as
    :class:`CommandLineError` (one line naming the subcommand) instead of printing the usage block."""

    def error(self: argparse.ArgumentParser, message: str):
        raise CommandLineError(f"{PROG} {name}: {message} (see `{PROG} {name} --help`)")

    saved = argparse.ArgumentParser.error
    argparse.ArgumentParser.error = error
    try:
        yield
    finally:
        argparse.ArgumentParser.error = saved


# ---------------------------------------------------------------------------------------------
# Subcommands: each takes the remaining arguments and returns an exit status
# ---------------------------------------------------------------------------------------------

def _data(argv: list[str]) -> int:
    from analysis.data import build_cache

    return build_cache.main(argv)


def _prune_cache(argv: list[str]) -> int:
    _no_arguments("prune-cache", argv)
    from analysis.data import build_cache

    return build_cache.main(["--prune"])


def _clean_cache(argv: list[str]) -> int:
    _no_arguments("clean-cache", argv)
    from analysis.data import registry

    shutil.rmtree(registry.cache_dir(), ignore_errors=True)
    print(f"removed {registry.cache_dir()}")
    return 0


def _run(argv: list[str]) -> int:
    if any(a == "--set" or a.startswith("--set=") for a in argv):  # a what-if run into runs/
        return _whatif(argv)
    from analysis.run import notebooks

    return notebooks.main(argv)


def _whatif(argv: list[str]) -> int:
    """``whatif NB --set NAME=VALUE ...``: the request is checked (one line and exit 2 if refused) before
    the notebook stack is imported."""
    from analysis.run import whatif

    try:
        return whatif.main(argv)
    except whatif.WhatIfError as err:
        raise CommandLineError(f"{PROG} whatif: {err}") from None


def _lookup(argv: list[str]) -> int:
    """``lookup QUERY``: the words of the query (it has no options, so ``--level`` or a mistyped ``--x`` is
    refused in one line rather than looked up as a name)."""
    from analysis.geo import lookup

    if not argv:
        return lookup.main(argv)  # its one-line usage
    parser = argparse.ArgumentParser(prog=f"{PROG} lookup")
    parser.add_argument("query", nargs="+")
    return lookup.main(parser.parse_args(argv).query)


def _profile(argv: list[str]) -> int:
    """Check the request first (one line and exit 2 if refused), then render it."""
    from analysis.geo import areas, request

    try:
        level, codes, wave = request.parse_request(argv)
        area = request.check_request(level, codes, wave)
    except areas.UnknownAreaError as err:
        raise CommandLineError(f"{PROG} profile: {err}") from None
    print(f"rendering the profile of {area.describe()} ...", flush=True)
    from analysis.report import profile  # the plotting stack, only for a valid request

    for kind, path in profile.render(area).items():
        print(f"{kind}: {path}")
    return 0


def _atlas(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"{PROG} atlas", description="key figures of every territory, with their base")
    parser.add_argument("--levels", default=None, help="comma-separated atlas levels (default: all): "
                        "ti2018, ti2023, epci, ze2020, dep, reg; 'ti' is both waves, and 'ze', 'departement', "
                        "'region' are read as a request reads them")
    parser.add_argument("--out", default=None, help="output folder (default: atlas/)")
    args = parser.parse_args(argv)
    from analysis.geo import areas
    from analysis.report import atlas

    levels = None
    if args.levels:
        levels = []
        for item in (x.strip() for x in args.levels.split(",") if x.strip()):
            try:
                found = ["ti2018", "ti2023"] if item.lower() == "ti" else [atlas.atlas_level(item)]
            except areas.UnknownAreaError as err:
                raise CommandLineError(f"{PROG} atlas: --levels {item}: {err}") from None
            levels += [lv for lv in found if lv not in levels]
    r = atlas.build(args.out, levels)
    print(f"atlas of {r['territories']:,} territories in {r['seconds']} s (inputs {r['seconds_inputs']} s, resolution "
          f"{r['seconds_resolve']} s, figures {r['seconds_figures']} s, files {r['seconds_write']} s): "
          + ", ".join(f"{k} {v}" for k, v in r["levels"].items()) + f" -> {r['out_dir']}")
    if r["kept"]:
        print("kept from the atlas already there (same mirror): " + ", ".join(f"{k} {v}" for k, v in r["kept"].items()))
    if r["dropped"]:
        print(f"removed, built from another mirror version: {', '.join(r['dropped'])} (rebuild them: recalcul atlas "
              f"--levels {','.join(r['dropped'])})")
    return 0


def _rank(argv: list[str]) -> int:
    """``rank --level ti2023 --figure industry_jobs_growth_pct [--n 10] [--ascending] [--map]``; the level as the
    atlas names it or as a request gives it (``--level ti --wave 2018``, ``--level ze``)."""
    from analysis.geo import areas
    from analysis.methods import territory_figures as tf
    from analysis.report import atlas

    parser = argparse.ArgumentParser(prog=f"{PROG} rank")
    parser.add_argument("--level", required=True, help=f"{', '.join(atlas.LEVELS)}, or ti with --wave")
    parser.add_argument("--wave", default=None, help="with --level ti: 2018 or 2023 (default 2023)")
    parser.add_argument("--figure", required=True, choices=list(tf.FIGURES))
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--ascending", action="store_true")
    parser.add_argument("--map", action="store_true", help="also a national map (EPCI, ZE2020, départements, régions)")
    args = parser.parse_args(argv)
    if args.n < 1:
        raise CommandLineError(f"{PROG} rank: --n must be a positive number of rows, got {args.n}")
    try:
        args.level = atlas.atlas_level(args.level, args.wave)
    except areas.UnknownAreaError as err:
        raise CommandLineError(f"{PROG} rank: {err.args[0]}") from None
    if args.map and args.level not in atlas.MAP_SHAPES:  # refused before any work, not after the ranking
        raise CommandLineError(f"{PROG} rank: no outlines in the mirror for the level {args.level!r}: --map exists "
                               f"for {', '.join(atlas.MAP_SHAPES)}")
    try:
        r = atlas.ranking(args.level, args.figure, args.n, ascending=args.ascending)
    except FileNotFoundError as err:
        raise CommandLineError(f"{PROG} rank: {err}") from None
    shown = r[r["rank"].notna()]
    with __import__("pandas").option_context("display.width", 200, "display.max_colwidth", 60):
        print(shown[["rank", "code", "name", "value", "period", "base", "coverage_pct", "secret_share_pct", "flag"]]
              .to_string(index=False, na_rep="n/a"))  # no secret share for a census figure: not applicable
    n_missing = int(r["rank"].isna().sum())
    print(f"{n_missing} {'territory' if n_missing == 1 else 'territories'} without this figure (reasons in the atlas notes)")
    if args.map:
        try:
            print(f"map: {atlas.figure_map(args.level, args.figure)}")
        except ValueError as err:
            raise CommandLineError(f"{PROG} rank: {err}") from None
    return 0


def _compare(argv: list[str]) -> int:
    """``compare --ti ti-3208,ti-3210 [--wave 2018] [--epci ...] [--ze ...] [--dep ...] [--reg ...]``: each code a
    territory (levels may be mixed; --wave applies to the TIs)."""
    from analysis.geo import areas, request

    parser = argparse.ArgumentParser(prog=f"{PROG} compare")
    for opt in request.REQUEST_LEVELS:  # an option given twice adds its codes (--reg 84 --reg 94)
        parser.add_argument(f"--{opt}", action="append", default=[])
    parser.add_argument("--wave", default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    wanted = [(request.REQUEST_LEVELS[opt], c.strip()) for opt in request.REQUEST_LEVELS
              for value in getattr(args, opt) for c in value.split(",") if c.strip()]
    if not 2 <= len(wanted) <= 6:
        raise CommandLineError(f"{PROG} compare: give 2 to 6 territories (got {len(wanted)}), e.g. "
                               "TI=ti-3208,ti-3210 WAVE=2018 or EPCI=244400644 ZE=5219")
    if args.wave and not any(lv == "ti" for lv, _ in wanted):
        raise CommandLineError(f"{PROG} compare: WAVE applies only to Territoires d'industrie (TI=...)")
    try:
        resolved = [request.check_request(lv, [c], args.wave if lv == "ti" else None) for lv, c in wanted]
    except areas.UnknownAreaError as err:
        raise CommandLineError(f"{PROG} compare: {err}") from None
    from analysis.report import atlas

    try:
        atlas.check_compared(resolved)  # the same territory twice: refused before any work
    except ValueError as err:
        raise CommandLineError(f"{PROG} compare: {err}") from None
    r = atlas.compare(resolved, args.out)
    table = r["table"].astype(object)
    names = [c for c in table.columns[1:] if not c.endswith(" [base]")]
    table[names] = table[names].where(table[names].notna(), "missing")  # never a blank or "None" read as 0
    table = table.fillna("")
    with __import__("pandas").option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))
    records = r["records"]
    missing = records[records["value"].isna()]
    for i, group in missing.groupby("area", sort=True):
        print(f"missing for {names[i]}: {', '.join(group['figure'])} (the reason of each: "
              f"{r['dir']}/compare_records.csv, column note)")
    from analysis.methods import neighbours

    for name, like in r["like"].items():
        if "code" in like:
            # on the indicators the territory has: fewer than all of them is said (Mayotte: its population only)
            used = [i for i in neighbours.INDICATORS if like[f"{i}_gap_sd"].notna().any()]
            on = f" (on {', '.join(used)} only: its other indicators are missing)" if len(used) < len(neighbours.INDICATORS) else ""
            print(f"territories like {name}{on}: " + "; ".join(f"{c} {n} ({d:.2f})" for c, n, d in
                                                              zip(like["code"], like["name"], like["distance"])))
        elif "note" in like:
            print(f"territories like {name}: none ({like['note'].iloc[0]})")
    print(f"written: {r['dir']}")
    return 0


def _impact(argv: list[str]) -> int:
    """``impact --jobs 300 --sector CL --ti ti-5214 [--wave 2018] | --epci | --ze | --dep | --reg | --commune``."""
    from analysis.geo import areas, request

    parser = argparse.ArgumentParser(prog=f"{PROG} impact")
    parser.add_argument("--jobs", required=True)
    parser.add_argument("--sector", required=True, help="A38 code of an exposed sector, e.g. CL")
    for opt in request.REQUEST_LEVELS:
        parser.add_argument(f"--{opt}", action="append", default=[])
    parser.add_argument("--wave", default=None)
    args = parser.parse_args(argv)
    try:
        jobs = float(args.jobs)
    except ValueError:
        raise CommandLineError(f"{PROG} impact: JOBS={args.jobs!r} is not a number of jobs (make impact JOBS=300 "
                               "SECTOR=CL TI=ti-5214)") from None
    # the territory's options as parsed (not argv minus the jobs' and sector's values: `--jobs 63 --dep 63`)
    rest = [a for opt in request.REQUEST_LEVELS for v in getattr(args, opt) for a in (f"--{opt}", v)]
    rest += ["--wave", args.wave] if args.wave else []
    try:
        level, codes, wave = request.parse_request(rest)
        area = request.check_request(level, codes, wave)
    except areas.UnknownAreaError as err:
        raise CommandLineError(f"{PROG} impact: {err}") from None
    from analysis.methods import announced

    try:
        r = announced.announced_jobs(jobs, area, args.sector)
    except announced.AnnouncedJobsError as err:
        raise CommandLineError(f"{PROG} impact: {err}") from None
    print(r.summary())
    return 0


def _official(argv: list[str]) -> int:
    from analysis.data import official

    return official.main(argv)


def _bench_official(argv: list[str]) -> int:
    from analysis.methods import official_aggregate

    return official_aggregate.main(argv)


def _site(argv: list[str]) -> int:
    _no_arguments("site", argv)
    from analysis.report import site

    return site.main()


def _scoreboard(argv: list[str]) -> int:
    _no_arguments("scoreboard", argv)
    from analysis.report import claims

    claims.main()
    return 0


def _figures(argv: list[str]) -> int:
    _no_arguments("figures", argv)
    from analysis.report import figures

    for stale in figures.prune():
        print(f"removed stale figure {stale.name}")
    print(f"wrote {figures.write_figures_readme()}")
    return 0


def _bench(argv: list[str]) -> int:
    from analysis.run import bench

    return bench.main(argv)


def _lab(argv: list[str]) -> int:
    """JupyterLab on notebooks/ (``--allow-root`` added when run as root, e.g. in a container)."""
    from analysis.paths import NOTEBOOKS_DIR

    jupyter = shutil.which("jupyter", path=os.path.dirname(sys.executable)) or shutil.which("jupyter")
    if jupyter is None:
        raise CommandLineError(f"{PROG} lab: jupyter is not installed in this environment (run `make venv`)")
    extra = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return subprocess.call([jupyter, "lab", str(NOTEBOOKS_DIR), *extra, *argv])


def _no_arguments(name: str, argv: Sequence[str]) -> None:
    if argv and argv not in (["-h"], ["--help"]):
        raise CommandLineError(f"{PROG} {name}: unexpected argument(s) {' '.join(argv)!r}; it takes none")


#: name -> (one-line help, function taking the remaining arguments)
COMMANDS: dict[str, tuple[str, Callable[[list[str]], int]]] = {
    "data": ("fetch, hash-check and parse every registered public file into the cache (make data)", _data),
    "run": ("execute the notebooks in place, N kernels at a time: run [-j N] [NB ...] (make notebooks); "
            "with --set NAME=VALUE, a what-if run of one notebook (see whatif)", _run),
    "whatif": ("one notebook with other parameters into runs/<slug>/, committed outputs untouched: "
               "whatif 01 --set WINDOW=2010-2019 --set LEVEL=dep (make run NB=01 WINDOW=2010-2019 LEVEL=dep)", _whatif),
    "lookup": ("find a territory's codes by name or code: lookup QUERY (e.g. lookup Saint-Nazaire)", _lookup),
    "profile": ("render one territory's profile: profile --ti ti-0401 | --ti ti-5209 --wave 2018 | --epci SIREN | "
                "--ze CODE | --dep CODE | --reg CODE | --commune CODE", _profile),
    "atlas": ("key figures of every territory of every level, with their base, into atlas/ (make atlas)", _atlas),
    "compare": ("2 to 6 territories side by side: compare --ti ti-3208,ti-3210 --wave 2018 [--epci ...]", _compare),
    "rank": ("territories ranked by a key figure with their caveats: rank --level ti2023 --figure "
             "industry_jobs_growth_pct [--map]", _rank),
    "impact": ("local sheltered jobs that may follow announced jobs: impact --jobs 300 --sector CL --ti ti-5214", _impact),
    "official": ("download the official national files (internet): official [--force] [--recheck]", _official),
    "bench-official": ("time and memory of the DuckDB aggregation on a synthetic national-size file", _bench_official),
    "site": ("build the book in site/ from the committed notebooks (make site)", _site),
    "scoreboard": ("rebuild results/scoreboard.csv and results/SCOREBOARD.md from the recorded claims", _scoreboard),
    "figures": ("prune stale figure exports and regenerate figures/README.md", _figures),
    "bench": ("time and peak memory of the notebook build, per notebook: bench [-j N] [NB ...]", _bench),
    "prune-cache": ("remove cached tables of earlier versions and leftovers of interrupted builds", _prune_cache),
    "clean-cache": ("remove the whole data cache (rebuilt by the next run)", _clean_cache),
    "lab": ("JupyterLab on notebooks/ (as root too)", _lab),
}


#: subcommands whose own parser answers --help (the others print their line of COMMANDS)
OWN_HELP = {"data", "run", "whatif", "atlas", "compare", "rank", "impact", "official", "bench-official", "bench", "lab"}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"usage: {PROG} SUBCOMMAND [ARGUMENTS]", "", __doc__.split("\n\n")[0].replace("``", "`"), "",
             "subcommands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (help_, _) in COMMANDS.items()]
    lines += ["", f"`{PROG} SUBCOMMAND --help` gives the arguments of a subcommand."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``recalcul`` (``[project.scripts]``) and ``python -m analysis``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(name, COMMANDS, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        print(f"{PROG}: unknown subcommand {name!r}{hint} (subcommands: {', '.join(COMMANDS)})", file=sys.stderr)
        return 2
    if name not in OWN_HELP and rest in (["-h"], ["--help"]):  # help, never the work itself
        summary, _, form = COMMANDS[name][0].partition(": ")  # "what it does: its form", when it has one
        if not form.startswith(name):
            summary, form = COMMANDS[name][0], name
        print(f"usage: {PROG} {form}\n\n{summary}")
        return 0
    # the kernels and processes it starts hash strings as under make (the Makefile exports PYTHONHASHSEED=0),
    # so that `recalcul run` typed at a prompt computes what `make notebooks` did and skips what it executed
    # (the seed is one of the inputs of analysis.run.unchanged's key); a seed the user set is kept
    os.environ.setdefault("PYTHONHASHSEED", HASH_SEED)
    try:
        check_settings()  # an ANALYSIS_* value the package cannot use: refused before any work
        with _one_line_argparse(name):
            return int(COMMANDS[name][1](rest) or 0)
    except CommandLineError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except SettingError as err:  # an ANALYSIS_* variable the package cannot use
        print(f"error: {PROG} {name}: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # a public file missing, altered or laid out otherwise: its own message, no traceback
        registry = sys.modules.get("analysis.data.registry")
        if registry is not None and isinstance(err, registry.DataError):
            print(f"error: {PROG} {name}: {err}", file=sys.stderr)
            return 1
        cell = sys.modules.get("nbclient.exceptions")
        if cell is not None and isinstance(err, cell.CellExecutionError):  # a profile's or a what-if's notebook
            from analysis.data.cache import _one_line

            print(f"error: {PROG} {name}: a cell of the notebook failed: {err.ename}: {_one_line(err.evalue, 400)} "
                  "(nothing was written; the notebook in JupyterLab shows the cell)", file=sys.stderr)
            return 1
        raise
    except KeyboardInterrupt:
        print(f"{PROG} {name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
