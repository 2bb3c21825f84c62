"""Tables: CSV/npz/npy datasets, class names, regression, standardisation, the CLI and Python inputs."""

import json

import numpy as np
import pytest

from nnscratch import Network
from nnscratch.saving import checkpoint
from nnscratch import cli
from nnscratch.datasets import load_dataset
from nnscratch.datasets.tables import load_table
from nnscratch.errors import ConfigError, DataFormatError, ShapeError
from nnscratch.metrics import accuracy, mae, r2, rmse
from nnscratch.saving.standardizer import Standardizer

SPECIES = ("setosa", "versicolor", "virginica")


def flowers(n=60, seed=0):
    """An iris-like table: 3 species, 4 features whose means differ by species."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = rng.normal(size=(n, 4)) * 0.3 + y[:, None] * np.array([1.0, -0.5, 2.0, 0.8]) + 5
    return X, y


def write_flowers(path, n=60, header=True, target_first=False):
    X, y = flowers(n)
    names = "sepal_length,sepal_width,petal_length,petal_width"
    lines = [f"species,{names}" if target_first else f"{names},species"] if header else []
    for x, label in zip(X, y):
        cells = [f"{v:.3f}" for v in x]
        cells = [SPECIES[label], *cells] if target_first else [*cells, SPECIES[label]]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def write_regression(path, n=200):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, 3))
    y = 3 * X[:, 0] - 2 * X[:, 1] + 0.5 * X[:, 2] ** 2 + 10 + rng.normal(size=n) * 0.1
    path.write_text("a,b,c,value\n" + "".join(f"{r[0]:.4f},{r[1]:.4f},{r[2]:.4f},{t:.4f}\n" for r, t in zip(X, y)))
    return path


def test_csv_with_class_names_header_and_stratified_test_split(tmp_path):
    data = load_dataset(f"csv:{write_flowers(tmp_path / 'iris.csv')}", seed=3)
    assert data.class_names == SPECIES and data.task == "classification" and data.n_classes == 3
    assert data.feature_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert np.bincount(data.y_test).tolist() == [4, 4, 4] and len(data.X_train) == 48
    assert any("held out 12 rows (20%, seed 3, stratified)" in note for note in data.notes)
    X, y = flowers()
    row = np.flatnonzero(np.all(np.isclose(X, data.X_test[0], atol=1e-3), axis=1))[0]
    assert SPECIES[y[row]] == data.class_names[data.y_test[0]]      # the names follow their rows


def test_target_column_by_default_name_index_and_without_header(tmp_path):
    first = load_table(write_flowers(tmp_path / "a.csv", target_first=True), target="species")
    by_index = load_table(tmp_path / "a.csv", target=0)
    np.testing.assert_array_equal(first.y_train, by_index.y_train)
    assert first.class_names == SPECIES and first.n_features == 4
    plain = load_table(write_flowers(tmp_path / "b.csv", header=False))     # no header: the last column
    assert plain.class_names == SPECIES and plain.feature_names[0] == "column 0"
    (tmp_path / "c.csv").write_text("label,x\n" + "".join(f"{i % 2},{i}\n" for i in range(10)))
    assert load_table(tmp_path / "c.csv").feature_names == ("x",)            # "label" wins over "last"
    with pytest.raises(ConfigError, match="no such column"):
        load_table(tmp_path / "c.csv", target="species")


@pytest.mark.parametrize("text, fragments", [
    ("a,b,y\n1,2,0\n3,,1\n5,6,0\n", ["line 3", "column 'b'", "missing value"]),
    ("a,b,y\n1,2,0\n3,x7,1\n5,6,0\n", ["line 3", "column 'b'", "'x7' is not a number"]),
    ("a,b,y\n1,2,0\n3,4,NA\n5,6,0\n", ["line 3", "column 'y' (the target)", "missing value"]),
    ("a,b,y\n1,2,cat\n3,4,cat\n", ["only one class", "'cat'"]),
    ("a,b,y\n", ["no rows of data"]),
    ("", ["empty"]),
    ("a,b,y\n1,2,0\n3,4\n", ["line 3", "2 values but 3 columns"]),
    ("a;b;y\n1;2;0\n3,5;4;1\n", ["line 3", "column 'a'", "'3,5' is not a number (a decimal comma", "1.5"]),
])
def test_one_clear_error_per_problem(tmp_path, text, fragments):
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(DataFormatError) as info:
        load_dataset(f"csv:{tmp_path / 'bad.csv'}")
    for fragment in fragments:
        assert fragment in str(info.value)


@pytest.mark.parametrize("separator", ["\t", ";"])
def test_tab_and_semicolon_separated_tables_read_as_the_comma_separated_one(tmp_path, separator):
    write_flowers(tmp_path / "iris.csv")
    text = (tmp_path / "iris.csv").read_text()
    (tmp_path / "other.csv").write_bytes(("\ufeff" + text.replace(",", separator)).replace("\n", "\r\n").encode())
    commas, other = load_table(tmp_path / "iris.csv"), load_table(tmp_path / "other.csv")
    assert other.feature_names == commas.feature_names and other.class_names == SPECIES
    np.testing.assert_array_equal(other.X_train, commas.X_train)


def test_regression_is_detected_and_can_be_forced(tmp_path):
    data = load_table(write_regression(tmp_path / "r.csv"))
    assert data.task == "regression" and data.y_train.dtype == np.float32 and data.n_classes == 1
    assert not any("stratified" in note for note in data.notes)
    ints = tmp_path / "ints.csv"
    ints.write_text("x,y\n" + "".join(f"{i},{i * 3}\n" for i in range(100)))     # 100 distinct integers
    assert load_table(ints).task == "regression"
    assert load_table(write_flowers(tmp_path / "f.csv"), task=None).task == "classification"
    few = tmp_path / "few.csv"
    few.write_text("x,y\n" + "".join(f"{i},{i % 4}\n" for i in range(40)))
    assert load_table(few).task == "classification" and load_table(few, task="regression").task == "regression"


def test_file_datasets_under_home_with_spaces_and_commas_in_their_names(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))                     # no shell expands the ~ of csv:~/...
    (tmp_path / "my data").mkdir()
    write_flowers(tmp_path / "my data" / "iris, v2.csv")
    X, y = flowers()
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    for spec in ("csv:~/my data/iris, v2.csv", "~/my data/iris, v2.csv", "npy:~/X.npy, ~/y.npy"):
        data = load_dataset(spec)
        assert data.n_classes == 3 and len(data.X_train) + len(data.X_test) == 60, spec


def test_npz_and_npy_pairs(tmp_path):
    X, y = flowers()
    np.savez(tmp_path / "xy.npz", X=X, y=np.array(SPECIES)[y])
    data = load_dataset(f"npz:{tmp_path / 'xy.npz'}")
    assert data.class_names == SPECIES and len(data.X_train) + len(data.X_test) == 60
    np.savez(tmp_path / "split.npz", X_train=X[:50], y_train=y[:50], X_test=X[50:], y_test=y[50:])
    split = load_dataset(str(tmp_path / "split.npz"))
    np.testing.assert_array_equal(split.y_test, y[50:]) and np.testing.assert_allclose(split.X_test, X[50:], rtol=1e-6)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "t.npy", X[:, 0] * 1.37)
    pair = load_dataset(f"npy:{tmp_path / 'X.npy'},{tmp_path / 't.npy'}")
    assert pair.task == "regression" and pair.n_features == 4
    np.savez(tmp_path / "other.npz", A=X)
    with pytest.raises(DataFormatError, match="expected X and y.*numpy.savez"):
        load_dataset(f"npz:{tmp_path / 'other.npz'}")


def test_one_hot_targets_are_classes_and_other_rows_of_targets_no_classes(tmp_path):
    X, y = flowers()
    np.savez(tmp_path / "onehot.npz", X=X, y=np.eye(3)[y])
    np.savez(tmp_path / "labels.npz", X=X, y=y)
    onehot, labels = load_dataset(f"npz:{tmp_path / 'onehot.npz'}"), load_dataset(f"npz:{tmp_path / 'labels.npz'}")
    assert onehot.task == "classification" and onehot.class_names == labels.class_names == ("0", "1", "2")
    np.testing.assert_array_equal(onehot.y_test, labels.y_test)
    assert load_dataset(f"npz:{tmp_path / 'onehot.npz'}", task="regression").n_classes == 3   # three targets
    np.savez(tmp_path / "two.npz", X=X, y=X[:, :2])
    with pytest.raises(DataFormatError, match=r"shape \(60, 2\), several targets per sample, and is not one-hot"):
        load_dataset(f"npz:{tmp_path / 'two.npz'}", task="classification")


def test_an_npz_with_keras_lower_case_names_reads_as_with_capitals(tmp_path):
    X, y = flowers()
    np.savez(tmp_path / "keras.npz", x_train=X[:45], y_train=y[:45], x_test=X[45:], y_test=y[45:])
    np.savez(tmp_path / "xy.npz", x=X, y=y)
    split = load_dataset(f"npz:{tmp_path / 'keras.npz'}")
    np.testing.assert_allclose(split.X_test, X[45:], rtol=1e-6)
    assert split.y_test.tolist() == y[45:].tolist()
    assert len(load_dataset(f"npz:{tmp_path / 'xy.npz'}").X_test) == 12


def test_standardizer_fits_train_applies_anywhere_and_never_modifies_input():
    X = np.array([[1.0, 10.0, 5.0], [3.0, 30.0, 5.0]])
    keep = X.copy()
    scaler = Standardizer().fit(X)
    np.testing.assert_allclose(scaler.transform(X), [[-1, -1, 0], [1, 1, 0]])
    again = Standardizer.from_metadata({"standardize": json.loads(json.dumps(scaler.to_metadata()))})
    np.testing.assert_allclose(again.transform([[2.0, 20.0, 7.0]]), [[0, 0, 2]])
    np.testing.assert_array_equal(X, keep)
    with pytest.raises(ShapeError, match="standardises 3 features"):
        scaler.transform(np.ones((2, 4)))


def test_a_large_column_with_a_small_spread_keeps_its_values_through_loading_and_scaling(tmp_path, capsys):
    """Timestamps in milliseconds (1.7e12 +- 1e5): float32 holds them to 131,072, so the table stays float64
    until it is standardised, and training sees the rows as predict does (both in float64)."""
    from nnscratch.datasets import standardize
    rng = np.random.default_rng(0)
    stamps = 1.7e12 + rng.integers(0, 100_000, 200).astype(np.float64)
    label = (stamps > np.median(stamps)).astype(int)
    path = tmp_path / "times.csv"
    path.write_text("stamp,late\n" + "".join(f"{s:.0f},{c}\n" for s, c in zip(stamps, label)))
    data = load_dataset(f"csv:{path}")
    rows = np.concatenate([data.X_train, data.X_test])[:, 0]
    assert len(np.unique(rows)) == len(np.unique(stamps))               # float32 kept 1 or 2 values
    z, mean, std = standardize(data.X_train)
    assert z.dtype == np.float32 and len(np.unique(z)) == len(np.unique(data.X_train))
    np.testing.assert_allclose(z, Standardizer().fit(data.X_train).transform(data.X_train), atol=1e-6)
    np.testing.assert_allclose(standardize(data.X_test, mean, std)[0],
                               Standardizer().fit(data.X_train).transform(data.X_test), atol=1e-6)
    model = tmp_path / "times.npz"
    status, out, err = run(capsys, "train", "--dataset", f"csv:{path}", "--out", model, "--json")
    assert status == 0 and json.loads(out)["test_accuracy"] > 0.9, err   # 50% when the column was float32
    status, out, err = run(capsys, "predict", model, path, "--json")     # predict reads the rows as training did
    predicted = np.array([json.loads(line)["class"] for line in out.splitlines()])
    assert status == 0 and np.mean(predicted == label) > 0.9, err          # 50% when read as float32
    # values beyond float32's range train too: they are standardised in float64 first
    path.write_text("stamp,late\n" + "".join(f"{s * 1e30:.6g},{c}\n" for s, c in zip(stamps - 1.7e12, label)))
    status, out, err = run(capsys, "train", "--dataset", f"csv:{path}", "--no-save", "--json")
    assert status == 0 and json.loads(out)["test_accuracy"] > 0.9, err


def test_metrics_by_hand():
    y, f = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, 6.0])
    assert rmse(y, f) == pytest.approx(1.0) and mae(y, f) == pytest.approx(0.5)
    assert r2(y, f) == pytest.approx(1 - 4 / 5.0) and r2(y, y) == 1.0
    assert accuracy(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2])) == 0.75


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_classification_table_saves_names_and_scaling(tmp_path, capsys):
    csv, model = write_flowers(tmp_path / "iris.csv", n=90), tmp_path / "iris.npz"
    status, out, err = run(capsys, "train", "--dataset", f"csv:{csv}", "--epochs", "30", "--out", model,
                           "--backend", "numpy")
    assert status == 0, err
    assert "target 'species': 3 classes" in out and "held out 18 rows (20%, seed 0, stratified)" in out
    net = Network.load(model)
    assert net.metadata["class_names"] == list(SPECIES) and len(net.metadata["standardize"]["mean"]) == 4
    status, out, _ = run(capsys, "evaluate", model, "--dataset", f"csv:{csv}", "--json")
    assert status == 0 and json.loads(out)["accuracy"] > 0.9          # well-separated species
    status, out, _ = run(capsys, "predict", model, csv, "--json")      # the training file itself, by name
    rows = [json.loads(line) for line in out.splitlines()]
    X, y = flowers(90)
    assert len(rows) == 90 and np.mean([r["name"] == SPECIES[t] for r, t in zip(rows, y)]) > 0.9


def test_a_table_model_is_scored_and_drawn_on_rows_as_it_learned_them(tmp_path, capsys, monkeypatch):
    """evaluate of a reordered copy of the table reads its columns by name; plot's pictures see the rows
    standardised as in training (the confusion matrix agrees with evaluate's)."""
    csv, model = write_flowers(tmp_path / "iris.csv", n=90), tmp_path / "iris.npz"
    assert run(capsys, "train", "--dataset", f"csv:{csv}", "--epochs", "30", "--out", model, "--backend", "numpy",
               "--quiet")[0] == 0
    status, out, _ = run(capsys, "evaluate", model, "--json")
    own = json.loads(out)
    lines = csv.read_text().splitlines()
    order = [2, 0, 3, 1, 4]
    reordered = tmp_path / "reordered.csv"
    reordered.write_text("\n".join(",".join(line.split(",")[i] for i in order) for line in lines) + "\n")
    status, out, err = run(capsys, "evaluate", model, "--dataset", f"csv:{reordered}", "--json")
    assert status == 0, err
    assert json.loads(out)["confusion_matrix"] == own["confusion_matrix"] and "warning" not in err
    drawn = {}
    monkeypatch.setattr("nnscratch.viz.plot_confusion", lambda y, pred, out, **kw: drawn.update(y=y, pred=pred))
    assert run(capsys, "plot", model, "--what", "confusion", "--out", tmp_path / "c.png")[0] == 0
    matrix = np.zeros((3, 3), dtype=int)
    np.add.at(matrix, (np.asarray(drawn["y"]), np.asarray(drawn["pred"])), 1)
    assert matrix.tolist() == own["confusion_matrix"]


def test_models_of_npy_and_npz_arrays_evaluate_without_options(tmp_path, capsys):
    X, y = flowers(60)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    np.savez(tmp_path / "split.npz", X_train=X[:45], y_train=y[:45], X_test=X[45:], y_test=y[45:])
    for spec in (f"npy:{tmp_path / 'X.npy'},{tmp_path / 'y.npy'}", f"npz:{tmp_path / 'split.npz'}"):
        status, out, err = run(capsys, "train", "--dataset", spec, "--epochs", "10", "--out", tmp_path / "m.npz",
                               "--force", "--json", "--backend", "numpy")
        assert status == 0, err
        trained = json.loads(out)["test_accuracy"]
        status, out, err = run(capsys, "evaluate", tmp_path / "m.npz", "--json")
        assert status == 0, err
        assert json.loads(out)["accuracy"] == pytest.approx(trained)


def test_cli_regression_reports_rmse_mae_r2(tmp_path, capsys):
    csv, model = write_regression(tmp_path / "r.csv"), tmp_path / "r.npz"
    status, out, err = run(capsys, "train", "--dataset", f"csv:{csv}", "--epochs", "60", "--json", "--out", model,
                           "--backend", "numpy")
    assert status == 0, err
    result = json.loads(out)
    assert result["r2"] > 0.9 and result["rmse"] > 0 and result["mae"] <= result["rmse"]
    assert result["layers"][-1] == 1 and Network.load(model).layers[-1].get_config()["type"] == "Identity"
    status, out, _ = run(capsys, "evaluate", model, "--dataset", f"csv:{csv}", "--json")
    assert json.loads(out)["r2"] == pytest.approx(result["r2"], rel=1e-5)
    (tmp_path / "q.csv").write_text("a,b,c\n1,0,0\n0,1,0\n")
    status, out, _ = run(capsys, "predict", model, tmp_path / "q.csv", "--json")
    values = [json.loads(line)["value"] for line in out.splitlines()]
    assert values[0] - values[1] == pytest.approx(5.0, abs=1.0)         # 3a - 2b: 13 versus 8


def test_cli_layer_spec_on_tables_ends_as_the_sizes_would(tmp_path, capsys):
    """A --layers spec on a regression table ends with an identity over the targets; on two classes one
    unit ends with a sigmoid (as sizes 3,16,1 do); a wrong width names the data's targets or classes."""
    reg, two = write_regression(tmp_path / "r.csv"), tmp_path / "two.csv"
    X, y = flowers(90)
    two.write_text("a,b,c,d,label\n" + "".join(",".join(f"{v:.4f}" for v in r) + f",{int(t == 0)}\n"
                                                 for r, t in zip(X, y)))
    status, out, err = run(capsys, "train", "--dataset", f"csv:{reg}", "--layers", "dense16,relu,dense1",
                           "--epochs", "60", "--json", "--out", tmp_path / "r.npz", "--backend", "numpy")
    assert status == 0, err
    assert json.loads(out)["r2"] > 0.5          # 0.73 measured; a constant guess gives 0
    assert Network.load(tmp_path / "r.npz").layers[-1].get_config()["type"] == "Identity"
    for spec in ("dense8,relu,dense1", "dense8,relu,dense1,sigmoid", "dense8,relu,dense2"):
        status, out, err = run(capsys, "train", "--dataset", f"csv:{two}", "--layers", spec, "--epochs", "100",
                               "--json", "--out", tmp_path / "two.npz", "--force", "--backend", "numpy")
        assert status == 0, err
        assert json.loads(out)["test_accuracy"] > 0.9, spec
        last = Network.load(tmp_path / "two.npz").layers[-1].get_config()["type"]
        assert last == ("Softmax" if spec.endswith("dense2") else "Sigmoid"), spec
    for dataset, spec, said in ((reg, "dense16,relu,dense8", "8 outputs but the data has 1 target; end the spec "
                                 "with dense1"), (two, "dense8,relu,dense3", "3 outputs but the data has 2 classes")):
        status, _, err = run(capsys, "train", "--dataset", f"csv:{dataset}", "--layers", spec, "--no-save")
        assert status == 2 and said in err and len(err.strip().splitlines()) == 1, err


def test_cli_schedule_clip_and_plateau_flags_reach_the_optimizer(tmp_path, capsys):
    csv, ckpt = write_flowers(tmp_path / "iris.csv"), tmp_path / "run.ckpt"
    status, _, err = run(capsys, "train", "--dataset", f"csv:{csv}", "--epochs", "4", "--batch-size", "16",
                         "--schedule", "cosine", "--warmup", "1", "--clip-norm", "2", "--plateau", "1",
                         "--no-save", "--checkpoint", ckpt, "--backend", "numpy")
    assert status == 0, err
    header, _ = checkpoint.load(ckpt)
    lr = header["optimizer"]["lr"]
    assert lr["name"] == "cosine" and lr["warmup"] == 3 and lr["total"] == 12 and header["optimizer"]["clip_norm"] == 2
    assert "ReduceLROnPlateau" in header["callbacks"]
    status, _, err = run(capsys, "train", "--dataset", f"csv:{csv}", "--schedule", "step", "--decay", "0.1",
                         "--no-save", "--backend", "numpy")
    assert status == 2 and "inverse_time" in err


class Frame:
    """A duck-typed table: ``to_numpy()`` and nothing else."""

    def __init__(self, values):
        self.values = np.asarray(values)

    def to_numpy(self):
        return self.values


class ArrayLike:
    def __init__(self, values):
        self.values = np.asarray(values)

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)


