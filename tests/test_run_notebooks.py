"""Notebook runner: byte-stable outputs and parameter injection (used by make reproduce and make profile)."""

import nbformat
import pytest

from analysis.run import kernel_fork, notebooks as run_notebooks


@pytest.fixture(autouse=True)
def _light_zygote(monkeypatch):
    """These notebooks import nothing heavy: the runner's zygote preloads only what a kernel imports to start."""
    monkeypatch.setattr(kernel_fork, "PRELOAD", ("ipykernel.kernelapp", "ipykernel.debugger", "IPython.core.history"))
    monkeypatch.setattr(kernel_fork, "WARM", "")


def test_coalesce_streams_merges_consecutive_same_stream_only():
    outs = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
            nbformat.v4.new_output("stream", name="stdout", text="b\n"),
            nbformat.v4.new_output("stream", name="stderr", text="w\n"),
            nbformat.v4.new_output("stream", name="stdout", text="c\n")]
    merged = run_notebooks.coalesce_streams(outs)
    assert [(o["name"], o["text"]) for o in merged] == [("stdout", "a\nb\n"), ("stderr", "w\n"), ("stdout", "c\n")]


def test_inject_parameters_after_the_tagged_cell():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# t"),
        nbformat.v4.new_code_cell("TI = 'ti-8406'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(TI)")])
    run_notebooks.inject_parameters(nb, {"TI": "ti-2704", "EPCI": ["200070407"]})
    assert nb.cells[2].source == "# Injected parameters\nTI = 'ti-2704'\nEPCI = ['200070407']"
    with pytest.raises(ValueError, match="parameters"):
        run_notebooks.inject_parameters(nbformat.v4.new_notebook(), {"TI": "x"})


def test_execute_is_byte_stable_and_forgets_stale_records(tmp_path, monkeypatch):
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
    first = path.read_bytes()
    run_notebooks.execute(path)
    assert path.read_bytes() == first
    outs = nbformat.read(path, as_version=4).cells[0].outputs
    assert len(outs) == 1 and outs[0]["text"] == "0\n1\n2\n"
    assert "execution" not in nbformat.read(path, as_version=4).cells[0].metadata
    assert "old_claim" not in (tmp_path / "results" / "claims_results.csv").read_text()


def _notebook(path, source):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_execute_all_runs_kernels_in_parallel_and_summaries_last(tmp_path, monkeypatch):
    """Two notebooks overlap in time with two jobs; the 00_ summary starts after both ended;
    notebooks are discovered from the folder, and Run carries timings and peak memory."""
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("ANALYSIS_FIGURES_DIR", str(tmp_path / "figures"))
    log = tmp_path / "log"
    log.mkdir()
    work = ("import time, pathlib\nlog = pathlib.Path({log!r})\n(log / '{n}.start').write_text(repr(time.time()))\n"
            "time.sleep(1.0)\n(log / '{n}.end').write_text(repr(time.time()))")
    for n in ("01_a", "02_b"):
        _notebook(tmp_path / f"{n}.ipynb", work.format(log=str(log), n=n))
    _notebook(tmp_path / "00_summary.ipynb",
              f"import time, pathlib\nlog = pathlib.Path({str(log)!r})\n"
              "print(sorted(p.name for p in log.glob('*.end')), time.time() >= max(float(p.read_text()) for p in log.glob('*.end')))")
    _notebook(tmp_path / "notes.ipynb", "raise SystemExit('an unnumbered notebook is not executed')")
    paths = run_notebooks.notebooks(folder=tmp_path)
    assert [p.name for p in paths] == ["01_a.ipynb", "02_b.ipynb", "00_summary.ipynb"]
    runs = run_notebooks.execute_all(paths, jobs=2, report=lambda m: None)
    t = {p.name: float(p.read_text()) for p in log.iterdir()}
    assert t["01_a.start"] < t["02_b.end"] and t["02_b.start"] < t["01_a.end"], "the two kernels did not overlap"
    summary = nbformat.read(tmp_path / "00_summary.ipynb", as_version=4).cells[0].outputs[0]["text"]
    assert summary == "['01_a.end', '02_b.end'] True\n"
    assert [r.notebook for r in runs][-1] == "00_summary"
    r = next(r for r in runs if r.notebook == "01_a")
    assert r.seconds >= 1.0 and 0 < r.kernel_start_s < r.seconds and r.cells[0][1] >= 1.0
    assert r.peak_rss_mb is None or 10 < r.peak_rss_mb < 2000


def test_execute_all_reports_a_failing_notebook_after_the_others(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("ANALYSIS_FIGURES_DIR", str(tmp_path / "figures"))
    _notebook(tmp_path / "01_bad.ipynb", "1 / 0")
    _notebook(tmp_path / "02_good.ipynb", "print('ok')")
    with pytest.raises(RuntimeError, match="01_bad"):
        run_notebooks.execute_all(run_notebooks.notebooks(folder=tmp_path), jobs=2, report=lambda m: None)
    assert nbformat.read(tmp_path / "02_good.ipynb", as_version=4).cells[0].outputs[0]["text"] == "ok\n"


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
