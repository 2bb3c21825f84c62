"""Models: the :class:`Network` and what describes or checks one.

- ``network``: :class:`Network`, a stack of layers on one backend (forward, backward, fit, save).
- ``persistence``: ``Network``'s methods that keep and copy it (config, weights, ``to``, pickle, files).
- ``state``: a network as data: its config, weights and running statistics, and copies of it.
- ``spec``: ready-made networks (an MLP from sizes) and the command line's layer-spec grammar.
- ``summary``: the table of ``Network.summary`` and one-line descriptions.
- ``shapes``: per-sample shapes through the layers (``output_shapes``, ``shape_after``, ``n_outputs``).
- ``task``: multiclass, binary, multilabel or regression, derived from the output layer, loss and targets.
- ``params``: one contiguous buffer for all parameters and one for their gradients.
"""
