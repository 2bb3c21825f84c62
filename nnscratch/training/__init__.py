"""Training: the loop that turns data into weights.

- ``loop``: ``fit``, its arguments checked and its data placed (data moves to the device once per ``fit``).
- ``epochs``: the epoch loop, and :class:`EpochLogger`, the printed line that comes after the callbacks.
- ``evaluation``: ``evaluate`` and ``compute_gradients``, a pass over data that trains nothing.
- ``step``: one batch's forward, loss, backward and update: the hot path.
- ``streaming``: data too large for the device, moved one batch at a time.
- ``memory``: the device bytes a call needs and the bytes the device has (what ``streaming`` decides on).
- ``history``: :class:`Callback` and :class:`History`, the per-epoch hooks and record.
- ``callbacks``: :class:`EarlyStopping` and :class:`ReduceLROnPlateau`.
- ``guard``: the divergence guard that keeps the last finite weights.
"""