def test_fit_and_predict_take_to_numpy_and_array_objects():
    X, y = flowers()
    a, b = Network.from_sizes(4, 8, 3, seed=0), Network.from_sizes(4, 8, 3, seed=0)
    a.fit(Frame(X), Frame(y), epochs=2, batch_size=16)
    b.fit(ArrayLike(X), ArrayLike(y), epochs=2, batch_size=16)
    np.testing.assert_array_equal(a.backend.to_numpy(a.predict(Frame(X))), b.backend.to_numpy(b.predict(X)))


def test_pandas_if_installed():
    pd = pytest.importorskip("pandas")
    X, y = flowers()
    frame = pd.DataFrame(X, columns=list("abcd"))
    net = Network.from_sizes(4, 8, 3, seed=0)
    net.fit(frame, pd.Series(y), epochs=1, batch_size=16)
    assert net.backend.to_numpy(net.predict(frame)).shape == (60,)


def test_metrics_on_every_backend_match_scikit_learn(backend):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y, f = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    f[:, 1] = y[:, 1] * 0.9 + 0.1
    dy, df = (backend.asarray(a, dtype=backend.dtype) for a in (y, f))
    tol = dict(rel=1e-5 if backend.dtype_name == "float64" else 1e-4)
    assert r2(dy, df) == pytest.approx(metrics.r2_score(y, f), **tol)
    assert mae(dy, df) == pytest.approx(metrics.mean_absolute_error(y, f), **tol)
    assert rmse(dy, df) == pytest.approx(np.sqrt(metrics.mean_squared_error(y, f)), **tol)


