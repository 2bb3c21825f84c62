"""ONNX export: the model's own forward pass, run on ndonnx arrays, is the graph.

There is no second implementation of the math. `ndonnx <https://ndonnx.readthedocs.io>`_
is an array-API library whose arrays are lazy: every ``xp`` call on them adds
ONNX nodes. So :func:`to_onnx` hands each layer's ``forward`` (the code that
trains and predicts) an ndonnx input with a symbolic batch dimension and
ndonnx copies of the layer's weights, and the recorded graph is the model.
onnxruntime then reproduces :meth:`Network.predict_proba` (the tests check it
to 1e-5 at batch sizes 1 and 37).

A layer can be exported when its forward pass uses only array-API functions
on arrays taken from its input or its attributes; a layer that needs anything
else fails with a :class:`~nnscratch.errors.ConfigError` naming it. Needs the
``onnx`` extra: ``pip install "nnscratch[onnx]"`` (ndonnx, onnx).
"""

import contextlib
import copy
import json
import warnings

from array_api_compat import is_array_api_obj

from ..errors import BackendUnavailableError, ConfigError, ModelFileError
from ..layers import Parameter
from ..models.task import binary_threshold, probability_link
from .._typing import is_int


def to_onnx(net, path=None, *, input_name="input", output_name="output", input_shape=None):
    """Trace ``net``'s forward pass into an ONNX model; write it to ``path`` if given.

    Parameters
    ----------
    net : Network
    path : str or path-like, optional
        Where to write the ``.onnx`` file (atomically).
    input_name, output_name : str
        Names of the graph's input ``(N, *net.input_shape)`` (N: any batch size) and
        output ``(N, *net.output_shape)``, both in the model's dtype, except that a table
        model (standardised features) takes raw float64 rows: a column such as 1.7e12 +- 1e5
        keeps its spread only in float64, as ``nnscratch predict`` reads it. The output is
        :meth:`Network.predict_proba`'s: probabilities for a classifier, its logits
        included (an Identity output trained with cross-entropy gets the softmax).
    input_shape : tuple of int, optional
        The per-sample shape the graph takes, e.g. ``(1, 28, 28)`` (an integer ``n``: ``(n,)``); needed when
        ``net.input_shape`` leaves sizes open (``(1, None, None)``: a CNN built without
        ``input_shape``), whose convolution and pooling windows the graph fixes.

    Returns
    -------
    onnx.ModelProto
        The model; its ``metadata_props`` hold the nnscratch version, ``net.metadata`` and ``net.task``
        ("nnscratch_task"), which says how the probabilities become :meth:`Network.predict`'s answer:
        their argmax ("multiclass"), ``p > t`` ("binary"; each column for "multilabel", whose indicator
        rows are then ``(p > t).astype(int)``), ``t`` in "nnscratch_threshold": 0.5 on probabilities, 0 on
        the raw outputs of an Identity trained with squared error whose task was set by hand.
    """
    _check_names(input_name, output_name)
    ndx, onnx = _import_ndonnx()
    metadata = _metadata_json(net)
    dims = ["N"] + list(_sample_shape(net, input_shape))
    with _quick_constant_folding():
        x = ndx.argument(shape=tuple(dims), dtype=getattr(ndx, input_dtype(net)))
        out = trace(net, _standardized(net, x, ndx))
        model = ndx.build({input_name: x}, {output_name: out})
    _declare_shape(model.graph.output[0], out.shape, dims[:1] + list(net.shape_after(tuple(dims[1:]))))
    from .. import __version__
    model.producer_name, model.producer_version = "nnscratch", __version__
    onnx.helper.set_model_props(model, {"nnscratch_version": __version__, "nnscratch_metadata": metadata,
                                        "nnscratch_task": net.task, **_threshold(net)})
    if path is not None:
        from .serialize import atomic_write
        atomic_write(path, lambda f: f.write(model.SerializeToString()), "onnx")
    return model


def _threshold(net):
    """``{"nnscratch_threshold": t}`` for a "binary" or "multilabel" network: :meth:`Network.predict` gives 1 where
    the graph's output is above ``t``; 0.5 on probabilities (a Sigmoid, or logits the graph ends with the sigmoid
    of), :func:`~nnscratch.models.task.binary_threshold` on other outputs (0 on an Identity trained with squared
    error, its task set by hand). Nothing for the other tasks."""
    if net.task not in ("binary", "multilabel"):
        return {}
    probabilities = probability_link(net.layers[-1], net.resolve_loss()) is not None
    return {"nnscratch_threshold": str(0.5 if probabilities else binary_threshold(net.layers[-1]))}


