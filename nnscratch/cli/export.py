"""``nnscratch export``: write a saved model as ONNX."""


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
    p.set_defaults(func=run_export)


def run_export(args):
    from . import outputs
    from ..models.network import Network
    from ..saving.onnx import to_onnx
    folders = outputs.check([outputs.Output("OUTPUT", args.output, "onnx")], args.force,
                            inputs=[("MODEL", args.model)])
    net = Network.load(args.model, backend="numpy")
    outputs.make_folders(folders)
    to_onnx(net, args.output)
    shape = ", ".join(str(n or "?") for n in net.input_shape)
    print(f"wrote {args.output}: input 'input' (N, {shape}) {net.backend.dtype_name}, "
          f"output 'output' (N, {net.n_outputs}); N is any batch size")
    return 0
