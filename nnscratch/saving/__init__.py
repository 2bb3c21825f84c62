"""Saving: what leaves the process and comes back.

- ``serialize``: model files, one ``.npz`` of arrays and a JSON config, no pickle.
- ``jsonvalues``: what that JSON can hold, and where a value it cannot hold is.
- ``checkpoint``: everything needed to continue a run exactly where it stopped.
- ``onnx``: ONNX export, the model's own forward pass traced on ndonnx arrays.
- ``standardizer``: feature standardisation for tables, kept with the model.
- ``kinds``: what a file on disk is, so that a file is replaced only by one of the same kind.
"""
