"""Where the backends meet the other features, found in the twelfth session: each test failed before its fix."""

import warnings

import numpy as np
import pytest

import nnscratch as nn
from nnscratch import Network
from nnscratch.errors import BackendMismatchError


def _sources():
    """Arrays of every library here, holding ``[[0.5, -1.25], [3.0, 2.0]]``, each of a kind a library's own
    conversion to NumPy refuses: a torch tensor that requires grad, a bfloat16 one, an array-api-strict
    array on ``device1`` (which refuses host conversion)."""
    values = [[0.5, -1.25], [3.0, 2.0]]
    sources = {"numpy": np.asarray(values)}
    try:
        import torch
        sources["torch requires_grad"] = torch.tensor(values, requires_grad=True)
        sources["torch bfloat16"] = torch.tensor(values, dtype=torch.bfloat16)
    except ImportError:
        pass
    try:
        import array_api_strict as xps
        sources["strict device1"] = xps.asarray(values, device=xps.Device("device1"))
    except ImportError:
        pass
    return values, sources


@pytest.mark.parametrize("target", ["numpy", "torch:cpu", "array_api_strict", "array_api_strict:device2"])
def test_asarray_and_to_numpy_take_an_array_of_any_backend(target):
    """``backend.asarray(x)`` left an array-api-strict array on the device it came from (device1 on a
    CPU_DEVICE backend: the device mismatch showed up later), and stopped with the source library's own
    error for a torch tensor that requires grad, a bfloat16 one, or a device1 array on torch or NumPy;
    ``backend.to_numpy`` of a NumPy array said "'numpy.ndarray' object has no attribute 'detach'"."""
    pytest.importorskip(target.split(":")[0])
    backend = nn.get_backend(target)
    values, sources = _sources()
    for name, source in sources.items():
        moved = backend.asarray(source, dtype="float32")
        assert backend.owns(moved) or (target == "numpy" and isinstance(moved, np.ndarray)), name
        np.testing.assert_array_equal(backend.to_numpy(moved), np.asarray(values, dtype=np.float32), err_msg=name)
        host = backend.to_numpy(source)  # an array of another backend, or NumPy: copied to the host alike
        assert isinstance(host, np.ndarray) and host.tolist() == values, name
    if "strict device1" in sources and target.startswith("array_api_strict"):
        kept = backend.asarray(sources["strict device1"])  # no dtype: moved all the same
        assert str(kept.device) == str(backend.device)


def test_a_bfloat16_tensor_reaches_the_host_in_float32():
    """NumPy has no bfloat16: ``to_numpy`` raised torch's "Got unsupported ScalarType BFloat16", so
    ``set_weights`` called bfloat16 weights "not numeric arrays" and the fix a BackendMismatchError
    names (``model.backend.asarray(backend_of(X).to_numpy(X))``) failed on a bfloat16 X."""
    torch = pytest.importorskip("torch")
    t = torch.tensor([[0.5, -1.25], [3.0, 2.0]], dtype=torch.bfloat16, requires_grad=True)
    host = nn.backend_of(t).to_numpy(t)
    assert host.dtype == np.float32 and host.tolist() == [[0.5, -1.25], [3.0, 2.0]]
    net = Network.from_sizes(2, 3, 2, seed=0, backend="numpy")
    weights = [torch.tensor(w).to(torch.bfloat16) for w in net.get_weights()]
    net.set_weights(weights)
    for now, given in zip(net.get_weights(), weights):
        np.testing.assert_array_equal(now, given.float().numpy())
    X = torch.ones((3, 2), dtype=torch.bfloat16)
    with pytest.raises(BackendMismatchError, match=r"backend_of\(X\)\.to_numpy\(X\)"):
        net.predict(X)
    assert net.predict(net.backend.asarray(nn.backend_of(X).to_numpy(X))).shape == (3,)


