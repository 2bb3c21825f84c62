"""``nnscratch predict``: one reader and one set of checks for every input, table models and image models alike."""

import json

import numpy as np
import pytest

from nnscratch import Network, cli
from test_cli_messages import one_line, run  # noqa: E402  (the command line's one-error-line checks)


RAW = ("Traceback", "ValueError", "UnicodeDecodeError", "allow_pickle", "Errno", "before training", "reshape")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """tab.npz: a table model on columns a, b, c (target label); npym.npz: one on X.npy's 4 columns x0..x3;
    digits.npz: an (untrained) 784-input image model."""
    folder = tmp_path_factory.mktemp("models")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    (folder / "tab.csv").write_text("a,b,c,label\n" + "".join(
        f"{r[0]:.4f},{r[1]:.4f},{r[2]:.4f},{int(r[0] + r[1] > 0)}\n" for r in X))
    np.save(folder / "X.npy", rng.normal(size=(100, 4)))
    np.save(folder / "y.npy", np.arange(100) % 2)
    for spec, name in ((f"csv:{folder / 'tab.csv'}", "tab.npz"), (f"npy:{folder / 'X.npy'},{folder / 'y.npy'}",
                                                                 "npym.npz")):
        assert cli.main(["train", "--dataset", spec, "--epochs", "2", "--quiet", "--backend", "numpy",
                         "--out", str(folder / name)]) == 0
    Network.from_sizes(784, 8, 10, seed=0).save(folder / "digits.npz")
    return folder


def test_an_array_is_refused_unless_its_last_axis_is_the_input_size(models, capsys):
    rng = np.random.default_rng(1)
    np.save("three.npy", rng.random((3, 784)))           # 2352 values: a multiple of 3 and of 784
    np.save("pairs.npy", rng.random((392, 2)))           # 784 values
    one_line(*run(capsys, "predict", models / "tab.npz", "three.npy")[::2],
             "shape (3, 784)", "takes 3 features per sample", "shape (n, 3)")
    one_line(*run(capsys, "predict", models / "digits.npz", "pairs.npy")[::2],
             "shape (392, 2)", "784 inputs", "(n, 784) or (n, 28, 28)")
    np.save("images.npy", rng.random((2, 28, 28)))
    np.save("image.npy", rng.random((28, 28)))
    np.save("rows.npy", rng.random((3, 3)))
    status, out, err = run(capsys, "predict", models / "digits.npz", "images.npy", "image.npy", "three.npy")
    assert status == 0 and err == "" and len(out.strip().splitlines()) == 2 + 1 + 3
    status, out, err = run(capsys, "predict", models / "tab.npz", "rows.npy")
    assert status == 0 and err == "" and len(out.strip().splitlines()) == 3


def test_a_header_that_does_not_name_the_models_features_is_refused(models, capsys):
    one_line(*run(capsys, "predict", models / "npym.npz", models / "tab.csv")[::2],
             "the columns a, b, c, label", "takes the features x0, x1, x2, x3", "remove the header line")
    (models / "other.csv").write_text("x,y,z\n1,2,3\n4,5,6\n")
    one_line(*run(capsys, "predict", models / "tab.npz", models / "other.csv")[::2],
             "the columns x, y, z", "takes the features a, b, c", "missing: a, b, c")
    rows = [line.split(",") for line in (models / "tab.csv").read_text().splitlines()]
    open("shuffled.csv", "w").write("".join(f"{r[3]},{r[2]},{r[0]},{r[1]}\n" for r in rows))  # label first, c, a, b
    open("plain.csv", "w").write("".join(",".join(r[:3]) + "\n" for r in rows[1:]))           # no header
    outputs = [run(capsys, "predict", models / "tab.npz", name, "--json")[1] for name in
               (models / "tab.csv", "shuffled.csv", "plain.csv")]
    probabilities = [[json.loads(line)["probability"] for line in out.splitlines()] for out in outputs]
    assert len(probabilities[0]) == 100 and probabilities[0] == probabilities[1] == probabilities[2]


