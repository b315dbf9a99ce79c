"""Notebook runner (make notebooks, make reproduce, make bench): fresh ordinary kernels, byte-stable atomic writes,
errors and timeouts reported, summaries last, unchanged notebooks skipped."""

import contextlib
import io

import nbformat
import pytest

from analysis.run import notebooks as run_notebooks


def test_coalesce_streams_merges_consecutive_same_stream_only():
    outs = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
            nbformat.v4.new_output("stream", name="stdout", text="b\n"),
            nbformat.v4.new_output("stream", name="stderr", text="w\n"),
            nbformat.v4.new_output("stream", name="stdout", text="c\n")]
    merged = run_notebooks.coalesce_streams(outs)
    assert [(o["name"], o["text"]) for o in merged] == [("stdout", "a\nb\n"), ("stderr", "w\n"), ("stdout", "c\n")]


def test_execute_is_byte_stable_and_forgets_stale_records(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("ANALYSIS_FIGURES_DIR", str(tmp_path / "figures"))
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "claims_results.csv").write_text(
        "id,recomputed_value,tol,close_tol,period_used,geography_used,definition_used,status,notebook,note\n"
        "old_claim,1,0,0,2019,France,u,reproduced,99_demo,stale\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys\nfor i in range(3):\n    print(i)\n    sys.stdout.flush()")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "99_demo.ipynb"
    nbformat.write(nb, path)
    run_notebooks.execute(path)
    first, stat = path.read_bytes(), path.stat()
    run_notebooks.execute(path)
    assert path.read_bytes() == first
    assert path.stat().st_mtime_ns == stat.st_mtime_ns and path.stat().st_ino == stat.st_ino, "rewritten unchanged"
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))
    # a kernel's normal shutdown logs nothing (issue 28: "KeyboardInterrupt caught in kernel")
    assert "KeyboardInterrupt" not in capfd.readouterr().err
    outs = nbformat.read(path, as_version=4).cells[0].outputs
    assert len(outs) == 1 and outs[0]["text"] == "0\n1\n2\n"
    assert "execution" not in nbformat.read(path, as_version=4).cells[0].metadata
    assert "old_claim" not in (tmp_path / "results" / "claims_results.csv").read_text()


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_execute_all_runs_kernels_in_parallel_and_summaries_last(tmp_path, monkeypatch):
    """Two notebooks overlap in time with two jobs; the 00_ summary's kernel starts on the free worker and runs
    its first cell (imports) before the last notebook ends, its second cell only after both ended (the wait is
    not counted in its seconds); notebooks are discovered from the folder, Run carries timings and peak memory,
    and the seconds recorded make the next run start the longest notebook first."""
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("ANALYSIS_FIGURES_DIR", str(tmp_path / "figures"))
    log = tmp_path / "log"
    log.mkdir()
    work = ("import time, pathlib\nlog = pathlib.Path({log!r})\n(log / '{n}.start').write_text(repr(time.time()))\n"
            "{wait}time.sleep({seconds})\n(log / '{n}.end').write_text(repr(time.time()))")
    # 02_b ends 0.8 s after the summary's first cell has run (or after 20 s, when the summary did not start
    # early: the assertions below then fail), whatever the time its kernel took to start on a loaded machine
    early = "t = time.time()\nwhile not (log / 'summary.first').exists() and time.time() - t < 20:\n    time.sleep(0.02)\n"
    for n, seconds, wait in (("01_a", 0.5, ""), ("02_b", 0.8, early)):
        _notebook(tmp_path / f"{n}.ipynb", work.format(log=str(log), n=n, seconds=seconds, wait=wait))
    _notebook(tmp_path / "00_summary.ipynb",
              f"import time, pathlib\nlog = pathlib.Path({str(log)!r})\n(log / 'summary.first').write_text(repr(time.time()))",
              "print(sorted(p.name for p in log.glob('*.end')), time.time() >= max(float(p.read_text()) for p in log.glob('*.end')))")
    _notebook(tmp_path / "notes.ipynb", "raise SystemExit('an unnumbered notebook is not executed')")
    paths = run_notebooks.notebooks(folder=tmp_path)
    assert [p.name for p in paths] == ["01_a.ipynb", "02_b.ipynb", "00_summary.ipynb"]
    timings = tmp_path / "cache" / "seconds.json"
    assert run_notebooks.longest_first(paths[:2], timings) == paths[:2]  # never timed: by name
    runs = run_notebooks.execute_all(paths, jobs=2, report=lambda m: None, timings=timings)
    t = {p.name: float(p.read_text()) for p in log.iterdir()}
    assert t["01_a.start"] < t["02_b.end"] and t["02_b.start"] < t["01_a.end"], "the two kernels did not overlap"
    assert t["summary.first"] < t["02_b.end"], "the summary's kernel and first cell did not start early"
    summary = nbformat.read(tmp_path / "00_summary.ipynb", as_version=4).cells[1].outputs[0]["text"]
    assert summary == "['01_a.end', '02_b.end'] True\n"
    assert [r.notebook for r in runs][-1] == "00_summary"
    r = next(r for r in runs if r.notebook == "01_a")
    assert r.seconds >= 0.5 and 0 < r.kernel_start_s < r.seconds and r.cells[0][1] >= 0.5
    assert r.peak_rss_mb is None or 10 < r.peak_rss_mb < 2000
    s = next(r for r in runs if r.notebook == "00_summary")
    overhead = s.seconds - s.kernel_start_s - sum(seconds for _, seconds, _ in s.cells)
    assert s.waited_s > 0.3 and overhead < s.waited_s / 2, (s.waited_s, overhead)  # the wait is not in seconds
    assert run_notebooks.longest_first(paths[:2], timings) == paths[1::-1]  # 02_b took longer: first next time