def test_torch_streams_a_memory_mapped_file_without_sharing_it(tmp_path):
    """A streamed fit (or batched predict) on torch from ``np.load(..., mmap_mode="r")`` without shuffling
    handed each read-only slice to ``torch.as_tensor``, which shares it and warns "The given NumPy array is
    not writable, and PyTorch does not support non-writable tensors"; now each batch is a copy."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    np.save(tmp_path / "X.npy", rng.standard_normal((64, 4)).astype(np.float32))
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    y = (np.asarray(X[:, 0]) > 0).astype(int)
    batch = nn.get_backend("torch").stager().put(X, slice(0, 16))
    assert batch.data_ptr() != X[:16].ctypes.data  # its own memory, not the file's pages
    np.testing.assert_array_equal(batch.numpy(), X[:16])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*not writable.*")
        net = Network.from_sizes(4, 8, 2, seed=0, backend="torch")
        history = net.fit(X, y, epochs=2, batch_size=16, shuffle=False, stream=True)
    twin = Network.from_sizes(4, 8, 2, seed=0, backend="torch")
    twin.fit(np.array(X), y, epochs=2, batch_size=16, shuffle=False, stream=True)
    assert history.params["streamed"]
    for a, b in zip(net.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_torch_device_is_named_as_its_tensors_name_theirs():
    """``torch:cpu:0`` made tensors whose device is 'cpu', then refused them ("X is an array of torch:cpu
    but the model lives on torch:cpu:0"); 'mps' tensors say 'mps:0', so ``torch:mps`` refused its own
    too. A Metal GPU has no float64: ``has_float64`` said True there, so the estimators' float32 fallback
    ("such as torch:mps") never came and float64 failed at the first step."""
    torch = pytest.importorskip("torch")
    from nnscratch.backend import adapters
    assert nn.get_backend("torch:cpu:0") == nn.get_backend("torch:cpu")
    net = Network.from_sizes(3, 4, 2, seed=0, backend="torch:cpu:0")
    X = net.backend.asarray(np.ones((2, 3)))
    assert net.backend.owns(X) and net.predict(X).shape == (2,)
    reported = adapters._as_reported(torch, torch.device("mps"))
    assert str(reported) == "mps:0"
    assert not adapters.ADAPTERS["torch"].has_float64(type("B", (), {"device": reported})())
    assert nn.get_backend("torch").has_float64


def test_a_dtype_is_taken_as_any_library_writes_it(tmp_path):
    """``dtype=np.dtype("float64")`` stopped with TypeError "attribute name must be string" (it equals the
    string, so the check let it through), and ``np.float32``, ``torch.float64`` or an array-api dtype were
    "Unknown dtype ...; expected one of: float32, float64" although they are those."""
    kinds = [(np.dtype("float64"), "float64"), (np.float32, "float32"), (np.float64, "float64")]
    try:
        import torch
        kinds += [(torch.float64, "float64"), (torch.float32, "float32")]
    except ImportError:
        pass
    for given, name in kinds:
        net = Network.from_sizes(2, 3, 2, seed=0, backend="numpy", dtype=given)
        assert net.backend.dtype_name == name and net.get_weights()[0].dtype == np.dtype(name), given
        assert net.to(dtype=given).backend.dtype_name == name
        assert nn.get_backend("numpy", dtype=given).dtype_name == name
    path = Network.from_sizes(2, 3, 2, seed=0, dtype="float64").save(tmp_path / "m.npz")
    assert Network.load(path, dtype=np.float32).backend.dtype_name == "float32"
    with pytest.raises(nn.errors.ConfigError, match="Unknown dtype .*float16.*expected one of: float32, float64"):
        Network.from_sizes(2, 3, 2, dtype=np.float16)


def test_a_torch_model_made_inside_inference_mode_trains_after_it(tmp_path):
    """A model built or loaded inside ``torch.inference_mode()`` (a serving block) held inference tensors:
    its next ``fit`` stopped with torch's "Inplace update to inference tensor outside InferenceMode is not
    allowed"; so did the estimator's ``partial_fit`` after a ``fit`` there."""
    torch = pytest.importorskip("torch")
    from nnscratch.sklearn import MLPClassifier
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((32, 3)), np.arange(32) % 2
    path = Network.from_sizes(3, 4, 2, seed=0).save(tmp_path / "m.npz")
    with torch.inference_mode():
        built = Network.from_sizes(3, 4, 2, seed=0, backend="torch")
        loaded = Network.load(path, backend="torch")
        served = loaded.predict(X)
        estimator = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0, backend="torch")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # not converged in 2 iterations
            estimator.fit(X, y)
    twin = Network.from_sizes(3, 4, 2, seed=0, backend="torch")
    for net in (built, loaded, twin):
        net.fit(X, y, epochs=2, batch_size=8)
    np.testing.assert_array_equal(torch.cat([p.value.flatten() for p in built.parameters()]).numpy(),
                                  torch.cat([p.value.flatten() for p in twin.parameters()]).numpy())
    assert served.shape == (32,) and estimator.partial_fit(X, y).predict(X).shape == (32,)


@pytest.mark.parametrize("target", ["numpy", "torch:cpu", "array_api_strict", "array_api_strict:device1"])
def test_big_endian_data_trains_on_every_backend(target):
    """Arrays in network byte order (``'>f8'``, ``'>i8'``: read with ``np.frombuffer`` from files that hold
    them so) trained on NumPy only: torch said "given numpy array has byte order different from the native
    byte order", array-api-strict "does not support the dtype '>i8'"; streamed or not, and in scores."""
    pytest.importorskip(target.split(":")[0])
    from nnscratch import metrics
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 3)), np.arange(40) % 2
    losses = []
    for data, labels in ((X, y), (X.astype(">f8"), y.astype(">i8"))):
        for stream in (False, True):
            net = Network.from_sizes(3, 4, 2, seed=0, backend=target, dtype="float64")
            losses.append(net.fit(data, labels, epochs=2, batch_size=8, stream=stream, validation_data=(data, labels))
                          .history["val_loss"])
            assert metrics.accuracy(labels, net.predict(data)) == net.evaluate(data, labels)["accuracy"]
    np.testing.assert_allclose(losses[1:], [losses[0]] * 3, rtol=1e-12)


