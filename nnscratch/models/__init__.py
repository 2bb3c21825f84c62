"""Models: the :class:`Network` and what describes or checks one.

- ``network``: :class:`Network`, a stack of layers on one backend (forward, backward, fit, save).
- ``spec``: ready-made networks and the command line's layer-spec grammar.
- ``summary``: the table of ``Network.summary`` and one-line descriptions.
- ``task``: multiclass, binary or regression, derived from the output layer and loss.
- ``params``: one contiguous buffer for all parameters and one for their gradients.
"""
