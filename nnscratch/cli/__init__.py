"""The ``nnscratch`` command line: a leaf that parses, calls the library and prints.

Nothing in the library imports it. ``app.main`` builds the parser from one module per
command (``train``, ``inspect`` for evaluate/predict, ``info``, ``export``, ``plot``,
``bench``); ``app`` holds ``main``; ``options``, ``values``, ``defaults``, ``recipe``, ``outputs``,
``tables``, ``schedules``, ``checks``, ``resuming``, ``pictures`` and ``progress`` are shared pieces;
``habits`` holds what the parser answers to other tools' habits.
"""

from .app import main

__all__ = ["main"]
