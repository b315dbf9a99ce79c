"""Atomic writes of results, figures and profiles (issue 28, item 5): a writer that fails half-way
leaves the previous file whole, and no temporary file behind."""

import os

import pytest

from analysis.data import locking


class Boom(Exception):
    pass


def test_replacing_keeps_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "scoreboard.csv"
    target.write_text("old\n")
    with pytest.raises(Boom):
        with locking.replacing(target) as tmp:
            tmp.write_text("half a fi")
            raise Boom
    assert target.read_text() == "old\n" and os.listdir(tmp_path) == ["scoreboard.csv"]
    with locking.replacing(target) as tmp:
        tmp.write_text("new\n")
    assert target.read_text() == "new\n" and os.listdir(tmp_path) == ["scoreboard.csv"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_replace_tree_swaps_a_folder_whole(tmp_path):
    old = tmp_path / "out" / "ti-8416_figures"
    old.mkdir(parents=True)
    (old / "a.svg").write_text("old")
    new = tmp_path / "render" / "ti-8416_figures"
    new.mkdir(parents=True)
    (new / "b.svg").write_text("new")
    locking.replace_tree(new, old)
    assert sorted(os.listdir(old)) == ["b.svg"] and not new.exists()
    assert sorted(os.listdir(old.parent)) == ["ti-8416_figures"], "no staging or old folder left"
    assert old.stat().st_mode & 0o700 == 0o700 and old.stat().st_mode & 0o005 == 0o005


def test_a_figure_export_that_fails_leaves_the_previous_files(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from analysis.report import figures

    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "png")
    fig, ax = plt.subplots()
    ax.plot([1, 2], [1, 2])
    figures.save_figure(fig, "toy", sources="test", notebook="test", out_dir=tmp_path)
    before = (tmp_path / "toy.png").read_bytes()
    ax.plot([1, 2], [2, 1])
    real = fig.savefig

    def failing(fname, *a, **k):
        if not hasattr(fname, "write"):  # the file export: write a little, then fail (disk full)
            open(fname, "wb").write(b"\x89PNG partial")
            raise OSError(28, "No space left on device")
        return real(fname, *a, **k)

    monkeypatch.setattr(fig, "savefig", failing)
    with pytest.raises(OSError, match="No space left"):
        figures.save_figure(fig, "toy", sources="test", notebook="test", out_dir=tmp_path)
    assert (tmp_path / "toy.png").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    plt.close(fig)
