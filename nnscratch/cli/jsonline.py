"""The one JSON line a ``--json`` command prints: strict JSON, a figure that is not a number as ``null``.

``json.dumps`` writes a NaN or an infinite float as ``NaN`` or ``Infinity``, which is not JSON:
``JSON.parse``, ``jq`` and ``json.loads(text, parse_constant=...)`` refuse the whole line. A loss that
overflowed, a probability of inputs too large for the network's arithmetic or R^2 of a single sample is
written ``null`` instead, as :meth:`~nnscratch.History.to_json` writes a history and pandas' ``to_json``
a frame; the text output and the ``warning:`` lines say why.
"""

import json

from ..saving.jsonvalues import strict


def json_line(data):
    """``data`` as one line of strict JSON (``allow_nan=False`` proves no NaN is left)."""
    return json.dumps(strict(data), allow_nan=False)
