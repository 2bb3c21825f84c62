"""``nnscratch predict`` reads an image model's inputs as ``nnscratch train`` read its data: an .npy of whole
numbers 0..255 is divided by 255 for a model of images of any size (it was only for 28x28 digit models, so a
model of 8x8 uint8 images predicted raw pixels, probability 1.000 on every row)."""

import numpy as np

from nnscratch import Network, cli


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_predict_divides_small_uint8_images_as_training_did(tmp_path, capsys):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 120)
    bright = 150 * y[:, None, None, None] * (np.arange(8) < 4)[None, None, None, :]
    U = (rng.integers(0, 60, (120, 1, 8, 8)) + bright).astype(np.uint8)
    np.save(tmp_path / "U.npy", U)
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "few.npy", U[:4])
    model = tmp_path / "u.npz"
    status, out, err = run(capsys, "train", "--dataset", f"npy:{tmp_path / 'U.npy'},{tmp_path / 'y.npy'}",
                           "--layers", "conv4x3p1,relu,maxpool2,dense2", "--epochs", "3", "--out", model)
    assert status == 0, err
    assert "divided by 255" in out + err  # training says it divided the pixels
    status, out, err = run(capsys, "predict", model, tmp_path / "few.npy", "--json")
    assert status == 0, err
    printed = [line for line in out.splitlines() if line.startswith("{")]
    net = Network.load(model)
    expected = net.predict_proba(U[:4].reshape(4, -1).astype(np.float32) / np.float32(255.0))
    import json
    got = [json.loads(line) for line in printed]
    assert [g["class"] for g in got] == list(np.argmax(expected, axis=1))
    np.testing.assert_allclose([g["probability"] for g in got], np.max(expected, axis=1), rtol=1e-5)