def _declare_shape(value_info, traced, dims):
    """Write ``dims`` (``"N"``, then the network's output shape) as the graph's declared shape of
    ``value_info``: ndonnx's shape inference leaves sizes out (a one-column output was ``(?, ?)``), and a
    tool reading the signature should see ``(N, *net.output_shape)`` on the input's batch dimension. Left
    as traced where the sizes ndonnx knows (``traced``, None where unknown) disagree (a custom layer
    that changes the shape without saying so in ``output_shape``)."""
    if len(traced) != len(dims) or any(t is not None and t != d for t, d in zip(traced[1:], dims[1:])):
        return
    shape = value_info.type.tensor_type.shape
    del shape.dim[:]
    for size in dims:
        dim = shape.dim.add()
        if isinstance(size, str):
            dim.dim_param = size
        else:
            dim.dim_value = int(size)


def _metadata_json(net):
    """``net.metadata`` as the JSON text the graph keeps, NumPy values as numbers and lists (as
    :meth:`Network.save` writes them); a value JSON cannot hold is refused in one line."""
    from .jsonvalues import json_value
    try:
        return json.dumps(net.metadata, default=json_value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"Cannot export to ONNX: the model's metadata must be JSON values (numbers, text, lists, "
                          f"dicts) and {exc}; give Network(metadata=...) only such values.") from None


def _check_names(input_name, output_name):
    """The graph's input and output names: non-empty text, not the same (onnx and spox refuse them later,
    in words of their own)."""
    for option, name in (("input_name", input_name), ("output_name", output_name)):
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{option} must be a non-empty name such as {option.split('_')[0]!r}; got {name!r}.")
    if input_name == output_name:
        raise ConfigError(f"input_name and output_name are both {input_name!r}; a graph's input and output need "
                          "names of their own, e.g. input_name='input', output_name='output'.")


def _sample_shape(net, given):
    """The per-sample input shape of the graph: ``given`` (checked against the network), else
    ``net.input_shape``, which must then be complete."""
    if given is None:
        if None in net.input_shape:
            example = ", ".join("28" if n is None else str(n) for n in net.input_shape)
            raise ConfigError(f"The network takes inputs of per-sample shape {net.input_shape}, with sizes the "
                              f"data decides, but an ONNX graph fixes them; pass the shape to export for, e.g. "
                              f"to_onnx(net, input_shape=({example})).")
        return tuple(net.input_shape)
    try:
        shape = (given,) if is_int(given) else tuple(given)  # an integer n is (n,), as Network(input_shape=n) takes it
    except TypeError:
        shape = ()  # not a shape at all: said below
    fits = len(shape) == len(net.input_shape) and all(
        is_int(n) and n > 0 and m in (None, n) for n, m in zip(shape, net.input_shape))
    if not fits:
        raise ConfigError(f"input_shape={given!r} does not fit the network's per-sample input shape "
                          f"{net.input_shape}; give positive sizes, the fixed ones as they are.")
    shape = tuple(int(n) for n in shape)  # NumPy's integers (tuple(np.array(...))) too, as Network takes them
    net.shape_after(shape, error=ConfigError)
    return shape


def input_dtype(net):
    """The dtype name of the graph's input: float64 for a table model (raw rows, scaled in the graph in
    float64 as :class:`~nnscratch.saving.standardizer.Standardizer` does), else the model's own."""
    from .standardizer import Standardizer
    return "float64" if Standardizer.from_metadata(net.metadata) is not None else net.backend.dtype_name


def _standardized(net, x, ndx):
    """``x`` (float64 raw rows) scaled as the model's table data was in training (``net.metadata["standardize"]``,
    see :mod:`nnscratch.saving.standardizer`) and cast to the model's dtype, so the ONNX model takes raw
    feature rows as ``predict`` does."""
    from .standardizer import KEY, Standardizer
    scaler = Standardizer.from_metadata(net.metadata)
    if scaler is None:
        return x
    rows = tuple(x.shape[1:])
    if rows != scaler.mean.shape:  # ndonnx would fail in onnx's shape inference, on several lines
        raise ModelFileError(f"The model's {KEY!r} metadata scales rows of {scaler.mean.size} features, but the "
                             f"network takes inputs of per-sample shape {rows}; train and save the model again "
                             f"(or give Network(metadata=...) one mean and std per input).")
    mean, std = (ndx.asarray(a) for a in (scaler.mean, scaler.std))  # float64, as the Standardizer computes
    return ndx.astype((x - mean) / std, getattr(ndx, net.backend.dtype_name))


