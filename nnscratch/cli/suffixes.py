"""A file's suffix says its format: an option does not write one format under another's name.

``nnscratch train --out model.onnx`` wrote an .npz archive that ONNX tools cannot open, and ``--history
h.csv`` JSON that a spreadsheet shows as one cell; both are refused before the work, with the name to give.
"""

import os
import shlex

from ..errors import ConfigError

WRITES = {"model": (".npz", "an nnscratch model, a NumPy .npz archive"),
          "checkpoint": (".npz", "an nnscratch checkpoint, a NumPy .npz archive"),
          "history": (".json", "the training history as JSON"), "bench": (".json", "the timings as JSON")}
"""What an option of each kind writes, whatever the file is named: its usual suffix and the format."""
FORMATS = {".onnx": "an ONNX model", ".json": "a JSON file", ".csv": "a CSV table", ".tsv": "a table",
           ".npy": "one NumPy array", ".npz": "a NumPy archive", ".pt": "a PyTorch file", ".pth": "a PyTorch file",
           **dict.fromkeys((".png", ".jpg", ".jpeg", ".svg", ".pdf", ".webp", ".gif", ".mp4"), "a picture")}
"""Suffixes that name a format of their own: a file of another one under them is not what readers expect."""


def refuse_other_format(out, path):
    """``--out model.onnx`` (an .npz archive inside, which ONNX tools cannot read), ``--history h.csv`` (JSON
    inside): refused, with the name to give it. A suffix of no known format (``run.ckpt``, none) is the user's,
    and so is the name of the checkpoint a run resumes and keeps writing (``own``)."""
    stem, suffix = os.path.splitext(path)
    if out.own or out.kind not in WRITES or suffix.lower() not in FORMATS or suffix.lower() == WRITES[out.kind][0]:
        return
    own, writes = WRITES[out.kind]
    then = (f" (then `nnscratch export {shlex.quote(stem + own)} {shlex.quote(path)}` writes the ONNX model)"
            if suffix.lower() == ".onnx" and out.kind == "model" else "")
    raise ConfigError(f"{out.option} {path}: {out.option} writes {writes}, and {suffix} names "
                      f"{FORMATS[suffix.lower()]}; name it {stem + own}{then}.")