def test_execute_all_reports_failing_and_timed_out_notebooks_after_the_others(tmp_path, monkeypatch):
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("ANALYSIS_FIGURES_DIR", str(tmp_path / "figures"))
    # 01_bad fails after 03_slow has timed out (two cells of 0.7 s, each within the 1 s timeout): the message
    # still names 01_bad, the first in the notebooks' order, whichever kernel was quicker to start
    _notebook(tmp_path / "01_bad.ipynb", "import time\ntime.sleep(0.7)", "time.sleep(0.7)\n1 / 0")
    _notebook(tmp_path / "02_good.ipynb", "print('ok')")
    _notebook(tmp_path / "03_slow.ipynb", "import time\ntime.sleep(60)")
    # a summary started early (its first cell) is abandoned: it is neither run further, nor written
    _notebook(tmp_path / "00_sum.ipynb", "x = 1", f"open({str(tmp_path / 'summarised')!r}, 'w').close()")
    before = (tmp_path / "03_slow.ipynb").read_bytes()
    summary_before = (tmp_path / "00_sum.ipynb").read_bytes()
    messages = []
    with pytest.raises(RuntimeError, match=r"2 notebook\(s\) failed, first 01_bad.ipynb: .*recalcul run 01_bad") as err:
        run_notebooks.execute_all(run_notebooks.notebooks(folder=tmp_path), jobs=3, timeout=1, report=messages.append)
    assert "00_sum.ipynb not executed: another notebook failed" in messages, messages
    assert not (tmp_path / "summarised").exists() and (tmp_path / "00_sum.ipynb").read_bytes() == summary_before
    assert isinstance(err.value.__cause__, CellExecutionError) and "ZeroDivisionError" in str(err.value.__cause__)
    assert any(m.startswith("FAILED 03_slow.ipynb: CellTimeoutError") for m in messages), messages
    assert nbformat.read(tmp_path / "02_good.ipynb", as_version=4).cells[0].outputs[0]["text"] == "ok\n"
    assert (tmp_path / "03_slow.ipynb").read_bytes() == before, "a notebook that failed is not written"
    assert CellTimeoutError


@contextlib.contextmanager
def _in_process(nb, folder, **options):
    """Stand-in for :func:`analysis.report.kernel.notebook_client` in the tests of the skip rules: the code cells
    run with ``exec`` in this process, what they print becoming one stdout stream, as a kernel's would (the
    other tests of this module execute on real kernels, the command line's test executes and skips on them)."""
    class Client:
        on_cell_start = on_cell_executed = None

        def execute(self):
            names, count = {}, 0
            for cell in nb.cells:
                if cell.cell_type == "code":
                    count, printed = count + 1, io.StringIO()
                    with contextlib.redirect_stdout(printed):
                        exec(cell.source, names)
                    cell.execution_count = count
                    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed.getvalue())]

    yield Client()