def trace(net, x):
    """Run ``net``'s layers on ``x`` (an array of another namespace, e.g. an ndonnx
    input) with copies of their weights in that namespace; return what
    :meth:`Network.predict_proba` returns (logits go through its Softmax/Sigmoid,
    :func:`nnscratch.models.task.probability_link`). The network itself is not touched."""
    link = probability_link(net.layers[-1], net.resolve_loss())
    xp = _namespace(x)
    for index, layer in enumerate(list(net.layers) + ([] if link is None else [link])):
        traced = _in_namespace_of(x, layer, net.backend)
        try:
            x = traced.forward(x)
            if _namespace(x) is not xp:  # a NumPy array, say: a constant that ndonnx cannot build into the graph
                raise TypeError(f"it returned a {type(x).__module__}.{type(x).__name__}, not an array of its "
                                f"input's namespace ({getattr(xp, '__name__', xp)})")
        except Exception as exc:  # any failure here means: this layer's forward is not portable
            raise ConfigError(
                f"Layer {index} ({type(layer).__name__}) cannot be exported to ONNX: its forward pass failed "
                f"on ndonnx arrays ({type(exc).__name__}: {_one_line(exc)}). Write that forward with array-API "
                "functions only (xp = array_namespace(x); no in-place tricks only NumPy has), or leave the layer out."
            ) from exc
    return x


def _namespace(x):
    """``x``'s array namespace (its ``__array_namespace__()``), or None for anything else."""
    return x.__array_namespace__() if hasattr(x, "__array_namespace__") else None


def _one_line(exc, limit=300):
    """``exc``'s text on one line, cut at ``limit`` characters (onnx's shape-inference errors span lines)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _in_namespace_of(x, layer, backend):
    """A shallow copy of ``layer`` whose Parameters and public array attributes are copies in ``x``'s
    namespace (private arrays are training caches: not copied), also those in a list or tuple attribute
    (``params``, ``buffers``): a layer of one's own that kept its weights in ``params`` alone exported on
    NumPy (ndonnx takes NumPy arrays as constants) but not from PyTorch."""
    xp = _namespace(x)
    clone = copy.copy(layer)
    clone.xp = xp
    moved = {}

    def move(p):
        if id(p) not in moved:
            moved[id(p)] = Parameter(p.name, xp.asarray(backend.to_numpy(p.value)))
        return moved[id(p)]

    def copied(value, public):
        if isinstance(value, Parameter):
            return move(value)
        if public and is_array_api_obj(value):
            return xp.asarray(backend.to_numpy(value))
        return value

    for name, value in vars(layer).items():
        public = not name.startswith("_")
        if type(value) in (list, tuple):  # not a namedtuple of options
            items = type(value)(copied(v, public) for v in value)
            if any(a is not b for a, b in zip(items, value)):
                setattr(clone, name, items)
            continue
        new = copied(value, public)
        if new is not value:
            setattr(clone, name, new)
    return clone


def _quick_constant_folding():
    """While tracing, ndonnx evaluates the small constant expressions it builds (shape
    arithmetic) through spox; onnx's reference evaluator does those tiny operations
    about 2.5x faster than one onnxruntime session each (ndonnx's default)."""
    try:
        from spox._future import ValuePropBackend, value_prop_backend
    except ImportError:  # another spox: keep its default
        return contextlib.nullcontext()
    return value_prop_backend(ValuePropBackend.REFERENCE)


def _import_ndonnx():
    """ndonnx and onnx, or one line saying how to install them. Without onnxruntime ndonnx warns on import that
    it evaluates constants with "the (incomplete) reference implementation": the one :func:`to_onnx` chooses
    anyway (:func:`_quick_constant_folding`), so the warning is left out (under ``-W error`` it stopped the export
    of a graph it builds the same)."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="onnxruntime is not installed", category=UserWarning)
            import ndonnx
        import onnx
        import onnx.helper
    except ImportError as exc:
        raise BackendUnavailableError(f"ONNX export needs ndonnx and onnx ({exc}); install them with "
                                      "pip install 'nnscratch[onnx]'.") from None
    return ndonnx, onnx
