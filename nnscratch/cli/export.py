"""``nnscratch export``: write a saved model as ONNX.

Under ``mpiexec -n N`` rank 0 alone exports (one file, one report, its exit status the job's); the other
ranks have nothing to do and end at once, as ``nnscratch train``'s leave the writing to rank 0."""

import os
import shlex

from . import values
from ..distributed.comm import launched_rank
from ..errors import ConfigError, NNScratchError


def register(subparsers):
    """Add ``nnscratch export``."""
    p = subparsers.add_parser("export", help="write a model as ONNX (needs [onnx])",
                              description="Write MODEL (.npz) as an ONNX file that onnxruntime runs with any "
                              "batch size: the model's own forward pass traced on ndonnx arrays. An existing "
                              "ONNX file is replaced only with --force, any other file never; a missing folder "
                              "is created.")
    p.add_argument("model", type=values.PATH, help="model file written by nnscratch (.npz)")
    p.add_argument("output", type=values.PATH, help="ONNX file to write, e.g. model.onnx")
    p.add_argument("--force", action="store_true", help="replace the ONNX file already at OUTPUT")
    p.add_argument("--input-shape", type=values.LIST, metavar="C,H,W", help="per-sample input shape, for a model built "
                   "without one (its image size left open); default: the model's own")
    p.set_defaults(func=run_export)


def run_export(args):
    if launched_rank() != 0:  # under mpiexec: rank 0 writes the file, once (two writers would race)
        return 0
    from . import outputs
    from .model_file import read_model
    from ..saving.onnx import input_dtype, to_onnx
    from ..saving.serialize import atomic_write
    written = [outputs.Output("OUTPUT", args.output, "onnx")]
    folders = outputs.check(written, args.force, inputs=[("MODEL", args.model)])
    if not str(args.output).lower().endswith(".onnx"):
        raise ConfigError(f"OUTPUT {args.output}: an ONNX model is written to a .onnx file (what ONNX tools "
                          f"look for); e.g. {shlex.quote(os.path.splitext(str(args.output))[0] + '.onnx')}.")
    net = read_model(args.model, backend="numpy", command="export")
    input_shape = check_shape(args.input_shape, net, args.model)
    read, net.metadata = net.metadata, saved_metadata(net, args.model)  # the graph keeps the file's, whole
    model = to_onnx(net, input_shape=input_shape)  # first, so a refusal (no ndonnx, say) creates no folder
    net.metadata = read
    with outputs.tidy(), outputs.writing(written):  # a refused write: one line saying why; no folder left empty
        outputs.make_folders(folders)
        atomic_write(args.output, lambda f: f.write(model.SerializeToString()), "onnx")
    shape = ", ".join(str(n or "?") for n in (input_shape or net.input_shape))
    out = ", ".join(map(str, net.shape_after(input_shape or net.input_shape)))  # (2, 8, 8): a convolutional output
    print(f"wrote {args.output}: input 'input' (N, {shape}) {input_dtype(net)}, "
          f"output 'output' (N, {out}); N is any batch size")
    for line in input_notes(net):
        print("  " + line)
    return 0


def saved_metadata(net, model):
    """``net.metadata`` with the keys :func:`~nnscratch.cli.model_file.read_model` set aside put back, in the file's
    order: metadata of one's own under a key the command line keeps (``Network(metadata={"dataset": "iris"})``) is
    read by no command, but the graph keeps it, as ``export_onnx`` of the same file does (it was left out)."""
    from ..saving.kinds import npz_header
    saved = ((npz_header(model) or {}).get("config") or {}).get("metadata")
    if not isinstance(saved, dict):
        return net.metadata
    return {**{key: net.metadata.get(key, value) for key, value in saved.items()}, **net.metadata}