@pytest.mark.parametrize("name, content, fragments", [
    ("digit.png", b"\x89PNG\r\n\x1a\n\x00\x00", ["images need a model with 784 inputs", "tab.npz takes 3 features"]),
    ("wide.npy", np.ones((50, 4)), ["shape (50, 4)", "give 3 values per sample"]),
    ("words.npy", np.array([["a", "b", "c"]]), ["holds <U1 values, not numbers"]),
    ("fake.npy", b"hello\n", ["fake.npy: not a readable .npy array", "numpy.save"]),
    ("nan.npy", np.array([[1.0, np.nan, 2.0]]), ["NaN", "every input must be a finite number"]),
    ("missing.npy", None, ["input file missing.npy does not exist"]),
    ("folder", "dir", ["input folder is a folder"]),
    ("/dev/null", None, ["input /dev/null is not a regular file"]),
    ("binary.csv", b"\x95\xff\x00abc", ["binary.csv is not a text CSV"]),
])
def test_a_table_model_checks_its_inputs_as_image_models_do(models, capsys, name, content, fragments):
    import pathlib
    if isinstance(content, bytes):
        pathlib.Path(name).write_bytes(content)
    elif isinstance(content, np.ndarray):
        np.save(name, content)
    elif content == "dir":
        pathlib.Path(name).mkdir()
    model = models / "tab.npz"
    line = one_line(*run(capsys, "predict", model, name)[::2], *fragments)
    assert not any(raw in line for raw in RAW), line


def test_a_header_naming_two_columns_alike_predicts_from_each_column(tmp_path, capsys):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 2))
    rows = [f"{a:.4f},{b:.4f}" for a, b in X]
    (tmp_path / "dup.csv").write_text("x,x,label\n" + "".join(f"{r},{int(a > b)}\n" for r, (a, b) in zip(rows, X)))
    (tmp_path / "rows.csv").write_text("".join(f"{r}\n" for r in rows))      # the same rows by position
    assert cli.main(["train", "--dataset", f"csv:{tmp_path / 'dup.csv'}", "--epochs", "2", "--quiet",
                     "--backend", "numpy", "--out", str(tmp_path / "dup.npz")]) == 0
    capsys.readouterr()
    assert Network.load(tmp_path / "dup.npz").metadata["features"] == ["x", "x.1"]
    by_name, by_position = (run(capsys, "predict", tmp_path / "dup.npz", tmp_path / name, "--json")[1]
                            for name in ("dup.csv", "rows.csv"))
    assert [json.loads(line)["probability"] for line in by_name.splitlines()] == \
        [json.loads(line)["probability"] for line in by_position.splitlines()]


def test_an_image_or_generated_data_model_reads_csv_rows_as_a_table_model_does(tmp_path, capsys):
    Network.from_sizes(2, 8, 2, seed=0).save(tmp_path / "two.npz")
    rows = ["0.5,-1", "1,2", "-3,0.25"]
    variants = {"plain.csv": "\n".join(rows) + "\n",
                "bom.csv": "\ufeff" + "\r\n".join(rows) + "\r\n",                   # Excel: no row lost
                "label_last.csv": "a,b,label\n" + "".join(f"{r},1\n" for r in rows),   # the named column skipped
                "label_first.csv": "".join(f"1,{r}\n" for r in rows),                  # the leading one skipped
                "semicolons.csv": "a;b\n" + "".join(r.replace(",", ";") + "\n" for r in rows)}
    outputs = {}
    for name, text in variants.items():
        (tmp_path / name).write_bytes(text.encode())
        status, out, err = run(capsys, "predict", tmp_path / "two.npz", tmp_path / name, "--json")
        assert status == 0 and err == "", (name, err)
        outputs[name] = [json.loads(line)["probability"] for line in out.splitlines()]
    assert len(outputs["plain.csv"]) == 3 and all(o == outputs["plain.csv"] for o in outputs.values()), outputs
    (tmp_path / "latin1.csv").write_bytes("x,y\n\xe9,1\n".encode("latin-1"))
    line = one_line(*run(capsys, "predict", tmp_path / "two.npz", tmp_path / "latin1.csv")[::2], "not a text CSV")
    assert not any(raw in line for raw in RAW), line