def test_an_unchanged_notebook_is_not_executed_again(tmp_path, monkeypatch):
    """Skipped only with the same code, inputs and results in place: markdown edits keep the skip; a
    code edit, a changed setting, forgotten claims, a missing figure or --force execute it again. (The
    executions run in this process: :func:`_in_process`.)"""
    monkeypatch.setattr(run_notebooks, "notebook_client", _in_process)
    results, figs, cache = tmp_path / "results", tmp_path / "figures", tmp_path / "cache"
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(results))
    monkeypatch.setenv("ANALYSIS_FIGURES_DIR", str(figs))
    monkeypatch.delenv("ANALYSIS_FIG_LANG", raising=False)
    count = tmp_path / "executions"
    # the notebook writes what claims.record and figures.save_figure would (without importing them: quicker)
    source = ("import pathlib\n"
              f"p = pathlib.Path({str(count)!r}); p.write_text(str(int(p.read_text() if p.exists() else 0) + 1))\n"
              f"results, figs = pathlib.Path({str(results)!r}), pathlib.Path({str(figs)!r})\n"
              "results.mkdir(exist_ok=True); figs.mkdir(exist_ok=True)\n"
              "(results / 'claims_results.csv').write_text("
              "'id,recomputed_value,tol,close_tol,period_used,geography_used,definition_used,status,notebook,note\\nc1,1,0.1,0.2,2019,France,jobs,reproduced,01_a,t\\n')\n"
              "(figs / 'f.svg').write_text('<svg/>')\n"
              "(figs / 'index.csv').write_text('name,notebook,title,sources,claims\\nf,01_a,t,s,\\n')\n"
              "print('done')")
    path = tmp_path / "01_a.ipynb"
    _notebook(path, source)

    def run(force=False):
        runs = run_notebooks.execute_all([path], jobs=1, report=lambda m: None, force=force, cache=cache)
        return "skipped" if runs[0].skipped else int(count.read_text())

    assert run() == 1
    written = path.read_bytes()
    assert run() == "skipped" and path.read_bytes() == written
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# A title"))
    nbformat.write(nb, path)
    assert run() == "skipped"
    (results / "claims_results.csv").unlink()
    assert run() == 2 and "c1," in (results / "claims_results.csv").read_text()
    (figs / "f.svg").write_text("<svg>edited</svg>")
    assert run() == 3 and (figs / "f.svg").read_text() == "<svg/>"
    monkeypatch.setenv("ANALYSIS_FIG_LANG", "en")
    assert run() == 4
    assert run() == "skipped"
    nb = nbformat.read(path, as_version=4)
    nb.cells[-1].source += "\nprint('more')"
    nbformat.write(nb, path)
    assert run() == 5
    assert run(force=True) == 6
    assert run() == "skipped", "a forced run is recorded too"


def test_after_a_forced_run_the_summary_is_skipped_too(tmp_path, monkeypatch):
    """A forced run starts the summary (00_) early and records it once every notebook has ended; the next run
    skips every notebook, the summary included (it was executed again: its record, stored, was then
    forgotten when the summary itself ended). (The executions run in this process: :func:`_in_process`.)"""
    monkeypatch.setattr(run_notebooks, "notebook_client", _in_process)
    results = tmp_path / "results"
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(results))
    monkeypatch.setenv("ANALYSIS_FIGURES_DIR", str(tmp_path / "figures"))
    count = tmp_path / "executions"
    tally = (f"import pathlib\np = pathlib.Path({str(count)!r})\n"
             "p.write_text(p.read_text() + '{n} ' if p.exists() else '{n} ')\n")
    _notebook(tmp_path / "01_a.ipynb", tally.format(n="01_a") + (
        f"r = pathlib.Path({str(results)!r}); r.mkdir(exist_ok=True)\n(r / 'claims_results.csv').write_text("
        "'id,recomputed_value,tol,close_tol,period_used,geography_used,definition_used,status,notebook,note\\n"
        "c1,1,0.1,0.2,2019,France,jobs,reproduced,01_a,t\\n')"))
    _notebook(tmp_path / "00_sum.ipynb", "x = 1", tally.format(n="00_sum"))
    paths = run_notebooks.notebooks(folder=tmp_path)

    def run(force=False):
        count.unlink(missing_ok=True)
        runs = run_notebooks.execute_all(paths, jobs=1, report=lambda m: None, force=force, cache=tmp_path / "cache")
        return sorted(r.notebook for r in runs if r.skipped), count.read_text().split() if count.exists() else []

    assert run(force=True) == ([], ["01_a", "00_sum"])
    assert run() == (["00_sum", "01_a"], [])
    assert run(force=True) == ([], ["01_a", "00_sum"])
    assert run() == (["00_sum", "01_a"], [])