def test_a_file_of_the_wrong_kind_says_what_it_is_not(tmp_path):
    np.savez(tmp_path / "mine.npz", X=np.ones((4, 2)), y=np.arange(4) % 2)
    with pytest.raises(DataFormatError, match="mine.npz is not a text CSV .*for NumPy arrays use npz:PATH"):
        load_table(tmp_path / "mine.npz")
    with pytest.raises(DataFormatError, match="mine.npz is not a text CSV"):   # as --dataset csv:PATH reads it
        load_dataset(f"csv:{tmp_path / 'mine.npz'}")
    (tmp_path / "notes.txt").write_text("a,b\n1,2\n")
    np.save(tmp_path / "y.npy", np.arange(4) % 2)
    for spec, said in ((f"npz:{tmp_path / 'notes.txt'}", "notes.txt: not a readable .npz archive (it holds text"),
                       (f"npy:{tmp_path / 'notes.txt'},{tmp_path / 'y.npy'}", "notes.txt: not a readable .npy array"),
                       (f"npz:{tmp_path / 'y.npy'}", "y.npy: not a readable .npz archive (it is a NumPy .npy array)"),
                       (f"npy:{tmp_path / 'mine.npz'},{tmp_path / 'y.npy'}", "(it is a NumPy .npz archive)")):
        with pytest.raises(DataFormatError) as info:
            load_dataset(spec)
        assert said in str(info.value) and "pickle" not in str(info.value), str(info.value)