def test_a_cnn_with_open_image_sizes_predicts_images_of_a_size_it_takes(tmp_path, capsys):
    """Built from Conv2D/pooling layers without input_shape, the model's input is (1, None, None): predict
    reads an array's trailing axes as images of a size its layers take, and names that size otherwise."""
    from nnscratch import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Softmax
    net = Network([Conv2D(1, 2, 3, padding=1), ReLU(), MaxPool2D(2), Flatten(), Dense(2 * 4 * 4, 3), Softmax()])
    assert net.input_shape == (1, None, None)
    net.save(tmp_path / "open.npz")
    images = np.random.default_rng(3).random((2, 1, 8, 8)).astype(np.float32)
    expected = net.predict_proba(images).max(axis=1)
    for name, array in (("nchw.npy", images), ("nhw.npy", images[:, 0]), ("flat.npy", images.reshape(2, 64)),
                        ("grey.npy", images * 255)):
        np.save(tmp_path / name, array)
        status, out, err = run(capsys, "predict", tmp_path / "open.npz", tmp_path / name, "--json")
        assert status == 0 and err == "", (name, err)
        assert np.allclose([json.loads(line)["probability"] for line in out.splitlines()], expected, atol=1e-5)
    np.save(tmp_path / "one.npy", images[0, 0])
    np.save(tmp_path / "nine.npy", np.zeros((9, 9)))   # 9x9 pools to 4x4 as well
    status, out, err = run(capsys, "predict", tmp_path / "open.npz", tmp_path / "one.npy", tmp_path / "nine.npy")
    assert status == 0 and err == "" and len(out.strip().splitlines()) == 2, err
    np.save(tmp_path / "small.npy", np.zeros((2, 6, 6)))
    line = one_line(*run(capsys, "predict", tmp_path / "open.npz", tmp_path / "small.npy")[::2],
                    "shape (2, 6, 6)", "takes images of shape (n, 1, H, W) or (n, H, W)", "e.g. (n, 1, 8, 8)")
    assert "None" not in line and not any(raw in line for raw in RAW), line


def test_the_figure_beside_a_class_is_called_a_probability_only_where_it_is_one(models, capsys, tmp_path):
    """An identity output trained with mse gives scores (1.37 was printed as a 'probability'); the class is
    always Network.predict's, and a softmax model's figure is the probability of that class."""
    import nnscratch as nn
    rng = np.random.default_rng(2)
    X, y = rng.random((64, 784)).astype(np.float32), np.arange(64) % 10
    scores = Network([nn.Dense(784, 10), nn.Identity()], seed=0)
    scores.fit(X, y, epochs=1, loss="mse", verbose=False)
    scores.save(tmp_path / "scores.npz")
    np.save(tmp_path / "x.npy", X[:5])
    for name, net, word in (("scores.npz", scores, "output"), ("digits.npz", Network.load(models / "digits.npz"),
                                                                 "probability")):
        status, out, err = run(capsys, "predict", (tmp_path if name == "scores.npz" else models) / name,
                               tmp_path / "x.npy", "--json")
        assert status == 0, err
        rows = [json.loads(line) for line in out.strip().splitlines()]
        assert [r["class"] for r in rows] == net.predict(X[:5]).tolist()
        expected = net.predict_proba(X[:5])[np.arange(5), net.predict(X[:5])]
        assert all(word in r and "probability" not in r or word == "probability" for r in rows)
        np.testing.assert_allclose([r[word] for r in rows], expected, rtol=1e-6)
    status, out, _ = run(capsys, "predict", tmp_path / "scores.npz", tmp_path / "x.npy")
    assert status == 0 and "(output " in out and "probability" not in out
