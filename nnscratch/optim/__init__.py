"""Optimization: how gradients become updates.

- ``base``: the :class:`Optimizer` base class (learning rate, state, checkpoints).
- ``optimizers``: the update rules :class:`SGD`, :class:`Adam`, :class:`RMSProp` and ``get_optimizer``.
- ``schedules``: the learning rate as a function of the step count.
- ``clip``: gradient clipping by global norm.
"""
