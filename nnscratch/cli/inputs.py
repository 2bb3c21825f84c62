"""``nnscratch predict``'s input files as rows of the model's inputs.

An image (made MNIST-like), a ``.npy`` array or a CSV file becomes float32 rows of the model's
input size (a table model's raw float64 rows, by the feature names it remembers); a file that
cannot be one (a folder, standard input, an unknown type, complex or non-finite values, the wrong
shape) is one line saying what the model takes and how to give it.
"""

import os
import pathlib
import shlex

import numpy as np

from . import tables
from .options import accepts, example_shape, open_images, refuse_other_channels, shape_text
from .model_file import near_name
from .packed import refuse_packed
from ..datasets.images import IMAGE_SUFFIXES
from ..saving.kinds import KINDS, is_kind


def read_inputs(path, net, model="the model"):
    """``(rows of net.n_inputs float32 values, notes, problems)`` from an image, .npy or .csv file; a
    table model (``model``: its file) reads a CSV's columns by the feature names it remembers."""
    from ..errors import DataFormatError, ShapeError
    suffix = pathlib.Path(path).suffix.lower()
    n_inputs, table = net.n_inputs, tables.is_table_model(net)
    if pathlib.Path(path).is_dir():
        raise DataFormatError(f"input {path} is a folder; pass image, .npy or .csv files (e.g. {path}/*.png).")
    if pathlib.Path(path).exists() and not pathlib.Path(path).is_file():
        raise DataFormatError(f"input {path} is not a regular file (a device or a pipe); pass image, .npy or .csv "
                              "files.")
    if str(path) == "-":  # the shell's habit for standard input
        raise DataFormatError("INPUT -: predict reads files, not standard input; save the rows in a file (e.g. "
                              "rows.csv) and pass that.")
    if not pathlib.Path(path).is_file():
        raise FileNotFoundError(f"input file {path} does not exist (the current directory is {os.getcwd()}); "
                                f"{near_name(path) or 'check the path.'}")
    refuse_packed(str(path))  # input.csv.gz, a workbook: what it is and how to make a CSV of it
    problems = []
    if suffix == ".npy":
        from ..datasets.arrays import load_array
        X, notes = load_array(path, "npy"), []
    elif suffix in (".csv", ".tsv", ".txt"):
        from ..datasets.tables import input_rows
        X, notes = (tables.table_rows(path, net, model) if table else input_rows(path, n_inputs)), []
    elif suffix in IMAGE_SUFFIXES:
        if table or not (n_inputs == 784 or n_inputs is None and accepts(net, (1, 28, 28))):
            raise ShapeError(f"{path}: images need a model with 784 inputs (28x28 pixels) trained on images; "
                             f"{model} takes {_takes(net, n_inputs, table)}.")
        from ..datasets.images import read_digit_image
        X, notes, problems = read_digit_image(path)
    elif _nnscratch_kind(path, suffix):  # `predict m.npz m2.npz`, `predict m.npz history.json`
        kind = _nnscratch_kind(path, suffix)
        raise DataFormatError(f"{path} is {KINDS[kind][0]}, not inputs: predict takes one model, then the inputs to "
                              "ask it about (.png/.jpg, .npy or .csv), e.g. `nnscratch predict "
                              f"{shlex.quote(str(model)) if model != 'the model' else 'MODEL.npz'} digit.png`"
                              + (f"; `nnscratch plot {shlex.quote(str(path))}` draws a history." if kind == "history"
                                 else "."))
    else:  # a .npz: an archive of named arrays (or a model), where predict reads one array per file
        npz = " (a .npz holds many arrays: save the inputs alone, numpy.save('X.npy', X))" if suffix == ".npz" else ""
        raise DataFormatError(f"{path}: unknown input type {suffix or '(none)'}; use .png/.jpg, .npy or .csv{npz}.")
    return (*as_rows(path, X, net, notes, table, model), problems)


def _nnscratch_kind(path, suffix):
    """The kind (model, checkpoint, history) of a file nnscratch wrote, given where inputs go; None for others
    (a history is looked for in .json files alone: it is read whole to tell)."""
    kinds = ("model", "checkpoint", "history") if suffix == ".json" else ("model", "checkpoint")
    return next((kind for kind in kinds if is_kind(str(path), kind)), None)