def test_classes_of_one_row_each_are_refused_in_one_line(tmp_path, capsys):
    csv = tmp_path / "reg.csv"
    rng = np.random.default_rng(0)
    csv.write_text("a,price\n" + "".join(f"{v:.4f},{3 * v + 0.5:.4f}\n" for v in rng.normal(size=300)))
    status, _, err = run(capsys, "train", "--dataset", f"csv:{csv}", "--task", "classification", "--no-save")
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "column 'price' (the target) has 300 distinct fractional values, one class per row" in err
    assert "use --task regression" in err and "val_fraction" not in err
    (tmp_path / "tiny.csv").write_text("a,label\n1,0\n2,1\n3,0\n4,1\n")
    for fraction, said in (("0.9", "a 0.9 test split of 4 rows leaves none for training"),
                           ("0.1", "a 0.1 test split of 4 rows holds none")):
        status, _, err = run(capsys, "train", "--dataset", f"csv:{tmp_path / 'tiny.csv'}", "--test-fraction",
                             fraction, "--no-save")
        assert status == 2 and len(err.strip().splitlines()) == 1 and said in err and "val_fraction" not in err, err


def flowers_model(tmp_path, capsys):
    csv, model = write_flowers(tmp_path / "iris.csv", n=90), tmp_path / "iris.npz"
    assert run(capsys, "train", "--dataset", f"csv:{csv}", "--epochs", "2", "--out", model, "--quiet",
               "--backend", "numpy")[0] == 0
    return csv, model


