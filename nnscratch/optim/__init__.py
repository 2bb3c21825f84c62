"""Optimization: how gradients become updates.

- ``optimizers``: :class:`SGD`, :class:`Adam`, :class:`RMSProp` and ``get_optimizer``.
- ``schedules``: the learning rate as a function of the step count.
- ``clip``: gradient clipping by global norm.
"""