def _takes(net, n_inputs, table):
    """What ``net`` takes instead of a digit picture, and how to give it: a CNN's images (also one trained on
    an (n, C, H, W) array, a table to the command line) as an array, a table's features or inputs as rows."""
    from ..models.spec import leading_images
    images = example_shape(net) if n_inputs is None else leading_images(net.layers)
    if images or n_inputs is None:
        return f"images of shape {shape_text(images or ())}: pass it a .npy array of those"
    names = f" ({tables.few(net.metadata.get('features') or (), 3)}) of a table" if table else ""
    return f"{n_inputs} {'features' if table else 'inputs'}{names}: pass it .npy or .csv rows of those"


def as_rows(path, X, net, notes, table=False, model="the model"):
    """``X`` as rows of ``net.n_inputs`` float32 values (a table's raw rows float64, as training read them,
    until they are standardised): its last axis must be the input size (an image model also takes arrays
    ending in 28x28, its input shape or the images its first ``Reshape`` makes; one with open image sizes: :func:`~nnscratch.cli.options.open_images`); 0..255 grey levels
    of a digit model are divided by 255, and whole numbers 0..255 for a model of images of any size, as
    ``nnscratch train`` divided the images of an .npy or .npz (``datasets.arrays``)."""
    from ..errors import DataFormatError, ShapeError
    from ..models.spec import leading_images
    if np.iscomplexobj(X):  # numpy would drop the imaginary parts with a warning and go on
        raise DataFormatError(f"{path}: holds {np.asarray(X).dtype} values, and the model takes real numbers; save "
                              "real inputs (numpy.save(PATH, X.real) where the imaginary parts are 0).")
    pixels = np.asarray(X).dtype.kind in "biu"  # whole numbers: 0..255 images as training divided them
    try:
        X = np.asarray(X, dtype=np.float64 if table else np.float32)
    except (TypeError, ValueError):
        raise DataFormatError(f"{path}: holds {np.asarray(X).dtype} values, not numbers; save the inputs as "
                              "numbers (numpy.save(PATH, X.astype('float32'))).") from None
    if X.size == 0:  # (0, 3) fits a 3-feature model's shape: say what is missing, not the shape
        raise DataFormatError(f"{path}: holds no inputs (an array of shape {X.shape}); save at least one sample "
                              "in it.")
    n_inputs = net.n_inputs
    if n_inputs is None and not table:  # a CNN built with open image sizes
        X = open_images(path, X, net, model)
    else:
        first = leading_images(net.layers) or ()
        images = [first, *([first[1:]] if first[:1] == (1,) else [])] if first else []  # a spec's CNN
        if images and X.ndim == 4 and X.shape[1:] == (*first[1:], first[0]) != first:  # Keras' (n, H, W, C)
            X, notes = np.moveaxis(X, -1, 1), notes + ["channels-last images read as (C, H, W)"]
        if len(first or net.input_shape or ()) == 3:  # a CNN's (C, H, W): channels are not more images
            refuse_other_channels(path, X, first or net.input_shape, model)
        elif n_inputs == 784 and not table:  # a digit MLP takes grey 28x28 images, (n, 1, 28, 28) too
            refuse_other_channels(path, X, (1, 28, 28), model)
        shapes = [(n_inputs,), *images] if table else list(dict.fromkeys(
            [(n_inputs,), *([(28, 28)] if n_inputs == 784 else []), tuple(net.input_shape or ()), *images]))
        if not any(s and X.shape[-len(s):] == s for s in shapes):
            allowed = " or ".join(f"(n, {', '.join(map(str, s))})" for s in shapes if s)
            raise ShapeError(f"{path}: an array of shape {X.shape}, but {model} takes {n_inputs} "
                             f"{'features' if table else 'inputs'} per sample, along the array's last axis; give "
                             f"{n_inputs} values per sample: shape {allowed}.")
        X = X.reshape(-1, n_inputs)
    if not np.all(np.isfinite(X)):
        raise DataFormatError(f"{path}: holds NaN or infinite values; every input must be a finite number.")
    images = bool(leading_images(net.layers)) or len(net.input_shape or ()) == 3  # a model of images of any size
    if not table and ((n_inputs in (784, None) and X.max() > 1.0)
                      or (images and pixels and X.min() >= 0 and X.max() <= 255)):  # as datasets.arrays reads them
        X, notes = X / 255.0, notes + ["grey levels 0..255 divided by 255"]
    return X, notes

