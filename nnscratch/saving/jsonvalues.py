"""What a file's JSON header can hold, and where a value it cannot hold is.

A model file or checkpoint keeps its settings as JSON (:mod:`nnscratch.saving.serialize`): NumPy
numbers and arrays go in as numbers and lists (:func:`json_value`); any other object is refused
before a file is written, naming where it is and whose code gives it (:func:`not_json`).
"""

import json
import math

import numpy as np


def json_value(value):
    """NumPy numbers and arrays (e.g. ``metadata={"classes": np.unique(y)}``) as JSON numbers and lists."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} {value!r} is not one")


def not_json(header):
    """Where in ``header`` the first value JSON cannot hold is, and whose code to change: a layer's
    ``get_config``, a callback's ``get_state``, or ``Network(metadata=...)``."""
    where, value = first_not_json(header) or ((), header)
    said, json_values = f"{type(value).__name__} {value!r}"[:200], "must be JSON values (numbers, text, lists, dicts)"
    keys = lambda start: "".join(f"[{k!r}]" for k in where[start:])  # noqa: E731
    if where[:2] == ("config", "metadata"):
        return (f"the model's metadata {json_values} and metadata{keys(2)} is {said}; give Network(metadata=...) "
                "only such values.")
    if where[:2] == ("config", "layers") and len(where) > 2:
        kind = header["config"]["layers"][where[2]].get("type", "?")
        return (f"a layer's settings {json_values} and layer {where[2]} ({kind}) has {keys(3) or 'itself'} = "
                f"{said}; make {kind}.get_config() return only such values.")
    if where[:1] == ("callbacks",) and len(where) > 1:
        return (f"a callback's state {json_values} and callback {where[1]} keeps {keys(2) or 'itself'} = {said}; "
                f"make {str(where[1]).split('#')[0]}.get_state() return only such values.")
    return f"its header {json_values} and {keys(0) or 'the header'} is {said}."


def first_not_json(value, where=(), seen=()):
    """``(key path, value)`` of the first value in ``value`` JSON cannot hold (a NumPy one it can), a key
    included, or a container inside itself; None where every one fits."""
    if isinstance(value, (dict, list, tuple)):
        if id(value) in seen:
            return where, value
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if not (key is None or isinstance(key, (str, int, float, bool))):
                return where + (key,), key  # a dict key JSON cannot hold (a tuple)
            found = first_not_json(item, where + (key,), seen + (id(value),))
            if found is not None:
                return found
        return None
    try:
        json.dumps(value, default=json_value)
    except (TypeError, ValueError):
        return where, value
    return None


def strict(data):
    """``data`` (dicts, lists, numbers, text) with every NaN or infinite float as None, what strict JSON takes:
    ``json.dumps`` writes them ``NaN`` and ``Infinity``, which ``JSON.parse`` and ``jq`` refuse (a history's
    undefined figures, a ``--json`` line's loss that overflowed)."""
    if isinstance(data, dict):
        return {key: strict(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [strict(value) for value in data]
    return None if isinstance(data, float) and not math.isfinite(data) else data