def input_notes(net):
    """What a user of the graph must know of its input beyond its shape: a table's rows are raw (the graph
    standardises them), images given as rows are flattened in (C, H, W) order (a model whose first layer
    makes them images: ``--model cnn`` and a conv spec on 28x28 digits or an .npy of images take rows), and
    an image model's grey levels are 0 to 1 (nnscratch predict divides 0..255 pixels by 255; the graph does
    not)."""
    from .tables import few
    from ..models.spec import leading_images
    from ..saving.standardizer import Standardizer
    images = leading_images(net.layers)
    rows = len(net.input_shape) == 1  # a CNN built with input_shape=(1, 28, 28) takes images as they are
    flat = "x".join(map(str, images)) if images else "28x28" if rows and net.n_inputs == 784 else None
    notes = []
    if Standardizer.from_metadata(net.metadata) is not None:
        if images:  # an .npy of images for a regression, standardised as a table's columns
            notes.append(f"input rows are the raw values of {flat} images, each flattened in (C, H, W) order "
                         "(X.reshape(len(X), -1) of images (n, C, H, W)); the graph standardises them as training did")
        else:
            features = net.metadata.get("features")
            columns = f" in the columns {few(features, 12)}" if features else ""
            notes.append(f"input rows are raw feature values{columns} (the graph standardises them as training did)")
        return notes
    if flat:  # onnxruntime refuses images (n, C, H, W) for a graph of rows, in words of its own
        notes.append(f"input rows are {flat} images, each flattened"
                     + (" in (C, H, W) order (X.reshape(len(X), -1) of images (n, C, H, W))" if images else
                        " (X.reshape(len(X), -1) of images (n, 28, 28))"))
    if net.n_inputs in (784, None):  # an image model: nnscratch predict divides 0..255 grey levels by 255
        notes.append("input images are grey levels from 0 to 1, as nnscratch predict hands them to the model: "
                     "divide 0..255 pixels by 255 first (the graph does not)")
    elif images and net.metadata.get("dataset"):  # trained by nnscratch train on an .npy of images
        notes.append("input values as training took them: nnscratch train divides images of whole numbers 0..255 "
                     "by 255 (and says so); divide such pixels by 255 first (the graph does not)")
    return notes


def check_shape(text, net, model):
    """``--input-shape`` (``"1,28,28"``) as the per-sample shape to export ``net`` for (None: the model's own),
    refused in one line naming the option and a shape the model takes, where it does not fit."""
    from .options import accepts, example_shape, shape_text
    own, example = tuple(net.input_shape), example_shape(net)
    valid = f"e.g. --input-shape {','.join(map(str, example))}" if example else \
        "a size its layers take (none up to 512x512 does)"
    if text is None:
        if None in own:
            raise ConfigError(f"{model} takes images of any size (per-sample shape {shape_text(own, None)}), but "
                              f"an ONNX graph fixes it; pass the size to export for, {valid}.")
        return None
    try:
        shape = tuple(int(n) for n in text.replace("x", ",").split(","))
    except ValueError:
        shape = ()
    if not shape or min(shape) < 1:
        raise ConfigError(f"--input-shape expects positive whole numbers separated by commas; got {text!r}: "
                          f"{valid}.")
    if None not in own and shape != own:
        raise ConfigError(f"--input-shape {text}: {model} takes the fixed per-sample shape {shape_text(own, None)}; "
                          f"drop --input-shape (or pass --input-shape {','.join(map(str, own))}).")
    if len(shape) != len(own) or any(m not in (None, n) for n, m in zip(shape, own)):
        raise ConfigError(f"--input-shape {text}: {model} takes the per-sample shape {shape_text(own, None)} "
                          f"({len(own)} sizes, the fixed ones as they are); {valid}.")
    if not accepts(net, shape):
        try:
            net.shape_after(shape)
            why = "its output size would stay open"
        except NNScratchError as exc:
            why = str(exc).split(";")[0].removeprefix("Layer sizes do not chain at ")
        raise ConfigError(f"--input-shape {text}: images of that size do not fit {model}'s layers ({why}); pass a "
                          f"size they take, {valid}.")
    return shape