def test_evaluate_on_another_target_of_the_models_table_is_refused(tmp_path, capsys):
    _, model = flowers_model(tmp_path, capsys)
    status, _, err = run(capsys, "evaluate", model, "--target", "sepal_width")   # fractional: "one class per row"
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "--target sepal_width" in err and "trained on target 'species'" in err and "val_fraction" not in err


def test_evaluate_on_a_table_without_the_models_target_column_says_the_target_is_the_models(tmp_path, capsys):
    csv, model = flowers_model(tmp_path, capsys)
    (tmp_path / "plain.csv").write_text("".join(csv.read_text().splitlines(keepends=True)[1:]))   # no header
    status, _, err = run(capsys, "evaluate", model, "--dataset", f"csv:{tmp_path / 'plain.csv'}")
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert "no such column" in err and "is the model's" in err and "pass --target NAME|INDEX" in err
    status, out, _ = run(capsys, "evaluate", model, "--dataset", f"csv:{tmp_path / 'plain.csv'}", "--target", "-1")
    assert status == 0 and "accuracy" in out


def test_evaluate_warns_when_its_test_split_holds_training_rows(tmp_path, capsys):
    csv, model = flowers_model(tmp_path, capsys)
    for flags in (["--seed", "5"], ["--test-fraction", "0.5"], ["--dataset", f"csv:{csv}", "--seed", "1"]):
        status, out, err = run(capsys, "evaluate", model, "--json", *flags)
        lines = err.strip().splitlines()
        assert status == 0 and len(lines) == 1 and lines[0].startswith("warning: this test split"), (flags, err)
        assert "rows the model trained on" in err and "--seed 0 --test-fraction 0.2" in err
        assert json.loads(out)["warning"] == lines[0][len("warning: "):]
    for flags in ([], ["--test-fraction", "0.1"]):  # its own test split, or a part of it: no warning
        status, _, err = run(capsys, "evaluate", model, *flags)
        assert status == 0 and err == "", (flags, err)


@pytest.mark.parametrize("flags, said", [
    (["--schedule", "cosine", "--min-lr", "1"], "--min-lr 1 must be below --lr 0.01"),
    (["--schedule", "exponential", "--gamma", "2"], "--gamma 2 multiplies the learning rate by 2 every epoch, so it "
                                                    "grows"),
    (["--schedule", "step", "--gamma", "1"], "so it never falls; a decay needs 0 < --gamma < 1"),
    (["--schedule", "cosine", "--warmup", "10"], "--warmup 10 epochs must be shorter than --epochs 2"),
    (["--warmup", "3"], "--warmup 3 epochs is longer than the run (--epochs 2): the rate would rise for the whole "
                        "run and never reach --lr"),
    (["--schedule", "step", "--warmup", "2.5"], "--warmup 2.5 epochs is longer than the run"),
])
def test_schedule_flags_that_cannot_decay_are_refused_in_the_commands_words(capsys, flags, said):
    status, _, err = run(capsys, "train", "--dataset", "spirals", "--epochs", "2", *flags, "--no-save",
                         "--backend", "numpy")
    assert status == 2 and len(err.strip().splitlines()) == 1 and said in err, err
    assert "Cosine" not in err and "total=" not in err