def test_pinned_staging_buffers_are_in_native_byte_order():
    """The pinned buffers of CUDA staging took the source's dtype: torch's and CuPy's pinned allocators
    refuse big-endian ones, so streaming such data to a GPU stopped there."""
    from nnscratch.backend import staging

    class HostPinned(staging.PinnedStager):  # the double buffering of TorchStager and CupyStager, on the host
        def allocate(self, shape, dtype):
            assert np.dtype(dtype).isnative, dtype
            return staging.Pinned(np.empty(shape, dtype))

        def copy(self, pinned, n):
            return pinned.host[:n].copy(), None

    source = np.arange(24, dtype=">f4").reshape(12, 2)
    stager = HostPinned(nn.get_backend("numpy"))
    for rows in (slice(0, 5), np.array([7, 1, 3])):
        np.testing.assert_array_equal(stager.put(source, rows), source[rows])


def test_unsigned_torch_tensors_are_inputs_as_numpy_ones_are():
    """A uint16, uint32 or uint64 tensor as ``X`` stopped with torch's NotImplementedError "min_values_cpu"
    not implemented for 'UInt16' (the check for unscaled integers read its extremes); the same data as
    NumPy arrays trained. Now both train alike, and both warn that the integers look unscaled."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 3, size=(40, 3)), np.arange(40) % 3
    expected = Network.from_sizes(3, 4, 3, seed=0, backend="torch")
    with pytest.warns(nn.errors.DataWarning, match="beyond"):
        expected.fit(X.astype(np.uint16), y, epochs=1, batch_size=8)
    for dtype in (torch.uint16, torch.uint32, torch.uint64):
        net = Network.from_sizes(3, 4, 3, seed=0, backend="torch")
        with pytest.warns(nn.errors.DataWarning, match="beyond"):
            net.fit(torch.from_numpy(X).to(dtype), y, epochs=1, batch_size=8)
            assert net.predict(torch.from_numpy(X).to(dtype)).shape == (40,)
        for a, b in zip(net.get_weights(), expected.get_weights()):
            np.testing.assert_array_equal(a, b)


def test_complex_arrays_of_a_backend_are_refused_as_numpy_ones_are():
    """A complex torch tensor trained on its real part (torch dropped the imaginary one with a UserWarning),
    a complex array-api-strict array stopped with "casting complex128 to float32 should not be permitted",
    complex torch targets were "y has shape (40,) ... pass integer class labels of shape (40,)"; a complex
    NumPy array was one clear DataError, and now each of them is."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 3)) + 1j, np.arange(40) % 3
    cases = [("numpy", X, y)]
    try:
        import torch
        cases += [("torch", torch.from_numpy(X), y), ("torch", torch.from_numpy(X.real), torch.from_numpy(y + 0j))]
    except ImportError:
        pass
    try:
        import array_api_strict as xps
        cases += [("array_api_strict", xps.asarray(X), y)]
    except ImportError:
        pass
    for target, data, labels in cases:
        net = Network.from_sizes(3, 4, 3, seed=0, backend=target)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(nn.errors.DataError, match=r"must hold numbers \(int or float\); got an array of "
                                                           r"dtype \S*complex128; convert it"):
                net.fit(data, labels, epochs=1)


def test_sparse_data_is_refused_with_the_call_that_makes_it_dense():
    """A torch sparse tensor stopped with torch's NotImplementedError "Could not run 'aten::ne.Scalar' with
    arguments from the 'SparseCPU' backend" (CSR: "unsupported tensor layout"); a SciPy sparse matrix was
    "an array of dtype object; convert it first, e.g. X.astype('float32')", which does not help."""
    cases = []
    try:
        import scipy.sparse
        cases += [("numpy", scipy.sparse.csr_matrix(np.eye(3)), "sparse matrix.*X.toarray()")]
    except ImportError:
        pass
    try:
        import torch
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Sparse CSR tensor support is in beta state"
            csr = torch.eye(3).to_sparse_csr()
        cases += [("torch", torch.eye(3).to_sparse(), r"sparse tensor \(torch.sparse_coo\).*X.to_dense\(\)"),
                  ("torch", csr, r"sparse tensor \(torch.sparse_csr\).*X.to_dense\(\)")]
    except ImportError:
        pass
    for target, X, message in cases:
        net = Network.from_sizes(3, 4, 2, seed=0, backend=target)
        stream = target == "numpy"  # host data may stream; a tensor trains from where it is
        for call in (lambda: net.fit(X, np.array([0, 1, 0]), epochs=1), lambda: net.predict(X),
                     lambda: net.fit(X, np.array([0, 1, 0]), epochs=1, stream=stream)):
            with pytest.raises(nn.errors.DataError, match=message):
                call()
