"""The examples and the pictures they write, run as a newcomer runs them: from a folder that already
holds files. A picture replaces only a picture (nnscratch never replaces a file it did not write,
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
    with pytest.raises(ConfigError, match="exists and is not a picture; nnscratch never replaces"):
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


def test_the_xor_example_run_where_a_file_has_its_pictures_name_keeps_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nnscratch-pictures").mkdir()
    mine = tmp_path / "nnscratch-pictures" / "seed004_xor_cost.png"
    mine.write_text("not a picture: the user's own file")
    main = runpy.run_path(os.path.join(EXAMPLES, "seed004_xor.py"), run_name="example")["main"]
    with pytest.raises(ConfigError, match="is not a picture"):
        main(["--backend", "numpy", "--epochs", "20", "--every", "10"])
    assert mine.read_text() == "not a picture: the user's own file"
    assert sorted(os.listdir(tmp_path / "nnscratch-pictures")) == ["seed004_xor_cost.png"]
