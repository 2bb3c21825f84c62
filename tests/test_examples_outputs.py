"""The examples and the pictures they write, run as a newcomer runs them: from a folder that already
holds files. A picture replaces only a picture (nnscratch replaces a file only with one of the same kind,
:mod:`nnscratch.saving.kinds`); the examples write through :mod:`nnscratch.viz`, so these checks are
on the plots and animations themselves and on one example end to end."""

import os
import runpy

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="matplotlib is not installed (pip install 'nnscratch[viz]')")

import nnscratch as nn  # noqa: E402
from nnscratch.errors import ConfigError  # noqa: E402
from nnscratch.viz import animate_activations, plot_curves  # noqa: E402

EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "examples")


def test_a_plot_never_replaces_a_file_that_is_not_a_picture(tmp_path):
    """plot_curves("notes.png") over the user's text file wrote a PNG in its place."""
    notes = tmp_path / "notes.png"
    notes.write_text("my own notes")
    with pytest.raises(ConfigError, match="exists and is not a picture; nnscratch replaces a file only"):
        plot_curves({"run": [1.0, 0.5]}, notes)
    assert notes.read_text() == "my own notes"
    plot_curves({"run": [1.0, 0.5]}, tmp_path / "curve.png")
    plot_curves({"run": [1.0, 0.4]}, tmp_path / "curve.png")  # its own picture is replaced


def test_an_animation_never_replaces_a_file_that_is_not_a_picture(tmp_path):
    pytest.importorskip("PIL", reason="Pillow is not installed (pip install 'nnscratch[viz]')")
    net = nn.Network.from_sizes(4, 3, 2, seed=0, backend="numpy")
    X = np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32)
    kept = tmp_path / "frames.gif"
    kept.write_bytes(b"\x00\x01 not a GIF")
    with pytest.raises(ConfigError, match="is not a picture"):
        animate_activations(net, X, kept, n_images=2, image_shape=None)
    assert kept.read_bytes() == b"\x00\x01 not a GIF"


@pytest.mark.parametrize("ext", ["eps", "ps", "tif", "svgz", "pdf", "svg", "jpg"])
def test_every_picture_format_matplotlib_writes_is_replaced_by_the_next_plot(ext, tmp_path):
    """A second plot to the same .eps/.ps/.tif/.svgz (pictures the recogniser did not know) must not
    be refused as 'not a picture'."""
    if ext == "jpg":
        pytest.importorskip("PIL", reason="matplotlib writes JPEG through Pillow")
    path = tmp_path / f"curve.{ext}"
    plot_curves({"run": [1.0, 0.5]}, path)
    plot_curves({"run": [1.0, 0.4]}, path)
    assert path.stat().st_size > 0


FIRST_PICTURE = {"seed000_ann_mnist.py": "seed000_confusion.png", "seed001_full_batch.py": "seed001_accuracy.png",
                 "seed002_deep_and_autoencoder.py": "seed002_autoencoder_loss.png",
                 "seed003_spirals.py": "seed003_moons_curves.png", "seed004_xor.py": "seed004_xor_cost.png"}


def _example_main(script, monkeypatch):
    """The example's main, with training made to fail loudly: the checks must come before it."""
    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking where its pictures go")
    monkeypatch.setattr(nn.Network, "fit", no_training)
    return runpy.run_path(os.path.join(EXAMPLES, script), run_name="example")["main"]


@pytest.mark.parametrize("script", sorted(FIRST_PICTURE))
def test_an_example_refuses_a_file_in_its_pictures_place_before_training(script, tmp_path, monkeypatch,
                                                                          capsys):
    """The example trained for minutes, then ended in a ConfigError traceback at its first picture."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nnscratch-pictures").mkdir()
    mine = tmp_path / "nnscratch-pictures" / FIRST_PICTURE[script]
    mine.write_text("not a picture: the user's own file")
    with pytest.raises(SystemExit) as stop:
        _example_main(script, monkeypatch)(["--backend", "numpy"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert FIRST_PICTURE[script] in err and "is not a picture" in err and "choose another path" in err
    assert "--out DIR draws them elsewhere, --no-plots draws none" in err
    assert mine.read_text() == "not a picture: the user's own file"
    assert os.listdir(tmp_path / "nnscratch-pictures") == [FIRST_PICTURE[script]]


def test_an_example_whose_out_folder_is_a_file_says_so_before_training(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit) as stop:
        _example_main("seed003_spirals.py", monkeypatch)(["--backend", "numpy", "--out", "notes.txt/pics"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1
    assert "'notes.txt' is a file, not a folder" in err or "notes.txt' is a file, not a folder" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_no_plots_skips_the_picture_check(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nnscratch-pictures").write_text("a file where the folder would go")
    main = runpy.run_path(os.path.join(EXAMPLES, "seed004_xor.py"), run_name="example")["main"]
    main(["--backend", "numpy", "--epochs", "5", "--every", "5", "--no-plots"])


def test_check_picture_paths_raises_for_the_library_and_allows_missing_folders(tmp_path):
    from nnscratch.viz import check_picture_paths
    check_picture_paths([tmp_path / "new" / "deeper" / "a.png"])
    (tmp_path / "a.png").write_text("text")
    with pytest.raises(ConfigError, match="is not a picture"):
        check_picture_paths([tmp_path / "b.png", tmp_path / "a.png"])
    assert not (tmp_path / "new").exists()
