"""Option values, each checked as itself when the command line is parsed.

Every numeric option names its own type here, so ``--batch-size -5`` is refused as
``argument --batch-size: expected a whole number >= 0 ...; received '-5'`` before
anything runs, never later as a consequence (a negative warm-up, an empty split).
"""

import argparse
import math


def _number(text, kind):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'a whole number' if kind is int else 'a number'}; "
                                         f"received {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number; received {text!r}")
    return value


def whole(low, meaning=""):
    """An int >= ``low``; ``meaning`` says what the smallest values do (shown in the error)."""
    def parse(text):
        value = _number(text, int)
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}{meaning}; received {text!r}")
        return value
    parse.__name__ = f"whole number >= {low}"
    return parse


def number(low=None, high=None, low_open=False, high_open=False, what="a number"):
    """A finite float within ``[low, high]`` (an end excluded with ``low_open``/``high_open``)."""
    def parse(text):
        value = _number(text, float)
        below = low is not None and (value <= low if low_open else value < low)
        above = high is not None and (value >= high if high_open else value > high)
        if below or above:
            raise argparse.ArgumentTypeError(f"expected {what} {_interval(low, high, low_open, high_open)}; "
                                             f"received {text!r}")
        return value
    parse.__name__ = what
    return parse


def _interval(low, high, low_open, high_open):
    if high is None:
        return f"{'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"{'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def given(what):
    """A string that says something: an empty one (``--out "$DIR/m.npz"`` is fine, ``--out "$OUT"`` with
    ``$OUT`` unset is not) is refused, never read as the option left out (its default used in silence)."""
    def parse(text):
        if not text.strip():
            raise argparse.ArgumentTypeError(f"expected {what}; received {text!r} (an empty value: a shell variable "
                                             f"left unset?); give {what}, or leave an option out for its default")
        return text
    parse.__name__ = what
    return parse


# The options' types, by what they mean.
SEED = whole(0)
POSITIVE_INT = whole(1)
COUNT = whole(0)
RATE = number(0, low_open=True, what="a positive learning rate")
NONNEGATIVE = number(0, what="a number")
POSITIVE = number(0, low_open=True, what="a number")
FRACTION = number(0, 1, high_open=True, what="a fraction")           # [0, 1)
OPEN_FRACTION = number(0, 1, low_open=True, high_open=True, what="a fraction")  # (0, 1)
BATCH_SIZE = whole(0, " (0: the whole training set per step)")
PATH = given("a path")
NAME = given("a name")
LIST = given("a comma-separated list")
