"""Notebook runner: byte-stable outputs and parameter injection (used by make reproduce and make profile)."""

import nbformat
import pytest

from analysis import run_notebooks


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
        "id,recomputed_value,tol,close_tol,comparable,status,notebook,note\n"
        "old_claim,1,0,0,True,reproduced,99_demo,stale\n")
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
