"""The next epoch's augmented data, made on the host while this epoch trains.

``fit(augment=...)`` calls ``augment(X, y, rng)`` at the start of every epoch
with the network's seeded RNG. Sequentially that is host work the device (or
the BLAS) waits for; here it runs in a background thread during the previous
epoch, on a copy of the RNG taken where the sequential loop would have called
it: right after the previous epoch drew its shuffle, which is the last draw
before. The network's RNG is moved to the copy's final state when the result
is taken, so the numbers, and every later draw, are those of the sequential
loop. The thread never touches the network's RNG: a checkpoint written at the
end of the epoch holds the RNG as the sequential loop would. If anything else
draws from it in between (a callback), the prefetched data is dropped and the
epoch's data is made again, in order.
"""

import copy
import threading


class Prefetch:
    """``augment(X, y, rng)`` for the next epoch, started by :meth:`start` and collected by :meth:`take`."""

    def __init__(self, augment, X, y, rng):
        self.augment, self.X, self.y, self.rng = augment, X, y, rng
        self._thread = self._result = self._state = None

    def start(self):
        """Begin the next epoch's data (call it after this epoch's shuffle is drawn)."""
        self._state = copy.deepcopy(self.rng.bit_generator.state)
        rng = copy.deepcopy(self.rng)
        self._result = None

        def work():
            try:
                self._result = (self.augment(self.X, self.y, rng), rng.bit_generator.state)
            except BaseException as exc:  # handed to the main thread by take()
                self._result = exc

        self._thread = threading.Thread(target=work, name="nnscratch-prefetch", daemon=True)
        self._thread.start()

    def take(self):
        """The prefetched ``(X, y)`` (the network's RNG advanced past it), or None when there is none
        or the RNG was drawn from since :meth:`start` (then the caller makes the data itself)."""
        if self._thread is None:
            return None
        self._thread.join()
        self._thread, result = None, self._result
        if isinstance(result, BaseException):
            raise result
        if self.rng.bit_generator.state != self._state:
            return None
        data, state = result
        self.rng.bit_generator.state = state
        return data

    def close(self):
        """Wait for a prefetch nobody will take (training stopped early), so no work outlives ``fit``."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
