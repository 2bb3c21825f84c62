"""``nnscratch export``: write a saved model as ONNX."""

import os

from ..errors import ConfigError


def register(subparsers):
    """Add ``nnscratch export``."""
    p = subparsers.add_parser("export", help="write a model as ONNX (needs [onnx])",
                              description="Write MODEL (.npz) as an ONNX file that onnxruntime runs with any "
                              "batch size: the model's own forward pass traced on ndonnx arrays. An existing "
                              "ONNX file is replaced only with --force, any other file never; a missing folder "
                              "is created.")
    p.add_argument("model", help="model file written by nnscratch (.npz)")
    p.add_argument("output", help="ONNX file to write, e.g. model.onnx")
    p.add_argument("--force", action="store_true", help="replace the ONNX file already at OUTPUT")
    p.add_argument("--input-shape", metavar="C,H,W", help="per-sample input shape, for a model built "
                   "without one (its image size left open); default: the model's own")
    p.set_defaults(func=run_export)


def run_export(args):
    from . import outputs
    from ..models.network import Network
    from ..saving.onnx import input_dtype, to_onnx
    from ..saving.standardizer import Standardizer
    folders = outputs.check([outputs.Output("OUTPUT", args.output, "onnx")], args.force,
                            inputs=[("MODEL", args.model)])
    if not str(args.output).lower().endswith(".onnx"):
        raise ConfigError(f"OUTPUT {args.output}: an ONNX model is written to a .onnx file (what ONNX tools "
                          f"look for); e.g. {os.path.splitext(str(args.output))[0]}.onnx.")
    net = Network.load(args.model, backend="numpy")
    outputs.make_folders(folders)
    input_shape = _shape(args.input_shape)
    if input_shape is None and None in tuple(net.input_shape or ()):
        open_shape = ", ".join(str(n or "?") for n in net.input_shape)
        raise ConfigError(f"{args.model} takes images of any size (per-sample shape ({open_shape})), but an "
                          f"ONNX graph fixes it; pass the size to export for, e.g. --input-shape 1,28,28.")
    to_onnx(net, args.output, input_shape=input_shape)
    shape = ", ".join(str(n or "?") for n in (input_shape or net.input_shape))
    print(f"wrote {args.output}: input 'input' (N, {shape}) {input_dtype(net)}, "
          f"output 'output' (N, {net.n_outputs}); N is any batch size")
    if Standardizer.from_metadata(net.metadata) is not None:
        from .tables import few
        features = net.metadata.get("features")
        print(f"  input rows are raw feature values{' in the columns ' + few(features, 12) if features else ''} "
              "(the graph standardises them as training did)")
    return 0


def _shape(text):
    """``"1,28,28"`` -> ``(1, 28, 28)``; None stays None."""
    if text is None:
        return None
    try:
        shape = tuple(int(n) for n in text.replace("x", ",").split(","))
    except ValueError:
        shape = ()
    if not shape or min(shape) < 1:
        raise ConfigError(f"--input-shape expects positive whole numbers such as 1,28,28; got {text!r}.")
    return shape