def test_the_command_line_skips_unchanged_notebooks_and_forces(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("ANALYSIS_FIGURES_DIR", str(tmp_path / "figures"))
    monkeypatch.setenv("ANALYSIS_NOTEBOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(run_notebooks, "NOTEBOOKS_DIR", tmp_path)
    _notebook(tmp_path / "01_a.ipynb", "print(1)")
    monkeypatch.setattr(run_notebooks, "notebooks", lambda names=None: [tmp_path / "01_a.ipynb"])
    assert run_notebooks.main(["-j", "1"]) == 0
    assert "executed 1 notebook (0 unchanged)" in capsys.readouterr().out
    assert run_notebooks.main(["-j", "1"]) == 0
    out = capsys.readouterr().out
    assert "01_a.ipynb unchanged, not executed" in out and "executed 0 notebooks (1 unchanged)" in out
    assert run_notebooks.main(["-j", "1", "--force"]) == 0
    assert "executed 1 notebook (0 unchanged)" in capsys.readouterr().out
    assert (tmp_path / "cache").is_dir()


def test_a_notebook_is_named_by_its_number_with_or_without_the_zero(tmp_path):
    """`recalcul run 6` and `make params NB=6` matched no notebook: 6 is notebook 06, as 06 and 06_name are."""
    from analysis.run import whatif

    for name in ("01_a", "06_b", "16_c"):
        _notebook(tmp_path / f"{name}.ipynb", "1")
    assert [p.stem for p in run_notebooks.notebooks(["6"], folder=tmp_path)] == ["06_b"]
    assert [p.stem for p in run_notebooks.notebooks(["1", "16"], folder=tmp_path)] == ["01_a", "16_c"]
    assert whatif.find_notebook("6", tmp_path).stem == "06_b" == whatif.find_notebook("06_b", tmp_path).stem
    with pytest.raises(run_notebooks.NoNotebookError, match="matches '7'"):
        run_notebooks.notebooks(["7"], folder=tmp_path)


def test_concurrent_writers_lose_no_claim_and_no_figure(tmp_path):
    """Four processes record four claims each and export a figure at the same time: every row survives
    (a lost update would drop a claim that no later write adds back). They are forked from one
    interpreter that imported matplotlib and the package once, and start together."""
    import os
    import subprocess
    import sys

    from analysis.report import claims

    ids = list(claims.load_claims()["id"][:16])
    script = ("import os, sys, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt\n"
              "from analysis.report import claims, figures\n"
              "go_r, go_w = os.pipe()\n"
              "pids = []\n"
              "for k in range(4):\n"
              "    mine, cid = sys.argv[1 + k::4], sys.argv[1 + k]\n"
              "    pid = os.fork()\n"
              "    if pid == 0:\n"
              "        code = 1\n"
              "        try:\n"
              "            os.close(go_w); os.read(go_r, 1)  # until every writer is forked\n"
              "            for one in mine:\n"
              "                claims.record(one, 1.0, tol=0.1, close_tol=0.2, note='concurrency test', notebook='nb_' + cid,\n"
              "                              period_used='2019', geography_used='France', definition_used='u')\n"
              "            fig, ax = plt.subplots(); ax.plot([0, 1])\n"
              "            figures.save_figure(fig, 'fig_' + cid, sources='x', notebook='nb_' + cid)\n"
              "            code = 0\n"
              "        finally:\n"
              "            os._exit(code)\n"
              "    pids.append(pid)\n"
              "os.close(go_w)\n"
              "codes = [os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in pids]\n"
              "print(codes)\n"
              "sys.exit(any(codes))\n")
    env = dict(os.environ, ANALYSIS_RESULTS_DIR=str(tmp_path / "results"), ANALYSIS_FIGURES_DIR=str(tmp_path / "figures"),
               ANALYSIS_FIG_FORMATS="svg")
    run = subprocess.run([sys.executable, "-c", script, *ids], env=env, capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout == "[0, 0, 0, 0]\n", run.stderr
    import pandas as pd

    recorded = pd.read_csv(tmp_path / "results" / "claims_results.csv", dtype=str)
    assert sorted(recorded["id"]) == sorted(ids)
    index = pd.read_csv(tmp_path / "figures" / "index.csv", dtype=str)
    assert sorted(index["name"]) == sorted("fig_" + c for c in ids[:4])


def test_the_inputs_key_covers_package_data_settings_and_the_summaries_inputs(tmp_path, monkeypatch):
    """A change to any package file, any data/*.csv or a setting changes every notebook's inputs key; the
    claims recorded by other notebooks change the summary notebook's key only, and its own rows do not."""
    from analysis.data import fingerprint
    from analysis.run import unchanged

    package, data, results = tmp_path / "package", tmp_path / "data", tmp_path / "results"
    for folder in (package / "sub", data, results):
        folder.mkdir(parents=True)
    (package / "sub" / "m.py").write_text("X = 1\n")
    (data / "registry.csv").write_text("name,sha256\na,1\n")
    monkeypatch.setattr(fingerprint, "PACKAGE_DIR", package)
    monkeypatch.setattr(fingerprint, "DATA_DIR", data)
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(results))
    monkeypatch.setenv("ANALYSIS_FIGURES_DIR", str(tmp_path / "figures"))
    monkeypatch.delenv("ANALYSIS_FIG_LANG", raising=False)
    theme, summary = tmp_path / "01_a.ipynb", tmp_path / "00_summary.ipynb"

    def keys():
        common = unchanged.common_inputs()
        return unchanged.inputs_key(theme, common), unchanged.inputs_key(summary, common)

    first = keys()
    assert first == keys() and first[0] != first[1]
    (package / "sub" / "m.py").write_text("X = 2\n")
    second = keys()
    assert second[0] != first[0] and second[1] != first[1]
    (data / "registry.csv").write_text("name,sha256\na,2\n")
    third = keys()
    assert third[0] != second[0]
    monkeypatch.setenv("ANALYSIS_FIG_LANG", "en")
    fourth = keys()
    assert fourth[0] != third[0]
    header = "id,recomputed_value,tol,close_tol,comparable,status,notebook,note\n"
    (results / "claims_results.csv").write_text(header + "c1,1,0,0,True,reproduced,00_summary,own\n")
    assert keys() == fourth, "the summary's own records do not change its inputs"
    (results / "claims_results.csv").write_text(header + "c2,1,0,0,True,reproduced,01_a,other\n")
    fifth = keys()
    assert fifth[0] == fourth[0] and fifth[1] != fourth[1]
    # a distribution installed, then upgraded, changes every key
    site = tmp_path / "site-packages"
    (site / "newpkg-1.0.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(site))
    sixth = keys()
    assert sixth[0] != fifth[0] and "newpkg-1.0.dist-info" in fingerprint.installed_distributions()
    (site / "newpkg-1.0.dist-info").rename(site / "newpkg-1.1.dist-info")
    assert keys()[0] != sixth[0]


def test_kernels_talk_over_unix_sockets_of_their_own(tmp_path):
    """Every kernel the package starts (runner, profiles, what-if runs) uses the ipc transport, its sockets in a
    private folder removed afterwards: no TCP port picked by one process can be taken by another's kernel
    (``ZMQError: Address already in use``, seen under make test); the kernel is shut down at the end."""
    from pathlib import Path

    import psutil

    from analysis.report.kernel import notebook_client

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os\nfrom ipykernel.connect import get_connection_info\n"
        "info = get_connection_info(unpack=True)\nprint(info['transport'], info['ip'], os.getpid())")])
    with notebook_client(nb, tmp_path, timeout=60) as client:
        client.execute()
        transport, ip, pid = nb.cells[0].outputs[0]["text"].split()
        folder = Path(ip).parent
        assert transport == "ipc" and folder.is_dir() and folder.name.startswith("analysis-kernel-")
    assert not folder.exists()
    assert not psutil.pid_exists(int(pid)), "the kernel was left running"
